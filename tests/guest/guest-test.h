/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the guest test programs (one binary, vprime-guest-test, built
 * from every the .c files in tests/guest): result codes, diagnostics, the topology
 * context and the GPU helpers the display tests reuse.
 */
#ifndef VPRIME_GUEST_TEST_H
#define VPRIME_GUEST_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vprime_regs.h"
#include "vprime_pattern.h"
#include "vprime_drm.h"

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

struct bo {
	uint32_t handle;
	uint64_t va;
	uint64_t size;
	uint8_t *map;
};

struct submit_opts {
	uint32_t engine;
	uint32_t in_syncobj, out_syncobj;
	uint64_t in_point, out_point;
	int in_fd;		/* -1: none */
	bool out_fd;
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
void drm_nodes(const char *bdf, char *card, char *render, size_t len);
int get_param(int fd, uint32_t param, uint64_t *value);

int gpu_kinds(struct ctx *c, int *kinds);
int dev_node_open(struct ctx *c, int kind, bool render_node);
int gpu_open(struct ctx *c, int kind);
int bo_create(int fd, uint64_t size, uint32_t flags, bool map, struct bo *bo);
int bo_new(int fd, uint64_t size, struct bo *bo);
int bo_new_flags(int fd, uint64_t size, uint32_t flags, struct bo *bo);
void bo_free(int fd, struct bo *bo);
int prime_share(int src_fd, uint32_t handle, int dst_fd, struct bo *in);
int prime_import(int fd, int dmabuf, struct bo *in);
uint32_t ctx_new(int fd);
uint32_t syncobj_new(int fd);
int syncobj_wait(int fd, uint32_t h, uint64_t point, int64_t ms);
int submit(int fd, uint32_t ctx_id, struct vprime_cmd *cmds, uint32_t n,
	   const struct bo **bos, uint32_t nbos, const struct submit_opts *o,
	   int *out_fd);
int run(int fd, uint32_t ctx_id, uint32_t engine, struct vprime_cmd *cmds,
	uint32_t n, const struct bo **bos, uint32_t nbos);
int sync_file_status(int sfd);
struct vprime_cmd fill(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
		       uint32_t fmt, uint32_t color);
struct vprime_cmd pattern(uint64_t va, uint32_t pitch, uint32_t w, uint32_t h,
			  uint32_t frame, uint32_t tag);

/* Display (KMS) tests: kms-test.c */
int test_kms_modeset(struct ctx *c);
int test_kms_formats_crc(struct ctx *c);
int test_kms_blend_crc(struct ctx *c);
int test_kms_flip_vblank(struct ctx *c);
int test_kms_flip_fence(struct ctx *c);
int test_kms_prime_import(struct ctx *c);
int test_kms_hotplug(struct ctx *c);
int test_kms_screendump(struct ctx *c);
int test_kms_contiguous(struct ctx *c);
int test_kms_check_refusals(struct ctx *c);
int test_gpu_import_display(struct ctx *c);
int cmd_bench_kms(struct ctx *c);

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

#define KMS_TESTS \
	{ "kms-modeset", test_kms_modeset }, \
	{ "kms-formats-crc", test_kms_formats_crc }, \
	{ "kms-blend-crc", test_kms_blend_crc }, \
	{ "kms-flip-vblank", test_kms_flip_vblank }, \
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
