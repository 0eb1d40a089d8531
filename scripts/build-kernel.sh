#!/bin/bash
# Build vprime's debug guest kernel (KERNEL=debug): Debian's
# linux-source-6.12 of the same version as the default image, configured
# from `make tinyconfig` plus images/kernel-debug.config (lockdep, KASAN,
# DMA-API debugging, debug objects, SW_SYNC, DMABUF_MOVE_NOTIFY,
# PCI_P2PDMA, vkms, ...), with the fixes in images/kernel-patches/*.patch
# applied (as a distribution carries them), into $VPRIME_BUILD/kernel-debug:
#   src/      the unpacked source with those patches (src/.vprime-patches/
#             keeps a copy of what is applied, to take it back out)
#   obj/      the build tree (O=): vprime's modules build against it
#   root/     lib/modules/<release>, from modules_install
#   bzImage   the kernel the launcher boots
# Built once; rebuilt (incrementally, by kbuild) only when the source
# package, the config fragment or the patches change: a changed patch set
# is reverted and reapplied in src/, so only the files it touches (and
# what includes them) recompile.  Progress goes to stderr, the
# full log to kernel-debug/build.log, the first build's time to
# kernel-debug/first-build-time.
. "$(dirname "$0")/lib.sh"

[ "$KFLAVOUR" = debug ] || die "build-kernel.sh builds the debug flavour only (VPRIME_KERNEL=debug)"
"$VPRIME_SRC/scripts/fetch.sh"
. "$DL/versions.env"

KD=$VPRIME_BUILD/kernel-debug
FRAG=$VPRIME_SRC/images/kernel-debug.config
PATCHES=$VPRIME_SRC/images/kernel-patches
SRCDEB=$(ls "$DL"/linux-source-6.12_*.deb 2>/dev/null | head -1)
[ -n "$SRCDEB" ] || die "no linux-source-6.12 package in $DL"
KMAKE=(make -C "$KD/src" O="$KD/obj" ARCH=x86_64 -j"$(nproc)")

src_stamp=$(sha256sum "$SRCDEB" | cut -d' ' -f1)
# the patches by name and content, in the order they are applied
patch_list() { find "$PATCHES" -maxdepth 1 -name '*.patch' 2>/dev/null | LC_ALL=C sort; }
patch_stamp=$(patch_list | while read -r p; do basename "$p"; cat "$p"; done | sha256sum | cut -d' ' -f1)
want_stamp=$( { echo "$src_stamp"; cat "$FRAG"; echo "$patch_stamp"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$KD/.vprime-stamp" 2>/dev/null)" = "$want_stamp" ] &&
   [ -f "$KD/bzImage" ] && [ -d "$KD/root/lib/modules" ]; then
    exit 0
fi
mkdir -p "$KD"
t0=$(date +%s)
first=false
[ -f "$KD/first-build-time" ] || first=true
# a build that an interruption left half done is no first build's time
resumed=false
[ -d "$KD/obj/kernel" ] && resumed=true

# --- unpack the source (atomically) ------------------------------------------
if [ "$(cat "$KD/src/.vprime-stamp" 2>/dev/null)" != "$src_stamp" ]; then
    log "unpacking $(basename "$SRCDEB") into $KD/src"
    rm -rf "$KD/src" "$KD/src.tmp" "$KD/obj"
    mkdir -p "$KD/src.tmp"
    dpkg-deb --fsys-tarfile "$SRCDEB" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
        tar -xJ -C "$KD/src.tmp" --strip-components=1
    echo "$src_stamp" > "$KD/src.tmp/.vprime-stamp"
    mv "$KD/src.tmp" "$KD/src"
fi

# --- patches: take out what is applied, put in what images/ has ---------------
# (patch(1) gives the files it changes a new mtime: kbuild recompiles those)
APPLIED=$KD/src/.vprime-patches
if [ "$(cat "$APPLIED/stamp" 2>/dev/null)" != "$patch_stamp" ]; then
    if [ -d "$APPLIED" ]; then
        for p in $(find "$APPLIED" -maxdepth 1 -name '*.patch' | LC_ALL=C sort -r); do
            log "reverting $(basename "$p") in $KD/src"
            patch -d "$KD/src" -p1 -R -s --no-backup-if-mismatch < "$p" ||
                die "could not revert $p: remove $KD/src and $KD/obj for a clean rebuild"
        done
        rm -rf "$APPLIED"
    fi
    mkdir -p "$APPLIED.tmp"
    for p in $(patch_list); do
        log "applying $(basename "$p") to $KD/src"
        patch -d "$KD/src" -p1 -N -s --no-backup-if-mismatch < "$p" ||
            die "$p does not apply to $(basename "$SRCDEB"): remove $KD/src and $KD/obj for a clean rebuild"
        cp "$p" "$APPLIED.tmp/"
    done
    echo "$patch_stamp" > "$APPLIED.tmp/stamp"
    mv "$APPLIED.tmp" "$APPLIED"
fi

# --- configure: tinyconfig + the fragment, and check every line took ---------
log "configuring the debug kernel (tinyconfig + images/kernel-debug.config)"
mkdir -p "$KD/obj"
{ "${KMAKE[@]}" tinyconfig &&
  "$KD/src/scripts/kconfig/merge_config.sh" -m -O "$KD/obj" "$KD/obj/.config" "$FRAG" &&
  "${KMAKE[@]}" olddefconfig; } > "$KD/config.log" 2>&1 ||
    { tail -20 "$KD/config.log" >&2; die "kernel configuration failed (log: $KD/config.log)"; }
missing=()
while IFS= read -r line; do
    case $line in
        CONFIG_*=*)
            grep -qxF "$line" "$KD/obj/.config" || missing+=("$line") ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            grep -q "^$sym=" "$KD/obj/.config" && missing+=("$line") ;;
    esac
done < "$FRAG"
[ ${#missing[@]} -eq 0 ] ||
    die "kernel options that 'make olddefconfig' dropped or changed (a dependency is missing): ${missing[*]}"

# --- build, with progress ------------------------------------------------------
log "building the debug kernel with $(nproc) jobs (log: $KD/build.log)$($first && echo '; the first build takes a while')"
t1=$(date +%s)
"${KMAKE[@]}" bzImage modules > "$KD/build.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    kill -0 "$pid" 2>/dev/null || break
    log "debug kernel: $(grep -cE '^  (CC|AS)' "$KD/build.log") files compiled, $(( ($(date +%s) - t1) / 60 )) min"
done
wait "$pid" || { grep -E 'error|Error' "$KD/build.log" | head -30 >&2
                 die "debug kernel build failed (log: $KD/build.log)"; }

# --- install: modules into root/, the kernel next to it -----------------------
rm -rf "$KD/root.tmp"
"${KMAKE[@]}" INSTALL_MOD_PATH="$KD/root.tmp" INSTALL_MOD_STRIP=1 modules_install \
    > "$KD/install.log" 2>&1 ||
    { tail -20 "$KD/install.log" >&2; die "modules_install failed (log: $KD/install.log)"; }
rm -rf "$KD/root"
mv "$KD/root.tmp" "$KD/root"
cp "$KD/obj/arch/x86/boot/bzImage" "$KD/bzImage.tmp"
mv "$KD/bzImage.tmp" "$KD/bzImage"
secs=$(( $(date +%s) - t0 ))
if $first; then
    echo "$secs s, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)$($resumed &&
          echo ', resumed a build left half done: not a whole first build')" > "$KD/first-build-time"
fi
echo "$want_stamp" > "$KD/.vprime-stamp"
log "debug kernel $(cat "$KD/obj/include/config/kernel.release") ready in ${secs} s: $KD/bzImage"
