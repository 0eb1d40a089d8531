#!/bin/sh
# The connectors are of the types the board gives the heads (the
# launcher's --outputs, passed on as vprime.outputs=; without it every head
# is virtual): sysfs names cardN-eDP-1, cardN-DP-1, cardN-HDMI-A-1, ... in
# head order, each connected.  Per type, what the sink's EDID and the
# driver (debugfs <connector>/vprime_output) say:
#   eDP      one EDID block, one mode (the panel's), not polled (no hotplug),
#            6 bpc (EDID and the kernel's reading of it)
#   DP       digital DisplayPort input, 10 bpc, an HDMI sink: no, hotplug
#   HDMI-A   HDMI-a input, 8 bpc, the HDMI vendor block (OUI 00-0C-03) in
#            the CTA extension, so the kernel says HDMI sink: yes; hotplug
#   Virtual  hotplug
PATH=$PATH:/usr/bin:/usr/sbin

card=
for c in /sys/class/drm/card[0-9]*; do
    case $c in *-*) continue ;; esac
    [ "$(basename "$(readlink "$c/device/driver")")" = vprime_display ] && card=${c##*/card}
done
[ -n "$card" ] || { echo "# SKIP no vprime_display device"; exit 4; }
dbg=/sys/kernel/debug/dri/$card
heads=$(sed -n 's/^engine: \([0-9]*\) heads.*/\1/p' "$dbg/vprime_state")
[ -n "$heads" ] || { echo "# cannot read the head count from debugfs"; exit 1; }

outputs=
for arg in $(cat /proc/cmdline); do
    case $arg in vprime.outputs=*) outputs=$(echo "${arg#vprime.outputs=}" | tr , ' ') ;; esac
done

# the expected connector names, head 0 first: TYPE-<n>, n counting per type;
# with writeback (VPRIME_DISP_CAP_WRITEBACK), Writeback-<n> after each head's
caps=$(sed -n 's/^engine: .*caps \(0x[0-9a-f]*\).*/\1/p' "$dbg/vprime_state")
expected=
expected_all=
n_edp=0 n_dp=0 n_hdmi=0 n_virtual=0
set -- $outputs
i=0
while [ $i -lt "$heads" ]; do
    t=${1:-virtual}
    [ $# -gt 0 ] && shift
    case $t in
        edp) n_edp=$((n_edp + 1)); name=eDP-$n_edp ;;
        dp) n_dp=$((n_dp + 1)); name=DP-$n_dp ;;
        hdmi) n_hdmi=$((n_hdmi + 1)); name=HDMI-A-$n_hdmi ;;
        virtual) n_virtual=$((n_virtual + 1)); name=Virtual-$n_virtual ;;
        *) echo "# vprime.outputs: unknown type $t"; exit 1 ;;
    esac
    expected="$expected $name"
    expected_all="$expected_all $name"
    [ $((caps & 0x80)) = 0 ] || expected_all="$expected_all Writeback-$((i + 1))"
    i=$((i + 1))
done

# the card's connectors in connector id (creation, so head) order
found=$(for c in /sys/class/drm/card$card-*; do
            echo "$(cat "$c/connector_id") ${c##*/card$card-}"
        done | sort -n | cut -d' ' -f2 | tr '\n' ' ')
echo "# expected:$expected_all"
echo "# found: $found"
[ "$(echo $found)" = "$(echo $expected_all)" ] || { echo "# connector names differ"; exit 1; }

fail=0
bad() { echo "# $name: $*"; fail=1; }

# byte $2 (decimal offset) of file $1, as two hex digits
byte() { od -An -tx1 -j "$2" -N1 "$1" | tr -d ' \n'; }

for name in $expected; do
    sys=/sys/class/drm/card$card-$name
    out=$dbg/$name/vprime_output
    st=$(cat "$sys/status")
    [ "$st" = connected ] || bad "status $st"
    [ -r "$out" ] || { bad "$out missing"; continue; }
    sed "s/^/# $name: /" "$out"
    size=$(wc -c < "$sys/edid")
    modes=$(wc -l < "$sys/modes")
    hex=$(od -An -tx1 -v "$sys/edid" | tr -d '\n' | tr -s ' ')
    echo "# $name: EDID $size bytes, $modes modes, first $(head -1 "$sys/modes")"
    case $name in
        eDP-*)
            [ "$size" -eq 128 ] || bad "a panel's EDID has one block, not $size bytes"
            [ "$modes" -eq 1 ] || bad "a panel has one mode, not $modes"
            grep -q '^polled: none$' "$out" || bad "a panel must not be polled"
            # digital, 6 bpc (a laptop panel), DisplayPort
            [ "$(byte "$sys/edid" 20)" = 95 ] || bad "video input $(byte "$sys/edid" 20), not 6 bpc DP"
            grep -q '^monitor bpc: 6$' "$out" || bad "the kernel does not read 6 bpc"
            ;;
        DP-*)
            grep -q '^polled: hpd$' "$out" || bad "no hotplug"
            grep -q '^hdmi sink: no$' "$out" || bad "a DP sink is not HDMI"
            # digital, 10 bpc, DisplayPort
            [ "$(byte "$sys/edid" 20)" = b5 ] || bad "video input $(byte "$sys/edid" 20), not 10 bpc DP"
            grep -q '^monitor bpc: 10$' "$out" || bad "the kernel does not read 10 bpc"
            [ "$modes" -gt 1 ] || bad "only $modes modes"
            ;;
        HDMI-A-*)
            grep -q '^polled: hpd$' "$out" || bad "no hotplug"
            grep -q '^hdmi sink: yes$' "$out" || bad "the kernel does not see an HDMI sink"
            [ "$(byte "$sys/edid" 20)" = a2 ] || bad "video input $(byte "$sys/edid" 20), not 8 bpc HDMI-a"
            grep -q '^monitor bpc: 8$' "$out" || bad "the kernel does not read 8 bpc"
            case $hex in *" 65 03 0c 00 "*) ;; *) bad "no HDMI vendor block in the EDID" ;; esac
            ;;
        Virtual-*)
            grep -q '^polled: hpd$' "$out" || bad "no hotplug"
            ;;
    esac
done
exit $fail
