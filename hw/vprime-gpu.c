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
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "vprime-core.h"
#include "trace.h"

#define TYPE_VPRIME_GPU "vprime-gpu"
#define TYPE_VPRIME_IGPU "vprime-igpu"
#define TYPE_VPRIME_DGPU "vprime-dgpu"

OBJECT_DECLARE_TYPE(VPrimeGpuState, VPrimeGpuClass, VPRIME_GPU)

struct VPrimeGpuClass {
    PCIDeviceClass parent_class;

    uint32_t kind;
    bool has_vram;
};

struct VPrimeGpuState {
    /*< private >*/
    PCIDevice parent_obj;
    /*< public >*/

    /* properties */
    uint64_t vram_size;

    /* registers, BAR 0, MSI-X */
    VPrimeCore core;

    /* internal state */
    MemoryRegion vram;
};

/*
 * Device reset: registers and engine state only.  The RESET register uses
 * this too, so unlike a PCI reset it leaves config space (BARs, MSI-X
 * table) alone, as a GPU's own reset does.
 */
static void vprime_gpu_reset(VPrimeGpuState *s)
{
    trace_vprime_reset(s->core.name);
    vprime_core_reset(&s->core);
}

static void vprime_gpu_reset_cb(void *opaque)
{
    vprime_gpu_reset(opaque);
}

static const VPrimeCoreOps vprime_gpu_core_ops = {
    .reset = vprime_gpu_reset_cb,
};

static void vprime_gpu_realize(PCIDevice *pdev, Error **errp)
{
    VPrimeGpuState *s = VPRIME_GPU(pdev);
    VPrimeGpuClass *gc = VPRIME_GPU_GET_CLASS(s);
    uint32_t caps = VPRIME_CAP_GPU;

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

    vprime_core_realize(&s->core, &vprime_gpu_core_ops, s, errp);
}

static void vprime_gpu_exit(PCIDevice *pdev)
{
    VPrimeGpuState *s = VPRIME_GPU(pdev);

    vprime_core_exit(&s->core);
}

static void vprime_gpu_reset_hold(Object *obj, ResetType type)
{
    vprime_gpu_reset(VPRIME_GPU(obj));
}

static const VMStateDescription vmstate_vprime_gpu = {
    .name = "vprime-gpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VPrimeGpuState),
        VMSTATE_MSIX(parent_obj, VPrimeGpuState),
        VMSTATE_VPRIME_CORE(core, VPrimeGpuState),
        VMSTATE_END_OF_LIST()
    }
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
    device_class_set_props(dc, vprime_dgpu_properties);
    dc->desc = "vprime discrete GPU with VRAM";
}

static const TypeInfo vprime_gpu_types[] = {
    {
        .name          = TYPE_VPRIME_GPU,
        .parent        = TYPE_PCI_DEVICE,
        .abstract      = true,
        .instance_size = sizeof(VPrimeGpuState),
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
