// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: debugfs (dri/N/vprime_state), what each head shows and
 * how the interrupts went.
 */

#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
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

static int vprime_debugfs_state(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_display *disp = to_vprime_display(entry->dev);
	unsigned int h, p;
	int idx;

	seq_printf(m, "engine: %u heads, caps 0x%x (%s%s%s), DMA %u bits\n",
		   disp->hw.num_heads, disp->disp_caps,
		   disp->disp_caps & VPRIME_DISP_CAP_SCATTER ? "scatter" : "contiguous-only",
		   disp->disp_caps & VPRIME_DISP_CAP_TILED ? ", tiled" : "",
		   disp->disp_caps & VPRIME_DISP_CAP_CRC ? ", crc" : "",
		   disp->dma_bits);
	/* planes are scanned by DMA from the buffers' own pages */
	seq_puts(m, "CPU copies of pixels by the driver: none, there is no such code path\n");

	drm_modeset_lock_all(&disp->drm);
	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];
		struct drm_crtc_state *cs = head->crtc.state;

		seq_printf(m, "head %u [CRTC:%d]: %s", h, head->crtc.base.id,
			   cs->active ? "active" : "off");
		if (cs->enable)
			seq_printf(m, ", mode " DRM_MODE_FMT, DRM_MODE_ARG(&cs->adjusted_mode));
		seq_puts(m, "\n");
		if (drm_dev_enter(&disp->drm, &idx)) {
			u32 status = vprime_head_read(head, VPRIME_HEAD_STATUS);

			seq_printf(m, "  hardware: frame %u, status%s%s%s, crc %s\n",
				   vprime_head_read(head, VPRIME_HEAD_FRAME),
				   status & VPRIME_HEAD_STATUS_CONNECTED ? " connected" : " disconnected",
				   status & VPRIME_HEAD_STATUS_ACTIVE ? " active" : "",
				   status & VPRIME_HEAD_STATUS_PENDING ? " update-pending" : "",
				   vprime_head_read(head, VPRIME_HEAD_CRC_CONTROL) ? "on" : "off");
			drm_dev_exit(idx);
		}
		seq_printf(m, "  vblank irqs %lld, flips %lld, underruns %lld, errors %lld (last 0x%x), hotplugs %lld\n",
			   (long long)atomic64_read(&head->vblank_irqs),
			   (long long)atomic64_read(&head->flips),
			   (long long)atomic64_read(&head->underruns),
			   (long long)atomic64_read(&head->errors),
			   atomic_read(&head->last_error),
			   (long long)atomic64_read(&head->hotplugs));
		for (p = 0; p < VPRIME_DISP_PLANES; p++)
			vprime_debugfs_plane(m, disp, head->planes[p]);
	}
	drm_modeset_unlock_all(&disp->drm);
	return 0;
}

/**
 * vprime_display_debugfs_init - register the debugfs files
 * @disp: the engine, before drm_dev_register()
 */
void vprime_display_debugfs_init(struct vprime_display *disp)
{
	drm_debugfs_add_file(&disp->drm, "vprime_state", vprime_debugfs_state, NULL);
}
