// SPDX-License-Identifier: GPL-2.0
/* klptop report --format chrome: the report model as Trace Event JSON for
 * Perfetto (ui.perfetto.dev) or chrome://tracing. Times are microseconds
 * from the start of the recording; thread 0 holds the transitions, global
 * instants and the counters, each straggler its own track. */
#include "render/report.h"
#include "lib/util.h"

#include <stdio.h>

#define TASK_FRAMES 12

static double us(const struct report *rp, uint64_t ts)
{
	return recording__rel_s(rp->rec, ts) * 1e6;
}

static json_object *trace_ev(const char *ph, const char *name, int tid, double ts)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "ph", json_object_new_string(ph));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "pid", json_object_new_int(1));
	json_object_object_add(e, "tid", json_object_new_int(tid));
	json_object_object_add(e, "ts", json_object_new_double(ts));
	return e;
}

static json_object *named(const char *what, int tid, const char *name)
{
	json_object *e = trace_ev("M", what, tid, 0), *args = json_object_new_object();

	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(e, "args", args);
	return e;
}

/* A counter sample: one track per name, one series per argument. */
static json_object *counter(const char *name, double ts, const char *arg, json_object *v)
{
	json_object *e = trace_ev("C", name, 0, ts), *args = json_object_new_object();

	json_object_object_add(args, arg, v);
	json_object_object_add(e, "args", args);
	return e;
}

static void add_names(const struct report *rp, json_object *ev)
{
	char name[128];

	snprintf(name, sizeof(name), "klptop %s", recording__header_str(rp->rec, "hostname") ?: "");
	json_object_array_add(ev, named("process_name", 0, name));
	json_object_array_add(ev, named("thread_name", 0, "transitions"));
}

static void add_transitions(const struct report *rp, json_object *ev)
{
	uint64_t end_ts = rp->last_ts > rp->rec->start_mono_ns ? rp->last_ts : rp->rec->start_mono_ns;
	char name[128];

	for (size_t i = 0; i < rp->ntr; i++) {
		const struct report_transition *t = &rp->tr[i];
		uint64_t s = t->start_ns ? t->start_ns : rp->rec->start_mono_ns;
		uint64_t en = t->outcome ? t->end_ns : end_ts;
		json_object *e, *args = json_object_new_object();

		snprintf(name, sizeof(name), "%s -> %s", report_transition__patch(t), klp_state__name(t->target));
		e = trace_ev("X", name, 0, us(rp, s));
		json_object_object_add(e, "cat", json_object_new_string("transition"));
		json_object_object_add(e, "dur", json_object_new_double(en > s ? (double)(en - s) / 1e3 : 0));
		json_object_object_add(args, "outcome", json_object_new_string(t->outcome ?: "pending"));
		json_object_object_add(args, "rounds", json_object_new_int64(t->rounds));
		json_object_object_add(args, "round_max_us",
				       json_object_new_double((double)t->cost.round_hist.max_ns / 1e3));
		json_object_object_add(e, "args", args);
		json_object_array_add(ev, e);
	}
}

static void add_straggler(const struct report *rp, const struct report_task *t, json_object *ev)
{
	uint64_t en = t->ended ? t->ended_ns : t->last_ns;
	json_object *e, *args = json_object_new_object();
	char name[160], frames[1024];

	snprintf(name, sizeof(name), "%s (tid %d)", t->t.comm, t->t.tid);
	json_object_array_add(ev, named("thread_name", t->t.tid, name));
	snprintf(name, sizeof(name), "blocking %s: %s%s%s", t->patch, reason__name(t->t.reason),
		 t->t.function ? " on " : "", t->t.function ?: "");
	e = trace_ev("X", name, t->t.tid, us(rp, t->first_ns));
	json_object_object_add(e, "cat", json_object_new_string("blocker"));
	json_object_object_add(e, "dur", json_object_new_double(en > t->first_ns ?
								 (double)(en - t->first_ns) / 1e3 : 0));
	json_object_object_add(args, "comm", json_object_new_string(t->t.comm));
	json_object_object_add(args, "rounds_failed", json_object_new_int64(t->t.rounds_failed));
	json_object_object_add(args, "oncpu", frames__line(t->t.oncpu, t->t.noncpu, TASK_FRAMES, frames,
							   sizeof(frames))
			       ? json_object_new_string(frames) : NULL);
	json_object_object_add(args, "switched", report_task__end(t)
			       ? json_object_new_string(report_task__end(t)) : NULL);
	json_object_object_add(e, "args", args);
	json_object_array_add(ev, e);
}

static void add_instants(const struct report *rp, json_object *ev)
{
	for (size_t i = 0; i < rp->ninst; i++) {
		const struct report_instant *in = &rp->inst[i];
		json_object *e = trace_ev("i", in->name, in->tid < 0 ? 0 : in->tid, us(rp, in->ts));

		json_object_object_add(e, "s", json_object_new_string("g"));
		json_object_array_add(ev, e);
	}
}

/* Pending tasks and live shadows at each snapshot. */
static void add_sample_counters(const struct report *rp, json_object *ev)
{
	for (size_t i = 0; i < rp->nsamples; i++) {
		const struct report_sample *s = &rp->samples[i];

		json_object_array_add(ev, counter("pending tasks", us(rp, s->ts), "pending",
						  json_object_new_int64(s->pending < 0 ? 0 : s->pending)));
		if (s->shadows >= 0)
			json_object_array_add(ev, counter("live shadows", us(rp, s->ts), "live",
							  json_object_new_int64(s->shadows)));
	}
}

/* What each round cost: its time under tasklist_lock, the tasks it walked,
 * the tasks its checks switched. */
static void add_round_counters(const struct report *rp, json_object *ev)
{
	for (size_t i = 0; i < rp->nrounds; i++) {
		const struct report_round *r = &rp->rounds[i];
		double ts = us(rp, r->end_ns);

		json_object_array_add(ev, counter("round duration (us)", ts, "us",
						  json_object_new_double((double)r->ns / 1e3)));
		json_object_array_add(ev, counter("tasks checked per round", ts, "checked",
						  json_object_new_int64(r->checked)));
		json_object_array_add(ev, counter("tasks switched per round", ts, "switched",
						  json_object_new_int64(r->switched)));
	}
}

json_object *report__to_chrome(const struct report *rp)
{
	json_object *o = json_object_new_object(), *ev = json_object_new_array();

	add_names(rp, ev);
	add_transitions(rp, ev);
	for (size_t i = 0; i < rp->ntasks; i++)
		if (report__is_straggler(rp, &rp->tasks[i]))
			add_straggler(rp, &rp->tasks[i], ev);
	add_instants(rp, ev);
	add_sample_counters(rp, ev);
	add_round_counters(rp, ev);
	json_object_object_add(o, "traceEvents", ev);
	json_object_object_add(o, "displayTimeUnit", json_object_new_string("ms"));
	json_object_object_add(o, "otherData", json_object_get(rp->rec->header));
	return o;
}
