// SPDX-License-Identifier: GPL-2.0
/* Tasks that will never switch by themselves (src/model/never.c and the
 * verdicts): the CPU isolation klptop reads, the cause the checks show, the
 * verdict, evidence and help each kernel gets, the groups they form, and how
 * status (text, JSON) and metrics tell them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "live/cpuiso.h"
#include "lib/util.h"
#include "model/model.h"
#include "recording/snapshot_json.h"
#include "render/blockers.h"
#include "render/metrics.h"
#include "render/output.h"

#define ISO (CPU_ISO_DOMAIN | CPU_ISO_NOHZ_FULL)

/* ---- reading the host's isolation --------------------------------------- */

static void test_cpulists(void **state)
{
	struct cpu_isolation iso = { 0 };

	assert_int_equal(cpu_isolation__add_list(&iso, "1\n", CPU_ISO_DOMAIN), 0);
	assert_int_equal(cpu_isolation__add_list(&iso, "0-2,8\n", CPU_ISO_NOHZ_FULL), 0);
	assert_int_equal(iso.ncpus, 9);
	assert_int_equal(cpu_isolation__of(&iso, 1), ISO);
	assert_int_equal(cpu_isolation__of(&iso, 2), CPU_ISO_NOHZ_FULL);
	assert_int_equal(cpu_isolation__of(&iso, 5), 0);
	assert_int_equal(cpu_isolation__of(&iso, 8), CPU_ISO_NOHZ_FULL);
	assert_int_equal(cpu_isolation__of(&iso, 9), 0);
	assert_int_equal(cpu_isolation__of(&iso, -1), 0);
	/* Nothing isolated: an empty line; a mask never allocated: "(null)". */
	assert_int_equal(cpu_isolation__add_list(&iso, "\n", CPU_ISO_CPUSET), 0);
	assert_int_equal(cpu_isolation__add_list(&iso, "(null)\n", CPU_ISO_CPUSET), 0);
	/* A damaged file marks nothing, not half of it. */
	assert_int_equal(cpu_isolation__add_list(&iso, "3,5-", CPU_ISO_CPUSET), -EINVAL);
	assert_int_equal(cpu_isolation__add_list(&iso, "4-2", CPU_ISO_CPUSET), -EINVAL);
	assert_int_equal(cpu_isolation__add_list(&iso, "x", CPU_ISO_CPUSET), -EINVAL);
	assert_int_equal(cpu_isolation__add_list(&iso, "99999999", CPU_ISO_CPUSET), -EINVAL);
	for (int c = 0; c < 9; c++)
		assert_false(cpu_isolation__of(&iso, c) & CPU_ISO_CPUSET);
	cpu_isolation__free(&iso);
}

static void test_idle_poll_on_the_command_line(void **state)
{
	assert_true(cmdline__idle_poll("console=ttyS0 idle=poll quiet\n"));
	assert_true(cmdline__idle_poll("idle=poll"));
	assert_false(cmdline__idle_poll("idle=halt nohz_full=1\n"));
	assert_false(cmdline__idle_poll("xidle=poll"));
	assert_false(cmdline__idle_poll("idle=polling"));
	assert_false(cmdline__idle_poll("idle=poll idle=nomwait"));
	assert_false(cmdline__idle_poll(""));
}

/* The files of a 6.12 boot with isolcpus=1 nohz_full=1 idle=poll; the
 * cgroup root's cpuset.cpus.isolated absent (cgroup2 not mounted). */
static void test_read_from_sysfs(void **state)
{
	char *root = fx_root(), sys[4200], proc[4200];
	struct cpu_isolation iso = { 0 };
	struct sys_paths p;

	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	p = (struct sys_paths){ .sysfs = sys, .procfs = proc };
	fx_write(root, "sys/devices/system/cpu/isolated", "1\n");
	fx_write(root, "sys/devices/system/cpu/nohz_full", "1\n");
	fx_write(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz isolcpus=1 nohz_full=1 idle=poll\n");
	live__read_cpu_isolation(&iso, &p);
	assert_true(iso.domain_known && iso.nohz_full_known);
	assert_false(iso.cpuset_known);
	assert_int_equal(iso.idle_poll, 1);
	assert_int_equal(cpu_isolation__of(&iso, 1), ISO);
	assert_int_equal(cpu_isolation__of(&iso, 0), 0);

	/* A kernel without CONFIG_NO_HZ_FULL, and no /proc/cmdline: unknown,
	 * not "none". */
	fx_cleanup(root);
	root = fx_root();
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	fx_write(root, "sys/devices/system/cpu/isolated", "\n");
	live__read_cpu_isolation(&iso, &p);
	assert_true(iso.domain_known);
	assert_false(iso.nohz_full_known);
	assert_int_equal(iso.idle_poll, -1);
	assert_int_equal(iso.ncpus, 0);
	cpu_isolation__free(&iso);
	fx_cleanup(root);
}

/* ---- the cause the checks show -------------------------------------------- */

static struct pending_task running_kthread(unsigned int checks, uint8_t iso)
{
	return (struct pending_task){ .kthread = 1, .state = 'R', .reason = REASON_RUNNING,
				      .checks_running = checks, .check_cpu = 1, .cpu = 1,
				      .cpu_iso = iso };
}

static struct pending_task d_sleeper(int kthread, unsigned int checks, unsigned int in_d)
{
	return (struct pending_task){ .kthread = (int8_t)kthread, .state = 'D',
				      .reason = REASON_SLEEPING_ON, .checks_sleeping = checks,
				      .checks_asleep = checks, .checks_uninterruptible = in_d,
				      .check_cpu = 0, .cpu = 0 };
}

static void test_causes(void **state)
{
	struct pending_task t = running_kthread(4, ISO);

	assert_int_equal(pending_task__never(&t), NEVER_ISOLATED_CPU);
	/* Two checks could be bad luck. */
	t = running_kthread(2, ISO);
	assert_int_equal(pending_task__never(&t), NEVER_NONE);
	/* On a CPU nobody isolated, or moving between CPUs, or once found
	 * preempted (inside the patched function: sleeping_on, state R): a
	 * busy kthread, not an isolated one. */
	t = running_kthread(4, 0);
	assert_int_equal(pending_task__never(&t), NEVER_BUSY_KTHREAD);
	t = running_kthread(4, ISO);
	t.cpu_moves = 1;
	assert_int_equal(pending_task__never(&t), NEVER_BUSY_KTHREAD);
	t = running_kthread(3, ISO);
	t.checks_sleeping = 1;
	t.checks_preempted = 1;
	t.reason = REASON_SLEEPING_ON;
	assert_int_equal(pending_task__never(&t), NEVER_BUSY_KTHREAD);
	/* Ever seen asleep: it does sleep somewhere. */
	t = running_kthread(4, ISO);
	t.checks_asleep = 1;
	assert_int_equal(pending_task__never(&t), NEVER_NONE);
	/* A user task on a CPU returns to user space some time. */
	t = running_kthread(4, ISO);
	t.kthread = 0;
	assert_int_equal(pending_task__never(&t), NEVER_NONE);

	/* In D at every check, user task or kthread; I (TASK_IDLE) too. */
	t = d_sleeper(0, 3, 3);
	assert_int_equal(pending_task__never(&t), NEVER_UNINTERRUPTIBLE);
	t = d_sleeper(1, 5, 5);
	t.state = 'I';
	assert_int_equal(pending_task__never(&t), NEVER_UNINTERRUPTIBLE);
	/* Once seen in S: a wait that changes is not said to be endless. */
	t = d_sleeper(0, 5, 4);
	assert_int_equal(pending_task__never(&t), NEVER_NONE);
	t = d_sleeper(0, 2, 2);
	assert_int_equal(pending_task__never(&t), NEVER_NONE);
}

/* ---- verdicts, evidence, help --------------------------------------------- */

static void judge(struct task_snap *t, enum switch_point p)
{
	struct snapshot s;

	snapshot__init(&s);
	s.switch_point = p;
	s.probes.bpf = 1;
	blocker__judge(t, &s);
}

static struct task_snap isolated_spinner(void)
{
	struct task_snap t;

	task_snap__init(&t);
	t.kthread = 1;
	t.state = 'R';
	t.reason = REASON_RUNNING;
	t.checks_running = 7;
	t.cpu = t.check_cpu = 1;
	t.cpus_allowed = 1;
	t.cpu_iso = ISO;
	return t;
}

static void test_isolated_kthread_per_kernel(void **state)
{
	static const char *const advice[] = {
		[SWITCH_POINT_NONE] = "cond_resched() does not switch tasks on this kernel",
		[SWITCH_POINT_COND_RESCHED] = "cond_resched() or a sleep outside the patched function",
		[SWITCH_POINT_FREEZABLE] = "a freezable sleep switches at once",
	};

	for (int p = SWITCH_POINT_NONE; p <= SWITCH_POINT_FREEZABLE; p++) {
		struct task_snap t = isolated_spinner();

		judge(&t, (enum switch_point)p);
		assert_int_equal(t.verdict, VERDICT_STUCK);
		assert_int_equal(t.never, NEVER_ISOLATED_CPU);
		assert_non_null(strstr(t.verdict_text,
				       "kthread on isolated CPU 1 (isolcpus, nohz_full) at all 7 checks"));
		assert_non_null(strstr(t.verdict_text, "waiting will not help"));
		assert_non_null(strstr(t.verdict_text, advice[p]));
		assert_non_null(strstr(t.help, advice[p]));
		assert_non_null(strstr(t.help, "forced transition"));
		/* No on-CPU samples: nothing said about where it spins. */
		assert_null(strstr(t.help, "on-CPU samples"));
		task_snap__free(&t);
	}
}

/* Where it spins decides whether a round finding it preempted would do. */
static void test_isolated_help_follows_the_samples(void **state)
{
	struct stack_frame outside[2] = { { .symbol = "klpt_poll_fn" }, { .symbol = "kthread" } };
	struct stack_frame inside[2] = { { .symbol = "klpt_spin_step", .marked = 1 },
					 { .symbol = "kthread" } };
	struct task_snap t = isolated_spinner();

	t.oncpu = outside;
	t.noncpu = 2;
	judge(&t, SWITCH_POINT_NONE);
	assert_non_null(strstr(t.help, "on-CPU samples are outside the patched function"));
	assert_non_null(strstr(t.help, "no other task runs on CPU 1 to preempt it"));
	t.oncpu = inside;
	judge(&t, SWITCH_POINT_NONE);
	assert_null(strstr(t.help, "outside the patched function: a round"));
	t.oncpu = NULL;
	t.noncpu = 0;
	task_snap__free(&t);
}

/* The same spinner on a shared CPU, or on 6.12 calling cond_resched(). */
static void test_busy_kthread(void **state)
{
	struct stack_frame cr[2] = { { .symbol = "__cond_resched" }, { .symbol = "klpt_poll_fn" } };
	struct task_snap t = isolated_spinner();

	t.cpu_iso = 0;
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_STUCK);
	assert_int_equal(t.never, NEVER_BUSY_KTHREAD);
	assert_non_null(strstr(t.verdict_text, "kthread was running (or preempted) at all 7 checks"));
	assert_non_null(strstr(t.help, "a sleep outside the patched function"));
	/* Where the kernel switches at cond_resched(), it will switch. */
	t.cpu_iso = ISO;
	t.oncpu = cr;
	t.noncpu = 2;
	judge(&t, SWITCH_POINT_COND_RESCHED);
	assert_int_equal(t.verdict, VERDICT_WILL_SWITCH);
	assert_int_equal(t.never, NEVER_NONE);
	assert_null(t.help);
	t.oncpu = NULL;
	t.noncpu = 0;
	task_snap__free(&t);
}

static struct task_snap d_task(int kthread, char state, unsigned int checks, unsigned int in_d)
{
	struct task_snap t;

	task_snap__init(&t);
	t.kthread = kthread;
	t.state = state;
	t.reason = REASON_SLEEPING_ON;
	t.function = xstrdup("klpt_sleep_in");
	t.checks_sleeping = t.checks_asleep = checks;
	t.checks_uninterruptible = in_d;
	return t;
}

static void test_uninterruptible(void **state)
{
	struct task_snap t = d_task(0, 'D', 16, 16);

	/* A user task in D: a signal round does not move it (it used to be
	 * told "needs_signal"). */
	t.signal_rounds_seen = 1;
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_WAIT_RETURN);
	assert_int_equal(t.never, NEVER_UNINTERRUPTIBLE);
	assert_non_null(strstr(t.verdict_text, "user task sleeping uninterruptibly in klpt_sleep_in "
					       "at all 16 checks, through 1 signal round that did "
					       "not wake it"));
	assert_non_null(strstr(t.help, "No signal round moves it"));
	assert_non_null(strstr(t.help, "forced transition"));
	task_snap__free(&t);

	/* One check in D: the verdict already says signals will not help, the
	 * cause waits for more checks. */
	t = d_task(0, 'D', 1, 1);
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_WAIT_RETURN);
	assert_int_equal(t.never, NEVER_NONE);
	assert_null(t.help);
	task_snap__free(&t);

	/* A kthread in TASK_IDLE (I) is not woken by a signal round either. */
	t = d_task(1, 'I', 4, 4);
	judge(&t, SWITCH_POINT_FREEZABLE);
	assert_int_equal(t.verdict, VERDICT_WAIT_RETURN);
	assert_int_equal(t.never, NEVER_UNINTERRUPTIBLE);
	task_snap__free(&t);

	/* Interruptible sleepers keep their verdicts. */
	t = d_task(0, 'S', 4, 0);
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_NEEDS_SIGNAL);
	assert_int_equal(t.never, NEVER_NONE);
	task_snap__free(&t);
	t = d_task(1, 'S', 4, 0);
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_NEEDS_SIGNAL);
	task_snap__free(&t);
}

/* A user task always on a nohz_full CPU: the tick does not bring it into
 * the kernel, a signal round's interrupt does; after one, it is in the
 * kernel. */
static void test_user_task_on_nohz_full(void **state)
{
	struct task_snap t = isolated_spinner();

	t.kthread = 0;
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_WILL_SWITCH);
	assert_int_equal(t.never, NEVER_NONE);
	assert_non_null(strstr(t.verdict_text, "user task on CPU 1 (isolcpus, nohz_full) at all 7 "
					       "checks: no scheduler tick"));
	assert_non_null(strstr(t.verdict_text, "at the latest at the next signal round"));
	t.signal_rounds_seen = 2;
	judge(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_WAIT_RETURN);
	assert_non_null(strstr(t.verdict_text, "through 2 signal rounds"));
	assert_non_null(strstr(t.verdict_text, "it runs in the kernel"));
	/* isolcpus alone keeps the tick: the plain user-task verdict. */
	t.signal_rounds_seen = 0;
	t.cpu_iso = CPU_ISO_DOMAIN;
	judge(&t, SWITCH_POINT_NONE);
	assert_string_equal(t.verdict_text,
			    "user task on a CPU: switches at its next return to user space");
	task_snap__free(&t);
}

/* ---- groups, status, metrics ---------------------------------------------- */

static void add_task(struct transition_info *tr, size_t *cap, struct pending_task t, int tid,
		     const char *comm)
{
	grow_array((void **)&tr->tasks, cap, tr->ntasks, sizeof(t));
	t.pid = t.tid = tid;
	copy_str(t.comm, sizeof(t.comm), comm);
	if (t.reason == REASON_SLEEPING_ON)
		t.func_ref = transition_info__func_ref(tr, "klpt_sleep_in");
	tr->tasks[tr->ntasks++] = t;
	tr->tasks_pending++;
}

/* Two pollers alike but for their CPU (one isolated, one shared), users in
 * D all along and one once seen in S, a user on a nohz_full CPU. */
static void build(struct snapshot *s)
{
	struct transition_info *tr = xcalloc(1, sizeof(*tr));
	struct pending_task t;
	size_t cap = 0;

	snapshot__init(s);
	s->kernel.livepatch = 1;
	s->probes.bpf = 1;
	s->switch_point = SWITCH_POINT_NONE;
	assert_int_equal(cpu_isolation__add_list(&s->cpu_iso, "2-3", CPU_ISO_DOMAIN), 0);
	assert_int_equal(cpu_isolation__add_list(&s->cpu_iso, "2-3", CPU_ISO_NOHZ_FULL), 0);
	s->cpu_iso.domain_known = s->cpu_iso.nohz_full_known = 1;
	s->cpu_iso.idle_poll = 1;
	tr->patch = xstrdup("klpt_lp_fix");
	tr->target = KLP_PATCHED;
	tr->tasks_total = 50;
	tr->observed = 1;
	tr->rounds = 20;
	t = running_kthread(5, 0);
	t.check_cpu = t.cpu = 3;
	t.cpus_allowed = 1;
	add_task(tr, &cap, t, 101, "klpt_poll");
	t.check_cpu = t.cpu = 0;
	add_task(tr, &cap, t, 102, "klpt_poll");
	add_task(tr, &cap, d_sleeper(0, 16, 16), 201, "reader");
	add_task(tr, &cap, d_sleeper(0, 16, 16), 202, "reader");
	add_task(tr, &cap, d_sleeper(0, 16, 15), 203, "reader");
	t = running_kthread(5, 0);
	t.kthread = 0;
	t.check_cpu = t.cpu = 2;
	add_task(tr, &cap, t, 301, "dpdk-worker");
	s->transition = tr;
	transition_info__mark_isolation(tr, &s->cpu_iso);
	transition_info__group(tr);
	snapshot__judge_blockers(s);
}

static const struct blocker_group *group_of(const struct transition_info *tr, int tid)
{
	for (size_t i = 0; i < tr->ntasks; i++)
		if (tr->tasks[i].tid == tid)
			return &tr->groups[tr->tasks[i].group];
	fail_msg("tid %d not pending", tid);
	return NULL;
}

static void test_groups_keep_causes_apart(void **state)
{
	struct snapshot s;
	struct transition_info *tr;

	build(&s);
	tr = s.transition;
	assert_int_equal(tr->ngroups, 5);
	assert_int_equal(group_of(tr, 101)->never, NEVER_ISOLATED_CPU);
	assert_int_equal(group_of(tr, 102)->never, NEVER_BUSY_KTHREAD);
	assert_ptr_equal(group_of(tr, 201), group_of(tr, 202));
	assert_int_equal(group_of(tr, 201)->count, 2);
	assert_int_equal(group_of(tr, 201)->never, NEVER_UNINTERRUPTIBLE);
	assert_int_equal(group_of(tr, 203)->never, NEVER_NONE);
	assert_int_equal(group_of(tr, 203)->verdict, VERDICT_WAIT_RETURN);
	assert_int_equal(group_of(tr, 301)->verdict, VERDICT_WILL_SWITCH);
	/* Every task carries its group's cause. */
	for (size_t i = 0; i < tr->ntasks; i++)
		assert_int_equal(tr->tasks[i].never, tr->groups[tr->tasks[i].group].never);
	snapshot__free(&s);
}

static char *status_text(const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	snapshot__print_text(s, f, 0);
	fclose(f);
	return buf;
}

static void test_status_text(void **state)
{
	struct snapshot s;
	char *t;

	build(&s);
	t = status_text(&s);
	assert_non_null(strstr(t, "cpu isolation: isolcpus 2-3 nohz_full 2-3 idle=poll\n"));
	assert_non_null(strstr(t, "      evidence: CPU 3 (isolcpus, nohz_full), the same at every "
				  "check; may run on 1 CPU; checks 5: running 5, preempted 0, "
				  "asleep 0 (uninterruptibly 0); signal rounds seen 0\n"));
	assert_non_null(strstr(t, "      never switches by itself (isolated_cpu); helps: a code "
				  "change (a sleep outside the patched function"));
	assert_non_null(strstr(t, "      never switches by itself (busy_kthread); helps: "));
	assert_non_null(strstr(t, "      never switches by itself (uninterruptible_wait); helps: "
				  "the end of the wait it sleeps in"));
	assert_non_null(strstr(t, "checks 16: running 0, preempted 0, asleep 16 "
				  "(uninterruptibly 16)"));
	free(t);
	snapshot__free(&s);

	/* A host that isolates nothing says nothing about it. */
	snapshot__init(&s);
	s.kernel.livepatch = 1;
	t = status_text(&s);
	assert_null(strstr(t, "cpu isolation"));
	free(t);
	snapshot__free(&s);
}

static json_object *get(json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	copy_str(buf, sizeof(buf), path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static void test_status_json(void **state)
{
	struct snapshot s;
	json_object *root, *groups, *g, *iso, *pend;
	int seen_iso = 0;

	build(&s);
	root = snapshot__to_json(&s);
	iso = get(root, "kernel.cpu_isolation");
	assert_non_null(iso);
	assert_string_equal(json_object_to_json_string_ext(iso, JSON_C_TO_STRING_PLAIN),
			    "{\"isolcpus\":[2,3],\"nohz_full\":[2,3],\"cpuset\":null,\"idle_poll\":true}");
	groups = get(root, "transition.groups");
	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (strcmp(json_object_get_string(get(g, "comm")), "klpt_poll") ||
		    json_object_get_int(get(g, "task.check_cpu")) != 3)
			continue;
		seen_iso = 1;
		assert_string_equal(json_object_get_string(get(g, "never")), "isolated_cpu");
		assert_non_null(strstr(json_object_get_string(get(g, "help")), "forced transition"));
		assert_string_equal(json_object_to_json_string_ext(get(g, "task.cpu_isolation"),
								   JSON_C_TO_STRING_PLAIN),
				    "[\"isolcpus\",\"nohz_full\"]");
		assert_int_equal(json_object_get_int(get(g, "task.cpus_allowed")), 1);
		assert_int_equal(json_object_get_int(get(g, "task.cpu_moves")), 0);
		assert_int_equal(json_object_get_int(get(g, "task.checks_preempted")), 0);
		assert_string_equal(json_object_get_string(get(g, "task.never")), "isolated_cpu");
	}
	assert_true(seen_iso);
	/* Every pending entry: its cause (null for none) and its checks. */
	pend = get(root, "transition.pending");
	for (size_t i = 0; i < json_object_array_length(pend); i++) {
		json_object *p = json_object_array_get_idx(pend, i), *never;
		int tid = json_object_get_int(get(p, "tid"));

		assert_true(json_object_object_get_ex(p, "never", &never));
		assert_true(json_object_object_get_ex(p, "checks_uninterruptible", NULL));
		assert_true(json_object_object_get_ex(p, "check_cpu", NULL));
		if (tid == 203 || tid == 301)
			assert_null(never);
		if (tid == 201)
			assert_string_equal(json_object_get_string(never), "uninterruptible_wait");
	}
	json_object_put(root);
	snapshot__free(&s);
}

/* What a replay or a report shows of a recording: the causes, their help,
 * the checks' CPUs and the host's isolation come back as they were said. */
static void test_recording_keeps_causes(void **state)
{
	struct snapshot s, back;
	json_object *root, *again;
	char err[256];
	static const char *const same[] = { "kernel.cpu_isolation", "transition.groups",
					     "transition.pending" };

	build(&s);
	root = snapshot__to_json(&s);
	snapshot__init(&back);
	assert_int_equal(snapshot__from_json(&back, root, err, sizeof(err)), 0);
	again = snapshot__to_json(&back);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_string_equal(
			json_object_to_json_string_ext(get(again, same[i]), JSON_C_TO_STRING_PLAIN),
			json_object_to_json_string_ext(get(root, same[i]), JSON_C_TO_STRING_PLAIN));
	json_object_put(again);
	json_object_put(root);
	snapshot__free(&back);
	snapshot__free(&s);
}

static char *metrics_text(const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(metrics__render(s, f), 0);
	fclose(f);
	return buf;
}

static void test_metrics_by_cause(void **state)
{
	struct snapshot s;
	char *t;

	build(&s);
	t = metrics_text(&s);
	assert_non_null(strstr(t, "\nklptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\","
				  "cause=\"isolated_cpu\"} 1\n"));
	assert_non_null(strstr(t, "\nklptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\","
				  "cause=\"busy_kthread\"} 1\n"));
	assert_non_null(strstr(t, "\nklptop_transition_never_switch_tasks{patch=\"klpt_lp_fix\","
				  "cause=\"uninterruptible_wait\"} 2\n"));
	free(t);
	/* Without the probes nobody knows: absent, not 0. */
	s.transition->observed = 0;
	t = metrics_text(&s);
	assert_null(strstr(t, "\nklptop_transition_never_switch_tasks{"));
	free(t);
	snapshot__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulists),
		cmocka_unit_test(test_idle_poll_on_the_command_line),
		cmocka_unit_test(test_read_from_sysfs),
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_isolated_kthread_per_kernel),
		cmocka_unit_test(test_isolated_help_follows_the_samples),
		cmocka_unit_test(test_busy_kthread),
		cmocka_unit_test(test_uninterruptible),
		cmocka_unit_test(test_user_task_on_nohz_full),
		cmocka_unit_test(test_groups_keep_causes_apart),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_recording_keeps_causes),
		cmocka_unit_test(test_metrics_by_cause),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
