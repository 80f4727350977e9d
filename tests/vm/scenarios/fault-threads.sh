# SPDX-License-Identifier: GPL-2.0
# fault-threads (issue #10 b): thousands of threads are born and exit while
# klptop walks the tasks of a stuck transition (a klpt_sleep_d kthread holds
# klpt_lp_fix). thread-churn (tests/vm/thread-churn.c) keeps 64 short-lived
# threads in flight; meanwhile `klptop status --json` runs again and again,
# from the BPF task iterator and from /proc. What a user sees: every answer
# exits 0 and is valid JSON, its counts are plausible (pending <= total, the
# total within what the system can hold), and the blocker is named each
# time, with its reason once the kernel's checks were watched. (Under TCG a
# BPF answer takes ~10-20 s while the churn runs: expect one or two; a
# procfs answer a few seconds.)
# lab-timeout: 180
. /lib/klptop/lib.sh

CHURN_S=25
SLEEPER='[.transition.pending[] | select(.comm == "klpt_sleep_d")][0]'
SLEEPER_T='[.transition.groups[] | select(.comm == "klpt_sleep_d")][0].task'
mkdir -p /tmp/ans

# answers TAG ARGS...: klptop status --json ARGS while the churn runs; answer
# N in /tmp/ans/TAG.N.{json,err,rc}. Prints the number of answers.
answers() {
	_tag=$1
	shift
	_i=0
	while kill -0 "$CHURN" 2>/dev/null; do
		klptop status --json "$@" >/tmp/ans/$_tag.$_i.json 2>/tmp/ans/$_tag.$_i.err
		echo $? >/tmp/ans/$_tag.$_i.rc
		_i=$((_i + 1))
	done
}

# judge TAG MIN JQ: every answer exited 0, printed nothing on stderr, and
# satisfies JQ; at least MIN answers.
judge() {
	_n=0
	_bad=
	for _rc in /tmp/ans/$1.*.rc; do
		[ -e "$_rc" ] || break
		_b=${_rc%.rc}
		_n=$((_n + 1))
		if [ "$(cat "$_rc")" != 0 ]; then
			_bad="exit $(cat "$_rc") in ${_b##*/}: $(head -c 300 "$_b.err")"
		elif [ -s "$_b.err" ]; then
			_bad="stderr in ${_b##*/}: $(head -c 300 "$_b.err")"
		elif ! jq -e "$3" "$_b.json" >/dev/null 2>&1; then
			_bad="${_b##*/} fails '$3': $(head -c 600 "$_b.json")"
		fi
		[ -n "$_bad" ] && break
	done
	log "$1: $_n answers; totals $(cat /tmp/ans/$1.*.json 2>/dev/null | jq -r '.transition.tasks_total' 2>/dev/null | sort -n | sed -n '1p;$p' | tr '\n' ' ')"
	if [ -n "$_bad" ]; then
		fail "$1-answers" "$_bad"
	elif [ "$_n" -lt "$2" ]; then
		fail "$1-answers" "only $_n answers (want at least $2)"
	else
		pass "$1-answers"
	fi
}

lp_load klpt_target
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"
lp_load klpt_lp_fix
sleep 1
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
base=$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)
log "threads before the churn: $base"

# One churn per source, so that each loop gets what CPU the churn leaves.
for tag in procfs bpf; do
	thread-churn $CHURN_S 64 >/tmp/churn-$tag.out 2>&1 &
	CHURN=$!
	sleep 1
	check churn-$tag-running kill -0 $CHURN
	case $tag in
	procfs) answers procfs --no-bpf ;;
	bpf) answers bpf --rounds 1 ;;
	esac
	wait $CHURN
	check churn-$tag-exit-0 test $? -eq 0
	cat /tmp/churn-$tag.out
	n=$(sed -n 's/^thread-churn: \([0-9]*\) threads$/\1/p' /tmp/churn-$tag.out)
	check churn-$tag-thousands test "${n:-0}" -ge 2000
done

# Plausible: the transition is there, pending within total, the total at
# least the threads before the churn minus a few and below what 64 churning
# threads can add (plus klptop's own), the sleeper named.
PLAUSIBLE=".transition.patch == \"klpt_lp_fix\" and .transition.tasks_pending >= 1 and .transition.tasks_pending <= .transition.tasks_total and .transition.tasks_total >= $((base - 10)) and .transition.tasks_total <= $((base + 64 + 40)) and ($SLEEPER | .kthread == true)"
judge bpf 1 "$PLAUSIBLE and .source == \"bpf\" and ($SLEEPER | .reason == \"sleeping_on\" and .function == \"klpt_sleep_in\")"
judge procfs 3 "$PLAUSIBLE and .source == \"procfs\" and ([$SLEEPER_T.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\")"

klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target
