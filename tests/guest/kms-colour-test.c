// SPDX-License-Identifier: GPL-2.0-only
/*
 * The display engine's colour pipeline (issue 16): DEGAMMA_LUT, CTM and
 * GAMMA_LUT per CRTC and legacy gamma (drmModeCrtcSetGamma), each checked
 * by the device's CRC of the composed frame against the test's own CPU
 * composition with the colour arithmetic hw/vprime-spec.rst ("Colour")
 * states, on the first connected head and, with several heads, on the
 * last one too.  Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define LUT_SIZE	VPRIME_COLOUR_LUT_SIZE

/* What the CRTC's colour properties hold, as the test set them */
struct colour {
	bool degamma, ctm, gamma;
	struct drm_color_lut degamma_lut[LUT_SIZE];
	struct drm_color_lut gamma_lut[LUT_SIZE];
	struct drm_color_ctm matrix;
};

static uint32_t colour_rng;

static uint32_t colour_rand(void)
{
	colour_rng = colour_rng * 1103515245 + 12345;
	return colour_rng >> 8;
}

/* A rising curve with random steps, or 16-bit noise */
static void random_lut(struct drm_color_lut *lut, bool noise)
{
	uint32_t v[3] = { colour_rand() % 64, colour_rand() % 64, colour_rand() % 64 };
	int i, c;

	for (i = 0; i < LUT_SIZE; i++) {
		for (c = 0; c < 3; c++) {
			v[c] += colour_rand() % 512;
			if (v[c] > 0xffff)
				v[c] = 0xffff;
		}
		lut[i].red = noise ? colour_rand() & 0xffff : v[0];
		lut[i].green = noise ? colour_rand() & 0xffff : v[1];
		lut[i].blue = noise ? colour_rand() & 0xffff : v[2];
		lut[i].reserved = 0;
	}
}

/* DRM's S31.32 sign-magnitude of num / 256 */
static uint64_t ctm_fixed(int64_t num)
{
	uint64_t mag = (uint64_t)(num < 0 ? -num : num) << 24;

	return num < 0 ? mag | 1ull << 63 : mag;
}

static uint16_t lut_chan(const struct drm_color_lut *e, int c)
{
	return c == 0 ? e->red : c == 1 ? e->green : e->blue;
}

/*
 * The spec's pipeline on one 0x00RRGGBB pixel: degamma (v = LUT[c], or
 * c * 257), CTM (sum of S31.32 products, magnitudes at most 2^35 - 1,
 * floor((sum + 2^31) / 2^32) clamped to 0..65535), gamma (linear between
 * entries i and i + 1 at v * 255 = i * 65535 + f, rounded), then
 * (y * 255 + 32767) / 65535.
 */
static uint32_t colour_pixel(const struct colour *col, uint32_t px)
{
	uint32_t in[3] = { (px >> 16) & 0xff, (px >> 8) & 0xff, px & 0xff };
	int64_t d[3], v[3];
	uint32_t out = 0;
	int c, j;

	for (c = 0; c < 3; c++)
		d[c] = col->degamma ? lut_chan(&col->degamma_lut[in[c]], c) :
				      (int64_t)in[c] * 257;
	for (c = 0; c < 3; c++) {
		int64_t sum = 0;

		if (!col->ctm) {
			v[c] = d[c];
			continue;
		}
		for (j = 0; j < 3; j++) {
			uint64_t m = col->matrix.matrix[c * 3 + j];
			uint64_t mag = m & ~(1ull << 63);

			if (mag > VPRIME_COLOUR_CTM_MAG_MAX)
				mag = VPRIME_COLOUR_CTM_MAG_MAX;
			sum += (m >> 63 ? -(int64_t)mag : (int64_t)mag) * d[j];
		}
		if (sum < 0)
			v[c] = 0;
		else
			v[c] = (sum + (1ll << 31)) >> 32;
		if (v[c] > 65535)
			v[c] = 65535;
	}
	for (c = 0; c < 3; c++) {
		uint64_t y = v[c];

		if (col->gamma) {
			uint64_t pos = y * (LUT_SIZE - 1);
			uint64_t i = pos / 65535, f = pos % 65535;

			if (i >= LUT_SIZE - 1)
				y = lut_chan(&col->gamma_lut[LUT_SIZE - 1], c);
			else
				y = (lut_chan(&col->gamma_lut[i], c) * (65535 - f) +
				     lut_chan(&col->gamma_lut[i + 1], c) * f + 32767) / 65535;
		}
		out |= (uint32_t)((y * 255 + 32767) / 65535) << (16 - 8 * c);
	}
	return out;
}

/*
 * CRC of the head's frame: the full-screen primary, the overlay (if any)
 * OVER it at (ox, oy), then the colour pipeline
 */
static uint32_t colour_crc(const struct fb *prim, const struct fb *ovl,
			   uint32_t ox, uint32_t oy, const struct colour *col)
{
	uint32_t w = prim->width, h = prim->height, x, y, crc;
	uint32_t *out = malloc((size_t)w * h * 4);

	if (!out)
		return 0;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			out[(size_t)y * w + x] =
				colour_pixel(col, compose_two_px(prim, ovl, ox, oy, x, y));
		}
	}
	crc = frame_crc(out, w, h);
	free(out);
	return crc;
}

static uint32_t blob_of(struct kms *k, const void *data, size_t size)
{
	uint32_t id = 0;

	CHECK(!drmModeCreatePropertyBlob(k->fd, data, size, &id),
	      "property blob of %zu bytes: %s", size, strerror(errno));
	return id;
}

/*
 * Commit the colour properties (and the overlay on or off); 0 or -errno.
 * With @lut_size other than LUT_SIZE, the gamma LUT has that many entries.
 */
static int commit_colour(struct kms *k, struct head *hd, const struct colour *col,
			 const struct fb *ovl, uint32_t ox, uint32_t oy,
			 int lut_size, uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t dg = 0, m = 0, g = 0;
	int ret;

	if (col->degamma)
		dg = blob_of(k, col->degamma_lut, sizeof(col->degamma_lut));
	if (col->ctm)
		m = blob_of(k, &col->matrix, sizeof(col->matrix));
	if (col->gamma)
		g = blob_of(k, col->gamma_lut, lut_size * sizeof(col->gamma_lut[0]));
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "DEGAMMA_LUT", dg);
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "CTM", m);
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "GAMMA_LUT", g);
	if (ovl)
		plane_props(req, k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, ovl,
			    ox, oy, 0, 0, ovl->width, ovl->height);
	else
		plane_props(req, k, hd->plane[VPRIME_PLANE_OVERLAY], hd->crtc, NULL,
			    0, 0, 0, 0, 0, 0);
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	if (dg)
		drmModeDestroyPropertyBlob(k->fd, dg);
	if (m)
		drmModeDestroyPropertyBlob(k->fd, m);
	if (g)
		drmModeDestroyPropertyBlob(k->fd, g);
	return ret;
}

enum { STAGE_DEGAMMA = 1, STAGE_CTM = 2, STAGE_GAMMA = 4 };

static const int64_t ctm_swap[9] = { 0, 256, 0, 0, 0, 256, 256, 0, 0 };
static const int64_t ctm_mix[9] = { 300, -40, 11, -90, 200, 77, 5, 600, -311 };

static const struct colour_case {
	const char *name;
	unsigned int stages;
	const int64_t *ctm;
	bool overlay, noise;
} colour_cases[] = {
	{ "gamma only", STAGE_GAMMA, NULL, false, false },
	{ "gamma only, with an overlay", STAGE_GAMMA, NULL, true, false },
	{ "degamma only", STAGE_DEGAMMA, NULL, true, false },
	{ "CTM channel swap", STAGE_CTM, ctm_swap, false, false },
	{ "CTM mixing matrix", STAGE_CTM, ctm_mix, true, false },
	{ "degamma, CTM and gamma", STAGE_DEGAMMA | STAGE_CTM | STAGE_GAMMA,
	  ctm_mix, true, false },
	{ "noise degamma, CTM and gamma", STAGE_DEGAMMA | STAGE_CTM | STAGE_GAMMA,
	  ctm_mix, false, true },
};

static void colour_case_setup(struct colour *col, const struct colour_case *cc)
{
	int j;

	memset(col, 0, sizeof(*col));
	col->degamma = cc->stages & STAGE_DEGAMMA;
	col->ctm = cc->stages & STAGE_CTM;
	col->gamma = cc->stages & STAGE_GAMMA;
	random_lut(col->degamma_lut, cc->noise);
	random_lut(col->gamma_lut, false);
	for (j = 0; col->ctm && j < 9; j++)
		col->matrix.matrix[j] = ctm_fixed(cc->ctm[j]);
}

/* Legacy gamma through drmModeCrtcSetGamma: the core makes it GAMMA_LUT */
static void legacy_gamma(struct kms *k, struct head *hd, const struct fb *prim)
{
	uint16_t r[LUT_SIZE], g[LUT_SIZE], b[LUT_SIZE];
	uint16_t rr[LUT_SIZE], gg[LUT_SIZE], bb[LUT_SIZE];
	drmModeCrtc *crtc = drmModeGetCrtc(k->fd, hd->crtc);
	struct colour col;
	int i;

	CHECK(crtc && crtc->gamma_size == LUT_SIZE, "head %d: legacy gamma size %d, want %d",
	      hd->index, crtc ? crtc->gamma_size : -1, LUT_SIZE);
	drmModeFreeCrtc(crtc);
	memset(&col, 0, sizeof(col));
	col.gamma = true;
	random_lut(col.gamma_lut, false);
	for (i = 0; i < LUT_SIZE; i++) {
		r[i] = col.gamma_lut[i].red;
		g[i] = col.gamma_lut[i].green;
		b[i] = col.gamma_lut[i].blue;
	}
	if (drmModeCrtcSetGamma(k->fd, hd->crtc, LUT_SIZE, r, g, b)) {
		CHECK(0, "head %d: drmModeCrtcSetGamma: %s", hd->index, strerror(errno));
		return;
	}
	CHECK(!drmModeCrtcGetGamma(k->fd, hd->crtc, LUT_SIZE, rr, gg, bb) &&
	      !memcmp(r, rr, sizeof(r)) && !memcmp(g, gg, sizeof(g)) &&
	      !memcmp(b, bb, sizeof(b)), "head %d: legacy gamma reads back", hd->index);
	expect_crc(k, hd, colour_crc(prim, NULL, 0, 0, &col), "legacy gamma");
}

static void colour_head(struct kms *k, struct head *hd, const struct fb *prim,
			const struct fb *ovl)
{
	uint32_t ox = 37, oy = 21;
	struct colour col;
	char what[96];
	size_t i;
	int ret;

	CHECK(prop_value(k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "DEGAMMA_LUT_SIZE") == LUT_SIZE &&
	      prop_value(k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "GAMMA_LUT_SIZE") == LUT_SIZE &&
	      prop_value(k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "CTM") == 0,
	      "head %d: DEGAMMA_LUT_SIZE and GAMMA_LUT_SIZE %d, CTM unset", hd->index,
	      LUT_SIZE);
	CHECK(!head_enable(k, hd, prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	if (failures || crc_start(k, hd))
		return;
	/*
	 * Let the lone primary be shown in place first (zero-copy: the
	 * engine maps its pages over a few vblanks): with colour on, the
	 * frame must be composed instead, or the first case's CRC misses it
	 */
	wait_vblanks(k, hd, 16, NULL);

	for (i = 0; i < ARRAY_SIZE(colour_cases) && !failures; i++) {
		const struct colour_case *cc = &colour_cases[i];

		colour_case_setup(&col, cc);
		ret = commit_colour(k, hd, &col, cc->overlay ? ovl : NULL, ox, oy,
				    LUT_SIZE, 0);
		snprintf(what, sizeof(what), "%s", cc->name);
		CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
		if (!ret)
			expect_crc(k, hd, colour_crc(prim, cc->overlay ? ovl : NULL, ox,
						     oy, &col), what);
	}

	/* a LUT of another size is refused by the driver */
	colour_case_setup(&col, &colour_cases[0]);
	ret = commit_colour(k, hd, &col, NULL, 0, 0, LUT_SIZE - 1,
			    DRM_MODE_ATOMIC_TEST_ONLY);
	CHECK(ret == -EINVAL, "head %d: a %d-entry GAMMA_LUT gave %d, want -EINVAL",
	      hd->index, LUT_SIZE - 1, ret);

	legacy_gamma(k, hd, prim);

	/* everything off: the plain frame again */
	memset(&col, 0, sizeof(col));
	ret = commit_colour(k, hd, &col, NULL, 0, 0, LUT_SIZE, 0);
	CHECK(!ret, "head %d: colour off: %s", hd->index, strerror(-ret));
	if (!ret)
		expect_crc(k, hd, colour_crc(prim, NULL, 0, 0, &col), "colour off");
	crc_stop(hd);
	kms_disable_all(k);
}

/*
 * Colour (issue 16): every case of colour_cases[] and legacy gamma on the
 * first and last connected heads, compared exactly by device CRC.
 */
int test_kms_colour_crc(struct ctx *c)
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

		colour_rng = 61 + hd->index;
		CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
		CHECK(!fb_new(&k, &ovl, 130, 90, DRM_FORMAT_ARGB8888,
			      DRM_FORMAT_MOD_LINEAR), "overlay fb");
		if (failures)
			break;
		fb_fill_noise(&prim, 62 + hd->index);
		fb_fill_noise(&ovl, 63 + hd->index);
		colour_head(&k, hd, &prim, &ovl);
		fb_free(&k, &prim);
		fb_free(&k, &ovl);
	}
	kms_close(&k);
	return 0;
}
