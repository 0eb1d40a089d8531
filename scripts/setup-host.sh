#!/bin/bash
# Install the Debian packages vprime needs on the host.  Says what it
# installs; does nothing (and needs no root) when everything is present.
#
# meson >= 1.5, python3-pycotap and QEMU 10's firmware data come from
# bookworm-backports.  If the machine has no backports source we add one,
# derived from its own apt sources (no mirror is named here).
. "$(dirname "$0")/lib.sh"

MAIN_PKGS=(
    build-essential pkg-config git ninja-build ccache flex bison bc kmod
    libglib2.0-dev libpixman-1-dev libpng-dev zlib1g-dev
    python3 python3-venv dpkg-dev xz-utils zstd cpio
    dwarves libelf-dev busybox-static seabios
    libdrm-dev libgtk-3-dev libfdt-dev libdrm-tests drm-info
    libvirt-daemon-system libvirt-clients
    libasan8 libubsan1
)
# and what a caller names (make fuzz-coverage: clang-14 libclang-rt-14-dev)
MAIN_PKGS+=("$@")
# name:minimum-version, installed with -t bookworm-backports
BPO_PKGS=(meson:1.5 python3-pycotap:0 qemu-system-data:1:10.0)
# make check-lava: LAVA's dispatcher (lava-run).  Through libguestfs it
# needs a qemu-system-x86, and bookworm's (7.2) conflicts with the
# backports qemu-system-data above: these come from bookworm-backports.
LAVA_PKGS=(lava-dispatcher python3-yaml python3-jinja2)
LAVA_BPO=(qemu-system-x86 qemu-system-common seabios)

installed_version() {
    { dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; } |
        sed -n 's/^ii *//p'
}

missing_main=()
for p in "${MAIN_PKGS[@]}"; do
    [ -n "$(installed_version "$p")" ] || missing_main+=("$p")
done
missing_bpo=()
for spec in "${BPO_PKGS[@]}"; do
    p=${spec%%:*}; min=${spec#*:}
    v=$(installed_version "$p")
    if [ -z "$v" ] || ! dpkg --compare-versions "$v" ge "$min"; then
        missing_bpo+=("$p")
    fi
done

missing_lava=()
for p in "${LAVA_PKGS[@]}"; do
    [ -n "$(installed_version "$p")" ] || missing_lava+=("$p")
done

if [ ${#missing_main[@]} -eq 0 ] && [ ${#missing_bpo[@]} -eq 0 ] && [ ${#missing_lava[@]} -eq 0 ]; then
    log "host packages: all present"
    exit 0
fi

if [ $((${#missing_bpo[@]} + ${#missing_lava[@]})) -gt 0 ] &&
   ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding a bookworm-backports apt source derived from this machine's own sources"
    "$PYTHON" "$VPRIME_SRC/scripts/gen-apt-sources.py" deb bookworm-backports > "$VPRIME_BUILD/vprime-backports.sources"
    as_root install -m 0644 "$VPRIME_BUILD/vprime-backports.sources" /etc/apt/sources.list.d/vprime-backports.sources
fi

log "installing from Debian: ${missing_main[*]} ${missing_bpo[*]:+(bookworm-backports: ${missing_bpo[*]})}${missing_lava[*]:+ ${missing_lava[*]} (with ${LAVA_BPO[*]} from bookworm-backports)}"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
if [ ${#missing_main[@]} -gt 0 ]; then
    as_root apt-get install -y -q --no-install-recommends "${missing_main[@]}"
fi
if [ ${#missing_bpo[@]} -gt 0 ]; then
    as_root apt-get install -y -q --no-install-recommends -t bookworm-backports "${missing_bpo[@]}"
fi
if [ ${#missing_lava[@]} -gt 0 ]; then
    as_root apt-get install -y -q --no-install-recommends "${missing_lava[@]}" \
        "${LAVA_BPO[@]/%//bookworm-backports}"
fi
log "host packages: done"
