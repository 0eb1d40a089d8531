/* SPDX-License-Identifier: MIT */
/*
 * Userspace interface of the vprime DRM drivers (vprime_gpu, vprime_display).
 *
 * Rules (Documentation/process/botching-up-ioctls.rst): __u32/__u64 only,
 * pointers as __u64, explicit padding; unknown flags, unknown params and
 * non-zero padding are rejected with -EINVAL.  The header needs nothing but
 * drm.h: the command layout is spelled out here, and the driver checks at
 * build time that it is the hardware's (hw/vprime_regs.h, struct vprime_cmd).
 *
 * Versions (DRM_IOCTL_VERSION of either driver):
 *  0.2: the first interface.
 *  0.3: the debug counters left GET_PARAM for debugfs (parameters 0x06,
 *       0x07, 0x08 and 0x0a are gone and never reused: they get -EINVAL);
 *       SUBMIT takes a BO listed more than once; a BO stays mapped in a
 *       file's contexts only while that file holds a handle to it.
 *  0.4: VPRIME_PARAM_LAYOUTS and VPRIME_PARAM_LAYOUT_MODIFIER(): the
 *       layouts (registered DRM format modifiers) each device takes; the
 *       private tiled layout and its vendor 0xf0 modifier are gone.
 */
#ifndef _UAPI_VPRIME_DRM_H_
#define _UAPI_VPRIME_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_VPRIME_GET_PARAM		0x00
/* GPU only (vprime_gpu render nodes) */
#define DRM_VPRIME_GEM_CREATE		0x01
#define DRM_VPRIME_GEM_INFO		0x02
#define DRM_VPRIME_CTX_CREATE		0x03
#define DRM_VPRIME_CTX_DESTROY		0x04
#define DRM_VPRIME_SUBMIT		0x05

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

/* Parameters of DRM_IOCTL_VPRIME_GET_PARAM; both drivers answer 0x01-0x05 */
#define VPRIME_PARAM_KIND		0x01	/* hardware KIND register: VPRIME_KIND_* */
#define VPRIME_PARAM_HW_VERSION		0x02	/* hardware VERSION register */
#define VPRIME_PARAM_CAPS		0x03	/* hardware CAPS register */
#define VPRIME_PARAM_VRAM_SIZE		0x04	/* bytes of VRAM, 0 without */
#define VPRIME_PARAM_NUM_HEADS		0x05	/* display heads, 0 on GPUs */
#define VPRIME_PARAM_VRAM_FREE		0x09	/* GPU: bytes of VRAM not allocated */
#define VPRIME_PARAM_DISPLAY_CAPS	0x0b	/* display: VPRIME_DISP_CAPS register */
#define VPRIME_PARAM_DISPLAY_DMA_BITS	0x0c	/* display: VPRIME_DISP_DMA_BITS register */
/*
 * Both drivers: the layouts the device takes, a bit (1 << VPRIME_LAYOUT_*)
 * each: the GPU's commands (VPRIME_REG_LAYOUTS), the display's planes
 * (VPRIME_PL_LAYOUTS).  LAYOUT_MODIFIER(l): the DRM format modifier of
 * layout l (drm_fourcc.h), for every l below 32 (DRM_FORMAT_MOD_INVALID
 * for a layout the hardware does not define), so userspace never spells
 * the mapping itself.
 */
#define VPRIME_PARAM_LAYOUTS		0x0d
#define VPRIME_PARAM_LAYOUT_MODIFIER(l)	(0x100 + (l))
#define VPRIME_PARAM_LAYOUT_MODIFIER_MAX	0x11f

/**
 * struct drm_vprime_get_param - query a device parameter
 *
 * Values that describe the device, fixed while it is bound (VRAM_FREE
 * excepted).  Counters for debugging are in debugfs, not here.
 */
struct drm_vprime_get_param {
	/** @param: in, one of VPRIME_PARAM_* */
	__u32 param;
	/** @pad: must be zero */
	__u32 pad;
	/** @value: out */
	__u64 value;
};

/* Placement of a buffer object */
#define VPRIME_GEM_SYSTEM		(1u << 0)	/* system memory (default) */
#define VPRIME_GEM_VRAM			(1u << 1)	/* dGPU VRAM, CPU-mapped through the BAR */
#define VPRIME_GEM_FLAGS		(VPRIME_GEM_SYSTEM | VPRIME_GEM_VRAM)

/**
 * struct drm_vprime_gem_create - allocate a buffer object
 */
struct drm_vprime_gem_create {
	/** @size: in, bytes, rounded up to pages; at most 1 GiB */
	__u64 size;
	/**
	 * @flags: in, at most one VPRIME_GEM_* placement; 0 is
	 * VPRIME_GEM_SYSTEM; VPRIME_GEM_VRAM only on a dGPU
	 */
	__u32 flags;
	/** @handle: out, the GEM handle; must be zero on input */
	__u32 handle;
	/** @pad: must be zero */
	__u32 pad;
	/** @pad2: must be zero */
	__u32 pad2;
};

/**
 * struct drm_vprime_gem_info - where a buffer object is
 */
struct drm_vprime_gem_info {
	/** @handle: in, a GEM handle of this file */
	__u32 handle;
	/** @pad: must be zero */
	__u32 pad;
	/** @mmap_offset: out, for mmap() on the DRM fd */
	__u64 mmap_offset;
	/**
	 * @gpu_va: out, the BO's GPU virtual address, the same in every
	 * context of the device: commands address the BO through it, in the
	 * contexts of every file that holds a handle to it
	 */
	__u64 gpu_va;
	/** @size: out, bytes */
	__u64 size;
	/**
	 * @placement: out, VPRIME_GEM_SYSTEM or VPRIME_GEM_VRAM: where the BO
	 * is now (exporting a VRAM BO moves it to system memory)
	 */
	__u32 placement;
	/** @pad2: must be zero */
	__u32 pad2;
};

/**
 * struct drm_vprime_ctx_create - create a GPU context (an address space)
 */
struct drm_vprime_ctx_create {
	/** @ctx_id: out, for SUBMIT and CTX_DESTROY; must be zero on input */
	__u32 ctx_id;
	/** @pad: must be zero */
	__u32 pad;
};

/**
 * struct drm_vprime_ctx_destroy - destroy a GPU context
 *
 * Jobs already submitted in it finish first.
 */
struct drm_vprime_ctx_destroy {
	/** @ctx_id: in, from CTX_CREATE */
	__u32 ctx_id;
	/** @pad: must be zero */
	__u32 pad;
};

/**
 * struct drm_vprime_cmd - one GPU command, 64 bytes, little endian
 *
 * The engines' command format (hw/vprime-spec.rst), field for field the
 * hardware's struct vprime_cmd of hw/vprime_regs.h.  Opcodes, formats and
 * layouts are the VPRIME_OP_*, VPRIME_FMT_* and VPRIME_LAYOUT_* values
 * there.  Addresses are GPU virtual addresses of the submitting context.
 */
struct drm_vprime_cmd {
	/** @opcode: VPRIME_OP_*; VPRIME_OP_FENCE is the driver's (-EINVAL) */
	__u32 opcode;
	/** @ctx: ignored: SUBMIT overwrites it with the context's hardware index */
	__u32 ctx;
	/** @flags: VPRIME_CMDF_*, 0 for the commands userspace may submit */
	__u32 flags;
	/** @reserved: must be zero (the engine halts on anything else) */
	__u32 reserved;
	union {
		/** @rect: VPRIME_OP_FILL and VPRIME_OP_PATTERN */
		struct {
			/** @rect.dst: first byte of the rectangle */
			__u64 dst;
			/** @rect.pitch: bytes per row (tiled: a tile width multiple) */
			__u32 pitch;
			/** @rect.width: pixels */
			__u32 width;
			/** @rect.height: rows */
			__u32 height;
			/** @rect.format: VPRIME_FMT_* */
			__u32 format;
			/** @rect.layout: VPRIME_LAYOUT_* */
			__u32 layout;
			/** @rect.color: FILL: XRGB8888, or ARGB8888 with alpha */
			__u32 color;
			/** @rect.frame: PATTERN: frame number drawn into the picture */
			__u32 frame;
			/** @rect.tag: PATTERN: device tag drawn into the picture */
			__u32 tag;
			/** @rect.pad: must be zero */
			__u32 pad[2];
		} rect;
		/** @blit: VPRIME_OP_BLIT, a 2D copy with format and layout conversion */
		struct {
			/** @blit.src: first byte of the source */
			__u64 src;
			/** @blit.dst: first byte of the destination */
			__u64 dst;
			/** @blit.src_pitch: source bytes per row */
			__u32 src_pitch;
			/** @blit.dst_pitch: destination bytes per row */
			__u32 dst_pitch;
			/** @blit.width: pixels */
			__u32 width;
			/** @blit.height: rows */
			__u32 height;
			/** @blit.src_format: VPRIME_FMT_* */
			__u32 src_format;
			/** @blit.dst_format: VPRIME_FMT_* */
			__u32 dst_format;
			/** @blit.src_layout: VPRIME_LAYOUT_* */
			__u16 src_layout;
			/** @blit.dst_layout: VPRIME_LAYOUT_* */
			__u16 dst_layout;
			/** @blit.pad: must be zero */
			__u32 pad;
		} blit;
		/** @copy: VPRIME_OP_COPY, a linear copy */
		struct {
			/** @copy.src: first source byte */
			__u64 src;
			/** @copy.dst: first destination byte */
			__u64 dst;
			/** @copy.size: bytes */
			__u64 size;
			/** @copy.pad: must be zero */
			__u64 pad[3];
		} copy;
		/** @fence: VPRIME_OP_FENCE, emitted by the driver only */
		struct {
			/** @fence.value: written to the engine's fence writeback */
			__u64 value;
			/** @fence.pad: must be zero */
			__u64 pad[5];
		} fence;
		/** @wait: VPRIME_OP_WAIT, a wait on memory */
		struct {
			/** @wait.addr: a 64-bit value, 8-byte aligned */
			__u64 addr;
			/** @wait.value: the engine waits until *addr >= value */
			__u64 value;
			/** @wait.pad: must be zero */
			__u64 pad[4];
		} wait;
	};
};

#define VPRIME_SUBMIT_IN_FENCE_FD	(1u << 0)
#define VPRIME_SUBMIT_OUT_FENCE_FD	(1u << 1)
#define VPRIME_SUBMIT_FLAGS		(VPRIME_SUBMIT_IN_FENCE_FD | \
					 VPRIME_SUBMIT_OUT_FENCE_FD)
#define VPRIME_SUBMIT_MAX_CMDS		256
#define VPRIME_SUBMIT_MAX_BOS		256

/**
 * struct drm_vprime_submit - run commands on an engine
 *
 * One job: the commands run in order on the engine, in the context's
 * address space, after every in-fence and after the writers of every
 * listed BO (implicit sync); the job's fence then becomes each listed
 * BO's writer.  A page fault fails the job with -EFAULT and bans the
 * context; a banned context takes no more jobs (-EIO).
 */
struct drm_vprime_submit {
	/** @cmds: in, pointer to @num_cmds struct drm_vprime_cmd */
	__u64 cmds;
	/**
	 * @bo_handles: in, pointer to @num_bos __u32 GEM handles the commands
	 * use; a handle may be listed more than once.  Each BO is mapped into
	 * the context, where it stays until the file closes its handle.
	 */
	__u64 bo_handles;
	/** @num_cmds: in, 1 to VPRIME_SUBMIT_MAX_CMDS */
	__u32 num_cmds;
	/** @num_bos: in, 0 to VPRIME_SUBMIT_MAX_BOS */
	__u32 num_bos;
	/** @ctx_id: in, from CTX_CREATE */
	__u32 ctx_id;
	/** @engine: in, VPRIME_ENGINE_RENDER or VPRIME_ENGINE_COPY */
	__u32 engine;
	/** @flags: in, VPRIME_SUBMIT_* */
	__u32 flags;
	/** @in_syncobj: in, syncobj handle to wait for (0: none) */
	__u32 in_syncobj;
	/** @in_fence_fd: in, sync_file to wait for, with VPRIME_SUBMIT_IN_FENCE_FD (else 0) */
	__s32 in_fence_fd;
	/** @out_syncobj: in, syncobj handle to receive the job's fence (0: none) */
	__u32 out_syncobj;
	/** @out_fence_fd: out, sync_file of the job, with VPRIME_SUBMIT_OUT_FENCE_FD */
	__s32 out_fence_fd;
	/** @pad: must be zero */
	__u32 pad;
	/**
	 * @in_point: in, timeline point of @in_syncobj to wait for (0: a
	 * binary syncobj); at most 0xffffffff
	 */
	__u64 in_point;
	/** @out_point: in, timeline point of @out_syncobj to signal (0: binary) */
	__u64 out_point;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_VPRIME_DRM_H_ */
