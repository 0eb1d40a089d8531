/*
 * QTest testcases for the vprime GPU engines: page tables and faults,
 * every command's resulting bytes, fences and MSI-X, modelled time, VRAM,
 * reset in the middle of a job, and hostile rings and commands.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/cutils.h"
#include "vprime-qtest.h"
#include "hw/i386/intel_iommu.h"
#include "hw/i386/intel_iommu_internal.h"
#include "hw/vprime/vprime_layout.h"
#include "hw/vprime/vprime_pattern.h"

#define GPU_VA      0x40000000ULL   /* where buffers are mapped */
#define RING_ENTRIES 64
#define VRAM_SIZE   (64 * MiB)

typedef struct Gpu {
    VPrimeQTest t;
    bool dgpu;
    uint64_t root;              /* context 0 root table */
    uint64_t ring[VPRIME_GPU_ENGINES];
    uint32_t tail[VPRIME_GPU_ENGINES];
    uint64_t fence_mem[VPRIME_GPU_ENGINES];
    uint64_t msi[VPRIME_GPU_ENGINES];   /* msix_engines(): where they land */
    uint64_t seqno;
} Gpu;

static uint32_t rd(Gpu *g, uint32_t reg)
{
    return vprime_rd(&g->t, reg);
}

static void wr(Gpu *g, uint32_t reg, uint32_t val)
{
    vprime_wr(&g->t, reg, val);
}

static uint32_t erd(Gpu *g, int e, uint32_t reg)
{
    return rd(g, VPRIME_ENGINE_BASE(e) + reg);
}

static void ewr(Gpu *g, int e, uint32_t reg, uint32_t val)
{
    wr(g, VPRIME_ENGINE_BASE(e) + reg, val);
}

static uint64_t alloc_pages(Gpu *g, uint64_t bytes)
{
    return vprime_alloc(&g->t, ROUND_UP(bytes, VPRIME_GPU_PAGE_SIZE));
}

/* Map one 4 KiB page of ctx's space (root table at 'root') */
static void map_page(Gpu *g, uint64_t root, uint64_t va, uint64_t pte)
{
    uint64_t table = root;
    int level;

    for (level = VPRIME_GPU_PT_LEVELS - 1; level > 0; level--) {
        uint64_t slot = table + VPRIME_GPU_PT_INDEX(va, level) * 8;
        uint64_t e = qtest_readq(g->t.qts, slot);

        if (!(e & VPRIME_PTE_VALID)) {
            e = alloc_pages(g, VPRIME_GPU_PAGE_SIZE) | VPRIME_PTE_VALID;
            qtest_writeq(g->t.qts, slot, e);
        }
        table = e & VPRIME_PTE_ADDR_MASK;
    }
    qtest_writeq(g->t.qts, table + VPRIME_GPU_PT_INDEX(va, 0) * 8, pte);
}

/*
 * A buffer in system RAM mapped at va, with its pages in reverse order so
 * that the GPU really translates (a linear guess would be wrong).
 */
static void map_sys(Gpu *g, uint64_t root, uint64_t va, uint64_t bytes,
                    uint64_t *pages, uint64_t flags)
{
    uint64_t n = ROUND_UP(bytes, VPRIME_GPU_PAGE_SIZE) / VPRIME_GPU_PAGE_SIZE;
    uint64_t i;

    for (i = 0; i < n; i++) {
        pages[n - 1 - i] = alloc_pages(g, VPRIME_GPU_PAGE_SIZE);
    }
    for (i = 0; i < n; i++) {
        map_page(g, root, va + i * VPRIME_GPU_PAGE_SIZE,
                 pages[i] | VPRIME_PTE_VALID | flags);
    }
}

/* Read back a mapped buffer through the page list */
static void read_sys(Gpu *g, const uint64_t *pages, uint64_t off, void *buf,
                     uint64_t len)
{
    uint8_t *p = buf;

    while (len) {
        uint64_t in = VPRIME_GPU_PAGE_SIZE - off % VPRIME_GPU_PAGE_SIZE;
        uint64_t n = MIN(in, len);

        qtest_memread(g->t.qts, pages[off / VPRIME_GPU_PAGE_SIZE] +
                      off % VPRIME_GPU_PAGE_SIZE, p, n);
        p += n;
        off += n;
        len -= n;
    }
}

static void write_sys(Gpu *g, const uint64_t *pages, uint64_t off,
                      const void *buf, uint64_t len)
{
    const uint8_t *p = buf;

    while (len) {
        uint64_t in = VPRIME_GPU_PAGE_SIZE - off % VPRIME_GPU_PAGE_SIZE;
        uint64_t n = MIN(in, len);

        qtest_memwrite(g->t.qts, pages[off / VPRIME_GPU_PAGE_SIZE] +
                       off % VPRIME_GPU_PAGE_SIZE, p, n);
        p += n;
        off += n;
        len -= n;
    }
}

static void ctx_setup(Gpu *g, uint32_t ctx, uint64_t root)
{
    wr(g, VPRIME_REG_CTX_SELECT, ctx);
    wr(g, VPRIME_REG_CTX_PT_LO, (uint32_t)root);
    wr(g, VPRIME_REG_CTX_PT_HI, root >> 32);
    wr(g, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
}

/* The GPU behind the devices of 'before' (a vIOMMU), rings set up */
static void gpu_start_behind(Gpu *g, const char *before, bool dgpu,
                             const char *props)
{
    int e;

    memset(g, 0, sizeof(*g));
    g->dgpu = dgpu;
    vprime_start_behind(&g->t, before,
                        dgpu ? "vprime-dgpu,vram=64M" : "vprime-igpu", props,
                        NULL);

    g->root = alloc_pages(g, VPRIME_GPU_PAGE_SIZE);
    ctx_setup(g, 0, g->root);
    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        g->ring[e] = alloc_pages(g, RING_ENTRIES * VPRIME_CMD_SIZE);
        g->fence_mem[e] = alloc_pages(g, VPRIME_GPU_PAGE_SIZE);
        ewr(g, e, VPRIME_ENG_RING_BASE_LO, (uint32_t)g->ring[e]);
        ewr(g, e, VPRIME_ENG_RING_BASE_HI, g->ring[e] >> 32);
        ewr(g, e, VPRIME_ENG_RING_SIZE, RING_ENTRIES);
        ewr(g, e, VPRIME_ENG_FENCE_ADDR_LO, (uint32_t)g->fence_mem[e]);
        ewr(g, e, VPRIME_ENG_FENCE_ADDR_HI, g->fence_mem[e] >> 32);
        ewr(g, e, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_ENABLE);
    }
}

static void gpu_start(Gpu *g, bool dgpu, const char *props)
{
    gpu_start_behind(g, NULL, dgpu, props);
}

static void gpu_stop(Gpu *g)
{
    vprime_stop(&g->t);
}

/* Queue commands on an engine's ring without ringing the doorbell */
static void queue(Gpu *g, int e, const struct vprime_cmd *cmd)
{
    qtest_memwrite(g->t.qts, g->ring[e] + g->tail[e] * VPRIME_CMD_SIZE, cmd,
                   sizeof(*cmd));
    g->tail[e] = (g->tail[e] + 1) % RING_ENTRIES;
}

static void doorbell(Gpu *g, int e)
{
    ewr(g, e, VPRIME_ENG_RING_TAIL, g->tail[e]);
}

static uint64_t queue_fence(Gpu *g, int e, bool irq)
{
    struct vprime_cmd f = {
        .opcode = VPRIME_OP_FENCE,
        .flags = irq ? VPRIME_CMDF_IRQ : 0,
        .fence.value = ++g->seqno,
    };

    queue(g, e, &f);
    return g->seqno;
}

/* Let virtual time run until the engine is idle (bounded) */
static void run_idle(Gpu *g, int e)
{
    int i;

    for (i = 0; i < 10000; i++) {
        if (!(erd(g, e, VPRIME_ENG_STATUS) & VPRIME_ENG_STATUS_BUSY)) {
            return;
        }
        qtest_clock_step(g->t.qts, 100 * 1000);
    }
    g_assert_not_reached();
}

/* Submit cmd + fence, wait for the fence, check it landed in memory */
static void submit(Gpu *g, int e, const struct vprime_cmd *cmd)
{
    uint64_t seq;

    queue(g, e, cmd);
    seq = queue_fence(g, e, false);
    doorbell(g, e);
    run_idle(g, e);
    g_assert_cmphex(erd(g, e, VPRIME_ENG_STATUS), ==, 0);
    g_assert_cmpuint(qtest_readq(g->t.qts, g->fence_mem[e]), ==, seq);
}

static struct vprime_cmd fill_cmd(uint64_t va, uint32_t pitch, uint32_t w,
                                  uint32_t h, uint32_t fmt, uint32_t color)
{
    return (struct vprime_cmd) {
        .opcode = VPRIME_OP_FILL,
        .rect = { .dst = va, .pitch = pitch, .width = w, .height = h,
                  .format = fmt, .color = color },
    };
}

static uint64_t qom_u64(Gpu *g, const char *prop)
{
    return vprime_qom_u64(&g->t, prop);
}

/* ---- commands ---------------------------------------------------------- */

static void test_fill_formats(const void *opaque)
{
    static const struct {
        uint32_t fmt, bpp;
        uint32_t color;
        uint8_t want[4];
    } cases[] = {
        { VPRIME_FMT_XRGB8888, 4, 0xff123456, { 0x56, 0x34, 0x12, 0x00 } },
        { VPRIME_FMT_ARGB8888, 4, 0x80123456, { 0x56, 0x34, 0x12, 0x80 } },
        { VPRIME_FMT_XBGR8888, 4, 0xff123456, { 0x12, 0x34, 0x56, 0x00 } },
        /* 0x12,0x34,0x56 -> r=2 g=13 b=10 -> 0x11aa */
        { VPRIME_FMT_RGB565, 2, 0xff123456, { 0xaa, 0x11 } },
    };
    Gpu g;
    size_t i;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t va = GPU_VA + i * MiB, pages[4];
        uint32_t w = 13, h = 7, pitch = 256, x, y;
        struct vprime_cmd c = fill_cmd(va + pitch, pitch, w, h, cases[i].fmt,
                                       cases[i].color);
        uint8_t buf[4 * 4096];

        map_sys(&g, g.root, va, sizeof(buf), pages, VPRIME_PTE_WRITABLE);
        submit(&g, VPRIME_ENGINE_RENDER, &c);
        read_sys(&g, pages, 0, buf, sizeof(buf));
        for (y = 0; y < 16; y++) {
            for (x = 0; x < pitch / cases[i].bpp; x++) {
                const uint8_t *px = buf + (y * pitch) + x * cases[i].bpp;
                bool inside = y >= 1 && y < 1 + h && x < w;

                if (inside) {
                    g_assert_cmpmem(px, cases[i].bpp, cases[i].want,
                                    cases[i].bpp);
                } else {
                    /* nothing outside the rectangle is touched */
                    g_assert_cmpuint(px[0] | px[1], ==, 0);
                }
            }
        }
    }
    gpu_stop(&g);
}

static void test_copy(const void *opaque)
{
    const uint64_t size = 3 * VPRIME_GPU_PAGE_SIZE + 100;
    uint64_t src_pages[4], dst_pages[4];
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *out = g_malloc(size + 8);
    struct vprime_cmd c = {
        .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA + 5, .dst = GPU_VA + 16 * MiB + 3,
                  .size = size - 8 },
    };
    Gpu g;
    size_t i;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, size, src_pages, 0);
    map_sys(&g, g.root, GPU_VA + 16 * MiB, size, dst_pages,
            VPRIME_PTE_WRITABLE);
    for (i = 0; i < size; i++) {
        data[i] = i * 7 + 3;
    }
    write_sys(&g, src_pages, 0, data, size);
    submit(&g, VPRIME_ENGINE_COPY, &c);
    read_sys(&g, dst_pages, 0, out, size);
    g_assert_cmpmem(out + 3, size - 8, data + 5, size - 8);
    g_assert_cmpuint(out[0] | out[1] | out[2], ==, 0);
    g_assert_cmpuint(out[size - 5], ==, 0);
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-read-sysram"), >=, size - 8);
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-sysram"), >=, size - 8);
    g_assert_cmpuint(qom_u64(&g, "stat-cmds-copy"), ==, 2);
    gpu_stop(&g);
}

static void test_pattern(const void *opaque)
{
    const uint32_t w = 40, h = 20, pitch = w * 4, frame = 17, tag = 2;
    uint64_t pages[2];
    uint32_t buf[40 * 20], x, y;
    struct vprime_cmd c = {
        .opcode = VPRIME_OP_PATTERN,
        .rect = { .dst = GPU_VA, .pitch = pitch, .width = w, .height = h,
                  .format = VPRIME_FMT_XRGB8888, .frame = frame, .tag = tag },
    };
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, sizeof(buf), pages, VPRIME_PTE_WRITABLE);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    read_sys(&g, pages, 0, buf, sizeof(buf));
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            g_assert_cmphex(le32_to_cpu(buf[y * w + x]), ==,
                            vprime_pattern_pixel(frame, tag, x, y));
        }
    }
    /*
     * The text is there, clipped by the rectangle: "FRAME 17 ..." from
     * (8, 8); the F's third row is 0xfe, its first one empty
     */
    g_assert_cmphex(le32_to_cpu(buf[0]), ==,
                    VPRIME_PATTERN_XRGB(frame, tag, 0, 0));
    g_assert_cmphex(le32_to_cpu(buf[8 * w + 8]), ==, VPRIME_PATTERN_PAPER);
    g_assert_cmphex(le32_to_cpu(buf[10 * w + 8]), ==, VPRIME_PATTERN_INK);
    g_assert_cmphex(le32_to_cpu(buf[10 * w + 15]), ==, VPRIME_PATTERN_PAPER);
    g_assert_cmphex(le32_to_cpu(buf[19 * w + 39]), ==,
                    vprime_font_row('M', 11) & 1 ? VPRIME_PATTERN_INK
                                                 : VPRIME_PATTERN_PAPER);
    gpu_stop(&g);
}

static void expect_halt(Gpu *g, const struct vprime_cmd *bad, uint32_t err);

/*
 * The layouts' address functions as drm_fourcc.h and the Tegra X1 TRM
 * define them, written as address bits (not from vprime_layout.h, which
 * the model uses and which these check): byte xb of row y, in a surface of
 * 4 KiB tiles, pitch / tile width of them per tile row.
 */
static uint64_t ref_offset(uint32_t layout, uint32_t pitch, uint32_t xb,
                           uint32_t y)
{
    switch (layout) {
    case VPRIME_LAYOUT_X_TILED:     /* 512 B x 8 rows, row-major */
        return (((uint64_t)(y >> 3) * (pitch >> 9) + (xb >> 9)) << 12) |
               (y & 7) << 9 | (xb & 511);
    case VPRIME_LAYOUT_Y_TILED:     /* 128 B x 32: OWORD columns of 32 rows */
        return (((uint64_t)(y >> 5) * (pitch >> 7) + (xb >> 7)) << 12) |
               ((xb >> 4) & 7) << 9 | (y & 31) << 4 | (xb & 15);
    case VPRIME_LAYOUT_NV_BLOCK:    /* blocks of 8 GOBs; GOB: 64 B x 8 */
        return (((uint64_t)(y >> 6) * (pitch >> 6) + (xb >> 6)) << 12) |
               ((y >> 3) & 7) << 9 |        /* GOB in the block */
               ((xb >> 5) & 1) << 8 | ((y >> 1) & 3) << 6 |
               ((xb >> 4) & 1) << 5 | (y & 1) << 4 | (xb & 15);
    }
    return (uint64_t)y * pitch + xb;
}

/*
 * vprime_layout_offset() against the reference around every tile and GOB
 * edge of three tile columns and rows, and every byte of a tile is one
 * byte of the tile
 */
static void test_layout_address(void)
{
    uint32_t l, xb, y;

    for (l = VPRIME_LAYOUT_X_TILED; l < VPRIME_LAYOUT_COUNT; l++) {
        uint32_t tw = vprime_layout_tile_w(l), th = vprime_layout_tile_h(l);
        uint32_t pitch = 3 * tw;
        g_autofree uint8_t *seen = g_malloc0(VPRIME_TILE_SIZE);

        g_assert_cmpuint(tw * th, ==, VPRIME_TILE_SIZE);
        for (y = 0; y < 3 * th; y++) {
            for (xb = 0; xb < pitch; xb++) {
                g_assert_cmpuint(vprime_layout_offset(l, pitch, xb, y), ==,
                                 ref_offset(l, pitch, xb, y));
            }
        }
        for (y = 0; y < th; y++) {
            for (xb = 0; xb < tw; xb++) {
                uint32_t o = vprime_layout_in_tile(l, xb, y);

                g_assert_cmpuint(o, <, VPRIME_TILE_SIZE);
                g_assert_false(seen[o]);
                seen[o] = 1;
                /* a run is contiguous, and ends where the next one isn't */
                if (xb + 1 < tw) {
                    bool same = vprime_layout_run(l, xb) > 1;

                    g_assert_cmpint(same, ==,
                                    vprime_layout_in_tile(l, xb + 1, y) ==
                                    o + 1);
                }
            }
        }
    }
}

/*
 * Every tiled layout the GPU takes: linear XRGB -> tiled (its bytes
 * checked against the reference) -> linear RGB565 and back to linear
 * XRGB (the round trip), and PATTERN straight into the tiled layout.  An
 * odd size: 150 pixels (600 bytes, across an X tile), 41 rows (part of a
 * Y tile and an NV block).  The layouts it does not take halt the engine.
 */
static void test_blit_layouts(const void *opaque)
{
    const uint32_t w = 150, h = 41, lpitch = 640, tpitch = 1024;
    const uint32_t tsize = tpitch * 64;
    bool dgpu = GPOINTER_TO_INT(opaque);
    uint64_t lin_pages[8], tile_pages[16], out_pages[8], back_pages[8];
    g_autofree uint32_t *src = g_new(uint32_t, lpitch / 4 * h);
    g_autofree uint8_t *tiled = g_malloc(tsize);
    g_autofree uint16_t *out = g_new(uint16_t, lpitch / 2 * h);
    g_autofree uint32_t *back = g_new(uint32_t, lpitch / 4 * h);
    uint32_t layouts, l, x, y, tested = 0;
    Gpu g;

    gpu_start(&g, dgpu, NULL);
    layouts = rd(&g, VPRIME_REG_LAYOUTS);
    g_assert_cmphex(layouts, ==, dgpu ? VPRIME_DGPU_LAYOUTS
                                      : VPRIME_IGPU_LAYOUTS);
    map_sys(&g, g.root, GPU_VA, lpitch * h, lin_pages, 0);
    map_sys(&g, g.root, GPU_VA + MiB, tsize, tile_pages, VPRIME_PTE_WRITABLE);
    map_sys(&g, g.root, GPU_VA + 2 * MiB, lpitch * h, out_pages,
            VPRIME_PTE_WRITABLE);
    map_sys(&g, g.root, GPU_VA + 3 * MiB, lpitch * h, back_pages,
            VPRIME_PTE_WRITABLE);
    for (y = 0; y < h; y++) {
        for (x = 0; x < lpitch / 4; x++) {
            src[y * lpitch / 4 + x] = cpu_to_le32(((x * 3) & 0xff) << 16 |
                                                  (y * 5) << 8 |
                                                  ((x + y) & 0xff));
        }
    }
    write_sys(&g, lin_pages, 0, src, lpitch * h);

    for (l = VPRIME_LAYOUT_X_TILED; l < VPRIME_LAYOUT_COUNT; l++) {
        struct vprime_cmd to_tiled = {
            .opcode = VPRIME_OP_BLIT,
            .blit = { .src = GPU_VA, .dst = GPU_VA + MiB, .src_pitch = lpitch,
                      .dst_pitch = tpitch, .width = w, .height = h,
                      .src_format = VPRIME_FMT_XRGB8888,
                      .dst_format = VPRIME_FMT_XRGB8888,
                      .src_layout = VPRIME_LAYOUT_LINEAR, .dst_layout = l },
        };
        struct vprime_cmd to_565 = {
            .opcode = VPRIME_OP_BLIT,
            .blit = { .src = GPU_VA + MiB, .dst = GPU_VA + 2 * MiB,
                      .src_pitch = tpitch, .dst_pitch = lpitch, .width = w,
                      .height = h, .src_format = VPRIME_FMT_XRGB8888,
                      .dst_format = VPRIME_FMT_RGB565, .src_layout = l,
                      .dst_layout = VPRIME_LAYOUT_LINEAR },
        };
        struct vprime_cmd to_linear = to_565;
        struct vprime_cmd pattern = {
            .opcode = VPRIME_OP_PATTERN,
            .rect = { .dst = GPU_VA + MiB, .pitch = tpitch, .width = w,
                      .height = h, .format = VPRIME_FMT_XRGB8888,
                      .layout = l, .frame = 5, .tag = 3 },
        };

        if (!(layouts & VPRIME_LAYOUT_BIT(l))) {
            expect_halt(&g, &to_tiled, VPRIME_ENG_ERR_BAD_ARGS);
            expect_halt(&g, &pattern, VPRIME_ENG_ERR_BAD_ARGS);
            continue;
        }
        tested++;
        to_linear.blit.dst = GPU_VA + 3 * MiB;
        to_linear.blit.dst_format = VPRIME_FMT_XRGB8888;
        memset(tiled, 0xa5, tsize);
        write_sys(&g, tile_pages, 0, tiled, tsize);
        submit(&g, VPRIME_ENGINE_RENDER, &to_tiled);
        submit(&g, VPRIME_ENGINE_RENDER, &to_565);
        submit(&g, VPRIME_ENGINE_COPY, &to_linear);

        read_sys(&g, tile_pages, 0, tiled, tsize);
        for (y = 0; y < h; y++) {
            for (x = 0; x < w; x++) {
                g_assert_cmphex(ldl_le_p(tiled + ref_offset(l, tpitch, x * 4,
                                                            y)), ==,
                                le32_to_cpu(src[y * lpitch / 4 + x]) &
                                0xffffff);
            }
        }
        /* bytes beyond the rectangle in its tiles are left alone */
        g_assert_cmphex(tiled[ref_offset(l, tpitch, w * 4, 0)], ==, 0xa5);
        g_assert_cmphex(tiled[ref_offset(l, tpitch, 0, h)], ==, 0xa5);
        read_sys(&g, out_pages, 0, out, lpitch * h);
        read_sys(&g, back_pages, 0, back, lpitch * h);
        for (y = 0; y < h; y++) {
            for (x = 0; x < w; x++) {
                uint32_t p = le32_to_cpu(src[y * lpitch / 4 + x]);
                uint16_t want = ((p >> 8) & 0xf800) | ((p >> 5) & 0x07e0) |
                                ((p >> 3) & 0x001f);

                g_assert_cmphex(le16_to_cpu(out[y * lpitch / 2 + x]), ==,
                                want);
                g_assert_cmphex(le32_to_cpu(back[y * lpitch / 4 + x]), ==,
                                p & 0xffffff);
            }
        }

        submit(&g, VPRIME_ENGINE_RENDER, &pattern);
        read_sys(&g, tile_pages, 0, tiled, tsize);
        for (y = 0; y < h; y++) {
            for (x = 0; x < w; x++) {
                g_assert_cmphex(ldl_le_p(tiled + ref_offset(l, tpitch, x * 4,
                                                            y)), ==,
                                vprime_pattern_pixel(5, 3, x, y));
            }
        }
    }
    g_assert_cmpuint(tested, ==, dgpu ? 1 : 2);
    gpu_stop(&g);
}

/* ---- fences, interrupts, time --------------------------------------- */

/*
 * MSI-X on: engine e's interrupt writes 0xf0 + e to g->msi[e]; both
 * engine causes enabled.
 */
static void msix_engines(Gpu *g)
{
    int e;

    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        g->msi[e] = vprime_msix_vector(&g->t, VPRIME_ENGINE_MSIX_VEC(e),
                                       0xf0 + e);
    }
    wr(g, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER) |
                                 VPRIME_IRQ_ENGINE(VPRIME_ENGINE_COPY));
}

static void test_fence_msix_and_time(const void *opaque)
{
    uint64_t seq, before;
    struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
    Gpu g;
    int e;

    gpu_start(&g, GPOINTER_TO_INT(opaque), "latency-ns=50000");
    msix_engines(&g);

    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        queue(&g, e, &nop);
        seq = queue_fence(&g, e, true);
        doorbell(&g, e);
        /* not before its modelled time: 2 commands x 50 us */
        qtest_clock_step(g.t.qts, 30 * 1000);
        g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[e]), ==, 0);
        g_assert_cmphex(erd(&g, e, VPRIME_ENG_STATUS) &
                        VPRIME_ENG_STATUS_BUSY, ==, VPRIME_ENG_STATUS_BUSY);
        g_assert_cmphex(qtest_readl(g.t.qts, g.msi[e]), ==, 0);
        run_idle(&g, e);
        g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[e]), ==, seq);
        g_assert_cmpuint(erd(&g, e, VPRIME_ENG_FENCE_LO), ==, seq);
        g_assert_cmpuint(erd(&g, e, VPRIME_ENG_RING_HEAD), ==, g.tail[e]);
        /* the interrupt came on the engine's own vector */
        g_assert_cmphex(qtest_readl(g.t.qts, g.msi[e]), ==, 0xf0 + e);
        g_assert_cmphex(rd(&g, VPRIME_REG_IRQ_STATUS) &
                        VPRIME_IRQ_ENGINE(e), ==, VPRIME_IRQ_ENGINE(e));
    }
    /* a fence without the IRQ flag interrupts nobody */
    qtest_writel(g.t.qts, g.msi[0], 0);
    before = qom_u64(&g, "stat-irqs");
    queue_fence(&g, 0, false);
    doorbell(&g, 0);
    run_idle(&g, 0);
    g_assert_cmphex(qtest_readl(g.t.qts, g.msi[0]), ==, 0);
    g_assert_cmpuint(qom_u64(&g, "stat-irqs"), ==, before);
    gpu_stop(&g);
}

/* WAIT blocks an engine until memory reaches a value: cross-engine sync */
static void test_wait(const void *opaque)
{
    uint64_t sem_pages[1], seq;
    struct vprime_cmd w = { .opcode = VPRIME_OP_WAIT,
                            .wait = { .addr = GPU_VA + 8, .value = 5 } };
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, VPRIME_GPU_PAGE_SIZE, sem_pages,
            VPRIME_PTE_WRITABLE);
    queue(&g, VPRIME_ENGINE_COPY, &w);
    seq = queue_fence(&g, VPRIME_ENGINE_COPY, false);
    doorbell(&g, VPRIME_ENGINE_COPY);
    qtest_clock_step(g.t.qts, 10 * 1000 * 1000);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY | VPRIME_ENG_STATUS_WAITING);
    qtest_writeq(g.t.qts, sem_pages[0] + 8, 4);
    qtest_clock_step(g.t.qts, 1000 * 1000);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[VPRIME_ENGINE_COPY]), ==,
                     0);
    qtest_writeq(g.t.qts, sem_pages[0] + 8, 5);
    run_idle(&g, VPRIME_ENGINE_COPY);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[VPRIME_ENGINE_COPY]), ==,
                     seq);
    gpu_stop(&g);
}

/* ---- fault injection ---------------------------------------------------- */

static void check_str(Gpu *g, const char *prop, const char *want)
{
    g_autofree char *val = vprime_qom_str(&g->t, prop);

    g_assert_cmpstr(val, ==, want);
}

static void set_fault(Gpu *g, const char *script)
{
    vprime_qom_set_str(&g->t, "fault", script);
}

static struct vprime_cmd copy_cmd(uint64_t src, uint64_t dst, uint64_t size)
{
    return (struct vprime_cmd) {
        .opcode = VPRIME_OP_COPY,
        .copy = { .src = src, .dst = dst, .size = size },
    };
}

/* A hang: the engine takes the command and stops, until CONTROL.RESET */
static void test_inject_hang(const void *opaque)
{
    struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    submit(&g, VPRIME_ENGINE_RENDER, &nop);    /* commands 1 and 2 */
    set_fault(&g, "hang:engine=render,after=1");
    check_str(&g, "fault", "hang:engine=render,after=1,count=1");
    queue(&g, VPRIME_ENGINE_RENDER, &nop);      /* 3: let through */
    queue(&g, VPRIME_ENGINE_RENDER, &nop);      /* 4: hangs */
    queue_fence(&g, VPRIME_ENGINE_RENDER, false);
    doorbell(&g, VPRIME_ENGINE_RENDER);
    qtest_clock_step(g.t.qts, 100 * 1000 * 1000);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_RENDER, VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY);
    g_assert_cmpuint(erd(&g, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_HEAD), ==,
                     3);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[0]), ==, g.seqno - 1);
    g_assert_cmphex(rd(&g, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-hang"), ==, 1);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-faults"), ==, 1);
    check_str(&g, "fault-log", "1 hang render cmd=4\n");
    check_str(&g, "fault", "");
    /* the other engine carries on */
    submit(&g, VPRIME_ENGINE_COPY, &nop);

    ewr(&g, VPRIME_ENGINE_RENDER, VPRIME_ENG_CONTROL,
        VPRIME_ENG_CTRL_RESET | VPRIME_ENG_CTRL_ENABLE);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_RENDER, VPRIME_ENG_STATUS), ==, 0);
    submit(&g, VPRIME_ENGINE_RENDER, &nop);
    gpu_stop(&g);
}

/* Lost and late fence interrupts: the writeback always happens */
static void test_inject_irqs(const void *opaque)
{
    struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
    uint64_t seq;
    int e;

    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    msix_engines(&g);
    set_fault(&g, "lost-irq:engine=copy;"
                              "late-irq:engine=render,delay-ns=5000000");
    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        queue(&g, e, &nop);
        seq = queue_fence(&g, e, true);
        doorbell(&g, e);
        run_idle(&g, e);
        g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[e]), ==, seq);
        g_assert_cmphex(qtest_readl(g.t.qts, g.msi[e]), ==, 0);
    }
    /* the render engine's comes 5 ms later, the copy engine's never */
    qtest_clock_step(g.t.qts, 4 * 1000 * 1000);
    g_assert_cmphex(qtest_readl(g.t.qts, g.msi[0]), ==, 0);
    qtest_clock_step(g.t.qts, 2 * 1000 * 1000);
    g_assert_cmphex(qtest_readl(g.t.qts, g.msi[0]), ==, 0xf0);
    qtest_clock_step(g.t.qts, 100 * 1000 * 1000);
    g_assert_cmphex(qtest_readl(g.t.qts, g.msi[1]), ==, 0);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-lost-irq"), ==, 1);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-late-irq"), ==, 1);
    check_str(&g, "fault-log", "1 late-irq render irq=1 +5000000ns\n"
              "2 lost-irq copy irq=1\n");

    /* the next fence interrupts as usual */
    queue_fence(&g, VPRIME_ENGINE_COPY, true);
    doorbell(&g, VPRIME_ENGINE_COPY);
    run_idle(&g, VPRIME_ENGINE_COPY);
    g_assert_cmphex(qtest_readl(g.t.qts, g.msi[1]), ==, 0xf1);
    gpu_stop(&g);
}

/* A DMA error halts the engine with VPRIME_ENG_ERR_DMA; only in its range */
static void test_inject_dma_error(const void *opaque)
{
    uint64_t src[1], dst[1];
    struct vprime_cmd c = copy_cmd(GPU_VA, GPU_VA + MiB, 256);
    g_autofree char *script = NULL;
    uint8_t byte;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, VPRIME_GPU_PAGE_SIZE, src, 0);
    map_sys(&g, g.root, GPU_VA + MiB, VPRIME_GPU_PAGE_SIZE, dst,
            VPRIME_PTE_WRITABLE);
    qtest_memset(g.t.qts, src[0], 0x5a, 256);

    /* a range the copy does not touch: no effect */
    script = g_strdup_printf("dma-error:start=0x%" PRIx64 ",size=4096",
                             dst[0] + VPRIME_GPU_PAGE_SIZE);
    set_fault(&g, script);
    submit(&g, VPRIME_ENGINE_COPY, &c);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-dma-error"), ==, 0);
    set_fault(&g, "clear");
    check_str(&g, "fault", "");

    /* the destination page: the engine halts */
    g_free(script);
    script = g_strdup_printf("dma-error:engine=copy,start=0x%" PRIx64
                             ",size=4096", dst[0]);
    set_fault(&g, script);
    qtest_memset(g.t.qts, dst[0], 0, 256);
    queue(&g, VPRIME_ENGINE_COPY, &c);
    queue_fence(&g, VPRIME_ENGINE_COPY, false);
    doorbell(&g, VPRIME_ENGINE_COPY);
    qtest_clock_step(g.t.qts, 10 * 1000 * 1000);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_HALTED);
    g_assert_cmpuint(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_ERROR), ==,
                     VPRIME_ENG_ERR_DMA);
    g_assert_cmphex(rd(&g, VPRIME_REG_ERROR), ==, VPRIME_ERR_ENGINE);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[1]), ==, g.seqno - 1);
    byte = qtest_readb(g.t.qts, dst[0]);
    g_assert_cmpuint(byte, ==, 0);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-dma-error"), ==, 1);
    check_str(&g, "fault-log", "1 dma-error copy cmd=3 offset=0x0\n");

    /* reset: the same copy works */
    wr(&g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    ewr(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_CONTROL,
        VPRIME_ENG_CTRL_RESET | VPRIME_ENG_CTRL_ENABLE);
    submit(&g, VPRIME_ENGINE_COPY, &c);
    byte = qtest_readb(g.t.qts, dst[0] + 255);
    g_assert_cmpuint(byte, ==, 0x5a);
    gpu_stop(&g);
}

/* A slow fence completes later than its modelled time */
static void test_inject_slow_fence(const void *opaque)
{
    uint64_t seq;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), "latency-ns=50000");
    set_fault(&g, "slow-fence:engine=copy,delay-ns=2000000");
    seq = queue_fence(&g, VPRIME_ENGINE_COPY, false);
    doorbell(&g, VPRIME_ENGINE_COPY);
    qtest_clock_step(g.t.qts, 1000 * 1000);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[1]), ==, 0);
    qtest_clock_step(g.t.qts, 1100 * 1000);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[1]), ==, seq);
    check_str(&g, "fault-log", "1 slow-fence copy cmd=1 +2000000ns\n");
    gpu_stop(&g);
}

/*
 * The log depends on the seed and the events only: two devices with one
 * seed give the same log for the same commands, another seed another.
 */
static char *slow_fence_log(const void *opaque, uint64_t seed)
{
    g_autofree char *props = g_strdup_printf(
        "fault-seed=%" PRIu64 ",fault=slow-fence:count=0,,prob=50,,"
        "delay-ns=1000,,jitter-ns=1000", seed);
    char *log;
    Gpu g;
    int i;

    gpu_start(&g, GPOINTER_TO_INT(opaque), props);
    for (i = 0; i < 24; i++) {
        queue_fence(&g, i % 2, false);
        doorbell(&g, i % 2);
        run_idle(&g, i % 2);
    }
    log = vprime_qom_str(&g.t, "fault-log");
    gpu_stop(&g);
    return log;
}

static void test_inject_seed(const void *opaque)
{
    g_autofree char *a = slow_fence_log(opaque, 7);
    g_autofree char *b = slow_fence_log(opaque, 7);
    g_autofree char *c = slow_fence_log(opaque, 8);

    g_assert_cmpstr(a, !=, "");
    g_assert_cmpstr(a, ==, b);
    g_assert_cmpstr(a, !=, c);
}

/* vram-retire: VRAM_USABLE drops and comes back; armed at realize too */
static void test_inject_vram_retire(void)
{
    Gpu g;

    gpu_start(&g, true, "fault=vram-retire:bytes=1M");
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_LO), ==, VRAM_SIZE - MiB);
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_HI), ==, 0);
    set_fault(&g, "vram-retire:bytes=48M");
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_LO), ==, 16 * MiB);
    /* a reset keeps it: retired pages stay retired */
    wr(&g, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_LO), ==, 16 * MiB);
    set_fault(&g, "vram-retire:bytes=0");
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_LO), ==, VRAM_SIZE);
    g_assert_cmpuint(qom_u64(&g, "stat-injected-vram-retire"), ==, 3);
    check_str(&g, "fault-log", "1 vram-retire vram armed=1 bytes=1048576\n"
              "2 vram-retire vram armed=2 bytes=50331648\n"
              "3 vram-retire vram armed=3 bytes=0\n");
    /* read only */
    wr(&g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    wr(&g, VPRIME_REG_VRAM_USABLE_LO, 0);
    g_assert_cmphex(rd(&g, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    gpu_stop(&g);

    /* the iGPU has no VRAM to retire */
    gpu_start(&g, false, NULL);
    g_assert_cmpuint(rd(&g, VPRIME_REG_VRAM_USABLE_LO), ==, 0);
    vprime_fault_refused(&g.t, "vram-retire:bytes=1M",
                         "unknown fault kind 'vram-retire' for vprime-igpu: "
                         "allowed are hang, lost-irq, late-irq, dma-error, "
                         "slow-fence and clear");
    vprime_fault_refused(&g.t, "hang:engine=blitter",
                         "engine=blitter: no such engine: allowed are "
                         "render, copy, 0 to 1 and any");
    vprime_fault_refused(&g.t, "late-irq:delay=5", "'delay' is unexpected");
    vprime_fault_refused(&g.t, "hang:prob=0", "prob=0 is not a percentage");
    vprime_fault_refused(&g.t, "hang:after=soon", "'after' expects integer");
    vprime_fault_refused(&g.t, "hang:count",
                         "Expected '=' after parameter 'count'");
    vprime_fault_refused(&g.t, "dma-error:size=lots", "'size' expects size");
    vprime_fault_refused(&g.t, "dma-error:start=0xfffffffffffff000,size=8K",
                         "range wraps around");
    vprime_fault_refused(&g.t, "underrun", "unknown fault kind 'underrun'");
    /* the whole script is checked before anything is armed */
    vprime_fault_refused(&g.t, "hang;lost-irq:engine=copy;bogus",
                         "fault 'bogus': unknown fault kind");
    check_str(&g, "fault", "");
    gpu_stop(&g);
}

/* ---- VRAM -------------------------------------------------------------- */

static void test_vram(void)
{
    const uint64_t vram_off = 2 * MiB;
    uint64_t sys_pages[2];
    uint32_t buf[2048], i;
    QPCIBar vram;
    Gpu g;
    struct vprime_cmd c;

    gpu_start(&g, true, NULL);
    vram = qpci_iomap(g.t.dev, VPRIME_BAR_VRAM, NULL);
    for (i = 0; i < 2; i++) {
        map_page(&g, g.root, GPU_VA + i * VPRIME_GPU_PAGE_SIZE,
                 (vram_off + i * VPRIME_GPU_PAGE_SIZE) | VPRIME_PTE_VALID |
                 VPRIME_PTE_WRITABLE | VPRIME_PTE_VRAM);
    }
    map_sys(&g, g.root, GPU_VA + MiB, sizeof(buf), sys_pages,
            VPRIME_PTE_WRITABLE);

    c = fill_cmd(GPU_VA, 1024, 256, 8, VPRIME_FMT_ARGB8888, 0xcafe0123);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    /* the CPU sees it through the VRAM BAR */
    for (i = 0; i < 2048; i += 97) {
        g_assert_cmphex(qpci_io_readl(g.t.dev, vram, vram_off + i * 4), ==,
                        0xcafe0123);
    }
    /* copy engine: VRAM -> system memory */
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA + MiB, .size = sizeof(buf) } };
    submit(&g, VPRIME_ENGINE_COPY, &c);
    read_sys(&g, sys_pages, 0, buf, sizeof(buf));
    for (i = 0; i < 2048; i++) {
        g_assert_cmphex(le32_to_cpu(buf[i]), ==, 0xcafe0123);
    }
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-vram"), ==, sizeof(buf));
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-read-vram"), ==, sizeof(buf));
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-sysram"), >=,
                     sizeof(buf));
    qpci_iounmap(g.t.dev, vram);
    gpu_stop(&g);
}

/*
 * <engine>-last-{read,write}-pages name the pages the latest data command
 * touched: VRAM offsets for VRAM, the DMA addresses for system memory
 * (here in the reversed order map_sys gives them), cleared by the next
 * data command, not by a fence.
 */
static void test_last_pages(void)
{
    const uint64_t vram_off = 2 * MiB;
    uint64_t sys_pages[2];
    g_autofree char *want_sys = NULL, *want_vram = NULL;
    struct vprime_cmd c;
    Gpu g;
    int i;

    gpu_start(&g, true, NULL);
    for (i = 0; i < 2; i++) {
        map_page(&g, g.root, GPU_VA + i * VPRIME_GPU_PAGE_SIZE,
                 (vram_off + i * VPRIME_GPU_PAGE_SIZE) | VPRIME_PTE_VALID |
                 VPRIME_PTE_WRITABLE | VPRIME_PTE_VRAM);
    }
    map_sys(&g, g.root, GPU_VA + MiB, 2 * VPRIME_GPU_PAGE_SIZE, sys_pages,
            VPRIME_PTE_WRITABLE);
    want_vram = g_strdup_printf("vram:0x%" PRIx64 ",vram:0x%" PRIx64,
                                vram_off, vram_off + VPRIME_GPU_PAGE_SIZE);
    want_sys = g_strdup_printf("0x%" PRIx64 ",0x%" PRIx64, sys_pages[0],
                               sys_pages[1]);
    check_str(&g, "render-last-write-pages", "");

    c = (struct vprime_cmd) { .opcode = VPRIME_OP_PATTERN,
        .rect = { .dst = GPU_VA, .pitch = 1024, .width = 256, .height = 8,
                  .format = VPRIME_FMT_XRGB8888, .frame = 1, .tag = 1 } };
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    check_str(&g, "render-last-write-pages", want_vram);
    check_str(&g, "render-last-read-pages", "");

    c = (struct vprime_cmd) { .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA + MiB,
                  .size = 2 * VPRIME_GPU_PAGE_SIZE } };
    submit(&g, VPRIME_ENGINE_COPY, &c);
    check_str(&g, "copy-last-read-pages", want_vram);
    check_str(&g, "copy-last-write-pages", want_sys);
    /* the copy engine's log is its own; submit() added fences: kept */
    check_str(&g, "render-last-write-pages", want_vram);

    /* the next data command replaces the log */
    c = fill_cmd(GPU_VA + MiB + VPRIME_GPU_PAGE_SIZE, 64, 16, 1,
                 VPRIME_FMT_XRGB8888, 0x1);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    g_free(want_sys);
    want_sys = g_strdup_printf("0x%" PRIx64, sys_pages[1]);
    check_str(&g, "render-last-write-pages", want_sys);
    gpu_stop(&g);
}

/* ---- faults ------------------------------------------------------------ */

static void check_fault(Gpu *g, uint32_t ctx, uint64_t va, uint32_t info)
{
    g_assert_cmphex(rd(g, VPRIME_REG_ERROR) & VPRIME_ERR_PAGE_FAULT, ==,
                    VPRIME_ERR_PAGE_FAULT);
    g_assert_cmphex(rd(g, VPRIME_REG_IRQ_STATUS) & VPRIME_IRQ_ERROR, ==,
                    VPRIME_IRQ_ERROR);
    g_assert_cmpuint(rd(g, VPRIME_REG_FAULT_CTX), ==, ctx);
    g_assert_cmphex(rd(g, VPRIME_REG_FAULT_ADDR_LO) |
                    (uint64_t)rd(g, VPRIME_REG_FAULT_ADDR_HI) << 32, ==, va);
    g_assert_cmphex(rd(g, VPRIME_REG_FAULT_INFO), ==, info);
    wr(g, VPRIME_REG_CTX_SELECT, ctx);
    g_assert_cmphex(rd(g, VPRIME_REG_CTX_STATUS), ==,
                    VPRIME_CTX_STATUS_ENABLED | VPRIME_CTX_STATUS_FAULTED);
    wr(g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    wr(g, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_ERROR);
}

/*
 * A fill over a mapped page then an unmapped one faults, touches nothing
 * (not even the mapped page), stops the context; another context works.
 */
/*
 * A copy across several 2 MiB regions of GPU VA (leaf tables), from pages
 * that are partly contiguous in memory and partly not, into VRAM on the
 * dGPU: every byte lands, the counters count it once.
 */
static void test_copy_regions(const void *opaque)
{
    const uint64_t size = 5 * MiB + 3 * VPRIME_GPU_PAGE_SIZE + 123;
    const uint64_t n = DIV_ROUND_UP(size + 77, VPRIME_GPU_PAGE_SIZE);
    g_autofree uint64_t *src_pages = g_new(uint64_t, n);
    g_autofree uint64_t *dst_pages = g_new(uint64_t, n);
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *out = g_malloc(size);
    const uint64_t src_va = GPU_VA + 2 * MiB - 3 * VPRIME_GPU_PAGE_SIZE;
    const uint64_t dst_va = GPU_VA + 64 * MiB;
    uint64_t contig, i;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    /* the first half one run of memory, the second half pages backwards */
    contig = alloc_pages(&g, n / 2 * VPRIME_GPU_PAGE_SIZE);
    for (i = 0; i < n; i++) {
        src_pages[i] = i < n / 2 ? contig + i * VPRIME_GPU_PAGE_SIZE : 0;
    }
    for (i = n - 1; i >= n / 2; i--) {
        src_pages[i] = alloc_pages(&g, VPRIME_GPU_PAGE_SIZE);
    }
    for (i = 0; i < n; i++) {
        map_page(&g, g.root, src_va + i * VPRIME_GPU_PAGE_SIZE,
                 src_pages[i] | VPRIME_PTE_VALID);
        dst_pages[i] = g.dgpu ? i * VPRIME_GPU_PAGE_SIZE
                              : alloc_pages(&g, VPRIME_GPU_PAGE_SIZE);
        map_page(&g, g.root, dst_va + i * VPRIME_GPU_PAGE_SIZE,
                 dst_pages[i] | VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE |
                 (g.dgpu ? VPRIME_PTE_VRAM : 0));
    }
    for (i = 0; i < size; i++) {
        data[i] = i * 13 + (i >> 12);
    }
    write_sys(&g, src_pages, 77, data, size);
    submit(&g, VPRIME_ENGINE_COPY, &(struct vprime_cmd) {
        .opcode = VPRIME_OP_COPY,
        .copy = { .src = src_va + 77, .dst = dst_va + 5, .size = size },
    });
    if (g.dgpu) {
        QPCIBar bar = qpci_iomap(g.t.dev, VPRIME_BAR_VRAM, NULL);

        qpci_memread(g.t.dev, bar, 5, out, size);
        qpci_iounmap(g.t.dev, bar);
        g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-vram"), ==, size);
    } else {
        read_sys(&g, dst_pages, 5, out, size);
        g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-sysram"), ==,
                         size);
    }
    g_assert_cmpmem(out, size, data, size);
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-read-sysram"), ==, size);
    g_assert_cmpuint(qom_u64(&g, "stat-page-faults"), ==, 0);
    gpu_stop(&g);
}

/*
 * The TLB holds leaf tables whole, but never a page as "not present": a
 * page mapped after its neighbours were used works without TLB_INVALIDATE.
 * A valid entry changed in memory is used once TLB_INVALIDATE says so.
 */
static void test_tlb(const void *opaque)
{
    uint64_t a[2], b[1], c[1];
    uint32_t val = 0x11223344, got;
    struct vprime_cmd copy = {
        .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA + VPRIME_GPU_PAGE_SIZE,
                  .size = 4 },
    };
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, 2 * VPRIME_GPU_PAGE_SIZE, a,
            VPRIME_PTE_WRITABLE);
    qtest_memwrite(g.t.qts, a[0], &val, 4);
    submit(&g, VPRIME_ENGINE_COPY, &copy);      /* caches the leaf table */
    qtest_memread(g.t.qts, a[1], &got, 4);
    g_assert_cmphex(got, ==, val);

    /* a new page in the same leaf table, no TLB_INVALIDATE */
    b[0] = alloc_pages(&g, VPRIME_GPU_PAGE_SIZE);
    map_page(&g, g.root, GPU_VA + 2 * VPRIME_GPU_PAGE_SIZE,
             b[0] | VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE);
    copy.copy.dst = GPU_VA + 2 * VPRIME_GPU_PAGE_SIZE;
    submit(&g, VPRIME_ENGINE_COPY, &copy);
    qtest_memread(g.t.qts, b[0], &got, 4);
    g_assert_cmphex(got, ==, val);
    g_assert_cmpuint(qom_u64(&g, "stat-page-faults"), ==, 0);

    /* the same VA moved to another page: used after TLB_INVALIDATE */
    c[0] = alloc_pages(&g, VPRIME_GPU_PAGE_SIZE);
    map_page(&g, g.root, GPU_VA + 2 * VPRIME_GPU_PAGE_SIZE,
             c[0] | VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE);
    wr(&g, VPRIME_REG_TLB_INVALIDATE, 0);
    val = 0x55667788;
    qtest_memwrite(g.t.qts, a[0], &val, 4);
    submit(&g, VPRIME_ENGINE_COPY, &copy);
    qtest_memread(g.t.qts, c[0], &got, 4);
    g_assert_cmphex(got, ==, val);
    qtest_memread(g.t.qts, b[0], &got, 4);
    g_assert_cmphex(got, ==, 0x11223344);

    /* unmapped and invalidated: the copy faults, writes nothing */
    map_page(&g, g.root, GPU_VA + 2 * VPRIME_GPU_PAGE_SIZE, 0);
    wr(&g, VPRIME_REG_TLB_INVALIDATE, VPRIME_TLB_INVALIDATE_ALL);
    val = 0x99aabbcc;
    qtest_memwrite(g.t.qts, a[0], &val, 4);
    submit(&g, VPRIME_ENGINE_COPY, &copy);
    check_fault(&g, 0, GPU_VA + 2 * VPRIME_GPU_PAGE_SIZE,
                VPRIME_FAULT_NOT_PRESENT | VPRIME_FAULT_WRITE);
    qtest_memread(g.t.qts, c[0], &got, 4);
    g_assert_cmphex(got, ==, 0x55667788);
    gpu_stop(&g);
}

static void test_fault_not_present(const void *opaque)
{
    uint64_t pages[1], pages1[1], root1;
    uint8_t buf[4096];
    struct vprime_cmd c = fill_cmd(GPU_VA, 4096, 1024, 2,
                                   VPRIME_FMT_XRGB8888, 0x00ffffff);
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, 4096, pages, VPRIME_PTE_WRITABLE);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    check_fault(&g, 0, GPU_VA + 4096, VPRIME_FAULT_NOT_PRESENT |
                VPRIME_FAULT_WRITE);
    read_sys(&g, pages, 0, buf, sizeof(buf));
    g_assert_true(buffer_is_zero(buf, sizeof(buf)));
    g_assert_cmpuint(qom_u64(&g, "stat-page-faults"), ==, 1);

    /* the stopped context's next command is dropped: no second fault */
    c.rect.height = 1;
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    read_sys(&g, pages, 0, buf, sizeof(buf));
    g_assert_true(buffer_is_zero(buf, sizeof(buf)));
    g_assert_cmpuint(qom_u64(&g, "stat-page-faults"), ==, 1);

    /* another context on the same engine carries on */
    root1 = alloc_pages(&g, VPRIME_GPU_PAGE_SIZE);
    ctx_setup(&g, 1, root1);
    map_sys(&g, root1, GPU_VA, 4096, pages1, VPRIME_PTE_WRITABLE);
    c.ctx = 1;
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    read_sys(&g, pages1, 0, buf, 8);
    g_assert_cmphex(ldl_le_p(buf), ==, 0x00ffffff);

    /* re-enabling the faulted context clears the fault */
    wr(&g, VPRIME_REG_CTX_SELECT, 0);
    wr(&g, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
    g_assert_cmphex(rd(&g, VPRIME_REG_CTX_STATUS), ==,
                    VPRIME_CTX_STATUS_ENABLED);
    c.ctx = 0;
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    read_sys(&g, pages, 0, buf, 8);
    g_assert_cmphex(ldl_le_p(buf), ==, 0x00ffffff);
    gpu_stop(&g);
}

static void test_fault_read_only(const void *opaque)
{
    uint64_t pages[1];
    struct vprime_cmd c = fill_cmd(GPU_VA + 64, 256, 4, 1,
                                   VPRIME_FMT_XRGB8888, 1);
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    map_sys(&g, g.root, GPU_VA, 4096, pages, 0);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    check_fault(&g, 0, GPU_VA + 64, VPRIME_FAULT_READ_ONLY |
                VPRIME_FAULT_WRITE);
    g_assert_cmpuint(qtest_readl(g.t.qts, pages[0] + 64), ==, 0);
    gpu_stop(&g);
}

static void test_fault_vram_on_igpu(void)
{
    struct vprime_cmd c = fill_cmd(GPU_VA, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    Gpu g;

    gpu_start(&g, false, NULL);
    map_page(&g, g.root, GPU_VA, VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE |
             VPRIME_PTE_VRAM);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    check_fault(&g, 0, GPU_VA, VPRIME_FAULT_VRAM_RANGE | VPRIME_FAULT_WRITE);
    gpu_stop(&g);
}

static void test_fault_vram_range(void)
{
    struct vprime_cmd c = fill_cmd(GPU_VA, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    Gpu g;

    gpu_start(&g, true, NULL);
    map_page(&g, g.root, GPU_VA, VRAM_SIZE | VPRIME_PTE_VALID |
             VPRIME_PTE_WRITABLE | VPRIME_PTE_VRAM);
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    check_fault(&g, 0, GPU_VA, VPRIME_FAULT_VRAM_RANGE | VPRIME_FAULT_WRITE);
    gpu_stop(&g);
}

/* A root table whose entries point at itself: the walk still ends */
static void test_page_table_loop(const void *opaque)
{
    struct vprime_cmd c = fill_cmd(GPU_VA, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    uint64_t i;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    for (i = 0; i < VPRIME_GPU_PT_ENTRIES; i++) {
        qtest_writeq(g.t.qts, g.root + i * 8, g.root | VPRIME_PTE_VALID |
                     VPRIME_PTE_WRITABLE);
    }
    submit(&g, VPRIME_ENGINE_RENDER, &c);
    /* the 'leaf' is the root table itself: it was written, nothing else */
    g_assert_cmphex(qtest_readl(g.t.qts, g.root + (GPU_VA & 0xfff)), ==, 1);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_RENDER, VPRIME_ENG_STATUS), ==, 0);
    gpu_stop(&g);
}

/* ---- hostile rings and commands --------------------------------------- */

static void expect_bad_value(Gpu *g, int e, uint32_t reg, uint32_t val)
{
    uint32_t before = erd(g, e, reg);

    wr(g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    ewr(g, e, reg, val);
    g_assert_cmphex(rd(g, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmphex(erd(g, e, reg), ==, before);
}

static void test_bad_ring_registers(const void *opaque)
{
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    /* ring registers are locked while the engine is enabled */
    expect_bad_value(&g, 0, VPRIME_ENG_RING_SIZE, 16);
    ewr(&g, 0, VPRIME_ENG_CONTROL, 0);
    expect_bad_value(&g, 0, VPRIME_ENG_RING_BASE_LO, 0x1234);
    expect_bad_value(&g, 0, VPRIME_ENG_RING_SIZE, 48);
    expect_bad_value(&g, 0, VPRIME_ENG_RING_SIZE, 2);
    expect_bad_value(&g, 0, VPRIME_ENG_RING_SIZE, 8192);
    expect_bad_value(&g, 0, VPRIME_ENG_RING_TAIL, RING_ENTRIES);
    expect_bad_value(&g, 0, VPRIME_ENG_FENCE_ADDR_LO, 0x1004);
    expect_bad_value(&g, 0, VPRIME_ENG_CONTROL, 0x80);
    wr(&g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    wr(&g, VPRIME_REG_CTX_SELECT, VPRIME_GPU_MAX_CONTEXTS);
    g_assert_cmphex(rd(&g, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    g_assert_cmpuint(rd(&g, VPRIME_REG_CTX_SELECT), ==, 0);
    wr(&g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    wr(&g, VPRIME_REG_CTX_PT_LO, 0x10008);
    g_assert_cmphex(rd(&g, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    gpu_stop(&g);
}

/* A bad command halts the engine; CONTROL.RESET recovers it */
static void expect_halt(Gpu *g, const struct vprime_cmd *bad, uint32_t err)
{
    struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
    uint64_t seq;

    wr(g, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    queue(g, 0, bad);
    queue_fence(g, 0, false);
    doorbell(g, 0);
    qtest_clock_step(g->t.qts, 10 * 1000 * 1000);
    g_assert_cmphex(erd(g, 0, VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_HALTED);
    g_assert_cmpuint(erd(g, 0, VPRIME_ENG_ERROR), ==, err);
    g_assert_cmphex(rd(g, VPRIME_REG_ERROR), ==, VPRIME_ERR_ENGINE);

    ewr(g, 0, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_RESET |
                                  VPRIME_ENG_CTRL_ENABLE);
    g_assert_cmphex(erd(g, 0, VPRIME_ENG_STATUS), ==, 0);
    g_assert_cmpuint(erd(g, 0, VPRIME_ENG_RING_HEAD), ==, g->tail[0]);
    queue(g, 0, &nop);
    seq = queue_fence(g, 0, false);
    doorbell(g, 0);
    run_idle(g, 0);
    g_assert_cmpuint(qtest_readq(g->t.qts, g->fence_mem[0]), ==, seq);
}

static void test_bad_commands(const void *opaque)
{
    struct vprime_cmd c;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    c = (struct vprime_cmd) { .opcode = 0x77 };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_OPCODE);
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_NOP, .reserved = 1 };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_FENCE, .flags = 0x10 };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);
    c = fill_cmd(GPU_VA, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    c.ctx = VPRIME_GPU_MAX_CONTEXTS;
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_CTX);
    /* huge and wrapping sizes */
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA, .size = 4 * GiB } };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_COPY,
        .copy = { .src = VPRIME_GPU_VA_LIMIT - 16, .dst = GPU_VA,
                  .size = 64 } };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_COPY,
        .copy = { .src = ~0ULL - 8, .dst = GPU_VA, .size = 64 } };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);
    c = fill_cmd(GPU_VA, 256, 100, 1, VPRIME_FMT_XRGB8888, 1);
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* pitch < row */
    c = fill_cmd(GPU_VA, 65536 * 4, 65536, 1, VPRIME_FMT_XRGB8888, 1);
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* width */
    c = fill_cmd(GPU_VA + 2, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* unaligned */
    c = fill_cmd(GPU_VA, 256, 4, 1, 99, 1);
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* format */
    c = fill_cmd(GPU_VA, 600, 4, 1, VPRIME_FMT_XRGB8888, 1);
    c.rect.layout = rd(&g, VPRIME_REG_LAYOUTS) &
                    VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_Y_TILED) ?
                    VPRIME_LAYOUT_Y_TILED : VPRIME_LAYOUT_NV_BLOCK;
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* tiled pitch */
    c = fill_cmd(GPU_VA + 512, 1024, 4, 1, VPRIME_FMT_XRGB8888, 1);
    c.rect.layout = rd(&g, VPRIME_REG_LAYOUTS) &
                    VPRIME_LAYOUT_BIT(VPRIME_LAYOUT_Y_TILED) ?
                    VPRIME_LAYOUT_Y_TILED : VPRIME_LAYOUT_NV_BLOCK;
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* tiled address */
    c = fill_cmd(GPU_VA, 256, 4, 1, VPRIME_FMT_XRGB8888, 1);
    c.rect.layout = 7;
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* layout */
    c = fill_cmd(VPRIME_GPU_VA_LIMIT - 256, 256, 4, 2, VPRIME_FMT_XRGB8888, 1);
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* beyond VA */
    c = (struct vprime_cmd) { .opcode = VPRIME_OP_WAIT,
                              .wait = { .addr = GPU_VA + 4, .value = 1 } };
    expect_halt(&g, &c, VPRIME_ENG_ERR_BAD_ARGS);           /* unaligned */
    gpu_stop(&g);
}

static void test_ring_dma_error(const void *opaque)
{
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), NULL);
    ewr(&g, 0, VPRIME_ENG_CONTROL, 0);
    /* a ring in unassigned address space above RAM */
    ewr(&g, 0, VPRIME_ENG_RING_BASE_LO, 0);
    ewr(&g, 0, VPRIME_ENG_RING_BASE_HI, 0x100);
    ewr(&g, 0, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_ENABLE);
    ewr(&g, 0, VPRIME_ENG_RING_TAIL, 1);
    qtest_clock_step(g.t.qts, 1000 * 1000);
    g_assert_cmphex(erd(&g, 0, VPRIME_ENG_STATUS) & VPRIME_ENG_STATUS_HALTED,
                    ==, VPRIME_ENG_STATUS_HALTED);
    g_assert_cmpuint(erd(&g, 0, VPRIME_ENG_ERROR), ==,
                     VPRIME_ENG_ERR_RING_DMA);
    gpu_stop(&g);
}

/* Device reset while a long copy is in flight: no crash, engines idle */
static void test_reset_mid_job(const void *opaque)
{
    const uint64_t size = 4 * MiB;
    g_autofree uint64_t *pages = g_new(uint64_t, size / 4096 * 2);
    struct vprime_cmd c = { .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA + 64 * MiB, .size = size } };
    struct vprime_cmd f;
    Gpu g;

    gpu_start(&g, GPOINTER_TO_INT(opaque), "throughput=100");
    map_sys(&g, g.root, GPU_VA, size, pages, 0);
    map_sys(&g, g.root, GPU_VA + 64 * MiB, size, pages + size / 4096,
            VPRIME_PTE_WRITABLE);
    queue(&g, VPRIME_ENGINE_COPY, &c);
    queue_fence(&g, VPRIME_ENGINE_COPY, false);
    doorbell(&g, VPRIME_ENGINE_COPY);
    /* 4 MiB at 100 MB/s takes ~42 ms of virtual time: stop at 5 ms */
    qtest_clock_step(g.t.qts, 5 * 1000 * 1000);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY);
    wr(&g, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmphex(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_STATUS), ==, 0);
    g_assert_cmpuint(erd(&g, VPRIME_ENGINE_COPY, VPRIME_ENG_RING_SIZE), ==, 0);
    qtest_clock_step(g.t.qts, 100 * 1000 * 1000);
    g_assert_cmpuint(qtest_readq(g.t.qts, g.fence_mem[VPRIME_ENGINE_COPY]), ==,
                     0);

    /* reprogram and run again: the device works after the reset */
    g.tail[VPRIME_ENGINE_COPY] = 0;
    ctx_setup(&g, 0, g.root);
    ewr(&g, 1, VPRIME_ENG_RING_BASE_LO, (uint32_t)g.ring[1]);
    ewr(&g, 1, VPRIME_ENG_RING_BASE_HI, g.ring[1] >> 32);
    ewr(&g, 1, VPRIME_ENG_RING_SIZE, RING_ENTRIES);
    ewr(&g, 1, VPRIME_ENG_FENCE_ADDR_LO, (uint32_t)g.fence_mem[1]);
    ewr(&g, 1, VPRIME_ENG_FENCE_ADDR_HI, g.fence_mem[1] >> 32);
    ewr(&g, 1, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_ENABLE);
    f = fill_cmd(GPU_VA + 64 * MiB, 256, 4, 1, VPRIME_FMT_XRGB8888, 7);
    submit(&g, VPRIME_ENGINE_COPY, &f);
    gpu_stop(&g);
}

/* ---- benchmarks (only with -m perf) ----------------------------------- */

/* Map [va, va + bytes) to consecutive pages from 'addr', tables in bulk */
static void map_linear(Gpu *g, uint64_t va, uint64_t addr, uint64_t bytes,
                       uint64_t flags)
{
    const uint64_t span = VPRIME_GPU_PT_ENTRIES * VPRIME_GPU_PAGE_SIZE;
    g_autofree uint64_t *leaf = g_new(uint64_t, VPRIME_GPU_PT_ENTRIES);
    uint64_t off, i;

    g_assert_cmpuint(va % span, ==, 0);
    for (off = 0; off < bytes; off += span) {
        uint64_t table = alloc_pages(g, VPRIME_GPU_PAGE_SIZE);

        for (i = 0; i < VPRIME_GPU_PT_ENTRIES; i++) {
            leaf[i] = cpu_to_le64((addr + off + i * VPRIME_GPU_PAGE_SIZE) |
                                  VPRIME_PTE_VALID | flags);
        }
        qtest_memwrite(g->t.qts, table, leaf, VPRIME_GPU_PAGE_SIZE);
        /* level 2 and level 1 entries, then point level 1 at the leaf */
        map_page(g, g->root, va + off, 0);
        {
            uint64_t l2 = qtest_readq(g->t.qts, g->root +
                                      VPRIME_GPU_PT_INDEX(va + off, 2) * 8);
            uint64_t l1 = (l2 & VPRIME_PTE_ADDR_MASK) +
                          VPRIME_GPU_PT_INDEX(va + off, 1) * 8;

            qtest_writeq(g->t.qts, l1, table | VPRIME_PTE_VALID);
        }
    }
}

#define BENCH_BYTES (64 * MiB)
#define BENCH_RUNS 10
/* qtest rescans its line buffer per read: long lines cost n^2, so chunk */
#define BENCH_CHUNK (32 * KiB)

static void bench_write(Gpu *g, uint64_t addr, const void *buf)
{
    size_t off;

    for (off = 0; off < BENCH_BYTES; off += BENCH_CHUNK) {
        qtest_bufwrite(g->t.qts, addr + off, (const uint8_t *)buf + off,
                       BENCH_CHUNK);
    }
}

static void bench_read(Gpu *g, uint64_t addr, void *buf)
{
    size_t off;

    for (off = 0; off < BENCH_BYTES; off += BENCH_CHUNK) {
        qtest_bufread(g->t.qts, addr + off, (uint8_t *)buf + off, BENCH_CHUNK);
    }
}

/*
 * A pattern no page repeats (untouched memory would read as the zero
 * page and cost nothing to read): each 64-bit word is a hash of its
 * offset and a seed
 */
static uint64_t *bench_pattern(uint64_t seed)
{
    uint64_t *p = g_new(uint64_t, BENCH_BYTES / 8);
    size_t i;

    for (i = 0; i < BENCH_BYTES / 8; i++) {
        p[i] = cpu_to_le64((i + 1) * 0x9e3779b97f4a7c15ULL ^ seed);
    }
    return p;
}

/* Best of BENCH_RUNS copies by the engine, in GB/s; dst verified after */
static double bench_copy(Gpu *g, uint64_t src_va, uint64_t dst_va,
                         uint64_t dst_addr, const uint64_t *want)
{
    struct vprime_cmd c = { .opcode = VPRIME_OP_COPY,
        .copy = { .src = src_va, .dst = dst_va, .size = BENCH_BYTES } };
    g_autofree uint64_t *got = g_new(uint64_t, BENCH_BYTES / 8);
    double best = 0;
    int i;

    for (i = 0; i < BENCH_RUNS; i++) {
        gint64 t0 = g_get_monotonic_time();
        double secs;

        submit(g, VPRIME_ENGINE_COPY, &c);
        secs = (g_get_monotonic_time() - t0) / 1e6;
        best = MAX(best, BENCH_BYTES / secs / 1e9);
    }
    bench_read(g, dst_addr, got);
    g_assert(memcmp(got, want, BENCH_BYTES) == 0);
    return best;
}

/*
 * Host memcpy under the engine's conditions: the same size, a source
 * holding the same pattern, a destination untouched before the first of
 * BENCH_RUNS copies, the best run, the destination verified
 */
static double bench_memcpy(const uint64_t *src)
{
    g_autofree uint64_t *dst = g_new(uint64_t, BENCH_BYTES / 8);
    double best = 0;
    int i;

    for (i = 0; i < BENCH_RUNS; i++) {
        gint64 t0 = g_get_monotonic_time();

        memcpy(dst, src, BENCH_BYTES);
        best = MAX(best, BENCH_BYTES / ((g_get_monotonic_time() - t0) / 1e6) /
                         1e9);
    }
    g_assert(memcmp(dst, src, BENCH_BYTES) == 0);
    return best;
}

/*
 * Copy engine throughput of the device model itself (no modelled time:
 * throughput=0, latency-ns=0), beside host memcpy in the same process.
 * The sources hold a pattern written over qtest (system RAM directly,
 * VRAM through its BAR); every destination is read back and compared.
 */
static void bench_copy_engine(void)
{
    g_autofree uint64_t *sys_pat = bench_pattern(0x5157);
    g_autofree uint64_t *vram_pat = bench_pattern(0x7652);
    uint64_t src, dst;
    double mc, sys, vram;
    QPCIBar bar;
    Gpu g;

    gpu_start(&g, true, "throughput=0,latency-ns=0");
    src = alloc_pages(&g, BENCH_BYTES);     /* contiguous, as the maps */
    dst = alloc_pages(&g, BENCH_BYTES);
    map_linear(&g, GPU_VA, src, BENCH_BYTES, 0);
    map_linear(&g, GPU_VA + 2 * BENCH_BYTES, dst, BENCH_BYTES,
               VPRIME_PTE_WRITABLE);
    map_linear(&g, GPU_VA + 4 * BENCH_BYTES, 0, BENCH_BYTES, VPRIME_PTE_VRAM);
    bench_write(&g, src, sys_pat);
    bar = qpci_iomap(g.t.dev, VPRIME_BAR_VRAM, NULL);
    bench_write(&g, bar.addr, vram_pat);
    qpci_iounmap(g.t.dev, bar);

    mc = bench_memcpy(sys_pat);
    sys = bench_copy(&g, GPU_VA, GPU_VA + 2 * BENCH_BYTES, dst, sys_pat);
    vram = bench_copy(&g, GPU_VA + 4 * BENCH_BYTES, GPU_VA + 2 * BENCH_BYTES,
                      dst, vram_pat);
    g_test_message("bench host_memcpy_64MiB %.2f GB/s", mc);
    g_test_message("bench copy_engine_sys_to_sys_64MiB %.2f GB/s", sys);
    g_test_message("bench copy_engine_vram_to_sys_64MiB %.2f GB/s", vram);
    g_test_message("bench copy_engine_sys_to_sys_vs_memcpy %.2f ratio",
                   sys / mc);
    g_test_message("bench copy_engine_vram_to_sys_vs_memcpy %.2f ratio",
                   vram / mc);
    gpu_stop(&g);
}

/* ---- behind intel-iommu ------------------------------------------------- */

/* Beyond RAM: DMA addresses there exist only through the vIOMMU */
#define IOVA_WINDOW     0x40000000ULL
#define VTD_PAGE        4096ULL
#define VTD_RW          (VTD_SL_R | VTD_SL_W)
#define VTD_SL_2M       (1ULL << 7)

/*
 * intel-iommu in legacy mode, three-level second-level tables (39-bit
 * addresses): RAM identity-mapped in 2 MiB pages (rings, fence writebacks,
 * the GPU's page tables), and from IOVA_WINDOW on, 4 KiB pages onto
 * pages[0..n) in that order, as the DMA API maps a scattered buffer.
 */
static void vtd_map_window(Gpu *g, const uint64_t *pages, uint64_t n)
{
    QTestState *qts = g->t.qts;
    uint64_t root = alloc_pages(g, VTD_PAGE), ctxt = alloc_pages(g, VTD_PAGE);
    uint64_t l3 = alloc_pages(g, VTD_PAGE), l2_ram = alloc_pages(g, VTD_PAGE);
    uint64_t l2_win = alloc_pages(g, VTD_PAGE);
    uint64_t base = Q35_HOST_BRIDGE_IOMMU_ADDR, ce, a, i, ecap;

    qtest_writeq(qts, root, ctxt | 1);                  /* bus 0 */
    ce = ctxt + g->t.dev->devfn * 16;
    qtest_writeq(qts, ce, l3 | 1);                      /* present */
    qtest_writeq(qts, ce + 8, 1 | 1 << 8);              /* 39 bits, domain 1 */
    qtest_writeq(qts, l3, l2_ram | VTD_RW);
    for (a = 0; a < 512 * MiB; a += 2 * MiB) {
        qtest_writeq(qts, l2_ram + (a >> 21) * 8, a | VTD_RW | VTD_SL_2M);
    }
    qtest_writeq(qts, l3 + (IOVA_WINDOW >> 30) * 8, l2_win | VTD_RW);
    for (i = 0; i < n; i++) {
        uint64_t iova = IOVA_WINDOW + i * VTD_PAGE;
        uint64_t slot = l2_win + ((iova >> 21) & 511) * 8;
        uint64_t l1 = qtest_readq(qts, slot) & ~(VTD_PAGE - 1);

        if (!l1) {
            l1 = alloc_pages(g, VTD_PAGE);
            qtest_writeq(qts, slot, l1 | VTD_RW);
        }
        qtest_writeq(qts, l1 + ((iova >> 12) & 511) * 8, pages[i] | VTD_RW);
    }

    qtest_writeq(qts, base + DMAR_RTADDR_REG, root);
    qtest_writel(qts, base + DMAR_GCMD_REG, VTD_GCMD_SRTP);
    g_assert(qtest_readl(qts, base + DMAR_GSTS_REG) & VTD_GSTS_RTPS);
    qtest_writeq(qts, base + DMAR_CCMD_REG,
                 VTD_CCMD_ICC | VTD_CCMD_GLOBAL_INVL);
    ecap = qtest_readq(qts, base + DMAR_ECAP_REG);
    qtest_writeq(qts, base + ((ecap >> 8) & 0x3ff) * 16 + 8,
                 VTD_TLB_IVT | VTD_TLB_GLOBAL_FLUSH);
    qtest_writel(qts, base + DMAR_GCMD_REG, VTD_GCMD_TE);
    g_assert(qtest_readl(qts, base + DMAR_GSTS_REG) & VTD_GSTS_TES);
}

/*
 * A copy between buffers whose DMA addresses are contiguous (as the DMA
 * API maps them behind a vIOMMU) but whose guest pages are scattered: one
 * host mapping covers one page.  The bytes arrive in order, and the GPU's
 * tables are walked once per leaf table, not once per page.  (A copy
 * engine that translated page by page and resolved the rest of its run
 * after each page took 40 times as long behind the vIOMMU as without it:
 * long enough, on a loaded host, for the guest driver's job timeout.)
 */
static void test_copy_iommu_scattered(void)
{
    const uint64_t size = 4 * MiB, n = size / VTD_PAGE;
    g_autofree uint64_t *pages = g_new(uint64_t, 2 * n);
    g_autofree uint8_t *data = g_malloc(size);
    g_autofree uint8_t *out = g_malloc(size);
    struct vprime_cmd c = {
        .opcode = VPRIME_OP_COPY,
        .copy = { .src = GPU_VA, .dst = GPU_VA + size, .size = size },
    };
    uint64_t i, walks;
    Gpu g;

    gpu_start_behind(&g, "-device intel-iommu,intremap=off,aw-bits=39",
                     false, NULL);
    /* source, then destination: pages in reverse order of their IOVAs */
    for (i = 0; i < 2 * n; i++) {
        pages[2 * n - 1 - i] = alloc_pages(&g, VTD_PAGE);
    }
    vtd_map_window(&g, pages, 2 * n);
    for (i = 0; i < 2 * n; i++) {
        map_page(&g, g.root, GPU_VA + i * VTD_PAGE,
                 (IOVA_WINDOW + i * VTD_PAGE) | VPRIME_PTE_VALID |
                 (i >= n ? VPRIME_PTE_WRITABLE : 0));
    }
    for (i = 0; i < size; i++) {
        data[i] = i * 13 + i / VTD_PAGE;
    }
    write_sys(&g, pages, 0, data, size);
    vprime_qom_set_bool(&g.t, "stats-reset", true);

    submit(&g, VPRIME_ENGINE_COPY, &c);
    read_sys(&g, pages + n, 0, out, size);
    g_assert_cmpmem(out, size, data, size);
    g_assert_cmpuint(qom_u64(&g, "stat-bytes-written-sysram"), ==, size);
    /* the TLB holds whole leaf tables: one walk per 512 pages */
    walks = qom_u64(&g, "stat-tlb-walks");
    g_test_message("%" PRIu64 " page-table walks for %" PRIu64 " pages",
                   walks, 2 * n);
    g_assert_cmpuint(walks, <=, 2 * n / VPRIME_GPU_PT_ENTRIES + 2);
    gpu_stop(&g);
}

static void add(const char *name, GTestDataFunc fn, bool both)
{
    g_autofree char *i = g_strdup_printf("/vprime-gpu/igpu/%s", name);
    g_autofree char *d = g_strdup_printf("/vprime-gpu/dgpu/%s", name);

    qtest_add_data_func(i, GINT_TO_POINTER(false), fn);
    if (both) {
        qtest_add_data_func(d, GINT_TO_POINTER(true), fn);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    add("fill-formats", test_fill_formats, true);
    add("copy", test_copy, true);
    add("copy-regions", test_copy_regions, true);
    add("tlb", test_tlb, true);
    add("pattern", test_pattern, true);
    qtest_add_func("/vprime-gpu/layout-address", test_layout_address);
    add("blit-layouts", test_blit_layouts, true);
    add("fence-msix-and-time", test_fence_msix_and_time, true);
    add("wait", test_wait, true);
    add("fault-not-present", test_fault_not_present, true);
    add("fault-read-only", test_fault_read_only, true);
    add("page-table-loop", test_page_table_loop, true);
    add("bad-ring-registers", test_bad_ring_registers, true);
    add("bad-commands", test_bad_commands, true);
    add("ring-dma-error", test_ring_dma_error, true);
    add("reset-mid-job", test_reset_mid_job, true);
    add("inject/hang", test_inject_hang, true);
    add("inject/irqs", test_inject_irqs, true);
    add("inject/dma-error", test_inject_dma_error, true);
    add("inject/slow-fence", test_inject_slow_fence, true);
    add("inject/seed", test_inject_seed, false);
    qtest_add_func("/vprime-gpu/dgpu/inject/vram-retire",
                   test_inject_vram_retire);
    qtest_add_func("/vprime-gpu/dgpu/vram", test_vram);
    qtest_add_func("/vprime-gpu/dgpu/last-pages", test_last_pages);
    qtest_add_func("/vprime-gpu/dgpu/fault-vram-range", test_fault_vram_range);
    qtest_add_func("/vprime-gpu/igpu/fault-vram", test_fault_vram_on_igpu);
    qtest_add_func("/vprime-gpu/igpu/copy-iommu-scattered",
                   test_copy_iommu_scattered);

    if (g_test_perf()) {
        qtest_add_func("/vprime-gpu/bench/copy-engine", bench_copy_engine);
    }
    return g_test_run();
}
