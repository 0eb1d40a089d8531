#!/bin/bash
# make run: scenario 1 (Optimus render offload) on the default topology
# (1 iGPU, 1 dGPU, 1 display head): frames shown, fps, the copies the
# devices made (their counters) and the per-frame proof that the CPU made
# none (QEMU's DMA trace), the host's zero-copy checks, and the screen
# saved as $VPRIME_BUILD/vprime-screen.png.
# Options: --frames N, and any vprime-launch option (--display vnc:1 to
# watch; make run RUN_ARGS="--display vnc:1 --frames 600").
# make run ADD="my.ko my-prog" CMD="my-prog --all" (VPRIME_ADD,
# VPRIME_CMD): instead of the scenario, boot with the user's files and run
# the command (vprime-launch --add/--run), reported as KTAP tests.
. "$(dirname "$0")/lib.sh"
if [ -n "${VPRIME_ADD:-}${VPRIME_CMD:-}" ]; then
    args=()
    for f in ${VPRIME_ADD:-}; do args+=(--add "$f"); done
    [ -n "${VPRIME_CMD:-}" ] && args+=(--run "$VPRIME_CMD")
    exec "$VPRIME_SRC/scripts/vprime-launch" "${args[@]}" "$@"
fi
exec "$PYTHON" "$VPRIME_SRC/tests/host/run_scenario.py" "$@"
