/*
 * QTest fuzzer for the vprime device models: from a seed, random register
 * reads and writes on every BAR (MMIO registers, MSI-X table and PBA, the
 * dGPU's VRAM) and random but structure-aware work (page tables with
 * random PTEs, rings of random commands, display modes and planes with
 * random page lists), on each model alone and on all three behind an
 * intel-iommu with DMA remapping on.
 *
 * Inputs come in batches.  After each batch: QEMU still answers, every
 * device resets (all of them before any is checked, so none still works
 * on the batch's jobs while another is checked) and works (a known-good
 * fill lands with its fence and MSI-X message; each display head latches
 * a valid mode and shows the right CRC), and guest memory and VRAM the
 * fuzzer never gave a device are unchanged (canary pages, some right next
 * to pages the devices write).
 *
 * Canaries are checked after "closed" batches, in which every address a
 * device may write through (PTE leaves, fence addresses, MSI-X
 * addresses) avoids them and every table the GPU walks was built by the
 * fuzzer.  "Open" batches let tables and leaves point anywhere (device
 * registers, ROM, VRAM, other data): there the device legitimately
 * writes wherever that data says, so they check QEMU's survival, reset
 * and function only, and the canaries are rewritten afterwards.
 *
 * Every batch draws from its own glib GRand, seeded with (seed, target,
 * batch), so a run is a function of the seed and the number of inputs per
 * target, and the same two replay it exactly.  Without environment (make
 * check) the seed is FUZZ_CHECK_SEED and each target runs
 * FUZZ_CHECK_INPUTS inputs: the same inputs, outcomes and verdicts on
 * every run and machine.  Each target reports a digest of its random
 * draws and one of every value it read back from QEMU, so two runs are
 * seen to be the same.
 *
 * Environment (make fuzz, scripts/fuzz.sh): VPRIME_FUZZ_SEED (default
 * FUZZ_CHECK_SEED), VPRIME_FUZZ_ITERS (inputs per target),
 * VPRIME_FUZZ_SECONDS (a time budget shared by all targets instead of the
 * count; with both, whichever ends first).  A failure prints the one
 * command that replays it: VPRIME_FUZZ_REPLAY (default "scripts/fuzz.sh")
 * followed by --replay TARGET SEED INPUTS.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/i386/intel_iommu.h"
#include "hw/i386/intel_iommu_internal.h"
#include "vprime-qtest.h"
#include "hw/vprime/vprime_layout.h"

/* ---- guest memory map (q35, 512 MiB of RAM) --------------------------- */

#define RAM_SIZE        (512 * MiB)
#define PAGE            4096ULL
#define VTD_TABLES      (4 * MiB)       /* the IOMMU's tables, not DMA-mapped */
#define TABLE_BASE      (16 * MiB)      /* GPU page tables the fuzzer builds */
#define TABLE_SIZE      (16 * MiB)
#define RING_BASE       (32 * MiB)      /* rings, page lists, scanout buffers */
#define RING_SIZE       (16 * MiB)
#define DATA_BASE       (48 * MiB)      /* pages devices may write */
#define DATA_SIZE       (16 * MiB)
#define DATA_BLOCK      (64 * KiB)      /* its last page is a canary */
#define CHECK_BASE      (96 * MiB)      /* known-good checks */
#define CHECK_SIZE      (1 * MiB)
#define IOMMU_HOLE      (104 * MiB)     /* RAM the IOMMU does not map: faults */
#define IOMMU_HOLE_SIZE (2 * MiB)
#define VRAM_SIZE       (16 * MiB)
#define VRAM_CANARY     (1 * MiB)       /* top of VRAM, never given out */

/*
 * Addresses nothing decodes (nor the low half alone: 3 GiB is in the PCI
 * hole below the BARs), the firmware ROM, the MSI window
 */
#define UNASSIGNED      0x100c0000000ULL
#define BIOS_ROM        0xfffc0000ULL
#define MSI_WINDOW      0xfee00000ULL

static const struct {
    uint64_t base, size;
} canary_blocks[] = {
    { 8 * MiB, 1 * MiB },
    { DATA_BASE + DATA_SIZE, 256 * KiB },   /* right after the data pages */
    { 112 * MiB, 1 * MiB },
    { 300 * MiB, 256 * KiB },
};

#define MAX_DEVS        3
#define MAX_MAPS        16
#define GPU_VA          0x40000000ULL

typedef enum DevKind { IGPU, DGPU, DISPLAY } DevKind;

typedef struct Map {
    uint32_t ctx;
    uint64_t va;
    uint32_t pages;
} Map;

typedef struct Dev {
    DevKind kind;
    char path[32];              /* QOM path */
    QPCIDevice *pdev;
    QPCIBar mmio;               /* BAR 0, the registers */
    QPCIBar vram;               /* dGPU: the VRAM BAR */
    uint64_t vram_size;         /* dGPU: VRAM_SIZE, else 0 */
    uint32_t heads;
    bool scatter;
    uint32_t mode_w[VPRIME_HEADS_MAX], mode_h[VPRIME_HEADS_MAX];
    uint8_t msix_cap;

    /* GPU: what this batch set up */
    uint64_t root[VPRIME_GPU_MAX_CONTEXTS];
    uint32_t ctxs[4];
    unsigned nctx;
    Map maps[MAX_MAPS];
    unsigned nmaps;
    uint64_t ring[VPRIME_GPU_ENGINES];      /* 0: not one of ours */
    uint32_t ring_entries[VPRIME_GPU_ENGINES];
    uint32_t tail[VPRIME_GPU_ENGINES];
    uint64_t seqno;
} Dev;

typedef struct Target {
    const char *name;
    const char *args;           /* devices in slots VPRIME_DUT_SLOT up */
    bool iommu;
    int ndev;                   /* vprime devices */
    int fuzzed;                 /* devices fuzzed: the first 'fuzzed' ones */
} Target;

typedef struct Fuzz {
    const Target *t;
    VPrimeQTest q;              /* QEMU and its PCI bus; no single DUT */
    Dev dev[MAX_DEVS];
    int ndev;
    GRand *rand;                /* this batch's inputs */
    bool closed;                /* this batch keeps writes off canaries */
    bool in_input;              /* inside fuzz_one() */
    uint64_t table_next, ring_next;
    uint64_t batch;

    /* what happened, for the report */
    uint64_t inputs, closed_batches, open_batches, canary_checks;
    uint64_t stat[6];           /* device counters, summed per batch */
    uint64_t draw_digest;       /* FNV-1a of every random draw */
    uint64_t read_digest;       /* FNV-1a of every value read from QEMU */
} Fuzz;

/* ---- parameters, seed, reproduction ----------------------------------- */

/* make check: this seed, this many inputs per target (about 50 s here) */
#define FUZZ_CHECK_SEED     0x7670726d65ULL
#define FUZZ_CHECK_INPUTS   1200

static uint64_t fuzz_seed;
static double fuzz_seconds;     /* per target, 0: no time budget */
static uint64_t fuzz_iters;     /* per target, 0: unbounded */
static unsigned n_targets;
static Fuzz *current;

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = g_getenv(name);

    return v && *v ? g_ascii_strtoull(v, NULL, 0) : dflt;
}

static void fuzz_abort_hook(void *opaque)
{
    Fuzz *f = current;
    const char *replay = g_getenv("VPRIME_FUZZ_REPLAY");

    if (f) {
        /* a failing input counts: replaying up to it reaches the failure */
        uint64_t n = f->inputs + f->in_input;

        fprintf(stderr, "# vprime-fuzz: FAILED on target %s, batch %" PRIu64
                " (%s), after %" PRIu64 " inputs\n"
                "# reproduce: %s --replay %s 0x%" PRIx64 " %" PRIu64 "\n",
                f->t->name, f->batch, f->closed ? "closed" : "open", n,
                replay && *replay ? replay : "scripts/fuzz.sh", f->t->name,
                fuzz_seed, n);
    }
}

/* ---- random numbers: glib's GRand, one stream per batch --------------- */

static void digest(uint64_t *h, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++, v >>= 8) {
        *h = (*h ^ (v & 0xff)) * 0x100000001b3ULL;
    }
}

/* The stream of a target's batch (G_MAXUINT64: the checks before any) */
static void rand_seed(Fuzz *f, unsigned target_idx, uint64_t batch)
{
    const guint32 key[] = {
        fuzz_seed, fuzz_seed >> 32, target_idx, batch, batch >> 32,
    };

    g_rand_set_seed_array(f->rand, key, ARRAY_SIZE(key));
}

static uint32_t r32(Fuzz *f)
{
    uint32_t v = g_rand_int(f->rand);

    digest(&f->draw_digest, v);
    return v;
}

static uint64_t r64(Fuzz *f)
{
    uint64_t hi = r32(f);

    return hi << 32 | r32(f);
}

/* uniform in [0, n) */
static uint32_t rn(Fuzz *f, uint32_t n)
{
    uint32_t v;

    if (n <= 1) {
        return 0;
    }
    g_assert(n <= G_MAXINT32);
    v = g_rand_int_range(f->rand, 0, n);
    digest(&f->draw_digest, v);
    return v;
}

static bool pct(Fuzz *f, unsigned p)
{
    return rn(f, 100) < p;
}

/* Every value read from QEMU goes into the run's read digest */
static uint64_t seen(Fuzz *f, uint64_t v)
{
    digest(&f->read_digest, v);
    return v;
}

/* Guest RAM; the devices' BARs are read through libqos (rd() and so on) */
static uint32_t rdl(Fuzz *f, uint64_t addr)
{
    return seen(f, qtest_readl(f->q.qts, addr));
}

static uint64_t rdq(Fuzz *f, uint64_t addr)
{
    return seen(f, qtest_readq(f->q.qts, addr));
}

/* A register value: boundaries, powers of two, small, or anything */
static uint32_t any_u32(Fuzz *f)
{
    static const uint32_t magic[] = {
        0, 1, 2, 3, 4, 7, 8, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100, 0xfff,
        0x1000, 0x1001, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
        0xfffffffe, 0xffffffff, VPRIME_RESET_MAGIC,
        VPRIME_RING_ENTRIES_MIN, VPRIME_RING_ENTRIES_MAX,
        VPRIME_RING_ENTRIES_MAX * 2, VPRIME_GPU_MAX_CONTEXTS,
        VPRIME_DISP_MAX_DIM, VPRIME_DISP_MAX_DIM + 1, VPRIME_DISP_FB_MAX,
        VPRIME_DISP_FB_MAX + 1, VPRIME_CMD_MAX_DIM, VPRIME_CMD_MAX_DIM + 1,
        VPRIME_XY(VPRIME_DISP_MAX_DIM, VPRIME_DISP_MAX_DIM),
        VPRIME_XY(0xffff, 0xffff), VPRIME_HEAD_EV_VALID_MASK,
        VPRIME_ERR_VALID_MASK,
    };

    switch (rn(f, 5)) {
    case 0:
        return magic[rn(f, ARRAY_SIZE(magic))];
    case 1:
        return (1u << rn(f, 32)) + (int)rn(f, 3) - 1;
    case 2:
        return rn(f, 256);
    default:
        return r64(f);
    }
}

/* ---- which addresses a batch may give a device ------------------------ */

static bool in_canary(uint64_t addr, uint64_t len)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(canary_blocks); i++) {
        if (addr < canary_blocks[i].base + canary_blocks[i].size &&
            addr + len > canary_blocks[i].base) {
            return true;
        }
    }
    if (addr < DATA_BASE + DATA_SIZE && addr + len > DATA_BASE) {
        uint64_t a;

        for (a = addr & ~(PAGE - 1); a < addr + len; a += PAGE) {
            if (a >= DATA_BASE && a < DATA_BASE + DATA_SIZE &&
                (a - DATA_BASE) % DATA_BLOCK == DATA_BLOCK - PAGE) {
                return true;
            }
        }
    }
    return false;
}

/* A data page the devices may write: never a canary */
static uint64_t data_page(Fuzz *f)
{
    uint64_t block = rn(f, DATA_SIZE / DATA_BLOCK);
    uint64_t page = rn(f, DATA_BLOCK / PAGE - 1);

    return DATA_BASE + block * DATA_BLOCK + page * PAGE;
}

/* A data page next to a canary: an overrun by one byte hits it */
static uint64_t data_page_edge(Fuzz *f)
{
    uint64_t block = rn(f, DATA_SIZE / DATA_BLOCK);

    return DATA_BASE + block * DATA_BLOCK +
           (pct(f, 50) ? DATA_BLOCK - 2 * PAGE : 0);
}

static Dev *pick_dev(Fuzz *f)
{
    return &f->dev[rn(f, f->ndev)];
}

/* A BAR of some device (reads and, in open batches, writes) */
static uint64_t bar_addr(Fuzz *f)
{
    Dev *d = pick_dev(f);

    switch (rn(f, 3)) {
    case 0:
        return d->mmio.addr + (rn(f, VPRIME_MMIO_SIZE) & ~3u);
    case 1:
        return d->pdev->msix_table_bar.addr + (rn(f, 0x100) & ~3u);
    default:
        return d->vram_size ? d->vram.addr + rn(f, d->vram_size)
                            : d->mmio.addr;
    }
}

/*
 * A DMA address a device may write to in this batch: data pages (and
 * next to canaries), the ROM, nothing; an open batch adds everything.
 */
static uint64_t write_addr(Fuzz *f)
{
    uint64_t a;

    switch (rn(f, f->closed ? 6 : 10)) {
    case 0:
    case 1:
        return data_page(f) + (rn(f, PAGE) & ~7u);
    case 2:
        return data_page_edge(f) + (pct(f, 50) ? PAGE - 8 : 0);
    case 3:
        return UNASSIGNED + (r64(f) & 0xfffff000);
    case 4:
        return BIOS_ROM + (rn(f, 0x40000) & ~7u);
    case 5:     /* above RAM; the low half alone is nothing either */
        return (r64(f) << 32 | 1ULL << 32 | UNASSIGNED) & ~7ULL;
    case 6:
        return bar_addr(f);
    case 7:
        return MSI_WINDOW + (rn(f, 0x1000) & ~3u);
    case 8:
        return RAM_SIZE - PAGE + (rn(f, 2 * PAGE) & ~7u);
    default:
        a = r64(f) & (pct(f, 50) ? 0xffffffffULL : ~0ULL);
        return a;
    }
}

/*
 * The low half of a write address register: in a closed batch, safe with
 * any high half (0 included, and any other high half is above RAM).
 */
static uint32_t write_addr_lo(Fuzz *f)
{
    return write_addr(f);
}

/* ---- guest memory helpers --------------------------------------------- */

static uint64_t table_alloc(Fuzz *f)
{
    uint64_t at = f->table_next;

    f->table_next += PAGE;
    if (f->table_next > TABLE_BASE + TABLE_SIZE) {
        f->table_next = TABLE_BASE + PAGE;
        at = TABLE_BASE;
    }
    qtest_memset(f->q.qts, at, 0, PAGE);
    return at;
}

static uint64_t ring_alloc(Fuzz *f, uint64_t bytes)
{
    uint64_t at;

    bytes = ROUND_UP(bytes, PAGE);
    if (f->ring_next + bytes > RING_BASE + RING_SIZE) {
        f->ring_next = RING_BASE;
    }
    at = f->ring_next;
    f->ring_next += bytes;
    return at;
}

/*
 * A broken table pointer.  In a closed batch, no memory: pointing at one
 * of our tables of another level would make the walk take a leaf's data
 * page for a table, whose content the device itself wrote.  An open batch
 * has loops, level confusion and tables in device registers, ROM or data.
 */
static uint64_t table_ptr(Fuzz *f)
{
    if (f->closed || pct(f, 20)) {
        return UNASSIGNED + rn(f, 256) * PAGE;
    }
    if (f->table_next > TABLE_BASE && pct(f, 60)) {
        return TABLE_BASE + rn(f, (f->table_next - TABLE_BASE) / PAGE) * PAGE;
    }
    switch (rn(f, 5)) {
    case 0:
        return bar_addr(f) & ~(PAGE - 1);
    case 1:
        return BIOS_ROM + rn(f, 64) * PAGE;
    case 2:
        return data_page(f);
    case 3:
        return RING_BASE + rn(f, RING_SIZE / PAGE) * PAGE;
    default:
        return r64(f) & VPRIME_PTE_ADDR_MASK;
    }
}

static void fill_pattern(uint64_t addr, uint8_t *buf, size_t len)
{
    size_t i;

    for (i = 0; i < len; i += 8) {
        uint64_t v = (addr + i) * 0x9e3779b97f4a7c15ULL ^ 0xc0ffee5a17c0ffeeULL;

        stq_le_p(buf + i, v);
    }
}

static void canary_each(Fuzz *f, bool check)
{
    g_autofree uint8_t *want = g_malloc(1 * MiB);
    g_autofree uint8_t *got = g_malloc(1 * MiB);
    uint64_t regions[ARRAY_SIZE(canary_blocks) + DATA_SIZE / DATA_BLOCK + 2][2];
    unsigned n = 0, i;
    int d;

    for (i = 0; i < ARRAY_SIZE(canary_blocks); i++) {
        regions[n][0] = canary_blocks[i].base;
        regions[n++][1] = canary_blocks[i].size;
    }
    for (i = 0; i < DATA_SIZE / DATA_BLOCK; i++) {
        regions[n][0] = DATA_BASE + (i + 1) * DATA_BLOCK - PAGE;
        regions[n++][1] = PAGE;
    }
    for (d = 0; d < f->ndev; d++) {
        if (f->dev[d].vram_size) {
            regions[n][0] = f->dev[d].vram.addr + f->dev[d].vram_size -
                            VRAM_CANARY;
            regions[n++][1] = VRAM_CANARY;
        }
    }
    for (i = 0; i < n; i++) {
        uint64_t base = regions[i][0], len = regions[i][1];

        fill_pattern(base, want, len);
        if (!check) {
            qtest_bufwrite(f->q.qts, base, want, len);
            continue;
        }
        qtest_bufread(f->q.qts, base, got, len);
        if (memcmp(want, got, len)) {
            uint64_t off = 0;

            while (want[off] == got[off]) {
                off++;
            }
            fprintf(stderr, "# vprime-fuzz: guest memory at 0x%" PRIx64
                    " changed, which no device was given\n", base + off);
            g_assert_not_reached();
        }
    }
}

/* ---- device access ---------------------------------------------------- */

static uint32_t rd(Fuzz *f, Dev *d, uint32_t reg)
{
    return seen(f, qpci_io_readl(d->pdev, d->mmio, reg));
}

static void wr(Fuzz *f, Dev *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(d->pdev, d->mmio, reg, val);
}

static void ewr(Fuzz *f, Dev *d, int e, uint32_t reg, uint32_t val)
{
    wr(f, d, VPRIME_ENGINE_BASE(e) + reg, val);
}

static uint32_t erd(Fuzz *f, Dev *d, int e, uint32_t reg)
{
    return rd(f, d, VPRIME_ENGINE_BASE(e) + reg);
}

static void hwr(Fuzz *f, Dev *d, int h, uint32_t reg, uint32_t val)
{
    wr(f, d, VPRIME_HEAD_BASE(h) + reg, val);
}

static uint32_t hrd(Fuzz *f, Dev *d, int h, uint32_t reg)
{
    return rd(f, d, VPRIME_HEAD_BASE(h) + reg);
}

static QDict *qom_get(Fuzz *f, Dev *d, const char *prop)
{
    return qtest_qmp(f->q.qts, "{'execute': 'qom-get', 'arguments': {'path': "
                     "%s, 'property': %s}}", d->path, prop);
}

static void qom_set_int(Fuzz *f, Dev *d, const char *prop, int val)
{
    qobject_unref(qtest_qmp(f->q.qts, "{'execute': 'qom-set', 'arguments': "
                            "{'path': %s, 'property': %s, 'value': %d}}",
                            d->path, prop, val));
}

static void msix_ctrl(Fuzz *f, Dev *d, uint16_t flags)
{
    qpci_config_writew(d->pdev, d->msix_cap + PCI_MSIX_FLAGS,
                       (qpci_config_readw(d->pdev, d->msix_cap +
                                          PCI_MSIX_FLAGS) &
                        ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) |
                       flags);
}

/* ---- inputs for every device ------------------------------------------ */

/* Is reg (BAR 0) one that holds an address the device writes through? */
static bool is_write_addr_reg(Dev *d, uint32_t reg)
{
    int e;

    if (d->kind == DISPLAY) {
        return false;
    }
    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        if (reg == VPRIME_ENGINE_BASE(e) + VPRIME_ENG_FENCE_ADDR_LO ||
            reg == VPRIME_ENGINE_BASE(e) + VPRIME_ENG_FENCE_ADDR_HI) {
            return true;
        }
    }
    return false;
}

static bool is_table_reg(Dev *d, uint32_t reg)
{
    return d->kind != DISPLAY &&
           (reg == VPRIME_REG_CTX_PT_LO || reg == VPRIME_REG_CTX_PT_HI);
}

/* A BAR 0 offset: a known register of the device mostly, any offset too */
static uint32_t any_reg(Fuzz *f, Dev *d)
{
    uint32_t h;

    switch (rn(f, 6)) {
    case 0:
        return rn(f, VPRIME_COMMON_REGS_END / 4) * 4;
    case 1:
        return rn(f, VPRIME_MMIO_SIZE) & (pct(f, 90) ? ~3u : ~0u);
    default:
        if (d->kind == DISPLAY) {
            h = rn(f, VPRIME_HEADS_MAX + 1);
            if (pct(f, 20)) {
                return VPRIME_DISP_CAPS + rn(f, 8) * 4;
            }
            return VPRIME_HEAD_BASE(h) + rn(f, VPRIME_HEAD_REGS_SIZE / 4) * 4;
        }
        if (pct(f, 40)) {
            return VPRIME_REG_CTX_SELECT + rn(f, 12) * 4;
        }
        return VPRIME_ENGINE_BASE(rn(f, 3)) +
               rn(f, VPRIME_ENG_REGS_SIZE / 4) * 4;
    }
}

static void op_mmio(Fuzz *f, Dev *d)
{
    uint32_t reg = any_reg(f, d);
    uint32_t v;

    if (pct(f, 35)) {
        switch (rn(f, 8)) {
        case 0:
            seen(f, qpci_io_readb(d->pdev, d->mmio, reg));
            break;
        case 1:
            seen(f, qpci_io_readw(d->pdev, d->mmio, reg));
            break;
        case 2:
            seen(f, qpci_io_readq(d->pdev, d->mmio, reg & ~7u));
            break;
        default:
            seen(f, qpci_io_readl(d->pdev, d->mmio, reg & ~3u));
            break;
        }
        return;
    }
    if (reg == VPRIME_REG_RESET && pct(f, 70)) {
        reg = VPRIME_REG_SCRATCH;       /* a reset ends the batch's setup */
    }
    if (is_write_addr_reg(d, reg & ~3u) && f->closed) {
        /* any high half: 0 keeps the low half's meaning, else above RAM */
        v = ((reg & ~3u) - VPRIME_ENGINE_BASE(0)) % VPRIME_ENG_REGS_SIZE ==
            VPRIME_ENG_FENCE_ADDR_HI ? (pct(f, 50) ? 0 : any_u32(f))
                                     : write_addr_lo(f);
    } else if (is_table_reg(d, reg & ~3u) && f->closed) {
        /* a root table of this batch, or nothing */
        if ((reg & ~3u) == VPRIME_REG_CTX_PT_HI) {
            v = pct(f, 70) ? 0 : any_u32(f);
        } else if (d->nctx && pct(f, 80)) {
            v = d->root[d->ctxs[rn(f, d->nctx)]];
        } else {
            v = (uint32_t)UNASSIGNED;
        }
    } else {
        v = any_u32(f);
    }
    if (f->closed && (is_write_addr_reg(d, reg & ~3u) ||
                      is_table_reg(d, reg & ~3u))) {
        wr(f, d, reg & ~3u, v);     /* whole halves only */
        return;
    }
    switch (rn(f, 10)) {
    case 0:
        qpci_io_writeb(d->pdev, d->mmio, reg, v);
        break;
    case 1:
        qpci_io_writew(d->pdev, d->mmio, reg, v);
        break;
    case 2:
        qpci_io_writeq(d->pdev, d->mmio, reg & ~7u,
                       (uint64_t)v << 32 | any_u32(f));
        break;
    default:
        qpci_io_writel(d->pdev, d->mmio, reg, v);
        break;
    }
}

static void op_msix(Fuzz *f, Dev *d)
{
    uint32_t vecs = d->kind == DISPLAY ? VPRIME_DISPLAY_MSIX_VECTORS
                                       : VPRIME_GPU_MSIX_VECTORS;
    uint32_t vec = rn(f, vecs + 1);     /* one past the table, too */
    QPCIBar table = d->pdev->msix_table_bar;
    uint64_t e = d->pdev->msix_table_off + vec * PCI_MSIX_ENTRY_SIZE;

    switch (rn(f, 8)) {
    case 0:
        seen(f, qpci_io_readl(d->pdev, table, rn(f, 0x1000) & ~3u));
        break;
    case 1:     /* the PBA, which the guest cannot write */
        qpci_io_writel(d->pdev, d->pdev->msix_pba_bar,
                       d->pdev->msix_pba_off + rn(f, 4) * 4, any_u32(f));
        break;
    case 2:
        msix_ctrl(f, d, (pct(f, 80) ? PCI_MSIX_FLAGS_ENABLE : 0) |
                        (pct(f, 20) ? PCI_MSIX_FLAGS_MASKALL : 0));
        break;
    case 3:
        qpci_io_writel(d->pdev, table, e + PCI_MSIX_ENTRY_VECTOR_CTRL,
                       rn(f, 2));
        break;
    case 4:
        qpci_io_writel(d->pdev, table, e + PCI_MSIX_ENTRY_DATA, any_u32(f));
        break;
    default:
        vprime_msix_set(d->pdev, vec, (pct(f, 70) ? 0 : r64(f) << 32) |
                    write_addr_lo(f), any_u32(f), pct(f, 85) ? 0 : 1);
        break;
    }
}

static void op_vram(Fuzz *f, Dev *d)
{
    uint64_t limit = d->vram_size - VRAM_CANARY;
    uint64_t off = pct(f, 20) ? limit - 8 - rn(f, 64) : rn(f, limit - 8);

    switch (rn(f, 8)) {
    case 0:
        qpci_io_writeb(d->pdev, d->vram, off, r64(f));
        break;
    case 1:
        qpci_io_writew(d->pdev, d->vram, off, r64(f));
        break;
    case 2:
        qpci_io_writel(d->pdev, d->vram, off, any_u32(f));
        break;
    case 3:
        qpci_io_writeq(d->pdev, d->vram, off, r64(f));
        break;
    case 4: {
        uint8_t buf[256];
        uint32_t n = MIN(sizeof(buf), limit - off), i;

        for (i = 0; i < n; i++) {
            buf[i] = r64(f);
        }
        qpci_memwrite(d->pdev, d->vram, off, buf, n);
        break;
    }
    default:
        seen(f, qpci_io_readq(d->pdev, d->vram, off & ~7ULL));
        break;
    }
}

static void op_host(Fuzz *f, Dev *d)
{
    switch (rn(f, 10)) {
    case 0:
    case 1:
        qom_set_int(f, d, "inject-error", rn(f, 3));
        break;
    case 2:     /* loses some counts of the report: rare */
        qtest_qom_set_bool(f->q.qts, d->path, "stats-reset", true);
        break;
    case 3:
    case 4:
        qobject_unref(qom_get(f, d, "stat-guest-errors"));
        break;
    default:
        wr(f, d, VPRIME_REG_IRQ_ENABLE, pct(f, 80) ? rn(f, 0x1000) & 0xf03
                                                    : any_u32(f));
        wr(f, d, VPRIME_REG_IRQ_RAISE, rn(f, 4));
        break;
    }
}

static void op_clock(Fuzz *f)
{
    static const int64_t steps[] = {
        1000, 10 * 1000, 100 * 1000, 1000 * 1000, 5 * 1000 * 1000,
        20 * 1000 * 1000,
    };

    qtest_clock_step(f->q.qts, steps[rn(f, ARRAY_SIZE(steps))] + rn(f, 1000));
}

/* ---- GPU: page tables, rings, commands -------------------------------- */

static uint64_t leaf_pte(Fuzz *f, Dev *d)
{
    uint64_t flags = VPRIME_PTE_VALID |
                     (pct(f, 85) ? VPRIME_PTE_WRITABLE : 0);
    uint64_t a;

    if (pct(f, 3)) {
        flags &= ~VPRIME_PTE_VALID;
    }
    if (pct(f, 5)) {
        flags |= r64(f) & 0xff8;            /* ignored low bits */
    }
    if (d->kind == DGPU ? pct(f, 40) : pct(f, 3)) {
        /* VRAM: anywhere but the canary; sometimes beyond VRAM */
        uint64_t lim = d->vram_size ? d->vram_size - VRAM_CANARY : VRAM_SIZE;

        a = pct(f, 90) ? rn(f, lim / PAGE) * PAGE
                       : (d->vram_size + rn(f, 64) * PAGE) << rn(f, 8);
        return (a & VPRIME_PTE_ADDR_MASK) | flags | VPRIME_PTE_VRAM;
    }
    switch (rn(f, f->closed ? 6 : 11)) {
    case 0:
    case 1:
    case 2:
        a = data_page(f);
        break;
    case 3:
        a = data_page_edge(f);
        break;
    case 4:
        a = UNASSIGNED + rn(f, 1024) * PAGE;
        break;
    case 5:     /* rings and page lists hold no pointer the GPU follows */
        a = pct(f, 50) ? BIOS_ROM + rn(f, 64) * PAGE
                       : RING_BASE + rn(f, RING_SIZE / PAGE) * PAGE;
        break;
    case 6:
        a = TABLE_BASE + rn(f, TABLE_SIZE / PAGE) * PAGE;
        break;
    case 7:
        a = bar_addr(f);
        break;
    case 8:
        a = rn(f, RAM_SIZE / PAGE) * PAGE;      /* canaries too */
        break;
    case 9:
        a = MSI_WINDOW;
        break;
    default:
        a = r64(f);
        break;
    }
    return (a & VPRIME_PTE_ADDR_MASK) | flags;
}

/*
 * May a closed batch map this leaf?  Not onto canaries (RAM or VRAM), our
 * page tables or low RAM; anything goes in an open batch.
 */
static bool leaf_ok(Fuzz *f, Dev *d, uint64_t pte)
{
    uint64_t a = pte & VPRIME_PTE_ADDR_MASK;

    if (!f->closed) {
        return true;
    }
    if (pte & VPRIME_PTE_VRAM) {
        return !d->vram_size || a < d->vram_size - VRAM_CANARY ||
               a >= d->vram_size;
    }
    return a >= TABLE_BASE + TABLE_SIZE && !in_canary(a, PAGE);
}

/* Map pages at va in ctx's tables (root is ours), making tables as needed */
static void gpu_map(Fuzz *f, Dev *d, uint32_t ctx, uint64_t va, uint32_t n)
{
    uint64_t root = d->root[ctx];
    uint64_t first = leaf_pte(f, d), pte;
    uint32_t i;

    for (i = 0; i < n; i++, va += PAGE) {
        uint64_t table = root, slot, e;
        int level;

        for (level = VPRIME_GPU_PT_LEVELS - 1; level > 0; level--) {
            slot = table + VPRIME_GPU_PT_INDEX(va, level) * 8;
            e = rdq(f, slot);
            if (!(e & VPRIME_PTE_VALID)) {
                if (pct(f, 4)) {
                    /* a broken or looping intermediate entry */
                    e = table_ptr(f) | VPRIME_PTE_VALID |
                        (pct(f, 30) ? VPRIME_PTE_VRAM : 0);
                    qtest_writeq(f->q.qts, slot, e);
                    break;
                }
                e = table_alloc(f) | VPRIME_PTE_VALID;
                qtest_writeq(f->q.qts, slot, e);
            }
            table = e & VPRIME_PTE_ADDR_MASK;
            if (table < TABLE_BASE || table >= TABLE_BASE + TABLE_SIZE) {
                break;          /* not one of ours: do not write there */
            }
        }
        if (level) {
            continue;
        }
        /* runs of consecutive pages mostly, as a real BO */
        pte = first + (uint64_t)i * PAGE;
        if (pct(f, 25) || !leaf_ok(f, d, pte)) {
            pte = leaf_pte(f, d);
        }
        qtest_writeq(f->q.qts, table + VPRIME_GPU_PT_INDEX(va, 0) * 8, pte);
    }
}

static void gpu_setup_ctx(Fuzz *f, Dev *d)
{
    static const uint64_t windows[] = {
        GPU_VA, 0, VPRIME_GPU_VA_LIMIT - 16 * MiB, 0x12345000ULL,
        GPU_VA + 2 * MiB - 8 * PAGE,     /* crosses a leaf table */
    };
    uint32_t ctx = pct(f, 50) ? 0 : rn(f, VPRIME_GPU_MAX_CONTEXTS);
    unsigned m, nm = 1 + rn(f, 3);

    if (d->nctx == ARRAY_SIZE(d->ctxs)) {
        return;
    }
    d->root[ctx] = table_alloc(f);
    d->ctxs[d->nctx++] = ctx;
    wr(f, d, VPRIME_REG_CTX_SELECT, ctx);
    wr(f, d, VPRIME_REG_CTX_PT_LO, d->root[ctx]);
    wr(f, d, VPRIME_REG_CTX_PT_HI, 0);
    wr(f, d, VPRIME_REG_CTX_CONTROL, pct(f, 95) ? VPRIME_CTX_ENABLE : 0);
    for (m = 0; m < nm && d->nmaps < MAX_MAPS; m++) {
        Map *mp = &d->maps[d->nmaps++];

        mp->ctx = ctx;
        mp->va = windows[rn(f, ARRAY_SIZE(windows))] +
                 rn(f, 64) * MiB * (m + 1);
        mp->va &= VPRIME_GPU_VA_LIMIT - 1;
        mp->pages = 1 + rn(f, pct(f, 80) ? 16 : 64);
        gpu_map(f, d, ctx, mp->va, mp->pages);
    }
}

static void gpu_setup_ring(Fuzz *f, Dev *d, int e)
{
    uint32_t entries = 1u << (2 + rn(f, 11));       /* 4 .. 4096 */
    uint64_t fence;

    ewr(f, d, e, VPRIME_ENG_CONTROL, 0);
    d->ring[e] = 0;
    if (pct(f, 90)) {
        entries = MIN(entries, 256);
        d->ring[e] = ring_alloc(f, entries * VPRIME_CMD_SIZE);
        qtest_memset(f->q.qts, d->ring[e], 0, entries * VPRIME_CMD_SIZE);
        ewr(f, d, e, VPRIME_ENG_RING_BASE_LO, d->ring[e]);
        ewr(f, d, e, VPRIME_ENG_RING_BASE_HI, 0);
    } else {
        uint64_t a = pct(f, 50) ? UNASSIGNED : (r64(f) & ~(PAGE - 1));

        ewr(f, d, e, VPRIME_ENG_RING_BASE_LO, a);
        ewr(f, d, e, VPRIME_ENG_RING_BASE_HI, a >> 32);
    }
    ewr(f, d, e, VPRIME_ENG_RING_SIZE, pct(f, 95) ? entries : any_u32(f));
    d->ring_entries[e] = erd(f, d, e, VPRIME_ENG_RING_SIZE);
    d->tail[e] = 0;
    fence = pct(f, 70) ? data_page(f) + rn(f, PAGE / 8) * 8 : write_addr(f);
    ewr(f, d, e, VPRIME_ENG_FENCE_ADDR_LO, fence);
    ewr(f, d, e, VPRIME_ENG_FENCE_ADDR_HI, fence >> 32);
    ewr(f, d, e, VPRIME_ENG_CONTROL, pct(f, 95) ? VPRIME_ENG_CTRL_ENABLE
                                                : any_u32(f));
}

static uint32_t rnd_format(Fuzz *f)
{
    return pct(f, 95) ? 1 + rn(f, 4) : any_u32(f);
}

static uint32_t fmt_cpp(uint32_t fmt)
{
    return fmt == VPRIME_FMT_RGB565 ? 2 : 4;
}

/* An address inside (or just past) something mapped, mostly */
static uint64_t gpu_va(Fuzz *f, Dev *d, uint32_t *ctx, uint32_t align)
{
    Map *m;
    uint64_t off;

    if (!d->nmaps || pct(f, 5)) {
        *ctx = pct(f, 90) ? 0 : rn(f, VPRIME_GPU_MAX_CONTEXTS + 4);
        return pct(f, 50) ? r64(f) & (VPRIME_GPU_VA_LIMIT - 1) : r64(f);
    }
    m = &d->maps[rn(f, d->nmaps)];
    *ctx = m->ctx;
    off = pct(f, 60) ? 0 : rn(f, m->pages * PAGE + (pct(f, 10) ? PAGE : 0));
    return ROUND_DOWN(m->va + off, align);
}

/* Dimensions: small mostly, up to the limits now and then */
static uint32_t rnd_dim(Fuzz *f)
{
    switch (rn(f, 50)) {
    case 0:
        return any_u32(f) & (pct(f, 50) ? 0x7fff : ~0u);
    case 1:
        return VPRIME_CMD_MAX_DIM - rn(f, 2);
    case 2:
        return 0;
    case 3:
    case 4:
    case 5:
        return 1 + rn(f, 1024);
    default:
        return 1 + rn(f, 64);
    }
}

static void gen_surface(Fuzz *f, Dev *d, uint64_t *va, uint32_t *pitch,
                        uint32_t w, uint32_t *fmt, uint32_t *layout,
                        uint32_t *ctx)
{
    bool tiled;

    *fmt = rnd_format(f);
    /* tiled: any registered layout, the GPU's own or not */
    *layout = pct(f, 75) ? VPRIME_LAYOUT_LINEAR :
              pct(f, 95) ? 1 + rn(f, VPRIME_LAYOUT_COUNT - 1) : any_u32(f);
    tiled = vprime_layout_tile_w(*layout) != 0;
    *va = gpu_va(f, d, ctx, tiled ? PAGE : fmt_cpp(*fmt));
    *pitch = (uint64_t)w * fmt_cpp(*fmt);
    if (tiled) {
        *pitch = ROUND_UP(*pitch, vprime_layout_tile_w(*layout));
    }
    if (pct(f, 30)) {
        *pitch += rn(f, 4) * (tiled ? vprime_layout_tile_w(*layout) : 4);
    }
    if (pct(f, 2)) {
        *pitch = any_u32(f);
    }
}

static void gen_cmd(Fuzz *f, Dev *d, struct vprime_cmd *c)
{
    uint32_t ctx = 0, ctx2;
    unsigned op = rn(f, 100);

    memset(c, 0, sizeof(*c));
    if (op < 20) {
        c->opcode = VPRIME_OP_FILL;
    } else if (op < 30) {
        c->opcode = VPRIME_OP_PATTERN;
    } else if (op < 50) {
        c->opcode = VPRIME_OP_BLIT;
    } else if (op < 70) {
        c->opcode = VPRIME_OP_COPY;
    } else if (op < 85) {
        c->opcode = VPRIME_OP_FENCE;
    } else if (op < 91) {
        c->opcode = VPRIME_OP_WAIT;
    } else if (op < 98) {
        c->opcode = VPRIME_OP_NOP;
    } else {
        c->opcode = any_u32(f);
    }

    switch (c->opcode) {
    case VPRIME_OP_FILL:
    case VPRIME_OP_PATTERN:
        c->rect.width = rnd_dim(f);
        c->rect.height = rnd_dim(f);
        gen_surface(f, d, &c->rect.dst, &c->rect.pitch, c->rect.width,
                    &c->rect.format, &c->rect.layout, &ctx);
        c->rect.color = r64(f);
        if (c->opcode == VPRIME_OP_PATTERN) {
            c->rect.frame = r64(f);
            c->rect.tag = r64(f);
        }
        break;
    case VPRIME_OP_BLIT:
        c->blit.width = rnd_dim(f);
        c->blit.height = rnd_dim(f);
        {
            uint32_t l1, l2;

            gen_surface(f, d, &c->blit.src, &c->blit.src_pitch,
                        c->blit.width, &c->blit.src_format, &l1, &ctx);
            gen_surface(f, d, &c->blit.dst, &c->blit.dst_pitch,
                        c->blit.width, &c->blit.dst_format, &l2, &ctx2);
            c->blit.src_layout = l1;
            c->blit.dst_layout = l2;
        }
        break;
    case VPRIME_OP_COPY:
        c->copy.src = gpu_va(f, d, &ctx, 1);
        c->copy.dst = gpu_va(f, d, &ctx2, 1);
        switch (rn(f, 8)) {
        case 0:
            c->copy.size = r64(f) >> rn(f, 64);
            break;
        case 1:
            c->copy.size = VPRIME_CMD_MAX_BYTES + rn(f, 2);
            break;
        case 2:
            c->copy.size = 0;
            break;
        default:
            c->copy.size = 1 + rn(f, 64 * PAGE);
            break;
        }
        break;
    case VPRIME_OP_FENCE:
        c->fence.value = pct(f, 80) ? ++d->seqno : r64(f);
        c->flags = pct(f, 50) ? VPRIME_CMDF_IRQ : 0;
        break;
    case VPRIME_OP_WAIT:
        c->wait.addr = gpu_va(f, d, &ctx, 8);
        c->wait.value = pct(f, 70) ? rn(f, 2) : r64(f);
        break;
    default:
        break;
    }
    c->ctx = pct(f, 98) ? ctx : rn(f, VPRIME_GPU_MAX_CONTEXTS + 4);
    if (pct(f, 1)) {
        c->flags = any_u32(f);
    }
    if (pct(f, 1)) {
        c->reserved = any_u32(f);
    }
    if (pct(f, 1)) {
        /* garbage anywhere in the command */
        ((uint8_t *)c)[16 + rn(f, 48)] = r64(f);
    }
}

static void op_submit(Fuzz *f, Dev *d)
{
    int e = rn(f, VPRIME_GPU_ENGINES);
    uint32_t entries = d->ring_entries[e], k, n, i;
    struct vprime_cmd c;

    if ((erd(f, d, e, VPRIME_ENG_STATUS) & VPRIME_ENG_STATUS_HALTED) &&
        pct(f, 80)) {
        /* as a driver would after a bad command */
        ewr(f, d, e, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_RESET |
                                         VPRIME_ENG_CTRL_ENABLE);
        wr(f, d, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    }
    if (d->ring[e] && entries >= VPRIME_RING_ENTRIES_MIN &&
        entries <= 256) {
        /* the engine's head may be anywhere (soft resets): start there */
        d->tail[e] = erd(f, d, e, VPRIME_ENG_RING_TAIL) % entries;
        n = 1 + rn(f, MIN(entries - 1, 8));
        for (k = 0; k < n; k++) {
            gen_cmd(f, d, &c);
            qtest_memwrite(f->q.qts, d->ring[e] + d->tail[e] * VPRIME_CMD_SIZE,
                           &c, sizeof(c));
            d->tail[e] = (d->tail[e] + 1) % entries;
        }
        ewr(f, d, e, VPRIME_ENG_RING_TAIL, d->tail[e]);
        return;
    }
    /* not a ring we can write: just ring the doorbell */
    i = pct(f, 80) && entries ? rn(f, entries) : any_u32(f);
    ewr(f, d, e, VPRIME_ENG_RING_TAIL, i);
}

static void op_gpu(Fuzz *f, Dev *d)
{
    int e = rn(f, VPRIME_GPU_ENGINES);

    switch (rn(f, 12)) {
    case 0:
    case 1:
    case 2:
    case 3:
        op_submit(f, d);
        break;
    case 4:
        ewr(f, d, e, VPRIME_ENG_CONTROL,
            pct(f, 90) ? rn(f, 4) : any_u32(f));  /* reset, enable */
        break;
    case 5:
        wr(f, d, VPRIME_REG_TLB_INVALIDATE,
           pct(f, 50) ? VPRIME_TLB_INVALIDATE_ALL : any_u32(f));
        break;
    case 6:
        gpu_setup_ctx(f, d);
        break;
    case 7:
        if (d->nmaps) {
            Map *m = &d->maps[rn(f, d->nmaps)];

            /* remap pages of a live mapping (as an unmap/rebind race) */
            gpu_map(f, d, m->ctx, m->va + rn(f, m->pages) * PAGE,
                    1 + rn(f, 4));
        }
        break;
    case 8:
        gpu_setup_ring(f, d, e);
        break;
    case 9:
        wr(f, d, VPRIME_REG_CTX_SELECT, pct(f, 90) && d->nctx ?
           d->ctxs[rn(f, d->nctx)] : any_u32(f));
        wr(f, d, VPRIME_REG_CTX_CONTROL, pct(f, 90) ? rn(f, 2) : any_u32(f));
        break;
    case 10:
        if (!f->closed && d->ring[e]) {
            /* scribble over a live ring */
            qtest_writeq(f->q.qts, d->ring[e] + rn(f, 64) * 8, r64(f));
        }
        break;
    default: {
        g_autofree char *prop = g_strdup_printf(
            "%s-last-%s-pages", e ? "copy" : "render", pct(f, 50) ? "read"
                                                                   : "write");

        qobject_unref(qom_get(f, d, prop));
        break;
    }
    }
}

/* ---- display: modes, planes, page lists ------------------------------- */

static void op_mode(Fuzz *f, Dev *d, int h)
{
    uint32_t hd, vd, ht, vt, refresh, clock;

    if (pct(f, 10)) {
        hwr(f, d, h, VPRIME_HEAD_MODE_SIZE, any_u32(f));
        hwr(f, d, h, VPRIME_HEAD_MODE_TOTAL, any_u32(f));
        hwr(f, d, h, VPRIME_HEAD_MODE_CLOCK, any_u32(f));
        return;
    }
    if (pct(f, 2)) {
        hd = VPRIME_DISP_MAX_DIM - rn(f, 2) * 4096;
        vd = VPRIME_DISP_MAX_DIM - rn(f, 2) * 4096;
    } else {
        hd = pct(f, 10) ? rn(f, 2) : 1 + rn(f, 256);
        vd = pct(f, 10) ? rn(f, 2) : 1 + rn(f, 256);
    }
    ht = hd + rn(f, 64) - (pct(f, 5) ? 2 : 0);
    vt = vd + rn(f, 16) - (pct(f, 5) ? 2 : 0);
    refresh = pct(f, 10) ? (pct(f, 50) ? VPRIME_DISP_REFRESH_MIN_MILLIHZ
                                       : VPRIME_DISP_REFRESH_MAX_MILLIHZ) +
                           rn(f, 3) - 1
                         : 30000 + rn(f, 120000);
    clock = MAX(1, (uint64_t)ht * vt * refresh / 1000000);
    hwr(f, d, h, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(hd, vd));
    hwr(f, d, h, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(ht, vt));
    hwr(f, d, h, VPRIME_HEAD_MODE_CLOCK, pct(f, 3) ? 0 : clock);
    if (h < VPRIME_HEADS_MAX) {
        d->mode_w[h] = hd;
        d->mode_h[h] = vd;
    }
}

/* A page a display may scan: anything at all, as it only reads */
static uint64_t scan_page(Fuzz *f, Dev *d)
{
    switch (rn(f, 10)) {
    case 0:
    case 1:
    case 2:
        return data_page(f);
    case 3:
        return rn(f, RAM_SIZE / PAGE) * PAGE;      /* canaries included */
    case 4:
        return bar_addr(f) & ~(PAGE - 1);
    case 5:
        return UNASSIGNED + rn(f, 16) * PAGE;
    case 6:
        return BIOS_ROM + rn(f, 64) * PAGE;
    case 7:
        return r64(f) & (pct(f, 50) ? ~(PAGE - 1) : ~0ULL);
    case 8:
        return IOMMU_HOLE + rn(f, IOMMU_HOLE_SIZE / PAGE) * PAGE;
    default:
        return RING_BASE + rn(f, RING_SIZE / PAGE) * PAGE;
    }
}

/*
 * The plane as NV12 or YUV420: a conversion, and framebuffer planes 1
 * and 2 over the plane's own buffer (or page list), mostly fitting,
 * sometimes not
 */
static void op_plane_yuv(Fuzz *f, Dev *d, int h, int p, uint64_t addr,
                         uint32_t fb, uint32_t pitch)
{
    unsigned i;

    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_FORMAT,
        pct(f, 50) ? VPRIME_FMT_NV12 : VPRIME_FMT_YUV420);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_YUV,
        pct(f, 95) ? rn(f, VPRIME_PL_YUV_VALID_MASK + 1) : any_u32(f));
    for (i = 1; i < VPRIME_FBP_PLANES; i++) {
        uint32_t base = VPRIME_FBP_BASE(h, p, i);

        wr(f, d, base + VPRIME_FBP_ADDR_LO, addr);
        wr(f, d, base + VPRIME_FBP_ADDR_HI, addr >> 32);
        wr(f, d, base + VPRIME_FBP_FB_SIZE, pct(f, 95) ? fb : any_u32(f));
        wr(f, d, base + VPRIME_FBP_PITCH, pct(f, 90) ? pitch : any_u32(f));
        wr(f, d, base + VPRIME_FBP_OFFSET, pct(f, 90) ? 0 : any_u32(f));
    }
}

static void op_plane(Fuzz *f, Dev *d, int h, int p)
{
    uint32_t fmt = rnd_format(f), cpp = fmt_cpp(fmt);
    uint32_t layout = pct(f, 75) ? VPRIME_LAYOUT_LINEAR :
                      pct(f, 90) ? 1 + rn(f, VPRIME_LAYOUT_COUNT - 1) :
                      any_u32(f);
    /* mostly inside the head's mode */
    uint32_t mw = h < VPRIME_HEADS_MAX && d->mode_w[h] ? d->mode_w[h] : 256;
    uint32_t mh = h < VPRIME_HEADS_MAX && d->mode_h[h] ? d->mode_h[h] : 256;
    uint32_t dx = pct(f, 60) ? 0 : rn(f, mw), dy = pct(f, 60) ? 0 : rn(f, mh);
    uint32_t w = pct(f, 90) ? 1 + rn(f, MIN(mw - MIN(dx, mw - 1), 1024))
                            : any_u32(f) & 0xffff;
    uint32_t ht = pct(f, 90) ? 1 + rn(f, MIN(mh - MIN(dy, mh - 1), 1024))
                             : any_u32(f) & 0xffff;
    uint32_t sx = pct(f, 70) ? 0 : rn(f, 64), sy = pct(f, 70) ? 0 : rn(f, 64);
    uint32_t pitch = (sx + w) * cpp, offset = 0, fb, n, i;
    bool contig = pct(f, d->scatter ? 25 : 85);
    uint32_t ctrl = VPRIME_PL_CTRL_ENABLE | (contig ? VPRIME_PL_CTRL_CONTIG
                                                    : 0);
    uint64_t addr;

    if (vprime_layout_tile_w(layout)) {
        pitch = ROUND_UP(pitch, vprime_layout_tile_w(layout));
        fb = pitch * ROUND_UP(sy + ht, vprime_layout_tile_h(layout));
    } else {
        pitch += pct(f, 30) ? rn(f, 16) * cpp : 0;
        if (pct(f, 20)) {
            offset = rn(f, 4096) & ~(cpp - 1);
        }
        fb = offset + pitch * (sy + ht);
    }
    if (pct(f, 10)) {
        fb += rn(f, 3) * PAGE - (pct(f, 50) ? rn(f, 64) : 0);
    }
    if (pct(f, 5)) {
        pitch = any_u32(f);
    }
    if (pct(f, 3)) {
        fb = any_u32(f);
    }
    if (pct(f, 5)) {
        offset = any_u32(f);
    }
    if (pct(f, 5)) {
        ctrl = any_u32(f);
    }
    if (pct(f, 5)) {
        ctrl &= ~VPRIME_PL_CTRL_ENABLE;
    }

    if (contig) {
        addr = pct(f, 80) ? ring_alloc(f, MIN(fb, 4 * MiB)) : scan_page(f, d);
        if (pct(f, 5)) {
            addr |= rn(f, PAGE);
        }
    } else {
        /* a page list of random pages, with runs of neighbours */
        n = MIN(DIV_ROUND_UP((uint64_t)fb, PAGE), 64 * 1024);
        if (pct(f, 90) && n <= 4096) {
            g_autofree uint64_t *list = g_new(uint64_t, n);

            addr = ring_alloc(f, n * 8);
            for (i = 0; i < n; i++) {
                list[i] = cpu_to_le64(i && pct(f, 50) ?
                                      le64_to_cpu(list[i - 1]) + PAGE :
                                      scan_page(f, d));
                if (pct(f, 1)) {
                    list[i] = cpu_to_le64(r64(f));
                }
            }
            qtest_memwrite(f->q.qts, addr, list, n * 8);
            if (pct(f, 5)) {
                addr += 8 * rn(f, 8) - (pct(f, 50) ? 4 : 0);
            }
        } else {
            addr = scan_page(f, d);
        }
    }
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_CONTROL, ctrl);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_FORMAT, fmt);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_LAYOUT, layout);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_PITCH, pitch);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_ADDR_LO, addr);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_ADDR_HI, addr >> 32);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_FB_SIZE, fb);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_OFFSET, offset);
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_SRC_POS, VPRIME_XY(sx, sy));
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_SIZE, VPRIME_XY(w, ht));
    hwr(f, d, h, VPRIME_PLANE_BASE(p) + VPRIME_PL_DST_POS,
        pct(f, 95) ? VPRIME_XY(dx, dy) : any_u32(f));
    if (pct(f, 15) && h < VPRIME_HEADS_MAX) {
        op_plane_yuv(f, d, h, p, addr, fb, pitch);
    }
}

/* What a compositor does: planes, head on, UPDATE, a frame or so */
static void op_flip(Fuzz *f, Dev *d, int h)
{
    int p;

    if (pct(f, 30) || !d->mode_w[h]) {
        op_mode(f, d, h);
    }
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (pct(f, p ? 40 : 90)) {
            op_plane(f, d, h, p);
        }
    }
    hwr(f, d, h, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(f, d, h, VPRIME_HEAD_UPDATE, 1);
    if (pct(f, 70)) {
        qtest_clock_step(f->q.qts, (1 + rn(f, 40)) * 1000 * 1000);
    }
}

static void op_display(Fuzz *f, Dev *d)
{
    int h = rn(f, pct(f, 95) ? d->heads : VPRIME_HEADS_MAX);
    g_autofree char *prop = NULL;

    switch (rn(f, 14)) {
    case 0:
    case 1:
        op_mode(f, d, h);
        break;
    case 2:
        op_plane(f, d, h, rn(f, VPRIME_DISP_PLANES + (pct(f, 5) ? 1 : 0)));
        break;
    case 3:
    case 4:
        op_flip(f, d, MIN(h, VPRIME_HEADS_MAX - 1));
        break;
    case 5:
    case 6:
        hwr(f, d, h, VPRIME_HEAD_CONTROL,
            pct(f, 90) ? VPRIME_HEAD_CTRL_ENABLE * pct(f, 80) : any_u32(f));
        /* fall through */
    case 7:
        hwr(f, d, h, VPRIME_HEAD_UPDATE, pct(f, 95) ? 1 : any_u32(f));
        break;
    case 8:
        hwr(f, d, h, VPRIME_HEAD_DAMAGE, pct(f, 95) ? 1 : any_u32(f));
        break;
    case 9:
        hwr(f, d, h, VPRIME_HEAD_CRC_CONTROL, pct(f, 90) ? rn(f, 2)
                                                        : any_u32(f));
        break;
    case 10:
        hwr(f, d, h, VPRIME_HEAD_EVENT_ENABLE,
            pct(f, 90) ? rn(f, VPRIME_HEAD_EV_VALID_MASK + 1) : any_u32(f));
        hwr(f, d, h, VPRIME_HEAD_EVENTS, any_u32(f));
        hwr(f, d, h, VPRIME_HEAD_ERROR, any_u32(f));
        break;
    case 11:
        prop = g_strdup_printf("head%d-connected", h);
        qtest_qom_set_bool(f->q.qts, d->path, prop, pct(f, 50));
        break;
    case 12:
        prop = g_strdup_printf("head%d-plane%u-pages", h,
                               rn(f, VPRIME_DISP_PLANES));
        qobject_unref(qom_get(f, d, prop));
        break;
    default:
        rd(f, d, VPRIME_HEAD_BASE(h) + VPRIME_HEAD_EDID +
           rn(f, VPRIME_EDID_MAX / 4) * 4);
        rd(f, d, VPRIME_DISP_CLOCK_LO);
        break;
    }
}

/* ---- one input -------------------------------------------------------- */

static void fuzz_one(Fuzz *f)
{
    Dev *d = &f->dev[rn(f, f->t->fuzzed)];
    unsigned r = rn(f, 100);

    f->in_input = true;
    if (r < 15) {
        op_mmio(f, d);
    } else if (r < 21) {
        op_msix(f, d);
    } else if (r < 27 && d->vram_size) {
        op_vram(f, d);
    } else if (r < 30) {
        op_host(f, d);
    } else if (r < 45) {
        op_clock(f);
    } else if (r < 46) {
        wr(f, d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    } else if (d->kind == DISPLAY) {
        op_display(f, d);
    } else {
        op_gpu(f, d);
    }
    f->in_input = false;
    f->inputs++;
}

/* ---- checks after a batch --------------------------------------------- */

/*
 * Reset a device and see it idle.  check_all() does this to every device
 * before it checks any: a device the batch left running (a job still in
 * its engine, interrupts enabled, MSI-X vectors wherever the batch or an
 * earlier check left them) would otherwise keep working while another is
 * checked, and its messages land on that device's check.
 */
static void check_quiesce(Fuzz *f, Dev *d)
{
    int h;

    if (d->kind == DISPLAY) {
        /* connect first: the reset clears the hotplug events */
        for (h = 0; h < d->heads; h++) {
            g_autofree char *prop = g_strdup_printf("head%d-connected", h);

            qtest_qom_set_bool(f->q.qts, d->path, prop, true);
        }
    }
    wr(f, d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmphex(rd(f, d, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmphex(rd(f, d, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(rd(f, d, VPRIME_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(f, d, VPRIME_REG_IRQ_ENABLE), ==, 0);
    msix_ctrl(f, d, PCI_MSIX_FLAGS_ENABLE);
}

/* Map va -> page in fresh tables at 'tables' (3 pages) */
static void check_map(Fuzz *f, uint64_t tables, uint64_t va, uint64_t pte)
{
    qtest_writeq(f->q.qts, tables + VPRIME_GPU_PT_INDEX(va, 2) * 8,
                 (tables + PAGE) | VPRIME_PTE_VALID);
    qtest_writeq(f->q.qts, tables + PAGE + VPRIME_GPU_PT_INDEX(va, 1) * 8,
                 (tables + 2 * PAGE) | VPRIME_PTE_VALID);
    qtest_writeq(f->q.qts, tables + 2 * PAGE + VPRIME_GPU_PT_INDEX(va, 0) * 8,
                 pte);
}

static void check_run(Fuzz *f, Dev *d, int e, uint64_t fence_mem,
                      uint64_t seq)
{
    int i;

    for (i = 0; i < 1000; i++) {
        if (rdq(f, fence_mem) == seq) {
            break;
        }
        qtest_clock_step(f->q.qts, 100 * 1000);
    }
    g_assert_cmphex(erd(f, d, e, VPRIME_ENG_STATUS), ==, 0);
    g_assert_cmphex(erd(f, d, e, VPRIME_ENG_ERROR), ==, 0);
    g_assert_cmphex(rdq(f, fence_mem), ==, seq);
    g_assert_cmphex(erd(f, d, e, VPRIME_ENG_FENCE_LO), ==, (uint32_t)seq);
}

/* Where a device's check points its MSI-X message: a slot of its own */
static uint64_t check_msi_slot(Fuzz *f, Dev *d)
{
    return CHECK_BASE + 8 * PAGE + 64 + (d - f->dev) * 8;
}

/*
 * After a reset the GPU fills a rectangle (render engine, fence with
 * MSI-X), and on the dGPU copies it to VRAM (copy engine).
 */
static void check_gpu(Fuzz *f, Dev *d)
{
    const uint64_t tables = CHECK_BASE, ring = CHECK_BASE + 4 * PAGE;
    const uint64_t fence = CHECK_BASE + 8 * PAGE, msi = check_msi_slot(f, d);
    const uint64_t buf = CHECK_BASE + 12 * PAGE;
    const uint32_t w = 16, h = 4, pitch = 128, msi_data = 0xc0de0000 |
                                                         (f->batch & 0xffff);
    uint32_t color = 0x00ffffff & (0x5a0000 ^ f->batch * 2654435761u);
    uint64_t vram_off = d->vram_size / 2, seq;
    struct vprime_cmd c[2];
    uint8_t px[PAGE];
    uint32_t x, y;
    int e;

    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        g_assert_cmphex(erd(f, d, e, VPRIME_ENG_STATUS), ==, 0);
        g_assert_cmpuint(erd(f, d, e, VPRIME_ENG_RING_SIZE), ==, 0);
    }
    qtest_memset(f->q.qts, CHECK_BASE, 0, 16 * PAGE);
    check_map(f, tables, GPU_VA, buf | VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE);
    if (d->vram_size) {
        check_map(f, tables, GPU_VA + PAGE, vram_off | VPRIME_PTE_VALID |
                  VPRIME_PTE_WRITABLE | VPRIME_PTE_VRAM);
        qtest_memset(f->q.qts, d->vram.addr + vram_off, 0, PAGE);
    }
    wr(f, d, VPRIME_REG_CTX_SELECT, 0);
    wr(f, d, VPRIME_REG_CTX_PT_LO, tables);
    wr(f, d, VPRIME_REG_CTX_PT_HI, 0);
    wr(f, d, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
    vprime_msix_set(d->pdev, VPRIME_ENGINE_MSIX_VEC(VPRIME_ENGINE_RENDER), msi,
                msi_data, 0);
    wr(f, d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER));

    for (e = 0; e < (d->vram_size ? 2 : 1); e++) {
        ewr(f, d, e, VPRIME_ENG_RING_BASE_LO, ring + e * 2 * PAGE);
        ewr(f, d, e, VPRIME_ENG_RING_BASE_HI, 0);
        ewr(f, d, e, VPRIME_ENG_RING_SIZE, 16);
        ewr(f, d, e, VPRIME_ENG_FENCE_ADDR_LO, fence + e * 8);
        ewr(f, d, e, VPRIME_ENG_FENCE_ADDR_HI, 0);
        ewr(f, d, e, VPRIME_ENG_CONTROL, VPRIME_ENG_CTRL_ENABLE);
    }

    memset(c, 0, sizeof(c));
    c[0].opcode = VPRIME_OP_FILL;
    c[0].rect.dst = GPU_VA + pitch;
    c[0].rect.pitch = pitch;
    c[0].rect.width = w;
    c[0].rect.height = h;
    c[0].rect.format = VPRIME_FMT_XRGB8888;
    c[0].rect.color = color;
    c[1].opcode = VPRIME_OP_FENCE;
    c[1].flags = VPRIME_CMDF_IRQ;
    seq = 0xf00d000000000000ULL | f->batch;
    c[1].fence.value = seq;
    qtest_memwrite(f->q.qts, ring, c, sizeof(c));
    ewr(f, d, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_TAIL, 2);
    check_run(f, d, VPRIME_ENGINE_RENDER, fence, seq);
    g_assert_cmphex(rdl(f, msi), ==, msi_data);

    qtest_memread(f->q.qts, buf, px, sizeof(px));
    for (y = 0; y < PAGE / pitch; y++) {
        for (x = 0; x < pitch / 4; x++) {
            bool in = y >= 1 && y < 1 + h && x < w;

            g_assert_cmphex((uint32_t)ldl_le_p(px + y * pitch + x * 4), ==,
                            in ? color : 0);
        }
    }

    if (d->vram_size) {
        uint8_t v[PAGE];

        memset(c, 0, sizeof(c));
        c[0].opcode = VPRIME_OP_COPY;
        c[0].copy.src = GPU_VA;
        c[0].copy.dst = GPU_VA + PAGE;
        c[0].copy.size = PAGE;
        c[1].opcode = VPRIME_OP_FENCE;
        c[1].fence.value = ++seq;
        qtest_memwrite(f->q.qts, ring + 2 * PAGE, c, sizeof(c));
        ewr(f, d, VPRIME_ENGINE_COPY, VPRIME_ENG_RING_TAIL, 2);
        check_run(f, d, VPRIME_ENGINE_COPY, fence + 8, seq);
        qpci_memread(d->pdev, d->vram, vram_off, v, sizeof(v));
        g_assert_cmpmem(v, sizeof(v), px, sizeof(px));
    }
}

/* After a reset every head latches a 64x48 mode and shows the right CRC */
static void check_display(Fuzz *f, Dev *d)
{
    const uint32_t w = 64, ht = 48, pitch = w * 4;
    const uint64_t fb = CHECK_BASE + 16 * PAGE;
    g_autofree uint32_t *px = g_new(uint32_t, w * ht);
    uint64_t period = 80ULL * 50 * 1000000 / 240;
    uint32_t i;
    int h;

    for (i = 0; i < w * ht; i++) {
        px[i] = cpu_to_le32(r32(f));
    }
    qtest_memwrite(f->q.qts, fb, px, w * ht * 4);
    for (i = 0; i < w * ht; i++) {
        px[i] = le32_to_cpu(px[i]);
    }
    for (h = 0; h < d->heads; h++) {
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_STATUS), ==,
                        VPRIME_HEAD_STATUS_CONNECTED);
        hwr(f, d, h, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(w, ht));
        hwr(f, d, h, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(80, 50));
        hwr(f, d, h, VPRIME_HEAD_MODE_CLOCK, 240);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_CONTROL,
            VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_FORMAT,
            VPRIME_FMT_XRGB8888);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_PITCH, pitch);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_ADDR_LO, fb);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_ADDR_HI, 0);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_FB_SIZE, pitch * ht);
        hwr(f, d, h, VPRIME_PLANE_BASE(0) + VPRIME_PL_SIZE, VPRIME_XY(w, ht));
        hwr(f, d, h, VPRIME_HEAD_CRC_CONTROL, 1);
        hwr(f, d, h, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
        hwr(f, d, h, VPRIME_HEAD_UPDATE, 1);
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_STATUS), ==,
                        VPRIME_HEAD_STATUS_CONNECTED |
                        VPRIME_HEAD_STATUS_ACTIVE);
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_ERROR), ==, 0);
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_EVENTS), ==,
                        VPRIME_HEAD_EV_FLIP_DONE);
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_CRC), ==,
                        vprime_frame_crc(px, w, ht));
    }
    qtest_clock_step(f->q.qts, period + 1000);
    for (h = 0; h < d->heads; h++) {
        g_assert_cmpuint(hrd(f, d, h, VPRIME_HEAD_FRAME), ==, 1);
        g_assert_cmphex(hrd(f, d, h, VPRIME_HEAD_EVENTS) &
                        VPRIME_HEAD_EV_VBLANK, ==, VPRIME_HEAD_EV_VBLANK);
        hwr(f, d, h, VPRIME_HEAD_CONTROL, 0);
        hwr(f, d, h, VPRIME_HEAD_UPDATE, 1);
    }
    g_assert_cmphex(rd(f, d, VPRIME_REG_ERROR), ==, 0);
}

static uint64_t dev_stat(Fuzz *f, const char *prop)
{
    uint64_t sum = 0;
    int i;

    for (i = 0; i < f->t->fuzzed; i++) {
        QDict *r = qom_get(f, &f->dev[i], prop);

        if (qdict_haskey(r, "return")) {
            sum += qdict_get_int(r, "return");
        }
        qobject_unref(r);
    }
    return sum;
}

/* The devices' counters the report adds up (stats-reset is an input too) */
static const char *const stat_names[] = {
    "stat-guest-errors", "stat-page-faults", "stat-cmds-render",
    "stat-cmds-copy", "stat-flips", "stat-underruns",
};

static void stats_collect(Fuzz *f)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
        f->stat[i] += dev_stat(f, stat_names[i]);
    }
}

static void check_all(Fuzz *f)
{
    int i;

    /* the checks' own work is not counted */
    stats_collect(f);
    for (i = 0; i < f->ndev; i++) {
        check_quiesce(f, &f->dev[i]);
    }
    for (i = 0; i < f->ndev; i++) {
        if (f->dev[i].kind == DISPLAY) {
            check_display(f, &f->dev[i]);
        } else {
            check_gpu(f, &f->dev[i]);
        }
    }
    if (f->closed) {
        canary_each(f, true);
        f->canary_checks++;
    } else {
        canary_each(f, false);      /* open batch: put them back */
    }
    for (i = 0; i < f->t->fuzzed; i++) {
        qtest_qom_set_bool(f->q.qts, f->dev[i].path, "stats-reset", true);
    }
}

/* ---- intel-iommu: legacy-mode tables mapping RAM and the PCI window ----- */

static void vtd_setup(Fuzz *f)
{
    const uint64_t root = VTD_TABLES, ctxt = root + PAGE, l3 = root + 2 * PAGE;
    const uint64_t l2_low = root + 3 * PAGE, l2_pci = root + 4 * PAGE;
    const uint64_t big = VTD_SL_R | VTD_SL_W | (1ULL << 7);     /* 2 MiB */
    uint64_t base = Q35_HOST_BRIDGE_IOMMU_ADDR, a, ecap, iotlb;
    int i;

    qtest_memset(f->q.qts, VTD_TABLES, 0, 8 * PAGE);
    qtest_writeq(f->q.qts, root, ctxt | 1);       /* bus 0 */
    for (i = 0; i < f->ndev; i++) {
        uint64_t ce = ctxt + f->dev[i].pdev->devfn * 16;

        qtest_writeq(f->q.qts, ce, l3 | 1);               /* present, SL */
        qtest_writeq(f->q.qts, ce + 8, 1 | (i + 1) << 8); /* 39 bits, domain */
    }
    qtest_writeq(f->q.qts, l3 + 0 * 8, l2_low | VTD_SL_R | VTD_SL_W);
    qtest_writeq(f->q.qts, l3 + 3 * 8, l2_pci | VTD_SL_R | VTD_SL_W);
    /* identity for RAM but the IOMMU's own tables and a hole */
    for (a = 0; a < RAM_SIZE; a += 2 * MiB) {
        if ((a <= VTD_TABLES && VTD_TABLES < a + 2 * MiB) ||
            (a >= IOMMU_HOLE && a < IOMMU_HOLE + IOMMU_HOLE_SIZE)) {
            continue;
        }
        qtest_writeq(f->q.qts, l2_low + (a >> 21) * 8, a | big);
    }
    /* BARs (0xe0000000 up) and the firmware ROM */
    for (a = 0xe0000000ULL; a < 0x100000000ULL; a += 2 * MiB) {
        qtest_writeq(f->q.qts, l2_pci + ((a >> 21) & 511) * 8, a | big);
    }

    qtest_writeq(f->q.qts, base + DMAR_RTADDR_REG, root);
    qtest_writel(f->q.qts, base + DMAR_GCMD_REG, VTD_GCMD_SRTP);
    g_assert(qtest_readl(f->q.qts, base + DMAR_GSTS_REG) & VTD_GSTS_RTPS);
    qtest_writeq(f->q.qts, base + DMAR_CCMD_REG,
                 VTD_CCMD_ICC | VTD_CCMD_GLOBAL_INVL);
    ecap = qtest_readq(f->q.qts, base + DMAR_ECAP_REG);
    iotlb = base + ((ecap >> 8) & 0x3ff) * 16 + 8;
    qtest_writeq(f->q.qts, iotlb, VTD_TLB_IVT | VTD_TLB_GLOBAL_FLUSH);
    qtest_writel(f->q.qts, base + DMAR_GCMD_REG, VTD_GCMD_TE);
    g_assert(qtest_readl(f->q.qts, base + DMAR_GSTS_REG) & VTD_GSTS_TES);
}

/* ---- targets ---------------------------------------------------------- */

static const Target targets[] = {
    { "igpu", "-device vprime-igpu,id=d0,addr=04.0", false, 1, 1 },
    { "dgpu", "-device vprime-dgpu,id=d0,vram=16M,addr=04.0", false, 1, 1 },
    /* a dGPU alongside, so planes can scan peer VRAM */
    { "display", "-device vprime-display,id=d0,heads=4,addr=04.0 "
      "-device vprime-dgpu,id=d1,vram=16M,addr=05.0", false, 2, 1 },
    { "display-contig", "-device vprime-display,id=d0,contiguous-only=on,"
      "dma-bits=32,addr=04.0", false, 1, 1 },
    /* all three behind the vIOMMU, each a DMA target of the others */
    { "iommu", "-device intel-iommu,intremap=off,aw-bits=39 "
      "-device vprime-igpu,id=d0,addr=04.0 "
      "-device vprime-dgpu,id=d1,vram=16M,addr=05.0 "
      "-device vprime-display,id=d2,heads=2,dma-bits=40,addr=06.0",
      true, 3, 3 },
};

static void fuzz_start(Fuzz *f, const Target *t)
{
    int i;

    memset(f, 0, sizeof(*f));
    f->t = t;
    f->rand = g_rand_new();
    rand_seed(f, t - targets, G_MAXUINT64);
    f->draw_digest = f->read_digest = 0xcbf29ce484222325ULL;
    vprime_start_machine(&f->q, t->args);
    g_assert_cmpint(t->ndev, <=, MAX_DEVS);
    g_assert_cmpint(t->ndev, >=, t->fuzzed);
    for (i = 0; i < t->ndev; i++) {
        Dev *d = &f->dev[i];
        uint16_t id;

        d->pdev = vprime_find(&f->q, VPRIME_DUT_SLOT + i);
        snprintf(d->path, sizeof(d->path), "/machine/peripheral/d%d", i);
        id = qpci_config_readw(d->pdev, PCI_DEVICE_ID);
        d->kind = id == VPRIME_PCI_DEVICE_ID_IGPU ? IGPU :
                  id == VPRIME_PCI_DEVICE_ID_DGPU ? DGPU : DISPLAY;
        d->mmio = qpci_iomap(d->pdev, VPRIME_BAR_MMIO, NULL);
        if (d->kind == DGPU) {
            d->vram = qpci_iomap(d->pdev, VPRIME_BAR_VRAM, NULL);
            d->vram_size = VRAM_SIZE;
        }
        qpci_msix_enable(d->pdev);
        d->msix_cap = qpci_find_capability(d->pdev, PCI_CAP_ID_MSIX, 0);
        d->heads = rd(f, d, VPRIME_REG_NUM_HEADS);
        if (d->kind == DISPLAY) {
            d->scatter = rd(f, d, VPRIME_DISP_CAPS) & VPRIME_DISP_CAP_SCATTER;
        }
        f->ndev++;
    }
    if (t->iommu) {
        vtd_setup(f);
    }
    canary_each(f, false);
}

static void fuzz_stop(Fuzz *f)
{
    int i;

    for (i = 0; i < f->ndev; i++) {
        g_free(f->dev[i].pdev);
    }
    vprime_stop_machine(&f->q);
    g_rand_free(f->rand);
}

static void batch_begin(Fuzz *f, unsigned target_idx)
{
    int i;

    rand_seed(f, target_idx, f->batch);
    f->closed = pct(f, 75);
    f->table_next = TABLE_BASE;
    f->ring_next = RING_BASE;
    for (i = 0; i < f->t->fuzzed; i++) {
        Dev *d = &f->dev[i];
        int e;

        wr(f, d, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
        d->nctx = 0;
        d->nmaps = 0;
        memset(d->mode_w, 0, sizeof(d->mode_w));
        memset(d->mode_h, 0, sizeof(d->mode_h));
        memset(d->ring, 0, sizeof(d->ring));
        memset(d->ring_entries, 0, sizeof(d->ring_entries));
        if (d->kind == DISPLAY) {
            continue;
        }
        /* a valid-looking start: contexts, mappings, rings */
        gpu_setup_ctx(f, d);
        if (pct(f, 50)) {
            gpu_setup_ctx(f, d);
        }
        for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
            gpu_setup_ring(f, d, e);
        }
        wr(f, d, VPRIME_REG_IRQ_ENABLE, rn(f, 0x1000) & 0x303);
    }
}

static void test_fuzz(const void *opaque)
{
    const Target *t = opaque;
    unsigned idx = t - targets;
    gint64 t0 = g_get_monotonic_time();
    double secs;
    Fuzz f;

    fuzz_start(&f, t);
    current = &f;
    check_all(&f);      /* the checks pass before any input */
    for (;;) {
        unsigned n, i;

        secs = (g_get_monotonic_time() - t0) / 1e6;
        /* a time budget runs at least one batch, however slow the host */
        if ((fuzz_iters && f.inputs >= fuzz_iters) ||
            (fuzz_seconds && f.batch && secs >= fuzz_seconds)) {
            break;
        }
        batch_begin(&f, idx);
        n = 16 + rn(&f, 48);
        if (fuzz_iters) {
            n = MIN(n, fuzz_iters - f.inputs);
        }
        for (i = 0; i < n; i++) {
            fuzz_one(&f);
        }
        if (f.closed) {
            f.closed_batches++;
        } else {
            f.open_batches++;
        }
        check_all(&f);
        f.batch++;
    }
    secs = (g_get_monotonic_time() - t0) / 1e6;
    g_test_message("vprime-fuzz %s: seed 0x%" PRIx64 ", %" PRIu64
                   " inputs in %" PRIu64 " batches (%" PRIu64 " closed with "
                   "canaries checked, %" PRIu64 " open), %.1f s; the devices "
                   "counted %" PRIu64 " guest errors, %" PRIu64 " GPU page "
                   "faults, %" PRIu64 " + %" PRIu64 " commands, %" PRIu64
                   " flips, %" PRIu64 " underruns", t->name, fuzz_seed,
                   f.inputs, f.batch, f.closed_batches, f.open_batches, secs,
                   f.stat[0], f.stat[1], f.stat[2], f.stat[3], f.stat[4],
                   f.stat[5]);
    g_test_message("vprime-fuzz %s: digests: draws 0x%016" PRIx64
                   ", reads 0x%016" PRIx64, t->name, f.draw_digest,
                   f.read_digest);
    current = NULL;
    fuzz_stop(&f);
}

/*
 * Regression test for a make check failure (seed 0x6617b4fa9a536, target
 * iommu, batch 32): the checks after a batch must hold while another
 * device still has a job in flight whose MSI-X message points at the
 * checked device's slot.  Here the dGPU waits (VPRIME_OP_WAIT) for the
 * iGPU's check fence, then signals a fence with an interrupt through a
 * vector left at the iGPU's check slot with an old message, as the
 * previous batch's check had left it; the old check_all() saw that
 * message replace the iGPU's own.
 */
static void test_peer_job_in_flight(const void *opaque)
{
    const Target *t = opaque;
    const uint64_t tables = TABLE_BASE, ring = RING_BASE;
    const uint64_t fence_page = CHECK_BASE + 8 * PAGE;
    struct vprime_cmd c[2];
    Dev *gpu, *peer;
    Fuzz f;

    fuzz_start(&f, t);
    gpu = &f.dev[0];
    peer = &f.dev[1];
    g_assert(gpu->kind == IGPU && peer->kind == DGPU);
    check_all(&f);
    f.batch = 1;

    /* the peer reads the iGPU's check fence page at GPU_VA */
    qtest_memset(f.q.qts, tables, 0, 3 * PAGE);
    check_map(&f, tables, GPU_VA, fence_page | VPRIME_PTE_VALID);
    wr(&f, peer, VPRIME_REG_CTX_SELECT, 0);
    wr(&f, peer, VPRIME_REG_CTX_PT_LO, tables);
    wr(&f, peer, VPRIME_REG_CTX_PT_HI, 0);
    wr(&f, peer, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
    memset(c, 0, sizeof(c));
    c[0].opcode = VPRIME_OP_WAIT;
    c[0].wait.addr = GPU_VA;
    c[0].wait.value = 0xf00d000000000000ULL | f.batch;  /* the check's */
    c[1].opcode = VPRIME_OP_FENCE;
    c[1].flags = VPRIME_CMDF_IRQ;
    c[1].fence.value = 1;
    qtest_memwrite(f.q.qts, ring, c, sizeof(c));
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_CONTROL, 0);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_BASE_LO, ring);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_BASE_HI, 0);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_SIZE, 16);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_FENCE_ADDR_LO,
        DATA_BASE);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_FENCE_ADDR_HI, 0);
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_CONTROL,
        VPRIME_ENG_CTRL_ENABLE);
    vprime_msix_set(peer->pdev, VPRIME_ENGINE_MSIX_VEC(VPRIME_ENGINE_RENDER),
                check_msi_slot(&f, gpu), 0xc0de0000, 0);
    wr(&f, peer, VPRIME_REG_IRQ_ENABLE,
       VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER));
    ewr(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_RING_TAIL, 2);
    qtest_clock_step(f.q.qts, 100 * 1000);
    g_assert_cmphex(erd(&f, peer, VPRIME_ENGINE_RENDER, VPRIME_ENG_STATUS) &
                    VPRIME_ENG_STATUS_WAITING, ==, VPRIME_ENG_STATUS_WAITING);

    f.closed = true;
    check_all(&f);
    fuzz_stop(&f);
}

int main(int argc, char **argv)
{
    const char *seed = g_getenv("VPRIME_FUZZ_SEED");
    unsigned i;

    g_test_init(&argc, &argv, NULL);
    fuzz_seed = seed && *seed ? g_ascii_strtoull(seed, NULL, 0)
                              : FUZZ_CHECK_SEED;
    n_targets = ARRAY_SIZE(targets);
    fuzz_seconds = env_u64("VPRIME_FUZZ_SECONDS", 0) / (double)n_targets;
    /* a count alone replays exactly; with both, whichever comes first */
    fuzz_iters = env_u64("VPRIME_FUZZ_ITERS",
                         fuzz_seconds ? 0 : FUZZ_CHECK_INPUTS);
    if (!fuzz_iters && !fuzz_seconds) {
        fuzz_iters = FUZZ_CHECK_INPUTS;     /* never unbounded */
    }
    g_test_message("vprime-fuzz: seed 0x%" PRIx64 " (VPRIME_FUZZ_SEED), "
                   "%" PRIu64 " inputs per target (VPRIME_FUZZ_ITERS, 0: no "
                   "limit), %.1f s per target (VPRIME_FUZZ_SECONDS, 0: no "
                   "limit)", fuzz_seed, fuzz_iters, fuzz_seconds);
    qtest_add_abrt_handler(fuzz_abort_hook, NULL);
    for (i = 0; i < n_targets; i++) {
        g_autofree char *path = g_strdup_printf("/vprime-fuzz/%s",
                                                targets[i].name);

        qtest_add_data_func(path, &targets[i], test_fuzz);
    }
    qtest_add_data_func("/vprime-fuzz/regress/peer-job-in-flight",
                        &targets[ARRAY_SIZE(targets) - 1],
                        test_peer_job_in_flight);
    return g_test_run();
}
