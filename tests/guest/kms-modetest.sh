#!/bin/sh
# modetest, unchanged, against vprime_display.  On every connected
# connector: the preferred mode through the legacy API, vsynced page
# flipping, the hardware cursor; through the atomic API the mode with all
# four planes (primary, NV12 overlay, ARGB cursor, ARGB second overlay),
# then flipping them;
# an overlay scaled 2x must be accepted, one scaled 9x refused.  Then every connector at once.  The
# driver's own state (debugfs vprime_state) must show the planes and the
# flips the device latched, and no refused configuration or underrun.
PATH=$PATH:/usr/bin:/usr/sbin

command -v modetest > /dev/null 2>&1 || { echo "# SKIP modetest is not in the image"; exit 4; }
command -v timeout > /dev/null 2>&1 || { echo "# SKIP no timeout command"; exit 4; }

card=
for c in /sys/class/drm/card[0-9]*; do
    case $c in *-*) continue ;; esac
    [ "$(basename "$(readlink "$c/device/driver")")" = vprime_display ] && card=${c##*/card}
done
[ -n "$card" ] || { echo "# SKIP no vprime_display device"; exit 4; }
state=/sys/kernel/debug/dri/$card/vprime_state
[ -r "$state" ] || { echo "# $state missing"; exit 1; }
echo "# $(head -1 "$state")"

MT="modetest -M vprime_display"

# sum of a per-head counter ("flips 12,") over the heads
counter() {
    sed -n "s/.* $1 \([0-9]*\).*/\1/p" "$state" | awk '{ s += $1 } END { print s + 0 }'
}

# planes the driver shows on CRTC $1 right now
planes_on() {
    awk -v crtc="[CRTC:$1]" '
        /^head / { on = (index($0, crtc) > 0); next }
        on && /^  plane .*: fb [0-9]+ / { n++ }
        END { print n + 0 }' "$state"
}

# One line per connected connector with a mode:
# connector mode width height crtc primary overlay cursor overlay2
$MT -e -c -p > /tmp/mt-res.txt 2>&1 ||
    { echo "# modetest -e -c -p failed:"; sed 's/^/#   /' /tmp/mt-res.txt; exit 1; }
awk -F'\t' '
    function hex(s,   i, v) {
        v = 0; s = tolower(substr(s, 3))
        for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    /^Encoders:/ { sec = "enc"; next }
    /^Connectors:/ { sec = "con"; next }
    /^CRTCs:/ { sec = "crtc"; next }
    /^Planes:/ { sec = "plane"; next }
    /^Frame buffers:/ { sec = ""; next }
    sec == "enc" && /^[0-9]+\t/ { encmask[$1] = hex($4) }
    # the connector of head i is the i-th that is not a writeback connector
    # (those are listed among them, each with its own encoder)
    sec == "con" && /^[0-9]+\t/ {
        con = ($3 == "connected" && $4 !~ /^Writeback/) ? $1 : ""
        if ($4 !~ /^Writeback/) conhead[$1] = nhead++
        split($NF, e, ","); enc[con] = e[1]; next
    }
    sec == "con" && con != "" && !(con in mode) && /^  #[0-9]+ / {
        split($0, a, " ")
        if (!(con in first)) first[con] = a[2] " " a[4] " " a[8]
        if ($0 ~ /preferred/) mode[con] = a[2] " " a[4] " " a[8]
    }
    sec == "con" && /^  props:/ && con != "" && !(con in mode) && (con in first) {
        mode[con] = first[con]
    }
    sec == "crtc" && /^[0-9]+\t/ { crtcs[ncrtc++] = $1 }
    sec == "plane" && /^[0-9]+\t/ { plane = $1; pmask[plane] = hex($NF); want = 0; next }
    sec == "plane" && /^\t[0-9]+ type:/ { want = 1; next }
    sec == "plane" && want && /^\t\tvalue:/ { split($0, v, " "); ptype[plane] = v[2]; want = 0 }
    END {
        for (c in mode) {
            # the CRTC of the head of the connector if its encoder takes it
            # (with the crossbar every encoder takes every CRTC), else the
            # first it takes
            i = conhead[c]
            if (!and(encmask[enc[c]], lshift(1, i)))
                for (i = 0; i < ncrtc; i++) if (and(encmask[enc[c]], lshift(1, i))) break
            if (i == ncrtc) continue
            pl[0] = pl[1] = pl[2] = ov2 = 0
            # modetest plane types: Overlay=0 Primary=1 Cursor=2; of the
            # two overlays, the one with the lower id first
            for (p in pmask) {
                if (!and(pmask[p], lshift(1, i))) continue
                if (ptype[p] != 0) { pl[ptype[p]] = p; continue }
                if (pl[0] == 0) { pl[0] = p; continue }
                if (p + 0 < pl[0] + 0) { ov2 = pl[0]; pl[0] = p } else ov2 = p
            }
            print c, mode[c], crtcs[i], pl[1], pl[0], pl[2], ov2
        }
    }
' /tmp/mt-res.txt | sort -n > /tmp/mt-targets.txt
n=$(wc -l < /tmp/mt-targets.txt)
[ "$n" -gt 0 ] || { echo "# SKIP no connected connector with a mode"; exit 4; }

fail=0
# every connector modetest lists has "max bpc" where the engine has
# OUTPUT_BPC (DISP_CAPS bit 17, as vprime_state prints the caps)
caps=$(sed -n 's/^engine: .*caps \(0x[0-9a-f]*\).*/\1/p' "$state")
ncon=$(awk -F'\t' '/^Connectors:/ { s = 1; next } /^CRTCs:/ { s = 0 } s && /^[0-9]+\t/ { n++ } END { print n + 0 }' /tmp/mt-res.txt)
nbpc=$(grep -cE '^[[:space:]]+[0-9]+ max bpc:$' /tmp/mt-res.txt)
if [ $((caps & 0x20000)) != 0 ] && [ "$nbpc" -ne "$ncon" ]; then
    echo "# modetest lists \"max bpc\" on $nbpc of $ncon connectors"
    fail=1
else
    echo "# modetest lists \"max bpc\" on $nbpc of $ncon connectors"
fi
errors0=$(counter errors)
underruns0=$(counter underruns)

# modetest with a stdin that stays open and silent (it stops at the first
# key press) for $1 seconds; the rest of the arguments are its own.  The
# subshell keeps the shell's "Terminated" note out of the log.
run_for() {
    secs=$1; shift
    ( { sleep $((secs + 2)); } | timeout "$secs" $MT "$@" > /tmp/mt-out.txt 2>&1 ) 2> /dev/null
}

# modetest as run_for, but until the shell condition $1 holds: how long
# that takes (setting up its buffers, 60 flips) depends on the machine and
# the kernel (the debug flavour's is slow), so the limit, $2 seconds, only
# catches a hang.  Its stdin is a FIFO this shell holds open.
run_until() {
    cond=$1 limit=$2; shift 2
    rm -f /tmp/mt-in; mkfifo /tmp/mt-in
    exec 3<> /tmp/mt-in
    $MT "$@" < /tmp/mt-in > /tmp/mt-out.txt 2>&1 &
    mt=$!
    ticks=0
    # until the condition holds, modetest exits (a refused commit: no
    # use waiting for what it will not do) or the limit
    while [ "$ticks" -lt $((limit * 10)) ] && ! eval "$cond" && kill -0 "$mt" 2> /dev/null; do
        sleep 0.1
        ticks=$((ticks + 1))
    done
    { kill "$mt"; wait "$mt"; } 2> /dev/null
    exec 3>&-
    rm -f /tmp/mt-in
}
HANG_SECONDS=120

# the flips the device latched since $flips0
flipped() {
    echo $(( $(counter flips) - flips0 ))
}

# Every failure modetest reports counts, "failed to set gamma" too: the
# CRTCs have a 256-entry GAMMA_LUT and legacy gamma.
failed() {
    grep -iE 'failed|error|invalid|cannot|unknown' /tmp/mt-out.txt
}

bad() {
    echo "# $1:"
    sed 's/^/#   /' /tmp/mt-out.txt | head -20
    fail=1
}

# A contiguous-only engine scans a buffer only if its DMA addresses are one
# range; without an IOMMU to make them so, dumb buffers (shmem pages) are
# not, and the driver must refuse them cleanly rather than show garbage.
if grep -q '^engine: .*contiguous-only' "$state" && [ -z "$(ls /sys/class/iommu 2> /dev/null)" ]; then
    read -r id mode w h crtc rest < /tmp/mt-targets.txt
    $MT -s "$id@$crtc:$mode" < /dev/null > /tmp/mt-out.txt 2>&1
    if [ "$(counter errors)" != "$errors0" ] ||
       { failed > /dev/null && ! grep -q 'failed to set mode: Invalid argument' /tmp/mt-out.txt; }; then
        bad "contiguous-only engine: not a clean refusal"
        exit 1
    fi
    echo "# SKIP contiguous-only engine without an IOMMU: dumb buffers are not DMA-contiguous (the driver refuses them with EINVAL)"
    exit 4
fi

while read -r id mode w h crtc primary overlay cursor overlay2; do
    echo "# connector $id: $mode on CRTC $crtc, planes $primary/$overlay/$cursor/$overlay2"
    if [ "$primary" = 0 ] || [ "$overlay" = 0 ] || [ "$cursor" = 0 ] || [ "$overlay2" = 0 ]; then
        echo "# CRTC $crtc lacks a primary, two overlays or a cursor plane"
        fail=1
        continue
    fi

    # legacy mode set; modetest exits at once on the empty stdin
    $MT -s "$id@$crtc:$mode" < /dev/null > /tmp/mt-out.txt 2>&1
    if [ $? != 0 ] || failed > /dev/null || ! grep -q "setting mode $mode" /tmp/mt-out.txt; then
        bad "connector $id: legacy mode set $mode failed"
    else
        echo "# connector $id: legacy mode set ok"
    fi

    # vsynced page flipping: modetest prints a rate every 60 flips
    flips0=$(counter flips)
    run_until 'grep -q freq: /tmp/mt-out.txt && [ "$(flipped)" -ge 60 ]' "$HANG_SECONDS" \
        -s "$id@$crtc:$mode" -v
    flips=$(flipped)
    rate=$(sed -n 's/.*freq: \([0-9.]*\)Hz.*/\1/p' /tmp/mt-out.txt | tail -1)
    if [ -z "$rate" ] || failed > /dev/null || [ "$flips" -lt 60 ]; then
        bad "connector $id: legacy page flipping failed ($flips flips latched)"
    else
        echo "# connector $id: legacy page flipping at $rate Hz, $flips flips latched"
    fi

    # hardware cursor: modetest moves a cursor around
    run_for 2 -s "$id@$crtc:$mode" -C
    if failed > /dev/null; then
        bad "connector $id: cursor test failed"
    else
        echo "# connector $id: legacy cursor ok"
    fi

    # atomic: all four planes, an NV12 overlay, the second overlay and
    # the cursor with alpha
    planes="-P $primary@$crtc:${w}x$h -P $overlay@$crtc:256x256+64+64@NV12 -P $cursor@$crtc:64x64+200+200@AR24 -P $overlay2@$crtc:200x150+300+100@AR24"
    # (counted while modetest runs: its planes go when it exits)
    shown=0
    # shellcheck disable=SC2086
    run_until 'shown=$(planes_on "$crtc"); [ "$shown" = 4 ]' "$HANG_SECONDS" \
        -a -s "$id@$crtc:$mode" $planes
    if failed > /dev/null || [ "$shown" != 4 ]; then
        bad "connector $id: atomic mode set with 4 planes (NV12 overlay) failed ($shown planes shown)"
    else
        echo "# connector $id: atomic mode set with 4 planes (NV12 overlay) ok"
    fi

    # atomic page flipping of the primary and overlay planes
    flips0=$(counter flips)
    run_until '[ "$(flipped)" -ge 60 ]' "$HANG_SECONDS" -a -s "$id@$crtc:$mode" \
        -P "$primary@$crtc:${w}x$h" -P "$overlay@$crtc:256x256+64+64@AR24" -v
    flips=$(flipped)
    if failed > /dev/null || [ "$flips" -lt 60 ]; then
        bad "connector $id: atomic page flipping failed ($flips flips latched)"
    else
        echo "# connector $id: atomic page flipping, $flips flips latched"
    fi

    # the overlay scales up to 8x: 2x is shown, 9x refused
    $MT -a -s "$id@$crtc:$mode" -P "$primary@$crtc:${w}x$h" \
        -P "$overlay@$crtc:128x128+64+64*2" < /dev/null > /tmp/mt-out.txt 2>&1
    if grep -q 'Atomic Commit failed' /tmp/mt-out.txt; then
        bad "connector $id: a plane scaled 2x was refused"
    else
        echo "# connector $id: plane scaled 2x accepted"
    fi
    $MT -a -s "$id@$crtc:$mode" -P "$primary@$crtc:${w}x$h" \
        -P "$overlay@$crtc:16x16+64+64*9" < /dev/null > /tmp/mt-out.txt 2>&1
    if grep -q 'Atomic Commit failed' /tmp/mt-out.txt; then
        echo "# connector $id: plane scaled 9x refused"
    else
        bad "connector $id: a plane scaled 9x was accepted"
    fi
done < /tmp/mt-targets.txt

# every connector at once, flipping
if [ "$n" -gt 1 ]; then
    args=
    while read -r id mode w h crtc rest; do args="$args -s $id@$crtc:$mode"; done < /tmp/mt-targets.txt
    flips0=$(counter flips)
    # shellcheck disable=SC2086
    run_until '[ "$(grep -c freq: /tmp/mt-out.txt)" -ge "$n" ]' "$HANG_SECONDS" $args -v
    flips=$(flipped)
    if [ "$(grep -c 'freq:' /tmp/mt-out.txt)" -lt "$n" ] || failed > /dev/null; then
        bad "all $n connectors flipping together failed ($flips flips latched)"
    else
        echo "# all $n connectors flipping together: $flips flips latched"
    fi
fi

errors=$(( $(counter errors) - errors0 ))
underruns=$(( $(counter underruns) - underruns0 ))
if [ "$errors" -ne 0 ] || [ "$underruns" -ne 0 ]; then
    echo "# the device refused $errors configuration(s) and had $underruns underrun(s):"
    sed 's/^/#   /' "$state"
    fail=1
fi
exit $fail
