// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime-import: the userspace side of the example dma-buf importer.
 *
 * For each exporter asked for, it makes a buffer there and exports it as a
 * dma-buf, fills it with a pattern through the dma-buf's own mmap
 * (DMA_BUF_IOCTL_SYNC around the CPU access), hands the fd to the example
 * importer (/dev/vprime-importer) with the importer's constraints, has the
 * importer's device read the pattern through its mapping (CHECK), then
 * write another one (WRITE), which the CPU reads back through the mmap,
 * again between SYNC_START and SYNC_END.  It prints what the importer got.
 *
 *   vprime-import [--dynamic] [--p2p] [--contiguous] [--dma-bits N]
 *                 [--max-segment BYTES] [--size BYTES] [--pages N]
 *                 EXPORTER...
 *
 * Exporters: igpu, dgpu (system-memory BOs of the vprime GPUs), dgpu-vram
 * (a VRAM BO), display (a dumb buffer of the display engine), vgem,
 * udmabuf, udmabuf-huge (one 2 MiB huge page), or all.  Exit status 0:
 * every import worked, 1: one failed, 4: none of the exporters exists.
 *
 * Built into the guest image as /bin/vprime-import; copy it with the
 * module to start your own importer's tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/memfd.h>
#include <linux/udmabuf.h>

#include "drm.h"
#include "drm_mode.h"
#include "vprime_regs.h"
#include "vprime_drm.h"
#include "vprime_importer.h"

#define VI_SKIP 4

/* What to import, and as what kind of importer */
struct vi_opts {
	uint32_t flags;		/* VPRIME_IMPORTER_* */
	uint32_t dma_bits;
	uint32_t max_segment;
	uint64_t size;
	uint32_t pages;		/* pages the device touches, 0: all */
};

/* An exported buffer and what to let go of */
struct vi_buf {
	int dmabuf;
	int dev_fd;		/* the exporter's DRM node, or -1 */
	int memfd;		/* udmabuf's memfd, or -1 */
	uint64_t size;
};

static int vi_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r < 0 ? -errno : 0;
}

/* A DRM node whose driver is @driver (and, for vprime_gpu, of @kind) */
static int vi_drm_open(const char *prefix, int first, const char *driver,
		       int kind)
{
	char path[64], name[64];
	int i, fd;

	for (i = first; i < first + 64; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!vi_ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, driver)) {
			struct drm_vprime_get_param p = { .param = VPRIME_PARAM_KIND };

			if (kind < 0 ||
			    (!vi_ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &p) && p.value == (uint64_t)kind))
				return fd;
		}
		close(fd);
	}
	return -ENODEV;
}

static int vi_prime_export(int fd, uint32_t handle)
{
	struct drm_prime_handle h = { .handle = handle, .flags = DRM_CLOEXEC | DRM_RDWR };
	int r = vi_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h);

	return r ? r : h.fd;
}

static int vi_export_dumb(int fd, uint64_t size)
{
	struct drm_mode_create_dumb d = { .width = 1024, .bpp = 32 };

	d.height = (size + 4095) / 4096;
	if (vi_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &d))
		return -errno;
	return vi_prime_export(fd, d.handle);
}

static int vi_export_udmabuf(uint64_t size, bool huge, struct vi_buf *b)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int dev, r;

	if (huge)
		size = 2 << 20;
	b->memfd = syscall(SYS_memfd_create, "vprime-import",
			   MFD_ALLOW_SEALING | (huge ? MFD_HUGETLB : 0));
	if (b->memfd < 0)
		return -errno;
	if (ftruncate(b->memfd, size) || fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -errno;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -ENODEV;
	c.memfd = b->memfd;
	c.size = size;
	r = ioctl(dev, UDMABUF_CREATE, &c);
	r = r < 0 ? -errno : r;
	close(dev);
	b->size = size;
	return r;
}

/* Make a buffer at @exporter; -ENODEV if the topology has none */
static int vi_export(const char *exporter, uint64_t size, struct vi_buf *b)
{
	b->dev_fd = b->memfd = -1;
	b->size = size;
	if (!strcmp(exporter, "udmabuf") || !strcmp(exporter, "udmabuf-huge")) {
		if (!strcmp(exporter, "udmabuf-huge")) {
			/* at least one huge page for the memfd */
			FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
			long n = 0;

			if (f && fscanf(f, "%ld", &n) == 1 && n < 1) {
				rewind(f);
				fputs("1\n", f);
			}
			if (f)
				fclose(f);
		}
		b->dmabuf = vi_export_udmabuf(size, !strcmp(exporter, "udmabuf-huge"), b);
	} else if (!strcmp(exporter, "vgem") || !strcmp(exporter, "display")) {
		b->dev_fd = vi_drm_open("card", 0, !strcmp(exporter, "vgem") ? "vgem" :
					"vprime_display", -1);
		if (b->dev_fd < 0)
			return b->dev_fd;
		b->dmabuf = vi_export_dumb(b->dev_fd, size);
		b->size = (size + 4095) / 4096 * 4096;
	} else if (!strcmp(exporter, "igpu") || !strcmp(exporter, "dgpu") ||
		   !strcmp(exporter, "dgpu-vram")) {
		struct drm_vprime_gem_create c = { .size = size };

		b->dev_fd = vi_drm_open("renderD", 128, "vprime_gpu",
					exporter[0] == 'i' ? VPRIME_KIND_IGPU : VPRIME_KIND_DGPU);
		if (b->dev_fd < 0)
			return b->dev_fd;
		c.flags = strcmp(exporter, "dgpu-vram") ? VPRIME_GEM_SYSTEM : VPRIME_GEM_VRAM;
		if (vi_ioctl(b->dev_fd, DRM_IOCTL_VPRIME_GEM_CREATE, &c))
			return -errno;
		b->dmabuf = vi_prime_export(b->dev_fd, c.handle);
	} else {
		return -EINVAL;
	}
	return b->dmabuf < 0 ? b->dmabuf : 0;
}

static void vi_release(struct vi_buf *b)
{
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	if (b->dev_fd >= 0)
		close(b->dev_fd);
	if (b->memfd >= 0)
		close(b->memfd);
}

static int vi_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return vi_ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
}

/* The page the importer touches k-th of n (vprime_importer.c's choice) */
static uint64_t vi_page(uint64_t k, uint64_t n, uint64_t npages)
{
	return n == npages ? k : n == 1 ? 0 : k * (npages - 1) / (n - 1);
}

/* CPU access through the dma-buf's mmap, inside SYNC_START/SYNC_END */
static int vi_cpu(struct vi_buf *b, bool write, uint32_t seed,
		  const struct vi_opts *o, uint64_t *bad)
{
	uint64_t npages = b->size / 4096, n, k, i;
	uint32_t *map;
	int r;

	map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->dmabuf, 0);
	if (map == MAP_FAILED)
		return -errno;
	/*
	 * Linux 6.12's udmabuf: its first SYNC maps the pages for its own
	 * misc device and keeps them mapped, in that SYNC's direction; a
	 * later SYNC in another direction, or an importer mapping the same
	 * pages, is then a DMA-API error (direction mismatch, overlapping
	 * mapping).  Its pages are cached memory on x86: no SYNC for it.
	 */
	r = b->memfd >= 0 ? 0 : vi_sync(b->dmabuf, DMA_BUF_SYNC_START |
					 (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ));
	if (write) {
		for (i = 0; i < b->size / 4; i++)
			map[i] = vprime_importer_pattern(seed, i * 4);
	} else {
		/* the pages the device wrote */
		n = o->pages && o->pages < npages ? o->pages : npages;
		for (k = 0; k < n; k++) {
			uint64_t p = vi_page(k, n, npages);

			for (i = p * 1024; i < (p + 1) * 1024; i++)
				if (map[i] != vprime_importer_pattern(seed, i * 4))
					(*bad)++;
		}
	}
	if (!r && b->memfd < 0)
		r = vi_sync(b->dmabuf, DMA_BUF_SYNC_END |
			    (write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ));
	munmap(map, b->size);
	return r;
}

static void vi_print_report(const char *exporter, const char *what,
			    const struct vprime_importer_report *r)
{
	printf("# %s: %s: %" PRIu64 " KiB in %u DMA segments, %u ranges, %u peer-to-peer; "
	       "addresses 0x%" PRIx64 "-0x%" PRIx64 ", longest segment %" PRIu64 " KiB; "
	       "mapped %u times, moved %u times\n", exporter, what, (uint64_t)r->size >> 10,
	       r->segments, r->ranges, r->peer_segments, (uint64_t)r->first_addr,
	       (uint64_t)r->last_addr, (uint64_t)r->longest_segment >> 10, r->maps, r->moves);
}

/**
 * vi_run - import one exporter's buffer into the example importer
 * @exporter: igpu, dgpu, dgpu-vram, display, vgem, udmabuf, udmabuf-huge
 * @o: the importer's constraints
 *
 * Returns: 0 if the importer's device read and wrote the buffer right, 1
 * if not, VI_SKIP if the topology has no such exporter (or importer).
 */
int vi_run(const char *exporter, const struct vi_opts *o)
{
	struct vprime_importer_attach at = {
		.flags = o->flags, .dma_bits = o->dma_bits, .max_segment = o->max_segment,
	};
	struct vprime_importer_access ac = { .max_pages = o->pages };
	struct vprime_importer_detach de = { 0 };
	uint32_t seed = 0x5eed0000 ^ (uint32_t)strlen(exporter) * 0x01010101u;
	struct vi_buf b = { .dmabuf = -1, .dev_fd = -1, .memfd = -1 };
	uint64_t bad = 0;
	int imp, r, ret = 1;

	imp = open(VPRIME_IMPORTER_DEVICE, O_RDWR | O_CLOEXEC);
	if (imp < 0) {
		printf("# SKIP no %s (the example importer needs QEMU's edu device: "
		       "vprime-launch --edu)\n", VPRIME_IMPORTER_DEVICE);
		return VI_SKIP;
	}
	r = vi_export(exporter, o->size, &b);
	if (r == -ENODEV) {
		printf("# %s: not in this topology\n", exporter);
		ret = VI_SKIP;
		goto out;
	}
	if (r) {
		printf("# %s: export failed: %s\n", exporter, strerror(-r));
		goto out;
	}
	r = vi_cpu(&b, true, seed, o, &bad);
	if (r) {
		printf("# %s: CPU write through the dma-buf's mmap: %s\n", exporter, strerror(-r));
		goto out;
	}
	at.fd = b.dmabuf;
	r = vi_ioctl(imp, VPRIME_IMPORTER_IOCTL_ATTACH, &at);
	if (r) {
		printf("# %s: attach: %s\n", exporter, strerror(-r));
		goto out;
	}
	ac.handle = de.handle = at.handle;
	ac.op = VPRIME_IMPORTER_CHECK;
	ac.seed = seed;
	r = vi_ioctl(imp, VPRIME_IMPORTER_IOCTL_ACCESS, &ac);
	vi_print_report(exporter, "read by the device", &ac.report);
	if (r) {
		printf("# %s: the importer refused the mapping (%s, violations 0x%x)\n",
		       exporter, strerror(-r), ac.report.violations);
		goto out_detach;
	}
	if (ac.report.mismatches) {
		printf("# %s: the device read %u wrong words, the first at byte %" PRIu64 "\n",
		       exporter, ac.report.mismatches, (uint64_t)ac.report.first_mismatch);
		goto out_detach;
	}
	ac.op = VPRIME_IMPORTER_WRITE;
	ac.seed = ~seed;
	r = vi_ioctl(imp, VPRIME_IMPORTER_IOCTL_ACCESS, &ac);
	if (!r)
		r = vi_cpu(&b, false, ~seed, o, &bad);
	if (r || bad) {
		printf("# %s: the device's writes, read through the mmap: %s, %" PRIu64 " wrong words\n",
		       exporter, r ? strerror(-r) : "ok", bad);
		goto out_detach;
	}
	printf("# %s: the device read %u pages and wrote %u, the CPU saw both through the mmap\n",
	       exporter, ac.report.pages_accessed, ac.report.pages_accessed);
	ret = 0;
out_detach:
	vi_ioctl(imp, VPRIME_IMPORTER_IOCTL_DETACH, &de);
out:
	vi_release(&b);
	close(imp);
	return ret;
}

#ifndef VPRIME_IMPORT_LIB
static const char *const vi_all[] = {
	"igpu", "dgpu", "dgpu-vram", "display", "vgem", "udmabuf", "udmabuf-huge",
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dynamic", no_argument, NULL, 'D' },
		{ "p2p", no_argument, NULL, 'P' },
		{ "contiguous", no_argument, NULL, 'C' },
		{ "dma-bits", required_argument, NULL, 'b' },
		{ "max-segment", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "pages", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vi_opts o = { .size = 1 << 20, .pages = 4 };
	int c, i, ran = 0, failed = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': o.flags |= VPRIME_IMPORTER_DYNAMIC; break;
		case 'P': o.flags |= VPRIME_IMPORTER_DYNAMIC | VPRIME_IMPORTER_PEER2PEER; break;
		case 'C': o.flags |= VPRIME_IMPORTER_CONTIGUOUS; break;
		case 'b': o.dma_bits = strtoul(optarg, NULL, 0); break;
		case 'm': o.max_segment = strtoul(optarg, NULL, 0); break;
		case 's': o.size = strtoull(optarg, NULL, 0); break;
		case 'n': o.pages = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [--dynamic] [--p2p] [--contiguous] [--dma-bits N] "
				"[--max-segment BYTES] [--size BYTES] [--pages N] EXPORTER...|all\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	for (i = optind; i < argc; i++) {
		const char *const *list = !strcmp(argv[i], "all") ? vi_all : (const char *const *)&argv[i];
		size_t j, n = !strcmp(argv[i], "all") ? sizeof(vi_all) / sizeof(vi_all[0]) : 1;

		for (j = 0; j < n; j++) {
			int r = vi_run(list[j], &o);

			ran += r != VI_SKIP;
			failed += r == 1;
		}
	}
	if (optind == argc)
		fprintf(stderr, "%s: name an exporter (or all)\n", argv[0]);
	return failed ? 1 : ran ? 0 : VI_SKIP;
}
#endif
