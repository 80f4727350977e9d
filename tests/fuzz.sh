#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fuzz.sh DIR: build the recording-reader fuzzer (make fuzz) and run it for
# FUZZ_TIME seconds (default 20) from the seeds in tests/fuzz/corpus/.
# Writes DIR/fuzz.txt: "PASS fuzz/recfile", "FAIL fuzz/recfile: why" or
# "SKIP fuzz/recfile: why" (no clang with libFuzzer). The fuzzer's output is
# kept in DIR/fuzz.log, a crashing input in DIR/fuzz-crash-*.
dir=${1:?usage: fuzz.sh DIR}
mkdir -p "$dir"
out=$dir/fuzz.txt
log=$dir/fuzz.log
bin=${BUILD:-build}/fuzz_recfile
if ! make --no-print-directory -s fuzz >"$log" 2>&1; then
	if grep -q 'fuzzer' "$log" && ! command -v clang >/dev/null 2>&1; then
		echo "SKIP fuzz/recfile: no clang" >"$out"
		exit 0
	fi
	echo "FAIL fuzz/recfile: build failed: $(tail -n 1 "$log")" >"$out"
	exit 1
fi
work=$(mktemp -d /tmp/klptop-fuzz-XXXXXX)
timeout -k 10 $((${FUZZ_TIME:-20} + 60)) "$bin" -max_total_time="${FUZZ_TIME:-20}" \
	-max_len=65536 -rss_limit_mb=1024 -timeout=10 \
	-artifact_prefix="$dir/fuzz-crash-" "$work" tests/fuzz/corpus >>"$log" 2>&1
rc=$?
runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1)
rm -rf "$work"
if [ $rc -eq 0 ] && [ -n "$runs" ]; then
	echo "PASS fuzz/recfile" >"$out"
	echo "NOTE fuzz/recfile: $runs in ${FUZZ_TIME:-20} s" >>"$out"
	exit 0
fi
echo "FAIL fuzz/recfile: fuzzer exited $rc: $(grep -m 1 'ERROR:\|SUMMARY:' "$log")" >"$out"
exit 1
