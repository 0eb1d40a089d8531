"""Bring a module and a program: the files of vprime-launch --add and the
command of --run, as a second initramfs archive appended to the guest
image (Linux unpacks concatenated cpio archives one after the other).

In the guest (images/init): every added .ko is loaded with insmod, in the
order given, after vprime's drivers; other files land in /user/bin (with
the shared libraries a dynamically linked program needs); --run's command
runs from /user as the KTAP test 'user-command' (exit 0 passes, 4 skips
with a '# SKIP reason' line, anything else fails), after 'user-modules',
which reports the loads.
"""

import os
import shutil
import stat
import subprocess
import tempfile


class UserFilesError(ValueError):
    """A file that cannot go into the guest; says why."""


def _newc(out, name, mode, data=b"", ino=[1000]):
    """One entry of a cpio 'newc' archive."""
    ino[0] += 1
    name_b = name.encode() + b"\0"
    fields = [ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    out.write(b"070701" + b"".join(b"%08x" % f for f in fields))
    out.write(name_b)
    out.write(b"\0" * (-(110 + len(name_b)) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def _ldd(path):
    """Shared libraries of a dynamically linked ELF file (empty for a
    static one or a script)."""
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            return []
    r = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    libs = []
    for line in r.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/") and os.path.exists(p):
                libs.append(p)
    return libs


def module_release(path):
    """The kernel release a .ko was built for (its vermagic), or None."""
    r = subprocess.run(["modinfo", "-F", "vermagic", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    words = r.stdout.decode(errors="replace").split()
    return words[0] if r.returncode == 0 and words else None


def check(files, krel, flavour):
    """Refuse what cannot work before the guest boots: a missing file, a
    module built for another kernel than the guest's."""
    for f in files:
        if not os.path.exists(f):
            raise UserFilesError("--add %s: no such file or directory" % f)
        if f.endswith(".ko") and krel:
            built = module_release(f)
            if built is None:
                raise UserFilesError("--add %s: not a kernel module (modinfo finds no vermagic)" % f)
            if built != krel:
                raise UserFilesError(
                    "--add %s was built for Linux %s, but the guest runs %s (the %s kernel): build "
                    "it with make -C $(scripts/vprime_kernel.py --kdir%s) M=$PWD"
                    % (f, built, krel, flavour, "" if flavour == "default" else " " + flavour))


def archive(files, command, out_path):
    """Write the user archive for --add FILES and --run COMMAND."""
    entries = {}                    # path in the guest -> (mode, data)
    dirs = {"user", "user/bin"}
    modules = []

    def add_file(src, dst):
        st = os.stat(src)
        with open(src, "rb") as f:
            entries[dst] = (stat.S_IFREG | (0o755 if st.st_mode & 0o111 else 0o644), f.read())
        d = os.path.dirname(dst)
        while d:
            dirs.add(d)
            d = os.path.dirname(d)
        for lib in _ldd(src):
            lib_dst = os.path.realpath(lib).lstrip("/")
            if lib_dst not in entries:
                add_file(os.path.realpath(lib), lib_dst)
            link = lib.lstrip("/")
            if link != lib_dst:
                entries[link] = (stat.S_IFLNK | 0o777, ("/" + lib_dst).encode())
                dirs.add(os.path.dirname(link))

    for f in files:
        if os.path.isdir(f):
            base = os.path.basename(os.path.normpath(f))
            for root, _, names in os.walk(f):
                for n in sorted(names):
                    src = os.path.join(root, n)
                    add_file(src, os.path.join("user", base, os.path.relpath(src, f)))
        elif f.endswith(".ko"):
            name = os.path.basename(f)
            add_file(f, "user/" + name)
            modules.append(name)
        else:
            add_file(f, "user/bin/" + os.path.basename(f))
    if modules:
        entries["user/modules.list"] = (stat.S_IFREG | 0o644, "".join(m + "\n" for m in modules).encode())
    if command:
        entries["user/command"] = (stat.S_IFREG | 0o644, (command + "\n").encode())

    with open(out_path, "wb") as out:
        for d in sorted(dirs):
            _newc(out, d, stat.S_IFDIR | 0o755)
        for name in sorted(entries):
            mode, data = entries[name]
            _newc(out, name, mode, data)
        _newc(out, "TRAILER!!!", 0)
        out.write(b"\0" * (-out.tell() % 512))
    return modules


def guest_image(base, files, command, tmpdir):
    """The guest image with the user archive appended, in tmpdir."""
    user = os.path.join(tmpdir, "user.cpio")
    archive(files, command, user)
    combined = os.path.join(tmpdir, "initramfs-user.cpio")
    with open(combined, "wb") as out:
        with open(base, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        # the next archive starts on a 4-byte boundary
        out.write(b"\0" * (-out.tell() % 4))
        with open(user, "rb") as f:
            shutil.copyfileobj(f, out)
    return combined


if __name__ == "__main__":
    import sys
    with tempfile.TemporaryDirectory() as t:
        p = os.path.join(t, "u.cpio")
        print(archive(sys.argv[1:], "echo hello", p))
        subprocess.run(["cpio", "-itv"], stdin=open(p, "rb"))
