/* SPDX-License-Identifier: MIT */
/*
 * Where each byte of a surface lies, for every VPRIME_LAYOUT_* of
 * vprime_regs.h: the address functions of hw/vprime-spec.rst ("Layouts"),
 * one copy for the GPU engine's BLIT/FILL/PATTERN, the display's fetch and
 * the tests that build or check tiled buffers.  The tests check these
 * functions against their own CPU references, written from the public
 * definitions (drm_fourcc.h; the Tegra X1 TRM's GOB), not from this file.
 *
 * A tiled surface is a row-major grid of 4 KiB tiles (pitch / TILE_W per
 * tile row); only the byte order inside a tile differs:
 *   X_TILED   512 B x 8 rows: row-major, 512 bytes a row
 *   Y_TILED   128 B x 32 rows: 16-byte columns ("OWORDs") column-major,
 *             each 32 rows of 16 bytes
 *   NV_BLOCK  64 B x 64 rows: 8 GOBs of 64 B x 8 rows stacked vertically;
 *             inside a GOB, sectors of 16 B x 2 rows in a Z order
 */
#ifndef VPRIME_LAYOUT_H
#define VPRIME_LAYOUT_H

#include "vprime_regs.h"

/* Bytes of a tile row; 0 for LINEAR and unknown layouts */
static inline uint32_t vprime_layout_tile_w(uint32_t layout)
{
    return VPRIME_LAYOUT_TILE_W(layout);
}

/* Rows of a tile; 1 for LINEAR and unknown layouts */
static inline uint32_t vprime_layout_tile_h(uint32_t layout)
{
    uint32_t w = vprime_layout_tile_w(layout);

    return w ? VPRIME_TILE_SIZE / w : 1;
}

/* Offset inside its tile of byte xb (< tile_w) of row y (< tile_h) */
static inline uint32_t vprime_layout_in_tile(uint32_t layout, uint32_t xb,
                                             uint32_t y)
{
    switch (layout) {
    case VPRIME_LAYOUT_X_TILED:
        return y * 512 + xb;
    case VPRIME_LAYOUT_Y_TILED:
        return (xb / 16) * (32 * 16) + y * 16 + xb % 16;
    case VPRIME_LAYOUT_NV_BLOCK:
        return (y / 8) * 512 +                  /* the GOB in the block */
               (xb / 32) * 256 + ((y % 8) / 2) * 64 +
               ((xb % 32) / 16) * 32 + (y % 2) * 16 + xb % 16;
    }
    return 0;
}

/* Bytes from xb on in row y that follow each other in memory */
static inline uint32_t vprime_layout_run(uint32_t layout, uint32_t xb)
{
    switch (layout) {
    case VPRIME_LAYOUT_X_TILED:
        return 512 - xb % 512;
    case VPRIME_LAYOUT_Y_TILED:
    case VPRIME_LAYOUT_NV_BLOCK:
        return 16 - xb % 16;
    }
    return UINT32_MAX;
}

/* Offset of byte xb of row y in a surface of that layout and pitch */
static inline uint64_t vprime_layout_offset(uint32_t layout, uint32_t pitch,
                                            uint32_t xb, uint32_t y)
{
    uint32_t tw = vprime_layout_tile_w(layout);
    uint32_t th = vprime_layout_tile_h(layout);
    uint64_t tile;

    if (!tw) {
        return (uint64_t)y * pitch + xb;
    }
    tile = (uint64_t)(y / th) * (pitch / tw) + xb / tw;
    return tile * VPRIME_TILE_SIZE +
           vprime_layout_in_tile(layout, xb % tw, y % th);
}

#endif /* VPRIME_LAYOUT_H */
