# SPDX-License-Identifier: GPL-2.0
# never-isolated: a task that will never switch, said before anyone waits,
# on a host that isolates a CPU (isolcpus=1 nohz_full=1). klpt_poll
# busy-waits outside any patched function and calls the patched klpt_ping()
# once a millisecond, never sleeping; it is bound to the last CPU, the
# isolated one. Every round finds it running there, so the kernel never
# examines its stack: klptop must say so (cause isolated_cpu) with the
# evidence (CPU 1, its isolation read from sysfs, how each check found it)
# and this kernel's help. Then a user task pinned to CPU 1 shares it: the
# poller gets preempted, a round finds its stack clean, and the transition
# ends, which is what the help says. The live view runs from before the
# load (klptop first), status and metrics come after (incident first).
# lab-append: preempt=full isolcpus=1 nohz_full=1
# lab-smp: 2
# lab-timeout: 300
. /lib/klptop/lib.sh

check isolated-cpu-1 test "$(cat /sys/devices/system/cpu/isolated)" = 1
lp_load klpt_target
spinner_start poll
klptop_bg /tmp/batch.txt --batch -d 1
lp_load klpt_lp_fix
klptop status --json --rounds 4 >/tmp/s.json
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

G='[.transition.groups[] | select(.comm == "klpt_poll")][0]'
jq -M -c ".kernel | {release, switch_point, cpu_isolation}" /tmp/s.json
jq -M -c "$G | {never, verdict, help, t: .task | {check_cpu, cpu_moves, cpus_allowed, cpu_isolation, checks_running, checks_preempted, checks_asleep}}" /tmp/s.json
check_json host-isolation /tmp/s.json \
	'.kernel.cpu_isolation | .isolcpus == [1] and .nohz_full == [1] and .idle_poll == false'
check_json cause-isolated /tmp/s.json "$G | .never == \"isolated_cpu\" and .verdict == \"stuck\""
# The evidence: on CPU 1 at every check, never preempted nor asleep, bound there.
check_json evidence-cpu /tmp/s.json \
	"$G.task | .check_cpu == 1 and .cpu_moves == 0 and .cpus_allowed == 1 and .cpu_isolation == [\"isolcpus\", \"nohz_full\"]"
check_json evidence-checks /tmp/s.json \
	"$G.task | .checks_running >= 3 and .checks_preempted == 0 and .checks_asleep == 0"
check_json pending-cause /tmp/s.json \
	'[.transition.pending[] | select(.comm == "klpt_poll")][0].never == "isolated_cpu"'
# What helps is this kernel's: where it switches a busy kthread.
check_json help-this-kernel /tmp/s.json \
	"$G.help as \$h | .kernel.switch_point as \$p | if \$p == \"cond_resched\" then (\$h | test(\"cond_resched\\\\(\\\\) or a sleep\")) elif \$p == \"freezable_sleep\" then (\$h | test(\"a freezable sleep switches at once\")) else (\$h | test(\"cond_resched\\\\(\\\\) does not switch\")) end"
# Its on-CPU samples are in klpt_poll_fn, not in the patched function.
check_json help-samples /tmp/s.json \
	"$G.help | test(\"outside the patched function: a round that found it preempted\")"
check_json verdict-text /tmp/s.json \
	"$G.verdict_text | test(\"kthread on isolated CPU 1 \\\\(isolcpus, nohz_full\\\\) at all [0-9]+ checks, never off it\")"

klptop status >/tmp/s.txt
grep -E '^cpu isolation|^transition:|^ +[0-9]+ +[0-9]+ +[0-9]+ |verdict:|evidence:|never switches' /tmp/s.txt
check text-isolation grep -q '^cpu isolation: isolcpus 1 nohz_full 1$' /tmp/s.txt
check text-evidence grep -Eq '^      evidence: CPU 1 \(isolcpus, nohz_full\), the same at every check; may run on 1 CPU; checks [0-9]+: running [0-9]+, preempted 0' /tmp/s.txt
check text-never grep -q '^      never switches by itself (isolated_cpu); helps: a code change' /tmp/s.txt
klptop metrics >/tmp/m.txt
check metrics-cause grep -q '^klptop_transition_never_switch_tasks{patch="klpt_lp_fix",cause="isolated_cpu"} 1$' /tmp/m.txt
check metrics-others grep -q '^klptop_transition_never_switch_tasks{patch="klpt_lp_fix",cause="uninterruptible_wait"} 0$' /tmp/m.txt

# Waiting does not help: a few more rounds, still pending, still running.
sleep 4
check still-pending _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

# A task sharing CPU 1 preempts it: the next round finds it off its CPU,
# outside klpt_ping(), and switches it.
taskset -c 1 sh -c 'while :; do :; done' &
SHARER=$!
check switches-once-shared lp_wait_transition klpt_lp_fix 30
kill $SHARER
sleep 2
klptop_stop
check view-never grep -q 'never switches by itself (isolated_cpu); helps:' /tmp/batch.txt
check view-evidence grep -q 'evidence: CPU 1 (isolcpus, nohz_full), the same at every check' /tmp/batch.txt
check view-straggler grep -Eq 'straggler klpt_poll .*switched by stack_check' /tmp/batch.txt
grep -E 'ended|straggler' /tmp/batch.txt | tail -2
klpt_knob poll 0
lp_unload klpt_lp_fix && pass unloaded
rmmod klpt_target
