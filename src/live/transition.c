// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace half of the transition probes. Attach points are chosen by
 * probing this kernel (BTF + ftrace's available_filter_functions), never by
 * its version: what is missing is reported, the rest still works.
 *
 * The per-task check programs run inside the kernel's task walk, under
 * tasklist_lock, once per pending task: the kprobe hits alone lengthen a
 * round (docs/perf.md). So they are attached only for the rounds this file
 * chooses to watch ("watching the checks" below), within a cost budget
 * measured on this host from the rounds themselves.
 */
#include "live/transition.h"
#include "live/attach.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "live/sampler.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "klptop/transition.h"
#include "transition.skel.h"

_Static_assert(sizeof(struct klpt_event) == 240, "klpt_event layout");
_Static_assert(sizeof(struct klpt_blocker) == 176, "klpt_blocker layout");
_Static_assert(sizeof(struct klpt_state) == 216, "klpt_state layout");
_Static_assert(sizeof(struct klpt_task_stack) == 16, "klpt_task_stack layout");
_Static_assert(sizeof(struct klpt_oncpu_key) == 8, "klpt_oncpu_key layout");
_Static_assert(sizeof(struct klpt_stack) == 8 + 8 * KLPT_MAX_STACK, "klpt_stack layout");

#define ONCPU_SAMPLE_HZ 99
#define MAX_SIGNAL_TS 256
#define MAX_HISTORY 32

struct rate_sample {
	uint64_t ts;
	size_t pending;
};

/* Watching the checks: what a watched round costs against a plain one
 * (moving averages of round_ns), and so one round in how many to watch. */
struct watch_plan {
	double watched_ns, plain_ns;   /* 0: no sample yet */
	unsigned int every;            /* watch one round in `every` */
	unsigned int last_watched;     /* the last round watched; 0 none */
	unsigned int nwatched;         /* rounds watched since the probes opened */
	unsigned int pending;          /* tasks pending at the last fill */
	int pinned;                    /* attached and detached by hand (the bench) */
	int attached;
	struct bpf_link *begin, *end;  /* check_begin/check_end (or the fallback) */
	struct bpf_program *pbegin, *pend;
};

/* Blockers of this transition that were pending at the last fill: one that
 * is gone without an event switched by a stack check in a round that was
 * not watched. Sorted by tid. */
struct known_blockers {
	uint32_t *tids;
	size_t n, cap;
};

struct trans_probe {
	struct transition_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **perf_links;
	int nperf;
	/* the transition being followed */
	uint64_t signal_ts[MAX_SIGNAL_TS]; /* when signal rounds happened */
	unsigned int nsignal_ts;
	struct task_snap *unsafe;          /* switched by force while blocking */
	size_t nunsafe, capunsafe;
	struct task_snap *stragglers;      /* blocked, then switched some other way */
	size_t nstragglers, capstragglers;
	struct transition_summary history[MAX_HISTORY];
	size_t nhistory;
	struct rate_sample rate[8];
	unsigned int nrate;
	struct transition_cost cost;       /* of the transition being followed */
	struct transition_cost *closing;   /* the one that just completed: its
					    * completing round comes next */
	struct cost_totals totals;         /* every round and transition since open */
	struct watch_plan watch;
	struct known_blockers known;
	uint64_t last_round_ns;
	char procfs[256];
	/* Symbols for the stacks of events (forced or exited blockers): the
	 * table itself, not one of its reads, which a reload frees between
	 * fills while events keep coming. */
	const struct ksymtab *syms;
	void (*sink)(void *ctx, int kind, const void *data, size_t len);
	void *sink_ctx;
};

/* --- attach-point probing ------------------------------------------------ */

static int is_fallback(const struct transition_bpf *skel, const struct bpf_program *p)
{
	return p == skel->progs.try_switch_begin || p == skel->progs.try_switch_end;
}

static void choose_programs(struct transition_bpf *skel, const struct ksyms *ks,
			    struct probe_status *ps)
{
	char *filters = attach__filter_functions();
	struct bpf_program *p;
	int have_check;

	if (!filters)
		p_debug("available_filter_functions unreadable: trusting kallsyms alone");
	bpf_object__for_each_program(p, skel->obj) {
		const char *fn = attach__kprobe_target(p);

		if (!fn || attach__kprobe_ok(ks, filters, fn))
			continue;
		bpf_program__set_autoload(p, false);
		if (!is_fallback(skel, p) && (strncmp(bpf_program__section_name(p), "kretprobe/", 10) ||
					      !ksyms__find_name(ks, fn, NULL)))
			probe_status__add_missing(ps, bpf_program__section_name(p));
	}
	/* The per-task programs are attached only for watched rounds. */
	bpf_program__set_autoattach(skel->progs.check_begin, false);
	bpf_program__set_autoattach(skel->progs.check_end, false);
	bpf_program__set_autoattach(skel->progs.try_switch_begin, false);
	bpf_program__set_autoattach(skel->progs.try_switch_end, false);
	/* The fallback only when the precise per-task check is not probeable. */
	have_check = bpf_program__autoload(skel->progs.check_end);
	if (have_check) {
		bpf_program__set_autoload(skel->progs.try_switch_begin, false);
		bpf_program__set_autoload(skel->progs.try_switch_end, false);
	} else if (bpf_program__autoload(skel->progs.try_switch_end)) {
		p_info("klp_check_and_switch_task not probeable: using klp_try_switch_task "
		       "(no blocking reasons)");
	} else {
		/* Neither: which tasks switch by a stack check goes unseen too. */
		probe_status__add_missing(ps, "kprobe/klp_try_switch_task");
	}
	free(filters);
}

/* klp_signals_cnt is static: visible in kallsyms only with KALLSYMS_ALL. */
static void set_signals_counter(struct transition_bpf *skel, const struct ksyms *ks,
				struct probe_status *ps)
{
	const struct ksym *s = ksyms__find_name(ks, "klp_signals_cnt", NULL);

	if (s && s->addr)
		skel->rodata->klp_signals_cnt_addr = s->addr;
	else
		probe_status__add_missing(ps, "klp_signals_cnt in kallsyms (signal rounds counted from the "
				"rounds seen)");
}

static void attach_oncpu_sampler(struct trans_probe *tp, struct probe_status *ps)
{
	int ncpu = libbpf_num_possible_cpus();
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = ONCPU_SAMPLE_HZ,
	};

	tp->perf_links = xcalloc(ncpu > 0 ? ncpu : 1, sizeof(*tp->perf_links));
	for (int cpu = 0; cpu < ncpu && !attach__disabled("perf_event"); cpu++) {
		int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		struct bpf_link *l;

		if (fd < 0)
			continue; /* offline CPU */
		l = bpf_program__attach_perf_event(tp->skel->progs.oncpu_sample, fd);
		if (libbpf_get_error(l)) {
			close(fd);
			continue;
		}
		tp->perf_links[tp->nperf++] = l;
	}
	if (!tp->nperf)
		probe_status__add_missing(ps, "perf_event cpu-clock (no on-CPU stacks of running blockers)");
}

/* --- watching the checks -------------------------------------------------- */

/*
 * A watched round costs more than a plain one: a kprobe and a kretprobe hit
 * per pending task, inside the walk. The rounds themselves say how much on
 * this host (KLPT_EV_ROUND's round_ns, watched or not), and the plan watches
 * one round in `every` so that the average round grows by at most
 * WATCH_BUDGET. Rounds with at most WATCH_FEW_PENDING tasks to check, and
 * rounds that watching makes longer by less than WATCH_CHEAP_ADD_NS, are
 * always watched: what the probes add is a few microseconds per pending
 * task, so a few pending tasks add next to nothing however slow the round
 * itself is (a loaded or emulated host), and the verdicts that need several
 * checks (a stuck kthread) come in seconds. The exemption is absolute time
 * added to the tasklist_lock hold, not the round's length: a short round
 * of 2,000 checks is still made half again as long by watching, and is
 * watched within the budget like a long one.
 */
#define WATCH_BUDGET 0.05
#define WATCH_CHEAP_ADD_NS 1000000.0
#define WATCH_FEW_PENDING 64
#define WATCH_EVERY_MAX 30
#define WATCH_EWMA 0.3
/* Up to this many tasks, a round is cheap even when it checks them all. */
#define WATCH_SMALL_TASKS 2048

static void watch_plan__reset(struct watch_plan *w)
{
	w->every = 1;
	w->last_watched = 0;
}

static void watch_plan__attach(struct trans_probe *tp)
{
	struct watch_plan *w = &tp->watch;

	if (w->attached || !w->pend)
		return;
	w->begin = bpf_program__attach(w->pbegin);
	w->end = bpf_program__attach(w->pend);
	if (libbpf_get_error(w->begin) || libbpf_get_error(w->end)) {
		if (!libbpf_get_error(w->begin))
			bpf_link__destroy(w->begin);
		if (!libbpf_get_error(w->end))
			bpf_link__destroy(w->end);
		w->begin = w->end = NULL;
		p_debug("cannot attach the check probes: %s", strerror(errno));
		return;
	}
	w->attached = 1;
	/* Only now: a round that began before both were attached is not
	 * counted as watched (bpf: state.r_watched). */
	tp->skel->bss->state.watching = 1;
}

static void watch_plan__detach(struct trans_probe *tp)
{
	struct watch_plan *w = &tp->watch;

	if (!w->attached)
		return;
	tp->skel->bss->state.watching = 0;
	bpf_link__destroy(w->begin);
	bpf_link__destroy(w->end);
	w->begin = w->end = NULL;
	w->attached = 0;
}

/* Threads on the host, from /proc/loadavg ("0.00 0.01 0.05 1/123 4567");
 * a large number when unknown, so that nothing is watched by guess. */
static unsigned long threads_on_host(const struct trans_probe *tp)
{
	char path[512], *text, *slash;
	unsigned long n = ULONG_MAX;

	snprintf(path, sizeof(path), "%s/loadavg", tp->procfs);
	text = read_all(path, NULL);
	slash = text ? strchr(text, '/') : NULL;
	if (slash)
		n = strtoul(slash + 1, NULL, 10);
	free(text);
	return n;
}

static void ewma(double *avg, double v)
{
	*avg = *avg ? *avg + WATCH_EWMA * (v - *avg) : v;
}

/* What watching adds to a round, as a fraction; < 0 until both kinds of
 * round were seen. */
static double watch_cost(const struct watch_plan *w)
{
	if (!w->watched_ns || !w->plain_ns)
		return -1;
	return w->watched_ns > w->plain_ns ? w->watched_ns / w->plain_ns - 1 : 0;
}

static int few_pending(const struct watch_plan *w)
{
	return w->pending && w->pending <= WATCH_FEW_PENDING;
}

static unsigned int watch_every(const struct watch_plan *w)
{
	double cost = watch_cost(w);
	unsigned int every;

	if (few_pending(w) || (cost >= 0 && w->watched_ns - w->plain_ns < WATCH_CHEAP_ADD_NS))
		return 1;
	/* Until a plain round is measured, assume watching doubles a round. */
	every = (unsigned int)((cost < 0 ? 1.0 : cost) / WATCH_BUDGET + 0.999);
	return every < 1 ? 1 : every > WATCH_EVERY_MAX ? WATCH_EVERY_MAX : every;
}

/* After each round: learn its cost, then attach or detach for the next. */
static void watch_plan__round(struct trans_probe *tp, const struct klpt_event *e)
{
	struct watch_plan *w = &tp->watch;
	int watched = e->checked > 0;
	unsigned int next = e->round + 1;

	tp->last_round_ns = e->round_ns;
	if (w->pinned)
		return;
	if (watched) {
		ewma(&w->watched_ns, (double)e->round_ns);
		w->last_watched = e->round;
		w->nwatched++;
	} else {
		ewma(&w->plain_ns, (double)e->round_ns);
	}
	w->every = watch_every(w);
	/* A plain round first when its cost is unknown: then the budget can
	 * be computed before a long round is made longer. */
	if (!few_pending(w) && ((!w->plain_ns && w->last_watched) ||
				(w->last_watched && next - w->last_watched < w->every)))
		watch_plan__detach(tp);
	else
		watch_plan__attach(tp);
}

/* --- events --------------------------------------------------------------- */

static void push_history(struct trans_probe *tp, const struct klpt_event *e, const char *outcome)
{
	const struct klpt_state *st = &tp->skel->bss->state;
	struct transition_summary *h;

	if (tp->nhistory == MAX_HISTORY) {
		transition_summary__free(&tp->history[0]);
		memmove(tp->history, tp->history + 1, sizeof(*h) * (MAX_HISTORY - 1));
		tp->nhistory--;
	}
	h = &tp->history[tp->nhistory++];
	memset(h, 0, sizeof(*h));
	h->patch = strndup(e->patch, sizeof(e->patch));
	h->target = e->target;
	h->outcome = outcome;
	h->start_ns = st->start_ns;
	h->end_ns = e->ts_ns;
	h->rounds = st->rounds;
	h->signal_rounds = st->signal_rounds;
	h->unsafe = tp->unsafe;
	h->nunsafe = tp->nunsafe;
	tp->unsafe = NULL;
	tp->nunsafe = tp->capunsafe = 0;
	h->stragglers = tp->stragglers;
	h->nstragglers = tp->nstragglers;
	h->cost = tp->cost;
	tp->stragglers = NULL;
	tp->nstragglers = tp->capstragglers = 0;
}

size_t trans_probe__stack_ips(struct trans_probe *tp, uint64_t key, uint64_t *ips, size_t max)
{
	struct klpt_stack st;
	size_t n;

	if (!tp || !key || bpf_map__lookup_elem(tp->skel->maps.stacks, &key, sizeof(key), &st,
						sizeof(st), 0))
		return 0;
	n = st.nr < KLPT_MAX_STACK ? st.nr : KLPT_MAX_STACK;
	n = n < max ? n : max;
	memcpy(ips, st.ips, n * sizeof(*ips));
	return n;
}

static int judged_stack(struct trans_probe *tp, uint64_t key, struct task_snap *t)
{
	uint64_t ips[KLPT_MAX_STACK];
	size_t n = trans_probe__stack_ips(tp, key, ips, KLPT_MAX_STACK);

	if (!n)
		return -ENOENT;
	stack_frames__free(t->stack, t->nstack);
	t->nstack = n;
	t->stack = ksyms__frames(ksymtab__ksyms(tp->syms), ips, n);
	t->stack_errno = 0;
	return 0;
}

/* A task that had blocked switched. Switched by klp_force_transition, it is
 * what was unsafe at the moment of the force; otherwise a straggler whose
 * story (how long, why, how it finally switched) the summary tells. */
static void remember_switched(struct trans_probe *tp, const struct klpt_event *e)
{
	struct task_snap *t;

	if (e->how == KLPT_HOW_FORCE) {
		grow_array((void **)&tp->unsafe, &tp->capunsafe, tp->nunsafe, sizeof(*t));
		t = &tp->unsafe[tp->nunsafe++];
	} else {
		grow_array((void **)&tp->stragglers, &tp->capstragglers, tp->nstragglers,
			   sizeof(*t));
		t = &tp->stragglers[tp->nstragglers++];
	}
	task_snap__init(t);
	t->switched_how = (int)e->how;
	t->pid = (int)e->pid;
	t->tid = (int)e->tid;
	t->kthread = (int)e->kthread;
	copy_str(t->comm, sizeof(t->comm), e->comm);
	t->reason = reason__of_check(e->last_ret);
	t->rounds_failed = e->rounds_failed;
	t->blocked_ns = e->ts_ns - e->first_ns;
	t->patch_state = !e->target;
	if (e->func[0])
		t->function = strndup(e->func, sizeof(e->func));
	judged_stack(tp, e->stack_key, t);
}

static unsigned int signal_rounds_since(const struct trans_probe *tp, uint64_t since);

/* What the transition costs (model/cost.h), from the same events a
 * recording keeps, so status and report tell the same figures. */
static void count_cost(struct trans_probe *tp, const struct klpt_event *e)
{
	const struct klpt_state *st = &tp->skel->bss->state;

	struct transition_cost *c = &tp->cost;

	switch (e->type) {
	case KLPT_EV_INIT:
		transition_cost__init(&tp->cost, 1);
		tp->closing = NULL;
		break;
	case KLPT_EV_ROUND:
		/* klp_complete_transition returns (KLPT_EV_COMPLETE, the cost
		 * gone to history) inside the round that completes. */
		if (tp->closing && transition_cost__completes_in(tp->closing, e->ts_ns, e->round_ns))
			c = tp->closing;
		tp->closing = NULL;
		if (transition_cost__round(c, e->round, e->ts_ns, e->round_ns, e->checked,
					   e->switched, st->start_ns))
			hist__add(&tp->totals.rounds, HIST_ROUND, e->round_ns, 1);
		break;
	case KLPT_EV_BLOCKER_SWITCHED:
		transition_cost__blocker_switched(&tp->cost, (int)e->how, e->ts_ns, st->start_ns,
						  signal_rounds_since(tp, e->first_ns));
		break;
	case KLPT_EV_COMPLETE:
		transition_cost__complete(&tp->cost, e->ts_ns);
		if (st->start_ns && e->ts_ns >= st->start_ns)
			hist__add(&tp->totals.transitions, HIST_TRANSITION, e->ts_ns - st->start_ns, 1);
		break;
	default:
		break;
	}
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct trans_probe *tp = ctx;
	const struct klpt_event *e = data;
	const struct klpt_state *st = &tp->skel->bss->state;

	if (len < sizeof(*e))
		return 0;
	if (tp->sink)
		tp->sink(tp->sink_ctx, SAMPLER_EV_TRANSITION, data, len);
	count_cost(tp, e);
	switch (e->type) {
	case KLPT_EV_INIT:
		tp->nsignal_ts = 0;
		tp->nrate = 0;
		tp->known.n = 0;
		watch_plan__reset(&tp->watch);
		/* Round 1 checks every task: watch it if there are few. */
		if (!tp->watch.pinned && threads_on_host(tp) <= WATCH_SMALL_TASKS)
			watch_plan__attach(tp);
		p_debug("transition of %.*s to %s begins", KLPT_NAME_LEN, e->patch,
			klp_state__name(e->target));
		break;
	case KLPT_EV_ROUND:
		if (e->signals && tp->nsignal_ts < MAX_SIGNAL_TS)
			tp->signal_ts[tp->nsignal_ts++] = e->ts_ns;
		watch_plan__round(tp, e);
		break;
	case KLPT_EV_REVERSE:
		tp->known.n = 0;
		break;
	case KLPT_EV_BLOCKER_SWITCHED:
		remember_switched(tp, e);
		break;
	case KLPT_EV_COMPLETE:
		push_history(tp, e, st->cancelled ? "cancelled" : st->forced ? "forced"
					: st->reversed ? "reversed" : "completed");
		tp->closing = &tp->history[tp->nhistory - 1].cost;
		transition_cost__init(&tp->cost, 0);
		watch_plan__detach(tp);
		tp->known.n = 0;
		break;
	default:
		break;
	}
	return 0;
}

/* --- lifecycle ------------------------------------------------------------ */

/* The per-task maps are the task iterator's when it runs: one set, read in
 * one pass (bpf/tasks.bpf.c). */
static int share_maps(struct transition_bpf *skel, const struct trans_shared_maps *sh)
{
	int err = 0;

	if (!sh)
		return 0;
	if (sh->blockers >= 0)
		err = bpf_map__reuse_fd(skel->maps.blockers, sh->blockers);
	if (!err && sh->stacks >= 0)
		err = bpf_map__reuse_fd(skel->maps.stacks, sh->stacks);
	if (!err && sh->task_stacks >= 0)
		err = bpf_map__reuse_fd(skel->maps.task_stacks, sh->task_stacks);
	return err;
}

static void choose_check_programs(struct trans_probe *tp)
{
	struct transition_bpf *skel = tp->skel;

	if (bpf_program__autoload(skel->progs.check_end)) {
		tp->watch.pbegin = skel->progs.check_begin;
		tp->watch.pend = skel->progs.check_end;
	} else if (bpf_program__autoload(skel->progs.try_switch_end)) {
		tp->watch.pbegin = skel->progs.try_switch_begin;
		tp->watch.pend = skel->progs.try_switch_end;
	}
	watch_plan__reset(&tp->watch);
}

struct trans_probe *trans_probe__open(struct probe_status *ps, const struct ksyms *ks,
				      const struct trans_shared_maps *sh)
{
	struct trans_probe *tp = xcalloc(1, sizeof(*tp));
	char msg[256];
	int err;

	tp->skel = transition_bpf__open();
	if (!tp->skel) {
		snprintf(msg, sizeof(msg), "cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	choose_programs(tp->skel, ks, ps);
	set_signals_counter(tp->skel, ks, ps);
	err = share_maps(tp->skel, sh);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot share the task iterator's maps: %s",
			 strerror(-err));
		goto fail;
	}
	err = transition_bpf__load(tp->skel);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot load BPF programs: %s%s", strerror(-err),
			 err == -EPERM ? " (needs root, or CAP_BPF + CAP_PERFMON)" : "");
		goto fail;
	}
	err = transition_bpf__attach(tp->skel);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot attach BPF programs: %s", strerror(-err));
		goto fail;
	}
	tp->rb = ring_buffer__new(bpf_map__fd(tp->skel->maps.events), handle_event, tp, NULL);
	if (!tp->rb) {
		snprintf(msg, sizeof(msg), "cannot open ring buffer: %s", strerror(errno));
		goto fail;
	}
	copy_str(tp->procfs, sizeof(tp->procfs), sh && sh->procfs ? sh->procfs : "/proc");
	choose_check_programs(tp);
	attach_oncpu_sampler(tp, ps);
	ps->bpf = 1;
	return tp;
fail:
	ps->bpf = 0;
	free(ps->why_not);
	ps->why_not = xstrdup(msg);
	trans_probe__close(tp);
	return NULL;
}

void trans_probe__close(struct trans_probe *tp)
{
	if (!tp)
		return;
	watch_plan__detach(tp);
	for (int i = 0; i < tp->nperf; i++)
		bpf_link__destroy(tp->perf_links[i]);
	free(tp->perf_links);
	ring_buffer__free(tp->rb);
	transition_bpf__destroy(tp->skel);
	for (size_t i = 0; i < tp->nhistory; i++)
		transition_summary__free(&tp->history[i]);
	for (size_t i = 0; i < tp->nunsafe; i++)
		task_snap__free(&tp->unsafe[i]);
	free(tp->unsafe);
	for (size_t i = 0; i < tp->nstragglers; i++)
		task_snap__free(&tp->stragglers[i]);
	free(tp->stragglers);
	free(tp->known.tids);
	free(tp);
}

int trans_probe__event_fd(struct trans_probe *tp)
{
	return tp ? ring_buffer__epoll_fd(tp->rb) : -1;
}

int trans_probe__poll(struct trans_probe *tp)
{
	return tp ? ring_buffer__consume(tp->rb) : 0;
}

void trans_probe__set_sink(struct trans_probe *tp,
			   void (*fn)(void *ctx, int kind, const void *data, size_t len), void *ctx)
{
	if (!tp)
		return;
	tp->sink = fn;
	tp->sink_ctx = ctx;
}

void trans_probe__drops(struct trans_probe *tp, uint64_t *events, uint64_t *blockers)
{
	*events = tp ? tp->skel->bss->state.events_dropped : 0;
	*blockers = tp ? tp->skel->bss->state.blockers_dropped : 0;
}

int trans_probe__target(struct trans_probe *tp, const char *patch)
{
	const struct klpt_state *st;

	if (!tp)
		return -1;
	st = &tp->skel->bss->state;
	/* Only a start we saw: a joined transition's target came from sysfs. */
	if (!st->active || !st->start_ns || strncmp(st->patch, patch, sizeof(st->patch)))
		return -1;
	return (int)st->target;
}

int trans_probe__sees_rounds(struct trans_probe *tp)
{
	return tp && bpf_program__autoload(tp->skel->progs.round_end);
}

const struct cost_totals *trans_probe__totals(const struct trans_probe *tp)
{
	return tp ? &tp->totals : NULL;
}

unsigned int trans_probe__rounds(struct trans_probe *tp)
{
	return tp ? tp->skel->bss->state.rounds : 0;
}


void trans_probe__clock(struct trans_probe *tp, uint64_t now, struct task_iter_clock *clk)
{
	memset(clk, 0, sizeof(*clk));
	clk->now_ns = now;
	if (!tp)
		return;
	clk->transition_id = tp->skel->bss->state.transition_id;
	clk->rounds = tp->skel->bss->state.rounds;
}

/* --- filling the model ---------------------------------------------------- */

/* Joined a transition that began before klptop: tell the probes its target
 * so exits to user space are counted against the right state. */
static void join_transition(struct trans_probe *tp, const struct transition_info *tr)
{
	struct klpt_state *st = &tp->skel->bss->state;

	if (st->active)
		return;
	/* Keep transition_id: blocker records made since attach belong to it. */
	copy_str(st->patch, sizeof(st->patch), tr->patch);
	st->target = tr->target;
	st->active = 1;
}

/* Signal rounds since `since` (signal_ts is in time order). */
static unsigned int signal_rounds_since(const struct trans_probe *tp, uint64_t since)
{
	unsigned int lo = 0, hi = tp->nsignal_ts;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (tp->signal_ts[mid] < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	return tp->nsignal_ts - lo;
}

size_t trans_probe__oncpu_ips(struct trans_probe *tp, int tid, uint64_t *ips, size_t max,
			      unsigned int *samples)
{
	struct klpt_oncpu_key key, next, *prev = NULL;
	int best_id = -1, mapfd;
	uint64_t best = 0, total = 0, cnt, all[127];
	size_t n = 0;

	*samples = 0;
	if (!tp)
		return 0;
	mapfd = bpf_map__fd(tp->skel->maps.oncpu_samples);
	while (!bpf_map_get_next_key(mapfd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.tid != (unsigned int)tid || bpf_map_lookup_elem(mapfd, &key, &cnt))
			continue;
		total += cnt;
		if (cnt > best) {
			best = cnt;
			best_id = key.stack_id;
		}
	}
	memset(all, 0, sizeof(all));
	if (best_id < 0 ||
	    bpf_map_lookup_elem(bpf_map__fd(tp->skel->maps.oncpu_stacks), &best_id, all))
		return 0;
	while (n < ARRAY_SIZE(all) && n < max && all[n])
		n++;
	memcpy(ips, all, n * sizeof(*ips));
	*samples = (unsigned int)total;
	return n;
}

static void update_rate(struct trans_probe *tp, struct transition_info *tr, uint64_t now)
{
	struct rate_sample *oldest;

	if (tp->nrate == ARRAY_SIZE(tp->rate)) {
		memmove(tp->rate, tp->rate + 1, sizeof(tp->rate[0]) * (ARRAY_SIZE(tp->rate) - 1));
		tp->nrate--;
	}
	tp->rate[tp->nrate++] = (struct rate_sample){ now, tr->tasks_pending };
	oldest = &tp->rate[0];
	tr->eta_s = -1;
	if (tp->nrate < 2 || now <= oldest->ts)
		return;
	tr->rate_per_s = ((double)oldest->pending - (double)tr->tasks_pending) * 1e9 /
			 (double)(now - oldest->ts);
	if (tr->rate_per_s > 0)
		tr->eta_s = (double)tr->tasks_pending / tr->rate_per_s;
}

static void copy_history(const struct trans_probe *tp, struct snapshot *s)
{
	s->history = xcalloc(tp->nhistory, sizeof(*s->history));
	for (size_t i = 0; i < tp->nhistory; i++) {
		const struct transition_summary *h = &tp->history[i];
		struct transition_summary *c = &s->history[i];

		*c = *h;
		c->patch = xstrdup(h->patch);
		c->unsafe = xcalloc(h->nunsafe, sizeof(*c->unsafe));
		for (size_t j = 0; j < h->nunsafe; j++)
			task_snap__copy(&c->unsafe[j], &h->unsafe[j]);
		c->stragglers = xcalloc(h->nstragglers, sizeof(*c->stragglers));
		for (size_t j = 0; j < h->nstragglers; j++)
			task_snap__copy(&c->stragglers[j], &h->stragglers[j]);
	}
	s->nhistory = tp->nhistory;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A blocker whose record is still there but who is no longer pending
 * switched without an event: by a stack check in a round not watched
 * (every other way out has a probe of its own). Tell it like the event
 * would, and forget its record. */
static void infer_unwatched_switch(struct trans_probe *tp, uint32_t tid)
{
	struct klpt_blocker b;
	struct klpt_event e = { .type = KLPT_EV_BLOCKER_SWITCHED };
	const struct klpt_state *st = &tp->skel->bss->state;
	int fd = bpf_map__fd(tp->skel->maps.blockers);

	if (bpf_map_lookup_elem(fd, &tid, &b) || b.transition_id != st->transition_id)
		return;
	bpf_map_delete_elem(fd, &tid);
	e.ts_ns = now_ns();
	e.transition_id = st->transition_id;
	e.target = st->target;
	memcpy(e.patch, st->patch, sizeof(e.patch));
	e.pid = b.pid;
	e.tid = tid;
	e.how = KLPT_HOW_STACK_CHECK;
	e.kthread = b.kthread;
	e.last_ret = b.last_ret;
	e.rounds_failed = b.rounds_failed;
	e.first_ns = b.first_ns;
	memcpy(e.comm, b.comm, sizeof(e.comm));
	memcpy(e.func, b.func, sizeof(e.func));
	tp->skel->bss->state.switched[KLPT_HOW_STACK_CHECK]++;
	handle_event(tp, &e, sizeof(e));
}

/* Compare this fill's blockers with the last one's (both sorted). */
static void follow_blockers(struct trans_probe *tp, const struct transition_info *tr)
{
	struct known_blockers now = { 0 };
	size_t i = 0, j = 0;

	for (size_t k = 0; k < tr->ntasks; k++) {
		if (tr->tasks[k].reason == REASON_UNKNOWN)
			continue;
		grow_array((void **)&now.tids, &now.cap, now.n, sizeof(*now.tids));
		now.tids[now.n++] = (uint32_t)tr->tasks[k].tid;
	}
	if (now.n)
		qsort(now.tids, now.n, sizeof(*now.tids), cmp_u32);
	while (i < tp->known.n) {
		if (j < now.n && now.tids[j] < tp->known.tids[i]) {
			j++;
		} else if (j < now.n && now.tids[j] == tp->known.tids[i]) {
			i++;
			j++;
		} else {
			infer_unwatched_switch(tp, tp->known.tids[i++]);
		}
	}
	free(tp->known.tids);
	tp->known = now;
}

/* Rounds, rates and what each pending task's record cannot say itself. */
static void fill_transition(struct trans_probe *tp, struct transition_info *tr, uint64_t now)
{
	const struct klpt_state *st = &tp->skel->bss->state;
	const struct watch_plan *w = &tp->watch;

	tr->observed = 1;
	tr->start_ns = st->start_ns;
	tr->elapsed_ns = st->start_ns && now > st->start_ns ? now - st->start_ns : 0;
	tr->rounds = st->rounds;
	tr->signal_rounds = st->signal_rounds;
	tr->forced = (int)st->forced;
	tr->reversed = (int)st->reversed;
	tr->completing = (int)st->completing;
	tr->checked_round = w->last_watched;
	tr->check_every = w->every;
	tr->check_cost = watch_cost(w);
	tr->round_ns = tp->last_round_ns;
	for (int i = 0; i < SWITCH_HOW_MAX && i < KLPT_HOW_MAX; i++)
		tr->switched[i] = st->switched[i];
	tr->cost = tp->cost;
	for (size_t i = 0; i < tr->ntasks; i++) {
		struct pending_task *t = &tr->tasks[i];

		if (t->first_ns)
			t->signal_rounds_seen = signal_rounds_since(tp, t->first_ns);
	}
}

void trans_probe__fill(struct trans_probe *tp, struct snapshot *s, const struct ksymtab *syms)
{
	struct transition_info *tr = s->transition;
	const struct klpt_state *st;
	uint64_t now = now_ns();

	if (!tp)
		return;
	tp->syms = syms;
	trans_probe__poll(tp);
	if (tr) {
		join_transition(tp, tr);
		tp->watch.pending = (unsigned int)tr->tasks_pending;
		/* A few tasks: watching every round costs microseconds. */
		if (!tp->watch.pinned && !tp->watch.attached &&
		    (few_pending(&tp->watch) ||
		     (!tp->watch.last_watched && !tp->watch.plain_ns &&
		      tr->tasks_total <= WATCH_SMALL_TASKS)))
			watch_plan__attach(tp);
		follow_blockers(tp, tr);
		fill_transition(tp, tr, now);
		update_rate(tp, tr, now);
	}
	copy_history(tp, s);
	st = &tp->skel->bss->state;
	if (st->events_dropped)
		snapshot__warn(s, "%llu transition events dropped (ring buffer full)",
			       (unsigned long long)st->events_dropped);
	if (st->blockers_dropped)
		snapshot__warn(s, "%llu blocked tasks not tracked (blocker map full)",
			       (unsigned long long)st->blockers_dropped);
}
