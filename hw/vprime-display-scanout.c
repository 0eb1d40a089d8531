/*
 * vprime-display scanout: fetch, composition, CRC and presentation.
 *
 * "Panel self refresh": the engine fetches and composes only when the
 * picture can have changed (a latch, DAMAGE, CRC turned on, the head
 * turned on, a connector replugged).  Every other vblank fetches nothing
 * and copies nothing; the console keeps showing the last frame, which
 * lives in the head's own pixman image.
 *
 * A frame is built in that image with pixman: cleared to black, then the
 * primary, overlay and cursor planes with PIXMAN_OP_OVER.  Planes are
 * fetched through pci_dma_read (so a vIOMMU applies) in runs as long as
 * the page list is contiguous, 32 rows at a time straight into a pixman
 * image of their own format, which pixman converts as it blends; a
 * primary plane in XRGB8888 or ARGB8888 is fetched straight into the
 * frame, as OVER on black is a copy of its colour channels.  Host memory
 * per plane is thus one band, whatever the guest asks for.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "ui/console.h"
#include "ui/qemu-pixman.h"
#include "ui/surface.h"
#include <zlib.h>
#include "vprime-display.h"
#include "trace.h"

/* Formats are little endian in memory, as pixman's on this host */
#if HOST_BIG_ENDIAN
#error "vprime device models need a little-endian host"
#endif

/* ---- fetch ------------------------------------------------------------ */

/* The latched geometry of a plane, in pixels and bytes */
typedef struct PlaneGeom {
    uint32_t sx, sy, w, h, dx, dy;
    uint32_t cpp;
} PlaneGeom;

static void plane_geom(const VPrimePlaneRegs *r, PlaneGeom *g)
{
    g->sx = VPRIME_X(r->src_pos);
    g->sy = VPRIME_Y(r->src_pos);
    g->w = VPRIME_X(r->size);
    g->h = VPRIME_Y(r->size);
    g->dx = VPRIME_X(r->dst_pos);
    g->dy = VPRIME_Y(r->dst_pos);
    g->cpp = vprime_format_cpp(r->format);
}

/*
 * Read bytes [off, off + len) of a plane's buffer, which the latch checked
 * lie inside it.  One pci_dma_read per run of DMA-contiguous pages.
 */
static bool plane_read(VPrimeHead *h, unsigned p, uint64_t off, uint8_t *buf,
                       uint64_t len)
{
    VPrimeDisplayState *s = h->s;
    VPrimePlane *pl = &h->plane[p];

    if (h->inject_underrun) {
        trace_vprime_disp_underrun(s->core.name, h->idx, p, 0);
        return false;
    }
    while (len) {
        dma_addr_t addr;
        uint64_t n;

        if (pl->active.control & VPRIME_PL_CTRL_CONTIG) {
            addr = pl->active.addr + off;
            n = len;
        } else {
            const uint64_t *pg = pl->pages;
            uint64_t idx = off / VPRIME_DISP_PAGE_SIZE;
            uint64_t in_page = off % VPRIME_DISP_PAGE_SIZE;

            addr = pg[idx] + in_page;
            n = MIN(len, VPRIME_DISP_PAGE_SIZE - in_page);
            while (n < len && pg[idx + 1] == pg[idx] + VPRIME_DISP_PAGE_SIZE) {
                idx++;
                n += MIN(len - n, VPRIME_DISP_PAGE_SIZE);
            }
        }
        trace_vprime_disp_fetch(s->core.name, h->idx, p, addr, n);
        if (pci_dma_read(PCI_DEVICE(s), addr, buf, n) != MEMTX_OK) {
            trace_vprime_disp_underrun(s->core.name, h->idx, p, addr);
            qemu_log_mask(LOG_GUEST_ERROR, "%s: head %u plane %u: scanout "
                          "of 0x%" PRIx64 " failed: underrun\n", s->core.name,
                          h->idx, p, (uint64_t)addr);
            return false;
        }
        s->stat_read[vprime_core_dma_target(&s->core, addr, false)] += n;
        off += n;
        buf += n;
        len -= n;
    }
    return true;
}

/*
 * Fetch source rows [y0, y1) of the plane, all in one band of 32 rows, to
 * dst (row y0 first).  Linear: one read per row, split only where the
 * pages are.
 */
static bool fetch_linear(VPrimeHead *h, unsigned p, const PlaneGeom *g,
                         uint32_t y0, uint32_t y1, uint8_t *dst, size_t stride)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    uint32_t y;

    for (y = y0; y < y1; y++) {
        uint64_t off = r->offset + (uint64_t)y * r->pitch +
                       (uint64_t)g->sx * g->cpp;

        if (!plane_read(h, p, off, dst, (uint64_t)g->w * g->cpp)) {
            return false;
        }
        dst += stride;
    }
    return true;
}

/*
 * Tiled layout (as the GPU's): a band of 32 rows is a row of 4 KiB tiles;
 * the tiles the plane covers are read in one go, then de-tiled.
 */
static bool fetch_tiled(VPrimeHead *h, unsigned p, const PlaneGeom *g,
                        uint32_t y0, uint32_t y1, uint8_t *dst, size_t stride)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    uint8_t *bounce = h->s->bounce;
    uint64_t tiles_per_row = r->pitch / VPRIME_TILE_WIDTH_BYTES;
    uint64_t band = y0 / VPRIME_TILE_HEIGHT;
    uint32_t xb0 = g->sx * g->cpp, xb1 = (g->sx + g->w) * g->cpp;
    uint32_t tx0 = xb0 / VPRIME_TILE_WIDTH_BYTES;
    uint32_t ntiles = (xb1 - 1) / VPRIME_TILE_WIDTH_BYTES - tx0 + 1;
    uint64_t off = r->offset + (band * tiles_per_row + tx0) * VPRIME_TILE_SIZE;
    uint32_t y, xb;

    if (!plane_read(h, p, off, bounce, (uint64_t)ntiles * VPRIME_TILE_SIZE)) {
        return false;
    }
    for (y = y0; y < y1; y++) {
        uint32_t in_tile = (y % VPRIME_TILE_HEIGHT) * VPRIME_TILE_WIDTH_BYTES;

        for (xb = xb0; xb < xb1;) {
            uint32_t within = xb % VPRIME_TILE_WIDTH_BYTES;
            uint32_t n = MIN(VPRIME_TILE_WIDTH_BYTES - within, xb1 - xb);
            uint32_t t = xb / VPRIME_TILE_WIDTH_BYTES - tx0;

            memcpy(dst + xb - xb0,
                   bounce + t * VPRIME_TILE_SIZE + in_tile + within, n);
            xb += n;
        }
        dst += stride;
    }
    return true;
}

static bool fetch_rows(VPrimeHead *h, unsigned p, const PlaneGeom *g,
                       uint32_t y0, uint32_t y1, uint8_t *dst, size_t stride)
{
    if (h->plane[p].active.layout == VPRIME_LAYOUT_TILED) {
        return fetch_tiled(h, p, g, y0, y1, dst, stride);
    }
    return fetch_linear(h, p, g, y0, y1, dst, stride);
}

/*
 * The plane's staging image: one band of rows in the plane's own format
 * (pixman converts while blending), kept while size and format stay.
 */
static pixman_image_t *plane_image(VPrimePlane *pl, const PlaneGeom *g)
{
    pixman_format_code_t fmt = vprime_format_pixman(pl->active.format);
    uint32_t rows = MIN(g->h, VPRIME_TILE_HEIGHT);

    if (pl->img && (pixman_image_get_width(pl->img) != g->w ||
                    pixman_image_get_height(pl->img) != rows ||
                    pixman_image_get_format(pl->img) != fmt)) {
        qemu_pixman_image_unref(pl->img);
        pl->img = NULL;
    }
    if (!pl->img) {
        pl->img = pixman_image_create_bits(fmt, g->w, rows, NULL, 0);
    }
    return pl->img;
}

/*
 * Fetch and blend one plane, a band of up to 32 rows at a time (a tile
 * row, for tiled planes).  'direct': fetch straight into the frame.
 * False on a DMA error, with part of the plane possibly in the frame.
 */
static bool plane_compose(VPrimeHead *h, unsigned p, bool direct)
{
    VPrimePlane *pl = &h->plane[p];
    uint8_t *data = (uint8_t *)pixman_image_get_data(h->fb);
    size_t stride = pixman_image_get_stride(h->fb);
    pixman_image_t *img = NULL;
    uint32_t y0, y1;
    PlaneGeom g;

    plane_geom(&pl->active, &g);
    if (!direct) {
        img = plane_image(pl, &g);
        if (!img) {
            return false;
        }
    }
    for (y0 = g.sy; y0 < g.sy + g.h; y0 = y1) {
        uint32_t dy = g.dy + y0 - g.sy;

        y1 = MIN(g.sy + g.h, ROUND_DOWN(y0, VPRIME_TILE_HEIGHT) +
                             VPRIME_TILE_HEIGHT);
        if (direct) {
            if (!fetch_rows(h, p, &g, y0, y1, data + dy * stride + g.dx * 4,
                            stride)) {
                return false;
            }
            continue;
        }
        if (!fetch_rows(h, p, &g, y0, y1,
                        (uint8_t *)pixman_image_get_data(img),
                        pixman_image_get_stride(img))) {
            return false;
        }
        pixman_image_composite32(PIXMAN_OP_OVER, img, NULL, h->fb, 0, 0, 0, 0,
                                 g.dx, dy, g.w, y1 - y0);
    }
    return true;
}

/* ---- composition ------------------------------------------------------ */

/*
 * CRC-32 (zlib's) of the frame: rows top to bottom, each pixel as the 4
 * little-endian bytes of R << 16 | G << 8 | B.  The X byte of the frame
 * is whatever the fetch left there, so it is masked off.
 */
static uint32_t frame_crc(VPrimeHead *h)
{
    uint32_t *row = (uint32_t *)h->s->bounce;
    uint8_t *data = (uint8_t *)pixman_image_get_data(h->fb);
    int stride = pixman_image_get_stride(h->fb);
    int w = pixman_image_get_width(h->fb), ht = pixman_image_get_height(h->fb);
    uLong crc = crc32(0, NULL, 0);
    int x, y;

    for (y = 0; y < ht; y++) {
        const uint32_t *px = (const uint32_t *)(data + y * stride);

        for (x = 0; x < w; x++) {
            row[x] = px[x] & 0x00ffffffu;
        }
        crc = crc32(crc, (const Bytef *)row, w * 4);
    }
    return crc;
}

uint32_t vprime_disp_compose(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    const VPrimePlaneRegs *prim = &h->plane[VPRIME_PLANE_PRIMARY].active;
    uint32_t events = 0, left_out = 0;
    VPrimeFaultHit hit;
    bool direct;
    PlaneGeom g;
    unsigned p;

    if (!h->fb) {
        return 0;       /* the host could not allocate the frame */
    }
    h->seq_frames++;
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE) {
            /* an injected underrun: every fetch of this frame fails */
            h->inject_underrun =
                vprime_fault_check(&s->faults, VPRIME_INJ_UNDERRUN, h->idx,
                                   "frame", h->seq_frames, 0, 0, &hit);
            break;
        }
    }
    /* OVER on black is a copy of the colour channels: fetch in place */
    direct = prim->format == VPRIME_FMT_XRGB8888 ||
             prim->format == VPRIME_FMT_ARGB8888;
    plane_geom(prim, &g);

again:
    if (!direct || (left_out & BIT(VPRIME_PLANE_PRIMARY)) ||
        !(prim->control & VPRIME_PL_CTRL_ENABLE) || g.dx || g.dy ||
        g.w != pixman_image_get_width(h->fb) ||
        g.h != pixman_image_get_height(h->fb)) {
        memset(pixman_image_get_data(h->fb), 0,
               pixman_image_get_stride(h->fb) *
               pixman_image_get_height(h->fb));     /* black */
    }
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (!(h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE) ||
            (left_out & BIT(p))) {
            continue;
        }
        if (!plane_compose(h, p, p == VPRIME_PLANE_PRIMARY && direct)) {
            /*
             * This frame goes without the plane (not a configuration
             * error): start again without it, so no part of it shows.
             */
            left_out |= BIT(p);
            s->stat_underruns++;
            events |= VPRIME_HEAD_EV_UNDERRUN;
            goto again;
        }
    }

    if (h->crc_control) {
        h->crc = frame_crc(h);
        h->crc_frame = h->frame;
    }
    h->inject_underrun = false;
    trace_vprime_disp_compose(s->core.name, h->idx, h->frame, h->crc);
    h->fb_composed = true;
    h->stat_frames_composed++;
    s->stat_frames_composed++;
    vprime_disp_present(h);
    return events;
}

/* ---- frames and consoles ---------------------------------------------- */

void vprime_disp_set_mode(VPrimeHead *h)
{
    uint32_t w = VPRIME_X(h->active.mode_size);
    uint32_t ht = VPRIME_Y(h->active.mode_size);

    if (h->fb && pixman_image_get_width(h->fb) == w &&
        pixman_image_get_height(h->fb) == ht) {
        return;
    }
    vprime_disp_release_mode(h);
    h->fb = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, ht, NULL, 0);
    h->fb_composed = false;
}

void vprime_disp_release_mode(VPrimeHead *h)
{
    unsigned p;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        qemu_pixman_image_unref(h->plane[p].img);
        h->plane[p].img = NULL;
    }
    /* the console may still show it: it holds its own reference */
    qemu_pixman_image_unref(h->fb);
    h->fb = NULL;
    h->fb_composed = false;
    h->shown = VPRIME_DISP_SHOWN_NONE;
}

static void show_placeholder(VPrimeHead *h, VPrimeDispShown what)
{
    VPrimeDisplayState *s = h->s;
    g_autofree char *msg = NULL;

    if (h->shown == what) {
        return;
    }
    msg = g_strdup_printf("vprime-display head %u: %s", h->idx,
                          what == VPRIME_DISP_SHOWN_UNPLUGGED ?
                          "monitor unplugged" : "no signal");
    dpy_gfx_replace_surface(h->con, qemu_create_placeholder_surface(
                                s->edid_info.prefx, s->edid_info.prefy, msg));
    h->shown = what;
}

void vprime_disp_present(VPrimeHead *h)
{
    if (!h->connected) {
        show_placeholder(h, VPRIME_DISP_SHOWN_UNPLUGGED);
        return;
    }
    if (!(h->active.control & VPRIME_HEAD_CTRL_ENABLE) || !h->fb_composed) {
        /* off, or on but not composed yet (just migrated) */
        show_placeholder(h, VPRIME_DISP_SHOWN_OFF);
        return;
    }
    if (h->shown != VPRIME_DISP_SHOWN_FRAME) {
        /* the surface shares the frame's pixels: nothing is copied */
        dpy_gfx_replace_surface(h->con,
                                qemu_create_displaysurface_pixman(h->fb));
        h->shown = VPRIME_DISP_SHOWN_FRAME;
    }
    dpy_gfx_update_full(h->con);
}

/*
 * A UI asking for a full redraw gets the frame it already has: the engine
 * composes at vblanks, never on the UI's refresh timer.
 */
static void vprime_disp_invalidate(void *opaque)
{
    VPrimeHead *h = opaque;

    if (h->shown == VPRIME_DISP_SHOWN_FRAME) {
        dpy_gfx_update_full(h->con);
    }
}

static const GraphicHwOps vprime_disp_gfx_ops = {
    .invalidate = vprime_disp_invalidate,
};

void vprime_disp_console_init(VPrimeDisplayState *s, VPrimeHead *h)
{
    h->con = graphic_console_init(DEVICE(s), h->idx, &vprime_disp_gfx_ops, h);
    h->shown = VPRIME_DISP_SHOWN_NONE;
    vprime_disp_present(h);
}

void vprime_disp_console_fini(VPrimeHead *h)
{
    vprime_disp_release_mode(h);
    graphic_console_close(h->con);
    h->con = NULL;
}
