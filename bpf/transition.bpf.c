// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on the livepatch transition core. They run inside the kernel's task
 * walk, under tasklist_lock and the checked task's rq lock, once per pending
 * task per round: keep them small, allocate nothing, print nothing. (The
 * pr_debug lines that say the same thing have hard-locked production hosts.)
 *
 * They are kprobes, not fentry/fexit, on purpose: detaching (or adding a
 * second program to) a BPF trampoline goes through ftrace_shutdown() of a
 * dynamic ftrace_ops, which waits in synchronize_rcu_tasks() for every task
 * to context-switch voluntarily. The kthread that blocks a transition by
 * spinning is exactly the task that never does, so trampolines would hang
 * klptop (in D state, at exit) during the incident it exists for. Function
 * entry kprobes use ftrace's static kprobe ops and never wait for that.
 *
 * Even an empty program on the per-task check lengthens a round measurably
 * (a kprobe hit per pending task; docs/perf.md), so userspace attaches the
 * two check programs (check_begin, check_end) only for the rounds it chooses
 * to watch, and tells them so through state.watching: a round counts as
 * watched when they were attached before it began. Every other program runs
 * once per round, per switch, or per exit, never per check.
 *
 * What they keep: global counters in .bss (struct klpt_state), one entry per
 * task that failed a watched check (blockers, shared with the task iterator,
 * which reads the tasks' stacks itself), and on-CPU samples of running
 * blockers. Discrete events go to a ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "klptop/transition.h"

#define PF_KTHREAD 0x00200000
#define TASK_UNINTERRUPTIBLE 0x0002  /* include/linux/sched.h, every kernel */

char LICENSE[] SEC("license") = "GPL";

struct klpt_state state = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* blockers, stacks and task_stacks are the task iterator's maps too: the
 * one loaded first creates them, the other reuses them (src/live/tasks.c). */
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

/* Per-CPU scratch for one check (the task walk runs with preemption off
 * under tasklist_lock, so entry and return happen on one CPU). */
struct check_scratch {
	__u64 task;
	__u64 arg;          /* &old_name in klp_try_switch_task */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct check_scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} oncpu_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct klpt_oncpu_key);
	__type(value, __u64);
} oncpu_samples SEC(".maps");

/* Address of the kernel's static klp_signals_cnt (from kallsyms), 0 when
 * unknown: then the count is mirrored from the rounds we saw. */
const volatile __u64 klp_signals_cnt_addr = 0;
__u32 signals_cnt_before = 0;

static __always_inline int read_signals_cnt(__u32 *cnt)
{
	if (!klp_signals_cnt_addr)
		return -1;
	return bpf_probe_read_kernel(cnt, sizeof(*cnt), (void *)klp_signals_cnt_addr);
}

/* The task running klp_force_transition, to tell its switches apart. */
__u64 forcing_task = 0;

static __always_inline struct klpt_event *event_reserve(__u32 type)
{
	struct klpt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&state.events_dropped, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = bpf_ktime_get_ns();
	e->transition_id = state.transition_id;
	e->target = state.target;
	__builtin_memcpy(e->patch, state.patch, sizeof(e->patch));
	return e;
}

static __always_inline void emit_simple(__u32 type)
{
	struct klpt_event *e = event_reserve(type);

	if (e)
		bpf_ringbuf_submit(e, 0);
}

/* A blocker switched: tell userspace how, and forget it. */
static __always_inline void blocker_switched(__u32 tid, __u32 how)
{
	struct klpt_blocker *b = bpf_map_lookup_elem(&blockers, &tid);
	struct klpt_task_stack *ts;
	struct klpt_event *e;

	if (!b)
		return;
	/* A record of an earlier transition or epoch (before a reversal) that
	 * lingered: its task did not switch now, it is just gone. */
	if (b->transition_id != state.transition_id || !state.active) {
		bpf_map_delete_elem(&blockers, &tid);
		return;
	}
	e = event_reserve(KLPT_EV_BLOCKER_SWITCHED);
	if (e) {
		e->pid = b->pid;
		e->tid = tid;
		e->how = how;
		e->kthread = b->kthread;
		e->last_ret = b->last_ret;
		e->rounds_failed = b->rounds_failed;
		e->first_ns = b->first_ns;
		ts = bpf_map_lookup_elem(&task_stacks, &tid);
		e->stack_key = ts ? ts->key : 0;
		__builtin_memcpy(e->comm, b->comm, sizeof(e->comm));
		__builtin_memcpy(e->func, b->func, sizeof(e->func));
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&blockers, &tid);
}

SEC("kprobe/klp_init_transition")
int BPF_KPROBE(init_transition, struct klp_patch *patch, int target)
{
	state.transition_id++;
	state.start_ns = bpf_ktime_get_ns();
	state.target = target;
	state.active = 1;
	state.rounds = 0;
	state.signal_rounds = 0;
	state.signal_base = 0;
	state.incomplete_rounds = 0;
	state.forced = 0;
	state.reversed = 0;
	state.cancelled = 0;
	state.completing = 0;
	for (int i = 0; i < KLPT_HOW_MAX; i++)
		state.switched[i] = 0;
	BPF_CORE_READ_STR_INTO(&state.patch, patch, mod, name);
	emit_simple(KLPT_EV_INIT);
	return 0;
}

SEC("kprobe/klp_start_transition")
int BPF_KPROBE(start_transition)
{
	state.incomplete_rounds = 0; /* the kernel resets klp_signals_cnt here */
	emit_simple(KLPT_EV_START);
	return 0;
}

SEC("kprobe/klp_try_complete_transition")
int BPF_KPROBE(round_begin)
{
	state.round_start_ns = bpf_ktime_get_ns();
	state.r_watched = state.watching;
	state.r_checked = state.r_switched = state.r_busy = 0;
	state.r_unreliable = state.r_sleeping = state.r_other = 0;
	read_signals_cnt(&signals_cnt_before);
	return 0;
}

SEC("kretprobe/klp_try_complete_transition")
int BPF_KRETPROBE(round_end)
{
	__u32 failed = state.r_busy + state.r_unreliable + state.r_sleeping + state.r_other;
	struct klpt_event *e;
	__u32 signals = 0;

	__u32 cnt_after;

	state.rounds++;
	if (!read_signals_cnt(&cnt_after)) {
		/* The kernel's own counter: it grew iff the round was incomplete,
		 * and signals went out iff its old value was a multiple of 15.
		 * It counts every incomplete round since klp_start_transition(),
		 * also those before klptop joined: the total is exact. */
		if (cnt_after != signals_cnt_before && signals_cnt_before &&
		    !(signals_cnt_before % KLPT_SIGNALS_TIMEOUT))
			signals = 1;
		state.signal_rounds = state.signal_base +
				      (cnt_after ? (cnt_after - 1) / KLPT_SIGNALS_TIMEOUT : 0);
	} else {
		/* Same arithmetic as the kernel, from the rounds we saw. */
		if (failed && state.incomplete_rounds &&
		    !(state.incomplete_rounds % KLPT_SIGNALS_TIMEOUT))
			signals = 1;
		state.incomplete_rounds += !!failed;
		state.signal_rounds += signals;
	}
	e = event_reserve(KLPT_EV_ROUND);
	if (!e)
		return 0;
	e->round = state.rounds;
	/* Checks of a round the probes joined or left halfway are not a
	 * round's counts: reported as not watched (all zero). */
	if (!state.r_watched || !state.watching)
		goto submit;
	e->checked = state.r_checked;
	e->switched = state.r_switched;
	e->busy = state.r_busy;
	e->unreliable = state.r_unreliable;
	e->sleeping = state.r_sleeping;
	e->other = state.r_other;
submit:
	e->signals = signals;
	e->round_ns = e->ts_ns - state.round_start_ns;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline struct check_scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

SEC("kprobe/klp_check_and_switch_task")
int BPF_KPROBE(check_begin, struct task_struct *task, void *arg)
{
	struct check_scratch *s = get_scratch();

	if (s) {
		s->task = (__u64)task;
		s->arg = (__u64)arg;
	}
	return 0;
}

static __always_inline void count_failure(int ret)
{
	if (ret == -KLPT_EBUSY)
		state.r_busy++;
	else if (ret == -KLPT_EINVAL)
		state.r_unreliable++;
	else if (ret == -KLPT_EADDRINUSE)
		state.r_sleeping++;
	else
		state.r_other++;
}

static __always_inline struct klpt_blocker *blocker_get(struct task_struct *task, __u32 tid)
{
	struct klpt_blocker *b = bpf_map_lookup_elem(&blockers, &tid);
	struct klpt_blocker fresh = {};

	if (b && b->transition_id == state.transition_id)
		return b;
	fresh.transition_id = state.transition_id;
	fresh.first_ns = bpf_ktime_get_ns();
	fresh.first_round = state.rounds + 1;
	fresh.cpu = -1;
	fresh.tid = tid;
	fresh.pid = BPF_CORE_READ(task, tgid);
	fresh.kthread = !!(BPF_CORE_READ(task, flags) & PF_KTHREAD);
	BPF_CORE_READ_STR_INTO(&fresh.comm, task, comm);
	if (bpf_map_update_elem(&blockers, &tid, &fresh, BPF_ANY)) {
		__sync_fetch_and_add(&state.blockers_dropped, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&blockers, &tid);
}

/* Where each check found the task: a task that runs on one isolated CPU
 * at every check is never off it for a round to examine its stack. */
static __always_inline void note_cpu(struct klpt_blocker *b, __s32 cpu)
{
	if (b->cpu >= 0 && cpu != b->cpu)
		b->cpu_moves++;
	b->cpu = cpu;
}

SEC("kretprobe/klp_check_and_switch_task")
int BPF_KRETPROBE(check_end, int ret)
{
	struct check_scratch *s = get_scratch();
	struct task_struct *task;
	struct klpt_blocker *b;
	const char *name = NULL;
	__u32 tid;

	if (!s || !s->task)
		return 0;
	task = (struct task_struct *)s->task;
	tid = BPF_CORE_READ(task, pid);
	state.r_checked++;
	if (ret == 0) {
		state.r_switched++;
		__sync_fetch_and_add(&state.switched[KLPT_HOW_STACK_CHECK], 1);
		if (tid)
			blocker_switched(tid, KLPT_HOW_STACK_CHECK);
		goto out;
	}
	count_failure(ret);
	if (!tid) /* idle tasks all have pid 0: counted, not tracked */
		goto out;
	b = blocker_get(task, tid);
	if (!b)
		goto out;
	b->last_ns = bpf_ktime_get_ns();
	b->last_ret = ret;
	b->state = task_sched_state(task);
	if (b->state)
		b->asleep++;
	else if (ret != -KLPT_EBUSY)
		b->preempted++;
	if (b->state & TASK_UNINTERRUPTIBLE)
		b->uninterruptible++;
	note_cpu(b, task_cpu_of(task));
	if (b->last_round != state.rounds + 1) {
		b->rounds_failed++;
		b->last_round = state.rounds + 1;
	}
	if (ret == -KLPT_EBUSY)
		b->running++;
	else if (ret == -KLPT_EINVAL)
		b->unreliable++;
	else if (ret == -KLPT_EADDRINUSE) {
		b->sleeping++;
		/* arg is klp_try_switch_task's &old_name, set on -EADDRINUSE; the
		 * name is copied only when it points elsewhere than last time. */
		if (!bpf_probe_read_kernel(&name, sizeof(name), (void *)s->arg) && name &&
		    (__u64)name != b->func_ptr) {
			bpf_probe_read_kernel_str(b->func, sizeof(b->func), name);
			b->func_ptr = (__u64)name;
		}
	}
out:
	s->task = 0;
	return 0;
}

SEC("kprobe/klp_update_patch_state")
int BPF_KPROBE(update_patch_state, struct task_struct *task)
{
	__u32 how, tid;

	if (!state.active || BPF_CORE_READ(task, patch_state) == state.target)
		return 0;
	tid = BPF_CORE_READ(task, pid);
	if (forcing_task && forcing_task == bpf_get_current_task())
		how = KLPT_HOW_FORCE;
	else if (tid == 0)
		how = KLPT_HOW_IDLE;
	else
		how = KLPT_HOW_USER_EXIT;
	__sync_fetch_and_add(&state.switched[how], 1);
	if (tid)
		blocker_switched(tid, how);
	return 0;
}

/* A blocker that exits never switches: close its story. One hash lookup per
 * exiting task, only while a transition runs. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(task_exit, struct task_struct *p)
{
	__u32 tid;

	if (!state.active)
		return 0;
	tid = BPF_CORE_READ(p, pid);
	if (tid)
		blocker_switched(tid, KLPT_HOW_EXIT);
	return 0;
}

SEC("kprobe/klp_copy_process")
int BPF_KPROBE(copy_process, struct task_struct *child)
{
	struct task_struct *parent = (struct task_struct *)bpf_get_current_task();

	if (state.active && BPF_CORE_READ(parent, patch_state) == state.target)
		__sync_fetch_and_add(&state.switched[KLPT_HOW_FORK], 1);
	return 0;
}

SEC("kprobe/klp_force_transition")
int BPF_KPROBE(force_begin)
{
	state.forced = 1;
	forcing_task = bpf_get_current_task();
	emit_simple(KLPT_EV_FORCE);
	return 0;
}

SEC("kretprobe/klp_force_transition")
int BPF_KRETPROBE(force_end)
{
	forcing_task = 0;
	return 0;
}

SEC("kprobe/klp_reverse_transition")
int BPF_KPROBE(reverse_transition)
{
	/* Tasks now switch back: a new epoch for the blocker records. */
	state.reversed = 1;
	state.target = !state.target;
	state.transition_id++;
	state.incomplete_rounds = 0;
	/* klp_start_transition() resets the kernel's counter: the rounds
	 * before the reversal keep their signal rounds. */
	state.signal_base = state.signal_rounds;
	emit_simple(KLPT_EV_REVERSE);
	return 0;
}

SEC("kprobe/klp_cancel_transition")
int BPF_KPROBE(cancel_transition)
{
	state.cancelled = 1;
	emit_simple(KLPT_EV_CANCEL);
	return 0;
}

/* Completion can block: unpatching unregisters the patch's ftrace ops,
 * which waits in synchronize_rcu_tasks() for every task to schedule
 * voluntarily. Mark the window so userspace can say what it waits for. */
SEC("kprobe/klp_complete_transition")
int BPF_KPROBE(complete_begin)
{
	state.completing = 1;
	return 0;
}

SEC("kretprobe/klp_complete_transition")
int BPF_KRETPROBE(complete_end)
{
	emit_simple(KLPT_EV_COMPLETE);
	state.active = 0;
	state.completing = 0;
	return 0;
}

/* cpu-clock samples: where does a running blocker spend its time? The check
 * cannot judge a running task's stack, and /proc/PID/stack of a running task
 * is stale, so sample it on its CPU instead. */
SEC("perf_event")
int oncpu_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct klpt_blocker *b;
	struct klpt_oncpu_key key;
	__u64 one = 1, *cnt;

	if (!tid || !state.active)
		return 0;
	/* Any blocker, not only those last seen running: a spinner that the
	 * check found preempted (one vCPU) still spends its time on a CPU. */
	b = bpf_map_lookup_elem(&blockers, &tid);
	if (!b)
		return 0;
	key.tid = tid;
	key.stack_id = bpf_get_stackid(ctx, &oncpu_stacks, 0);
	if (key.stack_id < 0)
		return 0;
	cnt = bpf_map_lookup_elem(&oncpu_samples, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&oncpu_samples, &key, &one, BPF_NOEXIST);
	return 0;
}

/* Fallback when klp_check_and_switch_task is not probeable on this build:
 * klp_try_switch_task still says whether each task switched, not why. */
SEC("kprobe/klp_try_switch_task")
int BPF_KPROBE(try_switch_begin, struct task_struct *task)
{
	struct check_scratch *s = get_scratch();

	if (s)
		s->task = (__u64)task;
	return 0;
}

SEC("kretprobe/klp_try_switch_task")
int BPF_KRETPROBE(try_switch_end, bool ret)
{
	struct check_scratch *s = get_scratch();
	struct task_struct *task;
	struct klpt_blocker *b;
	__u32 tid;

	if (!s || !s->task)
		return 0;
	task = (struct task_struct *)s->task;
	s->task = 0;
	tid = BPF_CORE_READ(task, pid);
	state.r_checked++;
	if (ret) {
		state.r_switched++;
		if (tid)
			blocker_switched(tid, KLPT_HOW_STACK_CHECK);
		return 0;
	}
	state.r_other++;
	if (!tid)
		return 0;
	b = blocker_get(task, tid);
	if (!b)
		return 0;
	b->last_ns = bpf_ktime_get_ns();
	b->last_ret = 0;
	b->state = task_sched_state(task);
	if (b->last_round != state.rounds + 1) {
		b->rounds_failed++;
		b->last_round = state.rounds + 1;
	}
	return 0;
}
