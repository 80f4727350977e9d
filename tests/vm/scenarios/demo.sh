# SPDX-License-Identifier: GPL-2.0
# demo (make demo): the stuck transition of docs/incidents.md on a real kernel, seen through klptop.
# klpt_target starts a kthread that spins in klpt_spin_step() without ever
# sleeping or calling cond_resched(); three seconds after klptop starts, the
# fix patch klpt_lp_fix (which replaces klpt_spin_step) is loaded, and its
# transition can never complete. klptop's live view runs on the serial
# console: the blocker row names klpt_spin, "running" at every check, the
# verdict says waiting will not help, Enter shows where it spins. Quit with q;
# the spinner is then stopped and the patch removed. When make demo has no
# terminal (klptop.interactive=0), it prints batch frames for 15 s instead.
# lab-append: preempt=full
. /lib/klptop/lib.sh

lp_load klpt_target
klpt_knob spin 1
cleanup() {
	klpt_knob spin 0
	lp_unload klpt_lp_fix 30 || true
}
trap 'cleanup; _klpt_exit' EXIT

( sleep 3; insmod /lib/klptop/kmod/klpt_lp_fix.ko ) &
if grep -q 'klptop.interactive=1' /proc/cmdline; then
	echo "klptop demo: the fix patch loads in 3 s and its transition gets stuck."
	echo "Keys: j/k move, Enter shows a blocker's stack, ? help, q quits."
	sleep 2
	klptop
else
	klptop --batch -d 3 -n 5
fi
