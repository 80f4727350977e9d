# SPDX-License-Identifier: GPL-2.0
# scale-groups: a stall with 2,000 pending tasks of two kinds, as on a big
# host: 1,000 user threads blocked in a read() that sleeps uninterruptibly
# in the patched klpt_sleep_in (bench/threads.c "blockd": no signal round
# moves them, so the stall lasts), and 1,000 klpt_sleep_d kthreads
# asleep in it uninterruptibly. klptop must show two groups with exact
# counts instead of 2,000 rows, keep every pending tid in status --json,
# drop nothing, and watch the kernel's per-task checks within its cost
# budget. The live view and `klptop record` run from before the load
# (klptop first), status comes after (incident first); the report of the
# recording tells the stall in a few rows, with every task followed.
# Correctness only: the cost is measured by bench/transition-bench.sh.
# lab-mem: 2048
# lab-timeout: 600
. /lib/klptop/lib.sh

N=1000
command -v threads >/dev/null || die threads-tool "threads not in the initramfs (make lab builds it)"
lp_load klpt_target
threads "$N" blockd >/tmp/users.out 2>&1 &
USERS=$!
wait_until 120 grep -q ready /tmp/users.out || die users-started "$(cat /tmp/users.out)"
threads "$N" dsleep >/tmp/ks.out 2>&1 || die kthreads-started "$(cat /tmp/ks.out)"
check kthreads-started test "$(grep -lx klpt_sleep_d /proc/[0-9]*/comm 2>/dev/null | wc -l)" -eq "$N"

klptop_bg /tmp/batch.txt --batch -d 1
record_bg /tmp/record.log /tmp/stall.klp --interval 1
lp_load klpt_lp_fix
sleep 8
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

# --- status after the stall began ------------------------------------------
klptop status --json >/tmp/s.json 2>/tmp/s.err
KG='[.transition.groups[] | select(.comm == "klpt_sleep_d")][0]'
UG='[.transition.groups[] | select(.comm == "threads" and .kthread == false)][0]'
check_json pending-all /tmp/s.json ".transition.tasks_pending >= $((2 * N))"
check_json kthread-group /tmp/s.json \
	"$KG | .count == $N and .kthread == true and .state == \"D\" and .reason == \"sleeping_on\" and .function == \"klpt_sleep_in\" and .verdict == \"wait_for_return\""
check_json user-group /tmp/s.json \
	"$UG | .count == $N and .state == \"D\" and .reason == \"sleeping_on\" and .function == \"klpt_sleep_in\""
check_json group-stack /tmp/s.json \
	"[$KG.task.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\""
check_json few-groups /tmp/s.json '(.transition.groups | length) <= 10'
# Exact totals: every pending task once, by reason; the groups' counts add up.
check_json reasons-exact /tmp/s.json \
	'(.transition.reasons | .running + .sleeping_on + .unreliable_stack + .unknown) == .transition.tasks_pending'
check_json reasons-sleeping /tmp/s.json ".transition.reasons.sleeping_on >= $((2 * N))"
check_json groups-add-up /tmp/s.json \
	'([.transition.groups[].count] | add) == .transition.tasks_pending'
# Every pending tid is listed, each in exactly one group.
check_json every-tid /tmp/s.json \
	'(.transition.pending | length) == .transition.tasks_pending and ([.transition.pending[].tid] | sort) == ([.transition.groups[].tids[]] | sort)'
check_json nothing-dropped /tmp/s.json \
	'.probes.missing == [] and ([.warnings[] | select(test("dropped|not tracked"))] | length) == 0'
check_json checks-watched /tmp/s.json \
	'.transition.checks.watched_round != null and .transition.checks.every >= 1'
klptop status >/tmp/s.txt 2>&1
sed -n '1,40p' /tmp/s.txt | sed 's/^/status| /'
check text-group-row grep -Eq "^ +$N +[0-9]+ +[0-9]+ klpt_sleep_d +kthread D +sleeping_on +klpt_sleep_in" /tmp/s.txt
check text-reasons grep -Eq "^  pending by reason: running 0 sleeping_on $((2 * N)) " /tmp/s.txt

# --- the live view, started before the load ---------------------------------
# The last complete frame: between the last two separators.
last_frame() {
	awk '/^=== klptop/ { if (cur != "") prev = cur; cur = "" } { cur = cur $0 "\n" } END { printf "%s", prev }' \
		/tmp/batch.txt >/tmp/last-frame.txt
}
# The frames follow the checks a round or two behind status: the kthreads'
# row, all of them in one group, within a few frames.
view_row() {
	last_frame
	grep -Eq "^ +$N +[0-9]+ +[0-9]+ klpt_sleep_d +kthread D sleeping_on +klpt_sleep_in" /tmp/last-frame.txt
}
check view-group-row wait_until 20 view_row
sed -n '/BLOCKERS/,/^$/p' /tmp/last-frame.txt | head -n 30 | sed 's/^/view| /'
check view-title-exact grep -Eq "BLOCKERS [0-9]+ of [0-9]+ pending, [0-9]+ groups?: running [0-9]+, sleeping_on [0-9]+" /tmp/last-frame.txt
# A frame costs what it shows: tens of lines, not one per pending task.
check view-frame-small test "$(wc -l </tmp/last-frame.txt)" -lt 200
klptop_stop

# --- the end -----------------------------------------------------------------
# The readers sleep uninterruptibly: the kill lands when the release lets
# them return (killed first, they cannot re-enter the read).
kill $USERS 2>/dev/null
klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 300
wait $USERS 2>/dev/null
sleep 2
kill -INT "$REC"
wait "$REC"
check record-exit-0 test $? -eq 0
cat /tmp/record.log
lp_unload klpt_lp_fix 120 && pass lp-unloaded

# --- the report of the recording ---------------------------------------------
# A few rows with their counts, not 2,000 paragraphs; every task followed.
# (Members that ended differently, a switch the probes saw or one inferred,
# are rows of their own.)
klptop report /tmp/stall.klp >/tmp/report.txt 2>&1
check report-exit-0 test $? -eq 0
sed -n '/^Stragglers:/,/^[A-Z]/p' /tmp/report.txt | head -n 40 | sed 's/^/report| /'
check report-kthread-row grep -Eq "^  [0-9]+ x klpt_sleep_d \(kthreads\) held klpt_lp_fix: blocked .* reason sleeping_on" /tmp/report.txt
check report-user-row grep -Eq "^  [0-9]+ x threads \(user threads\) held klpt_lp_fix: " /tmp/report.txt
check report-rows-few test "$(sed -n '/^Stragglers:/,/^[A-Z]/p' /tmp/report.txt | wc -l)" -lt 80
klptop report --json /tmp/stall.klp >/tmp/report.json
check_json report-every-task /tmp/report.json \
	"(.stragglers | length) >= $((2 * N)) and ([.straggler_groups[].count] | add) == (.stragglers | length) and .tasks_untracked == 0"
check_json report-kthreads-counted /tmp/report.json \
	"([.straggler_groups[] | select(.comm == \"klpt_sleep_d\" and .function == \"klpt_sleep_in\") | .count] | add) == $N"
check_json report-users-counted /tmp/report.json \
	"([.straggler_groups[] | select(.comm == \"threads\" and .kthread == false) | .tids[]] | length) == $N"
check_json report-groups-few /tmp/report.json '(.straggler_groups | length) <= 10'
check_json report-all-ended /tmp/report.json \
	'[.straggler_groups[] | select(.switched_how == null)] | length == 0'
# Most snapshots of the stall were written compactly (each task's pid, tid,
# comm, failed rounds and group): on average well under a full one.
jq -c . /tmp/s.json | gzip -6 | wc -c >/tmp/full.bytes
check_json record-compact /tmp/report.json \
	"(.chunk_bytes.snapshot / .snapshots) < 0.6 * $(cat /tmp/full.bytes)"
# --replay reads them back: the kthreads' row in frames of compact
# snapshots too (at most 1 in 10 is full).
klptop --replay /tmp/stall.klp --batch >/tmp/replay.txt 2>&1
check replay-exit-0 test $? -eq 0
check replay-group-rows test "$(grep -Ec "^ +$N +[0-9]+ +[0-9]+ klpt_sleep_d +kthread D sleeping_on +klpt_sleep_in" /tmp/replay.txt)" -ge 10
