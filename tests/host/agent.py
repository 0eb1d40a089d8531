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
   "frame": F, "tag": T}     compare every pixel with the PATTERN picture
                             (hw/vprime_pattern.h: gradient + text)
   optional "save": NAME     also keep the screen as NAME.png
   optional "window": [X, Y, W, H], "background": RGB
                             the pattern only in that window (its own
                             coordinates), the background elsewhere
   optional "bpc": B         the head's link depth (OUTPUT_BPC): at 6 each
                             component of the picture is truncated to 6 bits
  {"op": "screendump-crc", "device": DEV, "head": N, "width": W, "height": H,
   "crc": C, "name": NAME}   a screendump of the head, taken while the guest
                             waits (its frame still shown), checksummed as the
                             display CRC is (zlib CRC-32 of the rows, each
                             pixel the 4 little-endian bytes of R<<16|G<<8|B)
                             and compared with C, the guest's CRC of the same
                             frame as it got it by other means (a writeback
                             capture); on a mismatch the screen is kept as
                             NAME.png
  {"op": "screenshot", "device": DEV, "head": N, "save": NAME, "min_colors": K}
                             keep a head's picture as NAME.png (what a real
                             client drew: no expected pattern) and describe
                             it: size, distinct colours (counted up to 4096),
                             pixels that are not black; "ok" when it has at
                             least K colours (a blank or stale screen has 1);
                             "record": false: only look (no check, no file),
                             for a guest that waits for a client's picture
  {"op": "hold", "tag": T}   the guest waits while the host acts: the
                             harness's callback for T (boot_guest's holds)
                             runs, then the reply ("ok" false when the
                             harness holds nothing for T)
  {"op": "cputime"}          QEMU's CPU seconds: its main-loop thread ("main_s")
                             and the whole process ("process_s"); how often
                             the main-loop thread was scheduled in ("main_runs")
  {"op": "device_del", "id": ID}
                             hot-unplug device ID (QMP device_del) and wait
                             for QEMU's DEVICE_DELETED: the guest has let
                             the device go ("seconds": how long it took)
  {"op": "device_add", "id": ID}
                             plug device ID back with the properties it had
                             on QEMU's command line (same bus: same root port)
  {"op": "zero-copy", "name": N, "producer": GPU, "engine": E,
   "display": DEV, "head": H, "plane": P, "frame_bytes": B,
   "expect": {DEV: {COUNTER: VALUE}},
   "pages": [{"a": [DEV, PROP], "b": [DEV, PROP], "rel": "equal"|"within"}]}
                             the proof that a handoff is zero-copy: every
                             expected counter has its value; the display
                             read exactly frame_bytes per composed frame,
                             all from system RAM; the plane scans the very
                             pages engine E of the producer wrote; and the
                             pages each "pages" entry names (page-list
                             properties: <engine>-last-{read,write}-pages,
                             head<N>-plane<P>-pages) are the same pages, or
                             within them.  Pages are compared as
                             guest-physical addresses, translated through
                             the vIOMMU's page tables when there is one.
                             Without "display" only counters and "pages"
                             are checked (a handoff between GPUs).  The
                             reply's "detail" says what was measured; the
                             values read are kept in self.proofs[N].

Every screendump and zero-copy check is also recorded (self.checks) so
the harness reports it as a host-side test case of its own.  The agent
finds its QEMU through the launcher's --pidfile (QEMU's -pidfile).
"""

import json
import os
import re
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import vprime_qmp  # noqa: E402


def gradient_xrgb(frame, tag, x, y):
    """VPRIME_PATTERN_XRGB of hw/vprime_regs.h."""
    return ((((x + frame * 4) & 0xff) << 16) | (((y + frame * 2) & 0xff) << 8) |
            ((tag * 0x45) & 0xff)) & 0xffffff


def load_font(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hw",
                                "vprime_pattern.h")):
    """The constants and glyphs of hw/vprime_pattern.h, read from it (one
    copy of the font for the model, the guest tests and this agent)."""
    with open(path) as f:
        text = f.read()
    consts = {m.group(1): int(m.group(2), 0)
              for m in re.finditer(r"^#define (VPRIME_\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b", text, re.M)}
    chars = re.search(r'^#define VPRIME_FONT_CHARS\s+"([^"]*)"', text, re.M).group(1)
    table = text[text.index("glyphs[][VPRIME_FONT_HEIGHT] = {"):]
    table = table[table.index("{") + 1:table.index("};")]
    rows = [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]{2})\b", table)]
    h = consts["VPRIME_FONT_HEIGHT"]
    if len(rows) != len(chars) * h:
        raise ValueError("%s: %d glyph rows for %d characters" % (path, len(rows), len(chars)))
    consts["glyphs"] = {c: rows[i * h:(i + 1) * h] for i, c in enumerate(chars)}
    return consts


FONT = load_font()


def pattern_xrgb(frame, tag, x, y):
    """vprime_pattern_pixel of hw/vprime_pattern.h: the gradient, and the
    text "FRAME <frame> TAG <tag>" in the 8x16 font."""
    cx, cy = x - FONT["VPRIME_PATTERN_TEXT_X"], y - FONT["VPRIME_PATTERN_TEXT_Y"]
    if cx >= 0 and 0 <= cy < FONT["VPRIME_FONT_HEIGHT"]:
        text = "FRAME %d TAG %d" % (frame, tag)
        i = cx // FONT["VPRIME_FONT_WIDTH"]
        if i < len(text):
            row = FONT["glyphs"][text[i]][cy]
            return (FONT["VPRIME_PATTERN_INK"] if row & (0x80 >> cx % FONT["VPRIME_FONT_WIDTH"])
                    else FONT["VPRIME_PATTERN_PAPER"])
    return gradient_xrgb(frame, tag, x, y)


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


def pattern_mismatches(w, h, rgb, frame, tag, window=None, background=0, mask=0xffffff):
    """How many pixels differ from the test pattern (first few listed);
    with window (x, y, w, h), the pattern is in the window only, on the
    background (the hybrid compositing scenario's desktop); mask: the bits
    of each pixel the head's link carries (0xfcfcfc at 6 bpc)."""
    bad, first = 0, []
    wx, wy, ww, wh = window or (0, 0, w, h)
    for y in range(h):
        row = rgb[y * w * 3:(y + 1) * w * 3]
        for x in range(w):
            if wx <= x < wx + ww and wy <= y < wy + wh:
                v = pattern_xrgb(frame, tag, x - wx, y - wy)
            else:
                v = background
            v &= mask
            if row[3 * x] != v >> 16 or row[3 * x + 1] != (v >> 8) & 0xff or row[3 * x + 2] != v & 0xff:
                bad += 1
                if len(first) < 3:
                    first.append("(%d,%d) %02x%02x%02x want %06x" % (x, y, row[3 * x], row[3 * x + 1],
                                                                      row[3 * x + 2], v))
    return bad, first


def parse_pages(text):
    """The page list of a display plane (head<N>-plane<P>-pages) or a GPU
    engine (<engine>-last-write-pages) as [(addr, is_vram)]."""
    if text.startswith("contig:"):
        base, _, size = text[len("contig:"):].partition("+")
        base, size = int(base, 16), int(size, 16)
        return [(base + off, False) for off in range(0, size, PAGE)]
    if text.startswith("pages:"):
        text = text[len("pages:"):]
    out = []
    for item in filter(None, text.split(",")):
        vram = item.startswith("vram:")
        out.append((int(item[5:] if vram else item, 16), vram))
    return out


PAGE = 4096
VTD_BASE = 0xfed90000           # Q35_HOST_BRIDGE_IOMMU_ADDR
VTD_GSTS, VTD_RTADDR = 0x1c, 0x20
VTD_GSTS_TES = 1 << 31
VTD_RTADDR_SMT = 1 << 10
VTD_ADDR_MASK = 0x000ffffffffff000
VTD_CONTEXT_TT_PASS_THROUGH = 2
VTD_SL_PS = 1 << 7


class IommuWalker:
    """Translates a device's DMA addresses to guest-physical ones the way
    intel-iommu does (legacy mode: root table, context entry, second-level
    page tables), reading the tables from guest memory over QMP.  Without
    a vIOMMU, or with translation off, DMA addresses are guest-physical."""

    def __init__(self, q, tmpdir, present):
        self.q, self.tmp, self.tables = q, tmpdir, {}
        self.enabled = False
        if present:
            gsts = self._reg(VTD_GSTS, 4)
            self.enabled = bool(gsts & VTD_GSTS_TES)
        if self.enabled:
            rt = self._reg(VTD_RTADDR, 8)
            if rt & VTD_RTADDR_SMT:
                raise ValueError("the vIOMMU is in scalable mode; only legacy mode is walked")
            self.root = rt & VTD_ADDR_MASK

    def _reg(self, off, size):
        out = self.q.execute("human-monitor-command",
                             **{"command-line": "xp /1%sx 0x%x" % ("w" if size == 4 else "g",
                                                                   VTD_BASE + off)})
        return int(out.split(":")[1].split()[0], 16)

    def _table(self, addr):
        if addr not in self.tables:
            path = os.path.join(self.tmp, "pt-%x.bin" % addr)
            self.q.execute("pmemsave", val=addr, size=PAGE, filename=path)
            with open(path, "rb") as f:
                self.tables[addr] = f.read()
            os.unlink(path)
        return self.tables[addr]

    def _u64(self, addr):
        t = self._table(addr & ~(PAGE - 1))
        return int.from_bytes(t[addr & (PAGE - 1):(addr & (PAGE - 1)) + 8], "little")

    def translate(self, bdf, iova):
        if not self.enabled:
            return iova
        bus, devfn = bdf
        root_lo = self._u64(self.root + bus * 16)
        if not root_lo & 1:
            raise ValueError("no root entry for bus %d" % bus)
        ctx = (root_lo & VTD_ADDR_MASK) + devfn * 16
        lo, hi = self._u64(ctx), self._u64(ctx + 8)
        if not lo & 1:
            raise ValueError("no context entry for %02x:%02x.%x" % (bus, devfn >> 3, devfn & 7))
        if (lo >> 2) & 3 == VTD_CONTEXT_TT_PASS_THROUGH:
            return iova
        table, levels = lo & VTD_ADDR_MASK, (hi & 7) + 2
        for level in range(levels, 0, -1):
            shift = 12 + 9 * (level - 1)
            pte = self._u64(table + ((iova >> shift) & 0x1ff) * 8)
            if not pte & 3:
                raise ValueError("DMA address 0x%x is not mapped for %02x:%02x.%x"
                                 % (iova, bus, devfn >> 3, devfn & 7))
            if level == 1 or pte & VTD_SL_PS:
                return (pte & VTD_ADDR_MASK & ~((1 << shift) - 1)) | (iova & ((1 << shift) - 1))
            table = pte & VTD_ADDR_MASK
        raise AssertionError("unreachable")


def pci_bdfs(q):
    """{qdev id: (bus, devfn)} as the guest numbered the buses."""
    out = {}

    def walk(devices):
        for d in devices:
            if d.get("qdev_id"):
                out[d["qdev_id"]] = (d["bus"], d["slot"] << 3 | d["function"])
            if d.get("pci_bridge", {}).get("devices"):
                walk(d["pci_bridge"]["devices"])
    for bus in q.execute("query-pci"):
        walk(bus["devices"])
    return out


def qemu_pid(pidfile):
    """The process id QEMU wrote to its -pidfile."""
    with open(pidfile) as f:
        return int(f.read().split()[0])


def thread_cpu_s(pid):
    """CPU seconds of QEMU's main thread (the main loop: timers, device
    work, display updates), from schedstat (nanoseconds)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[0]) / 1e9


def thread_runs(pid):
    """How many times QEMU's main thread was scheduled in (its wake-ups),
    from schedstat."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[2])


def process_cpu_s(pid):
    """CPU seconds of the whole QEMU process (every thread: vCPUs too),
    user + system, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Agent(threading.Thread):
    def __init__(self, control_path, qmp_path, keep_dir, pidfile, holds=None):
        super().__init__(daemon=True)
        self.holds = dict(holds or {})  # "hold" tag: the harness's callback
        self.control_path = control_path
        self.qmp_path = qmp_path
        self.keep_dir = keep_dir
        self.pidfile = pidfile
        self.stop = threading.Event()
        self.checks = []            # (name, ok, detail) for the harness
        self.proofs = {}            # zero-copy name: what the host read
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
            elif op == "screendump-crc":
                reply = self.screendump_crc(req)
            elif op == "screenshot":
                reply = self.screenshot(req)
            elif op == "zero-copy":
                reply = self.zero_copy(req)
            elif op == "device_del":
                reply = self.device_del(req["id"])
            elif op == "device_add":
                reply = self.device_add(req["id"])
            elif op == "hold":
                fn = self.holds.pop(req.get("tag"), None)
                if fn is None:
                    reply = {"ok": False, "error": "the host holds nothing for %r" % req.get("tag")}
                else:
                    fn()
                    reply = {"ok": True}
            elif op == "cputime":
                pid = qemu_pid(self.pidfile)
                reply = {"ok": True, "main_s": thread_cpu_s(pid), "process_s": process_cpu_s(pid),
                         "main_runs": thread_runs(pid)}
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
        if req.get("save"):
            with vprime_qmp.QMP(self.qmp_path) as q:
                q.execute("screendump", device=req["device"], head=head, format="png",
                          filename=os.path.join(self.keep_dir, "%s.png" % os.path.basename(req["save"])))
        w, h, rgb = read_ppm(path)
        name = "screendump-%s-head%d" % (req["device"], head)
        if req.get("save"):
            name = "screendump-%s" % os.path.basename(req["save"])
        if (w, h) != (req["width"], req["height"]):
            detail = "screendump is %dx%d, the guest set %dx%d" % (w, h, req["width"], req["height"])
            self.checks.append((name, False, detail))
            return {"ok": False, "error": detail}
        bpc = int(req.get("bpc", 8))
        bad, first = pattern_mismatches(w, h, rgb, req["frame"], req["tag"], req.get("window"),
                                        req.get("background", 0),
                                        0xfcfcfc if bpc == 6 else 0xffffff)
        detail = ("%dx%d, frame %d tag %d%s%s: %d of %d pixels differ %s"
                  % (w, h, req["frame"], req["tag"],
                     " in window %s on %06x" % (req["window"], req.get("background", 0))
                     if req.get("window") else "",
                     ", at 6 bpc (truncated)" if bpc == 6 else "", bad, w * h, " ".join(first)))
        self.checks.append((name, bad == 0, detail))
        return {"ok": bad == 0, "detail": detail}

    def screendump_crc(self, req):
        head = int(req["head"])
        name = "screendump-crc-%s-head%d-%s" % (req["device"], head, os.path.basename(req["name"]))
        path = os.path.join(self.keep_dir, name + ".ppm")
        os.makedirs(self.keep_dir, exist_ok=True)
        with vprime_qmp.QMP(self.qmp_path) as q:
            q.execute("screendump", filename=path, device=req["device"], head=head, format="ppm")
        w, h, rgb = read_ppm(path)
        os.unlink(path)
        if (w, h) != (req["width"], req["height"]):
            detail = "screendump is %dx%d, the guest's frame %dx%d" % (w, h, req["width"], req["height"])
            self.checks.append((name, False, detail))
            return {"ok": False, "error": detail}
        # the display CRC's layout: B, G, R, 0 per pixel
        xrgb = bytearray(w * h * 4)
        xrgb[0::4] = rgb[2::3]
        xrgb[1::4] = rgb[1::3]
        xrgb[2::4] = rgb[0::3]
        crc = zlib.crc32(bytes(xrgb)) & 0xffffffff
        ok = crc == req["crc"]
        if not ok:
            with vprime_qmp.QMP(self.qmp_path) as q:
                q.execute("screendump", device=req["device"], head=head, format="png",
                          filename=os.path.join(self.keep_dir, name + ".png"))
        detail = "%dx%d screendump CRC 0x%08x, the guest's 0x%08x" % (w, h, crc, req["crc"])
        self.checks.append((name, ok, detail))
        return {"ok": ok, "detail": detail}

    def screenshot(self, req):
        head = int(req.get("head", 0))
        name = "screenshot-%s" % os.path.basename(req["save"])
        os.makedirs(self.keep_dir, exist_ok=True)
        ppm = os.path.join(self.keep_dir, "%s.ppm" % name)
        with vprime_qmp.QMP(self.qmp_path) as q:
            q.execute("screendump", filename=ppm, device=req["device"], head=head, format="ppm")
            q.execute("screendump", device=req["device"], head=head, format="png",
                      filename=os.path.join(self.keep_dir, "%s.png" % os.path.basename(req["save"])))
        w, h, rgb = read_ppm(ppm)
        os.unlink(ppm)
        record = req.get("record", True)
        if not record:
            os.unlink(os.path.join(self.keep_dir, "%s.png" % os.path.basename(req["save"])))
        colors = set()
        nonblack = 0
        for i in range(0, len(rgb), 3):
            px = rgb[i:i + 3]
            if px != b"\0\0\0":
                nonblack += 1
            if len(colors) < 4096:
                colors.add(px)
        ok = len(colors) >= int(req.get("min_colors", 2))
        detail = ("%dx%d, %d%s distinct colours, %d of %d pixels not black, saved as %s.png"
                  % (w, h, len(colors), "+" if len(colors) >= 4096 else "", nonblack, w * h,
                     os.path.basename(req["save"])))
        if record:
            self.checks.append((name, ok, detail))
        return {"ok": ok, "detail": detail, "width": w, "height": h, "colors": len(colors),
                "nonblack": nonblack}

    # Each qom-get is its own QMP command, and the device's vblank timer runs
    # between two of them: a frame composed between reading the frame count
    # and reading the bytes fetched would make a true proof fail. The counters
    # are read until two reads in a row agree (the guest has finished its
    # frames when it asks, so they settle within a frame or two).
    SETTLE_READS = 50
    SETTLE_GAP_S = 0.02

    def _settled(self, read):
        last = read()
        for _ in range(self.SETTLE_READS):
            time.sleep(self.SETTLE_GAP_S)
            cur = read()
            if cur == last:
                return cur, True
            last = cur
        return last, False

    def _zero_copy_snapshot(self, q, req):
        snap = {"counters": {}}
        for dev, counters in sorted(req.get("expect", {}).items()):
            snap["counters"][dev] = {prop: q.qom_get(self._dev(dev), prop)
                                     for prop in sorted(counters)}
        if req.get("display"):
            # the scenario's head's own counters: the other heads (fbcon's
            # cursor, say) compose frames of their own meanwhile
            disp, head = self._dev(req["display"]), "head%d-" % req["head"]
            snap["display"] = {
                "composed": q.qom_get(disp, head + "frames-composed"),
                "flips": q.qom_get(disp, head + "flips"),
                "read": {k: q.qom_get(disp, head + "bytes-read-%s" % k)
                         for k in ("sysram", "peer", "other")},
                "plane": q.qom_get(disp, "head%d-plane%d-pages" % (req["head"], req["plane"])),
            }
        return snap

    def zero_copy(self, req):
        name = "zero-copy-%s" % req["name"]
        bad, notes = [], []
        proof = self.proofs[req["name"]] = {"counters": {}}
        os.makedirs(self.keep_dir, exist_ok=True)
        with vprime_qmp.QMP(self.qmp_path) as q:
            snap, settled = self._settled(lambda: self._zero_copy_snapshot(q, req))
            if not settled:
                bad.append("the devices' counters still changed after %d reads %.2f s apart"
                           % (self.SETTLE_READS, self.SETTLE_GAP_S))
            for dev, counters in sorted(req.get("expect", {}).items()):
                got = proof["counters"][dev] = snap["counters"][dev]
                for prop, want in sorted(counters.items()):
                    if got[prop] != want:
                        bad.append("%s %s = %s, want %s" % (dev, prop, got[prop], want))
                notes.append("%s: %s" % (dev, ", ".join("%s %s" % (p[len("stat-"):], v)
                                                      for p, v in sorted(got.items()))))
            links = [(l["a"], l["b"], l.get("rel", "equal")) for l in req.get("pages", [])]
            if req.get("display"):
                plane_prop = "head%d-plane%d-pages" % (req["head"], req["plane"])
                composed, flips, read, plane = (snap["display"][k]
                                                for k in ("composed", "flips", "read", "plane"))
                # each latch of a scattered buffer reads its page list (8 bytes a page)
                lists = flips * len(parse_pages(plane)) * 8 if plane.startswith("pages:") else 0
                proof["display"] = {"composed": composed, "flips": flips, "read": read,
                                    "frame_bytes": req["frame_bytes"], "page_list_bytes": lists}
                if not composed:
                    bad.append("the display composed no frame")
                if read != {"sysram": composed * req["frame_bytes"] + lists, "peer": 0, "other": 0}:
                    bad.append("display head %d read %s for %d composed frames of %d bytes and %d "
                               "page-list bytes (%d flips)"
                               % (req["head"], read, composed, req["frame_bytes"], lists, flips))
                else:
                    notes.append("display head %d composed %d frames, read %d bytes = %d x %d + %d "
                                 "bytes of page lists (%d flips), all from system RAM"
                                 % (req["head"], composed, read["sysram"], composed,
                                    req["frame_bytes"], lists, flips))
                links.insert(0, ([req["display"], plane_prop],
                                 [req["producer"], "%s-last-write-pages" % req["engine"]], "equal"))
            walker = IommuWalker(q, self.keep_dir, "intel-iommu" in self._qemu_cmdline())
            how = ("DMA addresses translated through the vIOMMU's page tables" if walker.enabled
                   else "no vIOMMU: DMA addresses are guest-physical")
            bdfs = pci_bdfs(q)
            for a, b, rel in links:
                self._same_pages(q, walker, bdfs, a, b, rel, bad, notes)
            if links and not bad:
                notes.append(how)
        proof["ok"] = not bad
        detail = "; ".join(bad or notes)
        self.checks.append((name, not bad, detail))
        return {"ok": not bad, "detail": detail}

    # How long QEMU may wait for the guest to release an unplugged device
    # (pciehp's attention button alone takes 5 s; TCG is slow).
    UNPLUG_WAIT_S = 120

    def device_del(self, dev_id):
        t0 = time.time()
        with vprime_qmp.QMP(self.qmp_path, timeout=self.UNPLUG_WAIT_S) as q:
            q.execute("device_del", id=dev_id)
            ev = q.wait_event("DEVICE_DELETED", lambda d: d.get("device") == dev_id,
                              self.UNPLUG_WAIT_S)
        if not ev:
            return {"ok": False, "error": "no DEVICE_DELETED for %s within %ds: the guest did not "
                    "release it" % (dev_id, self.UNPLUG_WAIT_S)}
        return {"ok": True, "seconds": round(time.time() - t0, 3)}

    def device_props(self, dev_id):
        """The -device properties QEMU was started with for dev_id."""
        argv = self._qemu_argv()
        for flag, val in zip(argv, argv[1:]):
            if flag != "-device":
                continue
            if val.startswith("{"):
                props = json.loads(val)
            else:
                driver, _, rest = val.partition(",")
                props = {"driver": driver}
                for kv in filter(None, rest.split(",")):
                    k, _, v = kv.partition("=")
                    # QMP wants JSON types: numbers and booleans as such
                    props[k] = int(v) if v.isdigit() else {"on": True, "off": False}.get(v, v)
            if props.get("id") == dev_id:
                return props
        raise KeyError("no -device with id=%s on QEMU's command line" % dev_id)

    def device_add(self, dev_id):
        props = self.device_props(dev_id)
        with vprime_qmp.QMP(self.qmp_path) as q:
            q.execute("device_add", **props)
        return {"ok": True, "props": props}

    def _same_pages(self, q, walker, bdfs, a, b, rel, bad, notes):
        """Check that the pages [DEV, PROP] a names are those of b (rel
        "equal") or among them ("within"), as guest-physical pages (VRAM
        pages as the device's VRAM offsets)."""
        sets = []
        for dev, prop in (a, b):
            try:
                pages = [("vram", dev, addr) if vram else walker.translate(bdfs[dev], addr)
                         for addr, vram in parse_pages(q.qom_get(self._dev(dev), prop))]
            except (ValueError, KeyError) as e:
                bad.append("cannot translate %s %s: %s" % (dev, prop, e))
                return
            sets.append(set(pages))
        what = "%s %s (%d pages) %s %s %s (%d pages)" % (
            a[0], a[1], len(sets[0]), "are" if rel == "equal" else "are within",
            b[0], b[1], len(sets[1]))
        if not sets[0]:
            bad.append("%s %s names no page" % tuple(a))
        elif len({any(isinstance(p, tuple) for p in pages) for pages in sets}) > 1:
            bad.append("%s %s and %s %s: one is in VRAM, the other is not" % (a[0], a[1], b[0], b[1]))
        elif (sets[0] != sets[1]) if rel == "equal" else not sets[0] <= sets[1]:
            bad.append("not so: %s; %d in common" % (what, len(sets[0] & sets[1])))
        else:
            notes.append(what)

    def _qemu_argv(self):
        with open("/proc/%d/cmdline" % qemu_pid(self.pidfile), "rb") as f:
            return f.read().decode(errors="replace").split("\0")

    def _qemu_cmdline(self):
        return " ".join(self._qemu_argv())
