# SPDX-License-Identifier: GPL-2.0
# fault-attach (issue #10 d): kernels that lack what klptop attaches to.
# KLPTOP_DISABLE_ATTACH makes klptop treat attach points as absent, as on a
# build that inlines them; /sys/kernel/btf hidden under a tmpfs is a kernel
# without BTF; su runs klptop as nobody. A klpt_sleep_d kthread blocks
# klpt_lp_fix's transition throughout. What a user must see each time: the
# blocker is still named, exit 0, one stderr line per missing point saying
# what is lost, probes.missing / probes.why_not in JSON, and the reasons
# that are really gone are unknown rather than invented.
# lab-timeout: 180
. /lib/klptop/lib.sh

SLEEPER='[.transition.pending[] | select(.comm == "klpt_sleep_d")][0]'
# its group's representative: the stacks
SLEEPER_T='[.transition.groups[] | select(.comm == "klpt_sleep_d")][0].task'
grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
as_nobody() { su -s /bin/sh nobody -c "$*"; }

# status_with NAME DISABLE ARGS...: KLPTOP_DISABLE_ATTACH=DISABLE klptop
# status --json ARGS; JSON in /tmp/NAME.json, stderr in /tmp/NAME.err, exit
# status checked (test NAME-exit-0).
status_with() {
	_n=$1
	_d=$2
	shift 2
	KLPTOP_DISABLE_ATTACH=$_d klptop status --json "$@" >/tmp/$_n.json 2>/tmp/$_n.err
	_rc=$?
	[ $_rc -eq 0 ] && pass "$_n-exit-0" || fail "$_n-exit-0" "exited $_rc: $(head -n 2 /tmp/$_n.err)"
}

lp_load klpt_target
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"
lp_load klpt_lp_fix
sleep 2
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

# No round probe: reasons still come from the per-task check; rounds are
# lost (0, not a guess) and status waits by time instead of hanging.
t0=$(date +%s)
status_with norounds klp_try_complete_transition --rounds 2
t=$(($(date +%s) - t0))
check_json norounds-missing /tmp/norounds.json \
	'.probes.bpf == true and (.probes.missing | index("kprobe/klp_try_complete_transition")) != null'
check_json norounds-blocker /tmp/norounds.json \
	"$SLEEPER.reason == \"sleeping_on\" and $SLEEPER.function == \"klpt_sleep_in\" and .transition.rounds == 0"
check norounds-stderr grep -q '^klptop: warning: probe kprobe/klp_try_complete_transition disabled by KLPTOP_DISABLE_ATTACH: check rounds unseen' /tmp/norounds.err
check norounds-one-line test "$(wc -l </tmp/norounds.err)" -eq 1
log "status without the round probe took $t s"
check norounds-no-hang test "$t" -lt 30

# No per-task check: the fallback probe; the blocker is named from the
# iterator with its stack (klpt_sleep_in marked), its reason unknown.
status_with nocheck klp_check_and_switch_task --rounds 1
check_json nocheck-missing /tmp/nocheck.json \
	'(.probes.missing | index("kprobe/klp_check_and_switch_task")) != null'
check_json nocheck-blocker /tmp/nocheck.json \
	"$SLEEPER.reason == \"unknown\" and ([$SLEEPER_T.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\")"
check nocheck-stderr grep -q 'klp_check_and_switch_task disabled by KLPTOP_DISABLE_ATTACH: no blocking reasons' /tmp/nocheck.err
KLPTOP_DISABLE_ATTACH=klp_check_and_switch_task klptop status --rounds 0 >/tmp/nocheck.txt 2>/dev/null
check nocheck-text grep -q '^bpf: missing kprobe/klp_check_and_switch_task: no blocking reasons' /tmp/nocheck.txt

# No task iterator, no check, no fallback, no klp_shadow_get: tasks from
# /proc; the blocker and its stack are still there.
status_with noiter iter/task,klp_check_and_switch_task,klp_try_switch_task,klp_shadow_get --rounds 1
check_json noiter-missing /tmp/noiter.json \
	'(.probes.missing | index("iter/task (using procfs)")) != null and (.probes.missing | index("kprobe/klp_try_switch_task")) != null'
check_json noiter-blocker /tmp/noiter.json \
	"$SLEEPER.kthread == true and ([$SLEEPER_T.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\")"
check noiter-stderr grep -q 'probe iter/task (using procfs) disabled by KLPTOP_DISABLE_ATTACH: tasks read from /proc' /tmp/noiter.err

# Every transition probe and the sampler gone: still a snapshot.
ALL=klp_init_transition,klp_start_transition,klp_try_complete_transition,klp_check_and_switch_task,klp_try_switch_task,klp_update_patch_state,klp_copy_process,klp_force_transition,klp_reverse_transition,klp_cancel_transition,klp_complete_transition,perf_event
status_with none "$ALL" --rounds 1
check_json none-blocker /tmp/none.json \
	"(.probes.missing | length) == $(echo "$ALL" | tr , '\n' | wc -l) and $SLEEPER.kthread == true and .transition.tasks_pending >= 1"

# A shadow probe: said missing like the others.
# (klp_shadow_get has only a kretprobe: it is said all the same.)
check_json noshadowget-missing /tmp/noiter.json '.probes.missing | any(test("kretprobe/klp_shadow_get"))'

# A kernel without BTF: no BPF at all, one reason, blockers from /proc.
mount -t tmpfs none /sys/kernel/btf
klptop status --json >/tmp/nobtf.json 2>/tmp/nobtf.err
check nobtf-exit-0 test $? -eq 0
check_json nobtf-why /tmp/nobtf.json \
	".probes.bpf == false and (.probes.why_not | test(\"no BTF\")) and .source == \"procfs\" and $SLEEPER.kthread == true and ([$SLEEPER_T.stack[] | select(.marked)][0].symbol == \"klpt_sleep_in\")"
klptop status >/tmp/nobtf.txt 2>&1
check nobtf-text grep -q '^bpf: off (this kernel has no BTF' /tmp/nobtf.txt
klptop shadow -n 1 >/tmp/nobtf-shadow.txt 2>&1
rc=$?
check nobtf-shadow-refuses test $rc -eq 1
check nobtf-shadow-says grep -q 'shadow probes could not be loaded' /tmp/nobtf-shadow.txt
klptop record -o /tmp/nobtf.klp -D 2 --interval 0.5 >/tmp/nobtf-rec.log 2>&1
check nobtf-record-exit-0 test $? -eq 0
klptop report --json /tmp/nobtf.klp >/tmp/nobtf-report.json 2>/dev/null
check_json nobtf-report /tmp/nobtf-report.json '.complete == true and .snapshots >= 2'
umount /sys/kernel/btf

# Not root: during a transition every task's patch_state is needed.
as_nobody klptop status >/tmp/user.txt 2>&1
rc=$?
check user-exit-4 test $rc -eq 4
check user-says-root grep -q 'not privileged: .*needs root, or CAP_BPF + CAP_PERFMON' /tmp/user.txt
check user-is-nobody test "$(su -s /bin/sh nobody -c 'id -u')" = 65534
as_nobody klptop shadow -n 1 >/tmp/user-shadow.txt 2>&1
check user-shadow-exit-4 test $? -eq 4

klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
# Not root without a transition: the patches, and why there is no BPF.
as_nobody klptop status --json >/tmp/user.json 2>/tmp/user.err
check user-idle-exit-0 test $? -eq 0
check_json user-idle /tmp/user.json \
	'.probes.bpf == false and (.probes.why_not | test("not privileged: .*CAP_BPF")) and ([.patches[].name] | index("klpt_lp_fix")) != null'
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target
