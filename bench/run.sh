#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmarks that run on the build host alone, then the
# commands of those that boot the lab (each takes minutes to tens of
# minutes and prints its own figures; docs/perf.md has them and their
# results).
set -e
cd "$(dirname "$0")/.."
echo "== recording: the write path (bench/record-rate.sh)"
bench/record-rate.sh
echo "== recording a stall of thousands of tasks (bench/stall-record.sh)"
bench/stall-record.sh
cat <<'LAB'
== as root (all but shadow-free-cost.sh boot the lab):
  bench/transition-bench.sh [-k REL] [-n N]   a stalled transition with N pending tasks
  bench/shadow-bench.sh [-k REL]              shadow leak detection: free hooks, ring sizes
  bench/shadow-free-cost.sh                   what leak detection costs every slab free
  bench/report-read.sh A B                    reading a recording: two klptop builds in turn
  bench/boot-flake.sh                         how often a lab kernel fails to boot
LAB
