/*
 * Helpers shared by the vprime qtests: start QEMU with a vprime device
 * and find it with libqos, its registers, guest memory from libqos's
 * allocator, QOM over QMP through libqtest, MSI-X vectors aimed at guest
 * memory, and the display engine's frame CRC (zlib's, as the model's).
 *
 * Header only (static inline), so that each test binary builds from its
 * own .c file as QEMU's meson rules for qtests expect.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VPRIME_QTEST_H
#define VPRIME_QTEST_H

#include <zlib.h>
#include "qemu/bswap.h"
#include "libqtest.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "qobject/qdict.h"
#include "qobject/qstring.h"
#include "hw/pci/pci_regs.h"
#include "hw/vprime/vprime_regs.h"

/* The device under test: id "dut" in slot 4 of the q35 root complex */
#define VPRIME_DUT_SLOT     4
#define VPRIME_DUT_PATH     "/machine/peripheral/dut"

typedef struct VPrimeQTest {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;            /* the device under test */
    QPCIBar mmio;               /* its BAR 0 */
    uint64_t mmio_size;
    QGuestAllocator alloc;      /* guest RAM for tables, rings, buffers */
} VPrimeQTest;

/* Find a PCI function and enable it (memory decoding, bus mastering) */
static inline QPCIDevice *vprime_find(VPrimeQTest *t, int slot)
{
    QPCIDevice *dev = qpci_device_find(t->bus, QPCI_DEVFN(slot, 0));

    g_assert_nonnull(dev);
    qpci_device_enable(dev);
    return dev;
}

/* Map BAR 0 of the device under test (again, after a system reset) */
static inline void vprime_map_mmio(VPrimeQTest *t)
{
    qpci_device_enable(t->dev);
    t->mmio = qpci_iomap(t->dev, VPRIME_BAR_MMIO, &t->mmio_size);
}

/*
 * q35 with 512 MiB of RAM, BEFORE (devices that must exist first, as a
 * vIOMMU), "-device DRIVER,id=dut,addr=04.0[,PROPS]", then EXTRA (more
 * devices), all optional but the driver.
 */
static inline void vprime_start_behind(VPrimeQTest *t, const char *before,
                                       const char *driver, const char *props,
                                       const char *extra)
{
    memset(t, 0, sizeof(*t));
    t->qts = qtest_initf("-machine q35 -nodefaults -m 512M %s "
                         "-device %s,id=dut,addr=%02x.0%s%s %s",
                         before ? before : "", driver,
                         VPRIME_DUT_SLOT, props ? "," : "", props ? props : "",
                         extra ? extra : "");
    t->bus = qpci_new_pc(t->qts, NULL);
    pc_alloc_init(&t->alloc, t->qts, ALLOC_NO_FLAGS);
    t->dev = vprime_find(t, VPRIME_DUT_SLOT);
    vprime_map_mmio(t);
}

static inline void vprime_start(VPrimeQTest *t, const char *driver,
                                const char *props, const char *extra)
{
    vprime_start_behind(t, NULL, driver, props, extra);
}

/*
 * q35 with 512 MiB of RAM and ARGS, for a test of several devices: it
 * finds each with vprime_find() and maps its BARs itself.  t->dev stays
 * NULL; vprime_stop_machine() ends it.
 */
static inline void vprime_start_machine(VPrimeQTest *t, const char *args)
{
    memset(t, 0, sizeof(*t));
    t->qts = qtest_initf("-machine q35 -nodefaults -m 512M %s", args);
    t->bus = qpci_new_pc(t->qts, NULL);
    pc_alloc_init(&t->alloc, t->qts, ALLOC_NO_FLAGS);
}

static inline void vprime_stop_machine(VPrimeQTest *t)
{
    alloc_destroy(&t->alloc);
    qpci_free_pc(t->bus);
    qtest_quit(t->qts);
}

static inline void vprime_stop(VPrimeQTest *t)
{
    if (t->dev->msix_enabled) {
        qpci_msix_disable(t->dev);
    }
    qpci_iounmap(t->dev, t->mmio);
    g_free(t->dev);
    alloc_destroy(&t->alloc);
    qpci_free_pc(t->bus);
    qtest_quit(t->qts);
}

/* ---- registers ---------------------------------------------------------- */

static inline uint32_t vprime_rd(VPrimeQTest *t, uint32_t reg)
{
    return qpci_io_readl(t->dev, t->mmio, reg);
}

static inline void vprime_wr(VPrimeQTest *t, uint32_t reg, uint32_t val)
{
    qpci_io_writel(t->dev, t->mmio, reg, val);
}

/* ---- guest memory ------------------------------------------------------ */

/* Zeroed guest RAM, 4 KiB aligned, from libqos's allocator */
static inline uint64_t vprime_alloc(VPrimeQTest *t, uint64_t bytes)
{
    uint64_t addr = guest_alloc(&t->alloc, bytes);

    g_assert_cmphex(addr, !=, 0);
    qtest_memset(t->qts, addr, 0, bytes);
    return addr;
}

/* ---- QOM of the device under test ------------------------------------- */

/* The whole response ("return" may be any type); qobject_unref() it */
static inline QDict *vprime_qom_get(VPrimeQTest *t, const char *prop)
{
    QDict *r = qtest_qmp(t->qts,
        "{'execute': 'qom-get', 'arguments': {'path': %s, 'property': %s}}",
        VPRIME_DUT_PATH, prop);

    g_assert(qdict_haskey(r, "return"));
    return r;
}

static inline uint64_t vprime_qom_u64(VPrimeQTest *t, const char *prop)
{
    QDict *r = vprime_qom_get(t, prop);
    uint64_t v = qdict_get_int(r, "return");

    qobject_unref(r);
    return v;
}

/* The string value of a property; g_free() it */
static inline char *vprime_qom_str(VPrimeQTest *t, const char *prop)
{
    QDict *r = vprime_qom_get(t, prop);
    char *v = g_strdup(qdict_get_str(r, "return"));

    qobject_unref(r);
    return v;
}

static inline void vprime_qom_set_bool(VPrimeQTest *t, const char *prop,
                                       bool val)
{
    qtest_qom_set_bool(t->qts, VPRIME_DUT_PATH, prop, val);
}

/* qom-set of a string or a number that QEMU must accept */
static inline void vprime_qom_set_str(VPrimeQTest *t, const char *prop,
                                      const char *val)
{
    qtest_qmp_assert_success(t->qts,
        "{'execute': 'qom-set', 'arguments': {'path': %s, 'property': %s, "
        "'value': %s}}", VPRIME_DUT_PATH, prop, val);
}

static inline void vprime_qom_set_u64(VPrimeQTest *t, const char *prop,
                                      uint64_t val)
{
    qtest_qmp_assert_success(t->qts,
        "{'execute': 'qom-set', 'arguments': {'path': %s, 'property': %s, "
        "'value': %" PRIu64 "}}", VPRIME_DUT_PATH, prop, val);
}

/*
 * qom-set of val (a QObject, whose reference it takes) that QEMU must
 * refuse; returns QEMU's message, g_free() it.
 */
static inline char *vprime_qom_refused(VPrimeQTest *t, const char *prop,
                                       QObject *val)
{
    QDict *err = qtest_qmp_assert_failure_ref(t->qts,
        "{'execute': 'qom-set', 'arguments': {'path': %s, 'property': %s, "
        "'value': %p}}", VPRIME_DUT_PATH, prop, val);
    char *desc = g_strdup(qdict_get_str(err, "desc"));

    qobject_unref(err);
    return desc;
}

/* A fault script QEMU must refuse, with a message that contains 'want' */
static inline void vprime_fault_refused(VPrimeQTest *t, const char *script,
                                        const char *want)
{
    QObject *val = QOBJECT(qstring_from_str(script));
    g_autofree char *err = vprime_qom_refused(t, "fault", val);

    if (!strstr(err, want)) {
        g_test_message("QEMU refused '%s' with: %s", script, err);
    }
    g_assert_nonnull(strstr(err, want));
}

/*
 * device_add of DRIVER with one bad property behind a root port: realize
 * must fail.  Returns QEMU's message, g_free() it.
 */
static inline char *vprime_realize_error(const char *driver, const char *prop,
                                         int64_t val)
{
    QTestState *qts = qtest_init("-machine q35 -nodefaults "
                                 "-device pcie-root-port,id=rp,chassis=1");
    QDict *err = qtest_qmp_assert_failure_ref(qts,
        "{'execute': 'device_add', 'arguments': {'driver': %s, 'bus': 'rp', "
        "%s: %" PRId64 "}}", driver, prop, val);
    char *desc = g_strdup(qdict_get_str(err, "desc"));

    qobject_unref(err);
    qtest_quit(qts);
    return desc;
}

/* ---- interrupts -------------------------------------------------------- */

/*
 * Write MSI-X table entry 'vec' of an enabled device: message address,
 * data and vector control (0: unmasked).  A vector past the table is
 * written all the same (the fuzzer's inputs).
 */
static inline void vprime_msix_set(QPCIDevice *dev, unsigned vec,
                                   uint64_t addr, uint32_t data, uint32_t ctrl)
{
    uint64_t entry = dev->msix_table_off + vec * PCI_MSIX_ENTRY_SIZE;

    qpci_io_writel(dev, dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
    qpci_io_writel(dev, dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    qpci_io_writel(dev, dev->msix_table_bar, entry + PCI_MSIX_ENTRY_DATA,
                   data);
    qpci_io_writel(dev, dev->msix_table_bar,
                   entry + PCI_MSIX_ENTRY_VECTOR_CTRL, ctrl);
}

/*
 * Aim MSI-X vector 'vec' at a new zeroed dword of guest RAM, with 'data';
 * returns its address.  MSI-X is enabled on the first call.
 */
static inline uint64_t vprime_msix_vector(VPrimeQTest *t, unsigned vec,
                                          uint32_t data)
{
    uint64_t addr = vprime_alloc(t, 4);

    if (!t->dev->msix_enabled) {
        qpci_msix_enable(t->dev);
    }
    vprime_msix_set(t->dev, vec, addr, data, 0);
    return addr;
}

/* ---- the display engine's CRC ---------------------------------------- */

/*
 * CRC of a frame of 0x00RRGGBB pixels, as the display engine computes it
 * (hw/vprime-spec.rst, "CRC"): zlib's crc32() over each pixel's 4 bytes,
 * little endian, with the top byte zero.
 */
static inline uint32_t vprime_frame_crc(const uint32_t *px, uint32_t w,
                                        uint32_t h)
{
    g_autofree uint32_t *le = g_new(uint32_t, (size_t)w * h);
    size_t i;

    for (i = 0; i < (size_t)w * h; i++) {
        le[i] = cpu_to_le32(px[i] & 0x00ffffff);
    }
    return crc32(crc32(0, NULL, 0), (const Bytef *)le,
                 (size_t)w * h * sizeof(*le));
}

#endif
