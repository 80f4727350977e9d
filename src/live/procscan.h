/* SPDX-License-Identifier: GPL-2.0 */
/* Tasks from procfs, /proc/<pid>/task/<tid>/, when BPF cannot be used. */
#ifndef KLPTOP_LIVE_PROCSCAN_H
#define KLPTOP_LIVE_PROCSCAN_H

#include "live/sysfs.h"

struct ksyms;

struct fill_opts {
	int with_stacks;  /* read pending tasks' kernel stacks */
};

int procscan__read_task(const struct sys_paths *p, int pid, int tid, struct task_snap *t);
int procscan__read_stack(const struct sys_paths *p, int pid, int tid, struct task_snap *t,
			 const struct ksyms *ks);
/* Parse one /proc/.../stack line "[<0>] func+0x1d/0x40 [mod]" into f. */
int procscan__parse_stack_line(const char *line, struct stack_frame *f);
/* Scan all threads; pending ones (patch_state == !target) are appended to
 * tr->tasks. */
int procscan__scan_transition(const struct sys_paths *p, struct transition_info *tr);

/* procfs as the task scan of a live fill (live/sysfs.h: struct live_scan). */
struct procscan_ctx {
	const struct sys_paths *paths;
	struct fill_opts opts;
	const struct ksyms *ks;
};
int procscan__scan(void *ctx, struct transition_info *tr);
/* The groups' representatives' stacks from /proc/PID/task/TID/stack. */
void procscan__rep_stacks(void *ctx, struct transition_info *tr);

#endif
