# SPDX-License-Identifier: GPL-2.0
# record-shadow: post-incident capture of a shadow leak (issue #6). klptop
# record --leaks runs while klpt_lp_shadow_leak attaches a shadow (id
# 0x6b6c7001) to every churn object and never frees it. klptop report must
# tell the leak from the file alone: the id with its allocs, frees and
# orphans, and the orphan events with the allocating function (the patch's
# klpt_obj_create) and the owner's free (kfree) on their stacks. The same
# churn recorded with --redact names the same stacks and no address.
# lab-append: preempt=full
# lab-timeout: 240
. /lib/klptop/lib.sh

LEAK=0x6b6c7001
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
kaddrs() { tr -c '0-9a-f' '\n' <"$1" | grep -Ec '^ffff[0-9a-f]{12}$'; }

lp_load klpt_target
lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30

# record NAME ARGS...: churn 300 objects at 100/s under klptop record ARGS.
record() {
	name=$1
	shift
	record_bg /tmp/$name.log /tmp/$name.klp --leaks --interval 0.5 "$@"
	klpt_knob churn "300 100 kmalloc"
	wait_until 30 churn_done || fail "$name-churn" "churn did not end"
	destroyed=$(stat_of destroyed)
	sleep 2
	kill -INT $REC
	wait $REC
	check "$name-record-exit-0" test $? -eq 0
	cat /tmp/$name.log
	klptop report /tmp/$name.klp >/tmp/$name.txt 2>&1
	check "$name-report-exit-0" test $? -eq 0
	cat /tmp/$name.txt
	klptop report --json /tmp/$name.klp >/tmp/$name.json
	log "$name: $destroyed objects destroyed"
}

record plain
# Per id, from the recorded snapshots: every churn object got a shadow,
# newly allocated (allocs) or, at a reused address, the leaked one of a
# dead owner handed back (stale); the patch frees none; the owners died
# with it (orphans).
check report-id-line grep -Eq "^  id $LEAK: [1-9][0-9]* allocs, 0 frees, [0-9]+ live, [1-9][0-9]* orphans" /tmp/plain.txt
ID=".shadows.last.ids[] | select(.id == \"$LEAK\")"
check_json id-counts /tmp/plain.json "($ID | .allocs > 0 and .frees == 0 and .orphans > 0)"
# The probes themselves miss a few frees in some runs (up to 1.7 % seen:
# the open discrepancy in docs/shadow.md, checked by shadow-leak); what this
# scenario checks is that the recording holds exactly what they reported.
log "orphans counted by the probes: $(jq "$ID | .orphans" /tmp/plain.json) of $destroyed destroyed"
# The orphan events, grouped, with their stacks from the file's dictionary.
check report-orphan-group grep -Eq "^  orphan id $LEAK: [0-9]+ events" /tmp/plain.txt
check report-alloc-stack grep -Eq '^    allocated: .*klpt_obj_create\+0x[0-9a-f]+ \[klpt_lp_shadow_leak\]' /tmp/plain.txt
check report-free-stack grep -Eq '^    owner freed: kfree\+0x' /tmp/plain.txt
ORPH="[.shadows.event_groups[] | select(.kind == \"orphan\" and .id == \"$LEAK\")]"
check_json orphan-events-all-recorded /tmp/plain.json \
	"($ORPH | map(.count) | add) + .drops.shadow_events == ($ID | .orphans) and ($ID | .orphans) <= $destroyed"
check_json orphan-events-alloc-stack /tmp/plain.json \
	"$ORPH | all(.alloc_stack | test(\"klpt_obj_create\"))"
check_json no-drops /tmp/plain.json \
	'.drops.shadow_events == 0 and .drops.transition_events == 0 and .malformed_payloads == 0'

record redacted --redact
check redacted-alloc-stack grep -Eq '^    allocated: .*klpt_obj_create\+0x[0-9a-f]+ \[klpt_lp_shadow_leak\]' /tmp/redacted.txt
check redacted-file-no-address test "$(kaddrs /tmp/redacted.klp)" -eq 0
check redacted-report-no-address test "$(kaddrs /tmp/redacted.json)" -eq 0
check_json redacted-obj-pseudonyms /tmp/redacted.json \
	'[.shadows.last.leaks[]? | .obj | select(. != null)] | all(startswith("obj#"))'
