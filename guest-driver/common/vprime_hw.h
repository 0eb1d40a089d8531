/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The register block every vprime device has (hw/vprime_regs.h):
 * identification, MSI-X setup, the misc interrupt, an interrupt self-test
 * and their debugfs counters.  vprime_hw.c is compiled into each module
 * (see Kbuild), so that neither module depends on the other.
 */
#ifndef _VPRIME_HW_H_
#define _VPRIME_HW_H_

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/io.h>
#include <linux/types.h>

#include "vprime_regs.h"

struct dma_buf;
struct drm_device;
struct drm_gem_object;
struct drm_vprime_get_param;
struct drm_gem_shmem_object;
struct pci_dev;

/**
 * struct vprime_hw - common state of one vprime PCI function
 * @drm: the DRM device it belongs to, set by the caller before
 *	vprime_hw_init()
 * @pdev: the PCI function, set by the caller
 * @mmio: BAR VPRIME_BAR_MMIO
 * @kind: VPRIME_REG_KIND, read once at probe
 * @version: VPRIME_REG_VERSION
 * @caps: VPRIME_REG_CAPS
 * @vram_size: VPRIME_REG_VRAM_SIZE_LO/HI, 0 without VRAM
 * @num_heads: VPRIME_REG_NUM_HEADS, 0 on GPUs
 * @msix_vectors: VPRIME_REG_MSIX_VECTORS
 * @layouts: the VPRIME_LAYOUT_BIT()s the device takes (GPU:
 *	VPRIME_REG_LAYOUTS; display: VPRIME_PL_LAYOUTS), set by the driver
 * @selftest: completed by the software interrupt of the probe self-test
 * @irq_count: interrupts handled on the misc vector and the GPU engines'
 *	vectors (a display head counts its own); debugfs "interrupts"
 * @error_count: device errors reported through VPRIME_IRQ_ERROR
 * @last_error: the VPRIME_ERR_* bits of the latest one
 * @on_error: called from the misc interrupt with the ERROR bits, if set
 * @quiet_errors: ERROR bits the driver reports itself, in more detail:
 *	not logged by the misc interrupt
 */
struct vprime_hw {
	struct drm_device *drm;
	struct pci_dev *pdev;
	void __iomem *mmio;

	u32 kind;
	u32 version;
	u32 caps;
	u64 vram_size;
	u32 num_heads;
	u32 msix_vectors;
	u32 layouts;

	struct completion selftest;
	atomic64_t irq_count;
	atomic64_t error_count;
	atomic_t last_error;
	void (*on_error)(struct vprime_hw *hw, u32 err);
	u32 quiet_errors;
};

static inline u32 vprime_hw_read(struct vprime_hw *hw, u32 reg)
{
	return readl(hw->mmio + reg);
}

static inline void vprime_hw_write(struct vprime_hw *hw, u32 reg, u32 val)
{
	writel(val, hw->mmio + reg);
}

int vprime_hw_init(struct vprime_hw *hw, u32 expect_kind, const char *name);
void vprime_hw_fini(struct vprime_hw *hw);
/*
 * The registered modifier of VPRIME_LAYOUT_NV_BLOCK: NVIDIA 16Bx2 block
 * linear, no compression, desktop sector layout, GOB height 8 (Fermi to
 * Volta page kinds), kind 0xfe (generic colour), blocks of 8 GOBs
 */
#define VPRIME_FORMAT_MOD_NV_BLOCK \
	DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 1, 0, 0xfe, 3)

u64 vprime_layout_modifier(u32 layout);
int vprime_modifier_layout(u64 modifier);
u32 vprime_layout_tile_width(int layout);
int vprime_hw_get_param(struct vprime_hw *hw, struct drm_vprime_get_param *args);
void vprime_hw_debugfs_init(struct vprime_hw *hw);
int vprime_hw_inject_unmap(struct drm_gem_shmem_object *shmem, bool *unmapped,
			   char *out, size_t size);
struct dma_buf *vprime_hw_gem_export(struct drm_gem_object *obj, int flags);

#endif /* _VPRIME_HW_H_ */
