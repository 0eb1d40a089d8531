// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: GPU page tables and the BO mappings in them.
 *
 * Each context has a 3-level table in coherent DMA memory.  A BO is mapped
 * at its GPU virtual address with the DMA addresses of its pages as this
 * device sees them (through the IOMMU when there is one).  For an imported
 * dma-buf those come from dma_buf_map_attachment() of our attachment: the
 * GPU reads the exporter's pages directly, nothing is copied.
 *
 * A BO is mapped into a context at the first SUBMIT that lists it and
 * stays there while the context's file holds a handle to it; when the file
 * closes the handle (GEM_CLOSE, or closing the file) and the last job that
 * listed it is freed, its entries are cleared.  Two files sharing a BO
 * (PRIME) each keep it in their own contexts: the mapping is per context.
 */

#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "vprime_gpu_drv.h"

/**
 * vprime_pt_alloc - one empty page-table page
 * @gpu: the device whose DMA memory it is
 *
 * Returns: the table, or NULL.
 */
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

/**
 * vprime_pt_free - free a table and the tables below it
 * @gpu: the device
 * @pt: the table, or NULL
 * @level: its level (VPRIME_GPU_PT_LEVELS - 1 for a root, 0 for a leaf)
 */
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
 * vprime_ctx_for_each_hw_locked - visit every hardware context, locked
 * @gpu: the device
 * @fn: called with a context's lock held and a reference on it; returns
 *	true to stop the walk
 * @data: passed to @fn
 *
 * Contexts on their way out (no reference left) are skipped: their tables
 * and mappings go with them.
 */
void vprime_ctx_for_each_hw_locked(struct vprime_gpu *gpu,
				   bool (*fn)(struct vprime_ctx *ctx, void *data),
				   void *data)
{
	struct vprime_ctx *ctx;
	bool stop = false;
	int i;

	for (i = 0; i < VPRIME_GPU_MAX_CONTEXTS && !stop; i++) {
		ctx = vprime_ctx_get_hw(gpu, i);
		if (!ctx)
			continue;
		mutex_lock(&ctx->lock);
		stop = fn(ctx, data);
		mutex_unlock(&ctx->lock);
		vprime_ctx_put(ctx);
	}
}

static bool vprime_ctx_free_tables(struct vprime_ctx *ctx, void *data)
{
	vprime_pt_free(ctx->gpu, ctx->root, VPRIME_GPU_PT_LEVELS - 1);
	ctx->root = NULL;
	return false;
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
	vprime_ctx_for_each_hw_locked(gpu, vprime_ctx_free_tables, NULL);
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
	/* made by vprime_ctx_map_bo(), outside ctx->lock; kept until the free */
	if (!bo->base.sgt)
		return -EINVAL;
	return vprime_map_sgt(ctx, bo->base.sgt, va, bo->base.base.size);
}

/**
 * vprime_ctx_write_ptes - point a range of a context at a BO's pages
 * @ctx: context; caller holds @ctx->lock
 * @obj: BO, wherever it is now (system, VRAM, migrated); a system-memory
 *	BO's sg table exists already (vprime_ctx_map_bo() makes it)
 * @va: where
 *
 * No reference is taken and the TLB is not invalidated.
 *
 * Returns: 0, or -ENOMEM for a page table.
 */
int vprime_ctx_write_ptes(struct vprime_ctx *ctx, struct drm_gem_object *obj,
			  u64 va)
{
	if (vprime_is_vram_bo(obj))
		return vprime_map_vram(ctx, to_vprime_vram_bo(obj), va);
	return vprime_map_sys(ctx, to_vprime_bo(obj), va);
}

/**
 * vprime_ctx_clear - make a range of a context not present again
 * @ctx: context; caller holds @ctx->lock
 * @va: first address
 * @size: bytes
 *
 * The TLB is not invalidated.
 */
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

/**
 * vprime_ctx_write_sgt - map an sg table's DMA addresses at @va
 * @ctx: context; caller holds @ctx->lock
 * @sgt: DMA-mapped for this device
 * @va: where
 * @size: bytes to map
 *
 * Returns: 0, or -ENOMEM for a page table.
 */
int vprime_ctx_write_sgt(struct vprime_ctx *ctx, struct sg_table *sgt,
			 u64 va, u64 size)
{
	return vprime_map_sgt(ctx, sgt, va, size);
}

/**
 * vprime_ctx_tlb_invalidate - make the GPU forget cached entries of a context
 * @ctx: the context
 *
 * Nothing on an unplugged device, whose tables are gone anyway.
 */
void vprime_ctx_tlb_invalidate(struct vprime_ctx *ctx)
{
	int idx;

	if (drm_dev_enter(&ctx->gpu->drm, &idx)) {
		vprime_hw_write(&ctx->gpu->hw, VPRIME_REG_TLB_INVALIDATE,
				ctx->hw_id);
		drm_dev_exit(idx);
	}
}

static unsigned long vprime_mapping_key(struct drm_gem_object *obj)
{
	return vprime_bo_va(obj) >> VPRIME_GPU_PAGE_SHIFT;
}

/*
 * The last reference went, under ctx->lock (kref_put_mutex): out of the
 * context's array, entries cleared, the BO let go.  Another mapping of the
 * same BO may have taken its place in the array (the file got a handle to
 * it again while a job still held this one): its entries stay.
 */
static void vprime_mapping_release(struct kref *kref)
{
	struct vprime_mapping *m = container_of(kref, struct vprime_mapping,
						refcount);
	struct vprime_ctx *ctx = m->ctx;
	unsigned long key = vprime_mapping_key(m->obj);

	if (xa_load(&ctx->mapped, key) == m) {
		xa_erase(&ctx->mapped, key);
		vprime_ctx_clear(ctx, vprime_bo_va(m->obj), m->obj->size);
		/* no job may reach the pages the BO gives back */
		vprime_ctx_tlb_invalidate(ctx);
	}
	mutex_unlock(&ctx->lock);
	drm_gem_object_put(m->obj);
	kfree(m);
}

/**
 * vprime_mapping_put - drop a reference on a mapping
 * @m: the mapping; the caller does not hold its context's lock
 */
void vprime_mapping_put(struct vprime_mapping *m)
{
	kref_put_mutex(&m->refcount, vprime_mapping_release, &m->ctx->lock);
}

/**
 * vprime_ctx_map_bo - map a BO into a context for a job
 * @ctx: context
 * @obj: buffer object of the submitting file
 *
 * Maps the BO unless it is mapped already, and marks it held by the
 * context's file (the caller found it through one of the file's handles).
 *
 * Returns: the mapping with a reference for the job (release with
 * vprime_mapping_put()), or an ERR_PTR.
 */
struct vprime_mapping *vprime_ctx_map_bo(struct vprime_ctx *ctx,
					 struct drm_gem_object *obj)
{
	unsigned long key = vprime_mapping_key(obj);
	struct vprime_mapping *m;
	struct sg_table *sgt;
	int ret;

	/*
	 * The pages and their DMA mapping, first: that takes the BO's
	 * reservation lock, which a migration holds while it takes ctx->lock.
	 */
	if (!vprime_is_vram_bo(obj)) {
		sgt = drm_gem_shmem_get_pages_sgt(to_drm_gem_shmem_obj(obj));
		if (IS_ERR(sgt))
			return ERR_CAST(sgt);
	}

	mutex_lock(&ctx->lock);
	m = xa_load(&ctx->mapped, key);
	if (m) {
		/* alive: a mapping at zero takes ctx->lock to leave the array */
		kref_get(&m->refcount);
		if (!m->held) {
			m->held = true;
			kref_get(&m->refcount);
		}
		goto out;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m) {
		m = ERR_PTR(-ENOMEM);
		goto out;
	}
	ret = vprime_ctx_write_ptes(ctx, obj, vprime_bo_va(obj));
	if (!ret)
		ret = xa_err(xa_store(&ctx->mapped, key, m, GFP_KERNEL));
	if (ret) {
		vprime_ctx_clear(ctx, vprime_bo_va(obj), obj->size);
		kfree(m);
		m = ERR_PTR(ret);
		goto out;
	}
	/* the held reference and the job's */
	kref_init(&m->refcount);
	kref_get(&m->refcount);
	m->ctx = ctx;
	m->obj = obj;
	m->held = true;
	drm_gem_object_get(obj);
	/* the GPU may have cached "not present" for these pages */
	vprime_ctx_tlb_invalidate(ctx);
out:
	mutex_unlock(&ctx->lock);
	return m;
}

/* The file let go of the BO: the context's mapping of it is no longer held */
static void vprime_ctx_unhold_bo(struct vprime_ctx *ctx,
				 struct drm_gem_object *obj)
{
	struct vprime_mapping *m;

	mutex_lock(&ctx->lock);
	m = xa_load(&ctx->mapped, vprime_mapping_key(obj));
	if (!m || m->obj != obj || !m->held) {
		mutex_unlock(&ctx->lock);
		return;
	}
	m->held = false;
	mutex_unlock(&ctx->lock);
	vprime_mapping_put(m);
}

/**
 * vprime_file_unmap_bo - a file closed its handle to a BO
 * @vf: the file
 * @obj: the BO
 *
 * In each of the file's contexts the BO's mapping loses the file's
 * reference: it goes now, or when the last job listing it is freed.  Other
 * files' contexts keep theirs.
 */
void vprime_file_unmap_bo(struct vprime_file *vf, struct drm_gem_object *obj)
{
	struct vprime_ctx *ctx;
	unsigned long id = 0;

	while ((ctx = vprime_file_ctx_next(vf, &id))) {
		vprime_ctx_unhold_bo(ctx, obj);
		vprime_ctx_put(ctx);
		id++;
	}
}

/**
 * vprime_ctx_unmap_all - let go of every BO of a context being released
 * @ctx: the context, with no reference left: no job holds a mapping, each
 *	one left is only held, and its entries go with the tables
 */
void vprime_ctx_unmap_all(struct vprime_ctx *ctx)
{
	struct vprime_mapping *m;
	unsigned long key;

	xa_for_each(&ctx->mapped, key, m) {
		drm_gem_object_put(m->obj);
		kfree(m);
	}
	xa_destroy(&ctx->mapped);
}

static bool vprime_ctx_remap(struct vprime_ctx *ctx, void *data)
{
	struct drm_gem_object *obj = data;

	if (xa_load(&ctx->mapped, vprime_mapping_key(obj))) {
		vprime_ctx_write_ptes(ctx, obj, vprime_bo_va(obj));
		vprime_ctx_tlb_invalidate(ctx);
	}
	return false;
}

/**
 * vprime_remap_everywhere - rewrite a BO's entries after it moved
 * @gpu: the device
 * @obj: the BO, wherever it is now (a migrated VRAM BO)
 *
 * Every context with a mapping of it, held or only used by jobs, points
 * at its new pages.
 */
void vprime_remap_everywhere(struct vprime_gpu *gpu, struct drm_gem_object *obj)
{
	vprime_ctx_for_each_hw_locked(gpu, vprime_ctx_remap, obj);
}
