/*
 * vprime-display: the display (scanout) engine.
 *
 * See hw/vprime-spec.rst for the programming interface.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "vprime-core.h"
#include "trace.h"

#define TYPE_VPRIME_DISPLAY "vprime-display"

OBJECT_DECLARE_SIMPLE_TYPE(VPrimeDisplayState, VPRIME_DISPLAY)

struct VPrimeDisplayState {
    /*< private >*/
    PCIDevice parent_obj;
    /*< public >*/

    /* properties */
    uint32_t heads;

    /* registers, BAR 0, MSI-X */
    VPrimeCore core;
};

/*
 * Device reset: registers and engine state only.  The RESET register uses
 * this too, so unlike a PCI reset it leaves config space (BARs, MSI-X
 * table) alone, as a GPU's own reset does.
 */
static void vprime_display_reset(VPrimeDisplayState *s)
{
    trace_vprime_reset(s->core.name);
    vprime_core_reset(&s->core);
}

static void vprime_display_reset_cb(void *opaque)
{
    vprime_display_reset(opaque);
}

static const VPrimeCoreOps vprime_display_core_ops = {
    .reset = vprime_display_reset_cb,
};

static void vprime_display_realize(PCIDevice *pdev, Error **errp)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(pdev);

    if (s->heads < VPRIME_HEADS_MIN || s->heads > VPRIME_HEADS_MAX) {
        error_setg(errp, "heads=%u is invalid: it must be %u to %u",
                   s->heads, VPRIME_HEADS_MIN, VPRIME_HEADS_MAX);
        return;
    }

    vprime_core_init(&s->core, pdev, TYPE_VPRIME_DISPLAY, VPRIME_KIND_DISPLAY,
                     VPRIME_CAP_DISPLAY);
    s->core.num_heads = s->heads;
    s->core.msix_vectors = VPRIME_DISPLAY_MSIX_VECTORS;

    vprime_core_realize(&s->core, &vprime_display_core_ops, s, errp);
}

static void vprime_display_exit(PCIDevice *pdev)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(pdev);

    vprime_core_exit(&s->core);
}

static void vprime_display_reset_hold(Object *obj, ResetType type)
{
    vprime_display_reset(VPRIME_DISPLAY(obj));
}

static const VMStateDescription vmstate_vprime_display = {
    .name = "vprime-display",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VPrimeDisplayState),
        VMSTATE_MSIX(parent_obj, VPrimeDisplayState),
        VMSTATE_VPRIME_CORE(core, VPrimeDisplayState),
        VMSTATE_END_OF_LIST()
    }
};

static const Property vprime_display_properties[] = {
    DEFINE_PROP_UINT32("heads", VPrimeDisplayState, heads, VPRIME_HEADS_MIN),
};

static void vprime_display_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    pc->realize = vprime_display_realize;
    pc->exit = vprime_display_exit;
    pc->device_id = VPRIME_PCI_DEVICE_ID_DISPLAY;
    pc->class_id = VPRIME_PCI_CLASS_DISPLAY;
    vprime_core_class_init(pc);
    rc->phases.hold = vprime_display_reset_hold;
    dc->vmsd = &vmstate_vprime_display;
    dc->desc = "vprime display (scanout) engine";
    device_class_set_props(dc, vprime_display_properties);
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
}

static const TypeInfo vprime_display_types[] = {
    {
        .name          = TYPE_VPRIME_DISPLAY,
        .parent        = TYPE_PCI_DEVICE,
        .instance_size = sizeof(VPrimeDisplayState),
        .class_init    = vprime_display_class_init,
        .interfaces    = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(vprime_display_types)
