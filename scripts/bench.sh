#!/bin/bash
# make bench: print figures as 'bench NAME VALUE UNIT' and write them to
# $VPRIME_BUILD/bench.json.  Benchmarks measure; the tests assert.
# Options: --only boot|submit|display|scenarios|scale|genlock|copy|suite (repeatable).
. "$(dirname "$0")/lib.sh"
exec "$PYTHON" "$VPRIME_SRC/tests/host/bench.py" "$@"
