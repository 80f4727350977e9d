// SPDX-License-Identifier: GPL-2.0
/* Stragglers that look the same, grouped as the live view groups blockers
 * (model/groups.c): a report of a stall of 10,000 tasks asleep in one
 * function is a few rows with counts, not 10,000 paragraphs. The key is
 * what a reader tells tasks apart by: patch, comm pattern, kernel thread
 * or not, reason, function, why it will never switch, judged stack, and
 * how its story ended. */
#include "recording/report_model.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

struct straggler_ref {
	const struct report_task *t;
	size_t index;
	char comm[16];            /* comm__pattern of its comm */
};

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_frames(const struct stack_frame *a, size_t na, const struct stack_frame *b,
		      size_t nb)
{
	int c;

	for (size_t i = 0; i < na && i < nb; i++) {
		if ((c = cmp_str(a[i].symbol, b[i].symbol)) || (c = cmp_str(a[i].module, b[i].module)) ||
		    (c = cmp_u64(a[i].offset, b[i].offset)))
			return c;
		/* Without a symbol only the address tells frames apart. */
		if (!a[i].symbol && (c = cmp_u64(a[i].addr, b[i].addr)))
			return c;
	}
	return cmp_u64(na, nb);
}

/* How a story ended, as a key: not ended, the switch the probes named, or
 * how the end was inferred. */
static int cmp_end(const struct report_task *a, const struct report_task *b)
{
	int c;

	if ((c = a->ended - b->ended) || !a->ended)
		return c;
	if ((c = a->t.switched_how - b->t.switched_how))
		return c;
	return cmp_str(a->inferred, b->inferred);
}

static int cmp_refs(const void *pa, const void *pb)
{
	const struct straggler_ref *x = pa, *y = pb;
	const struct report_task *a = x->t, *b = y->t;
	int c;

	if ((c = strcmp(a->patch, b->patch)) || (c = strcmp(x->comm, y->comm)) ||
	    (c = a->t.kthread - b->t.kthread) || (c = (int)a->t.reason - (int)b->t.reason) ||
	    (c = (int)a->t.never - (int)b->t.never) || (c = cmp_str(a->t.function, b->t.function)) ||
	    (c = cmp_frames(a->t.stack, a->t.nstack, b->t.stack, b->t.nstack)) ||
	    (c = cmp_end(a, b)))
		return c;
	return cmp_u64(x->index, y->index);  /* members in file order */
}

static int same_group(const struct straggler_ref *x, const struct straggler_ref *y)
{
	struct straggler_ref yy = *y;

	yy.index = x->index;
	return cmp_refs(x, &yy) == 0;
}

static void add_member(const struct report *rp, struct report_straggler_group *g,
		       const struct straggler_ref *r)
{
	const struct report_task *t = r->t;
	uint64_t blocked = report_task__blocked_ns(t);

	if (!g->count) {
		copy_str(g->comm, sizeof(g->comm), r->comm);
		g->blocked_min_ns = blocked;
		g->first_ns = t->first_ns;
	}
	if (!g->count || blocked > report_task__blocked_ns(&rp->tasks[g->shown]))
		g->shown = r->index;
	g->members[g->count++] = r->index;
	if (blocked < g->blocked_min_ns)
		g->blocked_min_ns = blocked;
	if (blocked > g->blocked_max_ns)
		g->blocked_max_ns = blocked;
	if (t->first_ns < g->first_ns)
		g->first_ns = t->first_ns;
	if (t->last_ns > g->last_ns)
		g->last_ns = t->last_ns;
	if (t->ended && (!g->ended_min_ns || t->ended_ns < g->ended_min_ns))
		g->ended_min_ns = t->ended_ns;
	if (t->ended && t->ended_ns > g->ended_max_ns)
		g->ended_max_ns = t->ended_ns;
	if (t->t.rounds_failed > g->rounds_failed_max)
		g->rounds_failed_max = t->t.rounds_failed;
	if (t->t.signal_rounds_seen > g->signal_rounds_max)
		g->signal_rounds_max = t->t.signal_rounds_seen;
}

/* Largest first; of equal size, the one that blocked longest. */
static int cmp_groups(const void *pa, const void *pb)
{
	const struct report_straggler_group *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return cmp_u64(b->blocked_max_ns, a->blocked_max_ns);
}

void report__group_stragglers(struct report *rp)
{
	struct straggler_ref *refs = xcalloc(rp->ntasks ? rp->ntasks : 1, sizeof(*refs));
	size_t n = 0;

	for (size_t i = 0; i < rp->ntasks; i++) {
		if (!report__is_straggler(rp, &rp->tasks[i]))
			continue;
		refs[n].t = &rp->tasks[i];
		refs[n].index = i;
		comm__pattern(refs[n].comm, sizeof(refs[n].comm), rp->tasks[i].t.comm);
		n++;
	}
	if (n)
		qsort(refs, n, sizeof(*refs), cmp_refs);
	for (size_t i = 0, j; i < n; i = j) {
		struct report_straggler_group *g;

		for (j = i + 1; j < n && same_group(&refs[i], &refs[j]); j++)
			;
		grow_array((void **)&rp->sgroups, &rp->capsgroups, rp->nsgroups, sizeof(*g));
		g = &rp->sgroups[rp->nsgroups++];
		memset(g, 0, sizeof(*g));
		g->members = xcalloc(j - i, sizeof(*g->members));
		for (size_t k = i; k < j; k++)
			add_member(rp, g, &refs[k]);
	}
	if (rp->nsgroups)
		qsort(rp->sgroups, rp->nsgroups, sizeof(*rp->sgroups), cmp_groups);
	free(refs);
}

void report__free_straggler_groups(struct report *rp)
{
	for (size_t i = 0; i < rp->nsgroups; i++)
		free(rp->sgroups[i].members);
	free(rp->sgroups);
	rp->sgroups = NULL;
	rp->nsgroups = rp->capsgroups = 0;
}
