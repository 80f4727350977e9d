# SPDX-License-Identifier: GPL-2.0
# fault-patch-gone (issue #10 a): live patches are disabled and removed
# while klptop reads them. `klptop status --json` runs in a tight loop (with
# and without BPF), `klptop shadow --json` and `klptop record` run all along,
# and klpt_lp_vmlinux is unloaded and loaded again twice. What a user
# notices: every status answer is valid JSON with exit 0 and nothing on
# stderr (a patch that vanishes mid-read is left out, with a warning, never
# an error), the patch is gone once removed, shadow and record stop cleanly
# on SIGINT, and the recording tells each of the transitions.
# Lab time: ~80 s on 6.1; on 6.12 each transition start and end rewrites
# static calls (sched_dynamic_klp_enable/disable) with IPIs that wait for
# busy vCPUs under TCG: ~140 s on a loaded host, hence the timeout.
# lab-timeout: 240
. /lib/klptop/lib.sh

CYCLES=2
mkdir -p /tmp/loop

# status_loop TAG ARGS...: klptop status --json ARGS until /tmp/stop exists;
# answer N in /tmp/loop/TAG.N.{json,err,rc}.
status_loop() {
	_tag=$1
	shift
	_i=0
	while [ ! -e /tmp/stop ]; do
		klptop status --json "$@" >/tmp/loop/$_tag.$_i.json 2>/tmp/loop/$_tag.$_i.err
		echo $? >/tmp/loop/$_tag.$_i.rc
		_i=$((_i + 1))
		# A breath between answers: on 6.12 each transition rewrites
		# static calls with IPIs to every vCPU, which wait behind a
		# vCPU that never idles (minutes under TCG).
		sleep 0.1
	done
}

# loop_verdict TAG: every answer of status_loop TAG exited 0, is one JSON
# object with the patch list, and printed nothing on stderr.
loop_verdict() {
	_n=0
	_bad=
	for _rc in /tmp/loop/$1.*.rc; do
		_b=${_rc%.rc}
		_n=$((_n + 1))
		if [ "$(cat "$_rc")" != 0 ]; then
			_bad="exit $(cat "$_rc") in ${_b##*/}: $(head -c 300 "$_b.json" "$_b.err" | tr '\n' ' ')"
		elif ! jq -e 'type == "object" and (.patches | type == "array") and (has("error") | not)' \
			"$_b.json" >/dev/null 2>&1 || [ "$(jq -s length "$_b.json")" != 1 ]; then
			_bad="invalid JSON in ${_b##*/}: $(head -c 300 "$_b.json" | tr '\n' ' ')"
		elif [ -s "$_b.err" ]; then
			_bad="stderr in ${_b##*/}: $(head -c 300 "$_b.err" | tr '\n' ' ')"
		fi
		[ -n "$_bad" ] && break
	done
	log "$1: $_n answers"
	if [ -n "$_bad" ]; then
		fail "$1-valid" "$_bad"
	elif [ "$_n" -lt "$2" ]; then
		fail "$1-valid" "only $_n answers (want at least $2)"
	else
		pass "$1-valid"
	fi
}

recording() { grep -q 'recording to' "$1"; }

# stuck_report: if insmod or rmmod still runs after 20 s, log the kernel
# stacks of it and of every klptop (a hang, not slowness, shows there).
stuck_report() {
	sleep 20
	for _c in insmod rmmod; do
		for _p in $(pidof $_c); do
			log "$_c $_p still running after 20 s, state $(cut -d' ' -f3 /proc/$_p/stat): $(tr '\n' ' ' </proc/$_p/stack)"
			for _k in $(pidof klptop); do
				log "  klptop $_k state $(cut -d' ' -f3 /proc/$_k/stat 2>/dev/null): $(head -n 8 /proc/$_k/stack 2>/dev/null | tr '\n' ' ')"
			done
		done
	done
}

lp_load klpt_target
lp_load klpt_lp_vmlinux
check vmlinux-patched lp_wait_transition klpt_lp_vmlinux 30

klptop record -o /tmp/gone.klp --interval 0.2 >/tmp/rec.log 2>&1 &
REC=$!
klptop shadow --json -d 0.5 >/tmp/shadow.jsonl 2>/tmp/shadow.err &
SHADOW=$!
wait_until 40 recording /tmp/rec.log || { cat /tmp/rec.log; fail record-attached "no 'recording to' line"; }
wait_until 40 test -s /tmp/shadow.jsonl || fail shadow-started "no output from klptop shadow"
status_loop bpf --rounds 0 &
LOOP_BPF=$!
status_loop procfs --no-bpf &
LOOP_PROCFS=$!
sleep 2

# answers TAG: how many answers status_loop TAG has given so far.
answers() { ls /tmp/loop/$1.*.rc 2>/dev/null | wc -l; }
# More cycles (up to MAX_CYCLES) while the loops have given fewer answers
# than the verdicts want: a status answer takes seconds under TCG on a
# loaded host, and 7.2 removes and loads a patch much faster than 6.12, so
# two cycles can end before the loops have answered during them.
MAX_CYCLES=8
more_cycles() {
	[ $k -lt $CYCLES ] ||
		{ [ $k -lt $MAX_CYCLES ] && { [ "$(answers bpf)" -lt 2 ] || [ "$(answers procfs)" -lt 5 ]; }; }
}

t0=$(date +%s)
k=0
while more_cycles; do
	k=$((k + 1))
	log "cycle $k at $(cut -d' ' -f1 /proc/uptime) s"
	lp_unload klpt_lp_vmlinux || break
	sleep 1
	stuck_report &
	W=$!
	lp_load klpt_lp_vmlinux
	kill $W 2>/dev/null
	lp_wait_transition klpt_lp_vmlinux 30 || { fail cycle-$k "enable did not complete"; break; }
	sleep 1
done
[ $k -ge $CYCLES ] && pass cycles
lp_unload klpt_lp_vmlinux
sleep 1
log "$k cycles took $(($(date +%s) - t0)) s"
touch /tmp/stop
wait $LOOP_BPF $LOOP_PROCFS

loop_verdict bpf 2
loop_verdict procfs 5
# How many answers caught the patch half-way (informational: timing decides).
log "answers that saw a klpt_lp_vmlinux transition: $(cat /tmp/loop/*.json |
	jq -r 'select(.transition.patch == "klpt_lp_vmlinux") | .transition.target' | sort | uniq -c | tr '\n' ' ')"
log "answers with warnings: $(cat /tmp/loop/*.json | jq -r '.warnings[]' | sort | uniq -c | head -n 5 | tr '\n' ' ')"

# Removed: the patch is gone from status, text and JSON, BPF or not.
klptop status --json >/tmp/after.json 2>/tmp/after.err
check after-exit-0 test $? -eq 0
check_json after-gone /tmp/after.json \
	'([.patches[].name] | index("klpt_lp_vmlinux")) == null and .transition == null'
klptop status --no-bpf >/tmp/after.txt 2>&1
check after-text-gone sh -c '! grep -q klpt_lp_vmlinux /tmp/after.txt'

# shadow: still running, stops on SIGINT with exit 0 and a final summary.
check shadow-survived kill -0 $SHADOW
kill -INT $SHADOW
wait $SHADOW
check shadow-exit-0 test $? -eq 0
check shadow-quiet sh -c '! grep -v "^klptop: warning:" /tmp/shadow.err | grep -q .'
check shadow-json-lines sh -c 'jq -e "type == \"object\"" /tmp/shadow.jsonl >/dev/null'
tail -n 1 /tmp/shadow.jsonl >/tmp/shadow-last.json
check_json shadow-summary /tmp/shadow-last.json '.summary == true and .shadows != null'

# record: ends on SIGINT with an end chunk; the report tells every disable
# and every enable of the cycles.
check record-survived kill -0 $REC
kill -INT $REC
wait $REC
check record-exit-0 test $? -eq 0
klptop report --json /tmp/gone.klp >/tmp/report.json 2>/tmp/report.err
check report-exit-0 test $? -eq 0
check_json report-clean-end /tmp/report.json '.complete == true and .end.reason == "SIGINT"'
check_json report-disables /tmp/report.json \
	"[.transitions[] | select(.patch == \"klpt_lp_vmlinux\" and .target == \"unpatched\" and .outcome == \"completed\")] | length == $((k + 1))"
check_json report-enables /tmp/report.json \
	"[.transitions[] | select(.patch == \"klpt_lp_vmlinux\" and .target == \"patched\" and .outcome == \"completed\")] | length == $k"
klptop report /tmp/gone.klp >/tmp/report.txt 2>&1
check report-text grep -q 'klpt_lp_vmlinux -> unpatched' /tmp/report.txt

check target-removed rmmod klpt_target
