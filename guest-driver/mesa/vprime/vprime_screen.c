/*
 * Copyright 2026 vprime authors
 * SPDX-License-Identifier: MIT
 */

/*
 * vprime: Mesa's gallium driver for the vprime GPUs.
 *
 * The vprime GPUs have a render engine and a copy engine that fill, blit
 * (with format and layout conversion) and copy, but no 3D pipeline.  So
 * this driver is llvmpipe -- Mesa's software rasterizer, running in the
 * guest -- with the GPU underneath everything else a real driver does:
 *
 *  - Every resource is a vprime_gpu buffer object, CPU-accessed through the
 *    BO's mmap: display targets (the sw_winsys below) and every texture and
 *    buffer (llvmpipe's unbacked resources bound to a BO mapping).  They
 *    are placed as dGPU drivers place them: private buffers in VRAM,
 *    buffers that are shared or scanned out in system memory.
 *  - Clears, copies and blits run on the GPU's engines where they fit
 *    (FILL, COPY, BLIT), so the device's counters show the work; llvmpipe
 *    draws everything else.
 *  - Implicit sync: a GPU job's fence becomes each of its BOs' writer in
 *    their reservation objects (the kernel does it for SUBMIT's BO list),
 *    so other devices wait for it; before the CPU touches a shared BO the
 *    driver waits for the fences of other devices through the dma-buf.
 *    The job that makes a tiled buffer what others see (the conversion
 *    at flush) is not waited for here: whoever uses the buffer next --
 *    the display's flip, another GPU's job -- waits for its fence.
 *  - PRIME: dma-buf export and import through GBM and EGL, modifiers
 *    DRM_FORMAT_MOD_LINEAR and the registered modifiers of the GPU's own
 *    tiled layouts, as the kernel reports them (GET_PARAM LAYOUTS and
 *    LAYOUT_MODIFIER: the iGPU Intel X- and Y-tiled, the dGPU NVIDIA
 *    block linear); on the display's card node only those the display
 *    engine scans too.  A modifier of another GPU is refused at import:
 *    two GPUs share LINEAR only.
 *    llvmpipe renders only linear images: a tiled buffer has a linear
 *    shadow llvmpipe draws into and reads, and the GPU's BLIT converts
 *    between the two -- shadow to tiled when the context flushes, tiled to
 *    shadow before llvmpipe reads a tiled buffer another device wrote.
 *
 * Two entry points: the vprime_gpu render nodes, and the vprime_display
 * card node, a KMS-only device whose buffers are rendered by a vprime GPU
 * and imported into the display (what kmsro does for SoC displays).
 *
 * llvmpipe's screen and contexts are used as they are; this file replaces
 * a few of their functions (resource creation and destruction, handles,
 * modifiers, names; clear, resource_copy_region, blit) and calls llvmpipe's
 * own for everything it does not take over.
 */

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "drm-uapi/drm_fourcc.h"
#include "frontend/drm_driver.h"
#include "frontend/sw_winsys.h"
#include "pipe/p_context.h"
#include "pipe/p_screen.h"
#include "pipe/p_state.h"
#include "util/format/u_format.h"
#include "util/hash_table.h"
#include "util/list.h"
#include "util/os_file.h"
#include "util/simple_mtx.h"
#include "util/u_debug.h"
#include "util/u_inlines.h"
#include "util/u_math.h"
#include "util/u_memory.h"
#include "util/u_pack_color.h"

#include "llvmpipe/lp_context.h"
#include "llvmpipe/lp_flush.h"
#include "llvmpipe/lp_public.h"
#include "llvmpipe/lp_query.h"
#include "llvmpipe/lp_screen.h"
#include "llvmpipe/lp_texture.h"

#include "vprime_regs.h"
#include "vprime_drm.h"
#include "vprime_public.h"

/* VPRIME_DEBUG=1 prints every GPU job and every placement decision. */
static bool
vprime_debug(void)
{
   static int on = -1;
   if (on < 0)
      on = debug_get_bool_option("VPRIME_DEBUG", false);
   return on;
}

#define vp_dbg(...) do { if (vprime_debug()) fprintf(stderr, "vprime: " __VA_ARGS__); } while (0)

struct vprime_bo {
   uint32_t handle;        /* GEM handle on the GPU's fd */
   uint64_t size;
   uint64_t gpu_va;        /* the same in every context of the device */
   uint64_t mmap_offset;
   uint32_t placement;     /* VPRIME_GEM_SYSTEM or VPRIME_GEM_VRAM */
   void *map;              /* persistent CPU mapping, NULL until first use */
   int dmabuf_fd;          /* shared BOs: their dma-buf, for implicit sync */
   uint32_t kms_handle;    /* display screens: the BO's handle on the display */
   int refcount;
};

/* A display target: a BO, or a plane in one (imports with an offset). */
struct vprime_dt {
   struct vprime_bo *bo;
   enum pipe_format format;
   unsigned width, height;
   unsigned stride;        /* of what llvmpipe sees: bo, or the shadow */
   unsigned offset;

   /* a tiled modifier: bo holds the tiled image other devices see */
   bool tiled;
   uint32_t layout;        /* VPRIME_LAYOUT_* of bo */
   uint64_t modifier;      /* its DRM format modifier */
   struct vprime_bo *shadow;       /* linear, private: llvmpipe's view */
   unsigned tiled_pitch;
   bool shadow_dirty;      /* llvmpipe or an engine wrote the shadow */
   int convert_fence;      /* sync_file of the last shadow -> tiled job, or -1 */
   bool foreign;           /* imported: bo is what counts, detile to read */
   struct list_head link;  /* in vprime_winsys.tiled */
};

struct vprime_winsys {
   struct sw_winsys base;

   int fd;                 /* the GPU's render node */
   int kms_fd;             /* the display's card node, or -1 */
   uint32_t kind;          /* VPRIME_KIND_IGPU or VPRIME_KIND_DGPU */
   uint64_t vram_size;
   uint32_t ctx_id;        /* the GPU context the engines run our jobs in */
   /* the tiled modifiers offered, as the kernel reports them: the GPU's
    * (on the display's node: those the display scans too), and layouts */
   int nmods;
   uint64_t mods[VPRIME_LAYOUT_COUNT];
   uint32_t mod_layout[VPRIME_LAYOUT_COUNT];
   char name[128];

   simple_mtx_t lock;      /* protects bos, backing and the counters */
   struct hash_table *bos;         /* GEM handle -> struct vprime_bo */
   struct hash_table *backing;     /* pipe_resource -> struct vprime_bo */
   struct list_head tiled;         /* tiled display targets */

   /* llvmpipe's functions this driver wraps */
   struct pipe_context *(*lp_context_create)(struct pipe_screen *, void *, unsigned);
   struct pipe_resource *(*lp_resource_create)(struct pipe_screen *,
                                               const struct pipe_resource *);
   void (*lp_resource_destroy)(struct pipe_screen *, struct pipe_resource *);
   bool (*lp_resource_get_param)(struct pipe_screen *, struct pipe_context *,
                                 struct pipe_resource *, unsigned, unsigned,
                                 unsigned, enum pipe_resource_param, unsigned,
                                 uint64_t *);
   void (*lp_clear)(struct pipe_context *, unsigned,
                    const struct pipe_scissor_state *,
                    const union pipe_color_union *, double, unsigned);
   void (*lp_resource_copy_region)(struct pipe_context *,
                                   struct pipe_resource *, unsigned,
                                   unsigned, unsigned, unsigned,
                                   struct pipe_resource *, unsigned,
                                   const struct pipe_box *);
   void (*lp_blit)(struct pipe_context *, const struct pipe_blit_info *);
   void (*lp_flush)(struct pipe_context *, struct pipe_fence_handle **, unsigned);
   void (*lp_flush_resource)(struct pipe_context *, struct pipe_resource *);

   /* GPU jobs submitted, for VPRIME_DEBUG */
   unsigned jobs[3];       /* fill, blit, copy */
};

static inline struct vprime_winsys *
vprime_winsys(struct sw_winsys *ws)
{
   return (struct vprime_winsys *)ws;
}

static inline struct vprime_winsys *
vprime_screen_ws(struct pipe_screen *screen)
{
   return vprime_winsys(llvmpipe_screen(screen)->winsys);
}

/* ------------------------------------------------------------------------
 * The kernel interface: BOs, PRIME, jobs
 * ------------------------------------------------------------------------ */

static int
vprime_get_param(int fd, uint32_t param, uint64_t *value)
{
   struct drm_vprime_get_param gp = { .param = param };
   if (drmIoctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp))
      return -errno;
   *value = gp.value;
   return 0;
}

/* GEM_INFO: size, GPU VA, mmap offset and placement of a handle */
static int
vprime_bo_query(struct vprime_winsys *ws, struct vprime_bo *bo)
{
   struct drm_vprime_gem_info info = { .handle = bo->handle };
   if (drmIoctl(ws->fd, DRM_IOCTL_VPRIME_GEM_INFO, &info))
      return -errno;
   bo->size = info.size;
   bo->gpu_va = info.gpu_va;
   bo->mmap_offset = info.mmap_offset;
   bo->placement = info.placement;
   return 0;
}

static void
vprime_gem_close(int fd, uint32_t handle)
{
   struct drm_gem_close close_req = { .handle = handle };
   drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &close_req);
}

/* Called with ws->lock held. */
static struct vprime_bo *
vprime_bo_create_locked(struct vprime_winsys *ws, uint64_t size, bool vram)
{
   struct drm_vprime_gem_create req = {
      .size = align64(MAX2(size, 1), 4096),
      .flags = vram ? VPRIME_GEM_VRAM : VPRIME_GEM_SYSTEM,
   };
   struct vprime_bo *bo;

   if (drmIoctl(ws->fd, DRM_IOCTL_VPRIME_GEM_CREATE, &req)) {
      if (!vram)
         return NULL;
      /* VRAM is full: system memory, as a dGPU driver evicts to GTT */
      vp_dbg("VRAM full for %" PRIu64 " bytes, using system memory\n", size);
      req.flags = VPRIME_GEM_SYSTEM;
      req.handle = 0;
      if (drmIoctl(ws->fd, DRM_IOCTL_VPRIME_GEM_CREATE, &req))
         return NULL;
   }
   bo = CALLOC_STRUCT(vprime_bo);
   if (!bo) {
      vprime_gem_close(ws->fd, req.handle);
      return NULL;
   }
   bo->handle = req.handle;
   bo->dmabuf_fd = -1;
   bo->refcount = 1;
   if (vprime_bo_query(ws, bo)) {
      vprime_gem_close(ws->fd, bo->handle);
      FREE(bo);
      return NULL;
   }
   _mesa_hash_table_insert(ws->bos, (void *)(uintptr_t)bo->handle, bo);
   return bo;
}

static struct vprime_bo *
vprime_bo_create(struct vprime_winsys *ws, uint64_t size, bool vram)
{
   simple_mtx_lock(&ws->lock);
   struct vprime_bo *bo = vprime_bo_create_locked(ws, size, vram);
   simple_mtx_unlock(&ws->lock);
   return bo;
}

static void
vprime_bo_unref(struct vprime_winsys *ws, struct vprime_bo *bo)
{
   simple_mtx_lock(&ws->lock);
   if (--bo->refcount > 0) {
      simple_mtx_unlock(&ws->lock);
      return;
   }
   _mesa_hash_table_remove_key(ws->bos, (void *)(uintptr_t)bo->handle);
   simple_mtx_unlock(&ws->lock);

   if (bo->map)
      munmap(bo->map, bo->size);
   if (bo->kms_handle)
      vprime_gem_close(ws->kms_fd, bo->kms_handle);
   if (bo->dmabuf_fd >= 0)
      close(bo->dmabuf_fd);
   vprime_gem_close(ws->fd, bo->handle);
   FREE(bo);
}

static void *
vprime_bo_map(struct vprime_winsys *ws, struct vprime_bo *bo)
{
   simple_mtx_lock(&ws->lock);
   if (!bo->map) {
      void *map = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
                       ws->fd, bo->mmap_offset);
      if (map != MAP_FAILED)
         bo->map = map;
      else
         fprintf(stderr, "vprime: mmap of BO %u failed: %s\n", bo->handle,
                 strerror(errno));
   }
   simple_mtx_unlock(&ws->lock);
   return bo->map;
}

/*
 * Implicit sync for CPU access: wait for the fences other devices attached
 * to a shared BO's reservation -- their writes before a read, every fence
 * before a write (a dma-buf polls readable once its writers are done,
 * writable once everybody is).
 */
static void
vprime_bo_wait_fences(struct vprime_bo *bo, bool write)
{
   if (bo->dmabuf_fd < 0)
      return;
   struct pollfd p = { .fd = bo->dmabuf_fd, .events = write ? POLLOUT : POLLIN };
   while (poll(&p, 1, -1) < 0 && (errno == EINTR || errno == EAGAIN))
      ;
}

/* Export once and keep the dma-buf: for sharing and for the fences. */
static int
vprime_bo_dmabuf(struct vprime_winsys *ws, struct vprime_bo *bo)
{
   simple_mtx_lock(&ws->lock);
   if (bo->dmabuf_fd < 0) {
      int fd = -1;
      if (drmPrimeHandleToFD(ws->fd, bo->handle, DRM_CLOEXEC | DRM_RDWR, &fd) == 0) {
         bo->dmabuf_fd = fd;
         /* exporting a VRAM BO moves it to system memory */
         vprime_bo_query(ws, bo);
      }
   }
   simple_mtx_unlock(&ws->lock);
   return bo->dmabuf_fd;
}

/* Display screens: the BO as a GEM object of the display (PRIME import) */
static uint32_t
vprime_bo_kms_handle(struct vprime_winsys *ws, struct vprime_bo *bo)
{
   int fd = vprime_bo_dmabuf(ws, bo);
   if (fd < 0)
      return 0;
   simple_mtx_lock(&ws->lock);
   if (!bo->kms_handle) {
      uint32_t h;
      if (drmPrimeFDToHandle(ws->kms_fd, fd, &h) == 0)
         bo->kms_handle = h;
   }
   simple_mtx_unlock(&ws->lock);
   return bo->kms_handle;
}

/* Wait for a sync_file and close it; -1 is no fence */
static void
vprime_fence_wait_close(int *fence_fd)
{
   if (*fence_fd < 0)
      return;
   struct pollfd p = { .fd = *fence_fd, .events = POLLIN };
   while (poll(&p, 1, -1) < 0 && (errno == EINTR || errno == EAGAIN))
      ;
   close(*fence_fd);
   *fence_fd = -1;
}

/*
 * Run commands on an engine.  The kernel makes the job's fence the writer
 * of every listed BO, so devices that use those BOs next wait for it.
 * Without out_fence this CPU waits too, so llvmpipe never races the engine
 * (the GPU's work is ordered with the rasterizer's by waiting here, and
 * the rasterizer's with the GPU's by llvmpipe_flush_resource before);
 * with out_fence the caller gets the job's sync_file and waits for it
 * before the CPU touches what the job reads or writes.
 */
static bool
vprime_submit_fenced(struct vprime_winsys *ws, uint32_t engine,
                     struct drm_vprime_cmd *cmds, unsigned num_cmds,
                     const uint32_t *handles, unsigned num_handles, int *out_fence)
{
   struct drm_vprime_submit req = {
      .cmds = (uintptr_t)cmds,
      .bo_handles = (uintptr_t)handles,
      .num_cmds = num_cmds,
      .num_bos = num_handles,
      .ctx_id = ws->ctx_id,
      .engine = engine,
      .flags = VPRIME_SUBMIT_OUT_FENCE_FD,
   };
   if (drmIoctl(ws->fd, DRM_IOCTL_VPRIME_SUBMIT, &req)) {
      vp_dbg("SUBMIT failed: %s\n", strerror(errno));
      return false;
   }
   int fd = req.out_fence_fd;
   if (out_fence)
      *out_fence = fd;
   else
      vprime_fence_wait_close(&fd);
   return true;
}

static bool
vprime_submit(struct vprime_winsys *ws, uint32_t engine,
              struct drm_vprime_cmd *cmds, unsigned num_cmds,
              const uint32_t *handles, unsigned num_handles)
{
   return vprime_submit_fenced(ws, engine, cmds, num_cmds, handles, num_handles, NULL);
}

/* ------------------------------------------------------------------------
 * sw_winsys: llvmpipe's display targets are vprime BOs
 * ------------------------------------------------------------------------ */

/* Where a buffer goes, as a dGPU driver decides: what another device reads
 * (shared, scanout, linear for PRIME) in system memory, the rest in VRAM. */
static bool
vprime_wants_vram(struct vprime_winsys *ws, unsigned bind)
{
   if (ws->kind != VPRIME_KIND_DGPU || !ws->vram_size || ws->kms_fd >= 0)
      return false;
   return !(bind & (PIPE_BIND_SHARED | PIPE_BIND_SCANOUT | PIPE_BIND_LINEAR |
                    PIPE_BIND_CURSOR));
}

/* The formats the engines convert between (BLIT), or 0 */
static uint32_t
vprime_hw_format(enum pipe_format f)
{
   switch (f) {
   case PIPE_FORMAT_B8G8R8X8_UNORM: return VPRIME_FMT_XRGB8888;
   case PIPE_FORMAT_B8G8R8A8_UNORM: return VPRIME_FMT_ARGB8888;
   case PIPE_FORMAT_R8G8B8X8_UNORM: return VPRIME_FMT_XBGR8888;
   case PIPE_FORMAT_B5G6R5_UNORM:   return VPRIME_FMT_RGB565;
   default: return 0;
   }
}

/* Bytes per pixel the engines handle as raw data: 4 as ARGB8888 (the
 * device stores a FILL colour or a same-format BLIT as it is), 2 as RGB565 */
static uint32_t
vprime_raw_format(unsigned cpp)
{
   return cpp == 4 ? VPRIME_FMT_ARGB8888 : cpp == 2 ? VPRIME_FMT_RGB565 : 0;
}

/* Set around llvmpipe's resource creation when the resource is to be
 * tiled (the index of its modifier in vprime_winsys.mods, or -1): the
 * winsys' displaytarget_create has no modifier argument. */
static __thread int vprime_next_tiled = -1;

/* The index of a tiled modifier in ws->mods, or -1 */
static int
vprime_mod_index(const struct vprime_winsys *ws, uint64_t modifier)
{
   for (int i = 0; i < ws->nmods; i++)
      if (ws->mods[i] == modifier)
         return i;
   return -1;
}

/* The GPU converts a tiled display target's layout: shadow -> tiled
 * (what others see becomes what llvmpipe drew) or tiled -> shadow.  The
 * first is not waited for: the tiled BO's users wait for its fence in the
 * BO's reservation (implicit sync), this process before the CPU touches
 * the shadow again (vprime_ws_dt_map, or the next conversion). */
static bool
vprime_dt_convert(struct vprime_winsys *ws, struct vprime_dt *dt, bool to_tiled)
{
   uint32_t raw = vprime_raw_format(util_format_get_blocksize(dt->format));
   uint64_t tiled = dt->bo->gpu_va + dt->offset, linear = dt->shadow->gpu_va;
   struct drm_vprime_cmd cmd = {
      .opcode = VPRIME_OP_BLIT,
      .blit = {
         .src = to_tiled ? linear : tiled,
         .dst = to_tiled ? tiled : linear,
         .src_pitch = to_tiled ? dt->stride : dt->tiled_pitch,
         .dst_pitch = to_tiled ? dt->tiled_pitch : dt->stride,
         .width = dt->width,
         .height = dt->height,
         .src_format = raw,
         .dst_format = raw,
         .src_layout = to_tiled ? VPRIME_LAYOUT_LINEAR : dt->layout,
         .dst_layout = to_tiled ? dt->layout : VPRIME_LAYOUT_LINEAR,
      },
   };
   uint32_t handles[2] = { dt->bo->handle, dt->shadow->handle };
   vprime_fence_wait_close(&dt->convert_fence);
   if (!vprime_submit_fenced(ws, VPRIME_ENGINE_RENDER, &cmd, 1, handles, 2,
                             to_tiled ? &dt->convert_fence : NULL))
      return false;
   p_atomic_inc(&ws->jobs[1]);
   vp_dbg("BLIT %ux%u %s (BO %u %s BO %u)\n", dt->width, dt->height,
          to_tiled ? "linear -> tiled" : "tiled -> linear", dt->shadow->handle,
          to_tiled ? "->" : "<-", dt->bo->handle);
   return true;
}

static bool
vprime_ws_is_format_supported(struct sw_winsys *ws, unsigned tex_usage,
                              enum pipe_format format)
{
   return true;
}

static struct sw_displaytarget *
vprime_ws_dt_create(struct sw_winsys *_ws, unsigned tex_usage,
                    enum pipe_format format, unsigned width, unsigned height,
                    unsigned alignment, const void *front_private,
                    unsigned *stride)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct vprime_dt *dt = CALLOC_STRUCT(vprime_dt);
   if (!dt)
      return NULL;
   dt->format = format;
   dt->width = width;
   dt->height = height;
   dt->convert_fence = -1;
   dt->stride = align(util_format_get_stride(format, width), MAX2(alignment, 64));
   if (vprime_next_tiled >= 0) {
      /* the tiled image, shared (system memory), and the linear shadow,
       * private (VRAM on a dGPU) */
      unsigned tw = VPRIME_LAYOUT_TILE_W(ws->mod_layout[vprime_next_tiled]);
      dt->tiled = true;
      dt->layout = ws->mod_layout[vprime_next_tiled];
      dt->modifier = ws->mods[vprime_next_tiled];
      dt->tiled_pitch = align(util_format_get_stride(format, width), tw);
      dt->bo = vprime_bo_create(ws, (uint64_t)dt->tiled_pitch *
                                align(height, VPRIME_TILE_SIZE / tw), false);
      dt->shadow = vprime_bo_create(ws, (uint64_t)dt->stride * height,
                                    vprime_wants_vram(ws, 0));
      if (!dt->bo || !dt->shadow) {
         if (dt->bo)
            vprime_bo_unref(ws, dt->bo);
         if (dt->shadow)
            vprime_bo_unref(ws, dt->shadow);
         FREE(dt);
         return NULL;
      }
      simple_mtx_lock(&ws->lock);
      list_addtail(&dt->link, &ws->tiled);
      simple_mtx_unlock(&ws->lock);
      vp_dbg("display target %ux%u %s, modifier 0x%" PRIx64 ": BO %u (shadow BO %u, %s)\n",
             width, height, util_format_short_name(format), dt->modifier,
             dt->bo->handle, dt->shadow->handle,
             dt->shadow->placement == VPRIME_GEM_VRAM ? "VRAM" : "system memory");
      *stride = dt->stride;
      return (struct sw_displaytarget *)dt;
   }
   bool vram = vprime_wants_vram(ws, tex_usage);
   dt->bo = vprime_bo_create(ws, (uint64_t)dt->stride *
                             util_format_get_nblocksy(format, height), vram);
   if (!dt->bo) {
      FREE(dt);
      return NULL;
   }
   vp_dbg("display target %ux%u %s: BO %u, %s\n", width, height,
          util_format_short_name(format), dt->bo->handle,
          dt->bo->placement == VPRIME_GEM_VRAM ? "VRAM" : "system memory");
   *stride = dt->stride;
   return (struct sw_displaytarget *)dt;
}

static void
vprime_ws_dt_destroy(struct sw_winsys *_ws, struct sw_displaytarget *_dt)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct vprime_dt *dt = (struct vprime_dt *)_dt;
   if (dt->tiled) {
      simple_mtx_lock(&ws->lock);
      list_del(&dt->link);
      simple_mtx_unlock(&ws->lock);
      vprime_fence_wait_close(&dt->convert_fence);
      vprime_bo_unref(ws, dt->shadow);
   }
   vprime_bo_unref(ws, dt->bo);
   FREE(dt);
}

static void *
vprime_ws_dt_map(struct sw_winsys *_ws, struct sw_displaytarget *_dt,
                 unsigned flags)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct vprime_dt *dt = (struct vprime_dt *)_dt;
   if (dt->tiled) {
      /* another device's tiled picture: the engine detiles it (after that
       * device's fence: the BO is in the job's list) */
      if (dt->foreign && !dt->shadow_dirty)
         vprime_dt_convert(ws, dt, false);
      /* the last conversion may still read the shadow */
      vprime_fence_wait_close(&dt->convert_fence);
      if (flags & PIPE_MAP_WRITE)
         dt->shadow_dirty = true;
      return vprime_bo_map(ws, dt->shadow);
   }
   uint8_t *map = vprime_bo_map(ws, dt->bo);
   if (!map)
      return NULL;
   vprime_bo_wait_fences(dt->bo, flags & PIPE_MAP_WRITE);
   return map + dt->offset;
}

static void
vprime_ws_dt_unmap(struct sw_winsys *ws, struct sw_displaytarget *dt)
{
   /* the mapping stays until the BO goes */
}

/* A BO for a handle of our GPU fd: the one we know, or a new one. */
static struct vprime_bo *
vprime_bo_from_handle(struct vprime_winsys *ws, uint32_t handle, int dmabuf_fd)
{
   simple_mtx_lock(&ws->lock);
   struct hash_entry *e = _mesa_hash_table_search(ws->bos, (void *)(uintptr_t)handle);
   struct vprime_bo *bo = e ? e->data : NULL;
   if (bo) {
      bo->refcount++;
      simple_mtx_unlock(&ws->lock);
      return bo;
   }
   bo = CALLOC_STRUCT(vprime_bo);
   if (!bo) {
      simple_mtx_unlock(&ws->lock);
      return NULL;
   }
   bo->handle = handle;
   bo->refcount = 1;
   bo->dmabuf_fd = dmabuf_fd >= 0 ? os_dupfd_cloexec(dmabuf_fd) : -1;
   if (vprime_bo_query(ws, bo)) {
      if (bo->dmabuf_fd >= 0)
         close(bo->dmabuf_fd);
      FREE(bo);
      simple_mtx_unlock(&ws->lock);
      return NULL;
   }
   _mesa_hash_table_insert(ws->bos, (void *)(uintptr_t)bo->handle, bo);
   simple_mtx_unlock(&ws->lock);
   return bo;
}

static struct sw_displaytarget *
vprime_ws_dt_from_handle(struct sw_winsys *_ws, const struct pipe_resource *templ,
                         struct winsys_handle *whandle, unsigned *stride)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct vprime_bo *bo = NULL;

   /* a tiled modifier of this GPU's; another GPU's is refused */
   int mi = vprime_mod_index(ws, whandle->modifier);
   bool tiled = mi >= 0;
   unsigned tw = tiled ? VPRIME_LAYOUT_TILE_W(ws->mod_layout[mi]) : 1;
   if (whandle->modifier != DRM_FORMAT_MOD_INVALID &&
       whandle->modifier != DRM_FORMAT_MOD_LINEAR &&
       !(tiled && vprime_hw_format(templ->format))) {
      vp_dbg("import refused: modifier 0x%" PRIx64 " is not this GPU's\n", whandle->modifier);
      return NULL;
   }
   if (tiled && (whandle->stride % tw || whandle->offset % VPRIME_TILE_SIZE)) {
      vp_dbg("import refused: tiled, stride %u offset %u\n", whandle->stride,
             whandle->offset);
      return NULL;
   }
   switch (whandle->type) {
   case WINSYS_HANDLE_TYPE_FD: {
      uint32_t handle;
      if (drmPrimeFDToHandle(ws->fd, whandle->handle, &handle))
         return NULL;
      bo = vprime_bo_from_handle(ws, handle, whandle->handle);
      break;
   }
   case WINSYS_HANDLE_TYPE_KMS:
      if (ws->kms_fd >= 0) {
         /* a handle on the display: only our own exports are known */
         simple_mtx_lock(&ws->lock);
         hash_table_foreach(ws->bos, e) {
            struct vprime_bo *b = e->data;
            if (b->kms_handle == whandle->handle) {
               bo = b;
               bo->refcount++;
               break;
            }
         }
         simple_mtx_unlock(&ws->lock);
      } else {
         bo = vprime_bo_from_handle(ws, whandle->handle, -1);
      }
      break;
   default:
      break;
   }
   if (!bo)
      return NULL;

   struct vprime_dt *dt = CALLOC_STRUCT(vprime_dt);
   if (!dt) {
      vprime_bo_unref(ws, bo);
      return NULL;
   }
   dt->bo = bo;
   dt->convert_fence = -1;
   dt->format = templ->format;
   dt->width = templ->width0;
   dt->height = templ->height0;
   dt->stride = whandle->stride;
   dt->offset = whandle->offset;
   uint64_t rows = util_format_get_nblocksy(templ->format, templ->height0);
   if (tiled) {
      dt->tiled = dt->foreign = true;
      dt->layout = ws->mod_layout[mi];
      dt->modifier = ws->mods[mi];
      dt->tiled_pitch = whandle->stride;
      dt->stride = align(util_format_get_stride(templ->format, templ->width0), 64);
      rows = align64(rows, VPRIME_TILE_SIZE / tw);
   }
   if ((uint64_t)dt->offset + (uint64_t)(tiled ? dt->tiled_pitch : dt->stride) * rows > bo->size) {
      vp_dbg("import refused: %ux%u stride %u offset %u beyond %" PRIu64 " bytes\n",
             templ->width0, templ->height0, dt->stride, dt->offset, bo->size);
      vprime_ws_dt_destroy(_ws, (struct sw_displaytarget *)dt);
      return NULL;
   }
   if (tiled) {
      dt->shadow = vprime_bo_create(ws, (uint64_t)dt->stride * templ->height0,
                                    vprime_wants_vram(ws, 0));
      if (!dt->shadow) {
         dt->tiled = false;
         vprime_ws_dt_destroy(_ws, (struct sw_displaytarget *)dt);
         return NULL;
      }
      simple_mtx_lock(&ws->lock);
      list_addtail(&dt->link, &ws->tiled);
      simple_mtx_unlock(&ws->lock);
   }
   vp_dbg("imported %ux%u %s%s: BO %u (%" PRIu64 " bytes)\n", dt->width, dt->height,
          util_format_short_name(dt->format), tiled ? ", tiled" : "", bo->handle, bo->size);
   *stride = dt->stride;
   return (struct sw_displaytarget *)dt;
}

static bool
vprime_ws_dt_get_handle(struct sw_winsys *_ws, struct sw_displaytarget *_dt,
                        struct winsys_handle *whandle)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct vprime_dt *dt = (struct vprime_dt *)_dt;

   whandle->stride = dt->tiled ? dt->tiled_pitch : dt->stride;
   whandle->offset = dt->offset;
   whandle->modifier = dt->tiled ? dt->modifier : DRM_FORMAT_MOD_LINEAR;
   switch (whandle->type) {
   case WINSYS_HANDLE_TYPE_KMS:
      if (ws->kms_fd >= 0) {
         whandle->handle = vprime_bo_kms_handle(ws, dt->bo);
         return whandle->handle != 0;
      }
      whandle->handle = dt->bo->handle;
      return true;
   case WINSYS_HANDLE_TYPE_FD: {
      int fd = vprime_bo_dmabuf(ws, dt->bo);
      if (fd < 0)
         return false;
      whandle->handle = os_dupfd_cloexec(fd);
      return (int)whandle->handle >= 0;
   }
   default:
      /* GEM flink names: render nodes have none */
      return false;
   }
}

static void
vprime_ws_dt_display(struct sw_winsys *ws, struct sw_displaytarget *dt,
                     void *context_private, struct pipe_box *box)
{
   /* DRI2/DRI3 and GBM present buffers themselves, as with kms_swrast */
}

static void
vprime_ws_destroy(struct sw_winsys *_ws)
{
   struct vprime_winsys *ws = vprime_winsys(_ws);
   struct drm_vprime_ctx_destroy d = { .ctx_id = ws->ctx_id };

   vp_dbg("%s: %u fills, %u blits, %u copies on the GPU\n", ws->name,
          ws->jobs[0], ws->jobs[1], ws->jobs[2]);
   drmIoctl(ws->fd, DRM_IOCTL_VPRIME_CTX_DESTROY, &d);
   _mesa_hash_table_destroy(ws->backing, NULL);
   assert(list_is_empty(&ws->tiled));
   _mesa_hash_table_destroy(ws->bos, NULL);
   simple_mtx_destroy(&ws->lock);
   if (ws->kms_fd >= 0)
      close(ws->fd);      /* display screens opened the GPU themselves */
   FREE(ws);
}

/* ------------------------------------------------------------------------
 * Resources: every one a BO
 * ------------------------------------------------------------------------ */

static bool
vprime_is_dt_bind(unsigned bind)
{
   return bind & (PIPE_BIND_DISPLAY_TARGET | PIPE_BIND_SCANOUT | PIPE_BIND_SHARED);
}

static struct pipe_resource *
vprime_resource_create(struct pipe_screen *screen, const struct pipe_resource *templ)
{
   struct vprime_winsys *ws = vprime_screen_ws(screen);

   if (templ->target != PIPE_BUFFER && vprime_is_dt_bind(templ->bind))
      return ws->lp_resource_create(screen, templ);   /* the winsys' BO */

   uint64_t size = 0;
   struct pipe_resource *res = screen->resource_create_unbacked(screen, templ, &size);
   if (!res)
      return NULL;
   bool vram = vprime_wants_vram(ws, templ->bind);
   struct vprime_bo *bo = vprime_bo_create(ws, size, vram);
   void *map = bo ? vprime_bo_map(ws, bo) : NULL;
   if (!map || !screen->resource_bind_backing(screen, res, (void *)map, 0)) {
      if (bo)
         vprime_bo_unref(ws, bo);
      ws->lp_resource_destroy(screen, res);
      return NULL;
   }
   /* llvmpipe hands out zeroed memory; system memory BOs are zeroed by
    * the kernel, VRAM is whatever the last owner left */
   if (bo->placement == VPRIME_GEM_VRAM)
      memset(map, 0, size);
   simple_mtx_lock(&ws->lock);
   _mesa_hash_table_insert(ws->backing, res, bo);
   simple_mtx_unlock(&ws->lock);
   return res;
}

static void
vprime_resource_destroy(struct pipe_screen *screen, struct pipe_resource *res)
{
   struct vprime_winsys *ws = vprime_screen_ws(screen);
   struct vprime_bo *bo = NULL;

   simple_mtx_lock(&ws->lock);
   struct hash_entry *e = _mesa_hash_table_search(ws->backing, res);
   if (e) {
      bo = e->data;
      _mesa_hash_table_remove(ws->backing, e);
   }
   simple_mtx_unlock(&ws->lock);
   ws->lp_resource_destroy(screen, res);
   if (bo)
      vprime_bo_unref(ws, bo);
}

/* The BO behind a resource as llvmpipe lays it out (a tiled buffer's
 * shadow) and where the resource starts in it, or NULL (memory objects,
 * user memory: not ours).  write: an engine is about to write it. */
static struct vprime_bo *
vprime_resource_bo(struct vprime_winsys *ws, struct pipe_resource *res,
                   uint64_t *offset, bool write)
{
   struct llvmpipe_resource *lpr = llvmpipe_resource(res);
   if (lpr->dt) {
      struct vprime_dt *dt = (struct vprime_dt *)lpr->dt;
      if (dt->tiled) {
         if (dt->foreign && !dt->shadow_dirty)
            vprime_dt_convert(ws, dt, false);
         if (write)
            dt->shadow_dirty = true;
         *offset = 0;
         return dt->shadow;
      }
      *offset = dt->offset;
      return dt->bo;
   }
   simple_mtx_lock(&ws->lock);
   struct hash_entry *e = _mesa_hash_table_search(ws->backing, res);
   simple_mtx_unlock(&ws->lock);
   *offset = 0;
   return e ? e->data : NULL;
}

static struct pipe_resource *
vprime_resource_create_with_modifiers(struct pipe_screen *screen,
                                      const struct pipe_resource *templ,
                                      const uint64_t *modifiers, int count)
{
   struct vprime_winsys *ws = vprime_screen_ws(screen);
   bool linear = count == 0, tiled;
   int mi = -1;
   for (int i = 0; i < count; i++) {
      if (modifiers[i] == DRM_FORMAT_MOD_LINEAR || modifiers[i] == DRM_FORMAT_MOD_INVALID)
         linear = true;
   }
   /* a tiled modifier of this GPU's that the user takes, in the GPU's
    * order: for a display's list, the one this GPU and the display share
    * (a scanout buffer is tiled where it can be) */
   for (int j = 0; j < ws->nmods && mi < 0; j++)
      for (int i = 0; i < count; i++)
         if (modifiers[i] == ws->mods[j])
            mi = j;
   tiled = mi >= 0 && vprime_hw_format(templ->format) && templ->target == PIPE_TEXTURE_2D &&
           templ->last_level == 0 && templ->array_size == 1 && templ->nr_samples <= 1;
   if (!linear && !tiled)
      return NULL;
   struct pipe_resource t = *templ;
   /* Shared or private is the caller's to say (GBM always shares; EGL's
    * render buffer of a client on another GPU than its compositor's does
    * not: it blits that buffer into a linear one the compositor imports).
    * A private LINEAR buffer stays an ordinary resource, in VRAM on a
    * dGPU, as nouveau keeps a linear image that is not shared in VRAM;
    * only what another device reads goes to system memory.  A tiled
    * buffer is a display target (the tiled BO and its linear shadow). */
   if (tiled)
      t.bind |= PIPE_BIND_SHARED;
   else if (t.bind & (PIPE_BIND_SHARED | PIPE_BIND_SCANOUT))
      t.bind |= PIPE_BIND_LINEAR;
   vprime_next_tiled = tiled ? mi : -1;
   struct pipe_resource *res = vprime_resource_create(screen, &t);
   vprime_next_tiled = -1;
   return res;
}

static void
vprime_query_dmabuf_modifiers(struct pipe_screen *screen, enum pipe_format format,
                              int max, uint64_t *modifiers,
                              unsigned int *external_only, int *count)
{
   if (!screen->is_format_supported(screen, format, PIPE_TEXTURE_2D, 0, 0,
                                    PIPE_BIND_SAMPLER_VIEW)) {
      *count = 0;
      return;
   }
   struct vprime_winsys *ws = vprime_screen_ws(screen);
   *count = vprime_hw_format(format) ? 1 + ws->nmods : 1;
   for (int i = 0; i < MIN2(max, *count); i++) {
      modifiers[i] = i ? ws->mods[i - 1] : DRM_FORMAT_MOD_LINEAR;
      if (external_only)
         external_only[i] = false;
   }
}

static bool
vprime_is_dmabuf_modifier_supported(struct pipe_screen *screen, uint64_t modifier,
                                    enum pipe_format format, bool *external_only)
{
   if (external_only)
      *external_only = false;
   return (modifier == DRM_FORMAT_MOD_LINEAR ||
           (vprime_mod_index(vprime_screen_ws(screen), modifier) >= 0 &&
            vprime_hw_format(format))) &&
          screen->is_format_supported(screen, format, PIPE_TEXTURE_2D, 0, 0,
                                      PIPE_BIND_SAMPLER_VIEW);
}

static unsigned
vprime_get_dmabuf_modifier_planes(struct pipe_screen *screen, uint64_t modifier,
                                  enum pipe_format format)
{
   return util_format_get_num_planes(format);
}

static bool
vprime_resource_get_param(struct pipe_screen *screen, struct pipe_context *ctx,
                          struct pipe_resource *res, unsigned plane,
                          unsigned layer, unsigned level,
                          enum pipe_resource_param param, unsigned usage,
                          uint64_t *value)
{
   struct vprime_winsys *ws = vprime_screen_ws(screen);
   struct vprime_dt *dt = (struct vprime_dt *)llvmpipe_resource(res)->dt;
   if (param == PIPE_RESOURCE_PARAM_MODIFIER) {
      *value = dt && dt->tiled ? dt->modifier : DRM_FORMAT_MOD_LINEAR;
      return true;
   }
   /* what others see of a tiled buffer: the tiled image */
   if (dt && dt->tiled && param == PIPE_RESOURCE_PARAM_STRIDE) {
      *value = dt->tiled_pitch;
      return true;
   }
   if (dt && param == PIPE_RESOURCE_PARAM_OFFSET) {
      *value = dt->offset;
      return true;
   }
   return ws->lp_resource_get_param(screen, ctx, res, plane, layer, level,
                                    param, usage, value);
}

static const char *
vprime_get_name(struct pipe_screen *screen)
{
   return vprime_screen_ws(screen)->name;
}

static const char *
vprime_get_vendor(struct pipe_screen *screen)
{
   return "vprime";
}

/* ------------------------------------------------------------------------
 * Clears, copies and blits on the GPU's engines
 * ------------------------------------------------------------------------ */

/* A FILL colour that the device turns into the raw value: ARGB8888 is
 * stored as it is; RGB565 takes the top bits of each channel. */
static uint32_t
vprime_raw_fill_color(unsigned cpp, uint32_t raw)
{
   if (cpp == 4)
      return raw;
   return ((raw >> 11) & 0x1f) << 19 | ((raw >> 5) & 0x3f) << 10 | (raw & 0x1f) << 3;
}

/* Where level/layer of a resource is: BO, GPU address, pitch */
struct vprime_surf {
   struct vprime_bo *bo;
   uint64_t va;
   unsigned pitch, cpp, width, height;
};

static bool
vprime_surf(struct vprime_winsys *ws, struct pipe_resource *res, enum pipe_format format,
            unsigned level, unsigned layer, bool write, struct vprime_surf *s)
{
   struct llvmpipe_resource *lpr = llvmpipe_resource(res);
   uint64_t off;

   if (res->target == PIPE_BUFFER || res->nr_samples > 1 ||
       util_format_is_compressed(format) || util_format_is_yuv(format))
      return false;
   s->bo = vprime_resource_bo(ws, res, &off, write);
   if (!s->bo)
      return false;
   s->cpp = util_format_get_blocksize(format);
   if (!vprime_raw_format(s->cpp))
      return false;
   if (lpr->dt) {
      if (level || layer)
         return false;
      s->pitch = ((struct vprime_dt *)lpr->dt)->stride;
   } else {
      s->pitch = lpr->row_stride[level];
      off += lpr->mip_offsets[level] + lpr->img_stride[level] * layer;
   }
   s->va = s->bo->gpu_va + off;
   s->width = u_minify(res->width0, level);
   s->height = u_minify(res->height0, level);
   return true;
}

static bool
vprime_gpu_fill(struct pipe_context *pipe, struct pipe_surface *surf,
                const struct pipe_scissor_state *scissor, uint32_t raw)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   struct vprime_surf s;

   if (!surf || !surf->texture || surf->u.tex.first_layer != surf->u.tex.last_layer ||
       !vprime_surf(ws, surf->texture, surf->format, surf->u.tex.level,
                    surf->u.tex.first_layer, true, &s))
      return false;
   unsigned x0 = 0, y0 = 0, x1 = surf->width, y1 = surf->height;
   if (scissor) {
      x0 = MAX2(x0, scissor->minx);
      y0 = MAX2(y0, scissor->miny);
      x1 = MIN2(x1, scissor->maxx);
      y1 = MIN2(y1, scissor->maxy);
   }
   if (x1 <= x0 || y1 <= y0)
      return true;         /* nothing to clear */

   llvmpipe_flush_resource(pipe, surf->texture, surf->u.tex.level, false, true,
                           false, "vprime fill");
   struct drm_vprime_cmd cmd = {
      .opcode = VPRIME_OP_FILL,
      .rect = {
         .dst = s.va + (uint64_t)y0 * s.pitch + x0 * s.cpp,
         .pitch = s.pitch,
         .width = x1 - x0,
         .height = y1 - y0,
         .format = vprime_raw_format(s.cpp),
         .layout = VPRIME_LAYOUT_LINEAR,
         .color = vprime_raw_fill_color(s.cpp, raw),
      },
   };
   if (!vprime_submit(ws, VPRIME_ENGINE_RENDER, &cmd, 1, &s.bo->handle, 1))
      return false;
   p_atomic_inc(&ws->jobs[0]);
   vp_dbg("FILL %ux%u %s with 0x%08x (BO %u)\n", x1 - x0, y1 - y0,
          util_format_short_name(surf->format), raw, s.bo->handle);
   return true;
}

static void
vprime_clear(struct pipe_context *pipe, unsigned buffers,
             const struct pipe_scissor_state *scissor,
             const union pipe_color_union *color, double depth, unsigned stencil)
{
   struct llvmpipe_context *lp = llvmpipe_context(pipe);
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   const struct pipe_framebuffer_state *fb = &lp->framebuffer;
   unsigned rest = buffers;

   if (!llvmpipe_check_render_cond(lp))
      return;

   for (unsigned i = 0; i < fb->nr_cbufs; i++) {
      struct pipe_surface *cb = fb->cbufs[i];
      if (!(buffers & (PIPE_CLEAR_COLOR0 << i)) || !cb)
         continue;
      if (util_format_is_pure_integer(cb->format) || util_format_is_srgb(cb->format))
         continue;      /* llvmpipe's own conversion rules apply */
      union util_color uc = { 0 };
      util_pack_color_union(cb->format, &uc, color);
      unsigned cpp = util_format_get_blocksize(cb->format);
      uint32_t raw = cpp == 4 ? uc.ui[0] : cpp == 2 ? uc.us : 0;
      if (cpp && vprime_gpu_fill(pipe, cb, scissor, raw))
         rest &= ~(PIPE_CLEAR_COLOR0 << i);
   }

   /* depth and stencil in one 32-bit word: only when both are cleared */
   struct pipe_surface *zs = fb->zsbuf;
   if (zs && (buffers & PIPE_CLEAR_DEPTHSTENCIL)) {
      const struct util_format_description *d = util_format_description(zs->format);
      unsigned need = (util_format_has_depth(d) ? PIPE_CLEAR_DEPTH : 0) |
                      (util_format_has_stencil(d) ? PIPE_CLEAR_STENCIL : 0);
      if ((buffers & PIPE_CLEAR_DEPTHSTENCIL) == need &&
          util_format_get_blocksize(zs->format) == 4 &&
          vprime_gpu_fill(pipe, zs, scissor,
                          (uint32_t)util_pack64_z_stencil(zs->format, depth, stencil)))
         rest &= ~PIPE_CLEAR_DEPTHSTENCIL;
   }

   if (rest)
      ws->lp_clear(pipe, rest, scissor, color, depth, stencil);
}

static bool
vprime_gpu_copy_buffer(struct pipe_context *pipe, struct pipe_resource *dst,
                       unsigned dstx, struct pipe_resource *src,
                       const struct pipe_box *box)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   uint64_t doff, soff;
   struct vprime_bo *dbo = vprime_resource_bo(ws, dst, &doff, true);
   struct vprime_bo *sbo = vprime_resource_bo(ws, src, &soff, false);

   if (!dbo || !sbo || box->width <= 0)
      return false;
   if (dst == src && dstx < (unsigned)box->x + box->width &&
       (unsigned)box->x < dstx + box->width)
      return false;     /* overlapping */
   llvmpipe_flush_resource(pipe, dst, 0, false, true, false, "vprime copy dst");
   llvmpipe_flush_resource(pipe, src, 0, true, true, false, "vprime copy src");
   struct drm_vprime_cmd cmd = {
      .opcode = VPRIME_OP_COPY,
      .copy = {
         .src = sbo->gpu_va + soff + box->x,
         .dst = dbo->gpu_va + doff + dstx,
         .size = box->width,
      },
   };
   uint32_t handles[2] = { dbo->handle, sbo->handle };
   if (!vprime_submit(ws, VPRIME_ENGINE_COPY, &cmd, 1, handles, 2))
      return false;
   p_atomic_inc(&ws->jobs[2]);
   vp_dbg("COPY %d bytes (BO %u -> %u)\n", box->width, sbo->handle, dbo->handle);
   return true;
}

/* A 2D rectangle from src to dst; hw formats convert, equal formats copy. */
static bool
vprime_gpu_blit_rect(struct pipe_context *pipe,
                     struct pipe_resource *dst, enum pipe_format dfmt,
                     unsigned dlevel, unsigned dlayer, unsigned dx, unsigned dy,
                     struct pipe_resource *src, enum pipe_format sfmt,
                     unsigned slevel, unsigned slayer, unsigned sx, unsigned sy,
                     unsigned w, unsigned h)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   struct vprime_surf d, s;
   uint32_t df, sf;

   if (!vprime_surf(ws, dst, dfmt, dlevel, dlayer, true, &d) ||
       !vprime_surf(ws, src, sfmt, slevel, slayer, false, &s))
      return false;
   if (dfmt == sfmt) {
      df = sf = vprime_raw_format(d.cpp);    /* the bytes as they are */
   } else {
      df = vprime_hw_format(dfmt);
      sf = vprime_hw_format(sfmt);
   }
   if (!df || !sf || !w || !h || dx + w > d.width || dy + h > d.height ||
       sx + w > s.width || sy + h > s.height)
      return false;
   if (d.bo == s.bo && d.va == s.va)
      return false;     /* same image: may overlap */

   llvmpipe_flush_resource(pipe, dst, dlevel, false, true, false, "vprime blit dst");
   llvmpipe_flush_resource(pipe, src, slevel, true, true, false, "vprime blit src");
   struct drm_vprime_cmd cmd = {
      .opcode = VPRIME_OP_BLIT,
      .blit = {
         .src = s.va + (uint64_t)sy * s.pitch + sx * s.cpp,
         .dst = d.va + (uint64_t)dy * d.pitch + dx * d.cpp,
         .src_pitch = s.pitch,
         .dst_pitch = d.pitch,
         .width = w,
         .height = h,
         .src_format = sf,
         .dst_format = df,
         .src_layout = VPRIME_LAYOUT_LINEAR,
         .dst_layout = VPRIME_LAYOUT_LINEAR,
      },
   };
   uint32_t handles[2] = { d.bo->handle, s.bo->handle };
   if (!vprime_submit(ws, VPRIME_ENGINE_RENDER, &cmd, 1, handles, 2))
      return false;
   p_atomic_inc(&ws->jobs[1]);
   vp_dbg("BLIT %ux%u %s -> %s (BO %u %s -> BO %u %s)\n", w, h,
          util_format_short_name(sfmt), util_format_short_name(dfmt),
          s.bo->handle, s.bo->placement == VPRIME_GEM_VRAM ? "VRAM" : "sysmem",
          d.bo->handle, d.bo->placement == VPRIME_GEM_VRAM ? "VRAM" : "sysmem");
   return true;
}

static void
vprime_resource_copy_region(struct pipe_context *pipe,
                            struct pipe_resource *dst, unsigned dst_level,
                            unsigned dstx, unsigned dsty, unsigned dstz,
                            struct pipe_resource *src, unsigned src_level,
                            const struct pipe_box *box)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   bool done;

   if (dst->target == PIPE_BUFFER && src->target == PIPE_BUFFER)
      done = vprime_gpu_copy_buffer(pipe, dst, dstx, src, box);
   else
      done = box->depth == 1 && box->width > 0 && box->height > 0 &&
             util_format_get_blocksize(dst->format) == util_format_get_blocksize(src->format) &&
             util_format_get_blockwidth(dst->format) == 1 &&
             util_format_get_blockwidth(src->format) == 1 &&
             vprime_gpu_blit_rect(pipe, dst, dst->format, dst_level, dstz, dstx, dsty,
                                  src, dst->format, src_level, box->z, box->x, box->y,
                                  box->width, box->height);
   if (!done)
      ws->lp_resource_copy_region(pipe, dst, dst_level, dstx, dsty, dstz,
                                  src, src_level, box);
}

static void
vprime_blit(struct pipe_context *pipe, const struct pipe_blit_info *info)
{
   struct llvmpipe_context *lp = llvmpipe_context(pipe);
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   const struct pipe_box *sb = &info->src.box, *db = &info->dst.box;

   if (info->render_condition_enable && !llvmpipe_check_render_cond(lp))
      return;
   bool same = info->src.format == info->dst.format;
   bool plain = !info->scissor_enable && !info->alpha_blend &&
                !info->num_window_rectangles &&
                (info->mask & PIPE_MASK_RGBA) == PIPE_MASK_RGBA &&
                !(info->mask & PIPE_MASK_ZS) &&
                sb->width == db->width && sb->height == db->height &&
                sb->width > 0 && sb->height > 0 && sb->depth == 1 && db->depth == 1 &&
                sb->x >= 0 && sb->y >= 0 && db->x >= 0 && db->y >= 0 &&
                (same ? !util_format_is_pure_integer(info->dst.format)
                      : vprime_hw_format(info->src.format) && vprime_hw_format(info->dst.format));
   if (plain &&
       vprime_gpu_blit_rect(pipe, info->dst.resource, info->dst.format, info->dst.level,
                            db->z, db->x, db->y,
                            info->src.resource, info->src.format, info->src.level,
                            sb->z, sb->x, sb->y, sb->width, sb->height))
      return;
   ws->lp_blit(pipe, info);
}

/* What llvmpipe drew into tiled buffers, tiled for the other devices: the
 * rasterizer finishes, then the engine converts.  Buffers shared without
 * an explicit flush must be right whenever the context flushes, as with
 * any GPU whose render layout differs from the shared one. */
static void
vprime_resolve_tiled(struct pipe_context *pipe, struct pipe_resource *only)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   struct vprime_dt *want = only && llvmpipe_resource(only)->dt ?
      (struct vprime_dt *)llvmpipe_resource(only)->dt : NULL;
   bool any = false;

   if (only && !want)
      return;
   simple_mtx_lock(&ws->lock);
   list_for_each_entry(struct vprime_dt, dt, &ws->tiled, link)
      any |= dt->shadow_dirty && (!want || dt == want);
   simple_mtx_unlock(&ws->lock);
   if (!any)
      return;
   llvmpipe_finish(pipe, "vprime tiled resolve");
   simple_mtx_lock(&ws->lock);
   list_for_each_entry(struct vprime_dt, dt, &ws->tiled, link) {
      if (dt->shadow_dirty && (!want || dt == want)) {
         dt->shadow_dirty = false;
         vprime_dt_convert(ws, dt, true);
      }
   }
   simple_mtx_unlock(&ws->lock);
}

static void
vprime_flush(struct pipe_context *pipe, struct pipe_fence_handle **fence, unsigned flags)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   ws->lp_flush(pipe, fence, flags);
   vprime_resolve_tiled(pipe, NULL);
}

static void
vprime_flush_resource(struct pipe_context *pipe, struct pipe_resource *res)
{
   struct vprime_winsys *ws = vprime_screen_ws(pipe->screen);
   ws->lp_flush_resource(pipe, res);
   vprime_resolve_tiled(pipe, res);
}

static struct pipe_context *
vprime_context_create(struct pipe_screen *screen, void *priv, unsigned flags)
{
   struct vprime_winsys *ws = vprime_screen_ws(screen);
   struct pipe_context *pipe = ws->lp_context_create(screen, priv, flags);
   if (!pipe)
      return NULL;
   /* the same llvmpipe functions for every context */
   ws->lp_clear = pipe->clear;
   ws->lp_resource_copy_region = pipe->resource_copy_region;
   ws->lp_blit = pipe->blit;
   ws->lp_flush = pipe->flush;
   ws->lp_flush_resource = pipe->flush_resource;
   pipe->flush = vprime_flush;
   pipe->flush_resource = vprime_flush_resource;
   pipe->clear = vprime_clear;
   pipe->resource_copy_region = vprime_resource_copy_region;
   pipe->blit = vprime_blit;
   return pipe;
}

/* ------------------------------------------------------------------------
 * Screens
 * ------------------------------------------------------------------------ */

static struct vprime_winsys *
vprime_winsys_create(int gpu_fd, int kms_fd)
{
   uint64_t kind = 0, vram = 0;
   if (vprime_get_param(gpu_fd, VPRIME_PARAM_KIND, &kind) ||
       (kind != VPRIME_KIND_IGPU && kind != VPRIME_KIND_DGPU) ||
       vprime_get_param(gpu_fd, VPRIME_PARAM_VRAM_SIZE, &vram))
      return NULL;

   struct vprime_winsys *ws = CALLOC_STRUCT(vprime_winsys);
   if (!ws)
      return NULL;
   struct drm_vprime_ctx_create cc = { 0 };
   if (drmIoctl(gpu_fd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc)) {
      FREE(ws);
      return NULL;
   }
   ws->fd = gpu_fd;
   ws->kms_fd = kms_fd;
   ws->kind = kind;
   ws->vram_size = vram;
   ws->ctx_id = cc.ctx_id;
   /* the GPU's tiled layouts and their modifiers, as its kernel driver
    * reports them; on the display's node, those the display scans too */
   uint64_t layouts = 0, disp_layouts = ~0ull, mod;
   if (vprime_get_param(gpu_fd, VPRIME_PARAM_LAYOUTS, &layouts))
      layouts = 1u << VPRIME_LAYOUT_LINEAR;
   if (kms_fd >= 0 && vprime_get_param(kms_fd, VPRIME_PARAM_LAYOUTS, &disp_layouts))
      disp_layouts = 1u << VPRIME_LAYOUT_LINEAR;
   for (uint32_t l = 0; l < VPRIME_LAYOUT_COUNT; l++) {
      if (l == VPRIME_LAYOUT_LINEAR || !(layouts & disp_layouts & (1ull << l)) ||
          vprime_get_param(gpu_fd, VPRIME_PARAM_LAYOUT_MODIFIER(l), &mod) ||
          mod == DRM_FORMAT_MOD_INVALID)
         continue;
      ws->mod_layout[ws->nmods] = l;
      ws->mods[ws->nmods++] = mod;
   }
   simple_mtx_init(&ws->lock, mtx_plain);
   ws->bos = _mesa_pointer_hash_table_create(NULL);
   ws->backing = _mesa_pointer_hash_table_create(NULL);
   list_inithead(&ws->tiled);

   ws->base.destroy = vprime_ws_destroy;
   ws->base.is_displaytarget_format_supported = vprime_ws_is_format_supported;
   ws->base.displaytarget_create = vprime_ws_dt_create;
   ws->base.displaytarget_destroy = vprime_ws_dt_destroy;
   ws->base.displaytarget_from_handle = vprime_ws_dt_from_handle;
   ws->base.displaytarget_get_handle = vprime_ws_dt_get_handle;
   ws->base.displaytarget_map = vprime_ws_dt_map;
   ws->base.displaytarget_unmap = vprime_ws_dt_unmap;
   ws->base.displaytarget_display = vprime_ws_dt_display;
   return ws;
}

static struct pipe_screen *
vprime_screen_create(int gpu_fd, int kms_fd)
{
   struct vprime_winsys *ws = vprime_winsys_create(gpu_fd, kms_fd);
   if (!ws)
      return NULL;
   struct pipe_screen *screen = llvmpipe_create_screen(&ws->base);
   if (!screen) {
      ws->base.destroy(&ws->base);
      return NULL;
   }

   drmDevicePtr dev = NULL;
   unsigned vendor = 0, device = 0;
   if (drmGetDevice2(gpu_fd, 0, &dev) == 0) {
      if (dev->bustype == DRM_BUS_PCI) {
         vendor = dev->deviceinfo.pci->vendor_id;
         device = dev->deviceinfo.pci->device_id;
      }
      drmFreeDevice(&dev);
   }
   /* llvmpipe's renderer string, as "llvmpipe (LLVM 15.0.6, 256 bits)", is
    * not repeated: Xorg refuses glamor on a renderer named llvmpipe, and the
    * renderer here is this driver (on llvmpipe's rasterizer) */
   const char *lp_name = llvmpipe_screen(screen)->renderer_string;
   const char *details = strchr(lp_name, '(');
   snprintf(ws->name, sizeof(ws->name), "vprime %s %04x:%04x%s (software rasterizer, %s",
            ws->kind == VPRIME_KIND_DGPU ? "dGPU" : "iGPU", vendor, device,
            kms_fd >= 0 ? " for vprime_display" : "", details ? details + 1 : ")");

   ws->lp_context_create = screen->context_create;
   ws->lp_resource_create = screen->resource_create;
   ws->lp_resource_destroy = screen->resource_destroy;
   ws->lp_resource_get_param = screen->resource_get_param;
   screen->context_create = vprime_context_create;
   screen->resource_create = vprime_resource_create;
   screen->resource_destroy = vprime_resource_destroy;
   screen->resource_create_with_modifiers = vprime_resource_create_with_modifiers;
   screen->query_dmabuf_modifiers = vprime_query_dmabuf_modifiers;
   screen->is_dmabuf_modifier_supported = vprime_is_dmabuf_modifier_supported;
   screen->get_dmabuf_modifier_planes = vprime_get_dmabuf_modifier_planes;
   screen->resource_get_param = vprime_resource_get_param;
   screen->get_name = vprime_get_name;
   screen->get_vendor = vprime_get_vendor;
   screen->get_device_vendor = vprime_get_vendor;
   vp_dbg("%s on fd %d (display fd %d)\n", ws->name, gpu_fd, kms_fd);
   return screen;
}

struct pipe_screen *
vprime_gpu_screen_create(int fd, const struct pipe_screen_config *config)
{
   return vprime_screen_create(fd, -1);
}

static bool
vprime_is_gpu_node(int fd, uint64_t *kind)
{
   drmVersionPtr v = drmGetVersion(fd);
   bool ok = v && !strcmp(v->name, "vprime_gpu");
   drmFreeVersion(v);
   return ok && vprime_get_param(fd, VPRIME_PARAM_KIND, kind) == 0;
}

/*
 * The GPU that renders for the display: VPRIME_DISPLAY_GPU (a render node
 * path, or "igpu"/"dgpu"), else the first iGPU, else the first GPU -- as an
 * integrated display engine is driven by the integrated GPU.
 */
static int
vprime_open_render_gpu(void)
{
   const char *want = getenv("VPRIME_DISPLAY_GPU");
   drmDevicePtr devs[64];
   int n = drmGetDevices2(0, devs, ARRAY_SIZE(devs));
   int best = -1, best_kind = -1;

   if (want && want[0] == '/') {
      if (n > 0)
         drmFreeDevices(devs, n);
      return open(want, O_RDWR | O_CLOEXEC);
   }
   for (int i = 0; i < n; i++) {
      if (!(devs[i]->available_nodes & (1 << DRM_NODE_RENDER)))
         continue;
      int fd = open(devs[i]->nodes[DRM_NODE_RENDER], O_RDWR | O_CLOEXEC);
      uint64_t kind = 0;
      if (fd < 0)
         continue;
      if (!vprime_is_gpu_node(fd, &kind)) {
         close(fd);
         continue;
      }
      bool wanted = want ? (!strcmp(want, "dgpu") ? kind == VPRIME_KIND_DGPU
                                                  : kind == VPRIME_KIND_IGPU)
                         : kind == VPRIME_KIND_IGPU;
      if (best < 0 || (wanted && best_kind < 0)) {
         if (best >= 0)
            close(best);
         best = fd;
         best_kind = wanted ? (int)kind : -1;
      } else {
         close(fd);
      }
   }
   if (n > 0)
      drmFreeDevices(devs, n);
   return best;
}

struct pipe_screen *
vprime_display_screen_create(int fd, const struct pipe_screen_config *config)
{
   int gpu = vprime_open_render_gpu();
   if (gpu < 0) {
      fprintf(stderr, "vprime: no vprime GPU renders for vprime_display\n");
      return NULL;
   }
   struct pipe_screen *screen = vprime_screen_create(gpu, fd);
   if (!screen)
      close(gpu);
   return screen;
}
