// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: hardware fences and the interrupts that signal them.
 *
 * A job's hardware fence is signalled when the engine's fence writeback
 * reaches its seqno: the FENCE command that ends each job writes it and
 * raises the engine's MSI-X vector.  Fences are never polled.  A page
 * fault, reported on the misc vector, bans its context, and the fences of
 * that context's jobs carry -EFAULT.
 */

#include <linux/interrupt.h>

#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

static const char *vprime_fence_driver_name(struct dma_fence *f)
{
	return "vprime_gpu";
}

static const char *vprime_fence_timeline_name(struct dma_fence *f)
{
	return "vprime_gpu engine";
}

static void vprime_fence_release(struct dma_fence *f)
{
	atomic_dec(&vprime_live.fences);
	dma_fence_free(f);
}

static const struct dma_fence_ops vprime_fence_ops = {
	.get_driver_name = vprime_fence_driver_name,
	.get_timeline_name = vprime_fence_timeline_name,
	.release = vprime_fence_release,
};

/**
 * vprime_hw_fence_init - emit the next hardware fence of an engine
 * @e: the engine; caller holds @e->lock
 * @hf: the fence, allocated at submit (no allocation here: this runs in
 *	the fence signalling path)
 * @ctx_hw_id: the job's context
 *
 * The fence gets the next seqno and goes on @e->pending with two
 * references: the pending list's and the scheduler's.
 */
void vprime_hw_fence_init(struct vprime_engine *e, struct vprime_hw_fence *hf,
			  u32 ctx_hw_id)
{
	lockdep_assert_held(&e->lock);
	hf->ctx_hw_id = ctx_hw_id;
	dma_fence_init(&hf->base, &vprime_fence_ops, &e->lock, e->fence_context,
		       ++e->seqno);
	atomic_inc(&vprime_live.fences);
	dma_fence_get(&hf->base);
	list_add_tail(&hf->link, &e->pending);
}

/**
 * vprime_engine_signal - signal an engine's finished hardware fences
 * @e: the engine; caller holds @e->lock
 * @seqno: the fence writeback: every fence up to it is done
 * @error: 0; or an errno to fail every pending fence with, done or not
 *	(the ring was dropped)
 */
void vprime_engine_signal(struct vprime_engine *e, u64 seqno, int error)
{
	struct vprime_hw_fence *hf, *tmp;

	lockdep_assert_held(&e->lock);
	list_for_each_entry_safe(hf, tmp, &e->pending, link) {
		if (!error && hf->base.seqno > seqno)
			break;
		if (error)
			dma_fence_set_error(&hf->base, error);
		else if (vprime_ctx_banned_hw(e->gpu, hf->ctx_hw_id))
			/* its context faulted: the GPU dropped its work */
			dma_fence_set_error(&hf->base, -EFAULT);
		list_del_init(&hf->link);
		dma_fence_signal_locked(&hf->base);
		dma_fence_put(&hf->base);
	}
}

/**
 * vprime_engine_done - whether the writeback says a fence is done
 * @e: the engine
 * @hw: one of its hardware fences
 *
 * Returns: true if the engine wrote a seqno at or past @hw's.
 */
bool vprime_engine_done(struct vprime_engine *e, struct dma_fence *hw)
{
	return le64_to_cpu(READ_ONCE(*e->fence_cpu)) >= hw->seqno;
}

/**
 * vprime_engine_irq - an engine's MSI-X vector: its fences are done
 * @irq: the interrupt
 * @arg: the &struct vprime_engine
 *
 * Returns: IRQ_HANDLED, or IRQ_NONE if the engine did not interrupt.
 */
irqreturn_t vprime_engine_irq(int irq, void *arg)
{
	struct vprime_engine *e = arg;
	struct vprime_hw *hw = &e->gpu->hw;
	u32 cause = VPRIME_IRQ_ENGINE(e->idx);
	unsigned long flags;

	if (!(vprime_hw_read(hw, VPRIME_REG_IRQ_STATUS) & cause))
		return IRQ_NONE;
	vprime_hw_write(hw, VPRIME_REG_IRQ_STATUS, cause);
	atomic64_inc(&hw->irq_count);
	/*
	 * A fault is reported on the misc vector before the faulting job's
	 * FENCE completes, but the CPU may take this vector first: ban the
	 * context now so that the job's fence carries the error.
	 */
	if (vprime_hw_read(hw, VPRIME_REG_ERROR) & VPRIME_ERR_PAGE_FAULT)
		vprime_gpu_fault_irq(e->gpu);

	spin_lock_irqsave(&e->lock, flags);
	vprime_engine_signal(e, le64_to_cpu(READ_ONCE(*e->fence_cpu)), 0);
	spin_unlock_irqrestore(&e->lock, flags);
	return IRQ_HANDLED;
}

/**
 * vprime_gpu_fault_irq - a page fault stopped a context: ban it
 * @gpu: the device, from the misc or an engine interrupt
 */
void vprime_gpu_fault_irq(struct vprime_gpu *gpu)
{
	u32 hw_id = vprime_hw_read(&gpu->hw, VPRIME_REG_FAULT_CTX);
	u64 addr = vprime_hw_read(&gpu->hw, VPRIME_REG_FAULT_ADDR_LO) |
		   (u64)vprime_hw_read(&gpu->hw, VPRIME_REG_FAULT_ADDR_HI) << 32;
	u32 info = vprime_hw_read(&gpu->hw, VPRIME_REG_FAULT_INFO);

	/* both vectors may report the same fault: warn once */
	if (!vprime_ctx_ban_hw(gpu, hw_id))
		dev_warn_ratelimited(gpu->drm.dev,
				     "GPU page fault: context %u, address 0x%llx, %s, reason %u; context banned\n",
				     hw_id, addr,
				     info & VPRIME_FAULT_WRITE ? "write" : "read",
				     info & VPRIME_FAULT_REASON_MASK);
}
