// SPDX-License-Identifier: GPL-2.0
/* sysfs/procfs parsing and the status JSON, on fixture trees shaped like a
 * 6.1 kernel mid-transition. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fixture.h"
#include "live/kallsyms.h"
#include "model/model.h"
#include "render/output.h"
#include "lib/log.h"
#include "lib/util.h"

static struct sys_paths paths_of(const char *root, char *sys, char *proc)
{
	sprintf(sys, "%s/sys", root);
	sprintf(proc, "%s/proc", root);
	return (struct sys_paths){ .sysfs = sys, .procfs = proc };
}

static void add_patch(const char *root, const char *name, int enabled, int transition)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "sys/kernel/livepatch/%s/enabled", name);
	fx_writef(root, rel, "%d\n", enabled);
	snprintf(rel, sizeof(rel), "sys/kernel/livepatch/%s/transition", name);
	fx_writef(root, rel, "%d\n", transition);
	snprintf(rel, sizeof(rel), "sys/kernel/livepatch/%s/klpt_target/patched", name);
	fx_write(root, rel, "1\n");
	snprintf(rel, sizeof(rel), "sys/kernel/livepatch/%s/klpt_target/klpt_spin_step,1", name);
	{
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/%s", root, rel);
		fx_mkdirs(dir);
		snprintf(dir, sizeof(dir), "%s/sys/kernel/livepatch/%s/klpt_target/klpt_ping,2", root, name);
		fx_mkdirs(dir);
	}
}

static void add_task(const char *root, int pid, int tid, const char *comm, int kthread,
		     char state, int patch_state, const char *stack)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/patch_state", pid, tid);
	fx_writef(root, rel, "%d\n", patch_state);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stat", pid, tid);
	fx_writef(root, rel, "%d (%s) %c 2 0 0 0 -1 %u 0 0 0 0 0 0\n", tid, comm, state,
		  kthread ? 0x208040u : 0x400100u);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stack", pid, tid);
	fx_write(root, rel, stack);
}

static char *make_tree(void)
{
	char *root = fx_root();

	fx_write(root, "proc/sys/kernel/osrelease", "6.1.0-99-amd64\n");
	fx_write(root, "proc/sys/kernel/tainted", "36864\n"); /* K + E */
	fx_write(root, "proc/kallsyms",
		 "ffffffffc0a01000 t klpt_spin_step\t[klpt_target]\n"
		 "ffffffffc0a01200 t klpt_spin_thread\t[klpt_target]\n"
		 "ffffffff810c0000 T kthread\n");
	add_patch(root, "klpt_lp_fix", 1, 1);
	add_patch(root, "klpt_lp_vmlinux", 1, 0);
	add_task(root, 1, 1, "init", 0, 'S', 1, "[<0>] do_wait+0x1/0x2\n");
	add_task(root, 50, 50, "klpt_spin", 1, 'R', 0,
		 "[<0>] klpt_spin_step+0x1d/0x40 [klpt_target]\n"
		 "[<0>] klpt_spin_thread+0x30/0x60 [klpt_target]\n"
		 "[<0>] kthread+0xe8/0x110\n");
	/* A process whose name has spaces and parentheses, pending, user. */
	add_task(root, 60, 61, "a) b (c", 0, 'D', 0, "");
	return root;
}

static void test_kernel_and_patches(void **state)
{
	char sys[4200], proc[4200], *root = make_tree();
	struct sys_paths p = paths_of(root, sys, proc);
	struct snapshot s;

	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 1, NULL), 0);
	assert_string_equal(s.kernel.release, "6.1.0-99-amd64");
	assert_true(s.kernel.livepatch);
	assert_true(s.kernel.taint_livepatch);
	assert_int_equal(s.npatches, 2);
	/* sorted by name */
	assert_string_equal(s.patches[0].name, "klpt_lp_fix");
	assert_int_equal(s.patches[0].transition, 1);
	assert_int_equal(s.patches[0].replace, -1); /* 6.1 has no replace file */
	assert_int_equal(s.patches[0].nobjs, 1);
	assert_string_equal(s.patches[0].objs[0].name, "klpt_target");
	assert_int_equal(s.patches[0].objs[0].patched, 1);
	assert_int_equal(s.patches[0].objs[0].nfuncs, 2);
	assert_string_equal(s.patches[0].objs[0].funcs[0].name, "klpt_ping");
	assert_int_equal(s.patches[0].objs[0].funcs[0].sympos, 2);
	snapshot__free(&s);
	fx_cleanup(root);
}

/* Two patches of the same functions: the kernel's stack_order (6.14+) says
 * which version runs: the enabled patch highest on the stack. */
static void test_live_by_stack_order(void **state)
{
	char sys[4200], proc[4200], *root = make_tree();
	struct sys_paths p = paths_of(root, sys, proc);
	struct snapshot s;

	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_int_equal(s.patches[0].stack_order, -1); /* 6.1: no such file */
	assert_int_equal(s.patches[1].objs[0].funcs[0].live_stack_order, -1);
	snapshot__free(&s);

	fx_write(root, "sys/kernel/livepatch/klpt_lp_fix/stack_order", "1\n");
	fx_write(root, "sys/kernel/livepatch/klpt_lp_vmlinux/stack_order", "2\n");
	/* Not read while klpt_lp_fix is in transition: reading it waits for
	 * klp_mutex, which a stuck completion holds. */
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_int_equal(s.patches[0].stack_order, -1);
	assert_int_equal(s.patches[1].objs[0].funcs[0].live_stack_order, -1);
	snapshot__free(&s);

	fx_write(root, "sys/kernel/livepatch/klpt_lp_fix/transition", "0\n");
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_int_equal(s.patches[0].stack_order, 1);
	assert_int_equal(s.patches[1].stack_order, 2);
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(s.patches[0].objs[0].funcs[k].live_stack_order, 0);
		assert_int_equal(s.patches[1].objs[0].funcs[k].live_stack_order, 1);
	}
	snapshot__free(&s);

	/* The top patch disabled: the one below runs again. */
	fx_write(root, "sys/kernel/livepatch/klpt_lp_vmlinux/enabled", "0\n");
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_int_equal(s.patches[0].objs[0].funcs[0].live_stack_order, 1);
	assert_int_equal(s.patches[1].objs[0].funcs[0].live_stack_order, 0);
	snapshot__free(&s);
	fx_cleanup(root);
}

static void test_transition_pending_tasks(void **state)
{
	char sys[4200], proc[4200], *root = make_tree();
	struct sys_paths p = paths_of(root, sys, proc);
	struct ksyms *ks;
	struct snapshot s;
	const struct task_snap *spin = NULL;
	const struct pending_task *odd = NULL;
	char kpath[4300];

	snprintf(kpath, sizeof(kpath), "%s/proc/kallsyms", root);
	ks = ksyms__load(kpath);
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 1, ks), 0);
	assert_non_null(s.transition);
	assert_string_equal(s.transition->patch, "klpt_lp_fix");
	assert_int_equal(s.transition->target, KLP_PATCHED);
	assert_int_equal(s.transition->tasks_total, 3);
	assert_int_equal(s.transition->tasks_pending, 2);
	/* Two pending tasks that look nothing alike: two groups, each its
	 * own representative with its stack. */
	assert_int_equal(s.transition->ngroups, 2);
	for (size_t i = 0; i < s.transition->ntasks; i++) {
		const struct pending_task *t = &s.transition->tasks[i];

		if (t->tid == 50)
			spin = &s.transition->groups[t->group].rep;
		if (t->tid == 61)
			odd = t;
	}
	assert_non_null(spin);
	assert_string_equal(spin->comm, "klpt_spin");
	assert_true(spin->kthread);
	assert_int_equal(spin->state, 'R');
	assert_int_equal(spin->nstack, 3);
	assert_string_equal(spin->stack[0].symbol, "klpt_spin_step");
	assert_string_equal(spin->stack[0].module, "klpt_target");
	assert_int_equal(spin->stack[0].addr, 0xffffffffc0a0101dull); /* kallsyms + offset */
	assert_true(spin->stack[0].marked);   /* the patched function */
	assert_false(spin->stack[1].marked);
	assert_non_null(odd);
	assert_string_equal(odd->comm, "a) b (c");
	assert_int_equal(odd->pid, 60);
	assert_false(odd->kthread);
	snapshot__free(&s);
	ksyms__free(ks);
	fx_cleanup(root);
}

static void test_transition_done_while_reading(void **state)
{
	/* All tasks report -1: the transition ended; sysfs says 0 when re-read. */
	char sys[4200], proc[4200], *root = fx_root();
	struct sys_paths p = paths_of(root, sys, proc);
	struct snapshot s;

	fx_write(root, "sys/kernel/livepatch/x/enabled", "1\n");
	fx_write(root, "sys/kernel/livepatch/x/transition", "1\n");
	add_task(root, 1, 1, "init", 0, 'S', -1, "");
	snapshot__init(&s);
	/* transition file still 1 here: a real in-progress state with 0 pending */
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_non_null(s.transition);
	assert_int_equal(s.transition->tasks_pending, 0);
	snapshot__free(&s);
	fx_cleanup(root);
}

static void test_no_livepatch(void **state)
{
	char sys[4200], proc[4200], *root = fx_root();
	struct sys_paths p = paths_of(root, sys, proc);
	struct snapshot s;

	fx_write(root, "proc/sys/kernel/osrelease", "6.18.0\n");
	/* sysfs not mounted: no /sys/kernel at all */
	fx_mkdirs(sys);
	snapshot__init(&s);
	log_level = -1; /* silence the expected error */
	assert_int_equal(fill_procfs(&s, &p, 0, NULL),
			 EXIT_NO_LIVEPATCH);
	assert_false(s.kernel.livepatch);
	assert_non_null(strstr(s.kernel.livepatch_why_not, "sysfs is not mounted"));
	snapshot__free(&s);
	/* a kernel built without CONFIG_LIVEPATCH: /sys/kernel, no livepatch */
	fx_write(root, "sys/kernel/osrelease", "");
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), EXIT_NO_LIVEPATCH);
	assert_non_null(strstr(s.kernel.livepatch_why_not,
			       "/sys/kernel/livepatch is missing (CONFIG_LIVEPATCH is not set)"));
	log_level = LOG_WARN;
	snapshot__free(&s);
	fx_cleanup(root);
}

static void test_vanished_patch_is_skipped(void **state)
{
	/* A patch dir without its files: removed between readdir and read. */
	char sys[4200], proc[4200], *root = fx_root();
	struct sys_paths p = paths_of(root, sys, proc);
	char dir[4300];
	struct snapshot s;

	fx_write(root, "sys/kernel/livepatch/ok/enabled", "1\n");
	fx_write(root, "sys/kernel/livepatch/ok/transition", "0\n");
	snprintf(dir, sizeof(dir), "%s/sys/kernel/livepatch/gone", root);
	fx_mkdirs(dir);
	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 0, NULL), 0);
	assert_int_equal(s.npatches, 1);
	assert_string_equal(s.patches[0].name, "ok");
	assert_int_equal(s.nwarnings, 1);
	assert_non_null(strstr(s.warnings[0], "gone"));
	snapshot__free(&s);
	fx_cleanup(root);
}

static void test_stack_line_parsing(void **state)
{
	struct stack_frame f;

	assert_int_equal(procscan__parse_stack_line("[<0>] kthread+0xe8/0x110", &f), 0);
	assert_string_equal(f.symbol, "kthread");
	assert_int_equal(f.offset, 0xe8);
	assert_null(f.module);
	free(f.symbol);
	assert_int_equal(procscan__parse_stack_line("[<0>] foo.isra.0+0x5/0x9 [mod_x]", &f), 0);
	assert_string_equal(f.symbol, "foo.isra.0");
	assert_string_equal(f.module, "mod_x");
	free(f.symbol);
	free(f.module);
	assert_int_equal(procscan__parse_stack_line("[<0>] 0xffffffffc0001234", &f), 0);
	assert_int_equal(f.addr, 0xffffffffc0001234ull);
	assert_null(f.symbol);
	assert_int_not_equal(procscan__parse_stack_line("garbage", &f), 0);
}

static void test_json_schema_keys(void **state)
{
	char sys[4200], proc[4200], *root = make_tree();
	struct sys_paths p = paths_of(root, sys, proc);
	json_object *o, *k, *tr, *pend, *t, *st, *v;
	struct snapshot s;

	snapshot__init(&s);
	assert_int_equal(fill_procfs(&s, &p, 1, NULL), 0);
	o = snapshot__to_json(&s);
	assert_true(json_object_object_get_ex(o, "kernel", &k));
	assert_true(json_object_object_get_ex(k, "release", &v));
	assert_string_equal(json_object_get_string(v), "6.1.0-99-amd64");
	assert_true(json_object_object_get_ex(k, "taint_livepatch", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "patches", &v));
	assert_int_equal(json_object_array_length(v), 2);
	v = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(v, "objects", &v));
	v = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(v, "funcs", &v));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 0), "sympos", NULL));
	assert_true(json_object_object_get_ex(o, "transition", &tr));
	assert_true(json_object_object_get_ex(tr, "tasks_pending", &v));
	assert_int_equal(json_object_get_int(v), 2);
	assert_true(json_object_object_get_ex(tr, "target", &v));
	assert_string_equal(json_object_get_string(v), "patched");
	/* Every pending task, compact, with the index of its group. */
	assert_true(json_object_object_get_ex(tr, "pending", &pend));
	assert_int_equal(json_object_array_length(pend), 2);
	for (size_t i = 0; i < json_object_array_length(pend); i++) {
		t = json_object_array_get_idx(pend, i);
		assert_true(json_object_object_get_ex(t, "group", &v));
		assert_false(json_object_object_get_ex(t, "stack", NULL));
	}
	/* Stacks are the groups': one group per kind of blocker. */
	assert_true(json_object_object_get_ex(tr, "groups", &pend));
	assert_int_equal(json_object_array_length(pend), 2);
	for (size_t i = 0; i < json_object_array_length(pend); i++) {
		json_object *task;

		t = json_object_array_get_idx(pend, i);
		assert_true(json_object_object_get_ex(t, "count", &v));
		assert_int_equal(json_object_get_int(v), 1);
		assert_true(json_object_object_get_ex(t, "tids", &v));
		assert_int_equal(json_object_array_length(v), 1);
		if (json_object_get_int(json_object_array_get_idx(v, 0)) != 50)
			continue;
		assert_true(json_object_object_get_ex(t, "kthread", &v));
		assert_true(json_object_get_boolean(v));
		assert_true(json_object_object_get_ex(t, "state", &v));
		assert_string_equal(json_object_get_string(v), "R");
		assert_true(json_object_object_get_ex(t, "task", &task));
		assert_true(json_object_object_get_ex(task, "stack", &st));
		v = json_object_array_get_idx(st, 0);
		assert_true(json_object_object_get_ex(v, "symbol", &v));
		assert_string_equal(json_object_get_string(v), "klpt_spin_step");
		v = json_object_array_get_idx(st, 0);
		assert_true(json_object_object_get_ex(v, "addr", &v));
		assert_int_equal(json_object_get_type(v), json_type_string);
	}
	json_object_put(o);
	/* No transition: "transition" is JSON null, not absent. */
	snapshot__free(&s);
	snapshot__init(&s);
	o = snapshot__to_json(&s);
	assert_true(json_object_object_get_ex(o, "transition", &v));
	assert_null(v);
	json_object_put(o);
	fx_cleanup(root);
}

static void test_strict_numbers(void **state)
{
	long v;
	unsigned long u;

	assert_int_equal(parse_long("42\n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_not_equal(parse_long("abc", &v), 0);
	assert_int_not_equal(parse_long("", &v), 0);
	assert_int_not_equal(parse_long("12x", &v), 0);
	assert_int_not_equal(parse_long("99999999999999999999999", &v), 0);
	assert_int_not_equal(parse_ulong("-1", 10, &u), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_and_patches),
		cmocka_unit_test(test_live_by_stack_order),
		cmocka_unit_test(test_transition_pending_tasks),
		cmocka_unit_test(test_transition_done_while_reading),
		cmocka_unit_test(test_no_livepatch),
		cmocka_unit_test(test_vanished_patch_is_skipped),
		cmocka_unit_test(test_stack_line_parsing),
		cmocka_unit_test(test_json_schema_keys),
		cmocka_unit_test(test_strict_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
