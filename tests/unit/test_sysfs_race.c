// SPDX-License-Identifier: GPL-2.0
/* sysfs read while a transition starts: `enabled` flips only after
 * klp_start_transition(), so for a moment it names the wrong target. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "model/model.h"

static struct sys_paths paths_of(const char *root, char *sys, char *proc)
{
	sprintf(sys, "%s/sys", root);
	sprintf(proc, "%s/proc", root);
	return (struct sys_paths){ .sysfs = sys, .procfs = proc };
}

/* A disable has begun: every task is at its initial state (patched), one
 * has switched back already, and `enabled` still reads 1. */
static char *disable_starting(void)
{
	char *root = fx_root();

	fx_write(root, "proc/sys/kernel/osrelease", "6.1.0-99-amd64\n");
	fx_write(root, "sys/kernel/livepatch/p/enabled", "1\n");
	fx_write(root, "sys/kernel/livepatch/p/transition", "1\n");
	fx_write(root, "proc/1/task/1/patch_state", "1\n");
	fx_write(root, "proc/1/task/1/stat", "1 (init) S 0 0 0 0 -1 4194560 0 0 0 0 0 0\n");
	fx_write(root, "proc/2/task/2/patch_state", "0\n");
	fx_write(root, "proc/2/task/2/stat", "2 (sh) S 1 0 0 0 -1 4194560 0 0 0 0 0 0\n");
	return root;
}

static void test_target_moved(void **state)
{
	char sys[4200], proc[4200], *root = disable_starting();
	struct sys_paths p = paths_of(root, sys, proc);
	struct snapshot s;

	snapshot__init(&s);
	assert_int_equal(live__read_sysfs(&s, &p), EXIT_OK);
	assert_non_null(s.transition);
	assert_int_equal(s.transition->target, KLP_PATCHED); /* what sysfs says */
	assert_false(live__target_moved(&s, &p));
	fx_write(root, "sys/kernel/livepatch/p/enabled", "0\n"); /* the kernel catches up */
	assert_true(live__target_moved(&s, &p));
	snapshot__free(&s);
	/* A fill after the flip judges against the right target. */
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), EXIT_OK);
	assert_int_equal(s.transition->target, KLP_UNPATCHED);
	assert_int_equal(s.transition->tasks_pending, 1);
	assert_int_equal(s.transition->tasks[0].tid, 1);
	snapshot__free(&s);
	fx_cleanup(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_moved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
