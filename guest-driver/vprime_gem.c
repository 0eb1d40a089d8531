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

#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>

#include "vprime_gpu.h"

static int vprime_va_alloc(struct vprime_gpu *gpu, struct drm_mm_node *va,
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

static void vprime_va_free(struct vprime_gpu *gpu, struct drm_mm_node *va)
{
	mutex_lock(&gpu->va_lock);
	if (drm_mm_node_allocated(va))
		drm_mm_remove_node(va);
	mutex_unlock(&gpu->va_lock);
}

static void vprime_gem_free(struct drm_gem_object *obj)
{
	struct vprime_bo *bo = to_vprime_bo(obj);

	vprime_va_free(to_vprime_gpu(obj->dev), &bo->va);
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

	ret = vprime_va_alloc(gpu, &bo->va, size);
	if (ret) {
		kfree(bo);
		return ERR_PTR(ret);
	}
	return &bo->base.base;
}

/* ---- VRAM ------------------------------------------------------------- */

static void vprime_vram_free(struct drm_gem_object *obj)
{
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);

	mutex_lock(&gpu->vram_lock);
	drm_buddy_free_list(&gpu->vram, &bo->blocks, 0);
	mutex_unlock(&gpu->vram_lock);
	vprime_va_free(gpu, &bo->va);
	drm_gem_object_release(obj);
	kfree(bo);
}

/* CPU mapping of VRAM: the BAR, write-combined, block by block */
static int vprime_vram_mmap(struct drm_gem_object *obj,
			    struct vm_area_struct *vma)
{
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);
	struct drm_buddy_block *block;
	unsigned long addr = vma->vm_start;
	int ret = 0;

	if (vma->vm_end - vma->vm_start > obj->size)
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vm_get_page_prot(vma->vm_flags));

	mutex_lock(&gpu->vram_lock);
	list_for_each_entry(block, &bo->blocks, link) {
		u64 size = drm_buddy_block_size(&gpu->vram, block);

		size = min_t(u64, size, vma->vm_end - addr);
		ret = io_remap_pfn_range(vma, addr,
					 (gpu->vram_bar +
					  drm_buddy_block_offset(block)) >> PAGE_SHIFT,
					 size, vma->vm_page_prot);
		if (ret)
			break;
		addr += size;
		if (addr >= vma->vm_end)
			break;
	}
	mutex_unlock(&gpu->vram_lock);
	return ret;
}

static const struct vm_operations_struct vprime_vram_vm_ops = {
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static struct dma_buf *vprime_vram_export(struct drm_gem_object *obj,
					  int flags)
{
	/*
	 * No peer-to-peer DMA here (no PCI_P2PDMA): an importer cannot reach
	 * VRAM.  Userspace exports a system-memory BO instead, filled by the
	 * copy engine (the Optimus path).
	 */
	return ERR_PTR(-EOPNOTSUPP);
}

static const struct drm_gem_object_funcs vprime_vram_funcs = {
	.free = vprime_vram_free,
	.mmap = vprime_vram_mmap,
	.export = vprime_vram_export,
	.vm_ops = &vprime_vram_vm_ops,
};

bool vprime_is_vram_bo(struct drm_gem_object *obj)
{
	return obj->funcs == &vprime_vram_funcs;
}

u64 vprime_bo_va(struct drm_gem_object *obj)
{
	return vprime_is_vram_bo(obj) ? to_vprime_vram_bo(obj)->va.start :
					to_vprime_bo(obj)->va.start;
}

static struct drm_gem_object *vprime_vram_create(struct vprime_gpu *gpu,
						 size_t size)
{
	struct vprime_vram_bo *bo;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&bo->blocks);
	bo->base.funcs = &vprime_vram_funcs;
	drm_gem_private_object_init(&gpu->drm, &bo->base, size);

	mutex_lock(&gpu->vram_lock);
	ret = drm_buddy_alloc_blocks(&gpu->vram, 0, gpu->hw.vram_size, size,
				     VPRIME_GPU_PAGE_SIZE, &bo->blocks, 0);
	mutex_unlock(&gpu->vram_lock);
	if (!ret)
		ret = vprime_va_alloc(gpu, &bo->va, size);
	if (ret) {
		/* frees the blocks and the object */
		drm_gem_object_put(&bo->base);
		return ERR_PTR(ret == -ENOSPC ? -ENOMEM : ret);
	}
	return &bo->base;
}

int vprime_vram_init(struct vprime_gpu *gpu)
{
	int ret;

	ret = drmm_mutex_init(&gpu->drm, &gpu->vram_lock);
	if (ret || !gpu->hw.vram_size)
		return ret;
	gpu->vram_bar = pci_resource_start(gpu->hw.pdev, VPRIME_BAR_VRAM);
	if (pci_resource_len(gpu->hw.pdev, VPRIME_BAR_VRAM) < gpu->hw.vram_size)
		return -ENODEV;
	return drm_buddy_init(&gpu->vram, gpu->hw.vram_size,
			      VPRIME_GPU_PAGE_SIZE);
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
		args->placement = vprime_is_vram_bo(obj) ? VPRIME_GEM_VRAM :
							   VPRIME_GEM_SYSTEM;
	}
	drm_gem_object_put(obj);
	return ret;
}
