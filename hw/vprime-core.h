/*
 * vprime: register block and interrupt logic common to every vprime device
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VPRIME_CORE_H
#define HW_VPRIME_CORE_H

#include "hw/pci/pci_device.h"
#include "ui/qemu-pixman.h"
#include "vprime_regs.h"

/*
 * What a device model adds to the common block: its own registers from
 * VPRIME_COMMON_REGS_END up (read/write return false for an offset they do
 * not decode, which the core reports as a bad access), and its reset, used
 * by both the system reset and the RESET register.
 */
typedef struct VPrimeCoreOps {
    bool (*read)(void *opaque, hwaddr addr, uint64_t *val);
    bool (*write)(void *opaque, hwaddr addr, uint64_t val);
    void (*reset)(void *opaque);
    void (*stats_reset)(void *opaque);  /* the device's own stat-* counters */
} VPrimeCoreOps;

/*
 * Told that guest memory at [addr, addr + len) of the device's DMA address
 * space may no longer be what a kept mapping points at (len 0: all of it).
 */
typedef void VPrimeDmaInvalidate(void *opaque, dma_addr_t addr, uint64_t len);

/* One vIOMMU region the device's DMA goes through, and our notifier on it */
typedef struct VPrimeIommuWatch {
    IOMMUNotifier n;
    MemoryRegion *mr;
    hwaddr offset;              /* address space address - IOVA */
    struct VPrimeCore *core;
    QLIST_ENTRY(VPrimeIommuWatch) next;
} VPrimeIommuWatch;

/*
 * The common register block (VPRIME_REG_ID .. VPRIME_COMMON_REGS_END), BAR 0
 * and the interrupt state behind them.  Each device model embeds one.
 */
typedef struct VPrimeCore {
    /* identity, fixed at realize */
    PCIDevice *pdev;
    const char *name;
    const VPrimeCoreOps *ops;
    void *opaque;
    MemoryRegion mmio;
    uint32_t kind;
    uint32_t caps;
    uint64_t vram_size;
    uint32_t num_heads;
    uint32_t msix_vectors;
    uint32_t irq_valid;         /* VPRIME_IRQ_* causes this device has */

    /* registers */
    uint32_t scratch;
    uint32_t irq_status;
    uint32_t irq_enable;
    uint32_t error;
    uint32_t error_addr;

    /* statistics: QOM properties stat-*, reset by setting stats-reset */
    uint64_t stat_irqs;             /* MSI-X messages and INTx assertions */
    uint64_t stat_guest_errors;     /* bad accesses by the guest */
    uint64_t stat_injected_faults;  /* faults injected by the host */
    bool intx_level;

    /* host side: DMA mappings a device keeps (vprime_core_dma_watch) */
    MemoryListener dma_listener;
    QLIST_HEAD(, VPrimeIommuWatch) dma_iommus;
    VPrimeDmaInvalidate *dma_invalidate;
    void *dma_opaque;
    bool dma_watching;
    bool dma_unwatched;         /* a vIOMMU refused our notifier */
} VPrimeCore;

extern const VMStateDescription vmstate_vprime_core;

#define VMSTATE_VPRIME_CORE(_field, _state) \
    VMSTATE_STRUCT(_field, _state, 1, vmstate_vprime_core, VPrimeCore)

/*
 * From instance_init: the QOM properties every device has (stat-irqs,
 * stat-guest-errors, stat-injected-faults, stats-reset, inject-error), so
 * that introspection lists them before realize.
 */
void vprime_core_instance_init(VPrimeCore *core, Object *obj);

/*
 * Refuse a migration stream: report why (printf-style) for device 'dev'
 * and return -EINVAL, for a post_load to return.
 */
int vprime_load_refuse(const char *dev, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

void vprime_core_init(VPrimeCore *core, PCIDevice *pdev, const char *name,
                      uint32_t kind, uint32_t caps);
/*
 * Set up BAR 0 (common block + the device's registers through ops), MSI-X
 * and the PCIe capability; called from realize.
 */
bool vprime_core_realize(VPrimeCore *core, const VPrimeCoreOps *ops,
                         void *opaque, Error **errp);
void vprime_core_exit(VPrimeCore *core);
/* Reset the common registers; part of every device's reset. */
void vprime_core_reset(VPrimeCore *core);
/* PCI identity every vprime device shares. */
void vprime_core_class_init(PCIDeviceClass *pc);

/* Where a DMA address lands, for the byte counters of every device */
typedef enum VPrimeDmaTarget {
    VPRIME_DMA_SYSRAM,          /* guest RAM */
    VPRIME_DMA_PEER,            /* a PCI device's BAR (e.g. dGPU VRAM) */
    VPRIME_DMA_OTHER,           /* anything else: ROM, MMIO, unassigned */
    VPRIME_DMA__MAX,
} VPrimeDmaTarget;

/*
 * Classify a DMA address of the device, through its address space (so a
 * vIOMMU translates it first).  Only for counting: the access itself
 * still goes through pci_dma_*.
 */
VPrimeDmaTarget vprime_core_dma_target(VPrimeCore *core, dma_addr_t addr,
                                       bool is_write);

/*
 * Direct access to guest memory for DMA, as address_space_map() gives it
 * but never through a bounce buffer: map [addr, addr + *len) of the
 * device's DMA address space (through the vIOMMU, if any) and shorten *len
 * to the part that is one run of host memory.  NULL, with *len the length
 * of the region there, when addr is not memory the host can touch directly
 * (MMIO, or nothing: a vIOMMU fault, which the vIOMMU has then recorded);
 * the caller then goes through pci_dma_read/write, which reports the
 * error.  *kind says where the run landed, for the byte counters.  Every
 * mapping is given back with vprime_core_dma_unmap(); access_len is what
 * was written (the host marks it dirty and drops stale translated code).
 */
void *vprime_core_dma_map(VPrimeCore *core, dma_addr_t addr, dma_addr_t *len,
                          bool is_write, VPrimeDmaTarget *kind);
void vprime_core_dma_unmap(VPrimeCore *core, void *ptr, dma_addr_t len,
                           bool is_write, dma_addr_t access_len);

/*
 * Mappings kept beyond one access (the display engine keeps a plane's
 * buffer mapped from frame to frame) must go when the memory behind them
 * does: cb hears of every vIOMMU invalidation (an UNMAP notifier on each
 * vIOMMU region of the device's DMA address space) and of every part of
 * that address space that goes away (a BAR moved, bus mastering turned
 * off, a device unplugged, the vIOMMU switched on or off).  Starts on the
 * first call, once the machine's DMA address spaces exist.  Returns false
 * when the device must keep no mapping: a vIOMMU that refuses UNMAP
 * notifiers (it cannot say when its mappings change).
 */
bool vprime_core_dma_watch(VPrimeCore *core, VPrimeDmaInvalidate *cb,
                           void *opaque);
void vprime_core_dma_unwatch(VPrimeCore *core);

/* Latch an error, log it as a guest error and raise VPRIME_IRQ_ERROR. */
void vprime_core_guest_error(VPrimeCore *core, uint32_t err, hwaddr addr,
                             const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Latch an error the device itself detected and raise VPRIME_IRQ_ERROR. */
void vprime_core_report(VPrimeCore *core, uint32_t err);
/*
 * Set interrupt causes in IRQ_STATUS and signal the enabled ones.  A
 * function powered down (D3hot, see vprime_core_powered_down()) signals
 * nothing and records nothing: it has no PME, and leaving D3hot resets it.
 */
void vprime_core_raise(VPrimeCore *core, uint32_t causes);
/*
 * Is the function out of D0 in its PCI Power Management capability?  Its
 * BARs are then not decoded (the PCI core unmaps them) and its engine is
 * stopped.  False for a device without the capability.
 */
bool vprime_core_powered_down(VPrimeCore *core);

/* Bytes per pixel of a VPRIME_FMT_* (GPU and display alike); 0 if unknown. */
uint32_t vprime_format_cpp(uint32_t format);
/* The pixman format of a known VPRIME_FMT_* (GPU and display alike) */
pixman_format_code_t vprime_format_pixman(uint32_t format);

/*
 * The one generator behind every seeded choice of the models (GPU timing
 * jitter, fault probabilities and jitter): the next number from *state,
 * which the caller seeds with the seed property itself (any value, 0
 * too).  Its whole state is one uint64_t, so VMState carries it and a
 * migrated GPU continues the same sequence; glib's GRand keeps its state
 * opaque, which is why it is not used here.
 */
uint64_t vprime_rand(uint64_t *state);

#endif
