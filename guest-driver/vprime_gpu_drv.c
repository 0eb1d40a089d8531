// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: DRM driver for the vprime integrated and discrete GPUs.
 */

/**
 * DOC: vprime_gpu
 *
 * One driver binds both vprime GPUs, as amdgpu binds APUs and dGPUs: the
 * integrated vprime-igpu (1af4:10f0), which reaches system memory only, and
 * the discrete vprime-dgpu (1af4:10f1), which adds VRAM behind a 64-bit
 * prefetchable BAR.  Each GPU is a DRM device with a render node.
 *
 * Probe identifies the function through its ID/VERSION/KIND registers,
 * enables every MSI-X vector and proves the interrupt path with a
 * software interrupt before the device is registered.
 *
 * Lifetimes follow the DRM template: the drm_device and everything
 * userspace can reach is drmm-managed, hardware resources are devm/pcim
 * managed, and hardware access from ioctls happens inside
 * drm_dev_enter()/drm_dev_exit() so that a surprise removal is survivable.
 */

#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>

#include "uapi/drm/vprime_drm.h"
#include "vprime_hw.h"

#define DRIVER_NAME	"vprime_gpu"
#define DRIVER_DESC	"vprime integrated and discrete GPUs"
#define DRIVER_MAJOR	0
#define DRIVER_MINOR	1

struct vprime_gpu {
	struct drm_device drm;
	struct vprime_hw hw;
};

static inline struct vprime_gpu *to_vprime_gpu(struct drm_device *drm)
{
	return container_of(drm, struct vprime_gpu, drm);
}

static int vprime_gpu_ioctl_get_param(struct drm_device *drm, void *data,
				      struct drm_file *file)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	int idx, ret;

	/* Values are cached at probe, but an unplugged GPU answers nothing. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = vprime_hw_get_param(&gpu->hw, data);
	drm_dev_exit(idx);
	return ret;
}

static const struct drm_ioctl_desc vprime_gpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VPRIME_GET_PARAM, vprime_gpu_ioctl_get_param,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(vprime_gpu_fops);

static const struct drm_driver vprime_gpu_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.ioctls = vprime_gpu_ioctls,
	.num_ioctls = ARRAY_SIZE(vprime_gpu_ioctls),
	.fops = &vprime_gpu_fops,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = "20261121",
	.major = DRIVER_MAJOR,
	.minor = DRIVER_MINOR,
};

static int vprime_gpu_probe(struct pci_dev *pdev,
			    const struct pci_device_id *ent)
{
	struct vprime_gpu *gpu;
	int ret;

	gpu = devm_drm_dev_alloc(&pdev->dev, &vprime_gpu_driver,
				 struct vprime_gpu, drm);
	if (IS_ERR(gpu))
		return PTR_ERR(gpu);
	gpu->hw.drm = &gpu->drm;
	gpu->hw.pdev = pdev;
	pci_set_drvdata(pdev, gpu);

	ret = vprime_hw_init(&gpu->hw, ent->driver_data, DRIVER_NAME);
	if (ret)
		return ret;
	if (!(gpu->hw.caps & VPRIME_CAP_GPU)) {
		drm_err(&gpu->drm, "device has no GPU engine (caps 0x%x)\n",
			gpu->hw.caps);
		ret = -ENODEV;
		goto err_hw;
	}

	ret = drm_dev_register(&gpu->drm, 0);
	if (ret)
		goto err_hw;

	drm_info(&gpu->drm, "%s GPU, hw ABI %u.%u, %u MSI-X vectors%s\n",
		 gpu->hw.kind == VPRIME_KIND_DGPU ? "discrete" : "integrated",
		 VPRIME_VERSION_GET_MAJOR(gpu->hw.version),
		 VPRIME_VERSION_GET_MINOR(gpu->hw.version),
		 gpu->hw.msix_vectors,
		 gpu->hw.vram_size ? ", VRAM" : "");
	if (gpu->hw.vram_size)
		drm_info(&gpu->drm, "VRAM %llu MiB\n", gpu->hw.vram_size >> 20);
	return 0;

err_hw:
	vprime_hw_fini(&gpu->hw);
	return ret;
}

static void vprime_gpu_remove(struct pci_dev *pdev)
{
	struct vprime_gpu *gpu = pci_get_drvdata(pdev);

	drm_dev_unplug(&gpu->drm);
	vprime_hw_fini(&gpu->hw);
}

static void vprime_gpu_shutdown(struct pci_dev *pdev)
{
	struct vprime_gpu *gpu = pci_get_drvdata(pdev);

	vprime_hw_fini(&gpu->hw);
}

static const struct pci_device_id vprime_gpu_pci_ids[] = {
	{ PCI_DEVICE(VPRIME_PCI_VENDOR_ID, VPRIME_PCI_DEVICE_ID_IGPU),
	  .driver_data = VPRIME_KIND_IGPU },
	{ PCI_DEVICE(VPRIME_PCI_VENDOR_ID, VPRIME_PCI_DEVICE_ID_DGPU),
	  .driver_data = VPRIME_KIND_DGPU },
	{ }
};
MODULE_DEVICE_TABLE(pci, vprime_gpu_pci_ids);

static struct pci_driver vprime_gpu_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = vprime_gpu_pci_ids,
	.probe = vprime_gpu_probe,
	.remove = vprime_gpu_remove,
	.shutdown = vprime_gpu_shutdown,
};
module_pci_driver(vprime_gpu_pci_driver);

MODULE_AUTHOR("The vprime authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
