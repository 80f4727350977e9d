#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# valgrind.sh DIR BIN: the record/report path under valgrind's memcheck
# (issue #10). BIN must be dynamically linked (valgrind cannot follow malloc
# in a static binary): make check builds one in build/dyn. On a fixture tree
# (tests/fixture-tree.sh, no kernel needed) it records a few snapshots, stops
# one recording with SIGINT and cuts another short, then reports each in
# every format. Any memcheck error or definite/indirect leak fails the step.
# Writes DIR/valgrind.txt.
dir=${1:?usage: valgrind.sh DIR BIN}
bin=${2:?usage: valgrind.sh DIR BIN}
out=$dir/valgrind.txt
mkdir -p "$dir"
: >"$out"
. "$(dirname "$0")/fixture-tree.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "FAIL valgrind/setup: valgrind not installed (make deps)" >>"$out"
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/klptop-vg.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fx=$scratch/tree
top_fixture "$fx"

# vg NAME WANT_RC ARGS...: run BIN ARGS under memcheck; pass when it exits
# WANT_RC and memcheck found nothing.
vg() {
	local name=$1 want=$2 rc
	shift 2
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --log-file="$scratch/$name.vg" \
		"$bin" "$@" >"$scratch/$name.out" 2>"$scratch/$name.err" </dev/null
	rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$scratch/$name.vg" ]; then
		echo "PASS valgrind/$name" >>"$out"
	else
		echo "FAIL valgrind/$name: exit $rc (want $want); $(grep -m1 -E 'Invalid|uninit|definitely|indirectly|Mismatched' "$scratch/$name.vg" || head -n 1 "$scratch/$name.err")" >>"$out"
	fi
}

rec=$scratch/r.klp
vg record 0 --root "$fx" record -o "$rec" -D 2 --interval 0.5
vg report-text 0 report "$rec"
vg report-json 0 report --json "$rec"
vg report-chrome 0 report --format chrome "$rec"
# A recording stopped by SIGINT (the signalfd path writes its end chunk).
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--log-file="$scratch/record-sigint.vg" "$bin" --root "$fx" record -o "$scratch/s.klp" \
	-D 60 --interval 0.5 >/dev/null 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$scratch/s.klp" ] && break; sleep 0.1; done
sleep 2
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" = 0 ] && [ ! -s "$scratch/record-sigint.vg" ]; then
	echo "PASS valgrind/record-sigint" >>"$out"
else
	echo "FAIL valgrind/record-sigint: exit $rc; $(head -n 3 "$scratch/record-sigint.vg" | tr '\n' ' ')" >>"$out"
fi
vg report-sigint 0 report "$scratch/s.klp"
grep -q 'SIGINT' "$scratch/report-sigint.out" && echo "PASS valgrind/report-says-sigint" >>"$out" ||
	echo "FAIL valgrind/report-says-sigint: the report does not say the recording ended on SIGINT" >>"$out"
# Cut in the middle of a chunk: reported up to the cut, still clean.
size=$(stat -c %s "$rec")
head -c $((size * 2 / 3)) "$rec" >"$scratch/cut.klp"
vg report-truncated 0 report "$scratch/cut.klp"
# Not a recording at all: a clean error.
head -c 4096 /dev/urandom >"$scratch/junk.klp"
vg report-junk 1 report "$scratch/junk.klp"
grep -q FAIL "$out" && exit 1
exit 0
