#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo-pty.sh DIR [REL]: `make demo` as a person runs it, on a real terminal.
# tmux gives lab.sh --demo a pty (120x40); the test waits for klptop's
# interactive live view on the guest's console (its key line, the stuck
# klpt_spin row), presses j and Enter and expects the blocker's stack to
# open, presses q and expects the demo to clean up and the VM to power off.
# Every wait is bounded; the whole test takes at most about 5 minutes.
# Writes DIR/demo-pty.txt (PASS/FAIL/SKIP lines, as tests/summary.sh reads).
# REL defaults to the kernel make demo boots (the oldest lab kernel).
set -uo pipefail
dir=${1:?usage: demo-pty.sh DIR [REL]}
root=$(cd "$(dirname "$0")/.." && pwd)
rel=${2:-$("$root/scripts/kernels.sh" | tail -n 1)}
out=$dir/demo-pty.txt
mkdir -p "$dir"
: >"$out"
id=demo-pty
pass() { echo "PASS $id/$1" >>"$out"; }
fail() { echo "FAIL $id/$1: $2" >>"$out"; }

if ! command -v tmux >/dev/null; then
	echo "SKIP $id: tmux is not installed (make deps)" >>"$out"
	exit 0
fi
if [ -z "$rel" ]; then
	echo "SKIP $id: no lab kernel (make deps)" >>"$out"
	exit 0
fi

sess=klptop-demo-$$
screen=$dir/demo-pty.screen
trap 'tmux kill-session -t "$sess" 2>/dev/null' EXIT
tmux new-session -d -s "$sess" -x 120 -y 40 \
	"cd '$root' && TERM=tmux-256color tests/vm/lab.sh --demo --kernel '$rel' demo; echo DEMO-EXIT=\$?; sleep 300"

# shows TIMEOUT ERE: wait until the screen matches ERE; keeps the last screen.
shows() {
	local n=$(($1 * 2))
	while [ $n -gt 0 ]; do
		tmux capture-pane -p -t "$sess" >"$screen" 2>/dev/null || return 1
		grep -Eq "$2" "$screen" && return 0
		sleep 0.5
		n=$((n - 1))
	done
	return 1
}
last_lines() { grep -v '^ *$' "$screen" | tail -n 3 | tr '\n' '|' | cut -c1-300; }

# The live view: its key line and the blocker's row. A guest that thinks it
# has no terminal prints batch frames ("=== klptop") instead.
if shows 240 'q quit +j/k move'; then
	pass interactive-view
else
	fail interactive-view "no live view within 240 s (screen ends: $(last_lines))"
	exit 0
fi
if grep -q '^=== klptop' "$screen"; then
	fail no-batch-frames "the guest printed batch frames"
else
	pass no-batch-frames
fi
if shows 60 'klpt_spin +kthread'; then
	pass blocker-row
else
	fail blocker-row "no klpt_spin row within 60 s (screen ends: $(last_lines))"
fi
# j then Enter: the blocker's stack opens (its caller frame is shown only there).
tmux send-keys -t "$sess" j
sleep 1
tmux send-keys -t "$sess" Enter
if shows 30 'klpt_spin_fn'; then
	pass enter-opens-stack
else
	fail enter-opens-stack "no stack after Enter (screen ends: $(last_lines))"
fi
tmux send-keys -t "$sess" q
if shows 120 'DEMO-EXIT=0'; then
	pass quit-powers-off
else
	fail quit-powers-off "lab.sh --demo did not end within 120 s of q (screen ends: $(last_lines))"
fi
