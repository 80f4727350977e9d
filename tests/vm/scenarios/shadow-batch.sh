# SPDX-License-Identifier: GPL-2.0
# shadow-batch: owners freed in batches, where the slab has no per-object
# free tracepoint. klpt_lp_shadow_leak (id 0x6b6c7001) attaches a shadow to
# every churn object; the churn frees them with kfree_rcu() (the RCU batch
# frees them a grace period later, mostly with kfree_bulk), with kfree_bulk()
# and with kmem_cache_free_bulk(). klptop shadow must report every owner as
# an orphan, exactly one per destroyed object, and for kfree_rcu name the
# stack of the kfree_rcu() caller (the churn thread), not the RCU worker's.
# lab-timeout: 150
. /lib/klptop/lib.sh

LEAK='0x6b6c7001'
N=200
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
last() { grep '^{' /tmp/batch.jsonl | tail -n 1; }
ORPH="[.shadows.leaks[] | select(.kind == \"orphan\" and .id == \"$LEAK\")]"
RCU="[$ORPH[] | select(.kfree_rcu)]"
BULK="[$ORPH[] | select(.kfree_rcu | not) | select(.free_via == \"kmem_cache_free_bulk\" and .cache == null)]"
CBULK="[$ORPH[] | select(.free_via == \"kmem_cache_free_bulk\" and .cache == \"klpt_obj\")]"
count() { last | jq "$1 | map(.count) | add // 0"; }
# The churn thread's frames in a stack.
BY_CHURN='(map(.symbol // "") | any(. == "klpt_churn_fn"))'

lp_load klpt_target
lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30
klptop_bg /tmp/batch.jsonl shadow --json -d 1
wait_until 30 test -s /tmp/batch.jsonl || fail klptop-started "no output from klptop shadow"
last >/tmp/batch-first.json
check_json batch-probes-attached /tmp/batch-first.json \
	'.probes.missing | map(select(test("kvfree_call_rcu|kmem_cache_free_bulk|rcu_free_sheaf"))) | length == 0'

# kfree_rcu: the orphans appear when the RCU batch frees the owners. With
# SLUB's sheaves (6.18 on) an object waits in its CPU's rcu_free sheaf until
# the sheaf is full, then a grace period: the last part of a sheaf (this idle
# VM frees nothing else through kfree_rcu) until the cache is flushed, which
# writing its sysfs shrink file does.
rcu_reported() { [ "$(count "$RCU")" -ge "$rdestroyed" ]; }
klpt_knob churn "$N 200 rcu"
wait_until 20 churn_done || fail churn-rcu "rcu churn did not end"
rdestroyed=$(stat_of destroyed)
if grep -q ' __kfree_rcu_sheaf$' /proc/kallsyms; then
	wait_until 10 rcu_reported
	log "kfree_rcu, before the flush: $(count "$RCU") orphans of $rdestroyed destroyed"
	for f in /sys/kernel/slab/*kmalloc*/shrink; do echo 1 >"$f"; done 2>/dev/null
	wait_until 30 rcu_reported
	last >/tmp/batch-rcu.json
	check_json rcu-sheaf-frees /tmp/batch-rcu.json \
		"$RCU | any(.free_via == \"rcu_free_sheaf\")"
else
	wait_until 30 rcu_reported
fi
log "kfree_rcu: $(count "$RCU") orphans of $rdestroyed destroyed"

klpt_knob churn "$N 200 bulk"
wait_until 20 churn_done || fail churn-bulk "bulk churn did not end"
bdestroyed=$(stat_of destroyed)
wait_until 10 sh -c "[ \"\$(grep '^{' /tmp/batch.jsonl | tail -n 1 | jq '$BULK | map(.count) | add // 0')\" -ge $bdestroyed ]"
log "kfree_bulk: $(count "$BULK") orphans of $bdestroyed destroyed"

klpt_knob churn "$N 200 cachebulk"
wait_until 20 churn_done || fail churn-cachebulk "cachebulk churn did not end"
cdestroyed=$(stat_of destroyed)
wait_until 10 sh -c "[ \"\$(grep '^{' /tmp/batch.jsonl | tail -n 1 | jq '$CBULK | map(.count) | add // 0')\" -ge $cdestroyed ]"
log "kmem_cache_free_bulk: $(count "$CBULK") orphans of $cdestroyed destroyed"
sleep 1
klptop_stop
grep '^{' /tmp/batch.jsonl | tail -n 1 >/tmp/batch-sum.json
log "free paths: $(jq -c "$ORPH | map({via: .free_via, rcu: .kfree_rcu, cache, count})" /tmp/batch-sum.json)"
log "missed: $(jq -c '.shadows | {missed, missed_counted, missed_by, rcu_queued, events_dropped}' /tmp/batch-sum.json)"

check_json summary-line /tmp/batch-sum.json '.summary == true'
check_json no-drops /tmp/batch-sum.json '.shadows.events_dropped == 0'
# Exact: one orphan per destroyed object of each kind. A probe hit the kernel
# skipped would show in .shadows.missed; none is expected here.
check_json rcu-orphans-exact /tmp/batch-sum.json "($RCU | map(.count) | add) == $rdestroyed"
check_json rcu-kfree-rcu-stack /tmp/batch-sum.json \
	"$RCU | length > 0 and all(.free_stack | $BY_CHURN) and all(.free_stack | map(.symbol // \"\") | any(. == \"kvfree_call_rcu\"))"
check_json rcu-delay /tmp/batch-sum.json "$RCU | all(.rcu_delay_ns > 0)"
check_json rcu-queued-counted /tmp/batch-sum.json ".shadows.rcu_queued >= $rdestroyed"
check_json bulk-orphans-exact /tmp/batch-sum.json "($BULK | map(.count) | add) == $bdestroyed"
check_json bulk-free-stack /tmp/batch-sum.json \
	"$BULK | all((.free_stack[0].symbol == \"kmem_cache_free_bulk\") and (.free_stack | $BY_CHURN))"
check_json cachebulk-orphans-exact /tmp/batch-sum.json "($CBULK | map(.count) | add) == $cdestroyed"
check_json batch-module /tmp/batch-sum.json \
	"$ORPH | map(select(.alloc_stack | length > 0)) | all(.module == \"klpt_lp_shadow_leak\")"
check_json id-orphans-total /tmp/batch-sum.json \
	"([.shadows.ids[] | select(.id == \"$LEAK\")][0].orphans) == $rdestroyed + $bdestroyed + $cdestroyed"

lp_unload klpt_lp_shadow_leak && pass unloaded
check target-removed rmmod klpt_target
