// SPDX-License-Identifier: GPL-2.0
/* klptop check: the judging on fixture kallsyms / available_filter_functions
 * / modules texts, and the ELF reader on real relocatable objects: one the
 * test compiles with the host compiler (descriptors laid out like the
 * kernel's, with another entry size), and the lab's klpt_lp_*.ko when
 * `make kmod` has built them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <string.h>

#include "check/check.h"
#include "fixture.h"
#include "check/patchelf.h"
#include "lib/util.h"

static const char kallsyms_fx[] =
	"ffffffff81000100 T cmdline_proc_show\n"
	"ffffffff81000200 t brightness_show\n"
	"ffffffff81000300 t brightness_show\n"
	"ffffffff81000400 t cmci_recheck\n"
	"ffffffff81000480 t cmci_recheck.part.0\n"
	"ffffffff81000500 t hot_func\n"
	"ffffffff81000580 t hot_func.cold\n"
	"ffffffff81000600 t only_clone.isra.0\n"
	"ffffffff81000700 t notrace_func\n"
	"ffffffff81000800 T __x64_sys_sysinfo\n"
	"ffffffff81000810 T __ia32_sys_sysinfo\n"
	"ffffffff81000820 T __ia32_compat_sys_sysinfo\n"
	"ffffffff81000830 T __x64_compat_sys_sysinfo\n"
	"ffffffff81000840 t __do_sys_sysinfo\n"
	"ffffffff81000850 t __do_compat_sys_sysinfo\n"
	"ffffffff81000900 d some_data\n"
	"ffffffffc0001000 t klpt_ping\t[klpt_target]\n"
	"ffffffffc0001100 t brightness_show\t[klpt_target]\n";

static const char filter_fx[] =
	"cmdline_proc_show\n"
	"brightness_show\n"
	"brightness_show\n"
	"cmci_recheck\n"
	"cmci_recheck.part.0\n"
	"hot_func\n"
	"only_clone.isra.0\n"
	"__x64_sys_sysinfo\n"
	"__ia32_sys_sysinfo\n"
	"__ia32_compat_sys_sysinfo\n"
	"__x64_compat_sys_sysinfo\n"
	"__do_sys_sysinfo\n"
	"__do_compat_sys_sysinfo\n"
	"klpt_ping [klpt_target]\n";

static const char modules_fx[] = "klpt_target 16384 0 - Live 0xffffffffc0001000 (OE)\n";

static struct check_env *env_new(void)
{
	return check_env__new(xstrdup(kallsyms_fx), xstrdup(filter_fx), xstrdup(modules_fx));
}

static const struct check_finding *find_code(const struct check_target *t, const char *code)
{
	for (size_t i = 0; i < t->nfindings; i++)
		if (!strcmp(t->findings[i].code, code))
			return &t->findings[i];
	return NULL;
}

/* Judge one target; the report is left in *r. */
static const struct check_target *judge1(struct check_report *r, struct check_env *env,
					 const char *object, const char *name, unsigned long pos)
{
	memset(r, 0, sizeof(*r));
	check_report__add_target(r, object, name, pos, 0);
	check__run(r, env);
	return &r->targets[0];
}

static void test_clean(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "cmdline_proc_show", 0);

	assert_int_equal(t->nfindings, 0);
	assert_int_equal(t->addr, 0xffffffff81000100ull);
	assert_int_equal(check_report__exit_code(&r), 0);
	check_report__free(&r);
	/* a module function, in its loaded module */
	t = judge1(&r, env, "klpt_target", "klpt_ping", 0);
	assert_int_equal(t->nfindings, 0);
	assert_int_equal(t->addr, 0xffffffffc0001000ull);
	check_report__free(&r);
	check_env__free(env);
}

static void test_not_found(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "klpt_no_such_function", 0);
	const struct check_finding *f = find_code(t, "not_found");

	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_ERROR);
	assert_non_null(strstr(f->message, "klpt_no_such_function"));
	assert_int_equal(check_report__exit_code(&r), EXIT_ERROR);
	check_report__free(&r);
	/* only a clone exists: the error, and the clone named */
	t = judge1(&r, env, NULL, "only_clone", 0);
	assert_non_null(find_code(t, "not_found"));
	f = find_code(t, "clones");
	assert_non_null(f);
	assert_string_equal(f->syms[0].name, "only_clone.isra.0");
	check_report__free(&r);
	/* a name present only in another module is not found in vmlinux */
	t = judge1(&r, env, NULL, "klpt_ping", 0);
	assert_non_null(find_code(t, "not_found"));
	check_report__free(&r);
	check_env__free(env);
}

static void test_ambiguous(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "brightness_show", 0);
	const struct check_finding *f = find_code(t, "ambiguous");

	/* vmlinux has two; the module's third one does not count */
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_ERROR);
	assert_int_equal(f->nsyms, 2);
	assert_int_equal(f->syms[0].sympos, 1);
	assert_int_equal(f->syms[1].addr, 0xffffffff81000300ull);
	assert_int_equal(t->addr, 0);
	check_report__free(&r);

	t = judge1(&r, env, NULL, "brightness_show", 2);
	f = find_code(t, "ambiguous_resolved");
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	assert_false(f->syms[0].selected);
	assert_true(f->syms[1].selected);
	assert_int_equal(t->addr, 0xffffffff81000300ull);
	assert_int_equal(check_report__exit_code(&r), 0);
	check_report__free(&r);

	t = judge1(&r, env, NULL, "brightness_show", 3);
	assert_non_null(find_code(t, "sympos_not_found"));
	check_report__free(&r);
	t = judge1(&r, env, NULL, "cmdline_proc_show", 2);
	assert_non_null(find_code(t, "sympos_not_found"));
	check_report__free(&r);
	t = judge1(&r, env, NULL, "cmdline_proc_show", 1);
	assert_int_equal(t->nfindings, 0);
	check_report__free(&r);
	check_env__free(env);
}

static void test_clones(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "cmci_recheck", 0);
	const struct check_finding *f = find_code(t, "clones");

	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_WARNING);
	assert_int_equal(f->nsyms, 1);
	assert_string_equal(f->syms[0].name, "cmci_recheck.part.0");
	assert_int_equal(check_report__exit_code(&r), EXIT_WARNINGS);
	check_report__free(&r);
	/* .cold alone is part of the function itself: info */
	t = judge1(&r, env, NULL, "hot_func", 0);
	assert_null(find_code(t, "clones"));
	f = find_code(t, "cold_part");
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	assert_int_equal(check_report__exit_code(&r), 0);
	check_report__free(&r);
	check_env__free(env);
}

static void test_traceable_and_data(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "notrace_func", 0);

	assert_non_null(find_code(t, "not_traceable"));
	check_report__free(&r);
	t = judge1(&r, env, NULL, "some_data", 0);
	assert_non_null(find_code(t, "not_a_function"));
	check_report__free(&r);
	check_env__free(env);
	/* without tracefs, traceability is unknown, not an error */
	env = check_env__new(xstrdup(kallsyms_fx), NULL, xstrdup(modules_fx));
	t = judge1(&r, env, NULL, "notrace_func", 0);
	assert_null(find_code(t, "not_traceable"));
	assert_int_equal(r.nfindings, 1);
	assert_string_equal(r.findings[0].code, "no_tracefs");
	check_report__free(&r);
	check_env__free(env);
}

static const struct check_sym *sym_named(const struct check_finding *f, const char *name)
{
	for (size_t i = 0; i < f->nsyms; i++)
		if (!strcmp(f->syms[i].name, name))
			return &f->syms[i];
	return NULL;
}

static void test_syscall_siblings(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, NULL, "__x64_sys_sysinfo", 0);
	const struct check_finding *f = find_code(t, "syscall_siblings");

	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_WARNING);
	assert_int_equal(f->nsyms, 6);
	assert_string_equal(sym_named(f, "__x64_sys_sysinfo")->coverage, "patched");
	assert_string_equal(sym_named(f, "__ia32_sys_sysinfo")->coverage, "no");
	assert_string_equal(sym_named(f, "__ia32_compat_sys_sysinfo")->coverage, "no");
	check_report__free(&r);

	/* both inner layers patched: every entry point is reached, info only */
	memset(&r, 0, sizeof(r));
	check_report__add_target(&r, NULL, "__do_sys_sysinfo", 0, 0);
	check_report__add_target(&r, NULL, "__do_compat_sys_sysinfo", 0, 0);
	check__run(&r, env);
	f = find_code(&r.targets[0], "syscall_siblings");
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	assert_string_equal(sym_named(f, "__ia32_sys_sysinfo")->coverage, "via __do_sys_sysinfo");
	assert_string_equal(sym_named(f, "__x64_compat_sys_sysinfo")->coverage,
			    "via __do_compat_sys_sysinfo");
	/* reported once per syscall */
	assert_null(find_code(&r.targets[1], "syscall_siblings"));
	assert_int_equal(check_report__exit_code(&r), 0);
	check_report__free(&r);
	check_env__free(env);
}

static void test_object_not_loaded(void **state)
{
	struct check_env *env = env_new();
	struct check_report r;
	const struct check_target *t = judge1(&r, env, "nfsd", "nfsd_open", 0);
	const struct check_finding *f = find_code(t, "object_not_loaded");

	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	assert_int_equal(t->nfindings, 1);
	assert_int_equal(check_report__exit_code(&r), 0);
	check_report__free(&r);
	check_env__free(env);
}

static void test_json(void **state)
{
	struct check_env *env = env_new();
	struct check_report r = { 0 };
	json_object *o, *v, *t, *f;

	r.patch = xstrdup("p");
	check_report__add_target(&r, NULL, "brightness_show", 2, 0);
	check_report__add_target(&r, "vmlinux", "klpt_no_such_function", 0, 0);
	check__run(&r, env);
	o = check_report__to_json(&r);
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), "errors");
	assert_true(json_object_object_get_ex(o, "exit_code", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "summary", &v));
	assert_true(json_object_object_get_ex(v, "errors", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(o, "targets", &v));
	t = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(t, "status", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	assert_true(json_object_object_get_ex(t, "address", &v));
	assert_string_equal(json_object_get_string(v), "0xffffffff81000300");
	assert_true(json_object_object_get_ex(t, "findings", &v));
	f = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(f, "code", &v));
	assert_string_equal(json_object_get_string(v), "ambiguous_resolved");
	assert_true(json_object_object_get_ex(f, "symbols", &v));
	f = json_object_array_get_idx(v, 1);
	assert_true(json_object_object_get_ex(f, "selected", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(f, "sympos", &v));
	assert_int_equal(json_object_get_int(v), 2);
	json_object_put(o);
	check_report__free(&r);
	check_env__free(env);
}

/* A patch module as the compiler lays it out: the same field offsets as the
 * kernel's structs, a different entry size (read from the symbol sizes), a
 * vmlinux object (NULL name), replace, modinfo and a .klp.sym relocation. */
static const char fake_patch_src[] =
	"struct module { int x; } __this_module;\n"
	"struct klp_func { const char *old_name; void *new_func; unsigned long old_sympos;"
	" char rest[104]; };\n"
	"struct klp_object { const char *name; struct klp_func *funcs; void *cb[2];"
	" char rest[64]; };\n"
	"struct klp_patch { struct module *mod; struct klp_object *objs; void *states;"
	" _Bool replace; char rest[40]; };\n"
	"extern int klp_enable_patch(struct klp_patch *);\n"
	"extern int sysinfo_ref __asm__(\"\\\".klp.sym.vmlinux.do_sysinfo,1\\\"\");\n"
	"static int new_a(void) { return sysinfo_ref; }\n"
	"static int new_b(void) { return 2; }\n"
	"static struct klp_func vfuncs[] = { { .old_name = \"cmdline_proc_show\","
	" .new_func = new_a }, { .old_name = \"brightness_show\", .new_func = new_b,"
	" .old_sympos = 2 }, { } };\n"
	"static struct klp_func mfuncs[] = { { .old_name = \"klpt_ping\", .new_func = new_b }, { } };\n"
	"static struct klp_object objs[] = { { .funcs = vfuncs },"
	" { .name = \"klpt_target\", .funcs = mfuncs }, { } };\n"
	"static const struct { void *owner; void *fn; } fops = { &__this_module, new_b };\n"
	"static struct klp_patch patch = { .mod = &__this_module, .objs = objs, .replace = 1 };\n"
	"static const char modinfo[] __attribute__((section(\".modinfo\"), used)) ="
	" \"license=GPL\\0name=fake_lp\\0livepatch=Y\";\n"
	"const void *keep = &fops;\n"
	"int init_module(void) { return klp_enable_patch(&patch); }\n";

static void test_elf_compiled(void **state)
{
	char *root = fx_root(), cmd[8400], obj[4200], err[256];
	struct lp_patch p;

	fx_write(root, "fake.c", fake_patch_src);
	snprintf(obj, sizeof(obj), "%s/fake.o", root);
	snprintf(cmd, sizeof(cmd), "cc -c -O2 -fno-pic -mcmodel=kernel -o %s %s/fake.c", obj, root);
	if (system(cmd)) {
		fx_cleanup(root);
		skip();
	}
	assert_int_equal(patchelf__read(obj, &p, err, sizeof(err)), 0);
	assert_true(p.found);
	assert_string_equal(p.module, "fake_lp");
	assert_true(p.livepatch_tag);
	assert_true(p.replace);
	assert_int_equal(p.nobjs, 2);
	assert_null(p.objs[0].name);
	assert_int_equal(p.objs[0].nfuncs, 2);
	assert_string_equal(p.objs[0].funcs[0].name, "cmdline_proc_show");
	assert_int_equal(p.objs[0].funcs[0].sympos, 0);
	assert_string_equal(p.objs[0].funcs[1].name, "brightness_show");
	assert_int_equal(p.objs[0].funcs[1].sympos, 2);
	assert_string_equal(p.objs[1].name, "klpt_target");
	assert_int_equal(p.objs[1].nfuncs, 1);
	assert_string_equal(p.objs[1].funcs[0].name, "klpt_ping");
	assert_int_equal(p.nklpsyms, 1);
	assert_string_equal(p.klpsyms[0].object, "vmlinux");
	assert_string_equal(p.klpsyms[0].name, "do_sysinfo");
	assert_int_equal(p.klpsyms[0].sympos, 1);
	lp_patch__free(&p);
	/* not ELF */
	assert_int_equal(patchelf__read(root, &p, err, sizeof(err)), -1);
	fx_cleanup(root);
}

static void test_elf_lab_modules(void **state)
{
	glob_t g;
	struct lp_patch p;
	char err[256];

	if (glob("build/kmod/*/klpt_lp_fix.ko", 0, NULL, &g)) {
		skip(); /* make kmod not run */
	}
	assert_int_equal(patchelf__read(g.gl_pathv[0], &p, err, sizeof(err)), 0);
	assert_true(p.found);
	assert_string_equal(p.module, "klpt_lp_fix");
	assert_false(p.replace);
	assert_int_equal(p.nobjs, 1);
	assert_string_equal(p.objs[0].name, "klpt_target");
	assert_int_equal(p.objs[0].nfuncs, 4);
	assert_string_equal(p.objs[0].funcs[0].name, "klpt_spin_step");
	assert_string_equal(p.objs[0].funcs[3].name, "klpt_ping");
	lp_patch__free(&p);
	globfree(&g);
	if (!glob("build/kmod/*/klpt_lp_dup_sympos.ko", 0, NULL, &g)) {
		assert_int_equal(patchelf__read(g.gl_pathv[0], &p, err, sizeof(err)), 0);
		assert_null(p.objs[0].name);
		assert_string_equal(p.objs[0].funcs[0].name, "brightness_show");
		assert_int_equal(p.objs[0].funcs[0].sympos, 2);
		lp_patch__free(&p);
		globfree(&g);
	}
	if (!glob("build/kmod/*/klpt_target.ko", 0, NULL, &g)) {
		assert_int_equal(patchelf__read(g.gl_pathv[0], &p, err, sizeof(err)), 0);
		assert_false(p.found); /* not a live patch */
		lp_patch__free(&p);
		globfree(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_clones),
		cmocka_unit_test(test_traceable_and_data),
		cmocka_unit_test(test_syscall_siblings),
		cmocka_unit_test(test_object_not_loaded),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_elf_compiled),
		cmocka_unit_test(test_elf_lab_modules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
