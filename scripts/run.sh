#!/bin/bash
# make run: boot the default topology (1 iGPU, 1 dGPU, 1 display head), show
# the vprime devices as the guest sees them, and a one-line summary.
. "$(dirname "$0")/lib.sh"

mkdir -p "$RESULTS"
out=$RESULTS/run-show.txt
start=$(date +%s.%N)
"$VPRIME_SRC/scripts/vprime-launch" --mode show --console "$RESULTS/run-console.log" \
    --timeout 300 "$@" > "$out" || die "guest failed (console: $RESULTS/run-console.log)"
secs=$(echo "$(date +%s.%N) - $start" | bc)
grep -v '^# vprime: guest done' "$out" | sed 's/^# /  modprobe: /'
summary=$(grep '^summary:' "$out") || die "the guest printed no device summary (console: $RESULTS/run-console.log)"
read -r ndev nbound nexp < <(echo "$summary" | sed -E 's/summary: ([0-9]+) .*, ([0-9]+) with .*, ([0-9]+) expected/\1 \2 \3/')
printf 'vprime: guest booted and shut down in %.1f s (TCG); %s of %s expected vprime devices present, %s with drivers bound\n' \
    "$secs" "$ndev" "$nexp" "$nbound"
[ "$ndev" = "$nexp" ] && [ "$nbound" = "$ndev" ]
