#!/bin/bash
# make check-lava: vprime's LAVA jobs (scripts/vprime-lava) validated by
# LAVA's own schema and lava-run --validate, one topology run through
# lava-run and compared with the same topology under vprime's harness.
# JUnit XML in $VPRIME_BUILD/results/lava/junit.xml; the last line is
# 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
mkdir -p "$RESULTS"
exec "$PYTHON" "$VPRIME_SRC/tests/host/lava_check.py" "$@"
