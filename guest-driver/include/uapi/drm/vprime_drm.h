/* SPDX-License-Identifier: MIT */
/*
 * Userspace interface of the vprime DRM drivers (vprime_gpu, vprime_display).
 *
 * Rules (Documentation/process/botching-up-ioctls.rst): __u32/__u64 only,
 * pointers as __u64, explicit padding; unknown flags, unknown params and
 * non-zero padding are rejected with -EINVAL.
 */
#ifndef _UAPI_VPRIME_DRM_H_
#define _UAPI_VPRIME_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_VPRIME_GET_PARAM		0x00

/* Parameters for DRM_IOCTL_VPRIME_GET_PARAM */
#define VPRIME_PARAM_KIND		0x01	/* hardware KIND register */
#define VPRIME_PARAM_HW_VERSION		0x02	/* hardware VERSION register */
#define VPRIME_PARAM_CAPS		0x03	/* hardware CAPS register */
#define VPRIME_PARAM_VRAM_SIZE		0x04	/* bytes of VRAM, 0 without */
#define VPRIME_PARAM_NUM_HEADS		0x05	/* display heads, 0 on GPUs */
#define VPRIME_PARAM_IRQ_COUNT		0x06	/* interrupts handled so far */
#define VPRIME_PARAM_ERROR_COUNT	0x07	/* device error interrupts so far */
#define VPRIME_PARAM_LAST_ERROR		0x08	/* ERROR bits of the latest one */
#define VPRIME_PARAM_VRAM_FREE		0x09	/* bytes of VRAM not allocated */
#define VPRIME_PARAM_MIGRATIONS		0x0a	/* VRAM BOs moved to system memory */
#define VPRIME_PARAM_DISPLAY_CAPS	0x0b	/* display: VPRIME_DISP_CAPS register */
#define VPRIME_PARAM_DISPLAY_DMA_BITS	0x0c	/* display: VPRIME_DISP_DMA_BITS register */

/**
 * struct drm_vprime_get_param - query a device parameter
 * @param: in, one of VPRIME_PARAM_*
 * @pad: must be zero
 * @value: out
 */
struct drm_vprime_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

/* GPU only (vprime_gpu render nodes) */
#define DRM_VPRIME_GEM_CREATE		0x01
#define DRM_VPRIME_GEM_INFO		0x02
#define DRM_VPRIME_CTX_CREATE		0x03
#define DRM_VPRIME_CTX_DESTROY		0x04
#define DRM_VPRIME_SUBMIT		0x05

/**
 * struct drm_vprime_gem_create - allocate a buffer object
 * @size: in, bytes (rounded up to pages)
 * @flags: in, VPRIME_GEM_* placement
 * @handle: out
 * @pad: must be zero
 */
struct drm_vprime_gem_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u32 pad;
	__u32 pad2;
};

#define VPRIME_GEM_SYSTEM		(1u << 0)	/* system memory (default) */
#define VPRIME_GEM_VRAM			(1u << 1)	/* dGPU VRAM, CPU-mapped through the BAR */
#define VPRIME_GEM_FLAGS		(VPRIME_GEM_SYSTEM | VPRIME_GEM_VRAM)

/**
 * struct drm_vprime_gem_info - where a buffer object is
 * @handle: in
 * @pad: must be zero
 * @mmap_offset: out, for mmap() on the DRM fd
 * @gpu_va: out, the BO's GPU virtual address in every context of this
 *	device (commands address the BO through it)
 * @size: out
 * @placement: out, VPRIME_GEM_SYSTEM or VPRIME_GEM_VRAM (where it is now)
 * @pad2: must be zero
 */
struct drm_vprime_gem_info {
	__u32 handle;
	__u32 pad;
	__u64 mmap_offset;
	__u64 gpu_va;
	__u64 size;
	__u32 placement;
	__u32 pad2;
};

/**
 * struct drm_vprime_ctx_create - a GPU context (address space)
 * @ctx_id: out
 * @pad: must be zero
 */
struct drm_vprime_ctx_create {
	__u32 ctx_id;
	__u32 pad;
};

struct drm_vprime_ctx_destroy {
	__u32 ctx_id;
	__u32 pad;
};

/**
 * struct drm_vprime_submit - run commands on an engine
 * @cmds: in, pointer to @num_cmds struct vprime_cmd (hw/vprime_regs.h);
 *	their ctx field is overwritten with the context's hardware index;
 *	VPRIME_OP_FENCE is the driver's (it ends every job) and gets -EINVAL
 * @bo_handles: in, pointer to @num_bos __u32 GEM handles the commands use;
 *	each is mapped into the context; implicit sync through their
 *	reservation objects (all as writers)
 * @num_cmds, @num_bos: in
 * @ctx_id: in, from CTX_CREATE
 * @engine: in, VPRIME_ENGINE_RENDER or VPRIME_ENGINE_COPY
 * @flags: in, VPRIME_SUBMIT_*
 * @in_syncobj: in, syncobj handle to wait for (0: none)
 * @in_fence_fd: in, sync_file to wait for (VPRIME_SUBMIT_IN_FENCE_FD)
 * @out_syncobj: in, syncobj handle to receive the job's fence (0: none)
 * @out_fence_fd: out, sync_file of the job (VPRIME_SUBMIT_OUT_FENCE_FD)
 * @pad: must be zero
 * @in_point: timeline point of @in_syncobj to wait for (0: binary)
 * @out_point: timeline point of @out_syncobj to signal (0: binary)
 */
struct drm_vprime_submit {
	__u64 cmds;
	__u64 bo_handles;
	__u32 num_cmds;
	__u32 num_bos;
	__u32 ctx_id;
	__u32 engine;
	__u32 flags;
	__u32 in_syncobj;
	__s32 in_fence_fd;
	__u32 out_syncobj;
	__s32 out_fence_fd;
	__u32 pad;
	__u64 in_point;
	__u64 out_point;
};

#define VPRIME_SUBMIT_IN_FENCE_FD	(1u << 0)
#define VPRIME_SUBMIT_OUT_FENCE_FD	(1u << 1)
#define VPRIME_SUBMIT_FLAGS		(VPRIME_SUBMIT_IN_FENCE_FD | \
					 VPRIME_SUBMIT_OUT_FENCE_FD)
#define VPRIME_SUBMIT_MAX_CMDS		256
#define VPRIME_SUBMIT_MAX_BOS		256

#define DRM_IOCTL_VPRIME_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_GET_PARAM, struct drm_vprime_get_param)
#define DRM_IOCTL_VPRIME_GEM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_GEM_CREATE, struct drm_vprime_gem_create)
#define DRM_IOCTL_VPRIME_GEM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_GEM_INFO, struct drm_vprime_gem_info)
#define DRM_IOCTL_VPRIME_CTX_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_CTX_CREATE, struct drm_vprime_ctx_create)
#define DRM_IOCTL_VPRIME_CTX_DESTROY \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VPRIME_CTX_DESTROY, struct drm_vprime_ctx_destroy)
#define DRM_IOCTL_VPRIME_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_SUBMIT, struct drm_vprime_submit)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_VPRIME_DRM_H_ */
