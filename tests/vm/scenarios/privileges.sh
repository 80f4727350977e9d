# SPDX-License-Identifier: GPL-2.0
# privileges: klptop run by an unprivileged user, and by a service user
# given capabilities with capsh (issue #10), while the spinner of the stuck transition
# holds a transition. Each user gets what their capabilities allow and is
# told, in one line, what is missing:
#   none                          refused: root, or CAP_BPF + CAP_PERFMON,
#                                 or CAP_DAC_READ_SEARCH
#   CAP_DAC_READ_SEARCH           procfs view (who is pending, no reasons)
#   CAP_BPF+CAP_PERFMON           refused on Debian (perf_event_paranoid 3):
#                                 the line names CAP_SYS_ADMIN
#   CAP_BPF+CAP_PERFMON+SYS_ADMIN the BPF view (reasons, verdicts); kernel
#                                 addresses hidden: a warning names CAP_SYSLOG
#   ... + CAP_SYSLOG              everything root sees
# lab-append: preempt=full
# lab-timeout: 150
. /lib/klptop/lib.sh

# as_user CAPS CMD: run the shell command CMD as nobody with the ambient
# capabilities CAPS ("" for none), through capsh as an admin would.
as_user() {
	if [ -n "$1" ]; then
		capsh --caps="cap_setuid,cap_setgid,cap_setpcap+ep $1+eip" --keep=1 \
			--user=nobody --addamb="$1" --shell=/bin/sh -- -c "$2"
	else
		capsh --user=nobody --shell=/bin/sh -- -c "$2"
	fi
}
# run_as NAME CAPS ARGS...: klptop ARGS as nobody with CAPS; stdout in
# /tmp/NAME.out, stderr in /tmp/NAME.err, exit status in $RC.
run_as() {
	_n=$1 _c=$2
	shift 2
	as_user "$_c" "klptop $* >/tmp/$_n.out 2>/tmp/$_n.err; echo \$? >/tmp/$_n.rc"
	RC=$(cat /tmp/$_n.rc)
	log "nobody [$_c] klptop $*: exit $RC"
	head -c 400 /tmp/$_n.out; echo; cat /tmp/$_n.err
}

lp_load klpt_target
spinner_start
lp_load klpt_lp_fix
sleep 1
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
check capsh-drops-root sh -c "[ \"\$(capsh --user=nobody --shell=/bin/sh -- -c 'id -u')\" = 65534 ]"

# No capabilities: refused with exit 4 and one line naming what is needed.
run_as none "" status
check none-exit-4 test "$RC" = 4
check none-one-line sh -c "[ \$(wc -l </tmp/none.err) = 1 ] && [ ! -s /tmp/none.out ]"
check none-names-needs grep -q 'klptop: not privileged: .*root.*CAP_BPF + CAP_PERFMON.*CAP_DAC_READ_SEARCH' /tmp/none.err
run_as nonej "" status --json
check none-json-exit-4 test "$RC" = 4
check none-json-one-error sh -c "[ \$(wc -l </tmp/nonej.out) = 1 ] && jq -e '.error | test(\"CAP_BPF\")' /tmp/nonej.out"
run_as noneshadow "" shadow -n 1
check none-shadow-refused sh -c "[ $RC = 4 ] && grep -q 'CAP_BPF and CAP_PERFMON' /tmp/noneshadow.err"

# CAP_DAC_READ_SEARCH: the procfs view, and it says why there is no BPF.
run_as dac cap_dac_read_search status --json
check dac-exit-0 test "$RC" = 0
check_json dac-procfs /tmp/dac.out '.source == "procfs" and .probes.bpf == false and (.probes.why_not | test("CAP_BPF"))'
check_json dac-spinner-pending /tmp/dac.out '[.transition.pending[] | select(.comm == "klpt_spin")] | length == 1'

# CAP_BPF + CAP_PERFMON alone: the probes load where perf_event_open() is
# open to CAP_PERFMON; Debian's kernels (kernel.perf_event_paranoid 3) ask
# for CAP_SYS_ADMIN, and klptop says so in its one line.
PARANOID=$(cat /proc/sys/kernel/perf_event_paranoid)
log "kernel.perf_event_paranoid = $PARANOID"
run_as bpfonly cap_bpf,cap_perfmon status --json
if [ "$PARANOID" -gt 2 ]; then
	check bpfonly-names-sys-admin grep -q \
		"needs root, or CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN (kernel.perf_event_paranoid is $PARANOID)" \
		/tmp/bpfonly.out /tmp/bpfonly.err
else
	check_json bpfonly-bpf /tmp/bpfonly.out '.source == "bpf" and .probes.bpf == true'
fi

# CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN: the probes load; addresses hidden.
CAPS=cap_bpf,cap_perfmon,cap_sys_admin
run_as caps "$CAPS" status --json
check caps-exit-0 test "$RC" = 0
SPIN='[.transition.pending[] | select(.comm == "klpt_spin")][0]'
SPIN_T='[.transition.groups[] | select(.comm == "klpt_spin")][0].task'
check_json caps-bpf /tmp/caps.out '.source == "bpf" and .probes.bpf == true'
check_json caps-verdict /tmp/caps.out "$SPIN.verdict == \"stuck\" and $SPIN.rounds_failed >= 3"
check_json caps-says-syslog /tmp/caps.out '[.probes.missing[] | select(test("CAP_SYSLOG"))] | length == 1'
check caps-warns-syslog grep -q 'warning: kernel addresses .*CAP_SYSLOG' /tmp/caps.err

# ... + CAP_SYSLOG: addresses, so function routing, as root has.
CAPS=$CAPS,cap_syslog
run_as syslog "$CAPS" status --json
check syslog-exit-0 test "$RC" = 0
check_json syslog-no-missing-addrs /tmp/syslog.out '[.probes.missing[] | select(test("CAP_SYSLOG"))] | length == 0'
check_json syslog-func-addrs /tmp/syslog.out \
	'[.patches[].objects[].funcs[] | select(.name == "klpt_spin_step")][0] | .old_addr != null and .live == true'
check_json syslog-stack-symbols /tmp/syslog.out "[$SPIN_T.oncpu_stack[].symbol] | index(\"klpt_spin_step\") != null"
run_as shadow "$CAPS" shadow --json -n 1
check shadow-caps-runs sh -c "[ $RC = 0 ] && jq -se 'last | .summary == true and .shadows.leak_detection == true and .shadows.scan_error == null' /tmp/shadow.out"

klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
