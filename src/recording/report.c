// SPDX-License-Identifier: GPL-2.0
/* klptop report FILE: what a recording says happened. One pass over the
 * chunks builds a small model (transitions, convergence samples, blocking
 * tasks, instants); text, --json and --format chrome (Trace Event JSON for
 * Perfetto / chrome://tracing) are drawn from it. The reader stops at the
 * first damaged chunk and reports what came before. */
#include "lib/exitcode.h"
#include "lib/log.h"
#include <json-c/json.h>
#include "recording/recfile.h"
#include "lib/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "klptop/shadow.h"
#include "klptop/transition.h"

#define MAX_TRANS 1024
#define MAX_TASKS 4096
#define MAX_SAMPLES (1u << 20)
#define MAX_INSTANTS (1u << 16)
#define MAX_LEAK_GROUPS 256

struct rtrans {
	uint64_t id;             /* transition_id; 0: joined, seen only in snapshots */
	char patch[KLPT_NAME_LEN + 1];
	int target;
	uint64_t start_ns, end_ns;   /* CLOCK_MONOTONIC; 0 unknown / not ended */
	unsigned int rounds, signal_rounds;
	/* When the first signal rounds ran: a straggler's share of them is
	 * counted from these (its blocker record stops at its last failed
	 * check, usually before the round whose signal freed it). */
	uint64_t signal_ts[256];
	int forced, reversed, cancelled;
	const char *outcome;     /* NULL: still pending at the end of the file */
	int seen_events;
};

struct rtask {
	int tid, pid, kthread;
	char comm[32];
	char reason[24];         /* the reason seen most often */
	unsigned int seen[4];    /* samples per reason: running, sleeping_on, unreliable, unknown */
	char *function;
	char *oncpu;             /* "a <- b <- c" */
	char *stack;
	unsigned int rounds_failed, signal_rounds_seen;
	uint64_t blocked_ns;
	uint64_t first_ns, last_ns;  /* blocking since / last seen blocking */
	int switched;
	int switched_by_event;   /* KLPT_EV_BLOCKER_SWITCHED, not inferred */
	const char *how;
	uint64_t switched_ns;
	char patch[KLPT_NAME_LEN + 1];
};

struct rsample {
	uint64_t ts;
	long pending;            /* -1: no transition */
	long shadows;            /* -1: no shadow probes */
};

struct rinstant {
	uint64_t ts;
	int tid;
	char name[64];
};

/* Shadow events grouped like klptop shadow's leak reports: by kind, id,
 * allocation stack and free stack. */
struct rleak {
	uint32_t type;
	uint64_t id;
	int32_t astk, fstk;           /* the recorded stack ids */
	uint32_t astk_ref, fstk_ref;  /* into the file's stack dictionary (v2) */
	uint64_t count, first_ns, last_ns;
	char cache[KLPT_CACHE_LEN];
	char *alloc_text, *free_text; /* "a <- b", NULL: not known */
};

struct report {
	json_object *header, *meta, *drops, *end, *shadows;
	json_object *trigger;    /* flight recorder: why the ring was written */
	uint64_t t0;             /* start_monotonic_ns of the header */
	uint64_t last_ts;
	struct rtrans *tr;
	size_t ntr, captr;
	struct rtask *tasks;
	size_t ntasks, captasks;
	struct rsample *samples;
	size_t nsamples, capsamples;
	struct rinstant *inst;
	size_t ninst, capinst;
	uint64_t nevents, nshadow_events, nsnapshots, nsymbols, bad_payloads;
	uint64_t shadow_kinds[4];
	struct rleak *leaks;
	size_t nleaks, capleaks;
	uint64_t leaks_ungrouped;   /* events beyond MAX_LEAK_GROUPS groups */
	uint64_t chunks;
	const char *problem;     /* the reader's message, or NULL */
	int complete;
	struct rec_dict *dict;   /* version 2: strings and stacks */
	uint64_t type_bytes[REC_TYPE_MAX];   /* file bytes by chunk type */
	uint32_t version, flags;
};

static const char *how_name(uint32_t how)
{
	/* enum klpt_switch_how; an exiting task never switches, its story
	 * just ends */
	static const char *const n[] = { "stack-check", "user-exit", "idle", "fork", "force",
					 "exited" };

	return how < ARRAY_SIZE(n) ? n[how] : "unknown";
}

static const char *reason_name(int ret)
{
	switch (ret) {
	case -KLPT_EBUSY: return "running";
	case -KLPT_EADDRINUSE: return "sleeping_on";
	case -KLPT_EINVAL: return "unreliable";
	default: return "unknown";
	}
}

static double rel_s(const struct report *rp, uint64_t ts)
{
	return ts >= rp->t0 ? (double)(ts - rp->t0) / 1e9 : -(double)(rp->t0 - ts) / 1e9;
}

static void note_ts(struct report *rp, uint64_t ts)
{
	if (ts > rp->last_ts)
		rp->last_ts = ts;
}

static void add_instant(struct report *rp, uint64_t ts, int tid, const char *fmt, const char *arg)
{
	struct rinstant *in;

	if (rp->ninst >= MAX_INSTANTS)
		return;
	grow_array((void **)&rp->inst, &rp->capinst, rp->ninst, sizeof(*in));
	in = &rp->inst[rp->ninst++];
	in->ts = ts;
	in->tid = tid;
	snprintf(in->name, sizeof(in->name), fmt, arg);
}

static struct rtrans *new_trans(struct report *rp, uint64_t id, const char *patch, int target)
{
	struct rtrans *t;

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

/* The transition an event belongs to; one joined mid-way gets a record. */
static struct rtrans *trans_of(struct report *rp, const struct klpt_event *e)
{
	for (size_t i = rp->ntr; i-- > 0;) {
		struct rtrans *t = &rp->tr[i];

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
	 * it a new transition_id (fresh blocker records), the report keeps
	 * one transition whose target turned. */
	if (e->type == KLPT_EV_REVERSE && rp->ntr && !rp->tr[rp->ntr - 1].outcome &&
	    !strncmp(rp->tr[rp->ntr - 1].patch, e->patch, KLPT_NAME_LEN)) {
		rp->tr[rp->ntr - 1].id = e->transition_id;
		rp->tr[rp->ntr - 1].seen_events = 1;
		return &rp->tr[rp->ntr - 1];
	}
	/* A transition first seen by a snapshot (joined): adopt it. */
	if (rp->ntr && !rp->tr[rp->ntr - 1].seen_events && !rp->tr[rp->ntr - 1].outcome &&
	    !strncmp(rp->tr[rp->ntr - 1].patch, e->patch, KLPT_NAME_LEN)) {
		struct rtrans *t = &rp->tr[rp->ntr - 1];

		t->id = e->transition_id;
		t->seen_events = 1;
		return t;
	}
	struct rtrans *t = new_trans(rp, e->transition_id, e->patch, e->target);

	if (t)
		t->seen_events = 1;
	return t;
}

static struct rtrans *open_trans(struct report *rp)
{
	return rp->ntr && !rp->tr[rp->ntr - 1].outcome ? &rp->tr[rp->ntr - 1] : NULL;
}

static struct rtask *task_of(struct report *rp, int tid, const char *patch)
{
	struct rtask *t;

	for (size_t i = rp->ntasks; i-- > 0;)
		if (rp->tasks[i].tid == tid && !strcmp(rp->tasks[i].patch, patch) &&
		    !rp->tasks[i].switched)
			return &rp->tasks[i];
	if (rp->ntasks >= MAX_TASKS)
		return NULL;
	grow_array((void **)&rp->tasks, &rp->captasks, rp->ntasks, sizeof(*t));
	t = &rp->tasks[rp->ntasks++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	copy_str(t->patch, sizeof(t->patch), patch);
	copy_str(t->reason, sizeof(t->reason), "unknown");
	return t;
}

static const char *const reasons[4] = { "running", "sleeping_on", "unreliable", "unknown" };

/* A task's reason can change (a spinner that stops spinning sleeps): the
 * story names the one seen most, and the others. */
static void count_reason(struct rtask *t, const char *r, unsigned int weight)
{
	unsigned int best = 0;
	size_t i;

	for (i = 0; i < 3 && strcmp(reasons[i], r); i++)
		;
	t->seen[i] += weight;
	for (size_t j = 0; j < 3; j++)
		if (t->seen[j] > t->seen[best])
			best = (unsigned int)j;
	/* Never seen checked in a snapshot: the probes' last verdict. */
	copy_str(t->reason, sizeof(t->reason), t->seen[best] ? reasons[best] : r);
}

/* Tasks of patch that were pending and are no more: switched by now. The
 * probes report only the switches they see (BLOCKER_SWITCHED); the rest are
 * known from the snapshots, to within one interval. */
static void gone_from_pending(struct report *rp, const char *patch, uint64_t ts,
			      const char *how)
{
	for (size_t i = 0; i < rp->ntasks; i++) {
		struct rtask *t = &rp->tasks[i];

		if (t->switched || t->last_ns >= ts || strcmp(t->patch, patch))
			continue;
		t->switched = 1;
		t->how = how;
		t->switched_ns = ts;
	}
}

static void set_str(char **dst, const char *src)
{
	if (!src || !*src)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

/* Signal rounds tk lived through while blocking t, up to until. */
static void count_signals_seen(struct rtask *tk, const struct rtrans *t, uint64_t until)
{
	unsigned int n = 0;

	for (size_t i = 0; i < t->signal_rounds && i < ARRAY_SIZE(t->signal_ts); i++)
		if (t->signal_ts[i] >= tk->first_ns && t->signal_ts[i] <= until)
			n++;
	if (n > tk->signal_rounds_seen)
		tk->signal_rounds_seen = n;
}

static void trans_event(struct report *rp, struct klpt_event e)
{
	struct rtrans *t;
	struct rtask *tk;

	rp->nevents++;
	e.patch[KLPT_NAME_LEN - 1] = '\0';
	e.comm[KLPT_COMM_LEN - 1] = '\0';
	e.func[KLPT_FUNC_LEN - 1] = '\0';
	note_ts(rp, e.ts_ns);
	if (e.type == KLPT_EV_INIT) {
		t = new_trans(rp, e.transition_id, e.patch, e.target);
		if (t) {
			t->seen_events = 1;
			t->start_ns = e.ts_ns;
		}
		return;
	}
	t = trans_of(rp, &e);
	if (!t)
		return;
	switch (e.type) {
	case KLPT_EV_ROUND:
		t->rounds++;
		if (e.signals) {
			if (t->signal_rounds < ARRAY_SIZE(t->signal_ts))
				t->signal_ts[t->signal_rounds] = e.ts_ns;
			t->signal_rounds++;
			add_instant(rp, e.ts_ns, 0, "signal round (%s)", t->patch);
		}
		break;
	case KLPT_EV_FORCE:
		t->forced = 1;
		add_instant(rp, e.ts_ns, 0, "force (%s)", t->patch);
		break;
	case KLPT_EV_REVERSE:
		t->reversed = 1;
		t->target = (int)e.target; /* the new target, whatever we knew */
		/* Who held the old direction up is already where the new one goes. */
		gone_from_pending(rp, t->patch, e.ts_ns + 1, "released by the reversal");
		add_instant(rp, e.ts_ns, 0, "reversal (%s)", t->patch);
		break;
	case KLPT_EV_CANCEL:
		t->cancelled = 1;
		break;
	case KLPT_EV_COMPLETE:
		t->end_ns = e.ts_ns;
		gone_from_pending(rp, t->patch, e.ts_ns + 1,
				  t->forced ? "force" : "not seen; gone by the end");
		t->outcome = t->cancelled ? "cancelled" : t->forced ? "forced"
			     : t->reversed ? "reversed" : "completed";
		break;
	case KLPT_EV_BLOCKER_SWITCHED:
		tk = task_of(rp, (int)e.tid, t->patch);
		if (!tk)
			break;
		tk->pid = (int)e.pid;
		tk->kthread = (int)e.kthread;
		copy_str(tk->comm, sizeof(tk->comm), e.comm);
		count_reason(tk, reason_name(e.last_ret), 0);
		set_str(&tk->function, e.func);
		if (e.rounds_failed > tk->rounds_failed)
			tk->rounds_failed = e.rounds_failed;
		if (e.first_ns && e.first_ns <= e.ts_ns) {
			if (!tk->first_ns || e.first_ns < tk->first_ns)
				tk->first_ns = e.first_ns;
			if (e.ts_ns - e.first_ns > tk->blocked_ns)
				tk->blocked_ns = e.ts_ns - e.first_ns;
		}
		if (!tk->first_ns)
			tk->first_ns = e.ts_ns;
		count_signals_seen(tk, t, e.ts_ns);
		tk->switched = 1;
		tk->switched_by_event = 1;
		tk->how = how_name(e.how);
		tk->switched_ns = e.ts_ns;
		tk->last_ns = e.ts_ns;
		break;
	default:
		break;
	}
}

/* "sym+0xoff [mod] <- ..." of a dictionary stack, from the traced function
 * on (the BPF program's own frames skipped, as klptop shadow does). */
static char *stack_text(const struct report *rp, uint32_t ref)
{
	const struct rec_stack *st = recfile__dict_stack(rp->dict, ref);
	char buf[1024] = "";
	uint32_t i = 0, shown = 0;

	if (!st || !st->n)
		return NULL;
	while (i + 1 < st->n && ((st->frames[i].module && !strcmp(st->frames[i].module, "bpf")) ||
				 (st->frames[i].symbol && (!strncmp(st->frames[i].symbol, "bpf_", 4) ||
							   !strncmp(st->frames[i].symbol, "__bpf_", 6)))))
		i++;
	for (; i < st->n && shown < 8; i++, shown++) {
		const struct rec_frame *f = &st->frames[i];
		size_t l = strlen(buf);

		if (f->symbol)
			snprintf(buf + l, sizeof(buf) - l, "%s%s+0x%llx%s%s%s", shown ? " <- " : "",
				 f->symbol, (unsigned long long)f->offset, f->module ? " [" : "",
				 f->module ?: "", f->module ? "]" : "");
		else
			snprintf(buf + l, sizeof(buf) - l, "%s?", shown ? " <- " : "");
	}
	return xstrdup(buf);
}

/* refs: the dictionary stacks of alloc_stack, free_stack and stack (0s in
 * version 1). A group's second stack is the owner's free for an orphan,
 * the get that returned it for a stale shadow, none for a duplicate (whose
 * "alloc" stack is the failed allocation). */
static void shadow_event(struct report *rp, struct klpt_shadow_event e, const uint32_t refs[3])
{
	static const char *const names[] = { "?", "shadow orphan", "shadow stale", "shadow duplicate" };
	struct rleak *l = NULL;
	int32_t as = e.alloc_stack, fs = e.free_stack;
	uint32_t aref = refs[0], fref = refs[1];

	rp->nshadow_events++;
	if (e.type >= ARRAY_SIZE(names))
		e.type = 0;
	rp->shadow_kinds[e.type]++;
	note_ts(rp, e.ts_ns);
	add_instant(rp, e.ts_ns, -1, "%s", names[e.type]);
	if (e.type == KLPT_SH_EV_STALE) {
		fs = e.stack;
		fref = refs[2];
	} else if (e.type == KLPT_SH_EV_DUPLICATE) {
		as = e.stack;
		aref = refs[2];
		fs = -1;
		fref = 0;
	}
	if (!e.type)
		return;
	for (size_t i = 0; i < rp->nleaks && !l; i++)
		if (rp->leaks[i].type == e.type && rp->leaks[i].id == e.id &&
		    rp->leaks[i].astk == as && rp->leaks[i].fstk == fs)
			l = &rp->leaks[i];
	if (!l) {
		if (rp->nleaks >= MAX_LEAK_GROUPS) {
			rp->leaks_ungrouped++;
			return;
		}
		grow_array((void **)&rp->leaks, &rp->capleaks, rp->nleaks, sizeof(*l));
		l = &rp->leaks[rp->nleaks++];
		memset(l, 0, sizeof(*l));
		l->type = e.type;
		l->id = e.id;
		l->astk = as;
		l->fstk = fs;
		l->astk_ref = aref;
		l->fstk_ref = fref;
		l->first_ns = e.ts_ns;
		l->alloc_text = stack_text(rp, aref);
		l->free_text = stack_text(rp, fref);
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

/* Version 1: one event per chunk, the struct as delivered. */
static void v1_event(struct report *rp, const struct rec_chunk *c)
{
	struct klpt_shadow_event se;
	struct klpt_event e;

	if (c->type == REC_TRANS_EVENT && !recfile__event(c, &e, sizeof(e)))
		trans_event(rp, e);
	else if (c->type == REC_SHADOW_EVENT && !recfile__event(c, &se, sizeof(se)))
		shadow_event(rp, se, (const uint32_t[3]){ 0, 0, 0 });
	else
		rp->bad_payloads++;
}

static void packed_event(void *ctx, const struct rec_event *e)
{
	if (e->kind == REC_EV_TRANSITION)
		trans_event(ctx, e->u.t);
	else
		shadow_event(ctx, e->u.s,
			     (const uint32_t[3]){ e->stack_ref, e->free_stack_ref, e->get_stack_ref });
}

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* "a <- b <- c" from a stack array of {symbol, ...}. */
static char *frames_text(json_object *arr)
{
	char buf[1024] = "";
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n && i < 12; i++) {
		const char *sym = jstr(json_object_array_get_idx(arr, i), "symbol");
		size_t l = strlen(buf);

		snprintf(buf + l, sizeof(buf) - l, "%s%s", i ? " <- " : "", sym ? sym : "?");
	}
	return n ? xstrdup(buf) : NULL;
}

static void snapshot_task(struct report *rp, json_object *p, const char *patch, uint64_t ts)
{
	struct rtask *t;
	json_object *v;
	const char *s;
	char *txt;
	int64_t x;

	if (!json_object_is_type(p, json_type_object))
		return;
	/* The probes' event can come just before a snapshot that still lists
	 * the task (the kernel sets patch_state after the probe point, an
	 * exiting task stays listed a moment): not a new episode. */
	for (size_t i = rp->ntasks; i-- > 0;) {
		const struct rtask *o = &rp->tasks[i];

		if (o->tid == (int)jint(p, "tid") && !strcmp(o->patch, patch) && o->switched &&
		    o->switched_by_event && ts >= o->switched_ns && ts - o->switched_ns < 1000000000ull)
			return;
	}
	t = task_of(rp, (int)jint(p, "tid"), patch);
	if (!t)
		return;
	t->pid = (int)jint(p, "pid");
	if (json_object_object_get_ex(p, "kthread", &v))
		t->kthread = json_object_get_boolean(v);
	if ((s = jstr(p, "comm")))
		copy_str(t->comm, sizeof(t->comm), s);
	if ((s = jstr(p, "reason")))
		count_reason(t, s, 1);
	set_str(&t->function, jstr(p, "function"));
	x = jint(p, "rounds_failed");
	if (x > 0 && (uint64_t)x > t->rounds_failed)
		t->rounds_failed = (unsigned int)x;
	x = jint(p, "signal_rounds_seen");
	if (x > 0 && (uint64_t)x > t->signal_rounds_seen)
		t->signal_rounds_seen = (unsigned int)x;
	x = jint(p, "blocked_ns");
	if (x > 0 && (uint64_t)x > t->blocked_ns)
		t->blocked_ns = (uint64_t)x;
	if (x > 0 && (uint64_t)x < ts && (!t->first_ns || ts - (uint64_t)x < t->first_ns))
		t->first_ns = ts - (uint64_t)x;
	if (!t->first_ns)
		t->first_ns = ts;
	t->last_ns = ts;
	if (json_object_object_get_ex(p, "oncpu_stack", &v) && (txt = frames_text(v))) {
		free(t->oncpu);
		t->oncpu = txt;
	}
	if (json_object_object_get_ex(p, "stack", &v) && (txt = frames_text(v))) {
		free(t->stack);
		t->stack = txt;
	}
}

static void snapshot_chunk(struct report *rp, const struct rec_chunk *c)
{
	json_object *o, *tr, *pend, *sh;
	struct rsample *smp;
	struct rtrans *t;
	uint64_t ts;
	char *txt;

	if (recfile__snapshot(c, &ts, &txt)) {
		rp->bad_payloads++;
		return;
	}
	o = json_tokener_parse(txt);
	free(txt);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		rp->bad_payloads++;
		return;
	}
	rp->nsnapshots++;
	note_ts(rp, ts);
	if (rp->nsamples < MAX_SAMPLES) {
		grow_array((void **)&rp->samples, &rp->capsamples, rp->nsamples, sizeof(*smp));
		smp = &rp->samples[rp->nsamples++];
		smp->ts = ts;
		smp->pending = -1;
		smp->shadows = -1;
	} else {
		smp = NULL;
	}
	t = open_trans(rp);
	if (json_object_object_get_ex(o, "transition", &tr) &&
	    json_object_is_type(tr, json_type_object)) {
		const char *patch = jstr(tr, "patch");
		const char *target = jstr(tr, "target");

		if (!patch)
			patch = "?";
		if (t && !t->patch[0]) {
			/* Events came first, from probes not yet told what they joined. */
			copy_str(t->patch, sizeof(t->patch), patch);
			t->target = target && !strcmp(target, "unpatched") ? 0 : 1;
		} else if (!t || strcmp(t->patch, patch)) {
			int64_t el = jint(tr, "elapsed_ns");

			t = new_trans(rp, 0, patch, target && !strcmp(target, "unpatched") ? 0 : 1);
			if (t && el > 0 && (uint64_t)el < ts)
				t->start_ns = ts - (uint64_t)el;
		}
		if (smp)
			smp->pending = (long)jint(tr, "tasks_pending");
		if (json_object_object_get_ex(tr, "pending", &pend) &&
		    json_object_is_type(pend, json_type_array)) {
			size_t n = json_object_array_length(pend);

			for (size_t i = 0; i < n; i++)
				snapshot_task(rp, json_object_array_get_idx(pend, i), patch, ts);
		}
		gone_from_pending(rp, patch, ts, "not seen; gone from pending");
	} else if (t && !t->seen_events) {
		/* Without BPF the end is only seen as the transition file going 0. */
		t->end_ns = ts;
		t->outcome = "ended";
		gone_from_pending(rp, t->patch, ts, "not seen; transition ended");
	}
	if (json_object_object_get_ex(o, "shadows", &sh) && json_object_is_type(sh, json_type_object)) {
		if (smp)
			smp->shadows = (long)jint(sh, "live");
		json_object_put(rp->shadows);
		rp->shadows = json_object_get(sh);
	}
	json_object_put(o);
}

static void keep_json(json_object **dst, const struct rec_chunk *c)
{
	json_object *o = recfile__chunk_json(c);

	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	json_object_put(*dst);
	*dst = o;
}

static void build(struct report *rp, struct rec_reader *rd)
{
	struct rec_chunk c;

	rp->dict = recfile__dict_new();
	rp->version = rd->version;
	rp->flags = rd->flags;
	while (recfile__next(rd, &c) == 1) {
		rp->type_bytes[c.type] += REC_CHUNK_HDR + (uint64_t)c.len;
		switch (c.type) {
		case REC_HEADER:
			keep_json(&rp->header, &c);
			rp->t0 = (uint64_t)jint(rp->header, "start_monotonic_ns");
			break;
		case REC_METADATA: {
			json_object *m = NULL;

			keep_json(&m, &c);
			if (m && json_object_object_get_ex(m, "trigger", NULL)) {
				json_object_put(rp->trigger);
				rp->trigger = m;
				add_instant(rp, (uint64_t)jint(m, "monotonic_ns"), 0, "trigger: %s",
					    jstr(m, "trigger") ?: "?");
			} else if (m) {
				json_object_put(rp->meta);
				rp->meta = m;
			}
			break;
		}
		case REC_TRANS_EVENT:
		case REC_SHADOW_EVENT: v1_event(rp, &c); break;
		case REC_STRINGS:
		case REC_STACKS:
			if (recfile__dict_add(rp->dict, &c))
				rp->bad_payloads++;
			break;
		case REC_EVENTS:
			if (recfile__events(&c, rp->dict, packed_event, rp) < 0)
				rp->bad_payloads++;
			break;
		case REC_SNAPSHOT: snapshot_chunk(rp, &c); break;
		case REC_DROPS: keep_json(&rp->drops, &c); break;
		case REC_END: keep_json(&rp->end, &c); break;
		case REC_SYMBOLS:
			for (uint32_t i = 0; i < c.len; i++)
				rp->nsymbols += c.data[i] == '\n';
			break;
		default: break;
		}
	}
	rp->chunks = rd->nchunks;
	rp->complete = rd->ended;
	rp->problem = rd->err[0] ? rd->err : NULL;
}

static void report_free(struct report *rp)
{
	json_object_put(rp->header);
	json_object_put(rp->meta);
	json_object_put(rp->drops);
	json_object_put(rp->end);
	json_object_put(rp->shadows);
	json_object_put(rp->trigger);
	for (size_t i = 0; i < rp->ntasks; i++) {
		free(rp->tasks[i].function);
		free(rp->tasks[i].oncpu);
		free(rp->tasks[i].stack);
	}
	free(rp->tasks);
	for (size_t i = 0; i < rp->nleaks; i++) {
		free(rp->leaks[i].alloc_text);
		free(rp->leaks[i].free_text);
	}
	free(rp->leaks);
	recfile__dict_free(rp->dict);
	free(rp->tr);
	free(rp->samples);
	free(rp->inst);
}

/* Only tasks that failed checks (or were pending for more than one sample)
 * are stragglers worth a story. */
/* Did the probes watch any transition of this patch? */
static int patch_observed(const struct report *rp, const char *patch)
{
	for (size_t i = 0; i < rp->ntr; i++)
		if (rp->tr[i].seen_events && !strcmp(rp->tr[i].patch, patch))
			return 1;
	return 0;
}

/* A task that held the transition up. With the probes: one the kernel's
 * check failed on (a task merely caught pending by a snapshot, before its
 * first check, is not: after a reversal that is every task). Without them:
 * one pending in two snapshots or more. */
static int is_straggler(const struct report *rp, const struct rtask *t)
{
	if (t->rounds_failed > 0)
		return 1;
	return !patch_observed(rp, t->patch) && t->last_ns > t->first_ns;
}

/* How long a task held the transition: the probes' figure, or what the
 * samples span when the probes did not see it (no BPF). */
static uint64_t blocked_for(const struct rtask *t)
{
	uint64_t end = t->switched ? t->switched_ns : t->last_ns;
	uint64_t span = end > t->first_ns ? end - t->first_ns : 0;

	return span > t->blocked_ns ? span : t->blocked_ns;
}

static const char *target_name(int target)
{
	return target ? "patched" : "unpatched";
}

/* ---- text ------------------------------------------------------------------ */

static const char *const leak_kinds[] = { "?", "orphan", "stale", "duplicate" };

/* Per id, from the last snapshot: what the probes counted since start. */
static void print_shadow_ids(const struct report *rp, FILE *f)
{
	json_object *ids;

	if (!rp->shadows || !json_object_object_get_ex(rp->shadows, "ids", &ids) ||
	    !json_object_is_type(ids, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(ids); i++) {
		json_object *d = json_object_array_get_idx(ids, i);

		if (!json_object_is_type(d, json_type_object))
			continue;
		fprintf(f, "  id %s: %lld allocs, %lld frees, %lld live, %lld orphans, %lld stale, "
			   "%lld duplicates\n", jstr(d, "id") ?: "?", (long long)jint(d, "allocs"),
			(long long)jint(d, "frees"), (long long)jint(d, "live"),
			(long long)jint(d, "orphans"), (long long)jint(d, "stale"),
			(long long)jint(d, "duplicates"));
	}
}

/* A stack of the last snapshot's leak report of the same kind and id: for
 * version-1 files, whose events carry stack ids only. */
static char *snapshot_leak_stack(const struct report *rp, const struct rleak *l, const char *key)
{
	json_object *leaks, *st;

	if (!rp->shadows || !json_object_object_get_ex(rp->shadows, "leaks", &leaks) ||
	    !json_object_is_type(leaks, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(leaks); i++) {
		json_object *x = json_object_array_get_idx(leaks, i);
		const char *kind = jstr(x, "kind"), *id = jstr(x, "id");
		char want[32];

		snprintf(want, sizeof(want), "0x%llx", (unsigned long long)l->id);
		if (kind && id && !strcmp(kind, leak_kinds[l->type]) && !strcmp(id, want) &&
		    json_object_object_get_ex(x, key, &st))
			return frames_text(st);
	}
	return NULL;
}

static void print_leak_groups(const struct report *rp, FILE *f)
{
	for (size_t i = 0; i < rp->nleaks; i++) {
		const struct rleak *l = &rp->leaks[i];
		char *a = l->alloc_text ? NULL : snapshot_leak_stack(rp, l, "alloc_stack");
		char *b = l->free_text ? NULL : snapshot_leak_stack(rp, l, "free_stack");

		fprintf(f, "  %s id 0x%llx: %llu events from %+.1f s to %+.1f s%s%s\n",
			leak_kinds[l->type], (unsigned long long)l->id, (unsigned long long)l->count,
			rel_s(rp, l->first_ns), rel_s(rp, l->last_ns), l->cache[0] ? ", cache " : "",
			l->cache);
		if (l->alloc_text || a)
			fprintf(f, "    %s: %s\n", l->type == KLPT_SH_EV_DUPLICATE ? "failed alloc" : "allocated",
				l->alloc_text ?: a);
		if (l->free_text || b)
			fprintf(f, "    %s: %s\n", l->type == KLPT_SH_EV_STALE ? "stale get" : "owner freed",
				l->free_text ?: b);
		free(a);
		free(b);
	}
	if (rp->leaks_ungrouped)
		fprintf(f, "  (%llu more events in further groups)\n",
			(unsigned long long)rp->leaks_ungrouped);
}

static void print_text(const struct report *rp, const char *path, FILE *f)
{
	json_object *cmd;
	int64_t rt = jint(rp->header, "start_realtime_ns");
	time_t secs = (time_t)(rt / 1000000000);
	char when[64] = "?";
	struct tm tm;
	long prev = -2;

	if (rt > 0 && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "Recording %s\n", path);
	fprintf(f, "  host %s, kernel %s, boot id %s\n", jstr(rp->header, "hostname") ?: "?",
		jstr(rp->header, "kernel_release") ?: "?", jstr(rp->header, "boot_id") ?: "?");
	fprintf(f, "  klptop %s, started %s", jstr(rp->header, "klptop_version") ?: "?", when);
	if (json_object_object_get_ex(rp->header, "command_line", &cmd) &&
	    json_object_is_type(cmd, json_type_array)) {
		fputs(", command:", f);
		for (size_t i = 0; i < json_object_array_length(cmd); i++)
			fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(cmd, i)));
	}
	fprintf(f, "\n  %llu chunks: %llu transition events, %llu shadow events, %llu snapshots, "
		   "%llu symbols; covers %.1f s\n",
		(unsigned long long)rp->chunks, (unsigned long long)rp->nevents,
		(unsigned long long)rp->nshadow_events, (unsigned long long)rp->nsnapshots,
		(unsigned long long)rp->nsymbols, rp->last_ts > rp->t0 ? rel_s(rp, rp->last_ts) : 0.0);
	fprintf(f, "  format version %u%s\n", rp->version,
		rp->flags & REC_FLAG_REDACTED ? ", redacted (no kernel addresses)" : "");
	if (rp->end)
		fprintf(f, "  ended cleanly (%s)\n", jstr(rp->end, "reason") ?: "?");
	if (rp->trigger)
		fprintf(f, "  flight recorder triggered by %s at %+.1f s (%lld older chunks dropped)\n",
			jstr(rp->trigger, "trigger") ?: "?",
			rel_s(rp, (uint64_t)jint(rp->trigger, "monotonic_ns")),
			(long long)jint(rp->trigger, "chunks_evicted"));
	if (rp->problem)
		fprintf(f, "  WARNING: %s\n", rp->problem);
	if (rp->bad_payloads)
		fprintf(f, "  WARNING: %llu chunks with malformed payloads skipped\n",
			(unsigned long long)rp->bad_payloads);

	fprintf(f, "\nTransitions:\n");
	if (!rp->ntr)
		fprintf(f, "  none seen\n");
	for (size_t i = 0; i < rp->ntr; i++) {
		const struct rtrans *t = &rp->tr[i];

		fprintf(f, "  %s -> %s: ", t->patch, target_name(t->target));
		if (t->start_ns)
			fprintf(f, "start %+.1f s", rel_s(rp, t->start_ns));
		else
			fprintf(f, "start before the recording");
		if (t->outcome) {
			fprintf(f, ", end %+.1f s", rel_s(rp, t->end_ns));
			if (t->start_ns)
				fprintf(f, ", duration %.1f s", (double)(t->end_ns - t->start_ns) / 1e9);
			fprintf(f, ", outcome %s", t->outcome);
		} else {
			fprintf(f, ", still pending at the end of the recording");
		}
		fprintf(f, "; %u rounds, %u signal rounds\n", t->rounds, t->signal_rounds);
	}

	fprintf(f, "\nConvergence (pending tasks; changes only):\n");
	for (size_t i = 0; i < rp->nsamples; i++) {
		const struct rsample *s = &rp->samples[i];

		if (s->pending == prev && i + 1 != rp->nsamples)
			continue;
		prev = s->pending;
		if (s->pending < 0)
			fprintf(f, "  %+8.1f s  no transition\n", rel_s(rp, s->ts));
		else
			fprintf(f, "  %+8.1f s  %ld pending\n", rel_s(rp, s->ts), s->pending);
	}

	fprintf(f, "\nStragglers:\n");
	int any = 0;

	for (size_t i = 0; i < rp->ntasks; i++) {
		const struct rtask *t = &rp->tasks[i];

		if (!is_straggler(rp, t))
			continue;
		any = 1;
		fprintf(f, "  %s (pid %d tid %d%s) held %s: blocked %.1f s from %+.1f s, reason %s, "
			   "%u failed rounds, %u signal rounds seen\n",
			t->comm, t->pid, t->tid, t->kthread ? ", kthread" : "", t->patch,
			(double)blocked_for(t) / 1e9, rel_s(rp, t->first_ns), t->reason,
			t->rounds_failed, t->signal_rounds_seen);
		if (t->seen[0] + t->seen[1] + t->seen[2] > 1) {
			fprintf(f, "    reasons over %u samples:", t->seen[0] + t->seen[1] + t->seen[2]);
			for (int j = 0; j < 3; j++)
				if (t->seen[j])
					fprintf(f, " %s %u", reasons[j], t->seen[j]);
			fputc('\n', f);
		}
		if (t->function)
			fprintf(f, "    function: %s\n", t->function);
		if (t->oncpu)
			fprintf(f, "    on-CPU: %s\n", t->oncpu);
		if (t->stack)
			fprintf(f, "    stack: %s\n", t->stack);
		if (t->switched && !strcmp(t->how, "exited"))
			fprintf(f, "    exited at %+.1f s, never switched\n", rel_s(rp, t->switched_ns));
		else if (t->switched)
			fprintf(f, "    switched (%s) at %+.1f s\n", t->how, rel_s(rp, t->switched_ns));
		else
			fprintf(f, "    not seen to switch (last seen blocking at %+.1f s)\n",
				rel_s(rp, t->last_ns));
	}
	if (!any)
		fprintf(f, "  none\n");

	if (rp->shadows || rp->nshadow_events) {
		fprintf(f, "\nShadow variables:\n");
		if (rp->shadows)
			fprintf(f, "  at the end: %lld live, %lld orphans, %lld stale, %lld duplicates\n",
				(long long)jint(rp->shadows, "live"), (long long)jint(rp->shadows, "orphans"),
				(long long)jint(rp->shadows, "stale"),
				(long long)jint(rp->shadows, "duplicates"));
		print_shadow_ids(rp, f);
		fprintf(f, "  events recorded: %llu orphan, %llu stale, %llu duplicate\n",
			(unsigned long long)rp->shadow_kinds[1], (unsigned long long)rp->shadow_kinds[2],
			(unsigned long long)rp->shadow_kinds[3]);
		print_leak_groups(rp, f);
	}

	fprintf(f, "\nDrops: ");
	if (!rp->drops)
		fprintf(f, "unknown (no drop counters recorded)\n");
	else
		fprintf(f, "%lld transition events, %lld blocker records, %lld shadow events%s\n",
			(long long)jint(rp->drops, "transition_events"),
			(long long)jint(rp->drops, "blockers"),
			(long long)jint(rp->drops, "shadow_events"),
			jint(rp->drops, "transition_events") || jint(rp->drops, "blockers") ||
			jint(rp->drops, "shadow_events") ? ": the story above is incomplete" : "");
}

/* ---- JSON ------------------------------------------------------------------ */

static json_object *jdouble(double v)
{
	return json_object_new_double(v);
}

static json_object *to_json(const struct report *rp)
{
	json_object *o = json_object_new_object(), *a, *x;

	json_object_object_add(o, "header", json_object_get(rp->header));
	json_object_object_add(o, "metadata", json_object_get(rp->meta));
	json_object_object_add(o, "trigger", json_object_get(rp->trigger));
	json_object_object_add(o, "chunks", json_object_new_int64((int64_t)rp->chunks));
	json_object_object_add(o, "format_version", json_object_new_int((int)rp->version));
	json_object_object_add(o, "redacted", json_object_new_boolean(rp->flags & REC_FLAG_REDACTED));
	json_object_object_add(o, "complete", json_object_new_boolean(rp->complete));
	json_object_object_add(o, "problem", rp->problem ? json_object_new_string(rp->problem) : NULL);
	json_object_object_add(o, "malformed_payloads", json_object_new_int64((int64_t)rp->bad_payloads));
	json_object_object_add(o, "transition_events", json_object_new_int64((int64_t)rp->nevents));
	json_object_object_add(o, "shadow_events", json_object_new_int64((int64_t)rp->nshadow_events));
	x = json_object_new_object();
	for (uint32_t i = 1; i < REC_TYPE_MAX; i++)
		if (rp->type_bytes[i])
			json_object_object_add(x, rec_chunk_type__name(i),
					       json_object_new_int64((int64_t)rp->type_bytes[i]));
	json_object_object_add(o, "chunk_bytes", x);
	json_object_object_add(o, "snapshots", json_object_new_int64((int64_t)rp->nsnapshots));
	a = json_object_new_array();
	for (size_t i = 0; i < rp->ntr; i++) {
		const struct rtrans *t = &rp->tr[i];

		x = json_object_new_object();
		json_object_object_add(x, "patch", json_object_new_string(t->patch));
		json_object_object_add(x, "target", json_object_new_string(target_name(t->target)));
		json_object_object_add(x, "start_s", t->start_ns ? jdouble(rel_s(rp, t->start_ns)) : NULL);
		json_object_object_add(x, "end_s", t->outcome ? jdouble(rel_s(rp, t->end_ns)) : NULL);
		json_object_object_add(x, "duration_s", t->outcome && t->start_ns ?
				       jdouble((double)(t->end_ns - t->start_ns) / 1e9) : NULL);
		json_object_object_add(x, "outcome", json_object_new_string(t->outcome ?: "pending"));
		json_object_object_add(x, "rounds", json_object_new_int64(t->rounds));
		json_object_object_add(x, "signal_rounds", json_object_new_int64(t->signal_rounds));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "transitions", a);
	a = json_object_new_array();
	for (size_t i = 0; i < rp->nsamples; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "t_s", jdouble(rel_s(rp, rp->samples[i].ts)));
		json_object_object_add(x, "pending", rp->samples[i].pending >= 0 ?
				       json_object_new_int64(rp->samples[i].pending) : NULL);
		json_object_object_add(x, "shadows_live", rp->samples[i].shadows >= 0 ?
				       json_object_new_int64(rp->samples[i].shadows) : NULL);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "convergence", a);
	a = json_object_new_array();
	for (size_t i = 0; i < rp->ntasks; i++) {
		const struct rtask *t = &rp->tasks[i];

		if (!is_straggler(rp, t))
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "comm", json_object_new_string(t->comm));
		json_object_object_add(x, "pid", json_object_new_int(t->pid));
		json_object_object_add(x, "tid", json_object_new_int(t->tid));
		json_object_object_add(x, "kthread", json_object_new_boolean(t->kthread));
		json_object_object_add(x, "patch", json_object_new_string(t->patch));
		json_object_object_add(x, "reason", json_object_new_string(t->reason));
		json_object *rs = json_object_new_object();

		for (int j = 0; j < 3; j++)
			json_object_object_add(rs, reasons[j], json_object_new_int64(t->seen[j]));
		json_object_object_add(x, "reasons_seen", rs);
		json_object_object_add(x, "function", t->function ? json_object_new_string(t->function) : NULL);
		json_object_object_add(x, "rounds_failed", json_object_new_int64(t->rounds_failed));
		json_object_object_add(x, "signal_rounds_seen", json_object_new_int64(t->signal_rounds_seen));
		json_object_object_add(x, "blocked_s", jdouble((double)blocked_for(t) / 1e9));
		json_object_object_add(x, "first_s", jdouble(rel_s(rp, t->first_ns)));
		json_object_object_add(x, "oncpu", t->oncpu ? json_object_new_string(t->oncpu) : NULL);
		json_object_object_add(x, "stack", t->stack ? json_object_new_string(t->stack) : NULL);
		json_object_object_add(x, "switched_how", t->switched ? json_object_new_string(t->how) : NULL);
		json_object_object_add(x, "switched_s", t->switched ? jdouble(rel_s(rp, t->switched_ns)) : NULL);
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "stragglers", a);
	x = json_object_new_object();
	json_object_object_add(x, "orphan_events", json_object_new_int64((int64_t)rp->shadow_kinds[1]));
	json_object_object_add(x, "stale_events", json_object_new_int64((int64_t)rp->shadow_kinds[2]));
	json_object_object_add(x, "duplicate_events", json_object_new_int64((int64_t)rp->shadow_kinds[3]));
	json_object_object_add(x, "last", json_object_get(rp->shadows));
	a = json_object_new_array();
	for (size_t i = 0; i < rp->nleaks; i++) {
		const struct rleak *l = &rp->leaks[i];
		json_object *g = json_object_new_object();
		char id[32];

		snprintf(id, sizeof(id), "0x%llx", (unsigned long long)l->id);
		json_object_object_add(g, "kind", json_object_new_string(leak_kinds[l->type]));
		json_object_object_add(g, "id", json_object_new_string(id));
		json_object_object_add(g, "count", json_object_new_int64((int64_t)l->count));
		json_object_object_add(g, "first_s", jdouble(rel_s(rp, l->first_ns)));
		json_object_object_add(g, "last_s", jdouble(rel_s(rp, l->last_ns)));
		json_object_object_add(g, "cache", l->cache[0] ? json_object_new_string(l->cache) : NULL);
		json_object_object_add(g, "alloc_stack", l->alloc_text ? json_object_new_string(l->alloc_text) : NULL);
		json_object_object_add(g, l->type == KLPT_SH_EV_STALE ? "get_stack" : "free_stack",
				       l->free_text ? json_object_new_string(l->free_text) : NULL);
		json_object_array_add(a, g);
	}
	json_object_object_add(x, "event_groups", a);
	json_object_object_add(o, "shadows", x);
	json_object_object_add(o, "drops", json_object_get(rp->drops));
	json_object_object_add(o, "end", json_object_get(rp->end));
	return o;
}

/* ---- Chrome Trace Event JSON ------------------------------------------------ */

static double us(const struct report *rp, uint64_t ts)
{
	return rel_s(rp, ts) * 1e6;
}

static json_object *trace_ev(const char *ph, const char *name, int tid, double ts)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "ph", json_object_new_string(ph));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "pid", json_object_new_int(1));
	json_object_object_add(e, "tid", json_object_new_int(tid));
	json_object_object_add(e, "ts", jdouble(ts));
	return e;
}

static json_object *thread_name(int tid, const char *name)
{
	json_object *e = trace_ev("M", "thread_name", tid, 0), *args = json_object_new_object();

	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(e, "args", args);
	return e;
}

static json_object *to_chrome(const struct report *rp)
{
	json_object *o = json_object_new_object(), *ev = json_object_new_array(), *e, *args;
	uint64_t end_ts = rp->last_ts > rp->t0 ? rp->last_ts : rp->t0;
	char name[128];

	e = trace_ev("M", "process_name", 0, 0);
	args = json_object_new_object();
	snprintf(name, sizeof(name), "klptop %s", jstr(rp->header, "hostname") ?: "");
	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(e, "args", args);
	json_object_array_add(ev, e);
	json_object_array_add(ev, thread_name(0, "transitions"));
	for (size_t i = 0; i < rp->ntr; i++) {
		const struct rtrans *t = &rp->tr[i];
		uint64_t s = t->start_ns ? t->start_ns : rp->t0, en = t->outcome ? t->end_ns : end_ts;

		snprintf(name, sizeof(name), "%s -> %s", t->patch, target_name(t->target));
		e = trace_ev("X", name, 0, us(rp, s));
		json_object_object_add(e, "cat", json_object_new_string("transition"));
		json_object_object_add(e, "dur", jdouble(en > s ? (double)(en - s) / 1e3 : 0));
		args = json_object_new_object();
		json_object_object_add(args, "outcome", json_object_new_string(t->outcome ?: "pending"));
		json_object_object_add(args, "rounds", json_object_new_int64(t->rounds));
		json_object_object_add(e, "args", args);
		json_object_array_add(ev, e);
	}
	for (size_t i = 0; i < rp->ntasks; i++) {
		const struct rtask *t = &rp->tasks[i];
		uint64_t en = t->switched ? t->switched_ns : t->last_ns;

		if (!is_straggler(rp, t))
			continue;
		snprintf(name, sizeof(name), "%s (tid %d)", t->comm, t->tid);
		json_object_array_add(ev, thread_name(t->tid, name));
		snprintf(name, sizeof(name), "blocking %s: %s%s%s", t->patch, t->reason,
			 t->function ? " on " : "", t->function ?: "");
		e = trace_ev("X", name, t->tid, us(rp, t->first_ns));
		json_object_object_add(e, "cat", json_object_new_string("blocker"));
		json_object_object_add(e, "dur", jdouble(en > t->first_ns ? (double)(en - t->first_ns) / 1e3 : 0));
		args = json_object_new_object();
		json_object_object_add(args, "comm", json_object_new_string(t->comm));
		json_object_object_add(args, "rounds_failed", json_object_new_int64(t->rounds_failed));
		json_object_object_add(args, "oncpu", t->oncpu ? json_object_new_string(t->oncpu) : NULL);
		json_object_object_add(args, "switched", t->switched ? json_object_new_string(t->how) : NULL);
		json_object_object_add(e, "args", args);
		json_object_array_add(ev, e);
	}
	for (size_t i = 0; i < rp->ninst; i++) {
		e = trace_ev("i", rp->inst[i].name, rp->inst[i].tid < 0 ? 0 : rp->inst[i].tid,
			     us(rp, rp->inst[i].ts));
		json_object_object_add(e, "s", json_object_new_string("g"));
		json_object_array_add(ev, e);
	}
	for (size_t i = 0; i < rp->nsamples; i++) {
		const struct rsample *s = &rp->samples[i];

		e = trace_ev("C", "pending tasks", 0, us(rp, s->ts));
		args = json_object_new_object();
		json_object_object_add(args, "pending", json_object_new_int64(s->pending < 0 ? 0 : s->pending));
		json_object_object_add(e, "args", args);
		json_object_array_add(ev, e);
		if (s->shadows >= 0) {
			e = trace_ev("C", "live shadows", 0, us(rp, s->ts));
			args = json_object_new_object();
			json_object_object_add(args, "live", json_object_new_int64(s->shadows));
			json_object_object_add(e, "args", args);
			json_object_array_add(ev, e);
		}
	}
	json_object_object_add(o, "traceEvents", ev);
	json_object_object_add(o, "displayTimeUnit", json_object_new_string("ms"));
	json_object_object_add(o, "otherData", json_object_get(rp->header));
	return o;
}

/* ---- command ----------------------------------------------------------------- */

/* --redact: kernel addresses out of everything the report carries over from
 * the file (header, metadata, shadows, drops), owners as obj#N. */
static void redact_model(struct report *rp)
{
	struct rec_pseudonyms *p = rec_pseudonyms__new();
	json_object *const objs[] = { rp->header, rp->meta, rp->drops, rp->end, rp->shadows,
				      rp->trigger };

	for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
		if (objs[i])
			recfile__redact_json(p, objs[i]);
	for (size_t i = 0; i < rp->ntasks; i++) {
		char **s[] = { &rp->tasks[i].function, &rp->tasks[i].oncpu, &rp->tasks[i].stack };

		for (size_t j = 0; j < ARRAY_SIZE(s); j++)
			if (*s[j])
				recfile__redact_text(*s[j]);
	}
	rec_pseudonyms__free(p);
}

static int render(struct report *rp, const char *name, int format, int flags, FILE *out)
{
	if (format == 0) {
		print_text(rp, name, out);
	} else {
		json_object *o = format == 1 ? to_json(rp) : to_chrome(rp);

		fputs(json_object_to_json_string_ext(o, flags & REPORT_PRETTY ? JSON_C_TO_STRING_PRETTY
									: JSON_C_TO_STRING_PLAIN), out);
		fputc('\n', out);
		json_object_put(o);
	}
	return ferror(out) ? -1 : 0;
}

int report__mem(const char *name, const void *buf, size_t len, int format, int flags, FILE *out)
{
	struct report rp = { 0 };
	struct rec_reader rd;
	int rc = EXIT_OK;

	if (recfile__open_mem(&rd, buf, len)) {
		p_err("report: %s: %s", name, rd.err);
		return EXIT_ERROR;
	}
	build(&rp, &rd);
	if (rp.problem && format == 0)
		p_warn("%s: %s", name, rp.problem);
	if (flags & REPORT_REDACT) {
		char *txt = NULL;
		size_t tlen = 0;
		FILE *mem = open_memstream(&txt, &tlen);

		redact_model(&rp);
		/* And a last pass over the rendered text: whatever a free-text
		 * field carried (a warning, a message) cannot leak an address. */
		if (!mem || render(&rp, name, format, flags, mem) || fclose(mem)) {
			rc = EXIT_ERROR;
		} else {
			recfile__redact_text(txt);
			fputs(txt, out);
		}
		free(txt);
	} else if (render(&rp, name, format, flags, out)) {
		rc = EXIT_ERROR;
	}
	if (fflush(out) || ferror(out))
		rc = EXIT_ERROR;
	report_free(&rp);
	return rc;
}
