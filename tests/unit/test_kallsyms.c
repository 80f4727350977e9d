// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "live/kallsyms.h"
#include "lib/util.h"

/* Shape of /proc/kallsyms on the 6.1 lab kernel, module symbols included. */
static const char *sample =
	"ffffffff81000000 T _stext\n"
	"ffffffff81001000 T startup_64\n"
	"ffffffff81234560 t cmdline_proc_show\n"
	"ffffffff81234600 T meminfo_proc_show\n"
	"ffffffff81234600 t meminfo_alias\n"
	"ffffffff82000000 D some_data\n"
	"ffffffff81300000 t dup_name\n"
	"ffffffff81400000 t dup_name\n"
	"ffffffffc0a01000 t klpt_spin_step\t[klpt_target]\n"
	"ffffffffc0a01100 t klpt_sleep_in\t[klpt_target]\n"
	"ffffffffc0b00000 t klpt_spin_step\t[klpt_lp_fix]\n"
	"garbage line\n";

static struct ksyms *load(void)
{
	return ksyms__parse(xstrdup(sample));
}

static void test_find_addr_inside_function(void **state)
{
	struct ksyms *ks = load();
	uint64_t off = 0;
	const struct ksym *s = ksyms__find_addr(ks, 0xffffffffc0a0101dull, &off);

	assert_non_null(s);
	assert_string_equal(s->name, "klpt_spin_step");
	assert_string_equal(s->module, "klpt_target");
	assert_int_equal(off, 0x1d);
	ksyms__free(ks);
}

static void test_find_addr_prefers_global_alias(void **state)
{
	struct ksyms *ks = load();
	const struct ksym *s = ksyms__find_addr(ks, 0xffffffff81234604ull, NULL);

	assert_non_null(s);
	assert_string_equal(s->name, "meminfo_proc_show");
	assert_null(s->module);
	ksyms__free(ks);
}

static void test_find_addr_skips_data_and_bounds(void **state)
{
	struct ksyms *ks = load();

	/* Below the first symbol: nothing. */
	assert_null(ksyms__find_addr(ks, 0xffffffff80000000ull, NULL));
	/* 0 (a hidden address) is never symbolized. */
	assert_null(ksyms__find_addr(ks, 0, NULL));
	ksyms__free(ks);
}

static void test_find_name_by_module(void **state)
{
	struct ksyms *ks = load();
	const struct ksym *s;

	s = ksyms__find_name(ks, "klpt_spin_step", "klpt_lp_fix");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffffc0b00000ull);
	s = ksyms__find_name(ks, "klpt_spin_step", "klpt_target");
	assert_int_equal(s->addr, 0xffffffffc0a01000ull);
	assert_null(ksyms__find_name(ks, "klpt_spin_step", NULL)); /* not in vmlinux */
	assert_non_null(ksyms__find_name(ks, "cmdline_proc_show", NULL));
	ksyms__free(ks);
}

static void test_count_duplicates(void **state)
{
	struct ksyms *ks = load();
	const struct ksym *out[4];

	assert_int_equal(ksyms__count_name(ks, "dup_name", NULL, out, 4), 2);
	assert_true(out[0]->addr < out[1]->addr);
	assert_int_equal(ksyms__count_name(ks, "klpt_spin_step", "*", NULL, 0), 2);
	assert_int_equal(ksyms__count_name(ks, "nope", "*", NULL, 0), 0);
	ksyms__free(ks);
}

static void test_hidden_addresses(void **state)
{
	struct ksyms *ks = ksyms__parse(xstrdup("0000000000000000 T a\n0000000000000000 t b\n"));

	assert_true(ks->addrs_hidden);
	assert_null(ksyms__find_addr(ks, 0x1234, NULL));
	ksyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_addr_inside_function),
		cmocka_unit_test(test_find_addr_prefers_global_alias),
		cmocka_unit_test(test_find_addr_skips_data_and_bounds),
		cmocka_unit_test(test_find_name_by_module),
		cmocka_unit_test(test_count_duplicates),
		cmocka_unit_test(test_hidden_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
