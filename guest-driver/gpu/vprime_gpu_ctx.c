// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: contexts.
 *
 * A context is a hardware context index with its own page table (an
 * address space) and one scheduler entity per engine.  Userspace creates
 * them per file; the driver has one of its own for migration copies.  A
 * context is freed when its last reference goes: the file's (or the
 * driver's) and one per job.
 */

#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "vprime_gpu_drv.h"

static void vprime_ctx_release(struct kref *kref)
{
	struct vprime_ctx *ctx = container_of(kref, struct vprime_ctx, refcount);
	struct vprime_gpu *gpu = ctx->gpu;
	unsigned long flags;
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

	vprime_ctx_unmap_all(ctx);
	vprime_pt_free(gpu, ctx->root, VPRIME_GPU_PT_LEVELS - 1);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	atomic_dec(&vprime_live.ctxs);
}

/**
 * vprime_ctx_put - drop a reference on a context
 * @ctx: the context; process context (the release frees DMA memory)
 */
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
 * vprime_file_ctx_get - a reference on a file's context
 * @vf: the file
 * @id: the context's user id, from CTX_CREATE
 *
 * Returns: the context (release with vprime_ctx_put()), or NULL.
 */
struct vprime_ctx *vprime_file_ctx_get(struct vprime_file *vf, u32 id)
{
	struct vprime_ctx *ctx;

	xa_lock(&vf->ctxs);
	ctx = xa_load(&vf->ctxs, id);
	if (ctx)
		kref_get(&ctx->refcount);
	xa_unlock(&vf->ctxs);
	return ctx;
}

/**
 * vprime_file_ctx_next - walk a file's contexts
 * @vf: the file
 * @id: in, the user id to start from; out, the id of the context returned
 *
 * A context in the file's array holds the file's reference, and CTX_DESTROY
 * takes it out under the array's lock: under that lock, a reference is
 * safe to take.
 *
 * Returns: the context at @id or the next one, with a reference (release
 * with vprime_ctx_put(), continue from @id + 1), or NULL after the last.
 */
struct vprime_ctx *vprime_file_ctx_next(struct vprime_file *vf,
					unsigned long *id)
{
	struct vprime_ctx *ctx;

	xa_lock(&vf->ctxs);
	ctx = xa_find(&vf->ctxs, id, ULONG_MAX, XA_PRESENT);
	if (ctx)
		kref_get(&ctx->refcount);
	xa_unlock(&vf->ctxs);
	return ctx;
}

/*
 * The banned flag of the context with hardware id @hw_id, looked up under
 * the lock that keeps it in the array; @ban sets it first.  Out of range,
 * or no such context: false.  Safe from interrupts.
 */
static bool vprime_ctx_hw_banned_flag(struct vprime_gpu *gpu, u32 hw_id,
				      bool ban)
{
	struct vprime_ctx *ctx;
	unsigned long flags;
	bool was = false;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	ctx = hw_id < VPRIME_GPU_MAX_CONTEXTS ? gpu->ctx_by_id[hw_id] : NULL;
	if (ctx)
		was = ban ? atomic_xchg(&ctx->banned, 1) : atomic_read(&ctx->banned);
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
	return was;
}

/**
 * vprime_ctx_ban_hw - ban the context with hardware id @hw_id
 * @gpu: the device
 * @hw_id: any value the hardware reported; out of range is ignored
 *
 * Safe from interrupts.
 *
 * Returns: whether it was banned already (false if there is no such
 * context).
 */
bool vprime_ctx_ban_hw(struct vprime_gpu *gpu, u32 hw_id)
{
	return vprime_ctx_hw_banned_flag(gpu, hw_id, true);
}

/**
 * vprime_ctx_banned_hw - whether the context with hardware id @hw_id is banned
 * @gpu: the device
 * @hw_id: any value; out of range, or no such context, is not banned
 *
 * Safe from interrupts.
 *
 * Returns: true if banned.
 */
bool vprime_ctx_banned_hw(struct vprime_gpu *gpu, u32 hw_id)
{
	return vprime_ctx_hw_banned_flag(gpu, hw_id, false);
}

/* Point the hardware context at the root table and enable it */
static void vprime_ctx_hw_enable(struct vprime_ctx *ctx)
{
	struct vprime_gpu *gpu = ctx->gpu;
	unsigned long flags;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	gpu->ctx_by_id[ctx->hw_id] = ctx;
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_SELECT, ctx->hw_id);
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_PT_LO,
			lower_32_bits(ctx->root->dma));
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_PT_HI,
			upper_32_bits(ctx->root->dma));
	vprime_hw_write(&gpu->hw, VPRIME_REG_CTX_CONTROL, VPRIME_CTX_ENABLE);
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
}

/**
 * vprime_ctx_create - a new hardware context with an empty address space
 * @gpu: device, inside drm_dev_enter() or at probe
 *
 * Returns: the context (one reference) or an ERR_PTR.
 */
struct vprime_ctx *vprime_ctx_create(struct vprime_gpu *gpu)
{
	struct vprime_ctx *ctx;
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
	vprime_ctx_hw_enable(ctx);
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

/**
 * vprime_ctx_destroy - tear down a context, after its queued jobs
 * @ctx: the context; the caller's reference goes
 */
void vprime_ctx_destroy(struct vprime_ctx *ctx)
{
	int i;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++)
		drm_sched_entity_destroy(&ctx->entity[i]);
	vprime_ctx_put(ctx);
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

/**
 * vprime_file_release_ctxs - destroy every context of a closing file
 * @vf: the file, from &drm_driver.postclose
 */
void vprime_file_release_ctxs(struct vprime_file *vf)
{
	struct vprime_ctx *ctx;
	unsigned long id;

	xa_for_each(&vf->ctxs, id, ctx)
		vprime_ctx_destroy(ctx);
	xa_destroy(&vf->ctxs);
}
