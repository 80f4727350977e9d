// SPDX-License-Identifier: GPL-2.0
/* klptop force / disable: the confirmation and the kernel-log line, the two
 * things that stand between a tired operator and an unsafe write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "live/act.h"

static int answer(const char *typed, enum act_kind k, char *prompt, size_t plen)
{
	FILE *in = fmemopen((void *)typed, strlen(typed), "r");
	FILE *out = fmemopen(prompt, plen, "w");
	int ok;

	assert_non_null(in);
	assert_non_null(out);
	ok = act__confirm(in, out, k, "klpt_lp_fix");
	fclose(in);
	fclose(out);
	return ok;
}

static void confirm_needs_the_exact_name(void **state)
{
	char prompt[256];

	assert_true(answer("klpt_lp_fix\n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_non_null(strstr(prompt, "(klpt_lp_fix) to force it"));
	assert_true(answer("klpt_lp_fix", ACT_DISABLE, prompt, sizeof(prompt)));
	assert_non_null(strstr(prompt, "to disable it"));
	/* "yes", a prefix, a near miss or nothing at all: no. */
	assert_false(answer("y\n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_false(answer("yes\n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_false(answer("klpt_lp\n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_false(answer("klpt_lp_fix \n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_false(answer("\n", ACT_FORCE, prompt, sizeof(prompt)));
	assert_false(answer("", ACT_FORCE, prompt, sizeof(prompt)));
}

static void audit_line_names_who_what_and_the_unsafe(void **state)
{
	struct pending_task tasks[10];
	struct transition_info tr = { .patch = "klpt_lp_fix", .tasks = tasks, .ntasks = 10 };
	char line[1024];

	memset(tasks, 0, sizeof(tasks));
	for (int i = 0; i < 10; i++) {
		tasks[i].tid = 100 + i;
		snprintf(tasks[i].comm, sizeof(tasks[i].comm), "t%d", i);
	}
	act__audit_line(line, sizeof(line), ACT_FORCE, "klpt_lp_fix", 42, 0, "alice", &tr,
			"INC-7: spinner");
	assert_string_equal(line, "klptop[42]: force klpt_lp_fix by uid 0 (sudo: alice): 10 unsafe:"
			    " 100/t0 101/t1 102/t2 103/t3 104/t4 105/t5 106/t6 107/t7 ...;"
			    " reason: INC-7: spinner");
	tr.ntasks = 1;
	act__audit_line(line, sizeof(line), ACT_DISABLE, "klpt_lp_fix", 7, 1000, NULL, &tr, NULL);
	assert_string_equal(line, "klptop[7]: disable klpt_lp_fix by uid 1000: 1 pending: 100/t0");
	act__audit_line(line, sizeof(line), ACT_DISABLE, "p", 7, 0, "", NULL, "");
	assert_string_equal(line, "klptop[7]: disable p by uid 0");
	/* A short buffer truncates; it never overflows. */
	act__audit_line(line, 20, ACT_FORCE, "klpt_lp_fix", 42, 0, "alice", &tr, "x");
	assert_int_equal(strlen(line), 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(confirm_needs_the_exact_name),
		cmocka_unit_test(audit_line_names_who_what_and_the_unsafe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
