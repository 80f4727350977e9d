// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition (format 0.0.4) of a snapshot: what
 * `klptop metrics` prints, writes for node_exporter's textfile collector and
 * serves on /metrics. Pure: no I/O but the FILE it is given. Every family is
 * documented in docs/metrics.md; rename one only with the alert rules in
 * docs/klptop-alerts.yml.
 */
#include "render/metrics.h"
#include "lib/buildinfo.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>


#define NREASONS (REASON_UNRELIABLE + 1)

void metrics__put_label_value(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		switch (*v) {
		case '\\': fputs("\\\\", f); break;
		case '"': fputs("\\\"", f); break;
		case '\n': fputs("\\n", f); break;
		default: fputc(*v, f); break;
		}
	}
}

/* "# HELP" and "# TYPE" of one family; help texts are constants without
 * backslashes or newlines, so they need no escaping. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="value",...} VALUE: labels are key, value pairs ending in NULL. */
static void vsample(FILE *f, const char *name, const char *value, va_list ap)
{
	const char *key;
	int n = 0;

	fputs(name, f);
	while ((key = va_arg(ap, const char *))) {
		fprintf(f, "%s%s=\"", n++ ? "," : "{", key);
		metrics__put_label_value(f, va_arg(ap, const char *));
		fputc('"', f);
	}
	fprintf(f, "%s %s\n", n ? "}" : "", value);
}

static void sample_u64(FILE *f, const char *name, uint64_t v, ...)
{
	char buf[32];
	va_list ap;

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	va_start(ap, v);
	vsample(f, name, buf, ap);
	va_end(ap);
}

static void sample_i64(FILE *f, const char *name, int64_t v, ...)
{
	char buf[32];
	va_list ap;

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	va_start(ap, v);
	vsample(f, name, buf, ap);
	va_end(ap);
}

static void sample_seconds(FILE *f, const char *name, uint64_t ns, ...)
{
	char buf[32];
	va_list ap;

	snprintf(buf, sizeof(buf), "%.3f", (double)ns / 1e9);
	va_start(ap, ns);
	vsample(f, name, buf, ap);
	va_end(ap);
}

/* What klptop and the kernel are, and whether live patching can be watched
 * at all: a host without it exports that and why (a fleet-wide unit keeps
 * running there), and nothing that needs it. */
static void render_host(const struct snapshot *s, FILE *f)
{
	family(f, "klptop_build_info", "gauge", "klptop's version (always 1).");
	sample_u64(f, "klptop_build_info", 1, "version", klptop_version, NULL);
	family(f, "klptop_kernel_info", "gauge", "The running kernel's release (always 1).");
	sample_u64(f, "klptop_kernel_info", 1, "release", s->kernel.release, NULL);
	family(f, "klptop_livepatch_supported", "gauge",
	       "1 if the kernel has live patching; 0, with the reason, if not.");
	if (s->kernel.livepatch)
		sample_u64(f, "klptop_livepatch_supported", 1, NULL);
	else
		sample_u64(f, "klptop_livepatch_supported", 0, "reason",
			   s->kernel.livepatch_why_not, NULL);
	family(f, "klptop_bpf_up", "gauge",
	       "1 if klptop's BPF probes are attached, 0 if it reads sysfs and procfs only.");
	if (s->kernel.livepatch)
		sample_u64(f, "klptop_bpf_up", s->probes.bpf ? 1 : 0, NULL);
	family(f, "klptop_probe_missing", "gauge",
	       "1 for each attach point absent on this kernel (what it gave is unknown).");
	for (size_t i = 0; i < s->probes.nmissing; i++)
		sample_u64(f, "klptop_probe_missing", 1, "point", s->probes.missing[i], NULL);
	family(f, "klptop_livepatch_tainted", "gauge",
	       "1 if the kernel is tainted by a live patch (taint bit 15, K).");
	sample_u64(f, "klptop_livepatch_tainted", s->kernel.taint_livepatch ? 1 : 0, NULL);
}

/* 1 or 0 when known: sysfs does not say, BPF sees klp_force_transition. */
static int patch_forced(const struct snapshot *s, const struct patch_info *pi)
{
	if (pi->forced >= 0)
		return pi->forced;
	for (size_t i = 0; i < s->nhistory; i++)
		if (s->history[i].patch && !strcmp(s->history[i].patch, pi->name) &&
		    s->history[i].outcome && !strcmp(s->history[i].outcome, "forced"))
			return 1;
	if (s->transition && s->transition->forced && s->transition->patch &&
	    !strcmp(s->transition->patch, pi->name))
		return 1;
	return -1;
}

static void render_patches(const struct snapshot *s, FILE *f)
{
	family(f, "klptop_patch_enabled", "gauge", "1 if the live patch is enabled.");
	for (size_t i = 0; i < s->npatches; i++)
		sample_u64(f, "klptop_patch_enabled", s->patches[i].enabled ? 1 : 0,
			   "patch", s->patches[i].name, NULL);
	family(f, "klptop_patch_transition", "gauge",
	       "1 while the live patch is in transition (sysfs transition file).");
	for (size_t i = 0; i < s->npatches; i++)
		sample_u64(f, "klptop_patch_transition", s->patches[i].transition ? 1 : 0,
			   "patch", s->patches[i].name, NULL);
	family(f, "klptop_patch_forced", "gauge",
	       "1 if the live patch's transition was forced (its module can never be "
	       "unloaded); absent when unknown.");
	for (size_t i = 0; i < s->npatches; i++) {
		int forced = patch_forced(s, &s->patches[i]);

		if (forced >= 0)
			sample_u64(f, "klptop_patch_forced", (uint64_t)forced,
				   "patch", s->patches[i].name, NULL);
	}
}

static void render_transition(const struct snapshot *s, FILE *f)
{
	const struct transition_info *tr = s->transition;
	uint64_t reasons[NREASONS] = { 0 }, stuck = 0, listed = 0, never[NEVER_CAUSE_COUNT] = { 0 };
	const char *p = tr && tr->patch ? tr->patch : "";

	if (tr) {
		for (size_t i = 0; i < tr->ntasks; i++) {
			const struct pending_task *t = &tr->tasks[i];

			reasons[(unsigned int)t->reason < NREASONS ? t->reason : REASON_UNKNOWN]++;
			stuck += t->verdict == VERDICT_STUCK;
			never[(unsigned int)t->never < NEVER_CAUSE_COUNT ? t->never : NEVER_NONE]++;
			listed++;
		}
		/* Pending tasks the scan counted but did not list: not examined. */
		if (tr->tasks_pending > listed)
			reasons[REASON_UNKNOWN] += tr->tasks_pending - listed;
	}
	family(f, "klptop_transition_tasks", "gauge",
	       "Tasks (threads, idle tasks included) in the running transition.");
	if (tr)
		sample_u64(f, "klptop_transition_tasks", tr->tasks_total, "patch", p, NULL);
	family(f, "klptop_transition_pending_tasks", "gauge",
	       "Tasks not yet switched to the target state of the running transition.");
	if (tr)
		sample_u64(f, "klptop_transition_pending_tasks", tr->tasks_pending, "patch", p,
			   "target", klp_state__name(tr->target), NULL);
	/* Reasons and verdicts come from the kernel's checks, which only the
	 * probes see: without them, no zeros that would look like "nothing
	 * blocks" (the pending count above is known either way). */
	family(f, "klptop_transition_blocked_tasks", "gauge",
	       "Pending tasks by the kernel's last check result (unknown: not examined "
	       "yet); only with BPF.");
	for (int r = 0; tr && tr->observed && r < NREASONS; r++)
		sample_u64(f, "klptop_transition_blocked_tasks", reasons[r], "patch", p,
			   "reason", reason__name((enum block_reason)r), NULL);
	family(f, "klptop_transition_stuck_tasks", "gauge",
	       "Pending tasks for which waiting will not help (e.g. a kthread always "
	       "running); only with BPF.");
	if (tr && tr->observed)
		sample_u64(f, "klptop_transition_stuck_tasks", stuck, "patch", p, NULL);
	family(f, "klptop_transition_never_switch_tasks", "gauge",
	       "Pending tasks that will never switch by themselves, by cause (isolated_cpu, "
	       "busy_kthread, uninterruptible_wait); only with BPF.");
	for (int c = NEVER_NONE + 1; tr && tr->observed && c < NEVER_CAUSE_COUNT; c++)
		sample_u64(f, "klptop_transition_never_switch_tasks", never[c], "patch", p,
			   "cause", never_cause__name((enum never_cause)c), NULL);
	family(f, "klptop_transition_seconds", "gauge",
	       "Seconds since the running transition started (when klptop saw it start).");
	if (tr && tr->observed && tr->start_ns)
		sample_seconds(f, "klptop_transition_seconds", tr->elapsed_ns, "patch", p, NULL);
	family(f, "klptop_transition_rounds_total", "counter",
	       "Completion attempts (klp_try_complete_transition) of the running transition.");
	if (tr && tr->observed)
		sample_u64(f, "klptop_transition_rounds_total", tr->rounds, "patch", p, NULL);
	family(f, "klptop_transition_signal_rounds_total", "counter",
	       "Rounds of the running transition that sent fake signals (every 15th).");
	if (tr && tr->observed)
		sample_u64(f, "klptop_transition_signal_rounds_total", tr->signal_rounds,
			   "patch", p, NULL);
}

/* Who owns a shadow id (docs/shadow.md): shadows left by a patch that is no
 * longer enabled and that no enabled patch uses; ids two modules allocate
 * differently. Ids whose makers are unknown are absent. */
static void render_shadow_owners(const struct shadow_snapshot *ss, FILE *f)
{
	char id[24];

	family(f, "klptop_shadow_abandoned", "gauge",
	       "Live shadow variables whose patch is no longer enabled and that no enabled "
	       "patch uses, by id, module and what became of the patch.");
	for (size_t i = 0; ss && i < ss->nids; i++) {
		if (ss->ids[i].ownership != SHADOW_OWN_ABANDONED)
			continue;
		snprintf(id, sizeof(id), "0x%" PRIx64, ss->ids[i].id);
		for (size_t j = 0; j < ss->nusers; j++) {
			const struct shadow_user *u = &ss->users[j];
			const char *state = shadow_patch_state__name(u->patch);

			if (u->id == ss->ids[i].id && u->live > 0 && state &&
			    (u->patch == SHADOW_PATCH_DISABLED || u->patch == SHADOW_PATCH_REPLACED ||
			     u->patch == SHADOW_PATCH_UNLOADED))
				sample_i64(f, "klptop_shadow_abandoned", u->live, "id", id,
					   "module", u->module, "patch", state, NULL);
		}
	}
	family(f, "klptop_shadow_id_conflict", "gauge",
	       "1 when two modules allocate a shadow id with different sizes or constructors.");
	for (size_t i = 0; ss && i < ss->nids; i++) {
		if (ss->ids[i].ownership == SHADOW_OWN_UNKNOWN)
			continue;
		snprintf(id, sizeof(id), "0x%" PRIx64, ss->ids[i].id);
		sample_u64(f, "klptop_shadow_id_conflict",
			   ss->ids[i].ownership == SHADOW_OWN_CONFLICT, "id", id, NULL);
	}
}

static void render_shadows(const struct snapshot *s, const struct metrics_extra *x, FILE *f)
{
	const struct shadow_snapshot *ss = s->shadows && s->shadows->attached ? s->shadows : NULL;
	char id[24];

	family(f, "klptop_shadow_live", "gauge",
	       "Live shadow variables by shadow id and allocating module.");
	for (size_t i = 0; ss && i < ss->ngroups; i++) {
		snprintf(id, sizeof(id), "0x%" PRIx64, ss->groups[i].id);
		sample_i64(f, "klptop_shadow_live", ss->groups[i].live, "id", id,
			   "module", ss->groups[i].module, NULL);
	}
	family(f, "klptop_shadow_bytes", "gauge",
	       "Data bytes of live shadow variables by id and module (0 for sizes unknown).");
	for (size_t i = 0; ss && i < ss->ngroups; i++) {
		snprintf(id, sizeof(id), "0x%" PRIx64, ss->groups[i].id);
		sample_i64(f, "klptop_shadow_bytes", ss->groups[i].bytes, "id", id,
			   "module", ss->groups[i].module, NULL);
	}
	family(f, "klptop_shadow_orphans_total", "counter",
	       "Owners freed with a shadow variable still attached, since klptop started.");
	for (size_t i = 0; ss && ss->leak_detection && i < ss->nids; i++) {
		snprintf(id, sizeof(id), "0x%" PRIx64, ss->ids[i].id);
		sample_u64(f, "klptop_shadow_orphans_total", ss->ids[i].orphans, "id", id, NULL);
	}
	render_shadow_owners(ss, f);
	family(f, "klptop_events_dropped_total", "counter",
	       "BPF events lost because a ring buffer was full, by probe set.");
	if (x && s->probes.bpf) {
		sample_u64(f, "klptop_events_dropped_total", x->transition_events_dropped,
			   "probe", "transition", NULL);
		sample_u64(f, "klptop_events_dropped_total", x->blockers_dropped,
			   "probe", "blocker_map", NULL);
	}
	if (ss)
		sample_u64(f, "klptop_events_dropped_total", ss->events_dropped,
			   "probe", "shadow", NULL);
}

/* A histogram family: cumulative buckets up to +Inf, then _sum and _count
 * (text format 0.0.4). */
static void histogram(FILE *f, const char *name, const char *help, const struct duration_hist *h,
		      enum hist_kind kind)
{
	char metric[96], le[32];
	unsigned int n;
	const uint64_t *b = hist__bounds(kind, &n);

	family(f, name, "histogram", help);
	snprintf(metric, sizeof(metric), "%s_bucket", name);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(le, sizeof(le), "%g", (double)b[i] / 1e9);
		sample_u64(f, metric, hist__cumulative(h, i), "le", le, NULL);
	}
	sample_u64(f, metric, h->n, "le", "+Inf", NULL);
	snprintf(metric, sizeof(metric), "%s_sum", name);
	fprintf(f, "%s %.9f\n", metric, (double)h->sum_ns / 1e9);
	snprintf(metric, sizeof(metric), "%s_count", name);
	sample_u64(f, metric, h->n, NULL);
}

/* What transitions cost, over everything this klptop saw: only with the
 * transition probes (without them nothing was timed: absent, not 0). */
static void render_costs(const struct metrics_extra *x, FILE *f)
{
	if (!x || !x->totals)
		return;
	histogram(f, "klptop_transition_round_duration_seconds",
		  "Duration of each transition round (klp_try_complete_transition walks every "
		  "task under tasklist_lock), every round timed since klptop started.",
		  &x->totals->rounds, HIST_ROUND);
	histogram(f, "klptop_transition_duration_seconds",
		  "Duration of each transition from klp_init_transition to its completion, "
		  "every one klptop saw start since it started.",
		  &x->totals->transitions, HIST_TRANSITION);
}

int metrics__render_ex(const struct snapshot *s, const struct metrics_extra *extra, FILE *f)
{
	render_host(s, f);
	render_patches(s, f);
	render_transition(s, f);
	render_costs(extra, f);
	render_shadows(s, extra, f);
	return ferror(f) ? -EIO : 0;
}

int metrics__render(const struct snapshot *s, FILE *f)
{
	return metrics__render_ex(s, NULL, f);
}
