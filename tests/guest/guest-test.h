/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the guest test programs (one binary, vprime-guest-test, built
 * from every .c file in tests/guest): result codes, diagnostics, the
 * topology context, and every test's entry point.  The GPU helpers are in
 * gpu-lib.h, the display helpers in kms-lib.h.
 */
#ifndef VPRIME_GUEST_TEST_H
#define VPRIME_GUEST_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vprime_regs.h"
#include "vprime_pattern.h"
#include "vprime_drm.h"

#include "gpu-lib.h"

#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_SKIP 4

#define MAX_DEVS 16
#define PCI_SYSFS "/sys/bus/pci/devices"

/* IORESOURCE_* flags as printed in sysfs "resource" (include/linux/ioport.h) */
#define IORESOURCE_MEM		0x00000200
#define IORESOURCE_PREFETCH	0x00002000
#define IORESOURCE_MEM_64	0x00100000

struct expect {
	int kind;		/* VPRIME_KIND_* */
	uint64_t vram;		/* dGPU */
	unsigned int heads;	/* display */
};

struct dev {
	char bdf[32];
	unsigned int device_id;
	unsigned int class_code;	/* 24 bits as in sysfs */
	int kind;
};

#define CHECK(cond, ...) do {						\
		if (!(cond)) {						\
			diag("FAIL: " __VA_ARGS__);			\
			failures++;					\
		}							\
	} while (0)

struct ctx {
	struct dev devs[MAX_DEVS];
	int ndev;
	struct expect exp[MAX_DEVS];
	int nexp;
	const struct expect *which[MAX_DEVS];
};

#define NEED_GPU(c, kinds, n) do {					\
		n = gpu_kinds(c, kinds);				\
		if (!n) {						\
			printf("# SKIP no vprime GPU in this topology\n"); \
			return EXIT_SKIP;				\
		}							\
	} while (0)

extern int failures;
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int read_file(const char *path, char *buf, size_t len);
bool cmdline_has(const char *word);
const char *kind_name(int kind);

/* GPU tests: gpu-test.c */
int test_gpu_commands(struct ctx *c);
int test_gpu_sync(struct ctx *c);
int test_gpu_fault(struct ctx *c);
int test_gpu_hang(struct ctx *c);
int test_gpu_prime(struct ctx *c);
int test_gpu_cross_device_sync(struct ctx *c);
int test_gpu_import_foreign(struct ctx *c);
int test_gpu_vram(struct ctx *c);
int test_gpu_debugfs(struct ctx *c);
int test_submit_duplicate_bo(struct ctx *c);
int test_gem_close_unmaps(struct ctx *c);
int test_gem_close_shared_bo(struct ctx *c);
int cmd_bench_submit(struct ctx *c);

#define GPU_TESTS \
	{ "gpu-commands", test_gpu_commands }, \
	{ "gpu-sync", test_gpu_sync }, \
	{ "gpu-fault", test_gpu_fault }, \
	{ "gpu-hang", test_gpu_hang }, \
	{ "gpu-prime", test_gpu_prime }, \
	{ "gpu-cross-device-sync", test_gpu_cross_device_sync }, \
	{ "gpu-import-foreign", test_gpu_import_foreign }, \
	{ "gpu-vram", test_gpu_vram }, \
	{ "gpu-debugfs", test_gpu_debugfs }, \
	{ "submit-duplicate-bo", test_submit_duplicate_bo }, \
	{ "gem-close-unmaps", test_gem_close_unmaps }, \
	{ "gem-close-shared-bo", test_gem_close_shared_bo }, \
	{ "bench-submit", cmd_bench_submit },

/* ioctl argument checks, one named test each: ioctl-test.c */
const char *ioctl_case_name(size_t i);
int test_ioctl_case(struct ctx *c, const char *name);

/* Display (KMS) tests: kms-test.c */
int test_kms_modeset(struct ctx *c);
int test_kms_formats_crc(struct ctx *c);
int test_kms_modifiers(struct ctx *c);
int test_kms_blend_crc(struct ctx *c);
int test_kms_cursor_sizes(struct ctx *c);
int test_kms_zpos_crc(struct ctx *c);
int test_kms_flip_vblank(struct ctx *c);
int test_kms_flip_events(struct ctx *c);
int test_kms_flip_fence(struct ctx *c);
int test_kms_prime_import(struct ctx *c);
int test_kms_hotplug(struct ctx *c);
int test_kms_screendump(struct ctx *c);
int test_kms_contiguous(struct ctx *c);
int test_kms_check_refusals(struct ctx *c);
int test_gpu_import_display(struct ctx *c);
int cmd_bench_kms(struct ctx *c);
/* Plane features (issue 16): kms-plane-test.c */
int test_kms_scale_crc(struct ctx *c);
int test_kms_rotate_crc(struct ctx *c);
int test_kms_alpha_crc(struct ctx *c);
/* Colour (issue 16): kms-colour-test.c */
int test_kms_colour_crc(struct ctx *c);
int test_kms_overlays_crc(struct ctx *c);
int test_kms_yuv_crc(struct ctx *c);
/* Writeback (issue 16): kms-writeback-test.c */
int test_kms_writeback_crc(struct ctx *c);
/* Genlocked heads' flip events (issue 16): kms-genlock-test.c */
int test_kms_genlock(struct ctx *c);
/* Any CRTC drives any connector (issue 16): kms-crossbar-test.c */
int test_kms_crossbar_crc(struct ctx *c);
/* Async page flips (issue 16): kms-async-flip-test.c */
int test_kms_async_flip(struct ctx *c);
/* Variable refresh rate (issue 16): kms-vrr-test.c */
int test_kms_vrr(struct ctx *c);
/* The connectors' "max bpc", the link's depth (issue 16): kms-max-bpc-test.c */
int test_kms_max_bpc(struct ctx *c);
/* fbdev emulation and the console (issue 16): kms-fbdev-test.c */
int test_kms_fbdev(struct ctx *c);
/* Runtime PM: autosuspend to D3hot with every head off (issue 16): kms-runtime-pm-test.c */
int test_kms_runtime_pm(struct ctx *c);

/* Random ioctls on every vprime node: ioctl-fuzz.c */
int test_ioctl_fuzz(struct ctx *c);

/* Optimus and multi-GPU scenarios: scenario.c */
int test_scenario_optimus(struct ctx *c);
int test_scenario_igpu(struct ctx *c);
int test_scenario_afr(struct ctx *c);
int test_scenario_composite(struct ctx *c);
int test_scenario_compute(struct ctx *c);
int test_scenario_foreign(struct ctx *c);

#define SCENARIO_TESTS \
	{ "scenario-optimus", test_scenario_optimus }, \
	{ "scenario-igpu", test_scenario_igpu }, \
	{ "scenario-afr", test_scenario_afr }, \
	{ "scenario-composite", test_scenario_composite }, \
	{ "scenario-compute", test_scenario_compute }, \
	{ "scenario-foreign", test_scenario_foreign },

/* Fault injection end to end: fault-test.c (the fault suite runs them) */
int test_fault_hang(struct ctx *c);
int test_fault_lost_irq(struct ctx *c);
int test_fault_late_irq(struct ctx *c);
int test_fault_dma_error(struct ctx *c);
int test_fault_slow_fence(struct ctx *c);
int test_fault_vram_retire(struct ctx *c);
int test_fault_underrun(struct ctx *c);
int test_fault_unplug(struct ctx *c);
int test_fault_replay(struct ctx *c);

#define FAULT_TESTS \
	{ "fault-hang", test_fault_hang }, \
	{ "fault-lost-irq", test_fault_lost_irq }, \
	{ "fault-late-irq", test_fault_late_irq }, \
	{ "fault-dma-error", test_fault_dma_error }, \
	{ "fault-slow-fence", test_fault_slow_fence }, \
	{ "fault-vram-retire", test_fault_vram_retire }, \
	{ "fault-underrun", test_fault_underrun }, \
	{ "fault-unplug", test_fault_unplug }, \
	{ "fault-replay", test_fault_replay },

/* Surprise removal and IOMMU faults: unplug-test.c (not in the default
 * run: unplug-dgpu needs the host agent, iommu-fault* the vIOMMU) */
int test_unplug_dgpu(struct ctx *c);
int test_iommu_fault(struct ctx *c);
int test_iommu_fault_display(struct ctx *c);

#define UNPLUG_TESTS \
	{ "unplug-dgpu", test_unplug_dgpu }, \
	{ "iommu-fault", test_iommu_fault }, \
	{ "iommu-fault-display", test_iommu_fault_display },

/* The example importer and dynamic / peer-to-peer import: importer-test.c */
int test_importer_exporters(struct ctx *c);
int test_importer_constraints(struct ctx *c);
int test_importer_vram(struct ctx *c);
int test_importer_p2p_evict(struct ctx *c);
int test_importer_p2p_retire(struct ctx *c);
int test_display_vram_import(struct ctx *c);

#define IMPORTER_TESTS \
	{ "importer-exporters", test_importer_exporters }, \
	{ "importer-constraints", test_importer_constraints }, \
	{ "importer-vram", test_importer_vram }, \
	{ "importer-p2p-evict", test_importer_p2p_evict }, \
	{ "importer-p2p-retire", test_importer_p2p_retire }, \
	{ "display-vram-import", test_display_vram_import },

/* CPU access to exported dma-bufs: dmabuf-cpu-test.c */
int test_dmabuf_mmap_sync(struct ctx *c);
int test_dmabuf_sync_read(struct ctx *c);
int test_dmabuf_sync_write(struct ctx *c);

#define DMABUF_CPU_TESTS \
	{ "dmabuf-mmap-sync", test_dmabuf_mmap_sync }, \
	{ "dmabuf-sync-read", test_dmabuf_sync_read }, \
	{ "dmabuf-sync-write", test_dmabuf_sync_write },

#define KMS_TESTS \
	{ "kms-modeset", test_kms_modeset }, \
	{ "kms-formats-crc", test_kms_formats_crc }, \
	{ "kms-modifiers", test_kms_modifiers }, \
	{ "kms-blend-crc", test_kms_blend_crc }, \
	{ "kms-cursor-sizes", test_kms_cursor_sizes }, \
	{ "kms-zpos-crc", test_kms_zpos_crc }, \
	{ "kms-scale-crc", test_kms_scale_crc }, \
	{ "kms-rotate-crc", test_kms_rotate_crc }, \
	{ "kms-alpha-crc", test_kms_alpha_crc }, \
	{ "kms-colour-crc", test_kms_colour_crc }, \
	{ "kms-writeback-crc", test_kms_writeback_crc }, \
	{ "kms-overlays-crc", test_kms_overlays_crc }, \
	{ "kms-yuv-crc", test_kms_yuv_crc }, \
	{ "kms-flip-vblank", test_kms_flip_vblank }, \
	{ "kms-flip-events", test_kms_flip_events }, \
	{ "kms-genlock", test_kms_genlock }, \
	{ "kms-crossbar-crc", test_kms_crossbar_crc }, \
	{ "kms-async-flip", test_kms_async_flip }, \
	{ "kms-vrr", test_kms_vrr }, \
	{ "kms-max-bpc", test_kms_max_bpc }, \
	{ "kms-fbdev", test_kms_fbdev }, \
	{ "kms-runtime-pm", test_kms_runtime_pm }, \
	{ "kms-flip-fence", test_kms_flip_fence }, \
	{ "kms-prime-import", test_kms_prime_import }, \
	{ "kms-hotplug", test_kms_hotplug }, \
	{ "kms-screendump", test_kms_screendump }, \
	{ "kms-contiguous", test_kms_contiguous }, \
	{ "kms-check-refusals", test_kms_check_refusals }, \
	{ "gpu-import-display", test_gpu_import_display }, \
	{ "bench-kms", cmd_bench_kms }, \
	SCENARIO_TESTS	/* registered with the display tests they build on */

#endif
