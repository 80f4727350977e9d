/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between bpf/tasks.bpf.c and src/tasks.c: the per-thread record the
 * task iterator writes into its seq file. */
#ifndef KLPTOP_TASKS_H
#define KLPTOP_TASKS_H

/* Compiles alone in both worlds: BPF programs get the types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KLPT_TASK_COMM_LEN 16
#define KLPT_TASK_MAX_STACK 32

/* klpt_task_rec.flags */
#define KLPT_TASK_KTHREAD      0x01
/* 0x02 is free: TIF_PATCH_PENDING is read in userspace from ti_flags, with
 * the bit derived on the running kernel (src/live/kfacts.c). */
#define KLPT_TASK_RCU_HOLDOUT  0x04  /* RCU-tasks waits for it */
#define KLPT_TASK_PENDING      0x08  /* patch_state is not the target yet */
#define KLPT_TASK_ON_CPU       0x10  /* running on a CPU during the walk */
#define KLPT_TASK_BLOCKER      0x20  /* the blocker fields are valid */
#define KLPT_TASK_NO_STACK     0x40  /* stack not read: this pass's budget was spent */

/* One record per pending task or RCU-tasks holdout (other tasks are only
 * counted): what the walk saw, joined with the task's blocker record of
 * the transition probes (include/klptop/transition.h). */
struct klpt_task_rec {
	__u32 pid;          /* tgid */
	__u32 tid;
	__s32 patch_state;
	__u32 state;        /* task __state */
	__u32 flags;        /* KLPT_TASK_* */
	__s32 cpu;          /* where it last ran; -1 unknown */
	char comm[KLPT_TASK_COMM_LEN];
	__u64 ti_flags;     /* thread_info flags word, raw */
	__u64 stack_key;    /* its kernel stack in the stacks map; 0 none */
	/* From the blocker record (KLPT_TASK_BLOCKER). */
	__u64 first_ns;
	__u64 func_ptr;
	__s32 last_ret;
	__u32 first_round;
	__u32 running;
	__u32 sleeping;
	__u32 unreliable;
	__u32 asleep;
	__u32 preempted;
	__u32 uninterruptible;
	__s32 check_cpu;    /* the CPU at its last failed check; -1 none */
	__u32 cpu_moves;
	/* From the walk: how many CPUs it may run on (nr_cpus_allowed). */
	__u32 cpus_allowed;
	__u32 pad;
};

#endif
