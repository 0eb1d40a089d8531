/*
 * vprime: host-controlled fault injection, shared by the GPUs and the
 * display engine
 *
 * The host arms faults with a small script (QOM property "fault", or
 * -device ...,fault=...); the device model asks at each event that a
 * fault kind can hit (an engine fetching a command, a fence interrupt, a
 * composed frame, a vblank) whether an armed fault fires.  Decisions depend
 * only on the fault script, the seed (property "fault-seed") and per-device
 * event sequence numbers, never on time, so that a run is reproducible.
 * Every injected event is counted (stat-injected-<kind>) and appended to the
 * device's event log (fault-log).
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VPRIME_FAULT_H
#define HW_VPRIME_FAULT_H

#include "vprime-core.h"

typedef enum VPrimeInjKind {
    VPRIME_INJ_HANG,            /* GPU: an engine stops on a command */
    VPRIME_INJ_LOST_IRQ,        /* GPU: a fence interrupt is not sent */
    VPRIME_INJ_LATE_IRQ,        /* GPU: a fence interrupt is sent late */
    VPRIME_INJ_DMA_ERROR,       /* GPU: engine DMA fails, the engine halts */
    VPRIME_INJ_SLOW_FENCE,      /* GPU: a FENCE command takes longer */
    VPRIME_INJ_VRAM_RETIRE,     /* dGPU: VRAM at the top becomes unusable */
    VPRIME_INJ_UNDERRUN,        /* display: a frame's fetch fails */
    VPRIME_INJ_UNPLUG,          /* display: the monitor is unplugged */
    VPRIME_INJ_REPLUG,          /* display: the monitor is plugged back in */
    VPRIME_INJ__MAX,
} VPrimeInjKind;

#define VPRIME_INJ_GPU_KINDS    (BIT(VPRIME_INJ_HANG) | BIT(VPRIME_INJ_LOST_IRQ) | \
                                 BIT(VPRIME_INJ_LATE_IRQ) | \
                                 BIT(VPRIME_INJ_DMA_ERROR) | \
                                 BIT(VPRIME_INJ_SLOW_FENCE))
#define VPRIME_INJ_DISPLAY_KINDS (BIT(VPRIME_INJ_UNDERRUN) | \
                                  BIT(VPRIME_INJ_UNPLUG) | \
                                  BIT(VPRIME_INJ_REPLUG))

/* target of a fault armed without engine= / head=: any */
#define VPRIME_INJ_ANY          UINT32_MAX

/* One armed fault, as parsed from the script */
typedef struct VPrimeFault {
    VPrimeInjKind kind;
    uint32_t target;            /* engine or head */
    uint64_t after;             /* matching events that pass first */
    uint64_t count;             /* events it hits; 0: every one */
    uint64_t prob;              /* percent of candidate events hit */
    uint64_t delay_ns;          /* late-irq, slow-fence */
    uint64_t jitter_ns;         /* late-irq, slow-fence: + U(0, jitter) */
    uint64_t start;             /* dma-error: DMA address range ... */
    uint64_t size;              /* ... (0: any address) */
    uint64_t bytes;             /* vram-retire */
    uint64_t replug;            /* unplug: vblanks until replugged, 0 never */

    /* progress */
    uint64_t seen;              /* candidate events since armed */
    uint64_t hits;
    uint64_t last_seq;          /* dma-error: one candidate per command */
} VPrimeFault;

/* What a hit tells the caller (a copy of the fault's parameters) */
typedef struct VPrimeFaultHit {
    uint64_t delay_ns;          /* delay + jitter drawn from the seed */
    uint64_t bytes;
    uint64_t replug;
} VPrimeFaultHit;

typedef struct VPrimeFaults {
    Object *obj;
    VPrimeCore *core;
    uint32_t kinds;             /* BIT(VPRIME_INJ_*) this device has */
    uint32_t ntargets;          /* engines or heads */
    const char *target_kind;    /* "engine" or "head" */
    const char *const *target_names;    /* NULL: target_kind + number */
    /*
     * called for each fault armed: applies one that acts when armed
     * (vram-retire), or lets the device watch for the events the others
     * wait for; may be NULL
     */
    void (*arm)(void *opaque, const VPrimeFault *f);
    void *opaque;

    GArray *armed;              /* of VPrimeFault */
    uint64_t seed;
    uint64_t rng;               /* vprime_rand() state, from seed */
    GString *log;
    uint64_t nlog;
    uint64_t narmed;            /* faults that acted when armed */
    uint64_t stat[VPRIME_INJ__MAX];
} VPrimeFaults;

/*
 * From instance_init: adds the properties fault, fault-seed, fault-log and
 * stat-injected-<kind> for the device's kinds.  ntargets may still change
 * until realize (the display's heads property).
 */
void vprime_faults_init(VPrimeFaults *f, Object *obj, VPrimeCore *core,
                        uint32_t kinds, const char *target_kind,
                        const char *const *target_names);
/* From realize: the real number of targets; faults armed before are checked */
bool vprime_faults_realize(VPrimeFaults *f, uint32_t ntargets, Error **errp);
void vprime_faults_fini(VPrimeFaults *f);
/* stats-reset: clears the stat-injected-* counters and the log */
void vprime_faults_stats_reset(VPrimeFaults *f);

/*
 * One candidate event of a kind on a target, with its sequence number in
 * the device's own event count ('event' names that count in the log).
 * addr/len: the DMA of a dma-error candidate (ignored otherwise).  Returns
 * true when an armed fault hits it: the hit is logged and counted and
 * *hit gets its parameters.
 */
bool vprime_fault_check(VPrimeFaults *f, VPrimeInjKind kind, uint32_t target,
                        const char *event, uint64_t seq, uint64_t addr,
                        uint64_t len, VPrimeFaultHit *hit);
/* Log and count an event that is a consequence of a fault (auto replug) */
void vprime_fault_note(VPrimeFaults *f, VPrimeInjKind kind, uint32_t target,
                       const char *event, uint64_t seq, const char *detail);

#endif
