/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One way to tell a blocker: its row, its stacks, where it is held, the
 * tasks of its group. status, the live view, force/disable and gate all
 * describe blockers through here, so they label and order them alike.
 */
#ifndef KLPTOP_RENDER_BLOCKERS_H
#define KLPTOP_RENDER_BLOCKERS_H

#include <stdio.h>

#include "model/model.h"

/* "klpt_sleep_in+0x1d [klpt_target]" (or the address); returns buf. */
const char *stack_frame__format(const struct stack_frame *fr, char *buf, size_t len);
/* One line per frame, "      => sym+0x1d [mod]" ("=>" on a blocking frame). */
void stack_frames__print(FILE *f, const struct stack_frame *fr, size_t n);
/* Where a task is held back: the patched function on its stack, or for a
 * task on a CPU the one it was sampled running in. */
const char *task_snap__where(const struct task_snap *t);
/* Up to max member tids of group g, "115 116 117", with " (+N more)" when
 * there are more; returns buf. */
const char *blocker_group__tids(const struct transition_info *tr, size_t g, size_t max,
				char *buf, size_t len);
/* The checks behind a task that will never switch by itself, or behind one
 * on an isolated CPU: "CPU 1 (isolcpus, nohz_full), the same at every
 * check; checks 7: on its CPU 7, ..." in buf; NULL when there is nothing
 * to add to the verdict. */
const char *task_snap__evidence(const struct task_snap *t, char *buf, size_t len);
/* "never switches by itself (CAUSE); helps: HELP" in buf, NULL when it
 * may. */
const char *task_snap__never_text(const struct task_snap *t, char *buf, size_t len);
/* One task: its row, verdict, stacks. */
void task_snap__print(FILE *f, const struct task_snap *t, int with_stacks);
/* One group: its row with the count, the member tids, the representative's
 * verdict and stacks. */
void blocker_group__print(FILE *f, const struct transition_info *tr, size_t g,
			  int with_stacks);
/* The heading those rows go under. */
void blocker_group__print_heading(FILE *f);

#endif
