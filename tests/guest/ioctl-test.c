// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vprime ioctls' argument checks, one named test per case (as IGT's
 * subtests and Documentation/process/botching-up-ioctls.rst ask), so that
 * a failure names what broke.  Each case runs on every device it applies
 * to: GET_PARAM on every vprime device, the GPU ioctls on every GPU.
 * run-tests asks this file for the list (vprime-guest-test --list-ioctl).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest-test.h"

/* What a case gets: an open node of one device, and on a GPU a context */
struct ioctl_env {
	int fd;
	int kind;
	uint32_t ctx_id;
	struct vprime_cmd nop;
};

/* Which devices a case runs on */
enum ioctl_on {
	ON_EVERY_DEVICE,
	ON_EVERY_GPU,
	ON_IGPU,
};

struct ioctl_case {
	const char *name;
	enum ioctl_on on;
	int want;			/* errno, 0 for success */
	int (*fn)(struct ioctl_env *e);	/* the ioctl's errno */
	bool ctx;			/* needs a context (CTX_DESTROY, SUBMIT) */
};

/* ---- GET_PARAM ---------------------------------------------------------- */

static int get_param_pad(struct ioctl_env *e)
{
	struct drm_vprime_get_param gp = { .param = VPRIME_PARAM_KIND, .pad = 1 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp);
}

static int get_param_unknown(struct ioctl_env *e)
{
	struct drm_vprime_get_param gp = { .param = 0xdead };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp);
}

static int get_param_zero(struct ioctl_env *e)
{
	struct drm_vprime_get_param gp = { .param = 0 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp);
}

/* 0x06-0x08 were the interrupt and error counters: debugfs has them now */
static int get_param_retired(struct ioctl_env *e)
{
	struct drm_vprime_get_param gp = { .param = 0x06 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GET_PARAM, &gp);
}

static int get_param_null_arg(struct ioctl_env *e)
{
	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GET_PARAM, NULL);
}

/* ---- GEM_CREATE, GEM_INFO ----------------------------------------------- */

static int gem_create(struct ioctl_env *e, struct drm_vprime_gem_create cr)
{
	int ret = ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GEM_CREATE, &cr);

	if (!ret)
		gem_close(e->fd, cr.handle);
	return ret;
}

static int gem_create_pad(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096, .pad = 1 });
}

static int gem_create_pad2(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096, .pad2 = 1 });
}

static int gem_create_bad_flags(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096, .flags = 0x80 });
}

static int gem_create_zero_size(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 0 });
}

static int gem_create_too_big(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){
		.size = VPRIME_CMD_MAX_BYTES + 1 });
}

static int gem_create_two_placements(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096,
		.flags = VPRIME_GEM_SYSTEM | VPRIME_GEM_VRAM });
}

static int gem_create_vram_on_igpu(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096,
		.flags = VPRIME_GEM_VRAM });
}

static int gem_create_handle_set(struct ioctl_env *e)
{
	return gem_create(e, (struct drm_vprime_gem_create){ .size = 4096, .handle = 3 });
}

static int gem_info_pad(struct ioctl_env *e)
{
	struct bo b;
	struct drm_vprime_gem_info in = { .pad = 1 };
	int ret = bo_create(e->fd, 4096, 0, false, &b);

	if (ret)
		return -ret;
	in.handle = b.handle;
	ret = ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GEM_INFO, &in);
	bo_free(e->fd, &b);
	return ret;
}

static int gem_info_bad_handle(struct ioctl_env *e)
{
	struct drm_vprime_gem_info in = { .handle = 0xdead };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_GEM_INFO, &in);
}

/* ---- CTX_CREATE, CTX_DESTROY -------------------------------------------- */

static int ctx_create_pad(struct ioctl_env *e)
{
	struct drm_vprime_ctx_create cc = { .pad = 1 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc);
}

static int ctx_create_id_set(struct ioctl_env *e)
{
	struct drm_vprime_ctx_create cc = { .ctx_id = 1 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_CTX_CREATE, &cc);
}

static int ctx_destroy_pad(struct ioctl_env *e)
{
	struct drm_vprime_ctx_destroy cd = { .ctx_id = e->ctx_id, .pad = 1 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_CTX_DESTROY, &cd);
}

static int ctx_destroy_bad_id(struct ioctl_env *e)
{
	struct drm_vprime_ctx_destroy cd = { .ctx_id = 9999 };

	return ioctl_errno(e->fd, DRM_IOCTL_VPRIME_CTX_DESTROY, &cd);
}

/* ---- SUBMIT ------------------------------------------------------------- */

/* A valid SUBMIT of one NOP, which each case breaks in one way */
static struct drm_vprime_submit submit_base(struct ioctl_env *e)
{
	return (struct drm_vprime_submit){ .cmds = (uintptr_t)&e->nop,
		.num_cmds = 1, .ctx_id = e->ctx_id };
}

static int do_submit(struct ioctl_env *e, struct drm_vprime_submit s)
{
	int ret = ioctl_errno(e->fd, DRM_IOCTL_VPRIME_SUBMIT, &s);

	if (!ret && (s.flags & VPRIME_SUBMIT_OUT_FENCE_FD))
		close(s.out_fence_fd);
	return ret;
}

static int submit_nop(struct ioctl_env *e)
{
	return do_submit(e, submit_base(e));
}

static int submit_pad(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.pad = 1;
	return do_submit(e, s);
}

static int submit_bad_flags(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.flags = 0x100;
	return do_submit(e, s);
}

static int submit_bad_engine(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.engine = VPRIME_GPU_ENGINES;
	return do_submit(e, s);
}

static int submit_no_cmds(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.num_cmds = 0;
	return do_submit(e, s);
}

static int submit_too_many_cmds(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.num_cmds = VPRIME_SUBMIT_MAX_CMDS + 1;
	return do_submit(e, s);
}

static int submit_too_many_bos(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.num_bos = VPRIME_SUBMIT_MAX_BOS + 1;
	return do_submit(e, s);
}

/* The engine's fence writeback is the driver's */
static int submit_fence_cmd(struct ioctl_env *e)
{
	struct vprime_cmd fc[2] = { { .opcode = VPRIME_OP_NOP },
		{ .opcode = VPRIME_OP_FENCE, .fence.value = ~0ULL } };
	struct drm_vprime_submit s = submit_base(e);

	s.cmds = (uintptr_t)fc;
	s.num_cmds = 2;
	return do_submit(e, s);
}

static int submit_bad_ctx(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.ctx_id = 9999;
	return do_submit(e, s);
}

static int submit_bad_cmds_pointer(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.cmds = 8;
	return do_submit(e, s);
}

static int submit_bad_bo_handle(struct ioctl_env *e)
{
	uint32_t bogus = 0xdead;
	struct drm_vprime_submit s = submit_base(e);

	s.num_bos = 1;
	s.bo_handles = (uintptr_t)&bogus;
	return do_submit(e, s);
}

static int submit_bad_bo_pointer(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.num_bos = 1;
	s.bo_handles = 8;
	return do_submit(e, s);
}

static int submit_bad_in_syncobj(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.in_syncobj = 0xdead;
	return do_submit(e, s);
}

static int submit_bad_out_syncobj(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.out_syncobj = 0xdead;
	return do_submit(e, s);
}

static int submit_in_point_without_syncobj(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.in_point = 3;
	return do_submit(e, s);
}

static int submit_out_point_without_syncobj(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.out_point = 3;
	return do_submit(e, s);
}

/* The scheduler takes 32-bit points: a larger one is refused, not cut */
static int submit_in_point_too_big(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);
	int ret;

	s.in_syncobj = syncobj_new(e->fd);
	s.in_point = 1ULL << 32;
	ret = do_submit(e, s);
	ioctl(e->fd, DRM_IOCTL_SYNCOBJ_DESTROY,
	      &(struct drm_syncobj_destroy){ .handle = s.in_syncobj });
	return ret;
}

static int submit_in_fd_without_flag(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.in_fence_fd = 5;
	return do_submit(e, s);
}

static int submit_in_fd_not_sync_file(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.flags = VPRIME_SUBMIT_IN_FENCE_FD;
	s.in_fence_fd = 0;
	return do_submit(e, s);
}

static int submit_out_fd(struct ioctl_env *e)
{
	struct drm_vprime_submit s = submit_base(e);

	s.flags = VPRIME_SUBMIT_OUT_FENCE_FD;
	return do_submit(e, s);
}

/* A case, and one that runs in a fresh context of the device */
#define CASE(name, on, want, fn)	{ name, on, want, fn, false }
#define CASE_CTX(name, on, want, fn)	{ name, on, want, fn, true }

static const struct ioctl_case ioctl_cases[] = {
	CASE("get-param-pad", ON_EVERY_DEVICE, EINVAL, get_param_pad),
	CASE("get-param-unknown", ON_EVERY_DEVICE, EINVAL, get_param_unknown),
	CASE("get-param-zero", ON_EVERY_DEVICE, EINVAL, get_param_zero),
	CASE("get-param-retired", ON_EVERY_DEVICE, EINVAL, get_param_retired),
	CASE("get-param-null-arg", ON_EVERY_DEVICE, EFAULT, get_param_null_arg),
	CASE("gem-create-pad", ON_EVERY_GPU, EINVAL, gem_create_pad),
	CASE("gem-create-pad2", ON_EVERY_GPU, EINVAL, gem_create_pad2),
	CASE("gem-create-bad-flags", ON_EVERY_GPU, EINVAL, gem_create_bad_flags),
	CASE("gem-create-zero-size", ON_EVERY_GPU, EINVAL, gem_create_zero_size),
	CASE("gem-create-too-big", ON_EVERY_GPU, EINVAL, gem_create_too_big),
	CASE("gem-create-two-placements", ON_EVERY_GPU, EINVAL,
		 gem_create_two_placements),
	CASE("gem-create-vram-on-igpu", ON_IGPU, EINVAL, gem_create_vram_on_igpu),
	CASE("gem-create-handle-set", ON_EVERY_GPU, EINVAL, gem_create_handle_set),
	CASE("gem-info-pad", ON_EVERY_GPU, EINVAL, gem_info_pad),
	CASE("gem-info-bad-handle", ON_EVERY_GPU, ENOENT, gem_info_bad_handle),
	CASE("ctx-create-pad", ON_EVERY_GPU, EINVAL, ctx_create_pad),
	CASE("ctx-create-id-set", ON_EVERY_GPU, EINVAL, ctx_create_id_set),
	CASE_CTX("ctx-destroy-pad", ON_EVERY_GPU, EINVAL, ctx_destroy_pad),
	CASE("ctx-destroy-bad-id", ON_EVERY_GPU, ENOENT, ctx_destroy_bad_id),
	CASE_CTX("submit-nop", ON_EVERY_GPU, 0, submit_nop),
	CASE_CTX("submit-out-fd", ON_EVERY_GPU, 0, submit_out_fd),
	CASE_CTX("submit-pad", ON_EVERY_GPU, EINVAL, submit_pad),
	CASE_CTX("submit-bad-flags", ON_EVERY_GPU, EINVAL, submit_bad_flags),
	CASE_CTX("submit-bad-engine", ON_EVERY_GPU, EINVAL, submit_bad_engine),
	CASE_CTX("submit-no-cmds", ON_EVERY_GPU, EINVAL, submit_no_cmds),
	CASE_CTX("submit-too-many-cmds", ON_EVERY_GPU, EINVAL, submit_too_many_cmds),
	CASE_CTX("submit-too-many-bos", ON_EVERY_GPU, EINVAL, submit_too_many_bos),
	CASE_CTX("submit-fence-cmd", ON_EVERY_GPU, EINVAL, submit_fence_cmd),
	CASE_CTX("submit-bad-ctx", ON_EVERY_GPU, ENOENT, submit_bad_ctx),
	CASE_CTX("submit-bad-cmds-pointer", ON_EVERY_GPU, EFAULT,
		 submit_bad_cmds_pointer),
	CASE_CTX("submit-bad-bo-handle", ON_EVERY_GPU, ENOENT, submit_bad_bo_handle),
	CASE_CTX("submit-bad-bo-pointer", ON_EVERY_GPU, EFAULT, submit_bad_bo_pointer),
	CASE_CTX("submit-bad-in-syncobj", ON_EVERY_GPU, ENOENT, submit_bad_in_syncobj),
	CASE_CTX("submit-bad-out-syncobj", ON_EVERY_GPU, ENOENT,
		 submit_bad_out_syncobj),
	CASE_CTX("submit-in-point-without-syncobj", ON_EVERY_GPU, EINVAL,
		 submit_in_point_without_syncobj),
	CASE_CTX("submit-out-point-without-syncobj", ON_EVERY_GPU, EINVAL,
		 submit_out_point_without_syncobj),
	CASE_CTX("submit-in-point-too-big", ON_EVERY_GPU, EINVAL,
		 submit_in_point_too_big),
	CASE_CTX("submit-in-fd-without-flag", ON_EVERY_GPU, EINVAL,
		 submit_in_fd_without_flag),
	CASE_CTX("submit-in-fd-not-sync-file", ON_EVERY_GPU, EINVAL,
		 submit_in_fd_not_sync_file),
};

#define N_CASES (sizeof(ioctl_cases) / sizeof(ioctl_cases[0]))

static bool case_applies(const struct ioctl_case *tc, int kind)
{
	switch (tc->on) {
	case ON_EVERY_DEVICE:
		return true;
	case ON_EVERY_GPU:
		return kind != VPRIME_KIND_DISPLAY;
	case ON_IGPU:
		return kind == VPRIME_KIND_IGPU;
	}
	return false;
}

/* Run one case on one device; counts a failure if the errno differs */
static void run_case(const struct ioctl_case *tc, const struct dev *d)
{
	char card[PATH_MAX], render[PATH_MAX];
	struct ioctl_env e = { .kind = d->kind, .nop = { .opcode = VPRIME_OP_NOP } };
	int got;

	drm_nodes(d->bdf, card, render, sizeof(card));
	e.fd = open(d->kind == VPRIME_KIND_DISPLAY ? card : render, O_RDWR | O_CLOEXEC);
	CHECK(e.fd >= 0, "%s: cannot open its DRM node", d->bdf);
	if (e.fd < 0)
		return;
	/* only where needed: a context costs page tables and entities */
	if (tc->ctx) {
		e.ctx_id = ctx_new(e.fd);
		CHECK(e.ctx_id, "%s: CTX_CREATE", d->bdf);
	}
	got = tc->fn(&e);
	CHECK(got == tc->want, "%s (%s): %s, want %s", d->bdf, kind_name(d->kind),
	      got ? strerror(got) : "success", tc->want ? strerror(tc->want) : "success");
	if (got == tc->want)
		diag("%s (%s): %s", d->bdf, kind_name(d->kind),
		     got ? strerror(got) : "success");
	close(e.fd);
}

/**
 * ioctl_case_name - the name of validation case i, for run-tests
 * @i: 0, 1, ...
 *
 * Returns the name, or NULL past the last case.
 */
const char *ioctl_case_name(size_t i)
{
	return i < N_CASES ? ioctl_cases[i].name : NULL;
}

/**
 * test_ioctl_case - run the validation case called name
 * @c: the topology
 * @name: a case name
 *
 * Returns EXIT_PASS, EXIT_FAIL, EXIT_SKIP (no device it applies to), or
 * -1 if there is no such case.
 */
int test_ioctl_case(struct ctx *c, const char *name)
{
	const struct ioctl_case *tc = NULL;
	bool ran = false;
	size_t i;
	int d;

	for (i = 0; i < N_CASES && !tc; i++)
		if (!strcmp(ioctl_cases[i].name, name))
			tc = &ioctl_cases[i];
	if (!tc)
		return -1;
	for (d = 0; d < c->ndev; d++) {
		if (!case_applies(tc, c->devs[d].kind))
			continue;
		run_case(tc, &c->devs[d]);
		ran = true;
	}
	if (!ran) {
		printf("# SKIP no %s in this topology\n",
		       tc->on == ON_IGPU ? "iGPU" : tc->on == ON_EVERY_GPU ?
		       "vprime GPU" : "vprime device");
		return EXIT_SKIP;
	}
	return failures ? EXIT_FAIL : EXIT_PASS;
}
