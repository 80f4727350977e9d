#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What recording costs (klptop record, docs/trace-format.md): the write path
# alone, old framing against new in one run. N churn-shaped events (shadow
# orphans of a leaking patch, a transition round every 1000) with a snapshot
# every K events, written once with the version-1 framing (one chunk and one
# write() per event) and once as version-2 packed batches flushed every B
# events (a poll round). Prints events/s and bytes/event of both and the
# ratios. Usage: bench/record-rate.sh [N=200000] [K=1000] [DIR=/tmp] [B=256]
set -e
cd "$(dirname "$0")/.."
N=${1:-200000}
K=${2:-1000}
DIR=${3:-/tmp}
B=${4:-256}
make --no-print-directory -s build/libklptop-core.a
mkdir -p build/bench
${CC:-gcc} -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Isrc \
	-o build/bench/record-writer bench/record-writer.c build/libklptop-core.a \
	-ljson-c -lz
old=$DIR/klptop-bench-v1-$$.klp
new=$DIR/klptop-bench-v2-$$.klp
trap 'rm -f "$old" "$new"' EXIT
build/bench/record-writer "$old" "$new" "$N" "$K" "$B"
echo "file_bytes v1 $(wc -c <"$old") v2 $(wc -c <"$new")"
