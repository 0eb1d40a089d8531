#!/bin/bash
# Build everything the testbed needs, incrementally: host packages, the
# downloads, QEMU with the vprime models, the guest modules and the
# initramfs image.  The Debian rootfs and vprime's Mesa driver are
# 'make rootfs' (make check builds them after this).
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/setup-host.sh"
"$VPRIME_SRC/scripts/build-qemu.sh"
"$VPRIME_SRC/scripts/build-image.sh"
