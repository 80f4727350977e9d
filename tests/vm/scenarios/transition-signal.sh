# SPDX-License-Identifier: GPL-2.0
# transition-signal: a user task blocked (interruptibly) in the patched
# klpt_sleep_in() through a read of the target's `block` file. The kernel
# cannot switch it by stack check; every 15th failed round it sends a fake
# signal, the read restarts through the exit to user space, and the task
# switches there. klptop must see the signal round and how the task switched.
# A recording runs alongside the live view (two klptop instances): its
# report must tell the same story from the file alone.
# lab-timeout: 150
. /lib/klptop/lib.sh

lp_load klpt_target
cat /sys/kernel/debug/klpt/block > /tmp/block.out &
READER=$!
sleep 1
klptop_bg /tmp/batch.txt --batch -d 1
record_bg /tmp/rec.log /tmp/sig.klp --until-stable --interval 1
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
# The recording stops by itself once the transition is over.
wait_until 15 sh -c "! kill -0 $REC 2>/dev/null" || { kill -INT $REC; fail record-until-stable "still running"; }
klptop report /tmp/sig.klp >/tmp/sig.txt 2>&1
check report-exit-0 test $? -eq 0
sed -n '/^Transitions/,/^Drops/p' /tmp/sig.txt
check report-signal-rounds grep -Eq 'klpt_lp_fix -> patched: start .*outcome completed; [0-9]+ rounds, [1-9][0-9]* signal rounds' /tmp/sig.txt
check report-straggler grep -Eq "^  cat \(pid $READER tid $READER\) held klpt_lp_fix: .*reason sleeping_on, .* [1-9][0-9]* signal rounds seen" /tmp/sig.txt
check report-function grep -q 'function: klpt_sleep_in' /tmp/sig.txt
check report-switched-user-exit grep -Eq 'switched \(user[-_]exit\)' /tmp/sig.txt
check reader-still-blocked kill -0 "$READER"
klpt_knob release 1
wait "$READER"
check reader-released grep -q released /tmp/block.out
lp_unload klpt_lp_fix && pass unloaded
