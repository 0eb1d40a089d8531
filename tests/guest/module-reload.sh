#!/bin/sh
# Unload both vprime modules and load them again: unbind must release every
# DRM node, rebind must bring them back with the devices working.
fail=0
for m in vprime_display vprime_gpu; do
    rmmod "$m" || { echo "# rmmod $m failed"; fail=1; }
done
for m in vprime_display vprime_gpu; do
    if [ -d "/sys/module/$m" ]; then echo "# $m still loaded"; fail=1; fi
done
left=$(ls /sys/class/drm 2>/dev/null | grep -E '^(card|renderD)[0-9]+$')
if [ -n "$left" ]; then echo "# DRM nodes left after unload: $left"; fail=1; fi

for m in vprime_gpu vprime_display; do
    modprobe "$m" || { echo "# modprobe $m failed"; fail=1; }
done
/tests/vprime-guest-test drivers-bound || fail=1
/tests/vprime-guest-test dri-nodes || fail=1
/tests/vprime-guest-test msix || fail=1
exit $fail
