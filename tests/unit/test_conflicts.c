// SPDX-License-Identifier: GPL-2.0
/* Conflicts with other hooks: the kernel's kprobes/list and
 * enabled_functions lines (captured on the lab kernels 6.1 and 7.2) parsed,
 * and what check says a patch does to each hook; shadow ids against the
 * live ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "check/hooks.h"
#include "check/patchelf.h"
#include "lib/util.h"
#include "model/model.h"

/* A kprobe with a post_handler on cmdline_proc_show (7.2, IBT: +0x4). */
static const char kp_post_72[] = "ffffffff87b0c634  k  cmdline_proc_show+0x4    [FTRACE]\n";
static const char ft_post_72[] =
	"cmdline_proc_show (1) R I     M \ttramp: 0xffffffffc0602000 "
	"(kprobe_ftrace_handler+0x0/0x1f0) ->kprobe_ftrace_handler+0x0/0x1f0\n";
/* The same without post_handler, on 6.1 */
static const char ft_nopost_61[] =
	"cmdline_proc_show (1) R    \ttramp: 0xffffffffc0234000 "
	"(kprobe_ftrace_handler+0x0/0x1b0) ->kprobe_ftrace_handler+0x0/0x1b0\n";
/* BPF fentry+fexit on cmdline_proc_show (6.1), then with the patch in */
static const char ft_bpf_61[] =
	"cmdline_proc_show (1) R   D\ttramp: ftrace_regs_caller+0x0/0x58 "
	"(call_direct_funcs+0x0/0x30)\n"
	"\tdirect-->bpf_trampoline_6442493939+0x0/0x1000\n";
static const char ft_bpf_patched_72[] =
	"cmdline_proc_show (2) R I D   M  ->arch_ftrace_ops_list_func+0x0/0x250\n"
	"\tdirect-->bpf_trampoline_6442524622+0x0/0x126\n";
/* A kprobe on klpt_lp_a's replacement of klpt_func_a, and klpt_lp_a's own
 * ftrace record on klpt_func_a (7.2) */
static const char kp_newfunc_72[] =
	"ffffffffc0601014  k  livepatch_klpt_func_a+0x4  klpt_lp_a [FTRACE]\n";
static const char ft_newfunc_72[] =
	"livepatch_klpt_func_a [klpt_lp_a] (1) R         \ttramp: 0xffffffffc0603000 "
	"(kprobe_ftrace_handler+0x0/0x1f0) ->kprobe_ftrace_handler+0x0/0x1f0\n"
	"klpt_func_a [klpt_target] (1)   I     M \ttramp: 0xffffffffc0608000 "
	"(klp_ftrace_handler+0x0/0x110) ->klp_ftrace_handler+0x0/0x110\n";

static const char kallsyms_fx[] =
	"ffffffff81000100 T cmdline_proc_show\n"
	"ffffffff81000200 T __x64_sys_umask\n"
	"ffffffffc0001000 t klpt_func_a\t[klpt_target]\n"
	"ffffffffc0001100 t klpt_func_b\t[klpt_target]\n"
	"ffffffffc0601010 t livepatch_klpt_func_a\t[klpt_lp_a]\n";
static const char filter_fx[] =
	"cmdline_proc_show\n__x64_sys_umask\nklpt_func_a [klpt_target]\nklpt_func_b [klpt_target]\n";
static const char modules_fx[] = "klpt_target 16384 0 - Live 0xffffffffc0001000 (OE)\n"
				 "klpt_lp_a 16384 0 - Live 0xffffffffc0601000 (OEK)\n";

static struct hook_set *hooks_of(const char *kprobes, const char *ftrace, int bpf)
{
	struct hook_set *hs = xcalloc(1, sizeof(*hs));

	hooks__parse_kprobes(hs, kprobes);
	hooks__parse_ftrace(hs, ftrace);
	hs->have_bpf = bpf;
	return hs;
}

static struct check_env *env_with(struct hook_set *hs)
{
	struct check_env *env = check_env__new(xstrdup(kallsyms_fx), xstrdup(filter_fx),
					       xstrdup(modules_fx));

	check_env__set_hooks(env, hs, 1);
	check_env__set_patches(env, NULL, 0);
	return env;
}

static const struct check_finding *find(const struct check_finding *fs, size_t n,
					const char *code, int nth)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fs[i].code, code) && nth-- == 0)
			return &fs[i];
	return NULL;
}

static void test_parse(void **state)
{
	struct hook_set *hs = hooks_of(kp_post_72, ft_post_72, 0);

	assert_int_equal(hs->n, 2);
	assert_int_equal(hs->h[0].kind, HOOK_KPROBE);
	assert_string_equal(hs->h[0].func, "cmdline_proc_show");
	assert_null(hs->h[0].module);
	assert_int_equal(hs->h[0].offset, 4);
	assert_true(hs->h[0].ftrace);
	assert_int_equal(hs->h[1].kind, HOOK_FTRACE);
	assert_int_equal(hs->h[1].users, 1);
	assert_true(hs->h[1].ipmodify);
	assert_false(hs->h[1].direct);
	assert_non_null(strstr(hs->h[1].detail, "kprobe_ftrace_handler"));
	hooks__free(hs);
	free(hs);

	hs = hooks_of(kp_newfunc_72, ft_newfunc_72, 0);
	assert_int_equal(hs->n, 3);
	assert_string_equal(hs->h[0].module, "klpt_lp_a");
	assert_string_equal(hs->h[0].func, "livepatch_klpt_func_a");
	assert_string_equal(hs->h[1].module, "klpt_lp_a");
	assert_false(hs->h[1].ipmodify);
	assert_string_equal(hs->h[2].func, "klpt_func_a");
	assert_string_equal(hs->h[2].module, "klpt_target");
	assert_true(hs->h[2].ipmodify);
	hooks__free(hs);
	free(hs);

	/* the direct trampoline on its continuation line; a kretprobe, a
	 * disabled probe, a %pS symbol with its module in brackets */
	hs = hooks_of("0000000000000000  r  vfs_read+0x0    [DISABLED][FTRACE]\n"
		      "0000000000000000  k  foo+0x10/0x80 [mymod] \n", ft_bpf_61, 0);
	assert_int_equal(hs->n, 3);
	assert_int_equal(hs->h[0].kind, HOOK_KRETPROBE);
	assert_true(hs->h[0].disabled && hs->h[0].ftrace);
	assert_string_equal(hs->h[1].func, "foo");
	assert_string_equal(hs->h[1].module, "mymod");
	assert_int_equal(hs->h[1].offset, 0x10);
	assert_false(hs->h[1].ftrace);
	assert_true(hs->h[2].direct);
	assert_false(hs->h[2].ipmodify);
	assert_non_null(strstr(hs->h[2].detail, "bpf_trampoline_6442493939"));
	hooks__free(hs);
	free(hs);
}

/* Judge one vmlinux target with these hooks. */
static void judge1(struct check_report *r, struct check_env *env, const char *name,
		   const char *object, const char *new_name)
{
	struct check_target *t;

	memset(r, 0, sizeof(*r));
	r->patch = xstrdup("the_patch");
	t = check_report__add_target(r, object, name, 0, 0);
	t->new_name = new_name ? xstrdup(new_name) : NULL;
	check__run(r, env);
}

static void test_kprobe_post_fails_load(void **state)
{
	struct check_env *env = env_with(hooks_of(kp_post_72, ft_post_72, 1));
	const struct check_finding *f;
	struct check_report r;

	judge1(&r, env, "cmdline_proc_show", NULL, "livepatch_cmdline_proc_show");
	f = find(r.targets[0].findings, r.targets[0].nfindings, "ipmodify_conflict", 0);
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_ERROR);
	assert_non_null(strstr(f->message, "EBUSY"));
	assert_string_equal(f->hook->kind, "kprobe");
	assert_string_equal(f->hook->effect, "load_fails");
	/* the culprit is not also said to keep seeing calls */
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings,
			 "hook_keeps_seeing_calls", 0));
	assert_int_equal(check_report__exit_code(&r), EXIT_ERROR);
	check_report__free(&r);
	check_env__free(env);
}

static void test_kprobe_nopost_and_bpf_keep(void **state)
{
	struct check_env *env = env_with(hooks_of(kp_post_72, ft_nopost_61, 1));
	const struct check_finding *f;
	struct check_report r;
	struct hook_set *hs;

	judge1(&r, env, "cmdline_proc_show", NULL, NULL);
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings, "ipmodify_conflict", 0));
	f = find(r.targets[0].findings, r.targets[0].nfindings, "hook_keeps_seeing_calls", 0);
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	assert_string_equal(f->hook->effect, "keeps_seeing_calls");
	assert_int_equal(check_report__exit_code(&r), EXIT_OK);
	check_report__free(&r);

	/* fentry and fexit through BPF links, the direct record they make */
	hs = hooks_of(NULL, ft_bpf_61, 1);
	hooks__add_bpf(hs, HOOK_BPF_FENTRY, "cmdline_proc_show", NULL, 7, "on_entry", 3);
	hooks__add_bpf(hs, HOOK_BPF_FEXIT, "cmdline_proc_show", NULL, 8, "on_exit", 4);
	check_env__set_hooks(env, hs, 1);
	judge1(&r, env, "cmdline_proc_show", NULL, NULL);
	f = find(r.targets[0].findings, r.targets[0].nfindings, "hook_keeps_seeing_calls", 0);
	assert_non_null(f);
	assert_string_equal(f->hook->kind, "bpf_fentry");
	assert_string_equal(f->hook->detail, "prog on_entry (id 7), link 3");
	f = find(r.targets[0].findings, r.targets[0].nfindings, "hook_keeps_seeing_calls", 1);
	assert_non_null(f);
	assert_string_equal(f->hook->kind, "bpf_fexit");
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings,
			 "hook_keeps_seeing_calls", 2)); /* the D record is explained */
	check_report__free(&r);

	/* a kernel whose trampolines cannot share with a live patch */
	hs = hooks_of(NULL, ft_bpf_61, 1);
	hooks__add_bpf(hs, HOOK_BPF_FENTRY, "cmdline_proc_show", NULL, 7, "on_entry", 3);
	check_env__set_hooks(env, hs, 0);
	judge1(&r, env, "cmdline_proc_show", NULL, NULL);
	f = find(r.targets[0].findings, r.targets[0].nfindings, "ipmodify_conflict", 0);
	assert_non_null(f);
	assert_string_equal(f->hook->kind, "bpf_fentry");
	check_report__free(&r);
	check_env__free(env);
}

static void test_body_kprobe_stops(void **state)
{
	struct check_env *env = env_with(hooks_of(
		"ffffffff8133b619  k  cmdline_proc_show+0x9    \n", NULL, 1));
	const struct check_finding *f;
	struct check_report r;

	judge1(&r, env, "cmdline_proc_show", NULL, "livepatch_cmdline_proc_show");
	f = find(r.targets[0].findings, r.targets[0].nfindings, "hook_stops_seeing_calls", 0);
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_WARNING);
	assert_non_null(strstr(f->message, "livepatch_cmdline_proc_show in the_patch"));
	assert_string_equal(f->hook->effect, "stops_seeing_calls");
	assert_false(f->hook->at_entry);
	assert_int_equal(check_report__exit_code(&r), EXIT_WARNINGS);
	check_report__free(&r);
	check_env__free(env);
}

/* klpt_lp_a patches klpt_func_a; a kprobe sits on its replacement. */
static struct patch_info *loaded_a(size_t *n, uint64_t new_addr)
{
	struct patch_info *p = xcalloc(1, sizeof(*p));

	p->name = xstrdup("klpt_lp_a");
	p->enabled = 1;
	p->nobjs = 1;
	p->objs = xcalloc(1, sizeof(*p->objs));
	p->objs[0].name = xstrdup("klpt_target");
	p->objs[0].nfuncs = 1;
	p->objs[0].funcs = xcalloc(1, sizeof(*p->objs[0].funcs));
	p->objs[0].funcs[0].name = xstrdup("klpt_func_a");
	p->objs[0].funcs[0].sympos = 1;
	p->objs[0].funcs[0].walked = new_addr != 0;
	p->objs[0].funcs[0].new_addr = new_addr;
	*n = 1;
	return p;
}

static void test_superseded_and_replaced(void **state)
{
	struct check_env *env = env_with(hooks_of(kp_newfunc_72, ft_newfunc_72, 1));
	const struct check_finding *f;
	struct check_report r;
	struct patch_info *p;
	size_t n;

	/* stacking on klpt_func_a: the I flag is the livepatch's own, and the
	 * kprobe on klpt_lp_a's version goes stale */
	p = loaded_a(&n, 0xffffffffc0601010ull);
	check_env__set_patches(env, p, n);
	judge1(&r, env, "klpt_func_a", "klpt_target", "new_a");
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings, "ipmodify_conflict", 0));
	f = find(r.targets[0].findings, r.targets[0].nfindings, "hook_stops_seeing_calls", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "livepatch_klpt_func_a in klpt_lp_a"));
	assert_non_null(strstr(f->message, "re-attach it to new_a"));
	check_report__free(&r);

	/* a cumulative replace of klpt_lp_a, not touching klpt_func_a */
	memset(&r, 0, sizeof(r));
	r.patch = xstrdup("klpt_lp_replace");
	r.replace = 1;
	check_report__add_target(&r, "klpt_target", "klpt_func_b", 0, 0);
	check__run(&r, env);
	f = find(r.findings, r.nfindings, "hook_stops_seeing_calls", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "klpt_lp_a, which this cumulative patch replaces"));
	assert_string_equal(f->hook->function, "livepatch_klpt_func_a");
	check_report__free(&r);

	/* without the walk, which of klpt_lp_a's functions it is stays unknown:
	 * nothing is claimed for a stacking patch */
	p = loaded_a(&n, 0);
	check_env__set_patches(env, p, n);
	judge1(&r, env, "klpt_func_a", "klpt_target", "new_a");
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings,
			 "hook_stops_seeing_calls", 0));
	check_report__free(&r);
	check_env__free(env);
}

/* A second patch of cmdline_proc_show while the first and a BPF program
 * are on it: the I is the livepatch's own (patches stack), the BPF program
 * keeps running. */
static void test_stack_on_patched(void **state)
{
	struct hook_set *hs = hooks_of(NULL, ft_bpf_patched_72, 1);
	struct check_env *env;
	struct patch_info *p;
	struct check_report r;
	size_t n;

	hooks__add_bpf(hs, HOOK_BPF_FENTRY, "cmdline_proc_show", NULL, 7, "on_entry", 3);
	env = env_with(hs);
	p = loaded_a(&n, 0);
	free(p->objs[0].name);
	p->objs[0].name = xstrdup("vmlinux");
	free(p->objs[0].funcs[0].name);
	p->objs[0].funcs[0].name = xstrdup("cmdline_proc_show");
	check_env__set_patches(env, p, n);
	judge1(&r, env, "cmdline_proc_show", NULL, NULL);
	assert_null(find(r.targets[0].findings, r.targets[0].nfindings, "ipmodify_conflict", 0));
	assert_non_null(find(r.targets[0].findings, r.targets[0].nfindings,
			     "hook_keeps_seeing_calls", 0));
	assert_int_equal(check_report__exit_code(&r), EXIT_OK);
	check_report__free(&r);
	check_env__free(env);
}

static void test_unread_said(void **state)
{
	struct check_env *env = env_with(hooks_of(NULL, NULL, 0));
	const struct check_finding *f;
	struct check_report r;

	judge1(&r, env, "cmdline_proc_show", NULL, NULL);
	f = find(r.findings, r.nfindings, "hooks_unchecked", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "kprobes/list"));
	assert_non_null(strstr(f->message, "enabled_functions"));
	check_report__free(&r);
	check_env__free(env);
}

static void test_shadow_ids(void **state)
{
	struct lp_shadow_call calls[] = {
		{ "klp_shadow_alloc", "new_create", 1, 0x6b6c7001 },
		{ "klp_shadow_get", "new_create", 1, 0x6b6c7001 },
		{ "klp_shadow_free", "new_destroy", 1, 0x6b6c7003 },
		{ "klp_shadow_get", "other", 0, 0 },
	};
	struct lp_patch p = { .module = "sh", .found = 1, .shadow_calls = calls,
			      .nshadow_calls = 4 };
	struct check_live_id live[] = { { 0x6b6c7001, 12 }, { 0x99, 3 } };
	struct check_env *env = env_with(hooks_of(NULL, NULL, 1));
	const struct check_finding *f;
	struct check_report r = { 0 };
	json_object *o, *ids, *e;

	check_report__from_patch(&r, "sh.ko", &p);
	assert_int_equal(r.nshadow_ids, 2);
	assert_int_equal(r.shadow_calls_not_constant, 1);
	check_env__set_live_ids(env, live, 2, NULL);
	check__run(&r, env);
	assert_int_equal(r.shadow_ids[0].live, 12);
	assert_int_equal(r.shadow_ids[1].live, 0);
	f = find(r.findings, r.nfindings, "shadow_id_in_use", 0);
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_WARNING);
	assert_non_null(strstr(f->message, "0x6b6c7001 has 12 live shadows"));
	assert_null(find(r.findings, r.nfindings, "shadow_id_in_use", 1));
	assert_non_null(find(r.findings, r.nfindings, "shadow_id_not_constant", 0));
	o = check_report__to_json(&r);
	assert_true(json_object_object_get_ex(o, "shadow_ids", &ids));
	e = json_object_array_get_idx(ids, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(e, "id")), "0x6b6c7001");
	assert_int_equal(json_object_get_int(json_object_object_get(e, "live")), 12);
	assert_int_equal(json_object_array_length(json_object_object_get(e, "calls")), 2);
	json_object_put(o);
	check_report__free(&r);

	/* a cumulative patch takes them over: said, not warned */
	memset(&r, 0, sizeof(r));
	check_report__from_patch(&r, "sh.ko", &p);
	r.replace = 1;
	check__run(&r, env);
	f = find(r.findings, r.nfindings, "shadow_id_in_use", 0);
	assert_non_null(f);
	assert_int_equal(f->sev, CHECK_INFO);
	check_report__free(&r);

	/* not readable: said with the reason, live null */
	check_env__set_live_ids(env, NULL, 0, "not privileged");
	memset(&r, 0, sizeof(r));
	check_report__from_patch(&r, "sh.ko", &p);
	check__run(&r, env);
	f = find(r.findings, r.nfindings, "shadow_ids_unchecked", 0);
	assert_non_null(f);
	assert_non_null(strstr(f->message, "0x6b6c7001, 0x6b6c7003"));
	assert_non_null(strstr(f->message, "not privileged"));
	assert_int_equal(r.shadow_ids[0].live, -1);
	check_report__free(&r);
	check_env__free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_kprobe_post_fails_load),
		cmocka_unit_test(test_kprobe_nopost_and_bpf_keep),
		cmocka_unit_test(test_body_kprobe_stops),
		cmocka_unit_test(test_superseded_and_replaced),
		cmocka_unit_test(test_stack_on_patched),
		cmocka_unit_test(test_unread_said),
		cmocka_unit_test(test_shadow_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
