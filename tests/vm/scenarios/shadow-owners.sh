# SPDX-License-Identifier: GPL-2.0
# shadow-owners: who owns a shadow id, followed by klptop shadow and the
# exporter from before the first patch. klpt_lp_shadow_leak leaves shadows
# of id 0x6b6c7001; klpt_lp_shadow_size allocates the same id with 128
# bytes and a constructor (a conflict, gone once it is unloaded); the
# cumulative klpt_lp_replace, which never uses the id, replaces the leak
# (its shadows are abandoned: nothing will free them); the cumulative
# klpt_lp_shadow_fix, which allocates, gets and frees the id, replaces that
# (it adopts them).
# lab-append: preempt=full
# lab-timeout: 480
. /lib/klptop/lib.sh

OUT=/tmp/own.jsonl
PROM=/tmp/prom/klptop.prom
LEAK='0x6b6c7001'
ID=".shadows.ids[] | select(.id == \"$LEAK\")"
USERS="[.shadows.users[] | select(.id == \"$LEAK\")]"
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }
# until_metric NAME T LINE_ERE: the exporter's file has a matching line
until_metric() {
	if wait_until "$2" grep -Eq "$3" "$PROM"; then
		pass "$1"
	else
		fail "$1" "no line /$3/ in $PROM: $(grep klptop_shadow_ "$PROM" | tr '\n' ' ')"
	fi
}

lp_load klpt_target
mkdir -p /tmp/prom
klptop metrics --textfile /tmp/prom -d 1 >/tmp/metrics.log 2>&1 &
METRICS=$!
klptop_bg "$OUT" shadow --json -d 1
wait_until 30 test -s "$OUT" || die klptop-started "no output from klptop shadow"

lp_load klpt_lp_shadow_leak
check leak-enabled lp_wait_transition klpt_lp_shadow_leak 30
klpt_knob churn "200 100 kmalloc"
wait_until 30 churn_done || fail churn-leak "churn did not end"
until_json leak-owned 10 "$OUT" "($ID | .ownership == \"ok\" and .live > 0)"

# The same id, another size and a constructor, from a second patch.
lp_load klpt_lp_shadow_size
check size-enabled lp_wait_transition klpt_lp_shadow_size 30
for i in 1 2 3; do cat "$KLPT_DEBUGFS/func_b" >/dev/null; done
check func-b-patched test "$(cat "$KLPT_DEBUGFS/func_b")" = b-size
until_json conflict 10 "$OUT" \
	"($ID | .ownership == \"conflict\" and (.ownership_text | test(\"klpt_lp_shadow_leak allocates it with 64 bytes\"))
	  and (.ownership_text | test(\"klpt_lp_shadow_size with 128 bytes, constructor klpt_size_ctor\")))
	 and ($USERS | any(.module == \"klpt_lp_shadow_size\" and .sizes == [128] and .ctors == [\"klpt_size_ctor\"]))"
until_metric conflict-metric 10 "^klptop_shadow_id_conflict\\{id=\"$LEAK\"\\} 1$"
lp_unload klpt_lp_shadow_size && pass size-unloaded
until_json conflict-gone-with-it 10 "$OUT" "($ID | .ownership == \"ok\")"

# A cumulative patch that never uses the id replaces the leak.
lp_load klpt_lp_replace
check replace-enabled lp_wait_transition klpt_lp_replace 30
wait_until 30 test ! -d "$KLPT_LP/klpt_lp_shadow_leak" || fail leak-replaced "leak still a patch"
until_json abandoned-after-replace 10 "$OUT" \
	"($ID | .ownership == \"abandoned\" and
	  (.ownership_text | test(\"of klpt_lp_shadow_leak, which was replaced by klpt_lp_replace; no enabled patch uses the id\")))
	 and ($USERS | any(.module == \"klpt_lp_shadow_leak\" and .patch == \"replaced\" and .replaced_by == \"klpt_lp_replace\"))"
until_metric abandoned-metric 10 \
	"^klptop_shadow_abandoned\\{id=\"$LEAK\",module=\"klpt_lp_shadow_leak\",patch=\"replaced\"\\} [1-9]"

# A cumulative fix that uses the id replaces that: it adopts them.
lp_load klpt_lp_shadow_fix
check fix-enabled lp_wait_transition klpt_lp_shadow_fix 30
klpt_knob churn "100 100 kmalloc"
wait_until 30 churn_done || fail churn-fix "churn did not end"
until_json adopted-by-fix 10 "$OUT" \
	"($ID | .ownership == \"adopted\" and (.ownership_text | test(\"klpt_lp_shadow_fix uses the id\")))
	 and ($USERS | any(.module == \"klpt_lp_shadow_fix\" and .patch == \"enabled\" and .frees > 0))"
until_metric conflict-metric-zero 10 "^klptop_shadow_id_conflict\\{id=\"$LEAK\"\\} 0$"
if grep -q '^klptop_shadow_abandoned{' "$PROM"; then
	fail no-abandoned-left "$(grep '^klptop_shadow_abandoned{' "$PROM")"
else
	pass no-abandoned-left
fi

klptop_stop
kill -INT "$METRICS" 2>/dev/null
wait "$METRICS"
lp_unload klpt_lp_shadow_fix && pass fix-unloaded
check rmmod-replace rmmod klpt_lp_replace
check rmmod-leak rmmod klpt_lp_shadow_leak
check target-removed rmmod klpt_target
