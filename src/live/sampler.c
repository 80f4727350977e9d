// SPDX-License-Identifier: GPL-2.0
/* The live sampler: sysfs for patches, the BPF task iterator (or procfs) for
 * tasks, the transition probes for why tasks block. */
#include "live/sampler.h"
#include "live/privs.h"
#include "live/attach.h"
#include "live/procscan.h"
#include "live/kallsyms.h"
#include "live/kfacts.h"
#include "lib/log.h"
#include "live/shadow.h"
#include "live/tasks.h"
#include "live/transition.h"
#include "klptop/tasks.h"
#include "live/funcs.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Symbolized stacks by key: a stack shared by thousands of tasks, or seen
 * every second, is symbolized once. Cleared when full. */
#define FRAME_CACHE_SLOTS 512

struct cached_frames {
	uint64_t key;          /* 0: empty */
	struct stack_frame *frames;
	size_t n;
};

/* The transition the last fill (or the caller) saw in sysfs. */
struct seen_transition {
	char patch[128];      /* "": none */
	int target;
	uint64_t since_ns;    /* first seen, CLOCK_MONOTONIC */
};

/* Transitions only sysfs saw end, kept for every later snapshot. */
#define SYSFS_HISTORY_MAX 16

struct sampler {
	struct sampler_opts opts;
	struct seen_transition seen;
	struct transition_summary sysfs_history[SYSFS_HISTORY_MAX];
	size_t nsysfs_history;
	int stacks_over_budget;   /* the last scan left stacks unread */
	struct ksymtab *syms;     /* follows modules: a patch loaded later is named */
	const struct ksyms *ks;   /* its kallsyms as of the last fill */
	uint64_t ks_generation;   /* ... which the frame cache was named with */
	struct cached_frames cache[FRAME_CACHE_SLOTS];
	size_t ncached;
	struct task_iter *iter;
	struct trans_probe *tp;
	struct func_probe *fp;
	struct shadow_probe *shadow;
	struct probe_status probes;
	enum switch_point switch_point;
};

static void frame_cache__clear(struct sampler *sm)
{
	for (size_t i = 0; i < FRAME_CACHE_SLOTS; i++) {
		stack_frames__free(sm->cache[i].frames, sm->cache[i].n);
		sm->cache[i] = (struct cached_frames){ 0 };
	}
	sm->ncached = 0;
}

/* A copy of the symbolized stack under key (read and cached on a miss). */
static struct stack_frame *frames_of_key(struct sampler *sm, uint64_t key, size_t *n)
{
	size_t slot = (size_t)(key * 0x9e3779b97f4a7c15ull >> 32) % FRAME_CACHE_SLOTS;
	uint64_t ips[KLPT_TASK_MAX_STACK];
	struct cached_frames *c;

	*n = 0;
	if (!key)
		return NULL;
	for (size_t i = 0; i < FRAME_CACHE_SLOTS; i++) {
		c = &sm->cache[(slot + i) % FRAME_CACHE_SLOTS];
		if (c->key == key)
			return stack_frames__copy(c->frames, *n = c->n);
		if (!c->key)
			break;
	}
	if (sm->ncached * 2 >= FRAME_CACHE_SLOTS)
		frame_cache__clear(sm);
	for (c = &sm->cache[slot]; c->key; c = &sm->cache[(c - sm->cache + 1) % FRAME_CACHE_SLOTS])
		;
	c->n = task_iter__stack_ips(sm->iter, key, ips, KLPT_TASK_MAX_STACK);
	if (!c->n)
		return NULL;
	c->key = key;
	c->frames = ksyms__frames(sm->ks, ips, c->n);
	sm->ncached++;
	return stack_frames__copy(c->frames, *n = c->n);
}

static void copy_probes(const struct probe_status *from, struct probe_status *to)
{
	to->bpf = from->bpf;
	to->why_not = from->why_not ? xstrdup(from->why_not) : NULL;
	to->missing = xcalloc(from->nmissing, sizeof(*to->missing));
	for (size_t i = 0; i < from->nmissing; i++)
		to->missing[i] = xstrdup(from->missing[i]);
	to->nmissing = from->nmissing;
}

/* ftrace_lock is normally held for milliseconds; held for seconds, it is
 * an unregister stuck in synchronize_rcu_tasks(), and every kprobe
 * registration and every read of available_filter_functions would sleep
 * uninterruptibly behind it. Sample it for up to 2 s. */
static int ftrace_stays_busy(struct task_iter *iter)
{
	for (int i = 0; i < 10; i++) {
		if (task_iter__ftrace_busy(iter) != 1)
			return 0;
		usleep(200000);
	}
	return 1;
}

static void open_shadows(struct sampler *sm)
{
	struct shadow_opts so = { .no_leaks = sm->opts.no_leaks,
				  .ring_kb = sm->opts.shadow_ring_kb };

	sm->shadow = shadow_probe__open(&so, &sm->probes, sm->syms);
}

void sampler__open_deferred(struct sampler *sm)
{
	if (sm->opts.shadows && sm->opts.defer_shadows && !sm->shadow && sm->tp)
		open_shadows(sm);
	sm->opts.defer_shadows = 0;
}

static void open_bpf(struct sampler *sm)
{
	char why[256] = "";

	/* CO-RE needs the running kernel's BTF to relocate field accesses. */
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		sm->probes.why_not = xstrdup("this kernel has no BTF (/sys/kernel/btf/vmlinux, "
					     "CONFIG_DEBUG_INFO_BTF): BPF probes cannot load; using "
					     "procfs");
		return;
	}
	if (!privs__bpf_ok(why, sizeof(why))) {
		strncat(why, "; using procfs", sizeof(why) - strlen(why) - 1);
		sm->probes.why_not = xstrdup(why);
		return;
	}
	/* The iterator first: it needs no ftrace, and it tells whether touching
	 * ftrace now would block us (see ftrace_stays_busy). */
	if (attach__disabled("iter/task"))
		snprintf(why, sizeof(why), "task iterator disabled by KLPTOP_DISABLE_ATTACH");
	else
		sm->iter = task_iter__open(sm->ks, why, sizeof(why));
	if (!sm->iter) {
		p_info("%s; reading tasks from procfs", why);
		probe_status__add_missing(&sm->probes, "iter/task (using procfs)");
	}
	if (ftrace_stays_busy(sm->iter)) {
		sm->probes.why_not = xstrdup(
			"ftrace_lock has been held for over 2 s (a livepatch completion waiting in "
			"synchronize_rcu_tasks()?): kprobes not attached, since registering one "
			"would block klptop until it is released; tasks read by the iterator");
		p_warn("%s", sm->probes.why_not);
		return;
	}
	{
		struct trans_shared_maps sh = { .procfs = sm->opts.paths.procfs };

		task_iter__shared_fds(sm->iter, &sh.blockers, &sh.stacks, &sh.task_stacks);
		sm->tp = trans_probe__open(&sm->probes, sm->ks, &sh);
	}
	if (!sm->opts.no_routing)
		sm->fp = func_probe__open(sm->ks, &sm->probes);
	if (sm->opts.shadows && !sm->opts.defer_shadows)
		open_shadows(sm);
}

/* kptr_restrict / perf_event_paranoid hide kernel addresses from a process
 * without CAP_SYSLOG: every /proc/kallsyms address reads 0. The probes still
 * load, but what needs addresses is lost, and the user must know which. */
static void warn_hidden_addresses(struct sampler *sm)
{
	static const char what[] = "kernel addresses (/proc/kallsyms reads 0: needs CAP_SYSLOG "
				   "or root): stacks without symbols, no function routing, no "
				   "start-up shadow scan";

	if (!sm->ks || !sm->ks->addrs_hidden || !sm->probes.bpf)
		return;
	probe_status__add_missing(&sm->probes, what);
	p_warn("%s", what);
}

struct sampler *sampler__open(const struct sampler_opts *o)
{
	struct sampler *sm = xcalloc(1, sizeof(*sm));

	sm->opts = *o;
	if (!sm->opts.paths.sysfs)
		sm->opts.paths = default_paths;
	if (!sm->opts.kallsyms)
		sm->opts.kallsyms = "/proc/kallsyms";
	sm->syms = ksymtab__open(sm->opts.kallsyms);
	if (!sm->syms)
		p_debug("cannot read %s: %s", sm->opts.kallsyms, strerror(errno));
	sm->ks = ksymtab__ksyms(sm->syms);
	sm->ks_generation = ksymtab__generation(sm->syms);
	sm->switch_point = switch_point__probe(sm->ks);
	if (o->captured_tree)
		sm->probes.why_not = xstrdup("reading a captured tree (--root): no BPF");
	else if (o->no_bpf)
		sm->probes.why_not = xstrdup("disabled by --no-bpf");
	else
		open_bpf(sm);
	if (!sm->probes.bpf && sm->probes.why_not)
		p_info("BPF off: %s", sm->probes.why_not);
	warn_hidden_addresses(sm);
	/* Without live patching every klp_ point is absent: not news. */
	if (!o->captured_tree && !access("/sys/kernel/livepatch", F_OK))
		probe_status__warn_missing(&sm->probes);
	return sm;
}

void sampler__close(struct sampler *sm)
{
	if (!sm)
		return;
	trans_probe__close(sm->tp);
	func_probe__close(sm->fp);
	shadow_probe__close(sm->shadow);
	task_iter__close(sm->iter);
	frame_cache__clear(sm);
	for (size_t i = 0; i < sm->nsysfs_history; i++)
		transition_summary__free(&sm->sysfs_history[i]);
	ksymtab__free(sm->syms);
	for (size_t i = 0; i < sm->probes.nmissing; i++)
		free(sm->probes.missing[i]);
	free(sm->probes.missing);
	free(sm->probes.why_not);
	free(sm);
}

int sampler__event_fd(struct sampler *sm)
{
	return sm->tp ? trans_probe__event_fd(sm->tp) : shadow_probe__event_fd(sm->shadow);
}

int sampler__poll(struct sampler *sm)
{
	return trans_probe__poll(sm->tp) + shadow_probe__poll(sm->shadow);
}

void sampler__set_event_sink(struct sampler *sm,
			     void (*fn)(void *ctx, int kind, const void *data, size_t len),
			     void *ctx)
{
	trans_probe__set_sink(sm->tp, fn, ctx);
	shadow_probe__set_sink(sm->shadow, fn, ctx);
}

void sampler__drops(struct sampler *sm, uint64_t *events, uint64_t *blockers)
{
	trans_probe__drops(sm->tp, events, blockers);
}

const struct cost_totals *sampler__cost_totals(struct sampler *sm)
{
	return trans_probe__totals(sm->tp);
}

size_t sampler__stack_ips(struct sampler *sm, int shadow, uint64_t key, uint64_t *ips,
			  size_t max)
{
	if (shadow)
		return shadow_probe__stack_ips(sm->shadow, (int32_t)key, ips, max);
	return trans_probe__stack_ips(sm->tp, key, ips, max);
}

struct shadow_probe *sampler__shadow(struct sampler *sm)
{
	return sm->shadow;
}


int sampler__wait_rounds(struct sampler *sm, unsigned int rounds, int timeout_ms)
{
	unsigned int goal = trans_probe__rounds(sm->tp) + rounds;
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	if (!sm->tp)
		return 0;
	/* Without the round probe, wait as long as the rounds take (the kernel
	 * checks about once a second), taking events meanwhile. */
	if (!trans_probe__sees_rounds(sm->tp)) {
		uint64_t by_time = now_ns() + (uint64_t)rounds * 1000000000ull + 500000000ull;

		if (by_time < deadline)
			deadline = by_time;
		goal = UINT_MAX;
	}
	while (trans_probe__rounds(sm->tp) < goal) {
		struct pollfd pfd = { .fd = sampler__event_fd(sm), .events = POLLIN };
		uint64_t now = now_ns();

		if (now >= deadline)
			return goal == UINT_MAX;
		poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
		sampler__poll(sm);
	}
	return 1;
}

/* The tasks of a transition: the task iterator, or procfs without it. */
static int scan_tasks(void *ctx, struct transition_info *tr)
{
	struct sampler *sm = ctx;
	struct procscan_ctx procfs = { .paths = &sm->opts.paths };
	struct task_iter_clock clk;
	unsigned int read;
	int err, over;

	if (!sm->iter)
		return procscan__scan(&procfs, tr);
	trans_probe__clock(sm->tp, now_ns(), &clk);
	err = task_iter__scan(sm->iter, tr, &clk, sm->ks);
	task_iter__stack_stats(sm->iter, &read, &over);
	sm->stacks_over_budget = over;
	return err;
}

static int probed_target(void *ctx, const char *patch)
{
	struct sampler *sm = ctx;

	return trans_probe__target(sm->tp, patch);
}

static void annotate(void *ctx, struct snapshot *s)
{
	struct sampler *sm = ctx;

	trans_probe__fill(sm->tp, s, sm->syms);
}

/* Only the representatives get stacks: what is shown. A running task's
 * stack cannot be read from here; where it runs comes from the on-CPU
 * samples instead. */
static void rep_stacks(void *ctx, struct transition_info *tr)
{
	struct sampler *sm = ctx;
	struct procscan_ctx procfs = { .paths = &sm->opts.paths, .ks = sm->ks,
				       .opts = { .with_stacks = sm->opts.with_stacks } };

	if (!sm->iter) {
		procscan__rep_stacks(&procfs, tr);
		return;
	}
	for (size_t g = 0; g < tr->ngroups; g++) {
		struct task_snap *rep = &tr->groups[g].rep;
		uint64_t ips[127];
		size_t n;

		if (sm->opts.with_stacks)
			rep->stack = frames_of_key(sm, tr->groups[g].stack_key, &rep->nstack);
		n = trans_probe__oncpu_ips(sm->tp, rep->tid, ips, ARRAY_SIZE(ips),
					   &rep->oncpu_samples);
		if (n) {
			rep->oncpu = ksyms__frames(sm->ks, ips, n);
			rep->noncpu = n;
		}
	}
}

void sampler__saw_transition(struct sampler *sm, const struct transition_info *tr)
{
	sm->seen.patch[0] = '\0';
	if (!tr)
		return;
	copy_str(sm->seen.patch, sizeof(sm->seen.patch), tr->patch);
	sm->seen.target = tr->target;
	sm->seen.since_ns = now_ns();
}

static int in_history(const struct snapshot *s, const struct seen_transition *seen)
{
	for (size_t i = 0; i < s->nhistory; i++)
		if (!strcmp(s->history[i].patch, seen->patch) && s->history[i].end_ns >= seen->since_ns)
			return 1;
	return 0;
}

/* A transition sysfs showed is gone and the probes did not see it end (it
 * ended while klptop was starting, or without BPF): tell it from sysfs. */
static void remember_sysfs_end(struct sampler *sm, const struct snapshot *s)
{
	const struct transition_info *tr = s->transition;
	struct transition_summary *h;

	if (!sm->seen.patch[0] || (tr && !strcmp(tr->patch, sm->seen.patch)) || in_history(s, &sm->seen))
		return;
	if (sm->nsysfs_history == SYSFS_HISTORY_MAX) {
		transition_summary__free(&sm->sysfs_history[0]);
		memmove(sm->sysfs_history, sm->sysfs_history + 1,
			sizeof(*h) * (SYSFS_HISTORY_MAX - 1));
		sm->nsysfs_history--;
	}
	h = &sm->sysfs_history[sm->nsysfs_history++];
	memset(h, 0, sizeof(*h));
	h->patch = xstrdup(sm->seen.patch);
	h->target = sm->seen.target;
	h->outcome = live__outcome_of(&sm->opts.paths, sm->seen.patch, sm->seen.target);
	h->sysfs_only = 1;
	h->seen_ns = sm->seen.since_ns;
	h->end_ns = now_ns();
	sm->seen.patch[0] = '\0';
}

static void add_sysfs_history(const struct sampler *sm, struct snapshot *s)
{
	if (!sm->nsysfs_history)
		return;
	s->history = xrealloc(s->history, (s->nhistory + sm->nsysfs_history) * sizeof(*s->history));
	for (size_t i = 0; i < sm->nsysfs_history; i++) {
		struct transition_summary *c = &s->history[s->nhistory++];

		*c = sm->sysfs_history[i];
		c->patch = xstrdup(c->patch);
		c->unsafe = c->stragglers = NULL;
		c->nunsafe = c->nstragglers = 0;
	}
}

static void follow_seen(struct sampler *sm, struct snapshot *s)
{
	remember_sysfs_end(sm, s);
	add_sysfs_history(sm, s);
	if (s->transition && strcmp(s->transition->patch, sm->seen.patch))
		sampler__saw_transition(sm, s->transition);
}

/* A module loaded since the last fill gets its symbols first; stacks
 * named before a reload are named again. */
static void refresh_symbols(struct sampler *sm)
{
	ksymtab__refresh(sm->syms);
	sm->ks = ksymtab__ksyms(sm->syms);
	if (ksymtab__generation(sm->syms) != sm->ks_generation) {
		sm->ks_generation = ksymtab__generation(sm->syms);
		frame_cache__clear(sm);
	}
}

struct ksymtab *sampler__ksymtab(struct sampler *sm)
{
	return sm->syms;
}

int sampler__fill(struct sampler *sm, struct snapshot *s)
{
	const struct live_scan ls = { .scan = scan_tasks, .known_target = probed_target,
				      .annotate = annotate, .rep_stacks = rep_stacks, .ctx = sm };
	int rc;

	refresh_symbols(sm);
	copy_probes(&sm->probes, &s->probes);
	s->switch_point = sm->switch_point;
	s->source = sm->iter || sm->tp ? "bpf" : "procfs";
	rc = live__fill(s, &sm->opts.paths, &ls);
	if (rc != EXIT_OK)
		return rc;
	s->tif_patch_pending_bit = task_iter__tif_bit(sm->iter);
	follow_seen(sm, s);
	/* Counted and said, never silently left out. */
	if (sm->stacks_over_budget && s->transition)
		snapshot__warn(s, "not every pending task's stack is read yet (%d a second): "
			       "until then a task counts with its peers' most common stack",
			       TASK_ITER_STACK_BUDGET);
	func_probe__fill(sm->fp, s);
	shadow_probe__fill(sm->shadow, s);
	snapshot__judge_blockers(s);
	return EXIT_OK;
}
