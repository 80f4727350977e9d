/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel facts klptop derives on the running kernel instead of assuming them
 * from its version: TIF_PATCH_PENDING's bit (by observation of the task
 * walks) and where the kernel switches a running task (from kallsyms).
 * Plain functions, no BPF: the task iterator and the sampler feed them.
 */
#ifndef KLPTOP_KFACTS_H
#define KLPTOP_KFACTS_H

#include <stdint.h>

#include "model/model.h"

struct ksyms;

/*
 * TIF_PATCH_PENDING's bit number, found by observation rather than assumed:
 * during a transition the kernel sets it on every task that has not switched
 * and clears it on every task that has, so it is a bit set in all pending
 * tasks' flags and in no switched task's. Each walk narrows the candidates;
 * one bit left is the answer. A walk that contradicts what is known (a task
 * caught between clearing the bit and switching) is ignored.
 */
struct tif_guess {
	uint64_t cand;  /* bits still possible */
	int seen;       /* cand holds at least one useful walk */
};
/* Narrow g with one walk: the AND of the pending tasks' flags and the OR of
 * the switched tasks' flags. Returns the bit once it is the only candidate,
 * else -1. */
int tif_guess__narrow(struct tif_guess *g, uint64_t and_pending, uint64_t or_switched);
int tif_guess__bit(const struct tif_guess *g);

/* Where this kernel switches a running task besides the rounds, from its
 * symbols (enum switch_point). */
enum switch_point switch_point__probe(const struct ksyms *ks);

#endif
