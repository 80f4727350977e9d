// SPDX-License-Identifier: GPL-2.0
/* Shadow accounting that needs no kernel: the growth slope and the table that
 * de-duplicates leak reports (unit-tested in tests/unit/test_shadow.c). */
#include "model/shadow_acct.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

double shadow__slope(const double *t, const double *y, size_t n)
{
	double mt = 0, my = 0, sxx = 0, sxy = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++) {
		mt += t[i];
		my += y[i];
	}
	mt /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += (t[i] - mt) * (t[i] - mt);
		sxy += (t[i] - mt) * (y[i] - my);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

static size_t leak_hash(enum shadow_leak_kind kind, uint64_t id, int32_t a, int32_t f,
			const struct leak_how *how)
{
	uint64_t h = 14695981039346656037ull;
	uint64_t parts[6] = { (uint64_t)kind, id, (uint32_t)a, (uint32_t)f, how->free_via,
			      (uint64_t)how->kfree_rcu };

	for (int i = 0; i < 6; i++)
		h = (h ^ parts[i]) * 1099511628211ull;
	for (const char *c = how->cache; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return (size_t)h;
}

static int leak_how__equal(const struct leak_how *a, const struct leak_how *b)
{
	return a->free_via == b->free_via && a->kfree_rcu == b->kfree_rcu &&
	       !strcmp(a->cache, b->cache);
}

static void leak_table__rehash(struct leak_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;

	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->nslots = nslots;
	for (size_t i = 0; i < t->n; i++) {
		const struct leak_entry *e = &t->v[i];
		size_t s = leak_hash(e->kind, e->id, e->alloc_stack, e->free_stack, &e->how) &
			   (nslots - 1);

		while (t->slots[s])
			s = (s + 1) & (nslots - 1);
		t->slots[s] = i + 1;
	}
}

struct leak_entry *leak_table__add(struct leak_table *t, enum shadow_leak_kind kind, uint64_t id,
				   int32_t alloc_stack, int32_t free_stack,
				   const struct leak_how *how, uint64_t ts)
{
	static const struct leak_how unknown;
	struct leak_entry *e;
	size_t s;

	if (!how)
		how = &unknown;
	if ((t->n + 1) * 2 > t->nslots)
		leak_table__rehash(t);
	s = leak_hash(kind, id, alloc_stack, free_stack, how) & (t->nslots - 1);
	for (; t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
		e = &t->v[t->slots[s] - 1];
		if (e->kind == kind && e->id == id && e->alloc_stack == alloc_stack &&
		    e->free_stack == free_stack && leak_how__equal(&e->how, how))
			goto found;
	}
	grow_array((void **)&t->v, &t->cap, t->n, sizeof(*t->v));
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->id = id;
	e->alloc_stack = alloc_stack;
	e->free_stack = free_stack;
	e->how = *how;
	e->first_ns = ts;
	t->slots[s] = t->n;
found:
	e->count++;
	e->last_ns = ts;
	return e;
}

void leak_table__free(struct leak_table *t)
{
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
