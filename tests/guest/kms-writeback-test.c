// SPDX-License-Identifier: GPL-2.0-only
/*
 * kms-writeback-crc (issue 16, writeback): each head's writeback
 * connector captures the frame the head shows.  A known multi-plane frame
 * is composed (a noise primary, an ARGB overlay OVER it; then with an
 * inverting gamma LUT, so a capture taken before the colour stage shows;
 * then the lone primary, which the engine shows in place), a writeback
 * framebuffer is attached with WRITEBACK_OUT_FENCE_PTR, the fence is
 * waited on, and the capture is compared pixel by pixel with the CPU's
 * reference, and its CRC with the device CRC of that frame, and (under
 * the harness, whose host agent takes a QMP screendump of the head while
 * the frame is still shown) with the same CRC of the host's screendump.
 * Last, the primary holds the shared test pattern (hw/vprime_pattern.h):
 * the capture is compared with it pixel by pixel, and the host compares
 * its screendump of that frame with it pixel by pixel (at the head's
 * link depth), so the capture and the screen agree pixel for pixel.
 * On the first and the last connected heads.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/sync_file.h>
#include <drm_fourcc.h>

#include "kms-lib.h"

#define LUT_SIZE	256

/* The test pattern's frame, and its tag (+ the head's index) */
#define WB_PATTERN_FRAME	40
#define WB_PATTERN_TAG		0x70

/*
 * The host's screendump of @hd compared pixel by pixel with the test
 * pattern (frame, tag), as the head's link sends it; not compared without
 * the host control channel
 */
static void wb_pattern_screendump(struct kms *k, struct head *hd, uint32_t w,
				  uint32_t h, uint32_t tag)
{
	struct hreply rep;
	struct hmsg req;
	char save[32];
	int ret;

	snprintf(save, sizeof(save), "wb-pattern-head%d", hd->index);
	hmsg_screendump(&req, hd->index, w, h, WB_PATTERN_FRAME, tag, save);
	hmsg_int(&req, "bpc", kms_crc_link(k, hd));
	ret = host_call(&req, &rep, 60);
	if (ret == -ENODEV) {
		diag("head %d: no host control channel, the screen is not compared with the pattern (the harness provides it)",
		     hd->index);
		return;
	}
	CHECK(!ret && rep.ok, "head %d: the host's screendump against the test pattern: %s",
	      hd->index, ret ? strerror(-ret) : hreply_why(&rep));
	if (!ret && rep.ok)
		diag("head %d: test pattern: host: %s", hd->index, hreply_why(&rep));
}

/* The writeback connector that can capture @hd's CRTC; 0 if none */
static uint32_t wb_connector_of(struct kms *k, struct head *hd, int *count)
{
	drmModeRes *res = drmModeGetResources(k->fd);
	uint32_t found = 0;
	int i, crtc_idx = -1;

	*count = 0;
	if (!res)
		return 0;
	for (i = 0; i < res->count_crtcs; i++)
		if (res->crtcs[i] == hd->crtc)
			crtc_idx = i;
	for (i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(k->fd, res->connectors[i]);
		drmModeEncoder *e;

		if (!c)
			continue;
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			(*count)++;
			e = c->count_encoders ? drmModeGetEncoder(k->fd, c->encoders[0]) : NULL;
			if (e && crtc_idx >= 0 && (e->possible_crtcs & (1u << crtc_idx)))
				found = c->connector_id;
			drmModeFreeEncoder(e);
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return found;
}

/* Attach the writeback connector to the head's CRTC (0: detach) */
static int wb_attach(struct kms *k, uint32_t wb, uint32_t crtc)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int ret;

	add_prop(req, k->fd, wb, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", crtc);
	ret = drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	ret = ret ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

/* The out-fence: signalled (1), with an error (< 0), or not in time (0) */
static int fence_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct sync_file_info info;

	if (poll(&pfd, 1, 10000) != 1)
		return 0;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.status;
}

/*
 * One commit: the overlay at (ox, oy) or off, GAMMA_LUT @gamma (0: off),
 * the writeback framebuffer with an out-fence; the capture compared with
 * @ref (0x00RRGGBB per pixel) and the device CRC
 */
static void wb_case(struct kms *k, struct head *hd, uint32_t wb,
		    const struct fb *ovl, uint32_t ox, uint32_t oy,
		    uint32_t gamma, struct fb *out, const uint32_t *ref,
		    const char *what, const char *name)
{
	uint32_t w = hd->mode.hdisplay, h = hd->mode.vdisplay, x, y, bad = 0;
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int32_t fence = -1;
	uint32_t *got;
	int ret, st;

	fb_fill_noise(out, 0x5eed + hd->index);		/* stale content shows */
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "GAMMA_LUT", gamma);
	plane_props(req, k, hd->plane[VPRIME_PLANE_OVERLAY], ovl ? hd->crtc : 0, ovl,
		    ox, oy, 0, 0, ovl ? ovl->width : 0, ovl ? ovl->height : 0);
	add_prop(req, k->fd, wb, DRM_MODE_OBJECT_CONNECTOR, "WRITEBACK_FB_ID",
		 out->fb_id);
	add_prop(req, k->fd, wb, DRM_MODE_OBJECT_CONNECTOR,
		 "WRITEBACK_OUT_FENCE_PTR", (uint64_t)(uintptr_t)&fence);
	ret = drmModeAtomicCommit(k->fd, req, 0, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	CHECK(!ret && fence >= 0, "head %d: %s: writeback commit: %s (fence %d)",
	      hd->index, what, strerror(-ret), fence);
	if (ret || fence < 0)
		return;
	st = fence_wait(fence);
	close(fence);
	CHECK(st == 1, "head %d: %s: out-fence status %d, want 1 (signalled)",
	      hd->index, what, st);
	if (st != 1)
		return;

	got = malloc((size_t)w * h * 4);
	if (!got) {
		CHECK(0, "out of memory");
		return;
	}
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint32_t v = *(uint32_t *)(out->map + (size_t)y * out->pitch + x * 4);
			uint32_t want = 0xff000000u | ref[(size_t)y * w + x];

			if (v != want && bad++ < 4)
				diag("head %d: %s: pixel (%u, %u) captured 0x%08x, CPU 0x%08x",
				     hd->index, what, x, y, v, want);
			got[(size_t)y * w + x] = v & 0xffffff;
		}
	}
	CHECK(!bad, "head %d: %s: %u of %u captured pixels differ from the CPU's",
	      hd->index, what, bad, w * h);
	if (!bad)
		diag("%s: head %d: %ux%u captured pixels match the CPU's", what,
		     hd->index, w, h);
	/* the capture is the frame the device checksummed */
	expect_crc(k, hd, frame_crc(got, w, h), what);
	host_screendump_vs(hd, w, h, frame_crc(got, w, h), name, "the capture");
	free(got);
}

/* The CPU's frame: the primary, the overlay OVER it (if any), inverted */
static void reference(const struct fb *prim, const struct fb *ovl, uint32_t ox,
		      uint32_t oy, bool invert, uint32_t *ref)
{
	uint32_t w = prim->width, h = prim->height, x, y;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			uint32_t px = compose_two_px(prim, ovl, ox, oy, x, y);

			/* the LUT maps 8-bit c to (255 - c) * 257: 255 - c exactly */
			ref[(size_t)y * w + x] = (invert ? ~px : px) & 0xffffff;
		}
	}
}

static void wb_head(struct kms *k, struct head *hd, uint32_t wb)
{
	uint32_t w = hd->mode.hdisplay, h = hd->mode.vdisplay, ox = 37, oy = 21;
	struct drm_color_lut lut[LUT_SIZE];
	struct fb prim, ovl, out, out_argb;
	uint32_t *ref, gamma = 0;
	int i, ret;

	memset(&prim, 0, sizeof(prim));
	memset(&ovl, 0, sizeof(ovl));
	memset(&out, 0, sizeof(out));
	memset(&out_argb, 0, sizeof(out_argb));
	ref = malloc((size_t)w * h * 4);
	CHECK(ref, "out of memory");
	CHECK(!fb_new(k, &prim, w, h, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) &&
	      !fb_new(k, &ovl, 130, 90, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR) &&
	      !fb_new(k, &out, w, h, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR) &&
	      !fb_new(k, &out_argb, w, h, DRM_FORMAT_ARGB8888, DRM_FORMAT_MOD_LINEAR),
	      "head %d: framebuffers", hd->index);
	if (failures) {
		free(ref);
		return;
	}
	fb_fill_noise(&prim, 71 + hd->index);
	fb_fill_noise(&ovl, 72 + hd->index);
	for (i = 0; i < LUT_SIZE; i++)
		lut[i].red = lut[i].green = lut[i].blue = (255 - i) * 257;
	CHECK(!drmModeCreatePropertyBlob(k->fd, lut, sizeof(lut), &gamma),
	      "gamma blob: %s", strerror(errno));

	CHECK(!head_enable(k, hd, &prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	ret = failures ? -1 : wb_attach(k, wb, hd->crtc);
	CHECK(!ret, "head %d: attaching writeback connector %u: %s", hd->index, wb,
	      strerror(-ret));
	if (failures || crc_start(k, hd))
		goto out;

	/* a framebuffer of another size is refused */
	{
		struct fb small;

		if (!fb_new(k, &small, w / 2, h, DRM_FORMAT_XRGB8888,
			    DRM_FORMAT_MOD_LINEAR)) {
			drmModeAtomicReq *req = drmModeAtomicAlloc();

			add_prop(req, k->fd, wb, DRM_MODE_OBJECT_CONNECTOR,
				 "WRITEBACK_FB_ID", small.fb_id);
			ret = drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_TEST_ONLY,
						  NULL) ? -errno : 0;
			drmModeAtomicFree(req);
			CHECK(ret == -EINVAL, "head %d: a %ux%u writeback fb on a %ux%u mode gave %d, want -EINVAL",
			      hd->index, w / 2, h, w, h, ret);
			fb_free(k, &small);
		}
	}

	reference(&prim, &ovl, ox, oy, false, ref);
	wb_case(k, hd, wb, &ovl, ox, oy, 0, &out, ref, "primary and overlay",
		"overlay");
	reference(&prim, &ovl, ox, oy, true, ref);
	wb_case(k, hd, wb, &ovl, ox, oy, gamma, &out, ref,
		"primary and overlay, inverting gamma", "gamma");
	reference(&prim, NULL, 0, 0, false, ref);
	wb_case(k, hd, wb, NULL, 0, 0, 0, &out_argb, ref,
		"lone primary, ARGB8888 capture", "argb");
	/* the commit of the next capture composes the new content */
	fb_fill_pattern(&prim, WB_PATTERN_FRAME, WB_PATTERN_TAG + hd->index);
	reference(&prim, NULL, 0, 0, false, ref);
	wb_case(k, hd, wb, NULL, 0, 0, 0, &out, ref, "test pattern", "pattern");
	if (!failures)
		wb_pattern_screendump(k, hd, w, h, WB_PATTERN_TAG + hd->index);
	crc_stop(hd);
out:
	/* detach, or the CRTC cannot be turned off without it */
	ret = wb_attach(k, wb, 0);
	CHECK(!ret, "head %d: detaching writeback connector: %s", hd->index,
	      strerror(-ret));
	kms_disable_all(k);
	if (gamma)
		drmModeDestroyPropertyBlob(k->fd, gamma);
	fb_free(k, &prim);
	fb_free(k, &ovl);
	fb_free(k, &out);
	fb_free(k, &out_argb);
	free(ref);
}

int test_kms_writeback_crc(struct ctx *c)
{
	struct head *heads[2];
	struct kms k;
	int i, n, count;

	KMS_OPEN(c, &k);
	/* hidden from clients that do not ask: count them first */
	{
		drmModeRes *res = drmModeGetResources(k.fd);
		int plain = res ? res->count_connectors : -1;

		drmModeFreeResources(res);
		CHECK(plain == k.nheads, "%d connectors without the writeback cap, want %d",
		      plain, k.nheads);
	}
	if (drmSetClientCap(k.fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1)) {
		CHECK(0, "DRM_CLIENT_CAP_WRITEBACK_CONNECTORS: %s", strerror(errno));
		kms_close(&k);
		return 0;
	}
	n = kms_feature_heads(&k, heads);
	if (!n) {
		kms_close(&k);
		return EXIT_FAIL;
	}
	for (i = 0; i < n && !failures; i++) {
		uint32_t wb = wb_connector_of(&k, heads[i], &count);

		CHECK(count == k.nheads, "%d writeback connectors, want one per head (%d)",
		      count, k.nheads);
		CHECK(wb, "head %d: no writeback connector for its CRTC", heads[i]->index);
		if (failures)
			break;
		wb_head(&k, heads[i], wb);
	}
	kms_close(&k);
	return 0;
}
