/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vprime_display: structures shared by the driver's files.
 */
#ifndef _VPRIME_DISPLAY_DRV_H_
#define _VPRIME_DISPLAY_DRV_H_

#include <linux/atomic.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <drm/drm_connector.h>
#include <drm/drm_crtc.h>
#include <drm/drm_device.h>
#include <drm/drm_encoder.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_plane.h>
#include <drm/drm_writeback.h>

#include "uapi/drm/vprime_drm.h"
#include "vprime_hw.h"

struct vprime_display;
struct vprime_head;

/**
 * struct vprime_plane - one of a head's four hardware planes
 * @base: DRM plane
 * @head: the head it belongs to (planes never move between heads)
 * @idx: VPRIME_PLANE_PRIMARY, _OVERLAY, _CURSOR or _OVERLAY2
 */
struct vprime_plane {
	struct drm_plane base;
	struct vprime_head *head;
	unsigned int idx;
};

static inline struct vprime_plane *to_vprime_plane(struct drm_plane *plane)
{
	return container_of(plane, struct vprime_plane, base);
}

/**
 * struct vprime_head - one display head: CRTC, planes, encoder, connector
 * @disp: the engine
 * @idx: head index, 0 .. VPRIME_HEADS_MAX - 1
 * @crtc: its CRTC
 * @planes: primary, overlay and cursor, by VPRIME_PLANE_*
 * @encoder: a virtual encoder
 * @connector: the monitor, with EDID and hotplug
 * @lock: protects @event_enable (a copy of the EVENT_ENABLE register,
 *	which is read-modify-written from the vblank code and read by the
 *	interrupt) and the CRC state (@crc_on, @crc_start)
 * @event_enable: the VPRIME_HEAD_EV_* that interrupt
 * @crc_on: DRM's CRC capture is on
 * @crc_start: FRAME when the CRC was turned on: older CRC values are stale
 * @update_locks: holders of the head's UPDATE_LOCK (a commit and a legacy
 *	cursor update can hold it together): it is released by the last one;
 *	protected by &vprime_display.update_lock
 * @event: the flip whose FLIP_DONE interrupt completes it, armed by
 *	atomic_flush; protected by &drm_device.event_lock
 * @event_at_vblank: the armed event's commit turned the head on: it is
 *	sent at the first vblank after the latch, not at FLIP_DONE
 * @event_latched: the armed event's UPDATE is latched already
 * @event_update_frame: FRAME read before the armed event's UPDATE write
 * @event_after_frame: FRAME read after it: a latch at a later FRAME took it
 * @event_latch_frame: FLIP_FRAME of that latch, when @event_latched
 * @last_frame: the last FRAME read, the vblank counter once the device
 *	is gone
 * @report_frame: while @report_clamp, the vblank counter reads this FRAME
 *	(vprime_head_count_to())
 * @report_clamp: see @report_frame
 * @report_grid: the timestamp of that FRAME was taken back from a later
 *	vblank's by whole periods (vprime_crtc_get_vblank_timestamp())
 * @period_ns: the frame period of the mode, as the device computes it
 * @last_flip: what the latest flip event said (debugfs); event_lock
 * @vblank_irqs: VBLANK events handled (debugfs vprime_state)
 * @flips: FLIP_DONE events handled
 * @underruns: UNDERRUN events: a plane could not be fetched
 * @errors: ERROR events: a latched configuration was refused
 * @hotplugs: HOTPLUG events
 * @last_error: the head's VPRIME_HEAD_ERROR of the last refusal
 */
/**
 * struct vprime_flip_record - what the latest flip event said, for debugfs
 * @seq: the vblank sequence the event carried
 * @event_frame: the device FRAME that sequence stands for
 * @update_frame: FRAME read just before the flip's UPDATE write
 * @latch_frame: FLIP_FRAME of the latch that took the UPDATE
 * @turned_on: the commit turned the head on (latched at once)
 * @async: an async flip (UPDATE | ASYNC), latched in the UPDATE write
 * @after_frame: for an async flip, FRAME read just after the UPDATE
 *	write: the latch was at a frame from @update_frame to this one
 * @ts_grid: the interrupt came after a later vblank and the event's
 *	timestamp was taken back from that vblank's by whole mode periods
 *	(exact on the fixed grid; with VRR the frames between may have been
 *	longer)
 * @count_passed: DRM's vblank count had already passed the vblank the
 *	flip completed at when the interrupt was handled: the event could
 *	only name a later one
 *
 * All under drm->event_lock.
 */
struct vprime_flip_record {
	u32 seq;
	u32 event_frame;
	u32 update_frame;
	u32 latch_frame;
	bool turned_on;
	bool count_passed;
	bool async;
	u32 after_frame;
	bool ts_grid;
};

/**
 * struct vprime_wb_regs - a writeback job's VPRIME_HEAD_WB_* registers,
 *	noted at commit and written by atomic_flush
 */
struct vprime_wb_regs {
	u32 control;
	u32 format;
	u32 pitch;
	u64 addr;
	u32 fb_size;
	u32 offset;
	u32 size;
};

struct vprime_head {
	struct vprime_display *disp;
	unsigned int idx;

	struct drm_crtc crtc;
	struct vprime_plane *planes[VPRIME_DISP_PLANES];
	struct drm_encoder encoder;
	struct drm_connector connector;

	spinlock_t lock;
	u32 event_enable;
	bool crc_on;
	u32 crc_start;
	unsigned int update_locks;

	struct drm_pending_vblank_event *event;
	bool event_at_vblank;
	bool event_latched;
	u32 event_update_frame;
	u32 event_after_frame;
	u32 event_latch_frame;
	u32 last_frame;
	u32 report_frame;
	bool report_clamp;
	bool report_grid;
	u64 period_ns;
	struct vprime_flip_record last_flip;

	/* colour blocks (VPRIME_COLOUR_*), two used in turn; NULL: no colour */
	u8 *colour_buf;
	dma_addr_t colour_dma;
	unsigned int colour_next;

	/*
	 * writeback (vprime_display_writeback.c): the connector, the job the
	 * commit queued and atomic_flush programs (@wb_armed), jobs queued
	 * and not signalled yet
	 */
	struct drm_writeback_connector wb;
	struct vprime_wb_regs wb_regs;
	bool wb_armed;
	atomic_t wb_queued;

	atomic64_t vblank_irqs;
	atomic64_t flips;
	atomic64_t async_flips;
	atomic64_t underruns;
	atomic64_t errors;
	atomic64_t hotplugs;
	atomic_t last_error;
};

static inline struct vprime_head *crtc_to_head(struct drm_crtc *crtc)
{
	return container_of(crtc, struct vprime_head, crtc);
}

static inline struct vprime_head *connector_to_head(struct drm_connector *c)
{
	return container_of(c, struct vprime_head, connector);
}

/**
 * struct vprime_display - the display engine
 * @drm: the DRM device
 * @hw: the common register block
 * @disp_caps: VPRIME_DISP_CAPS, read at probe
 * @dma_bits: VPRIME_DISP_DMA_BITS, read at probe
 * @dma_mask: the DMA mask they make
 * @modifiers: IN_FORMATS modifiers, DRM_FORMAT_MOD_INVALID terminated:
 *	those of the layouts in &vprime_hw.layouts
 * @heads: the heads; &vprime_hw.num_heads of them are used
 * @update_lock: protects every head's &vprime_head.update_locks and the
 *	UPDATE_LOCK writes that follow them, so that a commit's heads are
 *	locked (and released) in one register write
 * @hotplug_work: runs the probe helpers after a HOTPLUG interrupt
 * @poll_work: while runtime suspended, probes the connectors every
 *	VPRIME_SUSPENDED_POLL_PERIOD: the engine in D3hot signals no hotplug
 * @rpm: runtime PM is on (the engine has VPRIME_DISP_CAP_PM)
 * @rpm_suspends: runtime suspends (debugfs vprime_state)
 * @rpm_resumes: runtime resumes
 * @inject_lock: protects the inject_* fields
 * @inject_head: debugfs inject_early_unmap: the last injection's head,
 *	-1 before the first
 * @inject_fb: its framebuffer id
 * @inject_dma: the DMA ranges it unmapped
 * @inject_live: buffers the knob unmapped that are not freed yet
 */
struct vprime_display {
	struct drm_device drm;
	struct vprime_hw hw;

	u32 disp_caps;
	u32 dma_bits;
	u64 dma_mask;
	u64 modifiers[VPRIME_LAYOUT_COUNT + 1];

	struct vprime_head heads[VPRIME_HEADS_MAX];

	spinlock_t update_lock;
	struct work_struct hotplug_work;
	struct delayed_work poll_work;
	bool rpm;
	atomic64_t rpm_suspends;
	atomic64_t rpm_resumes;

	struct mutex inject_lock;
	int inject_head;
	u32 inject_fb;
	char inject_dma[160];
	atomic_t inject_live;
};

static inline struct vprime_display *to_vprime_display(struct drm_device *drm)
{
	return container_of(drm, struct vprime_display, drm);
}

/**
 * struct vprime_display_bo - a buffer the engine can scan out
 * @base: shmem GEM object (own pages, or an imported dma-buf's)
 * @lock: protects everything below, which is computed once, on first use
 *	as a framebuffer, from the object's DMA mapping for this device
 * @mapped: the fields below are valid
 * @npages: 4 KiB pages of the object
 * @first_dma: DMA address of the first page
 * @dma_last: highest DMA address of any page (its last byte)
 * @contiguous: the pages are one DMA range
 * @unaligned: the mapping cannot be described in 4 KiB pages
 * @bounced: the mapping goes through a bounce buffer (swiotlb), so the
 *	engine would scan a CPU copy, not the buffer
 * @page_list: one little-endian DMA address per page, coherent memory the
 *	engine reads at latch; only on engines with VPRIME_DISP_CAP_SCATTER
 * @page_list_dma: its DMA address
 * @dma_unmapped: debugfs inject_early_unmap removed the object's own DMA
 *	mapping (a bug, on purpose) while a plane may still scan it; the
 *	fields above keep the stale addresses.  Set under the object's
 *	reservation lock, read at free.
 * @pinned: an import this driver pinned (dma_buf_pin()), set once at
 *	import, unpinned at free
 */
struct vprime_display_bo {
	struct drm_gem_shmem_object base;

	struct mutex lock;
	bool mapped;
	u32 npages;
	dma_addr_t first_dma;
	u64 dma_last;
	bool contiguous;
	bool unaligned;
	bool bounced;
	__le64 *page_list;
	dma_addr_t page_list_dma;
	bool dma_unmapped;
	bool pinned;
};

static inline struct vprime_display_bo *to_vprime_display_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct vprime_display_bo, base);
}

static inline u32 vprime_head_read(struct vprime_head *head, u32 reg)
{
	return vprime_hw_read(&head->disp->hw, VPRIME_HEAD_BASE(head->idx) + reg);
}

static inline void vprime_head_write(struct vprime_head *head, u32 reg, u32 val)
{
	vprime_hw_write(&head->disp->hw, VPRIME_HEAD_BASE(head->idx) + reg, val);
}

static inline void vprime_plane_write(struct vprime_head *head, unsigned int p,
				      u32 reg, u32 val)
{
	vprime_head_write(head, VPRIME_PLANE_BASE(p) + reg, val);
}

/* Register @reg (VPRIME_FBP_*) of framebuffer plane @i (1, 2) of plane @p */
static inline void vprime_fbp_write(struct vprime_head *head, unsigned int p,
				    unsigned int i, u32 reg, u32 val)
{
	vprime_hw_write(&head->disp->hw, VPRIME_FBP_BASE(head->idx, p, i) + reg, val);
}

/* vprime_display_drv.c */
int vprime_display_rpm_get(struct vprime_display *disp);
void vprime_display_rpm_put(struct vprime_display *disp);

/* vprime_display_gem.c */
struct drm_gem_object *vprime_display_gem_create_object(struct drm_device *drm,
							size_t size);
int vprime_display_dumb_create(struct drm_file *file, struct drm_device *drm,
			       struct drm_mode_create_dumb *args);
struct drm_gem_object *vprime_display_gem_prime_import(struct drm_device *drm,
						       struct dma_buf *dma_buf);
int vprime_display_bo_map(struct vprime_display_bo *bo);

/* vprime_display_plane.c */
struct vprime_plane *vprime_plane_create(struct vprime_head *head,
					 unsigned int idx);
u32 vprime_format_to_hw(u32 fourcc);

/* vprime_display_crtc.c */
int vprime_crtc_init(struct vprime_head *head);
irqreturn_t vprime_head_irq(int irq, void *arg);
void vprime_head_hw_off(struct vprime_head *head);
void vprime_heads_update_lock(struct vprime_display *disp, u32 heads);
void vprime_heads_update_unlock(struct vprime_display *disp, u32 heads);
void vprime_head_update_lock(struct vprime_head *head);
void vprime_head_update_unlock(struct vprime_head *head);

/* vprime_display_output.c */
bool vprime_connector_vrr_range(struct drm_connector *connector, u32 *min_hz,
				u32 *max_hz);
unsigned int vprime_connector_link_bpc(struct drm_connector_state *st);
int vprime_output_init(struct vprime_head *head);
void vprime_output_set_clones(struct vprime_display *disp);
void vprime_hotplug_work(struct work_struct *work);

/* vprime_display_writeback.c */
int vprime_writeback_init(struct vprime_head *head);
void vprime_writeback_flush(struct vprime_head *head);
void vprime_writeback_abort(struct vprime_head *head);
void vprime_writeback_done(struct vprime_head *head);

/* vprime_display_debugfs.c */
void vprime_display_debugfs_init(struct vprime_display *disp);

#endif /* _VPRIME_DISPLAY_DRV_H_ */
