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

#define DRM_IOCTL_VPRIME_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPRIME_GET_PARAM, struct drm_vprime_get_param)

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_VPRIME_DRM_H_ */
