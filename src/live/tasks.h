/* SPDX-License-Identifier: GPL-2.0 */
/* Every thread's patch state through the BPF task iterator (bpf/tasks.bpf.c). */
#ifndef KLPTOP_TASKS_H_USER
#define KLPTOP_TASKS_H_USER

#include "model/model.h"

struct ksyms;

struct task_iter;

/* NULL when the iterator cannot be loaded; why gets the reason. ks gives
 * the address of ftrace_lock (may be NULL). */
struct task_iter *task_iter__open(const struct ksyms *ks, char *why, size_t whylen);
/* Is ftrace_lock held right now? -1 when unknown. Runs one iteration. */
int task_iter__ftrace_busy(struct task_iter *ti);
void task_iter__close(struct task_iter *ti);
/* Walk all threads: count them into tr and append the pending ones
 * (patch_state == !tr->target), with stacks when with_stacks. */
int task_iter__scan(struct task_iter *ti, struct transition_info *tr, int with_stacks,
		    const struct ksyms *ks);

#endif
