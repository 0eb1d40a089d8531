/*
 * vprime-display writeback: per head, a one-shot job that writes the
 * composed frame (after colour: the pixels the CRC covers and the console
 * shows) by DMA into a guest buffer, as DRM's writeback connectors do.
 *
 * The job is programmed in shadow registers (VPRIME_HEAD_WB_*) and latched
 * by an UPDATE with the planes, which consumes WB_CONTROL's ENABLE: one
 * UPDATE, one job.  The latch checks the job and reads its page list once,
 * as it does a plane's; the frame that latch shows is written when it is
 * composed, at the same vblank.  Every job ends with EV_WB_DONE and
 * WB_STATUS saying whether the frame was written whole (DONE) or the job
 * was refused or its DMA failed (ERROR): never a partial success.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_device.h"
#include "migration/vmstate.h"
#include "system/dma.h"
#include "vprime-display.h"

/* Does [addr, addr + len) lie below 2^dma-bits (len > 0)? */
static bool wb_reachable(VPrimeDisplayState *s, uint64_t addr, uint64_t len)
{
    uint64_t last = addr + len - 1;

    return last >= addr && (s->dma_bits >= 64 || !(last >> s->dma_bits));
}

void vprime_wb_drop_pages(VPrimeHead *h)
{
    g_free(h->wb.pages);
    h->wb.pages = NULL;
    h->wb.npages = 0;
}

/*
 * End the job: EV_WB_DONE, with WB_STATUS DONE, or ERROR and the reason,
 * also reported as a refusal is (HEAD_ERROR, EV_ERROR) unless why is NULL:
 * the UPDATE that took the job was refused, and reported, already
 */
static void wb_end(VPrimeHead *h, uint32_t reason, hwaddr reg,
                   const char *why)
{
    VPrimeDisplayState *s = h->s;

    h->wb.pending = false;
    h->wb.active = (VPrimeWbRegs) { 0 };
    vprime_wb_drop_pages(h);
    if (reason) {
        h->wb.status = VPRIME_WB_STATUS_ERROR |
                       reason << VPRIME_WB_STATUS_ERR_SHIFT;
    }
    if (reason && why) {
        h->error = reason |
                   VPRIME_HEAD_ERR_PLANE_HEAD << VPRIME_HEAD_ERR_PLANE_SHIFT;
        vprime_head_event(h, VPRIME_HEAD_EV_ERROR);
        vprime_core_guest_error(&s->core, VPRIME_ERR_DISPLAY,
                                VPRIME_HEAD_BASE(h->idx) + reg,
                                "head %u: writeback: %s", h->idx, why);
    } else if (!reason) {
        h->wb.status = VPRIME_WB_STATUS_DONE;
    }
    vprime_head_event(h, VPRIME_HEAD_EV_WB_DONE);
}

/* The job's registers against the latched mode; no guest memory read */
static uint32_t wb_check(VPrimeHead *h, const VPrimeWbRegs *r, hwaddr *reg,
                         const char **why)
{
    VPrimeDisplayState *s = h->s;
    uint32_t w = VPRIME_X(r->size), ht = VPRIME_Y(r->size);

    *reg = VPRIME_HEAD_WB_CONTROL;
    if (r->control & ~VPRIME_WB_CTRL_VALID_MASK) {
        *why = "reserved WB_CONTROL bits";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    if (!vprime_head_on(h)) {
        *why = "job on a head that is off";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    if (!(r->control & VPRIME_WB_CTRL_CONTIG) &&
        !(s->caps & VPRIME_DISP_CAP_SCATTER)) {
        *why = "page list on a contiguous-only engine";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_FORMAT;
    if (r->format != VPRIME_FMT_XRGB8888 && r->format != VPRIME_FMT_ARGB8888) {
        *why = "format neither XRGB8888 nor ARGB8888";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_SIZE;
    if (r->size != h->active.mode_size) {
        *why = "size other than the mode's";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_PITCH;
    if (r->pitch < w * 4 || r->pitch % 4) {
        *why = "pitch smaller than a row or not a pixel multiple";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_FB_SIZE;
    if (!r->fb_size || r->fb_size > VPRIME_DISP_FB_MAX) {
        *why = "buffer size zero or above VPRIME_DISP_FB_MAX";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_OFFSET;
    if (r->offset + (uint64_t)(ht - 1) * r->pitch + w * 4 > r->fb_size) {
        *why = "frame outside the buffer";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    *reg = VPRIME_HEAD_WB_ADDR_LO;
    if (r->control & VPRIME_WB_CTRL_CONTIG) {
        if (r->addr % VPRIME_DISP_PAGE_SIZE) {
            *why = "contiguous buffer not 4 KiB aligned";
            return VPRIME_HEAD_ERR_WB_CONFIG;
        }
        if (!wb_reachable(s, r->addr, r->fb_size)) {
            *why = "buffer beyond the DMA address bits";
            return VPRIME_HEAD_ERR_WB_CONFIG;
        }
        return 0;
    }
    if (r->addr % sizeof(uint64_t)) {
        *why = "page list not 8-byte aligned";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    if (!wb_reachable(s, r->addr, DIV_ROUND_UP(r->fb_size,
                                               VPRIME_DISP_PAGE_SIZE) * 8ull)) {
        *why = "page list beyond the DMA address bits";
        return VPRIME_HEAD_ERR_WB_CONFIG;
    }
    return 0;
}

/* The page list, read once at latch, every page checked */
static uint32_t wb_read_pages(VPrimeHead *h, const VPrimeWbRegs *r,
                              const char **why)
{
    VPrimeDisplayState *s = h->s;
    uint32_t n = DIV_ROUND_UP(r->fb_size, VPRIME_DISP_PAGE_SIZE), i;
    g_autofree uint64_t *list = g_new(uint64_t, n);

    if (pci_dma_read(PCI_DEVICE(s), r->addr, list, n * sizeof(uint64_t)) !=
        MEMTX_OK) {
        *why = "page list not readable by DMA";
        return VPRIME_HEAD_ERR_WB_DMA;
    }
    vprime_head_count_read(h, vprime_core_dma_target(&s->core, r->addr, false),
                           n * sizeof(uint64_t));
    for (i = 0; i < n; i++) {
        list[i] = le64_to_cpu(list[i]);
        if (vprime_disp_page_check(s, list[i], why)) {
            return VPRIME_HEAD_ERR_WB_CONFIG;
        }
    }
    h->wb.pages = g_steal_pointer(&list);
    h->wb.npages = n;
    return 0;
}

void vprime_wb_latch(VPrimeHead *h, bool accepted)
{
    VPrimeWbRegs r = h->wb.shadow;
    const char *why = NULL;     /* the UPDATE refused: reported already */
    hwaddr reg = VPRIME_HEAD_WB_CONTROL;
    uint32_t reason;

    if (h->wb.pending) {
        /* its frame was never composed (the host had no frame) */
        wb_end(h, VPRIME_HEAD_ERR_WB_DMA, VPRIME_HEAD_WB_CONTROL,
               "no frame was composed for the job");
    }
    if (!(r.control & VPRIME_WB_CTRL_ENABLE)) {
        return;
    }
    h->wb.shadow.control &= ~VPRIME_WB_CTRL_ENABLE;     /* one-shot */
    reason = accepted ? wb_check(h, &r, &reg, &why) : VPRIME_HEAD_ERR_WB_CONFIG;
    if (!reason && !(r.control & VPRIME_WB_CTRL_CONTIG)) {
        reason = wb_read_pages(h, &r, &why);
    }
    if (reason) {
        wb_end(h, reason, reg, why);
        return;
    }
    h->wb.active = r;
    h->wb.pending = true;
}

/* Write len bytes at offset off of the job's buffer; false on a DMA error */
static bool wb_write(VPrimeHead *h, uint64_t off, const uint8_t *buf,
                     uint32_t len)
{
    VPrimeDisplayState *s = h->s;
    const VPrimeWbRegs *r = &h->wb.active;

    while (len) {
        uint32_t n = len;
        dma_addr_t addr;

        if (r->control & VPRIME_WB_CTRL_CONTIG) {
            addr = r->addr + off;
        } else {
            n = MIN(len, VPRIME_DISP_PAGE_SIZE - off % VPRIME_DISP_PAGE_SIZE);
            addr = h->wb.pages[off / VPRIME_DISP_PAGE_SIZE] +
                   off % VPRIME_DISP_PAGE_SIZE;
        }
        if (pci_dma_write(PCI_DEVICE(s), addr, buf, n) != MEMTX_OK) {
            return false;
        }
        off += n;
        buf += n;
        len -= n;
    }
    return true;
}

void vprime_wb_run(VPrimeHead *h)
{
    const VPrimeWbRegs *r = &h->wb.active;
    pixman_image_t *src, *line;
    uint32_t w = VPRIME_X(r->size), ht = VPRIME_Y(r->size), x, y;
    g_autofree uint32_t *row = NULL;

    if (!h->wb.pending || !h->fb_composed) {
        return;
    }
    /* what the frame is: the composed frame, or the memory shown instead */
    src = h->alias ? h->alias_img : h->fb;
    h->wb.frame = h->frame;
    row = g_new(uint32_t, w);
    line = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, 1, row, w * 4);
    for (y = 0; y < ht; y++) {
        const uint32_t *px = row;

        if (pixman_image_get_format(src) == PIXMAN_x8r8g8b8) {
            px = (const uint32_t *)((uint8_t *)pixman_image_get_data(src) +
                                    y * pixman_image_get_stride(src));
        } else {
            pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, line, 0, y,
                                     0, 0, 0, 0, w, 1);
        }
        /* the frame is opaque: alpha (or X) 0xff */
        for (x = 0; x < w; x++) {
            row[x] = cpu_to_le32(px[x] | 0xff000000u);
        }
        if (!wb_write(h, r->offset + (uint64_t)y * r->pitch,
                      (const uint8_t *)row, w * 4)) {
            pixman_image_unref(line);
            wb_end(h, VPRIME_HEAD_ERR_WB_DMA, VPRIME_HEAD_WB_ADDR_LO,
                   "buffer not writable by DMA");
            return;
        }
    }
    pixman_image_unref(line);
    wb_end(h, 0, 0, NULL);
}

bool vprime_wb_read(VPrimeHead *h, hwaddr reg, uint64_t *val)
{
    const VPrimeWbRegs *r = &h->wb.shadow;

    switch (reg) {
    case VPRIME_HEAD_WB_CONTROL:
        *val = r->control;
        return true;
    case VPRIME_HEAD_WB_FORMAT:
        *val = r->format;
        return true;
    case VPRIME_HEAD_WB_PITCH:
        *val = r->pitch;
        return true;
    case VPRIME_HEAD_WB_ADDR_LO:
        *val = (uint32_t)r->addr;
        return true;
    case VPRIME_HEAD_WB_ADDR_HI:
        *val = r->addr >> 32;
        return true;
    case VPRIME_HEAD_WB_FB_SIZE:
        *val = r->fb_size;
        return true;
    case VPRIME_HEAD_WB_OFFSET:
        *val = r->offset;
        return true;
    case VPRIME_HEAD_WB_SIZE:
        *val = r->size;
        return true;
    case VPRIME_HEAD_WB_STATUS:
        *val = h->wb.status | (h->wb.pending ? VPRIME_WB_STATUS_PENDING : 0);
        return true;
    case VPRIME_HEAD_WB_FRAME:
        *val = h->wb.frame;
        return true;
    }
    return false;
}

bool vprime_wb_write(VPrimeHead *h, hwaddr reg, uint64_t val)
{
    VPrimeWbRegs *r = &h->wb.shadow;

    switch (reg) {
    case VPRIME_HEAD_WB_CONTROL:
        r->control = val;
        return true;
    case VPRIME_HEAD_WB_FORMAT:
        r->format = val;
        return true;
    case VPRIME_HEAD_WB_PITCH:
        r->pitch = val;
        return true;
    case VPRIME_HEAD_WB_ADDR_LO:
        r->addr = deposit64(r->addr, 0, 32, val);
        return true;
    case VPRIME_HEAD_WB_ADDR_HI:
        r->addr = deposit64(r->addr, 32, 32, val);
        return true;
    case VPRIME_HEAD_WB_FB_SIZE:
        r->fb_size = val;
        return true;
    case VPRIME_HEAD_WB_OFFSET:
        r->offset = val;
        return true;
    case VPRIME_HEAD_WB_SIZE:
        r->size = val;
        return true;
    }
    return false;
}

void vprime_wb_reset(VPrimeHead *h)
{
    vprime_wb_drop_pages(h);
    memset(&h->wb, 0, sizeof(h->wb));
}

/* ---- migration -------------------------------------------------------- */

/*
 * Sent while a job is programmed (shadow ENABLE), latched and waiting for
 * its frame, or ended with WB_DONE not yet acknowledged: the guest still
 * has to read its WB_STATUS
 */
static bool wb_needed(void *opaque)
{
    VPrimeHead *h = opaque;

    return (h->wb.shadow.control & VPRIME_WB_CTRL_ENABLE) || h->wb.pending ||
           (h->events & VPRIME_HEAD_EV_WB_DONE);
}

static int wb_pre_load(void *opaque)
{
    vprime_wb_reset(opaque);
    return 0;
}

static int wb_post_load(void *opaque, int version_id)
{
    VPrimeHead *h = opaque;
    const VPrimeWbRegs *r = &h->wb.active;
    const char *why = NULL;
    hwaddr reg;

    if (h->wb.pending) {
        if (wb_check(h, r, &reg, &why)) {
            /* why is set */
        } else if (!(r->control & VPRIME_WB_CTRL_ENABLE)) {
            why = "a pending job without ENABLE";
        } else if (h->wb.npages != ((r->control & VPRIME_WB_CTRL_CONTIG) ? 0 :
                   DIV_ROUND_UP(r->fb_size, VPRIME_DISP_PAGE_SIZE))) {
            why = "a page list of the wrong length";
        }
    } else if (h->wb.npages) {
        why = "a page list without a job";
    }
    if (why) {
        vprime_wb_reset(h);
        return vprime_load_refuse(h->s->core.name, "head %u: writeback: %s",
                                  h->idx, why);
    }
    if (h->wb.pending) {
        h->dirty = true;    /* its frame is composed at the next vblank */
    }
    return 0;
}

static const VMStateDescription vmstate_vprime_wb_regs = {
    .name = "vprime-display-wb-regs",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(control, VPrimeWbRegs),
        VMSTATE_UINT32(format, VPrimeWbRegs),
        VMSTATE_UINT32(pitch, VPrimeWbRegs),
        VMSTATE_UINT64(addr, VPrimeWbRegs),
        VMSTATE_UINT32(fb_size, VPrimeWbRegs),
        VMSTATE_UINT32(offset, VPrimeWbRegs),
        VMSTATE_UINT32(size, VPrimeWbRegs),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_vprime_head_writeback = {
    .name = "vprime-display-head/writeback",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = wb_needed,
    .pre_load = wb_pre_load,
    .post_load = wb_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(wb.shadow, VPrimeHead, 1, vmstate_vprime_wb_regs,
                       VPrimeWbRegs),
        VMSTATE_STRUCT(wb.active, VPrimeHead, 1, vmstate_vprime_wb_regs,
                       VPrimeWbRegs),
        VMSTATE_BOOL(wb.pending, VPrimeHead),
        VMSTATE_UINT32(wb.status, VPrimeHead),
        VMSTATE_UINT32(wb.frame, VPrimeHead),
        VMSTATE_UINT32(wb.npages, VPrimeHead),
        VMSTATE_VARRAY_UINT32_ALLOC(wb.pages, VPrimeHead, wb.npages, 0,
                                    vmstate_info_uint64, uint64_t),
        VMSTATE_END_OF_LIST()
    }
};
