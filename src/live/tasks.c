// SPDX-License-Identifier: GPL-2.0
#include "live/tasks.h"
#include "live/kallsyms.h"
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

_Static_assert(sizeof(struct klpt_task_rec) == 48, "klpt_task_rec layout");

struct task_iter {
	struct tasks_bpf *skel;
	struct bpf_link *link;
	char *buf;
	size_t cap;
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

static void rec_to_task(const struct klpt_task_rec *r, struct task_snap *t)
{
	memset(t, 0, sizeof(*t));
	t->switched_how = -1;
	t->pid = (int)r->pid;
	t->tid = (int)r->tid;
	t->patch_state = r->patch_state;
	t->state = task_state__char(r->state);
	t->kthread = (int)r->kthread;
	t->tif_pending = (int)r->tif_pending;
	copy_str(t->comm, sizeof(t->comm), r->comm);
}

static void append_task(struct task_snap **arr, size_t *n, size_t *cap,
			const struct klpt_task_rec *r, const __u64 *ips, const struct ksyms *ks)
{
	struct task_snap *t;

	grow_array((void **)arr, cap, *n, sizeof(**arr));
	t = &(*arr)[(*n)++];
	rec_to_task(r, t);
	if (ips) {
		t->nstack = r->nr_ips < KLPT_TASK_MAX_STACK ? r->nr_ips : KLPT_TASK_MAX_STACK;
		t->stack = ksyms__frames(ks, (const uint64_t *)ips, t->nstack);
	}
}

int task_iter__scan(struct task_iter *ti, struct transition_info *tr, int with_stacks,
		    const struct ksyms *ks)
{
	size_t hcap = tr->nholdouts;
	const size_t stack_bytes = KLPT_TASK_MAX_STACK * sizeof(__u64);
	size_t off = 0, cap = tr->npending;
	ssize_t len;

	ti->skel->bss->want_stacks = with_stacks;
	ti->skel->bss->pending_state = !tr->target;
	len = read_iteration(ti);
	if (len < 0)
		return (int)len;
	while (off + sizeof(struct klpt_task_rec) <= (size_t)len) {
		const struct klpt_task_rec *r = (const void *)(ti->buf + off);
		const __u64 *ips = NULL;

		off += sizeof(*r);
		if (r->nr_ips) {
			if (off + stack_bytes > (size_t)len)
				break; /* truncated record: the walk raced with nothing we can fix */
			ips = (const void *)(ti->buf + off);
			off += stack_bytes;
		}
		tr->tasks_total++;
		if (r->rcu_holdout)
			append_task(&tr->holdouts, &tr->nholdouts, &hcap, r, ips, ks);
		if (r->patch_state != !tr->target)
			continue;
		tr->tasks_pending++;
		append_task(&tr->pending, &tr->npending, &cap, r, ips, ks);
	}
	return 0;
}
