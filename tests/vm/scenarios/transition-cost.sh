# SPDX-License-Identifier: GPL-2.0
# transition-cost: what a transition costs and how long its tasks take
# (issue 18). A user task sleeps in the patched klpt_sleep_in() (a read of
# the target's `block` file): most tasks switch at the first round's check,
# the reader only after the 15th failed round's fake signal, at its exit to
# user space. Started first, the live view, an exporter and a recorder see
# every round timed (the kernel walks every task under tasklist_lock), the
# slowest named, the switches by phase and their times: in the view's
# transition panel, report (text, JSON, the trace's counters), the replay,
# and the Prometheus histograms. Started after the incident, status and a
# second recorder time the rounds they see but cannot know which round was
# the first, and say so.
# lab-timeout: 360
. /lib/klptop/lib.sh

PROM=/tmp/prom/klptop.prom
recording() { grep -q 'recording to' "$1"; }
# prom NAME: the value of the sample NAME (exact name and labels).
prom() { awk -v n="$1" '$1 == n { print $2; exit }' "$PROM"; }

lp_load klpt_target
cat /sys/kernel/debug/klpt/block >/tmp/block.out &
READER=$!
sleep 1

# ---- klptop first ------------------------------------------------------------
mkdir -p /tmp/prom
klptop metrics --textfile /tmp/prom -d 1 >/tmp/exporter.log 2>&1 &
EXPORTER=$!
klptop record -o /tmp/cost.klpt --until-stable --interval 1 >/tmp/rec.log 2>&1 &
REC=$!
klptop_bg /tmp/batch.txt --batch -d 1
wait_until 90 recording /tmp/rec.log || die record-started "no 'recording to' line: $(tail -n 1 /tmp/rec.log)"
wait_until 90 grep -q '^klptop_transition_round_duration_seconds_count' "$PROM" ||
	die exporter-started "no round histogram in $PROM: $(tail -n 1 /tmp/exporter.log)"
check exporter-no-rounds-yet test "$(prom klptop_transition_round_duration_seconds_count)" = 0

lp_load klpt_lp_fix
sleep 4

# 15 failed rounds (about 15 s) until the fake signal frees the reader.
check transition-completes lp_wait_transition klpt_lp_fix 60
sleep 3
klptop_stop
wait_until 20 sh -c "! kill -0 $REC 2>/dev/null" || { kill -INT $REC; fail record-until-stable "still running"; }
kill -INT $EXPORTER
wait $EXPORTER

# ---- the live view ------------------------------------------------------------
grep -E '^  (cost|phases): ' /tmp/batch.txt | tail -n 2
check view-cost-line grep -Eq '^  cost: [0-9]+ rounds timed: mean [0-9.]+(us|ms), max [0-9.]+(us|ms|s) \(round [0-9]+, ([0-9]+ tasks?|checks not watched)\), last ' /tmp/batch.txt
check view-phases-line grep -Eq "^  phases: ([1-9][0-9]* by the first round's check|the first round's checks not watched)" /tmp/batch.txt

# ---- report ------------------------------------------------------------------
klptop report /tmp/cost.klpt >/tmp/cost.txt 2>&1
check report-exit-0 test $? -eq 0
sed -n '/^Transitions/,/^Convergence/p' /tmp/cost.txt
check report-cost-section grep -q '^Cost (rounds walk every task under tasklist_lock):' /tmp/cost.txt
check report-rounds-timed grep -Eq '^  klpt_lp_fix -> patched: [0-9]+ rounds timed: mean .*, max .* \(round [0-9]+, ([0-9]+ tasks?|checks not watched)\)' /tmp/cost.txt
check report-slowest grep -Eq '^    slowest rounds: #[0-9]+ [0-9.]+(us|ms|s) \(([0-9]+ tasks?|checks not watched), \+[0-9.]+ s\)' /tmp/cost.txt
check report-phases grep -Eq "^    switched: ([1-9][0-9]* by the first round's check|the first round's checks not watched), .*at exit to user space.*; of the tasks that failed a check: [1-9][0-9]* switched \([1-9][0-9]* after a signal round\)" /tmp/cost.txt
check report-switch-times grep -Eq '^    time to switch: <=' /tmp/cost.txt
klptop report --json /tmp/cost.klpt >/tmp/cost.json
T='[.transitions[] | select(.patch == "klpt_lp_fix")][0]'
jq -c "$T.cost" /tmp/cost.json
# Every round is timed; the last one ran klp_complete_transition and is
# kept apart (its RCU waits are no walk under tasklist_lock).
check_json report-every-round-timed /tmp/cost.json \
	"$T.cost.rounds.count + 1 == $T.rounds and $T.cost.completion_round == $T.rounds and $T.rounds >= 15"
check report-completion grep -Eq '^    completion: round [0-9]+ took [0-9.]+(us|ms|s), with klp_complete_transition' /tmp/cost.txt
check_json report-slowest-is-max /tmp/cost.json \
	"$T.cost.slowest_rounds[0].ns == $T.cost.rounds.max_ns and $T.cost.rounds.max_ns > 0 and ($T.cost.slowest_rounds | length) == 5"
# The first round runs inside klp_enable_patch(): whether its checks were
# watched depends on when the check probes attach; either way it says so.
check_json report-first-round /tmp/cost.json \
	"$T.cost.start_seen == true and (($T.cost.first_round_watched and $T.cost.first_round > 0) or ($T.cost.first_round_watched == false and $T.cost.first_round == null))"
# The probes' counts by how tasks switched (stack checks, forks, exits to
# user space...) while it ran: never all zero on a transition of 60 tasks.
check_json report-switched-counted /tmp/cost.json "($T.switched | add) > 0"
check_json report-freed-by-signal /tmp/cost.json "$T.cost.after_signals >= 1 and $T.signal_rounds >= 1"
# The reader waited for the 15th failed round: its switch came after 14 s.
check_json report-reader-took-longest /tmp/cost.json "$T.cost.switch_times.max_ns >= 14000000000"
check_json report-hist-adds-up /tmp/cost.json \
	"($T.cost.rounds.counts | add) == $T.cost.rounds.count and ($T.cost.switch_times.counts | add) == $T.cost.switch_times.count"
klptop report --format chrome /tmp/cost.klpt >/tmp/cost.trace
check_json trace-round-counters /tmp/cost.trace \
	"[.traceEvents[] | select(.ph == \"C\" and .name == \"round duration (us)\")] | length == $(jq "$T.rounds" /tmp/cost.json)"

# ---- replay: the same figures, frame by frame ---------------------------------
klptop --replay /tmp/cost.klpt --batch -W 0 >/tmp/replay.txt 2>/dev/null
check replay-cost-line grep -Eq '^  cost: [0-9]+ rounds timed: ' /tmp/replay.txt
LAST=$(grep -E '^  cost: ' /tmp/replay.txt | tail -n 1 | sed 's/^  cost: \([0-9]*\) rounds.*/\1/')
check replay-counts-rounds test "${LAST:-0}" -ge 10

# ---- the exporter's histograms --------------------------------------------------
grep -E '^klptop_transition_(round_)?duration_seconds_(count|sum)' "$PROM"
check metrics-one-transition test "$(prom klptop_transition_duration_seconds_count)" = 1
check metrics-transition-took-14s awk -v s="$(prom klptop_transition_duration_seconds_sum)" 'BEGIN { exit !(s >= 14) }'
check metrics-rounds-counted test "$(prom klptop_transition_round_duration_seconds_count)" -ge "$(jq "$T.cost.rounds.count" /tmp/cost.json)"
check metrics-inf-is-count test "$(prom 'klptop_transition_round_duration_seconds_bucket{le="+Inf"}')" = \
	"$(prom klptop_transition_round_duration_seconds_count)"
# Cumulative buckets never decrease.
check metrics-buckets-cumulative awk '/^klptop_transition_round_duration_seconds_bucket/ { if ($2 < prev) exit 1; prev = $2 }' "$PROM"

check reader-still-blocked kill -0 "$READER"
klpt_knob release 1
wait "$READER"

# ---- the incident first, klptop after it ------------------------------------------
# A kthread asleep in D in the patch's own klpt_sleep_in holds the disable
# (its transition to unpatched) until it is released.
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"
lp_disable klpt_lp_fix
sleep 2
check disable-held _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
klptop record -o /tmp/late.klpt --until-stable --interval 1 >/tmp/late.log 2>&1 &
LATE=$!
wait_until 90 recording /tmp/late.log || die late-record-started "no 'recording to' line"
klptop status --json --rounds 3 >/tmp/s.json
L='.transition.cost'
check_json late-status-times-rounds /tmp/s.json "$L.rounds.count >= 3"
check_json late-status-no-first-round /tmp/s.json "$L.start_seen == false and $L.first_round == null"
check_json late-status-slowest /tmp/s.json \
	"$L.slowest_rounds[0].ns == $L.rounds.max_ns and $L.rounds.max_ns > 0"
sleep 3
klpt_knob release 1
check disable-completes lp_wait_transition klpt_lp_fix 60
wait_until 20 sh -c "! kill -0 $LATE 2>/dev/null" || { kill -INT $LATE; fail late-until-stable "still running"; }
klptop report --json /tmp/late.klpt >/tmp/late.json
U='[.transitions[] | select(.patch == "klpt_lp_fix" and .target == "unpatched")][0]'
check_json late-report-no-first-round /tmp/late.json \
	"$U.cost.start_seen == false and $U.cost.first_round == null and $U.cost.rounds.count >= 3 and $U.cost.rounds.count + 1 == $U.rounds"
klptop report /tmp/late.klpt >/tmp/late.txt 2>&1
sed -n '/^Cost/,/^Convergence/p' /tmp/late.txt
check late-report-says-so grep -Eq "^    switched: [0-9]+ by a round's check" /tmp/late.txt
lp_unload klpt_lp_fix && pass unloaded
