// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: engines, rings and their schedulers.
 *
 * One drm_gpu_scheduler per engine.  A job's commands are copied into the
 * ring followed by a FENCE command with the job's seqno and the interrupt
 * flag (vprime_gpu_fence.c signals it).  Ring space is the scheduler's
 * credit limit, and jobs finish in order, so a job that runs always fits.
 * A timeout resets the engine and bans the job's context; a halt (a
 * command the engine refused) fails that job and cancels the ring.
 */

#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_managed.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

/*
 * Put a job's commands on the ring, then its FENCE.  @hf was allocated at
 * submit: this runs in the fence signalling path.  Returns @hf's fence,
 * signalled from the engine interrupt.
 */
static struct dma_fence *vprime_engine_run(struct vprime_engine *e,
				    struct vprime_ctx *ctx,
				    struct vprime_hw_fence *hf,
				    const struct vprime_cmd *cmds, u32 n)
{
	struct vprime_cmd fence = {
		.opcode = VPRIME_OP_FENCE,
		.flags = VPRIME_CMDF_IRQ,
	};
	unsigned long flags;
	u32 i;
	int idx;

	spin_lock_irqsave(&e->lock, flags);
	vprime_hw_fence_init(e, hf, ctx->hw_id);
	/* unplugged: the ring went with the device, the job fails at once */
	if (!drm_dev_enter(&e->gpu->drm, &idx)) {
		vprime_engine_signal(e, 0, -ENODEV);
		spin_unlock_irqrestore(&e->lock, flags);
		return &hf->base;
	}
	fence.fence.value = e->seqno;
	for (i = 0; i < n; i++) {
		struct vprime_cmd *slot = &e->ring[e->tail];

		*slot = cmds[i];
		slot->ctx = ctx->hw_id;
		e->tail = (e->tail + 1) % VPRIME_RING_ENTRIES;
	}
	e->ring[e->tail] = fence;
	e->tail = (e->tail + 1) % VPRIME_RING_ENTRIES;
	/* ring contents before the doorbell */
	dma_wmb();
	vprime_hw_write(&e->gpu->hw,
			VPRIME_ENGINE_BASE(e->idx) + VPRIME_ENG_RING_TAIL, e->tail);
	drm_dev_exit(idx);
	spin_unlock_irqrestore(&e->lock, flags);
	return &hf->base;
}

/**
 * vprime_engines_hw_init - point each engine at its ring and writeback
 * @gpu: the device, at probe, after vprime_engines_init()
 */
void vprime_engines_hw_init(struct vprime_gpu *gpu)
{
	int i;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct vprime_engine *e = &gpu->engine[i];
		u32 base = VPRIME_ENGINE_BASE(i);

		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_CONTROL, 0);
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_RING_BASE_LO,
				lower_32_bits(e->ring_dma));
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_RING_BASE_HI,
				upper_32_bits(e->ring_dma));
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_RING_SIZE,
				VPRIME_RING_ENTRIES);
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_FENCE_ADDR_LO,
				lower_32_bits(e->fence_dma));
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_FENCE_ADDR_HI,
				upper_32_bits(e->fence_dma));
		vprime_hw_write(&gpu->hw, base + VPRIME_ENG_CONTROL,
				VPRIME_ENG_CTRL_ENABLE);
		e->tail = 0;
	}
}

static void vprime_engine_reset(struct vprime_engine *e)
{
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&e->lock, flags);
	if (drm_dev_enter(&e->gpu->drm, &idx)) {
		/* drops the command in flight, HEAD = TAIL */
		vprime_hw_write(&e->gpu->hw,
				VPRIME_ENGINE_BASE(e->idx) + VPRIME_ENG_CONTROL,
				VPRIME_ENG_CTRL_RESET | VPRIME_ENG_CTRL_ENABLE);
		drm_dev_exit(idx);
	}
	/* whatever was on the ring will never signal now */
	vprime_engine_signal(e, 0, -ETIMEDOUT);
	spin_unlock_irqrestore(&e->lock, flags);
}

static struct dma_fence *vprime_sched_run_job(struct drm_sched_job *sched_job)
{
	struct vprime_job *job = container_of(sched_job, struct vprime_job, base);

	struct vprime_hw_fence *hf = job->hw_fence;

	if (atomic_read(&job->ctx->banned)) {
		dma_fence_set_error(&sched_job->s_fence->finished, -ECANCELED);
		return NULL;	/* completes at once, with the error */
	}
	if (sched_job->s_fence->finished.error)
		return NULL;
	job->hw_fence = NULL;	/* now owned by the fence machinery */
	return vprime_engine_run(job->engine, job->ctx, hf, job->cmds,
				 job->num_cmds);
}

/*
 * What drm_sched of Linux 6.12 leaves to the driver: the two places the
 * driver reaches into the scheduler's pending_list.
 */

/*
 * A timed-out job that did not hang goes back on the scheduler's list.
 * 6.12's drm_sched_job_timedout() takes the job off pending_list before it
 * calls timedout_job() (so that free_job cannot race with the handler) and
 * puts it back only through drm_sched_stop(), which is for a real hang.  A
 * job whose interrupt went missing is done, not hung: without this, its
 * free_job would never run.  Later kernels do it themselves when the
 * handler returns DRM_GPU_SCHED_STAT_NO_HANG.
 */
static void vprime_sched_requeue_job(struct drm_sched_job *job)
{
	struct drm_gpu_scheduler *sched = job->sched;

	spin_lock(&sched->job_list_lock);
	list_add(&job->list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);
}

/*
 * After drm_sched_fini(): 6.12 leaves the jobs still on pending_list (done,
 * but the stopped scheduler never ran their free_job) to the driver.
 */
static void vprime_sched_free_pending(struct drm_gpu_scheduler *sched)
{
	struct drm_sched_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &sched->pending_list, list) {
		list_del_init(&job->list);
		sched->ops->free_job(job);
	}
}

static enum drm_gpu_sched_stat
vprime_sched_timedout_job(struct drm_sched_job *sched_job)
{
	struct vprime_job *job = container_of(sched_job, struct vprime_job, base);
	struct dma_fence *hw = sched_job->s_fence->parent;
	struct vprime_engine *e = job->engine;
	unsigned long flags;

	/*
	 * Before declaring a hang, look at the writeback: the engine may
	 * have finished the job and only its interrupt went missing.
	 */
	if (hw && (dma_fence_is_signaled(hw) || vprime_engine_done(e, hw))) {
		/* first, so that signalling it below frees it as usual */
		vprime_sched_requeue_job(sched_job);
		if (!dma_fence_is_signaled(hw)) {
			atomic64_inc(&e->lost_irqs);
			drm_warn(&e->gpu->drm, "%s: lost interrupt: fence %llu done without one; signalled\n",
				 e->name, hw->seqno);
			spin_lock_irqsave(&e->lock, flags);
			vprime_engine_signal(e, le64_to_cpu(READ_ONCE(*e->fence_cpu)), 0);
			spin_unlock_irqrestore(&e->lock, flags);
		}
		return DRM_GPU_SCHED_STAT_NOMINAL;
	}

	drm_warn(&e->gpu->drm, "%s: job timed out; resetting the engine, banning context %u\n",
		 e->name, job->ctx->hw_id);
	atomic_set(&job->ctx->banned, 1);
	atomic64_inc(&e->resets);
	/*
	 * Reset and fail the ring's fences before drm_sched_stop() detaches
	 * them: their -ETIMEDOUT then reaches the jobs' finished fences
	 * (drm_sched_start() of 6.12 would cancel a detached job instead).
	 */
	vprime_engine_reset(e);
	drm_sched_stop(&e->sched, sched_job);
	drm_sched_start(&e->sched);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static const char *vprime_eng_err_name(u32 err)
{
	switch (err) {
	case VPRIME_ENG_ERR_BAD_OPCODE:
		return "unknown opcode";
	case VPRIME_ENG_ERR_BAD_ARGS:
		return "bad command arguments";
	case VPRIME_ENG_ERR_RING_DMA:
		return "ring not readable";
	case VPRIME_ENG_ERR_FENCE_DMA:
		return "fence writeback not writable";
	case VPRIME_ENG_ERR_BAD_CTX:
		return "bad context";
	case VPRIME_ENG_ERR_DMA:
		return "DMA error";
	}
	return "unknown error";
}

/*
 * A halted engine stopped at the command it could not run: the jobs
 * before it are done (the writeback says how far), the job it halted on
 * fails with -EIO and its context is banned; the reset drops the ring,
 * so the jobs queued behind it are cancelled.
 */
static void vprime_engine_recover_halt(struct vprime_engine *e)
{
	struct vprime_hw *hw = &e->gpu->hw;
	u32 base = VPRIME_ENGINE_BASE(e->idx);
	struct vprime_hw_fence *hf;
	unsigned long flags;
	u32 err, ctx = ~0u;
	u64 seqno = 0;

	spin_lock_irqsave(&e->lock, flags);
	if (!(vprime_hw_read(hw, base + VPRIME_ENG_STATUS) &
	      VPRIME_ENG_STATUS_HALTED)) {
		spin_unlock_irqrestore(&e->lock, flags);
		return;
	}
	err = vprime_hw_read(hw, base + VPRIME_ENG_ERROR);
	vprime_engine_signal(e, le64_to_cpu(READ_ONCE(*e->fence_cpu)), 0);
	atomic64_inc(&e->halts);
	hf = list_first_entry_or_null(&e->pending, struct vprime_hw_fence, link);
	if (hf) {
		ctx = hf->ctx_hw_id;
		seqno = hf->base.seqno;
		vprime_ctx_ban_hw(e->gpu, ctx);
		dma_fence_set_error(&hf->base, -EIO);
		list_del_init(&hf->link);
		dma_fence_signal_locked(&hf->base);
		dma_fence_put(&hf->base);
	}
	vprime_hw_write(hw, base + VPRIME_ENG_CONTROL,
			VPRIME_ENG_CTRL_RESET | VPRIME_ENG_CTRL_ENABLE);
	vprime_engine_signal(e, 0, -ECANCELED);
	spin_unlock_irqrestore(&e->lock, flags);

	if (hf)
		drm_err(&e->gpu->drm, "%s: engine halted (error %u: %s) on fence %llu; job failed with -EIO, context %u banned, engine reset\n",
			e->name, err, vprime_eng_err_name(err), seqno, ctx);
	else
		drm_err(&e->gpu->drm, "%s: engine halted (error %u: %s) with no job; engine reset\n",
			e->name, err, vprime_eng_err_name(err));
}

/**
 * vprime_gpu_halt_work - recover every halted engine
 * @work: &vprime_gpu.halt_work, queued by the error interrupt
 */
void vprime_gpu_halt_work(struct work_struct *work)
{
	struct vprime_gpu *gpu = container_of(work, struct vprime_gpu,
					      halt_work);
	int i, idx;

	if (!drm_dev_enter(&gpu->drm, &idx))
		return;
	for (i = 0; i < VPRIME_GPU_ENGINES; i++)
		vprime_engine_recover_halt(&gpu->engine[i]);
	drm_dev_exit(idx);
}

static void vprime_sched_free_job(struct drm_sched_job *sched_job)
{
	drm_sched_job_cleanup(sched_job);
	vprime_job_free(container_of(sched_job, struct vprime_job, base));
}

static const struct drm_sched_backend_ops vprime_sched_ops = {
	.run_job = vprime_sched_run_job,
	.timedout_job = vprime_sched_timedout_job,
	.free_job = vprime_sched_free_job,
};

static void vprime_engines_release(struct drm_device *drm, void *arg)
{
	vprime_engines_fini(to_vprime_gpu(drm));
}

/**
 * vprime_engines_init - rings, writebacks, schedulers and interrupts
 * @gpu: the device, at probe
 *
 * Rings and interrupts are device-managed; the schedulers go with the
 * drm_device (vprime_engines_fini()), since contexts can outlive the
 * device.
 *
 * Returns: 0 or a negative errno.
 */
int vprime_engines_init(struct vprime_gpu *gpu)
{
	struct device *dev = gpu->drm.dev;
	int i, ret;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct vprime_engine *e = &gpu->engine[i];

		e->gpu = gpu;
		e->idx = i;
		snprintf(e->name, sizeof(e->name), "%s-%s", dev_name(dev),
			 i == VPRIME_ENGINE_RENDER ? "render" : "copy");
		spin_lock_init(&e->lock);
		INIT_LIST_HEAD(&e->pending);
		e->fence_context = dma_fence_context_alloc(1);
		e->ring = dmam_alloc_coherent(dev, VPRIME_RING_ENTRIES *
					      sizeof(struct vprime_cmd),
					      &e->ring_dma, GFP_KERNEL);
		e->fence_cpu = dmam_alloc_coherent(dev, sizeof(u64),
						   &e->fence_dma, GFP_KERNEL);
		if (!e->ring || !e->fence_cpu)
			return -ENOMEM;
		/* one ring entry stays free so that HEAD == TAIL means empty */
		ret = drm_sched_init(&e->sched, &vprime_sched_ops, NULL,
				     DRM_SCHED_PRIORITY_COUNT,
				     VPRIME_RING_ENTRIES - 1, 0,
				     msecs_to_jiffies(gpu->job_timeout_ms),
				     NULL, NULL, e->name, dev);
		if (ret)
			return ret;
		ret = devm_request_irq(dev, pci_irq_vector(gpu->hw.pdev,
							   VPRIME_ENGINE_MSIX_VEC(i)),
				       vprime_engine_irq, 0, e->name, e);
		if (ret)
			return ret;
	}
	return drmm_add_action_or_reset(&gpu->drm, vprime_engines_release, NULL);
}

/**
 * vprime_engines_unplug - the device is going: stop it, fail what it had
 * @gpu: device, in remove(), after drm_dev_unplug() and with its
 *	 interrupts off
 *
 * Every fence on the rings signals with -ENODEV, so the schedulers free
 * those jobs; queued jobs fail the same way when they reach run_job.  The
 * schedulers themselves live on until the drm_device is released: user
 * contexts (scheduler entities) can outlive the device.
 */
void vprime_engines_unplug(struct vprime_gpu *gpu)
{
	int i;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct vprime_engine *e = &gpu->engine[i];
		unsigned long flags;

		/*
		 * Stop the engine (a WAIT polls memory about to be unmapped).
		 * remove() still reaches the registers of a device being
		 * unplugged; after a surprise removal the write goes nowhere.
		 */
		vprime_hw_write(&gpu->hw, VPRIME_ENGINE_BASE(i) + VPRIME_ENG_CONTROL,
				VPRIME_ENG_CTRL_RESET);
		spin_lock_irqsave(&e->lock, flags);
		vprime_engine_signal(e, 0, -ENODEV);
		spin_unlock_irqrestore(&e->lock, flags);
	}
}

/**
 * vprime_engines_fini - stop the schedulers and free what they still hold
 * @gpu: the device, when the drm_device is released or probe fails
 */
void vprime_engines_fini(struct vprime_gpu *gpu)
{
	int i;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct vprime_engine *e = &gpu->engine[i];
		unsigned long flags;

		if (!e->sched.ready)
			continue;
		drm_sched_fini(&e->sched);
		spin_lock_irqsave(&e->lock, flags);
		vprime_engine_signal(e, 0, -ENODEV);
		spin_unlock_irqrestore(&e->lock, flags);
		vprime_sched_free_pending(&e->sched);
	}
}

