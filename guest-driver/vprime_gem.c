// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: buffer objects.
 *
 * BOs live in system memory through the shmem helpers; imported dma-bufs
 * become the same kind of object with the exporter's pages, mapped for
 * this device (drm_gem_shmem_prime_import_sg_table).  Every BO gets a GPU
 * virtual address from one per-device range, so that its address is the
 * same in each context it is mapped into: commands name BOs by it.
 */

#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>

#include "vprime_gpu.h"

static void vprime_gem_free(struct drm_gem_object *obj)
{
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_bo *bo = to_vprime_bo(obj);

	mutex_lock(&gpu->va_lock);
	if (drm_mm_node_allocated(&bo->va))
		drm_mm_remove_node(&bo->va);
	mutex_unlock(&gpu->va_lock);
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs vprime_gem_funcs = {
	.free = vprime_gem_free,
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

	mutex_lock(&gpu->va_lock);
	ret = drm_mm_insert_node_generic(&gpu->va_mm, &bo->va, size,
					 VPRIME_GPU_PAGE_SIZE, 0,
					 DRM_MM_INSERT_BEST);
	mutex_unlock(&gpu->va_lock);
	if (ret) {
		kfree(bo);
		return ERR_PTR(ret);
	}
	return &bo->base.base;
}

int vprime_ioctl_gem_create(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_vprime_gem_create *args = data;
	struct drm_gem_shmem_object *shmem;
	int ret;

	if (args->pad || args->pad2 || args->handle ||
	    (args->flags & ~VPRIME_GEM_FLAGS))
		return -EINVAL;
	if (!args->size || args->size > VPRIME_CMD_MAX_BYTES)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	drm_gem_object_put(&shmem->base);
	return ret;
}

int vprime_ioctl_gem_info(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_vprime_gem_info *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret) {
		args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
		args->gpu_va = to_vprime_bo(obj)->va.start;
		args->size = obj->size;
	}
	drm_gem_object_put(obj);
	return ret;
}
