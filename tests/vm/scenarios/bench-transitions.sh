# SPDX-License-Identifier: GPL-2.0
# bench-transitions: the transition benchmarks (docs/perf.md, "Transitions").
# Not part of the default lab run (lab.sh skips bench-*); run it through
# bench/transition-bench.sh, which reads the "KLPTB ..." lines.
#
# With N user threads asleep in pthread_cond_wait (bench/threads.c):
#  1. snapshot of every task's patch_state: BPF task iterator vs procfs
#     (bench/klpt-bench.c snap);
#  2. klp_try_complete_transition with N pending tasks (N klpt_sleep_d
#     kthreads sleeping uninterruptibly in the patched klpt_sleep_in, which
#     no signal round wakes), timed by a tracefs kprobe/kretprobe pair (mono
#     clock): klptop's probes (klpt-bench rounds, which also prints
#     klptop's own round_ns) detached and attached in turn every 10 s, then
#     klptop --batch -d 1 itself, then no probes again;
#  3. klptop --batch -d 1's CPU time over 30 s, during that transition and
#     with no transition.
# N is 10000, or the number ending the scenario's name: transition-bench.sh
# -n 2000 boots this file as bench-transitions-2000 (a temporary copy).
# lab-mem: 3072
# lab-timeout: 1800
. /lib/klptop/lib.sh

N=$(sed -n 's/.*klptop.scenario=bench-transitions-\([0-9][0-9]*\).*/\1/p' /proc/cmdline)
N=${N:-10000}
P=20  # seconds per round-timing phase
TR=/sys/kernel/tracing
klptb() { echo "KLPTB $*"; }
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

command -v klpt-bench >/dev/null && command -v threads >/dev/null ||
	die bench-tools "klpt-bench/threads not in the initramfs (bench/transition-bench.sh builds them)"
klptb n $N
klptb clk_tck 100
echo 4194304 >/proc/sys/kernel/pid_max
echo 1000000 >/proc/sys/kernel/threads-max
lp_load klpt_target

# --- N sleeping user threads ------------------------------------------------
t0=$(date +%s)
threads "$N" >/tmp/threads.out 2>&1 &
TPID=$!
wait_until 1200 grep -q ready /tmp/threads.out || die threads-started "$(cat /tmp/threads.out)"
klptb threads_created_s $(($(date +%s) - t0))
klptb tasks_total "$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)"
pass threads-started

# --- 1. snapshot: BPF iterator vs procfs ----------------------------------
klpt-bench snap 5 >/tmp/snap.txt 2>&1
sed 's/^/KLPTB idle /' /tmp/snap.txt
check snap-ran grep -q '^snap procfs' /tmp/snap.txt

# --- N pending tasks ------------------------------------------------------
t0=$(date +%s)
threads "$N" dsleep || die dsleepers "could not start $N D sleepers"
nd=$(grep -lx klpt_sleep_d /proc/[0-9]*/comm 2>/dev/null | wc -l)
klptb dsleepers "$nd" created_s $(($(date +%s) - t0))

echo mono >$TR/trace_clock
echo 4096 >$TR/buffer_size_kb
echo 'p:klptb/rb klp_try_complete_transition' >>$TR/kprobe_events
echo 'r:klptb/re klp_try_complete_transition' >>$TR/kprobe_events
echo 1 >$TR/events/klptb/enable || die tracefs "kprobe events unavailable"

t0=$(date +%s)
lp_load klpt_lp_fix
sleep 3
check in-transition _lp_file_is $KLPT_LP/klpt_lp_fix/transition 1

# phase NAME: round durations (us) and start times (s) over P seconds from
# the tracefs pair ("KLPTB round NAME US START"); P=0: what is in the buffer.
phase() {
	if [ "$P" -gt 0 ]; then
		echo >$TR/trace
		sleep "$P"
	fi
	cp $TR/trace "/tmp/trace.$1"
	awk -v ph="$1" '
		function ts(   i, t) {
			for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i; sub(":", "", t); return t }
		}
		/ rb: \(/ { st[$1] = ts(); next }
		/ re: \(/ { if ($1 in st) { printf "KLPTB round %s %.0f %s\n", ph, (ts() - st[$1]) * 1e6, st[$1]; delete st[$1] } }
	' "/tmp/trace.$1"
}

nrounds() { grep -c ' re: (' $TR/trace; }
after_round() {
	_r=$(nrounds)
	wait_until 20 sh -c "[ \$(grep -c ' re: (' $TR/trace) -gt $_r ]"
}

# Wait out round 1 (it checks every task; the others check the N pending).
sleep 5
# klptop's probes (klpt-bench rounds: trans_probe__open, the perf sampler
# included) detached and attached in turn, 10 s each, 4 times; every round
# is classified by the window it falls in ("mode on|off TS" lines).
echo >$TR/trace
klpt-bench rounds 84 10 >/tmp/rounds.txt 2>&1 || fail bench-rounds "$(tail -n 3 /tmp/rounds.txt)"
P=0
phase alt
P=20
sed 's/^/KLPTB bench /' /tmp/rounds.txt

t1=$(date +%s)
klptop --batch -d 1 >/tmp/batch.txt 2>&1 &
KPID=$!
wait_until 300 grep -q '^=== klptop' /tmp/batch.txt || fail klptop-started "no first frame"
klptb klptop_first_frame_s $(($(date +%s) - t1))
sleep 3
c0=$(cputicks $KPID)
phase klptop
sleep $((30 - P))
c1=$(cputicks $KPID)
klptb cpu transition ticks $((c1 - c0)) wall_s 30
klptb batch_bytes "$(wc -c </tmp/batch.txt)"
# Stop it just after a round: detaching the kprobes while a round ran
# crashed this kernel once (see klpt-bench.c, docs/perf.md).
after_round
kill -INT $KPID
wait $KPID

sleep 3
phase off2

# A snapshot while N tasks are pending (klptop's scan appends each one),
# and what one klptop --batch frame costs: fill vs print.
klpt-bench snap 3 >/tmp/snap2.txt 2>&1
sed 's/^/KLPTB pending /' /tmp/snap2.txt
klpt-bench fill 3 >/tmp/fill.txt 2>&1
sed 's/^/KLPTB /' /tmp/fill.txt

echo 0 >$TR/events/klptb/enable
echo >$TR/kprobe_events
check still-in-transition _lp_file_is $KLPT_LP/klpt_lp_fix/transition 1
t0=$(date +%s)
klpt_knob release 1
klptb release_s $(($(date +%s) - t0))
check transition-completes lp_wait_transition klpt_lp_fix 300

# --- 3b. klptop at 1 Hz with N threads and no transition -------------------
klptop --batch -d 1 >/tmp/batch2.txt 2>&1 &
KPID=$!
wait_until 300 grep -q '^=== klptop' /tmp/batch2.txt || fail klptop-idle-started "no first frame"
sleep 2
c0=$(cputicks $KPID)
sleep 30
c1=$(cputicks $KPID)
klptb cpu idle ticks $((c1 - c0)) wall_s 30
kill -INT $KPID
wait $KPID

lp_unload klpt_lp_fix 300 && pass unloaded
kill $TPID
wait $TPID 2>/dev/null
rmmod klpt_target && pass target-unloaded
