"""Where vprime's QEMU finds its firmware: the one definition of the
`-L DIR` arguments for the launcher, libvirt (vprime-libvirt) and the
shell scripts (lib.sh reads `python3 vprime_firmware.py`, one argument a
line).

The QEMU source package ships no firmware blobs; Debian's seabios
(bios-256k.bin) and qemu-system-data (the VGA/PXE option ROMs, keymaps)
packages provide them.
"""

import sys

FIRMWARE_DIRS = ("/usr/share/seabios", "/usr/share/qemu")


def qemu_args():
    """['-L', DIR, ...] in search order."""
    return [a for d in FIRMWARE_DIRS for a in ("-L", d)]


if __name__ == "__main__":
    sys.stdout.write("".join(a + "\n" for a in qemu_args()))
