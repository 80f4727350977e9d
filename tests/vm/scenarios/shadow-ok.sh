# SPDX-License-Identifier: GPL-2.0
# shadow-ok: klpt_lp_shadow_ok frees each shadow (id 0x6b6c7002) with its
# owner: klptop shadow must report zero orphans and a live count that stays
# within the churn ring (16); disabling the patch runs its post-unpatch
# klp_shadow_free_all, and the count drops to zero.
# lab-timeout: 150
. /lib/klptop/lib.sh

OK='0x6b6c7002'
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
ID=".shadows.ids[] | select(.id == \"$OK\")"

lp_load klpt_target
lp_load klpt_lp_shadow_ok
check ok-patch-enabled lp_wait_transition klpt_lp_shadow_ok 30
klptop_bg /tmp/ok.jsonl shadow --json -d 1
# ready once the first interval is out (loading takes seconds under TCG)
wait_until 30 test -s /tmp/ok.jsonl || fail klptop-started "no output from klptop shadow"
klpt_knob churn "400 200 kmalloc"
wait_until 20 churn_done || fail churn "churn did not end"
sleep 2
klptop_stop
tail -n 1 /tmp/ok.jsonl >/tmp/ok-sum.json
check_json zero-orphans /tmp/ok-sum.json "($ID | .orphans) == 0 and .shadows.orphans == 0"
check_json allocs-seen /tmp/ok-sum.json "($ID | .allocs) == 400 and ($ID | .frees) == 400"
jq -s . /tmp/ok.jsonl >/tmp/ok-all.json
check_json live-steady /tmp/ok-all.json \
	"[.[].shadows.ids[] | select(.id == \"$OK\") | .live] | all(. >= 0 and . <= 16)"
check_json live-zero-after /tmp/ok-sum.json "($ID | .live) == 0"

# free_all: objects alive (slow churn: no destroy in the first 8 s), then
# disable: post_unpatch frees every shadow of the id.
klptop_bg /tmp/fa.jsonl shadow --json -d 1
wait_until 30 test -s /tmp/fa.jsonl || fail klptop-started-fa "no output from klptop shadow"
klpt_knob churn "0 2 kmalloc"
sleep 4
lp_disable klpt_lp_shadow_ok
# The disable may already be over, its sysfs directory gone (6.12 often):
# lp_wait_transition would call that "not loaded".
check disabled wait_until 30 _lp_tr klpt_lp_shadow_ok
sleep 2
klptop_stop
klpt_knob churn 0
tail -n 1 /tmp/fa.jsonl >/tmp/fa-sum.json
jq -s . /tmp/fa.jsonl >/tmp/fa-all.json
check_json live-before-free-all /tmp/fa-all.json \
	"[.[].shadows.ids[] | select(.id == \"$OK\") | .live] | max > 0"
check_json free-all-zero /tmp/fa-sum.json "($ID | .live) == 0 and ($ID | .orphans) == 0"
lp_unload klpt_lp_shadow_ok && pass unloaded
check target-removed rmmod klpt_target
