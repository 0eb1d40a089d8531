#!/bin/sh
# The modules a user added (vprime-launch --add FILE.ko): the guest's init
# loaded them with insmod after vprime's drivers, in the order given, and
# before the example importer, which it loads only when no module of the
# user's took the edu device; the log says which driver has it.
if [ ! -f /user/modules.list ]; then
    echo "# SKIP no module added (vprime-launch --add FILE.ko)"
    exit 4
fi
sed 's/^/# /' /tmp/user-modules.log
! grep -q '^FAILED' /tmp/user-modules.log
