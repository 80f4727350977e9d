# SPDX-License-Identifier: GPL-2.0
# stack-order: two patches on one function (klpt_lp_a, then klpt_lp_a2 on
# top of it, both replacing klpt_func_a). The newest enabled patch runs.
# klptop says which one from two sources: the kernel's own sysfs
# stack_order where it exists (6.14+: 7.2 here) and the function's klp_ops
# stack (BPF) on every kernel. They must agree, and name the version that
# really runs (debugfs func_a). Where the kernel has no stack_order (6.1,
# 6.12), klptop reports null for it and still knows from klp_ops.
# Disabling the top patch hands the function back to the one below.
. /lib/klptop/lib.sh

F='.objects[].funcs[] | select(.name == "klpt_func_a")'
A="[.patches[] | select(.name == \"klpt_lp_a\") | $F][0]"
A2="[.patches[] | select(.name == \"klpt_lp_a2\") | $F][0]"
ORDER='.patches[] | select(.name == "klpt_lp_a") | .stack_order'
ORDER2='.patches[] | select(.name == "klpt_lp_a2") | .stack_order'

lp_load klpt_target
lp_load klpt_lp_a
check a-enabled lp_wait_transition klpt_lp_a
lp_load klpt_lp_a2
check a2-enabled lp_wait_transition klpt_lp_a2
check runs-a2 test "$(cat $KLPT_DEBUGFS/func_a)" = a-patched-2

klptop status --json >/tmp/two.json
jq -M -c "[.patches[] | {name, stack_order, funcs: [$F | {live, live_stack_order}]}]" /tmp/two.json
check_json klp-ops-top /tmp/two.json "$A2.live == true and $A.live == false"
if [ -e "$KLPT_LP/klpt_lp_a/stack_order" ]; then
	check_json stack-order-read /tmp/two.json \
		"($ORDER) == $(cat $KLPT_LP/klpt_lp_a/stack_order) and ($ORDER2) == $(cat $KLPT_LP/klpt_lp_a2/stack_order) and ($ORDER2) > ($ORDER)"
	check_json stack-order-top /tmp/two.json "$A2.live_stack_order == true and $A.live_stack_order == false"
	check_json sources-agree /tmp/two.json \
		'[.patches[].objects[].funcs[] | select(.live != null) | .live == .live_stack_order] | all'
else
	check_json stack-order-null /tmp/two.json \
		'([.patches[].stack_order] | all(. == null)) and ([.patches[].objects[].funcs[].live_stack_order] | all(. == null))'
fi
klptop status >/tmp/two.txt
check text-top-live sh -c "grep -A1 '^klpt_lp_a2 ' /tmp/two.txt | grep -q 'klpt_func_a,1 \[live\]'"
check text-below-superseded sh -c "grep -A1 '^klpt_lp_a ' /tmp/two.txt | grep -q 'klpt_func_a,1 \[superseded\]'"

lp_unload klpt_lp_a2 && pass a2-unloaded
check runs-a test "$(cat $KLPT_DEBUGFS/func_a)" = a-patched
klptop status --json >/tmp/one.json
check_json back-to-a /tmp/one.json \
	"$A.live == true and ($A.live_stack_order == true or ($ORDER) == null)"
lp_unload klpt_lp_a && pass a-unloaded
check target-removed rmmod klpt_target
