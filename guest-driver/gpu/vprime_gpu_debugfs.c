// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: debugfs (engines, VRAM, contexts, BOs, interrupts, the
 * inject_early_unmap fault knob) under the DRM minor, and the module's live
 * object counts (vprime_gpu/live), which outlive a removed device's
 * directory.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "vprime_gpu_drv.h"

static int vprime_debugfs_engines(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_gpu *gpu = to_vprime_gpu(entry->dev);
	int i, idx;

	for (i = 0; i < VPRIME_GPU_ENGINES; i++) {
		struct vprime_engine *e = &gpu->engine[i];
		struct vprime_hw_fence *hf;
		unsigned long flags;
		u32 base = VPRIME_ENGINE_BASE(i);
		unsigned int pending = 0;
		u64 seqno, done;

		spin_lock_irqsave(&e->lock, flags);
		list_for_each_entry(hf, &e->pending, link)
			pending++;
		seqno = e->seqno;
		done = le64_to_cpu(READ_ONCE(*e->fence_cpu));
		spin_unlock_irqrestore(&e->lock, flags);
		seq_printf(m, "%s: emitted %llu, completed %llu, pending %u, lost interrupts %lld, halts %lld, timeout resets %lld",
			   e->name, seqno, done, pending,
			   (long long)atomic64_read(&e->lost_irqs),
			   (long long)atomic64_read(&e->halts),
			   (long long)atomic64_read(&e->resets));
		if (drm_dev_enter(&gpu->drm, &idx)) {
			seq_printf(m, ", head %u, tail %u, status 0x%x, error %u",
				   vprime_hw_read(&gpu->hw, base + VPRIME_ENG_RING_HEAD),
				   vprime_hw_read(&gpu->hw, base + VPRIME_ENG_RING_TAIL),
				   vprime_hw_read(&gpu->hw, base + VPRIME_ENG_STATUS),
				   vprime_hw_read(&gpu->hw, base + VPRIME_ENG_ERROR));
			drm_dev_exit(idx);
		}
		seq_puts(m, "\n");
	}
	return 0;
}

static int vprime_debugfs_vram(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_gpu *gpu = to_vprime_gpu(entry->dev);
	struct drm_printer p = drm_seq_file_printer(m);

	seq_printf(m, "migrations to system memory: %lld\n",
		   (long long)atomic64_read(&gpu->migrations));
	seq_printf(m, "evictions: %lld\n",
		   (long long)atomic64_read(&gpu->evictions));
	if (!gpu->hw.vram_size) {
		seq_puts(m, "no VRAM\n");
		return 0;
	}
	mutex_lock(&gpu->vram_lock);
	drm_buddy_print(&gpu->vram, &p);
	mutex_unlock(&gpu->vram_lock);
	return 0;
}

static int vprime_debugfs_contexts(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vprime_gpu *gpu = to_vprime_gpu(entry->dev);
	unsigned long flags;
	int i;

	spin_lock_irqsave(&gpu->ctx_lock, flags);
	for (i = 0; i < VPRIME_GPU_MAX_CONTEXTS; i++) {
		struct vprime_ctx *ctx = gpu->ctx_by_id[i];

		if (ctx)
			seq_printf(m, "context %d: %s\n", i,
				   atomic_read(&ctx->banned) ? "banned" : "ok");
	}
	spin_unlock_irqrestore(&gpu->ctx_lock, flags);
	return 0;
}

/* The user ids of @vf's contexts that map @obj, comma-separated */
static void vprime_debugfs_bo_ctxs(struct seq_file *m, struct vprime_file *vf,
				   struct drm_gem_object *obj)
{
	unsigned long id, key = vprime_bo_va(obj) >> VPRIME_GPU_PAGE_SHIFT;
	struct vprime_ctx *ctx;
	bool any = false;

	/* a context in the array is alive: CTX_DESTROY takes it out first */
	xa_lock(&vf->ctxs);
	xa_for_each(&vf->ctxs, id, ctx) {
		if (!xa_load(&ctx->mapped, key))
			continue;
		seq_printf(m, "%s%lu", any ? "," : "", id);
		any = true;
	}
	xa_unlock(&vf->ctxs);
	if (!any)
		seq_puts(m, "none");
}

struct vprime_debugfs_bo_arg {
	struct seq_file *m;
	struct vprime_file *vf;
};

static int vprime_debugfs_bo(int handle, void *ptr, void *data)
{
	struct vprime_debugfs_bo_arg *arg = data;
	struct drm_gem_object *obj = ptr;
	const char *place = "system";

	if (vprime_is_vram_bo(obj))
		place = to_vprime_vram_bo(obj)->pages ? "system (migrated)" : "vram";
	else if (obj->import_attach)
		place = "imported";
	seq_printf(arg->m, "  handle %d: %zu bytes, %s, gpu va 0x%llx, handles %u, contexts ",
		   handle, obj->size, place, vprime_bo_va(obj),
		   READ_ONCE(obj->handle_count));
	vprime_debugfs_bo_ctxs(arg->m, arg->vf, obj);
	seq_puts(arg->m, "\n");
	return 0;
}

/*
 * Every BO of every open file: its handle in that file, size, placement,
 * GPU VA, how many handles it has over all files, and the file's contexts
 * (user ids) it is mapped into.  Files are named by their fdinfo
 * drm-client-id.
 */
static int vprime_debugfs_bos(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct drm_device *drm = entry->dev;
	struct vprime_debugfs_bo_arg arg = { .m = m };
	struct drm_file *file;

	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(file, &drm->filelist, lhead) {
		seq_printf(m, "file client %llu:\n", file->client_id);
		arg.vf = file->driver_priv;
		spin_lock(&file->table_lock);
		idr_for_each(&file->object_idr, vprime_debugfs_bo, &arg);
		spin_unlock(&file->table_lock);
	}
	mutex_unlock(&drm->filelist_mutex);
	return 0;
}

static const struct drm_debugfs_info vprime_debugfs_list[] = {
	{ "bos", vprime_debugfs_bos, 0 },
	{ "engines", vprime_debugfs_engines, 0 },
	{ "vram", vprime_debugfs_vram, 0 },
	{ "contexts", vprime_debugfs_contexts, 0 },
};

struct vprime_bo_at {
	unsigned long key;
	struct drm_gem_object *obj;
};

static bool vprime_ctx_bo_at(struct vprime_ctx *ctx, void *data)
{
	struct vprime_bo_at *at = data;
	struct vprime_mapping *m = xa_load(&ctx->mapped, at->key);

	if (m) {
		at->obj = m->obj;
		drm_gem_object_get(at->obj);
	}
	return m != NULL;
}

/* The BO mapped at GPU VA va in some context, with a reference, or NULL */
static struct drm_gem_object *vprime_bo_at(struct vprime_gpu *gpu, u64 va)
{
	struct vprime_bo_at at = { .key = va >> VPRIME_GPU_PAGE_SHIFT };

	vprime_ctx_for_each_hw_locked(gpu, vprime_ctx_bo_at, &at);
	return at.obj;
}

/*
 * inject_early_unmap: write a BO's GPU VA (as GEM_INFO gives it) and the
 * driver dma-unmaps the BO's system-memory pages for this device while its
 * page-table entries still point at them -- the classic importer bug of
 * unmapping a buffer the device still uses.  With a vIOMMU, the device's
 * next access to the BO faults in the IOMMU (the guest logs a DMAR fault)
 * and the GPU reports a DMA page fault; without one, the stale addresses
 * still reach the pages, as on real hardware.  The BO stays broken: free
 * it.  Reading the file gives the last injection's VA and DMA ranges.
 */
static ssize_t vprime_inject_unmap_write(struct file *f, const char __user *ubuf,
					 size_t len, loff_t *pos)
{
	struct vprime_gpu *gpu = file_inode(f)->i_private;
	struct drm_gem_object *obj;
	struct vprime_bo *bo;
	int ret, idx;
	u64 va;

	ret = kstrtou64_from_user(ubuf, len, 0, &va);
	if (ret)
		return ret;
	if (!drm_dev_enter(&gpu->drm, &idx))
		return -ENODEV;
	obj = vprime_bo_at(gpu, va);
	if (!obj) {
		ret = -ENOENT;
		goto out_exit;
	}
	if (vprime_is_vram_bo(obj) || obj->import_attach) {
		/* VRAM has no DMA mapping; an import's belongs to its dma-buf */
		ret = -EINVAL;
		goto out_put;
	}
	bo = to_vprime_bo(obj);
	mutex_lock(&gpu->inject_lock);
	ret = vprime_hw_inject_unmap(&bo->base, &bo->dma_unmapped,
				     gpu->inject_dma, sizeof(gpu->inject_dma));
	if (!ret) {
		gpu->inject_va = va;
		drm_warn(&gpu->drm, "inject_early_unmap: BO at GPU VA 0x%llx unmapped (DMA %s) while the GPU maps it\n",
			 va, gpu->inject_dma);
		ret = len;
	}
	mutex_unlock(&gpu->inject_lock);
out_put:
	drm_gem_object_put(obj);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

static int vprime_inject_unmap_show(struct seq_file *m, void *data)
{
	struct vprime_gpu *gpu = m->private;

	mutex_lock(&gpu->inject_lock);
	if (gpu->inject_va)
		seq_printf(m, "va 0x%llx dma %s\n", gpu->inject_va, gpu->inject_dma);
	else
		seq_puts(m, "none\n");
	mutex_unlock(&gpu->inject_lock);
	return 0;
}

DEFINE_SHOW_STORE_ATTRIBUTE(vprime_inject_unmap);

/**
 * vprime_gpu_debugfs_init - the device's debugfs files
 * @gpu: the device, before drm_dev_register() (as drm_debugfs_add_files()
 *	wants)
 */
void vprime_gpu_debugfs_init(struct vprime_gpu *gpu)
{
	drm_debugfs_add_files(&gpu->drm, vprime_debugfs_list,
			      ARRAY_SIZE(vprime_debugfs_list));
	vprime_hw_debugfs_init(&gpu->hw);
	/* removed with the device's directory at unplug */
	debugfs_create_file("inject_early_unmap", 0600, gpu->drm.debugfs_root,
			    gpu, &vprime_inject_unmap_fops);
}

static struct dentry *vprime_debugfs_module_dir;

static int vprime_debugfs_live_show(struct seq_file *m, void *data)
{
	seq_printf(m, "devices %d\nbos %d\ncontexts %d\njobs %d\nfences %d\n",
		   atomic_read(&vprime_live.devices), atomic_read(&vprime_live.bos),
		   atomic_read(&vprime_live.ctxs), atomic_read(&vprime_live.jobs),
		   atomic_read(&vprime_live.fences));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vprime_debugfs_live);

/**
 * vprime_gpu_debugfs_module_init - vprime_gpu/live, at module load
 */
void vprime_gpu_debugfs_module_init(void)
{
	vprime_debugfs_module_dir = debugfs_create_dir("vprime_gpu", NULL);
	debugfs_create_file("live", 0444, vprime_debugfs_module_dir, NULL,
			    &vprime_debugfs_live_fops);
}

/**
 * vprime_gpu_debugfs_module_fini - remove vprime_gpu/, at module unload
 */
void vprime_gpu_debugfs_module_fini(void)
{
	debugfs_remove_recursive(vprime_debugfs_module_dir);
}
