"""Helpers of the rootfs tests (tests/rootfs/run-tests): the vprime DRM
nodes, the host control channel, processes with timeouts, GPU counters."""

import glob
import json
import os
import re
import signal
import subprocess
import time

CONTROL = "/dev/virtio-ports/org.vprime.control"
LOGDIR = "/tmp/vprime-logs"


class Skip(Exception):
    """The test cannot run here; the message says why."""


class Fail(Exception):
    """The test ran and found something wrong."""


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line, flush=True)


# ---------------------------------------------------------------- devices --

class Node:
    """A DRM device: its driver, card and render nodes, PCI slot."""

    def __init__(self, card):
        self.card = card
        sysdev = os.path.realpath("/sys/class/drm/%s/device" % os.path.basename(card))
        self.slot = os.path.basename(sysdev)
        self.driver = os.path.basename(os.path.realpath(sysdev + "/driver"))
        # PCI devices have an ID; vgem (a platform device) has none
        try:
            with open(sysdev + "/device") as f:
                self.device = int(f.read(), 16)
        except OSError:
            self.device = None
        renders = glob.glob(sysdev + "/drm/renderD*")
        self.render = "/dev/dri/" + os.path.basename(renders[0]) if renders else None
        self.tag = "pci-" + self.slot.replace(":", "_").replace(".", "_")

    def __repr__(self):
        return "%s %s (%s, %s)" % (self.driver, self.slot, self.card, self.render)


def nodes():
    return sorted((Node(c) for c in glob.glob("/dev/dri/card*")), key=lambda n: n.slot)


def display_node():
    for n in nodes():
        if n.driver == "vprime_display":
            return n
    raise Skip("no vprime_display device")


def gpu_nodes():
    """{'igpu': Node, 'dgpu': Node} of the first of each kind, by PCI ID."""
    out = {}
    for n in nodes():
        if n.driver == "vprime_gpu":
            kind = "igpu" if n.device == 0x10f0 else "dgpu"
            out.setdefault(kind, n)
    return out


def topology():
    """The launcher's vprime.topology= list: the GPUs' QOM ids in order."""
    with open("/proc/cmdline") as f:
        m = re.search(r"vprime\.topology=(\S+)", f.read())
    items = m.group(1).split(",") if m else []
    gpus = [i for i in items if not i.startswith("display")]
    ids = {}
    for i, g in enumerate(gpus):
        ids.setdefault("igpu" if g == "igpu" else "dgpu", "gpu%d" % i)
    return ids


# ------------------------------------------------------------------- host --

class Host:
    """The control channel to the host agent (tests/host/agent.py): one
    per guest (the virtio port opens once), shared by every test."""

    _the = None

    def __new__(cls):
        if cls._the is None:
            if not os.path.exists(CONTROL):
                raise Skip("no host control channel (%s)" % CONTROL)
            h = super().__new__(cls)
            h.fd = os.open(CONTROL, os.O_RDWR)
            h.buf = b""
            cls._the = h
        return cls._the

    def ask(self, req, timeout=120):
        os.write(self.fd, (json.dumps(req) + "\n").encode())
        t0 = time.time()
        import select
        while b"\n" not in self.buf:
            left = timeout - (time.time() - t0)
            if left <= 0:
                raise Fail("the host agent did not answer %s" % req.get("op"))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 65536)
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def qom_get(self, dev, prop):
        r = self.ask({"op": "qom-get", "path": dev, "property": prop})
        if not r.get("ok"):
            raise Fail("qom-get %s %s: %s" % (dev, prop, r.get("error")))
        return r["value"]

    def counters(self, dev, names):
        return {n: self.qom_get(dev, n) for n in names}

    def screenshot(self, name, head=0, device="display0", min_colors=2):
        r = self.ask({"op": "screenshot", "device": device, "head": head, "save": name,
                      "min_colors": min_colors})
        if not r.get("ok"):
            raise Fail("screenshot %s: %s" % (name, r.get("error") or r.get("detail")))
        diag("host screenshot %s: %s" % (name, r["detail"]))
        return r

    def wait_picture(self, name, min_colors, timeout=90, head=0, device="display0", pred=None):
        """Wait until the head shows at least min_colors colours (and
        pred(reply), if given): a client's picture has reached the screen.
        Then keep it as a screenshot; Fail if it never came."""
        t0 = time.time()
        while True:
            r = self.ask({"op": "screenshot", "device": device, "head": head, "save": name,
                          "min_colors": min_colors, "record": False})
            if (r.get("ok") and (pred is None or pred(r))) or time.time() - t0 > timeout:
                break
            time.sleep(1)
        r = self.screenshot(name, head, device, min_colors)
        if pred is not None and not pred(r):
            raise Fail("screenshot %s: not the expected picture: %s" % (name, r["detail"]))
        return r

    def wait_no_window(self, what, timeout=120, head=0, device="display0"):
        """Wait until the head shows one colour, the desktop's background
        alone: the window of a client stopped before has gone, so that the
        next client's picture cannot be mistaken for it.  Nothing kept."""
        t0 = time.time()
        while True:
            r = self.ask({"op": "screenshot", "device": device, "head": head, "save": what,
                          "min_colors": 1, "record": False})
            if r.get("ok") and r["colors"] == 1:
                return
            if time.time() - t0 > timeout:
                raise Fail("%s: the screen still shows a window %d s after its client "
                           "stopped: %s" % (what, timeout, r.get("detail")))
            time.sleep(1)


GPU_COUNTERS = ["stat-bytes-%s-%s" % (d, k) for d in ("read", "written")
                for k in ("sysram", "vram", "peer")]
DISPLAY_COUNTERS = ["stat-flips", "stat-frames-composed"]


def delta(before, after):
    return {k: after[k] - before[k] for k in before}


def fmt_counts(d):
    return ", ".join("%s %d" % (k.replace("stat-bytes-", ""), v) for k, v in sorted(d.items()) if v)


# -------------------------------------------------------------- processes --

def env(**extra):
    e = dict(os.environ)
    e.update({k: str(v) for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            e.pop(k, None)
    return e


def run(cmd, timeout=120, stderr=subprocess.STDOUT, **kw):
    """Run to completion: (exit status, output; stderr too unless
    stderr= says otherwise)."""
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr,
                           timeout=timeout, **kw)
        return r.returncode, r.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace")


class Proc:
    """A background process whose output goes to a log file."""

    def __init__(self, name, cmd, **kw):
        os.makedirs(LOGDIR, exist_ok=True)
        self.name = name
        self.log = os.path.join(LOGDIR, name + ".log")
        self.f = open(self.log, "wb")
        self.p = subprocess.Popen(cmd, stdout=self.f, stderr=subprocess.STDOUT,
                                  start_new_session=True, **kw)

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_for(self, what, pred, timeout):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if pred():
                return time.time() - t0
            if self.p.poll() is not None:
                raise Fail("%s exited (status %s) before %s:\n%s"
                           % (self.name, self.p.returncode, what, self.tail()))
            time.sleep(0.2)
        raise Fail("%s: no %s after %d s:\n%s" % (self.name, what, timeout, self.tail()))

    def tail(self, n=25):
        return "\n".join(self.output().splitlines()[-n:])

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.f.close()
        return self.p.returncode
