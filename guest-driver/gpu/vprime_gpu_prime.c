// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: dma-buf export of VRAM BOs — dynamic, and peer-to-peer
 * where the PCI topology allows it.
 *
 * System-memory BOs are exported with the shmem helpers' PRIME ops.  A
 * VRAM BO gets its own dma_buf_ops, as amdgpu's and xe's do, so that
 * where its pages live is decided per importer, when it maps:
 *
 * - an importer that allows peer-to-peer DMA (a dynamic importer with
 *   allow_peer2peer) and that pci_p2pdma_distance() accepts — both devices
 *   behind one PCIe switch, say — gets the VRAM's BAR addresses
 *   (dma_map_resource()): its device reads VRAM directly, nothing moves;
 * - any other importer needs system memory: the BO moves there, once,
 *   copied by the copy engine (vprime_vram_move_locked()).
 *
 * A dynamic importer (one with move_notify) maps without pinning: the
 * BO may be evicted later (VRAM full, VRAM retired by the device), and
 * the importer gets move_notify and maps again.  A static importer, or a
 * dynamic one that pins (a display scanning the buffer), pins it: in VRAM
 * for a peer-to-peer pin, after the move for the others.  The dma-buf
 * core waits for the BO's fences on DMA_BUF_IOCTL_SYNC; mmap goes
 * through the BAR, write-combined, and follows the BO when it moves.
 */

#include <linux/dma-buf.h>
#include <linux/module.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

MODULE_IMPORT_NS(DMA_BUF);

/**
 * struct vprime_attach - what the exporter keeps per attachment
 * @vram_pins: pins of this attachment that hold the BO in VRAM
 */
struct vprime_attach {
	unsigned int vram_pins;
};

/* Whether @dev may read the dGPU's VRAM through its BAR */
static bool vprime_p2p_reachable(struct vprime_gpu *gpu, struct device *dev)
{
	resource_size_t last = gpu->vram_bar + gpu->hw.vram_size - 1;

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA) || !dev_is_pci(dev))
		return false;
	/* the path between the two devices: a shared switch, or a host
	 * bridge the kernel knows forwards peer-to-peer traffic */
	if (pci_p2pdma_distance(gpu->hw.pdev, dev, false) < 0)
		return false;
	/* without an IOMMU the importer uses the bus address itself */
	return device_iommu_mapped(dev) || last <= dma_get_mask(dev);
}

static bool vprime_vram_resident(struct vprime_vram_bo *bo)
{
	return !bo->pages;
}

static int vprime_vram_dmabuf_attach(struct dma_buf *dmabuf,
				     struct dma_buf_attachment *attach)
{
	struct drm_gem_object *obj = dmabuf->priv;
	struct vprime_gpu *gpu = to_vprime_gpu(obj->dev);
	struct vprime_attach *va;

	va = kzalloc(sizeof(*va), GFP_KERNEL);
	if (!va)
		return -ENOMEM;
	attach->priv = va;
	if (attach->peer2peer && !vprime_p2p_reachable(gpu, attach->dev)) {
		drm_dbg_prime(obj->dev, "%s cannot reach VRAM peer-to-peer: it gets system memory\n",
			      dev_name(attach->dev));
		attach->peer2peer = false;
	}
	return 0;
}

static void vprime_vram_dmabuf_detach(struct dma_buf *dmabuf,
				      struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
}

/*
 * Called with the reservation lock held, for a static importer at attach
 * and for a dynamic one that pins (or maps, without DMABUF_MOVE_NOTIFY).
 */
static int vprime_vram_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct drm_gem_object *obj = attach->dmabuf->priv;
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);
	struct vprime_attach *va = attach->priv;
	int ret;

	if (attach->peer2peer && vprime_vram_resident(bo)) {
		va->vram_pins++;
		bo->vram_pins++;
		return 0;
	}
	/* -EBUSY while a peer-to-peer importer holds it in VRAM */
	ret = vprime_vram_move_locked(bo);
	if (ret)
		drm_dbg_prime(obj->dev, "%s: cannot move the BO to system memory: %d\n",
			      dev_name(attach->dev), ret);
	return ret;
}

static void vprime_vram_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct vprime_vram_bo *bo = to_vprime_vram_bo(attach->dmabuf->priv);
	struct vprime_attach *va = attach->priv;

	if (va->vram_pins) {
		va->vram_pins--;
		bo->vram_pins--;
	}
}

/*
 * The BAR addresses of the BO's VRAM for a peer: one segment per buddy
 * block, split to the importer's largest segment.
 */
static struct sg_table *vprime_vram_map_p2p(struct vprime_vram_bo *bo,
					    struct device *dev,
					    enum dma_data_direction dir)
{
	struct vprime_gpu *gpu = to_vprime_gpu(bo->base.dev);
	unsigned int seg = dma_get_max_seg_size(dev);
	struct drm_buddy_block *block;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int n = 0, done = 0;
	int ret;

	seg = rounddown(seg, PAGE_SIZE) ?: PAGE_SIZE;
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&gpu->vram_lock);
	list_for_each_entry(block, &bo->blocks, link)
		n += DIV_ROUND_UP(drm_buddy_block_size(&gpu->vram, block), seg);
	ret = sg_alloc_table(sgt, n, GFP_KERNEL);
	if (ret)
		goto err_unlock;
	sg = sgt->sgl;
	list_for_each_entry(block, &bo->blocks, link) {
		u64 off = drm_buddy_block_offset(block);
		u64 end = off + drm_buddy_block_size(&gpu->vram, block);

		for (; off < end; off += seg, sg = sg_next(sg)) {
			unsigned int len = min_t(u64, seg, end - off);
			dma_addr_t addr;

			addr = dma_map_resource(dev, gpu->vram_bar + off, len, dir,
						DMA_ATTR_SKIP_CPU_SYNC);
			if (dma_mapping_error(dev, addr)) {
				ret = -EIO;
				goto err_unmap;
			}
			/* no struct page behind a BAR: importers use DMA addresses only */
			sg_set_page(sg, NULL, len, 0);
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			done++;
		}
	}
	mutex_unlock(&gpu->vram_lock);
	return sgt;

err_unmap:
	for_each_sg(sgt->sgl, sg, done, n)
		dma_unmap_resource(dev, sg_dma_address(sg), sg_dma_len(sg), dir,
				   DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
err_unlock:
	mutex_unlock(&gpu->vram_lock);
	kfree(sgt);
	return ERR_PTR(ret);
}

static struct sg_table *
vprime_vram_dmabuf_map(struct dma_buf_attachment *attach,
		       enum dma_data_direction dir)
{
	struct drm_gem_object *obj = attach->dmabuf->priv;
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(obj->resv);
	if (attach->peer2peer && vprime_vram_resident(bo))
		return vprime_vram_map_p2p(bo, attach->dev, dir);

	/* an importer that needs system memory: the BO moves there now */
	ret = vprime_vram_move_locked(bo);
	if (ret)
		return ERR_PTR(ret);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	/* segments no longer than the importer takes */
	ret = sg_alloc_table_from_pages_segment(sgt, bo->pages,
						obj->size >> PAGE_SHIFT, 0,
						obj->size,
						dma_get_max_seg_size(attach->dev),
						GFP_KERNEL);
	if (!ret)
		ret = dma_map_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret) {
		sg_free_table(sgt);
		kfree(sgt);
		return ERR_PTR(ret);
	}
	return sgt;
}

static void vprime_vram_dmabuf_unmap(struct dma_buf_attachment *attach,
				     struct sg_table *sgt,
				     enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	if (sg_page(sgt->sgl)) {
		dma_unmap_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	} else {
		for_each_sgtable_dma_sg(sgt, sg, i)
			dma_unmap_resource(attach->dev, sg_dma_address(sg),
					   sg_dma_len(sg), dir,
					   DMA_ATTR_SKIP_CPU_SYNC);
	}
	sg_free_table(sgt);
	kfree(sgt);
}

static void vprime_vram_dmabuf_release(struct dma_buf *dmabuf)
{
	struct drm_gem_object *obj = dmabuf->priv;
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);

	dma_resv_lock(obj->resv, NULL);
	if (bo->dmabuf == dmabuf)
		bo->dmabuf = NULL;
	dma_resv_unlock(obj->resv);
	drm_gem_dmabuf_release(dmabuf);
}

static int vprime_vram_dmabuf_mmap(struct dma_buf *dmabuf,
				   struct vm_area_struct *vma)
{
	struct drm_gem_object *obj = dmabuf->priv;
	int ret;

	/*
	 * The map lives in the DRM device's address space at the object's
	 * fake offset (drm_gem_prime_mmap()), so that a move zaps it like a
	 * map of the render node: the node must exist, even if no file ever
	 * asked for the offset.
	 */
	ret = drm_gem_create_mmap_offset(obj);
	return ret ?: drm_gem_prime_mmap(obj, vma);
}

/*
 * DMA_BUF_IOCTL_SYNC: the core has waited for the BO's fences (the GPU's
 * writes for a read; reads and writes for a write).  A CPU write through
 * the write-combined BAR map may still sit in the CPU's write-combining
 * buffers: drain them before the GPU's next job reads VRAM.
 */
static int vprime_vram_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
					     enum dma_data_direction dir)
{
	if (dir != DMA_FROM_DEVICE)
		wmb();
	return 0;
}

static const struct dma_buf_ops vprime_vram_dmabuf_ops = {
	.attach = vprime_vram_dmabuf_attach,
	.detach = vprime_vram_dmabuf_detach,
	.pin = vprime_vram_dmabuf_pin,
	.unpin = vprime_vram_dmabuf_unpin,
	.map_dma_buf = vprime_vram_dmabuf_map,
	.unmap_dma_buf = vprime_vram_dmabuf_unmap,
	.release = vprime_vram_dmabuf_release,
	.mmap = vprime_vram_dmabuf_mmap,
	.end_cpu_access = vprime_vram_dmabuf_end_cpu_access,
};

/**
 * vprime_vram_prime_export - &drm_gem_object_funcs.export of a VRAM BO
 * @obj: the BO, wherever it is now
 * @flags: the dma-buf file's flags
 *
 * Nothing moves here: each importer gets the BO where it can reach it
 * when it maps.
 *
 * Returns: the dma-buf, or an ERR_PTR.
 */
struct dma_buf *vprime_vram_prime_export(struct drm_gem_object *obj, int flags)
{
	struct vprime_vram_bo *bo = to_vprime_vram_bo(obj);
	struct dma_buf_export_info exp_info = {
		.exp_name = KBUILD_MODNAME,
		.owner = obj->dev->driver->fops->owner,
		.ops = &vprime_vram_dmabuf_ops,
		.size = obj->size,
		.flags = flags,
		.priv = obj,
		.resv = obj->resv,
	};
	struct dma_buf *dmabuf;

	dmabuf = drm_gem_dmabuf_export(obj->dev, &exp_info);
	if (IS_ERR(dmabuf))
		return dmabuf;
	dma_resv_lock(obj->resv, NULL);
	bo->dmabuf = dmabuf;
	dma_resv_unlock(obj->resv);
	return dmabuf;
}

/**
 * vprime_gem_prime_import - &drm_driver.gem_prime_import
 * @drm: the importing device
 * @dma_buf: the dma-buf
 *
 * A VRAM BO's own dma-buf coming back to its device is the BO itself, as
 * drm_gem_prime_import() does for the helpers' dma-bufs; everything else
 * is imported by drm_gem_prime_import() (a static attachment: another
 * vprime GPU's VRAM BO moves to system memory).
 *
 * Returns: the GEM object, or an ERR_PTR.
 */
struct drm_gem_object *vprime_gem_prime_import(struct drm_device *drm,
					       struct dma_buf *dma_buf)
{
	struct drm_gem_object *obj = dma_buf->priv;

	if (dma_buf->ops == &vprime_vram_dmabuf_ops && obj->dev == drm) {
		drm_gem_object_get(obj);
		return obj;
	}
	return drm_gem_prime_import(drm, dma_buf);
}
