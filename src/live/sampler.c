// SPDX-License-Identifier: GPL-2.0
/* The live sampler: sysfs for patches, the BPF task iterator (or procfs) for
 * tasks, the transition probes for why tasks block. */
#include "live/sampler.h"
#include "live/privs.h"
#include "live/attach.h"
#include "live/procscan.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "live/shadow.h"
#include "live/tasks.h"
#include "live/transition.h"
#include "live/funcs.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sampler {
	struct sampler_opts opts;
	struct ksyms *ks;
	struct task_iter *iter;
	struct trans_probe *tp;
	struct func_probe *fp;
	struct shadow_probe *shadow;
	struct probe_status probes;
	int cond_resched_switch;
};

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
	sm->tp = trans_probe__open(&sm->probes, sm->ks);
	if (!sm->opts.no_routing)
		sm->fp = func_probe__open(sm->ks, &sm->probes);
	if (sm->opts.shadows) {
		struct shadow_opts so = { .kallsyms = sm->opts.kallsyms,
					  .sysfs = sm->opts.paths.sysfs,
					  .no_leaks = sm->opts.no_leaks,
					  .ring_kb = sm->opts.shadow_ring_kb };

		sm->shadow = shadow_probe__open(&so, &sm->probes, sm->ks);
	}
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
	sm->ks = ksyms__load(sm->opts.kallsyms);
	if (!sm->ks)
		p_debug("cannot read %s: %s", sm->opts.kallsyms, strerror(errno));
	/* 6.4+ switches tasks at cond_resched() (__klp_sched_try_switch). */
	sm->cond_resched_switch = ksyms__find_name(sm->ks, "__klp_sched_try_switch", NULL) != NULL;
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
	ksyms__free(sm->ks);
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

const struct ksyms *sampler__ksyms(struct sampler *sm)
{
	return sm->ks;
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
	struct procscan_ctx procfs = { .paths = &sm->opts.paths,
				       .opts = { .with_stacks = sm->opts.with_stacks },
				       .ks = sm->ks };

	if (sm->iter)
		return task_iter__scan(sm->iter, tr, sm->opts.with_stacks, sm->ks);
	return procscan__scan(&procfs, tr);
}

static int probed_target(void *ctx, const char *patch)
{
	struct sampler *sm = ctx;

	return trans_probe__target(sm->tp, patch);
}

int sampler__fill(struct sampler *sm, struct snapshot *s)
{
	const struct live_scan ls = { .scan = scan_tasks, .known_target = probed_target, .ctx = sm };
	int rc;

	copy_probes(&sm->probes, &s->probes);
	s->cond_resched_switch = sm->cond_resched_switch;
	s->source = sm->iter || sm->tp ? "bpf" : "procfs";
	rc = live__fill(s, &sm->opts.paths, &ls);
	if (rc != EXIT_OK)
		return rc;
	trans_probe__fill(sm->tp, s, sm->ks);
	func_probe__fill(sm->fp, s);
	shadow_probe__fill(sm->shadow, s);
	snapshot__mark_stacks(s);
	snapshot__judge_blockers(s);
	return EXIT_OK;
}
