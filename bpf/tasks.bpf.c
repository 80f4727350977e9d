// SPDX-License-Identifier: GPL-2.0
/*
 * Task iterator: one fixed-size record per thread with what the transition
 * cares about. Reading this seq file replaces opening three /proc files per
 * thread; stacks are only taken for threads that are still pending, so the
 * common case costs a few dozen bytes per thread.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "klptop/tasks.h"

#define PF_KTHREAD 0x00200000

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before each read. */
__u32 want_stacks = 0;   /* take stacks of pending threads */
__s32 pending_state = 0; /* the patch_state a pending thread still has */

__u64 stack_buf[KLPT_TASK_MAX_STACK] = {};

/* ftrace_lock's owner word, read on every iteration. While a livepatch
 * completion waits in synchronize_rcu_tasks() inside ftrace_shutdown(), this
 * mutex stays held, and anything that touches ftrace (a kprobe, reading
 * available_filter_functions) would block klptop uninterruptibly. Reading
 * it here needs no ftrace at all. */
const volatile __u64 ftrace_lock_addr = 0;
__u64 ftrace_lock_owner = 0;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct klpt_task_rec rec = {};
	long n;

	if (!task)
		return 0;
	if (ftrace_lock_addr)
		ftrace_lock_owner = BPF_CORE_READ((struct mutex *)ftrace_lock_addr, owner.counter);
	rec.pid = task->tgid;
	rec.tid = task->pid;
	rec.patch_state = task->patch_state;
	rec.state = task_sched_state(task);
	rec.kthread = !!(task->flags & PF_KTHREAD);
	rec.tif_flags = task_tif_flags(task);
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), task->comm);
	/* Only with CONFIG_TASKS_RCU: a transition's completion can wait for it. */
	if (bpf_core_field_exists(task->rcu_tasks_holdout))
		rec.rcu_holdout = BPF_CORE_READ(task, rcu_tasks_holdout);
	if (want_stacks && (rec.patch_state == pending_state || rec.rcu_holdout)) {
		n = bpf_get_task_stack(task, stack_buf, sizeof(stack_buf), 0);
		if (n > 0)
			rec.nr_ips = n / sizeof(__u64);
	}
	bpf_seq_write(seq, &rec, sizeof(rec));
	if (rec.nr_ips)
		bpf_seq_write(seq, stack_buf, sizeof(stack_buf));
	return 0;
}
