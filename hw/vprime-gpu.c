/*
 * vprime GPUs: vprime-igpu (integrated, system memory only) and
 * vprime-dgpu (discrete, with VRAM behind a 64-bit prefetchable BAR).
 *
 * Both are one engine model (TYPE_VPRIME_GPU) with per-kind class data.
 * See hw/vprime-spec.rst for the programming interface.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "vprime-gpu.h"
#include "trace.h"

/*
 * Device reset: registers and engine state only.  The RESET register uses
 * this too, so unlike a PCI reset it leaves config space (BARs, MSI-X
 * table) alone, as a GPU's own reset does.
 */
static void vprime_gpu_reset(VPrimeGpuState *s)
{
    unsigned i;

    trace_vprime_reset(s->core.name);
    vprime_core_reset(&s->core);
    for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
        vprime_engine_reset(&s->engine[i]);
    }
    memset(s->ctx, 0, sizeof(s->ctx));
    s->ctx_select = 0;
    s->fault_ctx = 0;
    s->fault_addr = 0;
    s->fault_info = 0;
    vprime_gpu_tlb_invalidate(s, VPRIME_TLB_INVALIDATE_ALL);
    s->rng = s->seed;           /* the jitter sequence starts again */
}

static bool vprime_gpu_read(void *opaque, hwaddr addr, uint64_t *val)
{
    VPrimeGpuState *s = opaque;
    VPrimeGpuCtx *c = &s->ctx[s->ctx_select];

    if (addr >= VPRIME_ENGINE_BASE(0) &&
        addr < VPRIME_ENGINE_BASE(VPRIME_GPU_ENGINES)) {
        unsigned e = (addr - VPRIME_ENGINE_BASE(0)) / VPRIME_ENG_REGS_SIZE;

        return vprime_engine_read(&s->engine[e],
                                  addr - VPRIME_ENGINE_BASE(e), val);
    }
    switch (addr) {
    case VPRIME_REG_CTX_SELECT:
        *val = s->ctx_select;
        return true;
    case VPRIME_REG_CTX_PT_LO:
        *val = (uint32_t)c->pt_root;
        return true;
    case VPRIME_REG_CTX_PT_HI:
        *val = c->pt_root >> 32;
        return true;
    case VPRIME_REG_CTX_CONTROL:
        *val = c->enabled ? VPRIME_CTX_ENABLE : 0;
        return true;
    case VPRIME_REG_CTX_STATUS:
        *val = (c->enabled ? VPRIME_CTX_STATUS_ENABLED : 0) |
               (c->faulted ? VPRIME_CTX_STATUS_FAULTED : 0);
        return true;
    case VPRIME_REG_TLB_INVALIDATE:
        *val = 0;
        return true;
    case VPRIME_REG_FAULT_CTX:
        *val = s->fault_ctx;
        return true;
    case VPRIME_REG_FAULT_ADDR_LO:
        *val = (uint32_t)s->fault_addr;
        return true;
    case VPRIME_REG_FAULT_ADDR_HI:
        *val = s->fault_addr >> 32;
        return true;
    case VPRIME_REG_FAULT_INFO:
        *val = s->fault_info;
        return true;
    case VPRIME_REG_VRAM_USABLE_LO:
        *val = (uint32_t)(s->core.vram_size - s->vram_retired);
        return true;
    case VPRIME_REG_VRAM_USABLE_HI:
        *val = (s->core.vram_size - s->vram_retired) >> 32;
        return true;
    case VPRIME_REG_LAYOUTS:
        *val = VPRIME_GPU_GET_CLASS(s)->layouts;
        return true;
    }
    return false;
}

static bool vprime_gpu_bad(VPrimeGpuState *s, hwaddr addr, uint64_t val,
                           const char *why)
{
    vprime_core_guest_error(&s->core, VPRIME_ERR_BAD_VALUE, addr,
                            "0x%" PRIx64 " rejected: %s", val, why);
    return true;
}

static bool vprime_gpu_write(void *opaque, hwaddr addr, uint64_t val)
{
    VPrimeGpuState *s = opaque;
    VPrimeGpuCtx *c = &s->ctx[s->ctx_select];

    if (addr >= VPRIME_ENGINE_BASE(0) &&
        addr < VPRIME_ENGINE_BASE(VPRIME_GPU_ENGINES)) {
        unsigned e = (addr - VPRIME_ENGINE_BASE(0)) / VPRIME_ENG_REGS_SIZE;

        return vprime_engine_write(&s->engine[e],
                                   addr - VPRIME_ENGINE_BASE(e), val);
    }
    switch (addr) {
    case VPRIME_REG_CTX_SELECT:
        if (val >= VPRIME_GPU_MAX_CONTEXTS) {
            return vprime_gpu_bad(s, addr, val, "no such context");
        }
        s->ctx_select = val;
        return true;
    case VPRIME_REG_CTX_PT_LO:
        if (val % VPRIME_GPU_PAGE_SIZE) {
            return vprime_gpu_bad(s, addr, val, "page table not 4 KiB aligned");
        }
        c->pt_root = deposit64(c->pt_root, 0, 32, val);
        vprime_gpu_tlb_invalidate(s, s->ctx_select);
        return true;
    case VPRIME_REG_CTX_PT_HI:
        c->pt_root = deposit64(c->pt_root, 32, 32, val);
        vprime_gpu_tlb_invalidate(s, s->ctx_select);
        return true;
    case VPRIME_REG_CTX_CONTROL:
        if (val & ~VPRIME_CTX_ENABLE) {
            return vprime_gpu_bad(s, addr, val, "reserved CTX_CONTROL bits");
        }
        c->enabled = val & VPRIME_CTX_ENABLE;
        c->faulted = false;
        vprime_gpu_tlb_invalidate(s, s->ctx_select);
        return true;
    case VPRIME_REG_TLB_INVALIDATE:
        if (val >= VPRIME_GPU_MAX_CONTEXTS && val != VPRIME_TLB_INVALIDATE_ALL) {
            return vprime_gpu_bad(s, addr, val, "no such context");
        }
        vprime_gpu_tlb_invalidate(s, val);
        return true;
    case VPRIME_REG_CTX_STATUS:
    case VPRIME_REG_FAULT_CTX:
    case VPRIME_REG_FAULT_ADDR_LO:
    case VPRIME_REG_FAULT_ADDR_HI:
    case VPRIME_REG_FAULT_INFO:
    case VPRIME_REG_VRAM_USABLE_LO:
    case VPRIME_REG_VRAM_USABLE_HI:
    case VPRIME_REG_LAYOUTS:
        vprime_core_guest_error(&s->core, VPRIME_ERR_BAD_ACCESS, addr,
                                "write to read-only register 0x%"
                                HWADDR_PRIx, addr);
        return true;
    }
    return false;
}

static void vprime_gpu_reset_cb(void *opaque)
{
    vprime_gpu_reset(opaque);
}

static void vprime_gpu_stats_reset(void *opaque)
{
    VPrimeGpuState *s = opaque;
    unsigned i;

    memset(s->stat_read, 0, sizeof(s->stat_read));
    memset(s->stat_written, 0, sizeof(s->stat_written));
    s->stat_faults = 0;
    s->stat_tlb_walks = 0;
    for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
        s->engine[i].stat_cmds = 0;
    }
    vprime_faults_stats_reset(&s->faults);
}

static const VPrimeCoreOps vprime_gpu_core_ops = {
    .read = vprime_gpu_read,
    .write = vprime_gpu_write,
    .reset = vprime_gpu_reset_cb,
    .stats_reset = vprime_gpu_stats_reset,
};

/*
 * <engine>-last-{read,write}-pages: the pages the engine's latest data
 * command read or wrote, as DMA addresses (0x...) or VRAM offsets
 * (vram:0x...), so the host can match them with a consumer's page list.
 */
static void engine_get_pages(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    GArray *log = *(GArray **)opaque;   /* NULL until realize */
    g_autoptr(GString) str = g_string_new("");
    g_autofree char *val = NULL;
    guint i;

    for (i = 0; log && i < log->len; i++) {
        VPrimePageRef *r = &g_array_index(log, VPrimePageRef, i);

        g_string_append_printf(str, "%s%s0x%" PRIx64, i ? "," : "",
                               r->vram ? "vram:" : "", r->addr);
    }
    val = g_string_free(g_steal_pointer(&str), false);
    visit_type_str(v, name, &val, errp);
}

static const char *const vprime_engine_names[] = { "render", "copy", NULL };

/* Counters over QMP (qom-get), next to the core's stat-* ones */
static void vprime_gpu_add_stats(VPrimeGpuState *s)
{
    static const char *const kinds[VPRIME_MEM__MAX] = {
        [VPRIME_MEM_SYSRAM] = "sysram",
        [VPRIME_MEM_VRAM] = "vram",
        [VPRIME_MEM_PEER] = "peer",
    };
    Object *obj = OBJECT(s);
    unsigned i;

    for (i = 0; i < VPRIME_MEM__MAX; i++) {
        g_autofree char *rd = g_strdup_printf("stat-bytes-read-%s", kinds[i]);
        g_autofree char *wr = g_strdup_printf("stat-bytes-written-%s",
                                              kinds[i]);

        object_property_add_uint64_ptr(obj, rd, &s->stat_read[i],
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, wr, &s->stat_written[i],
                                       OBJ_PROP_FLAG_READ);
    }
    object_property_add_uint64_ptr(obj, "stat-page-faults", &s->stat_faults,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-tlb-walks", &s->stat_tlb_walks,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-cmds-render",
                                   &s->engine[VPRIME_ENGINE_RENDER].stat_cmds,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-cmds-copy",
                                   &s->engine[VPRIME_ENGINE_COPY].stat_cmds,
                                   OBJ_PROP_FLAG_READ);
    for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
        VPrimeEngine *e = &s->engine[i];
        const char *ename = vprime_engine_names[i];
        g_autofree char *rd = g_strdup_printf("%s-last-read-pages", ename);
        g_autofree char *wr = g_strdup_printf("%s-last-write-pages", ename);

        object_property_add(obj, rd, "str", engine_get_pages, NULL, NULL,
                            &e->last_pages[false]);
        object_property_add(obj, wr, "str", engine_get_pages, NULL, NULL,
                            &e->last_pages[true]);
    }
}

/*
 * vram-retire: the top 'bytes' of VRAM become unusable, as pages a real
 * dGPU retires after ECC errors; VRAM_USABLE tells the driver, which
 * allocates below it.  0 gives everything back.
 */
static void vprime_gpu_fault_arm(void *opaque, const VPrimeFault *f)
{
    VPrimeGpuState *s = opaque;

    if (f->kind == VPRIME_INJ_VRAM_RETIRE) {
        s->vram_retired = MIN(ROUND_UP(f->bytes, VPRIME_GPU_PAGE_SIZE),
                              s->vram_size);
    }
}

/* Every QOM property is there from instance_init: introspection lists them */
static void vprime_gpu_instance_init(Object *obj)
{
    VPrimeGpuState *s = VPRIME_GPU(obj);
    VPrimeGpuClass *gc = VPRIME_GPU_GET_CLASS(obj);

    vprime_core_instance_init(&s->core, obj);
    vprime_gpu_add_stats(s);
    vprime_faults_init(&s->faults, obj, &s->core,
                       VPRIME_INJ_GPU_KINDS |
                       (gc->has_vram ? BIT(VPRIME_INJ_VRAM_RETIRE) : 0),
                       "engine", vprime_engine_names);
    s->faults.arm = vprime_gpu_fault_arm;
    s->faults.opaque = s;
}

static void vprime_gpu_instance_finalize(Object *obj)
{
    vprime_faults_fini(&VPRIME_GPU(obj)->faults);
}

static void vprime_gpu_realize(PCIDevice *pdev, Error **errp)
{
    VPrimeGpuState *s = VPRIME_GPU(pdev);
    VPrimeGpuClass *gc = VPRIME_GPU_GET_CLASS(s);
    uint32_t caps = VPRIME_CAP_GPU;
    unsigned i;

    if (!vprime_faults_realize(&s->faults, VPRIME_GPU_ENGINES, errp)) {
        return;
    }
    if (gc->has_vram) {
        if (s->vram_size < VPRIME_VRAM_MIN || s->vram_size > VPRIME_VRAM_MAX ||
            !is_power_of_2(s->vram_size)) {
            error_setg(errp, "vram=%" PRIu64 " is invalid: it must be a power "
                       "of two from %llu MiB to %llu GiB", s->vram_size,
                       VPRIME_VRAM_MIN / MiB, VPRIME_VRAM_MAX / GiB);
            return;
        }
        caps |= VPRIME_CAP_VRAM;
    }

    vprime_core_init(&s->core, pdev, object_get_typename(OBJECT(s)),
                     gc->kind, caps);
    s->core.msix_vectors = VPRIME_GPU_MSIX_VECTORS;

    if (gc->has_vram) {
        s->core.vram_size = s->vram_size;
        if (!memory_region_init_ram(&s->vram, OBJECT(s), "vprime-dgpu.vram",
                                    s->vram_size, errp)) {
            return;
        }
        pci_register_bar(pdev, VPRIME_BAR_VRAM,
                         PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_TYPE_64 |
                         PCI_BASE_ADDRESS_MEM_PREFETCH, &s->vram);
    }

    s->core.irq_valid |= VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER) |
                         VPRIME_IRQ_ENGINE(VPRIME_ENGINE_COPY);
    if (!vprime_core_realize(&s->core, &vprime_gpu_core_ops, s, errp)) {
        return;
    }
    if (gc->has_vram) {
        s->vram_ptr = memory_region_get_ram_ptr(&s->vram);
    }
    s->bounce = g_malloc(VPRIME_GPU_BOUNCE_SIZE);
    for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
        vprime_engine_init(s, i, vprime_engine_names[i]);
    }
    s->rng = s->seed;
}

static void vprime_gpu_exit(PCIDevice *pdev)
{
    VPrimeGpuState *s = VPRIME_GPU(pdev);
    unsigned i;

    for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
        vprime_engine_fini(&s->engine[i]);
    }
    g_free(s->bounce);
    vprime_core_exit(&s->core);
}

static void vprime_gpu_reset_hold(Object *obj, ResetType type)
{
    vprime_gpu_reset(VPRIME_GPU(obj));
}

/* ---- migration -------------------------------------------------------- */

static const VMStateDescription vmstate_vprime_gpu_ctx = {
    .name = "vprime-gpu-ctx",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(pt_root, VPrimeGpuCtx),
        VMSTATE_BOOL(enabled, VPrimeGpuCtx),
        VMSTATE_BOOL(faulted, VPrimeGpuCtx),
        VMSTATE_END_OF_LIST()
    }
};

static bool fault_reason_known(uint32_t reason)
{
    switch (reason) {
    case 0:
    case VPRIME_FAULT_NOT_PRESENT:
    case VPRIME_FAULT_READ_ONLY:
    case VPRIME_FAULT_BAD_TABLE:
    case VPRIME_FAULT_VRAM_RANGE:
    case VPRIME_FAULT_VA_RANGE:
    case VPRIME_FAULT_DISABLED:
    case VPRIME_FAULT_DMA:
        return true;
    }
    return false;
}

/* Why the loaded GPU registers cannot be used (NULL: they can) */
static char *vprime_gpu_check_loaded(VPrimeGpuState *s)
{
    unsigned i;

    if (s->ctx_select >= VPRIME_GPU_MAX_CONTEXTS) {
        return g_strdup_printf("CTX_SELECT %u is not a context (0 to %u)",
                               s->ctx_select, VPRIME_GPU_MAX_CONTEXTS - 1);
    }
    for (i = 0; i < VPRIME_GPU_MAX_CONTEXTS; i++) {
        if (s->ctx[i].pt_root % VPRIME_GPU_PAGE_SIZE) {
            return g_strdup_printf("context %u: page table 0x%" PRIx64
                                   " is not 4 KiB aligned", i,
                                   s->ctx[i].pt_root);
        }
    }
    if (s->fault_ctx >= VPRIME_GPU_MAX_CONTEXTS) {
        return g_strdup_printf("FAULT_CTX %u is not a context (0 to %u)",
                               s->fault_ctx, VPRIME_GPU_MAX_CONTEXTS - 1);
    }
    if ((s->fault_info & ~(VPRIME_FAULT_REASON_MASK | VPRIME_FAULT_WRITE)) ||
        !fault_reason_known(s->fault_info & VPRIME_FAULT_REASON_MASK)) {
        return g_strdup_printf("FAULT_INFO 0x%x is no VPRIME_FAULT_* reason",
                               s->fault_info);
    }
    if (s->vram_retired > s->core.vram_size ||
        s->vram_retired % VPRIME_GPU_PAGE_SIZE) {
        return g_strdup_printf("%" PRIu64 " bytes of retired VRAM (VRAM: %"
                               PRIu64 " bytes, 4 KiB pages)", s->vram_retired,
                               s->core.vram_size);
    }
    return NULL;
}

static int vprime_gpu_post_load(void *opaque, int version_id)
{
    VPrimeGpuState *s = opaque;
    g_autofree char *why = vprime_gpu_check_loaded(s);

    if (why) {
        vprime_gpu_reset(s);
        return vprime_load_refuse(s->core.name, "%s", why);
    }
    /* the TLB is a cache of the page tables in guest RAM: start cold */
    vprime_gpu_tlb_invalidate(s, VPRIME_TLB_INVALIDATE_ALL);
    return 0;
}

/*
 * Everything the guest or the host can observe migrates: registers, the
 * engines' work in flight, retired VRAM, counters and page logs.  VRAM
 * migrates as RAM; a stream from another kind of GPU or VRAM size fails
 * on PCI configuration space and RAM first.  Not migrated: the TLB (a
 * cache), the fault injector's scripts, seed, progress and log.
 */
static const VMStateDescription vmstate_vprime_gpu = {
    .name = "vprime-gpu",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = vprime_gpu_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VPrimeGpuState),
        VMSTATE_MSIX(parent_obj, VPrimeGpuState),
        VMSTATE_VPRIME_CORE(core, VPrimeGpuState),
        VMSTATE_UINT32(ctx_select, VPrimeGpuState),
        VMSTATE_STRUCT_ARRAY(ctx, VPrimeGpuState, VPRIME_GPU_MAX_CONTEXTS, 1,
                             vmstate_vprime_gpu_ctx, VPrimeGpuCtx),
        VMSTATE_UINT32(fault_ctx, VPrimeGpuState),
        VMSTATE_UINT64(fault_addr, VPrimeGpuState),
        VMSTATE_UINT32(fault_info, VPrimeGpuState),
        VMSTATE_STRUCT_ARRAY(engine, VPrimeGpuState, VPRIME_GPU_ENGINES, 1,
                             vmstate_vprime_engine, VPrimeEngine),
        VMSTATE_UINT64(rng, VPrimeGpuState),
        VMSTATE_UINT64(vram_retired, VPrimeGpuState),
        VMSTATE_UINT64_ARRAY(stat_read, VPrimeGpuState, VPRIME_MEM__MAX),
        VMSTATE_UINT64_ARRAY(stat_written, VPrimeGpuState, VPRIME_MEM__MAX),
        VMSTATE_UINT64(stat_faults, VPrimeGpuState),
        VMSTATE_UINT64(stat_tlb_walks, VPrimeGpuState),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Timing model defaults: fast enough that TCG, not the model, is the
 * limit (a 64 MiB copy is modelled at 16 GB/s), with a per-command
 * latency so that completion is always asynchronous.
 */
#define VPRIME_GPU_THROUGHPUT_MB_PER_S  16000
#define VPRIME_GPU_LATENCY_NS           5000

static const Property vprime_gpu_properties[] = {
    DEFINE_PROP_UINT64("throughput", VPrimeGpuState, throughput_mb_per_s,
                       VPRIME_GPU_THROUGHPUT_MB_PER_S),
    DEFINE_PROP_UINT64("latency-ns", VPrimeGpuState, latency_ns,
                       VPRIME_GPU_LATENCY_NS),
    DEFINE_PROP_UINT64("jitter-ns", VPrimeGpuState, jitter_ns, 0),
    DEFINE_PROP_UINT64("seed", VPrimeGpuState, seed, 0),
};

static const Property vprime_dgpu_properties[] = {
    DEFINE_PROP_SIZE("vram", VPrimeGpuState, vram_size, VPRIME_VRAM_DEFAULT),
};

static void vprime_gpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    pc->realize = vprime_gpu_realize;
    pc->exit = vprime_gpu_exit;
    vprime_core_class_init(pc);
    rc->phases.hold = vprime_gpu_reset_hold;
    dc->vmsd = &vmstate_vprime_gpu;
    device_class_set_props(dc, vprime_gpu_properties);
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
}

static void vprime_igpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    VPrimeGpuClass *gc = VPRIME_GPU_CLASS(klass);

    pc->device_id = VPRIME_PCI_DEVICE_ID_IGPU;
    pc->class_id = VPRIME_PCI_CLASS_IGPU;
    gc->kind = VPRIME_KIND_IGPU;
    gc->has_vram = false;
    gc->layouts = VPRIME_IGPU_LAYOUTS;
    dc->desc = "vprime integrated GPU (system memory only)";
}

static void vprime_dgpu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    VPrimeGpuClass *gc = VPRIME_GPU_CLASS(klass);

    pc->device_id = VPRIME_PCI_DEVICE_ID_DGPU;
    pc->class_id = VPRIME_PCI_CLASS_DGPU;
    gc->kind = VPRIME_KIND_DGPU;
    gc->has_vram = true;
    gc->layouts = VPRIME_DGPU_LAYOUTS;
    device_class_set_props(dc, vprime_dgpu_properties);
    dc->desc = "vprime discrete GPU with VRAM";
}

static const TypeInfo vprime_gpu_types[] = {
    {
        .name          = TYPE_VPRIME_GPU,
        .parent        = TYPE_PCI_DEVICE,
        .abstract      = true,
        .instance_size = sizeof(VPrimeGpuState),
        .instance_init = vprime_gpu_instance_init,
        .instance_finalize = vprime_gpu_instance_finalize,
        .class_size    = sizeof(VPrimeGpuClass),
        .class_init    = vprime_gpu_class_init,
        .interfaces    = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    }, {
        .name          = TYPE_VPRIME_IGPU,
        .parent        = TYPE_VPRIME_GPU,
        .class_init    = vprime_igpu_class_init,
    }, {
        .name          = TYPE_VPRIME_DGPU,
        .parent        = TYPE_VPRIME_GPU,
        .class_init    = vprime_dgpu_class_init,
    },
};

DEFINE_TYPES(vprime_gpu_types)
