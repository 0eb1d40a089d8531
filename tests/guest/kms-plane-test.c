// SPDX-License-Identifier: GPL-2.0-only
/*
 * Plane features of the display engine (issue 16), each checked by the
 * device's CRC of the composed frame against the test's own CPU
 * composition by the rules hw/vprime-spec.rst states, on the first
 * connected head and, with several heads, on the last one too.
 * Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * The value of enum property @prop's entry @name on a KMS object, or -1
 * if it has no such property or entry
 */
static int64_t enum_value(struct kms *k, uint32_t obj, uint32_t type,
			  const char *prop, const char *name)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(k->fd, obj, type);
	int64_t v = -1;
	uint32_t i;
	int e;

	for (i = 0; props && i < props->count_props && v < 0; i++) {
		drmModePropertyRes *p = drmModeGetProperty(k->fd, props->props[i]);

		if (p && !strcmp(p->name, prop))
			for (e = 0; e < p->count_enums; e++)
				if (!strcmp(p->enums[e].name, name))
					v = p->enums[e].value;
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return v;
}

/*
 * A plane feature whose test has the same frame on every head: its
 * property offers @on_overlay on the overlay and @on_primary on the
 * primary, and the cursor has no @on_cursor; @run composes with a
 * full-screen primary and an @ovl_w x @ovl_h ARGB overlay, both filled
 * with noise from @seed (and the head's index).
 */
struct feature {
	const char *prop, *on_overlay, *on_primary, *on_cursor;
	uint32_t ovl_w, ovl_h, seed;
	void (*run)(struct kms *k, struct head *hd, const struct fb *prim,
		    const struct fb *ovl);
};

static int feature_test(struct ctx *c, const struct feature *f)
{
	struct head *heads[2];
	struct fb prim, ovl;
	struct kms k;
	int i, n;

	KMS_OPEN(c, &k);
	n = kms_feature_heads(&k, heads);
	if (!n)
		return EXIT_FAIL;
	for (i = 0; i < n && !failures; i++) {
		struct head *hd = heads[i];

		CHECK(enum_value(&k, hd->plane[VPRIME_PLANE_OVERLAY], DRM_MODE_OBJECT_PLANE,
				 f->prop, f->on_overlay) >= 0 &&
		      enum_value(&k, hd->plane[VPRIME_PLANE_PRIMARY], DRM_MODE_OBJECT_PLANE,
				 f->prop, f->on_primary) >= 0 &&
		      enum_value(&k, hd->plane[VPRIME_PLANE_CURSOR], DRM_MODE_OBJECT_PLANE,
				 f->prop, f->on_cursor) < 0,
		      "head %d: %s on primary and overlay only", hd->index, f->prop);
		CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
		CHECK(!fb_new(&k, &ovl, f->ovl_w, f->ovl_h, DRM_FORMAT_ARGB8888,
			      DRM_FORMAT_MOD_LINEAR), "overlay fb");
		if (failures)
			break;
		fb_fill_noise(&prim, f->seed + hd->index);
		fb_fill_noise(&ovl, f->seed + 1 + hd->index);
		f->run(&k, hd, &prim, &ovl);
		fb_free(&k, &prim);
		fb_free(&k, &ovl);
	}
	kms_close(&k);
	return 0;
}

/* Commit one plane (scaled: crtc dst_w x dst_h from the source's w x h) */
static int plane_scaled(struct kms *k, struct head *hd, int plane,
			const struct plane_img *p, const char *filter,
			uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t id = hd->plane[plane];
	int ret;

	plane_props_scaled(req, k, id, hd->crtc, p->fb, p->dst_x, p->dst_y, p->src_x,
			   p->src_y, p->w, p->h, p->dst_w ? p->dst_w : p->w,
			   p->dst_h ? p->dst_h : p->h);
	if (filter)
		add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
			 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
				    filter));
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

/* The plane's SCALING_FILTER property offers @name */
static bool has_filter(struct kms *k, uint32_t plane, const char *name)
{
	return enum_value(k, plane, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
			  name) >= 0;
}

/* Rows all alike: pixel (x, y) is pixel (x, 0) */
static void fb_fill_columns(struct fb *f, uint32_t seed)
{
	uint32_t y;

	fb_fill_noise(f, seed);
	for (y = 1; y < f->height; y++)
		memcpy(f->map + (size_t)y * f->pitch, f->map, f->pitch);
}

struct scale_fbs {
	struct fb prim, small, ovl, cols;
};

/*
 * One head: scaled overlays on an unscaled primary, a scaled primary,
 * bilinear where it is exact, limits refused with -ERANGE
 */
static void scale_head(struct kms *k, struct head *hd, struct scale_fbs *f)
{
	uint32_t mw = hd->mode.hdisplay, mh = hd->mode.vdisplay;
	struct plane_img img[2];
	const char *nn = "Nearest Neighbor";
	int ret;

	CHECK(!head_enable(k, hd, &f->prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	img[0] = (struct plane_img){ .fb = &f->prim, .w = mw, .h = mh };

	/* 100x80 up to 250x170 (2.5x, 2.125x) */
	img[1] = (struct plane_img){ .fb = &f->ovl, .w = 100, .h = 80,
				     .dst_x = 30, .dst_y = 40, .dst_w = 250, .dst_h = 170 };
	ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], nn, 0);
	CHECK(!ret, "head %d: overlay scaled up: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 2), "overlay 100x80 -> 250x170");

	/* a 90x70 window of it down to 37x29 (about 1/2.4) */
	img[1] = (struct plane_img){ .fb = &f->ovl, .src_x = 7, .src_y = 5, .w = 90,
				     .h = 70, .dst_x = mw - 40, .dst_y = mh - 31,
				     .dst_w = 37, .dst_h = 29 };
	ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], nn, 0);
	CHECK(!ret, "head %d: overlay scaled down: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 2), "overlay 90x70 -> 37x29");

	/*
	 * Default (bilinear) where it is exact whatever its weights: rows all
	 * alike scaled vertically only, on top of the primary scaled up
	 */
	img[0] = (struct plane_img){ .fb = &f->small, .w = f->small.width,
				     .h = f->small.height, .dst_w = mw, .dst_h = mh };
	ret = plane_scaled(k, hd, VPRIME_PLANE_PRIMARY, &img[0], nn, 0);
	CHECK(!ret, "head %d: primary scaled up: %s", hd->index, strerror(-ret));
	img[1] = (struct plane_img){ .fb = &f->cols, .w = f->cols.width,
				     .h = f->cols.height, .dst_x = 20, .dst_y = 10,
				     .dst_w = f->cols.width, .dst_h = 3 * f->cols.height + 1 };
	if (!ret)
		ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], "Default", 0);
	CHECK(!ret, "head %d: Default filter overlay: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 2),
			   "primary scaled up, bilinear overlay");

	/* beyond 8x up, beyond 4x down: the helper's -ERANGE */
	img[1] = (struct plane_img){ .fb = &f->ovl, .w = 16, .h = 16,
				     .dst_w = 8 * 16 + 1, .dst_h = 16 };
	ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], nn,
			   DRM_MODE_ATOMIC_TEST_ONLY);
	CHECK(ret == -ERANGE, "head %d: 16 -> 129 wide gave %d, want -ERANGE",
	      hd->index, ret);
	img[1] = (struct plane_img){ .fb = &f->ovl, .w = 100, .h = 80,
				     .dst_w = 100, .dst_h = 80 / 4 - 1 };
	ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], nn,
			   DRM_MODE_ATOMIC_TEST_ONLY);
	CHECK(ret == -ERANGE, "head %d: 80 -> 19 high gave %d, want -ERANGE",
	      hd->index, ret);
	img[1].dst_h = 80 / 4;
	ret = plane_scaled(k, hd, VPRIME_PLANE_OVERLAY, &img[1], nn,
			   DRM_MODE_ATOMIC_TEST_ONLY);
	CHECK(!ret, "head %d: 80 -> 20 high (the limit) refused: %d", hd->index, ret);
	crc_stop(hd);
	kms_disable_all(k);
}

/*
 * Plane scaling (issue 16): SCALING_FILTER offers Default and Nearest
 * Neighbor on primary and overlay, none on the cursor; Nearest compared
 * exactly, Default where bilinear is exact; limits give -ERANGE.
 */
int test_kms_scale_crc(struct ctx *c)
{
	struct head *heads[2];
	struct scale_fbs f;
	struct kms k;
	int i, n;

	KMS_OPEN(c, &k);
	n = kms_feature_heads(&k, heads);
	if (!n)
		return EXIT_FAIL;
	for (i = 0; i < n; i++) {
		struct head *hd = heads[i];

		CHECK(has_filter(&k, hd->plane[VPRIME_PLANE_PRIMARY], "Nearest Neighbor") &&
		      has_filter(&k, hd->plane[VPRIME_PLANE_OVERLAY], "Default") &&
		      !has_filter(&k, hd->plane[VPRIME_PLANE_CURSOR], "Default"),
		      "head %d: SCALING_FILTER on primary and overlay only", hd->index);
		CHECK(!fb_new(&k, &f.prim, hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
		CHECK(!fb_new(&k, &f.small, hd->mode.hdisplay / 3, hd->mode.vdisplay / 3,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "small fb");
		CHECK(!fb_new(&k, &f.ovl, 100, 80, DRM_FORMAT_ARGB8888,
			      DRM_FORMAT_MOD_LINEAR), "overlay fb");
		CHECK(!fb_new(&k, &f.cols, 120, 16, DRM_FORMAT_ARGB8888,
			      DRM_FORMAT_MOD_LINEAR), "columns fb");
		if (failures)
			break;
		fb_fill_noise(&f.prim, 31 + hd->index);
		fb_fill_noise(&f.small, 32 + hd->index);
		fb_fill_noise(&f.ovl, 33 + hd->index);
		fb_fill_columns(&f.cols, 34 + hd->index);
		scale_head(&k, hd, &f);
		fb_free(&k, &f.prim);
		fb_free(&k, &f.small);
		fb_free(&k, &f.ovl);
		fb_free(&k, &f.cols);
	}
	kms_close(&k);
	return 0;
}

/* Commit the rotation of a plane with it (DRM_MODE_ROTATE_0 for 0) */
static int plane_rotated(struct kms *k, struct head *hd, int plane,
			 const struct plane_img *p, uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t id = hd->plane[plane];
	bool quarter = p->rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
	int ret;

	plane_props_scaled(req, k, id, hd->crtc, p->fb, p->dst_x, p->dst_y, p->src_x,
			   p->src_y, p->w, p->h,
			   p->dst_w ? p->dst_w : quarter ? p->h : p->w,
			   p->dst_h ? p->dst_h : quarter ? p->w : p->h);
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "rotation",
		 p->rotation ? p->rotation : DRM_MODE_ROTATE_0);
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
		 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
			    "Nearest Neighbor"));
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

/* Rotations and reflections of the overlay, one scaled, and of the primary */
static void rotate_head(struct kms *k, struct head *hd, const struct fb *prim,
			const struct fb *ovl)
{
	static const uint32_t rots[] = {
		DRM_MODE_ROTATE_90, DRM_MODE_ROTATE_180, DRM_MODE_ROTATE_270,
		DRM_MODE_ROTATE_0 | DRM_MODE_REFLECT_X,
		DRM_MODE_ROTATE_0 | DRM_MODE_REFLECT_Y,
		DRM_MODE_ROTATE_90 | DRM_MODE_REFLECT_X,
		DRM_MODE_ROTATE_270 | DRM_MODE_REFLECT_X | DRM_MODE_REFLECT_Y,
	};
	uint32_t mw = hd->mode.hdisplay, mh = hd->mode.vdisplay;
	struct plane_img img[2];
	char what[64];
	size_t i;
	int ret;

	CHECK(!head_enable(k, hd, prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	img[0] = (struct plane_img){ .fb = prim, .w = mw, .h = mh };
	for (i = 0; i <= ARRAY_SIZE(rots) && !failures; i++) {
		img[1] = (struct plane_img){ .fb = ovl, .src_x = 4, .src_y = 3,
					     .w = 90, .h = 50, .dst_x = 40, .dst_y = 30 };
		if (i < ARRAY_SIZE(rots)) {
			img[1].rotation = rots[i];
		} else {
			/* turned and scaled: 50x90 shown 130x70 */
			img[1].rotation = DRM_MODE_ROTATE_90 | DRM_MODE_REFLECT_Y;
			img[1].dst_w = 130;
			img[1].dst_h = 70;
		}
		ret = plane_rotated(k, hd, VPRIME_PLANE_OVERLAY, &img[1], 0);
		snprintf(what, sizeof(what), "overlay rotation 0x%x%s",
			 img[1].rotation, img[1].dst_w ? ", scaled" : "");
		CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
		if (!ret)
			expect_crc(k, hd, compose_crc(mw, mh, img, 2), what);
	}

	/* the primary upside down under the last overlay */
	img[0].rotation = DRM_MODE_ROTATE_180;
	ret = plane_rotated(k, hd, VPRIME_PLANE_PRIMARY, &img[0], 0);
	CHECK(!ret, "head %d: primary rotate-180: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 2), "primary rotate-180");

	/* back to upright for the tests after this one */
	img[0].rotation = 0;
	img[1].rotation = 0;
	img[1].dst_w = 0;
	img[1].dst_h = 0;
	CHECK(!plane_rotated(k, hd, VPRIME_PLANE_PRIMARY, &img[0], 0) &&
	      !plane_rotated(k, hd, VPRIME_PLANE_OVERLAY, &img[1], 0),
	      "head %d: planes back to rotate-0", hd->index);
	crc_stop(hd);
	kms_disable_all(k);
}

/*
 * Rotation and reflection (issue 16): the rotation property on primary
 * and overlay offers every quarter turn and both reflections, the cursor
 * none; each compared exactly by device CRC.
 */
int test_kms_rotate_crc(struct ctx *c)
{
	static const struct feature rotation = {
		.prop = "rotation", .on_overlay = "rotate-270", .on_primary = "reflect-y",
		.on_cursor = "rotate-0", .ovl_w = 100, .ovl_h = 60, .seed = 41,
		.run = rotate_head,
	};

	return feature_test(c, &rotation);
}

/* Turn plane @plane of the head off */
static void plane_props_off(struct kms *k, struct head *hd, int plane)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();

	plane_props(req, k, hd->plane[plane], hd->crtc, NULL, 0, 0, 0, 0, 0, 0);
	CHECK(!drmModeAtomicCommit(k->fd, req, 0, NULL), "head %d: plane %d off: %s",
	      hd->index, plane, strerror(errno));
	drmModeAtomicFree(req);
}

/* Commit a plane with its plane alpha and pixel blend mode */
static int plane_blended(struct kms *k, struct head *hd, int plane,
			 const struct plane_img *p, const char *mode)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t id = hd->plane[plane];
	int ret;

	plane_props(req, k, id, hd->crtc, p->fb, p->dst_x, p->dst_y, p->src_x,
		    p->src_y, p->w, p->h);
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "alpha", p->alpha);
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "pixel blend mode",
		 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "pixel blend mode", mode));
	ret = drmModeAtomicCommit(k->fd, req, 0, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

/* Each blend mode at a few plane alphas on the overlay; the primary's alpha */
static void alpha_head(struct kms *k, struct head *hd, const struct fb *prim,
		       const struct fb *ovl)
{
	static const struct {
		const char *name;
		uint16_t mode;
	} modes[] = {
		{ "Pre-multiplied", VPRIME_BLEND_PREMULTI },
		{ "Coverage", VPRIME_BLEND_COVERAGE },
		{ "None", VPRIME_BLEND_NONE },
	};
	static const uint16_t alphas[] = { 0xffff, 0x9a00, 0x2f80 };
	uint32_t mw = hd->mode.hdisplay, mh = hd->mode.vdisplay;
	struct plane_img img[2];
	char what[64];
	size_t m, a;
	int ret;

	CHECK(!head_enable(k, hd, prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	img[0] = (struct plane_img){ .fb = prim, .w = mw, .h = mh };
	for (m = 0; m < ARRAY_SIZE(modes) && !failures; m++) {
		for (a = 0; a < ARRAY_SIZE(alphas) && !failures; a++) {
			/* alpha 0xffff pre-multiplied is the default: skip it */
			if (!m && !a)
				continue;
			img[1] = (struct plane_img){ .fb = ovl, .src_x = 5, .src_y = 2,
						     .w = 110, .h = 80, .dst_x = 60,
						     .dst_y = 50, .blend = true,
						     .alpha = alphas[a],
						     .blend_mode = modes[m].mode };
			ret = plane_blended(k, hd, VPRIME_PLANE_OVERLAY, &img[1],
					    modes[m].name);
			snprintf(what, sizeof(what), "overlay %s alpha 0x%04x",
				 modes[m].name, alphas[a]);
			CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
			if (!ret)
				expect_crc(k, hd, compose_crc(mw, mh, img, 2), what);
		}
	}

	/* the primary alone, translucent over black: composed, not shown in place */
	img[0] = (struct plane_img){ .fb = prim, .w = mw, .h = mh, .blend = true,
				     .alpha = 0x6000,
				     .blend_mode = VPRIME_BLEND_NONE };
	plane_props_off(k, hd, VPRIME_PLANE_OVERLAY);
	ret = plane_blended(k, hd, VPRIME_PLANE_PRIMARY, &img[0], "None");
	CHECK(!ret, "head %d: primary alpha: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 1), "primary None alpha 0x6000");

	/* back to opaque pre-multiplied for the tests after this one */
	img[0].alpha = 0xffff;
	img[1].alpha = 0xffff;
	CHECK(!plane_blended(k, hd, VPRIME_PLANE_PRIMARY, &img[0], "Pre-multiplied") &&
	      !plane_blended(k, hd, VPRIME_PLANE_OVERLAY, &img[1], "Pre-multiplied"),
	      "head %d: planes back to opaque", hd->index);
	crc_stop(hd);
	kms_disable_all(k);
}

/*
 * Plane alpha and pixel blend mode (issue 16): "alpha" and "pixel blend
 * mode" (None, Pre-multiplied, Coverage) on primary and overlay, none on
 * the cursor; each compared exactly by device CRC.
 */
int test_kms_alpha_crc(struct ctx *c)
{
	static const struct feature blend = {
		.prop = "pixel blend mode", .on_overlay = "Coverage", .on_primary = "None",
		.on_cursor = "Pre-multiplied", .ovl_w = 120, .ovl_h = 90, .seed = 51,
		.run = alpha_head,
	};

	return feature_test(c, &blend);
}

/* The range of plane @plane's zpos property; false if it has no mutable one */
static bool zpos_range(struct kms *k, uint32_t plane, uint64_t *lo, uint64_t *hi)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(k->fd, plane,
								    DRM_MODE_OBJECT_PLANE);
	bool found = false;
	uint32_t i;

	for (i = 0; props && i < props->count_props && !found; i++) {
		drmModePropertyRes *p = drmModeGetProperty(k->fd, props->props[i]);

		if (p && !strcmp(p->name, "zpos") && drm_property_type_is(p, DRM_MODE_PROP_RANGE) &&
		    !(p->flags & DRM_MODE_PROP_IMMUTABLE) && p->count_values == 2) {
			*lo = p->values[0];
			*hi = p->values[1];
			found = true;
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return found;
}

struct overlay_fbs {
	struct fb fb[VPRIME_DISP_PLANES];
};

/*
 * One head: primary (translucent ARGB, full screen), both overlays and a
 * cursor overlapping, in stacking orders the default is not, each one
 * atomic commit of all four planes with their zpos
 */
static void overlays_head(struct kms *k, struct head *hd, struct overlay_fbs *f)
{
	/* zpos of primary, overlay, cursor, second overlay (VPRIME_PLANE_*) */
	static const uint8_t orders[][VPRIME_DISP_PLANES] = {
		{ 0, 1, 3, 2 },		/* the default */
		{ 0, 2, 3, 1 },		/* the overlays swapped */
		{ 0, 3, 1, 2 },		/* the cursor under both overlays */
		{ 3, 0, 2, 1 },		/* everything under the translucent primary */
		{ 1, 3, 0, 2 },		/* the cursor at the bottom */
	};
	static const int32_t pos[VPRIME_DISP_PLANES][2] = {
		{ 0, 0 }, { 40, 30 }, { 120, 90 }, { 90, 60 },
	};
	uint32_t mw = hd->mode.hdisplay, mh = hd->mode.vdisplay;
	uint32_t want[ARRAY_SIZE(orders)];
	char what[80];
	size_t i, j;
	unsigned int p, z;
	int ret;

	for (p = 0; p < VPRIME_DISP_PLANES; p++) {
		uint64_t lo = 1, hi = 0;

		CHECK(hd->plane[p] && zpos_range(k, hd->plane[p], &lo, &hi) &&
		      lo == 0 && hi == VPRIME_DISP_PLANES - 1,
		      "head %d: plane %u: zpos range %" PRIu64 "..%" PRIu64 ", want 0..%d",
		      hd->index, p, lo, hi, VPRIME_DISP_PLANES - 1);
	}
	CHECK(!head_enable(k, hd, &f->fb[VPRIME_PLANE_PRIMARY], 0), "head %d: mode set: %s",
	      hd->index, strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	for (i = 0; i < ARRAY_SIZE(orders) && !failures; i++) {
		drmModeAtomicReq *req = drmModeAtomicAlloc();
		struct plane_img img[VPRIME_DISP_PLANES];
		int n = 0;

		for (p = 0; p < VPRIME_DISP_PLANES; p++) {
			const struct fb *fb = &f->fb[p];

			plane_props(req, k, hd->plane[p], hd->crtc, fb, pos[p][0], pos[p][1],
				    0, 0, fb->width, fb->height);
			add_prop(req, k->fd, hd->plane[p], DRM_MODE_OBJECT_PLANE, "zpos",
				 orders[i][p]);
		}
		ret = drmModeAtomicCommit(k->fd, req, 0, NULL) ? -errno : 0;
		drmModeAtomicFree(req);
		/* the CPU composes bottom to top by zpos */
		for (z = 0; z < VPRIME_DISP_PLANES; z++)
			for (p = 0; p < VPRIME_DISP_PLANES; p++)
				if (orders[i][p] == z)
					img[n++] = (struct plane_img){
						.fb = &f->fb[p], .w = f->fb[p].width,
						.h = f->fb[p].height, .dst_x = pos[p][0],
						.dst_y = pos[p][1] };
		want[i] = compose_crc(mw, mh, img, n);
		snprintf(what, sizeof(what), "zpos primary %u overlay %u cursor %u overlay-2 %u",
			 orders[i][0], orders[i][1], orders[i][2], orders[i][3]);
		CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
		if (!ret)
			expect_crc(k, hd, want[i], what);
		for (j = 0; j < i; j++)
			CHECK(want[j] != want[i], "orders %zu and %zu compose the same picture",
			      j, i);
	}
	crc_stop(hd);
	kms_disable_all(k);
	/* back to the default stacking for the tests after this one */
	{
		drmModeAtomicReq *req = drmModeAtomicAlloc();

		for (p = 0; p < VPRIME_DISP_PLANES; p++)
			add_prop(req, k->fd, hd->plane[p], DRM_MODE_OBJECT_PLANE, "zpos",
				 orders[0][p]);
		CHECK(!drmModeAtomicCommit(k->fd, req, 0, NULL), "head %d: default zpos: %s",
		      hd->index, strerror(errno));
		drmModeAtomicFree(req);
	}
}

/*
 * Two overlays per head and zpos mutable on all four planes (issue 16):
 * every plane's zpos ranges 0..3, and the four planes (the cursor at its
 * largest, 256x256) overlapping in five stacking orders each compare
 * exactly by device CRC with the CPU's composition in that order.
 */
int test_kms_overlays_crc(struct ctx *c)
{
	static const uint32_t size[VPRIME_DISP_PLANES][2] = {
		{ 0, 0 }, { 160, 120 },
		/* the largest cursor, 256x256 (SIZE_HINTS' last) */
		{ VPRIME_DISP_CURSOR_MAX, VPRIME_DISP_CURSOR_MAX }, { 140, 100 },
	};
	struct head *heads[2];
	struct overlay_fbs f;
	struct kms k;
	unsigned int p;
	int i, n;

	KMS_OPEN(c, &k);
	n = kms_feature_heads(&k, heads);
	if (!n)
		return EXIT_FAIL;
	for (i = 0; i < n && !failures; i++) {
		struct head *hd = heads[i];

		memset(&f, 0, sizeof(f));
		for (p = 0; p < VPRIME_DISP_PLANES; p++) {
			uint32_t w = p ? size[p][0] : hd->mode.hdisplay;
			uint32_t h = p ? size[p][1] : hd->mode.vdisplay;

			CHECK(!fb_new(&k, &f.fb[p], w, h, p == VPRIME_PLANE_OVERLAY ?
				      DRM_FORMAT_XRGB8888 : DRM_FORMAT_ARGB8888,
				      DRM_FORMAT_MOD_LINEAR), "head %d: plane %u fb", hd->index, p);
			if (!failures)
				fb_fill_noise(&f.fb[p], 61 + 4 * hd->index + p);
		}
		if (!failures)
			overlays_head(&k, hd, &f);
		for (p = 0; p < VPRIME_DISP_PLANES; p++)
			if (f.fb[p].fb_id)
				fb_free(&k, &f.fb[p]);
	}
	kms_close(&k);
	return 0;
}

/* Does the plane list @fourcc among its formats? */
static bool plane_has_format(struct kms *k, uint32_t plane, uint32_t fourcc)
{
	drmModePlane *p = drmModeGetPlane(k->fd, plane);
	bool found = false;
	uint32_t i;

	for (i = 0; p && i < p->count_formats; i++)
		found |= p->formats[i] == fourcc;
	drmModeFreePlane(p);
	return found;
}

/* COLOR_ENCODING and COLOR_RANGE names of VPRIME_PL_YUV_* bits */
static const char *yuv_encoding(uint32_t yuv)
{
	return yuv & VPRIME_PL_YUV_BT709 ? "ITU-R BT.709 YCbCr" : "ITU-R BT.601 YCbCr";
}

static const char *yuv_range(uint32_t yuv)
{
	return yuv & VPRIME_PL_YUV_FULL ? "YCbCr full range" : "YCbCr limited range";
}

/* Commit a YUV plane with its COLOR_ENCODING and COLOR_RANGE */
static int plane_yuv(struct kms *k, struct head *hd, int plane, const struct plane_img *p)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t id = hd->plane[plane];
	int ret;

	plane_props_scaled(req, k, id, hd->crtc, p->fb, p->dst_x, p->dst_y, p->src_x,
			   p->src_y, p->w, p->h, p->dst_w ? p->dst_w : p->w,
			   p->dst_h ? p->dst_h : p->h);
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "COLOR_ENCODING",
		 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "COLOR_ENCODING",
			    yuv_encoding(p->yuv)));
	add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "COLOR_RANGE",
		 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "COLOR_RANGE", yuv_range(p->yuv)));
	if (p->dst_w)
		add_prop(req, k->fd, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
			 enum_value(k, id, DRM_MODE_OBJECT_PLANE, "SCALING_FILTER",
				    "Nearest Neighbor"));
	ret = drmModeAtomicCommit(k->fd, req, 0, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

struct yuv_fbs {
	struct fb prim, nv12, i420, full;
};

/*
 * One head: an NV12 overlay (from an odd origin) and a YUV420 second
 * overlay over an RGB primary in every encoding and range, one scaled;
 * then a full-screen NV12 primary alone (composed, never shown in place)
 */
static void yuv_head(struct kms *k, struct head *hd, struct yuv_fbs *f)
{
	uint32_t mw = hd->mode.hdisplay, mh = hd->mode.vdisplay;
	struct plane_img img[3];
	char what[96];
	uint32_t e, want[4];
	int ret;

	CHECK(!head_enable(k, hd, &f->prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	img[0] = (struct plane_img){ .fb = &f->prim, .w = mw, .h = mh };
	for (e = 0; e < 4 && !failures; e++) {
		img[1] = (struct plane_img){ .fb = &f->nv12, .src_x = 3, .src_y = 1,
					     .w = 181, .h = 133, .dst_x = 30, .dst_y = 20,
					     .yuv = e };
		img[2] = (struct plane_img){ .fb = &f->i420, .src_x = 2, .src_y = 5,
					     .w = 150, .h = 101, .dst_x = 160, .dst_y = 110,
					     .yuv = 3 - e };
		/* one of them scaled (nearest), as any plane */
		if (e == 3) {
			img[2].dst_w = 2 * img[2].w;
			img[2].dst_h = img[2].h + img[2].h / 2;
		}
		ret = plane_yuv(k, hd, VPRIME_PLANE_OVERLAY, &img[1]);
		if (!ret)
			ret = plane_yuv(k, hd, VPRIME_PLANE_OVERLAY2, &img[2]);
		snprintf(what, sizeof(what), "NV12 %s %s, YUV420 %s %s%s",
			 yuv_encoding(e) + 6, yuv_range(e) + 6, yuv_encoding(3 - e) + 6,
			 yuv_range(3 - e) + 6, e == 3 ? " scaled" : "");
		CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
		want[e] = compose_crc(mw, mh, img, 3);
		if (!ret)
			expect_crc(k, hd, want[e], what);
		CHECK(!e || want[e] != want[e - 1], "head %d: %s composes as the one before",
		      hd->index, what);
	}
	plane_props_off(k, hd, VPRIME_PLANE_OVERLAY);
	plane_props_off(k, hd, VPRIME_PLANE_OVERLAY2);

	/* a full-screen NV12 primary, BT.709 full range */
	img[0] = (struct plane_img){ .fb = &f->full, .w = mw, .h = mh,
				     .yuv = VPRIME_PL_YUV_BT709 | VPRIME_PL_YUV_FULL };
	ret = plane_yuv(k, hd, VPRIME_PLANE_PRIMARY, &img[0]);
	CHECK(!ret, "head %d: NV12 primary: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, compose_crc(mw, mh, img, 1), "full-screen NV12 primary");
	crc_stop(hd);
	kms_disable_all(k);
}

/*
 * YUV framebuffers (issue 16): NV12 and YUV420 on primary and overlays
 * (not the cursor), each framebuffer plane in a buffer of its own, with
 * COLOR_ENCODING (BT.601, BT.709) and COLOR_RANGE (limited, full); each
 * compared exactly by device CRC with the spec's conversion done here.
 */
int test_kms_yuv_crc(struct ctx *c)
{
	struct head *heads[2];
	struct yuv_fbs f;
	struct kms k;
	int i, n;

	KMS_OPEN(c, &k);
	n = kms_feature_heads(&k, heads);
	if (!n)
		return EXIT_FAIL;
	for (i = 0; i < n && !failures; i++) {
		struct head *hd = heads[i];
		int p;

		for (p = 0; p < VPRIME_DISP_PLANES; p++) {
			bool cursor = p == VPRIME_PLANE_CURSOR;

			CHECK(plane_has_format(&k, hd->plane[p], DRM_FORMAT_NV12) != cursor &&
			      plane_has_format(&k, hd->plane[p], DRM_FORMAT_YUV420) != cursor &&
			      (enum_value(&k, hd->plane[p], DRM_MODE_OBJECT_PLANE,
					  "COLOR_ENCODING", "ITU-R BT.709 YCbCr") < 0) == cursor &&
			      (enum_value(&k, hd->plane[p], DRM_MODE_OBJECT_PLANE,
					  "COLOR_RANGE", "YCbCr full range") < 0) == cursor,
			      "head %d: plane %d: NV12, YUV420, COLOR_ENCODING/RANGE %s",
			      hd->index, p, cursor ? "offered on the cursor" : "missing");
		}
		memset(&f, 0, sizeof(f));
		CHECK(!fb_new(&k, &f.prim, hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
		CHECK(!fb_new_yuv(&k, &f.nv12, 190, 140, DRM_FORMAT_NV12), "NV12 fb");
		CHECK(!fb_new_yuv(&k, &f.i420, 160, 110, DRM_FORMAT_YUV420), "YUV420 fb");
		CHECK(!fb_new_yuv(&k, &f.full, hd->mode.hdisplay, hd->mode.vdisplay,
				  DRM_FORMAT_NV12), "full-screen NV12 fb");
		if (!failures) {
			fb_fill_noise(&f.prim, 81 + hd->index);
			fb_fill_yuv_noise(&f.nv12, 82 + hd->index);
			fb_fill_yuv_noise(&f.i420, 83 + hd->index);
			fb_fill_yuv_noise(&f.full, 84 + hd->index);
			yuv_head(&k, hd, &f);
		}
		fb_free(&k, &f.prim);
		fb_free(&k, &f.nv12);
		fb_free(&k, &f.i420);
		fb_free(&k, &f.full);
	}
	kms_close(&k);
	return 0;
}
