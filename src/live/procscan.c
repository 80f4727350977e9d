// SPDX-License-Identifier: GPL-2.0
/* The procfs view of tasks: /proc/<pid>/task/<tid>/{patch_state,stat,stack}.
 * This is what hand-rolled scripts do today and what klptop falls back to
 * without BPF. Threads exit while we read: ENOENT/ESRCH just skip them. */
#include "live/procscan.h"
#include "live/kallsyms.h"
#include "lib/util.h"
#include "lib/log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define PF_KTHREAD 0x00200000ul

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* "pid (comm) S ppid pgrp session tty tpgid flags ...": comm may hold spaces
 * and parentheses, so split at the last ')'. */
static int parse_stat(const char *buf, struct task_snap *t)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	unsigned long flags = 0;
	const char *p;
	int field;

	if (!open || !close || close < open || !close[1] || !close[2])
		return -EINVAL;
	copy_str(t->comm, sizeof(t->comm), "");
	memcpy(t->comm, open + 1,
	       (size_t)(close - open - 1) < sizeof(t->comm) - 1 ? (size_t)(close - open - 1)
								: sizeof(t->comm) - 1);
	t->state = close[2];
	/* fields after ')' : 3=state 4=ppid 5=pgrp 6=session 7=tty 8=tpgid 9=flags */
	p = close + 2;
	for (field = 3; field < 9 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || parse_ulong(strndupa(p, strcspn(p, " ")), 10, &flags))
		return -EINVAL;
	t->kthread = !!(flags & PF_KTHREAD);
	return 0;
}

int procscan__read_task(const struct sys_paths *sp, int pid, int tid, struct task_snap *t)
{
	char path[PATH_MAX], buf[1024];
	ssize_t n;

	task_snap__init(t);
	t->pid = pid;
	t->tid = tid;
	snprintf(path, sizeof(path), "%s/%d/task/%d/stat", sp->procfs, pid, tid);
	n = read_text(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_stat(buf, t);
}

int procscan__parse_stack_line(const char *line, struct stack_frame *f)
{
	const char *p = strstr(line, "] "), *plus, *mod;
	unsigned long v;

	memset(f, 0, sizeof(*f));
	if (!p)
		return -EINVAL;
	p += 2;
	if (!strncmp(p, "0x", 2)) { /* %pB prints bare hex when it has no symbol */
		if (parse_ulong(strndupa(p, strcspn(p, " \n")), 16, &v))
			return -EINVAL;
		f->addr = v;
		return 0;
	}
	plus = strchr(p, '+');
	if (!plus || plus == p)
		return -EINVAL;
	f->symbol = strndup(p, plus - p);
	if (!strncmp(plus, "+0x", 3) && !parse_ulong(strndupa(plus + 1, strcspn(plus + 1, "/ \n")), 16, &v))
		f->offset = v;
	mod = strchr(plus, '[');
	if (mod) {
		const char *end = strchr(mod, ']');

		if (end)
			f->module = strndup(mod + 1, end - mod - 1);
	}
	return 0;
}

int procscan__read_stack(const struct sys_paths *sp, int pid, int tid, struct task_snap *t,
			 const struct ksyms *ks)
{
	char path[PATH_MAX];
	char *text, *line, *next;
	size_t cap = 0;

	snprintf(path, sizeof(path), "%s/%d/task/%d/stack", sp->procfs, pid, tid);
	text = read_all(path, NULL);
	if (!text) {
		t->stack_errno = errno;
		return -errno;
	}
	for (line = text; *line; line = next) {
		struct stack_frame f;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (procscan__parse_stack_line(line, &f))
			continue;
		/* /proc prints "[<0>]": recover the address from kallsyms. */
		if (!f.addr && f.symbol && ks) {
			const struct ksym *s = ksyms__find_name(ks, f.symbol, f.module);

			if (s)
				f.addr = s->addr + f.offset;
		}
		grow_array((void **)&t->stack, &cap, t->nstack, sizeof(f));
		t->stack[t->nstack++] = f;
	}
	free(text);
	return 0;
}

static int read_patch_state(const struct sys_paths *sp, int pid, int tid, int *state)
{
	char path[PATH_MAX];
	long v;
	int err;

	snprintf(path, sizeof(path), "%s/%d/task/%d/patch_state", sp->procfs, pid, tid);
	err = read_long(path, &v);
	if (!err)
		*state = (int)v;
	return err;
}

/* Stacks are read later, for the groups' representatives only. */
static int add_pending(const struct sys_paths *sp, int pid, int tid, int pstate,
		       struct transition_info *tr, size_t *cap)
{
	struct task_snap t = { 0 };
	struct pending_task *p;
	int err = procscan__read_task(sp, pid, tid, &t);

	if (err)
		return err; /* gone: skip */
	grow_array((void **)&tr->tasks, cap, tr->ntasks, sizeof(*p));
	p = &tr->tasks[tr->ntasks++];
	memset(p, 0, sizeof(*p));
	p->pid = t.pid;
	p->tid = t.tid;
	copy_str(p->comm, sizeof(p->comm), t.comm);
	p->kthread = (int8_t)t.kthread;
	p->state = t.state;
	p->tif_pending = -1;
	p->patch_state = (int8_t)pstate;
	p->cpu = -1;
	p->check_cpu = -1;
	task_snap__free(&t);
	return 0;
}

static int scan_threads(const struct sys_paths *sp, int pid, struct transition_info *tr,
			size_t *cap)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%d/task", sp->procfs, pid);
	d = opendir(path);
	if (!d)
		return 0; /* process exited */
	while ((de = readdir(d))) {
		int tid, pstate;

		if (!is_number(de->d_name))
			continue;
		tid = atoi(de->d_name);
		err = read_patch_state(sp, pid, tid, &pstate);
		if (err == -EACCES || err == -EPERM)
			break;
		if (err) { /* exited between readdir and read */
			err = 0;
			continue;
		}
		tr->tasks_total++;
		if (pstate == !tr->target) {
			tr->tasks_pending++;
			add_pending(sp, pid, tid, pstate, tr, cap);
		}
	}
	closedir(d);
	return err;
}

int procscan__scan_transition(const struct sys_paths *sp, struct transition_info *tr)
{
	struct dirent *de;
	size_t cap = 0;
	int err = 0;
	DIR *d = opendir(sp->procfs);

	if (!d)
		return -errno;
	while ((de = readdir(d)) && !err) {
		if (is_number(de->d_name))
			err = scan_threads(sp, atoi(de->d_name), tr, &cap);
	}
	closedir(d);
	return err;
}

int procscan__scan(void *ctx, struct transition_info *tr)
{
	const struct procscan_ctx *c = ctx;

	return procscan__scan_transition(c->paths, tr);
}

void procscan__rep_stacks(void *ctx, struct transition_info *tr)
{
	const struct procscan_ctx *c = ctx;

	if (!c->opts.with_stacks)
		return;
	for (size_t g = 0; g < tr->ngroups; g++) {
		struct task_snap *rep = &tr->groups[g].rep;

		procscan__read_stack(c->paths, rep->pid, rep->tid, rep, c->ks); /* errno kept */
	}
}
