# SPDX-License-Identifier: GPL-2.0
# transition-spin-cr: what lets a busy kthread switch, on this kernel. The
# kthread klpt_spin_cr spins in the patched klpt_spin_step_cr(), which ends
# with cond_resched(); the compiler makes that call a tail call (jmp), so
# klpt_spin_step_cr() is not on the stack inside cond_resched(). Three
# spinners, one after the other:
#   bare    nothing between two calls. It switches only where the kernel
#           switches tasks at cond_resched(): 6.4 to 6.15 (klp_cond_resched
#           under preempt=full). 6.1 has no such switch; 6.16+ (7.2 here)
#           moved it into __schedule(), for freezable sleeps only. There the
#           kthread never leaves the CPU and klptop must call it stuck, with
#           advice that holds on this kernel.
#   sleep   a 1-2 ms uninterruptible sleep between calls, outside the
#           patched function: a round finds it asleep with a clean stack and
#           switches it, on every kernel.
#   freeze  the same with a freezable sleep (switched in __schedule() itself
#           on 6.16+): switches on every kernel.
# What to expect is probed here in /proc/kallsyms, as klptop probes it, not
# read off the version. Also: the sysfs "replace" file (6.11+) is reported
# where it exists, null where not.
# preempt=full: as in transition-spin, no soft lockup on 6.1 (and on 6.12 it
# is the path that calls klp_cond_resched).
# lab-append: preempt=full
# lab-timeout: 180
. /lib/klptop/lib.sh

ksym() { grep -q " $1\$" /proc/kallsyms; }
if ! ksym __klp_sched_try_switch; then
	point=none
elif ksym klp_cond_resched || ksym sched_dynamic_klp_enable; then
	point=cond_resched
else
	point=freezable_sleep
fi
log "kernel $(uname -r): switch point $point"
check preempt-full grep -q '(full)' /sys/kernel/debug/sched/preempt

FN='.patches[] | select(.name == "klpt_lp_fix")'
CR='[.transition.pending[] | select(.comm == "klpt_spin_cr")][0]'
CR_G='[.transition.groups[] | select(.comm == "klpt_spin_cr")][0]'
lp_load klpt_target

# spin_cr_run MODE: start the spinner with MODE, load the fix.
spin_cr_run() {
	spinner_start spin_cr "$1"
	lp_load klpt_lp_fix
}

# --- bare ---
spin_cr_run 1
if [ $point = cond_resched ]; then
	# It never sleeps and never returns to user space: only the
	# cond_resched() switch can end this transition.
	check bare-switches-spinning lp_wait_transition klpt_lp_fix 20
	check bare-spinner-alive has_comm klpt_spin_cr
	# Stop it before klptop runs: a kthread that never schedules voluntarily
	# is an RCU-tasks holdout, and attaching probes may wait for RCU-tasks.
	klpt_knob spin_cr 0
	klptop status --json > /tmp/s.json
	check_json bare-no-transition /tmp/s.json '.transition == null'
else
	sleep 1
	check bare-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
	klptop status --json --rounds 4 > /tmp/s.json
	jq -M -c "$CR_G | {reason, verdict, verdict_text, rounds_failed_max}" /tmp/s.json
	check_json bare-running /tmp/s.json "$CR.kthread == true and ($CR.reason == \"running\" or ($CR.reason == \"sleeping_on\" and $CR.state == \"R\"))"
	check_json bare-verdict-stuck /tmp/s.json "$CR.verdict == \"stuck\""
	# The advice holds here: cond_resched() would not help on this kernel.
	check_json bare-advice /tmp/s.json "$CR_G.verdict_text | test(\"a sleep outside the patched function; cond_resched\\\\(\\\\) does not switch\")"
	check still-in-transition _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
	klpt_knob spin_cr 0
	check bare-ends-when-stopped lp_wait_transition klpt_lp_fix 30
fi
check_json switch-point /tmp/s.json ".kernel.switch_point == \"$point\""
check_json cr-switch-flag /tmp/s.json ".kernel.cond_resched_switch == $([ $point = cond_resched ] && echo true || echo false)"
if [ -e /sys/kernel/livepatch/klpt_lp_fix/replace ]; then
	check_json replace-reported /tmp/s.json "[$FN][0].replace == false"
else
	check_json replace-null /tmp/s.json "[$FN][0].replace == null"
fi
# Every attach point klptop uses exists on every lab kernel (docs/kernels.md).
jq -M -c .probes /tmp/s.json
check_json probes-complete /tmp/s.json '.probes.bpf == true and (.probes.missing | length) == 0'
lp_unload klpt_lp_fix && pass bare-unloaded

# --- sleep, freeze: a sleep outside the patched function switches it ---
for mode in sleep freeze; do
	spin_cr_run $mode
	check "$mode-switches" lp_wait_transition klpt_lp_fix 15
	check "$mode-spinner-alive" has_comm klpt_spin_cr
	klpt_knob spin_cr 0
	lp_unload klpt_lp_fix && pass "$mode-unloaded"
done
check target-removed rmmod klpt_target
