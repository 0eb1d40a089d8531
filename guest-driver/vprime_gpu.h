/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vprime_gpu: structures shared by the driver's files.
 */
#ifndef _VPRIME_GPU_H_
#define _VPRIME_GPU_H_

#include <linux/dma-fence.h>
#include <linux/idr.h>
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
 */
struct vprime_engine {
	struct vprime_gpu *gpu;
	unsigned int idx;
	char name[24];
	struct drm_gpu_scheduler sched;

	/* ring and fence writeback, coherent DMA memory */
	struct vprime_cmd *ring;
	dma_addr_t ring_dma;
	u64 *fence_cpu;
	dma_addr_t fence_dma;

	/* protects tail, seqno, pending and fence signalling */
	spinlock_t lock;
	u32 tail;
	u64 seqno;
	u64 fence_context;
	struct list_head pending;

	/* recoveries, for debugfs "engines" */
	atomic64_t lost_irqs;	/* fences found complete by the timeout */
	atomic64_t halts;	/* halts recovered (job failed with -EIO) */
	atomic64_t resets;	/* resets after a timeout */
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
 */
struct vprime_ctx {
	struct kref refcount;
	struct vprime_gpu *gpu;
	u32 hw_id;
	/* set from the fault interrupt; a banned context runs no more jobs */
	atomic_t banned;
	struct drm_sched_entity entity[VPRIME_GPU_ENGINES];

	/* protects the page tables and @mapped */
	struct mutex lock;
	struct vprime_pt *root;
	/* BOs mapped in this address space (each holds a reference) */
	struct xarray mapped;
};

/**
 * struct vprime_file - per open file
 * @ctxs: contexts by user id
 */
struct vprime_file {
	struct xarray ctxs;
};

/**
 * struct vprime_bo - a GEM object in system memory (shmem, or imported)
 * @base: shmem GEM object
 * @va: GPU virtual address, the same in every context of the device
 */
struct vprime_bo {
	struct drm_gem_shmem_object base;
	struct drm_mm_node va;
	/* in &vprime_gpu.bo_list */
	struct list_head link;
	/*
	 * Its DMA mapping for this device (base.sgt) is gone: the device was
	 * removed, or debugfs inject_early_unmap took it (a bug, on purpose).
	 * Protected by the BO's reservation lock.
	 */
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
 */
struct vprime_vram_bo {
	struct drm_gem_object base;
	struct drm_mm_node va;
	struct list_head blocks;
	/* in &vprime_gpu.vram_bo_list */
	struct list_head link;
	/*
	 * After migration to system memory (export to an importer that
	 * cannot reach VRAM): its pages and their mapping for this device.
	 * Set once, under &vprime_gpu.vram_lock.
	 */
	struct page **pages;
	struct sg_table *sgt;
};

static inline struct vprime_vram_bo *to_vprime_vram_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vprime_vram_bo, base);
}

struct vprime_gpu {
	struct drm_device drm;
	struct vprime_hw hw;
	struct vprime_engine engine[VPRIME_GPU_ENGINES];

	/*
	 * hardware context ids; ctx_by_id[] is read from the fault IRQ.
	 * ctx_lock protects ctx_by_id[] and makes each CTX_SELECT + CTX_*
	 * register sequence one step (a context is released from the
	 * scheduler's free_job worker while another may be created).
	 */
	struct ida ctx_ida;
	spinlock_t ctx_lock;
	struct vprime_ctx *ctx_by_id[VPRIME_GPU_MAX_CONTEXTS];

	/* protects va_mm */
	struct mutex va_lock;
	struct drm_mm va_mm;

	/*
	 * Every BO of the device, so that remove() can release their DMA
	 * mappings while the device still has them: once the PCI device is
	 * gone its IOMMU domain is too, and a later dma_unmap would go wrong.
	 */
	struct mutex bo_lock;
	struct list_head bo_list;
	struct list_head vram_bo_list;

	/* VRAM allocator (dGPU only) */
	struct mutex vram_lock;
	struct drm_buddy vram;
	resource_size_t vram_bar;
	atomic64_t migrations;
	/* the driver's own context, for migration copies */
	struct vprime_ctx *kctx;

	unsigned int job_timeout_ms;
	/* recovers halted engines, after the error interrupt */
	struct work_struct halt_work;

	/* debugfs inject_early_unmap: what the last injection unmapped */
	struct mutex inject_lock;
	u64 inject_va;
	char inject_dma[160];
};

static inline struct vprime_gpu *to_vprime_gpu(struct drm_device *drm)
{
	return container_of(drm, struct vprime_gpu, drm);
}

/**
 * struct vprime_job - one SUBMIT
 * @hw_fence: allocated at submit, handed to the ring in run_job
 * @bos: the BOs it uses, referenced until it is freed
 */
struct vprime_job {
	struct drm_sched_job base;
	struct vprime_ctx *ctx;
	struct vprime_engine *engine;
	struct vprime_hw_fence *hw_fence;
	struct vprime_cmd *cmds;
	u32 num_cmds;
	struct drm_gem_object **bos;
	u32 num_bos;
};

/**
 * struct vprime_live - objects of the module alive now, over all devices
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

/* vprime_gem.c */
struct drm_gem_object *vprime_gem_create_object(struct drm_device *drm,
						size_t size);
int vprime_ioctl_gem_create(struct drm_device *drm, void *data,
			    struct drm_file *file);
int vprime_ioctl_gem_info(struct drm_device *drm, void *data,
			  struct drm_file *file);

bool vprime_is_vram_bo(struct drm_gem_object *obj);
u64 vprime_bo_va(struct drm_gem_object *obj);
int vprime_vram_init(struct vprime_gpu *gpu);
void vprime_debugfs_init(struct vprime_gpu *gpu);
void vprime_gem_unmap_all(struct vprime_gpu *gpu);
void vprime_debugfs_module_init(void);
void vprime_debugfs_module_fini(void);

/* vprime_mmu.c */
int vprime_ctx_map_bo(struct vprime_ctx *ctx, struct drm_gem_object *obj);
int vprime_ctx_write_ptes(struct vprime_ctx *ctx, struct drm_gem_object *obj,
			  u64 va);
int vprime_ctx_write_sgt(struct vprime_ctx *ctx, struct sg_table *sgt,
			 u64 va, u64 size);
void vprime_ctx_clear(struct vprime_ctx *ctx, u64 va, u64 size);
struct vprime_pt *vprime_pt_alloc(struct vprime_gpu *gpu);
void vprime_pt_free(struct vprime_gpu *gpu, struct vprime_pt *pt, int level);
void vprime_ctx_free_tables_all(struct vprime_gpu *gpu);

/* vprime_sched.c */
int vprime_engines_init(struct vprime_gpu *gpu);
void vprime_engines_fini(struct vprime_gpu *gpu);
void vprime_engines_unplug(struct vprime_gpu *gpu);
void vprime_engines_hw_init(struct vprime_gpu *gpu);
irqreturn_t vprime_engine_irq(int irq, void *arg);
struct dma_fence *vprime_engine_run(struct vprime_engine *e,
				    struct vprime_ctx *ctx,
				    struct vprime_hw_fence *hf,
				    const struct vprime_cmd *cmds, u32 n);
void vprime_gpu_fault_irq(struct vprime_gpu *gpu);
void vprime_gpu_halt_work(struct work_struct *work);

/* vprime_submit.c */
int vprime_ioctl_ctx_create(struct drm_device *drm, void *data,
			    struct drm_file *file);
int vprime_ioctl_ctx_destroy(struct drm_device *drm, void *data,
			     struct drm_file *file);
int vprime_ioctl_submit(struct drm_device *drm, void *data,
			struct drm_file *file);
void vprime_ctx_put(struct vprime_ctx *ctx);
struct vprime_ctx *vprime_ctx_get_hw(struct vprime_gpu *gpu, u32 hw_id);
struct vprime_ctx *vprime_ctx_create(struct vprime_gpu *gpu);
void vprime_ctx_destroy(struct vprime_ctx *ctx);
int vprime_kernel_copy(struct vprime_gpu *gpu, struct vprime_ctx *ctx,
		       u64 src, u64 dst, u64 size);
void vprime_file_release_ctxs(struct vprime_file *vf);
extern const struct drm_sched_backend_ops vprime_sched_ops;

#endif /* _VPRIME_GPU_H_ */
