/*
 * QTest testcases for the vprime devices (vprime-igpu, vprime-dgpu,
 * vprime-display): PCI identity, BARs, MSI-X, register reset values and
 * the behaviour of the common register block.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "vprime-qtest.h"

typedef struct VPrimeTestDev {
    const char *driver;
    uint16_t device_id;
    uint16_t class_id;
    uint32_t kind;
    uint32_t caps;
    uint32_t msix_vectors;
    const char *const *props;   /* QOM properties of its own, NULL ended */
} VPrimeTestDev;

/* QOM properties of every vprime device */
static const char *const common_props[] = {
    "stat-irqs", "stat-guest-errors", "stat-injected-faults", "stats-reset",
    "inject-error", "fault", "fault-seed", "fault-log", NULL
};

static const char *const igpu_props[] = {
    "throughput", "latency-ns", "jitter-ns", "seed",
    "stat-bytes-read-sysram", "stat-bytes-written-peer", "stat-page-faults",
    "stat-tlb-walks", "stat-cmds-render", "stat-cmds-copy",
    "render-last-read-pages", "copy-last-write-pages",
    "stat-injected-hang", "stat-injected-slow-fence", NULL
};

static const char *const dgpu_props[] = {
    "vram", "throughput", "stat-bytes-read-vram", "stat-bytes-written-vram",
    "stat-injected-vram-retire", "copy-last-read-pages", NULL
};

static const char *const display_props[] = {
    "heads", "contiguous-only", "dma-bits", "genlock", "xres", "yres",
    "refresh_rate", "stat-vblanks", "stat-flips", "stat-frames-composed",
    "stat-underruns",
    "stat-bytes-read-peer", "head0-connected", "head3-connected",
    "head0-vblanks", "head3-flips", "head3-frames-composed",
    "head0-plane0-pages", "head3-plane2-pages", "stat-injected-underrun",
    "stat-injected-unplug", "stat-injected-replug", NULL
};

static const VPrimeTestDev igpu = {
    .driver = "vprime-igpu",
    .device_id = VPRIME_PCI_DEVICE_ID_IGPU,
    .class_id = VPRIME_PCI_CLASS_IGPU,
    .kind = VPRIME_KIND_IGPU,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_GPU,
    .msix_vectors = VPRIME_GPU_MSIX_VECTORS,
    .props = igpu_props,
};

static const VPrimeTestDev dgpu = {
    .driver = "vprime-dgpu",
    .device_id = VPRIME_PCI_DEVICE_ID_DGPU,
    .class_id = VPRIME_PCI_CLASS_DGPU,
    .kind = VPRIME_KIND_DGPU,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_GPU | VPRIME_CAP_VRAM,
    .msix_vectors = VPRIME_GPU_MSIX_VECTORS,
    .props = dgpu_props,
};

static const VPrimeTestDev display = {
    .driver = "vprime-display",
    .device_id = VPRIME_PCI_DEVICE_ID_DISPLAY,
    .class_id = VPRIME_PCI_CLASS_DISPLAY,
    .kind = VPRIME_KIND_DISPLAY,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_DISPLAY,
    .msix_vectors = VPRIME_DISPLAY_MSIX_VECTORS,
    .props = display_props,
};

/* Size a BAR the way firmware does: write all ones, read the mask back. */
static uint64_t bar_size(QPCIDevice *dev, int bar, uint32_t *flags)
{
    uint8_t off = PCI_BASE_ADDRESS_0 + bar * 4;
    uint32_t old = qpci_config_readl(dev, off);
    uint64_t mask;

    *flags = old & 0xf;
    qpci_config_writel(dev, off, 0xffffffff);
    mask = qpci_config_readl(dev, off);
    qpci_config_writel(dev, off, old);
    if (!mask) {
        return 0;   /* BAR not implemented */
    }
    mask &= ~0xfULL;
    if (*flags & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        uint32_t old_hi = qpci_config_readl(dev, off + 4);

        qpci_config_writel(dev, off + 4, 0xffffffff);
        mask |= (uint64_t)qpci_config_readl(dev, off + 4) << 32;
        qpci_config_writel(dev, off + 4, old_hi);
    } else {
        mask |= 0xffffffff00000000ULL;
    }
    return ~mask + 1;
}

static void test_pci_identity(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_VENDOR_ID), ==,
                    VPRIME_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_DEVICE_ID), ==, d->device_id);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_CLASS_DEVICE), ==,
                    d->class_id);
    g_assert_cmphex(qpci_config_readb(c.dev, PCI_REVISION_ID), ==,
                    VPRIME_PCI_REVISION);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_SUBSYSTEM_VENDOR_ID), ==,
                    VPRIME_PCI_SUBVENDOR_ID);
    g_assert_cmphex(qpci_config_readw(c.dev, PCI_SUBSYSTEM_ID), ==,
                    VPRIME_PCI_SUBSYSTEM_ID);
    g_assert_cmphex(qpci_config_readb(c.dev, PCI_INTERRUPT_PIN), ==, 1);
    vprime_stop(&c);
}

static void test_bars(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    uint32_t flags;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_MMIO, &flags), ==,
                    VPRIME_MMIO_SIZE);
    g_assert_cmphex(flags & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(flags & PCI_BASE_ADDRESS_MEM_PREFETCH, ==, 0);

    if (d->kind == VPRIME_KIND_DGPU) {
        g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==,
                        VPRIME_VRAM_DEFAULT);
        g_assert_cmphex(flags & PCI_BASE_ADDRESS_MEM_TYPE_MASK, ==,
                        PCI_BASE_ADDRESS_MEM_TYPE_64);
        g_assert_cmphex(flags & PCI_BASE_ADDRESS_MEM_PREFETCH, ==,
                        PCI_BASE_ADDRESS_MEM_PREFETCH);
    } else {
        g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==, 0);
    }
    g_assert_cmphex(bar_size(c.dev, 1, &flags), ==, 0);
    g_assert_cmphex(bar_size(c.dev, 5, &flags), ==, 0);
    vprime_stop(&c);
}

static void test_vram_property(void)
{
    uint32_t flags;
    VPrimeQTest c;

    vprime_start(&c, dgpu.driver, "vram=64M", NULL);
    g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==, 64 * MiB);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_VRAM_SIZE_LO), ==, 64 * MiB);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_VRAM_SIZE_HI), ==, 0);
    vprime_stop(&c);

    vprime_start(&c, dgpu.driver, "vram=8G", NULL);
    g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==, 8 * GiB);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_VRAM_SIZE_LO), ==, 0);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_VRAM_SIZE_HI), ==, 2);
    vprime_stop(&c);
}

/* Invalid properties are refused by realize, with a message that names them */
static void expect_realize_error(const char *driver, const char *prop,
                                 int64_t val, const char *needle)
{
    g_autofree char *err = vprime_realize_error(driver, prop, val);

    g_assert_nonnull(strstr(err, needle));
}

static void test_bad_properties(void)
{
    expect_realize_error("vprime-dgpu", "vram", 3 * MiB, "power of two");
    expect_realize_error("vprime-dgpu", "vram", 8 * MiB, "power of two");
    expect_realize_error("vprime-dgpu", "vram", 32 * GiB, "power of two");
    expect_realize_error("vprime-display", "heads", 0, "heads=0");
    expect_realize_error("vprime-display", "heads", 5, "heads=5");
}

static void test_msix_capability(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    uint8_t cap;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    cap = qpci_find_capability(c.dev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmphex(cap, !=, 0);
    g_assert_cmpuint(qpci_msix_table_size(c.dev), ==, d->msix_vectors);
    g_assert_cmphex(qpci_config_readl(c.dev, cap + PCI_MSIX_TABLE) &
                    PCI_MSIX_FLAGS_BIRMASK, ==, VPRIME_BAR_MSIX);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_MSIX_VECTORS), ==,
                    d->msix_vectors);
    vprime_stop(&c);
}

static void check_reset_values(VPrimeQTest *c, const VPrimeTestDev *d)
{
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_VERSION), ==, VPRIME_VERSION);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_KIND), ==, d->kind);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_CAPS), ==, d->caps);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_VRAM_SIZE_LO), ==,
                    d->kind == VPRIME_KIND_DGPU ? VPRIME_VRAM_DEFAULT : 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_VRAM_SIZE_HI), ==, 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_NUM_HEADS), ==,
                    d->kind == VPRIME_KIND_DISPLAY ? VPRIME_HEADS_MIN : 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_SCRATCH), ==, 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_IRQ_ENABLE), ==, 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(vprime_rd(c, VPRIME_REG_ERROR_ADDR), ==, 0);
}

static void test_reset_values(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    check_reset_values(&c, d);

    /* dirty every writable register, then reset through the register */
    vprime_wr(&c, VPRIME_REG_SCRATCH, 0xdeadbeef);
    vprime_wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_VALID_MASK);
    vprime_wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    vprime_wr(&c, VPRIME_REG_ID, 0);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_SCRATCH), ==, 0xdeadbeef);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), !=, 0);
    vprime_wr(&c, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    check_reset_values(&c, d);

    /* and through a system reset */
    vprime_wr(&c, VPRIME_REG_SCRATCH, 0x12345678);
    qtest_system_reset(c.qts);
    vprime_map_mmio(&c);
    check_reset_values(&c, d);
    vprime_stop(&c);
}

static void test_scratch_rw(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    vprime_wr(&c, VPRIME_REG_SCRATCH, 0xa5a55a5a);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_SCRATCH), ==, 0xa5a55a5a);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, 0);
    vprime_stop(&c);
}

static void test_readonly_ignored(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    static const uint32_t ro_regs[] = {
        VPRIME_REG_ID, VPRIME_REG_VERSION, VPRIME_REG_KIND, VPRIME_REG_CAPS,
        VPRIME_REG_VRAM_SIZE_LO, VPRIME_REG_VRAM_SIZE_HI,
        VPRIME_REG_NUM_HEADS, VPRIME_REG_MSIX_VECTORS, VPRIME_REG_ERROR_ADDR,
    };
    VPrimeQTest c;
    size_t i;

    vprime_start(&c, d->driver, NULL, NULL);
    for (i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        uint32_t before = vprime_rd(&c, ro_regs[i]);

        vprime_wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
        vprime_wr(&c, ro_regs[i], ~before);
        g_assert_cmphex(vprime_rd(&c, ro_regs[i]), ==,
                        ro_regs[i] == VPRIME_REG_ERROR_ADDR ? ro_regs[i]
                                                            : before);
        g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==,
                        VPRIME_ERR_BAD_ACCESS);
        g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR_ADDR), ==, ro_regs[i]);
    }
    /* The error was also reported as an interrupt cause */
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS) & VPRIME_IRQ_ERROR, ==,
                    VPRIME_IRQ_ERROR);
    vprime_stop(&c);
}

static void test_unknown_register(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    g_assert_cmphex(vprime_rd(&c, 0x0f0), ==, 0);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR_ADDR), ==, 0x0f0);
    vprime_wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, 0);

    vprime_wr(&c, VPRIME_MMIO_SIZE - 4, 0xffffffff);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR_ADDR), ==,
                    VPRIME_MMIO_SIZE - 4);

    /* Reserved bits make the whole write a no-op */
    vprime_wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    vprime_wr(&c, VPRIME_REG_IRQ_ENABLE, 0x80000000 | VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_ENABLE), ==, 0);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    vprime_wr(&c, VPRIME_REG_RESET, 0x1234);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    vprime_stop(&c);
}

/*
 * End-to-end MSI-X: point vector MISC at guest RAM, raise the software
 * interrupt and check the device wrote the message there.
 */
#define MSI_DATA 0x5a5a0001

static void test_msix_delivery(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    uint64_t entry, msi;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    msi = vprime_msix_vector(&c, VPRIME_MSIX_VEC_MISC, MSI_DATA);
    entry = c.dev->msix_table_off + VPRIME_MSIX_VEC_MISC * PCI_MSIX_ENTRY_SIZE;

    /* disabled cause: status set, no message */
    vprime_wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS), ==,
                    VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, msi), ==, 0);
    vprime_wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS), ==, 0);

    /* enabled cause: one message */
    vprime_wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_SOFTWARE);
    vprime_wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, msi), ==, MSI_DATA);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS), ==,
                    VPRIME_IRQ_SOFTWARE);

    /* masked vector: the message is held pending */
    qtest_writel(c.qts, msi, 0);
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    vprime_wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, msi), ==, 0);
    g_assert_true(qpci_msix_pending(c.dev, VPRIME_MSIX_VEC_MISC));
    vprime_stop(&c);
}

/* Counters over QMP: what they count, and that stats-reset clears them */
static void test_stats(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-irqs"), ==, 0);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-guest-errors"), ==, 0);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-injected-faults"), ==, 0);

    /* an enabled cause with MSI-X off asserts INTx once */
    vprime_wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_SOFTWARE);
    vprime_wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-irqs"), ==, 1);
    vprime_wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_SOFTWARE);

    vprime_rd(&c, 0x0f8);
    vprime_wr(&c, VPRIME_REG_VERSION, 0);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-guest-errors"), ==, 2);

    /* a device reset keeps the host's counters */
    vprime_wr(&c, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-guest-errors"), ==, 2);

    vprime_qom_set_bool(&c, "stats-reset", true);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-irqs"), ==, 0);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-guest-errors"), ==, 0);
    vprime_stop(&c);
}

/* Fault injection over QMP: an error the driver sees as from the device */
static void test_inject_error(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    g_autofree char *err = NULL;
    VPrimeQTest c;

    vprime_start(&c, d->driver, NULL, NULL);
    vprime_wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_ERROR);
    vprime_qom_set_u64(&c, "inject-error", 2);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_INJECTED);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_ERROR);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-injected-faults"), ==, 2);
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-guest-errors"), ==, 0);

    /* the driver clears it like any other error */
    vprime_wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_INJECTED);
    vprime_wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_ERROR);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_IRQ_STATUS), ==, 0);

    /* an absurd count is refused and injects nothing */
    err = vprime_qom_refused(&c, "inject-error",
                             QOBJECT(qnum_from_uint(5000)));
    g_assert_nonnull(strstr(err, "at most 1000"));
    g_assert_cmpuint(vprime_qom_u64(&c, "stat-injected-faults"), ==, 2);
    g_assert_cmphex(vprime_rd(&c, VPRIME_REG_ERROR), ==, 0);
    vprime_stop(&c);
}

/* The names a list-properties command returns, in a hash table */
static GHashTable *listed_properties(QTestState *qts, const char *cmd,
                                     const char *driver)
{
    QDict *r = qtest_qmp(qts, "{'execute': %s, 'arguments': "
                         "{'typename': %s}}", cmd, driver);
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal,
                                              g_free, NULL);
    QListEntry *e;

    g_assert(qdict_haskey(r, "return"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(r, "return"), e) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(e));

        g_hash_table_add(names, g_strdup(qdict_get_str(prop, "name")));
    }
    qobject_unref(r);
    return names;
}

/*
 * Introspection sees every property before a device exists: the QMP
 * commands list what instance_init adds (counters, fault injection, the
 * display's per-head properties for all four heads), not only qdev's.
 */
static void test_introspection(const void *opaque)
{
    static const char *const cmds[] = {
        "device-list-properties", "qom-list-properties"
    };
    const VPrimeTestDev *d = opaque;
    QTestState *qts = qtest_init("-machine q35 -nodefaults");
    size_t i, k;

    for (i = 0; i < ARRAY_SIZE(cmds); i++) {
        g_autoptr(GHashTable) names = listed_properties(qts, cmds[i],
                                                        d->driver);

        for (k = 0; common_props[k]; k++) {
            g_assert_true(g_hash_table_contains(names, common_props[k]));
        }
        for (k = 0; d->props[k]; k++) {
            g_assert_true(g_hash_table_contains(names, d->props[k]));
        }
        /* renamed: the display's DMA address width is a number of bits */
        g_assert_false(g_hash_table_contains(names, "dma-mask"));
    }
    qtest_quit(qts);
}

static void add_dev_tests(const VPrimeTestDev *d)
{
    static const struct {
        const char *name;
        GTestDataFunc fn;
    } tests[] = {
        { "pci-identity", test_pci_identity },
        { "bars", test_bars },
        { "msix-capability", test_msix_capability },
        { "reset-values", test_reset_values },
        { "scratch-rw", test_scratch_rw },
        { "readonly-ignored", test_readonly_ignored },
        { "unknown-register", test_unknown_register },
        { "msix-delivery", test_msix_delivery },
        { "stats", test_stats },
        { "inject-error", test_inject_error },
        { "introspection", test_introspection },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(tests); i++) {
        g_autofree char *path = g_strdup_printf("/vprime/%s/%s", d->driver,
                                                tests[i].name);
        qtest_add_data_func(path, d, tests[i].fn);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    add_dev_tests(&igpu);
    add_dev_tests(&dgpu);
    add_dev_tests(&display);
    qtest_add_func("/vprime/vprime-dgpu/vram-property", test_vram_property);
    qtest_add_func("/vprime/bad-properties", test_bad_properties);

    return g_test_run();
}
