#!/bin/sh
# The kernel log must hold no warning, oops or BUG, and the only taints
# allowed are O (out-of-tree module) and E (unsigned module: Debian's
# signing key is not ours).  Runs last, so it covers every other test.
TAINT_OOT=4096
TAINT_UNSIGNED=8192
fail=0
# (the debug kernel's lockdep, KASAN, DMA-API and debug-objects reports
# come with WARNING: or BUG:; 'DMA-API: ... device driver' named too)
# ('RCU lockdep checking is enabled' is the debug kernel's boot banner)
bad=$(dmesg | grep -v 'RCU lockdep checking is enabled' | grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|UBSAN:|KASAN:|refcount_t:|kernel BUG|lockdep|INFO: task .* blocked|DMA-API: .*device driver' | head -20)
if [ -n "$bad" ]; then
    echo "# kernel log has problems:"
    printf '%s\n' "$bad" | sed 's/^/#   /'
    fail=1
fi
t=$(cat /proc/sys/kernel/tainted)
echo "# tainted=$t"
if [ $((t & ~(TAINT_OOT | TAINT_UNSIGNED))) -ne 0 ]; then
    echo "# unexpected taint flags: $((t & ~(TAINT_OOT | TAINT_UNSIGNED)))"
    fail=1
fi
exit $fail
