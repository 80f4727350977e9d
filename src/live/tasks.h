/* SPDX-License-Identifier: GPL-2.0 */
/* Every thread's patch state through the BPF task iterator (bpf/tasks.bpf.c):
 * the pending ones as compact records joined with their blocker records, the
 * others only counted. */
#ifndef KLPTOP_TASKS_H_USER
#define KLPTOP_TASKS_H_USER

#include "model/model.h"

struct ksyms;
struct task_iter;

/* Stacks one pass may read (unwinding costs; a stack is read again only
 * after its task was scheduled). */
#define TASK_ITER_STACK_BUDGET 2048

/* What a scan needs from the transition probes; zero without them. */
struct task_iter_clock {
	uint64_t transition_id;   /* the probes' current transition */
	unsigned int rounds;      /* rounds they saw */
	uint64_t now_ns;          /* CLOCK_MONOTONIC of this fill */
};

/* NULL when the iterator cannot be loaded; why gets the reason. ks gives
 * the address of ftrace_lock (may be NULL). */
struct task_iter *task_iter__open(const struct ksyms *ks, char *why, size_t whylen);
/* Is ftrace_lock held right now? -1 when unknown. Runs one iteration. */
int task_iter__ftrace_busy(struct task_iter *ti);
void task_iter__close(struct task_iter *ti);
/* One pass that only counts the threads (nothing is emitted): the floor of
 * any walk of every task. The count, or -1. */
long task_iter__count(struct task_iter *ti);
/* The maps the transition probes share (-1 each when ti is NULL). */
void task_iter__shared_fds(struct task_iter *ti, int *blockers, int *stacks, int *task_stacks);
/* Walk all threads: count them into tr, append every pending one to
 * tr->tasks and the RCU-tasks holdouts to tr->holdouts. Their tif_pending is
 * known (0/1) once TIF_PATCH_PENDING's bit is (see tif_guess), else -1. */
int task_iter__scan(struct task_iter *ti, struct transition_info *tr,
		    const struct task_iter_clock *clk, const struct ksyms *ks);
/* The ips of a stack the iterator read (a task's stack_key); 0 unknown. */
size_t task_iter__stack_ips(struct task_iter *ti, uint64_t key, uint64_t *ips, size_t max);
/* Stacks the last scan read, and whether its budget ran out. */
void task_iter__stack_stats(const struct task_iter *ti, unsigned int *read, int *over_budget);
/* TIF_PATCH_PENDING's bit number as derived so far on this kernel, -1 while
 * unknown (no transition seen yet, or the walks did not single one out). */
int task_iter__tif_bit(const struct task_iter *ti);

#endif
