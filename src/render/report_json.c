// SPDX-License-Identifier: GPL-2.0
/* klptop report --json: the report model as one object, one function per
 * section (docs/trace-format.md, "klptop report"). */
#include "render/report.h"
#include "render/output.h"
#include "render/transition_cost.h"
#include "lib/util.h"

#include <stdio.h>

#define TASK_FRAMES 12

static json_object *jdouble(double v)
{
	return json_object_new_double(v);
}

static json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static double rel_s(const struct report *rp, uint64_t ts)
{
	return recording__rel_s(rp->rec, ts);
}

static json_object *frames_text(const struct stack_frame *f, size_t n, size_t max)
{
	char buf[1024];

	return jstr_or_null(frames__line(f, n, max, buf, sizeof(buf)));
}

static void add_recording(const struct report *rp, json_object *o)
{
	const struct recording *r = rp->rec;
	json_object *bytes = json_object_new_object();

	json_object_object_add(o, "header", json_object_get(r->header));
	json_object_object_add(o, "metadata", json_object_get(r->meta));
	json_object_object_add(o, "trigger", json_object_get(r->trigger));
	json_object_object_add(o, "chunks", json_object_new_int64((int64_t)r->chunks));
	json_object_object_add(o, "format_version", json_object_new_int((int)r->version));
	json_object_object_add(o, "redacted", json_object_new_boolean(r->flags & REC_FLAG_REDACTED));
	json_object_object_add(o, "complete", json_object_new_boolean(r->complete));
	json_object_object_add(o, "problem", r->problem[0] ? json_object_new_string(r->problem) : NULL);
	json_object_object_add(o, "malformed_payloads", json_object_new_int64((int64_t)r->bad_payloads));
	json_object_object_add(o, "transition_events", json_object_new_int64((int64_t)r->transition_events));
	json_object_object_add(o, "shadow_events", json_object_new_int64((int64_t)r->shadow_events));
	for (uint32_t i = 1; i < REC_TYPE_MAX; i++)
		if (r->type_bytes[i])
			json_object_object_add(bytes, rec_chunk_type__name(i),
					       json_object_new_int64((int64_t)r->type_bytes[i]));
	json_object_object_add(o, "chunk_bytes", bytes);
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)r->nsnaps));
}

static json_object *switched_json(const struct report_transition *t)
{
	json_object *o;

	if (!t->switched_known)
		return NULL;
	o = json_object_new_object();
	for (int i = 0; i < SWITCH_HOW_MAX; i++)
		json_object_object_add(o, switch_how__name((enum switch_how)i),
				       json_object_new_int64((int64_t)t->switched[i]));
	return o;
}

static json_object *transition_json(const struct report *rp, const struct report_transition *t)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "patch", json_object_new_string(t->patch));
	json_object_object_add(x, "target", json_object_new_string(klp_state__name(t->target)));
	json_object_object_add(x, "start_s", t->start_ns ? jdouble(rel_s(rp, t->start_ns)) : NULL);
	json_object_object_add(x, "end_s", t->outcome ? jdouble(rel_s(rp, t->end_ns)) : NULL);
	json_object_object_add(x, "duration_s", t->outcome && t->start_ns ?
			       jdouble((double)(t->end_ns - t->start_ns) / 1e9) : NULL);
	json_object_object_add(x, "outcome", json_object_new_string(t->outcome ?: "pending"));
	json_object_object_add(x, "rounds", json_object_new_int64(t->rounds));
	json_object_object_add(x, "signal_rounds", json_object_new_int64(t->signal_rounds));
	json_object_object_add(x, "observed", json_object_new_boolean(t->seen_events));
	json_object_object_add(x, "switched", switched_json(t));
	json_object_object_add(x, "cost", t->seen_events ? transition_cost__to_json(&t->cost) : NULL);
	return x;
}

static void add_transitions(const struct report *rp, json_object *o)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < rp->ntr; i++)
		json_object_array_add(a, transition_json(rp, &rp->tr[i]));
	json_object_object_add(o, "transitions", a);
}

static void add_convergence(const struct report *rp, json_object *o)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < rp->nsamples; i++) {
		const struct report_sample *s = &rp->samples[i];
		json_object *x = json_object_new_object();

		json_object_object_add(x, "t_s", jdouble(rel_s(rp, s->ts)));
		json_object_object_add(x, "pending", s->pending >= 0 ? json_object_new_int64(s->pending) : NULL);
		json_object_object_add(x, "shadows_live", s->shadows >= 0 ?
				       json_object_new_int64(s->shadows) : NULL);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "convergence", a);
}

static json_object *reasons_seen_json(const struct report_task *t)
{
	json_object *rs = json_object_new_object();

	for (int j = REASON_RUNNING; j < REPORT_NREASONS; j++)
		json_object_object_add(rs, reason__name((enum block_reason)j),
				       json_object_new_int64(t->seen[j]));
	return rs;
}

static json_object *straggler_json(const struct report *rp, const struct report_task *t)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "comm", json_object_new_string(t->t.comm));
	json_object_object_add(x, "pid", json_object_new_int(t->t.pid));
	json_object_object_add(x, "tid", json_object_new_int(t->t.tid));
	json_object_object_add(x, "kthread", json_object_new_boolean(t->t.kthread));
	json_object_object_add(x, "patch", json_object_new_string(t->patch));
	json_object_object_add(x, "reason", json_object_new_string(reason__name(t->t.reason)));
	json_object_object_add(x, "reasons_seen", reasons_seen_json(t));
	json_object_object_add(x, "function", jstr_or_null(t->t.function));
	json_object_object_add(x, "rounds_failed", json_object_new_int64(t->t.rounds_failed));
	json_object_object_add(x, "signal_rounds_seen", json_object_new_int64(t->t.signal_rounds_seen));
	json_object_object_add(x, "never", t->t.never == NEVER_NONE ? NULL :
			       json_object_new_string(never_cause__name(t->t.never)));
	json_object_object_add(x, "help", t->t.help ? json_object_new_string(t->t.help) : NULL);
	json_object_object_add(x, "blocked_s", jdouble((double)report_task__blocked_ns(t) / 1e9));
	json_object_object_add(x, "first_s", jdouble(rel_s(rp, t->first_ns)));
	json_object_object_add(x, "oncpu", frames_text(t->t.oncpu, t->t.noncpu, TASK_FRAMES));
	json_object_object_add(x, "stack", frames_text(t->t.stack, t->t.nstack, TASK_FRAMES));
	json_object_object_add(x, "switched_how", jstr_or_null(report_task__end(t)));
	json_object_object_add(x, "switched_s", t->ended ? jdouble(rel_s(rp, t->ended_ns)) : NULL);
	return x;
}

static void add_stragglers(const struct report *rp, json_object *o)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < rp->ntasks; i++)
		if (report__is_straggler(rp, &rp->tasks[i]))
			json_object_array_add(a, straggler_json(rp, &rp->tasks[i]));
	json_object_object_add(o, "stragglers", a);
}

static json_object *straggler_group_json(const struct report *rp,
					 const struct report_straggler_group *g)
{
	const struct report_task *t = &rp->tasks[g->shown];
	json_object *x = json_object_new_object(), *tids = json_object_new_array();

	for (size_t i = 0; i < g->count; i++)
		json_object_array_add(tids, json_object_new_int(rp->tasks[g->members[i]].t.tid));
	json_object_object_add(x, "count", json_object_new_int64((int64_t)g->count));
	json_object_object_add(x, "tids", tids);
	json_object_object_add(x, "shown_tid", json_object_new_int(t->t.tid));
	json_object_object_add(x, "comm", json_object_new_string(g->comm));
	json_object_object_add(x, "kthread", json_object_new_boolean(t->t.kthread));
	json_object_object_add(x, "patch", json_object_new_string(t->patch));
	json_object_object_add(x, "reason", json_object_new_string(reason__name(t->t.reason)));
	json_object_object_add(x, "function", jstr_or_null(t->t.function));
	json_object_object_add(x, "never", t->t.never == NEVER_NONE ? NULL :
			       json_object_new_string(never_cause__name(t->t.never)));
	json_object_object_add(x, "help", jstr_or_null(t->t.help));
	json_object_object_add(x, "blocked_min_s", jdouble((double)g->blocked_min_ns / 1e9));
	json_object_object_add(x, "blocked_max_s", jdouble((double)g->blocked_max_ns / 1e9));
	json_object_object_add(x, "first_s", jdouble(rel_s(rp, g->first_ns)));
	json_object_object_add(x, "last_seen_s", jdouble(rel_s(rp, g->last_ns)));
	json_object_object_add(x, "rounds_failed_max", json_object_new_int64(g->rounds_failed_max));
	json_object_object_add(x, "signal_rounds_seen_max", json_object_new_int64(g->signal_rounds_max));
	json_object_object_add(x, "oncpu", frames_text(t->t.oncpu, t->t.noncpu, TASK_FRAMES));
	json_object_object_add(x, "stack", frames_text(t->t.stack, t->t.nstack, TASK_FRAMES));
	json_object_object_add(x, "switched_how", jstr_or_null(report_task__end(t)));
	json_object_object_add(x, "switched_first_s", g->ended_min_ns ? jdouble(rel_s(rp, g->ended_min_ns)) : NULL);
	json_object_object_add(x, "switched_last_s", g->ended_max_ns ? jdouble(rel_s(rp, g->ended_max_ns)) : NULL);
	return x;
}

/* The stragglers as the text report shows them, and how many a snapshot
 * listed beyond what the report follows. */
static void add_straggler_groups(const struct report *rp, json_object *o)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < rp->nsgroups; i++)
		json_object_array_add(a, straggler_group_json(rp, &rp->sgroups[i]));
	json_object_object_add(o, "straggler_groups", a);
	json_object_object_add(o, "tasks_untracked", json_object_new_int64((int64_t)rp->tasks_untracked));
}

static json_object *leak_group_json(const struct report *rp, const struct report_leak *l)
{
	json_object *g = json_object_new_object();
	char id[32];

	snprintf(id, sizeof(id), "0x%llx", (unsigned long long)l->id);
	json_object_object_add(g, "kind", json_object_new_string(shadow_leak_kind__name(l->kind)));
	json_object_object_add(g, "id", json_object_new_string(id));
	json_object_object_add(g, "count", json_object_new_int64((int64_t)l->count));
	json_object_object_add(g, "first_s", jdouble(rel_s(rp, l->first_ns)));
	json_object_object_add(g, "last_s", jdouble(rel_s(rp, l->last_ns)));
	json_object_object_add(g, "cache", l->cache[0] ? json_object_new_string(l->cache) : NULL);
	json_object_object_add(g, "alloc_stack", frames_text(l->alloc, l->nalloc, l->nalloc));
	json_object_object_add(g, l->kind == SHADOW_LEAK_STALE ? "get_stack" : "free_stack",
			       frames_text(l->free, l->nfree, l->nfree));
	return g;
}

static void add_shadows(const struct report *rp, json_object *o)
{
	json_object *x = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(x, "orphan_events",
			       json_object_new_int64((int64_t)rp->shadow_kinds[SHADOW_LEAK_ORPHAN]));
	json_object_object_add(x, "stale_events",
			       json_object_new_int64((int64_t)rp->shadow_kinds[SHADOW_LEAK_STALE]));
	json_object_object_add(x, "duplicate_events",
			       json_object_new_int64((int64_t)rp->shadow_kinds[SHADOW_LEAK_DUPLICATE]));
	json_object_object_add(x, "last", rp->shadows ? shadow_snapshot__to_json(rp->shadows) : NULL);
	for (size_t i = 0; i < rp->nleaks; i++)
		json_object_array_add(a, leak_group_json(rp, &rp->leaks[i]));
	json_object_object_add(x, "event_groups", a);
	json_object_object_add(o, "shadows", x);
}

json_object *report__to_json(const struct report *rp)
{
	json_object *o = json_object_new_object();

	add_recording(rp, o);
	add_transitions(rp, o);
	add_convergence(rp, o);
	add_stragglers(rp, o);
	add_straggler_groups(rp, o);
	add_shadows(rp, o);
	json_object_object_add(o, "drops", json_object_get(rp->rec->drops));
	json_object_object_add(o, "end", json_object_get(rp->rec->end));
	return o;
}
