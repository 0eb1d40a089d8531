#!/bin/bash
# Build everything the testbed needs, incrementally: host packages, the
# downloads, QEMU with the vprime models, the guest modules, the initramfs
# image and the Debian rootfs with vprime's Mesa driver.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/setup-host.sh"
"$VPRIME_SRC/scripts/build-qemu.sh"
"$VPRIME_SRC/scripts/build-image.sh"
"$VPRIME_SRC/scripts/build-rootfs.sh"
