# SPDX-License-Identifier: GPL-2.0
# bench-shadow: what shadow leak detection sustains and costs (docs/perf.md,
# "Shadow variables"). Not part of the default lab run (lab.sh skips
# bench-*); run it through bench/shadow-bench.sh, which reads the "KLPTS"
# lines.
#  1. Free-hook cost: klpt_target's kfree_loop (N kmalloc(128)/kfree pairs
#     timed in the kernel) and bench/free-loop (open/close of /dev/null:
#     kmem_cache_free), best of 3 interleaved runs each, with no klptop,
#     with `klptop shadow --no-leaks`, with leak detection and no shadow
#     alive (idle), and with shadows alive (armed: every free looks up the
#     owner map), as ratios to no klptop.
#  2. Events sustained: klpt_lp_shadow_leak orphans every churn object (an
#     orphan and a stale-hit event each) at increasing rates, with the
#     default 256 KiB ring and a 16 KiB one; per rate: objects/s reached,
#     events/s, events dropped, probe hits missed, and whether the per-id
#     orphan count is exact.
# lab-timeout: 1500
. /lib/klptop/lib.sh

klpts() { echo "KLPTS $*"; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
LEAK='0x6b6c7001'
PAIRS=${PAIRS:-200000}
LOOPS=${LOOPS:-20000}

lp_load klpt_target

# klptop shadow in the background until the first interval is out.
start_klptop() { # OUT ARGS...
	_o=$1
	shift
	klptop shadow "$@" >"$_o" 2>/dev/null &
	KPID=$!
	wait_until 60 test -s "$_o" || die klptop-started "no output from klptop shadow $*"
}
stop_klptop() {
	kill -INT "$KPID" 2>/dev/null
	wait "$KPID" 2>/dev/null
}

measure() { # MODE: one kfree_loop and one free-loop figure
	case $1 in
	off) ;;
	noleaks) start_klptop /tmp/b.json --json -d 3600 --no-leaks ;;
	*) start_klptop /tmp/b.json --json -d 3600 ;;
	esac
	echo "$PAIRS" >"$KLPT_DEBUGFS/kfree_loop"
	k=$(cat "$KLPT_DEBUGFS/kfree_loop")
	f=$(free-loop "$LOOPS" 3)
	[ "$1" = off ] || stop_klptop
	klpts cost "$1" kfree_ns "$k" openclose_ns "$f"
}

# --- 1. free-hook cost -------------------------------------------------------
command -v free-loop >/dev/null || die bench-tools "free-loop not in the initramfs (bench/shadow-bench.sh builds it)"
for rep in 1 2 3; do
	for m in off noleaks idle; do measure $m; done
done
# Shadows alive (leaked ones: 16 addresses keep being reused by the churn).
lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30
klpt_knob churn "500 0 kmalloc"
wait_until 60 churn_done || die churn-armed "churn did not end"
for rep in 1 2 3; do
	for m in off noleaks armed; do measure $m; done
done
pass cost-measured

# --- 2. events sustained --------------------------------------------------------
for ring in 256 16; do
	for rate in 1000 5000 20000 0; do
		count=$((rate * 2))
		[ "$rate" = 0 ] && count=20000
		KLPTOP_SHADOW_RINGBUF_KB=$ring start_klptop /tmp/r.jsonl --json -d 1
		t0=$(uptime_s)
		klpt_knob churn "$count $rate kmalloc"
		wait_until 300 churn_done || die churn-rate "churn $count $rate did not end"
		t1=$(uptime_s)
		destroyed=$(stat_of destroyed)
		sleep 2
		stop_klptop
		grep '^{' /tmp/r.jsonl | tail -n 1 >/tmp/r.json
		jq -r --arg d "$destroyed" --arg secs "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
			--arg ring "$ring" --arg rate "$rate" '
			.shadows as $s | ([$s.ids[] | select(.id == "'$LEAK'")][0]) as $i |
			"rate \($ring) \($rate) destroyed \($d) secs \($secs) orphans \($i.orphans) " +
			"events \($s.orphans + $s.stale + $s.duplicates) delivered \([$s.leaks[].count] | add // 0) " +
			"dropped \($s.events_dropped) missed \($s.missed) missed_counted \($s.missed_counted)"' \
			/tmp/r.json | sed 's/^/KLPTS /'
	done
done
pass rates-measured
lp_unload klpt_lp_shadow_leak
