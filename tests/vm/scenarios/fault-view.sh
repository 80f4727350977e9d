# SPDX-License-Identifier: GPL-2.0
# fault-view: the live view under the faults of issue #10, on a real stuck
# transition (docs/incidents.md: klpt_spin spins in klpt_spin_step). The view runs
# on a pseudo terminal (busybox telnetd in inetd mode: its stdin, a fifo,
# carries keys and its end hangs the terminal up; its stdout is what the
# terminal shows). Checked: a resize redraws at the new size and the view
# keeps going; disabling and removing the patch under the view shows the
# patch gone, no crash; the terminal going away ends klptop at once instead
# of spinning; SIGINT and SIGTERM leave the terminal in cooked mode with exit
# 0; --batch into a closed pipe (| head -n 3) ends quietly. The exact screen
# contents after a resize are checked on the host (tests/unit/test_replay.c,
# through a vt100 emulator); here the stream is read as text.
# lab-append: preempt=full
# lab-timeout: 240
. /lib/klptop/lib.sh

# ---- a live view on a pseudo terminal -----------------------------------------
# view_start ARGS...: klptop ARGS on a new pty at 80x24 (run through
# $VIEW_WRAP when set, e.g. setsid); its pid in $VPID,
# the pty in $VTTY, what it draws in /tmp/screen.raw; write keys to fd 3.
# When klptop ends, /tmp/view.exit holds its status and /tmp/view.stty the
# terminal's settings afterwards (not after a hangup: telnetd kills the
# shell then).
view_start() {
	cat >/tmp/view.sh <<VIEW
#!/bin/sh
export TERM=vt100
stty rows 24 cols 80
tty >/tmp/view.tty
sh -c 'echo \$\$ >/tmp/view.pid; exec ${VIEW_WRAP:-} klptop $*'
echo \$? >/tmp/view.exit
stty -a >/tmp/view.stty 2>&1
VIEW
	chmod +x /tmp/view.sh
	rm -f /tmp/keys /tmp/view.exit /tmp/view.pid /tmp/view.stty /tmp/view.tty
	mkfifo /tmp/keys
	telnetd -i -f /dev/null -l /tmp/view.sh </tmp/keys >/tmp/screen.raw 2>/dev/null &
	TD=$!
	exec 3>/tmp/keys
	wait_until 30 grep -q 'q quit' /tmp/screen.raw || return 1
	VPID=$(cat /tmp/view.pid)
	VTTY=$(cat /tmp/view.tty)
}

# seen_since OFFSET TEXT: TEXT was drawn after byte OFFSET of the stream.
seen_since() {
	tail -c +$(($1 + 1)) /tmp/screen.raw | grep -q "$2"
}

stream_size() {
	wc -c </tmp/screen.raw
}

# CPU ticks (utime + stime) of a pid.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

lp_load klpt_target
spinner_start
lp_load klpt_lp_fix
sleep 1
check transition-stuck _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

view_start || { od -c /tmp/screen.raw | tail -n 20; die view-started "no live view on the pty"; }
pass view-started
check view-blocker-row wait_until 30 grep -q 'klpt_spin' /tmp/screen.raw
check view-stuck wait_until 30 grep -q 'stuck' /tmp/screen.raw

# ---- resize: SIGWINCH from the terminal ------------------------------------------
OFF=$(stream_size)
stty -F "$VTTY" rows 30 cols 100
# A full redraw: clear screen (vt100: ESC [ H ESC [ J), header, footer.
check resize-redraw wait_until 10 seen_since "$OFF" 'q quit'
check resize-cleared seen_since "$OFF" "$(printf '\033')\[H$(printf '\033')\[J"
check resize-header seen_since "$OFF" 'klptop  '
# Laid out for 100 columns: the progress bar takes what the counters leave
# (width - 44 = 56 cells; at 80 columns it had 36).
check resize-bar-100-cols sh -c "tail -c +$((OFF + 1)) /tmp/screen.raw | grep -Eq '\[[#.]{56}\]'"
OFF=$(stream_size)
stty -F "$VTTY" rows 10 cols 40
check shrink-redraw wait_until 10 seen_since "$OFF" 'q quit'
check shrink-header seen_since "$OFF" 'klptop  '
stty -F "$VTTY" rows 24 cols 80
# Keys still work after the resizes (a resize used to make getch() spin).
OFF=$(stream_size)
printf 'p' >&3
check keys-after-resize wait_until 5 seen_since "$OFF" 'PAUSED'
printf 'p' >&3
T0=$(cpu_ticks "$VPID")
sleep 3
T1=$(cpu_ticks "$VPID")
log "live view CPU over 3 s: $((T1 - T0)) ticks"
check view-not-spinning test $((T1 - T0)) -lt 200

# ---- the patch goes away under the view ----------------------------------------------
klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
OFF=$(stream_size)
lp_unload klpt_lp_fix && pass unloaded
check view-shows-patch-gone wait_until 15 seen_since "$OFF" 'no live patches loaded'
sleep 2
check view-survives-unload kill -0 "$VPID"

# ---- the terminal goes away -----------------------------------------------------
exec 3>&-
if wait_until 5 sh -c "! kill -0 $VPID 2>/dev/null"; then
	pass hangup-exits
else
	fail hangup-exits "klptop still running 5 s after its terminal went away ($(cpu_ticks "$VPID") ticks)"
	kill -9 "$VPID"
fi
wait $TD 2>/dev/null

# The same without a SIGHUP: klptop in a session of its own (setsid) has no
# controlling terminal, so the hangup only shows as EIO and POLLHUP on its
# stdin and stdout. It must end at once, not spin on them.
VIEW_WRAP=setsid
if view_start; then
	VIEW_WRAP=
	pass nosighup-view-started
	sleep 1
	exec 3>&-
	if wait_until 5 sh -c "! kill -0 $VPID 2>/dev/null"; then
		pass eio-exits
	else
		T0=$(cpu_ticks "$VPID")
		sleep 1
		fail eio-exits "klptop still running 5 s after its terminal went away ($(($(cpu_ticks "$VPID") - T0)) ticks in 1 s)"
		kill -9 "$VPID"
	fi
	wait $TD 2>/dev/null
else
	VIEW_WRAP=
	fail nosighup-view-started "no live view on the pty under setsid"
	exec 3>&-
fi

# ---- SIGINT and SIGTERM give the terminal back -------------------------------------
for sig in INT TERM; do
	if ! view_start; then
		fail "sig$sig-view" "no live view on the pty"
		continue
	fi
	sleep 1
	check "sig$sig-raw-while-up" sh -c "stty -F $VTTY -a | grep -q -- -icanon"
	kill -"$sig" "$VPID"
	if wait_until 5 test -s /tmp/view.stty; then
		check "sig$sig-exit-0" test "$(cat /tmp/view.exit)" = 0
		check "sig$sig-cooked" grep -q ' icanon' /tmp/view.stty
		check "sig$sig-echo" grep -q ' echo ' /tmp/view.stty
	else
		fail "sig$sig-exit" "klptop still running 5 s after SIG$sig"
		kill -9 "$VPID"
	fi
	exec 3>&-
	wait $TD 2>/dev/null
done

# ---- --batch into a closed pipe -----------------------------------------------------
{ klptop --batch -d 0.5 2>/tmp/pipe.err; echo $? >/tmp/pipe.rc; } | head -n 3 >/tmp/head.out &
PIPE=$!
if wait_until 40 sh -c "! kill -0 $PIPE 2>/dev/null"; then
	pass pipe-ends
else
	fail pipe-ends "klptop --batch | head -n 3 still running after 40 s"
fi
check pipe-three-lines test "$(wc -l </tmp/head.out)" -eq 3
check pipe-quiet test ! -s /tmp/pipe.err
cat /tmp/pipe.err
# (head ends first; klptop then detaches its probes before it exits)
wait_until 30 test -s /tmp/pipe.rc
check pipe-exit-1 test "$(cat /tmp/pipe.rc)" = 1
rmmod klpt_target && pass target-removed
