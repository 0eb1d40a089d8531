/*
 * vprime: register block and interrupt logic common to every vprime device
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/rcu.h"
#include "exec/memory.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "migration/vmstate.h"
#include "vprime-core.h"
#include "trace.h"

/* ---- migration -------------------------------------------------------- */

int vprime_load_refuse(const char *dev, const char *fmt, ...)
{
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("%s: migration stream refused: %s", dev, why);
    return -EINVAL;
}

/*
 * Every value from a migration stream is checked before the device uses
 * it, as virtio-gpu's load path does: a stream is as hostile as the guest.
 */
static int vprime_core_post_load(void *opaque, int version_id)
{
    VPrimeCore *core = opaque;
    g_autofree char *why = NULL;

    if (core->irq_status & ~core->irq_valid) {
        why = g_strdup_printf("IRQ_STATUS 0x%x has causes outside 0x%x",
                              core->irq_status, core->irq_valid);
    } else if (core->irq_enable & ~core->irq_valid) {
        why = g_strdup_printf("IRQ_ENABLE 0x%x has causes outside 0x%x",
                              core->irq_enable, core->irq_valid);
    } else if (core->error & ~VPRIME_ERR_VALID_MASK) {
        why = g_strdup_printf("ERROR 0x%x has bits outside 0x%x", core->error,
                              VPRIME_ERR_VALID_MASK);
    } else if (core->error_addr >= VPRIME_MMIO_SIZE) {
        why = g_strdup_printf("ERROR_ADDR 0x%x is beyond the register window",
                              core->error_addr);
    }
    if (why) {
        vprime_core_reset(core);
        return vprime_load_refuse(core->name, "%s", why);
    }
    /* the line itself is in the PCI device's state; this is its mirror */
    core->intx_level = !msix_enabled(core->pdev) &&
                       (core->irq_status & core->irq_enable);
    return 0;
}

const VMStateDescription vmstate_vprime_core = {
    .name = "vprime-core",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = vprime_core_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(scratch, VPrimeCore),
        VMSTATE_UINT32(irq_status, VPrimeCore),
        VMSTATE_UINT32(irq_enable, VPrimeCore),
        VMSTATE_UINT32(error, VPrimeCore),
        VMSTATE_UINT32(error_addr, VPrimeCore),
        VMSTATE_UINT64(stat_irqs, VPrimeCore),
        VMSTATE_UINT64(stat_guest_errors, VPrimeCore),
        VMSTATE_UINT64(stat_injected_faults, VPrimeCore),
        VMSTATE_END_OF_LIST()
    }
};

void vprime_core_init(VPrimeCore *core, PCIDevice *pdev, const char *name,
                      uint32_t kind, uint32_t caps)
{
    core->pdev = pdev;
    core->name = name;
    core->kind = kind;
    core->caps = caps | VPRIME_CAP_MSIX;
    core->irq_valid = VPRIME_IRQ_VALID_MASK;
}

static void vprime_core_set_stats_reset(Object *obj, Visitor *v,
                                        const char *name, void *opaque,
                                        Error **errp)
{
    VPrimeCore *core = opaque;
    bool val;

    if (!visit_type_bool(v, name, &val, errp)) {
        return;
    }
    if (val) {
        core->stat_irqs = 0;
        core->stat_guest_errors = 0;
        core->stat_injected_faults = 0;
        /* before realize the device's own counters are still 0 */
        if (core->ops && core->ops->stats_reset) {
            core->ops->stats_reset(core->opaque);
        }
    }
}

/*
 * Fault injection: the host latches VPRIME_ERR_INJECTED and raises the
 * error interrupt, as a device reporting an internal fault would.  The
 * value is how many faults to inject (1 for one).
 */
static void vprime_core_set_inject_error(Object *obj, Visitor *v,
                                         const char *name, void *opaque,
                                         Error **errp)
{
    VPrimeCore *core = opaque;
    uint32_t n;

    if (!visit_type_uint32(v, name, &n, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        error_setg(errp, "inject-error: the device is not realized yet");
        return;
    }
    if (n > 1000) {
        error_setg(errp, "inject-error: at most 1000 faults at once, not %u", n);
        return;
    }
    while (n--) {
        trace_vprime_inject_fault(core->name, VPRIME_ERR_INJECTED);
        core->stat_injected_faults++;
        core->error |= VPRIME_ERR_INJECTED;
        vprime_core_raise(core, VPRIME_IRQ_ERROR);
    }
}

void vprime_core_instance_init(VPrimeCore *core, Object *obj)
{
    object_property_add_uint64_ptr(obj, "stat-irqs", &core->stat_irqs,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-guest-errors",
                                   &core->stat_guest_errors,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-injected-faults",
                                   &core->stat_injected_faults,
                                   OBJ_PROP_FLAG_READ);
    object_property_add(obj, "stats-reset", "bool", NULL,
                        vprime_core_set_stats_reset, NULL, core);
    object_property_set_description(obj, "stats-reset",
                                    "true clears every stat-* counter");
    object_property_add(obj, "inject-error", "uint32", NULL,
                        vprime_core_set_inject_error, NULL, core);
    object_property_set_description(obj, "inject-error",
                                    "latch VPRIME_ERR_INJECTED N times");
}

static uint64_t vprime_core_read(VPrimeCore *core, hwaddr addr);
static bool vprime_core_write(VPrimeCore *core, hwaddr addr, uint64_t val);

static uint64_t vprime_core_mmio_read(void *opaque, hwaddr addr,
                                      unsigned size)
{
    VPrimeCore *core = opaque;
    uint64_t val = 0;

    if (addr < VPRIME_COMMON_REGS_END) {
        val = vprime_core_read(core, addr);
    } else if (!core->ops->read || !core->ops->read(core->opaque, addr, &val)) {
        vprime_core_guest_error(core, VPRIME_ERR_BAD_ACCESS, addr,
                                "read of unknown register 0x%" HWADDR_PRIx,
                                addr);
        val = 0;
    }
    trace_vprime_mmio_read(core->name, addr, val);
    return val;
}

static void vprime_core_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                   unsigned size)
{
    VPrimeCore *core = opaque;

    trace_vprime_mmio_write(core->name, addr, val);
    if (addr < VPRIME_COMMON_REGS_END) {
        if (vprime_core_write(core, addr, val)) {
            core->ops->reset(core->opaque);
        }
    } else if (!core->ops->write || !core->ops->write(core->opaque, addr, val)) {
        vprime_core_guest_error(core, VPRIME_ERR_BAD_ACCESS, addr,
                                "write 0x%" PRIx64 " to unknown register "
                                "0x%" HWADDR_PRIx, val, addr);
    }
}

static const MemoryRegionOps vprime_core_mmio_ops = {
    .read = vprime_core_mmio_read,
    .write = vprime_core_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

bool vprime_core_realize(VPrimeCore *core, const VPrimeCoreOps *ops,
                         void *opaque, Error **errp)
{
    PCIDevice *pdev = core->pdev;
    unsigned i;

    core->ops = ops;
    core->opaque = opaque;
    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&core->mmio, OBJECT(pdev), &vprime_core_mmio_ops,
                          core, core->name, VPRIME_MMIO_SIZE);
    pci_register_bar(pdev, VPRIME_BAR_MMIO, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &core->mmio);

    if (msix_init_exclusive_bar(pdev, core->msix_vectors, VPRIME_BAR_MSIX,
                                errp)) {
        return false;
    }
    for (i = 0; i < core->msix_vectors; i++) {
        msix_vector_use(pdev, i);
    }

    /*
     * PCI Express only: an integrated endpoint on the q35 root complex
     * (as an iGPU is) or an endpoint behind a root port (as a dGPU is).
     */
    if (pcie_endpoint_cap_init(pdev, 0) < 0) {
        error_setg(errp, "%s: cannot add the PCIe capability", core->name);
        msix_uninit_exclusive_bar(pdev);
        return false;
    }
    return true;
}

void vprime_core_class_init(PCIDeviceClass *pc)
{
    pc->vendor_id = VPRIME_PCI_VENDOR_ID;
    pc->subsystem_vendor_id = VPRIME_PCI_SUBVENDOR_ID;
    pc->subsystem_id = VPRIME_PCI_SUBSYSTEM_ID;
    pc->revision = VPRIME_PCI_REVISION;
}

void vprime_core_exit(VPrimeCore *core)
{
    msix_uninit_exclusive_bar(core->pdev);
}

/* The one place that drives interrupt lines: status and line never disagree. */
static void vprime_core_update_intx(VPrimeCore *core)
{
    bool level = !msix_enabled(core->pdev) &&
                 (core->irq_status & core->irq_enable);

    if (level && !core->intx_level) {
        core->stat_irqs++;
    }
    core->intx_level = level;
    pci_set_irq(core->pdev, level);
}

/* MSI-X vector of an interrupt cause */
static unsigned vprime_cause_vector(uint32_t cause)
{
    if (cause & VPRIME_IRQ_VALID_MASK) {
        return VPRIME_MSIX_VEC_MISC;
    }
    return ctz32(cause) - VPRIME_IRQ_VECTOR_SHIFT + 1;
}

bool vprime_core_powered_down(VPrimeCore *core)
{
    PCIDevice *pdev = core->pdev;

    return (pdev->cap_present & QEMU_PCI_CAP_PM) &&
           (pci_get_word(pdev->config + pdev->pm_cap + PCI_PM_CTRL) &
            PCI_PM_CTRL_STATE_MASK);
}

void vprime_core_raise(VPrimeCore *core, uint32_t causes)
{
    uint32_t fire;

    if (vprime_core_powered_down(core)) {
        return;
    }
    causes &= core->irq_valid;
    core->irq_status |= causes;
    trace_vprime_irq_raise(core->name, causes, core->irq_status,
                           core->irq_enable);
    fire = causes & core->irq_enable;
    if (msix_enabled(core->pdev)) {
        bool misc_sent = false;

        /* MSI-X is edge triggered: one message per event and vector */
        while (fire) {
            uint32_t cause = fire & -fire;
            unsigned vec = vprime_cause_vector(cause);

            fire &= ~cause;
            if (vec == VPRIME_MSIX_VEC_MISC) {
                if (misc_sent) {
                    continue;
                }
                misc_sent = true;
            }
            trace_vprime_msix_notify(core->name, vec);
            core->stat_irqs++;
            msix_notify(core->pdev, vec);
        }
    }
    vprime_core_update_intx(core);
}

/* The kind of memory a translated DMA address landed in */
static VPrimeDmaTarget dma_target_of(MemoryRegion *mr)
{
    if (mr->owner && object_dynamic_cast(mr->owner, TYPE_PCI_DEVICE)) {
        return VPRIME_DMA_PEER;
    }
    if (memory_region_is_ram(mr) && !memory_region_is_rom(mr)) {
        return VPRIME_DMA_SYSRAM;
    }
    return VPRIME_DMA_OTHER;
}

VPrimeDmaTarget vprime_core_dma_target(VPrimeCore *core, dma_addr_t addr,
                                       bool is_write)
{
    AddressSpace *as = pci_get_address_space(core->pdev);
    hwaddr xlat, len = 1;
    MemoryRegion *mr;

    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(as, addr, &xlat, &len, is_write,
                                 MEMTXATTRS_UNSPECIFIED);
    return dma_target_of(mr);
}

/* ---- DMA: direct mappings --------------------------------------------- */

void *vprime_core_dma_map(VPrimeCore *core, dma_addr_t addr, dma_addr_t *len,
                          bool is_write, VPrimeDmaTarget *kind)
{
    AddressSpace *as = pci_get_address_space(core->pdev);
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    hwaddr xlat, plen = *len;
    bool direct;
    void *p;

    /*
     * address_space_map() would hand back a bounce buffer for anything
     * that is not plain memory, even an address that does not translate
     * (filled by a read whose error it drops): look first, once, so that
     * a vIOMMU records a fault once.
     */
    WITH_RCU_READ_LOCK_GUARD() {
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &plen,
                                                   is_write, attrs);

        *kind = dma_target_of(mr);
        direct = memory_access_is_direct(mr, is_write, attrs);
    }
    if (!direct) {
        *len = plen;
        return NULL;
    }
    plen = *len;
    p = address_space_map(as, addr, &plen, is_write, attrs);
    if (!p) {
        return NULL;
    }
    *len = plen;
    return p;
}

void vprime_core_dma_unmap(VPrimeCore *core, void *ptr, dma_addr_t len,
                           bool is_write, dma_addr_t access_len)
{
    address_space_unmap(pci_get_address_space(core->pdev), ptr, len,
                        is_write, access_len);
}

/* ---- DMA: knowing when kept mappings go stale ------------------------- */

static void dma_invalidate(VPrimeCore *core, hwaddr addr, Int128 len)
{
    uint64_t n = int128_gethi(len) ? 0 : int128_getlo(len);

    if (!core->dma_watching) {
        return;     /* vprime_core_dma_unwatch(): the device keeps nothing */
    }
    trace_vprime_dma_invalidate(core->name, addr, n);
    core->dma_invalidate(core->dma_opaque, addr, n);
}

static void dma_iommu_unmapped(IOMMUNotifier *n, IOMMUTLBEntry *iotlb)
{
    VPrimeIommuWatch *w = container_of(n, VPrimeIommuWatch, n);

    dma_invalidate(w->core, iotlb->iova + w->offset,
                   int128_add(int128_make64(iotlb->addr_mask),
                              int128_one()));
}

static void dma_region_add(MemoryListener *listener,
                           MemoryRegionSection *section)
{
    VPrimeCore *core = container_of(listener, VPrimeCore, dma_listener);
    IOMMUMemoryRegion *iommu_mr;
    VPrimeIommuWatch *w;
    Error *err = NULL;
    Int128 last;

    if (!memory_region_is_iommu(section->mr)) {
        return;
    }
    iommu_mr = IOMMU_MEMORY_REGION(section->mr);
    last = int128_sub(int128_add(int128_make64(section->offset_within_region),
                                 section->size), int128_one());
    w = g_new0(VPrimeIommuWatch, 1);
    w->core = core;
    w->mr = section->mr;
    w->offset = section->offset_within_address_space -
                section->offset_within_region;
    iommu_notifier_init(&w->n, dma_iommu_unmapped, IOMMU_NOTIFIER_UNMAP,
                        section->offset_within_region, int128_get64(last),
                        memory_region_iommu_attrs_to_index(
                            iommu_mr, MEMTXATTRS_UNSPECIFIED));
    if (memory_region_register_iommu_notifier(section->mr, &w->n, &err)) {
        /* it cannot tell us of unmaps: keep no mapping from now on */
        warn_report_err(err);
        g_free(w);
        core->dma_unwatched = true;
        dma_invalidate(core, 0, int128_zero());
        return;
    }
    QLIST_INSERT_HEAD(&core->dma_iommus, w, next);
}

static void dma_region_del(MemoryListener *listener,
                           MemoryRegionSection *section)
{
    VPrimeCore *core = container_of(listener, VPrimeCore, dma_listener);
    VPrimeIommuWatch *w;

    if (memory_region_is_iommu(section->mr)) {
        QLIST_FOREACH(w, &core->dma_iommus, next) {
            if (w->mr == section->mr &&
                w->n.start == section->offset_within_region) {
                memory_region_unregister_iommu_notifier(w->mr, &w->n);
                QLIST_REMOVE(w, next);
                g_free(w);
                break;
            }
        }
    }
    dma_invalidate(core, section->offset_within_address_space, section->size);
}

bool vprime_core_dma_watch(VPrimeCore *core, VPrimeDmaInvalidate *cb,
                           void *opaque)
{
    if (!core->dma_watching) {
        core->dma_invalidate = cb;
        core->dma_opaque = opaque;
        core->dma_listener = (MemoryListener) {
            .name = core->name,
            .region_add = dma_region_add,
            .region_del = dma_region_del,
        };
        core->dma_watching = true;
        memory_listener_register(&core->dma_listener,
                                 pci_get_address_space(core->pdev));
    }
    return !core->dma_unwatched;
}

void vprime_core_dma_unwatch(VPrimeCore *core)
{
    VPrimeIommuWatch *w, *tmp;

    if (!core->dma_watching) {
        return;
    }
    core->dma_watching = false;
    /* this deletes every section: dma_region_del() drops the notifiers */
    memory_listener_unregister(&core->dma_listener);
    QLIST_FOREACH_SAFE(w, &core->dma_iommus, next, tmp) {
        memory_region_unregister_iommu_notifier(w->mr, &w->n);
        QLIST_REMOVE(w, next);
        g_free(w);
    }
    core->dma_unwatched = false;
}

void vprime_core_report(VPrimeCore *core, uint32_t err)
{
    core->error |= err;
    vprime_core_raise(core, VPRIME_IRQ_ERROR);
}

void vprime_core_guest_error(VPrimeCore *core, uint32_t err, hwaddr addr,
                             const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", core->name, msg);
    trace_vprime_guest_error(core->name, err, addr);
    core->stat_guest_errors++;
    core->error |= err;
    core->error_addr = addr;
    vprime_core_raise(core, VPRIME_IRQ_ERROR);
}

void vprime_core_reset(VPrimeCore *core)
{
    core->scratch = 0;
    core->irq_status = 0;
    core->irq_enable = 0;
    core->error = 0;
    core->error_addr = 0;
    vprime_core_update_intx(core);
    /* statistics are the host's, not the guest's: a reset keeps them */
}

static uint64_t vprime_core_read(VPrimeCore *core, hwaddr addr)
{
    switch (addr) {
    case VPRIME_REG_ID:
        return VPRIME_ID_MAGIC;
    case VPRIME_REG_VERSION:
        return VPRIME_VERSION;
    case VPRIME_REG_KIND:
        return core->kind;
    case VPRIME_REG_CAPS:
        return core->caps;
    case VPRIME_REG_VRAM_SIZE_LO:
        return (uint32_t)core->vram_size;
    case VPRIME_REG_VRAM_SIZE_HI:
        return core->vram_size >> 32;
    case VPRIME_REG_NUM_HEADS:
        return core->num_heads;
    case VPRIME_REG_MSIX_VECTORS:
        return core->msix_vectors;
    case VPRIME_REG_SCRATCH:
        return core->scratch;
    case VPRIME_REG_IRQ_STATUS:
        return core->irq_status;
    case VPRIME_REG_IRQ_ENABLE:
        return core->irq_enable;
    case VPRIME_REG_ERROR:
        return core->error;
    case VPRIME_REG_ERROR_ADDR:
        return core->error_addr;
    case VPRIME_REG_IRQ_RAISE:
    case VPRIME_REG_RESET:
        return 0; /* write-only */
    default:
        vprime_core_guest_error(core, VPRIME_ERR_BAD_ACCESS, addr,
                                "read of unknown register 0x%" HWADDR_PRIx,
                                addr);
        return 0;
    }
}

static bool vprime_core_write(VPrimeCore *core, hwaddr addr, uint64_t val)
{
    switch (addr) {
    case VPRIME_REG_SCRATCH:
        core->scratch = val;
        break;
    case VPRIME_REG_IRQ_STATUS:
        core->irq_status &= ~val;
        vprime_core_update_intx(core);
        break;
    case VPRIME_REG_IRQ_ENABLE:
        if (val & ~core->irq_valid) {
            vprime_core_guest_error(core, VPRIME_ERR_BAD_VALUE, addr,
                                    "IRQ_ENABLE: reserved bits 0x%" PRIx64,
                                    val & ~core->irq_valid);
            break;
        }
        core->irq_enable = val;
        vprime_core_update_intx(core);
        break;
    case VPRIME_REG_IRQ_RAISE:
        if (val & ~core->irq_valid) {
            vprime_core_guest_error(core, VPRIME_ERR_BAD_VALUE, addr,
                                    "IRQ_RAISE: reserved bits 0x%" PRIx64,
                                    val & ~core->irq_valid);
            break;
        }
        vprime_core_raise(core, val);
        break;
    case VPRIME_REG_ERROR:
        core->error &= ~val;
        break;
    case VPRIME_REG_RESET:
        if (val == VPRIME_RESET_MAGIC) {
            return true;
        }
        vprime_core_guest_error(core, VPRIME_ERR_BAD_VALUE, addr,
                                "RESET: wrong magic 0x%" PRIx64, val);
        break;
    case VPRIME_REG_ID:
    case VPRIME_REG_VERSION:
    case VPRIME_REG_KIND:
    case VPRIME_REG_CAPS:
    case VPRIME_REG_VRAM_SIZE_LO:
    case VPRIME_REG_VRAM_SIZE_HI:
    case VPRIME_REG_NUM_HEADS:
    case VPRIME_REG_MSIX_VECTORS:
    case VPRIME_REG_ERROR_ADDR:
        vprime_core_guest_error(core, VPRIME_ERR_BAD_ACCESS, addr,
                                "write 0x%" PRIx64 " to read-only register "
                                "0x%" HWADDR_PRIx, val, addr);
        break;
    default:
        vprime_core_guest_error(core, VPRIME_ERR_BAD_ACCESS, addr,
                                "write 0x%" PRIx64 " to unknown register "
                                "0x%" HWADDR_PRIx, val, addr);
        break;
    }
    return false;
}

uint32_t vprime_format_cpp(uint32_t format)
{
    switch (format) {
    case VPRIME_FMT_XRGB8888:
    case VPRIME_FMT_ARGB8888:
    case VPRIME_FMT_XBGR8888:
        return 4;
    case VPRIME_FMT_RGB565:
        return 2;
    default:
        return 0;
    }
}

pixman_format_code_t vprime_format_pixman(uint32_t format)
{
    switch (format) {
    case VPRIME_FMT_XRGB8888:
        return PIXMAN_x8r8g8b8;
    case VPRIME_FMT_ARGB8888:
        return PIXMAN_a8r8g8b8;   /* premultiplied, DRM's default blend */
    case VPRIME_FMT_XBGR8888:
        return PIXMAN_x8b8g8r8;
    default:
        g_assert(format == VPRIME_FMT_RGB565);
        return PIXMAN_r5g6b5;
    }
}

/*
 * splitmix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
 * generators", 2014): every seed, 0 included, starts a full sequence.
 */
uint64_t vprime_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
