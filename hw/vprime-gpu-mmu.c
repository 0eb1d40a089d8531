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
            s->tlb[i].va_page = 0;
        }
    }
}

static unsigned tlb_slot(uint32_t ctx, uint64_t va_page)
{
    return (va_page ^ (ctx * 0x9e37u)) % VPRIME_TLB_ENTRIES;
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
 * Translate va to its leaf PTE.  Returns 0 or a VPRIME_FAULT_* reason.
 * A context already stopped by a fault fails silently (reason -1u): it was
 * reported once and its remaining work is dropped.
 */
static uint32_t vprime_gpu_translate(VPrimeGpuState *s, uint32_t ctx,
                                     uint64_t va, bool is_write,
                                     uint64_t *pte_out)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    VPrimeGpuCtx *c = &s->ctx[ctx];
    uint64_t va_page = va >> VPRIME_GPU_PAGE_SHIFT;
    VPrimeTlbEntry *t = &s->tlb[tlb_slot(ctx, va_page)];
    uint64_t table, pte = 0;
    int level;

    if (c->faulted) {
        return -1u;
    }
    if (!c->enabled) {
        return VPRIME_FAULT_DISABLED;
    }
    if (va >= VPRIME_GPU_VA_LIMIT) {
        return VPRIME_FAULT_VA_RANGE;
    }

    if (t->va_page == va_page + 1 && t->ctx == ctx) {
        pte = t->pte;
    } else {
        s->stat_tlb_walks++;
        table = c->pt_root;
        for (level = VPRIME_GPU_PT_LEVELS - 1; level >= 0; level--) {
            dma_addr_t entry = table +
                VPRIME_GPU_PT_INDEX(va, level) * sizeof(uint64_t);

            if (pci_dma_read(pdev, entry, &pte, sizeof(pte)) != MEMTX_OK) {
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
            table = pte & VPRIME_PTE_ADDR_MASK;
        }
        if (pte & VPRIME_PTE_VRAM) {
            uint64_t off = pte & VPRIME_PTE_ADDR_MASK;

            if (!s->vram_ptr || off >= s->vram_size) {
                return VPRIME_FAULT_VRAM_RANGE;
            }
        }
        t->va_page = va_page + 1;
        t->ctx = ctx;
        t->pte = pte;
    }
    if (is_write && !(pte & VPRIME_PTE_WRITABLE)) {
        return VPRIME_FAULT_READ_ONLY;
    }
    *pte_out = pte;
    return 0;
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
    for (page = va & ~(uint64_t)(VPRIME_GPU_PAGE_SIZE - 1); page <= end;
         page += VPRIME_GPU_PAGE_SIZE) {
        reason = vprime_gpu_translate(s, ctx, MAX(page, va), is_write, &pte);
        if (reason) {
            if (reason != -1u) {
                vprime_gpu_fault(s, ctx, MAX(page, va), reason, is_write);
            }
            return false;
        }
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
    GArray *log;
    uint64_t page;

    if (!s->active || !len) {
        return;
    }
    log = s->active->last_pages[is_write];
    for (page = addr & ~(uint64_t)(VPRIME_GPU_PAGE_SIZE - 1);
         page < addr + len && log->len < VPRIME_PAGE_LOG_MAX;
         page += VPRIME_GPU_PAGE_SIZE) {
        VPrimePageRef ref = { .addr = page, .vram = vram };

        if (log->len) {
            VPrimePageRef *last = &g_array_index(log, VPrimePageRef,
                                                 log->len - 1);

            if (last->addr == page && last->vram == vram) {
                continue;
            }
        }
        g_array_append_val(log, ref);
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
 * address space, so the vIOMMU still translates it.
 */
static void *vprime_gpu_map_run(VPrimeGpuState *s, uint64_t addr, bool vram,
                                uint64_t *len, bool is_write)
{
    dma_addr_t plen = *len;
    void *p;

    if (vram) {
        return s->vram_ptr + addr;
    }
    /*
     * dma_memory_map() hands back a bounce buffer even when the address
     * does not translate (a vIOMMU fault): the caller would copy garbage.
     * Check first; the caller's pci_dma_rw() then reports the DMA fault.
     */
    if (!dma_memory_valid(pci_get_address_space(PCI_DEVICE(s)), addr, *len,
                          is_write ? DMA_DIRECTION_FROM_DEVICE
                                   : DMA_DIRECTION_TO_DEVICE,
                          MEMTXATTRS_UNSPECIFIED)) {
        return NULL;
    }
    p = pci_dma_map(PCI_DEVICE(s), addr, &plen,
                    is_write ? DMA_DIRECTION_FROM_DEVICE
                             : DMA_DIRECTION_TO_DEVICE);
    if (p && plen < *len) {
        *len = plen;
    }
    return p;
}

static void vprime_gpu_unmap_run(VPrimeGpuState *s, void *p, bool vram,
                                 uint64_t len, bool is_write)
{
    if (!vram) {
        pci_dma_unmap(PCI_DEVICE(s), p, len,
                      is_write ? DMA_DIRECTION_FROM_DEVICE
                               : DMA_DIRECTION_TO_DEVICE, len);
    }
}

bool vprime_gpu_copy(VPrimeGpuState *s, uint32_t ctx, uint64_t src,
                     uint64_t dst, uint64_t len)
{
    while (len) {
        uint64_t sa, da, sn, dn, n;
        bool sv, dv;
        void *sp, *dp;

        if (!vprime_gpu_resolve(s, ctx, src, len, false, &sa, &sn, &sv) ||
            !vprime_gpu_resolve(s, ctx, dst, sn, true, &da, &dn, &dv)) {
            return false;
        }
        n = MIN(sn, dn);
        if ((!sv && !vprime_gpu_dma_allowed(s, sa, n)) ||
            (!dv && !vprime_gpu_dma_allowed(s, da, n))) {
            return false;
        }
        sp = vprime_gpu_map_run(s, sa, sv, &n, false);
        dp = sp ? vprime_gpu_map_run(s, da, dv, &n, true) : NULL;
        if (sp && dp) {
            memmove(dp, sp, n);
            vprime_gpu_unmap_run(s, dp, dv, n, true);
            vprime_gpu_unmap_run(s, sp, sv, n, false);
            vprime_gpu_account(s, sv ? VPRIME_MEM_VRAM
                                     : vprime_gpu_classify(s, sa, false),
                               n, false);
            vprime_gpu_account(s, dv ? VPRIME_MEM_VRAM
                                     : vprime_gpu_classify(s, da, true),
                               n, true);
            vprime_gpu_log(s, sa, n, sv, false);
            vprime_gpu_log(s, da, n, dv, true);
            trace_vprime_gpu_dma(s->core.name, ctx, dst, da, n,
                                 dv ? VPRIME_MEM_VRAM : VPRIME_MEM_SYSRAM,
                                 true);
        } else {
            /* not plain memory (e.g. MMIO): through a bounce buffer */
            if (sp) {
                vprime_gpu_unmap_run(s, sp, sv, 0, false);
            }
            n = MIN(n, 64 * KiB);
            if (!vprime_gpu_rw(s, ctx, src, s->bounce, n, false) ||
                !vprime_gpu_rw(s, ctx, dst, s->bounce, n, true)) {
                return false;
            }
        }
        src += n;
        dst += n;
        len -= n;
    }
    return true;
}
