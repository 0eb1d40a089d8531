#!/bin/sh
# The command a user gave (vprime-launch --run CMD), in /user with
# /user/bin first in PATH: its output becomes diagnostics, its exit status
# the verdict (0 pass, 4 skip with a "# SKIP reason" line, else fail).
if [ ! -f /user/command ]; then
    echo "# SKIP no command given (vprime-launch --run COMMAND)"
    exit 4
fi
cd /user || exit 1
PATH=/user/bin:$PATH
export PATH
sh /user/command
