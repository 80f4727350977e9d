#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# host-smoke.sh DIR BIN: checks of klptop on the build host (no live
# patching needed). Writes DIR/host.txt. The lead adds more checks.
dir=${1:?usage: host-smoke.sh DIR BIN}
bin=${2:?usage: host-smoke.sh DIR BIN}
out=$dir/host.txt
mkdir -p "$dir"
: >"$out"
status=0

# host/version: exits 0 and prints something.
if [ ! -x "$bin" ]; then
	echo "FAIL host/version: $bin not built" >>"$out"
	status=1
else
	v=$("$bin" --version 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 0 ] && [ -n "$v" ]; then
		echo "PASS host/version" >>"$out"
	else
		echo "FAIL host/version: '$bin --version' exited $rc: $(printf '%s\n' "$v" | head -n 1)" >>"$out"
		status=1
	fi
fi
# ---- live view (klptop top) checks: owned by the live-view helper ----------
# A fixture tree: tests/fixture-tree.sh (top_fixture ROOT).
. "$(dirname "$0")/fixture-tree.sh"

top_result() { # name ok detail
	if [ "$2" = 1 ]; then
		echo "PASS host/$1" >>"$out"
	else
		echo "FAIL host/$1: $3" >>"$out"
		status=1
	fi
}

host_top_checks() {
	[ -x "$bin" ] || return 0
	fx=$(mktemp -d /tmp/klptop-top-XXXXXX)
	top_fixture "$fx"

	# Strict -d: "abc", "0" and negative values are usage errors.
	for d in abc 0 -1; do
		"$bin" top -d "$d" --batch -n 1 >/dev/null 2>&1 </dev/null
		rc=$?
		top_result "top-delay-$d" "$([ $rc -eq 2 ] && echo 1)" "-d $d exited $rc, want 2"
	done

	# No live patching on this host: one line and exit 3, as status.
	if [ ! -d /sys/kernel/livepatch ]; then
		msg=$("$bin" --batch -n 1 2>&1 >/dev/null </dev/null)
		rc=$?
		top_result top-no-livepatch "$([ $rc -eq 3 ] && [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && echo 1)" \
			"exited $rc: $msg"
	fi

	# Batch frames from the fixture: 2 frames, the blocker row, 80 columns.
	txt=$("$bin" --root "$fx" --batch -n 2 -d 0.2 -w 80 2>/dev/null </dev/null)
	rc=$?
	frames=$(printf '%s\n' "$txt" | grep -c '^=== klptop ')
	long=$(printf '%s\n' "$txt" | awk 'length > 80' | wc -l)
	top_result top-batch "$([ $rc -eq 0 ] && [ "$frames" -eq 2 ] && [ "$long" -eq 0 ] &&
		printf '%s\n' "$txt" | grep -q 'klpt_spin .*kthread R' && echo 1)" \
		"rc $rc, $frames frames, $long lines over 80 columns"

	# Piped stdout without --batch: a note on stderr, then batch frames.
	note=$("$bin" --root "$fx" -n 1 2>&1 >/dev/null </dev/null)
	top_result top-pipe-fallback "$(printf '%s' "$note" | grep -q 'not a terminal' && echo 1)" \
		"no note on stderr: $note"

	# The screen at 80x24 in tmux: the blocker row is drawn, q quits cleanly.
	if ! command -v tmux >/dev/null 2>&1; then
		echo "SKIP host/top-screen" >>"$out"
	else
		sess=klptop-smoke-$$
		tmux new-session -d -s "$sess" -x 80 -y 24 \
			"TERM=vt100 '$bin' --root '$fx'; echo EXIT=\$?; sleep 10" 2>/dev/null
		sleep 2
		screen=$(tmux capture-pane -p -t "$sess" 2>/dev/null)
		tmux send-keys -t "$sess" q 2>/dev/null
		sleep 1
		after=$(tmux capture-pane -p -t "$sess" 2>/dev/null)
		tmux kill-session -t "$sess" 2>/dev/null
		top_result top-screen "$(printf '%s\n' "$screen" | grep -q 'klpt_spin .*kthread' &&
			printf '%s\n' "$screen" | grep -q 'q quit' && echo 1)" \
			"blocker row or footer missing: $(printf '%s\n' "$screen" | head -n 3 | tr '\n' '|')"
		top_result top-screen-quit "$(printf '%s\n' "$after" | grep -q 'EXIT=0' && echo 1)" \
			"q did not exit 0"
	fi
	rm -rf "$fx"
}
host_top_checks
# ---- end of live view checks -------------------------------------------------

# ---- status on a host without live patching (issue 3's acceptance) ----------
# On a kernel without CONFIG_LIVEPATCH (or a fixture tree without
# /sys/kernel/livepatch), status prints one line naming the missing feature
# and exits 3; under --json the error is JSON on stdout.
host_status_checks() {
	local fx err rc
	fx=$(mktemp -d)
	mkdir -p "$fx/sys/kernel" "$fx/proc/sys/kernel"
	echo 6.18.0-test >"$fx/proc/sys/kernel/osrelease"
	err=$("$bin" --root "$fx" status 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 3 ] && [ "$(printf '%s
' "$err" | wc -l)" -eq 1 ] &&
		printf '%s' "$err" | grep -q 'CONFIG_LIVEPATCH'; then
		echo "PASS host/status-no-livepatch" >>"$out"
	else
		echo "FAIL host/status-no-livepatch: rc=$rc, stderr: $err" >>"$out"
		status=1
	fi
	err=$("$bin" --root "$fx" status --json 2>/dev/null); rc=$?
	if [ $rc -eq 3 ] && printf '%s' "$err" | jq -e '.error | test("CONFIG_LIVEPATCH")' >/dev/null 2>&1; then
		echo "PASS host/status-no-livepatch-json" >>"$out"
	else
		echo "FAIL host/status-no-livepatch-json: rc=$rc, stdout: $err" >>"$out"
		status=1
	fi
	# This machine itself, when it has no live patching (the dev host).
	if [ ! -d /sys/kernel/livepatch ]; then
		"$bin" status >/dev/null 2>&1; rc=$?
		if [ $rc -eq 3 ]; then
			echo "PASS host/status-this-host" >>"$out"
		else
			echo "FAIL host/status-this-host: exit $rc, want 3" >>"$out"
			status=1
		fi
	fi
	# A closed pipe is reported, not a crash (SIGPIPE is ignored).
	# (sh has no PIPESTATUS: the status comes out through a file.)
	{ "$bin" --root "$fx" status --json 2>/dev/null; echo $? >"$fx/pipe.rc"; } | head -c 1 >/dev/null
	rc=$(cat "$fx/pipe.rc")
	if [ "$rc" -lt 128 ]; then
		echo "PASS host/status-sigpipe" >>"$out"
	else
		echo "FAIL host/status-sigpipe: killed by signal $((rc - 128))" >>"$out"
		status=1
	fi
	rm -rf "$fx"
}
host_status_checks
exit $status
