#!/usr/bin/python3
"""vprime guest-kernel flavours: where each one's kernel, modules, driver
build, guest image and results live.

  default      the Debian bookworm-backports 6.12 image (build/kernel)
  debug        built by vprime from Debian's linux-source-6.12 with
               lockdep, KASAN, DMA-API debugging, ... (build/kernel-debug)
  /path/to/linux/build
               the user's own kernel build tree (the directory `make`
               built in, or its O= directory): vprime's modules build
               against it and the guest boots its bzImage

One place for the shell scripts (lib.sh evaluates `vprime_kernel.py
--shell`) and the Python ones (the launcher, the harness).  The flavour
comes from the environment's VPRIME_KERNEL (the Makefile sets it from
KERNEL=) unless one is named.

usage: vprime_kernel.py [--shell | --kdir | --kernel | --image] [FLAVOUR]
"""

import glob
import hashlib
import os
import shlex
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMED = ("default", "debug")


class FlavourError(ValueError):
    """A flavour that does not exist or is not built; says what to do."""


def _build_dir():
    return os.path.abspath(os.environ.get("VPRIME_BUILD", os.path.join(SRC, "build")))


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


class Flavour:
    """Paths of one flavour.  Nothing here requires the flavour to be
    built: kernel and krel may name what a build will produce."""

    def __init__(self, name, tag, spec, build):
        self.name, self.tag, self.spec = name, tag, spec
        suffix = "" if tag == "default" else "-" + tag
        self.moddir = os.path.join(build, "guest-driver" + suffix)
        self.imgdir = os.path.join(build, "image" + suffix)
        self.image = os.path.join(self.imgdir, "initramfs.cpio")
        self.results = os.path.join(build, "results" + suffix)
        self.kernel = self.kroot = self.khdr = None
        self.krel = ""

    def shell(self):
        """Assignments for lib.sh."""
        vals = {"KFLAVOUR": self.name, "KFLAVOUR_TAG": self.tag, "KFLAVOUR_SPEC": self.spec,
                "KERNEL_IMAGE": self.kernel or "", "KROOT": self.kroot or "",
                "KHDR": self.khdr or "", "KREL": self.krel, "MOD_BLDDIR": self.moddir,
                "IMG_DIR": self.imgdir, "RESULTS": self.results}
        return "".join("%s=%s\n" % (k, shlex.quote(v)) for k, v in vals.items())


def flavour(spec=None, build=None):
    """The flavour named by spec (default: $VPRIME_KERNEL, else 'default')."""
    build = build or _build_dir()
    spec = (spec or os.environ.get("VPRIME_KERNEL") or "default").strip()
    if spec == "default":
        f = Flavour("default", "default", spec, build)
        f.kroot = os.path.join(build, "kernel", "root")
        abi = ""
        for line in _read(os.path.join(build, "dl", "versions.env")).splitlines():
            if line.startswith("KERNEL_ABI="):
                abi = shlex.split(line.split("=", 1)[1])[0]
        if abi:
            f.krel = abi + "-amd64"
            f.kernel = os.path.join(f.kroot, "boot", "vmlinuz-" + f.krel)
            f.khdr = os.path.join(f.kroot, "usr", "src", "linux-headers-" + f.krel)
        else:
            # before the first fetch: whatever was unpacked, if anything
            found = sorted(glob.glob(os.path.join(f.kroot, "boot", "vmlinuz-*")))
            f.kernel = found[-1] if found else None
        return f
    if spec == "debug":
        f = Flavour("debug", "debug", spec, build)
        top = os.path.join(build, "kernel-debug")
        f.kernel = os.path.join(top, "bzImage")
        f.kroot = os.path.join(top, "root")
        f.khdr = os.path.join(top, "obj")
        f.krel = _read(os.path.join(f.khdr, "include", "config", "kernel.release"))
        return f
    if "/" not in spec and not os.path.isdir(spec):
        raise FlavourError("kernel flavour '%s' is unknown: allowed are default, debug or the "
                           "path of a kernel build tree (KERNEL=/path/to/linux)" % spec)
    tree = os.path.abspath(spec)
    if not os.path.isdir(tree):
        raise FlavourError("kernel build tree %s does not exist" % tree)
    for need, what in ((".config", "a configured kernel (make defconfig, ...)"),
                       ("Makefile", "a kernel tree or its O= build directory")):
        if not os.path.isfile(os.path.join(tree, need)):
            raise FlavourError("%s has no %s: it is not %s" % (tree, need, what))
    tag = "user-" + hashlib.sha1(tree.encode()).hexdigest()[:8]
    f = Flavour("user", tag, tree, build)
    f.kernel = os.path.join(tree, "arch", "x86", "boot", "bzImage")
    f.khdr = tree
    f.kroot = os.path.join(build, "kernel-" + tag, "root")
    f.krel = _read(os.path.join(tree, "include", "config", "kernel.release"))
    return f


def main(argv):
    what = "--shell"
    if argv and argv[0].startswith("--"):
        what = argv.pop(0)
    try:
        f = flavour(argv[0] if argv else None)
    except FlavourError as e:
        print("vprime: error: %s" % e, file=sys.stderr)
        return 2
    if what == "--shell":
        sys.stdout.write(f.shell())
    elif what == "--kdir":
        # where an out-of-tree module for this flavour is built (make -C KDIR M=...)
        if not f.khdr or not os.path.isfile(os.path.join(f.khdr, "Makefile")):
            print("vprime: error: the %s kernel's build tree %s is not there yet: run "
                  "'make build KERNEL=%s' first" % (f.name, f.khdr, f.spec or f.name),
                  file=sys.stderr)
            return 2
        print(f.khdr)
    elif what == "--kernel":
        print(f.kernel or "")
    elif what == "--image":
        print(f.image)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
