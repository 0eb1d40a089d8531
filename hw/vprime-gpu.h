/*
 * vprime GPUs: state shared by the device (vprime-gpu.c), the GPU MMU
 * (vprime-gpu-mmu.c) and the engines (vprime-gpu-engine.c)
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VPRIME_GPU_H
#define HW_VPRIME_GPU_H

#include "qemu/timer.h"
#include "vprime-core.h"
#include "vprime-fault.h"

#define TYPE_VPRIME_GPU "vprime-gpu"
#define TYPE_VPRIME_IGPU "vprime-igpu"
#define TYPE_VPRIME_DGPU "vprime-dgpu"

OBJECT_DECLARE_TYPE(VPrimeGpuState, VPrimeGpuClass, VPRIME_GPU)

struct VPrimeGpuClass {
    PCIDeviceClass parent_class;

    uint32_t kind;
    bool has_vram;
    uint32_t layouts;           /* VPRIME_LAYOUT_BIT()s: VPRIME_REG_LAYOUTS */
};

typedef struct VPrimeGpuCtx {
    uint64_t pt_root;           /* DMA address of the root table */
    bool enabled;
    bool faulted;
} VPrimeGpuCtx;

/* Staging memory for the engines' data work, one chunk of it at a time */
#define VPRIME_GPU_BOUNCE_SIZE (1 << 20)

/*
 * The TLB holds whole leaf tables, each mapping 2 MiB of a context's VA
 * (a large copy reads each table once, not three entries per page); only
 * its valid entries are used.  Flushed by TLB_INVALIDATE and the context
 * registers.
 */
#define VPRIME_TLB_ENTRIES      64
#define VPRIME_GPU_LEAF_SHIFT   (VPRIME_GPU_PAGE_SHIFT + 9)

typedef struct VPrimeTlbEntry {
    uint64_t region;            /* va >> VPRIME_GPU_LEAF_SHIFT, +1: 0 empty */
    uint32_t ctx;
    uint64_t table;             /* DMA address of the leaf table */
    uint64_t pte[VPRIME_GPU_PT_ENTRIES];    /* host order */
} VPrimeTlbEntry;

/* Kinds of memory a DMA lands in, for the byte counters */
typedef enum VPrimeMemKind {
    VPRIME_MEM_SYSRAM,
    VPRIME_MEM_VRAM,
    VPRIME_MEM_PEER,            /* another device's BAR */
    VPRIME_MEM__MAX,
} VPrimeMemKind;

typedef struct VPrimePageRef {
    uint64_t addr;              /* page-aligned */
    bool vram;
} VPrimePageRef;

/* Pages an engine's log holds at most: a command touches a few hundred MiB */
#define VPRIME_PAGE_LOG_MAX (256 * 1024)

typedef struct VPrimeEngine {
    struct VPrimeGpuState *gpu;
    unsigned idx;
    const char *name;

    /* registers */
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t head;
    uint32_t tail;
    uint64_t fence_addr;
    uint64_t fence_value;
    uint32_t control;
    uint32_t status;
    uint32_t error;

    /* internal state: the command in flight */
    QEMUTimer *timer;
    bool have_cmd;
    bool cmd_done;              /* data work finished, waiting for done_at */
    struct vprime_cmd cmd;
    int64_t done_at;            /* QEMU_CLOCK_VIRTUAL ns */
    uint64_t progress;          /* rows or bytes done, for chunked work */

    /*
     * Fault injection (not migrated): per-engine event sequence numbers
     * since realize, and the injected state
     */
    uint64_t seq_cmds;          /* commands fetched */
    uint64_t seq_irqs;          /* fence interrupts due */
    bool hung;                  /* injected hang: no progress until reset */
    QEMUTimer *late_timer;      /* an injected late fence interrupt */

    /* statistics */
    uint64_t stat_cmds;
    /*
     * Pages (DMA addresses, or VRAM offsets) the latest data command read
     * and wrote, for the host to check that a consumer scans the very
     * pages a producer wrote (QOM <engine>-last-{read,write}-pages).
     */
    GArray *last_pages[2];      /* of VPrimePageRef, [is_write] */
} VPrimeEngine;

struct VPrimeGpuState {
    /*< private >*/
    PCIDevice parent_obj;
    /*< public >*/

    /* properties */
    uint64_t vram_size;
    uint64_t throughput_mb_per_s;   /* modelled MB/s (bytes per us); 0: none */
    uint64_t latency_ns;        /* per command */
    uint64_t jitter_ns;         /* uniform 0..jitter added per command */
    uint64_t seed;

    /* registers, BAR 0, MSI-X */
    VPrimeCore core;
    uint32_t ctx_select;
    VPrimeGpuCtx ctx[VPRIME_GPU_MAX_CONTEXTS];
    uint32_t fault_ctx;
    uint64_t fault_addr;
    uint32_t fault_info;
    VPrimeEngine engine[VPRIME_GPU_ENGINES];

    /* internal state */
    MemoryRegion vram;
    uint8_t *vram_ptr;
    VPrimeTlbEntry tlb[VPRIME_TLB_ENTRIES];
    VPrimeTlbEntry *tlb_last;   /* the latest hit: walks go page by page */
    unsigned tlb_next;          /* the entry the next fill replaces */
    uint64_t rng;               /* jitter: vprime_rand() state, from seed */
    uint8_t *bounce;            /* VPRIME_GPU_BOUNCE_SIZE: chunked work */
    VPrimeEngine *active;       /* engine doing data work, for its page log */

    /* fault injection (QOM fault, fault-seed, fault-log) */
    VPrimeFaults faults;
    uint64_t vram_retired;      /* bytes at the top of VRAM retired */
    bool dma_failed;            /* the active engine's DMA hit an injected error */

    /* statistics (QOM stat-*) */
    uint64_t stat_read[VPRIME_MEM__MAX];
    uint64_t stat_written[VPRIME_MEM__MAX];
    uint64_t stat_faults;
    uint64_t stat_tlb_walks;
};

/* vprime-gpu-mmu.c */
void vprime_gpu_tlb_invalidate(VPrimeGpuState *s, uint32_t ctx);
/*
 * Check that every page of [va, va + len) is mapped for the access, without
 * moving data; on failure the fault is reported and the context stopped.
 */
bool vprime_gpu_probe(VPrimeGpuState *s, uint32_t ctx, uint64_t va,
                      uint64_t len, bool is_write);
/* Copy between two GPU VAs of a context, without staging where possible */
bool vprime_gpu_copy(VPrimeGpuState *s, uint32_t ctx, uint64_t src,
                     uint64_t dst, uint64_t len);
/* Move data through the context's page tables; false after a fault. */
bool vprime_gpu_rw(VPrimeGpuState *s, uint32_t ctx, uint64_t va, void *buf,
                   uint64_t len, bool is_write);

/*
 * Whether the active engine's command in flight may DMA [addr, addr + len)
 * of system memory; false after an injected DMA error, which halts it.
 */
bool vprime_gpu_dma_allowed(VPrimeGpuState *s, uint64_t addr, uint64_t len);

/* vprime-gpu-engine.c */
void vprime_engine_init(VPrimeGpuState *s, unsigned idx, const char *name);
void vprime_engine_fini(VPrimeEngine *e);
void vprime_engine_reset(VPrimeEngine *e);
bool vprime_engine_read(VPrimeEngine *e, hwaddr reg, uint64_t *val);
bool vprime_engine_write(VPrimeEngine *e, hwaddr reg, uint64_t val);
void vprime_engine_kick(VPrimeEngine *e);

extern const VMStateDescription vmstate_vprime_engine;

#endif
