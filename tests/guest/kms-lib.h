/* SPDX-License-Identifier: GPL-2.0-only */
/* KMS helpers for the display tests: see kms-lib.c. */
#ifndef VPRIME_KMS_LIB_H
#define VPRIME_KMS_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <drm_fourcc.h>

#include "guest-test.h"
#include "host-msg.h"

struct fb {
	uint32_t handle, fb_id;
	uint32_t width, height, pitch, format;
	uint64_t modifier;
	uint64_t size;
	uint8_t *map;		/* CPU view (dumb buffers; foreign: the exporter's) */
	bool imported;
	/*
	 * YUV (fb_new_yuv): framebuffer plane i in its own dumb buffer,
	 * plane 0 also in handle/map/pitch/size above
	 */
	uint32_t nplanes;
	uint32_t handles[4], pitches[4], offsets[4];	/* as ADDFB2 takes them */
	uint8_t *maps[3];
	uint64_t sizes[3];
};

struct head {
	int index;
	uint32_t crtc, conn;
	uint32_t plane[VPRIME_DISP_PLANES];	/* by VPRIME_PLANE_* */
	bool connected, on;
	drmModeModeInfo mode;			/* preferred */
	int crc_fd;
};

struct kms {
	int fd, minor, nheads;
	struct head heads[VPRIME_HEADS_MAX];
};

/*
 * One plane of a CPU composition: the w x h source at (src_x, src_y),
 * reflected and rotated by @rotation (DRM_MODE_ROTATE_* | REFLECT_*; 0:
 * none) as the display spec says, shown dst_w x dst_h (0: the rotated
 * size) at (dst_x, dst_y), scaled by the spec's nearest neighbour rule;
 * with @blend, blended with plane @alpha in VPRIME_BLEND_* @blend_mode
 * by the spec's formulas (else opaque pre-multiplied)
 */
struct plane_img {
	const struct fb *fb;
	uint32_t src_x, src_y, w, h;
	int32_t dst_x, dst_y;
	uint32_t dst_w, dst_h;
	uint32_t rotation;
	bool blend;
	uint16_t alpha, blend_mode;
	uint32_t yuv;		/* a YUV fb's VPRIME_PL_YUV_* (COLOR_ENCODING, _RANGE) */
};

void kms_crc_bpc(unsigned int bpc);
unsigned int kms_crc_link(struct kms *k, struct head *hd);
long long kms_state_value(struct kms *k, int h, const char *key);
void host_screendump_vs(struct head *hd, uint32_t w, uint32_t h, uint32_t crc,
			const char *name, const char *what);
uint32_t frame_crc(const uint32_t *xrgb, uint32_t w, uint32_t h);
uint32_t fmt_cpp(uint32_t fourcc);
/*
 * The NVIDIA block-linear modifier the dGPU and the display take: 16Bx2
 * GOBs, desktop sector layout, blocks of 8 GOBs (hw/vprime-spec.rst)
 */
#define MOD_NV_BLOCK	DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 1, 0, 0xfe, 3)

uint32_t mod_tile_w(uint64_t mod);
uint32_t mod_tile_h(uint64_t mod);
size_t px_offset(uint64_t mod, uint32_t pitch, uint32_t cpp, uint32_t x, uint32_t y);
uint32_t px_to_argb(uint32_t fourcc, uint32_t v);
uint32_t blend_over(uint32_t dst, uint32_t src);
void fb_fill_noise(struct fb *f, uint32_t seed);
void fb_fill_pattern(struct fb *f, uint32_t frame, uint32_t tag);
uint32_t fb_pixel_argb(const struct fb *f, uint32_t x, uint32_t y);
uint32_t compose_two_px(const struct fb *prim, const struct fb *ovl,
			uint32_t ox, uint32_t oy, uint32_t x, uint32_t y);
uint32_t compose_crc(uint32_t w, uint32_t h, const struct plane_img *planes, int n);
uint32_t fb_crc(const struct fb *f);
uint32_t fb_pattern_crc(const struct fb *like, uint32_t frame, uint32_t tag);

uint64_t prop_value(int fd, uint32_t obj, uint32_t type, const char *name);
void add_prop(drmModeAtomicReq *req, int fd, uint32_t obj, uint32_t type,
	      const char *name, uint64_t value);
int kms_open(struct ctx *c, struct kms *k);
/* Open the display's card in a test function; return its verdict if not */
#define KMS_OPEN(c, k) do {						\
		int __r = kms_open(c, k);				\
		if (__r)						\
			return __r;					\
	} while (0)
struct head *kms_first_connected(struct kms *k);
int kms_feature_heads(struct kms *k, struct head **out);
int kms_adopt(struct kms *k);
int prime_export(int fd, uint32_t handle);
int read_event(int fd, int ms, struct drm_event_vblank *ev);
double mono_s(void);
void kms_close(struct kms *k);
void kms_disable_all(struct kms *k);
int fb_new(struct kms *k, struct fb *f, uint32_t w, uint32_t h, uint32_t format,
	   uint64_t modifier);
int fb_import(struct kms *k, struct fb *f, int dmabuf, uint32_t w, uint32_t h,
	      uint32_t pitch, uint32_t format, uint64_t modifier);
void fb_free(struct kms *k, struct fb *f);
int fb_new_yuv(struct kms *k, struct fb *f, uint32_t w, uint32_t h, uint32_t format);
void fb_fill_yuv_noise(struct fb *f, uint32_t seed);
uint32_t yuv_to_argb(uint8_t y, uint8_t u, uint8_t v, uint32_t yuv);
uint32_t fb_pixel_yuv(const struct fb *f, uint32_t x, uint32_t y, uint32_t yuv);
void plane_props(drmModeAtomicReq *req, struct kms *k, uint32_t plane, uint32_t crtc,
		 const struct fb *f, int32_t x, int32_t y, uint32_t sx, uint32_t sy,
		 uint32_t w, uint32_t h);
void plane_props_scaled(drmModeAtomicReq *req, struct kms *k, uint32_t plane,
			uint32_t crtc, const struct fb *f, int32_t x, int32_t y,
			uint32_t sx, uint32_t sy, uint32_t w, uint32_t h,
			uint32_t dw, uint32_t dh);
int head_enable(struct kms *k, struct head *hd, const struct fb *f, uint32_t flags);
uint64_t mode_period_ns(const drmModeModeInfo *m);
uint32_t wait_vblanks(struct kms *k, struct head *hd, uint32_t n, double *ts);
int crc_start(struct kms *k, struct head *hd);
void crc_stop(struct head *hd);
int crc_read(struct head *hd, uint32_t *frames, uint32_t *crcs, int max);
int crc_current(struct kms *k, struct head *hd, uint32_t *crc);
int flip_to(struct kms *k, struct head *hd, const struct fb *f, uint32_t flags);
void expect_crc(struct kms *k, struct head *hd, uint32_t want,
		const char *what);
int wait_hotplug_uevent(int nl, int ms);
int connector_state(struct kms *k, struct head *hd, int *modes);
int drm_card_by_driver(const char *driver);
int vgem_buffer(int vfd, uint32_t w, uint32_t h, uint32_t bpp, uint32_t *pitch,
		void **map, size_t *size);
int udmabuf_buffer(size_t size, bool huge, void **map);
long long head_underruns(struct kms *k, int h);

/* The display driver's record of a head's latest flip event (debugfs) */
struct flip_record {
	uint32_t seq;		/* the event's vblank sequence */
	uint32_t event_frame;	/* the device FRAME it stands for */
	uint32_t update_frame;	/* FRAME just before the flip's UPDATE */
	uint32_t latch_frame;	/* FRAME of the latch that took it */
	bool turned_on;		/* the commit turned the head on */
	bool count_passed;	/* DRM's count was past the latch at the interrupt */
	bool async;		/* an async flip, latched in its UPDATE write */
	uint32_t after_frame;	/* async: FRAME just after that write */
	bool ts_grid;		/* timestamp taken back from a later vblank by periods */
};

int head_last_flip(struct kms *k, int h, struct flip_record *r);

#endif
