// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection end to end: each test asks the host (through the control
 * channel, tests/host/agent.py) to arm one fault on a device over QMP, makes
 * the device hit it, and checks that the driver does what README.md's table
 * says — and that the next normal job or flip works.  It then reads the
 * device's own count of the injected fault over QMP, so that what the
 * guest saw and what the host injected are compared in one place.
 *
 * fault-replay is a fixed workload for reproducers (vprime-launch --record /
 * --replay): faults come from the command line, and it prints one line per
 * job outcome so that two runs can be compared.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sync_file.h>
#include <drm_fourcc.h>

#include "guest-test.h"
#include "kms-lib.h"

/* Long enough for a job timeout (2 s) and its recovery, under TCG */
#define FENCE_WAIT_MS	20000

#define NEED_HOST(ret) do {						\
		if ((ret) == -ENODEV) {					\
			printf("# SKIP no host control channel (the harness provides it)\n"); \
			return EXIT_SKIP;				\
		}							\
	} while (0)

/* Arm a fault script on a device: SKIP without a host, a failure if refused */
#define ARM_FAULT(dev, script) do {					\
		int arm_ret_ = host_fault((dev), (script));		\
									\
		NEED_HOST(arm_ret_);					\
		CHECK(!arm_ret_, "arming the fault");			\
	} while (0)

/* Arm a fault script on a device; 0, -ENODEV without a host, -EIO refused */
static int host_fault(const char *dev, const char *script)
{
	int ret = host_qom_set_str(dev, "fault", script);

	if (ret == -EIO)
		diag("host refused fault '%s' on %s", script, dev);
	else if (!ret)
		diag("host armed '%s' on %s", script, dev);
	return ret;
}

/* qom-get of a string property */
static int host_get(const char *dev, const char *prop, char *val, size_t len)
{
	struct hreply r;
	int ret = host_qom_get(dev, prop, &r);

	return ret ? ret : hreply_str(&r, "value", val, len);
}

static uint64_t host_u64(const char *dev, const char *prop)
{
	struct hreply r;
	uint64_t v = 0;

	if (host_qom_get(dev, prop, &r) || hreply_u64(&r, "value", &v))
		CHECK(0, "cannot read %s %s over QMP", dev, prop);
	return v;
}

/* Whether the device's fault log has a line with this text */
static bool host_log_has(const char *dev, const char *text)
{
	static char log[HMSG_MAX];
	struct hreply r;

	if (host_qom_get(dev, "fault-log", &r) || hreply_str(&r, "value", log, sizeof(log)))
		return false;
	return strstr(log, text);
}

/* The GPU's debugfs directory (under its card minor) */
static void gpu_debugfs(struct ctx *c, int kind, const char *file, char *path,
			size_t len)
{
	char card[PATH_MAX], render[PATH_MAX];
	int i;

	path[0] = 0;
	for (i = 0; i < c->ndev; i++) {
		if (c->devs[i].kind != kind)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		snprintf(path, len, "/sys/kernel/debug/dri/%d/%s",
			 atoi(card + strlen("/dev/dri/card")), file);
		return;
	}
}

/*
 * A number from the GPU's debugfs "engines" line of an engine:
 * "<bdf>-render: emitted N, completed N, pending N, lost interrupts N, ..."
 */
static long long engine_stat(struct ctx *c, int kind, const char *engine,
			     const char *what)
{
	char path[PATH_MAX], buf[4096], key[64], *line, *p;

	gpu_debugfs(c, kind, "engines", path, sizeof(path));
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	snprintf(key, sizeof(key), "-%s: ", engine);
	line = strstr(buf, key);
	if (!line)
		return -1;
	line[strcspn(line, "\n")] = 0;
	snprintf(key, sizeof(key), "%s ", what);
	p = strstr(line, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Wait for a sync_file; its status (1 signalled, < 0 error), 0 timed out */
static int wait_sync_file(int sfd, int ms)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return 0;
	return sync_file_status(sfd);
}

/* When a sync_file's (only) fence signalled, CLOCK_MONOTONIC ns */
static uint64_t sync_file_ts(int sfd)
{
	struct sync_fence_info fi = { 0 };
	struct sync_file_info info = { .num_fences = 1,
				       .sync_fence_info = (uintptr_t)&fi };

	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return 0;
	return fi.timestamp_ns;
}

/* Submit cmd on an engine with an out sync_file; the fd or -errno */
static int submit_fd(int fd, uint32_t ctx_id, uint32_t engine,
		     struct vprime_cmd *cmd, const struct bo **bos, uint32_t n)
{
	struct submit_opts o = { .engine = engine, .in_fd = -1, .out_fd = true };
	int sfd = -1, ret;

	ret = submit(fd, ctx_id, cmd, 1, bos, n, &o, &sfd);
	return ret ? ret : sfd;
}

/* The fault tests' job: the BO's first 16 pixels set to @color */
static struct vprime_cmd pixel_fill(const struct bo *bo, uint32_t color)
{
	return fill(bo->va, 4096, 16, 1, VPRIME_FMT_XRGB8888, color);
}

/* pixel_fill() of @bo on @engine; returns its out-fence or -errno */
static int submit_fill(int fd, uint32_t ctx_id, uint32_t engine,
		       const struct bo *bo, uint32_t color)
{
	struct vprime_cmd cmd = pixel_fill(bo, color);
	const struct bo *bos[1] = { bo };

	return submit_fd(fd, ctx_id, engine, &cmd, bos, 1);
}

static void ctx_free(int fd, uint32_t ctx_id)
{
	struct drm_vprime_ctx_destroy d = { .ctx_id = ctx_id };

	ioctl(fd, DRM_IOCTL_VPRIME_CTX_DESTROY, &d);
}

/* The GPU the GPU fault tests use: the dGPU if there is one */
static int fault_gpu(struct ctx *c, char *id, size_t len)
{
	int kinds[2], n = gpu_kinds(c, kinds);

	if (!n)
		return -ENODEV;
	gpu_qom_id(c, kinds[n - 1], id, len);
	return kinds[n - 1];
}

#define NEED_FAULT_GPU(c, kind, id) do {				\
		kind = fault_gpu(c, id, sizeof(id));			\
		if (kind < 0) {						\
			printf("# SKIP no vprime GPU in this topology\n"); \
			return EXIT_SKIP;				\
		}							\
	} while (0)

/*
 * The recovery every GPU fault test ends with: the banned context refuses
 * work, a new context's fill on the same engine lands.
 */
static void check_recovered(int fd, uint32_t banned_ctx, uint32_t engine,
			    struct bo *bo, uint32_t color)
{
	const struct bo *bos[1] = { bo };
	struct vprime_cmd cmd = pixel_fill(bo, color);
	uint32_t ctx2 = ctx_new(fd);

	if (banned_ctx)
		CHECK(run(fd, banned_ctx, engine, &cmd, 1, bos, 1) == -EIO,
		      "the faulting context was not banned");
	CHECK(ctx2 && !run(fd, ctx2, engine, &cmd, 1, bos, 1) &&
	      *(volatile uint32_t *)bo->map == color,
	      "the next job of a new context did not complete");
	diag("next job on a new context completed (pixel 0x%08x)",
	     *(volatile uint32_t *)bo->map);
}

/* hang: job timeout, -ETIMEDOUT, context banned, engine reset, recovery */
int test_fault_hang(struct ctx *c)
{
	char id[16];
	int kind, fd, sfd, st;
	uint32_t ctx_id;
	long long resets;
	uint64_t inj;
	struct bo a;

	NEED_FAULT_GPU(c, kind, id);
	gpu_job_open(c, kind, &fd, &ctx_id, &a);
	resets = engine_stat(c, kind, "render", "timeout resets");
	ARM_FAULT(id, "hang:engine=render");

	sfd = submit_fill(fd, ctx_id, VPRIME_ENGINE_RENDER, &a, 0x11);
	CHECK(sfd >= 0, "submit: %d", sfd);
	st = wait_sync_file(sfd, FENCE_WAIT_MS);
	CHECK(st == -ETIMEDOUT, "hung job's fence: status %d, want -ETIMEDOUT", st);
	inj = host_u64(id, "stat-injected-hang");
	diag("hung job's fence error %d", st);
	close(sfd);
	CHECK(engine_stat(c, kind, "render", "timeout resets") == resets + 1,
	      "the engine was not reset (%lld resets, was %lld)",
	      engine_stat(c, kind, "render", "timeout resets"), resets);
	check_recovered(fd, ctx_id, VPRIME_ENGINE_RENDER, &a, 0x12);
	CHECK(host_u64(id, "stat-injected-hang") == inj,
	      "the host injected a hang after the first");
	CHECK(inj == 1, "stat-injected-hang is %" PRIu64 ", want 1", inj);
	CHECK(host_log_has(id, " hang render cmd="), "no hang in %s's fault-log", id);
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* lost IRQ: the timeout finds the fence done, signals it without error */
int test_fault_lost_irq(struct ctx *c)
{
	char id[16];
	int kind, fd, sfd, st;
	uint32_t ctx_id;
	long long lost, resets;
	struct bo a;
	const struct bo *ab[1] = { &a };
	struct vprime_cmd cmd;

	NEED_FAULT_GPU(c, kind, id);
	gpu_job_open(c, kind, &fd, &ctx_id, &a);
	lost = engine_stat(c, kind, "copy", "lost interrupts");
	resets = engine_stat(c, kind, "copy", "timeout resets");
	ARM_FAULT(id, "lost-irq:engine=copy");

	sfd = submit_fill(fd, ctx_id, VPRIME_ENGINE_COPY, &a, 0x21);
	CHECK(sfd >= 0, "submit: %d", sfd);
	st = wait_sync_file(sfd, FENCE_WAIT_MS);
	CHECK(st == 1, "fence after a lost interrupt: status %d, want signalled", st);
	close(sfd);
	CHECK(*(volatile uint32_t *)a.map == 0x21, "the job's fill is missing");
	CHECK(engine_stat(c, kind, "copy", "lost interrupts") == lost + 1,
	      "the driver did not notice the lost interrupt");
	CHECK(engine_stat(c, kind, "copy", "timeout resets") == resets,
	      "the driver reset the engine for a lost interrupt");
	diag("lost interrupt noticed by the timeout, fence signalled without error");
	/* not banned: the same context works on */
	check_recovered(fd, 0, VPRIME_ENGINE_COPY, &a, 0x22);
	cmd = pixel_fill(&a, 0x23);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, ab, 1),
	      "the context was banned for a lost interrupt");
	CHECK(host_u64(id, "stat-injected-lost-irq") == 1,
	      "stat-injected-lost-irq is not 1");
	CHECK(host_log_has(id, " lost-irq copy irq="), "no lost-irq in the log");
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* late IRQ: the writeback is there before the fence signals; no error */
int test_fault_late_irq(struct ctx *c)
{
	char id[16];
	int kind, fd, sfd, st = 0, i;
	uint32_t ctx_id;
	long long lost;
	bool early = false;
	struct bo a;

	NEED_FAULT_GPU(c, kind, id);
	gpu_job_open(c, kind, &fd, &ctx_id, &a);
	lost = engine_stat(c, kind, "render", "lost interrupts");
	/* half a second late: well inside the 2 s job timeout */
	ARM_FAULT(id, "late-irq:engine=render,delay-ns=500000000");

	sfd = submit_fill(fd, ctx_id, VPRIME_ENGINE_RENDER, &a, 0x31);
	CHECK(sfd >= 0, "submit: %d", sfd);
	for (i = 0; i < FENCE_WAIT_MS && st == 0; i++) {
		long long emitted = engine_stat(c, kind, "render", "emitted");
		long long done = engine_stat(c, kind, "render", "completed");

		st = sync_file_status(sfd);
		/* the device wrote the fence, the interrupt is not there yet */
		if (!st && done == emitted)
			early = true;
		if (!st)
			usleep(1000);
	}
	CHECK(st == 1, "late fence: status %d, want signalled", st);
	CHECK(early, "the fence was never seen written before its interrupt");
	close(sfd);
	CHECK(engine_stat(c, kind, "render", "lost interrupts") == lost,
	      "the late interrupt was taken for a lost one");
	diag("fence written, signalled only when the late interrupt came");
	check_recovered(fd, 0, VPRIME_ENGINE_RENDER, &a, 0x32);
	CHECK(host_u64(id, "stat-injected-late-irq") == 1,
	      "stat-injected-late-irq is not 1");
	CHECK(host_log_has(id, " late-irq render irq="), "no late-irq in the log");
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* DMA error on the BO's first page: -EIO, banned, engine recovers */
int test_fault_dma_error(struct ctx *c)
{
	char id[16], pages[256], script[128];
	int kind, fd, sfd, st, ret;
	uint32_t ctx_id;
	long long halts;
	struct bo a;
	const struct bo *ab[1] = { &a };
	struct vprime_cmd cmd;

	NEED_FAULT_GPU(c, kind, id);
	gpu_job_open(c, kind, &fd, &ctx_id, &a);
	/* where the device DMAs the BO: it says so itself */
	cmd = pixel_fill(&a, 0x41);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1), "first fill");
	ret = host_get(id, "render-last-write-pages", pages, sizeof(pages));
	NEED_HOST(ret);
	CHECK(!ret && pages[0], "render-last-write-pages: %s", pages);
	snprintf(script, sizeof(script), "dma-error:engine=render,start=%.*s,size=4096",
		 (int)strcspn(pages, ","), pages);
	halts = engine_stat(c, kind, "render", "halts");
	CHECK(!host_fault(id, script), "arming the fault");

	sfd = submit_fill(fd, ctx_id, VPRIME_ENGINE_RENDER, &a, 0x42);
	CHECK(sfd >= 0, "submit: %d", sfd);
	st = wait_sync_file(sfd, FENCE_WAIT_MS);
	CHECK(st == -EIO, "DMA error job's fence: status %d, want -EIO", st);
	diag("DMA error job's fence error %d", st);
	close(sfd);
	CHECK(engine_stat(c, kind, "render", "halts") == halts + 1,
	      "the driver did not recover a halt");
	check_recovered(fd, ctx_id, VPRIME_ENGINE_RENDER, &a, 0x43);
	CHECK(host_u64(id, "stat-injected-dma-error") == 1,
	      "stat-injected-dma-error is not 1");
	CHECK(host_log_has(id, " dma-error render cmd="), "no dma-error in the log");
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/*
 * Slow, jittery fences on both engines: every fence still signals without
 * error and in submission order, and the last write wins.
 */
#define SLOW_JOBS	12

int test_fault_slow_fence(struct ctx *c)
{
	char id[16];
	int kind, fd, sfd[SLOW_JOBS], i;
	uint64_t ts[SLOW_JOBS], n;
	uint32_t ctx_id;
	struct bo a;

	NEED_FAULT_GPU(c, kind, id);
	gpu_job_open(c, kind, &fd, &ctx_id, &a);
	ARM_FAULT(id, "slow-fence:count=0,delay-ns=2000000,jitter-ns=20000000");
	/* one BO written by every job: implicit sync orders them across engines */
	for (i = 0; i < SLOW_JOBS; i++) {
		sfd[i] = submit_fill(fd, ctx_id, i % 3 ? VPRIME_ENGINE_RENDER :
				     VPRIME_ENGINE_COPY, &a, 0x100 + i);
		CHECK(sfd[i] >= 0, "submit %d: %d", i, sfd[i]);
	}
	for (i = 0; i < SLOW_JOBS; i++) {
		int st = wait_sync_file(sfd[i], FENCE_WAIT_MS);

		CHECK(st == 1, "slow job %d: status %d", i, st);
		ts[i] = sync_file_ts(sfd[i]);
		CHECK(!i || ts[i] >= ts[i - 1],
		      "job %d signalled before job %d", i, i - 1);
		close(sfd[i]);
	}
	CHECK(*(volatile uint32_t *)a.map == 0x100 + SLOW_JOBS - 1,
	      "last write 0x%x, want 0x%x", *(volatile uint32_t *)a.map,
	      0x100 + SLOW_JOBS - 1);
	diag("%d slow fences signalled in order over %.1f ms", SLOW_JOBS,
	     (ts[SLOW_JOBS - 1] - ts[0]) / 1e6);
	CHECK(!host_fault(id, "clear"), "disarming");
	n = host_u64(id, "stat-injected-slow-fence");
	CHECK(n == SLOW_JOBS, "stat-injected-slow-fence %" PRIu64 ", want %d",
	      n, SLOW_JOBS);
	check_recovered(fd, 0, VPRIME_ENGINE_COPY, &a, 0x200);
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* VRAM retired by the device: too big a VRAM BO fails cleanly, no leak */
int test_fault_vram_retire(struct ctx *c)
{
	char id[16], script[96];
	uint64_t size = 0, free0 = 0, free1 = 0;
	int fd, ret;
	uint32_t ctx_id;
	struct bo big, small;
	const struct bo *sb[1] = { &small };
	struct vprime_cmd cmd;

	if (gpu_qom_id(c, VPRIME_KIND_DGPU, id, sizeof(id))) {
		printf("# SKIP needs a dGPU (VRAM)\n");
		return EXIT_SKIP;
	}
	fd = gpu_open(c, VPRIME_KIND_DGPU);
	ctx_id = ctx_new(fd);
	get_param(fd, VPRIME_PARAM_VRAM_SIZE, &size);
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free0);
	/* all but 16 MiB retired */
	snprintf(script, sizeof(script), "vram-retire:bytes=%" PRIu64,
		 size - (16 << 20));
	ARM_FAULT(id, script);

	ret = bo_create(fd, 32 << 20, VPRIME_GEM_VRAM, false, &big);
	CHECK(ret == -ENOMEM || ret == -ENOSPC,
	      "a 32 MiB VRAM BO with 16 MiB usable: %d, want -ENOMEM", ret);
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free1);
	CHECK(free1 == free0, "the failed allocation leaked VRAM (%" PRIu64
	      " free, was %" PRIu64 ")", free1, free0);
	diag("32 MiB VRAM BO refused with %d, VRAM free unchanged", ret);

	CHECK(!bo_new_flags(fd, 8 << 20, VPRIME_GEM_VRAM, &small),
	      "an 8 MiB VRAM BO below the retired range");
	cmd = pixel_fill(&small, 0x51);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, sb, 1) &&
	      *(volatile uint32_t *)small.map == 0x51,
	      "a job on the VRAM BO below the retired range");
	bo_free(fd, &small);

	CHECK(!host_fault(id, "vram-retire:bytes=0"), "giving VRAM back");
	CHECK(!bo_create(fd, 32 << 20, VPRIME_GEM_VRAM, false, &big),
	      "32 MiB VRAM BO once the VRAM is back");
	bo_free(fd, &big);
	/* the context holds what it mapped; finished jobs are freed later */
	ctx_free(fd, ctx_id);
	free1 = vram_free_wait(fd, free0, 5000);
	CHECK(free1 == free0, "VRAM free %" PRIu64 " at the end, was %" PRIu64,
	      free1, free0);
	CHECK(host_u64(id, "stat-injected-vram-retire") == 2,
	      "stat-injected-vram-retire is not 2");
	close(fd);
	return 0;
}

/* underrun: the frame goes black, the driver counts it, the next flip shows */
int test_fault_underrun(struct ctx *c)
{
	struct fb f1, f2;
	struct head *hd;
	struct kms k;
	uint32_t crc = 0, *black;
	long long before;
	int ret;

	ret = kms_open(c, &k);
	if (ret)
		return ret;
	hd = &k.heads[0];
	CHECK(!fb_new(&k, &f1, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) &&
	      !fb_new(&k, &f2, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fbs");
	fb_fill_pattern(&f1, 1, 1);
	fb_fill_pattern(&f2, 2, 2);
	black = calloc(hd->mode.hdisplay * hd->mode.vdisplay, 4);
	CHECK(!head_enable(&k, hd, &f1, 0), "mode set");
	CHECK(!crc_start(&k, hd), "CRC on");
	wait_vblanks(&k, hd, 2, NULL);
	before = head_underruns(&k, 0);
	ARM_FAULT("display0", "underrun:head=0");

	/* this flip's frame fails to fetch */
	CHECK(!head_enable(&k, hd, &f2, 0), "flip onto the underrun");
	if (!crc_current(&k, hd, &crc))
		CHECK(crc == frame_crc(black, hd->mode.hdisplay, hd->mode.vdisplay),
		      "underrun frame CRC 0x%08x, want black", crc);
	CHECK(head_underruns(&k, 0) == before + 1,
	      "debugfs underruns %lld, want %lld", head_underruns(&k, 0),
	      before + 1);
	diag("underrun reported by the driver (debugfs underruns %lld)",
	     head_underruns(&k, 0));

	/* the next flip shows its picture */
	CHECK(!head_enable(&k, hd, &f1, 0), "flip after the underrun");
	if (!crc_current(&k, hd, &crc))
		CHECK(crc == fb_crc(&f1), "next flip CRC 0x%08x, want 0x%08x",
		      crc, fb_crc(&f1));
	CHECK(head_underruns(&k, 0) == before + 1, "more underruns than injected");
	CHECK(host_u64("display0", "stat-injected-underrun") == 1,
	      "stat-injected-underrun is not 1");
	CHECK(host_log_has("display0", " underrun head0 frame="),
	      "no underrun in display0's log");
	crc_stop(hd);
	kms_disable_all(&k);
	fb_free(&k, &f1);
	fb_free(&k, &f2);
	free(black);
	kms_close(&k);
	return 0;
}

/* unplug: uevent and disconnected, then the fault's replug restores it */
int test_fault_unplug(struct ctx *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	struct head *hd;
	struct kms k;
	struct fb f;
	uint32_t crc = 0;
	int nl, ret, modes, st;

	ret = kms_open(c, &k);
	if (ret)
		return ret;
	hd = &k.heads[0];
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (nl < 0 || bind(nl, (struct sockaddr *)&sa, sizeof(sa))) {
		CHECK(0, "uevent socket: %s", strerror(errno));
		return EXIT_FAIL;
	}
	CHECK(!fb_new(&k, &f, hd->mode.hdisplay, hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
	fb_fill_pattern(&f, 3, 3);
	/* vblanks count the fault: the head scans */
	CHECK(!head_enable(&k, hd, &f, 0), "mode set");
	/* out at the next vblank, back 30 vblanks later */
	ARM_FAULT("display0", "unplug:head=0,replug=30");
	CHECK(wait_hotplug_uevent(nl, 10000), "no hotplug uevent after the unplug");
	st = connector_state(&k, hd, &modes);
	CHECK(st == DRM_MODE_DISCONNECTED, "head 0 after the unplug: connection %d", st);
	diag("unplug: uevent, head 0 disconnected");
	CHECK(wait_hotplug_uevent(nl, 10000), "no hotplug uevent after the replug");
	st = connector_state(&k, hd, &modes);
	CHECK(st == DRM_MODE_CONNECTED && modes > 0,
	      "head 0 after the replug: connection %d, %d modes", st, modes);
	diag("replug: uevent, head 0 connected, %d modes", modes);

	/* the next flip works */
	fb_fill_pattern(&f, 4, 3);
	CHECK(!head_enable(&k, hd, &f, 0), "flip after the replug");
	CHECK(!crc_start(&k, hd), "CRC on");
	if (!crc_current(&k, hd, &crc))
		CHECK(crc == fb_crc(&f), "CRC 0x%08x after replug, want 0x%08x",
		      crc, fb_crc(&f));
	crc_stop(hd);
	CHECK(host_u64("display0", "stat-injected-unplug") == 1 &&
	      host_u64("display0", "stat-injected-replug") == 1,
	      "display0 did not count one unplug and one replug");
	close(nl);
	kms_disable_all(&k);
	fb_free(&k, &f);
	kms_close(&k);
	return 0;
}

/*
 * The reproducer workload: on every GPU and engine, REPLAY_JOBS jobs one
 * after another, a new context whenever one is banned.  Faults come from
 * the launcher's --fault; each outcome is printed, to compare runs.  Every
 * job must end (signalled, maybe with an error) and each engine's last
 * job must succeed: the stack recovers from whatever was injected.
 */
#define REPLAY_JOBS	6

int test_fault_replay(struct ctx *c)
{
	int i, e, j;

	for (i = 0; i < c->ndev; i++) {
		char card[PATH_MAX], render[PATH_MAX];
		struct bo a, b;
		const struct bo *bos[2] = { &a, &b };
		const char *gpu = c->devs[i].bdf;
		int fd;

		if (c->devs[i].kind == VPRIME_KIND_DISPLAY)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		fd = open(render, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0 && !bo_new(fd, 65536, &a) && !bo_new(fd, 65536, &b),
		      "%s: open/bo", c->devs[i].bdf);
		if (fd < 0)
			continue;
		for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
			uint32_t ctx_id = ctx_new(fd);
			int st = 0;

			for (j = 0; j < REPLAY_JOBS; j++) {
				struct vprime_cmd cmd;
				int sfd;

				if (e == VPRIME_ENGINE_RENDER) {
					cmd = fill(a.va, 4096, 64, 16,
						   VPRIME_FMT_XRGB8888, 0x1000 + j);
				} else {
					memset(&cmd, 0, sizeof(cmd));
					cmd.opcode = VPRIME_OP_COPY;
					cmd.copy.src = a.va;
					cmd.copy.dst = b.va;
					cmd.copy.size = 65536;
				}
				sfd = submit_fd(fd, ctx_id, e, &cmd, bos, 2);
				if (sfd < 0) {
					printf("# replay: %s %s job %d: submit %d\n",
					       gpu, e ? "copy" : "render", j, sfd);
					ctx_id = ctx_new(fd);
					st = sfd;
					continue;
				}
				st = wait_sync_file(sfd, FENCE_WAIT_MS);
				close(sfd);
				printf("# replay: %s %s job %d: %s (%d)\n", gpu,
				       e ? "copy" : "render", j,
				       st == 1 ? "ok" : st == 0 ? "never signalled" :
				       "error", st);
				CHECK(st != 0, "%s job %d never signalled", gpu, j);
				if (st < 0)
					ctx_id = ctx_new(fd);
			}
			CHECK(st == 1, "%s %s: the last job failed (%d)", gpu,
			      e ? "copy" : "render", st);
		}
		CHECK(*(volatile uint32_t *)b.map == 0x1000 + REPLAY_JOBS - 1,
		      "%s: final copy holds 0x%x", gpu, *(volatile uint32_t *)b.map);
		bo_free(fd, &a);
		bo_free(fd, &b);
		close(fd);
	}
	return 0;
}

#undef NEED_HOST

