// SPDX-License-Identifier: GPL-2.0-only
/*
 * vprime_display: encoders and connectors.
 *
 * Each head drives one connector, of the type the board gives it in
 * HEAD_OUTPUT (a strap, as a VBT is for a real driver): an eDP internal
 * panel, DisplayPort, HDMI type A, or Virtual.  Whether a monitor is
 * plugged in is STATUS.CONNECTED; its EDID is read from the head's EDID
 * registers; plugging and unplugging raise the head's HOTPLUG event, which
 * ends up as a hotplug uevent for userspace.  An eDP panel is never
 * unplugged: its connector is not polled and has no hotplug.
 *
 * With the crossbar (CAP_CROSSBAR) a head's connector and encoder are its
 * output, which any CRTC may drive: every encoder's possible_crtcs is
 * every CRTC, and any encoders may be clones (one CRTC driving several
 * outputs).  The CRTC's modeset writes ROUTE, the outputs it drives.
 * On engines with VPRIME_DISP_CAP_VRR every connector has "vrr_capable":
 * true when the monitor's EDID gives a refresh range (Linux reads it into
 * display_info.monitor_range), which the CRTC then uses for VRR_ENABLED.
 * On engines with VPRIME_DISP_CAP_OUTPUT_BPC every connector has "max bpc"
 * (6 to 12): the link to the monitor runs at the deepest depth the engine
 * takes (6, 8, 10 or 12 bits per component) within both it and what the
 * monitor's EDID states (8 when it states none), and the CRTC programs it
 * in OUTPUT_BPC at its modeset.
 */

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include <drm/drm_atomic.h>
#include <drm/drm_drv.h>
#include <drm/drm_edid.h>
#include <drm/drm_encoder.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_modeset_lock.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_print.h>
#include <drm/drm_atomic_state_helper.h>

#include "vprime_display_drv.h"

/* drm_edid_read_custom() callback: one EDID block from the registers */
static int vprime_read_edid_block(void *context, u8 *buf, unsigned int block,
				  size_t len)
{
	struct vprime_head *head = context;
	u32 size = vprime_head_read(head, VPRIME_HEAD_EDID_SIZE);
	size_t start = (size_t)block * EDID_LENGTH, i;

	if (size > VPRIME_EDID_MAX || start + len > size)
		return -EINVAL;
	/* dword registers; the EDID bytes are in little-endian order */
	for (i = 0; i < len; i += 4) {
		u32 v = vprime_head_read(head, VPRIME_HEAD_EDID + start + i);
		size_t j;

		for (j = 0; j < 4 && i + j < len; j++)
			buf[i + j] = v >> (8 * j);
	}
	return 0;
}

/**
 * vprime_connector_vrr_range - the monitor's variable refresh range
 * @connector: the head's connector
 * @min_hz: the slowest refresh (may be NULL)
 * @max_hz: the fastest (may be NULL)
 *
 * From the EDID's range limits (drm_get_monitor_range(): EDID 1.4, the
 * continuous frequency feature, a "range limits only" descriptor).
 * Call with mode_config.mutex held or from an atomic commit.
 *
 * Returns: whether the monitor has a range, a few Hz wide, to vary in.
 */
bool vprime_connector_vrr_range(struct drm_connector *connector, u32 *min_hz,
				u32 *max_hz)
{
	const struct drm_monitor_range_info *r = &connector->display_info.monitor_range;

	if (min_hz)
		*min_hz = r->min_vfreq;
	if (max_hz)
		*max_hz = r->max_vfreq;
	return r->min_vfreq && r->max_vfreq > r->min_vfreq + 10;
}

/* The link depths OUTPUT_BPC takes, deepest first */
static const u8 vprime_link_bpcs[] = {
	VPRIME_BPC_12, VPRIME_BPC_10, VPRIME_BPC_8, VPRIME_BPC_6,
};

/**
 * vprime_connector_link_bpc - the depth of the link to a connector's monitor
 * @st: the connector's new state, in an atomic check
 *
 * min("max bpc", the monitor's EDID depth or 8 when it states none),
 * rounded down to a depth the engine's link takes (6 at least: a monitor
 * stating less still gets the narrowest link there is), and stored in
 * @st->max_bpc, where the core had put the same minimum unrounded.
 *
 * Returns: that depth.
 */
unsigned int vprime_connector_link_bpc(struct drm_connector_state *st)
{
	const struct drm_display_info *info = &st->connector->display_info;
	unsigned int bpc = info->bpc ? info->bpc : VPRIME_BPC_DEFAULT;
	unsigned int i;

	if (st->connector->max_bpc_property)
		bpc = min_t(unsigned int, bpc, st->max_requested_bpc);
	for (i = 0; i < ARRAY_SIZE(vprime_link_bpcs) - 1; i++)
		if (vprime_link_bpcs[i] <= bpc)
			break;
	st->max_bpc = vprime_link_bpcs[i];
	return st->max_bpc;
}

/*
 * A new "max bpc" is a modeset, as in i915: the link changes depth only
 * with the head's mode, not under a running frame.
 */
static int vprime_connector_atomic_check(struct drm_connector *connector,
					 struct drm_atomic_state *state)
{
	struct drm_connector_state *old = drm_atomic_get_old_connector_state(state, connector);
	struct drm_connector_state *new = drm_atomic_get_new_connector_state(state, connector);
	struct drm_crtc_state *crtc_state;

	if (!new->crtc || old->max_requested_bpc == new->max_requested_bpc)
		return 0;
	crtc_state = drm_atomic_get_crtc_state(state, new->crtc);
	if (IS_ERR(crtc_state))
		return PTR_ERR(crtc_state);
	crtc_state->mode_changed = true;
	return 0;
}

/*
 * The atomic helper's reset, and "max bpc" at its default, the property's
 * maximum (the helper leaves it 0, below the property's range)
 */
static void vprime_connector_reset(struct drm_connector *connector)
{
	drm_atomic_helper_connector_reset(connector);
	if (connector->state && connector->max_bpc_property) {
		connector->state->max_requested_bpc = VPRIME_BPC_12;
		connector->state->max_bpc = VPRIME_BPC_12;
	}
}

static int vprime_connector_get_modes(struct drm_connector *connector)
{
	struct vprime_head *head = connector_to_head(connector);
	const struct drm_edid *drm_edid = NULL;
	int idx, count;

	/* the EDID registers: the engine may be suspended, every head off */
	if (drm_dev_enter(connector->dev, &idx)) {
		if (!vprime_display_rpm_get(head->disp)) {
			if (vprime_head_read(head, VPRIME_HEAD_EDID_SIZE))
				drm_edid = drm_edid_read_custom(connector,
								vprime_read_edid_block,
								head);
			vprime_display_rpm_put(head->disp);
		}
		drm_dev_exit(idx);
	}
	drm_edid_connector_update(connector, drm_edid);
	if (head->disp->disp_caps & VPRIME_DISP_CAP_VRR)
		drm_connector_set_vrr_capable_property(connector,
						       vprime_connector_vrr_range(connector, NULL, NULL));
	count = drm_edid_connector_add_modes(connector);
	drm_edid_free(drm_edid);
	return count;
}

static const struct drm_connector_helper_funcs vprime_connector_helper_funcs = {
	.get_modes = vprime_connector_get_modes,
	.atomic_check = vprime_connector_atomic_check,
};

static enum drm_connector_status
vprime_connector_detect(struct drm_connector *connector, bool force)
{
	struct vprime_head *head = connector_to_head(connector);
	enum drm_connector_status status = connector_status_disconnected;
	int idx;

	/* wakes a suspended engine: the poll while suspended comes here */
	if (drm_dev_enter(connector->dev, &idx)) {
		if (vprime_display_rpm_get(head->disp)) {
			status = connector_status_unknown;
		} else {
			if (vprime_head_read(head, VPRIME_HEAD_STATUS) &
			    VPRIME_HEAD_STATUS_CONNECTED)
				status = connector_status_connected;
			vprime_display_rpm_put(head->disp);
		}
		drm_dev_exit(idx);
	}
	return status;
}

/*
 * debugfs <connector>/vprime_output: what the connector is and what its
 * sink said in the EDID, for the guest tests (kms-connectors.sh); with
 * the crossbar, the head whose pipe drives the output and the CRC of the
 * picture the output shows, read back from the engine (kms-crossbar-crc)
 */
static int vprime_output_show(struct seq_file *m, void *unused)
{
	struct drm_connector *connector = m->private;
	const struct drm_display_info *info = &connector->display_info;
	struct vprime_head *head = connector_to_head(connector);
	int idx;

	mutex_lock(&connector->dev->mode_config.mutex);
	seq_printf(m, "type: %s\n",
		   drm_get_connector_type_name(connector->connector_type));
	seq_printf(m, "polled: %s\n",
		   connector->polled & DRM_CONNECTOR_POLL_HPD ? "hpd" : "none");
	seq_printf(m, "hdmi sink: %s\n", info->is_hdmi ? "yes" : "no");
	/* the test kms-max-bpc reads this: the EDID's depth, 0 unknown */
	seq_printf(m, "monitor bpc: %u\n", info->bpc);
	/* the test kms-vrr reads this */
	if (vprime_connector_vrr_range(connector, NULL, NULL))
		seq_printf(m, "vrr range: %u-%u Hz\n", info->monitor_range.min_vfreq,
			   info->monitor_range.max_vfreq);
	else
		seq_puts(m, "vrr range: none\n");
	mutex_unlock(&connector->dev->mode_config.mutex);
	if (connector->max_bpc_property) {
		drm_modeset_lock(&connector->dev->mode_config.connection_mutex, NULL);
		seq_printf(m, "max bpc: %u requested, link %u\n",
			   connector->state->max_requested_bpc, connector->state->max_bpc);
		drm_modeset_unlock(&connector->dev->mode_config.connection_mutex);
	}
	if ((head->disp->disp_caps & VPRIME_DISP_CAP_CROSSBAR) &&
	    drm_dev_enter(connector->dev, &idx)) {
		if (!vprime_display_rpm_get(head->disp)) {
			u32 src = vprime_head_read(head, VPRIME_HEAD_OUTPUT_SOURCE);

			if (src == VPRIME_HEAD_SOURCE_NONE)
				seq_puts(m, "source: none\n");
			else
				seq_printf(m, "source: head %u\n", src);
			seq_printf(m, "output crc: 0x%08x\n",
				   vprime_head_read(head, VPRIME_HEAD_OUTPUT_CRC));
			vprime_display_rpm_put(head->disp);
		}
		drm_dev_exit(idx);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vprime_output);

static void vprime_connector_debugfs_init(struct drm_connector *connector,
					  struct dentry *root)
{
	debugfs_create_file("vprime_output", 0444, root, connector,
			    &vprime_output_fops);
}

static const struct drm_connector_funcs vprime_connector_funcs = {
	.detect = vprime_connector_detect,
	.debugfs_init = vprime_connector_debugfs_init,
	.fill_modes = drm_helper_probe_single_connector_modes,
	.reset = vprime_connector_reset,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

/**
 * vprime_hotplug_work - after a HOTPLUG interrupt, probe and tell userspace
 * @work: &vprime_display.hotplug_work
 */
void vprime_hotplug_work(struct work_struct *work)
{
	struct vprime_display *disp = container_of(work, struct vprime_display,
						   hotplug_work);
	int idx;

	if (!drm_dev_enter(&disp->drm, &idx))
		return;
	/*
	 * A replug faster than this work leaves the status unchanged, yet
	 * the monitor (and its EDID) may be another: tell userspace anyway.
	 */
	if (!drm_helper_hpd_irq_event(&disp->drm))
		drm_kms_helper_hotplug_event(&disp->drm);
	drm_dev_exit(idx);
}

/* HEAD_OUTPUT to the DRM connector and encoder types */
static const struct {
	int connector;
	int encoder;
} vprime_output_types[VPRIME_OUTPUT__MAX] = {
	[VPRIME_OUTPUT_VIRTUAL] = { DRM_MODE_CONNECTOR_VIRTUAL,
				    DRM_MODE_ENCODER_VIRTUAL },
	[VPRIME_OUTPUT_EDP] = { DRM_MODE_CONNECTOR_eDP, DRM_MODE_ENCODER_TMDS },
	[VPRIME_OUTPUT_DP] = { DRM_MODE_CONNECTOR_DisplayPort,
			       DRM_MODE_ENCODER_TMDS },
	[VPRIME_OUTPUT_HDMI] = { DRM_MODE_CONNECTOR_HDMIA,
				 DRM_MODE_ENCODER_TMDS },
};

/**
 * vprime_output_init - create a head's encoder and connector
 * @head: the head, its CRTC already created
 *
 * Returns: 0 or a negative errno.
 */
int vprime_output_init(struct vprime_head *head)
{
	struct drm_device *drm = &head->disp->drm;
	struct drm_connector *connector = &head->connector;
	u32 output = VPRIME_OUTPUT_VIRTUAL;
	int ret;

	if (head->disp->disp_caps & VPRIME_DISP_CAP_OUTPUT)
		output = vprime_head_read(head, VPRIME_HEAD_OUTPUT);
	if (output >= VPRIME_OUTPUT__MAX) {
		drm_err(drm, "head %u: unknown output type %u\n", head->idx,
			output);
		return -ENODEV;
	}
	ret = drmm_encoder_init(drm, &head->encoder, NULL,
				vprime_output_types[output].encoder, "head-%u",
				head->idx);
	if (ret)
		return ret;
	/* CRTC h is head h's (created in head order); clones: see
	 * vprime_output_set_clones(), once every encoder exists */
	if (head->disp->disp_caps & VPRIME_DISP_CAP_CROSSBAR)
		head->encoder.possible_crtcs = GENMASK(head->disp->hw.num_heads - 1, 0);
	else
		head->encoder.possible_crtcs = drm_crtc_mask(&head->crtc);

	ret = drmm_connector_init(drm, connector, &vprime_connector_funcs,
				  vprime_output_types[output].connector, NULL);
	if (ret)
		return ret;
	drm_connector_helper_add(connector, &vprime_connector_helper_funcs);
	/*
	 * Virtual connectors get no EDID property by default, and without it
	 * drm_edid_connector_update() cannot keep the EDID the modes come from.
	 */
	if (output == VPRIME_OUTPUT_VIRTUAL)
		drm_connector_attach_edid_property(connector);
	if (head->disp->disp_caps & VPRIME_DISP_CAP_VRR) {
		ret = drm_connector_attach_vrr_capable_property(connector);
		if (ret)
			return ret;
	}
	if (head->disp->disp_caps & VPRIME_DISP_CAP_OUTPUT_BPC) {
		/* the helper sets the state's default: make one, as reset will */
		vprime_connector_reset(connector);
		ret = drm_connector_attach_max_bpc_property(connector, VPRIME_BPC_6,
							    VPRIME_BPC_12);
		if (ret)
			return ret;
	}
	/* a panel is always there: no hotplug, no polling */
	connector->polled = output == VPRIME_OUTPUT_EDP ? 0 :
			    DRM_CONNECTOR_POLL_HPD;
	return drm_connector_attach_encoder(connector, &head->encoder);
}

/**
 * vprime_output_set_clones - which encoders may drive one CRTC together
 * @disp: the display, all of its encoders created
 *
 * A CRTC may drive its writeback connector beside an output.  With the
 * crossbar it may drive any outputs at once, and the writeback encoder of
 * its own head with them, so every encoder may be a clone of every other
 * (possible_crtcs still limits a writeback encoder to its head's CRTC).
 * Without it, a head's encoder and its writeback encoder are the clones.
 * Encoder indices are not head indices: the writeback encoders are
 * created between the heads' own.
 */
void vprime_output_set_clones(struct vprime_display *disp)
{
	struct drm_encoder *encoder;
	u32 all = 0;
	unsigned int h;

	drm_for_each_encoder(encoder, &disp->drm)
		all |= drm_encoder_mask(encoder);
	for (h = 0; h < disp->hw.num_heads; h++) {
		struct vprime_head *head = &disp->heads[h];
		u32 mine = drm_encoder_mask(&head->encoder);

		if (disp->disp_caps & VPRIME_DISP_CAP_WRITEBACK)
			mine |= drm_encoder_mask(&head->wb.encoder);
		if (disp->disp_caps & VPRIME_DISP_CAP_CROSSBAR)
			mine = all;
		head->encoder.possible_clones = mine;
		if (disp->disp_caps & VPRIME_DISP_CAP_WRITEBACK)
			head->wb.encoder.possible_clones = mine;
	}
}
