# SPDX-License-Identifier: GPL-2.0
# shadow-stall: the free hooks come on and go off while a transition is
# stuck behind a kthread that spins without scheduling (the incident klptop
# exists for), and klptop shadow keeps answering and exits. Attaching a BPF
# trampoline, or registering a kprobe during a stuck completion, would wait
# on that kthread; the hooks are raw tracepoints, attached by their own
# thread. klpt_lp_shadow_ok frees every shadow it makes, so the hooks go off
# once the churn ends (and it reports no orphan: no false alarm either).
# lab-append: preempt=full
# lab-timeout: 240
. /lib/klptop/lib.sh

OUT=/tmp/stall.jsonl
HOOKS='.shadows.free_hooks'
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
lines() { wc -l <"$OUT"; }

lp_load klpt_target
lp_load klpt_lp_shadow_ok
check ok-enabled lp_wait_transition klpt_lp_shadow_ok 30
klptop_bg "$OUT" shadow --json -d 0.5
wait_until 30 test -s "$OUT" || die klptop-started "no output from klptop shadow"
until_json hooks-off-at-start 15 "$OUT" "$HOOKS | .kfree == false and .kmem_cache_free == false"

# The stall: klpt_spin never leaves klpt_spin_step, which klpt_lp_fix replaces.
klpt_knob spin 1
wait_until 5 has_comm klpt_spin || die spinner "klpt_spin did not start"
lp_load klpt_lp_fix
sleep 3
check transition-stuck test "$(cat "$KLPT_LP/klpt_lp_fix/transition")" = 1

# Slab-cache owners need both hooks: on during the stall...
klpt_knob churn "600 100 cache"
until_json hooks-on-during-stall 15 "$OUT" "$HOOKS | .kfree and .kmem_cache_free and .owners > 0"
wait_until 30 churn_done || fail churn "churn did not end"
# ... and off again, 2 s after the last shadow went.
until_json hooks-off-during-stall 15 "$OUT" \
	"$HOOKS | (.kfree | not) and (.kmem_cache_free | not) and .owners == 0 and .arms >= 2 and .error == null"
check still-stuck test "$(cat "$KLPT_LP/klpt_lp_fix/transition")" = 1
n=$(lines)
sleep 2
check still-answering test "$(lines)" -gt "$n"
json_last "$OUT" >/tmp/last.json
# Exact unless the kernel skipped a probe hit (a BPF program already running
# on that CPU): then off by no more than the misses klptop reports.
check_json no-false-orphans /tmp/last.json \
	'def missed(p): [.shadows.missed_by[] | select(.program | test(p)) | .recursion + .kprobe] | add // 0;
	 missed("^shadow_free") as $mf | missed("^shadow_alloc") as $ma |
	 [.shadows.ids[] | select(.id == "0x6b6c7002")][0] | .orphans <= $mf and .allocs + $ma >= 600'

kill -INT "$KLPTOP_BG"
if wait_until 20 sh -c "! kill -0 $KLPTOP_BG 2>/dev/null"; then
	pass exits-during-stall
else
	fail exits-during-stall "klptop shadow still running 20 s after SIGINT: state $(cut -d' ' -f3 /proc/$KLPTOP_BG/stat 2>/dev/null)"
fi
wait "$KLPTOP_BG"
klpt_knob spin 0
check transition-done lp_wait_transition klpt_lp_fix 30
lp_unload klpt_lp_fix && pass fix-unloaded
lp_unload klpt_lp_shadow_ok && pass ok-unloaded
check target-removed rmmod klpt_target
