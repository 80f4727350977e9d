// SPDX-License-Identifier: GPL-2.0
/* The snapshot model: initialising, freeing, copying, naming. No I/O. */
#include "model/model.h"
#include "lib/util.h"

#include "klptop/transition.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snapshot__init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->source = "procfs";
	s->tif_patch_pending_bit = -1;
	s->cpu_iso.idle_poll = -1;
}

void task_snap__init(struct task_snap *t)
{
	memset(t, 0, sizeof(*t));
	t->tif_pending = -1;
	t->cpu = -1;
	t->check_cpu = -1;
	t->switched_how = -1;
}

void stack_frames__free(struct stack_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].symbol);
		free(f[i].module);
	}
	free(f);
}

void task_snap__free(struct task_snap *t)
{
	stack_frames__free(t->stack, t->nstack);
	stack_frames__free(t->oncpu, t->noncpu);
	free(t->function);
	free(t->verdict_text);
	free(t->help);
	memset(t, 0, sizeof(*t));
}

void transition_info__clear(struct transition_info *tr)
{
	free(tr->tasks);
	for (size_t i = 0; i < tr->ngroups; i++)
		task_snap__free(&tr->groups[i].rep);
	free(tr->groups);
	for (size_t i = 0; i < tr->nfuncs; i++)
		free(tr->funcs[i]);
	free(tr->funcs);
	for (size_t i = 0; i < tr->nholdouts; i++)
		task_snap__free(&tr->holdouts[i]);
	free(tr->holdouts);
	free(tr->patch);
	free(tr->verdict_text);
	memset(tr, 0, sizeof(*tr));
}

void transition_info__free(struct transition_info *tr)
{
	if (!tr)
		return;
	transition_info__clear(tr);
	free(tr);
}

void snapshot__free(struct snapshot *s)
{
	for (size_t i = 0; i < s->npatches; i++)
		patch_info__free(&s->patches[i]);
	free(s->patches);
	transition_info__free(s->transition);
	for (size_t i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	for (size_t i = 0; i < s->probes.nmissing; i++)
		free(s->probes.missing[i]);
	free(s->probes.missing);
	free(s->probes.why_not);
	for (size_t i = 0; i < s->nhistory; i++)
		transition_summary__free(&s->history[i]);
	free(s->history);
	shadow_snapshot__free(s->shadows);
	free(s->shadows);
	cpu_isolation__free(&s->cpu_iso);
	snapshot__init(s);
}

void snapshot__warn(struct snapshot *s, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(fmt);
	va_end(ap);
	s->warnings = xrealloc(s->warnings, (s->nwarnings + 1) * sizeof(*s->warnings));
	s->warnings[s->nwarnings++] = msg;
}

enum block_reason reason__of_check(int ret)
{
	switch (ret) {
	case -KLPT_EBUSY: return REASON_RUNNING;
	case -KLPT_EADDRINUSE: return REASON_SLEEPING_ON;
	case -KLPT_EINVAL: return REASON_UNRELIABLE;
	default: return REASON_UNKNOWN;
	}
}

const char *reason__name(enum block_reason r)
{
	switch (r) {
	case REASON_RUNNING: return "running";
	case REASON_SLEEPING_ON: return "sleeping_on";
	case REASON_UNRELIABLE: return "unreliable_stack";
	default: return "unknown";
	}
}

const char *verdict__name(enum verdict v)
{
	switch (v) {
	case VERDICT_WILL_SWITCH: return "will_switch";
	case VERDICT_WAIT_RETURN: return "wait_for_return";
	case VERDICT_NEEDS_SIGNAL: return "needs_signal";
	case VERDICT_STUCK: return "stuck";
	default: return "none";
	}
}

const char *never_cause__name(enum never_cause c)
{
	switch (c) {
	case NEVER_ISOLATED_CPU: return "isolated_cpu";
	case NEVER_BUSY_KTHREAD: return "busy_kthread";
	case NEVER_UNINTERRUPTIBLE: return "uninterruptible_wait";
	default: return "none";
	}
}

const char *cpu_iso__name(int i)
{
	static const char *const names[] = { "isolcpus", "nohz_full", "cpuset" };

	return i >= 0 && (size_t)i < ARRAY_SIZE(names) ? names[i] : NULL;
}

const char *cpu_iso__names(uint8_t bits, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; cpu_iso__name(i) && used < len; i++)
		if (bits & (1u << i))
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 cpu_iso__name(i));
	return buf;
}

const char *switch_point__name(enum switch_point p)
{
	switch (p) {
	case SWITCH_POINT_COND_RESCHED: return "cond_resched";
	case SWITCH_POINT_FREEZABLE: return "freezable_sleep";
	default: return "none";
	}
}

const char *switch_how__name(enum switch_how h)
{
	static const char *const names[SWITCH_HOW_MAX] = {
		"stack_check", "user_exit", "idle", "fork", "force", "exit",
	};
	return h < SWITCH_HOW_MAX ? names[h] : "unknown";
}

void transition_summary__free(struct transition_summary *ts)
{
	for (size_t i = 0; i < ts->nunsafe; i++)
		task_snap__free(&ts->unsafe[i]);
	free(ts->unsafe);
	for (size_t i = 0; i < ts->nstragglers; i++)
		task_snap__free(&ts->stragglers[i]);
	free(ts->stragglers);
	free(ts->patch);
	memset(ts, 0, sizeof(*ts));
}

struct stack_frame *stack_frames__copy(const struct stack_frame *f, size_t n)
{
	struct stack_frame *d = xcalloc(n ? n : 1, sizeof(*d));

	for (size_t k = 0; k < n; k++) {
		d[k] = f[k];
		d[k].symbol = f[k].symbol ? xstrdup(f[k].symbol) : NULL;
		d[k].module = f[k].module ? xstrdup(f[k].module) : NULL;
	}
	return d;
}

void task_snap__copy(struct task_snap *d, const struct task_snap *u)
{
	*d = *u;
	d->function = u->function ? xstrdup(u->function) : NULL;
	d->verdict_text = u->verdict_text ? xstrdup(u->verdict_text) : NULL;
	d->help = u->help ? xstrdup(u->help) : NULL;
	d->stack = stack_frames__copy(u->stack, u->nstack);
	d->oncpu = stack_frames__copy(u->oncpu, u->noncpu);
}

char task_state__char(unsigned int st)
{
	/* TASK_IDLE is TASK_UNINTERRUPTIBLE | TASK_NOLOAD (0x400). */
	if ((st & 0x402) == 0x402)
		return 'I';
	if (st == 0)
		return 'R';
	if (st & 0x1)
		return 'S';
	if (st & 0x2)
		return 'D';
	if (st & 0x4)
		return 'T';
	if (st & 0x8)
		return 't';
	if (st & 0x20)
		return 'Z';
	if (st & 0x10)
		return 'X';
	return '?';
}

const char *klp_state__name(int state)
{
	return state == KLP_PATCHED ? "patched" : state == KLP_UNPATCHED ? "unpatched" : "undefined";
}

static const struct patch_info *find_patch(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->npatches; i++)
		if (!strcmp(s->patches[i].name, name))
			return &s->patches[i];
	return NULL;
}

/* Is this frame one of the functions the transition must get off stacks?
 * Patching: the old functions, named by sysfs (<object>/<func,sympos>).
 * Unpatching: the new functions, which live in the patch's own module. */
static int frame_blocks(const struct stack_frame *f, const struct patch_info *pi, int target)
{
	if (!f->symbol)
		return 0;
	if (target == KLP_UNPATCHED)
		return f->module && !strcmp(f->module, pi->name);
	for (size_t i = 0; i < pi->nobjs; i++) {
		const struct object_info *o = &pi->objs[i];
		int vmlinux = !strcmp(o->name, "vmlinux");

		if (vmlinux ? f->module != NULL : (!f->module || strcmp(f->module, o->name)))
			continue;
		for (size_t j = 0; j < o->nfuncs; j++)
			if (!strcmp(o->funcs[j].name, f->symbol))
				return 1;
	}
	return 0;
}

void snapshot__mark_stacks(struct snapshot *s)
{
	struct transition_info *tr = s->transition;
	const struct patch_info *pi;

	if (!tr || !(pi = find_patch(s, tr->patch)))
		return;
	for (size_t i = 0; i < tr->ngroups; i++) {
		struct task_snap *t = &tr->groups[i].rep;

		for (size_t j = 0; j < t->nstack; j++)
			t->stack[j].marked = frame_blocks(&t->stack[j], pi, tr->target);
		for (size_t j = 0; j < t->noncpu; j++)
			t->oncpu[j].marked = frame_blocks(&t->oncpu[j], pi, tr->target);
	}
}

void patch_info__free(struct patch_info *pi)
{
	for (size_t i = 0; i < pi->nobjs; i++) {
		struct object_info *o = &pi->objs[i];

		for (size_t j = 0; j < o->nfuncs; j++)
			free(o->funcs[j].name);
		free(o->funcs);
		free(o->name);
	}
	free(pi->objs);
	free(pi->name);
	memset(pi, 0, sizeof(*pi));
}

const char *shadow_leak_kind__name(enum shadow_leak_kind k)
{
	static const char *const names[SHADOW_LEAK_KIND_MAX] = { "orphan", "stale", "duplicate" };

	return k < SHADOW_LEAK_KIND_MAX ? names[k] : "?";
}

void shadow_snapshot__free(struct shadow_snapshot *ss)
{
	if (!ss)
		return;
	free(ss->scan_error);
	if (ss->free_hooks)
		free(ss->free_hooks->error);
	free(ss->free_hooks);
	for (size_t i = 0; i < ss->nids; i++)
		free(ss->ids[i].ownership_text);
	free(ss->ids);
	for (size_t i = 0; i < ss->nusers; i++) {
		free(ss->users[i].module);
		free(ss->users[i].successor);
		for (size_t j = 0; j < ss->users[i].nctors; j++)
			free(ss->users[i].ctors[j]);
	}
	free(ss->users);
	for (size_t i = 0; i < ss->ngroups; i++)
		free(ss->groups[i].module);
	free(ss->groups);
	for (size_t i = 0; i < ss->nleaks; i++) {
		struct shadow_leak *l = &ss->leaks[i];

		free(l->cache);
		free(l->module);
		stack_frames__free(l->alloc_stack, l->nalloc_stack);
		stack_frames__free(l->free_stack, l->nfree_stack);
	}
	free(ss->leaks);
	for (size_t i = 0; i < ss->nmissed_by; i++)
		free(ss->missed_by[i].program);
	free(ss->missed_by);
	memset(ss, 0, sizeof(*ss));
}
