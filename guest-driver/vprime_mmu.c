// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: GPU page tables.
 *
 * Each context has a 3-level table in coherent DMA memory.  A BO is mapped
 * at its GPU virtual address with the DMA addresses of its pages as this
 * device sees them (through the IOMMU when there is one).  For an imported
 * dma-buf those come from dma_buf_map_attachment() of our attachment: the
 * GPU reads the exporter's pages directly, nothing is copied.
 */

#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "vprime_gpu.h"

struct vprime_pt *vprime_pt_alloc(struct vprime_gpu *gpu)
{
	struct vprime_pt *pt = kzalloc(sizeof(*pt), GFP_KERNEL);

	if (!pt)
		return NULL;
	pt->cpu = dma_alloc_coherent(gpu->drm.dev, VPRIME_GPU_PAGE_SIZE,
				     &pt->dma, GFP_KERNEL);
	if (!pt->cpu) {
		kfree(pt);
		return NULL;
	}
	return pt;
}

void vprime_pt_free(struct vprime_gpu *gpu, struct vprime_pt *pt, int level)
{
	int i;

	if (!pt)
		return;
	if (level > 0)
		for (i = 0; i < VPRIME_GPU_PT_ENTRIES; i++)
			vprime_pt_free(gpu, pt->child[i], level - 1);
	dma_free_coherent(gpu->drm.dev, VPRIME_GPU_PAGE_SIZE, pt->cpu, pt->dma);
	kfree(pt);
}

/**
 * vprime_ctx_free_tables_all - free the page tables of every context
 * @gpu: device being removed, after drm_dev_unplug(): no job or ioctl can
 *	 use a context's address space any more
 *
 * The tables are DMA memory of the device and must go while it exists;
 * the contexts themselves live until userspace lets them go.
 */
void vprime_ctx_free_tables_all(struct vprime_gpu *gpu)
{
	struct vprime_ctx *ctx;
	int i;

	for (i = 0; i < VPRIME_GPU_MAX_CONTEXTS; i++) {
		ctx = vprime_ctx_get_hw(gpu, i);
		if (!ctx)
			continue;
		mutex_lock(&ctx->lock);
		vprime_pt_free(gpu, ctx->root, VPRIME_GPU_PT_LEVELS - 1);
		ctx->root = NULL;
		mutex_unlock(&ctx->lock);
		vprime_ctx_put(ctx);
	}
}

/* The leaf table covering va, allocating the path to it. */
static struct vprime_pt *vprime_pt_leaf(struct vprime_ctx *ctx, u64 va)
{
	struct vprime_pt *pt = ctx->root;
	int level;

	if (!pt)	/* freed when the device was removed */
		return NULL;
	for (level = VPRIME_GPU_PT_LEVELS - 1; level > 0; level--) {
		unsigned int idx = VPRIME_GPU_PT_INDEX(va, level);

		if (!pt->child[idx]) {
			pt->child[idx] = vprime_pt_alloc(ctx->gpu);
			if (!pt->child[idx])
				return NULL;
			WRITE_ONCE(pt->cpu[idx],
				   cpu_to_le64(pt->child[idx]->dma | VPRIME_PTE_VALID));
		}
		pt = pt->child[idx];
	}
	return pt;
}

static int vprime_map_page(struct vprime_ctx *ctx, u64 va, u64 pte)
{
	struct vprime_pt *leaf = vprime_pt_leaf(ctx, va);

	if (!leaf)
		return -ENOMEM;
	WRITE_ONCE(leaf->cpu[VPRIME_GPU_PT_INDEX(va, 0)], cpu_to_le64(pte));
	return 0;
}

/* Point [va, va + size) at the DMA addresses of an sg table */
static int vprime_map_sgt(struct vprime_ctx *ctx, struct sg_table *sgt,
			  u64 va, u64 size)
{
	struct sg_dma_page_iter iter;
	u64 end = va + size;
	int ret;

	for_each_sgtable_dma_page(sgt, &iter, 0) {
		if (va >= end)
			break;
		ret = vprime_map_page(ctx, va, sg_page_iter_dma_address(&iter) |
				      VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE);
		if (ret)
			return ret;
		va += VPRIME_GPU_PAGE_SIZE;
	}
	return 0;
}

static int vprime_map_vram(struct vprime_ctx *ctx, struct vprime_vram_bo *bo,
			   u64 va)
{
	struct vprime_gpu *gpu = ctx->gpu;
	struct drm_buddy_block *block;
	int ret = 0;

	mutex_lock(&gpu->vram_lock);
	if (bo->sgt) {
		/* migrated to system memory */
		ret = vprime_map_sgt(ctx, bo->sgt, va, bo->base.size);
		goto out;
	}
	list_for_each_entry(block, &bo->blocks, link) {
		u64 off = drm_buddy_block_offset(block);
		u64 end = off + drm_buddy_block_size(&gpu->vram, block);

		for (; off < end && !ret; off += VPRIME_GPU_PAGE_SIZE) {
			ret = vprime_map_page(ctx, va, off | VPRIME_PTE_VALID |
					      VPRIME_PTE_WRITABLE |
					      VPRIME_PTE_VRAM);
			va += VPRIME_GPU_PAGE_SIZE;
		}
	}
out:
	mutex_unlock(&gpu->vram_lock);
	return ret;
}

static int vprime_map_sys(struct vprime_ctx *ctx, struct vprime_bo *bo,
			  u64 va)
{
	struct sg_table *sgt = drm_gem_shmem_get_pages_sgt(&bo->base);

	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	return vprime_map_sgt(ctx, sgt, va, bo->base.base.size);
}

/**
 * vprime_ctx_write_ptes - point a range of a context at a BO's pages
 * @ctx: context; caller holds @ctx->lock
 * @obj: BO, wherever it is now (system, VRAM, migrated)
 * @va: where
 *
 * No reference is taken and the TLB is not invalidated.
 */
int vprime_ctx_write_ptes(struct vprime_ctx *ctx, struct drm_gem_object *obj,
			  u64 va)
{
	if (vprime_is_vram_bo(obj))
		return vprime_map_vram(ctx, to_vprime_vram_bo(obj), va);
	return vprime_map_sys(ctx, to_vprime_bo(obj), va);
}

/* Make a range of a context not present again; caller holds ctx->lock */
void vprime_ctx_clear(struct vprime_ctx *ctx, u64 va, u64 size)
{
	u64 end = va + size;

	for (; va < end; va += VPRIME_GPU_PAGE_SIZE) {
		struct vprime_pt *pt = ctx->root;
		int level;

		for (level = VPRIME_GPU_PT_LEVELS - 1; level > 0 && pt; level--)
			pt = pt->child[VPRIME_GPU_PT_INDEX(va, level)];
		if (pt)
			WRITE_ONCE(pt->cpu[VPRIME_GPU_PT_INDEX(va, 0)], 0);
	}
}

/* Map an sg table at va in a context; caller holds ctx->lock */
int vprime_ctx_write_sgt(struct vprime_ctx *ctx, struct sg_table *sgt,
			 u64 va, u64 size)
{
	return vprime_map_sgt(ctx, sgt, va, size);
}

/**
 * vprime_ctx_map_bo - map a BO into a context's address space, once
 * @ctx: context
 * @obj: buffer object; the context keeps a reference while it is mapped
 *
 * Returns 0 or a negative errno.
 */
int vprime_ctx_map_bo(struct vprime_ctx *ctx, struct drm_gem_object *obj)
{
	unsigned long key = vprime_bo_va(obj) >> VPRIME_GPU_PAGE_SHIFT;
	int ret = 0;

	mutex_lock(&ctx->lock);
	if (xa_load(&ctx->mapped, key))
		goto out;
	ret = vprime_ctx_write_ptes(ctx, obj, vprime_bo_va(obj));
	if (ret)
		goto out;
	ret = xa_err(xa_store(&ctx->mapped, key, obj, GFP_KERNEL));
	if (ret)
		goto out;
	drm_gem_object_get(obj);
	/* the GPU may have cached "not present" for these pages */
	vprime_hw_write(&ctx->gpu->hw, VPRIME_REG_TLB_INVALIDATE, ctx->hw_id);
out:
	mutex_unlock(&ctx->lock);
	return ret;
}
