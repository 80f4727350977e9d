# SPDX-License-Identifier: GPL-2.0
# never-dwait: tasks asleep uninterruptibly inside the patched
# klpt_sleep_in(): a user task reading the target's block_d file (an
# NFS-like hang) and a klpt_sleep_d kthread. A signal round wakes only
# interruptible sleepers, so klptop must say, from the first checks, that
# no signal round moves them (cause uninterruptible_wait, with the checks
# that show it and what would help: the wait's end, or a force), and still
# say it after a signal round went by without moving them. Releasing the
# wait ends the transition. The live view runs from before the load
# (klptop first, it sees the signal round go by), status comes after (the
# incident first).
# lab-timeout: 240
. /lib/klptop/lib.sh

lp_load klpt_target
cat /sys/kernel/debug/klpt/block_d >/tmp/bd.out &
READER=$!
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"
sleep 1
klptop_bg /tmp/batch.txt --batch -d 1
dmesg_mark
lp_load klpt_lp_fix

U="[.transition.groups[] | select(.comm == \"cat\" and .kthread == false)][0]"
K='[.transition.groups[] | select(.comm == "klpt_sleep_d")][0]'
# Before any signal round: already said.
klptop status --json --rounds 4 >/tmp/early.json
jq -M -c "$U, $K | {comm, state, never, verdict, t: .task | {checks_sleeping, checks_asleep, checks_uninterruptible, signal_rounds_seen}}" /tmp/early.json
check_json early-no-signal-round /tmp/early.json '.transition.signal_rounds == 0'
check_json early-user /tmp/early.json \
	"$U | .never == \"uninterruptible_wait\" and .verdict == \"wait_for_return\" and .state == \"D\""
check_json early-kthread /tmp/early.json \
	"$K | .never == \"uninterruptible_wait\" and .verdict == \"wait_for_return\""
check_json early-evidence /tmp/early.json \
	"$U.task | .checks_uninterruptible >= 3 and .checks_uninterruptible == .checks_sleeping"
check_json early-help /tmp/early.json \
	"$U.help | test(\"the end of the wait\") and test(\"forced transition\") and test(\"No signal round moves it\")"
check_json user-not-needs-signal /tmp/early.json \
	"[.transition.pending[] | select(.tid == $READER)][0] | .verdict == \"wait_for_return\" and .never == \"uninterruptible_wait\""

# After the first signal round (the kernel's 16th round, which it logs):
# not moved, still said. (A status started now counts a task's checks and
# signal rounds from the first check it watches.)
signal_round_logged() { dmesg_since_mark | grep -q "signaling remaining tasks"; }
wait_until 60 signal_round_logged ||
	fail signal-round-logged "no 'signaling remaining tasks' in dmesg"
klptop status --json --rounds 4 >/tmp/late.json
check_json signal-round-went-by /tmp/late.json '.transition.signal_rounds >= 1'
check_json user-still-pending /tmp/late.json "$U | .never == \"uninterruptible_wait\""
check_json kthread-still-pending /tmp/late.json "$K | .never == \"uninterruptible_wait\""
check_json reader-still-pending /tmp/late.json \
	"[.transition.pending[] | select(.tid == $READER)] | length == 1"
klptop status >/tmp/late.txt
grep -E '^transition:|signal rounds|^ +[0-9]+ +[0-9]+ +[0-9]+ |verdict:|evidence:|never switches' /tmp/late.txt
check text-never grep -q '^      never switches by itself (uninterruptible_wait); helps: the end of the wait' /tmp/late.txt
check text-evidence grep -Eq '^      evidence: checks [0-9]+: running 0, preempted 0, asleep ([0-9]+) \(uninterruptibly \1\); signal rounds seen [0-9]+$' /tmp/late.txt
klptop_stop
# The live view watched from the start: the signal round went by its tasks.
awk '/^=== klptop/ { if (cur != "") prev = cur; cur = "" } { cur = cur $0 "\n" } END { printf "%s", prev }' \
	/tmp/batch.txt >/tmp/last-frame.txt
grep -E 'verdict:|evidence:' /tmp/last-frame.txt
check view-through-signal grep -Eq 'user task sleeping uninterruptibly in klpt_sleep_in at all [0-9]+ checks, through [1-9][0-9]* signal rounds? that did not wake it' /tmp/last-frame.txt
check view-evidence grep -Eq 'evidence: checks [0-9]+: running 0, preempted 0, asleep [0-9]+ \(uninterruptibly [0-9]+\); signal rounds seen [1-9]' /tmp/last-frame.txt
check view-never grep -q 'never switches by itself (uninterruptible_wait); helps: the end of the wait' /tmp/last-frame.txt
klptop metrics >/tmp/m.txt
check metrics-cause grep -q '^klptop_transition_never_switch_tasks{patch="klpt_lp_fix",cause="uninterruptible_wait"} 2$' /tmp/m.txt

# The wait ends: both return from klpt_sleep_in and switch.
klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
wait "$READER"
check reader-released grep -q released /tmp/bd.out
lp_unload klpt_lp_fix && pass unloaded
rmmod klpt_target
