#!/usr/bin/python3
"""vprime benchmarks: each figure is printed as 'bench NAME VALUE UNIT' and
collected in $VPRIME_BUILD/bench.json.

- boot_to_first_guest_test: wall seconds from starting QEMU to the first
  KTAP result of the guest suite (default topology, TCG), median of 3.
- host_memcpy_64MiB, copy_engine_{sys,vram}_to_sys_64MiB (GB/s) and their
  ratio to memcpy: the GPU copy engine of the device model, driven over
  qtest with no modelled time, so the figure is what the model can move.
- submit_to_fence_{mean,min}_us, small_jobs_per_second: an empty job
  through vprime_gpu (ioctl, drm_sched, ring, FENCE, MSI-X, syncobj) in
  the TCG guest.
- display_<W>x<H>_<card>_*: the display engine (vprime) beside a
  virtio-gpu scanout (virtio) in the same run, at 1920x1080 and 3840x2160,
  60 Hz: QEMU main-thread CPU time per presented frame for an unchanged
  frame and for a fully changed one (a flip between two different
  buffers every frame), sustained flips per second, and (vprime) flip
  latency from atomic commit to flip-done, in us and in vblanks.
- optimus_1920x1080_* and afr_1920x1080_*: scenarios 1 (dGPU renders in
  VRAM, its copy engine hands the frame to the display) and 4 (two dGPUs
  alternate frames) at 1920x1080@60 under TCG: sustained frames per second,
  and for scenario 1 the handoff latency from the dGPU's fence signalling
  to the frame on screen (flip-done), in us and in vblanks (1 = the next
  vblank, the physical limit).
- full_suite: wall seconds of the whole 'make check' suite (build excluded).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BOOTS = int(os.environ.get("VPRIME_BENCH_BOOTS", "3"))


def emit(figures, name, value, unit):
    figures.append({"name": name, "value": round(value, 3), "unit": unit})
    print("bench %s %.2f %s" % (name, value, unit), flush=True)


def emit_lines(figures, text):
    """Emit the '# bench NAME VALUE UNIT' lines of a guest or qtest; how many."""
    got = 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[:2] == ["#", "bench"]:
            emit(figures, parts[2], float(parts[3]), parts[4])
            got += 1
    return got


def main():
    figures = []
    firsts = []
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        for _ in range(BOOTS):
            ktap, console, rc, timed_out, t_first = harness.boot_guest([], tmp)
            if rc != 0 or t_first is None:
                print("bench: guest boot failed (exit %s)\n%s" % (rc, console[-2000:]), file=sys.stderr)
                return 1
            firsts.append(t_first)
    emit(figures, "boot_to_first_guest_test", statistics.median(firsts), "s")

    # Submit-to-fence latency and small jobs per second, in the guest
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        ktap, console, rc, timed_out, _ = harness.boot_guest(["--append", "vprime.tests=bench-submit"], tmp)
    got = emit_lines(figures, ktap)
    if rc or not got:
        print("bench: submit benchmark failed\n%s" % (ktap + console)[-2000:], file=sys.stderr)
        return 1

    # Display: vprime's engine beside virtio-gpu, same guest program
    for mode in ("1920x1080", "3840x2160"):
        w, h = mode.split("x")
        for card, args in (
                ("vprime", ["--gpus", "igpu", "--display-mode", mode + "@60",
                            "--append", "vprime.tests=bench-kms"]),
                ("virtio", ["--gpus", "igpu", "--no-display",
                            "--qemu-args", "-device virtio-gpu-pci,xres=%s,yres=%s" % (w, h),
                            "--append", "vprime.tests=bench-kms vprime.bench_card=virtio"])):
            with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
                ktap, console, rc, timed_out, _ = harness.boot_guest(args, tmp)
            got = emit_lines(figures, ktap)
            if rc or not got or "not ok" in ktap:
                print("bench: display benchmark (%s %s) failed\n%s" % (card, mode, (ktap + console)[-3000:]),
                      file=sys.stderr)
                return 1

    # Scenarios 1 and 4 at 1920x1080: fps and handoff latency
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        ktap, console, rc, timed_out, _ = harness.boot_guest(
            ["--gpus", "igpu,dgpu,dgpu", "--display-mode", "1920x1080@60", "--append",
             "vprime.tests=scenario-optimus,scenario-afr vprime.frames=60"], tmp, timeout=900)
    got = emit_lines(figures, ktap)
    if rc or not got or "not ok" in ktap:
        print("bench: scenario benchmark failed\n%s" % (ktap + console)[-3000:], file=sys.stderr)
        return 1

    # GPU copy engine throughput of the device model (driven over qtest,
    # no modelled time), beside host memcpy measured in the same run.
    qdir = os.path.join(harness.BUILD, "qemu-build")
    r = subprocess.run([os.path.join(qdir, "tests/qtest/vprime-gpu-test"), "-m", "perf", "-p",
                        "/x86_64/vprime-gpu/bench/copy-engine", "--tap"], cwd=qdir,
                       env=dict(os.environ, QTEST_QEMU_BINARY=os.path.join(harness.BUILD, "qtest-bin",
                                                                          "qemu-system-x86_64")),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = r.stdout.decode(errors="replace")
    got = emit_lines(figures, out)
    if r.returncode or not got:
        print("bench: copy-engine benchmark failed\n%s" % out[-2000:], file=sys.stderr)
        return 1

    t0 = time.time()
    r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "harness.py")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.time() - t0
    if r.returncode != 0:
        print("bench: the suite failed; full_suite not reported", file=sys.stderr)
        return 1
    emit(figures, "full_suite", elapsed, "s")

    path = os.path.join(harness.BUILD, "bench.json")
    with open(path, "w") as f:
        json.dump({"figures": figures, "boot_samples_s": [round(x, 3) for x in firsts],
                   "accel": "tcg", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f, indent=1)
    print("# figures also in %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
