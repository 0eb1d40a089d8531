#!/usr/bin/python3
"""make check-lava: vprime's LAVA jobs (scripts/vprime-lava), checked.

- the monitor's KTAP pattern on known console text (pass, fail, skip,
  subtests, diagnostics, a line not yet complete);
- bad input refused as the launcher refuses it, and the options LAVA
  cannot honour;
- the default matrix: every job valid for a LAVA server (LAVA's job
  schema) and for the dispatcher (lava-run --validate, with the device the
  lab would render for it); the lab's device dictionary rendered through
  lava-server's own qemu template (from the lava-server package, fetched
  once into the build cache) equals the device lava-run gets;
- one topology run through lava-run: LAVA's test cases must be the KTAP
  results of the same topology under vprime's own harness, name for name
  and verdict for verdict; 'vprime-lava results' gives the same as JUnit.

Prints TAP lines and 'N passed, N failed'; JUnit in results/lava/junit.xml.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

sys.path.insert(0, os.path.join(harness.SRC, "scripts"))
import vprime_lava as vl  # noqa: E402

VPRIME_LAVA = os.path.join(harness.SRC, "scripts", "vprime-lava")
KEEP = os.path.join(harness.RESULTS, "lava")
# (a bound that catches a hang: the harness's guest timeout, which is
# longer on a kernel with KASAN and lockdep)
LAVA_TIMEOUT = float(os.environ.get("VPRIME_LAVA_TIMEOUT", harness.GUEST_TIMEOUT))
# lava-server's device-type templates (base.jinja2, qemu.jinja2: what a
# lab's server renders device dictionaries with)
TEMPLATES = os.path.join(harness.BUILD, "lava-server", "device-types")

# The topology run through lava-run and the harness: a dGPU without a
# display, the GPU tests that need no host agent (under LAVA no agent
# answers the guest's control port), and two that skip on this topology
# whoever runs them (no injection asked for; no iGPU to share with).
RUN_NAME = "dgpu-only"
RUN_TESTS = ["pci-ids", "drivers-bound", "dri-nodes", "msix", "ioctl-validation",
             "injected-error", "gpu-commands", "gpu-sync", "gpu-fault", "gpu-prime",
             "gpu-vram", "gpu-debugfs", "dmesg-clean"]
RUN_ARGS = ["--gpus", "dgpu", "--no-display", "--append", "vprime.tests=" + ",".join(RUN_TESTS)]


def lava_cli(args, timeout=120):
    r = subprocess.run([VPRIME_LAVA] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def load_yaml(text):
    import yaml
    return yaml.safe_load(text)


# ------------------------------------------------------------- the pattern --

# (console text, [(test_case_id, result)] the monitor must record)
PATTERN_CASES = [
    ("plain", "KTAP version 1\r\n1..3\r\nok 1 pci-ids\r\nnot ok 2 gpu-sync # exit status 1\r\n"
              "ok 3 kms-hotplug # SKIP no host control channel (the harness provides it)\r\n",
     [("pci-ids", "pass"), ("gpu-sync", "fail"), ("kms-hotplug", "skip")]),
    ("diagnostics-and-subtests",
     "1..2\n# ok 7 not-a-result\n    ok 1 a-subtest\n# SKIP later\nok 1 x\n"
     "[   12.5] kernel: ok 4 printk\nok 2 y # TODO odd directive\n",
     [("x", "pass"), ("y", "pass")]),
    # a line still arriving is not matched until its end comes
    ("incomplete-line", "1..1\nok 1 kms-hot", []),
    ("incomplete-skip", "1..1\nok 1 kms-hotplug # SK", []),
]


def monitor_matches(text):
    """What LAVA's monitor records from text: pexpect searches the
    buffer for the earliest match, then continues after it."""
    pat = re.compile(vl.KTAP_PATTERN, re.DOTALL)
    out, pos = [], 0
    while True:
        m = pat.search(text, pos)
        if not m:
            return out
        out.append((m.group("test_case_id"), vl.KTAP_FIXUP[m.group("result")]))
        pos = m.end()


def check_pattern(s):
    for name, text, want in PATTERN_CASES:
        got = monitor_matches(text)
        s.add("pattern-" + name, "pass" if got == want else "fail",
              "" if got == want else "recorded %s, want %s" % (got, want))


# ------------------------------------------------ the command line split --

def check_split(s):
    """A QEMU command line split into device, context and deploy: the
    kernel with its command line, the image and a disk are deployed, the
    firmware stays with the device, the rest is the topology, and what
    LAVA's command line cannot carry is refused."""
    run = object.__new__(vl.Run)
    run._split(["/q/qemu", "-L", "/fw", "-nodefaults", "-machine", "q35,accel=tcg",
                "-kernel", "/k/vmlinuz", "-initrd", "/i/initramfs.cpio",
                "-append", "console=ttyS0 vprime.tests=a,b",
                "-drive", "file=/d/root,,fs.img,format=raw,if=virtio",
                "-device", "vprime-dgpu,id=gpu0,fault=hang:engine=copy,,after=3"])
    want = ([("kernel", "/k/vmlinuz",
              "-kernel {kernel} -append 'console=ttyS0 vprime.tests=a,b'"),
             ("ramdisk", "/i/initramfs.cpio", "-initrd {ramdisk}"),
             ("disk0", "/d/root,fs.img", "-drive file={disk0},format=raw,if=virtio")],
            ["-L /fw"],
            ["-nodefaults", "-machine q35,accel=tcg",
             "-device vprime-dgpu,id=gpu0,fault=hang:engine=copy,,after=3"])
    got = (run.images, run.firmware, run.extra)
    s.add("split-command-line", "pass" if got == want else "fail",
          "" if got == want else "got %s, want %s" % (got, want))
    try:
        run._split(["/q/qemu", "-device", "x,id='a b'"])
        s.add("split-refuses-quotes", "fail", "accepted %s" % run.extra)
    except vl.LavaError as e:
        s.add("split-refuses-quotes", "pass", output=str(e))


# What a LAVA server gives back for a job: 'lavacli results JOB' and
# 'lavacli results --yaml JOB' (lava-server's export of each test case:
# suite, name, result, and the dispatcher's result as metadata)
SERVER_RESULTS = [
    ("lavacli-text", "Results:\n* lava.validate [pass]\n* vprime.pci_ids [pass]\n"
                     "* vprime.gpu_sync [fail]\n* vprime.kms_hotplug [skip]\n* lava.job [pass]\n"),
    ("lavacli-yaml", "- {suite: lava, name: validate, result: pass, metadata: {}}\n"
                     "- {suite: vprime, name: pci_ids, result: pass, metadata: {case: pci_ids,\n"
                     "   definition: vprime, extra: {test_case_id: pci-ids}, result: pass}}\n"
                     "- {suite: vprime, name: gpu_sync, result: fail, metadata: {}}\n"
                     "- {suite: vprime, name: kms_hotplug, result: skip, metadata: {}}\n"
                     "- {suite: lava, name: job, result: pass, metadata: {}}\n"),
]


def check_server_results(s):
    want = [("pci-ids", "pass"), ("gpu-sync", "fail"), ("kms-hotplug", "skip")]
    for name, text in SERVER_RESULTS:
        ours, lava, _ = vl.parse_results(text)
        ok = ours == want and [(c, r) for c, r, _ in lava] == [("validate", "pass"),
                                                               ("job", "pass")]
        s.add("results-" + name, "pass" if ok else "fail",
              "" if ok else "vprime %s, lava %s" % (ours, lava))


# ------------------------------------------------------------- refusals --

# (name, arguments, words the refusal must contain)
REFUSALS = [
    ("refuses-five-heads", ["job", "--heads", "5"], ["--heads 5", "1 to 4"]),
    ("refuses-unknown-gpu", ["device", "--gpus", "tpu"], ["unknown GPU kind 'tpu'"]),
    ("refuses-bad-fault", ["job", "--fault", "1:meltdown"], ["unknown fault kind 'meltdown'"]),
    ("refuses-missing-kernel", ["job", "--kernel", "/nonexistent/vmlinuz"], ["kernel not found"]),
    ("refuses-qmp", ["job", "--qmp", "/tmp/x.qmp"], ["--qmp", "no host agent"]),
    ("refuses-display", ["device", "--display", "vnc:1"], ["no display"]),
    ("refuses-accel-auto", ["job", "--accel", "auto"], ["--accel auto", "tcg or kvm"]),
    ("refuses-shell-mode", ["job", "--mode", "shell"], ["--mode shell"]),
    ("refuses-bad-seeds", ["matrix", "--out", "/nonexistent/x", "--seeds", "1,x"], ["--seeds"]),
]


def check_refusals(s):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda r: lava_cli(r[1]), REFUSALS))
    for (name, args, words), (rc, out, err) in zip(REFUSALS, answers):
        missing = [w for w in words if w not in err]
        if rc == 0:
            s.add(name, "fail", "accepted (exit 0)", out)
        elif missing:
            s.add(name, "fail", "message lacks %s" % missing, err)
        else:
            s.add(name, "pass")


# --------------------------------------------------------------- the matrix --

def device_for_job(job, qemu):
    """The device a lab renders for job: the lab dictionary's command and
    options, the job's context extra_options."""
    return vl.device_dict(qemu, vl.firmware_options(vl.launcher().FIRMWARE),
                          job["context"].get("extra_options", []))


def template_dir():
    """lava-server's templates: $VPRIME_LAVA_TEMPLATES, or those of the
    lava-server package of lava-dispatcher's version, downloaded once
    into the build cache (not installed).  (directory, why not) """
    if os.environ.get("VPRIME_LAVA_TEMPLATES"):
        return os.environ["VPRIME_LAVA_TEMPLATES"], None
    ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "lava-dispatcher"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    stamp = os.path.join(TEMPLATES, "version")
    if ver and harness.slurp(stamp) != ver:
        top = os.path.dirname(TEMPLATES)
        shutil.rmtree(top, ignore_errors=True)
        os.makedirs(os.path.join(top, "dl"))
        os.makedirs(TEMPLATES)
        # stderr: make check prints the suites' results in a fixed order
        print("# downloading lava-server %s for its device-type templates" % ver, file=sys.stderr,
              flush=True)
        r = subprocess.run(
            ["bash", "-c", '. "$1"/scripts/lib.sh && cd "$2" && '
             'papt apt-get download -q "lava-server=$3" && '
             'dpkg-deb --fsys-tarfile lava-server_*.deb | tar -x -C "$4" --strip-components=5 '
             './usr/share/lava-server/device-types/base.jinja2 '
             './usr/share/lava-server/device-types/qemu.jinja2',
             "-", harness.SRC, os.path.join(top, "dl"), ver, TEMPLATES],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        if r.returncode:
            return None, "downloading lava-server %s failed: %s" % (
                ver, r.stdout.decode(errors="replace").strip().splitlines()[-1:])
        with open(stamp, "w") as f:
            f.write(ver)
    if os.path.isfile(os.path.join(TEMPLATES, "qemu.jinja2")):
        return TEMPLATES, None
    return None, "lava-dispatcher is not installed"


def render_lab_device(lab_text, context, tdir, tmp):
    import jinja2
    with open(os.path.join(tmp, "vprime-lab.jinja2"), "w") as f:
        f.write(lab_text)
    # as lava-server renders device dictionaries
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([tmp, tdir]),
                             trim_blocks=True, autoescape=False)
    return load_yaml(env.get_template("vprime-lab.jinja2").render(**context))


def lava_run(args, timeout):
    try:
        r = subprocess.run(["lava-run"] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace")


def check_matrix(s, tmp):
    from lava_common.schemas import validate as lava_schema
    out = os.path.join(tmp, "matrix")
    rc, _, err = lava_cli(["matrix", "--out", out], timeout=300)
    files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    want = len(vl.MATRIX_TOPOLOGIES) * len(vl.MATRIX_SEEDS)
    if rc or len(files) != want:
        s.add("matrix-generated", "fail", "exit %d, %d job files, want %d" % (rc, len(files), want),
              err)
        return
    s.add("matrix-generated", "pass", output=err.strip())
    qemu = os.path.join(harness.BUILD, "qemu-build", "qemu-system-x86_64")
    bad_schema, bad_validate, seeds, validate = [], [], set(), []
    for n, fn in enumerate(files):
        with open(os.path.join(out, fn)) as f:
            job = load_yaml(f.read())
        try:
            lava_schema(job, strict=True)
        except Exception as e:      # voluptuous' Invalid and friends
            bad_schema.append("%s: %s" % (fn, e))
        dev = os.path.join(tmp, fn + ".device.yaml")
        with open(dev, "w") as f:
            f.write(json.dumps(device_for_job(job, qemu)))
        validate.append((fn, ["--validate", "--device", dev, "--job-id",
                              "vprime-validate-%d-%d" % (os.getpid(), n), "--output-dir",
                              os.path.join(tmp, "validate-" + fn), os.path.join(out, fn)]))
        seeds.add(job["metadata"]["vprime.fault-seed"])
        shutil.copy(os.path.join(out, fn), os.path.join(KEEP, "matrix", fn))
    # lava-run --validate for every job, a few at a time (each is mostly
    # the dispatcher's start-up)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda v: (v[0],) + lava_run(v[1], 120), validate))
    # lava-run removes its job's directory after a run, not after --validate
    from lava_common.constants import DISPATCHER_DOWNLOAD_DIR
    for _, args in validate:
        shutil.rmtree(os.path.join(DISPATCHER_DOWNLOAD_DIR, args[args.index("--job-id") + 1]),
                      ignore_errors=True)
    for fn, rc, log in runs:
        _, lava, _ = vl.parse_results(log)
        if rc != 0 or not lava or any(r != "pass" for _, r, _ in lava):
            bad_validate.append("%s: exit %s, %s" % (fn, rc, [(c, r, d) for c, r, d in lava
                                                             if r != "pass"]))
    s.add("matrix-lava-schema", "fail" if bad_schema else "pass",
          "%d of %d jobs invalid" % (len(bad_schema), len(files)) if bad_schema else "",
          "\n".join(bad_schema) or "%d jobs valid" % len(files))
    s.add("matrix-lava-run-validate", "fail" if bad_validate else "pass",
          "%d of %d jobs refused" % (len(bad_validate), len(files)) if bad_validate else "",
          "\n".join(bad_validate) or "%d jobs valid" % len(files))
    want_seeds = {"none" if x is None else str(x) for x in vl.MATRIX_SEEDS}
    s.add("matrix-fault-seeds", "pass" if seeds == want_seeds else "fail",
          "" if seeds == want_seeds else "seeds %s, want %s" % (sorted(seeds), sorted(want_seeds)))


def check_lab_device(s, tmp, job, device):
    """The lab's dictionary, rendered by lava-server's qemu template with
    the job's context, gives the qemu boot method lava-run was given."""
    tdir, why = template_dir()
    if not tdir:
        s.add("lab-device-renders", "fail", "no lava-server templates: %s" % why)
        return
    rc, lab, err = lava_cli(["lab-device"])
    try:
        got = render_lab_device(lab, job["context"], tdir, tmp)
        got = got["actions"]["boot"]["methods"]["qemu"]["parameters"]
    except Exception as e:      # template or YAML errors: say which
        s.add("lab-device-renders", "fail", "%s: %s" % (type(e).__name__, e), lab + err)
        return
    want = device["actions"]["boot"]["methods"]["qemu"]["parameters"]
    s.add("lab-device-renders", "pass" if got == want else "fail",
          "" if got == want else "rendered %s, lava-run had %s" % (got, want),
          output="templates from %s" % tdir)


# ------------------------------------------------------- the run, compared --

def check_run(s, tmp):
    """RUN_ARGS through lava-run, then through vprime's harness; the same
    results, name for name."""
    dev, job = os.path.join(tmp, "device.yaml"), os.path.join(tmp, "job.yaml")
    rc1, _, err1 = lava_cli(["device", "-o", dev] + RUN_ARGS)
    rc2, _, err2 = lava_cli(["job", "-o", job, "--name", "vprime check-lava " + RUN_NAME]
                            + RUN_ARGS)
    if rc1 or rc2:
        s.add("run-job-generated", "fail", "exit %d/%d" % (rc1, rc2), err1 + err2)
        return
    with open(dev) as f:
        device = load_yaml(f.read())
    with open(job) as f:
        jobd = load_yaml(f.read())
    for fn in (dev, job):
        shutil.copy(fn, os.path.join(KEEP, os.path.basename(fn)))
    same = device_for_job(jobd, device["actions"]["boot"]["methods"]["qemu"]["parameters"]
                          ["command"]) == device
    s.add("device-matches-job-context", "pass" if same else "fail",
          "" if same else "the device's extra options are not the job's context extra_options")
    check_lab_device(s, tmp, jobd, device)

    # lava-run and the harness boot the same topology side by side (two
    # QEMUs, one vCPU each); neither result depends on the other's timing
    t0 = time.time()
    lava_out = {}

    def run_lava():
        lava_out["rc"], lava_out["log"] = lava_run(
            ["--device", dev, "--job-id", "vprime-check-%d" % os.getpid(),
             "--output-dir", os.path.join(tmp, "lava-out"), job], LAVA_TIMEOUT)
        lava_out["seconds"] = time.time() - t0
    lava_thread = threading.Thread(target=run_lava)
    lava_thread.start()
    native_dir = os.path.join(tmp, "native")
    os.makedirs(native_dir)
    try:
        ktap, nconsole, nrc, timed_out, _ = harness.boot_guest(RUN_ARGS, native_dir)
    finally:
        lava_thread.join()
    rc, log, t_lava = lava_out["rc"], lava_out["log"], lava_out["seconds"]

    with open(os.path.join(KEEP, "lava-run.log"), "w") as f:
        f.write(log)
    ours, lava, console = vl.parse_results(log)
    with open(os.path.join(KEEP, "console.log"), "w") as f:
        f.write("\n".join(console) + "\n")
    bad = [(c, r, d) for c, r, d in lava if r != "pass"]
    if rc is None:
        s.add("lava-run-job", "fail", "lava-run still running after %ds" % LAVA_TIMEOUT,
              log[-4000:])
    elif rc or bad or not any(c == "job" for c, _, _ in lava):
        s.add("lava-run-job", "fail", "exit %s, LAVA actions %s" % (rc, bad), log[-4000:])
    else:
        s.add("lava-run-job", "pass", output="%d LAVA test cases in %.0f s" % (len(ours), t_lava))
    # how long the monitor waits for the next result line (LAVA takes it
    # from the boot action's timeout): a slow test must not end the job
    gap = re.search(r"test monitoring timeout: (\d+) seconds", log)
    want = vl.RESULT_GAP_MINUTES * 60
    s.add("monitor-timeout", "pass" if gap and int(gap.group(1)) == want else "fail",
          "" if gap and int(gap.group(1)) == want else
          "LAVA's monitor waits %s s for a result line, want %d" % (gap and gap.group(1), want))

    # the same topology under vprime's own harness (boot_guest: the
    # launcher, the results port, the host agent)
    with open(os.path.join(KEEP, "native.ktap"), "w") as f:
        f.write(ktap)
    plan, results, bail = harness.parse_tap(ktap)
    native = [(name, st) for st, name, _, _ in results]
    if timed_out or nrc or plan is None or len(results) != plan:
        s.add("native-run", "fail", "exit %s%s, %d of %s results" % (
            nrc, ", timed out" if timed_out else "", len(results), plan), nconsole[-3000:])
    else:
        s.add("native-run", "pass", output="%d results" % len(results))

    if not ours:
        s.add("lava-equals-native", "fail", "LAVA recorded no vprime test case",
              "\n".join(console[-60:]))
    elif ours != native:
        diff = ["%-24s LAVA %-5s native %s" % (n, dict(ours).get(n, "-"), dict(native).get(n, "-"))
                for n in sorted(set(dict(ours)) | set(dict(native)))
                if dict(ours).get(n) != dict(native).get(n)]
        s.add("lava-equals-native", "fail", "%d LAVA test cases, %d native results, %d differ"
              % (len(ours), len(native), len(diff)),
              "\n".join(diff) + "\nLAVA:   %s\nnative: %s" % (ours, native))
    else:
        counts = {st: sum(1 for _, r in ours if r == st) for st in ("pass", "fail", "skip")}
        s.add("lava-equals-native", "pass",
              output="%d test cases, identical (%d pass, %d fail, %d skip)"
              % (len(ours), counts["pass"], counts["fail"], counts["skip"]))

    # the CI-facing conversion: vprime-lava results -> JUnit
    junit = os.path.join(KEEP, "lava-results.junit.xml")
    rc, out, err = lava_cli(["results", os.path.join(KEEP, "lava-run.log"), "--junit", junit])
    try:
        cases = [(tc.get("name"), "fail" if tc.find("failure") is not None else
                  "skip" if tc.find("skipped") is not None else "pass")
                 for tc in ET.parse(junit).getroot().iter("testcase")]
    except (OSError, ET.ParseError) as e:
        cases = str(e)
    if cases != native:
        s.add("results-junit", "fail", "JUnit from LAVA's results differs from the native run",
              "%s\n%s%s" % (cases, out, err))
    else:
        s.add("results-junit", "pass", output=out.strip().splitlines()[-1] if out.strip() else "")


def suites():
    s = harness.Suite("lava")
    os.makedirs(os.path.join(KEEP, "matrix"), exist_ok=True)
    check_pattern(s)
    check_split(s)
    check_server_results(s)
    check_refusals(s)
    if not shutil.which("lava-run"):
        s.add("lava-dispatcher", "fail", "lava-run not found: 'make deps' installs "
              "lava-dispatcher (scripts/setup-host.sh)")
    elif os.geteuid() != 0:
        s.add("lava-run", "skip", "lava-run runs as root only")
    else:
        with tempfile.TemporaryDirectory(prefix="vprime-lava-") as tmp:
            check_matrix(s, tmp)
            check_run(s, tmp)
    return [s.finish()]


def main():
    t0 = time.time()
    ss = suites()
    harness.write_junit(ss, os.path.join(KEEP, "junit.xml"))
    cases = [c for x in ss for c in x.cases]
    npass = sum(c.status == "pass" for c in cases)
    nfail = sum(c.status == "fail" for c in cases)
    nskip = sum(c.status == "skip" for c in cases)
    print("# JUnit XML: %s; %.0f s" % (os.path.join(KEEP, "junit.xml"), time.time() - t0))
    for c in cases:
        if c.status == "fail":
            print("# FAILED: %s/%s %s" % (c.suite, c.name, c.message))
    print("%d passed, %d failed%s" % (npass, nfail, ", %d skipped" % nskip if nskip else ""))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
