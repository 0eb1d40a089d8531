#!/bin/bash
# Run the vprime qtests (TAP on stdout).  libqtest derives the target from
# the binary's name, so firmware paths go into a wrapper with that name.
. "$(dirname "$0")/lib.sh"

wrap=$VPRIME_BUILD/qtest-bin/qemu-system-x86_64
mkdir -p "$(dirname "$wrap")"
cat > "$wrap.tmp" <<EOW
#!/bin/sh
exec "$QEMU_BIN" ${QEMU_FW_ARGS[*]} "\$@"
EOW
chmod +x "$wrap.tmp"
mv "$wrap.tmp" "$wrap"

export QTEST_QEMU_BINARY=$wrap
export QTEST_QEMU_STORAGE_DAEMON_BINARY=/bin/false
cd "$QEMU_BLDDIR"
# One TAP stream for all binaries: renumber and merge the plans.
n=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
for t in vprime-test vprime-gpu-test vprime-display-test vprime-fuzz-test \
         vprime-migration-test; do
    "tests/qtest/$t" --tap -k "$@" > "$out" 2>&1 || rc=1
    while IFS= read -r line; do
        case $line in
            "ok "*|"not ok "*)
                n=$((n + 1))
                echo "$line" | sed -E "s/^(ok|not ok) [0-9]+/\1 $n/" ;;
            1..*) ;;
            *) echo "$line" ;;
        esac
    done < "$out"
done
echo "1..$n"
exit $rc
