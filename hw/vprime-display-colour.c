/*
 * vprime-display colour pipeline: per head, a degamma LUT, a colour
 * transformation matrix and a gamma LUT (DRM's DEGAMMA_LUT, CTM and
 * GAMMA_LUT), applied to the composed frame before its CRC is taken.
 *
 * The tables live in guest memory, in a colour block the engine reads by
 * DMA (through the vIOMMU, as every fetch) when it latches an UPDATE, so
 * they are double buffered with the rest of the head.  The arithmetic is
 * integer and exact; hw/vprime-spec.rst ("Colour") states it, and the
 * guest's kms-colour-test recomputes it on the CPU.
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "vprime-display.h"

/* ---- latch ------------------------------------------------------------ */

/* One LUT of the colour block into r, g, b triples in host order */
static bool colour_read_lut(VPrimeHead *h, dma_addr_t addr,
                            uint16_t *out)
{
    VPrimeDisplayState *s = h->s;
    uint16_t raw[VPRIME_COLOUR_LUT_SIZE * 4];
    unsigned i, c;

    if (pci_dma_read(PCI_DEVICE(s), addr, raw, sizeof(raw)) != MEMTX_OK) {
        return false;
    }
    vprime_head_count_read(h, vprime_core_dma_target(&s->core, addr, false),
                           sizeof(raw));
    for (i = 0; i < VPRIME_COLOUR_LUT_SIZE; i++) {
        for (c = 0; c < 3; c++) {
            out[i * 3 + c] = le16_to_cpu(raw[i * 4 + c]);
        }
    }
    return true;
}

uint32_t vprime_colour_latch(VPrimeHead *h, bool on, hwaddr *reg,
                             const char **why)
{
    VPrimeDisplayState *s = h->s;
    VPrimeColour *c = &h->colour;
    const VPrimeColourRegs *n = &c->shadow;
    g_autofree VPrimeColour *next = NULL;
    uint64_t last = n->addr + VPRIME_COLOUR_BLOCK_SIZE - 1;
    unsigned i;

    if (!on) {
        c->active = (VPrimeColourRegs) { 0 };
        return 0;
    }
    *reg = VPRIME_HEAD_COLOUR_CONTROL;
    if (n->control & ~VPRIME_COLOUR_CTRL_VALID_MASK) {
        *why = "reserved COLOUR_CONTROL bits";
        return VPRIME_HEAD_ERR_CONTROL;
    }
    if (!n->control) {
        c->active = *n;
        return 0;
    }
    *reg = VPRIME_HEAD_COLOUR_ADDR_LO;
    if (n->addr % sizeof(uint64_t)) {
        *why = "colour block not 8-byte aligned";
        return VPRIME_HEAD_ERR_COLOUR;
    }
    if (last < n->addr || (s->dma_bits < 64 && (last >> s->dma_bits))) {
        *why = "colour block beyond the DMA address bits";
        return VPRIME_HEAD_ERR_COLOUR;
    }

    next = g_new0(VPrimeColour, 1);
    if ((n->control & VPRIME_COLOUR_CTRL_DEGAMMA) &&
        !colour_read_lut(h, n->addr + VPRIME_COLOUR_DEGAMMA, next->degamma)) {
        *why = "degamma LUT not readable by DMA";
        return VPRIME_HEAD_ERR_COLOUR;
    }
    if ((n->control & VPRIME_COLOUR_CTRL_GAMMA) &&
        !colour_read_lut(h, n->addr + VPRIME_COLOUR_GAMMA, next->gamma)) {
        *why = "gamma LUT not readable by DMA";
        return VPRIME_HEAD_ERR_COLOUR;
    }
    if (n->control & VPRIME_COLOUR_CTRL_CTM) {
        dma_addr_t a = n->addr + VPRIME_COLOUR_CTM;

        if (pci_dma_read(PCI_DEVICE(s), a, next->ctm, sizeof(next->ctm)) !=
            MEMTX_OK) {
            *why = "CTM not readable by DMA";
            return VPRIME_HEAD_ERR_COLOUR;
        }
        vprime_head_count_read(h, vprime_core_dma_target(&s->core, a, false),
                               sizeof(next->ctm));
        for (i = 0; i < ARRAY_SIZE(next->ctm); i++) {
            next->ctm[i] = le64_to_cpu(next->ctm[i]);
        }
    }
    memcpy(c->degamma, next->degamma, sizeof(c->degamma));
    memcpy(c->gamma, next->gamma, sizeof(c->gamma));
    memcpy(c->ctm, next->ctm, sizeof(c->ctm));
    c->active = *n;
    return 0;
}

const char *vprime_colour_check(const VPrimeHead *h)
{
    if (h->colour.active.control & ~VPRIME_COLOUR_CTRL_VALID_MASK) {
        return "reserved bits in the latched COLOUR_CONTROL";
    }
    if (h->colour.active.control && !vprime_head_on(h)) {
        return "a colour pipeline latched on a head that is off";
    }
    return NULL;
}

/* ---- the pipeline ----------------------------------------------------- */

/* An S31.32 sign-magnitude coefficient as the engine uses it */
static int64_t ctm_coeff(uint64_t v)
{
    uint64_t mag = MIN(v & ~(1ull << 63), VPRIME_COLOUR_CTM_MAG_MAX);

    return (v >> 63) ? -(int64_t)mag : (int64_t)mag;
}

/* A 16-bit value to 8 bits, rounded to nearest */
static inline uint32_t to_8bit(uint32_t v)
{
    return (v * 255 + 32767) / 65535;
}

/*
 * The gamma LUT (channel c) at the 16-bit value v: linear interpolation
 * between the two entries around v * 255 / 65535, rounded to nearest
 */
static inline uint32_t gamma_eval(const uint16_t *lut, unsigned c, uint32_t v)
{
    uint32_t pos = v * (VPRIME_COLOUR_LUT_SIZE - 1);
    uint32_t i = pos / 65535, f = pos % 65535;

    if (i >= VPRIME_COLOUR_LUT_SIZE - 1) {
        return lut[(VPRIME_COLOUR_LUT_SIZE - 1) * 3 + c];
    }
    return ((uint64_t)lut[i * 3 + c] * (65535 - f) +
            (uint64_t)lut[(i + 1) * 3 + c] * f + 32767) / 65535;
}

/* The last stage: gamma (if on) of a 16-bit value, then 8 bits */
static inline uint32_t colour_out(const VPrimeColour *col, unsigned c,
                                  uint32_t v)
{
    if (col->active.control & VPRIME_COLOUR_CTRL_GAMMA) {
        v = gamma_eval(col->gamma, c, v);
    }
    return to_8bit(v);
}

void vprime_colour_apply(VPrimeHead *h)
{
    const VPrimeColour *col = &h->colour;
    uint32_t ctl = col->active.control;
    pixman_image_t *fb = h->fb;
    uint8_t *data;
    int w, ht, stride, x, y;
    uint32_t in[3][256];        /* 8-bit channel to 16 bits (degamma) */
    uint8_t out[3][256];        /* without the CTM: the whole pipeline */
    int64_t m[9];
    unsigned c, i;

    if (!ctl || !fb) {
        return;
    }
    for (c = 0; c < 3; c++) {
        for (i = 0; i < 256; i++) {
            in[c][i] = (ctl & VPRIME_COLOUR_CTRL_DEGAMMA) ?
                       col->degamma[i * 3 + c] : i * 257;
            out[c][i] = colour_out(col, c, in[c][i]);
        }
    }
    for (i = 0; i < 9; i++) {
        m[i] = ctm_coeff(col->ctm[i]);
    }

    data = (uint8_t *)pixman_image_get_data(fb);
    stride = pixman_image_get_stride(fb);
    w = pixman_image_get_width(fb);
    ht = pixman_image_get_height(fb);
    for (y = 0; y < ht; y++) {
        uint32_t *px = (uint32_t *)(data + (size_t)y * stride);

        for (x = 0; x < w; x++) {
            uint32_t p = px[x];
            uint32_t r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
            uint32_t o[3];

            if (!(ctl & VPRIME_COLOUR_CTRL_CTM)) {
                o[0] = out[0][r];
                o[1] = out[1][g];
                o[2] = out[2][b];
            } else {
                int64_t d[3] = { in[0][r], in[1][g], in[2][b] };

                for (c = 0; c < 3; c++) {
                    int64_t sum = m[c * 3] * d[0] + m[c * 3 + 1] * d[1] +
                                  m[c * 3 + 2] * d[2];
                    uint32_t v;

                    /* round to nearest, clamp to [0, 65535] */
                    if (sum <= 0) {
                        v = 0;
                    } else {
                        v = MIN((uint64_t)(sum + (1ll << 31)) >> 32, 65535);
                    }
                    o[c] = colour_out(col, c, v);
                }
            }
            px[x] = (p & 0xff000000u) | o[0] << 16 | o[1] << 8 | o[2];
        }
    }
}
