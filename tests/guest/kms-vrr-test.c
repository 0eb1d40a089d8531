// SPDX-License-Identifier: GPL-2.0-only
/*
 * Variable refresh rate (issue 16): the connector's "vrr_capable" and the
 * CRTC's VRR_ENABLED.
 *
 * The engine's monitors (all but eDP) give a refresh range in their EDID
 * (40 Hz up); with VRR_ENABLED a frame lasts from the mode's period (the
 * fastest) to that of the range's slowest refresh, and ends when a flip's
 * UPDATE comes.  Asserted on the device clock (the vblank timestamps of
 * the events, which the driver takes from the device) and the vblank
 * counts, with the tenth of a period kms-flip-vblank allows for the
 * translation of device time to ktime, never against a guest timer:
 *
 * - VRR on and idle: vblanks one longest frame apart (3 of them);
 * - VRR on, flips each some time after the previous event, steered
 *   into the window between the shortest and the longest frame by where
 *   the previous flip landed on the device's clock (a slower guest, such
 *   as one on the debug kernel, waits less): every flip completes, every
 *   vblank-to-vblank interval is at least the mode's period and at most
 *   a longest frame per vblank counted, and at least one flip ended its
 *   frame itself (one vblank, more than a tenth of a period beyond the
 *   mode's period and short of the longest frame) -- the figure is how
 *   many of the flips did.  An event whose interrupt was handled after a
 *   later vblank carries a timestamp the driver takes back from that
 *   vblank's by mode periods (its flip record says "timestamp on the
 *   grid"), wrong with VRR by up to a longest frame less a period per
 *   vblank: the intervals next to it are printed, not checked;
 * - VRR off, flips a quarter of the way from the shortest to the longest
 *   frame after the previous event: every interval is a whole number of the
 *   mode's periods.
 * Skips without a VRR capable connector.  Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

enum { VRR_FLIPS = 24 };

/* The connector's VRR range from the driver's debugfs; 0 if none */
static int vrr_range(struct kms *k, struct head *hd, unsigned int *min_hz,
		     unsigned int *max_hz)
{
	char path[PATH_MAX], buf[1024], *p;
	drmModeConnector *conn = drmModeGetConnector(k->fd, hd->conn);
	int n;

	if (!conn)
		return 0;
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/%s-%u/vprime_output",
		 k->minor, drmModeGetConnectorTypeName(conn->connector_type),
		 conn->connector_type_id);
	drmModeFreeConnector(conn);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "vrr range: ");
	if (!p)
		return 0;
	n = sscanf(p, "vrr range: %u-%u Hz", min_hz, max_hz);
	return n == 2;
}

static int set_vrr(struct kms *k, struct head *hd, bool on)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int ret;

	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "VRR_ENABLED", on);
	ret = drmModeAtomicCommit(k->fd, req, 0, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

static int64_t ev_ns(const struct drm_event_vblank *e)
{
	return ((int64_t)e->tv_sec * 1000000 + e->tv_usec) * 1000;
}

/*
 * The window a VRR flip can end its frame in: after the mode's period
 * (@pmin) and before the longest frame (@pmax), in ns, with the
 * tolerance @tol of the timestamps' translation to ktime.  With @steer,
 * the wait before each flip follows where the previous flip landed on
 * the device's clock: a flip that missed the longest frame (two vblanks)
 * came too late, one at the mode's period too early.  The guest's own
 * latency from event to UPDATE (a debug kernel's is several ms longer)
 * then does not decide whether flips land in the window.
 */
struct vrr_window {
	int64_t pmin, pmax, tol;
	bool steer;
};

/*
 * VRR_FLIPS flips, each some delay after the previous event arrived (the
 * first a quarter of the way from the shortest to the longest frame);
 * the events' sequences and timestamps into seq[] and ts[] (one more:
 * the event before the first).  Returns how many flips completed.
 */
static int flip_run(struct kms *k, struct head *hd, struct fb fb[2], const struct vrr_window *w,
		    uint32_t *seq, int64_t *ts, bool *passed)
{
	const int64_t step = (w->pmax - w->pmin) / 8;
	int64_t delay = w->pmin + (w->pmax - w->pmin) / 4;
	struct drm_event_vblank ev;
	struct flip_record r;
	int i;

	if (flip_to(k, hd, &fb[0], DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT) ||
	    read_event(k->fd, 2000, &ev) != 1) {
		CHECK(0, "first flip: %s", strerror(errno));
		return 0;
	}
	seq[0] = ev.sequence;
	ts[0] = ev_ns(&ev);
	passed[0] = head_last_flip(k, hd->index, &r) || r.ts_grid;
	for (i = 1; i <= VRR_FLIPS; i++) {
		usleep(delay / 1000);
		if (flip_to(k, hd, &fb[i % 2], DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT)) {
			CHECK(0, "flip %d: %s", i, strerror(errno));
			return i - 1;
		}
		if (read_event(k->fd, 2000, &ev) != 1) {
			CHECK(0, "flip %d: no event within 2 s", i);
			return i - 1;
		}
		seq[i] = ev.sequence;
		ts[i] = ev_ns(&ev);
		passed[i] = head_last_flip(k, hd->index, &r) || r.ts_grid;
		if (w->steer && !passed[i] && !passed[i - 1]) {
			if (seq[i] - seq[i - 1] > 1 || ts[i] - ts[i - 1] >= w->pmax - w->tol)
				delay = delay > step ? delay - step : 0;
			else if (ts[i] - ts[i - 1] <= w->pmin + w->tol)
				delay += step;
		}
	}
	return VRR_FLIPS;
}

int test_kms_vrr(struct ctx *c)
{
	unsigned int min_hz = 0, max_hz = 0;
	uint32_t seq[VRR_FLIPS + 1];
	bool passed[VRR_FLIPS + 1];
	int64_t ts[VRR_FLIPS + 1], pmin, pmax, tol;
	struct vrr_window win;
	struct fb fb[2] = { 0 };
	struct head *hd = NULL;
	int i, n, ended = 0, skipped = 0;
	struct kms k;

	KMS_OPEN(c, &k);
	for (i = 0; i < k.nheads && !hd; i++) {
		struct head *h = &k.heads[i];

		if (h->connected &&
		    prop_value(k.fd, h->conn, DRM_MODE_OBJECT_CONNECTOR, "vrr_capable") == 1 &&
		    vrr_range(&k, h, &min_hz, &max_hz))
			hd = h;
	}
	if (!hd) {
		kms_close(&k);
		printf("# SKIP no connected head with a VRR capable monitor\n");
		return EXIT_SKIP;
	}
	pmin = mode_period_ns(&hd->mode);
	pmax = 1000000000LL / min_hz;
	tol = pmin / 10;
	diag("head %d: %ux%u@%u, monitor range %u-%u Hz: frames from %.3f to %.3f ms",
	     hd->index, hd->mode.hdisplay, hd->mode.vdisplay, hd->mode.vrefresh,
	     min_hz, max_hz, pmin / 1e6, pmax / 1e6);
	if (pmax < pmin + 3 * tol) {
		kms_close(&k);
		printf("# SKIP the mode's refresh leaves the monitor no range to vary in\n");
		return EXIT_SKIP;
	}
	for (i = 0; i < 2; i++) {
		CHECK(!fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		if (fb[i].fb_id)
			fb_fill_noise(&fb[i], 300 + i);
	}
	if (failures)
		goto out;
	kms_disable_all(&k);
	CHECK(!head_enable(&k, hd, &fb[0], 0), "head %d on: %s", hd->index, strerror(errno));
	CHECK(!set_vrr(&k, hd, true), "VRR_ENABLED 1: %s", strerror(errno));
	if (failures || !wait_vblanks(&k, hd, 2, NULL))
		goto out;

	/* idle: one longest frame per vblank */
	{
		double t0 = 0, t1 = 0;
		uint32_t s0 = wait_vblanks(&k, hd, 1, &t0);
		uint32_t s1 = wait_vblanks(&k, hd, 3, &t1);
		int64_t d = (int64_t)((t1 - t0) * 1e9);

		CHECK(s1 - s0 == 3 && llabs(d - 3 * pmax) <= tol,
		      "VRR idle: %u vblanks in %.3f ms, not 3 longest frames (%.3f ms)",
		      s1 - s0, d / 1e6, 3 * pmax / 1e6);
		diag("VRR idle: 3 vblanks in %.3f ms", d / 1e6);
	}

	/* flips between the shortest and the longest frame, steered there */
	win = (struct vrr_window){ pmin, pmax, tol, true };
	n = flip_run(&k, hd, fb, &win, seq, ts, passed);
	CHECK(n == VRR_FLIPS, "VRR on: %d of %d flips completed", n, VRR_FLIPS);
	for (i = 1; i <= n; i++) {
		int64_t d = ts[i] - ts[i - 1];
		uint32_t v = seq[i] - seq[i - 1];

		diag("VRR on, flip %d: %u vblank(s) in %.3f ms%s", i, v, d / 1e6,
		     passed[i] || passed[i - 1] ? " (an event's interrupt came late)" : "");
		if (passed[i] || passed[i - 1]) {
			skipped++;
			continue;
		}
		CHECK(v >= 1 && d >= pmin - tol && d <= (int64_t)v * pmax + tol,
		      "VRR on, flip %d: %u vblanks in %.3f ms: outside [%.3f, %u x %.3f] ms", i, v,
		      d / 1e6, pmin / 1e6, v, pmax / 1e6);
		if (v == 1 && d > pmin + tol && d < pmax - tol)
			ended++;
	}
	diag("VRR on: %d of %d flips ended their frame between %.3f and %.3f ms; %d intervals not checked (late interrupt)",
	     ended, n, pmin / 1e6, pmax / 1e6, skipped);
	printf("# bench vrr_flips_ending_frame %d of %d\n", ended, n);
	CHECK(ended > 0, "VRR on: no flip ended its frame early");

	/* VRR off: the fixed grid */
	CHECK(!set_vrr(&k, hd, false), "VRR_ENABLED 0: %s", strerror(errno));
	if (failures || !wait_vblanks(&k, hd, 2, NULL))
		goto out;
	win.steer = false;
	n = flip_run(&k, hd, fb, &win, seq, ts, passed);
	CHECK(n == VRR_FLIPS, "VRR off: %d of %d flips completed", n, VRR_FLIPS);
	for (i = 1; i <= n; i++) {
		int64_t d = ts[i] - ts[i - 1];
		uint32_t v = seq[i] - seq[i - 1];

		CHECK(v >= 1 && llabs(d - (int64_t)v * pmin) <= tol,
		      "VRR off, flip %d: %u vblanks in %.3f ms, not %u x %.3f ms", i, v, d / 1e6,
		      v, pmin / 1e6);
	}
out:
	if (hd->on)
		set_vrr(&k, hd, false);
	kms_disable_all(&k);
	for (i = 0; i < 2; i++)
		if (fb[i].fb_id)
			fb_free(&k, &fb[i]);
	kms_close(&k);
	return 0;
}
