/* SPDX-License-Identifier: GPL-2.0 */
/* The transition probes (bpf/transition.bpf.c): loading them with attach-point
 * probing, following their events, and adding what they saw to a snapshot. */
#ifndef KLPTOP_TRANSITION_H_USER
#define KLPTOP_TRANSITION_H_USER

#include "model/model.h"
#include "live/tasks.h"

struct trans_probe;
struct ksyms;
struct ksymtab;

/* The task iterator's per-task maps (task_iter__shared_fds; -1: none, the
 * probes make their own) and where procfs is. */
struct trans_shared_maps {
	int blockers, stacks, task_stacks;
	const char *procfs;
};

/* Attaches what exists on this kernel. NULL if BPF is unusable at all; ps
 * then says why. Missing attach points are listed in ps either way. */
struct trans_probe *trans_probe__open(struct probe_status *ps, const struct ksyms *ks,
				      const struct trans_shared_maps *sh);
void trans_probe__close(struct trans_probe *tp);
int trans_probe__event_fd(struct trans_probe *tp);
int trans_probe__poll(struct trans_probe *tp);
/* Rounds the kernel has run since the probes were attached. */
/* The target klp_init_transition (or a reversal) set for patch's running
 * transition, or -1 when the probe did not see it begin. */
int trans_probe__target(struct trans_probe *tp, const char *patch);
/* The round probe (klp_try_complete_transition) is attached. */
int trans_probe__sees_rounds(struct trans_probe *tp);
unsigned int trans_probe__rounds(struct trans_probe *tp);
/* What a task scan needs to know of the probes, at now. */
void trans_probe__clock(struct trans_probe *tp, uint64_t now, struct task_iter_clock *clk);
/* The most sampled on-CPU stack of tid: its ips and the samples in all. */
size_t trans_probe__oncpu_ips(struct trans_probe *tp, int tid, uint64_t *ips, size_t max,
			      unsigned int *samples);
/* Every ring-buffer event is also handed to fn (klptop record), raw. */
void trans_probe__set_sink(struct trans_probe *tp,
			   void (*fn)(void *ctx, int kind, const void *data, size_t len), void *ctx);
/* Events lost to a full ring buffer, blockers to a full map. */
void trans_probe__drops(struct trans_probe *tp, uint64_t *events, uint64_t *blockers);
/* Every round timed and every transition seen from start to end since the
 * probes were attached (the exporter's histograms); NULL without them. */
const struct cost_totals *trans_probe__totals(const struct trans_probe *tp);
/* Add what the probes saw to s (already filled with sysfs state and the
 * pending tasks, not yet grouped). */
void trans_probe__fill(struct trans_probe *tp, struct snapshot *s, const struct ksymtab *syms);

/* The ips of a stack the task iterator read (an event's stack_key); 0 when
 * unknown. */
size_t trans_probe__stack_ips(struct trans_probe *tp, uint64_t key, uint64_t *ips, size_t max);

#endif
