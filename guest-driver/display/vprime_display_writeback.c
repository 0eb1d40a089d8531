// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display writeback: one drm_writeback_connector per head.
 *
 * The engine writes the frame a head shows (composed, after colour: what
 * the CRC covers) into a buffer by DMA, when a job programmed in the
 * head's WB_* shadow registers is latched by the same UPDATE as the
 * planes.  The job is queued in the connector's atomic_commit, which the
 * commit tail runs before the planes; the registers are written in the
 * CRTC's atomic_flush under the UPDATE_LOCK, just before the UPDATE, so
 * that no other latch can take the job.  The WB_DONE interrupt signals the
 * job's out-fence, with an error if WB_STATUS says the engine refused the
 * job or its DMA failed.
 */

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_edid.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_print.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_writeback.h>

#include "vprime_display_drv.h"

static const u32 vprime_wb_formats[] = {
	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888,
};

static inline struct vprime_head *wb_to_head(struct drm_writeback_connector *wb)
{
	return container_of(wb, struct vprime_head, wb);
}

static int vprime_wb_get_modes(struct drm_connector *connector)
{
	struct drm_device *drm = connector->dev;

	return drm_add_modes_noedid(connector, drm->mode_config.max_width,
				    drm->mode_config.max_height);
}

/* The buffer the engine writes: size, DMA mapping, reach (as a plane's) */
static int vprime_wb_check_bo(struct drm_connector *connector,
			      struct drm_gem_object *obj)
{
	struct vprime_display *disp = to_vprime_display(connector->dev);
	struct vprime_display_bo *bo = to_vprime_display_bo(obj);
	int ret;

	if (!obj->size || obj->size > VPRIME_DISP_FB_MAX)
		return -EINVAL;
	ret = vprime_display_bo_map(bo);
	if (ret)
		return ret;
	if (bo->unaligned || bo->bounced || bo->dma_last > disp->dma_mask ||
	    (!(disp->disp_caps & VPRIME_DISP_CAP_SCATTER) && !bo->contiguous)) {
		drm_dbg_atomic(connector->dev, "[CONNECTOR:%d] writeback buffer the engine cannot write by DMA\n",
			       connector->base.id);
		return -EINVAL;
	}
	return 0;
}

static int vprime_wb_atomic_check(struct drm_connector *connector,
				  struct drm_atomic_state *state)
{
	struct drm_connector_state *conn_state =
		drm_atomic_get_new_connector_state(state, connector);
	struct drm_crtc_state *crtc_state;
	struct drm_framebuffer *fb;
	int ret;

	if (!conn_state->writeback_job || !conn_state->writeback_job->fb)
		return 0;
	fb = conn_state->writeback_job->fb;
	if (!conn_state->crtc)
		return -EINVAL;
	crtc_state = drm_atomic_get_new_crtc_state(state, conn_state->crtc);
	if (!crtc_state || !crtc_state->active) {
		drm_dbg_atomic(connector->dev, "[CONNECTOR:%d] writeback on a CRTC that is off\n",
			       connector->base.id);
		return -EINVAL;
	}
	if (fb->width != crtc_state->mode.hdisplay ||
	    fb->height != crtc_state->mode.vdisplay) {
		drm_dbg_atomic(connector->dev, "[CONNECTOR:%d] writeback framebuffer %ux%u, mode %ux%u\n",
			       connector->base.id, fb->width, fb->height,
			       crtc_state->mode.hdisplay, crtc_state->mode.vdisplay);
		return -EINVAL;
	}
	if (fb->modifier != DRM_FORMAT_MOD_LINEAR || fb->pitches[0] % 4 ||
	    fb->pitches[0] < fb->width * 4) {
		drm_dbg_atomic(connector->dev, "[CONNECTOR:%d] writeback framebuffer not linear or its pitch %u unusable\n",
			       connector->base.id, fb->pitches[0]);
		return -EINVAL;
	}
	ret = vprime_wb_check_bo(connector, fb->obj[0]);
	if (ret)
		return ret;
	/* the format among vprime_wb_formats */
	return drm_atomic_helper_check_wb_connector_state(connector, state);
}

static int vprime_wb_prepare_job(struct drm_writeback_connector *wb,
				 struct drm_writeback_job *job)
{
	struct drm_gem_object *obj;
	int ret;

	if (!job->fb)
		return 0;
	obj = job->fb->obj[0];
	if (!obj->import_attach) {
		ret = drm_gem_shmem_pin(to_drm_gem_shmem_obj(obj));
		if (ret)
			return ret;
	}
	ret = vprime_display_bo_map(to_vprime_display_bo(obj));
	if (ret && !obj->import_attach)
		drm_gem_shmem_unpin(to_drm_gem_shmem_obj(obj));
	return ret;
}

static void vprime_wb_cleanup_job(struct drm_writeback_connector *wb,
				  struct drm_writeback_job *job)
{
	struct drm_gem_object *obj;

	if (!job->fb)
		return;
	obj = job->fb->obj[0];
	if (!obj->import_attach)
		drm_gem_shmem_unpin(to_drm_gem_shmem_obj(obj));
}

/*
 * Queue the job (its out-fence is signalled at WB_DONE) and note the
 * registers atomic_flush writes before its UPDATE
 */
static void vprime_wb_atomic_commit(struct drm_connector *connector,
				    struct drm_atomic_state *state)
{
	struct drm_writeback_connector *wb = drm_connector_to_writeback(connector);
	struct vprime_head *head = wb_to_head(wb);
	struct drm_connector_state *conn_state =
		drm_atomic_get_new_connector_state(state, connector);
	struct drm_framebuffer *fb = conn_state->writeback_job->fb;
	struct vprime_display_bo *bo = to_vprime_display_bo(fb->obj[0]);
	struct vprime_wb_regs *r = &head->wb_regs;
	bool contig = !(head->disp->disp_caps & VPRIME_DISP_CAP_SCATTER);

	r->format = vprime_format_to_hw(fb->format->format);
	r->pitch = fb->pitches[0];
	r->addr = contig ? bo->first_dma : bo->page_list_dma;
	r->fb_size = fb->obj[0]->size;
	r->offset = fb->offsets[0];
	r->size = VPRIME_XY(fb->width, fb->height);
	r->control = VPRIME_WB_CTRL_ENABLE | (contig ? VPRIME_WB_CTRL_CONTIG : 0);
	atomic_inc(&head->wb_queued);
	drm_writeback_queue_job(wb, conn_state);
	head->wb_armed = true;
}

static const struct drm_connector_helper_funcs vprime_wb_helper_funcs = {
	.get_modes = vprime_wb_get_modes,
	.atomic_check = vprime_wb_atomic_check,
	.prepare_writeback_job = vprime_wb_prepare_job,
	.cleanup_writeback_job = vprime_wb_cleanup_job,
	.atomic_commit = vprime_wb_atomic_commit,
};

static const struct drm_connector_funcs vprime_wb_connector_funcs = {
	.fill_modes = drm_helper_probe_single_connector_modes,
	.destroy = drm_connector_cleanup,
	.reset = drm_atomic_helper_connector_reset,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

/**
 * vprime_writeback_flush - write a queued job's registers
 * @head: the head, inside drm_dev_enter(), its UPDATE_LOCK held
 *
 * Call from atomic_flush just before the UPDATE that latches the job.
 */
void vprime_writeback_flush(struct vprime_head *head)
{
	const struct vprime_wb_regs *r = &head->wb_regs;

	if (!head->wb_armed)
		return;
	head->wb_armed = false;
	vprime_head_write(head, VPRIME_HEAD_WB_FORMAT, r->format);
	vprime_head_write(head, VPRIME_HEAD_WB_PITCH, r->pitch);
	vprime_head_write(head, VPRIME_HEAD_WB_ADDR_LO, lower_32_bits(r->addr));
	vprime_head_write(head, VPRIME_HEAD_WB_ADDR_HI, upper_32_bits(r->addr));
	vprime_head_write(head, VPRIME_HEAD_WB_FB_SIZE, r->fb_size);
	vprime_head_write(head, VPRIME_HEAD_WB_OFFSET, r->offset);
	vprime_head_write(head, VPRIME_HEAD_WB_SIZE, r->size);
	vprime_head_write(head, VPRIME_HEAD_WB_CONTROL, r->control);
}

/* Signal the oldest queued job, if any, with @status */
static void vprime_writeback_signal(struct vprime_head *head, int status)
{
	if (atomic_add_unless(&head->wb_queued, -1, 0))
		drm_writeback_signal_completion(&head->wb, status);
}

/**
 * vprime_writeback_abort - end a queued job the engine will never see
 * @head: the head (the device is gone: atomic_flush wrote no UPDATE)
 */
void vprime_writeback_abort(struct vprime_head *head)
{
	if (!head->wb_armed)
		return;
	head->wb_armed = false;
	vprime_writeback_signal(head, -ENODEV);
}

/**
 * vprime_writeback_done - the WB_DONE interrupt: the job ended
 * @head: the head
 */
void vprime_writeback_done(struct vprime_head *head)
{
	u32 status = vprime_head_read(head, VPRIME_HEAD_WB_STATUS);

	if (status & VPRIME_WB_STATUS_ERROR) {
		drm_dbg_kms(&head->disp->drm, "head %u: writeback failed, WB_STATUS 0x%x\n",
			    head->idx, status);
		vprime_writeback_signal(head, -EIO);
		return;
	}
	vprime_writeback_signal(head, 0);
}

/**
 * vprime_writeback_init - create a head's writeback connector
 * @head: the head, its CRTC created
 *
 * The connector can capture only its head's CRTC, and its encoder is a
 * clone of the head's (both are on the CRTC while it captures).  Nothing is created on
 * an engine without VPRIME_DISP_CAP_WRITEBACK.
 *
 * Returns: 0 or a negative errno.
 */
int vprime_writeback_init(struct vprime_head *head)
{
	struct drm_device *drm = &head->disp->drm;
	int ret;

	if (!(head->disp->disp_caps & VPRIME_DISP_CAP_WRITEBACK))
		return 0;
	drm_connector_helper_add(&head->wb.base, &vprime_wb_helper_funcs);
	ret = drm_writeback_connector_init(drm, &head->wb,
					   &vprime_wb_connector_funcs, NULL,
					   vprime_wb_formats,
					   ARRAY_SIZE(vprime_wb_formats),
					   drm_crtc_mask(&head->crtc));
	if (ret)
		return ret;
	/* it drives the CRTC beside an output: vprime_output_set_clones() */
	head->event_enable |= VPRIME_HEAD_EV_WB_DONE;
	return 0;
}
