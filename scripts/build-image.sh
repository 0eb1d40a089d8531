#!/bin/bash
# Build the guest image of the kernel flavour (KERNEL=): an uncompressed initramfs (TCG unpacks a
# compressed one slowly) with busybox-static, the flavour's kernel modules
# the vprime drivers need (decompressed: busybox cannot load .ko.xz), our
# modules (with the example importer), the guest tests and images/init.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/build-driver.sh"
. "$DL/versions.env"
# the flavour's kernel release and modules (KERNEL=, scripts/vprime_kernel.py)
if [ "$KFLAVOUR" = default ]; then
    KREL=$KERNEL_ABI-amd64
    KROOT=$KDIR_ROOT/root
else
    KREL=$(cat "$KHDR/include/config/kernel.release")
fi
KSTAMP=$(dirname "$KROOT")/.vprime-stamp
MODSRC=$MOD_BLDDIR/src
# Kernel modules wanted beyond our modules' own dependencies, where the
# flavour's kernel has them.  vgem: a foreign exporter for the PRIME
# tests; virtio_gpu: the scanout the display benchmark compares against;
# vkms and dmabuf_selftests (debug kernel): for driver authors, not
# loaded unless asked.
EXTRA_MODULES=(vgem virtio_gpu vkms dmabuf_selftests)
# Standard DRM clients that must work unchanged (Debian's libdrm-tests and
# drm-info), with their shared libraries.
CLIENTS=(/usr/bin/modetest /usr/bin/drm_info)

mkdir -p "$IMG_DIR"
TESTBIN=$IMG_DIR/vprime-guest-test
IMPORTBIN=$IMG_DIR/vprime-import
IMPORTER=$VPRIME_SRC/guest-driver/importer
# Guest test programs: static, so the image needs no libc.  The example
# importer's userspace side is its own program (/bin/vprime-import) and
# part of the tests.
CFLAGS=(-static -O2 -Wall -Wextra -Werror -Wno-sign-compare -Wno-format-truncation
        -I"$VPRIME_SRC/hw" -I"$VPRIME_SRC/guest-driver/include/uapi/drm" -I/usr/include/libdrm
        -I"$IMPORTER")
if [ ! -x "$TESTBIN" ] || [ ! -x "$IMPORTBIN" ] ||
   [ -n "$(find "$VPRIME_SRC/tests/guest" "$VPRIME_SRC/hw/vprime_regs.h" "$IMPORTER" \
        "$VPRIME_SRC/guest-driver/include" -newer "$TESTBIN" -type f 2>/dev/null)" ]; then
    log "building guest test programs"
    gcc "${CFLAGS[@]}" -o "$IMPORTBIN.tmp" "$IMPORTER/vprime-import.c"
    gcc "${CFLAGS[@]}" -DVPRIME_IMPORT_LIB -o "$TESTBIN.tmp" "$VPRIME_SRC"/tests/guest/*.c \
        "$IMPORTER/vprime-import.c" -ldrm -lz
    mv "$IMPORTBIN.tmp" "$IMPORTBIN"
    mv "$TESTBIN.tmp" "$TESTBIN"
fi

INPUTS=("$VPRIME_SRC/images/init" "$VPRIME_SRC"/tests/guest/run-tests "$VPRIME_SRC"/tests/guest/*.sh
        "$TESTBIN" "$IMPORTBIN" "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko"
        "$MODSRC/importer/vprime_importer.ko"
        /bin/busybox "$KSTAMP" "${CLIENTS[@]}")
want_stamp=$({ printf "%s\n" "${EXTRA_MODULES[@]}"; sha256sum "${INPUTS[@]}" "$0" | cut -d" " -f1; } | sha256sum | cut -d" " -f1)
# The flavour's kernel uncompressed, when it has a PVH entry (Debian's
# has, CONFIG_PVH): QEMU loads such an ELF itself and starts it in
# 32-bit mode, so the guest neither decompresses nor relocates it, which
# costs seconds under TCG.  vprime-launch boots it when it is newer than
# the bzImage it came from.
extract_pvh() {
    local out=$IMG_DIR/vmlinux
    [ -f "$KERNEL_IMAGE" ] || return 0
    [ "$out" -nt "$KERNEL_IMAGE" ] && return 0
    rm -f "$out"
    "$PYTHON" - "$KERNEL_IMAGE" "$out.tmp" <<'EOP' || { rm -f "$out.tmp"; return 0; }
import lzma, struct, subprocess, sys, zlib
k = open(sys.argv[1], "rb").read()
if k[0x202:0x206] != b"HdrS":
    sys.exit("not a bzImage")
start = ((k[0x1f1] or 4) + 1) * 512
off, size = struct.unpack_from("<II", k, 0x248)      # payload_offset, payload_length
payload = k[start + off:start + off + size]
if payload[:4] == b"\x28\xb5\x2f\xfd":                # zstd
    elf = subprocess.run(["zstd", "-dcq"], input=payload, stdout=subprocess.PIPE).stdout
elif payload[:2] == b"\x1f\x8b":                       # gzip
    elf = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
elif payload[:6] == b"\xfd7zXZ\x00":                   # xz
    elf = lzma.LZMADecompressor().decompress(payload)
else:
    sys.exit("payload compression not handled")
if elf[:4] != b"\x7fELF":
    sys.exit("payload is not an ELF")
open(sys.argv[2], "wb").write(elf)
EOP
    # only with the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, type 18)
    if readelf -n "$out.tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
        mv "$out.tmp" "$out"
        log "uncompressed PVH kernel: $out"
    else
        rm -f "$out.tmp"
        log "the $KFLAVOUR kernel has no PVH entry: it boots compressed"
    fi
}
extract_pvh

if [ -f "$IMG_DIR/initramfs.cpio" ] && [ "$(cat "$IMG_DIR/.vprime-stamp" 2>/dev/null)" = "$want_stamp" ]; then
    exit 0
fi

log "building initramfs"
R=$IMG_DIR/root
rm -rf "$R" "$IMG_DIR/initramfs.cpio.tmp"
mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,tests,lib/modules/"$KREL"/extra}
cp /bin/busybox "$R/bin/busybox"
# busybox's applets as links in /bin, made here rather than by /init at
# every boot (images/init)
for a in $(/bin/busybox --list); do
    [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
cp "$VPRIME_SRC/images/init" "$R/init"
cp "$VPRIME_SRC/tests/guest/run-tests" "$VPRIME_SRC"/tests/guest/*.sh "$TESTBIN" "$R/tests/"
cp "$IMPORTBIN" "$R/bin/"
cp "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko" "$MODSRC/importer/vprime_importer.ko" \
   "$R/lib/modules/$KREL/extra/"
echo "$KFLAVOUR $KREL" > "$R/kernel-flavour"
cp "$KROOT/lib/modules/$KREL"/modules.{builtin,builtin.modinfo,order} "$R/lib/modules/$KREL/"

# DRM clients and the shared libraries they load (ldd's closure).
cp "${CLIENTS[@]}" "$R/bin/"
for lib in $(ldd "${CLIENTS[@]}" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u); do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done

# Dependency closure from the Debian kernel's own modules.dep.
wanted=()
for m in "${EXTRA_MODULES[@]}"; do
    if modprobe -d "$KROOT" -S "$KREL" --show-depends "$m" >/dev/null 2>&1; then
        wanted+=("$m")
    elif [ "$KFLAVOUR" = default ] && [ "$m" != vkms ] && [ "$m" != dmabuf_selftests ]; then
        die "module $m not found in $KROOT"
    else
        log "the $KFLAVOUR kernel has no module $m: left out of the image"
    fi
done
for ko in "$MODSRC"/vprime_*.ko "$MODSRC"/importer/vprime_*.ko; do
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
    # busybox cannot load compressed modules
    case $path in
        *.xz)  xz -dc "$path" > "$R/${rel%.xz}" ;;
        *.gz)  gzip -dc "$path" > "$R/${rel%.gz}" ;;
        *.zst) zstd -qdc "$path" > "$R/${rel%.zst}" ;;
        *)     cp "$path" "$R/$rel" ;;
    esac
done
# Modules without their signature, BTF and debug info: the guest's kernel
# hashes a signed module to check it (against no key of ours: the module
# taints E either way) and parses a module's BTF against the kernel's at
# load, both slow under TCG, and no test uses them; the debug info (two
# thirds of vprime's modules, which keep it in $MOD_BLDDIR for a host's
# addr2line) only makes the image longer to unpack and load.
find "$R/lib/modules" -name '*.ko' -exec objcopy --remove-section=.BTF \
    --remove-section=.BTF.base --strip-debug {} \;
depmod -b "$R" "$KREL"

(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$IMG_DIR/initramfs.cpio.tmp"
mv "$IMG_DIR/initramfs.cpio.tmp" "$IMG_DIR/initramfs.cpio"
echo "$want_stamp" > "$IMG_DIR/.vprime-stamp"
log "image ready: $IMG_DIR/initramfs.cpio ($(( $(stat -c %s "$IMG_DIR/initramfs.cpio") / 1024 )) KiB)"
