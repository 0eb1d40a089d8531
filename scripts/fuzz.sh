#!/bin/bash
# make fuzz / make fuzz-asan: the device-model fuzzer (tests/qtest/
# vprime-fuzz-test.c) on its own, for longer than inside make check.
#
#   scripts/fuzz.sh [--asan] [SECONDS]
#
# SECONDS (default 600) is shared by the fuzz targets; VPRIME_FUZZ_SEED and
# VPRIME_FUZZ_ITERS pass through (see the test's header).  --asan builds a
# second QEMU with AddressSanitizer and UndefinedBehaviorSanitizer in
# $VPRIME_BUILD/qemu-build-asan (same patched source) and fails on any
# sanitizer report; reports and the run's output go to
# $VPRIME_BUILD/results/fuzz-asan/.
. "$(dirname "$0")/lib.sh"

asan=false
if [ "${1:-}" = --asan ]; then
    asan=true
    shift
fi
export VPRIME_FUZZ_SECONDS=${1:-600}

if $asan; then
    export VPRIME_QEMU_BUILD=$VPRIME_BUILD/qemu-build-asan
    export QEMU_EXTRA_CONFIGURE="--enable-asan --enable-ubsan"
    QEMU_BLDDIR=$VPRIME_QEMU_BUILD
    QEMU_BIN=$QEMU_BLDDIR/qemu-system-x86_64
    out=$RESULTS/fuzz-asan
else
    out=$RESULTS/fuzz
fi
"$VPRIME_SRC/scripts/build-qemu.sh"
rm -rf "$out"
mkdir -p "$out"

wrap=$out/bin/qemu-system-x86_64
mkdir -p "$(dirname "$wrap")"
cat > "$wrap" <<EOW
#!/bin/sh
exec "$QEMU_BIN" ${QEMU_FW_ARGS[*]} "\$@"
EOW
chmod +x "$wrap"
export QTEST_QEMU_BINARY=$wrap
export QTEST_QEMU_STORAGE_DAEMON_BINARY=/bin/false
if $asan; then
    # Every report is written to a log; ASan and UBSan errors abort QEMU
    # at once (the fuzzer sees it die and prints the seed).  Leaks are only
    # reported at exit and judged below: QEMU's own are not ours to fix.
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$out/asan"
    export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$out/ubsan"
    export LSAN_OPTIONS="exitcode=0:log_path=$out/lsan"
fi

if $asan; then log "fuzzing for ${VPRIME_FUZZ_SECONDS} s under ASan/UBSan"; else log "fuzzing for ${VPRIME_FUZZ_SECONDS} s"; fi
t0=$(date +%s)
rc=0
(cd "$QEMU_BLDDIR" && tests/qtest/vprime-fuzz-test --tap -k) > "$out/fuzz.tap" 2>&1 || rc=$?
grep -E '^(ok|not ok|# vprime-fuzz|# reproduce)' "$out/fuzz.tap" || true
log "fuzzer ran $(( $(date +%s) - t0 )) s; output in $out/fuzz.tap"
[ $rc = 0 ] || { tail -30 "$out/fuzz.tap" >&2; die "the fuzzer failed (exit $rc)"; }

if $asan; then
    bad=0
    for f in "$out"/asan.* "$out"/ubsan.*; do
        [ -e "$f" ] || continue
        log "sanitizer report: $f"
        head -40 "$f" >&2
        bad=1
    done
    # a leak report counts when a vprime function is on its stack
    for f in "$out"/lsan.*; do
        [ -e "$f" ] || continue
        if grep -q 'vprime' "$f"; then
            log "leak in a vprime model: $f"
            grep -B2 -A20 vprime "$f" | head -60 >&2
            bad=1
        fi
    done
    [ $bad = 0 ] || die "sanitizer reports (in $out)"
    log "no ASan/UBSan report, no leak in a vprime model"
fi
