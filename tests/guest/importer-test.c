// SPDX-License-Identifier: GPL-2.0-only
/*
 * The example dma-buf importer (guest-driver/importer) against every
 * exporter, and dynamic / peer-to-peer import of dGPU VRAM: by the
 * example importer (QEMU's edu device reading and writing through its
 * mapping) and by the display engine.
 *
 * Which path an import of VRAM must take follows from the kernel and the
 * topology the guest sees: peer-to-peer when the kernel has PCI_P2PDMA
 * and the importer's device sits under the same PCIe switch as the dGPU
 * (vprime-launch --pcie-switch), through system memory otherwise.  The
 * dGPU's migration count (debugfs) and the host's counters (the display
 * engine's bytes read from a peer's BAR, the dGPU copy engine's bytes)
 * prove which one ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <linux/dma-buf.h>

#include "vprime_regs.h"
#include "vprime_drm.h"
#include "vprime_importer.h"

#include "gpu-lib.h"
#include "guest-test.h"
#include "host-msg.h"
#include "kms-lib.h"

/* vprime-import.c, built into this program */
struct vi_opts {
	uint32_t flags;
	uint32_t dma_bits;
	uint32_t max_segment;
	uint64_t size;
	uint32_t pages;
};
int vi_run(const char *exporter, const struct vi_opts *o);

#define PAGES		4		/* pages the importer's device touches */

static const char *const exporters[] = {
	"igpu", "dgpu", "dgpu-vram", "display", "vgem", "udmabuf", "udmabuf-huge",
};

static int importer_open(struct vprime_importer_caps *caps)
{
	int fd = open(VPRIME_IMPORTER_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0 && ioctl(fd, VPRIME_IMPORTER_IOCTL_CAPS, caps)) {
		close(fd);
		return -1;
	}
	return fd;
}

#define NEED_IMPORTER(fd, caps) do {					\
		fd = importer_open(&caps);				\
		if (fd < 0) {						\
			printf("# SKIP no %s (the topology needs QEMU's edu device: " \
			       "vprime-launch --edu)\n", VPRIME_IMPORTER_DEVICE); \
			return EXIT_SKIP;				\
		}							\
	} while (0)

/* The kernel has PCI_P2PDMA (Debian's 6.12 has not) */
static bool kernel_has_p2pdma(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " pci_p2pdma_distance_many\n") != NULL;
	if (f)
		fclose(f);
	return found;
}

/*
 * Whether two PCI functions have an upstream bridge in common (a switch,
 * or one root port), where pci_p2pdma_distance() accepts the path without
 * asking the host bridge: sysfs names each function by its bridges from
 * the root, /sys/devices/pci0000:00/<root port>/.../<function>.
 */
static bool pci_share_bridge(const char *a, const char *b)
{
	char pa[PATH_MAX], pb[PATH_MAX], link[PATH_MAX];
	char *fa, *fb, *la, *lb;

	snprintf(link, sizeof(link), PCI_SYSFS "/%s", a);
	if (!realpath(link, pa))
		return false;
	snprintf(link, sizeof(link), PCI_SYSFS "/%s", b);
	if (!realpath(link, pb))
		return false;
	/* the first component below the host bridge, and the function itself */
	fa = strchr(pa + strlen("/sys/devices/"), '/');
	fb = strchr(pb + strlen("/sys/devices/"), '/');
	la = strrchr(pa, '/');
	lb = strrchr(pb, '/');
	if (!fa || !fb || fa == la || fb == lb)
		return false;	/* on the root complex: no bridge above */
	return !strncmp(fa, fb, strlen("/0000:00:00.0/"));
}

static const char *dev_bdf(struct ctx *c, int kind)
{
	int i;

	for (i = 0; i < c->ndev; i++)
		if (c->devs[i].kind == kind)
			return c->devs[i].bdf;
	return NULL;
}

/* A host counter over QMP; -1 when the host does not answer */
static int64_t host_counter(const char *dev, const char *prop)
{
	struct hreply r;
	uint64_t v;

	if (host_qom_get(dev, prop, &r) || hreply_u64(&r, "value", &v))
		return -1;
	return (int64_t)v;
}

static int placement(int fd, uint32_t handle)
{
	struct drm_vprime_gem_info in = { .handle = handle };

	return ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in) ? -errno : (int)in.placement;
}

static uint64_t gpu_evictions(int fd)
{
	uint64_t v = 0;

	debugfs_value(fd, "vram", "evictions", &v);
	return v;
}

/* Every exporter, imported by a static and by a dynamic importer */
int test_importer_exporters(struct ctx *c __attribute__((unused)))
{
	struct vprime_importer_caps caps;
	struct vi_opts o = { .size = 1 << 20, .pages = PAGES };
	unsigned int i, ran = 0;
	int fd, dyn;

	NEED_IMPORTER(fd, caps);
	close(fd);
	diag("importer: edu at %s; kernel: %s, %s", caps.dev_name,
	     caps.flags & VPRIME_IMPORTER_CAP_MOVE_NOTIFY ? "DMABUF_MOVE_NOTIFY" : "no DMABUF_MOVE_NOTIFY",
	     caps.flags & VPRIME_IMPORTER_CAP_P2PDMA ? "PCI_P2PDMA" : "no PCI_P2PDMA");
	for (dyn = 0; dyn < 2; dyn++) {
		o.flags = dyn ? VPRIME_IMPORTER_DYNAMIC : 0;
		diag("--- %s importer ---", dyn ? "dynamic" : "static");
		for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++) {
			int r = vi_run(exporters[i], &o);

			CHECK(r != 1, "%s importer of %s", dyn ? "dynamic" : "static", exporters[i]);
			ran += r == 0;
		}
	}
	/* a topology has at least vgem and udmabuf */
	CHECK(ran >= 4, "only %u imports ran", ran);
	return 0;
}

/* ATTACH with a constraint; returns the ioctl's -errno */
static int attach(int ifd, int dmabuf, uint32_t flags, uint32_t bits, uint32_t seg,
		  uint32_t *handle)
{
	struct vprime_importer_attach a = { .fd = dmabuf, .flags = flags, .dma_bits = bits,
					    .max_segment = seg };
	int r = ioctl(ifd, VPRIME_IMPORTER_IOCTL_ATTACH, &a) ? -errno : 0;

	*handle = a.handle;
	return r;
}

static int access_buf(int ifd, uint32_t handle, uint32_t op, uint32_t seed,
		      struct vprime_importer_report *rep)
{
	struct vprime_importer_access a = { .handle = handle, .op = op, .seed = seed,
					    .max_pages = PAGES };
	int r = ioctl(ifd, VPRIME_IMPORTER_IOCTL_ACCESS, &a) ? -errno : 0;

	*rep = a.report;
	return r;
}

static void detach(int ifd, uint32_t handle)
{
	struct vprime_importer_detach d = { .handle = handle };

	ioctl(ifd, VPRIME_IMPORTER_IOCTL_DETACH, &d);
}

static void report(const char *what, const struct vprime_importer_report *r)
{
	diag("%s: %u segments, %u ranges, %u peer-to-peer, longest %" PRIu64 " KiB, "
	     "addresses 0x%" PRIx64 "-0x%" PRIx64 ", mapped %u, moved %u, violations 0x%x",
	     what, r->segments, r->ranges, r->peer_segments, (uint64_t)r->longest_segment >> 10,
	     (uint64_t)r->first_addr, (uint64_t)r->last_addr, r->maps, r->moves, r->violations);
}

/* Write the importer pattern through a dma-buf's mmap, with SYNC around it */
static int cpu_fill(int dmabuf, uint64_t size, uint32_t seed)
{
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	uint32_t *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	uint64_t i;

	if (map == MAP_FAILED)
		return -errno;
	ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	for (i = 0; i < size / 4; i++)
		map[i] = vprime_importer_pattern(seed, i * 4);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	munmap(map, size);
	return 0;
}

/* What the importer's constraints do; each refusal its own check */
int test_importer_constraints(struct ctx *c)
{
	struct vprime_importer_caps caps;
	struct vprime_importer_report rep;
	struct vprime_importer_attach bad;
	int ifd, gfd, dmabuf, r;
	uint32_t h;
	void *map;
	struct bo v;

	NEED_IMPORTER(ifd, caps);
	dmabuf = udmabuf_buffer(1 << 20, false, &map);
	CHECK(dmabuf >= 0, "udmabuf: %s", strerror(-dmabuf));
	if (dmabuf < 0)
		return EXIT_FAIL;

	/* argument checks */
	CHECK(attach(ifd, dmabuf, VPRIME_IMPORTER_PEER2PEER, 0, 0, &h) == -EINVAL,
	      "peer-to-peer without move_notify accepted");
	CHECK(attach(ifd, dmabuf, 0, 31, 0, &h) == -EINVAL, "a 31-bit DMA mask accepted");
	CHECK(attach(ifd, dmabuf, 0, 65, 0, &h) == -EINVAL, "a 65-bit DMA mask accepted");
	CHECK(attach(ifd, dmabuf, 0, 0, 1000, &h) == -EINVAL, "a 1000-byte segment accepted");
	CHECK(attach(ifd, dmabuf, 1u << 7, 0, 0, &h) == -EINVAL, "an unknown flag accepted");
	memset(&bad, 0, sizeof(bad));
	bad.fd = dmabuf;
	bad.pad = 1;
	CHECK(ioctl(ifd, VPRIME_IMPORTER_IOCTL_ATTACH, &bad) && errno == EINVAL,
	      "non-zero pad accepted");
	bad.pad = 0;
	bad.fd = ifd;
	CHECK(ioctl(ifd, VPRIME_IMPORTER_IOCTL_ATTACH, &bad) && errno == EINVAL,
	      "a file that is no dma-buf accepted");
	diag("argument checks: -EINVAL for each");

	/* contiguous-only: the answer must match the mapping the importer got */
	r = attach(ifd, dmabuf, VPRIME_IMPORTER_CONTIGUOUS, 0, 0, &h);
	CHECK(!r, "attach: %s", strerror(-r));
	r = access_buf(ifd, h, VPRIME_IMPORTER_MAP, 0, &rep);
	report("udmabuf, contiguous-only importer", &rep);
	CHECK(rep.ranges > 1 ? r == -EINVAL && (rep.violations & VPRIME_IMPORTER_BAD_CONTIGUOUS) :
	      r == 0 && !rep.violations,
	      "%u DMA ranges, yet the importer answered %d (violations 0x%x)", rep.ranges, r,
	      rep.violations);
	diag("contiguous-only: %s (%u DMA ranges)", r ? "refused" : "accepted", rep.ranges);
	detach(ifd, h);
	close(dmabuf);
	munmap(map, 1 << 20);

	/* one huge page is one physical range: accepted */
	dmabuf = udmabuf_buffer(2 << 20, true, &map);
	if (dmabuf >= 0) {
		r = attach(ifd, dmabuf, VPRIME_IMPORTER_CONTIGUOUS, 32, 0, &h);
		r = r ?: access_buf(ifd, h, VPRIME_IMPORTER_MAP, 0, &rep);
		report("hugetlb udmabuf, contiguous-only, 32-bit importer", &rep);
		CHECK(!r && rep.ranges == 1, "a 2 MiB huge page refused: %s, %u ranges",
		      strerror(-r), rep.ranges);
		detach(ifd, h);
		close(dmabuf);
		munmap(map, 2 << 20);
	} else {
		CHECK(0, "hugetlb udmabuf: %s", strerror(-dmabuf));
	}

	/* an exporter that honours the importer's largest segment: VRAM */
	gfd = gpu_open(c, VPRIME_KIND_DGPU);
	if (gfd >= 0) {
		CHECK(!bo_new_flags(gfd, 1 << 20, VPRIME_GEM_VRAM, &v), "VRAM BO");
		dmabuf = prime_export(gfd, v.handle);
		CHECK(dmabuf >= 0, "export");
		r = attach(ifd, dmabuf, VPRIME_IMPORTER_DYNAMIC, 0, 4096, &h);
		r = r ?: cpu_fill(dmabuf, v.size, 0x5e6);
		r = r ?: access_buf(ifd, h, VPRIME_IMPORTER_CHECK, 0x5e6, &rep);
		report("dGPU VRAM, 4 KiB segments", &rep);
		CHECK(!r && rep.longest_segment <= 4096 && !rep.mismatches,
		      "a 4 KiB-segment importer: %s, longest %" PRIu64 ", %u mismatches",
		      strerror(-r), (uint64_t)rep.longest_segment, rep.mismatches);
		detach(ifd, h);
		close(dmabuf);
		bo_free(gfd, &v);
		close(gfd);
	} else {
		diag("no dGPU: the segment check needs its VRAM exporter");
	}
	close(ifd);
	return 0;
}

/*
 * A dGPU VRAM BO imported by a dynamic, peer-to-peer capable importer: not
 * pinned or moved at attach; mapped through the BAR where the topology
 * allows it (the device reads VRAM, the dGPU copies nothing), through
 * system memory otherwise.  Returns whether it was peer-to-peer.
 */
struct vram_import {
	int gfd, ifd, dmabuf;
	uint32_t handle;
	struct bo bo;
	char gpu_id[16];
	bool p2p;
};

static int vram_import(struct ctx *c, struct vram_import *vi, uint64_t size, uint32_t seed)
{
	struct vprime_importer_caps caps;
	struct vprime_importer_report rep;
	uint64_t mig0;
	int64_t rd0, rd1;
	int r;

	memset(vi, 0, sizeof(*vi));
	vi->ifd = importer_open(&caps);
	vi->gfd = gpu_open(c, VPRIME_KIND_DGPU);
	if (vi->ifd < 0 || vi->gfd < 0)
		return -ENODEV;
	gpu_qom_id(c, VPRIME_KIND_DGPU, vi->gpu_id, sizeof(vi->gpu_id));
	vi->p2p = kernel_has_p2pdma() &&
		  pci_share_bridge(caps.dev_name, dev_bdf(c, VPRIME_KIND_DGPU));
	CHECK(!bo_new_flags(vi->gfd, size, VPRIME_GEM_VRAM, &vi->bo), "VRAM BO");
	vi->dmabuf = prime_export(vi->gfd, vi->bo.handle);
	CHECK(vi->dmabuf >= 0, "export");
	if (failures)
		return -EIO;
	CHECK(!cpu_fill(vi->dmabuf, size, seed), "CPU fill through the dma-buf's mmap");
	mig0 = gpu_migrations(vi->gfd);
	r = attach(vi->ifd, vi->dmabuf, VPRIME_IMPORTER_DYNAMIC | VPRIME_IMPORTER_PEER2PEER,
		   0, 0, &vi->handle);
	CHECK(!r, "dynamic attach: %s", strerror(-r));
	CHECK(placement(vi->gfd, vi->bo.handle) == VPRIME_GEM_VRAM &&
	      gpu_migrations(vi->gfd) == mig0,
	      "the attach moved the BO (a dynamic importer is neither pinned nor migrated)");

	rd0 = host_counter(vi->gpu_id, "stat-bytes-read-vram");
	r = access_buf(vi->ifd, vi->handle, VPRIME_IMPORTER_CHECK, seed, &rep);
	rd1 = host_counter(vi->gpu_id, "stat-bytes-read-vram");
	report(vi->p2p ? "VRAM, peer-to-peer expected" : "VRAM, system memory expected", &rep);
	CHECK(!r && !rep.mismatches, "the device read the VRAM BO wrongly: %s, %u words",
	      strerror(-r), rep.mismatches);
	if (vi->p2p) {
		CHECK(rep.peer_segments == rep.segments && rep.segments,
		      "%u of %u segments are BAR addresses", rep.peer_segments, rep.segments);
		CHECK(placement(vi->gfd, vi->bo.handle) == VPRIME_GEM_VRAM &&
		      gpu_migrations(vi->gfd) == mig0, "the BO left VRAM");
		CHECK(rd0 < 0 || rd1 == rd0, "the dGPU read %" PRId64 " bytes of VRAM (a copy)",
		      rd1 - rd0);
		diag("peer-to-peer: the edu device read VRAM through the dGPU's BAR: %u of %u "
		     "segments are BAR addresses, migrations %" PRIu64 " -> %" PRIu64
		     ", dGPU VRAM bytes read %" PRId64 " -> %" PRId64, rep.peer_segments,
		     rep.segments, mig0, gpu_migrations(vi->gfd), rd0, rd1);
	} else {
		CHECK(!rep.peer_segments, "peer-to-peer addresses without a shared switch");
		CHECK(placement(vi->gfd, vi->bo.handle) == VPRIME_GEM_SYSTEM &&
		      gpu_migrations(vi->gfd) == mig0 + 1,
		      "no peer-to-peer, yet the BO did not move to system memory");
		CHECK(rd0 < 0 || rd1 - rd0 == (int64_t)size,
		      "the move read %" PRId64 " bytes of VRAM, not %" PRIu64, rd1 - rd0, size);
		diag("no peer-to-peer path: the BO moved to system memory (migrations %" PRIu64
		     " -> %" PRIu64 ", the copy engine read %" PRId64 " bytes of VRAM)",
		     mig0, gpu_migrations(vi->gfd), rd1 - rd0);
	}
	return failures ? -EIO : 0;
}

static void vram_import_end(struct vram_import *vi)
{
	if (vi->ifd >= 0 && vi->handle)
		detach(vi->ifd, vi->handle);
	if (vi->dmabuf > 0)
		close(vi->dmabuf);
	if (vi->bo.handle)
		bo_free(vi->gfd, &vi->bo);
	if (vi->gfd >= 0)
		close(vi->gfd);
	if (vi->ifd >= 0)
		close(vi->ifd);
}

/* After an eviction the importer maps again and reads the right pixels */
static void check_after_move(struct vram_import *vi, uint32_t seed, uint64_t ev0,
			     const char *why)
{
	struct vprime_importer_report rep;
	struct dma_buf_sync s = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	uint32_t *map;
	uint64_t i, bad = 0;
	int r;

	CHECK(gpu_evictions(vi->gfd) == ev0 + 1, "evictions %" PRIu64 " -> %" PRIu64,
	      ev0, gpu_evictions(vi->gfd));
	CHECK(placement(vi->gfd, vi->bo.handle) == VPRIME_GEM_SYSTEM, "the BO is still in VRAM");
	r = access_buf(vi->ifd, vi->handle, VPRIME_IMPORTER_CHECK, seed, &rep);
	report(why, &rep);
	CHECK(!r && rep.moves == 1 && rep.maps == 2 && !rep.peer_segments && !rep.mismatches,
	      "after the eviction: %s, moves %u, maps %u, peer segments %u, %u wrong words",
	      strerror(-r), rep.moves, rep.maps, rep.peer_segments, rep.mismatches);
	/* the device writes; the CPU's mapping followed the BO to system memory */
	r = access_buf(vi->ifd, vi->handle, VPRIME_IMPORTER_WRITE, ~seed, &rep);
	CHECK(!r, "device write after the eviction: %s", strerror(-r));
	map = mmap(NULL, vi->bo.size, PROT_READ, MAP_SHARED, vi->dmabuf, 0);
	CHECK(map != MAP_FAILED, "mmap");
	if (map == MAP_FAILED)
		return;
	ioctl(vi->dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	for (i = 0; i < 1024; i++)	/* page 0 is one the device wrote */
		bad += map[i] != vprime_importer_pattern(~seed, i * 4);
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(vi->dmabuf, DMA_BUF_IOCTL_SYNC, &s);
	munmap(map, vi->bo.size);
	CHECK(!bad, "%" PRIu64 " words of the device's write wrong through the mmap", bad);
	diag("%s: move_notify came, the importer mapped system memory and read the right "
	     "words; its writes are seen through the CPU's mmap", why);
}

#define NEED_P2P(c, vi, size, seed) do {					\
		int __r = vram_import(c, vi, size, seed);			\
		if (__r == -ENODEV) {						\
			vram_import_end(vi);					\
			printf("# SKIP needs a dGPU and the example importer (--edu)\n"); \
			return EXIT_SKIP;					\
		}							\
		if (!__r && !(vi)->p2p) {					\
			vram_import_end(vi);					\
			printf("# SKIP no peer-to-peer path: needs a kernel with "	\
			       "CONFIG_PCI_P2PDMA (KERNEL=debug) and the dGPU and edu "	\
			       "under one PCIe switch (--pcie-switch)\n");		\
			return failures ? EXIT_FAIL : EXIT_SKIP;		\
		}							\
		if (__r) {							\
			vram_import_end(vi);					\
			return EXIT_FAIL;					\
		}							\
	} while (0)

/* Peer-to-peer, then VRAM pressure evicts the BO under the importer */
int test_importer_p2p_evict(struct ctx *c)
{
	const uint32_t seed = 0xe71c7;
	struct vram_import vi;
	uint64_t vram_free = 0, ev0;
	struct bo big;
	int r;

	NEED_P2P(c, &vi, 4 << 20, seed);
	ev0 = gpu_evictions(vi.gfd);
	get_param(vi.gfd, VPRIME_PARAM_VRAM_FREE, &vram_free);
	/* more than is free: only an eviction of the imported BO makes room */
	r = bo_create(vi.gfd, vram_free + (2 << 20), VPRIME_GEM_VRAM, false, &big);
	CHECK(!r, "a %" PRIu64 " KiB VRAM BO with %" PRIu64 " KiB free: %s",
	      (vram_free >> 10) + 2048, vram_free >> 10, strerror(-r));
	diag("VRAM pressure: a %" PRIu64 " KiB BO with %" PRIu64 " KiB free evicted the imported BO",
	     (vram_free >> 10) + 2048, vram_free >> 10);
	check_after_move(&vi, seed, ev0, "evicted by VRAM pressure");
	if (!r)
		bo_free(vi.gfd, &big);
	vram_import_end(&vi);
	return 0;
}

/* Peer-to-peer, then the device retires the VRAM under the BO */
int test_importer_p2p_retire(struct ctx *c)
{
	const uint32_t seed = 0x7e71e;
	struct vram_import vi;
	uint64_t vram_size = 0, ev0;
	char script[64];
	struct bo tiny;
	int r;

	NEED_P2P(c, &vi, 1 << 20, seed);
	ev0 = gpu_evictions(vi.gfd);
	get_param(vi.gfd, VPRIME_PARAM_VRAM_SIZE, &vram_size);
	snprintf(script, sizeof(script), "vram-retire:bytes=%" PRIu64, vram_size);
	r = host_qom_set_str(vi.gpu_id, "fault", script);
	if (r == -ENODEV) {
		vram_import_end(&vi);
		printf("# SKIP no host control channel (the harness provides it)\n");
		return EXIT_SKIP;
	}
	CHECK(!r, "arming %s", script);
	/* the driver sees the retirement at its next allocation */
	r = bo_create(vi.gfd, 4096, VPRIME_GEM_VRAM, false, &tiny);
	CHECK(r == -ENOMEM, "a VRAM BO with all VRAM retired: %d", r);
	diag("all VRAM retired: the next allocation moved the imported BO out of it");
	check_after_move(&vi, seed, ev0, "moved out of retired VRAM");
	CHECK(!host_qom_set_str(vi.gpu_id, "fault", "vram-retire:bytes=0"), "giving VRAM back");
	vram_import_end(&vi);
	return 0;
}

/* The example importer maps a VRAM BO: peer-to-peer where it can */
int test_importer_vram(struct ctx *c)
{
	struct vram_import vi;
	int r = vram_import(c, &vi, 1 << 20, 0x7a3);

	vram_import_end(&vi);
	if (r == -ENODEV) {
		printf("# SKIP needs a dGPU and the example importer (--edu)\n");
		return EXIT_SKIP;
	}
	return 0;
}

/*
 * The display engine imports a VRAM BO and scans it: through the BAR
 * where the topology allows peer-to-peer (the host sees the engine read a
 * peer's BAR, and nothing moves), from system memory otherwise (the BO
 * moves once, the engine reads system RAM).  The frame's CRC is the
 * pattern's either way.
 */
int test_display_vram_import(struct ctx *c)
{
	const char *dbdf = dev_bdf(c, VPRIME_KIND_DISPLAY), *gbdf = dev_bdf(c, VPRIME_KIND_DGPU);
	int64_t peer0, peer1, sys0, sys1;
	uint64_t mig0, mig1;
	struct head *hd = NULL;
	struct vprime_cmd cmd;
	const struct bo *bos[1];
	struct kms k;
	struct fb f;
	struct bo b;
	uint32_t w, h, pitch, ctx_id;
	uint8_t *copy;
	bool p2p;
	int gfd, dfd, i, ret;

	if (!dbdf || !gbdf) {
		printf("# SKIP needs a dGPU and a display engine\n");
		return EXIT_SKIP;
	}
	if (host_counter("display0", "stat-bytes-read-peer") < 0) {
		printf("# SKIP no host control channel (the harness provides it)\n");
		return EXIT_SKIP;
	}
	p2p = kernel_has_p2pdma() && pci_share_bridge(dbdf, gbdf);
	ret = kms_open(c, &k);
	if (ret)
		return ret;
	for (i = 0; i < k.nheads && !hd; i++)
		if (k.heads[i].connected)
			hd = &k.heads[i];
	CHECK(hd, "no connected head");
	if (!hd)
		return EXIT_FAIL;
	w = hd->mode.hdisplay;
	h = hd->mode.vdisplay;
	pitch = w * 4;
	gfd = gpu_open(c, VPRIME_KIND_DGPU);
	ctx_id = ctx_new(gfd);
	CHECK(!bo_new_flags(gfd, (uint64_t)pitch * h, VPRIME_GEM_VRAM, &b), "VRAM BO");
	if (failures)
		return EXIT_FAIL;
	bos[0] = &b;
	cmd = pattern(b.va, pitch, w, h, 21, VPRIME_KIND_DGPU + 1);
	CHECK(!run(gfd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1), "dGPU pattern in VRAM");
	copy = malloc(b.size);
	memcpy(copy, b.map, b.size);
	dfd = prime_export(gfd, b.handle);
	CHECK(dfd >= 0, "export");

	mig0 = gpu_migrations(gfd);
	peer0 = host_counter("display0", "stat-bytes-read-peer");
	sys0 = host_counter("display0", "stat-bytes-read-sysram");
	ret = fb_import(&k, &f, dfd, w, h, pitch, DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR);
	CHECK(!ret, "display import: %s", strerror(-ret));
	if (!ret) {
		f.map = copy;
		ret = head_enable(&k, hd, &f, 0);
		CHECK(!ret, "show: %s", strerror(-ret));
		if (!ret && !crc_start(&k, hd)) {
			expect_crc(&k, hd, fb_crc(&f), "the VRAM BO on the display");
			crc_stop(hd);
		}
		kms_disable_all(&k);
		fb_free(&k, &f);
	}
	mig1 = gpu_migrations(gfd);
	peer1 = host_counter("display0", "stat-bytes-read-peer");
	sys1 = host_counter("display0", "stat-bytes-read-sysram");
	if (p2p) {
		CHECK(mig1 == mig0 && placement(gfd, b.handle) == VPRIME_GEM_VRAM,
		      "the BO moved (migrations %" PRIu64 " -> %" PRIu64 ")", mig0, mig1);
		CHECK(peer1 - peer0 >= (int64_t)pitch * h,
		      "the engine read %" PRId64 " bytes from a peer's BAR, less than a frame",
		      peer1 - peer0);
		diag("peer-to-peer: the display engine scanned VRAM through the dGPU's BAR: "
		     "%" PRId64 " bytes read from a peer (%" PRId64 " frames of %u), migrations "
		     "%" PRIu64 " -> %" PRIu64, peer1 - peer0, (peer1 - peer0) / ((int64_t)pitch * h),
		     pitch * h, mig0, mig1);
	} else {
		CHECK(mig1 == mig0 + 1 && placement(gfd, b.handle) == VPRIME_GEM_SYSTEM,
		      "no peer-to-peer path, yet the BO did not move (migrations %" PRIu64
		      " -> %" PRIu64 ")", mig0, mig1);
		CHECK(peer1 == peer0, "the engine read %" PRId64 " bytes from a peer's BAR",
		      peer1 - peer0);
		CHECK(sys1 - sys0 >= (int64_t)pitch * h, "the engine read %" PRId64
		      " bytes of system RAM, less than a frame", sys1 - sys0);
		diag("no peer-to-peer path: the BO moved to system memory (migrations %" PRIu64
		     " -> %" PRIu64 "), the engine read %" PRId64 " bytes of system RAM and 0 from "
		     "a peer", mig0, mig1, sys1 - sys0);
	}
	free(copy);
	if (dfd >= 0)
		close(dfd);
	bo_free(gfd, &b);
	close(gfd);
	kms_close(&k);
	return 0;
}
