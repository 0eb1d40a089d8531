// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: DRM driver for the vprime display (scanout) engine.
 */

/**
 * DOC: vprime_display
 *
 * Binds vprime-display (1af4:10f2), the display engine every shared
 * buffer ends up on.  The engine has 1 to 4 heads (NUM_HEADS register)
 * and one MSI-X vector per head besides the misc vector.
 *
 * At this stage the driver identifies the engine, enables MSI-X, proves
 * the interrupt path and registers a DRM device (a card node).  The KMS
 * objects (planes, CRTCs, connectors per head) build on this.
 */

#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>

#include "uapi/drm/vprime_drm.h"
#include "vprime_hw.h"

#define DRIVER_NAME	"vprime_display"
#define DRIVER_DESC	"vprime display engine"
#define DRIVER_MAJOR	0
#define DRIVER_MINOR	1

struct vprime_display {
	struct drm_device drm;
	struct vprime_hw hw;
};

static inline struct vprime_display *to_vprime_display(struct drm_device *drm)
{
	return container_of(drm, struct vprime_display, drm);
}

static int vprime_display_ioctl_get_param(struct drm_device *drm, void *data,
					  struct drm_file *file)
{
	struct vprime_display *disp = to_vprime_display(drm);
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = vprime_hw_get_param(&disp->hw, data);
	drm_dev_exit(idx);
	return ret;
}

static const struct drm_ioctl_desc vprime_display_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VPRIME_GET_PARAM, vprime_display_ioctl_get_param, 0),
};

DEFINE_DRM_GEM_FOPS(vprime_display_fops);

static const struct drm_driver vprime_display_driver = {
	.driver_features = DRIVER_GEM,
	.ioctls = vprime_display_ioctls,
	.num_ioctls = ARRAY_SIZE(vprime_display_ioctls),
	.fops = &vprime_display_fops,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = "20261121",
	.major = DRIVER_MAJOR,
	.minor = DRIVER_MINOR,
};

static int vprime_display_probe(struct pci_dev *pdev,
				const struct pci_device_id *ent)
{
	struct vprime_display *disp;
	int ret;

	disp = devm_drm_dev_alloc(&pdev->dev, &vprime_display_driver,
				  struct vprime_display, drm);
	if (IS_ERR(disp))
		return PTR_ERR(disp);
	disp->hw.drm = &disp->drm;
	disp->hw.pdev = pdev;
	pci_set_drvdata(pdev, disp);

	ret = vprime_hw_init(&disp->hw, VPRIME_KIND_DISPLAY, DRIVER_NAME);
	if (ret)
		return ret;
	if (!(disp->hw.caps & VPRIME_CAP_DISPLAY) ||
	    disp->hw.num_heads < VPRIME_HEADS_MIN ||
	    disp->hw.num_heads > VPRIME_HEADS_MAX) {
		drm_err(&disp->drm, "not a display engine (caps 0x%x, %u heads)\n",
			disp->hw.caps, disp->hw.num_heads);
		ret = -ENODEV;
		goto err_hw;
	}

	ret = drm_dev_register(&disp->drm, 0);
	if (ret)
		goto err_hw;

	drm_info(&disp->drm, "display engine, hw ABI %u.%u, %u heads\n",
		 VPRIME_VERSION_GET_MAJOR(disp->hw.version),
		 VPRIME_VERSION_GET_MINOR(disp->hw.version),
		 disp->hw.num_heads);
	return 0;

err_hw:
	vprime_hw_fini(&disp->hw);
	return ret;
}

static void vprime_display_remove(struct pci_dev *pdev)
{
	struct vprime_display *disp = pci_get_drvdata(pdev);

	drm_dev_unplug(&disp->drm);
	vprime_hw_fini(&disp->hw);
}

static void vprime_display_shutdown(struct pci_dev *pdev)
{
	struct vprime_display *disp = pci_get_drvdata(pdev);

	vprime_hw_fini(&disp->hw);
}

static const struct pci_device_id vprime_display_pci_ids[] = {
	{ PCI_DEVICE(VPRIME_PCI_VENDOR_ID, VPRIME_PCI_DEVICE_ID_DISPLAY) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vprime_display_pci_ids);

static struct pci_driver vprime_display_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = vprime_display_pci_ids,
	.probe = vprime_display_probe,
	.remove = vprime_display_remove,
	.shutdown = vprime_display_shutdown,
};
module_pci_driver(vprime_display_pci_driver);

MODULE_AUTHOR("The vprime authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
