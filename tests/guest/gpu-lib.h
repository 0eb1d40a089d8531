/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GPU helpers for the guest tests (gpu-lib.c): the vprime device nodes,
 * buffer objects, contexts, submission and fences through the vprime uapi,
 * the commands tests build, and the drivers' debugfs counters.
 */
#ifndef VPRIME_GPU_LIB_H
#define VPRIME_GPU_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vprime_regs.h"
#include "vprime_drm.h"

struct ctx;

/* A GPU buffer object as the tests hold it */
struct bo {
	uint32_t handle;
	uint64_t va;		/* GPU virtual address, GEM_INFO's */
	uint64_t size;
	uint8_t *map;		/* CPU mapping, or NULL */
};

/* How submit() submits: engine and in/out fences */
struct submit_opts {
	uint32_t engine;
	uint32_t in_syncobj, out_syncobj;
	uint64_t in_point, out_point;
	int in_fd;		/* -1: none */
	bool out_fd;
};

/* Device nodes */
void drm_nodes(const char *bdf, char *card, char *render, size_t len);
int dev_node_open(struct ctx *c, int kind, bool render_node);
int gpu_open(struct ctx *c, int kind);
int gpu_kinds(struct ctx *c, int *kinds);
int gpu_qom_id(struct ctx *c, int kind, char *id, size_t len);
int get_param(int fd, uint32_t param, uint64_t *value);
uint64_t vram_free_wait(int fd, uint64_t want, int ms);
int gpu_job_open(struct ctx *c, int kind, int *fd, uint32_t *ctx_id,
		 struct bo *a);
int ioctl_errno(int fd, unsigned long req, void *arg);

/* Buffer objects */
int bo_create(int fd, uint64_t size, uint32_t flags, bool map, struct bo *bo);
int bo_new(int fd, uint64_t size, struct bo *bo);
int bo_new_flags(int fd, uint64_t size, uint32_t flags, struct bo *bo);
void bo_free(int fd, struct bo *bo);
int gem_close(int fd, uint32_t handle);
int prime_share(int src_fd, uint32_t handle, int dst_fd, struct bo *in);
int prime_import(int fd, int dmabuf, struct bo *in);

/* Contexts, submission, fences */
uint32_t ctx_new(int fd);
uint32_t syncobj_new(int fd);
int syncobj_wait(int fd, uint32_t h, uint64_t point, int64_t ms);
int submit(int fd, uint32_t ctx_id, struct vprime_cmd *cmds, uint32_t n,
	   const struct bo **bos, uint32_t nbos, const struct submit_opts *o,
	   int *out_fd);
int run(int fd, uint32_t ctx_id, uint32_t engine, struct vprime_cmd *cmds,
	uint32_t n, const struct bo **bos, uint32_t nbos);
int sync_file_status(int sfd);
int sync_file_wait(int sfd, int ms);

/* Commands */
struct vprime_cmd fill(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
		       uint32_t fmt, uint32_t color);
struct vprime_cmd pattern(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
			  uint32_t frame, uint32_t tag);
struct vprime_cmd copy_cmd(uint64_t src, uint64_t dst, uint64_t size);
struct vprime_cmd blit_cmd(uint64_t src, uint32_t src_pitch, uint32_t src_format,
			   uint64_t dst, uint32_t dst_pitch, uint32_t dst_format,
			   uint32_t w, uint32_t h);

/* debugfs of the DRM device behind an open node */
void debugfs_dir(int fd, char *dir, size_t len);
int debugfs_read(int fd, const char *file, char *buf, size_t len);
int debugfs_value(int fd, const char *file, const char *key, uint64_t *value);
uint64_t dev_irq_count(int fd);
uint64_t gpu_migrations(int fd);
int drm_client_id(int fd, uint64_t *id);

/* The vprime_gpu module's live objects (debugfs vprime_gpu/live) */
#define VPRIME_LIVE_PATH	"/sys/kernel/debug/vprime_gpu/live"
struct live {
	int devices, bos, contexts, jobs, fences;
};
int live_read(struct live *l);
int jobs_freed_wait(int limit_s);

#endif
