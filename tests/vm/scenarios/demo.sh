# SPDX-License-Identifier: GPL-2.0
# demo: a stuck transition to look at (make demo). klpt_target starts a
# kthread that spins in the function klpt_lp_fix replaces, without sleeping
# or cond_resched(), so the transition never completes. Then klptop's live
# view (or, without klptop, a loop printing the transition state) runs on the
# serial console until you quit it; the spinner is stopped on the way out.
# Placeholder: the lead finishes it.
# lab-append: preempt=full
. /lib/klptop/lib.sh

lp_load klpt_target
klpt_knob spin 1
lp_load klpt_lp_fix
cleanup() {
	klpt_knob spin 0
	lp_unload klpt_lp_fix 30 || true
}
trap 'cleanup; _klpt_exit' EXIT

if command -v klptop >/dev/null; then
	klptop
else
	echo "no klptop in the initramfs: showing the transition state (Ctrl-C ends)"
	trap 'break' INT
	while :; do
		echo "klpt_lp_fix transition=$(cat /sys/kernel/livepatch/klpt_lp_fix/transition 2>/dev/null)"
		sleep 2
	done
fi
