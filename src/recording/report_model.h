/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report model: what a recording says happened, in the model's terms.
 * One walk of the recording (recording.h) builds it from the probes'
 * events and the snapshots: each transition with its outcome and cost,
 * how the pending tasks converged, the tasks that held it up and why, the
 * shadow leak events grouped, the instants worth a mark on a timeline.
 * Renderers (src/render/report_*.c) only read it; --replay asks it what the
 * events had said at each snapshot (report__facts).
 */
#ifndef KLPTOP_RECORDING_REPORT_MODEL_H
#define KLPTOP_RECORDING_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "recording/recording.h"

#include "klptop/shadow.h"
#include "klptop/transition.h"

#define REPORT_NREASONS (REASON_UNRELIABLE + 1)
#define REPORT_MAX_SIGNAL_TS 256

struct report_transition {
	uint64_t id;              /* transition_id of its events; 0: seen only in snapshots */
	int seen_events;          /* the probes watched it */
	char patch[KLPT_NAME_LEN + 1];
	int target;               /* KLP_PATCHED / KLP_UNPATCHED */
	uint64_t start_ns, end_ns;    /* CLOCK_MONOTONIC; 0 unknown / not ended */
	const char *outcome;      /* NULL: still pending at the end of the file */
	int forced, reversed, cancelled;
	unsigned int rounds, signal_rounds;
	/* When the first signal rounds ran: a task's share of them is counted
	 * from these (its blocker record stops at its last failed check,
	 * usually before the round whose signal freed it). */
	uint64_t signal_ts[REPORT_MAX_SIGNAL_TS];
	struct transition_cost cost;
	uint64_t switched[SWITCH_HOW_MAX];  /* the last snapshot's counts while it ran */
	int switched_known;
};

/* A task that was pending, and its story. */
struct report_task {
	struct task_snap t;       /* reason: the one seen most; switched_how: -1 until known */
	char patch[KLPT_NAME_LEN + 1];
	unsigned int seen[REPORT_NREASONS];  /* snapshots (and events) per reason */
	uint64_t first_ns, last_ns;   /* blocking since / last seen blocking */
	int ended;                /* switched, exited, or released */
	int ended_by_event;       /* the probes said how (KLPT_EV_BLOCKER_SWITCHED) */
	const char *inferred;     /* when they did not: how the end was seen */
	uint64_t ended_ns;
	size_t prev;              /* the story before it of the same tid and patch, 1-based; 0 none */
};

/* Stragglers that look the same: one row in the text report. Same patch,
 * comm pattern, kind, reason, function, cause, judged stack and end. */
struct report_straggler_group {
	size_t shown;             /* index into report.tasks: the longest blocked member */
	size_t count;
	size_t *members;          /* indexes into report.tasks, in file order */
	char comm[16];            /* the members' comm, or its pattern with digits as '#' */
	uint64_t blocked_min_ns, blocked_max_ns;
	uint64_t first_ns;        /* the earliest start of blocking */
	uint64_t last_ns;         /* the last time one was seen blocking */
	uint64_t ended_min_ns, ended_max_ns;   /* 0: none ended */
	unsigned int rounds_failed_max, signal_rounds_max;
};

struct report_round {
	size_t transition;        /* index into report.tr */
	uint64_t end_ns, ns;
	unsigned int round, checked, switched;
	int signals;
};

struct report_sample {
	uint64_t ts;
	long pending;             /* -1: no transition */
	long shadows;             /* -1: no shadow probes */
};

struct report_instant {
	uint64_t ts;
	int tid;
	char name[64];
};

/* Shadow events grouped as klptop shadow groups its leak reports: by kind,
 * id, allocation stack and free stack. */
struct report_leak {
	enum shadow_leak_kind kind;
	uint64_t id;
	int32_t astk, fstk;           /* the recorded stack ids */
	uint64_t count, first_ns, last_ns;
	char cache[KLPT_CACHE_LEN];
	/* For a stale shadow, free is the get that returned it; a duplicate's
	 * alloc is the failed allocation and it has no free. */
	struct stack_frame *alloc, *free;
	size_t nalloc, nfree;
};

struct report {
	const struct recording *rec;
	uint64_t last_ts;             /* of the last event or snapshot */
	struct report_transition *tr;
	size_t ntr, captr;
	struct report_task *tasks;
	size_t ntasks, captasks;
	size_t *task_slots;           /* the newest story of each (tid, patch), see task_of */
	size_t nslots, nkeys;
	uint64_t tasks_untracked;     /* the most pending tasks a snapshot listed beyond
				       * report__max_tasks() stories: not followed */
	uint64_t untracked_now;       /* of the snapshot being read */
	struct report_straggler_group *sgroups;   /* largest first (report__finish) */
	size_t nsgroups, capsgroups;
	struct report_round *rounds;
	size_t nrounds, caprounds;
	struct report_sample *samples;
	size_t nsamples, capsamples;
	struct report_instant *inst;
	size_t ninst, capinst;
	uint64_t shadow_kinds[SHADOW_LEAK_KIND_MAX];
	struct report_leak *leaks;
	size_t nleaks, capleaks;
	uint64_t leaks_ungrouped;     /* events beyond the group limit */
	struct shadow_snapshot *shadows;   /* the last snapshot's, NULL: none */
};

void report__init(struct report *rp, const struct recording *r);
void report__free(struct report *rp);
/* One walk's worth, in file order (recording_visitor callbacks). */
void report__event(void *rp, const struct rec_event *e, const struct rec_dict *d);
void report__snapshot(void *rp, size_t index, uint64_t mono_ns, struct snapshot *s);
void report__trigger(void *rp, const char *why, uint64_t mono_ns);
/* After the walk: what only the whole file tells. */
void report__finish(struct report *rp);
/* The stragglers grouped (report_groups.c; report__finish does it). */
void report__group_stragglers(struct report *rp);
void report__free_straggler_groups(struct report *rp);
/* Walk r into rp: init, walk, finish. */
void report__build(struct report *rp, struct recording *r);

/* The patch a transition belongs to, for people: probes that joined a
 * transition learn its name from a snapshot, and one may never come. */
const char *report_transition__patch(const struct report_transition *t);
/* A task that held a transition up: with the probes, one the kernel's
 * check failed on; without them, one pending in two snapshots or more. */
int report__is_straggler(const struct report *rp, const struct report_task *t);
/* The most task stories a report follows. */
size_t report__max_tasks(void);
/* How long it held the transition: the probes' figure, or the span of
 * the snapshots that saw it. */
uint64_t report_task__blocked_ns(const struct report_task *t);

/* What the events had said about the transition in progress at some
 * point of the walk, for a snapshot that does not say it itself. */
struct report_facts {
	int valid;
	char patch[KLPT_NAME_LEN + 1];
	uint64_t start_ns;
	unsigned int rounds, signal_rounds;
	int forced, reversed;
	struct transition_cost cost;
};
void report__facts(const struct report *rp, struct report_facts *f);
/* Complete s's transition from f when s does not say it: a snapshot that
 * was not observed by the probes, or a file from before the cost. */
void report_facts__apply(const struct report_facts *f, uint64_t mono_ns, struct snapshot *s);

#endif
