#!/bin/sh
# drm_info, unchanged, describes vprime_display: an atomic driver with, per
# head, one CRTC with the colour properties (DEGAMMA_LUT, CTM, GAMMA_LUT and
# their sizes), a connector of the head's type (vprime.outputs=, from the
# launcher's --outputs; default virtual) and four planes (primary, two
# overlays, cursor, every zpos mutable) whose IN_FORMATS lists the engine's
# formats (NV12 and YUV420 with COLOR_ENCODING and COLOR_RANGE but on the
# cursor, which has SIZE_HINTS); async page flips, every connector with
# vrr_capable and every CRTC with VRR_ENABLED; every monitor's connector
# with "max bpc" (a range 6-12, 12 by default) where the engine has
# OUTPUT_BPC (DISP_CAPS bit 17).
PATH=$PATH:/usr/bin:/usr/sbin

command -v drm_info > /dev/null 2>&1 || { echo "# SKIP drm_info is not in the image"; exit 4; }

node=
for c in /sys/class/drm/card[0-9]*; do
    case $c in *-*) continue ;; esac
    [ "$(basename "$(readlink "$c/device/driver")")" = vprime_display ] && node=/dev/dri/${c##*/}
done
[ -n "$node" ] || { echo "# SKIP no vprime_display device"; exit 4; }
card=${node##*/card}
heads=$(sed -n 's/^engine: \([0-9]*\) heads.*/\1/p' "/sys/kernel/debug/dri/$card/vprime_state")
[ -n "$heads" ] || { echo "# cannot read the head count from debugfs"; exit 1; }

if ! drm_info "$node" > /tmp/drm-info.txt 2>&1; then
    echo "# drm_info $node failed:"
    sed 's/^/#   /' /tmp/drm-info.txt | head -40
    exit 1
fi

fail=0
expect() {
    # expect <what> <wanted count> <extended regex>
    got=$(grep -cE "$3" /tmp/drm-info.txt)
    if [ "$got" -ne "$2" ]; then
        echo "# $1: $got, expected $2"
        fail=1
    else
        echo "# $1: $got"
    fi
}

grep -q 'Driver: vprime_display' /tmp/drm-info.txt || { echo "# driver name missing"; fail=1; }
grep -qE 'DRM_CLIENT_CAP_ATOMIC.*supported' /tmp/drm-info.txt ||
    { echo "# atomic client cap not supported"; fail=1; }
grep -qE 'DRM_CAP_DUMB_BUFFER *= *1' /tmp/drm-info.txt || { echo "# no dumb buffers"; fail=1; }
grep -qE 'DRM_CAP_PRIME *= *3' /tmp/drm-info.txt || { echo "# PRIME import/export missing"; fail=1; }
grep -qE 'DRM_CAP_ADDFB2_MODIFIERS *= *1' /tmp/drm-info.txt || { echo "# no modifiers"; fail=1; }
# drm_info asks for writeback connectors: one per head, with a virtual
# encoder each, XRGB8888 and ARGB8888 in WRITEBACK_PIXEL_FORMATS
caps=$(sed -n 's/^engine: .*caps \(0x[0-9a-f]*\).*/\1/p' "/sys/kernel/debug/dri/$card/vprime_state")
wb=0
[ $((caps & 0x80)) = 0 ] || wb=$heads
grep -qE 'DRM_CAP_ASYNC_PAGE_FLIP *= *1' /tmp/drm-info.txt || { echo "# no async page flips"; fail=1; }
expect "CRTCs" "$heads" '^[│├└ ]*[├└]───CRTC [0-9]+$'
expect "connectors" $((heads + wb)) '[├└]───Connector [0-9]+$'
expect "writeback connectors" $wb '[├└]───Type: writeback$'
expect "writeback connectors with WRITEBACK_PIXEL_FORMATS" $wb '"WRITEBACK_PIXEL_FORMATS"'
# connector types per head: vprime.outputs= names the first ones
outputs=
for arg in $(cat /proc/cmdline); do
    case $arg in vprime.outputs=*) outputs=$(echo "${arg#vprime.outputs=}" | tr , ' ') ;; esac
done
n_edp=0 n_dp=0 n_hdmi=0 n_virtual=0
set -- $outputs
i=0
while [ $i -lt "$heads" ]; do
    case ${1:-virtual} in
        edp) n_edp=$((n_edp + 1)) ;;
        dp) n_dp=$((n_dp + 1)) ;;
        hdmi) n_hdmi=$((n_hdmi + 1)) ;;
        *) n_virtual=$((n_virtual + 1)) ;;
    esac
    [ $# -gt 0 ] && shift
    i=$((i + 1))
done
# drm_info prints the connector and encoder types; DP, HDMI and eDP
# heads have TMDS encoders
expect "virtual connectors and encoders" $((n_virtual * 2 + wb)) 'Type: virtual$'
expect "eDP connectors" $n_edp '[├└]───Type: eDP$'
expect "DisplayPort connectors" $n_dp '[├└]───Type: DisplayPort$'
expect "HDMI-A connectors" $n_hdmi '[├└]───Type: HDMI-A$'
expect "TMDS encoders" $((n_edp + n_dp + n_hdmi)) 'Type: TMDS$'
expect "connectors with vrr_capable" "$heads" '"vrr_capable" \(immutable\)'
bpc=0
[ $((caps & 0x20000)) = 0 ] || bpc=$heads
expect "connectors with max bpc 6-12, at 12" $bpc '"max bpc": range \[6, 12\] = 12$'
expect "CRTCs with VRR_ENABLED" "$heads" '"VRR_ENABLED": range'
expect "CRTCs with DEGAMMA_LUT" "$heads" '"DEGAMMA_LUT": blob'
expect "CRTCs with CTM" "$heads" '"CTM": blob'
expect "CRTCs with GAMMA_LUT" "$heads" '"GAMMA_LUT": blob'
expect "CRTCs with DEGAMMA_LUT_SIZE" "$heads" '"DEGAMMA_LUT_SIZE" \(immutable\)'
expect "CRTCs with GAMMA_LUT_SIZE" "$heads" '"GAMMA_LUT_SIZE" \(immutable\)'
expect "primary planes" "$heads" '"type" \(immutable\).* = Primary$'
expect "overlay planes" $((heads * 2)) '"type" \(immutable\).* = Overlay$'
expect "cursor planes" "$heads" '"type" \(immutable\).* = Cursor$'
expect "planes with IN_FORMATS" $((heads * 4)) '"IN_FORMATS" \(immutable\)'
# (IN_FORMATS' lists: not "Modifier:" and "Format:" of a framebuffer on a
# plane, fbdev's for one, drm_info prints too)
expect "planes offering the linear modifier" $((heads * 4)) '───DRM_FORMAT_MOD_LINEAR \(0x0\)$'
# The registered tiled modifiers the display scans, only where the engine
# tiles: Intel X-tiled and NVIDIA block linear (16Bx2, 8-GOB blocks), not
# Intel Y-tiled (the iGPU's alone)
tiled=0
grep -q '^engine: .*tiled' "/sys/kernel/debug/dri/$card/vprime_state" && tiled=$((heads * 4))
# (drm_info names them: I915_FORMAT_MOD_X_TILED, NVIDIA_BLOCK_LINEAR_2D(h=3,
# k=254, g=0, s=1, c=0); the values are printed without leading zeros)
expect "planes offering Intel X-tiled" $tiled 'I915_FORMAT_MOD_X_TILED \(0x100000000000001\)$'
expect "planes offering NVIDIA block linear" $tiled 'NVIDIA_BLOCK_LINEAR_2D\(h=3, k=254, g=0, s=1, c=0\) \(0x3000000004fe013\)$'
expect "planes offering Intel Y-tiled" 0 '\(0x100000000000002\)$'
expect "immutable zpos" 0 '"zpos" \(immutable\)'
expect "mutable zpos (every plane)" $((heads * 4)) '"zpos": range'
# YUV on primaries and overlays, with their colour properties; the
# cursors' size hints
expect "planes with COLOR_ENCODING" $((heads * 3)) '"COLOR_ENCODING": enum'
expect "planes with COLOR_RANGE" $((heads * 3)) '"COLOR_RANGE": enum'
expect "planes with SIZE_HINTS" "$heads" '"SIZE_HINTS"'
for f in 'NV12 (0x3231564e)' 'YUV420 (0x32315559)'; do
    # in the legacy list and under the linear modifier (YUV is linear only)
    want=$((heads * 3 * 2))
    got=$(grep -F "$f" /tmp/drm-info.txt | grep -vc 'Format: ')
    if [ "$got" -ne "$want" ]; then
        echo "# format $f listed $got times, expected $want"
        fail=1
    else
        echo "# format $f listed $got times"
    fi
done
for f in 'XRGB8888 (0x34325258)' 'ARGB8888 (0x34325241)' 'XBGR8888 (0x34324258)' 'RGB565 (0x36314752)'; do
    # in each plane's legacy list and under each of its modifiers (and
    # the writeback connectors' lists)
    want=$((heads * 4 + heads * 4 + 2 * tiled))
    case $f in [XA]RGB8888*) want=$((want + wb)) ;; esac
    got=$(grep -F "$f" /tmp/drm-info.txt | grep -vc 'Format: ')
    if [ "$got" -ne "$want" ]; then
        echo "# format $f listed $got times, expected $want"
        fail=1
    fi
done
[ $fail = 0 ] || sed 's/^/#   /' /tmp/drm-info.txt | head -200
exit $fail
