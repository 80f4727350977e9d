# SPDX-License-Identifier: GPL-2.0
# replay: klptop --replay (issue #6). A real stuck transition (docs/incidents.md:
# klpt_spin spins in klpt_spin_step and holds the fix patch for ~6 s) is
# recorded with klptop record --until-stable; klptop --replay FILE --batch
# must show, from the file alone, the stuck blocker row in a frame during
# the stall (klpt_spin, its reason, klpt_spin_step on its stack, the
# verdict) and the transition finished in the last frame. A cut file
# replays up to its last good chunk and says so; a file without snapshots
# is a clear error. The interactive replay runs on a pseudo terminal
# (busybox telnetd in inetd mode, driven through a fifo): keys jump to the
# end and quit.
# lab-append: preempt=full
# lab-timeout: 180
. /lib/klptop/lib.sh


lp_load klpt_target
record_bg /tmp/rec.log /tmp/r.klp --until-stable --interval 0.5
spinner_start
lp_load klpt_lp_fix
sleep 6
check stuck-while-recording _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
wait_until 15 sh -c "! kill -0 $REC 2>/dev/null" || { kill -INT $REC; fail record-until-stable "still running"; }
wait $REC
check record-exit-0 test $? -eq 0
lp_unload klpt_lp_fix && pass unloaded

# ---- batch: every snapshot's frame, in order ---------------------------------
klptop --replay /tmp/r.klp --batch -W 0 >/tmp/replay.txt 2>/tmp/replay.err
check replay-exit-0 test $? -eq 0
check replay-no-stderr test ! -s /tmp/replay.err
NSNAP=$(klptop report --json /tmp/r.klp | jq .snapshots)
NFRAMES=$(grep -c '^=== klptop ' /tmp/replay.txt)
log "$NSNAP snapshots recorded, $NFRAMES frames replayed"
check frame-per-snapshot test "$NFRAMES" -eq "$NSNAP" -a "$NFRAMES" -ge 5

# Frames one per file: /tmp/frames/N (1-based, as "snapshot N/M" says).
mkdir -p /tmp/frames
awk '/^=== klptop / { n++ } { print > ("/tmp/frames/" n) }' /tmp/replay.txt
# A frame of the stall: the blocker row (kthread, state R, running at the
# check, or preempted inside the patched function: sleeping_on
# klpt_spin_step), verdict stuck, the verdict text, and klpt_spin_step
# marked on its stack.
stall_frame() {
	for f in $(ls /tmp/frames | sort -n); do
		grep -Eq '^ *[0-9]+ +[0-9]+ +[0-9]+ klpt_spin +kthread R (running|sleeping_on) .* stuck$' "/tmp/frames/$f" &&
			grep -q 'verdict: .*waiting will not help' "/tmp/frames/$f" &&
			grep -q '=> klpt_spin_step+0x' "/tmp/frames/$f" &&
			{ echo "$f"; return 0; }
	done
	return 1
}
if F=$(stall_frame); then
	pass stall-frame-stuck-row
	log "frame $F of the stall:"
	cat "/tmp/frames/$F"
	check stall-frame-transition grep -q '^TRANSITION klpt_lp_fix -> patched' "/tmp/frames/$F"
	check stall-frame-replay-line grep -Eq "^replay  snapshot $F/$NSNAP  \+[0-9]" "/tmp/frames/$F"
else
	fail stall-frame-stuck-row "no frame shows klpt_spin stuck with klpt_spin_step marked"
	head -n 80 /tmp/replay.txt
fi
LAST=/tmp/frames/$NFRAMES
cat "$LAST"
check last-frame-finished grep -q '^TRANSITION none in progress' "$LAST"
# The patch row: enabled, no longer in transition.
check last-frame-patch-done grep -Eq '^ klpt_lp_fix +yes +no ' "$LAST"
check last-frame-no-blockers sh -c "! grep -q '^BLOCKERS' $LAST"
check last-frame-is-last grep -q "^replay  snapshot $NSNAP/$NSNAP " "$LAST"

# ---- damaged and empty files -------------------------------------------------
SIZE=$(wc -c </tmp/r.klp)
head -c $((SIZE - 40)) /tmp/r.klp >/tmp/cut.klp
klptop --replay /tmp/cut.klp --batch >/tmp/cut.txt 2>/tmp/cut.err
check cut-exit-0 test $? -eq 0
cat /tmp/cut.err
check cut-says-so grep -q 'recording cut or damaged (truncated at byte' /tmp/cut.err
check cut-frames-shown test "$(grep -c '^=== klptop ' /tmp/cut.txt)" -ge $((NSNAP - 1))
head -c 16 /tmp/r.klp >/tmp/empty.klp
klptop --replay /tmp/empty.klp --batch >/tmp/empty.txt 2>/tmp/empty.err
check empty-exit-1 test $? -eq 1
cat /tmp/empty.err
check empty-says-no-snapshot grep -q 'has no snapshot to show' /tmp/empty.err
check empty-no-frames test ! -s /tmp/empty.txt
klptop --replay /tmp/missing.klp >/dev/null 2>/tmp/missing.err
check missing-exit-1 test $? -eq 1
check missing-says-why grep -q 'cannot read /tmp/missing.klp: No such file' /tmp/missing.err
klptop --replay /tmp/r.klp -d 1 --batch >/dev/null 2>/tmp/usage.err
check replay-delay-usage test $? -eq 2

# ---- the interactive replay on a terminal --------------------------------------
# busybox telnetd -i talks telnet on stdin/stdout and runs the login program
# on a new pseudo terminal: the fifo carries our keys, screen.raw gets what
# the terminal would show (escape sequences included).
cat >/tmp/view.sh <<'VIEW'
#!/bin/sh
export TERM=vt100
stty rows 24 cols 100
sh -c 'echo $$ >/tmp/view.pid; exec klptop --replay /tmp/r.klp'
echo $? >/tmp/view.exit
stty -a >/tmp/view.stty 2>&1
VIEW
chmod +x /tmp/view.sh
rm -f /tmp/keys /tmp/view.exit
mkfifo /tmp/keys
telnetd -i -f /dev/null -l /tmp/view.sh </tmp/keys >/tmp/screen.raw 2>/dev/null &
TD=$!
exec 3>/tmp/keys
if wait_until 30 grep -q 'q quit' /tmp/screen.raw; then
	pass screen-up
	check screen-playing grep -q 'playing 1x' /tmp/screen.raw
	OFF=$(wc -c </tmp/screen.raw)
	printf '>' >&3
	wait_until 10 sh -c "tail -c +$((OFF + 1)) /tmp/screen.raw | grep -q 'none in progress'"
	check screen-end-key sh -c "tail -c +$((OFF + 1)) /tmp/screen.raw | grep -q 'snapshot $NSNAP/$NSNAP'"
	check screen-end-state sh -c "tail -c +$((OFF + 1)) /tmp/screen.raw | grep -q 'end 1x'"
	printf 'q' >&3
	wait_until 10 test -e /tmp/view.exit
	check screen-q-exit-0 test "$(cat /tmp/view.exit 2>/dev/null)" = 0
	check screen-restored grep -q ' icanon' /tmp/view.stty
else
	fail screen-up "no screen from klptop --replay on a pseudo terminal"
	od -c /tmp/screen.raw | head -n 20
fi
exec 3>&-
wait $TD 2>/dev/null
