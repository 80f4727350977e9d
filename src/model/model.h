/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The snapshot model: everything klptop knows about live patching at one
 * moment. It is filled from the live kernel (sysfs + procfs, plus BPF when
 * available) or from a recording, and drawn by the views (text, JSON, ncurses).
 * It knows nothing about any screen.
 */
#ifndef KLPTOP_MODEL_H
#define KLPTOP_MODEL_H

#include "lib/exitcode.h"

#include <stddef.h>
#include <stdint.h>

#include "model/cost.h"

#define KLP_UNDEFINED (-1)
#define KLP_UNPATCHED 0
#define KLP_PATCHED 1

struct func_info {
	char *name;
	long sympos;      /* from the sysfs dir name "<func>,<sympos>" */
	int walked;       /* the fields below come from the kernel's klp lists */
	/* From the kernel's klp structures (BPF), valid when walked. */
	uint64_t old_addr;
	uint64_t new_addr;
	int live;         /* 1: this patch's version runs, 0: another's, -1 unknown */
	/* The same from the kernel's sysfs stack_order (6.14+): 1 when this
	 * patch has the highest stack_order of the enabled patches of this
	 * function, 0 when another has, -1 when the kernel has no stack_order. */
	int live_stack_order;
	int stack_pos;    /* position in the function's klp_ops stack, -1 unknown */
	int routed;       /* call counters attached */
	double calls_per_s;  /* calls entering the old function */
	double new_per_s;    /* of which redirected to this patch's version */
};

struct object_info {
	char *name;       /* "vmlinux" or a module name */
	int patched;      /* -1 when the kernel has no <object>/patched file */
	struct func_info *funcs;
	size_t nfuncs;
};

struct patch_info {
	char *name;
	int enabled;
	int transition;
	int replace;      /* -1: kernel does not expose it (sysfs "replace" is 6.11+) */
	int stack_order;  /* its place on the patch stack, 1 = oldest; -1: no sysfs
			   * "stack_order" (6.14+) */
	int forced;       /* -1 unknown (only BPF sees klp_force_transition) */
	struct object_info *objs;
	size_t nobjs;
};

struct stack_frame {
	uint64_t addr;    /* 0 when unknown */
	char *symbol;     /* NULL when the address is not in kallsyms */
	char *module;     /* NULL for vmlinux */
	uint64_t offset;
	int marked;       /* a to-be-patched function: what blocks the task */
};

/* Why a task has not switched yet: the kernel's own per-task check result. */
enum block_reason {
	REASON_UNKNOWN = 0,  /* not yet examined (or no BPF to see the check) */
	REASON_RUNNING,      /* -EBUSY: on a CPU at check time */
	REASON_SLEEPING_ON,  /* -EADDRINUSE: a patched function is on its stack */
	REASON_UNRELIABLE,   /* -EINVAL: stack not reliable */
	REASON_COUNT,
};

enum verdict {
	VERDICT_NONE = 0,
	VERDICT_WILL_SWITCH,   /* e.g. user task: next exit to user space */
	VERDICT_WAIT_RETURN,   /* switches when the function returns */
	VERDICT_NEEDS_SIGNAL,  /* switches at the next signal round */
	VERDICT_STUCK,         /* waiting will not help: code change or force */
};

/* Checks a task must fail the same way before klptop concludes from them
 * (stuck, or will never switch): one or two could be bad luck, three
 * rounds (3 s) of the same sight are not. */
#define CHECKS_TO_SETTLE 3

/* Why a pending task will never switch by itself, said from the checks
 * before anyone waits for it (src/model/never.c). */
enum never_cause {
	NEVER_NONE = 0,
	NEVER_ISOLATED_CPU,    /* runs at every check on an isolated CPU: never off it */
	NEVER_BUSY_KTHREAD,    /* kthread looping where this kernel never switches it */
	NEVER_UNINTERRUPTIBLE, /* asleep uninterruptibly in a patched function: no
				* signal round moves it, only the wait's end */
	NEVER_CAUSE_COUNT,
};

/* How a CPU is kept apart from the rest of the host (bits). */
enum cpu_iso_flag {
	CPU_ISO_DOMAIN = 1 << 0,    /* isolcpus (domain): no load balancing */
	CPU_ISO_NOHZ_FULL = 1 << 1, /* nohz_full: no scheduler tick while one task runs */
	CPU_ISO_CPUSET = 1 << 2,    /* an isolated cpuset partition */
};

/* The host's CPU isolation, as sysfs and the command line say it
 * (src/live/cpuiso.c). A mask that could not be read is unknown, not
 * empty. */
struct cpu_isolation {
	int domain_known;      /* /sys/devices/system/cpu/isolated was read */
	int nohz_full_known;   /* .../cpu/nohz_full exists (CONFIG_NO_HZ_FULL) */
	int cpuset_known;      /* the cgroup root's cpuset.cpus.isolated was read */
	int idle_poll;         /* idle=poll on the command line; -1 unknown */
	uint8_t *cpus;         /* per CPU: enum cpu_iso_flag bits */
	size_t ncpus;
};

struct task_snap {
	int pid;          /* thread group id */
	int tid;
	char comm[32];
	int kthread;
	char state;       /* R, S, D, T, I, ... from /proc/.../stat */
	int patch_state;  /* -1, 0, 1 */
	int tif_pending;  /* TIF_PATCH_PENDING; -1 unknown (only BPF reads it) */
	struct stack_frame *stack;
	size_t nstack;
	int stack_errno;  /* why the stack could not be read, 0 if it was */
	/* Blocker analysis (filled when BPF observes the transition). */
	enum block_reason reason;
	char *function;   /* the function the task sleeps on */
	unsigned int rounds_failed;
	uint64_t blocked_ns;
	enum verdict verdict;
	char *verdict_text;
	unsigned int checks_running;     /* checks that found it on a CPU */
	unsigned int checks_sleeping;    /* ... sleeping on a patched function */
	unsigned int checks_unreliable;
	unsigned int checks_asleep;      /* in a sleep state (S/D), not preempted */
	unsigned int checks_preempted;   /* runnable (R) but off its CPU */
	unsigned int checks_uninterruptible; /* asleep in D (or I): no signal wakes it */
	unsigned int signal_rounds_seen;
	int cpu;                 /* where it last ran; -1 unknown */
	int check_cpu;           /* where its last failed check found it; -1 unknown */
	unsigned int cpu_moves;  /* checks that found it on another CPU than the one before */
	int cpus_allowed;        /* CPUs it may run on; 0 unknown */
	uint8_t cpu_iso;         /* enum cpu_iso_flag bits of check_cpu (else cpu) */
	enum never_cause never;
	char *help;              /* what would switch it on this kernel (never causes) */
	/* Sampled on-CPU stack of a running blocker (the most frequent one). */
	struct stack_frame *oncpu;
	size_t noncpu;
	unsigned int oncpu_samples;
	int switched_how;        /* enum switch_how once it switched, else -1 */
};

/* A transition klptop watched from start or joined, as it ended. */
struct transition_summary {
	char *patch;
	int target;
	const char *outcome;   /* "completed", "reversed", "forced", "cancelled";
				* "ended" when only sysfs saw it (the patch is gone) */
	uint64_t start_ns;     /* CLOCK_MONOTONIC, 0 if started before klptop */
	uint64_t end_ns;
	/* The probes did not see it end: sysfs showed it in transition (from
	 * seen_ns, CLOCK_MONOTONIC) and then no more; rounds are unknown. */
	int sysfs_only;
	uint64_t seen_ns;
	unsigned int rounds;
	unsigned int signal_rounds;
	/* For a forced transition: tasks still unsafe when it was forced. */
	struct task_snap *unsafe;
	size_t nunsafe;
	/* Tasks that failed checks and later switched, with how (stragglers). */
	struct task_snap *stragglers;
	size_t nstragglers;
	struct transition_cost cost;  /* rounds timed, switches by phase */
};

/* How tasks got switched (BPF sees each path; see docs/architecture.md). */
enum switch_how {
	SWITCH_STACK_CHECK,  /* klp_try_complete_transition found a clean stack */
	SWITCH_USER_EXIT,    /* klp_update_patch_state on exit to user space */
	SWITCH_IDLE,         /* an idle task switched itself */
	SWITCH_FORK,         /* born switched from a switched parent */
	SWITCH_FORCE,        /* klp_force_transition */
	SWITCH_EXIT,         /* never switched: it exited */
	SWITCH_HOW_MAX,
};

/* One pending task, compact: every pending task has one, however many
 * there are (a stall on a big host leaves thousands). Its function, stacks
 * and verdict text are its group's: tasks that look the same share them. */
struct pending_task {
	int pid;          /* thread group id */
	int tid;
	char comm[16];
	char state;       /* R, S, D, I, ... */
	int8_t kthread;
	int8_t tif_pending;   /* TIF_PATCH_PENDING; -1 unknown */
	int8_t patch_state;
	enum block_reason reason;
	enum verdict verdict;
	unsigned int rounds_failed;
	uint64_t blocked_ns;
	unsigned int checks_running;
	unsigned int checks_sleeping;
	unsigned int checks_unreliable;
	unsigned int checks_asleep;
	unsigned int checks_preempted;
	unsigned int checks_uninterruptible;
	unsigned int signal_rounds_seen;
	uint64_t first_ns;    /* CLOCK_MONOTONIC of its first failed check seen; 0 none */
	int on_cpu;           /* running on a CPU when the tasks were read */
	int cpu;              /* where it last ran; -1 unknown */
	int check_cpu;        /* where its last failed check found it; -1 unknown */
	unsigned int cpu_moves;
	int cpus_allowed;     /* 0 unknown */
	uint8_t cpu_iso;      /* enum cpu_iso_flag bits of check_cpu (else cpu) */
	enum never_cause never;  /* its group's, once judged */
	uint32_t group;       /* index into transition_info.groups */
	/* Identity for grouping, set by the source that filled the task. */
	uint64_t stack_key;   /* its kernel stack (0: none read yet) */
	uint32_t func_ref;    /* into transition_info.funcs: 0 none */
};

/* Pending tasks that look the same: same reason, function, kind, state,
 * comm pattern, kernel stack and verdict. One row in every view; `rep` is
 * its longest-blocked member, with the stacks and the verdict text. */
struct blocker_group {
	size_t count;
	enum block_reason reason;
	const char *function;     /* into transition_info.funcs; NULL none */
	int kthread;
	char state;
	char comm[16];            /* the members' comm, or its pattern with digits as '#' */
	uint64_t stack_key;
	enum verdict verdict;
	enum never_cause never;
	uint64_t blocked_max_ns, blocked_min_ns;
	unsigned int rounds_failed_max;
	struct task_snap rep;     /* the member shown: stacks, verdict text */
};

/* Exact per-reason totals over every pending task. */
struct reason_totals {
	size_t by_reason[REASON_COUNT];
};

struct transition_info {
	char *patch;
	int target;       /* KLP_PATCHED or KLP_UNPATCHED */
	size_t tasks_total;
	size_t tasks_pending;
	/* Every pending task (ntasks == tasks_pending), then the groups they
	 * form, largest first, and the function names both refer to. */
	struct pending_task *tasks;
	size_t ntasks;
	struct blocker_group *groups;
	size_t ngroups;
	char **funcs;           /* funcs[0] is NULL: "no function" */
	size_t nfuncs;
	struct reason_totals reasons;
	/* Seen by BPF; zero/unknown without it. */
	int observed;           /* BPF watched this transition */
	uint64_t start_ns;      /* CLOCK_MONOTONIC; 0 if it began before klptop */
	uint64_t elapsed_ns;
	unsigned int rounds;         /* klp_try_complete_transition calls */
	unsigned int signal_rounds;  /* rounds that sent fake signals (every 15th) */
	/* The per-task checks are watched in some rounds only when watching
	 * every one would lengthen the kernel's task walk too much. */
	unsigned int checked_round;  /* the last round whose checks were seen; 0 none */
	unsigned int check_every;    /* 1: every round; N: one round in N */
	double check_cost;           /* what watching the checks adds to a round (0.5: +50%); < 0 unknown */
	uint64_t round_ns;           /* the last round's duration (under tasklist_lock) */
	int forced;
	int reversed;
	uint64_t switched[SWITCH_HOW_MAX];
	int completing;         /* all switched; klp_complete_transition running */
	/* Tasks RCU-tasks waits for (they never schedule voluntarily): while
	 * completing, these are what the kernel's completion is stuck on. */
	struct task_snap *holdouts;
	size_t nholdouts;
	char *verdict_text;     /* about the transition as a whole */
	double rate_per_s;      /* tasks switched per second, recent */
	double eta_s;           /* estimate while it converges; < 0 unknown */
	struct transition_cost cost;  /* observed: rounds timed, switches by phase */
};

/* What the BPF side could attach on this kernel. */
struct probe_status {
	int bpf;                /* BPF probes attached at all */
	char *why_not;          /* when bpf == 0 */
	char **missing;         /* attach points absent on this kernel */
	size_t nmissing;
};

/* ---- shadow variables (klptop shadow; docs/shadow.md) ---------------------- */

/* Who owns a shadow id (docs/shadow.md, "Who owns a shadow id"). */
enum shadow_ownership {
	SHADOW_OWN_UNKNOWN,       /* its creators are not known (shadows from before klptop) */
	SHADOW_OWN_OK,            /* made by a patch still enabled, or none alive */
	SHADOW_OWN_ADOPTED,       /* its creator is gone; an enabled patch uses the id */
	SHADOW_OWN_ABANDONED,     /* its creator is gone, shadows live, no enabled patch uses it */
	SHADOW_OWN_CONFLICT,      /* two modules use it with different sizes or constructors */
	SHADOW_OWN_MAX,
};

/* Counters of one shadow id, from the BPF probes. */
struct shadow_id_info {
	uint64_t id;
	int64_t live;             /* shadows alive now (known to klptop) */
	int64_t bytes;            /* their data bytes (0 for sizes unknown) */
	uint64_t allocs, frees;   /* since klptop started */
	uint64_t orphans, stale, duplicates, failed;
	uint64_t preexisting;     /* found in klp_shadow_hash at start-up */
	double allocs_per_s, frees_per_s;  /* over the last interval */
	double growth_per_s;      /* least-squares slope of live over the window */
	unsigned int growth_samples;       /* samples the slope used */
	uint64_t oldest_age_ns;   /* 0: unknown (only shadows from before klptop) */
	enum shadow_ownership ownership;
	char *ownership_text;     /* why, for ABANDONED, ADOPTED, CONFLICT (else NULL) */
};

/* What became of a module that calls the shadow API. */
enum shadow_patch_state {
	SHADOW_PATCH_NONE,        /* vmlinux, or not known */
	SHADOW_PATCH_ENABLED,     /* a live patch, enabled */
	SHADOW_PATCH_DISABLING,   /* a live patch whose disable runs */
	SHADOW_PATCH_DISABLED,    /* a live patch module, loaded, no longer a patch */
	SHADOW_PATCH_REPLACED,    /* ... because a cumulative patch replaced it */
	SHADOW_PATCH_UNLOADED,    /* no longer loaded */
	SHADOW_PATCH_MODULE,      /* a loaded module that is no live patch */
	SHADOW_PATCH_MAX,
};

#define SHADOW_USER_SHAPES 4

/* One module's calls of the shadow API for one id. */
struct shadow_user {
	uint64_t id;
	char *module;             /* the calling module ("vmlinux"; "?" not known) */
	enum shadow_patch_state patch;
	char *successor;          /* REPLACED: by which patch, when known */
	uint64_t allocs, gets, frees;  /* since klptop started */
	int64_t live;             /* shadows it allocated, alive now */
	uint64_t sizes[SHADOW_USER_SHAPES];  /* data sizes it allocated (distinct) */
	size_t nsizes;
	char *ctors[SHADOW_USER_SHAPES];     /* its constructors ("none": NULL) */
	size_t nctors;
};

/* Live shadows of one id allocated by one module (the patch, usually). */
struct shadow_group {
	uint64_t id;
	char *module;             /* "?" when unknown (allocated before klptop) */
	int64_t live;
	int64_t bytes;
	uint64_t oldest_age_ns;
	double growth_per_s;
	int patch_gone;           /* module is a live patch no longer enabled */
};

enum shadow_leak_kind {
	SHADOW_LEAK_ORPHAN,       /* owner freed with the shadow attached */
	SHADOW_LEAK_STALE,        /* a get returned the shadow of a freed owner */
	SHADOW_LEAK_DUPLICATE,    /* klp_shadow_alloc on an existing pair */
	SHADOW_LEAK_KIND_MAX,
};

/* One de-duplicated leak report: (kind, id, alloc stack, free stack). */
struct shadow_leak {
	enum shadow_leak_kind kind;
	uint64_t id;
	uint64_t count;
	uint64_t first_ns, last_ns;   /* CLOCK_MONOTONIC */
	uint64_t obj;                 /* the last owner address, or its number in a redacted recording */
	int obj_pseudonym;            /* obj is that number: the owner is "obj#N" */
	uint64_t size;
	char *cache;                  /* slab cache of the freed owner, NULL: kmalloc */
	const char *free_via;         /* ORPHAN: kfree, kmem_cache_free, kmem_cache_free_bulk, rcu_free_sheaf */
	int kfree_rcu;                /* ORPHAN: owner went through kfree_rcu(): free_stack is its caller's */
	uint64_t rcu_delay_ns;        /* ORPHAN via kfree_rcu: queue to free, last one */
	char *module;                 /* who allocated the shadow */
	struct stack_frame *alloc_stack;
	size_t nalloc_stack;
	struct stack_frame *free_stack;   /* ORPHAN: owner's free; STALE: the get */
	size_t nfree_stack;
};

/* A shadow BPF program whose hits the kernel skipped. */
struct shadow_missed {
	char *program;
	uint64_t recursion;           /* bpf_prog_info.recursion_misses */
	uint64_t kprobe;              /* the kprobe's own nmissed (bpf_link_info) */
};

/* The free hooks, attached while owners need them (docs/shadow.md). */
struct shadow_free_hooks {
	int kfree, kmem_cache_free;   /* attached now */
	uint64_t owners;              /* objects that carry a shadow */
	uint64_t owners_kfree;        /* of them, those a kfree can release */
	uint64_t owners_cache;        /* ... and those a kmem_cache_free can */
	uint64_t arms;                /* times a hook was attached */
	uint64_t arm_latency_max_ns;  /* longest a shadow waited for its owner's hook */
	uint64_t unwatched;           /* shadows made while their owner's hook was off */
	uint64_t lookups;             /* frees that passed the filter (owner lookups) */
	char *error;                  /* the last attach failure, or NULL */
};

struct shadow_snapshot {
	int attached;                 /* the shadow probes run */
	int leak_detection;           /* free hooks follow the owners (not --no-leaks) */
	struct shadow_free_hooks *free_hooks;  /* NULL without leak detection */
	uint64_t live, orphans, stale, duplicates;
	int64_t bytes;
	uint64_t events_dropped;      /* ring buffer full: leak events lost */
	uint64_t live_dropped;        /* live map full: shadows not tracked */
	uint64_t missed;              /* probe hits the kernel skipped (recursion, kprobe misses) */
	int missed_counted;           /* the kernel counts skipped kprobe programs (else missed undercounts) */
	struct shadow_missed *missed_by;  /* per program, only those that missed */
	size_t nmissed_by;
	uint64_t rcu_queued;          /* owners with a shadow handed to kfree_rcu() */
	uint64_t bulk_truncated;      /* kmem_cache_free_bulk pointers not read */
	int scanned;                  /* the start-up scan of klp_shadow_hash ran */
	uint64_t preexisting;         /* what it found */
	uint64_t scan_truncated;      /* chains it could not finish */
	char *scan_error;
	uint64_t window_ns;           /* time the growth slopes cover */
	struct shadow_id_info *ids;
	size_t nids;
	struct shadow_group *groups;
	size_t ngroups;
	struct shadow_leak *leaks;
	size_t nleaks;
	struct shadow_user *users;
	size_t nusers;
};

void shadow_snapshot__free(struct shadow_snapshot *ss);
const char *shadow_leak_kind__name(enum shadow_leak_kind k);
const char *shadow_ownership__name(enum shadow_ownership o);
enum shadow_ownership shadow_ownership__from_name(const char *name);
const char *shadow_patch_state__name(enum shadow_patch_state p);
/* Judge ids[].ownership from users[] (their patch states known) and
 * groups[] (live shadows per module): model/shadow_owners.c. */
void shadow_snapshot__judge_owners(struct shadow_snapshot *ss);

/* Where, besides the transition's rounds, the kernel switches a running
 * task. Probed in kallsyms (src/live/sampler.c), never read off the version. */
enum switch_point {
	SWITCH_POINT_NONE,          /* no __klp_sched_try_switch (before 6.4) */
	SWITCH_POINT_COND_RESCHED,  /* at cond_resched(): klp_cond_resched (6.4-6.15) */
	SWITCH_POINT_FREEZABLE,     /* in __schedule() of a freezable sleep only (6.16+) */
};

struct kernel_info {
	char release[65];
	int livepatch;        /* /sys/kernel/livepatch exists */
	char livepatch_why_not[160];  /* when livepatch is 0: why, without the release */
	unsigned long tainted;
	int taint_livepatch;  /* taint bit 15, TAINT_LIVEPATCH ('K') */
};

struct snapshot {
	struct kernel_info kernel;
	struct patch_info *patches;
	size_t npatches;
	struct transition_info *transition; /* NULL when none in progress */
	struct probe_status probes;
	struct transition_summary *history;  /* ended while klptop watched */
	size_t nhistory;
	enum switch_point switch_point;
	struct cpu_isolation cpu_iso;
	int tif_patch_pending_bit;  /* derived on this kernel (src/live/tasks.c); -1 unknown */
	const char *source;                 /* "procfs", "bpf" or "replay" */
	uint64_t taken_ns;                  /* CLOCK_REALTIME */
	char **warnings;                    /* things the user should know */
	size_t nwarnings;
	struct shadow_snapshot *shadows;    /* NULL unless the shadow probes run */
};



void snapshot__init(struct snapshot *s);
void snapshot__free(struct snapshot *s);
void snapshot__warn(struct snapshot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void task_snap__free(struct task_snap *t);
/* Zero t, with every "unknown" field (CPUs, TIF, switched_how) at -1. */
void task_snap__init(struct task_snap *t);
/* Free what tr holds (not tr itself) and zero it. */
void transition_info__clear(struct transition_info *tr);
/* Clear and free tr itself. */
void transition_info__free(struct transition_info *tr);
/* Deep copy (strings and frames are duplicated). */
void task_snap__copy(struct task_snap *dst, const struct task_snap *src);
/* Mark the frames of the groups' stacks that hold up the transition. */
void snapshot__mark_stacks(struct snapshot *s);

/* groups.c: blocker groups (see there for what "look the same" means). */
/* Build tr->groups (largest first) and tr->reasons from tr->tasks, and each
 * group's representative (its stacks are left to the caller). */
void transition_info__group(struct transition_info *tr);
/* The index of name in tr->funcs, added when new; 0 for NULL or "". */
uint32_t transition_info__func_ref(struct transition_info *tr, const char *name);
const char *pending_task__function(const struct transition_info *tr,
				   const struct pending_task *t);
/* Checks seen of this task: running + sleeping + unreliable. */
unsigned int pending_task__checks(const struct pending_task *t);
/* comm with each run of digits as '#': "kworker/3:1" -> "kworker/#:#". */
void comm__pattern(char *dst, size_t len, const char *comm);


/* never.c: tasks that will never switch by themselves. */
/* The cause a pending task's checks show, before its group is judged (the
 * group key: tasks that differ here get different verdicts). */
enum never_cause pending_task__never(const struct pending_task *t);
enum never_cause task_snap__never(const struct task_snap *t);
/* Each pending task's cpu_iso, from the CPU its checks found it on. */
void transition_info__mark_isolation(struct transition_info *tr, const struct cpu_isolation *iso);
uint8_t cpu_isolation__of(const struct cpu_isolation *iso, int cpu);
/* Past any real host: a larger CPU number is a damaged file, not a CPU. */
#define CPU_NUMBER_MAX 65536
/* Give CPU cpu the isolation flag, growing the table (callers bound cpu). */
void cpu_isolation__mark(struct cpu_isolation *iso, unsigned long cpu, uint8_t flag);
void cpu_isolation__free(struct cpu_isolation *iso);

const char *reason__name(enum block_reason r);
/* The reason a klp_check_and_switch_task() result stands for. */
enum block_reason reason__of_check(int ret);
const char *verdict__name(enum verdict v);
const char *never_cause__name(enum never_cause c);
/* "isolcpus", "nohz_full", "cpuset" of enum cpu_iso_flag bit i; NULL past them. */
const char *cpu_iso__name(int i);
/* "isolcpus, nohz_full" from enum cpu_iso_flag bits; returns buf. */
const char *cpu_iso__names(uint8_t bits, char *buf, size_t len);
const char *klp_state__name(int state);
const char *switch_how__name(enum switch_how h);
const char *switch_point__name(enum switch_point p);
/* 'R', 'S', 'D', 'I', ... from a task_struct __state value. */
char task_state__char(unsigned int state);
void transition_summary__free(struct transition_summary *ts);
void patch_info__free(struct patch_info *pi);

/* blockers.c: the verdict for one pending task, from the facts gathered. */
void blocker__judge(struct task_snap *t, const struct snapshot *s);
void snapshot__judge_blockers(struct snapshot *s);
void stack_frames__free(struct stack_frame *f, size_t n);
/* A deep copy of n frames. */
struct stack_frame *stack_frames__copy(const struct stack_frame *f, size_t n);

#endif
