// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks that will never switch by themselves, told from the kernel's checks
 * before anyone waits for them (issue: "said before anyone waits"):
 *
 * - isolated_cpu: a kthread that every check found running on the same
 *   CPU, and that CPU is isolated (isolcpus, nohz_full, an isolated cpuset
 *   partition). The kernel examines a task's stack only when it is off its
 *   CPU (a running task is -EBUSY); nothing else runs on an isolated CPU to
 *   preempt it, so no round ever looks, even if the task spends most of
 *   its time outside the patched function.
 * - busy_kthread: a kthread found running or preempted at every check and
 *   never asleep: it never reaches a point where this kernel switches it
 *   (enum switch_point).
 * - uninterruptible_wait: a task asleep uninterruptibly (D, or I) inside a
 *   patched function at every check: a signal round wakes only
 *   interruptible sleepers, so only the wait's end (or a force) moves it.
 *
 * pending_task__never() is what the checks show, per task, and part of the
 * group key; the verdict rules (verdicts.c) confirm or drop it for the
 * group's representative, whose stacks they can see.
 */
#include "model/model.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

static unsigned int checks_of(const struct pending_task *t)
{
	return t->checks_running + t->checks_sleeping + t->checks_unreliable;
}

static int asleep_uninterruptibly(char state)
{
	return state == 'D' || state == 'I';
}

/* Every check found it on its CPU, and on the same one. */
static int on_one_cpu_throughout(const struct pending_task *t)
{
	return t->checks_running == checks_of(t) && !t->checks_preempted && !t->cpu_moves;
}

enum never_cause pending_task__never(const struct pending_task *t)
{
	unsigned int n = checks_of(t);

	if (n < CHECKS_TO_SETTLE)
		return NEVER_NONE;
	if (t->kthread && !t->checks_asleep &&
	    (t->reason == REASON_RUNNING || (t->reason == REASON_SLEEPING_ON && t->state == 'R')))
		return t->cpu_iso && on_one_cpu_throughout(t) ? NEVER_ISOLATED_CPU
							     : NEVER_BUSY_KTHREAD;
	if (t->reason == REASON_SLEEPING_ON && asleep_uninterruptibly(t->state) &&
	    t->checks_uninterruptible == n)
		return NEVER_UNINTERRUPTIBLE;
	return NEVER_NONE;
}

uint8_t cpu_isolation__of(const struct cpu_isolation *iso, int cpu)
{
	return iso && cpu >= 0 && (size_t)cpu < iso->ncpus ? iso->cpus[cpu] : 0;
}

/* The CPU that matters is where the checks found it; before any check,
 * where it last ran. */
void transition_info__mark_isolation(struct transition_info *tr, const struct cpu_isolation *iso)
{
	for (size_t i = 0; i < tr->ntasks; i++) {
		struct pending_task *t = &tr->tasks[i];

		t->cpu_iso = cpu_isolation__of(iso, t->check_cpu >= 0 ? t->check_cpu : t->cpu);
	}
}

void cpu_isolation__free(struct cpu_isolation *iso)
{
	free(iso->cpus);
	iso->cpus = NULL;
	iso->ncpus = 0;
}

/* The same rule for a task shown with its stacks (a group's representative,
 * a task built by a test): one rule, whichever form the task has. */
enum never_cause task_snap__never(const struct task_snap *s)
{
	struct pending_task t = {
		.kthread = (int8_t)s->kthread,
		.state = s->state,
		.reason = s->reason,
		.checks_running = s->checks_running,
		.checks_sleeping = s->checks_sleeping,
		.checks_unreliable = s->checks_unreliable,
		.checks_asleep = s->checks_asleep,
		.checks_preempted = s->checks_preempted,
		.checks_uninterruptible = s->checks_uninterruptible,
		.cpu_moves = s->cpu_moves,
		.cpu_iso = s->cpu_iso,
	};

	return pending_task__never(&t);
}

void cpu_isolation__mark(struct cpu_isolation *iso, unsigned long cpu, uint8_t flag)
{
	if (cpu >= iso->ncpus) {
		size_t n = cpu + 1;

		iso->cpus = xrealloc(iso->cpus, n);
		memset(iso->cpus + iso->ncpus, 0, n - iso->ncpus);
		iso->ncpus = n;
	}
	iso->cpus[cpu] |= flag;
}
