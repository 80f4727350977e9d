// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot chunk's JSON back into the model: the inverse of
 * src/render/output.c. Every key output.c writes is read back into the
 * same model field, so a view cannot tell a snapshot read from a recording
 * from a live one (tests/unit/test_replay.c checks the round trip
 * model -> JSON -> model -> frame). Absent, null and mistyped values read
 * as unknown, as docs/json.md promises readers.
 */
#include "recording/snapshot_json.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


/* ---- JSON readers: absent, null and mistyped values read as unknown ---- */

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_null) ? NULL : v;
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		       ? json_object_get_int64(v) : 0;
}

static uint64_t juint(json_object *o, const char *key)
{
	int64_t v = jint(o, key);

	return v > 0 ? (uint64_t)v : 0;
}

static double jdouble(json_object *o, const char *key, double unknown)
{
	json_object *v = jget(o, key);

	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		       ? json_object_get_double(v) : unknown;
}

/* 1, 0, or -1 for null/absent (the model's "unknown"). */
static int jtri(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : -1;
}

static int jbool(json_object *o, const char *key)
{
	return jtri(o, key) > 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static char *jstrdup(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s ? xstrdup(s) : NULL;
}

/* Names the views print with %s must never be NULL. */
static char *jname(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return xstrdup(s ? s : "?");
}

/* "0xffffffffc0a01000" (addresses and shadow ids are hex strings); 0 when
 * absent or not hex. */
static uint64_t hex_of(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 16);
	return errno || end == s || *end ? 0 : v;
}

static uint64_t jhex(json_object *o, const char *key)
{
	return hex_of(jstr(o, key));
}

static size_t jlen(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* ---- the model ----------------------------------------------------------- */

static int name_index(const char *s, const char *(*name)(int), int n)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, name(i)))
			return i;
	return -1;
}

static const char *reason_name(int i) { return reason__name((enum block_reason)i); }
static const char *verdict_name(int i) { return verdict__name((enum verdict)i); }
static const char *how_name(int i) { return switch_how__name((enum switch_how)i); }
static const char *point_name(int i) { return switch_point__name((enum switch_point)i); }
static const char *leak_name(int i) { return shadow_leak_kind__name((enum shadow_leak_kind)i); }
static const char *never_name(int i) { return never_cause__name((enum never_cause)i); }

/* A CPU number, -1 when null or absent. */
static int jcpu(json_object *o, const char *key)
{
	return jget(o, key) ? (int)jint(o, key) : -1;
}

static enum never_cause never_from_json(json_object *o)
{
	int i = name_index(jstr(o, "never"), never_name, NEVER_CAUSE_COUNT);

	return i < 0 ? NEVER_NONE : (enum never_cause)i;
}

/* ["isolcpus", "nohz_full"] back to enum cpu_iso_flag bits. */
static uint8_t cpu_iso_from_json(json_object *a)
{
	uint8_t bits = 0;

	for (size_t i = 0; i < jlen(a); i++) {
		json_object *n = json_object_array_get_idx(a, i);
		int b = name_index(json_object_get_string(n), cpu_iso__name, 8);

		if (json_object_is_type(n, json_type_string) && b >= 0)
			bits |= (uint8_t)(1u << b);
	}
	return bits;
}

static int target_of(json_object *o)
{
	const char *t = jstr(o, "target");

	if (t && !strcmp(t, "patched"))
		return KLP_PATCHED;
	if (t && !strcmp(t, "unpatched"))
		return KLP_UNPATCHED;
	return KLP_UNDEFINED;
}

/* The JSON carries strerror() text; the model wants the errno back. */
static int errno_of(const char *text)
{
	for (int e = 1; text && e < 256; e++)
		if (!strcmp(strerror(e), text))
			return e;
	return text ? EIO : 0;
}

static struct stack_frame *frames_from_json(json_object *a, size_t *n)
{
	struct stack_frame *f;

	*n = jlen(a);
	f = xcalloc(*n ? *n : 1, sizeof(*f));
	for (size_t i = 0; i < *n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		f[i].addr = jhex(o, "addr");
		f[i].symbol = jstrdup(o, "symbol");
		f[i].module = jstrdup(o, "module");
		f[i].offset = juint(o, "offset");
		f[i].marked = jbool(o, "marked");
	}
	return f;
}

static void task_from_json(struct task_snap *t, json_object *o)
{
	const char *s;
	int i;

	task_snap__init(t);
	t->pid = (int)jint(o, "pid");
	t->tid = (int)jint(o, "tid");
	copy_str(t->comm, sizeof(t->comm), jstr(o, "comm") ? jstr(o, "comm") : "?");
	t->kthread = jbool(o, "kthread");
	s = jstr(o, "state");
	t->state = s && *s ? *s : '?';
	t->patch_state = jget(o, "patch_state") ? (int)jint(o, "patch_state") : KLP_UNDEFINED;
	t->tif_pending = jtri(o, "tif_pending");
	i = name_index(jstr(o, "reason"), reason_name, REASON_UNRELIABLE + 1);
	t->reason = i < 0 ? REASON_UNKNOWN : (enum block_reason)i;
	t->function = jstrdup(o, "function");
	t->rounds_failed = (unsigned int)juint(o, "rounds_failed");
	t->blocked_ns = juint(o, "blocked_ns");
	i = name_index(jstr(o, "verdict"), verdict_name, VERDICT_STUCK + 1);
	t->verdict = i < 0 ? VERDICT_NONE : (enum verdict)i;
	t->verdict_text = jstrdup(o, "verdict_text");
	t->checks_running = (unsigned int)juint(o, "checks_running");
	t->checks_sleeping = (unsigned int)juint(o, "checks_sleeping");
	t->checks_unreliable = (unsigned int)juint(o, "checks_unreliable");
	t->signal_rounds_seen = (unsigned int)juint(o, "signal_rounds_seen");
	t->checks_asleep = (unsigned int)juint(o, "checks_asleep");
	t->checks_preempted = (unsigned int)juint(o, "checks_preempted");
	t->checks_uninterruptible = (unsigned int)juint(o, "checks_uninterruptible");
	t->cpu = jcpu(o, "cpu");
	t->check_cpu = jcpu(o, "check_cpu");
	t->cpu_moves = (unsigned int)juint(o, "cpu_moves");
	t->cpus_allowed = (int)jint(o, "cpus_allowed");
	t->cpu_iso = cpu_iso_from_json(jget(o, "cpu_isolation"));
	t->never = never_from_json(o);
	t->help = jstrdup(o, "help");
	t->stack = frames_from_json(jget(o, "stack"), &t->nstack);
	t->oncpu = frames_from_json(jget(o, "oncpu_stack"), &t->noncpu);
	t->oncpu_samples = (unsigned int)juint(o, "oncpu_samples");
	t->switched_how = name_index(jstr(o, "switched_how"), how_name, SWITCH_HOW_MAX);
	t->stack_errno = errno_of(jstr(o, "stack_error"));
}

static struct task_snap *tasks_from_json(json_object *a, size_t *n)
{
	struct task_snap *t;

	*n = jlen(a);
	t = xcalloc(*n ? *n : 1, sizeof(*t));
	for (size_t i = 0; i < *n; i++)
		task_from_json(&t[i], json_object_array_get_idx(a, i));
	return t;
}

static void pending_from_json(struct transition_info *tr, json_object *a)
{
	tr->ntasks = jlen(a);
	tr->tasks = xcalloc(tr->ntasks ? tr->ntasks : 1, sizeof(*tr->tasks));
	for (size_t i = 0; i < tr->ntasks; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct pending_task *p = &tr->tasks[i];
		struct task_snap t;

		task_from_json(&t, o);
		p->pid = t.pid;
		p->tid = t.tid;
		copy_str(p->comm, sizeof(p->comm), t.comm);
		p->state = t.state;
		p->kthread = (int8_t)t.kthread;
		p->tif_pending = (int8_t)t.tif_pending;
		p->patch_state = (int8_t)t.patch_state;
		p->reason = t.reason;
		p->verdict = t.verdict;
		p->rounds_failed = t.rounds_failed;
		p->blocked_ns = t.blocked_ns;
		p->checks_running = t.checks_running;
		p->checks_sleeping = t.checks_sleeping;
		p->checks_unreliable = t.checks_unreliable;
		p->signal_rounds_seen = t.signal_rounds_seen;
		p->checks_asleep = t.checks_asleep;
		p->checks_preempted = t.checks_preempted;
		p->checks_uninterruptible = t.checks_uninterruptible;
		p->cpu = t.cpu;
		p->check_cpu = t.check_cpu;
		p->cpu_moves = t.cpu_moves;
		p->cpus_allowed = t.cpus_allowed;
		p->never = t.never;
		p->func_ref = transition_info__func_ref(tr, t.function);
		p->group = (uint32_t)juint(o, "group");
		task_snap__free(&t);
	}
}

/* A recording from before groups: group the tasks as klptop does now, and
 * let each group's representative keep the stacks it was recorded with. */
static void regroup_old(struct transition_info *tr, json_object *pending)
{
	transition_info__group(tr);
	for (size_t g = 0; g < tr->ngroups; g++) {
		struct task_snap *rep = &tr->groups[g].rep;

		for (size_t i = 0; i < jlen(pending); i++) {
			json_object *o = json_object_array_get_idx(pending, i);

			if (jint(o, "tid") != rep->tid)
				continue;
			task_snap__free(rep);
			task_from_json(rep, o);
			break;
		}
	}
}

/* A recording's compact entry (docs/trace-format.md) names its task and
 * group: what the members of a group share comes from the group. */
static void take_group_fields(struct transition_info *tr, struct pending_task *p)
{
	const struct blocker_group *g = &tr->groups[p->group];

	p->state = g->state;
	p->kthread = (int8_t)g->kthread;
	p->reason = g->reason;
	p->verdict = g->verdict;
	p->never = g->never;
	p->patch_state = (int8_t)g->rep.patch_state;
	p->func_ref = transition_info__func_ref(tr, g->function);
}

static void groups_from_json(struct transition_info *tr, json_object *a, json_object *pending)
{
	int i;

	if (!jlen(a) && tr->ntasks) {
		regroup_old(tr, pending);
		return;
	}
	tr->ngroups = jlen(a);
	tr->groups = xcalloc(tr->ngroups ? tr->ngroups : 1, sizeof(*tr->groups));
	for (size_t g = 0; g < tr->ngroups; g++) {
		json_object *o = json_object_array_get_idx(a, g);
		struct blocker_group *grp = &tr->groups[g];
		const char *st = jstr(o, "state");

		grp->count = juint(o, "count");
		copy_str(grp->comm, sizeof(grp->comm), jstr(o, "comm") ? jstr(o, "comm") : "?");
		grp->kthread = jbool(o, "kthread");
		grp->state = st && *st ? *st : '?';
		i = name_index(jstr(o, "reason"), reason_name, REASON_COUNT);
		grp->reason = i < 0 ? REASON_UNKNOWN : (enum block_reason)i;
		grp->function = pending_task__function(
			tr, &(struct pending_task){ .func_ref = transition_info__func_ref(
							    tr, jstr(o, "function")) });
		i = name_index(jstr(o, "verdict"), verdict_name, VERDICT_STUCK + 1);
		grp->verdict = i < 0 ? VERDICT_NONE : (enum verdict)i;
		grp->never = never_from_json(o);
		grp->blocked_max_ns = juint(o, "blocked_max_ns");
		grp->blocked_min_ns = juint(o, "blocked_min_ns");
		grp->rounds_failed_max = (unsigned int)juint(o, "rounds_failed_max");
		task_from_json(&grp->rep, jget(o, "task"));
	}
	/* A group index out of range (a damaged file) falls into group 0. */
	for (size_t t = 0; t < tr->ntasks; t++) {
		if (tr->tasks[t].group >= tr->ngroups)
			tr->tasks[t].group = 0;
		if (tr->ngroups && !jget(json_object_array_get_idx(pending, t), "reason"))
			take_group_fields(tr, &tr->tasks[t]);
		if (tr->tasks[t].reason < REASON_COUNT)
			tr->reasons.by_reason[tr->tasks[t].reason]++;
	}
}

static void funcs_from_json(struct object_info *oi, json_object *a)
{
	oi->nfuncs = jlen(a);
	oi->funcs = xcalloc(oi->nfuncs ? oi->nfuncs : 1, sizeof(*oi->funcs));
	for (size_t i = 0; i < oi->nfuncs; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct func_info *f = &oi->funcs[i];

		f->name = jname(o, "name");
		f->sympos = (long)jint(o, "sympos");
		f->old_addr = jhex(o, "old_addr");
		f->new_addr = jhex(o, "new_addr");
		/* output.c writes live only for functions read from the klp lists. */
		f->walked = jget(o, "live") != NULL;
		f->live = jtri(o, "live");
		f->live_stack_order = jtri(o, "live_stack_order");
		f->stack_pos = jget(o, "stack_pos") ? (int)jint(o, "stack_pos") : -1;
		f->routed = jget(o, "calls_per_s") != NULL;
		f->calls_per_s = jdouble(o, "calls_per_s", 0);
		f->new_per_s = jdouble(o, "new_per_s", 0);
	}
}

static void patch_from_json(struct patch_info *pi, json_object *o)
{
	json_object *objs = jget(o, "objects");

	memset(pi, 0, sizeof(*pi));
	pi->name = jname(o, "name");
	pi->enabled = jbool(o, "enabled");
	pi->transition = jbool(o, "transition");
	pi->replace = jtri(o, "replace");
	pi->stack_order = jget(o, "stack_order") ? (int)jint(o, "stack_order") : -1;
	pi->forced = jtri(o, "forced");
	pi->nobjs = jlen(objs);
	pi->objs = xcalloc(pi->nobjs ? pi->nobjs : 1, sizeof(*pi->objs));
	for (size_t i = 0; i < pi->nobjs; i++) {
		json_object *ob = json_object_array_get_idx(objs, i);

		pi->objs[i].name = jname(ob, "name");
		pi->objs[i].patched = jtri(ob, "patched");
		funcs_from_json(&pi->objs[i], jget(ob, "funcs"));
	}
}

static void hist_from_json(struct duration_hist *h, enum hist_kind kind, json_object *o)
{
	json_object *counts = jget(o, "counts");
	unsigned int n;

	hist__bounds(kind, &n);
	for (size_t i = 0; i < jlen(counts) && i <= n; i++) {
		json_object *v = json_object_array_get_idx(counts, i);

		h->counts[i] = json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0
				       ? (uint64_t)json_object_get_int64(v) : 0;
	}
	h->n = juint(o, "count");
	h->sum_ns = juint(o, "sum_ns");
	h->max_ns = juint(o, "max_ns");
}

void transition_cost__from_json(struct transition_cost *c, json_object *o)
{
	json_object *slow = jget(o, "slowest_rounds");

	transition_cost__init(c, jbool(o, "start_seen"));
	if (!o)
		return;
	hist_from_json(&c->round_hist, HIST_ROUND, jget(o, "rounds"));
	c->last_round_ns = juint(o, "last_round_ns");
	for (size_t i = 0; i < jlen(slow) && c->nslowest < COST_SLOWEST; i++) {
		json_object *r = json_object_array_get_idx(slow, i);

		c->slowest[c->nslowest++] = (struct slow_round){
			.round = (unsigned int)juint(r, "round"), .ns = juint(r, "ns"),
			.checked = (unsigned int)juint(r, "checked"), .end_ns = juint(r, "end_ns"),
		};
	}
	c->completion_round = (unsigned int)juint(o, "completion_round");
	c->completion_ns = juint(o, "completion_ns");
	c->first_round = juint(o, "first_round");
	c->first_unwatched = c->start_seen && jtri(o, "first_round_watched") == 0;
	c->later_rounds = juint(o, "later_rounds");
	c->after_signals = juint(o, "after_signals");
	c->blockers_switched = juint(o, "blockers_switched");
	c->blockers_exited = juint(o, "blockers_exited");
	hist_from_json(&c->switch_hist, HIST_SWITCH, jget(o, "switch_times"));
}

static void checks_from_json(struct transition_info *tr, json_object *o)
{
	tr->checked_round = (unsigned int)juint(o, "watched_round");
	tr->check_every = jget(o, "every") ? (unsigned int)juint(o, "every") : 1;
	tr->check_cost = jdouble(o, "cost", -1);
	tr->round_ns = juint(o, "round_ns");
}

static struct transition_info *transition_from_json(json_object *o)
{
	struct transition_info *tr = xcalloc(1, sizeof(*tr));
	json_object *sw = jget(o, "switched");
	int64_t elapsed;

	tr->patch = jname(o, "patch");
	tr->target = target_of(o);
	tr->tasks_total = juint(o, "tasks_total");
	tr->tasks_pending = juint(o, "tasks_pending");
	pending_from_json(tr, jget(o, "pending"));
	groups_from_json(tr, jget(o, "groups"), jget(o, "pending"));
	tr->verdict_text = jstrdup(o, "verdict_text");
	tr->holdouts = tasks_from_json(jget(o, "rcu_tasks_holdouts"), &tr->nholdouts);
	tr->observed = jbool(o, "observed");
	tr->eta_s = -1;
	if (!tr->observed)
		return tr;
	tr->completing = jbool(o, "completing");
	/* The JSON has the elapsed time, not the start: any non-zero start
	 * means "known", which is all the views ask of it. */
	elapsed = jint(o, "elapsed_ns");
	if (jget(o, "elapsed_ns")) {
		tr->elapsed_ns = elapsed > 0 ? (uint64_t)elapsed : 0;
		tr->start_ns = 1;
	}
	tr->rounds = (unsigned int)juint(o, "rounds");
	tr->signal_rounds = (unsigned int)juint(o, "signal_rounds");
	checks_from_json(tr, jget(o, "checks"));
	tr->forced = jbool(o, "forced");
	tr->reversed = jbool(o, "reversed");
	for (int h = 0; h < SWITCH_HOW_MAX; h++)
		tr->switched[h] = juint(sw, switch_how__name(h));
	tr->rate_per_s = jdouble(o, "rate_per_s", 0);
	tr->eta_s = jdouble(o, "eta_s", -1);
	transition_cost__from_json(&tr->cost, jget(o, "cost"));
	return tr;
}

/* history[].outcome is a static string in the model. */
static const char *outcome_of(const char *s)
{
	static const char *const known[] = { "completed", "reversed", "forced", "cancelled", "ended" };

	for (size_t i = 0; s && i < ARRAY_SIZE(known); i++)
		if (!strcmp(s, known[i]))
			return known[i];
	return "?";
}

static void history_from_json(struct snapshot *s, json_object *a)
{
	s->nhistory = jlen(a);
	s->history = s->nhistory ? xcalloc(s->nhistory, sizeof(*s->history)) : NULL;
	for (size_t i = 0; i < s->nhistory; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct transition_summary *h = &s->history[i];

		h->patch = jname(o, "patch");
		h->target = target_of(o);
		h->outcome = outcome_of(jstr(o, "outcome"));
		if (jget(o, "duration_ns")) {
			h->start_ns = 1;
			h->end_ns = 1 + juint(o, "duration_ns");
		}
		h->rounds = (unsigned int)juint(o, "rounds");
		h->signal_rounds = (unsigned int)juint(o, "signal_rounds");
		h->unsafe = tasks_from_json(jget(o, "unsafe_at_force"), &h->nunsafe);
		h->stragglers = tasks_from_json(jget(o, "stragglers"), &h->nstragglers);
		transition_cost__from_json(&h->cost, jget(o, "cost"));
	}
}

static void probes_from_json(struct probe_status *p, json_object *o)
{
	json_object *m = jget(o, "missing");

	p->bpf = jbool(o, "bpf");
	p->why_not = jstrdup(o, "why_not");
	p->nmissing = jlen(m);
	p->missing = p->nmissing ? xcalloc(p->nmissing, sizeof(*p->missing)) : NULL;
	for (size_t i = 0; i < p->nmissing; i++) {
		json_object *v = json_object_array_get_idx(m, i);

		p->missing[i] = xstrdup(json_object_is_type(v, json_type_string) ?
					json_object_get_string(v) : "?");
	}
}

static void shadow_ids_from_json(struct shadow_snapshot *ss, json_object *a)
{
	ss->nids = jlen(a);
	ss->ids = ss->nids ? xcalloc(ss->nids, sizeof(*ss->ids)) : NULL;
	for (size_t i = 0; i < ss->nids; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct shadow_id_info *d = &ss->ids[i];

		d->id = jhex(o, "id");
		d->live = jint(o, "live");
		d->bytes = jint(o, "bytes");
		d->allocs = juint(o, "allocs");
		d->frees = juint(o, "frees");
		d->allocs_per_s = jdouble(o, "allocs_per_s", 0);
		d->frees_per_s = jdouble(o, "frees_per_s", 0);
		d->growth_per_s = jdouble(o, "growth_per_s", 0);
		d->growth_samples = (unsigned int)juint(o, "growth_samples");
		d->oldest_age_ns = juint(o, "oldest_age_ns");
		d->orphans = juint(o, "orphans");
		d->stale = juint(o, "stale");
		d->duplicates = juint(o, "duplicates");
		d->failed = juint(o, "failed");
		d->preexisting = juint(o, "preexisting");
		d->ownership = shadow_ownership__from_name(jstr(o, "ownership"));
		d->ownership_text = jstrdup(o, "ownership_text");
	}
}

static void shadow_groups_from_json(struct shadow_snapshot *ss, json_object *a)
{
	ss->ngroups = jlen(a);
	ss->groups = ss->ngroups ? xcalloc(ss->ngroups, sizeof(*ss->groups)) : NULL;
	for (size_t i = 0; i < ss->ngroups; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct shadow_group *g = &ss->groups[i];

		g->id = jhex(o, "id");
		g->module = jname(o, "module");
		g->live = jint(o, "live");
		g->bytes = jint(o, "bytes");
		g->growth_per_s = jdouble(o, "growth_per_s", 0);
		g->oldest_age_ns = juint(o, "oldest_age_ns");
		g->patch_gone = jbool(o, "patch_gone");
	}
}

/* "0xffff8880..." or, in a redacted recording, the pseudonym "obj#17". */
static void owner_from_json(struct shadow_leak *l, const char *s)
{
	char *end;

	if (s && !strncmp(s, "obj#", 4)) {
		errno = 0;
		l->obj = strtoull(s + 4, &end, 10);
		l->obj_pseudonym = !errno && end != s + 4 && !*end;
		if (!l->obj_pseudonym)
			l->obj = 0;
		return;
	}
	l->obj = hex_of(s);
}

static void shadow_leaks_from_json(struct shadow_snapshot *ss, json_object *a)
{
	ss->nleaks = jlen(a);
	ss->leaks = ss->nleaks ? xcalloc(ss->nleaks, sizeof(*ss->leaks)) : NULL;
	for (size_t i = 0; i < ss->nleaks; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		struct shadow_leak *l = &ss->leaks[i];
		int k = name_index(jstr(o, "kind"), leak_name, SHADOW_LEAK_KIND_MAX);

		l->kind = k < 0 ? SHADOW_LEAK_ORPHAN : (enum shadow_leak_kind)k;
		l->id = jhex(o, "id");
		l->count = juint(o, "count");
		l->module = jname(o, "module");
		owner_from_json(l, jstr(o, "obj"));
		l->size = juint(o, "size");
		l->cache = jstrdup(o, "cache");
		l->first_ns = juint(o, "first_ns");
		l->last_ns = juint(o, "last_ns");
		l->alloc_stack = frames_from_json(jget(o, "alloc_stack"), &l->nalloc_stack);
		l->free_stack = frames_from_json(jget(o, "free_stack"), &l->nfree_stack);
	}
}

static struct shadow_snapshot *shadows_from_json(json_object *o)
{
	struct shadow_snapshot *ss = xcalloc(1, sizeof(*ss));

	/* The object exists only when the shadow probes ran. */
	ss->attached = 1;
	ss->leak_detection = jbool(o, "leak_detection");
	ss->live = juint(o, "live");
	ss->bytes = jint(o, "bytes");
	ss->orphans = juint(o, "orphans");
	ss->stale = juint(o, "stale");
	ss->duplicates = juint(o, "duplicates");
	ss->events_dropped = juint(o, "events_dropped");
	ss->live_dropped = juint(o, "live_dropped");
	ss->scanned = jbool(o, "scanned");
	ss->preexisting = juint(o, "preexisting");
	ss->scan_truncated = juint(o, "scan_truncated");
	ss->scan_error = jstrdup(o, "scan_error");
	ss->window_ns = juint(o, "window_ns");
	shadow_ids_from_json(ss, jget(o, "ids"));
	shadow_groups_from_json(ss, jget(o, "groups"));
	shadow_leaks_from_json(ss, jget(o, "leaks"));
	return ss;
}

/* Recordings made before switch_point only say whether cond_resched() switches. */
static enum switch_point switch_point_from_json(json_object *k)
{
	int i = name_index(jstr(k, "switch_point"), point_name, SWITCH_POINT_FREEZABLE + 1);

	if (i >= 0)
		return (enum switch_point)i;
	return jbool(k, "cond_resched_switch") ? SWITCH_POINT_COND_RESCHED : SWITCH_POINT_NONE;
}

/* One kind of isolation: a list of CPUs, or null when the kernel did not say. */
static int cpus_from_json(struct cpu_isolation *iso, json_object *a, uint8_t flag)
{
	if (!json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < jlen(a); i++) {
		int64_t cpu = json_object_get_int64(json_object_array_get_idx(a, i));

		if (cpu >= 0 && cpu < CPU_NUMBER_MAX)
			cpu_isolation__mark(iso, (unsigned long)cpu, flag);
	}
	return 1;
}

static void cpu_isolation_from_json(struct cpu_isolation *iso, json_object *o)
{
	iso->domain_known = cpus_from_json(iso, jget(o, "isolcpus"), CPU_ISO_DOMAIN);
	iso->nohz_full_known = cpus_from_json(iso, jget(o, "nohz_full"), CPU_ISO_NOHZ_FULL);
	iso->cpuset_known = cpus_from_json(iso, jget(o, "cpuset"), CPU_ISO_CPUSET);
	iso->idle_poll = jtri(o, "idle_poll");
}

int snapshot__from_json(struct snapshot *s, json_object *o, char *err, size_t errlen)
{
	json_object *k = jget(o, "kernel"), *a, *tr, *sh;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the snapshot is not a JSON object");
		return -1;
	}
	s->source = "replay";
	s->taken_ns = juint(o, "time_ns");
	copy_str(s->kernel.release, sizeof(s->kernel.release),
		 jstr(k, "release") ? jstr(k, "release") : "?");
	s->kernel.livepatch = jbool(k, "livepatch");
	s->kernel.tainted = (unsigned long)juint(k, "tainted");
	s->kernel.taint_livepatch = jbool(k, "taint_livepatch");
	s->switch_point = switch_point_from_json(k);
	s->tif_patch_pending_bit = jget(k, "tif_patch_pending_bit") ? (int)jint(k, "tif_patch_pending_bit") : -1;
	cpu_isolation_from_json(&s->cpu_iso, jget(k, "cpu_isolation"));
	a = jget(o, "patches");
	s->npatches = jlen(a);
	s->patches = s->npatches ? xcalloc(s->npatches, sizeof(*s->patches)) : NULL;
	for (size_t i = 0; i < s->npatches; i++)
		patch_from_json(&s->patches[i], json_object_array_get_idx(a, i));
	tr = jget(o, "transition");
	s->transition = json_object_is_type(tr, json_type_object) ? transition_from_json(tr) : NULL;
	if (s->transition)
		transition_info__mark_isolation(s->transition, &s->cpu_iso);
	history_from_json(s, jget(o, "history"));
	probes_from_json(&s->probes, jget(o, "probes"));
	sh = jget(o, "shadows");
	s->shadows = json_object_is_type(sh, json_type_object) ? shadows_from_json(sh) : NULL;
	a = jget(o, "warnings");
	for (size_t i = 0; i < jlen(a); i++) {
		json_object *w = json_object_array_get_idx(a, i);

		if (json_object_is_type(w, json_type_string))
			snapshot__warn(s, "%s", json_object_get_string(w));
	}
	return 0;
}

