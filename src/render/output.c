// SPDX-License-Identifier: GPL-2.0
#include "render/output.h"
#include "lib/buildinfo.h"
#include "render/blockers.h"
#include "render/transition_cost.h"
#include "live/attach.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *shadow_leak__owner(const struct shadow_leak *l, char *buf, size_t len)
{
	snprintf(buf, len, l->obj_pseudonym ? "obj#%llu" : "0x%llx", (unsigned long long)l->obj);
	return buf;
}

json_object *json_addr(unsigned long long addr)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", addr);
	return json_object_new_string(buf);
}

static json_object *json_tristate(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

static json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Whether this patch's version of a function runs, when two patches or more
 * patch it: by the kernel's stack_order where it has one (6.14+), else by
 * the function's klp_ops stack as the BPF walk read it; said only when
 * known, and both sources are shown when they disagree. */
static const char *live_mark(const struct func_info *f)
{
	int ops = f->walked ? f->live : -1, order = f->live_stack_order;

	if (order >= 0 && ops >= 0 && order != ops)
		return order ? " [live by stack_order, not by klp_ops]"
			     : " [live by klp_ops, not by stack_order]";
	if (order < 0)
		order = ops;
	return order < 0 ? "" : order ? " [live]" : " [superseded]";
}

static json_object *funcs_to_json(const struct object_info *o)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < o->nfuncs; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(o->funcs[i].name));
		const struct func_info *fi = &o->funcs[i];

		json_object_object_add(f, "sympos", json_object_new_int64(fi->sympos));
		json_object_object_add(f, "old_addr", fi->old_addr ? json_addr(fi->old_addr) : NULL);
		json_object_object_add(f, "new_addr", fi->new_addr ? json_addr(fi->new_addr) : NULL);
		json_object_object_add(f, "live", fi->walked ? json_tristate(fi->live) : NULL);
		json_object_object_add(f, "live_stack_order", json_tristate(fi->live_stack_order));
		json_object_object_add(f, "stack_pos", !fi->walked || fi->stack_pos < 0 ? NULL :
				       json_object_new_int(fi->stack_pos));
		json_object_object_add(f, "calls_per_s", fi->routed ?
				       json_object_new_double(fi->calls_per_s) : NULL);
		json_object_object_add(f, "new_per_s", fi->routed ?
				       json_object_new_double(fi->new_per_s) : NULL);
		json_object_array_add(a, f);
	}
	return a;
}

static json_object *patch_to_json(const struct patch_info *pi)
{
	json_object *p = json_object_new_object(), *objs = json_object_new_array();

	json_object_object_add(p, "name", json_object_new_string(pi->name));
	json_object_object_add(p, "enabled", json_object_new_boolean(pi->enabled));
	json_object_object_add(p, "transition", json_object_new_boolean(pi->transition));
	json_object_object_add(p, "replace", json_tristate(pi->replace));
	json_object_object_add(p, "stack_order", pi->stack_order < 0 ? NULL :
			       json_object_new_int(pi->stack_order));
	json_object_object_add(p, "forced", json_tristate(pi->forced));
	for (size_t i = 0; i < pi->nobjs; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(pi->objs[i].name));
		json_object_object_add(o, "patched", json_tristate(pi->objs[i].patched));
		json_object_object_add(o, "funcs", funcs_to_json(&pi->objs[i]));
		json_object_array_add(objs, o);
	}
	json_object_object_add(p, "objects", objs);
	return p;
}

static json_object *frames_to_json(const struct stack_frame *frames, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		const struct stack_frame *f = &frames[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "addr", json_addr(f->addr));
		json_object_object_add(o, "symbol", json_str_or_null(f->symbol));
		json_object_object_add(o, "offset", json_object_new_int64((int64_t)f->offset));
		json_object_object_add(o, "module", json_str_or_null(f->module));
		json_object_object_add(o, "marked", json_object_new_boolean(f->marked));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_cpu(int cpu)
{
	return cpu >= 0 ? json_object_new_int(cpu) : NULL;
}

static json_object *json_never(enum never_cause c)
{
	return c == NEVER_NONE ? NULL : json_object_new_string(never_cause__name(c));
}

/* ["isolcpus", "nohz_full"]: how the CPU is isolated, [] when it is not. */
static json_object *cpu_iso_to_json(uint8_t bits)
{
	json_object *a = json_object_new_array();

	for (int i = 0; cpu_iso__name(i); i++)
		if (bits & (1u << i))
			json_object_array_add(a, json_object_new_string(cpu_iso__name(i)));
	return a;
}

/* How the checks found a task, and where: the same keys in a pending
 * entry and in a full task object. */
static void checks_seen_to_json(json_object *o, unsigned int asleep, unsigned int preempted,
				unsigned int uninterruptible, int check_cpu, unsigned int cpu_moves,
				int cpus_allowed)
{
	json_object_object_add(o, "checks_asleep", json_object_new_int64(asleep));
	json_object_object_add(o, "checks_preempted", json_object_new_int64(preempted));
	json_object_object_add(o, "checks_uninterruptible", json_object_new_int64(uninterruptible));
	json_object_object_add(o, "check_cpu", json_cpu(check_cpu));
	json_object_object_add(o, "cpu_moves", json_object_new_int64(cpu_moves));
	json_object_object_add(o, "cpus_allowed", cpus_allowed > 0 ?
			       json_object_new_int(cpus_allowed) : NULL);
}

static json_object *task_to_json(const struct task_snap *t)
{
	json_object *o = json_object_new_object();
	char state[2] = { t->state ? t->state : '?', 0 };

	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "tid", json_object_new_int(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	json_object_object_add(o, "kthread", json_object_new_boolean(t->kthread));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "patch_state", json_object_new_int(t->patch_state));
	json_object_object_add(o, "tif_pending", json_tristate(t->tif_pending));
	json_object_object_add(o, "reason", json_object_new_string(reason__name(t->reason)));
	json_object_object_add(o, "function", json_str_or_null(t->function));
	json_object_object_add(o, "rounds_failed", json_object_new_int64(t->rounds_failed));
	json_object_object_add(o, "blocked_ns", json_object_new_int64((int64_t)t->blocked_ns));
	json_object_object_add(o, "verdict", json_object_new_string(verdict__name(t->verdict)));
	json_object_object_add(o, "verdict_text", json_str_or_null(t->verdict_text));
	json_object_object_add(o, "checks_running", json_object_new_int64(t->checks_running));
	json_object_object_add(o, "checks_sleeping", json_object_new_int64(t->checks_sleeping));
	json_object_object_add(o, "checks_unreliable", json_object_new_int64(t->checks_unreliable));
	json_object_object_add(o, "signal_rounds_seen", json_object_new_int64(t->signal_rounds_seen));
	checks_seen_to_json(o, t->checks_asleep, t->checks_preempted, t->checks_uninterruptible,
			    t->check_cpu, t->cpu_moves, t->cpus_allowed);
	json_object_object_add(o, "cpu", json_cpu(t->cpu));
	json_object_object_add(o, "cpu_isolation", cpu_iso_to_json(t->cpu_iso));
	json_object_object_add(o, "never", json_never(t->never));
	json_object_object_add(o, "help", json_str_or_null(t->help));
	json_object_object_add(o, "stack", frames_to_json(t->stack, t->nstack));
	json_object_object_add(o, "oncpu_stack", frames_to_json(t->oncpu, t->noncpu));
	json_object_object_add(o, "oncpu_samples", json_object_new_int64(t->oncpu_samples));
	if (t->switched_how >= 0)
		json_object_object_add(o, "switched_how",
				       json_object_new_string(switch_how__name(t->switched_how)));
	if (t->stack_errno)
		json_object_object_add(o, "stack_error",
				       json_object_new_string(strerror(t->stack_errno)));
	return o;
}

/* Every pending task, compact: its stacks and verdict text are its group's. */
static json_object *pending_to_json(const struct transition_info *tr, const struct pending_task *t)
{
	json_object *o = json_object_new_object();
	char state[2] = { t->state ? t->state : '?', 0 };

	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "tid", json_object_new_int(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	json_object_object_add(o, "kthread", json_object_new_boolean(t->kthread));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "patch_state", json_object_new_int(t->patch_state));
	json_object_object_add(o, "tif_pending", json_tristate(t->tif_pending));
	json_object_object_add(o, "cpu", json_cpu(t->cpu));
	json_object_object_add(o, "reason", json_object_new_string(reason__name(t->reason)));
	json_object_object_add(o, "function", json_str_or_null(pending_task__function(tr, t)));
	json_object_object_add(o, "rounds_failed", json_object_new_int64(t->rounds_failed));
	json_object_object_add(o, "blocked_ns", json_object_new_int64((int64_t)t->blocked_ns));
	json_object_object_add(o, "verdict", json_object_new_string(verdict__name(t->verdict)));
	json_object_object_add(o, "checks_running", json_object_new_int64(t->checks_running));
	json_object_object_add(o, "checks_sleeping", json_object_new_int64(t->checks_sleeping));
	json_object_object_add(o, "checks_unreliable", json_object_new_int64(t->checks_unreliable));
	json_object_object_add(o, "signal_rounds_seen", json_object_new_int64(t->signal_rounds_seen));
	checks_seen_to_json(o, t->checks_asleep, t->checks_preempted, t->checks_uninterruptible,
			    t->check_cpu, t->cpu_moves, t->cpus_allowed);
	json_object_object_add(o, "never", json_never(t->never));
	json_object_object_add(o, "group", json_object_new_int64(t->group));
	return o;
}

/* A recording's compact entry: who and where; the rest is its group's. */
static json_object *pending_to_json_compact(const struct pending_task *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(t->pid));
	json_object_object_add(o, "tid", json_object_new_int(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	json_object_object_add(o, "rounds_failed", json_object_new_int64(t->rounds_failed));
	json_object_object_add(o, "group", json_object_new_int64(t->group));
	return o;
}

static json_object *group_tids(const struct transition_info *tr, size_t g)
{
	json_object *tids = json_object_new_array();

	for (size_t i = 0; i < tr->ntasks; i++)
		if (tr->tasks[i].group == g)
			json_object_array_add(tids, json_object_new_int(tr->tasks[i].tid));
	return tids;
}

static json_object *group_to_json(const struct transition_info *tr, size_t g, int compact)
{
	const struct blocker_group *grp = &tr->groups[g];
	json_object *o = json_object_new_object();
	char state[2] = { grp->state ? grp->state : '?', 0 };

	json_object_object_add(o, "count", json_object_new_int64((int64_t)grp->count));
	json_object_object_add(o, "comm", json_object_new_string(grp->comm));
	json_object_object_add(o, "kthread", json_object_new_boolean(grp->kthread));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "reason", json_object_new_string(reason__name(grp->reason)));
	json_object_object_add(o, "function", json_str_or_null(grp->function));
	json_object_object_add(o, "verdict", json_object_new_string(verdict__name(grp->verdict)));
	json_object_object_add(o, "verdict_text", json_str_or_null(grp->rep.verdict_text));
	json_object_object_add(o, "never", json_never(grp->never));
	json_object_object_add(o, "help", json_str_or_null(grp->rep.help));
	json_object_object_add(o, "blocked_max_ns", json_object_new_int64((int64_t)grp->blocked_max_ns));
	json_object_object_add(o, "blocked_min_ns", json_object_new_int64((int64_t)grp->blocked_min_ns));
	json_object_object_add(o, "rounds_failed_max", json_object_new_int64(grp->rounds_failed_max));
	if (!compact)
		json_object_object_add(o, "tids", group_tids(tr, g));
	json_object_object_add(o, "task", task_to_json(&grp->rep));
	return o;
}

static json_object *reasons_to_json(const struct reason_totals *r)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < REASON_COUNT; i++)
		json_object_object_add(o, reason__name((enum block_reason)i),
				       json_object_new_int64((int64_t)r->by_reason[i]));
	return o;
}

static json_object *checks_to_json(const struct transition_info *tr)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "watched_round",
			       tr->checked_round ? json_object_new_int64(tr->checked_round) : NULL);
	json_object_object_add(o, "every", json_object_new_int64(tr->check_every ? tr->check_every : 1));
	json_object_object_add(o, "cost", tr->check_cost >= 0 ? json_object_new_double(tr->check_cost)
							     : NULL);
	json_object_object_add(o, "round_ns", tr->round_ns ? json_object_new_int64((int64_t)tr->round_ns)
							   : NULL);
	return o;
}

static json_object *switched_to_json(const uint64_t *sw)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < SWITCH_HOW_MAX; i++)
		json_object_object_add(o, switch_how__name(i), json_object_new_int64((int64_t)sw[i]));
	return o;
}

static json_object *transition_to_json(const struct transition_info *tr, int compact)
{
	json_object *o = json_object_new_object(), *pend = json_object_new_array();
	json_object *groups = json_object_new_array();

	json_object_object_add(o, "patch", json_object_new_string(tr->patch));
	json_object_object_add(o, "target", json_object_new_string(klp_state__name(tr->target)));
	json_object_object_add(o, "tasks_total", json_object_new_int64((int64_t)tr->tasks_total));
	json_object_object_add(o, "tasks_pending", json_object_new_int64((int64_t)tr->tasks_pending));
	json_object *holdouts = json_object_new_array();

	for (size_t i = 0; i < tr->nholdouts; i++)
		json_object_array_add(holdouts, task_to_json(&tr->holdouts[i]));
	for (size_t i = 0; i < tr->ntasks; i++)
		json_object_array_add(pend, compact ? pending_to_json_compact(&tr->tasks[i])
						    : pending_to_json(tr, &tr->tasks[i]));
	for (size_t g = 0; g < tr->ngroups; g++)
		json_object_array_add(groups, group_to_json(tr, g, compact));
	json_object_object_add(o, "reasons", reasons_to_json(&tr->reasons));
	json_object_object_add(o, "groups", groups);
	json_object_object_add(o, "pending", pend);
	json_object_object_add(o, "verdict_text", json_str_or_null(tr->verdict_text));
	json_object_object_add(o, "rcu_tasks_holdouts", holdouts);
	json_object_object_add(o, "observed", json_object_new_boolean(tr->observed));
	if (!tr->observed)
		return o;
	json_object_object_add(o, "completing", json_object_new_boolean(tr->completing));
	json_object_object_add(o, "elapsed_ns", tr->start_ns ? json_object_new_int64((int64_t)tr->elapsed_ns) : NULL);
	json_object_object_add(o, "rounds", json_object_new_int64(tr->rounds));
	json_object_object_add(o, "signal_rounds", json_object_new_int64(tr->signal_rounds));
	json_object_object_add(o, "checks", checks_to_json(tr));
	json_object_object_add(o, "forced", json_object_new_boolean(tr->forced));
	json_object_object_add(o, "reversed", json_object_new_boolean(tr->reversed));
	json_object_object_add(o, "switched", switched_to_json(tr->switched));
	json_object_object_add(o, "rate_per_s", json_object_new_double(tr->rate_per_s));
	json_object_object_add(o, "eta_s", tr->eta_s >= 0 ? json_object_new_double(tr->eta_s) : NULL);
	json_object_object_add(o, "cost", transition_cost__to_json(&tr->cost));
	return o;
}

static json_object *history_to_json(const struct snapshot *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->nhistory; i++) {
		const struct transition_summary *h = &s->history[i];
		json_object *o = json_object_new_object(), *u = json_object_new_array();

		json_object_object_add(o, "patch", json_object_new_string(h->patch));
		json_object_object_add(o, "target", json_object_new_string(klp_state__name(h->target)));
		json_object_object_add(o, "outcome", json_object_new_string(h->outcome));
		json_object_object_add(o, "duration_ns", h->start_ns ?
				       json_object_new_int64((int64_t)(h->end_ns - h->start_ns)) : NULL);
		json_object_object_add(o, "sysfs_only", json_object_new_boolean(h->sysfs_only));
		json_object_object_add(o, "seen_for_ns", h->sysfs_only ?
				       json_object_new_int64((int64_t)(h->end_ns - h->seen_ns)) : NULL);
		json_object_object_add(o, "rounds", json_object_new_int64(h->rounds));
		json_object_object_add(o, "signal_rounds", json_object_new_int64(h->signal_rounds));
		for (size_t j = 0; j < h->nunsafe; j++)
			json_object_array_add(u, task_to_json(&h->unsafe[j]));
		json_object_object_add(o, "unsafe_at_force", u);
		u = json_object_new_array();
		for (size_t j = 0; j < h->nstragglers; j++)
			json_object_array_add(u, task_to_json(&h->stragglers[j]));
		json_object_object_add(o, "stragglers", u);
		json_object_object_add(o, "cost", transition_cost__to_json(&h->cost));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *probes_to_json(const struct probe_status *p)
{
	json_object *o = json_object_new_object(), *m = json_object_new_array();

	json_object_object_add(o, "bpf", json_object_new_boolean(p->bpf));
	json_object_object_add(o, "why_not", json_str_or_null(p->why_not));
	for (size_t i = 0; i < p->nmissing; i++)
		json_object_array_add(m, json_object_new_string(p->missing[i]));
	json_object_object_add(o, "missing", m);
	return o;
}

static json_object *id_to_json(uint64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)id);
	return json_object_new_string(buf);
}

static json_object *shadow_ids_to_json(const struct shadow_snapshot *ss)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ss->nids; i++) {
		const struct shadow_id_info *d = &ss->ids[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", id_to_json(d->id));
		json_object_object_add(o, "live", json_object_new_int64(d->live));
		json_object_object_add(o, "bytes", json_object_new_int64(d->bytes));
		json_object_object_add(o, "allocs", json_object_new_int64((int64_t)d->allocs));
		json_object_object_add(o, "frees", json_object_new_int64((int64_t)d->frees));
		json_object_object_add(o, "allocs_per_s", json_object_new_double(d->allocs_per_s));
		json_object_object_add(o, "frees_per_s", json_object_new_double(d->frees_per_s));
		json_object_object_add(o, "growth_per_s", json_object_new_double(d->growth_per_s));
		json_object_object_add(o, "growth_samples", json_object_new_int(d->growth_samples));
		json_object_object_add(o, "oldest_age_ns", d->oldest_age_ns ?
				       json_object_new_int64((int64_t)d->oldest_age_ns) : NULL);
		json_object_object_add(o, "orphans", json_object_new_int64((int64_t)d->orphans));
		json_object_object_add(o, "stale", json_object_new_int64((int64_t)d->stale));
		json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)d->duplicates));
		json_object_object_add(o, "failed", json_object_new_int64((int64_t)d->failed));
		json_object_object_add(o, "preexisting", json_object_new_int64((int64_t)d->preexisting));
		json_object_object_add(o, "ownership",
				       json_object_new_string(shadow_ownership__name(d->ownership)));
		json_object_object_add(o, "ownership_text", json_str_or_null(d->ownership_text));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *shadow_groups_to_json(const struct shadow_snapshot *ss)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ss->ngroups; i++) {
		const struct shadow_group *g = &ss->groups[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", id_to_json(g->id));
		json_object_object_add(o, "module", json_object_new_string(g->module));
		json_object_object_add(o, "live", json_object_new_int64(g->live));
		json_object_object_add(o, "bytes", json_object_new_int64(g->bytes));
		json_object_object_add(o, "growth_per_s", json_object_new_double(g->growth_per_s));
		json_object_object_add(o, "oldest_age_ns", g->oldest_age_ns ?
				       json_object_new_int64((int64_t)g->oldest_age_ns) : NULL);
		json_object_object_add(o, "patch_gone", json_object_new_boolean(g->patch_gone));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *shadow_leaks_to_json(const struct shadow_snapshot *ss)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ss->nleaks; i++) {
		const struct shadow_leak *l = &ss->leaks[i];
		json_object *o = json_object_new_object();
		char owner[32];

		json_object_object_add(o, "kind", json_object_new_string(shadow_leak_kind__name(l->kind)));
		json_object_object_add(o, "id", id_to_json(l->id));
		json_object_object_add(o, "count", json_object_new_int64((int64_t)l->count));
		json_object_object_add(o, "module", json_object_new_string(l->module));
		json_object_object_add(o, "obj", json_object_new_string(shadow_leak__owner(l, owner,
											sizeof(owner))));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)l->size));
		json_object_object_add(o, "cache", json_str_or_null(l->cache));
		json_object_object_add(o, "free_via", json_str_or_null(l->free_via));
		json_object_object_add(o, "kfree_rcu", json_object_new_boolean(l->kfree_rcu));
		json_object_object_add(o, "rcu_delay_ns", l->kfree_rcu ?
				       json_object_new_int64((int64_t)l->rcu_delay_ns) : NULL);
		json_object_object_add(o, "first_ns", json_object_new_int64((int64_t)l->first_ns));
		json_object_object_add(o, "last_ns", json_object_new_int64((int64_t)l->last_ns));
		json_object_object_add(o, "alloc_stack", frames_to_json(l->alloc_stack, l->nalloc_stack));
		json_object_object_add(o, "free_stack", frames_to_json(l->free_stack, l->nfree_stack));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *shadow_users_to_json(const struct shadow_snapshot *ss)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ss->nusers; i++) {
		const struct shadow_user *u = &ss->users[i];
		json_object *o = json_object_new_object(), *sz = json_object_new_array();
		json_object *ct = json_object_new_array();

		json_object_object_add(o, "id", id_to_json(u->id));
		json_object_object_add(o, "module", json_object_new_string(u->module));
		json_object_object_add(o, "patch", json_str_or_null(shadow_patch_state__name(u->patch)));
		json_object_object_add(o, "replaced_by", json_str_or_null(u->successor));
		json_object_object_add(o, "allocs", json_object_new_int64((int64_t)u->allocs));
		json_object_object_add(o, "gets", json_object_new_int64((int64_t)u->gets));
		json_object_object_add(o, "frees", json_object_new_int64((int64_t)u->frees));
		json_object_object_add(o, "live", json_object_new_int64(u->live));
		for (size_t j = 0; j < u->nsizes; j++)
			json_object_array_add(sz, json_object_new_int64((int64_t)u->sizes[j]));
		for (size_t j = 0; j < u->nctors; j++)
			json_object_array_add(ct, json_object_new_string(u->ctors[j]));
		json_object_object_add(o, "sizes", sz);
		json_object_object_add(o, "ctors", ct);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *shadow_missed_to_json(const struct shadow_snapshot *ss)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ss->nmissed_by; i++) {
		const struct shadow_missed *m = &ss->missed_by[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "program", json_object_new_string(m->program));
		json_object_object_add(o, "recursion", json_object_new_int64((int64_t)m->recursion));
		json_object_object_add(o, "kprobe", json_object_new_int64((int64_t)m->kprobe));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *free_hooks_to_json(const struct shadow_free_hooks *h)
{
	json_object *o;

	if (!h)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "kfree", json_object_new_boolean(h->kfree));
	json_object_object_add(o, "kmem_cache_free", json_object_new_boolean(h->kmem_cache_free));
	json_object_object_add(o, "owners", json_object_new_int64((int64_t)h->owners));
	json_object_object_add(o, "owners_kfree", json_object_new_int64((int64_t)h->owners_kfree));
	json_object_object_add(o, "owners_cache", json_object_new_int64((int64_t)h->owners_cache));
	json_object_object_add(o, "arms", json_object_new_int64((int64_t)h->arms));
	json_object_object_add(o, "arm_latency_max_ns",
			       json_object_new_int64((int64_t)h->arm_latency_max_ns));
	json_object_object_add(o, "unwatched", json_object_new_int64((int64_t)h->unwatched));
	json_object_object_add(o, "lookups", json_object_new_int64((int64_t)h->lookups));
	json_object_object_add(o, "error", json_str_or_null(h->error));
	return o;
}

json_object *shadow_snapshot__to_json(const struct shadow_snapshot *ss)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "leak_detection", json_object_new_boolean(ss->leak_detection));
	json_object_object_add(o, "free_hooks", free_hooks_to_json(ss->free_hooks));
	json_object_object_add(o, "live", json_object_new_int64((int64_t)ss->live));
	json_object_object_add(o, "bytes", json_object_new_int64(ss->bytes));
	json_object_object_add(o, "orphans", json_object_new_int64((int64_t)ss->orphans));
	json_object_object_add(o, "stale", json_object_new_int64((int64_t)ss->stale));
	json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)ss->duplicates));
	json_object_object_add(o, "events_dropped", json_object_new_int64((int64_t)ss->events_dropped));
	json_object_object_add(o, "live_dropped", json_object_new_int64((int64_t)ss->live_dropped));
	json_object_object_add(o, "missed", json_object_new_int64((int64_t)ss->missed));
	json_object_object_add(o, "missed_counted", json_object_new_boolean(ss->missed_counted));
	json_object_object_add(o, "missed_by", shadow_missed_to_json(ss));
	json_object_object_add(o, "rcu_queued", json_object_new_int64((int64_t)ss->rcu_queued));
	json_object_object_add(o, "bulk_truncated", json_object_new_int64((int64_t)ss->bulk_truncated));
	json_object_object_add(o, "scanned", json_object_new_boolean(ss->scanned));
	json_object_object_add(o, "preexisting", json_object_new_int64((int64_t)ss->preexisting));
	json_object_object_add(o, "scan_truncated", json_object_new_int64((int64_t)ss->scan_truncated));
	json_object_object_add(o, "scan_error", json_str_or_null(ss->scan_error));
	json_object_object_add(o, "window_ns", json_object_new_int64((int64_t)ss->window_ns));
	json_object_object_add(o, "ids", shadow_ids_to_json(ss));
	json_object_object_add(o, "groups", shadow_groups_to_json(ss));
	json_object_object_add(o, "leaks", shadow_leaks_to_json(ss));
	json_object_object_add(o, "users", shadow_users_to_json(ss));
	return o;
}

/* The CPUs with one kind of isolation, null when the kernel does not say. */
static json_object *cpus_with(const struct cpu_isolation *iso, int known, uint8_t flag)
{
	json_object *a;

	if (!known)
		return NULL;
	a = json_object_new_array();
	for (size_t c = 0; c < iso->ncpus; c++)
		if (iso->cpus[c] & flag)
			json_object_array_add(a, json_object_new_int((int)c));
	return a;
}

static json_object *cpu_isolation_to_json(const struct cpu_isolation *iso)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "isolcpus", cpus_with(iso, iso->domain_known, CPU_ISO_DOMAIN));
	json_object_object_add(o, "nohz_full", cpus_with(iso, iso->nohz_full_known, CPU_ISO_NOHZ_FULL));
	json_object_object_add(o, "cpuset", cpus_with(iso, iso->cpuset_known, CPU_ISO_CPUSET));
	json_object_object_add(o, "idle_poll", json_tristate(iso->idle_poll));
	return o;
}

json_object *snapshot__to_json(const struct snapshot *s)
{
	return snapshot__to_json_ex(s, 0);
}

json_object *snapshot__to_json_ex(const struct snapshot *s, int flags)
{
	json_object *root = json_object_new_object(), *k = json_object_new_object();
	json_object *patches = json_object_new_array(), *warn = json_object_new_array();

	json_object_object_add(root, "klptop_version", json_object_new_string(klptop_version));
	json_object_object_add(root, "source", json_object_new_string(s->source));
	json_object_object_add(root, "time_ns", json_object_new_int64((int64_t)s->taken_ns));
	json_object_object_add(k, "release", json_object_new_string(s->kernel.release));
	json_object_object_add(k, "livepatch", json_object_new_boolean(s->kernel.livepatch));
	json_object_object_add(k, "tainted", json_object_new_int64((int64_t)s->kernel.tainted));
	json_object_object_add(k, "taint_livepatch", json_object_new_boolean(s->kernel.taint_livepatch));
	json_object_object_add(k, "cond_resched_switch",
			       json_object_new_boolean(s->switch_point == SWITCH_POINT_COND_RESCHED));
	json_object_object_add(k, "switch_point", json_object_new_string(switch_point__name(s->switch_point)));
	json_object_object_add(k, "tif_patch_pending_bit", s->tif_patch_pending_bit < 0 ? NULL
				: json_object_new_int(s->tif_patch_pending_bit));
	json_object_object_add(k, "cpu_isolation", cpu_isolation_to_json(&s->cpu_iso));
	json_object_object_add(root, "kernel", k);
	for (size_t i = 0; i < s->npatches; i++)
		json_object_array_add(patches, patch_to_json(&s->patches[i]));
	json_object_object_add(root, "patches", patches);
	json_object_object_add(root, "transition",
			       s->transition ? transition_to_json(s->transition,
								  flags & SNAPSHOT_JSON_COMPACT) : NULL);
	json_object_object_add(root, "history", history_to_json(s));
	json_object_object_add(root, "probes", probes_to_json(&s->probes));
	json_object_object_add(root, "shadows",
			       s->shadows ? shadow_snapshot__to_json(s->shadows) : NULL);
	for (size_t i = 0; i < s->nwarnings; i++)
		json_object_array_add(warn, json_object_new_string(s->warnings[i]));
	json_object_object_add(root, "warnings", warn);
	return root;
}

int json__print(json_object *o, FILE *f, int pretty)
{
	int flags = pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;

	flags |= JSON_C_TO_STRING_NOSLASHESCAPE;
	if (fputs(json_object_to_json_string_ext(o, flags), f) < 0 || fputc('\n', f) < 0 ||
	    fflush(f))
		return -errno;
	return 0;
}

static const char *yesno(int v)
{
	return v < 0 ? "-" : v ? "yes" : "no";
}

/* Exact: every pending task counted once, by the kernel's last check of it. */
static void print_reasons(FILE *f, const struct transition_info *tr)
{
	fprintf(f, "  pending by reason:");
	for (int r = REASON_RUNNING; r < REASON_COUNT; r++)
		fprintf(f, " %s %zu", reason__name((enum block_reason)r), tr->reasons.by_reason[r]);
	fprintf(f, " %s %zu; %zu group%s\n", reason__name(REASON_UNKNOWN),
		tr->reasons.by_reason[REASON_UNKNOWN], tr->ngroups, tr->ngroups == 1 ? "" : "s");
}

/* Which rounds' checks the reasons come from, and why not all of them. */
static void print_watching(FILE *f, const struct transition_info *tr)
{
	if (!tr->checked_round) {
		fprintf(f, "  checks: none watched yet\n");
		return;
	}
	if (tr->check_every <= 1) {
		fprintf(f, "  checks: watched in every round (last: round %u)\n", tr->checked_round);
		return;
	}
	fprintf(f, "  checks: one round in %u watched (last: round %u); watching one adds ",
		tr->check_every, tr->checked_round);
	if (tr->check_cost >= 0)
		fprintf(f, "%.0f%% to the kernel's walk of %.0f ms\n", tr->check_cost * 100,
			(double)tr->round_ns / 1e6);
	else
		fprintf(f, "an unknown share to the kernel's walk\n");
}

static void print_history(const struct snapshot *s, FILE *f, int with_stacks)
{
	for (size_t i = 0; i < s->nhistory; i++) {
		const struct transition_summary *h = &s->history[i];

		fprintf(f, "ended: %s -> %s %s", h->patch, klp_state__name(h->target), h->outcome);
		if (h->start_ns)
			fprintf(f, " in %.1f s", (double)(h->end_ns - h->start_ns) / 1e9);
		if (h->sysfs_only)
			fprintf(f, " (seen in transition by sysfs for %.1f s before it ended; rounds "
				"unknown)\n", (double)(h->end_ns - h->seen_ns) / 1e9);
		else
			fprintf(f, " (%u rounds, %u signal rounds)\n", h->rounds, h->signal_rounds);
		if (h->nunsafe)
			fprintf(f, "  unsafe when forced:\n");
		for (size_t j = 0; j < h->nunsafe; j++)
			task_snap__print(f, &h->unsafe[j], with_stacks);
		for (size_t j = 0; j < h->nstragglers; j++) {
			const struct task_snap *t = &h->stragglers[j];

			fprintf(f, "  straggler %s (tid %d): blocked %.1f s, %u rounds, last %s%s%s, "
				"switched by %s\n", t->comm, t->tid, (double)t->blocked_ns / 1e9,
				t->rounds_failed, reason__name(t->reason), t->function ? " " : "",
				t->function ? t->function : "", switch_how__name(t->switched_how));
		}
	}
}

/* The CPUs with flag as a kernel cpulist, "1-3,5". */
static void print_cpus_with(FILE *f, const struct cpu_isolation *iso, uint8_t flag)
{
	const char *sep = "";

	for (size_t c = 0; c < iso->ncpus; c++) {
		size_t end = c;

		if (!(iso->cpus[c] & flag))
			continue;
		while (end + 1 < iso->ncpus && (iso->cpus[end + 1] & flag))
			end++;
		if (end == c)
			fprintf(f, "%s%zu", sep, c);
		else
			fprintf(f, "%s%zu-%zu", sep, c, end);
		sep = ",";
		c = end;
	}
}

/* Said only on a host that isolates CPUs: where tasks may run unpreempted. */
static void print_cpu_isolation(FILE *f, const struct cpu_isolation *iso)
{
	uint8_t any = 0;

	for (size_t c = 0; c < iso->ncpus; c++)
		any |= iso->cpus[c];
	if (!any && iso->idle_poll != 1)
		return;
	fprintf(f, "cpu isolation:");
	for (int i = 0; cpu_iso__name(i); i++) {
		if (!(any & (1u << i)))
			continue;
		fprintf(f, " %s ", cpu_iso__name(i));
		print_cpus_with(f, iso, (uint8_t)(1u << i));
	}
	fprintf(f, "%s\n", iso->idle_poll == 1 ? " idle=poll" : "");
}

void snapshot__print_text(const struct snapshot *s, FILE *f, int with_stacks)
{
	const struct transition_info *tr = s->transition;

	fprintf(f, "kernel %s  livepatch %s  taint K %s  source %s\n", s->kernel.release,
		yesno(s->kernel.livepatch), yesno(s->kernel.taint_livepatch), s->source);
	print_cpu_isolation(f, &s->cpu_iso);
	if (!s->npatches)
		fprintf(f, "no live patches loaded\n");
	else
		fprintf(f, "%-24s %-7s %-10s %-7s %s\n", "PATCH", "ENABLED", "TRANSITION", "REPLACE",
			"FORCED");
	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];

		fprintf(f, "%-24s %-7s %-10s %-7s %s\n", pi->name, yesno(pi->enabled),
			yesno(pi->transition), yesno(pi->replace), yesno(pi->forced));
		for (size_t j = 0; j < pi->nobjs; j++) {
			const struct object_info *o = &pi->objs[j];

			fprintf(f, "  %s (patched %s):", o->name, yesno(o->patched));
			for (size_t k = 0; k < o->nfuncs; k++)
				fprintf(f, " %s,%ld%s", o->funcs[k].name, o->funcs[k].sympos,
					live_mark(&o->funcs[k]));
			fputc('\n', f);
		}
	}
	for (size_t i = 0; i < s->nwarnings; i++)
		fprintf(f, "warning: %s\n", s->warnings[i]);
	if (!s->probes.bpf && s->probes.why_not)
		fprintf(f, "bpf: off (%s)\n", s->probes.why_not);
	for (size_t i = 0; i < s->probes.nmissing; i++) {
		const char *lost = attach__lost(s->probes.missing[i]);

		fprintf(f, "bpf: missing %s%s%s\n", s->probes.missing[i], lost ? ": " : "",
			lost ? lost : "");
	}
	print_history(s, f, with_stacks);
	if (!tr) {
		fprintf(f, "no transition in progress\n");
		return;
	}
	fprintf(f, "transition: %s -> %s, %zu of %zu tasks pending\n", tr->patch,
		klp_state__name(tr->target), tr->tasks_pending, tr->tasks_total);
	if (tr->observed)
		fprintf(f, "  rounds %u, signal rounds %u%s%s%s\n", tr->rounds, tr->signal_rounds,
			tr->forced ? ", forced" : "", tr->reversed ? ", reversed" : "",
			tr->completing ? ", completing" : "");
	if (tr->observed)
		print_watching(f, tr);
	if (tr->verdict_text)
		fprintf(f, "  verdict: %s\n", tr->verdict_text);
	for (size_t i = 0; i < tr->nholdouts; i++) {
		fprintf(f, "  RCU-tasks holdout:\n");
		task_snap__print(f, &tr->holdouts[i], with_stacks);
	}
	if (!tr->ntasks)
		return;
	print_reasons(f, tr);
	blocker_group__print_heading(f);
	for (size_t g = 0; g < tr->ngroups; g++)
		blocker_group__print(f, tr, g, with_stacks);
}
