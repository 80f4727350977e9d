// SPDX-License-Identifier: GPL-2.0
/* What a transition costs, as JSON and as text (render/transition_cost.h). */
#include "render/transition_cost.h"

#include <stdio.h>
#include <string.h>

static json_object *u64(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

json_object *duration_hist__to_json(const struct duration_hist *h, enum hist_kind kind)
{
	json_object *o = json_object_new_object(), *le = json_object_new_array();
	json_object *counts = json_object_new_array();
	unsigned int n;
	const uint64_t *b = hist__bounds(kind, &n);

	for (unsigned int i = 0; i < n; i++)
		json_object_array_add(le, u64(b[i]));
	for (unsigned int i = 0; i <= n; i++)
		json_object_array_add(counts, u64(h->counts[i]));
	json_object_object_add(o, "le_ns", le);
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "count", u64(h->n));
	json_object_object_add(o, "sum_ns", u64(h->sum_ns));
	json_object_object_add(o, "max_ns", u64(h->max_ns));
	return o;
}

static json_object *slowest_to_json(const struct transition_cost *c)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < c->nslowest; i++) {
		const struct slow_round *r = &c->slowest[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "round", u64(r->round));
		json_object_object_add(o, "ns", u64(r->ns));
		json_object_object_add(o, "checked", u64(r->checked));
		json_object_object_add(o, "end_ns", u64(r->end_ns));
		json_object_array_add(a, o);
	}
	return a;
}

json_object *transition_cost__to_json(const struct transition_cost *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rounds", duration_hist__to_json(&c->round_hist, HIST_ROUND));
	json_object_object_add(o, "last_round_ns", u64(c->last_round_ns));
	json_object_object_add(o, "slowest_rounds", slowest_to_json(c));
	json_object_object_add(o, "completion_round",
			       c->completion_round ? u64(c->completion_round) : NULL);
	json_object_object_add(o, "completion_ns", c->completion_round ? u64(c->completion_ns) : NULL);
	json_object_object_add(o, "start_seen", json_object_new_boolean(c->start_seen));
	/* Which round was the first is known only from the start. */
	json_object_object_add(o, "first_round", c->start_seen && !c->first_unwatched
			       ? u64(c->first_round) : NULL);
	json_object_object_add(o, "first_round_watched", c->start_seen
			       ? json_object_new_boolean(!c->first_unwatched) : NULL);
	json_object_object_add(o, "later_rounds", u64(c->later_rounds));
	json_object_object_add(o, "after_signals", u64(c->after_signals));
	json_object_object_add(o, "blockers_switched", u64(c->blockers_switched));
	json_object_object_add(o, "blockers_exited", u64(c->blockers_exited));
	json_object_object_add(o, "switch_times", duration_hist__to_json(&c->switch_hist, HIST_SWITCH));
	return o;
}

/* "1.2" + unit, or "10" + unit: a bound reads 10ms, not 10.0ms. */
static void one_decimal(char *buf, size_t len, double v, const char *unit)
{
	if (v - (double)(uint64_t)v < 0.05)
		snprintf(buf, len, "%llu%s", (unsigned long long)(v + 0.05), unit);
	else
		snprintf(buf, len, "%.1f%s", v, unit);
}

const char *duration__text(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (ns < 1000000ull)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000ull)
		one_decimal(buf, len, ns / 1e6, "ms");
	else if (s < 60)
		one_decimal(buf, len, ns / 1e9, "s");
	else
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	return buf;
}

const char *slow_round__tasks(const struct slow_round *r, char *buf, size_t len)
{
	/* A round always checks a pending task: none means klptop did not
	 * watch that round's checks (a large host, docs/json.md "checks"). */
	if (!r->checked)
		snprintf(buf, len, "checks not watched");
	else
		snprintf(buf, len, "%u task%s", r->checked, r->checked == 1 ? "" : "s");
	return buf;
}

const char *transition_cost__rounds_text(const struct transition_cost *c, char *buf, size_t len)
{
	char mean[32], max[32], last[32], tasks[32];
	const struct slow_round *r = &c->slowest[0];

	if (!c->round_hist.n) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	snprintf(buf, len, "%llu rounds timed: mean %s, max %s (round %u, %s), last %s",
		 (unsigned long long)c->round_hist.n,
		 duration__text((uint64_t)transition_cost__mean_round_ns(c), mean, sizeof(mean)),
		 duration__text(r->ns, max, sizeof(max)), r->round,
		 slow_round__tasks(r, tasks, sizeof(tasks)),
		 duration__text(c->last_round_ns, last, sizeof(last)));
	return buf;
}

const char *transition_cost__completion_text(const struct transition_cost *c, char *buf,
					     size_t len)
{
	char took[32];

	if (!c->completion_round)
		return NULL;
	snprintf(buf, len, "round %u took %s, with klp_complete_transition (its RCU waits "
		 "hold no tasklist_lock)", c->completion_round,
		 duration__text(c->completion_ns, took, sizeof(took)));
	return buf;
}

/* "N what" appended to buf with a separator. */
static void add_count(char *buf, size_t len, uint64_t n, const char *what)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%llu %s", used ? ", " : "",
			 (unsigned long long)n, what);
}

const char *transition_cost__switches_text(const struct transition_cost *c,
					   const uint64_t *switched, char *buf, size_t len)
{
	size_t used;

	buf[0] = '\0';
	if (c->start_seen && c->first_unwatched)
		snprintf(buf, len, "the first round's checks not watched");
	else if (c->start_seen)
		add_count(buf, len, c->first_round, "by the first round's check");
	add_count(buf, len, c->later_rounds, c->start_seen ? "by later checks" : "by a round's check");
	if (switched) {
		add_count(buf, len, switched[SWITCH_USER_EXIT], "at exit to user space");
		add_count(buf, len, switched[SWITCH_IDLE], "idle");
		add_count(buf, len, switched[SWITCH_FORK], "at fork");
		add_count(buf, len, switched[SWITCH_FORCE], "by force");
	}
	used = strlen(buf);
	if (used < len && (c->blockers_switched || c->blockers_exited))
		snprintf(buf + used, len - used, "; of the tasks that failed a check: %llu switched "
			 "(%llu after a signal round), %llu exited",
			 (unsigned long long)c->blockers_switched,
			 (unsigned long long)c->after_signals, (unsigned long long)c->blockers_exited);
	return buf;
}
