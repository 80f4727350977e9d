// SPDX-License-Identifier: GPL-2.0
/* Attach-point choice: KLPTOP_DISABLE_ATTACH and what a missing point costs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "live/attach.h"
#include "live/kallsyms.h"
#include "lib/util.h"

static const char *sample =
	"ffffffff81100000 t klp_try_complete_transition\n"
	"ffffffff81100200 t klp_check_and_switch_task\n"
	"ffffffff82000000 d klp_signals_cnt\n";

static void test_disabled_list(void **state)
{
	setenv("KLPTOP_DISABLE_ATTACH", "klp_check_and_switch_task, iter/task,perf_event", 1);
	assert_true(attach__disabled("klp_check_and_switch_task"));
	assert_true(attach__disabled("iter/task"));
	assert_true(attach__disabled("perf_event"));
	/* whole names only */
	assert_false(attach__disabled("klp_check"));
	assert_false(attach__disabled("klp_check_and_switch_task2"));
	assert_false(attach__disabled("klp_try_complete_transition"));
	unsetenv("KLPTOP_DISABLE_ATTACH");
	assert_false(attach__disabled("iter/task"));
}

static void test_kprobe_ok_honours_disable(void **state)
{
	struct ksyms *ks = ksyms__parse(xstrdup(sample));

	assert_true(attach__kprobe_ok(ks, NULL, "klp_try_complete_transition"));
	assert_false(attach__kprobe_ok(ks, NULL, "klp_signals_cnt"));   /* data */
	assert_false(attach__kprobe_ok(ks, NULL, "klp_no_such_thing"));
	assert_false(attach__kprobe_ok(ks, "klp_check_and_switch_task\n",
				       "klp_try_complete_transition")); /* not traceable */
	setenv("KLPTOP_DISABLE_ATTACH", "klp_try_complete_transition", 1);
	assert_false(attach__kprobe_ok(ks, NULL, "klp_try_complete_transition"));
	assert_true(attach__kprobe_ok(ks, NULL, "klp_check_and_switch_task"));
	unsetenv("KLPTOP_DISABLE_ATTACH");
	ksyms__free(ks);
}

static void test_lost(void **state)
{
	assert_non_null(strstr(attach__lost("kprobe/klp_try_complete_transition"), "rounds"));
	assert_string_equal(attach__lost("kretprobe/klp_try_complete_transition"),
			    attach__lost("kprobe/klp_try_complete_transition"));
	assert_non_null(strstr(attach__lost("kprobe/klp_check_and_switch_task"), "reasons"));
	assert_non_null(strstr(attach__lost("shadow: kprobe/klp_shadow_get"), "stale"));
	assert_non_null(strstr(attach__lost("iter/task (using procfs)"), "/proc"));
	assert_non_null(attach__lost("perf_event cpu-clock (no on-CPU stacks of running blockers)"));
	/* entries that explain themselves */
	assert_null(attach__lost("klp_signals_cnt in kallsyms (signal rounds counted from the rounds seen)"));
	assert_null(attach__lost("kprobe/klp_unknown_function"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled_list),
		cmocka_unit_test(test_kprobe_ok_honours_disable),
		cmocka_unit_test(test_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
