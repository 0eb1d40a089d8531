#!/bin/bash
# Build the vprime guest modules (guest-driver/: vprime_gpu.ko,
# vprime_display.ko, and the example importer vprime_importer.ko) against
# the guest kernel of the flavour (KERNEL=, see scripts/vprime_kernel.py):
#   default  Debian's 6.12 image and headers, unpacked into the cache
#            (never into the host's /boot, /lib/modules or /usr/src)
#   debug    vprime's debug kernel (scripts/build-kernel.sh)
#   a path   the user's own kernel build tree; its modules are installed
#            into the cache (modules_install INSTALL_MOD_PATH=...) for the
#            guest image
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/fetch.sh"
. "$DL/versions.env"

case $KFLAVOUR in
default)
    KREL=$KERNEL_ABI-amd64
    KROOT=$KDIR_ROOT/root
    KHDR=$KROOT/usr/src/linux-headers-$KREL

    # --- unpack (atomically) -------------------------------------------------
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
    ;;
debug)
    "$VPRIME_SRC/scripts/build-kernel.sh"
    KREL=$(cat "$KHDR/include/config/kernel.release")
    ;;
user)
    # The user's tree is theirs: nothing is built in it; it must have been
    # built (the kernel and, with CONFIG_MODULES, its modules).
    for f in include/config/kernel.release Module.symvers arch/x86/boot/bzImage; do
        [ -e "$KHDR/$f" ] || die "$KHDR/$f is missing: build the kernel tree first ('make bzImage modules', with O= if it uses one)"
    done
    KREL=$(cat "$KHDR/include/config/kernel.release")
    # its modules, for the guest image: installed into the cache when the
    # tree changed (its config, release, module list or kernel)
    want_stamp=$(cat "$KHDR/.config" "$KHDR/include/config/kernel.release" "$KHDR/Module.symvers" \
                     "$KHDR/modules.order" 2>/dev/null | sha256sum | cut -d' ' -f1)
    want_stamp=$want_stamp-$(stat -c %Y "$KHDR/arch/x86/boot/bzImage")
    kuser=$(dirname "$KROOT")
    if [ "$(cat "$kuser/.vprime-stamp" 2>/dev/null)" != "$want_stamp" ]; then
        log "installing the modules of $KHDR ($KREL) into $kuser"
        rm -rf "$kuser" "$MOD_BLDDIR"
        mkdir -p "$kuser"
        if grep -q '^CONFIG_MODULES=y' "$KHDR/.config"; then
            make -C "$KHDR" INSTALL_MOD_PATH="$KROOT" INSTALL_MOD_STRIP=1 modules_install \
                > "$kuser/install.log" 2>&1 ||
                { tail -20 "$kuser/install.log" >&2
                  die "modules_install of $KHDR failed (log: $kuser/install.log)"; }
        else
            die "$KHDR has no CONFIG_MODULES: vprime's drivers are modules"
        fi
        echo "$want_stamp" > "$kuser/.vprime-stamp"
    fi
    ;;
esac
case $KREL in
    6.12.*) ;;
    *) log "warning: guest kernel $KREL: vprime's drivers are written against Linux 6.12 (tested: 6.12.95); building anyway" ;;
esac

# --- sources into the build tree (only what changed) -------------------------
# guest-driver/{common,gpu,display,include} keep their layout; sources that
# left the tree leave the build tree too, with their objects.
SRC=$MOD_BLDDIR/src
mkdir -p "$SRC/hw"
(cd "$VPRIME_SRC/guest-driver" && find . -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \)) |
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

log "building guest modules against $KREL ($KFLAVOUR kernel)"
# the example importer is its own out-of-tree module (a template to copy)
build_modules() {
    make -C "$KHDR" M="$SRC" -j"$(nproc)" modules &&
        make -C "$KHDR" M="$SRC/importer" -j"$(nproc)" modules
}
# steps: a CC per source of gpu/, display/ and importer/, and per module
# (3) its common/ object (none for the importer), its .mod.o and two links
steps=$(( $(find "$SRC/gpu" "$SRC/display" "$SRC/importer" -name '*.c' | wc -l) + 4 * 3 ))
progress "guest modules" "$MOD_BLDDIR/build.log" '^ +(CC|LD) \[M\]' "$steps" -- build_modules ||
    { grep -E 'error|warning|Error' "$MOD_BLDDIR/build.log" | head -40 >&2
      die "guest module build failed (log: $MOD_BLDDIR/build.log)"; }
# Warnings are bugs in kernel code: fail on them too.
if grep -E ': warning:' "$MOD_BLDDIR/build.log" >&2; then
    die "guest module build has warnings (log: $MOD_BLDDIR/build.log)"
fi
log "guest modules ready: $SRC/vprime_gpu.ko $SRC/vprime_display.ko $SRC/importer/vprime_importer.ko"
