#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# summary.sh DIR: the verdict of a test run from the result files DIR/*.txt
# (lines "PASS name", "FAIL name: message", "SKIP ...", "NOTE ..."). Prints
# notes, skips and every FAIL line, then as the very last line exactly
# "N passed, M failed". Exit status 1 if M > 0 or N == 0.
dir=${1:?usage: summary.sh DIR}
all=$(cat "$dir"/*.txt 2>/dev/null)
np=$(printf '%s\n' "$all" | grep -c '^PASS ')
nf=$(printf '%s\n' "$all" | grep -c '^FAIL ')
ns=$(printf '%s\n' "$all" | grep -c '^SKIP ')
printf '%s\n' "$all" | grep '^NOTE '
[ "$ns" -gt 0 ] && printf '%s\n' "$all" | grep '^SKIP '
printf '%s\n' "$all" | grep '^FAIL '
[ "$np" -eq 0 ] && echo "no test passed: nothing ran?" >&2
echo "$np passed, $nf failed"
[ "$nf" -eq 0 ] && [ "$np" -gt 0 ]
