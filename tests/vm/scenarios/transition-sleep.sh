# SPDX-License-Identifier: GPL-2.0
# transition-sleep: kthreads sleeping inside the patched klpt_sleep_in(), one
# uninterruptibly (D) and one interruptibly (S). klptop must say "sleeping on
# klpt_sleep_in", mark it on the stack the kernel judged, and tell the two
# apart (signal rounds wake only S). Releasing them completes the
# transition; the batch view, started before the load, reports its duration,
# and a recording made alongside tells the same story in its report.
# lab-timeout: 150
. /lib/klptop/lib.sh

lp_load klpt_target
klpt_knob sleep D
klpt_knob sleep S
wait_until 5 has_comm klpt_sleep_d || die sleepers-started "klpt_sleep_d did not start"
wait_until 5 has_comm klpt_sleep_s || die sleepers-started "klpt_sleep_s did not start"
klptop_bg /tmp/batch.txt --batch -d 1
record_bg /tmp/rec.log /tmp/sleep.klp --until-stable --interval 1
sleep 1
lp_load klpt_lp_fix
sleep 2
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

klptop status --json > /tmp/s.json
D='[.transition.pending[] | select(.comm == "klpt_sleep_d")][0]'
S='[.transition.pending[] | select(.comm == "klpt_sleep_s")][0]'
D_T='[.transition.groups[] | select(.comm == "klpt_sleep_d")][0].task'
check_json d-sleeping-on /tmp/s.json \
	"$D.reason == \"sleeping_on\" and $D.function == \"klpt_sleep_in\""
check_json d-judged-stack-marked /tmp/s.json \
	"[$D_T.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\""
check_json d-state /tmp/s.json "$D.state == \"D\" and $D.kthread == true"
check_json d-verdict-wait-return /tmp/s.json "$D.verdict == \"wait_for_return\""
check_json s-sleeping-on /tmp/s.json \
	"$S.reason == \"sleeping_on\" and $S.function == \"klpt_sleep_in\""
check_json s-verdict-signal /tmp/s.json "$S.verdict == \"needs_signal\""
klptop status > /tmp/s.txt
check text-sleeping-on grep -q 'klpt_sleep_d .*sleeping_on *klpt_sleep_in' /tmp/s.txt

klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
sleep 2
klptop_stop
check batch-blocker-row grep -q 'klpt_sleep_d' /tmp/batch.txt
check batch-duration grep -Eq 'ended: klpt_lp_fix -> patched completed after [0-9.]+s' /tmp/batch.txt
check batch-straggler grep -Eq 'straggler klpt_sleep_d .*sleeping_on klpt_sleep_in, switched by (stack_check|idle|exit)' /tmp/batch.txt
grep -E 'ended|straggler' /tmp/batch.txt | tail -3
wait_until 15 sh -c "! kill -0 $REC 2>/dev/null" || { kill -TERM $REC; fail record-until-stable "still running"; }
klptop report /tmp/sleep.klp >/tmp/sleep.txt 2>&1
check report-exit-0 test $? -eq 0
sed -n '/^Transitions/,/^Shadow/p' /tmp/sleep.txt
check report-completed grep -Eq '^  klpt_lp_fix -> patched: start .*outcome completed' /tmp/sleep.txt
check report-d-straggler grep -Eq '^  klpt_sleep_d \(pid [0-9]+ tid [0-9]+, kthread\) held klpt_lp_fix: .*reason sleeping_on' /tmp/sleep.txt
check report-s-straggler grep -Eq '^  klpt_sleep_s \(pid [0-9]+ tid [0-9]+, kthread\) held klpt_lp_fix: .*reason sleeping_on' /tmp/sleep.txt
check report-function grep -q 'function: klpt_sleep_in' /tmp/sleep.txt
klptop report --format chrome /tmp/sleep.klp >/tmp/sleep.trace.json
check_json report-chrome-tracks /tmp/sleep.trace.json \
	'[.traceEvents[] | select(.ph == "M" and .name == "thread_name") | .args.name] | any(test("klpt_sleep_d"))'
lp_unload klpt_lp_fix && pass unloaded
