#!/bin/bash
# Build vprime's Mesa driver for the rootfs: vprime_gpu_dri.so and
# vprime_display_dri.so, from Debian's mesa source package of exactly the
# version the rootfs has (the DRI interface between Debian's libEGL/libgbm/
# libGLX and a DRI driver is internal to one Mesa version).
#
#   usage: build-mesa.sh BASE_TAR     (the rootfs base: scripts/build-rootfs.sh)
#
# Steps, each cached: the source package (apt-get source, verified by apt
# against the signed index) in $VPRIME_MESA_CACHE; unpacked with Debian's
# own patches, then guest-driver/mesa/patches/ and the driver's sources
# (guest-driver/mesa/vprime/, with hw/vprime_regs.h and the vprime_gpu
# uapi header) in TREE/src; configured for gallium
# swrast + vprime only (no Vulkan, no other driver); and only the DRI
# megadriver built (TREE/build).  A change to the driver's sources rebuilds
# only them.  The result: $VPRIME_BUILD/mesa/install/.
#
# VPRIME_MESA_CACHE is by default in the cache every clone on the machine
# shares ($VPRIME_CACHE/mesa, scripts/lib.sh), and TREE a tree in it:
# $VPRIME_MESA_CACHE/tree-KEY (KEY: the Mesa version and guest-driver/mesa/
# patches/).  Only the first clone builds Mesa; the others recompile at
# most the driver's own files.  Everything from the download to the copy
# of the result into this clone's install/ happens under one lock
# ($VPRIME_MESA_CACHE/.lock), and each clone puts its own driver sources
# into the tree (exactly those: files it does not have are removed)
# before it builds, so what one clone changes in the driver reaches only
# its own result.  With VPRIME_CACHE=off or VPRIME_MESA_CACHE= the source
# package is in $VPRIME_BUILD/dl/mesa and TREE is $VPRIME_BUILD/mesa.
. "$(dirname "$0")/lib.sh"

BASE_TAR=${1:?usage: build-mesa.sh BASE_TAR}
MESA_DIR=$VPRIME_BUILD/mesa
MESA_DL=${VPRIME_MESA_CACHE:-$DL/mesa}
OUT=$MESA_DIR/install
MULTIARCH=x86_64-linux-gnu
# Debian's python3 (with python3-mako), not a pyenv/venv shim first in PATH
export PATH=/usr/bin:/bin:$PATH

# What Debian's mesa needs to build this subset, from bookworm.
"$VPRIME_SRC/scripts/setup-host.sh" llvm-15-dev python3-mako libexpat1-dev libzstd-dev \
    zlib1g-dev libdrm-dev bison flex pkg-config ninja-build dpkg-dev

VERSION=$(tar -xOf "$BASE_TAR" ./usr/share/vprime-packages.txt | awk '$1 == "libgbm1" { print $2 }')
[ -n "$VERSION" ] || die "the rootfs base $BASE_TAR has no libgbm1: cannot tell its Mesa version"
UPSTREAM=${VERSION#*:}; UPSTREAM=${UPSTREAM%-*}

# --- the source package --------------------------------------------------------
mkdir -p "$MESA_DL" "$MESA_DIR"
if [ -n "${VPRIME_MESA_CACHE:-}" ]; then
    # one clone at a time in the shared cache (held until this script exits)
    exec 9> "$VPRIME_MESA_CACHE/.lock"
    if ! flock -n 9; then
        log "mesa: waiting for another clone's build in $VPRIME_MESA_CACHE"
        flock 9
    fi
fi
DSC=$MESA_DL/mesa_${VERSION#*:}.dsc
# the files the .dsc lists, with its sha256 sums (apt checked the .dsc
# against the signed Sources index when it fetched it)
dsc_ok() {
    [ -s "$DSC" ] || return 1
    sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\)/\1  \2/p' "$DSC" |
        (cd "$MESA_DL" && sha256sum --quiet --strict -c -) >/dev/null 2>&1
}
if ! dsc_ok; then
    mkdir -p "$APTDIR/state/lists/partial" "$APTDIR/sources.list.d"
    [ -s "$APTDIR/sources.list.d/vprime.sources" ] || "$VPRIME_SRC/scripts/fetch.sh"
    log "mesa: downloading Debian's mesa $VERSION source package (apt-get source)"
    (cd "$MESA_DL" && papt apt-get source -q --download-only "mesa=$VERSION") \
        > "$MESA_DIR/fetch.log" 2>&1 ||
        { tail -20 "$MESA_DIR/fetch.log" >&2; die "apt-get source mesa=$VERSION failed (log: $MESA_DIR/fetch.log)"; }
fi

# --- unpacked, Debian's patches, ours ------------------------------------------
UNPACK_KEY=$({ echo "$VERSION"; cat "$VPRIME_SRC"/guest-driver/mesa/patches/*.patch; } | sha256sum | cut -c1-16)
if [ -n "${VPRIME_MESA_CACHE:-}" ]; then
    TREE=$VPRIME_MESA_CACHE/tree-$UNPACK_KEY
    mkdir -p "$TREE"
else
    TREE=$MESA_DIR
fi
SRC=$TREE/src
BLD=$TREE/build
log "mesa: build tree $TREE"
if [ "$(cat "$SRC/.vprime-stamp" 2>/dev/null)" != "$UNPACK_KEY" ]; then
    log "mesa: unpacking $VERSION with Debian's patches and guest-driver/mesa/patches/"
    rm -rf "$SRC" "$SRC.tmp" "$BLD" "$OUT"
    dpkg-source --no-check -x "$DSC" "$SRC.tmp" > "$MESA_DIR/unpack.log" 2>&1 ||
        { cat "$MESA_DIR/unpack.log" >&2; die "dpkg-source -x $DSC failed"; }
    # format 1.0: Debian applies debian/patches/series at build time (quilt)
    while read -r p; do
        case $p in ''|\#*) continue ;; esac
        patch -d "$SRC.tmp" -p1 -s --no-backup-if-mismatch < "$SRC.tmp/debian/patches/$p" ||
            die "Debian's patch $p does not apply"
    done < "$SRC.tmp/debian/patches/series"
    for p in "$VPRIME_SRC"/guest-driver/mesa/patches/*.patch; do
        patch -d "$SRC.tmp" -p1 -s --no-backup-if-mismatch < "$p" ||
            die "$(basename "$p") does not apply to mesa $VERSION"
    done
    echo "$UNPACK_KEY" > "$SRC.tmp/.vprime-stamp"
    mv "$SRC.tmp" "$SRC"
fi

# The driver's sources and the two headers it shares with the kernel and
# the hardware, exactly: copied only when changed (ninja rebuilds what they
# touch), and a file this clone does not have (another clone's) removed.
DRV=$SRC/src/gallium/drivers/vprime
mkdir -p "$DRV"
DRV_FILES=("$VPRIME_SRC"/guest-driver/mesa/vprime/* "$VPRIME_SRC/hw/vprime_regs.h"
           "$VPRIME_SRC/guest-driver/include/uapi/drm/vprime_drm.h")
for f in "${DRV_FILES[@]}"; do
    cmp -s "$f" "$DRV/$(basename "$f")" || cp "$f" "$DRV/"
done
for f in "$DRV"/*; do
    name=$(basename "$f")
    printf '%s\n' "${DRV_FILES[@]##*/}" | grep -qxF "$name" || rm -rf "$f"
done

# --- configure: swrast (llvmpipe) and vprime, the DRI megadriver only ------------
if [ ! -f "$BLD/build.ninja" ]; then
    log "mesa: configuring (gallium swrast + vprime, no Vulkan; log: $MESA_DIR/configure.log)"
    # As Debian configures it where it matters to a DRI driver (GL, GLES2,
    # shared glapi, LLVM, dri3, release without asserts); no EGL platform
    # or GLX: only the driver is used, Debian's loaders load it.
    meson setup "$BLD" "$SRC" --buildtype=release -Doptimization=1 -Db_ndebug=true \
        -Dgallium-drivers=swrast,vprime -Dvulkan-drivers= -Dplatforms= \
        -Dglx=disabled -Degl=enabled -Dgbm=enabled -Dgles1=disabled -Dgles2=enabled \
        -Dshared-glapi=enabled -Dglvnd=false -Dllvm=enabled -Dshared-llvm=enabled \
        -Ddri3=enabled -Dgallium-vdpau=disabled -Dgallium-va=disabled -Dgallium-xa=disabled \
        -Dgallium-nine=false -Dgallium-opencl=disabled -Dgallium-omx=disabled \
        -Dosmesa=false -Dvalgrind=disabled -Dlibunwind=disabled -Dlmsensors=disabled \
        -Dbuild-tests=false -Dzstd=enabled \
        -Ddri-drivers-path=/usr/lib/$MULTIARCH/dri > "$MESA_DIR/configure.log" 2>&1 ||
        { tail -30 "$MESA_DIR/configure.log" >&2; rm -rf "$BLD"; die "mesa configure failed (log: $MESA_DIR/configure.log)"; }
fi

# --- build -----------------------------------------------------------------------
TARGET=src/gallium/targets/dri/libgallium_dri.so
if ! ninja -C "$BLD" -n "$TARGET" 2>/dev/null | grep -q 'no work to do'; then
    t0=$(date +%s)
    log "mesa: building the DRI megadriver with vprime (log: $MESA_DIR/build.log)"
    # Progress: a line every 10 % of ninja's steps.
    ninja -C "$BLD" -j"$(nproc)" "$TARGET" 2>&1 | tee "$MESA_DIR/build.log" | {
        last=0
        while IFS= read -r line; do
            [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] || continue
            pct=$(( BASH_REMATCH[1] * 10 / BASH_REMATCH[2] * 10 ))
            if [ "$pct" -gt "$last" ]; then
                last=$pct
                log "mesa: $pct % ($((BASH_REMATCH[1])) of $((BASH_REMATCH[2])) steps, $(( $(date +%s) - t0 )) s)"
            fi
        done; }
    [ "${PIPESTATUS[0]}" = 0 ] ||
        { grep -E 'error|Error' "$MESA_DIR/build.log" | head -30 >&2; die "mesa build failed (log: $MESA_DIR/build.log)"; }
    # the figure only for a build that compiled something; the tree keeps
    # every build's (date, seconds, files compiled): a fresh one is the
    # line with ~920 files, a change of the driver's own file 1
    ncc=$(grep -c 'Compiling' "$MESA_DIR/build.log" || true)
    if [ "$ncc" -gt 0 ]; then
        echo "$(( $(date +%s) - t0 ))" > "$MESA_DIR/build-seconds"
        echo "$(date -u +%FT%TZ) $(cat "$MESA_DIR/build-seconds") s $ncc files" >> "$TREE/build-history"
        log "mesa: built in $(cat "$MESA_DIR/build-seconds") s ($ncc files compiled)"
    fi
fi

# --- what the rootfs gets ----------------------------------------------------------
D=$OUT/usr/lib/$MULTIARCH/dri
if ! cmp -s "$BLD/$TARGET" "$D/vprime_gpu_dri.so"; then
    rm -rf "$OUT"
    mkdir -p "$D"
    cp "$BLD/$TARGET" "$D/vprime_gpu_dri.so"
    ln -s vprime_gpu_dri.so "$D/vprime_display_dri.so"
    echo "$VERSION" > "$MESA_DIR/version"
    log "mesa: vprime_gpu_dri.so and vprime_display_dri.so for mesa $VERSION in $OUT"
fi
