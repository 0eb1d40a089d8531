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
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "hw/pci/pci_regs.h"
#include "hw/vprime/vprime_regs.h"

#define DEV_SLOT 4

typedef struct VPrimeTestDev {
    const char *driver;
    uint16_t device_id;
    uint16_t class_id;
    uint32_t kind;
    uint32_t caps;
    uint32_t msix_vectors;
} VPrimeTestDev;

static const VPrimeTestDev igpu = {
    .driver = "vprime-igpu",
    .device_id = VPRIME_PCI_DEVICE_ID_IGPU,
    .class_id = VPRIME_PCI_CLASS_IGPU,
    .kind = VPRIME_KIND_IGPU,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_GPU,
    .msix_vectors = VPRIME_GPU_MSIX_VECTORS,
};

static const VPrimeTestDev dgpu = {
    .driver = "vprime-dgpu",
    .device_id = VPRIME_PCI_DEVICE_ID_DGPU,
    .class_id = VPRIME_PCI_CLASS_DGPU,
    .kind = VPRIME_KIND_DGPU,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_GPU | VPRIME_CAP_VRAM,
    .msix_vectors = VPRIME_GPU_MSIX_VECTORS,
};

static const VPrimeTestDev display = {
    .driver = "vprime-display",
    .device_id = VPRIME_PCI_DEVICE_ID_DISPLAY,
    .class_id = VPRIME_PCI_CLASS_DISPLAY,
    .kind = VPRIME_KIND_DISPLAY,
    .caps = VPRIME_CAP_MSIX | VPRIME_CAP_DISPLAY,
    .msix_vectors = VPRIME_DISPLAY_MSIX_VECTORS,
};

typedef struct VPrimeCtx {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar mmio;
    uint64_t mmio_size;
} VPrimeCtx;

static void vprime_start(VPrimeCtx *c, const VPrimeTestDev *d,
                         const char *props)
{
    c->qts = qtest_initf("-machine q35 -nodefaults -device %s,id=dut,addr=%02x.0%s%s",
                         d->driver, DEV_SLOT, props ? "," : "",
                         props ? props : "");
    c->bus = qpci_new_pc(c->qts, NULL);
    c->dev = qpci_device_find(c->bus, QPCI_DEVFN(DEV_SLOT, 0));
    g_assert_nonnull(c->dev);
    qpci_device_enable(c->dev);
    c->mmio = qpci_iomap(c->dev, VPRIME_BAR_MMIO, &c->mmio_size);
}

static void vprime_stop(VPrimeCtx *c)
{
    if (c->dev->msix_enabled) {
        qpci_msix_disable(c->dev);
    }
    qpci_iounmap(c->dev, c->mmio);
    g_free(c->dev);
    qpci_free_pc(c->bus);
    qtest_quit(c->qts);
}

static uint32_t rd(VPrimeCtx *c, uint32_t reg)
{
    return qpci_io_readl(c->dev, c->mmio, reg);
}

static void wr(VPrimeCtx *c, uint32_t reg, uint32_t val)
{
    qpci_io_writel(c->dev, c->mmio, reg, val);
}

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
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
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
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
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
    VPrimeCtx c;

    vprime_start(&c, &dgpu, "vram=64M");
    g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==, 64 * MiB);
    g_assert_cmphex(rd(&c, VPRIME_REG_VRAM_SIZE_LO), ==, 64 * MiB);
    g_assert_cmphex(rd(&c, VPRIME_REG_VRAM_SIZE_HI), ==, 0);
    vprime_stop(&c);

    vprime_start(&c, &dgpu, "vram=8G");
    g_assert_cmphex(bar_size(c.dev, VPRIME_BAR_VRAM, &flags), ==, 8 * GiB);
    g_assert_cmphex(rd(&c, VPRIME_REG_VRAM_SIZE_LO), ==, 0);
    g_assert_cmphex(rd(&c, VPRIME_REG_VRAM_SIZE_HI), ==, 2);
    vprime_stop(&c);
}

/* Invalid properties are refused by realize, with a message that names them */
static void expect_device_add_error(const char *driver, const char *prop,
                                    int64_t val, const char *needle)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults "
                                 "-device pcie-root-port,id=rp,chassis=1");
    QDict *resp = qtest_qmp(qts, "{'execute': 'device_add', 'arguments': "
                            "{'driver': %s, 'bus': 'rp', %s: %" PRId64 "}}",
                            driver, prop, val);
    QDict *err = qdict_get_qdict(resp, "error");

    g_assert_nonnull(err);
    g_assert_nonnull(strstr(qdict_get_str(err, "desc"), needle));
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_bad_properties(void)
{
    expect_device_add_error("vprime-dgpu", "vram", 3 * MiB, "power of two");
    expect_device_add_error("vprime-dgpu", "vram", 8 * MiB, "power of two");
    expect_device_add_error("vprime-dgpu", "vram", 32 * GiB, "power of two");
    expect_device_add_error("vprime-display", "heads", 0, "heads=0");
    expect_device_add_error("vprime-display", "heads", 5, "heads=5");
}

static void test_msix_capability(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    uint8_t cap;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    cap = qpci_find_capability(c.dev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmphex(cap, !=, 0);
    g_assert_cmpuint(qpci_msix_table_size(c.dev), ==, d->msix_vectors);
    g_assert_cmphex(qpci_config_readl(c.dev, cap + PCI_MSIX_TABLE) &
                    PCI_MSIX_FLAGS_BIRMASK, ==, VPRIME_BAR_MSIX);
    g_assert_cmphex(rd(&c, VPRIME_REG_MSIX_VECTORS), ==, d->msix_vectors);
    vprime_stop(&c);
}

static void check_reset_values(VPrimeCtx *c, const VPrimeTestDev *d)
{
    g_assert_cmphex(rd(c, VPRIME_REG_ID), ==, VPRIME_ID_MAGIC);
    g_assert_cmphex(rd(c, VPRIME_REG_VERSION), ==, VPRIME_VERSION);
    g_assert_cmphex(rd(c, VPRIME_REG_KIND), ==, d->kind);
    g_assert_cmphex(rd(c, VPRIME_REG_CAPS), ==, d->caps);
    g_assert_cmphex(rd(c, VPRIME_REG_VRAM_SIZE_LO), ==,
                    d->kind == VPRIME_KIND_DGPU ? VPRIME_VRAM_DEFAULT : 0);
    g_assert_cmphex(rd(c, VPRIME_REG_VRAM_SIZE_HI), ==, 0);
    g_assert_cmphex(rd(c, VPRIME_REG_NUM_HEADS), ==,
                    d->kind == VPRIME_KIND_DISPLAY ? VPRIME_HEADS_MIN : 0);
    g_assert_cmphex(rd(c, VPRIME_REG_SCRATCH), ==, 0);
    g_assert_cmphex(rd(c, VPRIME_REG_IRQ_STATUS), ==, 0);
    g_assert_cmphex(rd(c, VPRIME_REG_IRQ_ENABLE), ==, 0);
    g_assert_cmphex(rd(c, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(rd(c, VPRIME_REG_ERROR_ADDR), ==, 0);
}

static void test_reset_values(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    check_reset_values(&c, d);

    /* dirty every writable register, then reset through the register */
    wr(&c, VPRIME_REG_SCRATCH, 0xdeadbeef);
    wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_VALID_MASK);
    wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    wr(&c, VPRIME_REG_ID, 0);
    g_assert_cmphex(rd(&c, VPRIME_REG_SCRATCH), ==, 0xdeadbeef);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), !=, 0);
    wr(&c, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    check_reset_values(&c, d);

    /* and through a system reset */
    wr(&c, VPRIME_REG_SCRATCH, 0x12345678);
    qtest_system_reset(c.qts);
    qpci_device_enable(c.dev);
    c.mmio = qpci_iomap(c.dev, VPRIME_BAR_MMIO, NULL);
    check_reset_values(&c, d);
    vprime_stop(&c);
}

static void test_scratch_rw(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    wr(&c, VPRIME_REG_SCRATCH, 0xa5a55a5a);
    g_assert_cmphex(rd(&c, VPRIME_REG_SCRATCH), ==, 0xa5a55a5a);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, 0);
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
    VPrimeCtx c;
    size_t i;

    vprime_start(&c, d, NULL);
    for (i = 0; i < ARRAY_SIZE(ro_regs); i++) {
        uint32_t before = rd(&c, ro_regs[i]);

        wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
        wr(&c, ro_regs[i], ~before);
        g_assert_cmphex(rd(&c, ro_regs[i]), ==,
                        ro_regs[i] == VPRIME_REG_ERROR_ADDR ? ro_regs[i]
                                                            : before);
        g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
        g_assert_cmphex(rd(&c, VPRIME_REG_ERROR_ADDR), ==, ro_regs[i]);
    }
    /* The error was also reported as an interrupt cause */
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS) & VPRIME_IRQ_ERROR, ==,
                    VPRIME_IRQ_ERROR);
    vprime_stop(&c);
}

static void test_unknown_register(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    g_assert_cmphex(rd(&c, 0x0f0), ==, 0);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR_ADDR), ==, 0x0f0);
    wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, 0);

    wr(&c, VPRIME_MMIO_SIZE - 4, 0xffffffff);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_ACCESS);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR_ADDR), ==, VPRIME_MMIO_SIZE - 4);

    /* Reserved bits make the whole write a no-op */
    wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_VALID_MASK);
    wr(&c, VPRIME_REG_IRQ_ENABLE, 0x80000000 | VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_ENABLE), ==, 0);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    wr(&c, VPRIME_REG_RESET, 0x1234);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_BAD_VALUE);
    vprime_stop(&c);
}

/*
 * End-to-end MSI-X: point vector MISC at guest RAM, raise the software
 * interrupt and check the device wrote the message there.
 */
#define MSI_ADDR 0x100000
#define MSI_DATA 0x5a5a0001

static void test_msix_delivery(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    uint64_t entry;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    qpci_msix_enable(c.dev);
    entry = c.dev->msix_table_off + VPRIME_MSIX_VEC_MISC * PCI_MSIX_ENTRY_SIZE;
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_LOWER_ADDR, MSI_ADDR);
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_DATA, MSI_DATA);
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    qtest_writel(c.qts, MSI_ADDR, 0);

    /* disabled cause: status set, no message */
    wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, MSI_ADDR), ==, 0);
    wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS), ==, 0);

    /* enabled cause: one message */
    wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_SOFTWARE);
    wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, MSI_ADDR), ==, MSI_DATA);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_SOFTWARE);

    /* masked vector: the message is held pending */
    qtest_writel(c.qts, MSI_ADDR, 0);
    qpci_io_writel(c.dev, c.dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmphex(qtest_readl(c.qts, MSI_ADDR), ==, 0);
    g_assert_true(qpci_msix_pending(c.dev, VPRIME_MSIX_VEC_MISC));
    vprime_stop(&c);
}

static uint64_t qom_get_u64(VPrimeCtx *c, const char *prop)
{
    QDict *resp = qtest_qmp(c->qts, "{'execute': 'qom-get', 'arguments': "
                            "{'path': '/machine/peripheral/dut', "
                            "'property': %s}}", prop);
    uint64_t val;

    g_assert(qdict_haskey(resp, "return"));
    val = qdict_get_int(resp, "return");
    qobject_unref(resp);
    return val;
}

static QDict *qom_set_u64(VPrimeCtx *c, const char *prop, uint64_t val)
{
    return qtest_qmp(c->qts, "{'execute': 'qom-set', 'arguments': "
                     "{'path': '/machine/peripheral/dut', "
                     "'property': %s, 'value': %" PRIu64 "}}", prop, val);
}

static void qom_set_ok(VPrimeCtx *c, const char *prop, QObject *val)
{
    QDict *resp = qtest_qmp(c->qts, "{'execute': 'qom-set', 'arguments': "
                            "{'path': '/machine/peripheral/dut', "
                            "'property': %s, 'value': %p}}", prop, val);

    g_assert(qdict_haskey(resp, "return"));
    qobject_unref(resp);
}

/* Counters over QMP: what they count, and that stats-reset clears them */
static void test_stats(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    g_assert_cmpuint(qom_get_u64(&c, "stat-irqs"), ==, 0);
    g_assert_cmpuint(qom_get_u64(&c, "stat-guest-errors"), ==, 0);
    g_assert_cmpuint(qom_get_u64(&c, "stat-injected-faults"), ==, 0);

    /* an enabled cause with MSI-X off asserts INTx once */
    wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_SOFTWARE);
    wr(&c, VPRIME_REG_IRQ_RAISE, VPRIME_IRQ_SOFTWARE);
    g_assert_cmpuint(qom_get_u64(&c, "stat-irqs"), ==, 1);
    wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_SOFTWARE);

    rd(&c, 0x0f8);
    wr(&c, VPRIME_REG_VERSION, 0);
    g_assert_cmpuint(qom_get_u64(&c, "stat-guest-errors"), ==, 2);

    /* a device reset keeps the host's counters */
    wr(&c, VPRIME_REG_RESET, VPRIME_RESET_MAGIC);
    g_assert_cmpuint(qom_get_u64(&c, "stat-guest-errors"), ==, 2);

    qom_set_ok(&c, "stats-reset", QOBJECT(qbool_from_bool(true)));
    g_assert_cmpuint(qom_get_u64(&c, "stat-irqs"), ==, 0);
    g_assert_cmpuint(qom_get_u64(&c, "stat-guest-errors"), ==, 0);
    vprime_stop(&c);
}

/* Fault injection over QMP: an error the driver sees as from the device */
static void test_inject_error(const void *opaque)
{
    const VPrimeTestDev *d = opaque;
    QDict *resp;
    VPrimeCtx c;

    vprime_start(&c, d, NULL);
    wr(&c, VPRIME_REG_IRQ_ENABLE, VPRIME_IRQ_ERROR);
    qom_set_ok(&c, "inject-error", QOBJECT(qnum_from_uint(2)));
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, VPRIME_ERR_INJECTED);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS), ==, VPRIME_IRQ_ERROR);
    g_assert_cmpuint(qom_get_u64(&c, "stat-injected-faults"), ==, 2);
    g_assert_cmpuint(qom_get_u64(&c, "stat-guest-errors"), ==, 0);

    /* the driver clears it like any other error */
    wr(&c, VPRIME_REG_ERROR, VPRIME_ERR_INJECTED);
    wr(&c, VPRIME_REG_IRQ_STATUS, VPRIME_IRQ_ERROR);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, 0);
    g_assert_cmphex(rd(&c, VPRIME_REG_IRQ_STATUS), ==, 0);

    /* an absurd count is refused and injects nothing */
    resp = qom_set_u64(&c, "inject-error", 5000);
    g_assert(qdict_haskey(resp, "error"));
    qobject_unref(resp);
    g_assert_cmpuint(qom_get_u64(&c, "stat-injected-faults"), ==, 2);
    g_assert_cmphex(rd(&c, VPRIME_REG_ERROR), ==, 0);
    vprime_stop(&c);
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
