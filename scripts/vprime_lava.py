"""vprime on LAVA: device dictionaries, job definitions, a job matrix, and
LAVA's results mapped back to vprime's test names.

A vprime run is a QEMU command line (scripts/vprime_topology.py builds it
from the launcher's options) plus a kernel and an image.  Under LAVA the
command line is split three ways:

- the device: vprime's QEMU by absolute path and its firmware arguments
  (one dictionary per worker);
- the job's context ``extra_options``: the topology — machine, CPU, memory,
  the vprime devices, the serial console on stdio — which LAVA appends to
  the device's options;
- the job's deploy action: the kernel (with its command line) and the image
  as ``file://`` URLs, which LAVA copies and passes as ``-kernel``,
  ``-append`` and ``-initrd``.

A lab's server renders the device dictionary with the job's context, so a
lab device runs any topology.  ``lava-run`` takes an already rendered
device, so for it the topology goes into the device's ``extra`` instead:
device_dict() and job() build both from the same list.

The guest's KTAP comes to the serial console (the image writes it there
when there is no results port) and a ``monitors`` test action turns each
top-level ``ok``/``not ok`` line into a LAVA test case.
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import re
import shlex

import vprime_topology as vt

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)

# The monitor's test suite name; LAVA lower-cases test case names and turns
# every run of non-word characters into "_" (kms-modeset -> kms_modeset).
SUITE = "vprime"
KTAP_START = "KTAP version 1"
# images/init writes this line when the suite has finished, pass or fail
KTAP_END = "# vprime: guest done"
# A top-level KTAP result line, matched only once it is complete (the
# lookahead wants its line end).  'result' is "SKIP" for "ok N name # SKIP
# why", else "ok" or "not ok"; 'test_case_id' is the test's name.
KTAP_PATTERN = (r"\n(?=(?:not )?ok \d+ (?P<test_case_id>[^\s#]+))"
                r"(?:ok \d+ [^\s#]+ # )?(?P<result>SKIP|not ok|ok)(?=[^\n]*\n)")
KTAP_FIXUP = {"ok": "pass", "not ok": "fail", "SKIP": "skip"}

# Arguments of the QEMU command line that take no value
_NO_VALUE = {"-nodefaults", "-no-user-config", "-no-reboot", "-no-shutdown", "-S",
             "-nographic", "-enable-kvm"}
# What a topology option may contain: LAVA joins the command line with
# spaces and splits it again, and a lab renders extra_options as a Python
# list literal into YAML, so no quotes, backslashes or spaces within a value.
_SAFE = re.compile(r"^[-\w.,:;=/@+%]+$")

# The launcher's options that belong to the host that runs QEMU; a LAVA
# job has none of them (LAVA owns the console, and there is no host agent).
_HOST_ONLY = ("qmp", "control", "results", "console", "fault_log", "record", "replay",
              "qemu_args", "dry_run")


class LavaError(vt.TopologyError):
    """Input that cannot become a LAVA device or job."""


def launcher():
    """scripts/vprime-launch as a module: its option parser, firmware
    arguments and defaults are the ones every vprime tool uses."""
    path = os.path.join(HERE, "vprime-launch")
    loader = importlib.machinery.SourceFileLoader("vprime_launch", path)
    spec = importlib.util.spec_from_loader("vprime_launch", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class Run:
    """One vprime run as LAVA needs it: the device's command and options,
    the topology's options, the boot images and what defines the run."""

    def __init__(self, argv):
        la = launcher()
        opts = la.parse_args(argv)
        defaults = la.parse_args([])
        for dest in _HOST_ONLY:
            if getattr(opts, dest, None) != getattr(defaults, dest, None):
                raise LavaError("--%s is an option of the host that runs QEMU; under LAVA the "
                                "console is LAVA's and no host agent runs" % dest.replace("_", "-"))
        if opts.display != "none":
            raise LavaError("--display %s: a LAVA worker has no display; leave --display out"
                            % opts.display)
        if opts.mode != "check":
            raise LavaError("--mode %s: a LAVA job runs the test suite (--mode check)" % opts.mode)
        self.topo = vt.Topology.from_options(opts)
        if self.topo.accel == "auto":
            raise LavaError("--accel auto probes KVM on the machine that launches; under LAVA "
                            "choose tcg or kvm")
        self.qemu = os.path.abspath(opts.qemu)
        # fault scripts are QEMU's to parse, as in the launcher
        self.topo.check_faults(self.qemu, la.FIRMWARE)
        self.timeout = opts.timeout
        self.launcher_args = la.recorded_args(opts)
        self.kernel_path = self.topo.kernel
        self.image_path = self.topo.initrd
        self._split(self.topo.qemu_args(self.qemu, la.FIRMWARE, self.topo.accel))

    def _split(self, args):
        self.firmware, self.extra, self.images = [], [], []
        cmdline = None
        i = 1
        while i < len(args):
            flag = args[i]
            if flag in _NO_VALUE:
                self.extra.append(flag)
                i += 1
                continue
            if i + 1 >= len(args) or not flag.startswith("-"):
                raise LavaError("unexpected QEMU argument %r" % flag)
            val = args[i + 1]
            i += 2
            if flag == "-L":
                self.firmware.append("-L %s" % val)
            elif flag == "-kernel":
                self.images.append(("kernel", val, "-kernel {kernel}"))
            elif flag == "-initrd":
                self.images.append(("ramdisk", val, "-initrd {ramdisk}"))
            elif flag == "-append":
                cmdline = val
            elif flag == "-drive" and re.search(r"(^|,)file=", val):
                # a disk image: LAVA deploys it like the kernel
                label = "disk%d" % sum(1 for l, _, _ in self.images if l.startswith("disk"))
                path = re.search(r"(?:^|,)file=((?:[^,]|,,)+)", val).group(1).replace(",,", ",")
                arg = val.replace("file=" + path.replace(",", ",,"), "file={%s}" % label)
                self.images.append((label, path, "-drive " + arg))
            else:
                if not (_SAFE.match(flag) and _SAFE.match(val)):
                    raise LavaError("QEMU argument %s %s cannot go through LAVA's command line "
                                    "(quotes, backslashes or spaces)" % (flag, val))
                self.extra.append("%s %s" % (flag, val))
        if cmdline is not None:
            self.images = [(l, p, a + " -append " + shlex.quote(cmdline) if l == "kernel" else a)
                           for l, p, a in self.images]
        self.cmdline = cmdline or ""


# ---------------------------------------------------------------- device --

# LAVA's defaults for the constants its actions read (lava-server's
# base.jinja2 renders the same values into every device).
CONSTANTS = {
    "posix": {"lava_test_sh_cmd": "/bin/sh", "lava_test_results_dir": "/lava-%s",
              "lava_test_shell_file": "~/.bashrc"},
    "shutdown-message": "The system is going down for reboot NOW",
    "kernel-start-message": "Linux version [0-9]",
    "default-shell-prompt": "lava-test: # ",
    "spawn_maxread": "4092",
    "failure_retry": 1,
    "boot_retry": None,
}


def qemu_parameters(qemu, firmware, extra):
    """The qemu boot method's parameters of a device."""
    params = {"command": qemu, "options": list(firmware)}
    if extra:
        params["extra"] = list(extra)
    return params


def firmware_options(firmware):
    """['-L', 'dir', ...] -> ['-L dir', ...], as device options."""
    return ["%s %s" % (firmware[i], firmware[i + 1]) for i in range(0, len(firmware), 2)]


def device_dict(qemu, firmware, extra):
    """A rendered LAVA device dictionary (what lava-run --device takes) of
    the qemu device type: QEMU qemu with the options firmware and extra
    (the topology: a run's extra, or a job's context extra_options, which
    is what a lab's server renders)."""
    return {
        "constants": CONSTANTS,
        "parameters": {},
        "available_architectures": ["amd64", "x86_64"],
        "actions": {
            "deploy": {"connections": {"serial": None}, "methods": {"image": {"parameters": {}}}},
            "boot": {"connections": {"serial": None},
                     "methods": {"qemu": {"parameters": qemu_parameters(
                         qemu, firmware, extra)}}},
        },
        "timeouts": {"actions": {}, "connections": {}},
    }


LAB_DEVICE = """\
{#- vprime on a LAVA worker: the stock qemu device type, with vprime's own
    QEMU and firmware; each job's context extra_options carries its
    topology (generated by scripts/vprime-lava lab-device) -#}
{%% extends 'qemu.jinja2' %%}
{%% block qemu_method %%}
        parameters:
          command: %(qemu)s
          options:
%(options)s
{%% if extra_options %%}
          extra: {{ extra_options }}
{%% endif %%}
{%% endblock qemu_method %%}
"""


def lab_device(qemu, firmware):
    """The device dictionary (Jinja2) a lab's server holds for a worker
    that has vprime's QEMU at the path qemu."""
    return LAB_DEVICE % {"qemu": qemu,
                         "options": "\n".join("          - %s" % o for o in firmware)}


# ------------------------------------------------------------------- job --

_SHA256 = {}
# The longest a test may run before its result line: a debug kernel under
# TCG on a busy worker
RESULT_GAP_MINUTES = 10


def sha256(path):
    if path not in _SHA256:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _SHA256[path] = h.hexdigest()
    return _SHA256[path]


def job(run, name, metadata=None, image_url=None, tags=("vprime",), timeout_minutes=None):
    """A LAVA job definition (a dict; dump it as YAML) that deploys this
    run's kernel and image, boots them in vprime's QEMU and records the
    guest's KTAP results as test cases of the suite 'vprime'.

    image_url: where the lab's workers download the images (the file's
    name is appended); default: file:// URLs of the files here.
    """
    images = {}
    for label, path, arg in run.images:
        url = (image_url.rstrip("/") + "/" + os.path.basename(path)) if image_url else \
            "file://" + os.path.abspath(path)
        images[label] = {"url": url, "image_arg": arg, "sha256sum": sha256(path)}
    # The suite's bound: the launcher's --timeout if one was given, else
    # 20 minutes (a debug kernel under TCG on a busy worker).
    if timeout_minutes:
        test_min = timeout_minutes
    elif run.timeout:
        test_min = max(1, int((run.timeout + 59) // 60))
    else:
        test_min = 20
    meta = {"vprime.launcher-args": " ".join(shlex.quote(a) for a in run.launcher_args),
            "vprime.kernel": os.path.abspath(run.kernel_path),
            "vprime.image": os.path.abspath(run.image_path)}
    meta.update(metadata or {})
    d = {
        "device_type": "qemu",
        "job_name": name,
        "priority": "medium",
        "visibility": "public",
        "timeouts": {"job": {"minutes": test_min + 10},
                     "action": {"minutes": test_min},
                     "connection": {"minutes": RESULT_GAP_MINUTES}},
        "context": {"arch": "amd64", "extra_options": list(run.extra)},
        "metadata": meta,
        "actions": [
            {"deploy": {"to": "tmpfs", "timeout": {"minutes": 5}, "images": images}},
            # The boot action's timeout is also the console's: LAVA spawns
            # QEMU with it, and the monitor waits that long for each next
            # result line (the action itself ends once QEMU runs).
            {"boot": {"method": "qemu", "media": "tmpfs",
                      "timeout": {"minutes": RESULT_GAP_MINUTES}}},
            {"test": {"timeout": {"minutes": test_min},
                      "monitors": [{"name": SUITE, "start": KTAP_START, "end": KTAP_END,
                                    "pattern": KTAP_PATTERN, "fixupdict": dict(KTAP_FIXUP)}]}},
        ],
    }
    if tags:
        d["tags"] = list(tags)
    return d


# ---------------------------------------------------------------- matrix --

# The default matrix: topologies (launcher options) x kernels x fault seeds.
# None as a seed: no faults.  A seed arms, on every GPU, fences that
# complete late and fence interrupts that come late, each at random from
# the seeded generator; the stack must give the same verdicts anyway.
MATRIX_TOPOLOGIES = [
    ("default", []),
    ("4heads-2dgpu-iommu", ["--gpus", "igpu,dgpu:1G,dgpu:64M", "--heads", "4", "--iommu", "on",
                            "--outputs", "edp,dp,hdmi,dp", "--genlock"]),
    ("dgpu-only", ["--gpus", "dgpu", "--no-display"]),
    ("contiguous-only", ["--gpus", "igpu", "--contiguous-only", "--display-mode", "640x480"]),
]
MATRIX_SEEDS = [None, 1, 2]
SEEDED_FAULTS = ["slow-fence:count=0,prob=25,jitter-ns=5000000",
                 "late-irq:count=0,prob=10,delay-ns=1000000,jitter-ns=4000000"]


def seeded_fault_args(topology_args, seed):
    """--fault-seed and the seeded faults for every GPU of a topology."""
    if seed is None:
        return []
    gpus = vt.parse_gpus(_opt(topology_args, "--gpus", "igpu,dgpu"))
    args = ["--fault-seed", str(seed)]
    for i in range(len(gpus)):
        for f in SEEDED_FAULTS:
            args += ["--fault", "%d:%s" % (i, f)]
    return args


def _opt(args, flag, default):
    return args[args.index(flag) + 1] if flag in args else default


def matrix(topologies, kernels, seeds, common=(), image_url=None):
    """[(file name, job dict)] for every topology x kernel x seed.

    topologies: [(name, launcher args)]; kernels: [(name, path)]; common:
    launcher arguments every job gets (e.g. --image, --qemu).
    """
    jobs = []
    for tname, targs in topologies:
        for kname, kpath in kernels:
            for seed in seeds:
                argv = list(common) + list(targs) + ["--kernel", kpath] + \
                    seeded_fault_args(targs, seed)
                run = Run(argv)
                sname = "seed%d" % seed if seed is not None else "nofaults"
                name = "vprime %s, kernel %s, %s" % (tname, kname, "fault seed %d" % seed
                                                     if seed is not None else "no faults")
                meta = {"vprime.topology": tname, "vprime.kernel-name": kname,
                        "vprime.fault-seed": "none" if seed is None else str(seed)}
                jobs.append(("vprime-%s-%s-%s.yaml" % (tname, kname, sname),
                             job(run, name, meta, image_url)))
    return jobs


# --------------------------------------------------------------- results --

def vprime_name(case):
    """A LAVA test case name back to the vprime test's (vprime's names use
    '-' where LAVA has '_')."""
    return case.replace("_", "-")


def parse_results(text):
    """LAVA results -> (vprime results [(name, result)], lava's own
    [(case, result, detail)], console lines).

    text: lava-run's log (one YAML mapping a line, as it prints it), or a
    server's results: a YAML list ('lavacli results --yaml JOB') or
    lavacli's "* SUITE.CASE [RESULT]" lines ('lavacli results JOB').
    """
    import json
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    ours, lava, console = [], [], []
    records = []
    if re.search(r'^(- )?\{"?dt"?: ', text, re.M):
        # lava-run's log: one mapping a line ('- ' before it in a server's
        # copy of the log), double-quoted YAML that is mostly JSON too
        for line in text.splitlines():
            line = line[2:] if line.startswith("- {") else line
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                try:
                    rec = yaml.load(line, Loader=loader)
                except yaml.YAMLError:
                    continue
            if not isinstance(rec, dict):
                continue
            if rec.get("lvl") == "results":
                records.append(rec["msg"])
            elif rec.get("lvl") == "target":
                console.append(str(rec.get("msg")))
    elif re.search(r"^\* \S+\.\S+ \[\w+\]", text, re.M):
        # 'lavacli results JOB': "* SUITE.CASE [RESULT]" a line
        for m in re.finditer(r"^\* (?:\d+_)?([^.\s]+)\.(\S+) \[(\w+)\]", text, re.M):
            records.append({"definition": m.group(1), "case": m.group(2), "result": m.group(3)})
    else:                                  # a server's results list
        for r in yaml.load(text, Loader=loader) or []:
            meta = r.get("metadata") or {}
            if isinstance(meta, str):
                meta = yaml.safe_load(meta) or {}
            suite = re.sub(r"^\d+_", "", str(r.get("suite", "")))
            records.append({"definition": suite, "case": r.get("name"), "result": r.get("result"),
                            "extra": meta.get("extra") or {}})
    for m in records:
        if m.get("definition") == SUITE:
            name = (m.get("extra") or {}).get("test_case_id") or vprime_name(m["case"])
            ours.append((name, m["result"]))
        else:
            detail = m.get("error_msg") or ""
            if not detail and isinstance(m.get("extra"), dict):
                detail = m["extra"].get("error_msg") or ""
            lava.append((m["case"], m["result"], detail))
    return ours, lava, console


def ktap_plan(console):
    """The plan ('1..N') of the KTAP the guest printed, or None."""
    for line in console:
        m = re.match(r"^1\.\.(\d+)\s*$", line.strip())
        if m:
            return int(m.group(1))
    return None
