#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What recording a stall of thousands of pending tasks costs (klptop record,
# docs/perf.md "Recording a big stall"), on the build host: a snapshot written
# full against compact, the bytes an hour of them takes, and klptop report
# reading them, with klptop's own model, writer and report. Ratios within one
# run. Usage: bench/stall-record.sh [N...] (default 2000 10000). With OLD=path
# to another klptop binary, it and this build's klptop report the recording
# of N (as record writes it) in turn, 5 times each.
set -e
cd "$(dirname "$0")/.."
make --no-print-directory -s build/libklptop-core.a
mkdir -p build/bench
${CC:-gcc} -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc -Ibuild \
	-o build/bench/stall-snapshot bench/stall-snapshot.c build/libklptop-core.a \
	-lbpf -lelf -lz -lzstd -ljson-c -lncursesw -ltinfo -lm
[ $# -gt 0 ] || set -- 2000 10000
make --no-print-directory -s build/klptop
dir=$(mktemp -d "${TMPDIR:-/tmp}/klptop-stall.XXXXXX")
trap 'rm -rf "$dir"' EXIT
for n in "$@"; do
	build/bench/stall-snapshot "$n" 7 "$dir"
	[ -n "$OLD" ] || continue
	for i in 1 2 3 4 5; do
		for b in "$OLD" build/klptop; do
			s=$(date +%s%N)
			"$b" report "$dir/record.klp" >/dev/null 2>&1
			echo "$b $(( ($(date +%s%N) - s) / 1000000 ))"
		done
	done | awk -v n="$n" '{ t[$1] = t[$1] " " $2 } END { for (b in t) print "  klptop report, N=" n ", ms per run:", b, t[b] }'
done
