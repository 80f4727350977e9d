// SPDX-License-Identifier: GPL-2.0
/* klptop report as text: one function per section (render/report.h). */
#include "render/report.h"
#include "render/transition_cost.h"
#include "lib/util.h"

#include <string.h>
#include <time.h>

#define TASK_FRAMES 12

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

const char *frames__line(const struct stack_frame *f, size_t n, size_t max, char *buf,
			 size_t len)
{
	size_t used = 0;

	if (!n)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < max && used < len; i++) {
		char off[24] = "";

		if (f[i].symbol && f[i].offset)
			snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)f[i].offset);
		used += snprintf(buf + used, len - used, "%s%s%s%s%s%s", i ? " <- " : "",
				 f[i].symbol ?: "?", off, f[i].module ? " [" : "",
				 f[i].module ?: "", f[i].module ? "]" : "");
	}
	return buf;
}

const char *report_task__end(const struct report_task *t)
{
	if (!t->ended)
		return NULL;
	if (t->t.switched_how >= 0)
		return switch_how__name((enum switch_how)t->t.switched_how);
	return t->inferred ?: "?";
}

static double rel_s(const struct report *rp, uint64_t ts)
{
	return recording__rel_s(rp->rec, ts);
}

static const char *target_name(int target)
{
	return klp_state__name(target);
}

/* ---- the recording ---------------------------------------------------------- */

static void print_command_line(const struct recording *r, FILE *f)
{
	json_object *cmd;

	if (!json_object_object_get_ex(r->header, "command_line", &cmd) ||
	    !json_object_is_type(cmd, json_type_array))
		return;
	fputs(", command:", f);
	for (size_t i = 0; i < json_object_array_length(cmd); i++)
		fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(cmd, i)));
}

static void print_recording(const struct report *rp, FILE *f)
{
	const struct recording *r = rp->rec;
	time_t secs = (time_t)(r->start_real_ns / 1000000000ull);
	char when[64] = "?";
	struct tm tm;

	if (r->start_real_ns && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "Recording %s\n", r->name);
	fprintf(f, "  host %s, kernel %s, boot id %s\n", recording__header_str(r, "hostname") ?: "?",
		recording__header_str(r, "kernel_release") ?: "?",
		recording__header_str(r, "boot_id") ?: "?");
	fprintf(f, "  klptop %s, started %s", recording__header_str(r, "klptop_version") ?: "?",
		when);
	print_command_line(r, f);
	fprintf(f, "\n  %llu chunks: %llu transition events, %llu shadow events, %zu snapshots, "
		   "%llu symbols; covers %.1f s\n",
		(unsigned long long)r->chunks, (unsigned long long)r->transition_events,
		(unsigned long long)r->shadow_events, r->nsnaps, (unsigned long long)r->symbols,
		rp->last_ts > r->start_mono_ns ? rel_s(rp, rp->last_ts) : 0.0);
	fprintf(f, "  format version %u%s\n", r->version,
		r->flags & REC_FLAG_REDACTED ? ", redacted (no kernel addresses)" : "");
	if (r->end)
		fprintf(f, "  ended cleanly (%s)\n", jstr(r->end, "reason") ?: "?");
	if (r->trigger)
		fprintf(f, "  flight recorder triggered by %s at %+.1f s (%lld older chunks dropped)\n",
			jstr(r->trigger, "trigger") ?: "?",
			rel_s(rp, (uint64_t)jint(r->trigger, "monotonic_ns")),
			(long long)jint(r->trigger, "chunks_evicted"));
	if (r->problem[0])
		fprintf(f, "  WARNING: %s\n", r->problem);
	if (r->bad_payloads)
		fprintf(f, "  WARNING: %llu chunks with malformed payloads skipped\n",
			(unsigned long long)r->bad_payloads);
}

/* ---- transitions ------------------------------------------------------------ */

static void print_transition(const struct report *rp, const struct report_transition *t, FILE *f)
{
	fprintf(f, "  %s -> %s: ", report_transition__patch(t), target_name(t->target));
	if (t->start_ns)
		fprintf(f, "start %+.1f s", rel_s(rp, t->start_ns));
	else
		fprintf(f, "start before the recording");
	if (t->outcome) {
		fprintf(f, ", end %+.1f s", rel_s(rp, t->end_ns));
		if (t->start_ns)
			fprintf(f, ", duration %.1f s", (double)(t->end_ns - t->start_ns) / 1e9);
		fprintf(f, ", outcome %s", t->outcome);
	} else {
		fprintf(f, ", still pending at the end of the recording");
	}
	fprintf(f, "; %u rounds, %u signal rounds\n", t->rounds, t->signal_rounds);
}

static void print_transitions(const struct report *rp, FILE *f)
{
	fprintf(f, "\nTransitions:\n");
	if (!rp->ntr)
		fprintf(f, "  none seen\n");
	for (size_t i = 0; i < rp->ntr; i++)
		print_transition(rp, &rp->tr[i], f);
}

/* ---- cost ------------------------------------------------------------------- */

static void print_slowest(const struct report *rp, const struct transition_cost *c, FILE *f)
{
	char d[32], tasks[32];

	if (!c->nslowest)
		return;
	fputs("    slowest rounds:", f);
	for (unsigned int i = 0; i < c->nslowest; i++)
		fprintf(f, "%s #%u %s (%s, %+.1f s)", i ? "," : "", c->slowest[i].round,
			duration__text(c->slowest[i].ns, d, sizeof(d)),
			slow_round__tasks(&c->slowest[i], tasks, sizeof(tasks)),
			rel_s(rp, c->slowest[i].end_ns));
	fputc('\n', f);
}

/* "time to switch: <=10ms 38, <=2s 1": the non-empty buckets. */
static void print_switch_times(const struct duration_hist *h, FILE *f)
{
	unsigned int n;
	const uint64_t *b = hist__bounds(HIST_SWITCH, &n);
	char d[32];

	if (!h->n)
		return;
	fputs("    time to switch:", f);
	for (unsigned int i = 0; i <= n; i++) {
		if (!h->counts[i])
			continue;
		if (i < n)
			fprintf(f, " <=%s %llu", duration__text(b[i], d, sizeof(d)),
				(unsigned long long)h->counts[i]);
		else
			fprintf(f, " >%s %llu", duration__text(b[n - 1], d, sizeof(d)),
				(unsigned long long)h->counts[i]);
	}
	fprintf(f, " (max %s)\n", duration__text(h->max_ns, d, sizeof(d)));
}

static void print_cost(const struct report *rp, const struct report_transition *t, FILE *f)
{
	const struct transition_cost *c = &t->cost;
	char buf[512];

	fprintf(f, "  %s -> %s: %s\n", report_transition__patch(t), target_name(t->target),
		c->round_hist.n ? transition_cost__rounds_text(c, buf, sizeof(buf))
				: "no round timed (the round probe did not run)");
	print_slowest(rp, c, f);
	if (transition_cost__completion_text(c, buf, sizeof(buf)))
		fprintf(f, "    completion: %s\n", buf);
	fprintf(f, "    switched: %s\n",
		transition_cost__switches_text(c, t->switched_known ? t->switched : NULL, buf,
					       sizeof(buf)));
	print_switch_times(&c->switch_hist, f);
}

static void print_costs(const struct report *rp, FILE *f)
{
	int any = 0;

	for (size_t i = 0; i < rp->ntr; i++) {
		if (!rp->tr[i].seen_events)
			continue;
		if (!any++)
			fprintf(f, "\nCost (rounds walk every task under tasklist_lock):\n");
		print_cost(rp, &rp->tr[i], f);
	}
}

/* ---- convergence ------------------------------------------------------------ */

static void print_convergence(const struct report *rp, FILE *f)
{
	long prev = -2;

	fprintf(f, "\nConvergence (pending tasks; changes only):\n");
	for (size_t i = 0; i < rp->nsamples; i++) {
		const struct report_sample *s = &rp->samples[i];

		if (s->pending == prev && i + 1 != rp->nsamples)
			continue;
		prev = s->pending;
		if (s->pending < 0)
			fprintf(f, "  %+8.1f s  no transition\n", rel_s(rp, s->ts));
		else
			fprintf(f, "  %+8.1f s  %ld pending\n", rel_s(rp, s->ts), s->pending);
	}
}

/* ---- stragglers ------------------------------------------------------------- */

static void print_reasons_seen(const struct report_task *t, FILE *f)
{
	unsigned int total = 0;

	for (int j = REASON_RUNNING; j < REPORT_NREASONS; j++)
		total += t->seen[j];
	if (total <= 1)
		return;
	fprintf(f, "    reasons over %u samples:", total);
	for (int j = REASON_RUNNING; j < REPORT_NREASONS; j++)
		if (t->seen[j])
			fprintf(f, " %s %u", reason__name((enum block_reason)j), t->seen[j]);
	fputc('\n', f);
}

static void print_task_end(const struct report *rp, const struct report_task *t, FILE *f)
{
	if (t->ended && t->t.switched_how == SWITCH_EXIT)
		fprintf(f, "    exited at %+.1f s, never switched\n", rel_s(rp, t->ended_ns));
	else if (t->ended)
		fprintf(f, "    switched (%s) at %+.1f s\n", report_task__end(t),
			rel_s(rp, t->ended_ns));
	else
		fprintf(f, "    not seen to switch (last seen blocking at %+.1f s)\n",
			rel_s(rp, t->last_ns));
}

/* What a straggler, or a row of them (row: t is its longest blocked
 * member), was blocked on: function, why it will never switch by itself,
 * its on-CPU and judged stacks. */
static void print_blocker_lines(const struct report_task *t, int row, FILE *f)
{
	const char *help = t->t.help ? t->t.help : "a forced transition";
	char buf[1024];

	if (t->t.function)
		fprintf(f, "    function: %s\n", t->t.function);
	if (t->t.never != NEVER_NONE && row)
		fprintf(f, "    will never switch by themselves (%s): need %s\n",
			never_cause__name(t->t.never), help);
	else if (t->t.never != NEVER_NONE)
		fprintf(f, "    will never switch by itself (%s): needs %s\n",
			never_cause__name(t->t.never), help);
	if (frames__line(t->t.oncpu, t->t.noncpu, TASK_FRAMES, buf, sizeof(buf)))
		fprintf(f, "    on-CPU: %s\n", buf);
	if (frames__line(t->t.stack, t->t.nstack, TASK_FRAMES, buf, sizeof(buf)))
		fprintf(f, "    stack: %s\n", buf);
}

static void print_straggler(const struct report *rp, const struct report_task *t, FILE *f)
{
	fprintf(f, "  %s (pid %d tid %d%s) held %s: blocked %.1f s from %+.1f s, reason %s, "
		   "%u failed rounds, %u signal rounds seen\n",
		t->t.comm, t->t.pid, t->t.tid, t->t.kthread ? ", kthread" : "", t->patch,
		(double)report_task__blocked_ns(t) / 1e9, rel_s(rp, t->first_ns),
		reason__name(t->t.reason), t->t.rounds_failed, t->t.signal_rounds_seen);
	print_reasons_seen(t, f);
	print_blocker_lines(t, 0, f);
	print_task_end(rp, t, f);
}

/* Up to this many tids on a group's row; all of them are in --json. */
#define GROUP_TIDS_SHOWN 8

static void print_group_tids(const struct report *rp, const struct report_straggler_group *g,
			     FILE *f)
{
	fprintf(f, "    tids:");
	for (size_t i = 0; i < g->count && i < GROUP_TIDS_SHOWN; i++)
		fprintf(f, " %d", rp->tasks[g->members[i]].t.tid);
	if (g->count > GROUP_TIDS_SHOWN)
		fprintf(f, " ... (%zu tasks; all in --json)", g->count);
	fputc('\n', f);
}

/* Two times that print the same to a tenth of a second. */
static int same_tenth(double a, double b)
{
	char x[32], y[32];

	snprintf(x, sizeof(x), "%.1f", a);
	snprintf(y, sizeof(y), "%.1f", b);
	return !strcmp(x, y);
}

/* "3.5 s", or "3.5-4.1 s" when they differ as printed. */
static const char *span_s(double a, double b, char *buf, size_t len)
{
	if (same_tenth(a, b))
		snprintf(buf, len, "%.1f s", a);
	else
		snprintf(buf, len, "%.1f-%.1f s", a, b);
	return buf;
}

static void print_group_end(const struct report *rp, const struct report_straggler_group *g,
			    FILE *f)
{
	const struct report_task *t = &rp->tasks[g->shown];
	double a = rel_s(rp, g->ended_min_ns), b = rel_s(rp, g->ended_max_ns);
	char when[64];

	if (!t->ended) {
		fprintf(f, "    not seen to switch (last seen blocking at %+.1f s)\n",
			rel_s(rp, g->last_ns));
		return;
	}
	if (same_tenth(a, b))
		snprintf(when, sizeof(when), "at %+.1f s", a);
	else
		snprintf(when, sizeof(when), "from %+.1f s to %+.1f s", a, b);
	if (t->t.switched_how == SWITCH_EXIT)
		fprintf(f, "    exited %s, never switched\n", when);
	else
		fprintf(f, "    switched (%s) %s\n", report_task__end(t), when);
}

/* Many stragglers alike: one row with the count, the spread of their
 * times, the stacks of the longest blocked one. */
static void print_straggler_group(const struct report *rp, const struct report_straggler_group *g,
				  FILE *f)
{
	const struct report_task *t = &rp->tasks[g->shown];
	char blocked[64];

	fprintf(f, "  %zu x %s (%s) held %s: blocked %s from %+.1f s, reason %s, "
		   "up to %u failed rounds, up to %u signal rounds seen\n",
		g->count, g->comm, t->t.kthread ? "kthreads" : "user threads", t->patch,
		span_s((double)g->blocked_min_ns / 1e9, (double)g->blocked_max_ns / 1e9, blocked,
		       sizeof(blocked)),
		rel_s(rp, g->first_ns), reason__name(t->t.reason), g->rounds_failed_max,
		g->signal_rounds_max);
	print_group_tids(rp, g, f);
	print_blocker_lines(t, 1, f);
	print_group_end(rp, g, f);
}

static void print_stragglers(const struct report *rp, FILE *f)
{
	fprintf(f, "\nStragglers:\n");
	for (size_t i = 0; i < rp->nsgroups; i++) {
		const struct report_straggler_group *g = &rp->sgroups[i];

		if (g->count == 1)
			print_straggler(rp, &rp->tasks[g->shown], f);
		else
			print_straggler_group(rp, g, f);
	}
	if (!rp->nsgroups)
		fprintf(f, "  none\n");
	if (rp->tasks_untracked)
		fprintf(f, "  %llu more tasks were pending, beyond the %zu this report follows\n",
			(unsigned long long)rp->tasks_untracked, report__max_tasks());
}

/* ---- shadows ---------------------------------------------------------------- */

/* Per id, from the last snapshot: what the probes counted since start, and
 * who owns what is left (a patch disabled or unloaded while recording leaves
 * shadows nothing will free: the report says so, as shadow and the view do). */
static void print_shadow_ids(const struct shadow_snapshot *ss, FILE *f)
{
	for (size_t i = 0; i < ss->nids; i++) {
		const struct shadow_id_info *d = &ss->ids[i];

		fprintf(f, "  id 0x%llx: %llu allocs, %llu frees, %lld live, %llu orphans, "
			   "%llu stale, %llu duplicates\n",
			(unsigned long long)d->id, (unsigned long long)d->allocs,
			(unsigned long long)d->frees, (long long)d->live,
			(unsigned long long)d->orphans, (unsigned long long)d->stale,
			(unsigned long long)d->duplicates);
		if (d->ownership_text)
			fprintf(f, "    %s: %s\n", shadow_ownership__name(d->ownership),
				d->ownership_text);
	}
}

static void print_leak_group(const struct report *rp, const struct report_leak *l, FILE *f)
{
	char buf[1024];

	fprintf(f, "  %s id 0x%llx: %llu events from %+.1f s to %+.1f s%s%s\n",
		shadow_leak_kind__name(l->kind), (unsigned long long)l->id,
		(unsigned long long)l->count, rel_s(rp, l->first_ns), rel_s(rp, l->last_ns),
		l->cache[0] ? ", cache " : "", l->cache);
	if (frames__line(l->alloc, l->nalloc, l->nalloc, buf, sizeof(buf)))
		fprintf(f, "    %s: %s\n", l->kind == SHADOW_LEAK_DUPLICATE ? "failed alloc" : "allocated",
			buf);
	if (frames__line(l->free, l->nfree, l->nfree, buf, sizeof(buf)))
		fprintf(f, "    %s: %s\n", l->kind == SHADOW_LEAK_STALE ? "stale get" : "owner freed",
			buf);
}

static void print_shadows(const struct report *rp, FILE *f)
{
	const struct shadow_snapshot *ss = rp->shadows;

	if (!ss && !rp->rec->shadow_events)
		return;
	fprintf(f, "\nShadow variables:\n");
	if (ss) {
		fprintf(f, "  at the end: %llu live, %llu orphans, %llu stale, %llu duplicates\n",
			(unsigned long long)ss->live, (unsigned long long)ss->orphans,
			(unsigned long long)ss->stale, (unsigned long long)ss->duplicates);
		print_shadow_ids(ss, f);
	}
	fprintf(f, "  events recorded: %llu orphan, %llu stale, %llu duplicate\n",
		(unsigned long long)rp->shadow_kinds[SHADOW_LEAK_ORPHAN],
		(unsigned long long)rp->shadow_kinds[SHADOW_LEAK_STALE],
		(unsigned long long)rp->shadow_kinds[SHADOW_LEAK_DUPLICATE]);
	for (size_t i = 0; i < rp->nleaks; i++)
		print_leak_group(rp, &rp->leaks[i], f);
	if (rp->leaks_ungrouped)
		fprintf(f, "  (%llu more events in further groups)\n",
			(unsigned long long)rp->leaks_ungrouped);
}

/* ---- drops ------------------------------------------------------------------ */

static void print_drops(const struct report *rp, FILE *f)
{
	json_object *d = rp->rec->drops;

	fprintf(f, "\nDrops: ");
	if (!d) {
		fprintf(f, "unknown (no drop counters recorded)\n");
		return;
	}
	fprintf(f, "%lld transition events, %lld blocker records, %lld shadow events%s\n",
		(long long)jint(d, "transition_events"), (long long)jint(d, "blockers"),
		(long long)jint(d, "shadow_events"),
		jint(d, "transition_events") || jint(d, "blockers") || jint(d, "shadow_events")
			? ": the story above is incomplete" : "");
}

void report__print_text(const struct report *rp, FILE *f)
{
	print_recording(rp, f);
	print_transitions(rp, f);
	print_costs(rp, f);
	print_convergence(rp, f);
	print_stragglers(rp, f);
	print_shadows(rp, f);
	print_drops(rp, f);
}
