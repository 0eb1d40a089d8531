// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: debugfs (dri/N/vprime_state), what each head shows and
 * how its interrupts went; the device's interrupts and errors
 * (dri/N/interrupts); the inject_early_unmap fault knob.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/pm_runtime.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_modeset_lock.h>
#include <drm/drm_print.h>

#include "vprime_display_drv.h"

static void vprime_debugfs_plane(struct seq_file *m, struct vprime_display *disp,
				 struct vprime_plane *vplane)
{
	struct drm_plane_state *state = vplane->base.state;
	struct drm_framebuffer *fb = state->fb;
	struct vprime_display_bo *bo;

	seq_printf(m, "  plane %s [PLANE:%d]: ", vplane->base.name,
		   vplane->base.base.id);
	if (!fb || !state->visible) {
		seq_puts(m, fb ? "not visible\n" : "off\n");
		return;
	}
	seq_printf(m, "fb %u %p4cc modifier 0x%llx pitch %u offset %u, src %ux%u+%u+%u dst %ux%u+%d+%d\n",
		   fb->base.id, &fb->format->format, fb->modifier,
		   fb->pitches[0], fb->offsets[0],
		   drm_rect_width(&state->dst), drm_rect_height(&state->dst),
		   state->src.x1 >> 16, state->src.y1 >> 16,
		   drm_rect_width(&state->dst), drm_rect_height(&state->dst),
		   state->dst.x1, state->dst.y1);

	bo = to_vprime_display_bo(fb->obj[0]);
	mutex_lock(&bo->lock);
	seq_printf(m, "    buffer %zu bytes%s, ", fb->obj[0]->size,
		   fb->obj[0]->import_attach ? " (imported dma-buf)" : "");
	if (!bo->mapped)
		seq_puts(m, "not mapped\n");
	else if (bo->page_list)
		seq_printf(m, "page list of %u pages at %pad, first page %pad%s\n",
			   bo->npages, &bo->page_list_dma, &bo->first_dma,
			   bo->contiguous ? " (DMA-contiguous)" : "");
	else
		seq_printf(m, "contiguous at %pad\n", &bo->first_dma);
	mutex_unlock(&bo->lock);
}

/*
 * Lock a head's CRTC and planes for reading their state, with the
 * wait-wound backoff a commit holding some of them may ask for.
 */
static void vprime_head_lock(struct vprime_head *head,
			     struct drm_modeset_acquire_ctx *ctx)
{
	unsigned int p;
	int ret;

retry:
	ret = drm_modeset_lock(&head->crtc.mutex, ctx);
	for (p = 0; !ret && p < VPRIME_DISP_PLANES; p++)
		ret = drm_modeset_lock(&head->planes[p]->base.mutex, ctx);
	if (ret == -EDEADLK) {
		drm_modeset_backoff(ctx);
		goto retry;
	}
}

static void vprime_debugfs_head(struct seq_file *m, struct vprime_head *head)
{
	struct drm_crtc_state *cs = head->crtc.state;
	struct vprime_flip_record flip;
	unsigned int p;
	int idx;

	seq_printf(m, "head %u [CRTC:%d]: %s", head->idx, head->crtc.base.id,
		   cs->active ? "active" : "off");
	if (cs->enable)
		seq_printf(m, ", mode " DRM_MODE_FMT, DRM_MODE_ARG(&cs->adjusted_mode));
	seq_puts(m, "\n");
	if (drm_dev_enter(&head->disp->drm, &idx)) {
		u32 status = vprime_head_read(head, VPRIME_HEAD_STATUS);

		seq_printf(m, "  hardware: frame %u, status%s%s%s, crc %s\n",
			   vprime_head_read(head, VPRIME_HEAD_FRAME),
			   status & VPRIME_HEAD_STATUS_CONNECTED ? " connected" : " disconnected",
			   status & VPRIME_HEAD_STATUS_ACTIVE ? " active" : "",
			   status & VPRIME_HEAD_STATUS_PENDING ? " update-pending" : "",
			   vprime_head_read(head, VPRIME_HEAD_CRC_CONTROL) ? "on" : "off");
		/* the test kms-max-bpc reads this */
		if (head->disp->disp_caps & VPRIME_DISP_CAP_OUTPUT_BPC)
			seq_printf(m, "  output bpc %u\n",
				   vprime_head_read(head, VPRIME_HEAD_OUTPUT_BPC));
		drm_dev_exit(idx);
	}
	spin_lock_irq(&head->disp->drm.event_lock);
	flip = head->last_flip;
	spin_unlock_irq(&head->disp->drm.event_lock);
	/* the test kms-flip-events reads this line */
	seq_printf(m, "  last flip event: sequence %u, frame %u; update after frame %u, latched at frame %u%s%s",
		   flip.seq, flip.event_frame, flip.update_frame, flip.latch_frame,
		   flip.turned_on ? ", turned the head on" : "",
		   flip.count_passed ? ", vblank count already past" : "");
	/* the test kms-async-flip reads this */
	if (flip.async)
		seq_printf(m, ", async, frame %u after the write", flip.after_frame);
	/* and kms-vrr this */
	if (flip.ts_grid)
		seq_puts(m, ", timestamp on the grid");
	seq_puts(m, "\n");
	seq_printf(m, "  async flips %lld\n", (long long)atomic64_read(&head->async_flips));
	seq_printf(m, "  vblank irqs %lld, flips %lld, underruns %lld, errors %lld (last 0x%x), hotplugs %lld\n",
		   (long long)atomic64_read(&head->vblank_irqs),
		   (long long)atomic64_read(&head->flips),
		   (long long)atomic64_read(&head->underruns),
		   (long long)atomic64_read(&head->errors),
		   atomic_read(&head->last_error),
		   (long long)atomic64_read(&head->hotplugs));
	for (p = 0; p < VPRIME_DISP_PLANES; p++)
		vprime_debugfs_plane(m, head->disp, head->planes[p]);
}

static int vprime_debugfs_state(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_display *disp = to_vprime_display(entry->dev);
	struct drm_modeset_acquire_ctx ctx;
	unsigned int h;
	int idx;

	seq_printf(m, "engine: %u heads, caps 0x%x (%s%s%s), DMA %u bits\n",
		   disp->hw.num_heads, disp->disp_caps,
		   disp->disp_caps & VPRIME_DISP_CAP_SCATTER ? "scatter" : "contiguous-only",
		   disp->disp_caps & VPRIME_DISP_CAP_TILED ? ", tiled" : "",
		   disp->disp_caps & VPRIME_DISP_CAP_CRC ? ", crc" : "",
		   disp->dma_bits);
	/*
	 * Runtime PM as the driver counted it, and as the PCI core has it
	 * now (before this read wakes the engine for its registers); the
	 * test kms-runtime-pm reads these lines
	 */
	seq_printf(m, "runtime pm: %s, status %s, suspends %lld, resumes %lld\n",
		   disp->rpm ? "on" : "off",
		   pm_runtime_status_suspended(entry->dev->dev) ? "suspended" : "active",
		   (long long)atomic64_read(&disp->rpm_suspends),
		   (long long)atomic64_read(&disp->rpm_resumes));
	if (vprime_display_rpm_get(disp))
		return -EIO;
	if ((disp->disp_caps & VPRIME_DISP_CAP_PM) &&
	    drm_dev_enter(&disp->drm, &idx)) {
		seq_printf(m, "engine PM_D3_COUNT %u\n",
			   vprime_hw_read(&disp->hw, VPRIME_DISP_PM_D3_COUNT));
		drm_dev_exit(idx);
	}
	/* one head at a time: each one's state is consistent in itself */
	for (h = 0; h < disp->hw.num_heads; h++) {
		drm_modeset_acquire_init(&ctx, 0);
		vprime_head_lock(&disp->heads[h], &ctx);
		vprime_debugfs_head(m, &disp->heads[h]);
		drm_modeset_drop_locks(&ctx);
		drm_modeset_acquire_fini(&ctx);
	}
	vprime_display_rpm_put(disp);
	return 0;
}

/*
 * The framebuffer on head @h's primary plane, while the head scans it, with
 * a reference; NULL if the head is off or shows nothing there.
 */
static struct drm_framebuffer *vprime_scanned_fb(struct vprime_display *disp,
						 unsigned int h)
{
	struct vprime_head *head = &disp->heads[h];
	struct drm_plane *plane = &head->planes[VPRIME_PLANE_PRIMARY]->base;
	struct drm_framebuffer *fb = NULL;
	struct drm_modeset_acquire_ctx ctx;

	drm_modeset_acquire_init(&ctx, 0);
	vprime_head_lock(head, &ctx);
	if (head->crtc.state->active && plane->state->fb && plane->state->visible) {
		fb = plane->state->fb;
		drm_framebuffer_get(fb);
	}
	drm_modeset_drop_locks(&ctx);
	drm_modeset_acquire_fini(&ctx);
	return fb;
}

/*
 * inject_early_unmap: write a head's index and the driver dma-unmaps the
 * pages of the buffer on that head's primary plane while the engine still
 * scans it -- the importer bug of unmapping a buffer a device still uses.
 * The plane keeps pointing at the stale DMA addresses.  With a vIOMMU, the
 * engine's next fetch of the plane (the next flip, DAMAGE, CRC turned on)
 * faults in the IOMMU (the guest logs a DMAR fault) and the frame is an
 * underrun, composed without the plane; without one, the stale addresses
 * still reach the pages, as on real hardware.  Only the driver's own
 * buffers (dumb buffers): an import's mapping belongs to its dma-buf.  The
 * buffer stays broken until freed; freeing it unmaps nothing twice.
 * Reading the file gives the last injection (head, framebuffer, DMA
 * ranges) and how many such buffers are not freed yet.
 */
static ssize_t vprime_inject_unmap_write(struct file *f, const char __user *ubuf,
					 size_t len, loff_t *pos)
{
	struct vprime_display *disp = file_inode(f)->i_private;
	struct drm_framebuffer *fb;
	struct drm_gem_object *obj;
	struct vprime_display_bo *bo;
	unsigned int h;
	int ret, idx;

	ret = kstrtouint_from_user(ubuf, len, 0, &h);
	if (ret)
		return ret;
	if (h >= disp->hw.num_heads)
		return -EINVAL;
	if (!drm_dev_enter(&disp->drm, &idx))
		return -ENODEV;
	fb = vprime_scanned_fb(disp, h);
	if (!fb) {
		ret = -ENOENT;
		goto out_exit;
	}
	obj = fb->obj[0];
	bo = to_vprime_display_bo(obj);
	if (obj->import_attach) {
		ret = -EINVAL;
		goto out_put;
	}
	mutex_lock(&disp->inject_lock);
	ret = vprime_hw_inject_unmap(&bo->base, &bo->dma_unmapped,
				     disp->inject_dma, sizeof(disp->inject_dma));
	if (!ret) {
		atomic_inc(&disp->inject_live);
		disp->inject_head = h;
		disp->inject_fb = fb->base.id;
		drm_warn(&disp->drm, "inject_early_unmap: head %u's FB %u unmapped (DMA %s) while the engine scans it\n",
			 h, fb->base.id, disp->inject_dma);
		ret = len;
	}
	mutex_unlock(&disp->inject_lock);
out_put:
	drm_framebuffer_put(fb);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

static int vprime_inject_unmap_show(struct seq_file *m, void *data)
{
	struct vprime_display *disp = m->private;

	mutex_lock(&disp->inject_lock);
	if (disp->inject_head >= 0)
		seq_printf(m, "head %d fb %u dma %s\n", disp->inject_head,
			   disp->inject_fb, disp->inject_dma);
	else
		seq_puts(m, "none\n");
	seq_printf(m, "live %d\n", atomic_read(&disp->inject_live));
	mutex_unlock(&disp->inject_lock);
	return 0;
}

DEFINE_SHOW_STORE_ATTRIBUTE(vprime_inject_unmap);

/**
 * vprime_display_debugfs_init - register the debugfs files
 * @disp: the engine, before drm_dev_register()
 */
void vprime_display_debugfs_init(struct vprime_display *disp)
{
	drm_debugfs_add_file(&disp->drm, "vprime_state", vprime_debugfs_state, NULL);
	vprime_hw_debugfs_init(&disp->hw);
	disp->inject_head = -1;
	if (drmm_mutex_init(&disp->drm, &disp->inject_lock))
		return;
	/* removed with the device's directory at unplug */
	debugfs_create_file("inject_early_unmap", 0600, disp->drm.debugfs_root,
			    disp, &vprime_inject_unmap_fops);
}
