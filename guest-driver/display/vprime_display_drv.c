// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: DRM driver for the vprime display (scanout) engine.
 */

/**
 * DOC: vprime_display
 *
 * Binds vprime-display (1af4:10f2), the display engine every shared
 * buffer ends up on: an atomic KMS driver with, per head, a CRTC, a
 * primary, an overlay and a cursor plane, a virtual encoder and a
 * connector with EDID and hotplug.  Each head interrupts on its own MSI-X
 * vector (vblank, flip done, hotplug, underrun, refused configuration).
 *
 * Buffers are shmem GEM objects: dumb buffers, or dma-bufs of any exporter
 * (vprime GPUs, vgem, udmabuf) imported and mapped for this device.  The
 * engine scans them in place by DMA through a page list per buffer, or, on
 * an engine without scatter support, from one DMA-contiguous range; the
 * driver never copies pixels.  Flips wait for implicit (dma_resv) or
 * explicit (IN_FENCE_FD) fences, and their events come from the device's
 * FLIP_DONE interrupt.  Vblank counts and timestamps come from the device.
 * Per-frame CRCs are exposed through DRM's debugfs CRC interface.
 *
 * The engine refuses at latch what it cannot show; the plane and CRTC
 * checks refuse the same things first, so an accepted commit is shown as
 * asked and TEST_ONLY gives the same answer as a real commit.
 *
 * Runtime PM: the engine autosuspends to D3hot (its PCI PM capability)
 * once every head is off, no CRC capture is open and no writeback job
 * waits, after autosuspend_ms (sysfs power/autosuspend_delay_ms too).
 * Each head that is on holds a reference from atomic_enable to
 * atomic_disable, an open CRC capture one; commits that touch a head, and
 * the paths that read registers with every head off (connector detect
 * and EDID, debugfs) take one while they run.  Leaving D3hot resets the
 * engine (No_Soft_Reset is 0): runtime_resume reprograms the interrupt
 * setup, and the heads come back with the commit that woke it.  In D3hot
 * the engine signals no hotplug (it has no PME), so the connectors are
 * polled while it sleeps, as i915 does: each poll wakes it for a detect.
 *
 * Lifetimes follow the DRM template: the drm_device and everything
 * userspace can reach is drmm-managed, hardware resources are devm/pcim
 * managed, and hardware access from ioctls and commits happens inside
 * drm_dev_enter()/drm_dev_exit() so that a surprise removal is survivable.
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_client_setup.h>
#include <drm/drm_connector.h>
#include <drm/drm_drv.h>
#include <drm/drm_fbdev_ttm.h>
#include <drm/drm_file.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_mode_config.h>
#include <drm/drm_print.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_vblank.h>

#include "vprime_display_drv.h"

#define DRIVER_NAME	"vprime_display"
#define DRIVER_DESC	"vprime display engine"
#define DRIVER_MAJOR	0
#define DRIVER_MINOR	4	/* see the version notes in vprime_drm.h */

/*
 * Cursor size offered to legacy cursor clients (DRM_CAP_CURSOR_WIDTH/
 * HEIGHT): the largest the engine shows, as i915, amdgpu and nouveau do;
 * the cursor plane's SIZE_HINTS lists the sizes to prefer.
 */
#define VPRIME_LEGACY_CURSOR_SIZE	VPRIME_DISP_CURSOR_MAX

/*
 * How long the engine stays in D0 after its last use with every head off:
 * long enough that a client turning heads off and on again (a modeset
 * through an off state) does not pay two D-state changes, short enough
 * that a test sees it suspend.  power/autosuspend_delay_ms changes it per
 * device.
 */
static unsigned int vprime_autosuspend_ms = 1000;
module_param_named(autosuspend_ms, vprime_autosuspend_ms, uint, 0444);
MODULE_PARM_DESC(autosuspend_ms, "runtime PM autosuspend delay, ms, with every head off (default 1000)");

/* DRM's own output polling period (drm_probe_helper.c) */
#define VPRIME_SUSPENDED_POLL_PERIOD	(10 * HZ)

/*
 * fbdev emulation: /dev/fb0 and the kernel console (fbcon) on the
 * display.  Its DRM client lights every connected head with its own
 * framebuffer at probe, on hotplug and whenever the last DRM master
 * closes (drm_lastclose() restores it), so a KMS client may find heads
 * already on.  fbdev=0 leaves it out: no /dev/fb0, heads stay off until a
 * client turns them on.
 */
static bool vprime_fbdev = true;
module_param_named(fbdev, vprime_fbdev, bool, 0444);
MODULE_PARM_DESC(fbdev, "fbdev emulation and the console on the display (default: on)");

/**
 * vprime_display_rpm_get - wake the engine for a register access
 * @disp: the engine
 *
 * For the paths that read or write registers while every head may be off;
 * a head that is on holds the engine awake already.  Pair with
 * vprime_display_rpm_put().
 *
 * Returns: 0, or a negative errno when the engine cannot be woken (no
 * reference is held then).
 */
int vprime_display_rpm_get(struct vprime_display *disp)
{
	int ret = pm_runtime_resume_and_get(disp->drm.dev);

	if (ret)
		drm_err_once(&disp->drm, "cannot wake the display engine: %d\n", ret);
	return ret;
}

/**
 * vprime_display_rpm_put - let the engine autosuspend again
 * @disp: the engine, with a reference from vprime_display_rpm_get()
 */
void vprime_display_rpm_put(struct vprime_display *disp)
{
	pm_runtime_mark_last_busy(disp->drm.dev);
	pm_runtime_put_autosuspend(disp->drm.dev);
}

static int vprime_display_ioctl_get_param(struct drm_device *drm, void *data,
					  struct drm_file *file)
{
	struct vprime_display *disp = to_vprime_display(drm);
	struct drm_vprime_get_param *args = data;
	int idx, ret = 0;

	if (args->pad)
		return -EINVAL;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	switch (args->param) {
	case VPRIME_PARAM_DISPLAY_CAPS:
		args->value = disp->disp_caps;
		break;
	case VPRIME_PARAM_DISPLAY_DMA_BITS:
		args->value = disp->dma_bits;
		break;
	default:
		ret = vprime_hw_get_param(&disp->hw, args);
		break;
	}
	drm_dev_exit(idx);
	return ret;
}

static const struct drm_ioctl_desc vprime_display_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VPRIME_GET_PARAM, vprime_display_ioctl_get_param, 0),
};

DEFINE_DRM_GEM_FOPS(vprime_display_fops);

static const struct drm_driver vprime_display_driver = {
	.driver_features = DRIVER_GEM | DRIVER_MODESET | DRIVER_ATOMIC,
	.ioctls = vprime_display_ioctls,
	.num_ioctls = ARRAY_SIZE(vprime_display_ioctls),
	.fops = &vprime_display_fops,
	.gem_create_object = vprime_display_gem_create_object,
	/* DRM_GEM_SHMEM_DRIVER_OPS, with our dumb_create and prime import */
	.gem_prime_import = vprime_display_gem_prime_import,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	.dumb_create = vprime_display_dumb_create,
	/* fbdev: see vprime_display_probe() */
	DRM_FBDEV_TTM_DRIVER_OPS,
	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.date = "20261121",
	.major = DRIVER_MAJOR,
	.minor = DRIVER_MINOR,
};

/*
 * drm_atomic_helper_commit_tail_rpm()'s order (disables, enables, then
 * planes, so that atomic_flush sees the head on), but waiting for the
 * flips the hardware reports rather than for any vblank: a plane's old
 * buffer may go only once the engine has latched the new one.
 *
 * The UPDATE_LOCK of every head the commit touches is taken before its
 * first register write and released after the last head's UPDATE, in one
 * write each where the engine has UPDATE_LOCK_SET/_CLEAR: a vblank cannot
 * latch half of a head's state, nor one head's UPDATE without another's
 * (genlocked heads latch the whole commit at one vblank; free-running
 * ones each at its first vblank after the release).
 */
static void vprime_atomic_commit_tail(struct drm_atomic_state *state)
{
	struct drm_device *drm = state->dev;
	struct vprime_display *disp = to_vprime_display(drm);
	struct drm_crtc_state *old_state, *crtc_state;
	struct drm_crtc *crtc;
	bool awake = false;
	u32 heads = 0;
	int i;

	for_each_oldnew_crtc_in_state(state, crtc, old_state, crtc_state, i) {
		heads |= BIT(crtc_to_head(crtc)->idx);
		awake |= old_state->active || crtc_state->active;
	}
	/*
	 * A commit of heads that stay off writes no register (not even the
	 * update lock): it leaves a suspended engine asleep.  Otherwise the
	 * engine is awake for the whole commit; heads turned on take their
	 * own reference in atomic_enable.
	 */
	if (!awake || vprime_display_rpm_get(disp))
		heads = 0;

	vprime_heads_update_lock(disp, heads);
	drm_atomic_helper_commit_modeset_disables(drm, state);
	drm_atomic_helper_commit_modeset_enables(drm, state);
	drm_atomic_helper_commit_planes(drm, state, DRM_PLANE_COMMIT_ACTIVE_ONLY);
	/* after every UPDATE: the latch takes this commit whole */
	vprime_heads_update_unlock(disp, heads);
	drm_atomic_helper_fake_vblank(state);
	drm_atomic_helper_commit_hw_done(state);
	if (heads)
		vprime_display_rpm_put(disp);
	drm_atomic_helper_wait_for_flip_done(drm, state);
	drm_atomic_helper_cleanup_planes(drm, state);
}

static const struct drm_mode_config_helper_funcs vprime_mode_config_helpers = {
	.atomic_commit_tail = vprime_atomic_commit_tail,
};

static const struct drm_mode_config_funcs vprime_mode_config_funcs = {
	.fb_create = drm_gem_fb_create_with_dirty,
	.atomic_check = drm_atomic_helper_check,
	.atomic_commit = drm_atomic_helper_commit,
};

/* Every head off, no event, no CRC: what probe starts from, remove leaves. */
static void vprime_display_hw_stop(struct vprime_display *disp)
{
	unsigned int h;

	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];

		vprime_head_write(head, VPRIME_HEAD_EVENT_ENABLE, 0);
		vprime_head_write(head, VPRIME_HEAD_CRC_CONTROL, 0);
		vprime_head_hw_off(head);
		vprime_head_write(head, VPRIME_HEAD_EVENTS, VPRIME_HEAD_EV_VALID_MASK);
		vprime_head_write(head, VPRIME_HEAD_ERROR,
				  vprime_head_read(head, VPRIME_HEAD_ERROR));
		vprime_hw_write(&disp->hw, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_HEAD(h));
	}
}

static int vprime_display_kms_init(struct vprime_display *disp)
{
	struct drm_device *drm = &disp->drm;
	unsigned int h, l, n;
	int ret;

	ret = drmm_mode_config_init(drm);
	if (ret)
		return ret;
	drm->mode_config.min_width = 1;
	drm->mode_config.min_height = 1;
	drm->mode_config.max_width = VPRIME_DISP_MAX_DIM;
	drm->mode_config.max_height = VPRIME_DISP_MAX_DIM;
	drm->mode_config.normalize_zpos = true;
	drm->mode_config.cursor_width = VPRIME_LEGACY_CURSOR_SIZE;
	drm->mode_config.cursor_height = VPRIME_LEGACY_CURSOR_SIZE;
	drm->mode_config.preferred_depth = 24;
	drm->mode_config.funcs = &vprime_mode_config_funcs;
	drm->mode_config.helper_private = &vprime_mode_config_helpers;

	/* the registered modifiers of the layouts the planes scan */
	for (l = 0, n = 0; l < VPRIME_LAYOUT_COUNT; l++)
		if (disp->hw.layouts & BIT(l))
			disp->modifiers[n++] = vprime_layout_modifier(l);
	disp->modifiers[n] = DRM_FORMAT_MOD_INVALID;

	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];

		ret = vprime_crtc_init(head);
		if (ret)
			return ret;
		ret = vprime_output_init(head);
		if (ret)
			return ret;
		ret = vprime_writeback_init(head);
		if (ret)
			return ret;
	}
	vprime_output_set_clones(disp);

	/* FRAME is a full 32-bit hardware counter with device timestamps */
	drm->max_vblank_count = 0xffffffff;
	drm->vblank_disable_immediate = true;
	ret = drm_vblank_init(drm, disp->hw.num_heads);
	if (ret)
		return ret;

	drm_mode_config_reset(drm);
	return drmm_kms_helper_poll_init(drm);
}

/*
 * Each head's event mask and the interrupt causes: at probe, and after a
 * runtime resume (the engine was reset leaving D3hot).
 */
static void vprime_display_irq_program(struct vprime_display *disp)
{
	u32 irq_enable = VPRIME_IRQ_VALID_MASK;
	unsigned int h;

	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];

		spin_lock_irq(&head->lock);
		vprime_head_write(head, VPRIME_HEAD_EVENT_ENABLE, head->event_enable);
		spin_unlock_irq(&head->lock);
		irq_enable |= VPRIME_IRQ_HEAD(h);
	}
	vprime_hw_write(&disp->hw, VPRIME_REG_IRQ_ENABLE, irq_enable);
}

static int vprime_display_irq_init(struct vprime_display *disp)
{
	struct pci_dev *pdev = disp->hw.pdev;
	unsigned int h;
	int ret;

	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];
		const char *name;

		name = devm_kasprintf(&pdev->dev, GFP_KERNEL, "%s-head%u",
				      DRIVER_NAME, h);
		if (!name)
			return -ENOMEM;
		ret = devm_request_irq(&pdev->dev,
				       pci_irq_vector(pdev, VPRIME_HEAD_MSIX_VEC(h)),
				       vprime_head_irq, 0, name, head);
		if (ret)
			return ret;
	}
	vprime_display_irq_program(disp);
	return 0;
}

static void vprime_display_irq_fini(struct vprime_display *disp)
{
	struct pci_dev *pdev = disp->hw.pdev;
	unsigned int h;

	vprime_display_hw_stop(disp);
	vprime_hw_fini(&disp->hw);
	for (h = 0; h < disp->hw.num_heads; h++)
		synchronize_irq(pci_irq_vector(pdev, VPRIME_HEAD_MSIX_VEC(h)));
	/* nothing schedules them any more */
	cancel_work_sync(&disp->hotplug_work);
	cancel_delayed_work_sync(&disp->poll_work);
}

/*
 * While suspended: probe the connectors as a HOTPLUG interrupt would.
 * Each detect wakes the engine (vprime_connector_detect()); it suspends
 * again after the autosuspend delay and schedules the next poll.
 */
static void vprime_display_poll_work(struct work_struct *work)
{
	struct vprime_display *disp = container_of(to_delayed_work(work),
						   struct vprime_display,
						   poll_work);
	int idx;

	if (!drm_dev_enter(&disp->drm, &idx))
		return;
	drm_helper_hpd_irq_event(&disp->drm);
	drm_dev_exit(idx);
}

/*
 * Every head is off (each one that is on holds a reference), so is every
 * vblank interrupt (drm_crtc_vblank_off() at atomic_disable).  Quiesce
 * the interrupts; the PCI core then saves config space and puts the
 * engine in D3hot (pci_finish_runtime_suspend()).
 */
static int vprime_display_runtime_suspend(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct vprime_display *disp = pci_get_drvdata(pdev);
	unsigned int h;

	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];

		/* a reference keeps these from happening: say so if one did */
		if (drm_WARN_ON(&disp->drm, head->crc_on ||
				atomic_read(&head->wb_queued)))
			return -EBUSY;
	}
	for (h = 0; h < disp->hw.num_heads; h++)
		vprime_head_write(&disp->heads[h], VPRIME_HEAD_EVENT_ENABLE, 0);
	vprime_hw_write(&disp->hw, VPRIME_REG_IRQ_ENABLE, 0);
	synchronize_irq(pci_irq_vector(pdev, VPRIME_MSIX_VEC_MISC));
	for (h = 0; h < disp->hw.num_heads; h++)
		synchronize_irq(pci_irq_vector(pdev, VPRIME_HEAD_MSIX_VEC(h)));
	atomic64_inc(&disp->rpm_suspends);
	schedule_delayed_work(&disp->poll_work, VPRIME_SUSPENDED_POLL_PERIOD);
	return 0;
}

/*
 * The PCI core brought the engine back to D0 and restored config space
 * (BARs, MSI-X).  Leaving D3hot reset the engine: every head off, as it
 * was, and no interrupt enabled.  Reprogram those; the commit that woke
 * the engine programs its heads.
 */
static int vprime_display_runtime_resume(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct vprime_display *disp = pci_get_drvdata(pdev);
	u32 id;

	/* the poll may be what woke us: no _sync */
	cancel_delayed_work(&disp->poll_work);
	id = vprime_hw_read(&disp->hw, VPRIME_REG_ID);
	if (id != VPRIME_ID_MAGIC) {
		drm_err(&disp->drm, "display engine did not come back to D0 (ID reads 0x%08x)\n",
			id);
		return -EIO;
	}
	vprime_display_irq_program(disp);
	atomic64_inc(&disp->rpm_resumes);
	return 0;
}

static const struct dev_pm_ops vprime_display_pm_ops = {
	RUNTIME_PM_OPS(vprime_display_runtime_suspend,
		       vprime_display_runtime_resume, NULL)
};

/*
 * PCI devices start with runtime PM forbidden (power/control "on"): allow
 * it, as amdgpu and nouveau do, and drop the reference the PCI core took
 * for probe.  An engine without the PM capability stays in D0.
 */
static void vprime_display_rpm_init(struct vprime_display *disp)
{
	struct device *dev = disp->drm.dev;

	if (!(disp->disp_caps & VPRIME_DISP_CAP_PM) || !disp->hw.pdev->pm_cap) {
		drm_info(&disp->drm, "no PCI power management: runtime PM off\n");
		return;
	}
	disp->rpm = true;
	pm_runtime_set_autosuspend_delay(dev, vprime_autosuspend_ms);
	pm_runtime_use_autosuspend(dev);
	pm_runtime_allow(dev);
	pm_runtime_mark_last_busy(dev);
	pm_runtime_put_autosuspend(dev);
}

/* remove: give back the probe reference, as the PCI core expects */
static void vprime_display_rpm_fini(struct vprime_display *disp)
{
	struct device *dev = disp->drm.dev;

	if (!disp->rpm)
		return;
	pm_runtime_get_noresume(dev);
	pm_runtime_dont_use_autosuspend(dev);
}

/*
 * Probe every connector once, as fbdev emulation does at boot (it may be
 * off, see vprime_fbdev): clients that read the current state without
 * probing, such as drm_info, then see the real connection and the EDID's
 * modes instead of "unknown".
 */
static void vprime_display_probe_connectors(struct drm_device *drm)
{
	struct drm_connector_list_iter iter;
	struct drm_connector *connector;

	mutex_lock(&drm->mode_config.mutex);
	drm_connector_list_iter_begin(drm, &iter);
	drm_for_each_connector_iter(connector, &iter)
		connector->funcs->fill_modes(connector,
					     drm->mode_config.max_width,
					     drm->mode_config.max_height);
	drm_connector_list_iter_end(&iter);
	mutex_unlock(&drm->mode_config.mutex);
}

static int vprime_display_probe(struct pci_dev *pdev,
				const struct pci_device_id *ent)
{
	struct vprime_display *disp;
	unsigned int h;
	int ret;

	disp = devm_drm_dev_alloc(&pdev->dev, &vprime_display_driver,
				  struct vprime_display, drm);
	if (IS_ERR(disp))
		return PTR_ERR(disp);
	disp->hw.drm = &disp->drm;
	disp->hw.pdev = pdev;
	/* a refused configuration is reported, decoded, by its head */
	disp->hw.quiet_errors = VPRIME_ERR_DISPLAY;
	spin_lock_init(&disp->update_lock);
	INIT_WORK(&disp->hotplug_work, vprime_hotplug_work);
	INIT_DELAYED_WORK(&disp->poll_work, vprime_display_poll_work);
	pci_set_drvdata(pdev, disp);

	ret = vprime_hw_init(&disp->hw, VPRIME_KIND_DISPLAY, DRIVER_NAME);
	if (ret)
		return ret;
	if (!(disp->hw.caps & VPRIME_CAP_DISPLAY) ||
	    disp->hw.num_heads < VPRIME_HEADS_MIN ||
	    disp->hw.num_heads > VPRIME_HEADS_MAX ||
	    disp->hw.msix_vectors <= VPRIME_HEAD_MSIX_VEC(disp->hw.num_heads - 1)) {
		drm_err(&disp->drm, "not a display engine (caps 0x%x, %u heads, %u vectors)\n",
			disp->hw.caps, disp->hw.num_heads, disp->hw.msix_vectors);
		ret = -ENODEV;
		goto err_hw;
	}

	disp->disp_caps = vprime_hw_read(&disp->hw, VPRIME_DISP_CAPS);
	/* every plane scans the same set; an engine without the register: linear */
	disp->hw.layouts = BIT(VPRIME_LAYOUT_LINEAR);
	if (disp->disp_caps & VPRIME_DISP_CAP_LAYOUTS)
		disp->hw.layouts |= vprime_hw_read(&disp->hw, VPRIME_HEAD_BASE(0) +
						   VPRIME_PLANE_BASE(VPRIME_PLANE_PRIMARY) +
						   VPRIME_PL_LAYOUTS) &
				    GENMASK(VPRIME_LAYOUT_COUNT - 1, 0);
	disp->dma_bits = vprime_hw_read(&disp->hw, VPRIME_DISP_DMA_BITS);
	if (disp->dma_bits < VPRIME_DISP_DMA_BITS_MIN ||
	    disp->dma_bits > VPRIME_DISP_DMA_BITS_MAX) {
		drm_err(&disp->drm, "DMA_BITS reads %u, expected %u to %u\n",
			disp->dma_bits, VPRIME_DISP_DMA_BITS_MIN,
			VPRIME_DISP_DMA_BITS_MAX);
		ret = -ENODEV;
		goto err_hw;
	}
	disp->dma_mask = DMA_BIT_MASK(disp->dma_bits);
	ret = dma_set_mask_and_coherent(&pdev->dev, disp->dma_mask);
	if (ret) {
		drm_err(&disp->drm, "cannot use a %u-bit DMA mask\n", disp->dma_bits);
		goto err_hw;
	}
	/* page lists (or one range): a DMA segment may be any length */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	for (h = 0; h < disp->hw.num_heads; h++) {
		disp->heads[h].disp = disp;
		disp->heads[h].idx = h;
	}
	vprime_display_hw_stop(disp);

	ret = vprime_display_kms_init(disp);
	if (ret)
		goto err_hw;
	ret = vprime_display_irq_init(disp);
	if (ret)
		goto err_irq;

	vprime_display_debugfs_init(disp);
	ret = drm_dev_register(&disp->drm, 0);
	if (ret)
		goto err_irq;
	vprime_display_probe_connectors(&disp->drm);
	/*
	 * fbdev: drm_client_setup() with the generic shadow-buffer fbdev
	 * (drm_fbdev_ttm, which needs only a vmap of the buffer, not TTM).
	 * fbcon draws into a vmalloc shadow; a damage blit copies the
	 * damaged rectangle into the shmem buffer and the framebuffer's
	 * dirty callback tells the engine (DAMAGE), which composes only on
	 * a latch or damage.  Deferred I/O tracks writes through an mmap of
	 * /dev/fbN on the shadow's vmalloc pages: 6.12's drm_fbdev_shmem
	 * does it on the buffer's own shmem pages, whose page->mapping
	 * deferred I/O overwrites (freeing the buffer then spins in
	 * shmem_undo_range(): rmmod hangs after any mmap of /dev/fb0).
	 * An engine that scans contiguous buffers only could not show the
	 * buffer (scattered shmem pages): fbdev stays off there, said.
	 */
	if (vprime_fbdev && !(disp->disp_caps & VPRIME_DISP_CAP_SCATTER))
		drm_info(&disp->drm, "no fbdev emulation: the engine scans contiguous buffers only\n");
	else if (vprime_fbdev)
		drm_client_setup(&disp->drm, NULL);

	drm_info(&disp->drm, "display engine, hw ABI %u.%u, %u heads, %s, %u-bit DMA%s%s\n",
		 VPRIME_VERSION_GET_MAJOR(disp->hw.version),
		 VPRIME_VERSION_GET_MINOR(disp->hw.version),
		 disp->hw.num_heads,
		 disp->disp_caps & VPRIME_DISP_CAP_SCATTER ? "page lists" : "contiguous only",
		 disp->dma_bits,
		 disp->disp_caps & VPRIME_DISP_CAP_TILED ? ", tiled" : "",
		 disp->disp_caps & VPRIME_DISP_CAP_CRC ? ", CRC" : "");
	/* last: from here the engine may suspend */
	vprime_display_rpm_init(disp);
	return 0;

err_irq:
	vprime_display_irq_fini(disp);
	return ret;
err_hw:
	vprime_hw_fini(&disp->hw);
	return ret;
}

static void vprime_display_remove(struct pci_dev *pdev)
{
	struct vprime_display *disp = pci_get_drvdata(pdev);

	drm_dev_unplug(&disp->drm);
	drm_atomic_helper_shutdown(&disp->drm);
	/*
	 * After the unplug the commit above cannot reach the registers: turn
	 * the heads off here, so the engine stops reading buffers about to
	 * be freed (on a real removal the writes go nowhere).  The PCI core
	 * woke the engine for remove().
	 */
	vprime_display_irq_fini(disp);
	vprime_display_rpm_fini(disp);
}

static void vprime_display_shutdown(struct pci_dev *pdev)
{
	struct vprime_display *disp = pci_get_drvdata(pdev);

	drm_atomic_helper_shutdown(&disp->drm);
	vprime_display_irq_fini(disp);
}

static const struct pci_device_id vprime_display_pci_ids[] = {
	{ PCI_DEVICE(VPRIME_PCI_VENDOR_ID, VPRIME_PCI_DEVICE_ID_DISPLAY) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vprime_display_pci_ids);

static struct pci_driver vprime_display_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = vprime_display_pci_ids,
	.probe = vprime_display_probe,
	.remove = vprime_display_remove,
	.shutdown = vprime_display_shutdown,
	.driver.pm = pm_ptr(&vprime_display_pm_ops),
};
module_pci_driver(vprime_display_pci_driver);

MODULE_AUTHOR("The vprime authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
