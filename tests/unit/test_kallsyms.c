// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* ---- ksymtab: modules that come and go ---------------------------------- */

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

struct tree {
	char dir[64], kallsyms[96], modules[96];
};

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void tree_new(struct tree *t, const char *kallsyms, const char *modules)
{
	strcpy(t->dir, "/tmp/klptop-ksymtab-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->kallsyms, sizeof(t->kallsyms), "%s/kallsyms", t->dir);
	snprintf(t->modules, sizeof(t->modules), "%s/modules", t->dir);
	put(t->kallsyms, kallsyms);
	put(t->modules, modules);
}

/* A ksymtab of the tree's files, on the fake clock, opened at 1 us. */
static struct ksymtab *open_at_start(struct tree *tr, const char *kallsyms, const char *modules)
{
	struct ksymtab *t;

	tree_new(tr, kallsyms, modules);
	fake_now = 1000;
	ksymtab__set_clock(fake_clock);
	t = ksymtab__open(tr->kallsyms);
	assert_non_null(t);
	return t;
}

static void tree_free(struct tree *t)
{
	unlink(t->kallsyms);
	unlink(t->modules);
	rmdir(t->dir);
}

/* As on the lab kernel: an ftrace trampoline (a pseudo-module, in no module
 * list) right below the address where the next module will be loaded. */
static const char *ks_before =
	"ffffffff81000000 T _stext\n"
	"ffffffff81234560 T klp_shadow_alloc\n"
	"ffffffffc0a01000 t klpt_obj_create\t[klpt_target]\n"
	"ffffffffc0a01100 t klpt_churn_fn\t[klpt_target]\n"
	"ffffffffc0afe000 t ftrace_trampoline\t[__builtin__ftrace]\n";
static const char *mods_before = "klpt_target 65536 0 - Live 0xffffffffc0a00000 (OE)\n";
static const char *ks_patched =
	"ffffffff81000000 T _stext\n"
	"ffffffff81234560 T klp_shadow_alloc\n"
	"ffffffffc0a01000 t klpt_obj_create\t[klpt_target]\n"
	"ffffffffc0a01100 t klpt_churn_fn\t[klpt_target]\n"
	"ffffffffc0afe000 t ftrace_trampoline\t[__builtin__ftrace]\n"
	"ffffffffc0b00040 t livepatch_klpt_obj_create\t[klpt_lp_shadow_leak]\n";
static const char *mods_patched =
	"klpt_lp_shadow_leak 24576 1 - Live 0xffffffffc0b00000 (OEK)\n"
	"klpt_target 65536 1 klpt_lp_shadow_leak, Live 0xffffffffc0a00000 (OE)\n";

static void test_ksymtab_patch_loaded_after_start(void **state)
{
	struct tree tr;
	struct ksymtab *t;
	const struct ksym *s;
	uint64_t off = 0, ip = 0xffffffffc0b00052ull;
	int lp;

	t = open_at_start(&tr, ks_before, mods_before);
	/* The read of start time alone never names the trampoline. */
	assert_null(ksymtab__find_addr(t, ip, 0, NULL));
	/* The patch loads at 2 s; klptop looks again at 3 s. */
	put(tr.kallsyms, ks_patched);
	put(tr.modules, mods_patched);
	fake_now = 3000000000ull;
	ksymtab__refresh(t);
	/* An address captured at 2.5 s, between the two looks. */
	s = ksymtab__find_addr(t, ip, 2500000000ull, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "livepatch_klpt_obj_create");
	assert_string_equal(s->module, "klpt_lp_shadow_leak");
	assert_int_equal(off, 0x12);
	/* Captured before the first look: the module was not there. */
	assert_null(ksymtab__find_addr(t, ip, 500, NULL));
	assert_int_equal(ksymtab__module_loaded(t, "klpt_lp_shadow_leak", &lp), 1);
	assert_true(lp);
	assert_int_equal(ksymtab__module_loaded(t, "klpt_target", &lp), 1);
	assert_false(lp);
	assert_int_equal(ksymtab__module_loaded(t, "klpt_lp_nope", NULL), -1);
	ksymtab__free(t);
	tree_free(&tr);
}

static void test_ksymtab_unloaded_module_keeps_its_names(void **state)
{
	struct tree tr;
	struct ksymtab *t;
	const struct ksym *s;
	uint64_t ip = 0xffffffffc0b00052ull;

	t = open_at_start(&tr, ks_patched, mods_patched);
	/* rmmod at 2 s, seen at 3 s; another module takes the address at 4 s. */
	put(tr.kallsyms, ks_before);
	put(tr.modules, mods_before);
	fake_now = 3000000000ull;
	ksymtab__refresh(t);
	assert_int_equal(ksymtab__module_loaded(t, "klpt_lp_shadow_leak", NULL), 0);
	put(tr.kallsyms, "ffffffff81234560 T klp_shadow_alloc\n"
			 "ffffffffc0a01000 t klpt_obj_create\t[klpt_target]\n"
			 "ffffffffc0b00010 t other_fn\t[other]\n");
	put(tr.modules, "other 8192 0 - Live 0xffffffffc0b00000\n"
			"klpt_target 65536 0 - Live 0xffffffffc0a00000 (OE)\n");
	fake_now = 5000000000ull;
	ksymtab__refresh(t);
	/* Captured while the patch was loaded: still its name. */
	s = ksymtab__find_addr(t, ip, 1500000000ull, NULL);
	assert_non_null(s);
	assert_string_equal(s->module, "klpt_lp_shadow_leak");
	/* Captured after the other module came: the other name. */
	s = ksymtab__find_addr(t, ip, 4500000000ull, NULL);
	assert_non_null(s);
	assert_string_equal(s->name, "other_fn");
	assert_string_equal(s->module, "other");
	/* Between the look that saw the patch gone and the one that saw the
	 * other module: only the other can have held it. */
	s = ksymtab__find_addr(t, ip, 3500000000ull, NULL);
	assert_non_null(s);
	assert_string_equal(s->module, "other");
	/* vmlinux is vmlinux at any time. */
	s = ksymtab__find_addr(t, 0xffffffff81234570ull, 1500000000ull, NULL);
	assert_non_null(s);
	assert_null(s->module);
	ksymtab__free(t);
	tree_free(&tr);
}

static void test_ksymtab_new_bpf_program_named_after_a_reload(void **state)
{
	struct tree tr;
	struct ksymtab *t;
	const struct ksym *s;
	uint64_t ip = 0xffffffffa0001010ull;

	t = open_at_start(&tr, ks_before, mods_before);
	put(tr.kallsyms, "ffffffffa0001000 t bpf_prog_1234_kfree_hook\t[bpf]\n");
	/* Not known, and the last read is too recent to read again. */
	assert_null(ksymtab__find_addr(t, ip, 0, NULL));
	ksymtab__refresh(t);
	assert_null(ksymtab__find_addr(t, ip, 0, NULL));
	/* A second later the miss makes the refresh read kallsyms again. */
	fake_now = 2000000000ull;
	ksymtab__refresh(t);
	s = ksymtab__find_addr(t, ip, 0, NULL);
	assert_non_null(s);
	assert_string_equal(s->module, "bpf");
	ksymtab__free(t);
	tree_free(&tr);
}

static void test_pseudo_module_extent(void **state)
{
	struct ksyms *ks = ksyms__parse(xstrdup(ks_before));

	/* In the trampoline's page: its name; further on: not its code. */
	assert_non_null(ksyms__find_addr(ks, 0xffffffffc0afe100ull, NULL));
	assert_null(ksyms__find_addr(ks, 0xffffffffc0b00052ull, NULL));
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
		cmocka_unit_test(test_pseudo_module_extent),
		cmocka_unit_test(test_ksymtab_patch_loaded_after_start),
		cmocka_unit_test(test_ksymtab_unloaded_module_keeps_its_names),
		cmocka_unit_test(test_ksymtab_new_bpf_program_named_after_a_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
