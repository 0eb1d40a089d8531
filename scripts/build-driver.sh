#!/bin/bash
# Unpack the guest kernel packages into the cache (never into the host's
# /boot, /lib/modules or /usr/src) and build the vprime guest modules
# against their headers.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/fetch.sh"
. "$DL/versions.env"

KREL=$KERNEL_ABI-amd64
KROOT=$KDIR_ROOT/root
KHDR=$KROOT/usr/src/linux-headers-$KREL

# --- unpack (atomically) -----------------------------------------------------
want_stamp=$(grep -E ' linux-(image|headers|kbuild)-' "$DL/MANIFEST" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$KDIR_ROOT/.vprime-stamp" 2>/dev/null)" != "$want_stamp" ]; then
    log "unpacking guest kernel $KREL into $KDIR_ROOT"
    rm -rf "$KDIR_ROOT" "$KDIR_ROOT.tmp" "$MOD_BLDDIR"
    mkdir -p "$KDIR_ROOT.tmp/root"
    for p in image headers-amd64 headers-common kbuild; do
        case $p in
            image)          deb=$DL/linux-image-${KREL}_*.deb ;;
            headers-amd64)  deb=$DL/linux-headers-${KREL}_*.deb ;;
            headers-common) deb=$DL/linux-headers-${KERNEL_ABI}-common_*.deb ;;
            kbuild)         deb=$DL/linux-kbuild-${KERNEL_ABI}_*.deb ;;
        esac
        # shellcheck disable=SC2086
        dpkg-deb -x $deb "$KDIR_ROOT.tmp/root"
    done
    # The headers' Makefile includes the -common tree by its absolute
    # /usr/src path: point it at our copy.
    sed -i "s#/usr/src/#$KDIR_ROOT/root/usr/src/#g" \
        "$KDIR_ROOT.tmp/root/usr/src/linux-headers-$KREL/Makefile"
    depmod -b "$KDIR_ROOT.tmp/root" "$KREL"
    echo "$want_stamp" > "$KDIR_ROOT.tmp/.vprime-stamp"
    mv "$KDIR_ROOT.tmp" "$KDIR_ROOT"
    sed -i "s#$KDIR_ROOT.tmp/#$KDIR_ROOT/#g" "$KHDR/Makefile"
fi

# --- sources into the build tree (only what changed) -------------------------
# guest-driver/{common,gpu,display,include} keep their layout; sources that
# left the tree leave the build tree too, with their objects.
SRC=$MOD_BLDDIR/src
mkdir -p "$SRC/hw"
(cd "$VPRIME_SRC/guest-driver" && find . -type f \( -name '*.[ch]' -o -name Kbuild \)) |
while read -r f; do
    mkdir -p "$SRC/$(dirname "$f")"
    cmp -s "$VPRIME_SRC/guest-driver/$f" "$SRC/$f" || cp "$VPRIME_SRC/guest-driver/$f" "$SRC/$f"
done
(cd "$SRC" && find . -path ./hw -prune -o -type f -name '*.[ch]' -print) |
while read -r f; do
    [ -e "$VPRIME_SRC/guest-driver/$f" ] || rm -f "$SRC/$f" "$SRC/${f%.c}.o"
done
cmp -s "$VPRIME_SRC/hw/vprime_regs.h" "$SRC/hw/vprime_regs.h" ||
    cp "$VPRIME_SRC/hw/vprime_regs.h" "$SRC/hw/vprime_regs.h"

log "building guest modules against $KREL"
# steps: a CC per source of gpu/ and display/, and per module (2) its
# common/ object, its .mod.o and two links
steps=$(( $(find "$SRC/gpu" "$SRC/display" -name '*.c' | wc -l) + 4 * 2 ))
progress "guest modules" "$MOD_BLDDIR/build.log" '^ +(CC|LD) \[M\]' "$steps" -- \
    make -C "$KHDR" M="$SRC" -j"$(nproc)" modules ||
    { grep -E 'error|warning|Error' "$MOD_BLDDIR/build.log" | head -40 >&2
      die "guest module build failed (log: $MOD_BLDDIR/build.log)"; }
# Warnings are bugs in kernel code: fail on them too.
if grep -E ': warning:' "$MOD_BLDDIR/build.log" >&2; then
    die "guest module build has warnings (log: $MOD_BLDDIR/build.log)"
fi
log "guest modules ready: $SRC/vprime_gpu.ko $SRC/vprime_display.ko"
