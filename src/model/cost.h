/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a transition costs and how long its tasks take (docs/json.md,
 * "cost"). Each of the kernel's rounds (klp_try_complete_transition) walks
 * every task under tasklist_lock: its duration is what a large host
 * suffers from. The transition probes time every round (KLPT_EV_ROUND's
 * round_ns) and report every blocker that switched; the live source and
 * a recording feed the same accumulator below, so the live view, status,
 * report, --replay and metrics tell the same figures. Plain data and pure
 * functions: no I/O.
 */
#ifndef KLPTOP_MODEL_COST_H
#define KLPTOP_MODEL_COST_H

#include <stdint.h>

/* Which bucket bounds a histogram uses (Prometheus "le" values). */
enum hist_kind {
	HIST_ROUND,        /* one round: 10 us to 1 s */
	HIST_SWITCH,       /* a task's time from the start to its switch */
	HIST_TRANSITION,   /* a transition from start to end */
	HIST_KIND_MAX,
};

#define HIST_MAX_BOUNDS 12

/* Durations counted by bucket. counts[i] holds the durations in
 * (bound[i-1], bound[i]]; counts[nbounds] those above every bound.
 * Prometheus' cumulative buckets are sums of these. Which bounds is the
 * owner's to know (each field has its kind); all zero is empty. */
struct duration_hist {
	uint64_t counts[HIST_MAX_BOUNDS + 1];
	uint64_t n;
	uint64_t sum_ns;
	uint64_t max_ns;
};

/* The bounds of a kind, in ns, ascending; *n is set to how many. */
const uint64_t *hist__bounds(enum hist_kind kind, unsigned int *n);
void hist__add(struct duration_hist *h, enum hist_kind kind, uint64_t ns, uint64_t count);
/* Durations at or below bound i (the Prometheus bucket le=bound[i]). */
uint64_t hist__cumulative(const struct duration_hist *h, unsigned int i);

#define COST_SLOWEST 5

struct slow_round {
	unsigned int round;    /* the kernel's round number (1: the first) */
	uint64_t end_ns;       /* when it ended, CLOCK_MONOTONIC */
	uint64_t ns;           /* how long it took */
	unsigned int checked;  /* tasks it checked */
};

/* One transition. The rounds part needs the round probe; the timed
 * switches need the transition's start (klptop saw klp_init_transition). */
struct transition_cost {
	struct duration_hist round_hist;  /* HIST_ROUND: every round timed: n, sum, max */
	uint64_t last_round_ns;
	/* The round that completed the transition ran klp_complete_transition
	 * (RCU waits; unpatching, RCU-tasks too), not only the walk: it is
	 * kept apart from the rounds above. */
	uint64_t complete_ns;          /* klp_complete_transition returned (0: not yet) */
	unsigned int completion_round; /* 0: not seen */
	uint64_t completion_ns;        /* that round's duration */
	struct slow_round slowest[COST_SLOWEST];  /* longest first */
	unsigned int nslowest;
	/* How the tasks switched, by phase. */
	int start_seen;                /* first_round and the times below are known */
	uint64_t first_round;          /* by the stack check of the first round */
	int first_unwatched;           /* klptop did not watch the first round's checks:
					* first_round is unknown */
	uint64_t later_rounds;         /* by the stack check of a later round */
	uint64_t after_signals;        /* blockers that switched after living through a signal round */
	uint64_t blockers_switched;    /* tasks that failed a check and then switched (any way) */
	uint64_t blockers_exited;      /* ... and exited instead */
	struct duration_hist switch_hist;  /* HIST_SWITCH: start -> switch, every switch whose time is known */
};

void transition_cost__init(struct transition_cost *c, int start_seen);
/* klp_complete_transition returned at ts. */
void transition_cost__complete(struct transition_cost *c, uint64_t ts);
/* Does the round that ended at end_ns and took ns hold the completion? */
int transition_cost__completes_in(const struct transition_cost *c, uint64_t end_ns, uint64_t ns);
/* A round that ended at end_ns, took ns, checked tasks and switched
 * `switched` of them by their stack check; start_ns is the transition's
 * start (0: unknown). Returns 1 if it was a round of the walk (timed), 0
 * if it was the completing one. */
int transition_cost__round(struct transition_cost *c, unsigned int round, uint64_t end_ns,
			    uint64_t ns, unsigned int checked, unsigned int switched,
			    uint64_t start_ns);
/* A task that had failed a check switched (how: enum switch_how) at ts,
 * having lived through signal_rounds signal rounds since its first failed
 * check. A stack-check switch is already counted by its round; an exit is
 * no switch. */
void transition_cost__blocker_switched(struct transition_cost *c, int how, uint64_t ts,
				       uint64_t start_ns, unsigned int signal_rounds);
double transition_cost__mean_round_ns(const struct transition_cost *c);

/* Since klptop started (the exporter's histograms): every round it timed
 * and every transition it saw from start to end. */
struct cost_totals {
	struct duration_hist rounds;        /* HIST_ROUND */
	struct duration_hist transitions;   /* HIST_TRANSITION */
};

#endif
