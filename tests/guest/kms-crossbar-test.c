// SPDX-License-Identifier: GPL-2.0-only
/*
 * The display crossbar as a client sees it (issue 16): any CRTC drives any
 * connector.  Every encoder's possible_crtcs must be every CRTC.  Then, in
 * one atomic commit, the first connected head's CRTC drives the last
 * connected head's connector and the other way round (heads 0 and 3 of
 * the 4-head topology), each CRTC at its new connector's preferred mode
 * with a noise framebuffer: each CRTC's CRC must equal the CPU's CRC of
 * its framebuffer, and each connector's output must show its new CRTC's
 * picture -- the driver's debugfs <connector>/vprime_output gives the
 * engine's OUTPUT_SOURCE (the head whose pipe drives the output) and
 * OUTPUT_CRC (the CRC of the picture the output's console shows, read
 * back), which must name the other head and equal the same CPU CRC.  If
 * the two connectors have the same mode, one CRTC then drives both (a
 * clone): both outputs show its picture.  With one head only the identity
 * is checked (connector 0 shows CRTC 0) and the rest is a declared SKIP.
 * Helpers: kms-lib.c, gpu-lib.c (GET_PARAM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "gpu-lib.h"
#include "guest-test.h"
#include "kms-lib.h"

/*
 * What the driver reads from the engine for a connector's output: the
 * head driving it (-1: none) and its OUTPUT_CRC.  0, or -1 unreadable.
 */
static int output_state(struct kms *k, uint32_t conn_id, int *src, uint32_t *crc)
{
	drmModeConnector *conn = drmModeGetConnector(k->fd, conn_id);
	const char *type = conn ? drmModeGetConnectorTypeName(conn->connector_type) : NULL;
	char path[256], buf[512], *p;
	FILE *f;
	size_t n;
	unsigned int h;

	if (!conn || !type) {
		drmModeFreeConnector(conn);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/%s-%u/vprime_output",
		 k->minor, type, conn->connector_type_id);
	drmModeFreeConnector(conn);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strstr(buf, "source: ");
	if (!p)
		return -1;
	if (!strncmp(p, "source: none", 12))
		*src = -1;
	else if (sscanf(p, "source: head %u", &h) == 1)
		*src = h;
	else
		return -1;
	p = strstr(buf, "output crc: ");
	return p && sscanf(p, "output crc: 0x%x", crc) == 1 ? 0 : -1;
}

/* Connector conn_id's output shows head src's picture, of CPU CRC want */
static void expect_output(struct kms *k, uint32_t conn_id, int src, uint32_t want,
			  const char *what)
{
	uint32_t crc = 0;
	int got = -2;

	if (output_state(k, conn_id, &got, &crc)) {
		CHECK(0, "%s: connector %u: debugfs vprime_output unreadable", what, conn_id);
		return;
	}
	CHECK(got == src, "%s: connector %u driven by head %d, expected head %d", what,
	      conn_id, got, src);
	CHECK(crc == want, "%s: connector %u shows CRC 0x%08x, CPU computed 0x%08x", what,
	      conn_id, crc, want);
	if (got == src && crc == want)
		diag("%s: connector %u shows head %d, CRC 0x%08x matches", what, conn_id,
		     src, crc);
}

/*
 * One commit: CRTC of head c[i] drives the connector of head o[i], at
 * that connector's mode, primary plane showing fb[i]; 0 or -errno
 */
static int route_commit(struct kms *k, struct head **c, struct head **o,
			struct fb *fb, int n)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t blob[2] = { 0, 0 };
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		if (drmModeCreatePropertyBlob(k->fd, &o[i]->mode, sizeof(o[i]->mode),
					      &blob[i]))
			ret = -errno;
		add_prop(req, k->fd, o[i]->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID",
			 c[i]->crtc);
		add_prop(req, k->fd, c[i]->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob[i]);
		add_prop(req, k->fd, c[i]->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1);
		plane_props(req, k, c[i]->plane[VPRIME_PLANE_PRIMARY], c[i]->crtc, &fb[i],
			    0, 0, 0, 0, fb[i].width, fb[i].height);
	}
	if (!ret && drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL))
		ret = -errno;
	drmModeAtomicFree(req);
	for (i = 0; i < n; i++)
		if (blob[i])
			drmModeDestroyPropertyBlob(k->fd, blob[i]);
	return ret;
}

/*
 * Heads hd[0..n-1] off, CRTCs, connectors and planes, in one commit:
 * kms_disable_all() turns a head's CRTC and connector off together, which
 * a routed CRTC (on another head's connector) refuses
 */
static void routes_off(struct kms *k, struct head **hd, int n)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int i, p;

	for (i = 0; i < n; i++) {
		add_prop(req, k->fd, hd[i]->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
		add_prop(req, k->fd, hd[i]->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", 0);
		add_prop(req, k->fd, hd[i]->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 0);
		for (p = 0; p < VPRIME_DISP_PLANES; p++)
			if (hd[i]->plane[p])
				plane_props(req, k, hd[i]->plane[p], 0, NULL, 0, 0, 0, 0, 0, 0);
	}
	CHECK(!drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL),
	      "turning the routed heads off: %s", strerror(errno));
	drmModeAtomicFree(req);
}

/* CRTC c's CRC (capture on, as OUTPUT_CRC needs) and the output of connector o */
static void check_route(struct kms *k, struct head *c, struct head *o, const struct fb *f,
			const char *what)
{
	struct head ch = *c;

	if (crc_start(k, &ch))
		return;
	kms_crc_link(k, c);	/* of the monitor it drives now: a 6 bpc panel truncates */
	expect_crc(k, &ch, fb_crc(f), what);
	expect_output(k, o->conn, c->index, fb_crc(f), what);
	crc_stop(&ch);
}

int test_kms_crossbar_crc(struct ctx *c)
{
	struct head *hd[2] = { NULL, NULL }, *crtc[2], *out[2];
	struct fb fb[2] = { 0 };
	uint64_t caps = 0;
	struct kms k;
	int i, n, ret = 0;

	KMS_OPEN(c, &k);
	CHECK(!get_param(k.fd, VPRIME_PARAM_DISPLAY_CAPS, &caps), "GET_PARAM DISPLAY_CAPS");
	if (!(caps & VPRIME_DISP_CAP_CROSSBAR)) {
		kms_close(&k);
		printf("# SKIP the engine has no crossbar (DISP_CAPS 0x%llx)\n",
		       (unsigned long long)caps);
		return EXIT_SKIP;
	}
	/* every connector's encoder takes every CRTC */
	for (i = 0; i < k.nheads; i++) {
		drmModeConnector *conn = drmModeGetConnector(k.fd, k.heads[i].conn);
		drmModeEncoder *enc = conn && conn->count_encoders ?
				      drmModeGetEncoder(k.fd, conn->encoders[0]) : NULL;

		CHECK(enc && enc->possible_crtcs == (1u << k.nheads) - 1,
		      "head %d: encoder possible_crtcs 0x%x, expected 0x%x", i,
		      enc ? enc->possible_crtcs : 0, (1u << k.nheads) - 1);
		drmModeFreeEncoder(enc);
		drmModeFreeConnector(conn);
	}

	n = kms_feature_heads(&k, hd);
	if (!n) {
		kms_close(&k);
		printf("# SKIP no connected head\n");
		return EXIT_SKIP;
	}
	for (i = 0; i < n; i++) {
		CHECK(!fb_new(&k, &fb[i], hd[i]->mode.hdisplay, hd[i]->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "fb");
		fb_fill_noise(&fb[i], 290 + 2 * i);	/* the seed's bit 0 is ignored */
	}
	if (failures)
		goto out;
	/* the outputs' pictures must tell the two CRTCs apart */
	CHECK(n < 2 || fb_crc(&fb[0]) != fb_crc(&fb[1]), "both framebuffers' CRC 0x%08x",
	      fb_crc(&fb[0]));
	kms_disable_all(&k);

	if (n < 2) {
		/* identity: connector 0 shows CRTC 0 */
		CHECK(!head_enable(&k, hd[0], &fb[0], 0), "head %d on: %s", hd[0]->index,
		      strerror(errno));
		if (!failures)
			check_route(&k, hd[0], hd[0], &fb[0], "identity");
		if (!failures) {
			printf("# SKIP one connected head: no other CRTC to route (identity checked)\n");
			ret = EXIT_SKIP;
		}
		goto out;
	}

	/* swapped in one commit: CRTC 0 on the last connector, and back */
	diag("CRTC of head %d drives connector of head %d (%ux%u), and the other way round",
	     hd[0]->index, hd[1]->index, hd[1]->mode.hdisplay, hd[1]->mode.vdisplay);
	crtc[0] = hd[0];
	out[0] = hd[1];
	crtc[1] = hd[1];
	out[1] = hd[0];
	{
		/* each CRTC shows a framebuffer of its new connector's size */
		struct fb swapped[2] = { fb[1], fb[0] };

		CHECK(!route_commit(&k, crtc, out, swapped, 2), "swap commit: %s",
		      strerror(errno));
		if (!failures) {
			check_route(&k, crtc[0], out[0], &swapped[0], "swapped");
			check_route(&k, crtc[1], out[1], &swapped[1], "swapped");
		}
	}

	/* one CRTC drives both connectors, if they share a mode */
	routes_off(&k, hd, 2);
	if (hd[0]->mode.hdisplay == hd[1]->mode.hdisplay &&
	    hd[0]->mode.vdisplay == hd[1]->mode.vdisplay &&
	    hd[0]->mode.clock == hd[1]->mode.clock) {
		struct fb clone[2] = { fb[1], fb[1] };

		crtc[0] = crtc[1] = hd[1];
		CHECK(!route_commit(&k, crtc, out, clone, 2), "clone commit: %s",
		      strerror(errno));
		if (!failures) {
			check_route(&k, hd[1], hd[0], &fb[1], "clone");
			check_route(&k, hd[1], hd[1], &fb[1], "clone");
		}
		routes_off(&k, hd, 2);
	} else {
		diag("heads %d and %d have different modes: no clone", hd[0]->index,
		     hd[1]->index);
	}
out:
	kms_disable_all(&k);
	for (i = 0; i < 2; i++)
		if (fb[i].fb_id)
			fb_free(&k, &fb[i]);
	kms_close(&k);
	return ret;
}
