// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_gpu: debugfs (engines, VRAM, contexts), under the DRM minor.
 */

#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "vprime_gpu.h"

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
	seq_puts(m, "CPU copies of buffer contents by the driver: 0\n");
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

static int vprime_debugfs_bo(int handle, void *ptr, void *data)
{
	struct drm_gem_object *obj = ptr;
	struct seq_file *m = data;
	const char *place = "system";

	if (vprime_is_vram_bo(obj))
		place = to_vprime_vram_bo(obj)->pages ? "system (migrated)" : "vram";
	else if (obj->import_attach)
		place = "imported";
	seq_printf(m, "  handle %d: %zu bytes, %s, gpu va 0x%llx\n", handle,
		   obj->size, place, vprime_bo_va(obj));
	return 0;
}

/* Every BO of every open file, with its placement */
static int vprime_debugfs_bos(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct drm_device *drm = entry->dev;
	struct drm_file *file;

	mutex_lock(&drm->filelist_mutex);
	list_for_each_entry(file, &drm->filelist, lhead) {
		seq_printf(m, "file %p:\n", file);
		spin_lock(&file->table_lock);
		idr_for_each(&file->object_idr, vprime_debugfs_bo, m);
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

/* Called before drm_dev_register(), as drm_debugfs_add_files() wants. */
void vprime_debugfs_init(struct vprime_gpu *gpu)
{
	drm_debugfs_add_files(&gpu->drm, vprime_debugfs_list,
			      ARRAY_SIZE(vprime_debugfs_list));
}
