// SPDX-License-Identifier: GPL-2.0
/* klptop shadow's text: the table of every interval and the leak summary
 * it prints as it exits. */
#include "render/output.h"
#include "render/blockers.h"

#include <stdio.h>

static const char *fmt_age(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (!ns)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
	return buf;
}

static void print_totals(const struct shadow_snapshot *ss, FILE *f)
{
	fprintf(f, "shadows: %llu live, %lld bytes, %llu orphans, %llu stale, %llu dup%s",
		(unsigned long long)ss->live, (long long)ss->bytes,
		(unsigned long long)ss->orphans, (unsigned long long)ss->stale,
		(unsigned long long)ss->duplicates, ss->leak_detection ? "" : "  (leak detection off)");
	/* Never silent: lost events and skipped probe hits are on every table. */
	if (ss->events_dropped)
		fprintf(f, "  DROPPED %llu events", (unsigned long long)ss->events_dropped);
	if (ss->missed)
		fprintf(f, "  MISSED %llu probe hits", (unsigned long long)ss->missed);
	fputc('\n', f);
	if (ss->scan_error)
		fprintf(f, "  note: %s\n", ss->scan_error);
	else if (ss->scanned)
		fprintf(f, "  %llu shadows existed before klptop (sizes unknown)%s\n",
			(unsigned long long)ss->preexisting,
			ss->scan_truncated ? ", scan truncated" : "");
}

/* Which free hooks run, for how many owners, and what the first shadows of
 * each watch waited (their owners' frees before the hook are not seen). */
static void print_free_hooks(const struct shadow_free_hooks *h, FILE *f)
{
	if (!h)
		return;
	fprintf(f, "  free hooks: kfree %s, kmem_cache_free %s (%llu owners)",
		h->kfree ? "on" : "off", h->kmem_cache_free ? "on" : "off",
		(unsigned long long)h->owners);
	if (h->unwatched)
		fprintf(f, "; %llu shadows made while their hook was off (waited up to %.1f ms)",
			(unsigned long long)h->unwatched, (double)h->arm_latency_max_ns / 1e6);
	fputc('\n', f);
	if (h->error)
		fprintf(f, "  free hooks: %s\n", h->error);
}

void shadow_snapshot__print_table(const struct shadow_snapshot *ss, FILE *f)
{
	char age[16];

	print_totals(ss, f);
	print_free_hooks(ss->free_hooks, f);
	fprintf(f, "%-12s %8s %10s %9s %9s %9s %7s %7s\n", "ID", "LIVE", "BYTES", "ALLOC/s",
		"FREE/s", "GROWTH/s", "OLDEST", "ORPHAN");
	for (size_t i = 0; i < ss->nids; i++) {
		const struct shadow_id_info *d = &ss->ids[i];

		fprintf(f, "0x%-10llx %8lld %10lld %9.1f %9.1f %9.2f %7s %7llu\n",
			(unsigned long long)d->id, (long long)d->live, (long long)d->bytes,
			d->allocs_per_s, d->frees_per_s, d->growth_per_s,
			fmt_age(d->oldest_age_ns, age, sizeof(age)), (unsigned long long)d->orphans);
	}
	for (size_t i = 0; i < ss->ngroups; i++) {
		const struct shadow_group *g = &ss->groups[i];

		fprintf(f, "  0x%llx by %-24.24s %8lld live %9.2f/s %s\n",
			(unsigned long long)g->id, g->module, (long long)g->live,
			g->growth_per_s, g->patch_gone ? " PATCH GONE" : "");
	}
	for (size_t i = 0; i < ss->nids; i++)
		if (ss->ids[i].ownership_text)
			fprintf(f, "  0x%llx %s: %s\n", (unsigned long long)ss->ids[i].id,
				shadow_ownership__name(ss->ids[i].ownership),
				ss->ids[i].ownership_text);
	fflush(f);
}

static void print_frames(FILE *f, const char *title, const struct stack_frame *fr, size_t n)
{
	fprintf(f, "    %s:\n", title);
	stack_frames__print(f, fr, n);
	if (!n)
		fprintf(f, "      (unknown)\n");
}

void shadow_snapshot__print_leaks(const struct shadow_snapshot *ss, FILE *f)
{
	fprintf(f, "Shadow leaks: %llu orphans, %llu stale hits, %llu duplicates",
		(unsigned long long)ss->orphans, (unsigned long long)ss->stale,
		(unsigned long long)ss->duplicates);
	fputc('\n', f);
	if (ss->events_dropped)
		fprintf(f, "  %llu events dropped (ring buffer full): the totals above are exact, "
			"the lines below miss those events\n", (unsigned long long)ss->events_dropped);
	if (ss->missed)
		fprintf(f, "  %llu probe hits missed (skipped by the kernel): the totals may be "
			"short by as many\n", (unsigned long long)ss->missed);
	else if (!ss->missed_counted)
		fprintf(f, "  this kernel does not count skipped kprobe programs: a miss there "
			"would not show\n");
	for (size_t i = 0; i < ss->nleaks; i++) {
		const struct shadow_leak *l = &ss->leaks[i];

		char owner[32];

		fprintf(f, "  %-9s id 0x%llx x%llu  module %s  owner %s, last %s, %llu bytes\n",
			shadow_leak_kind__name(l->kind), (unsigned long long)l->id,
			(unsigned long long)l->count, l->module, l->cache ? l->cache : "kmalloc",
			shadow_leak__owner(l, owner, sizeof(owner)), (unsigned long long)l->size);
		print_frames(f, l->kind == SHADOW_LEAK_DUPLICATE ? "failed alloc stack"
								 : "shadow alloc stack",
			     l->alloc_stack, l->nalloc_stack);
		if (l->kind == SHADOW_LEAK_ORPHAN && l->kfree_rcu)
			print_frames(f, "owner kfree_rcu() stack (freed after the grace period)",
				     l->free_stack, l->nfree_stack);
		else if (l->kind != SHADOW_LEAK_DUPLICATE)
			print_frames(f, "owner free stack", l->free_stack, l->nfree_stack);
	}
}
