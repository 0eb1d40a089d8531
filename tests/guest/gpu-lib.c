// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPU helpers for the guest tests: the vprime device nodes, buffer
 * objects, contexts, submission and fences through the vprime uapi, the
 * commands tests build, and the drivers' debugfs counters (which are not
 * part of the uapi).  kms-lib.c is the display side.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include "guest-test.h"
#include "gpu-lib.h"

/* Find the card/renderD minors of a PCI function under its drm/ dir. */
void drm_nodes(const char *bdf, char *card, char *render, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	card[0] = render[0] = 0;
	snprintf(dir, sizeof(dir), PCI_SYSFS "/%s/drm", bdf);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "card", 4))
			snprintf(card, len, "/dev/dri/%s", de->d_name);
		else if (!strncmp(de->d_name, "renderD", 7))
			snprintf(render, len, "/dev/dri/%s", de->d_name);
	}
	closedir(d);
}


/* GET_PARAM; 0 or -errno */
int get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_vprime_get_param gp = { .param = param };

	if (ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

/*
 * A GPU of @kind opened, a context and a 4 KiB BO: what many GPU tests
 * start from.  0, or EXIT_FAIL with the failure said and counted.
 */
int gpu_job_open(struct ctx *c, int kind, int *fd, uint32_t *ctx_id,
		 struct bo *a)
{
	bool ok;

	*fd = gpu_open(c, kind);
	*ctx_id = ctx_new(*fd);
	ok = *fd >= 0 && *ctx_id && !bo_new(*fd, 4096, a);
	CHECK(ok, "%s: open, context, 4 KiB BO", kind_name(kind));
	return ok ? 0 : EXIT_FAIL;
}

/*
 * VRAM_FREE once it is back to @want, polled every 10 ms for at most @ms
 * (freed BOs return their VRAM when the jobs using them retire); else the
 * last value read.
 */
uint64_t vram_free_wait(int fd, uint64_t want, int ms)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i <= ms / 10; i++) {
		get_param(fd, VPRIME_PARAM_VRAM_FREE, &v);
		if (v == want)
			break;
		usleep(10000);
	}
	return v;
}

/* Open the first vprime device of a kind: its render node, or its card */
int dev_node_open(struct ctx *c, int kind, bool render_node)
{
	char card[PATH_MAX], render[PATH_MAX];
	int i;

	for (i = 0; i < c->ndev; i++) {
		if (c->devs[i].kind != kind)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		return open(render_node ? render : card, O_RDWR | O_CLOEXEC);
	}
	return -ENODEV;
}

int gpu_open(struct ctx *c, int kind)
{
	return dev_node_open(c, kind, true);
}

/*
 * Create a BO (flags: VPRIME_GEM_* placement, 0 for system memory) with its
 * GPU VA; map it for the CPU unless map is false (the scenarios hand
 * buffers over untouched).
 */
int bo_create(int fd, uint64_t size, uint32_t flags, bool map, struct bo *bo)
{
	struct drm_vprime_gem_create cr = { .size = size, .flags = flags };
	struct drm_vprime_gem_info in = { 0 };

	memset(bo, 0, sizeof(*bo));
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_CREATE, &cr))
		return -errno;
	in.handle = cr.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in))
		return -errno;
	if (in.placement != (flags ? flags : VPRIME_GEM_SYSTEM))
		return -EBADE;
	bo->handle = cr.handle;
	bo->va = in.gpu_va;
	bo->size = in.size;
	if (!map)
		return 0;
	bo->map = mmap(NULL, in.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       in.mmap_offset);
	return bo->map == MAP_FAILED ? -errno : 0;
}

int bo_new(int fd, uint64_t size, struct bo *bo)
{
	return bo_create(fd, size, 0, true, bo);
}

int bo_new_flags(int fd, uint64_t size, uint32_t flags, struct bo *bo)
{
	return bo_create(fd, size, flags, true, bo);
}

/* GEM_CLOSE; 0 or -errno */
int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl) ? -errno : 0;
}

void bo_free(int fd, struct bo *bo)
{
	if (bo->map && bo->map != MAP_FAILED)
		munmap(bo->map, bo->size);
	gem_close(fd, bo->handle);
}

/*
 * Share a BO of one GPU with another through a dma-buf: export from
 * src_fd, import into dst_fd; *in gets the importer's handle and GPU VA.
 * Returns the dma-buf fd (close it when done) or -errno.
 */
int prime_share(int src_fd, uint32_t handle, int dst_fd, struct bo *in)
{
	struct drm_prime_handle exp = { .handle = handle,
					.flags = DRM_CLOEXEC | DRM_RDWR };
	int ret;

	if (ioctl(src_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp))
		return -errno;
	ret = prime_import(dst_fd, exp.fd, in);
	if (ret) {
		close(exp.fd);
		return ret;
	}
	return exp.fd;
}

/* Import a dma-buf (any exporter) into a GPU: *in gets handle and GPU VA */
int prime_import(int fd, int dmabuf, struct bo *in)
{
	struct drm_prime_handle imp = { .fd = dmabuf };
	struct drm_vprime_gem_info info = { 0 };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp))
		return -errno;
	info.handle = imp.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &info))
		return -errno;
	memset(in, 0, sizeof(*in));
	in->handle = imp.handle;
	in->va = info.gpu_va;
	in->size = info.size;
	return 0;
}

uint32_t ctx_new(int fd)
{
	struct drm_vprime_ctx_create cc = { 0 };

	return ioctl(fd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc) ? 0 : cc.ctx_id;
}

uint32_t syncobj_new(int fd)
{
	struct drm_syncobj_create sc = { 0 };

	return ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc) ? 0 : sc.handle;
}

/* Wait for a syncobj (point 0: binary); 0, or -ETIME */
int syncobj_wait(int fd, uint32_t h, uint64_t point, int64_t ms)
{
	struct timespec ts;
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&h, .points = (uintptr_t)&point,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.timeout_nsec = ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
	return ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w) ? -errno : 0;
}

int submit(int fd, uint32_t ctx_id, struct vprime_cmd *cmds, uint32_t n,
	   const struct bo **bos, uint32_t nbos, const struct submit_opts *o,
	   int *out_fd)
{
	uint32_t handles[VPRIME_SUBMIT_MAX_BOS];
	struct drm_vprime_submit s = {
		.cmds = (uintptr_t)cmds, .num_cmds = n,
		.bo_handles = (uintptr_t)handles, .num_bos = nbos,
		.ctx_id = ctx_id, .engine = o->engine,
		.in_syncobj = o->in_syncobj, .in_point = o->in_point,
		.out_syncobj = o->out_syncobj, .out_point = o->out_point,
	};
	uint32_t i;

	if (nbos > VPRIME_SUBMIT_MAX_BOS)
		return -EINVAL;
	for (i = 0; i < nbos; i++)
		handles[i] = bos[i]->handle;
	if (o->in_fd >= 0) {
		s.flags |= VPRIME_SUBMIT_IN_FENCE_FD;
		s.in_fence_fd = o->in_fd;
	}
	if (o->out_fd)
		s.flags |= VPRIME_SUBMIT_OUT_FENCE_FD;
	if (ioctl(fd, DRM_IOCTL_VPRIME_SUBMIT, &s))
		return -errno;
	if (out_fd)
		*out_fd = o->out_fd ? s.out_fence_fd : -1;
	return 0;
}

/* Submit and wait (through an out syncobj); 0 or -errno */
int run(int fd, uint32_t ctx_id, uint32_t engine, struct vprime_cmd *cmds,
	uint32_t n, const struct bo **bos, uint32_t nbos)
{
	struct submit_opts o = { .engine = engine, .in_fd = -1 };
	struct drm_syncobj_destroy d;
	int ret;

	o.out_syncobj = syncobj_new(fd);
	ret = submit(fd, ctx_id, cmds, n, bos, nbos, &o, NULL);
	if (!ret)
		ret = syncobj_wait(fd, o.out_syncobj, 0, 10000);
	d.handle = o.out_syncobj;
	d.pad = 0;
	ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
	return ret;
}

/* A sync_file's status: 1 signalled, 0 pending, < 0 error */
int sync_file_status(int sfd)
{
	struct sync_file_info info = { 0 };

	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.status;
}

/* Wait (bounded) for a sync_file; its status then, or -ETIME */
int sync_file_wait(int sfd, int ms)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 ? sync_file_status(sfd) : -ETIME;
}

struct vprime_cmd fill(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
		       uint32_t fmt, uint32_t color)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_FILL };

	c.rect.dst = va;
	c.rect.pitch = pitch;
	c.rect.width = w;
	c.rect.height = h;
	c.rect.format = fmt;
	c.rect.color = color;
	return c;
}

/* PATTERN of frame @frame and device tag @tag, XRGB8888 */
struct vprime_cmd pattern(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
			  uint32_t frame, uint32_t tag)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_PATTERN };

	c.rect.dst = va;
	c.rect.pitch = pitch;
	c.rect.width = w;
	c.rect.height = h;
	c.rect.format = VPRIME_FMT_XRGB8888;
	c.rect.frame = frame;
	c.rect.tag = tag;
	return c;
}

/* COPY of size bytes */
struct vprime_cmd copy_cmd(uint64_t src, uint64_t dst, uint64_t size)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_COPY };

	c.copy.src = src;
	c.copy.dst = dst;
	c.copy.size = size;
	return c;
}

/* BLIT of a w x h rectangle, linear to linear (set the layouts after) */
struct vprime_cmd blit_cmd(uint64_t src, uint32_t src_pitch, uint32_t src_format,
			   uint64_t dst, uint32_t dst_pitch, uint32_t dst_format,
			   uint32_t w, uint32_t h)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_BLIT };

	c.blit.src = src;
	c.blit.src_pitch = src_pitch;
	c.blit.src_format = src_format;
	c.blit.dst = dst;
	c.blit.dst_pitch = dst_pitch;
	c.blit.dst_format = dst_format;
	c.blit.width = w;
	c.blit.height = h;
	return c;
}

/* The GPU kinds of the topology, iGPU first; how many */
int gpu_kinds(struct ctx *c, int *kinds)
{
	int n = 0, i, k;

	for (k = VPRIME_KIND_IGPU; k <= VPRIME_KIND_DGPU; k++)
		for (i = 0; i < c->ndev; i++)
			if (c->devs[i].kind == k) {
				kinds[n++] = k;
				break;
			}
	return n;
}


/* ioctl's errno, 0 if it succeeded */
int ioctl_errno(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* The debugfs directory of the DRM device behind an open node */
void debugfs_dir(int fd, char *dir, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		memset(&st, 0, sizeof(st));
	snprintf(dir, len, "/sys/kernel/debug/dri/%u", minor(st.st_rdev));
}

/* A debugfs file of the device behind fd; its length or -errno */
int debugfs_read(int fd, const char *file, char *buf, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];

	debugfs_dir(fd, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_file(path, buf, len);
}

/*
 * The number after "key: " at the start of a line of a debugfs file of
 * the device behind fd (decimal, or hex with 0x); 0, or -errno / -ENOENT
 */
int debugfs_value(int fd, const char *file, const char *key, uint64_t *value)
{
	char buf[8192], *p;
	size_t n = strlen(key);
	int ret;

	ret = debugfs_read(fd, file, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == ':') {
			*value = strtoull(p + n + 1, NULL, 0);
			return 0;
		}
	}
	return -ENOENT;
}

/* Interrupts the device's driver handled (debugfs "interrupts") */
uint64_t dev_irq_count(int fd)
{
	uint64_t v = 0;

	debugfs_value(fd, "interrupts", "interrupts", &v);
	return v;
}

/* VRAM BOs a GPU moved to system memory (debugfs "vram") */
uint64_t gpu_migrations(int fd)
{
	uint64_t v = 0;

	debugfs_value(fd, "vram", "migrations to system memory", &v);
	return v;
}

/* The vprime_gpu module's live object counts; 0, or -1 if unreadable */
int live_read(struct live *l)
{
	char buf[256];

	if (read_file(VPRIME_LIVE_PATH, buf, sizeof(buf)) < 0)
		return -1;
	return sscanf(buf, "devices %d bos %d contexts %d jobs %d fences %d",
		      &l->devices, &l->bos, &l->contexts, &l->jobs,
		      &l->fences) == 5 ? 0 : -1;
}

/*
 * Wait until the driver has freed every job (live_read()'s jobs is 0), at
 * most limit_s seconds: a job's fence signals before the scheduler frees
 * it, and the job holds its BOs' GPU mappings until then.  0, or -1 when
 * the jobs are still there (or the counts are unreadable).
 */
int jobs_freed_wait(int limit_s)
{
	struct live l;
	int i;

	for (i = 0; i < limit_s * 100; i++) {
		if (live_read(&l))
			return -1;
		if (!l.jobs)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* The DRM client id of an open node (fdinfo drm-client-id); 0 or -errno */
int drm_client_id(int fd, uint64_t *id)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -errno;
	p = strstr(buf, "drm-client-id:");
	if (!p)
		return -ENOENT;
	*id = strtoull(p + strlen("drm-client-id:"), NULL, 10);
	return 0;
}

/* The QOM id of the first GPU of a kind: gpu<N> in --gpus order */
int gpu_qom_id(struct ctx *c, int kind, char *id, size_t len)
{
	int i, n = 0;

	for (i = 0; i < c->nexp; i++) {
		if (c->exp[i].kind == VPRIME_KIND_DISPLAY)
			continue;
		if (c->exp[i].kind == kind) {
			snprintf(id, len, "gpu%d", n);
			return 0;
		}
		n++;
	}
	return -ENODEV;
}
