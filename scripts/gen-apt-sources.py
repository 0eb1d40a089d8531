#!/usr/bin/python3
"""Derive vprime's apt sources from the machine's own apt configuration.

The repository never names a mirror: we read the URIs and keyring the
machine already trusts for Debian's main archive and re-emit them with the
suites and types vprime needs.

usage: gen-apt-sources.py TYPES SUITE... > file.sources
"""
import glob
import re
import sys


def deb822_stanzas(text):
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, val = line.partition(":")
            key = key.strip().lower()
            fields[key] = val.strip()
        if fields:
            yield fields


def one_line_entries(text):
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
        if not m:
            continue
        opts = dict(o.split("=", 1) for o in (m.group(2) or "").split() if "=" in o)
        yield {
            "types": m.group(1),
            "uris": m.group(3),
            "suites": m.group(4),
            "components": m.group(5),
            "signed-by": opts.get("signed-by", ""),
        }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    types, suites = sys.argv[1], sys.argv[2:]
    entries = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path) as f:
            entries += list(deb822_stanzas(f.read()))
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path) as f:
                entries += list(one_line_entries(f.read()))
        except OSError:
            pass
    # The main archive is the entry that carries the release suite itself
    # (not -security, whose layout differs).
    base = suites[0].split("-")[0]
    for e in entries:
        if e.get("enabled", "yes").lower() == "no":
            continue
        if base in e.get("suites", "").split() and "deb" in e.get("types", "").split():
            print("Types: %s" % types)
            print("URIs: %s" % e["uris"])
            print("Suites: %s" % " ".join(suites))
            print("Components: %s" % e.get("components", "main"))
            if e.get("signed-by"):
                print("Signed-By: %s" % e["signed-by"])
            return
    sys.exit("gen-apt-sources: no apt source for Debian '%s' found in /etc/apt; "
             "vprime needs a Debian 12 (bookworm) machine with its main archive configured" % base)


if __name__ == "__main__":
    main()
