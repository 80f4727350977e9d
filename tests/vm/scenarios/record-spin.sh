# SPDX-License-Identifier: GPL-2.0
# record-spin: post-incident capture of a stuck transition (issue #6). klptop record
# runs while the spinning kthread holds the fix patch's transition for ~6 s;
# klptop report must tell the story from the file alone: the transition, its
# outcome, klpt_spin running in klpt_spin_step, how long it blocked. A second
# recording, redacted (--redact, issue #10) and killed with -9 midway, still
# reports and holds no kernel address; report --redact scrubs the first
# one. The Chrome trace parses.
# lab-append: preempt=full
# lab-timeout: 120
. /lib/klptop/lib.sh

# kaddrs FILE: how many x86-64 kernel addresses (ffff + 12 hex digits) FILE
# holds as text, binary or not (busybox grep has no -a: split on non-hex).
kaddrs() { tr -c '0-9a-f' '\n' <"$1" | grep -Ec '^ffff[0-9a-f]{12}$'; }

lp_load klpt_target
record_bg /tmp/rec.log /tmp/r.klp --until-stable --interval 0.5
spinner_start
lp_load klpt_lp_fix
sleep 6
check stuck-while-recording _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
# --until-stable: record stops by itself once no transition is in progress.
wait_until 15 sh -c "! kill -0 $REC 2>/dev/null" || { kill -INT $REC; fail record-until-stable "still running"; }
wait $REC
check record-exit-0 test $? -eq 0
cat /tmp/rec.log
check mode-0600 sh -c "ls -l /tmp/r.klp | grep -q '^-rw------- '"
check refuses-overwrite sh -c "klptop record -o /tmp/r.klp -D 1; [ \$? = 1 ]"

klptop report /tmp/r.klp >/tmp/report.txt 2>&1
check report-exit-0 test $? -eq 0
cat /tmp/report.txt
check report-outcome grep -q 'klpt_lp_fix -> patched: start .*outcome completed' /tmp/report.txt
check report-names-spinner grep -q '^  klpt_spin (pid .*kthread' /tmp/report.txt
check report-running grep -Eq 'klpt_spin .*reason (running|sleeping_on)' /tmp/report.txt
check report-spin-step grep -q 'on-CPU: .*klpt_spin_step' /tmp/report.txt
# Its story ends: spin 0 stops the kthread, which exits before a check
# can switch it (probes: KLPT_HOW_EXIT) or is seen switched.
check report-story-ends grep -Eq '^    (switched \(|exited at .*never switched)' /tmp/report.txt
klptop report --json /tmp/r.klp >/tmp/report.json
check_json json-outcome /tmp/report.json \
	'[.transitions[] | select(.patch == "klpt_lp_fix")][0] | .outcome == "completed" and .duration_s >= 4'
check_json json-blocked-time /tmp/report.json \
	'[.stragglers[] | select(.comm == "klpt_spin")][0] | .blocked_s >= 4 and (.reason == "running" or .reason == "sleeping_on")'
check_json json-clean-end /tmp/report.json '.complete == true and .end.reason == "stable"'
klptop report /tmp/r.klp --format chrome >/tmp/trace.json
check_json chrome-spin-track /tmp/trace.json \
	'[.traceEvents[] | select(.ph == "X" and .cat == "blocker" and .args.comm == "klpt_spin")] | length == 1'
check_json chrome-pending-counter /tmp/trace.json \
	'[.traceEvents[] | select(.ph == "C" and .name == "pending tasks" and .args.pending > 0)] | length > 0'

check_json json-format-v2 /tmp/report.json '.format_version == 2 and .malformed_payloads == 0'

# The plain recording holds addresses (the symbols chunk at least), so the
# checks below can see one; report --redact shows none of them.
check plain-has-addresses test "$(kaddrs /tmp/r.klp)" -gt 0
for fmt in text json chrome; do
	klptop report --redact --format $fmt /tmp/r.klp >/tmp/redact.$fmt
	check report-redact-$fmt-exit-0 test $? -eq 0
	check report-redact-$fmt-no-address test "$(kaddrs /tmp/redact.$fmt)" -eq 0
done
check report-redact-same-story grep -q 'klpt_lp_fix -> patched: start .*outcome completed' /tmp/redact.text

# Killed with -9 in the middle of a transition (the reverse one): the file
# reads back to its last complete chunk. Redacted: no address in the file.
record_bg /tmp/rec2.log /tmp/k.klp -D 60 --interval 0.2 --redact
lp_disable klpt_lp_fix
sleep 2
kill -9 $REC
wait $REC 2>/dev/null
klptop report /tmp/k.klp >/tmp/k.txt 2>&1
check killed-report-exit-0 test $? -eq 0
cat /tmp/k.txt
check killed-report-unpatch grep -q 'klpt_lp_fix -> unpatched' /tmp/k.txt
check killed-report-says-cut grep -q 'no end marker\|truncated at byte' /tmp/k.txt
check redacted-says-so grep -q 'redacted (no kernel addresses)' /tmp/k.txt
check redacted-file-no-address test "$(kaddrs /tmp/k.klp)" -eq 0
klptop report --json /tmp/k.klp >/tmp/k.json
check redacted-json-no-address test "$(kaddrs /tmp/k.json)" -eq 0
check_json redacted-header /tmp/k.json '.redacted == true and .header.redacted == true'

# Flight recorder: nothing is written until SIGUSR1; SIGTERM then ends the
# file cleanly.
record_bg /tmp/rec3.log /tmp/f.klp -D 30 --interval 0.2 --flight-recorder 256K
sleep 1
check ring-in-memory test "$(wc -c </tmp/f.klp)" -eq 16
kill -USR1 $REC
sleep 1
kill -TERM $REC
wait $REC
check flight-exit-0 test $? -eq 0
klptop report --json /tmp/f.klp >/tmp/f.json
check_json flight-trigger /tmp/f.json \
	'.trigger.trigger == "SIGUSR1" and .complete == true and .end.reason == "SIGTERM" and .snapshots >= 5'
