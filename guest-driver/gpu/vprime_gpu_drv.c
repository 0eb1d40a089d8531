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
 * Neither GPU has a display, yet each is a KMS device with an empty mode
 * configuration (no CRTC, encoder or connector), as amdgpu and nouveau
 * register display-less GPUs: its card node answers GETRESOURCES, dumb
 * buffers and framebuffers, so display servers take it as a GPU that
 * renders for another device's outputs (Xorg's modesetting driver makes
 * it a PRIME source provider) while compositors looking for outputs pass
 * it by.
 *
 * Buffer objects live in system memory (shmem helpers) or the dGPU's VRAM
 * (drm_buddy) and are mapped into per-context GPU page tables by the jobs
 * that use them, for as long as the context's file holds them; PRIME
 * import maps the exporter's pages with this device's DMA addresses.
 * Jobs go through drm_sched, one scheduler per engine, wait for explicit
 * (syncobj, sync_file) and implicit (dma_resv) fences, and their fences
 * are signalled from the engine interrupt.  A page fault or a timeout bans
 * the context; a timeout also resets the engine.
 *
 * Files: _drv (probe, ioctls), _bo and _vram (buffer objects), _prime
 * (dma-buf export of VRAM BOs), _mmu (page tables, mappings), _ctx (contexts), _submit (SUBMIT), _sched (rings,
 * schedulers, recovery), _fence (hardware fences, their interrupts),
 * _debugfs.
 *
 * Lifetimes follow the DRM template: the drm_device and everything
 * userspace can reach is drmm-managed, hardware resources are devm/pcim
 * managed, and hardware access from ioctls happens inside
 * drm_dev_enter()/drm_dev_exit() so that a surprise removal is survivable.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_mode_config.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

#define DRIVER_NAME	"vprime_gpu"
#define DRIVER_DESC	"vprime integrated and discrete GPUs"
#define DRIVER_MAJOR	0
#define DRIVER_MINOR	4	/* see the version notes in vprime_drm.h */

struct vprime_live vprime_live;

static unsigned int job_timeout_ms = 2000;
module_param(job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "GPU job timeout before an engine reset (default 2000)");

static int vprime_gpu_ioctl_get_param(struct drm_device *drm, void *data,
				      struct drm_file *file)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	struct drm_vprime_get_param *args = data;
	int idx, ret;

	if (args->pad)
		return -EINVAL;
	switch (args->param) {
	case VPRIME_PARAM_VRAM_FREE:
		mutex_lock(&gpu->vram_lock);
		args->value = gpu->hw.vram_size ? gpu->vram.avail : 0;
		mutex_unlock(&gpu->vram_lock);
		return 0;
	}

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
	DRM_IOCTL_DEF_DRV(VPRIME_GEM_CREATE, vprime_ioctl_gem_create,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPRIME_GEM_INFO, vprime_ioctl_gem_info,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPRIME_CTX_CREATE, vprime_ioctl_ctx_create,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPRIME_CTX_DESTROY, vprime_ioctl_ctx_destroy,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPRIME_SUBMIT, vprime_ioctl_submit,
			  DRM_RENDER_ALLOW),
};

static int vprime_gpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct vprime_file *vf = kzalloc(sizeof(*vf), GFP_KERNEL);

	if (!vf)
		return -ENOMEM;
	xa_init_flags(&vf->ctxs, XA_FLAGS_ALLOC1);
	file->driver_priv = vf;
	return 0;
}

static void vprime_gpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vprime_file *vf = file->driver_priv;

	vprime_file_release_ctxs(vf);
	kfree(vf);
}

/* DEFINE_DRM_GEM_FOPS(), plus fdinfo: drm-client-id names a file in debugfs */
static const struct file_operations vprime_gpu_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver vprime_gpu_driver = {
	.driver_features = DRIVER_GEM | DRIVER_MODESET | DRIVER_RENDER |
			   DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE,
	.open = vprime_gpu_open,
	.postclose = vprime_gpu_postclose,
	.gem_create_object = vprime_gem_create_object,
	DRM_GEM_SHMEM_DRIVER_OPS,
	.gem_prime_import = vprime_gem_prime_import,
	.ioctls = vprime_gpu_ioctls,
	.num_ioctls = ARRAY_SIZE(vprime_gpu_ioctls),
	.fops = &vprime_gpu_fops,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = "20261121",
	.major = DRIVER_MAJOR,
	.minor = DRIVER_MINOR,
};

/* Framebuffers of GEM BOs: what a display server hands a display-less GPU */
static const struct drm_mode_config_funcs vprime_gpu_mode_config_funcs = {
	.fb_create = drm_gem_fb_create,
};

/*
 * The empty mode configuration of a GPU without a display: the card node
 * is a KMS device with no CRTC, encoder or connector.
 */
static int vprime_gpu_mode_config_init(struct vprime_gpu *gpu)
{
	struct drm_device *drm = &gpu->drm;
	int ret;

	ret = drmm_mode_config_init(drm);
	if (ret)
		return ret;
	drm->mode_config.min_width = 1;
	drm->mode_config.min_height = 1;
	drm->mode_config.max_width = VPRIME_CMD_MAX_DIM;
	drm->mode_config.max_height = VPRIME_CMD_MAX_DIM;
	drm->mode_config.funcs = &vprime_gpu_mode_config_funcs;
	return 0;
}

static void vprime_gpu_on_error(struct vprime_hw *hw, u32 err)
{
	struct vprime_gpu *gpu = container_of(hw, struct vprime_gpu, hw);

	if (err & VPRIME_ERR_PAGE_FAULT)
		vprime_gpu_fault_irq(gpu);
	/* the reset and the fences' errors need the scheduler: not here */
	if (err & VPRIME_ERR_ENGINE)
		schedule_work(&gpu->halt_work);
}

static void vprime_gpu_fini_mm(struct drm_device *drm, void *arg)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);

	atomic_dec(&vprime_live.devices);
	drm_mm_takedown(&gpu->va_mm);
	ida_destroy(&gpu->ctx_ida);
	/* every BO is gone by now: the drm_device is being released */
	if (gpu->hw.vram_size)
		drm_buddy_fini(&gpu->vram);
}

/* Allocators and lists, released with the drm_device */
static int vprime_gpu_init_mm(struct vprime_gpu *gpu)
{
	int ret;

	ida_init(&gpu->ctx_ida);
	spin_lock_init(&gpu->ctx_lock);
	drm_mm_init(&gpu->va_mm, VPRIME_VA_START,
		    VPRIME_GPU_VA_LIMIT - VPRIME_VA_START);
	ret = drmm_mutex_init(&gpu->drm, &gpu->va_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&gpu->drm, &gpu->inject_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&gpu->drm, &gpu->bo_lock);
	if (ret)
		return ret;
	INIT_LIST_HEAD(&gpu->bo_list);
	INIT_LIST_HEAD(&gpu->vram_bo_list);
	atomic_inc(&vprime_live.devices);
	return drmm_add_action_or_reset(&gpu->drm, vprime_gpu_fini_mm, NULL);
}

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
	gpu->hw.on_error = vprime_gpu_on_error;
	/* the halt recovery says which engine and why */
	gpu->hw.quiet_errors = VPRIME_ERR_ENGINE;
	INIT_WORK(&gpu->halt_work, vprime_gpu_halt_work);
	gpu->job_timeout_ms = job_timeout_ms;
	pci_set_drvdata(pdev, gpu);
	ret = vprime_gpu_init_mm(gpu);
	if (ret)
		return ret;
	ret = vprime_gpu_mode_config_init(gpu);
	if (ret)
		return ret;

	ret = vprime_hw_init(&gpu->hw, ent->driver_data, DRIVER_NAME);
	if (ret)
		return ret;
	if (!(gpu->hw.caps & VPRIME_CAP_GPU)) {
		drm_err(&gpu->drm, "device has no GPU engine (caps 0x%x)\n",
			gpu->hw.caps);
		ret = -ENODEV;
		goto err_hw;
	}
	gpu->hw.layouts = vprime_hw_read(&gpu->hw, VPRIME_REG_LAYOUTS);
	/* the GPU reaches 52 bits of DMA address through its PTEs */
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(52));
	if (ret)
		goto err_hw;
	/* its PTEs map pages: a DMA segment may be any length (the PCI
	 * default, 64 KiB, is what DMA-API debugging holds mappings to) */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	ret = vprime_vram_init(gpu);
	if (ret) {
		gpu->hw.vram_size = 0;	/* nothing for the release to undo */
		goto err_hw;
	}
	vprime_gpu_debugfs_init(gpu);

	ret = vprime_engines_init(gpu);
	if (ret)
		goto err_engines;
	vprime_engines_hw_init(gpu);
	vprime_hw_write(&gpu->hw, VPRIME_REG_IRQ_ENABLE,
			VPRIME_IRQ_VALID_MASK |
			VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER) |
			VPRIME_IRQ_ENGINE(VPRIME_ENGINE_COPY));
	gpu->kctx = vprime_ctx_create(gpu);
	if (IS_ERR(gpu->kctx)) {
		ret = PTR_ERR(gpu->kctx);
		gpu->kctx = NULL;
		goto err_engines;
	}

	ret = drm_dev_register(&gpu->drm, 0);
	if (ret)
		goto err_engines;

	drm_info(&gpu->drm, "%s GPU, hw ABI %u.%u, %u MSI-X vectors%s\n",
		 gpu->hw.kind == VPRIME_KIND_DGPU ? "discrete" : "integrated",
		 VPRIME_VERSION_GET_MAJOR(gpu->hw.version),
		 VPRIME_VERSION_GET_MINOR(gpu->hw.version),
		 gpu->hw.msix_vectors,
		 gpu->hw.vram_size ? ", VRAM" : "");
	if (gpu->hw.vram_size)
		drm_info(&gpu->drm, "VRAM %llu MiB\n", gpu->hw.vram_size >> 20);
	return 0;

err_engines:
	if (gpu->kctx)
		vprime_ctx_destroy(gpu->kctx);
	vprime_hw_fini(&gpu->hw);
	cancel_work_sync(&gpu->halt_work);
	vprime_engines_fini(gpu);
	return ret;
err_hw:
	vprime_hw_fini(&gpu->hw);
	return ret;
}

/*
 * Unbind, or the device is gone (hot or surprise removal).  Userspace may
 * still hold files, BOs, dma-bufs and fences of this device: they stay
 * valid and fail cleanly (-ENODEV) until the last one goes, and then the
 * drm_device release frees the rest (schedulers, VA and VRAM allocators).
 */
static void vprime_gpu_remove(struct pci_dev *pdev)
{
	struct vprime_gpu *gpu = pci_get_drvdata(pdev);

	/* no ioctl, mmap or hardware access from now on; CPU maps zapped */
	drm_dev_unplug(&gpu->drm);
	/* no more interrupts; the vectors go with the devres below */
	vprime_hw_fini(&gpu->hw);
	cancel_work_sync(&gpu->halt_work);
	/* the rings go too: what they held fails with -ENODEV */
	vprime_engines_unplug(gpu);
	vprime_ctx_destroy(gpu->kctx);
	gpu->kctx = NULL;
	/* DMA memory and mappings go while the device (and its IOMMU domain) exists */
	vprime_ctx_free_tables_all(gpu);
	vprime_gem_unmap_all(gpu);
	drm_info(&gpu->drm, "unplugged\n");
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
static int __init vprime_gpu_init(void)
{
	vprime_gpu_debugfs_module_init();
	return pci_register_driver(&vprime_gpu_pci_driver);
}

static void __exit vprime_gpu_exit(void)
{
	pci_unregister_driver(&vprime_gpu_pci_driver);
	vprime_gpu_debugfs_module_fini();
}

module_init(vprime_gpu_init);
module_exit(vprime_gpu_exit);

MODULE_AUTHOR("The vprime authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
