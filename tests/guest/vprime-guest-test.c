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

const char *kind_name(int kind)
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
		CHECK(fd >= 0 && !debugfs_value(fd, "interrupts", "interrupts", &irqs) &&
		      irqs >= 1, "%s: %" PRIu64 " interrupts handled (debugfs)", d->bdf, irqs);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/*
 * Fault injection end to end: with vprime.inject=error on the command line
 * the host injects a device error over QMP once it sees the "waiting" line;
 * the driver must take the error interrupt and report the injected bit
 * (debugfs "interrupts").
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

			if (fds[i] < 0 ||
			    debugfs_value(fds[i], "interrupts", "device errors", &n) || !n)
				continue;
			debugfs_value(fds[i], "interrupts", "last error", &bits);
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
	{ "injected-error", test_injected_error },
	GPU_TESTS
	KMS_TESTS
	FAULT_TESTS
	UNPLUG_TESTS
	IMPORTER_TESTS
	DMABUF_CPU_TESTS
	{ "ioctl-fuzz", test_ioctl_fuzz },
	{ "show", cmd_show },
};

#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

static void usage(const char *argv0)
{
	size_t i;

	fprintf(stderr, "usage: %s TEST | --list-ioctl\ntests:", argv0);
	for (i = 0; i < N_TESTS; i++)
		fprintf(stderr, " %s", tests[i].name);
	for (i = 0; ioctl_case_name(i); i++)
		fprintf(stderr, " %s", ioctl_case_name(i));
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static struct ctx c;
	size_t i;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		usage(argv[0]);
		return 2;
	}
	/* run-tests expands "ioctl-validation" into the cases */
	if (!strcmp(argv[1], "--list-ioctl")) {
		for (i = 0; ioctl_case_name(i); i++)
			printf("%s\n", ioctl_case_name(i));
		return 0;
	}
	for (i = 0; i < N_TESTS; i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		ret = setup(&c);
		if (ret)
			return ret;
		ret = tests[i].fn(&c);
		return ret ? ret : failures ? EXIT_FAIL : EXIT_PASS;
	}
	for (i = 0; ioctl_case_name(i); i++) {
		if (strcmp(argv[1], ioctl_case_name(i)))
			continue;
		ret = setup(&c);
		return ret ? ret : test_ioctl_case(&c, argv[1]);
	}
	fprintf(stderr, "unknown test '%s'\n", argv[1]);
	usage(argv[0]);
	return 2;
}
