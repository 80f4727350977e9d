# SPDX-License-Identifier: GPL-2.0
# transition-force: the spinning kthread holds the fix patch's transition.
# (1) Disabling the patch reverses the transition. Every task then switches
#     back, but the transition still does not end: unpatching unregisters the
#     patch's ftrace ops, which waits in synchronize_rcu_tasks() for the
#     spinner to schedule voluntarily, and it never does. klptop must say so
#     and name the spinner as the RCU-tasks holdout. Stopping it ends the
#     reversal.
# (2) Loaded again with the spinner running, the patch is forced: klptop
#     reports the force and what was unsafe at that moment (klpt_spin,
#     running in klpt_spin_step).
# lab-append: preempt=full
# lab-timeout: 180
. /lib/klptop/lib.sh

lp_load klpt_target
klpt_knob spin 1
wait_until 5 has_comm klpt_spin || die spinner-started "klpt_spin did not start"
klptop_bg /tmp/batch.txt --batch -d 1
sleep 2
lp_load klpt_lp_fix
sleep 4
check stuck _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
echo 0 > /sys/kernel/livepatch/klpt_lp_fix/enabled
sleep 3
# A klptop started now must answer, not hang on ftrace_lock, which the
# stuck completion holds.
timeout 60 klptop status --json > /tmp/rev.json
check status-answers test $? -eq 0
check_json reversal-target /tmp/rev.json '.transition.target == "unpatched" and .transition.tasks_pending == 0'
check_json ftrace-busy-said /tmp/rev.json '.probes.why_not | test("ftrace_lock")'
check_json reversal-holdout /tmp/rev.json \
	'[.transition.rcu_tasks_holdouts[] | select(.comm == "klpt_spin")] | length == 1'
check_json reversal-verdict /tmp/rev.json '.transition.verdict_text | test("synchronize_rcu_tasks")'
check batch-completing grep -q 'verdict: all tasks switched, but klp_complete_transition waits' /tmp/batch.txt
klpt_knob spin 0
check reversal-completes lp_wait_transition klpt_lp_fix 30
wait_until 10 test ! -d /sys/kernel/livepatch/klpt_lp_fix
check unloaded-after-reversal rmmod klpt_lp_fix

klpt_knob spin 1
wait_until 5 has_comm klpt_spin || die spinner-restarted "klpt_spin did not restart"
lp_load klpt_lp_fix
sleep 5
check stuck-again _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
echo 1 > /sys/kernel/livepatch/klpt_lp_fix/force
check forced-completes lp_wait_transition klpt_lp_fix 30
sleep 2
klptop_stop
grep -E 'ended|unsafe|holdout' /tmp/batch.txt | sort -u | tail -8
check reversal-reported grep -Eq 'ended: klpt_lp_fix -> unpatched reversed' /tmp/batch.txt
check force-reported grep -Eq 'ended: klpt_lp_fix -> patched forced' /tmp/batch.txt
check unsafe-listed grep -Eq 'unsafe at force: [0-9]+/[0-9]+ klpt_spin kthread (running|sleeping_on)' /tmp/batch.txt
check holdout-shown grep -q 'RCU-tasks holdout: .* klpt_spin kthread' /tmp/batch.txt
klpt_knob spin 0
