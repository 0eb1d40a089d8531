#!/bin/bash
# make check: every suite (qtests, launcher input checks, guest KTAP on
# several topologies, Debian's userspace on the rootfs); JUnit XML in
# $VPRIME_BUILD/results/junit.xml; each suite's wall time, then the last
# line: 'N passed, N failed'.
# Options: --suite NAME (repeatable), --without-agent (see harness.py).
. "$(dirname "$0")/lib.sh"
mkdir -p "$RESULTS"
exec "$PYTHON" "$VPRIME_SRC/tests/host/harness.py" "$@"
