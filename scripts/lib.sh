# shellcheck shell=bash
# Common settings for every vprime script.  Sourced, never run.
#
# VPRIME_BUILD is the one cache directory: every download, unpacked tree,
# build and result lives below it, so deleting it is a full reset.

set -euo pipefail

VPRIME_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VPRIME_BUILD=${VPRIME_BUILD:-$VPRIME_SRC/build}
mkdir -p "$VPRIME_BUILD"
VPRIME_BUILD=$(cd "$VPRIME_BUILD" && pwd)

# VPRIME_CACHE is shared by every clone on the machine and holds only what
# is addressed by content, so that a fresh clone builds only what differs
# from a clone built before it: the compiler cache (ccache) of QEMU's
# build, and the rootfs's two slow parts, VPRIME_ROOTFS_CACHE (the Debian
# base system tarballs and their .deb files, scripts/build-rootfs.sh) and
# VPRIME_MESA_CACHE (Mesa's source package and its build trees,
# scripts/build-mesa.sh).  An explicit setting of either wins (empty: that
# part in this clone's build directory); VPRIME_CACHE=off keeps a clone
# to itself.
VPRIME_CACHE=${VPRIME_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/vprime}
[ "$VPRIME_CACHE" != off ] || VPRIME_CACHE=
VPRIME_ROOTFS_CACHE=${VPRIME_ROOTFS_CACHE-${VPRIME_CACHE:+$VPRIME_CACHE/rootfs}}
VPRIME_MESA_CACHE=${VPRIME_MESA_CACHE-${VPRIME_CACHE:+$VPRIME_CACHE/mesa}}

DL=$VPRIME_BUILD/dl                 # verified downloads (.deb, .dsc, tarballs)
APTDIR=$VPRIME_BUILD/apt            # private apt configuration and lists
KDIR_ROOT=$VPRIME_BUILD/kernel      # unpacked guest kernel packages
QEMU_SRCDIR=$VPRIME_BUILD/qemu-src  # unpacked + patched QEMU source
# VPRIME_QEMU_BUILD: another build of the same source (the ASan/UBSan one)
QEMU_BLDDIR=${VPRIME_QEMU_BUILD:-$VPRIME_BUILD/qemu-build}
QEMU_BIN=$QEMU_BLDDIR/qemu-system-x86_64

# The host's Python, not a pyenv/venv shim: QEMU's configure builds its own
# venv on top of it and needs Debian's meson and pycotap from it.
PYTHON=${PYTHON:-/usr/bin/python3}

# The guest kernel flavour (VPRIME_KERNEL, from make's KERNEL=: default,
# debug, or a kernel build tree) and where its pieces live: KFLAVOUR,
# KFLAVOUR_TAG, KERNEL_IMAGE, KROOT (lib/modules), KHDR (the tree modules
# build against), KREL, and per flavour MOD_BLDDIR (guest modules),
# IMG_DIR (guest image) and RESULTS.  Defined once, in vprime_kernel.py.
_kflavour=$("$PYTHON" "$VPRIME_SRC/scripts/vprime_kernel.py" --shell) || exit 2
eval "$_kflavour"

# QEMU's firmware arguments (-L DIR ...), defined once in vprime_firmware.py
mapfile -t QEMU_FW_ARGS < <("$PYTHON" "$VPRIME_SRC/scripts/vprime_firmware.py")

log()  { printf '[vprime] %s\n' "$*" >&2; }
die()  { printf 'vprime: error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly, or through sudo when available.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# apt-get/apt-cache against the private configuration in $APTDIR, which
# writes nothing outside the cache and needs no root.
papt() {
    local tool=$1; shift
    "$tool" -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
        -o Dir::Etc::Preferences=/dev/null \
        -o Dir::Etc::PreferencesParts="$APTDIR/preferences.d" \
        -o Dir::State="$APTDIR/state" \
        -o Dir::State::status=/var/lib/dpkg/status \
        -o Dir::Cache="$APTDIR/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Sandbox::User="$(id -un)" \
        -o Acquire::Retries=3 \
        "$@"
}

# Run a build command with its output going to LOG, and say how far it
# is: QEMU's ninja numbers its steps ([N/M]); other builds count the lines
# that match STEP_RE against TOTAL expected steps.  On a terminal the
# progress line is rewritten in place; elsewhere (CI logs) one line per
# tenth of the work, so a build of minutes prints at most a dozen lines.
#   progress WHAT LOG STEP_RE TOTAL -- COMMAND...
# STEP_RE empty: ninja's [N/M] lines.  Returns COMMAND's exit status.
progress() {
    local what=$1 logf=$2 re=$3 total=$4
    shift 5
    local tty=0 n=0 m=$total shown=-1 pct line t0=$SECONDS
    [ -t 2 ] && tty=1
    : > "$logf"
    set +e
    "$@" 2>&1 | {
        while IFS= read -r line; do
            printf '%s\n' "$line" >> "$logf"
            if [ -z "$re" ]; then
                [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] || continue
                n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]}
            else
                [[ $line =~ $re ]] || continue
                n=$((n + 1))
                [ "$n" -le "$m" ] || m=$n
            fi
            [ "$m" -gt 0 ] || continue
            pct=$((100 * n / m))
            if [ $tty = 1 ]; then
                printf '\r[vprime] %s: %3d%% (%d/%d, %d s)' "$what" "$pct" "$n" "$m" \
                    $((SECONDS - t0)) >&2
            elif [ $((pct / 10)) -gt "$shown" ]; then
                shown=$((pct / 10))
                printf '[vprime] %s: %d%% (%d/%d, %d s)\n' "$what" "$pct" "$n" "$m" \
                    $((SECONDS - t0)) >&2
            fi
        done
        if [ $tty = 1 ] && [ "$n" -gt 0 ]; then printf '\n' >&2; fi
    }
    local rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}
