// SPDX-License-Identifier: GPL-2.0
/* Kernel facts klptop derives instead of assuming: TIF_PATCH_PENDING's bit
 * (by observation), where a running task switches (from kallsyms), and the
 * verdict advice that follows from it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "live/kallsyms.h"
#include "live/kfacts.h"
#include "model/model.h"

#define BIT(n) (1ull << (n))
/* Bits a 7.x x86 task may carry besides TIF_PATCH_PENDING (9): need_resched
 * (3), sigpending (2), notify_resume (1), 64-bit/user flags higher up. */
#define TIF_PP_7 9
#define TIF_PP_6 13

static void test_tif_one_walk_singles_out_the_bit(void **state)
{
	struct tif_guess g = { 0 };
	/* Two pending tasks share bit 9 and bit 29; a switched one has 29. */
	uint64_t and_pending = (BIT(TIF_PP_7) | BIT(29) | BIT(3)) & (BIT(TIF_PP_7) | BIT(29));
	uint64_t or_switched = BIT(29) | BIT(1);

	assert_int_equal(tif_guess__narrow(&g, and_pending, or_switched), TIF_PP_7);
	assert_int_equal(tif_guess__bit(&g), TIF_PP_7);
}

static void test_tif_unknown_until_one_bit_is_left(void **state)
{
	struct tif_guess g = { 0 };

	assert_int_equal(tif_guess__bit(&g), -1);
	/* The lone pending spinner has need_resched too: two candidates. */
	assert_int_equal(tif_guess__narrow(&g, BIT(TIF_PP_6) | BIT(3), BIT(1)), -1);
	/* A later walk where it has not: the bit is known, and stays known. */
	assert_int_equal(tif_guess__narrow(&g, BIT(TIF_PP_6), BIT(1) | BIT(3)), TIF_PP_6);
	assert_int_equal(tif_guess__narrow(&g, BIT(TIF_PP_6) | BIT(3), 0), TIF_PP_6);
}

static void test_tif_walks_that_tell_nothing_are_ignored(void **state)
{
	struct tif_guess g = { 0 };

	assert_int_equal(tif_guess__narrow(&g, BIT(TIF_PP_7), BIT(2)), TIF_PP_7);
	/* A pending task caught after it cleared the bit (switching now): no
	 * bit fits, nothing learnt. */
	assert_int_equal(tif_guess__narrow(&g, 0, BIT(2)), TIF_PP_7);
	/* A walk that contradicts the known bit does not replace it. */
	assert_int_equal(tif_guess__narrow(&g, BIT(4), 0), TIF_PP_7);
}

static enum switch_point probe(const char *kallsyms)
{
	struct ksyms *ks = ksyms__parse(xstrdup(kallsyms));
	enum switch_point p = switch_point__probe(ks);

	ksyms__free(ks);
	return p;
}

static void test_switch_point_from_symbols(void **state)
{
	/* 6.1: no __klp_sched_try_switch at all. */
	assert_int_equal(probe("ffffffff81100000 T klp_try_switch_task\n"), SWITCH_POINT_NONE);
	/* 6.12: klp_cond_resched and the dynamic switch. */
	assert_int_equal(probe("ffffffff81100000 T __klp_sched_try_switch\n"
			       "ffffffff81200000 t klp_cond_resched\n"
			       "ffffffff81200100 T sched_dynamic_klp_enable\n"),
			 SWITCH_POINT_COND_RESCHED);
	/* 7.2: only __klp_sched_try_switch, called from __schedule(). */
	assert_int_equal(probe("ffffffff81100000 T __klp_sched_try_switch\n"
			       "ffffffff82000000 d klp_sched_try_switch_key\n"),
			 SWITCH_POINT_FREEZABLE);
	assert_int_equal(probe(""), SWITCH_POINT_NONE);
}

/* A kthread found running at every one of 5 checks, never asleep. */
static void judge_spinner(struct task_snap *t, enum switch_point p)
{
	struct snapshot s;

	snapshot__init(&s);
	s.switch_point = p;
	s.probes.bpf = 1;
	memset(t, 0, sizeof(*t));
	t->kthread = 1;
	t->state = 'R';
	t->reason = REASON_RUNNING;
	t->rounds_failed = 5;
	t->checks_running = 5;
	blocker__judge(t, &s);
}

static void test_stuck_advice_per_switch_point(void **state)
{
	struct task_snap t;

	judge_spinner(&t, SWITCH_POINT_COND_RESCHED);
	assert_int_equal(t.verdict, VERDICT_STUCK);
	assert_non_null(strstr(t.verdict_text, "cond_resched() or a sleep outside the patched function"));
	free(t.verdict_text);
	free(t.help);

	judge_spinner(&t, SWITCH_POINT_FREEZABLE);
	assert_int_equal(t.verdict, VERDICT_STUCK);
	assert_non_null(strstr(t.verdict_text, "cond_resched() does not switch tasks on this kernel"));
	assert_non_null(strstr(t.verdict_text, "freezable sleep"));
	free(t.verdict_text);
	free(t.help);

	judge_spinner(&t, SWITCH_POINT_NONE);
	assert_int_equal(t.verdict, VERDICT_STUCK);
	assert_non_null(strstr(t.verdict_text, "cond_resched() does not switch tasks on this kernel"));
	assert_null(strstr(t.verdict_text, "freezable"));
	free(t.verdict_text);
	free(t.help);
}

/* cond_resched() on the on-CPU stack means "will switch" only where the
 * kernel switches there. */
static void test_cond_resched_frame_counts_only_where_it_switches(void **state)
{
	struct stack_frame f[2] = { { .symbol = "__cond_resched" }, { .symbol = "klpt_spin_cr_fn" } };
	struct task_snap t;

	for (int p = SWITCH_POINT_NONE; p <= SWITCH_POINT_FREEZABLE; p++) {
		struct snapshot s;

		snapshot__init(&s);
		s.switch_point = (enum switch_point)p;
		memset(&t, 0, sizeof(t));
		t.kthread = 1;
		t.state = 'R';
		t.reason = REASON_RUNNING;
		t.rounds_failed = 5;
		t.checks_running = 5;
		t.oncpu = f;
		t.noncpu = 2;
		blocker__judge(&t, &s);
		assert_int_equal(t.verdict, p == SWITCH_POINT_COND_RESCHED ? VERDICT_WILL_SWITCH
									   : VERDICT_STUCK);
		free(t.verdict_text);
		free(t.help);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tif_one_walk_singles_out_the_bit),
		cmocka_unit_test(test_tif_unknown_until_one_bit_is_left),
		cmocka_unit_test(test_tif_walks_that_tell_nothing_are_ignored),
		cmocka_unit_test(test_switch_point_from_symbols),
		cmocka_unit_test(test_stuck_advice_per_switch_point),
		cmocka_unit_test(test_cond_resched_frame_counts_only_where_it_switches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
