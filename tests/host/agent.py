"""The host side of the guest tests' control channel.

A guest test that needs the host to act while it runs (take a screendump
of a head, unplug a connector, read QEMU's CPU time) writes one line of
JSON to the virtio-serial port org.vprime.control; the launcher connects
that port to a unix socket (--control) and this agent answers each
request with one line of JSON that has "ok": true or false.

Requests:
  {"op": "qom-set", "path": DEV, "property": P, "value": V}
  {"op": "qom-get", "path": DEV, "property": P}
  {"op": "screendump", "device": DEV, "head": N, "width": W, "height": H,
   "frame": F, "tag": T}     compare every pixel with VPRIME_PATTERN_XRGB
  {"op": "cputime"}          QEMU main-loop thread CPU seconds ("main_s")

Every screendump check is also recorded (self.checks) so the harness
reports it as a host-side test case of its own.
"""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import vprime_qmp  # noqa: E402


def pattern_xrgb(frame, tag, x, y):
    """VPRIME_PATTERN_XRGB of hw/vprime_regs.h."""
    return ((((x + frame * 4) & 0xff) << 16) | (((y + frame * 2) & 0xff) << 8) |
            ((tag * 0x45) & 0xff)) & 0xffffff


def read_ppm(path):
    """(width, height, bytes RGB) of a binary PPM (P6, maxval 255)."""
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("not a P6/255 PPM: %r" % fields)
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos:pos + w * h * 3]


def pattern_mismatches(w, h, rgb, frame, tag):
    """How many pixels differ from the test pattern (first few listed)."""
    bad, first = 0, []
    for y in range(h):
        row = rgb[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            v = pattern_xrgb(frame, tag, x, y)
            if row[3 * x] != v >> 16 or row[3 * x + 1] != (v >> 8) & 0xff or row[3 * x + 2] != v & 0xff:
                bad += 1
                if len(first) < 3:
                    first.append("(%d,%d) %02x%02x%02x want %06x" % (x, y, row[3 * x], row[3 * x + 1],
                                                                      row[3 * x + 2], v))
    return bad, first


def qemu_pid(control_path):
    """The QEMU process serving this control socket."""
    needle = control_path.encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle in cmd and b"qemu-system" in cmd.split(b"\0")[0]:
            return int(pid)
    return None


def thread_cpu_s(pid):
    """CPU seconds of QEMU's main thread (the main loop: timers, device
    work, display updates), from schedstat (nanoseconds)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[0]) / 1e9


class Agent(threading.Thread):
    def __init__(self, control_path, qmp_path, keep_dir):
        super().__init__(daemon=True)
        self.control_path = control_path
        self.qmp_path = qmp_path
        self.keep_dir = keep_dir
        self.stop = threading.Event()
        self.checks = []            # (name, ok, detail) for the harness
        self.log = []

    def run(self):
        sock = None
        while not self.stop.is_set():
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.control_path)
                break
            except OSError:
                sock.close()
                sock = None
                time.sleep(0.05)
        if not sock:
            return
        sock.settimeout(0.2)
        buf = b""
        while not self.stop.is_set():
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                reply = self.handle(line.decode(errors="replace").strip())
                try:
                    sock.sendall((json.dumps(reply) + "\n").encode())
                except OSError:
                    return
        sock.close()

    def handle(self, line):
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "qom-set":
                with vprime_qmp.QMP(self.qmp_path) as q:
                    q.qom_set(self._dev(req["path"]), req["property"], req["value"])
                reply = {"ok": True}
            elif op == "qom-get":
                with vprime_qmp.QMP(self.qmp_path) as q:
                    reply = {"ok": True, "value": q.qom_get(self._dev(req["path"]), req["property"])}
            elif op == "screendump":
                reply = self.screendump(req)
            elif op == "cputime":
                pid = qemu_pid(self.control_path)
                reply = {"ok": pid is not None, "main_s": thread_cpu_s(pid) if pid else 0}
            else:
                reply = {"ok": False, "error": "unknown op %r" % op}
        except Exception as e:     # the guest gets the error, the agent lives on
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        self.log.append((line, reply))
        return reply

    @staticmethod
    def _dev(path):
        return path if path.startswith("/") else "/machine/peripheral/" + path

    def screendump(self, req):
        head = int(req["head"])
        path = os.path.join(self.keep_dir, "screendump-%s-head%d.ppm" % (req["device"], head))
        os.makedirs(self.keep_dir, exist_ok=True)
        with vprime_qmp.QMP(self.qmp_path) as q:
            q.execute("screendump", filename=path, device=req["device"], head=head, format="ppm")
        w, h, rgb = read_ppm(path)
        name = "screendump-%s-head%d" % (req["device"], head)
        if (w, h) != (req["width"], req["height"]):
            detail = "screendump is %dx%d, the guest set %dx%d" % (w, h, req["width"], req["height"])
            self.checks.append((name, False, detail))
            return {"ok": False, "error": detail}
        bad, first = pattern_mismatches(w, h, rgb, req["frame"], req["tag"])
        detail = ("%dx%d, frame %d tag %d: %d of %d pixels differ %s"
                  % (w, h, req["frame"], req["tag"], bad, w * h, " ".join(first)))
        self.checks.append((name, bad == 0, detail))
        return {"ok": bad == 0, "detail": detail}
