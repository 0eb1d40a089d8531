// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPU tests: commands, fences and sync, faults and hangs, PRIME between
 * the GPUs and with foreign exporters, VRAM, debugfs, how SUBMIT takes
 * its BO list and how long a BO stays mapped; the submit benchmark.
 * Helpers in gpu-lib.c.
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
#include <sys/mman.h>
#include <unistd.h>

#include "guest-test.h"
#include "host-msg.h"
#include "kms-lib.h"

/* Every command on every GPU, pixels checked through a CPU mmap */
int test_gpu_commands(struct ctx *c)
{
	int kinds[2], nk, k;

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		int fd = gpu_open(c, kinds[k]);
		uint32_t ctx_id = ctx_new(fd), x, y;
		struct bo a, b, t;
		const struct bo *bos[3] = { &a, &b, &t };
		struct vprime_cmd cmd;
		const uint32_t w = 100, h = 50, pitch = 512, tpitch = 512;
		uint64_t layouts = 0, mod = 0;
		uint32_t l, tiled = 0;
		bool ok = true;
		int ret;

		CHECK(fd >= 0 && ctx_id, "%s: open/ctx", kind_name(kinds[k]));
		if (fd < 0 || !ctx_id)
			continue;
		CHECK(!bo_new(fd, 1 << 20, &a) && !bo_new(fd, 1 << 20, &b) &&
		      !bo_new(fd, 1 << 20, &t), "bo_new");

		/* FILL in each format */
		cmd = fill(a.va, pitch, w, h, VPRIME_FMT_ARGB8888, 0x80112233);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3),
		      "fill");
		for (y = 0; y < h && ok; y++)
			for (x = 0; x < w && ok; x++)
				ok = *(uint32_t *)(a.map + y * pitch + x * 4) == 0x80112233;
		CHECK(ok && *(uint32_t *)(a.map + w * 4) == 0,
		      "%s: FILL ARGB8888 pixels", kind_name(kinds[k]));
		cmd = fill(b.va, pitch, w, 1, VPRIME_FMT_RGB565, 0xff123456);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3) &&
		      *(uint16_t *)(b.map + 2 * (w - 1)) == 0x11aa,
		      "%s: FILL RGB565", kind_name(kinds[k]));

		/* PATTERN */
		cmd = pattern(b.va, pitch, w, h, 9, kinds[k] + 1);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3),
		      "pattern");
		for (ok = true, y = 0; y < h && ok; y++)
			for (x = 0; x < w && ok; x++)
				ok = *(uint32_t *)(b.map + y * pitch + x * 4) ==
				     vprime_pattern_pixel(9, kinds[k] + 1, x, y);
		CHECK(ok, "%s: PATTERN pixels", kind_name(kinds[k]));

		/*
		 * BLIT linear -> each tiled layout this GPU takes (render),
		 * checked where the public definition of its modifier puts
		 * each pixel; the others refused by SUBMIT.  COPY tiled -> a
		 * (copy) after.
		 */
		CHECK(!get_param(fd, VPRIME_PARAM_LAYOUTS, &layouts),
		      "%s: GET_PARAM LAYOUTS", kind_name(kinds[k]));
		for (l = VPRIME_LAYOUT_X_TILED; l < VPRIME_LAYOUT_COUNT; l++) {
			CHECK(!get_param(fd, VPRIME_PARAM_LAYOUT_MODIFIER(l), &mod) &&
			      mod_tile_w(mod), "%s: layout %u's modifier 0x%" PRIx64,
			      kind_name(kinds[k]), l, mod);
			cmd = blit_cmd(b.va, pitch, VPRIME_FMT_XRGB8888, t.va, tpitch,
				       VPRIME_FMT_XRGB8888, w, h);
			cmd.blit.dst_layout = l;
			ret = run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3);
			if (!(layouts & (1u << l))) {
				CHECK(ret == -EINVAL, "%s: BLIT to layout %u it does not take: %d",
				      kind_name(kinds[k]), l, ret);
				continue;
			}
			CHECK(!ret, "blit");
			for (ok = true, y = 0; y < h && ok; y++)
				for (x = 0; x < w && ok; x++)
					ok = *(uint32_t *)(t.map + px_offset(mod, tpitch, 4, x, y)) ==
					     vprime_pattern_pixel(9, kinds[k] + 1, x, y);
			CHECK(ok, "%s: BLIT to layout %u (modifier 0x%" PRIx64 ")",
			      kind_name(kinds[k]), l, mod);
			tiled++;
		}
		CHECK(tiled == (kinds[k] == VPRIME_KIND_DGPU ? 1 : 2),
		      "%s: %u tiled layouts", kind_name(kinds[k]), tiled);
		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_COPY;
		cmd.copy.src = t.va;
		cmd.copy.dst = a.va;
		cmd.copy.size = 65536 + 3;
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
		      !memcmp(a.map, t.map, 65536 + 3) && a.map[65536 + 3] == 0,
		      "%s: COPY bytes", kind_name(kinds[k]));
		diag("%s: FILL, PATTERN, BLIT (tiled: layouts 0x%" PRIx64 "), COPY checked",
		     kind_name(kinds[k]), layouts);
		bo_free(fd, &a);
		bo_free(fd, &b);
		bo_free(fd, &t);
		close(fd);
	}
	return 0;
}

/*
 * Fences: signalled by the engine interrupt; implicit sync orders a copy
 * after the fill of the BO it reads, across engines; explicit sync
 * (sync_file, binary and timeline syncobj) holds a job until its in-fence.
 */
int test_gpu_sync(struct ctx *c)
{
	int kinds[2], nk, fd, held, sfd;
	uint32_t ctx_id, s1, s2;
	uint64_t irq0 = 0, irq1 = 0;
	struct bo x, y, w;
	const struct bo *xy[2] = { &x, &y }, *wb[1] = { &w }, *yb[1] = { &y };
	struct submit_opts o = { .in_fd = -1 };
	struct vprime_cmd cmd;
	int mode;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(fd >= 0 && ctx_id, "open/ctx");
	CHECK(!bo_new(fd, 8 << 20, &x) && !bo_new(fd, 8 << 20, &y) &&
	      !bo_new(fd, 4096, &w), "bo_new");

	/* implicit: 8 MiB fill on render, then copy on the copy engine */
	irq0 = dev_irq_count(fd);
	cmd = fill(x.va, 4096, 1024, 2048, VPRIME_FMT_XRGB8888, 0x00abcdef);
	o.engine = VPRIME_ENGINE_RENDER;
	CHECK(!submit(fd, ctx_id, &cmd, 1, xy, 1, &o, NULL), "submit fill");
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = VPRIME_OP_COPY;
	cmd.copy.src = x.va;
	cmd.copy.dst = y.va;
	cmd.copy.size = 8 << 20;
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, xy, 2), "copy");
	CHECK(*(uint32_t *)(y.map + (8 << 20) - 4) == 0x00abcdef,
	      "implicit sync: the copy read the fill's result (0x%x)",
	      *(uint32_t *)(y.map + (8 << 20) - 4));
	irq1 = dev_irq_count(fd);
	CHECK(irq1 >= irq0 + 2, "fence interrupts: %" PRIu64 " -> %" PRIu64,
	      irq0, irq1);
	diag("implicit sync across engines ok; %" PRIu64 " engine interrupts",
	     irq1 - irq0);

	/* explicit: job A waits on memory the CPU releases; B depends on A */
	for (mode = 0; mode < 3; mode++) {
		static const char *const names[] = { "sync_file", "binary syncobj",
						     "timeline syncobj" };
		struct submit_opts a = { .engine = VPRIME_ENGINE_RENDER,
					 .in_fd = -1 };
		struct submit_opts b = { .engine = VPRIME_ENGINE_COPY,
					 .in_fd = -1 };
		struct vprime_cmd wait = { .opcode = VPRIME_OP_WAIT };

		memset(w.map, 0, 8);
		memset(y.map, 0, 4096);
		wait.wait.addr = w.va;
		wait.wait.value = 1;
		s1 = syncobj_new(fd);
		s2 = syncobj_new(fd);
		if (mode == 0)
			a.out_fd = true;
		else
			a.out_syncobj = s1;
		if (mode == 2)
			a.out_point = 5;
		CHECK(!submit(fd, ctx_id, &wait, 1, wb, 1, &a, &sfd), "submit A");
		if (mode == 0)
			b.in_fd = sfd;
		else
			b.in_syncobj = s1;
		if (mode == 2)
			b.in_point = 5;
		b.out_syncobj = s2;
		cmd = fill(y.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00111111);
		CHECK(!submit(fd, ctx_id, &cmd, 1, yb, 1, &b, NULL), "submit B");
		held = syncobj_wait(fd, s2, 0, 300);
		CHECK(held == -ETIME && *(uint32_t *)y.map == 0,
		      "%s: B ran before its in-fence (%d)", names[mode], held);
		if (mode == 0)
			CHECK(sync_file_status(sfd) == 0, "sync_file not pending");
		*(volatile uint64_t *)w.map = 1;	/* release A */
		CHECK(!syncobj_wait(fd, s2, 0, 10000) &&
		      *(uint32_t *)y.map == 0x00111111,
		      "%s: B did not run after A", names[mode]);
		if (mode == 0) {
			CHECK(sync_file_status(sfd) == 1, "sync_file not signalled");
			close(sfd);
		}
		if (mode == 2)
			CHECK(!syncobj_wait(fd, s1, 5, 0), "timeline point 5");
		diag("explicit sync through %s ok", names[mode]);
	}
	bo_free(fd, &x);
	bo_free(fd, &y);
	bo_free(fd, &w);
	close(fd);
	return 0;
}

/* A page fault fails the job, bans the context; a new context works */
int test_gpu_fault(struct ctx *c)
{
	int kinds[2], nk, fd, sfd = -1;
	uint32_t ctx_id, ctx2;
	struct bo a;
	const struct bo *ab[1] = { &a };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd cmd;
	struct pollfd p;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(!bo_new(fd, 4096, &a), "bo_new");
	/* one row past the end of the only mapped BO */
	cmd = fill(a.va + (64 << 20), 4096, 16, 1, VPRIME_FMT_XRGB8888, 1);
	CHECK(!submit(fd, ctx_id, &cmd, 1, ab, 1, &o, &sfd), "submit");
	p.fd = sfd;
	p.events = POLLIN;
	CHECK(poll(&p, 1, 10000) == 1, "faulting job never completed");
	CHECK(sync_file_status(sfd) < 0, "faulting job's fence has no error (%d)",
	      sync_file_status(sfd));
	diag("faulting job's fence error %d", sync_file_status(sfd));
	close(sfd);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 1);
	CHECK(run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) == -EIO,
	      "banned context accepted a job");
	ctx2 = ctx_new(fd);
	CHECK(ctx2 && !run(fd, ctx2, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) &&
	      *(uint32_t *)a.map == 1, "a new context does not work");
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* A hung job times out, the engine resets, the next job succeeds */
int test_gpu_hang(struct ctx *c)
{
	int kinds[2], nk, fd, sfd = -1;
	uint32_t ctx_id, ctx2;
	struct bo w, a;
	const struct bo *bos[2] = { &w, &a };
	struct submit_opts o = { .engine = VPRIME_ENGINE_COPY, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd wait = { .opcode = VPRIME_OP_WAIT }, cmd;
	struct pollfd p;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(!bo_new(fd, 4096, &w) && !bo_new(fd, 4096, &a), "bo_new");
	wait.wait.addr = w.va;
	wait.wait.value = 1;		/* nobody ever writes it */
	CHECK(!submit(fd, ctx_id, &wait, 1, bos, 1, &o, &sfd), "submit");
	p.fd = sfd;
	p.events = POLLIN;
	CHECK(poll(&p, 1, 20000) == 1, "hung job never timed out");
	CHECK(sync_file_status(sfd) < 0, "timed-out job has no error (%d)",
	      sync_file_status(sfd));
	diag("hung job's fence error %d", sync_file_status(sfd));
	close(sfd);
	ctx2 = ctx_new(fd);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 7);
	CHECK(ctx2 && !run(fd, ctx2, VPRIME_ENGINE_COPY, &cmd, 1, bos, 2) &&
	      *(uint32_t *)a.map == 7, "the engine does not work after reset");
	bo_free(fd, &w);
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/*
 * The dGPU and the iGPU, each opened with a context, for the tests between
 * the two; EXIT_SKIP in a topology without both.
 */
static int gpu_pair_open(struct ctx *c, int *dfd, int *ifd, uint32_t *dctx,
			 uint32_t *ictx)
{
	int kinds[2], nk;

	NEED_GPU(c, kinds, nk);
	if (nk < 2) {
		printf("# SKIP needs both an iGPU and a dGPU\n");
		return EXIT_SKIP;
	}
	*dfd = gpu_open(c, VPRIME_KIND_DGPU);
	*ifd = gpu_open(c, VPRIME_KIND_IGPU);
	*dctx = ctx_new(*dfd);
	*ictx = ctx_new(*ifd);
	return 0;
}

/*
 * PRIME: the dGPU renders into its BO and exports it; the iGPU imports it
 * and blits from it.  The iGPU reads the dGPU's pages: no CPU copy.
 */
int test_gpu_prime(struct ctx *c)
{
	int dfd, ifd, pl, ret;
	uint32_t dctx, ictx;
	struct bo src, dst;
	const struct bo *sb[1] = { &src };
	struct vprime_cmd cmd;
	uint32_t x, y;

	ret = gpu_pair_open(c, &dfd, &ifd, &dctx, &ictx);
	if (ret)
		return ret;
	/* the dGPU renders in system memory, then in VRAM (which migrates) */
	for (pl = 0; pl < 2; pl++) {
		struct bo in;
		bool ok = true;
		int dmabuf;

		CHECK(!bo_new_flags(dfd, 1 << 20, pl ? VPRIME_GEM_VRAM : 0, &src) &&
		      !bo_new(ifd, 1 << 20, &dst), "bo_new");
		cmd = pattern(src.va, 1024, 256, 64, 3 + pl, 0x42);
		CHECK(!run(dfd, dctx, VPRIME_ENGINE_RENDER, &cmd, 1, sb, 1),
		      "dGPU pattern");

		dmabuf = prime_share(dfd, src.handle, ifd, &in);
		CHECK(dmabuf >= 0, "export/import: %s", strerror(-dmabuf));
		{
			const struct bo *bos[2] = { &in, &dst };

			cmd = blit_cmd(in.va, 1024, VPRIME_FMT_XRGB8888, dst.va, 512,
				       VPRIME_FMT_RGB565, 256, 64);
			CHECK(!run(ifd, ictx, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 2),
			      "iGPU blit from the imported BO");
		}
		for (y = 0; y < 64 && ok; y++)
			for (x = 0; x < 256 && ok; x++) {
				uint32_t p = vprime_pattern_pixel(3 + pl, 0x42, x, y);
				uint16_t want = ((p >> 8) & 0xf800) | ((p >> 5) & 0x07e0) |
						((p >> 3) & 0x001f);

				ok = *(uint16_t *)(dst.map + y * 512 + x * 2) == want;
			}
		CHECK(ok, "iGPU result differs from the dGPU's pattern");
		if (pl == 1 && cmdline_has("vprime.hold=prime")) {
			/* the host reads the device counters before it answers */
			struct hmsg m;
			struct hreply r = { .ok = false };

			hmsg_start(&m, "hold");
			hmsg_str(&m, "tag", "prime");
			CHECK(!host_call(&m, &r, 60) && r.ok,
			      "the host did not read the counters: %s", hreply_why(&r));
		}
		diag("dGPU (%s) -> dma-buf -> iGPU blit: %s",
		     pl ? "VRAM, migrated" : "system memory",
		     ok ? "pixels match" : "MISMATCH");
		if (dmabuf >= 0)
			close(dmabuf);
		bo_free(dfd, &src);
		bo_free(ifd, &dst);
	}
	close(dfd);
	close(ifd);
	return 0;
}

/*
 * Implicit sync across devices: the dGPU's job writing a BO is still
 * running when the iGPU's job reading the imported dma-buf is submitted;
 * the shared reservation object must make the iGPU wait.
 */
int test_gpu_cross_device_sync(struct ctx *c)
{
	int dfd, ifd, ret;
	uint32_t dctx, ictx;
	struct bo src, dst, w, in;
	const struct bo *dbos[2] = { &src, &w };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct vprime_cmd cmds[2], cmd;
	int dmabuf;

	ret = gpu_pair_open(c, &dfd, &ifd, &dctx, &ictx);
	if (ret)
		return ret;
	CHECK(!bo_new(dfd, 65536, &src) && !bo_new(dfd, 4096, &w) &&
	      !bo_new(ifd, 65536, &dst), "bo_new");
	dmabuf = prime_share(dfd, src.handle, ifd, &in);
	CHECK(dmabuf >= 0, "export/import: %s", strerror(-dmabuf));

	/* dGPU: wait for the CPU's go, then fill the shared BO */
	memset(cmds, 0, sizeof(cmds));
	cmds[0].opcode = VPRIME_OP_WAIT;
	cmds[0].wait.addr = w.va;
	cmds[0].wait.value = 1;
	cmds[1] = fill(src.va, 4096, 1024, 16, VPRIME_FMT_XRGB8888, 0x00d00d00);
	CHECK(!submit(dfd, dctx, cmds, 2, dbos, 2, &o, NULL), "dGPU submit");
	/* iGPU: copy from the imported BO, submitted while the dGPU waits */
	{
		const struct bo *ibos[2] = { &in, &dst };
		struct submit_opts io = { .engine = VPRIME_ENGINE_COPY,
					  .in_fd = -1 };

		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_COPY;
		cmd.copy.src = in.va;
		cmd.copy.dst = dst.va;
		cmd.copy.size = 65536;
		io.out_syncobj = syncobj_new(ifd);
		CHECK(!submit(ifd, ictx, &cmd, 1, ibos, 2, &io, NULL), "iGPU submit");
		CHECK(syncobj_wait(ifd, io.out_syncobj, 0, 300) == -ETIME,
		      "the iGPU did not wait for the dGPU's write");
		*(volatile uint64_t *)w.map = 1;
		CHECK(!syncobj_wait(ifd, io.out_syncobj, 0, 10000) &&
		      *(uint32_t *)(dst.map + 65532) == 0x00d00d00,
		      "the iGPU copied before the dGPU's fill landed");
	}
	diag("iGPU job waited for the dGPU's fence through the dma-buf");
	if (dmabuf >= 0)
		close(dmabuf);
	bo_free(dfd, &src);
	bo_free(dfd, &w);
	bo_free(ifd, &dst);
	close(dfd);
	close(ifd);
	return 0;
}

/* Import a foreign dma-buf into the first GPU and fill it there */
static int gpu_fill_foreign(struct ctx *c, int dmabuf_fd, uint32_t pitch,
			    uint32_t color)
{
	struct drm_prime_handle imp = { .fd = dmabuf_fd };
	struct drm_vprime_gem_info info = { 0 };
	int kinds[2], fd, ret;
	uint32_t ctx_id;
	struct vprime_cmd cmd;
	struct bo in;
	const struct bo *bos[1] = { &in };

	if (!gpu_kinds(c, kinds))
		return -ENODEV;
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp)) {
		ret = -errno;
		goto out;
	}
	info.handle = imp.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &info)) {
		ret = -errno;
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.handle = imp.handle;
	in.va = info.gpu_va;
	cmd = fill(in.va, pitch, pitch / 4, 16, VPRIME_FMT_XRGB8888, color);
	ret = run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1);
out:
	close(fd);
	return ret;
}

/* vgem and udmabuf buffers imported by a GPU: it writes their pages */
int test_gpu_import_foreign(struct ctx *c)
{
	int kinds[2], nk, vfd, dfd;
	uint32_t *p, pitch;
	size_t size;

	NEED_GPU(c, kinds, nk);
	/* vgem: a dumb buffer on the vgem card, exported */
	vfd = drm_card_by_driver("vgem");
	if (vfd < 0) {
		CHECK(0, "no vgem device (modprobe vgem)");
	} else {
		dfd = vgem_buffer(vfd, 256, 16, 32, &pitch, (void **)&p, &size);
		CHECK(dfd >= 0, "vgem buffer: %s", strerror(-dfd));
		if (dfd >= 0) {
			CHECK(!gpu_fill_foreign(c, dfd, pitch, 0x00c0ffee),
			      "GPU fill into the vgem buffer");
			CHECK(p[0] == 0x00c0ffee && p[pitch / 4 * 16 - 1] == 0x00c0ffee,
			      "vgem pages do not hold the GPU's pixels");
			diag("vgem dma-buf imported and written by the GPU");
			close(dfd);
		}
		close(vfd);
	}

	/* udmabuf: memfd pages as a dma-buf */
	dfd = udmabuf_buffer(65536, false, (void **)&p);
	CHECK(dfd >= 0, "udmabuf: %s", strerror(-dfd));
	if (dfd >= 0) {
		CHECK(!gpu_fill_foreign(c, dfd, 4096, 0x00beef00),
		      "GPU fill into the udmabuf");
		CHECK(p[0] == 0x00beef00 && p[1024 * 16 - 1] == 0x00beef00,
		      "memfd pages do not hold the GPU's pixels");
		diag("udmabuf dma-buf imported and written by the GPU");
		close(dfd);
	}
	return 0;
}

/*
 * Export of a VRAM BO: nothing moves at export (vprime_gpu_prime.c); an
 * importer that cannot reach VRAM (here vgem, a static importer) gets the
 * BO moved to system memory when it attaches, copied by the copy engine;
 * the dGPU and an old CPU mapping follow.  want holds the BO's contents;
 * scratch receives a copy.
 */
static void check_vram_export(int fd, uint32_t ctx_id, struct bo *v,
			      const struct bo *want, struct bo *scratch)
{
	struct drm_prime_handle exp = { .handle = v->handle, .flags = DRM_CLOEXEC };
	struct drm_prime_handle imp = { 0 };
	struct drm_vprime_gem_info in = { .handle = v->handle };
	const struct bo *bos[3] = { v, want, scratch };
	struct vprime_cmd cmd;
	uint64_t mig0, mig1, mig2;
	int r, vfd;

	mig0 = gpu_migrations(fd);
	r = ioctl_errno(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp);
	CHECK(!r, "VRAM export: %s", strerror(r));
	mig1 = gpu_migrations(fd);
	CHECK(mig1 == mig0, "the export itself migrated: debugfs migrations %" PRIu64
	      " -> %" PRIu64, mig0, mig1);
	CHECK(!ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in) &&
	      in.placement == VPRIME_GEM_VRAM, "placement after export (before any import)");
	/* a static importer that needs system memory */
	vfd = drm_card_by_driver("vgem");
	CHECK(vfd >= 0, "no vgem device (modprobe vgem)");
	if (vfd >= 0 && !r) {
		imp.fd = exp.fd;
		CHECK(!ioctl_errno(vfd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp), "vgem import");
	}
	mig2 = gpu_migrations(fd);
	CHECK(mig2 == mig1 + 1, "vgem's import: debugfs migrations %" PRIu64 " -> %" PRIu64,
	      mig1, mig2);
	CHECK(!ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in) &&
	      in.placement == VPRIME_GEM_SYSTEM, "placement after vgem's import");
	CHECK(!memcmp((void *)v->map, want->map, v->size),
	      "contents changed by the migration");
	cmd = copy_cmd(v->va, scratch->va, v->size);
	memset(scratch->map, 0, scratch->size);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
	      !memcmp(want->map, scratch->map, v->size),
	      "the dGPU reads the migrated BO wrongly");
	if (vfd >= 0)
		close(vfd);
	if (!r)
		close(exp.fd);
	diag("VRAM export moved nothing; vgem's import migrated the BO to system memory "
	     "(copy engine)");
}

/* VRAM BOs: CPU access through the BAR, copy engine VRAM <-> system */
int test_gpu_vram(struct ctx *c)
{
	const uint64_t size = 4 << 20;
	uint64_t free0 = 0, free1 = 0, free2 = 0;
	struct bo v, s1, s2;
	const struct bo *bos[3] = { &v, &s1, &s2 };
	struct vprime_cmd cmd;
	uint32_t ctx_id, i;
	bool ok = true;
	int fd;

	fd = gpu_open(c, VPRIME_KIND_DGPU);
	if (fd < 0) {
		printf("# SKIP no dGPU in this topology\n");
		return EXIT_SKIP;
	}
	ctx_id = ctx_new(fd);
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free0);
	CHECK(!bo_new_flags(fd, size, VPRIME_GEM_VRAM, &v), "VRAM BO");
	CHECK(!bo_new(fd, size, &s1) && !bo_new(fd, size, &s2), "system BOs");
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free1);
	CHECK(free0 - free1 == size, "VRAM free %" PRIu64 " -> %" PRIu64,
	      free0, free1);
	if (failures)
		return EXIT_FAIL;

	/* CPU writes VRAM through the BAR; copy engine: VRAM -> system */
	for (i = 0; i < size / 4; i++)
		((volatile uint32_t *)v.map)[i] = i * 2654435761u;
	cmd = copy_cmd(v.va, s1.va, size);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3),
	      "copy VRAM -> system");
	for (i = 0; i < size / 4 && ok; i++)
		ok = ((uint32_t *)s1.map)[i] == i * 2654435761u;
	CHECK(ok, "VRAM -> system copy differs at %u", i - 1);

	/* GPU fills VRAM; system -> VRAM -> system round trip */
	cmd = fill(v.va, 4096, 1024, 16, VPRIME_FMT_XRGB8888, 0x00facade);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3) &&
	      ((volatile uint32_t *)v.map)[4096 * 16 / 4 - 1] == 0x00facade,
	      "GPU fill of VRAM not seen through the BAR");
	memset(s1.map, 0x5a, size);
	cmd = copy_cmd(s1.va, v.va, size);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3), "sys->VRAM");
	cmd = copy_cmd(v.va, s2.va, size);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
	      !memcmp(s1.map, s2.map, size), "system -> VRAM -> system differs");
	diag("VRAM BO: BAR access, copy engine both ways ok");

	check_vram_export(fd, ctx_id, &v, &s1, &s2);

	/* the VRAM comes back once the file lets go of the BO (and its jobs are freed) */
	bo_free(fd, &v);
	bo_free(fd, &s1);
	bo_free(fd, &s2);
	free2 = vram_free_wait(fd, free0, 1000);
	CHECK(free2 == free0, "VRAM not returned: %" PRIu64 " of %" PRIu64,
	      free2, free0);
	close(fd);
	return 0;
}

/* File `client`'s lines in debugfs "bos" of the device behind fd, in buf */
static const char *bos_of_file(int fd, uint64_t client, char *buf, size_t len)
{
	char key[64], *p, *end;

	if (debugfs_read(fd, "bos", buf, len) < 0)
		return NULL;
	snprintf(key, sizeof(key), "file client %" PRIu64 ":\n", client);
	p = strstr(buf, key);
	if (!p)
		return NULL;
	p += strlen(key);
	end = strstr(p, "file client ");
	if (end)
		*end = 0;
	return p;
}

/* Whether file `client` lists its handle of bo as described */
static bool bos_lists(int fd, uint64_t client, const struct bo *bo,
		      const char *place, unsigned int handles, const char *ctxs)
{
	static char buf[65536];
	const char *lines = bos_of_file(fd, client, buf, sizeof(buf));
	char want[256];

	snprintf(want, sizeof(want), "  handle %u: %" PRIu64 " bytes, %s, gpu va 0x%"
		 PRIx64 ", handles %u, contexts %s\n", bo->handle, bo->size, place,
		 bo->va, handles, ctxs);
	if (lines && strstr(lines, want))
		return true;
	diag("bos of client %" PRIu64 " lack '%.*s':\n%s", client,
	     (int)strlen(want) - 1, want, lines ? lines : "(no such file)");
	return false;
}

/* Whether file `client` lists a handle at all */
static bool bos_has_handle(int fd, uint64_t client, uint32_t handle)
{
	static char buf[65536];
	const char *lines = bos_of_file(fd, client, buf, sizeof(buf));
	char want[32];

	snprintf(want, sizeof(want), "  handle %u: ", handle);
	return lines && strstr(lines, want);
}

/*
 * debugfs "bos" lists each file's BOs as they are: two files of one GPU
 * share a BO (one object, two handles), one maps it into its second
 * context by a job; a VRAM BO on a dGPU; after one file closes its handle
 * the BO is the other file's alone.
 */
static void check_debugfs_bos(struct ctx *c, int kind)
{
	int fa = gpu_open(c, kind), fb = gpu_open(c, kind), dmabuf;
	uint32_t ca2, ctxs[2];
	uint64_t ida = 0, idb = 0;
	struct bo s, v, in;
	const struct bo *sb[1] = { &s };
	struct vprime_cmd cmd;
	char ctxname[16];

	ctxs[0] = ctx_new(fa);
	ctxs[1] = ca2 = ctx_new(fa);
	CHECK(fa >= 0 && fb >= 0 && ctxs[0] && ca2 && !bo_new(fa, 65536, &s),
	      "%s: two files, two contexts, a BO", kind_name(kind));
	CHECK(!drm_client_id(fa, &ida) && !drm_client_id(fb, &idb),
	      "%s: no drm-client-id in the files' fdinfo", kind_name(kind));
	if (failures)
		return;
	cmd = fill(s.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 1);
	CHECK(!run(fa, ca2, VPRIME_ENGINE_RENDER, &cmd, 1, sb, 1), "a job in context %u", ca2);
	dmabuf = prime_share(fa, s.handle, fb, &in);
	CHECK(dmabuf >= 0, "share the BO: %s", strerror(-dmabuf));
	if (failures)
		return;
	close(dmabuf);
	snprintf(ctxname, sizeof(ctxname), "%u", ca2);
	CHECK(bos_lists(fa, ida, &s, "system", 2, ctxname),
	      "%s: the first file's BO, mapped in its context %u", kind_name(kind), ca2);
	CHECK(bos_lists(fb, idb, &in, "system", 2, "none"),
	      "%s: the second file's handle of the same BO", kind_name(kind));
	if (kind == VPRIME_KIND_DGPU) {
		CHECK(!bo_new_flags(fa, 131072, VPRIME_GEM_VRAM, &v), "VRAM BO");
		CHECK(!failures && bos_lists(fa, ida, &v, "vram", 1, "none"),
		      "dgpu: the VRAM BO");
		bo_free(fa, &v);
	}
	bo_free(fa, &s);
	CHECK(!bos_has_handle(fa, ida, s.handle), "%s: a closed handle is still listed",
	      kind_name(kind));
	CHECK(bos_lists(fb, idb, &in, "system", 1, "none"),
	      "%s: the BO after the first file closed its handle", kind_name(kind));
	diag("%s: debugfs bos lists size, placement, GPU VA, handles and contexts",
	     kind_name(kind));
	close(fa);
	close(fb);
}

/* debugfs: engine state, interrupts, VRAM and BOs for every GPU */
int test_gpu_debugfs(struct ctx *c)
{
	char buf[4096], card[PATH_MAX], render[PATH_MAX];
	int kinds[2], nk, i, fd;
	uint64_t v;

	NEED_GPU(c, kinds, nk);
	for (i = 0; i < c->ndev; i++) {
		if (c->devs[i].kind == VPRIME_KIND_DISPLAY)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		fd = open(render, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0, "%s: open %s", c->devs[i].bdf, render);
		if (fd < 0)
			continue;
		CHECK(debugfs_read(fd, "engines", buf, sizeof(buf)) > 0 &&
		      strstr(buf, "render: emitted") && strstr(buf, "copy: emitted"),
		      "%s: debugfs engines", c->devs[i].bdf);
		CHECK(!debugfs_value(fd, "interrupts", "interrupts", &v) && v >= 1,
		      "%s: debugfs interrupts: the probe's self-test interrupt", c->devs[i].bdf);
		CHECK(!debugfs_value(fd, "vram", "migrations to system memory", &v),
		      "%s: debugfs vram", c->devs[i].bdf);
		close(fd);
	}
	check_debugfs_bos(c, kinds[nk - 1]);
	return 0;
}

/*
 * SUBMIT may list a BO more than once: userspace builds BO lists from its
 * command streams and every DRM driver's submit takes duplicates.
 */
int test_submit_duplicate_bo(struct ctx *c)
{
	int kinds[2], nk, k, fd, ret;
	struct vprime_cmd cmd;
	uint32_t ctx_id;
	struct bo a;
	const struct bo *twice[2] = { &a, &a };

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		if (gpu_job_open(c, kinds[k], &fd, &ctx_id, &a))
			return EXIT_FAIL;
		cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00c0ffee);
		ret = run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, twice, 2);
		CHECK(!ret, "%s: SUBMIT listing handle %u twice: %s", kind_name(kinds[k]),
		      a.handle, strerror(-ret));
		CHECK(!ret && *(uint32_t *)a.map == 0x00c0ffee, "%s: the job's pixels",
		      kind_name(kinds[k]));
		bo_free(fd, &a);
		close(fd);
	}
	return 0;
}

/* a bound on waiting for the scheduler to free finished jobs, not a timing */
#define JOBS_FREED_WAIT_S	30

/* Run one FILL of a row at va with no BO listed; the fence's status */
static int fill_unlisted(int fd, uint32_t ctx_id, uint64_t va, uint32_t color)
{
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd cmd = fill(va, 4096, 16, 1, VPRIME_FMT_XRGB8888, color);
	int ret, sfd;

	ret = submit(fd, ctx_id, &cmd, 1, NULL, 0, &o, &sfd);
	if (ret)
		return ret;
	ret = sync_file_wait(sfd, 10000);
	close(sfd);
	return ret;
}

/*
 * A BO is mapped into a file's contexts while the file holds a handle to
 * it: after GEM_CLOSE, a job writing its old GPU VA faults instead of
 * writing memory userspace let go of.
 */
int test_gem_close_unmaps(struct ctx *c)
{
	int kinds[2], nk, k, fd, st;
	uint32_t ctx_id;
	struct vprime_cmd cmd;
	struct bo a;
	const struct bo *ab[1] = { &a };

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		if (gpu_job_open(c, kinds[k], &fd, &ctx_id, &a))
			return EXIT_FAIL;
		/* the job maps the BO into the context */
		cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000001);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) &&
		      *(uint32_t *)a.map == 1, "%s: a job on the BO", kind_name(kinds[k]));
		/*
		 * the job keeps its mapping until the scheduler frees it, after
		 * its fence: the handle goes once no job holds the BO
		 */
		CHECK(!jobs_freed_wait(JOBS_FREED_WAIT_S), "the job freed");
		/* the CPU mapping keeps the pages; only the handle goes */
		CHECK(!gem_close(fd, a.handle), "GEM_CLOSE");
		st = fill_unlisted(fd, ctx_id, a.va, 0x00000002);
		CHECK(st == -EFAULT, "%s: a job writing the closed BO's GPU VA 0x%" PRIx64
		      ": fence status %d, want %d (-EFAULT)", kind_name(kinds[k]), a.va,
		      st, -EFAULT);
		CHECK(*(uint32_t *)a.map == 1, "%s: the closed BO was written (0x%x)",
		      kind_name(kinds[k]), *(uint32_t *)a.map);
		if (st == -EFAULT)
			diag("%s: after GEM_CLOSE the old GPU VA faults (fence %d)",
			     kind_name(kinds[k]), st);
		munmap(a.map, a.size);
		close(fd);
	}
	return 0;
}

/*
 * The mapping is per file: two files share a BO (the same GEM object
 * through PRIME); when one closes its handle, its contexts lose the BO,
 * the other's keep it until it closes its own.
 */
int test_gem_close_shared_bo(struct ctx *c)
{
	int kinds[2], nk, fa, fb, dmabuf, st;
	uint32_t ca, cb;
	struct vprime_cmd cmd;
	struct bo a, in;
	const struct bo *ab[1] = { &a }, *ib[1] = { &in };

	NEED_GPU(c, kinds, nk);
	fa = gpu_open(c, kinds[0]);
	fb = gpu_open(c, kinds[0]);
	ca = ctx_new(fa);
	cb = ctx_new(fb);
	CHECK(fa >= 0 && fb >= 0 && ca && cb && !bo_new(fa, 4096, &a),
	      "two files, a context each, a BO");
	if (failures)
		return EXIT_FAIL;
	dmabuf = prime_share(fa, a.handle, fb, &in);
	CHECK(dmabuf >= 0, "share the BO with the second file: %s", strerror(-dmabuf));
	if (failures)
		return EXIT_FAIL;
	close(dmabuf);
	CHECK(in.va == a.va, "one GEM object, one GPU VA: 0x%" PRIx64 " and 0x%" PRIx64,
	      a.va, in.va);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000001);
	CHECK(!run(fa, ca, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1), "job in the first file");
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000002);
	CHECK(!run(fb, cb, VPRIME_ENGINE_RENDER, &cmd, 1, ib, 1) &&
	      *(uint32_t *)a.map == 2, "job in the second file");

	/* the first file lets go (its jobs freed): its context faults, the
	 * second's does not */
	CHECK(!jobs_freed_wait(JOBS_FREED_WAIT_S), "the jobs freed");
	CHECK(!gem_close(fa, a.handle), "GEM_CLOSE in the first file");
	st = fill_unlisted(fa, ca, a.va, 0x00000003);
	CHECK(st == -EFAULT, "first file after its GEM_CLOSE: fence status %d, want %d",
	      st, -EFAULT);
	st = fill_unlisted(fb, cb, a.va, 0x00000004);
	CHECK(st == 1 && *(uint32_t *)a.map == 4,
	      "second file, still holding the BO: fence status %d, pixel 0x%x", st,
	      *(uint32_t *)a.map);

	/* then the second lets go too */
	CHECK(!gem_close(fb, in.handle), "GEM_CLOSE in the second file");
	st = fill_unlisted(fb, cb, a.va, 0x00000005);
	CHECK(st == -EFAULT && *(uint32_t *)a.map == 4,
	      "second file after its GEM_CLOSE: fence status %d, want %d; pixel 0x%x",
	      st, -EFAULT, *(uint32_t *)a.map);
	if (!failures)
		diag("each file's contexts lose the shared BO when that file closes its handle");
	munmap(a.map, a.size);
	close(fa);
	close(fb);
	return 0;
}

static double now_us(void)
{
	return mono_s() * 1e6;
}

/*
 * Benchmark (not a test): submit-to-fence-signal latency of an empty job
 * and small jobs per second, on the first GPU, printed as "# bench ...".
 */
int cmd_bench_submit(struct ctx *c)
{
	const int rounds = 200, burst = 500;
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
	double t0, best = 1e12, sum = 0;
	int kinds[2], nk, fd, i;
	uint32_t ctx_id;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	o.out_syncobj = syncobj_new(fd);
	for (i = 0; i < rounds; i++) {
		double dt;

		t0 = now_us();
		if (submit(fd, ctx_id, &nop, 1, NULL, 0, &o, NULL) ||
		    syncobj_wait(fd, o.out_syncobj, 0, 5000))
			return EXIT_FAIL;
		dt = now_us() - t0;
		sum += dt;
		best = dt < best ? dt : best;
	}
	printf("# bench submit_to_fence_mean_us %.1f us\n", sum / rounds);
	printf("# bench submit_to_fence_min_us %.1f us\n", best);
	t0 = now_us();
	for (i = 0; i < burst; i++)
		if (submit(fd, ctx_id, &nop, 1, NULL, 0, &o, NULL))
			return EXIT_FAIL;
	if (syncobj_wait(fd, o.out_syncobj, 0, 30000))
		return EXIT_FAIL;
	printf("# bench small_jobs_per_second %.0f jobs/s\n",
	       burst / ((now_us() - t0) / 1e6));
	close(fd);
	return EXIT_PASS;
}

