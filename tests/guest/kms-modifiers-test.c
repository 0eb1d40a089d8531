// SPDX-License-Identifier: GPL-2.0-only
/*
 * Registered modifiers across devices (issue 16 item 6): each device takes
 * its own set of tiled layouts, as the kernel reports them (GET_PARAM
 * LAYOUTS and LAYOUT_MODIFIER on the GPUs and the display, IN_FORMATS on
 * the display's planes).  What two devices share is the intersection:
 * iGPU and display Intel X-tiled, dGPU and display NVIDIA block linear,
 * iGPU and dGPU LINEAR only, as on real hybrid machines.  Each GPU draws
 * the shared tiled layout into a display buffer, checked byte by byte
 * where the modifier's public definition puts each pixel and shown with
 * the same CRC as the linear picture; between the GPUs a buffer falls
 * back to LINEAR, and forcing a tiled layout on the GPU that does not
 * take it is refused by SUBMIT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-test.h"
#include "kms-lib.h"

#define MAX_MODS	(VPRIME_LAYOUT_COUNT + 1)

struct modset {
	uint64_t mod[MAX_MODS];
	uint32_t layout[MAX_MODS];
	int n;
};

static const char *mod_name(uint64_t mod)
{
	if (mod == DRM_FORMAT_MOD_LINEAR)
		return "LINEAR";
	if (mod == I915_FORMAT_MOD_X_TILED)
		return "I915_X_TILED";
	if (mod == I915_FORMAT_MOD_Y_TILED)
		return "I915_Y_TILED";
	if (mod == MOD_NV_BLOCK)
		return "NVIDIA_BLOCK_LINEAR_2D(0,1,0,0xfe,3)";
	return "unknown";
}

/* A device's set as its driver reports it: GET_PARAM LAYOUTS, LAYOUT_MODIFIER */
static int device_mods(int fd, struct modset *s)
{
	uint64_t layouts, mod;
	uint32_t l;
	int ret;

	s->n = 0;
	ret = get_param(fd, VPRIME_PARAM_LAYOUTS, &layouts);
	if (ret)
		return ret;
	for (l = 0; l < 32 && s->n < MAX_MODS; l++) {
		if (!(layouts & (1ull << l)))
			continue;
		ret = get_param(fd, VPRIME_PARAM_LAYOUT_MODIFIER(l), &mod);
		if (ret)
			return ret;
		s->mod[s->n] = mod;
		s->layout[s->n++] = l;
	}
	return 0;
}

static bool has_mod(const struct modset *s, uint64_t mod)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->mod[i] == mod)
			return true;
	return false;
}

static void intersect(const struct modset *a, const struct modset *b, struct modset *out)
{
	int i;

	out->n = 0;
	for (i = 0; i < a->n; i++)
		if (has_mod(b, a->mod[i])) {
			out->mod[out->n] = a->mod[i];
			out->layout[out->n++] = a->layout[i];
		}
}

static void print_set(const char *what, const struct modset *s)
{
	char line[512] = "";
	int i;

	for (i = 0; i < s->n; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
			 i ? ", " : "", mod_name(s->mod[i]));
	diag("%s: %s", what, line);
}

/* The primary plane's IN_FORMATS modifiers for XRGB8888 */
static int plane_mods(struct kms *k, uint32_t plane, struct modset *s)
{
	drmModeFormatModifierIterator it = { 0 };
	drmModePropertyBlobRes *blob;
	uint64_t id;

	s->n = 0;
	id = prop_value(k->fd, plane, DRM_MODE_OBJECT_PLANE, "IN_FORMATS");
	blob = id != ~0ull ? drmModeGetPropertyBlob(k->fd, id) : NULL;
	if (!blob)
		return -ENOENT;
	while (drmModeFormatModifierBlobIterNext(blob, &it))
		if (it.fmt == DRM_FORMAT_XRGB8888 && s->n < MAX_MODS && !has_mod(s, it.mod))
			s->mod[s->n++] = it.mod;
	drmModeFreePropertyBlob(blob);
	return 0;
}

/*
 * A GPU draws PATTERN (frame, tag) in layout l into a display buffer of
 * modifier mod, which the head shows: the bytes are where the modifier's
 * definition puts them, the device CRC is the CPU's and the linear
 * picture's (crc_linear, 0: not known yet, set here).
 */
static void draw_and_show(struct ctx *c, struct kms *k, struct head *hd, int kind,
			  uint64_t mod, uint32_t l, uint32_t *crc_linear)
{
	uint32_t w = hd->mode.hdisplay, h = hd->mode.vdisplay, x, y, crc = 0;
	int gfd = gpu_open(c, kind), dfd = -1, ret;
	/* the same picture from every GPU: one linear CRC for all */
	uint32_t ctx_id = gfd >= 0 ? ctx_new(gfd) : 0, tag = 3;
	const struct bo *bos[1];
	struct vprime_cmd cmd;
	char what[96];
	struct bo in;
	struct fb f;
	bool ok = true;

	snprintf(what, sizeof(what), "%s draws %s for the display", kind_name(kind),
		 mod_name(mod));
	CHECK(gfd >= 0 && ctx_id, "%s: open", what);
	if (gfd < 0 || !ctx_id)
		goto out;
	ret = fb_new(k, &f, w, h, DRM_FORMAT_XRGB8888, mod);
	CHECK(!ret, "%s: display framebuffer: %s", what, strerror(-ret));
	if (ret)
		goto out;
	dfd = prime_share(k->fd, f.handle, gfd, &in);
	CHECK(dfd >= 0, "%s: import: %s", what, strerror(-dfd));
	if (dfd < 0)
		goto out_fb;
	bos[0] = &in;
	cmd = pattern(in.va, f.pitch, w, h, 11, tag);
	cmd.rect.layout = l;
	ret = run(gfd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1);
	CHECK(!ret, "%s: PATTERN: %s", what, strerror(-ret));
	for (y = 0; y < h && ok && !ret; y++)
		for (x = 0; x < w && ok; x++)
			ok = *(uint32_t *)(f.map + px_offset(mod, f.pitch, 4, x, y)) ==
			     vprime_pattern_pixel(11, tag, x, y);
	CHECK(ok, "%s: pixel (%u, %u) not where the modifier puts it", what, x - 1, y - 1);

	ret = head_enable(k, hd, &f, 0);
	CHECK(!ret, "%s: show: %s", what, strerror(-ret));
	if (!ret && !crc_start(k, hd)) {
		/* the CPU's picture: the pattern, whatever the layout */
		struct fb lin = f;

		lin.modifier = DRM_FORMAT_MOD_LINEAR;
		expect_crc(k, hd, fb_pattern_crc(&lin, 11, tag), what);
		if (!crc_current(k, hd, &crc)) {
			if (!*crc_linear)
				*crc_linear = crc;
			CHECK(crc == *crc_linear, "%s: CRC 0x%08x, the linear picture's 0x%08x",
			      what, crc, *crc_linear);
			diag("%s (layout %u, pitch %u): device CRC 0x%08x", what, l, f.pitch, crc);
		}
		crc_stop(hd);
	}
	kms_disable_all(k);
	close(dfd);
out_fb:
	fb_free(k, &f);
out:
	if (gfd >= 0)
		close(gfd);
}

/*
 * Between the GPUs: the iGPU draws into its buffer, the dGPU imports it
 * and reads it.  The sets meet at LINEAR: the dGPU's copy of it is the
 * picture.  Forced tiled, the iGPU's X layout: the dGPU's SUBMIT refuses
 * to read it, and the iGPU refuses to write the dGPU's block linear.
 */
static void gpu_to_gpu(struct ctx *c, const struct modset *shared)
{
	int ifd = gpu_open(c, VPRIME_KIND_IGPU), dfd = gpu_open(c, VPRIME_KIND_DGPU), buf;
	uint32_t ictx = ifd >= 0 ? ctx_new(ifd) : 0, dctx = dfd >= 0 ? ctx_new(dfd) : 0;
	const uint32_t w = 200, h = 100, pitch = 1024;
	const struct bo *ib[1], *db[2];
	struct bo a = { 0 }, imp = { 0 }, out = { 0 };
	struct vprime_cmd cmd;
	uint32_t x, y;
	bool ok = true;
	int ret;

	CHECK(shared->n == 1 && shared->mod[0] == DRM_FORMAT_MOD_LINEAR,
	      "iGPU and dGPU share more than LINEAR");
	CHECK(ifd >= 0 && dfd >= 0 && ictx && dctx, "open both GPUs");
	if (ifd < 0 || dfd < 0 || !ictx || !dctx)
		goto out;
	ret = bo_new(ifd, pitch * 128, &a);
	if (!ret)
		ret = bo_new(dfd, pitch * 128, &out);
	CHECK(!ret, "buffers: %s", strerror(-ret));
	if (ret)
		goto out;
	buf = prime_share(ifd, a.handle, dfd, &imp);
	CHECK(buf >= 0, "dGPU import of the iGPU's buffer: %s", strerror(-buf));
	if (buf < 0)
		goto out;
	ib[0] = &a;
	db[0] = &imp;
	db[1] = &out;

	/* LINEAR, the layout both take */
	cmd = pattern(a.va, pitch, w, h, 21, 5);
	CHECK(!run(ifd, ictx, VPRIME_ENGINE_RENDER, &cmd, 1, ib, 1), "iGPU PATTERN linear");
	cmd = blit_cmd(imp.va, pitch, VPRIME_FMT_XRGB8888, out.va, pitch, VPRIME_FMT_XRGB8888,
		       w, h);
	ret = run(dfd, dctx, VPRIME_ENGINE_RENDER, &cmd, 1, db, 2);
	CHECK(!ret, "dGPU BLIT of the iGPU's linear buffer: %s", strerror(-ret));
	for (y = 0; y < h && ok && !ret; y++)
		for (x = 0; x < w && ok; x++)
			ok = *(uint32_t *)(out.map + y * pitch + x * 4) ==
			     vprime_pattern_pixel(21, 5, x, y);
	CHECK(ok, "the dGPU's copy of the iGPU's linear picture differs at (%u, %u)",
	      x - 1, y - 1);

	/* forced tiled: the iGPU's X layout is not the dGPU's */
	cmd = pattern(a.va, pitch, w, h, 21, 5);
	cmd.rect.layout = VPRIME_LAYOUT_X_TILED;
	CHECK(!run(ifd, ictx, VPRIME_ENGINE_RENDER, &cmd, 1, ib, 1), "iGPU PATTERN X-tiled");
	cmd = blit_cmd(imp.va, pitch, VPRIME_FMT_XRGB8888, out.va, pitch, VPRIME_FMT_XRGB8888,
		       w, h);
	cmd.blit.src_layout = VPRIME_LAYOUT_X_TILED;
	ret = run(dfd, dctx, VPRIME_ENGINE_RENDER, &cmd, 1, db, 2);
	CHECK(ret == -EINVAL, "dGPU read of the iGPU's X-tiled buffer: %d, want -EINVAL", ret);
	cmd = pattern(a.va, pitch, w, h, 21, 5);
	cmd.rect.layout = VPRIME_LAYOUT_NV_BLOCK;
	ret = run(ifd, ictx, VPRIME_ENGINE_RENDER, &cmd, 1, ib, 1);
	CHECK(ret == -EINVAL, "iGPU PATTERN in block linear: %d, want -EINVAL", ret);
	diag("iGPU -> dGPU: LINEAR shared and checked; X-tiled refused by the dGPU, "
	     "block linear by the iGPU");
	close(buf);
out:
	if (imp.handle)
		bo_free(dfd, &imp);
	if (out.handle)
		bo_free(dfd, &out);
	if (a.handle)
		bo_free(ifd, &a);
	if (ifd >= 0)
		close(ifd);
	if (dfd >= 0)
		close(dfd);
}

int test_kms_modifiers(struct ctx *c)
{
	struct modset gpu[2] = { 0 }, disp, planes, both, igd;
	int kinds[2], nk, i, g;
	bool have[2] = { false, false };
	uint32_t crc_linear = 0;
	struct head *hd;
	struct kms k;

	NEED_GPU(c, kinds, nk);
	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd) {
		kms_close(&k);
		return EXIT_FAIL;
	}
	CHECK(!device_mods(k.fd, &disp), "display GET_PARAM LAYOUTS");
	CHECK(!plane_mods(&k, hd->plane[VPRIME_PLANE_PRIMARY], &planes), "IN_FORMATS");
	print_set("display (GET_PARAM)", &disp);
	print_set("display primary plane (IN_FORMATS, XRGB8888)", &planes);
	CHECK(planes.n == disp.n, "IN_FORMATS has %d modifiers, GET_PARAM %d", planes.n, disp.n);
	for (i = 0; i < disp.n; i++)
		CHECK(has_mod(&planes, disp.mod[i]), "IN_FORMATS lacks %s", mod_name(disp.mod[i]));
	/* the display scans X and block linear, not Y */
	CHECK(disp.n == 3 && has_mod(&disp, I915_FORMAT_MOD_X_TILED) &&
	      has_mod(&disp, MOD_NV_BLOCK) && !has_mod(&disp, I915_FORMAT_MOD_Y_TILED),
	      "the display's set is not LINEAR, X-tiled, block linear");
	for (i = 0; i < nk; i++) {
		int fd = gpu_open(c, kinds[i]);

		g = kinds[i] == VPRIME_KIND_DGPU;
		CHECK(fd >= 0 && !device_mods(fd, &gpu[g]), "%s GET_PARAM LAYOUTS",
		      kind_name(kinds[i]));
		if (fd >= 0)
			close(fd);
		have[g] = true;
		print_set(kind_name(kinds[i]), &gpu[g]);
		intersect(&gpu[g], &disp, &both);
		print_set(g ? "dGPU & display" : "iGPU & display", &both);
		/* each GPU shares LINEAR and exactly one tiled layout with the display */
		CHECK(both.n == 2 && both.mod[0] == DRM_FORMAT_MOD_LINEAR &&
		      both.mod[1] == (g ? MOD_NV_BLOCK : I915_FORMAT_MOD_X_TILED),
		      "%s and the display share %d modifiers", kind_name(kinds[i]), both.n);
	}
	if (failures)
		goto out;

	/* the shared layouts, drawn by each GPU and shown */
	for (i = 0; i < nk; i++) {
		g = kinds[i] == VPRIME_KIND_DGPU;
		intersect(&gpu[g], &disp, &both);
		draw_and_show(c, &k, hd, kinds[i], both.mod[0], both.layout[0], &crc_linear);
		draw_and_show(c, &k, hd, kinds[i], both.mod[1], both.layout[1], &crc_linear);
	}

	/* between the GPUs: LINEAR or refused */
	if (have[0] && have[1]) {
		intersect(&gpu[0], &gpu[1], &igd);
		print_set("iGPU & dGPU", &igd);
		gpu_to_gpu(c, &igd);
	} else {
		diag("one GPU kind only: iGPU <-> dGPU not tried");
	}
out:
	kms_close(&k);
	return 0;
}
