// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU access to the dma-bufs of every vprime exporter: mmap of the
 * dma-buf fd and DMA_BUF_IOCTL_SYNC with the semantics real exporters
 * give.  SYNC_START for a read waits for the GPU's pending writes, for a
 * write it waits for the GPU's pending reads too; a CPU mapping of a VRAM
 * BO (write-combined, through the BAR) follows the BO when it moves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>

#include "vprime_regs.h"
#include "vprime_drm.h"

#include "gpu-lib.h"
#include "guest-test.h"
#include "kms-lib.h"

/* How long a SYNC_START that must block is watched before the GPU goes */
#define BLOCKED_MS	300
/* How long one that must not block may take, on a loaded machine */
#define PROMPT_MS	5000

static int dmabuf_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A SYNC_START in a thread, so that the test can see whether it blocks */
struct syncer {
	pthread_t thread;
	int dmabuf;
	uint64_t flags;
	atomic_bool returned;
	int ret;
	const uint32_t *map;	/* read the first word after the SYNC_START */
	uint32_t word;
};

static void *syncer_main(void *arg)
{
	struct syncer *s = arg;

	s->ret = dmabuf_sync(s->dmabuf, DMA_BUF_SYNC_START | s->flags);
	if (s->map)
		s->word = s->map[0];
	atomic_store(&s->returned, true);
	return NULL;
}

static void syncer_start(struct syncer *s, int dmabuf, uint64_t flags, const uint32_t *map)
{
	memset(s, 0, sizeof(*s));
	s->dmabuf = dmabuf;
	s->flags = flags;
	s->map = map;
	pthread_create(&s->thread, NULL, syncer_main, s);
}

static bool syncer_returned_within(struct syncer *s, int ms)
{
	for (; ms > 0 && !atomic_load(&s->returned); ms -= 10)
		sleep_ms(10);
	return atomic_load(&s->returned);
}

/* Wait for the thread; the caller ends the CPU access (SYNC_END) */
static void syncer_join(struct syncer *s)
{
	pthread_join(s->thread, NULL);
}

/* Check that every word of a map is @want; the count of those that differ */
static uint64_t count_not(const uint32_t *map, uint64_t size, uint32_t want)
{
	uint64_t i, bad = 0;

	for (i = 0; i < size / 4; i++)
		bad += map[i] != want;
	return bad;
}

/*
 * One exporter's buffer @b on the GPU @gfd (its own BO, or a display dumb
 * buffer the GPU imported), exported as @dmabuf: the CPU writes through
 * the dma-buf's mmap and the GPU reads it; the GPU writes it and the CPU
 * reads through the mmap after SYNC_START, which waits for the GPU.
 */
static void mmap_sync_one(const char *what, int gfd, uint32_t ctx_id, const struct bo *b,
			  int dmabuf)
{
	uint32_t *map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	struct bo scratch;
	const struct bo *bos[2] = { b, &scratch };
	struct vprime_cmd cmd;
	uint64_t i, bad = 0;
	int r;

	CHECK(map != MAP_FAILED, "%s: mmap of the dma-buf: %s", what, strerror(errno));
	CHECK(!bo_new(gfd, b->size, &scratch), "%s: scratch BO", what);
	if (failures)
		return;
	/* CPU writes, the GPU copies it out */
	r = dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	for (i = 0; i < b->size / 4; i++)
		map[i] = (uint32_t)(i * 2654435761u) ^ 0xc0ffee;
	r = r ?: dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	CHECK(!r, "%s: SYNC around the CPU write: %s", what, strerror(-r));
	cmd = copy_cmd(b->va, scratch.va, b->size);
	CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 2), "%s: GPU copy", what);
	for (i = 0; i < b->size / 4; i++)
		bad += ((uint32_t *)scratch.map)[i] != ((uint32_t)(i * 2654435761u) ^ 0xc0ffee);
	CHECK(!bad, "%s: the GPU read %" PRIu64 " words the CPU did not write", what, bad);

	/* the GPU fills it; SYNC_START for read waits for that write */
	cmd = fill(b->va, 4096, 1024, b->size / 4096, VPRIME_FMT_XRGB8888, 0x00a1b2c3);
	CHECK(!submit(gfd, ctx_id, &cmd, 1, bos, 1,
		      &(struct submit_opts){ .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 }, NULL),
	      "%s: GPU fill", what);
	r = dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	bad = count_not(map, b->size, 0x00a1b2c3);
	r = r ?: dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	CHECK(!r && !bad, "%s: after SYNC_START the CPU read %" PRIu64 " words the GPU had not "
	      "written (%s)", what, bad, strerror(-r));
	diag("%s: mmap of the dma-buf + SYNC: the GPU read the CPU's writes, the CPU read "
	     "the GPU's fill", what);
	munmap(map, b->size);
	bo_free(gfd, &scratch);
}

/*
 * A VRAM BO mapped through its dma-buf (through the BAR) survives a move
 * to system memory: a static importer (vgem) makes it move; the same map
 * then reads the same words and the GPU sees writes made through it.
 */
static void vram_map_follows(int gfd, uint32_t ctx_id, const struct bo *b, int dmabuf)
{
	uint32_t *map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	struct drm_vprime_gem_info in = { .handle = b->handle };
	struct drm_prime_handle imp = { .fd = dmabuf };
	uint64_t mig0, bad;
	struct bo scratch;
	const struct bo *bos[2] = { b, &scratch };
	struct vprime_cmd cmd;
	int vfd, r;

	CHECK(map != MAP_FAILED, "mmap");
	CHECK(!bo_new(gfd, b->size, &scratch), "scratch BO");
	vfd = drm_card_by_driver("vgem");
	CHECK(vfd >= 0, "no vgem");
	if (failures)
		return;
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(map, 0x3c, b->size);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	mig0 = gpu_migrations(gfd);
	/* vgem attaches statically: the BO must move to system memory */
	CHECK(!ioctl(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp), "vgem import: %s", strerror(errno));
	CHECK(gpu_migrations(gfd) == mig0 + 1 &&
	      !ioctl(gfd, DRM_IOCTL_VPRIME_GEM_INFO, &in) && in.placement == VPRIME_GEM_SYSTEM,
	      "a static importer did not move the VRAM BO to system memory");
	r = dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	bad = count_not(map, b->size, 0x3c3c3c3c);
	memset(map, 0x69, b->size);
	r = r ?: dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	CHECK(!r && !bad, "through the old map after the move: %" PRIu64 " words differ", bad);
	cmd = copy_cmd(b->va, scratch.va, b->size);
	CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 2) &&
	      !count_not((uint32_t *)scratch.map, b->size, 0x69696969),
	      "the GPU does not see the writes made through the old map after the move");
	diag("dGPU VRAM: the dma-buf's mmap followed the BO to system memory (migrations "
	     "%" PRIu64 " -> %" PRIu64 ")", mig0, gpu_migrations(gfd));
	munmap(map, b->size);
	bo_free(gfd, &scratch);
	close(vfd);
}

/* mmap + SYNC on every vprime exporter */
int test_dmabuf_mmap_sync(struct ctx *c)
{
	int kinds[2], nk, i, gfd, dmabuf;
	uint32_t ctx_id;
	struct bo b;

	NEED_GPU(c, kinds, nk);
	for (i = 0; i < nk; i++) {
		int pl;

		gfd = gpu_open(c, kinds[i]);
		ctx_id = ctx_new(gfd);
		for (pl = 0; pl < (kinds[i] == VPRIME_KIND_DGPU ? 2 : 1); pl++) {
			char what[48];

			snprintf(what, sizeof(what), "%s %s BO", kind_name(kinds[i]),
				 pl ? "VRAM" : "system");
			CHECK(!bo_new_flags(gfd, 1 << 20, pl ? VPRIME_GEM_VRAM : 0, &b), "%s", what);
			dmabuf = prime_export(gfd, b.handle);
			CHECK(dmabuf >= 0, "%s: export", what);
			if (failures)
				return EXIT_FAIL;
			mmap_sync_one(what, gfd, ctx_id, &b, dmabuf);
			if (pl)
				vram_map_follows(gfd, ctx_id, &b, dmabuf);
			close(dmabuf);
			bo_free(gfd, &b);
		}
		close(gfd);
	}

	/* the display's dumb buffer, written and read by a GPU that imported it */
	for (i = 0; i < c->ndev && c->devs[i].kind != VPRIME_KIND_DISPLAY; i++)
		;
	if (i == c->ndev) {
		diag("no display engine: no dumb buffer to check");
		return 0;
	}
	{
		struct kms k;
		struct fb f;
		struct bo in;
		int ret = kms_open(c, &k);

		if (ret)
			return ret;
		CHECK(!fb_new(&k, &f, 1024, 256, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR),
		      "dumb buffer");
		dmabuf = prime_export(k.fd, f.handle);
		gfd = gpu_open(c, kinds[0]);
		ctx_id = ctx_new(gfd);
		CHECK(dmabuf >= 0 && !prime_import(gfd, dmabuf, &in), "GPU import of the dumb buffer");
		if (!failures) {
			in.size = f.size;
			mmap_sync_one("display dumb buffer", gfd, ctx_id, &in, dmabuf);
			gem_close(gfd, in.handle);
		}
		if (dmabuf >= 0)
			close(dmabuf);
		close(gfd);
		fb_free(&k, &f);
		kms_close(&k);
	}
	return 0;
}

/*
 * A job gated on memory the CPU releases: WAIT on sem, then @cmd.  Its
 * fence is pending until the gate opens.
 */
static void gated(int gfd, uint32_t ctx_id, uint32_t engine, struct bo *sem,
		  struct vprime_cmd cmd, const struct bo **bos, uint32_t nbos)
{
	struct vprime_cmd cmds[2] = { { .opcode = VPRIME_OP_WAIT }, cmd };
	const struct bo *all[4] = { sem };
	uint32_t i;

	*(volatile uint64_t *)sem->map = 0;
	cmds[0].wait.addr = sem->va;
	cmds[0].wait.value = 1;
	for (i = 0; i < nbos; i++)
		all[i + 1] = bos[i];
	CHECK(!submit(gfd, ctx_id, cmds, 2, all, nbos + 1,
		      &(struct submit_opts){ .engine = engine, .in_fd = -1 }, NULL),
	      "gated job: %s", strerror(errno));
}

/* b exported and mapped through its dma-buf, every byte set to fill */
static uint32_t *export_mapped(int gfd, const struct bo *b, int fill, int *dmabuf)
{
	void *map;

	*dmabuf = prime_export(gfd, b->handle);
	CHECK(*dmabuf >= 0, "export");
	if (*dmabuf < 0)
		return NULL;
	map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, *dmabuf, 0);
	CHECK(map != MAP_FAILED, "mmap");
	if (map == MAP_FAILED) {
		close(*dmabuf);
		return NULL;
	}
	memset(map, fill, b->size);
	return map;
}

/*
 * SYNC_START for read waits for the GPU's pending write: without it the
 * CPU reads the old pixels (the render is held back, so the stale read is
 * certain), with it the final ones.
 */
int test_dmabuf_sync_read(struct ctx *c)
{
	int kinds[2], nk, gfd, dmabuf;
	struct bo b, sem;
	const struct bo *bos[1] = { &b };
	struct syncer s;
	uint32_t ctx_id, *map;
	uint64_t stale;

	NEED_GPU(c, kinds, nk);
	gfd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(gfd);
	CHECK(!bo_new(gfd, 1 << 20, &b) && !bo_new(gfd, 4096, &sem), "BOs");
	map = export_mapped(gfd, &b, 0x11, &dmabuf);
	if (!map)
		return EXIT_FAIL;

	gated(gfd, ctx_id, VPRIME_ENGINE_RENDER, &sem,
	      fill(b.va, 4096, 1024, b.size / 4096, VPRIME_FMT_XRGB8888, 0x00f1f2f3), bos, 1);
	/* no SYNC: the render is pending, the CPU sees the old pixels */
	stale = b.size / 4 - count_not(map, b.size, 0x11111111);
	CHECK(stale == b.size / 4, "the render ran before its gate opened");
	diag("read without SYNC_START while the render is pending: %" PRIu64 " of %" PRIu64
	     " words still the old pixels", stale, b.size / 4);

	syncer_start(&s, dmabuf, DMA_BUF_SYNC_READ, map);
	CHECK(!syncer_returned_within(&s, BLOCKED_MS),
	      "SYNC_START for read returned while the GPU's write was pending");
	*(volatile uint64_t *)sem.map = 1;	/* the render goes */
	syncer_join(&s);
	CHECK(!s.ret && s.word == 0x00f1f2f3, "after SYNC_START the CPU read 0x%08x (%s)",
	      s.word, strerror(-s.ret));
	CHECK(!count_not(map, b.size, 0x00f1f2f3), "the final pixels are not all there");
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	diag("SYNC_START for read blocked until the render was done, then the CPU read its "
	     "pixels");
	munmap(map, b.size);
	close(dmabuf);
	bo_free(gfd, &b);
	bo_free(gfd, &sem);
	close(gfd);
	return 0;
}

/*
 * A GPU job that only reads the buffer: the CPU may read along (SYNC_START
 * for read does not wait for readers), but a CPU write waits for it.
 */
int test_dmabuf_sync_write(struct ctx *c)
{
	int kinds[2], nk, gfd, dmabuf;
	struct bo b, dst, sem;
	const struct bo *bos[2] = { &b, &dst };
	struct syncer rd, wr;
	uint32_t ctx_id, *map;

	NEED_GPU(c, kinds, nk);
	gfd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(gfd);
	CHECK(!bo_new(gfd, 1 << 20, &b) && !bo_new(gfd, 1 << 20, &dst) &&
	      !bo_new(gfd, 4096, &sem), "BOs");
	map = export_mapped(gfd, &b, 0x22, &dmabuf);
	if (!map)
		return EXIT_FAIL;

	/* a pending copy out of b: b's reader, dst's writer */
	gated(gfd, ctx_id, VPRIME_ENGINE_COPY, &sem, copy_cmd(b.va, dst.va, b.size), bos, 2);
	syncer_start(&rd, dmabuf, DMA_BUF_SYNC_READ, map);
	CHECK(syncer_returned_within(&rd, PROMPT_MS) && !rd.ret,
	      "SYNC_START for read waited for a GPU job that only reads the buffer");
	syncer_start(&wr, dmabuf, DMA_BUF_SYNC_WRITE, NULL);
	CHECK(!syncer_returned_within(&wr, BLOCKED_MS),
	      "SYNC_START for write returned while the GPU was still to read the buffer");
	*(volatile uint64_t *)sem.map = 1;	/* the copy goes */
	syncer_join(&wr);
	CHECK(!wr.ret, "SYNC_START for write: %s", strerror(-wr.ret));
	/* the copy read the old contents: the CPU writes only after it */
	memset(map, 0x33, b.size);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	syncer_join(&rd);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	CHECK(!count_not((uint32_t *)dst.map, dst.size, 0x22222222),
	      "the GPU's copy saw the CPU's later write");
	diag("SYNC_START: for read it did not wait for the GPU's read, for write it did; the "
	     "GPU read the contents from before the CPU's write");
	munmap(map, b.size);
	close(dmabuf);
	bo_free(gfd, &b);
	bo_free(gfd, &dst);
	bo_free(gfd, &sem);
	close(gfd);
	return 0;
}
