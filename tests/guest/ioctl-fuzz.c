// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl-fuzz: userspace against the vprime drivers.  From a seed, random
 * ioctls on every vprime card and render node: the driver's own ioctls
 * with random sizes, directions and contents, garbage handles, ids, flags
 * and fds (closed ones, dma-bufs and sync_files of other devices, vgem,
 * udmabuf, pipes), the generic GEM, PRIME and syncobj ioctls, the KMS and
 * atomic ioctls with random object ids and property values, dumb buffers
 * of random sizes, submits of random command streams, mmaps, closing and
 * reopening the node.  Only error codes may come back: afterwards each
 * device still works (a GPU job completes with the right pixels, the
 * display flips), and dmesg-clean, which runs later, finds no warning.
 *
 * Each node's inputs come from the seed and the node's index alone, so
 * the seed and each node's input count replay a run (its inputs exactly,
 * its outcomes up to timing); each node prints a digest of its draws.
 *
 * Kernel command line: vprime.fuzz_seed=S (default FZ_CHECK_SEED),
 * vprime.fuzz_iters=N or N0,N1,... inputs per node (the last one for
 * every further node; default FZ_CHECK_ITERS): make check runs these
 * defaults, the same inputs every time.  vprime.fuzz_seconds=T fuzzes
 * each node for T seconds instead, from the clock's seed unless one is
 * given (make fuzz-guest); it prints the fuzz_iters list that replays it.
 */
#define _GNU_SOURCE
#include <ctype.h>
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/sync_file.h>

#include <drm_fourcc.h>

#include "guest-test.h"
#include "kms-lib.h"

#define PAGE		4096

/* Linux 6.8; libdrm 2.4.114's headers predate it */
#ifndef DRM_IOCTL_MODE_CLOSEFB
#define DRM_IOCTL_MODE_CLOSEFB	DRM_IOWR(0xD0, uint64_t)	/* fb_id, pad */
#endif
#define POOL		32
#define ARG_MAX_SIZE	(1 << _IOC_SIZEBITS)	/* the largest size a request names */

struct fz {
	uint64_t rng;
	int fd;
	const char *path;
	bool display;		/* a vprime_display node */

	/* what this node gave out, reused as arguments */
	uint32_t handles[POOL], ctxs[POOL], syncobjs[POOL], fbs[POOL];
	uint32_t blobs[POOL];
	uint64_t vas[POOL];
	int nh, nctx, nsync, nfb, nblob;
	uint32_t objs[64], props[256];
	int nobj, nprop;
	/*
	 * OUT_FENCE_PTR makes the kernel write an fd to the address given:
	 * only this slot or an address nothing is mapped at, never a random
	 * number that may land in this program's own memory.
	 */
	uint32_t out_fence_prop;
	int64_t out_fence_slot;
	int own_fds[POOL];	/* dma-bufs, sync_files, syncobj fds of this node */
	int nown;

	/* fds from elsewhere: other devices' dma-bufs and nodes, pipes */
	const int *foreign;
	int nforeign;
	int closed_fd;

	uint8_t *guard;		/* a page followed by an inaccessible one */

	/* results */
	uint64_t digest;	/* FNV-1a of every random draw */
	uint64_t iters;		/* inputs to run, 0: fz_seconds */
	uint64_t n;
	uint64_t errs[256];	/* [0]: success */
};

/* make check: this seed and this many inputs per node (about 2 s each) */
#define FZ_CHECK_SEED	0x7670726d65ULL
#define FZ_CHECK_ITERS	6000
#define FZ_MAX_NODES	16

static uint64_t fz_seed;
static uint64_t fz_iters[FZ_MAX_NODES];	/* per node; 0: fz_seconds */
static double fz_seconds;

/* splitmix64 over the node's state; every draw goes into the digest */
static uint64_t r64(struct fz *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);
	int i;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	for (i = 0; i < 64; i += 8)
		f->digest = (f->digest ^ ((z >> i) & 0xff)) * 0x100000001b3ULL;
	return z;
}

static uint32_t rn(struct fz *f, uint32_t n)
{
	return n ? r64(f) % n : 0;
}

static bool pct(struct fz *f, unsigned int p)
{
	return rn(f, 100) < p;
}

static uint64_t any_u64(struct fz *f)
{
	static const uint64_t magic[] = {
		0, 1, 2, 3, 4, 7, 8, 0xff, 0x100, 0xfff, 0x1000, 0x1001,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL, ~0ULL - 1,
	};

	switch (rn(f, 4)) {
	case 0:
		return magic[rn(f, sizeof(magic) / sizeof(magic[0]))];
	case 1:
		return (1ULL << rn(f, 64)) + (int)rn(f, 3) - 1;
	case 2:
		return rn(f, 256);
	default:
		return r64(f);
	}
}

static uint32_t pick(struct fz *f, const uint32_t *pool, int n)
{
	if (n && pct(f, 85))
		return pool[rn(f, n)];
	return pct(f, 50) ? rn(f, 8) : (uint32_t)any_u64(f);
}

static uint32_t handle(struct fz *f)
{
	return pick(f, f->handles, f->nh);
}

static int any_fd(struct fz *f)
{
	switch (rn(f, 10)) {
	case 0:
		return f->closed_fd;
	case 1:
		return pct(f, 50) ? -1 : (int)any_u64(f);
	case 2:
		return f->fd;
	case 3:
	case 4:
	case 5:
		if (f->nown)
			return f->own_fds[rn(f, f->nown)];
		/* fall through */
	default:
		return f->nforeign ? f->foreign[rn(f, f->nforeign)] : -1;
	}
}

/* A user pointer: the real buffer mostly, else one the kernel must refuse */
static uint64_t uptr(struct fz *f, const void *good)
{
	switch (rn(f, 25)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return (uintptr_t)(f->guard + PAGE);		/* inaccessible */
	case 3:
		return 0xffff888000000000ULL;			/* kernel */
	case 4:
		return (uintptr_t)(f->guard + PAGE - rn(f, 64));	/* straddles */
	default:
		return (uintptr_t)good;
	}
}

static void keep(uint32_t *pool, int *n, uint32_t v)
{
	if (*n < POOL)
		pool[(*n)++] = v;
	else
		pool[v % POOL] = v;
}

static void keep_fd(struct fz *f, int fd)
{
	if (fd < 0)
		return;
	if (f->nown == POOL) {
		int i = rn(f, POOL);

		close(f->own_fds[i]);
		f->closed_fd = f->own_fds[i];
		f->own_fds[i] = fd;
		return;
	}
	f->own_fds[f->nown++] = fd;
}

/* ---- one ioctl: count what came back ---- */

/*
 * The kernel copies _IOC_SIZE(req) bytes in and out: a request whose size
 * was made larger than the argument goes through a scratch buffer, so
 * only the fuzzer's arguments are random, not its own memory.
 */
static int do_ioctl(struct fz *f, unsigned long req, void *arg, size_t len)
{
	static uint8_t scratch[ARG_MAX_SIZE] __attribute__((aligned(64)));
	void *p = arg;
	int ret, e;

	if (arg && _IOC_SIZE(req) > len) {
		memset(scratch, 0, sizeof(scratch));
		memcpy(scratch, arg, len);
		p = scratch;
	}
	ret = ioctl(f->fd, req, p);
	e = ret ? errno : 0;
	if (p != arg)
		memcpy(arg, scratch, len);

	f->n++;
	f->errs[e < 256 ? e : 255]++;
	return ret ? -e : 0;
}

/*
 * A request number with arbitrary bytes behind it: the drivers' range (and
 * beyond the table), or not DRM at all.  Not the DRM core's own ioctls:
 * with random bytes those find the core's allocation warnings (a count
 * it kmallocs without __GFP_NOWARN), which are not these drivers' to fix;
 * the core ioctls get structured arguments instead.
 */
static unsigned long any_request(struct fz *f)
{
	if (pct(f, 90))
		return _IOC(rn(f, 4), DRM_IOCTL_BASE,
			    DRM_COMMAND_BASE + rn(f, DRM_COMMAND_END - DRM_COMMAND_BASE),
			    rn(f, 512));
	return _IOC(rn(f, 4), 'x' + rn(f, 3), rn(f, 256), rn(f, 512));
}

/*
 * The request number, usually as defined; now and then with another size
 * or direction (the DRM core must cope with both).
 */
static unsigned long mangle(struct fz *f, unsigned long req)
{
	if (pct(f, 90))
		return req;
	switch (rn(f, 3)) {
	case 0:
		return _IOC(_IOC_DIR(req), _IOC_TYPE(req), _IOC_NR(req),
			    rn(f, 2) ? rn(f, 256) : rn(f, ARG_MAX_SIZE));
	case 1:
		return _IOC(rn(f, 4), _IOC_TYPE(req), _IOC_NR(req),
			    _IOC_SIZE(req));
	default:
		return any_request(f);
	}
}

static void scribble(struct fz *f, void *arg, size_t len)
{
	uint8_t *p = arg;

	if (pct(f, 5))
		p[rn(f, len)] = r64(f);
}

/* ---- the driver's own ioctls ---- */

/*
 * A BO size: small mostly, else one the driver must refuse (0, above
 * VPRIME_CMD_MAX_BYTES) or up to 4 MiB.  Never a large one it accepts:
 * pinned by an mmap, a few of those would leave the 1 GiB guest to the
 * OOM killer, which is memory exhaustion by the test, not a driver bug.
 */
static uint64_t bo_size(struct fz *f)
{
	uint64_t v;

	if (pct(f, 80))
		return 1 + rn(f, 256 * 1024);
	v = any_u64(f);
	return v > VPRIME_CMD_MAX_BYTES ? v : v % (4 << 20);
}

static void gen_cmd(struct fz *f, struct vprime_cmd *c)
{
	uint64_t va = f->nh && pct(f, 80) ? f->vas[rn(f, f->nh)] + rn(f, 8192) :
		      any_u64(f);

	memset(c, 0, sizeof(*c));
	c->opcode = pct(f, 95) ? rn(f, VPRIME_OP_WAIT + 1) : (uint32_t)any_u64(f);
	switch (c->opcode) {
	case VPRIME_OP_FILL:
	case VPRIME_OP_PATTERN:
		c->rect.dst = va & ~3ULL;
		c->rect.width = 1 + rn(f, 64);
		c->rect.height = 1 + rn(f, 16);
		c->rect.pitch = c->rect.width * 4 + rn(f, 2) * 128;
		c->rect.format = 1 + rn(f, 4);
		c->rect.layout = pct(f, 80) ? 0 : rn(f, 3);
		c->rect.color = r64(f);
		break;
	case VPRIME_OP_BLIT:
		c->blit.src = va & ~3ULL;
		c->blit.dst = (f->nh ? f->vas[rn(f, f->nh)] : va) & ~3ULL;
		c->blit.width = 1 + rn(f, 64);
		c->blit.height = 1 + rn(f, 16);
		c->blit.src_pitch = c->blit.dst_pitch = 256;
		c->blit.src_format = 1 + rn(f, 4);
		c->blit.dst_format = 1 + rn(f, 4);
		break;
	case VPRIME_OP_COPY:
		c->copy.src = va;
		c->copy.dst = f->nh ? f->vas[rn(f, f->nh)] : va;
		c->copy.size = pct(f, 80) ? rn(f, 8192) : any_u64(f);
		break;
	case VPRIME_OP_FENCE:
		c->fence.value = r64(f);
		c->flags = rn(f, 2);
		break;
	case VPRIME_OP_WAIT:
		/* mostly satisfied at once: a stuck WAIT only costs a timeout */
		c->wait.addr = va & ~7ULL;
		c->wait.value = pct(f, 90) ? 0 : any_u64(f);
		break;
	}
	if (pct(f, 5))
		c->ctx = any_u64(f);
	scribble(f, c, sizeof(*c));
}

static void op_submit(struct fz *f)
{
	struct vprime_cmd cmds[16];
	uint32_t bos[16];
	struct drm_vprime_submit s = { 0 };
	uint32_t i, n = 1 + rn(f, 16), nb = rn(f, 17);

	for (i = 0; i < n; i++)
		gen_cmd(f, &cmds[i]);
	for (i = 0; i < nb; i++)
		bos[i] = handle(f);
	s.cmds = uptr(f, cmds);
	s.num_cmds = pct(f, 90) ? n : (uint32_t)any_u64(f);
	s.bo_handles = uptr(f, bos);
	s.num_bos = pct(f, 90) ? nb : (uint32_t)any_u64(f);
	s.ctx_id = pick(f, f->ctxs, f->nctx);
	s.engine = pct(f, 90) ? rn(f, VPRIME_GPU_ENGINES) : any_u64(f);
	s.flags = pct(f, 80) ? rn(f, 4) : any_u64(f);
	if (pct(f, 30))
		s.in_syncobj = pick(f, f->syncobjs, f->nsync);
	s.in_fence_fd = any_fd(f);
	if (pct(f, 50))
		s.out_syncobj = pick(f, f->syncobjs, f->nsync);
	if (pct(f, 20))
		s.in_point = any_u64(f);
	if (pct(f, 20))
		s.out_point = any_u64(f);
	if (pct(f, 3))
		s.pad = any_u64(f);
	scribble(f, &s, sizeof(s));
	if (!do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_SUBMIT), &s, sizeof(s)) &&
	    (s.flags & VPRIME_SUBMIT_OUT_FENCE_FD))
		keep_fd(f, s.out_fence_fd);
}

static void op_driver(struct fz *f)
{
	uint8_t buf[ARG_MAX_SIZE] __attribute__((aligned(8)));
	unsigned int nr = pct(f, 95) ? rn(f, DRM_VPRIME_SUBMIT + 1) : rn(f, 0x60);

	memset(buf, 0, sizeof(buf));
	switch (nr) {
	case DRM_VPRIME_GET_PARAM: {
		struct drm_vprime_get_param *p = (void *)buf;

		p->param = pct(f, 80) ? rn(f, 16) : any_u64(f);
		p->pad = pct(f, 95) ? 0 : any_u64(f);
		do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_GET_PARAM), p, ARG_MAX_SIZE);
		return;
	}
	case DRM_VPRIME_GEM_CREATE: {
		struct drm_vprime_gem_create *c = (void *)buf;
		struct drm_vprime_gem_info in = { 0 };

		c->size = bo_size(f);
		c->flags = pct(f, 85) ? rn(f, 3) : any_u64(f);
		if (pct(f, 3))
			c->pad = any_u64(f);
		if (pct(f, 3))
			c->handle = any_u64(f);
		if (do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_GEM_CREATE), c, ARG_MAX_SIZE))
			return;
		in.handle = c->handle;
		if (!ioctl(f->fd, DRM_IOCTL_VPRIME_GEM_INFO, &in)) {
			if (f->nh == POOL)
				f->nh--;
			f->vas[f->nh] = in.gpu_va;
			f->handles[f->nh++] = c->handle;
		}
		return;
	}
	case DRM_VPRIME_GEM_INFO: {
		struct drm_vprime_gem_info *in = (void *)buf;

		in->handle = handle(f);
		if (pct(f, 5))
			in->pad = any_u64(f);
		if (pct(f, 5))
			in->pad2 = any_u64(f);
		do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_GEM_INFO), in, ARG_MAX_SIZE);
		return;
	}
	case DRM_VPRIME_CTX_CREATE: {
		struct drm_vprime_ctx_create *c = (void *)buf;

		if (pct(f, 5))
			c->pad = any_u64(f);
		if (!do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_CTX_CREATE), c, ARG_MAX_SIZE))
			keep(f->ctxs, &f->nctx, c->ctx_id);
		return;
	}
	case DRM_VPRIME_CTX_DESTROY: {
		struct drm_vprime_ctx_destroy *c = (void *)buf;

		c->ctx_id = pick(f, f->ctxs, f->nctx);
		if (pct(f, 5))
			c->pad = any_u64(f);
		do_ioctl(f, mangle(f, DRM_IOCTL_VPRIME_CTX_DESTROY), c, ARG_MAX_SIZE);
		return;
	}
	case DRM_VPRIME_SUBMIT:
		op_submit(f);
		return;
	default: {
		/* beyond the table: any direction and size, random contents */
		uint32_t i;

		for (i = 0; i < 64; i++)
			buf[i] = r64(f);
		do_ioctl(f, _IOC(rn(f, 4), DRM_IOCTL_BASE,
				 DRM_COMMAND_BASE + nr, rn(f, 256)), buf, sizeof(buf));
		return;
	}
	}
}

/* ---- generic GEM, PRIME and syncobj ioctls ---- */

/*
 * How many handles a syncobj array claims: mostly the truth, else a lie,
 * but under 2^19.  Linux 6.12's drm_syncobj_array_find() kmallocs 8
 * bytes per handle without __GFP_NOWARN, so more than 4 MiB trips the
 * page allocator's WARN in the DRM core, which is not these drivers' to
 * fix.
 */
static uint32_t syncobj_count(struct fz *f)
{
	return pct(f, 90) ? 1 + rn(f, 4) : rn(f, 1 << 19);
}

/* GEM_CLOSE of any handle */
static void fz_gem_close(struct fz *f)
{
	struct drm_gem_close c = { .handle = handle(f) };

	if (pct(f, 3))
		c.pad = any_u64(f);
	do_ioctl(f, mangle(f, DRM_IOCTL_GEM_CLOSE), &c, sizeof(c));
}

/* PRIME export: a dma-buf fd of any handle, kept for imports */
static void fz_prime_handle_to_fd(struct fz *f)
{
	struct drm_prime_handle p = { .handle = handle(f) };

	p.flags = pct(f, 85) ? DRM_CLOEXEC | (pct(f, 50) ? DRM_RDWR : 0) :
		  (uint32_t)any_u64(f);
	if (!do_ioctl(f, mangle(f, DRM_IOCTL_PRIME_HANDLE_TO_FD), &p, sizeof(p)))
		keep_fd(f, p.fd);
}

/* PRIME import of any fd (ours, foreign, closed, not a dma-buf) */
static void fz_prime_fd_to_handle(struct fz *f)
{
	struct drm_prime_handle p = { .fd = any_fd(f) };
	struct drm_vprime_gem_info in = { 0 };

	if (pct(f, 5))
		p.flags = any_u64(f);
	if (do_ioctl(f, mangle(f, DRM_IOCTL_PRIME_FD_TO_HANDLE), &p, sizeof(p)))
		return;
	in.handle = p.handle;
	if (!ioctl(f->fd, DRM_IOCTL_VPRIME_GEM_INFO, &in)) {
		if (f->nh == POOL)
			f->nh--;
		f->vas[f->nh] = in.gpu_va;
		f->handles[f->nh++] = p.handle;
	} else {
		keep(f->handles, &f->nh, p.handle);
	}
}

static void fz_syncobj_create(struct fz *f)
{
	struct drm_syncobj_create c = {
		.flags = pct(f, 80) ? rn(f, 2) : any_u64(f),
	};

	if (!do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_CREATE), &c, sizeof(c)))
		keep(f->syncobjs, &f->nsync, c.handle);
}

static void fz_syncobj_destroy(struct fz *f)
{
	struct drm_syncobj_destroy d = {
		.handle = pick(f, f->syncobjs, f->nsync),
	};

	do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_DESTROY), &d, sizeof(d));
}

/* SYNCOBJ_WAIT and SYNCOBJ_TIMELINE_WAIT, never for long */
static void fz_syncobj_wait(struct fz *f)
{
	uint32_t h[4];
	uint64_t pts[4];
	struct drm_syncobj_timeline_wait w = { 0 };
	struct timespec ts;
	uint64_t now;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < 4; i++) {
		h[i] = pick(f, f->syncobjs, f->nsync);
		pts[i] = pct(f, 70) ? rn(f, 4) : any_u64(f);
	}
	w.handles = uptr(f, h);
	w.points = uptr(f, pts);
	w.count_handles = syncobj_count(f);
	/* never long: at most 20 ms from now */
	w.timeout_nsec = pct(f, 20) ? 0 : now + rn(f, 20000000);
	w.flags = pct(f, 90) ? rn(f, 8) : any_u64(f);
	if (pct(f, 50)) {
		do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT), &w,
			 sizeof(w));
	} else {
		struct drm_syncobj_wait bw = {
			.handles = w.handles, .timeout_nsec = w.timeout_nsec,
			.count_handles = w.count_handles, .flags = w.flags,
		};

		do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_WAIT), &bw, sizeof(bw));
	}
}

/* Syncobj export, as an fd or a sync_file */
static void fz_syncobj_handle_to_fd(struct fz *f)
{
	struct drm_syncobj_handle h = {
		.handle = pick(f, f->syncobjs, f->nsync),
		.flags = pct(f, 80) ? rn(f, 4) : any_u64(f),
		.fd = any_fd(f),
		.pad = pct(f, 90) ? 0 : any_u64(f),
	};

	if (!do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD), &h, sizeof(h)))
		keep_fd(f, h.fd);
}

/* Syncobj import, of any fd */
static void fz_syncobj_fd_to_handle(struct fz *f)
{
	struct drm_syncobj_handle h = {
		.fd = any_fd(f),
		.pad = pct(f, 90) ? 0 : any_u64(f),
	};

	h.flags = pct(f, 80) ? rn(f, 4) : any_u64(f);
	h.handle = pct(f, 50) ? 0 : pick(f, f->syncobjs, f->nsync);

	if (!do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE), &h, sizeof(h)) &&
	    !(h.flags & DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE))
		keep(f->syncobjs, &f->nsync, h.handle);
}

/* Syncobj reset, signal, timeline signal and query */
static void fz_syncobj_array(struct fz *f)
{
	uint32_t h[4];
	uint64_t pts[4];
	struct drm_syncobj_timeline_array a = { 0 };
	static const unsigned long reqs[] = {
		DRM_IOCTL_SYNCOBJ_RESET, DRM_IOCTL_SYNCOBJ_SIGNAL,
		DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL, DRM_IOCTL_SYNCOBJ_QUERY,
	};
	int i;

	for (i = 0; i < 4; i++) {
		h[i] = pick(f, f->syncobjs, f->nsync);
		pts[i] = pct(f, 70) ? 1 + rn(f, 4) : any_u64(f);
	}
	a.handles = uptr(f, h);
	a.points = uptr(f, pts);
	a.count_handles = syncobj_count(f);
	a.flags = pct(f, 90) ? 0 : any_u64(f);
	i = rn(f, 4);
	if (reqs[i] == DRM_IOCTL_SYNCOBJ_RESET ||
	    reqs[i] == DRM_IOCTL_SYNCOBJ_SIGNAL) {
		/* the binary ones take the shorter struct */
		struct drm_syncobj_array b = {
			.handles = a.handles,
			.count_handles = a.count_handles,
			.pad = pct(f, 95) ? 0 : any_u64(f),
		};

		do_ioctl(f, mangle(f, reqs[i]), &b, sizeof(b));
	} else {
		do_ioctl(f, mangle(f, reqs[i]), &a, sizeof(a));
	}
}

static void fz_syncobj_transfer(struct fz *f)
{
	struct drm_syncobj_transfer t = {
		.src_handle = pick(f, f->syncobjs, f->nsync),
		.dst_handle = pick(f, f->syncobjs, f->nsync),
		.src_point = rn(f, 4), .dst_point = rn(f, 4),
		.flags = pct(f, 90) ? 0 : any_u64(f),
	};

	do_ioctl(f, mangle(f, DRM_IOCTL_SYNCOBJ_TRANSFER), &t, sizeof(t));
}

/* DRM_IOCTL_VERSION with honest buffer lengths */
static void fz_get_version(struct fz *f)
{
	char name[64], date[64], desc[64];
	struct drm_version v = {
		.name_len = rn(f, 80), .name = (char *)(uintptr_t)uptr(f, name),
		.date_len = rn(f, 80), .date = (char *)(uintptr_t)uptr(f, date),
		.desc_len = rn(f, 80), .desc = (char *)(uintptr_t)uptr(f, desc),
	};

	/* the buffers are 64 bytes: keep the lengths honest */
	v.name_len = v.name_len > 64 ? 64 : v.name_len;
	v.date_len = v.date_len > 64 ? 64 : v.date_len;
	v.desc_len = v.desc_len > 64 ? 64 : v.desc_len;
	do_ioctl(f, DRM_IOCTL_VERSION, &v, sizeof(v));
}

/* GET_CAP and SET_CLIENT_CAP of any capability */
static void fz_get_set_caps(struct fz *f)
{
	struct drm_get_cap c = { .capability = pct(f, 80) ? rn(f, 0x20) :
					       any_u64(f) };
	struct drm_set_client_cap s = {
		.capability = pct(f, 80) ? rn(f, 8) : any_u64(f),
		.value = pct(f, 80) ? rn(f, 2) : any_u64(f),
	};

	do_ioctl(f, DRM_IOCTL_GET_CAP, &c, sizeof(c));
	do_ioctl(f, DRM_IOCTL_SET_CLIENT_CAP, &s, sizeof(s));
}

/* One generic DRM ioctl (GEM, PRIME, syncobj, core) */
static void op_generic(struct fz *f)
{
	switch (rn(f, 14)) {
	case 0:
		fz_gem_close(f);
		break;
	case 1:
	case 2:
		fz_prime_handle_to_fd(f);
		break;
	case 3:
	case 4:
		fz_prime_fd_to_handle(f);
		break;
	case 5:
		fz_syncobj_create(f);
		break;
	case 6:
		fz_syncobj_destroy(f);
		break;
	case 7:
		fz_syncobj_wait(f);
		break;
	case 8:
		fz_syncobj_handle_to_fd(f);
		break;
	case 9:
		fz_syncobj_fd_to_handle(f);
		break;
	case 10:
		fz_syncobj_array(f);
		break;
	case 11:
		fz_syncobj_transfer(f);
		break;
	case 12:
		fz_get_version(f);
		break;
	default:
		fz_get_set_caps(f);
		break;
	}
}

/* ---- KMS ---- */

static uint32_t kms_obj(struct fz *f)
{
	if (pct(f, 10))
		return pick(f, f->fbs, f->nfb);
	if (pct(f, 5))
		return pick(f, f->blobs, f->nblob);
	return pick(f, f->objs, f->nobj);
}

static uint32_t kms_type(struct fz *f)
{
	static const uint32_t types[] = {
		DRM_MODE_OBJECT_CRTC, DRM_MODE_OBJECT_CONNECTOR,
		DRM_MODE_OBJECT_ENCODER, DRM_MODE_OBJECT_PLANE,
		DRM_MODE_OBJECT_FB, DRM_MODE_OBJECT_BLOB,
		DRM_MODE_OBJECT_PROPERTY, DRM_MODE_OBJECT_MODE,
		DRM_MODE_OBJECT_ANY,
	};

	return pct(f, 90) ? types[rn(f, sizeof(types) / sizeof(types[0]))] :
			    (uint32_t)any_u64(f);
}

/* A property value: an object, a fence fd, a small number, anything */
static uint64_t prop_val(struct fz *f, uint32_t prop)
{
	if (prop && prop == f->out_fence_prop) {
		f->out_fence_slot = -2;
		return uptr(f, &f->out_fence_slot);
	}
	switch (rn(f, 6)) {
	case 0:
		return kms_obj(f);
	case 1:
		return (uint64_t)(int64_t)any_fd(f);
	case 2:
		return (uint64_t)rn(f, 4096) << (pct(f, 50) ? 16 : 0);
	case 3:
		return rn(f, 4);
	default:
		return any_u64(f);
	}
}

/* A sync_file the kernel wrote to the OUT_FENCE_PTR slot is ours to close */
static void keep_out_fence(struct fz *f)
{
	if (f->out_fence_slot >= 0 && f->out_fence_slot < INT32_MAX)
		keep_fd(f, (int)f->out_fence_slot);
	f->out_fence_slot = -2;
}

static void random_mode(struct fz *f, struct drm_mode_modeinfo *m)
{
	memset(m, 0, sizeof(*m));
	m->hdisplay = pct(f, 80) ? 64 + rn(f, 1024) : any_u64(f);
	m->vdisplay = pct(f, 80) ? 48 + rn(f, 768) : any_u64(f);
	m->hsync_start = m->hdisplay + rn(f, 64);
	m->hsync_end = m->hsync_start + rn(f, 64);
	m->htotal = m->hsync_end + rn(f, 64);
	m->vsync_start = m->vdisplay + rn(f, 8);
	m->vsync_end = m->vsync_start + rn(f, 8);
	m->vtotal = m->vsync_end + rn(f, 8);
	m->clock = pct(f, 80) ?
		   (uint64_t)m->htotal * m->vtotal * (30 + rn(f, 120)) / 1000 :
		   any_u64(f);
	m->vrefresh = rn(f, 240);
	m->flags = pct(f, 90) ? 0 : any_u64(f);
	m->type = pct(f, 90) ? 0 : any_u64(f);
	scribble(f, m, sizeof(*m));
}

/* Dumb buffers of random sizes */
static void kms_create_dumb(struct fz *f)
{
	struct drm_mode_create_dumb c = { 0 };

	c.width = pct(f, 85) ? 1 + rn(f, 1024) : any_u64(f);
	c.height = pct(f, 85) ? 1 + rn(f, 768) : any_u64(f);
	c.bpp = pct(f, 85) ? (rn(f, 2) ? 32 : 16) : any_u64(f);
	c.flags = pct(f, 95) ? 0 : any_u64(f);
	/*
	 * As bo_size(): what drm_mode_create_dumb() would accept stays
	 * under 4 MiB; what it must refuse (overflow) goes as it is.
	 */
	{
		uint64_t cpp = (c.bpp + 7) / 8, stride = cpp * c.width;

		if (cpp && stride <= UINT32_MAX && stride &&
		    c.height <= UINT32_MAX / stride &&
		    stride * c.height > (4 << 20)) {
			c.width = 1 + rn(f, 1024);
			c.height = 1 + rn(f, 768);
			c.bpp = 32;
		}
	}
	if (!do_ioctl(f, mangle(f, DRM_IOCTL_MODE_CREATE_DUMB), &c, sizeof(c)))
		keep(f->handles, &f->nh, c.handle);
}

/* MAP_DUMB of any handle, now and then DESTROY_DUMB */
static void kms_map_dumb(struct fz *f)
{
	struct drm_mode_map_dumb m = { .handle = handle(f) };
	struct drm_mode_destroy_dumb d = { .handle = handle(f) };

	if (pct(f, 3))
		m.pad = any_u64(f);
	do_ioctl(f, mangle(f, DRM_IOCTL_MODE_MAP_DUMB), &m, sizeof(m));
	if (pct(f, 30))
		do_ioctl(f, mangle(f, DRM_IOCTL_MODE_DESTROY_DUMB), &d, sizeof(d));
}

/* Framebuffers over random handles, formats, modifiers */
static void kms_addfb2(struct fz *f)
{
	uint32_t i;
	struct drm_mode_fb_cmd2 fb = { 0 };
	static const uint32_t fmts[] = {
		DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
		DRM_FORMAT_XBGR8888, DRM_FORMAT_RGB565, DRM_FORMAT_NV12,
	};
	/* the registered tiled modifiers, scanned by the display or not */
	static const uint64_t mods[] = {
		I915_FORMAT_MOD_X_TILED, I915_FORMAT_MOD_Y_TILED, MOD_NV_BLOCK,
		DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 1, 0, 0xfe, 4),
	};

	fb.width = pct(f, 85) ? 1 + rn(f, 1024) : any_u64(f);
	fb.height = pct(f, 85) ? 1 + rn(f, 768) : any_u64(f);
	fb.pixel_format = pct(f, 90) ? fmts[rn(f, 5)] : any_u64(f);
	fb.flags = pct(f, 70) ? DRM_MODE_FB_MODIFIERS * rn(f, 2) : any_u64(f);
	for (i = 0; i < 4; i++) {
		fb.handles[i] = i == 0 || pct(f, 10) ? handle(f) : 0;
		fb.pitches[i] = pct(f, 80) ? fb.width * 4 : any_u64(f);
		fb.offsets[i] = pct(f, 85) ? 0 : any_u64(f);
		fb.modifier[i] = pct(f, 70) ? 0 :
				 pct(f, 50) ? mods[rn(f, 4)] : any_u64(f);
	}
	if (!do_ioctl(f, mangle(f, DRM_IOCTL_MODE_ADDFB2), &fb, sizeof(fb)))
		keep(f->fbs, &f->nfb, fb.fb_id);
}

/* DIRTYFB of any framebuffer, now and then RMFB or CLOSEFB */
static void kms_dirtyfb_rmfb(struct fz *f)
{
	uint32_t ids[64] = { 0 };
	uint32_t id[2] = { pick(f, f->fbs, f->nfb), 0 };
	struct drm_mode_fb_dirty_cmd d = {
		.fb_id = pick(f, f->fbs, f->nfb),
		.num_clips = rn(f, 4), .clips_ptr = uptr(f, ids),
	};

	memset(ids, 0xff, sizeof(ids));
	do_ioctl(f, DRM_IOCTL_MODE_DIRTYFB, &d, sizeof(d));
	if (pct(f, 40))
		do_ioctl(f, mangle(f, pct(f, 50) ? DRM_IOCTL_MODE_RMFB :
					  DRM_IOCTL_MODE_CLOSEFB), id, sizeof(id));
}

/* Resource queries with lying counts */
static void kms_getresources(struct fz *f)
{
	uint32_t ids[64] = { 0 };
	struct drm_mode_card_res r = {
		.fb_id_ptr = uptr(f, ids), .crtc_id_ptr = uptr(f, ids),
		.connector_id_ptr = uptr(f, ids),
		.encoder_id_ptr = uptr(f, ids),
		.count_fbs = rn(f, 16), .count_crtcs = rn(f, 16),
		.count_connectors = rn(f, 16), .count_encoders = rn(f, 16),
	};
	struct drm_mode_get_plane_res p = {
		.plane_id_ptr = uptr(f, ids), .count_planes = rn(f, 64),
	};

	do_ioctl(f, DRM_IOCTL_MODE_GETRESOURCES, &r, sizeof(r));
	do_ioctl(f, DRM_IOCTL_MODE_GETPLANERESOURCES, &p, sizeof(p));
}

/* GETCONNECTOR, GETPLANE, GETCRTC, GETENCODER of any object */
static void kms_getobjects(struct fz *f)
{
	uint32_t ids[64] = { 0 }, pids[64] = { 0 };
	uint64_t vals[64] = { 0 };
	struct drm_mode_get_connector c = {
		.connector_id = kms_obj(f),
		.encoders_ptr = uptr(f, ids), .count_encoders = rn(f, 8),
		.props_ptr = uptr(f, pids), .prop_values_ptr = uptr(f, vals),
		.count_props = rn(f, 64),
		.modes_ptr = uptr(f, vals), .count_modes = rn(f, 6),
	};
	struct drm_mode_get_plane p = {
		.plane_id = kms_obj(f), .format_type_ptr = uptr(f, ids),
		.count_format_types = rn(f, 64),
	};
	struct drm_mode_crtc cr = { .crtc_id = kms_obj(f) };
	struct drm_mode_get_encoder e = { .encoder_id = kms_obj(f) };

	do_ioctl(f, DRM_IOCTL_MODE_GETCONNECTOR, &c, sizeof(c));
	do_ioctl(f, DRM_IOCTL_MODE_GETPLANE, &p, sizeof(p));
	do_ioctl(f, DRM_IOCTL_MODE_GETCRTC, &cr, sizeof(cr));
	do_ioctl(f, DRM_IOCTL_MODE_GETENCODER, &e, sizeof(e));
}

/* Legacy mode set */
static void kms_setcrtc(struct fz *f)
{
	uint32_t ids[64] = { 0 };
	uint32_t i;
	struct drm_mode_crtc c = {
		.crtc_id = kms_obj(f), .fb_id = pick(f, f->fbs, f->nfb),
		.set_connectors_ptr = uptr(f, ids),
		.count_connectors = pct(f, 90) ? rn(f, 3) : any_u64(f),
		.mode_valid = rn(f, 2), .x = rn(f, 64), .y = rn(f, 64),
	};

	for (i = 0; i < 4; i++)
		ids[i] = kms_obj(f);
	random_mode(f, &c.mode);
	do_ioctl(f, DRM_IOCTL_MODE_SETCRTC, &c, sizeof(c));
}

/* Legacy SETPLANE */
static void kms_setplane(struct fz *f)
{
	struct drm_mode_set_plane p = {
		.plane_id = kms_obj(f), .crtc_id = kms_obj(f),
		.fb_id = pick(f, f->fbs, f->nfb),
		.flags = pct(f, 95) ? 0 : any_u64(f),
		.crtc_x = (int32_t)rn(f, 256) - 64, .crtc_y = rn(f, 256),
		.crtc_w = rn(f, 512), .crtc_h = rn(f, 512),
		.src_x = (uint32_t)rn(f, 64) << (pct(f, 80) ? 16 : 0),
		.src_y = 0, .src_w = (uint32_t)rn(f, 512) << 16,
		.src_h = (uint32_t)rn(f, 512) << 16,
	};

	do_ioctl(f, DRM_IOCTL_MODE_SETPLANE, &p, sizeof(p));
}

/* Legacy page flip, with or without an event */
static void kms_page_flip(struct fz *f)
{
	struct drm_mode_crtc_page_flip_target pf = {
		.crtc_id = kms_obj(f), .fb_id = pick(f, f->fbs, f->nfb),
		.flags = pct(f, 80) ? DRM_MODE_PAGE_FLIP_EVENT * rn(f, 2) :
			 any_u64(f),
		.sequence = rn(f, 3),
	};

	do_ioctl(f, DRM_IOCTL_MODE_PAGE_FLIP, &pf, sizeof(pf));
}

/* Legacy cursor, CURSOR or CURSOR2 */
static void kms_cursor(struct fz *f)
{
	struct drm_mode_cursor2 c = {
		.flags = pct(f, 80) ? 1 + rn(f, 3) : any_u64(f),
		.crtc_id = kms_obj(f), .x = rn(f, 2048) - 64, .y = rn(f, 2048),
		.width = pct(f, 80) ? 64 : rn(f, 512),
		.height = pct(f, 80) ? 64 : rn(f, 512),
		.handle = pct(f, 30) ? 0 : handle(f),
	};

	do_ioctl(f, mangle(f, pct(f, 50) ? DRM_IOCTL_MODE_CURSOR2 :
				  DRM_IOCTL_MODE_CURSOR), &c, sizeof(c));
}

/* Property queries, and a property set to a random value */
static void kms_properties(struct fz *f)
{
	uint32_t pids[64];
	uint64_t vals[64] = { 0 };
	struct drm_mode_obj_get_properties g = {
		.obj_id = kms_obj(f), .obj_type = kms_type(f),
		.props_ptr = uptr(f, pids), .prop_values_ptr = uptr(f, vals),
		.count_props = rn(f, 64),
	};
	struct drm_mode_obj_set_property s = {
		.obj_id = kms_obj(f), .obj_type = kms_type(f),
		.prop_id = pick(f, f->props, f->nprop),
	};
	struct drm_mode_get_property gp = {
		.prop_id = pick(f, f->props, f->nprop),
		.values_ptr = uptr(f, vals), .enum_blob_ptr = uptr(f, vals),
		.count_values = rn(f, 8), .count_enum_blobs = rn(f, 4),
	};

	s.value = prop_val(f, s.prop_id);
	do_ioctl(f, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &g, sizeof(g));
	do_ioctl(f, DRM_IOCTL_MODE_GETPROPERTY, &gp, sizeof(gp));
	do_ioctl(f, DRM_IOCTL_MODE_OBJ_SETPROPERTY, &s, sizeof(s));
	keep_out_fence(f);
}

/* Property blobs: random modes created, read back, destroyed */
static void kms_propblobs(struct fz *f)
{
	uint64_t vals[64] = { 0 };
	struct drm_mode_modeinfo m;
	struct drm_mode_create_blob c = { 0 };
	struct drm_mode_get_blob g = {
		.blob_id = pick(f, f->blobs, f->nblob), .length = rn(f, 128),
		.data = uptr(f, vals),
	};
	struct drm_mode_destroy_blob d = {
		.blob_id = pick(f, f->blobs, f->nblob),
	};

	random_mode(f, &m);
	c.data = uptr(f, &m);
	c.length = pct(f, 80) ? sizeof(m) : rn(f, 256);
	if (!do_ioctl(f, DRM_IOCTL_MODE_CREATEPROPBLOB, &c, sizeof(c)))
		keep(f->blobs, &f->nblob, c.blob_id);
	do_ioctl(f, DRM_IOCTL_MODE_GETPROPBLOB, &g, sizeof(g));
	if (pct(f, 20))
		do_ioctl(f, DRM_IOCTL_MODE_DESTROYPROPBLOB, &d, sizeof(d));
}

/* Atomic with real objects and properties, random values */
static void kms_atomic(struct fz *f)
{
	uint32_t ids[64] = { 0 }, pids[64] = { 0 }, cnt[8] = { 0 };
	uint64_t vals[64] = { 0 };
	uint32_t i, n;
	struct drm_mode_atomic a = { 0 };
	uint32_t nobj = 1 + rn(f, 4), k = 0;

	for (i = 0; i < nobj; i++) {
		ids[i] = kms_obj(f);
		cnt[i] = pct(f, 95) ? 1 + rn(f, 4) : any_u64(f);
		for (n = 0; n < (cnt[i] < 8 ? cnt[i] : 0) && k < 32; n++, k++) {
			pids[k] = pick(f, f->props, f->nprop);
			vals[k] = prop_val(f, pids[k]);
		}
	}
	a.flags = pct(f, 85) ? (rn(f, 2) ? DRM_MODE_ATOMIC_TEST_ONLY : 0) |
			       (rn(f, 2) ? DRM_MODE_ATOMIC_NONBLOCK : 0) |
			       (rn(f, 2) ? DRM_MODE_ATOMIC_ALLOW_MODESET : 0) |
			       (rn(f, 3) ? 0 : DRM_MODE_PAGE_FLIP_EVENT) :
		  any_u64(f);
	a.count_objs = pct(f, 95) ? nobj : any_u64(f);
	a.objs_ptr = uptr(f, ids);
	a.count_props_ptr = uptr(f, cnt);
	a.props_ptr = uptr(f, pids);
	a.prop_values_ptr = uptr(f, vals);
	a.user_data = r64(f);
	do_ioctl(f, mangle(f, DRM_IOCTL_MODE_ATOMIC), &a, sizeof(a));
	keep_out_fence(f);
}

/* Vblank waits that never block for long */
static void kms_vblank(struct fz *f)
{
	union drm_wait_vblank w = { 0 };
	struct drm_crtc_get_sequence gs = { .crtc_id = kms_obj(f) };
	struct drm_crtc_queue_sequence qs = {
		.crtc_id = kms_obj(f), .flags = pct(f, 80) ? rn(f, 4) : any_u64(f),
		.sequence = rn(f, 3), .user_data = r64(f),
	};

	w.request.type = (pct(f, 80) ? _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT :
			  rn(f, 2) ? _DRM_VBLANK_RELATIVE : (uint32_t)any_u64(f)) |
			 (rn(f, 4) << _DRM_VBLANK_HIGH_CRTC_SHIFT);
	w.request.sequence = rn(f, 2);
	do_ioctl(f, DRM_IOCTL_WAIT_VBLANK, &w, sizeof(w));
	do_ioctl(f, DRM_IOCTL_CRTC_GET_SEQUENCE, &gs, sizeof(gs));
	do_ioctl(f, DRM_IOCTL_CRTC_QUEUE_SEQUENCE, &qs, sizeof(qs));
}

/* Gamma, master, and the events that piled up */
static void kms_gamma_master(struct fz *f)
{
	uint16_t lut[3 * 256] = { 0 };
	struct drm_mode_crtc_lut l = {
		.crtc_id = kms_obj(f), .gamma_size = rn(f, 300),
		.red = uptr(f, lut), .green = uptr(f, lut), .blue = uptr(f, lut),
	};
	char ev[4096];

	if (l.gamma_size > 256)
		l.gamma_size = 256;
	do_ioctl(f, pct(f, 50) ? DRM_IOCTL_MODE_GETGAMMA :
				 DRM_IOCTL_MODE_SETGAMMA, &l, sizeof(l));
	if (pct(f, 10))
		do_ioctl(f, pct(f, 50) ? DRM_IOCTL_DROP_MASTER :
					 DRM_IOCTL_SET_MASTER, NULL, 0);
	while (read(f->fd, ev, sizeof(ev)) > 0)
		;
}

/* One KMS ioctl: one family of them, as IGT would test it */
static void op_kms(struct fz *f)
{
	switch (rn(f, 16)) {
	case 0:
		kms_create_dumb(f);
		break;
	case 1:
		kms_map_dumb(f);
		break;
	case 2:
		kms_addfb2(f);
		break;
	case 3:
		kms_dirtyfb_rmfb(f);
		break;
	case 4:
		kms_getresources(f);
		break;
	case 5:
		kms_getobjects(f);
		break;
	case 6:
		kms_setcrtc(f);
		break;
	case 7:
		kms_setplane(f);
		break;
	case 8:
		kms_page_flip(f);
		break;
	case 9:
		kms_cursor(f);
		break;
	case 10:
		kms_properties(f);
		break;
	case 11:
		kms_propblobs(f);
		break;
	case 12:
	case 13:
		kms_atomic(f);
		break;
	case 14:
		kms_vblank(f);
		break;
	default:
		kms_gamma_master(f);
		break;
	}
}

/* ---- mmap of the node's objects ---- */

static void op_mmap(struct fz *f)
{
	struct drm_vprime_gem_info in = { .handle = handle(f) };
	struct drm_mode_map_dumb md = { .handle = in.handle };
	uint64_t off, size;
	uint8_t *p;

	if (!ioctl(f->fd, DRM_IOCTL_VPRIME_GEM_INFO, &in)) {
		off = in.mmap_offset;
		size = in.size;
	} else if (!ioctl(f->fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		off = md.offset;
		size = PAGE;	/* the size is not known here: one page */
	} else {
		off = (uint64_t)rn(f, 1 << 20) << 12;
		size = PAGE;
	}
	if (pct(f, 20))
		off += (uint64_t)rn(f, 4) * PAGE;
	if (pct(f, 20))
		size += (uint64_t)rn(f, 4) * PAGE;
	f->n++;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, off);
	if (p == MAP_FAILED) {
		f->errs[errno < 256 ? errno : 255]++;
		return;
	}
	f->errs[0]++;
	/* touch only what the object really has */
	if (in.size && off == in.mmap_offset && size <= in.size) {
		p[0] = 1;
		p[size - 1] = (uint8_t)p[size / 2];
	}
	munmap(p, size);
}

/* ---- the node ---- */

static int node_open(struct fz *f)
{
	f->fd = open(f->path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	return f->fd;
}

/* Learn the node's KMS objects and properties, for atomic inputs */
static void learn_kms(struct fz *f)
{
	drmModeRes *res;
	drmModePlaneRes *pr;
	int i;

	f->nobj = f->nprop = 0;
	f->out_fence_prop = 0;
	f->out_fence_slot = -2;
	drmSetClientCap(f->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	drmSetClientCap(f->fd, DRM_CLIENT_CAP_ATOMIC, 1);
	res = drmModeGetResources(f->fd);
	pr = drmModeGetPlaneResources(f->fd);
	if (res) {
		for (i = 0; i < res->count_crtcs && f->nobj < 64; i++)
			f->objs[f->nobj++] = res->crtcs[i];
		for (i = 0; i < res->count_connectors && f->nobj < 64; i++)
			f->objs[f->nobj++] = res->connectors[i];
		for (i = 0; i < res->count_encoders && f->nobj < 64; i++)
			f->objs[f->nobj++] = res->encoders[i];
		drmModeFreeResources(res);
	}
	if (pr) {
		for (i = 0; i < (int)pr->count_planes && f->nobj < 64; i++)
			f->objs[f->nobj++] = pr->planes[i];
		drmModeFreePlaneResources(pr);
	}
	for (i = 0; i < f->nobj; i++) {
		drmModeObjectProperties *p = drmModeObjectGetProperties(
			f->fd, f->objs[i], DRM_MODE_OBJECT_ANY);
		uint32_t j;

		if (!p)
			continue;
		for (j = 0; j < p->count_props && f->nprop < 256; j++) {
			drmModePropertyRes *pr = drmModeGetProperty(f->fd,
								    p->props[j]);

			if (pr && !strcmp(pr->name, "OUT_FENCE_PTR"))
				f->out_fence_prop = p->props[j];
			drmModeFreeProperty(pr);
			f->props[f->nprop++] = p->props[j];
		}
		drmModeFreeObjectProperties(p);
	}
}

static void node_reset_pools(struct fz *f)
{
	f->nh = f->nctx = f->nsync = f->nfb = f->nblob = 0;
}

static void fuzz_node(struct fz *f)
{
	double t0 = mono_s();
	int i;

	if (node_open(f) < 0)
		return;
	learn_kms(f);
	while (f->iters ? f->n < f->iters : mono_s() - t0 < fz_seconds) {
		unsigned int r = rn(f, 100);

		if (r < 30) {
			op_driver(f);
		} else if (r < 50) {
			op_generic(f);
		} else if (r < 75) {
			op_kms(f);
		} else if (r < 88) {
			op_submit(f);
		} else if (r < 96) {
			op_mmap(f);
		} else if (r < 98) {
			uint8_t buf[256];

			for (i = 0; i < 256; i++)
				buf[i] = r64(f);
			do_ioctl(f, any_request(f), buf, sizeof(buf));
		} else {
			/* close with everything outstanding, and start over */
			close(f->fd);
			f->closed_fd = f->fd;
			node_reset_pools(f);
			if (node_open(f) < 0)
				return;
			learn_kms(f);
		}
	}
	close(f->fd);
}

static void print_counts(const char *path, struct fz *f, double secs)
{
	char line[1024];
	int e, len;

	len = snprintf(line, sizeof(line), "%s: %" PRIu64 " ioctls and mmaps "
		       "(draws digest 0x%016" PRIx64 ") in %.1f s: ok %" PRIu64,
		       path, f->n, f->digest, secs, f->errs[0]);
	for (e = 1; e < 256; e++) {
		if (!f->errs[e] || len >= (int)sizeof(line) - 32)
			continue;
		len += snprintf(line + len, sizeof(line) - len, ", %s %" PRIu64,
				e == 255 ? "other" : strerrorname_np(e), f->errs[e]);
	}
	diag("%s", line);
}

/* ---- afterwards: the devices still work ---- */

/* The GPU driver's view, when a check fails */
static void dump_debugfs(int fd)
{
	static const char *const files[] = { "engines", "contexts" };
	char path[PATH_MAX], buf[4096], *line, *save;
	struct stat st;
	size_t i;

	if (fstat(fd, &st))
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* render minors are 128 up; debugfs is by primary minor */
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/%s",
			 minor(st.st_rdev) >= 128 ? minor(st.st_rdev) - 128 :
			 minor(st.st_rdev), files[i]);
		if (read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		diag("%s:", path);
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			diag("  %s", line);
	}
}

static int gpu_works(struct ctx *c, int kind)
{
	int fd = gpu_open(c, kind);
	struct bo bo;
	uint32_t ctx_id, i;
	struct vprime_cmd cmd;
	const struct bo *bos[1];
	int ret;

	if (fd < 0)
		return -ENODEV;
	ret = bo_new(fd, PAGE, &bo);
	ctx_id = ret ? 0 : ctx_new(fd);
	if (!ctx_id) {
		close(fd);
		return ret ? ret : -EIO;
	}
	memset(bo.map, 0, PAGE);
	cmd = fill(bo.va, 64, 16, 4, VPRIME_FMT_XRGB8888, 0x00abcdef);
	bos[0] = &bo;
	{
		struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER,
					 .in_fd = -1, .out_fd = true };
		struct pollfd pfd = { .events = POLLIN };
		int sfd = -1;

		ret = submit(fd, ctx_id, &cmd, 1, bos, 1, &o, &sfd);
		pfd.fd = sfd;
		if (!ret && poll(&pfd, 1, 10000) != 1)
			ret = -ETIME;
		if (!ret && sync_file_status(sfd) != 1) {
			diag("the job's fence: status %d", sync_file_status(sfd));
			dump_debugfs(fd);
			ret = -EIO;
		}
		if (sfd >= 0)
			close(sfd);
	}
	for (i = 0; !ret && i < 16 * 4; i++)
		if (((uint32_t *)bo.map)[(i / 16) * 16 + i % 16] != 0x00abcdef)
			ret = -EBADMSG;
	bo_free(fd, &bo);
	close(fd);
	return ret;
}

static int display_works(struct ctx *c)
{
	struct drm_event_vblank ev;
	struct kms k;
	struct fb fb[2];
	struct head *hd = NULL;
	int i, ret, saved;

	/* kms_open() fails if anything failed before: judge only this */
	saved = failures;
	failures = 0;
	ret = kms_open(c, &k);
	failures += saved;
	if (ret)
		return -ENODEV;
	for (i = 0; i < k.nheads; i++)
		if (k.heads[i].connected) {
			hd = &k.heads[i];
			break;
		}
	if (!hd) {
		kms_close(&k);
		return -ENOENT;
	}
	for (i = 0; i < 2 && !ret; i++)
		ret = fb_new(&k, &fb[i], hd->mode.hdisplay, hd->mode.vdisplay,
			     DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	if (!ret)
		ret = head_enable(&k, hd, &fb[0], 0);
	if (!ret && drmModePageFlip(k.fd, hd->crtc, fb[1].fb_id,
				    DRM_MODE_PAGE_FLIP_EVENT, NULL))
		ret = -errno;
	if (!ret && (!read_event(k.fd, 2000, &ev) ||
		     ev.base.type != DRM_EVENT_FLIP_COMPLETE))
		ret = -ETIME;
	kms_disable_all(&k);
	kms_close(&k);
	return ret;
}

/* ---- fds from elsewhere ---- */

static int foreign_fds(struct ctx *c, int *fds, int max)
{
	int n = 0, i, p[2];

	for (i = 0; i < c->ndev && n < max - 3; i++) {
		char card[PATH_MAX], render[PATH_MAX];
		int fd;

		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		fd = open(c->devs[i].kind == VPRIME_KIND_DISPLAY ? card : render,
			  O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		fds[n++] = fd;
		if (c->devs[i].kind != VPRIME_KIND_DISPLAY) {
			struct bo bo;

			if (!bo_create(fd, 64 * 1024, 0, false, &bo)) {
				int d = prime_export(fd, bo.handle);

				if (d >= 0)
					fds[n++] = d;
			}
		}
	}
	i = drm_card_by_driver("vgem");
	if (i >= 0 && n < max - 2) {
		uint32_t pitch;
		void *map;
		size_t size;
		int d = vgem_buffer(i, 64, 64, 32, &pitch, &map, &size);

		fds[n++] = i;
		if (d >= 0)
			fds[n++] = d;
	}
	if (n < max - 1) {
		void *map;
		int d = udmabuf_buffer(2 * PAGE, false, &map);

		if (d >= 0)
			fds[n++] = d;
	}
	if (n < max - 2 && !pipe(p)) {
		fds[n++] = p[0];
		fds[n++] = p[1];
	}
	return n;
}

/* The value of key= on the kernel command line, or NULL */
static const char *cmdline_value(const char *key)
{
	static char cmdline[4096];
	char *p;

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return NULL;
	p = strstr(cmdline, key);
	return p ? p + strlen(key) : NULL;
}

/* fz_seed, fz_iters, fz_seconds from the command line: see the header */
static void fuzz_params(void)
{
	const char *seed = cmdline_value("vprime.fuzz_seed=");
	const char *iters = cmdline_value("vprime.fuzz_iters=");
	const char *secs = cmdline_value("vprime.fuzz_seconds=");
	uint64_t last = FZ_CHECK_ITERS;
	char *end;
	int i;

	fz_seconds = secs ? strtod(secs, NULL) : 0;
	if (seed) {
		fz_seed = strtoull(seed, NULL, 0);
	} else if (fz_seconds > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fz_seed = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	} else {
		fz_seed = FZ_CHECK_SEED;
	}
	if (fz_seconds > 0 && !iters)
		last = 0;
	for (i = 0; i < FZ_MAX_NODES; i++) {
		if (iters && *iters && !isspace((unsigned char)*iters)) {
			last = strtoull(iters, &end, 0);
			iters = *end == ',' ? end + 1 : NULL;
		}
		fz_iters[i] = last;
	}
}

int test_ioctl_fuzz(struct ctx *c)
{
	static int foreign[32];
	uint64_t done[FZ_MAX_NODES];
	char replay[FZ_MAX_NODES * 24];
	uint8_t *guard;
	uint64_t total = 0;
	int nforeign, i, j, kinds[2], nk, nodes = 0, len;

	fuzz_params();
	if (fz_iters[0])
		diag("seed 0x%" PRIx64 ", %" PRIu64 " inputs per node%s",
		     fz_seed, fz_iters[0], fz_iters[0] != fz_iters[1] ?
		     " (the first; see vprime.fuzz_iters)" : "");
	else
		diag("seed 0x%" PRIx64 ", %.1f s per node", fz_seed,
		     fz_seconds);

	guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED || mprotect(guard + PAGE, PAGE, PROT_NONE)) {
		diag("FAIL: no guard page");
		return EXIT_FAIL;
	}
	nforeign = foreign_fds(c, foreign, 32);

	for (i = 0; i < c->ndev; i++) {
		char card[PATH_MAX], render[PATH_MAX];

		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		for (j = 0; j < 2; j++) {
			static struct fz f;
			const char *path = j ? render : card;
			double t0 = mono_s();
			int k;

			if (!*path || access(path, F_OK))
				continue;
			if (nodes == FZ_MAX_NODES) {
				diag("FAIL: more than %d nodes", FZ_MAX_NODES);
				return EXIT_FAIL;
			}
			memset(&f, 0, sizeof(f));
			f.rng = fz_seed ^ (0x100000001b3ULL * (nodes + 1));
			f.digest = 0xcbf29ce484222325ULL;
			f.iters = fz_iters[nodes];
			f.path = path;
			f.display = c->devs[i].kind == VPRIME_KIND_DISPLAY;
			f.foreign = foreign;
			f.nforeign = nforeign;
			f.closed_fd = 1000;
			f.guard = guard;
			fuzz_node(&f);
			for (k = 0; k < f.nown; k++)
				close(f.own_fds[k]);
			print_counts(path, &f, mono_s() - t0);
			total += f.n;
			done[nodes++] = f.n;
		}
	}
	for (i = 0; i < nforeign; i++)
		close(foreign[i]);
	diag("%" PRIu64 " inputs on %d nodes", total, nodes);
	for (i = 0, len = 0; i < nodes; i++)
		len += snprintf(replay + len, sizeof(replay) - len, "%s%" PRIu64,
				i ? "," : "", done[i]);
	diag("replay: --append \"vprime.tests=ioctl-fuzz vprime.fuzz_seed=0x%"
	     PRIx64 " vprime.fuzz_iters=%s\"", fz_seed, nodes ? replay : "0");
	CHECK(nodes > 0, "no vprime node to fuzz");

	nk = gpu_kinds(c, kinds);
	for (i = 0; i < nk; i++) {
		int ret = gpu_works(c, kinds[i]);

		CHECK(!ret, "%s: a fill after the fuzzing: %s",
		      kinds[i] == VPRIME_KIND_DGPU ? "dGPU" : "iGPU", strerror(-ret));
	}
	for (i = 0; i < c->ndev; i++)
		if (c->devs[i].kind == VPRIME_KIND_DISPLAY) {
			int ret = display_works(c);

			CHECK(!ret, "display: a mode set and flip after the "
			      "fuzzing: %s", strerror(-ret));
			break;
		}
	return failures ? EXIT_FAIL : EXIT_PASS;
}
