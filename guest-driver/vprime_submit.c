// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: contexts and job submission.
 */

#include <linux/slab.h>
#include <linux/sync_file.h>
#include <linux/uaccess.h>

#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>

#include "vprime_gpu.h"

static void vprime_ctx_release(struct kref *kref)
{
	struct vprime_ctx *ctx = container_of(kref, struct vprime_ctx, refcount);
	struct vprime_gpu *gpu = ctx->gpu;
	struct drm_gem_object *obj;
	unsigned long key, flags;
	int idx;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	if (drm_dev_enter(&gpu->drm, &idx)) {
		vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_SELECT, ctx->hw_id);
		vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_CONTROL, 0);
		drm_dev_exit(idx);
	}
	gpu->ctx_by_id[ctx->hw_id] = NULL;
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
	ida_free(&gpu->ctx_ida, ctx->hw_id);

	xa_for_each(&ctx->mapped, key, obj)
		drm_gem_object_put(obj);
	xa_destroy(&ctx->mapped);
	vprime_pt_free(gpu, ctx->root, VPRIME_GPU_PT_LEVELS - 1);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	atomic_dec(&vprime_live.ctxs);
}

void vprime_ctx_put(struct vprime_ctx *ctx)
{
	kref_put(&ctx->refcount, vprime_ctx_release);
}

/**
 * vprime_ctx_get_hw - a reference on the context with hardware id @hw_id
 * @gpu: the device
 * @hw_id: 0 .. VPRIME_GPU_MAX_CONTEXTS - 1
 *
 * Returns: the context (release with vprime_ctx_put()), or NULL if there
 * is none or it is already on its way out.
 */
struct vprime_ctx *vprime_ctx_get_hw(struct vprime_gpu *gpu, u32 hw_id)
{
	struct vprime_ctx *ctx;
	unsigned long flags;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	ctx = gpu->ctx_by_id[hw_id];
	if (ctx && !kref_get_unless_zero(&ctx->refcount))
		ctx = NULL;
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
	return ctx;
}

/**
 * vprime_ctx_create - a new hardware context with an empty address space
 * @gpu: device
 *
 * Returns the context (one reference) or an ERR_PTR.
 */
struct vprime_ctx *vprime_ctx_create(struct vprime_gpu *gpu)
{
	struct vprime_ctx *ctx;
	unsigned long flags;
	int ret, i;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	kref_init(&ctx->refcount);
	ctx->gpu = gpu;
	mutex_init(&ctx->lock);
	xa_init(&ctx->mapped);
	ret = ida_alloc_max(&gpu->ctx_ida, VPRIME_GPU_MAX_CONTEXTS - 1,
			    GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	ctx->hw_id = ret;
	ctx->root = vprime_pt_alloc(gpu);
	if (!ctx->root) {
		ret = -ENOMEM;
		goto err_ida;
	}
	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct drm_gpu_scheduler *sched = &gpu->engine[i].sched;

		ret = drm_sched_entity_init(&ctx->entity[i],
					    DRM_SCHED_PRIORITY_NORMAL,
					    &sched, 1, NULL);
		if (ret)
			goto err_entities;
	}

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	gpu->ctx_by_id[ctx->hw_id] = ctx;
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_SELECT, ctx->hw_id);
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_PT_LO,
			lower_32_bits(ctx->root->dma));
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_PT_HI,
			upper_32_bits(ctx->root->dma));
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
	atomic_inc(&vprime_live.ctxs);
	return ctx;

err_entities:
	while (i--)
		drm_sched_entity_destroy(&ctx->entity[i]);
	vprime_pt_free(gpu, ctx->root, VPRIME_GPU_PT_LEVELS - 1);
err_ida:
	ida_free(&gpu->ctx_ida, ctx->hw_id);
err_free:
	kfree(ctx);
	return ERR_PTR(ret);
}

int vprime_ioctl_ctx_create(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	struct vprime_file *vf = file->driver_priv;
	struct drm_vprime_ctx_create *args = data;
	struct vprime_ctx *ctx;
	int ret, idx;
	u32 id;

	if (args->pad || args->ctx_id)
		return -EINVAL;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ctx = vprime_ctx_create(gpu);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto out_exit;
	}
	ret = xa_alloc(&vf->ctxs, &id, ctx, xa_limit_32b, GFP_KERNEL);
	if (ret)
		vprime_ctx_destroy(ctx);
	else
		args->ctx_id = id;
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/* Tear down a context: its queued jobs finish first. */
void vprime_ctx_destroy(struct vprime_ctx *ctx)
{
	int i;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++)
		drm_sched_entity_destroy(&ctx->entity[i]);
	vprime_ctx_put(ctx);
}

int vprime_ioctl_ctx_destroy(struct drm_device *drm, void *data,
			     struct drm_file *file)
{
	struct vprime_file *vf = file->driver_priv;
	struct drm_vprime_ctx_destroy *args = data;
	struct vprime_ctx *ctx;

	if (args->pad)
		return -EINVAL;
	ctx = xa_erase(&vf->ctxs, args->ctx_id);
	if (!ctx)
		return -ENOENT;
	vprime_ctx_destroy(ctx);
	return 0;
}

void vprime_file_release_ctxs(struct vprime_file *vf)
{
	struct vprime_ctx *ctx;
	unsigned long id;

	xa_for_each(&vf->ctxs, id, ctx)
		vprime_ctx_destroy(ctx);
	xa_destroy(&vf->ctxs);
}

static int vprime_submit_deps(struct vprime_job *job, struct drm_file *file,
			      struct drm_vprime_submit *args)
{
	struct dma_fence *fence;
	int ret;

	if (args->in_syncobj) {
		ret = drm_syncobj_find_fence(file, args->in_syncobj,
					     args->in_point, 0, &fence);
		if (ret)
			return ret;
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}
	if (args->flags & VPRIME_SUBMIT_IN_FENCE_FD) {
		fence = sync_file_get_fence(args->in_fence_fd);
		if (!fence)
			return -EINVAL;
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}
	return 0;
}

static int vprime_submit_out(struct drm_file *file,
			     struct drm_vprime_submit *args,
			     struct dma_fence *done, struct drm_syncobj *out,
			     struct dma_fence_chain *chain,
			     struct sync_file *sync_file, int fd)
{
	if (out) {
		if (chain)
			drm_syncobj_add_point(out, chain, done, args->out_point);
		else
			drm_syncobj_replace_fence(out, done);
	}
	if (sync_file) {
		fd_install(fd, sync_file->file);
		args->out_fence_fd = fd;
	}
	return 0;
}

int vprime_ioctl_submit(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct vprime_gpu *gpu = to_vprime_gpu(drm);
	struct vprime_file *vf = file->driver_priv;
	struct drm_vprime_submit *args = data;
	struct dma_fence_chain *chain = NULL;
	struct sync_file *sync_file = NULL;
	struct drm_syncobj *out = NULL;
	struct vprime_job *job;
	struct vprime_ctx *ctx;
	struct drm_exec exec;
	struct dma_fence *done;
	u32 *handles = NULL;
	int ret, fd = -1, idx;
	u32 i;

	if (args->pad || (args->flags & ~VPRIME_SUBMIT_FLAGS) ||
	    args->engine >= VPRIME_GPU_ENGINES ||
	    !args->num_cmds || args->num_cmds > VPRIME_SUBMIT_MAX_CMDS ||
	    args->num_bos > VPRIME_SUBMIT_MAX_BOS)
		return -EINVAL;
	if (!(args->flags & VPRIME_SUBMIT_IN_FENCE_FD) && args->in_fence_fd)
		return -EINVAL;
	if (!args->in_syncobj && args->in_point)
		return -EINVAL;
	if (!args->out_syncobj && args->out_point)
		return -EINVAL;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	xa_lock(&vf->ctxs);
	ctx = xa_load(&vf->ctxs, args->ctx_id);
	if (ctx)
		kref_get(&ctx->refcount);
	xa_unlock(&vf->ctxs);
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

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		vprime_ctx_put(ctx);
		ret = -ENOMEM;
		goto out_exit;
	}
	atomic_inc(&vprime_live.jobs);
	job->ctx = ctx;
	job->engine = &gpu->engine[args->engine];
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	job->cmds = kvmalloc_array(args->num_cmds, sizeof(*job->cmds),
				   GFP_KERNEL);
	job->bos = kvcalloc(args->num_bos, sizeof(*job->bos), GFP_KERNEL);
	handles = kvmalloc_array(args->num_bos, sizeof(*handles), GFP_KERNEL);
	if (!job->hw_fence || !job->cmds || (args->num_bos && (!job->bos || !handles))) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (copy_from_user(job->cmds, u64_to_user_ptr(args->cmds),
			   args->num_cmds * sizeof(*job->cmds)) ||
	    copy_from_user(handles, u64_to_user_ptr(args->bo_handles),
			   args->num_bos * sizeof(*handles))) {
		ret = -EFAULT;
		goto err_free;
	}
	/*
	 * FENCE writes the engine's fence writeback, the seqno every job's
	 * fence is signalled from: only the driver emits it.  From userspace
	 * it would signal other jobs' fences before their work is done.
	 */
	for (i = 0; i < args->num_cmds; i++) {
		if (job->cmds[i].opcode == VPRIME_OP_FENCE) {
			ret = -EINVAL;
			goto err_free;
		}
	}
	for (i = 0; i < args->num_bos; i++) {
		job->bos[i] = drm_gem_object_lookup(file, handles[i]);
		if (!job->bos[i]) {
			ret = -ENOENT;
			goto err_free;
		}
		job->num_bos++;
		ret = vprime_ctx_map_bo(ctx, job->bos[i]);
		if (ret)
			goto err_free;
	}
	job->num_cmds = args->num_cmds;

	if (args->out_syncobj) {
		out = drm_syncobj_find(file, args->out_syncobj);
		if (!out) {
			ret = -ENOENT;
			goto err_free;
		}
		if (args->out_point) {
			chain = dma_fence_chain_alloc();
			if (!chain) {
				ret = -ENOMEM;
				goto err_free;
			}
		}
	}
	if (args->flags & VPRIME_SUBMIT_OUT_FENCE_FD) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0) {
			ret = fd;
			goto err_free;
		}
	}

	/* one ring entry per command, plus the FENCE */
	ret = drm_sched_job_init(&job->base, &ctx->entity[args->engine],
				 args->num_cmds + 1, ctx);
	if (ret)
		goto err_free;
	ret = vprime_submit_deps(job, file, args);
	if (ret)
		goto err_cleanup;

	/* implicit sync: wait for every BO's fences, then become its writer */
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, job->num_bos);
	drm_exec_until_all_locked(&exec) {
		for (i = 0; i < job->num_bos; i++) {
			ret = drm_exec_prepare_obj(&exec, job->bos[i], 1);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto err_exec;
		}
	}
	for (i = 0; i < job->num_bos; i++) {
		ret = drm_sched_job_add_implicit_dependencies(&job->base,
							      job->bos[i], true);
		if (ret)
			goto err_exec;
	}

	drm_sched_job_arm(&job->base);
	done = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < job->num_bos; i++)
		dma_resv_add_fence(job->bos[i]->resv, done,
				   DMA_RESV_USAGE_WRITE);
	if (fd >= 0) {
		sync_file = sync_file_create(done);
		if (!sync_file) {
			put_unused_fd(fd);
			fd = -1;
		}
	}
	drm_sched_entity_push_job(&job->base);
	drm_exec_fini(&exec);

	vprime_submit_out(file, args, done, out, chain, sync_file, fd);
	dma_fence_put(done);
	if (out)
		drm_syncobj_put(out);
	kvfree(handles);
	drm_dev_exit(idx);
	return (args->flags & VPRIME_SUBMIT_OUT_FENCE_FD) && !sync_file ?
	       -ENOMEM : 0;

err_exec:
	drm_exec_fini(&exec);
err_cleanup:
	drm_sched_job_cleanup(&job->base);
err_free:
	if (fd >= 0)
		put_unused_fd(fd);
	dma_fence_chain_free(chain);
	if (out)
		drm_syncobj_put(out);
	for (i = 0; i < job->num_bos; i++)
		drm_gem_object_put(job->bos[i]);
	kvfree(job->bos);
	kvfree(job->cmds);
	kfree(job->hw_fence);
	kfree(job);
	atomic_dec(&vprime_live.jobs);
	kvfree(handles);
	vprime_ctx_put(ctx);
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
 * Returns 0 or the job's error.
 */
int vprime_kernel_copy(struct vprime_gpu *gpu, struct vprime_ctx *ctx,
		       u64 src, u64 dst, u64 size)
{
	struct dma_fence *done;
	struct vprime_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	atomic_inc(&vprime_live.jobs);
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	job->cmds = kvcalloc(1, sizeof(*job->cmds), GFP_KERNEL);
	if (!job->hw_fence || !job->cmds) {
		ret = -ENOMEM;
		goto err_free;
	}
	job->cmds[0].opcode = VPRIME_OP_COPY;
	job->cmds[0].copy.src = src;
	job->cmds[0].copy.dst = dst;
	job->cmds[0].copy.size = size;
	job->num_cmds = 1;
	job->engine = &gpu->engine[VPRIME_ENGINE_COPY];
	kref_get(&ctx->refcount);
	job->ctx = ctx;

	ret = drm_sched_job_init(&job->base, &ctx->entity[VPRIME_ENGINE_COPY],
				 2, ctx);
	if (ret) {
		vprime_ctx_put(ctx);
		goto err_free;
	}
	drm_sched_job_arm(&job->base);
	done = dma_fence_get(&job->base.s_fence->finished);
	drm_sched_entity_push_job(&job->base);
	ret = dma_fence_wait(done, false);
	if (!ret)
		ret = done->error;
	dma_fence_put(done);
	return ret;

err_free:
	kvfree(job->cmds);
	kfree(job->hw_fence);
	kfree(job);
	atomic_dec(&vprime_live.jobs);
	return ret;
}
