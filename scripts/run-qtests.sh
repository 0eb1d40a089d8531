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
exec "$QTEST_BIN" --tap -k "$@"
