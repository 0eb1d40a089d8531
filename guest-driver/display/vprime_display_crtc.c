// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: CRTCs, vblank, the head interrupt and CRCs.
 *
 * A head's CONTROL, MODE_* and plane registers are shadow registers the
 * engine latches at the vblank after an UPDATE (at once while the head is
 * off), then raises FLIP_DONE.  The flip's event is armed before the
 * UPDATE and sent from that interrupt, so userspace learns about a flip
 * when the hardware has really switched buffers; the event of a commit
 * that turns the head on (latched at once) waits for its first vblank.
 *
 * A commit writes its shadow registers one at a time, and a legacy cursor
 * update writes the cursor's while a flip's UPDATE is pending: the vblank
 * between two writes would latch half of them.  Every commit and cursor
 * update holds the head's UPDATE_LOCK from before its first shadow
 * register write until after its UPDATE, so that the engine latches only
 * whole states; a flip held back by it latches at the first vblank after
 * the release, and FLIP_FRAME (which completes the event) names that one.
 * A commit of several heads (vprime_atomic_commit_tail()) locks them all
 * before its first write and releases them after the last head's UPDATE,
 * in one write each (UPDATE_LOCK_SET, _CLEAR), so that no vblank falls
 * between two heads' UPDATEs of one commit.
 *
 * With VRR_ENABLED (VPRIME_DISP_CAP_VRR, a monitor with a refresh range)
 * a frame ends when the next flip's UPDATE comes, within the range.
 *
 * An async flip (DRM_MODE_PAGE_FLIP_ASYNC, on engines with
 * VPRIME_DISP_CAP_ASYNC_FLIP) writes UPDATE | ASYNC instead: the engine
 * latches the primary plane's new address in the write, and the event is
 * sent at once.
 *
 * Vblank counts and timestamps come from the device: FRAME is a 32-bit
 * hardware counter, and VBLANK_TS together with the device clock tells how
 * long ago the latest vblank was.
 */

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/ktime.h>
#include <linux/pm_runtime.h>

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_color_mgmt.h>
#include <drm/drm_drv.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_vblank.h>

#include "vprime_display_drv.h"

/* Events the driver always wants; VBLANK follows drm_vblank's refcount. */
#define VPRIME_HEAD_EV_ALWAYS	(VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_HOTPLUG | \
				 VPRIME_HEAD_EV_UNDERRUN | VPRIME_HEAD_EV_ERROR)

/* How often the timestamp read is retried when a vblank comes in between */
#define VPRIME_TS_RETRIES	3
/* (ktime, device clock) pairs read for one timestamp; the tightest is used */
#define VPRIME_CLOCK_SAMPLES	3

static const char * const vprime_head_err_names[] = {
	[VPRIME_HEAD_ERR_MODE] = "mode out of range",
	[VPRIME_HEAD_ERR_FORMAT] = "unknown format",
	[VPRIME_HEAD_ERR_LAYOUT] = "bad layout",
	[VPRIME_HEAD_ERR_PITCH] = "bad pitch",
	[VPRIME_HEAD_ERR_RECT] = "rectangle outside buffer or mode",
	[VPRIME_HEAD_ERR_FB_SIZE] = "bad buffer size",
	[VPRIME_HEAD_ERR_ALIGN] = "misaligned address",
	[VPRIME_HEAD_ERR_PAGE_LIST] = "page list unreadable",
	[VPRIME_HEAD_ERR_DMA_MASK] = "address beyond the DMA mask",
	[VPRIME_HEAD_ERR_CONTIG] = "page list on a contiguous-only engine",
	[VPRIME_HEAD_ERR_CONTROL] = "reserved control bits",
	[VPRIME_HEAD_ERR_ZPOS] = "stacking order out of range",
	[VPRIME_HEAD_ERR_SCALE] = "scaling beyond the plane's limits",
	[VPRIME_HEAD_ERR_BLEND] = "unknown blend mode",
	[VPRIME_HEAD_ERR_LAYOUT_UNSUPPORTED] = "layout the plane does not scan",
	[VPRIME_HEAD_ERR_COLOUR] = "colour block unreadable",
	[VPRIME_HEAD_ERR_WB_DMA] = "writeback buffer not writable by DMA",
	[VPRIME_HEAD_ERR_WB_CONFIG] = "writeback job refused",
	[VPRIME_HEAD_ERR_ASYNC] = "async flip changes more than the address",
	[VPRIME_HEAD_ERR_VRR] = "bad variable refresh",
	[VPRIME_HEAD_ERR_ROUTE_BUSY] = "output driven by another head",
	[VPRIME_HEAD_ERR_ROUTE] = "no such output",
	[VPRIME_HEAD_ERR_BPC] = "bad output bpc",
};

static const char * const vprime_plane_err_names[VPRIME_DISP_PLANES] = {
	[VPRIME_PLANE_PRIMARY] = "primary plane",
	[VPRIME_PLANE_OVERLAY] = "overlay plane",
	[VPRIME_PLANE_CURSOR] = "cursor plane",
	[VPRIME_PLANE_OVERLAY2] = "second overlay plane",
};

/* ---- vblank ------------------------------------------------------------ */

static void vprime_head_set_events(struct vprime_head *head, u32 set, u32 clear)
{
	unsigned long flags;
	u32 newly;
	int idx;

	spin_lock_irqsave(&head->lock, flags);
	newly = set & ~head->event_enable;
	head->event_enable = (head->event_enable | set) & ~clear;
	if (drm_dev_enter(&head->disp->drm, &idx)) {
		/*
		 * Events are recorded while disabled: one from before is old
		 * news, drop it so that the handler sees only new ones.
		 */
		if (newly)
			vprime_head_write(head, VPRIME_HEAD_EVENTS, newly);
		vprime_head_write(head, VPRIME_HEAD_EVENT_ENABLE, head->event_enable);
		drm_dev_exit(idx);
	}
	spin_unlock_irqrestore(&head->lock, flags);
}

static int vprime_crtc_enable_vblank(struct drm_crtc *crtc)
{
	vprime_head_set_events(crtc_to_head(crtc), VPRIME_HEAD_EV_VBLANK, 0);
	return 0;
}

static void vprime_crtc_disable_vblank(struct drm_crtc *crtc)
{
	vprime_head_set_events(crtc_to_head(crtc), 0, VPRIME_HEAD_EV_VBLANK);
}

static u32 vprime_crtc_get_vblank_counter(struct drm_crtc *crtc)
{
	struct vprime_head *head = crtc_to_head(crtc);
	int idx;

	/* vprime_head_count_to(): the count goes up to that vblank only */
	if (READ_ONCE(head->report_clamp)) {
		WRITE_ONCE(head->last_frame, head->report_frame);
		return head->report_frame;
	}
	if (drm_dev_enter(crtc->dev, &idx)) {
		WRITE_ONCE(head->last_frame, vprime_head_read(head, VPRIME_HEAD_FRAME));
		drm_dev_exit(idx);
	}
	return READ_ONCE(head->last_frame);
}

/*
 * The device clock and the ktime of one instant: ktime_get() on both sides
 * of the read that latches the device clock (reading LO latches HI), and
 * their midpoint, from the tightest of VPRIME_CLOCK_SAMPLES tries.  The
 * host can stop the vCPU between two reads for tens of microseconds; a
 * pair read across such a pause would put the timestamp that far off.
 */
static void vprime_read_clock_pair(struct vprime_display *disp, ktime_t *now,
				   u64 *dev_now)
{
	s64 best = S64_MAX;
	int i;

	for (i = 0; i < VPRIME_CLOCK_SAMPLES; i++) {
		unsigned long flags;
		ktime_t t0, t1;
		u32 lo, hi;

		local_irq_save(flags);
		t0 = ktime_get();
		lo = vprime_hw_read(&disp->hw, VPRIME_DISP_CLOCK_LO);
		t1 = ktime_get();
		hi = vprime_hw_read(&disp->hw, VPRIME_DISP_CLOCK_HI);
		local_irq_restore(flags);
		if (ktime_to_ns(ktime_sub(t1, t0)) < best) {
			best = ktime_to_ns(ktime_sub(t1, t0));
			*now = ktime_add_ns(t0, best / 2);
			*dev_now = (u64)hi << 32 | lo;
		}
	}
}

/*
 * The device stamps each vblank with its own clock; translate by how long
 * ago that was on the device clock (vprime_read_clock_pair()).  A vblank
 * between the reads (FRAME changed) makes the pair inconsistent: retry.
 */
static bool vprime_crtc_get_vblank_timestamp(struct drm_crtc *crtc,
					     int *max_error, ktime_t *vblank_time,
					     bool in_vblank_irq)
{
	struct vprime_head *head = crtc_to_head(crtc);
	struct vprime_display *disp = head->disp;
	bool ok = false;
	int idx, tries;

	if (!drm_dev_enter(crtc->dev, &idx))
		return false;
	if (!(vprime_head_read(head, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE))
		goto out;

	for (tries = 0; tries < VPRIME_TS_RETRIES && !ok; tries++) {
		u32 frame = vprime_head_read(head, VPRIME_HEAD_FRAME);
		u64 ts = vprime_head_read(head, VPRIME_HEAD_VBLANK_TS_LO) |
			 (u64)vprime_head_read(head, VPRIME_HEAD_VBLANK_TS_HI) << 32;
		ktime_t now;
		u64 dev_now;

		vprime_read_clock_pair(disp, &now, &dev_now);

		if (vprime_head_read(head, VPRIME_HEAD_FRAME) != frame)
			continue;
		/*
		 * an earlier vblank, on the same grid of periods (with VRR
		 * the frames between may have been longer: noted)
		 */
		if (READ_ONCE(head->report_clamp) && frame != head->report_frame) {
			ts -= (u64)(u32)(frame - head->report_frame) * head->period_ns;
			WRITE_ONCE(head->report_grid, true);
		}
		*vblank_time = ktime_sub_ns(now, dev_now > ts ? dev_now - ts : 0);
		ok = true;
	}
out:
	drm_dev_exit(idx);
	return ok;
}

/* ---- CRC --------------------------------------------------------------- */

static const char * const vprime_crc_sources[] = { "auto" };

static int vprime_crc_parse_source(const char *source, bool *enable)
{
	if (!source || !strcmp(source, "none")) {
		*enable = false;
		return 0;
	}
	if (!strcmp(source, "auto")) {
		*enable = true;
		return 0;
	}
	return -EINVAL;
}

static const char * const *vprime_crtc_get_crc_sources(struct drm_crtc *crtc,
							size_t *count)
{
	*count = ARRAY_SIZE(vprime_crc_sources);
	return vprime_crc_sources;
}

static int vprime_crtc_verify_crc_source(struct drm_crtc *crtc,
					 const char *source, size_t *values_cnt)
{
	struct vprime_head *head = crtc_to_head(crtc);
	bool enable;

	if (!(head->disp->disp_caps & VPRIME_DISP_CAP_CRC))
		return -EOPNOTSUPP;
	if (vprime_crc_parse_source(source, &enable))
		return -EINVAL;
	*values_cnt = 1;
	return 0;
}

/*
 * CRCs are read at each vblank interrupt, so the vblank interrupt stays on
 * (a vblank reference) while they are.
 */
static int vprime_crtc_set_crc_source(struct drm_crtc *crtc, const char *source)
{
	struct vprime_head *head = crtc_to_head(crtc);
	bool enable, was_on;
	int idx, ret;

	ret = vprime_crc_parse_source(source, &enable);
	if (ret)
		return ret;
	if (enable && !(head->disp->disp_caps & VPRIME_DISP_CAP_CRC))
		return -EOPNOTSUPP;

	spin_lock_irq(&head->lock);
	was_on = head->crc_on;
	spin_unlock_irq(&head->lock);
	if (enable == was_on)
		return 0;
	/* a capture keeps the engine awake: its CRCs come from the engine */
	if (enable) {
		ret = drm_crtc_vblank_get(crtc);
		if (ret)
			return ret;
		ret = vprime_display_rpm_get(head->disp);
		if (ret) {
			drm_crtc_vblank_put(crtc);
			return ret;
		}
	}

	spin_lock_irq(&head->lock);
	head->crc_on = enable;
	if (drm_dev_enter(crtc->dev, &idx)) {
		head->crc_start = vprime_head_read(head, VPRIME_HEAD_FRAME);
		vprime_head_write(head, VPRIME_HEAD_CRC_CONTROL, enable);
		drm_dev_exit(idx);
	}
	spin_unlock_irq(&head->lock);

	if (!enable) {
		drm_crtc_vblank_put(crtc);
		vprime_display_rpm_put(head->disp);
	}
	return 0;
}

/* In the interrupt, after drm_crtc_handle_vblank(): one entry per vblank. */
static void vprime_crtc_crc_entry(struct vprime_head *head)
{
	u32 crc, crc_frame;
	bool on;

	spin_lock(&head->lock);
	on = head->crc_on;
	crc_frame = vprime_head_read(head, VPRIME_HEAD_CRC_FRAME);
	/* the first frame composed after turning the CRC on has one */
	if (on && (s32)(crc_frame - head->crc_start) <= 0)
		on = false;
	spin_unlock(&head->lock);
	if (!on)
		return;

	crc = vprime_head_read(head, VPRIME_HEAD_CRC);
	/*
	 * The CRC register holds the CRC of the frame on screen since
	 * CRC_FRAME, i.e. at this vblank.  Frame numbers are DRM's vblank
	 * sequence (what vblank events and WAIT_VBLANK report), which
	 * follows FRAME through get_vblank_counter.
	 */
	drm_crtc_add_crc_entry(&head->crtc, true,
			       drm_crtc_vblank_count(&head->crtc), &crc);
}

/* ---- interrupt --------------------------------------------------------- */

/*
 * Send the armed event with the vblank sequence DRM has now (the vblank
 * this interrupt handled), and keep what it said for debugfs.  Under
 * drm->event_lock.
 */
static void vprime_head_send_event(struct vprime_head *head, u32 latch_frame,
				   u32 report_frame)
{
	struct drm_crtc *crtc = &head->crtc;
	struct vprime_flip_record *r = &head->last_flip;

	r->seq = (u32)drm_crtc_vblank_count(crtc);
	r->event_frame = READ_ONCE(head->last_frame);
	r->count_passed = r->event_frame != report_frame;
	r->update_frame = head->event_update_frame;
	r->latch_frame = latch_frame;
	r->turned_on = head->event_at_vblank;
	r->async = false;
	r->ts_grid = READ_ONCE(head->report_grid);
	WRITE_ONCE(head->report_grid, false);
	drm_crtc_send_vblank_event(crtc, head->event);
	head->event = NULL;
	head->event_at_vblank = false;
	drm_crtc_vblank_put(crtc);
}

/*
 * DRM's vblank count up to the device's @frame and no further: the
 * vblank a flip completed at, when the interrupt is handled after later
 * vblanks (a slow vCPU), so that its event names that vblank, with its
 * timestamp.  drm_crtc_handle_vblank() takes event_lock: call without it.
 */
static void vprime_head_count_to(struct vprime_head *head, u32 frame)
{
	WRITE_ONCE(head->report_grid, false);
	if ((s32)(frame - READ_ONCE(head->last_frame)) <= 0)
		return;
	head->report_frame = frame;
	WRITE_ONCE(head->report_clamp, true);
	drm_crtc_handle_vblank(&head->crtc);
	WRITE_ONCE(head->report_clamp, false);
}

/*
 * The frame the armed event completed at, or false if not yet: a flip
 * completes at a latch at a vblank after the frame read behind its
 * UPDATE write (a FLIP_DONE can be older than the armed event: the
 * immediate latch of a head being turned off); whether another UPDATE,
 * a cursor update, is pending since does not matter.  A commit that
 * turned the head on completes at the first vblank after it.
 */
static bool vprime_head_event_done(struct vprime_head *head, bool at_vblank,
				   u32 *frame)
{
	if (!head->event || head->event_at_vblank != at_vblank)
		return false;
	if (head->event_at_vblank) {
		*frame = head->event_latch_frame + 1;
		return true;
	}
	if (head->event_latched) {
		*frame = head->event_latch_frame;
		return true;
	}
	*frame = vprime_head_read(head, VPRIME_HEAD_FLIP_FRAME);
	return (s32)(*frame - head->event_after_frame) > 0;
}

/* FLIP_DONE (at_vblank false) or VBLANK: send the armed event if it is done */
static void vprime_head_complete(struct vprime_head *head, bool at_vblank)
{
	struct drm_device *drm = &head->disp->drm;
	unsigned long flags;
	bool done;
	u32 frame;

	spin_lock_irqsave(&drm->event_lock, flags);
	done = vprime_head_event_done(head, at_vblank, &frame);
	spin_unlock_irqrestore(&drm->event_lock, flags);
	if (!done)
		return;
	vprime_head_count_to(head, frame);
	spin_lock_irqsave(&drm->event_lock, flags);
	/* atomic_disable may have sent it meanwhile */
	if (head->event && head->event_at_vblank == at_vblank)
		vprime_head_send_event(head, at_vblank ? frame - 1 : frame, frame);
	spin_unlock_irqrestore(&drm->event_lock, flags);
}

static void vprime_head_error(struct vprime_head *head)
{
	u32 err = vprime_head_read(head, VPRIME_HEAD_ERROR);
	u32 reason = err & 0xff;
	u32 plane = (err >> VPRIME_HEAD_ERR_PLANE_SHIFT) & 0xff;
	const char *what = "head", *why = "unknown reason";

	vprime_head_write(head, VPRIME_HEAD_ERROR, err);
	atomic64_inc(&head->errors);
	atomic_set(&head->last_error, err);

	if (reason < ARRAY_SIZE(vprime_head_err_names) && vprime_head_err_names[reason])
		why = vprime_head_err_names[reason];
	if (plane < VPRIME_DISP_PLANES)
		what = vprime_plane_err_names[plane];
	drm_err_ratelimited(&head->disp->drm, "head %u refused a configuration: %s: %s (HEAD_ERROR 0x%x)\n",
			    head->idx, what, why, err);
}

/**
 * vprime_head_irq - interrupt handler of a head's MSI-X vector
 * @irq: the vector
 * @arg: the &struct vprime_head
 *
 * Returns: IRQ_HANDLED, or IRQ_NONE if the head did not interrupt.
 */
irqreturn_t vprime_head_irq(int irq, void *arg)
{
	struct vprime_head *head = arg;
	struct vprime_display *disp = head->disp;
	u32 events;

	events = vprime_head_read(head, VPRIME_HEAD_EVENTS);
	if (events == ~0u)	/* the device is gone */
		return IRQ_NONE;
	events &= VPRIME_HEAD_EV_VALID_MASK;
	if (!events)
		return IRQ_NONE;
	vprime_head_write(head, VPRIME_HEAD_EVENTS, events);
	vprime_hw_write(&disp->hw, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_HEAD(head->idx));
	/* bits of disabled events are set too: cleared above, not handled */
	events &= READ_ONCE(head->event_enable);

	/*
	 * Flip events first: each names the vblank its flip completed at,
	 * also when this interrupt comes vblanks later
	 */
	if (events & VPRIME_HEAD_EV_FLIP_DONE) {
		atomic64_inc(&head->flips);
		vprime_head_complete(head, false);
	}
	if (events & VPRIME_HEAD_EV_VBLANK) {
		atomic64_inc(&head->vblank_irqs);
		vprime_head_complete(head, true);
		drm_crtc_handle_vblank(&head->crtc);
		vprime_crtc_crc_entry(head);
	}
	if (events & VPRIME_HEAD_EV_HOTPLUG) {
		atomic64_inc(&head->hotplugs);
		schedule_work(&disp->hotplug_work);
	}
	if (events & VPRIME_HEAD_EV_UNDERRUN) {
		atomic64_inc(&head->underruns);
		drm_dbg_kms(&disp->drm, "head %u: underrun, a plane could not be fetched\n",
			    head->idx);
	}
	if (events & VPRIME_HEAD_EV_ERROR)
		vprime_head_error(head);
	if (events & VPRIME_HEAD_EV_WB_DONE)
		vprime_writeback_done(head);
	return IRQ_HANDLED;
}

/* ---- colour ------------------------------------------------------------ */

/* Each colour block of a head: two, used in turn (one may still be latching) */
#define VPRIME_COLOUR_BUF_STRIDE	ALIGN(VPRIME_COLOUR_BLOCK_SIZE, 256)

static void vprime_colour_put_lut(u8 *dst, const struct drm_property_blob *blob)
{
	const struct drm_color_lut *lut = blob->data;
	__le16 *out = (__le16 *)dst;
	unsigned int i;

	for (i = 0; i < VPRIME_COLOUR_LUT_SIZE; i++) {
		out[i * 4] = cpu_to_le16(lut[i].red);
		out[i * 4 + 1] = cpu_to_le16(lut[i].green);
		out[i * 4 + 2] = cpu_to_le16(lut[i].blue);
		out[i * 4 + 3] = 0;
	}
}

/*
 * Write the CRTC state's DEGAMMA_LUT, CTM and GAMMA_LUT into the next
 * colour block and point the head's (shadow) colour registers at it: the
 * engine reads it when it latches the UPDATE that follows.  Inside
 * drm_dev_enter().
 */
static void vprime_crtc_colour_program(struct vprime_head *head,
				       const struct drm_crtc_state *st)
{
	dma_addr_t dma;
	u32 ctl = 0;
	u8 *blk;

	if (!head->colour_buf)
		return;
	blk = head->colour_buf + head->colour_next * VPRIME_COLOUR_BUF_STRIDE;
	dma = head->colour_dma + head->colour_next * VPRIME_COLOUR_BUF_STRIDE;
	head->colour_next ^= 1;

	if (st->degamma_lut) {
		vprime_colour_put_lut(blk + VPRIME_COLOUR_DEGAMMA, st->degamma_lut);
		ctl |= VPRIME_COLOUR_CTRL_DEGAMMA;
	}
	if (st->ctm) {
		const struct drm_color_ctm *ctm = st->ctm->data;
		__le64 *m = (__le64 *)(blk + VPRIME_COLOUR_CTM);
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(ctm->matrix); i++)
			m[i] = cpu_to_le64(ctm->matrix[i]);
		ctl |= VPRIME_COLOUR_CTRL_CTM;
	}
	if (st->gamma_lut) {
		vprime_colour_put_lut(blk + VPRIME_COLOUR_GAMMA, st->gamma_lut);
		ctl |= VPRIME_COLOUR_CTRL_GAMMA;
	}
	vprime_head_write(head, VPRIME_HEAD_COLOUR_ADDR_LO, lower_32_bits(dma));
	vprime_head_write(head, VPRIME_HEAD_COLOUR_ADDR_HI, upper_32_bits(dma));
	vprime_head_write(head, VPRIME_HEAD_COLOUR_CONTROL, ctl);
}

/*
 * An async flip (DRM_MODE_PAGE_FLIP_ASYNC): the engine latches only the
 * primary plane's address and offset at once (UPDATE | ASYNC), so the
 * head must stay as it is and the new framebuffer be scanned the same
 * way as the old one.  The core has already refused an atomic async
 * commit that changes any property but the primary's FB_ID.
 */
static int vprime_crtc_async_check(struct drm_crtc *crtc,
				   struct drm_atomic_state *state,
				   struct drm_crtc_state *st)
{
	struct drm_plane_state *old_ps, *new_ps;
	struct drm_framebuffer *o, *n;
	unsigned int i;

	if (!st->active || drm_atomic_crtc_needs_modeset(st) || st->color_mgmt_changed) {
		drm_dbg_atomic(crtc->dev, "[CRTC:%d] async flip with the CRTC off or changed\n",
			       crtc->base.id);
		return -EINVAL;
	}
	old_ps = drm_atomic_get_old_plane_state(state, crtc->primary);
	new_ps = drm_atomic_get_new_plane_state(state, crtc->primary);
	if (!new_ps)
		return 0;
	o = old_ps->fb;
	n = new_ps->fb;
	if (!o || !n || o->format != n->format || o->modifier != n->modifier ||
	    old_ps->crtc != new_ps->crtc) {
		drm_dbg_atomic(crtc->dev, "[CRTC:%d] async flip changes more than the buffer\n",
			       crtc->base.id);
		return -EINVAL;
	}
	for (i = 0; i < n->format->num_planes; i++) {
		if (o->pitches[i] != n->pitches[i] ||
		    o->obj[i]->size != n->obj[i]->size) {
			drm_dbg_atomic(crtc->dev, "[CRTC:%d] async flip to a buffer of another pitch or size\n",
				       crtc->base.id);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * OUTPUT_BPC of a CRTC in @state: the narrowest link depth of the
 * monitors it drives (clones share the pipe's one link depth), each
 * computed into its connector state's max_bpc when @compute.  Writeback
 * connectors are not monitors: writeback taps the pipe before the link.
 * 8 when it drives none.  A modeset's state has every connector of the
 * CRTC (the helpers add them).
 */
static u32 vprime_crtc_link_bpc(struct drm_crtc *crtc, struct drm_atomic_state *state,
				bool compute)
{
	struct drm_connector_state *cs;
	struct drm_connector *connector;
	u32 bpc = 0;
	int i;

	for_each_new_connector_in_state(state, connector, cs, i) {
		if (cs->crtc != crtc || connector->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)
			continue;
		if (compute)
			vprime_connector_link_bpc(cs);
		if (!bpc || cs->max_bpc < bpc)
			bpc = cs->max_bpc;
	}
	return bpc ? bpc : VPRIME_BPC_DEFAULT;
}

/*
 * An async flip's limits; the engine's LUTs have VPRIME_COLOUR_LUT_SIZE
 * entries, no other size; at a modeset, the link's depth ("max bpc")
 */
static int vprime_crtc_atomic_check(struct drm_crtc *crtc,
				    struct drm_atomic_state *state)
{
	struct drm_crtc_state *st = drm_atomic_get_new_crtc_state(state, crtc);

	if (st->async_flip) {
		int ret = vprime_crtc_async_check(crtc, state, st);

		if (ret)
			return ret;
	}
	if ((crtc_to_head(crtc)->disp->disp_caps & VPRIME_DISP_CAP_OUTPUT_BPC) &&
	    drm_atomic_crtc_needs_modeset(st))
		vprime_crtc_link_bpc(crtc, state, true);
	if (!st->color_mgmt_changed)
		return 0;
	if (st->degamma_lut &&
	    drm_color_lut_size(st->degamma_lut) != VPRIME_COLOUR_LUT_SIZE) {
		drm_dbg_atomic(crtc->dev, "[CRTC:%d] DEGAMMA_LUT of %d entries, not %d\n",
			       crtc->base.id, drm_color_lut_size(st->degamma_lut),
			       VPRIME_COLOUR_LUT_SIZE);
		return -EINVAL;
	}
	if (st->gamma_lut &&
	    drm_color_lut_size(st->gamma_lut) != VPRIME_COLOUR_LUT_SIZE) {
		drm_dbg_atomic(crtc->dev, "[CRTC:%d] GAMMA_LUT of %d entries, not %d\n",
			       crtc->base.id, drm_color_lut_size(st->gamma_lut),
			       VPRIME_COLOUR_LUT_SIZE);
		return -EINVAL;
	}
	return 0;
}

/*
 * DEGAMMA_LUT, CTM and GAMMA_LUT (and so legacy gamma, which the core
 * turns into GAMMA_LUT) on an engine with the colour pipeline
 */
static int vprime_crtc_colour_init(struct vprime_head *head)
{
	struct drm_device *drm = &head->disp->drm;
	int ret;

	if (!(head->disp->disp_caps & VPRIME_DISP_CAP_COLOUR))
		return 0;
	head->colour_buf = dmam_alloc_coherent(drm->dev, 2 * VPRIME_COLOUR_BUF_STRIDE,
					       &head->colour_dma, GFP_KERNEL);
	if (!head->colour_buf)
		return -ENOMEM;
	drm_crtc_enable_color_mgmt(&head->crtc, VPRIME_COLOUR_LUT_SIZE, true,
				   VPRIME_COLOUR_LUT_SIZE);
	ret = drm_mode_crtc_set_gamma_size(&head->crtc, VPRIME_COLOUR_LUT_SIZE);
	if (ret)
		drm_err(drm, "head %u: no legacy gamma table: %d\n", head->idx, ret);
	return ret;
}

/* ---- CRTC -------------------------------------------------------------- */

static enum drm_mode_status vprime_crtc_mode_valid(struct drm_crtc *crtc,
						   const struct drm_display_mode *mode)
{
	u64 refresh_mhz;

	/* the engine scans progressive frames only */
	if (mode->flags & DRM_MODE_FLAG_INTERLACE)
		return MODE_NO_INTERLACE;
	if (mode->flags & (DRM_MODE_FLAG_DBLSCAN | DRM_MODE_FLAG_DBLCLK))
		return MODE_NO_DBLESCAN;
	if (mode->hdisplay < 1 || mode->hdisplay > VPRIME_DISP_MAX_DIM)
		return MODE_BAD_HVALUE;
	if (mode->vdisplay < 1 || mode->vdisplay > VPRIME_DISP_MAX_DIM)
		return MODE_BAD_VVALUE;
	/* MODE_TOTAL holds 16 bits of each */
	if (mode->htotal < mode->hdisplay || mode->htotal > 0xffff)
		return MODE_H_ILLEGAL;
	if (mode->vtotal < mode->vdisplay || mode->vtotal > 0xffff)
		return MODE_V_ILLEGAL;
	if (mode->clock <= 0)
		return MODE_CLOCK_LOW;

	/* as the engine computes it */
	refresh_mhz = div_u64((u64)mode->clock * 1000000,
			      (u32)mode->htotal * mode->vtotal);
	if (refresh_mhz < VPRIME_DISP_REFRESH_MIN_MILLIHZ)
		return MODE_CLOCK_LOW;
	if (refresh_mhz > VPRIME_DISP_REFRESH_MAX_MILLIHZ)
		return MODE_CLOCK_HIGH;
	return MODE_OK;
}

/*
 * ROUTE: the outputs (heads' connectors) the CRTC drives in @state.  The
 * modeset helpers turn off every CRTC whose connectors change before
 * turning any on, and the engine latches a head being turned on at once:
 * no output is claimed by two heads that are on, even in a swap.
 */
static u32 vprime_crtc_route(struct vprime_head *head,
			     const struct drm_crtc_state *state)
{
	struct vprime_display *disp = head->disp;
	unsigned int h;
	u32 route = 0;

	for (h = 0; h < disp->hw.num_heads; h++)
		if (state->connector_mask & drm_connector_mask(&disp->heads[h].connector))
			route |= BIT(h);
	return route;
}

static void vprime_crtc_atomic_enable(struct drm_crtc *crtc,
				      struct drm_atomic_state *state)
{
	struct vprime_head *head = crtc_to_head(crtc);
	struct drm_display_mode *m = &crtc->state->adjusted_mode;
	int idx;

	/*
	 * A head that is on keeps the engine awake until atomic_disable:
	 * the commit holds it awake already, so this cannot fail to resume
	 */
	pm_runtime_get_noresume(crtc->dev->dev);

	/* takes effect with the planes, at atomic_flush's UPDATE */
	if (drm_dev_enter(crtc->dev, &idx)) {
		if (head->disp->disp_caps & VPRIME_DISP_CAP_CROSSBAR)
			vprime_head_write(head, VPRIME_HEAD_ROUTE,
					  vprime_crtc_route(head, crtc->state));
		if (head->disp->disp_caps & VPRIME_DISP_CAP_OUTPUT_BPC)
			vprime_head_write(head, VPRIME_HEAD_OUTPUT_BPC,
					  vprime_crtc_link_bpc(crtc, state, false));
		vprime_head_write(head, VPRIME_HEAD_MODE_SIZE,
				  VPRIME_XY(m->crtc_hdisplay, m->crtc_vdisplay));
		vprime_head_write(head, VPRIME_HEAD_MODE_TOTAL,
				  VPRIME_XY(m->crtc_htotal, m->crtc_vtotal));
		vprime_head_write(head, VPRIME_HEAD_MODE_CLOCK, m->crtc_clock);
		vprime_head_write(head, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
		drm_dev_exit(idx);
	}
	head->period_ns = div_u64((u64)m->crtc_htotal * m->crtc_vtotal * 1000000,
				  m->crtc_clock);
	drm_crtc_vblank_on(crtc);
}

/**
 * vprime_head_hw_off - turn a head and its planes off at once
 * @head: the head; the caller is inside drm_dev_enter() or in remove()
 *
 * The engine latches a head being turned off immediately.
 */
void vprime_head_hw_off(struct vprime_head *head)
{
	unsigned int p;

	vprime_head_write(head, VPRIME_HEAD_CONTROL, 0);
	for (p = 0; p < VPRIME_DISP_PLANES; p++)
		vprime_plane_write(head, p, VPRIME_PL_CONTROL, 0);
	vprime_head_write(head, VPRIME_HEAD_UPDATE, 1);
}

static void vprime_crtc_atomic_disable(struct drm_crtc *crtc,
				       struct drm_atomic_state *state)
{
	struct vprime_head *head = crtc_to_head(crtc);
	struct drm_device *drm = crtc->dev;
	int idx;

	/*
	 * Planes too: their shadow registers must not come back on with the
	 * next mode set unless that commit turns them on.
	 */
	if (drm_dev_enter(drm, &idx)) {
		vprime_head_hw_off(head);
		drm_dev_exit(idx);
	}

	spin_lock_irq(&drm->event_lock);
	if (head->event) {
		/* the head is off: the flip is as done as it will be */
		drm_crtc_send_vblank_event(crtc, head->event);
		head->event = NULL;
		head->event_at_vblank = false;
		drm_crtc_vblank_put(crtc);
	}
	spin_unlock_irq(&drm->event_lock);

	drm_crtc_vblank_off(crtc);

	/* no atomic_flush for a CRTC that goes off: complete its commit here */
	spin_lock_irq(&drm->event_lock);
	if (crtc->state->event) {
		drm_crtc_send_vblank_event(crtc, crtc->state->event);
		crtc->state->event = NULL;
	}
	spin_unlock_irq(&drm->event_lock);

	/* atomic_enable's reference: the commit still holds the engine awake */
	vprime_display_rpm_put(head->disp);
}

/*
 * Write the UPDATE_LOCK of @heads: one UPDATE_LOCK_SET or _CLEAR write
 * where the engine has them, else head by head.  Under disp->update_lock.
 */
static void vprime_heads_write_lock(struct vprime_display *disp, u32 heads,
				    bool lock)
{
	unsigned int h;
	int idx;

	if (!heads || !drm_dev_enter(&disp->drm, &idx))
		return;
	if (disp->disp_caps & VPRIME_DISP_CAP_UPDATE_LOCK_ALL) {
		vprime_hw_write(&disp->hw, lock ? VPRIME_DISP_UPDATE_LOCK_SET :
				VPRIME_DISP_UPDATE_LOCK_CLEAR, heads);
	} else {
		for (h = 0; h < disp->hw.num_heads; h++)
			if (heads & BIT(h))
				vprime_head_write(&disp->heads[h],
						  VPRIME_HEAD_UPDATE_LOCK, lock);
	}
	drm_dev_exit(idx);
}

/**
 * vprime_heads_update_lock - hold back the vblank latch of several heads
 * @disp: the engine
 * @heads: mask of head indices
 *
 * Call before writing the first shadow register of an update.  The lock
 * nests: a legacy cursor update may take a head's while a commit holds
 * it.  The heads not held yet are locked in one write (UPDATE_LOCK_SET).
 * The engine still latches an UPDATE that latches at once (the head off).
 */
void vprime_heads_update_lock(struct vprime_display *disp, u32 heads)
{
	unsigned long flags;
	u32 first = 0;
	unsigned int h;

	if (!(disp->disp_caps & VPRIME_DISP_CAP_UPDATE_LOCK))
		return;
	spin_lock_irqsave(&disp->update_lock, flags);
	for (h = 0; h < disp->hw.num_heads; h++)
		if ((heads & BIT(h)) && !disp->heads[h].update_locks++)
			first |= BIT(h);
	vprime_heads_write_lock(disp, first, true);
	spin_unlock_irqrestore(&disp->update_lock, flags);
}

/**
 * vprime_heads_update_unlock - let several heads' vblanks latch again
 * @disp: the engine
 * @heads: the mask given to vprime_heads_update_lock()
 *
 * Call after the update's last UPDATE write.  The heads whose last holder
 * this is are released in one write (UPDATE_LOCK_CLEAR): their pending
 * UPDATEs latch, with every register written before them, at each head's
 * first vblank after that write -- one vblank for genlocked heads.
 */
void vprime_heads_update_unlock(struct vprime_display *disp, u32 heads)
{
	unsigned long flags;
	u32 last = 0;
	unsigned int h;

	if (!(disp->disp_caps & VPRIME_DISP_CAP_UPDATE_LOCK))
		return;
	spin_lock_irqsave(&disp->update_lock, flags);
	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];

		if (!(heads & BIT(h)) ||
		    drm_WARN_ON(&disp->drm, !head->update_locks))
			continue;
		if (!--head->update_locks)
			last |= BIT(h);
	}
	vprime_heads_write_lock(disp, last, false);
	spin_unlock_irqrestore(&disp->update_lock, flags);
}

/**
 * vprime_head_update_lock - hold back one head's vblank latch
 * @head: the head
 *
 * vprime_heads_update_lock() for one head: a legacy cursor update.
 */
void vprime_head_update_lock(struct vprime_head *head)
{
	vprime_heads_update_lock(head->disp, BIT(head->idx));
}

/**
 * vprime_head_update_unlock - let one head's vblank latch again
 * @head: the head
 */
void vprime_head_update_unlock(struct vprime_head *head)
{
	vprime_heads_update_unlock(head->disp, BIT(head->idx));
}

/*
 * UPDATE for a commit whose event is armed, noting which latch will take
 * it: FRAME before and after the write, and whether it is pending.  An
 * UPDATE turning the head on latches at once, in the write; otherwise the
 * first latch after the write takes it (a vblank's latch comes after
 * FRAME counted that vblank, so that latch is at a later FRAME than the
 * one read after the write) -- unless it raced the write and the update
 * is not pending any more.  Under drm->event_lock, as every UPDATE.
 */
static void vprime_head_update_armed(struct vprime_head *head)
{
	bool was_on = vprime_head_read(head, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE;

	head->event_update_frame = vprime_head_read(head, VPRIME_HEAD_FRAME);
	vprime_head_write(head, VPRIME_HEAD_UPDATE, 1);
	head->event_after_frame = vprime_head_read(head, VPRIME_HEAD_FRAME);
	head->event_at_vblank = !was_on;
	head->event_latched = !was_on ||
		!(vprime_head_read(head, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_PENDING);
	if (head->event_latched)
		head->event_latch_frame = vprime_head_read(head, VPRIME_HEAD_FLIP_FRAME);
}

/*
 * VRR_ENABLED, with a monitor whose refresh range goes below the mode's
 * refresh: the engine varies each frame from the mode's period (the
 * fastest) to that of the range's slowest refresh, a frame ending when
 * the next commit's UPDATE is written.  Otherwise VRR off.  Shadow
 * registers, latched with the commit's UPDATE; written by every commit
 * but an async flip (whose core checks keep VRR_ENABLED as it is).
 */
static void vprime_crtc_vrr_program(struct vprime_head *head,
				    const struct drm_crtc_state *st)
{
	const struct drm_display_mode *m = &st->adjusted_mode;
	u32 min_hz = 0, control = 0, min_mhz = 0;

	if (!(head->disp->disp_caps & VPRIME_DISP_CAP_VRR))
		return;
	if (st->enable && st->vrr_enabled &&
	    vprime_connector_vrr_range(&head->connector, &min_hz, NULL) &&
	    (u64)min_hz * m->htotal * m->vtotal < (u64)m->clock * 1000) {
		control = VPRIME_VRR_CTRL_ENABLE;
		min_mhz = min_hz * 1000;
	}
	vprime_head_write(head, VPRIME_HEAD_VRR_CONTROL, control);
	vprime_head_write(head, VPRIME_HEAD_VRR_MIN_REFRESH, min_mhz);
}

/*
 * UPDATE | ASYNC: the engine latches the primary's address in the write
 * and raises FLIP_DONE; the armed event completes now, not at the next
 * vblank, with DRM's vblank count and timestamp now (the frame the
 * latch was in, FLIP_FRAME, unless that frame's vblank interrupt is yet
 * to be handled).  The FLIP_DONE interrupt then finds no event.  FRAME
 * is read before and after the write for debugfs' flip record: the latch
 * is at a frame between the two.  Under drm->event_lock.
 */
static void vprime_head_update_async(struct vprime_head *head, bool armed)
{
	u32 frame, after;

	head->event_update_frame = vprime_head_read(head, VPRIME_HEAD_FRAME);
	vprime_head_write(head, VPRIME_HEAD_UPDATE,
			  VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
	after = vprime_head_read(head, VPRIME_HEAD_FRAME);
	atomic64_inc(&head->async_flips);
	if (!armed)
		return;
	frame = vprime_head_read(head, VPRIME_HEAD_FLIP_FRAME);
	head->event_at_vblank = false;
	vprime_head_send_event(head, frame, frame);
	head->last_flip.async = true;
	head->last_flip.after_frame = after;
}

static void vprime_crtc_atomic_flush(struct drm_crtc *crtc,
				     struct drm_atomic_state *state)
{
	struct vprime_head *head = crtc_to_head(crtc);
	struct drm_device *drm = crtc->dev;
	struct drm_pending_vblank_event *event;
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&drm->event_lock, flags);
	event = crtc->state->event;
	crtc->state->event = NULL;

	if (!drm_dev_enter(drm, &idx)) {
		/* nothing will latch: don't let the commit wait for it */
		if (event)
			drm_crtc_send_vblank_event(crtc, event);
		spin_unlock_irqrestore(&drm->event_lock, flags);
		vprime_writeback_abort(head);
		return;
	}
	/* latched with the planes, by the UPDATE below */
	vprime_writeback_flush(head);
	if (crtc->state->color_mgmt_changed || drm_atomic_crtc_needs_modeset(crtc->state))
		vprime_crtc_colour_program(head, crtc->state);
	if (!crtc->state->async_flip)
		vprime_crtc_vrr_program(head, crtc->state);

	if (event) {
		if (head->event) {
			/* cannot happen with the helpers' flip ordering */
			drm_WARN_ON(drm, 1);
			drm_crtc_send_vblank_event(crtc, head->event);
			head->event = NULL;
			drm_crtc_vblank_put(crtc);
		}
		if (drm_crtc_vblank_get(crtc) == 0)
			head->event = event;
		else
			drm_crtc_send_vblank_event(crtc, event);
	}
	/* under the lock: see vprime_head_event_done() */
	if (crtc->state->async_flip)
		vprime_head_update_async(head, event && head->event == event);
	else if (event && head->event == event)
		vprime_head_update_armed(head);
	else
		vprime_head_write(head, VPRIME_HEAD_UPDATE, 1);
	drm_dev_exit(idx);
	spin_unlock_irqrestore(&drm->event_lock, flags);
}

static const struct drm_crtc_helper_funcs vprime_crtc_helper_funcs = {
	.mode_valid = vprime_crtc_mode_valid,
	.atomic_check = vprime_crtc_atomic_check,
	.atomic_enable = vprime_crtc_atomic_enable,
	.atomic_disable = vprime_crtc_atomic_disable,
	.atomic_flush = vprime_crtc_atomic_flush,
};

static const struct drm_crtc_funcs vprime_crtc_funcs = {
	.reset = drm_atomic_helper_crtc_reset,
	.set_config = drm_atomic_helper_set_config,
	.page_flip = drm_atomic_helper_page_flip,
	.atomic_duplicate_state = drm_atomic_helper_crtc_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_crtc_destroy_state,
	.enable_vblank = vprime_crtc_enable_vblank,
	.disable_vblank = vprime_crtc_disable_vblank,
	.get_vblank_counter = vprime_crtc_get_vblank_counter,
	.get_vblank_timestamp = vprime_crtc_get_vblank_timestamp,
	.get_crc_sources = vprime_crtc_get_crc_sources,
	.verify_crc_source = vprime_crtc_verify_crc_source,
	.set_crc_source = vprime_crtc_set_crc_source,
};

/**
 * vprime_crtc_init - create a head's planes and CRTC
 * @head: the head
 *
 * The head's event mask starts with the events the driver always handles;
 * probe writes it to the hardware once the interrupt is requested.
 *
 * Returns: 0 or a negative errno.
 */
int vprime_crtc_init(struct vprime_head *head)
{
	struct drm_device *drm = &head->disp->drm;
	unsigned int p;
	int ret;

	spin_lock_init(&head->lock);
	head->event_enable = VPRIME_HEAD_EV_ALWAYS;
	if (head->disp->disp_caps & VPRIME_DISP_CAP_ASYNC_FLIP)
		drm->mode_config.async_page_flip = true;

	for (p = 0; p < VPRIME_DISP_PLANES; p++) {
		head->planes[p] = vprime_plane_create(head, p);
		if (IS_ERR(head->planes[p]))
			return PTR_ERR(head->planes[p]);
	}

	ret = drmm_crtc_init_with_planes(drm, &head->crtc,
					 &head->planes[VPRIME_PLANE_PRIMARY]->base,
					 &head->planes[VPRIME_PLANE_CURSOR]->base,
					 &vprime_crtc_funcs, "head-%u", head->idx);
	if (ret)
		return ret;
	drm_crtc_helper_add(&head->crtc, &vprime_crtc_helper_funcs);
	return vprime_crtc_colour_init(head);
}
