"""A small QMP client for vprime's host-side tests and tools.

    with QMP("/tmp/vprime.qmp") as q:
        q.qom_set("/machine/peripheral/gpu0", "inject-error", 1)
        print(q.qom_get("/machine/peripheral/gpu0", "stat-irqs"))

Also a command line:  vprime_qmp.py SOCKET qom-get PATH PROP
                      vprime_qmp.py SOCKET qom-set PATH PROP JSON-VALUE
                      vprime_qmp.py SOCKET COMMAND [JSON-ARGUMENTS]
"""

import json
import socket
import sys
import time


class QMPError(RuntimeError):
    pass


class QMP:
    def __init__(self, path, timeout=30.0):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.time() > deadline:
                    raise QMPError("no QMP server at %s after %gs" % (path, timeout))
                time.sleep(0.05)
        self.file = self.sock.makefile("rw")
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError("not a QMP greeting: %r" % greeting)
        self.execute("qmp_capabilities")
        self.events = []

    def _read(self):
        line = self.file.readline()
        if not line:
            raise QMPError("QMP connection closed")
        return json.loads(line)

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            r = self._read()
            if "event" in r:
                getattr(self, "events", []).append(r)
                continue
            if "error" in r:
                raise QMPError("%s: %s" % (cmd, r["error"].get("desc", r["error"])))
            return r.get("return")

    def wait_event(self, name, match=lambda data: True, timeout=30.0):
        """The next event NAME whose data satisfies match, or None."""
        deadline = time.time() + timeout
        while True:
            for ev in self.events:
                if ev["event"] == name and match(ev.get("data", {})):
                    self.events.remove(ev)
                    return ev
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                self.events.append(self._read())
            except (socket.timeout, OSError, QMPError):
                return None

    def qom_get(self, path, prop):
        return self.execute("qom-get", path=path, property=prop)

    def qom_set(self, path, prop, value):
        return self.execute("qom-set", path=path, property=prop, value=value)

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass

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
