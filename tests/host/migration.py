"""The migration suite: a running testbed is saved to a file in the middle
of scenario 1 (Optimus render offload: the dGPU renders in VRAM, its copy
engine copies each frame to system memory, the display shows it) and
restored in a second QEMU, which runs the rest of the scenario.

The guest side is tests/guest/scenario.c unchanged, with more frames
(vprime.frames).  The host watches the display's flip counter over QMP;
once the scenario has flipped MIGRATE_AT frames it stops the VM, migrates
it to a file (QMP 'migrate' to 'file:') and quits that QEMU.  A second
launch of the same topology with '-incoming file:' loads the file; the
host checks the counters came along and continues the VM ('cont': the
source was stopped, as 'virsh save' does).  The guest's own checks then
say whether every frame after the migration was still shown, in order,
by the device's CRC of every composed frame, and the host agent of the
second QEMU proves the handoff zero-copy with the migrated counters.

Used by harness.py (suite 'migration'); 'h' is the harness module.
"""

import os
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import vprime_qmp  # noqa: E402

FRAMES = 120            # the scenario's frames: two seconds at 60 Hz
MIGRATE_AT = 40         # flips of the scenario before the host saves the VM
TESTS = "scenario-optimus,dmesg-clean"
# With fbdev, as every topology boots (see README, fbdev, for a stall
# seen twice and not reproduced since)
ARGS = ["--gpus", "dgpu", "--memory", "512M",
        "--append", "vprime.tests=%s vprime.frames=%d" % (TESTS, FRAMES)]
DISPLAY = "/machine/peripheral/display0"
GPU = "/machine/peripheral/gpu0"
# Counters the destination must hold exactly as the source left them
COUNTERS = [(DISPLAY, "stat-flips"), (DISPLAY, "stat-vblanks"),
            (DISPLAY, "stat-frames-composed"), (DISPLAY, "head0-flips"),
            (GPU, "stat-cmds-copy"), (GPU, "stat-cmds-render"),
            (GPU, "stat-bytes-written-vram"), (GPU, "stat-bytes-written-sysram")]
# How long the host waits for the scenario to reach MIGRATE_AT, for the
# save and for the load: a bound that only catches a hang, a fifth of the
# harness's guest timeout (120 s on Debian's kernel; 360 s on a kernel
# with KASAN and lockdep, which runs the scenario several times slower).
WAIT_FRACTION = 5


def read_counters(q):
    return {"%s %s" % (os.path.basename(path), prop): q.qom_get(path, prop)
            for path, prop in COUNTERS}


def save(qmp, state, saved, wait_s):
    """On the source, from the guest's KTAP plan on: once the scenario has
    flipped MIGRATE_AT frames on its head (head0-flips: the engine's count
    would take in other heads' flips; it resets the counters first; the
    mode set before flips a few), stop, migrate to the file, quit.  A QMP
    connection per poll: the host agent needs the same socket while the
    guest resets the counters."""
    deadline = time.time() + wait_s
    try:
        flips = 0
        while flips < MIGRATE_AT:
            if time.time() > deadline:
                raise RuntimeError("the scenario flipped only %d frames in %ds" % (flips, wait_s))
            time.sleep(0.02)
            with vprime_qmp.QMP(qmp) as q:
                flips = q.qom_get(DISPLAY, "head0-flips")
        with vprime_qmp.QMP(qmp, timeout=wait_s) as q:
            q.execute("stop")
            saved["counters"] = read_counters(q)
            t0 = time.time()
            q.execute("migrate", uri="file:%s" % state)
            while True:
                info = q.execute("query-migrate")
                if info.get("status") == "completed":
                    break
                if info.get("status") in ("failed", "cancelled") or time.time() > deadline:
                    raise RuntimeError("migration %s: %s" % (info.get("status"),
                                                             info.get("error-desc", "")))
                time.sleep(0.05)
            saved["seconds"] = time.time() - t0
            saved["bytes"] = os.path.getsize(state)
            try:
                q.execute("quit")
            except vprime_qmp.QMPError:
                pass        # QEMU may close the socket before it answers
    except (RuntimeError, vprime_qmp.QMPError, OSError) as e:
        saved["error"] = str(e)


def resume(qmp, saved, out, wait_s):
    """On the destination: wait for the incoming migration, compare the
    counters with the source's, continue the VM."""
    deadline = time.time() + wait_s
    try:
        with vprime_qmp.QMP(qmp, timeout=wait_s) as q:
            while True:
                status = q.execute("query-status")["status"]
                if status == "paused":
                    break
                if status != "inmigrate" or time.time() > deadline:
                    raise RuntimeError("the destination is %s, not loading the state" % status)
                time.sleep(0.05)
            out["counters"] = read_counters(q)
            out["migration"] = q.execute("query-migrate").get("status")
            q.execute("cont")
    except (RuntimeError, vprime_qmp.QMPError, OSError) as e:
        out["error"] = str(e)


def suite(h):
    s = h.Suite("migration")
    t0 = time.time()
    wait_s = h.GUEST_TIMEOUT / WAIT_FRACTION
    keep = os.path.join(h.RESULTS, "migration")
    os.makedirs(keep, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vprime-migration-") as tmp:
        state = os.path.join(tmp, "state")
        src, dst = os.path.join(tmp, "source"), os.path.join(tmp, "destination")
        os.makedirs(src)
        os.makedirs(dst)
        saved, restored, agents = {}, {}, []

        src_qmp = os.path.join(src, "qmp.sock")
        ktap0, console0, rc0, to0, _ = h.boot_guest(
            ARGS + ["--qmp", src_qmp], src, agent=agents,
            trigger=(r"^1\.\.\d+", lambda: save(src_qmp, state, saved, wait_s)))

        ktap1, console1, rc1, to1 = "", "", None, False
        if "bytes" in saved:
            dst_qmp = os.path.join(dst, "qmp.sock")
            th = threading.Thread(target=resume, args=(dst_qmp, saved, restored, wait_s))
            th.start()
            ktap1, console1, rc1, to1, _ = h.boot_guest(
                ARGS + ["--qmp", dst_qmp, "--qemu-args", "-incoming file:%s" % state], dst,
                agent=agents)
            th.join()

        ktap = ktap0 + ktap1
        console = console0 + "\n---- migrated ----\n" + console1
        for name, text in (("results.ktap", ktap), ("console.log", console)):
            with open(os.path.join(keep, name), "w") as f:
                f.write(text)
        hostdir = os.path.join(dst, "host")
        for f in os.listdir(hostdir) if os.path.isdir(hostdir) else []:
            shutil.copy(os.path.join(hostdir, f), os.path.join(keep, f))

        flips = saved.get("counters", {}).get("display0 head0-flips", 0)
        if "error" in saved or "bytes" not in saved:
            s.add("saved-mid-scenario", "fail",
                  saved.get("error", "the scenario never started (exit %s)" % rc0),
                  console0[-3000:])
        elif not MIGRATE_AT <= flips < FRAMES:
            s.add("saved-mid-scenario", "fail", "saved at flip %d, not within %d..%d"
                  % (flips, MIGRATE_AT, FRAMES - 1))
        else:
            s.add("saved-mid-scenario", "pass",
                  output="stopped at flip %d of %d; %.1f MiB written to the file in %.2f s"
                         % (flips, FRAMES, saved["bytes"] / 2**20, saved["seconds"]))
        if "bytes" in saved:
            if rc0 == 0 and not to0:
                s.add("source-quit", "pass", output="the source QEMU exited 0 after 'quit'")
            else:
                s.add("source-quit", "fail", "timed out" if to0 else "exit %s" % rc0,
                      console0[-2000:])
            if "error" in restored or restored.get("migration") != "completed":
                s.add("restored", "fail", restored.get("error", "incoming migration %s"
                                                       % restored.get("migration")),
                      console1[-3000:])
            elif restored["counters"] != saved["counters"]:
                s.add("restored", "fail", "counters differ",
                      "source: %s\ndestination: %s" % (saved["counters"], restored["counters"]))
            else:
                s.add("restored", "pass", output="counters as saved: %s" % restored["counters"])

        # the guest's verdicts: the plan came before the migration, the
        # results after it
        for name, ok, detail in (agents[-1].checks if len(agents) > 1 else []):
            s.add("host-" + name, "pass" if ok else "fail", "" if ok else detail, output=detail)
        n = len(s.cases)
        h.add_tap_results(s, ktap, None if rc1 == 0 else rc1, "boot", to1, "\n" + console[-3000:])
        skipped = [c.name for c in s.cases[n:] if c.status == "skip"]
        if skipped:
            s.add("nothing-skipped", "fail", "skipped: %s" % ", ".join(skipped))
        shown = re.search(r"optimus: (\d+) frames shown in order.*", ktap)
        if not shown or int(shown.group(1)) != FRAMES:
            s.add("every-frame-in-order", "fail",
                  "the scenario did not report %d frames shown in order" % FRAMES, ktap[-3000:])
        else:
            s.add("every-frame-in-order", "pass", output=shown.group(0))
        oops = [line for line in console.splitlines() if h.OOPS_RE.search(line)]
        s.add("no-kernel-oops", "fail" if oops else "pass", "; ".join(oops[:3]))
    s.seconds = time.time() - t0
    return [s]
