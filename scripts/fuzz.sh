#!/bin/bash
# make fuzz / fuzz-asan / fuzz-guest / fuzz-coverage: the fuzzers on their
# own, with a random seed and a time budget (make check runs the same
# fuzzers with a fixed seed and a fixed number of inputs).
#
#   scripts/fuzz.sh [--asan] [SECONDS]
#       the device-model fuzzer (tests/qtest/vprime-fuzz-test.c), every
#       target, SECONDS (default 600) shared by the targets, a random seed
#       (or VPRIME_FUZZ_SEED)
#   scripts/fuzz.sh [--asan] --replay TARGET SEED INPUTS
#       exactly the inputs of one run of one target: what a failure prints
#   scripts/fuzz.sh --guest [SECONDS]
#       the guest ioctl fuzzer (tests/guest/ioctl-fuzz.c) on the
#       4-head, 3-GPU vIOMMU topology, SECONDS (default 600) shared by its
#       DRM nodes, a random seed, then module-reload and dmesg-clean
#   scripts/fuzz.sh --coverage [SECONDS]
#       QEMU's own coverage-guided generic fuzzer (libFuzzer) on each
#       vprime generic-fuzz config, SECONDS (default 600) shared by them
#
# --asan builds a second QEMU with AddressSanitizer and
# UndefinedBehaviorSanitizer in $VPRIME_BUILD/qemu-build-asan (same
# patched source) and fails on any sanitizer report; reports and the
# run's output go to $VPRIME_BUILD/results/fuzz-asan/.  A failure ends
# with the one command that replays it.
. "$(dirname "$0")/lib.sh"

mode=qtest
asan=false
case "${1:-}" in
    --asan) asan=true; shift ;;
    --guest) mode=guest; shift ;;
    --coverage) mode=coverage; shift ;;
esac
replay=()
if [ "${1:-}" = --replay ]; then
    [ $# = 4 ] || die "usage: scripts/fuzz.sh [--asan] --replay TARGET SEED INPUTS"
    replay=("$2" "$3" "$4")
    shift 4
fi
SECONDS_BUDGET=${1:-600}
case "$SECONDS_BUDGET" in
    ''|*[!0-9]*) die "SECONDS must be a whole number, not '$SECONDS_BUDGET'" ;;
esac

random_seed() {
    printf '0x%s\n' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
}

# A qemu-system-x86_64 with the firmware paths, named so libqtest takes
# its target from it.
qtest_wrapper() {
    local wrap=$1/bin/qemu-system-x86_64
    mkdir -p "$(dirname "$wrap")"
    cat > "$wrap" <<EOW
#!/bin/sh
exec "$QEMU_BIN" ${QEMU_FW_ARGS[*]} "\$@"
EOW
    chmod +x "$wrap"
    export QTEST_QEMU_BINARY=$wrap
    export QTEST_QEMU_STORAGE_DAEMON_BINARY=/bin/false
}

# ---------------------------------------------------------------------------
fuzz_qtest() {
    local out prefix rc=0 t0 line
    if $asan; then
        export VPRIME_QEMU_BUILD=$VPRIME_BUILD/qemu-build-asan
        export QEMU_EXTRA_CONFIGURE="--enable-asan --enable-ubsan"
        QEMU_BLDDIR=$VPRIME_QEMU_BUILD
        QEMU_BIN=$QEMU_BLDDIR/qemu-system-x86_64
        out=$RESULTS/fuzz-asan
        prefix="scripts/fuzz.sh --asan"
    else
        out=$RESULTS/fuzz
        prefix="scripts/fuzz.sh"
    fi
    "$VPRIME_SRC/scripts/build-qemu.sh"
    rm -rf "$out"
    mkdir -p "$out"
    qtest_wrapper "$out"
    if $asan; then
        # Every report is written to a log; ASan and UBSan errors abort
        # QEMU at once (the fuzzer sees it die and prints the replay).
        # Leaks are only reported at exit and judged below: QEMU's own are
        # not ours to fix.
        export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$out/asan"
        export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$out/ubsan"
        export LSAN_OPTIONS="exitcode=0:log_path=$out/lsan"
    fi
    export VPRIME_FUZZ_REPLAY=$prefix

    local args=(--tap -k)
    if [ ${#replay[@]} = 3 ]; then
        export VPRIME_FUZZ_SEED=${replay[1]} VPRIME_FUZZ_ITERS=${replay[2]}
        unset VPRIME_FUZZ_SECONDS
        args+=(-p "/x86_64/vprime-fuzz/${replay[0]}")
        log "replaying target ${replay[0]}: seed ${replay[1]}, ${replay[2]} inputs"
    else
        export VPRIME_FUZZ_SEED=${VPRIME_FUZZ_SEED:-$(random_seed)}
        export VPRIME_FUZZ_SECONDS=$SECONDS_BUDGET
        log "fuzzing for $SECONDS_BUDGET s, seed $VPRIME_FUZZ_SEED$($asan && echo ', under ASan/UBSan' || true)"
    fi
    t0=$(date +%s)
    (cd "$QEMU_BLDDIR" && exec tests/qtest/vprime-fuzz-test "${args[@]}") \
        > "$out/fuzz.tap" 2>&1 || rc=$?
    grep -E '^(ok|not ok|# vprime-fuzz)' "$out/fuzz.tap" || true
    log "fuzzer ran $(( $(date +%s) - t0 )) s; output in $out/fuzz.tap"
    if [ $rc != 0 ]; then
        tail -30 "$out/fuzz.tap" >&2
        line=$(sed -n 's/^# reproduce: //p' "$out/fuzz.tap" | head -1)
        [ -n "$line" ] || line="(no replay line: the failure came before any input)"
        die "the fuzzer failed (exit $rc); replay it with:
    $line"
    fi

    if $asan; then
        local bad=0 f
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
        if [ $bad != 0 ]; then
            # the seed reproduces the whole run; the report names no input
            die "sanitizer reports (in $out); replay the run with:
    VPRIME_FUZZ_SEED=$VPRIME_FUZZ_SEED $prefix $SECONDS_BUDGET"
        fi
        log "no ASan/UBSan report, no leak in a vprime model"
    fi
}

# ---------------------------------------------------------------------------
# The guest fuzzer: 3 GPUs (a card and a render node each) and a 4-head
# display engine (a card) behind the vIOMMU: 7 DRM nodes.
GUEST_TOPOLOGY=(--gpus igpu,dgpu:1G,dgpu:64M --heads 4 --iommu on)
GUEST_NODES=7

fuzz_guest() {
    local out=$RESULTS/fuzz-guest seed per_node rc=0 line
    "$VPRIME_SRC/scripts/build.sh"
    rm -rf "$out"
    mkdir -p "$out"
    seed=${VPRIME_FUZZ_SEED:-$(random_seed)}
    per_node=$(( (SECONDS_BUDGET + GUEST_NODES - 1) / GUEST_NODES ))
    log "guest ioctl fuzzer: $per_node s on each of $GUEST_NODES nodes, seed $seed"
    "$VPRIME_SRC/scripts/vprime-launch" --mode check --results "$out/results.ktap" \
        --console "$out/console.log" --timeout $(( SECONDS_BUDGET + 300 )) \
        "${GUEST_TOPOLOGY[@]}" --append "vprime.tests=ioctl-fuzz,module-reload,dmesg-clean vprime.fuzz_seed=$seed vprime.fuzz_seconds=$per_node" \
        > "$out/launch.log" 2>&1 || rc=$?
    grep -E '^(ok|not ok|#.*(ioctls|inputs|replay|seed))' "$out/results.ktap" || true
    if [ $rc != 0 ] || grep -q '^not ok' "$out/results.ktap" ||
       ! grep -q '^ok .*dmesg-clean' "$out/results.ktap"; then
        tail -20 "$out/console.log" >&2
        line=$(sed -n 's/.*replay: --append "\(.*\)".*/\1/p' "$out/results.ktap" | head -1)
        [ -n "$line" ] || line="vprime.tests=ioctl-fuzz vprime.fuzz_seed=$seed vprime.fuzz_seconds=$per_node"
        line=${line/vprime.tests=ioctl-fuzz /vprime.tests=ioctl-fuzz,module-reload,dmesg-clean }
        die "the guest fuzzer failed (exit $rc; $out); replay it with:
    scripts/vprime-launch --mode check ${GUEST_TOPOLOGY[*]} --append \"$line\""
    fi
    log "guest fuzzer passed; output in $out"
}

# ---------------------------------------------------------------------------
# QEMU's generic-fuzz (tests/qtest/fuzz/generic_fuzz.c), built with clang
# and libFuzzer (Debian's clang-14, libclang-rt-14-dev) and ASan, in its
# own build directory.
COVERAGE_TARGETS=(vprime-igpu vprime-dgpu vprime-display vprime-iommu)

# The edges of the vprime models' functions that a run reached, from
# libFuzzer's -print_coverage=1 lines:
#   COVERED_FUNC: hits: H edges: E/T NAME FILE:LINE
#   UNCOVERED_FUNC: hits: 0 edges: 0/T NAME FILE:LINE
vprime_coverage() {
    awk '/^(UN)?COVERED_FUNC: / && $NF ~ /hw\/vprime\// {
             split($5, e, "/"); hit += e[1]; all += e[2]; funcs++
             if (e[1] > 0) fhit++
         }
         END { if (all) printf "vprime models: %d of %d edges (%.1f%%), %d of %d functions\n",
                               hit, all, 100 * hit / all, fhit, funcs
               else print "vprime models: no coverage lines" }' "$1"
}

fuzz_coverage() {
    local out=$RESULTS/fuzz-coverage each t rc bin log crash
    "$VPRIME_SRC/scripts/setup-host.sh" clang-14 libclang-rt-14-dev llvm-14
    export VPRIME_QEMU_BUILD=$VPRIME_BUILD/qemu-build-fuzz
    # the machines find their firmware where Debian installs it
    export QEMU_EXTRA_CONFIGURE="--cc=clang-14 --cxx=clang++-14 --enable-fuzzing --enable-asan --firmwarepath=/usr/share/seabios:/usr/share/qemu"
    "$VPRIME_SRC/scripts/build-qemu.sh"
    log "building qemu-fuzz-x86_64"
    ninja -C "$VPRIME_QEMU_BUILD" qemu-fuzz-x86_64 > "$VPRIME_BUILD/qemu-fuzz-target-build.log" 2>&1 ||
        { grep -E 'error|FAILED' "$VPRIME_BUILD/qemu-fuzz-target-build.log" | head -40 >&2
          die "qemu-fuzz-x86_64 build failed (log: $VPRIME_BUILD/qemu-fuzz-build.log)"; }
    bin=$VPRIME_QEMU_BUILD/qemu-fuzz-x86_64
    # Run from its build tree, QEMU looks for the firmware path under
    # qemu-bundle/ there (the generic-fuzz configs take no -L)
    local fw
    for fw in /usr/share/seabios /usr/share/qemu; do
        mkdir -p "$(dirname "$VPRIME_QEMU_BUILD/qemu-bundle$fw")"
        ln -sfn "$fw" "$VPRIME_QEMU_BUILD/qemu-bundle$fw"
    done
    rm -rf "$out"
    mkdir -p "$out"
    each=$(( SECONDS_BUDGET / ${#COVERAGE_TARGETS[@]} ))
    [ "$each" -ge 1 ] || each=1
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
    local failed=()
    for t in "${COVERAGE_TARGETS[@]}"; do
        mkdir -p "$out/$t/corpus" "$out/$t/crashes"
        log "generic-fuzz-$t for $each s"
        log=$out/$t/fuzz.log
        rc=0
        (cd "$out/$t" && exec "$bin" --fuzz-target="generic-fuzz-$t" \
            -max_total_time="$each" -print_final_stats=1 -print_coverage=1 \
            -close_fd_mask=1 \
            -artifact_prefix="$out/$t/crashes/" corpus) > "$log" 2>&1 || rc=$?
        # libFuzzer's last status line and final stats
        { grep -E '^#[0-9]+.*(pulse|DONE|NEW|REDUCE)' "$log" || true; } | tail -1 | sed "s/^/[$t] /"
        { grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' "$log" || true; } |
            sed "s/^/[$t] /"
        vprime_coverage "$log" | sed "s/^/[$t] /"
        crash=$(ls "$out/$t/crashes/" 2>/dev/null | head -1)
        if [ $rc != 0 ] || [ -n "$crash" ]; then
            { grep -E 'ERROR|SUMMARY|Assertion|assert|qemu:' "$log" || true; } | head -10 >&2
            failed+=("$t")
            if [ -n "$crash" ]; then
                log "crash in generic-fuzz-$t; reproduce with:
    $bin --fuzz-target=generic-fuzz-$t $out/$t/crashes/$crash"
            else
                log "generic-fuzz-$t exited $rc without a crash file (log: $log)"
            fi
        fi
    done
    [ ${#failed[@]} = 0 ] || die "generic-fuzz found crashes in: ${failed[*]} (in $out)"
    log "no crash; corpora and logs in $out"
}

case $mode in
    qtest) fuzz_qtest ;;
    guest) fuzz_guest ;;
    coverage) fuzz_coverage ;;
esac
