// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: buffer objects.
 *
 * Dumb buffers and imported dma-bufs are shmem GEM objects; the engine
 * reads their pages in place by DMA.  Each object caches what the planes
 * need to point the engine at it: for an engine that scans page lists, a
 * list of the DMA addresses of its 4 KiB pages in coherent memory; for a
 * contiguous-only engine, whether its DMA addresses form one range.
 *
 * Imports attach dynamically and allow peer-to-peer DMA, as amdgpu's
 * display does: an exporter that can (a dGPU's VRAM behind the same PCIe
 * switch) hands out its BAR addresses and the engine scans VRAM directly;
 * the others give system memory.  Either way the import is pinned, as a
 * framebuffer must stay where the engine scans it: the exporter cannot
 * move it, so move_notify never has anything to do.
 */

#include <linux/dma-buf.h>
#include <linux/module.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/pagemap.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "vprime_display_drv.h"

MODULE_IMPORT_NS(DMA_BUF);

static void vprime_display_gem_free(struct drm_gem_object *obj)
{
	struct vprime_display_bo *bo = to_vprime_display_bo(obj);

	if (bo->dma_unmapped) {
		/*
		 * inject_early_unmap already unmapped the pages: free only the
		 * table, so drm_gem_shmem_free() unmaps nothing twice (it still
		 * releases the pages).
		 */
		sg_free_table(bo->base.sgt);
		kfree(bo->base.sgt);
		bo->base.sgt = NULL;
		atomic_dec(&to_vprime_display(obj->dev)->inject_live);
	}
	if (bo->page_list)
		dma_free_coherent(obj->dev->dev,
				  bo->npages * sizeof(*bo->page_list),
				  bo->page_list, bo->page_list_dma);
	if (bo->pinned) {
		/*
		 * No plane scans it any more: the exporter may move it again.
		 * drm_gem_shmem_free() unmaps and detaches (drm_prime_gem_destroy()).
		 */
		dma_resv_lock(obj->import_attach->dmabuf->resv, NULL);
		dma_buf_unpin(obj->import_attach);
		dma_resv_unlock(obj->import_attach->dmabuf->resv);
	}
	mutex_destroy(&bo->lock);
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs vprime_display_gem_funcs = {
	.free = vprime_display_gem_free,
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
 * vprime_display_gem_create_object - &drm_driver.gem_create_object
 * @drm: device
 * @size: object size, page aligned
 *
 * Used for dumb buffers and imported dma-bufs alike.
 *
 * Returns: the object, or an ERR_PTR.
 */
struct drm_gem_object *vprime_display_gem_create_object(struct drm_device *drm,
							size_t size)
{
	struct vprime_display_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	/* the engine's DMA is coherent with the CPU caches: cached maps */
	bo->base.map_wc = false;
	bo->base.base.funcs = &vprime_display_gem_funcs;
	mutex_init(&bo->lock);
	return &bo->base.base;
}

static void vprime_display_move_notify(struct dma_buf_attachment *attach)
{
	/* imports are pinned (see the top of this file): nothing moves */
}

static const struct dma_buf_attach_ops vprime_display_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = vprime_display_move_notify,
};

/**
 * vprime_display_gem_prime_import - &drm_driver.gem_prime_import
 * @drm: device
 * @dma_buf: the buffer to import
 *
 * drm_gem_prime_import_dev() with a dynamic, peer-to-peer capable and
 * pinned attachment (see the top of this file).  The display's own dumb
 * buffers come back as themselves.
 *
 * Returns: the object, or an ERR_PTR.
 */
struct drm_gem_object *vprime_display_gem_prime_import(struct drm_device *drm,
						       struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj = dma_buf->priv;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret;

	if (dma_buf->ops->release == drm_gem_dmabuf_release && obj->dev == drm)
		return drm_gem_prime_import(drm, dma_buf);

	attach = dma_buf_dynamic_attach(dma_buf, drm->dev,
					&vprime_display_importer_ops, NULL);
	if (IS_ERR(attach))
		return ERR_CAST(attach);
	get_dma_buf(dma_buf);

	dma_resv_lock(dma_buf->resv, NULL);
	ret = dma_buf_pin(attach);
	if (ret)
		goto err_unlock;
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_unpin;
	}
	dma_resv_unlock(dma_buf->resv);

	obj = drm_gem_shmem_prime_import_sg_table(drm, attach, sgt);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		dma_resv_lock(dma_buf->resv, NULL);
		dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
		goto err_unpin;
	}
	obj->import_attach = attach;
	obj->resv = dma_buf->resv;
	attach->importer_priv = obj;
	to_vprime_display_bo(obj)->pinned = true;
	return obj;

err_unpin:
	dma_buf_unpin(attach);
err_unlock:
	dma_resv_unlock(dma_buf->resv);
	dma_buf_detach(dma_buf, attach);
	dma_buf_put(dma_buf);
	return ERR_PTR(ret);
}

/**
 * vprime_display_dumb_create - &drm_driver.dumb_create
 * @file: DRM file
 * @drm: device
 * @args: the request
 *
 * drm_gem_shmem_dumb_create(), plus: when the engine's DMA mask does not
 * reach all of memory, the pages come from below 4 GiB.  Pages above the
 * mask would be mapped through swiotlb bounce buffers, and the engine
 * would scan a stale CPU copy instead of the buffer; the plane check
 * refuses such buffers, so allocate where the engine can reach.
 *
 * Returns: 0 or a negative errno.
 */
int vprime_display_dumb_create(struct drm_file *file, struct drm_device *drm,
			       struct drm_mode_create_dumb *args)
{
	struct drm_gem_object *obj;
	int ret;

	ret = drm_gem_shmem_dumb_create(file, drm, args);
	if (ret || !dma_addressing_limited(drm->dev))
		return ret;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	/* no page is allocated before first use */
	mapping_set_gfp_mask(obj->filp->f_mapping,
			     GFP_USER | __GFP_DMA32 | __GFP_RETRY_MAYFAIL);
	drm_gem_object_put(obj);
	return 0;
}

/*
 * Whether the DMA layer bounced the page-aligned DMA page at @addr through
 * swiotlb, so that the engine would scan a copy.  Only a direct mapping
 * (no IOMMU, or an identity domain) bounces whole pages: the address is
 * then one of swiotlb's, which dma_need_sync() finds.  Through an IOMMU's
 * DMA domain a whole, aligned page is always mapped in place (dma-iommu
 * bounces only sub-granule buffers of untrusted devices), while
 * dma_need_sync() is true there for every address under DMA_API_DEBUG,
 * which wants every driver to make its sync calls: it is no bounce test.
 */
static bool vprime_display_dma_bounced(struct device *dev, dma_addr_t addr)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (domain && iommu_is_dma_domain(domain))
		return false;
	return dma_need_sync(dev, addr);
}

/**
 * vprime_display_bo_map - describe a buffer's pages as the engine sees them
 * @bo: the buffer, at most VPRIME_DISP_FB_MAX bytes
 *
 * Maps the buffer for the engine (for an import, this is the attachment's
 * mapping for our device, from dma_buf_map_attachment) and records its DMA
 * layout; on a scatter-capable engine, also builds its page list.  Done
 * once: the mapping lasts as long as the object.  May sleep.
 *
 * Returns: 0 or a negative errno; whether the engine can show the buffer
 * is the caller's decision, from the recorded layout.
 */
int vprime_display_bo_map(struct vprime_display_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	struct vprime_display *disp = to_vprime_display(obj->dev);
	struct device *dev = obj->dev->dev;
	u32 npages = obj->size / VPRIME_DISP_PAGE_SIZE;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 dma_last = 0;
	bool unaligned = false, bounced = false;
	u32 n = 0;
	int i, ret = 0;

	mutex_lock(&bo->lock);
	if (bo->mapped)
		goto out_unlock;

	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_unlock;
	}

	bo->npages = npages;
	if (disp->disp_caps & VPRIME_DISP_CAP_SCATTER) {
		bo->page_list = dma_alloc_coherent(dev, npages * sizeof(*bo->page_list),
						   &bo->page_list_dma, GFP_KERNEL);
		if (!bo->page_list) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}

	/* DMA segments can be longer than a page (IOMMU merging) */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);
		unsigned int off;

		if (!IS_ALIGNED(addr, VPRIME_DISP_PAGE_SIZE) ||
		    !IS_ALIGNED(len, VPRIME_DISP_PAGE_SIZE))
			unaligned = true;
		if (vprime_display_dma_bounced(dev, addr))
			bounced = true;
		for (off = 0; off < len && n < npages; off += VPRIME_DISP_PAGE_SIZE) {
			if (bo->page_list)
				bo->page_list[n] = cpu_to_le64(addr + off);
			dma_last = max_t(u64, dma_last,
					 (u64)addr + off + VPRIME_DISP_PAGE_SIZE - 1);
			n++;
		}
	}
	if (n < npages)
		unaligned = true;

	bo->first_dma = sgt->nents ? sg_dma_address(sgt->sgl) : 0;
	bo->dma_last = dma_last;
	bo->contiguous = drm_prime_get_contiguous_size(sgt) >= obj->size;
	bo->unaligned = unaligned;
	bo->bounced = bounced;
	bo->mapped = true;

out_unlock:
	mutex_unlock(&bo->lock);
	return ret;
}
