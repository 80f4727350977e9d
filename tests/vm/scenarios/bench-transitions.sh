# SPDX-License-Identifier: GPL-2.0
# bench-transitions: the transition benchmarks (docs/perf.md, "Transitions").
# Not part of the default lab run (lab.sh skips bench-*); run it through
# bench/transition-bench.sh, which reads the "KLPTB ..." lines.
#
# N pending tasks, half of them user threads blocked uninterruptibly in a
# read() of the lab device (bench/threads.c "blockd": no signal round moves
# them) and half klpt_sleep_d kthreads, all asleep in the patched
# klpt_sleep_in:
#  0. klptop's memory with 10 pending tasks, for the comparison in 6;
#  1. one walk of every task: a bare BPF iterator pass (counts only),
#     klptop's own pass, procfs (bench/klpt-bench.c snap);
#  2. klp_try_complete_transition's duration, timed by a tracefs
#     kprobe/kretprobe pair (mono clock), in alternating 10 s windows:
#     nothing vs klptop's probes with every round watched (what a watched
#     round costs), and nothing vs the kernel's own pr_debug lines (dynamic
#     debug: the obvious alternative);
#  3. klptop --batch -d 1 as a user runs it (watching rounds within its
#     budget): its first frame, the rounds meanwhile, its CPU time over 30 s
#     (against one bare iterator pass per second), its memory; then no
#     probes again;
#  4. one frame's fill and print (klpt-bench fill); klptop's CPU with N
#     threads and no transition.
# N is 10000, or what bench-params says (bench/transition-bench.sh -n puts
# it in the initramfs: nothing is written into the source tree).
# lab-mem: 3072
# lab-timeout: 2400
. /lib/klptop/lib.sh

N=10000
command -v bench-params >/dev/null && eval "$(bench-params)"
P=20  # seconds per round-timing phase
TR=/sys/kernel/tracing
klptb() { echo "KLPTB $*"; }
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }  # busybox date has no %N
rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

command -v klpt-bench >/dev/null && command -v threads >/dev/null ||
	die bench-tools "klpt-bench/threads not in the initramfs (bench/transition-bench.sh builds them)"
klptb n $N
klptb clk_tck 100
echo 4194304 >/proc/sys/kernel/pid_max
echo 1000000 >/proc/sys/kernel/threads-max
lp_load klpt_target

# --- 0. memory with 10 pending ------------------------------------------------
threads 10 dsleep || die small-sleepers "could not start 10 D sleepers"
lp_load klpt_lp_fix
klptop --batch -d 1 >/tmp/small.txt 2>&1 &
KPID=$!
wait_until 300 grep -q '^=== klptop' /tmp/small.txt || fail small-started "no first frame"
sleep 8
klptb rss pending 10 hwm_kb "$(rss_kb $KPID)"
kill -INT $KPID
wait $KPID
klpt_knob release 1
check small-completes lp_wait_transition klpt_lp_fix 120
lp_unload klpt_lp_fix 120 || die small-unload "klpt_lp_fix did not unload"

# --- N pending tasks of two kinds ---------------------------------------------
t0=$(date +%s)
threads $((N / 2)) blockd >/tmp/threads.out 2>&1 &
TPID=$!
wait_until 1200 grep -q ready /tmp/threads.out || die threads-started "$(cat /tmp/threads.out)"
# "ready" is said when the threads exist; each then blocks in read(). Load
# the patch only once all are in D, or the late ones switch at once.
in_d() { grep -l '^State:.*disk sleep' /proc/$TPID/task/*/status 2>/dev/null | wc -l; }
tries=30  # at most about 2 minutes: the figures are ratios, a few late readers do not change them
while [ "$(in_d)" -lt $((N / 2)) ] && [ $tries -gt 0 ]; do
	sleep 4
	tries=$((tries - 1))
done
klptb blockd_in_d "$(in_d)"
threads $((N - N / 2)) dsleep || die dsleepers "could not start the D sleepers"
klptb threads_created_s $(($(date +%s) - t0))
klptb tasks_total "$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)"
pass threads-started

# --- 1. a walk of every task, no transition -----------------------------------
klpt-bench snap 5 >/tmp/snap.txt 2>&1
sed 's/^/KLPTB idle /' /tmp/snap.txt
check snap-ran grep -q '^snap procfs' /tmp/snap.txt

echo mono >$TR/trace_clock
echo 8192 >$TR/buffer_size_kb
echo 'p:klptb/rb klp_try_complete_transition' >>$TR/kprobe_events
echo 'r:klptb/re klp_try_complete_transition' >>$TR/kprobe_events
echo 1 >$TR/events/klptb/enable || die tracefs "kprobe events unavailable"

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
	awk -v ph="$1" '
		function ts(   i, t) {
			for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { t = $i; sub(":", "", t); return t }
		}
		/ rb: \(/ { st[$1] = ts(); next }
		/ re: \(/ { if ($1 in st) { printf "KLPTB round %s %.0f %s\n", ph, (ts() - st[$1]) * 1e6, st[$1]; delete st[$1] } }
	' $TR/trace
}

nrounds() { grep -c ' re: (' $TR/trace; }
after_round() {
	_r=$(nrounds)
	wait_until 20 sh -c "[ \$(grep -c ' re: (' $TR/trace) -gt $_r ]"
}

# Wait out round 1 (it checks every task; the others check the N pending).
sleep 5
# --- 2. a watched round, and the alternative ----------------------------------
echo >$TR/trace
klpt-bench rounds 84 10 >/tmp/rounds.txt 2>&1 || fail bench-rounds "$(tail -n 3 /tmp/rounds.txt)"
P=0
phase alt
sed 's/^/KLPTB bench /' /tmp/rounds.txt
echo >$TR/trace
klpt-bench dyndbg 84 10 >/tmp/dyndbg.txt 2>&1 || fail bench-dyndbg "$(tail -n 3 /tmp/dyndbg.txt)"
phase dyn
sed 's/^/KLPTB dyndbg /' /tmp/dyndbg.txt
P=20

# --- 3. klptop as a user runs it -----------------------------------------------
t1=$(uptime_ms)
klptop --batch -d 1 >/tmp/batch.txt 2>&1 &
KPID=$!
wait_until 300 grep -q '^=== klptop' /tmp/batch.txt || fail klptop-started "no first frame"
klptb klptop_first_frame_ms $(($(uptime_ms) - t1))
sleep 3
c0=$(cputicks $KPID)
echo >$TR/trace
sleep 30
c1=$(cputicks $KPID)
P=0
phase klptop
P=20
klptb cpu transition ticks $((c1 - c0)) wall_s 30
klptb rss pending $N hwm_kb "$(rss_kb $KPID)"
klptb batch_bytes "$(wc -c </tmp/batch.txt)"
grep 'checks: \|^BLOCKERS' /tmp/batch.txt | tail -n 2 | sed 's/^/KLPTB frame /'
# Stop it just after a round (see klpt-bench.c, docs/perf.md).
after_round
kill -INT $KPID
wait $KPID

sleep 3
phase off2

# --- 4. one frame; no transition ----------------------------------------------
klpt-bench snap 3 >/tmp/snap2.txt 2>&1
sed 's/^/KLPTB pending /' /tmp/snap2.txt
klpt-bench fill 3 >/tmp/fill.txt 2>&1
sed 's/^/KLPTB /' /tmp/fill.txt

echo 0 >$TR/events/klptb/enable
echo >$TR/kprobe_events
check still-in-transition _lp_file_is $KLPT_LP/klpt_lp_fix/transition 1
t0=$(date +%s)
# The readers sleep uninterruptibly: killed first, released next.
kill $TPID 2>/dev/null
klpt_knob release 1
klptb release_s $(($(date +%s) - t0))
check transition-completes lp_wait_transition klpt_lp_fix 600
wait $TPID 2>/dev/null

threads $((N / 2)) >/tmp/idle-threads.out 2>&1 &
IPID=$!
wait_until 1200 grep -q ready /tmp/idle-threads.out
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
kill $IPID 2>/dev/null

lp_unload klpt_lp_fix 300 && pass unloaded
rmmod klpt_target && pass target-unloaded
