// SPDX-License-Identifier: GPL-2.0
#include "live/tasks.h"
#include "live/kallsyms.h"
#include "live/kfacts.h"
#include "lib/log.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klptop/tasks.h"
#include "klptop/transition.h"
#include "tasks.skel.h"

_Static_assert(sizeof(struct klpt_task_rec) == 120, "klpt_task_rec layout");

struct func_name {
	uint64_t ptr;
	char name[KLPT_FUNC_LEN];
};

struct task_iter {
	struct tasks_bpf *skel;
	struct bpf_link *link;
	char *buf;
	size_t cap;
	struct func_name *funcs;   /* old_name pointers seen, and their names */
	size_t nfuncs, capfuncs;
	struct tif_guess tif;      /* TIF_PATCH_PENDING's bit, learnt from the walks */
};

struct task_iter *task_iter__open(const struct ksyms *ks, char *why, size_t whylen)
{
	struct task_iter *ti = xcalloc(1, sizeof(*ti));
	const struct ksym *lock = ksyms__find_name(ks, "ftrace_lock", NULL);
	int err;

	ti->skel = tasks_bpf__open();
	if (!ti->skel) {
		snprintf(why, whylen, "task iterator failed to open: %s", strerror(errno));
		goto fail;
	}
	ti->skel->rodata->ftrace_lock_addr = lock ? lock->addr : 0;
	err = tasks_bpf__load(ti->skel);
	if (err) {
		snprintf(why, whylen, "task iterator failed to load: %s", strerror(-err));
		goto fail;
	}
	ti->link = bpf_program__attach_iter(ti->skel->progs.dump_task, NULL);
	err = libbpf_get_error(ti->link);
	if (err) {
		ti->link = NULL;
		snprintf(why, whylen, "task iterator failed to attach: %s", strerror(-err));
		goto fail;
	}
	return ti;
fail:
	task_iter__close(ti);
	return NULL;
}

void task_iter__close(struct task_iter *ti)
{
	if (!ti)
		return;
	bpf_link__destroy(ti->link);
	tasks_bpf__destroy(ti->skel);
	free(ti->funcs);
	free(ti->buf);
	free(ti);
}

/* Read the whole seq file of one iteration into ti->buf. */
static ssize_t read_iteration(struct task_iter *ti)
{
	size_t len = 0;
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(ti->link));

	if (fd < 0)
		return -errno;
	for (;;) {
		if (ti->cap - len < 65536) {
			ti->cap = ti->cap ? ti->cap * 2 : 1 << 20;
			ti->buf = xrealloc(ti->buf, ti->cap);
		}
		n = read(fd, ti->buf + len, ti->cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	return (ssize_t)len;
}

long task_iter__count(struct task_iter *ti)
{
	ti->skel->bss->pending_state = 2;  /* PASS_COUNT_ONLY (bpf/tasks.bpf.c) */
	ti->skel->bss->stack_budget = 0;
	ti->skel->bss->nr_tasks = 0;
	if (read_iteration(ti) < 0)
		return -1;
	return ti->skel->bss->nr_tasks;
}

int task_iter__ftrace_busy(struct task_iter *ti)
{
	if (!ti || !ti->skel->rodata->ftrace_lock_addr || task_iter__count(ti) < 0)
		return -1;
	return ti->skel->bss->ftrace_lock_owner != 0;
}

/* The function a blocker sleeps on, by the kernel pointer its name was read
 * from: asked from the blocker record once, then remembered (the names are
 * the patch's klp_func old_name strings, constant while it is loaded). */
static const char *func_name(struct task_iter *ti, const struct klpt_task_rec *r)
{
	struct klpt_blocker b;

	if (!r->func_ptr)
		return NULL;
	for (size_t i = 0; i < ti->nfuncs; i++)
		if (ti->funcs[i].ptr == r->func_ptr)
			return ti->funcs[i].name;
	if (bpf_map_lookup_elem(bpf_map__fd(ti->skel->maps.blockers), &r->tid, &b) ||
	    b.func_ptr != r->func_ptr)
		return NULL;  /* asked again next time */
	grow_array((void **)&ti->funcs, &ti->capfuncs, ti->nfuncs, sizeof(*ti->funcs));
	ti->funcs[ti->nfuncs].ptr = r->func_ptr;
	copy_str(ti->funcs[ti->nfuncs].name, sizeof(ti->funcs[0].name), b.func);
	return ti->funcs[ti->nfuncs++].name;
}

static enum block_reason reason_of_ret(int ret)
{
	switch (ret) {
	case -KLPT_EBUSY: return REASON_RUNNING;
	case -KLPT_EADDRINUSE: return REASON_SLEEPING_ON;
	case -KLPT_EINVAL: return REASON_UNRELIABLE;
	default: return REASON_UNKNOWN;
	}
}

/* TIF_PATCH_PENDING of a task: 0/1 once the bit is known, else -1. */
static int tif_pending_of(const struct task_iter *ti, const struct klpt_task_rec *r)
{
	int bit = tif_guess__bit(&ti->tif);

	return bit < 0 ? -1 : (int)(r->ti_flags >> bit & 1);
}

/* One pass's evidence for TIF_PATCH_PENDING (see tif_guess): the AND of the
 * pending tasks' flags (their records), the OR of the switched ones' (the
 * iterator sums them up). Returns 0 when the pass had none (no transition,
 * or nothing switched or pending yet). */
static int narrow_tif(struct task_iter *ti, size_t len)
{
	uint64_t and_pending = ~0ull;
	size_t npending = 0;

	for (size_t off = 0; off + sizeof(struct klpt_task_rec) <= len;
	     off += sizeof(struct klpt_task_rec)) {
		const struct klpt_task_rec *r = (const void *)(ti->buf + off);

		if (r->flags & KLPT_TASK_PENDING) {
			and_pending &= r->ti_flags;
			npending++;
		}
	}
	if (!npending || !ti->skel->bss->nr_switched)
		return 0;
	tif_guess__narrow(&ti->tif, and_pending, ti->skel->bss->switched_tif_or);
	return 1;
}

/* Passes without stacks (cheap) until the bit is known, at most TIF_PASSES.
 * One pass is often not enough: a lone pending spinner also carries
 * need_resched, which no sleeping switched task has at that instant, and
 * that flickers while TIF_PATCH_PENDING stays. */
#define TIF_PASSES 8

static void learn_tif(struct task_iter *ti, int pending_state, uint64_t transition_id)
{
	struct tasks_bpf__bss *bss = ti->skel->bss;

	for (int i = 0; i < TIF_PASSES && tif_guess__bit(&ti->tif) < 0; i++) {
		ssize_t len;

		bss->pending_state = pending_state;
		bss->transition_id = transition_id;
		bss->stack_budget = 0;
		bss->nr_tasks = bss->nr_pending = bss->nr_stacks_read = 0;
		bss->switched_tif_or = 0;
		bss->nr_switched = 0;
		bss->want_tif = 1;
		len = read_iteration(ti);
		if (len < 0 || !narrow_tif(ti, (size_t)len))
			return;
		usleep(2000);
	}
}

int task_iter__tif_bit(const struct task_iter *ti)
{
	return ti ? tif_guess__bit(&ti->tif) : -1;
}

static void rec_to_pending(struct task_iter *ti, struct transition_info *tr,
			   const struct klpt_task_rec *r, const struct task_iter_clock *clk,
			   struct pending_task *t)
{
	memset(t, 0, sizeof(*t));
	t->pid = (int)r->pid;
	t->tid = (int)r->tid;
	copy_str(t->comm, sizeof(t->comm), r->comm);
	t->state = task_state__char(r->state);
	t->kthread = !!(r->flags & KLPT_TASK_KTHREAD);
	t->tif_pending = tif_pending_of(ti, r);
	t->patch_state = (int8_t)r->patch_state;
	t->on_cpu = !!(r->flags & KLPT_TASK_ON_CPU);
	t->cpu = r->cpu;
	t->check_cpu = -1;
	t->cpus_allowed = (int)r->cpus_allowed;
	t->stack_key = r->stack_key;
	if (!(r->flags & KLPT_TASK_BLOCKER))
		return;
	t->reason = reason_of_ret(r->last_ret);
	t->func_ref = transition_info__func_ref(tr, func_name(ti, r));
	t->first_ns = r->first_ns;
	t->blocked_ns = clk->now_ns > r->first_ns ? clk->now_ns - r->first_ns : 0;
	/* Still pending, so it failed every round since its first failed check,
	 * watched or not. */
	t->rounds_failed = r->first_round && clk->rounds >= r->first_round ?
				   clk->rounds - r->first_round + 1 : 0;
	t->checks_running = r->running;
	t->checks_sleeping = r->sleeping;
	t->checks_unreliable = r->unreliable;
	t->checks_asleep = r->asleep;
	t->checks_preempted = r->preempted;
	t->checks_uninterruptible = r->uninterruptible;
	t->check_cpu = r->check_cpu;
	t->cpu_moves = r->cpu_moves;
}

/* A holdout is shown with its stack (few of them, and the completion is
 * stuck on exactly these). */
static void rec_to_holdout(struct task_iter *ti, const struct klpt_task_rec *r,
			   const struct ksyms *ks, struct task_snap *t)
{
	uint64_t ips[KLPT_MAX_STACK];
	size_t n = task_iter__stack_ips(ti, r->stack_key, ips, KLPT_MAX_STACK);

	task_snap__init(t);
	t->pid = (int)r->pid;
	t->tid = (int)r->tid;
	t->patch_state = r->patch_state;
	t->state = task_state__char(r->state);
	t->kthread = !!(r->flags & KLPT_TASK_KTHREAD);
	t->tif_pending = tif_pending_of(ti, r);
	t->cpu = r->cpu;
	t->cpus_allowed = (int)r->cpus_allowed;
	copy_str(t->comm, sizeof(t->comm), r->comm);
	if (n) {
		t->stack = ksyms__frames(ks, ips, n);
		t->nstack = n;
	}
}

void task_iter__shared_fds(struct task_iter *ti, int *blockers, int *stacks, int *task_stacks)
{
	*blockers = ti ? bpf_map__fd(ti->skel->maps.blockers) : -1;
	*stacks = ti ? bpf_map__fd(ti->skel->maps.stacks) : -1;
	*task_stacks = ti ? bpf_map__fd(ti->skel->maps.task_stacks) : -1;
}

size_t task_iter__stack_ips(struct task_iter *ti, uint64_t key, uint64_t *ips, size_t max)
{
	struct klpt_stack st;
	size_t n;

	if (!ti || !key || bpf_map_lookup_elem(bpf_map__fd(ti->skel->maps.stacks), &key, &st))
		return 0;
	n = st.nr < KLPT_MAX_STACK ? st.nr : KLPT_MAX_STACK;
	n = n < max ? n : max;
	memcpy(ips, st.ips, n * sizeof(*ips));
	return n;
}

void task_iter__stack_stats(const struct task_iter *ti, unsigned int *read, int *over_budget)
{
	*read = ti ? ti->skel->bss->nr_stacks_read : 0;
	*over_budget = ti && !ti->skel->bss->stack_budget;
}

int task_iter__scan(struct task_iter *ti, struct transition_info *tr,
		    const struct task_iter_clock *clk, const struct ksyms *ks)
{
	size_t cap = 0, hcap = 0, off = 0;
	struct tasks_bpf__bss *bss = ti->skel->bss;
	ssize_t len;

	learn_tif(ti, !tr->target, clk->transition_id);
	bss->pending_state = !tr->target;
	bss->transition_id = clk->transition_id;
	bss->stack_budget = TASK_ITER_STACK_BUDGET;
	bss->nr_tasks = bss->nr_pending = bss->nr_stacks_read = 0;
	bss->switched_tif_or = 0;
	bss->nr_switched = 0;
	bss->want_tif = tif_guess__bit(&ti->tif) < 0;  /* the switched ones' flags, while unknown */
	len = read_iteration(ti);
	if (len < 0)
		return (int)len;
	narrow_tif(ti, (size_t)len);
	/* One array for all pending tasks, sized once. */
	cap = bss->nr_pending;
	tr->tasks = xcalloc(cap ? cap : 1, sizeof(*tr->tasks));
	for (; off + sizeof(struct klpt_task_rec) <= (size_t)len; off += sizeof(struct klpt_task_rec)) {
		const struct klpt_task_rec *r = (const void *)(ti->buf + off);

		if (r->flags & KLPT_TASK_RCU_HOLDOUT) {
			grow_array((void **)&tr->holdouts, &hcap, tr->nholdouts, sizeof(*tr->holdouts));
			rec_to_holdout(ti, r, ks, &tr->holdouts[tr->nholdouts++]);
		}
		if (!(r->flags & KLPT_TASK_PENDING))
			continue;
		/* Threads born during the read: counted, then one more slot. */
		grow_array((void **)&tr->tasks, &cap, tr->ntasks, sizeof(*tr->tasks));
		rec_to_pending(ti, tr, r, clk, &tr->tasks[tr->ntasks++]);
	}
	tr->tasks_total = bss->nr_tasks;
	tr->tasks_pending = tr->ntasks;
	return 0;
}
