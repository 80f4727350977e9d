#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What reading a recording costs (klptop report, --replay): two klptop
# binaries A and B in turn on the same recording, R runs each, alternating
# so that a busy host weighs on both alike. The recording is made by B of
# the fixture tree (tests/fixture-tree.sh: a stuck transition) with S
# snapshots. Prints the median of each and B/A, for report --json, report
# and --replay --batch. Usage: bench/report-read.sh A B [S=530] [R=21]
set -e
cd "$(dirname "$0")/.."
A=$(realpath "${1:?usage: report-read.sh A B [S] [R]}")
B=$(realpath "${2:?usage: report-read.sh A B [S] [R]}")
S=${3:-530}
R=${4:-21}
work=$(mktemp -d "${TMPDIR:-/tmp}/klptop-read.XXXXXX")
trap 'rm -rf "$work"' EXIT
. tests/fixture-tree.sh
top_fixture "$work/tree"
"$B" --root "$work/tree" record -o "$work/r.klpt" -d "$(echo "$S * 0.05" | bc)" \
	--interval 0.05 2>/dev/null
echo "recording: $("$B" report --json "$work/r.klpt" | jq .snapshots) snapshots, $(wc -c <"$work/r.klpt") bytes"

# median of a file of numbers
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run() { # label args...
	local label=$1 w s e
	shift
	: >"$work/A"
	: >"$work/B"
	for _ in $(seq "$R"); do
		for w in A B; do
			s=$(date +%s%N)
			"${!w}" "$@" >/dev/null 2>&1
			e=$(date +%s%N)
			echo $(((e - s) / 1000)) >>"$work/$w"
		done
	done
	awk -v l="$label" -v a="$(median "$work/A")" -v b="$(median "$work/B")" \
		'BEGIN { printf "%-28s A %8.1f ms  B %8.1f ms  B/A %.2f\n", l, a / 1e3, b / 1e3, b / a }'
}

run "report --json" report --json "$work/r.klpt"
run "report" report "$work/r.klpt"
run "--replay --batch" --replay "$work/r.klpt" --batch
