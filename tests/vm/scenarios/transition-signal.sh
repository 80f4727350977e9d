# SPDX-License-Identifier: GPL-2.0
# transition-signal: a user task blocked (interruptibly) in the patched
# klpt_sleep_in() through a read of the target's `block` file. The kernel
# cannot switch it by stack check; every 15th failed round it sends a fake
# signal, the read restarts through the exit to user space, and the task
# switches there. klptop must see the signal round and how the task switched.
# lab-timeout: 150
. /lib/klptop/lib.sh

lp_load klpt_target
cat /sys/kernel/debug/klpt/block > /tmp/block.out &
READER=$!
sleep 1
klptop_bg /tmp/batch.txt --batch -d 1
sleep 1
lp_load klpt_lp_fix
sleep 3
klptop status --json --rounds 2 > /tmp/s.json
R="[.transition.pending[] | select(.tid == $READER)][0]"
check_json user-sleeping-on /tmp/s.json \
	"$R.reason == \"sleeping_on\" and $R.function == \"klpt_sleep_in\" and $R.kthread == false"
check_json user-verdict /tmp/s.json "$R.verdict == \"needs_signal\""
# 15 failed rounds (about 15 s) until the fake signal: wait for the end.
check transition-completes lp_wait_transition klpt_lp_fix 40
sleep 2
klptop_stop
grep -E 'ended|straggler' /tmp/batch.txt | tail -3
check signal-round-seen grep -Eq 'ended: klpt_lp_fix -> patched completed .*signal rounds [1-9]' /tmp/batch.txt
check reader-switched-on-exit grep -Eq "straggler cat \(tid $READER\).*switched by user_exit" /tmp/batch.txt
check reader-still-blocked kill -0 "$READER"
klpt_knob release 1
wait "$READER"
check reader-released grep -q released /tmp/block.out
lp_unload klpt_lp_fix && pass unloaded
