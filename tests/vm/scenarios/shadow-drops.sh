# SPDX-License-Identifier: GPL-2.0
# shadow-drops: the events ring buffer overflows on purpose, and the loss
# must never be silent. klptop shadow runs with a 4 KiB ring
# (KLPTOP_SHADOW_RINGBUF_KB=4: about 30 events) and is stopped (SIGSTOP: a
# consumer that stalls) while klpt_lp_shadow_leak orphans 300 owners as fast
# as the churn can go. Then: the drops are counted and shown in the text
# table, the text summary, and the JSON (events_dropped, a warning); the
# per-id counters stay exact (orphans == objects destroyed); and what the
# events brought plus what was dropped adds up to the counters.
# lab-timeout: 120
. /lib/klptop/lib.sh

LEAK='0x6b6c7001'
N=300
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
ID=".shadows.ids[] | select(.id == \"$LEAK\")"

lp_load klpt_target
lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30

export KLPTOP_SHADOW_RINGBUF_KB=4
klptop shadow --json -d 1 >/tmp/drops.jsonl 2>/tmp/drops.err &
jpid=$!
klptop shadow -d 1 >/tmp/drops.txt 2>&1 &
tpid=$!
unset KLPTOP_SHADOW_RINGBUF_KB
wait_until 30 test -s /tmp/drops.jsonl || fail klptop-started "no output from klptop shadow --json"
wait_until 30 grep -q '^ID' /tmp/drops.txt || fail klptop-started-text "no table from klptop shadow"

kill -STOP $jpid $tpid
klpt_knob churn "$N 0 kmalloc"
wait_until 30 churn_done || fail churn "churn did not end"
destroyed=$(stat_of destroyed)
kill -CONT $jpid $tpid
sleep 3
kill -INT $jpid $tpid
wait $jpid
wait $tpid
grep '^{' /tmp/drops.jsonl | tail -n 1 >/tmp/drops-sum.json
log "destroyed $destroyed; $(jq -c '.shadows | {orphans, stale, duplicates, events_dropped, missed, leaks: [.leaks[] | .count] | add}' /tmp/drops-sum.json)"

check_json drops-counted /tmp/drops-sum.json '.shadows.events_dropped > 0'
# Counters are not events: they stay exact however many events were lost.
check_json orphans-exact-despite-drops /tmp/drops-sum.json "($ID | .orphans) == $destroyed"
# Every leak event either arrived (counted in leaks[]) or was dropped.
check_json events-add-up /tmp/drops-sum.json \
	'.shadows | ([.leaks[].count] | add // 0) + .events_dropped == .orphans + .stale + .duplicates'
check_json drops-warning /tmp/drops-sum.json \
	'.warnings | map(select(test("shadow events dropped"))) | length == 1'
check drops-in-table grep -Eq '^shadows: .* DROPPED [1-9][0-9]* events' /tmp/drops.txt
check drops-in-summary grep -Eq '^  [1-9][0-9]* events dropped \(ring buffer full\)' /tmp/drops.txt
check no-error-output sh -c '! grep -q . /tmp/drops.err'

lp_unload klpt_lp_shadow_leak && pass unloaded
check target-removed rmmod klpt_target
