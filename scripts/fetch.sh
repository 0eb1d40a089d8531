#!/bin/bash
# Download and verify everything vprime builds from, into $VPRIME_BUILD/dl:
#   - the bookworm-backports `qemu` source package (upstream 10.0.2, +ds)
#   - the bookworm-backports 6.12 guest kernel: image, headers, -common
#     headers and linux-kbuild, as .deb files (never installed)
#   - for the debug kernel flavour (KERNEL=debug), the same version's
#     linux-source-6.12 package, which scripts/build-kernel.sh builds
#
# apt verifies every file against the archive's signed indexes when it
# fetches it; we then record the sha256 sums in dl/MANIFEST.  Later runs only
# re-check that manifest (no network): a missing or corrupt file is deleted
# and fetched again, and whatever was unpacked from it is rebuilt.
. "$(dirname "$0")/lib.sh"

QEMU_SRCPKG=${QEMU_SRCPKG:-qemu}
QEMU_SUITE=bookworm-backports
KERNEL_SUITE=${KERNEL_SUITE:-bookworm-backports}
# Kernel ABI, e.g. 6.12.95+deb12; default: what bookworm-backports'
# linux-image-amd64 points at, resolved once and kept in dl/versions.env.
KERNEL_ABI=${KERNEL_ABI:-}

mkdir -p "$DL" "$APTDIR"/{sources.list.d,preferences.d,state/lists/partial,cache/archives/partial}

apt_ready() {
    local stamp=$APTDIR/state/.updated
    if [ ! -f "$stamp" ]; then
        log "generating private apt sources (deb + deb-src, bookworm + bookworm-backports)"
        "$PYTHON" "$VPRIME_SRC/scripts/gen-apt-sources.py" "deb deb-src" bookworm bookworm-backports \
            > "$APTDIR/sources.list.d/vprime.sources"
        log "apt-get update (private lists under $APTDIR)"
        papt apt-get update -q >"$APTDIR/update.log" 2>&1 ||
            { cat "$APTDIR/update.log" >&2; die "apt-get update failed (log: $APTDIR/update.log)"; }
        touch "$stamp"
    fi
}

manifest_ok() {
    [ -s "$DL/MANIFEST" ] || return 1
    (cd "$DL" && sha256sum --quiet --strict -c MANIFEST) >/dev/null 2>&1
}

# Drop every file the manifest lists that is missing or does not match.
drop_bad_files() {
    [ -s "$DL/MANIFEST" ] || return 0
    local sum f
    while read -r sum f; do
        f=${f#\*}
        if [ ! -f "$DL/$f" ]; then
            log "missing download: $f (will fetch again)"
        elif ! echo "$sum  $DL/$f" | sha256sum --quiet --strict -c - >/dev/null 2>&1; then
            log "corrupt download: $f (checksum mismatch; deleting and fetching again)"
            rm -f "$DL/$f"
        fi
    done < "$DL/MANIFEST"
    rm -f "$DL/MANIFEST"
}

# The debug flavour builds the very version of the default image, from
# Debian's linux-source package of the same source version.
need_source() {
    [ "$KFLAVOUR" = debug ] || return 1
    ! ls "$DL"/linux-source-6.12_*.deb >/dev/null 2>&1
}

if manifest_ok && [ -s "$DL/versions.env" ] && ! need_source; then
    exit 0
fi
drop_bad_files
apt_ready

# --- versions --------------------------------------------------------------
if [ -s "$DL/versions.env" ]; then
    . "$DL/versions.env"
else
    if [ -z "$KERNEL_ABI" ]; then
        dep=$(papt apt-cache -t "$KERNEL_SUITE" depends linux-image-amd64 2>/dev/null |
              sed -n 's/^ *Depends: \(linux-image-6\.12[^ ]*-amd64\).*/\1/p' | head -1)
        [ -n "$dep" ] || die "cannot resolve the 6.12 kernel in $KERNEL_SUITE (set KERNEL_ABI=6.12.N+deb12)"
        KERNEL_ABI=${dep#linux-image-}; KERNEL_ABI=${KERNEL_ABI%-amd64}
    fi
    case "$KERNEL_ABI" in 6.12.*) ;; *) die "KERNEL_ABI=$KERNEL_ABI: vprime needs a 6.12 kernel";; esac
    # apt-cache showsrc cannot filter by suite; bookworm itself has 7.2, so
    # the 10.0.x entry is the backport.
    QEMU_VERSION=$(papt apt-cache showsrc "$QEMU_SRCPKG" 2>/dev/null |
                   sed -n 's/^Version: \(.*:10\.0\..*\)/\1/p' | sort -V | tail -1)
    [ -n "$QEMU_VERSION" ] || die "no QEMU 10.0.x '$QEMU_SRCPKG' source package in $QEMU_SUITE"
    # Only the upstream tarball is used (our own patch series goes on top),
    # so we pin its hash from the signed Sources index here and check it
    # ourselves: the Debian packaging files need not be reachable.
    upstream=${QEMU_VERSION#*:}; upstream=${upstream%-*}
    QEMU_ORIG_SHA256= QEMU_ORIG_SIZE= QEMU_ORIG=
    read -r QEMU_ORIG_SHA256 QEMU_ORIG_SIZE QEMU_ORIG < <(
        papt apt-cache showsrc "$QEMU_SRCPKG" 2>/dev/null |
        grep -E "^ [0-9a-f]{64} [0-9]+ ${QEMU_SRCPKG}_${upstream//+/\\+}\.orig\.tar\.[a-z]+\$" |
        head -1) || true
    [ -n "${QEMU_ORIG:-}" ] || die "no orig tarball listed for qemu $QEMU_VERSION"
    for v in KERNEL_ABI QEMU_VERSION QEMU_ORIG QEMU_ORIG_SIZE QEMU_ORIG_SHA256; do
        printf '%s=%q\n' "$v" "${!v}"
    done > "$DL/versions.env.tmp"
    mv "$DL/versions.env.tmp" "$DL/versions.env"
fi
log "guest kernel $KERNEL_ABI, QEMU source $QEMU_VERSION"

# --- QEMU source package -----------------------------------------------------
# apt-get source checks files already present against the index and only
# fetches what is missing or wrong.  The .dsc and debian.tar are not needed
# (and some mirrors lack them), so only the tarball decides success.
orig_ok() {
    [ -f "$DL/$QEMU_ORIG" ] &&
        echo "$QEMU_ORIG_SHA256  $DL/$QEMU_ORIG" | sha256sum --quiet --strict -c - >/dev/null 2>&1
}
if ! orig_ok; then
    rm -f "$DL/$QEMU_ORIG"
    log "downloading QEMU source $QEMU_ORIG ($((QEMU_ORIG_SIZE / 1048576)) MiB)"
    (cd "$DL" && papt apt-get source -q --download-only "$QEMU_SRCPKG=$QEMU_VERSION") \
        >"$DL/qemu-fetch.log" 2>&1 || true
    orig_ok || { tail -20 "$DL/qemu-fetch.log" >&2
                 die "fetching $QEMU_ORIG failed or its sha256 does not match the pinned one (log: $DL/qemu-fetch.log); delete $DL/versions.env to pin the archive's current version, or $DL to start over"; }
fi

# --- kernel packages ---------------------------------------------------------
# The signed image is what linux-image-amd64 depends on; the -unsigned twin
# has identical contents.
kpkgs=(
    "linux-image-$KERNEL_ABI-amd64"
    "linux-headers-$KERNEL_ABI-amd64"
    "linux-headers-$KERNEL_ABI-common"
    "linux-kbuild-$KERNEL_ABI"
)
need=()
for p in "${kpkgs[@]}"; do
    ls "$DL/${p}_"*.deb >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    log "downloading ${need[*]}"
    (cd "$DL" && papt apt-get download -q "${need[@]}") >"$DL/kernel-fetch.log" 2>&1 ||
        { tail -20 "$DL/kernel-fetch.log" >&2
          die "downloading the guest kernel failed (log: $DL/kernel-fetch.log); if $KERNEL_ABI left the archive, delete $DL/versions.env to pick the current one"; }
fi

# --- kernel source, for the debug flavour -----------------------------------
if need_source; then
    # the version of the image package: 6.12.N-M~bpo12+1
    img=$(ls "$DL/linux-image-$KERNEL_ABI-amd64_"*.deb | head -1)
    srcver=${img##*/linux-image-"$KERNEL_ABI"-amd64_}; srcver=${srcver%_amd64.deb}
    log "downloading linux-source-6.12 $srcver (about 150 MB) for the debug kernel"
    (cd "$DL" && papt apt-get download -q "linux-source-6.12=$srcver") >"$DL/source-fetch.log" 2>&1 ||
        { tail -20 "$DL/source-fetch.log" >&2
          die "downloading linux-source-6.12 $srcver failed (log: $DL/source-fetch.log)"; }
fi

# --- record what was verified ------------------------------------------------
(cd "$DL" && sha256sum -- *.deb "$QEMU_ORIG" > MANIFEST.tmp && mv MANIFEST.tmp MANIFEST)
log "downloads verified: $(wc -l < "$DL/MANIFEST") files"
