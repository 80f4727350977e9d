# SPDX-License-Identifier: GPL-2.0
# transition-sleep: kthreads sleeping inside the patched klpt_sleep_in(), one
# uninterruptibly (D) and one interruptibly (S). klptop must say "sleeping on
# klpt_sleep_in", mark it on the stack the kernel judged, and tell the two
# apart (signal rounds wake only S). Releasing them completes the
# transition; the batch view, started before the load, reports its duration.
# lab-timeout: 150
. /lib/klptop/lib.sh

lp_load klpt_target
klpt_knob sleep D
klpt_knob sleep S
wait_until 5 has_comm klpt_sleep_d || die sleepers-started "klpt_sleep_d did not start"
wait_until 5 has_comm klpt_sleep_s || die sleepers-started "klpt_sleep_s did not start"
klptop_bg /tmp/batch.txt --batch -d 1
sleep 2
lp_load klpt_lp_fix
sleep 2
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

klptop status --json > /tmp/s.json
D='[.transition.pending[] | select(.comm == "klpt_sleep_d")][0]'
S='[.transition.pending[] | select(.comm == "klpt_sleep_s")][0]'
check_json d-sleeping-on /tmp/s.json \
	"$D.reason == \"sleeping_on\" and $D.function == \"klpt_sleep_in\""
check_json d-judged-stack-marked /tmp/s.json \
	"[$D.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\""
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
lp_unload klpt_lp_fix && pass unloaded
