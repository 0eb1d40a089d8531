// SPDX-License-Identifier: GPL-2.0-only
/*
 * Display benchmark (make bench, guest test "bench-kms"): the vprime
 * display engine, or (vprime.bench_card=virtio) a virtio-gpu scanout,
 * driven by the same program under the same conditions, so the two can be
 * compared figure by figure:
 *
 * - both are paced by one 60 Hz clock of this program: flip i is
 *   committed no earlier than t0 + i/60 s (virtio-gpu has no vblank and
 *   would otherwise flip as fast as the guest can; vprime's flips complete
 *   at its vblank as well);
 * - host CPU is QEMU's, read by the host agent before and after: the main
 *   thread (timers, the display model, virtio-gpu's command processing) and
 *   the whole process; divided by the frames presented, counted (flip
 *   events received), never assumed;
 * - an unchanged screen for the same wall time, once the new buffer has
 *   settled (BENCH_SETTLE): host CPU per second.
 *
 * Every figure is printed as '# bench NAME VALUE UNIT'; any failed call
 * fails the test, nothing is printed from a partial measurement.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

#define BENCH_FRAMES 120
#define BENCH_HZ 60
#define BENCH_WARMUP 10		/* flips not in the latency average */
/*
 * Frames between the mode set and the unchanged screen's measurement: the
 * engine maps a newly shown buffer's pages into one host view over its
 * first vblanks (a bounded number of page runs each, 32 vblanks at
 * 3840x2160), a cost of the new buffer, not of a frame that changes
 * nothing.  virtio-gpu gets the same time.
 */
#define BENCH_SETTLE 60

struct cpu {
	double main_s, process_s, main_runs;
};

static int cpu_now(struct cpu *c)
{
	struct hreply r;
	struct hmsg m;
	int ret;

	hmsg_start(&m, "cputime");
	ret = host_call(&m, &r, 30);
	if (!ret && !r.ok)
		ret = -EIO;
	if (!ret)
		ret = hreply_num(&r, "main_s", &c->main_s);
	if (!ret)
		ret = hreply_num(&r, "process_s", &c->process_s);
	if (!ret)
		ret = hreply_num(&r, "main_runs", &c->main_runs);
	if (ret && ret != -ENODEV)
		diag("FAIL: QEMU's CPU time from the host: %s (%s)", strerror(-ret), r.text);
	return ret;
}

/* A counter of the display engine (QOM property of display0), read by the host */
static int model_stat(const char *prop, uint64_t *v)
{
	struct hreply r;
	int ret = host_qom_get("display0", prop, &r);

	if (!ret)
		ret = hreply_u64(&r, "value", v);
	if (ret)
		diag("FAIL: display0 %s from the host: %s", prop, strerror(-ret));
	return ret;
}

/* Sleep until CLOCK_MONOTONIC reaches t (seconds) */
static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t,
			       .tv_nsec = (long)((t - (time_t)t) * 1e9) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int open_card(struct ctx *c, struct kms *k, bool virtio)
{
	if (!virtio)
		return kms_open(c, k);
	memset(k, 0, sizeof(*k));
	k->fd = drm_card_by_driver("virtio_gpu");
	if (k->fd < 0) {
		diag("FAIL: no virtio_gpu card");
		return EXIT_FAIL;
	}
	return kms_adopt(k) ? EXIT_FAIL : 0;
}

/* An unchanged screen for frames/60 s: QEMU's CPU per second */
static int bench_unchanged(struct kms *k, struct head *hd, bool vblank,
			   const char *name)
{
	struct cpu c0, c1;
	double t0, t1;
	uint32_t v0 = 0, v1 = 0;
	uint64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0, w0 = 0, w1 = 0;

	if (vblank)
		wait_vblanks(k, hd, BENCH_SETTLE, NULL);
	else
		sleep_until(mono_s() + (double)BENCH_SETTLE / BENCH_HZ);
	/* vprime: the model's own time in its vblank callbacks and how many
	 * vblanks the host ran (its timer stops while nothing waits for a
	 * vblank), read around the CPU figure's window (not in it) */
	if (vblank && (model_stat("stat-host-ns", &m0) || model_stat("stat-vblanks", &n0) ||
		       model_stat("stat-vblank-wakeups", &w0)))
		return -EIO;
	if (cpu_now(&c0))
		return -EIO;
	t0 = mono_s();
	if (vblank)
		v0 = wait_vblanks(k, hd, 0, NULL);
	sleep_until(t0 + (double)BENCH_FRAMES / BENCH_HZ);
	if (vblank)
		v1 = wait_vblanks(k, hd, 0, NULL);
	t1 = mono_s();
	if (cpu_now(&c1) || failures)
		return -EIO;
	if (vblank && (model_stat("stat-host-ns", &m1) || model_stat("stat-vblanks", &n1) ||
		       model_stat("stat-vblank-wakeups", &w1)))
		return -EIO;
	printf("# bench %s_unchanged_host_cpu_main %.2f ms/s\n", name,
	       (c1.main_s - c0.main_s) / (t1 - t0) * 1e3);
	printf("# bench %s_unchanged_host_cpu_process %.2f ms/s\n", name,
	       (c1.process_s - c0.process_s) / (t1 - t0) * 1e3);
	/* what the main loop does: how often it woke, and the CPU per wake-up */
	printf("# bench %s_unchanged_main_wakeups %.1f per_s\n", name,
	       (c1.main_runs - c0.main_runs) / (t1 - t0));
	if (c1.main_runs > c0.main_runs)
		printf("# bench %s_unchanged_main_us_per_wakeup %.1f us\n", name,
		       (c1.main_s - c0.main_s) * 1e6 / (c1.main_runs - c0.main_runs));
	if (vblank && n1 > n0)
		printf("# bench %s_unchanged_model_us_per_vblank %.1f us\n", name,
		       (m1 - m0) / 1e3 / (n1 - n0));
	if (vblank && n1 > n0)
		printf("# bench %s_unchanged_vblank_wakeups_per_vblank %.3f ratio\n", name,
		       (double)(w1 - w0) / (n1 - n0));
	if (vblank)
		diag("%s: unchanged for %.2f s, %u vblanks, %llu of them run by the host",
		     name, t1 - t0, v1 - v0, (unsigned long long)(w1 - w0));
	return 0;
}

/*
 * Flip between two different buffers on the 60 Hz clock; each flip waits
 * for its flip event.  Host CPU per presented frame, frames per second,
 * and (with a vblank) commit-to-flip-done latency.
 */
static int bench_changed(struct kms *k, struct head *hd, struct fb fb[2], bool vblank,
			 const char *name)
{
	struct drm_event_vblank ev;
	double t0, t1, lat_us = 0, lat_vbl = 0;
	struct cpu c0, c1;
	int i, lat_n = 0, shown = 0, ret;

	if (cpu_now(&c0))
		return -EIO;
	t0 = mono_s();
	for (i = 0; i < BENCH_FRAMES; i++) {
		uint32_t seq0;
		double tc;

		sleep_until(t0 + (double)i / BENCH_HZ);
		seq0 = vblank ? wait_vblanks(k, hd, 0, NULL) : 0;
		tc = mono_s();
		ret = flip_to(k, hd, &fb[(i + 1) % 2], DRM_MODE_ATOMIC_NONBLOCK |
			      DRM_MODE_PAGE_FLIP_EVENT);
		CHECK(!ret, "flip %d: %s", i, strerror(-ret));
		if (ret)
			break;
		if (!read_event(k->fd, 5000, &ev) || ev.base.type != DRM_EVENT_FLIP_COMPLETE) {
			CHECK(0, "no flip event for flip %d", i);
			break;
		}
		shown++;
		if (vblank && i >= BENCH_WARMUP) {
			lat_us += (ev.tv_sec + ev.tv_usec / 1e6 - tc) * 1e6;
			lat_vbl += ev.sequence - seq0;
			lat_n++;
		}
	}
	t1 = mono_s();
	if (cpu_now(&c1) || failures)
		return -EIO;
	printf("# bench %s_changed_host_cpu_main_per_frame %.1f us\n", name,
	       (c1.main_s - c0.main_s) / shown * 1e6);
	printf("# bench %s_changed_host_cpu_process_per_frame %.1f us\n", name,
	       (c1.process_s - c0.process_s) / shown * 1e6);
	printf("# bench %s_changed_fps %.1f fps\n", name, shown / (t1 - t0));
	if (lat_n) {
		printf("# bench %s_flip_latency %.1f us\n", name, lat_us / lat_n);
		printf("# bench %s_flip_latency_vblanks %.2f vblanks\n", name,
		       lat_vbl / lat_n);
	}
	return 0;
}

int cmd_bench_kms(struct ctx *c)
{
	bool virtio = cmdline_has("vprime.bench_card=virtio");
	struct fb fb[2] = { 0 };
	struct head *hd;
	struct kms k;
	struct cpu probe;
	char name[64];
	int i, ret;

	ret = cpu_now(&probe);
	if (ret == -ENODEV) {
		printf("# SKIP no host agent to read QEMU's CPU time\n");
		return EXIT_SKIP;
	}
	if (ret)
		return EXIT_FAIL;
	ret = open_card(c, &k, virtio);
	if (ret)
		return ret;
	hd = kms_first_connected(&k);
	if (!hd)
		return EXIT_FAIL;
	for (i = 0; i < 2; i++) {
		ret = fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			     DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
		CHECK(!ret, "fb: %s", strerror(-ret));
		if (ret)
			goto out;
		memset(fb[i].map, i ? 0xee : 0x11, fb[i].size);
	}
	ret = head_enable(&k, hd, &fb[0], 0);
	CHECK(!ret, "mode set: %s", strerror(-ret));
	if (ret)
		goto out;
	snprintf(name, sizeof(name), "display_%ux%u_%s", hd->mode.hdisplay,
		 hd->mode.vdisplay, virtio ? "virtio" : "vprime");
	/* virtio-gpu's KMS has no vblank: its flip events come at once */
	if (!bench_unchanged(&k, hd, !virtio, name))
		bench_changed(&k, hd, fb, !virtio, name);
out:
	kms_disable_all(&k);
	for (i = 0; i < 2; i++)
		if (fb[i].fb_id)
			fb_free(&k, &fb[i]);
	kms_close(&k);
	return failures ? EXIT_FAIL : 0;
}
