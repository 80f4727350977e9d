// SPDX-License-Identifier: GPL-2.0
#include "live/kfacts.h"
#include "live/kallsyms.h"

int tif_guess__bit(const struct tif_guess *g)
{
	if (!g->seen || !g->cand || (g->cand & (g->cand - 1)))
		return -1;
	return __builtin_ctzll(g->cand);
}

int tif_guess__narrow(struct tif_guess *g, uint64_t and_pending, uint64_t or_switched)
{
	uint64_t cand = and_pending & ~or_switched;

	if (!cand)
		return tif_guess__bit(g); /* no bit fits this walk: it tells nothing */
	if (!g->seen) {
		g->cand = cand;
		g->seen = 1;
	} else if (g->cand & cand) {
		g->cand &= cand;
	}
	return tif_guess__bit(g);
}

/*
 * Where the kernel switches a running task besides the rounds, from its
 * symbols. __klp_sched_try_switch exists since 6.4. Up to 6.15 it is called
 * from cond_resched(), through klp_cond_resched (sched_dynamic_klp_enable
 * turns it on) on PREEMPT_DYNAMIC kernels; 6.16 removed both and calls it
 * from __schedule(), only for a task going to sleep in a freezable state.
 * A 6.4-6.15 kernel built without PREEMPT_DYNAMIC has neither helper and
 * reads as the 6.16 case (docs/kernels.md).
 */
enum switch_point switch_point__probe(const struct ksyms *ks)
{
	if (!ksyms__find_name(ks, "__klp_sched_try_switch", NULL))
		return SWITCH_POINT_NONE;
	if (ksyms__find_name(ks, "klp_cond_resched", NULL) ||
	    ksyms__find_name(ks, "sched_dynamic_klp_enable", NULL))
		return SWITCH_POINT_COND_RESCHED;
	return SWITCH_POINT_FREEZABLE;
}
