// SPDX-License-Identifier: GPL-2.0
/*
 * Blocker analysis: from what the kernel's own checks said about a task, say
 * whether waiting will help. The rules follow kernel/livepatch/transition.c:
 * a task switches when its stack check passes, when it returns to user space,
 * when it is forked from a switched parent, and where the kernel tries on its
 * own (enum switch_point: at cond_resched() on 6.4-6.15, going to a freezable
 * sleep on 6.16+); every 15th failed round user tasks get a fake signal and
 * interruptibly sleeping kthreads are woken. Nothing else moves a task.
 */
#include "model/model.h"
#include "lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2

static void set_verdict(struct task_snap *t, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_verdict(struct task_snap *t, enum verdict v, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	free(t->verdict_text);
	t->verdict = v;
	t->verdict_text = text;
}

static int stack_has(const struct stack_frame *f, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].symbol && !strncmp(f[i].symbol, prefix, strlen(prefix)))
			return 1;
	return 0;
}

static int stack_marked(const struct stack_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].marked)
			return 1;
	return 0;
}

/* What code change lets a busy kthread switch on this kernel, outside the
 * patched function: a sleep always does (the next round finds it asleep with
 * a clean stack); cond_resched() only where the kernel switches there. */
static const char *code_change_advice(enum switch_point p)
{
	switch (p) {
	case SWITCH_POINT_COND_RESCHED:
		return "cond_resched() or a sleep outside the patched function";
	case SWITCH_POINT_FREEZABLE:
		return "a sleep outside the patched function; cond_resched() does not switch "
		       "tasks on this kernel, a freezable sleep switches at once";
	default:
		return "a sleep outside the patched function; cond_resched() does not switch "
		       "tasks on this kernel";
	}
}

/* The kernel's checks seen: with thousands pending, not every round's. */
static unsigned int checks_seen(const struct task_snap *t)
{
	return t->checks_running + t->checks_sleeping + t->checks_unreliable;
}

static void set_help(struct task_snap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_help(struct task_snap *t, const char *fmt, ...)
{
	va_list ap;

	free(t->help);
	va_start(ap, fmt);
	if (vasprintf(&t->help, fmt, ap) < 0)
		t->help = NULL;
	va_end(ap);
}

/* Every check found it on its CPU (never preempted, never asleep). */
static int always_on_cpu(const struct task_snap *t)
{
	return checks_seen(t) && t->checks_running == checks_seen(t) && !t->checks_preempted;
}

/* A user task on a CPU at every check. A tick or any interrupt would take
 * it through the exit to user space, where it switches; a nohz_full CPU
 * has no tick, but a signal round's IPI still interrupts it. Still
 * pending after one, it is running in the kernel. */
static int judge_running_user(struct task_snap *t)
{
	char iso[64];

	if (checks_seen(t) < CHECKS_TO_SETTLE || !always_on_cpu(t))
		return 0;
	if (t->signal_rounds_seen) {
		set_verdict(t, VERDICT_WAIT_RETURN,
			    "user task on a CPU at all %u checks, through %u signal round%s whose "
			    "interrupt would have switched it in user space: it runs in the kernel, and "
			    "switches when it returns to user space",
			    checks_seen(t), t->signal_rounds_seen, t->signal_rounds_seen == 1 ? "" : "s");
		return 1;
	}
	if (!(t->cpu_iso & CPU_ISO_NOHZ_FULL))
		return 0;
	set_verdict(t, VERDICT_WILL_SWITCH,
		    "user task on CPU %d (%s) at all %u checks: no scheduler tick brings it into the "
		    "kernel there; it switches at its next system call or interrupt, at the latest "
		    "at the next signal round, whose interrupt reaches it",
		    t->check_cpu, cpu_iso__names(t->cpu_iso, iso, sizeof(iso)), checks_seen(t));
	return 1;
}

/* A kthread that never reaches this kernel's switch point: why no round
 * switches it, and what would. */
static void judge_stuck_kthread(struct task_snap *t, const struct snapshot *s)
{
	const char *advice = code_change_advice(s->switch_point);
	char iso[64];

	t->never = task_snap__never(t) == NEVER_ISOLATED_CPU ? NEVER_ISOLATED_CPU
							      : NEVER_BUSY_KTHREAD;
	if (t->never == NEVER_BUSY_KTHREAD) {
		set_verdict(t, VERDICT_STUCK,
			    "kthread was running (or preempted) at all %u checks and never slept: "
			    "signals cannot reach it, waiting will not help; it needs a code change "
			    "(%s) or a forced transition", checks_seen(t), advice);
		set_help(t, "a code change (%s), or a forced transition", advice);
		return;
	}
	cpu_iso__names(t->cpu_iso, iso, sizeof(iso));
	set_verdict(t, VERDICT_STUCK,
		    "kthread on isolated CPU %d (%s) at all %u checks, never off it: nothing else "
		    "runs there to preempt it, so no round examines its stack; signals cannot reach "
		    "it, waiting will not help; it needs a code change (%s) or a forced transition",
		    t->check_cpu, iso, checks_seen(t), advice);
	/* Where it spins says whether being preempted would be enough. */
	if (t->noncpu && !stack_marked(t->oncpu, t->noncpu))
		set_help(t, "a code change (%s), or a forced transition. Its on-CPU samples are "
			 "outside the patched function: a round that found it preempted would "
			 "switch it, and no other task runs on CPU %d to preempt it", advice,
			 t->check_cpu);
	else
		set_help(t, "a code change (%s), or a forced transition", advice);
}

static void judge_running(struct task_snap *t, const struct snapshot *s)
{
	if (!t->kthread) {
		if (!judge_running_user(t))
			set_verdict(t, VERDICT_WILL_SWITCH,
				    "user task on a CPU: switches at its next return to user space");
		return;
	}
	/* 6.4-6.15 try to switch the task at cond_resched() (__cond_resched,
	 * or klp_cond_resched under preempt=full), but the check there is the
	 * same stack check: it fails while a to-be-patched function is on the
	 * stack, e.g. when the patched function itself calls cond_resched(). */
	if (s->switch_point == SWITCH_POINT_COND_RESCHED && !stack_marked(t->oncpu, t->noncpu) &&
	    (stack_has(t->oncpu, t->noncpu, "__cond_resched") ||
	     stack_has(t->oncpu, t->noncpu, "klp_cond_resched"))) {
		set_verdict(t, VERDICT_WILL_SWITCH,
			    "running kthread that calls cond_resched(): this kernel switches it there");
		return;
	}
	/* Found off-CPU but runnable (R) is preemption, not sleep: the spinner
	 * was still inside the patched function and will not leave it. */
	if (checks_seen(t) < CHECKS_TO_SETTLE || t->checks_asleep) {
		set_verdict(t, VERDICT_NONE, "running kthread: watching (%u checks so far)",
			    checks_seen(t));
		return;
	}
	judge_stuck_kthread(t, s);
}

/* Asleep uninterruptibly (D; I is TASK_IDLE, uninterruptible too): a
 * signal round wakes interruptible sleepers only, a user task's fake
 * signal waits for the sleep to end like any other. */
static void judge_uninterruptible(struct task_snap *t, const char *f)
{
	const char *who = t->kthread ? "kthread" : "user task";

	t->never = task_snap__never(t);
	if (t->never != NEVER_UNINTERRUPTIBLE) {
		set_verdict(t, VERDICT_WAIT_RETURN,
			    "%s sleeping uninterruptibly in %s: switches only when %s returns; "
			    "signal rounds do not wake it", who, f, f);
		return;
	}
	if (t->signal_rounds_seen)
		set_verdict(t, VERDICT_WAIT_RETURN,
			    "%s sleeping uninterruptibly in %s at all %u checks, through %u signal "
			    "round%s that did not wake it: waiting helps only if its wait ends; it "
			    "switches when %s returns, or by a forced transition", who, f,
			    checks_seen(t), t->signal_rounds_seen,
			    t->signal_rounds_seen == 1 ? "" : "s", f);
	else
		set_verdict(t, VERDICT_WAIT_RETURN,
			    "%s sleeping uninterruptibly in %s at all %u checks: signal rounds do "
			    "not wake it, waiting helps only if its wait ends; it switches when %s "
			    "returns, or by a forced transition", who, f, checks_seen(t), f);
	set_help(t, "the end of the wait it sleeps in, so that %s returns (its stack says what "
		 "it waits for); or a forced transition. No signal round moves it", f);
}

static void judge_sleeping(struct task_snap *t)
{
	const char *f = t->function ? t->function : "a patched function";

	if (t->state == 'D' || t->state == 'I' ||
	    (t->kthread && t->state == 0 && t->signal_rounds_seen))
		judge_uninterruptible(t, f);
	else if (!t->kthread)
		set_verdict(t, VERDICT_NEEDS_SIGNAL,
			    "user task sleeping in %s: switches when it returns, or at the next "
			    "signal round (every 15 rounds)", f);
	else
		set_verdict(t, VERDICT_NEEDS_SIGNAL,
			    "kthread sleeping in %s: woken at the next signal round, switches "
			    "once it leaves %s", f, f);
}

/* A kthread found runnable at every check, on a CPU or preempted inside the
 * patched function, never sleeping: with one CPU it is never "running" when
 * checked (the check itself preempted it), yet it is the same spinner. */
static int runnable_kthread_never_slept(const struct task_snap *t)
{
	return t->kthread && !t->checks_asleep && checks_seen(t) &&
	       (t->reason == REASON_RUNNING || (t->reason == REASON_SLEEPING_ON && t->state == 'R'));
}

void blocker__judge(struct task_snap *t, const struct snapshot *s)
{
	t->never = NEVER_NONE;
	free(t->help);
	t->help = NULL;
	if (runnable_kthread_never_slept(t)) {
		judge_running(t, s);
		return;
	}
	switch (t->reason) {
	case REASON_RUNNING:
		judge_running(t, s);
		break;
	case REASON_SLEEPING_ON:
		judge_sleeping(t);
		break;
	case REASON_UNRELIABLE:
		set_verdict(t, VERDICT_WAIT_RETURN,
			    "stack not reliable (interrupt or exception frame): retried every round");
		break;
	default:
		set_verdict(t, VERDICT_NONE, s->probes.bpf ? "not examined by the kernel yet"
							  : "reason unknown (BPF probes not attached)");
		break;
	}
}

static size_t append_names(char *buf, size_t len, const struct task_snap *t, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s (%s %d, %c)", i ? ", " : "",
				 t[i].comm, t[i].kthread ? "kthread" : "pid", t[i].tid, t[i].state);
	return used;
}

/* The transition as a whole: every task may have switched and it still does
 * not end, because unpatching waits in synchronize_rcu_tasks(). */
static void judge_transition(struct transition_info *tr)
{
	char names[512] = "";

	free(tr->verdict_text);
	tr->verdict_text = NULL;
	/* Without the kprobes, the holdouts alone tell the same story. */
	if (tr->tasks_pending || !(tr->completing || tr->nholdouts))
		return;
	append_names(names, sizeof(names), tr->holdouts, tr->nholdouts);
	if (asprintf(&tr->verdict_text,
		     "all tasks switched, but klp_complete_transition waits in "
		     "synchronize_rcu_tasks() (unregistering the patch's ftrace ops) for tasks "
		     "that never schedule voluntarily%s%s; it ends when they sleep or call "
		     "schedule(). Until then the livepatch mutex is held: no patch can be "
		     "loaded, disabled or forced",
		     tr->nholdouts ? ": " : "", names) < 0)
		tr->verdict_text = NULL;
}

/* Each group's representative is judged; its members share the verdict
 * (they agree on everything the rules look at, see groups.c). */
void snapshot__judge_blockers(struct snapshot *s)
{
	struct transition_info *tr = s->transition;

	if (!tr)
		return;
	judge_transition(tr);
	for (size_t g = 0; g < tr->ngroups; g++)
		blocker__judge(&tr->groups[g].rep, s);
	for (size_t g = 0; g < tr->ngroups; g++) {
		tr->groups[g].verdict = tr->groups[g].rep.verdict;
		tr->groups[g].never = tr->groups[g].rep.never;
	}
	for (size_t i = 0; i < tr->ntasks; i++) {
		tr->tasks[i].verdict = tr->groups[tr->tasks[i].group].verdict;
		tr->tasks[i].never = tr->groups[tr->tasks[i].group].never;
	}
}
