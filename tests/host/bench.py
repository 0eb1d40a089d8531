#!/usr/bin/python3
"""vprime benchmarks: each figure is printed as 'bench NAME VALUE UNIT' and
collected in $VPRIME_BUILD/bench.json.

- boot_to_first_guest_test: seconds from the start of the QEMU process
  (its start time in /proc, found through QEMU's -pidfile) to the moment
  the harness sees the first KTAP result line of the guest suite (default
  topology, TCG), median of 3; a boot where either is unknown is refused.
  boot_<phase>: where that time went (boot_phases()): firmware (QEMU's
  start-up and the firmware, to its last fw_cfg access: QEMU's trace), kernel_early (decompression and the
  kernel's setup until its clock starts), kernel_init (to /init), initramfs_unpack (during
  kernel_init), init_to_drivers (/init mounting and loading the modules),
  drivers_to_first_test (the test runner and the first test).
- genlock_flip_event_diff_max_{genlocked,free} (us): two heads of one
  mode, the second turned on a third of a period after the first's
  vblank, flipped together 100 times (one atomic commit a flip): the
  largest difference of the two flip events' timestamps, as the client
  reads them, with --genlock and without, in the same run (kms-genlock).
- host_memcpy_64MiB, copy_engine_{sys,vram}_to_sys_64MiB (GB/s) and their
  ratio to memcpy: the GPU copy engine of the device model, driven over
  qtest with no modelled time, so the figure is what the model can move;
  memcpy gets the same conditions (64 MiB, the source filled with the
  same pattern, the destination untouched before the first of ten
  runs, best of ten: a shared host preempts single runs) and every
  copy's destination is verified.
- submit_to_fence_{mean,min}_us, small_jobs_per_second: an empty job
  through vprime_gpu (ioctl, drm_sched, ring, FENCE, MSI-X, syncobj) in
  the TCG guest.
- display_<W>x<H>_<card>_*: the display engine (vprime) beside a
  virtio-gpu scanout (virtio) in the same run, at 1920x1080 and 3840x2160,
  by the same guest program (tests/guest/bench-kms.c) on the same 60 Hz
  clock: QEMU CPU time (main thread, and the whole process) per second
  of an unchanged screen and per presented frame when every frame
  changes (a flip between two different buffers), frames per second,
  and (vprime, which has a vblank) flip latency from atomic commit to
  flip-done, in us and in vblanks.
- optimus_1920x1080_* and afr_1920x1080_*: scenarios 1 (dGPU renders in
  VRAM, its copy engine hands the frame to the display) and 4 (two dGPUs
  alternate frames) at 1920x1080@60 under TCG: sustained frames per second,
  and the handoff latency from the producer's fence signalling to the frame
  on screen (flip-done), in us and in vblanks (1 = the next vblank, the
  physical limit), mean and worst over the last 60 of 80 frames;
  ready_latency counts from the latest of the fence, the previous frame's
  flip-done (the display free) and the commit, handoff_queued the frames
  whose fence came while the previous flip was pending, handoff_missed
  the frames that missed the vblank after they were ready (the display
  driver's commit path and the latch), with the most time a missed one
  had before that vblank (handoff_missed_margin_worst).  Each frame is rendered
  once the previous one is on screen; the *_ahead_* figures render it as
  soon as the previous one is committed (more fps on a slow host, a
  frame's wait behind the previous flip counted in its latency).
- scale_8gpu_4heads_*: 8 GPUs (an iGPU, seven dGPUs) and 4 heads in one
  VM: the boot to its first guest test, and scenario 4 across the seven
  dGPUs at 1920x1080 (the afr_* figures above, 80 frames).
- full_suite: wall seconds of the whole 'make check' suite but the rootfs
  suite (build excluded; make bench does not build the rootfs);
  initramfs_suites: its guest phase (every suite that boots the initramfs,
  several guests at once: harness.py --jobs), as the harness timed it.
"""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BOOTS = int(os.environ.get("VPRIME_BENCH_BOOTS", "3"))


def emit(figures, name, value, unit):
    if not math.isfinite(value):
        raise ValueError("bench %s: %r is not a measurement" % (name, value))
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


class BenchError(RuntimeError):
    pass


FW_CFG_RE = re.compile(r"^\d+@(\d+\.\d+):fw_cfg_select ", re.M)


def boot_phases(ktap, trace, started, t_first):
    """Where one boot went, in seconds: {phase: seconds} (see BOOT_PHASES).

    Host clock: QEMU's start (CLOCK_BOOTTIME, from /proc) and the last
    fw_cfg selection of its trace (wall clock): the firmware has loaded
    the kernel and initramfs then.  Guest clock (vprime.boottime=1: the
    kernel log's times, with images/init's marks in it): it starts once
    the kernel is decompressed and has set up its clock (kernel_early is
    the time before).  The two meet at the first result line: the host
    saw it at t_first, the guest printed it at first_test_start + the
    first test's time.  kernel_early is what remains, so it also holds
    any time the guest's clock lost against the host's (a TCG guest's
    timer ticks come late on a loaded host)."""
    marks = dict((what.replace("vprime-boot: ", ""), float(t)) for t, what in
                 re.findall(r"^# boottime ([\d.]+) (.+?)\s*$", ktap, re.M))
    took = re.search(r"^# \S+ took ([\d.]+) s$", ktap, re.M)
    selects = [float(t) for t in FW_CFG_RE.findall(harness.slurp(trace))]
    need = ("Run /init", "init_start", "drivers_loaded", "first_test_start")
    if not all(k in marks for k in need) or not took or not selects:
        raise BenchError("boot breakdown: marks %s, first test time %s, %d fw_cfg selections"
                         % (marks, took and took.group(1), len(selects)))
    wall_minus_boottime = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    firmware = selects[-1] - (started + wall_minus_boottime)
    u_first = marks["first_test_start"] + float(took.group(1))
    kernel_clock0 = t_first - u_first           # host seconds after QEMU started
    unpack = marks.get("Freeing initrd memory", 0.0) - marks.get("Trying to unpack rootfs", 0.0)
    return {
        "firmware": firmware,
        "kernel_early": kernel_clock0 - firmware,
        "kernel_init": marks["Run /init"],
        "initramfs_unpack": unpack if unpack > 0 else 0.0,
        "init_to_drivers": marks["drivers_loaded"] - marks["Run /init"],
        "drivers_to_first_test": u_first - marks["drivers_loaded"],
    }


# What boot_phases() reports, in boot order; all but initramfs_unpack add
# up to the boot (the kernel unpacks the initramfs during its initcalls)
BOOT_PHASES = ("firmware", "kernel_early", "kernel_init", "initramfs_unpack",
               "init_to_drivers", "drivers_to_first_test")


def bench_boot(figures, extra):
    """The default topology's boot to the first guest test, and where the
    time goes (median of each phase over the boots)."""
    firsts, phases = [], []
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        trace = os.path.join(tmp, "fw-cfg.trace")
        for _ in range(BOOTS):
            if os.path.exists(trace):
                os.unlink(trace)
            info = {}
            ktap, console, rc, timed_out, t_first = harness.boot_guest(
                ["--append", "vprime.boottime=1",
                 "--qemu-args", "-msg timestamp=on -trace fw_cfg_select -D %s" % trace], tmp, info=info)
            if rc != 0:
                raise BenchError("guest boot failed (exit %s)\n%s" % (rc, console[-2000:]))
            if t_first is None or not math.isfinite(t_first) or "qemu_started" not in info:
                raise BenchError("boot time not measured (QEMU's start or the first result "
                                 "line was not seen)")
            firsts.append(t_first)
            phases.append(boot_phases(ktap, trace, info["qemu_started"], t_first))
    emit(figures, "boot_to_first_guest_test", statistics.median(firsts), "s")
    for p in BOOT_PHASES:
        emit(figures, "boot_%s" % p, statistics.median(x[p] for x in phases), "s")
    extra["boot_samples_s"] = [round(x, 3) for x in firsts]
    extra["boot_phase_samples_s"] = [{k: round(v, 3) for k, v in x.items()} for x in phases]


def guest_bench(figures, what, args, timeout=harness.GUEST_TIMEOUT):
    """Boot, emit the guest's '# bench' lines; every test must pass."""
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        ktap, console, rc, timed_out, _ = harness.boot_guest(args, tmp, timeout=timeout)
    if rc or "not ok" in ktap or not re.search(r"^ok ", ktap, re.M):
        raise BenchError("%s failed (exit %s)\n%s" % (what, rc, (ktap + console)[-3000:]))
    if not emit_lines(figures, ktap):
        raise BenchError("%s printed no figure\n%s" % (what, ktap[-2000:]))


def bench_submit(figures, extra):
    """Submit-to-fence latency and small jobs per second, in the guest."""
    guest_bench(figures, "submit benchmark", ["--append", "vprime.tests=bench-submit"])


def bench_display(figures, extra):
    """vprime's display engine beside virtio-gpu, same guest program."""
    for mode in ("1920x1080", "3840x2160"):
        w, h = mode.split("x")
        guest_bench(figures, "display benchmark (vprime %s)" % mode,
                    ["--gpus", "igpu", "--display-mode", mode + "@60",
                     "--append", "vprime.tests=bench-kms"])
        guest_bench(figures, "display benchmark (virtio %s)" % mode,
                    ["--gpus", "igpu", "--no-display",
                     "--qemu-args", "-device virtio-gpu-pci,xres=%s,yres=%s" % (w, h),
                     "--append", "vprime.tests=bench-kms vprime.bench_card=virtio"])


def bench_scenarios(figures, extra):
    """Scenarios 1 and 4 at 1920x1080: fps and handoff latency, each frame
    rendered after the previous flip-done (the default) and rendered ahead."""
    for ahead in ("", " vprime.render_ahead=1"):
        guest_bench(figures, "scenario benchmark" + (" (render ahead)" if ahead else ""),
                    ["--gpus", "igpu,dgpu,dgpu", "--display-mode", "1920x1080@60", "--append",
                     "vprime.tests=scenario-optimus,scenario-afr vprime.frames=80" + ahead],
                    timeout=900)


def bench_scale(figures, extra):
    """8 GPUs (an iGPU, seven dGPUs) and 4 heads in one VM: its boot to the
    first guest test, and scenario 4 (AFR) across the seven dGPUs at
    1920x1080: the guest's afr_* figures, named scale_8gpu_4heads_afr_*."""
    args = list(harness.SCALE_ARGS)
    i = args.index("--append")
    # pci-ids first: its result line ends the boot, not the scenario's
    args[i + 1] = "vprime.tests=pci-ids,scenario-afr vprime.frames=80"
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        ktap, console, rc, timed_out, t_first = harness.boot_guest(
            args + ["--display-mode", "1920x1080@60"], tmp, timeout=900)
    if rc or "not ok" in ktap or not re.search(r"^ok ", ktap, re.M):
        raise BenchError("scale benchmark failed (exit %s)\n%s" % (rc, (ktap + console)[-3000:]))
    if t_first is None:
        raise BenchError("scale benchmark: boot time not measured")
    emit(figures, "scale_8gpu_4heads_boot_to_first_guest_test", t_first, "s")
    renamed = "\n".join(re.sub(r"^# bench afr_", "# bench scale_8gpu_4heads_afr_", l)
                         for l in ktap.splitlines() if l.startswith("# bench afr_"))
    if not emit_lines(figures, renamed):
        raise BenchError("scale benchmark printed no AFR figure\n%s" % ktap[-2000:])


def bench_genlock(figures, extra):
    """Two heads flipped together 100 times, one commit a flip: the largest
    difference of their flip events' timestamps, genlocked and free-running
    (the guest's kms-genlock; the second head turned on a third of a
    period after the first's vblank)."""
    for genlock in (["--genlock"], []):
        guest_bench(figures, "genlock benchmark" + (" (genlocked)" if genlock else " (free)"),
                    ["--gpus", "igpu", "--heads", "2"] + genlock +
                    ["--append", "vprime.tests=kms-genlock,dmesg-clean"])


def bench_copy(figures, extra):
    """The GPU copy engine of the device model (driven over qtest, no
    modelled time), beside host memcpy measured in the same run."""
    sys.path.insert(0, os.path.join(harness.SRC, "scripts"))
    import vprime_firmware
    qdir = os.path.join(harness.BUILD, "qemu-build")
    with tempfile.TemporaryDirectory(prefix="vprime-bench-") as tmp:
        # libqtest takes the target from the binary's name: a wrapper of
        # that name adds the firmware directories
        wrap = os.path.join(tmp, "qemu-system-x86_64")
        with open(wrap, "w") as f:
            f.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (
                os.path.join(qdir, "qemu-system-x86_64"), " ".join(vprime_firmware.qemu_args())))
        os.chmod(wrap, 0o755)
        r = subprocess.run([os.path.join(qdir, "tests/qtest/vprime-gpu-test"), "-m", "perf", "-p",
                            "/x86_64/vprime-gpu/bench/copy-engine", "--tap"], cwd=qdir,
                           env=dict(os.environ, QTEST_QEMU_BINARY=wrap),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = r.stdout.decode(errors="replace")
    if r.returncode or re.search(r"^not ok", out, re.M):
        raise BenchError("copy-engine benchmark failed (exit %s)\n%s" % (r.returncode, out[-2000:]))
    if not emit_lines(figures, out):
        raise BenchError("copy-engine benchmark printed no figure\n%s" % out[-2000:])


def bench_suite(figures, extra):
    """The whole 'make check' (build excluded) and its guest phase, the
    suites that boot the initramfs (every suite but the qtests and the
    launcher's input checks), as the harness timed them; each suite's
    wall time goes to bench.json."""
    # every suite of make check but the rootfs's (not an initramfs boot;
    # make bench builds no rootfs)
    suites = [a for n in harness.DEFAULT_SUITES if n != "rootfs" for a in ("--suite", n)]
    t0 = time.time()
    r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "harness.py")] + suites,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.time() - t0
    try:
        with open(os.path.join(harness.RESULTS, "summary.json")) as f:
            summary = json.load(f)
        guests = summary["phases"]["guests"]["seconds"]
    except (OSError, ValueError, KeyError) as e:
        raise BenchError("the suite's summary.json has no guest phase: %s" % e)
    if r.returncode != 0:
        raise BenchError("the suite failed (%s failed, %s passed in %.0f s; %s): full_suite not "
                         "reported" % (summary.get("failed"), summary.get("passed"), elapsed,
                                       ", ".join(summary.get("failures", [])[:5]) or
                                       "build/results/junit.xml says which"))
    emit(figures, "full_suite", elapsed, "s")
    emit(figures, "initramfs_suites", guests, "s")
    extra["suite_seconds"] = summary["suites"]
    extra["suite_jobs"] = summary["jobs"]


def fig(figures, name):
    """The value of figure name in this run, or None."""
    for f in figures:
        if f["name"] == name:
            return f["value"]
    return None


def _verdict(met, reason):
    return "goal met" if met else "goal NOT met: " + reason


def table_rows(figures, extra, failed):
    """Issue 17's table from this run's figures: [(figure, vprime,
    reference, ratio, goal, verdict)], every row, measured or the reason
    it is not.  failed: {part: error} of the benchmarks that failed."""
    rows = []

    def missing(part, what):
        if part in failed:
            return "not measured: the %s benchmark failed (%s)" % (part, failed[part])
        if part not in extra.get("parts_run", []):
            return "not measured: '--only %s' not in this run" % part
        return "not measured: %s missing from its output" % what

    for mode in ("1920x1080", "3840x2160"):
        v = fig(figures, "display_%s_vprime_changed_host_cpu_main_per_frame" % mode)
        r = fig(figures, "display_%s_virtio_changed_host_cpu_main_per_frame" % mode)
        name = "host CPU (main thread) per changed frame, %s" % mode
        if v is None or r is None or r <= 0:
            rows.append((name, "-", "-", "-", "<= 0.5x virtio-gpu", missing("display", "a changed-frame figure")))
            continue
        ratio = v / r
        rows.append((name, "%.0f us" % v, "virtio-gpu %.0f us" % r, "%.2fx" % ratio, "<= 0.5x virtio-gpu",
                     _verdict(ratio <= 0.5, "%.0f us more than half of virtio-gpu's" % (v - r / 2))))
    # ms of CPU per second of an unchanged screen, per frame of the 60 Hz clock
    v = fig(figures, "display_1920x1080_vprime_unchanged_host_cpu_main")
    r = fig(figures, "display_1920x1080_virtio_unchanged_host_cpu_main")
    name = "host CPU (main thread) per unchanged frame, 1920x1080"
    if v is None or r is None or r <= 0:
        rows.append((name, "-", "-", "-", "<= 1x virtio-gpu", missing("display", "an unchanged-screen figure")))
    else:
        vf, rf = v * 1e3 / 60, r * 1e3 / 60
        model = fig(figures, "display_1920x1080_vprime_unchanged_model_us_per_vblank")
        reason = "%.0f us more per 60 Hz frame than virtio-gpu" % (vf - rf)
        wakeups = fig(figures, "display_1920x1080_vprime_unchanged_vblank_wakeups_per_vblank")
        if model is not None:
            reason += "; %.1f us of a vblank are the display model's callbacks" % model
        if wakeups is not None:
            reason += ("; the host ran %.0f%% of the vblanks (its timer stops while nothing waits "
                       "for one)" % (wakeups * 100))
        vw = fig(figures, "display_1920x1080_vprime_unchanged_main_wakeups")
        rw = fig(figures, "display_1920x1080_virtio_unchanged_main_wakeups")
        if vw is not None and rw is not None:
            reason += "; QEMU's main loop woke %.0f times a second (virtio-gpu: %.0f)" % (vw, rw)
        rows.append((name, "%.0f us" % vf, "virtio-gpu %.0f us" % rf, "%.2fx" % (vf / rf), "<= 1x virtio-gpu",
                     _verdict(vf <= rf, reason)))
    mc = fig(figures, "host_memcpy_64MiB")
    for kind, label in (("sys", "sys->sys"), ("vram", "VRAM->sys")):
        v = fig(figures, "copy_engine_%s_to_sys_64MiB" % kind)
        name = "copy engine %s, 64 MiB" % label
        if v is None or not mc:
            rows.append((name, "-", "-", "-", ">= 0.8x memcpy", missing("copy", "a copy-engine figure")))
            continue
        rows.append((name, "%.2f GB/s" % v, "host memcpy %.2f GB/s" % mc, "%.2fx" % (v / mc),
                     ">= 0.8x memcpy", _verdict(v / mc >= 0.8, "%.2f GB/s short of 0.8x memcpy"
                                                % (0.8 * mc - v))))
    for scen, label in (("optimus", "Optimus handoff, dGPU fence -> flip-done"),
                        ("afr", "AFR handoff, fence -> flip-done")):
        pre = "%s_1920x1080_" % scen
        mean = fig(figures, pre + "handoff_latency_vblanks")
        worst = fig(figures, pre + "handoff_latency_vblanks_worst")
        if mean is None:
            rows.append((label, "-", "-", "-", "<= 1.00 vblank", missing("scenarios", "a handoff figure")))
            continue
        frames = fig(figures, pre + "handoff_frames")
        missed = fig(figures, pre + "handoff_missed")
        queued = fig(figures, pre + "handoff_queued")
        margin = fig(figures, pre + "handoff_missed_margin_worst")
        reason = "mean %.2f vblanks: %s of %s frames missed the vblank after they were ready" % (
            mean, "?" if missed is None else "%d" % missed, "?" if frames is None else "%d" % frames)
        if margin is not None and missed:
            reason += " (one had %.0f us before it)" % margin
        if queued:
            reason += ", %d fences came while the previous flip was pending" % queued
        rows.append((label, "%.2f vblanks (worst %s)" % (mean, "-" if worst is None else "%.0f" % worst),
                     "next vblank = 1.00", "%.2fx" % mean, "<= 1.00 vblank", _verdict(mean <= 1.0, reason)))
    v = fig(figures, "boot_to_first_guest_test")
    name = "boot -> first guest test (initramfs, TCG)"
    if v is None:
        rows.append((name, "-", "-", "-", "<= 3.0 s", missing("boot", "the boot figure")))
    else:
        phases = [(fig(figures, "boot_" + p), p) for p in BOOT_PHASES if p != "initramfs_unpack"]
        longest = max((x for x in phases if x[0] is not None), default=(0, "?"))
        rows.append((name, "%.2f s" % v, "-", "%.2fx" % (v / 3.0), "<= 3.0 s",
                     _verdict(v <= 3.0, "%.2f s over; the longest phase is %s (%.2f s)"
                              % (v - 3.0, longest[1], longest[0]))))
    v, full = fig(figures, "initramfs_suites"), fig(figures, "full_suite")
    name = "make check after the first build: initramfs_suites (full_suite)"
    if v is None:
        rows.append((name, "-", "-", "-", "<= 240 s", missing("suite", "the suite figures")))
    else:
        slow = sorted(extra.get("suite_seconds", {}).items(), key=lambda x: -x[1])[:3]
        rows.append((name, "%.0f s (full_suite %.0f s)" % (v, full or float("nan")), "-", "%.2fx" % (v / 240.0),
                     "<= 240 s", _verdict(v <= 240, "%.0f s over with %s QEMUs at once; slowest: %s"
                                          % (v - 240, extra.get("suite_jobs", "?"),
                                             ", ".join("%s %.0f s" % x for x in slow)))))
    rows.append(("fresh clone -> green make check (make run, then make check)", "-", "-", "-",
                 "<= 8 min", "not measured: make bench times the suite on this checkout's build "
                 "(full_suite); a fresh clone's build (QEMU, modules, image) is not repeated here"))
    return rows


def print_table(figures, extra, failed):
    """Issue 17's table, then the scale topology and the per-suite times."""
    rows = table_rows(figures, extra, failed)
    load = extra.get("load_before", "?"), extra.get("load_after", "?")
    print("#\n# issue 17's table, this run (host load average before/after: %s / %s; "
          "with other work beside it, read the ratios)" % load)
    print("# | figure | vprime | reference, same run | ratio | goal | verdict |")
    print("# |---|---|---|---|---|---|")
    for r in rows:
        print("# | %s |" % " | ".join(r))
    boot = fig(figures, "scale_8gpu_4heads_boot_to_first_guest_test")
    fps = fig(figures, "scale_8gpu_4heads_afr_1920x1080_fps")
    print("# scale (8 GPUs, 4 heads): boot -> first guest test %s, AFR across 7 dGPUs at "
          "1920x1080: %s" % ("%.2f s" % boot if boot is not None else missing_text(failed, "scale"),
                             "%.1f fps" % fps if fps is not None else missing_text(failed, "scale")))
    on = fig(figures, "genlock_flip_event_diff_max_genlocked")
    off = fig(figures, "genlock_flip_event_diff_max_free")
    print("# genlock (2 heads, 100 flips of both): flip events at most %s apart genlocked, "
          "%s free-running" % tuple("%.0f us" % v if v is not None else missing_text(failed, "genlock")
                                    for v in (on, off)))
    suites = extra.get("suite_seconds")
    if suites:
        print("# make check per suite (wall s, %s QEMUs at once): %s" % (
            extra.get("suite_jobs", "?"), ", ".join("%s %.1f" % x for x in sorted(
                suites.items(), key=lambda x: -x[1]))))
    for part, err in failed.items():
        print("# FAILED benchmark %s: %s" % (part, err))
    return rows


def missing_text(failed, part):
    return "not measured (%s)" % ("failed: %s" % failed[part] if part in failed else "not run")


PARTS = {"boot": bench_boot, "submit": bench_submit, "display": bench_display,
         "scenarios": bench_scenarios, "scale": bench_scale, "genlock": bench_genlock,
         "copy": bench_copy,
         "suite": bench_suite}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", choices=sorted(PARTS),
                   help="run only these benchmarks (default: all, in the order above)")
    opts = p.parse_args(argv)
    figures, extra, failed = [], {"parts_run": []}, {}
    t0 = time.time()
    extra["load_before"] = "%.2f" % os.getloadavg()[0]
    for name in opts.only or list(PARTS):
        # one benchmark failing does not stop the others: the table says why
        # its rows are missing, and make bench fails at the end
        extra["parts_run"].append(name)
        t = time.time()
        try:
            PARTS[name](figures, extra)
        except (BenchError, ValueError, OSError, subprocess.SubprocessError) as e:
            failed[name] = str(e).splitlines()[0] if str(e) else type(e).__name__
            print("bench: %s failed: %s" % (name, e), file=sys.stderr, flush=True)
        extra.setdefault("part_seconds", {})[name] = round(time.time() - t, 1)
    extra["load_after"] = "%.2f" % os.getloadavg()[0]
    extra["bench_seconds"] = round(time.time() - t0, 1)
    rows = print_table(figures, extra, failed)
    print("# make bench took %.0f s (%s)" % (extra["bench_seconds"], ", ".join(
        "%s %.0f s" % x for x in extra["part_seconds"].items())))
    path = os.path.join(harness.BUILD, "bench.json")
    with open(path, "w") as f:
        json.dump(dict(extra, figures=figures, accel="tcg", failed=failed,
                       table=[dict(zip(("figure", "vprime", "reference", "ratio", "goal", "verdict"), r))
                              for r in rows],
                       date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())), f, indent=1)
    print("# figures also in %s" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (BenchError, ValueError) as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
