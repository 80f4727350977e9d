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

# force_on_pty ANSWER OUT: klptop force on a pseudo terminal (busybox
# telnetd in inetd mode, as in fault-view: a fifo is its keyboard), ANSWER
# typed at its prompt; what the terminal showed, with "exit=N", in OUT.
force_on_pty() {
	printf '#!/bin/sh\nklptop force --wait 30 klpt_lp_fix\necho "exit=$?"\nsleep 1\n' >/tmp/force.sh
	chmod +x /tmp/force.sh
	rm -f /tmp/fkeys && mkfifo /tmp/fkeys
	telnetd -i -f /dev/null -l /tmp/force.sh </tmp/fkeys >"$2" 2>/dev/null &
	exec 4>/tmp/fkeys
	wait_until 60 grep -q 'Type the patch name' "$2" || { exec 4>&-; return 1; }
	printf '%s\r' "$1" >&4
	wait_until 60 grep -q 'exit=' "$2"
	exec 4>&-
}

lp_load klpt_target
spinner_start
klptop_bg /tmp/batch.txt --batch -d 1
# The whole incident recorded too: the report must tell both transitions.
record_bg /tmp/rec.log /tmp/force.klp --interval 0.5
ALL=$REC
# A flight recorder keeps events in memory until the transition has been
# pending for 4 s: then it writes what it holds and records on.
record_bg /tmp/fr1.log /tmp/fr1.klp --interval 0.5 --flight-recorder 1M --trigger-pending 4
FR1=$REC
sleep 2
lp_load klpt_lp_fix
check fr1-holds-in-memory test "$(wc -c </tmp/fr1.klp)" -eq 16
wait_until 20 grep -q 'flight recorder triggered' /tmp/fr1.log
check fr1-triggered-pending grep -q 'triggered (transition pending too long)' /tmp/fr1.log
kill -TERM $FR1
wait $FR1
klptop report --json /tmp/fr1.klp >/tmp/fr1.json
check_json fr1-report-trigger /tmp/fr1.json \
	'.trigger.trigger == "transition pending too long" and .complete == true'
check stuck _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
# klptop disable: without a terminal to confirm on and without --yes it
# refuses and writes nothing; with --yes it logs itself, then reverses.
klptop disable klpt_lp_fix </dev/null >/tmp/dis0.out 2>&1
check disable-refused-no-tty sh -c "[ $? = 6 ] && grep -q 'no terminal to confirm on.*--yes' /tmp/dis0.out"
check disable-refused-wrote-nothing _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/enabled 1
# options after the operand, as in every GNU tool
klptop disable klpt_lp_fix --yes -w 0 --reason "spinner holds it" >/tmp/dis.out 2>&1
check disable-exit-0 test $? -eq 0
cat /tmp/dis.out
check disable-says-reverse grep -q 'reverses its transition' /tmp/dis.out
check disable-logged sh -c "dmesg | grep -q 'klptop\[[0-9]*\]: disable klpt_lp_fix by uid 0: 1 pending: [0-9]*/klpt_spin; reason: spinner holds it'"
check disable-wrote _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/enabled 0
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

spinner_start
lp_load klpt_lp_fix
sleep 5
check stuck-again _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
# A second flight recorder, with no time trigger: the force fires it.
record_bg /tmp/fr2.log /tmp/fr2.klp --interval 0.5 --flight-recorder 1M
FR2=$REC
# klptop force: a pipe cannot confirm; on a terminal a wrong answer writes
# nothing; the patch name typed there forces it. Each time it lists the
# unsafe task where it is; once confirmed it logs to dmesg, writes force and
# follows the transition to its end.
echo klpt_lp_fix | klptop force klpt_lp_fix >/tmp/force0.out 2>&1
check force-refused-piped-yes sh -c "[ $? = 6 ] && grep -q 'no terminal to confirm on' /tmp/force0.out"
check force-refused-still-stuck _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
force_on_pty nope /tmp/force-no.raw || die force-pty "no prompt on the pty: $(tail -c 300 /tmp/force-no.raw)"
check force-pty-wrong-answer sh -c "grep -q 'not confirmed: nothing written' /tmp/force-no.raw && grep -q 'exit=6' /tmp/force-no.raw"
check force-wrong-still-stuck _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
check force-not-logged-when-refused sh -c "! dmesg | grep -q 'klptop\[[0-9]*\]: force'"
force_on_pty klpt_lp_fix /tmp/force.out || die force-pty "no prompt on the pty: $(tail -c 300 /tmp/force.out)"
tr -d '\r' </tmp/force.out | grep -v '^$'
check force-exit-0 grep -q 'exit=0' /tmp/force.out
check force-lists-unsafe grep -Eq '^ +1 x klpt_spin +kthread [RS] +in klpt_spin_step' /tmp/force.out
check force-logged sh -c "dmesg | grep -q 'klptop\[[0-9]*\]: force klpt_lp_fix by uid 0: 1 unsafe: [0-9]*/klpt_spin'"
check force-followed grep -q 'transition ended after' /tmp/force.out
check forced-completes lp_wait_transition klpt_lp_fix 30
sleep 1 # the completion event reaches the recorder
wait_until 10 grep -q 'flight recorder triggered' /tmp/fr2.log
check fr2-triggered-force grep -q 'triggered (forced transition)' /tmp/fr2.log
kill -TERM $FR2
wait $FR2
klptop report /tmp/fr2.klp >/tmp/fr2.txt 2>&1
check fr2-report-forced grep -Eq 'klpt_lp_fix -> patched: .*outcome forced' /tmp/fr2.txt || cat /tmp/fr2.txt
klptop force klpt_lp_fix --yes >/tmp/force2.out 2>&1
check force-again-refused sh -c "[ $? = 1 ] && grep -q 'not in transition: nothing to force' /tmp/force2.out"
sleep 2
klptop_stop
kill -INT $ALL
wait $ALL
check record-sigint-exit-0 test $? -eq 0
klptop report /tmp/force.klp >/tmp/force-report.txt 2>&1
check report-exit-0 test $? -eq 0
sed -n '/^Transitions/,/^Drops/p' /tmp/force-report.txt
check report-reversed grep -Eq '^  klpt_lp_fix -> unpatched: start .*outcome reversed' /tmp/force-report.txt
check report-forced grep -Eq '^  klpt_lp_fix -> patched: start .*outcome forced' /tmp/force-report.txt
check report-spinner-forced grep -Eq 'switched \(force\)' /tmp/force-report.txt
check report-ended-sigint grep -q 'ended cleanly (SIGINT)' /tmp/force-report.txt
grep -E 'ended|unsafe|holdout' /tmp/batch.txt | sort -u | tail -8
check reversal-reported grep -Eq 'ended: klpt_lp_fix -> unpatched reversed' /tmp/batch.txt
check force-reported grep -Eq 'ended: klpt_lp_fix -> patched forced' /tmp/batch.txt
check unsafe-listed grep -Eq 'unsafe at force: [0-9]+/[0-9]+ klpt_spin kthread (running|sleeping_on)' /tmp/batch.txt
check holdout-shown grep -q 'RCU-tasks holdout: .* klpt_spin kthread' /tmp/batch.txt
klpt_knob spin 0
