#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# replay-tty.sh DIR BIN: `klptop --replay FILE` on a real terminal, as a
# person runs it: in tmux (a real pty, keys sent as typed, the screen read
# back with capture-pane). The recording is made by BIN itself on a
# fixture tree (tests/fixture-tree.sh): a transition stuck behind klpt_spin
# that ends half-way. Checked: the replay keys, a resize draws exactly what
# a klptop started at the new size draws, SIGINT/SIGTERM/SIGHUP give the
# terminal back as it was (modes, keypad, main screen) with exit 0, a
# terminal that goes away without a SIGHUP ends klptop at once, and --batch
# into a closed pipe ends quietly with exit 1. Writes DIR/replay-tty.txt.
dir=${1:?usage: replay-tty.sh DIR BIN}
bin=$(realpath "${2:?usage: replay-tty.sh DIR BIN}")
out=$dir/replay-tty.txt
mkdir -p "$dir"
: >"$out"
. "$(dirname "$0")/fixture-tree.sh"

pass() { echo "PASS replay-tty/$1" >>"$out"; }
fail() { echo "FAIL replay-tty/$1: $2" >>"$out"; }
check() { # name detail command...
	local name=$1 detail=$2
	shift 2
	if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name" "$detail"; fi
}

if ! command -v tmux >/dev/null 2>&1; then
	fail setup "tmux not installed (make deps)"
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/klptop-tty.XXXXXX")
# A server of our own: never the user's tmux, never its configuration.
sock=$scratch/tmux.sock
tm() { tmux -S "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$scratch"' EXIT
rec=$scratch/stall.klpt

# ---- the recording ------------------------------------------------------
fx=$scratch/tree
top_fixture "$fx"
# 80 snapshots: their batch frames (about 1 KiB each) overflow a pipe's
# 64 KiB, so that a reader that goes away is seen by klptop's writes.
"$bin" --root "$fx" record -o "$rec" -D 4 --interval 0.05 2>"$scratch/record.err" &
recorder=$!
sleep 2.5
# The transition ends: every task reached the target.
echo 0 >"$fx/sys/kernel/livepatch/klpt_lp_fix/transition"
for s in "$fx"/proc/*/task/*/patch_state; do echo 1 >"$s"; done
wait $recorder
nsnap=$("$bin" report --json "$rec" 2>/dev/null | jq -r .snapshots)
if ! [ "$nsnap" -ge 40 ] 2>/dev/null; then
	fail setup "the recording has ${nsnap:-no} snapshots: $(head -c 200 "$scratch/record.err")"
	exit 1
fi

# ---- helpers ------------------------------------------------------------
# start NAME COLS ROWS [CMD]: klptop --replay on a fresh pty of that size.
start() {
	local cmd="exec \"$bin\" --replay \"$rec\""

	[ $# -ge 4 ] && cmd=$4
	tm new-session -d -s "$1" -x "$2" -y "$3" "unset NO_COLOR; $cmd"
	wait_for "$1" " q quit" || { fail "$1-start" "no screen: $(screen_of "$1" | head -c 300)"; return 1; }
}
screen_of() { tm capture-pane -p -t "$1" 2>/dev/null; }
# wait_for NAME TEXT [TENTHS]: until TEXT is on the screen.
wait_for() {
	for _ in $(seq "${3:-100}"); do
		screen_of "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
# keys NAME KEYS...: typed, then let the screen settle.
keys() {
	local name=$1
	shift
	tm send-keys -t "$name" "$@"
	settle "$name"
}
# Until two captures 0.3 s apart agree.
settle() {
	local a b
	b=$(screen_of "$1")
	for _ in $(seq 30); do
		sleep 0.3
		a=$b
		b=$(screen_of "$1")
		[ "$a" = "$b" ] && return 0
	done
}
has() { screen_of "$1" | grep -qF -- "$2"; }
lacks() { ! has "$@"; }
row_of() { screen_of "$1" | grep -nF -- "$2" | head -n 1 | cut -d: -f1; }
pane_pid() { tm display-message -p -t "$1" '#{pane_pid}'; }
# Wait up to TENTHS for pid to end.
gone() {
	for _ in $(seq "${2:-30}"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
# The first snapshot of the stall, paused: '<' to the start, '.' steps.
at_stall() { keys "$1" '<' '.' '.' '.'; }

# ---- replay keys --------------------------------------------------------
not_in() { ! grep -qF -- "$1" "$2"; }

keys_test() {
	local pid

	start keys 100 24 || return
	check keys-playing "no [playing 1x]" has keys "[playing 1x]"
	keys keys '>'
	check keys-end "not at snapshot $nsnap/$nsnap" has keys "snapshot $nsnap/$nsnap "
	check keys-end-state "no [end 1x]" has keys "[end 1x]"
	check keys-end-no-transition "the last frame shows a transition" has keys "TRANSITION none in progress"
	keys keys ',' ','
	check keys-back-two "not at snapshot $((nsnap - 2))/$nsnap" has keys "snapshot $((nsnap - 2))/$nsnap "
	check keys-paused "no [paused 1x]" has keys "[paused 1x]"
	keys keys '<' '.'
	check keys-blocker "no klpt_spin row at snapshot 2" has keys "klpt_spin "
	keys keys '+' '+' '-'
	check keys-speed "no [paused 2x]" has keys "[paused 2x]"
	keys keys '?'
	check keys-help "no help overlay" has keys "klptop --replay keys"
	keys keys 'x'
	check keys-help-closes "help still up" lacks keys "klptop --replay keys"
	keys keys '<'
	# Playing at 2x: the snapshots were 0.05 s apart, so look while it plays.
	tm send-keys -t keys 'p'
	sleep 0.3
	screen_of keys >"$scratch/playing"
	check keys-plays "not [playing 2x]" grep -qF "[playing 2x]" "$scratch/playing"
	check keys-moved "still at snapshot 1" not_in "snapshot 1/$nsnap " "$scratch/playing"
	pid=$(pane_pid keys)
	tm send-keys -t keys 'q'
	check keys-q-quits "still running after q" gone "$pid"
	tm kill-session -t keys 2>/dev/null
}

# ---- resize -------------------------------------------------------------
same_screen() { # a b: row by row, or say where they differ
	if diff <(screen_of "$1") <(screen_of "$2") >"$scratch/diff" 2>&1; then
		return 0
	fi
	head -c 400 "$scratch/diff" | tr '\n' '|'
	return 1
}

resize_to() { # name cols rows: what the window manager does
	tm resize-window -t "$1" -x "$2" -y "$3"
	settle "$1"
}

fresh_at() { # name cols rows: a klptop started at that size, at the stall
	start "$1" "$2" "$3" || return 1
	at_stall "$1"
}

compare() { # test-name a b
	local why
	if why=$(same_screen "$2" "$3"); then pass "$1"; else fail "$1" "$why"; fi
}

resize_test() {
	fresh_at big 80 24 || return
	check resize-80x24-footer "the footer is not on row 24" test "$(row_of big ' q quit')" = 24
	check resize-80x24-stall "no klpt_spin row" has big "klpt_spin "
	check resize-80x24-paused "no [paused 1x]" has big "[paused 1x]"
	resize_to big 100 30
	fresh_at b 100 30 && compare resize-bigger big b
	tm kill-session -t b
	resize_to big 40 12
	fresh_at c 40 12 && compare resize-smaller big c
	# 11 rows cannot hold every line: the blocker rows stay, the
	# transition's details and the Shadows panel give way.
	check resize-small-keeps-blocker "the klpt_spin row gave way" has big "klpt_spin kthread R"
	check resize-small-keeps-sleeper "the sleeper row gave way" has big "sleeper   user"
	tm kill-session -t c
	# Absurd sizes on the way, then 80x24 again: a fresh start's picture.
	for size in "1 1" "5 2" "12 5" "160 64"; do
		resize_to big $size
		kill -0 "$(pane_pid big)" 2>/dev/null || break
	done
	check resize-absurd-alive "klptop died on an absurd size" kill -0 "$(pane_pid big)"
	resize_to big 80 24
	fresh_at d 80 24 && compare resize-back-to-80x24 big d
	tm kill-session -t d
	keys big 'q'
	tm kill-session -t big 2>/dev/null
}

# ---- signals give the terminal back -------------------------------------
signal_test() { # SIG
	local n=sig-$1 pid
	start "$n" 80 24 "stty -g >'$scratch/$n.before'; sh -c 'echo \$\$ >\"$scratch/$n.pid\"; exec \"$bin\" --replay \"$rec\"'; echo rc=\$? >'$scratch/$n.rc'; stty -g >'$scratch/$n.after'; sleep 60" || return
	pid=$(cat "$scratch/$n.pid")
	check "$n-keypad-on" "keypad not in application mode while the screen is up" \
		test "$(tm display-message -p -t "$n" '#{keypad_flag}')" = 1
	kill -"$1" "$pid"
	for _ in $(seq 30); do [ -s "$scratch/$n.after" ] && break; sleep 0.1; done
	check "$n-exit-0" "$(cat "$scratch/$n.rc" 2>/dev/null || echo 'no exit')" \
		test "$(cat "$scratch/$n.rc" 2>/dev/null)" = rc=0
	# The shell's terminal modes as they were: cooked, echo.
	check "$n-modes-restored" "stty -g differs" cmp -s "$scratch/$n.before" "$scratch/$n.after"
	check "$n-keypad-off" "keypad still in application mode" \
		test "$(tm display-message -p -t "$n" '#{keypad_flag}')" = 0
	check "$n-main-screen" "still on the alternate screen" \
		test "$(tm display-message -p -t "$n" '#{alternate_on}')" = 0
	tm kill-session -t "$n"
}

# ---- the terminal goes away without a SIGHUP ------------------------------
terminal_gone_test() {
	local pid
	# setsid: klptop is not in the terminal's session, so closing the
	# terminal sends it no SIGHUP; its reads and writes fail instead.
	start gone 80 24 "setsid -w sh -c 'echo \$\$ >\"$scratch/gone.pid\"; exec \"$bin\" --replay \"$rec\"'" || return
	pid=$(cat "$scratch/gone.pid")
	tm kill-session -t gone
	check terminal-gone-ends "klptop still runs 3 s after its terminal went away" gone "$pid" 30
	kill -9 "$pid" 2>/dev/null
}

# ---- --batch into a closed pipe ----------------------------------------------
closed_pipe_test() {
	local lines rc
	lines=$("$bin" --replay "$rec" --batch 2>"$scratch/pipe.err" | head -n 3 | wc -l;
		exit "${PIPESTATUS[0]}")
	rc=$?
	check batch-pipe-three-lines "$lines lines" test "$lines" = 3
	check batch-pipe-quiet "stderr: $(head -c 200 "$scratch/pipe.err")" test ! -s "$scratch/pipe.err"
	# docs/live-view.md: a closed pipe ends klptop with exit 1, no message.
	check batch-pipe-exit-1 "exit $rc" test "$rc" = 1
}

keys_test
resize_test
for sig in INT TERM HUP; do signal_test $sig; done
terminal_gone_test
closed_pipe_test
grep -q FAIL "$out" && exit 1
exit 0
