# SPDX-License-Identifier: GPL-2.0
# fault-sigpipe (issue #10 c): a reader that closes the pipe early.
# `klptop ... | head -c 10` and `klptop ... | true` must end klptop quietly:
# no message, no core, exit status 0 or 1 (1 when a write failed; never
# death by SIGPIPE), for status (JSON and text), report (JSON and Chrome
# trace), metrics and shadow (which keeps printing, so its first failed
# write must end it).
# lab-timeout: 180
. /lib/klptop/lib.sh

lp_load klpt_target
lp_load klpt_lp_vmlinux
check vmlinux-patched lp_wait_transition klpt_lp_vmlinux 30
klptop record -o /tmp/rec.klp -D 3 --interval 0.5 >/tmp/rec.log 2>&1
check record-exit-0 test $? -eq 0

# A reader that stops early. `| true` has gone before klptop writes (it
# starts 0.3 s late): the write fails with EPIPE every time. `| head -c 10`
# takes its 10 bytes.
# quiet_pipe NAME READER CMD...: CMD's stdout into READER; CMD's exit status
# must be 0 or 1 (not death by SIGPIPE: 141), its stderr empty.
quiet_pipe() {
	_n=$1
	_r=$2
	shift 2
	{ sleep 0.3; "$@" 2>/tmp/$_n.err; echo $? >/tmp/$_n.rc; } | $_r >/tmp/$_n.out
	_rc=$(cat /tmp/$_n.rc)
	if [ "$_rc" -gt 1 ]; then
		fail "$_n" "exited $_rc$([ "$_rc" -gt 128 ] && echo " (signal $((_rc - 128)))")"
	elif [ -s /tmp/$_n.err ]; then
		fail "$_n" "stderr: $(head -n 2 /tmp/$_n.err)"
	else
		pass "$_n"
	fi
}
quiet_pipe status-json-head 'head -c 10' klptop status --json --rounds 0
check status-json-head-bytes test "$(cat /tmp/status-json-head.out)" = '{"klptop_v'
quiet_pipe status-json-true true klptop status --json --no-bpf
check status-json-true-exit-1 test "$(cat /tmp/status-json-true.rc)" = 1
quiet_pipe status-text-true true klptop status --no-bpf
quiet_pipe report-json-head 'head -c 10' klptop report --json /tmp/rec.klp
check report-json-head-bytes test "$(wc -c </tmp/report-json-head.out)" -eq 10
quiet_pipe report-json-true true klptop report --json /tmp/rec.klp
quiet_pipe report-chrome-true true klptop report --format chrome /tmp/rec.klp
quiet_pipe metrics-true true klptop metrics --no-bpf
check metrics-true-exit-1 test "$(cat /tmp/metrics-true.rc)" = 1
# shadow keeps printing: the first failed write ends it.
quiet_pipe shadow-head 'head -n 1' timeout -s KILL 60 klptop shadow --json -d 0.5
check shadow-head-line sh -c 'jq -e ".summary == false" /tmp/shadow-head.out >/dev/null'

lp_unload klpt_lp_vmlinux && pass unloaded
check target-removed rmmod klpt_target
