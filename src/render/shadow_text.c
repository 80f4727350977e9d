// SPDX-License-Identifier: GPL-2.0
/* The leak summary klptop shadow prints as it exits. */
#include "render/output.h"
#include "render/blockers.h"

#include <stdio.h>

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
