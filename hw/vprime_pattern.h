/* SPDX-License-Identifier: MIT */
/*
 * The picture of the GPUs' PATTERN command (hw/vprime-spec.rst, GPU:
 * engines): the moving gradient VPRIME_PATTERN_XRGB of vprime_regs.h with,
 * on top, the text "FRAME <frame> TAG <tag>" in an 8x16 font, so the frame
 * number and the device tag are readable in a screenshot.
 *
 * One copy for everyone who draws or checks the pattern: the GPU model,
 * the qtests and the guest tests include this header; tests/host/agent.py
 * reads the glyphs and the text's constants from it, and computes the
 * gradient with its own copy of VPRIME_PATTERN_XRGB (gradient_xrgb()).
 * It is not in vprime_regs.h, which holds only defines and fixed-width
 * structs: this is code and data.
 *
 * The glyphs are those of QEMU's ui/vgafont.h (the VGA ROM's 8x16 font),
 * only the characters the text uses.
 */
#ifndef VPRIME_PATTERN_H
#define VPRIME_PATTERN_H

#include "vprime_regs.h"

/* Where the text starts, relative to the rectangle's first pixel */
#define VPRIME_PATTERN_TEXT_X           8
#define VPRIME_PATTERN_TEXT_Y           8
#define VPRIME_FONT_WIDTH               8
#define VPRIME_FONT_HEIGHT              16
/* "FRAME " + 10 digits + " TAG " + 10 digits */
#define VPRIME_PATTERN_TEXT_MAX         31
#define VPRIME_PATTERN_INK              0x00ffffffu     /* a glyph's set bits */
#define VPRIME_PATTERN_PAPER            0x00000000u     /* the rest of its cell */

/* The characters that have a glyph, in the order of the table below */
#define VPRIME_FONT_CHARS               " 0123456789AEFGMRT"

/* Row r (0 at the top) of the glyph of c: bit 7 is the leftmost pixel */
static inline uint8_t vprime_font_row(char c, unsigned int r)
{
    static const uint8_t glyphs[][VPRIME_FONT_HEIGHT] = {
        { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* ' ' */
        { 0x00, 0x00, 0x38, 0x6c, 0xc6, 0xc6, 0xd6, 0xd6,
          0xc6, 0xc6, 0x6c, 0x38, 0x00, 0x00, 0x00, 0x00 }, /* '0' */
        { 0x00, 0x00, 0x18, 0x38, 0x78, 0x18, 0x18, 0x18,
          0x18, 0x18, 0x18, 0x7e, 0x00, 0x00, 0x00, 0x00 }, /* '1' */
        { 0x00, 0x00, 0x7c, 0xc6, 0x06, 0x0c, 0x18, 0x30,
          0x60, 0xc0, 0xc6, 0xfe, 0x00, 0x00, 0x00, 0x00 }, /* '2' */
        { 0x00, 0x00, 0x7c, 0xc6, 0x06, 0x06, 0x3c, 0x06,
          0x06, 0x06, 0xc6, 0x7c, 0x00, 0x00, 0x00, 0x00 }, /* '3' */
        { 0x00, 0x00, 0x0c, 0x1c, 0x3c, 0x6c, 0xcc, 0xfe,
          0x0c, 0x0c, 0x0c, 0x1e, 0x00, 0x00, 0x00, 0x00 }, /* '4' */
        { 0x00, 0x00, 0xfe, 0xc0, 0xc0, 0xc0, 0xfc, 0x06,
          0x06, 0x06, 0xc6, 0x7c, 0x00, 0x00, 0x00, 0x00 }, /* '5' */
        { 0x00, 0x00, 0x38, 0x60, 0xc0, 0xc0, 0xfc, 0xc6,
          0xc6, 0xc6, 0xc6, 0x7c, 0x00, 0x00, 0x00, 0x00 }, /* '6' */
        { 0x00, 0x00, 0xfe, 0xc6, 0x06, 0x06, 0x0c, 0x18,
          0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x00, 0x00 }, /* '7' */
        { 0x00, 0x00, 0x7c, 0xc6, 0xc6, 0xc6, 0x7c, 0xc6,
          0xc6, 0xc6, 0xc6, 0x7c, 0x00, 0x00, 0x00, 0x00 }, /* '8' */
        { 0x00, 0x00, 0x7c, 0xc6, 0xc6, 0xc6, 0x7e, 0x06,
          0x06, 0x06, 0x0c, 0x78, 0x00, 0x00, 0x00, 0x00 }, /* '9' */
        { 0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
          0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00 }, /* 'A' */
        { 0x00, 0x00, 0xfe, 0x66, 0x62, 0x68, 0x78, 0x68,
          0x60, 0x62, 0x66, 0xfe, 0x00, 0x00, 0x00, 0x00 }, /* 'E' */
        { 0x00, 0x00, 0xfe, 0x66, 0x62, 0x68, 0x78, 0x68,
          0x60, 0x60, 0x60, 0xf0, 0x00, 0x00, 0x00, 0x00 }, /* 'F' */
        { 0x00, 0x00, 0x3c, 0x66, 0xc2, 0xc0, 0xc0, 0xde,
          0xc6, 0xc6, 0x66, 0x3a, 0x00, 0x00, 0x00, 0x00 }, /* 'G' */
        { 0x00, 0x00, 0xc6, 0xee, 0xfe, 0xfe, 0xd6, 0xc6,
          0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00 }, /* 'M' */
        { 0x00, 0x00, 0xfc, 0x66, 0x66, 0x66, 0x7c, 0x6c,
          0x66, 0x66, 0x66, 0xe6, 0x00, 0x00, 0x00, 0x00 }, /* 'R' */
        { 0x00, 0x00, 0x7e, 0x7e, 0x5a, 0x18, 0x18, 0x18,
          0x18, 0x18, 0x18, 0x3c, 0x00, 0x00, 0x00, 0x00 }, /* 'T' */
    };
    static const char chars[] = VPRIME_FONT_CHARS;
    unsigned int i;

    _Static_assert(sizeof(glyphs) / sizeof(glyphs[0]) == sizeof(chars) - 1,
                   "one glyph per character of VPRIME_FONT_CHARS");
    for (i = 0; i < sizeof(chars) - 1; i++) {
        if (chars[i] == c) {
            return r < VPRIME_FONT_HEIGHT ? glyphs[i][r] : 0;
        }
    }
    return 0;
}

/* Append v in decimal, no leading zeros */
static inline unsigned int vprime_pattern_decimal(char *p, uint32_t v)
{
    char d[10];
    unsigned int n = 0, i;

    do {
        d[n++] = '0' + v % 10;
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++) {
        p[i] = d[n - 1 - i];
    }
    return n;
}

/* The text of a PATTERN, not terminated; returns its length */
static inline unsigned int vprime_pattern_text(uint32_t frame, uint32_t tag,
                                               char text[VPRIME_PATTERN_TEXT_MAX])
{
    static const char f[] = "FRAME ", t[] = " TAG ";
    unsigned int n = 0, i;

    for (i = 0; i < sizeof(f) - 1; i++) {
        text[n++] = f[i];
    }
    n += vprime_pattern_decimal(text + n, frame);
    for (i = 0; i < sizeof(t) - 1; i++) {
        text[n++] = t[i];
    }
    return n + vprime_pattern_decimal(text + n, tag);
}

/*
 * PATTERN's pixel (x, y) of its rectangle, XRGB8888: in the text's cells
 * ink or paper by the glyph, elsewhere the gradient.  Pixels outside the
 * rectangle are not drawn, so a small rectangle clips the text.
 */
static inline uint32_t vprime_pattern_pixel(uint32_t frame, uint32_t tag,
                                            uint32_t x, uint32_t y)
{
    char text[VPRIME_PATTERN_TEXT_MAX];
    uint32_t cx = x - VPRIME_PATTERN_TEXT_X, cy = y - VPRIME_PATTERN_TEXT_Y;

    if (x >= VPRIME_PATTERN_TEXT_X && y >= VPRIME_PATTERN_TEXT_Y &&
        cy < VPRIME_FONT_HEIGHT &&
        cx / VPRIME_FONT_WIDTH < vprime_pattern_text(frame, tag, text)) {
        uint8_t row = vprime_font_row(text[cx / VPRIME_FONT_WIDTH], cy);

        return row & (0x80 >> cx % VPRIME_FONT_WIDTH) ? VPRIME_PATTERN_INK
                                                      : VPRIME_PATTERN_PAPER;
    }
    return VPRIME_PATTERN_XRGB(frame, tag, x, y);
}

#endif
