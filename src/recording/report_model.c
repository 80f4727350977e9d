// SPDX-License-Identifier: GPL-2.0
/* The report model of a recording (recording/report_model.h): built from
 * the events and the snapshots in one walk. */
#include "recording/report_model.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRANS 1024
#define MAX_TASKS (1u << 18)  /* stories; beyond, counted in tasks_untracked */
#define MAX_ROUNDS (1u << 20)
#define MAX_SAMPLES (1u << 20)
#define MAX_INSTANTS (1u << 16)
#define MAX_LEAK_GROUPS 256
#define MAX_LEAK_FRAMES 8
/* A snapshot filled this soon after the probes reported a switch may still
 * list the task (the kernel sets patch_state after the probe point, an
 * exiting task stays listed a moment): not a new episode of blocking. */
#define SWITCH_LAG_NS 1000000000ull

static void note_ts(struct report *rp, uint64_t ts)
{
	if (ts > rp->last_ts)
		rp->last_ts = ts;
}

static void add_instant(struct report *rp, uint64_t ts, int tid, const char *fmt, const char *arg)
{
	struct report_instant *in;

	if (rp->ninst >= MAX_INSTANTS)
		return;
	grow_array((void **)&rp->inst, &rp->capinst, rp->ninst, sizeof(*in));
	in = &rp->inst[rp->ninst++];
	in->ts = ts;
	in->tid = tid;
	snprintf(in->name, sizeof(in->name), fmt, arg);
}

/* ---- transitions ------------------------------------------------------------ */

static struct report_transition *new_trans(struct report *rp, uint64_t id, const char *patch,
					   int target)
{
	struct report_transition *t;

	if (rp->ntr >= MAX_TRANS)
		return NULL;
	grow_array((void **)&rp->tr, &rp->captr, rp->ntr, sizeof(*t));
	t = &rp->tr[rp->ntr++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	copy_str(t->patch, sizeof(t->patch), patch);
	t->target = target;
	return t;
}

static struct report_transition *open_trans(struct report *rp)
{
	return rp->ntr && !rp->tr[rp->ntr - 1].outcome ? &rp->tr[rp->ntr - 1] : NULL;
}

/* The transition an event belongs to; one joined mid-way gets a record. */
static struct report_transition *trans_of(struct report *rp, const struct klpt_event *e)
{
	struct report_transition *t, *last = open_trans(rp);

	for (size_t i = rp->ntr; i-- > 0;) {
		t = &rp->tr[i];
		if (t->id != e->transition_id || !t->seen_events)
			continue;
		/* Probes that joined a running transition learn its patch and
		 * target from the first snapshot: events before that have none. */
		if (!t->patch[0] && e->patch[0]) {
			copy_str(t->patch, sizeof(t->patch), e->patch);
			t->target = e->target;
		}
		return t;
	}
	/* A reversal is the same transition in a new epoch: the BPF side gives
	 * it a new transition_id (fresh blocker records), the report keeps one
	 * transition whose target turned. A transition first seen by a
	 * snapshot (joined) is adopted the same way. */
	if (last && !strncmp(last->patch, e->patch, KLPT_NAME_LEN) &&
	    (e->type == KLPT_EV_REVERSE || !last->seen_events)) {
		last->id = e->transition_id;
		last->seen_events = 1;
		return last;
	}
	t = new_trans(rp, e->transition_id, e->patch, e->target);
	if (t)
		t->seen_events = 1;
	return t;
}

/* ---- tasks ------------------------------------------------------------------ */

/* A stall of thousands of tasks lists each of them in every snapshot:
 * finding a task's story must not walk all the stories (an hour of 10,000
 * pending would take hours). task_slots (open addressing, at most half
 * full) holds the newest story of each (tid, patch), 1-based; each story
 * links to the one before it of the same tid and patch. */
static uint64_t story_hash(int tid, const char *patch)
{
	uint64_t h = (14695981039346656037ull ^ (uint32_t)tid) * 1099511628211ull;

	for (const char *c = patch; *c; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	return h;
}

static size_t *story_slot(const struct report *rp, int tid, const char *patch)
{
	size_t mask = rp->nslots - 1;

	for (size_t i = story_hash(tid, patch) & mask;; i = (i + 1) & mask) {
		size_t *s = &rp->task_slots[i];
		const struct report_task *t = *s ? &rp->tasks[*s - 1] : NULL;

		if (!t || (t->t.tid == tid && !strcmp(t->patch, patch)))
			return s;
	}
}

static void grow_story_index(struct report *rp)
{
	free(rp->task_slots);
	rp->nslots = rp->nslots ? rp->nslots * 2 : 1024;
	rp->task_slots = xcalloc(rp->nslots, sizeof(*rp->task_slots));
	for (size_t i = 0; i < rp->ntasks; i++)  /* in order: the newest wins */
		*story_slot(rp, rp->tasks[i].t.tid, rp->tasks[i].patch) = i + 1;
}

static struct report_task *newest_story(const struct report *rp, int tid, const char *patch)
{
	size_t s = rp->nslots ? *story_slot(rp, tid, patch) : 0;

	return s ? &rp->tasks[s - 1] : NULL;
}

static struct report_task *older_story(const struct report *rp, const struct report_task *t)
{
	return t->prev ? &rp->tasks[t->prev - 1] : NULL;
}

static struct report_task *new_story(struct report *rp, int tid, const char *patch)
{
	struct report_task *t;
	size_t *slot;

	if (rp->ntasks >= MAX_TASKS) {
		rp->untracked_now++;
		return NULL;
	}
	if (!newest_story(rp, tid, patch) && (rp->nkeys + 1) * 2 > rp->nslots)
		grow_story_index(rp);
	slot = story_slot(rp, tid, patch);
	rp->nkeys += !*slot;
	grow_array((void **)&rp->tasks, &rp->captasks, rp->ntasks, sizeof(*t));
	t = &rp->tasks[rp->ntasks++];
	memset(t, 0, sizeof(*t));
	t->t.tid = tid;
	t->t.switched_how = -1;
	t->prev = *slot;
	copy_str(t->patch, sizeof(t->patch), patch);
	*slot = rp->ntasks;
	return t;
}

/* The story of tid in patch still open, or a new one. */
static struct report_task *task_of(struct report *rp, int tid, const char *patch)
{
	for (struct report_task *t = newest_story(rp, tid, patch); t; t = older_story(rp, t))
		if (!t->ended)
			return t;
	return new_story(rp, tid, patch);
}

/* A task's reason can change (a spinner that stops spinning sleeps): the
 * story names the one seen most, and counts the others. Never seen
 * checked in a snapshot: the probes' last word. */
static void count_reason(struct report_task *t, enum block_reason r, unsigned int weight)
{
	int best = REASON_UNKNOWN;

	if ((int)r < 0 || r >= REPORT_NREASONS)
		r = REASON_UNKNOWN;
	t->seen[r] += weight;
	for (int j = REASON_RUNNING; j < REPORT_NREASONS; j++)
		if (t->seen[j] > (best == REASON_UNKNOWN ? 0 : t->seen[best]))
			best = j;
	t->t.reason = best != REASON_UNKNOWN ? (enum block_reason)best
					       : t->t.reason ? t->t.reason : r;
}

static void set_str(char **dst, const char *src)
{
	if (!src || !*src)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static void end_task(struct report_task *t, uint64_t ts, int how, const char *inferred)
{
	t->ended = 1;
	t->ended_ns = ts;
	t->t.switched_how = how;
	t->inferred = inferred;
}

/* Tasks of patch that were pending and are no more: switched by now. The
 * probes report only the switches they see (BLOCKER_SWITCHED); the rest are
 * known from the snapshots, to within one interval. */
static void gone_from_pending(struct report *rp, const char *patch, uint64_t ts, int how,
			      const char *inferred)
{
	for (size_t i = 0; i < rp->ntasks; i++) {
		struct report_task *t = &rp->tasks[i];

		if (!t->ended && t->last_ns < ts && !strcmp(t->patch, patch))
			end_task(t, ts, how, inferred);
	}
}

/* Signal rounds of t between since and until. */
static unsigned int signals_between(const struct report_transition *t, uint64_t since,
				    uint64_t until)
{
	unsigned int n = 0;

	for (size_t i = 0; i < t->signal_rounds && i < REPORT_MAX_SIGNAL_TS; i++)
		n += t->signal_ts[i] >= since && t->signal_ts[i] <= until;
	return n;
}

/* A task that had failed a check switched (or exited): the probes' word. */
static void blocker_switched(struct report *rp, struct report_transition *t,
			     const struct klpt_event *e)
{
	struct report_task *tk = task_of(rp, (int)e->tid, t->patch);
	unsigned int signals;

	if (!tk)
		return;
	tk->t.pid = (int)e->pid;
	tk->t.kthread = (int)e->kthread;
	copy_str(tk->t.comm, sizeof(tk->t.comm), e->comm);
	count_reason(tk, reason__of_check(e->last_ret), 0);
	set_str(&tk->t.function, e->func);
	if (e->rounds_failed > tk->t.rounds_failed)
		tk->t.rounds_failed = e->rounds_failed;
	if (e->first_ns && e->first_ns <= e->ts_ns) {
		if (!tk->first_ns || e->first_ns < tk->first_ns)
			tk->first_ns = e->first_ns;
		if (e->ts_ns - e->first_ns > tk->t.blocked_ns)
			tk->t.blocked_ns = e->ts_ns - e->first_ns;
	}
	if (!tk->first_ns)
		tk->first_ns = e->ts_ns;
	signals = signals_between(t, tk->first_ns, e->ts_ns);
	if (signals > tk->t.signal_rounds_seen)
		tk->t.signal_rounds_seen = signals;
	tk->ended_by_event = 1;
	tk->last_ns = e->ts_ns;
	end_task(tk, e->ts_ns, e->how < SWITCH_HOW_MAX ? (int)e->how : -1, NULL);
	transition_cost__blocker_switched(&t->cost, (int)e->how, e->ts_ns, t->start_ns,
					  tk->t.signal_rounds_seen);
}

/* ---- events ----------------------------------------------------------------- */

static void round_event(struct report *rp, struct report_transition *t,
			const struct klpt_event *e)
{
	struct report_round *r;

	t->rounds++;
	transition_cost__round(&t->cost, e->round, e->ts_ns, e->round_ns, e->checked,
			       e->switched, t->start_ns);
	if (rp->nrounds < MAX_ROUNDS) {
		grow_array((void **)&rp->rounds, &rp->caprounds, rp->nrounds, sizeof(*r));
		rp->rounds[rp->nrounds++] = (struct report_round){
			.transition = (size_t)(t - rp->tr), .end_ns = e->ts_ns, .ns = e->round_ns,
			.round = e->round, .checked = e->checked, .switched = e->switched,
			.signals = !!e->signals,
		};
	}
	if (!e->signals)
		return;
	if (t->signal_rounds < REPORT_MAX_SIGNAL_TS)
		t->signal_ts[t->signal_rounds] = e->ts_ns;
	t->signal_rounds++;
	add_instant(rp, e->ts_ns, 0, "signal round (%s)", t->patch);
}

static void complete_event(struct report *rp, struct report_transition *t, uint64_t ts)
{
	t->end_ns = ts;
	transition_cost__complete(&t->cost, ts);
	if (t->forced)
		gone_from_pending(rp, t->patch, ts + 1, SWITCH_FORCE, NULL);
	else
		gone_from_pending(rp, t->patch, ts + 1, -1, "not seen; gone by the end");
	t->outcome = t->cancelled ? "cancelled" : t->forced ? "forced"
		     : t->reversed ? "reversed" : "completed";
}

static void transition_event(struct report *rp, struct klpt_event e)
{
	struct report_transition *t;

	e.patch[KLPT_NAME_LEN - 1] = '\0';
	e.comm[KLPT_COMM_LEN - 1] = '\0';
	e.func[KLPT_FUNC_LEN - 1] = '\0';
	note_ts(rp, e.ts_ns);
	if (e.type == KLPT_EV_INIT) {
		t = new_trans(rp, e.transition_id, e.patch, e.target);
		if (t) {
			t->seen_events = 1;
			t->start_ns = e.ts_ns;
			transition_cost__init(&t->cost, 1);
		}
		return;
	}
	t = trans_of(rp, &e);
	if (!t)
		return;
	switch (e.type) {
	case KLPT_EV_ROUND: round_event(rp, t, &e); break;
	case KLPT_EV_FORCE:
		t->forced = 1;
		add_instant(rp, e.ts_ns, 0, "force (%s)", t->patch);
		break;
	case KLPT_EV_REVERSE:
		t->reversed = 1;
		t->target = e.target; /* the new target, whatever we knew */
		/* Who held the old direction up is already where the new one goes. */
		gone_from_pending(rp, t->patch, e.ts_ns + 1, -1, "released by the reversal");
		add_instant(rp, e.ts_ns, 0, "reversal (%s)", t->patch);
		break;
	case KLPT_EV_CANCEL: t->cancelled = 1; break;
	case KLPT_EV_COMPLETE: complete_event(rp, t, e.ts_ns); break;
	case KLPT_EV_BLOCKER_SWITCHED: blocker_switched(rp, t, &e); break;
	default: break;
	}
}

/* A dictionary stack as model frames, from the traced function on (the BPF
 * program's own frames skipped, as klptop shadow does). */
static struct stack_frame *dict_frames(const struct rec_dict *d, uint32_t ref, size_t *n)
{
	const struct rec_stack *st = recfile__dict_stack(d, ref);
	struct stack_frame *f;
	uint32_t i = 0;

	*n = 0;
	if (!st || !st->n)
		return NULL;
	while (i + 1 < st->n &&
	       ((st->frames[i].module && !strcmp(st->frames[i].module, "bpf")) ||
		(st->frames[i].symbol && (!strncmp(st->frames[i].symbol, "bpf_", 4) ||
					  !strncmp(st->frames[i].symbol, "__bpf_", 6)))))
		i++;
	f = xcalloc(MAX_LEAK_FRAMES, sizeof(*f));
	for (; i < st->n && *n < MAX_LEAK_FRAMES; i++, (*n)++) {
		f[*n].addr = st->frames[i].addr;
		f[*n].symbol = st->frames[i].symbol ? xstrdup(st->frames[i].symbol) : NULL;
		f[*n].module = st->frames[i].module ? xstrdup(st->frames[i].module) : NULL;
		f[*n].offset = st->frames[i].offset;
	}
	return f;
}

static struct report_leak *leak_group(struct report *rp, enum shadow_leak_kind kind,
				      uint64_t id, int32_t as, int32_t fs)
{
	struct report_leak *l;

	for (size_t i = 0; i < rp->nleaks; i++) {
		l = &rp->leaks[i];
		if (l->kind == kind && l->id == id && l->astk == as && l->fstk == fs)
			return l;
	}
	if (rp->nleaks >= MAX_LEAK_GROUPS)
		return NULL;
	grow_array((void **)&rp->leaks, &rp->capleaks, rp->nleaks, sizeof(*l));
	l = &rp->leaks[rp->nleaks++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->id = id;
	l->astk = as;
	l->fstk = fs;
	l->first_ns = UINT64_MAX;
	return l;
}

/* A group's second stack is the owner's free for an orphan, the get that
 * returned it for a stale shadow, none for a duplicate (whose "alloc"
 * stack is the failed allocation). */
static void shadow_event(struct report *rp, const struct rec_event *ev, const struct rec_dict *d)
{
	static const char *const names[] = { "shadow orphan", "shadow stale", "shadow duplicate" };
	struct klpt_shadow_event e = ev->u.s;
	int32_t as = e.alloc_stack, fs = e.free_stack;
	uint32_t aref = ev->stack_ref, fref = ev->free_stack_ref;
	enum shadow_leak_kind kind;
	struct report_leak *l;

	note_ts(rp, e.ts_ns);
	if (e.type < KLPT_SH_EV_ORPHAN || e.type > KLPT_SH_EV_DUPLICATE)
		return;
	kind = (enum shadow_leak_kind)(e.type - KLPT_SH_EV_ORPHAN);
	rp->shadow_kinds[kind]++;
	add_instant(rp, e.ts_ns, -1, "%s", names[kind]);
	if (kind == SHADOW_LEAK_STALE) {
		fs = e.stack;
		fref = ev->get_stack_ref;
	} else if (kind == SHADOW_LEAK_DUPLICATE) {
		as = e.stack;
		aref = ev->get_stack_ref;
		fs = -1;
		fref = 0;
	}
	l = leak_group(rp, kind, e.id, as, fs);
	if (!l) {
		rp->leaks_ungrouped++;
		return;
	}
	if (!l->count) {
		l->alloc = dict_frames(d, aref, &l->nalloc);
		l->free = dict_frames(d, fref, &l->nfree);
	}
	e.cache[KLPT_CACHE_LEN - 1] = '\0';
	if (e.cache[0])
		copy_str(l->cache, sizeof(l->cache), e.cache);
	l->count++;
	if (e.ts_ns < l->first_ns)
		l->first_ns = e.ts_ns;
	if (e.ts_ns > l->last_ns)
		l->last_ns = e.ts_ns;
}

void report__event(void *ctx, const struct rec_event *e, const struct rec_dict *d)
{
	if (e->kind == REC_EV_TRANSITION)
		transition_event(ctx, e->u.t);
	else
		shadow_event(ctx, e, d);
}

/* ---- snapshots -------------------------------------------------------------- */

/* Frames replace the ones kept when the snapshot has some. */
static void take_frames(struct stack_frame **dst, size_t *ndst, struct stack_frame **src,
			size_t *nsrc)
{
	if (!*nsrc)
		return;
	stack_frames__free(*dst, *ndst);
	*dst = *src;
	*ndst = *nsrc;
	*src = NULL;
	*nsrc = 0;
}

static int just_switched(const struct report *rp, int tid, const char *patch, uint64_t ts)
{
	for (const struct report_task *o = newest_story(rp, tid, patch); o; o = older_story(rp, o))
		if (o->ended && o->ended_by_event && ts >= o->ended_ns && ts - o->ended_ns < SWITCH_LAG_NS)
			return 1;
	return 0;
}

/* A task's stacks: its group's shown task's (the members of a group share
 * their stack), its own when it is the one shown. */
static void group_frames(struct report_task *t, const struct blocker_group *g)
{
	const struct task_snap *rep = &g->rep;

	if (rep->noncpu && (rep->tid == t->t.tid || !t->t.noncpu)) {
		stack_frames__free(t->t.oncpu, t->t.noncpu);
		t->t.oncpu = stack_frames__copy(rep->oncpu, rep->noncpu);
		t->t.noncpu = rep->noncpu;
	}
	if (rep->nstack && (rep->tid == t->t.tid || !t->t.nstack)) {
		stack_frames__free(t->t.stack, t->t.nstack);
		t->t.stack = stack_frames__copy(rep->stack, rep->nstack);
		t->t.nstack = rep->nstack;
	}
}

/* Said once, a cause stays: the last snapshot that judged the task says
 * why it will never switch and what would. */
static void never_of(struct report_task *t, const struct blocker_group *g)
{
	if (g->never == NEVER_NONE)
		return;
	t->t.never = g->never;
	set_str(&t->t.help, g->rep.help);
}

static void snapshot_task(struct report *rp, const struct transition_info *tr,
			  const struct pending_task *p, uint64_t ts)
{
	struct report_task *t;

	if (just_switched(rp, p->tid, tr->patch, ts) || !(t = task_of(rp, p->tid, tr->patch)))
		return;
	t->t.pid = p->pid;
	t->t.kthread = p->kthread;
	copy_str(t->t.comm, sizeof(t->t.comm), p->comm);
	count_reason(t, p->reason, 1);
	set_str(&t->t.function, pending_task__function(tr, p));
	if (p->rounds_failed > t->t.rounds_failed)
		t->t.rounds_failed = p->rounds_failed;
	if (p->signal_rounds_seen > t->t.signal_rounds_seen)
		t->t.signal_rounds_seen = p->signal_rounds_seen;
	if (p->blocked_ns > t->t.blocked_ns)
		t->t.blocked_ns = p->blocked_ns;
	if (p->blocked_ns && p->blocked_ns < ts &&
	    (!t->first_ns || ts - p->blocked_ns < t->first_ns))
		t->first_ns = ts - p->blocked_ns;
	if (!t->first_ns)
		t->first_ns = ts;
	t->last_ns = ts;
	if (p->group < tr->ngroups) {
		group_frames(t, &tr->groups[p->group]);
		never_of(t, &tr->groups[p->group]);
	}
}

static struct report_sample *add_sample(struct report *rp, uint64_t ts)
{
	struct report_sample *smp;

	if (rp->nsamples >= MAX_SAMPLES)
		return NULL;
	grow_array((void **)&rp->samples, &rp->capsamples, rp->nsamples, sizeof(*smp));
	smp = &rp->samples[rp->nsamples++];
	*smp = (struct report_sample){ .ts = ts, .pending = -1, .shadows = -1 };
	return smp;
}

/* The transition a snapshot shows: the open one, or a new one joined. */
static struct report_transition *snapshot_trans(struct report *rp, const struct transition_info *tr,
						uint64_t ts)
{
	struct report_transition *t = open_trans(rp);

	if (t && !t->patch[0]) {
		/* Events came first, from probes not yet told what they joined. */
		copy_str(t->patch, sizeof(t->patch), tr->patch);
		t->target = tr->target;
	} else if (!t || strcmp(t->patch, tr->patch)) {
		t = new_trans(rp, 0, tr->patch, tr->target);
		if (t && tr->elapsed_ns && tr->elapsed_ns < ts)
			t->start_ns = ts - tr->elapsed_ns;
	}
	return t;
}

/* A snapshot taken as a transition ended, written after the probes' event
 * of its end: it still shows the transition (sysfs says "1" until the
 * kernel's completion is over). It is the ended one, not a new one, unless
 * it says it began after that end. A new transition of the same patch to
 * the same target needs the opposite one in between. */
static int shows_ended_transition(const struct report *rp, const struct transition_info *tr,
				  uint64_t ts)
{
	const struct report_transition *last = rp->ntr ? &rp->tr[rp->ntr - 1] : NULL;

	if (!last || !last->outcome || !last->seen_events || !last->end_ns ||
	    last->target != tr->target || strcmp(last->patch, tr->patch))
		return 0;
	return !tr->elapsed_ns || tr->elapsed_ns > ts || ts - tr->elapsed_ns <= last->end_ns;
}

void report__snapshot(void *ctx, size_t index, uint64_t ts, struct snapshot *s)
{
	struct report *rp = ctx;
	struct report_sample *smp = add_sample(rp, ts);
	struct transition_info *tr = s->transition;
	struct report_transition *t;

	note_ts(rp, ts);
	if (tr && shows_ended_transition(rp, tr, ts))
		tr = NULL;  /* the transition that just ended, seen late */
	if (tr) {
		t = snapshot_trans(rp, tr, ts);
		if (smp)
			smp->pending = (long)tr->tasks_pending;
		if (t && tr->observed) {
			memcpy(t->switched, tr->switched, sizeof(t->switched));
			t->switched_known = 1;
		}
		rp->untracked_now = 0;
		for (size_t i = 0; i < tr->ntasks; i++)
			snapshot_task(rp, tr, &tr->tasks[i], ts);
		if (rp->untracked_now > rp->tasks_untracked)
			rp->tasks_untracked = rp->untracked_now;
		gone_from_pending(rp, tr->patch, ts, -1, "not seen; gone from pending");
	} else if ((t = open_trans(rp)) && !t->seen_events) {
		/* Without BPF the end is only seen as the transition file going 0. */
		t->end_ns = ts;
		t->outcome = "ended";
		gone_from_pending(rp, t->patch, ts, -1, "not seen; transition ended");
	}
	if (s->shadows) {
		if (smp)
			smp->shadows = (long)s->shadows->live;
		shadow_snapshot__free(rp->shadows);
		free(rp->shadows);
		rp->shadows = s->shadows;
		s->shadows = NULL;
	}
}

void report__trigger(void *ctx, const char *why, uint64_t mono_ns)
{
	add_instant(ctx, mono_ns, 0, "trigger: %s", why);
}

/* ---- the whole file --------------------------------------------------------- */

/* Version-1 files carry stack ids only: a group's stacks then come from the
 * last snapshot's leak report of the same kind and id. */
static void leak_stacks_from_snapshot(struct report *rp, struct report_leak *l)
{
	for (size_t i = 0; rp->shadows && i < rp->shadows->nleaks; i++) {
		struct shadow_leak *sl = &rp->shadows->leaks[i];

		if (sl->kind != l->kind || sl->id != l->id)
			continue;
		if (!l->nalloc)
			take_frames(&l->alloc, &l->nalloc, &sl->alloc_stack, &sl->nalloc_stack);
		if (!l->nfree && l->kind != SHADOW_LEAK_DUPLICATE)
			take_frames(&l->free, &l->nfree, &sl->free_stack, &sl->nfree_stack);
		return;
	}
}

void report__finish(struct report *rp)
{
	for (size_t i = 0; i < rp->nleaks; i++)
		leak_stacks_from_snapshot(rp, &rp->leaks[i]);
	report__group_stragglers(rp);
}

void report__init(struct report *rp, const struct recording *r)
{
	memset(rp, 0, sizeof(*rp));
	rp->rec = r;
}

void report__build(struct report *rp, struct recording *r)
{
	static const struct recording_visitor v = {
		.event = report__event, .snapshot = report__snapshot, .trigger = report__trigger,
	};

	report__init(rp, r);
	recording__walk(r, &v, rp);
	report__finish(rp);
}

void report__free(struct report *rp)
{
	for (size_t i = 0; i < rp->ntasks; i++)
		task_snap__free(&rp->tasks[i].t);
	for (size_t i = 0; i < rp->nleaks; i++) {
		stack_frames__free(rp->leaks[i].alloc, rp->leaks[i].nalloc);
		stack_frames__free(rp->leaks[i].free, rp->leaks[i].nfree);
	}
	shadow_snapshot__free(rp->shadows);
	free(rp->shadows);
	report__free_straggler_groups(rp);
	free(rp->tasks);
	free(rp->task_slots);
	free(rp->leaks);
	free(rp->tr);
	free(rp->rounds);
	free(rp->samples);
	free(rp->inst);
	memset(rp, 0, sizeof(*rp));
}

/* ---- questions the renderers ask -------------------------------------------- */

const char *report_transition__patch(const struct report_transition *t)
{
	return t->patch[0] ? t->patch : "(patch unknown)";
}

static int patch_observed(const struct report *rp, const char *patch)
{
	for (size_t i = 0; i < rp->ntr; i++)
		if (rp->tr[i].seen_events && !strcmp(rp->tr[i].patch, patch))
			return 1;
	return 0;
}

/* A task merely caught pending by a snapshot, before its first check, is
 * no straggler: after a reversal that is every task. */
int report__is_straggler(const struct report *rp, const struct report_task *t)
{
	if (t->t.rounds_failed > 0)
		return 1;
	return !patch_observed(rp, t->patch) && t->last_ns > t->first_ns;
}

size_t report__max_tasks(void)
{
	return MAX_TASKS;
}

uint64_t report_task__blocked_ns(const struct report_task *t)
{
	uint64_t end = t->ended ? t->ended_ns : t->last_ns;
	uint64_t span = end > t->first_ns ? end - t->first_ns : 0;

	return span > t->t.blocked_ns ? span : t->t.blocked_ns;
}

/* ---- what --replay asks ------------------------------------------------------ */

void report__facts(const struct report *rp, struct report_facts *f)
{
	const struct report_transition *t = rp->ntr ? &rp->tr[rp->ntr - 1] : NULL;

	memset(f, 0, sizeof(*f));
	if (!t || !t->seen_events)
		return;
	f->valid = 1;
	copy_str(f->patch, sizeof(f->patch), t->patch);
	f->start_ns = t->start_ns;
	f->rounds = t->rounds;
	f->signal_rounds = t->signal_rounds;
	f->forced = t->forced;
	f->reversed = t->reversed;
	f->cost = t->cost;
}

void report_facts__apply(const struct report_facts *f, uint64_t mono_ns, struct snapshot *s)
{
	struct transition_info *tr = s->transition;

	if (!f->valid || !tr || strcmp(tr->patch, f->patch))
		return;
	if (!tr->observed) {
		tr->observed = 1;
		tr->rounds = f->rounds;
		tr->signal_rounds = f->signal_rounds;
		tr->forced = f->forced;
		tr->reversed = f->reversed;
		if (f->start_ns && mono_ns >= f->start_ns) {
			tr->start_ns = f->start_ns;
			tr->elapsed_ns = mono_ns - f->start_ns;
		}
	}
	if (!tr->cost.round_hist.n && f->cost.round_hist.n)
		tr->cost = f->cost;
}
