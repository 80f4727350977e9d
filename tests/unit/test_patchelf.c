// SPDX-License-Identifier: GPL-2.0
/* The module reader beyond the static klp_patch (test_check.c has those):
 * klp-build's .init.klp_objects / .init.klp_funcs, the replace its init
 * stores, and the shadow ids the code passes to klp_shadow_*, on objects
 * the host compiler makes with the kernel's code model, and on the lab's
 * modules when `make kmod` has built them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/patchelf.h"
#include "check/x86insn.h"
#include "fixture.h"
#include "lib/util.h"

/* tests/fuzz/klp_build_fake.c (klp-build's output as the compiler lays it
 * out, shadow calls with constant, computed and branch-dependent ids)
 * compiled with -DREPLACE=replace into root; 0 if the compiler cannot. */
static int compile_kb(const char *root, int replace, char *obj, size_t len)
{
	char cmd[9000];

	snprintf(obj, len, "%s/kb%d.o", root, replace);
	snprintf(cmd, sizeof(cmd),
		 "cc -c -O2 -fno-pic -mcmodel=kernel -mno-red-zone -DREPLACE=%d -o %s "
		 "tests/fuzz/klp_build_fake.c", replace, obj);
	return system(cmd) == 0;
}

static const struct lp_shadow_call *call_in(const struct lp_patch *p, const char *caller,
					    const char *call, int nth)
{
	for (size_t i = 0; i < p->nshadow_calls; i++)
		if (p->shadow_calls[i].caller && !strcmp(p->shadow_calls[i].caller, caller) &&
		    !strcmp(p->shadow_calls[i].call, call) && nth-- == 0)
			return &p->shadow_calls[i];
	return NULL;
}

static void test_klp_build_compiled(void **state)
{
	char *root = fx_root(), obj[4200], err[256];
	const struct lp_shadow_call *c;
	struct lp_patch p;

	if (!compile_kb(root, 1, obj, sizeof(obj))) {
		fx_cleanup(root);
		skip();
	}
	assert_int_equal(patchelf__read(obj, &p, err, sizeof(err)), 0);
	assert_true(p.found);
	assert_int_equal(p.format, LP_FORMAT_KLP_BUILD);
	assert_string_equal(lp_format__name(p.format), "klp-build");
	assert_string_equal(p.module, "kb_lp");
	assert_true(p.livepatch_tag);
	assert_true(p.replace);
	assert_true(p.replace_seen);
	assert_int_equal(p.nobjs, 2);
	assert_null(p.objs[0].name);
	assert_int_equal(p.objs[0].nfuncs, 2);
	assert_string_equal(p.objs[0].funcs[0].name, "cmdline_proc_show");
	assert_string_equal(p.objs[0].funcs[0].new_name, "new_show");
	assert_int_equal(p.objs[0].funcs[1].sympos, 2);
	assert_string_equal(p.objs[0].funcs[1].new_name, "computed");
	assert_string_equal(p.objs[1].name, "klpt_target");
	assert_int_equal(p.objs[1].nfuncs, 1);
	assert_string_equal(p.objs[1].funcs[0].name, "klpt_ping");
	assert_string_equal(p.objs[1].funcs[0].new_name, "new_ping");
	/* the ids */
	c = call_in(&p, "new_show", "klp_shadow_get", 0);
	assert_non_null(c);
	assert_true(c->id_known);
	assert_int_equal(c->id, 0x1234);
	c = call_in(&p, "new_show", "klp_shadow_alloc", 0);
	assert_non_null(c);
	assert_true(c->id_known);
	assert_int_equal(c->id, 0xabcdef0123ull);
	c = call_in(&p, "cleanup", "klp_shadow_free_all", 0);
	assert_non_null(c);
	assert_true(c->id_known);
	assert_int_equal(c->id, 0);
	/* not constants: a return value, a value that depends on a branch, an
	 * address (a relocation fills the immediate) */
	assert_non_null(c = call_in(&p, "computed", "klp_shadow_get", 0));
	assert_false(c->id_known);
	assert_non_null(c = call_in(&p, "branchy", "klp_shadow_get", 0));
	assert_false(c->id_known);
	assert_non_null(c = call_in(&p, "address", "klp_shadow_get", 0));
	assert_false(c->id_known);
	lp_patch__free(&p);

	/* built with KLP_NO_REPLACE: the init stores 0 */
	assert_true(compile_kb(root, 0, obj, sizeof(obj)));
	assert_int_equal(patchelf__read(obj, &p, err, sizeof(err)), 0);
	assert_int_equal(p.format, LP_FORMAT_KLP_BUILD);
	assert_true(p.replace_seen);
	assert_false(p.replace);
	lp_patch__free(&p);
	fx_cleanup(root);
}

/* The same bytes from memory, and cut short anywhere: never a crash, and a
 * cut file is an error or a partial read, not garbage. */
static void test_read_mem(void **state)
{
	char *root = fx_root(), obj[4200], err[256];
	struct lp_patch p;
	size_t len;
	char *buf;

	if (!compile_kb(root, 1, obj, sizeof(obj))) {
		fx_cleanup(root);
		skip();
	}
	buf = read_all(obj, &len);
	assert_non_null(buf);
	assert_int_equal(patchelf__read_mem(buf, len, &p, err, sizeof(err)), 0);
	assert_int_equal(p.nobjs, 2);
	lp_patch__free(&p);
	for (size_t cut = 0; cut < len; cut += 61) {
		char *copy = xmalloc(cut + 1);

		memcpy(copy, buf, cut);
		if (patchelf__read_mem(copy, cut, &p, err, sizeof(err)) == 0)
			lp_patch__free(&p);
		free(copy);
	}
	free(buf);
	fx_cleanup(root);
}

/* Instruction lengths and constants the decoder must get right. */
static void test_x86_decode(void **state)
{
	static const struct {
		const char *what;
		uint8_t bytes[16];
		size_t len;
	} cases[] = {
		{ "mov $imm32,%esi", { 0xbe, 0x01, 0x70, 0x6c, 0x6b }, 5 },
		{ "movabs $imm64,%rsi", { 0x48, 0xbe, 1, 2, 3, 4, 5, 6, 7, 8 }, 10 },
		{ "mov $imm32,%rsi", { 0x48, 0xc7, 0xc6, 0x34, 0x12, 0, 0 }, 7 },
		{ "endbr64", { 0xf3, 0x0f, 0x1e, 0xfa }, 4 },
		{ "nopl 0(%rax,%rax)", { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5 },
		{ "lea 0x0(%rip),%rdi", { 0x48, 0x8d, 0x3d, 0, 0, 0, 0 }, 7 },
		{ "movb $1,0x18(%rax)", { 0xc6, 0x40, 0x18, 0x01 }, 4 },
		{ "mov %gs:0x0,%rax", { 0x65, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0 }, 9 },
		{ "testb $1,(%rdi)", { 0xf6, 0x07, 0x01 }, 3 },
		{ "test %eax,%eax", { 0x85, 0xc0 }, 2 },
		{ "jne rel32", { 0x0f, 0x85, 0, 0, 0, 0 }, 6 },
		{ "call rel32", { 0xe8, 0, 0, 0, 0 }, 5 },
		{ "mov %r8w,0x10(%rsp,%rcx,8)", { 0x66, 0x44, 0x89, 0x44, 0xcc, 0x10 }, 6 },
		{ "imul $0x38,%rax,%rdx", { 0x48, 0x6b, 0xd0, 0x38 }, 4 },
		{ "movzbl 0x4(%rbx),%eax", { 0x0f, 0xb6, 0x43, 0x04 }, 4 },
		{ "enter $8,$0", { 0xc8, 0x08, 0x00, 0x00 }, 4 },
	};
	struct x86_insn in;
	uint8_t reg;
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t got = x86_decode(cases[i].bytes, sizeof(cases[i].bytes), &in);

		if (got != cases[i].len)
			fail_msg("%s: length %zu, want %zu", cases[i].what, got, cases[i].len);
	}
	x86_decode(cases[0].bytes, 16, &in);
	assert_true(x86_sets_const(&in, &reg, &v));
	assert_int_equal(reg, X86_RSI);
	assert_int_equal(v, 0x6b6c7001);
	x86_decode(cases[1].bytes, 16, &in);
	assert_true(x86_sets_const(&in, &reg, &v));
	assert_int_equal(v, 0x0807060504030201ull);
	x86_decode(cases[6].bytes, 16, &in);
	assert_int_equal(in.disp, 0x18);
	assert_int_equal(in.imm, 1);
	/* cut short, VEX: not decoded */
	assert_int_equal(x86_decode(cases[1].bytes, 5, &in), 0);
	assert_int_equal(x86_decode((const uint8_t *)"\xc5\xf8\x77", 3, &in), 0);
}

static void test_lab_modules(void **state)
{
	struct lp_patch p;
	char err[256];
	glob_t g;
	int seen = 0;

	if (glob("build/kmod/*/klpt_lp_shadow_ok.ko", 0, NULL, &g))
		skip(); /* make kmod not run */
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const struct lp_shadow_call *c;

		assert_int_equal(patchelf__read(g.gl_pathv[i], &p, err, sizeof(err)), 0);
		assert_int_equal(p.format, LP_FORMAT_STATIC);
		assert_int_equal(p.nshadow_calls, 3);
		for (size_t k = 0; k < p.nshadow_calls; k++) {
			assert_true(p.shadow_calls[k].id_known);
			assert_int_equal(p.shadow_calls[k].id, 0x6b6c7002);
		}
		c = call_in(&p, "klpt_ok_post_unpatch", "klp_shadow_free_all", 0);
		assert_non_null(c);
		assert_string_equal(p.objs[0].funcs[0].new_name, "livepatch_klpt_obj_create");
		lp_patch__free(&p);
	}
	globfree(&g);
	if (!glob("build/kmod/*/klpt_lp_klpbuild.ko", 0, NULL, &g)) {
		for (size_t i = 0; i < g.gl_pathc; i++, seen++) {
			assert_int_equal(patchelf__read(g.gl_pathv[i], &p, err, sizeof(err)), 0);
			assert_int_equal(p.format, LP_FORMAT_KLP_BUILD);
			assert_true(p.replace && p.replace_seen);
			assert_int_equal(p.nobjs, 2);
			assert_string_equal(p.objs[0].funcs[0].name, "__x64_sys_umask");
			assert_string_equal(p.objs[0].funcs[1].name, "__ia32_sys_umask");
			assert_string_equal(p.objs[1].name, "klpt_target");
			assert_string_equal(p.objs[1].funcs[0].new_name, "livepatch_klpt_func_b");
			lp_patch__free(&p);
		}
		globfree(&g);
	}
	if (!seen)
		print_message("klpt_lp_klpbuild.ko not built (no 6.19+ lab kernel)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_klp_build_compiled),
		cmocka_unit_test(test_read_mem),
		cmocka_unit_test(test_x86_decode),
		cmocka_unit_test(test_lab_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
