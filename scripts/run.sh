#!/bin/bash
# make run: scenario 1 (Optimus render offload) on the default topology
# (1 iGPU, 1 dGPU, 1 display head): frames shown, fps, the copies the
# devices made (their counters) and the per-frame proof that the CPU made
# none (QEMU's DMA trace), the host's zero-copy checks, and the screen
# saved as $VPRIME_BUILD/vprime-screen.png.
# Options: --frames N, and any vprime-launch option (--display vnc:1 to
# watch; make run RUN_ARGS="--display vnc:1 --frames 600").
. "$(dirname "$0")/lib.sh"
exec "$PYTHON" "$VPRIME_SRC/tests/host/run_scenario.py" "$@"
