// SPDX-License-Identifier: GPL-2.0-only
/*
 * The register block every vprime device has: identification, MSI-X, the
 * misc interrupt (errors, the software interrupt), GET_PARAM's answers
 * from the identification registers and the interrupt counters in
 * debugfs.  Compiled into vprime_gpu.ko and vprime_display.ko alike.
 */

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

#include "uapi/drm/vprime_drm.h"
#include "vprime_hw.h"

/* How long probe waits for the self-test interrupt. */
#define VPRIME_IRQ_SELFTEST_MS	1000

static irqreturn_t vprime_hw_misc_irq(int irq, void *arg)
{
	struct vprime_hw *hw = arg;
	/* only the misc causes: engines and heads ack their own */
	u32 status = vprime_hw_read(hw, VPRIME_REG_IRQ_STATUS) &
		     VPRIME_IRQ_VALID_MASK;

	if (!status)
		return IRQ_NONE;
	vprime_hw_write(hw, VPRIME_REG_IRQ_STATUS, status);
	atomic64_inc(&hw->irq_count);

	if (status & VPRIME_IRQ_ERROR) {
		u32 err = vprime_hw_read(hw, VPRIME_REG_ERROR);
		u32 addr = vprime_hw_read(hw, VPRIME_REG_ERROR_ADDR);

		vprime_hw_write(hw, VPRIME_REG_ERROR, err);
		atomic_set(&hw->last_error, err);
		atomic64_inc(&hw->error_count);
		if (hw->on_error)
			hw->on_error(hw, err);
		if (err & ~(VPRIME_ERR_PAGE_FAULT | hw->quiet_errors))
			drm_err_ratelimited(hw->drm, "device error 0x%x at 0x%x\n",
					    err, addr);
	}
	if (status & VPRIME_IRQ_SOFTWARE)
		complete(&hw->selftest);
	return IRQ_HANDLED;
}

/* ID, VERSION and KIND say this is the vprime function the PCI ID promised */
static int vprime_hw_identify(struct vprime_hw *hw, u32 expect_kind)
{
	u32 id = vprime_hw_read(hw, VPRIME_REG_ID);

	if (id != VPRIME_ID_MAGIC) {
		drm_err(hw->drm, "ID register reads 0x%08x, expected 0x%08x\n",
			id, VPRIME_ID_MAGIC);
		return -ENODEV;
	}
	hw->version = vprime_hw_read(hw, VPRIME_REG_VERSION);
	if (VPRIME_VERSION_GET_MAJOR(hw->version) != VPRIME_VERSION_MAJOR) {
		drm_err(hw->drm, "hardware ABI %u.%u, driver speaks %u.x\n",
			VPRIME_VERSION_GET_MAJOR(hw->version),
			VPRIME_VERSION_GET_MINOR(hw->version),
			VPRIME_VERSION_MAJOR);
		return -ENODEV;
	}
	hw->kind = vprime_hw_read(hw, VPRIME_REG_KIND);
	if (hw->kind != expect_kind) {
		drm_err(hw->drm, "KIND register reads %u, PCI ID says %u\n",
			hw->kind, expect_kind);
		return -ENODEV;
	}
	hw->caps = vprime_hw_read(hw, VPRIME_REG_CAPS);
	hw->vram_size = vprime_hw_read(hw, VPRIME_REG_VRAM_SIZE_LO) |
			(u64)vprime_hw_read(hw, VPRIME_REG_VRAM_SIZE_HI) << 32;
	hw->num_heads = vprime_hw_read(hw, VPRIME_REG_NUM_HEADS);
	hw->msix_vectors = vprime_hw_read(hw, VPRIME_REG_MSIX_VECTORS);

	if (!(hw->caps & VPRIME_CAP_MSIX) || !hw->msix_vectors) {
		drm_err(hw->drm, "device has no MSI-X (caps 0x%x)\n", hw->caps);
		return -ENODEV;
	}
	return 0;
}

/**
 * vprime_hw_init - map and identify a vprime function, set up its MSI-X
 * @hw: state to fill; @hw->drm and @hw->pdev set by the caller
 * @expect_kind: VPRIME_KIND_* the PCI ID promised
 * @name: for the BAR request and the interrupt
 *
 * Everything is device-managed: on failure, or on unbind, the devres
 * unwinding undoes it.
 *
 * Returns: 0 or a negative errno.
 */
int vprime_hw_init(struct vprime_hw *hw, u32 expect_kind, const char *name)
{
	struct pci_dev *pdev = hw->pdev;
	int ret, nvec;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);

	hw->mmio = pcim_iomap_region(pdev, VPRIME_BAR_MMIO, name);
	if (IS_ERR(hw->mmio))
		return PTR_ERR(hw->mmio);
	ret = vprime_hw_identify(hw, expect_kind);
	if (ret)
		return ret;

	/* Quiesce whatever firmware or a previous driver left behind. */
	vprime_hw_write(hw, VPRIME_REG_IRQ_ENABLE, 0);
	vprime_hw_write(hw, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_VALID_MASK);
	vprime_hw_write(hw, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);

	/* MSI-X only: the engines need one vector each, INTx cannot do that. */
	nvec = pci_alloc_irq_vectors(pdev, hw->msix_vectors, hw->msix_vectors,
				     PCI_IRQ_MSIX);
	if (nvec < 0) {
		drm_err(hw->drm, "cannot enable %u MSI-X vectors: %d\n",
			hw->msix_vectors, nvec);
		return nvec;
	}

	init_completion(&hw->selftest);
	ret = devm_request_irq(&pdev->dev,
			       pci_irq_vector(pdev, VPRIME_MSIX_VEC_MISC),
			       vprime_hw_misc_irq, 0, name, hw);
	if (ret)
		return ret;

	vprime_hw_write(hw, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_VALID_MASK);

	/*
	 * Prove the interrupt path end to end before userspace can depend
	 * on it: a broken MSI-X route would otherwise surface later as
	 * fences that never signal.
	 */
	vprime_hw_write(hw, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
	if (!wait_for_completion_timeout(&hw->selftest,
					 msecs_to_jiffies(VPRIME_IRQ_SELFTEST_MS))) {
		drm_err(hw->drm, "no MSI-X interrupt within %u ms\n",
			VPRIME_IRQ_SELFTEST_MS);
		vprime_hw_write(hw, VPRIME_REG_IRQ_ENABLE, 0);
		return -EIO;
	}
	return 0;
}

/**
 * vprime_hw_fini - stop the device from interrupting
 * @hw: the function, on unbind, shutdown or a failed probe
 */
void vprime_hw_fini(struct vprime_hw *hw)
{
	vprime_hw_write(hw, VPRIME_REG_IRQ_ENABLE, 0);
	vprime_hw_write(hw, VPRIME_REG_IRQ_STATUS, ~0u);
}

/**
 * vprime_layout_modifier - the DRM format modifier of a layout
 * @layout: VPRIME_LAYOUT_*
 *
 * The registered modifiers whose public layouts the devices implement
 * (hw/vprime-spec.rst, "Layouts").
 *
 * Returns: the modifier, or DRM_FORMAT_MOD_INVALID for an unknown layout.
 */
u64 vprime_layout_modifier(u32 layout)
{
	switch (layout) {
	case VPRIME_LAYOUT_LINEAR:
		return DRM_FORMAT_MOD_LINEAR;
	case VPRIME_LAYOUT_X_TILED:
		return I915_FORMAT_MOD_X_TILED;
	case VPRIME_LAYOUT_Y_TILED:
		return I915_FORMAT_MOD_Y_TILED;
	case VPRIME_LAYOUT_NV_BLOCK:
		return VPRIME_FORMAT_MOD_NV_BLOCK;
	}
	return DRM_FORMAT_MOD_INVALID;
}

/**
 * vprime_layout_tile_width - bytes of a tile row of a tiled layout
 * @layout: VPRIME_LAYOUT_*; a negative value (no layout) counts as linear
 *
 * Every tiled layout has 4 KiB tiles (VPRIME_TILE_SIZE): its tile height
 * is VPRIME_TILE_SIZE divided by this.
 *
 * Returns: the tile width, or 1 for LINEAR and unknown layouts.
 */
u32 vprime_layout_tile_width(int layout)
{
	return layout > 0 ? max(VPRIME_LAYOUT_TILE_W(layout), 1u) : 1;
}

/**
 * vprime_modifier_layout - the layout of a DRM format modifier
 * @modifier: a DRM format modifier
 *
 * Returns: its VPRIME_LAYOUT_*, or -EINVAL for a modifier no vprime
 * device defines (whether a device takes it is the caller's question).
 */
int vprime_modifier_layout(u64 modifier)
{
	u32 l;

	for (l = 0; l < VPRIME_LAYOUT_COUNT; l++)
		if (vprime_layout_modifier(l) == modifier)
			return l;
	return -EINVAL;
}

/**
 * vprime_hw_get_param - DRM_IOCTL_VPRIME_GET_PARAM for the common registers
 * @hw: the function
 * @args: the ioctl's argument; @args->value is set
 *
 * The values were read at probe; the caller answers its driver's own
 * parameters first and holds drm_dev_enter().
 *
 * Returns: 0, or -EINVAL for a non-zero pad or a parameter it does not know.
 */
int vprime_hw_get_param(struct vprime_hw *hw, struct drm_vprime_get_param *args)
{
	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case VPRIME_PARAM_KIND:
		args->value = hw->kind;
		break;
	case VPRIME_PARAM_HW_VERSION:
		args->value = hw->version;
		break;
	case VPRIME_PARAM_CAPS:
		args->value = hw->caps;
		break;
	case VPRIME_PARAM_VRAM_SIZE:
		args->value = hw->vram_size;
		break;
	case VPRIME_PARAM_NUM_HEADS:
		args->value = hw->num_heads;
		break;
	case VPRIME_PARAM_LAYOUTS:
		args->value = hw->layouts;
		break;
	case VPRIME_PARAM_LAYOUT_MODIFIER(0) ... VPRIME_PARAM_LAYOUT_MODIFIER_MAX:
		args->value = vprime_layout_modifier(args->param -
						     VPRIME_PARAM_LAYOUT_MODIFIER(0));
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int vprime_hw_debugfs_interrupts(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_hw *hw = entry->file.data;

	seq_printf(m, "interrupts: %lld\n",
		   (long long)atomic64_read(&hw->irq_count));
	seq_printf(m, "device errors: %lld\n",
		   (long long)atomic64_read(&hw->error_count));
	seq_printf(m, "last error: 0x%x\n", atomic_read(&hw->last_error));
	return 0;
}

/**
 * vprime_hw_debugfs_init - the "interrupts" file under the DRM device
 * @hw: the function, before drm_dev_register()
 *
 * Interrupts handled (&vprime_hw.irq_count), device errors and the bits
 * of the last one: for tests and debugging, not an ABI.
 */
void vprime_hw_debugfs_init(struct vprime_hw *hw)
{
	drm_debugfs_add_file(hw->drm, "interrupts",
			     vprime_hw_debugfs_interrupts, hw);
}

/* Append "lo-last" to the comma-separated list in @out */
static void vprime_hw_add_range(char *out, size_t size, dma_addr_t lo,
				dma_addr_t end)
{
	size_t n = strlen(out);

	scnprintf(out + n, size - n, "%s0x%llx-0x%llx", n ? "," : "",
		  (u64)lo, (u64)end - 1);
}

/**
 * vprime_hw_inject_unmap - dma-unmap a buffer a device still uses
 * @shmem: the driver's own buffer, DMA-mapped for its device
 * @unmapped: the buffer's flag that this was done (freeing then unmaps
 *	nothing twice); set here
 * @out: the DMA ranges it covered, as "0xlo-0xlast,..." (contiguous
 *	segments merged)
 * @size: the size of @out
 *
 * The debugfs fault knob inject_early_unmap of both drivers: the ranges
 * go to the file and the kernel log, where the tests look for the IOMMU's
 * fault on them.  Takes the object's reservation lock.
 *
 * Returns 0, or -EINVAL if the buffer has no DMA mapping (any more).
 */
int vprime_hw_inject_unmap(struct drm_gem_shmem_object *shmem, bool *unmapped,
			   char *out, size_t size)
{
	struct drm_gem_object *obj = &shmem->base;
	struct scatterlist *sg;
	dma_addr_t lo = 0, end = 0;
	int i, ret = 0;

	dma_resv_lock(obj->resv, NULL);
	if (!shmem->sgt || *unmapped) {
		ret = -EINVAL;
		goto out;
	}
	out[0] = 0;
	for_each_sgtable_dma_sg(shmem->sgt, sg, i) {
		if (i && sg_dma_address(sg) == end) {
			end += sg_dma_len(sg);
			continue;
		}
		if (i)
			vprime_hw_add_range(out, size, lo, end);
		lo = sg_dma_address(sg);
		end = lo + sg_dma_len(sg);
	}
	if (i)
		vprime_hw_add_range(out, size, lo, end);
	dma_unmap_sgtable(obj->dev->dev, shmem->sgt, DMA_BIDIRECTIONAL, 0);
	*unmapped = true;
out:
	dma_resv_unlock(obj->resv);
	return ret;
}

/**
 * vprime_hw_gem_export - &drm_gem_object_funcs.export of a shmem buffer
 * @obj: the driver's own buffer (never an import: those give back their
 *	own dma-buf)
 * @flags: the dma-buf file's flags
 *
 * drm_gem_prime_export(), after the buffer's pages are mapped for this
 * device.  An importer maps them too, with DMA_ATTR_SKIP_CPU_SYNC
 * (drm_prime's map_dma_buf): the DMA API allows overlapping mappings of
 * the same pages only when each one after the first skips the CPU sync
 * (the first one owns the cache maintenance; kernel/dma/debug.c checks
 * this rule).  The exporter's own mapping, made without that attribute,
 * must therefore exist before any importer's, not at the device's first
 * use of the buffer (a job, a commit): made here, it lasts until the
 * buffer is freed, as that first use's would.  An unplugged device maps
 * nothing any more; importers still may.
 *
 * Returns: the dma-buf, or an ERR_PTR.
 */
struct dma_buf *vprime_hw_gem_export(struct drm_gem_object *obj, int flags)
{
	struct sg_table *sgt;
	int idx;

	if (!obj->import_attach && drm_dev_enter(obj->dev, &idx)) {
		sgt = drm_gem_shmem_get_pages_sgt(to_drm_gem_shmem_obj(obj));
		drm_dev_exit(idx);
		if (IS_ERR(sgt))
			return ERR_CAST(sgt);
	}
	return drm_gem_prime_export(obj, flags);
}
