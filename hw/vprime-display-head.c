/*
 * vprime-display heads: registers, latching, validation, vblank timing.
 *
 * The guest writes shadow registers; UPDATE makes the head latch them at
 * the next vblank (at once while it is off), checking every field against
 * the mode and the engine's limits and reading the page lists once.  The
 * vblank is a QEMU_CLOCK_VIRTUAL timer at the mode's exact period, which
 * runs only while something waits for a vblank: otherwise FRAME, the
 * vblank timestamp and the VBLANK event are derived from the clock when
 * read (vprime_head_sync), and no host work is done per frame.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "vprime-display.h"
#include "vprime_layout.h"
#include "trace.h"

static hwaddr head_reg(const VPrimeHead *h, hwaddr reg)
{
    return VPRIME_HEAD_BASE(h->idx) + reg;
}

/* Register 'reg' of plane p as the checks name it (see FBP_REG) */
static hwaddr plane_reg(const VPrimeHead *h, unsigned p, hwaddr reg)
{
    if (reg & FBP_REG_FLAG) {
        return VPRIME_FBP_BASE(h->idx, p, 1) + (reg & ~FBP_REG_FLAG);
    }
    return VPRIME_HEAD_BASE(h->idx) + VPRIME_PLANE_BASE(p) + reg;
}

/* Vblank period of a validated mode, in ns of the device clock */
static uint64_t mode_period_ns(const VPrimeHeadRegs *r)
{
    uint64_t pixels = (uint64_t)VPRIME_X(r->mode_total) *
                      VPRIME_Y(r->mode_total);

    return pixels * 1000000 / r->mode_clock;
}

/* Is variable refresh on in these head registers? */
static bool regs_vrr(const VPrimeHeadRegs *r)
{
    return r->vrr_control & VPRIME_VRR_CTRL_ENABLE;
}

/* The longest frame with VRR: 10^12 / VRR_MIN_REFRESH ns */
static uint64_t vrr_max_period_ns(const VPrimeHeadRegs *r)
{
    return 1000000000000ull / r->vrr_min_refresh;
}

/*
 * The period of the head's vblank grid while no UPDATE ends a frame
 * early: the mode's, or with VRR the longest frame
 */
static uint64_t head_period(const VPrimeHead *h)
{
    return regs_vrr(&h->active) ? vrr_max_period_ns(&h->active)
                                : mode_period_ns(&h->active);
}

/*
 * VRR registers against a valid mode: no reserved bits; with ENABLE, a
 * slowest refresh of at least VPRIME_DISP_REFRESH_MIN_MILLIHZ whose
 * period is not shorter than the mode's
 */
bool vprime_vrr_valid(const VPrimeHeadRegs *r, const char **why)
{
    if (r->vrr_control & ~VPRIME_VRR_CTRL_ENABLE) {
        *why = "reserved VRR_CONTROL bits";
        return false;
    }
    if (!regs_vrr(r)) {
        return true;
    }
    if (r->vrr_min_refresh < VPRIME_DISP_REFRESH_MIN_MILLIHZ) {
        *why = "VRR_MIN_REFRESH below the engine's slowest refresh";
        return false;
    }
    if (vrr_max_period_ns(r) < mode_period_ns(r)) {
        *why = "VRR_MIN_REFRESH above the mode's refresh";
        return false;
    }
    return true;
}

bool vprime_bpc_valid(const VPrimeHeadRegs *r, const char **why)
{
    switch (r->output_bpc) {
    case VPRIME_BPC_6:
    case VPRIME_BPC_8:
    case VPRIME_BPC_10:
    case VPRIME_BPC_12:
        return true;
    }
    *why = "OUTPUT_BPC is not 6, 8, 10 or 12";
    return false;
}

/*
 * An event happened on a head: it is recorded in EVENTS whether enabled
 * or not, and each occurrence of an enabled one is an interrupt (one
 * MSI-X message on the head's vector).
 */
void vprime_head_event(VPrimeHead *h, uint32_t ev)
{
    VPrimeDisplayState *s = h->s;

    h->events |= ev;
    trace_vprime_disp_event(s->core.name, h->idx, ev, h->events,
                            h->event_enable);
    if (ev & h->event_enable) {
        vprime_core_raise(&s->core, VPRIME_IRQ_HEAD(h->idx));
    }
}

/* ---- validation at latch ---------------------------------------------- */

/* Does [addr, addr + len) lie below 2^dma-bits? */
static bool dma_reachable(VPrimeDisplayState *s, uint64_t addr, uint64_t len)
{
    uint64_t last = addr + len - 1;

    if (!len) {
        return true;
    }
    if (last < addr) {
        return false;           /* wraps around 2^64 */
    }
    return s->dma_bits >= 64 || !(last >> s->dma_bits);
}

bool vprime_mode_valid(const VPrimeHeadRegs *r, const char **why)
{
    uint32_t hd = VPRIME_X(r->mode_size), vd = VPRIME_Y(r->mode_size);
    uint32_t ht = VPRIME_X(r->mode_total), vt = VPRIME_Y(r->mode_total);
    uint64_t refresh;

    if (hd < 1 || vd < 1 || hd > VPRIME_DISP_MAX_DIM ||
        vd > VPRIME_DISP_MAX_DIM) {
        *why = "mode size out of range";
        return false;
    }
    if (ht < hd || vt < vd) {
        *why = "mode totals smaller than the visible size";
        return false;
    }
    if (!r->mode_clock) {
        *why = "pixel clock is zero";
        return false;
    }
    refresh = (uint64_t)r->mode_clock * 1000000 / ((uint64_t)ht * vt);
    if (refresh < VPRIME_DISP_REFRESH_MIN_MILLIHZ ||
        refresh > VPRIME_DISP_REFRESH_MAX_MILLIHZ) {
        *why = "refresh rate out of range";
        return false;
    }
    return true;
}

/*
 * The destination size against the source size: the plane's scaling
 * limits (none for the cursor)
 */
static uint32_t plane_check_scale(unsigned p, const VPrimePlaneRegs *r,
                                  hwaddr *reg, const char **why)
{
    uint32_t w = VPRIME_X(vprime_plane_rot_size(r));
    uint32_t hh = VPRIME_Y(vprime_plane_rot_size(r));
    uint32_t dst = vprime_plane_dst_size(r);
    uint32_t dw = VPRIME_X(dst), dh = VPRIME_Y(dst);

    *reg = VPRIME_PL_DST_SIZE;
    if (!dw || !dh) {
        *why = "empty destination";
        return VPRIME_HEAD_ERR_RECT;
    }
    if (!vprime_plane_scaled(r)) {
        return 0;
    }
    if (p == VPRIME_PLANE_CURSOR) {
        *why = "the cursor plane does not scale";
        return VPRIME_HEAD_ERR_SCALE;
    }
    if ((uint64_t)dw > (uint64_t)w * VPRIME_DISP_SCALE_UP ||
        (uint64_t)dh > (uint64_t)hh * VPRIME_DISP_SCALE_UP ||
        (uint64_t)w > (uint64_t)dw * VPRIME_DISP_SCALE_DOWN ||
        (uint64_t)hh > (uint64_t)dh * VPRIME_DISP_SCALE_DOWN) {
        *why = "scaling beyond VPRIME_DISP_SCALE_UP / _DOWN";
        return VPRIME_HEAD_ERR_SCALE;
    }
    return 0;
}

/*
 * An enabled plane's format, layout and rectangles against the mode it
 * will be shown on.  Returns 0, or a VPRIME_HEAD_ERR_* with the register
 * it concerns and why.
 */
static uint32_t plane_check_rect(VPrimeHead *h, unsigned p,
                                 const VPrimePlaneRegs *r, hwaddr *reg,
                                 const char **why)
{
    uint32_t w = VPRIME_X(r->size), hh = VPRIME_Y(r->size);
    uint32_t dw = VPRIME_X(vprime_plane_dst_size(r));
    uint32_t dh = VPRIME_Y(vprime_plane_dst_size(r));
    uint32_t dx = VPRIME_X(r->dst_pos), dy = VPRIME_Y(r->dst_pos);
    uint32_t reason;

    if (!vprime_format_cpp(r->format) && !vprime_format_yuv(r->format)) {
        *reg = VPRIME_PL_FORMAT;
        *why = "unknown format";
        return VPRIME_HEAD_ERR_FORMAT;
    }
    if (vprime_format_yuv(r->format) && p == VPRIME_PLANE_CURSOR) {
        *reg = VPRIME_PL_FORMAT;
        *why = "YUV format on the cursor plane";
        return VPRIME_HEAD_ERR_FORMAT;
    }
    if (vprime_format_yuv(r->format) && (r->yuv & ~VPRIME_PL_YUV_VALID_MASK)) {
        *reg = VPRIME_PL_YUV;
        *why = "reserved YUV bits";
        return VPRIME_HEAD_ERR_FORMAT;
    }
    if (r->zpos > VPRIME_PL_ZPOS_MAX) {
        *reg = VPRIME_PL_ZPOS;
        *why = "ZPOS above VPRIME_PL_ZPOS_MAX";
        return VPRIME_HEAD_ERR_ZPOS;
    }
    if (r->layout >= VPRIME_LAYOUT_COUNT) {
        *reg = VPRIME_PL_LAYOUT;
        *why = "unknown layout";
        return VPRIME_HEAD_ERR_LAYOUT;
    }
    if (!(VPRIME_DISP_LAYOUTS & VPRIME_LAYOUT_BIT(r->layout))) {
        *reg = VPRIME_PL_LAYOUT;
        *why = "a layout the display engine does not scan";
        return VPRIME_HEAD_ERR_LAYOUT_UNSUPPORTED;
    }
    if (r->layout != VPRIME_LAYOUT_LINEAR && vprime_format_yuv(r->format)) {
        *reg = VPRIME_PL_LAYOUT;
        *why = "YUV formats are linear only";
        return VPRIME_HEAD_ERR_LAYOUT;
    }
    *reg = VPRIME_PL_SIZE;
    if (!w || !hh) {
        *why = "empty plane";
        return VPRIME_HEAD_ERR_RECT;
    }
    if (p == VPRIME_PLANE_CURSOR &&
        (w > VPRIME_DISP_CURSOR_MAX || hh > VPRIME_DISP_CURSOR_MAX)) {
        *why = "cursor larger than VPRIME_DISP_CURSOR_MAX";
        return VPRIME_HEAD_ERR_RECT;
    }
    reason = plane_check_scale(p, r, reg, why);
    if (reason) {
        return reason;
    }
    if ((r->control & VPRIME_PL_CTRL_BLEND) &&
        ((r->blend & ~VPRIME_BLEND_VALID_MASK) ||
         r->blend >> VPRIME_BLEND_MODE_SHIFT > VPRIME_BLEND_NONE)) {
        *reg = VPRIME_PL_BLEND;
        *why = "reserved BLEND bits or unknown blend mode";
        return VPRIME_HEAD_ERR_BLEND;
    }
    if ((uint64_t)dx + dw > VPRIME_X(h->active.mode_size) ||
        (uint64_t)dy + dh > VPRIME_Y(h->active.mode_size)) {
        *reg = VPRIME_PL_DST_POS;
        *why = "destination outside the mode";
        return VPRIME_HEAD_ERR_RECT;
    }
    if (!r->fb_size || r->fb_size > VPRIME_DISP_FB_MAX) {
        *reg = VPRIME_PL_FB_SIZE;
        *why = "buffer size zero or above VPRIME_DISP_FB_MAX";
        return VPRIME_HEAD_ERR_FB_SIZE;
    }
    return 0;
}

/*
 * The YUV formats' framebuffer planes: the rectangle of samples plane i
 * holds for the source rectangle (x0, y0, cols x rows), bytes per sample
 * (bps), and its pitch, offset and size
 */
typedef struct FbPlaneGeom {
    uint32_t x0, y0, cols, rows, bps;
    uint32_t pitch, offset, fb_size;
} FbPlaneGeom;

static void fb_plane_geom(const VPrimePlaneRegs *r, unsigned i,
                          FbPlaneGeom *f)
{
    uint32_t sx = VPRIME_X(r->src_pos), sy = VPRIME_Y(r->src_pos);
    uint32_t w = VPRIME_X(r->size), hh = VPRIME_Y(r->size);

    if (!i) {
        *f = (FbPlaneGeom) { sx, sy, w, hh, 1, r->pitch, r->offset,
                             r->fb_size };
        return;
    }
    /* 4:2:0: sample (x / 2, y / 2) holds the chroma of pixel (x, y) */
    *f = (FbPlaneGeom) {
        .x0 = sx / 2, .y0 = sy / 2,
        .cols = (sx + w - 1) / 2 - sx / 2 + 1,
        .rows = (sy + hh - 1) / 2 - sy / 2 + 1,
        .bps = r->format == VPRIME_FMT_NV12 ? 2 : 1,
        .pitch = r->fbp[i - 1].pitch, .offset = r->fbp[i - 1].offset,
        .fb_size = r->fbp[i - 1].fb_size,
    };
}

/* A YUV plane's framebuffer planes against their buffers */
static uint32_t plane_check_yuv_buffer(const VPrimePlaneRegs *r, hwaddr *reg,
                                       const char **why)
{
    unsigned i;

    for (i = 0; i < vprime_format_fb_planes(r->format); i++) {
        FbPlaneGeom f;
        uint64_t row_end;

        fb_plane_geom(r, i, &f);
        row_end = (uint64_t)(f.x0 + f.cols) * f.bps;
        if (i && (!f.fb_size || f.fb_size > VPRIME_DISP_FB_MAX)) {
            *reg = FBP_REG(i, VPRIME_FBP_FB_SIZE);
            *why = "framebuffer plane size zero or above VPRIME_DISP_FB_MAX";
            return VPRIME_HEAD_ERR_FB_SIZE;
        }
        if (f.pitch < row_end) {
            *reg = i ? FBP_REG(i, VPRIME_FBP_PITCH) : VPRIME_PL_PITCH;
            *why = "YUV pitch smaller than a row of samples";
            return VPRIME_HEAD_ERR_PITCH;
        }
        if (f.offset + (uint64_t)(f.y0 + f.rows - 1) * f.pitch + row_end >
            f.fb_size) {
            *reg = i ? FBP_REG(i, VPRIME_FBP_OFFSET) : VPRIME_PL_SRC_POS;
            *why = "YUV samples outside the framebuffer plane's buffer";
            return VPRIME_HEAD_ERR_RECT;
        }
    }
    return 0;
}

/* The pitch and the source rectangle against the buffer, by layout */
static uint32_t plane_check_buffer(const VPrimePlaneRegs *r, hwaddr *reg,
                                   const char **why)
{
    uint32_t sx = VPRIME_X(r->src_pos), sy = VPRIME_Y(r->src_pos);
    uint32_t w = VPRIME_X(r->size), hh = VPRIME_Y(r->size);
    uint32_t cpp = vprime_format_cpp(r->format);
    uint64_t row_end = (uint64_t)(sx + w) * cpp;

    if (vprime_format_yuv(r->format)) {
        return plane_check_yuv_buffer(r, reg, why);
    }
    if (r->layout == VPRIME_LAYOUT_LINEAR) {
        if (r->pitch < row_end || r->pitch % cpp) {
            *reg = VPRIME_PL_PITCH;
            *why = "linear pitch smaller than a row or not a pixel multiple";
            return VPRIME_HEAD_ERR_PITCH;
        }
        if (r->offset + (uint64_t)(sy + hh - 1) * r->pitch + row_end >
            r->fb_size) {
            *reg = VPRIME_PL_SRC_POS;
            *why = "source rectangle outside the buffer";
            return VPRIME_HEAD_ERR_RECT;
        }
        return 0;
    }
    if (r->pitch % vprime_layout_tile_w(r->layout) || r->pitch < row_end) {
        *reg = VPRIME_PL_PITCH;
        *why = "tiled pitch not a tile width multiple or smaller than a row";
        return VPRIME_HEAD_ERR_PITCH;
    }
    if (r->offset % VPRIME_TILE_SIZE) {
        *reg = VPRIME_PL_OFFSET;
        *why = "tiled buffer offset not 4 KiB aligned";
        return VPRIME_HEAD_ERR_ALIGN;
    }
    if (r->offset +
        (uint64_t)ROUND_UP(sy + hh, vprime_layout_tile_h(r->layout)) *
        r->pitch > r->fb_size) {
        *reg = VPRIME_PL_SRC_POS;
        *why = "source tile rows outside the buffer";
        return VPRIME_HEAD_ERR_RECT;
    }
    return 0;
}

uint32_t vprime_disp_page_check(VPrimeDisplayState *s, uint64_t page,
                                const char **why)
{
    if (page % VPRIME_DISP_PAGE_SIZE) {
        *why = "page address not 4 KiB aligned";
        return VPRIME_HEAD_ERR_ALIGN;
    }
    if (!dma_reachable(s, page, VPRIME_DISP_PAGE_SIZE)) {
        *why = "page beyond the DMA address bits";
        return VPRIME_HEAD_ERR_DMA_MASK;
    }
    return 0;
}

/*
 * Where the plane's buffer is: a contiguous range, or a page list of
 * *npages entries (0 for CONTIG), whose address is checked here.
 */
static uint32_t plane_check_location(VPrimeHead *h, const VPrimePlaneRegs *r,
                                     uint32_t *npages, hwaddr *reg,
                                     const char **why)
{
    VPrimeDisplayState *s = h->s;
    uint32_t n;

    *reg = VPRIME_PL_ADDR_LO;
    if (r->control & VPRIME_PL_CTRL_CONTIG) {
        if (r->addr % VPRIME_DISP_PAGE_SIZE) {
            *why = "contiguous buffer not 4 KiB aligned";
            return VPRIME_HEAD_ERR_ALIGN;
        }
        if (!dma_reachable(s, r->addr, r->fb_size)) {
            *why = "buffer beyond the DMA address bits";
            return VPRIME_HEAD_ERR_DMA_MASK;
        }
        return 0;
    }
    if (!(s->caps & VPRIME_DISP_CAP_SCATTER)) {
        *reg = VPRIME_PL_CONTROL;
        *why = "page list on a contiguous-only engine";
        return VPRIME_HEAD_ERR_CONTIG;
    }
    if (r->addr % sizeof(uint64_t)) {
        *why = "page list not 8-byte aligned";
        return VPRIME_HEAD_ERR_ALIGN;
    }
    n = DIV_ROUND_UP(r->fb_size, VPRIME_DISP_PAGE_SIZE);
    if (!dma_reachable(s, r->addr, (uint64_t)n * sizeof(uint64_t))) {
        *why = "page list beyond the DMA address bits";
        return VPRIME_HEAD_ERR_DMA_MASK;
    }
    *npages = n;
    return 0;
}

/*
 * Every register check of one enabled plane, in the spec's order
 * (rectangles, buffer, location), without reading guest memory: the latch
 * and a migration load share it.  *npages is the page list's length (0 for
 * a contiguous buffer).
 */
uint32_t vprime_plane_check(VPrimeHead *h, unsigned p,
                            const VPrimePlaneRegs *r, uint32_t *npages,
                            hwaddr *reg, const char **why)
{
    uint32_t reason, n;
    unsigned i;

    *npages = 0;
    reason = plane_check_rect(h, p, r, reg, why);
    if (!reason) {
        reason = plane_check_buffer(r, reg, why);
    }
    if (!reason) {
        reason = plane_check_location(h, r, npages, reg, why);
    }
    /* framebuffer planes 1 and 2: their own buffers, the plane's CONTIG */
    for (i = 1; !reason && i < vprime_format_fb_planes(r->format); i++) {
        VPrimePlaneRegs fr = *r;

        fr.addr = r->fbp[i - 1].addr;
        fr.fb_size = r->fbp[i - 1].fb_size;
        reason = plane_check_location(h, &fr, &n, reg, why);
        if (reason && *reg == VPRIME_PL_ADDR_LO) {
            *reg = FBP_REG(i, VPRIME_FBP_ADDR_LO);
        }
    }
    return reason;
}

uint32_t vprime_plane_fbp_npages(const VPrimePlaneRegs *r, unsigned i)
{
    if (!(r->control & VPRIME_PL_CTRL_ENABLE) ||
        (r->control & VPRIME_PL_CTRL_CONTIG) ||
        i >= vprime_format_fb_planes(r->format)) {
        return 0;
    }
    return DIV_ROUND_UP(r->fbp[i - 1].fb_size, VPRIME_DISP_PAGE_SIZE);
}

/*
 * Check one enabled plane and read its page list (once, here).  Returns 0,
 * or a VPRIME_HEAD_ERR_* with the register it concerns and why.  On
 * success *pages holds the list (NULL for CONTIG).
 */
/* Read and check a page list of n entries at addr */
static uint32_t read_page_list(VPrimeHead *h, unsigned p, uint64_t addr,
                               uint32_t n, uint64_t **pages, const char **why)
{
    VPrimeDisplayState *s = h->s;
    g_autofree uint64_t *list = g_new(uint64_t, n);
    uint32_t i, reason;

    if (pci_dma_read(PCI_DEVICE(s), addr, list, n * sizeof(uint64_t)) !=
        MEMTX_OK) {
        *why = "page list not readable by DMA";
        return VPRIME_HEAD_ERR_PAGE_LIST;
    }
    vprime_head_count_read(h, vprime_core_dma_target(&s->core, addr, false),
                           n * sizeof(uint64_t));
    for (i = 0; i < n; i++) {
        list[i] = le64_to_cpu(list[i]);
        reason = vprime_disp_page_check(s, list[i], why);
        if (reason) {
            return reason;
        }
    }
    trace_vprime_disp_page_list(s->core.name, h->idx, p, addr, n);
    *pages = g_steal_pointer(&list);
    return 0;
}

static uint32_t plane_validate(VPrimeHead *h, unsigned p,
                               const VPrimePlaneRegs *r,
                               uint64_t **pages, uint32_t *npages,
                               uint64_t **fbp_pages, uint32_t *fbp_npages,
                               hwaddr *reg, const char **why)
{
    uint32_t n, reason;
    unsigned i;

    *pages = NULL;
    *npages = 0;
    reason = vprime_plane_check(h, p, r, &n, reg, why);
    if (reason) {
        return reason;
    }
    if (n) {
        *reg = VPRIME_PL_ADDR_LO;
        reason = read_page_list(h, p, r->addr, n, pages, why);
        if (reason) {
            return reason;
        }
        *npages = n;
    }
    for (i = 1; i < VPRIME_FBP_PLANES; i++) {
        n = vprime_plane_fbp_npages(r, i);
        if (!n) {
            continue;
        }
        *reg = FBP_REG(i, VPRIME_FBP_ADDR_LO);
        reason = read_page_list(h, p, r->fbp[i - 1].addr, n,
                                &fbp_pages[i - 1], why);
        if (reason) {
            return reason;
        }
        fbp_npages[i - 1] = n;
    }
    return 0;
}

/* A refused configuration: HEAD_ERROR, event ERROR, the error interrupt */
static void head_refuse(VPrimeHead *h, unsigned plane, uint32_t reason,
                        hwaddr reg, const char *why)
{
    VPrimeDisplayState *s = h->s;

    trace_vprime_disp_refuse(s->core.name, h->idx, plane, reason);
    h->error = reason | plane << VPRIME_HEAD_ERR_PLANE_SHIFT;
    vprime_head_event(h, VPRIME_HEAD_EV_ERROR);
    if (plane == VPRIME_HEAD_ERR_PLANE_HEAD) {
        vprime_core_guest_error(&s->core, VPRIME_ERR_DISPLAY, reg,
                                "head %u: update refused: %s", h->idx, why);
    } else {
        vprime_core_guest_error(&s->core, VPRIME_ERR_DISPLAY, reg,
                                "head %u plane %u: refused: %s", h->idx,
                                plane, why);
    }
}

void vprime_plane_set_pages(VPrimePlane *pl, uint64_t *pages, uint32_t n)
{
    unsigned i;

    g_free(pl->pages);
    pl->pages = pages;
    pl->npages = n;
    pl->cur = NULL;
    /* the framebuffer planes' lists go too: set them after this */
    for (i = 1; i < VPRIME_FBP_PLANES; i++) {
        vprime_plane_set_fbp_pages(pl, i, NULL, 0);
    }
}

void vprime_plane_set_fbp_pages(VPrimePlane *pl, unsigned i, uint64_t *pages,
                                uint32_t n)
{
    g_free(pl->fbp_pages[i - 1]);
    pl->fbp_pages[i - 1] = pages;
    pl->fbp_npages[i - 1] = n;
}

/*
 * A head that turns on at 'from' has its first vblank one period later;
 * genlocked, a head that is on with the same period sets the grid
 * instead: the first vblank is that head's next one, and from then on
 * both vblank at the same instants (the same deadlines, one period
 * apart).  The other head's deadline is brought up to the clock first:
 * its timer may be stopped or late.
 */
static void head_start_timer(VPrimeHead *h, int64_t from)
{
    VPrimeDisplayState *s = h->s;
    uint64_t period = head_period(h);
    unsigned i;

    h->deadline = from + period;
    h->frame_start = from;
    /* a VRR head's frames follow its flips: no grid to share */
    for (i = 0; s->genlock && !regs_vrr(&h->active) && i < s->heads; i++) {
        VPrimeHead *o = &s->head[i];
        int64_t d;

        if (o == h || !vprime_head_on(o) || regs_vrr(&o->active) ||
            mode_period_ns(&o->active) != period) {
            continue;
        }
        vprime_head_sync(o);
        d = o->deadline;
        if (d <= from) {
            d += ((from - d) / period + 1) * period;
        }
        h->deadline = d;
        trace_vprime_disp_genlock(s->core.name, h->idx, o->idx, d);
        break;
    }
    timer_mod(h->timer, h->deadline);
}

/* Is an injected unplug or replug armed on the head: it counts vblanks */
static bool head_fault_waits(VPrimeHead *h)
{
    GArray *armed = h->s->faults.armed;
    guint i;

    for (i = 0; i < armed->len; i++) {
        const VPrimeFault *f = &g_array_index(armed, VPrimeFault, i);

        if ((f->kind == VPRIME_INJ_UNPLUG || f->kind == VPRIME_INJ_REPLUG) &&
            (f->target == VPRIME_INJ_ANY || f->target == h->idx) &&
            h->output != VPRIME_OUTPUT_EDP) {
            return true;
        }
    }
    return false;
}

/*
 * Does anything wait for the head's next vblank: an UPDATE to latch, a
 * frame to compose, CRC capture, the VBLANK interrupt, an injected
 * unplug or replug counting vblanks?  If not, the timer stops.
 */
static bool head_needs_vblank(VPrimeHead *h)
{
    return vprime_head_on(h) &&
           (h->pending || h->dirty || h->crc_control ||
            (h->event_enable & VPRIME_HEAD_EV_VBLANK) || h->replug_in ||
            head_fault_waits(h));
}

/*
 * The vblanks that passed while the timer was stopped, as the running
 * timer would have counted them: FRAME, the timestamp of the latest
 * (mode start + n periods), the VBLANK event (no interrupt: it was
 * masked, or the timer would run) and the next deadline.
 */
void vprime_head_sync(VPrimeHead *h)
{
    int64_t now;
    uint64_t period, n;

    if (!vprime_head_on(h) || timer_pending(h->timer)) {
        return;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (now < h->deadline) {
        return;
    }
    period = head_period(h);
    n = 1 + (now - h->deadline) / period;
    h->vblank_ts = h->deadline + (n - 1) * period;
    h->frame_start = h->vblank_ts;
    h->deadline = h->vblank_ts + period;
    h->frame += n;
    h->stat_vblanks += n;
    h->s->stat_vblanks += n;
    h->events |= VPRIME_HEAD_EV_VBLANK;
    trace_vprime_disp_vblank_derived(h->s->core.name, h->idx, h->frame,
                                     h->vblank_ts, n);
}

/* Something may now wait for a vblank: run the timer, phase-locked */
void vprime_head_kick(VPrimeHead *h)
{
    if (timer_pending(h->timer) || !head_needs_vblank(h)) {
        return;
    }
    vprime_head_sync(h);
    timer_mod(h->timer, h->deadline);
}

/*
 * Latch the shadow registers (UPDATE at a vblank, or at once).  A head
 * level refusal keeps the whole active configuration; a plane refusal
 * turns off only that plane.  Either way the update is done: FLIP_DONE.
 * Returns true if the head was off and is now on.
 */
/*
 * ROUTE of a head being turned on or kept on: outputs the engine has, none
 * of them driven by another head that is on (one pipe per output; a pipe
 * may drive several: clones)
 */
static bool head_route_valid(VPrimeHead *h, uint32_t route, uint32_t *err,
                             const char **why)
{
    VPrimeDisplayState *s = h->s;
    unsigned i;

    if (route & ~MAKE_64BIT_MASK(0, s->heads)) {
        *err = VPRIME_HEAD_ERR_ROUTE;
        *why = "ROUTE names an output the engine does not have";
        return false;
    }
    for (i = 0; i < s->heads; i++) {
        if (i != h->idx && (vprime_head_driven(&s->head[i]) & route)) {
            *err = VPRIME_HEAD_ERR_ROUTE_BUSY;
            *why = "ROUTE names an output another head drives";
            return false;
        }
    }
    return true;
}

static bool head_latch(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    const VPrimeHeadRegs *n = &h->shadow;
    bool was_on = vprime_head_on(h);
    bool turned_on = false, accepted = false;
    const char *why = NULL;
    hwaddr colour_reg = 0;
    uint32_t colour_err, route_err;
    uint32_t was_driven = vprime_head_driven(h);
    unsigned p;

    h->pending = false;
    if (n->control & ~VPRIME_HEAD_CTRL_ENABLE) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, VPRIME_HEAD_ERR_CONTROL,
                    head_reg(h, VPRIME_HEAD_CONTROL), "reserved CONTROL bits");
        goto done;
    }
    if ((n->control & VPRIME_HEAD_CTRL_ENABLE) &&
        !vprime_mode_valid(n, &why)) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, VPRIME_HEAD_ERR_MODE,
                    head_reg(h, VPRIME_HEAD_MODE_SIZE), why);
        goto done;
    }
    if ((n->control & VPRIME_HEAD_CTRL_ENABLE) &&
        !head_route_valid(h, n->route, &route_err, &why)) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, route_err,
                    head_reg(h, VPRIME_HEAD_ROUTE), why);
        goto done;
    }
    if ((n->control & VPRIME_HEAD_CTRL_ENABLE) && !vprime_vrr_valid(n, &why)) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, VPRIME_HEAD_ERR_VRR,
                    head_reg(h, VPRIME_HEAD_VRR_CONTROL), why);
        goto done;
    }
    if ((n->control & VPRIME_HEAD_CTRL_ENABLE) && !vprime_bpc_valid(n, &why)) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, VPRIME_HEAD_ERR_BPC,
                    head_reg(h, VPRIME_HEAD_OUTPUT_BPC), why);
        goto done;
    }
    colour_err = vprime_colour_latch(h, n->control & VPRIME_HEAD_CTRL_ENABLE,
                                     &colour_reg, &why);
    if (colour_err) {
        head_refuse(h, VPRIME_HEAD_ERR_PLANE_HEAD, colour_err,
                    head_reg(h, colour_reg), why);
        goto done;
    }

    h->active = *n;
    accepted = true;
    trace_vprime_disp_latch(s->core.name, h->idx, n->control, n->mode_size);
    if (vprime_head_driven(h) != was_driven) {
        /* outputs it leaves show no signal; those it takes, its frame */
        trace_vprime_disp_route(s->core.name, h->idx, was_driven,
                                vprime_head_driven(h));
        vprime_disp_present_outputs(s, was_driven & ~vprime_head_driven(h));
    }
    if (!vprime_head_on(h)) {
        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            h->plane[p].active = (VPrimePlaneRegs) { 0 };
            vprime_plane_set_pages(&h->plane[p], NULL, 0);
        }
        if (was_on) {
            timer_del(h->timer);
            h->dirty = false;
            vprime_disp_release_mode(h);
            vprime_disp_present(h);
        }
        goto done;
    }

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        VPrimePlane *pl = &h->plane[p];
        VPrimePlaneRegs r = pl->shadow;
        uint64_t *pages = NULL;
        uint64_t *fbp_pages[VPRIME_FBP_PLANES - 1] = { NULL };
        uint32_t fbp_npages[VPRIME_FBP_PLANES - 1] = { 0 };
        uint32_t npages = 0, reason = 0;
        hwaddr reg = VPRIME_PL_CONTROL;
        unsigned i;

        if (r.control & ~vprime_plane_ctrl_valid(p)) {
            reason = VPRIME_HEAD_ERR_CONTROL;
            why = "reserved plane CONTROL bits";
        } else if (r.control & VPRIME_PL_CTRL_ENABLE) {
            reason = plane_validate(h, p, &r, &pages, &npages, fbp_pages,
                                    fbp_npages, &reg, &why);
        }
        if (reason) {
            head_refuse(h, p, reason, plane_reg(h, p, reg), why);
            r.control &= ~VPRIME_PL_CTRL_ENABLE;
            g_free(pages);
            pages = NULL;
            npages = 0;
            for (i = 0; i < VPRIME_FBP_PLANES - 1; i++) {
                g_free(fbp_pages[i]);
                fbp_pages[i] = NULL;
                fbp_npages[i] = 0;
            }
        }
        pl->active = r;
        vprime_plane_set_pages(pl, pages, npages);
        for (i = 1; i < VPRIME_FBP_PLANES; i++) {
            vprime_plane_set_fbp_pages(pl, i, fbp_pages[i - 1],
                                       fbp_npages[i - 1]);
        }
    }
    vprime_disp_set_mode(h);
    h->dirty = true;
    if (!was_on) {
        head_start_timer(h, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
        turned_on = true;
    }

done:
    vprime_wb_latch(h, accepted);
    h->flip_frame = h->frame;
    h->stat_flips++;
    s->stat_flips++;
    vprime_head_event(h, VPRIME_HEAD_EV_FLIP_DONE);
    return turned_on;
}

static void head_compose(VPrimeHead *h)
{
    uint32_t ev;

    h->dirty = false;
    ev = vprime_disp_compose(h);
    if (ev) {
        vprime_head_event(h, ev);
    }
    vprime_wb_run(h);   /* the frame just composed, for a pending job */
}

/*
 * VRR: an UPDATE (or the release of UPDATE_LOCK with one pending) ends
 * the frame: the next vblank comes now (in the register write), or one
 * shortest period (the mode's) after the frame started if that is later,
 * not at the end of the longest.  A vblank already due (its timer late)
 * is not moved: it latches the update.  Call with the head's vblanks
 * synced to the clock.
 */
static void head_vrr_end_frame(VPrimeHead *h)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    int64_t t;

    if (!vprime_head_on(h) || !regs_vrr(&h->active) || h->update_lock ||
        now >= h->deadline) {
        return;
    }
    t = MAX(now, h->frame_start + (int64_t)mode_period_ns(&h->active));
    if (t >= h->deadline) {
        return;
    }
    trace_vprime_disp_vrr_end_frame(h->s->core.name, h->idx, h->frame_start,
                                    t, h->deadline);
    h->deadline = t;
    if (t == now) {
        /* the vblank is now, in this register write */
        timer_del(h->timer);
        vprime_head_vblank(h);
    } else if (timer_pending(h->timer)) {
        timer_mod(h->timer, h->deadline);
    }
}

/* UPDATE: latch at the next vblank, or at once when nothing is scanning */
static void head_update(VPrimeHead *h)
{
    vprime_head_sync(h);
    if (!vprime_head_on(h) || !(h->shadow.control & VPRIME_HEAD_CTRL_ENABLE)) {
        int64_t t0 = get_clock();

        if (head_latch(h)) {
            head_compose(h);
        }
        h->s->stat_host_ns += get_clock() - t0;
        return;
    }
    if (!h->pending) {
        h->pending = true;
        h->update_ts = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        head_vrr_end_frame(h);
        vprime_head_kick(h);
    }
}

/*
 * Do two sets of the primary plane's registers differ in more than an
 * async UPDATE may change (ADDR_*, OFFSET, the framebuffer planes'
 * ADDR_* and OFFSET)?
 */
static bool async_regs_differ(const VPrimePlaneRegs *a,
                              const VPrimePlaneRegs *b)
{
    unsigned i;

    for (i = 0; i < VPRIME_FBP_PLANES - 1; i++) {
        if (a->fbp[i].fb_size != b->fbp[i].fb_size ||
            a->fbp[i].pitch != b->fbp[i].pitch) {
            return true;
        }
    }
    return a->control != b->control || a->format != b->format ||
           a->layout != b->layout || a->pitch != b->pitch ||
           a->fb_size != b->fb_size || a->src_pos != b->src_pos ||
           a->size != b->size || a->dst_pos != b->dst_pos ||
           a->zpos != b->zpos || a->dst_size != b->dst_size ||
           a->blend != b->blend || a->yuv != b->yuv;
}

/*
 * UPDATE | ASYNC: latch the primary plane's address and offset at once,
 * in this write, not at a vblank (a real engine tears: the rest of the
 * frame being scanned shows the new buffer).  The frame is composed
 * again now, so the CRC and the console show the new buffer from this
 * frame on.  Only the address may change: the head's own shadow
 * registers and the primary's others must equal the latched ones, or it
 * is refused (VPRIME_HEAD_ERR_ASYNC) and nothing changes.  A buffer the
 * plane checks refuse keeps the old one too (not the plane turned off,
 * as at a vblank).  Either way FLIP_DONE, with FLIP_FRAME the FRAME now.
 * Other planes' shadow registers and a pending UPDATE stay as they are.
 */
static void head_update_async(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    VPrimePlane *pl = &h->plane[VPRIME_PLANE_PRIMARY];
    VPrimePlaneRegs r = pl->active;
    uint64_t *pages = NULL;
    uint64_t *fbp_pages[VPRIME_FBP_PLANES - 1] = { NULL };
    uint32_t fbp_npages[VPRIME_FBP_PLANES - 1] = { 0 };
    uint32_t npages = 0, reason = VPRIME_HEAD_ERR_ASYNC;
    unsigned plane = VPRIME_HEAD_ERR_PLANE_HEAD;
    hwaddr reg = head_reg(h, VPRIME_HEAD_UPDATE);
    const char *why = NULL;
    int64_t t0 = get_clock();
    unsigned i;

    if (!vprime_head_on(h)) {
        why = "async UPDATE on a head that is off";
    } else if (h->shadow.control != h->active.control ||
               h->shadow.mode_size != h->active.mode_size ||
               h->shadow.mode_total != h->active.mode_total ||
               h->shadow.mode_clock != h->active.mode_clock ||
               h->shadow.vrr_control != h->active.vrr_control ||
               h->shadow.vrr_min_refresh != h->active.vrr_min_refresh ||
               h->shadow.output_bpc != h->active.output_bpc ||
               h->colour.shadow.control != h->colour.active.control ||
               h->colour.shadow.addr != h->colour.active.addr) {
        why = "async UPDATE with head registers changed";
    } else if (!(pl->active.control & VPRIME_PL_CTRL_ENABLE)) {
        plane = VPRIME_PLANE_PRIMARY;
        why = "async UPDATE with the primary plane off";
    } else if (async_regs_differ(&pl->shadow, &pl->active)) {
        plane = VPRIME_PLANE_PRIMARY;
        why = "async UPDATE changes more than the primary's address";
    } else {
        hwaddr preg;

        plane = VPRIME_PLANE_PRIMARY;
        r.addr = pl->shadow.addr;
        r.offset = pl->shadow.offset;
        for (i = 0; i < VPRIME_FBP_PLANES - 1; i++) {
            r.fbp[i].addr = pl->shadow.fbp[i].addr;
            r.fbp[i].offset = pl->shadow.fbp[i].offset;
        }
        reason = plane_validate(h, VPRIME_PLANE_PRIMARY, &r, &pages, &npages,
                                fbp_pages, fbp_npages, &preg, &why);
        reg = plane_reg(h, VPRIME_PLANE_PRIMARY, preg);
    }
    trace_vprime_disp_async(s->core.name, h->idx, r.addr, r.offset, reason);
    if (reason) {
        head_refuse(h, plane, reason, reg, why);
        g_free(pages);
        for (i = 0; i < VPRIME_FBP_PLANES - 1; i++) {
            g_free(fbp_pages[i]);
        }
    } else {
        pl->active = r;
        vprime_plane_set_pages(pl, pages, npages);
        for (i = 1; i < VPRIME_FBP_PLANES; i++) {
            vprime_plane_set_fbp_pages(pl, i, fbp_pages[i - 1],
                                       fbp_npages[i - 1]);
        }
        head_compose(h);
    }
    h->flip_frame = h->frame;
    h->stat_flips++;
    s->stat_flips++;
    vprime_head_event(h, VPRIME_HEAD_EV_FLIP_DONE);
    s->stat_host_ns += get_clock() - t0;
    vprime_head_kick(h);
}

/*
 * UPDATE_LOCK.  While it is held no vblank latches, so the guest can write
 * a set of shadow registers with an UPDATE pending (a cursor move while a
 * flip waits) and no vblank takes half of them.  Released with an UPDATE
 * pending, the update counts as written now: it latches at the first
 * vblank whose deadline is after the release.  The lock does not hold
 * back a latch at once (the head off, or being turned off): that one
 * happens in the UPDATE write, after the registers it takes.  @now is
 * the device clock of the write that releases it: the global
 * UPDATE_LOCK_CLEAR releases several heads at one instant, so that
 * genlocked heads latch at one vblank, never a vblank between them.
 */
void vprime_head_set_update_lock(VPrimeHead *h, bool lock, int64_t now)
{
    bool released = h->update_lock && !lock && h->pending;

    if (released) {
        h->update_ts = now;
    }
    h->update_lock = lock;
    if (released) {
        head_vrr_end_frame(h);
    }
}

/*
 * Injected monitor unplug and replug, counted in vblanks of the head so
 * that they do not depend on time.  An eDP panel cannot be unplugged:
 * its vblanks are no candidates, a fault armed on it stays armed.
 */
static void head_inject_hotplug(VPrimeHead *h)
{
    VPrimeFaults *f = &h->s->faults;
    VPrimeFaultHit hit;

    if (h->output == VPRIME_OUTPUT_EDP) {
        return;
    }
    h->seq_vblanks++;
    if (h->replug_in && !--h->replug_in) {
        vprime_fault_note(f, VPRIME_INJ_REPLUG, h->idx, "vblank",
                          h->seq_vblanks, "after unplug");
        vprime_head_set_connected(h, true);
    }
    if (vprime_fault_check(f, VPRIME_INJ_UNPLUG, h->idx, "vblank",
                           h->seq_vblanks, 0, 0, &hit)) {
        h->replug_in = hit.replug;
        vprime_head_set_connected(h, false);
    }
    if (vprime_fault_check(f, VPRIME_INJ_REPLUG, h->idx, "vblank",
                           h->seq_vblanks, 0, 0, &hit)) {
        h->replug_in = 0;
        vprime_head_set_connected(h, true);
    }
}

/*
 * Vblank.  Deadlines advance by exactly one period; if the main loop ran
 * late by whole periods, FRAME counts the missed vblanks too and the
 * timestamp is that of the latest one (one event for all).  A pending
 * UPDATE latches only if it was written before that vblank's deadline:
 * one the guest wrote while this callback was late belongs to the next.
 * The next deadline is set before anything else, so that what this
 * callback does (a replug, an event) sees the head in step with the
 * clock.  The timer is re-armed only if something waits for a vblank.
 */
void vprime_head_vblank(void *opaque)
{
    VPrimeHead *h = opaque;
    VPrimeDisplayState *s = h->s;
    int64_t t0 = get_clock();
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint64_t period = head_period(h);
    uint64_t n = 1;
    bool vrr = regs_vrr(&h->active);

    if (now > h->deadline) {
        n += (now - h->deadline) / period;
    }
    h->vblank_ts = h->deadline + (n - 1) * period;
    h->frame_start = h->vblank_ts;
    h->deadline = h->vblank_ts + period;
    h->frame += n;
    h->stat_vblanks += n;
    s->stat_vblanks += n;
    s->stat_vblank_wakeups++;
    trace_vprime_disp_vblank(s->core.name, h->idx, h->frame, h->vblank_ts);
    head_inject_hotplug(h);

    if (h->pending && h->update_lock) {
        trace_vprime_disp_update_locked(s->core.name, h->idx, h->frame);
    } else if (h->pending && (h->update_ts < (int64_t)h->vblank_ts ||
                              (vrr && h->update_ts == (int64_t)h->vblank_ts))) {
        /* with VRR, the UPDATE that ended the frame latches at its vblank */
        head_latch(h);
        if (vprime_head_on(h)) {
            h->deadline = h->vblank_ts + head_period(h);
        }
    } else if (h->pending) {
        trace_vprime_disp_update_late(s->core.name, h->idx, h->frame,
                                      h->update_ts, h->vblank_ts);
    }
    if (vprime_head_on(h)) {
        bool grew;

        if (h->dirty) {
            head_compose(h);
        }
        grew = vprime_disp_grow_views(h);
        if (grew || head_needs_vblank(h)) {
            timer_mod(h->timer, h->deadline);
        } else {
            trace_vprime_disp_vblank_stop(s->core.name, h->idx, h->frame);
            timer_del(h->timer);
        }
    }
    vprime_head_event(h, VPRIME_HEAD_EV_VBLANK);
    s->stat_host_ns += get_clock() - t0;
}

/* ---- registers -------------------------------------------------------- */

static uint32_t plane_regs_read(const VPrimePlaneRegs *r, hwaddr reg,
                                bool *ok)
{
    *ok = true;
    switch (reg) {
    case VPRIME_PL_CONTROL:
        return r->control;
    case VPRIME_PL_FORMAT:
        return r->format;
    case VPRIME_PL_LAYOUT:
        return r->layout;
    case VPRIME_PL_PITCH:
        return r->pitch;
    case VPRIME_PL_ADDR_LO:
        return (uint32_t)r->addr;
    case VPRIME_PL_ADDR_HI:
        return r->addr >> 32;
    case VPRIME_PL_FB_SIZE:
        return r->fb_size;
    case VPRIME_PL_OFFSET:
        return r->offset;
    case VPRIME_PL_SRC_POS:
        return r->src_pos;
    case VPRIME_PL_SIZE:
        return r->size;
    case VPRIME_PL_DST_POS:
        return r->dst_pos;
    case VPRIME_PL_ZPOS:
        return r->zpos;
    case VPRIME_PL_DST_SIZE:
        return r->dst_size;
    case VPRIME_PL_BLEND:
        return r->blend;
    case VPRIME_PL_YUV:
        return r->yuv;
    case VPRIME_PL_LAYOUTS:
        return VPRIME_DISP_LAYOUTS;
    }
    *ok = false;
    return 0;
}

static bool plane_regs_write(VPrimePlaneRegs *r, hwaddr reg, uint32_t val)
{
    switch (reg) {
    case VPRIME_PL_CONTROL:
        r->control = val;
        return true;
    case VPRIME_PL_FORMAT:
        r->format = val;
        return true;
    case VPRIME_PL_LAYOUT:
        r->layout = val;
        return true;
    case VPRIME_PL_PITCH:
        r->pitch = val;
        return true;
    case VPRIME_PL_ADDR_LO:
        r->addr = deposit64(r->addr, 0, 32, val);
        return true;
    case VPRIME_PL_ADDR_HI:
        r->addr = deposit64(r->addr, 32, 32, val);
        return true;
    case VPRIME_PL_FB_SIZE:
        r->fb_size = val;
        return true;
    case VPRIME_PL_OFFSET:
        r->offset = val;
        return true;
    case VPRIME_PL_SRC_POS:
        r->src_pos = val;
        return true;
    case VPRIME_PL_SIZE:
        r->size = val;
        return true;
    case VPRIME_PL_DST_POS:
        r->dst_pos = val;
        return true;
    case VPRIME_PL_ZPOS:
        r->zpos = val;
        return true;
    case VPRIME_PL_DST_SIZE:
        r->dst_size = val;
        return true;
    case VPRIME_PL_BLEND:
        r->blend = val;
        return true;
    case VPRIME_PL_YUV:
        r->yuv = val;
        return true;
    }
    return false;
}

/*
 * The shadow registers of the framebuffer plane a VPRIME_FBP_HEAD_BASE
 * offset falls in (NULL: none), and the register within them
 */
static VPrimeFbPlaneRegs *fbp_regs(VPrimeHead *h, hwaddr reg, hwaddr *r)
{
    unsigned p = reg / VPRIME_PL_REGS_SIZE;
    unsigned i = reg % VPRIME_PL_REGS_SIZE / VPRIME_FBP_REGS_SIZE;

    if (p >= VPRIME_DISP_PLANES) {
        return NULL;
    }
    *r = reg % VPRIME_FBP_REGS_SIZE;
    return &h->plane[p].shadow.fbp[i];
}

bool vprime_fbp_read(VPrimeHead *h, hwaddr reg, uint64_t *val)
{
    hwaddr r;
    VPrimeFbPlaneRegs *f = fbp_regs(h, reg, &r);

    if (!f) {
        return false;
    }
    switch (r) {
    case VPRIME_FBP_ADDR_LO:
        *val = (uint32_t)f->addr;
        return true;
    case VPRIME_FBP_ADDR_HI:
        *val = f->addr >> 32;
        return true;
    case VPRIME_FBP_FB_SIZE:
        *val = f->fb_size;
        return true;
    case VPRIME_FBP_PITCH:
        *val = f->pitch;
        return true;
    case VPRIME_FBP_OFFSET:
        *val = f->offset;
        return true;
    }
    return false;
}

bool vprime_fbp_write(VPrimeHead *h, hwaddr reg, uint64_t val)
{
    hwaddr r;
    VPrimeFbPlaneRegs *f = fbp_regs(h, reg, &r);

    if (!f) {
        return false;
    }
    switch (r) {
    case VPRIME_FBP_ADDR_LO:
        f->addr = deposit64(f->addr, 0, 32, val);
        return true;
    case VPRIME_FBP_ADDR_HI:
        f->addr = deposit64(f->addr, 32, 32, val);
        return true;
    case VPRIME_FBP_FB_SIZE:
        f->fb_size = val;
        return true;
    case VPRIME_FBP_PITCH:
        f->pitch = val;
        return true;
    case VPRIME_FBP_OFFSET:
        f->offset = val;
        return true;
    }
    return false;
}

bool vprime_head_read(VPrimeHead *h, hwaddr reg, uint64_t *val)
{
    if (reg >= VPRIME_PLANE_BASE(0) &&
        reg < VPRIME_PLANE_BASE(VPRIME_DISP_PLANES)) {
        unsigned p = (reg - VPRIME_PLANE_BASE(0)) / VPRIME_PL_REGS_SIZE;
        bool ok;

        *val = plane_regs_read(&h->plane[p].shadow,
                               reg - VPRIME_PLANE_BASE(p), &ok);
        return ok;
    }
    vprime_head_sync(h);        /* FRAME, VBLANK_TS, EVENTS: up to now */
    switch (reg) {
    case VPRIME_HEAD_CONTROL:
        *val = h->shadow.control;
        return true;
    case VPRIME_HEAD_MODE_SIZE:
        *val = h->shadow.mode_size;
        return true;
    case VPRIME_HEAD_MODE_TOTAL:
        *val = h->shadow.mode_total;
        return true;
    case VPRIME_HEAD_MODE_CLOCK:
        *val = h->shadow.mode_clock;
        return true;
    case VPRIME_HEAD_UPDATE:
    case VPRIME_HEAD_DAMAGE:
        *val = 0;   /* write-only */
        return true;
    case VPRIME_HEAD_STATUS:
        *val = (h->connected ? VPRIME_HEAD_STATUS_CONNECTED : 0) |
               (vprime_head_on(h) ? VPRIME_HEAD_STATUS_ACTIVE : 0) |
               (h->pending ? VPRIME_HEAD_STATUS_PENDING : 0);
        return true;
    case VPRIME_HEAD_EVENTS:
        *val = h->events;
        return true;
    case VPRIME_HEAD_EVENT_ENABLE:
        *val = h->event_enable;
        return true;
    case VPRIME_HEAD_FRAME:
        *val = h->frame;
        return true;
    case VPRIME_HEAD_VBLANK_TS_LO:
        *val = (uint32_t)h->vblank_ts;
        return true;
    case VPRIME_HEAD_VBLANK_TS_HI:
        *val = h->vblank_ts >> 32;
        return true;
    case VPRIME_HEAD_CRC_CONTROL:
        *val = h->crc_control;
        return true;
    case VPRIME_HEAD_CRC:
        *val = h->crc;
        return true;
    case VPRIME_HEAD_CRC_FRAME:
        *val = h->crc_frame;
        return true;
    case VPRIME_HEAD_ERROR:
        *val = h->error;
        return true;
    case VPRIME_HEAD_EDID_SIZE:
        *val = h->connected ? h->edid_size : 0;
        return true;
    case VPRIME_HEAD_FLIP_FRAME:
        *val = h->flip_frame;
        return true;
    case VPRIME_HEAD_UPDATE_LOCK:
        *val = h->update_lock;
        return true;
    case VPRIME_HEAD_ROUTE:
        *val = h->shadow.route;
        return true;
    case VPRIME_HEAD_OUTPUT_SOURCE: {
        VPrimeHead *src = vprime_disp_output_source(h);

        *val = src ? src->idx : VPRIME_HEAD_SOURCE_NONE;
        return true;
    }
    case VPRIME_HEAD_OUTPUT_CRC:
        *val = h->out_crc;
        return true;
    case VPRIME_HEAD_VRR_CONTROL:
        *val = h->shadow.vrr_control;
        return true;
    case VPRIME_HEAD_VRR_MIN_REFRESH:
        *val = h->shadow.vrr_min_refresh;
        return true;
    case VPRIME_HEAD_OUTPUT_BPC:
        *val = h->shadow.output_bpc;
        return true;
    case VPRIME_HEAD_COLOUR_CONTROL:
        *val = h->colour.shadow.control;
        return true;
    case VPRIME_HEAD_COLOUR_ADDR_LO:
        *val = (uint32_t)h->colour.shadow.addr;
        return true;
    case VPRIME_HEAD_COLOUR_ADDR_HI:
        *val = h->colour.shadow.addr >> 32;
        return true;
    case VPRIME_HEAD_OUTPUT:
        *val = h->output;
        return true;
    }
    return vprime_wb_read(h, reg, val);
}

static bool head_bad_value(VPrimeHead *h, hwaddr reg, uint64_t val,
                           const char *why)
{
    vprime_core_guest_error(&h->s->core, VPRIME_ERR_BAD_VALUE,
                            head_reg(h, reg), "head %u: 0x%" PRIx64
                            " rejected: %s", h->idx, val, why);
    return true;
}

bool vprime_head_write(VPrimeHead *h, hwaddr reg, uint64_t val)
{
    if (reg >= VPRIME_PLANE_BASE(0) &&
        reg < VPRIME_PLANE_BASE(VPRIME_DISP_PLANES)) {
        unsigned p = (reg - VPRIME_PLANE_BASE(0)) / VPRIME_PL_REGS_SIZE;

        return plane_regs_write(&h->plane[p].shadow,
                                reg - VPRIME_PLANE_BASE(p), val);
    }
    vprime_head_sync(h);        /* EVENTS cleared after the vblanks so far */
    switch (reg) {
    case VPRIME_HEAD_CONTROL:
        h->shadow.control = val;
        return true;
    case VPRIME_HEAD_MODE_SIZE:
        h->shadow.mode_size = val;
        return true;
    case VPRIME_HEAD_MODE_TOTAL:
        h->shadow.mode_total = val;
        return true;
    case VPRIME_HEAD_MODE_CLOCK:
        h->shadow.mode_clock = val;
        return true;
    case VPRIME_HEAD_UPDATE:
        if (val == VPRIME_HEAD_UPDATE_LATCH) {
            head_update(h);
        } else if (val == (VPRIME_HEAD_UPDATE_LATCH |
                           VPRIME_HEAD_UPDATE_ASYNC) &&
                   (h->s->caps & VPRIME_DISP_CAP_ASYNC_FLIP)) {
            head_update_async(h);
        } else {
            return head_bad_value(h, reg, val, "UPDATE takes 1 or 1 | ASYNC");
        }
        return true;
    case VPRIME_HEAD_EVENTS:
        h->events &= ~val;
        return true;
    case VPRIME_HEAD_UPDATE_LOCK:
        if (val > 1) {
            return head_bad_value(h, reg, val, "UPDATE_LOCK takes 0 or 1");
        }
        vprime_head_set_update_lock(h, val,
                                    qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
        return true;
    case VPRIME_HEAD_ROUTE:
        h->shadow.route = val;
        return true;
    case VPRIME_HEAD_VRR_CONTROL:
        h->shadow.vrr_control = val;
        return true;
    case VPRIME_HEAD_VRR_MIN_REFRESH:
        h->shadow.vrr_min_refresh = val;
        return true;
    case VPRIME_HEAD_OUTPUT_BPC:
        h->shadow.output_bpc = val;
        return true;
    case VPRIME_HEAD_COLOUR_CONTROL:
        h->colour.shadow.control = val;
        return true;
    case VPRIME_HEAD_COLOUR_ADDR_LO:
        h->colour.shadow.addr = deposit64(h->colour.shadow.addr, 0, 32, val);
        return true;
    case VPRIME_HEAD_COLOUR_ADDR_HI:
        h->colour.shadow.addr = deposit64(h->colour.shadow.addr, 32, 32, val);
        return true;
    case VPRIME_HEAD_EVENT_ENABLE:
        if (val & ~VPRIME_HEAD_EV_VALID_MASK) {
            return head_bad_value(h, reg, val, "reserved EVENT_ENABLE bits");
        }
        h->event_enable = val;
        vprime_head_kick(h);
        return true;
    case VPRIME_HEAD_CRC_CONTROL:
        if (val > 1) {
            return head_bad_value(h, reg, val, "CRC_CONTROL takes 0 or 1");
        }
        if (val && !h->crc_control) {
            h->dirty = true;    /* the next vblank composes and checksums */
        }
        h->crc_control = val;
        vprime_head_kick(h);
        return true;
    case VPRIME_HEAD_ERROR:
        h->error &= ~val;
        return true;
    case VPRIME_HEAD_DAMAGE:
        if (val != 1) {
            return head_bad_value(h, reg, val, "DAMAGE takes only 1");
        }
        h->dirty = true;
        vprime_head_kick(h);
        return true;
    case VPRIME_HEAD_STATUS:
    case VPRIME_HEAD_FRAME:
    case VPRIME_HEAD_VBLANK_TS_LO:
    case VPRIME_HEAD_VBLANK_TS_HI:
    case VPRIME_HEAD_CRC:
    case VPRIME_HEAD_CRC_FRAME:
    case VPRIME_HEAD_EDID_SIZE:
    case VPRIME_HEAD_FLIP_FRAME:
    case VPRIME_HEAD_OUTPUT:
    case VPRIME_HEAD_WB_STATUS:
    case VPRIME_HEAD_WB_FRAME:
    case VPRIME_HEAD_OUTPUT_SOURCE:
    case VPRIME_HEAD_OUTPUT_CRC:
        goto read_only;
    }
    return vprime_wb_write(h, reg, val);

read_only:
    vprime_core_guest_error(&h->s->core, VPRIME_ERR_BAD_ACCESS,
                            head_reg(h, reg), "head %u: write to read-only "
                            "register 0x%" HWADDR_PRIx, h->idx, reg);
    return true;
}

/* Every register of the head; the connector is the host's and stays */
void vprime_head_reset(VPrimeHead *h)
{
    unsigned p;

    timer_del(h->timer);
    h->shadow = h->active = VPRIME_HEAD_REGS_RESET(h->idx);
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        h->plane[p].shadow = h->plane[p].active = (VPrimePlaneRegs) { 0 };
        vprime_plane_set_pages(&h->plane[p], NULL, 0);
    }
    memset(&h->colour, 0, sizeof(h->colour));
    vprime_wb_reset(h);
    h->pending = false;
    h->update_ts = 0;
    h->update_lock = false;
    h->events = 0;
    h->event_enable = 0;
    h->frame = 0;
    h->flip_frame = 0;
    h->vblank_ts = 0;
    h->crc_control = 0;
    h->crc = 0;
    h->crc_frame = 0;
    h->error = 0;
    h->dirty = false;
    h->deadline = 0;
    h->frame_start = 0;
    vprime_disp_release_mode(h);
    vprime_disp_present(h);
}
