// SPDX-License-Identifier: GPL-2.0
/* The Prometheus exposition (src/render/metrics.c): label escaping, the exact
 * lines of a hand-built snapshot, HELP and TYPE once per family, only known
 * values, a kernel without live patching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buildinfo.h"
#include "render/metrics.h"
#include "model/model.h"

/* Every family the exposition has, with its type (docs/metrics.md). */
static const char *const families[][2] = {
	{ "klptop_build_info", "gauge" },
	{ "klptop_kernel_info", "gauge" },
	{ "klptop_livepatch_supported", "gauge" },
	{ "klptop_bpf_up", "gauge" },
	{ "klptop_probe_missing", "gauge" },
	{ "klptop_livepatch_tainted", "gauge" },
	{ "klptop_patch_enabled", "gauge" },
	{ "klptop_patch_transition", "gauge" },
	{ "klptop_patch_forced", "gauge" },
	{ "klptop_transition_tasks", "gauge" },
	{ "klptop_transition_pending_tasks", "gauge" },
	{ "klptop_transition_blocked_tasks", "gauge" },
	{ "klptop_transition_stuck_tasks", "gauge" },
	{ "klptop_transition_never_switch_tasks", "gauge" },
	{ "klptop_transition_seconds", "gauge" },
	{ "klptop_transition_rounds_total", "counter" },
	{ "klptop_transition_signal_rounds_total", "counter" },
	{ "klptop_shadow_live", "gauge" },
	{ "klptop_shadow_bytes", "gauge" },
	{ "klptop_shadow_orphans_total", "counter" },
	{ "klptop_shadow_abandoned", "gauge" },
	{ "klptop_shadow_id_conflict", "gauge" },
	{ "klptop_events_dropped_total", "counter" },
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

static char *render(const struct snapshot *s, const struct metrics_extra *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics__render_ex(s, x, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

#define assert_line(text, line) \
	do { \
		if (!has_line(text, line)) \
			fail_msg("line missing: %s\n--- output ---\n%s", line, text); \
	} while (0)
#define assert_no_line(text, prefix) \
	do { \
		if (strstr(text, "\n" prefix)) \
			fail_msg("unexpected: %s\n--- output ---\n%s", prefix, text); \
	} while (0)

/* The version this build exports (one object holds it: lib/buildinfo.c). */
static void assert_build_info(const char *t)
{
	char line[256];

	snprintf(line, sizeof(line), "klptop_build_info{version=\"%s\"} 1", klptop_version);
	assert_line(t, line);
}

static char *escaped(const char *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	metrics__put_label_value(f, v);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void label_escaping(void **state)
{
	char *e;

	e = escaped("plain_name-1.2");
	assert_string_equal(e, "plain_name-1.2");
	free(e);
	e = escaped("a\\b\"c\nd");
	assert_string_equal(e, "a\\\\b\\\"c\\nd");
	free(e);
	e = escaped("\\\\\n\n\"");
	assert_string_equal(e, "\\\\\\\\\\n\\n\\\"");
	free(e);
	e = escaped("");
	assert_string_equal(e, "");
	free(e);
	e = escaped(NULL);
	assert_string_equal(e, "");
	free(e);
}

/* ---- a hand-built snapshot: a spinning kthread blocks klpt_lp_fix ---------- */

static struct patch_info patches[2];
static struct pending_task pending[4];
static struct transition_info tr;
static struct shadow_group groups[2];
static struct shadow_id_info ids[2];
static struct shadow_user users[2];
static struct shadow_snapshot shadows;
static char *missing[] = { "kprobe/klp_try_switch_task", "odd \"point\"\n2" };
static struct transition_summary history[1];

static void build(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	memset(pending, 0, sizeof(pending));
	snprintf(s->kernel.release, sizeof(s->kernel.release), "6.1.0-99-amd64");
	s->kernel.livepatch = 1;
	s->kernel.taint_livepatch = 1;
	s->probes.bpf = 1;
	s->probes.missing = missing;
	s->probes.nmissing = 2;

	patches[0] = (struct patch_info){ .name = "klpt_lp_fix", .enabled = 1, .transition = 1,
					  .replace = -1, .forced = -1 };
	patches[1] = (struct patch_info){ .name = "klpt_lp_old", .enabled = 0, .transition = 0,
					  .replace = -1, .forced = -1 };
	s->patches = patches;
	s->npatches = 2;
	history[0] = (struct transition_summary){ .patch = "klpt_lp_old", .outcome = "forced" };
	s->history = history;
	s->nhistory = 1;

	pending[0].reason = REASON_RUNNING;
	pending[0].verdict = VERDICT_STUCK;
	pending[0].never = NEVER_ISOLATED_CPU;
	pending[0].kthread = 1;
	pending[1].reason = REASON_SLEEPING_ON;
	pending[1].verdict = VERDICT_NEEDS_SIGNAL;
	pending[2].reason = REASON_UNKNOWN;
	pending[3].reason = REASON_RUNNING;
	pending[3].verdict = VERDICT_WILL_SWITCH;
	tr = (struct transition_info){
		.patch = "klpt_lp_fix", .target = KLP_PATCHED, .tasks_total = 120,
		/* 5 pending, 4 listed: the fifth counts as unknown */
		.tasks_pending = 5, .tasks = pending, .ntasks = 4,
		.observed = 1, .start_ns = 1000, .elapsed_ns = 754250000000ull,
		.rounds = 754, .signal_rounds = 50,
	};
	s->transition = &tr;

	groups[0] = (struct shadow_group){ .id = 0x2a, .module = "klpt_lp_shadow_leak",
					   .live = 1500, .bytes = 96000 };
	groups[1] = (struct shadow_group){ .id = 0x2a, .module = "?", .live = 3, .bytes = 0 };
	ids[0] = (struct shadow_id_info){ .id = 0x2a, .live = 1503, .orphans = 17,
					  .ownership = SHADOW_OWN_ABANDONED };
	ids[1] = (struct shadow_id_info){ .id = 0x7, .live = 0, .orphans = 0,
					  .ownership = SHADOW_OWN_CONFLICT };
	users[0] = (struct shadow_user){ .id = 0x2a, .module = "klpt_lp_shadow_leak",
					 .patch = SHADOW_PATCH_REPLACED, .live = 1500 };
	users[1] = (struct shadow_user){ .id = 0x2a, .module = "?", .live = 3 };
	shadows = (struct shadow_snapshot){ .attached = 1, .leak_detection = 1,
					    .events_dropped = 4, .groups = groups, .ngroups = 2,
					    .ids = ids, .nids = 2, .users = users, .nusers = 2 };
	s->shadows = &shadows;
}

static void snapshot_lines(void **state)
{
	struct metrics_extra x = { .transition_events_dropped = 2, .blockers_dropped = 0 };
	struct snapshot s;
	char *t;

	build(&s);
	t = render(&s, &x);
	assert_line(t, "klptop_bpf_up 1");
	assert_line(t, "klptop_livepatch_tainted 1");
	assert_line(t, "klptop_probe_missing{point=\"kprobe/klp_try_switch_task\"} 1");
	assert_line(t, "klptop_probe_missing{point=\"odd \\\"point\\\"\\n2\"} 1");
	assert_line(t, "klptop_patch_enabled{patch=\"klpt_lp_fix\"} 1");
	assert_line(t, "klptop_patch_enabled{patch=\"klpt_lp_old\"} 0");
	assert_line(t, "klptop_patch_transition{patch=\"klpt_lp_fix\"} 1");
	assert_line(t, "klptop_patch_transition{patch=\"klpt_lp_old\"} 0");
	/* forced: known only for the patch whose forced transition klptop saw */
	assert_line(t, "klptop_patch_forced{patch=\"klpt_lp_old\"} 1");
	assert_no_line(t, "klptop_patch_forced{patch=\"klpt_lp_fix\"}");
	assert_line(t, "klptop_transition_tasks{patch=\"klpt_lp_fix\"} 120");
	assert_line(t, "klptop_transition_pending_tasks{patch=\"klpt_lp_fix\",target=\"patched\"} 5");
	assert_line(t, "klptop_transition_blocked_tasks{patch=\"klpt_lp_fix\",reason=\"running\"} 2");
	assert_line(t, "klptop_transition_blocked_tasks{patch=\"klpt_lp_fix\",reason=\"sleeping_on\"} 1");
	assert_line(t, "klptop_transition_blocked_tasks{patch=\"klpt_lp_fix\",reason=\"unreliable_stack\"} 0");
	assert_line(t, "klptop_transition_blocked_tasks{patch=\"klpt_lp_fix\",reason=\"unknown\"} 2");
	assert_line(t, "klptop_transition_stuck_tasks{patch=\"klpt_lp_fix\"} 1");
	assert_line(t, "klptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\",cause=\"isolated_cpu\"} 1");
	assert_line(t, "klptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\",cause=\"busy_kthread\"} 0");
	assert_line(t, "klptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\",cause=\"uninterruptible_wait\"} 0");
	assert_line(t, "klptop_transition_seconds{patch=\"klpt_lp_fix\"} 754.250");
	assert_line(t, "klptop_transition_rounds_total{patch=\"klpt_lp_fix\"} 754");
	assert_line(t, "klptop_transition_signal_rounds_total{patch=\"klpt_lp_fix\"} 50");
	assert_line(t, "klptop_shadow_live{id=\"0x2a\",module=\"klpt_lp_shadow_leak\"} 1500");
	assert_line(t, "klptop_shadow_live{id=\"0x2a\",module=\"?\"} 3");
	assert_line(t, "klptop_shadow_bytes{id=\"0x2a\",module=\"klpt_lp_shadow_leak\"} 96000");
	assert_line(t, "klptop_shadow_orphans_total{id=\"0x2a\"} 17");
	assert_line(t, "klptop_shadow_orphans_total{id=\"0x7\"} 0");
	/* The replaced patch's shadows; not the unknown ones. */
	assert_line(t, "klptop_shadow_abandoned{id=\"0x2a\",module=\"klpt_lp_shadow_leak\","
		       "patch=\"replaced\"} 1500");
	assert_no_line(t, "klptop_shadow_abandoned{id=\"0x2a\",module=\"?\"");
	assert_line(t, "klptop_shadow_id_conflict{id=\"0x2a\"} 0");
	assert_line(t, "klptop_shadow_id_conflict{id=\"0x7\"} 1");
	assert_line(t, "klptop_events_dropped_total{probe=\"shadow\"} 4");
	assert_line(t, "klptop_events_dropped_total{probe=\"transition\"} 2");
	assert_line(t, "klptop_events_dropped_total{probe=\"blocker_map\"} 0");
	assert_build_info(t);
	assert_line(t, "klptop_kernel_info{release=\"6.1.0-99-amd64\"} 1");
	assert_line(t, "klptop_livepatch_supported 1");
	free(t);
}

/* Unknown is absent, not 0 or -1: no transition, a transition klptop joined
 * late (no start, no rounds), no BPF, no leak detection. */
static void only_known_values(void **state)
{
	struct snapshot s;
	char *t;

	build(&s);
	tr.observed = 0;
	tr.start_ns = 0;
	shadows.leak_detection = 0;
	t = render(&s, NULL);
	assert_line(t, "klptop_transition_pending_tasks{patch=\"klpt_lp_fix\",target=\"patched\"} 5");
	/* the kernel's check results: only the probes see them */
	assert_no_line(t, "klptop_transition_blocked_tasks{");
	assert_no_line(t, "klptop_transition_stuck_tasks{");
	assert_no_line(t, "klptop_transition_never_switch_tasks{");
	assert_no_line(t, "klptop_transition_seconds{");
	assert_no_line(t, "klptop_transition_rounds_total{");
	assert_no_line(t, "klptop_transition_signal_rounds_total{");
	assert_no_line(t, "klptop_shadow_orphans_total{");
	assert_no_line(t, "klptop_events_dropped_total{probe=\"transition\"}");
	assert_line(t, "klptop_shadow_live{id=\"0x2a\",module=\"?\"} 3");
	free(t);

	build(&s);
	s.transition = NULL;
	s.shadows = NULL;
	s.probes.bpf = 0;
	s.probes.nmissing = 0;
	s.nhistory = 0;
	patches[0].transition = 0;
	patches[0].forced = 0;   /* known not forced */
	t = render(&s, NULL);
	assert_line(t, "klptop_bpf_up 0");
	assert_line(t, "klptop_patch_forced{patch=\"klpt_lp_fix\"} 0");
	assert_no_line(t, "klptop_patch_forced{patch=\"klpt_lp_old\"}");
	assert_no_line(t, "klptop_transition_");
	assert_no_line(t, "klptop_shadow_");
	assert_no_line(t, "klptop_probe_missing{");
	assert_no_line(t, "klptop_events_dropped_total{");
	free(t);
}

static int family_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (strlen(families[i][0]) == len && !strncmp(families[i][0], name, len))
			return (int)i;
	return -1;
}

/* Each family: one HELP and one TYPE (with the documented type), before its
 * samples, which are contiguous; nothing outside the documented families. */
static void check_families(const char *text)
{
	int help[NFAMILIES] = { 0 }, type[NFAMILIES] = { 0 }, done[NFAMILIES] = { 0 };
	int current = -1;
	char *copy = strdup(text), *save = NULL;

	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[128], kind[32];
		int i;

		if (sscanf(l, "# HELP %127s", name) == 1) {
			i = family_index(name, strlen(name));
			if (i < 0)
				fail_msg("HELP of an undocumented family: %s", l);
			help[i]++;
			if (current >= 0)
				done[current] = 1;
			current = i;
			continue;
		}
		if (sscanf(l, "# TYPE %127s %31s", name, kind) == 2) {
			i = family_index(name, strlen(name));
			if (i != current)
				fail_msg("TYPE not right after its HELP: %s", l);
			assert_string_equal(kind, families[i][1]);
			type[i]++;
			continue;
		}
		if (l[0] == '#')
			fail_msg("unexpected comment: %s", l);
		i = family_index(l, strcspn(l, "{ "));
		if (i < 0 || i != current || done[i])
			fail_msg("sample outside its family's block: %s", l);
		/* a value after the name or the closing brace */
		assert_non_null(strchr(l, ' '));
	}
	for (size_t i = 0; i < NFAMILIES; i++) {
		if (help[i] != 1 || type[i] != 1)
			fail_msg("%s: %d HELP and %d TYPE lines, want 1 each", families[i][0],
				 help[i], type[i]);
	}
	free(copy);
}

static void help_and_type_once(void **state)
{
	struct metrics_extra x = { 0 };
	struct snapshot s;
	char *t;

	build(&s);
	t = render(&s, &x);
	check_families(t);
	free(t);
	/* and with almost nothing to say */
	build(&s);
	s.transition = NULL;
	s.shadows = NULL;
	s.npatches = 0;
	s.probes.nmissing = 0;
	t = render(&s, NULL);
	check_families(t);
	free(t);
}

/* What transitions cost, as Prometheus histograms: cumulative buckets in
 * seconds, _sum and _count; absent without the transition probes. */
static void cost_histograms(void **state)
{
	struct cost_totals totals = { 0 };
	struct metrics_extra x = { .totals = &totals };
	struct snapshot s;
	char *t;

	hist__add(&totals.rounds, HIST_ROUND, 8000, 1);       /* 8 us */
	hist__add(&totals.rounds, HIST_ROUND, 80000, 1);      /* 80 us */
	hist__add(&totals.rounds, HIST_ROUND, 2000000, 1);    /* 2 ms */
	hist__add(&totals.transitions, HIST_TRANSITION, 7300000000ull, 1);  /* 7.3 s */
	build(&s);
	t = render(&s, &x);
	assert_true(has_line(t, "# TYPE klptop_transition_round_duration_seconds histogram"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"1e-05\"} 1"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"5e-05\"} 1"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"0.0001\"} 2"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"0.001\"} 2"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"0.005\"} 3"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"1\"} 3"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_bucket{le=\"+Inf\"} 3"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_sum 0.002088000"));
	assert_true(has_line(t, "klptop_transition_round_duration_seconds_count 3"));
	assert_true(has_line(t, "klptop_transition_duration_seconds_bucket{le=\"5\"} 0"));
	assert_true(has_line(t, "klptop_transition_duration_seconds_bucket{le=\"10\"} 1"));
	assert_true(has_line(t, "klptop_transition_duration_seconds_count 1"));
	free(t);
	build(&s);
	x.totals = NULL;
	t = render(&s, &x);
	assert_null(strstr(t, "duration_seconds"));
	free(t);
}

/* A kernel without live patching: klptop says so and why, and exports
 * nothing that needs live patching, not even klptop_bpf_up. */
static void no_livepatch(void **state)
{
	struct snapshot s;
	char *t;

	memset(&s, 0, sizeof(s));
	snprintf(s.kernel.release, sizeof(s.kernel.release), "6.1.0-99-amd64");
	snprintf(s.kernel.livepatch_why_not, sizeof(s.kernel.livepatch_why_not),
		 "/sys/kernel/livepatch is missing (CONFIG_LIVEPATCH is not set)");
	t = render(&s, NULL);
	assert_line(t, "klptop_livepatch_supported{reason=\"/sys/kernel/livepatch is missing "
		       "(CONFIG_LIVEPATCH is not set)\"} 0");
	assert_build_info(t);
	assert_line(t, "klptop_kernel_info{release=\"6.1.0-99-amd64\"} 1");
	assert_line(t, "klptop_livepatch_tainted 0");
	assert_no_line(t, "klptop_bpf_up");
	assert_no_line(t, "klptop_patch_");
	assert_no_line(t, "klptop_transition_");
	assert_no_line(t, "klptop_shadow_");
	assert_no_line(t, "klptop_events_dropped_total{");
	check_families(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cost_histograms),
		cmocka_unit_test(label_escaping),
		cmocka_unit_test(snapshot_lines),
		cmocka_unit_test(only_known_values),
		cmocka_unit_test(help_and_type_once),
		cmocka_unit_test(no_livepatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
