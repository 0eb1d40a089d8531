/*
 * QTest testcases for the migration of the vprime devices: a dGPU with a
 * copy in flight and an engine blocked on a semaphore, and a display
 * engine scanning two heads with a flip pending, migrated between two
 * QEMUs (libqos migrate(), as ahci-test does).  The destination must hold
 * exactly the source's registers and counters, then finish the work as a
 * QEMU that never migrated does (same results at the same virtual times),
 * with the right bytes and the CRCs of the right pictures.  What injected
 * faults did (a hung engine, a late interrupt on its way, retired VRAM, a
 * pending replug) migrates too; the fault scripts do not.
 *
 * Then streams written to a file and edited (the fields found through the
 * stream's own JSON description of itself): an unedited one loads; a copy
 * whose progress is moved back resumes from there; and streams with one
 * value out of range (a context index, a ring index, a command's
 * progress, a page count, a page, a pixel clock, the number of heads) are
 * refused with -EINVAL and a message naming the value, and leave the
 * device in a state it can run from.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "hw/vprime/vprime_pattern.h"
#include "vprime-qtest.h"

#define GPU_SLOT        4
#define DISP_SLOT       5
#define HEADS           2
#define MACHINE \
    "-machine q35 -nodefaults -m 128M " \
    "-device vprime-dgpu,id=gpu,addr=04.0,vram=64M,throughput=1000 " \
    "-device vprime-display,id=disp,addr=05.0,heads=2 "

/* Stream markers (migration/savevm.h) */
#define QEMU_VM_SECTION_FULL        0x04
#define QEMU_VM_VMDESCRIPTION       0x06

/* The qtest accelerator's clock starts at 0 in every QEMU */
#define T_START         (1 * 1000 * 1000)   /* ns */

typedef struct Dev {
    QPCIDevice *pdev;
    QPCIBar bar;
} Dev;

typedef struct Machine {
    QOSState *qs;
    QTestState *qts;
    Dev gpu, disp;
    uint64_t msi;               /* a page MSI-X messages are written to */
    int64_t now;                /* its virtual clock, as the test moved it */
} Machine;

/* ---- device access ------------------------------------------------------ */

static uint32_t rd(Dev *d, uint32_t reg)
{
    return qpci_io_readl(d->pdev, d->bar, reg);
}

static void wr(Dev *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(d->pdev, d->bar, reg, val);
}

static void dev_find(Machine *m, Dev *d, int slot)
{
    d->pdev = qpci_device_find(m->qs->pcibus, QPCI_DEVFN(slot, 0));
    g_assert_nonnull(d->pdev);
}

/* Start a machine; incoming: NULL, or its -incoming argument */
static void machine_start(Machine *m, const char *incoming,
                          const char *stderr_to)
{
    memset(m, 0, sizeof(*m));
    m->qs = qtest_pc_boot(MACHINE "%s%s%s%s", incoming ? "-incoming " : "",
                          incoming ? incoming : "",
                          stderr_to ? " 2>" : "", stderr_to ? stderr_to : "");
    m->qts = m->qs->qts;
    dev_find(m, &m->gpu, GPU_SLOT);
    dev_find(m, &m->disp, DISP_SLOT);
    if (incoming) {
        return;     /* the BARs and MSI-X come with the migrated state */
    }
    qpci_device_enable(m->gpu.pdev);
    qpci_device_enable(m->disp.pdev);
    m->gpu.bar = qpci_iomap(m->gpu.pdev, VPRIME_BAR_MMIO, NULL);
    m->disp.bar = qpci_iomap(m->disp.pdev, VPRIME_BAR_MMIO, NULL);
    m->msi = guest_alloc(&m->qs->alloc, 4096);
    qtest_memset(m->qts, m->msi, 0, 4096);
    m->now = qtest_clock_set(m->qts, T_START);
}

static void machine_stop(Machine *m)
{
    g_free(m->gpu.pdev);
    g_free(m->disp.pdev);
    qtest_shutdown(m->qs);
}

/*
 * What the test knows of a machine moves with it: addresses, BAR mappings
 * and MSI-X tables are in the migrated state, the allocator is moved by
 * migrate().
 */
static void machine_adopt(Machine *to, Machine *from)
{
    QPCIBus *gbus = to->gpu.pdev->bus, *dbus = to->disp.pdev->bus;

    *to->gpu.pdev = *from->gpu.pdev;
    *to->disp.pdev = *from->disp.pdev;
    to->gpu.pdev->bus = gbus;
    to->disp.pdev->bus = dbus;
    to->gpu.bar = from->gpu.bar;
    to->disp.bar = from->disp.bar;
    to->msi = from->msi;
    to->now = from->now;
}

/*
 * Move the clock on (timers due at the current time need no step: the
 * main loop runs them before it reads the test's next command).
 */
static int64_t clock_step(Machine *m, int64_t ns)
{
    m->now = qtest_clock_step(m->qts, ns);
    return m->now;
}

/* Point MSI-X vector 'vec' of a device at m->msi + off, data 'data' */
static void msix_route(Machine *m, Dev *d, int vec, uint32_t off,
                       uint32_t data)
{
    if (!d->pdev->msix_enabled) {
        qpci_msix_enable(d->pdev);
    }
    vprime_msix_set(d->pdev, vec, m->msi + off, data, 0);
}

/* Deterministic bytes (xorshift32 from a fixed seed) */
static void fill_bytes(uint8_t *p, size_t n, uint32_t seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        p[i] = seed;
    }
}

/* ---- what the host and the guest can see -------------------------------- */

static void dump_reg(GString *out, Dev *d, const char *name, uint32_t reg)
{
    g_string_append_printf(out, "%s 0x%x\n", name, rd(d, reg));
}

#define DUMP(out, d, reg) dump_reg(out, d, #reg, reg)

static void dump_common(GString *out, Dev *d)
{
    DUMP(out, d, VPRIME_REG_ID);
    DUMP(out, d, VPRIME_REG_VERSION);
    DUMP(out, d, VPRIME_REG_KIND);
    DUMP(out, d, VPRIME_REG_CAPS);
    DUMP(out, d, VPRIME_REG_VRAM_SIZE_LO);
    DUMP(out, d, VPRIME_REG_VRAM_SIZE_HI);
    DUMP(out, d, VPRIME_REG_NUM_HEADS);
    DUMP(out, d, VPRIME_REG_MSIX_VECTORS);
    DUMP(out, d, VPRIME_REG_SCRATCH);
    DUMP(out, d, VPRIME_REG_IRQ_STATUS);
    DUMP(out, d, VPRIME_REG_IRQ_ENABLE);
    DUMP(out, d, VPRIME_REG_ERROR);
    DUMP(out, d, VPRIME_REG_ERROR_ADDR);
}

/* Every GPU register, each context's through CTX_SELECT (then restored) */
static void dump_gpu(GString *out, Dev *d)
{
    static const char *const eng_regs[] = {
        "RING_BASE_LO", "RING_BASE_HI", "RING_SIZE", "RING_HEAD",
        "RING_TAIL", "FENCE_ADDR_LO", "FENCE_ADDR_HI", "FENCE_LO",
        "FENCE_HI", "CONTROL", "STATUS", "ERROR",
    };
    uint32_t sel = rd(d, VPRIME_REG_CTX_SELECT), c, e, r;

    dump_common(out, d);
    g_string_append_printf(out, "CTX_SELECT %u\n", sel);
    for (c = 0; c < VPRIME_GPU_MAX_CONTEXTS; c++) {
        wr(d, VPRIME_REG_CTX_SELECT, c);
        g_string_append_printf(out, "ctx %u: PT 0x%x%08x CONTROL 0x%x "
                               "STATUS 0x%x\n", c,
                               rd(d, VPRIME_REG_CTX_PT_HI),
                               rd(d, VPRIME_REG_CTX_PT_LO),
                               rd(d, VPRIME_REG_CTX_CONTROL),
                               rd(d, VPRIME_REG_CTX_STATUS));
    }
    wr(d, VPRIME_REG_CTX_SELECT, sel);
    DUMP(out, d, VPRIME_REG_FAULT_CTX);
    DUMP(out, d, VPRIME_REG_FAULT_ADDR_LO);
    DUMP(out, d, VPRIME_REG_FAULT_ADDR_HI);
    DUMP(out, d, VPRIME_REG_FAULT_INFO);
    DUMP(out, d, VPRIME_REG_VRAM_USABLE_LO);
    DUMP(out, d, VPRIME_REG_VRAM_USABLE_HI);
    g_assert_cmpint(ARRAY_SIZE(eng_regs) * 4, ==, VPRIME_ENG_ERROR + 4);
    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        for (r = 0; r < ARRAY_SIZE(eng_regs); r++) {
            g_string_append_printf(out, "engine %u %s 0x%x\n", e,
                                   eng_regs[r],
                                   rd(d, VPRIME_ENGINE_BASE(e) + r * 4));
        }
    }
}

/* Every display register but the EDID window */
static void dump_disp(GString *out, Dev *d)
{
    static const char *const head_regs[] = {
        "CONTROL", "MODE_SIZE", "MODE_TOTAL", "MODE_CLOCK", "UPDATE",
        "STATUS", "EVENTS", "EVENT_ENABLE", "FRAME", "VBLANK_TS_LO",
        "VBLANK_TS_HI", "CRC_CONTROL", "CRC", "CRC_FRAME", "ERROR",
        "DAMAGE", "EDID_SIZE",
    };
    uint32_t h, p, r;

    dump_common(out, d);
    DUMP(out, d, VPRIME_DISP_CAPS);
    DUMP(out, d, VPRIME_DISP_DMA_BITS);
    DUMP(out, d, VPRIME_DISP_CLOCK_LO);
    DUMP(out, d, VPRIME_DISP_CLOCK_HI);
    g_assert_cmpint(ARRAY_SIZE(head_regs) * 4, ==, VPRIME_HEAD_EDID_SIZE + 4);
    for (h = 0; h < HEADS; h++) {
        for (r = 0; r < ARRAY_SIZE(head_regs); r++) {
            g_string_append_printf(out, "head %u %s 0x%x\n", h, head_regs[r],
                                   rd(d, VPRIME_HEAD_BASE(h) + r * 4));
        }
        g_string_append_printf(out, "head %u UPDATE_LOCK 0x%x\n", h,
                               rd(d, VPRIME_HEAD_BASE(h) +
                                     VPRIME_HEAD_UPDATE_LOCK));
        g_string_append_printf(out, "head %u ROUTE 0x%x OUTPUT_SOURCE 0x%x\n",
                               h, rd(d, VPRIME_HEAD_BASE(h) +
                                        VPRIME_HEAD_ROUTE),
                               rd(d, VPRIME_HEAD_BASE(h) +
                                     VPRIME_HEAD_OUTPUT_SOURCE));
        g_string_append_printf(out, "head %u VRR_CONTROL 0x%x "
                               "VRR_MIN_REFRESH %u OUTPUT_BPC %u\n", h,
                               rd(d, VPRIME_HEAD_BASE(h) +
                                     VPRIME_HEAD_VRR_CONTROL),
                               rd(d, VPRIME_HEAD_BASE(h) +
                                     VPRIME_HEAD_VRR_MIN_REFRESH),
                               rd(d, VPRIME_HEAD_BASE(h) +
                                     VPRIME_HEAD_OUTPUT_BPC));
        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            g_string_append_printf(out, "head %u plane %u:", h, p);
            for (r = 0; r <= VPRIME_PL_YUV; r += 4) {
                g_string_append_printf(out, " 0x%x",
                                       rd(d, VPRIME_HEAD_BASE(h) +
                                             VPRIME_PLANE_BASE(p) + r));
            }
            /* YUV framebuffer planes 1 and 2 */
            for (r = 0; r < 2 * VPRIME_FBP_REGS_SIZE; r += 4) {
                if (r % VPRIME_FBP_REGS_SIZE <= VPRIME_FBP_OFFSET) {
                    g_string_append_printf(out, " 0x%x",
                                           rd(d, VPRIME_FBP_BASE(h, p, 1) + r));
                }
            }
            g_string_append_c(out, '\n');
        }
    }
}

/*
 * The host's view over QMP: every counter (stat-*, head<N>-*) and page
 * log (*-pages) the device has, skipping those 'skip' lists as dev:name.
 */
static QObject *qmp_return(QDict *rsp)
{
    QObject *ret;

    g_assert(qdict_haskey(rsp, "return"));
    ret = qobject_ref(qdict_get(rsp, "return"));
    qobject_unref(rsp);
    return ret;
}

/* qom-get of a property of device 'dev' (its QOM id) */
static QObject *qom_get(Machine *m, const char *dev, const char *prop)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", dev);

    return qmp_return(qtest_qmp(m->qts, "{'execute': 'qom-get', "
                                "'arguments': {'path': %s, 'property': %s}}",
                                path, prop));
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void dump_qom(GString *out, Machine *m, const char *dev,
                     const char *const *skip)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", dev);
    QList *props = qobject_to(QList, qmp_return(qtest_qmp(m->qts,
        "{'execute': 'qom-list', 'arguments': {'path': %s}}", path)));
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    QListEntry *e;
    guint i;

    QLIST_FOREACH_ENTRY(props, e) {
        const char *name = qdict_get_str(qobject_to(QDict,
                                                    qlist_entry_obj(e)),
                                         "name");

        g_autofree char *key = g_strdup_printf("%s:%s", dev, name);

        /*
         * stat-host-ns, stat-vblank-wakeups: the host's time and work, not
         * the device's state
         */
        if ((g_str_has_prefix(name, "stat-") ||
             g_str_has_prefix(name, "head") ||
             g_str_has_suffix(name, "-pages")) &&
            strcmp(name, "stat-host-ns") &&
            strcmp(name, "stat-vblank-wakeups") &&
            !(skip && g_strv_contains(skip, key))) {
            g_ptr_array_add(names, (gpointer)name);
        }
    }
    g_ptr_array_sort(names, cmp_names);
    g_assert_cmpuint(names->len, >, 10);
    for (i = 0; i < names->len; i++) {
        QObject *v = qom_get(m, dev, g_ptr_array_index(names, i));
        g_autoptr(GString) json = qobject_to_json(v);

        g_string_append_printf(out, "%s %s %s\n", dev,
                               (char *)g_ptr_array_index(names, i), json->str);
        qobject_unref(v);
    }
    qobject_unref(props);
}

static uint64_t qom_u64(Machine *m, const char *dev, const char *prop)
{
    QNum *v = qobject_to(QNum, qom_get(m, dev, prop));
    uint64_t n;

    g_assert(v && qnum_get_try_uint(v, &n));
    qobject_unref(v);
    return n;
}

/* Two dumps line by line: a failure names the first line that differs */
static void assert_same(const char *got, const char *want)
{
    g_auto(GStrv) g = g_strsplit(got, "\n", -1);
    g_auto(GStrv) w = g_strsplit(want, "\n", -1);
    guint i;

    for (i = 0; g[i] && w[i]; i++) {
        g_assert_cmpstr(g[i], ==, w[i]);
    }
    g_assert_cmpuint(g_strv_length(g), ==, g_strv_length(w));
}

static char *machine_dump(Machine *m, const char *const *skip)
{
    GString *out = g_string_new("");

    dump_gpu(out, &m->gpu);
    dump_disp(out, &m->disp);
    dump_qom(out, m, "gpu", skip);
    dump_qom(out, m, "disp", skip);
    return g_string_free(out, false);
}

/* ---- GPU: a copy in flight, an engine waiting on a semaphore ------------ */

#define CTX             3
#define SRC_VA          0x100000000ULL
#define VRAM_VA         0x200000000ULL
#define DST_VA          0x300000000ULL
#define SEM_VA          0x400000000ULL
#define PAT_VA          0x500000000ULL
#define COPY_BYTES      (256 * KiB)
#define PAT_W           256
#define PAT_H           64
#define PAT_FRAME       5
#define PAT_TAG         3
#define RING_ENTRIES    64
#define MSI_GPU(e)      (0x100 + 4 * VPRIME_ENGINE_MSIX_VEC(e))

typedef struct GpuJob {
    uint64_t root;
    uint64_t src, dst, sem, pat;    /* guest-physical, pages mapped backwards */
    uint64_t ring[VPRIME_GPU_ENGINES];
    uint64_t fence;                 /* engine e writes its fence at + 64 e */
    uint8_t *src_bytes;
} GpuJob;

/* When each piece of work became visible, in virtual ns */
typedef struct GpuTimes {
    int64_t copy_fence[2], copy_msi, render_fence, render_msi;
} GpuTimes;

static uint64_t galloc(Machine *m, uint64_t bytes)
{
    uint64_t a = guest_alloc(&m->qs->alloc, bytes);

    g_assert_cmpuint(a % VPRIME_GPU_PAGE_SIZE, ==, 0);
    qtest_memset(m->qts, a, 0, bytes);
    return a;
}

static void map_page(Machine *m, uint64_t root, uint64_t va, uint64_t pte)
{
    uint64_t table = root;
    int level;

    for (level = VPRIME_GPU_PT_LEVELS - 1; level > 0; level--) {
        uint64_t slot = table + VPRIME_GPU_PT_INDEX(va, level) * 8;
        uint64_t e = qtest_readq(m->qts, slot);

        if (!(e & VPRIME_PTE_VALID)) {
            e = galloc(m, VPRIME_GPU_PAGE_SIZE) | VPRIME_PTE_VALID;
            qtest_writeq(m->qts, slot, e);
        }
        table = e & VPRIME_PTE_ADDR_MASK;
    }
    qtest_writeq(m->qts, table + VPRIME_GPU_PT_INDEX(va, 0) * 8, pte);
}

/*
 * Map [va, va + bytes) onto 'base' (system memory, or VRAM offsets with
 * VPRIME_PTE_VRAM), its pages in reverse order so the GPU must translate.
 */
static void map_range(Machine *m, uint64_t root, uint64_t va, uint64_t base,
                      uint64_t bytes, uint64_t flags)
{
    uint64_t n = bytes / VPRIME_GPU_PAGE_SIZE, i;

    for (i = 0; i < n; i++) {
        map_page(m, root, va + i * VPRIME_GPU_PAGE_SIZE,
                 (base + (n - 1 - i) * VPRIME_GPU_PAGE_SIZE) |
                 VPRIME_PTE_VALID | VPRIME_PTE_WRITABLE | flags);
    }
}

/* Where byte 'off' of a buffer mapped by map_range() lives */
static uint64_t page_of(uint64_t base, uint64_t bytes, uint64_t off)
{
    uint64_t n = bytes / VPRIME_GPU_PAGE_SIZE;

    return base + (n - 1 - off / VPRIME_GPU_PAGE_SIZE) * VPRIME_GPU_PAGE_SIZE +
           off % VPRIME_GPU_PAGE_SIZE;
}

/* A buffer mapped by map_range(), in VA order */
static void read_mapped(Machine *m, uint64_t base, uint64_t bytes,
                        uint8_t *out)
{
    uint64_t off;

    for (off = 0; off < bytes; off += VPRIME_GPU_PAGE_SIZE) {
        qtest_bufread(m->qts, page_of(base, bytes, off), out + off,
                      VPRIME_GPU_PAGE_SIZE);
    }
}

static void write_mapped(Machine *m, uint64_t base, uint64_t bytes,
                         uint64_t from, const uint8_t *in)
{
    uint64_t off;

    for (off = from; off < bytes; off += VPRIME_GPU_PAGE_SIZE) {
        qtest_bufwrite(m->qts, page_of(base, bytes, off), in + off,
                       VPRIME_GPU_PAGE_SIZE);
    }
}

static void ring_put(Machine *m, GpuJob *j, int e, uint32_t slot,
                     const struct vprime_cmd *c)
{
    qtest_memwrite(m->qts, j->ring[e] + slot * VPRIME_CMD_SIZE, c, sizeof(*c));
}

static struct vprime_cmd copy_cmd(uint64_t src, uint64_t dst)
{
    return (struct vprime_cmd) {
        .opcode = VPRIME_OP_COPY, .ctx = CTX,
        .copy = { .src = src, .dst = dst, .size = COPY_BYTES },
    };
}

static struct vprime_cmd fence_cmd(uint64_t value)
{
    return (struct vprime_cmd) {
        .opcode = VPRIME_OP_FENCE, .flags = VPRIME_CMDF_IRQ,
        .fence.value = value,
    };
}

/* Both engines' rings, fence writebacks and MSI-X vectors, enabled */
static void gpu_engines(Machine *m, GpuJob *j)
{
    Dev *d = &m->gpu;
    int e;

    if (!j->fence) {
        j->fence = galloc(m, VPRIME_GPU_PAGE_SIZE);
    }
    for (e = 0; e < VPRIME_GPU_ENGINES; e++) {
        msix_route(m, d, VPRIME_ENGINE_MSIX_VEC(e), MSI_GPU(e), 0xe0 + e);
        j->ring[e] = galloc(m, RING_ENTRIES * VPRIME_CMD_SIZE);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_RING_BASE_LO,
           (uint32_t)j->ring[e]);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_RING_BASE_HI,
           j->ring[e] >> 32);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_RING_SIZE, RING_ENTRIES);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_FENCE_ADDR_LO,
           (uint32_t)j->fence + 64 * e);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_FENCE_ADDR_HI,
           j->fence >> 32);
        wr(d, VPRIME_ENGINE_BASE(e) + VPRIME_ENG_CONTROL,
           VPRIME_ENG_CTRL_ENABLE);
    }
    wr(d, VPRIME_REG_IRQ_ENABLE,
       VPRIME_IRQ_ERROR | VPRIME_IRQ_ENGINE(VPRIME_ENGINE_RENDER) |
       VPRIME_IRQ_ENGINE(VPRIME_ENGINE_COPY));
}

/*
 * The copy engine: COPY src -> VRAM, FENCE 1, COPY VRAM -> dst, FENCE 2.
 * The render engine: WAIT until the semaphore is 1, PATTERN, FENCE 1.
 * Returns with the first copy's data moved and its modelled time not yet
 * elapsed (BUSY, no fence), the render engine WAITING.
 */
static void gpu_begin(Machine *m, GpuJob *j)
{
    Dev *d = &m->gpu;
    struct vprime_cmd wait = {
        .opcode = VPRIME_OP_WAIT, .ctx = CTX,
        .wait = { .addr = SEM_VA, .value = 1 },
    };
    struct vprime_cmd pat = {
        .opcode = VPRIME_OP_PATTERN, .ctx = CTX,
        .rect = { .dst = PAT_VA, .pitch = PAT_W * 4, .width = PAT_W,
                  .height = PAT_H, .format = VPRIME_FMT_XRGB8888,
                  .frame = PAT_FRAME, .tag = PAT_TAG },
    };
    struct vprime_cmd copy[4], render[3];
    int e;

    memset(j, 0, sizeof(*j));
    j->root = galloc(m, VPRIME_GPU_PAGE_SIZE);
    j->src = galloc(m, COPY_BYTES);
    j->dst = galloc(m, COPY_BYTES);
    j->sem = galloc(m, VPRIME_GPU_PAGE_SIZE);
    j->pat = galloc(m, PAT_W * PAT_H * 4);
    j->fence = galloc(m, VPRIME_GPU_PAGE_SIZE);
    map_range(m, j->root, SRC_VA, j->src, COPY_BYTES, 0);
    map_range(m, j->root, VRAM_VA, 0, COPY_BYTES, VPRIME_PTE_VRAM);
    map_range(m, j->root, DST_VA, j->dst, COPY_BYTES, 0);
    map_range(m, j->root, SEM_VA, j->sem, VPRIME_GPU_PAGE_SIZE, 0);
    map_range(m, j->root, PAT_VA, j->pat, PAT_W * PAT_H * 4, 0);
    j->src_bytes = g_malloc(COPY_BYTES);
    fill_bytes(j->src_bytes, COPY_BYTES, 0x5eed);
    write_mapped(m, j->src, COPY_BYTES, 0, j->src_bytes);

    wr(d, VPRIME_REG_CTX_SELECT, CTX);
    wr(d, VPRIME_REG_CTX_PT_LO, (uint32_t)j->root);
    wr(d, VPRIME_REG_CTX_PT_HI, j->root >> 32);
    wr(d, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
    wr(d, VPRIME_REG_CTX_SELECT, 7);    /* a selection that must survive */
    wr(d, VPRIME_REG_SCRATCH, 0x5c7a7c4u);
    gpu_engines(m, j);

    copy[0] = copy_cmd(SRC_VA, VRAM_VA);
    copy[1] = fence_cmd(1);
    copy[2] = copy_cmd(VRAM_VA, DST_VA);
    copy[3] = fence_cmd(2);
    render[0] = wait;
    render[1] = pat;
    render[2] = fence_cmd(1);
    for (e = 0; e < ARRAY_SIZE(copy); e++) {
        ring_put(m, j, VPRIME_ENGINE_COPY, e, &copy[e]);
    }
    for (e = 0; e < ARRAY_SIZE(render); e++) {
        ring_put(m, j, VPRIME_ENGINE_RENDER, e, &render[e]);
    }
    wr(d, VPRIME_ENGINE_BASE(VPRIME_ENGINE_COPY) + VPRIME_ENG_RING_TAIL, 4);
    wr(d, VPRIME_ENGINE_BASE(VPRIME_ENGINE_RENDER) + VPRIME_ENG_RING_TAIL, 3);
    /* the engines fetched and the copy moved its data; the WAIT polls */
    clock_step(m, 20 * 1000);

    g_assert_cmphex(rd(d, VPRIME_ENGINE_BASE(VPRIME_ENGINE_COPY) +
                          VPRIME_ENG_STATUS), ==, VPRIME_ENG_STATUS_BUSY);
    g_assert_cmphex(rd(d, VPRIME_ENGINE_BASE(VPRIME_ENGINE_COPY) +
                          VPRIME_ENG_RING_HEAD), ==, 0);
    g_assert_cmphex(rd(d, VPRIME_ENGINE_BASE(VPRIME_ENGINE_RENDER) +
                          VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY | VPRIME_ENG_STATUS_WAITING);
    g_assert_cmpuint(qtest_readq(m->qts, j->fence + 64 * VPRIME_ENGINE_COPY),
                     ==, 0);
    g_assert_cmpuint(qtest_readl(m->qts, m->msi + MSI_GPU(VPRIME_ENGINE_COPY)),
                     ==, 0);
    g_assert_cmpuint(qom_u64(m, "gpu", "stat-bytes-written-vram"), ==,
                     COPY_BYTES);
}

/* Record the first time a word reads 'want' (then clear MSI words) */
static void note(Machine *m, uint64_t addr, bool q, uint64_t want,
                 int64_t now, int64_t *at)
{
    uint64_t v = q ? qtest_readq(m->qts, addr) : qtest_readl(m->qts, addr);

    if (*at < 0 && v == want) {
        *at = now;
    }
}

/*
 * Let 10 ms of virtual time pass in steps of 50 us; release the
 * semaphore at 4 ms.  Checks every byte the engines wrote.
 */
static void gpu_finish(Machine *m, GpuJob *j, GpuTimes *t)
{
    uint64_t cf = j->fence + 64 * VPRIME_ENGINE_COPY;
    uint64_t rf = j->fence + 64 * VPRIME_ENGINE_RENDER;
    g_autofree uint8_t *got = g_malloc(COPY_BYTES);
    int64_t now = m->now;
    uint32_t x, y;

    memset(t, -1, sizeof(*t));
    while (now < T_START + 10 * 1000 * 1000) {
        now = clock_step(m, 50 * 1000);
        note(m, cf, true, 1, now, &t->copy_fence[0]);
        note(m, cf, true, 2, now, &t->copy_fence[1]);
        note(m, rf, true, 1, now, &t->render_fence);
        note(m, m->msi + MSI_GPU(VPRIME_ENGINE_COPY), false,
             0xe0 + VPRIME_ENGINE_COPY, now, &t->copy_msi);
        note(m, m->msi + MSI_GPU(VPRIME_ENGINE_RENDER), false,
             0xe0 + VPRIME_ENGINE_RENDER, now, &t->render_msi);
        if (now >= T_START + 4 * 1000 * 1000 && !qtest_readq(m->qts, j->sem)) {
            qtest_writeq(m->qts, j->sem, 1);
        }
    }
    g_assert_cmpint(t->copy_fence[0], >, 0);
    g_assert_cmpint(t->copy_fence[1], >, t->copy_fence[0]);
    g_assert_cmpint(t->copy_msi, ==, t->copy_fence[0]);
    g_assert_cmpint(t->render_fence, >=, T_START + 4 * 1000 * 1000);
    g_assert_cmpint(t->render_msi, ==, t->render_fence);

    read_mapped(m, j->dst, COPY_BYTES, got);
    g_assert(memcmp(got, j->src_bytes, COPY_BYTES) == 0);
    read_mapped(m, j->pat, PAT_W * PAT_H * 4, got);
    for (y = 0; y < PAT_H; y++) {
        for (x = 0; x < PAT_W; x++) {
            g_assert_cmphex(ldl_le_p(got + (y * PAT_W + x) * 4), ==,
                            vprime_pattern_pixel(PAT_FRAME, PAT_TAG, x, y) &
                            0x00ffffffu);
        }
    }
    g_free(j->src_bytes);
}

/* ---- display: two heads scanning, a flip pending ------------------------ */

/* 64x48, 80x50 total at 240 kHz: 60 Hz */
#define MODE_W          64
#define MODE_H          48
#define PERIOD          (80ULL * 50 * 1000000 / 240)
#define OVL_W           16
#define OVL_X           8
#define H1_W            32
#define H1_H            24
#define H1_X            16
#define H1_Y            12
#define FB_BYTES        (MODE_W * MODE_H * 4)
#define FB_PAGES        (FB_BYTES / VPRIME_DISP_PAGE_SIZE)
#define MSI_HEAD(h)     (0x200 + 4 * VPRIME_HEAD_MSIX_VEC(h))

typedef struct DispJob {
    uint64_t list[2];               /* page lists of primary buffers A, B */
    uint64_t pages[2][FB_PAGES];
    uint64_t ovl, h1;               /* contiguous buffers */
    uint8_t fb[2][FB_BYTES], ovl_px[OVL_W * OVL_W * 4];
    uint8_t h1_px[H1_W * H1_H * 4];
} DispJob;

static void pwr(Dev *d, int h, int p, uint32_t reg, uint32_t val)
{
    wr(d, VPRIME_HEAD_BASE(h) + VPRIME_PLANE_BASE(p) + reg, val);
}

static void hwr(Dev *d, int h, uint32_t reg, uint32_t val)
{
    wr(d, VPRIME_HEAD_BASE(h) + reg, val);
}

static uint32_t hrd(Dev *d, int h, uint32_t reg)
{
    return rd(d, VPRIME_HEAD_BASE(h) + reg);
}

static void plane(Dev *d, int h, int p, uint32_t ctrl, uint32_t fmt,
                  uint32_t pitch, uint64_t addr, uint32_t fb_size,
                  uint32_t w, uint32_t ht, uint32_t x, uint32_t y)
{
    pwr(d, h, p, VPRIME_PL_CONTROL, ctrl);
    pwr(d, h, p, VPRIME_PL_FORMAT, fmt);
    pwr(d, h, p, VPRIME_PL_LAYOUT, VPRIME_LAYOUT_LINEAR);
    pwr(d, h, p, VPRIME_PL_PITCH, pitch);
    pwr(d, h, p, VPRIME_PL_ADDR_LO, (uint32_t)addr);
    pwr(d, h, p, VPRIME_PL_ADDR_HI, addr >> 32);
    pwr(d, h, p, VPRIME_PL_FB_SIZE, fb_size);
    pwr(d, h, p, VPRIME_PL_OFFSET, 0);
    pwr(d, h, p, VPRIME_PL_SRC_POS, 0);
    pwr(d, h, p, VPRIME_PL_SIZE, VPRIME_XY(w, ht));
    pwr(d, h, p, VPRIME_PL_DST_POS, VPRIME_XY(x, y));
}

/* Head 0: primary buffer 'b' (XRGB8888) under the opaque overlay */
static uint32_t head0_crc(DispJob *j, int b)
{
    uint32_t px[MODE_W * MODE_H];
    int x, y;

    for (y = 0; y < MODE_H; y++) {
        for (x = 0; x < MODE_W; x++) {
            bool in = x >= OVL_X && x < OVL_X + OVL_W &&
                      y >= OVL_X && y < OVL_X + OVL_W;

            px[y * MODE_W + x] = in ?
                ldl_le_p(j->ovl_px + ((y - OVL_X) * OVL_W + x - OVL_X) * 4) :
                ldl_le_p(j->fb[b] + (y * MODE_W + x) * 4);
        }
    }
    return vprime_frame_crc(px, MODE_W, MODE_H);
}

/* Head 1: an XBGR8888 window on black */
static uint32_t head1_crc(DispJob *j)
{
    uint32_t px[MODE_W * MODE_H] = { 0 };
    int x, y;

    for (y = 0; y < H1_H; y++) {
        for (x = 0; x < H1_W; x++) {
            uint32_t v = ldl_le_p(j->h1_px + (y * H1_W + x) * 4);

            px[(y + H1_Y) * MODE_W + x + H1_X] =
                (v & 0xff) << 16 | (v & 0xff00) | (v >> 16 & 0xff);
        }
    }
    return vprime_frame_crc(px, MODE_W, MODE_H);
}

static void head_on(Dev *d, int h)
{
    hwr(d, h, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(MODE_W, MODE_H));
    hwr(d, h, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(80, 50));
    hwr(d, h, VPRIME_HEAD_MODE_CLOCK, 240);
    hwr(d, h, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, h, VPRIME_HEAD_CRC_CONTROL, 1);
    hwr(d, h, VPRIME_HEAD_EVENT_ENABLE,
        VPRIME_HEAD_EV_VBLANK | VPRIME_HEAD_EV_FLIP_DONE);
    hwr(d, h, VPRIME_HEAD_UPDATE, 1);
}

/*
 * Head 0 scans buffer A through a scattered page list with an overlay,
 * head 1 a contiguous window; a vblank later a flip to buffer B is
 * written and waits for the next vblank, half a period away.
 */
static void disp_begin(Machine *m, DispJob *j)
{
    Dev *d = &m->disp;
    int b, i, h;

    memset(j, 0, sizeof(*j));
    for (b = 0; b < 2; b++) {
        fill_bytes(j->fb[b], FB_BYTES, 0xa0 + b);
        j->list[b] = galloc(m, VPRIME_DISP_PAGE_SIZE);
        for (i = 0; i < FB_PAGES; i++) {
            j->pages[b][i] = galloc(m, VPRIME_DISP_PAGE_SIZE);
        }
        for (i = 0; i < FB_PAGES; i++) {
            /* backwards: page i of the buffer is the (n - 1 - i)th allocated */
            uint64_t pg = j->pages[b][FB_PAGES - 1 - i];

            qtest_writeq(m->qts, j->list[b] + i * 8, pg);
            qtest_bufwrite(m->qts, pg, j->fb[b] + i * VPRIME_DISP_PAGE_SIZE,
                           VPRIME_DISP_PAGE_SIZE);
        }
    }
    fill_bytes(j->ovl_px, sizeof(j->ovl_px), 0x0f1);
    for (i = 0; i < OVL_W * OVL_W; i++) {
        j->ovl_px[i * 4 + 3] = 0xff;            /* opaque */
    }
    j->ovl = galloc(m, VPRIME_DISP_PAGE_SIZE);
    qtest_bufwrite(m->qts, j->ovl, j->ovl_px, sizeof(j->ovl_px));
    fill_bytes(j->h1_px, sizeof(j->h1_px), 0x4e1);
    j->h1 = galloc(m, sizeof(j->h1_px));
    qtest_bufwrite(m->qts, j->h1, j->h1_px, sizeof(j->h1_px));

    wr(d, VPRIME_REG_SCRATCH, 0xd15c0);
    wr(d, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_ERROR | VPRIME_IRQ_HEAD(0) |
                                 VPRIME_IRQ_HEAD(1));
    for (h = 0; h < HEADS; h++) {
        msix_route(m, d, VPRIME_HEAD_MSIX_VEC(h), MSI_HEAD(h), 0xd0 + h);
    }
    plane(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_CTRL_ENABLE,
          VPRIME_FMT_XRGB8888, MODE_W * 4, j->list[0], FB_BYTES,
          MODE_W, MODE_H, 0, 0);
    plane(d, 0, VPRIME_PLANE_OVERLAY,
          VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG,
          VPRIME_FMT_ARGB8888, OVL_W * 4, j->ovl, sizeof(j->ovl_px),
          OVL_W, OVL_W, OVL_X, OVL_X);
    head_on(d, 0);
    plane(d, 1, VPRIME_PLANE_PRIMARY,
          VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG,
          VPRIME_FMT_XBGR8888, H1_W * 4, j->h1, sizeof(j->h1_px),
          H1_W, H1_H, H1_X, H1_Y);
    /* a shadow DST_SIZE, sent in subsection vprime-display-plane/scale */
    pwr(d, 1, VPRIME_PLANE_OVERLAY, VPRIME_PL_DST_SIZE, VPRIME_XY(5, 6));
    /* shadow YUV registers: subsection plane/yuv */
    pwr(d, 1, VPRIME_PLANE_OVERLAY, VPRIME_PL_YUV, VPRIME_PL_YUV_FULL);
    wr(d, VPRIME_FBP_BASE(1, VPRIME_PLANE_OVERLAY, 2) + VPRIME_FBP_ADDR_HI, 1);
    wr(d, VPRIME_FBP_BASE(1, VPRIME_PLANE_OVERLAY, 1) + VPRIME_FBP_PITCH, 96);
    /* the second overlay's shadow registers: subsection head/overlay2 */
    pwr(d, 1, VPRIME_PLANE_OVERLAY2, VPRIME_PL_SIZE, VPRIME_XY(7, 8));
    pwr(d, 1, VPRIME_PLANE_OVERLAY2, VPRIME_PL_ZPOS, 2);
    head_on(d, 1);
    clock_step(m, PERIOD);

    for (h = 0; h < HEADS; h++) {
        g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_FRAME), ==, 1);
        g_assert_cmpuint(hrd(d, h, VPRIME_HEAD_ERROR), ==, 0);
    }
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, head0_crc(j, 0));
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_CRC), ==, head1_crc(j));

    pwr(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_LO, (uint32_t)j->list[1]);
    pwr(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_ADDR_HI, j->list[1] >> 32);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    hwr(d, 0, VPRIME_HEAD_EVENTS, ~0u);
    qtest_writel(m->qts, m->msi + MSI_HEAD(0), 0);
    clock_step(m, PERIOD / 2);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, head0_crc(j, 0));
}

/* The pending flip lands at the next vblank; the CRCs are the pictures' */
static void disp_finish(Machine *m, DispJob *j)
{
    Dev *d = &m->disp;
    uint64_t ts = (uint64_t)hrd(d, 0, VPRIME_HEAD_VBLANK_TS_HI) << 32 |
                  hrd(d, 0, VPRIME_HEAD_VBLANK_TS_LO);
    g_autofree char *pages = NULL;
    GString *want = g_string_new("pages:");
    int i;

    clock_step(m, PERIOD / 2 + 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 2);
    g_assert_cmpuint((uint64_t)hrd(d, 0, VPRIME_HEAD_VBLANK_TS_HI) << 32 |
                     hrd(d, 0, VPRIME_HEAD_VBLANK_TS_LO), ==, ts + PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS) &
                    VPRIME_HEAD_EV_FLIP_DONE, !=, 0);
    g_assert_cmphex(qtest_readl(m->qts, m->msi + MSI_HEAD(0)), ==, 0xd0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, head0_crc(j, 1));
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_CRC_FRAME), ==, 2);
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_CRC), ==, head1_crc(j));

    /* the plane scans what the page list said at the latch */
    for (i = 0; i < FB_PAGES; i++) {
        g_string_append_printf(want, "%s0x%" PRIx64, i ? "," : "",
                               j->pages[1][FB_PAGES - 1 - i]);
    }
    {
        QString *v = qobject_to(QString, qom_get(m, "disp",
                                                 "head0-plane0-pages"));

        g_assert_nonnull(v);
        pages = g_strdup(qstring_get_str(v));
        qobject_unref(v);
    }
    g_assert_cmpstr(pages, ==, want->str);
    g_string_free(want, true);
}

/* ---- live migration between two QEMUs ----------------------------------- */

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    if (!tmp_dir) {
        tmp_dir = g_dir_make_tmp("vprime-migration-XXXXXX", NULL);
        g_assert_nonnull(tmp_dir);
    }
    return g_build_filename(tmp_dir, name, NULL);
}

/*
 * Migrate 'src' into a new QEMU over a unix socket and continue there;
 * the destination's clock is set to the source's, as a real machine's
 * virtual clock migrates but the qtest accelerator's does not.
 */
static void migrate_live(Machine *src, Machine *dst)
{
    g_autofree char *sock = tmp_path("migration.sock");
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);

    machine_start(dst, uri, NULL);
    migrate(src->qs, dst->qs, uri);
    machine_adopt(dst, src);
    g_assert_cmpint(qtest_clock_set(dst->qts, dst->now), ==, dst->now);
    unlink(sock);
}

/* Counters that differ by design after a migration (checked apart) */
static const char *const after_migration_differs[] = {
    "gpu:stat-tlb-walks",           /* the TLB is a cache; it starts cold */
    "disp:stat-frames-composed",    /* heads that are on compose again... */
    "disp:head1-frames-composed",
    "disp:stat-bytes-read-sysram",  /* ... reading their planes again */
    "disp:head1-bytes-read-sysram",
    "disp:stat-bytes-copied",       /* ... and copying what they compose */
    NULL,
};

static void test_gpu_in_flight(void)
{
    Machine ref, src, dst;
    GpuJob jr, js;
    GpuTimes tr, td;
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *end_ref = NULL, *end_dst = NULL;

    /* a machine that never migrates says what must happen */
    machine_start(&ref, NULL, NULL);
    gpu_begin(&ref, &jr);
    gpu_finish(&ref, &jr, &tr);

    machine_start(&src, NULL, NULL);
    gpu_begin(&src, &js);
    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);

    gpu_finish(&dst, &js, &td);
    g_assert_cmpint(td.copy_fence[0], ==, tr.copy_fence[0]);
    g_assert_cmpint(td.copy_fence[1], ==, tr.copy_fence[1]);
    g_assert_cmpint(td.copy_msi, ==, tr.copy_msi);
    g_assert_cmpint(td.render_fence, ==, tr.render_fence);
    g_assert_cmpint(td.render_msi, ==, tr.render_msi);
    end_ref = machine_dump(&ref, after_migration_differs);
    end_dst = machine_dump(&dst, after_migration_differs);
    assert_same(end_dst, end_ref);
    g_assert_cmpuint(qom_u64(&dst, "gpu", "stat-tlb-walks"), >=,
                     qom_u64(&ref, "gpu", "stat-tlb-walks"));
    machine_stop(&dst);
    machine_stop(&ref);
}

static void test_display_in_flight(void)
{
    Machine ref, src, dst;
    DispJob *jr = g_new(DispJob, 1), *js = g_new(DispJob, 1);
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *end_ref = NULL, *end_dst = NULL;
    uint64_t h1_bytes = H1_W * H1_H * 4;

    machine_start(&ref, NULL, NULL);
    disp_begin(&ref, jr);
    disp_finish(&ref, jr);

    machine_start(&src, NULL, NULL);
    disp_begin(&src, js);
    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);

    disp_finish(&dst, js);
    /*
     * Frames live on the host: after the migration each head that is on
     * composes again at its first vblank.  Head 0 composes there anyway
     * (its flip); head 1 composes once more, reading its window once
     * more, with the same CRC at a later CRC_FRAME.
     */
    g_assert_cmpuint(hrd(&dst.disp, 1, VPRIME_HEAD_CRC_FRAME), ==, 2);
    g_assert_cmpuint(hrd(&ref.disp, 1, VPRIME_HEAD_CRC_FRAME), ==, 0);
    /* a frame composed in both brings CRC_FRAME together again */
    hwr(&dst.disp, 1, VPRIME_HEAD_DAMAGE, 1);
    hwr(&ref.disp, 1, VPRIME_HEAD_DAMAGE, 1);
    clock_step(&dst, PERIOD);
    clock_step(&ref, PERIOD);
    g_assert_cmpuint(qom_u64(&dst, "disp", "head1-frames-composed"), ==,
                     qom_u64(&ref, "disp", "head1-frames-composed") + 1);
    g_assert_cmpuint(qom_u64(&dst, "disp", "stat-frames-composed"), ==,
                     qom_u64(&ref, "disp", "stat-frames-composed") + 1);
    g_assert_cmpuint(qom_u64(&dst, "disp", "stat-bytes-read-sysram"), ==,
                     qom_u64(&ref, "disp", "stat-bytes-read-sysram") +
                     h1_bytes);
    g_assert_cmpuint(qom_u64(&dst, "disp", "head1-bytes-read-sysram"), ==,
                     qom_u64(&ref, "disp", "head1-bytes-read-sysram") +
                     h1_bytes);
    end_ref = machine_dump(&ref, after_migration_differs);
    end_dst = machine_dump(&dst, after_migration_differs);
    assert_same(end_dst, end_ref);
    machine_stop(&dst);
    machine_stop(&ref);
    g_free(jr);
    g_free(js);
}

/*
 * A head nothing waits on (CRC off, VBLANK masked, no flip pending): its
 * vblank timer stops after the first vblank and FRAME is counted from the
 * clock.  It migrates as if the timer ran (the stream a running timer
 * gives): the destination counts on, on the same grid of periods, as a
 * machine that was not migrated.
 */
static void quiet_head_on(Machine *m)
{
    Dev *d = &m->disp;

    hwr(d, 1, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(MODE_W, MODE_H));
    hwr(d, 1, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(80, 50));
    hwr(d, 1, VPRIME_HEAD_MODE_CLOCK, 240);
    hwr(d, 1, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, 1, VPRIME_HEAD_UPDATE, 1);
    clock_step(m, PERIOD);                  /* the timer's last vblank */
    clock_step(m, 10 * PERIOD + PERIOD / 2);
}

static void test_display_stopped_timer(void)
{
    Machine ref, src, dst;
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *end_ref = NULL, *end_dst = NULL;
    Machine *both[2] = { &ref, &dst };
    int i;

    machine_start(&ref, NULL, NULL);
    quiet_head_on(&ref);
    machine_start(&src, NULL, NULL);
    quiet_head_on(&src);
    g_assert_cmpuint(qom_u64(&src, "disp", "stat-vblank-wakeups"), ==, 1);
    g_assert_cmpuint(hrd(&src.disp, 1, VPRIME_HEAD_FRAME), ==, 11);
    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);

    for (i = 0; i < 2; i++) {
        clock_step(both[i], 20 * PERIOD);
        g_assert_cmpuint(hrd(&both[i]->disp, 1, VPRIME_HEAD_FRAME), ==, 31);
        /* the VBLANK event unmasked: the timer runs again, on the grid */
        hwr(&both[i]->disp, 1, VPRIME_HEAD_EVENT_ENABLE,
            VPRIME_HEAD_EV_VBLANK);
        clock_step(both[i], PERIOD / 2);
        g_assert_cmpuint(hrd(&both[i]->disp, 1, VPRIME_HEAD_FRAME), ==, 32);
    }
    end_ref = machine_dump(&ref, after_migration_differs);
    end_dst = machine_dump(&dst, after_migration_differs);
    assert_same(end_dst, end_ref);
    machine_stop(&dst);
    machine_stop(&ref);
}

/*
 * PCI power management: PMCSR is config space and migrates with it, the
 * count in subsection vprime-display/pm.  An engine saved in D3hot
 * arrives in D3hot (BAR 0 not decoded: it reads 0 on q35), keeps its
 * PM_D3_COUNT, and comes back to D0 reset and working.
 */
static void test_display_pm(void)
{
    Machine src, dst;
    uint64_t vblanks;
    uint8_t pm;

    machine_start(&src, NULL, NULL);
    pm = qpci_find_capability(src.disp.pdev, PCI_CAP_ID_PM, 0);
    g_assert_cmpuint(pm, !=, 0);
    quiet_head_on(&src);
    qpci_config_writew(src.disp.pdev, pm + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
    qpci_config_writew(src.disp.pdev, pm + PCI_PM_CTRL, 0);
    qpci_config_writew(src.disp.pdev, pm + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
    g_assert_cmpuint(qom_u64(&src, "disp", "pm-d3-count"), ==, 2);
    migrate_live(&src, &dst);
    machine_stop(&src);

    g_assert_cmphex(qpci_config_readw(dst.disp.pdev, pm + PCI_PM_CTRL), ==,
                    PCI_PM_CTRL_STATE_MASK);
    g_assert_cmpuint(qom_u64(&dst, "disp", "pm-d3-count"), ==, 2);
    g_assert_cmphex(rd(&dst.disp, VPRIME_REG_ID), ==, 0);
    vblanks = qom_u64(&dst, "disp", "stat-vblanks");
    clock_step(&dst, 10 * PERIOD);          /* stopped: no vblank */
    g_assert_cmpuint(qom_u64(&dst, "disp", "stat-vblanks"), ==, vblanks);

    qpci_config_writew(dst.disp.pdev, pm + PCI_PM_CTRL, 0);
    g_assert_cmphex(rd(&dst.disp, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmpuint(rd(&dst.disp, VPRIME_DISP_PM_D3_COUNT), ==, 2);
    g_assert_cmphex(hrd(&dst.disp, 1, VPRIME_HEAD_CONTROL), ==, 0);
    g_assert_cmpuint(hrd(&dst.disp, 1, VPRIME_HEAD_FRAME), ==, 0);
    quiet_head_on(&dst);
    g_assert_cmpuint(hrd(&dst.disp, 1, VPRIME_HEAD_FRAME), ==, 11);
    machine_stop(&dst);
}

/*
 * The crossbar (subsection vprime-display-head/route): head 0 drives both
 * outputs (a clone, latched), head 1 is off with ROUTE 0x1 written; both
 * arrive as they were (without the subsection the destination has each
 * head on its own output), and output 1's console shows head 0's frame
 * there once it is composed again.
 */
static void test_display_route(void)
{
    Machine src, dst;
    DispJob *j = g_new(DispJob, 1);
    g_autofree char *before = NULL, *after = NULL;
    Dev *d = &src.disp;

    machine_start(&src, NULL, NULL);
    disp_begin(&src, j);
    hwr(d, 1, VPRIME_HEAD_CONTROL, 0);
    hwr(d, 1, VPRIME_HEAD_UPDATE, 1);
    hwr(d, 1, VPRIME_HEAD_ROUTE, 0x1);
    hwr(d, 0, VPRIME_HEAD_ROUTE, 0x3);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(&src, PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_OUTPUT_SOURCE), ==, 0);
    g_assert_cmpuint(hrd(d, 1, VPRIME_HEAD_OUTPUT_SOURCE), ==, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_OUTPUT_CRC), ==,
                    hrd(d, 0, VPRIME_HEAD_CRC));
    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);
    d = &dst.disp;
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_ROUTE), ==, 0x1);
    clock_step(&dst, PERIOD);
    g_assert_cmpuint(hrd(d, 1, VPRIME_HEAD_OUTPUT_SOURCE), ==, 0);
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_OUTPUT_CRC), ==,
                    hrd(d, 0, VPRIME_HEAD_CRC));
    g_assert_cmphex(hrd(d, 1, VPRIME_HEAD_OUTPUT_CRC), !=, 0);
    machine_stop(&dst);
    g_free(j);
}

/*
 * UPDATE_LOCK held at the save (subsection vprime-display-head/update-lock):
 * the guest took it after its flip's UPDATE and releases it on the
 * destination.  Until then no vblank latches there either; the flip lands
 * at the first vblank after the release, as on a machine that did not
 * migrate.
 */
static void lock_begin(Machine *m, DispJob *j)
{
    Dev *d = &m->disp;

    disp_begin(m, j);
    hwr(d, 0, VPRIME_HEAD_UPDATE_LOCK, 1);
    clock_step(m, PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 2);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
}

static void lock_finish(Machine *m, DispJob *j)
{
    Dev *d = &m->disp;

    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_UPDATE_LOCK), ==, 1);
    clock_step(m, PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 3);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, !=, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, head0_crc(j, 0));
    hwr(d, 0, VPRIME_HEAD_UPDATE_LOCK, 0);
    clock_step(m, PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 4);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 4);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_PENDING, ==, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, head0_crc(j, 1));
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
}

/* ... and head 0 too: the vblank after the migration latches nothing */
static const char *const after_lock_migration_differs[] = {
    "gpu:stat-tlb-walks",
    "disp:stat-frames-composed",
    "disp:head0-frames-composed",
    "disp:head1-frames-composed",
    "disp:stat-bytes-read-sysram",
    "disp:head0-bytes-read-sysram",
    "disp:head1-bytes-read-sysram",
    "disp:stat-bytes-copied",
    NULL,
};

static void test_display_update_lock(void)
{
    Machine ref, src, dst;
    DispJob *jr = g_new(DispJob, 1), *js = g_new(DispJob, 1);
    g_autofree char *before = NULL, *after = NULL;
    g_autofree char *end_ref = NULL, *end_dst = NULL;

    machine_start(&ref, NULL, NULL);
    lock_begin(&ref, jr);
    lock_finish(&ref, jr);

    machine_start(&src, NULL, NULL);
    lock_begin(&src, js);
    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);
    lock_finish(&dst, js);
    /* head 1 composed again after the migration: compose in both */
    hwr(&dst.disp, 1, VPRIME_HEAD_DAMAGE, 1);
    hwr(&ref.disp, 1, VPRIME_HEAD_DAMAGE, 1);
    clock_step(&dst, PERIOD);
    clock_step(&ref, PERIOD);
    end_ref = machine_dump(&ref, after_lock_migration_differs);
    end_dst = machine_dump(&dst, after_lock_migration_differs);
    assert_same(end_dst, end_ref);
    machine_stop(&dst);
    machine_stop(&ref);
    g_free(jr);
    g_free(js);
}

/*
 * Variable refresh (subsection vprime-display-head/vrr): head 0 with VRR
 * on (no plane), migrated a quarter period into a frame.  On the
 * destination an UPDATE half a period into the frame ends it one mode
 * period after its start, and then the longest frame follows: without
 * the VRR registers the frames are the mode's, without the frame's start
 * the UPDATE ends the frame in its write.
 */
#define VRR_MIN_MHZ     40000
#define VRR_PMAX        (1000000000000ULL / VRR_MIN_MHZ)

static uint64_t vrr_ts(Dev *d)
{
    return (uint64_t)hrd(d, 0, VPRIME_HEAD_VBLANK_TS_HI) << 32 |
           hrd(d, 0, VPRIME_HEAD_VBLANK_TS_LO);
}

static void test_display_vrr(void)
{
    Machine src, dst;
    uint64_t fs;
    Dev *d;

    machine_start(&src, NULL, NULL);
    d = &src.disp;
    hwr(d, 0, VPRIME_HEAD_VRR_CONTROL, VPRIME_VRR_CTRL_ENABLE);
    hwr(d, 0, VPRIME_HEAD_VRR_MIN_REFRESH, VRR_MIN_MHZ);
    hwr(d, 0, VPRIME_HEAD_MODE_SIZE, VPRIME_XY(MODE_W, MODE_H));
    hwr(d, 0, VPRIME_HEAD_MODE_TOTAL, VPRIME_XY(80, 50));
    hwr(d, 0, VPRIME_HEAD_MODE_CLOCK, 240);
    hwr(d, 0, VPRIME_HEAD_CONTROL, VPRIME_HEAD_CTRL_ENABLE);
    hwr(d, 0, VPRIME_HEAD_CRC_CONTROL, 1);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(&src, VRR_PMAX);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 1);
    fs = vrr_ts(d);
    clock_step(&src, PERIOD / 4);
    migrate_live(&src, &dst);
    machine_stop(&src);

    d = &dst.disp;
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_VRR_CONTROL), ==,
                    VPRIME_VRR_CTRL_ENABLE);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_VRR_MIN_REFRESH), ==, VRR_MIN_MHZ);
    clock_step(&dst, PERIOD / 4);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 1);
    clock_step(&dst, PERIOD - PERIOD / 4 - PERIOD / 4 - 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 1);
    clock_step(&dst, 1);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 2);
    g_assert_cmpuint(vrr_ts(d), ==, fs + PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FLIP_FRAME), ==, 2);
    clock_step(&dst, VRR_PMAX);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_FRAME), ==, 3);
    g_assert_cmpuint(vrr_ts(d), ==, fs + PERIOD + VRR_PMAX);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    machine_stop(&dst);
}

/*
 * Output depth (subsection vprime-display-head/output-bpc): head 0 latched
 * at 6 bpc, 10 written and not latched yet.  On the destination the
 * frame composed again is still truncated to 6 bits and OUTPUT_BPC reads
 * 10; the UPDATE then sends the 8-bit frame.  Without the subsection both
 * would be 8.
 */
static uint32_t bpc_crc(const uint8_t *fb, uint32_t mask)
{
    uint32_t px[MODE_W * MODE_H];
    int i;

    for (i = 0; i < MODE_W * MODE_H; i++) {
        px[i] = ldl_le_p(fb + i * 4) & mask;
    }
    return vprime_frame_crc(px, MODE_W, MODE_H);
}

static void test_display_output_bpc(void)
{
    const uint32_t m = VPRIME_BPC_6_MASK, six = m << 16 | m << 8 | m;
    g_autofree uint8_t *fb = g_malloc(FB_BYTES);
    Machine src, dst;
    uint64_t addr;
    Dev *d;

    machine_start(&src, NULL, NULL);
    d = &src.disp;
    fill_bytes(fb, FB_BYTES, 0xb9c);
    g_assert_cmphex(bpc_crc(fb, six), !=, bpc_crc(fb, 0xffffff));
    addr = galloc(&src, FB_BYTES);
    qtest_bufwrite(src.qts, addr, fb, FB_BYTES);
    plane(d, 0, VPRIME_PLANE_PRIMARY,
          VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG, VPRIME_FMT_XRGB8888,
          MODE_W * 4, addr, FB_BYTES, MODE_W, MODE_H, 0, 0);
    hwr(d, 0, VPRIME_HEAD_OUTPUT_BPC, VPRIME_BPC_6);
    head_on(d, 0);
    clock_step(&src, PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, bpc_crc(fb, six));
    hwr(d, 0, VPRIME_HEAD_OUTPUT_BPC, VPRIME_BPC_10);
    migrate_live(&src, &dst);
    machine_stop(&src);

    d = &dst.disp;
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_OUTPUT_BPC), ==, VPRIME_BPC_10);
    clock_step(&dst, PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, bpc_crc(fb, six));
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(&dst, PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), ==, bpc_crc(fb, 0xffffff));
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    machine_stop(&dst);
}

/*
 * Colour pipeline: the tables the engine latched migrate with the head,
 * so that memory rewritten since the latch shows only after the next
 * UPDATE, on the destination as on a machine that never migrated.
 */
typedef struct ColourJob {
    uint64_t fb, block;
    uint8_t fb_px[FB_BYTES];
    uint8_t tables[2][VPRIME_COLOUR_BLOCK_SIZE];
} ColourJob;

/* A colour block of random LUTs and a mixing matrix (S31.32 of n / 256) */
static void colour_block(uint8_t *b, uint32_t seed)
{
    static const int64_t m[9] = { 300, -40, 11, -90, 200, 77, 5, 600, -311 };
    int i;

    fill_bytes(b, VPRIME_COLOUR_CTM, seed);
    for (i = 0; i < 9; i++) {
        uint64_t v = (uint64_t)(m[i] < 0 ? -m[i] : m[i]) << 24;

        stq_le_p(b + VPRIME_COLOUR_CTM + i * 8, m[i] < 0 ? v | 1ull << 63 : v);
    }
}

static uint32_t colour_begin(Machine *m, ColourJob *j)
{
    Dev *d = &m->disp;
    uint32_t crc;

    fill_bytes(j->fb_px, FB_BYTES, 0xc01);
    colour_block(j->tables[0], 0xc02);
    colour_block(j->tables[1], 0xc03);
    j->fb = galloc(m, FB_BYTES);
    qtest_bufwrite(m->qts, j->fb, j->fb_px, FB_BYTES);
    j->block = galloc(m, VPRIME_COLOUR_BLOCK_SIZE);
    qtest_bufwrite(m->qts, j->block, j->tables[0], VPRIME_COLOUR_BLOCK_SIZE);
    plane(d, 0, VPRIME_PLANE_PRIMARY,
          VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG,
          VPRIME_FMT_XRGB8888, MODE_W * 4, j->fb, FB_BYTES,
          MODE_W, MODE_H, 0, 0);
    head_on(d, 0);
    clock_step(m, PERIOD);
    crc = hrd(d, 0, VPRIME_HEAD_CRC);
    hwr(d, 0, VPRIME_HEAD_COLOUR_ADDR_LO, (uint32_t)j->block);
    hwr(d, 0, VPRIME_HEAD_COLOUR_ADDR_HI, j->block >> 32);
    hwr(d, 0, VPRIME_HEAD_COLOUR_CONTROL, VPRIME_COLOUR_CTRL_VALID_MASK);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(m, PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_CRC), !=, crc);
    /* new tables in memory, not latched yet */
    qtest_bufwrite(m->qts, j->block, j->tables[1], VPRIME_COLOUR_BLOCK_SIZE);
    return hrd(d, 0, VPRIME_HEAD_CRC);
}

/* The frame again (old tables), then the new tables latched: both CRCs */
static void colour_finish(Machine *m, uint32_t *crc)
{
    Dev *d = &m->disp;

    hwr(d, 0, VPRIME_HEAD_DAMAGE, 1);
    clock_step(m, PERIOD);
    crc[0] = hrd(d, 0, VPRIME_HEAD_CRC);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(m, PERIOD);
    crc[1] = hrd(d, 0, VPRIME_HEAD_CRC);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
}

static void test_display_colour(void)
{
    Machine ref, src, dst;
    ColourJob *j = g_new(ColourJob, 1);
    uint32_t want[2], got[2], latched;

    machine_start(&ref, NULL, NULL);
    latched = colour_begin(&ref, j);
    colour_finish(&ref, want);
    g_assert_cmphex(want[0], ==, latched);
    g_assert_cmphex(want[1], !=, latched);

    machine_start(&src, NULL, NULL);
    g_assert_cmphex(colour_begin(&src, j), ==, latched);
    migrate_live(&src, &dst);
    machine_stop(&src);
    g_assert_cmphex(hrd(&dst.disp, 0, VPRIME_HEAD_COLOUR_CONTROL), ==,
                    VPRIME_COLOUR_CTRL_VALID_MASK);
    colour_finish(&dst, got);
    g_assert_cmphex(got[0], ==, want[0]);
    g_assert_cmphex(got[1], ==, want[1]);
    machine_stop(&dst);
    machine_stop(&ref);
    g_free(j);
}

/*
 * A latched YUV plane migrates whole (subsection plane/yuv): an NV12
 * primary whose Y and UV planes are each a buffer of scattered pages,
 * composed again on the destination from the migrated page lists, to the
 * same CRC
 */
static void test_display_yuv(void)
{
    /* Y: pitch 128, 2 pages; UV: 32 samples of 2 bytes a row, 1 page */
    static const uint32_t size[2] = { 128 * MODE_H, 64 * MODE_H / 2 };
    Machine src, dst;
    Dev *d = &src.disp;
    uint64_t list[2];
    uint32_t crc, i, pg;
    g_autofree char *before = NULL, *after = NULL;

    machine_start(&src, NULL, NULL);
    for (i = 0; i < 2; i++) {
        uint32_t n = DIV_ROUND_UP(size[i], VPRIME_DISP_PAGE_SIZE);
        g_autofree uint8_t *px = g_malloc(n * VPRIME_DISP_PAGE_SIZE);

        fill_bytes(px, n * VPRIME_DISP_PAGE_SIZE, 0x7e1 + i);
        list[i] = galloc(&src, n * 8);
        for (pg = 0; pg < n; pg++) {
            /* a page between each two: the pages are not contiguous */
            uint64_t page = galloc(&src, 2 * VPRIME_DISP_PAGE_SIZE);

            qtest_writeq(src.qts, list[i] + pg * 8, page);
            qtest_bufwrite(src.qts, page, px + pg * VPRIME_DISP_PAGE_SIZE,
                           VPRIME_DISP_PAGE_SIZE);
        }
    }
    plane(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_CTRL_ENABLE,
          VPRIME_FMT_NV12, 128, list[0], size[0], MODE_W, MODE_H, 0, 0);
    pwr(d, 0, VPRIME_PLANE_PRIMARY, VPRIME_PL_YUV,
        VPRIME_PL_YUV_BT709 | VPRIME_PL_YUV_FULL);
    wr(d, VPRIME_FBP_BASE(0, 0, 1) + VPRIME_FBP_ADDR_LO, (uint32_t)list[1]);
    wr(d, VPRIME_FBP_BASE(0, 0, 1) + VPRIME_FBP_ADDR_HI, list[1] >> 32);
    wr(d, VPRIME_FBP_BASE(0, 0, 1) + VPRIME_FBP_FB_SIZE, size[1]);
    wr(d, VPRIME_FBP_BASE(0, 0, 1) + VPRIME_FBP_PITCH, 64);
    head_on(d, 0);
    clock_step(&src, PERIOD);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    crc = hrd(d, 0, VPRIME_HEAD_CRC);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_CRC_FRAME), ==, 0);

    before = machine_dump(&src, NULL);
    migrate_live(&src, &dst);
    after = machine_dump(&dst, NULL);
    assert_same(after, before);
    machine_stop(&src);

    /* composed again at the first vblank, from the migrated page lists */
    clock_step(&dst, PERIOD);
    g_assert_cmpuint(hrd(&dst.disp, 0, VPRIME_HEAD_CRC_FRAME), ==, 2);
    g_assert_cmphex(hrd(&dst.disp, 0, VPRIME_HEAD_CRC), ==, crc);
    g_assert_cmpuint(hrd(&dst.disp, 0, VPRIME_HEAD_ERROR), ==, 0);
    g_assert_cmpuint(hrd(&dst.disp, 0, VPRIME_HEAD_EVENTS) &
                     VPRIME_HEAD_EV_UNDERRUN, ==, 0);
    machine_stop(&dst);
}

/*
 * Writeback: a job programmed and its UPDATE pending when the machine
 * migrates is latched on the destination at the next vblank and writes
 * the frame there, through a scattered buffer's page list, as on a
 * machine that never migrated.  The frame is checked against the
 * primary's pixels (the job writes them with alpha 0xff).
 */
#define WB_PAGES        (FB_BYTES / VPRIME_DISP_PAGE_SIZE)

typedef struct WbJob {
    uint64_t fb, list, pages[WB_PAGES];
    uint8_t fb_px[FB_BYTES];
} WbJob;

static void writeback_begin(Machine *m, WbJob *j)
{
    Dev *d = &m->disp;
    int i;

    fill_bytes(j->fb_px, FB_BYTES, 0xb0b);
    j->fb = galloc(m, FB_BYTES);
    qtest_bufwrite(m->qts, j->fb, j->fb_px, FB_BYTES);
    plane(d, 0, VPRIME_PLANE_PRIMARY,
          VPRIME_PL_CTRL_ENABLE | VPRIME_PL_CTRL_CONTIG,
          VPRIME_FMT_XRGB8888, MODE_W * 4, j->fb, FB_BYTES,
          MODE_W, MODE_H, 0, 0);
    head_on(d, 0);
    clock_step(m, PERIOD);
    /* the pages in reverse order */
    j->list = galloc(m, WB_PAGES * 8);
    for (i = 0; i < WB_PAGES; i++) {
        j->pages[i] = galloc(m, VPRIME_DISP_PAGE_SIZE);
    }
    for (i = 0; i < WB_PAGES; i++) {
        qtest_writeq(m->qts, j->list + i * 8, j->pages[WB_PAGES - 1 - i]);
    }
    hwr(d, 0, VPRIME_HEAD_WB_FORMAT, VPRIME_FMT_XRGB8888);
    hwr(d, 0, VPRIME_HEAD_WB_PITCH, MODE_W * 4);
    hwr(d, 0, VPRIME_HEAD_WB_ADDR_LO, (uint32_t)j->list);
    hwr(d, 0, VPRIME_HEAD_WB_ADDR_HI, j->list >> 32);
    hwr(d, 0, VPRIME_HEAD_WB_FB_SIZE, FB_BYTES);
    hwr(d, 0, VPRIME_HEAD_WB_OFFSET, 0);
    hwr(d, 0, VPRIME_HEAD_WB_SIZE, VPRIME_XY(MODE_W, MODE_H));
    hwr(d, 0, VPRIME_HEAD_WB_CONTROL, VPRIME_WB_CTRL_ENABLE);
    hwr(d, 0, VPRIME_HEAD_UPDATE, 1);
    clock_step(m, PERIOD / 2);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_STATUS) & VPRIME_HEAD_STATUS_PENDING,
                    ==, VPRIME_HEAD_STATUS_PENDING);
}

/* The vblank that latches the job: it writes the primary's frame */
static void writeback_finish(Machine *m, WbJob *j)
{
    Dev *d = &m->disp;
    g_autofree uint8_t *got = g_malloc(FB_BYTES);
    int i;

    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_WB_CONTROL), ==,
                    VPRIME_WB_CTRL_ENABLE);
    clock_step(m, PERIOD);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_ERROR), ==, 0);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_EVENTS) & VPRIME_HEAD_EV_WB_DONE,
                    ==, VPRIME_HEAD_EV_WB_DONE);
    g_assert_cmphex(hrd(d, 0, VPRIME_HEAD_WB_STATUS), ==,
                    VPRIME_WB_STATUS_DONE);
    g_assert_cmpuint(hrd(d, 0, VPRIME_HEAD_WB_FRAME), ==,
                     hrd(d, 0, VPRIME_HEAD_FRAME));
    for (i = 0; i < WB_PAGES; i++) {
        qtest_memread(m->qts, j->pages[WB_PAGES - 1 - i],
                      got + i * VPRIME_DISP_PAGE_SIZE, VPRIME_DISP_PAGE_SIZE);
    }
    for (i = 0; i < MODE_W * MODE_H; i++) {
        g_assert_cmphex((uint32_t)ldl_le_p(got + i * 4), ==,
                        (uint32_t)ldl_le_p(j->fb_px + i * 4) | 0xff000000u);
    }
}

static void test_display_writeback(void)
{
    Machine src, dst;
    WbJob *j = g_new0(WbJob, 1);

    machine_start(&src, NULL, NULL);
    writeback_begin(&src, j);
    migrate_live(&src, &dst);
    machine_stop(&src);
    writeback_finish(&dst, j);
    machine_stop(&dst);
    g_free(j);
}

static void qom_set_str(Machine *m, const char *dev, const char *prop,
                        const char *val)
{
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", dev);

    qtest_qmp_assert_success(m->qts, "{'execute': 'qom-set', 'arguments': "
                             "{'path': %s, 'property': %s, 'value': %s}}",
                             path, prop, val);
}

static char *qom_str(Machine *m, const char *dev, const char *prop)
{
    QString *v = qobject_to(QString, qom_get(m, dev, prop));
    char *str;

    g_assert_nonnull(v);
    str = g_strdup(qstring_get_str(v));
    qobject_unref(v);
    return str;
}

#define LATE_NS         (3 * 1000 * 1000)

/*
 * What injected faults did is device state and migrates; the fault
 * scripts, their log and counters are the host's and do not.  Migrated
 * in between: a render engine hung on its command, a copy engine's fence
 * interrupt 3 ms late on its way, 1 MiB of VRAM retired, and a monitor
 * unplugged with its replug 3 vblanks away.
 */
static void test_faults_in_flight(void)
{
    const uint32_t copy = VPRIME_ENGINE_BASE(VPRIME_ENGINE_COPY);
    const uint32_t render = VPRIME_ENGINE_BASE(VPRIME_ENGINE_RENDER);
    struct vprime_cmd fence = fence_cmd(1);
    g_autofree char *log = NULL, *armed = NULL;
    Machine src, dst;
    GpuJob j = { 0 };
    int64_t kicked, t_msi = -1;
    uint64_t usable;

    machine_start(&src, NULL, NULL);
    qom_set_str(&src, "gpu", "fault", "late-irq:engine=copy,delay-ns=3000000;"
                "hang:engine=render;vram-retire:bytes=1M");
    qom_set_str(&src, "disp", "fault", "unplug:head=0,replug=3");
    head_on(&src.disp, 0);          /* a mode and no plane: vblanks */
    clock_step(&src, PERIOD);       /* vblank 1: unplugged */
    g_assert_cmphex(hrd(&src.disp, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);

    gpu_engines(&src, &j);
    ring_put(&src, &j, VPRIME_ENGINE_COPY, 0, &fence);
    ring_put(&src, &j, VPRIME_ENGINE_RENDER, 0, &fence);
    kicked = src.now;
    wr(&src.gpu, copy + VPRIME_ENG_RING_TAIL, 1);
    wr(&src.gpu, render + VPRIME_ENG_RING_TAIL, 1);
    clock_step(&src, 100 * 1000);
    g_assert_cmpuint(qtest_readq(src.qts, j.fence + 64 * VPRIME_ENGINE_COPY),
                     ==, 1);
    g_assert_cmphex(qtest_readl(src.qts, src.msi + MSI_GPU(VPRIME_ENGINE_COPY)),
                    ==, 0);
    g_assert_cmphex(rd(&src.gpu, render + VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY);
    usable = rd(&src.gpu, VPRIME_REG_VRAM_USABLE_LO);
    g_assert_cmpuint(usable, ==, 63 * MiB);
    log = qom_str(&src, "gpu", "fault-log");
    g_assert(strstr(log, "hang") && strstr(log, "late-irq"));

    migrate_live(&src, &dst);
    machine_stop(&src);

    /* the host's: not migrated */
    armed = qom_str(&dst, "gpu", "fault");
    g_assert_cmpstr(armed, ==, "");
    g_free(log);
    log = qom_str(&dst, "gpu", "fault-log");
    g_assert_cmpstr(log, ==, "");
    g_assert_cmpuint(qom_u64(&dst, "gpu", "stat-injected-hang"), ==, 0);

    /* the device's: migrated */
    g_assert_cmpuint(rd(&dst.gpu, VPRIME_REG_VRAM_USABLE_LO), ==, usable);
    wr(&dst.gpu, render + VPRIME_ENG_RING_TAIL, 1);     /* a kick */
    while (dst.now < kicked + LATE_NS + 1000 * 1000) {
        clock_step(&dst, 50 * 1000);
        if (t_msi < 0 && qtest_readl(dst.qts, dst.msi +
                                     MSI_GPU(VPRIME_ENGINE_COPY))) {
            t_msi = dst.now;
        }
    }
    /* due 3 ms after the fence, written within 100 us of the doorbell */
    g_assert_cmpint(t_msi, >, kicked + LATE_NS);
    g_assert_cmpint(t_msi, <=, kicked + LATE_NS + 150 * 1000);
    g_assert_cmphex(rd(&dst.gpu, render + VPRIME_ENG_STATUS), ==,
                    VPRIME_ENG_STATUS_BUSY);
    g_assert_cmpuint(rd(&dst.gpu, render + VPRIME_ENG_RING_HEAD), ==, 0);
    g_assert_cmpuint(qtest_readq(dst.qts,
                                 j.fence + 64 * VPRIME_ENGINE_RENDER), ==, 0);

    /* vblanks 2 and 3 pass unplugged; vblank 4 plugs the monitor back */
    clock_step(&dst, T_START + 3 * PERIOD + 1 - dst.now);
    g_assert_cmpuint(hrd(&dst.disp, 0, VPRIME_HEAD_FRAME), ==, 3);
    g_assert_cmphex(hrd(&dst.disp, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, ==, 0);
    clock_step(&dst, PERIOD);
    g_assert_cmphex(hrd(&dst.disp, 0, VPRIME_HEAD_STATUS) &
                    VPRIME_HEAD_STATUS_CONNECTED, !=, 0);
    machine_stop(&dst);
}

/* ---- streams in a file, edited ------------------------------------------ */

typedef struct Stream {
    uint8_t *data;
    gsize len;
    QDict *desc;        /* the stream's JSON description of itself */
} Stream;

/*
 * The stream of a machine with both devices busy, made once; what the
 * test knew of that machine (addresses, BARs, its buffers, its clock and
 * its registers and counters) is kept for the machines that load it.
 */
static struct {
    char *path;
    Machine m;
    QPCIDevice gpu_dev, disp_dev;
    GpuJob gpu;
    DispJob disp;
    char *dump;
} saved;

static const char *saved_stream(void)
{
    g_autofree char *uri = NULL;
    Machine *m = &saved.m;
    QDict *rsp;
    const char *st;

    if (saved.path) {
        return saved.path;
    }
    saved.path = tmp_path("busy.stream");
    uri = g_strdup_printf("file:%s", saved.path);
    machine_start(m, NULL, NULL);
    disp_begin(m, &saved.disp);
    gpu_begin(m, &saved.gpu);       /* takes no virtual time: stays busy */
    saved.dump = machine_dump(m, NULL);
    qtest_qmp_assert_success(m->qts, "{'execute': 'migrate', "
                             "'arguments': {'uri': %s}}", uri);
    for (;;) {
        rsp = qtest_qmp_assert_success_ref(m->qts,
                                           "{'execute': 'query-migrate'}");
        st = qdict_get_try_str(rsp, "status");
        g_assert(g_strcmp0(st, "failed") && g_strcmp0(st, "cancelled"));
        if (!g_strcmp0(st, "completed")) {
            qobject_unref(rsp);
            break;
        }
        qobject_unref(rsp);
        g_usleep(1000);
    }
    saved.gpu_dev = *m->gpu.pdev;
    saved.disp_dev = *m->disp.pdev;
    machine_stop(m);
    m->gpu.pdev = &saved.gpu_dev;
    m->disp.pdev = &saved.disp_dev;
    return saved.path;
}

static void stream_read(Stream *s)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *json = NULL;
    gsize i;

    g_assert(g_file_get_contents(saved_stream(), (char **)&s->data, &s->len,
                                 &err));
    /* the last thing written: QEMU_VM_VMDESCRIPTION, be32 length, JSON */
    for (i = s->len - 6; i > 0; i--) {
        if (s->data[i] == QEMU_VM_VMDESCRIPTION && s->data[i + 5] == '{' &&
            ldl_be_p(s->data + i + 1) == s->len - i - 5) {
            break;
        }
    }
    g_assert_cmpuint(i, >, 0);
    json = g_strndup((char *)s->data + i + 5, s->len - i - 5);
    s->desc = qobject_to(QDict, qobject_from_json(json, &error_abort));
    g_assert_nonnull(s->desc);
}

static void stream_free(Stream *s)
{
    g_free(s->data);
    qobject_unref(s->desc);
}

/*
 * Find a field in a list of field descriptions: 'path' is field names
 * from the outside in, joined by '/', each with an optional [index].
 * Sizes come from the description; an array QEMU describes once
 * ("array_len") is assumed to have elements of its first one's size,
 * which holds for the elements before and at the ones used here.
 */
static bool desc_find(QList *fields, const char *path, size_t *off,
                      size_t *size)
{
    g_auto(GStrv) part = g_strsplit(path, "/", 2);
    g_autofree char *name = g_strdup(part[0]);
    char *br = strrchr(name, '[');
    int64_t idx = 0;
    size_t at = 0;
    QListEntry *e;

    if (br && g_str_has_suffix(name, "]")) {
        idx = g_ascii_strtoll(br + 1, NULL, 10);
        *br = 0;
    }
    QLIST_FOREACH_ENTRY(fields, e) {
        QDict *f = qobject_to(QDict, qlist_entry_obj(e));
        size_t fsize = qdict_get_int(f, "size");
        int64_t n = qdict_haskey(f, "array_len") ?
                    qdict_get_int(f, "array_len") : 1;
        bool match = !strcmp(qdict_get_str(f, "name"), name);

        if (qdict_haskey(f, "index")) {
            match = match && qdict_get_int(f, "index") == idx;
        } else if (match) {
            g_assert_cmpint(idx, <, n);
            at += idx * fsize;
        }
        if (match) {
            QDict *sub = qdict_haskey(f, "struct") ?
                         qdict_get_qdict(f, "struct") : f;

            if (!part[1]) {
                *off += at;
                *size = fsize;
                return true;
            }
            *off += at;
            return desc_find(qdict_get_qlist(sub, "fields"), part[1], off,
                             size);
        }
        at += fsize * n;
    }
    return false;
}

/* Where in the stream a device's field is, and its size */
static size_t stream_field(Stream *s, const char *vmsd, const char *path,
                           size_t *size)
{
    QList *devs = qdict_get_qlist(s->desc, "devices");
    QListEntry *e;

    QLIST_FOREACH_ENTRY(devs, e) {
        QDict *dev = qobject_to(QDict, qlist_entry_obj(e));
        const char *id = qdict_get_str(dev, "name");
        size_t idlen = strlen(id), i, off = 0;

        if (g_strcmp0(qdict_get_try_str(dev, "vmsd_name"), vmsd)) {
            continue;
        }
        g_assert(desc_find(qdict_get_qlist(dev, "fields"), path, &off, size));
        /* SECTION_FULL, be32 id, len, idstr, be32 instance, be32 version */
        for (i = 6; i + idlen + 8 < s->len; i++) {
            if (s->data[i - 6] == QEMU_VM_SECTION_FULL &&
                s->data[i - 1] == idlen && !memcmp(s->data + i, id, idlen)) {
                return i + idlen + 8 + off;
            }
        }
        g_assert_not_reached();
    }
    g_assert_not_reached();
}

static uint64_t stream_get(Stream *s, const char *vmsd, const char *path)
{
    size_t size, at = stream_field(s, vmsd, path, &size);
    uint64_t v = 0;
    size_t i;

    g_assert_cmpuint(size, <=, 8);
    for (i = 0; i < size; i++) {
        v = v << 8 | s->data[at + i];
    }
    return v;
}

static void stream_set(Stream *s, const char *vmsd, const char *path,
                       uint64_t v)
{
    size_t size, at = stream_field(s, vmsd, path, &size);
    size_t i;

    g_assert_cmpuint(size, <=, 8);
    for (i = size; i-- > 0; v >>= 8) {
        s->data[at + i] = v;
    }
}

/*
 * Load a (possibly edited) stream into a new QEMU; true if the load
 * completed.  *log: what QEMU printed on stderr.
 */
static bool stream_load(Stream *s, Machine *m, char **log)
{
    g_autofree char *path = tmp_path("edited.stream");
    g_autofree char *err = tmp_path("stderr.log");
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autoptr(GError) gerr = NULL;
    const char *st;
    bool ok;

    g_assert(g_file_set_contents(path, (char *)s->data, s->len, &gerr));
    machine_start(m, "defer", err);
    qtest_qmp_assert_success(m->qts, "{'execute': 'migrate-incoming', "
                             "'arguments': {'uri': %s, "
                             "'exit-on-error': false}}", uri);
    for (;;) {
        QDict *r = qtest_qmp_assert_success_ref(m->qts,
                                                "{'execute': 'query-migrate'}");

        st = qdict_get_try_str(r, "status");
        if (!g_strcmp0(st, "completed") || !g_strcmp0(st, "failed")) {
            ok = !g_strcmp0(st, "completed");
            if (!ok) {
                g_assert(strstr(qdict_get_str(r, "error-desc"),
                                "Invalid argument"));
            }
            qobject_unref(r);
            break;
        }
        qobject_unref(r);
        g_usleep(1000);
    }
    g_assert(g_file_get_contents(err, log, NULL, &gerr));
    unlink(path);
    unlink(err);
    machine_adopt(m, &saved.m);
    if (ok) {
        g_assert_cmpint(qtest_clock_set(m->qts, m->now), ==, m->now);
    }
    return ok;
}

static void test_stream_unedited(void)
{
    Stream s;
    Machine m;
    g_autofree char *log = NULL;

    stream_read(&s);
    /* the description finds the values the test wrote */
    g_assert_cmpuint(stream_get(&s, "vprime-gpu", "ctx_select"), ==, 7);
    g_assert_cmpuint(stream_get(&s, "vprime-gpu", "engine[1]/ring_size"), ==,
                     RING_ENTRIES);
    g_assert_cmpuint(stream_get(&s, "vprime-gpu", "engine[1]/progress"), ==,
                     COPY_BYTES);
    g_assert_cmpuint(stream_get(&s, "vprime-display", "tmp/heads"), ==,
                     HEADS);
    g_assert_cmpuint(stream_get(&s, "vprime-display",
                                "head[0]/tmp/npages[0]"), ==, FB_PAGES);
    g_assert_cmpuint(stream_get(&s, "vprime-display",
                                "head[0]/active/mode_clock"), ==, 240);
    g_assert(stream_load(&s, &m, &log));
    g_assert_cmpstr(log, ==, "");
    stream_free(&s);
    {
        g_autofree char *dump = machine_dump(&m, NULL);

        assert_same(dump, saved.dump);
    }
    machine_stop(&m);
}

/*
 * The copy in flight had moved all its bytes, its completion due at
 * done_at.  Edited into a copy between two chunks - half its bytes moved,
 * the engine timer due a microsecond later - the destination moves the
 * second half itself, from the source buffer as it is then (the bytes say
 * where it resumed), and completes at done_at, not earlier.
 */
static void test_stream_copy_resumes(void)
{
    GpuJob *j = &saved.gpu;
    uint64_t cf;
    g_autofree uint8_t *later = g_malloc(COPY_BYTES);
    g_autofree uint8_t *got = g_malloc(COPY_BYTES);
    g_autofree char *log = NULL;
    int64_t done_at, fence1 = -1;
    Stream s;
    Machine m;

    stream_read(&s);            /* saved.gpu is known from here on */
    cf = j->fence + 64 * VPRIME_ENGINE_COPY;
    g_assert_cmpuint(stream_get(&s, "vprime-gpu", "engine[1]/cmd_done"), ==,
                     1);
    done_at = stream_get(&s, "vprime-gpu", "engine[1]/done_at");
    g_assert_cmpint(stream_get(&s, "vprime-gpu", "engine[1]/timer"), ==,
                    done_at);
    g_assert_cmpint(done_at, >, saved.m.now);
    stream_set(&s, "vprime-gpu", "engine[1]/cmd_done", 0);
    stream_set(&s, "vprime-gpu", "engine[1]/progress", COPY_BYTES / 2);
    stream_set(&s, "vprime-gpu", "engine[1]/timer", saved.m.now + 1000);
    g_assert(stream_load(&s, &m, &log));
    stream_free(&s);

    fill_bytes(later, COPY_BYTES, 0x1a7e);
    write_mapped(&m, j->src, COPY_BYTES, COPY_BYTES / 2, later);
    while (qtest_readq(m.qts, cf) != 2) {
        clock_step(&m, 50 * 1000);
        g_assert_cmpint(m.now, <, saved.m.now + 10 * 1000 * 1000);
        if (fence1 < 0 && qtest_readq(m.qts, cf) >= 1) {
            fence1 = m.now;
        }
    }
    g_assert_cmpint(fence1, >=, done_at);
    g_assert_cmpint(fence1, <, done_at + 50 * 1000);
    read_mapped(&m, j->dst, COPY_BYTES, got);
    g_assert(memcmp(got, j->src_bytes, COPY_BYTES / 2) == 0);
    g_assert(memcmp(got + COPY_BYTES / 2, later + COPY_BYTES / 2,
                    COPY_BYTES / 2) == 0);
    machine_stop(&m);
}

typedef struct Refusal {
    const char *name;
    const char *vmsd;
    const char *path;
    uint64_t was;           /* what the stream holds */
    uint64_t value;         /* what it is edited to */
    const char *message;
} Refusal;

static const Refusal refusals[] = {
    { "ctx-select", "vprime-gpu", "ctx_select", 7, 200,
      "vprime-dgpu: migration stream refused: CTX_SELECT 200 is not a "
      "context (0 to 63)" },
    { "ring-head", "vprime-gpu", "engine[1]/head", 0, RING_ENTRIES,
      "vprime-dgpu: migration stream refused: copy engine: RING_HEAD 64 or "
      "RING_TAIL 4 outside a ring of 64 entries" },
    { "copy-progress", "vprime-gpu", "engine[1]/progress", COPY_BYTES,
      COPY_BYTES * 2,
      "vprime-dgpu: migration stream refused: copy engine: progress 524288 "
      "of the command in flight (done, 262144 in all)" },
    { "page-count", "vprime-display", "head[0]/tmp/npages[0]", FB_PAGES,
      0xfffffff0u,
      "vprime-display: migration stream refused: head 0: plane 0: a page "
      "list of 4294967280 pages; FB_SIZE 0x3000 needs 3" },
    { "page-address", "vprime-display", "head[0]/plane[0].pages[1]", 0, 0,
      "vprime-display: migration stream refused: head 0 plane 0: page 1" },
    { "pixel-clock", "vprime-display", "head[0]/active/mode_clock", 240, 0,
      "vprime-display: migration stream refused: head 0: the mode it scans "
      "out: pixel clock is zero" },
    { "heads", "vprime-display", "tmp/heads", HEADS, 3,
      "vprime-display: migration stream refused: saved from an engine with "
      "3 heads; this one has heads=2" },
};

static void test_stream_refused(const void *opaque)
{
    const Refusal *r = opaque;
    Stream s;
    Machine m;
    g_autofree char *log = NULL;
    uint64_t was, value = r->value;

    stream_read(&s);
    was = stream_get(&s, r->vmsd, r->path);
    if (!strcmp(r->name, "page-address")) {
        /* a page the list holds, made unaligned */
        g_assert_cmphex(was % VPRIME_DISP_PAGE_SIZE, ==, 0);
        value = was | 0x10;
    } else {
        g_assert_cmpuint(was, ==, r->was);
    }
    stream_set(&s, r->vmsd, r->path, value);
    g_assert(!stream_load(&s, &m, &log));
    g_test_message("%s", log);
    g_assert(strstr(log, r->message));
    stream_free(&s);

    /*
     * What was refused is left as after a reset, so that reading it (or
     * running it, were the VM started) uses no value from the stream.
     * Sections load in order: the GPU's, then the display's.
     */
    g_assert_cmphex(rd(&m.gpu, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    if (!strcmp(r->vmsd, "vprime-gpu")) {
        Dev *d = &m.gpu;
        uint32_t copy = VPRIME_ENGINE_BASE(VPRIME_ENGINE_COPY);

        g_assert_cmpuint(rd(d, VPRIME_REG_CTX_SELECT), <,
                         VPRIME_GPU_MAX_CONTEXTS);
        rd(d, VPRIME_REG_CTX_PT_LO);    /* indexes ctx[CTX_SELECT] */
        g_assert_cmpuint(rd(d, copy + VPRIME_ENG_RING_HEAD), <=,
                         rd(d, copy + VPRIME_ENG_RING_SIZE));
    } else {
        g_assert_cmphex(rd(&m.disp, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
        g_assert_cmphex(hrd(&m.disp, 0, VPRIME_HEAD_STATUS) &
                        VPRIME_HEAD_STATUS_ACTIVE, ==, 0);
    }
    machine_stop(&m);
}

/*
 * PMCSR is config space: a stream whose engine is in D3hot with a head on
 * (edited from the busy stream, heads 0 and 1 on) is refused, and the
 * engine is left stopped as after a reset.
 */
static void test_stream_d3hot_head_on(void)
{
    g_autofree char *log = NULL;
    g_autofree char *pages = NULL;
    size_t size, cfg;
    Stream s;
    Machine m;
    int pos, hops;

    stream_read(&s);
    /*
     * QEMU names the two parent_obj fields (PCI device, MSI-X) and the two
     * config buffers (PCI, PCIe) "name[i]": element 0 of each
     */
    cfg = stream_field(&s, "vprime-display", "parent_obj[0][0]/config[1][0]",
                       &size);
    g_assert_cmpuint(size, >=, PCI_CFG_SPACE_SIZE);
    for (pos = s.data[cfg + PCI_CAPABILITY_LIST], hops = 0;
         pos && s.data[cfg + pos] != PCI_CAP_ID_PM && hops < 48;
         pos = s.data[cfg + pos + PCI_CAP_LIST_NEXT], hops++) {
    }
    g_assert_cmpuint(s.data[cfg + pos], ==, PCI_CAP_ID_PM);
    g_assert_cmphex(s.data[cfg + pos + PCI_PM_CTRL], ==, 0);
    s.data[cfg + pos + PCI_PM_CTRL] = PCI_PM_CTRL_STATE_MASK;
    g_assert(!stream_load(&s, &m, &log));
    g_test_message("%s", log);
    g_assert(strstr(log, "vprime-display: migration stream refused: head 0 "
                    "is on in D3hot"));
    stream_free(&s);
    pages = qom_str(&m, "disp", "head0-plane0-pages");
    g_assert_cmpstr(pages, ==, "");
    machine_stop(&m);
}

int main(int argc, char **argv)
{
    size_t i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/vprime/migration/gpu/in-flight", test_gpu_in_flight);
    qtest_add_func("/vprime/migration/display/in-flight",
                   test_display_in_flight);
    qtest_add_func("/vprime/migration/display/stopped-timer",
                   test_display_stopped_timer);
    qtest_add_func("/vprime/migration/display/colour", test_display_colour);
    qtest_add_func("/vprime/migration/display/writeback",
                   test_display_writeback);
    qtest_add_func("/vprime/migration/display/yuv", test_display_yuv);
    qtest_add_func("/vprime/migration/display/update-lock",
                   test_display_update_lock);
    qtest_add_func("/vprime/migration/display/route", test_display_route);
    qtest_add_func("/vprime/migration/display/vrr", test_display_vrr);
    qtest_add_func("/vprime/migration/display/output-bpc",
                   test_display_output_bpc);
    qtest_add_func("/vprime/migration/display/pm", test_display_pm);
    qtest_add_func("/vprime/migration/stream/d3hot-head-on",
                   test_stream_d3hot_head_on);
    qtest_add_func("/vprime/migration/faults/in-flight",
                   test_faults_in_flight);
    qtest_add_func("/vprime/migration/stream/unedited",
                   test_stream_unedited);
    qtest_add_func("/vprime/migration/stream/copy-resumes",
                   test_stream_copy_resumes);
    for (i = 0; i < ARRAY_SIZE(refusals); i++) {
        g_autofree char *name = g_strdup_printf(
            "/vprime/migration/stream/refused/%s", refusals[i].name);

        qtest_add_data_func(name, &refusals[i], test_stream_refused);
    }
    ret = g_test_run();
    if (saved.path) {
        unlink(saved.path);
        g_free(saved.gpu.src_bytes);
        g_free(saved.dump);
    }
    if (tmp_dir) {
        rmdir(tmp_dir);
    }
    return ret;
}
