/* SPDX-License-Identifier: GPL-2.0 */
/* Shadow accounting that needs no kernel (model/shadow_acct.c). */
#ifndef KLPTOP_MODEL_SHADOW_ACCT_H
#define KLPTOP_MODEL_SHADOW_ACCT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* Least-squares slope of y over t (any units: y per t). 0 with < 2 points or
 * when all t are equal. */
double shadow__slope(const double *t, const double *y, size_t n);

/* How an orphan's owner was freed: part of the de-duplication key (one
 * free stack can free owners of several caches, or through kfree_rcu). */
struct leak_how {
	char cache[32];          /* slab cache, "" for kmalloc */
	uint32_t free_via;       /* enum klpt_shadow_free_via, 0 unknown */
	int kfree_rcu;           /* went through kfree_rcu() */
};

/* Leak reports de-duplicated by (kind, id, alloc stack, free stack, how). */
struct leak_entry {
	enum shadow_leak_kind kind;
	uint64_t id;
	int32_t alloc_stack, free_stack;
	struct leak_how how;
	uint64_t count, first_ns, last_ns, obj, size;
	uint64_t rcu_delay_ns;   /* the last one's kfree_rcu() to its real free */
	uint64_t alloc_ns, free_ns;  /* when the last one's stacks were captured */
};

struct leak_table {
	struct leak_entry *v;
	size_t n, cap;
	size_t *slots;     /* open addressing: index + 1, 0 empty */
	size_t nslots;
};

/* Count one event; returns its entry. how may be NULL (nothing known). */
struct leak_entry *leak_table__add(struct leak_table *t, enum shadow_leak_kind kind, uint64_t id,
				   int32_t alloc_stack, int32_t free_stack,
				   const struct leak_how *how, uint64_t ts);
void leak_table__free(struct leak_table *t);

#endif
