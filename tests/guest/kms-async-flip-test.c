// SPDX-License-Identifier: GPL-2.0-only
/*
 * Async page flips (issue 16): DRM_MODE_PAGE_FLIP_ASYNC, atomic and legacy.
 *
 * The engine latches an async flip's new primary address in the UPDATE
 * write (UPDATE | ASYNC) instead of at the next vblank, and the driver
 * sends the event at once.  Asserted without a clock: a sync flip's
 * event always names a vblank after the one before its commit, and the
 * device latched it at a FRAME after the one read before its UPDATE; an
 * async flip's latch is between the FRAME read just before and just after
 * its UPDATE write (the driver's debugfs record of the flip), and of
 * ASYNC_FLIPS flips at least one completed with DRM's vblank count the
 * same before the commit and after its event (a sync flip never can).
 * The figure is how many did.  After the flips the device's CRC is the
 * CPU's of the last buffer.  An atomic async commit that changes more
 * than the primary's FB_ID, or flips to a buffer of another format, is
 * refused with EINVAL.  Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

/* Linux 6.8's uapi; Debian 12's libdrm headers predate it */
#ifndef DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP
#define DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP 0x15
#endif

enum { SYNC_FLIPS = 8, ASYNC_FLIPS = 20, LEGACY_FLIPS = 8, NFB = 3 };

/* The head's vblank count now */
static uint32_t vblank_now(struct kms *k, struct head *hd)
{
	return wait_vblanks(k, hd, 0, NULL);
}

/*
 * One flip to f, atomic (legacy false) or drmModePageFlip, async or not;
 * checks its event and the driver's record.  Returns 1 if DRM's vblank
 * count did not move from before the commit to after the event, 0 if it
 * did, -1 on a failure (counted).
 */
static int one_flip(struct kms *k, struct head *hd, const struct fb *f,
		    bool async, bool legacy, const char *what, int i)
{
	struct drm_event_vblank ev;
	struct flip_record r;
	uint32_t q0, q1;
	int ret;

	q0 = vblank_now(k, hd);
	if (legacy)
		ret = drmModePageFlip(k->fd, hd->crtc, f->fb_id, DRM_MODE_PAGE_FLIP_EVENT |
				      (async ? DRM_MODE_PAGE_FLIP_ASYNC : 0), NULL) ? -errno : 0;
	else
		ret = flip_to(k, hd, f, DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT |
			      (async ? DRM_MODE_PAGE_FLIP_ASYNC : 0));
	if (ret) {
		CHECK(0, "%s flip %d: %s", what, i, strerror(-ret));
		return -1;
	}
	if (read_event(k->fd, 2000, &ev) != 1) {
		CHECK(0, "%s flip %d: no event within 2 s", what, i);
		return -1;
	}
	q1 = vblank_now(k, hd);
	if (head_last_flip(k, hd->index, &r)) {
		CHECK(0, "%s flip %d: no flip record in debugfs", what, i);
		return -1;
	}
	CHECK(ev.crtc_id == hd->crtc, "%s flip %d: event of CRTC %u", what, i, ev.crtc_id);
	CHECK((int32_t)(ev.sequence - q0) >= 0 && (int32_t)(q1 - ev.sequence) >= 0,
	      "%s flip %d: event sequence %u outside [%u, %u]", what, i, ev.sequence, q0, q1);
	if (async) {
		CHECK(r.async, "%s flip %d: the driver did not flip async", what, i);
		CHECK((int32_t)(r.latch_frame - r.update_frame) >= 0 &&
		      (int32_t)(r.after_frame - r.latch_frame) >= 0,
		      "%s flip %d: latched at frame %u, not between %u and %u around the UPDATE",
		      what, i, r.latch_frame, r.update_frame, r.after_frame);
	} else {
		CHECK(!r.async, "%s flip %d: recorded async", what, i);
		CHECK((int32_t)(r.latch_frame - r.update_frame) > 0,
		      "%s flip %d: latched at frame %u, not after %u", what, i,
		      r.latch_frame, r.update_frame);
		CHECK((int32_t)(ev.sequence - q0) > 0,
		      "%s flip %d: event sequence %u not after %u", what, i, ev.sequence, q0);
	}
	return q1 == q0;
}

/* An atomic async commit that must be refused with EINVAL */
static void expect_async_einval(struct kms *k, drmModeAtomicReq *req, const char *what)
{
	int ret = drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_NONBLOCK |
				      DRM_MODE_PAGE_FLIP_EVENT | DRM_MODE_PAGE_FLIP_ASYNC,
				      NULL) ? -errno : 0;

	CHECK(ret == -EINVAL, "async commit %s: %s, not EINVAL", what,
	      ret ? strerror(-ret) : "accepted");
	drmModeAtomicFree(req);
}

int test_kms_async_flip(struct ctx *c)
{
	struct fb fb[NFB] = { 0 }, argb = { 0 };
	int i, still, async_still = 0, sync_still = 0, legacy_still = 0;
	long long async0, async1;
	uint64_t cap = 0;
	bool crc_on = false;
	struct head *hd;
	struct kms k;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd) {
		kms_close(&k);
		printf("# SKIP no connected head\n");
		return EXIT_SKIP;
	}
	CHECK(!drmGetCap(k.fd, DRM_CAP_ASYNC_PAGE_FLIP, &cap) && cap == 1,
	      "DRM_CAP_ASYNC_PAGE_FLIP %llu", (unsigned long long)cap);
	cap = 0;
	CHECK(!drmGetCap(k.fd, DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP, &cap) && cap == 1,
	      "DRM_CAP_ATOMIC_ASYNC_PAGE_FLIP %llu", (unsigned long long)cap);
	for (i = 0; i < NFB; i++) {
		CHECK(!fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		if (fb[i].fb_id)
			fb_fill_noise(&fb[i], 280 + i);
	}
	CHECK(!fb_new(&k, &argb, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
	if (failures)
		goto out;
	kms_disable_all(&k);
	CHECK(!head_enable(&k, hd, &fb[0], 0), "head %d on: %s", hd->index, strerror(errno));
	if (failures || crc_start(&k, hd))
		goto out;
	crc_on = true;
	if (!wait_vblanks(&k, hd, 1, NULL))
		goto out;
	async0 = kms_state_value(&k, hd->index, "async flips ");
	CHECK(async0 >= 0, "no async flip count in debugfs");

	for (i = 0; i < SYNC_FLIPS && !failures; i++) {
		still = one_flip(&k, hd, &fb[(i + 1) % NFB], false, false, "sync", i);
		sync_still += still > 0;
	}
	for (i = 0; i < ASYNC_FLIPS && !failures; i++) {
		still = one_flip(&k, hd, &fb[(i + 1) % NFB], true, false, "async", i);
		async_still += still > 0;
	}
	expect_crc(&k, hd, fb_crc(&fb[ASYNC_FLIPS % NFB]), "after the async flips");
	for (i = 0; i < LEGACY_FLIPS && !failures; i++) {
		still = one_flip(&k, hd, &fb[(i + 2) % NFB], true, true, "legacy async", i);
		legacy_still += still > 0;
	}
	if (failures)
		goto out;
	expect_crc(&k, hd, fb_crc(&fb[(LEGACY_FLIPS + 1) % NFB]), "after the legacy async flips");
	async1 = kms_state_value(&k, hd->index, "async flips ");
	diag("head %d: %d of %d atomic async flips and %d of %d legacy ones completed with no vblank between commit and event; sync flips %d of %d",
	     hd->index, async_still, ASYNC_FLIPS, legacy_still, LEGACY_FLIPS, sync_still,
	     SYNC_FLIPS);
	printf("# bench async_flips_within_frame %d of %d\n", async_still + legacy_still,
	       ASYNC_FLIPS + LEGACY_FLIPS);
	CHECK(sync_still == 0, "%d sync flips completed with no vblank", sync_still);
	CHECK(async_still + legacy_still > 0,
	      "no async flip completed before the next vblank (of %d)",
	      ASYNC_FLIPS + LEGACY_FLIPS);
	CHECK(async1 - async0 == ASYNC_FLIPS + LEGACY_FLIPS,
	      "driver counted %lld async flips, not %d", async1 - async0,
	      ASYNC_FLIPS + LEGACY_FLIPS);

	/* more than FB_ID: refused by the core; another format: by the driver */
	{
		drmModeAtomicReq *req = drmModeAtomicAlloc();

		plane_props(req, &k, hd->plane[VPRIME_PLANE_PRIMARY], hd->crtc, &fb[0],
			    1, 0, 0, 0, fb[0].width - 1, fb[0].height);
		expect_async_einval(&k, req, "moving the primary");
		req = drmModeAtomicAlloc();
		add_prop(req, k.fd, hd->plane[VPRIME_PLANE_PRIMARY], DRM_MODE_OBJECT_PLANE,
			 "FB_ID", argb.fb_id);
		expect_async_einval(&k, req, "to an ARGB8888 buffer");
		req = drmModeAtomicAlloc();
		add_prop(req, k.fd, hd->plane[VPRIME_PLANE_OVERLAY], DRM_MODE_OBJECT_PLANE,
			 "FB_ID", fb[1].fb_id);
		add_prop(req, k.fd, hd->plane[VPRIME_PLANE_OVERLAY], DRM_MODE_OBJECT_PLANE,
			 "CRTC_ID", hd->crtc);
		expect_async_einval(&k, req, "turning an overlay on");
	}
	/* and the head still flips */
	CHECK(one_flip(&k, hd, &fb[2], true, false, "async after refusals", 0) >= 0,
	      "async flip after the refusals");
out:
	if (crc_on)
		crc_stop(hd);
	kms_disable_all(&k);
	for (i = 0; i < NFB; i++)
		if (fb[i].fb_id)
			fb_free(&k, &fb[i]);
	if (argb.fb_id)
		fb_free(&k, &argb);
	kms_close(&k);
	return 0;
}
