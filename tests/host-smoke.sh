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
	txt=$("$bin" --root "$fx" --batch -n 2 -d 0.2 -W 80 2>/dev/null </dev/null)
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
	# A closed pipe ends klptop quietly, never by SIGPIPE: the reader is
	# gone before klptop writes (this is /bin/sh: no PIPESTATUS). On a
	# snapshot (the transition fixture) the failed write is exit 1.
	rm -rf "$fx" && mkdir -p "$fx" && top_fixture "$fx"
	{ sleep 0.3; "$bin" --root "$fx" status --json 2>"$fx.err"; echo $? >"$fx.rc"; } | true
	rc=$(cat "$fx.rc")
	if [ "$rc" -eq 1 ] && [ ! -s "$fx.err" ]; then
		echo "PASS host/status-sigpipe" >>"$out"
	else
		echo "FAIL host/status-sigpipe: exit $rc (want 1, quietly), stderr: $(head -n 1 "$fx.err")" >>"$out"
		status=1
	fi
	rm -f "$fx.err" "$fx.rc"
	rm -rf "$fx"
}
host_status_checks

# ---- check on a host without live patching ------------------------------------
# `check --func NAME` and `check PATCH.ko` give the same answer there: the
# no_livepatch error and exit 1 (never "ok to load").
host_check_checks() {
	local fx ko rc j
	fx=$(mktemp -d)
	mkdir -p "$fx/sys/kernel" "$fx/proc/sys/kernel"
	echo 6.18.0-test >"$fx/proc/sys/kernel/osrelease"
	printf 'ffffffff81000100 T vfs_read\n' >"$fx/proc/kallsyms"
	j=$("$bin" --root "$fx" check --json --func vfs_read 2>/dev/null); rc=$?
	if [ $rc -eq 1 ] && printf '%s' "$j" | jq -e '.verdict == "errors" and any(.findings[]; .code == "no_livepatch")' >/dev/null 2>&1; then
		echo "PASS host/check-func-no-livepatch" >>"$out"
	else
		echo "FAIL host/check-func-no-livepatch: rc=$rc (want 1), stdout: $(printf '%s' "$j" | head -c 300)" >>"$out"
		status=1
	fi
	if "$bin" --root "$fx" check --func vfs_read 2>&1 | grep -q 'ok to load'; then
		echo "FAIL host/check-func-no-livepatch-text: says 'ok to load'" >>"$out"
		status=1
	else
		echo "PASS host/check-func-no-livepatch-text" >>"$out"
	fi
	ko=$(ls build/kmod/*/klpt_lp_vmlinux.ko 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		echo "SKIP host/check-ko-no-livepatch: klpt_lp_vmlinux.ko not built (make kmod)" >>"$out"
	else
		j=$("$bin" --root "$fx" check --json "$ko" 2>/dev/null); rc=$?
		if [ $rc -eq 1 ] && printf '%s' "$j" | jq -e 'any(.findings[]; .code == "no_livepatch")' >/dev/null 2>&1; then
			echo "PASS host/check-ko-no-livepatch" >>"$out"
		else
			echo "FAIL host/check-ko-no-livepatch: rc=$rc (want 1)" >>"$out"
			status=1
		fi
	fi
	# This machine itself, when it has no live patching (the dev host).
	if [ ! -d /sys/kernel/livepatch ]; then
		"$bin" check --func vfs_read >/dev/null 2>&1; rc=$?
		if [ $rc -eq 1 ]; then
			echo "PASS host/check-func-this-host" >>"$out"
		else
			echo "FAIL host/check-func-this-host: exit $rc, want 1" >>"$out"
			status=1
		fi
	fi
	rm -rf "$fx"
}
host_check_checks

# ---- not root (issue #10) -----------------------------------------------------
# The kernel lets only a task's owner read /proc/PID/task/TID/patch_state
# (mode 0400): a non-root status during a transition must say that it needs
# root (exit 4; JSON error under --json), not show a wrong "0 pending".
# shadow refuses at once. Needs root to switch to nobody (setpriv).
host_nonroot_checks() {
	local fx err rc as
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
		echo "SKIP host/nonroot: needs root and setpriv to run as nobody" >>"$out"
		return
	fi
	as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	fx=$(mktemp -d)
	chmod 755 "$fx"
	top_fixture "$fx"
	find "$fx" -name patch_state -exec chmod 0400 {} +
	err=$($as "$bin" --root "$fx" status 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 4 ] && printf '%s' "$err" | grep -q "not privileged: .*needs root, or CAP_BPF + CAP_PERFMON"; then
		echo "PASS host/nonroot-status-transition" >>"$out"
	else
		echo "FAIL host/nonroot-status-transition: rc=$rc (want 4), stderr: $err" >>"$out"
		status=1
	fi
	err=$($as "$bin" --root "$fx" status --json 2>/dev/null); rc=$?
	if [ $rc -eq 4 ] && printf '%s' "$err" | jq -e '.error | test("not privileged: .*needs root")' >/dev/null 2>&1; then
		echo "PASS host/nonroot-status-json" >>"$out"
	else
		echo "FAIL host/nonroot-status-json: rc=$rc (want 4), stdout: $err" >>"$out"
		status=1
	fi
	err=$($as "$bin" shadow -n 1 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 4 ] && [ "$err" = "klptop: shadow: not privileged: the BPF probes need root, or CAP_BPF and CAP_PERFMON (missing: CAP_BPF CAP_PERFMON)" ]; then
		echo "PASS host/nonroot-shadow" >>"$out"
	else
		echo "FAIL host/nonroot-shadow: rc=$rc (want 4), stderr: $err" >>"$out"
		status=1
	fi
	# Readable files as root would see them: the patches and the blocker.
	find "$fx" -name patch_state -exec chmod 0444 {} +
	err=$($as "$bin" --root "$fx" status --json 2>/dev/null); rc=$?
	if [ $rc -eq 0 ] && printf '%s' "$err" | jq -e '[.transition.pending[].comm] | index("klpt_spin") != null' >/dev/null 2>&1; then
		echo "PASS host/nonroot-status-readable" >>"$out"
	else
		echo "FAIL host/nonroot-status-readable: rc=$rc, stdout: $(printf '%s' "$err" | head -c 300)" >>"$out"
		status=1
	fi
	rm -rf "$fx"
}
host_nonroot_checks
exit $status
