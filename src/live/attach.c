// SPDX-License-Identifier: GPL-2.0
#include "live/attach.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "lib/util.h"

#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *attach__filter_functions(void)
{
	char *t = read_all("/sys/kernel/tracing/available_filter_functions", NULL);

	return t ? t : read_all("/sys/kernel/debug/tracing/available_filter_functions", NULL);
}

/* A whole line "fn" or "fn [module]" of available_filter_functions. */
static int listed(const char *text, const char *fn)
{
	size_t n = strlen(fn);

	for (const char *p = text; (p = strstr(p, fn)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* KLPTOP_DISABLE_ATTACH=a,b,...: attach points to treat as absent, so that a
 * kernel without them can be simulated (docs/troubleshooting.md). */
int attach__disabled(const char *point)
{
	const char *list = getenv("KLPTOP_DISABLE_ATTACH");
	size_t n = strlen(point);

	if (!list || !n)
		return 0;
	for (const char *p = list; *p; p += strcspn(p, ",")) {
		p += strspn(p, ", ");
		if (!strncmp(p, point, n) && (p[n] == ',' || p[n] == ' ' || !p[n]))
			return 1;
	}
	return 0;
}

int attach__kprobe_ok(const struct ksyms *ks, const char *filters, const char *fn)
{
	const struct ksym *s = ksyms__find_name(ks, fn, NULL);

	if (attach__disabled(fn))
		return 0;
	if (!s || !ksym_is_text(s))
		return 0;
	return !filters || listed(filters, fn);
}

const char *attach__kprobe_target(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	const char *slash = strchr(sec, '/');

	if (!slash || (strncmp(sec, "kprobe/", 7) && strncmp(sec, "kretprobe/", 10)))
		return NULL;
	return slash + 1;
}

/* What a missing attach point costs: the function name a kprobe or
 * kretprobe section names, or a point of KLPTOP_DISABLE_ATTACH. */
static const struct {
	const char *point;
	const char *lost;
} costs[] = {
	{ "klp_init_transition", "transition starts unseen: no start time or elapsed time, "
				 "blockers of successive transitions not told apart" },
	{ "klp_start_transition", "signal rounds may be miscounted without klp_signals_cnt" },
	{ "klp_try_complete_transition", "check rounds unseen: no round or signal-round "
					 "counts; status --rounds waits by time instead" },
	{ "klp_check_and_switch_task", "no blocking reasons (the fallback "
				       "klp_try_switch_task says only switched or not)" },
	{ "klp_try_switch_task", "the fallback for klp_check_and_switch_task is missing too: "
				 "switches by a stack check not counted" },
	{ "stack_trace_save_tsk_reliable", "no judged stacks: stacks come from the task "
					   "iterator or /proc" },
	{ "klp_update_patch_state", "switches at exit to user space and of idle tasks "
				    "not counted" },
	{ "klp_copy_process", "switches at fork not counted" },
	{ "klp_force_transition", "forces unseen: no list of tasks unsafe at the force" },
	{ "klp_reverse_transition", "reversals unseen" },
	{ "klp_cancel_transition", "cancelled transitions unseen" },
	{ "klp_complete_transition", "completions unseen: no history of ended transitions, "
				     "no completing state (RCU-tasks verdict)" },
	{ "klp_shadow_alloc", "shadow allocations by klp_shadow_alloc uncounted" },
	{ "klp_shadow_get_or_alloc", "shadow allocations by klp_shadow_get_or_alloc "
				     "uncounted" },
	{ "klp_shadow_get", "no stale shadow hits" },
	{ "klp_shadow_free_struct", "shadow frees followed through klp_shadow_free "
				    "(klp_shadow_free_all unseen)" },
	{ "klp_shadow_free", "shadow frees uncounted" },
	{ "rcu_free_sheaf", "owners freed with kfree_rcu() through full sheaves: orphans "
			    "unseen until the memory is reused" },
	{ "rcu_free_sheaf_nobarn", "owners freed with kfree_rcu() through flushed sheaves: "
				   "orphans unseen until the memory is reused" },
	{ "iter/task", "tasks read from /proc: slower, no RCU-tasks holdouts, no "
		       "ftrace_lock check" },
	{ "perf_event", "no on-CPU stacks of running blockers" },
};

/* The attach point an entry of probes.missing names: "kprobe/F",
 * "shadow: kprobe/F" and "F (why)" all name F. */
static void point_of(const char *missing, char *buf, size_t len)
{
	const char *p = missing;

	if (!strncmp(p, "shadow: ", 8))
		p += 8;
	if (!strncmp(p, "kprobe/", 7) || !strncmp(p, "kretprobe/", 10) ||
	    !strncmp(p, "raw_tp/", 7))
		p = strchr(p, '/') + 1;
	snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
}

const char *attach__lost(const char *missing)
{
	char point[128];

	point_of(missing, point, sizeof(point));
	for (size_t i = 0; i < sizeof(costs) / sizeof(costs[0]); i++)
		if (!strcmp(point, costs[i].point))
			return costs[i].lost;
	return NULL;
}

void probe_status__warn_missing(const struct probe_status *ps)
{
	for (size_t i = 0; i < ps->nmissing; i++) {
		const char *m = ps->missing[i], *lost = attach__lost(m);
		char point[128];

		/* A kretprobe goes with its kprobe: one line for the function. */
		if (strstr(m, "kretprobe/")) {
			char entry[160];

			snprintf(entry, sizeof(entry), "%.*skprobe/%s", (int)(strstr(m, "kretprobe/") - m),
				 m, strstr(m, "kretprobe/") + 10);
			if (probe_status__has_missing(ps, entry))
				continue;
		}
		point_of(m, point, sizeof(point));
		if (lost || !strchr(m, ' '))
			p_warn("probe %s %s%s%s", m,
			       attach__disabled(point) ? "disabled by KLPTOP_DISABLE_ATTACH" :
							 "not available on this kernel",
			       lost ? ": " : "", lost ? lost : "");
		else /* it says what it is and what it costs */
			p_warn("missing: %s", m);
	}
}

int probe_status__has_missing(const struct probe_status *ps, const char *what)
{
	for (size_t i = 0; i < ps->nmissing; i++)
		if (!strcmp(ps->missing[i], what))
			return 1;
	return 0;
}

void probe_status__add_missing(struct probe_status *ps, const char *what)
{
	ps->missing = xrealloc(ps->missing, (ps->nmissing + 1) * sizeof(*ps->missing));
	ps->missing[ps->nmissing++] = xstrdup(what);
}
