/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live kernel's files as a source of the model: /sys/kernel/livepatch
 * (patches, objects, functions, which transition runs) and the retry loop
 * every live fill goes through, whoever reads the tasks (the BPF task
 * iterator or procfs).
 */
#ifndef KLPTOP_LIVE_SYSFS_H
#define KLPTOP_LIVE_SYSFS_H

#include "model/model.h"

/* Where the live kernel's files are; tests point these at fixture trees. */
struct sys_paths {
	const char *sysfs;  /* "/sys" */
	const char *procfs; /* "/proc" */
};
extern const struct sys_paths default_paths;

int livepatch__read_kernel(struct kernel_info *k, const struct sys_paths *p);
int livepatch__read_patches(struct snapshot *s, const struct sys_paths *p);

/* The steps of a fill: sysfs (kernel, patches, which transition runs), then
 * the caller scans tasks, then finish checks the transition still runs.
 * Each returns EXIT_OK or an EXIT_* code after printing why. */
int live__read_sysfs(struct snapshot *s, const struct sys_paths *p);
int live__finish_transition(struct snapshot *s, const struct sys_paths *p, int scan_err);
/* sysfs `enabled` of the transition's patch no longer names its target: the
 * kernel flips it only after klp_start_transition() (a transition began,
 * or reversed, while the tasks were read), so pending tasks were judged
 * against the wrong target. The caller reads again. */
int live__target_moved(const struct snapshot *s, const struct sys_paths *p);

/* How a transition of patch towards target ended, by what sysfs shows now:
 * "completed" (enabled names the target), "reversed" (it names the other
 * state), "ended" (the patch is gone). */
const char *live__outcome_of(const struct sys_paths *p, const char *patch, int target);

/* Where a live fill gets its tasks and what it asks of the probes. */
struct live_scan {
	/* Reads the tasks of s->transition into tr->tasks; 0 or -errno. */
	int (*scan)(void *ctx, struct transition_info *tr);
	/* A target >= 0 the probes saw the kernel set (sysfs names it only once
	 * the transition started): then no re-read is needed. May be NULL. */
	int (*known_target)(void *ctx, const char *patch);
	/* Adds what the probes saw to s, before the tasks are grouped. May be
	 * NULL. */
	void (*annotate)(void *ctx, struct snapshot *s);
	/* Fills the groups' representatives' stacks. May be NULL. */
	void (*rep_stacks)(void *ctx, struct transition_info *tr);
	void *ctx;
};

/* The live fill: sysfs, the tasks, and again (at most twice more) when the
 * transition's target moved meanwhile; checks the transition still runs;
 * then the probes' annotations, the blocker groups, their stacks (marked).
 * EXIT_OK or an EXIT_* code after printing why. */
int live__fill(struct snapshot *s, const struct sys_paths *p, const struct live_scan *ls);

#endif
