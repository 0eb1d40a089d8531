"""QMP for vprime's host-side tests and tools: QEMU's own qemu.qmp package
(python/qemu/qmp in the unpacked QEMU source), driven synchronously.

    with QMP("/tmp/vprime.qmp") as q:
        q.qom_set("/machine/peripheral/gpu0", "inject-error", 1)
        print(q.qom_get("/machine/peripheral/gpu0", "stat-irqs"))

qemu.qmp is asyncio; each QMP object runs its own event loop, so it works
in any thread (the host agent serves the guest from one).  What this file
adds: waiting for the socket to appear, per-command timeouts, and the
small command line below.

Also a command line:  vprime_qmp.py SOCKET qom-get PATH PROP
                      vprime_qmp.py SOCKET qom-set PATH PROP JSON-VALUE
                      vprime_qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
"""

import asyncio
import json
import os
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("VPRIME_BUILD", os.path.join(SRC, "build")))
# QEMU's python/ of the source vprime's QEMU is built from (scripts/fetch.sh)
QEMU_PYTHON = os.path.join(BUILD, "qemu-src", "python")
sys.path.insert(0, QEMU_PYTHON)
try:
    from qemu.qmp import QMPClient, QMPError, ConnectError  # noqa: E402
except ImportError as e:       # before the first 'make build'
    raise ImportError("QEMU's qemu.qmp package is not in %s (run 'make build'): %s"
                      % (QEMU_PYTHON, e)) from e

__all__ = ("QMP", "QMPError")


class QMPTimeout(QMPError):
    pass


class QMP:
    """A QMP connection to the unix socket at path.  Waits up to timeout
    seconds for QEMU to listen; each command then has timeout seconds."""

    def __init__(self, path, timeout=30.0):
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.client = QMPClient(os.path.basename(path))
        deadline = time.time() + timeout
        while True:
            try:
                self._run(self.client.connect(path))
                break
            except ConnectError as e:
                if time.time() > deadline:
                    self.loop.close()
                    raise QMPError("no QMP server at %s after %gs: %s" % (path, timeout, e)) from e
                time.sleep(0.05)

    def _run(self, coro, timeout=None):
        try:
            return self.loop.run_until_complete(asyncio.wait_for(coro, timeout or self.timeout))
        except asyncio.TimeoutError as e:
            raise QMPTimeout("no reply within %gs" % (timeout or self.timeout)) from e

    def execute(self, cmd, **args):
        """The command's return value; QMPError (ExecuteError) on an error reply."""
        return self._run(self.client.execute(cmd, args or None))

    def wait_event(self, name, match=lambda data: True, timeout=30.0):
        """The next event NAME whose data satisfies match, or None after timeout."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            try:
                ev = self._run(self.client.events.get(), left)
            except QMPTimeout:
                return None
            if ev["event"] == name and match(ev.get("data", {})):
                return ev

    def qom_get(self, path, prop):
        return self.execute("qom-get", path=path, property=prop)

    def qom_set(self, path, prop, value):
        return self.execute("qom-set", path=path, property=prop, value=value)

    def close(self):
        if self.loop.is_closed():
            return
        try:
            self._run(self.client.disconnect(), 10)
        except Exception:       # noqa: BLE001 - disconnect() re-raises whatever
            pass                # ended the session (QEMU quit first): nothing to close
        finally:
            self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    with QMP(argv[0]) as q:
        cmd = argv[1]
        if cmd == "qom-get" and len(argv) == 4:
            r = q.qom_get(argv[2], argv[3])
        elif cmd == "qom-set" and len(argv) == 5:
            r = q.qom_set(argv[2], argv[3], json.loads(argv[4]))
        else:
            r = q.execute(cmd, **(json.loads(argv[2]) if len(argv) > 2 else {}))
    print(json.dumps(r))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except QMPError as e:
        sys.exit("vprime_qmp: %s" % e)
