// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: buffer objects in system memory, GPU virtual addresses, and
 * the GEM ioctls.
 *
 * BOs live in system memory through the shmem helpers; imported dma-bufs
 * become the same kind of object with the exporter's pages, mapped for
 * this device (drm_gem_shmem_prime_import_sg_table).  Every BO gets a GPU
 * virtual address from one per-device range, so that its address is the
 * same in each context it is mapped into: commands name BOs by it.  VRAM
 * BOs are in vprime_gpu_vram.c.
 */

#include <linux/dma-resv.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

/**
 * vprime_va_alloc - a GPU virtual address range for a BO
 * @gpu: the device
 * @va: node to insert
 * @size: bytes, page aligned
 *
 * Returns: 0, or -ENOSPC when the address space is full.
 */
int vprime_va_alloc(struct vprime_gpu *gpu, struct drm_mm_node *va,
		    size_t size)
{
	int ret;

	mutex_lock(&gpu->va_lock);
	ret = drm_mm_insert_node_generic(&gpu->va_mm, va, size,
					 VPRIME_GPU_PAGE_SIZE, 0,
					 DRM_MM_INSERT_BEST);
	mutex_unlock(&gpu->va_lock);
	return ret;
}

/**
 * vprime_va_free - give a BO's GPU virtual address range back
 * @gpu: the device
 * @va: node, allocated or not
 */
void vprime_va_free(struct vprime_gpu *gpu, struct drm_mm_node *va)
{
	mutex_lock(&gpu->va_lock);
	if (drm_mm_node_allocated(va))
		drm_mm_remove_node(va);
	mutex_unlock(&gpu->va_lock);
}

/**
 * vprime_bo_va - a BO's GPU virtual address
 * @obj: system-memory or VRAM BO of this driver
 *
 * Returns: the address, the same in every context of the device.
 */
u64 vprime_bo_va(struct drm_gem_object *obj)
{
	return vprime_is_vram_bo(obj) ? to_vprime_vram_bo(obj)->va.start :
					to_vprime_bo(obj)->va.start;
}

/* Whether @file has a handle to @obj besides the one it is closing */
static bool vprime_file_has_other_handle(struct drm_file *file,
					 struct drm_gem_object *obj)
{
	struct drm_gem_object *o;
	bool found = false;
	int id;

	/* the closing handle still counts: one means no other, anywhere */
	if (READ_ONCE(obj->handle_count) <= 1)
		return false;
	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, o, id) {
		if (o == obj) {
			found = true;
			break;
		}
	}
	spin_unlock(&file->table_lock);
	return found;
}

/**
 * vprime_gem_close - &drm_gem_object_funcs.close: a file drops a handle
 * @obj: the BO
 * @file: the file; called on GEM_CLOSE and for each handle when it closes
 *
 * As panfrost's gem_close: the BO leaves the file's address spaces (its
 * contexts) once the file has no handle to it; jobs still using it keep
 * their mapping until they are freed.  A second handle of the same file
 * (GEM_OPEN of a flink name on the primary node) keeps it mapped; while a
 * closing file's handles go one by one, its contexts, destroyed next,
 * take the rest with them.  A SUBMIT that looked the handle up before a
 * concurrent GEM_CLOSE of it maps the BO after this ran: the BO then
 * stays in that context until the context goes, as it did before files
 * could let go of mappings (userspace closing a BO it is submitting).
 */
void vprime_gem_close(struct drm_gem_object *obj, struct drm_file *file)
{
	if (!vprime_file_has_other_handle(file, obj))
		vprime_file_unmap_bo(file->driver_priv, obj);
}

static void vprime_gem_free(struct drm_gem_object *obj)
{
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_bo *bo = to_vprime_bo(obj);

	mutex_lock(&gpu->bo_lock);
	list_del_init(&bo->link);
	mutex_unlock(&gpu->bo_lock);
	vprime_va_free(gpu, &bo->va);
	if (bo->dma_unmapped && bo->base.sgt) {
		/* already unmapped (removal, inject_early_unmap): only the table */
		sg_free_table(bo->base.sgt);
		kfree(bo->base.sgt);
		bo->base.sgt = NULL;
	}
	drm_gem_shmem_free(&bo->base);
	atomic_dec(&vprime_live.bos);
}

static const struct drm_gem_object_funcs vprime_gem_funcs = {
	.free = vprime_gem_free,
	.close = vprime_gem_close,
	.export = vprime_hw_gem_export,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * vprime_gem_create_object - &drm_driver.gem_create_object
 * @drm: device
 * @size: object size, page aligned
 *
 * Allocates the object and its GPU virtual address range.  Used for new
 * BOs and for imported dma-bufs alike.
 *
 * Returns: the object, or an ERR_PTR.
 */
struct drm_gem_object *vprime_gem_create_object(struct drm_device *drm,
						size_t size)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	struct vprime_bo *bo;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	/* GPU and CPU see the same memory coherently: cached CPU maps */
	bo->base.map_wc = false;
	bo->base.base.funcs = &vprime_gem_funcs;

	ret = vprime_va_alloc(gpu, &bo->va, size);
	if (ret) {
		kfree(bo);
		return ERR_PTR(ret);
	}
	mutex_lock(&gpu->bo_lock);
	list_add_tail(&bo->link, &gpu->bo_list);
	mutex_unlock(&gpu->bo_lock);
	atomic_inc(&vprime_live.bos);
	return &bo->base.base;
}

/**
 * vprime_gem_unmap_all - release every BO's DMA mapping for the device
 * @gpu: device being removed, after drm_dev_unplug()
 *
 * The BOs themselves live on as long as userspace (or a dma-buf) holds
 * them, and their pages with them; only this device's view of the pages
 * goes, while the device is still there to have one.  Imported dma-bufs
 * keep their attachment until they are freed (see the README).
 */
void vprime_gem_unmap_all(struct vprime_gpu *gpu)
{
	struct vprime_bo *bo;

	mutex_lock(&gpu->bo_lock);
	list_for_each_entry(bo, &gpu->bo_list, link) {
		struct drm_gem_object *obj = &bo->base.base;

		if (obj->import_attach)
			continue;
		dma_resv_lock(obj->resv, NULL);
		if (bo->base.sgt && !bo->dma_unmapped) {
			dma_unmap_sgtable(obj->dev->dev, bo->base.sgt,
					  DMA_BIDIRECTIONAL, 0);
			bo->dma_unmapped = true;
		}
		dma_resv_unlock(obj->resv);
	}
	mutex_unlock(&gpu->bo_lock);
	vprime_vram_unmap_all(gpu);
}

int vprime_ioctl_gem_create(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	struct drm_vprime_gem_create *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad || args->pad2 || args->handle ||
	    (args->flags & ~VPRIME_GEM_FLAGS) ||
	    args->flags == (VPRIME_GEM_SYSTEM | VPRIME_GEM_VRAM))
		return -EINVAL;
	if (!args->size || args->size > VPRIME_CMD_MAX_BYTES)
		return -EINVAL;

	if (args->flags & VPRIME_GEM_VRAM) {
		if (!gpu->hw.vram_size)
			return -EINVAL;		/* an iGPU has no VRAM */
		obj = vprime_vram_create(gpu, PAGE_ALIGN(args->size));
	} else {
		struct drm_gem_shmem_object *shmem;

		shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
		obj = IS_ERR(shmem) ? ERR_CAST(shmem) : &shmem->base;
	}
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = drm_gem_handle_create(file, obj, &args->handle);
	drm_gem_object_put(obj);
	return ret;
}

int vprime_ioctl_gem_info(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_vprime_gem_info *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad || args->pad2)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret) {
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
		args->gpu_va = vprime_bo_va(obj);
		args->size = obj->size;
		args->placement = vprime_is_vram_bo(obj) &&
				  !to_vprime_vram_bo(obj)->pages ?
				  VPRIME_GEM_VRAM : VPRIME_GEM_SYSTEM;
	}
	drm_gem_object_put(obj);
	return ret;
}
