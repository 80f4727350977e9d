#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What recording costs (klptop record, docs/trace-format.md): the write path
# alone, one chunk (and one write()) per event as record does, with a
# snapshot chunk every K events. Prints events/s sustained and bytes per
# event and per snapshot. Usage: bench/record-rate.sh [N=200000] [K=1000] [DIR=/tmp]
set -e
cd "$(dirname "$0")/.."
N=${1:-200000}
K=${2:-1000}
DIR=${3:-/tmp}
make --no-print-directory -s build/obj/recfile.o build/obj/util.o
mkdir -p build/bench
${CC:-gcc} -O2 -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc -o build/bench/record-writer \
	bench/record-writer.c build/obj/recfile.o build/obj/util.o -ljson-c -lz
out=$DIR/klptop-bench-$$.klp
build/bench/record-writer "$out" "$N" "$K"
echo "file_bytes $(wc -c <"$out")"
rm -f "$out"
