# SPDX-License-Identifier: GPL-2.0
# transition-spin: the stuck transition of docs/incidents.md. A kthread spins in klpt_spin_step() without
# ever sleeping; the fix patch's transition cannot finish. klptop must name
# the kthread, say it is running at every check, show where it spins, and
# say waiting will not help. Stopping the spinner lets the transition end.
# preempt=full: on this voluntary-preemption kernel a kthread that never
# yields would otherwise trip the soft-lockup watchdog after 20 s.
# lab-append: preempt=full
# lab-timeout: 180
. /lib/klptop/lib.sh

lp_load klpt_target
spinner_start
lp_load klpt_lp_fix
sleep 1
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

# status without BPF: the procfs view of issue 3.
klptop status --json --no-bpf > /tmp/procfs.json
check_json procfs-transition /tmp/procfs.json \
	'.transition.patch == "klpt_lp_fix" and .transition.target == "patched"'
check_json procfs-pending-kthread /tmp/procfs.json \
	'[.transition.pending[] | select(.comm == "klpt_spin")][0].kthread == true'
check_json procfs-counts /tmp/procfs.json \
	'.transition.tasks_pending >= 1 and .transition.tasks_total > .transition.tasks_pending'

# status with BPF: the kernel's own check results over 4 rounds. Meanwhile
# a (switched) shell calls klpt_ping 300 times: those calls must reach the
# new version, while the unswitched spinner's calls of klpt_spin_step still
# run the old code.
# It pings until status is done, however long attaching takes on a slow
# host (once it ran out before the measuring window).
( while :; do echo 25 > /sys/kernel/debug/klpt/ping; sleep 1; done ) &
PINGER=$!
klptop status --json --rounds 4 > /tmp/bpf.json
kill $PINGER
SPIN='[.transition.pending[] | select(.comm == "klpt_spin")][0]'
SPIN_G='[.transition.groups[] | select(.comm == "klpt_spin")][0]'
SPIN_T="$SPIN_G.task"
check_json bpf-on /tmp/bpf.json '.probes.bpf == true and .source == "bpf"'
# The kernel's check finds the spinner on its CPU (running) or, when the
# check preempted it (one vCPU, busy host), inside the patched function:
# sleeping_on klpt_spin_step with state R. Either way it never sleeps.
check_json spin-reason-running /tmp/bpf.json \
	"$SPIN | (.reason == \"running\" or (.reason == \"sleeping_on\" and .state == \"R\" and .function == \"klpt_spin_step\"))"
# TIF_PATCH_PENDING: its bit number is derived on this kernel (13 on x86
# 6.x, 9 with 7.x's generic TIF bits), then read as set on every task that
# has not switched yet.
check_json tif-bit-derived /tmp/bpf.json '.kernel.tif_patch_pending_bit | type == "number"'
jq -M -c '.kernel | {release, tif_patch_pending_bit, switch_point}' /tmp/bpf.json
check_json spin-tif-pending /tmp/bpf.json "$SPIN.tif_pending == true"
check_json all-pending-tif /tmp/bpf.json '[.transition.pending[].tif_pending] | all'
# The verdict's advice is this kernel's: cond_resched() helps only where
# the kernel switches tasks there.
check_json spin-advice /tmp/bpf.json \
	"if .kernel.switch_point == \"cond_resched\" then $SPIN_G.verdict_text | test(\"cond_resched\\\\(\\\\) or a sleep\") else $SPIN_G.verdict_text | test(\"cond_resched\\\\(\\\\) does not switch\") end"
check_json spin-rounds /tmp/bpf.json "$SPIN.rounds_failed >= 3 and .transition.rounds >= 3"
check_json spin-verdict-stuck /tmp/bpf.json "$SPIN.verdict == \"stuck\""
# It will never switch by itself: a busy kthread (no CPU is isolated here),
# with this kernel's help.
check_json spin-never-busy /tmp/bpf.json \
	"$SPIN_G.never == \"busy_kthread\" and $SPIN.never == \"busy_kthread\" and ($SPIN_G.task.cpu_isolation | length) == 0"
check_json spin-help /tmp/bpf.json \
	"$SPIN_G.help | test(\"forced transition\") and test(\"a sleep outside the patched function\")"
check_json spin-oncpu-stack /tmp/bpf.json \
	"[$SPIN_T.oncpu_stack[].symbol] | index(\"klpt_spin_step\") != null"
check_json spin-oncpu-caller /tmp/bpf.json \
	"[$SPIN_T.oncpu_stack[].symbol] | index(\"klpt_spin_fn\") != null"
check_json spin-oncpu-marked /tmp/bpf.json \
	"[$SPIN_T.oncpu_stack[] | select(.marked)][0].symbol == \"klpt_spin_step\""
FN='.patches[] | select(.name == "klpt_lp_fix") | .objects[0].funcs[]'
check_json func-addresses /tmp/bpf.json \
	"[$FN | select(.name == \"klpt_spin_step\")][0] | (.old_addr != null and .new_addr != null)"
check_json func-live-version /tmp/bpf.json \
	"[$FN | select(.name == \"klpt_spin_step\")][0] | (.live == true and .stack_pos == 0)"
# The spinner entered the old klpt_spin_step before the patch and never left
# it: no call of the new version.
check_json spin-step-old-code /tmp/bpf.json \
	"[$FN | select(.name == \"klpt_spin_step\")][0] | .new_per_s == 0"
check_json ping-new-code /tmp/bpf.json \
	"[$FN | select(.name == \"klpt_ping\")][0] | (.new_per_s > 0 and .new_per_s == .calls_per_s)"
check ping-patched test "$(cat /sys/kernel/debug/klpt/ping)" = 2
klptop status > /tmp/bpf.txt
check text-names-kthread grep -Eq 'klpt_spin .*kthread.*(running|sleeping_on)' /tmp/bpf.txt
check text-verdict grep -q 'waiting will not help' /tmp/bpf.txt
check text-never grep -q 'never switches by itself (busy_kthread); helps: a code change' /tmp/bpf.txt

klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
klptop status --json > /tmp/done.json
check_json done-no-transition /tmp/done.json \
	'.transition == null and ([.patches[] | select(.name == "klpt_lp_fix")][0].enabled == true)'
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target
