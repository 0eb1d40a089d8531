#!/usr/bin/python3
"""make run: scenario 1 (Optimus render offload) on the default topology.

The dGPU renders each frame (test pattern, frame number + dGPU tag) in its
VRAM, its copy engine hands it to the display engine through a dma-buf,
the frame is flipped behind the copy's fence.  Prints what was measured in
this run: frames shown in order (the device's CRC of every composed frame,
checked in the guest), frames per second, the copies the devices made
(their byte counters, read over QMP), the proof that the CPU copied
nothing (QEMU's DMA trace: every frame the display scanned is exactly the
pages the dGPU wrote for it), the host's zero-copy and screendump checks,
and saves the screen as a PNG under the build directory.

usage: run_scenario.py [--frames N] [vprime-launch options, e.g. --display vnc:1]
"""

import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PAGE = 4096
# QEMU trace events (hw/trace-events) the per-frame proof reads
TRACE_EVENTS = ("vprime_gpu_dma", "vprime_disp_fetch", "vprime_disp_compose")
TRACE_RE = re.compile(r"^(?:\d+@[\d.]+:)?(%s) (.*)$" % "|".join(TRACE_EVENTS))
GPU_DMA_RE = re.compile(r"^(\S+): ctx \d+ va 0x[0-9a-f]+ -> 0x([0-9a-f]+) len (\d+) "
                        r"kind (\d+) write (\d)$")
FETCH_RE = re.compile(r"^(\S+): head (\d+) plane (\d+) read 0x([0-9a-f]+) len (\d+)$")
COMPOSE_RE = re.compile(r"^(\S+): head (\d+) composed frame (\d+) crc 0x([0-9a-f]+)$")
MEM_SYSRAM = 0                  # VPrimeMemKind in hw/vprime-gpu.h


def pages(addr, length):
    return range(addr & ~(PAGE - 1), addr + length, PAGE)


def frames_from_trace(path, frame_bytes, gpu="vprime-dgpu", head=0):
    """From QEMU's trace: the page sets the dGPU wrote in system RAM, one
    per frame_bytes written (a copy), and the page sets the display
    fetched for each composed frame of head (consecutive repeats of a
    picture folded).  Returns (copies, scans)."""
    copies, scans = [], []
    cur, cur_bytes, fetch = set(), 0, set()
    with open(path, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line.rstrip("\n"))
            if not m:
                continue
            ev, args = m.groups()
            if ev == "vprime_gpu_dma":
                d = GPU_DMA_RE.match(args)
                if d and d.group(1) == gpu and d.group(5) == "1" and int(d.group(4)) == MEM_SYSRAM:
                    n = int(d.group(3))
                    cur.update(pages(int(d.group(2), 16), n))
                    cur_bytes += n
                    if cur_bytes >= frame_bytes:
                        copies.append((frozenset(cur), cur_bytes))
                        cur, cur_bytes = set(), 0
            elif ev == "vprime_disp_fetch":
                d = FETCH_RE.match(args)
                if d and int(d.group(2)) == head:
                    fetch.update(pages(int(d.group(4), 16), int(d.group(5))))
            elif ev == "vprime_disp_compose":
                d = COMPOSE_RE.match(args)
                if d and int(d.group(2)) == head and fetch:
                    if not scans or scans[-1] != fetch:
                        scans.append(frozenset(fetch))
                    fetch = set()
    return copies, scans


def cpu_copy_proof(trace, frame_bytes, frames):
    """(ok, text): the display scanned exactly the pages the dGPU wrote,
    frame by frame."""
    try:
        copies, scans = frames_from_trace(trace, frame_bytes)
    except OSError as e:
        return False, "no QEMU trace (%s)" % e
    if not copies:
        return False, "the trace shows no dGPU write to system RAM"
    odd = [b for _, b in copies if b != frame_bytes]
    if odd:
        return False, "the dGPU wrote %s bytes at a time, not one frame (%d)" % (odd[:3], frame_bytes)
    # the scans from the one that shows the first copy on
    first = [i for i, sc in enumerate(scans) if sc == copies[0][0]]
    if not first:
        return False, "the display never scanned the pages of the dGPU's first frame"
    shown = scans[first[0]:first[0] + len(copies)]
    same = sum(1 for (c, _), sc in zip(copies, shown) if c == sc)
    text = ("the display scanned exactly the pages the dGPU wrote (its copies into system RAM), "
            "%d of %d frames (QEMU's DMA trace: %d copies of %d bytes, %d pictures scanned)"
            % (same, frames, len(copies), frame_bytes, len(shown)))
    return same == frames == len(copies), text


def accel_used(argv, console):
    """The accelerator this run used: --accel, or what --accel auto chose."""
    accel = "tcg"
    for i, a in enumerate(argv):
        if a == "--accel" and i + 1 < len(argv):
            accel = argv[i + 1]
        elif a.startswith("--accel="):
            accel = a.split("=", 1)[1]
    if accel == "auto":
        m = re.search(r"^vprime-launch: .*; using (KVM|TCG)$", console, re.M)
        return m.group(1) if m else "accelerator unknown"
    return accel.upper()


def with_trace(argv, trace):
    """argv with the trace events and log file added to --qemu-args."""
    extra = " ".join("-trace enable=%s" % e for e in TRACE_EVENTS) + " -D " + trace
    argv = list(argv)
    for i, a in enumerate(argv):
        if a == "--qemu-args" and i + 1 < len(argv):
            argv[i + 1] += " " + extra
            return argv
        if a.startswith("--qemu-args="):
            argv[i] += " " + extra
            return argv
    return argv + ["--qemu-args", extra]


class Run:
    """What one run of scenario 1 measured (see scenario())."""
    ok = False              # everything below held
    completed = False       # the scenario reported its frames and the host its proof
    ktap = console = ""
    rc = None
    timed_out = False
    frames_shown = fps = None
    proof = None            # the host agent's zero-copy proof (agent.proofs["optimus"])
    cpu_ok, cpu_text = False, ""
    checks = ()             # the host agent's checks: (name, ok, detail)
    png = None              # the screen, saved


def scenario(argv, frames=12, png=None, keep=None):
    """Boot the topology of argv (vprime-launch options) and run scenario 1
    with frames frames under QEMU's DMA trace.  keep: a directory for the
    console log and trace; png: where to save the screen.  Returns a Run."""
    r = Run()
    with tempfile.TemporaryDirectory(prefix="vprime-run-") as tmp:
        trace = os.path.join(tmp, "qemu-trace.log")
        agents = []
        r.ktap, r.console, r.rc, r.timed_out, _ = harness.boot_guest(
            with_trace(argv, trace) + ["--append", "vprime.tests=scenario-optimus vprime.frames=%d"
                                       % frames], tmp, timeout=max(300, frames), agent=agents)
        if keep:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, "run-console.log"), "w") as f:
                f.write(r.console)
            with open(os.path.join(keep, "results.ktap"), "w") as f:
                f.write(r.ktap)
        saved = os.path.join(tmp, "host", "optimus.png")
        if png and os.path.exists(saved):
            shutil.copy(saved, png)
            r.png = png
        agent = agents[0] if agents else None
        r.checks = list(agent.checks) if agent else []
        r.proof = agent.proofs.get("optimus") if agent else None
        r.cpu_ok, r.cpu_text = (cpu_copy_proof(trace, r.proof["display"]["frame_bytes"], frames)
                                if r.proof and "display" in r.proof
                                else (False, "no zero-copy proof from the host"))
    m = re.search(r"^# scenario optimus frames_shown (\d+) fps ([\d.]+)\s*$", r.ktap, re.M)
    if m:
        r.frames_shown, r.fps = int(m.group(1)), m.group(2)
    r.completed = bool(m and r.proof)
    r.ok = (r.completed and r.cpu_ok and r.png is not None and all(ok for _, ok, _ in r.checks)
            and re.search(r"^ok \d+ scenario-optimus\s*$", r.ktap, re.M) is not None)
    return r


def main(argv):
    frames = 12
    if "--frames" in argv:
        i = argv.index("--frames")
        frames, argv = int(argv[i + 1]), argv[:i] + argv[i + 2:]
    png = os.path.join(harness.BUILD, "vprime-screen.png")
    if os.path.exists(png):
        os.unlink(png)
    r = scenario(argv, frames, png, harness.RESULTS)
    for line in r.ktap.splitlines():
        if line.startswith("# FAIL"):
            print("  " + line[2:])
    if not r.completed:
        print("vprime: scenario 1 did not complete (exit %s%s); console: %s"
              % (r.rc, ", timed out" if r.timed_out else "",
                 os.path.join(harness.RESULTS, "run-console.log")))
        return 1
    frame_bytes = r.proof["display"]["frame_bytes"]
    (dev, got), = [(d, c) for d, c in r.proof["counters"].items()]
    written, read_vram = got["stat-bytes-written-sysram"], got["stat-bytes-read-vram"]
    print("vprime: scenario 1 (Optimus render offload): %s frames shown in order, %s fps (%s)"
          % (r.frames_shown, r.fps, accel_used(argv, r.console)))
    print("vprime: device copies: %g frames (%s, the dGPU: %d bytes read from VRAM, %d written to "
          "system RAM, frames of %d bytes; its counters over QMP)"
          % (written / frame_bytes, dev, read_vram, written, frame_bytes))
    print("vprime: CPU copies: %s: %s" % ("none" if r.cpu_ok else "NOT PROVEN", r.cpu_text))
    for name, good, detail in r.checks:
        print("  host %s: %s: %s" % (name, "ok" if good else "FAILED", detail))
    if r.png:
        print("vprime: the screen (the dGPU's last frame) is in %s" % png)
    else:
        print("vprime: no screen PNG was saved")
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
