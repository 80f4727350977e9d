# SPDX-License-Identifier: GPL-2.0
# watchers-first: the other long-running commands, started before the
# incident as shadow-first starts `klptop shadow`. The live view
# (`klptop --batch --leaks`), `klptop record --leaks` and the exporter
# (`klptop metrics --listen`) all run before klpt_lp_shadow_leak is loaded,
# and on through its transition, its leak, its disable (the unpatching
# transition) and its unload. What each one shows a user must name the
# patch: its two transitions with their outcome (patched, then unpatched,
# both completed), the leaked shadows attributed to module
# klpt_lp_shadow_leak with allocation stacks in its own
# livepatch_klpt_obj_create (never the ftrace trampoline loaded before it,
# `__builtin__ftrace`), and, once it is disabled then unloaded, the shadows
# it left abandoned by a disabled, then an unloaded klpt_lp_shadow_leak.
# lab-append: preempt=full
# lab-timeout: 300
. /lib/klptop/lib.sh

PATCH=klpt_lp_shadow_leak
LEAK=0x6b6c7001
VIEW=/tmp/view.txt
RECFILE=/tmp/first.klpt
PORT=9815
METRICS_URL=http://127.0.0.1:$PORT/metrics
SCRAPE=$KLPT_TMP/scrape.txt
TRAMP='ftrace_trampoline|__builtin__ftrace'

stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$KLPT_DEBUGFS/churn_stats"; }
churn_done() { [ "$(stat_of running)" = 0 ]; }

# ---- the exporter's side ------------------------------------------------------
# scraped_without ERE: a fresh scrape has no sample matching ERE.
scraped_without() {
	scrape && ! grep -Eq "$1" "$SCRAPE"
}

# until_scrape NAME SECONDS CMD...: pass NAME once CMD holds for a fresh
# scrape; else fail and show what the exporter said about the patch.
until_scrape() {
	_name=$1
	_s=$2
	shift 2
	if until_s "$_s" "$@"; then
		pass "$_name"
	else
		fail "$_name" "'$*' not true of /metrics within $_s s"
		echo "# --- last scrape (patch, transition counts, shadows) ---"
		grep -E '^klptop_(patch_|shadow_|transition_duration_seconds_count|bpf_up)' "$SCRAPE" | head -n 30
		echo "# --- end ---"
	fi
}

# transitions_seen: the exporter's count of transitions it saw end.
transitions_seen() {
	_v=$(sample '^klptop_transition_duration_seconds_count ')
	echo "${_v:-0}"
}

# ---- the live view's side ------------------------------------------------------
# last_frame: the latest complete batch frame.
last_frame() {
	awk '/^=== klptop / { n++ } { f[n] = f[n] $0 "\n" } END { printf "%s", f[n - 1] }' "$VIEW"
}

# frame_has ERE: the latest complete frame has a line matching ERE.
frame_has() {
	last_frame | grep -Eq "$1"
}

# frame_lacks ERE: the latest complete frame has no line matching ERE.
frame_lacks() {
	! last_frame | grep -Eq "$1"
}

# until_frame NAME SECONDS ERE: pass once the latest frame shows ERE; else
# fail and show that frame.
until_frame() {
	if wait_until "$2" frame_has "$3"; then
		pass "$1"
	else
		fail "$1" "no line matching '$3' in the live view within $2 s"
		echo "# --- last frame ---"
		last_frame
		echo "# --- end ---"
	fi
}

# ---- start the watchers, one at a time (each loads its probes) ---------------
lp_load klpt_target
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
klptop metrics --listen 127.0.0.1:$PORT -d 1 >/tmp/exporter.log 2>&1 &
EXPORTER=$!
if ! until_s 150 scrape; then
	tail -n 20 /tmp/exporter.log
	die exporter-up "no answer on $METRICS_URL after 150 s"
fi
check exporter-bpf-up at_least '^klptop_bpf_up ' 1
check exporter-no-patch-yet scraped_without "patch=\"$PATCH\""
T0=$(transitions_seen)

record_bg /tmp/record.log "$RECFILE" --leaks --interval 0.5
klptop_bg "$VIEW" --batch --leaks -d 1
until_frame view-no-patch-yet 10 '^PATCHES \(0\)|no live patches loaded'

# ---- load: the patching transition --------------------------------------------
lp_load "$PATCH"
check patch-enabled lp_wait_transition "$PATCH" 30
until_frame view-patch-row 15 "^ +$PATCH +yes +no "
until_frame view-patched-ended 15 "^ *ended: $PATCH -> patched completed"
until_scrape metrics-patch-enabled 15 at_least "^klptop_patch_enabled[{]patch=\"$PATCH\"[}] " 1
until_scrape metrics-transition-counted 15 at_least '^klptop_transition_duration_seconds_count ' $((T0 + 1))

# ---- the leak ------------------------------------------------------------------
klpt_knob churn "300 100 kmalloc"
wait_until 30 churn_done || fail churn "churn did not end"
log "churn: created $(stat_of created) destroyed $(stat_of destroyed)"
until_frame view-orphans 15 "^ +$LEAK +live +[0-9]+ .* orphans [1-9]"
until_scrape metrics-shadow-live 15 at_least \
	"^klptop_shadow_live[{]id=\"$LEAK\",module=\"$PATCH\"[}] " 1
until_scrape metrics-orphans 15 at_least "^klptop_shadow_orphans_total[{]id=\"$LEAK\"[}] " 1
check metrics-not-abandoned-while-enabled sh -c "! grep -q '^klptop_shadow_abandoned{id=\"$LEAK\"' $SCRAPE"
check metrics-no-trampoline sh -c "! grep -Eq '$TRAMP' $SCRAPE"
check view-not-abandoned-while-enabled frame_lacks abandoned

# ---- disable: the unpatching transition ---------------------------------------
lp_disable "$PATCH"
check disabled wait_until 30 test ! -d "$KLPT_LP/$PATCH"
until_frame view-unpatched-ended 15 "^ *ended: $PATCH -> unpatched completed"
until_frame view-abandoned-by-disabled 15 \
	"^ +$LEAK abandoned: .*of $PATCH, which was disabled"
until_scrape metrics-abandoned-by-disabled 15 at_least \
	"^klptop_shadow_abandoned[{]id=\"$LEAK\",module=\"$PATCH\",patch=\"disabled\"[}] " 1
until_scrape metrics-unpatch-counted 15 at_least '^klptop_transition_duration_seconds_count ' $((T0 + 2))
until_scrape metrics-patch-series-gone 15 scraped_without "^klptop_patch_[a-z_]+[{]patch=\"$PATCH\""

# ---- unload ----------------------------------------------------------------------
check rmmod-leak wait_until 30 rmmod "$PATCH"
until_frame view-abandoned-by-unloaded 15 \
	"^ +$LEAK abandoned: .*of $PATCH, which was unloaded"
until_scrape metrics-abandoned-by-unloaded 15 at_least \
	"^klptop_shadow_abandoned[{]id=\"$LEAK\",module=\"$PATCH\",patch=\"unloaded\"[}] " 1
check metrics-live-still-named at_least "^klptop_shadow_live[{]id=\"$LEAK\",module=\"$PATCH\"[}] " 1
check metrics-no-trampoline-after sh -c "! grep -Eq '$TRAMP' $SCRAPE"
# Two seconds of frames and snapshots after the unload, then stop them all.
sleep 2
klptop_stop
check view-exit-0 test $? -eq 0
echo "# --- the live view's last frame ---"
last_frame
echo "# --- the exporter's last scrape (patch and shadow samples) ---"
grep -E '^klptop_(patch_|shadow_|transition_duration_seconds_count)' "$SCRAPE"
echo "# --- end ---"
check view-no-trampoline sh -c "! grep -Eq '$TRAMP' $VIEW"
kill -INT "$REC"
wait "$REC"
check record-exit-0 test $? -eq 0
cat /tmp/record.log
kill -TERM "$EXPORTER"
wait "$EXPORTER"
check exporter-exit-0 test $? -eq 0

# ---- what the recording says afterwards ------------------------------------------
klptop report "$RECFILE" >/tmp/report.txt 2>&1
check report-exit-0 test $? -eq 0
cat /tmp/report.txt
klptop report --json "$RECFILE" >/tmp/report.json
check report-json-exit-0 test $? -eq 0
TR=".transitions[] | select(.patch == \"$PATCH\")"
check_json report-transitions /tmp/report.json \
	"[$TR | [.target, .outcome]] == [[\"patched\", \"completed\"], [\"unpatched\", \"completed\"]]"
ORPH="[.shadows.event_groups[] | select(.kind == \"orphan\" and .id == \"$LEAK\")]"
check_json report-orphans-alloc-stack /tmp/report.json \
	"$ORPH | length > 0 and all(.alloc_stack | test(\"livepatch_klpt_obj_create\\\\+0x[0-9a-f]+ \\\\[$PATCH\\\\]\"))"
ID=".shadows.last.ids[] | select(.id == \"$LEAK\")"
check_json report-abandoned-by-unloaded /tmp/report.json \
	"$ID | .ownership == \"abandoned\" and (.ownership_text | test(\"of $PATCH, which was unloaded\"))"
check_json report-leaks-module /tmp/report.json \
	"[.shadows.last.leaks[] | select(.id == \"$LEAK\")] | length > 0 and all(.module == \"$PATCH\")"
check_json report-group-module /tmp/report.json \
	"[.shadows.last.groups[] | select(.id == \"$LEAK\")] | length > 0 and all(.module == \"$PATCH\" and .patch_gone)"
check report-no-trampoline sh -c "! grep -Eq '$TRAMP' /tmp/report.txt /tmp/report.json"
check report-text-patched grep -Eq "^  $PATCH -> patched: .*outcome completed" /tmp/report.txt
check report-text-unpatched grep -Eq "^  $PATCH -> unpatched: .*outcome completed" /tmp/report.txt
check report-text-abandoned grep -Eq "^    abandoned: [0-9]+ shadows of $PATCH, which was unloaded" /tmp/report.txt
check report-text-alloc grep -Eq "^    allocated: .*livepatch_klpt_obj_create\+0x[0-9a-f]+ \[$PATCH\]" /tmp/report.txt
check target-removed rmmod klpt_target
