/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between bpf/transition.bpf.c and src/transition.c: the events and
 * map values of the transition probes. Fixed-width types and explicit padding
 * only, so both compilers agree on every offset (userspace asserts sizes).
 */
#ifndef KLPTOP_TRANSITION_H
#define KLPTOP_TRANSITION_H

/* Compiles alone in both worlds: BPF programs get the types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KLPT_COMM_LEN 16
#define KLPT_FUNC_LEN 64
#define KLPT_NAME_LEN 56 /* MODULE_NAME_LEN on x86-64 */
#define KLPT_MAX_STACK 32

/* klp_check_and_switch_task() results, as the kernel returns them. */
#define KLPT_EBUSY 16       /* task is running on a CPU */
#define KLPT_EINVAL 22      /* stack not reliable */
#define KLPT_EADDRINUSE 98  /* sleeping on a to-be-patched function */

/* The kernel fakes signals every SIGNALS_TIMEOUT unsuccessful rounds. */
#define KLPT_SIGNALS_TIMEOUT 15

enum klpt_event_type {
	KLPT_EV_INIT = 1,        /* klp_init_transition(patch, target) */
	KLPT_EV_START,           /* klp_start_transition */
	KLPT_EV_ROUND,           /* one klp_try_complete_transition finished */
	KLPT_EV_COMPLETE,        /* klp_complete_transition */
	KLPT_EV_CANCEL,          /* klp_cancel_transition */
	KLPT_EV_REVERSE,         /* klp_reverse_transition */
	KLPT_EV_FORCE,           /* klp_force_transition */
	KLPT_EV_BLOCKER_SWITCHED,/* a task that had failed a check switched */
};

enum klpt_switch_how {
	KLPT_HOW_STACK_CHECK = 0,
	KLPT_HOW_USER_EXIT,
	KLPT_HOW_IDLE,
	KLPT_HOW_FORK,
	KLPT_HOW_FORCE,
	KLPT_HOW_EXIT,         /* never switched: the task exited */
	KLPT_HOW_MAX,
};

struct klpt_event {
	__u32 type;            /* enum klpt_event_type */
	__s32 target;          /* KLP_PATCHED (1) / KLP_UNPATCHED (0) */
	__u64 ts_ns;           /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 transition_id;   /* increments at each klp_init_transition */
	char patch[KLPT_NAME_LEN];
	/* KLPT_EV_ROUND: what this round's checks found (all 0 when the
	 * per-task checks were not watched in this round) */
	__u32 round;
	__u32 checked;
	__u32 switched;
	__u32 busy;
	__u32 unreliable;
	__u32 sleeping;
	__u32 other;
	__u32 signals;         /* 1 if this round sent fake signals */
	__u64 round_ns;        /* time spent in the round (under tasklist_lock) */
	/* KLPT_EV_BLOCKER_SWITCHED */
	__u32 pid;             /* tgid */
	__u32 tid;
	__u32 how;             /* enum klpt_switch_how */
	__u32 kthread;
	char comm[KLPT_COMM_LEN];
	/* what the blocker record said when the task switched */
	__s32 last_ret;
	__u32 rounds_failed;
	__u64 first_ns;
	__u64 stack_key;
	char func[KLPT_FUNC_LEN];
};

/* Per-task record of failed checks, keyed by tid. Only tasks that failed a
 * watched check are here. The task iterator (bpf/tasks.bpf.c) shares this
 * map and joins each pending task with its record, so userspace reads one
 * compact record per pending task, not a map per task. */
struct klpt_blocker {
	__u64 transition_id;
	__u64 first_ns;        /* first failed check seen */
	__u64 last_ns;
	__s32 cpu;             /* the CPU it was on at its last failed check; -1 none yet */
	__u32 cpu_moves;       /* checks that found it on another CPU than the check before */
	__u64 func_ptr;        /* the kernel's old_name pointer func[] was read from */
	__u32 pid;
	__u32 tid;
	__u32 rounds_failed;   /* watched rounds whose check failed */
	__s32 last_ret;        /* -KLPT_EBUSY, -KLPT_EINVAL, -KLPT_EADDRINUSE */
	__u32 running;         /* how many checks found it running */
	__u32 sleeping;        /* ... sleeping on a patched function */
	__u32 unreliable;      /* ... with an unreliable stack */
	__u32 kthread;
	__u32 last_round;
	__u32 first_round;     /* the round of its first failed check seen */
	__u32 state;           /* task __state at the last check */
	__u32 asleep;          /* checks that found it in a sleep state (not R):
				* a preempted spinner is R, a sleeper is not */
	__u32 preempted;       /* checks that found it runnable (R) but off its CPU */
	__u32 uninterruptible; /* checks that found it asleep uninterruptibly (D, I):
				* no signal round wakes it */
	char comm[KLPT_COMM_LEN];
	char func[KLPT_FUNC_LEN];
};

/* A kernel stack (bpf_get_task_stack's output), keyed by its hash. */
struct klpt_stack {
	__u32 nr;
	__u32 pad;
	__u64 ips[KLPT_MAX_STACK];
};

/* Which stack a task had when the iterator last read it (task_stacks map,
 * keyed by tid): read again only after the task has been scheduled since. */
struct klpt_task_stack {
	__u64 switches;        /* nvcsw + nivcsw when read */
	__u64 key;             /* in the stacks map */
};

/* Map sizes shared by the transition probes and the task iterator. */
#define KLPT_BLOCKERS_MAX 32768
#define KLPT_STACKS_MAX 8192

/* Key of on-CPU samples of running blockers (cpu-clock perf event). */
struct klpt_oncpu_key {
	__u32 tid;
	__s32 stack_id;        /* in the oncpu_stacks STACK_TRACE map */
};

/* Global transition state in .bss, read by userspace through the skeleton. */
struct klpt_state {
	__u64 transition_id;
	__u64 start_ns;
	__s32 target;
	__u32 active;
	__u32 rounds;
	__u32 signal_rounds;
	__u32 incomplete_rounds;  /* mirrors the kernel's klp_signals_cnt */
	__u32 forced;
	__u32 reversed;
	__u32 cancelled;
	__u32 completing;         /* inside klp_complete_transition */
	__u32 watching;           /* userspace: the per-task check probes are attached */
	__u64 switched[KLPT_HOW_MAX];
	__u64 events_dropped;     /* ring buffer full */
	__u64 blockers_dropped;   /* blocker map full */
	__u64 round_start_ns;
	__u32 r_checked, r_switched, r_busy, r_unreliable, r_sleeping, r_other;
	__u32 r_watched;          /* the check probes were attached when the round began */
	__u32 signal_base;        /* signal rounds before the last reversal */
	char patch[KLPT_NAME_LEN];
};

#endif
