#!/usr/bin/python3
"""make run: scenario 1 (Optimus render offload) on the default topology.

The dGPU renders each frame (test pattern, frame number + dGPU tag) in its
VRAM, its copy engine hands it to the display engine through a dma-buf,
the frame is flipped behind the copy's fence.  Prints frames shown, frames
per second and copies (CPU and device), the host's zero-copy proof, and
saves the screen as a PNG under the build directory.

usage: run_scenario.py [--frames N] [vprime-launch options, e.g. --display vnc:1]
"""

import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main(argv):
    frames = 12
    if "--frames" in argv:
        i = argv.index("--frames")
        frames, argv = int(argv[i + 1]), argv[:i] + argv[i + 2:]
    png = os.path.join(harness.BUILD, "vprime-screen.png")
    with tempfile.TemporaryDirectory(prefix="vprime-run-") as tmp:
        agents = []
        ktap, console, rc, timed_out, _ = harness.boot_guest(
            argv + ["--append", "vprime.tests=scenario-optimus vprime.frames=%d" % frames], tmp,
            timeout=max(300, frames), agent=agents)
        os.makedirs(harness.RESULTS, exist_ok=True)
        with open(os.path.join(harness.RESULTS, "run-console.log"), "w") as f:
            f.write(console)
        saved = os.path.join(tmp, "host", "optimus.png")
        if os.path.exists(saved):
            shutil.copy(saved, png)
    diags = [l[2:] for l in ktap.splitlines() if l.startswith("# ")]
    for line in diags:
        if line.startswith(("optimus:", "copies:", "host:", "FAIL")):
            print("  " + line)
    m = re.search(r"^# scenario optimus frames_shown (\d+) fps ([\d.]+) copies_cpu (\d+) "
                  r"copies_device (\d+)", ktap, re.M)
    ok = re.search(r"^ok \d+ scenario-optimus\s*$", ktap, re.M) is not None
    if not m:
        print("vprime: scenario 1 did not complete (exit %s%s); console: %s"
              % (rc, ", timed out" if timed_out else "", os.path.join(harness.RESULTS, "run-console.log")))
        return 1
    print("vprime: scenario 1 (Optimus render offload): %s frames shown in order, %s fps (TCG), "
          "copies: CPU %s, device %s (dGPU copy engine)" % m.groups())
    for name, good, detail in agents[0].checks if agents else []:
        print("  host %s: %s: %s" % (name, "ok" if good else "FAILED", detail))
    if os.path.exists(png):
        print("vprime: the screen (the dGPU's last frame) is in %s" % png)
    else:
        print("vprime: no screen PNG was saved")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
