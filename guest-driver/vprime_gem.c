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
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <linux/dma-resv.h>

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

	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);

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
	mutex_lock(&gpu->bo_lock);
	list_add_tail(&bo->link, &gpu->bo_list);
	mutex_unlock(&gpu->bo_lock);
	atomic_inc(&vprime_live.bos);
	return &bo->base.base;
}

/* ---- VRAM ------------------------------------------------------------- */

static void vprime_free_pages(struct page **pages, unsigned long n);

static void vprime_vram_free(struct drm_gem_object *obj)
{
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);

	mutex_lock(&gpu->bo_lock);
	list_del_init(&bo->link);
	mutex_unlock(&gpu->bo_lock);
	mutex_lock(&gpu->vram_lock);
	drm_buddy_free_list(&gpu->vram, &bo->blocks, 0);
	mutex_unlock(&gpu->vram_lock);
	if (bo->sgt) {
		dma_unmap_sgtable(obj->dev->dev, bo->sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(bo->sgt);
		kfree(bo->sgt);
	}
	vprime_free_pages(bo->pages, obj->size >> PAGE_SHIFT);
	vprime_va_free(gpu, &bo->va);
	drm_gem_object_release(obj);
	kfree(bo);
	atomic_dec(&vprime_live.bos);
}

static void vprime_free_pages(struct page **pages, unsigned long n)
{
	unsigned long i;

	if (!pages)
		return;
	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
}

/*
 * CPU mapping: pages are inserted at fault time, from the BAR while the BO
 * is in VRAM and from system memory after a migration (which zaps the old
 * mappings, so the next access faults the new page in).
 */
static vm_fault_t vprime_vram_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct drm_gem_object *obj = vma->vm_private_data;
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);
	u64 off = (u64)(vmf->address - vma->vm_start);
	struct drm_buddy_block *block;
	unsigned long pfn = 0;
	vm_fault_t ret;
	int idx;

	if (off >= obj->size)
		return VM_FAULT_SIGBUS;
	mutex_lock(&gpu->vram_lock);
	if (bo->pages) {
		pfn = page_to_pfn(bo->pages[off >> PAGE_SHIFT]);
	} else if (drm_dev_enter(obj->dev, &idx)) {
		list_for_each_entry(block, &bo->blocks, link) {
			u64 size = drm_buddy_block_size(&gpu->vram, block);

			if (off < size) {
				pfn = (gpu->vram_bar + drm_buddy_block_offset(block) +
				       off) >> PAGE_SHIFT;
				break;
			}
			off -= size;
		}
		drm_dev_exit(idx);
	}
	ret = pfn ? vmf_insert_pfn(vma, vmf->address, pfn) : VM_FAULT_SIGBUS;
	mutex_unlock(&gpu->vram_lock);
	return ret;
}

static const struct vm_operations_struct vprime_vram_vm_ops = {
	.fault = vprime_vram_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static int vprime_vram_mmap(struct drm_gem_object *obj,
			    struct vm_area_struct *vma)
{
	if (vma->vm_end - vma->vm_start > obj->size)
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vm_get_page_prot(vma->vm_flags));
	return 0;
}

/* Rewrite the PTEs of every context that maps the BO (after a migration) */
static void vprime_remap_everywhere(struct vprime_gpu *gpu,
				    struct drm_gem_object *obj)
{
	unsigned long key = vprime_bo_va(obj) >> VPRIME_GPU_PAGE_SHIFT;
	struct vprime_ctx *ctxs[VPRIME_GPU_MAX_CONTEXTS];
	unsigned long flags;
	int i, n = 0;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	for (i = 0; i < VPRIME_GPU_MAX_CONTEXTS; i++)
		if (gpu->ctx_by_id[i] && kref_get_unless_zero(&gpu->ctx_by_id[i]->refcount))
			ctxs[n++] = gpu->ctx_by_id[i];
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);

	for (i = 0; i < n; i++) {
		mutex_lock(&ctxs[i]->lock);
		if (xa_load(&ctxs[i]->mapped, key)) {
			vprime_ctx_write_ptes(ctxs[i], obj, vprime_bo_va(obj));
			vprime_hw_write(&gpu->hw, VPRIME_REG_TLB_INVALIDATE,
					ctxs[i]->hw_id);
		}
		mutex_unlock(&ctxs[i]->lock);
		vprime_ctx_put(ctxs[i]);
	}
}

/**
 * vprime_vram_migrate - move a VRAM BO to system memory, once
 * @bo: the BO
 *
 * For an importer that cannot reach VRAM (there is no peer-to-peer DMA
 * here).  The dGPU's copy engine moves the contents, not the CPU; every
 * GPU mapping and CPU mapping then follows the new pages.
 */
static int vprime_vram_migrate(struct vprime_vram_bo *bo)
{
	struct drm_gem_object *obj = &bo->base;
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	unsigned long i, n = obj->size >> PAGE_SHIFT;
	struct drm_mm_node tmp = {};
	struct page **pages = NULL;
	struct sg_table *sgt = NULL;
	struct vprime_ctx *kctx;
	LIST_HEAD(old);
	long lret;
	int ret, idx;

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return ret;
	if (bo->pages)
		goto out_unlock;
	/* the copy engine does the move: not on an unplugged GPU */
	if (!drm_dev_enter(obj->dev, &idx)) {
		ret = -ENODEV;
		goto out_unlock;
	}
	kctx = gpu->kctx;
	/* the GPU's pending writes land before the copy */
	lret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP, true,
				     MAX_SCHEDULE_TIMEOUT);
	if (lret < 0) {
		ret = lret;
		goto out_exit;
	}

	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto out_exit;
	}
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			ret = -ENOMEM;
			goto err_pages;
		}
	}
	sgt = drm_prime_pages_to_sg(obj->dev, pages, n);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		sgt = NULL;
		goto err_pages;
	}
	ret = dma_map_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto err_sgt;

	/* the copy engine: VRAM at the BO's VA -> the new pages at tmp */
	ret = vprime_va_alloc(gpu, &tmp, obj->size);
	if (ret)
		goto err_map;
	mutex_lock(&kctx->lock);
	ret = vprime_ctx_write_ptes(kctx, obj, bo->va.start);
	if (!ret)
		ret = vprime_ctx_write_sgt(kctx, sgt, tmp.start, obj->size);
	vprime_hw_write(&gpu->hw, VPRIME_REG_TLB_INVALIDATE, kctx->hw_id);
	mutex_unlock(&kctx->lock);
	if (!ret)
		ret = vprime_kernel_copy(gpu, kctx, bo->va.start, tmp.start,
					 obj->size);
	mutex_lock(&kctx->lock);
	vprime_ctx_clear(kctx, bo->va.start, obj->size);
	vprime_ctx_clear(kctx, tmp.start, obj->size);
	vprime_hw_write(&gpu->hw, VPRIME_REG_TLB_INVALIDATE, kctx->hw_id);
	mutex_unlock(&kctx->lock);
	vprime_va_free(gpu, &tmp);
	if (ret)
		goto err_map;

	mutex_lock(&gpu->vram_lock);
	list_splice_init(&bo->blocks, &old);
	bo->pages = pages;
	bo->sgt = sgt;
	drm_buddy_free_list(&gpu->vram, &old, 0);
	mutex_unlock(&gpu->vram_lock);

	vprime_remap_everywhere(gpu, obj);
	drm_vma_node_unmap(&obj->vma_node, obj->dev->anon_inode->i_mapping);
	atomic64_inc(&gpu->migrations);
	drm_dbg_driver(obj->dev, "migrated a %zu KiB VRAM BO to system memory\n",
		       obj->size >> 10);
	goto out_exit;

err_map:
	dma_unmap_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
err_sgt:
	sg_free_table(sgt);
	kfree(sgt);
err_pages:
	vprime_free_pages(pages, n);
out_exit:
	drm_dev_exit(idx);
out_unlock:
	dma_resv_unlock(obj->resv);
	return ret;
}

static struct dma_buf *vprime_vram_export(struct drm_gem_object *obj,
					  int flags)
{
	int ret;

	/*
	 * No peer-to-peer DMA here (no PCI_P2PDMA): an importer cannot reach
	 * VRAM, so the BO moves to system memory first, by the copy engine.
	 */
	ret = vprime_vram_migrate(to_vprime_vram_bo(obj));
	if (ret)
		return ERR_PTR(ret);
	return drm_gem_prime_export(obj, flags);
}

/* The exporter's pages, for drm_gem_map_dma_buf() to map per importer */
static struct sg_table *vprime_vram_get_sg_table(struct drm_gem_object *obj)
{
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);

	if (!bo->pages)
		return ERR_PTR(-EINVAL);
	return drm_prime_pages_to_sg(obj->dev, bo->pages,
				     obj->size >> PAGE_SHIFT);
}

static const struct drm_gem_object_funcs vprime_vram_funcs = {
	.free = vprime_vram_free,
	.mmap = vprime_vram_mmap,
	.export = vprime_vram_export,
	.get_sg_table = vprime_vram_get_sg_table,
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

/*
 * The VRAM new BOs may use: the device can retire pages at the top (as a
 * dGPU retires pages after ECC errors) and says how much is left in
 * VRAM_USABLE.  BOs already there stay; new ones go below.
 */
static int vprime_vram_usable(struct vprime_gpu *gpu, u64 *usable)
{
	int idx;

	if (!drm_dev_enter(&gpu->drm, &idx))
		return -ENODEV;
	*usable = vprime_hw_read(&gpu->hw, VPRIME_REG_VRAM_USABLE_LO) |
		  (u64)vprime_hw_read(&gpu->hw, VPRIME_REG_VRAM_USABLE_HI) << 32;
	drm_dev_exit(idx);
	*usable = min_t(u64, round_down(*usable, VPRIME_GPU_PAGE_SIZE),
			gpu->hw.vram_size);
	return 0;
}

static struct drm_gem_object *vprime_vram_create(struct vprime_gpu *gpu,
						 size_t size)
{
	struct vprime_vram_bo *bo;
	u64 usable = 0;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&bo->blocks);
	atomic_inc(&vprime_live.bos);
	bo->base.funcs = &vprime_vram_funcs;
	drm_gem_private_object_init(&gpu->drm, &bo->base, size);
	mutex_lock(&gpu->bo_lock);
	list_add_tail(&bo->link, &gpu->vram_bo_list);
	mutex_unlock(&gpu->bo_lock);

	mutex_lock(&gpu->vram_lock);
	ret = vprime_vram_usable(gpu, &usable);
	if (!ret && size > usable)
		ret = -ENOSPC;
	else if (!ret)
		ret = drm_buddy_alloc_blocks(&gpu->vram, 0, usable, size,
					     VPRIME_GPU_PAGE_SIZE, &bo->blocks,
					     usable < gpu->hw.vram_size ?
					     DRM_BUDDY_RANGE_ALLOCATION : 0);
	mutex_unlock(&gpu->vram_lock);
	if (ret == -ENOSPC && usable < gpu->hw.vram_size)
		drm_dbg_driver(&gpu->drm, "no room for %zu KiB of VRAM: the device retired all but %llu KiB\n",
			       size >> 10, usable >> 10);
	if (!ret)
		ret = vprime_va_alloc(gpu, &bo->va, size);
	if (ret) {
		/* frees the blocks and the object */
		drm_gem_object_put(&bo->base);
		return ERR_PTR(ret == -ENOSPC ? -ENOMEM : ret);
	}
	return &bo->base;
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
	struct vprime_vram_bo *vbo;
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
	list_for_each_entry(vbo, &gpu->vram_bo_list, link) {
		mutex_lock(&gpu->vram_lock);
		if (vbo->sgt) {
			dma_unmap_sgtable(gpu->drm.dev, vbo->sgt, DMA_BIDIRECTIONAL, 0);
			sg_free_table(vbo->sgt);
			kfree(vbo->sgt);
			vbo->sgt = NULL;
		}
		mutex_unlock(&gpu->vram_lock);
	}
	mutex_unlock(&gpu->bo_lock);
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
		args->placement = vprime_is_vram_bo(obj) &&
				  !to_vprime_vram_bo(obj)->pages ?
				  VPRIME_GEM_VRAM : VPRIME_GEM_SYSTEM;
	}
	drm_gem_object_put(obj);
	return ret;
}
