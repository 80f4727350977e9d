#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What leak detection costs every slab free: a free-heavy loop (open/close
# of /dev/null: struct file + name buffer, each kmem_cache_free) timed
#   off    no klptop
#   idle   klptop shadow attached, no shadow alive (the hooks return at once)
#   armed  klptop shadow attached and armed (KLPTOP_BENCH_ARM): every free
#          takes the owner lookup, as when shadows exist but not on it
#   no-leaks  klptop shadow --no-leaks (free hooks not attached)
# Run as root. Usage: bench/shadow-free-cost.sh [ITERS] [ROUNDS]
set -e
cd "$(dirname "$0")/.."
ITERS=${1:-200000}
ROUNDS=${2:-7}
KLPTOP=${KLPTOP:-build/klptop}
LOOP=build/bench/free-loop
mkdir -p build/bench
${CC:-gcc} -O2 -o "$LOOP" bench/free-loop.c
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

run_with() { # MODE ARGS...: ns per iteration with klptop running as ARGS
	mode=$1
	shift
	if [ "$mode" = off ]; then
		"$LOOP" "$ITERS" "$ROUNDS"
		return
	fi
	env $BENCH_ENV "$KLPTOP" shadow -d 3600 "$@" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	"$LOOP" "$ITERS" "$ROUNDS"
	kill -INT $pid
	wait $pid 2>/dev/null || true
}

# Interleaved repetitions, best of each: the host may be busy.
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
off= idle= noleaks= armed=
for rep in 1 2 3; do
	off=$(min "$off" "$(run_with off)")
	idle=$(min "$idle" "$(BENCH_ENV= run_with on)")
	noleaks=$(min "$noleaks" "$(BENCH_ENV= run_with on --no-leaks)")
	armed=$(min "$armed" "$(BENCH_ENV=KLPTOP_BENCH_ARM=1 run_with on)")
done
echo "kernel $(uname -r), $ITERS iterations, best of 3 x $ROUNDS, ns per open+close:"
printf '  %-9s %8s ns  x%s\n' off "$off" 1.000
for m in noleaks idle armed; do
	eval v=\$$m
	printf '  %-9s %8s ns  x%s\n' "$m" "$v" "$(awk -v a="$v" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
done
