// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-side checks of the vprime devices and drivers, one per sub-command.
 * Each prints "# ..." diagnostics and exits 0 (pass), 1 (fail) or 4 (skip,
 * reason on the last "# SKIP" line); tests/guest/run-tests turns that into
 * KTAP.
 *
 * The expected topology comes from the kernel command line written by the
 * launcher: vprime.topology=igpu,dgpu:268435456,display:1 (VRAM in bytes,
 * display heads after the colon).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vprime_regs.h"
#include "vprime_drm.h"

#include "guest-test.h"
#include "kms-lib.h"

int failures;

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}


int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static unsigned long read_hex(const char *dir, const char *name)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return ~0ul;
	return strtoul(buf, NULL, 16);
}

/* ---- expected topology from /proc/cmdline ---- */

static int parse_topology(struct expect *exp, int max)
{
	char cmdline[4096], *p, *tok, *save;
	int n = 0;

	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return -1;
	p = strstr(cmdline, "vprime.topology=");
	if (!p)
		return -1;
	p += strlen("vprime.topology=");
	p[strcspn(p, " \n")] = 0;
	for (tok = strtok_r(p, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		char *arg = strchr(tok, ':');

		if (arg)
			*arg++ = 0;
		memset(&exp[n], 0, sizeof(exp[n]));
		if (!strcmp(tok, "igpu")) {
			exp[n].kind = VPRIME_KIND_IGPU;
		} else if (!strcmp(tok, "dgpu")) {
			exp[n].kind = VPRIME_KIND_DGPU;
			exp[n].vram = arg ? strtoull(arg, NULL, 0) : VPRIME_VRAM_DEFAULT;
		} else if (!strcmp(tok, "display")) {
			exp[n].kind = VPRIME_KIND_DISPLAY;
			exp[n].heads = arg ? strtoul(arg, NULL, 0) : VPRIME_HEADS_MIN;
		} else {
			diag("unknown kind '%s' in vprime.topology", tok);
			return -1;
		}
		n++;
	}
	return n;
}

static int kind_of(unsigned int device_id)
{
	switch (device_id) {
	case VPRIME_PCI_DEVICE_ID_IGPU:
		return VPRIME_KIND_IGPU;
	case VPRIME_PCI_DEVICE_ID_DGPU:
		return VPRIME_KIND_DGPU;
	case VPRIME_PCI_DEVICE_ID_DISPLAY:
		return VPRIME_KIND_DISPLAY;
	}
	return -1;
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case VPRIME_KIND_IGPU:
		return "igpu";
	case VPRIME_KIND_DGPU:
		return "dgpu";
	case VPRIME_KIND_DISPLAY:
		return "display";
	}
	return "?";
}

static unsigned int class_of(int kind)
{
	switch (kind) {
	case VPRIME_KIND_IGPU:
		return VPRIME_PCI_CLASS_IGPU;
	case VPRIME_KIND_DGPU:
		return VPRIME_PCI_CLASS_DGPU;
	default:
		return VPRIME_PCI_CLASS_DISPLAY;
	}
}

static const char *driver_of(int kind)
{
	return kind == VPRIME_KIND_DISPLAY ? "vprime_display" : "vprime_gpu";
}

/* All vprime functions, sorted by bus address (readdir order is not). */
static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct dev *)a)->bdf, ((const struct dev *)b)->bdf);
}

static int scan_devices(struct dev *devs, int max)
{
	DIR *d = opendir(PCI_SYSFS);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		char dir[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), PCI_SYSFS "/%s", de->d_name);
		if (read_hex(dir, "vendor") != VPRIME_PCI_VENDOR_ID)
			continue;
		if (kind_of(read_hex(dir, "device")) < 0)
			continue;
		snprintf(devs[n].bdf, sizeof(devs[n].bdf), "%s", de->d_name);
		devs[n].device_id = read_hex(dir, "device");
		devs[n].class_code = read_hex(dir, "class");
		devs[n].kind = kind_of(devs[n].device_id);
		n++;
	}
	closedir(d);
	qsort(devs, n, sizeof(*devs), cmp_dev);
	return n;
}

/* Match found devices to the expected list: same kinds, same counts. */
static int match(struct dev *devs, int ndev, struct expect *exp, int nexp,
		 const struct expect **which)
{
	bool used[MAX_DEVS] = { false };
	int i, j;

	for (i = 0; i < ndev; i++) {
		which[i] = NULL;
		for (j = 0; j < nexp; j++) {
			if (!used[j] && exp[j].kind == devs[i].kind) {
				used[j] = true;
				which[i] = &exp[j];
				break;
			}
		}
	}
	for (j = 0; j < nexp; j++)
		CHECK(used[j], "expected a %s that is not on the bus",
		      kind_name(exp[j].kind));
	for (i = 0; i < ndev; i++)
		CHECK(which[i], "%s: unexpected %s", devs[i].bdf,
		      kind_name(devs[i].kind));
	return 0;
}

static int setup(struct ctx *c)
{
	c->nexp = parse_topology(c->exp, MAX_DEVS);
	if (c->nexp < 0) {
		printf("# SKIP no vprime.topology= on the kernel command line\n");
		return EXIT_SKIP;
	}
	c->ndev = scan_devices(c->devs, MAX_DEVS);
	CHECK(c->ndev >= 0, "cannot read " PCI_SYSFS);
	match(c->devs, c->ndev, c->exp, c->nexp, c->which);
	return 0;
}

/* ---- tests ---- */

static int bar_info(const char *bdf, int bar, uint64_t *size, uint64_t *flags)
{
	char path[PATH_MAX], buf[4096], *line;
	int i;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/resource", bdf);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	line = buf;
	for (i = 0; i < bar && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line)
		return -1;
	{
		uint64_t start, end;

		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64,
			   &start, &end, flags) != 3)
			return -1;
		*size = end ? end - start + 1 : 0;
	}
	return 0;
}

bool cmdline_has(const char *word)
{
	char cmdline[4096];

	return read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, word);
}

static int test_pci_ids(struct ctx *c)
{
	bool iommu = cmdline_has("intel_iommu=on");
	int i;

	CHECK(c->ndev == c->nexp, "found %d vprime functions, expected %d",
	      c->ndev, c->nexp);
	for (i = 0; i < c->ndev; i++) {
		struct dev *d = &c->devs[i];
		char dir[PATH_MAX];
		uint64_t size, flags;

		snprintf(dir, sizeof(dir), PCI_SYSFS "/%s", d->bdf);
		diag("%s %04x:%04x class %06x (%s)", d->bdf, VPRIME_PCI_VENDOR_ID,
		     d->device_id, d->class_code, kind_name(d->kind));
		CHECK(d->class_code >> 8 == class_of(d->kind),
		      "%s: class %06x, expected %04x", d->bdf, d->class_code,
		      class_of(d->kind));
		if (iommu) {
			char grp[PATH_MAX];
			struct stat st;

			/* DMA remapping on: every function sits behind the vIOMMU */
			snprintf(grp, sizeof(grp), "%s/iommu_group", dir);
			CHECK(!stat(grp, &st), "%s: no IOMMU group with intel_iommu=on",
			      d->bdf);
		}
		CHECK(read_hex(dir, "revision") == VPRIME_PCI_REVISION,
		      "%s: revision", d->bdf);
		CHECK(read_hex(dir, "subsystem_vendor") == VPRIME_PCI_SUBVENDOR_ID,
		      "%s: subsystem vendor", d->bdf);

		CHECK(!bar_info(d->bdf, VPRIME_BAR_MMIO, &size, &flags) &&
		      size == VPRIME_MMIO_SIZE && (flags & IORESOURCE_MEM) &&
		      !(flags & IORESOURCE_PREFETCH),
		      "%s: BAR%d size 0x%" PRIx64 " flags 0x%" PRIx64, d->bdf,
		      VPRIME_BAR_MMIO, size, flags);
		CHECK(!bar_info(d->bdf, VPRIME_BAR_MSIX, &size, &flags) && size,
		      "%s: no MSI-X BAR%d", d->bdf, VPRIME_BAR_MSIX);
		if (bar_info(d->bdf, VPRIME_BAR_VRAM, &size, &flags))
			size = flags = 0;
		if (d->kind == VPRIME_KIND_DGPU) {
			uint64_t want = c->which[i] ? c->which[i]->vram : 0;

			diag("%s VRAM BAR%d %" PRIu64 " MiB flags 0x%" PRIx64,
			     d->bdf, VPRIME_BAR_VRAM, size >> 20, flags);
			CHECK(size == want, "%s: VRAM BAR %" PRIu64 " bytes, expected %" PRIu64,
			      d->bdf, size, want);
			CHECK((flags & IORESOURCE_PREFETCH) && (flags & IORESOURCE_MEM_64),
			      "%s: VRAM BAR is not 64-bit prefetchable (0x%" PRIx64 ")",
			      d->bdf, flags);
		} else {
			CHECK(size == 0, "%s: unexpected BAR%d", d->bdf, VPRIME_BAR_VRAM);
		}
	}
	return 0;
}

static int test_drivers_bound(struct ctx *c)
{
	int i;

	for (i = 0; i < c->ndev; i++) {
		char link[PATH_MAX], target[PATH_MAX];
		const char *drv;
		ssize_t n;

		snprintf(link, sizeof(link), PCI_SYSFS "/%s/driver", c->devs[i].bdf);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		drv = strrchr(target, '/') ? strrchr(target, '/') + 1 : "(none)";
		diag("%s bound to %s", c->devs[i].bdf, drv);
		CHECK(!strcmp(drv, driver_of(c->devs[i].kind)),
		      "%s: driver %s, expected %s", c->devs[i].bdf, drv,
		      driver_of(c->devs[i].kind));
	}
	return 0;
}

/* Find the card/renderD minors of a PCI function under its drm/ dir. */
void drm_nodes(const char *bdf, char *card, char *render, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	card[0] = render[0] = 0;
	snprintf(dir, sizeof(dir), PCI_SYSFS "/%s/drm", bdf);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "card", 4))
			snprintf(card, len, "/dev/dri/%s", de->d_name);
		else if (!strncmp(de->d_name, "renderD", 7))
			snprintf(render, len, "/dev/dri/%s", de->d_name);
	}
	closedir(d);
}

int get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_vprime_get_param gp = { .param = param };

	if (ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

static int check_node(const char *node)
{
	struct stat st;

	if (stat(node, &st) || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 226) {
		diag("FAIL: %s is not a DRM character device", node);
		failures++;
		return -1;
	}
	return 0;
}

static int test_dri_nodes(struct ctx *c)
{
	int i;

	for (i = 0; i < c->ndev; i++) {
		struct dev *d = &c->devs[i];
		char card[PATH_MAX], render[PATH_MAX], name[64] = "";
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		const char *node;
		uint64_t val = 0;
		int fd;

		drm_nodes(d->bdf, card, render, sizeof(card));
		diag("%s: card %s, render %s", d->bdf, card[0] ? card : "-",
		     render[0] ? render : "-");
		CHECK(card[0], "%s: no card node", d->bdf);
		if (d->kind == VPRIME_KIND_DISPLAY) {
			CHECK(!render[0], "%s: display engine has a render node", d->bdf);
			node = card;
		} else {
			CHECK(render[0], "%s: GPU has no render node", d->bdf);
			node = render;
		}
		if (!node[0] || check_node(node))
			continue;
		fd = open(node, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0, "open %s: %s", node, strerror(errno));
		if (fd < 0)
			continue;
		CHECK(!ioctl(fd, DRM_IOCTL_VERSION, &v) &&
		      !strcmp(name, driver_of(d->kind)),
		      "%s: DRM driver name '%s'", node, name);
		CHECK(!get_param(fd, VPRIME_PARAM_KIND, &val) &&
		      val == (uint64_t)d->kind,
		      "%s: KIND param", node);
		CHECK(!get_param(fd, VPRIME_PARAM_HW_VERSION, &val) &&
		      val == VPRIME_VERSION, "%s: HW_VERSION param", node);
		if (d->kind == VPRIME_KIND_DGPU && c->which[i])
			CHECK(!get_param(fd, VPRIME_PARAM_VRAM_SIZE, &val) &&
			      val == c->which[i]->vram,
			      "%s: VRAM_SIZE %" PRIu64, node, val);
		if (d->kind == VPRIME_KIND_DISPLAY && c->which[i])
			CHECK(!get_param(fd, VPRIME_PARAM_NUM_HEADS, &val) &&
			      val == c->which[i]->heads,
			      "%s: NUM_HEADS %" PRIu64, node, val);
		close(fd);
	}
	return 0;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int test_msix(struct ctx *c)
{
	int i;

	for (i = 0; i < c->ndev; i++) {
		struct dev *d = &c->devs[i];
		char path[PATH_MAX], card[PATH_MAX], render[PATH_MAX];
		unsigned int want = d->kind == VPRIME_KIND_DISPLAY ?
			VPRIME_DISPLAY_MSIX_VECTORS : VPRIME_GPU_MSIX_VECTORS;
		uint64_t irqs = 0;
		int n, fd;

		snprintf(path, sizeof(path), PCI_SYSFS "/%s/msi_irqs", d->bdf);
		n = count_dir(path);
		diag("%s: %d MSI-X vectors allocated", d->bdf, n);
		CHECK(n == (int)want, "%s: %d MSI-X vectors, expected %u",
		      d->bdf, n, want);

		/* Probe's self-test interrupt must have arrived */
		drm_nodes(d->bdf, card, render, sizeof(card));
		fd = open(render[0] ? render : card, O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0 && !get_param(fd, VPRIME_PARAM_IRQ_COUNT, &irqs) &&
		      irqs >= 1, "%s: %" PRIu64 " interrupts handled", d->bdf, irqs);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* Each validation failure on its own, as botching-up-ioctls asks */
static int test_ioctl_validation(struct ctx *c)
{
	int i;

	for (i = 0; i < c->ndev; i++) {
		char card[PATH_MAX], render[PATH_MAX];
		struct drm_vprime_get_param gp;
		int fd, ret;

		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		fd = open(render[0] ? render : card, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			CHECK(0, "%s: cannot open its DRM node", c->devs[i].bdf);
			continue;
		}
		memset(&gp, 0, sizeof(gp));
		gp.param = VPRIME_PARAM_KIND;
		gp.pad = 1;
		ret = ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp) ? errno : 0;
		CHECK(ret == EINVAL, "non-zero pad: %s", strerror(ret));

		memset(&gp, 0, sizeof(gp));
		gp.param = 0xdead;
		ret = ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp) ? errno : 0;
		CHECK(ret == EINVAL, "unknown param: %s", strerror(ret));

		memset(&gp, 0, sizeof(gp));
		ret = ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp) ? errno : 0;
		CHECK(ret == EINVAL, "param 0: %s", strerror(ret));

		ret = ioctl(fd, DRM_IOCTL_VPRIME_GET_PARAM, NULL) ? errno : 0;
		CHECK(ret == EFAULT, "NULL argument: %s", strerror(ret));
		close(fd);
	}
	return 0;
}

/*
 * Fault injection end to end: with vprime.inject=error on the command line
 * the host injects a device error over QMP once it sees the "waiting" line;
 * the driver must take the error interrupt and report the injected bit.
 */
#define INJECT_WAIT_S	120

static int test_injected_error(struct ctx *c)
{
	char card[PATH_MAX], render[PATH_MAX];
	int fds[MAX_DEVS], i, waited;
	bool seen = false;

	if (!cmdline_has("vprime.inject=error")) {
		printf("# SKIP no fault injection requested (vprime.inject=error)\n");
		return EXIT_SKIP;
	}
	for (i = 0; i < c->ndev; i++) {
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		fds[i] = open(render[0] ? render : card, O_RDWR | O_CLOEXEC);
		CHECK(fds[i] >= 0, "%s: cannot open its DRM node", c->devs[i].bdf);
	}
	diag("waiting for an injected device error");
	for (waited = 0; !seen && waited < INJECT_WAIT_S * 10; waited++) {
		for (i = 0; i < c->ndev; i++) {
			uint64_t n = 0, bits = 0;

			if (fds[i] < 0 || get_param(fds[i], VPRIME_PARAM_ERROR_COUNT, &n) || !n)
				continue;
			get_param(fds[i], VPRIME_PARAM_LAST_ERROR, &bits);
			diag("%s: %" PRIu64 " device error(s), last 0x%" PRIx64,
			     c->devs[i].bdf, n, bits);
			CHECK(bits & VPRIME_ERR_INJECTED, "%s: error bits 0x%" PRIx64
			      " lack VPRIME_ERR_INJECTED", c->devs[i].bdf, bits);
			seen = true;
		}
		if (!seen)
			usleep(100000);
	}
	CHECK(seen, "no device error interrupt within %d s", INJECT_WAIT_S);
	for (i = 0; i < c->ndev; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* ---- GPU: BOs, contexts, submission ---------------------------------- */

#include <poll.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/sync_file.h>

/* Open the first vprime device of a kind: its render node, or its card */
int dev_node_open(struct ctx *c, int kind, bool render_node)
{
	char card[PATH_MAX], render[PATH_MAX];
	int i;

	for (i = 0; i < c->ndev; i++) {
		if (c->devs[i].kind != kind)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		return open(render_node ? render : card, O_RDWR | O_CLOEXEC);
	}
	return -ENODEV;
}

int gpu_open(struct ctx *c, int kind)
{
	return dev_node_open(c, kind, true);
}

/*
 * Create a BO (flags: VPRIME_GEM_* placement, 0 for system memory) with its
 * GPU VA; map it for the CPU unless map is false (the scenarios hand
 * buffers over untouched).
 */
int bo_create(int fd, uint64_t size, uint32_t flags, bool map, struct bo *bo)
{
	struct drm_vprime_gem_create cr = { .size = size, .flags = flags };
	struct drm_vprime_gem_info in = { 0 };

	memset(bo, 0, sizeof(*bo));
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_CREATE, &cr))
		return -errno;
	in.handle = cr.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in))
		return -errno;
	if (in.placement != (flags ? flags : VPRIME_GEM_SYSTEM))
		return -EBADE;
	bo->handle = cr.handle;
	bo->va = in.gpu_va;
	bo->size = in.size;
	if (!map)
		return 0;
	bo->map = mmap(NULL, in.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       in.mmap_offset);
	return bo->map == MAP_FAILED ? -errno : 0;
}

int bo_new(int fd, uint64_t size, struct bo *bo)
{
	return bo_create(fd, size, 0, true, bo);
}

int bo_new_flags(int fd, uint64_t size, uint32_t flags, struct bo *bo)
{
	return bo_create(fd, size, flags, true, bo);
}

void bo_free(int fd, struct bo *bo)
{
	struct drm_gem_close cl = { .handle = bo->handle };

	if (bo->map && bo->map != MAP_FAILED)
		munmap(bo->map, bo->size);
	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl);
}

/*
 * Share a BO of one GPU with another through a dma-buf: export from
 * src_fd, import into dst_fd; *in gets the importer's handle and GPU VA.
 * Returns the dma-buf fd (close it when done) or -errno.
 */
int prime_share(int src_fd, uint32_t handle, int dst_fd, struct bo *in)
{
	struct drm_prime_handle exp = { .handle = handle,
					.flags = DRM_CLOEXEC | DRM_RDWR };
	int ret;

	if (ioctl(src_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp))
		return -errno;
	ret = prime_import(dst_fd, exp.fd, in);
	if (ret) {
		close(exp.fd);
		return ret;
	}
	return exp.fd;
}

/* Import a dma-buf (any exporter) into a GPU: *in gets handle and GPU VA */
int prime_import(int fd, int dmabuf, struct bo *in)
{
	struct drm_prime_handle imp = { .fd = dmabuf };
	struct drm_vprime_gem_info info = { 0 };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp))
		return -errno;
	info.handle = imp.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &info))
		return -errno;
	memset(in, 0, sizeof(*in));
	in->handle = imp.handle;
	in->va = info.gpu_va;
	in->size = info.size;
	return 0;
}

uint32_t ctx_new(int fd)
{
	struct drm_vprime_ctx_create cc = { 0 };

	return ioctl(fd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc) ? 0 : cc.ctx_id;
}

uint32_t syncobj_new(int fd)
{
	struct drm_syncobj_create sc = { 0 };

	return ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc) ? 0 : sc.handle;
}

/* Wait for a syncobj (point 0: binary); 0, or -ETIME */
int syncobj_wait(int fd, uint32_t h, uint64_t point, int64_t ms)
{
	struct timespec ts;
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&h, .points = (uintptr_t)&point,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.timeout_nsec = ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
	return ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w) ? -errno : 0;
}

int submit(int fd, uint32_t ctx_id, struct vprime_cmd *cmds,
		  uint32_t n, const struct bo **bos, uint32_t nbos,
		  const struct submit_opts *o, int *out_fd)
{
	uint32_t handles[16];
	struct drm_vprime_submit s = {
		.cmds = (uintptr_t)cmds, .num_cmds = n,
		.bo_handles = (uintptr_t)handles, .num_bos = nbos,
		.ctx_id = ctx_id, .engine = o->engine,
		.in_syncobj = o->in_syncobj, .in_point = o->in_point,
		.out_syncobj = o->out_syncobj, .out_point = o->out_point,
	};
	uint32_t i;

	for (i = 0; i < nbos; i++)
		handles[i] = bos[i]->handle;
	if (o->in_fd >= 0) {
		s.flags |= VPRIME_SUBMIT_IN_FENCE_FD;
		s.in_fence_fd = o->in_fd;
	}
	if (o->out_fd)
		s.flags |= VPRIME_SUBMIT_OUT_FENCE_FD;
	if (ioctl(fd, DRM_IOCTL_VPRIME_SUBMIT, &s))
		return -errno;
	if (out_fd)
		*out_fd = o->out_fd ? s.out_fence_fd : -1;
	return 0;
}

/* Submit and wait (through an out syncobj); 0 or -errno */
int run(int fd, uint32_t ctx_id, uint32_t engine,
	       struct vprime_cmd *cmds, uint32_t n, const struct bo **bos,
	       uint32_t nbos)
{
	struct submit_opts o = { .engine = engine, .in_fd = -1 };
	struct drm_syncobj_destroy d;
	int ret;

	o.out_syncobj = syncobj_new(fd);
	ret = submit(fd, ctx_id, cmds, n, bos, nbos, &o, NULL);
	if (!ret)
		ret = syncobj_wait(fd, o.out_syncobj, 0, 10000);
	d.handle = o.out_syncobj;
	d.pad = 0;
	ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
	return ret;
}

/* A sync_file's status: 1 signalled, 0 pending, < 0 error */
int sync_file_status(int sfd)
{
	struct sync_file_info info = { 0 };

	if (ioctl(sfd, SYNC_IOC_FILE_INFO, &info))
		return -errno;
	return info.status;
}

struct vprime_cmd fill(uint64_t va, uint32_t pitch, uint32_t w,
			      uint32_t h, uint32_t fmt, uint32_t color)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_FILL };

	c.rect.dst = va;
	c.rect.pitch = pitch;
	c.rect.width = w;
	c.rect.height = h;
	c.rect.format = fmt;
	c.rect.color = color;
	return c;
}

/* PATTERN of frame @frame and device tag @tag, XRGB8888 */
struct vprime_cmd pattern(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
			  uint32_t frame, uint32_t tag)
{
	struct vprime_cmd c = { .opcode = VPRIME_OP_PATTERN };

	c.rect.dst = va;
	c.rect.pitch = pitch;
	c.rect.width = w;
	c.rect.height = h;
	c.rect.format = VPRIME_FMT_XRGB8888;
	c.rect.frame = frame;
	c.rect.tag = tag;
	return c;
}

int gpu_kinds(struct ctx *c, int *kinds)
{
	int n = 0, i, k;

	for (k = VPRIME_KIND_IGPU; k <= VPRIME_KIND_DGPU; k++)
		for (i = 0; i < c->ndev; i++)
			if (c->devs[i].kind == k) {
				kinds[n++] = k;
				break;
			}
	return n;
}


/* Every command on every GPU, pixels checked through a CPU mmap */
static int test_gpu_commands(struct ctx *c)
{
	int kinds[2], nk, k;

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		int fd = gpu_open(c, kinds[k]);
		uint32_t ctx_id = ctx_new(fd), x, y;
		struct bo a, b, t;
		const struct bo *bos[3] = { &a, &b, &t };
		struct vprime_cmd cmd;
		const uint32_t w = 100, h = 50, pitch = 512, tpitch = 512;
		bool ok = true;

		CHECK(fd >= 0 && ctx_id, "%s: open/ctx", kind_name(kinds[k]));
		if (fd < 0 || !ctx_id)
			continue;
		CHECK(!bo_new(fd, 1 << 20, &a) && !bo_new(fd, 1 << 20, &b) &&
		      !bo_new(fd, 1 << 20, &t), "bo_new");

		/* FILL in each format */
		cmd = fill(a.va, pitch, w, h, VPRIME_FMT_ARGB8888, 0x80112233);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3),
		      "fill");
		for (y = 0; y < h && ok; y++)
			for (x = 0; x < w && ok; x++)
				ok = *(uint32_t *)(a.map + y * pitch + x * 4) == 0x80112233;
		CHECK(ok && *(uint32_t *)(a.map + w * 4) == 0,
		      "%s: FILL ARGB8888 pixels", kind_name(kinds[k]));
		cmd = fill(b.va, pitch, w, 1, VPRIME_FMT_RGB565, 0xff123456);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3) &&
		      *(uint16_t *)(b.map + 2 * (w - 1)) == 0x11aa,
		      "%s: FILL RGB565", kind_name(kinds[k]));

		/* PATTERN */
		cmd = pattern(b.va, pitch, w, h, 9, kinds[k] + 1);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3),
		      "pattern");
		for (ok = true, y = 0; y < h && ok; y++)
			for (x = 0; x < w && ok; x++)
				ok = *(uint32_t *)(b.map + y * pitch + x * 4) ==
				     vprime_pattern_pixel(9, kinds[k] + 1, x, y);
		CHECK(ok, "%s: PATTERN pixels", kind_name(kinds[k]));

		/* BLIT linear -> tiled (render), COPY tiled -> a (copy) */
		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_BLIT;
		cmd.blit.src = b.va;
		cmd.blit.dst = t.va;
		cmd.blit.src_pitch = pitch;
		cmd.blit.dst_pitch = tpitch;
		cmd.blit.width = w;
		cmd.blit.height = h;
		cmd.blit.src_format = VPRIME_FMT_XRGB8888;
		cmd.blit.dst_format = VPRIME_FMT_XRGB8888;
		cmd.blit.dst_layout = VPRIME_LAYOUT_TILED;
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3),
		      "blit");
		for (ok = true, y = 0; y < h && ok; y++)
			for (x = 0; x < w && ok; x++) {
				uint64_t off = ((y / 32) * (tpitch / 128) + (x * 4) / 128) * 4096 +
					       (y % 32) * 128 + (x * 4) % 128;

				ok = *(uint32_t *)(t.map + off) ==
				     vprime_pattern_pixel(9, kinds[k] + 1, x, y);
			}
		CHECK(ok, "%s: BLIT to the tiled layout", kind_name(kinds[k]));
		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_COPY;
		cmd.copy.src = t.va;
		cmd.copy.dst = a.va;
		cmd.copy.size = 65536 + 3;
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
		      !memcmp(a.map, t.map, 65536 + 3) && a.map[65536 + 3] == 0,
		      "%s: COPY bytes", kind_name(kinds[k]));
		diag("%s: FILL, PATTERN, BLIT (tiled), COPY checked", kind_name(kinds[k]));
		bo_free(fd, &a);
		bo_free(fd, &b);
		bo_free(fd, &t);
		close(fd);
	}
	return 0;
}

/*
 * Fences: signalled by the engine interrupt; implicit sync orders a copy
 * after the fill of the BO it reads, across engines; explicit sync
 * (sync_file, binary and timeline syncobj) holds a job until its in-fence.
 */
static int test_gpu_sync(struct ctx *c)
{
	int kinds[2], nk, fd, held, sfd;
	uint32_t ctx_id, s1, s2;
	uint64_t irq0 = 0, irq1 = 0;
	struct bo x, y, w;
	const struct bo *xy[2] = { &x, &y }, *wb[1] = { &w }, *yb[1] = { &y };
	struct submit_opts o = { .in_fd = -1 };
	struct vprime_cmd cmd;
	int mode;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(fd >= 0 && ctx_id, "open/ctx");
	CHECK(!bo_new(fd, 8 << 20, &x) && !bo_new(fd, 8 << 20, &y) &&
	      !bo_new(fd, 4096, &w), "bo_new");

	/* implicit: 8 MiB fill on render, then copy on the copy engine */
	get_param(fd, VPRIME_PARAM_IRQ_COUNT, &irq0);
	cmd = fill(x.va, 4096, 1024, 2048, VPRIME_FMT_XRGB8888, 0x00abcdef);
	o.engine = VPRIME_ENGINE_RENDER;
	CHECK(!submit(fd, ctx_id, &cmd, 1, xy, 1, &o, NULL), "submit fill");
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = VPRIME_OP_COPY;
	cmd.copy.src = x.va;
	cmd.copy.dst = y.va;
	cmd.copy.size = 8 << 20;
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, xy, 2), "copy");
	CHECK(*(uint32_t *)(y.map + (8 << 20) - 4) == 0x00abcdef,
	      "implicit sync: the copy read the fill's result (0x%x)",
	      *(uint32_t *)(y.map + (8 << 20) - 4));
	get_param(fd, VPRIME_PARAM_IRQ_COUNT, &irq1);
	CHECK(irq1 >= irq0 + 2, "fence interrupts: %" PRIu64 " -> %" PRIu64,
	      irq0, irq1);
	diag("implicit sync across engines ok; %" PRIu64 " engine interrupts",
	     irq1 - irq0);

	/* explicit: job A waits on memory the CPU releases; B depends on A */
	for (mode = 0; mode < 3; mode++) {
		static const char *const names[] = { "sync_file", "binary syncobj",
						     "timeline syncobj" };
		struct submit_opts a = { .engine = VPRIME_ENGINE_RENDER,
					 .in_fd = -1 };
		struct submit_opts b = { .engine = VPRIME_ENGINE_COPY,
					 .in_fd = -1 };
		struct vprime_cmd wait = { .opcode = VPRIME_OP_WAIT };

		memset(w.map, 0, 8);
		memset(y.map, 0, 4096);
		wait.wait.addr = w.va;
		wait.wait.value = 1;
		s1 = syncobj_new(fd);
		s2 = syncobj_new(fd);
		if (mode == 0)
			a.out_fd = true;
		else
			a.out_syncobj = s1;
		if (mode == 2)
			a.out_point = 5;
		CHECK(!submit(fd, ctx_id, &wait, 1, wb, 1, &a, &sfd), "submit A");
		if (mode == 0)
			b.in_fd = sfd;
		else
			b.in_syncobj = s1;
		if (mode == 2)
			b.in_point = 5;
		b.out_syncobj = s2;
		cmd = fill(y.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00111111);
		CHECK(!submit(fd, ctx_id, &cmd, 1, yb, 1, &b, NULL), "submit B");
		held = syncobj_wait(fd, s2, 0, 300);
		CHECK(held == -ETIME && *(uint32_t *)y.map == 0,
		      "%s: B ran before its in-fence (%d)", names[mode], held);
		if (mode == 0)
			CHECK(sync_file_status(sfd) == 0, "sync_file not pending");
		*(volatile uint64_t *)w.map = 1;	/* release A */
		CHECK(!syncobj_wait(fd, s2, 0, 10000) &&
		      *(uint32_t *)y.map == 0x00111111,
		      "%s: B did not run after A", names[mode]);
		if (mode == 0) {
			CHECK(sync_file_status(sfd) == 1, "sync_file not signalled");
			close(sfd);
		}
		if (mode == 2)
			CHECK(!syncobj_wait(fd, s1, 5, 0), "timeline point 5");
		diag("explicit sync through %s ok", names[mode]);
	}
	bo_free(fd, &x);
	bo_free(fd, &y);
	bo_free(fd, &w);
	close(fd);
	return 0;
}

/* A page fault fails the job, bans the context; a new context works */
static int test_gpu_fault(struct ctx *c)
{
	int kinds[2], nk, fd, sfd = -1;
	uint32_t ctx_id, ctx2;
	struct bo a;
	const struct bo *ab[1] = { &a };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd cmd;
	struct pollfd p;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(!bo_new(fd, 4096, &a), "bo_new");
	/* one row past the end of the only mapped BO */
	cmd = fill(a.va + (64 << 20), 4096, 16, 1, VPRIME_FMT_XRGB8888, 1);
	CHECK(!submit(fd, ctx_id, &cmd, 1, ab, 1, &o, &sfd), "submit");
	p.fd = sfd;
	p.events = POLLIN;
	CHECK(poll(&p, 1, 10000) == 1, "faulting job never completed");
	CHECK(sync_file_status(sfd) < 0, "faulting job's fence has no error (%d)",
	      sync_file_status(sfd));
	diag("faulting job's fence error %d", sync_file_status(sfd));
	close(sfd);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 1);
	CHECK(run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) == -EIO,
	      "banned context accepted a job");
	ctx2 = ctx_new(fd);
	CHECK(ctx2 && !run(fd, ctx2, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) &&
	      *(uint32_t *)a.map == 1, "a new context does not work");
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/* A hung job times out, the engine resets, the next job succeeds */
static int test_gpu_hang(struct ctx *c)
{
	int kinds[2], nk, fd, sfd = -1;
	uint32_t ctx_id, ctx2;
	struct bo w, a;
	const struct bo *bos[2] = { &w, &a };
	struct submit_opts o = { .engine = VPRIME_ENGINE_COPY, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd wait = { .opcode = VPRIME_OP_WAIT }, cmd;
	struct pollfd p;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	CHECK(!bo_new(fd, 4096, &w) && !bo_new(fd, 4096, &a), "bo_new");
	wait.wait.addr = w.va;
	wait.wait.value = 1;		/* nobody ever writes it */
	CHECK(!submit(fd, ctx_id, &wait, 1, bos, 1, &o, &sfd), "submit");
	p.fd = sfd;
	p.events = POLLIN;
	CHECK(poll(&p, 1, 20000) == 1, "hung job never timed out");
	CHECK(sync_file_status(sfd) < 0, "timed-out job has no error (%d)",
	      sync_file_status(sfd));
	diag("hung job's fence error %d", sync_file_status(sfd));
	close(sfd);
	ctx2 = ctx_new(fd);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 7);
	CHECK(ctx2 && !run(fd, ctx2, VPRIME_ENGINE_COPY, &cmd, 1, bos, 2) &&
	      *(uint32_t *)a.map == 7, "the engine does not work after reset");
	bo_free(fd, &w);
	bo_free(fd, &a);
	close(fd);
	return 0;
}

/*
 * PRIME: the dGPU renders into its BO and exports it; the iGPU imports it
 * and blits from it.  The iGPU reads the dGPU's pages: no CPU copy.
 */
static int test_gpu_prime(struct ctx *c)
{
	int kinds[2], nk, dfd, ifd, pl;
	uint32_t dctx, ictx;
	struct bo src, dst;
	const struct bo *sb[1] = { &src };
	struct vprime_cmd cmd;
	uint32_t x, y;

	NEED_GPU(c, kinds, nk);
	if (nk < 2) {
		printf("# SKIP needs both an iGPU and a dGPU\n");
		return EXIT_SKIP;
	}
	dfd = gpu_open(c, VPRIME_KIND_DGPU);
	ifd = gpu_open(c, VPRIME_KIND_IGPU);
	dctx = ctx_new(dfd);
	ictx = ctx_new(ifd);
	/* the dGPU renders in system memory, then in VRAM (which migrates) */
	for (pl = 0; pl < 2; pl++) {
		struct bo in;
		bool ok = true;
		int dmabuf;

		CHECK(!bo_new_flags(dfd, 1 << 20, pl ? VPRIME_GEM_VRAM : 0, &src) &&
		      !bo_new(ifd, 1 << 20, &dst), "bo_new");
		cmd = pattern(src.va, 1024, 256, 64, 3 + pl, 0x42);
		CHECK(!run(dfd, dctx, VPRIME_ENGINE_RENDER, &cmd, 1, sb, 1),
		      "dGPU pattern");

		dmabuf = prime_share(dfd, src.handle, ifd, &in);
		CHECK(dmabuf >= 0, "export/import: %s", strerror(-dmabuf));
		{
			const struct bo *bos[2] = { &in, &dst };

			memset(&cmd, 0, sizeof(cmd));
			cmd.opcode = VPRIME_OP_BLIT;
			cmd.blit.src = in.va;
			cmd.blit.dst = dst.va;
			cmd.blit.src_pitch = 1024;
			cmd.blit.dst_pitch = 512;
			cmd.blit.width = 256;
			cmd.blit.height = 64;
			cmd.blit.src_format = VPRIME_FMT_XRGB8888;
			cmd.blit.dst_format = VPRIME_FMT_RGB565;
			CHECK(!run(ifd, ictx, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 2),
			      "iGPU blit from the imported BO");
		}
		for (y = 0; y < 64 && ok; y++)
			for (x = 0; x < 256 && ok; x++) {
				uint32_t p = vprime_pattern_pixel(3 + pl, 0x42, x, y);
				uint16_t want = ((p >> 8) & 0xf800) | ((p >> 5) & 0x07e0) |
						((p >> 3) & 0x001f);

				ok = *(uint16_t *)(dst.map + y * 512 + x * 2) == want;
			}
		CHECK(ok, "iGPU result differs from the dGPU's pattern");
		if (pl == 1 && cmdline_has("vprime.hold=prime")) {
			/* the host reads the device counters now */
			diag("prime counters ready");
			sleep(3);
		}
		diag("dGPU (%s) -> dma-buf -> iGPU blit: %s",
		     pl ? "VRAM, migrated" : "system memory",
		     ok ? "pixels match" : "MISMATCH");
		if (dmabuf >= 0)
			close(dmabuf);
		bo_free(dfd, &src);
		bo_free(ifd, &dst);
	}
	close(dfd);
	close(ifd);
	return 0;
}

/*
 * Implicit sync across devices: the dGPU's job writing a BO is still
 * running when the iGPU's job reading the imported dma-buf is submitted;
 * the shared reservation object must make the iGPU wait.
 */
static int test_gpu_cross_device_sync(struct ctx *c)
{
	int kinds[2], nk, dfd, ifd;
	uint32_t dctx, ictx;
	struct bo src, dst, w, in;
	const struct bo *dbos[2] = { &src, &w };
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct vprime_cmd cmds[2], cmd;
	int dmabuf;

	NEED_GPU(c, kinds, nk);
	if (nk < 2) {
		printf("# SKIP needs both an iGPU and a dGPU\n");
		return EXIT_SKIP;
	}
	dfd = gpu_open(c, VPRIME_KIND_DGPU);
	ifd = gpu_open(c, VPRIME_KIND_IGPU);
	dctx = ctx_new(dfd);
	ictx = ctx_new(ifd);
	CHECK(!bo_new(dfd, 65536, &src) && !bo_new(dfd, 4096, &w) &&
	      !bo_new(ifd, 65536, &dst), "bo_new");
	dmabuf = prime_share(dfd, src.handle, ifd, &in);
	CHECK(dmabuf >= 0, "export/import: %s", strerror(-dmabuf));

	/* dGPU: wait for the CPU's go, then fill the shared BO */
	memset(cmds, 0, sizeof(cmds));
	cmds[0].opcode = VPRIME_OP_WAIT;
	cmds[0].wait.addr = w.va;
	cmds[0].wait.value = 1;
	cmds[1] = fill(src.va, 4096, 1024, 16, VPRIME_FMT_XRGB8888, 0x00d00d00);
	CHECK(!submit(dfd, dctx, cmds, 2, dbos, 2, &o, NULL), "dGPU submit");
	/* iGPU: copy from the imported BO, submitted while the dGPU waits */
	{
		const struct bo *ibos[2] = { &in, &dst };
		struct submit_opts io = { .engine = VPRIME_ENGINE_COPY,
					  .in_fd = -1 };

		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_COPY;
		cmd.copy.src = in.va;
		cmd.copy.dst = dst.va;
		cmd.copy.size = 65536;
		io.out_syncobj = syncobj_new(ifd);
		CHECK(!submit(ifd, ictx, &cmd, 1, ibos, 2, &io, NULL), "iGPU submit");
		CHECK(syncobj_wait(ifd, io.out_syncobj, 0, 300) == -ETIME,
		      "the iGPU did not wait for the dGPU's write");
		*(volatile uint64_t *)w.map = 1;
		CHECK(!syncobj_wait(ifd, io.out_syncobj, 0, 10000) &&
		      *(uint32_t *)(dst.map + 65532) == 0x00d00d00,
		      "the iGPU copied before the dGPU's fill landed");
	}
	diag("iGPU job waited for the dGPU's fence through the dma-buf");
	if (dmabuf >= 0)
		close(dmabuf);
	bo_free(dfd, &src);
	bo_free(dfd, &w);
	bo_free(ifd, &dst);
	close(dfd);
	close(ifd);
	return 0;
}

/* Import a foreign dma-buf into the first GPU and fill it there */
static int gpu_fill_foreign(struct ctx *c, int dmabuf_fd, uint32_t pitch,
			    uint32_t color)
{
	struct drm_prime_handle imp = { .fd = dmabuf_fd };
	struct drm_vprime_gem_info info = { 0 };
	int kinds[2], fd, ret;
	uint32_t ctx_id;
	struct vprime_cmd cmd;
	struct bo in;
	const struct bo *bos[1] = { &in };

	if (!gpu_kinds(c, kinds))
		return -ENODEV;
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp)) {
		ret = -errno;
		goto out;
	}
	info.handle = imp.handle;
	if (ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &info)) {
		ret = -errno;
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.handle = imp.handle;
	in.va = info.gpu_va;
	cmd = fill(in.va, pitch, pitch / 4, 16, VPRIME_FMT_XRGB8888, color);
	ret = run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 1);
out:
	close(fd);
	return ret;
}

/* vgem and udmabuf buffers imported by a GPU: it writes their pages */
static int test_gpu_import_foreign(struct ctx *c)
{
	int kinds[2], nk, vfd, dfd;
	uint32_t *p, pitch;
	size_t size;

	NEED_GPU(c, kinds, nk);
	/* vgem: a dumb buffer on the vgem card, exported */
	vfd = drm_card_by_driver("vgem");
	if (vfd < 0) {
		CHECK(0, "no vgem device (modprobe vgem)");
	} else {
		dfd = vgem_buffer(vfd, 256, 16, 32, &pitch, (void **)&p, &size);
		CHECK(dfd >= 0, "vgem buffer: %s", strerror(-dfd));
		if (dfd >= 0) {
			CHECK(!gpu_fill_foreign(c, dfd, pitch, 0x00c0ffee),
			      "GPU fill into the vgem buffer");
			CHECK(p[0] == 0x00c0ffee && p[pitch / 4 * 16 - 1] == 0x00c0ffee,
			      "vgem pages do not hold the GPU's pixels");
			diag("vgem dma-buf imported and written by the GPU");
			close(dfd);
		}
		close(vfd);
	}

	/* udmabuf: memfd pages as a dma-buf */
	dfd = udmabuf_buffer(65536, false, (void **)&p);
	CHECK(dfd >= 0, "udmabuf: %s", strerror(-dfd));
	if (dfd >= 0) {
		CHECK(!gpu_fill_foreign(c, dfd, 4096, 0x00beef00),
		      "GPU fill into the udmabuf");
		CHECK(p[0] == 0x00beef00 && p[1024 * 16 - 1] == 0x00beef00,
		      "memfd pages do not hold the GPU's pixels");
		diag("udmabuf dma-buf imported and written by the GPU");
		close(dfd);
	}
	return 0;
}

/* VRAM BOs: CPU access through the BAR, copy engine VRAM <-> system */
static int test_gpu_vram(struct ctx *c)
{
	const uint64_t size = 4 << 20;
	uint64_t free0 = 0, free1 = 0, free2 = 0;
	struct bo v, s1, s2;
	const struct bo *bos[3] = { &v, &s1, &s2 };
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC };
	struct vprime_cmd cmd;
	uint32_t ctx_id, i;
	bool ok = true;
	int fd, r;

	fd = gpu_open(c, VPRIME_KIND_DGPU);
	if (fd < 0) {
		printf("# SKIP no dGPU in this topology\n");
		return EXIT_SKIP;
	}
	ctx_id = ctx_new(fd);
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free0);
	CHECK(!bo_new_flags(fd, size, VPRIME_GEM_VRAM, &v), "VRAM BO");
	CHECK(!bo_new(fd, size, &s1) && !bo_new(fd, size, &s2), "system BOs");
	get_param(fd, VPRIME_PARAM_VRAM_FREE, &free1);
	CHECK(free0 - free1 == size, "VRAM free %" PRIu64 " -> %" PRIu64,
	      free0, free1);

	/* CPU writes VRAM through the BAR; copy engine: VRAM -> system */
	for (i = 0; i < size / 4; i++)
		((volatile uint32_t *)v.map)[i] = i * 2654435761u;
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = VPRIME_OP_COPY;
	cmd.copy.src = v.va;
	cmd.copy.dst = s1.va;
	cmd.copy.size = size;
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3),
	      "copy VRAM -> system");
	for (i = 0; i < size / 4 && ok; i++)
		ok = ((uint32_t *)s1.map)[i] == i * 2654435761u;
	CHECK(ok, "VRAM -> system copy differs at %u", i - 1);

	/* GPU fills VRAM; system -> VRAM -> system round trip */
	cmd = fill(v.va, 4096, 1024, 16, VPRIME_FMT_XRGB8888, 0x00facade);
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, bos, 3) &&
	      ((volatile uint32_t *)v.map)[4096 * 16 / 4 - 1] == 0x00facade,
	      "GPU fill of VRAM not seen through the BAR");
	memset(s1.map, 0x5a, size);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = VPRIME_OP_COPY;
	cmd.copy.src = s1.va;
	cmd.copy.dst = v.va;
	cmd.copy.size = size;
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3), "sys->VRAM");
	cmd.copy.src = v.va;
	cmd.copy.dst = s2.va;
	CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
	      !memcmp(s1.map, s2.map, size), "system -> VRAM -> system differs");
	diag("VRAM BO: BAR access, copy engine both ways ok");

	/*
	 * Export: no peer-to-peer here, so the BO moves to system memory,
	 * copied by the copy engine; the dGPU and an old CPU mapping follow.
	 */
	{
		uint64_t mig0 = 0, mig1 = 0;
		struct drm_vprime_gem_info in = { .handle = v.handle };

		get_param(fd, VPRIME_PARAM_MIGRATIONS, &mig0);
		exp.handle = v.handle;
		r = ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp) ? errno : 0;
		CHECK(!r, "VRAM export: %s", strerror(r));
		get_param(fd, VPRIME_PARAM_MIGRATIONS, &mig1);
		CHECK(mig1 == mig0 + 1, "migrations %" PRIu64 " -> %" PRIu64,
		      mig0, mig1);
		CHECK(!ioctl(fd, DRM_IOCTL_VPRIME_GEM_INFO, &in) &&
		      in.placement == VPRIME_GEM_SYSTEM, "placement after export");
		CHECK(!memcmp((void *)v.map, s1.map, size),
		      "contents changed by the migration");
		memset(&cmd, 0, sizeof(cmd));
		cmd.opcode = VPRIME_OP_COPY;
		cmd.copy.src = v.va;
		cmd.copy.dst = s2.va;
		cmd.copy.size = size;
		memset(s2.map, 0, size);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_COPY, &cmd, 1, bos, 3) &&
		      !memcmp(s1.map, s2.map, size),
		      "the dGPU reads the migrated BO wrongly");
		if (!r)
			close(exp.fd);
		diag("VRAM export migrated the BO to system memory (copy engine)");
	}

	bo_free(fd, &v);
	bo_free(fd, &s1);
	bo_free(fd, &s2);
	{
		/* the context holds its mappings; finished jobs are freed
		 * asynchronously by the scheduler: give it a moment */
		struct drm_vprime_ctx_destroy cd = { .ctx_id = ctx_id };

		CHECK(!ioctl(fd, DRM_IOCTL_VPRIME_CTX_DESTROY, &cd), "ctx destroy");
		for (i = 0; i < 100; i++) {
			get_param(fd, VPRIME_PARAM_VRAM_FREE, &free2);
			if (free2 == free0)
				break;
			usleep(10000);
		}
	}
	CHECK(free2 == free0, "VRAM not returned: %" PRIu64 " of %" PRIu64,
	      free2, free0);
	close(fd);
	return 0;
}

/* debugfs shows engine state for every GPU */
static int test_gpu_debugfs(struct ctx *c)
{
	char path[PATH_MAX], buf[4096], card[PATH_MAX], render[PATH_MAX];
	int kinds[2], nk, i, n;

	NEED_GPU(c, kinds, nk);
	for (i = 0; i < c->ndev; i++) {
		if (c->devs[i].kind == VPRIME_KIND_DISPLAY)
			continue;
		drm_nodes(c->devs[i].bdf, card, render, sizeof(card));
		n = atoi(card + strlen("/dev/dri/card"));
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/engines", n);
		CHECK(read_file(path, buf, sizeof(buf)) > 0 &&
		      strstr(buf, "render: emitted") && strstr(buf, "copy: emitted"),
		      "%s: %s", c->devs[i].bdf, path);
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/bos", n);
		CHECK(read_file(path, buf, sizeof(buf)) >= 0, "%s: %s",
		      c->devs[i].bdf, path);
		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/vram", n);
		CHECK(read_file(path, buf, sizeof(buf)) > 0 &&
		      strstr(buf, "migrations"), "%s: %s", c->devs[i].bdf, path);
	}
	return 0;
}

/* The new ioctls' validation failures, one at a time */
static int test_gpu_ioctl_validation(struct ctx *c)
{
	int kinds[2], nk, fd;
	struct drm_vprime_gem_create cr;
	struct drm_vprime_ctx_create cc;
	struct drm_vprime_submit s;
	struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
	uint32_t ctx_id;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
#define EXPECT(req, arg, err, what) do {				\
		int r_ = ioctl(fd, req, arg) ? errno : 0;		\
		CHECK(r_ == err, "%s: got %s, want %s", what,		\
		      strerror(r_), strerror(err));			\
	} while (0)
	cr = (struct drm_vprime_gem_create){ .size = 4096, .pad = 1 };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create pad");
	cr = (struct drm_vprime_gem_create){ .size = 4096, .flags = 0x80 };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create flags");
	cr = (struct drm_vprime_gem_create){ .size = 0 };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create size 0");
	cr = (struct drm_vprime_gem_create){ .size = 1ULL << 40 };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create huge");
	cr = (struct drm_vprime_gem_create){ .size = 4096,
		.flags = VPRIME_GEM_SYSTEM | VPRIME_GEM_VRAM };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create two places");
	if (kinds[0] == VPRIME_KIND_IGPU) {
		cr = (struct drm_vprime_gem_create){ .size = 4096,
			.flags = VPRIME_GEM_VRAM };
		EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "VRAM on an iGPU");
	}
	cr = (struct drm_vprime_gem_create){ .size = 4096, .handle = 3 };
	EXPECT(DRM_IOCTL_VPRIME_GEM_CREATE, &cr, EINVAL, "gem_create handle in");
	cc = (struct drm_vprime_ctx_create){ .pad = 1 };
	EXPECT(DRM_IOCTL_VPRIME_CTX_CREATE, &cc, EINVAL, "ctx_create pad");

#define SUBMIT_BASE (struct drm_vprime_submit){ .cmds = (uintptr_t)&nop, \
		.num_cmds = 1, .ctx_id = ctx_id }
	s = SUBMIT_BASE;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, 0, "submit nop");
	s = SUBMIT_BASE; s.pad = 1;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit pad");
	s = SUBMIT_BASE; s.flags = 0x100;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit flags");
	s = SUBMIT_BASE; s.engine = 2;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit engine");
	s = SUBMIT_BASE; s.num_cmds = 0;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit no commands");
	s = SUBMIT_BASE; s.num_cmds = VPRIME_SUBMIT_MAX_CMDS + 1;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit too many");
	{
		/* the engine's fence writeback is the driver's */
		struct vprime_cmd fc[2] = { { .opcode = VPRIME_OP_NOP },
			{ .opcode = VPRIME_OP_FENCE, .fence.value = ~0ULL } };

		s = SUBMIT_BASE; s.cmds = (uintptr_t)fc; s.num_cmds = 2;
		EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit a FENCE");
	}
	s = SUBMIT_BASE; s.ctx_id = 9999;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, ENOENT, "submit bad ctx");
	s = SUBMIT_BASE; s.cmds = 8;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EFAULT, "submit bad pointer");
	s = SUBMIT_BASE; s.num_bos = 1; s.bo_handles = (uintptr_t)&ctx_id;
	{
		uint32_t bogus = 0xdead;

		s.bo_handles = (uintptr_t)&bogus;
		EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, ENOENT, "submit bad BO");
	}
	s = SUBMIT_BASE; s.out_syncobj = 0xdead;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, ENOENT, "submit bad out syncobj");
	s = SUBMIT_BASE; s.out_point = 3;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit point, no syncobj");
	s = SUBMIT_BASE; s.in_fence_fd = 5;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit fd without flag");
	s = SUBMIT_BASE; s.flags = VPRIME_SUBMIT_IN_FENCE_FD; s.in_fence_fd = 0;
	EXPECT(DRM_IOCTL_VPRIME_SUBMIT, &s, EINVAL, "submit fd not a sync_file");
	close(fd);
	return 0;
}

/*
 * SUBMIT may list a BO more than once: userspace builds BO lists from its
 * command streams and every DRM driver's submit takes duplicates.
 */
static int test_submit_duplicate_bo(struct ctx *c)
{
	int kinds[2], nk, k, fd, ret;
	struct vprime_cmd cmd;
	uint32_t ctx_id;
	struct bo a;
	const struct bo *twice[2] = { &a, &a };

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		fd = gpu_open(c, kinds[k]);
		ctx_id = ctx_new(fd);
		CHECK(fd >= 0 && ctx_id && !bo_new(fd, 4096, &a), "%s: open, context, BO",
		      kind_name(kinds[k]));
		if (failures)
			return EXIT_FAIL;
		cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00c0ffee);
		ret = run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, twice, 2);
		CHECK(!ret, "%s: SUBMIT listing handle %u twice: %s", kind_name(kinds[k]),
		      a.handle, strerror(-ret));
		CHECK(!ret && *(uint32_t *)a.map == 0x00c0ffee, "%s: the job's pixels",
		      kind_name(kinds[k]));
		bo_free(fd, &a);
		close(fd);
	}
	return 0;
}

/* Run one FILL of a row at va with no BO listed; the fence's status */
static int fill_unlisted(int fd, uint32_t ctx_id, uint64_t va, uint32_t color)
{
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1,
				 .out_fd = true };
	struct vprime_cmd cmd = fill(va, 4096, 16, 1, VPRIME_FMT_XRGB8888, color);
	struct pollfd p = { .events = POLLIN };
	int ret, st;

	ret = submit(fd, ctx_id, &cmd, 1, NULL, 0, &o, &p.fd);
	if (ret)
		return ret;
	st = poll(&p, 1, 10000) == 1 ? sync_file_status(p.fd) : -ETIME;
	close(p.fd);
	return st;
}

/*
 * A BO is mapped into a file's contexts while the file holds a handle to
 * it: after GEM_CLOSE, a job writing its old GPU VA faults instead of
 * writing memory userspace let go of.
 */
static int test_gem_close_unmaps(struct ctx *c)
{
	int kinds[2], nk, k, fd, st;
	uint32_t ctx_id;
	struct drm_gem_close cl;
	struct vprime_cmd cmd;
	struct bo a;
	const struct bo *ab[1] = { &a };

	NEED_GPU(c, kinds, nk);
	for (k = 0; k < nk; k++) {
		fd = gpu_open(c, kinds[k]);
		ctx_id = ctx_new(fd);
		CHECK(fd >= 0 && ctx_id && !bo_new(fd, 4096, &a), "%s: open, context, BO",
		      kind_name(kinds[k]));
		if (failures)
			return EXIT_FAIL;
		/* the job maps the BO into the context */
		cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000001);
		CHECK(!run(fd, ctx_id, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1) &&
		      *(uint32_t *)a.map == 1, "%s: a job on the BO", kind_name(kinds[k]));
		/* the CPU mapping keeps the pages; only the handle goes */
		cl = (struct drm_gem_close){ .handle = a.handle };
		CHECK(!ioctl(fd, DRM_IOCTL_GEM_CLOSE, &cl), "GEM_CLOSE");
		st = fill_unlisted(fd, ctx_id, a.va, 0x00000002);
		CHECK(st == -EFAULT, "%s: a job writing the closed BO's GPU VA 0x%" PRIx64
		      ": fence status %d, want %d (-EFAULT)", kind_name(kinds[k]), a.va,
		      st, -EFAULT);
		CHECK(*(uint32_t *)a.map == 1, "%s: the closed BO was written (0x%x)",
		      kind_name(kinds[k]), *(uint32_t *)a.map);
		diag("%s: after GEM_CLOSE the old GPU VA faults (fence %d)",
		     kind_name(kinds[k]), st);
		munmap(a.map, a.size);
		close(fd);
	}
	return 0;
}

/*
 * The mapping is per file: two files share a BO (the same GEM object
 * through PRIME); when one closes its handle, its contexts lose the BO,
 * the other's keep it until it closes its own.
 */
static int test_gem_close_shared_bo(struct ctx *c)
{
	int kinds[2], nk, fa, fb, dmabuf, st;
	uint32_t ca, cb;
	struct drm_gem_close cl;
	struct vprime_cmd cmd;
	struct bo a, in;
	const struct bo *ab[1] = { &a }, *ib[1] = { &in };

	NEED_GPU(c, kinds, nk);
	fa = gpu_open(c, kinds[0]);
	fb = gpu_open(c, kinds[0]);
	ca = ctx_new(fa);
	cb = ctx_new(fb);
	CHECK(fa >= 0 && fb >= 0 && ca && cb && !bo_new(fa, 4096, &a),
	      "two files, a context each, a BO");
	if (failures)
		return EXIT_FAIL;
	dmabuf = prime_share(fa, a.handle, fb, &in);
	CHECK(dmabuf >= 0, "share the BO with the second file: %s", strerror(-dmabuf));
	if (failures)
		return EXIT_FAIL;
	close(dmabuf);
	CHECK(in.va == a.va, "one GEM object, one GPU VA: 0x%" PRIx64 " and 0x%" PRIx64,
	      a.va, in.va);
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000001);
	CHECK(!run(fa, ca, VPRIME_ENGINE_RENDER, &cmd, 1, ab, 1), "job in the first file");
	cmd = fill(a.va, 4096, 16, 1, VPRIME_FMT_XRGB8888, 0x00000002);
	CHECK(!run(fb, cb, VPRIME_ENGINE_RENDER, &cmd, 1, ib, 1) &&
	      *(uint32_t *)a.map == 2, "job in the second file");

	/* the first file lets go: its context faults, the second's does not */
	cl = (struct drm_gem_close){ .handle = a.handle };
	CHECK(!ioctl(fa, DRM_IOCTL_GEM_CLOSE, &cl), "GEM_CLOSE in the first file");
	st = fill_unlisted(fa, ca, a.va, 0x00000003);
	CHECK(st == -EFAULT, "first file after its GEM_CLOSE: fence status %d, want %d",
	      st, -EFAULT);
	st = fill_unlisted(fb, cb, a.va, 0x00000004);
	CHECK(st == 1 && *(uint32_t *)a.map == 4,
	      "second file, still holding the BO: fence status %d, pixel 0x%x", st,
	      *(uint32_t *)a.map);

	/* then the second lets go too */
	cl = (struct drm_gem_close){ .handle = in.handle };
	CHECK(!ioctl(fb, DRM_IOCTL_GEM_CLOSE, &cl), "GEM_CLOSE in the second file");
	st = fill_unlisted(fb, cb, a.va, 0x00000005);
	CHECK(st == -EFAULT && *(uint32_t *)a.map == 4,
	      "second file after its GEM_CLOSE: fence status %d, want %d; pixel 0x%x",
	      st, -EFAULT, *(uint32_t *)a.map);
	diag("each file's contexts lose the shared BO when that file closes its handle");
	munmap(a.map, a.size);
	close(fa);
	close(fb);
	return 0;
}

static double now_us(void)
{
	return mono_s() * 1e6;
}

/*
 * Benchmark (not a test): submit-to-fence-signal latency of an empty job
 * and small jobs per second, on the first GPU, printed as "# bench ...".
 */
static int cmd_bench_submit(struct ctx *c)
{
	const int rounds = 200, burst = 500;
	struct submit_opts o = { .engine = VPRIME_ENGINE_RENDER, .in_fd = -1 };
	struct vprime_cmd nop = { .opcode = VPRIME_OP_NOP };
	double t0, best = 1e12, sum = 0;
	int kinds[2], nk, fd, i;
	uint32_t ctx_id;

	NEED_GPU(c, kinds, nk);
	fd = gpu_open(c, kinds[0]);
	ctx_id = ctx_new(fd);
	o.out_syncobj = syncobj_new(fd);
	for (i = 0; i < rounds; i++) {
		double dt;

		t0 = now_us();
		if (submit(fd, ctx_id, &nop, 1, NULL, 0, &o, NULL) ||
		    syncobj_wait(fd, o.out_syncobj, 0, 5000))
			return EXIT_FAIL;
		dt = now_us() - t0;
		sum += dt;
		best = dt < best ? dt : best;
	}
	printf("# bench submit_to_fence_mean_us %.1f us\n", sum / rounds);
	printf("# bench submit_to_fence_min_us %.1f us\n", best);
	t0 = now_us();
	for (i = 0; i < burst; i++)
		if (submit(fd, ctx_id, &nop, 1, NULL, 0, &o, NULL))
			return EXIT_FAIL;
	if (syncobj_wait(fd, o.out_syncobj, 0, 30000))
		return EXIT_FAIL;
	printf("# bench small_jobs_per_second %.0f jobs/s\n",
	       burst / ((now_us() - t0) / 1e6));
	close(fd);
	return EXIT_PASS;
}

/* Print the devices as the guest sees them (make run) */
static int cmd_show(struct ctx *c)
{
	int i, bound = 0;

	printf("%-14s %-9s %-7s %-6s %-15s %-24s %s\n", "PCI address", "ID",
	       "kind", "class", "driver", "DRM nodes", "details");
	for (i = 0; i < c->ndev; i++) {
		struct dev *d = &c->devs[i];
		char link[PATH_MAX], target[PATH_MAX], card[PATH_MAX],
		     render[PATH_MAX], nodes[2 * PATH_MAX], details[128] = "";
		const char *drv;
		uint64_t size, flags;
		ssize_t n;

		snprintf(link, sizeof(link), PCI_SYSFS "/%s/driver", d->bdf);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		drv = n > 0 ? strrchr(target, '/') + 1 : "(none)";
		bound += !strcmp(drv, driver_of(d->kind));
		drm_nodes(d->bdf, card, render, sizeof(card));
		snprintf(nodes, sizeof(nodes), "%s%s%s",
			 card[0] ? card + 9 : "-", render[0] ? "," : "",
			 render[0] ? render + 9 : "");
		if (d->kind == VPRIME_KIND_DGPU &&
		    !bar_info(d->bdf, VPRIME_BAR_VRAM, &size, &flags))
			snprintf(details, sizeof(details), "VRAM %" PRIu64 " MiB",
				 size >> 20);
		if (d->kind == VPRIME_KIND_DISPLAY) {
			uint64_t heads = 0;
			int fd = card[0] ? open(card, O_RDWR | O_CLOEXEC) : -1;

			if (fd >= 0) {
				get_param(fd, VPRIME_PARAM_NUM_HEADS, &heads);
				close(fd);
			}
			snprintf(details, sizeof(details), "%" PRIu64 " head(s)",
				 heads);
		}
		printf("%-14s %04x:%04x %-7s %06x %-15s %-24s %s\n", d->bdf,
		       VPRIME_PCI_VENDOR_ID, d->device_id, kind_name(d->kind),
		       d->class_code, drv, nodes, details);
	}
	printf("summary: %d vprime device(s), %d with vprime drivers bound, "
	       "%d expected\n", c->ndev, bound, c->nexp);
	return c->ndev == c->nexp && bound == c->ndev ? EXIT_PASS : EXIT_FAIL;
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *c);
} tests[] = {
	{ "pci-ids", test_pci_ids },
	{ "drivers-bound", test_drivers_bound },
	{ "dri-nodes", test_dri_nodes },
	{ "msix", test_msix },
	{ "ioctl-validation", test_ioctl_validation },
	{ "injected-error", test_injected_error },
	{ "gpu-commands", test_gpu_commands },
	{ "gpu-sync", test_gpu_sync },
	{ "gpu-fault", test_gpu_fault },
	{ "gpu-hang", test_gpu_hang },
	{ "gpu-prime", test_gpu_prime },
	{ "gpu-cross-device-sync", test_gpu_cross_device_sync },
	{ "gpu-import-foreign", test_gpu_import_foreign },
	{ "gpu-vram", test_gpu_vram },
	{ "gpu-debugfs", test_gpu_debugfs },
	{ "gpu-ioctl-validation", test_gpu_ioctl_validation },
	{ "submit-duplicate-bo", test_submit_duplicate_bo },
	{ "gem-close-unmaps", test_gem_close_unmaps },
	{ "gem-close-shared-bo", test_gem_close_shared_bo },
	KMS_TESTS
	FAULT_TESTS
	UNPLUG_TESTS
	{ "ioctl-fuzz", test_ioctl_fuzz },
	{ "show", cmd_show },
	{ "bench-submit", cmd_bench_submit },
};

int main(int argc, char **argv)
{
	static struct ctx c;
	size_t i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s TEST\ntests:", argv[0]);
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			fprintf(stderr, " %s", tests[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		ret = setup(&c);
		if (ret)
			return ret;
		ret = tests[i].fn(&c);
		return ret ? ret : failures ? EXIT_FAIL : EXIT_PASS;
	}
	fprintf(stderr, "unknown test '%s'\n", argv[1]);
	return 2;
}
