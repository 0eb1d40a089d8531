// SPDX-License-Identifier: GPL-2.0-only
/*
 * Optimus and multi-GPU scenarios, end to end, as a compositor would run
 * them on libdrm: a GPU renders each frame (the test pattern: frame number
 * + device tag), the frame is handed to the display engine as a dma-buf
 * and flipped behind the render's fence.  Each scenario checks, through
 * the device's CRC of every composed frame, that every frame appears in
 * order (none stale, none torn), then asks the host agent for the proof
 * that the handoff was zero-copy (tests/host/agent.py "zero-copy": device
 * counters and the pages the producer wrote vs the pages the plane scans).
 * The scenario never maps a buffer it hands over; the GPU driver's
 * migration count (its only copy path) must not move.  Handoffs between
 * GPUs (compositing, compute) are proven the same way: the consumer
 * engine read the very pages the producer engine wrote.  Compute sharing
 * shows nothing: the iGPU checks the result into the one buffer the test
 * maps.
 *
 * vprime.frames=N on the kernel command line sets the frame count (the
 * benchmark runs longer); results go to '# scenario' and '# bench' lines.
 * Each frame is rendered once the one before it is on screen, so that its
 * fence finds the display free and its flip lands on the next vblank;
 * vprime.render_ahead=1 renders it as soon as the one before it is
 * committed instead (more frames per second on a slow host, but a frame
 * whose fence signals while the previous flip is pending waits one more
 * vblank; its figures are named NAME_ahead_*).  vprime.frame_trace=1
 * prints each measured frame's fence, commit and flip-done times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/sync_file.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

#define NBUF 3			/* per producer: one shown, one queued, one rendering */
#define MAX_PROD 8		/* producers: AFR across every dGPU of the topology */
#define MAX_FRAMES 600
#define TAG_IGPU 1
#define TAG_DGPU(n) (2 + (n))
#define DESKTOP_ARGB 0xff203040u	/* compositing: the desktop's background */

struct scen;
/* Render frame i; returns the framebuffer to show, *fence its sync_file */
typedef struct fb *(*render_fn)(struct scen *s, int i, int *fence);

struct scen {
	const char *name;
	struct ctx *c;
	struct kms k;
	struct head *hd;
	uint32_t w, h, pitch;
	uint64_t bytes;			/* one frame */
	int frames;
	uint32_t want[MAX_FRAMES];	/* CRC of each frame, computed on the CPU */
	double fence_ts[MAX_FRAMES];	/* when its fence signalled (s) */
	double commit_ts[MAX_FRAMES];	/* when its flip was committed (s) */
	double flip_ts[MAX_FRAMES];	/* its flip-done (vblank) time (s) */
	/* producers */
	int nprod;			/* how many render in turn (AFR: every dGPU) */
	int gfd[MAX_PROD];
	uint32_t gctx[MAX_PROD];
	char gid[MAX_PROD][16];		/* QOM ids of the producers */
	uint32_t tag[MAX_PROD];		/* their pattern tags */
	struct bo vram[2 * NBUF];	/* producer 0's */
	struct bo shared[MAX_PROD][NBUF]; /* producer g's (foreign: its imports) */
	struct bo imp[2][NBUF];		/* shared[g] as GPU 1 - g imported them */
	struct fb fb[MAX_PROD][NBUF];
	struct fb blank;
	bool foreign;			/* both producers render into the same buffers */
	bool ahead;			/* render the next frame before this flip-done */
	bool trace;			/* a diag line per frame: fence, commit, flip */
	uint32_t wx, wy, ww, wh;	/* compositing: the window on the desktop */
	int prev_fence;			/* AFR: the previous frame's fence */
	/* measured */
	int shown, lat_n, queued, missed;
	double miss_margin;		/* most time before a vblank a missed fence had */
	double fps, lat_us, lat_vbl, lat_us_max, lat_vbl_max;
	double rdy_us, rdy_vbl, rdy_us_max, rdy_vbl_max;
};

static const char *qom_id(struct ctx *c, int kind, int n)
{
	static char id[16];
	int i;

	for (i = 0; i < c->nexp; i++)
		if (c->exp[i].kind == kind && n-- == 0) {
			snprintf(id, sizeof(id), "gpu%d", i);
			return id;
		}
	return NULL;
}

/*
 * The n-th GPU of a kind (bus order: each dGPU sits behind its own root
 * port, in --gpus order, so the n-th dGPU is the n-th one listed).
 */
static int gpu_open_nth(struct ctx *c, int kind, int n)
{
	struct ctx one = *c;
	int i;

	for (i = 0; i < one.ndev; i++)
		if (one.devs[i].kind == kind && n-- > 0)
			one.devs[i].kind = -1;
	return gpu_open(&one, kind);
}

static uint64_t migrations(int fd)
{
	return gpu_migrations(fd);
}

/* When a sync_file's (last) fence signalled, CLOCK_MONOTONIC seconds */
static double fence_signal_time(int fd)
{
	struct sync_fence_info fi[4];
	struct sync_file_info info = { .num_fences = 4,
				       .sync_fence_info = (uintptr_t)fi };
	double t = 0;
	uint32_t i;

	memset(fi, 0, sizeof(fi));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return 0;
	for (i = 0; i < info.num_fences && i < 4; i++)
		if (fi[i].timestamp_ns / 1e9 > t)
			t = fi[i].timestamp_ns / 1e9;
	return t;
}

/* A dma-buf of a GPU BO as a display framebuffer */
static int share_with_display(struct scen *s, int gfd, const struct bo *b,
			      struct fb *f)
{
	int dfd = prime_export(gfd, b->handle), ret;

	if (dfd < 0)
		return dfd;
	ret = fb_import(&s->k, f, dfd, s->w, s->h, s->pitch, DRM_FORMAT_XRGB8888,
			DRM_FORMAT_MOD_LINEAR);
	close(dfd);
	return ret;
}

/* The test pattern, full screen */
static struct vprime_cmd scen_pattern(const struct scen *s, uint64_t va,
				      int frame, uint32_t tag)
{
	return pattern(va, s->pitch, s->w, s->h, frame, tag);
}

static int host_reset_stats(struct scen *s)
{
	char id[16];
	int i, ret = 0;

	/* QOM ids: gpu<i> in --gpus order (the topology's order), display0 */
	for (i = 0; i < s->c->nexp && !ret; i++) {
		if (s->c->exp[i].kind == VPRIME_KIND_DISPLAY)
			snprintf(id, sizeof(id), "display0");
		else
			snprintf(id, sizeof(id), "gpu%d", i);
		ret = host_qom_set_bool(id, "stats-reset", true);
	}
	return ret;
}

static int scen_open(struct scen *s, struct ctx *c, const char *name)
{
	char arg[32], cmdline[4096], *p;
	int ret;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->c = c;
	s->prev_fence = -1;
	for (ret = 0; ret < MAX_PROD; ret++)
		s->gfd[ret] = -1;
	s->frames = 12;
	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	    (p = strstr(cmdline, "vprime.frames=")))
		s->frames = atoi(p + strlen("vprime.frames="));
	s->ahead = strstr(cmdline, "vprime.render_ahead=1") != NULL;
	s->trace = strstr(cmdline, "vprime.frame_trace=1") != NULL;
	if (s->frames < 2 || s->frames > MAX_FRAMES) {
		diag("FAIL: vprime.frames=%d: 2 to %d", s->frames, MAX_FRAMES);
		return EXIT_FAIL;
	}
	ret = kms_open(c, &s->k);
	if (ret)
		return ret;
	s->hd = NULL;
	for (ret = 0; ret < s->k.nheads && !s->hd; ret++)
		if (s->k.heads[ret].connected)
			s->hd = &s->k.heads[ret];
	if (!s->hd) {
		diag("FAIL: no connected head");
		return EXIT_FAIL;
	}
	s->w = s->hd->mode.hdisplay;
	s->h = s->hd->mode.vdisplay;
	s->pitch = s->w * 4;
	s->bytes = (uint64_t)s->pitch * s->h;
	snprintf(arg, sizeof(arg), "%ux%u", s->w, s->h);
	diag("%s: %d frames at %s", name, s->frames, arg);
	return 0;
}

/* CRC of the test pattern (frame, tag) full screen */
static uint32_t pattern_crc(const struct scen *s, int frame, uint32_t tag)
{
	struct fb ref = { .width = s->w, .height = s->h, .pitch = s->pitch,
			  .format = DRM_FORMAT_XRGB8888 };
	uint32_t crc;

	ref.map = malloc(s->bytes);
	fb_fill_pattern(&ref, frame, tag);
	crc = fb_crc(&ref);
	free(ref.map);
	return crc;
}

static int read_flip_event(int fd, int ms, struct drm_event_vblank *ev)
{
	if (!read_event(fd, ms, ev))
		return -ETIMEDOUT;
	return ev->base.type == DRM_EVENT_FLIP_COMPLETE ? 0 : -EPROTO;
}

/* Collected CRCs: the frame each composed picture was (-1: none of them) */
struct crc_log {
	int n;
	int frame[4096];
	uint32_t crc[4096];
};

static void crc_collect(struct scen *s, struct crc_log *log)
{
	uint32_t seq[128], crc[128];
	int n = crc_read(s->hd, seq, crc, 128), i, f;

	for (i = 0; i < n && log->n < 4096; i++) {
		for (f = s->frames - 1; f >= 0 && s->want[f] != crc[i]; f--)
			;
		log->frame[log->n] = f;
		log->crc[log->n++] = crc[i];
	}
}

/* Vblanks (of the given period) in dt seconds, rounded up */
static unsigned int vblanks_in(double dt, double period)
{
	unsigned int n = dt > 0 ? dt / period : 0;

	return n + (dt > n * period);
}

/*
 * The timing of frame i (measured frames only: the last three quarters),
 * flipped at its flip-done s->flip_ts[i], vblank seq (the previous one at
 * s0): the handoff latency from its fence, the latency from when it was
 * ready, whether it queued behind the previous flip or missed the vblank
 * after it was ready (and by how much).
 */
static void account_frame(struct scen *s, int i, unsigned int seq, unsigned int s0,
			  double period)
{
	double flip_ts = s->flip_ts[i];
	/* handoff: the producer's fence to the frame on screen */
	double us = (flip_ts - s->fence_ts[i]) * 1e6;
	/* vblanks after the fence; 0.1 ms for timestamp jitter */
	double vbl = vblanks_in(flip_ts - s->fence_ts[i] - 1e-4, period);
	/*
	 * ready: the latest of the fence, the previous frame's vblank (one
	 * flip per vblank: a frame whose fence came first queued behind the
	 * one before it) and the commit
	 */
	double rdy = s->fence_ts[i];

	if (s->flip_ts[i - 1] > rdy) {
		rdy = s->flip_ts[i - 1];
		s->queued++;
	}
	/* nor before this program committed it */
	if (s->commit_ts[i] > rdy)
		rdy = s->commit_ts[i];
	s->lat_us += us;
	s->lat_vbl += vbl;
	s->lat_us_max = us > s->lat_us_max ? us : s->lat_us_max;
	s->lat_vbl_max = vbl > s->lat_vbl_max ? vbl : s->lat_vbl_max;
	us = (flip_ts - rdy) * 1e6;
	vbl = rdy == s->flip_ts[i - 1] ? seq - s0 : vblanks_in(flip_ts - rdy - 1e-4, period);
	s->rdy_us += us;
	s->rdy_vbl += vbl;
	s->rdy_us_max = us > s->rdy_us_max ? us : s->rdy_us_max;
	s->rdy_vbl_max = vbl > s->rdy_vbl_max ? vbl : s->rdy_vbl_max;
	if (vbl > 1) {
		/* missed the vblank after it was ready: by how much */
		double off = rdy - s->flip_ts[i - 1];
		double margin = period - (off - (unsigned int)(off / period) * period);

		s->missed++;
		if (margin > s->miss_margin)
			s->miss_margin = margin;
	}
	s->lat_n++;
	if (s->trace)
		diag("%s frame %d: fence %+.2f ms commit %+.2f ms flip %+.2f ms (prev flip) seq %u",
		     s->name, i, (s->fence_ts[i] - s->flip_ts[i - 1]) * 1e3,
		     (s->commit_ts[i] - s->flip_ts[i - 1]) * 1e3,
		     (flip_ts - s->flip_ts[i - 1]) * 1e3, seq);
}

/*
 * The composed pictures of the CRC log in order: each one the last frame
 * or the next one (the blank screen before frame 0 allowed); how many
 * frames were shown, failures counted.
 */
static int frames_in_order(struct scen *s, const struct crc_log *log)
{
	int i, last = -1, bad = 0;

	for (i = 0; i < log->n; i++) {
		int f = log->frame[i];

		if (f < 0 && last < 0)
			continue;	/* the blank screen before frame 0 */
		if (f < 0 || f < last || f > last + 1) {
			if (bad++ < 4)
				diag("FAIL: composed picture %d (CRC 0x%08x) is %s after frame %d",
				     i, log->crc[i], f < 0 ? "no frame (torn or foreign)" :
				     f < last ? "an older frame (stale)" : "a later frame (skip)",
				     last);
			failures++;
			continue;
		}
		last = f;
	}
	CHECK(last == s->frames - 1, "the last frame seen is %d of %d", last, s->frames);
	return last + 1;
}

/*
 * Present s->frames frames, each flip behind its render's fence
 * (IN_FENCE_FD), one flip per vblank at most; frame i + 1 rendered once
 * frame i is on screen (or, s->ahead, while frame i's flip waits).  Checks the
 * frames appear in order, each once or more, nothing else in between.
 */
static int present(struct scen *s, render_fn render)
{
	static struct crc_log log;
	struct drm_event_vblank ev;
	double period = mode_period_ns(&s->hd->mode) / 1e9, t0;
	struct fb *next;
	int fence, i, ret;
	uint32_t s0 = 0;

	log.n = 0;
	next = render(s, 0, &fence);
	if (!next)
		return EXIT_FAIL;
	crc_read(s->hd, (uint32_t[128]){ 0 }, (uint32_t[128]){ 0 }, 128);
	t0 = mono_s();
	for (i = 0; i < s->frames; i++) {
		drmModeAtomicReq *req = drmModeAtomicAlloc();
		struct fb *cur = next;
		int cur_fence = fence;
		double flip_ts;

		plane_props(req, &s->k, s->hd->plane[VPRIME_PLANE_PRIMARY], s->hd->crtc,
			    cur, 0, 0, 0, 0, s->w, s->h);
		add_prop(req, s->k.fd, s->hd->plane[VPRIME_PLANE_PRIMARY],
			 DRM_MODE_OBJECT_PLANE, "IN_FENCE_FD", cur_fence);
		s->commit_ts[i] = mono_s();
		ret = drmModeAtomicCommit(s->k.fd, req, DRM_MODE_ATOMIC_NONBLOCK |
					  DRM_MODE_PAGE_FLIP_EVENT, NULL) ? -errno : 0;
		drmModeAtomicFree(req);
		CHECK(!ret, "flip to frame %d: %s", i, strerror(-ret));
		if (ret)
			break;
		if (s->ahead && i + 1 < s->frames) {
			next = render(s, i + 1, &fence);
			if (!next)
				break;
		}
		ret = read_flip_event(s->k.fd, 10000, &ev);
		CHECK(!ret, "no flip-done for frame %d", i);
		if (ret)
			break;
		CHECK(sync_file_status(cur_fence) == 1,
		      "frame %d flipped before its render fence signalled", i);
		s->fence_ts[i] = fence_signal_time(cur_fence);
		flip_ts = ev.tv_sec + ev.tv_usec / 1e6;
		if (i && ev.sequence <= s0)
			CHECK(0, "flip %d at vblank %u, not after %u", i, ev.sequence, s0);
		s->flip_ts[i] = flip_ts;
		if (s->fence_ts[i] > 0 && i && i >= s->frames / 4)
			account_frame(s, i, ev.sequence, s0, period);
		s0 = ev.sequence;
		close(cur_fence);
		crc_collect(s, &log);
		/*
		 * Render the next frame only now that this one is on screen:
		 * rendered earlier, its fence would signal while this flip
		 * still holds the display, and it would wait a whole vblank
		 * behind it (fence to flip-done two vblanks, not one)
		 */
		if (!s->ahead && i + 1 < s->frames) {
			next = render(s, i + 1, &fence);
			if (!next)
				break;
		}
	}
	s->fps = i / (mono_s() - t0);
	wait_vblanks(&s->k, s->hd, 2, NULL);
	crc_collect(s, &log);
	if (failures)
		return EXIT_FAIL;

	s->shown = frames_in_order(s, &log);
	diag("%s: %d frames shown in order (device CRC of every composed frame), "
	     "%d CRC entries, %.1f fps", s->name, s->shown, log.n, s->fps);
	return failures ? EXIT_FAIL : 0;
}

/* A counter the host must read with this value (QOM id, property) */
struct want {
	const char *dev, *prop;
	uint64_t value;
};

/* Two page lists (QOM id, property) that must be the same pages, or a within b */
struct link {
	const char *a_dev, *a_prop, *b_dev, *b_prop;
	bool within;
};

#define RD_SYS "stat-bytes-read-sysram"
#define RD_VRAM "stat-bytes-read-vram"
#define RD_PEER "stat-bytes-read-peer"
#define WR_SYS "stat-bytes-written-sysram"
#define WR_VRAM "stat-bytes-written-vram"
#define WR_PEER "stat-bytes-written-peer"

/*
 * Ask the host for the zero-copy proof.  want: counters the host must
 * read, rows of one device together, ended by a NULL dev; the plane must
 * scan the pages engine 'engine' of 'producer' wrote last (no producer:
 * a handoff between GPUs, not shown); links (ended by a NULL a_dev, or
 * NULL): more page lists that must match (agent.py "zero-copy").  The
 * host's reply says what it measured.  0, EXIT_SKIP without a host agent.
 */
static int host_proof(struct scen *s, const char *name, const char *producer,
		      const char *engine, const struct want *want,
		      const struct link *links)
{
	const char *dev = NULL;
	struct hreply rep;
	struct hmsg m;
	int ret;

	hmsg_start(&m, "zero-copy");
	hmsg_str(&m, "name", name);
	if (producer) {
		hmsg_str(&m, "producer", producer);
		hmsg_str(&m, "engine", engine);
		hmsg_str(&m, "display", "display0");
		hmsg_int(&m, "head", s->hd->index);
		hmsg_int(&m, "plane", VPRIME_PLANE_PRIMARY);
		hmsg_u64(&m, "frame_bytes", s->bytes);
	}
	hmsg_open(&m, "expect", '{');
	for (; want && want->dev; want++) {
		if (!dev || strcmp(dev, want->dev)) {
			if (dev)
				hmsg_close(&m);
			dev = want->dev;
			hmsg_open(&m, dev, '{');
		}
		hmsg_u64(&m, want->prop, want->value);
	}
	if (dev)
		hmsg_close(&m);
	hmsg_close(&m);
	hmsg_open(&m, "pages", '[');
	for (; links && links->a_dev; links++) {
		hmsg_open(&m, NULL, '{');
		hmsg_open(&m, "a", '[');
		hmsg_str(&m, NULL, links->a_dev);
		hmsg_str(&m, NULL, links->a_prop);
		hmsg_close(&m);
		hmsg_open(&m, "b", '[');
		hmsg_str(&m, NULL, links->b_dev);
		hmsg_str(&m, NULL, links->b_prop);
		hmsg_close(&m);
		hmsg_str(&m, "rel", links->within ? "within" : "equal");
		hmsg_close(&m);
	}
	ret = host_call(&m, &rep, 120);
	if (ret == -ENODEV)
		return EXIT_SKIP;
	CHECK(!ret && rep.ok, "host zero-copy proof %s: %s", name,
	      ret ? strerror(-ret) : hreply_why(&rep));
	if (!ret && rep.ok)
		diag("host: %s: %s", name, hreply_why(&rep));
	return 0;
}

/*
 * The last frame as the host sees it: screendump vs the pattern (in the
 * window on the background when compositing), saved
 */
static int host_screendump(struct scen *s, int frame, uint32_t tag)
{
	struct hreply rep;
	struct hmsg m;
	int ret;

	hmsg_screendump(&m, s->hd->index, s->w, s->h, frame, tag, s->name);
	if (s->ww) {
		hmsg_open(&m, "window", '[');
		hmsg_u64(&m, NULL, s->wx);
		hmsg_u64(&m, NULL, s->wy);
		hmsg_u64(&m, NULL, s->ww);
		hmsg_u64(&m, NULL, s->wh);
		hmsg_close(&m);
		hmsg_u64(&m, "background", DESKTOP_ARGB & 0xffffff);
	}
	ret = host_call(&m, &rep, 60);
	if (ret == -ENODEV)
		return EXIT_SKIP;
	CHECK(!ret && rep.ok, "host screendump: %s", ret ? strerror(-ret) : hreply_why(&rep));
	return 0;
}

/*
 * Blank screen, counters cleared: what the scenario then does is all.
 * A scenario may start again (a new set of buffers).
 */
static int scen_start(struct scen *s)
{
	int ret = 0;

	if (!s->blank.fb_id)
		ret = fb_new(&s->k, &s->blank, s->w, s->h, DRM_FORMAT_XRGB8888,
			     DRM_FORMAT_MOD_LINEAR);
	CHECK(!ret, "blank fb: %s", strerror(-ret));
	if (!ret)
		ret = head_enable(&s->k, s->hd, &s->blank, 0);
	CHECK(!ret, "mode set: %s", strerror(-ret));
	crc_stop(s->hd);
	if (ret || crc_start(&s->k, s->hd))
		return EXIT_FAIL;
	wait_vblanks(&s->k, s->hd, 2, NULL);
	ret = host_reset_stats(s);
	if (ret && ret != -ENODEV)
		CHECK(0, "host stats reset: %s", strerror(-ret));
	return 0;
}

/* Free every buffer (the display shows the blank one first) */
static void scen_free_buffers(struct scen *s)
{
	int g, j;

	if (s->blank.fb_id && s->hd->on)
		head_enable(&s->k, s->hd, &s->blank, 0);
	for (g = 0; g < MAX_PROD; g++) {
		for (j = 0; j < NBUF; j++) {
			if (s->fb[g][j].fb_id)
				fb_free(&s->k, &s->fb[g][j]);
			if (s->shared[g][j].handle)
				bo_free(s->gfd[g], &s->shared[g][j]);
			if (g < 2 && s->imp[g][j].handle)
				bo_free(s->gfd[1 - g], &s->imp[g][j]);
		}
	}
	for (j = 0; j < 2 * NBUF; j++)
		if (s->vram[j].handle)
			bo_free(s->gfd[0], &s->vram[j]);
	memset(s->fb, 0, sizeof(s->fb));
	memset(s->shared, 0, sizeof(s->shared));
	memset(s->imp, 0, sizeof(s->imp));
	memset(s->vram, 0, sizeof(s->vram));
	if (s->prev_fence >= 0)
		close(s->prev_fence);
	s->prev_fence = -1;
}

static void scen_close(struct scen *s)
{
	int g;

	crc_stop(s->hd);
	kms_disable_all(&s->k);
	scen_free_buffers(s);
	if (s->blank.fb_id)
		fb_free(&s->k, &s->blank);
	for (g = 0; g < MAX_PROD; g++)
		if (s->gfd[g] >= 0)
			close(s->gfd[g]);
	kms_close(&s->k);
}

/*
 * Figures for make run and make bench, all measured here; what was
 * copied, and by whom, is the host's to say (its zero-copy proof reads
 * the devices' counters)
 */
static void report(struct scen *s)
{
	char nm[40];

	snprintf(nm, sizeof(nm), "%s%s", s->name, s->ahead ? "_ahead" : "");
	printf("# scenario %s frames_shown %d fps %.1f\n", s->name, s->shown, s->fps);
	printf("# bench %s_%ux%u_fps %.1f fps\n", nm, s->w, s->h, s->fps);
	if (s->lat_n) {
		printf("# bench %s_%ux%u_handoff_latency %.1f us\n", nm, s->w, s->h,
		       s->lat_us / s->lat_n);
		printf("# bench %s_%ux%u_handoff_latency_vblanks %.2f vblanks\n", nm,
		       s->w, s->h, s->lat_vbl / s->lat_n);
		printf("# bench %s_%ux%u_handoff_latency_worst %.1f us\n", nm, s->w, s->h,
		       s->lat_us_max);
		printf("# bench %s_%ux%u_handoff_latency_vblanks_worst %.0f vblanks\n", nm,
		       s->w, s->h, s->lat_vbl_max);
		printf("# bench %s_%ux%u_ready_latency %.1f us\n", nm, s->w, s->h,
		       s->rdy_us / s->lat_n);
		printf("# bench %s_%ux%u_ready_latency_vblanks %.2f vblanks\n", nm,
		       s->w, s->h, s->rdy_vbl / s->lat_n);
		printf("# bench %s_%ux%u_ready_latency_vblanks_worst %.0f vblanks\n", nm,
		       s->w, s->h, s->rdy_vbl_max);
		printf("# bench %s_%ux%u_handoff_frames %d frames\n", nm, s->w, s->h,
		       s->lat_n);
		printf("# bench %s_%ux%u_handoff_queued %d frames\n", nm, s->w, s->h,
		       s->queued);
		printf("# bench %s_%ux%u_handoff_missed %d frames\n", nm, s->w, s->h,
		       s->missed);
		printf("# bench %s_%ux%u_handoff_missed_margin_worst %.1f us\n", nm, s->w, s->h,
		       s->miss_margin * 1e6);
	}
}

/* Allocate NBUF frames on GPU g, shown through PRIME */
static int shared_buffers(struct scen *s, int g)
{
	int j, ret = 0;

	for (j = 0; j < NBUF && !ret; j++) {
		ret = bo_create(s->gfd[g], s->bytes, 0, false, &s->shared[g][j]);
		if (!ret)
			ret = share_with_display(s, s->gfd[g], &s->shared[g][j], &s->fb[g][j]);
	}
	CHECK(!ret, "%s: shared buffers of producer %d: %s", s->name, g, strerror(-ret));
	return ret;
}

/*
 * Producer g: the n-th GPU of a kind, its QOM id, pattern tag and a
 * context; false (the test skips, saying why) when there is no such GPU.
 */
static bool producer_open(struct scen *s, int g, int kind, int n)
{
	s->gfd[g] = gpu_open_nth(s->c, kind, n);
	if (s->gfd[g] < 0) {
		printf("# SKIP needs %s %s\n", n ? "a second" : "a",
		       kind == VPRIME_KIND_DGPU ? "dGPU" : "iGPU");
		return false;
	}
	snprintf(s->gid[g], sizeof(s->gid[g]), "%s", qom_id(s->c, kind, n));
	s->tag[g] = kind == VPRIME_KIND_DGPU ? TAG_DGPU(n) : TAG_IGPU;
	s->gctx[g] = ctx_new(s->gfd[g]);
	if (g >= s->nprod)
		s->nprod = g + 1;
	return true;
}

/* Report, clean up; a run without the host agent skips, saying why */
static int scen_finish(struct scen *s, int proof)
{
	report(s);
	scen_close(s);
	if (failures)
		return EXIT_FAIL;
	if (proof == EXIT_SKIP) {
		printf("# SKIP no host agent for the zero-copy proof (the harness provides it)\n");
		return EXIT_SKIP;
	}
	return 0;
}

/* ---- 1: Optimus render offload -------------------------------------------- */

/*
 * The dGPU renders in its VRAM, then its copy engine copies the frame into
 * a system-memory buffer the display imported (the display cannot reach
 * VRAM): Optimus' PRIME render offload.  One device copy per frame, no CPU
 * copy; the copy waits for the render through the VRAM BO's reservation.
 */
static struct fb *render_optimus(struct scen *s, int i, int *fence)
{
	int j = i % NBUF, ret;
	struct vprime_cmd cmd = scen_pattern(s, s->vram[j].va, i, TAG_DGPU(0));
	const struct bo *rb[1] = { &s->vram[j] }, *cb[2] = { &s->vram[j], &s->shared[0][j] };
	struct submit_opts ro = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct submit_opts co = { .engine = VPRIME_ENGINE_COPY, .in_fd = -1, .out_fd = true };

	ret = submit(s->gfd[0], s->gctx[0], &cmd, 1, rb, 1, &ro, NULL);
	CHECK(!ret, "dGPU render of frame %d: %s", i, strerror(-ret));
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = VPRIME_OP_COPY;
	cmd.copy.src = s->vram[j].va;
	cmd.copy.dst = s->shared[0][j].va;
	cmd.copy.size = s->bytes;
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], &cmd, 1, cb, 2, &co, fence);
	CHECK(!ret, "dGPU copy of frame %d: %s", i, strerror(-ret));
	return ret ? NULL : &s->fb[0][j];
}

int test_scenario_optimus(struct ctx *c)
{
	struct scen s;
	uint64_t mig0, n;
	int ret, j, proof;

	ret = scen_open(&s, c, "optimus");
	if (ret)
		return ret;
	if (!producer_open(&s, 0, VPRIME_KIND_DGPU, 0))
		return EXIT_SKIP;
	mig0 = migrations(s.gfd[0]);
	for (j = 0; j < NBUF && !ret; j++)
		ret = bo_create(s.gfd[0], s.bytes, VPRIME_GEM_VRAM, false, &s.vram[j]);
	CHECK(!ret, "VRAM frames: %s", strerror(-ret));
	if (ret || shared_buffers(&s, 0))
		return EXIT_FAIL;
	for (j = 0; j < s.frames; j++)
		s.want[j] = pattern_crc(&s, j, TAG_DGPU(0));
	if (scen_start(&s) || present(&s, render_optimus))
		goto out;
	CHECK(migrations(s.gfd[0]) == mig0, "the driver migrated %" PRIu64 " BOs (a copy)",
	      migrations(s.gfd[0]) - mig0);
	n = (uint64_t)s.frames * s.bytes;
	/* render to VRAM, copy engine VRAM -> the shared system pages, once */
	proof = host_proof(&s, s.name, s.gid[0], "copy", (const struct want[]) {
		{ s.gid[0], WR_VRAM, n }, { s.gid[0], RD_VRAM, n },
		{ s.gid[0], WR_SYS, n }, { s.gid[0], RD_SYS, 0 },
		{ s.gid[0], RD_PEER, 0 }, { s.gid[0], WR_PEER, 0 }, { 0 } }, NULL);
	if (!failures)
		host_screendump(&s, s.frames - 1, TAG_DGPU(0));
	return scen_finish(&s, proof);
out:
	scen_close(&s);
	return EXIT_FAIL;
}

/* ---- 2: iGPU / SoC path ------------------------------------------------------ */

static struct fb *render_direct(struct scen *s, int i, int *fence)
{
	/*
	 * AFR takes the producers in turn, each with its own buffers; a
	 * single producer is producer 0; foreign buffers are both producers'.
	 */
	int n = s->nprod > 1 ? s->nprod : 1;
	int g = i % n;
	int j = (s->foreign ? i : i / n) % NBUF, ret;
	struct vprime_cmd cmd = scen_pattern(s, s->shared[g][j].va, i, s->tag[g]);
	const struct bo *bos[1] = { &s->shared[g][j] };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = s->prev_fence,
				 .out_fd = true };

	ret = submit(s->gfd[g], s->gctx[g], &cmd, 1, bos, 1, &o, fence);
	CHECK(!ret, "%s render of frame %d: %s", s->gid[g], i, strerror(-ret));
	if (ret)
		return NULL;
	if (n > 1) {
		/* AFR: the next frame's render waits for this one, across GPUs */
		if (s->prev_fence >= 0)
			close(s->prev_fence);
		s->prev_fence = dup(*fence);
	}
	return &s->fb[s->foreign ? 0 : g][j];
}

/* The iGPU renders into system memory; the display scans the same pages */
int test_scenario_igpu(struct ctx *c)
{
	struct scen s;
	int ret, j, proof;
	uint64_t mig0;

	ret = scen_open(&s, c, "igpu");
	if (ret)
		return ret;
	if (!producer_open(&s, 0, VPRIME_KIND_IGPU, 0))
		return EXIT_SKIP;
	mig0 = migrations(s.gfd[0]);
	if (shared_buffers(&s, 0))
		return EXIT_FAIL;
	for (j = 0; j < s.frames; j++)
		s.want[j] = pattern_crc(&s, j, TAG_IGPU);
	if (scen_start(&s) || present(&s, render_direct))
		goto out;
	CHECK(migrations(s.gfd[0]) == mig0, "the driver migrated a BO");
	proof = host_proof(&s, s.name, s.gid[0], "render", (const struct want[]) {
		{ s.gid[0], WR_SYS, (uint64_t)s.frames * s.bytes },
		{ s.gid[0], RD_SYS, 0 }, { s.gid[0], WR_PEER, 0 }, { 0 } }, NULL);
	if (!failures)
		host_screendump(&s, s.frames - 1, TAG_IGPU);
	return scen_finish(&s, proof);
out:
	scen_close(&s);
	return EXIT_FAIL;
}

/* ---- 4: alternate-frame rendering on two dGPUs -------------------------------- */

/*
 * Even frames from dGPU 0, odd from dGPU 1, each straight into a buffer
 * the display imported.  Each render waits for the previous frame's fence
 * from the other GPU (a cross-device sync_file), so frames complete in
 * order even when one GPU is slower (the harness makes dGPU 1 slower with
 * --gpu-timing); the display shows them in order.
 */
/* The counters of AFR across n dGPUs: each wrote its frames to system RAM */
static void afr_want(const struct scen *s, struct want *w)
{
	int g, n = s->nprod;

	for (g = 0; g < n; g++) {
		*w++ = (struct want){ s->gid[g], WR_SYS,
				      (uint64_t)((s->frames - g + n - 1) / n) * s->bytes };
		*w++ = (struct want){ s->gid[g], WR_VRAM, 0 };
		*w++ = (struct want){ s->gid[g], RD_VRAM, 0 };
	}
	*w = (struct want){ 0 };
}

int test_scenario_afr(struct ctx *c)
{
	struct want want[3 * MAX_PROD + 1];
	struct scen s;
	int ret, g, j, i, n, proof;

	ret = scen_open(&s, c, "afr");
	if (ret)
		return ret;
	/* every dGPU found, at least two */
	for (i = n = 0; i < c->ndev; i++)
		n += c->devs[i].kind == VPRIME_KIND_DGPU;
	for (g = 0; g < MAX_PROD && (g < 2 || g < n); g++) {
		if (!producer_open(&s, g, VPRIME_KIND_DGPU, g)) {
			scen_close(&s);
			if (g < 2)
				return EXIT_SKIP;
			CHECK(0, "dGPU %d of %d cannot be opened", g, n);
			return EXIT_FAIL;
		}
		if (shared_buffers(&s, g))
			return EXIT_FAIL;
		for (i = 0; i < g; i++)
			if (!strcmp(s.gid[i], s.gid[g])) {
				CHECK(0, "dGPUs %d and %d are both %s", i, g, s.gid[g]);
				return EXIT_FAIL;
			}
	}
	diag("afr: %d dGPUs render frames in turn", s.nprod);
	for (j = 0; j < s.frames; j++)
		s.want[j] = pattern_crc(&s, j, TAG_DGPU(j % s.nprod));
	if (scen_start(&s) || present(&s, render_direct))
		goto out;
	for (i = 1; i < s.frames; i++)
		CHECK(s.fence_ts[i] >= s.fence_ts[i - 1],
		      "frame %d (%s) finished %.3f ms before frame %d", i, s.gid[i % s.nprod],
		      (s.fence_ts[i - 1] - s.fence_ts[i]) * 1e3, i - 1);
	diag("afr: render fences signalled in frame order across the %d dGPUs", s.nprod);
	afr_want(&s, want);
	proof = host_proof(&s, s.name, s.gid[(s.frames - 1) % s.nprod], "render", want, NULL);
	if (!failures)
		host_screendump(&s, s.frames - 1, TAG_DGPU((s.frames - 1) % s.nprod));
	return scen_finish(&s, proof);
out:
	scen_close(&s);
	return EXIT_FAIL;
}

/* ---- 3: hybrid compositing ------------------------------------------------ */

/* NBUF system-memory buffers of producer g, each imported by the other GPU */
static int peer_buffers(struct scen *s, int g, uint64_t size)
{
	int j, dfd = 0;

	for (j = 0; j < NBUF && dfd >= 0; j++) {
		dfd = bo_create(s->gfd[g], size, 0, false, &s->shared[g][j]);
		if (!dfd)
			dfd = prime_share(s->gfd[g], s->shared[g][j].handle, s->gfd[1 - g],
					  &s->imp[g][j]);
		if (dfd > 0)
			close(dfd);
	}
	CHECK(dfd >= 0, "%s: buffers of %s for %s: %s", s->name, s->gid[g], s->gid[1 - g],
	      strerror(-dfd));
	return dfd < 0 ? dfd : 0;
}

/* CRC of the desktop: the background with the window's pattern on it */
static uint32_t composite_crc(const struct scen *s, int frame)
{
	uint32_t *desk = malloc(s->bytes), crc;
	struct fb win = { .width = s->ww, .height = s->wh, .pitch = s->pitch,
			  .format = DRM_FORMAT_XRGB8888 };
	size_t i;

	for (i = 0; i < (size_t)s->w * s->h; i++)
		desk[i] = DESKTOP_ARGB & 0xffffff;
	win.map = (uint8_t *)(desk + (size_t)s->wy * s->w + s->wx);
	fb_fill_pattern(&win, frame, s->tag[1]);
	crc = frame_crc(desk, s->w, s->h);
	free(desk);
	return crc;
}

/*
 * The dGPU (producer 1) renders the window straight into a system-memory
 * buffer it exports; the iGPU (producer 0) imported it and composites the
 * desktop the display imported: its copy engine clears the desktop (FILL),
 * its render engine BLITs the window onto it once the dGPU's fence (a
 * sync_file across devices) and the clear (the desktop's reservation) have
 * signalled.  The iGPU reads the window in place: the composition is the
 * only copy, and it is the frame's reason to exist.
 */
static struct fb *render_composite(struct scen *s, int i, int *fence)
{
	int j = i % NBUF, wfence = -1, ret;
	struct vprime_cmd cmd = pattern(s->shared[1][j].va, s->ww * 4, s->ww, s->wh,
					     i, s->tag[1]);
	const struct bo *win[1] = { &s->shared[1][j] }, *desk[1] = { &s->shared[0][j] };
	const struct bo *both[2] = { &s->imp[1][j], &s->shared[0][j] };
	struct submit_opts wo = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1, .out_fd = true };
	struct submit_opts fo = { .engine = VPRIME_ENGINE_COPY, .in_fd = -1 };
	struct submit_opts bo = { .engine = VPRIME_ENGINE_RENDER, .out_fd = true };

	ret = submit(s->gfd[1], s->gctx[1], &cmd, 1, win, 1, &wo, &wfence);
	CHECK(!ret, "dGPU window of frame %d: %s", i, strerror(-ret));
	cmd = fill(s->shared[0][j].va, s->pitch, s->w, s->h, VPRIME_FMT_XRGB8888, DESKTOP_ARGB);
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], &cmd, 1, desk, 1, &fo, NULL);
	CHECK(!ret, "iGPU desktop clear of frame %d: %s", i, strerror(-ret));
	cmd = blit_cmd(s->imp[1][j].va, s->ww * 4, VPRIME_FMT_XRGB8888,
		       s->shared[0][j].va + (uint64_t)s->wy * s->pitch + s->wx * 4, s->pitch,
		       VPRIME_FMT_XRGB8888, s->ww, s->wh);
	bo.in_fd = wfence;
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], &cmd, 1, both, 2, &bo, fence);
	CHECK(!ret, "iGPU composition of frame %d: %s", i, strerror(-ret));
	if (wfence >= 0)
		close(wfence);
	return ret ? NULL : &s->fb[0][j];
}

int test_scenario_composite(struct ctx *c)
{
	struct scen s;
	uint64_t mig0[2], n, b, wb;
	char plane[32];
	int ret, j, g, proof;

	ret = scen_open(&s, c, "composite");
	if (ret)
		return ret;
	if (!producer_open(&s, 0, VPRIME_KIND_IGPU, 0) ||
	    !producer_open(&s, 1, VPRIME_KIND_DGPU, 0)) {
		scen_close(&s);
		return EXIT_SKIP;
	}
	s.ww = s.w / 2;
	s.wh = s.h / 2;
	s.wx = s.w / 8;
	s.wy = s.h / 8;
	for (g = 0; g < 2; g++)
		mig0[g] = migrations(s.gfd[g]);
	if (shared_buffers(&s, 0) || peer_buffers(&s, 1, (uint64_t)s.ww * 4 * s.wh))
		goto out;
	for (j = 0; j < s.frames; j++)
		s.want[j] = composite_crc(&s, j);
	if (scen_start(&s) || present(&s, render_composite))
		goto out;
	for (g = 0; g < 2; g++)
		CHECK(migrations(s.gfd[g]) == mig0[g], "%s migrated a BO (a copy)", s.gid[g]);
	n = s.frames;
	b = s.bytes;
	wb = (uint64_t)s.ww * 4 * s.wh;
	/*
	 * The dGPU wrote each window once, in system memory; the iGPU read it
	 * once (the BLIT) and wrote the desktop and the window onto it.
	 */
	snprintf(plane, sizeof(plane), "head%d-plane%d-pages", s.hd->index, VPRIME_PLANE_PRIMARY);
	/* the BLIT read the dGPU's window pages and wrote into the desktop shown */
	proof = host_proof(&s, s.name, s.gid[0], "copy", (const struct want[]) {
		{ s.gid[0], WR_SYS, n * (b + wb) }, { s.gid[0], RD_SYS, n * wb },
		{ s.gid[0], WR_VRAM, 0 }, { s.gid[0], RD_VRAM, 0 },
		{ s.gid[0], RD_PEER, 0 }, { s.gid[0], WR_PEER, 0 },
		{ s.gid[1], WR_SYS, n * wb }, { s.gid[1], RD_SYS, 0 },
		{ s.gid[1], WR_VRAM, 0 }, { s.gid[1], RD_VRAM, 0 },
		{ s.gid[1], RD_PEER, 0 }, { s.gid[1], WR_PEER, 0 }, { 0 } },
		(const struct link[]) {
		{ s.gid[0], "render-last-read-pages", s.gid[1], "render-last-write-pages", false },
		{ s.gid[0], "render-last-write-pages", "display0", plane, true }, { 0 } });
	if (!failures)
		host_screendump(&s, s.frames - 1, s.tag[1]);
	return scen_finish(&s, proof);
out:
	scen_close(&s);
	return EXIT_FAIL;
}

/* ---- 5: compute sharing --------------------------------------------------- */

#define COMPUTE_FILL_ARGB 0xff10e0a0u	/* the dGPU's transform fills a sub-rect */
#define COMPUTE_RECT_XY 64		/* its origin (x and y): tile aligned */

static uint32_t xrgb_to_xbgr(uint32_t v)
{
	return (v & 0xff) << 16 | (v & 0xff00) | ((v >> 16) & 0xff);
}

/*
 * The dGPU's tiled layout: NVIDIA block linear (blocks of 64 B x 64 rows,
 * 4 KiB), which the iGPU does not take: what the dGPU shares with it is
 * linear
 */
#define COMPUTE_TILE_W		64
#define COMPUTE_TILE_H		64

/* GPU VA of pixel (x, y) of a block-linear surface, (x, y) on a block corner */
static uint64_t tiled_at(uint64_t va, uint32_t pitch, uint32_t x, uint32_t y)
{
	return va + ((uint64_t)(y / COMPUTE_TILE_H) * (pitch / COMPUTE_TILE_W) +
		     x * 4 / COMPUTE_TILE_W) * 4096;
}

static int fence_wait(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1)
		return -ETIMEDOUT;
	return sync_file_status(fd) == 1 ? 0 : -EIO;
}

/* The data the iGPU should find after round i: pixels it mismatches */
static int compute_verify(const struct scen *s, const uint32_t *got, int i, uint32_t rw,
			  uint32_t rh)
{
	uint32_t x, y;
	int bad = 0;

	for (y = 0; y < s->h; y++) {
		for (x = 0; x < s->w; x++) {
			bool in = x >= COMPUTE_RECT_XY && x < COMPUTE_RECT_XY + rw &&
				  y >= COMPUTE_RECT_XY && y < COMPUTE_RECT_XY + rh;
			uint32_t want = xrgb_to_xbgr(in ? COMPUTE_FILL_ARGB & 0xffffff :
						     vprime_pattern_pixel(i, s->tag[1], x, y));
			uint32_t v = got[(size_t)y * s->w + x];

			if (v != want && bad++ < 3)
				diag("FAIL: round %d: pixel (%u, %u) is 0x%08x, want 0x%08x",
				     i, x, y, v, want);
		}
	}
	return bad;
}

/*
 * One round.  iGPU (producer 1): PATTERN into its buffer A.  dGPU
 * (producer 0), which imported A: its copy engine copies A into VRAM
 * (after the iGPU's fence, a sync_file across devices); its render engine
 * transforms it there: BLIT linear XRGB8888 -> block-linear XBGR8888 (its
 * own tiled layout) and a FILL of a sub-rectangle; its copy engine BLITs
 * the result back to linear (the iGPU takes no layout of the dGPU's: the
 * two share LINEAR only) into its buffer B in system memory, which the
 * iGPU imported.  The iGPU BLITs B into its linear checking buffer, which
 * the test reads.  At the last
 * round the host checks, between the copy into VRAM and the transform,
 * that the dGPU read the very pages the iGPU wrote.
 */
static int compute_round(struct scen *s, int i, uint32_t tp,
			 const struct bo *check, uint32_t sync, uint32_t rw, uint32_t rh)
{
	int j = i % NBUF, f1 = -1, f2 = -1, ret;
	struct vprime_cmd cmd[2] = { scen_pattern(s, s->shared[1][j].va, i, s->tag[1]) };
	const struct bo *a[1] = { &s->shared[1][j] };
	const struct bo *in[2] = { &s->imp[1][j], &s->vram[j] };
	const struct bo *tr[2] = { &s->vram[j], &s->vram[NBUF + j] };
	const struct bo *out[2] = { &s->vram[NBUF + j], &s->shared[0][j] };
	const struct bo *chk[2] = { &s->imp[0][j], check };
	struct submit_opts io = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1, .out_fd = true };
	struct submit_opts co = { .engine = VPRIME_ENGINE_COPY, .out_fd = true };
	struct submit_opts ro = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct submit_opts ko = { .engine = VPRIME_ENGINE_RENDER, .out_syncobj = sync };

	ret = submit(s->gfd[1], s->gctx[1], cmd, 1, a, 1, &io, &f1);
	CHECK(!ret, "round %d: iGPU data: %s", i, strerror(-ret));
	memset(cmd, 0, sizeof(cmd));
	cmd[0].opcode = VPRIME_OP_COPY;
	cmd[0].copy.src = s->imp[1][j].va;
	cmd[0].copy.dst = s->vram[j].va;
	cmd[0].copy.size = s->bytes;
	co.in_fd = f1;
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], cmd, 1, in, 2, &co, &f2);
	CHECK(!ret, "round %d: dGPU copy into VRAM: %s", i, strerror(-ret));
	if (f1 >= 0)
		close(f1);
	if (!ret && i == s->frames - 1) {
		ret = fence_wait(f2, 10000);
		CHECK(!ret, "round %d: dGPU copy into VRAM: %s", i, strerror(-ret));
		if (!ret && host_proof(s, "compute-import", NULL, NULL, NULL, (const struct link[]) {
			{ s->gid[0], "copy-last-read-pages", s->gid[1], "render-last-write-pages", false },
			{ 0 } }) == EXIT_SKIP)
			diag("no host agent: the import is not checked page by page");
	}
	if (f2 >= 0)
		close(f2);
	f2 = -1;

	cmd[0] = blit_cmd(s->vram[j].va, s->pitch, VPRIME_FMT_XRGB8888,
			  s->vram[NBUF + j].va, tp, VPRIME_FMT_XBGR8888, s->w, s->h);
	cmd[0].blit.dst_layout = VPRIME_LAYOUT_NV_BLOCK;
	cmd[1] = fill(tiled_at(s->vram[NBUF + j].va, tp, COMPUTE_RECT_XY, COMPUTE_RECT_XY),
		      tp, rw, rh, VPRIME_FMT_XBGR8888, COMPUTE_FILL_ARGB);
	cmd[1].rect.layout = VPRIME_LAYOUT_NV_BLOCK;
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], cmd, 2, tr, 2, &ro, NULL);
	CHECK(!ret, "round %d: dGPU transform: %s", i, strerror(-ret));

	memset(cmd, 0, sizeof(cmd));
	cmd[0] = blit_cmd(s->vram[NBUF + j].va, tp, VPRIME_FMT_XBGR8888,
			  s->shared[0][j].va, s->pitch, VPRIME_FMT_XBGR8888, s->w, s->h);
	cmd[0].blit.src_layout = VPRIME_LAYOUT_NV_BLOCK;
	co.in_fd = -1;
	if (!ret)
		ret = submit(s->gfd[0], s->gctx[0], cmd, 1, out, 2, &co, &f2);
	CHECK(!ret, "round %d: dGPU copy out of VRAM (to linear): %s", i, strerror(-ret));

	memset(cmd, 0, sizeof(cmd));
	cmd[0] = blit_cmd(s->imp[0][j].va, s->pitch, VPRIME_FMT_XBGR8888,
			  check->va, s->pitch, VPRIME_FMT_XBGR8888, s->w, s->h);
	ko.in_fd = f2;
	if (!ret)
		ret = submit(s->gfd[1], s->gctx[1], cmd, 1, chk, 2, &ko, NULL);
	CHECK(!ret, "round %d: iGPU check: %s", i, strerror(-ret));
	if (f2 >= 0)
		close(f2);
	if (!ret)
		ret = syncobj_wait(s->gfd[1], sync, 0, 10000);
	CHECK(!ret, "round %d: the pipeline did not finish: %s", i, strerror(-ret));
	if (!ret && compute_verify(s, (const uint32_t *)check->map, i, rw, rh))
		ret = -EBADMSG;
	return ret;
}

int test_scenario_compute(struct ctx *c)
{
	struct scen s;
	struct bo check = { 0 };
	uint64_t mig0[2], n, b, t, r;
	uint32_t tp, rw, rh, sync;
	int ret, j, g, i, proof;
	double t0;

	ret = scen_open(&s, c, "compute");
	if (ret)
		return ret;
	if (!producer_open(&s, 0, VPRIME_KIND_DGPU, 0) ||
	    !producer_open(&s, 1, VPRIME_KIND_IGPU, 0)) {
		scen_close(&s);
		return EXIT_SKIP;
	}
	tp = (s.w * 4 + COMPUTE_TILE_W - 1) / COMPUTE_TILE_W * COMPUTE_TILE_W;
	t = (uint64_t)tp * ((s.h + COMPUTE_TILE_H - 1) / COMPUTE_TILE_H * COMPUTE_TILE_H);
	rw = s.w / 3;
	rh = s.h / 3;
	for (g = 0; g < 2; g++)
		mig0[g] = migrations(s.gfd[g]);
	if (peer_buffers(&s, 1, s.bytes) || peer_buffers(&s, 0, s.bytes))
		goto out;
	for (j = 0; j < NBUF && !ret; j++) {
		ret = bo_create(s.gfd[0], s.bytes, VPRIME_GEM_VRAM, false, &s.vram[j]);
		if (!ret)
			ret = bo_create(s.gfd[0], t, VPRIME_GEM_VRAM, false, &s.vram[NBUF + j]);
	}
	CHECK(!ret, "VRAM buffers: %s", strerror(-ret));
	/* the only buffer the test maps: where the iGPU puts what it checks */
	if (!ret)
		ret = bo_create(s.gfd[1], s.bytes, 0, true, &check);
	CHECK(!ret, "checking buffer: %s", strerror(-ret));
	sync = syncobj_new(s.gfd[1]);
	if (ret || !sync)
		goto out;
	ret = host_reset_stats(&s);
	if (ret && ret != -ENODEV)
		CHECK(0, "host stats reset: %s", strerror(-ret));
	t0 = mono_s();
	for (i = 0; i < s.frames && !failures; i++)
		compute_round(&s, i, tp, &check, sync, rw, rh);
	s.fps = i / (mono_s() - t0);
	if (failures)
		goto out;
	s.shown = i;
	diag("compute: %d rounds checked by the iGPU (every pixel), %.1f rounds/s", i, s.fps);
	for (g = 0; g < 2; g++)
		CHECK(migrations(s.gfd[g]) == mig0[g], "%s migrated a BO (a copy)", s.gid[g]);
	n = s.frames;
	b = s.bytes;
	r = (uint64_t)rw * rh * 4;
	/*
	 * dGPU: read the iGPU's data once (sysram), wrote it into VRAM, the
	 * transform read it there and wrote the tiled result and the fill; the
	 * copy engine read the result once and wrote it once, linear, to
	 * system memory.
	 * iGPU: wrote the data and the checking buffer, read the result once.
	 */
	/* the iGPU's check read the very pages the dGPU's copy engine wrote */
	proof = host_proof(&s, s.name, NULL, NULL, (const struct want[]) {
		{ s.gid[0], RD_SYS, n * b }, { s.gid[0], WR_VRAM, n * (2 * b + r) },
		{ s.gid[0], RD_VRAM, n * 2 * b }, { s.gid[0], WR_SYS, n * b },
		{ s.gid[0], RD_PEER, 0 }, { s.gid[0], WR_PEER, 0 },
		{ s.gid[1], WR_SYS, n * 2 * b }, { s.gid[1], RD_SYS, n * b },
		{ s.gid[1], WR_VRAM, 0 }, { s.gid[1], RD_VRAM, 0 },
		{ s.gid[1], RD_PEER, 0 }, { s.gid[1], WR_PEER, 0 }, { 0 } },
		(const struct link[]) {
		{ s.gid[1], "render-last-read-pages", s.gid[0], "copy-last-write-pages", false },
		{ 0 } });
	bo_free(s.gfd[1], &check);
	return scen_finish(&s, proof);
out:
	if (check.handle)
		bo_free(s.gfd[1], &check);
	scen_close(&s);
	return EXIT_FAIL;
}

/* ---- 6: foreign buffers --------------------------------------------------- */

/*
 * NBUF foreign dma-bufs (vgem dumb buffers, or udmabufs of memfd pages
 * when vfd < 0), never mapped, each imported by both GPUs and the display
 */
static int foreign_buffers(struct scen *s, int vfd)
{
	int j, g, dfd = 0, ret = 0;

	for (j = 0; j < NBUF && !ret; j++) {
		uint32_t pitch = s->pitch;
		size_t size;

		dfd = vfd >= 0 ? vgem_buffer(vfd, s->w, s->h, 32, &pitch, NULL, &size) :
				 udmabuf_buffer((s->bytes + 4095) & ~4095ull, false, NULL);
		if (dfd < 0) {
			ret = dfd;
			break;
		}
		CHECK(pitch == s->pitch, "vgem pitch %u, want %u", pitch, s->pitch);
		for (g = 0; g < 2 && !ret; g++)
			ret = prime_import(s->gfd[g], dfd, &s->shared[g][j]);
		if (!ret)
			ret = fb_import(&s->k, &s->fb[0][j], dfd, s->w, s->h, pitch,
					DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
		close(dfd);
	}
	CHECK(!ret, "%s: buffers: %s", s->name, strerror(-ret));
	return ret;
}

/*
 * vgem buffers, then udmabufs: the iGPU renders the even frames, the dGPU
 * the odd ones (each waiting for the previous frame's fence, across
 * devices), into foreign buffers both imported; the display shows them.
 */
int test_scenario_foreign(struct ctx *c)
{
	static const char *const names[2] = { "foreign-vgem", "foreign-udmabuf" };
	struct scen s;
	uint64_t mig0[2];
	int ret, j, g, kind, vfd, proof = 0;

	ret = scen_open(&s, c, "foreign");
	if (ret)
		return ret;
	if (!producer_open(&s, 0, VPRIME_KIND_IGPU, 0) ||
	    !producer_open(&s, 1, VPRIME_KIND_DGPU, 0)) {
		scen_close(&s);
		return EXIT_SKIP;
	}
	s.foreign = true;
	for (g = 0; g < 2; g++)
		mig0[g] = migrations(s.gfd[g]);
	vfd = drm_card_by_driver("vgem");
	CHECK(vfd >= 0, "no vgem device");
	for (kind = 0; kind < 2 && !failures; kind++) {
		s.name = names[kind];
		if (foreign_buffers(&s, kind ? -1 : vfd))
			break;
		for (j = 0; j < s.frames; j++)
			s.want[j] = pattern_crc(&s, j, s.tag[j % 2]);
		if (scen_start(&s) || present(&s, render_direct))
			break;
		proof = host_proof(&s, s.name, s.gid[(s.frames - 1) % 2], "render",
				   (const struct want[]) {
			{ s.gid[0], WR_SYS, (uint64_t)((s.frames + 1) / 2) * s.bytes },
			{ s.gid[0], RD_SYS, 0 }, { s.gid[0], WR_PEER, 0 },
			{ s.gid[1], WR_SYS, (uint64_t)(s.frames / 2) * s.bytes },
			{ s.gid[1], RD_SYS, 0 }, { s.gid[1], WR_VRAM, 0 },
			{ s.gid[1], RD_VRAM, 0 }, { s.gid[1], WR_PEER, 0 }, { 0 } }, NULL);
		if (!failures)
			host_screendump(&s, s.frames - 1, s.tag[(s.frames - 1) % 2]);
		scen_free_buffers(&s);
	}
	if (vfd >= 0)
		close(vfd);
	for (g = 0; g < 2; g++)
		CHECK(migrations(s.gfd[g]) == mig0[g], "%s migrated a BO (a copy)", s.gid[g]);
	s.name = "foreign";
	return scen_finish(&s, proof);
}
