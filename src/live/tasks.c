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
#include "tasks.skel.h"

_Static_assert(sizeof(struct klpt_task_rec) == 56, "klpt_task_rec layout");

struct task_iter {
	struct tasks_bpf *skel;
	struct bpf_link *link;
	char *buf;
	size_t cap;
	struct tif_guess tif;
};

int task_iter__tif_bit(const struct task_iter *ti)
{
	return ti ? tif_guess__bit(&ti->tif) : -1;
}

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

int task_iter__ftrace_busy(struct task_iter *ti)
{
	if (!ti || !ti->skel->rodata->ftrace_lock_addr)
		return -1;
	ti->skel->bss->want_stacks = 0;
	if (read_iteration(ti) < 0)
		return -1;
	return ti->skel->bss->ftrace_lock_owner != 0;
}

static void rec_to_task(const struct klpt_task_rec *r, struct task_snap *t, int tif_bit)
{
	memset(t, 0, sizeof(*t));
	t->switched_how = -1;
	t->pid = (int)r->pid;
	t->tid = (int)r->tid;
	t->patch_state = r->patch_state;
	t->state = task_state__char(r->state);
	t->kthread = (int)r->kthread;
	t->tif_pending = tif_bit < 0 ? -1 : (int)(r->tif_flags >> tif_bit & 1);
	copy_str(t->comm, sizeof(t->comm), r->comm);
}

static void append_task(struct task_snap **arr, size_t *n, size_t *cap,
			const struct klpt_task_rec *r, const __u64 *ips, const struct ksyms *ks,
			int tif_bit)
{
	struct task_snap *t;

	grow_array((void **)arr, cap, *n, sizeof(**arr));
	t = &(*arr)[(*n)++];
	rec_to_task(r, t, tif_bit);
	if (ips) {
		t->nstack = r->nr_ips < KLPT_TASK_MAX_STACK ? r->nr_ips : KLPT_TASK_MAX_STACK;
		t->stack = ksyms__frames(ks, (const uint64_t *)ips, t->nstack);
	}
}

/* The next record of one walk and its stack (NULL if none), or NULL at the
 * end; *off moves past both. */
static const struct klpt_task_rec *next_rec(const char *buf, size_t len, size_t *off,
					    const __u64 **ips)
{
	const size_t stack_bytes = KLPT_TASK_MAX_STACK * sizeof(__u64);
	const struct klpt_task_rec *r;

	if (*off + sizeof(*r) > len)
		return NULL;
	r = (const void *)(buf + *off);
	*off += sizeof(*r);
	*ips = NULL;
	if (r->nr_ips) {
		if (*off + stack_bytes > len)
			return NULL; /* truncated record: the walk raced with nothing we can fix */
		*ips = (const void *)(buf + *off);
		*off += stack_bytes;
	}
	return r;
}

/* One walk's evidence for TIF_PATCH_PENDING (see tif_guess). */
static int narrow_tif(struct task_iter *ti, size_t len, int target)
{
	uint64_t and_pending = ~0ull, or_switched = 0;
	size_t off = 0, npending = 0, nswitched = 0;
	const struct klpt_task_rec *r;
	const __u64 *ips;

	while ((r = next_rec(ti->buf, len, &off, &ips))) {
		if (r->patch_state == target) {
			or_switched |= r->tif_flags;
			nswitched++;
		} else if (r->patch_state == !target) {
			and_pending &= r->tif_flags;
			npending++;
		}
	}
	if (!npending || !nswitched)
		return tif_guess__bit(&ti->tif);
	return tif_guess__narrow(&ti->tif, and_pending, or_switched);
}

int task_iter__scan(struct task_iter *ti, struct transition_info *tr, int with_stacks,
		    const struct ksyms *ks)
{
	size_t hcap = tr->nholdouts;
	size_t off = 0, cap = tr->npending;
	const struct klpt_task_rec *r;
	const __u64 *ips;
	ssize_t len;
	int tif_bit;

	ti->skel->bss->want_stacks = with_stacks;
	ti->skel->bss->pending_state = !tr->target;
	len = read_iteration(ti);
	if (len < 0)
		return (int)len;
	tif_bit = narrow_tif(ti, (size_t)len, tr->target);
	while ((r = next_rec(ti->buf, (size_t)len, &off, &ips))) {
		tr->tasks_total++;
		if (r->rcu_holdout)
			append_task(&tr->holdouts, &tr->nholdouts, &hcap, r, ips, ks, tif_bit);
		if (r->patch_state != !tr->target)
			continue;
		tr->tasks_pending++;
		append_task(&tr->pending, &tr->npending, &cap, r, ips, ks, tif_bit);
	}
	return 0;
}
