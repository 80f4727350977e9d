// SPDX-License-Identifier: GPL-2.0
/* What a transition costs: rounds timed, switches by phase and time
 * (model/cost.h). Pure arithmetic on what the probes reported. */
#include "model/cost.h"
#include "model/model.h"

#include <string.h>

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull

/* Rounds: a small VM walks its tasks in tens of microseconds; a host with
 * 100k tasks holds tasklist_lock for tens of milliseconds, and a second is
 * a hard lockup waiting to happen. Switches and transitions: the first
 * round comes within milliseconds of the start, a signal round every 15 s,
 * a stuck transition lasts hours. */
static const uint64_t round_bounds[] = {
	10 * US, 50 * US, 100 * US, 500 * US, 1 * MS, 5 * MS, 10 * MS, 50 * MS, 100 * MS,
	500 * MS, 1 * SEC,
};
static const uint64_t switch_bounds[] = {
	10 * MS, 100 * MS, 1 * SEC, 2 * SEC, 5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC, 300 * SEC,
	900 * SEC, 3600 * SEC,
};
static const uint64_t transition_bounds[] = {
	100 * MS, 1 * SEC, 2 * SEC, 5 * SEC, 10 * SEC, 30 * SEC, 60 * SEC, 300 * SEC, 900 * SEC,
	3600 * SEC, 14400 * SEC,
};

_Static_assert(sizeof(round_bounds) / sizeof(round_bounds[0]) <= HIST_MAX_BOUNDS, "bounds");
_Static_assert(sizeof(switch_bounds) / sizeof(switch_bounds[0]) <= HIST_MAX_BOUNDS, "bounds");
_Static_assert(sizeof(transition_bounds) / sizeof(transition_bounds[0]) <= HIST_MAX_BOUNDS,
	       "bounds");

const uint64_t *hist__bounds(enum hist_kind kind, unsigned int *n)
{
	switch (kind) {
	case HIST_SWITCH:
		*n = sizeof(switch_bounds) / sizeof(switch_bounds[0]);
		return switch_bounds;
	case HIST_TRANSITION:
		*n = sizeof(transition_bounds) / sizeof(transition_bounds[0]);
		return transition_bounds;
	default:
		*n = sizeof(round_bounds) / sizeof(round_bounds[0]);
		return round_bounds;
	}
}

void hist__add(struct duration_hist *h, enum hist_kind kind, uint64_t ns, uint64_t count)
{
	unsigned int n, i;
	const uint64_t *b = hist__bounds(kind, &n);

	if (!count)
		return;
	for (i = 0; i < n && ns > b[i]; i++)
		;
	h->counts[i] += count;
	h->n += count;
	h->sum_ns += ns * count;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

uint64_t hist__cumulative(const struct duration_hist *h, unsigned int i)
{
	uint64_t sum = 0;

	for (unsigned int j = 0; j <= i && j <= HIST_MAX_BOUNDS; j++)
		sum += h->counts[j];
	return sum;
}

void transition_cost__init(struct transition_cost *c, int start_seen)
{
	memset(c, 0, sizeof(*c));
	c->start_seen = start_seen;
}

/* Keep the COST_SLOWEST longest rounds, longest first. */
static void keep_if_slow(struct transition_cost *c, const struct slow_round *r)
{
	unsigned int i = c->nslowest;

	if (i == COST_SLOWEST && r->ns <= c->slowest[COST_SLOWEST - 1].ns)
		return;
	if (i == COST_SLOWEST)
		i--;
	else
		c->nslowest++;
	for (; i > 0 && c->slowest[i - 1].ns < r->ns; i--)
		c->slowest[i] = c->slowest[i - 1];
	c->slowest[i] = *r;
}

void transition_cost__complete(struct transition_cost *c, uint64_t ts)
{
	c->complete_ns = ts;
}

int transition_cost__completes_in(const struct transition_cost *c, uint64_t end_ns, uint64_t ns)
{
	return c->complete_ns && ns <= end_ns && c->complete_ns >= end_ns - ns &&
	       c->complete_ns <= end_ns;
}

/* The tasks a round's checks switched: the first round's, or a later one's,
 * and when. */
static void count_round_switches(struct transition_cost *c, uint64_t end_ns,
				 unsigned int switched, uint64_t start_ns)
{
	if (!switched)
		return;
	/* The first round runs from klp_enable_patch() itself, right after
	 * the start: only a klptop that saw the start knows which one it is. */
	if (c->start_seen && !c->round_hist.n)
		c->first_round += switched;
	else
		c->later_rounds += switched;
	if (c->start_seen && start_ns && end_ns >= start_ns)
		hist__add(&c->switch_hist, HIST_SWITCH, end_ns - start_ns, switched);
}

int transition_cost__round(struct transition_cost *c, unsigned int round, uint64_t end_ns,
			   uint64_t ns, unsigned int checked, unsigned int switched,
			   uint64_t start_ns)
{
	struct slow_round r = { .round = round, .end_ns = end_ns, .ns = ns, .checked = checked };
	int walk = !transition_cost__completes_in(c, end_ns, ns);

	/* A round always checks a pending task: none seen means its checks
	 * were not watched (model/model.h, check_every), so the first round's
	 * switches are unknown, not 0. */
	if (c->start_seen && !c->round_hist.n && !checked)
		c->first_unwatched = 1;
	count_round_switches(c, end_ns, switched, start_ns);
	if (!walk) {
		/* klp_complete_transition ran inside: its RCU waits do not
		 * hold tasklist_lock, and would pass for the longest walk. */
		c->completion_round = round;
		c->completion_ns = ns;
		return 0;
	}
	hist__add(&c->round_hist, HIST_ROUND, ns, 1);
	c->last_round_ns = ns;
	keep_if_slow(c, &r);
	return 1;
}

void transition_cost__blocker_switched(struct transition_cost *c, int how, uint64_t ts,
				       uint64_t start_ns, unsigned int signal_rounds)
{
	if (how == SWITCH_EXIT) {
		c->blockers_exited++;
		return;
	}
	c->blockers_switched++;
	if (signal_rounds)
		c->after_signals++;
	/* Its round already counted a stack-check switch, and timed it. */
	if (how == SWITCH_STACK_CHECK)
		return;
	if (c->start_seen && start_ns && ts >= start_ns)
		hist__add(&c->switch_hist, HIST_SWITCH, ts - start_ns, 1);
}

double transition_cost__mean_round_ns(const struct transition_cost *c)
{
	return c->round_hist.n ? (double)c->round_hist.sum_ns / (double)c->round_hist.n : 0;
}
