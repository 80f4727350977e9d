#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fuzz.sh DIR: build the libFuzzer targets (make fuzz) and run each for
# FUZZ_TIME seconds (default 20):
#   recfile   the recording reader, from the seeds in tests/fuzz/corpus/;
#   patchelf  the patch module reader, from the lab's modules
#             (build/kmod/*/*.ko, debug info stripped) and the klp-build
#             shaped object tests/fuzz/klp_build_fake.c compiles to.
# Writes DIR/fuzz.txt: "PASS fuzz/NAME", "FAIL fuzz/NAME: why" or
# "SKIP fuzz/NAME: why" (no clang with libFuzzer), and a NOTE with the runs.
# Each fuzzer's output is kept in DIR/fuzz-NAME.log, a crashing input in
# DIR/fuzz-NAME-crash-*.
dir=${1:?usage: fuzz.sh DIR}
mkdir -p "$dir"
out=$dir/fuzz.txt
: >"$out"
build=${BUILD:-build}
time=${FUZZ_TIME:-20}
status=0

if ! make --no-print-directory -s fuzz >"$dir/fuzz-build.log" 2>&1; then
	if ! command -v clang >/dev/null 2>&1; then
		echo "SKIP fuzz/recfile: no clang" >>"$out"
		echo "SKIP fuzz/patchelf: no clang" >>"$out"
		exit 0
	fi
	echo "FAIL fuzz/build: $(tail -n 1 "$dir/fuzz-build.log")" >>"$out"
	exit 1
fi

# run NAME MAX_LEN SEED_DIR...: one fuzzer for $time seconds.
run() {
	name=$1 maxlen=$2
	shift 2
	log=$dir/fuzz-$name.log
	work=$(mktemp -d /tmp/klptop-fuzz-XXXXXX)
	timeout -k 10 $((time + 60)) "$build/fuzz_$name" -max_total_time="$time" \
		-max_len="$maxlen" -rss_limit_mb=1024 -timeout=10 \
		-artifact_prefix="$dir/fuzz-$name-crash-" "$work" "$@" >"$log" 2>&1
	rc=$?
	runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1)
	rm -rf "$work"
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "PASS fuzz/$name" >>"$out"
		echo "NOTE fuzz/$name: $runs in $time s" >>"$out"
	else
		echo "FAIL fuzz/$name: fuzzer exited $rc: $(grep -m 1 'ERROR:\|SUMMARY:' "$log")" >>"$out"
		status=1
	fi
}

# Seeds of the module reader: real modules without their debug info (the
# symbols and relocations stay), and both replace forms of the fake.
elf_seeds() {
	seeds=$1
	for ko in "$build"/kmod/*/*.ko; do
		[ -f "$ko" ] || continue
		rel=$(basename "$(dirname "$ko")")
		objcopy --strip-debug "$ko" "$seeds/$rel-$(basename "$ko")" 2>/dev/null
	done
	for r in 0 1; do
		cc -c -O2 -fno-pic -mcmodel=kernel -mno-red-zone -DREPLACE=$r \
			-o "$seeds/klp_build_fake-$r.o" tests/fuzz/klp_build_fake.c 2>/dev/null
	done
}

run recfile 65536 tests/fuzz/corpus
seeds=$(mktemp -d /tmp/klptop-fuzz-seeds-XXXXXX)
elf_seeds "$seeds"
if [ -z "$(ls "$seeds")" ]; then
	echo "FAIL fuzz/patchelf: no seeds (no build/kmod modules, no cc)" >>"$out"
	status=1
else
	echo "NOTE fuzz/patchelf: $(ls "$seeds" | wc -l) seeds" >>"$out"
	run patchelf 65536 "$seeds"
fi
rm -rf "$seeds"
exit $status
