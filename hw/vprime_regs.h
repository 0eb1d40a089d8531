/* SPDX-License-Identifier: MIT */
/*
 * vprime hardware ABI: the single source of every PCI ID, BAR number,
 * register offset, bit and encoding of the vprime devices.
 *
 * Included unchanged by the QEMU models (hw/vprime/), the qtests, the Linux
 * guest drivers and the guest test programs.  Only defines and fixed-width
 * structs with _Static_assert'ed sizes may live here, so it compiles in
 * QEMU, in the kernel and in userspace alike.  The prose that goes with it
 * is hw/vprime-spec.rst; change both in the same commit.
 */
#ifndef VPRIME_REGS_H
#define VPRIME_REGS_H

/* ------------------------------------------------------------------------
 * PCI identity (QEMU's experimental ID range, docs/specs/pci-ids.rst)
 * ------------------------------------------------------------------------ */
#define VPRIME_PCI_VENDOR_ID            0x1af4
#define VPRIME_PCI_DEVICE_ID_IGPU       0x10f0
#define VPRIME_PCI_DEVICE_ID_DGPU       0x10f1
#define VPRIME_PCI_DEVICE_ID_DISPLAY    0x10f2
#define VPRIME_PCI_SUBVENDOR_ID         0x1af4
#define VPRIME_PCI_SUBSYSTEM_ID         0x1100
#define VPRIME_PCI_REVISION             0x01

/* PCI class codes (base class << 8 | subclass) */
#define VPRIME_PCI_CLASS_IGPU           0x0380  /* display controller, other */
#define VPRIME_PCI_CLASS_DGPU           0x0302  /* 3D controller (Optimus dGPU) */
#define VPRIME_PCI_CLASS_DISPLAY        0x0380  /* display controller, other */

/* ------------------------------------------------------------------------
 * BARs
 * ------------------------------------------------------------------------ */
#define VPRIME_BAR_MMIO                 0       /* 32-bit MMIO registers */
#define VPRIME_BAR_VRAM                 2       /* dGPU: 64-bit prefetchable VRAM (uses BAR 2+3) */
#define VPRIME_BAR_MSIX                 4       /* MSI-X table and PBA */

#define VPRIME_MMIO_SIZE                0x10000 /* 64 KiB register window */

/* VRAM size (dGPU "vram" property): power of two within these bounds */
#define VPRIME_VRAM_MIN                 (16ULL << 20)   /* 16 MiB */
#define VPRIME_VRAM_MAX                 (16ULL << 30)   /* 16 GiB */
#define VPRIME_VRAM_DEFAULT             (256ULL << 20)  /* 256 MiB */

/* Display engine heads ("heads" property) */
#define VPRIME_HEADS_MIN                1
#define VPRIME_HEADS_MAX                4

/* ------------------------------------------------------------------------
 * MSI-X vectors
 * ------------------------------------------------------------------------ */
#define VPRIME_MSIX_VEC_MISC            0       /* errors, software interrupt */
#define VPRIME_GPU_MSIX_VECTORS         3       /* misc + render + copy engine */
#define VPRIME_DISPLAY_MSIX_VECTORS     (1 + VPRIME_HEADS_MAX) /* misc + one per head */

/* ------------------------------------------------------------------------
 * Common register block: BAR 0, offsets 0x000-0x0ff, on every device.
 * All registers are 32 bits wide and must be accessed as aligned dwords.
 * ------------------------------------------------------------------------ */
#define VPRIME_REG_ID                   0x000   /* RO: VPRIME_ID_MAGIC */
#define VPRIME_REG_VERSION              0x004   /* RO: ABI version */
#define VPRIME_REG_KIND                 0x008   /* RO: enum VPRIME_KIND_* */
#define VPRIME_REG_CAPS                 0x00c   /* RO: VPRIME_CAP_* */
#define VPRIME_REG_VRAM_SIZE_LO         0x010   /* RO: VRAM bytes, low half (0: none) */
#define VPRIME_REG_VRAM_SIZE_HI         0x014   /* RO: VRAM bytes, high half */
#define VPRIME_REG_NUM_HEADS            0x018   /* RO: display heads (0 on GPUs) */
#define VPRIME_REG_MSIX_VECTORS         0x01c   /* RO: MSI-X vectors implemented */
#define VPRIME_REG_SCRATCH              0x020   /* RW: no effect, for probing */
#define VPRIME_REG_IRQ_STATUS           0x024   /* RW1C: VPRIME_IRQ_* pending */
#define VPRIME_REG_IRQ_ENABLE           0x028   /* RW: VPRIME_IRQ_* enabled */
#define VPRIME_REG_IRQ_RAISE            0x02c   /* WO: set VPRIME_IRQ_* bits in status */
#define VPRIME_REG_ERROR                0x030   /* RW1C: VPRIME_ERR_* latched */
#define VPRIME_REG_ERROR_ADDR           0x034   /* RO: offset of the last bad access */
#define VPRIME_REG_RESET                0x038   /* WO: VPRIME_RESET_MAGIC resets the device */

#define VPRIME_COMMON_REGS_END          0x100

#define VPRIME_ID_MAGIC                 0x4d525056u     /* "VPRM" little endian */

#define VPRIME_VERSION_MAJOR            1
#define VPRIME_VERSION_MINOR            0
#define VPRIME_VERSION                  ((VPRIME_VERSION_MAJOR << 16) | VPRIME_VERSION_MINOR)
#define VPRIME_VERSION_GET_MAJOR(v)     (((v) >> 16) & 0xffff)
#define VPRIME_VERSION_GET_MINOR(v)     ((v) & 0xffff)

#define VPRIME_KIND_IGPU                0
#define VPRIME_KIND_DGPU                1
#define VPRIME_KIND_DISPLAY             2

#define VPRIME_CAP_MSIX                 (1u << 0)   /* MSI-X in VPRIME_BAR_MSIX */
#define VPRIME_CAP_GPU                  (1u << 1)   /* GPU engine registers */
#define VPRIME_CAP_VRAM                 (1u << 2)   /* VRAM in VPRIME_BAR_VRAM */
#define VPRIME_CAP_DISPLAY              (1u << 3)   /* display engine registers */

/* Interrupt causes, shared by IRQ_STATUS, IRQ_ENABLE and IRQ_RAISE */
#define VPRIME_IRQ_SOFTWARE             (1u << 0)   /* raised by IRQ_RAISE; vector MISC */
#define VPRIME_IRQ_ERROR                (1u << 1)   /* ERROR became non-zero; vector MISC */
#define VPRIME_IRQ_VALID_MASK           (VPRIME_IRQ_SOFTWARE | VPRIME_IRQ_ERROR)

/* Errors latched in VPRIME_REG_ERROR */
#define VPRIME_ERR_BAD_ACCESS           (1u << 0)   /* unknown register or RO write */
#define VPRIME_ERR_BAD_VALUE            (1u << 1)   /* value not allowed in a register */
#define VPRIME_ERR_INJECTED             (1u << 2)   /* fault injected by the host (QMP) */
#define VPRIME_ERR_VALID_MASK           (VPRIME_ERR_BAD_ACCESS | VPRIME_ERR_BAD_VALUE | \
                                         VPRIME_ERR_INJECTED)

#define VPRIME_RESET_MAGIC              0x52534554u     /* "TESR": full device reset */

#endif /* VPRIME_REGS_H */
