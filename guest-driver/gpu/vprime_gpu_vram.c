// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: buffer objects in the dGPU's VRAM.
 *
 * VRAM is managed with drm_buddy; the CPU reaches a VRAM BO through the
 * prefetchable BAR, the GPU through VRAM PTEs.  A BO leaves VRAM for
 * system memory, copied by the copy engine, once and for good: for an
 * importer that cannot reach VRAM (vprime_gpu_prime.c), or evicted when a
 * new BO needs the room or the device retired the VRAM under it.  Every
 * GPU and CPU mapping then follows the new pages, and dynamic dma-buf
 * importers get move_notify.
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

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
	/*
	 * The page within the BO: a map through the GEM node or a dma-buf
	 * (drm_gem_prime_mmap()) carries the node's fake offset plus where
	 * the map starts in the BO.
	 */
	u64 off = (u64)(vmf->pgoff - drm_vma_node_start(&obj->vma_node)) << PAGE_SHIFT;
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

/* System pages for a migration, mapped for this device */
static int vprime_vram_alloc_sys(struct drm_gem_object *obj,
				 struct page ***pages_out,
				 struct sg_table **sgt_out)
{
	unsigned long i, n = obj->size >> PAGE_SHIFT;
	struct sg_table *sgt;
	struct page **pages;
	int ret;

	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
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
		goto err_pages;
	}
	ret = dma_map_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto err_sgt;
	*pages_out = pages;
	*sgt_out = sgt;
	return 0;

err_sgt:
	sg_free_table(sgt);
	kfree(sgt);
err_pages:
	vprime_free_pages(pages, n);
	return ret;
}

/*
 * The copy engine moves the contents, in the driver's own context: the
 * BO's VRAM at its VA, the new pages at a temporary VA, both unmapped
 * again afterwards.
 */
static int vprime_vram_copy_out(struct vprime_vram_bo *bo, struct sg_table *sgt)
{
	struct drm_gem_object *obj = &bo->base;
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_ctx *kctx = gpu->kctx;
	struct drm_mm_node tmp = {};
	int ret;

	ret = vprime_va_alloc(gpu, &tmp, obj->size);
	if (ret)
		return ret;
	mutex_lock(&kctx->lock);
	ret = vprime_ctx_write_ptes(kctx, obj, bo->va.start);
	if (!ret)
		ret = vprime_ctx_write_sgt(kctx, sgt, tmp.start, obj->size);
	vprime_ctx_tlb_invalidate(kctx);
	mutex_unlock(&kctx->lock);
	if (!ret)
		ret = vprime_kernel_copy(gpu, kctx, bo->va.start, tmp.start,
					 obj->size);
	mutex_lock(&kctx->lock);
	vprime_ctx_clear(kctx, bo->va.start, obj->size);
	vprime_ctx_clear(kctx, tmp.start, obj->size);
	vprime_ctx_tlb_invalidate(kctx);
	mutex_unlock(&kctx->lock);
	vprime_va_free(gpu, &tmp);
	return ret;
}

/* The BO lives in @pages now: VRAM goes back, every mapping follows */
static void vprime_vram_commit_move(struct vprime_vram_bo *bo,
				    struct page **pages, struct sg_table *sgt)
{
	struct drm_gem_object *obj = &bo->base;
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	LIST_HEAD(old);

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
}

/**
 * vprime_vram_move_locked - move a VRAM BO to system memory, for good
 * @bo: the BO; the caller holds its reservation lock
 *
 * For an importer that cannot reach VRAM, or to make room in VRAM.  The
 * dGPU's copy engine moves the contents, not the CPU, after the GPU's
 * pending work on the BO; every GPU and CPU mapping then follows the new
 * pages, and dynamic importers of its dma-buf get move_notify (they map
 * again, and find system memory).  Nothing to do for a BO moved already.
 *
 * Returns: 0 or a negative errno: -EBUSY while a peer-to-peer importer
 * has it pinned in VRAM, -ENODEV on an unplugged GPU.
 */
int vprime_vram_move_locked(struct vprime_vram_bo *bo)
{
	struct drm_gem_object *obj = &bo->base;
	struct sg_table *sgt = NULL;
	struct page **pages = NULL;
	long lret;
	int ret, idx;

	dma_resv_assert_held(obj->resv);
	if (bo->pages)
		return 0;
	if (bo->vram_pins)
		return -EBUSY;
	/* the copy engine does the move: not on an unplugged GPU */
	if (!drm_dev_enter(obj->dev, &idx))
		return -ENODEV;
	/* the GPU's pending work on it lands before the copy */
	lret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP, true,
				     MAX_SCHEDULE_TIMEOUT);
	ret = lret < 0 ? lret : vprime_vram_alloc_sys(obj, &pages, &sgt);
	if (ret)
		goto out_exit;
	ret = vprime_vram_copy_out(bo, sgt);
	if (ret) {
		dma_unmap_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(sgt);
		kfree(sgt);
		vprime_free_pages(pages, obj->size >> PAGE_SHIFT);
		goto out_exit;
	}
	vprime_vram_commit_move(bo, pages, sgt);
	/* importers that map on demand drop their VRAM mapping */
	if (bo->dmabuf)
		dma_buf_move_notify(bo->dmabuf);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

static const struct drm_gem_object_funcs vprime_vram_funcs = {
	.free = vprime_vram_free,
	.close = vprime_gem_close,
	.mmap = vprime_vram_mmap,
	.export = vprime_vram_prime_export,
	.vm_ops = &vprime_vram_vm_ops,
};

/**
 * vprime_is_vram_bo - whether a GEM object of this driver is a VRAM BO
 * @obj: the object (migrated ones included)
 *
 * Returns: true for a BO made in VRAM.
 */
bool vprime_is_vram_bo(struct drm_gem_object *obj)
{
	return obj->funcs == &vprime_vram_funcs;
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

/* Whether a BO has VRAM at or above @usable; caller holds vram_lock */
static bool vprime_vram_bo_above(struct vprime_gpu *gpu,
				 struct vprime_vram_bo *bo, u64 usable)
{
	struct drm_buddy_block *block;

	list_for_each_entry(block, &bo->blocks, link)
		if (drm_buddy_block_offset(block) +
		    drm_buddy_block_size(&gpu->vram, block) > usable)
			return true;
	return false;
}

/*
 * One BO to evict, referenced: the oldest one in VRAM that no importer
 * pinned there, idle ones first (an eviction waits for the BO's work).
 * With @retired, only one that lies in VRAM the device retired (at or
 * above @usable).  NULL if there is none.
 */
static struct vprime_vram_bo *vprime_vram_victim(struct vprime_gpu *gpu,
						 u64 usable, bool retired)
{
	struct vprime_vram_bo *bo, *found = NULL;
	int idle;

	mutex_lock(&gpu->bo_lock);
	mutex_lock(&gpu->vram_lock);
	for (idle = 1; idle >= 0 && !found; idle--) {
		list_for_each_entry(bo, &gpu->vram_bo_list, link) {
			if (bo->pages || list_empty(&bo->blocks) ||
			    READ_ONCE(bo->vram_pins))
				continue;
			if (retired && !vprime_vram_bo_above(gpu, bo, usable))
				continue;
			if (idle && !dma_resv_test_signaled(bo->base.resv,
							    DMA_RESV_USAGE_BOOKKEEP))
				continue;
			if (kref_get_unless_zero(&bo->base.refcount)) {
				found = bo;
				break;
			}
		}
	}
	mutex_unlock(&gpu->vram_lock);
	mutex_unlock(&gpu->bo_lock);
	return found;
}

/*
 * Evict one BO (see vprime_vram_victim()) to system memory.  Without
 * holding bo_lock: the move waits for a copy job, whose scheduler frees
 * finished jobs, which may free BOs, which takes bo_lock.  A BO whose
 * reservation is busy is left alone, as TTM does.
 *
 * Returns: true if one was evicted.
 */
static bool vprime_vram_evict_one(struct vprime_gpu *gpu, u64 usable,
				  bool retired)
{
	struct vprime_vram_bo *bo = vprime_vram_victim(gpu, usable, retired);
	bool done = false;

	if (!bo)
		return false;
	if (dma_resv_trylock(bo->base.resv)) {
		done = !vprime_vram_move_locked(bo);
		dma_resv_unlock(bo->base.resv);
	}
	if (done) {
		atomic64_inc(&gpu->evictions);
		drm_dbg_driver(&gpu->drm, "evicted a %zu KiB VRAM BO to system memory (%s)\n",
			       bo->base.size >> 10,
			       retired ? "the device retired its VRAM" : "VRAM is full");
	}
	drm_gem_object_put(&bo->base);
	return done;
}

/* Blocks for @size bytes below VRAM_USABLE; -ENOSPC if they do not fit */
static int vprime_vram_try_alloc(struct vprime_gpu *gpu,
				 struct vprime_vram_bo *bo, size_t size,
				 u64 *usable)
{
	int ret;

	mutex_lock(&gpu->vram_lock);
	ret = vprime_vram_usable(gpu, usable);
	if (!ret && size > *usable)
		ret = -ENOSPC;
	else if (!ret)
		ret = drm_buddy_alloc_blocks(&gpu->vram, 0, *usable, size,
					     VPRIME_GPU_PAGE_SIZE, &bo->blocks,
					     *usable < gpu->hw.vram_size ?
					     DRM_BUDDY_RANGE_ALLOCATION : 0);
	mutex_unlock(&gpu->vram_lock);
	return ret;
}

/*
 * Blocks for @size bytes below VRAM_USABLE.  BOs in VRAM the device
 * retired move out first (their pages are out of service); when VRAM is
 * full, the oldest BOs are evicted to system memory until the new one
 * fits.  -ENOSPC if it cannot: larger than the usable VRAM, or every
 * other BO pinned there.
 */
static int vprime_vram_alloc_blocks(struct vprime_gpu *gpu,
				    struct vprime_vram_bo *bo, size_t size)
{
	u64 usable = 0;
	int ret;

	ret = vprime_vram_usable(gpu, &usable);
	if (ret)
		return ret;
	if (usable < gpu->hw.vram_size)
		while (vprime_vram_evict_one(gpu, usable, true))
			;
	for (;;) {
		ret = vprime_vram_try_alloc(gpu, bo, size, &usable);
		if (ret != -ENOSPC || size > usable ||
		    !vprime_vram_evict_one(gpu, usable, false))
			break;
	}
	if (ret == -ENOSPC && usable < gpu->hw.vram_size)
		drm_dbg_driver(&gpu->drm, "no room for %zu KiB of VRAM: the device retired all but %llu KiB\n",
			       size >> 10, usable >> 10);
	return ret;
}

/**
 * vprime_vram_create - a new BO in VRAM
 * @gpu: a dGPU
 * @size: bytes, page aligned
 *
 * Returns: the object (one reference) or an ERR_PTR; -ENOMEM when VRAM
 * is full (there is no fallback to system memory: VRAM was asked for).
 */
struct drm_gem_object *vprime_vram_create(struct vprime_gpu *gpu, size_t size)
{
	struct vprime_vram_bo *bo;
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

	ret = vprime_vram_alloc_blocks(gpu, bo, size);
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
 * vprime_vram_unmap_all - release migrated VRAM BOs' DMA mappings
 * @gpu: device being removed, after drm_dev_unplug()
 *
 * As vprime_gem_unmap_all(), for the pages of migrated VRAM BOs.
 */
void vprime_vram_unmap_all(struct vprime_gpu *gpu)
{
	struct vprime_vram_bo *vbo;

	mutex_lock(&gpu->bo_lock);
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

/**
 * vprime_vram_init - the VRAM allocator, on a dGPU
 * @gpu: the device, at probe
 *
 * Returns: 0 (nothing to do without VRAM) or a negative errno.
 */
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
