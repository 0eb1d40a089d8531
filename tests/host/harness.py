#!/usr/bin/python3
"""vprime host test harness.

Runs every suite — the QEMU qtests, the launcher's input checks and the
guest KTAP suite on several topologies — parses TAP/KTAP, fails on a
timeout, a missing result or a kernel oops, writes JUnit XML under the
build directory and ends with each suite's wall time and one line:
'N passed, N failed'.

No silent skips: every suite declares the tests it expects to skip and
why (a word of the reason).  Any other skip fails ("undeclared skip"),
and so does a declared skip that does not happen (the declaration is
stale: a test runs that the topology said could not).

usage: harness.py [--suite NAME]... [--jobs N] [--junit FILE] [--without-agent]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

# Run as a script, this module is also 'harness' to the suites that
# import it (lava_check, run_scenario): one set of globals (STREAM,
# WITHOUT_AGENT), not a second copy of the module.
if __name__ == "__main__":
    sys.modules.setdefault("harness", sys.modules[__name__])

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("VPRIME_BUILD", os.path.join(SRC, "build")))
sys.path.insert(0, os.path.join(SRC, "scripts"))
import vprime_kernel  # noqa: E402
# The guest kernel flavour (make check KERNEL=...): its own image and results
KFLAVOUR = vprime_kernel.flavour()
RESULTS = KFLAVOUR.results
LAUNCH = os.path.join(SRC, "scripts", "vprime-launch")

# Guest boots take ~6 s under TCG, but a topology's whole suite about
# 3 min on a loaded 2-core machine (the 4-head one: kms-modetest alone
# 90 s).  The limits only catch hangs: a verdict must not depend on how
# busy the machine is, so they are generous.
# A kernel with KASAN and lockdep (KERNEL=debug, or a user's tree) runs
# the same suite several times slower: guest-4heads-2dgpu-iommu took 92 s
# on Debian's kernel and had not finished kms-modetest after 600 s on the
# debug kernel (the machine loaded alike).  Three times the limit there.
GUEST_TIMEOUT = float(os.environ.get("VPRIME_GUEST_TIMEOUT",
                                     "600" if KFLAVOUR.name == "default" else "1800"))
QTEST_TIMEOUT = float(os.environ.get("VPRIME_QTEST_TIMEOUT", "1800"))

# --without-agent: nobody answers the guest's control port
WITHOUT_AGENT = False
# Print each result as it comes (one suite at a time: lava_check.py's
# main, vprime-lava); the harness runs suites side by side and prints
# each one's lines whole, in the order the suites are listed.
STREAM = True

OOPS_RE = re.compile(r"Kernel panic|Oops|BUG:|WARNING:|Call Trace|general protection fault|"
                     r"KVM internal error|blocked for more than|soft lockup|hard LOCKUP|"
                     r"rcu: INFO|detected stall|"
                     # the debug flavour's checkers (KERNEL=debug): lockdep,
                     # KASAN, DMA-API debugging, atomic sleep (their reports
                     # come with WARNING: or BUG: too; named for the record).
                     # Not 'DMA-API:' or 'ODEBUG:' alone: both print a line
                     # at every boot.
                     r"possible circular locking|possible recursive locking|"
                     r"inconsistent lock state|KASAN:|DMA-API: .*device driver|"
                     r"UBSAN:|sleeping function called from invalid context")


def console_trouble(console):
    """The lines of a guest console that fail a run (OOPS_RE)."""
    return [l for l in console.splitlines() if OOPS_RE.search(l)]


def console_verdict(console):
    """The console-clean verdict of a guest console, (status, message,
    output): it fails on any console_trouble()."""
    oops = console_trouble(console)
    return ("fail" if oops else "pass", "kernel trouble on the console" if oops else "",
            "\n".join(oops[:20]))


def add_console_clean(s, console):
    """The console-clean case of a boot (console_verdict)."""
    return s.add("console-clean", *console_verdict(console))


class Case:
    def __init__(self, suite, name, status, message="", output="", seconds=0.0):
        self.suite, self.name, self.status = suite, name, status   # pass|fail|skip
        self.message, self.output, self.seconds = message, output, seconds


class Suite:
    def __init__(self, name, skips=None, verbatim=False):
        self.name = name
        # verbatim: results recorded elsewhere (LAVA's), skips as they came
        self.verbatim = verbatim
        self.cases = []
        self.seconds = 0.0
        self.t0 = time.time()
        # {test name: a word its SKIP reason must contain}
        self.skips = dict(skips or {})
        self.skipped = set()        # every test that said SKIP, declared or not
        self.lines = []             # its TAP lines, while STREAM is off

    def add(self, name, status, message="", output="", seconds=0.0):
        if status == "skip" and not self.verbatim:
            self.skipped.add(name)
            why = self.skips.get(name)
            if why is None:
                status, message = "fail", "undeclared skip: %s" % message
            elif why not in message:
                status, message = "fail", "skipped for another reason than declared (%r): %s" % (
                    why, message)
        c = Case(self.name, name, status, message, output, seconds)
        self.cases.append(c)
        mark = {"pass": "ok", "fail": "not ok", "skip": "ok"}[c.status]
        extra = " # SKIP %s" % c.message if c.status == "skip" else (
            " # %s" % c.message if c.status == "fail" and c.message else "")
        lines = ["%s %s/%s%s" % (mark, self.name, c.name, extra)]
        if c.status == "fail" and c.output:
            lines += ["#   %s" % line for line in c.output.strip().splitlines()[-30:]]
        if STREAM:
            print("\n".join(lines), flush=True)
        else:
            self.lines += lines
        return c

    def finish(self):
        """The suite's wall time; every declared skip must have happened."""
        for name, why in sorted(self.skips.items()):
            if name not in self.skipped:
                ran = [c.status for c in self.cases if c.name == name]
                what = ("it did not run" if not ran else
                        "it passed" if ran == ["pass"] else "it failed")
                self.add("declared-skip-%s" % name, "fail",
                         "declared to skip (%s) but %s: update the declaration" % (why, what))
        self.seconds = time.time() - self.t0
        return self


# ---------------------------------------------------------------- TAP/KTAP --

TAP_LINE = re.compile(r"^\s*(ok|not ok)\s+(\d+)\s*-?\s*([^#]*?)\s*(#\s*(.*))?$")


def parse_tap(text):
    """Returns (plan, [(status, name, directive, diag)], bailed_out)."""
    plan, results, diag, bail = None, [], [], None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^1\.\.(\d+)", s)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        if s.startswith("Bail out!"):
            bail = s
            continue
        m = TAP_LINE.match(line)
        if m and not line.startswith("    "):   # top level only
            directive = (m.group(5) or "").strip()
            if m.group(1) == "not ok":
                st = "fail"
            elif directive.upper().startswith("SKIP"):
                st = "skip"
            else:
                st = "pass"
            results.append((st, m.group(3).strip(), directive, "\n".join(diag)))
            diag = []
        elif s.startswith("#"):
            diag.append(s)
    return plan, results, bail


def add_tap_results(suite, text, rc, what, timed_out=False, extra_output=""):
    plan, results, bail = parse_tap(text)
    for st, name, directive, diag in results:
        msg = directive[4:].strip() if st == "skip" else directive
        suite.add((name or "unnamed").lstrip("/"), st, msg, diag)
    if timed_out:
        suite.add("%s-completed" % what, "fail", "timed out", text[-4000:] + extra_output)
    elif bail:
        suite.add("%s-completed" % what, "fail", bail, text[-4000:] + extra_output)
    elif plan is None:
        suite.add("%s-completed" % what, "fail", "no TAP plan in the output (exit %s)" % rc,
                  text[-4000:] + extra_output)
    elif len(results) < plan:
        suite.add("%s-completed" % what, "fail",
                  "%d of %d results missing" % (plan - len(results), plan), text[-4000:] + extra_output)
    elif rc not in (0, None):
        suite.add("%s-completed" % what, "fail", "exit status %s" % rc, text[-4000:] + extra_output)


# ------------------------------------------------------------------ suites --

def suite_qtest():
    s = Suite("qtest")
    try:
        r = subprocess.run([os.path.join(SRC, "scripts", "run-qtests.sh")], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=QTEST_TIMEOUT)
        add_tap_results(s, r.stdout.decode(errors="replace"), r.returncode, "qtest")
    except subprocess.TimeoutExpired as e:
        add_tap_results(s, (e.stdout or b"").decode(errors="replace"), None, "qtest", timed_out=True)
    return s.finish()


# (name, launcher arguments, words the refusal must contain)
BAD_INPUTS = [
    ("unknown-gpu-kind", ["--gpus", "igpu,xgpu"], ["unknown GPU kind 'xgpu'", "igpu", "dgpu"]),
    ("empty-topology", ["--gpus", "", "--no-display"], ["empty"]),
    ("zero-heads", ["--heads", "0"], ["--heads 0", "1 to 4"]),
    ("five-heads", ["--heads", "5"], ["--heads 5", "1 to 4"]),
    ("heads-not-a-number", ["--heads", "two"], ["not a number", "1 to 4"]),
    ("vram-not-power-of-two", ["--gpus", "dgpu:384M"], ["power of two", "16M", "16G"]),
    ("vram-too-small", ["--gpus", "dgpu:8M"], ["power of two", "16M"]),
    ("vram-not-a-size", ["--gpus", "dgpu:lots"], ["not a size"]),
    ("missing-kernel", ["--kernel", "/nonexistent/vmlinuz"], ["kernel not found", "/nonexistent/vmlinuz"]),
    ("missing-image", ["--initrd", "/nonexistent/initrd"], ["image not found"]),
    ("bad-iommu", ["--iommu", "maybe"], ["--iommu", "on and off"]),
    ("bad-display", ["--display", "sdl"], ["--display", "none, vnc[:N] and gtk"]),
    ("bad-accel", ["--accel", "hvf"], ["--accel", "tcg, kvm and auto"]),
    ("bad-firmware", ["--firmware", "uefi"], ["--firmware 'uefi'", "qboot, seabios and auto"]),
    ("bad-memory", ["--memory", "64M"], ["--memory", "256M to 16G"]),
    ("gpu-timing-unknown-key", ["--gpu-timing", "1:speed=3"], ["unknown key 'speed'", "latency-ns"]),
    ("gpu-timing-no-such-gpu", ["--gpu-timing", "5:seed=1"], ["no GPU 5"]),
    ("gpu-timing-not-a-number", ["--gpu-timing", "0:latency-ns=soon"], ["latency-ns", "integer"]),
    ("gpu-timing-zero-throughput", ["--gpu-timing", "0:throughput=0"], ["throughput", "from 1"]),
    ("fault-unknown-kind", ["--fault", "1:meltdown"], ["unknown fault kind 'meltdown'", "hang"]),
    ("fault-no-such-gpu", ["--fault", "4:hang"], ["no GPU 4"]),
    ("fault-bad-engine", ["--fault", "1:hang:engine=blit"], ["engine=blit", "render, copy"]),
    ("fault-unknown-key", ["--fault", "1:hang:delay-ns=5"], ["'delay-ns' is unexpected",
                                                             "hang takes engine"]),
    ("fault-not-a-number", ["--fault", "1:hang:after=soon"], ["'after' expects integer"]),
    ("fault-vram-on-igpu", ["--fault", "0:vram-retire:bytes=1M"], ["'vram-retire' for vprime-igpu",
                                                                  "allowed are hang"]),
    ("fault-no-display", ["--no-display", "--fault", "display:underrun"], ["no display engine"]),
    ("fault-bad-head", ["--fault", "display:unplug:head=2"], ["head=2", "heads 0 to 0"]),
    ("fault-bad-seed", ["--fault-seed", "-1"], ["--fault-seed", "integer"]),
    ("outputs-more-than-heads", ["--heads", "2", "--outputs", "dp,dp,hdmi"],
     ["--outputs dp,dp,hdmi", "3 types for 2 heads"]),
    ("outputs-unknown-type", ["--heads", "2", "--outputs", "dp,vga"],
     ["unknown output type 'vga'", "edp, dp, hdmi, virtual"]),
    ("outputs-edp-not-head-0", ["--heads", "2", "--outputs", "hdmi,edp"],
     ["eDP is the internal panel", "only head 0", "head 1"]),
    ("outputs-no-display", ["--no-display", "--outputs", "dp"], ["--outputs", "--no-display"]),
    ("genlock-one-head", ["--heads", "1", "--genlock"], ["--genlock", "--heads 2 or more", "1 head"]),
    ("genlock-no-display", ["--no-display", "--genlock"], ["--genlock", "no display engine"]),
    ("replay-missing-file", ["--replay", "/nonexistent/repro.json"], ["cannot read the reproducer"]),
    ("replay-with-topology", ["--replay", "/dev/null", "--gpus", "dgpu"], ["host-side options", "--gpus"]),
    # driver authors: flavours, bring a module, the PCIe switch
    ("flavour-unknown", ["--kernel-flavour", "nosuch"], ["nosuch", "default, debug"]),
    ("flavour-not-a-tree", ["--kernel-flavour", "/nonexistent/linux"], ["/nonexistent/linux",
                                                                         "does not exist"]),
    ("add-missing-file", ["--add", "/nonexistent/my.ko"], ["/nonexistent/my.ko", "no such file"]),
    ("pcie-switch-alone", ["--gpus", "igpu", "--no-display", "--pcie-switch"],
     ["--pcie-switch", "at least two"]),
]


def suite_launcher():
    s = Suite("launcher")
    for name, args, words in BAD_INPUTS:
        r = subprocess.run([LAUNCH, "--dry-run"] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode(errors="replace")
        missing = [w for w in words if w not in err]
        if r.returncode == 0:
            s.add(name, "fail", "accepted (exit 0)", r.stdout.decode(errors="replace"))
        elif missing:
            s.add(name, "fail", "message lacks %s" % missing, err)
        else:
            s.add(name, "pass")
    # The default and a rich topology are accepted and name the right devices.
    for name, args, want in [
            ("default-topology", [], ["vprime-igpu", "vprime-dgpu", "vprime-display,id=display0",
                                      "heads=1", "-nodefaults", "accel=tcg"]),
            ("rich-topology", ["--gpus", "dgpu:1G,dgpu", "--heads", "4", "--iommu", "on"],
             ["intel-iommu", "vram=1073741824", "rp2", "heads=4", "intel_iommu=on"]),
            ("genlock-topology", ["--heads", "2", "--genlock"],
             ["heads=2", "genlock=on", "vprime.genlock=1"]),
            ("importer-topology", ["--gpus", "igpu,dgpu", "--edu", "--pcie-switch", "--run", "true"],
             ["x3130-upstream", "vprime-dgpu,id=gpu1,bus=swdn0", "edu,id=edu0,bus=swdn2",
              "vprime.tests=user-command,dmesg-clean", "initramfs-user.cpio"])]:
        r = subprocess.run([LAUNCH, "--dry-run"] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        out = r.stdout.decode(errors="replace")
        missing = [w for w in want if w not in out]
        if r.returncode or missing:
            s.add(name, "fail", "exit %d, missing %s" % (r.returncode, missing),
                  out + r.stderr.decode(errors="replace"))
        else:
            s.add(name, "pass")
    return s.finish()


def qemu_started(pidfile):
    """When the QEMU process that wrote pidfile started, on CLOCK_BOOTTIME
    (the clock of /proc/PID/stat's starttime), or None while unknown."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().split()[0])
        with open("/proc/%d/stat" % pid) as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def run_watching(cmd, results, timeout, trigger=None, pidfile=None, info=None):
    """Run cmd while watching the results file it writes.

    Returns (stdout+stderr, rc, timed_out, t_first): t_first is the time
    from the start of the QEMU process that wrote pidfile (its start time
    in /proc, 10 ms resolution) to the moment this loop (20 ms period) saw
    the first KTAP result line; None when either is unknown.  trigger:
    (regex, callback) — callback() runs once, while the guest still runs,
    as soon as a results line matches regex.  info: a dict that receives
    "qemu_started" (QEMU's start, CLOCK_BOOTTIME seconds) when it is known.
    """
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    # Drain the pipe in the background so a chatty child never blocks.
    import threading
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()))
    reader.start()
    t_first = started = None
    first_seen = False
    timed_out = False
    while proc.poll() is None:
        if pidfile and started is None:
            started = qemu_started(pidfile)
        if not first_seen or trigger:
            try:
                with open(results, errors="replace") as f:
                    text = f.read()
            except OSError:
                text = ""
            if not first_seen and re.search(r"^(ok|not ok) ", text, re.M):
                first_seen = True
                if started is not None:
                    t_first = time.clock_gettime(time.CLOCK_BOOTTIME) - started
            if trigger and re.search(trigger[0], text, re.M):
                trigger[1]()
                trigger = None
        if time.time() - t0 > timeout + 60:     # the child's own timeout failed
            proc.kill()
            timed_out = True
        time.sleep(0.02)
    reader.join()
    if info is not None and started is not None:
        info["qemu_started"] = started
    out = b"".join(c for c in chunks if c).decode(errors="replace")
    rc = proc.returncode
    return out, rc, timed_out or rc == 124, t_first


def slurp(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def boot_guest(args, tmp, timeout=GUEST_TIMEOUT, trigger=None, agent=None, info=None,
               holds=None):
    """Boot a topology in check mode; returns (ktap, console, rc, timed_out, t_first).

    holds: {tag: callback} for the guest's "hold" requests (agent.py): the
    guest waits until callback() has returned.
    agent: a list that receives the host agent (tests/host/agent.py) that
    served the guest's control-port requests, for its checks.  t_first:
    see run_watching (None when not measured), as info.
    """
    import agent as host_agent
    results = os.path.join(tmp, "results.ktap")
    console = os.path.join(tmp, "console.log")
    control = os.path.join(tmp, "control.sock")
    pidfile = os.path.join(tmp, "qemu.pid")
    for f in (results, console, control, pidfile):
        if os.path.exists(f):
            os.unlink(f)
    if "--qmp" in args:
        qmp = args[args.index("--qmp") + 1]
    else:
        qmp = os.path.join(tmp, "agent-qmp.sock")
        args = args + ["--qmp", qmp]
    cmd = [LAUNCH, "--mode", "check", "--results", results, "--console", console,
           "--control", control, "--pidfile", pidfile, "--timeout", str(timeout)] + args
    ag = host_agent.Agent(control, qmp, os.path.join(tmp, "host"), pidfile, holds)
    if not WITHOUT_AGENT:
        ag.start()
    try:
        out, rc, timed_out, t_first = run_watching(cmd, results, timeout, trigger, pidfile, info)
    finally:
        ag.stop.set()
        if ag.is_alive():
            ag.join(5)
    if agent is not None:
        agent.append(ag)
    return slurp(results), slurp(console) + out, rc, timed_out, t_first


# The guest's default test list: skips every topology without an
# injected error or a contiguous-only engine declares.
DEFAULT_SKIPS = {
    "injected-error": "no fault injection requested",
    "kms-contiguous": "not contiguous-only",
}
# Without a display engine (test name: a word of its SKIP reason)
NO_DISPLAY_SKIPS = dict(DEFAULT_SKIPS, **{t: "no display engine" for t in (
    "kms-modeset", "kms-formats-crc", "kms-modifiers", "kms-blend-crc", "kms-cursor-sizes", "kms-zpos-crc",
    "kms-scale-crc", "kms-rotate-crc", "kms-alpha-crc", "kms-colour-crc",
    "kms-writeback-crc",
    "kms-overlays-crc", "kms-yuv-crc",
    "kms-flip-vblank", "kms-flip-events", "kms-genlock", "kms-fbdev",
    "kms-runtime-pm", "kms-crossbar-crc", "kms-async-flip", "kms-vrr", "kms-max-bpc",
    "kms-flip-fence",
    "kms-prime-import",
    "kms-check-refusals", "kms-hotplug", "kms-screendump",
    "gpu-import-display")}, **{"kms-modetest": "no vprime_display device",
                               "kms-drm-info": "no vprime_display device",
                               "kms-connectors": "no vprime_display device"})

# (name, launcher arguments, {test that skips: a word of its reason})
GUEST_TOPOLOGIES = [
    ("default", [], dict(DEFAULT_SKIPS, **{"kms-genlock": "no two connected heads",
                                           "kms-crossbar-crc": "one connected head"})),
    # a laptop: an eDP panel on head 0, external DP and HDMI outputs (kms-hotplug
    # unplugs the last head, a DP one; kms-connectors checks the types), genlocked
    # (kms-genlock flips two heads of one mode and asserts their events agree)
    ("4heads-2dgpu-iommu", ["--gpus", "igpu,dgpu:1G,dgpu:64M", "--heads", "4", "--iommu", "on",
                            "--outputs", "edp,dp,hdmi,dp", "--genlock"],
     DEFAULT_SKIPS),
    # no iGPU: the tests that move buffers between an iGPU and a dGPU skip
    ("dgpu-only", ["--gpus", "dgpu", "--no-display"],
     dict(NO_DISPLAY_SKIPS, **{"gpu-prime": "needs both", "gpu-cross-device-sync": "needs both",
                               "gem-create-vram-on-igpu": "no iGPU"})),
    # a stricter display engine: physically contiguous buffers only
    ("contiguous-only", ["--gpus", "igpu", "--contiguous-only", "--display-mode", "640x480",
                         "--append", "vprime.tests=kms-contiguous,dmesg-clean"], {}),
]


# Optimus and multi-GPU scenarios (tests/guest/scenario.c), each with and
# without the vIOMMU: an iGPU and two dGPUs, the second made slower (each
# command takes 20 ms more) so that alternate-frame rendering must keep
# order through its cross-device fences.  The host agent proves each
# handoff zero-copy and compares a screendump of the last frame.
SCENARIO_TESTS = ("scenario-optimus,scenario-igpu,scenario-composite,scenario-afr,scenario-compute,"
                  "scenario-foreign,dmesg-clean")
SCENARIO_ARGS = ["--gpus", "igpu,dgpu,dgpu", "--gpu-timing", "2:latency-ns=20000000",
                 "--append", "vprime.tests=" + SCENARIO_TESTS]
# Scale: the most GPUs the launcher takes (8: an iGPU and seven dGPUs)
# and the most heads (4) in one VM: every device found and bound, and
# alternate-frame rendering across all seven dGPUs, proven zero-copy.
SCALE_ARGS = ["--gpus", ",".join(["igpu"] + ["dgpu"] * 7), "--heads", "4",
              "--append", "vprime.tests=pci-ids,drivers-bound,dri-nodes,scenario-afr,dmesg-clean"]
SCENARIO_TOPOLOGIES = [
    ("scenarios", SCENARIO_ARGS, {}),
    ("scenarios-iommu", SCENARIO_ARGS + ["--iommu", "on"], {}),
    ("scale-8gpu-4heads", SCALE_ARGS, {}),
]


# Surprise removal and IOMMU faults (tests/guest/unplug-test.c): the host
# agent removes and re-adds the dGPU over QMP while the guest holds its
# buffers and jobs; the gated job must not time out before the removal.
HOTPLUG_APPEND = "vprime_gpu.job_timeout_ms=600000 vprime.tests="
HOTPLUG_TOPOLOGIES = [
    ("hotplug", ["--gpus", "igpu,dgpu", "--append", HOTPLUG_APPEND + "unplug-dgpu,dmesg-clean"], {}),
    ("hotplug-iommu", ["--gpus", "igpu,dgpu", "--iommu", "on",
                       "--append", HOTPLUG_APPEND + "iommu-fault,iommu-fault-display,unplug-dgpu,dmesg-clean"],
     {}),
]


# Debian's userspace on the vprime devices (images/rootfs, tests/rootfs):
# the rootfs image, an iGPU, a dGPU and the display; compositors, GL
# clients and Xorg, each proven by device counters and host screenshots.
ROOTFS_TOPOLOGIES = [
    ("rootfs", ["--image", "rootfs", "--gpus", "igpu,dgpu", "--memory", "2G"], {}),
]


# The rootfs suite's guest runs 13 tests of real compositors and GL
# clients on llvmpipe: 356-518 s at load 13-16 on 2 cores, and past the
# 600 s limit at load 15-19 with every test it reached passing.  The limit only
# catches a hang: three times the initramfs guests'.
ROOTFS_TIMEOUT = 3 * GUEST_TIMEOUT


def suite_rootfs():
    """The rootfs topologies; a declared skip on another kernel flavour than
    Debian's: the image carries Debian's kernel's modules and
    scripts/build-rootfs.sh builds none for another kernel."""
    if KFLAVOUR.name != "default":
        s = Suite("guest-rootfs", {"rootfs": "Debian's kernel"})
        s.add("rootfs", "skip", "the rootfs image boots Debian's kernel only, not KERNEL=%s"
              % KFLAVOUR.name)
        return [s.finish()]
    return suite_guest(ROOTFS_TOPOLOGIES, timeout=ROOTFS_TIMEOUT)


# The example dma-buf importer (guest-driver/importer, QEMU's edu device)
# against every exporter, dynamic and peer-to-peer import of dGPU VRAM,
# and CPU access (mmap + DMA_BUF_IOCTL_SYNC) to every exported dma-buf:
# tests/guest/importer-test.c, dmabuf-cpu-test.c.  With and without the
# vIOMMU, and with the dGPU, display engine and edu behind one PCIe
# switch.  Peer-to-peer needs CONFIG_PCI_P2PDMA, which only the debug
# kernel has (Debian's 6.12 has not): declared skips elsewhere.
IMPORTER_TESTS = ("importer-exporters,importer-constraints,importer-vram,importer-p2p-evict,"
                  "importer-p2p-retire,display-vram-import,dmabuf-mmap-sync,dmabuf-sync-read,"
                  "dmabuf-sync-write,dmesg-clean")
IMPORTER_ARGS = ["--gpus", "igpu,dgpu:256M", "--edu", "--append", "vprime.tests=" + IMPORTER_TESTS]


def importer_topologies(flavour=None):
    """The importer suite's topologies, and the skips the flavour's kernel
    implies: peer-to-peer only with PCI_P2PDMA and a shared switch."""
    flavour = flavour or KFLAVOUR
    p2p_kernel = flavour.name != "default"
    no_p2p = {"importer-p2p-evict": "peer-to-peer", "importer-p2p-retire": "peer-to-peer"}
    return [
        ("importer", IMPORTER_ARGS, no_p2p),
        ("importer-iommu", IMPORTER_ARGS + ["--iommu", "on"], no_p2p),
        ("importer-p2p", IMPORTER_ARGS + ["--pcie-switch"], {} if p2p_kernel else no_p2p),
    ]


def suite_guest(topologies=GUEST_TOPOLOGIES, timeout=None):
    suites = []
    for topo, args, skips in topologies:
        s = Suite("guest-%s" % topo, skips)
        with tempfile.TemporaryDirectory(prefix="vprime-guest-") as tmp:
            agents = []
            ktap, console, rc, timed_out, _ = boot_guest(args, tmp, timeout=timeout or GUEST_TIMEOUT,
                                                         agent=agents)
            keep = os.path.join(RESULTS, "guest-%s" % topo)
            os.makedirs(keep, exist_ok=True)
            # host-side checks the guest asked for (screendumps)
            for name, ok, detail in agents[0].checks:
                s.add("host-" + name, "pass" if ok else "fail", "" if ok else detail,
                      output=detail)
            for f in os.listdir(os.path.join(tmp, "host")) if os.path.isdir(os.path.join(tmp, "host")) else []:
                os.replace(os.path.join(tmp, "host", f), os.path.join(keep, f))
            with open(os.path.join(keep, "results.ktap"), "w") as f:
                f.write(ktap)
            with open(os.path.join(keep, "console.log"), "w") as f:
                f.write(console)
            add_tap_results(s, ktap, None if rc == 0 else rc, "boot", timed_out, "\n" + console[-3000:])
            add_console_clean(s, console)
        suites.append(s.finish())
    return suites


# ------------------------------------------------- the checkers, checked --

# Guest consoles recorded from real runs (tests/host/console-samples): the
# debug kernel's KASAN, lockdep and DMA-API reports must fail a run, clean
# boots of both kernels must not.  (sample, a word of the lines that fail
# the run, or None for a clean console)
CONSOLE_SAMPLES = os.path.join(SRC, "tests", "host", "console-samples")
CONSOLE_CASES = [
    ("debug-kasan-use-after-free.log", "BUG: KASAN: slab-use-after-free"),
    ("debug-lockdep-lock-order.log", "possible circular locking dependency"),
    ("debug-dma-api-overlap.log", "kernel/dma/debug.c"),
    ("debug-clean.log", None),
    ("default-clean.log", None),
]


def suite_console_check():
    """Unit test of the console check (console_verdict) on every flavour."""
    s = Suite("console-check")
    for fn, want in CONSOLE_CASES:
        text = slurp(os.path.join(CONSOLE_SAMPLES, fn))
        status, _, output = console_verdict(text)
        name = fn[:-len(".log")]
        if not text.strip():
            s.add(name, "fail", "sample %s missing or empty" % fn)
        elif want is None:
            s.add(name, "pass" if status == "pass" else "fail",
                  "" if status == "pass" else "a clean console fails the run", output)
        elif status != "fail" or want not in output:
            s.add(name, "fail", "the report (%s) does not fail the run" % want, output)
        else:
            s.add(name, "pass")
    return s.finish()


# A bug planted on demand in the example importer (its test-only module
# parameter plant_bug): the debug kernel's checker reports it, and the
# guest's dmesg-clean and the host's console check both fail the run.
# (bug, a word of the report, the kernel option that makes the report)
PLANTED_BUGS = [
    ("use-after-free", "BUG: KASAN: slab-use-after-free", "CONFIG_KASAN"),
    ("lock-order", "possible circular locking dependency", "CONFIG_PROVE_LOCKING"),
    ("dma-unmap-size", "device driver frees DMA memory with different size",
     "CONFIG_DMA_API_DEBUG"),
]


def suite_planted_bug(flavour=None):
    flavour = flavour or KFLAVOUR
    config = slurp(os.path.join(flavour.khdr or "", ".config"))
    skips = {bug + "-caught": "debug kernel" for bug, _, opt in PLANTED_BUGS
             if "\n%s=y" % opt not in config}
    s = Suite("planted-bug", skips)
    for bug, report, opt in PLANTED_BUGS:
        name = bug + "-caught"
        if name in skips:
            s.add(name, "skip", "%s is not set in this kernel: needs the debug kernel "
                  "(KERNEL=debug)" % opt)
            continue
        with tempfile.TemporaryDirectory(prefix="vprime-planted-") as tmp:
            ktap, console, rc, timed_out, _ = boot_guest(
                ["--gpus", "igpu", "--no-display", "--edu", "--run",
                 "echo %s > /sys/module/vprime_importer/parameters/plant_bug" % bug], tmp)
        keep = os.path.join(RESULTS, "planted-bug-" + bug)
        os.makedirs(keep, exist_ok=True)
        for fn, text in (("results.ktap", ktap), ("console.log", console)):
            with open(os.path.join(keep, fn), "w") as f:
                f.write(text)
        verdict = {n: st for st, n, _, _ in parse_tap(ktap)[1]}
        cons_status, _, cons_output = console_verdict(console)
        bad = []
        if timed_out:
            bad.append("timed out")
        if verdict.get("user-command") != "pass":
            bad.append("planting it did not run (user-command: %s)" % verdict.get("user-command"))
        if verdict.get("dmesg-clean") != "fail" or report not in ktap:
            bad.append("dmesg-clean did not fail with '%s'" % report)
        if cons_status != "fail" or report not in cons_output:
            bad.append("the console check did not fail with '%s'" % report)
        if rc == 0:
            bad.append("the launcher exited 0")
        s.add(name, "fail" if bad else "pass", "; ".join(bad),
              ktap[-2000:] + console[-2000:] if bad else cons_output)
    return s.finish()


# The fault tests (tests/guest/fault-test.c), one boot with the injected
# error: each arms its fault through the host agent, and the launcher
# reads every device's fault log when the guest stops.
FAULT_TESTS = ["fault-hang", "fault-lost-irq", "fault-late-irq", "fault-dma-error",
               "fault-slow-fence", "fault-vram-retire", "fault-underrun", "fault-unplug"]
# What the devices must have injected (default topology: gpu1 is the dGPU)
FAULT_EXPECT = {
    "gpu1": [("hang", 1), ("lost-irq", 1), ("late-irq", 1), ("dma-error", 1),
             ("slow-fence", 12), ("vram-retire", 2)],
    "display0": [("underrun", 1), ("unplug", 1), ("replug", 1)],
}


def check_fault_logs(s, path, expect):
    """The devices' fault logs (vprime-launch --fault-log) hold what the
    guest tests provoked, in order, and agree with the counters."""
    try:
        with open(path) as f:
            logs = json.load(f)
    except (OSError, ValueError) as e:
        s.add("device-fault-logs", "fail", "no fault log from the launcher: %s" % e)
        return
    for dev, want in expect.items():
        d = logs.get(dev, {"log": "", "stats": {}})
        kinds = [l.split()[1] for l in d["log"].splitlines()]
        want_kinds = [k for k, n in want for _ in range(n)]
        bad = []
        if kinds != want_kinds:
            bad.append("log kinds %s, want %s" % (kinds, want_kinds))
        for k, n in want:
            if d["stats"].get("stat-injected-" + k) != n:
                bad.append("stat-injected-%s = %s, want %d" % (k, d["stats"].get("stat-injected-" + k), n))
        if d["stats"].get("stat-injected-faults") != len(kinds):
            bad.append("stat-injected-faults %s, log has %d lines"
                       % (d["stats"].get("stat-injected-faults"), len(kinds)))
        s.add("device-fault-log-%s" % dev, "fail" if bad else "pass", "; ".join(bad),
              output=d["log"])


def suite_fault():
    """Fault injection from the host over QMP, seen by the guest driver."""
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    import vprime_qmp

    s = Suite("fault-qmp")
    seen = {}
    with tempfile.TemporaryDirectory(prefix="vprime-fault-") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        dev = "/machine/peripheral/gpu0"

        def inject():
            try:
                with vprime_qmp.QMP(sock) as q:
                    seen["before"] = q.qom_get(dev, "stat-injected-faults")
                    q.qom_set(dev, "inject-error", 1)
                    seen["after"] = q.qom_get(dev, "stat-injected-faults")
                    seen["irqs"] = q.qom_get(dev, "stat-irqs")
            except (vprime_qmp.QMPError, OSError) as e:
                seen["error"] = str(e)

        flog = os.path.join(tmp, "fault-log.json")
        tests = ",".join(["injected-error"] + FAULT_TESTS + ["dmesg-clean"])
        ktap, console, rc, timed_out, _ = boot_guest(
            ["--qmp", sock, "--fault-log", flog,
             "--append", "vprime.inject=error vprime.tests=" + tests], tmp,
            trigger=(r"waiting for an injected device error", inject))
        keep = os.path.join(RESULTS, "fault")
        os.makedirs(keep, exist_ok=True)
        for fn, text in (("results.ktap", ktap), ("console.log", console),
                         ("fault-log.json", slurp(flog))):
            with open(os.path.join(keep, fn), "w") as f:
                f.write(text)
        add_tap_results(s, ktap, None if rc == 0 else rc, "boot", timed_out, "\n" + console[-3000:])
        check_fault_logs(s, flog, FAULT_EXPECT)
        add_console_clean(s, console)
        if "error" in seen or "after" not in seen:
            s.add("host-injects-over-qmp", "fail", seen.get("error", "never reached the waiting line"))
        elif seen["before"] != 0 or seen["after"] != 1:
            s.add("host-injects-over-qmp", "fail",
                  "stat-injected-faults %s -> %s, expected 0 -> 1" % (seen["before"], seen["after"]))
        else:
            s.add("host-injects-over-qmp", "pass")
        # self-test interrupt at probe, plus the injected error's
        if seen.get("irqs", 0) >= 2:
            s.add("host-counts-interrupts", "pass")
        else:
            s.add("host-counts-interrupts", "fail", "stat-irqs %s, expected >= 2" % seen.get("irqs"))
        if re.search(r"^ok \d+ injected-error\s*$", ktap, re.M):
            s.add("guest-saw-injected-error", "pass")
        else:
            s.add("guest-saw-injected-error", "fail", "the guest's injected-error test did not pass", ktap)
    return [s.finish()]


# A reproducer: faults from the command line on both GPUs (a hang, a DMA
# error, a lost and a late interrupt, seeded random slow fences), the
# fixed fault-replay workload.  Recorded once, replayed once: the fault
# logs and the guest's results must be identical.
REPLAY_ARGS = ["--gpus", "igpu,dgpu", "--no-display", "--fault-seed", "42",
               "--fault", "1:hang:engine=render,after=4",
               "--fault", "1:dma-error:engine=copy,after=2",
               "--fault", "1:late-irq:engine=copy,after=4,delay-ns=300000000",
               "--fault", "0:lost-irq:engine=render,after=1",
               "--fault", "0:slow-fence:engine=copy,count=0,prob=50,jitter-ns=5000000",
               "--append", "vprime.tests=fault-replay,dmesg-clean"]
REPLAY_KINDS = {"hang", "dma-error", "late-irq", "lost-irq", "slow-fence"}


def suite_replay():
    """vprime-launch --record, then --replay: the same faults in the same
    order and the same guest results."""
    s = Suite("replay")
    with tempfile.TemporaryDirectory(prefix="vprime-replay-") as tmp:
        rec = os.path.join(RESULTS, "replay", "reproducer.json")
        os.makedirs(os.path.dirname(rec), exist_ok=True)
        runs = []
        for n, args in enumerate([REPLAY_ARGS + ["--record", rec],
                                  ["--replay", rec]]):
            flog = os.path.join(RESULTS, "replay", "fault-log-%d.json" % n)
            if os.path.exists(flog):
                os.unlink(flog)
            run_dir = os.path.join(tmp, "run%d" % n)
            os.makedirs(run_dir)
            ktap, console, rc, timed_out, _ = boot_guest(args + ["--fault-log", flog], run_dir)
            with open(os.path.join(RESULTS, "replay", "run%d.ktap" % n), "w") as f:
                f.write(ktap)
            with open(os.path.join(RESULTS, "replay", "console%d.log" % n), "w") as f:
                f.write(console)
            what = "record" if n == 0 else "replay"
            add_tap_results(s, re.sub(r"^(not ok|ok) (\d+) ", r"\1 \2 %s-" % what, ktap, flags=re.M),
                            None if rc == 0 else rc, what, timed_out, "\n" + console[-3000:])
            try:
                with open(flog) as f:
                    logs = json.load(f)
            except (OSError, ValueError):
                logs = None
            lines = [l for l in ktap.splitlines()
                     if re.match(r"^(ok|not ok) \d+ |^# replay: ", l)]
            runs.append((logs, lines))
        (log0, res0), (log1, res1) = runs
        kinds = {l.split()[1] for d in (log0 or {}).values() for l in d["log"].splitlines()}
        if not log0 or not REPLAY_KINDS <= kinds:
            s.add("faults-injected", "fail", "the recorded run injected %s, want %s"
                  % (sorted(kinds), sorted(REPLAY_KINDS)), json.dumps(log0, indent=1))
        else:
            s.add("faults-injected", "pass", output=json.dumps(log0, indent=1))
        if log0 is None or log0 != log1:
            s.add("identical-fault-logs", "fail", "the fault logs differ",
                  "record: %s\nreplay: %s" % (json.dumps(log0, indent=1), json.dumps(log1, indent=1)))
        else:
            s.add("identical-fault-logs", "pass",
                  output="%d events" % sum(d["log"].count("\n") for d in log0.values()))
        if not res0 or res0 != res1:
            s.add("identical-guest-results", "fail", "the guest results differ",
                  "record:\n%s\nreplay:\n%s" % ("\n".join(res0), "\n".join(res1)))
        else:
            s.add("identical-guest-results", "pass", output="\n".join(res0))
    return [s.finish()]


def suite_zero_copy():
    """dGPU -> dma-buf -> iGPU, checked from outside the guest.

    Only the PRIME test runs, and it holds (the agent's "hold" request)
    while the host reads the device counters over QMP: the iGPU must have read exactly the frame bytes,
    from system memory, and the only copy must be the dGPU copy engine's
    migration of the VRAM BO (counted once).
    """
    sys.path.insert(0, os.path.join(SRC, "scripts"))
    import vprime_qmp

    frame = 256 * 64 * 4            # XRGB8888 frame the dGPU renders
    blit_out = 256 * 64 * 2         # RGB565 the iGPU writes
    bo = 1 << 20                    # the VRAM BO the export migrates
    s = Suite("zero-copy")
    got = {}
    with tempfile.TemporaryDirectory(prefix="vprime-zc-") as tmp:
        sock = os.path.join(tmp, "qmp.sock")

        def read_counters():
            try:
                with vprime_qmp.QMP(sock) as q:
                    for dev in ("gpu0", "gpu1"):
                        for k in ("read", "written"):
                            for kind in ("sysram", "vram", "peer"):
                                prop = "stat-bytes-%s-%s" % (k, kind)
                                got[(dev, prop)] = q.qom_get("/machine/peripheral/" + dev, prop)
            except (vprime_qmp.QMPError, OSError) as e:
                got["error"] = str(e)

        ktap, console, rc, timed_out, _ = boot_guest(
            ["--qmp", sock, "--append", "vprime.tests=gpu-prime vprime.hold=prime"], tmp,
            holds={"prime": read_counters})
        add_tap_results(s, ktap, None if rc == 0 else rc, "boot", timed_out, "\n" + console[-3000:])
        if "error" in got or not got:
            s.add("counters-read", "fail", got.get("error", "the guest never held for the host"))
        else:
            want = {
                # iGPU: read the two frames from system memory, nothing else
                ("gpu0", "stat-bytes-read-sysram"): 2 * frame,
                ("gpu0", "stat-bytes-written-sysram"): 2 * blit_out,
                ("gpu0", "stat-bytes-read-vram"): 0,
                ("gpu0", "stat-bytes-read-peer"): 0,
                # dGPU: frame 1 to system memory, frame 2 to VRAM, then the
                # copy engine moves the VRAM BO once to system memory
                ("gpu1", "stat-bytes-written-sysram"): frame + bo,
                ("gpu1", "stat-bytes-written-vram"): frame,
                ("gpu1", "stat-bytes-read-vram"): bo,
                ("gpu1", "stat-bytes-read-sysram"): 0,
                ("gpu1", "stat-bytes-read-peer"): 0,
            }
            bad = ["%s %s = %s, want %s" % (d, p, got.get((d, p)), v)
                   for (d, p), v in sorted(want.items()) if got.get((d, p)) != v]
            if bad:
                s.add("exact-bytes", "fail", "; ".join(bad))
            else:
                s.add("exact-bytes", "pass",
                      output="measured: iGPU read %d bytes from system RAM (%d frames of %d); dGPU "
                             "read %d bytes of VRAM and wrote %d bytes to system RAM (the %d-byte "
                             "migration of the exported VRAM BO, and frame 1)"
                             % (got[("gpu0", "stat-bytes-read-sysram")],
                                got[("gpu0", "stat-bytes-read-sysram")] // frame, frame,
                                got[("gpu1", "stat-bytes-read-vram")],
                                got[("gpu1", "stat-bytes-written-sysram")], bo))
    return [s.finish()]


def suite_run():
    """make run's scenario (tests/host/run_scenario.py) as make run runs
    it: scenario 1 on the default topology under QEMU's DMA trace, with
    the proof that the CPU copied no frame (every frame the display
    scanned is exactly the pages the dGPU wrote for it) and the screen
    saved as a PNG."""
    import run_scenario
    s = Suite("make-run")
    keep = os.path.join(RESULTS, "make-run")
    os.makedirs(keep, exist_ok=True)
    png = os.path.join(keep, "screen.png")
    if os.path.exists(png):
        os.unlink(png)
    r = run_scenario.scenario([], png=png, keep=keep)
    for name, ok, detail in r.checks:
        s.add("host-" + name, "pass" if ok else "fail", "" if ok else detail, output=detail)
    add_tap_results(s, r.ktap, None if r.rc == 0 else r.rc, "boot", r.timed_out,
                    "\n" + r.console[-3000:])
    s.add("cpu-copies-none", "pass" if r.cpu_ok else "fail", "" if r.cpu_ok else
          "make run would print 'CPU copies: NOT PROVEN': " + r.cpu_text, output=r.cpu_text)
    s.add("screen-saved", "pass" if r.png else "fail", "" if r.png else "no screen PNG saved",
          output=r.png or "")
    oops = [l for l in r.console.splitlines() if OOPS_RE.search(l)]
    s.add("console-clean", "fail" if oops else "pass",
          "kernel trouble on the console" if oops else "", "\n".join(oops[:20]))
    return [s.finish()]


def suite_migration():
    """A running testbed saved to a file mid-scenario and restored
    (tests/host/migration.py)."""
    import migration
    return migration.suite(sys.modules[__name__])


LIBVIRT = os.path.join(SRC, "scripts", "vprime-libvirt")


def suite_libvirt():
    """The same testbed as a libvirt domain, QMP through virsh.

    The system libvirtd is one per machine: concurrent runs (two checkouts
    on one host) take turns, or one would stop the daemons under the other.
    """
    import fcntl
    with open(os.path.join(tempfile.gettempdir(), "vprime-libvirt.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _suite_libvirt()


def _suite_libvirt():
    # The guest's default list with an injected error.  The domain has no
    # control channel to a host agent (the other suites drive those
    # tests), so the two display tests that ask the host to act skip.
    # The system libvirtd is root's: elsewhere the domain skips, declared.
    s = Suite("libvirt", {"kms-contiguous": DEFAULT_SKIPS["kms-contiguous"],
                          "kms-genlock": "no two connected heads",
                          "kms-crossbar-crc": "one connected head",
                          "kms-hotplug": "no host control channel",
                          "kms-screendump": "no host control channel"} if os.geteuid() == 0
              else {"domain": "needs root"})
    with tempfile.TemporaryDirectory(prefix="vprime-libvirt-") as tmp:
        # A bad topology is refused before libvirt is called: virsh is
        # replaced by a recorder that must never run.
        rec = os.path.join(tmp, "virsh-called")
        fake = os.path.join(tmp, "virsh")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho \"$@\" >> %s\nexit 1\n" % rec)
        os.chmod(fake, 0o755)
        for name, args, word in [("refuses-five-heads", ["--heads", "5"], "1 to 4"),
                                 ("refuses-unknown-gpu", ["--gpus", "tpu"], "unknown GPU kind"),
                                 ("refuses-bad-vram", ["--gpus", "dgpu:100M"], "power of two")]:
            r = subprocess.run([LIBVIRT, "run"] + args, env=dict(os.environ, VPRIME_VIRSH=fake),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            err = r.stderr.decode(errors="replace")
            if r.returncode == 0 or word not in err:
                s.add(name, "fail", "exit %d" % r.returncode, err)
            elif os.path.exists(rec):
                s.add(name, "fail", "virsh was called for a bad topology", slurp(rec))
            else:
                s.add(name, "pass")

        if os.geteuid() != 0:
            s.add("domain", "skip", "the system libvirtd needs root")
            return [s.finish()]
        r = subprocess.run([LIBVIRT, "daemons", "start"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode:
            s.add("daemons-start", "fail", "libvirtd did not start", r.stdout.decode(errors="replace"))
            return [s.finish()]
        try:
            name = "vprime-check-%d" % os.getpid()
            results = os.path.join(tmp, "results.ktap")
            console = os.path.join(tmp, "console.log")
            os.chmod(tmp, 0o755)
            seen = {}
            dev = "/machine/peripheral/gpu0"

            def mon(cmd, **args):
                msg = {"execute": cmd}
                if args:
                    msg["arguments"] = args
                r = subprocess.run(["virsh", "-c", "qemu:///system", "qemu-monitor-command", name,
                                    json.dumps(msg)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=60)
                if r.returncode:
                    raise RuntimeError(r.stderr.decode(errors="replace").strip())
                reply = json.loads(r.stdout)
                if "error" in reply:
                    raise RuntimeError(str(reply["error"]))
                return reply.get("return")

            def inject():
                try:
                    seen["before"] = mon("qom-get", path=dev, property="stat-injected-faults")
                    mon("qom-set", path=dev, property="inject-error", value=1)
                    seen["after"] = mon("qom-get", path=dev, property="stat-injected-faults")
                    seen["irqs"] = mon("qom-get", path=dev, property="stat-irqs")
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
                    seen["error"] = str(e)

            out, rc, timed_out, _ = run_watching(
                [LIBVIRT, "run", "--name", name, "--results", results, "--console", console,
                 "--append", "vprime.inject=error", "--timeout", str(GUEST_TIMEOUT)],
                results, GUEST_TIMEOUT + 120, trigger=(r"waiting for an injected device error", inject))
            ktap = slurp(results)
            keep = os.path.join(RESULTS, "libvirt-check")
            os.makedirs(keep, exist_ok=True)
            for fn, text in (("results.ktap", ktap), ("console.log", slurp(console)), ("run.log", out)):
                with open(os.path.join(keep, fn), "w") as f:
                    f.write(text)
            add_tap_results(s, ktap, None if rc == 0 else rc, "domain", timed_out,
                            "\n" + out[-2000:] + slurp(console)[-2000:])
            if "error" in seen or "after" not in seen:
                s.add("virsh-qemu-monitor-command-injects", "fail",
                      seen.get("error", "never reached the waiting line"))
            elif seen["before"] != 0 or seen["after"] != 1 or seen.get("irqs", 0) < 2:
                s.add("virsh-qemu-monitor-command-injects", "fail",
                      "stat-injected-faults %s -> %s, stat-irqs %s" % (seen["before"], seen["after"],
                                                                      seen.get("irqs")))
            else:
                s.add("virsh-qemu-monitor-command-injects", "pass")
            left = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                                  stdout=subprocess.PIPE, timeout=60).stdout.decode()
            if name in left.split():
                s.add("domain-cleaned-up", "fail", "domain %s still defined" % name, left)
            else:
                s.add("domain-cleaned-up", "pass")
        finally:
            subprocess.run([LIBVIRT, "daemons", "stop"], timeout=120)
    return [s.finish()]


def suite_lava():
    """vprime's LAVA jobs, one run through lava-run (tests/host/lava_check.py)."""
    import lava_check
    return lava_check.suites()


# ------------------------------------------------------------------ report --

def write_junit(suites, path):
    root = ET.Element("testsuites")
    for s in suites:
        e = ET.SubElement(root, "testsuite", name=s.name, tests=str(len(s.cases)),
                          failures=str(sum(c.status == "fail" for c in s.cases)),
                          skipped=str(sum(c.status == "skip" for c in s.cases)),
                          time="%.3f" % s.seconds)
        for c in s.cases:
            tc = ET.SubElement(e, "testcase", classname="vprime.%s" % s.name, name=c.name,
                               time="%.3f" % c.seconds)
            if c.status == "fail":
                f = ET.SubElement(tc, "failure", message=c.message or "failed")
                f.text = c.output
            elif c.status == "skip":
                ET.SubElement(tc, "skipped", message=c.message)
            elif c.output:
                ET.SubElement(tc, "system-out").text = c.output
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def topology_jobs(topologies):
    """One job per topology: each boots its own QEMU."""
    return lambda: [("guest-%s" % t[0], lambda t=t: suite_guest([t]), 1)
                    for t in topologies()]


# Each suite as jobs: (name, function returning [Suite], QEMUs it runs at
# once).  Jobs share nothing but the machine (their own temporary
# directories, sockets, results directories), so they run side by side.
SUITES = {
    "qtest": lambda: [("qtest", lambda: [suite_qtest()], 1)],
    "launcher": lambda: [("launcher", lambda: [suite_launcher()], 1)],
    "console-check": lambda: [("console-check", lambda: [suite_console_check()], 1)],
    "guest": topology_jobs(lambda: GUEST_TOPOLOGIES),
    "fault": lambda: [("fault-qmp", suite_fault, 1)],
    "replay": lambda: [("replay", suite_replay, 1)],
    "zero-copy": lambda: [("zero-copy", suite_zero_copy, 1)],
    "run": lambda: [("make-run", suite_run, 1)],
    "scenarios": topology_jobs(lambda: SCENARIO_TOPOLOGIES),
    "hotplug": topology_jobs(lambda: HOTPLUG_TOPOLOGIES),
    "rootfs": lambda: [("guest-rootfs", suite_rootfs, 1)],
    "importer": topology_jobs(importer_topologies),
    "planted-bug": lambda: [("planted-bug", lambda: [suite_planted_bug()], 1)],
    "migration": lambda: [("migration", suite_migration, 1)],
    "libvirt": lambda: [("libvirt", suite_libvirt, 1)],
    # lava-run and the harness's own boot of the same topology, side by side
    "lava": lambda: [("lava", suite_lava, 2)],
}
DEFAULT_SUITES = ["qtest", "launcher", "console-check", "guest", "fault", "replay", "zero-copy",
                  "run", "scenarios", "hotplug", "importer", "planted-bug", "migration", "libvirt",
                  "lava", "rootfs"]
# Suites that boot no guest: they run first, alone (the qtests start
# their own QEMUs, as many as the machine has cores), so that the guest
# phase's wall time ('initramfs_suites' in make bench) is its own.
HOST_SUITES = ("qtest", "launcher", "console-check")


def default_jobs():
    """How many QEMUs run at once: $VPRIME_JOBS, else one per core (a
    TCG guest is mostly one busy thread), at most 4."""
    env = os.environ.get("VPRIME_JOBS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 4))


# A job's wall time before it has ever run here (a fresh clone): only the
# rootfs boot, by far the longest job (about 6 min), so that it starts
# first and the other guests run beside it instead of after it.
UNTIMED_SECONDS = {"guest-rootfs": 360.0}


def previous_seconds():
    """Each suite's wall time when it last ran (suite-seconds.json), to
    start the slow ones first; {} when there is none.  Only the order in
    which jobs start depends on it, never what is printed."""
    try:
        with open(os.path.join(RESULTS, "suite-seconds.json")) as f:
            return dict(json.load(f))
    except (OSError, ValueError, TypeError):
        return {}


def remember_seconds(suites):
    times = previous_seconds()
    times.update({s.name: round(s.seconds, 3) for s in suites})
    with open(os.path.join(RESULTS, "suite-seconds.json"), "w") as f:
        json.dump(times, f, indent=1, sort_keys=True)


def run_jobs(jobs, slots):
    """Run jobs [(name, fn, qemus)] with at most `slots` QEMUs at once,
    the longest (by the last run) first; print each job's suites whole, in
    the order of `jobs`, as soon as every job before it has been printed.
    Returns the suites in that order."""
    import threading
    last = previous_seconds()
    order = sorted(range(len(jobs)),
                   key=lambda i: -last.get(jobs[i][0], UNTIMED_SECONDS.get(jobs[i][0], 0.0)))
    done = [None] * len(jobs)
    cond = threading.Condition()
    free = [slots]

    def run(i):
        name, fn, qemus = jobs[i]
        t0 = time.time()
        try:
            suites = fn()
        except Exception as e:      # a harness bug: the job fails, the others go on
            import traceback
            s = Suite(name)
            s.add("harness", "fail", "%s: %s" % (type(e).__name__, e), traceback.format_exc())
            suites = [s.finish()]
        with cond:
            done[i] = (suites, time.time() - t0)
            free[0] += min(qemus, slots)
            cond.notify_all()

    threads = []
    printed = 0
    pending = list(order)
    with cond:
        while printed < len(jobs):
            # start what fits, in the order chosen
            while pending and free[0] >= min(jobs[pending[0]][2], slots):
                i = pending.pop(0)
                free[0] -= min(jobs[i][2], slots)
                t = threading.Thread(target=run, args=(i,), daemon=True)
                t.start()
                threads.append(t)
            while printed < len(jobs) and done[printed] is not None:
                for s in done[printed][0]:
                    if s.lines:
                        print("\n".join(s.lines), flush=True)
                printed += 1
            if printed < len(jobs):
                cond.wait()
    for t in threads:
        t.join()
    return [s for suites, _ in done for s in suites]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", action="append", choices=sorted(SUITES), help="run only these suites")
    p.add_argument("--junit", default=os.path.join(RESULTS, "junit.xml"))
    p.add_argument("--jobs", "-j", type=int, default=default_jobs(),
                   help="guests (QEMUs) to run at once (default: $VPRIME_JOBS, else one per "
                        "core, at most 4: %(default)s); the output is the same whatever it is")
    p.add_argument("--without-agent", action="store_true",
                   help="boot the guests without the host agent (its requests go unanswered): "
                        "shows that the tests needing it do not pass silently")
    opts = p.parse_args()
    global WITHOUT_AGENT, STREAM
    WITHOUT_AGENT = opts.without_agent
    STREAM = False
    if opts.jobs < 1:
        p.error("--jobs must be at least 1")

    t0 = time.time()
    names = opts.suite or DEFAULT_SUITES
    phases = {}
    suites = []
    for phase, members in (("host", [n for n in names if n in HOST_SUITES]),
                           ("guests", [n for n in names if n not in HOST_SUITES])):
        if not members:
            continue
        t = time.time()
        suites += run_jobs([j for n in members for j in SUITES[n]()], opts.jobs)
        phases[phase] = {"seconds": round(time.time() - t, 3), "suites": members}
    write_junit(suites, opts.junit)
    remember_seconds(suites)
    cases = [c for s in suites for c in s.cases]
    npass = sum(c.status == "pass" for c in cases)
    nfail = sum(c.status == "fail" for c in cases)
    nskip = sum(c.status == "skip" for c in cases)
    with open(os.path.join(RESULTS, "summary.json"), "w") as f:
        json.dump({"passed": npass, "failed": nfail, "skipped": nskip,
                   "failures": ["%s/%s" % (c.suite, c.name) for c in cases if c.status == "fail"],
                   "seconds": round(time.time() - t0, 3), "jobs": opts.jobs, "phases": phases,
                   "suites": {x.name: round(x.seconds, 3) for x in suites}}, f)
    print("# JUnit XML: %s" % opts.junit)
    print("# wall time per suite (%d QEMUs at once):" % opts.jobs)
    for s in suites:
        print("#   %-28s %7.1f s  (%d cases)" % (s.name, s.seconds, len(s.cases)))
    for phase, d in phases.items():
        print("#   %-28s %7.1f s" % ("%s phase (wall)" % phase, d["seconds"]))
    print("#   %-28s %7.1f s" % ("total", time.time() - t0))
    for c in cases:
        if c.status == "fail":
            print("# FAILED: %s/%s %s" % (c.suite, c.name, c.message))
    if not cases:
        print("# no test ran")
        nfail += 1
    print("%d passed, %d failed%s" % (npass, nfail, ", %d skipped" % nskip if nskip else ""))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
