#!/bin/bash
# make check-cache: damage a copy of the download cache the ways a user
# or a flaky network would, and check that fetch repairs it: a truncated
# QEMU tarball and a deleted kernel package are detected from the manifest,
# deleted and fetched again.  Downloads about 45 MB; not part of make check,
# which must download nothing the second time.
. "$(dirname "$0")/lib.sh"

"$VPRIME_SRC/scripts/fetch.sh"
. "$DL/versions.env"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$DL" "$APTDIR" "$tmp/"
truncate -s 1M "$tmp/dl/$QEMU_ORIG"
rm "$tmp"/dl/linux-kbuild-*.deb

fail=0
out=$(VPRIME_BUILD=$tmp "$VPRIME_SRC/scripts/fetch.sh" 2>&1) || { echo "fetch failed:"; fail=1; }
echo "$out" | sed 's/^/  /'
for want in "corrupt download: $QEMU_ORIG" "missing download: linux-kbuild-"; do
    echo "$out" | grep -qF "$want" || { echo "not ok: fetch did not report '$want'"; fail=1; }
done
if (cd "$tmp/dl" && sha256sum --quiet --strict -c MANIFEST); then
    echo "ok: repaired cache verifies against its manifest"
else
    echo "not ok: repaired cache does not verify"; fail=1
fi
cmp -s "$tmp/dl/$QEMU_ORIG" "$DL/$QEMU_ORIG" || { echo "not ok: re-fetched tarball differs"; fail=1; }
# A manifest entry that cannot be repaired: the pinned tarball hash is wrong.
sed -i "s/^QEMU_ORIG_SHA256=.*/QEMU_ORIG_SHA256=$(printf '0%.0s' {1..64})/" "$tmp/dl/versions.env"
rm "$tmp/dl/MANIFEST"
if out=$(VPRIME_BUILD=$tmp "$VPRIME_SRC/scripts/fetch.sh" 2>&1); then
    echo "not ok: a tarball that cannot match its pinned hash was accepted"; fail=1
elif echo "$out" | grep -q "sha256 does not match"; then
    echo "ok: unrepairable download refused: $(echo "$out" | tail -1)"
else
    echo "not ok: unclear error: $out"; fail=1
fi
[ $fail = 0 ] && echo "check-cache: passed" || { echo "check-cache: FAILED"; exit 1; }
