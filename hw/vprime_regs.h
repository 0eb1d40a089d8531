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
#define VPRIME_VERSION_MINOR            2
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
#define VPRIME_ERR_PAGE_FAULT           (1u << 3)   /* GPU: see the FAULT_* registers */
#define VPRIME_ERR_ENGINE               (1u << 4)   /* GPU: an engine halted, see VPRIME_ENG_ERROR */
#define VPRIME_ERR_DISPLAY              (1u << 5)   /* display: a head refused a configuration, see VPRIME_HEAD_ERROR */
#define VPRIME_ERR_VALID_MASK           (VPRIME_ERR_BAD_ACCESS | VPRIME_ERR_BAD_VALUE | \
                                         VPRIME_ERR_INJECTED | VPRIME_ERR_PAGE_FAULT | \
                                         VPRIME_ERR_ENGINE | VPRIME_ERR_DISPLAY)

#define VPRIME_RESET_MAGIC              0x52534554u     /* "TESR": full device reset */

/* Interrupt causes for the per-engine / per-head vectors: cause
 * VPRIME_IRQ_VECTOR(n) is signalled on MSI-X vector n (n >= 1). */
#define VPRIME_IRQ_VECTOR_SHIFT         8
#define VPRIME_IRQ_VECTOR(n)            (1u << (VPRIME_IRQ_VECTOR_SHIFT + (n) - 1))

/* ------------------------------------------------------------------------
 * GPU: contexts and GPU virtual memory (BAR 0, 0x100-0x1ff)
 *
 * A context is a GPU virtual address space: a 3-level page table in
 * system memory (4 KiB pages, 512 8-byte entries per table, 39-bit GPU
 * virtual addresses).  The CTX_* registers act on the context selected in
 * CTX_SELECT.
 * ------------------------------------------------------------------------ */
#define VPRIME_GPU_MAX_CONTEXTS         64
#define VPRIME_GPU_PAGE_SHIFT           12
#define VPRIME_GPU_PAGE_SIZE            (1u << VPRIME_GPU_PAGE_SHIFT)
#define VPRIME_GPU_PT_LEVELS            3
#define VPRIME_GPU_PT_ENTRIES           512
#define VPRIME_GPU_VA_BITS              39
#define VPRIME_GPU_VA_LIMIT             (1ULL << VPRIME_GPU_VA_BITS)
/* index of va in the page table of level l (2: root, 0: leaf) */
#define VPRIME_GPU_PT_INDEX(va, l)      (((va) >> (VPRIME_GPU_PAGE_SHIFT + 9 * (l))) & 511)

#define VPRIME_REG_CTX_SELECT           0x100   /* RW: context the CTX_* registers act on */
#define VPRIME_REG_CTX_PT_LO            0x104   /* RW: DMA address of the root table, low (4 KiB aligned) */
#define VPRIME_REG_CTX_PT_HI            0x108   /* RW: DMA address of the root table, high */
#define VPRIME_REG_CTX_CONTROL          0x10c   /* RW: VPRIME_CTX_ENABLE; enabling clears a fault */
#define VPRIME_REG_CTX_STATUS           0x110   /* RO: VPRIME_CTX_STATUS_* */
#define VPRIME_REG_TLB_INVALIDATE       0x114   /* WO: context index, or VPRIME_TLB_INVALIDATE_ALL */
#define VPRIME_REG_FAULT_CTX            0x118   /* RO: context of the latest page fault */
#define VPRIME_REG_FAULT_ADDR_LO        0x11c   /* RO: faulting GPU virtual address, low */
#define VPRIME_REG_FAULT_ADDR_HI        0x120   /* RO: faulting GPU virtual address, high */
#define VPRIME_REG_FAULT_INFO           0x124   /* RO: VPRIME_FAULT_* reason | VPRIME_FAULT_WRITE */
#define VPRIME_REG_VRAM_USABLE_LO       0x128   /* RO: VRAM bytes the driver may allocate, low (0 on the iGPU) */
#define VPRIME_REG_VRAM_USABLE_HI       0x12c   /* RO: high half */
#define VPRIME_REG_LAYOUTS              0x130   /* RO: VPRIME_LAYOUT_BIT()s the engines take */

#define VPRIME_CTX_ENABLE               (1u << 0)
#define VPRIME_CTX_STATUS_ENABLED       (1u << 0)
#define VPRIME_CTX_STATUS_FAULTED       (1u << 1)   /* stopped by a page fault */
#define VPRIME_TLB_INVALIDATE_ALL       0xffffffffu

#define VPRIME_FAULT_NOT_PRESENT        1   /* PTE without VPRIME_PTE_VALID */
#define VPRIME_FAULT_READ_ONLY          2   /* write through a PTE without VPRIME_PTE_WRITABLE */
#define VPRIME_FAULT_BAD_TABLE          3   /* a table could not be read by DMA */
#define VPRIME_FAULT_VRAM_RANGE         4   /* VRAM PTE beyond VRAM, or VRAM on the iGPU */
#define VPRIME_FAULT_VA_RANGE           5   /* address at or above VPRIME_GPU_VA_LIMIT */
#define VPRIME_FAULT_DISABLED           6   /* context not enabled */
#define VPRIME_FAULT_DMA                7   /* the page could not be reached by DMA */
#define VPRIME_FAULT_REASON_MASK        0xff
#define VPRIME_FAULT_WRITE              (1u << 8)

/* Page table entry (all levels): address bits 51:12 plus flags */
#define VPRIME_PTE_VALID                (1ULL << 0)
#define VPRIME_PTE_WRITABLE             (1ULL << 1)     /* leaf only */
#define VPRIME_PTE_VRAM                 (1ULL << 2)     /* leaf only: address is a VRAM offset */
#define VPRIME_PTE_ADDR_MASK            0x000ffffffffff000ULL

/* ------------------------------------------------------------------------
 * GPU: engines (BAR 0, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_*)
 *
 * Each engine executes a ring of struct vprime_cmd in system memory
 * (addressed by DMA address) and signals on its own MSI-X vector.
 * ------------------------------------------------------------------------ */
#define VPRIME_GPU_ENGINES              2
#define VPRIME_ENGINE_RENDER            0
#define VPRIME_ENGINE_COPY              1
#define VPRIME_ENGINE_BASE(e)           (0x200 + (e) * 0x40)
#define VPRIME_ENGINE_MSIX_VEC(e)       (1 + (e))
#define VPRIME_IRQ_ENGINE(e)            VPRIME_IRQ_VECTOR(VPRIME_ENGINE_MSIX_VEC(e))

#define VPRIME_ENG_RING_BASE_LO         0x00    /* RW: ring DMA address, low (4 KiB aligned) */
#define VPRIME_ENG_RING_BASE_HI         0x04    /* RW: ring DMA address, high */
#define VPRIME_ENG_RING_SIZE            0x08    /* RW: entries, a power of two in [MIN, MAX] */
#define VPRIME_ENG_RING_HEAD            0x0c    /* RO: next entry the engine executes */
#define VPRIME_ENG_RING_TAIL            0x10    /* RW: doorbell; one past the last valid entry */
#define VPRIME_ENG_FENCE_ADDR_LO        0x14    /* RW: DMA address of the fence writeback (8-aligned) */
#define VPRIME_ENG_FENCE_ADDR_HI        0x18
#define VPRIME_ENG_FENCE_LO             0x1c    /* RO: last fence value written, low */
#define VPRIME_ENG_FENCE_HI             0x20    /* RO: last fence value written, high */
#define VPRIME_ENG_CONTROL              0x24    /* RW: VPRIME_ENG_CTRL_* */
#define VPRIME_ENG_STATUS               0x28    /* RO: VPRIME_ENG_STATUS_* */
#define VPRIME_ENG_ERROR                0x2c    /* RO: VPRIME_ENG_ERR_* of the halting command */
#define VPRIME_ENG_REGS_SIZE            0x40

#define VPRIME_RING_ENTRIES_MIN         4
#define VPRIME_RING_ENTRIES_MAX         4096

#define VPRIME_ENG_CTRL_ENABLE          (1u << 0)
#define VPRIME_ENG_CTRL_RESET           (1u << 1)   /* self-clearing: drop the current command, HEAD = TAIL */

#define VPRIME_ENG_STATUS_BUSY          (1u << 0)
#define VPRIME_ENG_STATUS_WAITING       (1u << 1)   /* in a VPRIME_OP_WAIT */
#define VPRIME_ENG_STATUS_HALTED        (1u << 2)   /* a bad command or ring DMA error: reset needed */

#define VPRIME_ENG_ERR_BAD_OPCODE       1
#define VPRIME_ENG_ERR_BAD_ARGS         2   /* sizes, formats, layouts, alignment, reserved fields */
#define VPRIME_ENG_ERR_RING_DMA         3   /* the ring could not be read */
#define VPRIME_ENG_ERR_FENCE_DMA        4   /* the fence writeback could not be written */
#define VPRIME_ENG_ERR_BAD_CTX          5   /* context index out of range */
#define VPRIME_ENG_ERR_DMA              6   /* the command's data DMA failed (host-injected fault) */

/* Commands: 64 bytes each, little endian */
#define VPRIME_OP_NOP                   0
#define VPRIME_OP_FILL                  1   /* rectangle fill */
#define VPRIME_OP_BLIT                  2   /* 2D copy with format and layout conversion */
#define VPRIME_OP_COPY                  3   /* linear copy of bytes */
#define VPRIME_OP_PATTERN               4   /* deterministic test pattern */
#define VPRIME_OP_FENCE                 5   /* write the fence value; interrupt */
#define VPRIME_OP_WAIT                  6   /* wait until a 64-bit value >= target */

#define VPRIME_CMD_SIZE                 64
#define VPRIME_CMDF_IRQ                 (1u << 0)   /* FENCE: raise the engine interrupt */

/* Pixel formats */
#define VPRIME_FMT_XRGB8888             1
#define VPRIME_FMT_ARGB8888             2
#define VPRIME_FMT_XBGR8888             3
#define VPRIME_FMT_RGB565               4

/*
 * Layouts: how a surface's pixels lie in memory.  The tiled ones are
 * registered DRM format modifiers whose layouts are public (the Linux
 * uapi header drm_fourcc.h): each device takes its own set
 * (VPRIME_REG_LAYOUTS, VPRIME_PL_LAYOUTS), so cross-device modifier
 * negotiation can end at LINEAR, as on real hybrid machines.  Every tiled
 * layout is a row-major grid of 4 KiB tiles, TILE_W bytes by TILE_H rows,
 * whose byte order inside differs; the pitch is a multiple of TILE_W, the
 * surface starts 4 KiB aligned and spans whole tile rows.  The address of
 * each byte: vprime_layout.h and hw/vprime-spec.rst ("Layouts").
 *   X_TILED: I915_FORMAT_MOD_X_TILED, 512 B x 8 rows, row-major inside
 *   Y_TILED: I915_FORMAT_MOD_Y_TILED, 128 B x 32 rows, 16-byte columns
 *   NV_BLOCK: DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 1, 0, 0xfe, 3),
 *            blocks of 8 GOBs (64 B x 64 rows), 16Bx2 sectors in a GOB
 */
#define VPRIME_LAYOUT_LINEAR            0
#define VPRIME_LAYOUT_X_TILED           1
#define VPRIME_LAYOUT_Y_TILED           2
#define VPRIME_LAYOUT_NV_BLOCK          3
#define VPRIME_LAYOUT_COUNT             4
#define VPRIME_LAYOUT_BIT(l)            (1u << (l))
#define VPRIME_TILE_SIZE                4096
/* Bytes of a tile row (0: LINEAR or unknown); its rows: TILE_SIZE / this */
#define VPRIME_LAYOUT_TILE_W(l)         ((l) == VPRIME_LAYOUT_X_TILED ? 512u : \
                                         (l) == VPRIME_LAYOUT_Y_TILED ? 128u : \
                                         (l) == VPRIME_LAYOUT_NV_BLOCK ? 64u : 0u)
#define VPRIME_TILE_WIDTH_MIN           64      /* the narrowest tile: NV_BLOCK's */
#define VPRIME_TILE_HEIGHT_MAX          64      /* the tallest: NV_BLOCK's */

/* The sets the devices take (VPRIME_REG_LAYOUTS, VPRIME_PL_LAYOUTS) */
#define VPRIME_IGPU_LAYOUTS             (VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_LINEAR) | \
                                         VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_X_TILED) | \
                                         VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_Y_TILED))
#define VPRIME_DGPU_LAYOUTS             (VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_LINEAR) | \
                                         VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_NV_BLOCK))
#define VPRIME_DISP_LAYOUTS             (VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_LINEAR) | \
                                         VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_X_TILED) | \
                                         VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_NV_BLOCK))

/* Largest extent one command may touch: bigger work is split by the driver */
#define VPRIME_CMD_MAX_BYTES            (1ULL << 30)
#define VPRIME_CMD_MAX_DIM              16384

/*
 * VPRIME_OP_PATTERN's gradient at (x, y), as XRGB8888: it moves with the
 * frame number, in a hue chosen by the tag.  The whole picture (this,
 * and the frame and tag as text) is vprime_pattern_pixel() of
 * vprime_pattern.h, which the model and the tests share.
 */
#define VPRIME_PATTERN_XRGB(frame, tag, x, y)                           \
    ((((((x) + (frame) * 4u) & 0xffu) << 16) |                          \
      ((((y) + (frame) * 2u) & 0xffu) << 8) |                           \
      (((tag) * 0x45u) & 0xffu)) & 0x00ffffffu)

struct vprime_cmd {
    uint32_t opcode;            /* VPRIME_OP_* */
    uint32_t ctx;               /* context whose address space the command uses */
    uint32_t flags;             /* VPRIME_CMDF_* */
    uint32_t reserved;          /* must be zero */
    union {
        struct {                /* FILL, PATTERN */
            uint64_t dst;       /* GPU VA */
            uint32_t pitch;     /* bytes */
            uint32_t width;     /* pixels */
            uint32_t height;
            uint32_t format;    /* VPRIME_FMT_* */
            uint32_t layout;    /* VPRIME_LAYOUT_* */
            uint32_t color;     /* FILL: XRGB8888 (ARGB8888 with alpha) */
            uint32_t frame;     /* PATTERN */
            uint32_t tag;       /* PATTERN */
            uint32_t pad[2];
        } rect;
        struct {                /* BLIT */
            uint64_t src;
            uint64_t dst;
            uint32_t src_pitch;
            uint32_t dst_pitch;
            uint32_t width;
            uint32_t height;
            uint32_t src_format;
            uint32_t dst_format;
            uint16_t src_layout;
            uint16_t dst_layout;
            uint32_t pad;
        } blit;
        struct {                /* COPY */
            uint64_t src;
            uint64_t dst;
            uint64_t size;      /* bytes */
            uint64_t pad[3];
        } copy;
        struct {                /* FENCE */
            uint64_t value;
            uint64_t pad[5];
        } fence;
        struct {                /* WAIT */
            uint64_t addr;      /* GPU VA of a 64-bit value, 8-byte aligned */
            uint64_t value;     /* wait until *addr >= value */
            uint64_t pad[4];
        } wait;
    };
};

_Static_assert(sizeof(struct vprime_cmd) == VPRIME_CMD_SIZE, "vprime_cmd is 64 bytes");

/* ------------------------------------------------------------------------
 * Display engine (vprime-display), BAR 0
 *
 * Global registers at 0x100-0x1ff; head h at VPRIME_HEAD_BASE(h), with its
 * four planes at VPRIME_HEAD_BASE(h) + VPRIME_PLANE_BASE(p) and its EDID at
 * VPRIME_HEAD_BASE(h) + VPRIME_HEAD_EDID.  Each head signals on MSI-X vector
 * VPRIME_HEAD_MSIX_VEC(h) (cause VPRIME_IRQ_HEAD(h) in IRQ_STATUS); what
 * happened is in the head's VPRIME_HEAD_EVENTS.
 *
 * Double buffering: CONTROL, MODE_* and every plane register are shadow
 * registers.  Reads return what was written; the engine uses them only
 * after VPRIME_HEAD_UPDATE, at the next vblank (at once if the head is off,
 * and turning a head off also latches at once).  The latch raises
 * VPRIME_HEAD_EV_FLIP_DONE.  The device clock is QEMU's virtual clock, in
 * nanoseconds.
 * ------------------------------------------------------------------------ */
#define VPRIME_DISP_CAPS                0x100   /* RO: VPRIME_DISP_CAP_* */
#define VPRIME_DISP_DMA_BITS            0x104   /* RO: address bits the engine can reach ("dma-bits") */
#define VPRIME_DISP_CLOCK_LO            0x108   /* RO: device clock ns; reading LO latches HI */
#define VPRIME_DISP_CLOCK_HI            0x10c   /* RO: high half latched by the last CLOCK_LO read */
#define VPRIME_DISP_UPDATE_LOCKS        0x110   /* RO: bit h = head h's UPDATE_LOCK (CAP_UPDATE_LOCK_ALL) */
#define VPRIME_DISP_UPDATE_LOCK_SET     0x114   /* WO: take the UPDATE_LOCK of the heads in the mask, in one write */
#define VPRIME_DISP_UPDATE_LOCK_CLEAR   0x118   /* WO: release those heads' UPDATE_LOCK in one write */
#define VPRIME_DISP_PM_D3_COUNT         0x11c   /* RO: D0 -> D3hot transitions since PCI reset (CAP_PM); sticky */

#define VPRIME_DISP_CAP_SCATTER         (1u << 0)   /* planes scan page lists; clear: contiguous only */
#define VPRIME_DISP_CAP_TILED           (1u << 1)   /* tiled scanout: the layouts in VPRIME_PL_LAYOUTS */
#define VPRIME_DISP_CAP_CRC             (1u << 2)   /* per-head CRC of the composed frame */
#define VPRIME_DISP_CAP_SCALE           (1u << 3)   /* VPRIME_PL_DST_SIZE: primary and overlay scale */
#define VPRIME_DISP_CAP_ROTATE          (1u << 4)   /* VPRIME_PL_CTRL_ROTATE_*, _REFLECT_*: they rotate */
#define VPRIME_DISP_CAP_BLEND           (1u << 5)   /* VPRIME_PL_CTRL_BLEND: plane alpha and blend modes */
#define VPRIME_DISP_CAP_CROSSBAR        (1u << 11)  /* VPRIME_HEAD_ROUTE: any head drives any outputs */
#define VPRIME_DISP_CAP_COLOUR          (1u << 12)  /* VPRIME_HEAD_COLOUR_*: degamma, CTM, gamma per head */
#define VPRIME_DISP_CAP_WRITEBACK       (1u << 7)   /* VPRIME_HEAD_WB_*: the composed frame written back by DMA */
#define VPRIME_DISP_CAP_YUV             (1u << 6)   /* VPRIME_FMT_NV12, _YUV420 on primary and overlays */
#define VPRIME_DISP_CAP_ASYNC_FLIP      (1u << 8)   /* VPRIME_HEAD_UPDATE_ASYNC: the primary's address at once */
#define VPRIME_DISP_CAP_VRR             (1u << 9)   /* VPRIME_HEAD_VRR_*: variable refresh rate */
#define VPRIME_DISP_CAP_UPDATE_LOCK     (1u << 13)  /* VPRIME_HEAD_UPDATE_LOCK */
#define VPRIME_DISP_CAP_UPDATE_LOCK_ALL (1u << 14)  /* VPRIME_DISP_UPDATE_LOCK_SET, _CLEAR: several heads at once */
#define VPRIME_DISP_CAP_LAYOUTS         (1u << 15)  /* VPRIME_PL_LAYOUTS: registered-modifier layouts per plane */
#define VPRIME_DISP_CAP_OUTPUT          (1u << 16)  /* VPRIME_HEAD_OUTPUT: each head's connector type */
#define VPRIME_DISP_CAP_OUTPUT_BPC      (1u << 17)  /* VPRIME_HEAD_OUTPUT_BPC: the link's bits per component */
#define VPRIME_DISP_CAP_PM              (1u << 18)  /* PCI PM capability: D3hot, VPRIME_DISP_PM_D3_COUNT */

#define VPRIME_DISP_DMA_BITS_MIN        32
#define VPRIME_DISP_DMA_BITS_MAX        64

#define VPRIME_HEAD_BASE(h)             (0x1000 + (h) * 0x400)
#define VPRIME_HEAD_MSIX_VEC(h)         (1 + (h))
#define VPRIME_IRQ_HEAD(h)              VPRIME_IRQ_VECTOR(VPRIME_HEAD_MSIX_VEC(h))

#define VPRIME_HEAD_CONTROL             0x000   /* RW, latched: VPRIME_HEAD_CTRL_* */
#define VPRIME_HEAD_MODE_SIZE           0x004   /* RW, latched: hdisplay | vdisplay << 16 */
#define VPRIME_HEAD_MODE_TOTAL          0x008   /* RW, latched: htotal | vtotal << 16 */
#define VPRIME_HEAD_MODE_CLOCK          0x00c   /* RW, latched: pixel clock in kHz */
#define VPRIME_HEAD_UPDATE              0x010   /* WO: 1 = latch the shadow registers; | ASYNC */
#define VPRIME_HEAD_STATUS              0x014   /* RO: VPRIME_HEAD_STATUS_* */
#define VPRIME_HEAD_EVENTS              0x018   /* RW1C: VPRIME_HEAD_EV_* that happened */
#define VPRIME_HEAD_EVENT_ENABLE        0x01c   /* RW: VPRIME_HEAD_EV_* that interrupt */
#define VPRIME_HEAD_FRAME               0x020   /* RO: vblanks since device reset */
#define VPRIME_HEAD_VBLANK_TS_LO        0x024   /* RO: device clock at the latest vblank, low */
#define VPRIME_HEAD_VBLANK_TS_HI        0x028   /* RO: high half */
#define VPRIME_HEAD_CRC_CONTROL         0x02c   /* RW, immediate: 1 = compute the CRC of every frame */
#define VPRIME_HEAD_CRC                 0x030   /* RO: CRC of the frame shown since CRC_FRAME */
#define VPRIME_HEAD_CRC_FRAME           0x034   /* RO: FRAME at which that frame was composed */
#define VPRIME_HEAD_ERROR               0x038   /* RW1C: VPRIME_HEAD_ERR_* | plane << 8 of the last refusal */
#define VPRIME_HEAD_DAMAGE              0x03c   /* WO: 1 = fetch and compose again at the next vblank */
#define VPRIME_HEAD_EDID_SIZE           0x040   /* RO: EDID bytes (0 while disconnected) */
#define VPRIME_HEAD_FLIP_FRAME          0x044   /* RO: FRAME at the latest latch */
#define VPRIME_HEAD_UPDATE_LOCK         0x048   /* RW: 1 = no latch at a vblank */
#define VPRIME_HEAD_ROUTE               0x070   /* RW, latched: outputs this head drives, bit j = output j (CAP_CROSSBAR) */
#define VPRIME_HEAD_OUTPUT_SOURCE       0x074   /* RO: the head that drives this block's output, 0xff: none */
#define VPRIME_HEAD_OUTPUT_CRC          0x078   /* RO: CRC of the picture this output shows (0: no head's frame) */
#define VPRIME_HEAD_VRR_CONTROL         0x04c   /* RW, latched: VPRIME_VRR_CTRL_* */
#define VPRIME_HEAD_VRR_MIN_REFRESH     0x050   /* RW, latched: slowest refresh with VRR, mHz */
#define VPRIME_HEAD_OUTPUT_BPC          0x054   /* RW, latched: bits per component sent to the outputs */
#define VPRIME_HEAD_COLOUR_CONTROL      0x080   /* RW, latched: VPRIME_COLOUR_CTRL_* */
#define VPRIME_HEAD_COLOUR_ADDR_LO      0x084   /* RW, latched: DMA address of the colour block */
#define VPRIME_HEAD_COLOUR_ADDR_HI      0x088
#define VPRIME_HEAD_WB_CONTROL          0x090   /* RW, latched, one-shot: VPRIME_WB_CTRL_* */
#define VPRIME_HEAD_WB_FORMAT           0x094   /* RW, latched: VPRIME_FMT_XRGB8888 or _ARGB8888 */
#define VPRIME_HEAD_WB_PITCH            0x098   /* RW, latched: bytes per row of the buffer */
#define VPRIME_HEAD_WB_ADDR_LO          0x09c   /* RW, latched: page list (or buffer, CONTIG) */
#define VPRIME_HEAD_WB_ADDR_HI          0x0a0
#define VPRIME_HEAD_WB_FB_SIZE          0x0a4   /* RW, latched: buffer size in bytes */
#define VPRIME_HEAD_WB_OFFSET           0x0a8   /* RW, latched: byte offset of the first row */
#define VPRIME_HEAD_WB_SIZE             0x0ac   /* RW, latched: width | height << 16: the mode's */
#define VPRIME_HEAD_WB_STATUS           0x0b0   /* RO: VPRIME_WB_STATUS_* */
#define VPRIME_HEAD_WB_FRAME            0x0b4   /* RO: FRAME of the frame the latest job wrote */
#define VPRIME_HEAD_OUTPUT              0x0f0   /* RO: VPRIME_OUTPUT_*, the head's connector (a strap) */
#define VPRIME_HEAD_EDID                0x200   /* RO: the connector's EDID, VPRIME_EDID_MAX bytes */
#define VPRIME_HEAD_REGS_SIZE           0x400
#define VPRIME_HEAD_SOURCE_NONE         0xff    /* VPRIME_HEAD_OUTPUT_SOURCE: no head drives it */

/*
 * The EDID window, 0x200-0x3ff: room for the base block and three
 * extensions.  QEMU's generator needs 384 bytes (base + CTA + DisplayID)
 * for preferred modes beyond the 12-bit / 655.35 MHz reach of a base
 * block timing, e.g. 3840x2160@60; EDID_SIZE says how many are valid.
 */
#define VPRIME_EDID_MAX                 512

/*
 * VPRIME_HEAD_OUTPUT: what the head's connector is, fixed by the board
 * (QOM output-types), as a VBT or a strap tells a real driver.  An eDP
 * head is an internal panel: always connected, one fixed mode, no hotplug.
 */
#define VPRIME_OUTPUT_VIRTUAL           0
#define VPRIME_OUTPUT_EDP               1
#define VPRIME_OUTPUT_DP                2
#define VPRIME_OUTPUT_HDMI              3
#define VPRIME_OUTPUT__MAX              4

#define VPRIME_HEAD_CTRL_ENABLE         (1u << 0)

/*
 * VPRIME_HEAD_UPDATE values: LATCH alone latches at the next vblank;
 * LATCH | ASYNC (VPRIME_DISP_CAP_ASYNC_FLIP) latches at once only the
 * primary plane's ADDR_* and OFFSET (and its framebuffer planes' ADDR_*
 * and OFFSET), tearing allowed; any other difference of the primary's or
 * the head's shadow registers from the latched ones refuses it
 * (VPRIME_HEAD_ERR_ASYNC).  Other planes' shadow registers and a pending
 * UPDATE are left alone.
 */
/*
 * Variable refresh rate (VPRIME_DISP_CAP_VRR): with VPRIME_VRR_CTRL_ENABLE
 * latched, a frame lasts from one period of the mode (its refresh is the
 * fastest) to 10^12 / VRR_MIN_REFRESH ns (the slowest): the vblank after
 * a frame's start comes when an UPDATE is written, but not before the
 * shortest period, and at the longest period without one.
 */
#define VPRIME_VRR_CTRL_ENABLE          (1u << 0)

/*
 * VPRIME_HEAD_OUTPUT_BPC (VPRIME_DISP_CAP_OUTPUT_BPC): the colour depth of
 * the link to the pipe's outputs, in bits per component.  The engine
 * composes in 8 bits; at 6 it truncates each component to its top 6 bits
 * (no dithering) in what the outputs show and in HEAD_CRC, at 10 and 12
 * it sends the 8-bit frame unchanged.  Writeback taps the pipe before the
 * link: it always gets the 8-bit frame.  Other values are refused at the
 * latch (VPRIME_HEAD_ERR_BPC).
 */
#define VPRIME_BPC_6                    6
#define VPRIME_BPC_8                    8
#define VPRIME_BPC_10                   10
#define VPRIME_BPC_12                   12
#define VPRIME_BPC_DEFAULT              VPRIME_BPC_8    /* reset value */
#define VPRIME_BPC_6_MASK               0xfcu   /* the 8-bit component bits a 6-bit link keeps */

#define VPRIME_HEAD_UPDATE_LATCH        (1u << 0)
#define VPRIME_HEAD_UPDATE_ASYNC        (1u << 1)

#define VPRIME_HEAD_STATUS_CONNECTED    (1u << 0)   /* a monitor is plugged in */
#define VPRIME_HEAD_STATUS_ACTIVE       (1u << 1)   /* the latched configuration has the head on */
#define VPRIME_HEAD_STATUS_PENDING      (1u << 2)   /* an UPDATE waits for the next vblank */

#define VPRIME_HEAD_EV_VBLANK           (1u << 0)
#define VPRIME_HEAD_EV_FLIP_DONE        (1u << 1)   /* an UPDATE was latched */
#define VPRIME_HEAD_EV_HOTPLUG          (1u << 2)   /* CONNECTED changed */
#define VPRIME_HEAD_EV_UNDERRUN         (1u << 3)   /* a plane could not be fetched for a frame */
#define VPRIME_HEAD_EV_ERROR            (1u << 4)   /* a latched configuration was refused */
#define VPRIME_HEAD_EV_WB_DONE          (1u << 5)   /* a writeback job ended: VPRIME_HEAD_WB_STATUS */
#define VPRIME_HEAD_EV_VALID_MASK       0x3fu

/* VPRIME_HEAD_ERROR: reason in bits 7:0, plane in bits 15:8 (0xff: the head) */
#define VPRIME_HEAD_ERR_MODE            1   /* mode size, totals or clock out of range */
#define VPRIME_HEAD_ERR_FORMAT          2   /* unknown VPRIME_FMT_* */
#define VPRIME_HEAD_ERR_LAYOUT          3   /* unknown layout */
#define VPRIME_HEAD_ERR_PITCH           4   /* pitch below a row, or not a pixel (tiled: tile width) multiple */
#define VPRIME_HEAD_ERR_RECT            5   /* source outside the buffer or destination outside the mode */
#define VPRIME_HEAD_ERR_FB_SIZE         6   /* zero, or above VPRIME_DISP_FB_MAX */
#define VPRIME_HEAD_ERR_ALIGN           7   /* buffer, page list, page or tiled offset misaligned */
#define VPRIME_HEAD_ERR_PAGE_LIST       8   /* the page list could not be read by DMA */
#define VPRIME_HEAD_ERR_DMA_MASK        9   /* an address beyond VPRIME_DISP_DMA_BITS */
#define VPRIME_HEAD_ERR_CONTIG          10  /* a page list on a contiguous-only engine */
#define VPRIME_HEAD_ERR_CONTROL         11  /* reserved control bits */
#define VPRIME_HEAD_ERR_ZPOS            12  /* ZPOS above VPRIME_PL_ZPOS_MAX */
#define VPRIME_HEAD_ERR_SCALE           13  /* DST_SIZE against SIZE beyond the plane's scaling limits */
#define VPRIME_HEAD_ERR_BLEND           14  /* reserved BLEND bits or an unknown blend mode */
#define VPRIME_HEAD_ERR_LAYOUT_UNSUPPORTED 15 /* a known layout not in the plane's VPRIME_PL_LAYOUTS */
#define VPRIME_HEAD_ERR_COLOUR          20  /* colour block misaligned, beyond the DMA bits or unreadable */
#define VPRIME_HEAD_ERR_WB_DMA          21  /* writeback page list unreadable or buffer unwritable by DMA */
#define VPRIME_HEAD_ERR_WB_CONFIG       22  /* writeback job refused: format, size, pitch, buffer, alignment */
#define VPRIME_HEAD_ERR_ROUTE_BUSY      25  /* ROUTE names an output another head that is on drives */
#define VPRIME_HEAD_ERR_ROUTE           26  /* ROUTE names an output the engine does not have */
#define VPRIME_HEAD_ERR_ASYNC           23  /* async UPDATE: head or primary off, or more than the address changed */
#define VPRIME_HEAD_ERR_VRR             24  /* reserved VRR_CONTROL bits, or VRR_MIN_REFRESH out of range */
#define VPRIME_HEAD_ERR_BPC             27  /* OUTPUT_BPC not 6, 8, 10 or 12 */
#define VPRIME_HEAD_ERR_PLANE_SHIFT     8
#define VPRIME_HEAD_ERR_PLANE_HEAD      0xff

/*
 * Planes of a head, composed bottom to top by ZPOS, ties by this index.
 * The second overlay came last, so the first three kept their registers.
 */
#define VPRIME_PLANE_PRIMARY            0
#define VPRIME_PLANE_OVERLAY            1
#define VPRIME_PLANE_CURSOR             2
#define VPRIME_PLANE_OVERLAY2           3
#define VPRIME_DISP_PLANES              4
#define VPRIME_PLANE_BASE(p)            (0x100 + (p) * 0x40)

#define VPRIME_PL_CONTROL               0x00    /* VPRIME_PL_CTRL_* */
#define VPRIME_PL_FORMAT                0x04    /* VPRIME_FMT_* */
#define VPRIME_PL_LAYOUT                0x08    /* VPRIME_LAYOUT_* */
#define VPRIME_PL_PITCH                 0x0c    /* bytes per row (tiled: as for the GPU, a tile width multiple) */
#define VPRIME_PL_ADDR_LO               0x10    /* page list DMA address (CONTIG: the buffer's) */
#define VPRIME_PL_ADDR_HI               0x14
#define VPRIME_PL_FB_SIZE               0x18    /* buffer bytes; the page list has one entry per 4 KiB */
#define VPRIME_PL_OFFSET                0x1c    /* byte offset of pixel (0, 0) in the buffer */
#define VPRIME_PL_SRC_POS               0x20    /* x | y << 16: first source pixel */
#define VPRIME_PL_SIZE                  0x24    /* w | h << 16: the source rectangle's size */
#define VPRIME_PL_DST_POS               0x28    /* x | y << 16 on the head's mode */
#define VPRIME_PL_ZPOS                  0x2c    /* stacking order, lower first */
#define VPRIME_PL_DST_SIZE              0x30    /* w | h << 16 on the head's mode; 0: SIZE (no scaling) */
#define VPRIME_PL_BLEND                 0x34    /* with CTRL_BLEND: plane alpha 15:0, VPRIME_BLEND_* << 16 */
#define VPRIME_PL_YUV                   0x38    /* YUV formats: VPRIME_PL_YUV_* */
#define VPRIME_PL_LAYOUTS               0x3c    /* RO: VPRIME_LAYOUT_BIT()s the plane scans */
#define VPRIME_PL_ZPOS_MAX              255
#define VPRIME_PL_REGS_SIZE             0x40

/* VPRIME_PL_YUV: how a YUV format's samples become RGB (DRM's COLOR_*) */
#define VPRIME_PL_YUV_BT709             (1u << 0)   /* COLOR_ENCODING BT.709; clear: BT.601 */
#define VPRIME_PL_YUV_FULL              (1u << 1)   /* COLOR_RANGE full; clear: limited */
#define VPRIME_PL_YUV_VALID_MASK        0x3u

/*
 * Display-only formats (the GPUs do not take them): 4:2:0 YUV, 8 bits per
 * sample, in two (NV12: Y, then interleaved U V) or three (YUV420: Y, U,
 * V) framebuffer planes.  Framebuffer plane 0 is the plane's own
 * ADDR/FB_SIZE/PITCH/OFFSET; planes 1 and 2 have theirs in the head's
 * block of framebuffer-plane registers below.  Linear only; not the
 * cursor.
 */
#define VPRIME_FMT_NV12                 16
#define VPRIME_FMT_YUV420               17

/*
 * Framebuffer planes 1 and 2 of plane p of head h, at
 * VPRIME_FBP_BASE(h, p, i): the same meaning as the plane's own
 * ADDR/FB_SIZE/PITCH/OFFSET for framebuffer plane 0, shadow registers
 * latched with the plane's, with the plane's CONTIG
 */
#define VPRIME_FBP_HEAD_BASE(h)         (0x3000 + (h) * 0x400)
#define VPRIME_FBP_BASE(h, p, i)        (VPRIME_FBP_HEAD_BASE(h) + (p) * 0x40 + \
                                         ((i) - 1) * 0x20)
#define VPRIME_FBP_ADDR_LO              0x00
#define VPRIME_FBP_ADDR_HI              0x04
#define VPRIME_FBP_FB_SIZE              0x08
#define VPRIME_FBP_PITCH                0x0c
#define VPRIME_FBP_OFFSET               0x10
#define VPRIME_FBP_REGS_SIZE            0x20
#define VPRIME_FBP_HEAD_SIZE            0x400
#define VPRIME_FBP_PLANES               3   /* framebuffer planes at most */

#define VPRIME_PL_CTRL_ENABLE           (1u << 0)
#define VPRIME_PL_CTRL_CONTIG           (1u << 1)   /* ADDR is the buffer itself, not a page list */
#define VPRIME_PL_CTRL_NEAREST          (1u << 2)   /* scale by nearest neighbour; clear: bilinear */
#define VPRIME_PL_CTRL_ROTATE_SHIFT     3           /* bits 4:3: counter-clockwise quarter turns */
#define VPRIME_PL_CTRL_ROTATE_MASK      (3u << 3)
#define VPRIME_PL_CTRL_ROTATE_0         (0u << 3)
#define VPRIME_PL_CTRL_ROTATE_90        (1u << 3)
#define VPRIME_PL_CTRL_ROTATE_180       (2u << 3)
#define VPRIME_PL_CTRL_ROTATE_270       (3u << 3)
#define VPRIME_PL_CTRL_REFLECT_X        (1u << 5)   /* mirror left-right, before rotating */
#define VPRIME_PL_CTRL_REFLECT_Y        (1u << 6)   /* mirror top-bottom, before rotating */
#define VPRIME_PL_CTRL_BLEND            (1u << 7)   /* blend by VPRIME_PL_BLEND; clear: opaque pre-multiplied */
#define VPRIME_PL_CTRL_VALID_MASK       0xffu
/* The cursor neither scales nor rotates: its other bits are reserved */
#define VPRIME_PL_CTRL_CURSOR_MASK      0x3u

/* VPRIME_PL_BLEND: DRM's "pixel blend mode" (bits 17:16), plane alpha (15:0) */
#define VPRIME_BLEND_ALPHA_MASK         0xffffu     /* 0 transparent .. 0xffff opaque */
#define VPRIME_BLEND_MODE_SHIFT         16
#define VPRIME_BLEND_PREMULTI           0   /* colour already multiplied by its alpha */
#define VPRIME_BLEND_COVERAGE           1   /* colour not multiplied: the engine does */
#define VPRIME_BLEND_NONE               2   /* the pixel's alpha ignored */
#define VPRIME_BLEND_VALID_MASK         0x3ffffu

/*
 * Scaling limits of the primary and overlay planes, per axis: the
 * destination is at most VPRIME_DISP_SCALE_UP times the source and at
 * least 1 / VPRIME_DISP_SCALE_DOWN of it.  The cursor does not scale.
 */
#define VPRIME_DISP_SCALE_UP            8
#define VPRIME_DISP_SCALE_DOWN          4

/*
 * A page list is an array of little-endian u64 DMA addresses, one per 4 KiB
 * page of the buffer, 8-byte aligned; every entry is 4 KiB aligned.
 */
#define VPRIME_DISP_PAGE_SIZE           4096u
#define VPRIME_DISP_FB_MAX              (256u << 20)
#define VPRIME_DISP_MAX_DIM             8192    /* mode and plane width and height */
#define VPRIME_DISP_CURSOR_MAX          256     /* cursor plane width and height */
#define VPRIME_DISP_REFRESH_MIN_MILLIHZ 1000    /* slowest vblank rate, mHz */
#define VPRIME_DISP_REFRESH_MAX_MILLIHZ 240000  /* fastest, mHz */
#define VPRIME_DISP_VRR_EDID_MIN_HZ     40      /* the EDID range's slowest refresh (not eDP) */

/*
 * Colour pipeline of a head (VPRIME_DISP_CAP_COLOUR), applied to the
 * composed frame: degamma LUT, colour transformation matrix, gamma LUT,
 * each on when its VPRIME_COLOUR_CTRL_* bit is.  The tables are in guest
 * memory, in one colour block at COLOUR_ADDR (8-byte aligned), which the
 * engine reads by DMA when it latches (only the parts that are on):
 *   VPRIME_COLOUR_DEGAMMA  VPRIME_COLOUR_LUT_SIZE entries of DRM's
 *                          struct drm_color_lut: red, green, blue,
 *                          reserved, little-endian u16 each
 *   VPRIME_COLOUR_GAMMA    the same
 *   VPRIME_COLOUR_CTM      DRM's struct drm_color_ctm: 9 little-endian
 *                          S31.32 sign-magnitude u64, row-major (out R
 *                          first)
 * The arithmetic, exactly, is in hw/vprime-spec.rst ("Colour").
 */
#define VPRIME_COLOUR_CTRL_DEGAMMA      (1u << 0)
#define VPRIME_COLOUR_CTRL_CTM          (1u << 1)
#define VPRIME_COLOUR_CTRL_GAMMA        (1u << 2)
#define VPRIME_COLOUR_CTRL_VALID_MASK   0x7u
#define VPRIME_COLOUR_LUT_SIZE          256
#define VPRIME_COLOUR_LUT_ENTRY         8
#define VPRIME_COLOUR_DEGAMMA           0x0000
#define VPRIME_COLOUR_GAMMA             0x0800
#define VPRIME_COLOUR_CTM               0x1000
#define VPRIME_COLOUR_BLOCK_SIZE        0x1048
/* CTM magnitudes the engine uses, at most (just under 8.0) */
#define VPRIME_COLOUR_CTM_MAG_MAX       ((1ull << 35) - 1)

/*
 * Writeback (VPRIME_DISP_CAP_WRITEBACK): a job programmed in the WB_*
 * shadow registers with WB_CONTROL ENABLE is latched by an UPDATE like a
 * plane (ENABLE is consumed: one UPDATE, one job).  The frame that latch
 * shows is written, as composed and after colour (what the CRC covers),
 * into the buffer: WB_SIZE must be the mode's size; rows at WB_OFFSET +
 * y * WB_PITCH; the buffer is a page list (same rules as a plane's) or
 * contiguous (CONTIG).  Every job ends with EV_WB_DONE: WB_STATUS says
 * whether it was written (DONE) or refused or failed (ERROR, with the
 * VPRIME_HEAD_ERR_WB_* in WB_STATUS bits 15:8 and in HEAD_ERROR).
 */
#define VPRIME_WB_CTRL_ENABLE           (1u << 0)
#define VPRIME_WB_CTRL_CONTIG           (1u << 1)
#define VPRIME_WB_CTRL_VALID_MASK       0x3u
#define VPRIME_WB_STATUS_PENDING        (1u << 0)   /* a job waits for its frame */
#define VPRIME_WB_STATUS_DONE           (1u << 1)   /* the latest job wrote its frame whole */
#define VPRIME_WB_STATUS_ERROR          (1u << 2)   /* the latest job was refused or failed */
#define VPRIME_WB_STATUS_ERR_SHIFT      8

#define VPRIME_XY(x, y)                 (((uint32_t)(x) & 0xffff) | ((uint32_t)(y) << 16))
#define VPRIME_X(v)                     ((v) & 0xffff)
#define VPRIME_Y(v)                     ((v) >> 16)

#endif /* VPRIME_REGS_H */
