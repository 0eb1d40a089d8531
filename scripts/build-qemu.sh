#!/bin/bash
# Build vprime's QEMU: the upstream 10.0.2 tarball from Debian, our patch
# series from qemu-patches/, and our device models from hw/ (copied to
# hw/vprime) and qtests (with their shared header) from tests/qtest/.
# Only x86_64-softmmu with the few features vprime needs.  Incremental: a
# second run rebuilds only what changed.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/fetch.sh"
. "$DL/versions.env"

# --- unpack + patch (atomically: a half-unpacked tree is never used) --------
want_stamp=$( { echo "$QEMU_ORIG_SHA256"; cat "$VPRIME_SRC"/qemu-patches/*.patch; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$QEMU_SRCDIR/.vprime-stamp" 2>/dev/null)" != "$want_stamp" ]; then
    log "unpacking $QEMU_ORIG and applying qemu-patches/"
    rm -rf "$QEMU_SRCDIR" "$QEMU_SRCDIR.tmp" "$QEMU_BLDDIR" \
           "$VPRIME_BUILD/qemu-build" "$VPRIME_BUILD/qemu-build-asan"
    mkdir -p "$QEMU_SRCDIR.tmp"
    tar -xf "$DL/$QEMU_ORIG" -C "$QEMU_SRCDIR.tmp" --strip-components=1
    for p in "$VPRIME_SRC"/qemu-patches/*.patch; do
        patch -d "$QEMU_SRCDIR.tmp" -p1 --quiet --forward < "$p" ||
            die "patch $(basename "$p") does not apply to $QEMU_ORIG"
    done
    echo "$want_stamp" > "$QEMU_SRCDIR.tmp/.vprime-stamp"
    mv "$QEMU_SRCDIR.tmp" "$QEMU_SRCDIR"
fi

# --- our sources into the tree; copy only what changed so ninja's
# timestamps stay meaningful --------------------------------------------------
sync_file() {
    mkdir -p "$(dirname "$2")"
    cmp -s "$1" "$2" || cp "$1" "$2"
}
mkdir -p "$QEMU_SRCDIR/hw/vprime"
for f in "$VPRIME_SRC"/hw/*; do
    case "$f" in *.c|*.h|meson.build|*/meson.build|*/Kconfig|*/trace-events) sync_file "$f" "$QEMU_SRCDIR/hw/vprime/$(basename "$f")";; esac
done
for f in "$QEMU_SRCDIR"/hw/vprime/*; do
    [ -e "$VPRIME_SRC/hw/$(basename "$f")" ] || rm -f "$f"
done
for f in "$VPRIME_SRC"/tests/qtest/*.[ch]; do
    sync_file "$f" "$QEMU_SRCDIR/tests/qtest/$(basename "$f")"
done

# --- configure ---------------------------------------------------------------
# logs: qemu-{configure,build}.log, or qemu-asan-*.log for qemu-build-asan
LOGBASE=$VPRIME_BUILD/$(basename "$QEMU_BLDDIR" | sed 's/^qemu-build/qemu/')
CONFIGURE_ARGS=(
    --target-list=x86_64-softmmu
    --python="$PYTHON"
    --without-default-features
    --without-default-devices
    --with-devices-x86_64=vprime
    --disable-install-blobs
    --disable-docs
    --enable-tcg --enable-kvm
    --enable-pixman --enable-png --enable-vnc --enable-gtk
    --enable-trace-backends=log
    --enable-fdt=system --disable-download
    ${QEMU_EXTRA_CONFIGURE:-}
)
want_cfg=$(printf '%s\n' "${CONFIGURE_ARGS[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$QEMU_BLDDIR/build.ninja" ] ||
   [ "$(cat "$QEMU_BLDDIR/.vprime-configure" 2>/dev/null)" != "$want_cfg" ]; then
    log "configuring QEMU"
    rm -rf "$QEMU_BLDDIR"
    mkdir -p "$QEMU_BLDDIR"
    (cd "$QEMU_BLDDIR" && "$QEMU_SRCDIR/configure" "${CONFIGURE_ARGS[@]}") \
        > "$LOGBASE-configure.log" 2>&1 ||
        { tail -30 "$LOGBASE-configure.log" >&2
          rm -f "$QEMU_BLDDIR/build.ninja"
          die "QEMU configure failed (log: $LOGBASE-configure.log)"; }
    echo "$want_cfg" > "$QEMU_BLDDIR/.vprime-configure"
fi

# --- build -------------------------------------------------------------------
# Compile through ccache in the shared cache when there is one: the build
# directory's commands say `cc`, so ccache's cc earlier in PATH serves them
# (no reconfigure).  The cache keys on each file's preprocessed text and
# flags, not its path (NOHASHDIR), so any clone's build can use it; the
# price is that cached objects' debug info names the directory of the
# build that compiled them first.
if [ -n "$VPRIME_CACHE" ] && [ -x /usr/lib/ccache/cc ]; then
    export CCACHE_DIR=$VPRIME_CACHE/ccache CCACHE_BASEDIR=$VPRIME_BUILD
    export CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
    export PATH=/usr/lib/ccache:$PATH
    mkdir -p "$CCACHE_DIR"
    ccache --zero-stats >/dev/null
    log "compiler cache: $CCACHE_DIR (shared by clones; VPRIME_CACHE=off to opt out)"
fi
log "building QEMU (x86_64-softmmu) and the vprime qtests"
progress "QEMU build" "$LOGBASE-build.log" "" 0 -- \
    ninja -C "$QEMU_BLDDIR" qemu-system-x86_64 tests/qtest/vprime-test \
    tests/qtest/vprime-gpu-test tests/qtest/vprime-display-test \
    tests/qtest/vprime-fuzz-test tests/qtest/vprime-migration-test ||
    { grep -E 'error|Error|FAILED' "$LOGBASE-build.log" | head -40 >&2
      die "QEMU build failed (log: $LOGBASE-build.log)"; }
if [ -n "${CCACHE_DIR:-}" ]; then
    # --print-stats: one "name<TAB>count" line per counter
    hits=$(ccache --print-stats 2>/dev/null |
           awk -F'\t' '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
                        $1 == "cache_miss" { m += $2 }
                        END { printf "%d of %d", h, h + m }')
    log "QEMU build: $hits compiles served by the shared cache"
fi
log "QEMU ready: $QEMU_BIN"
