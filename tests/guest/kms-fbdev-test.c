// SPDX-License-Identifier: GPL-2.0-only
/*
 * fbdev emulation (issue 16): the display driver's /dev/fbN, the kernel
 * console (fbcon) on it, and both on head 0 as the device scans it.
 *
 * The fbdev client lights every connected head with its framebuffer at
 * probe and again whenever the last DRM master closes; earlier tests were
 * masters, so the test first makes head 0's state one the CPU reference
 * knows (no colour pipeline, an opaque primary: what a previous test may
 * have left), drops master and has fbdev restore its mode (an
 * FBIOPUT_VSCREENINFO that forces it, as a VT switch back to text does).
 * Then:
 *
 * - geometry: head 0 scans the fbdev framebuffer; the visible size is
 *   head 0's mode (the smallest mode of the heads fbdev lit, which
 *   fbdev shows on all of them), the virtual size and line length are
 *   the framebuffer's, 32 bits per pixel XRGB8888;
 * - pixels: with the VT in graphics mode (fbcon draws nothing), a noise
 *   pattern written through an mmap of /dev/fbN (fbdev's shadow buffer:
 *   deferred I/O, flushed by fsync, has it copied into the framebuffer
 *   with damage) becomes head 0's device CRC (the CPU composes the same
 *   crop of the mapping);
 * - console: back in text mode, text written to the VT with the cursor
 *   hidden: fbcon drew it (glyph pixels in the mapping where the text
 *   is) and head 0's device CRC is that of the mapping again.
 *
 * With the driver's fbdev=0, or on a contiguous-only engine (the driver
 * leaves fbdev out: its buffers are scattered shmem pages), there is no
 * fbdev: SKIP, said.  Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fb.h>
#include <linux/kd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

/*
 * The name drm_fb_helper gives the display driver's fbdev,
 * "vprime_displaydrmfb", as fb_fix_screeninfo's 16 bytes keep it
 */
#define FBDEV_NAME	"vprime_displayd"
#define CONSOLE_TEXT	"vprime fbdev console on head 0"

/* The /dev/fbN of the display driver: N, or -1 */
static int fbdev_index(void)
{
	struct dirent *de;
	int idx = -1;
	DIR *d;

	d = opendir("/sys/class/graphics");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], name[64];
		int n;

		if (sscanf(de->d_name, "fb%d", &n) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/class/graphics/%s/name", de->d_name);
		if (read_file(path, name, sizeof(name)) > 0 &&
		    !strncmp(name, FBDEV_NAME, strlen(FBDEV_NAME))) {
			idx = n;
			break;
		}
	}
	closedir(d);
	return idx;
}

/*
 * Head 0's colour pipeline off and its primary opaque, properties a
 * previous test may have left set and fbdev's restore does not touch.
 */
static void head_plain(struct kms *k, struct head *hd)
{
	static const char *const crtc_props[] = { "DEGAMMA_LUT", "CTM", "GAMMA_LUT" };
	uint32_t prim = hd->plane[VPRIME_PLANE_PRIMARY];
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint64_t v;
	unsigned int i;

	for (i = 0; i < sizeof(crtc_props) / sizeof(crtc_props[0]); i++)
		if (prop_value(k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, crtc_props[i]) != ~0ull)
			add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, crtc_props[i], 0);
	v = prop_value(k->fd, prim, DRM_MODE_OBJECT_PLANE, "alpha");
	if (v != ~0ull)
		add_prop(req, k->fd, prim, DRM_MODE_OBJECT_PLANE, "alpha", 0xffff);
	CHECK(!drmModeAtomicCommit(k->fd, req, 0, NULL),
	      "head %d: clearing colour and alpha: %s", hd->index, strerror(errno));
	drmModeAtomicFree(req);
}

/*
 * Head 0's device CRC against the CPU's crop of the fbdev mapping.  What
 * was written reaches the engine asynchronously: deferred I/O (flushed by
 * fsync) or fbcon's damage schedules the damage blit into the
 * framebuffer and its DAMAGE, and the engine composes at the vblank after
 * that.  So the CRC is read frame by frame until it matches, for at most
 * FBDEV_FRAMES frames; the number it took is said.
 */
enum { FBDEV_FRAMES = 120 };

static void expect_fb_crc(struct kms *k, struct head *hd, int fbfd, struct fb *f,
			  const drmModeCrtc *crtc, const char *what)
{
	struct plane_img p = {
		.fb = f, .src_x = crtc->x, .src_y = crtc->y,
		.w = crtc->mode.hdisplay, .h = crtc->mode.vdisplay,
	};
	uint32_t want, got = 0, frames[64], crcs[64];
	int n, i;

	kms_crc_link(k, hd);	/* the console's mode set chose the link depth */
	want = compose_crc(crtc->mode.hdisplay, crtc->mode.vdisplay, &p, 1);

	CHECK(!fsync(fbfd), "%s: fsync: %s", what, strerror(errno));
	crc_read(hd, frames, crcs, 64);
	for (i = 0; i < FBDEV_FRAMES; i++) {
		if (!wait_vblanks(k, hd, 1, NULL))
			return;
		n = crc_read(hd, frames, crcs, 64);
		if (n) {
			got = crcs[n - 1];
			if (got == want)
				break;
		}
	}
	CHECK(got == want, "%s: head %d CRC 0x%08x, CPU computed 0x%08x, %d frames on",
	      what, hd->index, got, want, i);
	if (got == want)
		diag("%s: head %d CRC 0x%08x matches (%d frames after the fsync)", what,
		     hd->index, got, i);
}

/* Pixels of the w x h box at the top left that differ from the corner's */
static unsigned int box_ink(const struct fb *f, uint32_t w, uint32_t h)
{
	uint32_t bg = fb_pixel_argb(f, 0, 0), x, y;
	unsigned int n = 0;

	for (y = 0; y < h && y < f->height; y++)
		for (x = 0; x < w && x < f->width; x++)
			n += fb_pixel_argb(f, x, y) != bg;
	return n;
}

int test_kms_fbdev(struct ctx *c)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	drmModeCrtc *crtc = NULL;
	drmModeFB2 *dfb = NULL;
	uint32_t min_w = ~0u, min_h = ~0u;
	struct fb f = { 0 };
	struct head *hd;
	char path[64], param[8];
	int fbfd = -1, tty = -1, idx, i;
	struct kms k;
	void *map = MAP_FAILED;

	if (read_file("/sys/module/vprime_display/parameters/fbdev", param,
		      sizeof(param)) > 0 && param[0] == 'N') {
		printf("# SKIP fbdev emulation is off (vprime_display.fbdev=0)\n");
		return EXIT_SKIP;
	}
	if (cmdline_has("vprime.display_contig=1")) {
		/* fbdev's buffers are scattered shmem pages */
		if (fbdev_index() >= 0) {
			diag("FAIL: a contiguous-only engine has an fbdev (%s)", FBDEV_NAME);
			return EXIT_FAIL;
		}
		printf("# SKIP the engine is contiguous-only: the driver leaves fbdev out\n");
		return EXIT_SKIP;
	}
	KMS_OPEN(c, &k);
	hd = kms_first_connected(&k);
	if (!hd)
		goto out;
	idx = fbdev_index();
	CHECK(idx >= 0, "no /sys/class/graphics/fb*/name is %s", FBDEV_NAME);
	if (idx < 0)
		goto out;
	snprintf(path, sizeof(path), "/dev/fb%d", idx);
	fbfd = open(path, O_RDWR);
	CHECK(fbfd >= 0, "%s: %s", path, strerror(errno));
	if (fbfd < 0)
		goto out;

	/* a known head 0, then fbdev's mode back with nobody master */
	head_plain(&k, hd);
	drmDropMaster(k.fd);
	CHECK(!ioctl(fbfd, FBIOGET_VSCREENINFO, &var), "FBIOGET_VSCREENINFO: %s",
	      strerror(errno));
	var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
	CHECK(!ioctl(fbfd, FBIOPUT_VSCREENINFO, &var), "FBIOPUT_VSCREENINFO: %s",
	      strerror(errno));
	CHECK(!ioctl(fbfd, FBIOGET_VSCREENINFO, &var) &&
	      !ioctl(fbfd, FBIOGET_FSCREENINFO, &fix), "FBIOGET_*SCREENINFO: %s",
	      strerror(errno));
	if (failures)
		goto out;

	/* geometry */
	crtc = drmModeGetCrtc(k.fd, hd->crtc);
	CHECK(crtc && crtc->mode_valid && crtc->buffer_id,
	      "head %d is not on after fbdev restored its mode", hd->index);
	if (failures)
		goto out;
	dfb = drmModeGetFB2(k.fd, crtc->buffer_id);
	CHECK(dfb, "GETFB2 of head %d's framebuffer %u: %s", hd->index,
	      crtc->buffer_id, strerror(errno));
	if (!dfb)
		goto out;
	for (i = 0; i < k.nheads; i++) {
		drmModeCrtc *o = drmModeGetCrtc(k.fd, k.heads[i].crtc);

		if (o && o->mode_valid && o->buffer_id == crtc->buffer_id) {
			diag("head %d shows fbdev's framebuffer %u: %ux%u at (%u,%u)",
			     i, o->buffer_id, o->mode.hdisplay, o->mode.vdisplay, o->x, o->y);
			if (o->mode.hdisplay < min_w)
				min_w = o->mode.hdisplay;
			if (o->mode.vdisplay < min_h)
				min_h = o->mode.vdisplay;
		}
		drmModeFreeCrtc(o);
	}
	diag("%s: %ux%u visible, %ux%u virtual, %u bpp, line %u bytes, %u bytes",
	     path, var.xres, var.yres, var.xres_virtual, var.yres_virtual,
	     var.bits_per_pixel, fix.line_length, fix.smem_len);
	CHECK(var.xres == min_w && var.yres == min_h,
	      "%s is %ux%u, head %d's mode %ux%u (smallest of fbdev's heads %ux%u)",
	      path, var.xres, var.yres, hd->index, crtc->mode.hdisplay,
	      crtc->mode.vdisplay, min_w, min_h);
	CHECK(var.xres_virtual == dfb->width && var.yres_virtual <= dfb->height &&
	      fix.line_length == dfb->pitches[0] && var.bits_per_pixel == 32 &&
	      dfb->pixel_format == DRM_FORMAT_XRGB8888,
	      "%s: %ux%u virtual, line %u, %u bpp; framebuffer %ux%u, pitch %u, format %.4s",
	      path, var.xres_virtual, var.yres_virtual, fix.line_length,
	      var.bits_per_pixel, dfb->width, dfb->height, dfb->pitches[0],
	      (const char *)&dfb->pixel_format);
	CHECK(crtc->x + crtc->mode.hdisplay <= dfb->width &&
	      crtc->y + crtc->mode.vdisplay <= dfb->height,
	      "head %d scans past the framebuffer", hd->index);
	if (failures)
		goto out;

	map = mmap(NULL, fix.smem_len, PROT_READ | PROT_WRITE, MAP_SHARED, fbfd, 0);
	CHECK(map != MAP_FAILED, "mmap %s: %s", path, strerror(errno));
	if (map == MAP_FAILED)
		goto out;
	f.map = map;
	f.width = dfb->width;
	f.height = fix.smem_len / fix.line_length < dfb->height ?
		   fix.smem_len / fix.line_length : dfb->height;
	f.pitch = fix.line_length;
	f.format = DRM_FORMAT_XRGB8888;
	f.modifier = DRM_FORMAT_MOD_LINEAR;

	/* the foreground VT: fbcon stops drawing in graphics mode */
	tty = open("/dev/tty0", O_RDWR | O_NOCTTY);
	CHECK(tty >= 0, "/dev/tty0: %s", strerror(errno));
	if (tty < 0)
		goto out;
	CHECK(!ioctl(tty, KDSETMODE, KD_GRAPHICS), "KDSETMODE KD_GRAPHICS: %s",
	      strerror(errno));
	if (crc_start(&k, hd))
		goto text;

	fb_fill_noise(&f, 0xfb0 + hd->index);
	expect_fb_crc(&k, hd, fbfd, &f, crtc, "a pattern written through the fbdev mmap");

text:
	CHECK(!ioctl(tty, KDSETMODE, KD_TEXT), "KDSETMODE KD_TEXT: %s", strerror(errno));
	if (hd->crc_fd >= 0) {
		static const char text[] = "\033[?25l\033[2J\033[H" CONSOLE_TEXT "\n";
		unsigned int ink;

		CHECK(write(tty, text, strlen(text)) == (ssize_t)strlen(text),
		      "writing to the console: %s", strerror(errno));
		/* the text's line at the top left, glyphs up to 16x32 */
		ink = box_ink(&f, 16 * strlen(CONSOLE_TEXT), 32);
		diag("console text: %u pixels of ink in its box", ink);
		CHECK(ink > 4 * strlen(CONSOLE_TEXT),
		      "fbcon drew %u pixels for \"%s\"", ink, CONSOLE_TEXT);
		expect_fb_crc(&k, hd, fbfd, &f, crtc, "the console text");
		crc_stop(hd);
	}
	write(tty, "\033[?25h", 6);

out:
	if (tty >= 0)
		close(tty);
	if (map != MAP_FAILED)
		munmap(map, fix.smem_len);
	if (fbfd >= 0)
		close(fbfd);
	drmModeFreeFB2(dfb);
	drmModeFreeCrtc(crtc);
	/* not master any more, and the heads are fbdev's: leave them on */
	for (i = 0; i < k.nheads; i++)
		k.heads[i].on = false;
	kms_close(&k);
	return 0;
}
