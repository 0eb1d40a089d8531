// SPDX-License-Identifier: GPL-2.0-only
/*
 * "max bpc" (issue 16): the connector property that caps the depth of
 * the link to the monitor.
 *
 * The engine composes 8-bit components and sends its outputs 6, 8, 10 or
 * 12 bits per component (OUTPUT_BPC); at 6 each component keeps its top
 * 6 bits, truncated, in what the output shows and in the head's CRC
 * (hw/vprime-spec.rst, "Output depth").  The monitors' EDIDs state a
 * depth: the eDP panel 6, DisplayPort 10, HDMI and the virtual monitor 8.
 * The driver runs the link at min("max bpc", the monitor's depth), rounded
 * down to a depth the engine takes.
 *
 * On the eDP head and a DisplayPort head (on a topology with neither,
 * the first connected head), for "max bpc" 12 (the default), 6, 8, 10,
 * 12 in turn:
 * - the monitor's depth as the driver read it from the EDID (debugfs
 *   vprime_output "monitor bpc") is the one its type states;
 * - a new "max bpc" is a modeset: without ALLOW_MODESET it is refused;
 * - the link depth the driver programmed (debugfs vprime_state "output
 *   bpc", vprime_output "link") is min(max bpc, monitor) rounded down --
 *   above the monitor's depth it is clamped to it;
 * - the device CRC of a noise frame is the CPU's CRC of that frame with
 *   each component truncated to 6 bits when the link is 6, unchanged
 *   otherwise, and so is the CRC of the picture the output shows
 *   (OUTPUT_CRC, with the crossbar) and of the host's screendump.
 * Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
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

/* What a 6-bit link keeps of a 0x00RRGGBB pixel */
#define BPC6_MASK	(VPRIME_BPC_6_MASK << 16 | VPRIME_BPC_6_MASK << 8 | VPRIME_BPC_6_MASK)

/* The depth the engine's EDID states for a connector type */
static unsigned int monitor_bpc_of(uint32_t connector_type)
{
	switch (connector_type) {
	case DRM_MODE_CONNECTOR_eDP:
		return 6;
	case DRM_MODE_CONNECTOR_DisplayPort:
		return 10;
	default:
		return 8;
	}
}

/* The link depth the driver must choose: min, rounded down to 6/8/10/12 */
static unsigned int link_bpc(unsigned int requested, unsigned int monitor)
{
	unsigned int bpc = requested < monitor ? requested : monitor;

	return bpc >= 12 ? 12 : bpc >= 10 ? 10 : bpc >= 8 ? 8 : 6;
}

/* The connector's debugfs vprime_output, read into buf; false if it cannot be */
static bool output_file(struct kms *k, struct head *hd, char *buf, size_t len)
{
	char path[PATH_MAX];
	drmModeConnector *conn = drmModeGetConnector(k->fd, hd->conn);

	if (!conn)
		return false;
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/%s-%u/vprime_output",
		 k->minor, drmModeGetConnectorTypeName(conn->connector_type),
		 conn->connector_type_id);
	drmModeFreeConnector(conn);
	return read_file(path, buf, len) > 0;
}

/* A number after @key in buf; -1 if absent */
static long field(const char *buf, const char *key, int base)
{
	const char *p = strstr(buf, key);

	return p ? strtol(p + strlen(key), NULL, base) : -1;
}

/*
 * The CPU's CRC of the full-screen primary sent over a link of @bpc, by
 * the test's own rule (not the driver's link depth, which kms-lib's
 * frame_crc() otherwise follows)
 */
static uint32_t link_crc(const struct fb *prim, unsigned int bpc)
{
	uint32_t w = prim->width, h = prim->height, x, y, crc;
	uint32_t mask = bpc == 6 ? BPC6_MASK : 0xffffff;
	uint32_t *out = malloc((size_t)w * h * 4);

	if (!out)
		return 0;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			out[(size_t)y * w + x] = fb_pixel_argb(prim, x, y) & mask;
	kms_crc_bpc(bpc);
	crc = frame_crc(out, w, h);
	free(out);
	return crc;
}

/* Commit "max bpc" on the head's connector; 0 or -errno */
static int set_max_bpc(struct kms *k, struct head *hd, unsigned int bpc, uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int ret;

	add_prop(req, k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR, "max bpc", bpc);
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

/* The property: a range 6..12, 12 by default */
static void check_property(struct kms *k, struct head *hd)
{
	drmModeObjectProperties *props;
	bool found = false;
	uint32_t i;

	props = drmModeObjectGetProperties(k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR);
	for (i = 0; props && i < props->count_props; i++) {
		drmModePropertyRes *p = drmModeGetProperty(k->fd, props->props[i]);

		if (p && !strcmp(p->name, "max bpc")) {
			found = true;
			CHECK(drm_property_type_is(p, DRM_MODE_PROP_RANGE) &&
			      p->count_values == 2 && p->values[0] == 6 && p->values[1] == 12,
			      "head %d: \"max bpc\" is not the range 6..12", hd->index);
			CHECK(props->prop_values[i] == 12, "head %d: \"max bpc\" %llu by default, want 12",
			      hd->index, (unsigned long long)props->prop_values[i]);
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	CHECK(found, "head %d: the connector has no \"max bpc\"", hd->index);
}

static void max_bpc_head(struct kms *k, struct head *hd, const struct fb *prim)
{
	static const unsigned int requested[] = { 12, 6, 8, 10, 12 };
	drmModeConnector *conn = drmModeGetConnector(k->fd, hd->conn);
	unsigned int mon, cur = 12, i;
	char buf[1024], what[96], name[64];
	long got;

	if (!conn) {
		CHECK(0, "head %d: no connector", hd->index);
		return;
	}
	mon = monitor_bpc_of(conn->connector_type);
	diag("head %d: %s-%u", hd->index, drmModeGetConnectorTypeName(conn->connector_type),
	     conn->connector_type_id);
	drmModeFreeConnector(conn);

	check_property(k, hd);
	CHECK(output_file(k, hd, buf, sizeof(buf)), "head %d: no debugfs vprime_output",
	      hd->index);
	got = field(buf, "monitor bpc: ", 10);
	CHECK(got == (long)mon, "head %d: the monitor states %ld bpc, want %u", hd->index,
	      got, mon);
	if (failures)
		return;
	diag("head %d: the monitor's EDID states %u bpc", hd->index, mon);

	CHECK(!head_enable(k, hd, prim, 0), "head %d: mode set: %s", hd->index,
	      strerror(errno));
	for (i = 0; i < ARRAY_SIZE(requested) && !failures; i++) {
		unsigned int want = link_bpc(requested[i], mon);
		uint32_t crc = link_crc(prim, want);
		int ret;

		snprintf(what, sizeof(what), "max bpc %u, monitor %u: link %u",
			 requested[i], mon, want);
		if (requested[i] != cur) {
			ret = set_max_bpc(k, hd, requested[i], DRM_MODE_ATOMIC_TEST_ONLY);
			CHECK(ret == -EINVAL, "head %d: %s without ALLOW_MODESET gave %d, want -EINVAL",
			      hd->index, what, ret);
		}
		crc_stop(hd);
		ret = set_max_bpc(k, hd, requested[i], DRM_MODE_ATOMIC_ALLOW_MODESET);
		CHECK(!ret, "head %d: %s: %s", hd->index, what, strerror(-ret));
		if (ret || crc_start(k, hd))
			return;
		cur = requested[i];
		CHECK(prop_value(k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR, "max bpc") == cur,
		      "head %d: \"max bpc\" does not read back %u", hd->index, cur);

		got = kms_state_value(k, hd->index, "output bpc ");
		CHECK(got == (long)want, "head %d: %s: vprime_state says output bpc %ld",
		      hd->index, what, got);
		CHECK(output_file(k, hd, buf, sizeof(buf)) &&
		      field(buf, "max bpc: ", 10) == (long)cur &&
		      field(buf, "requested, link ", 10) == (long)want,
		      "head %d: %s: vprime_output does not say \"max bpc: %u requested, link %u\"",
		      hd->index, what, cur, want);

		expect_crc(k, hd, crc, what);
		/* the output's own read-back of the picture it shows */
		if (output_file(k, hd, buf, sizeof(buf)) && strstr(buf, "output crc: ")) {
			got = field(buf, "output crc: ", 16);
			CHECK((uint32_t)got == crc, "head %d: %s: OUTPUT_CRC 0x%08lx, CPU computed 0x%08x",
			      hd->index, what, got, crc);
		}
		snprintf(name, sizeof(name), "max-bpc-head%d-step%u-%u", hd->index, i, requested[i]);
		host_screendump_vs(hd, hd->mode.hdisplay, hd->mode.vdisplay, crc, name,
				   "the screen");
		if (!failures)
			diag("head %d: %s: CRC 0x%08x (%s), output and screen agree", hd->index,
			     what, crc, want == 6 ? "truncated to 6 bits" : "8-bit frame unchanged");
	}
	crc_stop(hd);
	kms_disable_all(k);
}

/* The eDP head and the first DisplayPort head, else the first connected */
static int max_bpc_heads(struct kms *k, struct head **out)
{
	bool edp = false, dp = false;
	int i, n = 0;

	for (i = 0; i < k->nheads; i++) {
		drmModeConnector *conn;

		if (!k->heads[i].connected)
			continue;
		conn = drmModeGetConnector(k->fd, k->heads[i].conn);
		if (!conn)
			continue;
		if (conn->connector_type == DRM_MODE_CONNECTOR_eDP && !edp) {
			edp = true;
			out[n++] = &k->heads[i];
		} else if (conn->connector_type == DRM_MODE_CONNECTOR_DisplayPort && !dp) {
			dp = true;
			out[n++] = &k->heads[i];
		}
		drmModeFreeConnector(conn);
	}
	if (!n) {
		out[0] = kms_first_connected(k);
		n = out[0] != NULL;
	}
	return n;
}

int test_kms_max_bpc(struct ctx *c)
{
	struct head *heads[2];
	struct fb prim;
	struct kms k;
	int i, n;

	KMS_OPEN(c, &k);
	n = max_bpc_heads(&k, heads);
	if (!n)
		return EXIT_FAIL;
	for (i = 0; i < n && !failures; i++) {
		struct head *hd = heads[i];

		CHECK(!fb_new(&k, &prim, hd->mode.hdisplay, hd->mode.vdisplay,
			      DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR), "primary fb");
		if (failures)
			break;
		/* noise: every component's two low bits take every value */
		fb_fill_noise(&prim, 71 + hd->index);
		max_bpc_head(&k, hd, &prim);
		fb_free(&k, &prim);
	}
	kms_close(&k);
	return 0;
}
