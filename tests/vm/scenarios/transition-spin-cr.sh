# SPDX-License-Identifier: GPL-2.0
# transition-spin-cr: the kthread klpt_spin_cr spins in the patched
# klpt_spin_step_cr(), which ends with cond_resched(). The compiler makes that
# call a tail call (jmp), so klpt_spin_step_cr() is not on the stack inside
# cond_resched(). Per kernel:
#   6.1:   cond_resched() never switches a task, and with preempt=full it is a
#          no-op: the kthread never leaves the CPU. klptop calls it stuck.
#   6.4+ (6.12 here): a transition makes cond_resched() call
#          __klp_sched_try_switch() (klp_cond_resched under preempt=full),
#          whose stack check finds no patched function: the kthread switches
#          there and the transition ends while it keeps spinning.
# Also: the sysfs "replace" file (6.11+) is reported on 6.12, null on 6.1.
# preempt=full: as in transition-spin, no soft lockup on 6.1 (and on 6.12 it
# is the path that calls klp_cond_resched).
# lab-append: preempt=full
# lab-timeout: 150
. /lib/klptop/lib.sh

case $(uname -r) in
6.1.*) new=0 ;;
*) new=1 ;;
esac
log "kernel $(uname -r): switches at cond_resched(): $new"
# preempt=full still exists on 6.12 (PREEMPT_DYNAMIC; voluntary by default).
check preempt-full grep -q '(full)' /sys/kernel/debug/sched/preempt

lp_load klpt_target
klpt_knob spin_cr 1
wait_until 5 has_comm klpt_spin_cr || { ps; die spinner-started "klpt_spin_cr did not start"; }
lp_load klpt_lp_fix
FN='.patches[] | select(.name == "klpt_lp_fix")'
CR='[.transition.pending[] | select(.comm == "klpt_spin_cr")][0]'
CR_G='[.transition.groups[] | select(.comm == "klpt_spin_cr")][0]'
if [ $new = 1 ]; then
	# The spinner never sleeps and never returns to user space: only the
	# cond_resched() switch can end this transition.
	check transition-ends-spinning lp_wait_transition klpt_lp_fix 20
	check spinner-alive has_comm klpt_spin_cr
	# Stop it before klptop runs: a kthread that never schedules voluntarily
	# is an RCU-tasks holdout, and attaching probes may wait for RCU-tasks.
	klpt_knob spin_cr 0
	klptop status --json > /tmp/s.json
	check_json cr-switch-point /tmp/s.json '.kernel.cond_resched_switch == true'
	check_json cr-no-transition /tmp/s.json '.transition == null'
	check_json replace-reported /tmp/s.json "[$FN][0].replace == false"
else
	sleep 1
	check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
	klptop status --json --rounds 4 > /tmp/s.json
	jq -M -c "$CR_G | {reason, verdict, verdict_text, rounds_failed_max}" /tmp/s.json
	check_json cr-switch-point /tmp/s.json '.kernel.cond_resched_switch == false'
	check_json replace-null /tmp/s.json "[$FN][0].replace == null"
	check_json cr-running /tmp/s.json "$CR.kthread == true and $CR.reason == \"running\""
	check_json cr-verdict-stuck /tmp/s.json "$CR.verdict == \"stuck\""
	check_json cr-verdict-text /tmp/s.json "$CR_G.verdict_text | test(\"6.4\\\\+ kernel\")"
	check still-in-transition _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
	klpt_knob spin_cr 0
	check transition-completes lp_wait_transition klpt_lp_fix 30
fi
# Every attach point klptop uses exists on both kernels (docs/kernels.md).
jq -M -c .probes /tmp/s.json
check_json probes-complete /tmp/s.json '.probes.bpf == true and (.probes.missing | length) == 0'
klpt_knob spin_cr 0
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target
