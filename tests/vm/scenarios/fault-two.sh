# SPDX-License-Identifier: GPL-2.0
# fault-two (issue #10 e): several klptops at once, each with its own probes
# on the same kernel functions. While a klpt_sleep_d kthread holds
# klpt_lp_fix's transition: two recordings to different files and a
# `klptop shadow` run; two `klptop status --json` answer side by side. Then
# one recording and shadow stop (their probes go) and the others must not
# notice: the remaining recording still sees the transition complete and a
# second patch load. What a user sees: every command exits 0, both statuses
# name the blocker with the kernel's reason, each report tells exactly what
# happened while it recorded, no kprobe is left at the end, no splat.
# lab-timeout: 180
. /lib/klptop/lib.sh

KPROBES=/sys/kernel/debug/kprobes/list
SLEEPER='[.transition.pending[] | select(.comm == "klpt_sleep_d")][0]'
no_kprobes() { ! grep -q . "$KPROBES"; }
# transitions FILE PATCH OUTCOME: how many transitions of PATCH to patched
# with OUTCOME the report of FILE tells.
transitions() {
	klptop report --json "$1" |
		jq "[.transitions[] | select(.patch == \"$2\" and .target == \"patched\" and .outcome == \"$3\")] | length"
}

lp_load klpt_target
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"

# Started one after the other: each is attached before the next loads.
record_bg /tmp/a.log /tmp/a.klp --interval 0.5
RA=$REC
record_bg /tmp/b.log /tmp/b.klp --interval 0.5
RB=$REC
klptop shadow --json -d 1 >/tmp/shadow.jsonl 2>/tmp/shadow.err &
SH=$!
wait_until 60 test -s /tmp/shadow.jsonl || die shadow-started "no output from klptop shadow"
log "three running at $(cut -d. -f1 /proc/uptime) s"

lp_load klpt_lp_fix
sleep 1
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1
klptop status --json --rounds 2 >/tmp/s1.json 2>/tmp/s1.err &
S1=$!
klptop status --json --rounds 2 >/tmp/s2.json 2>/tmp/s2.err &
S2=$!
wait $S1
check status1-exit-0 test $? -eq 0
wait $S2
check status2-exit-0 test $? -eq 0
for n in 1 2; do
	check_json status$n-blocker /tmp/s$n.json \
		".probes.bpf == true and .probes.missing == [] and $SLEEPER.reason == \"sleeping_on\" and $SLEEPER.function == \"klpt_sleep_in\" and .transition.rounds >= 2"
done
log "statuses done at $(cut -d. -f1 /proc/uptime) s"

# Stop B and shadow while the transition still runs.
kill -INT $RB $SH
wait $RB
check record-b-exit-0 test $? -eq 0
wait $SH
check shadow-exit-0 test $? -eq 0
tail -n 1 /tmp/shadow.jsonl >/tmp/shadow-last.json
check_json shadow-summary /tmp/shadow-last.json '.summary == true'

# A still records: the transition's end and a second patch.
klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
lp_load klpt_lp_vmlinux
check vmlinux-completes lp_wait_transition klpt_lp_vmlinux 30
sleep 1
check record-a-running kill -0 $RA
kill -INT $RA
wait $RA
check record-a-exit-0 test $? -eq 0

check a-fix-completed test "$(transitions /tmp/a.klp klpt_lp_fix completed)" = 1
check a-vmlinux-completed test "$(transitions /tmp/a.klp klpt_lp_vmlinux completed)" = 1
check b-fix-pending test "$(transitions /tmp/b.klp klpt_lp_fix pending)" = 1
check b-no-vmlinux test "$(klptop report --json /tmp/b.klp | jq '[.transitions[] | select(.patch == "klpt_lp_vmlinux")] | length')" = 0
klptop report --json /tmp/b.klp >/tmp/b.json
check_json b-clean-end /tmp/b.json '.complete == true and .end.reason == "SIGINT"'
check no-kprobes-left wait_until 10 no_kprobes

lp_unload klpt_lp_vmlinux && pass unloaded-vmlinux
lp_unload klpt_lp_fix && pass unloaded-fix
check target-removed rmmod klpt_target
