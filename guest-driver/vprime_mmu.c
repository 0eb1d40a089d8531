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

/* The leaf table covering va, allocating the path to it. */
static struct vprime_pt *vprime_pt_leaf(struct vprime_ctx *ctx, u64 va)
{
	struct vprime_pt *pt = ctx->root;
	int level;

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

static int vprime_map_vram(struct vprime_ctx *ctx, struct vprime_vram_bo *bo)
{
	struct vprime_gpu *gpu = ctx->gpu;
	struct drm_buddy_block *block;
	u64 va = bo->va.start;
	int ret = 0;

	mutex_lock(&gpu->vram_lock);
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
	mutex_unlock(&gpu->vram_lock);
	return ret;
}

static int vprime_map_sys(struct vprime_ctx *ctx, struct vprime_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct sg_dma_page_iter iter;
	struct sg_table *sgt;
	u64 va = bo->va.start;
	int ret;

	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		dma_addr_t addr = sg_page_iter_dma_address(&iter);

		if (va >= bo->va.start + obj->size)
			break;
		ret = vprime_map_page(ctx, va, addr | VPRIME_PTE_VALID |
				      VPRIME_PTE_WRITABLE);
		if (ret)
			return ret;
		va += VPRIME_GPU_PAGE_SIZE;
	}
	return 0;
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
	if (vprime_is_vram_bo(obj))
		ret = vprime_map_vram(ctx, to_vprime_vram_bo(obj));
	else
		ret = vprime_map_sys(ctx, to_vprime_bo(obj));
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
