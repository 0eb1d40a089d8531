// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: job submission.
 *
 * SUBMIT in the steps of v3d_submit.c: check the arguments, copy the
 * commands, look the BOs up (drm_gem_objects_lookup) and map them into
 * the context, prepare the out-fences, add the in-fences to the scheduler
 * job (syncobj, sync_file), lock the BOs' reservations with drm_exec for
 * implicit sync, then arm and push the job and attach its fence to the
 * BOs and the out-fences: as a writer of the BOs its commands write into,
 * as a reader of the others.
 */

#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>

#include "vprime_gpu_drv.h"

/*
 * The commands are copied from userspace straight into hardware commands:
 * the uapi's struct drm_vprime_cmd must be the hardware's struct vprime_cmd
 * byte for byte, which these assertions prove at build time.
 */
#define VPRIME_CMD_SAME(field)						\
	static_assert(offsetof(struct drm_vprime_cmd, field) ==		\
		      offsetof(struct vprime_cmd, field) &&		\
		      sizeof(((struct drm_vprime_cmd *)0)->field) ==	\
		      sizeof(((struct vprime_cmd *)0)->field))
static_assert(sizeof(struct drm_vprime_cmd) == sizeof(struct vprime_cmd));
static_assert(sizeof(struct drm_vprime_cmd) == VPRIME_CMD_SIZE);
VPRIME_CMD_SAME(opcode);
VPRIME_CMD_SAME(ctx);
VPRIME_CMD_SAME(flags);
VPRIME_CMD_SAME(reserved);
VPRIME_CMD_SAME(rect.dst);
VPRIME_CMD_SAME(rect.pitch);
VPRIME_CMD_SAME(rect.width);
VPRIME_CMD_SAME(rect.height);
VPRIME_CMD_SAME(rect.format);
VPRIME_CMD_SAME(rect.layout);
VPRIME_CMD_SAME(rect.color);
VPRIME_CMD_SAME(rect.frame);
VPRIME_CMD_SAME(rect.tag);
VPRIME_CMD_SAME(rect.pad);
VPRIME_CMD_SAME(blit.src);
VPRIME_CMD_SAME(blit.dst);
VPRIME_CMD_SAME(blit.src_pitch);
VPRIME_CMD_SAME(blit.dst_pitch);
VPRIME_CMD_SAME(blit.width);
VPRIME_CMD_SAME(blit.height);
VPRIME_CMD_SAME(blit.src_format);
VPRIME_CMD_SAME(blit.dst_format);
VPRIME_CMD_SAME(blit.src_layout);
VPRIME_CMD_SAME(blit.dst_layout);
VPRIME_CMD_SAME(blit.pad);
VPRIME_CMD_SAME(copy.src);
VPRIME_CMD_SAME(copy.dst);
VPRIME_CMD_SAME(copy.size);
VPRIME_CMD_SAME(copy.pad);
VPRIME_CMD_SAME(fence.value);
VPRIME_CMD_SAME(fence.pad);
VPRIME_CMD_SAME(wait.addr);
VPRIME_CMD_SAME(wait.value);
VPRIME_CMD_SAME(wait.pad);

/**
 * struct vprime_submit_out - where a job's fence goes besides its BOs
 * @syncobj: @args->out_syncobj, referenced, or NULL
 * @chain: for a timeline point, allocated up front, or NULL
 * @fd: an fd reserved for the out sync_file, or -1
 */
struct vprime_submit_out {
	struct drm_syncobj *syncobj;
	struct dma_fence_chain *chain;
	int fd;
};

/**
 * vprime_job_free - free a job and let go of what it holds
 * @job: a job that never reached the scheduler, or one the scheduler is
 *	done with (after drm_sched_job_cleanup())
 */
void vprime_job_free(struct vprime_job *job)
{
	u32 i;

	for (i = 0; i < job->num_bos; i++) {
		if (job->mappings && !IS_ERR_OR_NULL(job->mappings[i]))
			vprime_mapping_put(job->mappings[i]);
		if (job->bos)
			drm_gem_object_put(job->bos[i]);
	}
	kvfree(job->mappings);
	kvfree(job->bos);
	kvfree(job->cmds);
	kfree(job->hw_fence);	/* NULL once it ran */
	if (job->ctx)
		vprime_ctx_put(job->ctx);
	kfree(job);
	atomic_dec(&vprime_live.jobs);
}

/* A job in @ctx (whose reference it takes over) on engine @engine */
static struct vprime_job *vprime_job_alloc(struct vprime_gpu *gpu,
					   struct vprime_ctx *ctx, u32 engine,
					   u32 num_cmds)
{
	struct vprime_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job) {
		vprime_ctx_put(ctx);
		return NULL;
	}
	atomic_inc(&vprime_live.jobs);
	job->ctx = ctx;
	job->engine = &gpu->engine[engine];
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	job->cmds = kvmalloc_array(num_cmds, sizeof(*job->cmds), GFP_KERNEL);
	if (!job->hw_fence || !job->cmds) {
		vprime_job_free(job);
		return NULL;
	}
	job->num_cmds = num_cmds;
	return job;
}

/* Everything that can be refused before looking anything up */
static int vprime_submit_check_args(const struct drm_vprime_submit *args)
{
	if (args->pad || (args->flags & ~VPRIME_SUBMIT_FLAGS))
		return -EINVAL;
	if (args->engine >= VPRIME_GPU_ENGINES)
		return -EINVAL;
	if (!args->num_cmds || args->num_cmds > VPRIME_SUBMIT_MAX_CMDS ||
	    args->num_bos > VPRIME_SUBMIT_MAX_BOS)
		return -EINVAL;
	if (!(args->flags & VPRIME_SUBMIT_IN_FENCE_FD) && args->in_fence_fd)
		return -EINVAL;
	/* drm_sched_job_add_syncobj_dependency() takes a 32-bit point */
	if ((!args->in_syncobj && args->in_point) || args->in_point > U32_MAX)
		return -EINVAL;
	if (!args->out_syncobj && args->out_point)
		return -EINVAL;
	return 0;
}

/*
 * A 2D command's layouts against the GPU's (VPRIME_REG_LAYOUTS): a layout
 * this GPU does not take is refused here, where the engine would halt
 */
static bool vprime_cmd_layouts_ok(const struct vprime_cmd *c, u32 layouts)
{
	switch (c->opcode) {
	case VPRIME_OP_FILL:
	case VPRIME_OP_PATTERN:
		return c->rect.layout < 32 && (layouts & BIT(c->rect.layout));
	case VPRIME_OP_BLIT:
		return c->blit.src_layout < 32 && c->blit.dst_layout < 32 &&
		       (layouts & BIT(c->blit.src_layout)) &&
		       (layouts & BIT(c->blit.dst_layout));
	}
	return true;
}

/* The user's commands, of which FENCE and other GPUs' layouts are refused */
static int vprime_submit_copy_cmds(struct vprime_gpu *gpu,
				   struct vprime_job *job,
				   const struct drm_vprime_submit *args)
{
	u32 i;

	if (copy_from_user(job->cmds, u64_to_user_ptr(args->cmds),
			   array_size(job->num_cmds, sizeof(struct drm_vprime_cmd))))
		return -EFAULT;
	/*
	 * FENCE writes the engine's fence writeback, the seqno every job's
	 * fence is signalled from: only the driver emits it.  From userspace
	 * it would signal other jobs' fences before their work is done.
	 */
	for (i = 0; i < job->num_cmds; i++)
		if (job->cmds[i].opcode == VPRIME_OP_FENCE ||
		    !vprime_cmd_layouts_ok(&job->cmds[i], gpu->hw.layouts))
			return -EINVAL;
	return 0;
}

/*
 * The listed BOs, each referenced and mapped into the job's context.  A
 * handle listed twice gives the same object twice: both references and
 * both mappings are taken, and freed with the job.
 */
static int vprime_submit_lookup_bos(struct vprime_job *job,
				    struct drm_file *file,
				    const struct drm_vprime_submit *args)
{
	u32 i;
	int ret;

	if (!args->num_bos)
		return 0;
	job->mappings = kvcalloc(args->num_bos, sizeof(*job->mappings),
				 GFP_KERNEL);
	if (!job->mappings)
		return -ENOMEM;
	/* on failure too, job->bos holds what was found, the rest NULL */
	job->num_bos = args->num_bos;
	ret = drm_gem_objects_lookup(file, u64_to_user_ptr(args->bo_handles),
				     args->num_bos, &job->bos);
	if (ret)
		return ret;
	for (i = 0; i < job->num_bos; i++) {
		job->mappings[i] = vprime_ctx_map_bo(job->ctx, job->bos[i]);
		if (IS_ERR(job->mappings[i]))
			return PTR_ERR(job->mappings[i]);
	}
	return 0;
}

/* Out-fences that can fail are set up before the job is armed */
static int vprime_submit_out_prepare(struct vprime_submit_out *out,
				     struct drm_file *file,
				     const struct drm_vprime_submit *args)
{
	if (args->out_syncobj) {
		out->syncobj = drm_syncobj_find(file, args->out_syncobj);
		if (!out->syncobj)
			return -ENOENT;
		if (args->out_point) {
			out->chain = dma_fence_chain_alloc();
			if (!out->chain)
				return -ENOMEM;
		}
	}
	if (args->flags & VPRIME_SUBMIT_OUT_FENCE_FD) {
		out->fd = get_unused_fd_flags(O_CLOEXEC);
		if (out->fd < 0)
			return out->fd;
	}
	return 0;
}

static void vprime_submit_out_free(struct vprime_submit_out *out)
{
	if (out->fd >= 0)
		put_unused_fd(out->fd);
	dma_fence_chain_free(out->chain);
	if (out->syncobj)
		drm_syncobj_put(out->syncobj);
}

/* Explicit sync: the in-syncobj (point) and the in sync_file */
static int vprime_submit_in_fences(struct vprime_job *job,
				   struct drm_file *file,
				   const struct drm_vprime_submit *args)
{
	struct dma_fence *fence;
	int ret;

	if (args->in_syncobj) {
		ret = drm_sched_job_add_syncobj_dependency(&job->base, file,
							   args->in_syncobj,
							   args->in_point);
		if (ret)
			return ret;
	}
	if (args->flags & VPRIME_SUBMIT_IN_FENCE_FD) {
		fence = sync_file_get_fence(args->in_fence_fd);
		if (!fence)
			return -EINVAL;
		/* takes the reference, on failure too */
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The bytes [*start, *end) a command may write: the destination rectangle
 * (tiled: whole tile rows, of up to VPRIME_TILE_HEIGHT_MAX) of FILL,
 * PATTERN and BLIT, the destination
 * range of COPY; WAIT and NOP write nothing.  Generous: a row is never
 * shorter than 4 bytes a pixel, whatever the pitch says.
 */
/* Rows of a tile (generous: the tallest for any tiled layout), 1 if linear */
static u32 vprime_tile_h(u32 layout)
{
	return layout == VPRIME_LAYOUT_LINEAR ? 1 : VPRIME_TILE_HEIGHT_MAX;
}

static bool vprime_cmd_writes(const struct vprime_cmd *c, u64 *start, u64 *end)
{
	u64 rows, row;

	switch (c->opcode) {
	case VPRIME_OP_FILL:
	case VPRIME_OP_PATTERN:
		rows = round_up((u64)c->rect.height, vprime_tile_h(c->rect.layout));
		row = max_t(u64, c->rect.pitch, (u64)c->rect.width * 4);
		*start = c->rect.dst;
		break;
	case VPRIME_OP_BLIT:
		rows = round_up((u64)c->blit.height, vprime_tile_h(c->blit.dst_layout));
		row = max_t(u64, c->blit.dst_pitch, (u64)c->blit.width * 4);
		*start = c->blit.dst;
		break;
	case VPRIME_OP_COPY:
		rows = 1;
		row = c->copy.size;
		*start = c->copy.dst;
		break;
	default:
		return false;
	}
	*end = *start + rows * row;
	if (*end < *start)
		*end = U64_MAX;
	return true;
}

/*
 * Whether the job writes into @obj, or only reads it: implicit sync then
 * makes it a reader of the BO, which waits for the BO's writers only, and
 * which a reader elsewhere (another job, DMA_BUF_IOCTL_SYNC for read by
 * the CPU) does not wait for.
 */
static bool vprime_job_writes_bo(const struct vprime_job *job,
				 struct drm_gem_object *obj)
{
	u64 va = vprime_bo_va(obj), start, end;
	u32 i;

	for (i = 0; i < job->num_cmds; i++)
		if (vprime_cmd_writes(&job->cmds[i], &start, &end) &&
		    start < va + obj->size && end > va)
			return true;
	return false;
}

/*
 * Implicit sync: lock every BO's reservation (a BO listed twice is locked
 * once), reserve a slot for the job's fence and wait for the BO's writers,
 * and for a BO the job writes, its readers too.  On success the caller
 * unlocks with drm_exec_fini() after attaching the fence.
 */
static int vprime_submit_lock_bos(struct vprime_job *job,
				  struct drm_exec *exec)
{
	int ret = 0;
	u32 i;

	drm_exec_init(exec, DRM_EXEC_INTERRUPTIBLE_WAIT |
		      DRM_EXEC_IGNORE_DUPLICATES, job->num_bos);
	drm_exec_until_all_locked(exec) {
		ret = drm_exec_prepare_array(exec, job->bos, job->num_bos, 1);
		drm_exec_retry_on_contention(exec);
		if (ret)
			goto err;
	}
	for (i = 0; i < job->num_bos; i++) {
		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      job->bos[i],
							      vprime_job_writes_bo(job, job->bos[i]));
		if (ret)
			goto err;
	}
	return 0;
err:
	drm_exec_fini(exec);
	return ret;
}

/*
 * The point of no return: the job is armed and pushed, its fence becomes
 * each BO's writer and goes to the out syncobj and sync_file.  Returns
 * -ENOMEM only if the sync_file could not be made (the job runs anyway,
 * as in other drivers' submit).
 */
static int vprime_submit_push(struct vprime_job *job, struct drm_exec *exec,
			      struct vprime_submit_out *out,
			      struct drm_vprime_submit *args)
{
	struct sync_file *sync_file = NULL;
	struct dma_fence *done;
	u32 i;

	drm_sched_job_arm(&job->base);
	done = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < job->num_bos; i++)
		dma_resv_add_fence(job->bos[i]->resv, done,
				   vprime_job_writes_bo(job, job->bos[i]) ?
				   DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
	if (out->fd >= 0)
		sync_file = sync_file_create(done);
	drm_sched_entity_push_job(&job->base);
	drm_exec_fini(exec);

	if (out->syncobj && out->chain) {
		drm_syncobj_add_point(out->syncobj, out->chain, done,
				      args->out_point);
		out->chain = NULL;
	} else if (out->syncobj) {
		drm_syncobj_replace_fence(out->syncobj, done);
	}
	if (sync_file) {
		fd_install(out->fd, sync_file->file);
		args->out_fence_fd = out->fd;
		out->fd = -1;
	}
	dma_fence_put(done);
	return out->fd >= 0 ? -ENOMEM : 0;
}

int vprime_ioctl_submit(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct vprime_submit_out out = { .fd = -1 };
	struct drm_vprime_submit *args = data;
	struct vprime_ctx *ctx;
	struct vprime_job *job;
	struct drm_exec exec;
	int ret, idx;

	ret = vprime_submit_check_args(args);
	if (ret)
		return ret;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ctx = vprime_file_ctx_get(file->driver_priv, args->ctx_id);
	if (!ctx) {
		ret = -ENOENT;
		goto out_exit;
	}
	if (atomic_read(&ctx->banned)) {
		/* a fault or hang killed it: userspace makes a new one */
		vprime_ctx_put(ctx);
		ret = -EIO;
		goto out_exit;
	}
	job = vprime_job_alloc(to_vprime_gpu(drm), ctx, args->engine,
			       args->num_cmds);
	if (!job) {
		ret = -ENOMEM;
		goto out_exit;
	}

	ret = vprime_submit_copy_cmds(to_vprime_gpu(drm), job, args);
	if (!ret)
		ret = vprime_submit_lookup_bos(job, file, args);
	if (!ret)
		ret = vprime_submit_out_prepare(&out, file, args);
	if (ret)
		goto err_free;
	/* one ring entry per command, plus the FENCE */
	ret = drm_sched_job_init(&job->base, &ctx->entity[args->engine],
				 job->num_cmds + 1, ctx);
	if (ret)
		goto err_free;
	ret = vprime_submit_in_fences(job, file, args);
	if (!ret)
		ret = vprime_submit_lock_bos(job, &exec);
	if (ret)
		goto err_cleanup;

	ret = vprime_submit_push(job, &exec, &out, args);
	vprime_submit_out_free(&out);
	drm_dev_exit(idx);
	return ret;

err_cleanup:
	drm_sched_job_cleanup(&job->base);
err_free:
	vprime_submit_out_free(&out);
	vprime_job_free(job);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * vprime_kernel_copy - copy between two GPU VAs of a kernel-owned context
 * @gpu: device
 * @ctx: context with both ranges mapped
 * @src: source GPU VA
 * @dst: destination GPU VA
 * @size: bytes, at most VPRIME_CMD_MAX_BYTES
 *
 * Runs one COPY on the copy engine through the scheduler and waits for it.
 *
 * Returns: 0 or the job's error.
 */
int vprime_kernel_copy(struct vprime_gpu *gpu, struct vprime_ctx *ctx,
		       u64 src, u64 dst, u64 size)
{
	struct dma_fence *done;
	struct vprime_job *job;
	int ret;

	kref_get(&ctx->refcount);
	job = vprime_job_alloc(gpu, ctx, VPRIME_ENGINE_COPY, 1);
	if (!job)
		return -ENOMEM;
	memset(job->cmds, 0, sizeof(*job->cmds));
	job->cmds[0].opcode = VPRIME_OP_COPY;
	job->cmds[0].copy.src = src;
	job->cmds[0].copy.dst = dst;
	job->cmds[0].copy.size = size;

	/* the COPY and the FENCE */
	ret = drm_sched_job_init(&job->base, &ctx->entity[VPRIME_ENGINE_COPY],
				 2, ctx);
	if (ret) {
		vprime_job_free(job);
		return ret;
	}
	drm_sched_job_arm(&job->base);
	done = dma_fence_get(&job->base.s_fence->finished);
	drm_sched_entity_push_job(&job->base);
	ret = dma_fence_wait(done, false);
	if (!ret)
		ret = done->error;
	dma_fence_put(done);
	return ret;
}
