// SPDX-License-Identifier: GPL-2.0-only
/*
 * Genlocked heads as a client sees them (issue 16): two heads with the
 * same mode, the second turned on about a third of a period after the
 * first's vblank, then 100 page flips of both in one atomic commit each.
 * Both heads' flip events are read: their vblank sequences and their
 * timestamps.  The largest difference of a pair's timestamps is the
 * figure, printed with and without genlock.
 *
 * With genlock (the launcher's --genlock: vprime.genlock=1 on the kernel
 * command line) the second head turns on onto the first's vblank grid, so
 * the two CRTCs' vblanks are one grid: a pair's timestamps agree, taken on
 * the grid (a commit that a vblank fell into the middle of latches the
 * second head a vblank later: counted, and a period per vblank taken
 * off): the median difference is within one scanline (htotal
 * / pixel clock of the mode), every pair's within a tenth of a period.
 * The device stamps both heads' vblanks with the same instant; the driver
 * translates each to ktime by reading the device clock next to ktime_get(),
 * and a host that preempts QEMU between the two reads adds that delay to
 * one event (the same tenth kms-flip-vblank allows): the pairs more than
 * a scanline apart are counted, and the largest difference is the figure.
 * Without genlock only the events' arrival is asserted: how far apart the
 * free-running heads are depends on when the test turned the second on.
 * Where the engine locks several heads in one write (CAP_UPDATE_LOCK_ALL:
 * the driver locks a commit's heads before its first register write and
 * releases them in one write after its last UPDATE), no genlocked commit
 * may latch on the two heads at different vblanks: the device frames that
 * latched each commit (FLIP_FRAME, from the driver's debugfs record of
 * the flip) must differ by the same amount for every commit.  That is the
 * engine's record, not the events': a loaded host can make an event name
 * a later vblank than its latch (counted as straddled, as before).
 * Without that capability, or free-running (each head latches at its own
 * next vblank), split latches are only counted.
 * Helpers: kms-lib.c, gpu-lib.c (GET_PARAM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "gpu-lib.h"
#include "guest-test.h"
#include "kms-lib.h"

enum { GENLOCK_FLIPS = 100 };

/* Same timings: the engine genlocks heads of the same period */
static bool same_mode(const drmModeModeInfo *a, const drmModeModeInfo *b)
{
	return a->clock == b->clock && a->hdisplay == b->hdisplay &&
	       a->vdisplay == b->vdisplay && a->htotal == b->htotal &&
	       a->vtotal == b->vtotal;
}

/*
 * Both heads' flip events of one commit, by CRTC (a read may return both
 * at once); false (a failure, said) if one did not come within ms.
 */
static bool read_pair(struct kms *k, struct head *hd[2], int ms,
		      struct drm_event_vblank ev[2], int flip)
{
	bool got[2] = { false, false };
	char buf[1024];

	while (!got[0] || !got[1]) {
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };
		ssize_t n, off;

		if (poll(&pfd, 1, ms) <= 0) {
			CHECK(0, "flip %d: no event from head %d within %d ms", flip,
			      hd[got[0]]->index, ms);
			return false;
		}
		n = read(k->fd, buf, sizeof(buf));
		for (off = 0; n > 0 && off + (ssize_t)sizeof(struct drm_event) <= n;) {
			struct drm_event e;
			struct drm_event_vblank v;
			int i;

			memcpy(&e, buf + off, sizeof(e));
			if (e.length < sizeof(e) || off + e.length > n)
				break;
			if (e.type == DRM_EVENT_FLIP_COMPLETE && e.length >= sizeof(v)) {
				memcpy(&v, buf + off, sizeof(v));
				for (i = 0; i < 2; i++) {
					if (v.crtc_id != hd[i]->crtc)
						continue;
					if (got[i]) {
						CHECK(0, "flip %d: two events from head %d",
						      flip, hd[i]->index);
						return false;
					}
					got[i] = true;
					ev[i] = v;
				}
			}
			off += e.length;
		}
	}
	return true;
}

/* Both heads' primary planes to their fb[n] in one commit: 0 or -errno */
static int flip_both(struct kms *k, struct head *hd[2], struct fb fb[2][2],
		     int n, uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int i, ret;

	for (i = 0; i < 2; i++)
		plane_props(req, k, hd[i]->plane[VPRIME_PLANE_PRIMARY], hd[i]->crtc,
			    &fb[i][n], 0, 0, 0, 0, fb[i][n].width, fb[i][n].height);
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

static int64_t ev_us(const struct drm_event_vblank *e)
{
	return (int64_t)e->tv_sec * 1000000 + e->tv_usec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The index of the most common value of v[0..n-1] (the first on a tie) */
static int mode_u32(const uint32_t *v, int n)
{
	int i, j, best = 0, best_n = 0;

	for (i = 0; i < n; i++) {
		int m = 0;

		for (j = 0; j < n; j++)
			m += v[j] == v[i];
		if (m > best_n) {
			best = i;
			best_n = m;
		}
	}
	return best;
}

/* The median of |v[0..n-1]| */
static int64_t median_abs(const int64_t *v, int n)
{
	int64_t a[GENLOCK_FLIPS];
	int i;

	for (i = 0; i < n; i++)
		a[i] = llabs(v[i]);
	qsort(a, n, sizeof(a[0]), cmp_i64);
	return a[n / 2];
}

int test_kms_genlock(struct ctx *c)
{
	bool genlock = cmdline_has("vprime.genlock=1");
	struct drm_event_vblank ev[2] = { 0 };
	struct head *hd[2] = { NULL, NULL };
	struct fb fb[2][2] = { 0 };
	int64_t d[GENLOCK_FLIPS], dmax = 0, line_ns, period_ns;
	uint32_t sd[GENLOCK_FLIPS], seq_diff, ld[GENLOCK_FLIPS];
	struct flip_record rec[2];
	int nld = 0, split = 0;
	struct kms k;
	int i, j, flips = 0, beyond = 0, straddled = 0;
	bool lock_all;
	uint64_t caps = 0;

	KMS_OPEN(c, &k);
	CHECK(!get_param(k.fd, VPRIME_PARAM_DISPLAY_CAPS, &caps), "GET_PARAM DISPLAY_CAPS");
	lock_all = caps & VPRIME_DISP_CAP_UPDATE_LOCK_ALL;
	for (i = 0; i < k.nheads && !hd[1]; i++) {
		for (j = i + 1; j < k.nheads; j++) {
			if (k.heads[i].connected && k.heads[j].connected &&
			    same_mode(&k.heads[i].mode, &k.heads[j].mode)) {
				hd[0] = &k.heads[i];
				hd[1] = &k.heads[j];
				break;
			}
		}
	}
	if (!hd[1]) {
		kms_close(&k);
		if (genlock) {
			diag("FAIL: genlock asked for, but no two connected heads with the same mode");
			return EXIT_FAIL;
		}
		printf("# SKIP no two connected heads with the same mode\n");
		return EXIT_SKIP;
	}
	period_ns = mode_period_ns(&hd[0]->mode);
	line_ns = (int64_t)hd[0]->mode.htotal * 1000000 / hd[0]->mode.clock;
	diag("heads %d and %d, %ux%u, period %.3f ms, one scanline %.3f us; genlock %s",
	     hd[0]->index, hd[1]->index, hd[0]->mode.hdisplay, hd[0]->mode.vdisplay,
	     period_ns / 1e6, line_ns / 1e3, genlock ? "on" : "off");
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			CHECK(!fb_new(&k, &fb[i][j], hd[i]->mode.hdisplay,
				      hd[i]->mode.vdisplay, DRM_FORMAT_XRGB8888,
				      DRM_FORMAT_MOD_LINEAR), "fb");
			fb_fill_noise(&fb[i][j], 160 + 2 * i + j);
		}
	}
	if (failures)
		goto out;

	/*
	 * The second head turns on a third of a period after a vblank of the
	 * first: free-running, that is about how far apart they stay.
	 */
	kms_disable_all(&k);
	CHECK(!head_enable(&k, hd[0], &fb[0][0], 0), "head %d on: %s", hd[0]->index,
	      strerror(errno));
	if (failures || !wait_vblanks(&k, hd[0], 1, NULL))
		goto out;
	usleep(period_ns / 3000);
	CHECK(!head_enable(&k, hd[1], &fb[1][0], 0), "head %d on: %s", hd[1]->index,
	      strerror(errno));
	if (failures || !wait_vblanks(&k, hd[1], 2, NULL))
		goto out;

	for (i = 0; i < GENLOCK_FLIPS; i++) {
		if (flip_both(&k, hd, fb, (i + 1) % 2, DRM_MODE_ATOMIC_NONBLOCK |
			      DRM_MODE_PAGE_FLIP_EVENT)) {
			CHECK(0, "flip %d: %s", i, strerror(errno));
			break;
		}
		if (!read_pair(&k, hd, 2000, ev, i))
			break;
		d[flips] = ev_us(&ev[1]) - ev_us(&ev[0]);
		if (!head_last_flip(&k, hd[0]->index, &rec[0]) &&
		    !head_last_flip(&k, hd[1]->index, &rec[1]))
			ld[nld++] = rec[1].latch_frame - rec[0].latch_frame;
		sd[flips++] = ev[1].sequence - ev[0].sequence;
	}
	CHECK(flips == GENLOCK_FLIPS, "%d of %d flips completed on both heads", flips,
	      GENLOCK_FLIPS);
	if (!flips)
		goto out;
	/*
	 * The two CRTCs' sequences differ by a constant (DRM numbers each
	 * CRTC's vblanks from its own history): the most common difference.
	 * A commit whose two UPDATEs a vblank fell between (the driver
	 * flushes one CRTC after the other) latches the second head a vblank
	 * later: that pair is counted as straddled and its timestamps
	 * compared on the grid, a period per vblank of the difference taken
	 * off.  Genlock is about the grid, not about when a commit lands.
	 */
	seq_diff = sd[mode_u32(sd, flips)];
	CHECK(nld == flips, "the driver's flip record read for %d of %d flips", nld, flips);
	for (i = 0; i < nld; i++)
		split += ld[i] != ld[mode_u32(ld, nld)];
	for (i = 0; i < flips; i++) {
		if (sd[i] != seq_diff) {
			straddled++;
			d[i] -= (int64_t)(int32_t)(sd[i] - seq_diff) * period_ns / 1000;
		}
		if (llabs(d[i]) > dmax)
			dmax = llabs(d[i]);
		if (llabs(d[i]) * 1000 > line_ns)
			beyond++;
		CHECK(!genlock || llabs(d[i]) * 10000 <= period_ns,
		      "flip %d: events %lld us apart on the grid, more than a tenth of a period",
		      i, (long long)d[i]);
	}
	{
		int64_t med = median_abs(d, flips);

		diag("%d flips of both heads, one commit each: flip events' timestamps %lld us apart at most, median %lld us; %d pairs more than one scanline apart; %d commits straddled a vblank",
		     flips, (long long)dmax, (long long)med, beyond, straddled);
		printf("# bench genlock_flip_event_diff_max_%s %lld us\n",
		       genlock ? "genlocked" : "free", (long long)dmax);
		CHECK(!genlock || med * 1000 <= line_ns,
		      "genlocked heads' flip events %lld us apart (median), more than one scanline (%.3f us)",
		      (long long)med, line_ns / 1e3);
		diag("%d commits latched on the two heads at different vblanks (device FLIP_FRAME)",
		     split);
		CHECK(!genlock || !lock_all || !split,
		      "%d genlocked commits latched half at one vblank, half at another, with one-write UPDATE_LOCK release",
		      split);
	}
out:
	kms_disable_all(&k);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (fb[i][j].fb_id)
				fb_free(&k, &fb[i][j]);
	kms_close(&k);
	return 0;
}
