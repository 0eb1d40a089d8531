/*
 * vprime-display scanout: fetch, composition, CRC and presentation.
 *
 * "Panel self refresh": the engine fetches and composes only when the
 * picture can have changed (a latch, DAMAGE, CRC turned on, the head
 * turned on, a connector replugged).  Every other vblank fetches nothing
 * and copies nothing; the console keeps showing the last frame.
 *
 * Guest memory is mapped, not copied: the first frame that scans a buffer
 * maps the bytes its plane reads (vprime_core_dma_map, through the vIOMMU
 * if there is one) and keeps the mapping for the frames and flips that
 * show the buffer again, until the memory under it changes (a vIOMMU
 * invalidation, a BAR moving, bus mastering off: vprime_core_dma_watch)
 * or the head goes off.  What is not plain memory (MMIO) is read with
 * pci_dma_read at each frame, as a fetch always was.
 *
 * A frame that is a single linear primary plane covering the whole mode,
 * in one run of host memory, is shown without a copy: the console's
 * surface is the guest's memory (as bochs-display and VGA do).  Scattered
 * pages of guest RAM in a shared file are made one run by mapping them
 * side by side (map_start_view), a few at each vblank.  Any other frame
 * is built in the head's own pixman image: cleared to black, then the
 * primary, overlay and cursor planes (PIXMAN_OP_OVER, or SRC for opaque
 * formats, the same thing), each read by pixman straight from guest
 * memory where its rows are one run of host memory, else staged a band of
 * 32 rows at a time; tiled planes are de-tiled from guest memory a tile
 * row at a time.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "exec/ramblock.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "ui/console.h"
#include "ui/qemu-pixman.h"
#include "ui/surface.h"
#include <zlib.h>
#include "vprime-display.h"
#include "vprime_layout.h"
#include "trace.h"

/* Formats are little endian in memory, as pixman's on this host */
#if HOST_BIG_ENDIAN
#error "vprime device models need a little-endian host"
#endif

/* The latched geometry of a plane, in pixels and bytes */
typedef struct PlaneGeom {
    uint32_t sx, sy, w, h, dx, dy;
    uint32_t dw, dh;            /* shown at: w x h unless scaled */
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
    g->dw = VPRIME_X(vprime_plane_dst_size(r));
    g->dh = VPRIME_Y(vprime_plane_dst_size(r));
    g->cpp = vprime_format_cpp(r->format);
}

/* Buffer offset of source row y's first byte (linear) */
static uint64_t linear_row(const VPrimePlaneRegs *r, const PlaneGeom *g,
                           uint32_t y)
{
    return r->offset + (uint64_t)y * r->pitch + (uint64_t)g->sx * g->cpp;
}

/* Rows fetched at a time: a tile row (tiled layouts), or 32 (linear) */
static uint32_t band_height(const VPrimePlaneRegs *r)
{
    return r->layout == VPRIME_LAYOUT_LINEAR ? 32 :
           vprime_layout_tile_h(r->layout);
}

/* Tiled: the tiles a band (a tile row) covers, as a buffer range */
static void tiled_band(const VPrimePlaneRegs *r, const PlaneGeom *g,
                       uint64_t band, uint64_t *off, uint64_t *len)
{
    uint32_t tw = vprime_layout_tile_w(r->layout);
    uint64_t tiles_per_row = r->pitch / tw;
    uint32_t tx0 = g->sx * g->cpp / tw;
    uint32_t tx1 = ((g->sx + g->w) * g->cpp - 1) / tw;

    *off = r->offset + (band * tiles_per_row + tx0) * VPRIME_TILE_SIZE;
    *len = (uint64_t)(tx1 - tx0 + 1) * VPRIME_TILE_SIZE;
}

/* ---- mapping a plane's buffer ----------------------------------------- */

/* What identifies a plane's reads: its registers but where it is shown */
static VPrimePlaneRegs map_key(const VPrimePlaneRegs *r)
{
    VPrimePlaneRegs k = *r;

    k.dst_pos = 0;
    return k;
}

/* Drop a map's view (made or not) */
static void map_drop_view(VPrimeDisplayState *s, VPrimeScanMap *m)
{
    if (m->view) {
        munmap(m->view, m->view_size);
        s->view_runs -= m->nruns;
        m->view = NULL;
    }
}

static void map_free(VPrimeDisplayState *s, VPrimeScanMap *m)
{
    uint32_t i;

    map_drop_view(s, m);
    for (i = 0; i < m->nruns; i++) {
        if (m->runs[i].host) {
            vprime_core_dma_unmap(&s->core, m->runs[i].host, m->runs[i].len,
                                  false, 0);
        }
    }
    g_free(m->runs);
    g_free(m->pages);
    g_free(m);
}

/* A map being made */
typedef struct MapBuild {
    VPrimeDisplayState *s;
    VPrimeScanMap *m;
    GArray *runs;
    bool mapping;       /* false after a run that is not memory */
} MapBuild;

/*
 * Append [off, off + len) of the buffer at DMA address addr, mapped.
 * After the first part that is not memory (MMIO, or not translating:
 * the vIOMMU recorded that fault), the rest is not mapped but read by
 * DMA at each frame, so that one bad page is one fault, not one per page.
 */
static void map_add_run(MapBuild *b, uint64_t off, uint64_t len,
                        dma_addr_t addr)
{
    while (len) {
        VPrimeScanRun run = { .off = off, .addr = addr, .len = len,
                              .kind = VPRIME_DMA__MAX };
        dma_addr_t n = len;

        if (b->mapping) {
            run.host = vprime_core_dma_map(&b->s->core, addr, &n, false,
                                           &run.kind);
            if (run.host) {
                run.len = MIN(n, len);
            } else {
                b->mapping = false;
                run.kind = VPRIME_DMA__MAX;     /* known once read */
            }
        }
        if (b->runs->len) {
            VPrimeScanRun *prev = &g_array_index(b->runs, VPrimeScanRun,
                                                 b->runs->len - 1);

            run.group = prev->group;
            if (!run.host || !prev->host ||
                run.host - run.off != prev->host - prev->off) {
                run.group++;
            }
        }
        g_array_append_val(b->runs, run);
        off += run.len;
        addr += run.len;
        len -= run.len;
    }
}

/* Map [off, off + len) of the plane's buffer, split where its pages are */
static void map_add_range(MapBuild *b, uint64_t off, uint64_t len)
{
    const VPrimeScanMap *m = b->m;

    while (len) {
        uint64_t idx = off / VPRIME_DISP_PAGE_SIZE;
        uint64_t in_page = off % VPRIME_DISP_PAGE_SIZE;
        dma_addr_t addr;
        uint64_t n;

        if (!m->pages) {
            map_add_run(b, off, len, m->regs.addr + off);
            return;
        }
        addr = m->pages[idx] + in_page;
        n = MIN(len, VPRIME_DISP_PAGE_SIZE - in_page);
        while (n < len &&
               m->pages[idx + 1] == m->pages[idx] + VPRIME_DISP_PAGE_SIZE) {
            idx++;
            n += MIN(len - n, VPRIME_DISP_PAGE_SIZE);
        }
        map_add_run(b, off, n, addr);
        off += n;
        len -= n;
    }
}

/*
 * Put the runs of a map side by side in one range of host addresses, so
 * that the console can show the buffer as it is: each run's guest RAM is
 * mapped again, from the memory backend's file.  Only for RAM in a shared
 * file (memory-backend-memfd,share=on: a private mapping's pages would be
 * copies) with the host's page size.  Here the range is reserved; the
 * runs are mapped into it at the next vblanks (map_grow_view).
 */
static void map_start_view(VPrimeDisplayState *s, VPrimeScanMap *m)
{
    const uint64_t pg = qemu_real_host_page_size();
    const VPrimeScanRun *last = &m->runs[m->nruns - 1];
    uint64_t first = ROUND_DOWN(m->runs[0].off, pg);
    size_t size = ROUND_UP(last->off + last->len, pg) - first;
    uint8_t *view;
    uint32_t i;

    if (s->view_runs + m->nruns > VPRIME_DISP_VIEW_RUNS_MAX) {
        return;
    }
    for (i = 0; i < m->nruns; i++) {
        ram_addr_t ram_off;
        RAMBlock *rb;

        if (!m->runs[i].host) {
            return;
        }
        WITH_RCU_READ_LOCK_GUARD() {
            rb = qemu_ram_block_from_host(m->runs[i].host, false, &ram_off);
        }
        if (!rb || qemu_ram_get_fd(rb) < 0 || !qemu_ram_is_shared(rb) ||
            qemu_ram_pagesize(rb) != pg ||
            ram_off % pg != m->runs[i].off % pg) {
            return;
        }
    }
    view = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
                MAP_NORESERVE, -1, 0);
    if (view == MAP_FAILED) {
        return;
    }
    m->view = view;
    m->view_size = size;
    m->view_off = first;
    m->view_done = 0;
    s->view_runs += m->nruns;
}

/*
 * Map up to 'budget' more runs into the map's view; returns how many.
 * A run the host cannot map (the map count is exhausted) drops the view:
 * the buffer is then composed, as without one.
 */
static uint32_t map_grow_view(VPrimeDisplayState *s, VPrimeScanMap *m,
                              uint32_t budget)
{
    const uint64_t pg = qemu_real_host_page_size();
    uint32_t done = 0;

    while (m->view && m->view_done < m->nruns && done < budget) {
        const VPrimeScanRun *r = &m->runs[m->view_done];
        uint64_t start = ROUND_DOWN(r->off, pg);
        uint64_t len = ROUND_UP(r->off + r->len, pg) - start;
        ram_addr_t ram_off;
        RAMBlock *rb;

        /* the map holds a reference on the run's memory: rb stays */
        WITH_RCU_READ_LOCK_GUARD() {
            rb = qemu_ram_block_from_host(r->host, false, &ram_off);
        }
        if (!rb || mmap(m->view + (start - m->view_off), len, PROT_READ,
                        MAP_SHARED | MAP_FIXED, qemu_ram_get_fd(rb),
                        rb->fd_offset + ram_off - r->off % pg) ==
                   MAP_FAILED) {
            map_drop_view(s, m);
            break;
        }
        m->view_done++;
        done++;
    }
    return done;
}

static bool map_view_ready(const VPrimeScanMap *m)
{
    return m->view && m->view_done == m->nruns;
}

bool vprime_disp_grow_views(VPrimeHead *h)
{
    uint32_t budget = VPRIME_DISP_VIEW_RUNS_PER_VBLANK;
    unsigned p, i;

    for (p = 0; p < VPRIME_DISP_PLANES && budget; p++) {
        VPrimePlane *pl = &h->plane[p];

        /* what the plane scans now first */
        if (pl->cur) {
            budget -= map_grow_view(h->s, pl->cur, budget);
        }
        for (i = 0; i < VPRIME_DISP_MAPS_PER_PLANE && budget; i++) {
            if (pl->maps[i]) {
                budget -= map_grow_view(h->s, pl->maps[i], budget);
            }
        }
    }
    /* views still waiting for runs: the next vblank maps more */
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        for (i = 0; i < VPRIME_DISP_MAPS_PER_PLANE; i++) {
            const VPrimeScanMap *m = h->plane[p].maps[i];

            if (m && m->view && !map_view_ready(m)) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Map the bytes a plane reads: its source rows (linear) or the tile rows
 * they lie in (tiled), ranges that touch merged.  'view': the plane could
 * be shown as it is, if it is one range of host memory: make it one.
 */
static VPrimeScanMap *map_new(VPrimeDisplayState *s, const VPrimePlane *pl,
                              bool view)
{
    VPrimeScanMap *m = g_new0(VPrimeScanMap, 1);
    MapBuild b = {
        .s = s, .m = m, .mapping = true,
        .runs = g_array_new(false, false, sizeof(VPrimeScanRun)),
    };
    const VPrimePlaneRegs *r = &pl->active;
    uint64_t start = 0, end = 0, off, len, i;
    PlaneGeom g;

    m->regs = map_key(r);
    if (pl->pages) {
        m->pages = g_memdup2(pl->pages, pl->npages * sizeof(uint64_t));
        m->npages = pl->npages;
    }
    plane_geom(r, &g);
    for (i = 0; ; i++) {
        bool last;

        if (r->layout != VPRIME_LAYOUT_LINEAR) {
            uint32_t th = vprime_layout_tile_h(r->layout);
            uint64_t b0 = g.sy / th;

            tiled_band(r, &g, b0 + i, &off, &len);
            last = b0 + i == (g.sy + g.h - 1) / th;
        } else {
            off = linear_row(r, &g, g.sy + i);
            len = (uint64_t)g.w * g.cpp;
            last = i == g.h - 1;
        }
        if (!i) {
            start = off;
        } else if (off != end) {
            map_add_range(&b, start, end - start);
            start = off;
        }
        end = off + len;
        if (last) {
            break;
        }
    }
    map_add_range(&b, start, end - start);

    m->nruns = b.runs->len;
    m->runs = (VPrimeScanRun *)g_array_free(b.runs, false);
    m->lo = UINT64_MAX;
    for (i = 0; i < m->nruns; i++) {
        m->lo = MIN(m->lo, m->runs[i].addr);
        m->hi = MAX(m->hi, m->runs[i].addr + m->runs[i].len);
        if (m->runs[i].host) {
            m->bytes[m->runs[i].kind] += m->runs[i].len;
        }
    }
    if (view && m->runs[0].group != m->runs[m->nruns - 1].group) {
        map_start_view(s, m);
    }
    return m;
}

static bool map_matches(const VPrimeScanMap *m, const VPrimePlane *pl)
{
    const VPrimePlaneRegs *a = &m->regs, *b = &pl->active;

    /* field by field: the struct has padding */
    return a->control == b->control && a->format == b->format &&
           a->layout == b->layout && a->pitch == b->pitch &&
           a->addr == b->addr && a->fb_size == b->fb_size &&
           a->offset == b->offset && a->src_pos == b->src_pos &&
           a->size == b->size && m->npages == pl->npages &&
           (!pl->npages ||
            !memcmp(m->pages, pl->pages, pl->npages * sizeof(uint64_t)));
}

static void show_placeholder(VPrimeHead *o, VPrimeDispShown what);
static void pipe_placeholder(VPrimeHead *h, VPrimeDispShown what);

/*
 * The head stops showing guest memory; the caller presents what it shows
 * instead before anything is unmapped.
 */
static void head_forget_alias(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    unsigned j;

    for (j = 0; j < s->heads; j++) {
        VPrimeHead *o = &s->head[j];

        if (o->src == h && o->shown == VPRIME_DISP_SHOWN_ALIAS) {
            o->shown = VPRIME_DISP_SHOWN_NONE;
            o->src = NULL;
        }
    }
    h->alias = NULL;
    qemu_pixman_image_unref(h->alias_img);
    h->alias_img = NULL;
}

/*
 * The memory the console shows is about to be unmapped: the console shows
 * a copy of the same picture in the head's frame from now on (the next
 * composed frame fetches anew).
 */
static void head_unalias(VPrimeHead *h)
{
    if (!h->alias) {
        return;
    }
    if (h->fb) {
        pixman_image_t *img = h->alias_img;

        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, h->fb,
                                 0, 0, 0, 0, 0, 0,
                                 pixman_image_get_width(h->fb),
                                 pixman_image_get_height(h->fb));
        h->s->stat_copied += (uint64_t)pixman_image_get_width(img) *
            pixman_image_get_height(img) *
            PIXMAN_FORMAT_BPP(pixman_image_get_format(img)) / 8;
        head_forget_alias(h);
        vprime_disp_present(h);
    } else {
        pipe_placeholder(h, VPRIME_DISP_SHOWN_OFF);
        head_forget_alias(h);
        h->fb_composed = false;
    }
}

/* Forget a mapping of plane p, unmapping it */
static void plane_drop_map(VPrimeHead *h, VPrimePlane *pl, unsigned slot)
{
    VPrimeScanMap *m = pl->maps[slot];

    if (!m) {
        return;
    }
    if (h->alias == m) {
        head_unalias(h);
    }
    if (pl->cur == m) {
        pl->cur = NULL;
    }
    pl->maps[slot] = NULL;
    map_free(h->s, m);
}

void vprime_disp_drop_maps(VPrimeHead *h)
{
    unsigned p, i;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        for (i = 0; i < VPRIME_DISP_MAPS_PER_PLANE; i++) {
            plane_drop_map(h, &h->plane[p], i);
        }
    }
}

/* vprime_core_dma_watch: guest memory at [addr, addr + len) changed */
static void disp_dma_invalidate(void *opaque, dma_addr_t addr, uint64_t len)
{
    VPrimeDisplayState *s = opaque;
    unsigned hd, p, i;
    uint32_t r;

    for (hd = 0; hd < s->heads; hd++) {
        VPrimeHead *h = &s->head[hd];

        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            for (i = 0; i < VPRIME_DISP_MAPS_PER_PLANE; i++) {
                VPrimeScanMap *m = h->plane[p].maps[i];

                if (!m || (len && (addr >= m->hi || addr + len <= m->lo))) {
                    continue;
                }
                for (r = 0; r < m->nruns; r++) {
                    const VPrimeScanRun *run = &m->runs[r];

                    if (run->host &&
                        (!len || (addr < run->addr + run->len &&
                                  addr + len > run->addr))) {
                        plane_drop_map(h, &h->plane[p], i);
                        break;
                    }
                }
            }
        }
    }
}

/*
 * The mapping of what plane p scans now: kept from an earlier frame, or
 * made now (evicting the one used longest ago).  Without 'keep' (the
 * device may keep no mapping: a vIOMMU that does not report unmaps) the
 * map is the caller's, to free after the frame.
 */
static VPrimeScanMap *plane_map(VPrimeHead *h, VPrimePlane *pl, bool keep)
{
    VPrimeDisplayState *s = h->s;
    const VPrimePlaneRegs *r = &pl->active;
    /* a plane the console could show as it is (head_alias_image) */
    bool view = pl == &h->plane[VPRIME_PLANE_PRIMARY] &&
                r->layout == VPRIME_LAYOUT_LINEAR && !r->dst_pos &&
                r->size == h->active.mode_size &&
                !vprime_plane_transformed(r);
    unsigned i, victim = 0;

    if (pl->cur) {
        pl->cur->used = h->seq_frames;
        return pl->cur;
    }
    for (i = 0; keep && i < VPRIME_DISP_MAPS_PER_PLANE; i++) {
        VPrimeScanMap *m = pl->maps[i];

        if (m && map_matches(m, pl)) {
            m->used = h->seq_frames;
            pl->cur = m;
            return m;
        }
        if (!m || (pl->maps[victim] && m->used < pl->maps[victim]->used)) {
            victim = i;
        }
    }
    if (!keep) {
        return map_new(s, pl, false);
    }
    plane_drop_map(h, pl, victim);
    pl->maps[victim] = pl->cur = map_new(s, pl, view);
    pl->cur->used = h->seq_frames;
    return pl->cur;
}

/* The run holding byte off of the map (which holds it) */
static const VPrimeScanRun *map_find(const VPrimeScanMap *m, uint64_t off)
{
    uint32_t lo = 0, hi = m->nruns;

    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;

        if (m->runs[mid].off <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return &m->runs[lo];
}

/*
 * The host address of buffer bytes [first, last] if every byte the plane
 * reads among them is mapped in one run of host memory, else NULL
 */
static uint8_t *map_linear(const VPrimeScanMap *m, uint64_t first,
                           uint64_t last)
{
    const VPrimeScanRun *a = map_find(m, first), *b = map_find(m, last);

    if (map_view_ready(m)) {
        return m->view + (first - m->view_off);
    }
    if (!a->host || a->group != b->group) {
        return NULL;
    }
    return a->host + (first - a->off);
}

/*
 * Count a frame's reads of the mapped bytes in [off, off + len) by the
 * kind of memory (the gaps between rows are not read)
 */
static void map_count(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                      uint64_t off, uint64_t len)
{
    const VPrimeScanRun *run = map_find(m, off);
    const VPrimeScanRun *end = m->runs + m->nruns;

    for (; run < end && run->off < off + len; run++) {
        uint64_t a = MAX(off, run->off);
        uint64_t z = MIN(off + len, run->off + run->len);

        if (z > a && run->host) {
            trace_vprime_disp_fetch(h->s->core.name, h->idx, p,
                                    run->addr + (a - run->off), z - a);
            vprime_head_count_read(h, run->kind, z - a);
        }
    }
}

/*
 * Count (and trace, as the engine's fetch of this frame) a frame's reads
 * of everything a map holds, all of it mapped
 */
static void map_count_all(VPrimeHead *h, unsigned p, const VPrimeScanMap *m)
{
    if (!m->nruns) {
        return;
    }
    map_count(h, p, m, 0, m->runs[m->nruns - 1].off +
                          m->runs[m->nruns - 1].len);
}

/*
 * Read bytes [off, off + len) of the plane's buffer, which the plane
 * reads: from the mapping, or by pci_dma_read where it is not memory.
 */
static bool plane_read(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                       uint64_t off, uint8_t *buf, uint64_t len)
{
    VPrimeDisplayState *s = h->s;
    const VPrimeScanRun *run = map_find(m, off);

    while (len) {
        uint64_t in_run = off - run->off;
        uint64_t n = MIN(len, run->len - in_run);
        dma_addr_t addr = run->addr + in_run;

        VPrimeDmaTarget kind = run->kind;

        trace_vprime_disp_fetch(s->core.name, h->idx, p, addr, n);
        if (run->host) {
            memcpy(buf, run->host + in_run, n);
        } else if (pci_dma_read(PCI_DEVICE(s), addr, buf, n) != MEMTX_OK) {
            trace_vprime_disp_underrun(s->core.name, h->idx, p, addr);
            qemu_log_mask(LOG_GUEST_ERROR, "%s: head %u plane %u: scanout "
                          "of 0x%" PRIx64 " failed: underrun\n", s->core.name,
                          h->idx, p, (uint64_t)addr);
            return false;
        } else {
            kind = vprime_core_dma_target(&s->core, addr, false);
        }
        vprime_head_count_read(h, kind, n);
        s->stat_copied += n;
        off += n;
        buf += n;
        len -= n;
        run++;
    }
    return true;
}

/* ---- fetch ------------------------------------------------------------ */

/*
 * Fetch source rows [y0, y1) of a linear plane, all in one band of 32
 * rows, to dst (row y0 first): one read per row.
 */
static bool fetch_linear(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                         const PlaneGeom *g, uint32_t y0, uint32_t y1,
                         uint8_t *dst, size_t stride)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    uint32_t y;

    for (y = y0; y < y1; y++) {
        if (!plane_read(h, p, m, linear_row(r, g, y), dst,
                        (uint64_t)g->w * g->cpp)) {
            return false;
        }
        dst += stride;
    }
    return true;
}

/*
 * Tiled layouts (as the GPUs'): a band of rows [y0, y1) in one tile row,
 * de-tiled from the row of 4 KiB tiles in guest memory (or, where it is
 * not one run of host memory, read in one go first), a run of
 * vprime_layout_run() bytes at a time.
 */
static bool fetch_tiled(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                        const PlaneGeom *g, uint32_t y0, uint32_t y1,
                        uint8_t *dst, size_t stride)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    uint32_t layout = r->layout;
    uint32_t tw = vprime_layout_tile_w(layout);
    uint32_t th = vprime_layout_tile_h(layout);
    uint32_t xb0 = g->sx * g->cpp, xb1 = (g->sx + g->w) * g->cpp;
    uint32_t tx0 = xb0 / tw;
    uint64_t off, len;
    const uint8_t *tiles;
    uint32_t y, xb;

    tiled_band(r, g, y0 / th, &off, &len);
    tiles = map_linear(m, off, off + len - 1);
    if (tiles) {
        map_count(h, p, m, off, len);
        h->s->stat_copied += (uint64_t)(y1 - y0) * (xb1 - xb0);
    } else {
        if (!plane_read(h, p, m, off, h->s->bounce, len)) {
            return false;
        }
        tiles = h->s->bounce;
    }
    for (y = y0; y < y1; y++) {
        for (xb = xb0; xb < xb1;) {
            uint32_t n = MIN(vprime_layout_run(layout, xb), xb1 - xb);
            uint32_t t = xb / tw - tx0;
            const uint8_t *from = tiles + t * VPRIME_TILE_SIZE +
                vprime_layout_in_tile(layout, xb % tw, y % th);

            if (n == 16) {
                /* a constant size: the compiler's moves, not a call */
                memcpy(dst + xb - xb0, from, 16);
            } else {
                memcpy(dst + xb - xb0, from, n);
            }
            xb += n;
        }
        dst += stride;
    }
    return true;
}

static bool fetch_rows(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                       const PlaneGeom *g, uint32_t y0, uint32_t y1,
                       uint8_t *dst, size_t stride)
{
    if (h->plane[p].active.layout != VPRIME_LAYOUT_LINEAR) {
        return fetch_tiled(h, p, m, g, y0, y1, dst, stride);
    }
    return fetch_linear(h, p, m, g, y0, y1, dst, stride);
}

/*
 * A pixman image of source rows [y0, y0 + rows) of a linear plane, over
 * guest memory itself, or NULL if they are not one run of host memory
 * pixman can address (rows 4-byte aligned).  'fmt' overrides the
 * plane's format (0: none).
 */
static pixman_image_t *plane_guest_image(const VPrimePlane *pl,
                                         const VPrimeScanMap *m,
                                         const PlaneGeom *g, uint32_t y0,
                                         uint32_t rows,
                                         pixman_format_code_t fmt)
{
    const VPrimePlaneRegs *r = &pl->active;
    uint64_t first = linear_row(r, g, y0);
    uint8_t *p;

    if (r->layout != VPRIME_LAYOUT_LINEAR || r->pitch % 4) {
        return NULL;
    }
    p = map_linear(m, first, linear_row(r, g, y0 + rows - 1) +
                             (uint64_t)g->w * g->cpp - 1);
    if (!p || (uintptr_t)p % 4) {
        return NULL;
    }
    return pixman_image_create_bits(fmt ? fmt
                                        : vprime_format_pixman(r->format),
                                    g->w, rows, (uint32_t *)p, r->pitch);
}

/*
 * The plane's staging image: one band of rows in the plane's own format
 * (pixman converts while blending), kept while size and format stay.
 */
static pixman_image_t *plane_image(VPrimePlane *pl, const PlaneGeom *g)
{
    pixman_format_code_t fmt = vprime_format_pixman(pl->active.format);
    uint32_t rows = MIN(g->h, band_height(&pl->active));

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

/* ---- YUV ---------------------------------------------------------------- */

/*
 * Read bytes [off, off + len) of framebuffer plane i of a YUV plane by
 * DMA, through its page list (or from its contiguous buffer).  YUV planes
 * are not mapped: every composed frame reads them.
 */
static bool fbp_read(VPrimeHead *h, unsigned p, unsigned i, uint64_t off,
                     uint8_t *buf, uint64_t len)
{
    VPrimeDisplayState *s = h->s;
    const VPrimePlane *pl = &h->plane[p];
    const VPrimePlaneRegs *r = &pl->active;
    bool contig = r->control & VPRIME_PL_CTRL_CONTIG;
    uint64_t base = i ? r->fbp[i - 1].addr : r->addr;
    const uint64_t *pages = i ? pl->fbp_pages[i - 1] : pl->pages;

    while (len) {
        uint64_t in_page = off % VPRIME_DISP_PAGE_SIZE;
        uint64_t n = contig ? len : MIN(len, VPRIME_DISP_PAGE_SIZE - in_page);
        dma_addr_t addr = contig ? base + off
                                 : pages[off / VPRIME_DISP_PAGE_SIZE] + in_page;

        trace_vprime_disp_fetch(s->core.name, h->idx, p, addr, n);
        if (pci_dma_read(PCI_DEVICE(s), addr, buf, n) != MEMTX_OK) {
            trace_vprime_disp_underrun(s->core.name, h->idx, p, addr);
            qemu_log_mask(LOG_GUEST_ERROR, "%s: head %u plane %u: scanout "
                          "of 0x%" PRIx64 " failed: underrun\n", s->core.name,
                          h->idx, p, (uint64_t)addr);
            return false;
        }
        vprime_head_count_read(h, vprime_core_dma_target(&s->core, addr, false),
                               n);
        s->stat_copied += n;
        off += n;
        buf += n;
        len -= n;
    }
    return true;
}

/*
 * YUV to RGB, in 16.16 fixed point: the coefficients of the spec's table
 * (round(65536 x the real coefficient)) by [BT.709][full range]: cy for
 * Y - y0, crv for V - 128 in R, cgu and cgv for U - 128 and V - 128 in
 * G, cbu for U - 128 in B
 */
static const struct {
    int32_t y0, cy, crv, cgu, cgv, cbu;
} yuv_coef[2][2] = {
    { { 16, 76309, 104597, 25675, 53279, 132201 },     /* BT.601 limited */
      { 0, 65536, 91881, 22553, 46802, 116130 } },     /* BT.601 full */
    { { 16, 76309, 117489, 13975, 34925, 138438 },     /* BT.709 limited */
      { 0, 65536, 103206, 12276, 30679, 121609 } },    /* BT.709 full */
};

static inline uint32_t yuv_clamp(int32_t v)
{
    /* floor((v + 32768) / 65536): an arithmetic shift */
    v = (v + 32768) >> 16;
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/*
 * A YUV plane's source rectangle as x8r8g8b8: each pixel (x, y) of the
 * buffer takes Y from framebuffer plane 0 and U, V of chroma sample
 * (x / 2, y / 2) (nearest, no filter), converted by the plane's
 * VPRIME_PL_YUV.  NULL on a DMA error.
 */
static pixman_image_t *yuv_source(VPrimeHead *h, unsigned p,
                                  const PlaneGeom *g)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    bool nv12 = r->format == VPRIME_FMT_NV12;
    typeof(yuv_coef[0][0]) *c =
        &yuv_coef[!!(r->yuv & VPRIME_PL_YUV_BT709)]
                 [!!(r->yuv & VPRIME_PL_YUV_FULL)];
    uint32_t cx0 = g->sx / 2, cy0 = g->sy / 2;
    uint32_t cw = (g->sx + g->w - 1) / 2 - cx0 + 1;
    uint32_t ch = (g->sy + g->h - 1) / 2 - cy0 + 1;
    g_autofree uint8_t *luma = g_malloc((size_t)g->w * g->h);
    g_autofree uint8_t *u = g_malloc((size_t)cw * ch * 2);
    uint8_t *v = u + (size_t)cw * ch;
    g_autofree uint8_t *uv = nv12 ? g_malloc((size_t)cw * ch * 2) : NULL;
    pixman_image_t *img;
    uint32_t x, y;

    for (y = 0; y < g->h; y++) {
        if (!fbp_read(h, p, 0, r->offset + (uint64_t)(g->sy + y) * r->pitch +
                      g->sx, luma + (size_t)y * g->w, g->w)) {
            return NULL;
        }
    }
    for (y = 0; y < ch; y++) {
        if (nv12) {
            if (!fbp_read(h, p, 1, r->fbp[0].offset +
                          (uint64_t)(cy0 + y) * r->fbp[0].pitch + 2 * cx0,
                          uv + (size_t)y * cw * 2, (uint64_t)cw * 2)) {
                return NULL;
            }
            for (x = 0; x < cw; x++) {
                u[y * cw + x] = uv[(y * cw + x) * 2];
                v[y * cw + x] = uv[(y * cw + x) * 2 + 1];
            }
        } else if (!fbp_read(h, p, 1, r->fbp[0].offset +
                             (uint64_t)(cy0 + y) * r->fbp[0].pitch + cx0,
                             u + (size_t)y * cw, cw) ||
                   !fbp_read(h, p, 2, r->fbp[1].offset +
                             (uint64_t)(cy0 + y) * r->fbp[1].pitch + cx0,
                             v + (size_t)y * cw, cw)) {
            return NULL;
        }
    }
    img = pixman_image_create_bits(PIXMAN_x8r8g8b8, g->w, g->h, NULL, 0);
    if (!img) {
        return NULL;
    }
    for (y = 0; y < g->h; y++) {
        uint32_t *out = (uint32_t *)((uint8_t *)pixman_image_get_data(img) +
                                     y * pixman_image_get_stride(img));
        uint32_t crow = ((g->sy + y) / 2 - cy0) * cw;

        for (x = 0; x < g->w; x++) {
            uint32_t ci = crow + (g->sx + x) / 2 - cx0;
            int32_t yy = c->cy * ((int32_t)luma[y * g->w + x] - c->y0);
            int32_t uu = (int32_t)u[ci] - 128, vv = (int32_t)v[ci] - 128;

            out[x] = 0xff000000u |
                     yuv_clamp(yy + c->crv * vv) << 16 |
                     yuv_clamp(yy - c->cgu * uu - c->cgv * vv) << 8 |
                     yuv_clamp(yy + c->cbu * uu);
        }
    }
    return img;
}

/*
 * The whole source rectangle of a plane as a pixman image in its format:
 * over guest memory if its rows are one run of host memory, else fetched
 * into a new image.  NULL on a DMA error (or no host memory).  A YUV
 * plane's is converted to x8r8g8b8.
 */
static pixman_image_t *plane_source(VPrimeHead *h, unsigned p,
                                    const VPrimeScanMap *m,
                                    const PlaneGeom *g)
{
    VPrimePlane *pl = &h->plane[p];
    pixman_image_t *src;
    uint32_t y0, y1;

    if (vprime_format_yuv(pl->active.format)) {
        return yuv_source(h, p, g);
    }
    src = plane_guest_image(pl, m, g, g->sy, g->h, 0);

    if (src) {
        map_count_all(h, p, m);
        h->s->stat_copied += (uint64_t)g->w * g->h * g->cpp;
        return src;
    }
    src = pixman_image_create_bits(vprime_format_pixman(pl->active.format),
                                   g->w, g->h, NULL, 0);
    if (!src) {
        return NULL;
    }
    for (y0 = g->sy; y0 < g->sy + g->h; y0 = y1) {
        y1 = MIN(g->sy + g->h, ROUND_DOWN(y0, band_height(&pl->active)) +
                               band_height(&pl->active));
        if (!fetch_rows(h, p, m, g, y0, y1,
                        (uint8_t *)pixman_image_get_data(src) +
                        (y0 - g->sy) * pixman_image_get_stride(src),
                        pixman_image_get_stride(src))) {
            pixman_image_unref(src);
            return NULL;
        }
    }
    return src;
}

/*
 * Rotation and reflection, a permutation of the pixels: reflect-x maps
 * source pixel (x, y) of the w x h rectangle to (w - 1 - x, y), reflect-y
 * to (x, h - 1 - y); then a counter-clockwise turn of 90 degrees maps
 * (x, y) to (y, w - 1 - x) of an h x w image, 180 to (w - 1 - x,
 * h - 1 - y), 270 to (h - 1 - y, x).  Returns the rotated image (src's
 * reference passed on).
 */
static pixman_image_t *rotate_image(pixman_image_t *src, uint32_t control)
{
    uint32_t cpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(src)) / 8;
    uint32_t w = pixman_image_get_width(src), h = pixman_image_get_height(src);
    uint32_t turn = (control & VPRIME_PL_CTRL_ROTATE_MASK) >>
                    VPRIME_PL_CTRL_ROTATE_SHIFT;
    uint32_t ow = turn & 1 ? h : w, oh = turn & 1 ? w : h;
    pixman_image_t *dst = pixman_image_create_bits(
        pixman_image_get_format(src), ow, oh, NULL, 0);
    const uint8_t *sbits = (const uint8_t *)pixman_image_get_data(src);
    size_t sstride = pixman_image_get_stride(src);
    uint8_t *dbits;
    size_t dstride;
    uint32_t x, y;

    if (!dst) {
        pixman_image_unref(src);
        return NULL;
    }
    dbits = (uint8_t *)pixman_image_get_data(dst);
    dstride = pixman_image_get_stride(dst);
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            uint32_t rx = control & VPRIME_PL_CTRL_REFLECT_X ? w - 1 - x : x;
            uint32_t ry = control & VPRIME_PL_CTRL_REFLECT_Y ? h - 1 - y : y;
            uint32_t tx, ty;

            switch (turn) {
            case 1:
                tx = ry;
                ty = w - 1 - rx;
                break;
            case 2:
                tx = w - 1 - rx;
                ty = h - 1 - ry;
                break;
            case 3:
                tx = h - 1 - ry;
                ty = rx;
                break;
            default:
                tx = rx;
                ty = ry;
                break;
            }
            memcpy(dbits + ty * dstride + tx * cpp,
                   sbits + y * sstride + x * cpp, cpp);
        }
    }
    pixman_image_unref(src);
    return dst;
}

/* pixman's x * a / 255 for 8-bit channels */
static inline uint32_t mul_un8(uint32_t x, uint32_t a)
{
    uint32_t t = x * a + 0x80;

    return (t + (t >> 8)) >> 8;
}

/*
 * Plane alpha and blend mode: the source as pre-multiplied a8r8g8b8 that
 * OVER blends as DRM's "pixel blend mode" says, with pa = the plane
 * alpha's top 8 bits and mul() pixman's rounding: Pre-multiplied c' =
 * mul(c, pa), a' = mul(a, pa); Coverage k = mul(a, pa), c' = mul(c, k),
 * a' = k; None c' = mul(c, pa), a' = pa.  Formats without alpha have
 * a = 255.  Returns the new image (src's reference passed on).
 */
static pixman_image_t *blend_image(pixman_image_t *src, uint32_t blend)
{
    uint32_t w = pixman_image_get_width(src), h = pixman_image_get_height(src);
    uint32_t pa = (blend & VPRIME_BLEND_ALPHA_MASK) >> 8;
    uint32_t mode = blend >> VPRIME_BLEND_MODE_SHIFT;
    pixman_image_t *dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, w, h,
                                                   NULL, 0);
    uint32_t x, y;

    if (dst) {
        pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0,
                                 0, 0, w, h);
    }
    pixman_image_unref(src);
    if (!dst) {
        return NULL;
    }
    for (y = 0; y < h; y++) {
        uint32_t *px = (uint32_t *)((uint8_t *)pixman_image_get_data(dst) +
                                    y * pixman_image_get_stride(dst));

        for (x = 0; x < w; x++) {
            uint32_t a = px[x] >> 24, k = pa, out;
            int sh;

            if (mode == VPRIME_BLEND_COVERAGE) {
                k = mul_un8(a, pa);
            } else if (mode == VPRIME_BLEND_PREMULTI) {
                a = mul_un8(a, pa);
            }
            out = (mode == VPRIME_BLEND_PREMULTI ? a : k) << 24;
            for (sh = 0; sh < 24; sh += 8) {
                out |= mul_un8((px[x] >> sh) & 0xff, k) << sh;
            }
            px[x] = out;
        }
    }
    return dst;
}

/*
 * Nearest neighbour scaling, exact in integers: destination pixel (x, y)
 * of a dw x dh plane shows pixel ((2x + 1) * w / (2 dw),
 * (2y + 1) * h / (2 dh)) of the w x h (rotated) source, the one under its
 * centre (rounding down).
 */
static pixman_image_t *scale_nearest(pixman_image_t *src, const PlaneGeom *g)
{
    pixman_image_t *dst = pixman_image_create_bits(
        pixman_image_get_format(src), g->dw, g->dh, NULL, 0);
    const uint8_t *sbits = (const uint8_t *)pixman_image_get_data(src);
    size_t sstride = pixman_image_get_stride(src);
    uint32_t w = pixman_image_get_width(src), h = pixman_image_get_height(src);
    uint32_t cpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(src)) / 8;
    g_autofree uint32_t *col = g_new(uint32_t, g->dw);
    uint32_t x, y;

    if (!dst) {
        return NULL;
    }
    for (x = 0; x < g->dw; x++) {
        col[x] = ((2 * (uint64_t)x + 1) * w / (2 * (uint64_t)g->dw)) * cpp;
    }
    for (y = 0; y < g->dh; y++) {
        const uint8_t *row = sbits + sstride *
            ((2 * (uint64_t)y + 1) * h / (2 * (uint64_t)g->dh));
        uint8_t *out = (uint8_t *)pixman_image_get_data(dst) +
                       y * pixman_image_get_stride(dst);

        if (cpp == 4) {
            for (x = 0; x < g->dw; x++) {
                memcpy(out + 4 * x, row + col[x], 4);
            }
        } else {
            for (x = 0; x < g->dw; x++) {
                memcpy(out + cpp * x, row + col[x], cpp);
            }
        }
    }
    return dst;
}

/*
 * A scaled, rotated or blended plane: the source rectangle fetched whole,
 * made pre-multiplied ARGB by its plane alpha and blend mode
 * (blend_image), rotated and reflected (rotate_image), then blended
 * unscaled, or scaled by nearest neighbour (VPRIME_PL_CTRL_NEAREST) and
 * blended, or blended through pixman's bilinear filter (the edge pixels
 * extended outwards, PIXMAN_REPEAT_PAD) with a transform of w / dw,
 * h / dh in 16.16 fixed point, truncated.
 */
static bool plane_compose_transformed(VPrimeHead *h, unsigned p,
                                      const VPrimeScanMap *m,
                                      const PlaneGeom *g, pixman_op_t op)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    pixman_image_t *src = plane_source(h, p, m, g);
    pixman_transform_t t;
    uint32_t w, ht;

    if (src && vprime_plane_blended(r)) {
        src = blend_image(src, r->blend);
        op = PIXMAN_OP_OVER;
    }
    if (src && vprime_plane_rotated(r)) {
        src = rotate_image(src, r->control);
    }
    if (!src) {
        return false;
    }
    if (vprime_plane_scaled(r) && (r->control & VPRIME_PL_CTRL_NEAREST)) {
        pixman_image_t *img = scale_nearest(src, g);

        pixman_image_unref(src);
        if (!img) {
            return false;
        }
        src = img;
    } else if (vprime_plane_scaled(r)) {
        w = pixman_image_get_width(src);
        ht = pixman_image_get_height(src);
        pixman_transform_init_scale(&t, ((uint64_t)w << 16) / g->dw,
                                    ((uint64_t)ht << 16) / g->dh);
        pixman_image_set_transform(src, &t);
        pixman_image_set_filter(src, PIXMAN_FILTER_BILINEAR, NULL, 0);
        pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);
    }
    pixman_image_composite32(op, src, NULL, h->fb, 0, 0, 0, 0, g->dx, g->dy,
                             g->dw, g->dh);
    pixman_image_unref(src);
    return true;
}

/*
 * Fetch and blend one plane.  'direct': an XRGB8888 or ARGB8888 primary,
 * whose OVER on black is a copy of its colour channels (PIXMAN_OP_SRC of
 * an x8r8g8b8 view), and whose tile rows are de-tiled straight into the
 * frame.  False on a DMA error, with part of the plane possibly in the
 * frame.
 */
static bool plane_compose(VPrimeHead *h, unsigned p, const VPrimeScanMap *m,
                          bool direct)
{
    VPrimePlane *pl = &h->plane[p];
    uint8_t *data = (uint8_t *)pixman_image_get_data(h->fb);
    size_t stride = pixman_image_get_stride(h->fb);
    pixman_op_t op;
    pixman_image_t *src, *img = NULL;
    uint32_t y0, y1;
    PlaneGeom g;

    if (h->inject_underrun) {
        trace_vprime_disp_underrun(h->s->core.name, h->idx, p, 0);
        return false;
    }
    plane_geom(&pl->active, &g);
    if (vprime_format_yuv(pl->active.format)) {
        /* converted to opaque x8r8g8b8 */
        return plane_compose_transformed(h, p, m, &g, PIXMAN_OP_SRC);
    }
    /* OVER of an opaque format is SRC, which pixman does much faster */
    op = direct || !PIXMAN_FORMAT_A(vprime_format_pixman(pl->active.format)) ?
         PIXMAN_OP_SRC : PIXMAN_OP_OVER;
    if (vprime_plane_transformed(&pl->active)) {
        return plane_compose_transformed(h, p, m, &g, op);
    }

    /* rows in one run of host memory: pixman reads them where they are */
    src = plane_guest_image(pl, m, &g, g.sy, g.h,
                            direct ? PIXMAN_x8r8g8b8 : 0);
    if (src) {
        map_count_all(h, p, m);     /* the whole plane is in one range */
        h->s->stat_copied += (uint64_t)g.w * g.h * g.cpp;
        pixman_image_composite32(op, src, NULL, h->fb, 0, 0, 0, 0, g.dx,
                                 g.dy, g.w, g.h);
        pixman_image_unref(src);
        return true;
    }

    if (!direct) {
        img = plane_image(pl, &g);
        if (!img) {
            return false;
        }
    }
    for (y0 = g.sy; y0 < g.sy + g.h; y0 = y1) {
        uint32_t dy = g.dy + y0 - g.sy;

        y1 = MIN(g.sy + g.h, ROUND_DOWN(y0, band_height(&pl->active)) +
                             band_height(&pl->active));
        if (direct) {
            if (!fetch_rows(h, p, m, &g, y0, y1,
                            data + dy * stride + g.dx * 4, stride)) {
                return false;
            }
            continue;
        }
        if (!fetch_rows(h, p, m, &g, y0, y1,
                        (uint8_t *)pixman_image_get_data(img),
                        pixman_image_get_stride(img))) {
            return false;
        }
        pixman_image_composite32(op, img, NULL, h->fb, 0, 0, 0, 0,
                                 g.dx, dy, g.w, y1 - y0);
    }
    return true;
}

/* ---- composition ------------------------------------------------------ */

/*
 * CRC-32 (zlib's) of the frame in img (the composed frame, or the guest
 * memory shown in its place): rows top to bottom, each pixel as the 4
 * little-endian bytes of R << 16 | G << 8 | B.  Rows are converted to
 * x8r8g8b8 by pixman (as composing would) and their X byte masked off.
 */
static uint32_t frame_crc(VPrimeHead *h, pixman_image_t *img)
{
    uint32_t *row = (uint32_t *)h->s->bounce;
    int w = pixman_image_get_width(img), ht = pixman_image_get_height(img);
    pixman_image_t *line = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, 1,
                                                    row, w * 4);
    uLong crc = crc32(0, NULL, 0);
    int x, y;

    for (y = 0; y < ht; y++) {
        const uint32_t *px = row;

        if (pixman_image_get_format(img) == PIXMAN_x8r8g8b8) {
            px = (const uint32_t *)((uint8_t *)pixman_image_get_data(img) +
                                    y * pixman_image_get_stride(img));
        } else {
            pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, line, 0, y,
                                     0, 0, 0, 0, w, 1);
        }
        for (x = 0; x < w; x++) {
            row[x] = px[x] & 0x00ffffffu;
        }
        crc = crc32(crc, (const Bytef *)row, w * 4);
    }
    pixman_image_unref(line);
    return crc;
}

/*
 * The link to the outputs (OUTPUT_BPC).  The pipe composes 8-bit
 * components; a 6-bit link keeps the top 6 bits of each, truncated, not
 * rounded or dithered, into its own image: fb stays the pipe's frame,
 * which writeback takes (it taps the pipe, before the link, as real
 * engines' writeback does).  Wider links carry the 8-bit frame as it is.
 */
static void link_apply(VPrimeHead *h)
{
    const uint32_t m = VPRIME_BPC_6_MASK;
    const uint32_t mask = 0xff000000u | m << 16 | m << 8 | m;
    int w = pixman_image_get_width(h->fb), ht = pixman_image_get_height(h->fb);
    int stride = pixman_image_get_stride(h->fb), dstride;
    const uint8_t *src = (const uint8_t *)pixman_image_get_data(h->fb);
    uint8_t *dst;
    int x, y;

    if (!vprime_head_link_truncates(h)) {
        return;
    }
    if (!h->link || pixman_image_get_width(h->link) != w ||
        pixman_image_get_height(h->link) != ht) {
        qemu_pixman_image_unref(h->link);
        h->link = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, ht, NULL, 0);
    }
    dst = (uint8_t *)pixman_image_get_data(h->link);
    dstride = pixman_image_get_stride(h->link);
    for (y = 0; y < ht; y++) {
        const uint32_t *s = (const uint32_t *)(src + y * stride);
        uint32_t *d = (uint32_t *)(dst + y * dstride);

        for (x = 0; x < w; x++) {
            d[x] = s[x] & mask;
        }
    }
}

/* The frame the pipe sends its outputs (not aliased): fb, or the link's */
static pixman_image_t *head_link_image(VPrimeHead *h)
{
    return vprime_head_link_truncates(h) && h->link ? h->link : h->fb;
}

/*
 * Can the console show the primary plane's memory itself?  Only the
 * primary is on, it is linear and covers the whole mode, and its rows are
 * one run of host memory.  ARGB8888 is shown as XRGB8888: over black, a
 * premultiplied pixel is its colour channels.
 */
static pixman_image_t *head_alias_image(VPrimeHead *h, const VPrimeScanMap *m)
{
    const VPrimePlane *pl = &h->plane[VPRIME_PLANE_PRIMARY];
    pixman_format_code_t fmt;
    PlaneGeom g;
    unsigned p;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (p != VPRIME_PLANE_PRIMARY &&
            (h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE)) {
            return NULL;
        }
    }
    plane_geom(&pl->active, &g);
    if (vprime_plane_transformed(&pl->active) ||
        g.dx || g.dy || g.w != VPRIME_X(h->active.mode_size) ||
        g.h != VPRIME_Y(h->active.mode_size) || h->inject_underrun) {
        return NULL;    /* a YUV primary is "transformed": never shown so */
    }
    fmt = vprime_format_pixman(pl->active.format);
    if (fmt == PIXMAN_a8r8g8b8) {
        fmt = PIXMAN_x8r8g8b8;
    }
    return plane_guest_image(pl, m, &g, g.sy, g.h, fmt);
}

/* Is img the same view of guest memory as the console's? */
static bool same_image(pixman_image_t *a, pixman_image_t *b)
{
    return a && b && pixman_image_get_data(a) == pixman_image_get_data(b) &&
           pixman_image_get_format(a) == pixman_image_get_format(b) &&
           pixman_image_get_width(a) == pixman_image_get_width(b) &&
           pixman_image_get_height(a) == pixman_image_get_height(b) &&
           pixman_image_get_stride(a) == pixman_image_get_stride(b);
}

/* An injected underrun for this frame (counted once, if a plane is on)? */
static bool frame_underrun_injected(VPrimeHead *h)
{
    VPrimeFaultHit hit;
    unsigned p;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE) {
            /* every fetch of this frame fails */
            return vprime_fault_check(&h->s->faults, VPRIME_INJ_UNDERRUN,
                                      h->idx, "frame", h->seq_frames, 0, 0,
                                      &hit);
        }
    }
    return false;
}

/*
 * Once the console shows a frame: mappings not kept go, and so do those
 * of planes that underran (LEFT_OUT), so that the next frame maps their
 * buffer anew and shows whatever memory is behind it then.
 */
static void frame_release_maps(VPrimeHead *h, VPrimeScanMap **maps,
                               const bool *kept, uint32_t left_out)
{
    unsigned p, i;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        VPrimePlane *pl = &h->plane[p];

        if (!maps[p]) {
            continue;
        }
        if (!kept[p]) {
            map_free(h->s, maps[p]);
            continue;
        }
        for (i = 0; (left_out & BIT(p)) && i < VPRIME_DISP_MAPS_PER_PLANE;
             i++) {
            if (pl->maps[i] == maps[p]) {
                plane_drop_map(h, pl, i);
            }
        }
    }
}

/*
 * The enabled planes bottom to top: by ZPOS, ties by plane index.
 * Returns how many.
 */
static unsigned head_plane_order(VPrimeHead *h, unsigned *order)
{
    unsigned p, i, n = 0;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        uint32_t z = h->plane[p].active.zpos;

        if (!(h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE)) {
            continue;
        }
        for (i = n; i > 0 && h->plane[order[i - 1]].active.zpos > z; i--) {
            order[i] = order[i - 1];
        }
        order[i] = p;
        n++;
    }
    return n;
}

uint32_t vprime_disp_compose(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    const VPrimePlaneRegs *prim = &h->plane[VPRIME_PLANE_PRIMARY].active;
    VPrimeScanMap *maps[VPRIME_DISP_PLANES] = { NULL };
    bool kept[VPRIME_DISP_PLANES] = { false };
    uint32_t events = 0, left_out = 0;
    pixman_image_t *alias = NULL;
    unsigned order[VPRIME_DISP_PLANES], n, i, p;
    bool direct, keep;
    PlaneGeom g;

    if (!h->fb) {
        return 0;       /* the host could not allocate the frame */
    }
    h->seq_frames++;
    h->inject_underrun = frame_underrun_injected(h);
    /* first, so that nothing it may drop is in use yet */
    keep = vprime_core_dma_watch(&s->core, disp_dma_invalidate, s);
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        /* YUV planes are read by DMA at each frame (fbp_read), unmapped */
        if ((h->plane[p].active.control & VPRIME_PL_CTRL_ENABLE) &&
            !vprime_format_yuv(h->plane[p].active.format)) {
            kept[p] = keep;
            maps[p] = plane_map(h, &h->plane[p], keep);
        }
    }

    /* the primary's memory itself, when it is the whole frame */
    if (maps[VPRIME_PLANE_PRIMARY] && kept[VPRIME_PLANE_PRIMARY] &&
        !vprime_colour_active(h) && !vprime_head_link_truncates(h)) {
        alias = head_alias_image(h, maps[VPRIME_PLANE_PRIMARY]);
    }
    if (alias) {
        /* scanned, as a real engine would, without a byte copied */
        map_count_all(h, VPRIME_PLANE_PRIMARY, maps[VPRIME_PLANE_PRIMARY]);
        if (same_image(alias, h->alias_img)) {
            pixman_image_unref(alias);
        } else {
            /* the console's old view stays valid until present() */
            head_forget_alias(h);
            h->alias_img = alias;
        }
        h->alias = maps[VPRIME_PLANE_PRIMARY];
        goto composed;
    }
    head_forget_alias(h);

    /*
     * OVER on black is a copy of the colour channels: fetch the primary
     * in place when it is the bottom plane
     */
    n = head_plane_order(h, order);
    direct = (prim->format == VPRIME_FMT_XRGB8888 ||
              prim->format == VPRIME_FMT_ARGB8888) &&
             !vprime_plane_transformed(prim) &&
             n && order[0] == VPRIME_PLANE_PRIMARY;
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
    for (i = 0; i < n; i++) {
        p = order[i];
        if ((!maps[p] && !vprime_format_yuv(h->plane[p].active.format)) ||
            (left_out & BIT(p))) {
            continue;
        }
        if (!plane_compose(h, p, maps[p],
                           p == VPRIME_PLANE_PRIMARY && direct)) {
            /*
             * This frame goes without the plane (not a configuration
             * error): start again without it, so no part of it shows.
             * The mapping goes too: the next frame maps the buffer anew,
             * and shows whatever the memory behind it is then.
             */
            left_out |= BIT(p);
            s->stat_underruns++;
            events |= VPRIME_HEAD_EV_UNDERRUN;
            goto again;
        }
    }
    vprime_colour_apply(h);     /* before the CRC: it covers the colour */
    link_apply(h);              /* and the link's depth, writeback not */

composed:
    if (h->crc_control) {
        h->crc = frame_crc(h, alias ? h->alias_img : head_link_image(h));
        h->crc_frame = h->frame;
    }
    h->inject_underrun = false;
    trace_vprime_disp_compose(s->core.name, h->idx, h->frame, h->crc);
    h->fb_composed = true;
    h->stat_frames_composed++;
    s->stat_frames_composed++;
    vprime_disp_present(h);

    frame_release_maps(h, maps, kept, left_out);
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
    VPrimeDisplayState *s = h->s;
    unsigned p, j;

    /* nothing keeps pointing at guest memory: the consoles neither */
    pipe_placeholder(h, VPRIME_DISP_SHOWN_OFF);
    head_forget_alias(h);
    vprime_disp_drop_maps(h);
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        qemu_pixman_image_unref(h->plane[p].img);
        h->plane[p].img = NULL;
    }
    /* the consoles may still show it: they hold their own reference */
    qemu_pixman_image_unref(h->fb);
    h->fb = NULL;
    qemu_pixman_image_unref(h->link);
    h->link = NULL;
    h->fb_composed = false;
    for (j = 0; j < s->heads; j++) {
        if (s->head[j].src == h) {
            s->head[j].shown = VPRIME_DISP_SHOWN_NONE;
            s->head[j].src = NULL;
        }
    }
}

/* Output o's console shows a placeholder */
static void show_placeholder(VPrimeHead *o, VPrimeDispShown what)
{
    VPrimeDisplayState *s = o->s;
    g_autofree char *msg = NULL;

    o->src = NULL;
    o->out_crc = 0;
    if (o->shown == what || !o->con) {
        return;
    }
    msg = g_strdup_printf("vprime-display head %u: %s", o->idx,
                          what == VPRIME_DISP_SHOWN_UNPLUGGED ?
                          "monitor unplugged" : "no signal");
    dpy_gfx_replace_surface(o->con, qemu_create_placeholder_surface(
                                s->edid_info.prefx, s->edid_info.prefy, msg));
    o->shown = what;
}

/* Every output showing guest memory through pipe h shows a placeholder */
static void pipe_placeholder(VPrimeHead *h, VPrimeDispShown what)
{
    VPrimeDisplayState *s = h->s;
    unsigned j;

    for (j = 0; j < s->heads; j++) {
        if (s->head[j].src == h &&
            s->head[j].shown == VPRIME_DISP_SHOWN_ALIAS) {
            show_placeholder(&s->head[j], what);
        }
    }
}

VPrimeHead *vprime_disp_output_source(VPrimeHead *o)
{
    VPrimeDisplayState *s = o->s;
    unsigned i;

    for (i = 0; i < s->heads; i++) {
        if (vprime_head_driven(&s->head[i]) & BIT(o->idx)) {
            return &s->head[i];
        }
    }
    return NULL;
}

/*
 * Output o shows the frame of the pipe routed to it, or a placeholder:
 * unplugged, or "no signal" when no pipe that is on drives it (a real
 * sink without a signal).  With the pipe's CRC on, OUTPUT_CRC is the CRC
 * of the console's surface: the picture the output shows, read back.
 */
static void present_output(VPrimeHead *o)
{
    VPrimeHead *h = vprime_disp_output_source(o);
    VPrimeDispShown what;
    pixman_image_t *img;

    if (!o->con) {
        return;         /* being unrealized */
    }
    if (!o->connected) {
        show_placeholder(o, VPRIME_DISP_SHOWN_UNPLUGGED);
        return;
    }
    if (!h || !h->fb_composed) {
        /* off, or on but not composed yet (just migrated) */
        show_placeholder(o, VPRIME_DISP_SHOWN_OFF);
        return;
    }
    what = h->alias ? VPRIME_DISP_SHOWN_ALIAS : VPRIME_DISP_SHOWN_FRAME;
    img = h->alias ? h->alias_img : head_link_image(h);
    /* the pipe's frame or its link's: OUTPUT_BPC changed which */
    if (o->shown != what || o->src != h ||
        qemu_console_surface(o->con)->image != img) {
        /* the surface is the frame or the guest's memory: nothing copied */
        dpy_gfx_replace_surface(o->con,
                                qemu_create_displaysurface_pixman(img));
        o->shown = what;
        o->src = h;
    }
    dpy_gfx_update_full(o->con);
    o->out_crc = h->crc_control ?
                 frame_crc(h, qemu_console_surface(o->con)->image) : 0;
}

void vprime_disp_present_outputs(VPrimeDisplayState *s, uint32_t outputs)
{
    unsigned j;

    for (j = 0; j < s->heads; j++) {
        if (outputs & BIT(j)) {
            present_output(&s->head[j]);
        }
    }
}

void vprime_disp_present(VPrimeHead *h)
{
    VPrimeDisplayState *s = h->s;
    uint32_t outputs = vprime_head_driven(h) | BIT(h->idx);
    unsigned j;

    for (j = 0; j < s->heads; j++) {
        if (s->head[j].src == h) {
            outputs |= BIT(j);
        }
    }
    vprime_disp_present_outputs(s, outputs);
}

/*
 * A UI asking for a full redraw gets the frame it already has: the engine
 * composes at vblanks, never on the UI's refresh timer.
 */
static void vprime_disp_invalidate(void *opaque)
{
    VPrimeHead *h = opaque;

    if (h->shown == VPRIME_DISP_SHOWN_FRAME ||
        h->shown == VPRIME_DISP_SHOWN_ALIAS) {
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
    h->src = NULL;
    present_output(h);
}

void vprime_disp_console_fini(VPrimeHead *h)
{
    vprime_disp_release_mode(h);
    graphic_console_close(h->con);
    h->con = NULL;
}
