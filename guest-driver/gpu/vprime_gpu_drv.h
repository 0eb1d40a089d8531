/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vprime_gpu: structures shared by the driver's files, and what each file
 * offers the others.
 */
#ifndef _VPRIME_GPU_DRV_H_
#define _VPRIME_GPU_DRV_H_

#include <linux/dma-fence.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include <drm/drm_buddy.h>
#include <drm/drm_device.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>
#include <drm/gpu_scheduler.h>

#include "uapi/drm/vprime_drm.h"
#include "vprime_hw.h"

/* Ring entries per engine; a job takes one per command plus its fence. */
#define VPRIME_RING_ENTRIES	1024
/* GPU virtual addresses handed to BOs: above 1 MiB, below the limit */
#define VPRIME_VA_START		(1ULL << 20)

struct vprime_gpu;

/**
 * struct vprime_hw_fence - the fence a job's FENCE command signals
 * @base: the fence
 * @link: in &vprime_engine.pending, in seqno order
 * @ctx_hw_id: context of the job, to fail it if the context faulted
 */
struct vprime_hw_fence {
	struct dma_fence base;
	struct list_head link;
	u32 ctx_hw_id;
};

/**
 * struct vprime_engine - one hardware engine and its scheduler
 * @gpu: the device
 * @idx: VPRIME_ENGINE_RENDER or VPRIME_ENGINE_COPY
 * @name: "<PCI address>-render" or "-copy", for the scheduler and messages
 * @sched: its scheduler; ring space is the credit limit
 * @ring: the ring, coherent DMA memory
 * @ring_dma: its DMA address
 * @fence_cpu: the fence writeback, coherent DMA memory
 * @fence_dma: its DMA address
 * @lock: protects @tail, @seqno, @pending and fence signalling
 * @tail: next ring entry the driver writes
 * @seqno: the last hardware fence emitted
 * @fence_context: of the hardware fences
 * @pending: hardware fences emitted and not signalled, in seqno order
 * @lost_irqs: fences the timeout found complete without an interrupt
 * @halts: halts recovered (the job failed with -EIO)
 * @resets: engine resets after a timeout
 */
struct vprime_engine {
	struct vprime_gpu *gpu;
	unsigned int idx;
	char name[24];
	struct drm_gpu_scheduler sched;

	struct vprime_cmd *ring;
	dma_addr_t ring_dma;
	u64 *fence_cpu;
	dma_addr_t fence_dma;

	spinlock_t lock;
	u32 tail;
	u64 seqno;
	u64 fence_context;
	struct list_head pending;

	atomic64_t lost_irqs;
	atomic64_t halts;
	atomic64_t resets;
};

/**
 * struct vprime_pt - one page of a context's page table
 * @cpu: its 512 entries
 * @dma: its DMA address, as the GPU sees it
 * @child: next-level tables (NULL for leaves)
 */
struct vprime_pt {
	u64 *cpu;
	dma_addr_t dma;
	struct vprime_pt *child[VPRIME_GPU_PT_ENTRIES];
};

/**
 * struct vprime_ctx - a GPU context: address space + scheduler entities
 * @refcount: the file's (or the driver's) reference and one per job
 * @gpu: the device
 * @hw_id: hardware context index, 0 .. VPRIME_GPU_MAX_CONTEXTS - 1
 * @banned: set by a page fault, a halt or a timeout; a banned context
 *	runs no more jobs
 * @entity: one scheduler entity per engine
 * @lock: protects the page tables and @mapped
 * @root: the root page table; NULL once the device is removed
 * @mapped: &struct vprime_mapping by GPU page number of the BO's VA
 */
struct vprime_ctx {
	struct kref refcount;
	struct vprime_gpu *gpu;
	u32 hw_id;
	atomic_t banned;
	struct drm_sched_entity entity[VPRIME_GPU_ENGINES];

	struct mutex lock;
	struct vprime_pt *root;
	struct xarray mapped;
};

/**
 * struct vprime_mapping - a BO mapped into one context's address space
 * @refcount: one while the context's file holds a handle to the BO
 *	(@held), one per job that lists it; dropped with kref_put_mutex()
 *	on &vprime_ctx.lock, so that under that lock every mapping in
 *	&vprime_ctx.mapped is alive
 * @ctx: the context; it outlives its mappings (jobs hold both)
 * @obj: the BO, referenced while it is mapped
 * @held: the file holds a handle to the BO; protected by &vprime_ctx.lock
 *
 * As panfrost maps a BO into a file's address space between gem_open and
 * gem_close: here lazily, at the first SUBMIT that lists it, and until the
 * file closes its handle and the last job using it is freed.
 */
struct vprime_mapping {
	struct kref refcount;
	struct vprime_ctx *ctx;
	struct drm_gem_object *obj;
	bool held;
};

/**
 * struct vprime_file - per open file
 * @ctxs: contexts by user id, each with the file's reference
 */
struct vprime_file {
	struct xarray ctxs;
};

/**
 * struct vprime_bo - a GEM object in system memory (shmem, or imported)
 * @base: shmem GEM object
 * @va: GPU virtual address, the same in every context of the device
 * @link: in &vprime_gpu.bo_list
 * @dma_unmapped: its DMA mapping for this device (base.sgt) is gone: the
 *	device was removed, or debugfs inject_early_unmap took it (a bug, on
 *	purpose).  Protected by the BO's reservation lock.
 */
struct vprime_bo {
	struct drm_gem_shmem_object base;
	struct drm_mm_node va;
	struct list_head link;
	bool dma_unmapped;
};

static inline struct vprime_bo *to_vprime_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct vprime_bo, base);
}

/**
 * struct vprime_vram_bo - a GEM object in the dGPU's VRAM
 * @base: GEM object
 * @va: GPU virtual address (as &vprime_bo.va)
 * @blocks: drm_buddy blocks holding it, protected by &vprime_gpu.vram_lock
 * @link: in &vprime_gpu.vram_bo_list
 * @pages: after the move to system memory (for an importer that cannot
 *	reach VRAM, or an eviction), its pages; set once, under
 *	&vprime_gpu.vram_lock
 * @sgt: their mapping for this device, set with @pages
 * @vram_pins: dma-buf pins that keep it in VRAM (peer-to-peer importers,
 *	e.g. a display scanning it through the BAR); it is not moved or
 *	evicted while there are any.  Protected by the reservation lock.
 * @dmabuf: its exported dma-buf while that lives, for move_notify;
 *	protected by the reservation lock (vprime_gpu_prime.c)
 */
struct vprime_vram_bo {
	struct drm_gem_object base;
	struct drm_mm_node va;
	struct list_head blocks;
	struct list_head link;
	struct page **pages;
	struct sg_table *sgt;
	unsigned int vram_pins;
	struct dma_buf *dmabuf;
};

static inline struct vprime_vram_bo *to_vprime_vram_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vprime_vram_bo, base);
}

/**
 * struct vprime_gpu - one vprime GPU (integrated or discrete)
 * @drm: the DRM device
 * @hw: the common register block
 * @engine: render and copy engine
 * @ctx_ida: hardware context ids
 * @ctx_lock: protects @ctx_by_id (read from the fault interrupt) and makes
 *	each CTX_SELECT + CTX_* register sequence one step (a context is
 *	released from the scheduler's free_job worker while another may be
 *	created)
 * @ctx_by_id: contexts by hardware id
 * @va_lock: protects @va_mm
 * @va_mm: the GPU virtual address range BOs get their VA from
 * @bo_lock: protects @bo_list and @vram_bo_list
 * @bo_list: every system-memory BO of the device, so that remove() can
 *	release their DMA mappings while the device still has them: once the
 *	PCI device is gone its IOMMU domain is too, and a later dma_unmap
 *	would go wrong
 * @vram_bo_list: every VRAM BO, for the same reason
 * @vram_lock: protects @vram and the VRAM BOs' blocks and pages
 * @vram: VRAM allocator (dGPU only)
 * @vram_bar: bus address of the VRAM BAR
 * @migrations: VRAM BOs moved to system memory (debugfs "vram")
 * @evictions: of them, those evicted to make room or leave retired VRAM
 * @kctx: the driver's own context, for migration copies
 * @job_timeout_ms: the module parameter, at probe
 * @halt_work: recovers halted engines, after the error interrupt
 * @inject_lock: protects @inject_va and @inject_dma
 * @inject_va: debugfs inject_early_unmap: the last injection's BO
 * @inject_dma: and the DMA ranges it unmapped
 */
struct vprime_gpu {
	struct drm_device drm;
	struct vprime_hw hw;
	struct vprime_engine engine[VPRIME_GPU_ENGINES];

	struct ida ctx_ida;
	spinlock_t ctx_lock;
	struct vprime_ctx *ctx_by_id[VPRIME_GPU_MAX_CONTEXTS];

	struct mutex va_lock;
	struct drm_mm va_mm;

	struct mutex bo_lock;
	struct list_head bo_list;
	struct list_head vram_bo_list;

	struct mutex vram_lock;
	struct drm_buddy vram;
	resource_size_t vram_bar;
	atomic64_t migrations;
	atomic64_t evictions;
	struct vprime_ctx *kctx;

	unsigned int job_timeout_ms;
	struct work_struct halt_work;

	struct mutex inject_lock;
	u64 inject_va;
	char inject_dma[160];
};

static inline struct vprime_gpu *to_vprime_gpu(struct drm_device *drm)
{
	return container_of(drm, struct vprime_gpu, drm);
}

/**
 * struct vprime_job - one SUBMIT, or a copy of the driver's own
 * @base: the scheduler's job
 * @ctx: its context, referenced
 * @engine: where it runs
 * @hw_fence: allocated at submit, handed to the ring in run_job
 * @cmds: the commands, copied from userspace
 * @num_cmds: how many
 * @bos: the BOs it lists, referenced until it is freed (duplicates too)
 * @mappings: for each of @bos, its mapping in @ctx, referenced likewise
 * @num_bos: how many
 */
struct vprime_job {
	struct drm_sched_job base;
	struct vprime_ctx *ctx;
	struct vprime_engine *engine;
	struct vprime_hw_fence *hw_fence;
	struct vprime_cmd *cmds;
	u32 num_cmds;
	struct drm_gem_object **bos;
	struct vprime_mapping **mappings;
	u32 num_bos;
};

/**
 * struct vprime_live - objects of the module alive now, over all devices
 * @devices: GPUs whose drm_device is not released
 * @bos: buffer objects
 * @ctxs: contexts
 * @jobs: jobs
 * @fences: hardware fences
 *
 * For leak checks after a surprise removal: a removed GPU's debugfs goes
 * with it, these counts (debugfs vprime_gpu/live) stay.
 */
struct vprime_live {
	atomic_t devices;
	atomic_t bos;
	atomic_t ctxs;
	atomic_t jobs;
	atomic_t fences;
};

extern struct vprime_live vprime_live;

/* vprime_gpu_bo.c */
struct drm_gem_object *vprime_gem_create_object(struct drm_device *drm,
						size_t size);
int vprime_va_alloc(struct vprime_gpu *gpu, struct drm_mm_node *va,
		    size_t size);
void vprime_va_free(struct vprime_gpu *gpu, struct drm_mm_node *va);
u64 vprime_bo_va(struct drm_gem_object *obj);
void vprime_gem_close(struct drm_gem_object *obj, struct drm_file *file);
void vprime_gem_unmap_all(struct vprime_gpu *gpu);
int vprime_ioctl_gem_create(struct drm_device *drm, void *data,
			    struct drm_file *file);
int vprime_ioctl_gem_info(struct drm_device *drm, void *data,
			  struct drm_file *file);

/* vprime_gpu_vram.c */
bool vprime_is_vram_bo(struct drm_gem_object *obj);
struct drm_gem_object *vprime_vram_create(struct vprime_gpu *gpu, size_t size);
int vprime_vram_move_locked(struct vprime_vram_bo *bo);
int vprime_vram_init(struct vprime_gpu *gpu);
void vprime_vram_unmap_all(struct vprime_gpu *gpu);

/* vprime_gpu_prime.c */
struct dma_buf *vprime_vram_prime_export(struct drm_gem_object *obj, int flags);
struct drm_gem_object *vprime_gem_prime_import(struct drm_device *drm,
					       struct dma_buf *dma_buf);

/* vprime_gpu_mmu.c */
struct vprime_pt *vprime_pt_alloc(struct vprime_gpu *gpu);
void vprime_pt_free(struct vprime_gpu *gpu, struct vprime_pt *pt, int level);
int vprime_ctx_write_ptes(struct vprime_ctx *ctx, struct drm_gem_object *obj,
			  u64 va);
int vprime_ctx_write_sgt(struct vprime_ctx *ctx, struct sg_table *sgt,
			 u64 va, u64 size);
void vprime_ctx_clear(struct vprime_ctx *ctx, u64 va, u64 size);
void vprime_ctx_tlb_invalidate(struct vprime_ctx *ctx);
void vprime_ctx_free_tables_all(struct vprime_gpu *gpu);
struct vprime_mapping *vprime_ctx_map_bo(struct vprime_ctx *ctx,
					 struct drm_gem_object *obj);
void vprime_mapping_put(struct vprime_mapping *m);
void vprime_ctx_unmap_all(struct vprime_ctx *ctx);
void vprime_file_unmap_bo(struct vprime_file *vf, struct drm_gem_object *obj);
void vprime_remap_everywhere(struct vprime_gpu *gpu, struct drm_gem_object *obj);
void vprime_ctx_for_each_hw_locked(struct vprime_gpu *gpu,
				   bool (*fn)(struct vprime_ctx *ctx, void *data),
				   void *data);

/* vprime_gpu_ctx.c */
struct vprime_ctx *vprime_ctx_create(struct vprime_gpu *gpu);
void vprime_ctx_destroy(struct vprime_ctx *ctx);
void vprime_ctx_put(struct vprime_ctx *ctx);
struct vprime_ctx *vprime_ctx_get_hw(struct vprime_gpu *gpu, u32 hw_id);
struct vprime_ctx *vprime_file_ctx_get(struct vprime_file *vf, u32 id);
struct vprime_ctx *vprime_file_ctx_next(struct vprime_file *vf,
					unsigned long *id);
bool vprime_ctx_ban_hw(struct vprime_gpu *gpu, u32 hw_id);
bool vprime_ctx_banned_hw(struct vprime_gpu *gpu, u32 hw_id);
int vprime_ioctl_ctx_create(struct drm_device *drm, void *data,
			    struct drm_file *file);
int vprime_ioctl_ctx_destroy(struct drm_device *drm, void *data,
			     struct drm_file *file);
void vprime_file_release_ctxs(struct vprime_file *vf);

/* vprime_gpu_fence.c */
void vprime_hw_fence_init(struct vprime_engine *e, struct vprime_hw_fence *hf,
			  u32 ctx_hw_id);
void vprime_engine_signal(struct vprime_engine *e, u64 seqno, int error);
bool vprime_engine_done(struct vprime_engine *e, struct dma_fence *hw);
irqreturn_t vprime_engine_irq(int irq, void *arg);
void vprime_gpu_fault_irq(struct vprime_gpu *gpu);

/* vprime_gpu_sched.c */
int vprime_engines_init(struct vprime_gpu *gpu);
void vprime_engines_hw_init(struct vprime_gpu *gpu);
void vprime_engines_unplug(struct vprime_gpu *gpu);
void vprime_engines_fini(struct vprime_gpu *gpu);
void vprime_gpu_halt_work(struct work_struct *work);

/* vprime_gpu_submit.c */
int vprime_ioctl_submit(struct drm_device *drm, void *data,
			struct drm_file *file);
void vprime_job_free(struct vprime_job *job);
int vprime_kernel_copy(struct vprime_gpu *gpu, struct vprime_ctx *ctx,
		       u64 src, u64 dst, u64 size);

/* vprime_gpu_debugfs.c */
void vprime_gpu_debugfs_init(struct vprime_gpu *gpu);
void vprime_gpu_debugfs_module_init(void);
void vprime_gpu_debugfs_module_fini(void);

#endif /* _VPRIME_GPU_DRV_H_ */
