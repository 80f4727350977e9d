# SPDX-License-Identifier: GPL-2.0
# lib.sh: helpers for lab scenarios, sourced first by every
# tests/vm/scenarios/*.sh (". /lib/klptop/lib.sh"). Runs under busybox sh in
# the guest. Modelled on the kernel's tools/testing/selftests/livepatch/
# functions.sh: wait for `transition` to reach 0 before moving on, and
# compare dmesg after a marker line.
#
# Results go to the console, one per line, exactly:
#   KLPT-RESULT PASS <name>
#   KLPT-RESULT FAIL <name>: <message>
#   KLPT-RESULT SKIP <name>: <why>
# lab.sh turns them into lab/<REL>/<scenario>/<name>. Names are short
# identifiers without spaces. The scenario's exit status is 1 if any test
# failed (the EXIT trap below sets it), so a scenario needs no epilogue.

KLPT_KMOD=/lib/klptop/kmod
KLPT_LP=/sys/kernel/livepatch
KLPT_DEBUGFS=/sys/kernel/debug/klpt
KLPT_FAILS=0
KLPT_TMP=$(mktemp -d /tmp/klpt.XXXXXX)

_klpt_exit() {
	rc=$?
	rm -rf "$KLPT_TMP"
	[ "$KLPT_FAILS" -gt 0 ] && rc=1
	exit $rc
}
trap _klpt_exit EXIT

# log MSG...: a progress line on the console (not a result).
log() {
	echo "# $*"
}

pass() {
	echo "KLPT-RESULT PASS $1"
}

# fail NAME MSG: record a failure; returns 1 so "... || fail x y" chains work.
fail() {
	KLPT_FAILS=$((KLPT_FAILS + 1))
	echo "KLPT-RESULT FAIL $1: ${2:-failed}"
	return 1
}

# skip NAME WHY: the test could not run here (not a pass, not a failure).
skip() {
	echo "KLPT-RESULT SKIP $1: ${2:-skipped}"
}

# die NAME MSG: record a failure and end the scenario now.
die() {
	fail "$1" "$2"
	exit 1
}

# check NAME CMD...: pass if CMD exits 0, else fail with its status and the
# last line it printed.
check() {
	_name=$1
	shift
	if "$@" >"$KLPT_TMP/check.out" 2>&1; then
		pass "$_name"
	else
		_rc=$?
		_last=$(tail -n 1 "$KLPT_TMP/check.out")
		fail "$_name" "'$*' exited $_rc${_last:+: $_last}"
	fi
}

# check_json NAME FILE JQ_EXPR: pass if `jq -e JQ_EXPR FILE` is true; on
# failure show the file (first 60 lines) so the log explains the verdict.
check_json() {
	if [ ! -e "$2" ]; then
		fail "$1" "$2 is missing"
		return 1
	fi
	# jq -e on empty input exits 0: an empty file must not pass.
	if [ -z "$(head -c 64 "$2" | tr -d ' \t\n')" ]; then
		fail "$1" "$2 is empty"
		return 1
	fi
	if jq -e "$3" "$2" >/dev/null 2>"$KLPT_TMP/jq.err"; then
		pass "$1"
	else
		fail "$1" "jq -e '$3' is not true: $(head -n 1 "$KLPT_TMP/jq.err")"
		echo "# --- $2 ---"
		head -n 60 "$2"
		echo "# --- end of $2 ---"
		return 1
	fi
}

# json_last FILE: the last line of FILE that is a JSON object (a command's
# stderr may share the file, and its last line may be half written). Only
# the end of FILE is read: it grows by a line per interval.
json_last() {
	tail -n 20 "$1" | grep '^{' | tail -n 1
}

_json_last_is() { # FILE EXPR (jq 1.6 -e says yes to no input at all)
	_jl=$(json_last "$1")
	[ -n "$_jl" ] && printf '%s\n' "$_jl" | jq -e "$2" >/dev/null 2>&1
}

# until_json NAME TIMEOUT_S FILE EXPR: pass once the last JSON line of FILE
# (a command printing one object per interval) satisfies EXPR (jq -e)
# within TIMEOUT_S; else fail, showing that line.
until_json() {
	if wait_until "$2" _json_last_is "$3" "$4"; then
		pass "$1"
	else
		json_last "$3" >"$KLPT_TMP/until_json.json"
		check_json "$1" "$KLPT_TMP/until_json.json" "$4"
	fi
}

# wait_until TIMEOUT_S CMD...: run CMD every 0.2 s until it succeeds;
# returns 1 after TIMEOUT_S seconds.
wait_until() {
	_n=$(($1 * 5))
	shift
	while ! "$@" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -le 0 ] && return 1
		sleep 0.2
	done
	return 0
}

_lp_file_is() { # _lp_file_is FILE VALUE
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}

# lp_load NAME [ARGS...]: insmod /lib/klptop/kmod/NAME.ko. On error the
# scenario fails (test load-NAME) and ends: what follows would be meaningless.
lp_load() {
	_mod=$1
	shift
	[ -f "$KLPT_KMOD/$_mod.ko" ] || die "load-$_mod" "$KLPT_KMOD/$_mod.ko not in the initramfs"
	log "insmod $_mod $*"
	if ! insmod "$KLPT_KMOD/$_mod.ko" "$@" >"$KLPT_TMP/insmod.out" 2>&1; then
		die "load-$_mod" "insmod failed: $(tail -n 1 "$KLPT_TMP/insmod.out")"
	fi
}

# lp_try_load NAME [ARGS...]: insmod that may fail (e.g. an expected EBUSY);
# returns insmod's status, its message is in $LP_OUT.
lp_try_load() {
	_mod=$1
	shift
	log "insmod $_mod $* (may fail)"
	insmod "$KLPT_KMOD/$_mod.ko" "$@" >"$KLPT_TMP/insmod.out" 2>&1
	_rc=$?
	# shellcheck disable=SC2034 # read by the scenario
	LP_OUT=$(cat "$KLPT_TMP/insmod.out")
	return $_rc
}

# lp_has NAME: the module file is in the initramfs.
lp_has() {
	[ -f "$KLPT_KMOD/$1.ko" ]
}

# lp_wait_transition PATCH [TIMEOUT_S=30]: wait until
# /sys/kernel/livepatch/PATCH/transition reads 0 (a patch whose directory
# goes away while we wait, at the end of a disable, has no transition
# either). Returns 1 on timeout, 2 if PATCH is not loaded at all.
_lp_tr() {
	[ ! -d "$KLPT_LP/$1" ] || _lp_file_is "$KLPT_LP/$1/transition" 0
}

lp_wait_transition() {
	if [ ! -d "$KLPT_LP/$1" ]; then
		log "$1: not a loaded live patch"
		return 2
	fi
	if ! wait_until "${2:-30}" _lp_tr "$1"; then
		log "$1: transition still $(cat "$KLPT_LP/$1/transition" 2>/dev/null) after ${2:-30} s"
		return 1
	fi
}

# lp_wait_enabled PATCH [TIMEOUT_S=30]: wait until PATCH/enabled reads 1.
lp_wait_enabled() {
	wait_until "${2:-30}" _lp_file_is "$KLPT_LP/$1/enabled" 1
}

# lp_disable PATCH: write 0 to enabled (starts the reverse transition).
# Fails test disable-PATCH on error.
lp_disable() {
	log "disable $1"
	if ! echo 0 >"$KLPT_LP/$1/enabled" 2>"$KLPT_TMP/disable.err"; then
		fail "disable-$1" "echo 0 > $KLPT_LP/$1/enabled: $(cat "$KLPT_TMP/disable.err")"
		return 1
	fi
}

# lp_unload PATCH [TIMEOUT_S=30]: disable if enabled, wait for the transition
# to end and the sysfs directory to go, then rmmod (retried: the module
# reference is dropped just after the directory goes). Fails test
# unload-PATCH on error.
lp_unload() {
	_p=$1
	_t=${2:-30}
	if _lp_file_is "$KLPT_LP/$_p/enabled" 1; then
		lp_disable "$_p" || return 1
	fi
	wait_until "$_t" _lp_tr "$_p" ||
		{ fail "unload-$_p" "transition did not reach 0 within $_t s"; return 1; }
	wait_until "$_t" test ! -d "$KLPT_LP/$_p" ||
		{ fail "unload-$_p" "$KLPT_LP/$_p still present after $_t s"; return 1; }
	[ -d "/sys/module/$_p" ] ||
		{ fail "unload-$_p" "module $_p is not loaded"; return 1; }
	wait_until "$_t" rmmod "$_p" ||
		{ fail "unload-$_p" "rmmod $_p: $(rmmod "$_p" 2>&1)"; return 1; }
	log "unloaded $_p"
}

# klpt_knob FILE VALUE: write VALUE to /sys/kernel/debug/klpt/FILE (knobs of
# the klpt_target module). Fails test knob-FILE on error.
klpt_knob() {
	if ! echo "$2" >"$KLPT_DEBUGFS/$1" 2>"$KLPT_TMP/knob.err"; then
		fail "knob-$1" "echo $2 > $KLPT_DEBUGFS/$1: $(cat "$KLPT_TMP/knob.err")"
		return 1
	fi
}

# dmesg_mark: write a marker into the kernel log; dmesg_since_mark prints
# the kernel lines after the latest marker (as functions.sh does).
dmesg_mark() {
	KLPT_MARK="klptop-lab: mark $(cat /proc/sys/kernel/random/uuid)"
	echo "$KLPT_MARK" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | awk -v m="$KLPT_MARK" 'f { print } index($0, m) { f = 1 }'
}

# tainted_bit N: true if bit N of /proc/sys/kernel/tainted is set.
tainted_bit() {
	[ $(($(cat /proc/sys/kernel/tainted) >> $1 & 1)) -eq 1 ]
}

# has_comm NAME: some task is called NAME (kthreads have no cmdline, so
# pgrep cannot be trusted for them).
has_comm() {
	grep -qx "$1" /proc/[0-9]*/comm 2>/dev/null
}

# klptop_bg FILE ARGS...: run klptop in the background, output in FILE; the
# pid is in $KLPTOP_BG. Stop it with klptop_stop (SIGINT, then wait).
klptop_bg() {
	_out=$1
	shift
	klptop "$@" >"$_out" 2>&1 &
	KLPTOP_BG=$!
	# Its probes are attached once the first frame is out.
	case " $* " in
	*" --batch "*) wait_until 30 grep -q '^=== klptop' "$_out" ||
		fail klptop-bg-started "no first frame from klptop $*" ;;
	esac
}

klptop_stop() {
	kill -INT "$KLPTOP_BG" 2>/dev/null
	wait "$KLPTOP_BG"
}

# spinner_start [KNOB=spin] [VALUE=1]: start a spinner of klpt_target (knob
# spin: kthread klpt_spin; spin_cr: klpt_spin_cr, VALUE 1, sleep or freeze)
# and wait until its kthread exists. Ends the scenario (test KNOB-started)
# if it does not start.
spinner_start() {
	_k=${1:-spin}
	klpt_knob "$_k" "${2:-1}" || exit 1
	wait_until 5 has_comm "klpt_$_k" || { ps; die "$_k-started" "klpt_$_k did not start"; }
}

# record_bg LOG FILE [ARGS...]: `klptop record -o FILE ARGS` in the
# background, its output in LOG, its pid in $REC. Returns once it says
# "recording to" (its probes are attached); ends the scenario (test
# record-<LOG's name>-started) if that does not come within 60 s.
record_bg() {
	_log=$1
	_file=$2
	shift 2
	klptop record -o "$_file" "$@" >"$_log" 2>&1 &
	REC=$!
	if ! wait_until 60 grep -q 'recording to' "$_log"; then
		cat "$_log"
		die "record-$(basename "$_log" .log)-started" "no 'recording to' line from klptop record $*"
	fi
}

# ---- scraping the exporter (klptop metrics --listen) ------------------------
# Set METRICS_URL (http://127.0.0.1:PORT/metrics) and SCRAPE (a file) first.

# scrape: fetch METRICS_URL into SCRAPE (left as it was on failure). busybox
# wget without -T (Debian's 1.35 crashes with it): timeout instead.
scrape() {
	timeout 10 wget -q -O "$SCRAPE.new" "$METRICS_URL" && mv "$SCRAPE.new" "$SCRAPE"
}

# until_s SECONDS CMD...: wait_until with a deadline in seconds (a scrape
# takes a while under TCG, so counting tries would wait far longer).
until_s() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.5
	done
}

# sample ERE: the value of the first sample of the last scrape whose line
# matches ERE.
sample() {
	awk -v re="$1" '$0 ~ re { print $NF; exit }' "$SCRAPE"
}

# at_least ERE N: a fresh scrape has a sample matching ERE with value >= N.
at_least() {
	scrape || return 1
	_v=$(sample "$1")
	[ -n "$_v" ] && [ "${_v%.*}" -ge "$2" ]
}
