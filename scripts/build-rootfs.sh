#!/bin/bash
# Build the vprime root filesystem: Debian bookworm from Debian packages only
# (mmdebstrap, images/rootfs/packages; apt sources derived from the
# machine's own), plus the guest kernel's modules, vprime's modules, the
# Mesa driver for the vprime GPUs (scripts/build-mesa.sh), the rootfs init
# and tests (images/rootfs/, tests/rootfs/).  Two cached steps:
#
#   base    mmdebstrap's tarball, rebuilt only when the package list or this
#           recipe's base version changes: $VPRIME_ROOTFS_CACHE/base-KEY.tar,
#           by default in the cache every clone on the machine shares
#           ($VPRIME_CACHE/rootfs, scripts/lib.sh; $VPRIME_BUILD/rootfs
#           with VPRIME_CACHE=off or VPRIME_ROOTFS_CACHE=), built by one
#           clone at a time (a lock) and renamed into place when complete
#   image   $VPRIME_BUILD/rootfs/rootfs.ext4 (what the guest mounts) and
#           boot.cpio (the small initramfs that mounts it), rebuilt when
#           any of their inputs changes
#
# Options: --base-only (only the mmdebstrap step), --no-mesa (an image
# without vprime's Mesa driver).
. "$(dirname "$0")/lib.sh"

BASE_ONLY=0
WITH_MESA=1
for a in "$@"; do
    case $a in
        --base-only) BASE_ONLY=1 ;;
        --no-mesa) WITH_MESA=0 ;;
        *) die "build-rootfs.sh: unknown option $a" ;;
    esac
done

# The image carries Debian's kernel's modules (and vprime's, built for it):
# another kernel flavour's modules would not load.  make check goes on
# without it; the harness declares the rootfs suite skipped.
if [ "$KFLAVOUR" != default ]; then
    log "rootfs: not built for KERNEL=$KFLAVOUR_SPEC: the rootfs boots Debian's kernel only"
    exit 0
fi

"$VPRIME_SRC/scripts/setup-host.sh" mmdebstrap e2fsprogs
RFS=$VPRIME_BUILD/rootfs
CACHE=${VPRIME_ROOTFS_CACHE:-$RFS}
mkdir -p "$RFS" "$CACHE"

# --- base system (mmdebstrap) ----------------------------------------------
# Bump when the mmdebstrap options below change.
BASE_RECIPE=1
PKGS=$(sed 's/#.*//' "$VPRIME_SRC/images/rootfs/packages" | xargs)
"$PYTHON" "$VPRIME_SRC/scripts/gen-apt-sources.py" deb bookworm bookworm-updates bookworm-backports \
    > "$RFS/apt.sources.tmp"
mv "$RFS/apt.sources.tmp" "$RFS/apt.sources"
BASE_KEY=$({ echo "$BASE_RECIPE"; echo "$PKGS"; cat "$RFS/apt.sources"; } | sha256sum | cut -c1-16)
BASE_TAR=$CACHE/base-$BASE_KEY.tar
if [ ! -s "$BASE_TAR" ]; then
    # One clone at a time builds a base and fills debs/ in a shared cache;
    # the others wait, then find the tarball it renamed into place.
    exec 8> "$CACHE/.lock"
    if ! flock -n 8; then
        log "rootfs: waiting for another clone's base system build in $CACHE"
        flock 8
    fi
fi
if [ ! -s "$BASE_TAR" ]; then
    log "rootfs: building the Debian base system with mmdebstrap ($(echo "$PKGS" | wc -w) packages" \
        "and their dependencies; log: $RFS/mmdebstrap.log)"
    t0=$(date +%s)
    # Progress: mmdebstrap's own phase lines, as they come.
    # Documentation and translations are left out (copyright files stay).
    # The .deb files are kept in $CACHE/debs for the next base (apt checks
    # them against the archive's signed indexes before it uses them).
    mkdir -p "$CACHE/debs"
    rm -f "$BASE_TAR.tmp"     # a killed build's
    if ! mmdebstrap --variant=apt --mode=root --format=tar \
        --skip=download/empty --skip=essential/unlink \
        --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
        --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
        --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
        --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
        --aptopt='APT::Install-Recommends "false"' \
        --aptopt='Acquire::Retries "3"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --include="$(echo "$PKGS" | tr ' ' ',')" \
        --customize-hook='chroot "$1" dpkg-query -W -f="\${Package} \${Version}\n" > "$1/usr/share/vprime-packages.txt"' \
        bookworm "$BASE_TAR.tmp" "$RFS/apt.sources" 2>&1 |
        tee "$RFS/mmdebstrap.log" | sed -n 's/^I: \(.*\)/[vprime] rootfs: mmdebstrap: \1/p' >&2; then
        tail -30 "$RFS/mmdebstrap.log" >&2
        rm -f "$BASE_TAR.tmp"
        die "mmdebstrap failed (log: $RFS/mmdebstrap.log)"
    fi
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    echo "$(( $(date +%s) - t0 ))" > "$BASE_TAR.seconds"
    log "rootfs: base system built in $(cat "$BASE_TAR.seconds") s: $BASE_TAR" \
        "($(( $(stat -c %s "$BASE_TAR") >> 20 )) MiB)"
    # older bases of this checkout's cache go (a shared cache keeps them)
    [ "$CACHE" != "$RFS" ] || find "$RFS" -maxdepth 1 -name 'base-*.tar*' ! -name "base-$BASE_KEY.tar*" -delete
fi
exec 8>&-       # the lock, if taken: the rest is this clone's own
echo "$BASE_TAR" > "$RFS/base-path"
[ "$BASE_ONLY" = 0 ] || exit 0

# --- what goes on top --------------------------------------------------------
"$VPRIME_SRC/scripts/build-image.sh"    # modules, the guest test program
if [ "$WITH_MESA" = 1 ]; then
    "$VPRIME_SRC/scripts/build-mesa.sh" "$BASE_TAR"
fi
. "$DL/versions.env"
KREL=$KERNEL_ABI-amd64
KROOT=$KDIR_ROOT/root
MODSRC=$MOD_BLDDIR/src
MESA_OUT=$VPRIME_BUILD/mesa/install

INPUTS=("$BASE_TAR" "$KDIR_ROOT/.vprime-stamp" "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko"
        "$IMG_DIR/vprime-guest-test" /bin/busybox "$0")
mapfile -t -O ${#INPUTS[@]} INPUTS < <(find "$VPRIME_SRC/images/rootfs" "$VPRIME_SRC/tests/rootfs" \
                                        -type f | LC_ALL=C sort)
if [ "$WITH_MESA" = 1 ]; then
    mapfile -t -O ${#INPUTS[@]} INPUTS < <(find "$MESA_OUT" -type f | LC_ALL=C sort)
fi
want_stamp=$({ echo "mesa=$WITH_MESA"; printf '%s\n' "${INPUTS[@]}"; sha256sum "${INPUTS[@]}" | cut -d' ' -f1; } |
             sha256sum | cut -d' ' -f1)
if [ -f "$RFS/rootfs.ext4" ] && [ -f "$RFS/boot.cpio" ] &&
   [ "$(cat "$RFS/.vprime-stamp" 2>/dev/null)" = "$want_stamp" ]; then
    exit 0
fi

t0=$(date +%s)
log "rootfs: assembling the image (base + kernel modules + vprime)"
S=$RFS/stage
rm -rf "$S" "$RFS/rootfs.ext4.tmp"
mkdir -p "$S"
tar -xf "$BASE_TAR" -C "$S"

# The guest kernel's modules (compressed, as Debian ships them) and
# vprime's; udev loads vprime_gpu and vprime_display by PCI alias.
mkdir -p "$S/usr/lib/modules"
cp -a "$KROOT/lib/modules/$KREL" "$S/usr/lib/modules/"
mkdir -p "$S/usr/lib/modules/$KREL/updates/vprime"
cp "$MODSRC/vprime_gpu.ko" "$MODSRC/vprime_display.ko" "$S/usr/lib/modules/$KREL/updates/vprime/"
depmod -b "$S" "$KREL"

# vprime's init, tests and the guest test program of the initramfs
install -D -m 0755 "$VPRIME_SRC/images/rootfs/init" "$S/usr/lib/vprime/init"
mkdir -p "$S/usr/lib/vprime/tests"
cp -r "$VPRIME_SRC/tests/rootfs/." "$S/usr/lib/vprime/tests/"
install -m 0755 "$IMG_DIR/vprime-guest-test" "$S/usr/lib/vprime/tests/vprime-guest-test"
# files a distribution's packages of the vprime drivers would ship
cp -r "$VPRIME_SRC/images/rootfs/files/." "$S/"

if [ "$WITH_MESA" = 1 ]; then
    # vprime's Mesa driver beside Debian's DRI drivers (see build-mesa.sh)
    cp -a "$MESA_OUT/." "$S/"
fi

echo vprime > "$S/etc/hostname"
# a user for what refuses to run as root (sway), in the groups that give
# the seat (seatd -g video) and the render nodes
echo "vprime:x:1000:1000:vprime:/home/vprime:/bin/bash" >> "$S/etc/passwd"
echo "vprime:x:1000:" >> "$S/etc/group"
echo "vprime::20000:0:99999:7:::" >> "$S/etc/shadow"
sed -i -E '/^(video|render):/ { s/:$/:vprime/; t; s/$/,vprime/ }' "$S/etc/group"
install -d -o 1000 -g 1000 -m 0755 "$S/home/vprime"
# root logs in without a password on the serial console (a testbed)
sed -i 's/^root:[^:]*:/root::/' "$S/etc/shadow"

# ext4 image: the tree's size plus room for the journal and metadata
kib=$(du -sk "$S" | cut -f1)
size_mib=$(( (kib * 115 / 100) / 1024 + 128 ))
mke2fs -q -t ext4 -L vprime-rootfs -m 0 -E lazy_itable_init=0 -d "$S" "$RFS/rootfs.ext4.tmp" "${size_mib}M" ||
    die "mke2fs failed"
mv "$RFS/rootfs.ext4.tmp" "$RFS/rootfs.ext4"

# boot.cpio: busybox and the modules that mount the image
B=$RFS/boot
rm -rf "$B"
mkdir -p "$B"/{bin,dev,proc,sys,lib/modules/"$KREL"}
cp /bin/busybox "$B/bin/busybox"
install -m 0755 "$VPRIME_SRC/images/rootfs/boot-init" "$B/init"
cp "$KROOT/lib/modules/$KREL"/modules.{builtin,builtin.modinfo,order} "$B/lib/modules/$KREL/"
for m in virtio_blk crc32c_generic ext4 overlay; do
    modprobe -d "$KROOT" -S "$KREL" --show-depends "$m" | sed -n 's/^insmod \([^ ]*\).*/\1/p'
done | sort -u | while read -r path; do
    rel=${path#"$KROOT"/}
    mkdir -p "$B/$(dirname "$rel")"
    xz -dc "$path" > "$B/${rel%.xz}"
done
depmod -b "$B" "$KREL"
(cd "$B" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$RFS/boot.cpio.tmp"
mv "$RFS/boot.cpio.tmp" "$RFS/boot.cpio"
rm -rf "$S" "$B"
echo "$want_stamp" > "$RFS/.vprime-stamp"
log "rootfs: image ready in $(( $(date +%s) - t0 )) s: $RFS/rootfs.ext4" \
    "($(( $(stat -c %s "$RFS/rootfs.ext4") >> 20 )) MiB, $(( kib >> 10 )) MiB used)"
