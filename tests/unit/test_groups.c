// SPDX-License-Identifier: GPL-2.0
/* Blocker groups (src/model/groups.c): thousands of pending tasks that look
 * the same are one row, with exact counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "model/model.h"
#include "recording/snapshot_json.h"
#include "render/output.h"

static void add(struct transition_info *tr, size_t *cap, int tid, const char *comm, int kthread,
		char state, enum block_reason r, const char *func, uint64_t stack, uint64_t blocked)
{
	struct pending_task *t;

	grow_array((void **)&tr->tasks, cap, tr->ntasks, sizeof(*t));
	t = &tr->tasks[tr->ntasks++];
	memset(t, 0, sizeof(*t));
	t->pid = t->tid = tid;
	copy_str(t->comm, sizeof(t->comm), comm);
	t->kthread = (int8_t)kthread;
	t->state = state;
	t->reason = r;
	t->func_ref = transition_info__func_ref(tr, func);
	t->stack_key = stack;
	t->blocked_ns = blocked;
	t->checks_sleeping = r == REASON_SLEEPING_ON ? 5 : 0;
	t->checks_running = r == REASON_RUNNING ? 5 : 0;
	tr->tasks_pending++;
}

static void test_comm_pattern(void **state)
{
	char p[16];

	comm__pattern(p, sizeof(p), "kworker/3:12");
	assert_string_equal(p, "kworker/#:#");
	comm__pattern(p, sizeof(p), "java-worker-203");
	assert_string_equal(p, "java-worker-#");
	comm__pattern(p, sizeof(p), "klpt_sleep_d");
	assert_string_equal(p, "klpt_sleep_d");
	comm__pattern(p, 4, "abcdef");
	assert_string_equal(p, "abc");
}

/* 9,998 workers asleep in one function with one stack, one spinner, one
 * worker asleep elsewhere: three rows, largest first, totals exact. */
static void test_many_alike_one_row(void **state)
{
	struct transition_info tr = { 0 };
	size_t cap = 0;
	char name[16];

	for (int i = 0; i < 9998; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		add(&tr, &cap, 1000 + i, name, 0, 'S', REASON_SLEEPING_ON, "vfs_read", 0xabc,
		    (uint64_t)i);
	}
	add(&tr, &cap, 7, "klpt_spin", 1, 'R', REASON_RUNNING, NULL, 0, 5);
	add(&tr, &cap, 8, "worker-1", 0, 'S', REASON_SLEEPING_ON, "vfs_write", 0xdef, 1);
	transition_info__group(&tr);
	assert_int_equal(tr.ngroups, 3);
	assert_int_equal(tr.groups[0].count, 9998);
	assert_string_equal(tr.groups[0].comm, "worker-#");
	assert_string_equal(tr.groups[0].function, "vfs_read");
	assert_int_equal(tr.groups[0].reason, REASON_SLEEPING_ON);
	/* The longest blocked member speaks for the group. */
	assert_int_equal(tr.groups[0].rep.tid, 1000 + 9997);
	assert_int_equal(tr.groups[0].blocked_max_ns, 9997);
	assert_int_equal(tr.groups[0].blocked_min_ns, 0);
	assert_string_equal(tr.groups[0].rep.function, "vfs_read");
	assert_int_equal(tr.groups[1].count, 1);
	assert_int_equal(tr.reasons.by_reason[REASON_SLEEPING_ON], 9999);
	assert_int_equal(tr.reasons.by_reason[REASON_RUNNING], 1);
	/* Every task points at its group. */
	for (size_t i = 0; i < tr.ntasks; i++) {
		const struct blocker_group *g = &tr.groups[tr.tasks[i].group];

		assert_int_equal(g->reason, tr.tasks[i].reason);
		assert_ptr_equal(g->function, pending_task__function(&tr, &tr.tasks[i]));
	}
	transition_info__clear(&tr);
}

static size_t json_len(json_object *o)
{
	return strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* A recording of a big stall writes most snapshots compactly: read back,
 * every task is there with what its group says of it, the counts exact,
 * in a fraction of the bytes. */
static void test_compact_recording_keeps_every_task(void **state)
{
	struct transition_info *tr = xcalloc(1, sizeof(*tr));
	struct snapshot s, back;
	json_object *full, *compact;
	size_t cap = 0;
	char name[16], err[256];

	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "worker-%d", i % 64);
		add(tr, &cap, 1000 + i, name, i % 2, 'D', REASON_SLEEPING_ON, "klpt_sleep_in",
		    0xabc, 40000000000ull + (uint64_t)i * 7919);
		tr->tasks[tr->ntasks - 1].rounds_failed = 40 + (unsigned int)(i % 3);
		if (i % 2)
			tr->tasks[tr->ntasks - 1].pid = 77;
	}
	add(tr, &cap, 7, "klpt_spin", 1, 'R', REASON_RUNNING, NULL, 0, 5);
	tr->patch = xstrdup("klpt_lp_fix");
	transition_info__group(tr);
	snapshot__init(&s);
	s.transition = tr;
	full = snapshot__to_json(&s);
	compact = snapshot__to_json_ex(&s, SNAPSHOT_JSON_COMPACT);
	assert_true(json_len(compact) * 3 < json_len(full));

	snapshot__init(&back);
	assert_int_equal(snapshot__from_json(&back, compact, err, sizeof(err)), 0);
	assert_non_null(back.transition);
	assert_int_equal(back.transition->ntasks, tr->ntasks);
	assert_int_equal(back.transition->ngroups, tr->ngroups);
	assert_memory_equal(&back.transition->reasons, &tr->reasons, sizeof(tr->reasons));
	for (size_t i = 0; i < tr->ntasks; i++) {
		const struct pending_task *a = &tr->tasks[i], *b = &back.transition->tasks[i];

		assert_int_equal(b->tid, a->tid);
		assert_int_equal(b->pid, a->pid);
		assert_string_equal(b->comm, a->comm);
		assert_int_equal(b->kthread, a->kthread);
		assert_int_equal(b->state, a->state);
		assert_int_equal(b->reason, a->reason);
		assert_int_equal(b->group, a->group);
		assert_int_equal(b->rounds_failed, a->rounds_failed);
		assert_string_equal(pending_task__function(back.transition, b) ?: "-",
				    pending_task__function(tr, a) ?: "-");
	}
	json_object_put(full);
	json_object_put(compact);
	snapshot__free(&back);
	snapshot__free(&s);
}

/* Same name, different stack or state or kind: not the same blocker. */
static void test_what_splits_a_group(void **state)
{
	struct transition_info tr = { 0 };
	size_t cap = 0;

	add(&tr, &cap, 1, "d", 1, 'D', REASON_SLEEPING_ON, "f", 1, 1);
	add(&tr, &cap, 2, "d", 1, 'D', REASON_SLEEPING_ON, "f", 2, 1);  /* stack */
	add(&tr, &cap, 3, "d", 1, 'S', REASON_SLEEPING_ON, "f", 1, 1);  /* state */
	add(&tr, &cap, 4, "d", 0, 'D', REASON_SLEEPING_ON, "f", 1, 1);  /* user */
	add(&tr, &cap, 5, "d", 1, 'D', REASON_SLEEPING_ON, "g", 1, 1);  /* function */
	add(&tr, &cap, 6, "d", 1, 'D', REASON_UNRELIABLE, "f", 1, 1);   /* reason */
	add(&tr, &cap, 7, "d", 1, 'D', REASON_SLEEPING_ON, "f", 1, 9);  /* alike */
	transition_info__group(&tr);
	assert_int_equal(tr.ngroups, 6);
	assert_int_equal(tr.groups[0].count, 2);
	assert_int_equal(tr.groups[0].rep.tid, 7);
	/* A running kthread with few checks is not yet settled: its own row. */
	transition_info__clear(&tr);
	cap = 0;
	add(&tr, &cap, 1, "spin", 1, 'R', REASON_RUNNING, NULL, 0, 1);
	add(&tr, &cap, 2, "spin", 1, 'R', REASON_RUNNING, NULL, 0, 1);
	tr.tasks[1].checks_running = 1;
	transition_info__group(&tr);
	assert_int_equal(tr.ngroups, 2);
	transition_info__clear(&tr);
}

/* Stacks come a budget at a time: a task whose stack is not read yet joins
 * its peers' most common stack instead of a group of its own. */
static void test_unknown_stack_joins_peers(void **state)
{
	struct transition_info tr = { 0 };
	size_t cap = 0;

	for (int i = 0; i < 5; i++)
		add(&tr, &cap, 10 + i, "d", 1, 'D', REASON_SLEEPING_ON, "f", 0xa, 1);
	add(&tr, &cap, 20, "d", 1, 'D', REASON_SLEEPING_ON, "f", 0xb, 1);
	for (int i = 0; i < 4; i++)
		add(&tr, &cap, 30 + i, "d", 1, 'D', REASON_SLEEPING_ON, "f", 0, 1);
	add(&tr, &cap, 40, "other", 1, 'D', REASON_SLEEPING_ON, "f", 0, 1);
	transition_info__group(&tr);
	assert_int_equal(tr.ngroups, 3);
	assert_int_equal(tr.groups[0].count, 9);
	assert_int_equal(tr.groups[0].stack_key, 0xa);
	/* No peer with a known stack: it stays without one. */
	assert_int_equal(tr.groups[1].count + tr.groups[2].count, 2);
	transition_info__clear(&tr);
}

/* Regrouping a filled transition frees the old groups (the live view
 * refreshes into the same model). */
static void test_regroup(void **state)
{
	struct transition_info tr = { 0 };
	size_t cap = 0;

	add(&tr, &cap, 1, "a", 0, 'S', REASON_SLEEPING_ON, "f", 1, 1);
	transition_info__group(&tr);
	transition_info__group(&tr);
	assert_int_equal(tr.ngroups, 1);
	assert_int_equal(tr.reasons.by_reason[REASON_SLEEPING_ON], 1);
	transition_info__clear(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comm_pattern),
		cmocka_unit_test(test_many_alike_one_row),
		cmocka_unit_test(test_what_splits_a_group),
		cmocka_unit_test(test_unknown_stack_joins_peers),
		cmocka_unit_test(test_regroup),
		cmocka_unit_test(test_compact_recording_keeps_every_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
