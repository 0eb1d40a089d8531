// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: planes.
 *
 * Every head has a primary, two overlays and a cursor plane, composed by
 * zpos (mutable on all four: any order), each scanning a framebuffer by
 * DMA from a page list (or one contiguous range).  Primary and overlays
 * scale (VPRIME_PL_DST_SIZE) from 4x down to
 * 8x up per axis, with the SCALING_FILTER the user picks: Default is the
 * engine's bilinear filter, Nearest Neighbor its exact nearest pixel; and
 * they rotate by quarter turns and reflect (the rotation property, every
 * combination) and blend with a plane alpha in any of DRM's three pixel
 * blend modes.  They also scan NV12 and YUV420 framebuffers (linear),
 * each framebuffer plane from its own buffer and page list, converted by
 * the engine as COLOR_ENCODING (BT.601, BT.709) and COLOR_RANGE (limited,
 * full) say.  The cursor neither scales, rotates, takes a plane alpha nor
 * YUV.  A scale beyond the limits is -ERANGE, the
 * answer of drm_atomic_helper_check_plane_state().  The plane registers are
 * shadow registers: atomic_update writes them and the CRTC's atomic_flush
 * makes the head latch them all at the next vblank.
 *
 * The engine refuses a bad configuration at latch and shows nothing for
 * the plane, so atomic_check refuses everything the engine would: a commit
 * that passes the check (TEST_ONLY or not) is shown as asked.
 */

#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_blend.h>
#include <drm/drm_color_mgmt.h>
#include <drm/drm_damage_helper.h>
#include <drm/drm_drv.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_print.h>

#include "vprime_display_drv.h"

/* The RGB formats every plane takes, then the YUV ones (not the cursor) */
static const u32 vprime_plane_formats[] = {
	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ARGB8888,
	DRM_FORMAT_XBGR8888,
	DRM_FORMAT_RGB565,
	DRM_FORMAT_NV12,
	DRM_FORMAT_YUV420,
};
#define VPRIME_PLANE_RGB_FORMATS	4

/**
 * vprime_format_to_hw - VPRIME_FMT_* of a DRM fourcc, 0 if the engine has none
 * @fourcc: DRM_FORMAT_*
 *
 * Returns: the VPRIME_FMT_* value, or 0.
 */
u32 vprime_format_to_hw(u32 fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
		return VPRIME_FMT_XRGB8888;
	case DRM_FORMAT_ARGB8888:
		return VPRIME_FMT_ARGB8888;
	case DRM_FORMAT_XBGR8888:
		return VPRIME_FMT_XBGR8888;
	case DRM_FORMAT_RGB565:
		return VPRIME_FMT_RGB565;
	case DRM_FORMAT_NV12:
		return VPRIME_FMT_NV12;
	case DRM_FORMAT_YUV420:
		return VPRIME_FMT_YUV420;
	}
	return 0;
}

/* The engine's YUV formats: linear only, converted by VPRIME_PL_YUV */
static bool vprime_format_is_yuv(u32 fourcc)
{
	return fourcc == DRM_FORMAT_NV12 || fourcc == DRM_FORMAT_YUV420;
}

static bool vprime_plane_format_mod_supported(struct drm_plane *plane,
					      u32 format, u64 modifier)
{
	struct vprime_display *disp = to_vprime_display(plane->dev);
	int l;

	if (!vprime_format_to_hw(format))
		return false;
	if (modifier == DRM_FORMAT_MOD_LINEAR)
		return true;
	if (vprime_format_is_yuv(format))
		return false;
	/* every RGB format tiles, in each layout the planes scan */
	l = vprime_modifier_layout(modifier);
	return l >= 0 && (disp->hw.layouts & BIT(l));
}

/*
 * The framebuffer as a whole: layout rules and where its pages are.
 * Independent of the plane's position, so that the answer is the same
 * whatever the rectangles.
 */
static int vprime_plane_check_bo(struct drm_plane *plane,
				 struct drm_gem_object *obj);

static int vprime_plane_check_fb(struct drm_plane *plane,
				 struct drm_framebuffer *fb)
{
	unsigned int cpp = fb->format->cpp[0];
	unsigned int i, tw;
	int ret;

	if (!vprime_plane_format_mod_supported(plane, fb->format->format,
					       fb->modifier)) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] format %p4cc modifier 0x%llx not supported\n",
			       plane->base.id, &fb->format->format, fb->modifier);
		return -EINVAL;
	}
	if (fb->modifier != DRM_FORMAT_MOD_LINEAR) {
		tw = vprime_layout_tile_width(vprime_modifier_layout(fb->modifier));
		if (fb->pitches[0] % tw || fb->offsets[0] % VPRIME_TILE_SIZE) {
			drm_dbg_atomic(plane->dev, "[PLANE:%d] tiled pitch %u or offset %u not aligned to %u/%u\n",
				       plane->base.id, fb->pitches[0], fb->offsets[0],
				       tw, VPRIME_TILE_SIZE);
			return -EINVAL;
		}
	} else if (fb->pitches[0] % cpp) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] pitch %u not a multiple of %u bytes\n",
			       plane->base.id, fb->pitches[0], cpp);
		return -EINVAL;
	}
	/* each framebuffer plane's buffer, scanned through its own page list */
	for (i = 0; i < fb->format->num_planes; i++) {
		ret = vprime_plane_check_bo(plane, fb->obj[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* One buffer a plane scans: size, DMA mapping, reach */
static int vprime_plane_check_bo(struct drm_plane *plane,
				 struct drm_gem_object *obj)
{
	struct vprime_display *disp = to_vprime_display(plane->dev);
	struct vprime_display_bo *bo = to_vprime_display_bo(obj);
	int ret;

	if (!obj->size || obj->size > VPRIME_DISP_FB_MAX) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] buffer of %zu bytes, the engine scans up to %u\n",
			       plane->base.id, obj->size, VPRIME_DISP_FB_MAX);
		return -EINVAL;
	}

	ret = vprime_display_bo_map(bo);
	if (ret)
		return ret;
	if (bo->unaligned) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] buffer's DMA mapping is not made of 4 KiB pages\n",
			       plane->base.id);
		return -EINVAL;
	}
	if (bo->bounced) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] buffer is mapped through bounce buffers\n",
			       plane->base.id);
		return -EINVAL;
	}
	if (bo->dma_last > disp->dma_mask) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] buffer reaches DMA address 0x%llx, beyond the engine's %u bits\n",
			       plane->base.id, bo->dma_last, disp->dma_bits);
		return -EINVAL;
	}
	if (!(disp->disp_caps & VPRIME_DISP_CAP_SCATTER) && !bo->contiguous) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] buffer is not DMA-contiguous and the engine scans contiguous buffers only\n",
			       plane->base.id);
		return -EINVAL;
	}
	return 0;
}

/* The clipped source rectangle must lie in the buffer by the engine's rules. */
static int vprime_plane_check_rect_yuv(struct drm_plane *plane,
				       struct drm_plane_state *state);

static int vprime_plane_check_rect(struct drm_plane *plane,
				   struct drm_plane_state *state)
{
	struct drm_framebuffer *fb = state->fb;
	u64 cpp = fb->format->cpp[0];
	u64 pitch = fb->pitches[0];
	u64 sx = state->src.x1 >> 16, sy = state->src.y1 >> 16;
	u64 w = drm_rect_width(&state->src) >> 16;
	u64 h = drm_rect_height(&state->src) >> 16;
	u64 end;

	if (vprime_format_is_yuv(fb->format->format))
		return vprime_plane_check_rect_yuv(plane, state);

	if (pitch < (sx + w) * cpp) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] pitch %llu too small\n",
			       plane->base.id, pitch);
		return -EINVAL;
	}
	if (fb->modifier != DRM_FORMAT_MOD_LINEAR)
		end = fb->offsets[0] + round_up(sy + h, VPRIME_TILE_SIZE /
			vprime_layout_tile_width(vprime_modifier_layout(fb->modifier))) *
			pitch;
	else
		end = fb->offsets[0] + (sy + h - 1) * pitch + (sx + w) * cpp;
	if (end > fb->obj[0]->size) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] source ends at byte %llu of a %zu byte buffer\n",
			       plane->base.id, end, fb->obj[0]->size);
		return -EINVAL;
	}
	return 0;
}

/*
 * A YUV source against each framebuffer plane's buffer, as the engine
 * checks it: plane 0 holds one byte of Y per pixel, planes 1 (and 2) the
 * 4:2:0 chroma samples (x / 2, y / 2) of the pixels, 2 bytes each in
 * NV12's interleaved plane, 1 in YUV420's.
 */
static int vprime_plane_check_rect_yuv(struct drm_plane *plane,
				       struct drm_plane_state *state)
{
	struct drm_framebuffer *fb = state->fb;
	u64 sx = state->src.x1 >> 16, sy = state->src.y1 >> 16;
	u64 w = drm_rect_width(&state->src) >> 16;
	u64 h = drm_rect_height(&state->src) >> 16;
	unsigned int i;

	for (i = 0; i < fb->format->num_planes; i++) {
		u64 x0 = i ? sx / 2 : sx, y0 = i ? sy / 2 : sy;
		u64 cols = i ? (sx + w - 1) / 2 - x0 + 1 : w;
		u64 rows = i ? (sy + h - 1) / 2 - y0 + 1 : h;
		u64 row_end = (x0 + cols) * fb->format->cpp[i];
		u64 end = fb->offsets[i] + (y0 + rows - 1) * fb->pitches[i] + row_end;

		if (fb->pitches[i] < row_end || end > fb->obj[i]->size) {
			drm_dbg_atomic(plane->dev, "[PLANE:%d] YUV plane %u: pitch %u, samples end at byte %llu of %zu\n",
				       plane->base.id, i, fb->pitches[i], end,
				       fb->obj[i]->size);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The plane's scale limits as the helper takes them, source over
 * destination in 16.16: no scaling for the cursor (or an engine without
 * scaler), else VPRIME_DISP_SCALE_UP times up to VPRIME_DISP_SCALE_DOWN
 * times down.
 */
static void vprime_plane_scale_limits(struct vprime_plane *vplane,
				      int *min_scale, int *max_scale)
{
	*min_scale = DRM_PLANE_NO_SCALING;
	*max_scale = DRM_PLANE_NO_SCALING;
	if (vplane->idx == VPRIME_PLANE_CURSOR ||
	    !(vplane->head->disp->disp_caps & VPRIME_DISP_CAP_SCALE))
		return;
	*min_scale = DRM_PLANE_NO_SCALING / VPRIME_DISP_SCALE_UP;
	*max_scale = DRM_PLANE_NO_SCALING * VPRIME_DISP_SCALE_DOWN;
}

/*
 * The rectangles as the engine takes them: whole source pixels, and a
 * scale within its limits by its integer rule.  The helper's 16.16 scale
 * factor rounds a ratio within 1/65536 of the limit (or of 1:1 for a plane
 * without scaler) into the limit: checked again in whole pixels.
 */
static int vprime_plane_check_scale(struct drm_plane *plane,
				    struct drm_plane_state *new,
				    int min_scale, int max_scale)
{
	u32 sw = drm_rect_width(&new->src) >> 16, sh = drm_rect_height(&new->src) >> 16;
	u32 dw = drm_rect_width(&new->dst), dh = drm_rect_height(&new->dst);

	/* a quarter turn: the source's width goes down the screen */
	if (new->rotation & (DRM_MODE_ROTATE_90 | DRM_MODE_ROTATE_270))
		swap(sw, sh);

	if ((new->src_x | new->src_y | new->src_w | new->src_h) & 0xffff ||
	    (new->visible &&
	     (new->src.x1 | new->src.y1 | new->src.x2 | new->src.y2) & 0xffff)) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] fractional source " DRM_RECT_FP_FMT "\n",
			       plane->base.id, DRM_RECT_FP_ARG(&new->src));
		return -EINVAL;
	}
	if (min_scale == DRM_PLANE_NO_SCALING && max_scale == DRM_PLANE_NO_SCALING) {
		if (sw == dw && sh == dh)
			return 0;
	} else if ((u64)dw <= (u64)sw * VPRIME_DISP_SCALE_UP &&
		   (u64)dh <= (u64)sh * VPRIME_DISP_SCALE_UP &&
		   (u64)sw <= (u64)dw * VPRIME_DISP_SCALE_DOWN &&
		   (u64)sh <= (u64)dh * VPRIME_DISP_SCALE_DOWN) {
		return 0;
	}
	drm_dbg_atomic(plane->dev, "[PLANE:%d] scaling " DRM_RECT_FP_FMT " to %ux%u\n",
		       plane->base.id, DRM_RECT_FP_ARG(&new->src), dw, dh);
	return -ERANGE;
}

static int vprime_plane_atomic_check(struct drm_plane *plane,
				     struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct vprime_plane *vplane = to_vprime_plane(plane);
	unsigned int max = vplane->idx == VPRIME_PLANE_CURSOR ?
			   VPRIME_DISP_CURSOR_MAX : VPRIME_DISP_MAX_DIM;
	struct drm_crtc_state *crtc_state;
	int min_scale, max_scale;
	int ret;

	if (!new->fb || !new->crtc)
		return 0;

	crtc_state = drm_atomic_get_crtc_state(state, new->crtc);
	if (IS_ERR(crtc_state))
		return PTR_ERR(crtc_state);

	if (new->crtc_w > max || new->crtc_h > max) {
		drm_dbg_atomic(plane->dev, "[PLANE:%d] %ux%u is larger than %ux%u\n",
			       plane->base.id, new->crtc_w, new->crtc_h, max, max);
		return -EINVAL;
	}

	/* out of the scale limits: -ERANGE, the helper's answer */
	vprime_plane_scale_limits(vplane, &min_scale, &max_scale);
	ret = drm_atomic_helper_check_plane_state(new, crtc_state,
						  min_scale, max_scale,
						  true, true);
	if (ret)
		return ret;
	ret = vprime_plane_check_scale(plane, new, min_scale, max_scale);
	if (ret)
		return ret;

	ret = vprime_plane_check_fb(plane, new->fb);
	if (ret)
		return ret;
	if (!new->visible)
		return 0;
	return vprime_plane_check_rect(plane, new);
}

/*
 * Pin for the time the plane shows the buffer and make sure its page list
 * exists; the helper takes the buffer's write fences from its dma_resv
 * (implicit sync) unless userspace gave an IN_FENCE_FD.
 */
static void vprime_plane_unpin(struct drm_framebuffer *fb, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!fb->obj[i]->import_attach)
			drm_gem_shmem_unpin(to_drm_gem_shmem_obj(fb->obj[i]));
}

static int vprime_plane_prepare_fb(struct drm_plane *plane,
				   struct drm_plane_state *new)
{
	struct drm_gem_object *obj;
	unsigned int i;
	int ret;

	if (!new->fb)
		return 0;
	ret = drm_gem_plane_helper_prepare_fb(plane, new);
	if (ret)
		return ret;

	/* every framebuffer plane's buffer (a YUV framebuffer has 2 or 3) */
	for (i = 0; i < new->fb->format->num_planes; i++) {
		obj = new->fb->obj[i];
		/* an import is pinned by the exporter for its attachment */
		if (!obj->import_attach) {
			ret = drm_gem_shmem_pin(to_drm_gem_shmem_obj(obj));
			if (ret)
				break;
		}
		ret = vprime_display_bo_map(to_vprime_display_bo(obj));
		if (ret) {
			if (!obj->import_attach)
				drm_gem_shmem_unpin(to_drm_gem_shmem_obj(obj));
			break;
		}
	}
	if (ret)
		vprime_plane_unpin(new->fb, i);
	return ret;
}

static void vprime_plane_cleanup_fb(struct drm_plane *plane,
				    struct drm_plane_state *old)
{
	if (old->fb)
		vprime_plane_unpin(old->fb, old->fb->format->num_planes);
}

/* VPRIME_PL_CTRL_ROTATE_* and _REFLECT_* bits of a DRM rotation */
static u32 vprime_rotation_to_hw(unsigned int rotation)
{
	u32 ctrl = 0;

	switch (rotation & DRM_MODE_ROTATE_MASK) {
	case DRM_MODE_ROTATE_90:
		ctrl = VPRIME_PL_CTRL_ROTATE_90;
		break;
	case DRM_MODE_ROTATE_180:
		ctrl = VPRIME_PL_CTRL_ROTATE_180;
		break;
	case DRM_MODE_ROTATE_270:
		ctrl = VPRIME_PL_CTRL_ROTATE_270;
		break;
	}
	if (rotation & DRM_MODE_REFLECT_X)
		ctrl |= VPRIME_PL_CTRL_REFLECT_X;
	if (rotation & DRM_MODE_REFLECT_Y)
		ctrl |= VPRIME_PL_CTRL_REFLECT_Y;
	return ctrl;
}

/* VPRIME_BLEND_* of a DRM_MODE_BLEND_* pixel blend mode */
static u32 vprime_blend_mode_to_hw(u16 mode)
{
	switch (mode) {
	case DRM_MODE_BLEND_COVERAGE:
		return VPRIME_BLEND_COVERAGE;
	case DRM_MODE_BLEND_PIXEL_NONE:
		return VPRIME_BLEND_NONE;
	}
	return VPRIME_BLEND_PREMULTI;
}

/*
 * A YUV plane: framebuffer planes 1 and 2 (each its own buffer and page
 * list) and the conversion of COLOR_ENCODING and COLOR_RANGE
 */
static void vprime_plane_program_yuv(struct vprime_plane *vplane,
				     const struct drm_plane_state *new,
				     bool contig)
{
	struct vprime_head *head = vplane->head;
	struct drm_framebuffer *fb = new->fb;
	unsigned int p = vplane->idx, i;
	u32 yuv = 0;

	for (i = 1; i < fb->format->num_planes; i++) {
		struct vprime_display_bo *bo = to_vprime_display_bo(fb->obj[i]);
		u64 addr = contig ? bo->first_dma : bo->page_list_dma;

		vprime_fbp_write(head, p, i, VPRIME_FBP_ADDR_LO, lower_32_bits(addr));
		vprime_fbp_write(head, p, i, VPRIME_FBP_ADDR_HI, upper_32_bits(addr));
		vprime_fbp_write(head, p, i, VPRIME_FBP_FB_SIZE, fb->obj[i]->size);
		vprime_fbp_write(head, p, i, VPRIME_FBP_PITCH, fb->pitches[i]);
		vprime_fbp_write(head, p, i, VPRIME_FBP_OFFSET, fb->offsets[i]);
	}
	if (new->color_encoding == DRM_COLOR_YCBCR_BT709)
		yuv |= VPRIME_PL_YUV_BT709;
	if (new->color_range == DRM_COLOR_YCBCR_FULL_RANGE)
		yuv |= VPRIME_PL_YUV_FULL;
	vprime_plane_write(head, p, VPRIME_PL_YUV, yuv);
}

/* The plane's shadow registers for @new; inside drm_dev_enter() */
static void vprime_plane_program(struct vprime_plane *vplane,
				 const struct drm_plane_state *new)
{
	struct vprime_head *head = vplane->head;
	struct drm_framebuffer *fb = new->fb;
	unsigned int p = vplane->idx;
	struct vprime_display_bo *bo;
	u32 ctrl = VPRIME_PL_CTRL_ENABLE;
	bool contig;
	u64 addr;

	if (!new->visible || !fb) {
		vprime_plane_write(head, p, VPRIME_PL_CONTROL, 0);
		return;
	}

	bo = to_vprime_display_bo(fb->obj[0]);
	contig = !(head->disp->disp_caps & VPRIME_DISP_CAP_SCATTER);
	addr = contig ? bo->first_dma : bo->page_list_dma;
	if (contig)
		ctrl |= VPRIME_PL_CTRL_CONTIG;

	vprime_plane_write(head, p, VPRIME_PL_FORMAT,
			   vprime_format_to_hw(fb->format->format));
	/* a modifier the check accepted: one of the planes' layouts */
	vprime_plane_write(head, p, VPRIME_PL_LAYOUT,
			   vprime_modifier_layout(fb->modifier));
	vprime_plane_write(head, p, VPRIME_PL_PITCH, fb->pitches[0]);
	vprime_plane_write(head, p, VPRIME_PL_ADDR_LO, lower_32_bits(addr));
	vprime_plane_write(head, p, VPRIME_PL_ADDR_HI, upper_32_bits(addr));
	vprime_plane_write(head, p, VPRIME_PL_FB_SIZE, fb->obj[0]->size);
	vprime_plane_write(head, p, VPRIME_PL_OFFSET, fb->offsets[0]);
	vprime_plane_write(head, p, VPRIME_PL_SRC_POS,
			   VPRIME_XY(new->src.x1 >> 16, new->src.y1 >> 16));
	vprime_plane_write(head, p, VPRIME_PL_SIZE,
			   VPRIME_XY(drm_rect_width(&new->src) >> 16,
				     drm_rect_height(&new->src) >> 16));
	vprime_plane_write(head, p, VPRIME_PL_DST_POS,
			   VPRIME_XY(new->dst.x1, new->dst.y1));
	if (head->disp->disp_caps & VPRIME_DISP_CAP_SCALE)
		vprime_plane_write(head, p, VPRIME_PL_DST_SIZE,
				   VPRIME_XY(drm_rect_width(&new->dst),
					     drm_rect_height(&new->dst)));
	vprime_plane_write(head, p, VPRIME_PL_ZPOS, new->normalized_zpos);
	if (vprime_format_is_yuv(fb->format->format))
		vprime_plane_program_yuv(vplane, new, contig);
	if (new->scaling_filter == DRM_SCALING_FILTER_NEAREST_NEIGHBOR)
		ctrl |= VPRIME_PL_CTRL_NEAREST;
	ctrl |= vprime_rotation_to_hw(new->rotation);
	if (head->disp->disp_caps & VPRIME_DISP_CAP_BLEND && p != VPRIME_PLANE_CURSOR) {
		vprime_plane_write(head, p, VPRIME_PL_BLEND,
				   new->alpha |
				   vprime_blend_mode_to_hw(new->pixel_blend_mode) <<
				   VPRIME_BLEND_MODE_SHIFT);
		ctrl |= VPRIME_PL_CTRL_BLEND;
	}
	vprime_plane_write(head, p, VPRIME_PL_CONTROL, ctrl);
}

static void vprime_plane_atomic_update(struct drm_plane *plane,
				       struct drm_atomic_state *state)
{
	struct drm_plane_state *old = drm_atomic_get_old_plane_state(state, plane);
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct vprime_plane *vplane = to_vprime_plane(plane);
	struct drm_rect damage;
	int idx;

	if (!drm_dev_enter(plane->dev, &idx))
		return;
	vprime_plane_program(vplane, new);
	/*
	 * The engine fetches only when the picture can have changed.  A new
	 * buffer is fetched at latch; new pixels in the same buffer (DIRTYFB,
	 * FB_DAMAGE_CLIPS) need DAMAGE.
	 */
	if (new->visible && new->fb && old->fb == new->fb &&
	    drm_atomic_helper_damage_merged(old, new, &damage))
		vprime_head_write(vplane->head, VPRIME_HEAD_DAMAGE, 1);
	drm_dev_exit(idx);
}

/*
 * Legacy cursor updates (DRM_IOCTL_MODE_CURSOR, a cursor move) jump ahead
 * of a flip in flight, as on real hardware; through a regular commit DRM
 * would make the cursor ioctl wait for that flip's vblank.  The helper
 * allows it for one plane keeping its framebuffer, with no commit of that
 * plane in flight.
 */
static int vprime_plane_atomic_async_check(struct drm_plane *plane,
					   struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct drm_crtc_state *crtc_state;

	if (to_vprime_plane(plane)->idx != VPRIME_PLANE_CURSOR || !new->crtc)
		return -EINVAL;
	crtc_state = drm_atomic_get_new_crtc_state(state, new->crtc);
	if (!crtc_state || !crtc_state->active)
		return -EINVAL;
	return 0;
}

/*
 * The cursor's shadow registers at once, and an UPDATE: they latch at the
 * next vblank, together with a flip pending there.
 */
static void vprime_plane_atomic_async_update(struct drm_plane *plane,
					     struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct drm_plane_state *cur = plane->state;
	struct vprime_plane *vplane = to_vprime_plane(plane);
	struct drm_device *drm = plane->dev;
	unsigned long flags;
	int idx;

	swap(cur->fb, new->fb);
	cur->crtc_x = new->crtc_x;
	cur->crtc_y = new->crtc_y;
	cur->crtc_w = new->crtc_w;
	cur->crtc_h = new->crtc_h;
	cur->src_x = new->src_x;
	cur->src_y = new->src_y;
	cur->src_w = new->src_w;
	cur->src_h = new->src_h;
	cur->src = new->src;
	cur->dst = new->dst;
	cur->visible = new->visible;

	if (!drm_dev_enter(drm, &idx))
		return;
	/* a flip may be pending: no vblank may latch half a cursor */
	vprime_head_update_lock(vplane->head);
	vprime_plane_program(vplane, cur);
	/* every UPDATE under the event lock: see vprime_head_update_armed() */
	spin_lock_irqsave(&drm->event_lock, flags);
	vprime_head_write(vplane->head, VPRIME_HEAD_UPDATE, 1);
	spin_unlock_irqrestore(&drm->event_lock, flags);
	vprime_head_update_unlock(vplane->head);
	drm_dev_exit(idx);
}

static void vprime_plane_atomic_disable(struct drm_plane *plane,
					struct drm_atomic_state *state)
{
	struct vprime_plane *vplane = to_vprime_plane(plane);
	int idx;

	if (!drm_dev_enter(plane->dev, &idx))
		return;
	vprime_plane_write(vplane->head, vplane->idx, VPRIME_PL_CONTROL, 0);
	drm_dev_exit(idx);
}

static const struct drm_plane_helper_funcs vprime_plane_helper_funcs = {
	.prepare_fb = vprime_plane_prepare_fb,
	.cleanup_fb = vprime_plane_cleanup_fb,
	.atomic_check = vprime_plane_atomic_check,
	.atomic_update = vprime_plane_atomic_update,
	.atomic_disable = vprime_plane_atomic_disable,
	.atomic_async_check = vprime_plane_atomic_async_check,
	.atomic_async_update = vprime_plane_atomic_async_update,
};

static const struct drm_plane_funcs vprime_plane_funcs = {
	.update_plane = drm_atomic_helper_update_plane,
	.disable_plane = drm_atomic_helper_disable_plane,
	.reset = drm_atomic_helper_plane_reset,
	.atomic_duplicate_state = drm_atomic_helper_plane_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_plane_destroy_state,
	.format_mod_supported = vprime_plane_format_mod_supported,
};

static const enum drm_plane_type vprime_plane_types[VPRIME_DISP_PLANES] = {
	[VPRIME_PLANE_PRIMARY] = DRM_PLANE_TYPE_PRIMARY,
	[VPRIME_PLANE_OVERLAY] = DRM_PLANE_TYPE_OVERLAY,
	[VPRIME_PLANE_CURSOR] = DRM_PLANE_TYPE_CURSOR,
	[VPRIME_PLANE_OVERLAY2] = DRM_PLANE_TYPE_OVERLAY,
};

static const char * const vprime_plane_names[VPRIME_DISP_PLANES] = {
	[VPRIME_PLANE_PRIMARY] = "primary",
	[VPRIME_PLANE_OVERLAY] = "overlay",
	[VPRIME_PLANE_CURSOR] = "cursor",
	[VPRIME_PLANE_OVERLAY2] = "overlay-2",
};

/* The default stacking: primary, overlay, second overlay, cursor on top */
static const unsigned int vprime_plane_zpos_default[VPRIME_DISP_PLANES] = {
	[VPRIME_PLANE_PRIMARY] = 0,
	[VPRIME_PLANE_OVERLAY] = 1,
	[VPRIME_PLANE_OVERLAY2] = 2,
	[VPRIME_PLANE_CURSOR] = 3,
};

/**
 * vprime_plane_create - create plane @idx of a head
 * @head: the head; its CRTC is created after its planes, with index
 *	@head->idx
 * @idx: VPRIME_PLANE_*
 *
 * Returns: the plane (drmm-managed) or an ERR_PTR.
 */
struct vprime_plane *vprime_plane_create(struct vprime_head *head,
					 unsigned int idx)
{
	struct vprime_display *disp = head->disp;
	/* YUV on primary and overlays, not the cursor */
	bool yuv = idx != VPRIME_PLANE_CURSOR &&
		   (disp->disp_caps & VPRIME_DISP_CAP_YUV);
	struct vprime_plane *vplane;
	int ret;

	vplane = drmm_universal_plane_alloc(&disp->drm, struct vprime_plane, base,
					    BIT(head->idx), &vprime_plane_funcs,
					    vprime_plane_formats,
					    yuv ? ARRAY_SIZE(vprime_plane_formats) :
					    VPRIME_PLANE_RGB_FORMATS,
					    disp->modifiers, vprime_plane_types[idx],
					    "head-%u-%s", head->idx,
					    vprime_plane_names[idx]);
	if (IS_ERR(vplane))
		return vplane;
	vplane->head = head;
	vplane->idx = idx;
	drm_plane_helper_add(&vplane->base, &vprime_plane_helper_funcs);

	/*
	 * All four planes stack in any order (the engine's ZPOS), the cursor
	 * too.  DRM normalizes zpos (mode_config), ties by plane: the
	 * normalized value is what the engine gets.
	 */
	ret = drm_plane_create_zpos_property(&vplane->base,
					     vprime_plane_zpos_default[idx], 0,
					     VPRIME_DISP_PLANES - 1);
	if (ret)
		return ERR_PTR(ret);
	if (idx == VPRIME_PLANE_CURSOR) {
		/* any size up to the maximum shows; these are the ones to prefer */
		static const struct drm_plane_size_hint hints[] = {
			{ VPRIME_DISP_CURSOR_MAX / 4, VPRIME_DISP_CURSOR_MAX / 4 },
			{ VPRIME_DISP_CURSOR_MAX / 2, VPRIME_DISP_CURSOR_MAX / 2 },
			{ VPRIME_DISP_CURSOR_MAX, VPRIME_DISP_CURSOR_MAX },
		};

		ret = drm_plane_add_size_hints_property(&vplane->base, hints,
							ARRAY_SIZE(hints));
		if (ret)
			return ERR_PTR(ret);
	}
	if (idx != VPRIME_PLANE_CURSOR &&
	    (disp->disp_caps & VPRIME_DISP_CAP_SCALE)) {
		unsigned int filters = BIT(DRM_SCALING_FILTER_DEFAULT) |
				       BIT(DRM_SCALING_FILTER_NEAREST_NEIGHBOR);

		ret = drm_plane_create_scaling_filter_property(&vplane->base, filters);
		if (ret)
			return ERR_PTR(ret);
	}
	if (idx != VPRIME_PLANE_CURSOR &&
	    (disp->disp_caps & VPRIME_DISP_CAP_ROTATE)) {
		ret = drm_plane_create_rotation_property(&vplane->base,
							 DRM_MODE_ROTATE_0,
							 DRM_MODE_ROTATE_MASK |
							 DRM_MODE_REFLECT_MASK);
		if (ret)
			return ERR_PTR(ret);
	}
	if (idx != VPRIME_PLANE_CURSOR &&
	    (disp->disp_caps & VPRIME_DISP_CAP_BLEND)) {
		ret = drm_plane_create_alpha_property(&vplane->base);
		if (!ret)
			ret = drm_plane_create_blend_mode_property(&vplane->base,
								   BIT(DRM_MODE_BLEND_PIXEL_NONE) |
								   BIT(DRM_MODE_BLEND_PREMULTI) |
								   BIT(DRM_MODE_BLEND_COVERAGE));
		if (ret)
			return ERR_PTR(ret);
	}
	if (yuv) {
		ret = drm_plane_create_color_properties(&vplane->base,
							BIT(DRM_COLOR_YCBCR_BT601) |
							BIT(DRM_COLOR_YCBCR_BT709),
							BIT(DRM_COLOR_YCBCR_LIMITED_RANGE) |
							BIT(DRM_COLOR_YCBCR_FULL_RANGE),
							DRM_COLOR_YCBCR_BT601,
							DRM_COLOR_YCBCR_LIMITED_RANGE);
		if (ret)
			return ERR_PTR(ret);
	}
	drm_plane_enable_fb_damage_clips(&vplane->base);
	return vplane;
}
