#!/bin/bash
# make check: every suite (qtests, launcher input checks, guest KTAP on
# several topologies); JUnit XML in $VPRIME_BUILD/results/junit.xml; the
# last line is 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
mkdir -p "$RESULTS"
exec "$PYTHON" "$VPRIME_SRC/tests/host/harness.py" "$@"
