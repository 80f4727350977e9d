#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What leak detection costs every slab free (docs/perf.md, "Shadow
# variables"). Free-heavy loops (bench/free-loop.c): open/close of
# /dev/null (3 kmem_cache_free per loop), poll() of 64 descriptors (1 kfree
# per loop) and timerfd create/close (a kfree_rcu() per loop, which the
# kvfree_call_rcu kprobe sees), timed in these modes, interleaved REPS
# times, best of each:
#   off           no klptop
#   noleaks       klptop shadow --no-leaks (free hooks never attached)
#   idle          klptop shadow, no shadow alive (hooks off: the default)
#   exporter      klptop metrics --textfile DIR (the exporter's default)
#   hooks         both free hooks forced on, no shadow alive (KLPTOP_BENCH_HOOKS)
#   armed         hooks on, every free looks up owners, no filter (KLPTOP_BENCH_ARM)
#   shadows       10,000 live shadows on kmalloc objects no free touches
#                 (KLPTOP_BENCH_SHADOWS=10000: the kfree hook on, with the filter)
#   shadows-cache the same on objects of another slab cache (both hooks on)
# klptop shadow runs as by default (a table every second, here in JSON); a
# mode is timed once klptop says its hooks are as the mode wants them.
# Times are the loop's CPU time (user + system), not wall time.
# Run as root. Usage: bench/shadow-free-cost.sh [ITERS] [ROUNDS] [REPS]
# Env: KLPTOP (binary), LOOP (free-loop binary, else built with cc), LOOPS,
# MODES
# (a subset, in order; off always first), NSHADOWS (10000), READY (s to wait
# for klptop, 60), SETTLE (s after it is ready, 1).
set -e
cd "$(dirname "$0")/.."
ITERS=${1:-20000}
ROUNDS=${2:-40}
REPS=${3:-3}
SETTLE=${SETTLE:-1}
READY=${READY:-60}
NSHADOWS=${NSHADOWS:-10000}
MODES=${MODES:-"noleaks idle exporter hooks armed shadows shadows-cache"}
LOOPS=${LOOPS:-"open poll timerfd"}
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

# The hooks a mode runs with, once klptop has settled (jq on free_hooks).
hooks_of() {
	case $1 in
	noleaks) echo '. == null and $s.leak_detection == false' ;;
	idle) echo '(.kfree or .kmem_cache_free) | not' ;;
	hooks | armed | shadows-cache) echo '.kfree and .kmem_cache_free' ;;
	shadows) echo '.kfree and (.kmem_cache_free | not)' ;;
	esac
}

start_klptop() { # MODE: start klptop as the mode wants it; $pid, or empty
	pid=
	case $1 in
	off) return ;;
	exporter)
		"$KLPTOP" metrics --textfile "$TMP" >/dev/null 2>"$TMP/err" &
		pid=$!
		wait_for "test -s $TMP/klptop.prom"
		return ;;
	noleaks) set -- --no-leaks ;;
	idle) set -- ;;
	hooks) set -- KLPTOP_BENCH_HOOKS=1 ;;
	armed) set -- KLPTOP_BENCH_ARM=1 ;;
	shadows) set -- KLPTOP_BENCH_SHADOWS="$NSHADOWS" ;;
	shadows-cache) set -- KLPTOP_BENCH_SHADOWS="$NSHADOWS:cache" ;;
	esac
	case $1 in
	KLPTOP_*) env "$1" "$KLPTOP" shadow --json >"$TMP/out" 2>"$TMP/err" & ;;
	*) "$KLPTOP" shadow --json "$@" >"$TMP/out" 2>"$TMP/err" & ;;
	esac
	pid=$!
	# (jq 1.6 -e says yes to no input at all: the line must be there)
	wait_for "tail -n 1 $TMP/out | grep -q '^{' && tail -n 1 $TMP/out |
		  jq -e '.shadows as \$s | .shadows.free_hooks | $(hooks_of "$mode")'"
}

alive() { # PID: running (an exited child stays a zombie until waited for)
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

wait_for() { # CMD: until it succeeds or klptop exits or READY s pass
	n=$((READY * 5))
	while [ $n -gt 0 ] && alive "$pid"; do
		if sh -c "$1" >/dev/null 2>&1; then
			sleep "$SETTLE"
			return 0
		fi
		sleep 0.2
		n=$((n - 1))
	done
	if alive "$pid"; then
		echo "# $mode: klptop not ready after $READY s" >&2
	else
		echo "# $mode: klptop exited: $(tail -n 1 "$TMP/err" "$TMP/out" 2>/dev/null | grep -v '^==' | tail -n 1)" >&2
	fi
	return 1
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
		if ! start_klptop "$mode"; then
			stop_klptop
			continue
		fi
		for l in $LOOPS; do
			best "$TMP/best" "$mode.$l" "$("$LOOP" "$ITERS" "$ROUNDS" "$l")"
		done
		stop_klptop
	done
done

echo "kernel $(uname -r), $ITERS iterations, best of $REPS x $ROUNDS, CPU ns per loop (ratio to off):"
line=$(printf '  %-14s' mode)
for l in $LOOPS; do
	line="$line $(printf '%16s' "$l")"
done
echo "$line"
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
