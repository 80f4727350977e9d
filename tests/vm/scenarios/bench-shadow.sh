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
#     owner map), as ratios to no klptop; best of 2 interleaved runs (each
#     klptop start costs a minute under TCG on a shared host).
#  2. Events sustained: klpt_lp_shadow_leak orphans every churn object (an
#     orphan and a stale-hit event each) at increasing rates (STEPS), with
#     the default 256 KiB ring and a 16 KiB one; per rate: objects/s reached,
#     events/s, events dropped, probe hits missed, and whether the per-id
#     orphan count is exact.
# lab-timeout: 1500
. /lib/klptop/lib.sh

klpts() { echo "KLPTS $*"; }
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
LEAK='0x6b6c7001'
PAIRS=200000        # kmalloc/kfree pairs per kfree_loop
LOOPS=20000         # open/close per free-loop round (3 rounds, best)
REPS='1 2'          # interleaved repetitions of the cost modes, best kept
# ring KiB:churn rate (objects/s, 0 = as fast as it goes)
STEPS='256:1000 256:5000 256:0 16:5000 16:0'

lp_load klpt_target

# klptop shadow in the background until the first interval is out.
start_klptop() { # OUT ARGS...
	_o=$1
	shift
	klptop shadow "$@" >"$_o" 2>"$_o.err" &
	KPID=$!
	if ! wait_until 180 test -s "$_o"; then
		stuck "$KPID" "no output after 180 s"
		die klptop-started "no output from klptop shadow $*"
	fi
}
# Where a klptop that does not go away is stuck (a run on a loaded host
# once stopped here): its state, wait channel and kernel stack, then -9.
stuck() { # PID WHAT
	log "klptop $1 $2: state $(awk '{ print $3 }' /proc/$1/stat 2>/dev/null)," \
		"wchan $(cat /proc/$1/wchan 2>/dev/null)"
	sed 's/^/#   /' /proc/$1/stack 2>/dev/null
	grep -E '^(SigPnd|ShdPnd|SigBlk|SigIgn)' /proc/$1/status 2>/dev/null | sed 's/^/#   /'
	for t in /proc/$1/task/*; do
		log "  thread ${t##*/}: $(cat $t/wchan 2>/dev/null)"
	done
}
stop_klptop() {
	kill -INT "$KPID" 2>/dev/null
	if ! wait_until 120 sh -c "! kill -0 $KPID"; then
		sed 's/^/#   stderr: /' "$_o.err" | head -n 5
		stuck "$KPID" "still running 120 s after SIGINT"
		kill -9 "$KPID"
	fi
	wait "$KPID" 2>/dev/null
}

# klptop samples every 2 s (-d 2): its first line says the probes are
# attached; a sample (two map dumps) per 2 s is part of what is measured.
measure() { # MODE: one kfree_loop and one free-loop figure
	case $1 in
	off) ;;
	noleaks) start_klptop /tmp/b.json --json -d 2 --no-leaks ;;
	*) start_klptop /tmp/b.json --json -d 2 ;;
	esac
	echo "$PAIRS" >"$KLPT_DEBUGFS/kfree_loop"
	k=$(cat "$KLPT_DEBUGFS/kfree_loop")
	f=$(free-loop "$LOOPS" 3)
	[ "$1" = off ] || stop_klptop
	klpts cost "$1" kfree_ns "$k" openclose_ns "$f"
}

# --- 1. free-hook cost -------------------------------------------------------
command -v free-loop >/dev/null || die bench-tools "free-loop not in the initramfs (bench/shadow-bench.sh builds it)"
for rep in $REPS; do
	for m in off noleaks idle; do measure $m; done
done
# Shadows alive (leaked ones: 16 addresses keep being reused by the churn).
lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30
klpt_knob churn "500 0 kmalloc"
wait_until 60 churn_done || die churn-armed "churn did not end"
for rep in $REPS; do
	for m in off armed; do measure $m; done
done
pass cost-measured

# --- 2. events sustained --------------------------------------------------------
for step in $STEPS; do
	ring=${step%:*} rate=${step#*:}
	{
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
		# What was attached, and what klptop said (a step that sees nothing).
		log "step $ring:$rate: missing $(jq -c '[.probes.missing[]?, .probes.why_not]' /tmp/r.json)," \
			"ids $(jq -c '[.shadows.ids[] | {id, allocs, orphans, stale, live, preexisting}]' /tmp/r.json)"
		sed 's/^/#   stderr: /' /tmp/r.jsonl.err | head -n 5
	}
done
pass rates-measured
lp_unload klpt_lp_shadow_leak
