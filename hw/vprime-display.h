/*
 * vprime display engine: state shared by the device (vprime-display.c:
 * QOM, properties, reset, migration, hotplug), its heads
 * (vprime-display-head.c: registers, latching, validation, vblank) and
 * the scanout side (vprime-display-scanout.c: fetch, composition, CRC,
 * consoles).
 *
 * Copyright (c) 2026 The vprime authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VPRIME_DISPLAY_H
#define HW_VPRIME_DISPLAY_H

#include "qemu/timer.h"
#include "hw/display/edid.h"
#include "ui/console.h"
#include "vprime-core.h"
#include "vprime-fault.h"

#define TYPE_VPRIME_DISPLAY "vprime-display"

OBJECT_DECLARE_SIMPLE_TYPE(VPrimeDisplayState, VPRIME_DISPLAY)

/*
 * QOM defaults of the monitor's preferred mode (the EDID properties of
 * DEFINE_EDID_PROPERTIES read 0 until realize fills these in).
 */
#define VPRIME_DISP_DEFAULT_XRES        1024
#define VPRIME_DISP_DEFAULT_YRES        768
#define VPRIME_DISP_DEFAULT_REFRESH     60000   /* mHz */

/* Framebuffer plane 1 or 2 of a YUV plane (VPRIME_FBP_*) */
typedef struct VPrimeFbPlaneRegs {
    uint64_t addr;
    uint32_t fb_size;
    uint32_t pitch;
    uint32_t offset;
} VPrimeFbPlaneRegs;

/* One plane's registers, as written (shadow) or as latched (active) */
typedef struct VPrimePlaneRegs {
    uint32_t control;
    uint32_t format;
    uint32_t layout;
    uint32_t pitch;
    uint64_t addr;
    uint32_t fb_size;
    uint32_t offset;
    uint32_t src_pos;
    uint32_t size;
    uint32_t dst_pos;
    uint32_t zpos;
    uint32_t dst_size;          /* 0: size (not scaled) */
    uint32_t blend;             /* used with VPRIME_PL_CTRL_BLEND */
    uint32_t yuv;               /* VPRIME_PL_YUV_*, for YUV formats */
    VPrimeFbPlaneRegs fbp[VPRIME_FBP_PLANES - 1];  /* framebuffer planes 1, 2 */
} VPrimePlaneRegs;

/* Is the format one of the engine's YUV formats? */
static inline bool vprime_format_yuv(uint32_t format)
{
    return format == VPRIME_FMT_NV12 || format == VPRIME_FMT_YUV420;
}

/* Framebuffer planes of a format (1 for RGB) */
static inline unsigned vprime_format_fb_planes(uint32_t format)
{
    return format == VPRIME_FMT_NV12 ? 2 : format == VPRIME_FMT_YUV420 ? 3 : 1;
}

/*
 * The planes a migration stream carries among a head's fields (primary,
 * overlay, cursor); the second overlay, added later, is a subsection
 */
#define VPRIME_DISP_PLANES_V1   3

/* The CONTROL bits plane p takes (the cursor neither scales nor rotates) */
static inline uint32_t vprime_plane_ctrl_valid(unsigned p)
{
    return p == VPRIME_PLANE_CURSOR ? VPRIME_PL_CTRL_CURSOR_MASK
                                    : VPRIME_PL_CTRL_VALID_MASK;
}

/* Does the plane turn a quarter (90 or 270 degrees)? */
static inline bool vprime_plane_quarter_turn(const VPrimePlaneRegs *r)
{
    return (r->control & VPRIME_PL_CTRL_ROTATE_90) != 0;
}

/* The source rectangle's size once rotated (w, h swapped a quarter turn) */
static inline uint32_t vprime_plane_rot_size(const VPrimePlaneRegs *r)
{
    return vprime_plane_quarter_turn(r) ?
           VPRIME_XY(VPRIME_Y(r->size), VPRIME_X(r->size)) : r->size;
}

/* The size a plane is shown at on the head's mode: DST_SIZE, or rotated SIZE */
static inline uint32_t vprime_plane_dst_size(const VPrimePlaneRegs *r)
{
    return r->dst_size ? r->dst_size : vprime_plane_rot_size(r);
}

/* Is the plane scaled (DST_SIZE other than 0 or the rotated SIZE)? */
static inline bool vprime_plane_scaled(const VPrimePlaneRegs *r)
{
    return vprime_plane_dst_size(r) != vprime_plane_rot_size(r);
}

/* Is the plane rotated or reflected? */
static inline bool vprime_plane_rotated(const VPrimePlaneRegs *r)
{
    return r->control & (VPRIME_PL_CTRL_ROTATE_MASK |
                         VPRIME_PL_CTRL_REFLECT_X | VPRIME_PL_CTRL_REFLECT_Y);
}

/*
 * Does the plane blend otherwise than opaque pre-multiplied (a plane
 * alpha below 0xffff, or another blend mode)?
 */
static inline bool vprime_plane_blended(const VPrimePlaneRegs *r)
{
    return (r->control & VPRIME_PL_CTRL_BLEND) &&
           r->blend != VPRIME_BLEND_ALPHA_MASK;
}

/*
 * Is the plane anything but its source pixels copied in place (scaled,
 * rotated, blended, or YUV converted to RGB)?  Such a plane is always
 * composed.
 */
static inline bool vprime_plane_transformed(const VPrimePlaneRegs *r)
{
    return vprime_plane_scaled(r) || vprime_plane_rotated(r) ||
           vprime_plane_blended(r) || vprime_format_yuv(r->format);
}

/*
 * Host side: one run of a plane's buffer as mapped for scanout.  The runs
 * of a map cover exactly the bytes the plane reads (its source rows, or
 * tile rows), in buffer order.
 */
typedef struct VPrimeScanRun {
    uint64_t off;               /* in the plane's buffer */
    uint64_t len;
    dma_addr_t addr;            /* DMA address of off */
    uint8_t *host;              /* NULL: not memory, pci_dma_read per frame */
    uint32_t group;             /* same group: host - off is the same */
    VPrimeDmaTarget kind;
} VPrimeScanRun;

/*
 * Host side: a buffer a plane scanned, mapped once and kept for the frames
 * and flips that show it again (until its memory changes under it: see
 * vprime_core_dma_watch)
 */
typedef struct VPrimeScanMap {
    VPrimePlaneRegs regs;       /* what the plane latched; dst_pos zero */
    uint64_t *pages;            /* its page list; NULL for CONTIG */
    uint32_t npages;
    VPrimeScanRun *runs;
    uint32_t nruns;
    dma_addr_t lo, hi;          /* the DMA addresses the runs span */
    uint64_t bytes[VPRIME_DMA__MAX];    /* mapped bytes by kind of memory */
    uint64_t used;              /* compose sequence of its latest use */
    /*
     * Runs that are not one range of host memory, side by side in one
     * (each page of guest RAM mapped again from its memfd, as
     * virtio-gpu's udmabuf does): view[0] is byte view_off of the buffer.
     * Made a few runs per vblank (vprime_disp_grow_views): usable once
     * view_done reaches nruns.
     */
    uint8_t *view;
    size_t view_size;
    uint64_t view_off;
    uint32_t view_done;
} VPrimeScanMap;

/*
 * Runs of guest memory remapped side by side, at most, for all heads:
 * half of Linux's default map count
 */
#define VPRIME_DISP_VIEW_RUNS_MAX   32768
/*
 * Runs a head maps into views per vblank: a host mmap costs microseconds,
 * so a 4K buffer of scattered pages (8100 runs) takes a third of a second
 * of vblanks, not 20 ms of one
 */
#define VPRIME_DISP_VIEW_RUNS_PER_VBLANK    256

/* Buffers a plane keeps mapped: double and triple buffering flip among them */
#define VPRIME_DISP_MAPS_PER_PLANE  4

typedef struct VPrimePlane {
    VPrimePlaneRegs shadow;
    VPrimePlaneRegs active;     /* validated; ENABLE clear when refused */
    uint64_t *pages;            /* the page list as read at latch */
    uint32_t npages;
    /* the page lists of framebuffer planes 1 and 2, as read at latch */
    uint64_t *fbp_pages[VPRIME_FBP_PLANES - 1];
    uint32_t fbp_npages[VPRIME_FBP_PLANES - 1];

    /* host side: staging image for planes pixman converts and blends */
    pixman_image_t *img;
    /* host side: mapped buffers, and the one the active registers scan */
    VPrimeScanMap *maps[VPRIME_DISP_MAPS_PER_PLANE];
    VPrimeScanMap *cur;
} VPrimePlane;

/* What a head's console shows */
typedef enum VPrimeDispShown {
    VPRIME_DISP_SHOWN_NONE,
    VPRIME_DISP_SHOWN_FRAME,        /* the composed frame */
    VPRIME_DISP_SHOWN_ALIAS,        /* guest memory: the primary's buffer */
    VPRIME_DISP_SHOWN_OFF,          /* placeholder: head off */
    VPRIME_DISP_SHOWN_UNPLUGGED,    /* placeholder: monitor unplugged */
} VPrimeDispShown;

/* The head registers that are double buffered, besides the planes */
typedef struct VPrimeHeadRegs {
    uint32_t control;
    uint32_t mode_size;
    uint32_t mode_total;
    uint32_t mode_clock;
    uint32_t route;             /* outputs the head drives (bit j: output j) */
    uint32_t vrr_control;       /* VPRIME_VRR_CTRL_* */
    uint32_t vrr_min_refresh;   /* mHz */
    uint32_t output_bpc;        /* link bits per component: VPRIME_BPC_* */
} VPrimeHeadRegs;

/* Head registers as a device reset leaves them (head h drives output h) */
#define VPRIME_HEAD_REGS_RESET(h) \
    ((VPrimeHeadRegs) { .route = BIT(h), .output_bpc = VPRIME_BPC_DEFAULT })

/*
 * A head's colour pipeline: COLOUR_* as written and as latched, and the
 * tables the latch read from the colour block (host order; the CTM as
 * read, sign-magnitude).  Only the parts CONTROL turns on are meaningful.
 */
typedef struct VPrimeColourRegs {
    uint32_t control;
    uint64_t addr;
} VPrimeColourRegs;

typedef struct VPrimeColour {
    VPrimeColourRegs shadow;
    VPrimeColourRegs active;
    uint16_t degamma[VPRIME_COLOUR_LUT_SIZE * 3];   /* r, g, b per entry */
    uint16_t gamma[VPRIME_COLOUR_LUT_SIZE * 3];
    uint64_t ctm[9];
} VPrimeColour;

/* A head's writeback job (VPRIME_HEAD_WB_*): registers as written, as latched */
typedef struct VPrimeWbRegs {
    uint32_t control;
    uint32_t format;
    uint32_t pitch;
    uint64_t addr;
    uint32_t fb_size;
    uint32_t offset;
    uint32_t size;
} VPrimeWbRegs;

typedef struct VPrimeWb {
    VPrimeWbRegs shadow;
    VPrimeWbRegs active;        /* the latched job, while pending */
    uint64_t *pages;            /* its page list as read at latch */
    uint32_t npages;
    bool pending;               /* latched; its frame is not written yet */
    uint32_t status;            /* VPRIME_WB_STATUS_* of the latest job */
    uint32_t frame;             /* FRAME of the frame it wrote */
} VPrimeWb;

typedef struct VPrimeHead {
    struct VPrimeDisplayState *s;
    unsigned idx;

    /* registers */
    VPrimeHeadRegs shadow;
    VPrimeHeadRegs active;
    VPrimePlane plane[VPRIME_DISP_PLANES];
    VPrimeColour colour;
    VPrimeWb wb;
    bool pending;               /* UPDATE waits for the next vblank */
    /*
     * Device clock when the pending UPDATE was written: it latches at the
     * first vblank whose deadline is after it, however late the vblank
     * timer runs
     */
    int64_t update_ts;
    /*
     * UPDATE_LOCK: while held, no vblank latches; a pending UPDATE latches
     * at the first vblank after the release
     */
    bool update_lock;
    uint32_t events;
    uint32_t event_enable;
    uint32_t frame;
    uint32_t flip_frame;        /* FRAME at the latest latch */
    uint64_t vblank_ts;
    uint32_t crc_control;
    uint32_t crc;
    uint32_t crc_frame;
    uint32_t error;

    /* internal state */
    bool dirty;                 /* the picture may have changed: compose */
    int64_t deadline;           /* next vblank, QEMU_CLOCK_VIRTUAL ns */
    /*
     * Start of the frame being scanned: the latest vblank, or when the
     * head turned on; with VRR an UPDATE ends it one shortest period on
     */
    int64_t frame_start;
    bool connected;             /* host side (QOM head<N>-connected) */
    uint32_t output;            /* VPRIME_OUTPUT_*, from output-types */
    QEMUTimer *timer;

    /*
     * Host side.  The head is a pipe (mode, planes, colour, CRC: fb,
     * alias) and an output (connector: EDID, connected, console: con,
     * shown, src); ROUTE says which outputs a pipe drives.
     */
    QemuConsole *con;
    struct VPrimeHead *src;     /* the pipe whose frame con shows, or NULL */
    uint32_t out_crc;           /* OUTPUT_CRC: of what con shows */
    pixman_image_t *fb;         /* PIXMAN_x8r8g8b8, hdisplay x vdisplay */
    /*
     * What the link carries when it is narrower than the pipe (6 bpc): fb
     * truncated.  The outputs and HEAD_CRC take it, writeback takes fb.
     */
    pixman_image_t *link;
    bool fb_composed;           /* fb, or alias, holds a frame */
    /*
     * A frame that is one full-screen linear primary plane, in one run of
     * host memory, is not composed: the console shows the guest's memory
     * (alias_img over alias, the map it lies in), as bochs-display does.
     */
    pixman_image_t *alias_img;
    VPrimeScanMap *alias;
    VPrimeDispShown shown;
    uint8_t edid[VPRIME_EDID_MAX];          /* the connector's monitor */
    uint32_t edid_size;
    /* the EDID window (qemu_edid_region_io): edid, or zeros unplugged */
    MemoryRegion edid_mr;
    uint8_t edid_shown[VPRIME_EDID_MAX];

    /*
     * Fault injection (not migrated): event sequence numbers since realize
     * and the injected state
     */
    uint64_t seq_frames;        /* frames composed */
    uint64_t seq_vblanks;       /* vblank timer callbacks */
    bool inject_underrun;       /* this frame's fetches fail */
    uint64_t replug_in;         /* vblanks until an injected unplug ends */

    /* statistics (QOM head<N>-*) */
    uint64_t stat_frames_composed;
    uint64_t stat_flips;
    uint64_t stat_vblanks;
    uint64_t stat_read[VPRIME_DMA__MAX];  /* this head's share of the engine's */
} VPrimeHead;

struct VPrimeDisplayState {
    /*< private >*/
    PCIDevice parent_obj;
    /*< public >*/

    /* properties */
    uint32_t heads;
    bool contiguous_only;
    bool genlock;       /* heads with the same period share one vblank grid */
    uint32_t dma_bits;
    char *output_types;         /* "edp,dp,hdmi,...": head 0 first */
    qemu_edid_info edid_info;

    /* registers, BAR 0, MSI-X */
    VPrimeCore core;
    uint32_t caps;
    uint32_t clock_hi;          /* CLOCK_HI as latched by reading CLOCK_LO */
    /*
     * PM_D3_COUNT: D0 -> D3hot transitions; sticky (kept by the reset that
     * leaving D3hot is, and by RESET), cleared by a PCI or system reset
     */
    uint32_t pm_d3_count;
    VPrimeHead head[VPRIME_HEADS_MAX];

    /* internal state */
    uint8_t *bounce;            /* tiled fetch: one band of tiles; CRC rows */
    uint32_t view_runs;         /* runs in the maps' views (host mappings) */
    VPrimeFaults faults;        /* QOM fault, fault-seed, fault-log */

    /* statistics (QOM stat-*) */
    uint64_t stat_vblanks;
    uint64_t stat_vblank_wakeups;   /* vblank timer callbacks: host work */
    uint64_t stat_flips;
    uint64_t stat_frames_composed;
    uint64_t stat_underruns;
    uint64_t stat_read[VPRIME_DMA__MAX];  /* by VPrimeDmaTarget */
    uint64_t stat_copied;       /* guest pixel bytes the host copied */
    uint64_t stat_host_ns;      /* host time in vblanks, latches, frames */
};

/* Count a DMA read of the engine done for head h (its fetch, lists, LUTs) */
static inline void vprime_head_count_read(VPrimeHead *h, VPrimeDmaTarget kind,
                                          uint64_t n)
{
    h->s->stat_read[kind] += n;
    h->stat_read[kind] += n;
}

/* Tiled fetch: the widest band of tiles one row of a plane can cover */
#define VPRIME_DISP_BOUNCE_SIZE \
    ((VPRIME_DISP_MAX_DIM * 4 / VPRIME_TILE_WIDTH_MIN + 1) * VPRIME_TILE_SIZE)

static inline bool vprime_head_on(const VPrimeHead *h)
{
    return h->active.control & VPRIME_HEAD_CTRL_ENABLE;
}

/*
 * Does the head's link drop bits of the 8-bit frame (OUTPUT_BPC 6)?  Its
 * outputs and CRC then take the truncated copy (link), never the guest's
 * memory in place.
 */
static inline bool vprime_head_link_truncates(const VPrimeHead *h)
{
    return h->active.output_bpc == VPRIME_BPC_6;
}

/*
 * The register a plane check names: a plane register (VPRIME_PL_*), or
 * FBP_REG(i, VPRIME_FBP_*) of the plane's framebuffer plane i (1, 2)
 */
#define FBP_REG_FLAG    0x10000
#define FBP_REG(i, r)   (FBP_REG_FLAG | ((i) - 1) * VPRIME_FBP_REGS_SIZE | (r))

/* vprime-display-head.c */
/* Is a head's mode (size, totals, clock) one the engine can scan out? */
bool vprime_mode_valid(const VPrimeHeadRegs *r, const char **why);
bool vprime_vrr_valid(const VPrimeHeadRegs *r, const char **why);
/* Is OUTPUT_BPC a depth the link takes (VPRIME_BPC_6, _8, _10, _12)? */
bool vprime_bpc_valid(const VPrimeHeadRegs *r, const char **why);
/*
 * Check an enabled plane's registers against the head's active mode and
 * the engine's limits, without touching guest memory: the latch's checks,
 * which a migration stream's latched planes pass too.  Returns 0 and the
 * number of pages its page list has (0: contiguous), or a
 * VPRIME_HEAD_ERR_* with the register it concerns and why.
 */
uint32_t vprime_plane_check(VPrimeHead *h, unsigned p,
                            const VPrimePlaneRegs *r, uint32_t *npages,
                            hwaddr *reg, const char **why);
/*
 * The page-list length of framebuffer plane i (1, 2) of a checked plane:
 * 0 if it has none (RGB, CONTIG or fewer planes)
 */
uint32_t vprime_plane_fbp_npages(const VPrimePlaneRegs *r, unsigned i);
/* One page of a page list: 0, or VPRIME_HEAD_ERR_ALIGN / _DMA_MASK */
uint32_t vprime_disp_page_check(VPrimeDisplayState *s, uint64_t page,
                                const char **why);
/* Head registers, reg relative to VPRIME_HEAD_BASE; false: unknown */
bool vprime_head_read(VPrimeHead *h, hwaddr reg, uint64_t *val);
bool vprime_head_write(VPrimeHead *h, hwaddr reg, uint64_t val);
void vprime_head_reset(VPrimeHead *h);
/* Record an event; interrupt if it is enabled */
void vprime_head_event(VPrimeHead *h, uint32_t ev);
/* The vblank timer's callback */
void vprime_head_vblank(void *opaque);
/*
 * The vblank timer runs only while something waits for a vblank.  sync:
 * count the vblanks that passed while it was stopped (FRAME, VBLANK_TS,
 * EVENTS, the vblank counters), as it would have; call before reading
 * them.  kick: something may now wait for a vblank: restart the timer,
 * in phase with the mode.
 */
void vprime_head_sync(VPrimeHead *h);
void vprime_head_kick(VPrimeHead *h);
/*
 * Take or release the head's UPDATE_LOCK; a release counts a pending
 * UPDATE as written at @now (the device clock of the releasing write)
 */
void vprime_head_set_update_lock(VPrimeHead *h, bool lock, int64_t now);
/* Plug or unplug the head's monitor (host side): HOTPLUG event */
void vprime_head_set_connected(VPrimeHead *h, bool connected);
/*
 * Replace a plane's latched page list (takes ownership of pages); the
 * plane looks up its mapping again at the next composed frame
 */
void vprime_plane_set_pages(VPrimePlane *pl, uint64_t *pages, uint32_t n);
/* The same for framebuffer plane i (1 or 2) */
void vprime_plane_set_fbp_pages(VPrimePlane *pl, unsigned i, uint64_t *pages,
                                uint32_t n);
/* Framebuffer-plane registers, reg relative to VPRIME_FBP_HEAD_BASE */
bool vprime_fbp_read(VPrimeHead *h, hwaddr reg, uint64_t *val);
bool vprime_fbp_write(VPrimeHead *h, hwaddr reg, uint64_t val);
/* Make the EDID window show the monitor's EDID, or zeros if unplugged */
void vprime_head_show_edid(VPrimeHead *h);

/* vprime-display-colour.c */
/*
 * Latch the colour registers for a head being turned on (@on) or off:
 * read the tables that are on from the colour block.  Returns 0, or a
 * VPRIME_HEAD_ERR_* with the register it concerns and why; the latched
 * colour state is unchanged then.
 */
uint32_t vprime_colour_latch(VPrimeHead *h, bool on, hwaddr *reg,
                             const char **why);
/* Is a colour stage on (the frame must be composed, never aliased)? */
static inline bool vprime_colour_active(const VPrimeHead *h)
{
    return h->colour.active.control != 0;
}
/* Apply the latched pipeline to the head's composed frame, in place */
void vprime_colour_apply(VPrimeHead *h);
/* A migration stream's latched colour state: 0, or why it is refused */
const char *vprime_colour_check(const VPrimeHead *h);

/* vprime-display-writeback.c */
/*
 * At a latch (accepted: the UPDATE was not refused as a whole): take the
 * job WB_CONTROL's ENABLE arms, if any, check it and read its page list;
 * a refused job ends at once (EV_WB_DONE with an error)
 */
void vprime_wb_latch(VPrimeHead *h, bool accepted);
/* After a frame is composed: write it for the pending job, end the job */
void vprime_wb_run(VPrimeHead *h);
bool vprime_wb_read(VPrimeHead *h, hwaddr reg, uint64_t *val);
bool vprime_wb_write(VPrimeHead *h, hwaddr reg, uint64_t val);
void vprime_wb_drop_pages(VPrimeHead *h);
void vprime_wb_reset(VPrimeHead *h);
extern const VMStateDescription vmstate_vprime_head_writeback;

/* vprime-display-scanout.c */
void vprime_disp_console_init(VPrimeDisplayState *s, VPrimeHead *h);
void vprime_disp_console_fini(VPrimeHead *h);
/* (Re)allocate the head's frame for its active mode, or drop it */
void vprime_disp_set_mode(VPrimeHead *h);
/* ... and drop its planes' mappings (head off, reset, unplug) */
void vprime_disp_release_mode(VPrimeHead *h);
/*
 * Drop every mapping of the head's planes: the guest memory behind them
 * may have changed without the device seeing it (after migration)
 */
void vprime_disp_drop_maps(VPrimeHead *h);
/*
 * Fetch every enabled plane, compose, CRC, present.  Returns the events
 * (VPRIME_HEAD_EV_UNDERRUN) the frame raised.
 */
uint32_t vprime_disp_compose(VPrimeHead *h);
/*
 * Make the consoles show the frames or placeholders, as the heads' state
 * (on, connected, routed) says: those of the outputs pipe h drives or
 * showed, and of output h.
 */
void vprime_disp_present(VPrimeHead *h);
/* The same for the outputs in a mask (a route changed) */
void vprime_disp_present_outputs(VPrimeDisplayState *s, uint32_t outputs);
/* The pipe that drives output o (on, routed to it), or NULL */
VPrimeHead *vprime_disp_output_source(VPrimeHead *o);
/* The outputs a pipe drives: its ROUTE while on, none while off */
static inline uint32_t vprime_head_driven(const VPrimeHead *h)
{
    return (h->active.control & VPRIME_HEAD_CTRL_ENABLE) ? h->active.route : 0;
}
/*
 * At a vblank: map more of the views the head's buffers are waiting for;
 * true while some still wait (the vblank timer keeps running for them)
 */
bool vprime_disp_grow_views(VPrimeHead *h);

#endif
