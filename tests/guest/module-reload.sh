#!/bin/sh
# Unload both vprime modules and load them again: unbind must release every
# DRM node, rebind must bring them back with the devices working.
fail=0
# Files released from kernel workers (a dma-buf dropped by a job's cleanup)
# are closed by delayed work: allow a moment before calling it a leak.
unload() {
    i=0
    while [ $i -lt 50 ]; do
        rmmod "$1" 2>/dev/null && return 0
        i=$((i + 1))
        sleep 0.1
    done
    rmmod "$1"
}
for m in vprime_display vprime_gpu; do
    if ! unload "$m"; then
        # what pins it: references, and dma-bufs still alive (exporter)
        echo "# rmmod $m failed: refcnt $(cat /sys/module/$m/refcnt 2>/dev/null)"
        grep -E '^[0-9a-f]{8}|exp_name|^Total' /sys/kernel/debug/dma_buf/bufinfo 2>/dev/null |
            head -20 | sed 's/^/#   /'
        fail=1
    fi
done
for m in vprime_display vprime_gpu; do
    if [ -d "/sys/module/$m" ]; then echo "# $m still loaded"; fail=1; fi
done
# Other drivers' nodes (vgem) may stay; none may belong to a vprime device.
for n in /sys/class/drm/card* /sys/class/drm/renderD*; do
    [ -e "$n/device/vendor" ] || continue
    if [ "$(cat "$n/device/vendor")" = 0x1af4 ]; then
        echo "# DRM node left after unload: ${n##*/}"; fail=1
    fi
done

for m in vprime_gpu vprime_display; do
    modprobe "$m" || { echo "# modprobe $m failed"; fail=1; }
done
/tests/vprime-guest-test drivers-bound || fail=1
/tests/vprime-guest-test dri-nodes || fail=1
/tests/vprime-guest-test msix || fail=1
exit $fail
