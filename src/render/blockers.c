// SPDX-License-Identifier: GPL-2.0
/* Blockers told one way (render/blockers.h). */
#include "render/blockers.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

/* Member tids listed under a group in text; the JSON lists them all. */
#define GROUP_TIDS_SHOWN 16

const char *stack_frame__format(const struct stack_frame *fr, char *buf, size_t len)
{
	int n;

	if (fr->symbol)
		n = snprintf(buf, len, "%s+0x%llx", fr->symbol, (unsigned long long)fr->offset);
	else
		n = snprintf(buf, len, "0x%llx", (unsigned long long)fr->addr);
	if (fr->module && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " [%s]", fr->module);
	return buf;
}

void stack_frames__print(FILE *f, const struct stack_frame *fr, size_t n)
{
	char buf[256];

	for (size_t i = 0; i < n; i++)
		fprintf(f, "      %s %s\n", fr[i].marked ? "=>" : "  ",
			stack_frame__format(&fr[i], buf, sizeof(buf)));
}

static const char *marked_symbol(const struct stack_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].marked && f[i].symbol)
			return f[i].symbol;
	return NULL;
}

const char *task_snap__where(const struct task_snap *t)
{
	const char *fn = marked_symbol(t->stack, t->nstack);

	if (!fn)
		fn = marked_symbol(t->oncpu, t->noncpu);
	if (!fn)
		fn = t->function;
	if (!fn && t->nstack && t->stack[0].symbol)
		fn = t->stack[0].symbol;
	return fn ? fn : t->state == 'R' ? "? (on a CPU)" : "?";
}

const char *blocker_group__tids(const struct transition_info *tr, size_t g, size_t max,
				char *buf, size_t len)
{
	size_t used = 0, shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tr->ntasks && used < len; i++) {
		if (tr->tasks[i].group != g)
			continue;
		if (shown == max)
			break;
		used += snprintf(buf + used, len - used, "%s%d", shown ? " " : "", tr->tasks[i].tid);
		shown++;
	}
	if (tr->groups[g].count > shown && used < len)
		snprintf(buf + used, len - used, " (+%zu more)", tr->groups[g].count - shown);
	return buf;
}

/* Its CPU, when where it runs is the point: always on one, or isolated. */
static size_t cpu_evidence(const struct task_snap *t, char *buf, size_t len)
{
	char iso[64];
	int n;

	if (t->check_cpu < 0 || !t->checks_running)
		return 0;
	n = snprintf(buf, len, "CPU %d%s%s%s, %s; ", t->check_cpu, t->cpu_iso ? " (" : "",
		     cpu_iso__names(t->cpu_iso, iso, sizeof(iso)), t->cpu_iso ? ")" : "",
		     t->cpu_moves ? "moved between checks" : "the same at every check");
	if (n > 0 && (size_t)n < len && t->cpus_allowed > 0)
		n += snprintf(buf + n, len - (size_t)n, "may run on %d CPU%s; ", t->cpus_allowed,
			      t->cpus_allowed == 1 ? "" : "s");
	return n > 0 ? (size_t)n : 0;
}

const char *task_snap__evidence(const struct task_snap *t, char *buf, size_t len)
{
	size_t used;

	if (t->never == NEVER_NONE && !(t->cpu_iso && t->checks_running))
		return NULL;
	used = cpu_evidence(t, buf, len);
	if (used < len)
		snprintf(buf + used, len - used,
			 "checks %u: running %u, preempted %u, asleep %u (uninterruptibly %u); "
			 "signal rounds seen %u",
			 t->checks_running + t->checks_sleeping + t->checks_unreliable,
			 t->checks_running, t->checks_preempted, t->checks_asleep,
			 t->checks_uninterruptible, t->signal_rounds_seen);
	return buf;
}

const char *task_snap__never_text(const struct task_snap *t, char *buf, size_t len)
{
	if (t->never == NEVER_NONE)
		return NULL;
	snprintf(buf, len, "never switches by itself (%s); helps: %s", never_cause__name(t->never),
		 t->help ? t->help : "?");
	return buf;
}

/* The verdict, and for a task that will never switch by itself, why and
 * what would switch it. */
static void print_verdict(FILE *f, const struct task_snap *t)
{
	char ev[320], never[640];

	if (t->verdict_text)
		fprintf(f, "      verdict: %s\n", t->verdict_text);
	if (task_snap__evidence(t, ev, sizeof(ev)))
		fprintf(f, "      evidence: %s\n", ev);
	if (task_snap__never_text(t, never, sizeof(never)))
		fprintf(f, "      %s\n", never);
}

static void print_stacks(FILE *f, const struct task_snap *t)
{
	if (t->stack_errno)
		fprintf(f, "      (stack unreadable: %s)\n", strerror(t->stack_errno));
	stack_frames__print(f, t->stack, t->nstack);
	if (t->noncpu)
		fprintf(f, "      on CPU (%u samples):\n", t->oncpu_samples);
	stack_frames__print(f, t->oncpu, t->noncpu);
}

static void print_row(FILE *f, const char *count, const struct task_snap *t)
{
	fprintf(f, "  %6s %7d %7d %-16s %-7s %c  %-16s %s\n", count, t->pid, t->tid, t->comm,
		t->kthread ? "kthread" : "user", t->state ? t->state : '?',
		reason__name(t->reason), t->function ? t->function : "");
}

void task_snap__print(FILE *f, const struct task_snap *t, int with_stacks)
{
	print_row(f, "", t);
	print_verdict(f, t);
	if (with_stacks)
		print_stacks(f, t);
}

void blocker_group__print_heading(FILE *f)
{
	fprintf(f, "  %6s %7s %7s %-16s %-7s %s  %-16s %s\n", "COUNT", "PID", "TID", "COMM", "TYPE",
		"S", "REASON", "FUNCTION");
}

void blocker_group__print(FILE *f, const struct transition_info *tr, size_t g, int with_stacks)
{
	const struct blocker_group *grp = &tr->groups[g];
	struct task_snap rep = grp->rep;
	char count[24], tids[256];

	/* The row names the group: its comm pattern when the members differ. */
	copy_str(rep.comm, sizeof(rep.comm), grp->comm);
	snprintf(count, sizeof(count), "%zu", grp->count);
	print_row(f, count, &rep);
	if (grp->count > 1)
		fprintf(f, "      tasks: %s\n",
			blocker_group__tids(tr, g, GROUP_TIDS_SHOWN, tids, sizeof(tids)));
	print_verdict(f, &rep);
	if (with_stacks)
		print_stacks(f, &rep);
}
