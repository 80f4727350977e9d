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

struct klpt_task_rec {
	__u32 pid;          /* tgid */
	__u32 tid;
	__s32 patch_state;
	__u32 state;        /* task __state */
	__u32 kthread;
	__u32 nr_ips;       /* stack entries that follow this record */
	__u32 rcu_holdout;  /* RCU-tasks waits for it (rcu_tasks_holdout) */
	__u32 pad;
	/* thread_info.flags, whole: TIF_PATCH_PENDING's bit number differs
	 * across kernels (13 on x86 up to 6.x, 9 with the generic TIF bits of
	 * 7.x), so userspace finds it (src/tasks.c) instead of assuming one. */
	__u64 tif_flags;
	char comm[KLPT_TASK_COMM_LEN];
};
/* When nr_ips > 0, KLPT_TASK_MAX_STACK __u64 follow (nr_ips of them valid). */

#endif
