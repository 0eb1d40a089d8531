/*
 * QTest testcases for the vprime display engine: identification, double
 * buffered registers latched at vblank, vblank timing, per-head
 * interrupts, the CRC of composed frames in every format and layout,
 * blending, page lists, contiguous-only and dma-bits engines, hostile
 * configurations, underruns, hotplug and EDID, counters, reset and
 * screendumps.
 *
 * Expected frames are composed here from the same pixels the test writes
 * to guest memory, with the blending arithmetic the spec gives, and
 * checksummed with zlib's CRC-32 (vprime_vprime_frame_crc()): no expected value
 * is a constant.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/units.h"
#include "qobject/qbool.h"
#include "vprime-qtest.h"

#define PEER_SLOT       5
#define PAGE            VPRIME_DISP_PAGE_SIZE
/* Guest physical addresses nothing decodes (q35 with 512 MiB of RAM) */
#define UNASSIGNED      0x10000000000ULL
#define ABOVE_4G        0x100000000ULL
/* The PC firmware's ROM, mapped just below 4 GiB */
#define BIOS_ROM        0xfffc0000ULL

typedef struct Disp {
    VPrimeQTest t;
    GRand *rng;                 /* pixel values, seeded: the same each run */
} Disp;

/* ---- device access ------------------------------------------------------ */

static uint32_t rd(Disp *d, uint32_t reg)
{
    return vprime_rd(&d->t, reg);
}

static void wr(Disp *d, uint32_t reg, uint32_t val)
{
    vprime_wr(&d->t, reg, val);
}

static uint32_t hrd(Disp *d, int h, uint32_t reg)
{
    return rd(d, VPRIME_HEAD_BASE(h) + reg);
}

static void hwr(Disp *d, int h, uint32_t reg, uint32_t val)
{
    wr(d, VPRIME_HEAD_BASE(h) + reg, val);
}

static uint32_t prd(Disp *d, int h, int p, uint32_t reg)
{
    return hrd(d, h, VPRIME_PLANE_BASE(p) + reg);
}

static void pwr(Disp *d, int h, int p, uint32_t reg, uint32_t val)
{
    hwr(d, h, VPRIME_PLANE_BASE(p) + reg, val);
}

/* The display engine as the device under test, with 'extra' devices */
static void disp_start_with(Disp *d, const char *props, const char *extra,
                            guint32 seed)
{
    vprime_start(&d->t, "vprime-display", props, extra);
    d->rng = g_rand_new_with_seed(seed);
}

static void disp_start(Disp *d, const char *props)
{
    disp_start_with(d, props, NULL, 0x12345678);
}

static void disp_stop(Disp *d)
{
    g_rand_free(d->rng);
    vprime_stop(&d->t);
}

static uint32_t rnd(Disp *d)
{
    return g_rand_int(d->rng);
}

static uint64_t alloc_pages(Disp *d, uint64_t bytes)
{
    return vprime_alloc(&d->t, ROUND_UP(bytes, PAGE));
}

static uint64_t clock_ns(Disp *d)
{
    uint32_t lo = rd(d, VPRIME_DISP_CLOCK_LO);

    return (uint64_t)rd(d, VPRIME_DISP_CLOCK_HI) << 32 | lo;
}

static uint64_t vblank_ts(Disp *d, int h)
{
    return (uint64_t)hrd(d, h, VPRIME_HEAD_VBLANK_TS_HI) << 32 |
           hrd(d, h, VPRIME_HEAD_VBLANK_TS_LO);
}

static uint64_t qom_u64(Disp *d, const char *prop)
{
    return vprime_qom_u64(&d->t, prop);
}

static char *qom_str(Disp *d, const char *prop)
{
    return vprime_qom_str(&d->t, prop);
}

/* Aim MSI-X vector 'vec' at guest RAM, data 0xd0 + vec */
static uint64_t msix_setup(Disp *d, int vec)
{
    return vprime_msix_vector(&d->t, vec, 0xd0 + vec);
}

/* ---- modes ------------------------------------------------------------ */

typedef struct Mode {
    uint16_t hd, vd, ht, vt;
    uint32_t clock_khz;
} Mode;

/* 60 Hz; the period does not divide evenly (16666666.67 ns) */
static const Mode mode_a = { 64, 48, 80, 50, 240 };
/* 64 Hz exactly */
static const Mode mode_b = { 100, 100, 125, 125, 1000 };

static uint64_t mode_period(const Mode *m)
{
    return (uint64_t)m->ht * m->vt * 1000000 / m->clock_khz;
}

static void set_mode(Disp *d, int h, const Mode *m)
{
    hwr(d, h, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(m->hd, m->vd));
    hwr(d, h, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(m->ht, m->vt));
    hwr(d, h, VPRIME_HEAD_MODE_CLOCK, m->clock_khz);
}

/* Head off (an update that latches at once), events and errors cleared */
static void head_off(Disp *d, int h)
{
    hwr(d, h, VPRIME_HEAD_CONTROL, 0);
    hwr(d, h, VPRIME_HEAD_UPDATE, 1);
    hwr(d, h, VPRIME_HEAD_EVENTS, ~0u);
    hwr(d, h, VPRIME_HEAD_ERROR, ~0u);
    wr(d, VPRIME_REG_ERROR, ~0u);
    wr(d, VPRIME_REG_IRQ_STATUS, ~0u);
}

/* ---- frame buffers in guest memory ------------------------------------ */

typedef struct PlaneCfg {
    uint32_t format, layout, pitch, offset, fb_size;
    uint32_t sx, sy, w, h, dx, dy;
    bool contig;
} PlaneCfg;

typedef struct Buf {
    uint32_t size;
    bool contig;
    uint64_t addr;              /* contig: the buffer; else the page list */
    uint64_t *pages;
    uint32_t npages;
    uint8_t *cpu;               /* what the buffer holds */
    uint32_t *argb;             /* premultiplied ARGB of the source rect */
} Buf;

static void buf_free(Buf *b)
{
    g_free(b->pages);
    g_free(b->cpu);
    g_free(b->argb);
    memset(b, 0, sizeof(*b));
}

/*
 * A buffer in guest RAM: contiguous, or pages in a deliberately scattered
 * order (backwards, with holes, a few pairs left adjacent) and a page
 * list.
 */
static void buf_alloc(Disp *d, Buf *b, uint32_t size, bool contig)
{
    uint32_t i;

    memset(b, 0, sizeof(*b));
    b->size = size;
    b->contig = contig;
    b->cpu = g_malloc(size);
    for (i = 0; i < size; i++) {
        b->cpu[i] = rnd(d);     /* bytes outside the picture are noise */
    }
    if (contig) {
        b->addr = alloc_pages(d, size);
        return;
    }
    b->npages = DIV_ROUND_UP(size, PAGE);
    b->pages = g_new(uint64_t, b->npages);
    {
        uint64_t base = alloc_pages(d, (uint64_t)b->npages * 3 * PAGE);
        g_autofree uint64_t *list = g_new(uint64_t, b->npages);

        for (i = 0; i < b->npages; i++) {
            /*
             * Backwards with a free page between neighbours, except that
             * every third page follows the previous one: runs of two.
             */
            if (i % 3 == 2) {
                b->pages[i] = b->pages[i - 1] + PAGE;
            } else {
                b->pages[i] = base + 3 * (b->npages - 1 - i) * PAGE;
            }
            list[i] = cpu_to_le64(b->pages[i]);
        }
        b->addr = alloc_pages(d, b->npages * 8);
        qtest_memwrite(d->t.qts, b->addr, list, b->npages * 8);
    }
}

static void buf_upload(Disp *d, Buf *b)
{
    uint32_t i;

    if (b->contig) {
        qtest_memwrite(d->t.qts, b->addr, b->cpu, b->size);
        return;
    }
    for (i = 0; i < b->npages; i++) {
        qtest_memwrite(d->t.qts, b->pages[i], b->cpu + i * PAGE,
                       MIN(PAGE, b->size - i * PAGE));
    }
}

static uint32_t fmt_cpp(uint32_t fmt)
{
    return fmt == VPRIME_FMT_RGB565 ? 2 : 4;
}

/*
 * Where byte xb of row y lies, as drm_fourcc.h (Intel X-tiled) and the
 * Tegra X1 TRM (NVIDIA 16Bx2 block linear, blocks of 8 GOBs) define the
 * layouts, written as address bits; not vprime_layout.h, which the model
 * uses (vprime-gpu-test checks that one against the same definitions)
 */
static uint64_t layout_ref(uint32_t layout, uint32_t pitch, uint32_t xb,
                           uint32_t y)
{
    switch (layout) {
    case VPRIME_LAYOUT_X_TILED:     /* 512 B x 8 rows, row-major */
        return (((uint64_t)(y >> 3) * (pitch >> 9) + (xb >> 9)) << 12) |
               (y & 7) << 9 | (xb & 511);
    case VPRIME_LAYOUT_NV_BLOCK:    /* blocks of 8 GOBs; GOB: 64 B x 8 */
        return (((uint64_t)(y >> 6) * (pitch >> 6) + (xb >> 6)) << 12) |
               ((y >> 3) & 7) << 9 | ((xb >> 5) & 1) << 8 |
               ((y >> 1) & 3) << 6 | ((xb >> 4) & 1) << 5 | (y & 1) << 4 |
               (xb & 15);
    }
    return (uint64_t)y * pitch + xb;
}

/* Tile width and height of the layouts the display scans (linear: 0, 1) */
static uint32_t layout_tw(uint32_t layout)
{
    return layout == VPRIME_LAYOUT_X_TILED ? 512 :
           layout == VPRIME_LAYOUT_NV_BLOCK ? 64 : 0;
}

static uint32_t layout_th(uint32_t layout)
{
    return layout_tw(layout) ? 4096 / layout_tw(layout) : 1;
}

static uint64_t pixel_offset(const PlaneCfg *c, uint32_t x, uint32_t y)
{
    return c->offset + layout_ref(c->layout, c->pitch,
                                  x * fmt_cpp(c->format), y);
}

static uint8_t premul(uint8_t c, uint8_t a)
{
    return (c * a + 127) / 255;
}

/*
 * Encode one source pixel in the plane's format; returns the
 * premultiplied ARGB the engine must see (opaque for X and 565 formats).
 * The X bytes hold noise, which the engine must ignore.
 */
static uint32_t encode_pixel(Disp *d, uint32_t fmt, uint8_t *out, bool alpha)
{
    uint32_t v = rnd(d);
    uint8_t r = v >> 16, g = v >> 8, b = v, a = alpha ? v >> 24 : 0xff;
    uint8_t noise = rnd(d) | 1;

    switch (fmt) {
    case VPRIME_FMT_XRGB8888:
        stl_le_p(out, (uint32_t)noise << 24 | r << 16 | g << 8 | b);
        return 0xff000000u | r << 16 | g << 8 | b;
    case VPRIME_FMT_ARGB8888:
        r = premul(r, a);
        g = premul(g, a);
        b = premul(b, a);
        stl_le_p(out, (uint32_t)a << 24 | r << 16 | g << 8 | b);
        return (uint32_t)a << 24 | r << 16 | g << 8 | b;
    case VPRIME_FMT_XBGR8888:
        stl_le_p(out, (uint32_t)noise << 24 | b << 16 | g << 8 | r);
        return 0xff000000u | r << 16 | g << 8 | b;
    default: {
        uint16_t p = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3;
        uint32_t r5 = p >> 11, g6 = (p >> 5) & 0x3f, b5 = p & 0x1f;

        stw_le_p(out, p);
        return 0xff000000u | (r5 << 3 | r5 >> 2) << 16 |
               (g6 << 2 | g6 >> 4) << 8 | (b5 << 3 | b5 >> 2);
    }
    }
}

/* Fill the plane's source rectangle with random pixels and upload */
static void buf_paint(Disp *d, Buf *b, const PlaneCfg *c, bool alpha)
{
    uint32_t x, y;

    b->argb = g_new(uint32_t, c->w * c->h);
    for (y = 0; y < c->h; y++) {
        for (x = 0; x < c->w; x++) {
            uint64_t off = pixel_offset(c, c->sx + x, c->sy + y);

            g_assert_cmpuint(off + fmt_cpp(c->format), <=, b->size);
            b->argb[y * c->w + x] = encode_pixel(d, c->format, b->cpu + off,
                                                 alpha);
        }
    }
    buf_upload(d, b);
}

static void set_plane(Disp *d, int h, int p, const PlaneCfg *c, uint64_t addr,
                      uint32_t extra_ctrl)
{
    pwr(d, h, p, VPRIME_PL_FORMAT, c->format);
    pwr(d, h, p, VPRIME_PL_LAYOUT, c->layout);
    pwr(d, h, p, VPRIME_PL_PITCH, c->pitch);
    pwr(d, h, p, VPRIME_PL_ADDR_LO, (uint32_t)addr);
    pwr(d, h, p, VPRIME_PL_ADDR_HI, addr >> 32);
    pwr(d, h, p, VPRIME_PL_FB_SIZE, c->fb_size);
    pwr(d, h, p, VPRIME_PL_OFFSET, c->offset);
    pwr(d, h, p, VPRIME_PL_SRC_POS, VPRIME_XY(c->sx, c->sy));
    pwr(d, h, p, VPRIME_PL_SIZE, VPRIME_XY(c->w, c->h));
    pwr(d, h, p, VPRIME_PL_DST_POS, VPRIME_XY(c->dx, c->dy));
    pwr(d, h, p, VPRIME_PL_CONTROL, VPRIME_PL_CTRL_ENABLE |
        (c->contig ? VPRIME_PL_CTRL_CONTIG : 0) | extra_ctrl);
}

/* A plane backed by a new buffer with random pixels */
static void plane_with_buf(Disp *d, int h, int p, const PlaneCfg *c, Buf *b,
                           bool alpha)
{
    buf_alloc(d, b, c->fb_size, c->contig);
    buf_paint(d, b, c, alpha);
    set_plane(d, h, p, c, b->addr, 0);
}

/* ---- the expected frame ------------------------------------------------- */

/* pixman's x * a / 255 for 8-bit channels */
static uint32_t mul_un8(uint32_t x, uint32_t a)
{
    uint32_t t = x * a + 0x80;

    return (t + (t >> 8)) >> 8;
}

/* Premultiplied OVER, as pixman rounds and saturates */
static uint32_t over(uint32_t s, uint32_t dst)
{
    uint32_t sa = s >> 24, out = 0;
    int sh;

    for (sh = 0; sh < 24; sh += 8) {
        uint32_t c = ((s >> sh) & 0xff) + mul_un8((dst >> sh) & 0xff, 255 - sa);

        out |= MIN(c, 255u) << sh;
    }
    return out;
}

static void model_plane(uint32_t *frame, uint32_t fw, const PlaneCfg *c,
                        const uint32_t *argb)
{
    uint32_t x, y;

    for (y = 0; y < c->h; y++) {
        for (x = 0; x < c->w; x++) {
            uint32_t *px = &frame[(c->dy + y) * fw + c->dx + x];

            *px = over(argb[y * c->w + x], *px);
        }
    }
}

/* ---- screendump ------------------------------------------------------- */

/* Screendump of a head as 0x00RRGGBB pixels; returns width and height */
static uint32_t *screendump(Disp *d, int head, uint32_t *w, uint32_t *h)
{
    g_autofree char *path = g_strdup_printf("%s/vprime-display-%d.ppm",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *data = NULL;
    uint32_t *px, x, y, maxval;
    size_t len, stride;
    int hdr = 0;

    qtest_qmp_assert_success(d->t.qts,
                             "{'execute': 'screendump', 'arguments': "
                             "{'filename': %s, 'device': 'dut', 'head': %d, "
                             "'format': 'ppm'}}", path, head);
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    unlink(path);
    g_assert_cmpint(sscanf(data, "P6\n%u %u\n%u\n%n", w, h, &maxval, &hdr),
                    ==, 3);
    g_assert_cmpuint(maxval, ==, 255);
    /* rows may be padded to 4 bytes */
    stride = (len - hdr) / *h;
    g_assert_cmpuint(stride, >=, *w * 3);
    px = g_new(uint32_t, *w * *h);
    for (y = 0; y < *h; y++) {
        const uint8_t *row = (const uint8_t *)data + hdr + y * stride;

        for (x = 0; x < *w; x++) {
            px[y * *w + x] = row[x * 3] << 16 | row[x * 3 + 1] << 8 |
                             row[x * 3 + 2];
        }
    }
    return px;
}

static void check_screendump(Disp *d, int head, const uint32_t *frame,
                             uint32_t fw, uint32_t fh)
{
    uint32_t w, h, i;
    g_autofree uint32_t *px = screendump(d, head, &w, &h);

    g_assert_cmpuint(w, ==, fw);
    g_assert_cmpuint(h, ==, fh);
    for (i = 0; i < w * h; i++) {
        g_assert_cmphex(px[i], ==, frame[i] & 0xffffff);
    }
}

/* Turn a head on with its shadow registers; latches and composes at once */
static void head_on(Disp *d, int h, const Mode *m)
{
    set_mode(d, h, m);
    hwr(d, h, VPRIME_HEAD_CRC_CONTROL, 1);
    hwr(d, h, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, h, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_STATUS) &
                    (VPRIME_HEAD_STATUS_ACTIVE | VPRIME_HEAD_STATUS_PENDING),
                    ==, VPRIME_HEAD_STATUS_ACTIVE);
}

static void step_to_vblank(Disp *d, int h, const Mode *m)
{
    uint32_t frame = hrd(d, h, VPRIME_HEAD_FRAME);

    qtest_clock_step(d->t.qts, mode_period(m));
    g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_FRAME), ==, frame + 1);
}

static void check_no_errors(Disp *d, int h)
{
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_ERROR), ==, 0);
    g_assert_cmphex(rd(d, VPRIME_REG_ERROR), ==, 0);
}

/* ---- identification ----------------------------------------------------- */

/* The capabilities every engine has; SCATTER depends on contiguous-only */
#define DISP_CAPS_ALWAYS (VPRIME_DISP_CAP_TILED | VPRIME_DISP_CAP_CRC | \
                          VPRIME_DISP_CAP_SCALE | VPRIME_DISP_CAP_ROTATE | \
                          VPRIME_DISP_CAP_BLEND | VPRIME_DISP_CAP_COLOUR | \
                          VPRIME_DISP_CAP_WRITEBACK | \
                          VPRIME_DISP_CAP_YUV | \
                          VPRIME_DISP_CAP_UPDATE_LOCK | \
                          VPRIME_DISP_CAP_UPDATE_LOCK_ALL | \
                          VPRIME_DISP_CAP_CROSSBAR | \
                          VPRIME_DISP_CAP_ASYNC_FLIP | VPRIME_DISP_CAP_VRR | \
                          VPRIME_DISP_CAP_OUTPUT | VPRIME_DISP_CAP_LAYOUTS | \
                          VPRIME_DISP_CAP_OUTPUT_BPC | \
                          VPRIME_DISP_CAP_PM)

static void test_identity(void)
{
    static const struct {
        const char *props;
        uint32_t caps, dma_bits, heads;
    } cases[] = {
        { NULL, VPRIME_DISP_CAP_SCATTER | DISP_CAPS_ALWAYS, 64, 1 },
        { "contiguous-only=on,heads=3", DISP_CAPS_ALWAYS, 64, 3 },
        { "dma-bits=32,heads=4", VPRIME_DISP_CAP_SCATTER | DISP_CAPS_ALWAYS,
          32, 4 },
        { "dma-bits=40", VPRIME_DISP_CAP_SCATTER | DISP_CAPS_ALWAYS, 40, 1 },
    };
    size_t i;
    Disp d;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint32_t h, p;

        disp_start(&d, cases[i].props);
        g_assert_cmphex(rd(&d, VPRIME_REG_KIND), ==, VPRIME_KIND_DISPLAY);
        g_assert_cmphex(rd(&d, VPRIME_REG_CAPS), ==,
                        VPRIME_CAP_MSIX | VPRIME_CAP_DISPLAY);
        g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS), ==, cases[i].caps);
        g_assert_cmpuint(rd(&d, VPRIME_DISP_DMA_BITS), ==, cases[i].dma_bits);
        g_assert_cmpuint(rd(&d, VPRIME_REG_NUM_HEADS), ==, cases[i].heads);
        for (h = 0; h < cases[i].heads; h++) {
            g_assert_cmphex(hrd(&d, h, VPRIME_HEAD_STATUS), ==,
                            VPRIME_HEAD_STATUS_CONNECTED);
            g_assert_cmpuint(hrd(&d, h, VPRIME_HEAD_FRAME), ==, 0);
            /* every plane scans LINEAR, Intel X and NVIDIA block linear */
            for (p = 0; p < VPRIME_DISP_PLANES; p++) {
                g_assert_cmphex(prd(&d, h, p, VPRIME_PL_LAYOUTS), ==,
                                VPRIME_DISP_LAYOUTS);
            }
        }
        /* every existing head has an interrupt cause, no other */
        wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(cases[i].heads - 1));
        g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_ENABLE), ==,
                        VPRIME_IRQ_HEAD(cases[i].heads - 1));
        g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, 0);
        if (cases[i].heads < VPRIME_HEADS_MAX) {
            wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(cases[i].heads));
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==,
                            VPRIME_ERR_BAD_VALUE);
        }
        disp_stop(&d);
    }
}

static void expect_realize_error(const char *prop, int64_t val,
                                 const char *needle)
{
    g_autofree char *err = vprime_realize_error("vprime-display", prop, val);

    g_assert_nonnull(strstr(err, needle));
}

static void test_bad_properties(void)
{
    expect_realize_error("dma-bits", 31, "dma-bits=31 is invalid: it must be "
                         "32 to 64");
    expect_realize_error("dma-bits", 65, "32 to 64");
    expect_realize_error("xres", 9000, "xres=9000");
    expect_realize_error("refresh_rate", 500, "refresh_rate=500");
}

/* The clock register pair reads QEMU's virtual clock */
static void test_clock(void)
{
    uint64_t t0, t1;
    Disp d;

    disp_start(&d, NULL);
    t0 = clock_ns(&d);
    qtest_clock_step(d.t.qts, 5 * 1000 * 1000 * 1000ULL);
    t1 = clock_ns(&d);
    g_assert_cmpuint(t1 - t0, ==, 5 * 1000 * 1000 * 1000ULL);
    g_assert_cmpuint(t1 >> 32, >=, 1);
    disp_stop(&d);
}

/* ---- latching --------------------------------------------------------- */

static void test_latch(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    PlaneCfg c2 = c;
    uint64_t flips;
    uint32_t frame, crc0;
    g_autofree char *pages0 = NULL;
    g_autofree char *pages = NULL;
    Buf b, b2;
    Disp d;

    disp_start(&d, NULL);
    /* shadow registers read back what was written, even with the head off */
    set_mode(&d, 0, &mode_a);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_MODE_SIZE), ==,
                    VPRIME_XY(mode_a.hd, mode_a.vd));
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_MODE_CLOCK), ==, mode_a.clock_khz);
    g_assert_cmphex(prd(&d, 0, 0, VPRIME_PL_ADDR_LO), ==, (uint32_t)b.addr);
    g_assert_cmphex(prd(&d, 0, 0, VPRIME_PL_SIZE), ==, VPRIME_XY(64, 48));
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, "");
    g_clear_pointer(&pages, g_free);

    /* the head is off: UPDATE latches at once, FLIP_DONE at once */
    head_on(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, 0);
    pages0 = qom_str(&d, "head0-plane0-pages");
    pages = g_strdup_printf("contig:0x%" PRIx64 "+0x%x", b.addr, c.fb_size);
    g_assert_cmpstr(pages0, ==, pages);
    g_clear_pointer(&pages, g_free);
    crc0 = hrd(&d, 0, VPRIME_HEAD_CRC);
    check_no_errors(&d, 0);

    /* with the head on, an UPDATE waits for the vblank */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    c2.sx = 0;
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c2, &b2, false);
    flips = qom_u64(&d, "head0-flips");
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);     /* still one latch */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED | VPRIME_HEAD_STATUS_ACTIVE |
                    VPRIME_HEAD_STATUS_PENDING);
    g_assert_cmphex(prd(&d, 0, 0, VPRIME_PL_ADDR_LO), ==, (uint32_t)b2.addr);
    qtest_clock_step(d.t.qts, mode_period(&mode_a) - 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                     VPRIME_HEAD_STATUS_PENDING, !=, 0);
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, pages0);         /* still the old buffer */
    g_clear_pointer(&pages, g_free);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc0);
    qtest_clock_step(d.t.qts, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED | VPRIME_HEAD_STATUS_ACTIVE);
    g_assert_cmpuint(qom_u64(&d, "head0-flips"), ==, flips + 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 1);
    {
        g_autofree uint32_t *frame2 = g_new0(uint32_t, 64 * 48);

        model_plane(frame2, 64, &c2, b2.argb);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                        vprime_frame_crc(frame2, 64, 48));
    }
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, !=, pages0);
    g_clear_pointer(&pages, g_free);

    /* turning off latches at once, stops vblanks; VBLANK_TS stays */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    {
        uint64_t ts = vblank_ts(&d, 0);

        qtest_clock_step(d.t.qts, 10 * mode_period(&mode_a));
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame);
        g_assert_cmpuint(vblank_ts(&d, 0), ==, ts);
    }
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, "");
    g_clear_pointer(&pages, g_free);

    /* and on again: FRAME carries on from where it was */
    hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 1);
    check_no_errors(&d, 0);
    buf_free(&b);
    buf_free(&b2);
    disp_stop(&d);
}

/*
 * The VM stopped: the virtual clock moves with clock_step, but no timer
 * of it runs until 'cont' - a vblank timer running late, as when QEMU's
 * main loop is busy while the vCPUs go on.
 */
static void vm_stop(Disp *d)
{
    qtest_qmp_assert_success(d->t.qts, "{'execute': 'stop'}");
}

static void vm_cont(Disp *d)
{
    qtest_qmp_assert_success(d->t.qts, "{'execute': 'cont'}");
}

static void step_to(Disp *d, uint64_t t)
{
    uint64_t now = clock_ns(d);

    g_assert_cmpuint(t, >, now);
    qtest_clock_step(d->t.qts, t - now);
}

/* A late vblank timer latches by the time UPDATE was written (#17) */
static void check_late_vblank(Disp *d, uint32_t frame, uint64_t ts,
                              bool latched, const char *pages)
{
    g_autofree char *now = qom_str(d, "head0-plane0-pages");

    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, frame);
    g_assert_cmpuint(vblank_ts(d, 0), ==, ts);
    g_assert_cmpstr(now, ==, pages);
    if (latched) {
        g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS), ==,
                        VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_VBLANK);
        g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                        VPRIME_HEAD_STATUS_PENDING, ==, 0);
        g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_CRC_FRAME), ==, frame);
        g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FLIP_FRAME), ==, frame);
    } else {
        g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FLIP_FRAME), <, frame);
        g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS), ==,
                        VPRIME_HEAD_EV_VBLANK);
        g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                        VPRIME_HEAD_STATUS_PENDING, !=, 0);
    }
    hwr(d, 0, VPRIME_HEAD_EVENTS, ~0u);
}

static void test_latch_late(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t p = mode_period(&mode_a), d1;
    g_autofree char *pages_b = NULL;
    g_autofree char *pages_b2 = NULL;
    Buf b, b2;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    d1 = vblank_ts(&d, 0);                      /* vblank 1 */
    pages_b = qom_str(&d, "head0-plane0-pages");
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b2, false);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);

    /*
     * UPDATE after vblank 2's deadline, before its late timer ran: the
     * timer counts vblank 2 without latching; vblank 3 latches
     */
    vm_stop(&d);
    step_to(&d, d1 + p + p / 2);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vm_cont(&d);
    qtest_clock_step(d.t.qts, 1);
    check_late_vblank(&d, 2, d1 + p, false, pages_b);
    step_to(&d, d1 + 2 * p);
    pages_b2 = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages_b2, !=, pages_b);
    check_late_vblank(&d, 3, d1 + 2 * p, true, pages_b2);

    /*
     * UPDATE before vblank 4's deadline, the timer late past vblank 5:
     * it latches at that (collapsed) vblank
     */
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b.addr, 0);
    vm_stop(&d);
    step_to(&d, d1 + 2 * p + p / 2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to(&d, d1 + 4 * p + p / 2);
    vm_cont(&d);
    qtest_clock_step(d.t.qts, 1);
    check_late_vblank(&d, 5, d1 + 4 * p, true, pages_b);

    /* UPDATE after the last of several missed deadlines: the next one */
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b2.addr, 0);
    vm_stop(&d);
    step_to(&d, d1 + 6 * p + p / 2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vm_cont(&d);
    qtest_clock_step(d.t.qts, 1);
    check_late_vblank(&d, 7, d1 + 6 * p, false, pages_b);
    step_to(&d, d1 + 7 * p);
    check_late_vblank(&d, 8, d1 + 7 * p, true, pages_b2);

    check_no_errors(&d, 0);
    buf_free(&b);
    buf_free(&b2);
    disp_stop(&d);
}

/*
 * The cursor of the update-lock test: a 16x16 cursor moves to a 32x32
 * image in two register writes, SIZE then DST_SIZE, as a driver programs
 * it.  Between them the cursor "scales" 32x32 to 16x16, which the cursor
 * plane refuses: that is the half-written state.
 */
static void check_refused(Disp *d, int h, uint32_t reason, uint32_t plane);

static const PlaneCfg lock_cursor = {
    .format = VPRIME_FMT_ARGB8888, .pitch = 32 * 4, .fb_size = 32 * 4 * 32,
    .w = 16, .h = 16, .dx = 8, .dy = 8, .contig = true,
};

static void lock_cursor_first_half(Disp *d)
{
    pwr(d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_SIZE, VPRIME_XY(32, 32));
}

static void lock_cursor_second_half(Disp *d)
{
    pwr(d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_DST_SIZE, VPRIME_XY(32, 32));
}

/* Back to the 16x16 cursor, latched; events and errors cleared */
static void lock_cursor_reset(Disp *d)
{
    pwr(d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_SIZE, VPRIME_XY(16, 16));
    pwr(d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_DST_SIZE, VPRIME_XY(16, 16));
    pwr(d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_CONTROL,
        VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(d, 0, &mode_a);
    check_no_errors(d, 0);
    hwr(d, 0, VPRIME_HEAD_EVENTS, ~0u);
    wr(d, VPRIME_REG_IRQ_STATUS, ~0u);
}

/* Latched at 'frame' without a refusal: the whole 32x32 cursor shows */
static void check_lock_latched(Disp *d, uint32_t frame, const Buf *cur,
                               const char *primary)
{
    g_autofree char *pages = qom_str(d, "head0-plane0-pages");
    g_autofree char *cursor = qom_str(d, "head0-plane2-pages");
    g_autofree char *want = g_strdup_printf("contig:0x%" PRIx64 "+0x%x",
                                            cur->addr, lock_cursor.fb_size);

    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, frame);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FLIP_FRAME), ==, frame);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==, 0);
    g_assert_cmpstr(pages, ==, primary);
    g_assert_cmpstr(cursor, ==, want);
    check_no_errors(d, 0);
}

/*
 * UPDATE_LOCK (#16): a flip pending, the cursor written half with the
 * lock held is never latched, however many vblanks pass; released, the
 * whole state latches at the next vblank.  Without the lock the same
 * sequence latches the half state and the cursor is refused: the race a
 * legacy cursor update running beside a flip hits.
 */
static void test_update_lock(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t p = mode_period(&mode_a), t;
    g_autofree char *pages_b = NULL;
    g_autofree char *pages_b2 = NULL;
    g_autofree char *pages = NULL;
    uint32_t frame, flip_frame;
    Buf b, b2, cur;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    buf_alloc(&d, &cur, lock_cursor.fb_size, true);
    {
        PlaneCfg whole = lock_cursor;

        whole.w = whole.h = 32;
        buf_paint(&d, &cur, &whole, true);
    }
    set_plane(&d, 0, VPRIME_PLANE_CURSOR, &lock_cursor, cur.addr, 0);
    head_on(&d, 0, &mode_a);
    pages_b = qom_str(&d, "head0-plane0-pages");
    buf_alloc(&d, &b2, c.fb_size, true);
    buf_paint(&d, &b2, &c, false);
    lock_cursor_reset(&d);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 0);

    /* without the lock: a flip pending, the vblank takes half a cursor */
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b2.addr, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    lock_cursor_first_half(&d);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_SCALE, VPRIME_PLANE_CURSOR);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) +
                    VPRIME_PLANE_BASE(VPRIME_PLANE_CURSOR) +
                    VPRIME_PL_DST_SIZE);
    lock_cursor_second_half(&d);
    hwr(&d, 0, VPRIME_HEAD_ERROR, ~0u);
    wr(&d, VPRIME_REG_ERROR, ~0u);
    lock_cursor_reset(&d);
    pages_b2 = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages_b2, !=, pages_b);

    /*
     * With it: the flip to b pending and half a cursor wait through three
     * vblanks (counted, VBLANK raised, nothing latched); the release
     * mid-frame lets the next vblank latch the whole state
     */
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 1);
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b.addr, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    lock_cursor_first_half(&d);
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    flip_frame = hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME);
    qtest_clock_step(d.t.qts, 3 * p);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 3);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, flip_frame);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, pages_b2);
    g_clear_pointer(&pages, g_free);
    check_no_errors(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    lock_cursor_second_half(&d);
    qtest_clock_step(d.t.qts, p / 2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 0);
    qtest_clock_step(d.t.qts, p - p / 2);
    check_lock_latched(&d, frame + 4, &cur, pages_b);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    lock_cursor_reset(&d);

    /*
     * Released after a vblank's deadline whose timer runs late: that
     * vblank is the lock's, the update latches at the one after
     */
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 1);
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b2.addr, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    lock_cursor_first_half(&d);
    lock_cursor_second_half(&d);
    t = vblank_ts(&d, 0);
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    vm_stop(&d);
    step_to(&d, t + p + p / 2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 0);
    vm_cont(&d);
    qtest_clock_step(d.t.qts, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    step_to(&d, t + 2 * p);
    check_lock_latched(&d, frame + 2, &cur, pages_b2);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);

    /*
     * The lock holds back only the vblank latch: turning the head off or
     * on latches at once, in the UPDATE write, lock or not
     */
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 1);
    hwr(&d, 0, VPRIME_HEAD_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    head_on(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE);
    check_no_errors(&d, 0);

    /* UPDATE_LOCK takes 0 or 1; a device reset frees it */
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 2);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) + VPRIME_HEAD_UPDATE_LOCK);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 1);
    /*
     * The reset clears the BAR too: map it again, or the read would find
     * no device and return 0 whatever the lock is (STATUS proves it is
     * the engine answering)
     */
    qtest_system_reset(d.t.qts);
    vprime_map_mmio(&d.t);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 0);

    buf_free(&b);
    buf_free(&b2);
    buf_free(&cur);
    disp_stop(&d);
}

/* Output o is driven by head src (VPRIME_HEAD_SOURCE_NONE: no signal) */
static void check_output(Disp *d, int o, uint32_t src)
{
    g_assert_cmpuint(hrd(d, o, VPRIME_HEAD_OUTPUT_SOURCE), ==, src);
    if (src == VPRIME_HEAD_SOURCE_NONE) {
        g_assert_cmphex(hrd(d, o, VPRIME_HEAD_OUTPUT_CRC), ==, 0);
    } else {
        g_assert_cmphex(hrd(d, o, VPRIME_HEAD_OUTPUT_CRC), ==,
                        hrd(d, src, VPRIME_HEAD_CRC));
    }
}

/* Turn head h on driving the outputs in route; 0 or the latch's error */
static uint32_t head_on_route(Disp *d, int h, uint32_t route)
{
    hwr(d, h, VPRIME_HEAD_ROUTE, route);
    set_mode(d, h, &mode_a);
    hwr(d, h, VPRIME_HEAD_CRC_CONTROL, 1);
    hwr(d, h, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, h, VPRIME_HEAD_UPDATE, 1);
    return hrd(d, h, VPRIME_HEAD_ERROR);
}

/*
 * Crossbar (#16): ROUTE says which outputs (connector, EDID, console) a
 * head's pipe drives.  Identity by default; swapped by a modeset, each
 * output's console shows the other pipe's frame (screendump, and
 * OUTPUT_CRC, the CRC of the console's surface, equal to the pipe's CRC);
 * one pipe may drive both (clone); an output no pipe that is on drives
 * shows no signal; an output two pipes claim, or one the engine lacks, is
 * refused at the latch.  ROUTE latches with UPDATE: written alone it
 * changes nothing.
 */
static void test_crossbar(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    Buf b[2];
    Disp d;
    int h;

    disp_start(&d, "heads=2");
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_CROSSBAR, !=, 0);
    for (h = 0; h < 2; h++) {
        g_assert_cmphex(hrd(&d, h, VPRIME_HEAD_ROUTE), ==, 1u << h);
        check_output(&d, h, VPRIME_HEAD_SOURCE_NONE);
        plane_with_buf(&d, h, VPRIME_PLANE_PRIMARY, &c, &b[h], false);
    }
    /* identity: each output shows its own pipe */
    for (h = 0; h < 2; h++) {
        g_assert_cmphex(head_on_route(&d, h, 1u << h), ==, 0);
    }
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), !=,
                    hrd(&d, 1, VPRIME_HEAD_CRC));
    for (h = 0; h < 2; h++) {
        check_output(&d, h, h);
        check_screendump(&d, h, b[h].argb, 64, 48);
    }

    /* swapped by a modeset: output 0 shows pipe 1, output 1 pipe 0 */
    head_off(&d, 0);
    head_off(&d, 1);
    check_output(&d, 0, VPRIME_HEAD_SOURCE_NONE);
    g_assert_cmphex(head_on_route(&d, 0, 0x2), ==, 0);
    g_assert_cmphex(head_on_route(&d, 1, 0x1), ==, 0);
    step_to_vblank(&d, 0, &mode_a);
    for (h = 0; h < 2; h++) {
        check_output(&d, h, !h);
        check_screendump(&d, h, b[!h].argb, 64, 48);
    }
    check_no_errors(&d, 0);
    check_no_errors(&d, 1);

    /* pipe 1 alone on output 0: output 1 has no signal */
    head_off(&d, 0);
    check_output(&d, 1, VPRIME_HEAD_SOURCE_NONE);
    check_output(&d, 0, 1);

    /* ROUTE latches with UPDATE, at the vblank: a clone of pipe 1 */
    hwr(&d, 1, VPRIME_HEAD_ROUTE, 0x3);
    step_to_vblank(&d, 1, &mode_a);
    check_output(&d, 1, VPRIME_HEAD_SOURCE_NONE);
    hwr(&d, 1, VPRIME_HEAD_UPDATE, 1);
    check_output(&d, 1, VPRIME_HEAD_SOURCE_NONE);
    step_to_vblank(&d, 1, &mode_a);
    check_output(&d, 0, 1);
    check_output(&d, 1, 1);
    check_screendump(&d, 0, b[1].argb, 64, 48);
    check_screendump(&d, 1, b[1].argb, 64, 48);
    check_no_errors(&d, 1);

    /* an output another pipe drives, or one the engine lacks: refused */
    g_assert_cmphex(head_on_route(&d, 0, 0x2), ==,
                    VPRIME_HEAD_ERR_ROUTE_BUSY |
                    VPRIME_HEAD_ERR_PLANE_HEAD << VPRIME_HEAD_ERR_PLANE_SHIFT);
    check_refused(&d, 0, VPRIME_HEAD_ERR_ROUTE_BUSY, VPRIME_HEAD_ERR_PLANE_HEAD);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, 0);
    head_off(&d, 0);
    g_assert_cmphex(head_on_route(&d, 0, 0x4), ==,
                    VPRIME_HEAD_ERR_ROUTE |
                    VPRIME_HEAD_ERR_PLANE_HEAD << VPRIME_HEAD_ERR_PLANE_SHIFT);
    head_off(&d, 0);
    /* a pipe that is on may drive no output at all */
    g_assert_cmphex(head_on_route(&d, 0, 0), ==, 0);
    check_output(&d, 0, 1);
    check_output(&d, 1, 1);

    /* an unplugged output shows no frame; replugged, its pipe's again */
    vprime_qom_set_bool(&d.t, "head0-connected", false);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_OUTPUT_CRC), ==, 0);
    vprime_qom_set_bool(&d.t, "head0-connected", true);
    step_to_vblank(&d, 1, &mode_a);
    check_output(&d, 0, 1);

    /* device reset (the engine's own: a PCI reset unmaps the BAR) */
    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    for (h = 0; h < 2; h++) {
        g_assert_cmphex(hrd(&d, h, VPRIME_HEAD_ROUTE), ==, 1u << h);
        check_output(&d, h, VPRIME_HEAD_SOURCE_NONE);
    }
    for (h = 0; h < 2; h++) {
        buf_free(&b[h]);
    }
    disp_stop(&d);
}

/* Both heads' FLIP_DONE raised at the latest vblank, and its FRAME latched */
static void check_flipped_now(Disp *d, int h)
{
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_FLIP_DONE,
                    !=, 0);
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==, 0);
    g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_FLIP_FRAME), ==,
                     hrd(d, h, VPRIME_HEAD_FRAME));
    hwr(d, h, VPRIME_HEAD_EVENTS, ~0u);
}

/* A flip of heads 0 and 1 to buffer @addr, UPDATE written on both */
static void flip_two(Disp *d, const PlaneCfg *c, uint64_t addr)
{
    int h;

    for (h = 0; h < 2; h++) {
        set_plane(d, h, VPRIME_PLANE_PRIMARY, c, addr, 0);
        hwr(d, h, VPRIME_HEAD_EVENTS, ~0u);
        hwr(d, h, VPRIME_HEAD_UPDATE, 1);
    }
}

/*
 * UPDATE_LOCK_SET / _CLEAR (#16): a commit of two genlocked heads held
 * by one write and released by one latches on both at one vblank, also
 * released a nanosecond before the deadline; released by two writes a
 * vblank apart, it splits: the first head latches a frame before the
 * second.  Masks naming a head the engine lacks are refused whole.
 */
static void test_update_lock_all(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t p = mode_period(&mode_a), t, ts0, ts1;
    uint32_t frame;
    Buf b[2];
    Disp d;
    int i;

    disp_start(&d, "heads=2,genlock=on");
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_UPDATE_LOCK_ALL,
                    !=, 0);
    for (i = 0; i < 2; i++) {
        buf_alloc(&d, &b[i], c.fb_size, true);
        buf_paint(&d, &b[i], &c, false);
    }
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b[0].addr, 0);
    head_on(&d, 0, &mode_a);
    qtest_clock_step(d.t.qts, p / 3);
    set_plane(&d, 1, VPRIME_PLANE_PRIMARY, &c, b[0].addr, 0);
    head_on(&d, 1, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, vblank_ts(&d, 1));
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0);

    /* one write locks both: vblanks pass, nothing latches */
    wr(&d, VPRIME_DISP_UPDATE_LOCK_SET, 0x3);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0x3);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 1);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_UPDATE_LOCK), ==, 1);
    flip_two(&d, &c, b[1].addr);
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    qtest_clock_step(d.t.qts, 2 * p);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 2);
    for (i = 0; i < 2; i++) {
        g_assert_cmphex(hrd(&d, i, VPRIME_HEAD_STATUS) &
                        VPRIME_HEAD_STATUS_PENDING, !=, 0);
    }

    /* one write releases both a nanosecond before a vblank: both take it */
    t = vblank_ts(&d, 0);
    step_to(&d, t + p - 1);
    wr(&d, VPRIME_DISP_UPDATE_LOCK_CLEAR, 0x3);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0);
    qtest_clock_step(d.t.qts, 1);
    check_flipped_now(&d, 0);
    check_flipped_now(&d, 1);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, t + p);
    g_assert_cmpuint(vblank_ts(&d, 1), ==, t + p);

    /*
     * The same commit released head by head, the releases straddling a
     * vblank: split, head 1 latches a frame after head 0
     */
    wr(&d, VPRIME_DISP_UPDATE_LOCK_SET, 0x3);
    flip_two(&d, &c, b[0].addr);
    t = vblank_ts(&d, 0);
    step_to(&d, t + p - 1);
    wr(&d, VPRIME_DISP_UPDATE_LOCK_CLEAR, 0x1);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0x2);
    qtest_clock_step(d.t.qts, 2);
    check_flipped_now(&d, 0);
    ts0 = vblank_ts(&d, 0);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
    wr(&d, VPRIME_DISP_UPDATE_LOCK_CLEAR, 0x2);
    qtest_clock_step(d.t.qts, p);
    check_flipped_now(&d, 1);
    ts1 = vblank_ts(&d, 1);
    g_assert_cmpuint(ts0, ==, t + p);
    g_assert_cmpuint(ts1, ==, ts0 + p);
    check_no_errors(&d, 0);
    check_no_errors(&d, 1);

    /* a head beyond the engine's: refused whole; UPDATE_LOCKS is read-only */
    wr(&d, VPRIME_DISP_UPDATE_LOCK_SET, 0x5);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_DISP_UPDATE_LOCK_SET);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0);
    wr(&d, VPRIME_REG_ERROR, ~0u);
    wr(&d, VPRIME_DISP_UPDATE_LOCKS, 0x1);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0);
    wr(&d, VPRIME_REG_ERROR, ~0u);

    /* the per-head register and the global ones are one lock; reset frees */
    hwr(&d, 1, VPRIME_HEAD_UPDATE_LOCK, 1);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0x2);
    wr(&d, VPRIME_DISP_UPDATE_LOCK_SET, 0x1);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0x3);
    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmphex(rd(&d, VPRIME_DISP_UPDATE_LOCKS), ==, 0);

    for (i = 0; i < 2; i++) {
        buf_free(&b[i]);
    }
    disp_stop(&d);
}

/*
 * 100 flips on heads 0 and 1, each flip written to both at once: the
 * largest difference between the two heads' latch times (VBLANK_TS at
 * FLIP_DONE).  Head 1 turns on a third of a period after head 0.
 */
static uint64_t genlock_flips(Disp *d, const Mode *m1)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t p = mode_period(&mode_a), worst = 0;
    Buf b[2];
    int i, h;

    for (i = 0; i < 2; i++) {
        buf_alloc(d, &b[i], c.fb_size, true);
        buf_paint(d, &b[i], &c, false);
    }
    set_plane(d, 0, VPRIME_PLANE_PRIMARY, &c, b[0].addr, 0);
    head_on(d, 0, &mode_a);
    qtest_clock_step(d->t.qts, p / 3);
    set_plane(d, 1, VPRIME_PLANE_PRIMARY, &c, b[0].addr, 0);
    head_on(d, 1, m1);
    for (i = 0; i < 100; i++) {
        uint64_t ts[2] = { 0, 0 };

        for (h = 0; h < 2; h++) {
            set_plane(d, h, VPRIME_PLANE_PRIMARY, &c, b[(i + 1) % 2].addr, 0);
            hwr(d, h, VPRIME_HEAD_EVENTS, ~0u);
            hwr(d, h, VPRIME_HEAD_UPDATE, 1);
        }
        /* timer by timer, each head's latch time as it happens */
        while (!ts[0] || !ts[1]) {
            g_assert_cmpint(qtest_clock_step_next(d->t.qts), >, 0);
            for (h = 0; h < 2; h++) {
                if (!ts[h] && (hrd(d, h, VPRIME_HEAD_EVENTS) &
                               VPRIME_HEAD_EV_FLIP_DONE)) {
                    g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_FLIP_FRAME), ==,
                                     hrd(d, h, VPRIME_HEAD_FRAME));
                    ts[h] = vblank_ts(d, h);
                }
            }
        }
        worst = MAX(worst, ts[0] > ts[1] ? ts[0] - ts[1] : ts[1] - ts[0]);
    }
    check_no_errors(d, 0);
    check_no_errors(d, 1);
    for (i = 0; i < 2; i++) {
        buf_free(&b[i]);
    }
    return worst;
}

/* Clear a head's events and errors, and the engine's */
static void async_clear(Disp *d, int h)
{
    hwr(d, h, VPRIME_HEAD_EVENTS, ~0u);
    hwr(d, h, VPRIME_HEAD_ERROR, ~0u);
    wr(d, VPRIME_REG_ERROR, ~0u);
    wr(d, VPRIME_REG_IRQ_STATUS, ~0u);
}

/* The CRC of a frame that is plane c showing buffer b's pixels */
static uint32_t async_crc(const PlaneCfg *c, const Buf *b)
{
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);

    model_plane(frame, 64, c, b->argb);
    return vprime_frame_crc(frame, 64, 48);
}

/* An async UPDATE was refused: nothing latched, the old buffer shown */
static void check_async_refused(Disp *d, uint32_t reason, uint32_t plane,
                                const char *pages, uint32_t crc)
{
    g_autofree char *now = qom_str(d, "head0-plane0-pages");

    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==,
                    reason | plane << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_ERROR | VPRIME_HEAD_EV_FLIP_DONE);
    g_assert_cmphex(rd(d, VPRIME_REG_ERROR), ==, VPRIME_ERR_DISPLAY);
    g_assert_cmpstr(now, ==, pages);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, crc);
    async_clear(d, 0);
}

/*
 * UPDATE | ASYNC latches the primary's address at once: FLIP_DONE in the
 * write, FLIP_FRAME the FRAME now, the new buffer composed and its CRC
 * there without a vblank; several in one frame period each latch.  More
 * than the address changed, the head or the primary off: refused, the
 * old buffer stays (also for a buffer the plane checks refuse).  A
 * pending UPDATE stays pending and latches at the vblank.
 */
static void test_async_flip(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t flips, t0;
    g_autofree char *pages_b = NULL;
    uint32_t crc[3], frame;
    Buf b[3];
    Disp d;
    int i;

    disp_start(&d, NULL);
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_ASYNC_FLIP, ==,
                    VPRIME_DISP_CAP_ASYNC_FLIP);
    for (i = 0; i < 3; i++) {
        buf_alloc(&d, &b[i], c.fb_size, true);
        buf_paint(&d, &b[i], &c, false);
        crc[i] = async_crc(&c, &b[i]);
    }
    g_assert_cmphex(crc[0], !=, crc[1]);
    g_assert_cmphex(crc[1], !=, crc[2]);

    /* the head off: refused, nothing turns on */
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b[0].addr, 0);
    set_mode(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_ASYNC | VPRIME_HEAD_ERR_PLANE_HEAD <<
                    VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, 0);
    async_clear(&d, 0);

    head_on(&d, 0, &mode_a);
    async_clear(&d, 0);
    pages_b = qom_str(&d, "head0-plane0-pages");
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc[0]);
    step_to_vblank(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    async_clear(&d, 0);

    /* ASYNC alone is no UPDATE */
    hwr(&d, 0, VPRIME_HEAD_UPDATE, VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    async_clear(&d, 0);

    /* ten flips within one frame period: each latched in its write */
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    g_assert_cmpuint(frame, ==, 2);
    flips = qom_u64(&d, "head0-flips");
    t0 = clock_ns(&d);
    for (i = 1; i <= 10; i++) {
        int k = i % 3;
        g_autofree char *pages = NULL;
        g_autofree char *want = NULL;

        pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO,
            (uint32_t)b[k].addr);
        pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, b[k].addr >> 32);
        hwr(&d, 0, VPRIME_HEAD_UPDATE,
            VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                        VPRIME_HEAD_EV_FLIP_DONE);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                        VPRIME_HEAD_STATUS_CONNECTED |
                        VPRIME_HEAD_STATUS_ACTIVE);
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame);
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, frame);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc[k]);
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, frame);
        pages = qom_str(&d, "head0-plane0-pages");
        want = g_strdup_printf("contig:0x%" PRIx64 "+0x%x", b[k].addr,
                               c.fb_size);
        g_assert_cmpstr(pages, ==, want);
        g_assert_cmpuint(qom_u64(&d, "head0-flips"), ==, flips + i);
        check_no_errors(&d, 0);
        async_clear(&d, 0);
        qtest_clock_step(d.t.qts, mode_period(&mode_a) / 20);
    }
    g_assert_cmpuint(clock_ns(&d) - t0, <, mode_period(&mode_a));

    /* a pending UPDATE stays pending; its vblank latches the shadow */
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO, (uint32_t)b[2].addr);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, b[2].addr >> 32);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, VPRIME_HEAD_UPDATE_LATCH);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO, (uint32_t)b[0].addr);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, b[0].addr >> 32);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc[0]);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_PENDING,
                    ==, VPRIME_HEAD_STATUS_PENDING);
    qtest_clock_step(d.t.qts, mode_period(&mode_a));
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_PENDING,
                    ==, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, frame + 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc[0]);
    check_no_errors(&d, 0);
    async_clear(&d, 0);

    /* more than the address: the pitch, a mode, the overlay's are ignored */
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO, (uint32_t)b[1].addr);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, b[1].addr >> 32);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_PITCH, c.pitch + 4);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    check_async_refused(&d, VPRIME_HEAD_ERR_ASYNC, VPRIME_PLANE_PRIMARY,
                        pages_b, crc[0]);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_PITCH, c.pitch);
    hwr(&d, 0, VPRIME_HEAD_MODE_CLOCK, mode_a.clock_khz + 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    check_async_refused(&d, VPRIME_HEAD_ERR_ASYNC, VPRIME_HEAD_ERR_PLANE_HEAD,
                        pages_b, crc[0]);
    hwr(&d, 0, VPRIME_HEAD_MODE_CLOCK, mode_a.clock_khz);
    /* a buffer the plane checks refuse: the old one stays, plane on */
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_OFFSET, 4);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    check_async_refused(&d, VPRIME_HEAD_ERR_RECT, VPRIME_PLANE_PRIMARY,
                        pages_b, crc[0]);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_OFFSET, 0);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, VPRIME_PL_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc[1]);
    check_no_errors(&d, 0);

    /* the primary off: refused */
    async_clear(&d, 0);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, VPRIME_HEAD_UPDATE_LATCH);
    step_to_vblank(&d, 0, &mode_a);
    async_clear(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_ASYNC | VPRIME_PLANE_PRIMARY <<
                    VPRIME_HEAD_ERR_PLANE_SHIFT);
    for (i = 0; i < 3; i++) {
        buf_free(&b[i]);
    }
    disp_stop(&d);
}

/* VRR_MIN_REFRESH of test_vrr, and its longest frame */
#define VRR_MIN_MHZ     40000
#define VRR_PMAX        (1000000000000ull / VRR_MIN_MHZ)

/* Point the primary at buffer b */
static void vrr_primary(Disp *d, const Buf *b)
{
    pwr(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO, (uint32_t)b->addr);
    pwr(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, b->addr >> 32);
}

/* Expect the vblank after FRAME frame - 1 exactly at 'at', and none before */
static void vrr_expect_vblank(Disp *d, uint32_t frame, uint64_t at)
{
    uint64_t now = clock_ns(d);

    g_assert_cmpuint(now, <, at);
    qtest_clock_step(d->t.qts, at - now - 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, frame - 1);
    qtest_clock_step(d->t.qts, 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, frame);
    g_assert_cmpuint(vblank_ts(d, 0), ==, at);
}

/* A head configuration the latch must refuse with VPRIME_HEAD_ERR_VRR */
static void vrr_refused(Disp *d, uint32_t control, uint32_t min_mhz)
{
    hwr(d, 0, VPRIME_HEAD_VRR_CONTROL, control);
    hwr(d, 0, VPRIME_HEAD_VRR_MIN_REFRESH, min_mhz);
    hwr(d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_VRR | VPRIME_HEAD_ERR_PLANE_HEAD <<
                    VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, 0);
    async_clear(d, 0);
}

/*
 * Variable refresh on the virtual clock, exactly: with no UPDATE the
 * vblanks come one longest frame (10^12 / VRR_MIN_REFRESH ns) apart; an
 * UPDATE early in a frame ends it one shortest period (the mode's) after
 * its start, one written later ends it in the write (FRAME counts it
 * before the clock moves, the vblank's timestamp is the write's time) and
 * latches there; with the timer
 * stopped FRAME and VBLANK_TS follow the longest-frame grid and an UPDATE
 * still ends the frame.  VRR off: the mode's fixed grid again.  Out of
 * range VRR registers: the head is refused (error 24).
 */
static void test_vrr(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint64_t pmin = mode_period(&mode_a), fs, u, wakeups;
    uint32_t frame;
    Buf b, b2;
    Disp d;

    g_assert_cmpuint(VRR_PMAX, >, pmin + pmin / 4);
    disp_start(&d, NULL);
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_VRR, ==,
                    VPRIME_DISP_CAP_VRR);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    buf_alloc(&d, &b2, c.fb_size, true);
    buf_paint(&d, &b2, &c, false);
    set_mode(&d, 0, &mode_a);
    async_clear(&d, 0);
    vrr_refused(&d, VPRIME_VRR_CTRL_ENABLE, 61000);    /* above the mode's */
    vrr_refused(&d, VPRIME_VRR_CTRL_ENABLE, 999);      /* below 1 Hz */
    vrr_refused(&d, VPRIME_VRR_CTRL_ENABLE | 2, VRR_MIN_MHZ);
    vrr_refused(&d, 2, 0);

    hwr(&d, 0, VPRIME_HEAD_VRR_CONTROL, VPRIME_VRR_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_VRR_MIN_REFRESH, VRR_MIN_MHZ);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_VRR_CONTROL), ==,
                    VPRIME_VRR_CTRL_ENABLE);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_VRR_MIN_REFRESH), ==, VRR_MIN_MHZ);
    fs = clock_ns(&d);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);

    /* no UPDATE: the longest frame */
    vrr_expect_vblank(&d, 1, fs + VRR_PMAX);
    fs += VRR_PMAX;

    /* an UPDATE early in the frame: it ends one shortest period on */
    qtest_clock_step(d.t.qts, pmin / 4);
    vrr_primary(&d, &b2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vrr_expect_vblank(&d, 2, fs + pmin);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 2);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, async_crc(&c, &b2));
    fs += pmin;

    /* one between the shortest and the longest: the vblank is the write */
    qtest_clock_step(d.t.qts, pmin + pmin / 4);
    u = clock_ns(&d);
    vrr_primary(&d, &b);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmpuint(clock_ns(&d), ==, u);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 3);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, u);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 3);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, async_crc(&c, &b));
    fs = u;

    /* then the longest again; an async flip does not end a frame */
    qtest_clock_step(d.t.qts, pmin / 2);
    vrr_primary(&d, &b2);
    hwr(&d, 0, VPRIME_HEAD_UPDATE,
        VPRIME_HEAD_UPDATE_LATCH | VPRIME_HEAD_UPDATE_ASYNC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, async_crc(&c, &b2));
    vrr_expect_vblank(&d, 4, fs + VRR_PMAX);
    fs += VRR_PMAX;

    /* the timer stopped: FRAME and VBLANK_TS on the longest-frame grid */
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
    vrr_expect_vblank(&d, 5, fs + VRR_PMAX);
    fs += VRR_PMAX;
    wakeups = qom_u64(&d, "stat-vblank-wakeups");
    qtest_clock_step(d.t.qts, 10 * VRR_PMAX);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 15);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, fs + 10 * VRR_PMAX);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups);
    fs += 10 * VRR_PMAX;
    /* and an UPDATE restarts it to end the frame */
    qtest_clock_step(d.t.qts, pmin / 3);
    vrr_primary(&d, &b);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vrr_expect_vblank(&d, 16, fs + pmin);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 16);
    fs += pmin;

    /* UPDATE_LOCK: a locked update ends no frame; its release does */
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    qtest_clock_step(d.t.qts, pmin + pmin / 8);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 16);
    u = clock_ns(&d);
    hwr(&d, 0, VPRIME_HEAD_UPDATE_LOCK, 0);
    g_assert_cmpuint(clock_ns(&d), ==, u);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 17);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, u);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 17);
    fs = u;

    /* VRR off (latched at a vblank): the mode's fixed grid */
    hwr(&d, 0, VPRIME_HEAD_VRR_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vrr_expect_vblank(&d, 18, fs + pmin);
    fs += pmin;
    frame = 18;
    qtest_clock_step(d.t.qts, pmin / 4);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    vrr_expect_vblank(&d, frame + 1, fs + pmin);
    vrr_expect_vblank(&d, frame + 2, fs + 2 * pmin);
    check_no_errors(&d, 0);
    buf_free(&b);
    buf_free(&b2);
    disp_stop(&d);
}

/*
 * genlock (#16): a head turned on while another is on with the same
 * period vblanks at that head's instants; with another period, or
 * without genlock, on its own grid from its own start
 */
static void test_genlock(void)
{
    static const Mode mode_a2 = { 64, 48, 80, 50, 120 };    /* 30 Hz */
    uint64_t p = mode_period(&mode_a);
    uint64_t locked, free_run, other;
    Disp d;

    disp_start(&d, "heads=2,genlock=on");
    locked = genlock_flips(&d, &mode_a);
    g_assert_cmpuint(locked, ==, 0);
    /* and the vblanks themselves, also with the timers stopped */
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
    hwr(&d, 1, VPRIME_HEAD_CRC_CONTROL, 0);
    qtest_clock_step(d.t.qts, 10 * p + p / 2);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, vblank_ts(&d, 1));
    disp_stop(&d);

    disp_start(&d, "heads=2,genlock=on");
    other = genlock_flips(&d, &mode_a2);
    disp_stop(&d);
    disp_start(&d, "heads=2");
    free_run = genlock_flips(&d, &mode_a);
    disp_stop(&d);
    g_test_message("genlock: largest latch time difference of two heads "
                   "over 100 flips: %" PRIu64 " ns genlocked, %" PRIu64
                   " ns free-running (period %" PRIu64 " ns)", locked,
                   free_run, p);
    /* head 1 started p / 3 later: it stays p / 3 behind */
    g_assert_cmpuint(free_run, ==, p / 3);
    g_assert_cmpuint(other, !=, 0);
}

/* ---- vblank timing ------------------------------------------------------ */

static void check_vblank_rate(Disp *d, int h, const Mode *m, uint64_t first,
                              int n)
{
    uint64_t period = mode_period(m), ts = first;
    uint32_t frame = hrd(d, h, VPRIME_HEAD_FRAME);
    int i;

    for (i = 0; i < n; i++) {
        qtest_clock_step(d->t.qts, period);
        g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_FRAME), ==, frame + i + 1);
        g_assert_cmpuint(vblank_ts(d, h), ==, ts);
        ts += period;
    }
}

static void test_vblank_rate(void)
{
    uint64_t t0, period_a = mode_period(&mode_a);
    uint64_t period_b = mode_period(&mode_b);
    Disp d;

    g_assert_cmpuint(period_a, !=, period_b);
    disp_start(&d, NULL);
    t0 = clock_ns(&d);
    head_on(&d, 0, &mode_a);
    /* the first vblank is one period after the head turned on */
    qtest_clock_step(d.t.qts, period_a - 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, 0);
    qtest_clock_step(d.t.qts, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 1);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, t0 + period_a);
    check_vblank_rate(&d, 0, &mode_a, t0 + 2 * period_a, 20);

    /* a mode change latched at a vblank: the new period from there on */
    t0 = vblank_ts(&d, 0);
    set_mode(&d, 0, &mode_b);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    qtest_clock_step(d.t.qts, period_a);
    t0 += period_a;
    g_assert_cmpuint(vblank_ts(&d, 0), ==, t0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                     VPRIME_HEAD_STATUS_PENDING, ==, 0);
    check_vblank_rate(&d, 0, &mode_b, t0 + period_b, 20);

    /* one big step: FRAME counts every vblank in it */
    {
        uint32_t frame = hrd(&d, 0, VPRIME_HEAD_FRAME);

        t0 = vblank_ts(&d, 0);
        qtest_clock_step(d.t.qts, 100 * period_b + period_b / 2);
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 100);
        g_assert_cmpuint(vblank_ts(&d, 0), ==, t0 + 100 * period_b);
        g_assert_cmpuint(qom_u64(&d, "head0-vblanks"), ==, frame + 100);
    }
    check_no_errors(&d, 0);
    disp_stop(&d);
}

/*
 * Nothing waits for a vblank (no UPDATE pending, the VBLANK interrupt
 * masked, CRC off, nothing to compose): the vblank timer stops, the host
 * does no work per frame (stat-vblank-wakeups stays), and FRAME, VBLANK_TS,
 * the VBLANK event and the vblank counters are what a running timer would
 * have given: exactly elapsed / period more.  Whatever comes to wait for a
 * vblank restarts the timer on the mode's grid of periods.
 */
static void test_vblank_stopped(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    uint64_t period = mode_period(&mode_a), t0, ts, wakeups;
    uint32_t frame;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
    step_to_vblank(&d, 0, &mode_a);     /* this vblank's callback stops it */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    frame = hrd(&d, 0, VPRIME_HEAD_FRAME);
    t0 = vblank_ts(&d, 0);
    wakeups = qom_u64(&d, "stat-vblank-wakeups");
    g_assert_cmpuint(frame, ==, 1);
    g_assert_cmpuint(wakeups, ==, 1);

    /* 100 vblanks and a third of a period, stopped: no host work */
    qtest_clock_step(d.t.qts, 100 * period + period / 3);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 100);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, t0 + 100 * period);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, VPRIME_HEAD_EV_VBLANK);
    g_assert_cmpuint(qom_u64(&d, "head0-vblanks"), ==, frame + 100);
    g_assert_cmpuint(qom_u64(&d, "stat-vblanks"), ==, frame + 100);
    /* reading does not count again; a vblank cleared stays cleared */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 100);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, 0);

    /* the VBLANK interrupt unmasked: the timer runs again, on the grid */
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
    step_to(&d, t0 + 101 * period - 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 100);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups);
    qtest_clock_step(d.t.qts, 1);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 101);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, t0 + 101 * period);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 1);
    check_vblank_rate(&d, 0, &mode_a, t0 + 102 * period, 5);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 6);

    /*
     * Masked again: the next vblank is the last the timer runs for.  An
     * UPDATE written mid-period while stopped latches at the next vblank
     * of the grid, as with the timer running.
     */
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, 0);
    qtest_clock_step(d.t.qts, period);
    wakeups = qom_u64(&d, "stat-vblank-wakeups");
    ts = t0 + 107 * period;
    g_assert_cmpuint(vblank_ts(&d, 0), ==, ts);
    qtest_clock_step(d.t.qts, 10 * period + period / 2);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==,
                    VPRIME_HEAD_STATUS_PENDING);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 117);
    step_to(&d, ts + 11 * period - 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==,
                    VPRIME_HEAD_STATUS_PENDING);
    qtest_clock_step(d.t.qts, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FLIP_FRAME), ==, frame + 118);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, ts + 11 * period);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 1);

    /* DAMAGE: one compose at the next vblank, then stopped again */
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    qtest_clock_step(d.t.qts, 3 * period);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 2);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 121);

    /*
     * An injected unplug armed while stopped counts vblanks: the timer
     * runs for it, and the monitor goes at the next vblank
     */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    vprime_qom_set_str(&d.t, "fault", "unplug:head=0,replug=1");
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 4);
    /* the replug composed at its vblank; nothing waits after that */
    qtest_clock_step(d.t.qts, 5 * mode_period(&mode_a));
    g_assert_cmpuint(qom_u64(&d, "stat-vblank-wakeups"), ==, wakeups + 4);

    /* off: FRAME stays, nothing is counted any more */
    head_off(&d, 0);
    qtest_clock_step(d.t.qts, 10 * period);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, frame + 128);
    g_assert_cmpuint(qom_u64(&d, "head0-vblanks"), ==, frame + 128);
    check_no_errors(&d, 0);
    buf_free(&b);
    disp_stop(&d);
}

/* ---- interrupts --------------------------------------------------------- */

static void test_irq(void)
{
    uint64_t msi[2];
    uint64_t irqs;
    Disp d;
    int h;

    disp_start(&d, "heads=2");
    for (h = 0; h < 2; h++) {
        msi[h] = msix_setup(&d, VPRIME_HEAD_MSIX_VEC(h));
    }
    msix_setup(&d, VPRIME_MSIX_VEC_MISC);
    wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(0) | VPRIME_IRQ_HEAD(1));
    hwr(&d, 1, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
    head_on(&d, 0, &mode_a);
    head_on(&d, 1, &mode_a);
    /* FLIP_DONE is not enabled on either head: no message */
    g_assert_cmphex(qtest_readl(d.t.qts, msi[0]), ==, 0);
    g_assert_cmphex(qtest_readl(d.t.qts, msi[1]), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, 0);

    irqs = qom_u64(&d, "stat-irqs");
    qtest_clock_step(d.t.qts, mode_period(&mode_a));
    /* both heads record the vblank; only head 1 interrupts, on vector 2 */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_FLIP_DONE | VPRIME_HEAD_EV_VBLANK);
    g_assert_cmphex(qtest_readl(d.t.qts, msi[0]), ==, 0);
    g_assert_cmphex(qtest_readl(d.t.qts, msi[1]), ==,
                    0xd0 + VPRIME_HEAD_MSIX_VEC(1));
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_HEAD(1));
    g_assert_cmpuint(qom_u64(&d, "stat-irqs"), ==, irqs + 1);

    /* one message per event, even with the cause still pending */
    qtest_writel(d.t.qts, msi[1], 0);
    qtest_clock_step(d.t.qts, 3 * mode_period(&mode_a));
    g_assert_cmphex(qtest_readl(d.t.qts, msi[1]), ==,
                    0xd0 + VPRIME_HEAD_MSIX_VEC(1));
    g_assert_cmpuint(qom_u64(&d, "stat-irqs"), ==, irqs + 4);

    /* head 0 on its own vector once enabled; EVENTS and the cause clear */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 1, VPRIME_HEAD_EVENT_ENABLE, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK |
                                         VPRIME_HEAD_EV_FLIP_DONE);
    wr(&d, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_HEAD(1));
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, 0);
    irqs = qom_u64(&d, "stat-irqs");
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    qtest_clock_step(d.t.qts, mode_period(&mode_a));
    g_assert_cmphex(qtest_readl(d.t.qts, msi[0]), ==,
                    0xd0 + VPRIME_HEAD_MSIX_VEC(0));
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_HEAD(0));
    /* FLIP_DONE and VBLANK: two events, two messages */
    g_assert_cmpuint(qom_u64(&d, "stat-irqs"), ==, irqs + 2);

    /* the interrupt cause needs IRQ_ENABLE too */
    wr(&d, VPRIME_REG_IRQ_ENABLE, 0);
    wr(&d, VPRIME_REG_IRQ_STATUS, ~0u);
    qtest_writel(d.t.qts, msi[0], 0);
    qtest_clock_step(d.t.qts, mode_period(&mode_a));
    g_assert_cmphex(qtest_readl(d.t.qts, msi[0]), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_HEAD(0));

    /* EVENT_ENABLE has no reserved bits to set */
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, 0x100);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENT_ENABLE), ==,
                    VPRIME_HEAD_EV_VBLANK | VPRIME_HEAD_EV_FLIP_DONE);
    disp_stop(&d);
}

/* ---- pixels: formats, layouts, blending, page lists --------------------- */

/* Show one primary plane on a head and check CRC and screendump */
static void check_primary(Disp *d, const PlaneCfg *c, bool dump)
{
    uint32_t fw = mode_a.hd, fh = mode_a.vd;
    g_autofree uint32_t *frame = g_new0(uint32_t, fw * fh);
    Buf b;

    head_off(d, 0);
    hwr(d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
    plane_with_buf(d, 0, VPRIME_PLANE_PRIMARY, c, &b, true);
    head_on(d, 0, &mode_a);
    check_no_errors(d, 0);
    model_plane(frame, fw, c, b.argb);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, fw, fh));
    if (dump) {
        check_screendump(d, 0, frame, fw, fh);
    }
    buf_free(&b);
}

static void test_formats(const void *opaque)
{
    static const uint32_t fmts[] = {
        VPRIME_FMT_XRGB8888, VPRIME_FMT_ARGB8888, VPRIME_FMT_XBGR8888,
        VPRIME_FMT_RGB565,
    };
    uint32_t layout = GPOINTER_TO_UINT(opaque);
    size_t i;
    Disp d;

    disp_start(&d, NULL);
    for (i = 0; i < ARRAY_SIZE(fmts); i++) {
        uint32_t cpp = fmt_cpp(fmts[i]);
        PlaneCfg full = {
            .format = fmts[i], .layout = layout, .w = 64, .h = 48,
            .contig = true,
        };
        PlaneCfg part = full;

        /*
         * the whole screen from a buffer wider than the mode; tiled: rows
         * across a tile column's edge (X: bytes 480-735 at 4 bytes a
         * pixel), and 51 rows, part of the last tile row
         */
        full.pitch = layout ? MAX(3 * layout_tw(layout), 5 * 64) :
                              70 * cpp + 8 * cpp;
        full.sx = layout == VPRIME_LAYOUT_X_TILED ? 120 : 5;
        full.sy = 3;
        full.offset = layout ? 4096 : 20 * cpp;
        full.fb_size = full.offset +
                       ROUND_UP(full.sy + full.h, layout_th(layout)) *
                       full.pitch;
        check_primary(&d, &full, i == 0 || layout);

        /* part of the screen: the rest is black */
        part.pitch = full.pitch;
        part.offset = full.offset;
        part.fb_size = full.fb_size;
        part.sx = 7;
        part.sy = 1;
        part.w = 33;
        part.h = 17;
        part.dx = 30;
        part.dy = 29;
        check_primary(&d, &part, true);
    }
    disp_stop(&d);
}

/* Primary + overlay with alpha + cursor, blended as pixman does */
static void test_blend(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XBGR8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 40 * 4,
                     .fb_size = 40 * 4 * 30, .w = 40, .h = 30, .dx = 10,
                     .dy = 5, .contig = false };
    PlaneCfg cur = { .format = VPRIME_FMT_ARGB8888,
                     .layout = VPRIME_LAYOUT_NV_BLOCK, .pitch = 128,
                     .fb_size = 8192, .w = 32, .h = 32, .dx = 30,
                     .dy = 16, .contig = true };
    PlaneCfg ovl565 = { .format = VPRIME_FMT_RGB565, .pitch = 20 * 2,
                        .fb_size = 20 * 2 * 10, .w = 20, .h = 10,
                        .dx = 2, .dy = 2, .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    Buf bp, bo, bc, b5;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    plane_with_buf(&d, 0, VPRIME_PLANE_CURSOR, &cur, &bc, true);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    model_plane(frame, 64, &prim, bp.argb);
    model_plane(frame, 64, &ovl, bo.argb);
    model_plane(frame, 64, &cur, bc.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);

    /* overlay swapped for an opaque RGB565 one at the next vblank */
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl565, &b5, false);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    memset(frame, 0, 64 * 48 * 4);
    model_plane(frame, 64, &prim, bp.argb);
    model_plane(frame, 64, &ovl565, b5.argb);
    model_plane(frame, 64, &cur, bc.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, 1);
    check_screendump(&d, 0, frame, 64, 48);
    check_no_errors(&d, 0);
    buf_free(&bp);
    buf_free(&bo);
    buf_free(&bc);
    buf_free(&b5);
    disp_stop(&d);
}

/* Planes compose bottom to top by ZPOS, ties by plane index (#16) */
static void check_order(Disp *d, const PlaneCfg *lo, const uint32_t *lo_px,
                        const PlaneCfg *hi, const uint32_t *hi_px)
{
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);

    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(d, 0, &mode_a);
    if (lo) {
        model_plane(frame, 64, lo, lo_px);
    }
    model_plane(frame, 64, hi, hi_px);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(d, 0, frame, 64, 48);
}

static void test_zpos(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_ARGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_XRGB8888, .pitch = 40 * 4,
                     .fb_size = 40 * 4 * 30, .w = 40, .h = 30, .dx = 10,
                     .dy = 5, .contig = false };
    Buf bp, bo;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, true);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, false);
    head_on(&d, 0, &mode_a);
    g_assert_cmphex(prd(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_ZPOS), ==, 0);

    /* reset: all at 0, the index order - the opaque overlay on top */
    check_order(&d, &prim, bp.argb, &ovl, bo.argb);
    /* the overlay under the translucent primary */
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ZPOS, 1);
    check_order(&d, &ovl, bo.argb, &prim, bp.argb);
    g_assert_cmphex(prd(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ZPOS), ==, 1);
    /* ties go by index again */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_ZPOS, VPRIME_PL_ZPOS_MAX);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ZPOS, VPRIME_PL_ZPOS_MAX);
    check_order(&d, &prim, bp.argb, &ovl, bo.argb);
    check_no_errors(&d, 0);

    /* beyond the maximum: that plane is refused, the rest shows */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_ZPOS, VPRIME_PL_ZPOS_MAX + 1);
    check_order(&d, NULL, NULL, &prim, bp.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_ZPOS |
                    VPRIME_PLANE_OVERLAY << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) + VPRIME_PLANE_BASE(1) +
                    VPRIME_PL_ZPOS);
    buf_free(&bp);
    buf_free(&bo);
    disp_stop(&d);
}

/*
 * Two overlays and a cursor over the primary (#16): plane 3, the second
 * overlay, at VPRIME_PLANE_BASE(3), and every plane stacked by ZPOS in
 * orders the index order is not
 */
static void test_overlay2(void)
{
    PlaneCfg cfg[VPRIME_DISP_PLANES] = {
        [VPRIME_PLANE_PRIMARY] = { .format = VPRIME_FMT_ARGB8888,
                                   .pitch = 64 * 4, .fb_size = 64 * 4 * 48,
                                   .w = 64, .h = 48, .contig = true },
        [VPRIME_PLANE_OVERLAY] = { .format = VPRIME_FMT_XRGB8888,
                                   .pitch = 40 * 4, .fb_size = 40 * 4 * 30,
                                   .w = 40, .h = 30, .dx = 4, .dy = 3,
                                   .contig = false },
        [VPRIME_PLANE_CURSOR] = { .format = VPRIME_FMT_ARGB8888,
                                  .pitch = 24 * 4, .fb_size = 24 * 4 * 24,
                                  .w = 24, .h = 24, .dx = 30, .dy = 20,
                                  .contig = true },
        [VPRIME_PLANE_OVERLAY2] = { .format = VPRIME_FMT_ARGB8888,
                                    .pitch = 36 * 4, .fb_size = 36 * 4 * 28,
                                    .w = 36, .h = 28, .dx = 20, .dy = 14,
                                    .contig = false },
    };
    /* ZPOS of primary, overlay, cursor, second overlay */
    static const uint32_t orders[][VPRIME_DISP_PLANES] = {
        { 0, 0, 0, 0 },         /* index order: the second overlay on top */
        { 0, 1, 3, 2 },         /* the cursor on top */
        { 0, 3, 1, 2 },         /* cursor under both overlays */
        { 3, 0, 2, 1 },         /* all under the translucent primary */
    };
    uint32_t crcs[ARRAY_SIZE(orders)];
    Buf b[VPRIME_DISP_PLANES];
    unsigned i, j, p;
    Disp d;

    disp_start(&d, NULL);
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        plane_with_buf(&d, 0, p, &cfg[p], &b[p],
                       cfg[p].format == VPRIME_FMT_ARGB8888);
    }
    head_on(&d, 0, &mode_a);
    g_assert_cmphex(prd(&d, 0, VPRIME_PLANE_OVERLAY2, VPRIME_PL_SIZE), ==,
                    VPRIME_XY(36, 28));
    for (i = 0; i < ARRAY_SIZE(orders); i++) {
        g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
        unsigned z;

        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            pwr(&d, 0, p, VPRIME_PL_ZPOS, orders[i][p]);
        }
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        /* bottom to top: by ZPOS, ties by index */
        for (z = 0; z < VPRIME_DISP_PLANES; z++) {
            for (p = 0; p < VPRIME_DISP_PLANES; p++) {
                if (orders[i][p] == z) {
                    model_plane(frame, 64, &cfg[p], b[p].argb);
                }
            }
        }
        crcs[i] = vprime_frame_crc(frame, 64, 48);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crcs[i]);
        check_screendump(&d, 0, frame, 64, 48);
        for (j = 0; j < i; j++) {
            g_assert_cmphex(crcs[j], !=, crcs[i]);
        }
    }
    check_no_errors(&d, 0);

    /* a refusal of the second overlay names plane 3 */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY2, VPRIME_PL_ZPOS, VPRIME_PL_ZPOS_MAX + 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_ZPOS |
                    VPRIME_PLANE_OVERLAY2 << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) + VPRIME_PLANE_BASE(3) +
                    VPRIME_PL_ZPOS);
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        buf_free(&b[p]);
    }
    disp_stop(&d);
}

/*
 * YUV (#16): the spec's conversion, computed here from the standards'
 * Kr, Kb: coefficients round(65536 x c), then per channel
 * floor((cy (Y - y0) + ... + 32768) / 65536), clamped to 0..255
 */
static uint32_t yuv_to_rgb(uint8_t y, uint8_t u, uint8_t v, uint32_t yuv)
{
    double kr = yuv & VPRIME_PL_YUV_BT709 ? 0.2126 : 0.299;
    double kb = yuv & VPRIME_PL_YUV_BT709 ? 0.0722 : 0.114;
    double kg = 1 - kr - kb;
    bool full = yuv & VPRIME_PL_YUV_FULL;
    double ys = full ? 1 : 255.0 / 219, cs = full ? 1 : 255.0 / 224;
    int64_t cy = floor(ys * 65536 + 0.5);
    int64_t crv = floor(2 * (1 - kr) * cs * 65536 + 0.5);
    int64_t cgu = floor(2 * (1 - kb) * kb / kg * cs * 65536 + 0.5);
    int64_t cgv = floor(2 * (1 - kr) * kr / kg * cs * 65536 + 0.5);
    int64_t cbu = floor(2 * (1 - kb) * cs * 65536 + 0.5);
    int64_t yy = cy * ((int64_t)y - (full ? 0 : 16));
    int64_t uu = (int64_t)u - 128, vv = (int64_t)v - 128;
    int64_t c[3] = { yy + crv * vv, yy - cgu * uu - cgv * vv, yy + cbu * uu };
    uint32_t out = 0xff000000u;
    int i;

    for (i = 0; i < 3; i++) {
        /* floor division, whatever the sign */
        int64_t q = (c[i] + 32768 - ((c[i] + 32768) < 0 ? 65535 : 0)) / 65536;

        out |= (uint32_t)MIN(MAX(q, 0), 255) << (16 - 8 * i);
    }
    return out;
}

/* A YUV plane: its framebuffer planes' buffers and layout */
typedef struct YuvPlane {
    PlaneCfg c;                 /* framebuffer plane 0 (Y) and the rect */
    uint32_t pitch[3], offset[3], size[3];
    Buf b[3];
} YuvPlane;

/* Program plane p: framebuffer plane 0 in its registers, 1 and 2 in FBP */
static void yuv_plane(Disp *d, int p, YuvPlane *y)
{
    unsigned i, n = y->c.format == VPRIME_FMT_NV12 ? 2 : 3;

    for (i = 0; i < n; i++) {
        buf_alloc(d, &y->b[i], y->size[i], y->c.contig);
        buf_upload(d, &y->b[i]);
    }
    for (i = 1; i < n; i++) {
        wr(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_ADDR_LO,
           (uint32_t)y->b[i].addr);
        wr(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_ADDR_HI,
           y->b[i].addr >> 32);
        wr(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_FB_SIZE, y->size[i]);
        wr(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_PITCH, y->pitch[i]);
        wr(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_OFFSET, y->offset[i]);
        g_assert_cmphex(rd(d, VPRIME_FBP_BASE(0, p, i) + VPRIME_FBP_PITCH),
                        ==, y->pitch[i]);
    }
    set_plane(d, 0, p, &y->c, y->b[0].addr, 0);
}

/* Pixel (x, y) of the rectangle as the spec converts it (chroma nearest) */
static uint32_t yuv_pixel(const YuvPlane *y, uint32_t x, uint32_t yy,
                          uint32_t yuv)
{
    uint32_t bx = y->c.sx + x, by = y->c.sy + yy;
    uint8_t l = y->b[0].cpu[y->offset[0] + by * y->pitch[0] + bx], u, v;

    if (y->c.format == VPRIME_FMT_NV12) {
        const uint8_t *uv = y->b[1].cpu + y->offset[1] +
                            (by / 2) * y->pitch[1] + (bx / 2) * 2;

        u = uv[0];
        v = uv[1];
    } else {
        u = y->b[1].cpu[y->offset[1] + (by / 2) * y->pitch[1] + bx / 2];
        v = y->b[2].cpu[y->offset[2] + (by / 2) * y->pitch[2] + bx / 2];
    }
    return yuv_to_rgb(l, u, v, yuv);
}

/* Bytes the engine reads of a YUV plane per frame: its samples' rows */
static uint64_t yuv_bytes(const YuvPlane *y)
{
    uint32_t cw = (y->c.sx + y->c.w - 1) / 2 - y->c.sx / 2 + 1;
    uint32_t ch = (y->c.sy + y->c.h - 1) / 2 - y->c.sy / 2 + 1;

    return (uint64_t)y->c.w * y->c.h + (uint64_t)cw * ch * 2;
}

static void test_yuv(void)
{
    /* NV12 full-screen primary, page lists, odd pitches and offsets */
    YuvPlane prim = {
        .c = { .format = VPRIME_FMT_NV12, .pitch = 72, .offset = 100,
               .fb_size = 100 + 72 * 48, .w = 64, .h = 48, .contig = false },
        .pitch = { 72, 70 }, .offset = { 100, 36 },
        .size = { 100 + 72 * 48, 36 + 70 * 24 },
    };
    /* a YUV420 window from (3, 1), contiguous, on top */
    YuvPlane ovl = {
        .c = { .format = VPRIME_FMT_YUV420, .pitch = 50, .offset = 0,
               .fb_size = 50 * 32, .sx = 3, .sy = 1, .w = 41, .h = 29,
               .dx = 10, .dy = 5, .contig = true },
        .pitch = { 50, 25, 27 }, .offset = { 0, 5, 7 },
        .size = { 50 * 32, 5 + 25 * 16, 7 + 27 * 16 + 3 },
    };
    uint32_t crcs[4];
    uint64_t copied;
    unsigned k, j;
    Disp d;

    disp_start(&d, NULL);
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_YUV, !=, 0);
    yuv_plane(&d, VPRIME_PLANE_PRIMARY, &prim);
    yuv_plane(&d, VPRIME_PLANE_OVERLAY, &ovl);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);

    for (k = 0; k < 4; k++) {
        g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
        uint32_t x, y;

        pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_YUV, k);
        pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_YUV, 3 - k);
        copied = qom_u64(&d, "stat-bytes-copied");
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        for (y = 0; y < 48; y++) {
            for (x = 0; x < 64; x++) {
                frame[y * 64 + x] = yuv_pixel(&prim, x, y, k);
            }
        }
        for (y = 0; y < ovl.c.h; y++) {
            for (x = 0; x < ovl.c.w; x++) {
                frame[(ovl.c.dy + y) * 64 + ovl.c.dx + x] =
                    yuv_pixel(&ovl, x, y, 3 - k);
            }
        }
        crcs[k] = vprime_frame_crc(frame, 64, 48);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crcs[k]);
        check_screendump(&d, 0, frame, 64, 48);
        /* composed from the samples, never shown from guest memory */
        g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied") - copied, ==,
                         yuv_bytes(&prim) + yuv_bytes(&ovl));
        for (j = 0; j < k; j++) {
            g_assert_cmphex(crcs[j], !=, crcs[k]);
        }
    }
    check_no_errors(&d, 0);

    /* refusals: reserved YUV bits, tiled, the cursor, a short FBP pitch */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_YUV, 4);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==, VPRIME_HEAD_ERR_FORMAT |
                    VPRIME_PLANE_OVERLAY << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==, VPRIME_HEAD_BASE(0) +
                    VPRIME_PLANE_BASE(1) + VPRIME_PL_YUV);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_YUV, 0);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_LAYOUT, VPRIME_LAYOUT_X_TILED);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==, VPRIME_HEAD_ERR_LAYOUT |
                    VPRIME_PLANE_OVERLAY << VPRIME_HEAD_ERR_PLANE_SHIFT);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_LAYOUT, VPRIME_LAYOUT_LINEAR);
    wr(&d, VPRIME_FBP_BASE(0, VPRIME_PLANE_OVERLAY, 2) + VPRIME_FBP_PITCH, 21);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==, VPRIME_HEAD_ERR_PITCH |
                    VPRIME_PLANE_OVERLAY << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_FBP_BASE(0, VPRIME_PLANE_OVERLAY, 2) +
                    VPRIME_FBP_PITCH);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_FORMAT, VPRIME_FMT_NV12);
    pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_SIZE, VPRIME_XY(8, 8));
    pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_CONTROL, VPRIME_PL_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==, VPRIME_HEAD_ERR_FORMAT |
                    VPRIME_PLANE_CURSOR << VPRIME_HEAD_ERR_PLANE_SHIFT);
    for (j = 0; j < 3; j++) {
        buf_free(&prim.b[j]);
        buf_free(&ovl.b[j]);
    }
    disp_stop(&d);
}

/* A frame scanned from scattered pages, rows crossing page boundaries */
static void test_page_list(const void *opaque)
{
    uint32_t layout = GPOINTER_TO_UINT(opaque);
    Mode m = { 200, 100, 220, 110, 1452 };
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .layout = layout,
                   .w = 200, .h = 100, .sx = 3, .sy = 2, .contig = false };
    g_autofree uint32_t *frame = g_new0(uint32_t, 200 * 100);
    g_autofree char *pages = NULL;
    GString *want = g_string_new("pages:");
    uint32_t i;
    Buf b;
    Disp d;

    c.pitch = layout ? ROUND_UP(1000, layout_tw(layout)) : 1000;
    c.offset = layout ? 4096 : 12;
    c.fb_size = c.offset + ROUND_UP(c.sy + c.h, layout_th(layout)) * c.pitch;
    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &m);
    check_no_errors(&d, 0);
    model_plane(frame, 200, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 200, 100));
    check_screendump(&d, 0, frame, 200, 100);

    /* the host sees which pages the plane scans */
    for (i = 0; i < b.npages; i++) {
        g_string_append_printf(want, "%s0x%" PRIx64, i ? "," : "",
                               b.pages[i]);
    }
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, want->str);
    g_string_free(want, true);

    /* the list was read once, at latch: changing it later does nothing */
    qtest_writeq(d.t.qts, b.addr, UNASSIGNED);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &m);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 200, 100));
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EVENTS) &
                     VPRIME_HEAD_EV_UNDERRUN, ==, 0);
    buf_free(&b);
    disp_stop(&d);
}

/* ---- engine constraints ----------------------------------------------- */

/* Expect the last update to have refused a plane (or the head) */
static void check_refused(Disp *d, int h, uint32_t reason, uint32_t plane)
{
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_ERROR), ==,
                    reason | plane << VPRIME_HEAD_ERR_PLANE_SHIFT);
    g_assert_cmphex(hrd(d, h, VPRIME_HEAD_EVENTS) &
                    (VPRIME_HEAD_EV_ERROR | VPRIME_HEAD_EV_FLIP_DONE), ==,
                    VPRIME_HEAD_EV_ERROR | VPRIME_HEAD_EV_FLIP_DONE);
    g_assert_cmphex(rd(d, VPRIME_REG_ERROR), ==, VPRIME_ERR_DISPLAY);
    g_assert_cmphex(rd(d, VPRIME_REG_IRQ_STATUS) & VPRIME_IRQ_ERROR, ==,
                    VPRIME_IRQ_ERROR);
    if (plane != VPRIME_HEAD_ERR_PLANE_HEAD) {
        g_autofree char *prop = g_strdup_printf("head%d-plane%u-pages", h,
                                                plane);
        g_autofree char *pages = qom_str(d, prop);

        g_assert_cmpstr(pages, ==, "");
    }
}

/* Turn the head on with a plane config; expect the plane refused */
static void expect_plane_refused(Disp *d, int p, const PlaneCfg *c,
                                 uint64_t addr, uint32_t extra_ctrl,
                                 uint32_t reason)
{
    uint32_t black[64 * 48] = { 0 };

    head_off(d, 0);
    set_plane(d, 0, p, c, addr, extra_ctrl);
    head_on(d, 0, &mode_a);
    check_refused(d, 0, reason, p);
    /* the head runs without the plane: a black frame */
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(black, 64, 48));
    pwr(d, 0, p, VPRIME_PL_CONTROL, 0);
}

/* ---- scaling ------------------------------------------------------------ */

/*
 * The spec's nearest neighbour: destination pixel (x, y) of a dw x dh
 * plane shows source pixel ((2x + 1) w / 2dw, (2y + 1) h / 2dh)
 */
static void model_scaled(uint32_t *frame, uint32_t fw, const PlaneCfg *c,
                         const uint32_t *argb, uint32_t dw, uint32_t dh)
{
    uint32_t x, y;

    for (y = 0; y < dh; y++) {
        uint32_t sy = (2 * y + 1) * c->h / (2 * dh);

        for (x = 0; x < dw; x++) {
            uint32_t sx = (2 * x + 1) * c->w / (2 * dw);
            uint32_t *px = &frame[(c->dy + y) * fw + c->dx + x];

            *px = over(argb[sy * c->w + sx], *px);
        }
    }
}

/*
 * Nearest neighbour scaling up and down, by CRC and screendump against the
 * spec's formula; a scaled full-screen primary is composed (bytes copied),
 * not shown from guest memory as an unscaled one is.
 */
static void test_scale_nearest(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 23 * 4,
                      .fb_size = 23 * 4 * 17, .w = 23, .h = 17,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 40 * 4,
                     .fb_size = 40 * 4 * 30, .w = 40, .h = 30, .dx = 5,
                     .dy = 7, .contig = false };
    PlaneCfg full = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint64_t copied;
    Buf bp, bo, bf;
    Disp d;

    disp_start(&d, NULL);
    /* 23x17 up to the whole 64x48 mode; 40x30 down to 13x11 */
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_DST_SIZE, VPRIME_XY(64, 48));
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_CONTROL,
        VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG |
        VPRIME_PL_CTRL_NEAREST);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_DST_SIZE, VPRIME_XY(13, 11));
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL,
        VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_NEAREST);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmphex(prd(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_DST_SIZE), ==,
                    VPRIME_XY(13, 11));
    model_scaled(frame, 64, &prim, bp.argb, 64, 48);
    model_scaled(frame, 64, &ovl, bo.argb, 13, 11);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);

    /* the primary alone, scaled over the whole mode: still composed */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    memset(frame, 0, 64 * 48 * 4);
    model_scaled(frame, 64, &prim, bp.argb, 64, 48);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    copied = qom_u64(&d, "stat-bytes-copied");
    g_assert_cmpuint(copied, >, 0);

    /* an unscaled full-screen primary: shown from guest memory, no copy */
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &full, &bf, false);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    model_plane(frame, 64, &full, bf.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, copied);
    /* ... and the same one scaled down: composed again */
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_DST_SIZE, VPRIME_XY(50, 40));
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_CONTROL,
        VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG |
        VPRIME_PL_CTRL_NEAREST);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    memset(frame, 0, 64 * 48 * 4);
    model_scaled(frame, 64, &full, bf.argb, 50, 40);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), >, copied);
    buf_free(&bp);
    buf_free(&bo);
    buf_free(&bf);
    disp_stop(&d);
}

/*
 * Bilinear (the default filter) where its result is exact whatever its
 * weights: rows all alike scaled vertically only are those rows.
 */
static void test_scale_bilinear(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 10, .w = 64, .h = 10,
                   .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint32_t x, y;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    buf_alloc(&d, &b, c.fb_size, true);
    buf_paint(&d, &b, &c, false);
    for (y = 1; y < c.h; y++) {
        memcpy(b.cpu + y * c.pitch, b.cpu, c.pitch);
        memcpy(b.argb + y * c.w, b.argb, c.w * 4);
    }
    buf_upload(&d, &b);
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &c, b.addr, 0);
    pwr(&d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_DST_SIZE, VPRIME_XY(64, 37));
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    for (y = 0; y < 37; y++) {
        for (x = 0; x < 64; x++) {
            frame[y * 64 + x] = b.argb[x];
        }
    }
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    buf_free(&b);
    disp_stop(&d);
}

/*
 * The spec's rotation and reflection, then nearest neighbour: the source
 * pixel that destination pixel (x, y) of a dw x dh plane shows
 */
static uint32_t model_src_index(const PlaneCfg *c, uint32_t ctrl, uint32_t dw,
                                uint32_t dh, uint32_t x, uint32_t y)
{
    uint32_t turn = (ctrl & VPRIME_PL_CTRL_ROTATE_MASK) >>
                    VPRIME_PL_CTRL_ROTATE_SHIFT;
    uint32_t w = c->w, h = c->h;
    uint32_t ow = turn & 1 ? h : w, oh = turn & 1 ? w : h;
    uint32_t X = (2 * x + 1) * ow / (2 * dw), Y = (2 * y + 1) * oh / (2 * dh);
    uint32_t rx, ry;

    switch (turn) {
    case 1:
        rx = w - 1 - Y;
        ry = X;
        break;
    case 2:
        rx = w - 1 - X;
        ry = h - 1 - Y;
        break;
    case 3:
        rx = Y;
        ry = h - 1 - X;
        break;
    default:
        rx = X;
        ry = Y;
        break;
    }
    if (ctrl & VPRIME_PL_CTRL_REFLECT_X) {
        rx = w - 1 - rx;
    }
    if (ctrl & VPRIME_PL_CTRL_REFLECT_Y) {
        ry = h - 1 - ry;
    }
    return ry * w + rx;
}

/*
 * Every rotation with every reflection of a 20x12 overlay, unscaled and
 * scaled (nearest) to 17x29, against the spec's mapping; the cursor does
 * not rotate.
 */
static void test_rotate(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 24 * 4,
                     .fb_size = 24 * 4 * 14, .sx = 3, .sy = 1, .w = 20,
                     .h = 12, .dx = 9, .dy = 4, .contig = false };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint32_t ctrl, x, y, i;
    Buf bp, bo, bc;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    head_on(&d, 0, &mode_a);
    for (i = 0; i < 32; i++) {
        uint32_t rot = (i & 15) << VPRIME_PL_CTRL_ROTATE_SHIFT;
        uint32_t turn = (i & 3), dw, dh;

        /* unscaled: the rotated size; then 17x29 */
        dw = i < 16 ? (turn & 1 ? ovl.h : ovl.w) : 17;
        dh = i < 16 ? (turn & 1 ? ovl.w : ovl.h) : 29;
        ctrl = VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_NEAREST | rot;
        pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_DST_SIZE,
            i < 16 ? 0 : VPRIME_XY(dw, dh));
        pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, ctrl);
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        check_no_errors(&d, 0);
        model_plane(frame, 64, &prim, bp.argb);
        for (y = 0; y < dh; y++) {
            for (x = 0; x < dw; x++) {
                uint32_t *px = &frame[(ovl.dy + y) * 64 + ovl.dx + x];

                *px = over(bo.argb[model_src_index(&ovl, ctrl, dw, dh, x, y)],
                           *px);
            }
        }
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                        vprime_frame_crc(frame, 64, 48));
        if (i == 1 || i == 22) {
            check_screendump(&d, 0, frame, 64, 48);
        }
    }

    /* the cursor's rotation bits are reserved */
    plane_with_buf(&d, 0, VPRIME_PLANE_CURSOR, &ovl, &bc, true);
    pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_CONTROL,
        VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_ROTATE_180);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_CONTROL |
                    VPRIME_PLANE_CURSOR << VPRIME_HEAD_ERR_PLANE_SHIFT);
    buf_free(&bp);
    buf_free(&bo);
    buf_free(&bc);
    disp_stop(&d);
}

/* The spec's plane alpha and blend mode: the pixel OVER then blends */
static uint32_t model_blend(uint32_t s, uint32_t blend)
{
    uint32_t pa = (blend & VPRIME_BLEND_ALPHA_MASK) >> 8;
    uint32_t mode = blend >> VPRIME_BLEND_MODE_SHIFT;
    uint32_t a = s >> 24, k = pa, out;
    int sh;

    switch (mode) {
    case VPRIME_BLEND_PREMULTI:
        out = mul_un8(a, pa) << 24;
        break;
    case VPRIME_BLEND_COVERAGE:
        k = mul_un8(a, pa);
        out = k << 24;
        break;
    default:
        out = pa << 24;
        break;
    }
    for (sh = 0; sh < 24; sh += 8) {
        out |= mul_un8((s >> sh) & 0xff, k) << sh;
    }
    return out;
}

/*
 * Plane alpha in each blend mode, an ARGB8888 and an XRGB8888 overlay
 * over the primary, against the spec's formulas; an unknown mode is
 * refused.
 */
static void test_blend_modes(void)
{
    static const uint32_t alphas[] = { 0xffff, 0x8000, 0x12ff, 0 };
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl[2] = {
        { .format = VPRIME_FMT_ARGB8888, .pitch = 30 * 4,
          .fb_size = 30 * 4 * 20, .w = 30, .h = 20, .dx = 7, .dy = 9,
          .contig = false },
        { .format = VPRIME_FMT_XRGB8888, .pitch = 30 * 4,
          .fb_size = 30 * 4 * 20, .w = 30, .h = 20, .dx = 7, .dy = 9,
          .contig = true },
    };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint32_t mode, i, f, x, y;
    Buf bp, bo[2];
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    buf_alloc(&d, &bo[0], ovl[0].fb_size, false);
    buf_paint(&d, &bo[0], &ovl[0], true);
    buf_alloc(&d, &bo[1], ovl[1].fb_size, true);
    buf_paint(&d, &bo[1], &ovl[1], false);
    head_on(&d, 0, &mode_a);
    for (f = 0; f < 2; f++) {
        set_plane(&d, 0, VPRIME_PLANE_OVERLAY, &ovl[f], bo[f].addr,
                  VPRIME_PL_CTRL_BLEND);
        for (mode = 0; mode <= VPRIME_BLEND_NONE; mode++) {
            for (i = 0; i < ARRAY_SIZE(alphas); i++) {
                uint32_t blend = alphas[i] | mode << VPRIME_BLEND_MODE_SHIFT;

                pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_BLEND, blend);
                hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
                step_to_vblank(&d, 0, &mode_a);
                check_no_errors(&d, 0);
                model_plane(frame, 64, &prim, bp.argb);
                for (y = 0; y < ovl[f].h; y++) {
                    for (x = 0; x < ovl[f].w; x++) {
                        uint32_t *px = &frame[(ovl[f].dy + y) * 64 +
                                              ovl[f].dx + x];

                        *px = over(model_blend(bo[f].argb[y * ovl[f].w + x],
                                               blend), *px);
                    }
                }
                g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                                vprime_frame_crc(frame, 64, 48));
            }
        }
    }
    check_screendump(&d, 0, frame, 64, 48);

    /* mode 3 is no mode */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_BLEND,
        0xffff | 3 << VPRIME_BLEND_MODE_SHIFT);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_ERROR), ==,
                    VPRIME_HEAD_ERR_BLEND |
                    VPRIME_PLANE_OVERLAY << VPRIME_HEAD_ERR_PLANE_SHIFT);
    buf_free(&bp);
    buf_free(&bo[0]);
    buf_free(&bo[1]);
    disp_stop(&d);
}

/* ---- colour ------------------------------------------------------------- */

/* A head's colour block as the test wrote it to guest memory */
typedef struct ColourBlock {
    uint16_t degamma[VPRIME_COLOUR_LUT_SIZE][3];
    uint16_t gamma[VPRIME_COLOUR_LUT_SIZE][3];
    uint64_t ctm[9];
} ColourBlock;

static void colour_upload(Disp *d, uint64_t addr, const ColourBlock *cb)
{
    uint8_t raw[VPRIME_COLOUR_BLOCK_SIZE] = { 0 };
    unsigned i, c;

    for (i = 0; i < VPRIME_COLOUR_LUT_SIZE; i++) {
        for (c = 0; c < 3; c++) {
            stw_le_p(raw + VPRIME_COLOUR_DEGAMMA + i * 8 + c * 2,
                     cb->degamma[i][c]);
            stw_le_p(raw + VPRIME_COLOUR_GAMMA + i * 8 + c * 2,
                     cb->gamma[i][c]);
        }
    }
    for (i = 0; i < 9; i++) {
        stq_le_p(raw + VPRIME_COLOUR_CTM + i * 8, cb->ctm[i]);
    }
    qtest_memwrite(d->t.qts, addr, raw, sizeof(raw));
}

/* A rising random curve, or noise when @noise */
static void colour_random_lut(Disp *d, uint16_t lut[][3], bool noise)
{
    unsigned i, c;

    for (c = 0; c < 3; c++) {
        uint32_t v = rnd(d) % 64;

        for (i = 0; i < VPRIME_COLOUR_LUT_SIZE; i++) {
            v = MIN(v + rnd(d) % 512, 65535);
            lut[i][c] = noise ? rnd(d) & 0xffff : v;
        }
    }
}

/* S31.32 sign-magnitude of num / 256 */
static uint64_t ctm_fixed(int64_t num)
{
    uint64_t mag = (uint64_t)(num < 0 ? -num : num) << 24;

    return num < 0 ? mag | 1ull << 63 : mag;
}

/*
 * The spec's colour arithmetic on one 0x00RRGGBB pixel, with the stages
 * @ctl turns on
 */
static uint32_t model_colour(const ColourBlock *cb, uint32_t ctl, uint32_t px)
{
    uint32_t in[3] = { (px >> 16) & 0xff, (px >> 8) & 0xff, px & 0xff };
    int64_t v[3], o[3];
    unsigned c, j;
    uint32_t out = 0;

    for (c = 0; c < 3; c++) {
        v[c] = ctl & VPRIME_COLOUR_CTRL_DEGAMMA ? cb->degamma[in[c]][c] :
               in[c] * 257;
    }
    for (c = 0; c < 3; c++) {
        o[c] = v[c];
        if (ctl & VPRIME_COLOUR_CTRL_CTM) {
            int64_t sum = 0;

            for (j = 0; j < 3; j++) {
                uint64_t m = cb->ctm[c * 3 + j];
                int64_t mag = MIN(m & ~(1ull << 63), VPRIME_COLOUR_CTM_MAG_MAX);

                sum += (m >> 63 ? -mag : mag) * v[j];
            }
            /* floor((sum + 2^31) / 2^32), clamped */
            o[c] = sum < 0 ? 0 : MIN((sum + (1ll << 31)) >> 32, 65535);
        }
    }
    for (c = 0; c < 3; c++) {
        uint64_t y = o[c];

        if (ctl & VPRIME_COLOUR_CTRL_GAMMA) {
            uint64_t pos = y * 255, i = pos / 65535, f = pos % 65535;

            y = i == 255 ? cb->gamma[255][c] :
                (cb->gamma[i][c] * (65535 - f) + cb->gamma[i + 1][c] * f +
                 32767) / 65535;
        }
        out |= (uint32_t)((y * 255 + 32767) / 65535) << (16 - 8 * c);
    }
    return out;
}

static void check_colour_frame(Disp *d, const ColourBlock *cb, uint32_t ctl,
                               const uint32_t *plain)
{
    g_autofree uint32_t *frame = g_new(uint32_t, 64 * 48);
    unsigned i;

    for (i = 0; i < 64 * 48; i++) {
        frame[i] = model_colour(cb, ctl, plain[i] & 0xffffff);
    }
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(d, 0, frame, 64, 48);
}

/* Turning head 0 on with a colour configuration it refuses: it stays off */
static void colour_refused_on(Disp *d, uint32_t reason)
{
    set_mode(d, 0, &mode_a);
    hwr(d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    check_refused(d, 0, reason, VPRIME_HEAD_ERR_PLANE_HEAD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, 0);
}

/*
 * Degamma, CTM and gamma, each alone and together, on a composed frame of
 * two planes and on a lone full-screen primary (which is otherwise shown
 * in place: with a colour stage on it must be composed); the tables are
 * latched (rewriting the block changes nothing until the next UPDATE);
 * a block the engine cannot reach is refused for the whole head.
 */
static void test_colour(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 20 * 4,
                     .fb_size = 20 * 4 * 10, .w = 20, .h = 10, .dx = 11,
                     .dy = 13, .contig = false };
    static const int64_t swap[9] = { 0, 256, 0,  0, 0, 256,  256, 0, 0 };
    static const int64_t mix[9] = { 300, -40, 11,  -90, 200, 77,
                                    5, 600, -311 };
    static const struct {
        uint32_t ctl;
        const int64_t *ctm;
        bool overlay;
    } cases[] = {
        { VPRIME_COLOUR_CTRL_GAMMA, NULL, false },
        { VPRIME_COLOUR_CTRL_DEGAMMA, NULL, true },
        { VPRIME_COLOUR_CTRL_CTM, swap, false },
        { VPRIME_COLOUR_CTRL_CTM, mix, true },
        { VPRIME_COLOUR_CTRL_VALID_MASK, mix, false },
        { VPRIME_COLOUR_CTRL_VALID_MASK, mix, true },
    };
    g_autofree uint32_t *plain = g_new0(uint32_t, 64 * 48);
    g_autofree uint32_t *with_ovl = g_new0(uint32_t, 64 * 48);
    g_autofree ColourBlock *cb = g_new0(ColourBlock, 1);
    uint64_t block;
    unsigned i, j;
    Buf bp, bo;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    buf_alloc(&d, &bo, ovl.fb_size, ovl.contig);
    buf_paint(&d, &bo, &ovl, true);
    model_plane(plain, 64, &prim, bp.argb);
    memcpy(with_ovl, plain, 64 * 48 * 4);
    model_plane(with_ovl, 64, &ovl, bo.argb);
    block = alloc_pages(&d, VPRIME_COLOUR_BLOCK_SIZE) + 8;
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_LO, (uint32_t)block);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_HI, block >> 32);
    head_on(&d, 0, &mode_a);

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        colour_random_lut(&d, cb->degamma, i == 5);
        colour_random_lut(&d, cb->gamma, false);
        for (j = 0; j < 9; j++) {
            cb->ctm[j] = cases[i].ctm ? ctm_fixed(cases[i].ctm[j]) : 0;
        }
        colour_upload(&d, block, cb);
        hwr(&d, 0, VPRIME_HEAD_COLOUR_CONTROL, cases[i].ctl);
        if (cases[i].overlay) {
            set_plane(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, bo.addr, 0);
        } else {
            pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
        }
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        check_no_errors(&d, 0);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_COLOUR_CONTROL), ==,
                        cases[i].ctl);
        check_colour_frame(&d, cb, cases[i].ctl,
                           cases[i].overlay ? with_ovl : plain);
    }

    /* latched: a new block in memory shows only after an UPDATE */
    {
        g_autofree ColourBlock *old = g_memdup2(cb, sizeof(*cb));

        colour_random_lut(&d, cb->gamma, true);
        colour_upload(&d, block, cb);
        hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
        step_to_vblank(&d, 0, &mode_a);
        check_colour_frame(&d, old, VPRIME_COLOUR_CTRL_VALID_MASK, with_ovl);
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        check_colour_frame(&d, cb, VPRIME_COLOUR_CTRL_VALID_MASK, with_ovl);
    }

    /* refused for the whole head: the latched state stays */
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_LO, (uint32_t)block + 4);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_COLOUR, VPRIME_HEAD_ERR_PLANE_HEAD);
    check_colour_frame(&d, cb, VPRIME_COLOUR_CTRL_VALID_MASK, with_ovl);
    head_off(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_LO, (uint32_t)UNASSIGNED);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_HI, UNASSIGNED >> 32);
    colour_refused_on(&d, VPRIME_HEAD_ERR_COLOUR);
    head_off(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_CONTROL, 1u << 3);
    colour_refused_on(&d, VPRIME_HEAD_ERR_CONTROL);

    /* colour off: the primary alone is shown as it is again */
    head_off(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_CONTROL, 0);
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(plain, 64, 48));
    buf_free(&bp);
    buf_free(&bo);
    disp_stop(&d);
}

/* ---- writeback ---------------------------------------------------------- */

/* Program head 0's writeback job into buffer b (CONTIG as b is) */
static void wb_program(Disp *d, const Buf *b, uint32_t fmt, uint32_t pitch,
                       uint32_t offset, uint32_t size, uint64_t addr)
{
    hwr(d, 0, VPRIME_HEAD_WB_FORMAT, fmt);
    hwr(d, 0, VPRIME_HEAD_WB_PITCH, pitch);
    hwr(d, 0, VPRIME_HEAD_WB_ADDR_LO, (uint32_t)addr);
    hwr(d, 0, VPRIME_HEAD_WB_ADDR_HI, addr >> 32);
    hwr(d, 0, VPRIME_HEAD_WB_FB_SIZE, b->size);
    hwr(d, 0, VPRIME_HEAD_WB_OFFSET, offset);
    hwr(d, 0, VPRIME_HEAD_WB_SIZE, size);
    hwr(d, 0, VPRIME_HEAD_WB_CONTROL, VPRIME_WB_CTRL_ENABLE |
        (b->contig ? VPRIME_WB_CTRL_CONTIG : 0));
}

/* The buffer as guest memory holds it now */
static uint8_t *buf_download(Disp *d, const Buf *b)
{
    uint8_t *out = g_malloc(b->size);
    uint32_t i;

    if (b->contig) {
        qtest_memread(d->t.qts, b->addr, out, b->size);
        return out;
    }
    for (i = 0; i < b->npages; i++) {
        qtest_memread(d->t.qts, b->pages[i], out + i * PAGE,
                      MIN(PAGE, b->size - i * PAGE));
    }
    return out;
}

/*
 * The job wrote exactly the frame (0x00RRGGBB, w x h) with alpha 0xff, at
 * pitch from offset, and nothing else of the buffer changed; the frame's
 * CRC is the head's
 */
static void wb_check_buffer(Disp *d, const Buf *b, const uint32_t *frame,
                            uint32_t w, uint32_t h, uint32_t pitch,
                            uint32_t offset)
{
    g_autofree uint8_t *got = buf_download(d, b);
    g_autofree uint32_t *px = g_new(uint32_t, w * h);
    uint32_t i, x, y;

    for (i = 0; i < b->size; i++) {
        bool in_frame = i >= offset && (i - offset) / pitch < h &&
                        (i - offset) % pitch < w * 4;

        if (!in_frame) {
            g_assert_cmphex(got[i], ==, b->cpu[i]);
        }
    }
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            uint32_t v = ldl_le_p(got + offset + y * pitch + x * 4);

            g_assert_cmphex(v, ==, 0xff000000u | frame[y * w + x]);
            px[y * w + x] = v & 0xffffff;
        }
    }
    g_assert_cmphex(vprime_frame_crc(px, w, h), ==,
                    hrd(d, 0, VPRIME_HEAD_CRC));
}

/* The job ended with status (and error reason); WB_DONE raised once */
static void wb_check_end(Disp *d, uint32_t status)
{
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_WB_DONE,
                    ==, VPRIME_HEAD_EV_WB_DONE);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_WB_STATUS), ==, status);
    hwr(d, 0, VPRIME_HEAD_EVENTS, VPRIME_HEAD_EV_WB_DONE);
}

/*
 * Writeback: the frame a latch shows (planes composed, after colour, or a
 * lone primary shown in place) is written into a scattered and a
 * contiguous buffer, pixel for pixel what the CRC and the screendump
 * cover, at the vblank of that latch; ENABLE is one-shot; refused jobs
 * and DMA faults end with an error and never a DONE.
 */
static void test_writeback(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 20 * 4,
                     .fb_size = 20 * 4 * 10, .w = 20, .h = 10, .dx = 11,
                     .dy = 13, .contig = false };
    const uint32_t size = VPRIME_XY(64, 48), pitch = 64 * 4 + 24, off = 40;
    g_autofree uint32_t *plain = g_new0(uint32_t, 64 * 48);
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    g_autofree ColourBlock *cb = g_new0(ColourBlock, 1);
    uint32_t i, frame_no;
    uint64_t block;
    Buf bp, bo, wb, wc;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    model_plane(plain, 64, &prim, bp.argb);
    model_plane(plain, 64, &ovl, bo.argb);
    colour_random_lut(&d, cb->gamma, false);
    block = alloc_pages(&d, VPRIME_COLOUR_BLOCK_SIZE);
    colour_upload(&d, block, cb);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_LO, (uint32_t)block);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_ADDR_HI, block >> 32);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_CONTROL, VPRIME_COLOUR_CTRL_GAMMA);
    for (i = 0; i < 64 * 48; i++) {
        frame[i] = model_colour(cb, VPRIME_COLOUR_CTRL_GAMMA, plain[i]);
    }
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_WB_STATUS), ==, 0);

    /* a scattered buffer, noise outside the frame's rows */
    buf_alloc(&d, &wb, off + 48 * pitch + 100, false);
    buf_upload(&d, &wb);
    wb_program(&d, &wb, VPRIME_FMT_XRGB8888, pitch, off, size, wb.addr);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_WB_STATUS), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_WB_CONTROL), ==,
                    VPRIME_WB_CTRL_ENABLE);
    step_to_vblank(&d, 0, &mode_a);
    frame_no = hrd(&d, 0, VPRIME_HEAD_FRAME);
    check_no_errors(&d, 0);
    wb_check_end(&d, VPRIME_WB_STATUS_DONE);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_WB_FRAME), ==, frame_no);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, frame_no);
    /* ENABLE was consumed by the latch */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_WB_CONTROL), ==, 0);
    wb_check_buffer(&d, &wb, frame, 64, 48, pitch, off);
    check_screendump(&d, 0, frame, 64, 48);

    /* one-shot: the next UPDATE writes nothing */
    buf_upload(&d, &wb);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_WB_DONE,
                    ==, 0);
    {
        g_autofree uint8_t *got = buf_download(&d, &wb);

        g_assert_cmpmem(got, wb.size, wb.cpu, wb.size);
    }

    /*
     * The lone primary, colour off, shown in place (not composed): ARGB
     * into a contiguous buffer
     */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_COLOUR_CONTROL, 0);
    memset(frame, 0, 64 * 48 * 4);
    model_plane(frame, 64, &prim, bp.argb);
    for (i = 0; i < 64 * 48; i++) {
        frame[i] &= 0xffffff;
    }
    buf_alloc(&d, &wc, 64 * 4 * 48, true);
    buf_upload(&d, &wc);
    wb_program(&d, &wc, VPRIME_FMT_ARGB8888, 64 * 4, 0, size, wc.addr);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    wb_check_end(&d, VPRIME_WB_STATUS_DONE);
    wb_check_buffer(&d, &wc, frame, 64, 48, 64 * 4, 0);

    /* refused configurations: ERROR, never written, the flip still done */
    {
        static const struct {
            uint32_t fmt, pitch, off, size;
            uint64_t addr_xor;
        } bad[] = {
            { VPRIME_FMT_RGB565, 64 * 4, 0, VPRIME_XY(64, 48), 0 },
            { VPRIME_FMT_XRGB8888, 64 * 4, 0, VPRIME_XY(63, 48), 0 },
            { VPRIME_FMT_XRGB8888, 64 * 4 - 4, 0, VPRIME_XY(64, 48), 0 },
            { VPRIME_FMT_XRGB8888, 64 * 4 + 2, 0, VPRIME_XY(64, 48), 0 },
            { VPRIME_FMT_XRGB8888, 64 * 4, 4, VPRIME_XY(64, 48), 0 },
            { VPRIME_FMT_XRGB8888, 64 * 4, 0, VPRIME_XY(64, 48), 4 },
        };

        for (i = 0; i < ARRAY_SIZE(bad); i++) {
            head_off(&d, 0);
            head_on(&d, 0, &mode_a);
            buf_upload(&d, &wc);
            wb_program(&d, &wc, bad[i].fmt, bad[i].pitch, bad[i].off,
                       bad[i].size, wc.addr ^ bad[i].addr_xor);
            hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
            step_to_vblank(&d, 0, &mode_a);
            check_refused(&d, 0, VPRIME_HEAD_ERR_WB_CONFIG,
                          VPRIME_HEAD_ERR_PLANE_HEAD);
            wb_check_end(&d, VPRIME_WB_STATUS_ERROR |
                         VPRIME_HEAD_ERR_WB_CONFIG <<
                         VPRIME_WB_STATUS_ERR_SHIFT);
            /* the planes latched as usual */
            g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                            vprime_frame_crc(frame, 64, 48));
            {
                g_autofree uint8_t *got = buf_download(&d, &wc);

                g_assert_cmpmem(got, wc.size, wc.cpu, wc.size);
            }
        }
    }

    /* a job on a head that stays off */
    head_off(&d, 0);
    wb_program(&d, &wc, VPRIME_FMT_XRGB8888, 64 * 4, 0, size, wc.addr);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    wb_check_end(&d, VPRIME_WB_STATUS_ERROR |
                 VPRIME_HEAD_ERR_WB_CONFIG << VPRIME_WB_STATUS_ERR_SHIFT);

    /*
     * the whole UPDATE refused (a bad mode): the job ends with it, and
     * HEAD_ERROR keeps the update's reason
     */
    head_off(&d, 0);
    head_on(&d, 0, &mode_a);
    wb_program(&d, &wc, VPRIME_FMT_XRGB8888, 64 * 4, 0, size, wc.addr);
    hwr(&d, 0, VPRIME_HEAD_MODE_CLOCK, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_MODE, VPRIME_HEAD_ERR_PLANE_HEAD);
    wb_check_end(&d, VPRIME_WB_STATUS_ERROR |
                 VPRIME_HEAD_ERR_WB_CONFIG << VPRIME_WB_STATUS_ERR_SHIFT);

    /* the page list unreadable: a DMA fault at latch */
    head_off(&d, 0);
    head_on(&d, 0, &mode_a);
    wb_program(&d, &wb, VPRIME_FMT_XRGB8888, pitch, off, size, UNASSIGNED);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_WB_DMA, VPRIME_HEAD_ERR_PLANE_HEAD);
    wb_check_end(&d, VPRIME_WB_STATUS_ERROR |
                 VPRIME_HEAD_ERR_WB_DMA << VPRIME_WB_STATUS_ERR_SHIFT);

    /* a page the engine cannot write: a DMA fault while writing */
    head_off(&d, 0);
    head_on(&d, 0, &mode_a);
    qtest_writeq(d.t.qts, wb.addr + (wb.npages - 1) * 8, UNASSIGNED);
    wb_program(&d, &wb, VPRIME_FMT_XRGB8888, pitch, off, size, wb.addr);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_WB_DMA, VPRIME_HEAD_ERR_PLANE_HEAD);
    wb_check_end(&d, VPRIME_WB_STATUS_ERROR |
                 VPRIME_HEAD_ERR_WB_DMA << VPRIME_WB_STATUS_ERR_SHIFT);

    buf_free(&bp);
    buf_free(&bo);
    buf_free(&wb);
    buf_free(&wc);
    disp_stop(&d);
}

/* ---- output depth ------------------------------------------------------ */

/* The frame (0x00RRGGBB) a link of bpc bits per component carries */
static void model_link(uint32_t *out, const uint32_t *frame, uint32_t n,
                       uint32_t bpc)
{
    const uint32_t m = VPRIME_BPC_6_MASK;
    uint32_t i;

    for (i = 0; i < n; i++) {
        out[i] = frame[i] & 0xffffff;
        if (bpc == VPRIME_BPC_6) {
            out[i] &= m << 16 | m << 8 | m;
        }
    }
}

/* Head 0's CRC, OUTPUT_CRC and screendump are those of this frame */
static void check_link_frame(Disp *d, const uint32_t *frame)
{
    uint32_t crc = vprime_frame_crc(frame, 64, 48);

    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, crc);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_OUTPUT_CRC), ==, crc);
    check_screendump(d, 0, frame, 64, 48);
}

/* An OUTPUT_BPC the latch refuses on a head that is on: it stays as it was */
static void bpc_refused(Disp *d, uint32_t bpc, const uint32_t *frame)
{
    hwr(d, 0, VPRIME_HEAD_OUTPUT_BPC, bpc);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_OUTPUT_BPC), ==, bpc);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(d, 0, &mode_a);
    check_refused(d, 0, VPRIME_HEAD_ERR_BPC, VPRIME_HEAD_ERR_PLANE_HEAD);
    g_assert_cmphex(rd(d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) + VPRIME_HEAD_OUTPUT_BPC);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, VPRIME_HEAD_STATUS_ACTIVE);
    hwr(d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(d, 0, VPRIME_HEAD_ERROR, ~0u);
    wr(d, VPRIME_REG_ERROR, ~0u);
    wr(d, VPRIME_REG_IRQ_STATUS, ~0u);
    hwr(d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(d, 0, &mode_a);
    check_link_frame(d, frame);
}

/*
 * OUTPUT_BPC: 8 after reset, a shadow register latched at the vblank
 * after UPDATE; at 6 the CRC, OUTPUT_CRC and the screen are the frame with
 * each component truncated to its top 6 bits (also a lone primary, which
 * at 8 is shown in place), at 8, 10 and 12 the frame as composed;
 * writeback takes the frame before the link (8 bits); values other than
 * 6, 8, 10 and 12 are refused (error 27) turning a head on or keeping it
 * on, not turning it off; device reset makes it 8 again.
 */
static void test_output_bpc(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    static const uint32_t bad[] = { 0, 7, 9, 16, ~0u };
    static const uint32_t wide[] = { VPRIME_BPC_10, VPRIME_BPC_12,
                                     VPRIME_BPC_8 };
    g_autofree uint32_t *plain = g_new0(uint32_t, 64 * 48);
    g_autofree uint32_t *six = g_new0(uint32_t, 64 * 48);
    uint32_t i, x;
    Buf bp, wb;
    Disp d;

    disp_start(&d, NULL);
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_OUTPUT_BPC, ==,
                    VPRIME_DISP_CAP_OUTPUT_BPC);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_OUTPUT_BPC), ==,
                     VPRIME_BPC_DEFAULT);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    model_plane(plain, 64, &prim, bp.argb);
    model_link(plain, plain, 64 * 48, VPRIME_BPC_8);
    model_link(six, plain, 64 * 48, VPRIME_BPC_6);
    /* the test means something only if truncating changes the frame */
    for (i = 0, x = 0; i < 64 * 48; i++) {
        x |= plain[i] ^ six[i];
    }
    g_assert_cmphex(x, !=, 0);

    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    step_to_vblank(&d, 0, &mode_a);
    check_link_frame(&d, plain);

    /* shadow: nothing changes until a latch */
    hwr(&d, 0, VPRIME_HEAD_OUTPUT_BPC, VPRIME_BPC_6);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_OUTPUT_BPC), ==, VPRIME_BPC_6);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_link_frame(&d, plain);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(plain, 64, 48));
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    check_link_frame(&d, six);

    /* writeback taps the pipe before the link: the 8-bit frame */
    buf_alloc(&d, &wb, 64 * 4 * 48, true);
    buf_upload(&d, &wb);
    wb_program(&d, &wb, VPRIME_FMT_XRGB8888, 64 * 4, 0, VPRIME_XY(64, 48),
               wb.addr);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    wb_check_end(&d, VPRIME_WB_STATUS_DONE);
    {
        g_autofree uint8_t *got = buf_download(&d, &wb);

        for (i = 0; i < 64 * 48; i++) {
            g_assert_cmphex((uint32_t)ldl_le_p(got + i * 4), ==,
                            0xff000000u | plain[i]);
        }
    }
    check_link_frame(&d, six);

    /* wider links carry the 8-bit frame unchanged */
    for (i = 0; i < G_N_ELEMENTS(wide); i++) {
        hwr(&d, 0, VPRIME_HEAD_OUTPUT_BPC, wide[i]);
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &mode_a);
        check_no_errors(&d, 0);
        check_link_frame(&d, plain);
    }

    /* bad depths: the update refused whole, the head keeps its state */
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        bpc_refused(&d, bad[i], plain);
    }
    /* ... also turning a head on; not turning it off */
    hwr(&d, 0, VPRIME_HEAD_OUTPUT_BPC, 5);
    head_off(&d, 0);
    check_no_errors(&d, 0);
    hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    check_refused(&d, 0, VPRIME_HEAD_ERR_BPC, VPRIME_HEAD_ERR_PLANE_HEAD);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, 0);
    head_off(&d, 0);

    /* a head turned on at 6 bpc: truncated from its first frame */
    hwr(&d, 0, VPRIME_HEAD_OUTPUT_BPC, VPRIME_BPC_6);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    step_to_vblank(&d, 0, &mode_a);
    check_link_frame(&d, six);

    /* device reset: 8 bits again */
    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_OUTPUT_BPC), ==,
                     VPRIME_BPC_DEFAULT);
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &prim, bp.addr, 0);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    step_to_vblank(&d, 0, &mode_a);
    check_link_frame(&d, plain);

    buf_free(&bp);
    buf_free(&wb);
    disp_stop(&d);
}

/* Each plane's scaling limits: 8x up, 4x down; the cursor does not scale */
static void test_scale_limits(void)
{
    static const struct {
        int plane;
        uint32_t w, h, dw, dh;
        bool ok;
    } cases[] = {
        { VPRIME_PLANE_PRIMARY, 8, 6, 64, 48, true },
        { VPRIME_PLANE_PRIMARY, 8, 6, 65, 48, false },
        { VPRIME_PLANE_OVERLAY, 8, 6, 8, 49, false },
        { VPRIME_PLANE_OVERLAY, 64, 48, 16, 12, true },
        { VPRIME_PLANE_OVERLAY, 64, 48, 15, 12, false },
        { VPRIME_PLANE_PRIMARY, 64, 48, 16, 11, false },
        { VPRIME_PLANE_CURSOR, 16, 16, 16, 16, true },
        { VPRIME_PLANE_CURSOR, 16, 16, 32, 32, false },
        { VPRIME_PLANE_CURSOR, 16, 16, 16, 15, false },
    };
    size_t i;
    Disp d;

    disp_start(&d, NULL);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        PlaneCfg c = { .format = VPRIME_FMT_XRGB8888,
                       .pitch = cases[i].w * 4,
                       .fb_size = cases[i].w * 4 * cases[i].h,
                       .w = cases[i].w, .h = cases[i].h, .contig = true };
        Buf b;

        buf_alloc(&d, &b, c.fb_size, true);
        buf_paint(&d, &b, &c, false);
        if (cases[i].ok) {
            head_off(&d, 0);
            set_plane(&d, 0, cases[i].plane, &c, b.addr, 0);
            pwr(&d, 0, cases[i].plane, VPRIME_PL_DST_SIZE,
                VPRIME_XY(cases[i].dw, cases[i].dh));
            head_on(&d, 0, &mode_a);
            check_no_errors(&d, 0);
            pwr(&d, 0, cases[i].plane, VPRIME_PL_CONTROL, 0);
        } else {
            pwr(&d, 0, cases[i].plane, VPRIME_PL_DST_SIZE,
                VPRIME_XY(cases[i].dw, cases[i].dh));
            expect_plane_refused(&d, cases[i].plane, &c, b.addr, 0,
                                 VPRIME_HEAD_ERR_SCALE);
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                            VPRIME_HEAD_BASE(0) +
                            VPRIME_PLANE_BASE(cases[i].plane) +
                            VPRIME_PL_DST_SIZE);
            wr(&d, VPRIME_REG_ERROR, ~0u);
            hwr(&d, 0, VPRIME_HEAD_ERROR, ~0u);
        }
        pwr(&d, 0, cases[i].plane, VPRIME_PL_DST_SIZE, 0);
        buf_free(&b);
    }
    disp_stop(&d);
}

static void test_contiguous_only(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48 };
    Buf b;
    Disp d;

    disp_start(&d, "contiguous-only=on");
    buf_alloc(&d, &b, c.fb_size, false);
    buf_paint(&d, &b, &c, false);
    expect_plane_refused(&d, VPRIME_PLANE_PRIMARY, &c, b.addr, 0,
                         VPRIME_HEAD_ERR_CONTIG);
    buf_free(&b);
    c.contig = true;
    check_primary(&d, &c, false);
    check_no_errors(&d, 0);
    disp_stop(&d);
}

static void test_dma_bits(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48 };
    uint64_t fb, list;
    uint32_t i;
    Disp d;

    disp_start(&d, "dma-bits=32");
    /* a contiguous buffer above 4 GiB, and one that ends above it */
    expect_plane_refused(&d, VPRIME_PLANE_PRIMARY, &c, ABOVE_4G,
                         VPRIME_PL_CTRL_CONTIG, VPRIME_HEAD_ERR_DMA_MASK);
    expect_plane_refused(&d, VPRIME_PLANE_PRIMARY, &c, ABOVE_4G - PAGE,
                         VPRIME_PL_CTRL_CONTIG, VPRIME_HEAD_ERR_DMA_MASK);
    /* a page list above 4 GiB */
    expect_plane_refused(&d, VPRIME_PLANE_PRIMARY, &c, ABOVE_4G + 8, 0,
                         VPRIME_HEAD_ERR_DMA_MASK);
    /* a page above 4 GiB in a list below */
    fb = alloc_pages(&d, c.fb_size);
    list = alloc_pages(&d, PAGE);
    for (i = 0; i < c.fb_size / PAGE; i++) {
        qtest_writeq(d.t.qts, list + i * 8, i == 1 ? ABOVE_4G + PAGE
                                                   : fb + i * PAGE);
    }
    expect_plane_refused(&d, VPRIME_PLANE_PRIMARY, &c, list, 0,
                         VPRIME_HEAD_ERR_DMA_MASK);
    /* below 4 GiB it scans */
    c.contig = true;
    check_primary(&d, &c, false);
    disp_stop(&d);

    /* a 64-bit engine takes the same list (and underruns on the hole) */
    disp_start(&d, NULL);
    fb = alloc_pages(&d, c.fb_size);
    list = alloc_pages(&d, PAGE);
    for (i = 0; i < c.fb_size / PAGE; i++) {
        qtest_writeq(d.t.qts, list + i * 8, i == 1 ? ABOVE_4G + PAGE
                                                   : fb + i * PAGE);
    }
    c.contig = false;
    set_plane(&d, 0, 0, &c, list, 0);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_UNDERRUN,
                    ==, VPRIME_HEAD_EV_UNDERRUN);
    disp_stop(&d);
}

/* ---- hostile configurations --------------------------------------------- */

static void test_bad_mode(void)
{
    static const Mode bad[] = {
        { 0, 48, 80, 50, 240 },                 /* no pixels */
        { 64, 48, 63, 50, 240 },                /* htotal < hdisplay */
        { 64, 48, 80, 47, 240 },                /* vtotal < vdisplay */
        { 64, 48, 80, 50, 0 },                  /* no clock */
        { 64, 48, 80, 50, 3 },                  /* 0.75 Hz */
        { 64, 48, 80, 50, 1000000 },            /* 250 kHz */
        { 9000, 48, 9000, 50, 27000 },          /* wider than MAX_DIM */
    };
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48, .contig = true };
    uint32_t crc;
    size_t i;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    /* refused while off: the head stays off */
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        head_off(&d, 0);
        set_mode(&d, 0, &bad[i]);
        hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        check_refused(&d, 0, VPRIME_HEAD_ERR_MODE, VPRIME_HEAD_ERR_PLANE_HEAD);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                        VPRIME_HEAD_STATUS_CONNECTED);
        qtest_clock_step(d.t.qts, 2 * mode_period(&mode_a));
        g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    }

    /* refused while on: the active configuration is untouched */
    head_off(&d, 0);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    crc = hrd(&d, 0, VPRIME_HEAD_CRC);
    set_mode(&d, 0, &bad[1]);
    pwr(&d, 0, 0, VPRIME_PL_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_MODE, VPRIME_HEAD_ERR_PLANE_HEAD);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    check_vblank_rate(&d, 0, &mode_a, vblank_ts(&d, 0) +
                      mode_period(&mode_a), 3);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==, 2);

    /* reserved head CONTROL bits: refused the same way */
    set_mode(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_ERROR, ~0u);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    wr(&d, VPRIME_REG_ERROR, ~0u);
    hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE | 0x100);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_CONTROL, VPRIME_HEAD_ERR_PLANE_HEAD);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_ACTIVE,
                    ==, VPRIME_HEAD_STATUS_ACTIVE);
    buf_free(&b);
    disp_stop(&d);
}

static void test_bad_planes(void)
{
    const PlaneCfg good = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                            .fb_size = 64 * 4 * 48, .w = 64, .h = 48 };
    PlaneCfg c;
    uint64_t fb, list, bad_list;
    uint32_t i;
    Disp d;

    disp_start(&d, NULL);
    fb = alloc_pages(&d, good.fb_size);
    list = alloc_pages(&d, PAGE);
    for (i = 0; i < good.fb_size / PAGE; i++) {
        qtest_writeq(d.t.qts, list + i * 8, fb + i * PAGE);
    }

#define EXPECT(plane, field, val, extra, addr, reason) do {             \
        c = good;                                                       \
        c.field = (val);                                                \
        expect_plane_refused(&d, plane, &c, addr, extra, reason);       \
    } while (0)

    EXPECT(0, format, 0, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_FORMAT);
    EXPECT(0, format, 99, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_FORMAT);
    EXPECT(1, layout, VPRIME_LAYOUT_COUNT, VPRIME_PL_CTRL_CONTIG, fb,
           VPRIME_HEAD_ERR_LAYOUT);
    /* registered layouts the display does not scan: Intel Y-tiled */
    c = good;
    c.layout = VPRIME_LAYOUT_Y_TILED;
    c.pitch = 256;
    c.fb_size = 8 * 4096;
    expect_plane_refused(&d, 0, &c, fb, VPRIME_PL_CTRL_CONTIG,
                         VPRIME_HEAD_ERR_LAYOUT_UNSUPPORTED);
    /* pitch: below a row, not a pixel multiple, tiled not a tile width */
    EXPECT(0, pitch, 63 * 4, VPRIME_PL_CTRL_CONTIG, fb,
           VPRIME_HEAD_ERR_PITCH);
    EXPECT(0, pitch, 64 * 4 + 2, VPRIME_PL_CTRL_CONTIG, fb,
           VPRIME_HEAD_ERR_PITCH);
    c = good;
    c.layout = VPRIME_LAYOUT_X_TILED;
    c.pitch = 768;
    expect_plane_refused(&d, 0, &c, fb, VPRIME_PL_CTRL_CONTIG,
                         VPRIME_HEAD_ERR_PITCH);
    c.layout = VPRIME_LAYOUT_NV_BLOCK;
    c.pitch = 288;
    expect_plane_refused(&d, 0, &c, fb, VPRIME_PL_CTRL_CONTIG,
                         VPRIME_HEAD_ERR_PITCH);
    /* tiled buffer offset not tile aligned */
    c.pitch = 256;
    c.offset = 64;
    c.fb_size = 4 * 4096;
    expect_plane_refused(&d, 0, &c, fb, VPRIME_PL_CTRL_CONTIG,
                         VPRIME_HEAD_ERR_ALIGN);
    /* block linear: 48 rows are part of a block of 64 rows */
    c.offset = 0;
    c.fb_size = 256 * 48;
    expect_plane_refused(&d, 0, &c, fb, VPRIME_PL_CTRL_CONTIG,
                         VPRIME_HEAD_ERR_RECT);
    /* rectangles: empty, outside the mode, outside the buffer, big cursor */
    EXPECT(0, w, 0, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_RECT);
    EXPECT(0, dx, 1, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_RECT);
    EXPECT(2, dy, 47, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_RECT);
    EXPECT(0, sy, 1, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_RECT);
    EXPECT(1, offset, 4, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_RECT);
    EXPECT(0, offset, 0xfffffff0, VPRIME_PL_CTRL_CONTIG, fb,
           VPRIME_HEAD_ERR_RECT);
    c = good;
    c.format = VPRIME_FMT_RGB565;
    c.w = VPRIME_DISP_CURSOR_MAX + 1;
    c.h = 4;
    c.pitch = 2 * c.w;
    c.fb_size = 4 * c.pitch;
    {
        Mode wide = { 512, 48, 600, 50, 1800 };

        head_off(&d, 0);
        set_plane(&d, 0, VPRIME_PLANE_CURSOR, &c, fb, VPRIME_PL_CTRL_CONTIG);
        head_on(&d, 0, &wide);
        check_refused(&d, 0, VPRIME_HEAD_ERR_RECT, VPRIME_PLANE_CURSOR);
        /* the same plane is fine as an overlay */
        head_off(&d, 0);
        pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_CONTROL, 0);
        set_plane(&d, 0, VPRIME_PLANE_OVERLAY, &c, fb, VPRIME_PL_CTRL_CONTIG);
        head_on(&d, 0, &wide);
        check_no_errors(&d, 0);
        pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    }
    /* buffer size */
    EXPECT(0, fb_size, 0, VPRIME_PL_CTRL_CONTIG, fb, VPRIME_HEAD_ERR_FB_SIZE);
    EXPECT(0, fb_size, VPRIME_DISP_FB_MAX + PAGE, VPRIME_PL_CTRL_CONTIG, fb,
           VPRIME_HEAD_ERR_FB_SIZE);
    /* alignment: contiguous buffer, page list, page */
    EXPECT(0, offset, 0, VPRIME_PL_CTRL_CONTIG, fb + 64,
           VPRIME_HEAD_ERR_ALIGN);
    EXPECT(0, offset, 0, 0, list + 4, VPRIME_HEAD_ERR_ALIGN);
    bad_list = alloc_pages(&d, PAGE);
    for (i = 0; i < good.fb_size / PAGE; i++) {
        qtest_writeq(d.t.qts, bad_list + i * 8, fb + i * PAGE + (i == 1) * 16);
    }
    EXPECT(0, offset, 0, 0, bad_list, VPRIME_HEAD_ERR_ALIGN);
    /* a page list nothing can read */
    EXPECT(0, offset, 0, 0, UNASSIGNED, VPRIME_HEAD_ERR_PAGE_LIST);
    /* reserved plane CONTROL bits; the cursor's rotation and blend bits */
    EXPECT(1, offset, 0, VPRIME_PL_CTRL_CONTIG | 0x100, fb,
           VPRIME_HEAD_ERR_CONTROL);
    EXPECT(2, offset, 0, VPRIME_PL_CTRL_CONTIG | VPRIME_PL_CTRL_BLEND, fb,
           VPRIME_HEAD_ERR_CONTROL);
    /* a good plane after all that works */
    head_off(&d, 0);
    set_plane(&d, 0, 0, &good, list, 0);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
#undef EXPECT
    disp_stop(&d);
}

/* One refused plane does not take the others down */
static void test_refusal_is_per_plane(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = prim;
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &b, false);
    ovl.format = 42;
    set_plane(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, b.addr, 0);
    head_on(&d, 0, &mode_a);
    check_refused(&d, 0, VPRIME_HEAD_ERR_FORMAT, VPRIME_PLANE_OVERLAY);
    model_plane(frame, 64, &prim, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    buf_free(&b);
    disp_stop(&d);
}

static void test_bad_registers(void)
{
    Disp d;

    disp_start(&d, NULL);
    /* UPDATE, DAMAGE and CRC_CONTROL take only their values */
    hwr(&d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    set_mode(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 2);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_HEAD_BASE(0) + VPRIME_HEAD_UPDATE);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_ERROR);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);      /* nothing latched */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    wr(&d, VPRIME_REG_ERROR, ~0u);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 0xffffffff);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    wr(&d, VPRIME_REG_ERROR, ~0u);
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 2);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC_CONTROL), ==, 0);

    /* PL_LAYOUTS is read-only: a write is a bad access and changes nothing */
    wr(&d, VPRIME_REG_ERROR, ~0u);
    pwr(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_LAYOUTS, 0xf);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(prd(&d, 0, VPRIME_PLANE_CURSOR, VPRIME_PL_LAYOUTS), ==,
                    VPRIME_DISP_LAYOUTS);

    /* unknown registers: head 1 of a 1-head engine, holes, past the EDID */
    {
        static const uint32_t unknown[] = {
            VPRIME_DISP_PM_D3_COUNT + 4, 0xffc, VPRIME_HEAD_BASE(1), VPRIME_HEAD_BASE(3) + 0x10,
            VPRIME_HEAD_BASE(0) + 0x7c, VPRIME_HEAD_BASE(0) + 0x6c,
            VPRIME_HEAD_BASE(0) + 0xc0,
            /* YUV framebuffer-plane block: gaps, past the planes, head 1 */
            VPRIME_FBP_BASE(0, 0, 1) + 0x14, VPRIME_FBP_BASE(0, 3, 2) + 0x1c,
            VPRIME_FBP_HEAD_BASE(0) + 0x100, VPRIME_FBP_HEAD_BASE(1),
        };
        size_t i;

        for (i = 0; i < ARRAY_SIZE(unknown); i++) {
            wr(&d, VPRIME_REG_ERROR, ~0u);
            g_assert_cmphex(rd(&d, unknown[i]), ==, 0);
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==,
                            VPRIME_ERR_BAD_ACCESS);
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR_ADDR), ==, unknown[i]);
            wr(&d, VPRIME_REG_ERROR, ~0u);
            wr(&d, unknown[i], 0x1);
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==,
                            VPRIME_ERR_BAD_ACCESS);
        }
    }
    /* read-only registers stay as they are */
    {
        static const uint32_t ro[] = {
            VPRIME_DISP_CAPS, VPRIME_DISP_DMA_BITS, VPRIME_DISP_CLOCK_LO,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_STATUS,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_FRAME,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_CRC,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_EDID_SIZE,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_FLIP_FRAME,
            VPRIME_DISP_UPDATE_LOCKS, VPRIME_DISP_PM_D3_COUNT,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_OUTPUT_SOURCE,
            VPRIME_HEAD_BASE(0) + VPRIME_HEAD_OUTPUT_CRC,
        };
        size_t i;

        for (i = 0; i < ARRAY_SIZE(ro); i++) {
            uint32_t before = rd(&d, ro[i]);

            wr(&d, VPRIME_REG_ERROR, ~0u);
            wr(&d, ro[i], ~before);
            g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==,
                            VPRIME_ERR_BAD_ACCESS);
            if (ro[i] != VPRIME_DISP_CLOCK_LO) {
                g_assert_cmphex(rd(&d, ro[i]), ==, before);
            }
        }
    }
    /* write-only registers read 0 */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_UPDATE), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_DAMAGE), ==, 0);
    disp_stop(&d);
}

/* A page that points at nothing: the plane underruns, the frame goes on */
static void test_underrun(void)
{
    PlaneCfg prim = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                      .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                      .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 16 * 4,
                     .fb_size = 16 * 4 * 200, .w = 16, .h = 40, .dx = 8,
                     .dy = 4, .sy = 100 };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint32_t crc_no_ovl, i;
    uint64_t list;
    Buf bp, bo;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &prim, &bp, false);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    model_plane(frame, 64, &prim, bp.argb);
    crc_no_ovl = vprime_frame_crc(frame, 64, 48);
    /*
     * The page under the overlay's last rows points at nothing: its first
     * rows are fetched (and blended) before the error, yet none may show.
     */
    g_assert_cmpuint(ovl.sy * ovl.pitch / PAGE, <,
                     (ovl.sy + ovl.h - 1) * ovl.pitch / PAGE);
    qtest_writeq(d.t.qts, bo.addr + (ovl.sy + ovl.h - 1) * ovl.pitch / PAGE * 8,
                 UNASSIGNED);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) &
                    (VPRIME_HEAD_EV_UNDERRUN | VPRIME_HEAD_EV_ERROR), ==,
                    VPRIME_HEAD_EV_UNDERRUN);
    g_assert_cmpuint(qom_u64(&d, "stat-underruns"), ==, 1);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, crc_no_ovl);
    check_screendump(&d, 0, frame, 64, 48);

    /* a primary that underruns leaves black, the overlay still shows */
    list = alloc_pages(&d, PAGE);
    for (i = 0; i < prim.fb_size / PAGE; i++) {
        qtest_writeq(d.t.qts, list + i * 8, i == 1 ? UNASSIGNED
                                                 : bp.addr + i * PAGE);
    }
    prim.contig = false;
    set_plane(&d, 0, VPRIME_PLANE_PRIMARY, &prim, list, 0);
    ovl.sy = 0;
    buf_free(&bo);
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    memset(frame, 0, 64 * 48 * 4);
    model_plane(frame, 64, &ovl, bo.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    g_assert_cmpuint(qom_u64(&d, "stat-underruns"), ==, 2);
    check_no_errors(&d, 0);
    buf_free(&bp);
    buf_free(&bo);
    disp_stop(&d);
}

/* ---- fault injection ---------------------------------------------------- */

/* An injected underrun: that frame shows no plane, the next one is whole */
static void test_inject_underrun(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    g_autofree uint32_t *black = g_new0(uint32_t, 64 * 48);
    g_autofree char *log = NULL;
    uint32_t good;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);            /* composes frame 1 */
    model_plane(frame, 64, &c, b.argb);
    good = vprime_frame_crc(frame, 64, 48);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, good);

    /* refused scripts arm nothing */
    vprime_fault_refused(&d.t, "underrun:head=1",
                         "fault 'underrun:head=1': head=1: no such head: "
                         "allowed are 0 to 0 and any");
    vprime_fault_refused(&d.t, "hang",
                         "unknown fault kind 'hang' for vprime-display: "
                         "allowed are underrun, unplug, replug and clear");
    vprime_fault_refused(&d.t, "underrun:after=x", "'after' expects integer");
    vprime_fault_refused(&d.t, "unplug:engine=copy",
                         "'engine' is unexpected");
    vprime_fault_refused(&d.t, "underrun;bogus",
                         "fault 'bogus': unknown fault kind");
    log = qom_str(&d, "fault");
    g_assert_cmpstr(log, ==, "");
    g_free(log);

    vprime_qom_set_str(&d.t, "fault", "underrun:head=0");
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);     /* frame 2: the fetch fails */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_UNDERRUN,
                    ==, VPRIME_HEAD_EV_UNDERRUN);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(black, 64, 48));
    g_assert_cmpuint(qom_u64(&d, "stat-underruns"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-underrun"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-faults"), ==, 1);
    check_no_errors(&d, 0);
    log = qom_str(&d, "fault-log");
    g_assert_cmpstr(log, ==, "1 underrun head0 frame=2\n");

    /* the next frame is whole again */
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_UNDERRUN,
                    ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, good);
    g_assert_cmpuint(qom_u64(&d, "stat-underruns"), ==, 1);
    buf_free(&b);
    disp_stop(&d);
}

/* An injected unplug at a counted vblank, replugged N vblanks later */
static void test_inject_unplug(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    g_autofree char *log = NULL;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    vprime_qom_set_str(&d.t, "fault", "unplug:head=0,after=1,replug=2");
    step_to_vblank(&d, 0, &mode_a);     /* vblank 1: let through */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    step_to_vblank(&d, 0, &mode_a);     /* vblank 2: unplugged */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_HOTPLUG,
                    ==, VPRIME_HEAD_EV_HOTPLUG);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EDID_SIZE), ==, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    step_to_vblank(&d, 0, &mode_a);     /* vblank 3: still out */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);
    step_to_vblank(&d, 0, &mode_a);     /* vblank 4: back */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_HOTPLUG,
                    ==, VPRIME_HEAD_EV_HOTPLUG);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EDID_SIZE), >, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-unplug"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-replug"), ==, 1);
    log = qom_str(&d, "fault-log");
    g_assert_cmpstr(log, ==, "1 unplug head0 vblank=2 replug=2\n"
                    "2 replug head0 vblank=4 after unplug\n");
    g_free(log);

    /* replug as a fault of its own, after a host unplug */
    vprime_qom_set_bool(&d.t, "head0-connected", false);
    vprime_qom_set_str(&d.t, "fault", "replug:head=0");
    log = qom_str(&d, "fault");
    g_assert_cmpstr(log, ==, "replug:head=head0,after=0,count=1");
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-replug"), ==, 2);
    buf_free(&b);
    disp_stop(&d);
}

/* ---- connectors ------------------------------------------------------- */

static void read_edid(Disp *d, int h, uint8_t *edid, uint32_t len)
{
    uint32_t i;

    for (i = 0; i < len; i += 4) {
        stl_le_p(edid + i, hrd(d, h, VPRIME_HEAD_EDID + i));
    }
}

static void check_edid(Disp *d, int h, uint32_t xres, uint32_t yres)
{
    static const uint8_t magic[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0 };
    uint8_t edid[VPRIME_EDID_MAX];
    uint32_t size = hrd(d, h, VPRIME_HEAD_EDID_SIZE), i, sum = 0;
    g_autofree char *serial = g_strdup_printf("head%d", h);
    bool name = false, ser = false;

    read_edid(d, h, edid, sizeof(edid));
    g_assert_cmpmem(edid, 8, magic, 8);
    g_assert_cmpuint(size, ==, (edid[126] + 1) * 128);
    g_assert_cmpuint(size, <=, VPRIME_EDID_MAX);
    for (i = 0; i < 128; i++) {
        sum += edid[i];
    }
    g_assert_cmpuint(sum % 256, ==, 0);
    /* the first detailed timing is the preferred mode */
    g_assert_cmpuint(edid[56] | (edid[58] & 0xf0) << 4, ==, xres);
    g_assert_cmpuint(edid[59] | (edid[61] & 0xf0) << 4, ==, yres);
    /* text descriptors, in the base block or moved on to the CTA block */
    for (i = 0; i + 18 <= size; i++) {
        if (edid[i] || edid[i + 1] || edid[i + 2] || edid[i + 4]) {
            continue;
        }
        if (edid[i + 3] == 0xfc) {
            /* QEMU's generator keeps 12 characters of a name */
            name |= !memcmp(edid + i + 5, "vprime-displ\n", 13);
        }
        if (edid[i + 3] == 0xff) {
            ser |= !memcmp(edid + i + 5, serial, strlen(serial)) &&
                   edid[i + 5 + strlen(serial)] == '\n';
        }
    }
    g_assert_true(name);
    g_assert_true(ser);
}

/*
 * The EDID window is QEMU's EDID region: byte, word and dword reads of the
 * same bytes; writes change nothing and are no bad access.
 */
static void check_edid_window(Disp *d, int h)
{
    uint32_t base = VPRIME_HEAD_BASE(h) + VPRIME_HEAD_EDID;
    uint32_t size = hrd(d, h, VPRIME_HEAD_EDID_SIZE), i;
    uint64_t errors = qom_u64(d, "stat-guest-errors");
    uint8_t edid[VPRIME_EDID_MAX];

    read_edid(d, h, edid, sizeof(edid));
    for (i = 0; i < 32; i++) {
        g_assert_cmphex(qpci_io_readb(d->t.dev, d->t.mmio, base + i), ==,
                        edid[i]);
    }
    g_assert_cmphex(qpci_io_readw(d->t.dev, d->t.mmio, base + 8), ==,
                    lduw_le_p(edid + 8));
    for (i = size; i < VPRIME_EDID_MAX; i++) {
        g_assert_cmphex(edid[i], ==, 0);
    }
    wr(d, base + 8, 0x12345678);
    qpci_io_writeb(d->t.dev, d->t.mmio, base + 9, 0x5a);
    g_assert_cmphex(rd(d, base + 8), ==, ldl_le_p(edid + 8));
    g_assert_cmphex(rd(d, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmpuint(qom_u64(d, "stat-guest-errors"), ==, errors);
}

static void test_edid(void)
{
    uint8_t edid[VPRIME_EDID_MAX];
    Disp d;

    disp_start(&d, "heads=2");
    check_edid(&d, 0, 1024, 768);
    check_edid(&d, 1, 1024, 768);
    check_edid_window(&d, 1);
    g_assert_cmpuint(qom_u64(&d, "xres"), ==, 1024);
    disp_stop(&d);

    disp_start(&d, "xres=800,yres=600");
    check_edid(&d, 0, 800, 600);
    disp_stop(&d);

    /* 3840x2160@60 needs a DisplayID extension for its preferred mode */
    disp_start(&d, "xres=3840,yres=2160,refresh_rate=60000");
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EDID_SIZE), ==, 384);
    read_edid(&d, 0, edid, sizeof(edid));
    g_assert_cmphex(edid[256], ==, 0x70);
    check_edid_window(&d, 0);
    disp_stop(&d);
}

/* Is there a display descriptor 'tag' with text 'text' in [from, to)? */
static bool edid_has_text(const uint8_t *edid, uint32_t from, uint32_t to,
                          uint8_t tag, const char *text)
{
    uint32_t i, n = strlen(text);

    for (i = from; i + 18 <= to; i += 18) {
        if (!edid[i] && !edid[i + 1] && !edid[i + 2] && edid[i + 3] == tag &&
            !memcmp(edid + i + 5, text, n) && edid[i + 5 + n] == '\n') {
            return true;
        }
    }
    return false;
}

static void check_edid_block_sum(const uint8_t *block)
{
    uint32_t i, sum = 0;

    for (i = 0; i < 128; i++) {
        sum += block[i];
    }
    g_assert_cmpuint(sum % 256, ==, 0);
}

/* device_add with these output-types, heads and head 0 state must fail */
static char *output_types_refused(const char *types, int heads,
                                  bool connected)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults "
                                 "-device pcie-root-port,id=rp,chassis=1");
    QDict *err = qtest_qmp_assert_failure_ref(qts,
        "{'execute': 'device_add', 'arguments': {'driver': 'vprime-display', "
        "'bus': 'rp', 'output-types': %s, 'heads': %d, "
        "'head0-connected': %i}}", types, heads, connected);
    char *desc = g_strdup(qdict_get_str(err, "desc"));

    qobject_unref(err);
    qtest_quit(qts);
    return desc;
}

/*
 * Output types: the OUTPUT strap per head, an eDP panel's EDID (the native
 * mode only, no extension), DP's (as generated), HDMI's (HDMI-a input, an
 * HDMI vendor-specific data block in the CTA-861 extension); an eDP panel
 * cannot be unplugged, by the host or by an injected fault.
 */
static void test_output_types(void)
{
    static const uint8_t hdmi_vsdb[4] = { 0x65, 0x03, 0x0c, 0x00 };
    uint8_t edid[VPRIME_EDID_MAX], *dta = edid + 128;
    g_autofree char *err = NULL;
    bool vsdb = false;
    uint32_t i;
    Disp d;

    disp_start(&d, "heads=4,output-types=edp,,dp,,hdmi");
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_OUTPUT, ==,
                    VPRIME_DISP_CAP_OUTPUT);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_OUTPUT), ==, VPRIME_OUTPUT_EDP);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_OUTPUT), ==, VPRIME_OUTPUT_DP);
    g_assert_cmpuint(hrd(&d, 2, VPRIME_HEAD_OUTPUT), ==, VPRIME_OUTPUT_HDMI);
    g_assert_cmpuint(hrd(&d, 3, VPRIME_HEAD_OUTPUT), ==,
                     VPRIME_OUTPUT_VIRTUAL);

    /* eDP: one block, no established or standard timings, the panel mode */
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EDID_SIZE), ==, 128);
    read_edid(&d, 0, edid, sizeof(edid));
    check_edid_block_sum(edid);
    g_assert_cmphex(edid[20], ==, 0x95);    /* digital, 6 bpc, DisplayPort */
    g_assert_cmphex(edid[126], ==, 0);
    g_assert_cmphex(edid[35] | edid[36] | edid[37], ==, 0);
    for (i = 38; i < 54; i++) {
        g_assert_cmphex(edid[i], ==, 0x01);
    }
    g_assert_cmpuint(edid[56] | (edid[58] & 0xf0) << 4, ==, 1024);
    g_assert_cmpuint(edid[59] | (edid[61] & 0xf0) << 4, ==, 768);
    g_assert_true(edid_has_text(edid, 54, 126, 0xfc, "vprime eDP"));
    g_assert_true(edid_has_text(edid, 54, 126, 0xff, "head0"));
    for (i = 54; i + 18 <= 126; i += 18) {
        g_assert_false(!edid[i] && !edid[i + 1] && edid[i + 3] == 0xfd);
    }
    check_edid_window(&d, 0);

    /* DP: QEMU's generator's, DisplayPort input, CTA block without HDMI */
    read_edid(&d, 1, edid, sizeof(edid));
    check_edid_block_sum(edid);
    g_assert_cmphex(edid[20], ==, 0xb5);    /* digital, 10 bpc, DisplayPort */
    g_assert_cmphex(edid[126], ==, 1);
    g_assert_true(edid_has_text(edid, 54, 126, 0xfc, "vprime DP"));
    g_assert_null(memmem(dta + 4, dta[2] - 4, hdmi_vsdb + 1, 3));

    /* HDMI: HDMI-a input, the vendor block among the CTA data blocks */
    read_edid(&d, 2, edid, sizeof(edid));
    check_edid_block_sum(edid);
    check_edid_block_sum(dta);
    g_assert_cmphex(edid[20], ==, 0xa2);    /* digital, 8 bpc, HDMI-a */
    g_assert_cmphex(dta[0], ==, 0x02);
    for (i = 4; i < dta[2]; i += (dta[i] & 0x1f) + 1) {
        vsdb |= !memcmp(dta + i, hdmi_vsdb, sizeof(hdmi_vsdb));
    }
    g_assert_cmpuint(i, ==, dta[2]);
    g_assert_true(vsdb);
    g_assert_true(edid_has_text(edid, 54, 126, 0xfc, "vprime HDMI"));
    /* the serial descriptor moved up with the CTA block's descriptors */
    g_assert_true(edid_has_text(dta, dta[2], 127, 0xff, "head2"));

    /* virtual: the generator's 8 bpc, DisplayPort */
    read_edid(&d, 3, edid, sizeof(edid));
    check_edid_block_sum(edid);
    g_assert_cmphex(edid[20], ==, 0xa5);

    /* the strap is read-only */
    hwr(&d, 1, VPRIME_HEAD_OUTPUT, VPRIME_OUTPUT_HDMI);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_OUTPUT), ==, VPRIME_OUTPUT_DP);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR) & VPRIME_ERR_BAD_ACCESS, ==,
                    VPRIME_ERR_BAD_ACCESS);
    wr(&d, VPRIME_REG_ERROR, ~0u);

    /* an eDP panel stays connected: host unplug refused, faults never hit */
    err = vprime_qom_refused(&d.t, "head0-connected",
                             QOBJECT(qbool_from_bool(false)));
    g_assert_nonnull(strstr(err, "head 0 is an eDP panel: it cannot be "
                            "unplugged"));
    vprime_qom_set_str(&d.t, "fault", "unplug:head=0,replug=1");
    head_on(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_HOTPLUG,
                    ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-injected-unplug"), ==, 0);
    /* a DP head unplugs as before */
    vprime_qom_set_bool(&d.t, "head1-connected", false);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_EDID_SIZE), ==, 0);
    disp_stop(&d);

    /* an eDP panel mode too large for the base block keeps its DisplayID */
    disp_start(&d, "output-types=edp,xres=3840,yres=2160,refresh_rate=60000");
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_EDID_SIZE), ==, 256);
    read_edid(&d, 0, edid, sizeof(edid));
    check_edid_block_sum(edid);
    g_assert_cmphex(edid[126], ==, 1);
    g_assert_cmphex(edid[128], ==, 0x70);
    check_edid_window(&d, 0);
    disp_stop(&d);

    g_free(err);
    err = output_types_refused("edp,dp", 1, true);
    g_assert_nonnull(strstr(err, "output-types=edp,dp is invalid: 2 types "
                            "for 1 heads"));
    g_free(err);
    err = output_types_refused("dp,vga", 2, true);
    g_assert_nonnull(strstr(err, "'vga' is not one of virtual, edp, dp, "
                            "hdmi"));
    g_free(err);
    err = output_types_refused("edp", 1, false);
    g_assert_nonnull(strstr(err, "head 0 is an eDP panel, always "
                            "connected"));
}

static void test_hotplug(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    uint64_t msi, composed;
    uint32_t w, h, edid0;
    Buf b;
    Disp d;

    disp_start(&d, "heads=2");
    msi = msix_setup(&d, VPRIME_HEAD_MSIX_VEC(1));
    wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(1));
    hwr(&d, 1, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_HOTPLUG);
    plane_with_buf(&d, 1, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 1, &mode_a);
    model_plane(frame, 64, &c, b.argb);
    check_screendump(&d, 1, frame, 64, 48);
    edid0 = hrd(&d, 1, VPRIME_HEAD_EDID);
    g_assert_cmphex(edid0, ==, 0xffffff00);
    hwr(&d, 1, VPRIME_HEAD_EVENTS, ~0u);

    /* unplug: no monitor, no EDID, an event and its interrupt */
    vprime_qom_set_bool(&d.t, "head1-connected", false);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_ACTIVE);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_EDID_SIZE), ==, 0);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EDID), ==, 0);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EVENTS), ==,
                    VPRIME_HEAD_EV_HOTPLUG);
    g_assert_cmphex(qtest_readl(d.t.qts, msi), ==,
                    0xd0 + VPRIME_HEAD_MSIX_VEC(1));
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    /* the head keeps scanning; its console shows a placeholder */
    step_to_vblank(&d, 1, &mode_a);
    g_free(screendump(&d, 1, &w, &h));
    g_assert_cmpuint(w, ==, 1024);
    g_assert_cmpuint(h, ==, 768);
    /* setting the same state again is no event */
    hwr(&d, 1, VPRIME_HEAD_EVENTS, ~0u);
    vprime_qom_set_bool(&d.t, "head1-connected", false);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_HOTPLUG,
                    ==, 0);

    /* replug: everything back, the next vblank composes again */
    composed = qom_u64(&d, "head1-frames-composed");
    qtest_writel(d.t.qts, msi, 0);
    vprime_qom_set_bool(&d.t, "head1-connected", true);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED | VPRIME_HEAD_STATUS_ACTIVE);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_EDID_SIZE), >=, 128);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EDID), ==, edid0);
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_HOTPLUG,
                    ==, VPRIME_HEAD_EV_HOTPLUG);
    g_assert_cmphex(qtest_readl(d.t.qts, msi), ==,
                    0xd0 + VPRIME_HEAD_MSIX_VEC(1));
    step_to_vblank(&d, 1, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "head1-frames-composed"), ==, composed + 1);
    check_screendump(&d, 1, frame, 64, 48);

    /* a head the engine does not have */
    g_free(vprime_qom_refused(&d.t, "head2-connected",
                              QOBJECT(qbool_from_bool(false))));
    buf_free(&b);
    disp_stop(&d);

    /* plugged out from the start */
    disp_start(&d, "heads=2,head1-connected=off");
    g_assert_cmphex(hrd(&d, 1, VPRIME_HEAD_STATUS), ==, 0);
    g_assert_cmpuint(hrd(&d, 1, VPRIME_HEAD_EDID_SIZE), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    disp_stop(&d);
}

/* ---- counters, panel self refresh -------------------------------------- */

static void test_counters(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4 + 64,
                   .fb_size = (64 * 4 + 64) * 48, .w = 64, .h = 48,
                   .contig = true };
    const uint64_t bytes = 64 * 4 * 48;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-flips"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, bytes);

    /* unchanged frames fetch and compose nothing */
    qtest_clock_step(d.t.qts, 10 * mode_period(&mode_a));
    g_assert_cmpuint(qom_u64(&d, "stat-vblanks"), ==, 10);
    g_assert_cmpuint(qom_u64(&d, "head0-vblanks"), ==, 10);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "head0-frames-composed"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, bytes);

    /* DAMAGE, a flip, CRC turned on: one compose each at the next vblank */
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 2);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 2 * bytes);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "stat-flips"), ==, 2);
    g_assert_cmpuint(qom_u64(&d, "head0-flips"), ==, 2);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 3);
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
    step_to_vblank(&d, 0, &mode_a);
    hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 4);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 4 * bytes);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_CRC_FRAME), ==,
                     hrd(&d, 0, VPRIME_HEAD_FRAME));
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-peer"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-other"), ==, 0);

    /* scanning the firmware ROM below 4 GiB is neither RAM nor a peer */
    set_plane(&d, 0, 0, &c, BIOS_ROM, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-other"), ==, bytes);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 4 * bytes);

    /* a device reset keeps the host's counters; stats-reset clears them */
    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 5);
    vprime_qom_set_bool(&d.t, "stats-reset", true);
    g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-vblanks"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-flips"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-underruns"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-other"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head0-vblanks"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head0-flips"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head0-frames-composed"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head0-bytes-read-sysram"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head0-bytes-read-other"), ==, 0);
    buf_free(&b);
    disp_stop(&d);
}

/* Each head counts its own reads; the heads' add up to the engine's */
static void test_head_counters(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    const uint64_t bytes = 64 * 4 * 48;
    Buf b[2];
    Disp d;

    disp_start(&d, "heads=2");
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b[0], false);
    plane_with_buf(&d, 1, VPRIME_PLANE_PRIMARY, &c, &b[1], false);
    head_on(&d, 0, &mode_a);
    head_on(&d, 1, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "head0-bytes-read-sysram"), ==, bytes);
    g_assert_cmpuint(qom_u64(&d, "head1-bytes-read-sysram"), ==, bytes);

    /* head 1's damage is head 1's fetch alone */
    hwr(&d, 1, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 1, &mode_a);
    g_assert_cmpuint(qom_u64(&d, "head1-frames-composed"), ==, 2);
    g_assert_cmpuint(qom_u64(&d, "head1-bytes-read-sysram"), ==, 2 * bytes);
    g_assert_cmpuint(qom_u64(&d, "head0-frames-composed"), ==, 1);
    g_assert_cmpuint(qom_u64(&d, "head0-bytes-read-sysram"), ==, bytes);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 3 * bytes);
    g_assert_cmpuint(qom_u64(&d, "head1-bytes-read-peer"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head1-bytes-read-other"), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "head2-bytes-read-sysram"), ==, 0);

    vprime_qom_set_bool(&d.t, "stats-reset", true);
    g_assert_cmpuint(qom_u64(&d, "head1-bytes-read-sysram"), ==, 0);
    buf_free(&b[0]);
    buf_free(&b[1]);
    disp_stop(&d);
}

/* Scanout of another device's BAR (dGPU VRAM) counts as peer memory */
static void test_peer_scanout(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    QPCIDevice *gpu;
    QPCIBar vram;
    uint64_t vram_addr;
    Buf b;
    Disp d;

    disp_start_with(&d, NULL, "-device vprime-dgpu,vram=16M,addr=05.0", 77);
    gpu = vprime_find(&d.t, PEER_SLOT);
    vram = qpci_iomap(gpu, VPRIME_BAR_VRAM, NULL);
    vram_addr = vram.addr;

    /* the picture lives in VRAM, written through the BAR */
    buf_alloc(&d, &b, c.fb_size, true);
    b.addr = vram_addr;
    buf_paint(&d, &b, &c, false);
    set_plane(&d, 0, 0, &c, vram_addr, 0);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-peer"), ==, c.fb_size);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 0);
    /* VRAM is memory: the console shows it as it is */
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, 0);
    check_screendump(&d, 0, frame, 64, 48);

    /*
     * The GPU stops decoding its BAR: the engine lets go of the VRAM at
     * once (the console keeps a copy of the picture), and its next fetch
     * finds nothing there: an underrun, a black frame.
     */
    qpci_config_writew(gpu, PCI_COMMAND,
                       qpci_config_readw(gpu, PCI_COMMAND) &
                       ~PCI_COMMAND_MEMORY);
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, c.fb_size);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_UNDERRUN,
                    ==, VPRIME_HEAD_EV_UNDERRUN);
    memset(frame, 0, 64 * 48 * 4);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);

    /* decoding again: the next fetch maps the VRAM anew */
    qpci_config_writew(gpu, PCI_COMMAND,
                       qpci_config_readw(gpu, PCI_COMMAND) |
                       PCI_COMMAND_MEMORY);
    hwr(&d, 0, VPRIME_HEAD_EVENTS, ~0u);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_UNDERRUN,
                    ==, 0);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, c.fb_size);
    buf_free(&b);
    qpci_iounmap(gpu, vram);
    g_free(gpu);
    disp_stop(&d);
}

/* ---- host side: zero copy ---------------------------------------------- */

/* Guest RAM in a shared memfd: the host can map any page list linearly */
static const char memfd_ram[] =
    "-object memory-backend-memfd,id=ram,size=512M,share=on "
    "-machine memory-backend=ram";

/* New random pixels in the plane's buffer, written by the "CPU" */
static void repaint(Disp *d, Buf *b, const PlaneCfg *c)
{
    g_free(b->argb);
    buf_paint(d, b, c, false);
}

/*
 * A full-screen linear primary plane in one run of memory is shown as it
 * is: the console's surface is guest memory, the host copies no pixel.
 * CRC and screendump are those of the composed frame; a DAMAGE shows new
 * pixels; a second plane makes the engine compose (and copy) again.
 */
static void test_zero_copy(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4 + 64,
                   .fb_size = (64 * 4 + 64) * 48, .w = 64, .h = 48,
                   .contig = true };
    PlaneCfg ovl = { .format = VPRIME_FMT_ARGB8888, .pitch = 16 * 4,
                     .fb_size = 16 * 4 * 8, .w = 16, .h = 8, .dx = 3,
                     .dy = 4, .contig = true };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    Buf b, bo;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==, 64 * 4 * 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, 0);

    /* the CPU draws and says so: the next frame shows it, still no copy */
    repaint(&d, &b, &c);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    step_to_vblank(&d, 0, &mode_a);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==, 0);

    /* an overlay: composed, each plane's pixels copied once */
    plane_with_buf(&d, 0, VPRIME_PLANE_OVERLAY, &ovl, &bo, true);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    check_no_errors(&d, 0);
    model_plane(frame, 64, &ovl, bo.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==,
                     (64 * 48 + 16 * 8) * 4);

    /* overlay off: the primary alone is shown as it is again */
    pwr(&d, 0, VPRIME_PLANE_OVERLAY, VPRIME_PL_CONTROL, 0);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
    step_to_vblank(&d, 0, &mode_a);
    memset(frame, 0, 64 * 48 * 4);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    check_screendump(&d, 0, frame, 64, 48);
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==,
                     (64 * 48 + 16 * 8) * 4);
    buf_free(&b);
    buf_free(&bo);
    disp_stop(&d);
}

/*
 * A buffer of scattered pages (a page list): with guest RAM in a shared
 * memfd the host maps its pages side by side (at the vblanks after it
 * first shows it, composed) and from then on shows it without a copy;
 * with anonymous RAM it cannot, and composes each frame (one copy).  The
 * picture is the same either way; flipping between two buffers maps each
 * once.
 */
static void test_zero_copy_pages(const void *opaque)
{
    bool memfd = GPOINTER_TO_INT(opaque);
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 200 * 4,
                   .fb_size = 200 * 4 * 100, .w = 200, .h = 100 };
    Mode m = { 200, 100, 220, 110, 1452 };
    g_autofree uint32_t *frame = g_new0(uint32_t, 200 * 100);
    const uint64_t bytes = 200 * 4 * 100;
    Buf b[2];
    Disp d;
    int i;

    disp_start_with(&d, NULL, memfd ? memfd_ram : NULL, 0x5eed);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b[0], false);
    buf_alloc(&d, &b[1], c.fb_size, false);
    buf_paint(&d, &b[1], &c, false);
    head_on(&d, 0, &m);
    check_no_errors(&d, 0);
    for (i = 0; i < 4; i++) {
        Buf *now = &b[i % 2];

        memset(frame, 0, 200 * 100 * 4);
        model_plane(frame, 200, &c, now->argb);
        g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                        vprime_frame_crc(frame, 200, 100));
        check_screendump(&d, 0, frame, 200, 100);
        g_assert_cmpuint(qom_u64(&d, "stat-bytes-copied"), ==,
                         (memfd ? MIN(i + 1, 2) : i + 1) * bytes);
        /* flip to the other buffer */
        set_plane(&d, 0, 0, &c, b[(i + 1) % 2].addr, 0);
        hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
        step_to_vblank(&d, 0, &m);
        check_no_errors(&d, 0);
    }
    g_assert_cmpuint(qom_u64(&d, "stat-bytes-read-sysram"), ==,
                     5 * bytes + 5 * b[0].npages * 8);
    buf_free(&b[0]);
    buf_free(&b[1]);
    disp_stop(&d);
}

/* ---- reset, consoles ---------------------------------------------------- */

static void test_reset_mid_scanout(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_RGB565, .pitch = 64 * 2,
                   .fb_size = 64 * 2 * 48, .w = 64, .h = 48 };
    g_autofree uint32_t *frame = g_new0(uint32_t, 64 * 48);
    g_autofree char *pages = NULL;
    uint64_t vblanks;
    Buf b;
    Disp d;

    disp_start(&d, NULL);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
    head_on(&d, 0, &mode_a);
    qtest_clock_step(d.t.qts, 3 * mode_period(&mode_a) + 1000);
    hwr(&d, 0, VPRIME_HEAD_DAMAGE, 1);
    hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);      /* pending when the reset hits */

    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    g_assert_cmpuint(vblank_ts(&d, 0), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CONTROL), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENT_ENABLE), ==, 0);
    g_assert_cmphex(prd(&d, 0, 0, VPRIME_PL_CONTROL), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==, 0);
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, "");
    vblanks = qom_u64(&d, "stat-vblanks");
    qtest_clock_step(d.t.qts, 10 * mode_period(&mode_a));
    g_assert_cmpuint(qom_u64(&d, "stat-vblanks"), ==, vblanks);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);

    /* and it works again once reprogrammed */
    set_plane(&d, 0, 0, &c, b.addr, 0);
    head_on(&d, 0, &mode_a);
    model_plane(frame, 64, &c, b.argb);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CRC), ==,
                    vprime_frame_crc(frame, 64, 48));
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 1);

    /* a system reset too */
    qtest_system_reset(d.t.qts);
    vprime_map_mmio(&d.t);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==,
                    VPRIME_HEAD_STATUS_CONNECTED);
    qtest_clock_step(d.t.qts, 10 * mode_period(&mode_a));
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    buf_free(&b);
    disp_stop(&d);
}

/* ---- PCI power management ------------------------------------------ */

static uint16_t pmcsr(Disp *d, uint8_t pm)
{
    return qpci_config_readw(d->t.dev, pm + PCI_PM_CTRL);
}

static void set_pmcsr(Disp *d, uint8_t pm, uint16_t val)
{
    qpci_config_writew(d->t.dev, pm + PCI_PM_CTRL, val);
}

/*
 * The PM capability: D0 and D3hot, no PME, No_Soft_Reset clear.  In
 * D3hot the BARs are not decoded and the engine is stopped; back in D0
 * it has been reset, PM_D3_COUNT (sticky) counting the D3hot entries.
 */
static void test_pm(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48 };
    uint64_t msi, irqs, vblanks, errors, nothing;
    g_autofree char *pages = NULL;
    uint16_t pmc;
    uint8_t pm;
    Buf b;
    Disp d;

    disp_start(&d, "heads=2");
    g_assert_cmphex(rd(&d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_PM, ==,
                    VPRIME_DISP_CAP_PM);
    pm = qpci_find_capability(d.t.dev, PCI_CAP_ID_PM, 0);
    g_assert_cmpuint(pm, !=, 0);
    pmc = qpci_config_readw(d.t.dev, pm + PCI_PM_PMC);
    g_assert_cmphex(pmc & PCI_PM_CAP_VER_MASK, ==, PCI_PM_CAP_VER_1_2);
    g_assert_cmphex(pmc & (PCI_PM_CAP_D1 | PCI_PM_CAP_D2 |
                           PCI_PM_CAP_PME_MASK), ==, 0);
    g_assert_cmphex(pmcsr(&d, pm), ==, 0);      /* D0, No_Soft_Reset 0 */
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 0);
    g_assert_cmpuint(qom_u64(&d, "pm-d3-count"), ==, 0);

    /* a head on, interrupting at each vblank */
    msi = msix_setup(&d, VPRIME_HEAD_MSIX_VEC(0));
    wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(0));
    wr(&d, VPRIME_REG_SCRATCH, 0x5a5a);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
    head_on(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmphex(qtest_readl(d.t.qts, msi), !=, 0);

    /* D0 -> D3hot: the engine stops */
    set_pmcsr(&d, pm, PCI_PM_CTRL_STATE_MASK);
    g_assert_cmphex(pmcsr(&d, pm), ==, PCI_PM_CTRL_STATE_MASK);
    g_assert_cmpuint(qom_u64(&d, "pm-d3-count"), ==, 1);
    pages = qom_str(&d, "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, "");
    qtest_writel(d.t.qts, msi, 0);
    irqs = qom_u64(&d, "stat-irqs");
    vblanks = qom_u64(&d, "stat-vblanks");
    qtest_clock_step(d.t.qts, 10 * mode_period(&mode_a));
    g_assert_cmpuint(qom_u64(&d, "stat-vblanks"), ==, vblanks);
    /* a monitor unplugged meanwhile: no interrupt (the engine has no PME) */
    vprime_qom_set_bool(&d.t, "head0-connected", false);
    vprime_qom_set_u64(&d.t, "inject-error", 1);
    g_assert_cmpuint(qom_u64(&d, "stat-irqs"), ==, irqs);
    g_assert_cmphex(qtest_readl(d.t.qts, msi), ==, 0);

    /*
     * BAR 0 is not decoded: reads give what the bus gives for an address
     * nothing decodes, writes reach nothing (no bad access counted)
     */
    nothing = qtest_readl(d.t.qts, UNASSIGNED);
    g_assert_cmphex(nothing, ==, 0);        /* q35: see the spec */
    errors = qom_u64(&d, "stat-guest-errors");
    g_assert_cmphex(rd(&d, VPRIME_REG_ID), ==, nothing);
    g_assert_cmphex(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, nothing);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==, nothing);
    wr(&d, 0xffc, 1);                       /* an unknown register */
    wr(&d, VPRIME_REG_SCRATCH, 0x1234);
    g_assert_cmpuint(qom_u64(&d, "stat-guest-errors"), ==, errors);

    /* D1 and D2 are not offered, nor D3hot -> anything but D0 */
    set_pmcsr(&d, pm, 1);
    g_assert_cmphex(pmcsr(&d, pm), ==, PCI_PM_CTRL_STATE_MASK);
    set_pmcsr(&d, pm, 2);
    g_assert_cmphex(pmcsr(&d, pm), ==, PCI_PM_CTRL_STATE_MASK);

    /* D3hot -> D0 resets the engine; PM_D3_COUNT stays */
    set_pmcsr(&d, pm, 0);
    g_assert_cmphex(pmcsr(&d, pm), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmphex(rd(&d, VPRIME_REG_SCRATCH), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_ENABLE), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_CONTROL), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENT_ENABLE), ==, 0);
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_EVENTS), ==, 0);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 0);
    g_assert_cmphex(prd(&d, 0, 0, VPRIME_PL_CONTROL), ==, 0);
    /* the connector is as the host left it */
    g_assert_cmphex(hrd(&d, 0, VPRIME_HEAD_STATUS), ==, 0);
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 1);
    wr(&d, VPRIME_DISP_PM_D3_COUNT, 0);
    g_assert_cmphex(rd(&d, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 1);
    wr(&d, VPRIME_REG_ERROR, VPRIME_ERR_BAD_ACCESS);
    /* the RESET register keeps it too */
    wr(&d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 1);

    /* reprogrammed, it works again, interrupts included */
    vprime_qom_set_bool(&d.t, "head0-connected", true);
    wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(0));
    set_plane(&d, 0, 0, &c, b.addr, 0);
    hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
    head_on(&d, 0, &mode_a);
    step_to_vblank(&d, 0, &mode_a);
    g_assert_cmpuint(hrd(&d, 0, VPRIME_HEAD_FRAME), ==, 1);
    g_assert_cmphex(qtest_readl(d.t.qts, msi), !=, 0);
    check_no_errors(&d, 0);

    /* a second round trip counts; a system reset clears the count */
    set_pmcsr(&d, pm, PCI_PM_CTRL_STATE_MASK);
    set_pmcsr(&d, pm, 0);
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 2);
    set_pmcsr(&d, pm, PCI_PM_CTRL_STATE_MASK);
    qtest_system_reset(d.t.qts);
    g_assert_cmphex(pmcsr(&d, pm), ==, 0);
    vprime_map_mmio(&d.t);
    g_assert_cmphex(rd(&d, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmpuint(rd(&d, VPRIME_DISP_PM_D3_COUNT), ==, 0);
    buf_free(&b);
    disp_stop(&d);
}

/* Four heads, four consoles, each showing its own frame */
static void test_four_heads(void)
{
    g_autofree uint32_t *frame = g_new(uint32_t, 64 * 48);
    Buf b[VPRIME_HEADS_MAX];
    Disp d;
    int h;

    disp_start(&d, "heads=4");
    for (h = 0; h < VPRIME_HEADS_MAX; h++) {
        PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                       .fb_size = 64 * 4 * 48, .w = 64 - h, .h = 48 - h,
                       .dx = h, .dy = h, .contig = h & 1 };

        plane_with_buf(&d, h, VPRIME_PLANE_PRIMARY, &c, &b[h], false);
        head_on(&d, h, &mode_a);
        memset(frame, 0, 64 * 48 * 4);
        model_plane(frame, 64, &c, b[h].argb);
        g_assert_cmphex(hrd(&d, h, VPRIME_HEAD_CRC), ==,
                        vprime_frame_crc(frame, 64, 48));
        check_screendump(&d, h, frame, 64, 48);
    }
    for (h = 0; h < VPRIME_HEADS_MAX; h++) {
        g_assert_cmphex(hrd(&d, h, VPRIME_HEAD_ERROR), ==, 0);
        buf_free(&b[h]);
    }
    qobject_unref(qtest_qmp_assert_failure_ref(d.t.qts,
        "{'execute': 'screendump', 'arguments': "
        "{'filename': '/dev/null', 'device': 'dut', 'head': 4}}"));
    disp_stop(&d);
}

/* A head that is off shows a placeholder, not stale pixels */
static void test_console_off(void)
{
    PlaneCfg c = { .format = VPRIME_FMT_XRGB8888, .pitch = 64 * 4,
                   .fb_size = 64 * 4 * 48, .w = 64, .h = 48,
                   .contig = true };
    g_autofree uint32_t *px = NULL;
    uint32_t w, h;
    Buf b;
    Disp d;

    disp_start(&d, "xres=640,yres=480");
    px = screendump(&d, 0, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    g_clear_pointer(&px, g_free);
    plane_with_buf(&d, 0, VPRIME_PLANE_PRIMARY, &c, &b, false);
    head_on(&d, 0, &mode_a);
    px = screendump(&d, 0, &w, &h);
    g_assert_cmpuint(w, ==, 64);
    g_clear_pointer(&px, g_free);
    head_off(&d, 0);
    px = screendump(&d, 0, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    buf_free(&b);
    disp_stop(&d);
}

/* ---- benchmarks (only with -m perf) ----------------------------------- */

/* A stat-* counter, or -1 if this engine has no such counter */
static int64_t qom_u64_or_none(Disp *d, const char *prop)
{
    QDict *r = qtest_qmp(d->t.qts, "{'execute': 'qom-get', 'arguments': "
                         "{'path': %s, 'property': %s}}", VPRIME_DUT_PATH,
                         prop);
    int64_t v = qdict_haskey(r, "return") ? qdict_get_int(r, "return") : -1;

    qobject_unref(r);
    return v;
}

/*
 * Host time of the display engine, without a guest: per changed frame (a
 * flip between two buffers at every vblank, CRC off) and per unchanged
 * vblank (its timer and its VBLANK interrupt, 600 vblanks in one clock
 * step), and the bytes of guest memory the host copied per changed frame,
 * for each kind of source at 1920x1080 and 3840x2160.  An engine that
 * counts the host time it spends (stat-host-ns) gives it for both (the
 * *_engine figures, which the qtest protocol's round trips do not blur);
 * the vblanks are also timed from here, 600 in one clock step, so that
 * engines without the counter compare.
 */
static void bench_scanout(void)
{
    static const struct {
        const char *name;
        uint32_t format, layout;
        bool contig, memfd;
    } cases[] = {
        { "xrgb_linear_contig", VPRIME_FMT_XRGB8888, VPRIME_LAYOUT_LINEAR,
          true, false },
        { "xrgb_linear_pages", VPRIME_FMT_XRGB8888, VPRIME_LAYOUT_LINEAR,
          false, false },
        { "xrgb_linear_pages_memfd", VPRIME_FMT_XRGB8888,
          VPRIME_LAYOUT_LINEAR, false, true },
        { "xbgr_linear_pages", VPRIME_FMT_XBGR8888, VPRIME_LAYOUT_LINEAR,
          false, false },
        { "xrgb_xtiled_pages", VPRIME_FMT_XRGB8888, VPRIME_LAYOUT_X_TILED,
          false, false },
        { "xrgb_nvblock_pages", VPRIME_FMT_XRGB8888, VPRIME_LAYOUT_NV_BLOCK,
          false, false },
    };
    static const Mode modes[] = {
        { 1920, 1080, 2200, 1125, 148500 },
        { 3840, 2160, 4400, 2250, 594000 },
    };
    const char *ram[] = { NULL, memfd_ram };
    const int frames = 60, vblanks = 600;
    size_t i, j;

    for (j = 0; j < ARRAY_SIZE(modes); j++) {
        const Mode *m = &modes[j];

        for (i = 0; i < ARRAY_SIZE(cases); i++) {
            PlaneCfg c = { .format = cases[i].format,
                           .layout = cases[i].layout,
                           .pitch = m->hd * 4, .w = m->hd, .h = m->vd,
                           .contig = cases[i].contig };
            int64_t copied, ns;
            uint64_t addr[2];
            gint64 t0;
            Buf b[2];
            Disp d;
            int k;

            c.fb_size = c.pitch * ROUND_UP(m->vd, 64);
            disp_start_with(&d, NULL, ram[cases[i].memfd], 0x5eed);
            for (k = 0; k < 2; k++) {
                buf_alloc(&d, &b[k], c.fb_size, c.contig);
                qtest_memset(d.t.qts, c.contig ? b[k].addr : b[k].pages[0],
                             0x5a + k, c.contig ? c.fb_size : PAGE);
                addr[k] = b[k].addr;
            }
            set_plane(&d, 0, 0, &c, addr[0], 0);
            head_on(&d, 0, m);
            hwr(&d, 0, VPRIME_HEAD_CRC_CONTROL, 0);
            check_no_errors(&d, 0);
            msix_setup(&d, VPRIME_HEAD_MSIX_VEC(0));
            wr(&d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_HEAD(0));
            hwr(&d, 0, VPRIME_HEAD_EVENT_ENABLE, VPRIME_HEAD_EV_VBLANK);
            /* both buffers mapped once: a flip to a buffer new to it */
            ns = qom_u64_or_none(&d, "stat-host-ns");
            for (k = 0; k < 2; k++) {
                set_plane(&d, 0, 0, &c, addr[(k + 1) % 2], 0);
                hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
                qtest_clock_step(d.t.qts, mode_period(m));
            }
            if (ns >= 0) {
                g_test_message("bench scanout_%ux%u_%s_new_buffer_engine "
                               "%.1f us", m->hd, m->vd, cases[i].name,
                               (qom_u64_or_none(&d, "stat-host-ns") - ns) /
                               1e3 / 2);
            }
            /* time for views of scattered pages to be made */
            qtest_clock_step(d.t.qts, 100 * mode_period(m));
            copied = qom_u64_or_none(&d, "stat-bytes-copied");
            ns = qom_u64_or_none(&d, "stat-host-ns");

            for (k = 0; k < frames; k++) {
                set_plane(&d, 0, 0, &c, addr[k % 2], 0);
                hwr(&d, 0, VPRIME_HEAD_UPDATE, 1);
                qtest_clock_step(d.t.qts, mode_period(m));
            }
            check_no_errors(&d, 0);
            if (ns >= 0) {
                int64_t now = qom_u64_or_none(&d, "stat-host-ns");

                g_test_message("bench scanout_%ux%u_%s_changed_frame_engine "
                               "%.2f us", m->hd, m->vd, cases[i].name,
                               (now - ns) / 1e3 / frames);
                ns = now;
            }
            if (copied >= 0) {
                g_test_message("bench scanout_%ux%u_%s_bytes_copied_per_frame "
                               "%" PRId64 " bytes", m->hd, m->vd,
                               cases[i].name,
                               (qom_u64_or_none(&d, "stat-bytes-copied") -
                                copied) / frames);
            }

            /* one qtest round trip for all: timed from here too */
            t0 = g_get_monotonic_time();
            qtest_clock_step(d.t.qts, vblanks * mode_period(m));
            g_test_message("bench scanout_%ux%u_%s_unchanged_vblank %.2f us",
                           m->hd, m->vd, cases[i].name,
                           (g_get_monotonic_time() - t0) / (double)vblanks);
            if (ns >= 0) {
                g_test_message("bench scanout_%ux%u_%s_unchanged_vblank_engine "
                               "%.2f us", m->hd, m->vd, cases[i].name,
                               (qom_u64_or_none(&d, "stat-host-ns") - ns) /
                               1e3 / vblanks);
            }
            g_assert_cmpuint(qom_u64(&d, "stat-frames-composed"), ==,
                             1 + 2 + frames);
            buf_free(&b[0]);
            buf_free(&b[1]);
            disp_stop(&d);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/vprime-display/identity", test_identity);
    qtest_add_func("/vprime-display/bad-properties", test_bad_properties);
    qtest_add_func("/vprime-display/clock", test_clock);
    qtest_add_func("/vprime-display/latch", test_latch);
    qtest_add_func("/vprime-display/latch-late", test_latch_late);
    qtest_add_func("/vprime-display/update-lock", test_update_lock);
    qtest_add_func("/vprime-display/update-lock-all", test_update_lock_all);
    qtest_add_func("/vprime-display/crossbar", test_crossbar);
    qtest_add_func("/vprime-display/genlock", test_genlock);
    qtest_add_func("/vprime-display/async-flip", test_async_flip);
    qtest_add_func("/vprime-display/vrr", test_vrr);
    qtest_add_func("/vprime-display/output-bpc", test_output_bpc);
    qtest_add_func("/vprime-display/vblank-rate", test_vblank_rate);
    qtest_add_func("/vprime-display/vblank-stopped", test_vblank_stopped);
    qtest_add_func("/vprime-display/irq", test_irq);
    qtest_add_data_func("/vprime-display/crc/linear",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_LINEAR), test_formats);
    qtest_add_data_func("/vprime-display/crc/x-tiled",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_X_TILED), test_formats);
    qtest_add_data_func("/vprime-display/crc/nv-block",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_NV_BLOCK),
                        test_formats);
    qtest_add_func("/vprime-display/blend", test_blend);
    qtest_add_func("/vprime-display/zpos", test_zpos);
    qtest_add_func("/vprime-display/overlay2", test_overlay2);
    qtest_add_func("/vprime-display/yuv", test_yuv);
    qtest_add_func("/vprime-display/scale/nearest", test_scale_nearest);
    qtest_add_func("/vprime-display/scale/bilinear", test_scale_bilinear);
    qtest_add_func("/vprime-display/scale/limits", test_scale_limits);
    qtest_add_func("/vprime-display/rotate", test_rotate);
    qtest_add_func("/vprime-display/blend-modes", test_blend_modes);
    qtest_add_func("/vprime-display/colour", test_colour);
    qtest_add_func("/vprime-display/writeback", test_writeback);
    qtest_add_data_func("/vprime-display/page-list/linear",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_LINEAR),
                        test_page_list);
    qtest_add_data_func("/vprime-display/page-list/x-tiled",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_X_TILED),
                        test_page_list);
    qtest_add_data_func("/vprime-display/page-list/nv-block",
                        GUINT_TO_POINTER(VPRIME_LAYOUT_NV_BLOCK),
                        test_page_list);
    qtest_add_func("/vprime-display/contiguous-only", test_contiguous_only);
    qtest_add_func("/vprime-display/dma-bits", test_dma_bits);
    qtest_add_func("/vprime-display/hostile/mode", test_bad_mode);
    qtest_add_func("/vprime-display/hostile/planes", test_bad_planes);
    qtest_add_func("/vprime-display/hostile/per-plane",
                   test_refusal_is_per_plane);
    qtest_add_func("/vprime-display/hostile/registers", test_bad_registers);
    qtest_add_func("/vprime-display/underrun", test_underrun);
    qtest_add_func("/vprime-display/edid", test_edid);
    qtest_add_func("/vprime-display/hotplug", test_hotplug);
    qtest_add_func("/vprime-display/output-types", test_output_types);
    qtest_add_func("/vprime-display/inject/underrun", test_inject_underrun);
    qtest_add_func("/vprime-display/inject/unplug", test_inject_unplug);
    qtest_add_func("/vprime-display/counters", test_counters);
    qtest_add_func("/vprime-display/head-counters", test_head_counters);
    qtest_add_func("/vprime-display/peer-scanout", test_peer_scanout);
    qtest_add_func("/vprime-display/zero-copy/contiguous", test_zero_copy);
    qtest_add_data_func("/vprime-display/zero-copy/pages-memfd",
                        GINT_TO_POINTER(true), test_zero_copy_pages);
    qtest_add_data_func("/vprime-display/zero-copy/pages-anonymous",
                        GINT_TO_POINTER(false), test_zero_copy_pages);
    qtest_add_func("/vprime-display/reset-mid-scanout",
                   test_reset_mid_scanout);
    qtest_add_func("/vprime-display/pm", test_pm);
    qtest_add_func("/vprime-display/four-heads", test_four_heads);
    qtest_add_func("/vprime-display/console-off", test_console_off);

    if (g_test_perf()) {
        qtest_add_func("/vprime-display/bench/scanout", bench_scanout);
    }

    return g_test_run();
}
