// SPDX-License-Identifier: GPL-2.0-only
/*
 * Display engine tests through its KMS driver (vprime_display.ko): mode
 * sets on every head, every format and modifier, blending, page flips at
 * the refresh rate, flips waiting for GPU fences, PRIME import of every
 * exporter, hotplug and screendumps from the host, contiguous-only
 * scanout and what atomic check must refuse.  Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sync_file.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

static const uint32_t formats[] = {
	DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888, DRM_FORMAT_XBGR8888,
	DRM_FORMAT_RGB565,
};

static const char *fmt_name(uint32_t f)
{
	static char s[5];

	memcpy(s, &f, 4);
	s[4] = 0;
	return s;
}

/* A mode set on every head, each with its own picture, vblanks running */
int test_kms_modeset(struct ctx *c)
{
	struct fb fbs[VPRIME_HEADS_MAX];
	struct kms k;
	int i, want_heads = 0;

	KMS_OPEN(c, &k);
	for (i = 0; i < c->nexp; i++)
		if (c->exp[i].kind == VPRIME_KIND_DISPLAY)
			want_heads = c->exp[i].heads;
	CHECK(k.nheads == want_heads, "%d heads in KMS, topology has %d",
	      k.nheads, want_heads);
	for (i = 0; i < k.nheads; i++) {
		struct head *hd = &k.heads[i];
		uint32_t s0, s1;

		CHECK(hd->connected && hd->mode.hdisplay,
		      "head %d: connector not connected or no mode", i);
		if (!hd->connected)
			continue;
		diag("head %d: connector %u, mode %s (%ux%u, %u kHz)", i, hd->conn,
		     hd->mode.name, hd->mode.hdisplay, hd->mode.vdisplay,
		     hd->mode.clock);
		CHECK(!fb_new(&k, &fbs[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		fb_fill_noise(&fbs[i], 100 + i);
		CHECK(!head_enable(&k, hd, &fbs[i], 0), "mode set on head %d: %s",
		      i, strerror(errno));
		s0 = wait_vblanks(&k, hd, 1, NULL);
		s1 = wait_vblanks(&k, hd, 3, NULL);
		CHECK(s1 >= s0 + 3, "head %d vblank counter %u -> %u over 3 frames",
		      i, s0, s1);
	}
	/* every head shows its own buffer, all at once */
	for (i = 0; i < k.nheads; i++) {
		if (!fbs[i].fb_id || !k.heads[i].on || crc_start(&k, &k.heads[i]))
			continue;
		kms_crc_link(&k, &k.heads[i]);	/* head 0 may be a 6 bpc panel */
		expect_crc(&k, &k.heads[i], fb_crc(&fbs[i]), "mode set");
		crc_stop(&k.heads[i]);
	}
	kms_disable_all(&k);
	for (i = 0; i < k.nheads; i++)
		if (fbs[i].fb_id)
			fb_free(&k, &fbs[i]);
	kms_close(&k);
	return 0;
}

/*
 * Every format and modifier on the primary plane: device CRC == CPU CRC.
 * The display scans LINEAR, Intel X-tiled and NVIDIA block linear, not
 * Intel Y-tiled (the iGPU's alone): IN_FORMATS says so.
 */
int test_kms_formats_crc(struct ctx *c)
{
	static const uint64_t mods[] = { DRM_FORMAT_MOD_LINEAR, I915_FORMAT_MOD_X_TILED,
					 MOD_NV_BLOCK };
	static const char *const mod_names[] = { "linear", "X-tiled", "block-linear" };
	drmModePropertyBlobRes *blob;
	struct head *hd;
	struct kms k;
	struct fb base;
	size_t f, m;
	uint64_t id;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;

	/* IN_FORMATS lists every format with the three modifiers, never Y */
	id = prop_value(k.fd, hd->plane[VPRIME_PLANE_PRIMARY], DRM_MODE_OBJECT_PLANE,
			"IN_FORMATS");
	blob = id != ~0ull ? drmModeGetPropertyBlob(k.fd, id) : NULL;
	CHECK(blob, "primary plane has no IN_FORMATS");
	for (f = 0; blob && f < sizeof(formats) / sizeof(formats[0]); f++) {
		drmModeFormatModifierIterator it = { 0 };

		for (m = 0; m < 3; m++) {
			bool found = false;

			memset(&it, 0, sizeof(it));
			while (drmModeFormatModifierBlobIterNext(blob, &it))
				if (it.fmt == formats[f] && it.mod == mods[m])
					found = true;
			CHECK(found, "IN_FORMATS lacks %s with modifier 0x%" PRIx64,
			      fmt_name(formats[f]), mods[m]);
		}
		memset(&it, 0, sizeof(it));
		while (drmModeFormatModifierBlobIterNext(blob, &it))
			CHECK(it.mod != I915_FORMAT_MOD_Y_TILED,
			      "IN_FORMATS offers %s Y-tiled", fmt_name(it.fmt));
	}
	drmModeFreePropertyBlob(blob);

	CHECK(!fb_new(&k, &base, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
	CHECK(!head_enable(&k, hd, &base, 0), "mode set: %s", strerror(errno));
	if (failures || crc_start(&k, hd))
		return EXIT_FAIL;
	for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (m = 0; m < 3; m++) {
			struct fb fb;
			char what[64];
			int ret;

			ret = fb_new(&k, &fb, hd->mode.hdisplay, hd->mode.vdisplay,
				     formats[f], mods[m]);
			CHECK(!ret, "fb %s/%s: %s", fmt_name(formats[f]),
			      mod_names[m], strerror(-ret));
			if (ret)
				continue;
			fb_fill_noise(&fb, (uint32_t)(f * 2 + m + 7));
			ret = head_enable(&k, hd, &fb, 0);
			CHECK(!ret, "show %s/%s: %s", fmt_name(formats[f]),
			      mod_names[m], strerror(-ret));
			snprintf(what, sizeof(what), "%s %s", fmt_name(formats[f]),
				 mod_names[m]);
			if (!ret)
				expect_crc(&k, hd, fb_crc(&fb), what);
			head_enable(&k, hd, &base, 0);
			fb_free(&k, &fb);
		}
	}
	crc_stop(hd);
	kms_disable_all(&k);
	fb_free(&k, &base);
	kms_close(&k);
	return 0;
}

/*
 * Overlay and cursor blended over the primary plane (premultiplied alpha,
 * pixman's rounding), the cursor partly off screen.
 */
int test_kms_blend_crc(struct ctx *c)
{
	struct fb prim, ovl, cur;
	struct plane_img img[3];
	drmModeAtomicReq *req;
	struct head *hd;
	struct kms k;
	int ret;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
	CHECK(!fb_new(&k, &ovl, 200, 120, DRM_FORMAT_ARGB8888,
		      DRM_FORMAT_MOD_LINEAR), "overlay fb");
	CHECK(!fb_new(&k, &cur, 64, 64, DRM_FORMAT_ARGB8888,
		      DRM_FORMAT_MOD_LINEAR), "cursor fb");
	if (failures)
		return EXIT_FAIL;
	fb_fill_noise(&prim, 11);
	fb_fill_noise(&ovl, 12);
	fb_fill_noise(&cur, 13);
	CHECK(!head_enable(&k, hd, &prim, 0), "mode set: %s", strerror(errno));
	if (failures || crc_start(&k, hd))
		return EXIT_FAIL;

	req = drmModeAtomicAlloc();
	/* overlay: a 150x100 window of the buffer at (100, 50) */
	plane_props(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, &ovl,
		    100, 50, 20, 10, 150, 100);
	/* cursor hanging off the top-left corner */
	plane_props(req, &k, hd->plane[VPRIME_PLANE_CURSOR], hd->crtc, &cur,
		    -16, -8, 0, 0, 64, 64);
	ret = drmModeAtomicCommit(k.fd, req, 0, NULL);
	CHECK(!ret, "overlay + cursor commit: %s", strerror(errno));
	drmModeAtomicFree(req);

	img[0] = (struct plane_img){ .fb = &prim, .w = prim.width, .h = prim.height };
	img[1] = (struct plane_img){ .fb = &ovl, .src_x = 20, .src_y = 10,
				     .w = 150, .h = 100, .dst_x = 100, .dst_y = 50 };
	img[2] = (struct plane_img){ .fb = &cur, .w = 64, .h = 64,
				     .dst_x = -16, .dst_y = -8 };
	if (!ret)
		expect_crc(&k, hd, compose_crc(hd->mode.hdisplay, hd->mode.vdisplay,
					       img, 3), "primary + overlay + cursor");

	crc_stop(hd);
	kms_disable_all(&k);
	fb_free(&k, &prim);
	fb_free(&k, &ovl);
	fb_free(&k, &cur);
	kms_close(&k);
	return 0;
}

/*
 * Mutable zpos on the primary and overlay planes (issue 16): the overlay
 * under a translucent primary, then back on top, each compared by device
 * CRC with the test's CPU composition in that order.
 */
int test_kms_zpos_crc(struct ctx *c)
{
	uint32_t prim_plane, ovl_plane, want[2];
	struct plane_img img[2], p, o;
	drmModeAtomicReq *req;
	struct fb prim, ovl;
	struct head *hd;
	struct kms k;
	int i, ret;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	prim_plane = hd->plane[VPRIME_PLANE_PRIMARY];
	ovl_plane = hd->plane[VPRIME_PLANE_OVERLAY];
	CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
	CHECK(!fb_new(&k, &ovl, 200, 120, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR),
	      "overlay fb");
	if (failures)
		return EXIT_FAIL;
	fb_fill_noise(&prim, 21);
	fb_fill_noise(&ovl, 22);
	CHECK(!head_enable(&k, hd, &prim, 0), "mode set: %s", strerror(errno));
	if (failures || crc_start(&k, hd))
		return EXIT_FAIL;
	p = (struct plane_img){ .fb = &prim, .w = prim.width, .h = prim.height };
	o = (struct plane_img){ .fb = &ovl, .w = 200, .h = 120, .dst_x = 100, .dst_y = 50 };
	for (i = 0; i < 2 && !failures; i++) {
		req = drmModeAtomicAlloc();
		plane_props(req, &k, ovl_plane, hd->crtc, &ovl, 100, 50, 0, 0, 200, 120);
		add_prop(req, k.fd, ovl_plane, DRM_MODE_OBJECT_PLANE, "zpos", i ? 1 : 0);
		add_prop(req, k.fd, prim_plane, DRM_MODE_OBJECT_PLANE, "zpos", i ? 0 : 1);
		ret = drmModeAtomicCommit(k.fd, req, 0, NULL);
		drmModeAtomicFree(req);
		CHECK(!ret, "zpos commit %d: %s", i, strerror(errno));
		img[0] = i ? p : o;
		img[1] = i ? o : p;
		want[i] = compose_crc(hd->mode.hdisplay, hd->mode.vdisplay, img, 2);
		if (!ret)
			expect_crc(&k, hd, want[i], i ? "overlay over the primary" :
							"overlay under the translucent primary");
	}
	CHECK(failures || want[0] != want[1], "both orders compose the same picture");
	crc_stop(hd);
	kms_disable_all(&k);
	fb_free(&k, &prim);
	fb_free(&k, &ovl);
	kms_close(&k);
	return 0;
}

/* One entry of a plane's SIZE_HINTS blob (uapi struct drm_plane_size_hint) */
struct size_hint {
	uint16_t width, height;
};

/* A w x h cursor at (x, y) over prim, by the atomic API; check the CRC */
static void cursor_crc(struct kms *k, struct head *hd, const struct fb *prim,
		       uint32_t w, uint32_t h, int x, int y)
{
	struct plane_img img[2];
	drmModeAtomicReq *req;
	struct fb cur;
	char what[64];
	int ret;

	CHECK(!fb_new(k, &cur, w, h, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR),
	      "%ux%u cursor fb", w, h);
	if (failures)
		return;
	fb_fill_noise(&cur, 70 + w);
	req = drmModeAtomicAlloc();
	plane_props(req, k, hd->plane[VPRIME_PLANE_CURSOR], hd->crtc, &cur, x, y,
		    0, 0, w, h);
	ret = drmModeAtomicCommit(k->fd, req, 0, NULL);
	drmModeAtomicFree(req);
	CHECK(!ret, "%ux%u cursor commit: %s", w, h, strerror(errno));
	img[0] = (struct plane_img){ .fb = prim, .w = prim->width, .h = prim->height };
	img[1] = (struct plane_img){ .fb = &cur, .w = w, .h = h, .dst_x = x, .dst_y = y };
	snprintf(what, sizeof(what), "%ux%u cursor at (%d, %d)", w, h, x, y);
	if (!ret)
		expect_crc(k, hd, compose_crc(hd->mode.hdisplay, hd->mode.vdisplay, img, 2),
			   what);
	req = drmModeAtomicAlloc();
	plane_props(req, k, hd->plane[VPRIME_PLANE_CURSOR], 0, NULL, 0, 0, 0, 0, 0, 0);
	CHECK(!drmModeAtomicCommit(k->fd, req, 0, NULL), "cursor off: %s", strerror(errno));
	drmModeAtomicFree(req);
	fb_free(k, &cur);
}

/*
 * Cursors up to VPRIME_DISP_CURSOR_MAX (issue 16): the legacy cursor caps
 * say the largest, the cursor plane's SIZE_HINTS the sizes to prefer, and
 * a cursor of each hinted size shows as the CPU composes it (device CRC),
 * also the largest hanging off the bottom-right corner.
 */
int test_kms_cursor_sizes(struct ctx *c)
{
	drmModePropertyBlobRes *blob = NULL;
	const struct size_hint *hint;
	uint64_t cw = 0, chh = 0, id;
	struct head *hd;
	struct fb prim;
	struct kms k;
	int i, n = 0;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	CHECK(!drmGetCap(k.fd, DRM_CAP_CURSOR_WIDTH, &cw) &&
	      !drmGetCap(k.fd, DRM_CAP_CURSOR_HEIGHT, &chh) &&
	      cw == VPRIME_DISP_CURSOR_MAX && chh == VPRIME_DISP_CURSOR_MAX,
	      "cursor caps %" PRIu64 "x%" PRIu64 ", want %u", cw, chh,
	      VPRIME_DISP_CURSOR_MAX);
	id = prop_value(k.fd, hd->plane[VPRIME_PLANE_CURSOR], DRM_MODE_OBJECT_PLANE,
			"SIZE_HINTS");
	if (id != ~0ull && id)
		blob = drmModeGetPropertyBlob(k.fd, id);
	CHECK(blob, "cursor plane: no SIZE_HINTS blob");
	if (blob) {
		n = blob->length / sizeof(*hint);
		hint = blob->data;
		CHECK(n == 3, "SIZE_HINTS: %d sizes", n);
		for (i = 0; i < n && i < 3; i++)
			CHECK(hint[i].width == VPRIME_DISP_CURSOR_MAX >> (2 - i) &&
			      hint[i].height == hint[i].width,
			      "SIZE_HINTS[%d] = %ux%u", i, hint[i].width, hint[i].height);
	}
	CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
	if (failures)
		goto out;
	fb_fill_noise(&prim, 17);
	CHECK(!head_enable(&k, hd, &prim, 0), "mode set: %s", strerror(errno));
	if (failures || crc_start(&k, hd))
		goto out_fb;
	for (i = 0; i < n && !failures; i++)
		cursor_crc(&k, hd, &prim, hint[i].width, hint[i].height, 40 + 100 * i, 30 + 60 * i);
	if (!failures)
		cursor_crc(&k, hd, &prim, VPRIME_DISP_CURSOR_MAX, VPRIME_DISP_CURSOR_MAX,
			   hd->mode.hdisplay - VPRIME_DISP_CURSOR_MAX / 2,
			   hd->mode.vdisplay - VPRIME_DISP_CURSOR_MAX / 3);
	if (n)
		diag("cursor caps %" PRIu64 "x%" PRIu64 ", SIZE_HINTS %ux%u, %ux%u, %ux%u",
		     cw, chh, hint[0].width, hint[0].height, hint[1].width,
		     hint[1].height, hint[2].width, hint[2].height);
	crc_stop(hd);
out_fb:
	kms_disable_all(&k);
	fb_free(&k, &prim);
out:
	drmModeFreePropertyBlob(blob);
	kms_close(&k);
	return 0;
}

/*
 * A flip of a head that was on: latched at a vblank after its UPDATE, and
 * its event names that vblank (or DRM's count was already past it)
 */
static bool flip_event_at_latch(const struct flip_record *r)
{
	return !r->turned_on && r->latch_frame > r->update_frame &&
	       (r->event_frame == r->latch_frame || r->count_passed);
}

/*
 * Read the flip event (at most ms milliseconds; into @event if not NULL)
 * and the driver's record of it, checked against the event: 0, or -1 with a failure counted
 */
static int flip_event(struct kms *k, struct head *hd, const char *what, int i, int ms,
		      struct flip_record *r, struct drm_event_vblank *event)
{
	struct drm_event_vblank ev;

	if (!read_event(k->fd, ms, &ev) || ev.base.type != DRM_EVENT_FLIP_COMPLETE) {
		CHECK(0, "no event for %s %d", what, i);
		return -1;
	}
	if (head_last_flip(k, hd->index, r)) {
		CHECK(0, "%s %d: no flip record in debugfs vprime_state", what, i);
		return -1;
	}
	diag("%s %d: event sequence %u at frame %u; UPDATE after frame %u, latched at frame %u%s%s",
	     what, i, ev.sequence, r->event_frame, r->update_frame, r->latch_frame,
	     r->turned_on ? " (turned the head on)" : "",
	     r->count_passed ? " (vblank count already past)" : "");
	CHECK(r->seq == ev.sequence, "%s %d: event sequence %u, the driver sent %u",
	      what, i, ev.sequence, r->seq);
	if (event)
		*event = ev;
	return 0;
}

/*
 * Page flips at the refresh rate: every flip completes at the first vblank
 * after its UPDATE (the driver's record of the latch, not how soon the test
 * got to send it: that depends on the host's load), its event names that
 * vblank, and the timestamps are the frame period apart per counted frame.
 */
int test_kms_flip_vblank(struct ctx *c)
{
	enum { FLIPS = 40 };
	struct drm_event_vblank ev;
	struct flip_record r;
	struct fb fb[2];
	struct head *hd;
	struct kms k;
	uint32_t seq[FLIPS];
	double ts[FLIPS], period;
	int i, good = 0, one_frame = 0;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	period = mode_period_ns(&hd->mode) / 1e9;
	for (i = 0; i < 2; i++) {
		CHECK(!fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		fb_fill_noise(&fb[i], 30 + i);
	}
	CHECK(!head_enable(&k, hd, &fb[0], 0), "mode set: %s", strerror(errno));
	if (failures)
		return EXIT_FAIL;
	for (i = 0; i < FLIPS; i++) {
		if (drmModePageFlip(k.fd, hd->crtc, fb[(i + 1) % 2].fb_id,
				    DRM_MODE_PAGE_FLIP_EVENT, NULL)) {
			CHECK(0, "page flip %d: %s", i, strerror(errno));
			break;
		}
		if (flip_event(&k, hd, "flip", i, 2000, &r, &ev))
			break;
		seq[i] = ev.sequence;
		ts[i] = ev.tv_sec + ev.tv_usec / 1e6;
		CHECK(flip_event_at_latch(&r),
		      "flip %d: UPDATE after frame %u, latched at %u, event at %u", i,
		      r.update_frame, r.latch_frame, r.event_frame);
	}
	if (failures)
		goto out;
	for (i = 1; i < FLIPS; i++) {
		uint32_t d = seq[i] - seq[i - 1];
		double dt = ts[i] - ts[i - 1];

		CHECK(d >= 1 && d < 100, "flip %d: sequence %u -> %u", i, seq[i - 1], seq[i]);
		if (d >= 1 && dt > (d - 0.1) * period && dt < (d + 0.1) * period)
			good++;
		if (d == 1)
			one_frame++;
	}
	diag("%d flips: %d one vblank apart; timestamps within 10%% of "
	     "frames x %.3f ms for %d of %d", FLIPS, one_frame, period * 1e3,
	     good, FLIPS - 1);
	/* timestamps come from the device clock: a late interrupt may skip a
	 * frame but cannot make the time disagree with the counter */
	CHECK(good >= (FLIPS - 1) * 9 / 10, "timestamps disagree with the vblank counter");
out:
	kms_disable_all(&k);
	fb_free(&k, &fb[0]);
	fb_free(&k, &fb[1]);
	kms_close(&k);
	return 0;
}

/* vgem's fences (uapi/drm/vgem_drm.h): a write fence on a BO, signalled by hand */
struct vgem_fence_attach {
	uint32_t handle, flags, out_fence, pad;
};

struct vgem_fence_signal {
	uint32_t fence, flags;
};

#define VGEM_FENCE_WRITE	0x1
#define VGEM_IOCTL_FENCE_ATTACH	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

static void on_alarm(int sig)
{
	(void)sig;
}

/* A legacy cursor move; -EINTR if it was still waiting after 5 s */
static int cursor_move_unwaited(struct kms *k, struct head *hd, int x, int y)
{
	struct drm_mode_cursor arg = { .flags = DRM_MODE_CURSOR_MOVE, .crtc_id = hd->crtc,
				       .x = x, .y = y };
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int ret;

	/* no SA_RESTART, and ioctl() rather than drmIoctl(), which retries */
	sigaction(SIGALRM, &sa, &old);
	alarm(5);
	ret = ioctl(k->fd, DRM_IOCTL_MODE_CURSOR, &arg) ? -errno : 0;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

/*
 * A flip onto a vgem buffer whose write fence the test holds, then a
 * cursor move: the move must not wait for the flip (the flip cannot
 * complete before the test signals the fence), and once the fence
 * signals, the flip's event names the vblank that latched it and the
 * frame shows the new buffer with the cursor where it was moved to.
 */
static void flip_then_cursor(struct kms *k, struct head *hd, const struct fb *cur)
{
	uint32_t w = hd->mode.hdisplay, h = hd->mode.vdisplay, pitch;
	struct vgem_fence_attach fa = { .flags = VGEM_FENCE_WRITE };
	struct vgem_fence_signal fs = { 0 };
	struct drm_prime_handle imp = { 0 };
	struct drm_event_vblank ev;
	struct plane_img pl[2];
	struct flip_record r;
	struct fb f;
	size_t size;
	void *map = NULL;
	int vfd, ret;

	vfd = drm_card_by_driver("vgem");
	CHECK(vfd >= 0, "no vgem device (modprobe vgem)");
	if (vfd < 0)
		return;
	imp.fd = vgem_buffer(vfd, w, h, 32, &pitch, &map, &size);
	CHECK(imp.fd >= 0, "vgem buffer: %s", strerror(-imp.fd));
	if (failures)
		goto out;
	CHECK(!fb_import(k, &f, imp.fd, w, h, pitch, DRM_FORMAT_XRGB8888,
			 DRM_FORMAT_MOD_LINEAR), "import the vgem buffer: %s", strerror(errno));
	CHECK(!ioctl(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp), "vgem handle: %s",
	      strerror(errno));
	if (failures)
		goto out;
	f.map = map;
	fb_fill_noise(&f, 61);
	if (crc_start(k, hd))
		goto out_fb;
	fa.handle = imp.handle;
	CHECK(!ioctl(vfd, VGEM_IOCTL_FENCE_ATTACH, &fa), "vgem fence: %s", strerror(errno));
	CHECK(!flip_to(k, hd, &f, DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT),
	      "flip onto the fenced buffer: %s", strerror(errno));
	if (failures)
		goto out_fb;

	ret = cursor_move_unwaited(k, hd, 100, 50);
	CHECK(!ret, "cursor move behind a flip waiting for its fence: %s%s", strerror(-ret),
	      ret == -EINTR ? " (it waited for the flip)" : "");
	CHECK(!read_event(k->fd, 0, &ev), "the flip completed before its fence signalled");
	fs.fence = fa.out_fence;
	CHECK(!ioctl(vfd, VGEM_IOCTL_FENCE_SIGNAL, &fs), "signal the vgem fence: %s",
	      strerror(errno));
	if (!flip_event(k, hd, "fenced flip", 0, 3000, &r, NULL))
		CHECK(flip_event_at_latch(&r),
		      "fenced flip: UPDATE after frame %u, latched at %u, event at %u",
		      r.update_frame, r.latch_frame, r.event_frame);

	/* the new buffer and the moved cursor, in one frame */
	pl[0] = (struct plane_img){ .fb = &f, .w = w, .h = h };
	pl[1] = (struct plane_img){ .fb = cur, .w = cur->width, .h = cur->height,
				    .dst_x = 100, .dst_y = 50 };
	expect_crc(k, hd, compose_crc(w, h, pl, 2), "fenced flip and cursor move");
	crc_stop(hd);
out_fb:
	kms_disable_all(k);
	fb_free(k, &f);
out:
	if (map && map != MAP_FAILED)
		munmap(map, size);
	if (imp.fd >= 0)
		close(imp.fd);
	close(vfd);
}

/*
 * Flip events name the vblank the flip completed at (issue 16).  A commit
 * that turns the head on is latched at once, inside the commit: its event
 * comes at a vblank after that, never before.  A flip completes at the
 * vblank that latched it, after its UPDATE, also with a legacy cursor
 * update (a second UPDATE) right behind it, and the cursor update does
 * not wait for the flip.  The driver's debugfs record says which device
 * frames those were, so the checks are on frame numbers, not times.
 */
int test_kms_flip_events(struct ctx *c)
{
	enum { MODESETS = 3, FLIPS = 10 };
	struct flip_record r;
	struct fb fb[2], cur;
	struct head *hd;
	struct kms k;
	int i, next = 0, passed = 0;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	for (i = 0; i < 2; i++) {
		CHECK(!fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		fb_fill_noise(&fb[i], 50 + i);
	}
	CHECK(!fb_new(&k, &cur, 64, 64, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR),
	      "cursor fb");
	if (failures)
		return EXIT_FAIL;
	fb_fill_noise(&cur, 52);

	for (i = 0; i < MODESETS && !failures; i++) {
		kms_disable_all(&k);
		CHECK(!head_enable(&k, hd, &fb[i % 2], DRM_MODE_ATOMIC_NONBLOCK |
				   DRM_MODE_PAGE_FLIP_EVENT),
		      "nonblocking modeset %d: %s", i, strerror(errno));
		if (failures)
			break;
		if (flip_event(&k, hd, "nonblocking modeset", i, 2000, &r, NULL))
			break;
		CHECK(r.turned_on && r.latch_frame == r.update_frame,
		      "modeset %d: not latched at once", i);
		CHECK(r.event_frame > r.latch_frame,
		      "modeset %d: event at frame %u, the frame the head turned on at: before any vblank",
		      i, r.event_frame);
		CHECK(r.event_frame == r.latch_frame + 1 || r.count_passed,
		      "modeset %d: event at frame %u, not the first vblank (%u)", i,
		      r.event_frame, r.latch_frame + 1);
	}

	CHECK(!drmModeSetCursor(k.fd, hd->crtc, cur.handle, cur.width, cur.height),
	      "SetCursor: %s", strerror(errno));
	for (i = 0; i < FLIPS && !failures; i++) {
		CHECK(!flip_to(&k, hd, &fb[i % 2], DRM_MODE_ATOMIC_NONBLOCK |
			       DRM_MODE_PAGE_FLIP_EVENT), "flip %d: %s", i, strerror(errno));
		CHECK(!cursor_move_unwaited(&k, hd, 8 * i, 4 * i), "cursor %d: %s", i,
		      strerror(errno));
		if (failures)
			break;
		if (flip_event(&k, hd, "flip", i, 2000, &r, NULL))
			break;
		CHECK(flip_event_at_latch(&r),
		      "flip %d: UPDATE after frame %u, latched at %u, event at %u", i,
		      r.update_frame, r.latch_frame, r.event_frame);
		if (r.latch_frame == r.update_frame + 1)
			next++;
		passed += r.count_passed;
	}
	diag("%d flips, each with a cursor move behind it: %d latched at the vblank after their UPDATE; events naming a later vblank (DRM's count already past): %d",
	     FLIPS, next, passed);
	if (!failures)
		flip_then_cursor(&k, hd, &cur);
	drmModeSetCursor(k.fd, hd->crtc, 0, 0, 0);
	kms_disable_all(&k);
	fb_free(&k, &fb[0]);
	fb_free(&k, &fb[1]);
	fb_free(&k, &cur);
	kms_close(&k);
	return 0;
}

/* GPU work that waits for the CPU to write a semaphore, then renders */
struct gated_render {
	int gfd;
	uint32_t ctx_id;
	struct bo sem;
};

static int gated_submit(struct gated_render *g, struct bo *dst, uint32_t pitch,
			uint32_t w, uint32_t h, uint64_t gate, uint32_t frame,
			uint32_t tag, int *fence_fd)
{
	struct vprime_cmd cmds[2] = { { .opcode = VPRIME_OP_WAIT },
				      { .opcode = VPRIME_OP_PATTERN } };
	const struct bo *bos[2] = { &g->sem, dst };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };

	cmds[0].wait.addr = g->sem.va;
	cmds[0].wait.value = gate;
	cmds[1].rect.dst = dst->va;
	cmds[1].rect.pitch = pitch;
	cmds[1].rect.width = w;
	cmds[1].rect.height = h;
	cmds[1].rect.format = VPRIME_FMT_XRGB8888;
	cmds[1].rect.frame = frame;
	cmds[1].rect.tag = tag;
	return submit(g->gfd, g->ctx_id, cmds, 2, bos, 2, &o, fence_fd);
}

/* All CRC entries after `after` frames: count those equal to a and b */
static void crc_tally(struct head *hd, uint32_t a, uint32_t b, int *na, int *nb,
		      int *other)
{
	uint32_t frames[256], crcs[256];
	int n = crc_read(hd, frames, crcs, 256), i;

	for (i = 0; i < n; i++) {
		if (crcs[i] == a)
			(*na)++;
		else if (crcs[i] == b)
			(*nb)++;
		else
			(*other)++;
	}
}

/* What kms-flip-fence holds: a gated GPU, two of its BOs as framebuffers */
struct flip_fence {
	struct kms k;
	struct head *hd;
	struct gated_render g;
	struct bo gbo[2];
	struct fb shown, fb[2];
	uint32_t w, h, pitch;
	volatile uint64_t *sem;
};

/* Two GPU BOs imported as framebuffers; a dumb buffer on screen, CRC on */
static int flip_fence_setup(struct flip_fence *f, int gfd)
{
	int i, dfd;

	f->w = f->hd->mode.hdisplay;
	f->h = f->hd->mode.vdisplay;
	f->pitch = f->w * 4;
	f->g.gfd = gfd;
	f->g.ctx_id = ctx_new(f->g.gfd);
	CHECK(!bo_new(f->g.gfd, 4096, &f->g.sem), "semaphore BO");
	if (failures)
		return EXIT_FAIL;
	f->sem = (volatile uint64_t *)f->g.sem.map;
	*f->sem = 0;
	for (i = 0; i < 2; i++) {
		CHECK(!bo_new(f->g.gfd, (uint64_t)f->pitch * f->h, &f->gbo[i]), "GPU BO");
		if (failures)
			return EXIT_FAIL;
		memset(f->gbo[i].map, 0, f->gbo[i].size);
		dfd = prime_export(f->g.gfd, f->gbo[i].handle);
		CHECK(dfd >= 0, "export GPU BO: %s", strerror(-dfd));
		if (dfd < 0)
			return EXIT_FAIL;
		CHECK(!fb_import(&f->k, &f->fb[i], dfd, f->w, f->h, f->pitch,
				 DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR),
		      "display imports the GPU BO: %s", strerror(errno));
		f->fb[i].map = f->gbo[i].map;
		close(dfd);
	}
	CHECK(!fb_new(&f->k, &f->shown, f->w, f->h, DRM_FORMAT_XRGB8888,
		      DRM_FORMAT_MOD_LINEAR), "fb");
	if (failures)
		return EXIT_FAIL;
	fb_fill_noise(&f->shown, 77);
	CHECK(!head_enable(&f->k, f->hd, &f->shown, 0), "mode set: %s", strerror(errno));
	if (failures || crc_start(&f->k, f->hd))
		return EXIT_FAIL;
	return 0;
}

/* Implicit sync: the commit waits for the render's dma_resv fence */
static void flip_fence_implicit(struct flip_fence *f)
{
	uint32_t crc_old = fb_crc(&f->shown), crc_new = fb_pattern_crc(&f->fb[0], 5, 2);
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	struct drm_event_vblank ev;
	int fence = -1, na = 0, nb = 0, other = 0;

	CHECK(!gated_submit(&f->g, &f->gbo[0], f->pitch, f->w, f->h, 1, 5, 2, &fence),
	      "gated GPU render: %s", strerror(errno));
	plane_props(req, &f->k, f->hd->plane[VPRIME_PLANE_PRIMARY], f->hd->crtc, &f->fb[0],
		    0, 0, 0, 0, f->w, f->h);
	CHECK(!drmModeAtomicCommit(f->k.fd, req, DRM_MODE_ATOMIC_NONBLOCK |
				   DRM_MODE_PAGE_FLIP_EVENT, NULL),
	      "non-blocking flip: %s", strerror(errno));
	drmModeAtomicFree(req);
	crc_read(f->hd, (uint32_t[256]){ 0 }, (uint32_t[256]){ 0 }, 256);
	wait_vblanks(&f->k, f->hd, 6, NULL);
	CHECK(!read_event(f->k.fd, 0, &ev), "the flip completed while the render was gated");
	CHECK(sync_file_status(fence) == 0, "render fence signalled while gated");
	crc_tally(f->hd, crc_old, crc_new, &na, &nb, &other);
	CHECK(na > 0 && nb == 0 && other == 0,
	      "while the render waits: %d old frames, %d new, %d other", na, nb, other);
	*f->sem = 1;	/* release the GPU */
	CHECK(read_event(f->k.fd, 3000, &ev) && ev.base.type == DRM_EVENT_FLIP_COMPLETE,
	      "no flip event after the render finished");
	CHECK(sync_file_status(fence) == 1, "render fence not signalled at flip time");
	wait_vblanks(&f->k, f->hd, 2, NULL);
	na = nb = other = 0;
	crc_tally(f->hd, crc_old, crc_new, &na, &nb, &other);
	CHECK(nb > 0 && other == 0,
	      "after the fence: %d old frames, %d new, %d other (partial?)", na, nb, other);
	diag("implicit sync: flip held for 6+ vblanks until the render fence, "
	     "then the new frame (CRC 0x%08x), no partial frame", crc_new);
	if (fence >= 0)
		close(fence);
}

/* Explicit: IN_FENCE_FD from the render, OUT_FENCE_PTR back */
static void flip_fence_explicit(struct flip_fence *f)
{
	uint32_t crc2 = fb_pattern_crc(&f->fb[1], 6, 3);
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t primary = f->hd->plane[VPRIME_PLANE_PRIMARY];
	int32_t out_fence = -1;
	int fence = -1;

	CHECK(!gated_submit(&f->g, &f->gbo[1], f->pitch, f->w, f->h, 2, 6, 3, &fence),
	      "gated GPU render 2");
	plane_props(req, &f->k, primary, f->hd->crtc, &f->fb[1], 0, 0, 0, 0, f->w, f->h);
	add_prop(req, f->k.fd, primary, DRM_MODE_OBJECT_PLANE, "IN_FENCE_FD", fence);
	add_prop(req, f->k.fd, f->hd->crtc, DRM_MODE_OBJECT_CRTC, "OUT_FENCE_PTR",
		 (uintptr_t)&out_fence);
	CHECK(!drmModeAtomicCommit(f->k.fd, req, DRM_MODE_ATOMIC_NONBLOCK, NULL),
	      "flip with IN_FENCE_FD: %s", strerror(errno));
	drmModeAtomicFree(req);
	CHECK(out_fence >= 0, "no OUT_FENCE_PTR fence");
	wait_vblanks(&f->k, f->hd, 4, NULL);
	CHECK(out_fence >= 0 && sync_file_status(out_fence) == 0,
	      "out-fence signalled before the in-fence");
	*f->sem = 2;
	CHECK(out_fence >= 0 && sync_file_wait(out_fence, 3000) == 1,
	      "out-fence never signalled");
	CHECK(sync_file_status(fence) == 1, "in-fence not signalled at flip");
	wait_vblanks(&f->k, f->hd, 2, NULL);
	crc_read(f->hd, (uint32_t[256]){ 0 }, (uint32_t[256]){ 0 }, 256);
	expect_crc(&f->k, f->hd, crc2, "after IN_FENCE_FD");
	if (out_fence >= 0)
		close(out_fence);
	if (fence >= 0)
		close(fence);
}

/*
 * A flip onto a buffer whose GPU render is still pending shows the new
 * frame only after the render's fence signals: implicit sync through the
 * shared dma_resv, then explicit IN_FENCE_FD with OUT_FENCE_PTR.
 */
int test_kms_flip_fence(struct ctx *c)
{
	static struct flip_fence f;
	int kinds[2], nk, ret;

	NEED_GPU(c, kinds, nk);
	KMS_OPEN(c, &f.k);
	f.hd = kms_first_connected(&f.k);
	if (!f.hd)
		return EXIT_FAIL;
	ret = flip_fence_setup(&f, gpu_open(c, kinds[0]));
	if (ret)
		return ret;
	flip_fence_implicit(&f);
	flip_fence_explicit(&f);
	crc_stop(f.hd);
	kms_disable_all(&f.k);
	fb_free(&f.k, &f.fb[0]);
	fb_free(&f.k, &f.fb[1]);
	fb_free(&f.k, &f.shown);
	bo_free(f.g.gfd, &f.gbo[0]);
	bo_free(f.g.gfd, &f.gbo[1]);
	bo_free(f.g.gfd, &f.g.sem);
	close(f.g.gfd);
	kms_close(&f.k);
	return 0;
}

/* Show an imported framebuffer whose pixels are in map; check the CRC */
static void show_foreign(struct kms *k, struct head *hd, int dfd, void *map,
			 uint32_t w, uint32_t h, uint32_t pitch, const char *what)
{
	struct fb f;
	int ret;

	ret = fb_import(k, &f, dfd, w, h, pitch, DRM_FORMAT_XRGB8888,
			DRM_FORMAT_MOD_LINEAR);
	CHECK(!ret, "%s: display import: %s", what, strerror(-ret));
	if (ret)
		return;
	f.map = map;
	ret = head_enable(k, hd, &f, 0);
	CHECK(!ret, "%s: show: %s", what, strerror(-ret));
	/* DRM's CRC interface opens only on an active CRTC */
	if (!ret && !crc_start(k, hd)) {
		expect_crc(k, hd, fb_crc(&f), what);
		crc_stop(hd);
	}
	kms_disable_all(k);
	fb_free(k, &f);
}

/* The display shows dma-bufs of each GPU (system and VRAM), vgem, udmabuf */
int test_kms_prime_import(struct ctx *c)
{
	int kinds[2], nk = gpu_kinds(c, kinds), i, vfd, dfd;
	struct head *hd;
	struct kms k;
	uint32_t w, h, pitch;
	void *map;
	size_t size;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	w = hd->mode.hdisplay;
	h = hd->mode.vdisplay;
	pitch = w * 4;
	for (i = 0; i < nk; i++) {
		int gfd = gpu_open(c, kinds[i]), pl;
		uint32_t ctx_id = ctx_new(gfd);

		for (pl = 0; pl < (kinds[i] == VPRIME_KIND_DGPU ? 2 : 1); pl++) {
			uint32_t flags = pl ? VPRIME_GEM_VRAM : 0;
			struct vprime_cmd cmd;
			const struct bo *bos[1];
			struct bo b;
			char what[64];
			uint8_t *copy;

			CHECK(!bo_new_flags(gfd, (uint64_t)pitch * h, flags, &b), "GPU BO");
			bos[0] = &b;
			cmd = pattern(b.va, pitch, w, h, 9 + pl, kinds[i] + 1);
			CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1),
			      "GPU pattern");
			/* the CPU reference must not touch the pages (VRAM
			 * migrates on attach): keep a copy of the frame */
			copy = malloc(b.size);
			memcpy(copy, b.map, b.size);
			dfd = prime_export(gfd, b.handle);
			snprintf(what, sizeof(what), "%s %s BO", kinds[i] == VPRIME_KIND_DGPU ?
				 "dGPU" : "iGPU", pl ? "VRAM" : "system");
			if (dfd >= 0)
				show_foreign(&k, hd, dfd, copy, w, h, pitch, what);
			else
				CHECK(0, "%s: export: %s", what, strerror(-dfd));
			free(copy);
			if (dfd >= 0)
				close(dfd);
			bo_free(gfd, &b);
		}
		close(gfd);
	}
	vfd = drm_card_by_driver("vgem");
	CHECK(vfd >= 0, "no vgem device");
	if (vfd >= 0) {
		uint32_t vp;
		struct fb tmp = { .width = w, .height = h, .format = DRM_FORMAT_XRGB8888 };

		dfd = vgem_buffer(vfd, w, h, 32, &vp, &map, &size);
		CHECK(dfd >= 0, "vgem buffer: %s", strerror(-dfd));
		if (dfd >= 0) {
			tmp.map = map;
			tmp.pitch = vp;
			fb_fill_noise(&tmp, 41);
			show_foreign(&k, hd, dfd, map, w, h, vp, "vgem buffer");
			close(dfd);
		}
		close(vfd);
	}
	size = ((size_t)pitch * h + 4095) & ~4095ul;
	dfd = udmabuf_buffer(size, false, &map);
	CHECK(dfd >= 0, "udmabuf: %s", strerror(-dfd));
	if (dfd >= 0) {
		struct fb tmp = { .width = w, .height = h, .pitch = pitch,
				  .format = DRM_FORMAT_XRGB8888, .map = map };

		fb_fill_noise(&tmp, 42);
		show_foreign(&k, hd, dfd, map, w, h, pitch, "udmabuf");
		close(dfd);
	}
	kms_close(&k);
	return 0;
}

/* Wait for a DRM hotplug uevent; 1 if seen */
/* The host unplugs and replugs a connector; the guest sees both */
int test_kms_hotplug(struct ctx *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char prop[32];
	struct head *hd;
	struct kms k;
	int nl, ret, modes, st;

	KMS_OPEN(c, &k);
	hd = &k.heads[k.nheads - 1];
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (nl < 0 || bind(nl, (struct sockaddr *)&sa, sizeof(sa))) {
		CHECK(0, "uevent socket: %s", strerror(errno));
		return EXIT_FAIL;
	}
	CHECK(connector_state(&k, hd, &modes) == DRM_MODE_CONNECTED && modes > 0,
	      "head %d not connected at start", hd->index);
	snprintf(prop, sizeof(prop), "head%d-connected", hd->index);
	ret = host_qom_set_bool("display0", prop, false);
	if (ret == -ENODEV) {
		printf("# SKIP no host control channel (the harness provides it)\n");
		return EXIT_SKIP;
	}
	CHECK(!ret, "host unplug: %s", strerror(-ret));
	CHECK(wait_hotplug_uevent(nl, 5000), "no hotplug uevent after unplug");
	st = connector_state(&k, hd, &modes);
	CHECK(st == DRM_MODE_DISCONNECTED, "head %d after unplug: connection %d",
	      hd->index, st);
	diag("unplug: uevent seen, head %d disconnected, %d modes", hd->index, modes);

	ret = host_qom_set_bool("display0", prop, true);
	CHECK(!ret, "host replug: %s", strerror(-ret));
	CHECK(wait_hotplug_uevent(nl, 5000), "no hotplug uevent after replug");
	st = connector_state(&k, hd, &modes);
	CHECK(st == DRM_MODE_CONNECTED && modes > 0,
	      "head %d after replug: connection %d, %d modes", hd->index, st, modes);
	diag("replug: uevent seen, head %d connected, %d modes from the EDID",
	     hd->index, modes);
	close(nl);
	kms_close(&k);
	return 0;
}

/*
 * Every head shows the GPU test pattern (frame, tag per head); the host
 * takes a screendump of each head over QMP and compares every pixel with
 * the pattern formula, as the head's link carries it (truncated to 6 bits
 * per component on a 6 bpc link: the eDP panel).
 */
int test_kms_screendump(struct ctx *c)
{
	struct fb fbs[VPRIME_HEADS_MAX];
	struct hreply rep;
	struct hmsg req;
	struct kms k;
	int i, ret;

	KMS_OPEN(c, &k);
	for (i = 0; i < k.nheads; i++) {
		struct head *hd = &k.heads[i];

		CHECK(!fb_new(&k, &fbs[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		fb_fill_pattern(&fbs[i], 20 + i, 1 + i);
		CHECK(!head_enable(&k, hd, &fbs[i], 0), "mode set head %d", i);
		wait_vblanks(&k, hd, 1, NULL);
	}
	for (i = 0; i < k.nheads && !failures; i++) {
		hmsg_screendump(&req, i, k.heads[i].mode.hdisplay, k.heads[i].mode.vdisplay,
				20 + i, 1 + i, NULL);
		/* what the head's link carries: a 6 bpc panel's is truncated */
		hmsg_int(&req, "bpc", kms_crc_link(&k, &k.heads[i]));
		ret = host_call(&req, &rep, 60);
		if (ret == -ENODEV) {
			printf("# SKIP no host control channel (the harness provides it)\n");
			return EXIT_SKIP;
		}
		CHECK(!ret && rep.ok, "head %d screendump: %s", i,
		      ret ? strerror(-ret) : hreply_why(&rep));
		if (!ret)
			diag("head %d: host says %s", i, hreply_why(&rep));
	}
	kms_disable_all(&k);
	for (i = 0; i < k.nheads; i++)
		fb_free(&k, &fbs[i]);
	kms_close(&k);
	return 0;
}

/*
 * Contiguous-only engine (vprime.display_contig=1 on the command line):
 * scattered buffers are refused by atomic check, a physically contiguous
 * one (a hugetlb udmabuf) is shown.
 */
int test_kms_contiguous(struct ctx *c)
{
	struct head *hd;
	struct kms k;
	struct fb f;
	size_t huge = 2 << 20;
	void *map;
	int dfd, ret, vfd;
	uint32_t w, h;

	if (!cmdline_has("vprime.display_contig=1")) {
		printf("# SKIP the display engine is not contiguous-only here\n");
		return EXIT_SKIP;
	}
	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	w = hd->mode.hdisplay;
	h = hd->mode.vdisplay;
	if ((size_t)w * h * 4 > huge) {
		CHECK(0, "mode %ux%u does not fit one 2 MiB page", w, h);
		return EXIT_FAIL;
	}

	/* our own dumb buffer: shmem pages, scattered */
	CHECK(!fb_new(&k, &f, w, h, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
	ret = head_enable(&k, hd, &f, DRM_MODE_ATOMIC_TEST_ONLY);
	CHECK(ret == -EINVAL, "scattered dumb buffer: atomic check gave %d, want -EINVAL", ret);
	fb_free(&k, &f);
	/* a vgem buffer: scattered too */
	vfd = drm_card_by_driver("vgem");
	if (vfd >= 0) {
		uint32_t vp;
		size_t size;

		dfd = vgem_buffer(vfd, w, h, 32, &vp, &map, &size);
		CHECK(dfd >= 0 && !fb_import(&k, &f, dfd, w, h, vp, DRM_FORMAT_XRGB8888,
					     DRM_FORMAT_MOD_LINEAR), "vgem import");
		ret = head_enable(&k, hd, &f, DRM_MODE_ATOMIC_TEST_ONLY);
		CHECK(ret == -EINVAL, "scattered vgem buffer: atomic check gave %d, want -EINVAL",
		      ret);
		fb_free(&k, &f);
		close(dfd);
		close(vfd);
	}
	diag("scattered buffers refused with -EINVAL");

	/* one huge page: physically contiguous */
	if (write(open("/proc/sys/vm/nr_hugepages", O_WRONLY | O_CLOEXEC), "4", 1) != 1)
		diag("cannot reserve huge pages: %s", strerror(errno));
	dfd = udmabuf_buffer(huge, true, &map);
	CHECK(dfd >= 0, "hugetlb udmabuf: %s", strerror(-dfd));
	if (dfd < 0)
		return EXIT_FAIL;
	ret = fb_import(&k, &f, dfd, w, h, w * 4, DRM_FORMAT_XRGB8888,
			DRM_FORMAT_MOD_LINEAR);
	if (ret) {
		CHECK(0, "udmabuf import: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	f.map = map;
	fb_fill_noise(&f, 55);
	ret = head_enable(&k, hd, &f, 0);
	CHECK(!ret, "contiguous buffer refused: %s", strerror(-ret));
	if (!ret && !crc_start(&k, hd)) {
		expect_crc(&k, hd, fb_crc(&f), "contiguous udmabuf");
		crc_stop(hd);
	}
	kms_disable_all(&k);
	fb_free(&k, &f);
	close(dfd);
	kms_close(&k);
	return 0;
}

/* Atomic check refuses what the hardware cannot show: -EINVAL, -ERANGE for a scale */
int test_kms_check_refusals(struct ctx *c)
{
	struct fb prim, small, big;
	drmModeAtomicReq *req;
	struct head *hd;
	struct kms k;
	uint32_t handles[4], pitches[4] = { 0 }, offsets[4] = { 0 }, id;
	uint64_t mods[4] = { 0 };
	int ret;

	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
	CHECK(!fb_new(&k, &small, 128, 128, DRM_FORMAT_ARGB8888,
		      DRM_FORMAT_MOD_LINEAR), "fb");
	CHECK(!fb_new(&k, &big, 512, 512, DRM_FORMAT_ARGB8888,
		      DRM_FORMAT_MOD_LINEAR), "fb");
	CHECK(!head_enable(&k, hd, &prim, 0), "mode set");
	if (failures)
		return EXIT_FAIL;

#define TRY_ERR(what, err, expr) do {				\
		req = drmModeAtomicAlloc();				\
		expr;							\
		ret = drmModeAtomicCommit(k.fd, req, DRM_MODE_ATOMIC_TEST_ONLY, NULL) ? -errno : 0; \
		drmModeAtomicFree(req);					\
		CHECK(ret == -(err), "%s: atomic check gave %d, want %d", what, ret, -(err)); \
	} while (0)
#define TRY(what, expr) TRY_ERR(what, EINVAL, expr)

	/* scaling beyond 8x: 32x32 of the buffer onto 257x257 */
	TRY_ERR("overlay scaled up beyond 8x", ERANGE,
	    plane_props_scaled(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc,
			       &small, 0, 0, 0, 0, 32, 32, 257, 257));
	/* downscaling beyond 4x: the 512x512 buffer onto 127x127 */
	TRY_ERR("overlay scaled down beyond 4x", ERANGE,
	    plane_props_scaled(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc,
			       &big, 0, 0, 0, 0, 512, 512, 127, 127));
	/* the cursor does not scale */
	TRY_ERR("scaled cursor", ERANGE,
	    plane_props_scaled(req, &k, hd->plane[VPRIME_PLANE_CURSOR], hd->crtc,
			       &small, 0, 0, 0, 0, 64, 64, 128, 128));
	/* a fractional source position: no sub-pixel sampling */
	TRY("fractional source",
	    plane_props(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, &small,
			0, 0, 0, 0, 64, 64);
	    add_prop(req, k.fd, hd->plane[VPRIME_PLANE_OVERLAY], DRM_MODE_OBJECT_PLANE,
		     "SRC_X", 1 << 15));
	/* cursor larger than the hardware's */
	TRY("512x512 cursor",
	    plane_props(req, &k, hd->plane[VPRIME_PLANE_CURSOR], hd->crtc, &big,
			0, 0, 0, 0, 512, 512));
	/* source outside the buffer: DRM core's own check, -ENOSPC */
	TRY_ERR("source outside the fb", ENOSPC,
	    plane_props(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, &small,
			0, 0, 64, 64, 128, 128));
	/* a valid overlay commit passes the same check */
	req = drmModeAtomicAlloc();
	plane_props(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, &small,
		    10, 10, 0, 0, 128, 128);
	ret = drmModeAtomicCommit(k.fd, req, DRM_MODE_ATOMIC_TEST_ONLY, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	CHECK(ret == 0, "valid overlay refused: %d", ret);

	/* tiled with a pitch that is not whole tiles: refused at ADDFB2 or check */
	handles[0] = small.handle;
	pitches[0] = 100 * 4;
	mods[0] = I915_FORMAT_MOD_X_TILED;
	ret = drmModeAddFB2WithModifiers(k.fd, 100, 64, DRM_FORMAT_ARGB8888, handles,
					 pitches, offsets, mods, &id, DRM_MODE_FB_MODIFIERS);
	if (!ret) {
		struct fb t = { .fb_id = id, .width = 100, .height = 64 };

		TRY("tiled fb with a 400-byte pitch",
		    plane_props(req, &k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, &t,
				0, 0, 0, 0, 100, 64));
		drmModeRmFB(k.fd, id);
	} else {
		CHECK(errno == EINVAL, "tiled fb, bad pitch: ADDFB2 %s", strerror(errno));
	}
	/*
	 * a registered modifier the display does not scan (the iGPU's
	 * Y-tiled), another block height of block linear, the old private one
	 */
	pitches[0] = small.pitch;
	mods[0] = I915_FORMAT_MOD_Y_TILED;
	CHECK(drmModeAddFB2WithModifiers(k.fd, 128, 128, DRM_FORMAT_ARGB8888, handles,
					 pitches, offsets, mods, &id,
					 DRM_MODE_FB_MODIFIERS) && errno == EINVAL,
	      "ADDFB2 accepted an Intel Y-tiled modifier");
	mods[0] = DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 1, 0, 0xfe, 4);
	CHECK(drmModeAddFB2WithModifiers(k.fd, 128, 128, DRM_FORMAT_ARGB8888, handles,
					 pitches, offsets, mods, &id,
					 DRM_MODE_FB_MODIFIERS) && errno == EINVAL,
	      "ADDFB2 accepted block linear with 16-GOB blocks");
	mods[0] = (0xf0ull << 56) | 1;
	CHECK(drmModeAddFB2WithModifiers(k.fd, 128, 128, DRM_FORMAT_ARGB8888, handles,
					 pitches, offsets, mods, &id,
					 DRM_MODE_FB_MODIFIERS) && errno == EINVAL,
	      "ADDFB2 accepted the old private vendor 0xf0 modifier");
	/* a format no plane has */
	mods[0] = 0;
	CHECK(drmModeAddFB2(k.fd, 128, 128, DRM_FORMAT_NV12, handles, pitches, offsets,
			    &id, 0) && errno == EINVAL, "ADDFB2 accepted NV12");
#undef TRY
#undef TRY_ERR
	kms_disable_all(&k);
	fb_free(&k, &prim);
	fb_free(&k, &small);
	fb_free(&k, &big);
	kms_close(&k);
	return 0;
}

/*
 * The display engine's own dumb buffers imported by each GPU: the GPU
 * writes them through its page tables, the CPU sees the pixels (#3).
 */
int test_gpu_import_display(struct ctx *c)
{
	int kinds[2], nk, i;
	struct kms k;
	struct fb f;

	NEED_GPU(c, kinds, nk);
	KMS_OPEN(c, &k);
	CHECK(!fb_new(&k, &f, 256, 64, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR),
	      "display dumb buffer");
	if (failures)
		return EXIT_FAIL;
	for (i = 0; i < nk; i++) {
		int gfd = gpu_open(c, kinds[i]), dfd;
		uint32_t ctx_id = ctx_new(gfd), color = 0x00123456 + i * 0x111111, x, y;
		struct vprime_cmd cmd;
		const struct bo *bos[1];
		struct bo in;
		bool ok = true;

		dfd = prime_share(k.fd, f.handle, gfd, &in);
		CHECK(dfd >= 0, "GPU import of a display dumb buffer: %s", strerror(-dfd));
		if (dfd < 0)
			continue;
		bos[0] = &in;
		cmd = fill(in.va, f.pitch, 256, 64, VPRIME_FMT_XRGB8888, color);
		CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1), "GPU fill");
		for (y = 0; y < 64; y++)
			for (x = 0; x < 256; x++)
				ok &= *(uint32_t *)(f.map + y * f.pitch + 4 * x) == color;
		CHECK(ok, "%s fill not in the display buffer",
		      kinds[i] == VPRIME_KIND_DGPU ? "dGPU" : "iGPU");
		diag("%s filled a display dumb buffer through PRIME",
		     kinds[i] == VPRIME_KIND_DGPU ? "dGPU" : "iGPU");
		close(dfd);
		close(gfd);
	}
	fb_free(&k, &f);
	kms_close(&k);
	return 0;
}
