/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel fields that moved or were renamed across the kernels klptop runs on.
 * Each ___flavor struct names the kernel that changed it; CO-RE picks the one
 * that exists at load time.
 */
#ifndef KLPTOP_CORE_FIXES_BPF_H
#define KLPTOP_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* v5.14 (commit 2f064a59a11f "sched: Change task_struct::state") renamed
 * task_struct::state (long) to __state (unsigned int). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_sched_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (__u32)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* x86-64 keeps thread_info inside task_struct (THREAD_INFO_IN_TASK), so the
 * TIF flags are task->thread_info.flags on every kernel we support. */
static __always_inline __u64 task_tif_flags(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_info.flags);
}

/* task_struct::on_cpu was an int through 6.12 and is a u8 on 7.2 (Debian
 * sid's 7.2.13): a read of the local int's four bytes would take three
 * bytes of the next field with it, so read what the kernel has. */
static __always_inline __u32 task_on_cpu(struct task_struct *t)
{
	if (bpf_core_field_size(t->on_cpu) == 1) {
		__u8 v = 0;

		bpf_core_read(&v, 1, &t->on_cpu);
		return v;
	}
	return BPF_CORE_READ(t, on_cpu);
}

/* The CPU a task last ran on: x86 keeps it in thread_info (again) since
 * v5.16 (commit bcf9033e5449 "sched: move CPU field back into thread_info
 * if THREAD_INFO_IN_TASK=y"); before, and on other arches, task->cpu. */
struct task_struct___cpu_in_task {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __s32 task_cpu_of(struct task_struct *t)
{
	if (bpf_core_field_exists(t->thread_info.cpu))
		return (__s32)BPF_CORE_READ(t, thread_info.cpu);
	if (bpf_core_field_exists(((struct task_struct___cpu_in_task *)t)->cpu))
		return (__s32)BPF_CORE_READ((struct task_struct___cpu_in_task *)t, cpu);
	return -1;
}

#endif
