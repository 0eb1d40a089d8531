// SPDX-License-Identifier: GPL-2.0-only
/*
 * KMS helpers for the display tests (kms-test.c), written
 * against libdrm as any compositor would be.  Pixels are checked through
 * the CRC the device computes of every composed frame (DRM's debugfs CRC
 * interface), compared with a CRC computed here on the CPU from the same
 * pixels (hw/vprime-spec.rst defines what is hashed).  Tests that need the
 * host to act (screendump, connector unplug) ask through host-msg.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/memfd.h>
#include <linux/netlink.h>
#include <linux/sync_file.h>
#include <linux/udmabuf.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>
#include <zlib.h>

#include "guest-test.h"
#include "kms-lib.h"

/*
 * The components' bits the link of the head under test carries: all 8,
 * or the top 6 at 6 bpc (hw/vprime-spec.rst, "Output depth")
 */
static uint32_t link_mask = 0xffffff;

void kms_crc_bpc(unsigned int bpc)
{
	uint32_t m = bpc == VPRIME_BPC_6 ? VPRIME_BPC_6_MASK : 0xff;

	link_mask = m << 16 | m << 8 | m;
}

/*
 * Ask the host agent for a screendump of head @hd (@w x @h), checksummed
 * as the display's CRC, and compare it with @crc: @what (the screen, a
 * capture...) is what the host's screen must show.  Without the host
 * control channel (a guest run by hand) it is not compared.
 */
void host_screendump_vs(struct head *hd, uint32_t w, uint32_t h, uint32_t crc,
			const char *name, const char *what)
{
	struct hreply rep;
	struct hmsg req;
	int ret;

	hmsg_start(&req, "screendump-crc");
	hmsg_str(&req, "device", "display0");
	hmsg_int(&req, "head", hd->index);
	hmsg_u64(&req, "width", w);
	hmsg_u64(&req, "height", h);
	hmsg_u64(&req, "crc", crc);
	hmsg_str(&req, "name", name);
	ret = host_call(&req, &rep, 60);
	if (ret == -ENODEV) {
		diag("head %d: %s: no host control channel, %s is not compared with a screendump (the harness provides it)",
		     hd->index, name, what);
		return;
	}
	CHECK(!ret && rep.ok, "head %d: %s: %s against the host's screendump: %s",
	      hd->index, name, what, ret ? strerror(-ret) : hreply_why(&rep));
	if (!ret && rep.ok)
		diag("head %d: %s: host: %s", hd->index, name, hreply_why(&rep));
}

/*
 * The number after @key in the driver's debugfs vprime_state: in head
 * @h's lines, up to the next head's (@h < 0: anywhere); -1 if absent
 */
long long kms_state_value(struct kms *k, int h, const char *key)
{
	char path[PATH_MAX], buf[16384], hk[32], *p = buf, *next;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/vprime_state",
		 k->minor);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (h >= 0) {
		snprintf(hk, sizeof(hk), "head %d [", h);
		p = strstr(buf, hk);
		if (!p)
			return -1;
		next = strstr(p + 1, "\nhead ");
		if (next)
			next[1] = '\0';
	}
	p = strstr(p, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/*
 * The link depth the driver gave head @hd's CRTC (debugfs vprime_state
 * "output bpc"; 8 on an engine without OUTPUT_BPC), for frame_crc()
 */
unsigned int kms_crc_link(struct kms *k, struct head *hd)
{
	long long v = kms_state_value(k, hd->index, "  output bpc ");
	unsigned int bpc = v > 0 ? (unsigned int)v : VPRIME_BPC_8;

	kms_crc_bpc(bpc);
	return bpc;
}

/*
 * CRC of a composed frame held as XRGB values, as the spec defines it:
 * zlib's crc32() over each pixel's 4 little-endian bytes, alpha zeroed,
 * as the link of the head under test sends it (kms_crc_link(): each
 * component truncated to 6 bits at 6 bpc, e.g. on a 6 bpc eDP panel)
 */
uint32_t frame_crc(const uint32_t *xrgb, uint32_t w, uint32_t h)
{
	uint32_t crc = 0, x, n;
	uint8_t buf[4 * 4096];
	size_t i, total = (size_t)w * h;

	/* rows are consecutive, so the frame is one run of pixels */
	for (i = 0; i < total; i += n) {
		n = total - i < 4096 ? total - i : 4096;
		for (x = 0; x < n; x++) {
			uint32_t v = xrgb[i + x] & link_mask;

			buf[4 * x] = v;
			buf[4 * x + 1] = v >> 8;
			buf[4 * x + 2] = v >> 16;
			buf[4 * x + 3] = 0;
		}
		crc = crc32(crc, buf, 4 * n);
	}
	return crc;
}

/* ---- pixels --------------------------------------------------------------- */

uint32_t fmt_cpp(uint32_t fourcc)
{
	return fourcc == DRM_FORMAT_RGB565 ? 2 : 4;
}

/* Bytes of a tile row of a registered tiled modifier; 0: linear or unknown */
uint32_t mod_tile_w(uint64_t mod)
{
	if (mod == I915_FORMAT_MOD_X_TILED)
		return 512;
	if (mod == I915_FORMAT_MOD_Y_TILED)
		return 128;
	if (mod == MOD_NV_BLOCK)
		return 64;
	return 0;
}

/* Rows of its tiles (4 KiB each); 1 for linear */
uint32_t mod_tile_h(uint64_t mod)
{
	return mod_tile_w(mod) ? 4096 / mod_tile_w(mod) : 1;
}

/*
 * Byte offset of pixel (x, y) in a buffer of the given modifier, as the
 * public definitions give it (drm_fourcc.h; the Tegra X1 TRM's GOB),
 * written as address bits: 4 KiB tiles, pitch / tile width per tile row.
 */
size_t px_offset(uint64_t mod, uint32_t pitch, uint32_t cpp, uint32_t x,
		 uint32_t y)
{
	size_t xb = (size_t)x * cpp;

	if (mod == I915_FORMAT_MOD_X_TILED)	/* 512 B x 8, row-major */
		return (((size_t)(y >> 3) * (pitch >> 9) + (xb >> 9)) << 12) |
		       (y & 7) << 9 | (xb & 511);
	if (mod == I915_FORMAT_MOD_Y_TILED)	/* 128 B x 32, OWORD columns */
		return (((size_t)(y >> 5) * (pitch >> 7) + (xb >> 7)) << 12) |
		       ((xb >> 4) & 7) << 9 | (y & 31) << 4 | (xb & 15);
	if (mod == MOD_NV_BLOCK)		/* 8 GOBs of 64 B x 8, 16Bx2 */
		return (((size_t)(y >> 6) * (pitch >> 6) + (xb >> 6)) << 12) |
		       ((y >> 3) & 7) << 9 | ((xb >> 5) & 1) << 8 |
		       ((y >> 1) & 3) << 6 | ((xb >> 4) & 1) << 5 |
		       (y & 1) << 4 | (xb & 15);
	return (size_t)y * pitch + xb;
}

/* A stored pixel of a format as premultiplied ARGB (alpha 0xff if none) */
uint32_t px_to_argb(uint32_t fourcc, uint32_t v)
{
	uint32_t r, g, b;

	switch (fourcc) {
	case DRM_FORMAT_ARGB8888:
		return v;
	case DRM_FORMAT_XBGR8888:
		return 0xff000000 | (v & 0xff) << 16 | (v & 0xff00) |
		       ((v >> 16) & 0xff);
	case DRM_FORMAT_RGB565:
		r = (v >> 11) & 0x1f;
		g = (v >> 5) & 0x3f;
		b = v & 0x1f;
		return 0xff000000 | ((r << 3) | (r >> 2)) << 16 |
		       ((g << 2) | (g >> 4)) << 8 | ((b << 3) | (b >> 2));
	default:
		return 0xff000000 | v;
	}
}

/* pixman's OVER on premultiplied 8-bit channels */
static uint32_t un8_mul(uint32_t a, uint32_t b)
{
	uint32_t t = a * b + 0x80;

	return ((t >> 8) + t) >> 8;
}

uint32_t blend_over(uint32_t dst, uint32_t src)
{
	uint32_t ia = 255 - (src >> 24), out = 0;
	int shift;

	for (shift = 0; shift < 32; shift += 8) {
		uint32_t s = (src >> shift) & 0xff, d = (dst >> shift) & 0xff;
		uint32_t v = s + un8_mul(d, ia);

		out |= (v > 255 ? 255 : v) << shift;
	}
	return out;
}

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Fill w x h pixels of a framebuffer with seeded noise */
void fb_fill_noise(struct fb *f, uint32_t seed)
{
	uint32_t x, y, cpp = fmt_cpp(f->format);

	rng_state = seed | 1;
	for (y = 0; y < f->height; y++) {
		for (x = 0; x < f->width; x++) {
			uint8_t *p = f->map + px_offset(f->modifier, f->pitch, cpp, x, y);
			uint32_t v = rng();

			if (cpp == 2) {
				*(uint16_t *)p = v;
			} else {
				if (f->format == DRM_FORMAT_ARGB8888) {
					/* valid premultiplied: channels <= alpha */
					uint32_t a = v >> 24, r = un8_mul((v >> 16) & 0xff, a),
						 g = un8_mul((v >> 8) & 0xff, a),
						 b = un8_mul(v & 0xff, a);

					v = a << 24 | r << 16 | g << 8 | b;
				}
				*(uint32_t *)p = v;
			}
		}
	}
}

/* Fill with the GPU test pattern, as XRGB8888 (linear) */
void fb_fill_pattern(struct fb *f, uint32_t frame, uint32_t tag)
{
	uint32_t x, y;

	for (y = 0; y < f->height; y++)
		for (x = 0; x < f->width; x++)
			*(uint32_t *)(f->map + (size_t)y * f->pitch + 4 * x) =
				vprime_pattern_pixel(frame, tag, x, y);
}

uint32_t fb_pixel_argb(const struct fb *f, uint32_t x, uint32_t y)
{
	uint32_t cpp = fmt_cpp(f->format);
	const uint8_t *p = f->map + px_offset(f->modifier, f->pitch, cpp, x, y);

	return px_to_argb(f->format, cpp == 2 ? *(const uint16_t *)p :
					   *(const uint32_t *)p);
}

/*
 * The CPU's pixel (x, y) of a head showing @prim full screen and @ovl (if
 * any) OVER it at (ox, oy): XRGB, x the composed frame's
 */
uint32_t compose_two_px(const struct fb *prim, const struct fb *ovl,
			uint32_t ox, uint32_t oy, uint32_t x, uint32_t y)
{
	uint32_t px = blend_over(0xff000000, fb_pixel_argb(prim, x, y));

	if (ovl && x >= ox && y >= oy && x - ox < ovl->width &&
	    y - oy < ovl->height)
		px = blend_over(px | 0xff000000,
				fb_pixel_argb(ovl, x - ox, y - oy));
	return px & 0xffffff;
}

/*
 * CPU composition of a head: black, then each plane (primary, overlay,
 * cursor) OVER, at its destination; returns the frame CRC.
 */
/*
 * The source pixel a destination pixel of a scaled plane shows (the
 * display spec's nearest neighbour): the one under its centre, (2x + 1)
 * src / (2 dst) rounded down; x itself unscaled.
 */
static uint32_t nearest_src(uint32_t x, uint32_t src, uint32_t dst)
{
	return (uint32_t)((2 * (uint64_t)x + 1) * src / (2 * (uint64_t)dst));
}

/*
 * The source pixel (*sx, *sy), relative to the source rectangle, that
 * pixel (x, y) of the plane's destination shows: nearest neighbour in the
 * rotated image, then back through the counter-clockwise turn and the
 * reflections (reflect-x mirrors left-right, before the turn)
 */
static void plane_src_pixel(const struct plane_img *p, uint32_t dw, uint32_t dh,
			    uint32_t x, uint32_t y, uint32_t *sx, uint32_t *sy)
{
	bool quarter = p->rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
	uint32_t ow = quarter ? p->h : p->w, oh = quarter ? p->w : p->h;
	uint32_t X = nearest_src(x, ow, dw), Y = nearest_src(y, oh, dh);
	uint32_t rx = X, ry = Y;

	if (p->rotation & DRM_MODE_ROTATE_90) {
		rx = p->w - 1 - Y;
		ry = X;
	} else if (p->rotation & DRM_MODE_ROTATE_180) {
		rx = p->w - 1 - X;
		ry = p->h - 1 - Y;
	} else if (p->rotation & DRM_MODE_ROTATE_270) {
		rx = Y;
		ry = p->h - 1 - X;
	}
	*sx = p->rotation & DRM_MODE_REFLECT_X ? p->w - 1 - rx : rx;
	*sy = p->rotation & DRM_MODE_REFLECT_Y ? p->h - 1 - ry : ry;
}

/*
 * A plane's premultiplied pixel @s as it blends by its plane alpha (top 8
 * bits, pa) and pixel blend mode: Pre-multiplied c' = mul(c, pa),
 * a' = mul(a, pa); Coverage k = mul(a, pa), c' = mul(c, k), a' = k;
 * None c' = mul(c, pa), a' = pa
 */
static uint32_t plane_blend(const struct plane_img *p, uint32_t s)
{
	uint32_t pa = p->alpha >> 8, a = s >> 24, k = pa, out;
	int shift;

	if (!p->blend)
		return s;
	if (p->blend_mode == VPRIME_BLEND_COVERAGE) {
		k = un8_mul(a, pa);
		out = k << 24;
	} else if (p->blend_mode == VPRIME_BLEND_PREMULTI) {
		out = un8_mul(a, pa) << 24;
	} else {
		out = pa << 24;
	}
	for (shift = 0; shift < 24; shift += 8)
		out |= un8_mul((s >> shift) & 0xff, k) << shift;
	return out;
}

uint32_t compose_crc(uint32_t w, uint32_t h, const struct plane_img *planes,
		     int n)
{
	uint32_t *out = calloc((size_t)w * h, 4), crc;
	int i;
	uint32_t x, y;

	for (i = 0; i < n; i++) {
		const struct plane_img *p = &planes[i];
		bool quarter = p->rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270);
		uint32_t dw = p->dst_w ? p->dst_w : quarter ? p->h : p->w;
		uint32_t dh = p->dst_h ? p->dst_h : quarter ? p->w : p->h;

		for (y = 0; y < dh; y++) {
			for (x = 0; x < dw; x++) {
				int32_t dx = p->dst_x + (int32_t)x, dy = p->dst_y + (int32_t)y;
				uint32_t *d, sx, sy;

				if (dx < 0 || dy < 0 || dx >= (int32_t)w || dy >= (int32_t)h)
					continue;
				d = &out[(size_t)dy * w + dx];
				plane_src_pixel(p, dw, dh, x, y, &sx, &sy);
				*d = blend_over(*d | 0xff000000,
						plane_blend(p, p->fb->nplanes ?
							    fb_pixel_yuv(p->fb, p->src_x + sx,
									 p->src_y + sy, p->yuv) :
							    fb_pixel_argb(p->fb,
									  p->src_x + sx,
									  p->src_y + sy)));
			}
		}
	}
	crc = frame_crc(out, w, h);
	free(out);
	return crc;
}

uint32_t fb_crc(const struct fb *f)
{
	struct plane_img p = { .fb = f, .w = f->width, .h = f->height };

	return compose_crc(f->width, f->height, &p, 1);
}

/* The CRC of frame @frame of the test pattern with @tag in a buffer like @like */
uint32_t fb_pattern_crc(const struct fb *like, uint32_t frame, uint32_t tag)
{
	struct fb ref = *like;
	uint32_t crc;

	ref.map = malloc((size_t)ref.pitch * ref.height);
	if (!ref.map)
		return 0;
	fb_fill_pattern(&ref, frame, tag);
	crc = fb_crc(&ref);
	free(ref.map);
	return crc;
}

/* ---- KMS objects ----------------------------------------------------------- */

/* A property of a KMS object by name: its id (0 if none) and current value */
static uint32_t prop_find(int fd, uint32_t obj, uint32_t type, const char *name,
			  uint64_t *value)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	uint32_t id = 0, i;

	if (!props)
		return 0;
	for (i = 0; i < props->count_props && !id; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, name)) {
			id = p->prop_id;
			*value = props->prop_values[i];
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

/*
 * Property ids do not change while a card is open: look each up once.
 * Every atomic commit adds about ten properties, and a lookup costs two
 * ioctls per property of the object.
 */
static struct {
	int fd;
	uint32_t obj;
	const char *name;
	uint32_t id;
} prop_cache[128];
static unsigned int prop_cached;

static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name)
{
	uint64_t value;
	uint32_t id;
	unsigned int i;

	for (i = 0; i < prop_cached; i++)
		if (prop_cache[i].fd == fd && prop_cache[i].obj == obj &&
		    !strcmp(prop_cache[i].name, name))
			return prop_cache[i].id;
	id = prop_find(fd, obj, type, name, &value);
	if (id && prop_cached < sizeof(prop_cache) / sizeof(prop_cache[0]))
		prop_cache[prop_cached++] =
			(typeof(prop_cache[0])){ fd, obj, strdup(name), id };
	return id;
}

/* Forget the cached ids of a card that is being closed */
static void prop_cache_drop(int fd)
{
	unsigned int i, n = 0;

	for (i = 0; i < prop_cached; i++) {
		if (prop_cache[i].fd == fd)
			free((void *)prop_cache[i].name);
		else
			prop_cache[n++] = prop_cache[i];
	}
	prop_cached = n;
}

uint64_t prop_value(int fd, uint32_t obj, uint32_t type, const char *name)
{
	uint64_t v = ~0ull;

	return prop_find(fd, obj, type, name, &v) ? v : ~0ull;
}

void add_prop(drmModeAtomicReq *req, int fd, uint32_t obj, uint32_t type,
	      const char *name, uint64_t value)
{
	uint32_t id = prop_id(fd, obj, type, name);

	if (!id) {
		diag("FAIL: object %u has no property %s", obj, name);
		failures++;
		return;
	}
	drmModeAtomicAddProperty(req, obj, id, value);
}

/* Open the display engine's card and map its heads; EXIT_SKIP if none */
int kms_open(struct ctx *c, struct kms *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = dev_node_open(c, VPRIME_KIND_DISPLAY, false);
	if (k->fd < 0) {
		printf("# SKIP no display engine in this topology\n");
		return EXIT_SKIP;
	}
	return kms_adopt(k);
}

/* The first head with a monitor; NULL (a failure, said) if none has one */
struct head *kms_first_connected(struct kms *k)
{
	int i;

	for (i = 0; i < k->nheads; i++)
		if (k->heads[i].connected)
			return &k->heads[i];
	diag("FAIL: no connected head");
	failures++;
	return NULL;
}

/*
 * The heads a feature test runs on: the first connected one and, if
 * another is connected, the last (a head other than 0).  Returns how many
 * (0 is a failure, said).
 */
int kms_feature_heads(struct kms *k, struct head **out)
{
	int i, n = 0;

	out[n] = kms_first_connected(k);
	if (!out[n])
		return 0;
	n++;
	for (i = k->nheads - 1; i > out[0]->index; i--) {
		if (k->heads[i].connected) {
			out[n++] = &k->heads[i];
			break;
		}
	}
	return n;
}

/* Map the heads (CRTC, connector, planes, preferred mode) of an open card */
int kms_adopt(struct kms *k)
{
	drmModeRes *res;
	drmModePlaneRes *pres;
	struct stat st;
	uint32_t i, j;

	if (drmSetClientCap(k->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(k->fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		diag("FAIL: the display driver refuses atomic clients");
		return EXIT_FAIL;
	}
	fstat(k->fd, &st);
	k->minor = minor(st.st_rdev);
	res = drmModeGetResources(k->fd);
	pres = drmModeGetPlaneResources(k->fd);
	if (!res || !pres) {
		diag("FAIL: no KMS resources");
		return EXIT_FAIL;
	}
	k->nheads = res->count_crtcs;
	if (k->nheads > VPRIME_HEADS_MAX || res->count_connectors < k->nheads) {
		diag("FAIL: %d CRTCs and %d connectors, expected one each per head",
		     res->count_crtcs, res->count_connectors);
		return EXIT_FAIL;
	}
	for (i = 0; i < (uint32_t)k->nheads; i++) {
		struct head *hd = &k->heads[i];

		hd->index = i;
		hd->crc_fd = -1;
		hd->crtc = res->crtcs[i];
		hd->conn = res->connectors[i];
	}
	for (i = 0; i < pres->count_planes; i++) {
		drmModePlane *p = drmModeGetPlane(k->fd, pres->planes[i]);
		uint64_t type = prop_value(k->fd, pres->planes[i],
					   DRM_MODE_OBJECT_PLANE, "type");

		for (j = 0; j < (uint32_t)k->nheads; j++) {
			if (!(p->possible_crtcs & (1u << j)))
				continue;
			if (type == DRM_PLANE_TYPE_PRIMARY)
				k->heads[j].plane[VPRIME_PLANE_PRIMARY] = p->plane_id;
			else if (type == DRM_PLANE_TYPE_OVERLAY &&
				 !k->heads[j].plane[VPRIME_PLANE_OVERLAY])
				k->heads[j].plane[VPRIME_PLANE_OVERLAY] = p->plane_id;
			else if (type == DRM_PLANE_TYPE_OVERLAY)	/* created later */
				k->heads[j].plane[VPRIME_PLANE_OVERLAY2] = p->plane_id;
			else if (type == DRM_PLANE_TYPE_CURSOR)
				k->heads[j].plane[VPRIME_PLANE_CURSOR] = p->plane_id;
		}
		drmModeFreePlane(p);
	}
	for (i = 0; i < (uint32_t)k->nheads; i++) {
		struct head *hd = &k->heads[i];
		drmModeConnector *conn = drmModeGetConnector(k->fd, hd->conn);
		drmModeCrtc *crtc;

		/* virtio-gpu (benchmark comparison) has no overlay plane */
		CHECK(hd->plane[VPRIME_PLANE_PRIMARY], "head %u has no primary plane", i);
		hd->connected = conn && conn->connection == DRM_MODE_CONNECTED;
		/*
		 * A head may be on already (fbdev lights its heads whenever
		 * the last master closes): kms_disable_all() turns it off
		 * like the test's own
		 */
		crtc = drmModeGetCrtc(k->fd, hd->crtc);
		hd->on = crtc && crtc->mode_valid;
		drmModeFreeCrtc(crtc);
		if (hd->connected && conn->count_modes) {
			int m;

			hd->mode = conn->modes[0];
			for (m = 0; m < conn->count_modes; m++)
				if (conn->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
					hd->mode = conn->modes[m];
					break;
				}
		}
		drmModeFreeConnector(conn);
	}
	drmModeFreeResources(res);
	drmModeFreePlaneResources(pres);
	return failures ? EXIT_FAIL : 0;
}

void kms_close(struct kms *k)
{
	kms_disable_all(k);
	if (k->fd >= 0) {
		prop_cache_drop(k->fd);
		close(k->fd);
	}
	k->fd = -1;
}

/* A framebuffer: dumb buffer (linear or tiled), mapped */
int fb_new(struct kms *k, struct fb *f, uint32_t w, uint32_t h,
	   uint32_t format, uint64_t modifier)
{
	uint32_t cpp = fmt_cpp(format), hh = h, ww = w;
	struct drm_mode_create_dumb cd = { 0 };
	struct drm_mode_map_dumb md = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint64_t mods[4] = { 0 };

	memset(f, 0, sizeof(*f));
	if (mod_tile_w(modifier)) {
		/* whole tiles: pitch a multiple of the tile width, whole tile rows */
		uint32_t tw = mod_tile_w(modifier), th = mod_tile_h(modifier);

		ww = (w * cpp + tw - 1) / tw * tw / cpp;
		hh = (h + th - 1) / th * th;
	}
	cd.width = ww;
	cd.height = hh;
	cd.bpp = cpp * 8;
	if (ioctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -errno;
	f->handle = cd.handle;
	f->size = cd.size;
	f->pitch = cd.pitch;
	f->width = w;
	f->height = h;
	f->format = format;
	f->modifier = modifier;
	md.handle = cd.handle;
	if (ioctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &md))
		return -errno;
	f->map = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd,
		      md.offset);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return -errno;
	}
	memset(f->map, 0, f->size);
	handles[0] = f->handle;
	pitches[0] = f->pitch;
	mods[0] = modifier;
	/* linear without the modifier flag: drivers without modifier support
	 * (virtio-gpu in the benchmark) refuse the flag itself */
	if (drmModeAddFB2WithModifiers(k->fd, w, h, format, handles, pitches,
				       offsets, mods, &f->fb_id,
				       modifier == DRM_FORMAT_MOD_LINEAR ? 0 :
				       DRM_MODE_FB_MODIFIERS))
		return -errno;
	return 0;
}

/* A framebuffer over a dma-buf of another exporter (not mapped here) */
int fb_import(struct kms *k, struct fb *f, int dmabuf, uint32_t w, uint32_t h,
	      uint32_t pitch, uint32_t format, uint64_t modifier)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { pitch }, offsets[4] = { 0 };
	uint64_t mods[4] = { modifier };

	memset(f, 0, sizeof(*f));
	if (drmPrimeFDToHandle(k->fd, dmabuf, &f->handle))
		return -errno;
	f->width = w;
	f->height = h;
	f->pitch = pitch;
	f->format = format;
	f->modifier = modifier;
	f->imported = true;
	handles[0] = f->handle;
	if (drmModeAddFB2WithModifiers(k->fd, w, h, format, handles, pitches,
				       offsets, mods, &f->fb_id,
				       DRM_MODE_FB_MODIFIERS))
		return -errno;
	return 0;
}

/*
 * The spec's YUV to RGB conversion, from the standards' Kr and Kb (BT.601
 * 0.299, 0.114; BT.709 0.2126, 0.0722): coefficients round(65536 c) of
 * R = Y' + 2(1 - Kr) V', G = Y' - 2(1 - Kb) Kb / Kg U' - 2(1 - Kr) Kr / Kg V',
 * B = Y' + 2(1 - Kb) U' (limited range: Y' = (Y - 16) 255 / 219, U', V' =
 * (U, V - 128) 255 / 224; full: Y, U - 128, V - 128), then each channel
 * floor((sum + 32768) / 65536) clamped to 0..255
 */
uint32_t yuv_to_argb(uint8_t y, uint8_t u, uint8_t v, uint32_t yuv)
{
	double kr = yuv & VPRIME_PL_YUV_BT709 ? 0.2126 : 0.299;
	double kb = yuv & VPRIME_PL_YUV_BT709 ? 0.0722 : 0.114;
	double kg = 1 - kr - kb;
	int full = !!(yuv & VPRIME_PL_YUV_FULL);
	double ys = full ? 1 : 255.0 / 219, cs = full ? 1 : 255.0 / 224;
	int64_t cy = (int64_t)(ys * 65536 + 0.5);
	int64_t crv = (int64_t)(2 * (1 - kr) * cs * 65536 + 0.5);
	int64_t cgu = (int64_t)(2 * (1 - kb) * kb / kg * cs * 65536 + 0.5);
	int64_t cgv = (int64_t)(2 * (1 - kr) * kr / kg * cs * 65536 + 0.5);
	int64_t cbu = (int64_t)(2 * (1 - kb) * cs * 65536 + 0.5);
	int64_t yy = cy * ((int64_t)y - (full ? 0 : 16));
	int64_t uu = (int64_t)u - 128, vv = (int64_t)v - 128;
	int64_t c[3] = { yy + crv * vv, yy - cgu * uu - cgv * vv, yy + cbu * uu };
	uint32_t out = 0xff000000;
	int i;

	for (i = 0; i < 3; i++) {
		int64_t t = c[i] + 32768;
		/* floor division, negative sums too */
		int64_t q = t >= 0 ? t / 65536 : -((-t + 65535) / 65536);

		out |= (uint32_t)(q < 0 ? 0 : q > 255 ? 255 : q) << (16 - 8 * i);
	}
	return out;
}

/* Pixel (x, y) of a YUV framebuffer: Y there, U and V of sample (x/2, y/2) */
uint32_t fb_pixel_yuv(const struct fb *f, uint32_t x, uint32_t y, uint32_t yuv)
{
	uint8_t l = f->maps[0][f->offsets[0] + (size_t)y * f->pitches[0] + x], u, v;

	if (f->format == DRM_FORMAT_NV12) {
		const uint8_t *uv = f->maps[1] + f->offsets[1] +
				    (size_t)(y / 2) * f->pitches[1] + (x / 2) * 2;

		u = uv[0];
		v = uv[1];
	} else {
		u = f->maps[1][f->offsets[1] + (size_t)(y / 2) * f->pitches[1] + x / 2];
		v = f->maps[2][f->offsets[2] + (size_t)(y / 2) * f->pitches[2] + x / 2];
	}
	return yuv_to_argb(l, u, v, yuv);
}

/*
 * An NV12 or YUV420 framebuffer, each framebuffer plane in a dumb buffer
 * of its own (so each has its own page list), planes 1 and 2 starting a
 * row into theirs (a non-zero offset), all filled with zeros
 */
int fb_new_yuv(struct kms *k, struct fb *f, uint32_t w, uint32_t h, uint32_t format)
{
	uint32_t n = format == DRM_FORMAT_NV12 ? 2 : 3, i;
	uint64_t mods[4] = { 0 };

	memset(f, 0, sizeof(*f));
	f->width = w;
	f->height = h;
	f->format = format;
	f->modifier = DRM_FORMAT_MOD_LINEAR;
	f->nplanes = n;
	for (i = 0; i < n; i++) {
		/* bytes per row of samples, a little padding; rows (+1: the offset) */
		uint32_t row = !i ? w : format == DRM_FORMAT_NV12 ? 2 * ((w + 1) / 2) :
			       (w + 1) / 2;
		uint32_t rows = !i ? h : (h + 1) / 2 + 1;
		struct drm_mode_create_dumb cd = { .width = row + 24, .height = rows, .bpp = 8 };
		struct drm_mode_map_dumb md = { 0 };

		if (ioctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
			return -errno;
		f->handles[i] = cd.handle;
		f->pitches[i] = cd.pitch;
		f->sizes[i] = cd.size;
		f->offsets[i] = i ? cd.pitch : 0;
		md.handle = cd.handle;
		if (ioctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &md))
			return -errno;
		f->maps[i] = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED,
				  k->fd, md.offset);
		if (f->maps[i] == MAP_FAILED) {
			f->maps[i] = NULL;
			return -errno;
		}
		memset(f->maps[i], 0, cd.size);
	}
	f->handle = f->handles[0];
	f->map = f->maps[0];
	f->pitch = f->pitches[0];
	f->size = f->sizes[0];
	if (drmModeAddFB2WithModifiers(k->fd, w, h, format, f->handles, f->pitches,
				       f->offsets, mods, &f->fb_id, 0))
		return -errno;
	return 0;
}

/* Every byte of a YUV framebuffer's buffers: noise from @seed */
void fb_fill_yuv_noise(struct fb *f, uint32_t seed)
{
	uint64_t j;
	uint32_t i;

	rng_state = seed | 1;
	for (i = 0; i < f->nplanes; i++)
		for (j = 0; j < f->sizes[i]; j++)
			f->maps[i][j] = rng() >> 8;
}

void fb_free(struct kms *k, struct fb *f)
{
	struct drm_gem_close cl = { .handle = f->handle };
	uint32_t i;

	/* a YUV framebuffer's planes 1 and 2 */
	for (i = 1; i < f->nplanes; i++) {
		struct drm_gem_close c2 = { .handle = f->handles[i] };

		if (f->maps[i])
			munmap(f->maps[i], f->sizes[i]);
		if (f->handles[i])
			ioctl(k->fd, DRM_IOCTL_GEM_CLOSE, &c2);
	}

	if (f->fb_id)
		drmModeRmFB(k->fd, f->fb_id);
	if (f->map && !f->imported)
		munmap(f->map, f->size);
	if (f->handle)
		ioctl(k->fd, DRM_IOCTL_GEM_CLOSE, &cl);
	memset(f, 0, sizeof(*f));
}

/*
 * A plane's properties: @f's w x h at (sx, sy) shown dw x dh at (x, y)
 * (the plane scales where they differ); @f NULL turns the plane off
 */
void plane_props_scaled(drmModeAtomicReq *req, struct kms *k, uint32_t plane,
			uint32_t crtc, const struct fb *f, int32_t x, int32_t y,
			uint32_t sx, uint32_t sy, uint32_t w, uint32_t h,
			uint32_t dw, uint32_t dh)
{
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "FB_ID", f ? f->fb_id : 0);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_ID", f ? crtc : 0);
	if (!f)
		return;
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_X", (uint64_t)sx << 16);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_Y", (uint64_t)sy << 16);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_W", (uint64_t)w << 16);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "SRC_H", (uint64_t)h << 16);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_X", (uint64_t)(int64_t)x);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_Y", (uint64_t)(int64_t)y);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_W", dw);
	add_prop(req, k->fd, plane, DRM_MODE_OBJECT_PLANE, "CRTC_H", dh);
}

void plane_props(drmModeAtomicReq *req, struct kms *k, uint32_t plane,
		 uint32_t crtc, const struct fb *f, int32_t x, int32_t y,
		 uint32_t sx, uint32_t sy, uint32_t w, uint32_t h)
{
	plane_props_scaled(req, k, plane, crtc, f, x, y, sx, sy, w, h, w, h);
}

/* Turn a head on with fb full-screen on the primary plane */
int head_enable(struct kms *k, struct head *hd, const struct fb *f,
		uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t blob = 0;
	int ret;

	if (drmModeCreatePropertyBlob(k->fd, &hd->mode, sizeof(hd->mode), &blob))
		return -errno;
	add_prop(req, k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", hd->crtc);
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blob);
	add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1);
	plane_props(req, k, hd->plane[VPRIME_PLANE_PRIMARY], hd->crtc, f, 0, 0,
		    0, 0, f->width, f->height);
	ret = drmModeAtomicCommit(k->fd, req, flags | DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	ret = ret ? -errno : 0;
	drmModeAtomicFree(req);
	drmModeDestroyPropertyBlob(k->fd, blob);
	if (!ret && !(flags & DRM_MODE_ATOMIC_TEST_ONLY)) {
		hd->on = true;
		kms_crc_link(k, hd);	/* the references follow its link */
	}
	return ret;
}

/*
 * Point the head's primary plane at f, no mode change, with atomic commit
 * @flags (0: blocking; NONBLOCK | PAGE_FLIP_EVENT for a flip); 0 or -errno.
 */
int flip_to(struct kms *k, struct head *hd, const struct fb *f, uint32_t flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	int ret;

	plane_props(req, k, hd->plane[VPRIME_PLANE_PRIMARY], hd->crtc, f, 0, 0,
		    0, 0, f->width, f->height);
	ret = drmModeAtomicCommit(k->fd, req, flags, NULL) ? -errno : 0;
	drmModeAtomicFree(req);
	return ret;
}

void kms_disable_all(struct kms *k)
{
	int i;

	for (i = 0; i < k->nheads; i++) {
		struct head *hd = &k->heads[i];
		drmModeAtomicReq *req;
		int p;

		if (!hd->on)
			continue;
		req = drmModeAtomicAlloc();
		add_prop(req, k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", 0);
		add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", 0);
		add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 0);
		for (p = 0; p < VPRIME_DISP_PLANES; p++)
			if (hd->plane[p])
				plane_props(req, k, hd->plane[p], 0, NULL, 0, 0, 0, 0, 0, 0);
		CHECK(!drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL),
		      "turning head %d off: %s", i, strerror(errno));
		drmModeAtomicFree(req);
		hd->on = false;
	}
}

/* Frame period of a mode in ns, as the device counts it */
uint64_t mode_period_ns(const drmModeModeInfo *m)
{
	return (uint64_t)m->htotal * m->vtotal * 1000000ull / m->clock;
}

/* Wait for vblanks on a head; returns the sequence reached, 0 on error */
uint32_t wait_vblanks(struct kms *k, struct head *hd, uint32_t n, double *ts)
{
	drmVBlank vbl = { 0 };

	vbl.request.type = DRM_VBLANK_RELATIVE |
		((hd->index << DRM_VBLANK_HIGH_CRTC_SHIFT) & DRM_VBLANK_HIGH_CRTC_MASK);
	vbl.request.sequence = n;
	if (drmWaitVBlank(k->fd, &vbl)) {
		diag("FAIL: drmWaitVBlank on head %d: %s", hd->index, strerror(errno));
		failures++;
		return 0;
	}
	if (ts)
		*ts = vbl.reply.tval_sec + vbl.reply.tval_usec / 1e6;
	return vbl.reply.sequence;
}

/* ---- CRC through DRM's debugfs interface ------------------------------------ */

int crc_start(struct kms *k, struct head *hd)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/crtc-%d/crc/control",
		 k->minor, hd->index);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "auto", 4) != 4) {
		diag("FAIL: %s: %s", path, strerror(errno));
		failures++;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/crtc-%d/crc/data",
		 k->minor, hd->index);
	hd->crc_fd = open(path, O_RDONLY | O_NONBLOCK);
	if (hd->crc_fd < 0) {
		diag("FAIL: %s: %s", path, strerror(errno));
		failures++;
		return -1;
	}
	return 0;
}

void crc_stop(struct head *hd)
{
	if (hd->crc_fd >= 0)
		close(hd->crc_fd);
	hd->crc_fd = -1;
}

/* Read the CRC entries available now: (frame, crc) pairs; returns count */
int crc_read(struct head *hd, uint32_t *frames, uint32_t *crcs, int max)
{
	char buf[64];
	int n = 0;

	for (;;) {
		ssize_t r = read(hd->crc_fd, buf, sizeof(buf) - 1);
		unsigned int fr, cr;

		if (r <= 0)
			break;
		buf[r] = 0;
		if (sscanf(buf, "%x %x", &fr, &cr) != 2 && sscanf(buf, "0x%x 0x%x", &fr, &cr) != 2)
			continue;
		if (n < max) {
			frames[n] = fr;
			crcs[n] = cr;
			n++;
		} else {
			memmove(frames, frames + 1, (max - 1) * sizeof(*frames));
			memmove(crcs, crcs + 1, (max - 1) * sizeof(*crcs));
			frames[max - 1] = fr;
			crcs[max - 1] = cr;
		}
	}
	return n;
}

/* The CRC of the frame on screen now: drain, wait 2 vblanks, last entry */
int crc_current(struct kms *k, struct head *hd, uint32_t *crc)
{
	uint32_t frames[64], crcs[64];
	int n;

	crc_read(hd, frames, crcs, 64);
	if (!wait_vblanks(k, hd, 2, NULL))
		return -1;
	n = crc_read(hd, frames, crcs, 64);
	if (!n) {
		diag("FAIL: no CRC entry from head %d after 2 vblanks", hd->index);
		failures++;
		return -1;
	}
	*crc = crcs[n - 1];
	return 0;
}

/* Check the head's current device CRC against the one the CPU computed */
void expect_crc(struct kms *k, struct head *hd, uint32_t want,
		const char *what)
{
	uint32_t got = 0;

	if (crc_current(k, hd, &got))
		return;
	CHECK(got == want, "%s: head %d CRC 0x%08x, CPU computed 0x%08x", what,
	      hd->index, got, want);
	if (got == want)
		diag("%s: head %d CRC 0x%08x matches", what, hd->index, got);
}

/* Whether a DRM hotplug uevent arrives on the netlink socket within ms */
int wait_hotplug_uevent(int nl, int ms)
{
	struct pollfd pfd = { .fd = nl, .events = POLLIN };
	char buf[4096];

	while (poll(&pfd, 1, ms) > 0) {
		ssize_t n = recv(nl, buf, sizeof(buf) - 1, 0), off;
		bool drm = false, hp = false;

		if (n <= 0)
			continue;
		buf[n] = 0;
		for (off = 0; off < n; off += strlen(buf + off) + 1) {
			if (!strcmp(buf + off, "SUBSYSTEM=drm"))
				drm = true;
			if (!strcmp(buf + off, "HOTPLUG=1"))
				hp = true;
		}
		if (drm && hp)
			return 1;
	}
	return 0;
}

/* The connector's connection state (DRM_MODE_*) and how many modes it has */
int connector_state(struct kms *k, struct head *hd, int *modes)
{
	drmModeConnector *conn = drmModeGetConnector(k->fd, hd->conn);
	int st = conn ? conn->connection : -1;

	*modes = conn ? conn->count_modes : 0;
	drmModeFreeConnector(conn);
	return st;
}

/* ---- foreign exporters ------------------------------------------------------- */

/* The card node of the first DRM device whose driver has this name */
int drm_card_by_driver(const char *driver)
{
	char path[64], name[32];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		memset(name, 0, sizeof(name));
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, driver))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/* A vgem dumb buffer, mapped (unless map is NULL), exported: returns the dma-buf fd */
int vgem_buffer(int vfd, uint32_t w, uint32_t h, uint32_t bpp, uint32_t *pitch,
		void **map, size_t *size)
{
	struct drm_mode_create_dumb cd = { .width = w, .height = h, .bpp = bpp };
	struct drm_mode_map_dumb md = { 0 };
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC | DRM_RDWR };

	if (ioctl(vfd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -errno;
	md.handle = exp.handle = cd.handle;
	if (map && ioctl(vfd, DRM_IOCTL_MODE_MAP_DUMB, &md))
		return -errno;
	if (map)
		*map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, md.offset);
	if (map && *map == MAP_FAILED)
		return -errno;
	if (ioctl(vfd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp))
		return -errno;
	*pitch = cd.pitch;
	*size = cd.size;
	return exp.fd;
}

/*
 * memfd pages as a dma-buf (hugetlb: one physically contiguous 2 MiB
 * page), mapped unless map is NULL
 */
int udmabuf_buffer(size_t size, bool huge, void **map)
{
	int mfd = syscall(SYS_memfd_create, "vprime",
			  MFD_ALLOW_SEALING | (huge ? MFD_HUGETLB : 0));
	struct udmabuf_create uc = { .size = size };
	int ufd, dfd;

	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, size) || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		close(mfd);
		return -errno;
	}
	if (map)
		*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map && *map == MAP_FAILED) {
		close(mfd);
		return -errno;
	}
	ufd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	uc.memfd = mfd;
	dfd = ufd < 0 ? -errno : ioctl(ufd, UDMABUF_CREATE, &uc);
	if (dfd < 0)
		dfd = -errno;
	if (ufd >= 0)
		close(ufd);
	close(mfd);
	return dfd;
}

/* Export a GEM handle as a dma-buf fd (or -errno) */
int prime_export(int fd, uint32_t handle)
{
	struct drm_prime_handle exp = { .handle = handle,
					.flags = DRM_CLOEXEC | DRM_RDWR };

	return ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp) ? -errno : exp.fd;
}

/* Read one DRM event (page flip or vblank) within ms; 1 if got */
int read_event(int fd, int ms, struct drm_event_vblank *ev)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[256];
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(*ev))
		return 0;
	memcpy(ev, buf, sizeof(*ev));
	return 1;
}

/* CLOCK_MONOTONIC in seconds */
double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Where @field starts in head h's part of the display driver's debugfs
 * vprime_state, read into buf (len bytes); NULL if it cannot be read.
 */
static char *head_state_field(struct kms *k, int h, const char *field,
			      char *buf, size_t len)
{
	char path[PATH_MAX], key[32], *p;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/vprime_state",
		 k->minor);
	if (read_file(path, buf, len) <= 0)
		return NULL;
	snprintf(key, sizeof(key), "head %d [", h);
	p = strstr(buf, key);
	return p ? strstr(p, field) : NULL;
}

/* Head h's underrun count in the display driver's debugfs vprime_state */
long long head_underruns(struct kms *k, int h)
{
	char buf[16384], *p;

	p = head_state_field(k, h, "underruns ", buf, sizeof(buf));
	return p ? strtoll(p + strlen("underruns "), NULL, 10) : -1;
}

/*
 * What the display driver says of head h's latest flip event (debugfs
 * vprime_state, "last flip event: ..."): 0, or -1 if it cannot be read.
 */
int head_last_flip(struct kms *k, int h, struct flip_record *r)
{
	char buf[16384], *p, *eol;

	p = head_state_field(k, h, "last flip event: ", buf, sizeof(buf));
	if (!p)
		return -1;
	eol = strchr(p, '\n');
	if (eol)
		*eol = 0;
	if (sscanf(p, "last flip event: sequence %u, frame %u; update after "
		   "frame %u, latched at frame %u", &r->seq, &r->event_frame,
		   &r->update_frame, &r->latch_frame) != 4)
		return -1;
	r->turned_on = strstr(p, ", turned the head on") != NULL;
	r->count_passed = strstr(p, ", vblank count already past") != NULL;
	r->ts_grid = strstr(p, ", timestamp on the grid") != NULL;
	r->async = false;
	p = strstr(p, ", async, frame ");
	if (p && sscanf(p, ", async, frame %u after the write", &r->after_frame) == 1)
		r->async = true;
	return 0;
}
