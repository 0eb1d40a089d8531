/*
 * vprime-display: the display (scanout) engine.
 *
 * 1-4 heads, each with a primary, an overlay and a cursor plane whose
 * registers are double buffered: the guest writes shadow registers, and
 * UPDATE makes the engine latch them at the next vblank, validating every
 * field and reading the page lists once.  Vblanks come from a timer on
 * QEMU_CLOCK_VIRTUAL at the mode's exact period.  This file is the device:
 * BAR 0 decode, properties and counters, connectors, reset, migration;
 * vprime-display-head.c holds a head's registers, latching and vblank
 * timing; vprime-display-scanout.c fetches, composes, checksums and
 * presents the frames.
 *
 * See hw/vprime-spec.rst for the programming interface.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "qemu/error-report.h"
#include "vprime-display.h"
#include "trace.h"

/* ---- BAR 0 ------------------------------------------------------------ */

static VPrimeHead *head_of(VPrimeDisplayState *s, unsigned h)
{
    return &s->head[h];
}

/* Which head a BAR offset belongs to, or NULL */
static VPrimeHead *head_at(VPrimeDisplayState *s, hwaddr addr, hwaddr *reg)
{
    unsigned h;

    if (addr < VPRIME_HEAD_BASE(0) || addr >= VPRIME_HEAD_BASE(s->heads)) {
        return NULL;
    }
    h = (addr - VPRIME_HEAD_BASE(0)) / VPRIME_HEAD_REGS_SIZE;
    *reg = addr - VPRIME_HEAD_BASE(h);
    return head_of(s, h);
}

/* Which head's framebuffer-plane block a BAR offset is in, or NULL */
static VPrimeHead *fbp_head_at(VPrimeDisplayState *s, hwaddr addr,
                               hwaddr *reg)
{
    unsigned h;

    if (addr < VPRIME_FBP_HEAD_BASE(0) ||
        addr >= VPRIME_FBP_HEAD_BASE(s->heads)) {
        return NULL;
    }
    h = (addr - VPRIME_FBP_HEAD_BASE(0)) / VPRIME_FBP_HEAD_SIZE;
    *reg = addr - VPRIME_FBP_HEAD_BASE(h);
    return head_of(s, h);
}

static bool vprime_display_read(void *opaque, hwaddr addr, uint64_t *val)
{
    VPrimeDisplayState *s = opaque;
    VPrimeHead *h;
    hwaddr reg;
    uint64_t now;
    unsigned i;

    h = head_at(s, addr, &reg);
    if (h) {
        return vprime_head_read(h, reg, val);
    }
    h = fbp_head_at(s, addr, &reg);
    if (h) {
        return vprime_fbp_read(h, reg, val);
    }
    switch (addr) {
    case VPRIME_DISP_CAPS:
        *val = s->caps;
        return true;
    case VPRIME_DISP_DMA_BITS:
        *val = s->dma_bits;
        return true;
    case VPRIME_DISP_CLOCK_LO:
        now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        s->clock_hi = now >> 32;
        *val = (uint32_t)now;
        return true;
    case VPRIME_DISP_CLOCK_HI:
        *val = s->clock_hi;
        return true;
    case VPRIME_DISP_UPDATE_LOCKS:
        *val = 0;
        for (i = 0; i < s->heads; i++) {
            *val |= (uint64_t)s->head[i].update_lock << i;
        }
        return true;
    case VPRIME_DISP_UPDATE_LOCK_SET:
    case VPRIME_DISP_UPDATE_LOCK_CLEAR:
        *val = 0;   /* write-only */
        return true;
    case VPRIME_DISP_PM_D3_COUNT:
        *val = s->pm_d3_count;
        return true;
    }
    return false;
}

/*
 * UPDATE_LOCK_SET and _CLEAR: the UPDATE_LOCK of every head in the mask
 * taken, or released, in one write.  A release counts the pending UPDATEs
 * of all those heads as written at the same instant: each latches at its
 * first vblank after it, genlocked heads at the same one.  A mask naming
 * a head the engine does not have is refused whole.
 */
static void vprime_display_update_lock_all(VPrimeDisplayState *s, hwaddr addr,
                                           uint64_t mask, bool lock)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    unsigned i;

    if (mask & ~MAKE_64BIT_MASK(0, s->heads)) {
        vprime_core_guest_error(&s->core, VPRIME_ERR_BAD_VALUE, addr,
                                "UPDATE_LOCK mask 0x%" PRIx64
                                " names a head beyond the %u heads",
                                mask, s->heads);
        return;
    }
    trace_vprime_disp_update_lock_all(s->core.name, lock, mask);
    for (i = 0; i < s->heads; i++) {
        if (mask & (1u << i)) {
            vprime_head_set_update_lock(head_of(s, i), lock, now);
        }
    }
}

static bool vprime_display_write(void *opaque, hwaddr addr, uint64_t val)
{
    VPrimeDisplayState *s = opaque;
    VPrimeHead *h;
    hwaddr reg;

    h = head_at(s, addr, &reg);
    if (h) {
        return vprime_head_write(h, reg, val);
    }
    h = fbp_head_at(s, addr, &reg);
    if (h) {
        return vprime_fbp_write(h, reg, val);
    }
    switch (addr) {
    case VPRIME_DISP_CAPS:
    case VPRIME_DISP_DMA_BITS:
    case VPRIME_DISP_CLOCK_LO:
    case VPRIME_DISP_CLOCK_HI:
    case VPRIME_DISP_UPDATE_LOCKS:
    case VPRIME_DISP_PM_D3_COUNT:
        vprime_core_guest_error(&s->core, VPRIME_ERR_BAD_ACCESS, addr,
                                "write to read-only register 0x%"
                                HWADDR_PRIx, addr);
        return true;
    case VPRIME_DISP_UPDATE_LOCK_SET:
    case VPRIME_DISP_UPDATE_LOCK_CLEAR:
        vprime_display_update_lock_all(s, addr, val,
                                       addr == VPRIME_DISP_UPDATE_LOCK_SET);
        return true;
    }
    return false;
}

/* ---- reset, hotplug, properties --------------------------------------- */

/*
 * Device reset: registers and engine state only.  The RESET register uses
 * this too, so unlike a PCI reset it leaves config space (BARs, MSI-X
 * table) alone, as a GPU's own reset does.  Connectors stay as the host
 * set them; counters are the host's and survive.
 */
static void vprime_display_reset(VPrimeDisplayState *s)
{
    unsigned i;

    trace_vprime_reset(s->core.name);
    vprime_core_reset(&s->core);
    s->clock_hi = 0;
    for (i = 0; i < s->heads; i++) {
        vprime_head_reset(head_of(s, i));
    }
}

static void vprime_display_reset_cb(void *opaque)
{
    vprime_display_reset(opaque);
}

/* ---- PCI power management ---------------------------------------------- */

static uint16_t vprime_display_pm_state(VPrimeDisplayState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pci_get_word(pdev->config + pdev->pm_cap + PCI_PM_CTRL) &
           PCI_PM_CTRL_STATE_MASK;
}

/*
 * PMCSR's PowerState, through the PCI core (pci_default_write_config
 * refuses what PMC does not offer: D1, D2, D3hot to anything but D0, and
 * unmaps the BARs outside D0).  Going to D3hot stops the engine: every
 * head off, vblanks stopped, no interrupt (vprime_core_raise() drops them
 * there).  Coming back to D0 is an internal reset, as No_Soft_Reset (0)
 * says: the driver reprograms everything.  What a real engine loses with
 * its power the model resets at both ends, so nothing of the old state
 * can leak through, whichever end a reader looks at.
 */
static void vprime_display_config_write(PCIDevice *pdev, uint32_t addr,
                                        uint32_t val, int len)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(pdev);
    uint16_t old = vprime_display_pm_state(s), new;

    pci_default_write_config(pdev, addr, val, len);
    new = vprime_display_pm_state(s);
    if (new == old) {
        return;
    }
    trace_vprime_disp_pm(s->core.name, old, new, s->pm_d3_count);
    if (old == PCI_PM_CTRL_STATE_MASK && new == 0) {
        vprime_display_reset(s);
        return;
    }
    if (new == PCI_PM_CTRL_STATE_MASK) {
        s->pm_d3_count++;
        vprime_display_reset(s);
    }
}

static bool vprime_display_pm_init(VPrimeDisplayState *s, Error **errp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    int pos = pci_pm_init(pdev, 0, errp);

    if (pos < 0) {
        return false;
    }
    /* D0 and D3hot only, no PME; No_Soft_Reset clear: D3hot loses state */
    pci_set_word(pdev->config + pos + PCI_PM_PMC, PCI_PM_CAP_VER_1_2);
    pci_set_word(pdev->config + pos + PCI_PM_CTRL, 0);
    pci_set_word(pdev->wmask + pos + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK);
    return true;
}

static void vprime_display_stats_reset(void *opaque)
{
    VPrimeDisplayState *s = opaque;
    unsigned i;

    for (i = 0; i < s->heads; i++) {
        vprime_head_sync(&s->head[i]);  /* vblanks so far: before the reset */
    }
    s->stat_vblanks = 0;
    s->stat_vblank_wakeups = 0;
    s->stat_flips = 0;
    s->stat_frames_composed = 0;
    s->stat_underruns = 0;
    memset(s->stat_read, 0, sizeof(s->stat_read));
    s->stat_copied = 0;
    s->stat_host_ns = 0;
    for (i = 0; i < VPRIME_HEADS_MAX; i++) {
        s->head[i].stat_frames_composed = 0;
        s->head[i].stat_flips = 0;
        s->head[i].stat_vblanks = 0;
        memset(s->head[i].stat_read, 0, sizeof(s->head[i].stat_read));
    }
    vprime_faults_stats_reset(&s->faults);
}

static const VPrimeCoreOps vprime_display_core_ops = {
    .read = vprime_display_read,
    .write = vprime_display_write,
    .reset = vprime_display_reset_cb,
    .stats_reset = vprime_display_stats_reset,
};

static void head_get_connected(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    VPrimeHead *h = opaque;
    bool val = h->connected;

    visit_type_bool(v, name, &val, errp);
}

/*
 * Plug or unplug the head's monitor.  Before realize this is the initial
 * state (-device ...,head1-connected=off); afterwards a hotplug event.
 */
static void head_set_connected(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    VPrimeHead *h = opaque;
    VPrimeDisplayState *s = h->s;
    bool val;

    if (!visit_type_bool(v, name, &val, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized) {
        h->connected = val;
        return;
    }
    if (h->idx >= s->heads) {
        error_setg(errp, "%s: head %u does not exist (heads=%u)", name,
                   h->idx, s->heads);
        return;
    }
    if (!val && h->output == VPRIME_OUTPUT_EDP) {
        error_setg(errp, "%s: head %u is an eDP panel: it cannot be "
                   "unplugged", name, h->idx);
        return;
    }
    vprime_head_set_connected(h, val);
}

void vprime_head_set_connected(VPrimeHead *h, bool val)
{
    VPrimeDisplayState *s = h->s;

    if (val == h->connected) {
        return;
    }
    trace_vprime_disp_hotplug(s->core.name, h->idx, val);
    h->connected = val;
    vprime_head_show_edid(h);
    /*
     * The frame kept up to date while unplugged, so the console can show
     * it (or the right placeholder) at once; the next vblank composes
     * anew all the same, as a monitor that just synced expects.
     */
    if (val && vprime_disp_output_source(h)) {
        VPrimeHead *src = vprime_disp_output_source(h);

        src->dirty = true;
        vprime_head_kick(src);
    }
    vprime_disp_present_outputs(s, BIT(h->idx));
    vprime_head_event(h, VPRIME_HEAD_EV_HOTPLUG);
}

/* head<N>-plane<P>-pages: the DMA addresses the plane was latched with */
static void plane_get_pages(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    VPrimePlane *pl = opaque;
    g_autoptr(GString) str = g_string_new("");
    g_autofree char *val = NULL;
    uint32_t i;

    if (pl->active.control & VPRIME_PL_CTRL_ENABLE) {
        if (pl->active.control & VPRIME_PL_CTRL_CONTIG) {
            g_string_printf(str, "contig:0x%" PRIx64 "+0x%" PRIx32,
                            pl->active.addr, pl->active.fb_size);
        } else {
            g_string_append(str, "pages:");
            for (i = 0; i < pl->npages; i++) {
                g_string_append_printf(str, "%s0x%" PRIx64, i ? "," : "",
                                       pl->pages[i]);
            }
        }
    }
    val = g_string_free(g_steal_pointer(&str), false);
    visit_type_str(v, name, &val, errp);
}

/*
 * stat-vblanks, head<N>-vblanks: the vblanks that passed, counted up to
 * now on heads whose vblank timer is stopped (vprime_head_sync)
 */
static void get_stat_vblanks(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(obj);
    unsigned i;

    if (DEVICE(obj)->realized) {
        for (i = 0; i < s->heads; i++) {
            vprime_head_sync(&s->head[i]);
        }
    }
    visit_type_uint64(v, name, opaque, errp);
}

static void vprime_display_add_properties(VPrimeDisplayState *s)
{
    static const char *const kinds[VPRIME_DMA__MAX] = {
        [VPRIME_DMA_SYSRAM] = "sysram",
        [VPRIME_DMA_PEER] = "peer",
        [VPRIME_DMA_OTHER] = "other",
    };
    Object *obj = OBJECT(s);
    unsigned i, p;

    object_property_add(obj, "stat-vblanks", "uint64", get_stat_vblanks,
                        NULL, NULL, &s->stat_vblanks);
    object_property_add_uint64_ptr(obj, "stat-vblank-wakeups",
                                   &s->stat_vblank_wakeups,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-flips", &s->stat_flips,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-frames-composed",
                                   &s->stat_frames_composed,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-underruns", &s->stat_underruns,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-bytes-copied", &s->stat_copied,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "stat-host-ns", &s->stat_host_ns,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "pm-d3-count", &s->pm_d3_count,
                                   OBJ_PROP_FLAG_READ);
    for (i = 0; i < VPRIME_DMA__MAX; i++) {
        g_autofree char *name = g_strdup_printf("stat-bytes-read-%s",
                                                kinds[i]);

        object_property_add_uint64_ptr(obj, name, &s->stat_read[i],
                                       OBJ_PROP_FLAG_READ);
    }
    /* every head the engine can have: 'heads' is not known before realize */
    for (i = 0; i < VPRIME_HEADS_MAX; i++) {
        VPrimeHead *h = head_of(s, i);
        g_autofree char *fc = g_strdup_printf("head%u-frames-composed", i);
        g_autofree char *fl = g_strdup_printf("head%u-flips", i);
        g_autofree char *vb = g_strdup_printf("head%u-vblanks", i);

        object_property_add_uint64_ptr(obj, fc, &h->stat_frames_composed,
                                       OBJ_PROP_FLAG_READ);
        object_property_add_uint64_ptr(obj, fl, &h->stat_flips,
                                       OBJ_PROP_FLAG_READ);
        object_property_add(obj, vb, "uint64", get_stat_vblanks, NULL, NULL,
                            &h->stat_vblanks);
        for (p = 0; p < VPRIME_DMA__MAX; p++) {
            g_autofree char *rd = g_strdup_printf("head%u-bytes-read-%s", i,
                                                  kinds[p]);

            object_property_add_uint64_ptr(obj, rd, &h->stat_read[p],
                                           OBJ_PROP_FLAG_READ);
        }
        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            g_autofree char *pg = g_strdup_printf("head%u-plane%u-pages", i,
                                                  p);

            object_property_add(obj, pg, "str", plane_get_pages, NULL, NULL,
                                &h->plane[p]);
        }
    }
}

/* An unplug or replug armed: it counts vblanks, the heads' timers run */
static void vprime_display_fault_arm(void *opaque, const VPrimeFault *f)
{
    VPrimeDisplayState *s = opaque;
    unsigned i;

    if (DEVICE(s)->realized) {
        for (i = 0; i < s->heads; i++) {
            vprime_head_kick(&s->head[i]);
        }
    }
}

/* Every QOM property is there from instance_init: introspection lists them */
static void vprime_display_instance_init(Object *obj)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(obj);
    unsigned i;

    vprime_core_instance_init(&s->core, obj);
    vprime_display_add_properties(s);
    for (i = 0; i < VPRIME_HEADS_MAX; i++) {
        VPrimeHead *h = head_of(s, i);
        g_autofree char *name = g_strdup_printf("head%u-connected", i);

        h->s = s;
        h->idx = i;
        h->connected = true;
        h->shadow = h->active = VPRIME_HEAD_REGS_RESET(i);   /* as reset */
        object_property_add(obj, name, "bool", head_get_connected,
                            head_set_connected, NULL, h);
    }
    vprime_faults_init(&s->faults, obj, &s->core, VPRIME_INJ_DISPLAY_KINDS,
                       "head", NULL);
    s->faults.arm = vprime_display_fault_arm;
    s->faults.opaque = s;
    s->faults.ntargets = VPRIME_HEADS_MAX;  /* until realize knows heads */
}

static void vprime_display_instance_finalize(Object *obj)
{
    vprime_faults_fini(&VPRIME_DISPLAY(obj)->faults);
}

static const char *const output_names[VPRIME_OUTPUT__MAX] = {
    [VPRIME_OUTPUT_VIRTUAL] = "virtual",
    [VPRIME_OUTPUT_EDP] = "edp",
    [VPRIME_OUTPUT_DP] = "dp",
    [VPRIME_OUTPUT_HDMI] = "hdmi",
};

/*
 * output-types: a comma-separated type per head from head 0; heads not
 * named are "virtual".  An eDP head must start connected.
 */
static bool vprime_display_parse_outputs(VPrimeDisplayState *s, Error **errp)
{
    g_auto(GStrv) names = NULL;
    unsigned i, t;

    for (i = 0; i < VPRIME_HEADS_MAX; i++) {
        head_of(s, i)->output = VPRIME_OUTPUT_VIRTUAL;
    }
    if (!s->output_types || !*s->output_types) {
        return true;
    }
    names = g_strsplit(s->output_types, ",", -1);
    if (g_strv_length(names) > s->heads) {
        error_setg(errp, "output-types=%s is invalid: %u types for %u heads",
                   s->output_types, g_strv_length(names), s->heads);
        return false;
    }
    for (i = 0; names[i]; i++) {
        VPrimeHead *h = head_of(s, i);

        for (t = 0; t < VPRIME_OUTPUT__MAX; t++) {
            if (!strcmp(names[i], output_names[t])) {
                break;
            }
        }
        if (t == VPRIME_OUTPUT__MAX) {
            error_setg(errp, "output-types=%s is invalid: '%s' is not one of "
                       "virtual, edp, dp, hdmi", s->output_types, names[i]);
            return false;
        }
        if (t == VPRIME_OUTPUT_EDP && !h->connected) {
            error_setg(errp, "head%u-connected=off is invalid: head %u is an "
                       "eDP panel, always connected", i, i);
            return false;
        }
        h->output = t;
    }
    return true;
}

/* EDID 1.4 digital video input (byte 20): bits per primary colour, 6:4 */
#define EDID_DEPTH_MASK     0x70
#define EDID_DEPTH_6        0x10
#define EDID_DEPTH_8        0x20
#define EDID_DEPTH_10       0x30

/* Is an 18-byte EDID descriptor a display descriptor with this tag? */
static bool edid_desc_is(const uint8_t *d, uint8_t tag)
{
    return !d[0] && !d[1] && !d[2] && d[3] == tag;
}

static void edid_set_dummy(uint8_t *d)
{
    memset(d, 0, 18);
    d[3] = 0x10;
}

static void edid_fix_checksum(uint8_t *block)
{
    uint8_t sum = 0;
    unsigned i;

    for (i = 0; i < 127; i++) {
        sum += block[i];
    }
    block[127] = -sum;
}

/*
 * A monitor with variable refresh (DP, HDMI and the virtual output): the
 * generator's range limits descriptor ("range limits only") goes down to
 * VPRIME_DISP_VRR_EDID_MIN_HZ, and the base block says the monitor takes
 * continuous frequencies (EDID 1.4 feature bit 0), which is what makes
 * Linux read the range as the VRR range (drm_get_monitor_range).
 */
static void edid_make_vrr(uint8_t *edid)
{
    unsigned off;

    for (off = 54; off + 18 <= 126; off += 18) {
        uint8_t *d = edid + off;

        if (edid_desc_is(d, 0xfd) && d[5] > VPRIME_DISP_VRR_EDID_MIN_HZ) {
            d[5] = VPRIME_DISP_VRR_EDID_MIN_HZ;
            edid[24] |= 0x01;
            edid_fix_checksum(edid);
            return;
        }
    }
}

/*
 * An eDP panel's EDID: the native mode and nothing else.  The
 * generator's established and standard timings, its established timings
 * III and range descriptors and its CTA-861 extension (the other modes)
 * go; the preferred timing, the name and the serial stay (gathered into
 * the base block), and a DisplayID extension, which carries the timing
 * of a mode too large for the base block, moves up behind it.
 */
static void edid_make_edp(uint8_t *edid)
{
    uint8_t keep[4][18];
    unsigned nkeep = 0, i, off;
    uint8_t *dta = edid + 128;
    bool did = edid[126] == 2;

    for (off = 54; off + 18 <= 126 && nkeep < 4; off += 18) {
        uint8_t *d = edid + off;

        if (d[0] || d[1] || edid_desc_is(d, 0xfc) || edid_desc_is(d, 0xff)) {
            memcpy(keep[nkeep++], d, 18);
        }
    }
    if (edid[126]) {
        for (off = dta[2]; off + 18 <= 127 && nkeep < 4; off += 18) {
            if (edid_desc_is(dta + off, 0xfc) ||
                edid_desc_is(dta + off, 0xff)) {
                memcpy(keep[nkeep++], dta + off, 18);
            }
        }
    }
    memset(edid + 35, 0, 3);            /* established timings */
    memset(edid + 38, 0x01, 16);        /* standard timings: unused */
    for (i = 0; i < 4; i++) {
        if (i < nkeep) {
            memcpy(edid + 54 + i * 18, keep[i], 18);
        } else {
            edid_set_dummy(edid + 54 + i * 18);
        }
    }
    if (did) {
        memmove(edid + 128, edid + 256, 128);
    }
    memset(edid + (did ? 256 : 128), 0, VPRIME_EDID_MAX - (did ? 256 : 128));
    edid[126] = did;
    edid_fix_checksum(edid);
}

/*
 * An HDMI sink's EDID: video input "HDMI-a", and in the CTA-861
 * extension an HDMI vendor-specific data block (IEEE OUI 00-0C-03,
 * source physical address 1.0.0.0), which is what makes a sink HDMI and
 * not DVI (drm_detect_hdmi_monitor()).  The block goes behind the video
 * data block; the detailed descriptors move 6 bytes up, dropping the
 * last one (a dummy, or the EDID is left a DP one and realize fails).
 */
static bool edid_make_hdmi(uint8_t *edid, Error **errp)
{
    static const uint8_t vsdb[6] = { 0x65, 0x03, 0x0c, 0x00, 0x10, 0x00 };
    uint8_t *dta = edid + 128;
    unsigned dtd = dta[2], n = (127 - dtd) / 18, m = (127 - dtd - 6) / 18;
    unsigned i;

    if (!edid[126] || dta[0] != 0x02) {
        error_setg(errp, "output-types: no CTA-861 extension for HDMI");
        return false;
    }
    for (i = m; i < n; i++) {
        if (!edid_desc_is(dta + dtd + i * 18, 0x10)) {
            error_setg(errp, "output-types: no room for the HDMI data block");
            return false;
        }
    }
    memmove(dta + dtd + 6, dta + dtd, m * 18);
    memset(dta + dtd + 6 + m * 18, 0, 127 - (dtd + 6 + m * 18));
    memcpy(dta + dtd, vsdb, sizeof(vsdb));
    dta[2] = dtd + 6;
    edid_fix_checksum(dta);
    edid[20] = 0xa2;                    /* digital, 8 bpc, HDMI-a */
    edid_fix_checksum(edid);
    return true;
}

/*
 * The colour depth the monitor states (EDID 1.4 video input, bits 6:4),
 * as such monitors do: a laptop panel 6 bpc, a DisplayPort monitor 10,
 * an HDMI sink 8 (its HDMI data block claims no deep colour); the
 * virtual output keeps the generator's 8.  The interface nibble stays:
 * EDID 1.4 has no eDP code, panels say DisplayPort.
 */
static void edid_set_depth(VPrimeHead *h)
{
    static const uint8_t depth[VPRIME_OUTPUT__MAX] = {
        [VPRIME_OUTPUT_VIRTUAL] = EDID_DEPTH_8,
        [VPRIME_OUTPUT_EDP] = EDID_DEPTH_6,
        [VPRIME_OUTPUT_DP] = EDID_DEPTH_10,
        [VPRIME_OUTPUT_HDMI] = EDID_DEPTH_8,
    };

    h->edid[20] = (h->edid[20] & ~EDID_DEPTH_MASK) | depth[h->output];
    edid_fix_checksum(h->edid);
}

/*
 * The head's EDID is QEMU's generator's, made into the head's output
 * type's (DP and virtual: as generated, its video input says
 * DisplayPort; eDP and HDMI: see above).  Made in realize before anything
 * that would need undoing.
 */
static bool head_make_edid(VPrimeDisplayState *s, VPrimeHead *h, Error **errp)
{
    static const char *const monitor[VPRIME_OUTPUT__MAX] = {
        [VPRIME_OUTPUT_VIRTUAL] = "vprime-display",
        [VPRIME_OUTPUT_EDP] = "vprime eDP",
        [VPRIME_OUTPUT_DP] = "vprime DP",
        [VPRIME_OUTPUT_HDMI] = "vprime HDMI",
    };
    qemu_edid_info info = s->edid_info;
    g_autofree char *serial = g_strdup_printf("head%u", h->idx);

    memset(h->edid, 0, sizeof(h->edid));
    info.name = monitor[h->output];
    info.serial = serial;
    qemu_edid_generate(h->edid, sizeof(h->edid), &info);
    if (h->output == VPRIME_OUTPUT_EDP) {
        edid_make_edp(h->edid);
    } else {
        edid_make_vrr(h->edid);
    }
    if (h->output == VPRIME_OUTPUT_HDMI && !edid_make_hdmi(h->edid, errp)) {
        return false;
    }
    edid_set_depth(h);
    h->edid_size = qemu_edid_size(h->edid);
    return true;
}

/*
 * The EDID's register window is QEMU's EDID region (any access of 1 to 4
 * bytes reads, writes are ignored), over the head's block of BAR 0.  The
 * window is 512 bytes: 3840x2160@60 and larger preferred modes take a
 * DisplayID extension (384 bytes).
 */
static void head_init_edid(VPrimeDisplayState *s, VPrimeHead *h)
{
    vprime_head_show_edid(h);
    qemu_edid_region_io(&h->edid_mr, OBJECT(s), h->edid_shown,
                        sizeof(h->edid_shown));
    memory_region_add_subregion(&s->core.mmio,
                                VPRIME_HEAD_BASE(h->idx) + VPRIME_HEAD_EDID,
                                &h->edid_mr);
}

void vprime_head_show_edid(VPrimeHead *h)
{
    if (h->connected) {
        memcpy(h->edid_shown, h->edid, sizeof(h->edid_shown));
    } else {
        memset(h->edid_shown, 0, sizeof(h->edid_shown));
    }
}

static void head_init(VPrimeDisplayState *s, VPrimeHead *h)
{
    head_init_edid(s, h);
    h->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, vprime_head_vblank, h);
    vprime_disp_console_init(s, h);
}

static void vprime_display_realize(PCIDevice *pdev, Error **errp)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(pdev);
    qemu_edid_info *e = &s->edid_info;
    unsigned i;

    if (s->heads < VPRIME_HEADS_MIN || s->heads > VPRIME_HEADS_MAX) {
        error_setg(errp, "heads=%u is invalid: it must be %u to %u",
                   s->heads, VPRIME_HEADS_MIN, VPRIME_HEADS_MAX);
        return;
    }
    if (s->dma_bits < VPRIME_DISP_DMA_BITS_MIN ||
        s->dma_bits > VPRIME_DISP_DMA_BITS_MAX) {
        error_setg(errp, "dma-bits=%u is invalid: it must be %u to %u",
                   s->dma_bits, VPRIME_DISP_DMA_BITS_MIN,
                   VPRIME_DISP_DMA_BITS_MAX);
        return;
    }
    if (!vprime_faults_realize(&s->faults, s->heads, errp)) {
        return;
    }
    e->prefx = e->prefx ? e->prefx : VPRIME_DISP_DEFAULT_XRES;
    e->prefy = e->prefy ? e->prefy : VPRIME_DISP_DEFAULT_YRES;
    e->refresh_rate = e->refresh_rate ? e->refresh_rate
                                      : VPRIME_DISP_DEFAULT_REFRESH;
    if (e->prefx > VPRIME_DISP_MAX_DIM || e->prefy > VPRIME_DISP_MAX_DIM) {
        error_setg(errp, "xres=%u yres=%u is invalid: each must be 1 to %u",
                   e->prefx, e->prefy, VPRIME_DISP_MAX_DIM);
        return;
    }
    if (e->refresh_rate < VPRIME_DISP_REFRESH_MIN_MILLIHZ ||
        e->refresh_rate > VPRIME_DISP_REFRESH_MAX_MILLIHZ) {
        error_setg(errp, "refresh_rate=%u is invalid: it must be %u to %u "
                   "(mHz)", e->refresh_rate, VPRIME_DISP_REFRESH_MIN_MILLIHZ,
                   VPRIME_DISP_REFRESH_MAX_MILLIHZ);
        return;
    }

    if (!vprime_display_parse_outputs(s, errp)) {
        return;
    }
    for (i = 0; i < s->heads; i++) {
        if (!head_make_edid(s, head_of(s, i), errp)) {
            return;
        }
    }

    s->caps = VPRIME_DISP_CAP_TILED | VPRIME_DISP_CAP_CRC |
              VPRIME_DISP_CAP_SCALE | VPRIME_DISP_CAP_ROTATE |
              VPRIME_DISP_CAP_BLEND | VPRIME_DISP_CAP_COLOUR |
              VPRIME_DISP_CAP_WRITEBACK |
              VPRIME_DISP_CAP_YUV |
              VPRIME_DISP_CAP_UPDATE_LOCK |
              VPRIME_DISP_CAP_UPDATE_LOCK_ALL |
              VPRIME_DISP_CAP_CROSSBAR |
              VPRIME_DISP_CAP_ASYNC_FLIP | VPRIME_DISP_CAP_VRR |
              VPRIME_DISP_CAP_OUTPUT | VPRIME_DISP_CAP_LAYOUTS |
              VPRIME_DISP_CAP_OUTPUT_BPC |
              VPRIME_DISP_CAP_PM |
              (s->contiguous_only ? 0 : VPRIME_DISP_CAP_SCATTER);
    vprime_core_init(&s->core, pdev, TYPE_VPRIME_DISPLAY, VPRIME_KIND_DISPLAY,
                     VPRIME_CAP_DISPLAY);
    s->core.num_heads = s->heads;
    s->core.msix_vectors = VPRIME_DISPLAY_MSIX_VECTORS;
    for (i = 0; i < s->heads; i++) {
        s->core.irq_valid |= VPRIME_IRQ_HEAD(i);
    }
    if (!vprime_core_realize(&s->core, &vprime_display_core_ops, s, errp)) {
        return;
    }
    if (!vprime_display_pm_init(s, errp)) {
        vprime_core_exit(&s->core);
        return;
    }
    s->bounce = g_malloc(VPRIME_DISP_BOUNCE_SIZE);
    for (i = 0; i < VPRIME_HEADS_MAX; i++) {
        if (i < s->heads) {
            head_init(s, head_of(s, i));
        } else {
            head_of(s, i)->connected = false;
        }
    }
}

static void vprime_display_exit(PCIDevice *pdev)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(pdev);
    unsigned i, p;

    for (i = 0; i < s->heads; i++) {
        VPrimeHead *h = head_of(s, i);

        timer_free(h->timer);
        h->timer = NULL;
        memory_region_del_subregion(&s->core.mmio, &h->edid_mr);
        for (p = 0; p < VPRIME_DISP_PLANES; p++) {
            vprime_plane_set_pages(&h->plane[p], NULL, 0);
        }
        vprime_wb_drop_pages(h);
        vprime_disp_console_fini(h);
    }
    vprime_core_dma_unwatch(&s->core);
    g_free(s->bounce);
    s->bounce = NULL;
    vprime_core_exit(&s->core);
}

static void vprime_display_reset_hold(Object *obj, ResetType type)
{
    VPrimeDisplayState *s = VPRIME_DISPLAY(obj);

    /* the PCI core put PMCSR back to D0 (pci_do_device_reset) */
    s->pm_d3_count = 0;
    vprime_display_reset(s);
}

/* ---- migration -------------------------------------------------------- */

static const VMStateDescription vmstate_vprime_plane_regs = {
    .name = "vprime-display-plane-regs",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(control, VPrimePlaneRegs),
        VMSTATE_UINT32(format, VPrimePlaneRegs),
        VMSTATE_UINT32(layout, VPrimePlaneRegs),
        VMSTATE_UINT32(pitch, VPrimePlaneRegs),
        VMSTATE_UINT64(addr, VPrimePlaneRegs),
        VMSTATE_UINT32(fb_size, VPrimePlaneRegs),
        VMSTATE_UINT32(offset, VPrimePlaneRegs),
        VMSTATE_UINT32(src_pos, VPrimePlaneRegs),
        VMSTATE_UINT32(size, VPrimePlaneRegs),
        VMSTATE_UINT32(dst_pos, VPrimePlaneRegs),
        VMSTATE_END_OF_LIST()
    }
};

/* A plane's registers; its latched page list follows the head's planes */
/* ZPOS: a stream without it has every plane at 0, the index order */
static bool vprime_plane_zpos_needed(void *opaque)
{
    VPrimePlane *pl = opaque;

    return pl->shadow.zpos || pl->active.zpos;
}

static const VMStateDescription vmstate_vprime_plane_zpos = {
    .name = "vprime-display-plane/zpos",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_plane_zpos_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.zpos, VPrimePlane),
        VMSTATE_UINT32(active.zpos, VPrimePlane),
        VMSTATE_END_OF_LIST()
    }
};

/* DST_SIZE: a stream without it has every plane unscaled (0) */
static bool vprime_plane_scale_needed(void *opaque)
{
    VPrimePlane *pl = opaque;

    return pl->shadow.dst_size || pl->active.dst_size;
}

static const VMStateDescription vmstate_vprime_plane_scale = {
    .name = "vprime-display-plane/scale",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_plane_scale_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.dst_size, VPrimePlane),
        VMSTATE_UINT32(active.dst_size, VPrimePlane),
        VMSTATE_END_OF_LIST()
    }
};

/* BLEND: a stream without it has every plane's BLEND 0 */
static bool vprime_plane_blend_needed(void *opaque)
{
    VPrimePlane *pl = opaque;

    return pl->shadow.blend || pl->active.blend;
}

static const VMStateDescription vmstate_vprime_plane_blend = {
    .name = "vprime-display-plane/blend",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_plane_blend_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.blend, VPrimePlane),
        VMSTATE_UINT32(active.blend, VPrimePlane),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * YUV: the YUV register, framebuffer planes 1 and 2 and their latched page
 * lists.  A stream without it has them all 0 (RGB planes).
 */
static const VMStateDescription vmstate_vprime_fbp_regs = {
    .name = "vprime-display-fb-plane-regs",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(addr, VPrimeFbPlaneRegs),
        VMSTATE_UINT32(fb_size, VPrimeFbPlaneRegs),
        VMSTATE_UINT32(pitch, VPrimeFbPlaneRegs),
        VMSTATE_UINT32(offset, VPrimeFbPlaneRegs),
        VMSTATE_END_OF_LIST()
    }
};

static bool vprime_plane_yuv_needed(void *opaque)
{
    static const VPrimeFbPlaneRegs zero[VPRIME_FBP_PLANES - 1];
    VPrimePlane *pl = opaque;

    return pl->shadow.yuv || pl->active.yuv ||
           memcmp(pl->shadow.fbp, zero, sizeof(zero)) ||
           memcmp(pl->active.fbp, zero, sizeof(zero));
}

/* Page counts as the latched registers need them, before they are allocated */
static bool vprime_plane_yuv_pages_valid(void *opaque, int version_id)
{
    VPrimePlane *pl = opaque;
    unsigned i;

    for (i = 1; i < VPRIME_FBP_PLANES; i++) {
        if (pl->active.fbp[i - 1].fb_size > VPRIME_DISP_FB_MAX ||
            pl->fbp_npages[i - 1] != vprime_plane_fbp_npages(&pl->active, i)) {
            error_report("vprime-display: framebuffer plane %u: a page list "
                         "of %u pages, its registers need %u", i,
                         pl->fbp_npages[i - 1],
                         vprime_plane_fbp_npages(&pl->active, i));
            return false;
        }
    }
    return true;
}

static const VMStateDescription vmstate_vprime_plane_yuv = {
    .name = "vprime-display-plane/yuv",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_plane_yuv_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.yuv, VPrimePlane),
        VMSTATE_UINT32(active.yuv, VPrimePlane),
        VMSTATE_STRUCT_ARRAY(shadow.fbp, VPrimePlane, VPRIME_FBP_PLANES - 1,
                             1, vmstate_vprime_fbp_regs, VPrimeFbPlaneRegs),
        VMSTATE_STRUCT_ARRAY(active.fbp, VPrimePlane, VPRIME_FBP_PLANES - 1,
                             1, vmstate_vprime_fbp_regs, VPrimeFbPlaneRegs),
        VMSTATE_UINT32_ARRAY(fbp_npages, VPrimePlane, VPRIME_FBP_PLANES - 1),
        VMSTATE_VALIDATE("yuv page counts", vprime_plane_yuv_pages_valid),
        VMSTATE_VARRAY_UINT32_ALLOC(fbp_pages[0], VPrimePlane, fbp_npages[0],
                                    1, vmstate_info_uint64, uint64_t),
        VMSTATE_VARRAY_UINT32_ALLOC(fbp_pages[1], VPrimePlane, fbp_npages[1],
                                    1, vmstate_info_uint64, uint64_t),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_vprime_plane = {
    .name = "vprime-display-plane",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(shadow, VPrimePlane, 1, vmstate_vprime_plane_regs,
                       VPrimePlaneRegs),
        VMSTATE_STRUCT(active, VPrimePlane, 1, vmstate_vprime_plane_regs,
                       VPrimePlaneRegs),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vprime_plane_zpos,
        &vmstate_vprime_plane_scale,
        &vmstate_vprime_plane_blend,
        &vmstate_vprime_plane_yuv,
        NULL
    }
};

static const VMStateDescription vmstate_vprime_head_regs = {
    .name = "vprime-display-head-regs",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(control, VPrimeHeadRegs),
        VMSTATE_UINT32(mode_size, VPrimeHeadRegs),
        VMSTATE_UINT32(mode_total, VPrimeHeadRegs),
        VMSTATE_UINT32(mode_clock, VPrimeHeadRegs),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Why an enabled, latched plane cannot be scanned (NULL: it can).  The
 * registers pass the latch's own checks against the head's mode and this
 * engine's limits (caps, dma-bits); the page count is what they need.
 */
static char *plane_check_loaded(VPrimeHead *h, unsigned p, uint32_t npages)
{
    const VPrimePlaneRegs *r = &h->plane[p].active;
    const char *why = NULL;
    uint32_t want;
    hwaddr reg;

    if (!(r->control & VPRIME_PL_CTRL_ENABLE)) {
        return npages ? g_strdup_printf("plane %u: a page list of %u pages "
                                        "for a plane that is off", p, npages)
                      : NULL;
    }
    if (!vprime_head_on(h)) {
        return g_strdup_printf("plane %u is on, its head is off", p);
    }
    if (vprime_plane_check(h, p, r, &want, &reg, &why)) {
        return g_strdup_printf("plane %u: %sregister 0x%" HWADDR_PRIx ": %s",
                               p, reg & FBP_REG_FLAG ?
                               "framebuffer-plane block " : "",
                               reg & ~FBP_REG_FLAG, why);
    }
    if (npages != want) {
        return g_strdup_printf("plane %u: a page list of %u pages; FB_SIZE "
                               "0x%x needs %u", p, npages, r->fb_size, want);
    }
    return NULL;
}

/* Why a loaded head cannot run (NULL: it can); its planes' pages aside */
static char *head_check_loaded(VPrimeHead *h)
{
    const char *why = NULL;
    int64_t expire;
    unsigned p;

    if (h->active.control & ~VPRIME_HEAD_CTRL_ENABLE) {
        return g_strdup_printf("CONTROL 0x%x has reserved bits",
                               h->active.control);
    }
    if (vprime_head_on(h) && !vprime_mode_valid(&h->active, &why)) {
        return g_strdup_printf("the mode it scans out: %s", why);
    }
    if (vprime_head_on(h) && !vprime_vrr_valid(&h->active, &why)) {
        return g_strdup_printf("its variable refresh: %s", why);
    }
    if (vprime_head_on(h) && !vprime_bpc_valid(&h->active, &why)) {
        return g_strdup_printf("OUTPUT_BPC %u: %s", h->active.output_bpc, why);
    }
    /*
     * On, the vblank timer runs to the next deadline, a time of the
     * virtual clock (never negative: vblank arithmetic subtracts it from
     * the clock); off, it is stopped.
     */
    expire = timer_expire_time_ns(h->timer);     /* -1: stopped */
    if (expire != (vprime_head_on(h) ? h->deadline : -1) ||
        (vprime_head_on(h) && h->deadline < 0)) {
        return g_strdup_printf("the vblank timer (%" PRId64 " ns) does not "
                               "match the head (%s, next vblank %" PRId64
                               " ns)", expire,
                               vprime_head_on(h) ? "on" : "off", h->deadline);
    }
    if ((h->events | h->event_enable) & ~VPRIME_HEAD_EV_VALID_MASK) {
        return g_strdup_printf("EVENTS 0x%x or EVENT_ENABLE 0x%x has "
                               "reserved bits", h->events, h->event_enable);
    }
    if (h->crc_control > 1) {
        return g_strdup_printf("CRC_CONTROL %u is not 0 or 1",
                               h->crc_control);
    }
    if (h->error >> VPRIME_HEAD_ERR_PLANE_SHIFT > VPRIME_HEAD_ERR_PLANE_HEAD) {
        return g_strdup_printf("ERROR 0x%x has reserved bits", h->error);
    }
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        if (h->plane[p].active.control & ~vprime_plane_ctrl_valid(p)) {
            return g_strdup_printf("plane %u: CONTROL 0x%x has reserved bits",
                                   p, h->plane[p].active.control);
        }
    }
    return NULL;
}

/*
 * The page counts of a head's planes, checked before their lists are
 * allocated: each is what the plane's registers, already loaded and
 * checked, need.
 */
typedef struct VPrimeHeadPageCounts {
    VPrimeHead *parent;
    uint32_t npages[VPRIME_DISP_PLANES_V1];
} VPrimeHeadPageCounts;

static int vprime_head_pages_pre_save(void *opaque)
{
    VPrimeHeadPageCounts *c = opaque;
    unsigned p;

    for (p = 0; p < VPRIME_DISP_PLANES_V1; p++) {
        c->npages[p] = c->parent->plane[p].npages;
    }
    return 0;
}

static int vprime_head_pages_post_load(void *opaque, int version_id)
{
    VPrimeHeadPageCounts *c = opaque;
    VPrimeHead *h = c->parent;
    g_autofree char *why = head_check_loaded(h);
    unsigned p;

    for (p = 0; p < VPRIME_DISP_PLANES_V1 && !why; p++) {
        why = plane_check_loaded(h, p, c->npages[p]);
    }
    if (why) {
        vprime_head_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: %s", h->idx,
                                  why);
    }
    for (p = 0; p < VPRIME_DISP_PLANES_V1; p++) {
        h->plane[p].npages = c->npages[p];
    }
    return 0;
}

static const VMStateDescription vmstate_vprime_head_pages = {
    .name = "vprime-display-head-pages",
    .pre_save = vprime_head_pages_pre_save,
    .post_load = vprime_head_pages_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(npages, VPrimeHeadPageCounts,
                             VPRIME_DISP_PLANES_V1),
        VMSTATE_END_OF_LIST()
    }
};

/* The second overlay's page count, checked as the other planes' are */
typedef struct VPrimeOverlay2Pages {
    VPrimeHead *parent;
    uint32_t npages;
} VPrimeOverlay2Pages;

static int vprime_overlay2_pages_pre_save(void *opaque)
{
    VPrimeOverlay2Pages *c = opaque;

    c->npages = c->parent->plane[VPRIME_PLANE_OVERLAY2].npages;
    return 0;
}

static int vprime_overlay2_pages_post_load(void *opaque, int version_id)
{
    VPrimeOverlay2Pages *c = opaque;
    VPrimeHead *h = c->parent;
    g_autofree char *why = NULL;

    if (h->plane[VPRIME_PLANE_OVERLAY2].active.control &
        ~vprime_plane_ctrl_valid(VPRIME_PLANE_OVERLAY2)) {
        why = g_strdup_printf("plane %u: CONTROL 0x%x has reserved bits",
                              VPRIME_PLANE_OVERLAY2,
                              h->plane[VPRIME_PLANE_OVERLAY2].active.control);
    } else {
        why = plane_check_loaded(h, VPRIME_PLANE_OVERLAY2, c->npages);
    }
    if (why) {
        vprime_head_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: %s", h->idx,
                                  why);
    }
    h->plane[VPRIME_PLANE_OVERLAY2].npages = c->npages;
    return 0;
}

static const VMStateDescription vmstate_vprime_overlay2_pages = {
    .name = "vprime-display-overlay2-pages",
    .pre_save = vprime_overlay2_pages_pre_save,
    .post_load = vprime_overlay2_pages_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(npages, VPrimeOverlay2Pages),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The second overlay (plane 3): a stream without it has the plane off and
 * its registers 0, as at reset
 */
static bool vprime_head_overlay2_needed(void *opaque)
{
    static const VPrimePlaneRegs zero;
    VPrimeHead *h = opaque;
    const VPrimePlane *pl = &h->plane[VPRIME_PLANE_OVERLAY2];

    return memcmp(&pl->shadow, &zero, sizeof(zero)) ||
           memcmp(&pl->active, &zero, sizeof(zero));
}

static const VMStateDescription vmstate_vprime_head_overlay2 = {
    .name = "vprime-display-head/overlay2",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_overlay2_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(plane[VPRIME_PLANE_OVERLAY2], VPrimeHead, 1,
                       vmstate_vprime_plane, VPrimePlane),
        VMSTATE_WITH_TMP(VPrimeHead, VPrimeOverlay2Pages,
                         vmstate_vprime_overlay2_pages),
        VMSTATE_VARRAY_UINT32_ALLOC(plane[VPRIME_PLANE_OVERLAY2].pages,
                                    VPrimeHead,
                                    plane[VPRIME_PLANE_OVERLAY2].npages, 1,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * A head whose vblank timer is stopped (nothing waits for a vblank) is
 * saved as if it ran: its vblanks counted up to now and the timer set to
 * the next, so that the stream is the one a running timer gives (and
 * loads anywhere).  The timer stops again at that vblank.
 */
static int vprime_head_pre_save(void *opaque)
{
    VPrimeHead *h = opaque;

    if (vprime_head_on(h) && !timer_pending(h->timer)) {
        vprime_head_sync(h);
        timer_mod(h->timer, h->deadline);
    }
    return 0;
}

static int vprime_head_pre_load(void *opaque)
{
    VPrimeHead *h = opaque;
    unsigned p;

    /* a stream without the subsection: the UPDATE latches at the next vblank */
    h->update_ts = 0;
    h->update_lock = false;
    h->flip_frame = 0;
    /* no route subsection: the head drives its own output */
    h->shadow.route = h->active.route = BIT(h->idx);
    /* no output-bpc subsection: the link is 8 bits, as before there was one */
    h->shadow.output_bpc = h->active.output_bpc = VPRIME_BPC_DEFAULT;
    memset(&h->colour, 0, sizeof(h->colour));   /* no colour subsection */
    vprime_wb_reset(h);                         /* no writeback subsection */
    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        vprime_plane_set_pages(&h->plane[p], NULL, 0);
    }
    /* planes past VPRIME_DISP_PLANES_V1 come in subsections, if at all */
    for (p = VPRIME_DISP_PLANES_V1; p < VPRIME_DISP_PLANES; p++) {
        h->plane[p].shadow = (VPrimePlaneRegs) { 0 };
        h->plane[p].active = (VPrimePlaneRegs) { 0 };
    }
    return 0;
}

/*
 * The latched pages themselves, then the head as a whole.  The composed
 * frame lives on the host: rebuild it at the next vblank.
 */
static int vprime_head_post_load(void *opaque, int version_id)
{
    VPrimeHead *h = opaque;
    const char *why = NULL;
    unsigned p, f;
    uint32_t i;

    for (p = 0; p < VPRIME_DISP_PLANES; p++) {
        VPrimePlane *pl = &h->plane[p];

        for (i = 0; i < pl->npages; i++) {
            if (vprime_disp_page_check(h->s, pl->pages[i], &why)) {
                uint64_t page = pl->pages[i];

                vprime_head_reset(h);
                return vprime_load_refuse(h->s->core.name, "head %u plane "
                                          "%u: page %u (0x%" PRIx64 "): %s",
                                          h->idx, p, i, page, why);
            }
        }
        for (f = 0; f < VPRIME_FBP_PLANES - 1; f++) {
            for (i = 0; i < pl->fbp_npages[f]; i++) {
                uint64_t page = pl->fbp_pages[f][i];

                if (vprime_disp_page_check(h->s, page, &why)) {
                    vprime_head_reset(h);
                    return vprime_load_refuse(h->s->core.name, "head %u "
                                              "plane %u framebuffer plane "
                                              "%u: page %u (0x%" PRIx64
                                              "): %s", h->idx, p, f + 1, i,
                                              page, why);
                }
            }
        }
    }
    if (vprime_head_driven(h) & ~MAKE_64BIT_MASK(0, h->s->heads)) {
        uint32_t route = h->active.route;

        vprime_head_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: ROUTE 0x%x "
                                  "names an output beyond the %u heads",
                                  h->idx, route, h->s->heads);
    }
    vprime_head_show_edid(h);   /* 'connected' came with the stream */
    vprime_disp_drop_maps(h);   /* guest memory may differ under them */
    if (vprime_head_on(h)) {
        vprime_disp_set_mode(h);
        h->dirty = true;
    } else {
        vprime_disp_release_mode(h);
    }
    vprime_disp_present(h);
    return 0;
}

/*
 * When a pending UPDATE was written.  It is never later than the clock,
 * and the clock runs at most a little past the next deadline before the
 * vblank timer fires: a second is a stalled main loop.
 */
#define VPRIME_DISP_UPDATE_LATE_MAX_NS  NANOSECONDS_PER_SECOND

static bool vprime_head_update_ts_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->pending;
}

static int vprime_head_update_ts_post_load(void *opaque, int version_id)
{
    VPrimeHead *h = opaque;
    int64_t ts = h->update_ts;

    if (!h->pending || ts < 0 || !vprime_head_on(h) ||
        ts > h->deadline + VPRIME_DISP_UPDATE_LATE_MAX_NS) {
        vprime_head_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: the time of "
                                  "the pending UPDATE (%" PRId64 " ns) is "
                                  "not one before the next vblank (%"
                                  PRId64 " ns)", h->idx, ts, h->deadline);
    }
    return 0;
}

static const VMStateDescription vmstate_vprime_head_update_ts = {
    .name = "vprime-display-head/update-ts",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_update_ts_needed,
    .post_load = vprime_head_update_ts_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(update_ts, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/* FRAME at the latest latch; a stream without it reads 0 until the next */
static bool vprime_head_flip_frame_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->flip_frame != 0;
}

static const VMStateDescription vmstate_vprime_head_flip_frame = {
    .name = "vprime-display-head/flip-frame",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_flip_frame_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(flip_frame, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The crossbar (CAP_CROSSBAR): ROUTE as written and as latched, sent only
 * when either is not the identity (the head drives its own output); a
 * stream without it has every head on its own output, as before there
 * was a crossbar.  Outputs two heads claim are refused by the device's
 * post_load, once every head is loaded.
 */
static bool vprime_head_route_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->shadow.route != BIT(h->idx) || h->active.route != BIT(h->idx);
}

static const VMStateDescription vmstate_vprime_head_route = {
    .name = "vprime-display-head/route",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_route_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.route, VPrimeHead),
        VMSTATE_UINT32(active.route, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * UPDATE_LOCK held at the save: the guest is between its lock and its
 * release, which it does after the migration; without the subsection the
 * lock is free, as it was before there was one
 */
static bool vprime_head_update_lock_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->update_lock;
}

static const VMStateDescription vmstate_vprime_head_update_lock = {
    .name = "vprime-display-head/update-lock",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_update_lock_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(update_lock, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Variable refresh: the VRR registers as written and latched, and the
 * start of the frame being scanned (a VRR frame ends one shortest period
 * after it at the earliest).  Sent while any VRR register is set.
 */
static bool vprime_head_vrr_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->shadow.vrr_control || h->shadow.vrr_min_refresh ||
           h->active.vrr_control || h->active.vrr_min_refresh;
}

static const VMStateDescription vmstate_vprime_head_vrr = {
    .name = "vprime-display-head/vrr",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_vrr_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.vrr_control, VPrimeHead),
        VMSTATE_UINT32(shadow.vrr_min_refresh, VPrimeHead),
        VMSTATE_UINT32(active.vrr_control, VPrimeHead),
        VMSTATE_UINT32(active.vrr_min_refresh, VPrimeHead),
        VMSTATE_INT64(frame_start, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The link's colour depth as written and latched, sent when either is not
 * the reset's 8 bits; a stream without it has 8-bit links, as before
 * there was the register
 */
static bool vprime_head_output_bpc_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->shadow.output_bpc != VPRIME_BPC_DEFAULT ||
           h->active.output_bpc != VPRIME_BPC_DEFAULT;
}

static const VMStateDescription vmstate_vprime_head_output_bpc = {
    .name = "vprime-display-head/output-bpc",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_output_bpc_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(shadow.output_bpc, VPrimeHead),
        VMSTATE_UINT32(active.output_bpc, VPrimeHead),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The head's share of the engine's DMA reads (head<N>-bytes-read-*), sent
 * once it has read anything; a stream without it has read nothing yet
 */
static bool vprime_head_read_stats_needed(void *opaque)
{
    VPrimeHead *h = opaque;
    unsigned i;

    for (i = 0; i < VPRIME_DMA__MAX; i++) {
        if (h->stat_read[i]) {
            return true;
        }
    }
    return false;
}

static const VMStateDescription vmstate_vprime_head_read_stats = {
    .name = "vprime-display-head/read-stats",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_read_stats_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(stat_read, VPrimeHead, VPRIME_DMA__MAX),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * The colour pipeline: registers as written and latched, and the tables
 * as latched (the engine read them once, like the page lists)
 */
static bool vprime_head_colour_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return h->colour.shadow.control || h->colour.shadow.addr ||
           h->colour.active.control;
}

static int vprime_head_colour_post_load(void *opaque, int version_id)
{
    VPrimeHead *h = opaque;
    const char *why = vprime_colour_check(h);

    if (why) {
        vprime_head_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: %s", h->idx,
                                  why);
    }
    return 0;       /* the head's post_load composes a head that is on */
}

static const VMStateDescription vmstate_vprime_head_colour = {
    .name = "vprime-display-head/colour",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_head_colour_needed,
    .post_load = vprime_head_colour_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(colour.shadow.control, VPrimeHead),
        VMSTATE_UINT64(colour.shadow.addr, VPrimeHead),
        VMSTATE_UINT32(colour.active.control, VPrimeHead),
        VMSTATE_UINT64(colour.active.addr, VPrimeHead),
        VMSTATE_UINT16_ARRAY(colour.degamma, VPrimeHead,
                             VPRIME_COLOUR_LUT_SIZE * 3),
        VMSTATE_UINT16_ARRAY(colour.gamma, VPrimeHead,
                             VPRIME_COLOUR_LUT_SIZE * 3),
        VMSTATE_UINT64_ARRAY(colour.ctm, VPrimeHead, 9),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * A head migrates whole: shadow and latched registers, the page lists as
 * latched (the engine read them once; the guest may since have reused
 * that memory), the vblank timer, the connector, an injected unplug's
 * pending replug and the counters.
 */
static const VMStateDescription vmstate_vprime_head = {
    .name = "vprime-display-head",
    .version_id = 2,
    .minimum_version_id = 2,
    .pre_save = vprime_head_pre_save,
    .pre_load = vprime_head_pre_load,
    .post_load = vprime_head_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(shadow, VPrimeHead, 1, vmstate_vprime_head_regs,
                       VPrimeHeadRegs),
        VMSTATE_STRUCT(active, VPrimeHead, 1, vmstate_vprime_head_regs,
                       VPrimeHeadRegs),
        VMSTATE_STRUCT_SUB_ARRAY(plane, VPrimeHead, 0, VPRIME_DISP_PLANES_V1,
                                 1, vmstate_vprime_plane, VPrimePlane),
        VMSTATE_BOOL(pending, VPrimeHead),
        VMSTATE_UINT32(events, VPrimeHead),
        VMSTATE_UINT32(event_enable, VPrimeHead),
        VMSTATE_UINT32(frame, VPrimeHead),
        VMSTATE_UINT64(vblank_ts, VPrimeHead),
        VMSTATE_UINT32(crc_control, VPrimeHead),
        VMSTATE_UINT32(crc, VPrimeHead),
        VMSTATE_UINT32(crc_frame, VPrimeHead),
        VMSTATE_UINT32(error, VPrimeHead),
        VMSTATE_BOOL(dirty, VPrimeHead),
        VMSTATE_INT64(deadline, VPrimeHead),
        VMSTATE_BOOL(connected, VPrimeHead),
        VMSTATE_TIMER_PTR(timer, VPrimeHead),
        VMSTATE_WITH_TMP(VPrimeHead, VPrimeHeadPageCounts,
                         vmstate_vprime_head_pages),
        VMSTATE_VARRAY_UINT32_ALLOC(plane[VPRIME_PLANE_PRIMARY].pages,
                                    VPrimeHead,
                                    plane[VPRIME_PLANE_PRIMARY].npages, 1,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_VARRAY_UINT32_ALLOC(plane[VPRIME_PLANE_OVERLAY].pages,
                                    VPrimeHead,
                                    plane[VPRIME_PLANE_OVERLAY].npages, 1,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_VARRAY_UINT32_ALLOC(plane[VPRIME_PLANE_CURSOR].pages,
                                    VPrimeHead,
                                    plane[VPRIME_PLANE_CURSOR].npages, 1,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_UINT64(replug_in, VPrimeHead),
        VMSTATE_UINT64(stat_frames_composed, VPrimeHead),
        VMSTATE_UINT64(stat_flips, VPrimeHead),
        VMSTATE_UINT64(stat_vblanks, VPrimeHead),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vprime_head_update_ts,
        &vmstate_vprime_head_flip_frame,
        &vmstate_vprime_head_colour,
        &vmstate_vprime_head_overlay2,
        &vmstate_vprime_head_update_lock,
        &vmstate_vprime_head_writeback,
        &vmstate_vprime_head_route,
        &vmstate_vprime_head_vrr,
        &vmstate_vprime_head_output_bpc,
        &vmstate_vprime_head_read_stats,
        NULL
    }
};

/* The stream must have as many heads as this engine */
typedef struct VPrimeDisplayConfig {
    VPrimeDisplayState *parent;
    uint32_t heads;
} VPrimeDisplayConfig;

static int vprime_display_config_pre_save(void *opaque)
{
    VPrimeDisplayConfig *c = opaque;

    c->heads = c->parent->heads;
    return 0;
}

static int vprime_display_config_post_load(void *opaque, int version_id)
{
    VPrimeDisplayConfig *c = opaque;

    if (c->heads != c->parent->heads) {
        return vprime_load_refuse(c->parent->core.name, "saved from an "
                                  "engine with %u heads; this one has "
                                  "heads=%u", c->heads, c->parent->heads);
    }
    return 0;
}

static const VMStateDescription vmstate_vprime_display_config = {
    .name = "vprime-display-config",
    .pre_save = vprime_display_config_pre_save,
    .post_load = vprime_display_config_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(heads, VPrimeDisplayConfig),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Every head loaded: no output driven by two heads that are on (the
 * latch's ROUTE_BUSY check); then every console shows what its output's
 * pipe, now loaded, has
 */
static int vprime_display_post_load(void *opaque, int version_id)
{
    VPrimeDisplayState *s = opaque;
    uint32_t driven = 0;
    unsigned i;

    for (i = 0; i < s->heads; i++) {
        uint32_t d = vprime_head_driven(&s->head[i]);

        /*
         * PMCSR came with config space: a stopped engine has every head
         * off.  Refused, the engine is left stopped, as after a reset.
         */
        if (d && vprime_core_powered_down(&s->core)) {
            vprime_display_reset(s);
            return vprime_load_refuse(s->core.name, "head %u is on in "
                                      "D3hot", i);
        }

        if (d & driven) {
            return vprime_load_refuse(s->core.name, "head %u drives outputs "
                                      "0x%x, some of which another head "
                                      "drives", i, d);
        }
        driven |= d;
    }
    vprime_disp_present_outputs(s, MAKE_64BIT_MASK(0, s->heads));
    return 0;
}

/* PM_D3_COUNT, sent when not 0; without it, it reads 0 */
static bool vprime_display_pm_needed(void *opaque)
{
    VPrimeDisplayState *s = opaque;

    return s->pm_d3_count != 0;
}

static const VMStateDescription vmstate_vprime_display_pm = {
    .name = "vprime-display/pm",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = vprime_display_pm_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(pm_d3_count, VPrimeDisplayState),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Not migrated: the fault injector's scripts, seed, progress and log,
 * and the frames themselves (host memory, composed again).
 */
static const VMStateDescription vmstate_vprime_display = {
    .name = "vprime-display",
    .version_id = 3,
    .minimum_version_id = 2,
    .post_load = vprime_display_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, VPrimeDisplayState),
        VMSTATE_MSIX(parent_obj, VPrimeDisplayState),
        VMSTATE_VPRIME_CORE(core, VPrimeDisplayState),
        VMSTATE_UINT32(clock_hi, VPrimeDisplayState),
        VMSTATE_WITH_TMP(VPrimeDisplayState, VPrimeDisplayConfig,
                         vmstate_vprime_display_config),
        VMSTATE_STRUCT_VARRAY_UINT32(head, VPrimeDisplayState, heads, 1,
                                     vmstate_vprime_head, VPrimeHead),
        VMSTATE_UINT64(stat_vblanks, VPrimeDisplayState),
        VMSTATE_UINT64(stat_flips, VPrimeDisplayState),
        VMSTATE_UINT64(stat_frames_composed, VPrimeDisplayState),
        VMSTATE_UINT64(stat_underruns, VPrimeDisplayState),
        VMSTATE_UINT64_ARRAY(stat_read, VPrimeDisplayState, VPRIME_DMA__MAX),
        /* version 3: a version 2 stream loads with stat-bytes-copied 0 */
        VMSTATE_UINT64_V(stat_copied, VPrimeDisplayState, 3),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_vprime_display_pm,
        NULL
    }
};

static const Property vprime_display_properties[] = {
    DEFINE_PROP_UINT32("heads", VPrimeDisplayState, heads, VPRIME_HEADS_MIN),
    DEFINE_PROP_BOOL("contiguous-only", VPrimeDisplayState, contiguous_only,
                     false),
    DEFINE_PROP_UINT32("dma-bits", VPrimeDisplayState, dma_bits,
                       VPRIME_DISP_DMA_BITS_MAX),
    DEFINE_PROP_BOOL("genlock", VPrimeDisplayState, genlock, false),
    DEFINE_PROP_STRING("output-types", VPrimeDisplayState, output_types),
    DEFINE_EDID_PROPERTIES(VPrimeDisplayState, edid_info),
};

static void vprime_display_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    pc->realize = vprime_display_realize;
    pc->exit = vprime_display_exit;
    pc->config_write = vprime_display_config_write;
    pc->device_id = VPRIME_PCI_DEVICE_ID_DISPLAY;
    pc->class_id = VPRIME_PCI_CLASS_DISPLAY;
    vprime_core_class_init(pc);
    rc->phases.hold = vprime_display_reset_hold;
    dc->vmsd = &vmstate_vprime_display;
    dc->desc = "vprime display (scanout) engine";
    device_class_set_props(dc, vprime_display_properties);
    set_bit(DEVICE_CATEGORY_DISPLAY, dc->categories);
}

static const TypeInfo vprime_display_types[] = {
    {
        .name          = TYPE_VPRIME_DISPLAY,
        .parent        = TYPE_PCI_DEVICE,
        .instance_size = sizeof(VPrimeDisplayState),
        .instance_init = vprime_display_instance_init,
        .instance_finalize = vprime_display_instance_finalize,
        .class_init    = vprime_display_class_init,
        .interfaces    = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(vprime_display_types)
