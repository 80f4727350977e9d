/* SPDX-License-Identifier: GPL-2.0 */
/* Model objects for view and replay tests: the fix patch of the stuck transition
 * (docs/incidents.md) as
 * sysfs shows it (klpt_target: klpt_spin_step and klpt_ping). */
#ifndef KLPTOP_TEST_MODEL_FIXTURE_H
#define KLPTOP_TEST_MODEL_FIXTURE_H

#include <string.h>

#include "model/model.h"
#include "lib/util.h"

static inline void fx_make_patch(struct patch_info *pi, const char *name, int replace,
				 long ping_sympos)
{
	struct object_info *o;

	memset(pi, 0, sizeof(*pi));
	pi->name = xstrdup(name);
	pi->enabled = 1;
	pi->transition = 1;
	pi->replace = replace;
	pi->forced = -1;
	pi->nobjs = 1;
	pi->objs = xcalloc(1, sizeof(*pi->objs));
	o = &pi->objs[0];
	o->name = xstrdup("klpt_target");
	o->patched = 1;
	o->nfuncs = 2;
	o->funcs = xcalloc(2, sizeof(*o->funcs));
	o->funcs[0].name = xstrdup("klpt_spin_step");
	o->funcs[0].sympos = 1;
	o->funcs[1].name = xstrdup("klpt_ping");
	o->funcs[1].sympos = ping_sympos;
}

/* Make full tasks (stacks, verdicts) the pending tasks of tr, grouped as the
 * live source groups them: each group's representative is a copy of its
 * full task. Takes ownership of full[]. */
static inline void fx_set_pending(struct transition_info *tr, struct task_snap *full, size_t n)
{
	tr->ntasks = n;
	tr->tasks = xcalloc(n ? n : 1, sizeof(*tr->tasks));
	for (size_t i = 0; i < n; i++) {
		struct pending_task *p = &tr->tasks[i];
		const struct task_snap *t = &full[i];

		p->pid = t->pid;
		p->tid = t->tid;
		copy_str(p->comm, sizeof(p->comm), t->comm);
		p->state = t->state;
		p->kthread = (int8_t)t->kthread;
		p->tif_pending = (int8_t)t->tif_pending;
		p->patch_state = (int8_t)t->patch_state;
		p->reason = t->reason;
		p->rounds_failed = t->rounds_failed;
		p->blocked_ns = t->blocked_ns;
		p->checks_running = t->checks_running;
		p->checks_sleeping = t->checks_sleeping;
		p->checks_unreliable = t->checks_unreliable;
		p->checks_asleep = t->checks_asleep;
		p->checks_preempted = t->checks_preempted;
		p->checks_uninterruptible = t->checks_uninterruptible;
		p->signal_rounds_seen = t->signal_rounds_seen;
		p->cpu = t->cpu;
		p->check_cpu = t->check_cpu;
		p->cpu_moves = t->cpu_moves;
		p->cpus_allowed = t->cpus_allowed;
		p->cpu_iso = t->cpu_iso;
		p->func_ref = transition_info__func_ref(tr, t->function);
	}
	transition_info__group(tr);
	for (size_t g = 0; g < tr->ngroups; g++) {
		struct blocker_group *grp = &tr->groups[g];

		for (size_t i = 0; i < n; i++) {
			if (full[i].tid != grp->rep.tid)
				continue;
			task_snap__free(&grp->rep);
			task_snap__copy(&grp->rep, &full[i]);
			grp->verdict = grp->rep.verdict;
			grp->never = grp->rep.never;
		}
	}
	for (size_t i = 0; i < n; i++) {
		tr->tasks[i].verdict = tr->groups[tr->tasks[i].group].verdict;
		tr->tasks[i].never = tr->groups[tr->tasks[i].group].never;
		task_snap__free(&full[i]);
	}
	free(full);
}

/* The representative of the group whose representative is tid. */
static inline struct task_snap *fx_rep(struct transition_info *tr, int tid)
{
	for (size_t g = 0; g < tr->ngroups; g++)
		if (tr->groups[g].rep.tid == tid)
			return &tr->groups[g].rep;
	return NULL;
}

#endif
