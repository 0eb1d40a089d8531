// SPDX-License-Identifier: GPL-2.0-only
/*
 * Surprise removal and IOMMU faults, as the guest sees them.
 *
 * unplug-dgpu: while one of its buffers is on screen (a dma-buf the
 * display imported) and jobs are queued on both its engines, the host
 * removes the dGPU (QMP device_del through the host agent).  The GPU
 * driver must unplug: every ioctl and mmap fails with -ENODEV, queued
 * fences signal with an error, a VRAM mapping faults (SIGBUS), while the
 * display keeps showing the frame (the buffer's pages live as long as the
 * dma-buf).  Closing everything frees everything (debugfs counts back to
 * where they were; with a vIOMMU, no DMA fault of the removed device is
 * logged), then the host plugs the dGPU back in on the same root
 * port and a frame rendered by the new device is shown, checked by CRC.
 * Needs the host agent and vprime_gpu.job_timeout_ms long enough that the
 * gated job is still queued when the removal comes.
 *
 * iommu-fault: with the vIOMMU on, the GPU driver's inject_early_unmap
 * debugfs knob dma-unmaps a BO a context still maps (the classic importer
 * bug); the GPU's next read of it must fault in the IOMMU -- the guest's
 * DMAR driver logs the device and the address -- and reach the job's fence
 * as an error, never read stale memory.  A new context then works.
 *
 * iommu-fault-display: the same bug on the display side.  The display
 * driver's inject_early_unmap dma-unmaps the buffer on head 0's primary
 * plane while the engine scans it; the engine's next fetch of it (DIRTYFB
 * asks for one) must fault in the IOMMU -- a DMAR fault naming the display
 * engine and an address in the unmapped range -- and show as an underrun:
 * counted by the driver, the frame composed without the plane (black CRC),
 * never the old picture presented as good.  A flip to a fresh buffer then
 * shows it, and freeing the broken buffer unmaps nothing twice.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define TIMEOUT_PARAM	"/sys/module/vprime_gpu/parameters/job_timeout_ms"
/* the gated job must outlive the removal, which takes seconds under TCG */
#define MIN_JOB_TIMEOUT_MS	60000
/* bounds on waiting for the kernel or the host, not timing assertions */
#define HOTPLUG_WAIT_S		120
#define FREE_WAIT_S		30
#define TAG_UNPLUG		7

static void live_diag(const char *what, const struct live *l)
{
	diag("%s: vprime_gpu devices %d, bos %d, contexts %d, jobs %d, fences %d",
	     what, l->devices, l->bos, l->contexts, l->jobs, l->fences);
}

/* "Total N objects" of debugfs dma_buf/bufinfo */
static int dmabuf_count(void)
{
	static char buf[65536];
	const char *p;
	int fd, n = 0;
	ssize_t r;
	size_t got = 0;

	fd = open(BUFINFO_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += r;
	close(fd);
	buf[got] = 0;
	p = strstr(buf, "Total ");
	return p && sscanf(p, "Total %d objects", &n) == 1 ? n : -1;
}

/* Framebuffers the display driver knows (debugfs dri/N/framebuffer) */
static int fb_count(int minor)
{
	char path[PATH_MAX], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/framebuffer", minor);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "framebuffer[", 12))
			n++;
	fclose(f);
	return n;
}

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait (bounded) until the device's render node exists or is gone */
static bool wait_render_node(const char *bdf, bool present, char *render,
			     size_t len)
{
	char card[PATH_MAX];
	int i;

	for (i = 0; i < HOTPLUG_WAIT_S * 10; i++) {
		drm_nodes(bdf, card, render, len);
		if (!!render[0] == present && (!present || path_exists(render)))
			return true;
		sleep_ms(100);
	}
	return false;
}

static bool wait_pci_gone(const char *bdf)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s", bdf);
	for (i = 0; i < HOTPLUG_WAIT_S * 10 && path_exists(path); i++)
		sleep_ms(100);
	return !path_exists(path);
}

/* The CRC of a full-screen XRGB8888 test pattern, computed on the CPU */
static uint32_t pattern_crc(uint32_t w, uint32_t h, uint32_t frame, uint32_t tag)
{
	struct fb like = { .width = w, .height = h, .pitch = w * 4,
			   .format = DRM_FORMAT_XRGB8888 };

	return fb_pattern_crc(&like, frame, tag);
}

/*
 * Render frame `frame` of the pattern on the GPU behind gfd into a new
 * system-memory BO and import it into the display as *f.  0 or -errno.
 */
static int render_and_import(int gfd, uint32_t ctx_id, struct kms *k,
			     uint32_t w, uint32_t h, uint32_t frame,
			     struct bo *b, struct fb *f)
{
	struct vprime_cmd cmd = pattern(0, w * 4, w, h, frame, TAG_UNPLUG);
	const struct bo *bos[1] = { b };
	int ret, dfd;

	ret = bo_new(gfd, (uint64_t)w * 4 * h, b);
	if (ret)
		return ret;
	cmd.rect.dst = b->va;
	ret = run(gfd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1);
	if (ret)
		return ret;
	dfd = prime_export(gfd, b->handle);
	if (dfd < 0)
		return dfd;
	ret = fb_import(k, f, dfd, w, h, w * 4, DRM_FORMAT_XRGB8888,
			DRM_FORMAT_MOD_LINEAR);
	close(dfd);
	return ret;
}

struct dma_range {
	uint64_t lo, hi;
};

static bool find_dmar_fault(int kfd, const char *bdf, const struct dma_range *r,
			    int nr, char *line, size_t len, int tries);

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(sigbus_jmp, 1);
}

/* Whether reading *p raises SIGBUS */
static bool read_faults(volatile const uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool faulted;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1)) {
		faulted = true;
	} else {
		(void)*p;
		faulted = false;
	}
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/* Every entry point of the removed GPU answers -ENODEV */
static void check_unplugged_fd(int gfd, const struct bo *b, uint64_t mmap_off)
{
	struct drm_vprime_get_param gp = { .param = VPRIME_PARAM_KIND };
	struct drm_vprime_gem_create cr = { .size = 4096 };
	struct drm_vprime_gem_info gi = { .handle = b->handle };
	struct drm_vprime_ctx_create cc = { 0 };
	struct drm_prime_handle ph = { .handle = b->handle, .flags = DRM_CLOEXEC };
	struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
	struct drm_vprime_submit s = { .cmds = (uintptr_t)&nop, .num_cmds = 1,
				       .ctx_id = 1 };
	struct {
		const char *name;
		int err;
	} r[] = {
		{ "GET_PARAM", ioctl_errno(gfd, DRM_IOCTL_VPRIME_GET_PARAM, &gp) },
		{ "GEM_CREATE", ioctl_errno(gfd, DRM_IOCTL_VPRIME_GEM_CREATE, &cr) },
		{ "GEM_INFO", ioctl_errno(gfd, DRM_IOCTL_VPRIME_GEM_INFO, &gi) },
		{ "CTX_CREATE", ioctl_errno(gfd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc) },
		{ "SUBMIT", ioctl_errno(gfd, DRM_IOCTL_VPRIME_SUBMIT, &s) },
		{ "PRIME_HANDLE_TO_FD", ioctl_errno(gfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) },
	};
	void *m;
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		CHECK(r[i].err == ENODEV, "%s after removal: %s, expected ENODEV",
		      r[i].name, r[i].err ? strerror(r[i].err) : "success");
	m = mmap(NULL, b->size, PROT_READ, MAP_SHARED, gfd, mmap_off);
	CHECK(m == MAP_FAILED && errno == ENODEV, "mmap after removal: %s, expected ENODEV",
	      m == MAP_FAILED ? strerror(errno) : "success");
	if (m != MAP_FAILED)
		munmap(m, b->size);
	diag("after removal: GET_PARAM, GEM_CREATE, GEM_INFO, CTX_CREATE, SUBMIT, "
	     "PRIME_HANDLE_TO_FD and mmap fail with ENODEV");
}

/* Wait (bounded) until the counts are what they were before the test */
static bool wait_no_leak(const struct live *want, int want_dmabufs, int kminor,
			 int want_fbs)
{
	struct live l = { 0 };
	int i, nd = -1, nf = -1;

	for (i = 0; i < FREE_WAIT_S * 10; i++) {
		live_read(&l);
		nd = dmabuf_count();
		nf = fb_count(kminor);
		if (!memcmp(&l, want, sizeof(l)) && nd == want_dmabufs && nf == want_fbs)
			break;
		sleep_ms(100);
	}
	live_diag("now", &l);
	diag("now: %d dma-bufs, %d display framebuffers (before: %d, %d)", nd, nf,
	     want_dmabufs, want_fbs);
	return !memcmp(&l, want, sizeof(l)) && nd == want_dmabufs && nf == want_fbs;
}

static int host_device(const char *op, const char *id)
{
	struct hreply reply;
	struct hmsg req;
	int ret;

	hmsg_start(&req, op);
	hmsg_str(&req, "id", id);
	ret = host_call(&req, &reply, HOTPLUG_WAIT_S + 30);
	if (ret) {
		diag("FAIL: host %s %s: %s", op, id, strerror(-ret));
		failures++;
		return ret;
	}
	diag("host %s %s: %s", op, id, reply.text);
	if (!reply.ok) {
		diag("FAIL: the host could not %s %s", op, id);
		failures++;
		return -EIO;
	}
	return 0;
}

/* What unplug-dgpu holds from one step to the next */
struct unplug {
	char bdf[32], id[16], render[PATH_MAX];
	struct kms k;
	struct head *hd;
	uint32_t w, h, want;		/* mode; CRC of the dGPU's frame */
	struct fb placeholder, shown;
	struct live live0;
	int dmabufs0, fbs0;
	int gfd;
	uint32_t ctx_id;
	struct bo frame, vram, sem, scratch, scratch2;
	struct drm_vprime_gem_info gi;
	int fence[3];
};

/* The first dGPU in bus order and its device id; whether it can be removed */
static int unplug_find_dgpu(struct ctx *c, struct unplug *u)
{
	unsigned long timeout_ms = 0;
	char buf[64];
	int i;

	for (i = 0; i < c->ndev && !u->bdf[0]; i++)
		if (c->devs[i].kind == VPRIME_KIND_DGPU)
			snprintf(u->bdf, sizeof(u->bdf), "%s", c->devs[i].bdf);
	for (i = 0; i < c->nexp && !u->id[0]; i++)
		if (c->exp[i].kind == VPRIME_KIND_DGPU)
			snprintf(u->id, sizeof(u->id), "gpu%d", i);
	if (!u->bdf[0] || !u->id[0]) {
		printf("# SKIP no dGPU in this topology\n");
		return EXIT_SKIP;
	}
	if (read_file(TIMEOUT_PARAM, buf, sizeof(buf)) >= 0)
		timeout_ms = strtoul(buf, NULL, 10);
	if (timeout_ms < MIN_JOB_TIMEOUT_MS) {
		printf("# SKIP needs vprime_gpu.job_timeout_ms >= %d (is %lu): a gated job "
		       "must still be queued when the removal comes\n",
		       MIN_JOB_TIMEOUT_MS, timeout_ms);
		return EXIT_SKIP;
	}
	if (host_cputime(&(double){ 0 })) {
		printf("# SKIP no host agent to remove the device\n");
		return EXIT_SKIP;
	}
	return 0;
}

/* The display's own buffer, and the object counts everything returns to */
static int unplug_baseline(struct ctx *c, struct unplug *u)
{
	int ret = kms_open(c, &u->k);

	if (ret)
		return ret;
	u->hd = kms_first_connected(&u->k);
	if (!u->hd)
		return EXIT_FAIL;
	u->w = u->hd->mode.hdisplay;
	u->h = u->hd->mode.vdisplay;
	u->want = pattern_crc(u->w, u->h, 1, TAG_UNPLUG);
	CHECK(!fb_new(&u->k, &u->placeholder, u->w, u->h, DRM_FORMAT_XRGB8888,
		      DRM_FORMAT_MOD_LINEAR), "dumb framebuffer");
	if (failures)
		return EXIT_FAIL;
	fb_fill_noise(&u->placeholder, 3);
	CHECK(!live_read(&u->live0), "read " VPRIME_LIVE_PATH);
	u->dmabufs0 = dmabuf_count();
	u->fbs0 = fb_count(u->k.minor);
	CHECK(u->dmabufs0 >= 0 && u->fbs0 >= 0, "read the dma-buf and framebuffer counts");
	if (failures)
		return EXIT_FAIL;
	live_diag("before", &u->live0);
	diag("before: %d dma-bufs, %d display framebuffers", u->dmabufs0, u->fbs0);
	return 0;
}

/* Step 1: a dGPU frame on screen, through a dma-buf */
static int unplug_show_frame(struct unplug *u)
{
	char card[PATH_MAX];

	drm_nodes(u->bdf, card, u->render, sizeof(u->render));
	u->gfd = open(u->render, O_RDWR | O_CLOEXEC);
	CHECK(u->gfd >= 0, "open the dGPU %s (%s): %s", u->bdf, u->render, strerror(errno));
	if (u->gfd < 0)
		return EXIT_FAIL;
	u->ctx_id = ctx_new(u->gfd);
	CHECK(!render_and_import(u->gfd, u->ctx_id, &u->k, u->w, u->h, 1, &u->frame,
				 &u->shown),
	      "dGPU renders a frame the display imports: %s", strerror(errno));
	u->gi.handle = u->frame.handle;
	CHECK(!ioctl(u->gfd, DRM_IOCTL_VPRIME_GEM_INFO, &u->gi), "GEM_INFO");
	CHECK(!head_enable(&u->k, u->hd, &u->shown, 0), "mode set on the dGPU's buffer: %s",
	      strerror(errno));
	if (failures || crc_start(&u->k, u->hd))
		return EXIT_FAIL;
	expect_crc(&u->k, u->hd, u->want, "the dGPU's frame");
	return 0;
}

/*
 * Step 2: a VRAM BO mapped through the BAR, and jobs queued on both
 * engines: the render engine waits on a semaphore nobody releases, a
 * second render job behind it, a copy job with the first as in-fence.
 */
static int unplug_queue_jobs(struct unplug *u)
{
	struct vprime_cmd gated[2] = { { .opcode = VPRIME_OP_WAIT } };
	struct vprime_cmd fillc, copy;
	const struct bo *gbos[2] = { &u->sem, &u->scratch };
	const struct bo *cbos[2] = { &u->scratch, &u->scratch2 };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };
	struct live now;
	int i;

	CHECK(!bo_new_flags(u->gfd, 65536, VPRIME_GEM_VRAM, &u->vram), "VRAM BO");
	CHECK(!bo_new(u->gfd, 4096, &u->sem), "semaphore BO");
	CHECK(!bo_new(u->gfd, 65536, &u->scratch) && !bo_new(u->gfd, 65536, &u->scratch2),
	      "scratch BOs");
	if (failures)
		return EXIT_FAIL;
	u->vram.map[0] = 0x5a;
	CHECK(u->vram.map[0] == 0x5a, "VRAM through the BAR");
	*(volatile uint64_t *)u->sem.map = 0;

	gated[0].wait.addr = u->sem.va;
	gated[0].wait.value = 1;
	gated[1] = pattern(u->scratch.va, 64 * 4, 64, 64, 9, TAG_UNPLUG);
	CHECK(!submit(u->gfd, u->ctx_id, gated, 2, gbos, 2, &o, &u->fence[0]),
	      "gated render job: %s", strerror(errno));
	fillc = fill(u->scratch.va, 256, 64, 64, VPRIME_FMT_XRGB8888, 0xff00ff);
	CHECK(!submit(u->gfd, u->ctx_id, &fillc, 1, gbos + 1, 1, &o, &u->fence[1]),
	      "second render job: %s", strerror(errno));
	copy = copy_cmd(u->scratch.va, u->scratch2.va, 65536);
	o.engine = VPRIME_ENGINE_COPY;
	o.in_fd = u->fence[0];
	CHECK(!submit(u->gfd, u->ctx_id, &copy, 1, cbos, 2, &o, &u->fence[2]),
	      "copy job behind the render job: %s", strerror(errno));
	if (failures)
		return EXIT_FAIL;
	wait_vblanks(&u->k, u->hd, 3, NULL);
	for (i = 0; i < 3; i++)
		CHECK(sync_file_status(u->fence[i]) == 0, "job %d finished before the removal", i);
	live_read(&now);
	live_diag("queued", &now);
	return 0;
}

/*
 * Step 3: the host removes the dGPU.  The driver stops the engines before
 * it drops their mappings (no DMA fault of the removed device), the
 * queued jobs fail, every entry point answers -ENODEV, a VRAM mapping
 * faults, the shared system-memory buffer keeps its frame.
 */
static int unplug_remove(struct unplug *u)
{
	struct dma_range all = { 0, ~0ULL };
	char line[512] = "";
	int i, kfd, st[3];

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	if (host_device("device_del", u->id))
		return EXIT_FAIL;
	CHECK(wait_pci_gone(u->bdf), "%s still in sysfs after the removal", u->bdf);
	CHECK(!path_exists(u->render), "%s still exists after the removal", u->render);
	CHECK(kfd < 0 || !find_dmar_fault(kfd, u->bdf, &all, 1, line, sizeof(line), 1),
	      "the removed dGPU did DMA after its mappings went: %s", line);
	if (kfd >= 0)
		close(kfd);
	for (i = 0; i < 3; i++) {
		st[i] = sync_file_status(u->fence[i]);
		CHECK(st[i] < 0, "queued job %d: fence status %d, expected an error", i, st[i]);
	}
	CHECK(st[0] == -ENODEV && st[1] == -ENODEV,
	      "jobs on the ring: fence errors %d, %d, expected -ENODEV", st[0], st[1]);
	diag("queued jobs' fences signalled with errors %d (%s), %d (%s), %d (%s)",
	     st[0], strerror(-st[0]), st[1], strerror(-st[1]), st[2], strerror(-st[2]));
	check_unplugged_fd(u->gfd, &u->frame, u->gi.mmap_offset);
	CHECK(read_faults(u->vram.map), "a VRAM mapping of the removed GPU is still readable");
	CHECK(*(uint32_t *)u->frame.map ==
	      (VPRIME_PATTERN_XRGB(1, TAG_UNPLUG, 0, 0) & 0xffffff),
	      "the shared buffer's pages changed after the removal");
	diag("after removal: a VRAM mapping faults (SIGBUS); the shared system-memory "
	     "buffer still holds the frame");

	/* step 4: the display did not notice */
	expect_crc(&u->k, u->hd, u->want, "after the removal, the dGPU's last frame");
	CHECK(!flip_to(&u->k, u->hd, &u->shown, 0), "flip onto the removed GPU's buffer: %s",
	      strerror(errno));
	expect_crc(&u->k, u->hd, u->want, "flipped again onto the removed GPU's buffer");
	return 0;
}

/* Step 5: userspace lets go of the removed GPU; nothing may be left */
static void unplug_release(struct unplug *u)
{
	int i;

	CHECK(!flip_to(&u->k, u->hd, &u->placeholder, 0), "flip to a dumb buffer: %s",
	      strerror(errno));
	fb_free(&u->k, &u->shown);
	for (i = 0; i < 3; i++)
		close(u->fence[i]);
	munmap(u->vram.map, u->vram.size);
	munmap(u->frame.map, u->frame.size);
	munmap(u->sem.map, u->sem.size);
	munmap(u->scratch.map, u->scratch.size);
	munmap(u->scratch2.map, u->scratch2.size);
	close(u->gfd);
	/* the removed GPU's drm_device is released, with its kernel context */
	u->live0.devices--;
	u->live0.contexts--;
	CHECK(wait_no_leak(&u->live0, u->dmabufs0, u->k.minor, u->fbs0),
	      "objects left behind after closing everything");
}

/* Step 6: the host plugs it back in, on the same root port; a new frame */
static int unplug_replug(struct unplug *u)
{
	struct live now;
	struct bo frame2;
	struct fb fb2;
	uint32_t ctx2;
	int gfd2;

	if (host_device("device_add", u->id))
		return EXIT_FAIL;
	CHECK(wait_render_node(u->bdf, true, u->render, sizeof(u->render)),
	      "the re-added dGPU %s got no render node", u->bdf);
	if (failures)
		return EXIT_FAIL;
	u->live0.devices++;
	u->live0.contexts++;
	live_read(&now);
	CHECK(now.devices == u->live0.devices, "%d vprime GPUs after the re-add, expected %d",
	      now.devices, u->live0.devices);
	gfd2 = open(u->render, O_RDWR | O_CLOEXEC);
	CHECK(gfd2 >= 0, "open the re-added dGPU (%s): %s", u->render, strerror(errno));
	if (gfd2 < 0)
		return EXIT_FAIL;
	diag("re-added: %s is %s", u->bdf, u->render);
	ctx2 = ctx_new(gfd2);
	CHECK(ctx2, "context on the re-added dGPU");
	CHECK(!render_and_import(gfd2, ctx2, &u->k, u->w, u->h, 2, &frame2, &fb2),
	      "the re-added dGPU renders a frame the display imports: %s", strerror(errno));
	if (failures)
		return EXIT_FAIL;
	CHECK(!flip_to(&u->k, u->hd, &fb2, 0), "flip to the re-added dGPU's frame: %s",
	      strerror(errno));
	expect_crc(&u->k, u->hd, pattern_crc(u->w, u->h, 2, TAG_UNPLUG),
		   "the re-added dGPU's frame");

	CHECK(!flip_to(&u->k, u->hd, &u->placeholder, 0), "flip to a dumb buffer");
	fb_free(&u->k, &fb2);
	bo_free(gfd2, &frame2);
	close(gfd2);
	CHECK(wait_no_leak(&u->live0, u->dmabufs0, u->k.minor, u->fbs0),
	      "objects left behind by the re-added dGPU");
	return 0;
}

int test_unplug_dgpu(struct ctx *c)
{
	static struct unplug u = { .fence = { -1, -1, -1 } };
	int ret;

	ret = unplug_find_dgpu(c, &u);
	if (!ret)
		ret = unplug_baseline(c, &u);
	if (!ret)
		ret = unplug_show_frame(&u);
	if (!ret)
		ret = unplug_queue_jobs(&u);
	if (!ret)
		ret = unplug_remove(&u);
	if (ret)
		return ret;
	unplug_release(&u);
	ret = unplug_replug(&u);
	if (ret)
		return ret;
	crc_stop(u.hd);
	kms_disable_all(&u.k);
	fb_free(&u.k, &u.placeholder);
	kms_close(&u.k);
	return 0;
}

/* ---- IOMMU fault -------------------------------------------------------- */

static bool iommu_on(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			found = true;
	closedir(d);
	return found;
}

/* "va 0x.. dma 0xA-0xB,0xC-0xD" -> ranges; how many */
static int parse_injection(const char *text, struct dma_range *r, int max)
{
	const char *p = strstr(text, "dma ");
	int n = 0;

	if (!p)
		return 0;
	p += 4;
	while (n < max && sscanf(p, "0x%" SCNx64 "-0x%" SCNx64, &r[n].lo, &r[n].hi) == 2) {
		n++;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return n;
}

/*
 * Find a kernel log record after `since` (a /dev/kmsg fd positioned at
 * the end before the fault) that names the device and an address in one
 * of the ranges.  Bounded wait: the DMAR fault interrupt is asynchronous.
 */
static bool find_dmar_fault(int kfd, const char *bdf, const struct dma_range *r,
			    int nr, char *line, size_t len, int tries)
{
	unsigned int dom, bus, dev, fn, b, d, f;
	char rec[1024];

	sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn);
	for (; tries > 0; tries--) {
		ssize_t n;

		while ((n = read(kfd, rec, sizeof(rec) - 1)) > 0) {
			const char *msg, *p;
			uint64_t addr;
			int i;

			rec[n] = 0;
			msg = strchr(rec, ';');
			if (!msg || !strstr(msg, "DMAR: [DMA "))
				continue;
			p = strstr(msg, "Request device [");
			if (!p || sscanf(p, "Request device [%x:%x.%x]", &b, &d, &f) != 3 ||
			    b != bus || d != dev || f != fn)
				continue;
			p = strstr(msg, "fault addr 0x");
			if (!p || sscanf(p, "fault addr 0x%" SCNx64, &addr) != 1)
				continue;
			for (i = 0; i < nr; i++)
				if (addr >= (r[i].lo & ~0xfffULL) && addr <= r[i].hi) {
					snprintf(line, len, "%s", msg + 1);
					line[strcspn(line, "\n")] = 0;
					return true;
				}
		}
		sleep_ms(100);
	}
	return false;
}

int test_iommu_fault(struct ctx *c)
{
	char dir[PATH_MAX], path[PATH_MAX], text[256], line[512], req[32];
	struct bo src, dst, src2;
	struct dma_range r[8];
	int kinds[2], nk, gfd, kfd, wfd, fence = -1, st, nr, i;
	uint32_t ctx_id, ctx2;
	const char *bdf = NULL;
	struct vprime_cmd copy = { .opcode = VPRIME_OP_COPY };
	struct submit_opts o = { .engine = VPRIME_ENGINE_COPY, .in_fd = -1,
				 .out_fd = true };
	const struct bo *bos[2] = { &src, &dst };

	if (!iommu_on()) {
		printf("# SKIP no IOMMU in this guest (boot with --iommu on)\n");
		return EXIT_SKIP;
	}
	NEED_GPU(c, kinds, nk);
	for (i = 0; i < c->ndev; i++)
		if (c->devs[i].kind == kinds[0]) {
			bdf = c->devs[i].bdf;
			break;
		}
	gfd = gpu_open(c, kinds[0]);
	CHECK(gfd >= 0, "open the GPU");
	if (gfd < 0)
		return EXIT_FAIL;
	debugfs_dir(gfd, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/inject_early_unmap", dir);
	ctx_id = ctx_new(gfd);
	CHECK(!bo_new(gfd, 65536, &src) && !bo_new(gfd, 65536, &dst), "BOs");
	if (failures)
		return EXIT_FAIL;
	memset(src.map, 0xa5, src.size);
	memset(dst.map, 0, dst.size);
	copy.copy.src = src.va;
	copy.copy.dst = dst.va;
	copy.copy.size = src.size;
	/* a normal copy first: both BOs mapped in the context, through the IOMMU */
	CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_COPY, &copy, 1, bos, 2), "first copy");
	CHECK(dst.map[0] == 0xa5 && dst.map[src.size - 1] == 0xa5, "first copy's result");
	memset(dst.map, 0, dst.size);

	/* the bug: the driver dma-unmaps src while the context still maps it */
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(kfd >= 0, "open /dev/kmsg");
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(wfd >= 0, "open %s: %s", path, strerror(errno));
	if (failures)
		return EXIT_FAIL;
	snprintf(req, sizeof(req), "0x%" PRIx64, src.va);
	CHECK(write(wfd, req, strlen(req)) == (ssize_t)strlen(req), "inject_early_unmap: %s",
	      strerror(errno));
	close(wfd);
	CHECK(read_file(path, text, sizeof(text)) >= 0, "read %s", path);
	nr = parse_injection(text, r, 8);
	CHECK(nr > 0, "inject_early_unmap reports no DMA range: '%s'", text);
	if (failures)
		return EXIT_FAIL;
	diag("inject_early_unmap: %s", text);

	/* the GPU reads src again: an IOMMU fault, the job fails */
	CHECK(!submit(gfd, ctx_id, &copy, 1, bos, 2, &o, &fence), "copy from the unmapped BO");
	{
		struct pollfd pfd = { .fd = fence, .events = POLLIN };

		CHECK(poll(&pfd, 1, 30000) == 1, "the faulting copy's fence never signalled");
	}
	st = sync_file_status(fence);
	CHECK(st == -EFAULT, "the faulting copy's fence: status %d, expected -EFAULT", st);
	diag("the faulting copy's fence signalled with %d (%s)", st, strerror(-st));
	CHECK(dst.map[0] == 0 && dst.map[dst.size - 1] == 0,
	      "the faulting copy wrote data: the device read through a stale mapping");
	/* bounded: the DMAR fault interrupt is asynchronous */
	CHECK(find_dmar_fault(kfd, bdf, r, nr, line, sizeof(line), 100),
	      "no DMAR fault logged for %s in the unmapped range", bdf);
	if (line[0])
		diag("guest kernel: %s", line);
	close(fence);
	close(kfd);

	/* recovery: the context is banned; free the broken BO, a new context works */
	{
		struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };

		CHECK(submit(gfd, ctx_id, &nop, 1, NULL, 0, &o, NULL) == -EIO,
		      "the faulted context still takes jobs");
	}
	bo_free(gfd, &src);
	ctx2 = ctx_new(gfd);
	CHECK(ctx2, "new context");
	CHECK(!bo_new(gfd, 65536, &src2), "new BO");
	if (failures)
		return EXIT_FAIL;
	memset(src2.map, 0x3c, src2.size);
	copy.copy.src = src2.va;
	bos[0] = &src2;
	CHECK(!run(gfd, ctx2, VPRIME_ENGINE_COPY, &copy, 1, bos, 2), "copy in a new context");
	CHECK(dst.map[0] == 0x3c && dst.map[dst.size - 1] == 0x3c,
	      "the next copy's result is wrong");
	diag("recovered: a new context copies 64 KiB correctly");
	bo_free(gfd, &src2);
	bo_free(gfd, &dst);
	close(gfd);
	return 0;
}

/* The "live N" line of the display's inject_early_unmap; -1 if unreadable */
static int inject_live(const char *path)
{
	char text[256], *p;

	if (read_file(path, text, sizeof(text)) < 0)
		return -1;
	p = strstr(text, "live ");
	return p ? atoi(p + 5) : -1;
}

/*
 * DMA address of the first page of head h's primary plane, from the
 * "buffer" line under its first plane in vprime_state; 0 if none.
 */
static uint64_t primary_first_dma(struct kms *k, int h)
{
	char path[PATH_MAX], buf[16384], key[32], *p, *end, *at;
	uint64_t addr = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/vprime_state", k->minor);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	snprintf(key, sizeof(key), "head %d [", h);
	p = strstr(buf, key);
	p = p ? strstr(p, "    buffer ") : NULL;
	if (!p)
		return 0;
	end = strchr(p, '\n');
	if (end)
		*end = 0;
	at = strstr(p, "first page ");
	if (at)
		sscanf(at + strlen("first page "), "%" SCNx64, &addr);
	else if ((at = strstr(p, "contiguous at ")))
		sscanf(at + strlen("contiguous at "), "%" SCNx64, &addr);
	return addr;
}

/* What iommu-fault-display holds from one step to the next */
struct display_fault {
	struct kms k;
	struct head *hd;
	const char *bdf;
	char path[PATH_MAX];	/* the display's inject_early_unmap */
	struct fb old, fresh;
	uint32_t black_crc;
	struct dma_range r[8];
	int nr, live0;
	long long before, after;	/* debugfs underruns */
};

/* Two framebuffers, the old one on screen through the IOMMU, CRC on */
static int display_fault_setup(struct ctx *c, struct display_fault *f)
{
	uint32_t crc = 0, *black;
	int i, ret;

	ret = kms_open(c, &f->k);
	if (ret)
		return ret;
	for (i = 0; i < c->ndev && !f->bdf; i++)
		if (c->devs[i].kind == VPRIME_KIND_DISPLAY)
			f->bdf = c->devs[i].bdf;
	CHECK(f->bdf, "no display engine among the PCI devices");
	f->hd = &f->k.heads[0];
	snprintf(f->path, sizeof(f->path), "/sys/kernel/debug/dri/%d/inject_early_unmap",
		 f->k.minor);
	f->live0 = inject_live(f->path);
	CHECK(f->live0 >= 0, "read %s", f->path);
	CHECK(!fb_new(&f->k, &f->old, f->hd->mode.hdisplay, f->hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) &&
	      !fb_new(&f->k, &f->fresh, f->hd->mode.hdisplay, f->hd->mode.vdisplay,
		      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fbs");
	if (failures)
		return EXIT_FAIL;
	fb_fill_pattern(&f->old, 1, 5);
	fb_fill_pattern(&f->fresh, 2, 5);
	black = calloc((size_t)f->hd->mode.hdisplay * f->hd->mode.vdisplay, 4);
	f->black_crc = frame_crc(black, f->hd->mode.hdisplay, f->hd->mode.vdisplay);
	free(black);
	CHECK(fb_crc(&f->old) != f->black_crc, "the test picture's CRC is black's");

	CHECK(!head_enable(&f->k, f->hd, &f->old, 0), "mode set");
	CHECK(!crc_start(&f->k, f->hd), "CRC on");
	if (!crc_current(&f->k, f->hd, &crc))
		CHECK(crc == fb_crc(&f->old), "CRC 0x%08x before the fault, want 0x%08x",
		      crc, fb_crc(&f->old));
	if (failures)
		return EXIT_FAIL;
	f->before = head_underruns(&f->k, 0);
	CHECK(f->before >= 0, "no underrun count in vprime_state");
	return 0;
}

/* The bug: the driver dma-unmaps the buffer the engine scans */
static int display_fault_inject(struct display_fault *f, int kfd)
{
	char text[256];
	int wfd;

	wfd = open(f->path, O_WRONLY | O_CLOEXEC);
	CHECK(wfd >= 0, "open %s: %s", f->path, strerror(errno));
	if (failures)
		return EXIT_FAIL;
	CHECK(write(wfd, "0", 1) == 1, "inject_early_unmap: %s", strerror(errno));
	close(wfd);
	CHECK(read_file(f->path, text, sizeof(text)) >= 0, "read %s", f->path);
	f->nr = parse_injection(text, f->r, 8);
	CHECK(f->nr > 0, "inject_early_unmap reports no DMA range: '%s'", text);
	CHECK(inject_live(f->path) == f->live0 + 1, "inject_early_unmap: live %d, want %d",
	      inject_live(f->path), f->live0 + 1);
	CHECK(kfd >= 0, "open /dev/kmsg");
	if (failures)
		return EXIT_FAIL;
	text[strcspn(text, "\n")] = 0;
	diag("inject_early_unmap: %s", text);
	return 0;
}

/*
 * The engine fetches the buffer again (as after a CPU write): an IOMMU
 * fault naming the display engine, and an underrun, the frame black.
 */
static void display_fault_check(struct display_fault *f, int kfd)
{
	char line[512] = "";
	uint32_t crc = 0;
	int i;

	CHECK(!drmModeDirtyFB(f->k.fd, f->old.fb_id, NULL, 0), "DIRTYFB: %s", strerror(errno));
	if (!crc_current(&f->k, f->hd, &crc)) {
		CHECK(crc != fb_crc(&f->old),
		      "the frame after the fault is the old picture (CRC 0x%08x): stale data shown as good",
		      crc);
		CHECK(crc == f->black_crc, "frame CRC 0x%08x after the fault, want black 0x%08x",
		      crc, f->black_crc);
	}
	/* bounded: the UNDERRUN interrupt and the DMAR fault are asynchronous */
	for (i = 0; i < 100 && head_underruns(&f->k, 0) <= f->before; i++)
		sleep_ms(100);
	f->after = head_underruns(&f->k, 0);
	CHECK(f->after > f->before, "debugfs underruns %lld, want more than %lld",
	      f->after, f->before);
	diag("underrun reported by the driver (debugfs underruns %lld -> %lld), frame CRC 0x%08x (black)",
	     f->before, f->after, crc);
	CHECK(find_dmar_fault(kfd, f->bdf, f->r, f->nr, line, sizeof(line), 100),
	      "no DMAR fault logged for %s in the unmapped range", f->bdf);
	if (line[0])
		diag("guest kernel: %s", line);
}

/* A flip to a fresh buffer shows it; the underruns stop */
static void display_fault_recover(struct display_fault *f)
{
	uint32_t crc = 0;
	uint64_t fresh_dma;

	CHECK(!head_enable(&f->k, f->hd, &f->fresh, 0), "flip to a fresh buffer");
	if (!crc_current(&f->k, f->hd, &crc))
		CHECK(crc == fb_crc(&f->fresh), "CRC 0x%08x after the flip, want 0x%08x",
		      crc, fb_crc(&f->fresh));
	f->after = head_underruns(&f->k, 0);
	wait_vblanks(&f->k, f->hd, 2, NULL);
	CHECK(head_underruns(&f->k, 0) == f->after,
	      "underruns go on after the flip: %lld -> %lld", f->after,
	      head_underruns(&f->k, 0));
	fresh_dma = primary_first_dma(&f->k, 0);
	diag("recovered: a flip to a fresh buffer shows it (CRC 0x%08x), its DMA address 0x%" PRIx64 "%s",
	     crc, fresh_dma, fresh_dma >= f->r[0].lo && fresh_dma <= f->r[f->nr - 1].hi ?
	     " (in the range the bug unmapped: the IOMMU reused it)" : "");
}

/*
 * The broken buffer is freed without a second unmap: that would tear down
 * whatever the IOMMU mapped at those addresses since, here the fresh
 * buffer on screen, which would then fault when fetched.
 */
static void display_fault_free_broken(struct display_fault *f)
{
	uint32_t crc = 0;
	int i;

	fb_free(&f->k, &f->old);
	for (i = 0; i < FREE_WAIT_S * 10 && inject_live(f->path) != f->live0; i++)
		sleep_ms(100);
	CHECK(inject_live(f->path) == f->live0,
	      "the unmapped buffer was not freed: live %d, want %d",
	      inject_live(f->path), f->live0);
	CHECK(!drmModeDirtyFB(f->k.fd, f->fresh.fb_id, NULL, 0), "DIRTYFB: %s",
	      strerror(errno));
	if (!crc_current(&f->k, f->hd, &crc))
		CHECK(crc == fb_crc(&f->fresh),
		      "CRC 0x%08x after freeing the broken buffer, want 0x%08x: its free unmapped the fresh one's pages",
		      crc, fb_crc(&f->fresh));
	CHECK(head_underruns(&f->k, 0) == f->after,
	      "underruns after freeing the broken buffer: %lld -> %lld", f->after,
	      head_underruns(&f->k, 0));
}

int test_iommu_fault_display(struct ctx *c)
{
	static struct display_fault f;
	int ret, kfd;

	if (!iommu_on()) {
		printf("# SKIP no IOMMU in this guest (boot with --iommu on)\n");
		return EXIT_SKIP;
	}
	ret = display_fault_setup(c, &f);
	if (ret)
		return ret;
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	ret = display_fault_inject(&f, kfd);
	if (ret) {
		if (kfd >= 0)
			close(kfd);
		return ret;
	}
	display_fault_check(&f, kfd);
	close(kfd);
	display_fault_recover(&f);
	display_fault_free_broken(&f);
	crc_stop(f.hd);
	kms_disable_all(&f.k);
	fb_free(&f.k, &f.fresh);
	kms_close(&f.k);
	return 0;
}
