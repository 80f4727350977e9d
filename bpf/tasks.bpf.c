// SPDX-License-Identifier: GPL-2.0
/*
 * Task iterator: one pass over every thread, in klptop's own process and not
 * inside the kernel's transition walk. Threads that are switched are only
 * counted; each pending thread (and RCU-tasks holdout) gets one fixed-size
 * record, joined with its blocker record from the transition probes (the
 * maps are shared), so a frame costs one read of this seq file whatever the
 * pending count.
 *
 * Stacks: a pending thread's kernel stack is read (and hashed, so that
 * threads with the same stack can be grouped) only when it has been
 * scheduled since the last read, at most stack_budget per pass: thousands of
 * threads asleep in one function are unwound once, not every second.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "klptop/tasks.h"
#include "klptop/transition.h"

#define PF_KTHREAD 0x00200000
#define PASS_COUNT_ONLY 2

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load or before each read. */
__s32 pending_state = 0;     /* the patch_state a pending thread still has;
			      * PASS_COUNT_ONLY: count the threads, nothing else */
__u64 transition_id = 0;     /* blocker records of other transitions are stale */
__u32 stack_budget = 0;      /* stacks this pass may still read */
/* Out: this pass's counts. */
__u32 nr_tasks = 0;
__u32 nr_pending = 0;
__u32 nr_stacks_read = 0;
/* The OR of the switched tasks' thread_info flags and their count: with the
 * pending tasks' flags (in their records), userspace finds which bit is
 * TIF_PATCH_PENDING on this kernel (13 on x86 6.x, 9 with 7.x's generic TIF
 * bits) instead of assuming one (src/live/kfacts.c). */
__u64 switched_tif_or = 0;
__u32 nr_switched = 0;
__u32 want_tif = 0;          /* collect the above: the bit is not known yet */

/* ftrace_lock's owner word, read once a pass (at its first thread). While a livepatch
 * completion waits in synchronize_rcu_tasks() inside ftrace_shutdown(), this
 * mutex stays held, and anything that touches ftrace (a kprobe, reading
 * available_filter_functions) would block klptop uninterruptibly. Reading
 * it here needs no ftrace at all. */
const volatile __u64 ftrace_lock_addr = 0;
__u64 ftrace_lock_owner = 0;

/* Shared with bpf/transition.bpf.c (same definitions; see there). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KLPT_BLOCKERS_MAX);
	__type(key, __u32);
	__type(value, struct klpt_blocker);
} blockers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KLPT_STACKS_MAX);
	__type(key, __u64);
	__type(value, struct klpt_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KLPT_BLOCKERS_MAX);
	__type(key, __u32);
	__type(value, struct klpt_task_stack);
} task_stacks SEC(".maps");

/* One pass runs at a time (a seq file read), so one buffer will do. */
struct klpt_stack stack_buf = {};

static __always_inline __u64 stack_hash(const struct klpt_stack *st)
{
	__u64 h = 14695981039346656037ull;

	for (int i = 0; i < KLPT_MAX_STACK; i++) {
		if (i >= st->nr)
			break;
		h = (h ^ st->ips[i]) * 1099511628211ull;
	}
	return h ? h : 1;
}

/* The key of task's stack: the one read before if it has not run since,
 * else read now (budget permitting). 0 when unknown. */
static __always_inline __u64 stack_key_of(struct task_struct *task, __u32 tid, __u32 *flags)
{
	__u64 switches = BPF_CORE_READ(task, nvcsw) + BPF_CORE_READ(task, nivcsw);
	struct klpt_task_stack *known = bpf_map_lookup_elem(&task_stacks, &tid);
	struct klpt_task_stack fresh;
	long n;

	if (known && known->switches == switches)
		return known->key;
	if (!stack_budget) {
		*flags |= KLPT_TASK_NO_STACK;
		return known ? known->key : 0;
	}
	stack_budget--;
	nr_stacks_read++;
	n = bpf_get_task_stack(task, stack_buf.ips, sizeof(stack_buf.ips), 0);
	if (n <= 0)
		return 0;
	stack_buf.nr = n / sizeof(__u64);
	fresh.switches = switches;
	fresh.key = stack_hash(&stack_buf);
	bpf_map_update_elem(&stacks, &fresh.key, &stack_buf, BPF_NOEXIST);
	bpf_map_update_elem(&task_stacks, &tid, &fresh, BPF_ANY);
	return fresh.key;
}

static __always_inline void join_blocker(struct klpt_task_rec *rec)
{
	struct klpt_blocker *b = bpf_map_lookup_elem(&blockers, &rec->tid);

	if (!b || b->transition_id != transition_id)
		return;
	rec->flags |= KLPT_TASK_BLOCKER;
	rec->first_ns = b->first_ns;
	rec->func_ptr = b->func_ptr;
	rec->last_ret = b->last_ret;
	rec->first_round = b->first_round;
	rec->running = b->running;
	rec->sleeping = b->sleeping;
	rec->unreliable = b->unreliable;
	rec->asleep = b->asleep;
	rec->preempted = b->preempted;
	rec->uninterruptible = b->uninterruptible;
	rec->check_cpu = b->cpu;
	rec->cpu_moves = b->cpu_moves;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct klpt_task_rec rec = {};
	__u32 holdout = 0;

	if (!task)
		return 0;
	if (++nr_tasks == 1 && ftrace_lock_addr)
		ftrace_lock_owner = BPF_CORE_READ((struct mutex *)ftrace_lock_addr, owner.counter);
	/* The floor any pass over every thread pays (docs/perf.md). */
	if (pending_state == PASS_COUNT_ONLY)
		return 0;
	/* Only with CONFIG_TASKS_RCU: a transition's completion can wait for it. */
	if (bpf_core_field_exists(task->rcu_tasks_holdout))
		holdout = task->rcu_tasks_holdout;
	rec.patch_state = task->patch_state;
	if (want_tif && rec.patch_state == !pending_state) {
		switched_tif_or |= task_tif_flags(task);
		nr_switched++;
	}
	if (rec.patch_state != pending_state && !holdout)
		return 0;
	rec.pid = task->tgid;
	rec.tid = task->pid;
	rec.state = task_sched_state(task);
	rec.cpu = task_cpu_of(task);
	rec.check_cpu = -1;
	rec.cpus_allowed = BPF_CORE_READ(task, nr_cpus_allowed);
	rec.ti_flags = task_tif_flags(task);
	if (rec.patch_state == pending_state) {
		rec.flags |= KLPT_TASK_PENDING;
		nr_pending++;
	}
	if (holdout)
		rec.flags |= KLPT_TASK_RCU_HOLDOUT;
	if (task->flags & PF_KTHREAD)
		rec.flags |= KLPT_TASK_KTHREAD;
	/* Only a sleeping task's stack holds still while it is read. A task on
	 * a CPU changes it as we read, and one that is runnable but preempted
	 * may be resumed meanwhile: the kernel warns when such a stack holds a
	 * kretprobe frame (rethook_find_ret_addr) and rightly so. Where a
	 * running task spins comes from the on-CPU samples instead. */
	if (task_on_cpu(task))
		rec.flags |= KLPT_TASK_ON_CPU;
	else if (rec.state)
		rec.stack_key = stack_key_of(task, rec.tid, &rec.flags);
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), task->comm);
	join_blocker(&rec);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
