#!/bin/bash
# Build the default guest image: an uncompressed initramfs (TCG unpacks a
# compressed one slowly) with busybox-static, the Debian kernel modules the
# vprime drivers need (decompressed: busybox cannot load .ko.xz), our
# modules, the guest tests and images/init.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/build-driver.sh"
. "$DL/versions.env"
KREL=$KERNEL_ABI-amd64
KROOT=$KDIR_ROOT/root
MODSRC=$MOD_BLDDIR/src
# Debian modules wanted beyond our modules' own dependencies.
# vgem: a foreign exporter for the PRIME tests; virtio_gpu: the scanout
# the display benchmark compares against.
EXTRA_MODULES=(vgem virtio_gpu)
# Standard DRM clients that must work unchanged (Debian's libdrm-tests and
# drm-info), with their shared libraries.
CLIENTS=(/usr/bin/modetest /usr/bin/drm_info)

mkdir -p "$IMG_DIR"
TESTBIN=$IMG_DIR/vprime-guest-test
# Guest test programs: static, so the image needs no libc.
if [ ! -x "$TESTBIN" ] || [ -n "$(find "$VPRIME_SRC/tests/guest" "$VPRIME_SRC/hw/vprime_regs.h" \
        "$VPRIME_SRC/guest-driver/include" -newer "$TESTBIN" -type f 2>/dev/null)" ]; then
    log "building guest test programs"
    gcc -static -O2 -Wall -Wextra -Werror -Wno-sign-compare -Wno-format-truncation \
        -I"$VPRIME_SRC/hw" -I"$VPRIME_SRC/guest-driver/include/uapi/drm" -I/usr/include/libdrm \
        -o "$TESTBIN.tmp" "$VPRIME_SRC"/tests/guest/*.c -ldrm -lz
    mv "$TESTBIN.tmp" "$TESTBIN"
fi

INPUTS=("$VPRIME_SRC/images/init" "$VPRIME_SRC"/tests/guest/run-tests "$VPRIME_SRC"/tests/guest/*.sh
        "$TESTBIN" "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko" /bin/busybox "$KDIR_ROOT/.vprime-stamp"
        "${CLIENTS[@]}")
want_stamp=$({ printf "%s\n" "${EXTRA_MODULES[@]}"; sha256sum "${INPUTS[@]}" "$0" | cut -d" " -f1; } | sha256sum | cut -d" " -f1)
if [ -f "$IMG_DIR/initramfs.cpio" ] && [ "$(cat "$IMG_DIR/.vprime-stamp" 2>/dev/null)" = "$want_stamp" ]; then
    exit 0
fi

log "building initramfs"
R=$IMG_DIR/root
rm -rf "$R" "$IMG_DIR/initramfs.cpio.tmp"
mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,tests,lib/modules/"$KREL"/extra}
cp /bin/busybox "$R/bin/busybox"
cp "$VPRIME_SRC/images/init" "$R/init"
cp "$VPRIME_SRC/tests/guest/run-tests" "$VPRIME_SRC"/tests/guest/*.sh "$TESTBIN" "$R/tests/"
cp "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko" "$R/lib/modules/$KREL/extra/"
cp "$KROOT/lib/modules/$KREL"/modules.{builtin,builtin.modinfo,order} "$R/lib/modules/$KREL/"

# DRM clients and the shared libraries they load (ldd's closure).
cp "${CLIENTS[@]}" "$R/bin/"
for lib in $(ldd "${CLIENTS[@]}" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done

# Dependency closure from the Debian kernel's own modules.dep.
wanted=("${EXTRA_MODULES[@]}")
for ko in "$MODSRC"/vprime_*.ko; do
    IFS=, read -r -a deps <<< "$(modinfo -F depends "$ko")"
    wanted+=("${deps[@]}")
done
for m in "${wanted[@]}"; do
    [ -n "$m" ] || continue
    modprobe -d "$KROOT" -S "$KREL" --show-depends "$m" |
        sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | sort -u | while read -r path; do
    rel=${path#"$KROOT"/}
    mkdir -p "$R/$(dirname "$rel")"
    xz -dc "$path" > "$R/${rel%.xz}"
done
depmod -b "$R" "$KREL"

(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$IMG_DIR/initramfs.cpio.tmp"
mv "$IMG_DIR/initramfs.cpio.tmp" "$IMG_DIR/initramfs.cpio"
echo "$want_stamp" > "$IMG_DIR/.vprime-stamp"
log "image ready: $IMG_DIR/initramfs.cpio ($(( $(stat -c %s "$IMG_DIR/initramfs.cpio") / 1024 )) KiB)"
