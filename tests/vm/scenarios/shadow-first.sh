# SPDX-License-Identifier: GPL-2.0
# shadow-first: klptop shadow runs before the leaky patch is loaded, and on
# through the leak, the disable and the unload, as a monitor started before
# the incident does. What a user reads must name the patch: the orphans'
# module and allocation stack are klpt_lp_shadow_leak's own (not the ftrace
# trampoline loaded before it), its shadows are not "patch gone" while it is
# enabled, and once it is disabled, then unloaded, the shadows it left are
# abandoned by a disabled, then an unloaded patch, still under its names.
# The free hooks are off while nothing lives, come on with the first shadow
# (kfree only: the owners are kmalloc'd), and miss none of the first
# owners' frees.
# lab-append: preempt=full
# lab-timeout: 240
. /lib/klptop/lib.sh

OUT=/tmp/first.jsonl
LEAK='0x6b6c7001'
ID=".shadows.ids[] | select(.id == \"$LEAK\")"
USER=".shadows.users[] | select(.id == \"$LEAK\" and .module == \"klpt_lp_shadow_leak\")"
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }

lp_load klpt_target
klptop_bg "$OUT" shadow --json -d 1
wait_until 30 test -s "$OUT" || die klptop-started "no output from klptop shadow"
# Nothing can be freed as an owner yet: no free hook runs.
until_json hooks-off-while-nothing-lives 10 "$OUT" \
	'.shadows.free_hooks | .kfree == false and .kmem_cache_free == false and .owners == 0'

lp_load klpt_lp_shadow_leak
check leak-patch-enabled lp_wait_transition klpt_lp_shadow_leak 30
klpt_knob churn "300 100 kmalloc"
wait_until 30 churn_done || fail churn "churn did not end"
destroyed=$(stat_of destroyed)
log "churn: created $(stat_of created) destroyed $destroyed"
until_json all-orphans-seen 10 "$OUT" "($ID | .orphans) >= $destroyed"
json_last "$OUT" >/tmp/loaded.json
ORPH="[.shadows.leaks[] | select(.kind == \"orphan\" and .id == \"$LEAK\")]"
log "orphans $(jq "$ID | .orphans" /tmp/loaded.json) of $destroyed; hooks $(jq -c .shadows.free_hooks /tmp/loaded.json)"
check_json orphans-exact /tmp/loaded.json \
	"($ID | .orphans) == $destroyed or (($ID | .orphans) + .shadows.missed >= $destroyed)"
check_json hooks-kfree-only /tmp/loaded.json \
	'.shadows.free_hooks | .kfree and (.kmem_cache_free | not) and .arms >= 1 and .owners > 0'
check_json orphan-module /tmp/loaded.json "$ORPH | length > 0 and all(.module == \"klpt_lp_shadow_leak\")"
check_json orphan-alloc-stack-named /tmp/loaded.json \
	"$ORPH | all(.alloc_stack | any(.symbol == \"livepatch_klpt_obj_create\" and .module == \"klpt_lp_shadow_leak\"))"
check_json no-trampoline-names /tmp/loaded.json \
	'[.. | objects | select(has("module")) | .module] | all(. != "__builtin__ftrace")'
check_json group-enabled /tmp/loaded.json \
	"[.shadows.groups[] | select(.id == \"$LEAK\" and .module == \"klpt_lp_shadow_leak\")] |
	 length == 1 and (.[0].patch_gone | not) and .[0].live > 0"
check_json user-enabled /tmp/loaded.json \
	"[$USER] | length == 1 and .[0].patch == \"enabled\" and .[0].allocs > 0 and .[0].sizes == [64] and .[0].ctors == [\"none\"]"
check_json ownership-ok /tmp/loaded.json "($ID | .ownership) == \"ok\""

# Disabled: the module stays, no longer a patch; its shadows stay too.
lp_disable klpt_lp_shadow_leak
check disabled wait_until 30 test ! -d "$KLPT_LP/klpt_lp_shadow_leak"
until_json abandoned-by-disabled 10 "$OUT" \
	"($ID | .ownership == \"abandoned\" and (.ownership_text | test(\"of klpt_lp_shadow_leak, which was disabled\")))
	 and ([$USER][0].patch == \"disabled\")
	 and ([.shadows.groups[] | select(.id == \"$LEAK\" and .module == \"klpt_lp_shadow_leak\")][0].patch_gone)"

check rmmod-leak wait_until 30 rmmod klpt_lp_shadow_leak
until_json abandoned-by-unloaded 10 "$OUT" \
	"($ID | .ownership == \"abandoned\" and (.ownership_text | test(\"which was unloaded\")))
	 and ([$USER][0].patch == \"unloaded\")"
klptop_stop
json_last "$OUT" >/tmp/sum.json
check_json summary-line /tmp/sum.json '.summary == true'
# The module is gone; its symbols, kept from when it was loaded, still
# name the stacks captured then.
check_json names-after-unload /tmp/sum.json \
	"$ORPH | length > 0 and all(.module == \"klpt_lp_shadow_leak\" and
	 (.alloc_stack | any(.symbol == \"livepatch_klpt_obj_create\")))"
check target-removed rmmod klpt_target
