/*
 * vprime GPU engines: command rings, 2D/copy/pattern/fence/wait commands
 *
 * Each engine fetches struct vprime_cmd from its ring in guest memory.
 * Data moves at host speed in bounded chunks (one timer callback never
 * holds the main loop for long), and the command completes only after its
 * modelled duration on QEMU_CLOCK_VIRTUAL, so the driver's asynchronous
 * paths really run.  Every field is checked before any data moves; a bad
 * command halts the engine (error interrupt) until the driver resets it.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "hw/pci/pci_device.h"
#include "migration/qemu-file-types.h"
#include "migration/vmstate.h"
#include "vprime-gpu.h"
#include "vprime_layout.h"
#include "vprime_pattern.h"
#include "trace.h"

/*
 * Commands are little endian in guest memory and used in place: the
 * models are built for little-endian hosts only (vprime targets x86_64).
 */
#if HOST_BIG_ENDIAN
#error "vprime device models need a little-endian host"
#endif

/* Host work per timer callback before yielding to the main loop */
#define CHUNK_BYTES         VPRIME_GPU_BOUNCE_SIZE
/*
 * COPY moves guest memory straight from one mapping to the other, at
 * memcpy speed: 16 MiB is a few milliseconds of the main loop, and few
 * enough yields that they cost nothing beside the copy.
 */
#define COPY_CHUNK_BYTES    (16 * MiB)
/* 2D commands stage a band of rows in each half of the bounce buffer */
#define BAND_BYTES          (VPRIME_GPU_BOUNCE_SIZE / 2)
/* How often a WAIT re-reads its value, in virtual time */
#define WAIT_POLL_NS        (10 * 1000)
/* Commands completed per callback before yielding */
#define MAX_CMDS_PER_RUN    64

/* ---- surfaces --------------------------------------------------------- */

typedef struct Surface {
    uint64_t va;
    uint32_t pitch;
    uint32_t width;
    uint32_t height;
    uint32_t format;
    uint32_t layout;
    uint32_t bpp;
} Surface;

/* Bytes from the surface's address to one past its last byte */
static uint64_t surface_extent(const Surface *sf)
{
    if (sf->layout != VPRIME_LAYOUT_LINEAR) {
        return (uint64_t)sf->pitch *
               ROUND_UP(sf->height, vprime_layout_tile_h(sf->layout));
    }
    return (uint64_t)sf->pitch * (sf->height - 1) +
           (uint64_t)sf->width * sf->bpp;
}

/*
 * Every field of a surface checked; commands run only validated ones.
 * 'layouts': the VPRIME_LAYOUT_BIT()s this GPU takes.
 */
static bool surface_valid(const Surface *sf, uint32_t layouts,
                          const char **why)
{
    if (!sf->bpp) {
        *why = "unknown format";
        return false;
    }
    if (!sf->width || !sf->height || sf->width > VPRIME_CMD_MAX_DIM ||
        sf->height > VPRIME_CMD_MAX_DIM) {
        *why = "width or height out of range";
        return false;
    }
    if ((uint64_t)sf->width * sf->bpp > sf->pitch) {
        *why = "pitch smaller than a row";
        return false;
    }
    if (sf->va % sf->bpp) {
        *why = "address not aligned to the pixel size";
        return false;
    }
    if (sf->layout >= VPRIME_LAYOUT_COUNT) {
        *why = "unknown layout";
        return false;
    }
    if (!(layouts & VPRIME_LAYOUT_BIT(sf->layout))) {
        *why = "a layout this GPU does not take";
        return false;
    }
    if (sf->layout != VPRIME_LAYOUT_LINEAR &&
        (sf->pitch % vprime_layout_tile_w(sf->layout) ||
         sf->va % VPRIME_TILE_SIZE)) {
        *why = "tiled surface not tile aligned";
        return false;
    }
    if (surface_extent(sf) > VPRIME_CMD_MAX_BYTES) {
        *why = "surface too large";
        return false;
    }
    if (sf->va + surface_extent(sf) > VPRIME_GPU_VA_LIMIT) {
        *why = "surface beyond the GPU address space";
        return false;
    }
    return true;
}

/* Byte offset of (x_bytes, y) in the surface */
static uint64_t surface_offset(const Surface *sf, uint32_t xb, uint32_t y)
{
    return vprime_layout_offset(sf->layout, sf->pitch, xb, y);
}

/*
 * Move row y of a surface between guest memory and row[], one GPU VA run
 * at a time (a tiled row is a run of 512 (X) or 16 (Y, NV) bytes at a
 * time: vprime_layout_run()).
 */
static bool surface_row_rw(VPrimeGpuState *s, uint32_t ctx, const Surface *sf,
                           uint32_t y, uint8_t *row, bool is_write)
{
    uint32_t bytes = sf->width * sf->bpp;
    uint32_t xb = 0;

    while (xb < bytes) {
        uint32_t run = MIN(bytes - xb, vprime_layout_run(sf->layout, xb));

        if (!vprime_gpu_rw(s, ctx, sf->va + surface_offset(sf, xb, y),
                           row + xb, run, is_write)) {
            return false;
        }
        xb += run;
    }
    return true;
}

static bool surface_probe(VPrimeGpuState *s, uint32_t ctx, const Surface *sf,
                          bool is_write)
{
    uint32_t y;

    if (sf->layout != VPRIME_LAYOUT_LINEAR ||
        sf->pitch < VPRIME_GPU_PAGE_SIZE) {
        /* rows share pages: probe the whole extent once */
        return vprime_gpu_probe(s, ctx, sf->va, surface_extent(sf), is_write);
    }
    for (y = 0; y < sf->height; y++) {
        if (!vprime_gpu_probe(s, ctx, sf->va + (uint64_t)y * sf->pitch,
                              sf->width * sf->bpp, is_write)) {
            return false;
        }
    }
    return true;
}

/*
 * Format conversion is pixman's: PIXMAN_OP_SRC from an image of the source
 * pixels to one of the destination's format, a band of rows at a time in
 * the bounce buffer.  The tiled layouts stay ours: pixman has no tiled
 * images, and a tiled row reaches guest memory through the GPU's page
 * tables in short runs anyway (surface_row_rw), so rows are tiled and
 * de-tiled on their way between guest memory and the band.
 */

/* Bytes from one row of a band to the next: pixman wants 4-byte multiples */
static uint32_t band_stride(const Surface *sf)
{
    return ROUND_UP(sf->width * sf->bpp, 4);
}

/* Rows of sf that fit in one band, of the rows left from 'done' on */
static uint32_t band_rows(const Surface *sf, uint32_t stride, uint64_t done)
{
    return MIN(sf->height - done, BAND_BYTES / stride);
}

/*
 * Store 'rows' rows of src (PIXMAN_OP_SRC) in dst's format at band.  In an
 * x8r8g8b8 or x8b8g8r8 image pixman leaves the X byte to its fast paths
 * (some copy the source's alpha there); the engine stores 0 (the spec), so
 * the X bytes are cleared afterwards.
 */
static void band_store(pixman_image_t *src, const Surface *dst, uint8_t *band,
                       uint32_t rows)
{
    uint32_t stride = band_stride(dst), x, y;
    pixman_image_t *img = pixman_image_create_bits(
        vprime_format_pixman(dst->format), dst->width, rows,
        (uint32_t *)band, stride);

    pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, img, 0, 0, 0, 0, 0, 0,
                             dst->width, rows);
    pixman_image_unref(img);
    if (dst->format != VPRIME_FMT_XRGB8888 &&
        dst->format != VPRIME_FMT_XBGR8888) {
        return;
    }
    for (y = 0; y < rows; y++) {
        uint32_t *px = (uint32_t *)(band + y * stride);

        for (x = 0; x < dst->width; x++) {
            px[x] &= 0x00ffffffu;   /* the X byte (a little-endian host) */
        }
    }
}

/*
 * Move rows [y0, y0 + rows) of a surface between guest memory and a band.
 * False after a fault.
 */
static bool band_rw(VPrimeGpuState *s, uint32_t ctx, const Surface *sf,
                    uint32_t y0, uint8_t *band, uint32_t rows, bool is_write)
{
    uint32_t y;

    for (y = 0; y < rows; y++) {
        if (!surface_row_rw(s, ctx, sf, y0 + y, band + y * band_stride(sf),
                            is_write)) {
            return false;
        }
    }
    return true;
}

/*
 * The last step of a band of FILL, PATTERN or BLIT: convert src (if any;
 * its reference is dropped) to the destination's format in the band, write
 * the band's rows and count them.  Returns as engine_work().
 */
static int band_finish(VPrimeEngine *e, pixman_image_t *src,
                       const Surface *dst, uint8_t *band, uint32_t rows)
{
    if (src) {
        band_store(src, dst, band, rows);
        pixman_image_unref(src);
    }
    if (!band_rw(e->gpu, e->cmd.ctx, dst, e->progress, band, rows, true)) {
        return -1;
    }
    e->progress += rows;
    return e->progress == dst->height;
}

/* A FILL colour (ARGB8888) as pixman's 16 bits per channel */
static pixman_color_t argb_color(uint32_t argb)
{
    return (pixman_color_t) {
        .alpha = (argb >> 24) * 0x101,
        .red = ((argb >> 16) & 0xff) * 0x101,
        .green = ((argb >> 8) & 0xff) * 0x101,
        .blue = (argb & 0xff) * 0x101,
    };
}

/* ---- engine state ------------------------------------------------------- */

static void engine_update_status(VPrimeEngine *e)
{
    if (e->have_cmd || (e->head != e->tail &&
                        (e->control & VPRIME_ENG_CTRL_ENABLE) &&
                        !(e->status & VPRIME_ENG_STATUS_HALTED))) {
        e->status |= VPRIME_ENG_STATUS_BUSY;
    } else {
        e->status &= ~(VPRIME_ENG_STATUS_BUSY | VPRIME_ENG_STATUS_WAITING);
    }
}

static void engine_halt(VPrimeEngine *e, uint32_t err, const char *why)
{
    VPrimeGpuState *s = e->gpu;

    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s engine halted at ring entry %u: "
                  "%s\n", s->core.name, e->name, e->head, why);
    trace_vprime_engine_halt(s->core.name, e->idx, e->head, err);
    e->status |= VPRIME_ENG_STATUS_HALTED;
    e->status &= ~VPRIME_ENG_STATUS_WAITING;
    e->error = err;
    e->have_cmd = false;
    engine_update_status(e);
    vprime_core_report(&s->core, VPRIME_ERR_ENGINE);
}

/* Modelled duration of a command touching 'bytes' */
static int64_t engine_cost_ns(VPrimeEngine *e, uint64_t bytes)
{
    VPrimeGpuState *s = e->gpu;
    int64_t ns = s->latency_ns;

    if (s->throughput_mb_per_s) {
        /* 1 MB/s is 1 byte per microsecond */
        ns += bytes * 1000 / s->throughput_mb_per_s;
    }
    if (s->jitter_ns) {
        ns += vprime_rand(&s->rng) % (s->jitter_ns + 1);   /* from seed */
    }
    return ns;
}

/* The command's surfaces, bytes per pixel included (0: unknown format) */
static void cmd_surface(const struct vprime_cmd *c, Surface *sf)
{
    sf->va = c->rect.dst;
    sf->pitch = c->rect.pitch;
    sf->width = c->rect.width;
    sf->height = c->rect.height;
    sf->format = c->rect.format;
    sf->layout = c->rect.layout;
    sf->bpp = vprime_format_cpp(sf->format);
}

static void cmd_blit_surfaces(const struct vprime_cmd *c, Surface *src,
                              Surface *dst)
{
    *src = (Surface) {
        .va = c->blit.src, .pitch = c->blit.src_pitch,
        .width = c->blit.width, .height = c->blit.height,
        .format = c->blit.src_format, .layout = c->blit.src_layout,
    };
    *dst = (Surface) {
        .va = c->blit.dst, .pitch = c->blit.dst_pitch,
        .width = c->blit.width, .height = c->blit.height,
        .format = c->blit.dst_format, .layout = c->blit.dst_layout,
    };
    src->bpp = vprime_format_cpp(src->format);
    dst->bpp = vprime_format_cpp(dst->format);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    while (n--) {
        if (*b++) {
            return false;
        }
    }
    return true;
}

/*
 * Check a fetched command completely.  Returns 0 and the bytes it touches,
 * or a VPRIME_ENG_ERR_* with *why set.
 */
static uint32_t engine_validate(VPrimeEngine *e, struct vprime_cmd *c,
                                uint64_t *bytes, const char **why)
{
    uint32_t layouts = VPRIME_GPU_GET_CLASS(e->gpu)->layouts;
    Surface src, dst;

    *bytes = 0;
    if (c->ctx >= VPRIME_GPU_MAX_CONTEXTS && c->opcode != VPRIME_OP_NOP &&
        c->opcode != VPRIME_OP_FENCE) {
        *why = "context index out of range";
        return VPRIME_ENG_ERR_BAD_CTX;
    }
    if (c->reserved || (c->flags & ~VPRIME_CMDF_IRQ)) {
        *why = "reserved bits set";
        return VPRIME_ENG_ERR_BAD_ARGS;
    }
    switch (c->opcode) {
    case VPRIME_OP_NOP:
        return 0;
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
        cmd_surface(c, &dst);
        if (!all_zero(c->rect.pad, sizeof(c->rect.pad)) ||
            (c->opcode == VPRIME_OP_FILL && (c->rect.frame || c->rect.tag))) {
            *why = "reserved fields set";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        if (!surface_valid(&dst, layouts, why)) {
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        *bytes = (uint64_t)dst.width * dst.height * dst.bpp;
        return 0;
    case VPRIME_OP_BLIT:
        cmd_blit_surfaces(c, &src, &dst);
        if (c->blit.pad) {
            *why = "reserved fields set";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        if (!surface_valid(&src, layouts, why) ||
            !surface_valid(&dst, layouts, why)) {
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        *bytes = (uint64_t)dst.width * dst.height * (src.bpp + dst.bpp);
        return 0;
    case VPRIME_OP_COPY:
        if (!all_zero(c->copy.pad, sizeof(c->copy.pad))) {
            *why = "reserved fields set";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        if (c->copy.size > VPRIME_CMD_MAX_BYTES ||
            c->copy.src + c->copy.size > VPRIME_GPU_VA_LIMIT ||
            c->copy.dst + c->copy.size > VPRIME_GPU_VA_LIMIT ||
            c->copy.src >= VPRIME_GPU_VA_LIMIT ||
            c->copy.dst >= VPRIME_GPU_VA_LIMIT) {
            *why = "copy size or range out of bounds";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        *bytes = c->copy.size * 2;
        return 0;
    case VPRIME_OP_FENCE:
        if (!all_zero(c->fence.pad, sizeof(c->fence.pad))) {
            *why = "reserved fields set";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        return 0;
    case VPRIME_OP_WAIT:
        if (!all_zero(c->wait.pad, sizeof(c->wait.pad)) ||
            c->wait.addr % 8 || c->wait.addr >= VPRIME_GPU_VA_LIMIT) {
            *why = "wait address unaligned or out of range";
            return VPRIME_ENG_ERR_BAD_ARGS;
        }
        return 0;
    default:
        *why = "unknown opcode";
        return VPRIME_ENG_ERR_BAD_OPCODE;
    }
}

/* Probe every page the command touches before any data moves. */
static bool engine_probe(VPrimeEngine *e, struct vprime_cmd *c)
{
    VPrimeGpuState *s = e->gpu;
    Surface src, dst;

    switch (c->opcode) {
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
        cmd_surface(c, &dst);
        return surface_probe(s, c->ctx, &dst, true);
    case VPRIME_OP_BLIT:
        cmd_blit_surfaces(c, &src, &dst);
        return surface_probe(s, c->ctx, &src, false) &&
               surface_probe(s, c->ctx, &dst, true);
    case VPRIME_OP_COPY:
        return vprime_gpu_probe(s, c->ctx, c->copy.src, c->copy.size, false) &&
               vprime_gpu_probe(s, c->ctx, c->copy.dst, c->copy.size, true);
    case VPRIME_OP_WAIT:
        return vprime_gpu_probe(s, c->ctx, c->wait.addr, 8, false);
    default:
        return true;
    }
}

/* COPY: up to COPY_CHUNK_BYTES of it */
static int engine_copy(VPrimeEngine *e)
{
    VPrimeGpuState *s = e->gpu;
    struct vprime_cmd *c = &e->cmd;
    uint64_t n = MIN(c->copy.size - e->progress, COPY_CHUNK_BYTES);

    if (!vprime_gpu_copy(s, c->ctx, c->copy.src + e->progress,
                         c->copy.dst + e->progress, n)) {
        return -1;
    }
    e->progress += n;
    return e->progress == c->copy.size;
}

/* FILL and PATTERN: one band of the destination's rows */
static int engine_draw(VPrimeEngine *e)
{
    VPrimeGpuState *s = e->gpu;
    struct vprime_cmd *c = &e->cmd;
    uint32_t *argb = (uint32_t *)(s->bounce + BAND_BYTES);
    pixman_image_t *src;
    uint32_t y0 = e->progress, rows, x, y;
    Surface dst;

    cmd_surface(c, &dst);
    /* the PATTERN source is 4 bytes a pixel, the destination at most */
    rows = band_rows(&dst, dst.width * 4, y0);
    if (c->opcode == VPRIME_OP_FILL) {
        pixman_color_t color = argb_color(c->rect.color);

        src = pixman_image_create_solid_fill(&color);
    } else {
        for (y = 0; y < rows; y++) {
            for (x = 0; x < dst.width; x++) {
                argb[y * dst.width + x] = 0xff000000u |
                    vprime_pattern_pixel(c->rect.frame, c->rect.tag, x,
                                         y0 + y);
            }
        }
        src = pixman_image_create_bits(PIXMAN_a8r8g8b8, dst.width, rows, argb,
                                       dst.width * 4);
    }
    return band_finish(e, src, &dst, s->bounce, rows);
}

/* BLIT: one band of rows, converted by pixman unless the formats match */
static int engine_blit(VPrimeEngine *e)
{
    VPrimeGpuState *s = e->gpu;
    struct vprime_cmd *c = &e->cmd;
    uint8_t *in = s->bounce;
    pixman_image_t *img;
    uint32_t rows;
    Surface src, dst;

    cmd_blit_surfaces(c, &src, &dst);
    rows = band_rows(&dst, MAX(band_stride(&src), band_stride(&dst)),
                     e->progress);
    if (!band_rw(s, c->ctx, &src, e->progress, in, rows, false)) {
        return -1;
    }
    if (src.format == dst.format) {
        return band_finish(e, NULL, &dst, in, rows);     /* bytes as they are */
    }
    img = pixman_image_create_bits(vprime_format_pixman(src.format),
                                   src.width, rows, (uint32_t *)in,
                                   band_stride(&src));
    return band_finish(e, img, &dst, s->bounce + BAND_BYTES, rows);
}

/*
 * Do a bounded part of the command's data work.  Returns 1 when done,
 * 0 when more remains, -1 after a fault (the context is stopped).
 */
static int engine_work(VPrimeEngine *e)
{
    switch (e->cmd.opcode) {
    case VPRIME_OP_COPY:
        return engine_copy(e);
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
        return engine_draw(e);
    case VPRIME_OP_BLIT:
        return engine_blit(e);
    default:
        return 1;
    }
}

/* FENCE: write the value to the engine's fence writeback, then interrupt */
static bool engine_fence(VPrimeEngine *e)
{
    VPrimeGpuState *s = e->gpu;
    uint64_t v = cpu_to_le64(e->cmd.fence.value);

    if (pci_dma_write(PCI_DEVICE(s), e->fence_addr, &v, sizeof(v)) !=
        MEMTX_OK) {
        engine_halt(e, VPRIME_ENG_ERR_FENCE_DMA,
                    "fence writeback address not writable");
        return false;
    }
    e->fence_value = e->cmd.fence.value;
    trace_vprime_engine_fence(s->core.name, e->idx, e->fence_value);
    if (e->cmd.flags & VPRIME_CMDF_IRQ) {
        VPrimeFaultHit hit;

        e->seq_irqs++;
        if (vprime_fault_check(&s->faults, VPRIME_INJ_LOST_IRQ, e->idx, "irq",
                               e->seq_irqs, 0, 0, &hit)) {
            return true;    /* the writeback happened; the message is lost */
        }
        if (vprime_fault_check(&s->faults, VPRIME_INJ_LATE_IRQ, e->idx, "irq",
                               e->seq_irqs, 0, 0, &hit)) {
            /* one pending late message covers every fence before it */
            if (!timer_pending(e->late_timer)) {
                timer_mod(e->late_timer,
                          qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                          hit.delay_ns);
            }
            return true;
        }
        vprime_core_raise(&s->core, VPRIME_IRQ_ENGINE(e->idx));
    }
    return true;
}

/* The injected late fence interrupt is due */
static void engine_late_irq(void *opaque)
{
    VPrimeEngine *e = opaque;

    vprime_core_raise(&e->gpu->core, VPRIME_IRQ_ENGINE(e->idx));
}

/* WAIT: true once the value reached the target */
static bool engine_wait_done(VPrimeEngine *e, bool *faulted)
{
    uint64_t v;

    *faulted = !vprime_gpu_rw(e->gpu, e->cmd.ctx, e->cmd.wait.addr, &v,
                              sizeof(v), false);
    return *faulted || le64_to_cpu(v) >= e->cmd.wait.value;
}

static void engine_retire(VPrimeEngine *e)
{
    e->have_cmd = false;
    e->head = (e->head + 1) & (e->ring_size - 1);
    e->stat_cmds++;
}

/* What fetching the command at HEAD gave */
typedef enum EngineFetch {
    FETCH_NONE,         /* nothing to run: ring empty, or the engine halted */
    FETCH_DROPPED,      /* fetched and retired without running */
    FETCH_OK,           /* e->cmd is checked, probed and ready to run */
} EngineFetch;

/* What running the command in flight gave */
typedef enum EngineStep {
    STEP_DONE,          /* it completed: retire it */
    STEP_DROPPED,       /* it faulted and was retired */
    STEP_LATER,         /* the timer is set to come back to it */
    STEP_HALTED,        /* the engine halted on it */
} EngineStep;

static bool engine_runnable(VPrimeEngine *e)
{
    return (e->control & VPRIME_ENG_CTRL_ENABLE) &&
           !(e->status & VPRIME_ENG_STATUS_HALTED) && e->ring_size &&
           !e->hung;
}

/* A data command starts a new page log (<engine>-last-*-pages) */
static void engine_start_page_log(VPrimeEngine *e)
{
    switch (e->cmd.opcode) {
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
    case VPRIME_OP_BLIT:
    case VPRIME_OP_COPY:
        g_array_set_size(e->last_pages[false], 0);
        g_array_set_size(e->last_pages[true], 0);
        break;
    default:
        break;
    }
}

/*
 * Fetch the command at HEAD, check it, give it its completion time and the
 * injected faults that hit it, and probe the pages it touches.
 */
static EngineFetch engine_fetch(VPrimeEngine *e, int64_t now)
{
    VPrimeGpuState *s = e->gpu;
    dma_addr_t at = e->ring_base + (uint64_t)e->head * VPRIME_CMD_SIZE;
    const char *why = NULL;
    VPrimeFaultHit hit;
    uint64_t bytes;
    uint32_t err;

    if (e->head == e->tail) {
        return FETCH_NONE;
    }
    if (pci_dma_read(PCI_DEVICE(s), at, &e->cmd, sizeof(e->cmd)) != MEMTX_OK) {
        engine_halt(e, VPRIME_ENG_ERR_RING_DMA, "ring not readable");
        return FETCH_NONE;
    }
    trace_vprime_engine_cmd(s->core.name, e->idx, e->head, e->cmd.opcode,
                            e->cmd.ctx);
    err = engine_validate(e, &e->cmd, &bytes, &why);
    if (err) {
        engine_halt(e, err, why);
        return FETCH_NONE;
    }
    e->seq_cmds++;
    e->have_cmd = true;
    e->cmd_done = false;
    e->progress = 0;
    engine_start_page_log(e);
    e->done_at = now + engine_cost_ns(e, bytes);
    if (e->cmd.opcode == VPRIME_OP_FENCE &&
        vprime_fault_check(&s->faults, VPRIME_INJ_SLOW_FENCE, e->idx, "cmd",
                           e->seq_cmds, 0, 0, &hit)) {
        e->done_at += hit.delay_ns;
    }
    if (vprime_fault_check(&s->faults, VPRIME_INJ_HANG, e->idx, "cmd",
                           e->seq_cmds, 0, 0, &hit)) {
        /* fetched, and never finished: until CONTROL.RESET */
        e->hung = true;
        return FETCH_NONE;
    }
    if (e->cmd.opcode != VPRIME_OP_NOP && e->cmd.opcode != VPRIME_OP_FENCE &&
        s->ctx[e->cmd.ctx].faulted) {
        /* a stopped context's work is dropped, touching nothing */
        engine_retire(e);
        return FETCH_DROPPED;
    }
    if (!engine_probe(e, &e->cmd)) {
        engine_retire(e);
        return FETCH_DROPPED;
    }
    return FETCH_OK;
}

/*
 * Run the command in flight: its data work (in bounded parts), then its
 * modelled duration, then what completes it (a WAIT's value, a FENCE).
 */
static EngineStep engine_execute(VPrimeEngine *e, int64_t now)
{
    VPrimeGpuState *s = e->gpu;

    if (!e->cmd_done) {
        int r;

        s->active = e;
        r = engine_work(e);
        s->active = NULL;
        if (r < 0 && s->dma_failed) {
            s->dma_failed = false;
            engine_halt(e, VPRIME_ENG_ERR_DMA, "DMA error (injected)");
            return STEP_HALTED;
        }
        if (r < 0) {
            engine_retire(e);
            return STEP_DROPPED;
        }
        if (r == 0) {
            /* more data work: yield the main loop, come straight back */
            timer_mod(e->timer, now);
            return STEP_LATER;
        }
        e->cmd_done = true;
    }
    if (now < e->done_at) {
        timer_mod(e->timer, e->done_at);
        return STEP_LATER;
    }
    if (e->cmd.opcode == VPRIME_OP_WAIT) {
        bool faulted;

        if (!engine_wait_done(e, &faulted)) {
            e->status |= VPRIME_ENG_STATUS_WAITING;
            timer_mod(e->timer, now + WAIT_POLL_NS);
            return STEP_LATER;
        }
        e->status &= ~VPRIME_ENG_STATUS_WAITING;
    }
    if (e->cmd.opcode == VPRIME_OP_FENCE && !engine_fence(e)) {
        return STEP_HALTED;
    }
    return STEP_DONE;
}

/* The engine's timer: run commands until one has to wait, or a batch ran */
static void engine_run(void *opaque)
{
    VPrimeEngine *e = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    unsigned done = 0;

    while (done < MAX_CMDS_PER_RUN && engine_runnable(e)) {
        if (!e->have_cmd) {
            EngineFetch f = engine_fetch(e, now);

            if (f == FETCH_NONE) {
                break;
            }
            if (f == FETCH_DROPPED) {
                continue;
            }
        }
        switch (engine_execute(e, now)) {
        case STEP_DONE:
            engine_retire(e);
            done++;
            continue;
        case STEP_DROPPED:
            continue;
        case STEP_LATER:
            engine_update_status(e);
            return;
        case STEP_HALTED:
            break;
        }
        break;
    }
    if (done == MAX_CMDS_PER_RUN) {
        timer_mod(e->timer, now);
    }
    engine_update_status(e);
}

void vprime_engine_kick(VPrimeEngine *e)
{
    if (!timer_pending(e->timer)) {
        timer_mod(e->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    }
    engine_update_status(e);
}

void vprime_engine_reset(VPrimeEngine *e)
{
    timer_del(e->timer);
    timer_del(e->late_timer);
    e->hung = false;
    e->ring_base = 0;
    e->ring_size = 0;
    e->head = e->tail = 0;
    e->fence_addr = 0;
    e->fence_value = 0;
    e->control = 0;
    e->status = 0;
    e->error = 0;
    e->have_cmd = false;
}

/* CONTROL.RESET: what a driver does after a hang or a halt */
static void engine_soft_reset(VPrimeEngine *e)
{
    trace_vprime_engine_reset(e->gpu->core.name, e->idx, e->head, e->tail);
    timer_del(e->timer);
    e->have_cmd = false;
    e->hung = false;
    e->head = e->tail;
    e->status = 0;
    e->error = 0;
}

bool vprime_engine_read(VPrimeEngine *e, hwaddr reg, uint64_t *val)
{
    switch (reg) {
    case VPRIME_ENG_RING_BASE_LO:
        *val = (uint32_t)e->ring_base;
        return true;
    case VPRIME_ENG_RING_BASE_HI:
        *val = e->ring_base >> 32;
        return true;
    case VPRIME_ENG_RING_SIZE:
        *val = e->ring_size;
        return true;
    case VPRIME_ENG_RING_HEAD:
        *val = e->head;
        return true;
    case VPRIME_ENG_RING_TAIL:
        *val = e->tail;
        return true;
    case VPRIME_ENG_FENCE_ADDR_LO:
        *val = (uint32_t)e->fence_addr;
        return true;
    case VPRIME_ENG_FENCE_ADDR_HI:
        *val = e->fence_addr >> 32;
        return true;
    case VPRIME_ENG_FENCE_LO:
        *val = (uint32_t)e->fence_value;
        return true;
    case VPRIME_ENG_FENCE_HI:
        *val = e->fence_value >> 32;
        return true;
    case VPRIME_ENG_CONTROL:
        *val = e->control;
        return true;
    case VPRIME_ENG_STATUS:
        *val = e->status;
        return true;
    case VPRIME_ENG_ERROR:
        *val = e->error;
        return true;
    }
    return false;
}

static bool engine_bad_value(VPrimeEngine *e, hwaddr reg, uint64_t val,
                             const char *why)
{
    vprime_core_guest_error(&e->gpu->core, VPRIME_ERR_BAD_VALUE,
                            VPRIME_ENGINE_BASE(e->idx) + reg,
                            "%s engine: 0x%" PRIx64 " rejected: %s",
                            e->name, val, why);
    return true;
}

bool vprime_engine_write(VPrimeEngine *e, hwaddr reg, uint64_t val)
{
    bool running = e->control & VPRIME_ENG_CTRL_ENABLE;

    switch (reg) {
    case VPRIME_ENG_RING_BASE_LO:
        if (running) {
            return engine_bad_value(e, reg, val, "ring moved while enabled");
        }
        if (val % VPRIME_GPU_PAGE_SIZE) {
            return engine_bad_value(e, reg, val, "ring base not 4 KiB aligned");
        }
        e->ring_base = deposit64(e->ring_base, 0, 32, val);
        return true;
    case VPRIME_ENG_RING_BASE_HI:
        if (running) {
            return engine_bad_value(e, reg, val, "ring moved while enabled");
        }
        e->ring_base = deposit64(e->ring_base, 32, 32, val);
        return true;
    case VPRIME_ENG_RING_SIZE:
        if (running) {
            return engine_bad_value(e, reg, val, "ring resized while enabled");
        }
        if (val && (!is_power_of_2(val) || val < VPRIME_RING_ENTRIES_MIN ||
                    val > VPRIME_RING_ENTRIES_MAX)) {
            return engine_bad_value(e, reg, val, "ring size not a power of "
                                    "two in range");
        }
        e->ring_size = val;
        e->head = e->tail = 0;
        return true;
    case VPRIME_ENG_RING_TAIL:
        if (!e->ring_size || val >= e->ring_size) {
            return engine_bad_value(e, reg, val, "tail beyond the ring");
        }
        e->tail = val;
        trace_vprime_engine_doorbell(e->gpu->core.name, e->idx, e->head,
                                     e->tail);
        vprime_engine_kick(e);
        return true;
    case VPRIME_ENG_FENCE_ADDR_LO:
        if (val % 8) {
            return engine_bad_value(e, reg, val, "fence address not 8-byte "
                                    "aligned");
        }
        e->fence_addr = deposit64(e->fence_addr, 0, 32, val);
        return true;
    case VPRIME_ENG_FENCE_ADDR_HI:
        e->fence_addr = deposit64(e->fence_addr, 32, 32, val);
        return true;
    case VPRIME_ENG_CONTROL:
        if (val & ~(VPRIME_ENG_CTRL_ENABLE | VPRIME_ENG_CTRL_RESET)) {
            return engine_bad_value(e, reg, val, "reserved CONTROL bits");
        }
        if (val & VPRIME_ENG_CTRL_RESET) {
            engine_soft_reset(e);
        }
        e->control = val & VPRIME_ENG_CTRL_ENABLE;
        if (e->control) {
            vprime_engine_kick(e);
        } else {
            timer_del(e->timer);
            engine_update_status(e);
        }
        return true;
    case VPRIME_ENG_RING_HEAD:
    case VPRIME_ENG_FENCE_LO:
    case VPRIME_ENG_FENCE_HI:
    case VPRIME_ENG_STATUS:
    case VPRIME_ENG_ERROR:
        vprime_core_guest_error(&e->gpu->core, VPRIME_ERR_BAD_ACCESS,
                                VPRIME_ENGINE_BASE(e->idx) + reg,
                                "%s engine: write to read-only register",
                                e->name);
        return true;
    }
    return false;
}

void vprime_engine_init(VPrimeGpuState *s, unsigned idx, const char *name)
{
    VPrimeEngine *e = &s->engine[idx];

    e->gpu = s;
    e->idx = idx;
    e->name = name;
    e->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, engine_run, e);
    e->late_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, engine_late_irq, e);
    e->last_pages[false] = g_array_new(false, false, sizeof(VPrimePageRef));
    e->last_pages[true] = g_array_new(false, false, sizeof(VPrimePageRef));
}

void vprime_engine_fini(VPrimeEngine *e)
{
    timer_free(e->timer);
    e->timer = NULL;
    timer_free(e->late_timer);
    e->late_timer = NULL;
    g_array_free(e->last_pages[false], true);
    g_array_free(e->last_pages[true], true);
}

/* ---- migration ------------------------------------------------------- */

/*
 * An engine's page log (<engine>-last-{read,write}-pages) on the wire: the
 * number of pages, then each page address with bit 0 set for VRAM.
 */
static int get_page_log(QEMUFile *f, void *pv, size_t size,
                        const VMStateField *field)
{
    GArray *log = *(GArray **)pv;
    uint32_t n = qemu_get_be32(f), i;

    /* before anything is allocated for it */
    if (n > VPRIME_PAGE_LOG_MAX) {
        return vprime_load_refuse("vprime-gpu", "an engine page log of %u "
                                  "pages (at most %u)", n,
                                  VPRIME_PAGE_LOG_MAX);
    }
    g_array_set_size(log, 0);
    for (i = 0; i < n; i++) {
        uint64_t v = qemu_get_be64(f);
        VPrimePageRef ref = {
            .addr = v & ~(uint64_t)(VPRIME_GPU_PAGE_SIZE - 1),
            .vram = v & 1,
        };

        if (v & (VPRIME_GPU_PAGE_SIZE - 1) & ~1ULL) {
            g_array_set_size(log, 0);
            return vprime_load_refuse("vprime-gpu", "engine page log entry "
                                      "0x%" PRIx64 " is not a page", v);
        }
        g_array_append_val(log, ref);
    }
    return 0;
}

static int put_page_log(QEMUFile *f, void *pv, size_t size,
                        const VMStateField *field, JSONWriter *vmdesc)
{
    GArray *log = *(GArray **)pv;
    guint i;

    qemu_put_be32(f, log->len);
    for (i = 0; i < log->len; i++) {
        VPrimePageRef *r = &g_array_index(log, VPrimePageRef, i);

        qemu_put_be64(f, r->addr | r->vram);
    }
    return 0;
}

static const VMStateInfo vmstate_info_page_log = {
    .name = "vprime-page-log",
    .get = get_page_log,
    .put = put_page_log,
};

/* Rows or bytes a data command moves in all: its 'progress' when done */
static uint64_t cmd_total(const struct vprime_cmd *c)
{
    switch (c->opcode) {
    case VPRIME_OP_COPY:
        return c->copy.size;
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
        return c->rect.height;
    case VPRIME_OP_BLIT:
        return c->blit.height;
    default:
        return 0;
    }
}

static bool eng_error_known(uint32_t err)
{
    switch (err) {
    case 0:
    case VPRIME_ENG_ERR_BAD_OPCODE:
    case VPRIME_ENG_ERR_BAD_ARGS:
    case VPRIME_ENG_ERR_RING_DMA:
    case VPRIME_ENG_ERR_FENCE_DMA:
    case VPRIME_ENG_ERR_BAD_CTX:
    case VPRIME_ENG_ERR_DMA:
        return true;
    }
    return false;
}

/*
 * Why a loaded engine cannot run (NULL: it can).  The command in flight is
 * checked as the engine checks a command it fetches, so it resumes only
 * if it could have been fetched; progress is bounded by the command.
 */
static char *engine_check_loaded(VPrimeEngine *e)
{
    const uint32_t status_bits = VPRIME_ENG_STATUS_BUSY |
                                 VPRIME_ENG_STATUS_WAITING |
                                 VPRIME_ENG_STATUS_HALTED;
    const char *why = NULL;
    uint64_t bytes;

    if (e->ring_size &&
        (!is_power_of_2(e->ring_size) ||
         e->ring_size < VPRIME_RING_ENTRIES_MIN ||
         e->ring_size > VPRIME_RING_ENTRIES_MAX)) {
        return g_strdup_printf("RING_SIZE %u is not 0 or a power of two from "
                               "%u to %u", e->ring_size,
                               VPRIME_RING_ENTRIES_MIN,
                               VPRIME_RING_ENTRIES_MAX);
    }
    if (e->ring_size ? e->head >= e->ring_size || e->tail >= e->ring_size
                     : e->head || e->tail) {
        return g_strdup_printf("RING_HEAD %u or RING_TAIL %u outside a ring "
                               "of %u entries", e->head, e->tail,
                               e->ring_size);
    }
    if (e->ring_base % VPRIME_GPU_PAGE_SIZE) {
        return g_strdup_printf("RING_BASE 0x%" PRIx64 " is not 4 KiB aligned",
                               e->ring_base);
    }
    if (e->fence_addr % sizeof(uint64_t)) {
        return g_strdup_printf("FENCE_ADDR 0x%" PRIx64 " is not 8-byte "
                               "aligned", e->fence_addr);
    }
    if (e->control & ~VPRIME_ENG_CTRL_ENABLE) {
        return g_strdup_printf("CONTROL 0x%x has reserved bits", e->control);
    }
    if (e->status & ~status_bits) {
        return g_strdup_printf("STATUS 0x%x has reserved bits", e->status);
    }
    if (!eng_error_known(e->error)) {
        return g_strdup_printf("ERROR %u is no VPRIME_ENG_ERR_*", e->error);
    }
    if (!e->have_cmd) {
        return NULL;
    }
    if (engine_validate(e, &e->cmd, &bytes, &why)) {
        return g_strdup_printf("the command in flight (opcode %u) is "
                               "invalid: %s", e->cmd.opcode, why);
    }
    if (e->progress > cmd_total(&e->cmd) ||
        (e->cmd_done && e->progress != cmd_total(&e->cmd))) {
        return g_strdup_printf("progress %" PRIu64 " of the command in "
                               "flight (%s, %" PRIu64 " in all)", e->progress,
                               e->cmd_done ? "done" : "running",
                               cmd_total(&e->cmd));
    }
    return NULL;
}

static int vprime_engine_post_load(void *opaque, int version_id)
{
    VPrimeEngine *e = opaque;
    g_autofree char *why = engine_check_loaded(e);

    if (why) {
        vprime_engine_reset(e);
        return vprime_load_refuse(e->gpu->core.name, "%s engine: %s",
                                  e->name, why);
    }
    return 0;
}

/*
 * What runs migrates: the command in flight with its progress and
 * completion time, the engine timer, and what injected faults left under
 * way (a hung engine, a late interrupt on its way).  Not migrated: the
 * fault scripts' event counts (seq_*), which count from realize.
 */
const VMStateDescription vmstate_vprime_engine = {
    .name = "vprime-engine",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = vprime_engine_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(ring_base, VPrimeEngine),
        VMSTATE_UINT32(ring_size, VPrimeEngine),
        VMSTATE_UINT32(head, VPrimeEngine),
        VMSTATE_UINT32(tail, VPrimeEngine),
        VMSTATE_UINT64(fence_addr, VPrimeEngine),
        VMSTATE_UINT64(fence_value, VPrimeEngine),
        VMSTATE_UINT32(control, VPrimeEngine),
        VMSTATE_UINT32(status, VPrimeEngine),
        VMSTATE_UINT32(error, VPrimeEngine),
        VMSTATE_BOOL(have_cmd, VPrimeEngine),
        VMSTATE_BOOL(cmd_done, VPrimeEngine),
        VMSTATE_BUFFER_UNSAFE(cmd, VPrimeEngine, 1, sizeof(struct vprime_cmd)),
        VMSTATE_INT64(done_at, VPrimeEngine),
        VMSTATE_UINT64(progress, VPrimeEngine),
        VMSTATE_TIMER_PTR(timer, VPrimeEngine),
        VMSTATE_BOOL(hung, VPrimeEngine),
        VMSTATE_TIMER_PTR(late_timer, VPrimeEngine),
        VMSTATE_UINT64(stat_cmds, VPrimeEngine),
        VMSTATE_ARRAY(last_pages, VPrimeEngine, 2, 0, vmstate_info_page_log,
                      GArray *),
        VMSTATE_END_OF_LIST()
    }
};
