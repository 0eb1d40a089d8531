"""vprime topologies: parse and validate the launcher's options, and turn a
topology into QEMU arguments.  Shared by scripts/vprime-launch and the
libvirt glue so that both accept and refuse exactly the same input.
"""

import json
import os
import re
import shlex
import subprocess

# From hw/vprime_regs.h (parsed, not restated, so the two cannot drift).
_REGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hw", "vprime_regs.h")


def _regs():
    vals = {}
    with open(_REGS) as f:
        for line in f:
            m = re.match(r"#define\s+(VPRIME_\w+)\s+\(?(\d+)(ULL)?\s*(<<\s*(\d+))?\)?", line)
            if m:
                v = int(m.group(2))
                if m.group(5):
                    v <<= int(m.group(5))
                vals[m.group(1)] = v
    return vals


REGS = _regs()
VRAM_MIN = REGS["VPRIME_VRAM_MIN"]
VRAM_MAX = REGS["VPRIME_VRAM_MAX"]
VRAM_DEFAULT = REGS["VPRIME_VRAM_DEFAULT"]
HEADS_MIN = REGS["VPRIME_HEADS_MIN"]
HEADS_MAX = REGS["VPRIME_HEADS_MAX"]
DMA_BITS_MIN = REGS["VPRIME_DISP_DMA_BITS_MIN"]
DMA_BITS_MAX = REGS["VPRIME_DISP_DMA_BITS_MAX"]
MAX_DIM = REGS["VPRIME_DISP_MAX_DIM"]
REFRESH_MIN = REGS["VPRIME_DISP_REFRESH_MIN_MILLIHZ"]
REFRESH_MAX = REGS["VPRIME_DISP_REFRESH_MAX_MILLIHZ"]

GPU_KINDS = ("igpu", "dgpu")
DISPLAYS = ("none", "vnc", "gtk")
ACCELS = ("tcg", "kvm", "auto")
MODES = ("check", "show", "shell")
RESULTS_PORT = "org.vprime.results"
CONTROL_PORT = "org.vprime.control"


class TopologyError(ValueError):
    """Bad user input; the message says what is wrong and what is allowed."""


_SIZE_RE = re.compile(r"^(\d+)([KMGT]?)(i?B)?$", re.I)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text, what):
    m = _SIZE_RE.match(text.strip())
    if not m:
        raise TopologyError("%s '%s' is not a size: use e.g. 256M, 1G or a byte count" % (what, text))
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def fmt_size(n):
    for unit, mult in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n % mult == 0:
            return "%d%s" % (n // mult, unit)
    return str(n)


class Gpu:
    def __init__(self, kind, vram=None):
        self.kind = kind
        self.vram = vram
        self.timing = {}        # QOM timing properties (TIMING_KEYS)
        self.faults = []        # (--fault spec, script): hw/vprime-fault.c parses it


# The GPUs' timing model (hw/vprime-gpu.c): property -> smallest value
TIMING_KEYS = {"throughput": 1, "latency-ns": 0, "jitter-ns": 0, "seed": 0}
TIMING_MAX = 1 << 62


def parse_gpu_timing(specs, gpus):
    """['1:latency-ns=4000000,jitter-ns=1000'] -> timing set on gpus[1]."""
    for spec in specs or []:
        idx, _, props = spec.partition(":")
        if not idx.isdigit() or not props:
            raise TopologyError("--gpu-timing '%s' is invalid: use INDEX:KEY=VALUE[,KEY=VALUE] "
                                "(INDEX counts --gpus from 0; keys %s)" % (spec, ", ".join(TIMING_KEYS)))
        if int(idx) >= len(gpus):
            raise TopologyError("--gpu-timing %s: there is no GPU %s, --gpus lists %d"
                                % (spec, idx, len(gpus)))
        for item in props.split(","):
            key, _, val = item.partition("=")
            if key not in TIMING_KEYS:
                raise TopologyError("--gpu-timing %s: unknown key '%s': allowed are %s"
                                    % (spec, key, ", ".join(TIMING_KEYS)))
            if not val.isdigit() or not TIMING_KEYS[key] <= int(val) <= TIMING_MAX:
                raise TopologyError("--gpu-timing %s: %s must be an integer from %d to %d"
                                    % (spec, key, TIMING_KEYS[key], TIMING_MAX))
            gpus[int(idx)].timing[key] = int(val)


FAULT_USAGE = ("use INDEX:KIND[:KEY=VALUE,...] (INDEX counts --gpus from 0) or "
               "display:KIND[:KEY=VALUE,...]; KIND and its keys are in hw/vprime-spec.rst, "
               "'Fault injection'")


def parse_faults(specs, gpus, heads):
    """['1:hang:engine=copy', 'display:underrun'] -> fault scripts set on
    gpus[i].faults and returned for the display.  Only where each fault
    goes is checked here: the script is the device's to parse, and
    Topology.check_faults() has QEMU do it."""
    display = []
    for spec in specs or []:
        where, _, fault = spec.partition(":")
        if where == "display":
            if not heads:
                raise TopologyError("--fault %s: there is no display engine (--no-display)" % spec)
            target = None
        elif where.isdigit():
            if int(where) >= len(gpus):
                raise TopologyError("--fault %s: there is no GPU %s, --gpus lists %d"
                                    % (spec, where, len(gpus)))
            target = gpus[int(where)]
        else:
            raise TopologyError("--fault '%s' is invalid: %s" % (spec, FAULT_USAGE))
        if not fault.partition(":")[0]:
            raise TopologyError("--fault '%s' names no fault kind: %s" % (spec, FAULT_USAGE))
        (display if target is None else target.faults).append((spec, fault))
    return display


def parse_gpus(spec):
    """'igpu,dgpu:512M,dgpu' -> [Gpu]. An empty string means no GPU."""
    gpus = []
    if not spec.strip():
        return gpus
    for item in spec.split(","):
        item = item.strip()
        kind, _, arg = item.partition(":")
        if kind not in GPU_KINDS:
            raise TopologyError("unknown GPU kind '%s' in --gpus: allowed kinds are "
                                "igpu and dgpu[:VRAM] (e.g. --gpus igpu,dgpu:256M)" % kind)
        if kind == "igpu":
            if arg:
                raise TopologyError("igpu takes no argument ('%s'): it has no VRAM" % item)
            gpus.append(Gpu("igpu"))
            continue
        vram = parse_size(arg, "dgpu VRAM size") if arg else VRAM_DEFAULT
        if vram < VRAM_MIN or vram > VRAM_MAX or vram & (vram - 1):
            raise TopologyError("dgpu VRAM size %s is invalid: it must be a power of two "
                                "from %s to %s" % (arg or vram, fmt_size(VRAM_MIN), fmt_size(VRAM_MAX)))
        gpus.append(Gpu("dgpu", vram))
    if len(gpus) > 8:
        raise TopologyError("at most 8 GPUs are supported, %d given" % len(gpus))
    return gpus


def parse_heads(text):
    try:
        heads = int(text)
    except ValueError:
        raise TopologyError("--heads '%s' is not a number: allowed are %d to %d "
                            "(--no-display leaves the display engine out)" % (text, HEADS_MIN, HEADS_MAX))
    if not HEADS_MIN <= heads <= HEADS_MAX:
        raise TopologyError("--heads %d is invalid: the display engine has %d to %d heads "
                            "(--no-display leaves it out)" % (heads, HEADS_MIN, HEADS_MAX))
    return heads


def parse_display(text):
    kind, _, arg = text.partition(":")
    if kind not in DISPLAYS:
        raise TopologyError("--display '%s' is invalid: allowed are none, vnc[:N] and gtk" % text)
    if kind == "vnc":
        if arg and not arg.isdigit():
            raise TopologyError("--display vnc:%s: the VNC display must be a number" % arg)
        return ("vnc", int(arg or 0))
    if arg:
        raise TopologyError("--display %s takes no argument" % kind)
    return (kind, None)


def _qv(v):
    """A property value as QEMU's key=value syntax spells it (a comma in a
    value is doubled)."""
    if v is True:
        return "on"
    if v is False:
        return "off"
    return str(v).replace(",", ",,")


_MODE_RE = re.compile(r"^(\d+)x(\d+)(@(\d+(\.\d+)?))?$")


def parse_display_mode(text):
    """'1920x1080' or '1920x1080@60' -> (w, h, refresh in mHz or None)."""
    m = _MODE_RE.match(text.strip())
    if not m:
        raise TopologyError("--display-mode '%s' is invalid: use WIDTHxHEIGHT[@HZ], "
                            "e.g. 1920x1080@60" % text)
    w, h = int(m.group(1)), int(m.group(2))
    if not (1 <= w <= MAX_DIM and 1 <= h <= MAX_DIM):
        raise TopologyError("--display-mode %s: width and height must be 1 to %d" % (text, MAX_DIM))
    mhz = None
    if m.group(4):
        mhz = int(round(float(m.group(4)) * 1000))
        if not REFRESH_MIN <= mhz <= REFRESH_MAX:
            raise TopologyError("--display-mode %s: refresh must be %g to %g Hz"
                                % (text, REFRESH_MIN / 1000, REFRESH_MAX / 1000))
    return (w, h, mhz)


# The display engine's connector types (hw/vprime_regs.h VPRIME_OUTPUT_*),
# as its output-types property names them
OUTPUT_TYPES = ("edp", "dp", "hdmi", "virtual")


def parse_outputs(text, heads):
    """--outputs edp,dp,hdmi,dp: a connector type per head from head 0;
    heads not named stay virtual.  eDP, the internal panel, only on head 0."""
    if heads == 0:
        raise TopologyError("--outputs configures the display engine, which --no-display "
                            "leaves out")
    types = text.split(",")
    if len(types) > heads:
        raise TopologyError("--outputs %s is invalid: %d types for %d heads (--heads)"
                            % (text, len(types), heads))
    for i, t in enumerate(types):
        if t not in OUTPUT_TYPES:
            raise TopologyError("--outputs %s: unknown output type '%s': allowed are %s"
                                % (text, t, ", ".join(OUTPUT_TYPES)))
        if t == "edp" and i != 0:
            raise TopologyError("--outputs %s: eDP is the internal panel, only head 0 can be "
                                "one (head %d is not)" % (text, i))
    return types


def parse_dma_mask(text):
    try:
        bits = int(text)
    except ValueError:
        bits = -1
    if not DMA_BITS_MIN <= bits <= DMA_BITS_MAX:
        raise TopologyError("--dma-mask '%s' is invalid: the display engine's DMA address "
                            "width is %d to %d bits" % (text, DMA_BITS_MIN, DMA_BITS_MAX))
    return bits


# What the initramfs guest does without under TCG, measured by make bench
# (boot_kernel_init; see README "make bench"): the crypto self-tests
# (cryptomgr, jitterentropy's, SP800-108's), loading Debian's signing
# certificates (no module of the image is signed: they taint E either
# way), write-protecting the kernel and checking its W+X mappings
# (rodata=off), the trace event maps, IPv6 and AppArmor; and the
# built-in drivers and set-ups no test uses, each 20-140 ms of a TCG boot
# under initcall_debug: the RTC driver (the kernel reads the CMOS clock
# itself), the PS/2 controller, the TPM, OPAL disks, encrypted keys, the
# BPF device map, the CPU LED trigger, DMI and built-in module parameters
# in sysfs, and the CRC library's accelerated-path set-up and BLAKE2s
# self-test (the generic code serves without them).
# tsc=reliable: the TSC stays the clocksource (under TCG it is the host's
# clock; a late timer tick on a loaded host made the watchdog drop it for
# acpi_pm, a port read per clock read).
FAST_BOOT_ARGS = ["rodata=off", "cryptomgr.notests=1", "ipv6.disable=1", "apparmor=0",
                  "tsc=reliable",
                  "initcall_blacklist=jent_mod_init,crypto_kdf108_init,"
                  "load_system_certificate_list,trace_eval_init,"
                  "cmos_init,i8042_init,init_tis,sed_opal_init,init_encrypted,dev_map_init,"
                  "ledtrig_cpu_init,dmi_sysfs_init,param_sysfs_builtin_init,"
                  "crc_t10dif_mod_init,crc64_rocksoft_mod_init,blake2s_mod_init"]
# The firmware the launcher prefers (QEMU's minimal BIOS, from Debian's
# qemu-system-data): it starts the kernel sooner than SeaBIOS under TCG
# (make bench: boot_firmware).
QBOOT = "qboot.rom"


def find_firmware(name, firmware_args):
    """The path of firmware file name in the -L directories, or None."""
    dirs = [firmware_args[i + 1] for i, a in enumerate(firmware_args[:-1]) if a == "-L"]
    for d in dirs:
        if os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    return None


class Topology:
    """What the launcher boots.  Build with from_options() to validate."""

    def __init__(self):
        self.gpus = [Gpu("igpu"), Gpu("dgpu", VRAM_DEFAULT)]
        self.heads = 1
        self.iommu = False
        self.memory = 1 << 30
        self.smp = 1
        self.accel = "tcg"
        self.display = ("none", None)
        self.kernel = None
        self.initrd = None
        self.append = ""
        self.qmp = None
        self.mode = "check"
        self.results = None
        self.console = None
        self.control = None
        self.display_mode = None        # (w, h, mHz or None): the EDID's preferred mode
        self.contiguous_only = False
        self.dma_mask = None            # display DMA address bits, None: device default
        self.outputs = []               # connector type per head from head 0 (--outputs)
        self.genlock = False            # heads of one mode on one vblank grid (--genlock)
        self.display_faults = []        # (--fault spec, script) for the display engine
        self.fault_seed = None          # fault-seed of every device
        self.rootfs = None              # --image rootfs: the ext4 image (virtio-blk, read-only)
        self.edu = False                # QEMU's edu: the example importer's device
        self.pcie_switch = False        # dGPUs, display, edu behind one PCIe switch
        self.fast_boot = True           # FAST_BOOT_ARGS on the kernel command line
        self.bios = None                # -bios (the launcher's choice: qboot), None: QEMU's default

    @classmethod
    def from_options(cls, opts):
        t = cls()
        t.gpus = parse_gpus(opts.gpus)
        parse_gpu_timing(getattr(opts, "gpu_timing", None), t.gpus)
        t.heads = 0 if opts.no_display else parse_heads(str(opts.heads))
        if opts.iommu not in ("on", "off"):
            raise TopologyError("--iommu '%s' is invalid: allowed are on and off" % opts.iommu)
        t.iommu = opts.iommu == "on"
        t.memory = parse_size(opts.memory, "--memory")
        if t.memory < (256 << 20) or t.memory > (16 << 30):
            raise TopologyError("--memory %s is invalid: allowed is 256M to 16G" % opts.memory)
        if not 1 <= opts.smp <= 8:
            raise TopologyError("--smp %d is invalid: allowed is 1 to 8" % opts.smp)
        t.smp = opts.smp
        if opts.accel not in ACCELS:
            raise TopologyError("--accel '%s' is invalid: allowed are tcg, kvm and auto" % opts.accel)
        t.accel = opts.accel
        t.display = parse_display(opts.display)
        if opts.mode not in MODES:
            raise TopologyError("--mode '%s' is invalid: allowed are %s" % (opts.mode, ", ".join(MODES)))
        t.mode = opts.mode
        for attr, what in (("kernel", "kernel"), ("initrd", "image")):
            path = getattr(opts, attr)
            if not path or not os.path.isfile(path):
                raise TopologyError("%s not found: %s (build it with 'make', or pass --%s PATH)"
                                    % (what, path or "(none)", attr))
            setattr(t, attr, os.path.abspath(path))
        t.append = opts.append or ""
        t.rootfs = getattr(opts, "rootfs", None)
        # the Debian rootfs boots as Debian configured it
        t.fast_boot = t.rootfs is None
        t.qmp = opts.qmp
        t.results = opts.results
        t.console = opts.console
        t.control = getattr(opts, "control", None)
        if getattr(opts, "display_mode", None):
            t.display_mode = parse_display_mode(opts.display_mode)
        t.contiguous_only = bool(getattr(opts, "contiguous_only", False))
        if getattr(opts, "dma_mask", None) is not None:
            t.dma_mask = parse_dma_mask(str(opts.dma_mask))
        if getattr(opts, "outputs", None):
            t.outputs = parse_outputs(opts.outputs, t.heads)
        t.genlock = bool(getattr(opts, "genlock", False))
        if t.genlock and t.heads < 2:
            raise TopologyError("--genlock locks the display heads' vblanks to each other: it "
                                "needs --heads 2 or more (this topology has %s)"
                                % ("no display engine" if t.heads == 0 else "%d head" % t.heads))
        if t.heads == 0 and (t.display_mode or t.contiguous_only or t.dma_mask):
            raise TopologyError("--display-mode, --contiguous-only and --dma-mask configure the "
                                "display engine, which --no-display leaves out")
        if not t.gpus and t.heads == 0:
            raise TopologyError("the topology is empty: give at least one GPU or a display engine")
        t.display_faults = parse_faults(getattr(opts, "fault", None), t.gpus, t.heads)
        seed = getattr(opts, "fault_seed", None)
        if seed is not None:
            if not str(seed).isdigit() or int(seed) >= 1 << 64:
                raise TopologyError("--fault-seed '%s' is invalid: an integer from 0 to 2^64-1"
                                    % seed)
            t.fault_seed = int(seed)
        t.edu = bool(getattr(opts, "edu", False))
        t.pcie_switch = bool(getattr(opts, "pcie_switch", False))
        if t.pcie_switch and len([g for g in t.gpus if g.kind == "dgpu"]) + (t.heads > 0) + t.edu < 2:
            raise TopologyError("--pcie-switch puts the dGPUs, the display engine and edu behind one "
                                "switch, for peer-to-peer DMA between them: give at least two of them")
        return t

    def guest_topology(self):
        """The vprime.topology= kernel argument the guest tests check against."""
        items = []
        for g in self.gpus:
            items.append("igpu" if g.kind == "igpu" else "dgpu:%d" % g.vram)
        if self.heads:
            items.append("display:%d" % self.heads)
        return ",".join(items)

    def kernel_cmdline(self):
        # the kernel console on the display too (fbcon on its fbdev, head
        # 0 onwards: vprime_display's fbdev parameter); ttyS0, the last,
        # stays /dev/console, the harness's
        args = ["console=tty0", "console=ttyS0", "loglevel=5", "panic=-1", "oops=panic",
                "vprime.mode=%s" % self.mode,
                "vprime.topology=%s" % self.guest_topology()]
        if self.fast_boot:
            args += FAST_BOOT_ARGS
        if self.bios and os.path.basename(self.bios) == QBOOT:
            # qboot numbers the buses behind the root ports in another
            # order than SeaBIOS; Linux numbers them itself, in slot order
            # (the dGPUs' order on --gpus)
            args += ["pci=assign-busses"]
        if self.iommu:
            # no_timer_check: with interrupt remapping, Linux panics at boot
            # ("timer doesn't work through Interrupt-remapped IO-APIC") when
            # the 8254's first ticks arrive late, as they do under TCG on a
            # loaded host (seen with the debug kernel at load average 14)
            args += ["intel_iommu=on", "iommu.strict=1", "no_timer_check"]
        if self.contiguous_only:
            args += ["vprime.display_contig=1"]
        if self.outputs:
            # what the guest's kms-connectors test expects to find
            args += ["vprime.outputs=%s" % ",".join(self.outputs)]
        if self.genlock:
            # what the guest's kms-genlock test asserts against
            args += ["vprime.genlock=1"]
        if self.append:
            args += shlex.split(self.append)
        return " ".join(args)

    def root_ports(self):
        """[(port number, PCI slot on pcie.0)] — one PCIe root port per dGPU."""
        ports = []
        for g in self.gpus:
            if g.kind == "dgpu":
                n = len(ports) + 1
                ports.append((n, 0x10 + n))
        return ports

    def vprime_devices(self, port_bus):
        """The vprime functions as QEMU device property dicts.

        Integrated functions (iGPU, display engine) sit on the q35 root
        complex like real integrated graphics; each dGPU sits behind its
        own PCIe root port (port_bus(n) names it), as a discrete card in a
        slot does, so it can be unplugged.
        """
        devs = []
        slot = 2
        port = 0
        for i, g in enumerate(self.gpus):
            if g.kind == "igpu":
                devs.append({"driver": "vprime-igpu", "id": "gpu%d" % i, "bus": "pcie.0",
                             "addr": "0x%x" % slot})
                slot += 1
            else:
                port += 1
                devs.append({"driver": "vprime-dgpu", "id": "gpu%d" % i, "bus": port_bus(port),
                             "vram": g.vram})
            devs[-1].update(g.timing)
            self._fault_props(devs[-1], g.faults)
        if self.heads:
            d = {"driver": "vprime-display", "id": "display0", "bus": "pcie.0",
                 "addr": "0x%x" % slot, "heads": self.heads}
            if self.display_mode:
                d["xres"], d["yres"] = self.display_mode[0], self.display_mode[1]
                if self.display_mode[2]:
                    d["refresh_rate"] = self.display_mode[2]
            if self.contiguous_only:
                d["contiguous-only"] = True
            if self.dma_mask:
                d["dma-bits"] = self.dma_mask
            if self.outputs:
                d["output-types"] = ",".join(self.outputs)
            if self.genlock:
                d["genlock"] = True
            self._fault_props(d, self.display_faults)
            devs.append(d)
        return devs

    def _fault_props(self, dev, faults):
        """Faults armed from boot: the device's fault script and seed."""
        if self.fault_seed is not None:
            dev["fault-seed"] = self.fault_seed
        if faults:
            dev["fault"] = ";".join(script for _, script in faults)

    def check_faults(self, qemu, firmware_args):
        """Have QEMU parse the fault scripts, before anything boots: every
        device with a script is created once in a QEMU stopped before it
        runs (-S), which then quits.  A script QEMU refuses raises
        TopologyError with QEMU's own message."""
        specs = {}
        for i, g in enumerate(self.gpus):
            specs["gpu%d" % i] = [spec for spec, _ in g.faults]
        specs["display0"] = [spec for spec, _ in self.display_faults]
        devs = [d for d in self.vprime_devices(lambda n: "pcie.0") if "fault" in d]
        if not devs:
            return
        if not os.access(qemu, os.X_OK):
            raise TopologyError("QEMU not found: %s (build it with 'make'); it checks the "
                                "--fault scripts" % qemu)
        args = [qemu] + list(firmware_args) + [
            "-nodefaults", "-no-user-config", "-machine", "q35", "-display", "none",
            "-S", "-monitor", "stdio"]
        for d in devs:
            # On the root complex, with the least VRAM: only the script matters.
            d = dict(d, bus="pcie.0")
            d.pop("addr", None)
            if "vram" in d:
                d["vram"] = VRAM_MIN
            args += ["-device", json.dumps(d, separators=(",", ":"))]
        try:
            r = subprocess.run(args, input=b"quit\n", stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TopologyError("cannot have QEMU check the --fault scripts: %s" % e)
        if r.returncode == 0:
            return
        err = r.stderr.decode(errors="replace").strip()
        m = re.search(r'-device (\{.*?"id":"(\w+)".*?\}): (.*)', err, re.S)
        if not m:
            raise TopologyError("QEMU refused the --fault scripts: %s" % err)
        failed = specs.get(m.group(2)) or []
        quoted = re.match(r"fault '([^']*)'", m.group(3))
        named = [s for s in failed if quoted and s.endswith(":" + quoted.group(1))]
        raise TopologyError("--fault %s: QEMU refuses it: %s"
                            % (", ".join(named or failed), m.group(3).strip()))

    def vprime_device_args(self, port_bus, as_json=False):
        """-device arguments; JSON where they must follow JSON -devices
        (QEMU creates all key=value -devices before the JSON ones)."""
        args = []
        for d in self.vprime_devices(port_bus):
            if as_json:
                args += ["-device", json.dumps(d, separators=(",", ":"))]
            else:
                args += ["-device", ",".join([d["driver"]] + ["%s=%s" % (k, _qv(v)) for k, v in d.items()
                                                             if k != "driver"])]
        return args

    # The PCIe switch of --pcie-switch: its root port, upstream port and the
    # chassis numbers of its downstream ports (after the root ports')
    SWITCH_SLOT = 0x18
    SWITCH_CHASSIS = 32
    EDU_DMA_MASK = (1 << 64) - 1    # edu's own address width: the guest sets the importer's

    def switch_args(self, devs):
        """--pcie-switch: a root port, an XIO3130 upstream port and one
        downstream port per dGPU, display engine and edu, which move there.
        Linux allows peer-to-peer DMA between devices under one switch
        (pci_p2pdma_distance(); the downstream ports have no ACS)."""
        args = ["-device", "pcie-root-port,id=rpsw,chassis=%d,slot=0,bus=pcie.0,addr=0x%x"
                % (self.SWITCH_CHASSIS, self.SWITCH_SLOT),
                "-device", "x3130-upstream,id=swup,bus=rpsw"]
        n = 0
        for d in devs:
            if d["driver"] in ("vprime-dgpu", "vprime-display", "edu"):
                args += ["-device", "xio3130-downstream,id=swdn%d,bus=swup,chassis=%d,slot=0"
                         % (n, self.SWITCH_CHASSIS + 1 + n)]
                d["bus"] = "swdn%d" % n
                d.pop("addr", None)
                n += 1
        return args

    def device_args(self):
        args = []
        if self.iommu:
            # Must come before the devices it translates for.
            args += ["-device", "intel-iommu,intremap=on,caching-mode=on,device-iotlb=off"]
        if self.pcie_switch or self.edu:
            devs = self.vprime_devices(lambda n: "rp%d" % n)
            if self.edu:
                devs.append({"driver": "edu", "id": "edu0", "bus": "pcie.0",
                             "dma_mask": self.EDU_DMA_MASK})
            if self.pcie_switch:
                args += self.switch_args(devs)
            else:
                for n, slot in self.root_ports():
                    args += ["-device", "pcie-root-port,id=rp%d,chassis=%d,slot=%d,bus=pcie.0,"
                             "addr=0x%x" % (n, n, n, slot)]
            for d in devs:
                args += ["-device", ",".join([d["driver"]] + ["%s=%s" % (k, _qv(v))
                                                             for k, v in d.items() if k != "driver"])]
            return args
        for n, slot in self.root_ports():
            args += ["-device", "pcie-root-port,id=rp%d,chassis=%d,slot=%d,bus=pcie.0,addr=0x%x"
                     % (n, n, n, slot)]
        return args + self.vprime_device_args(lambda n: "rp%d" % n)

    def qemu_args(self, qemu, firmware_args, accel):
        # Guest RAM in a shared memfd: the display engine maps the pages of
        # a scattered buffer side by side and shows it without copying it
        # (hw/vprime-spec.rst, "Fetch and panel self refresh").
        machine = "q35,accel=%s,memory-backend=ram" % accel
        if self.iommu:
            machine += ",kernel-irqchip=split"
        args = [qemu] + list(firmware_args) + [
            "-nodefaults", "-no-user-config",
            "-object", "memory-backend-memfd,id=ram,size=%dM,share=on" % (self.memory >> 20),
            "-machine", machine,
            "-cpu", "max" if accel == "kvm" else "qemu64",
            "-smp", str(self.smp),
            "-m", "%dM" % (self.memory >> 20),
            "-kernel", self.kernel, "-initrd", self.initrd,
        ] + (["-bios", self.bios] if self.bios else []) + [
            "-append", self.kernel_cmdline(),
            "-no-reboot",
        ]
        kind, num = self.display
        if kind == "none":
            args += ["-display", "none"]
        elif kind == "vnc":
            args += ["-display", "none", "-vnc", ":%d" % num]
        else:
            args += ["-display", "gtk"]
        args += ["-serial", "file:%s" % self.console if self.console else "stdio"]
        args += self.device_args()
        if self.rootfs:
            # the rootfs image, read-only: the guest writes to a tmpfs overlay
            # (images/rootfs/boot-init), so every boot starts from the image
            args += ["-drive", "file=%s,if=none,id=rootfs,format=raw,readonly=on"
                     % self.rootfs.replace(",", ",,"),
                     "-device", "virtio-blk-pci,drive=rootfs,bus=pcie.0"]
        if self.results or self.control:
            args += ["-device", "virtio-serial-pci,id=vser,bus=pcie.0"]
        if self.results:
            args += ["-chardev", "file,id=results,path=%s" % self.results,
                     "-device", "virtserialport,bus=vser.0,chardev=results,name=%s" % RESULTS_PORT]
        if self.control:
            # Host <-> guest requests (screendumps, hotplug, counters) for
            # tests that need the host to act while they run.
            args += ["-chardev", "socket,id=control,path=%s,server=on,wait=off" % self.control,
                     "-device", "virtserialport,bus=vser.0,chardev=control,name=%s" % CONTROL_PORT]
        if self.qmp:
            args += ["-qmp", "unix:%s,server=on,wait=off" % self.qmp]
        return args
