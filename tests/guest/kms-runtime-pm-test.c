// SPDX-License-Identifier: GPL-2.0-only
/*
 * Runtime PM of the display engine (issue 16 item 8), as a client sees
 * it: with every head off the engine autosuspends, and a modeset and
 * vblank waits work across it.  For one connected head, then for every
 * connected head at once (when there are several):
 *
 * 1. every head off (fbdev keeps head 0 on until a client turns it off);
 * 2. wait for the PCI core's runtime_status to read "suspended" (a
 *    generous limit only to catch a hang: this waits for a state, it
 *    times nothing), then prove that the device itself is in D3hot: the
 *    PMCSR PowerState in its own config space (read through sysfs, which
 *    does not wake a D3hot device) reads 3, with runtime_status
 *    "suspended" and runtime_active_time unchanged around that read (so
 *    no wake-up, e.g. the driver's connector poll, came in between);
 * 3. one atomic commit turns the heads on with a test pattern each: it
 *    wakes the engine, which leaving D3hot reset itself, so only what the
 *    driver reprogrammed is there.  Each head's device CRC must be the
 *    CPU's CRC of its pattern, drmWaitVBlank must return and its sequence
 *    advance, and the device's FRAME (debugfs) must advance;
 * 4. the engine's PM_D3_COUNT register (sticky across the reset leaving
 *    D3hot) must have grown: the D3hot entry was the device's.
 *
 * Then a hotplug while suspended: the engine in D3hot signals nothing, so
 * the driver polls its connectors (every 10 s, each poll waking it for a
 * detect).  The host unplugs the last head's monitor (a DP or virtual one,
 * never the eDP panel) while the engine is in D3hot, and the guest must
 * see the hotplug uevent without probing anything itself; then the same
 * for the replug.  Needs the host's control channel (the harness has it).
 *
 * Helpers: kms-lib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "guest-test.h"
#include "kms-lib.h"

/*
 * Only to catch a hang: the autosuspend delay is 1 s; a loaded TCG guest
 * may take many times that
 */
enum { SUSPEND_WAIT_S = 120, PROOF_TRIES = 10, VBLANKS = 3 };
/* Only to catch a hang too: the poll comes within 10 s of the suspend */
enum { POLL_WAIT_MS = 120000 };

/* PCI PM capability (include/uapi/linux/pci_regs.h) */
#define CFG_STATUS		0x06
#define CFG_STATUS_CAP_LIST	0x10
#define CFG_CAP_PTR		0x34
#define CAP_ID_PM		0x01
#define PM_CTRL			4
#define PM_CTRL_STATE_MASK	0x3
#define PM_D3HOT		3

static const char *display_bdf(struct ctx *c)
{
	int i;

	for (i = 0; i < c->ndev; i++)
		if (c->devs[i].kind == VPRIME_KIND_DISPLAY)
			return c->devs[i].bdf;
	return NULL;
}

static int power_attr(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	int n;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/power/%s", bdf, attr);
	n = read_file(path, buf, len);
	if (n <= 0)
		return -1;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static bool rpm_suspended(const char *bdf)
{
	char st[32];

	return !power_attr(bdf, "runtime_status", st, sizeof(st)) &&
	       !strcmp(st, "suspended");
}

static long long rpm_active_ms(const char *bdf)
{
	char v[32];

	return power_attr(bdf, "runtime_active_time", v, sizeof(v)) ? -1 :
	       strtoll(v, NULL, 10);
}

/* The PMCSR of the device's PCI PM capability, -1 if it cannot be read */
static int pmcsr(const char *bdf)
{
	char path[PATH_MAX];
	uint8_t cfg[256];
	int fd, n, pos, hops;

	snprintf(path, sizeof(path), PCI_SYSFS "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n != sizeof(cfg) || !(cfg[CFG_STATUS] & CFG_STATUS_CAP_LIST))
		return -1;
	for (pos = cfg[CFG_CAP_PTR] & ~3, hops = 0; pos >= 0x40 && hops < 48;
	     pos = cfg[pos + 1] & ~3, hops++)
		if (cfg[pos] == CAP_ID_PM)
			return cfg[pos + PM_CTRL] | cfg[pos + PM_CTRL + 1] << 8;
	return -1;
}

/* Wait for runtime_status "suspended"; false (a failure, said) on a hang */
static bool wait_suspended(const char *bdf, const char *what)
{
	double t0 = mono_s();

	while (!rpm_suspended(bdf)) {
		if (mono_s() - t0 > SUSPEND_WAIT_S) {
			char st[32] = "?";

			power_attr(bdf, "runtime_status", st, sizeof(st));
			CHECK(0, "%s: runtime_status still '%s' after %d s with every head off",
			      what, st, SUSPEND_WAIT_S);
			return false;
		}
		usleep(20000);
	}
	return true;
}

/*
 * The device in D3hot while the PCI core has it suspended: runtime_status
 * and runtime_active_time read around the PMCSR read show no wake-up in
 * between (a wake-up and suspend takes the 1 s autosuspend delay of active
 * time); if one came (the connector poll), wait and look again.
 */
static bool prove_d3hot(const char *bdf, const char *what)
{
	int i;

	for (i = 0; i < PROOF_TRIES; i++) {
		double t0, waited;
		long long a0, a1;
		bool s0, s1;
		int csr;

		t0 = mono_s();
		if (!wait_suspended(bdf, what))
			return false;
		waited = mono_s() - t0;
		a0 = rpm_active_ms(bdf);
		s0 = rpm_suspended(bdf);
		csr = pmcsr(bdf);
		s1 = rpm_suspended(bdf);
		a1 = rpm_active_ms(bdf);
		if (!s0 || !s1 || a0 != a1 || a0 < 0)
			continue;
		CHECK(csr >= 0, "%s: no PCI PM capability in %s's config space", what, bdf);
		if (csr < 0)
			return false;
		CHECK((csr & PM_CTRL_STATE_MASK) == PM_D3HOT,
		      "%s: runtime suspended, but the device's PMCSR reads 0x%04x (D%d), not D3hot",
		      what, csr, csr & PM_CTRL_STATE_MASK);
		if ((csr & PM_CTRL_STATE_MASK) == PM_D3HOT)
			diag("%s: runtime_status suspended (after %.2f s of waiting), device PMCSR 0x%04x (D3hot)",
			     what, waited, csr);
		return (csr & PM_CTRL_STATE_MASK) == PM_D3HOT;
	}
	CHECK(0, "%s: the device never stayed suspended across a PMCSR read (%d tries)",
	      what, PROOF_TRIES);
	return false;
}

/* One commit turning every head of @set on, each with its framebuffer */
static int heads_enable(struct kms *k, struct head **set, int n, struct fb *fbs)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();
	uint32_t blobs[VPRIME_HEADS_MAX] = { 0 };
	int i, ret = 0;

	for (i = 0; i < n && !ret; i++) {
		struct head *hd = set[i];

		if (drmModeCreatePropertyBlob(k->fd, &hd->mode, sizeof(hd->mode), &blobs[i])) {
			ret = -errno;
			break;
		}
		add_prop(req, k->fd, hd->conn, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", hd->crtc);
		add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "MODE_ID", blobs[i]);
		add_prop(req, k->fd, hd->crtc, DRM_MODE_OBJECT_CRTC, "ACTIVE", 1);
		plane_props(req, k, hd->plane[VPRIME_PLANE_PRIMARY], hd->crtc, &fbs[i],
			    0, 0, 0, 0, fbs[i].width, fbs[i].height);
	}
	if (!ret && drmModeAtomicCommit(k->fd, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL))
		ret = -errno;
	drmModeAtomicFree(req);
	for (i = 0; i < n; i++)
		if (blobs[i])
			drmModeDestroyPropertyBlob(k->fd, blobs[i]);
	for (i = 0; i < n && !ret; i++)
		set[i]->on = true;
	return ret;
}

/* Steps 1-4 above for the heads of @set */
static void round_trip(struct kms *k, const char *bdf, struct head **set, int n)
{
	struct fb fbs[VPRIME_HEADS_MAX] = { 0 };
	long long d3_before, d3_after, sus_before, sus_after;
	char what[64];
	int i, ret;

	snprintf(what, sizeof(what), "%d head%s", n, n > 1 ? "s" : "");
	/* the debugfs read wakes the engine for its registers: before step 1 */
	d3_before = kms_state_value(k, -1, "engine PM_D3_COUNT ");
	sus_before = kms_state_value(k, -1, "suspends ");
	CHECK(d3_before >= 0 && sus_before >= 0,
	      "%s: no PM_D3_COUNT or suspend count in debugfs vprime_state", what);

	kms_disable_all(k);
	if (!prove_d3hot(bdf, what))
		return;

	for (i = 0; i < n; i++) {
		if (fb_new(k, &fbs[i], set[i]->mode.hdisplay, set[i]->mode.vdisplay,
			   DRM_FORMAT_XRGB8888, DRM_FORMAT_MOD_LINEAR)) {
			CHECK(0, "%s: no framebuffer for head %d", what, set[i]->index);
			goto out;
		}
		fb_fill_pattern(&fbs[i], 17 + i, 0x50 + set[i]->index);
	}
	/* the engine is still in D3hot here: the commit wakes it */
	CHECK(rpm_suspended(bdf), "%s: the engine woke before the modeset", what);
	ret = heads_enable(k, set, n, fbs);
	CHECK(!ret, "%s: modeset from runtime suspend: %s", what, strerror(-ret));
	if (ret)
		goto out;

	for (i = 0; i < n; i++) {
		struct head *hd = set[i];
		long long f0, f1;
		uint32_t s0, s1;

		if (crc_start(k, hd))
			continue;
		kms_crc_link(k, hd);	/* a 6 bpc panel's CRC is of 6 bits */
		expect_crc(k, hd, fb_crc(&fbs[i]), "pattern after resume");
		crc_stop(hd);

		s0 = wait_vblanks(k, hd, 0, NULL);
		f0 = kms_state_value(k, hd->index, "hardware: frame ");
		s1 = wait_vblanks(k, hd, VBLANKS, NULL);
		f1 = kms_state_value(k, hd->index, "hardware: frame ");
		CHECK(s1 - s0 >= VBLANKS, "%s: head %d: drmWaitVBlank for %d vblanks went from %u to %u",
		      what, hd->index, VBLANKS, s0, s1);
		CHECK(f0 >= 0 && f1 > f0, "%s: head %d: the device's FRAME went from %lld to %lld",
		      what, hd->index, f0, f1);
		diag("%s: head %d: vblank sequence %u -> %u, device frame %lld -> %lld",
		     what, hd->index, s0, s1, f0, f1);
	}

	d3_after = kms_state_value(k, -1, "engine PM_D3_COUNT ");
	sus_after = kms_state_value(k, -1, "suspends ");
	CHECK(d3_after > d3_before, "%s: the engine's PM_D3_COUNT went from %lld to %lld",
	      what, d3_before, d3_after);
	CHECK(sus_after > sus_before, "%s: the driver's runtime suspends went from %lld to %lld",
	      what, sus_before, sus_after);
	diag("%s: PM_D3_COUNT %lld -> %lld, driver runtime suspends %lld -> %lld",
	     what, d3_before, d3_after, sus_before, sus_after);
out:
	kms_disable_all(k);
	for (i = 0; i < n; i++)
		if (fbs[i].fb_id)
			fb_free(k, &fbs[i]);
}

/*
 * Unplug (@plug false) or replug the head's monitor with the engine in
 * D3hot; false if there is no host control channel to do it with
 */
static bool plug_suspended(struct kms *k, const char *bdf, struct head *hd, bool plug)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	const char *what = plug ? "replug while suspended" : "unplug while suspended";
	char prop[32];
	int nl, ret, st, modes, seen;
	double t0;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (nl < 0 || bind(nl, (struct sockaddr *)&sa, sizeof(sa))) {
		CHECK(0, "uevent socket: %s", strerror(errno));
		if (nl >= 0)
			close(nl);
		return true;
	}
	if (!prove_d3hot(bdf, what))
		goto out;
	snprintf(prop, sizeof(prop), "head%d-connected", hd->index);
	ret = host_qom_set_bool("display0", prop, plug);
	if (ret == -ENODEV) {
		diag("no host control channel: hotplug while suspended not checked");
		close(nl);
		return false;
	}
	CHECK(!ret, "%s: host qom-set %s: %s", what, prop, strerror(-ret));
	if (ret)
		goto out;
	/* nothing here probes: the uevent must come from the driver's poll */
	t0 = mono_s();
	seen = wait_hotplug_uevent(nl, POLL_WAIT_MS);
	CHECK(seen, "%s: no hotplug uevent within %d s", what, POLL_WAIT_MS / 1000);
	if (seen)
		diag("%s: hotplug uevent %.2f s after the host's qom-set", what, mono_s() - t0);
	st = connector_state(k, hd, &modes);
	CHECK(st == (plug ? DRM_MODE_CONNECTED : DRM_MODE_DISCONNECTED),
	      "%s: head %d connection %d", what, hd->index, st);
	diag("%s: uevent seen, head %d %s, %d modes", what, hd->index,
	     st == DRM_MODE_CONNECTED ? "connected" : "disconnected", modes);
out:
	close(nl);
	return true;
}

int test_kms_runtime_pm(struct ctx *c)
{
	struct head *set[VPRIME_HEADS_MAX];
	const char *bdf = display_bdf(c);
	char control[32] = "";
	drmModeConnector *conn;
	struct kms k;
	int i, n = 0;

	KMS_OPEN(c, &k);
	if (!bdf) {
		diag("FAIL: a display card but no display engine among the PCI devices");
		return EXIT_FAIL;
	}
	for (i = 0; i < k.nheads; i++)
		if (k.heads[i].connected && k.heads[i].mode.hdisplay)
			set[n++] = &k.heads[i];
	if (!n) {
		kms_close(&k);
		printf("# SKIP no connected head\n");
		return EXIT_SKIP;
	}
	CHECK(!power_attr(bdf, "control", control, sizeof(control)) &&
	      !strcmp(control, "auto"),
	      "%s power/control is '%s', not 'auto': the driver did not allow runtime PM",
	      bdf, control);
	/* "runtime pm: on, status ...": the engine has the PM capability */
	CHECK(kms_state_value(&k, -1, "runtime pm: on") == 0,
	      "debugfs vprime_state does not say 'runtime pm: on'");

	round_trip(&k, bdf, set, 1);
	if (n > 1)
		round_trip(&k, bdf, set, n);

	/* the last head: the eDP panel, which cannot be unplugged, is head 0 */
	conn = drmModeGetConnector(k.fd, set[n - 1]->conn);
	if (conn && conn->connector_type != DRM_MODE_CONNECTOR_eDP &&
	    plug_suspended(&k, bdf, set[n - 1], false))
		plug_suspended(&k, bdf, set[n - 1], true);
	drmModeFreeConnector(conn);
	kms_close(&k);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
