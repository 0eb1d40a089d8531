/*
 * vprime GPU MMU: per-context GPU virtual address spaces
 *
 * Three-level page tables in system memory (see vprime-spec.rst).  Tables
 * are read by DMA through the device's address space, so a vIOMMU remaps
 * and faults them like any other DMA.  A walk has a fixed depth, so a
 * table that points at itself cannot make it loop.  A leaf maps a page of
 * system memory (a DMA address) or, on the dGPU, of VRAM.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
#include "exec/memory.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "vprime-gpu.h"
#include "trace.h"

void vprime_gpu_tlb_invalidate(VPrimeGpuState *s, uint32_t ctx)
{
    unsigned i;

    for (i = 0; i < VPRIME_TLB_ENTRIES; i++) {
        if (ctx == VPRIME_TLB_INVALIDATE_ALL || s->tlb[i].ctx == ctx) {
            s->tlb[i].region = 0;
        }
    }
    s->tlb_last = NULL;
}

/* The cached leaf table of va's 2 MiB region of a context, or NULL */
static VPrimeTlbEntry *tlb_find(VPrimeGpuState *s, uint32_t ctx, uint64_t va)
{
    uint64_t region = (va >> VPRIME_GPU_LEAF_SHIFT) + 1;
    VPrimeTlbEntry *e = s->tlb_last;
    unsigned i;

    if (e && e->region == region && e->ctx == ctx) {
        return e;
    }
    for (i = 0; i < VPRIME_TLB_ENTRIES; i++) {
        e = &s->tlb[i];
        if (e->region == region && e->ctx == ctx) {
            s->tlb_last = e;
            return e;
        }
    }
    return NULL;
}

/*
 * Cache the leaf table at 'table' (DMA address) for va's region: read
 * whole, or not cached at all if it cannot be (the walk read its entry).
 */
static void tlb_fill(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                     uint64_t table)
{
    VPrimeTlbEntry *e = &s->tlb[s->tlb_next];
    unsigned i;

    s->tlb_next = (s->tlb_next + 1) % VPRIME_TLB_ENTRIES;
    e->region = 0;
    if (s->tlb_last == e) {
        s->tlb_last = NULL;
    }
    if (pci_dma_read(PCI_DEVICE(s), table, e->pte, sizeof(e->pte)) !=
        MEMTX_OK) {
        return;
    }
    for (i = 0; i < VPRIME_GPU_PT_ENTRIES; i++) {
        e->pte[i] = le64_to_cpu(e->pte[i]);
    }
    e->region = (va >> VPRIME_GPU_LEAF_SHIFT) + 1;
    e->ctx = ctx;
    e->table = table;
    s->tlb_last = e;
}

static void vprime_gpu_fault(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                             uint32_t reason, bool is_write)
{
    VPrimeGpuCtx *c = &s->ctx[ctx];

    trace_vprime_gpu_fault(s->core.name, ctx, va, reason, is_write);
    qemu_log_mask(LOG_GUEST_ERROR, "%s: context %u: GPU page fault at 0x%"
                  PRIx64 " (%s, reason %u); context stopped\n", s->core.name,
                  ctx, va, is_write ? "write" : "read", reason);
    c->faulted = true;
    s->fault_ctx = ctx;
    s->fault_addr = va;
    s->fault_info = reason | (is_write ? VPRIME_FAULT_WRITE : 0);
    s->stat_faults++;
    vprime_core_report(&s->core, VPRIME_ERR_PAGE_FAULT);
}

/*
 * Walk the tables for va, bypassing the TLB: its leaf PTE and the leaf
 * table's DMA address.  Returns 0 or a VPRIME_FAULT_* reason.
 */
static uint32_t vprime_gpu_walk(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                                uint64_t *pte_out, uint64_t *leaf_table)
{
    uint64_t table = s->ctx[ctx].pt_root, pte = 0;
    int level;

    s->stat_tlb_walks++;
    for (level = VPRIME_GPU_PT_LEVELS - 1; level >= 0; level--) {
        dma_addr_t entry = table +
            VPRIME_GPU_PT_INDEX(va, level) * sizeof(uint64_t);

        if (pci_dma_read(PCI_DEVICE(s), entry, &pte, sizeof(pte)) !=
            MEMTX_OK) {
            return VPRIME_FAULT_BAD_TABLE;
        }
        pte = le64_to_cpu(pte);
        trace_vprime_gpu_walk(s->core.name, ctx, va, level, pte);
        if (!(pte & VPRIME_PTE_VALID)) {
            return VPRIME_FAULT_NOT_PRESENT;
        }
        if (level && (pte & VPRIME_PTE_VRAM)) {
            /* tables live in system memory only */
            return VPRIME_FAULT_BAD_TABLE;
        }
        *leaf_table = table;
        table = pte & VPRIME_PTE_ADDR_MASK;
    }
    *pte_out = pte;
    return 0;
}

/* A valid leaf PTE against the access: 0 or a VPRIME_FAULT_* reason */
static inline uint32_t pte_check(VPrimeGpuState *s, uint64_t pte,
                                 bool is_write)
{
    if ((pte & VPRIME_PTE_VRAM) &&
        (!s->vram_ptr || (pte & VPRIME_PTE_ADDR_MASK) >= s->vram_size)) {
        return VPRIME_FAULT_VRAM_RANGE;
    }
    if (is_write && !(pte & VPRIME_PTE_WRITABLE)) {
        return VPRIME_FAULT_READ_ONLY;
    }
    return 0;
}

/*
 * Translate va to its leaf PTE.  Returns 0 or a VPRIME_FAULT_* reason.
 * A context already stopped by a fault fails silently (reason -1u): it was
 * reported once and its remaining work is dropped.  An entry the TLB holds
 * as not valid is walked again: the driver may have just mapped it.
 */
static uint32_t vprime_gpu_translate(VPrimeGpuState *s, uint32_t ctx,
                                     uint64_t va, bool is_write,
                                     uint64_t *pte_out)
{
    VPrimeGpuCtx *c = &s->ctx[ctx];
    unsigned idx = VPRIME_GPU_PT_INDEX(va, 0);
    uint64_t pte, table;
    VPrimeTlbEntry *e;
    uint32_t reason;

    if (c->faulted) {
        return -1u;
    }
    if (!c->enabled) {
        return VPRIME_FAULT_DISABLED;
    }
    if (va >= VPRIME_GPU_VA_LIMIT) {
        return VPRIME_FAULT_VA_RANGE;
    }

    e = tlb_find(s, ctx, va);
    if (e && (e->pte[idx] & VPRIME_PTE_VALID)) {
        pte = e->pte[idx];
    } else {
        reason = vprime_gpu_walk(s, ctx, va, &pte, &table);
        if (reason) {
            return reason;
        }
        if (e && e->table == table) {
            e->pte[idx] = pte;
        } else {
            if (e) {
                e->region = 0;  /* the region has another leaf table now */
            }
            tlb_fill(s, ctx, va, table);
        }
    }
    reason = pte_check(s, pte, is_write);
    if (reason) {
        return reason;
    }
    *pte_out = pte;
    return 0;
}

/*
 * How many pages from va's on (at most max_pages, within its 2 MiB
 * region) the TLB already holds as valid for the access; with 'next',
 * only as long as they continue one run of memory of one kind (*next:
 * the address the next page must have, advanced).  The hot path of large
 * commands: no call per page.
 */
static uint64_t tlb_run(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                        uint64_t max_pages, bool is_write, uint64_t *next,
                        bool vram)
{
    VPrimeTlbEntry *e = tlb_find(s, ctx, va);
    unsigned idx = VPRIME_GPU_PT_INDEX(va, 0), i;

    if (!e || s->ctx[ctx].faulted || !s->ctx[ctx].enabled) {
        return 0;
    }
    max_pages = MIN(max_pages, VPRIME_GPU_PT_ENTRIES - idx);
    for (i = 0; i < max_pages; i++) {
        uint64_t pte = e->pte[idx + i];

        if (!(pte & VPRIME_PTE_VALID) || pte_check(s, pte, is_write)) {
            break;
        }
        if (next) {
            if ((pte & VPRIME_PTE_ADDR_MASK) != *next ||
                !!(pte & VPRIME_PTE_VRAM) != vram) {
                break;
            }
            *next += VPRIME_GPU_PAGE_SIZE;
        }
    }
    return i;
}

bool vprime_gpu_probe(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                      uint64_t len, bool is_write)
{
    uint64_t page, end, pte;
    uint32_t reason;

    if (!len) {
        return true;
    }
    end = va + len - 1;
    if (end < va || end >= VPRIME_GPU_VA_LIMIT) {
        vprime_gpu_fault(s, ctx, end < va ? va : VPRIME_GPU_VA_LIMIT,
                         VPRIME_FAULT_VA_RANGE, is_write);
        return false;
    }
    page = va & ~(uint64_t)(VPRIME_GPU_PAGE_SIZE - 1);
    while (page <= end) {
        uint64_t pages = ((end - page) >> VPRIME_GPU_PAGE_SHIFT) + 1;

        /* what the TLB holds needs no walk, and cannot fault */
        page += tlb_run(s, ctx, page, pages, is_write, NULL, false) <<
                VPRIME_GPU_PAGE_SHIFT;
        if (page > end) {
            break;
        }
        reason = vprime_gpu_translate(s, ctx, MAX(page, va), is_write, &pte);
        if (reason) {
            if (reason != -1u) {
                vprime_gpu_fault(s, ctx, MAX(page, va), reason, is_write);
            }
            return false;
        }
        page += VPRIME_GPU_PAGE_SIZE;
    }
    return true;
}

/*
 * Which kind of memory a DMA address lands in, for the byte counters: the
 * GPU counts everything that is not a peer's BAR as system memory.
 */
static VPrimeMemKind vprime_gpu_classify(VPrimeGpuState *s, dma_addr_t addr,
                                         bool is_write)
{
    return vprime_core_dma_target(&s->core, addr, is_write) == VPRIME_DMA_PEER
           ? VPRIME_MEM_PEER : VPRIME_MEM_SYSRAM;
}

/*
 * Resolve the longest run from va, up to max bytes, that maps to one
 * contiguous range of one kind of memory.  False after a fault.
 */
static bool vprime_gpu_resolve(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                               uint64_t max, bool is_write, uint64_t *addr,
                               uint64_t *len, bool *vram)
{
    uint64_t pte, run = 0;
    uint32_t reason;

    while (run < max) {
        uint64_t at = va + run;
        uint64_t in_page = VPRIME_GPU_PAGE_SIZE - (at & (VPRIME_GPU_PAGE_SIZE - 1));
        uint64_t phys;

        if (run) {
            /* whole pages the TLB holds, as long as the run goes on */
            uint64_t next = *addr + run;
            uint64_t pages = tlb_run(s, ctx, at,
                                     DIV_ROUND_UP(max - run,
                                                  VPRIME_GPU_PAGE_SIZE),
                                     is_write, &next, *vram);

            if (pages) {
                run = MIN(max, run + (pages << VPRIME_GPU_PAGE_SHIFT));
                continue;
            }
        }
        reason = vprime_gpu_translate(s, ctx, at, is_write, &pte);
        if (reason) {
            if (run) {
                break;      /* fault (if any) is reported on the next call */
            }
            if (reason != -1u) {
                vprime_gpu_fault(s, ctx, at, reason, is_write);
            }
            return false;
        }
        phys = (pte & VPRIME_PTE_ADDR_MASK) + (at & (VPRIME_GPU_PAGE_SIZE - 1));
        if (!run) {
            *addr = phys;
            *vram = pte & VPRIME_PTE_VRAM;
        } else if (phys != *addr + run || *vram != !!(pte & VPRIME_PTE_VRAM)) {
            break;
        }
        run += MIN(in_page, max - run);
    }
    *len = run;
    return true;
}

/* Account a DMA by the kind of memory it landed in */
static void vprime_gpu_account(VPrimeGpuState *s, VPrimeMemKind kind,
                               uint64_t n, bool is_write)
{
    if (is_write) {
        s->stat_written[kind] += n;
    } else {
        s->stat_read[kind] += n;
    }
}

/*
 * Note the pages a data command touched in its engine's log (the page
 * after the last one noted, as rows walk a buffer in order, is not noted
 * twice).  Bounded by VPRIME_PAGE_LOG_MAX.
 */
static void vprime_gpu_log(VPrimeGpuState *s, uint64_t addr, uint64_t len,
                           bool vram, bool is_write)
{
    const uint64_t mask = VPRIME_GPU_PAGE_SIZE - 1;
    uint64_t page = addr & ~mask, last = (addr + len - 1) & ~mask, n, i;
    VPrimePageRef *refs;
    GArray *log;
    guint old;

    if (!s->active || !len) {
        return;
    }
    log = s->active->last_pages[is_write];
    if (log->len) {
        VPrimePageRef *prev = &g_array_index(log, VPrimePageRef,
                                             log->len - 1);

        if (prev->addr == page && prev->vram == vram) {
            page += VPRIME_GPU_PAGE_SIZE;
        }
    }
    if (page > last || log->len >= VPRIME_PAGE_LOG_MAX) {
        return;
    }
    n = MIN(((last - page) >> VPRIME_GPU_PAGE_SHIFT) + 1,
            VPRIME_PAGE_LOG_MAX - log->len);
    old = log->len;
    g_array_set_size(log, old + n);
    refs = &g_array_index(log, VPrimePageRef, old);
    for (i = 0; i < n; i++) {
        refs[i] = (VPrimePageRef) {
            .addr = page + (i << VPRIME_GPU_PAGE_SHIFT), .vram = vram,
        };
    }
}

bool vprime_gpu_dma_allowed(VPrimeGpuState *s, uint64_t addr, uint64_t len)
{
    VPrimeFaultHit hit;

    if (!s->active ||
        !vprime_fault_check(&s->faults, VPRIME_INJ_DMA_ERROR, s->active->idx,
                            "cmd", s->active->seq_cmds, addr, len, &hit)) {
        return true;
    }
    s->dma_failed = true;
    return false;
}

bool vprime_gpu_rw(VPrimeGpuState *s, uint32_t ctx, uint64_t va, void *buf,
                   uint64_t len, bool is_write)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *p = buf;

    while (len) {
        uint64_t addr, n;
        VPrimeMemKind kind;
        bool vram;

        if (!vprime_gpu_resolve(s, ctx, va, len, is_write, &addr, &n, &vram)) {
            return false;
        }
        if (vram) {
            kind = VPRIME_MEM_VRAM;
            if (is_write) {
                memcpy(s->vram_ptr + addr, p, n);
            } else {
                memcpy(p, s->vram_ptr + addr, n);
            }
        } else {
            if (!vprime_gpu_dma_allowed(s, addr, n)) {
                return false;
            }
            kind = vprime_gpu_classify(s, addr, is_write);
            if (pci_dma_rw(pdev, addr, p, n,
                           is_write ? DMA_DIRECTION_FROM_DEVICE
                                    : DMA_DIRECTION_TO_DEVICE,
                           MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
                vprime_gpu_fault(s, ctx, va, VPRIME_FAULT_DMA, is_write);
                return false;
            }
        }
        vprime_gpu_account(s, kind, n, is_write);
        vprime_gpu_log(s, addr, n, vram, is_write);
        trace_vprime_gpu_dma(s->core.name, ctx, va, addr, n, kind, is_write);
        va += n;
        p += n;
        len -= n;
    }
    return true;
}

/*
 * Host pointer for a resolved run, or NULL (then the caller goes through
 * a bounce buffer).  System memory is mapped through the device's DMA
 * address space, so the vIOMMU still translates it; *kind says where it
 * landed.  *len shrinks to what is one run of host memory.
 */
static void *vprime_gpu_map_run(VPrimeGpuState *s, uint64_t addr, bool vram,
                                uint64_t *len, bool is_write,
                                VPrimeMemKind *kind)
{
    VPrimeDmaTarget target;
    dma_addr_t plen = *len;
    void *p;

    if (vram) {
        *kind = VPRIME_MEM_VRAM;
        return s->vram_ptr + addr;
    }
    p = vprime_core_dma_map(&s->core, addr, &plen, is_write, &target);
    *kind = target == VPRIME_DMA_PEER ? VPRIME_MEM_PEER : VPRIME_MEM_SYSRAM;
    if (p) {
        *len = MIN(*len, plen);
    }
    return p;
}

static void vprime_gpu_unmap_run(VPrimeGpuState *s, void *p, bool vram,
                                 uint64_t len, bool is_write,
                                 uint64_t written)
{
    if (!vram) {
        vprime_core_dma_unmap(&s->core, p, len, is_write, written);
    }
}

/*
 * One side of a copy: a run of one kind of memory, contiguous in the
 * GPU's view, resolved once and used up as the copy goes.  Behind a
 * vIOMMU such a run (contiguous DMA addresses) is made of scattered guest
 * pages, so one host mapping covers a page of it; resolving the rest of
 * the run again after each mapping would make the copy's cost grow with
 * the square of its length.
 */
typedef struct VPrimeCopyRun {
    uint64_t addr;      /* DMA address or VRAM offset of its next byte */
    uint64_t len;       /* bytes of it left */
    bool vram;
} VPrimeCopyRun;

static bool copy_run_get(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                         uint64_t max, bool is_write, VPrimeCopyRun *r)
{
    return r->len ||
           vprime_gpu_resolve(s, ctx, va, max, is_write, &r->addr, &r->len,
                              &r->vram);
}

static void copy_run_advance(VPrimeCopyRun *r, uint64_t n)
{
    r->addr += n;
    r->len -= n;
}

/*
 * COPY's data path: runs of guest memory both sides can map are copied
 * straight from one to the other (memmove: the ranges may overlap);
 * anything else (MMIO) goes through the bounce buffer.
 */
bool vprime_gpu_copy(VPrimeGpuState *s, uint32_t ctx, uint64_t src,
                     uint64_t dst, uint64_t len)
{
    VPrimeCopyRun sr = { 0 }, dr = { 0 };

    while (len) {
        uint64_t sa, da, n, smapped;
        VPrimeMemKind sk, dk;
        bool sv, dv;
        void *sp, *dp = NULL;

        if (!copy_run_get(s, ctx, src, len, false, &sr) ||
            !copy_run_get(s, ctx, dst, len, true, &dr)) {
            return false;
        }
        sa = sr.addr;
        sv = sr.vram;
        da = dr.addr;
        dv = dr.vram;
        n = MIN(sr.len, dr.len);
        if ((!sv && !vprime_gpu_dma_allowed(s, sa, n)) ||
            (!dv && !vprime_gpu_dma_allowed(s, da, n))) {
            return false;
        }
        sp = vprime_gpu_map_run(s, sa, sv, &n, false, &sk);
        smapped = n;
        if (sp) {
            dp = vprime_gpu_map_run(s, da, dv, &n, true, &dk);
        }
        if (sp && dp) {
            memmove(dp, sp, n);
            vprime_gpu_unmap_run(s, dp, dv, n, true, n);
            vprime_gpu_unmap_run(s, sp, sv, smapped, false, 0);
            vprime_gpu_account(s, sk, n, false);
            vprime_gpu_account(s, dk, n, true);
            vprime_gpu_log(s, sa, n, sv, false);
            vprime_gpu_log(s, da, n, dv, true);
            trace_vprime_gpu_dma(s->core.name, ctx, dst, da, n, dk, true);
        } else {
            /* not plain memory (e.g. MMIO): through a bounce buffer */
            if (sp) {
                vprime_gpu_unmap_run(s, sp, sv, smapped, false, 0);
            }
            n = MIN(n, 64 * KiB);
            if (!vprime_gpu_rw(s, ctx, src, s->bounce, n, false) ||
                !vprime_gpu_rw(s, ctx, dst, s->bounce, n, true)) {
                return false;
            }
        }
        copy_run_advance(&sr, n);
        copy_run_advance(&dr, n);
        src += n;
        dst += n;
        len -= n;
    }
    return true;
}
