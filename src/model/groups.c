// SPDX-License-Identifier: GPL-2.0
/*
 * Blocker groups: pending tasks that look the same become one row. A stall
 * on a big host leaves thousands of threads in one function (a database's
 * workers, a pool of kthreads); one row with a count says it, and the views
 * then cost what they show, not what is pending.
 *
 * Tasks look the same when they agree on the kernel's reason, the function
 * they sleep on, kthread or user, scheduler state, comm with its digits
 * ignored ("worker-17" and "worker-203" are one pattern), the kernel stack,
 * whether their checks have settled (enough checks, never seen asleep:
 * what turns a running kthread's "watching" into "stuck"), and what the
 * checks say about whether it will ever switch (never.c): a kthread alone on
 * an isolated CPU and one preempted on a shared CPU get different verdicts.
 *
 * Stacks are read a budget at a time (bpf/tasks.bpf.c), so for a while some
 * tasks have none yet: such a task joins the most common stack of the tasks
 * that agree with it on everything else, rather than making a group of its
 * own that would vanish a second later.
 */
#include "model/model.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

unsigned int pending_task__checks(const struct pending_task *t)
{
	return t->checks_running + t->checks_sleeping + t->checks_unreliable;
}

static int settled(const struct pending_task *t)
{
	return pending_task__checks(t) >= CHECKS_TO_SETTLE && !t->checks_asleep;
}

void comm__pattern(char *dst, size_t len, const char *comm)
{
	size_t j = 0;

	for (size_t i = 0; comm[i] && j + 1 < len; i++) {
		int digit = comm[i] >= '0' && comm[i] <= '9';

		/* A run of digits is one '#'. */
		if (digit && j && dst[j - 1] == '#')
			continue;
		dst[j++] = digit ? '#' : comm[i];
	}
	dst[j] = '\0';
}

/* What else the verdict rules read of a task that every check found on its
 * CPU (verdicts.c): the CPU's isolation, and whether a signal round passed
 * (whose interrupt would have switched a user task in user space). */
static uint8_t on_cpu_facts(const struct pending_task *t)
{
	if (!t->checks_running || t->checks_running != pending_task__checks(t) ||
	    t->checks_preempted)
		return 0;
	return (uint8_t)(t->cpu_iso << 1 | (t->signal_rounds_seen > 0));
}

struct group_key {
	enum block_reason reason;
	uint32_t func_ref;
	int kthread;
	char state;
	int settled;
	enum never_cause never;
	uint8_t on_cpu_facts;
	uint64_t stack_key;
	char pattern[16];
};

static void key_of(const struct pending_task *t, struct group_key *k)
{
	memset(k, 0, sizeof(*k));
	k->reason = t->reason;
	k->func_ref = t->func_ref;
	k->kthread = t->kthread;
	k->state = t->state;
	k->settled = settled(t);
	k->never = pending_task__never(t);
	k->on_cpu_facts = on_cpu_facts(t);
	k->stack_key = t->stack_key;
	comm__pattern(k->pattern, sizeof(k->pattern), t->comm);
}

static uint64_t key_hash(const struct group_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Open addressing over group indexes (index + 1; 0 empty). */
struct group_index {
	struct group_key *keys;   /* per group */
	uint32_t *slots;
	size_t nslots;
};

static uint32_t find_or_add(struct group_index *gi, struct transition_info *tr,
			    const struct group_key *k, size_t *cap)
{
	size_t i = (size_t)key_hash(k) & (gi->nslots - 1);

	for (;; i = (i + 1) & (gi->nslots - 1)) {
		uint32_t g = gi->slots[i];

		if (!g)
			break;
		if (!memcmp(&gi->keys[g - 1], k, sizeof(*k)))
			return g - 1;
	}
	grow_array((void **)&tr->groups, cap, tr->ngroups, sizeof(*tr->groups));
	gi->keys = xrealloc(gi->keys, (tr->ngroups + 1) * sizeof(*gi->keys));
	gi->keys[tr->ngroups] = *k;
	memset(&tr->groups[tr->ngroups], 0, sizeof(tr->groups[0]));
	gi->slots[i] = (uint32_t)++tr->ngroups;
	return (uint32_t)(tr->ngroups - 1);
}

/* A map of keys to small indexes, for counting (open addressing). */
struct keymap {
	struct group_key *keys;
	uint32_t *slots;         /* index + 1; 0 empty */
	size_t nslots, n;
};

static void keymap__init(struct keymap *m, size_t max)
{
	m->nslots = 64;
	while (m->nslots < max * 2)
		m->nslots *= 2;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	m->keys = xcalloc(max ? max : 1, sizeof(*m->keys));
	m->n = 0;
}

static void keymap__free(struct keymap *m)
{
	free(m->slots);
	free(m->keys);
}

/* The index of k, added when new (at most the max given to init). */
static size_t keymap__index(struct keymap *m, const struct group_key *k)
{
	size_t i = (size_t)key_hash(k) & (m->nslots - 1);

	for (; m->slots[i]; i = (i + 1) & (m->nslots - 1))
		if (!memcmp(&m->keys[m->slots[i] - 1], k, sizeof(*k)))
			return m->slots[i] - 1;
	m->keys[m->n] = *k;
	m->slots[i] = (uint32_t)++m->n;
	return m->n - 1;
}

/* Each task without a stack yet takes the most common known stack of the
 * tasks that agree with it on everything else (none known: it keeps none). */
static void fill_unknown_stacks(struct transition_info *tr)
{
	struct keymap full, coarse;
	size_t *count = xcalloc(tr->ntasks ? tr->ntasks : 1, sizeof(*count));
	size_t *best_n = xcalloc(tr->ntasks ? tr->ntasks : 1, sizeof(*best_n));
	uint64_t *best = xcalloc(tr->ntasks ? tr->ntasks : 1, sizeof(*best));

	keymap__init(&full, tr->ntasks);
	keymap__init(&coarse, tr->ntasks);
	for (size_t i = 0; i < tr->ntasks; i++) {
		const struct pending_task *t = &tr->tasks[i];
		struct group_key k;
		size_t f, c;

		if (!t->stack_key)
			continue;
		key_of(t, &k);
		f = keymap__index(&full, &k);
		k.stack_key = 0;
		c = keymap__index(&coarse, &k);
		if (++count[f] > best_n[c]) {
			best_n[c] = count[f];
			best[c] = t->stack_key;
		}
	}
	for (size_t i = 0; i < tr->ntasks; i++) {
		struct pending_task *t = &tr->tasks[i];
		struct group_key k;
		size_t c;

		if (t->stack_key || t->on_cpu)
			continue;
		key_of(t, &k);
		c = keymap__index(&coarse, &k);
		t->stack_key = best[c];   /* 0 when no peer has a known stack */
	}
	keymap__free(&full);
	keymap__free(&coarse);
	free(count);
	free(best_n);
	free(best);
}

static void add_member(struct blocker_group *g, const struct group_key *k,
		       const struct pending_task *t, const struct transition_info *tr)
{
	if (!g->count++) {
		g->reason = t->reason;
		g->function = t->func_ref < tr->nfuncs ? tr->funcs[t->func_ref] : NULL;
		g->kthread = t->kthread;
		g->state = t->state;
		g->stack_key = t->stack_key;
		copy_str(g->comm, sizeof(g->comm), t->comm);
		g->blocked_min_ns = t->blocked_ns;
		g->rep.tid = t->tid;
		g->blocked_max_ns = t->blocked_ns;
	} else if (strcmp(g->comm, t->comm)) {
		copy_str(g->comm, sizeof(g->comm), k->pattern);
	}
	if (t->blocked_ns < g->blocked_min_ns)
		g->blocked_min_ns = t->blocked_ns;
	/* The longest blocked member speaks for the group. */
	if (t->blocked_ns > g->blocked_max_ns ||
	    (t->blocked_ns == g->blocked_max_ns && t->tid < g->rep.tid)) {
		g->blocked_max_ns = t->blocked_ns;
		g->rep.tid = t->tid;
	}
	if (t->rounds_failed > g->rounds_failed_max)
		g->rounds_failed_max = t->rounds_failed;
}

static int cmp_groups(const void *pa, const void *pb)
{
	const struct blocker_group *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->blocked_max_ns != b->blocked_max_ns)
		return a->blocked_max_ns > b->blocked_max_ns ? -1 : 1;
	return a->rep.tid < b->rep.tid ? -1 : a->rep.tid > b->rep.tid;
}

/* The representative's facts, as a task the verdict rules and the views
 * know. Its stacks are the source's to fill. */
static void fill_rep(struct blocker_group *g, const struct pending_task *t)
{
	struct task_snap *r = &g->rep;

	task_snap__init(r);
	r->pid = t->pid;
	r->tid = t->tid;
	copy_str(r->comm, sizeof(r->comm), t->comm);
	r->kthread = t->kthread;
	r->state = t->state;
	r->patch_state = t->patch_state;
	r->tif_pending = t->tif_pending;
	r->reason = t->reason;
	r->function = g->function ? xstrdup(g->function) : NULL;
	r->rounds_failed = t->rounds_failed;
	r->blocked_ns = t->blocked_ns;
	r->checks_running = t->checks_running;
	r->checks_sleeping = t->checks_sleeping;
	r->checks_unreliable = t->checks_unreliable;
	r->checks_asleep = t->checks_asleep;
	r->checks_preempted = t->checks_preempted;
	r->checks_uninterruptible = t->checks_uninterruptible;
	r->signal_rounds_seen = t->signal_rounds_seen;
	r->cpu = t->cpu;
	r->check_cpu = t->check_cpu;
	r->cpu_moves = t->cpu_moves;
	r->cpus_allowed = t->cpus_allowed;
	r->cpu_iso = t->cpu_iso;
}

void transition_info__group(struct transition_info *tr)
{
	struct group_index gi = { 0 };
	size_t cap = 0, *rep_of;
	uint32_t *order;

	for (size_t i = 0; i < tr->ngroups; i++)
		task_snap__free(&tr->groups[i].rep);
	free(tr->groups);
	tr->groups = NULL;
	tr->ngroups = 0;
	memset(&tr->reasons, 0, sizeof(tr->reasons));
	gi.nslots = 64;
	while (gi.nslots < tr->ntasks * 2)
		gi.nslots *= 2;
	gi.slots = xcalloc(gi.nslots, sizeof(*gi.slots));
	fill_unknown_stacks(tr);
	for (size_t i = 0; i < tr->ntasks; i++) {
		struct pending_task *t = &tr->tasks[i];
		struct group_key k;

		key_of(t, &k);
		t->group = find_or_add(&gi, tr, &k, &cap);
		add_member(&tr->groups[t->group], &k, t, tr);
		if (t->reason < REASON_COUNT)
			tr->reasons.by_reason[t->reason]++;
	}
	/* Largest first; then renumber the tasks' group indexes. */
	for (size_t g = 0; g < tr->ngroups; g++)
		tr->groups[g].rep.pid = (int)g;  /* the old index, for the renumbering */
	if (tr->ngroups)
		qsort(tr->groups, tr->ngroups, sizeof(*tr->groups), cmp_groups);
	order = xcalloc(tr->ngroups ? tr->ngroups : 1, sizeof(*order));
	for (size_t g = 0; g < tr->ngroups; g++)
		order[tr->groups[g].rep.pid] = (uint32_t)g;
	rep_of = xcalloc(tr->ngroups ? tr->ngroups : 1, sizeof(*rep_of));
	for (size_t i = 0; i < tr->ntasks; i++) {
		struct pending_task *t = &tr->tasks[i];

		t->group = order[t->group];
		if (t->tid == tr->groups[t->group].rep.tid)
			rep_of[t->group] = i;
	}
	for (size_t g = 0; g < tr->ngroups; g++)
		fill_rep(&tr->groups[g], &tr->tasks[rep_of[g]]);
	free(rep_of);
	free(order);
	free(gi.slots);
	free(gi.keys);
}

uint32_t transition_info__func_ref(struct transition_info *tr, const char *name)
{
	if (!name || !*name)
		return 0;
	for (size_t i = 1; i < tr->nfuncs; i++)
		if (!strcmp(tr->funcs[i], name))
			return (uint32_t)i;
	if (!tr->nfuncs) {
		tr->funcs = xcalloc(2, sizeof(*tr->funcs));
		tr->nfuncs = 1;
	} else {
		tr->funcs = xrealloc(tr->funcs, (tr->nfuncs + 1) * sizeof(*tr->funcs));
	}
	tr->funcs[tr->nfuncs] = xstrdup(name);
	return (uint32_t)tr->nfuncs++;
}

const char *pending_task__function(const struct transition_info *tr, const struct pending_task *t)
{
	return t->func_ref && t->func_ref < tr->nfuncs ? tr->funcs[t->func_ref] : NULL;
}
