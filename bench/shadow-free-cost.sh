#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What leak detection costs every slab free (docs/perf.md, "Shadow
# variables"). Two free-heavy loops (bench/free-loop.c): open/close of
# /dev/null (3 kmem_cache_free per loop) and poll() of 64 descriptors (1
# kfree per loop), timed in these modes, interleaved REPS times, best of each:
#   off           no klptop
#   noleaks       klptop shadow --no-leaks (free hooks never attached)
#   idle          klptop shadow, no shadow alive (hooks off: the default)
#   exporter      klptop metrics --textfile DIR (the exporter's default)
#   hooks         both free hooks forced on, no shadow alive (KLPTOP_BENCH_HOOKS)
#   armed         hooks on, every free looks up owners, no filter (KLPTOP_BENCH_ARM)
#   shadows       10,000 live shadows on kmalloc objects no free touches
#                 (KLPTOP_BENCH_SHADOWS=10000: the kfree hook on, with the filter)
#   shadows-cache the same on objects of another slab cache (both hooks on)
# Run as root. Usage: bench/shadow-free-cost.sh [ITERS] [ROUNDS] [REPS]
# Env: KLPTOP (binary), LOOP (free-loop binary), SETTLE (s after klptop starts),
# MODES (a subset, in order; off always first), NSHADOWS (10000).
set -e
cd "$(dirname "$0")/.."
ITERS=${1:-20000}
ROUNDS=${2:-40}
REPS=${3:-3}
SETTLE=${SETTLE:-3}
NSHADOWS=${NSHADOWS:-10000}
MODES=${MODES:-"noleaks idle exporter hooks armed shadows shadows-cache"}
LOOPS="open poll"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Copies: a rebuild during the run must not change or remove them.
cp "${KLPTOP:-build/klptop}" "$TMP/klptop"
KLPTOP=$TMP/klptop
if [ -z "$LOOP" ]; then
	LOOP=$TMP/free-loop
	${CC:-gcc} -O2 -o "$LOOP" bench/free-loop.c
fi
mountpoint -q /sys/kernel/tracing 2>/dev/null ||
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

start_klptop() { # MODE: start klptop as the mode wants it; $pid, or empty
	pid=
	case $1 in
	off) return ;;
	noleaks) set -- shadow -d 3600 --no-leaks ;;
	idle) set -- shadow -d 3600 ;;
	exporter) set -- metrics --textfile "$TMP" ;;
	hooks) set -- env KLPTOP_BENCH_HOOKS=1 ;;
	armed) set -- env KLPTOP_BENCH_ARM=1 ;;
	shadows) set -- env KLPTOP_BENCH_SHADOWS="$NSHADOWS" ;;
	shadows-cache) set -- env KLPTOP_BENCH_SHADOWS="$NSHADOWS:cache" ;;
	esac
	if [ "$1" = env ]; then
		env "$2" "$KLPTOP" shadow -d 3600 >/dev/null 2>"$TMP/err" &
	else
		"$KLPTOP" "$@" >/dev/null 2>"$TMP/err" &
	fi
	pid=$!
	sleep "$SETTLE"
}

stop_klptop() {
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

best() { # FILE KEY VALUE: keep the smallest VALUE per KEY
	old=$(awk -v k="$2" '$1 == k { print $2 }' "$1")
	if [ -z "$old" ] || awk -v a="$3" -v b="$old" 'BEGIN { exit !(a + 0 < b + 0) }'; then
		grep -v "^$2 " "$1" >"$1.tmp" || true
		echo "$2 $3" >>"$1.tmp"
		mv "$1.tmp" "$1"
	fi
}

: >"$TMP/best"
for rep in $(seq "$REPS"); do
	for mode in off $MODES; do
		start_klptop "$mode"
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "# $mode: klptop exited: $(tail -1 "$TMP/err")" >&2
			continue
		fi
		for l in $LOOPS; do
			best "$TMP/best" "$mode.$l" "$("$LOOP" "$ITERS" "$ROUNDS" "$l")"
		done
		stop_klptop
	done
done

echo "kernel $(uname -r), $ITERS iterations, best of $REPS x $ROUNDS, CPU ns per loop (ratio to off):"
printf '  %-14s %16s %16s\n' mode open+close "poll(64)"
for mode in off $MODES; do
	line=$(printf '  %-14s' "$mode")
	for l in $LOOPS; do
		v=$(awk -v k="$mode.$l" '$1 == k { print $2 }' "$TMP/best")
		o=$(awk -v k="off.$l" '$1 == k { print $2 }' "$TMP/best")
		case $v in
		'') line="$line $(printf '%16s' n/a)" ;;
		*) line="$line $(printf '%9s x%.3f' "$v" "$(awk -v a="$v" -v b="$o" 'BEGIN { print a / b }')")" ;;
		esac
	done
	echo "$line"
done
