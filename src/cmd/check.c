// SPDX-License-Identifier: GPL-2.0
/* klptop check PATCH.ko | --func NAME...: the command (the preflight itself is
 * src/check/check.c, the module reader src/check/patchelf.c). */
#include "check/check.h"
#include "check/patchelf.h"
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/util.h"
#include "live/funcs.h"
#include "live/hookscan.h"
#include "live/shadow.h"
#include "render/output.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void check_usage(FILE *f)
{
	fputs("Usage: klptop check PATCH.ko [--json] [--pretty]\n"
	      "       klptop check --func NAME[,SYMPOS] [--object MOD] ... [--json]\n"
	      "  Preflight of a live patch: every function it replaces is looked up in the\n"
	      "  running kernel as the kernel will do at load time, and judged for what the\n"
	      "  kernel does not say (docs/check.md).\n"
	      "  -f, --func NAME[,SYMPOS]  a target (repeatable); applies to the last\n"
	      "                            --object before it (default vmlinux)\n"
	      "  -o, --object MOD          the object of the --func options that follow\n"
	      "  -j, --json                JSON output\n"
	      "  -p, --pretty              indent JSON\n"
	      "Exit status: 0 clean (info only), 3 warnings, 1 errors (the kernel refuses\n"
	      "the patch) or the check could not run, 2 usage.\n",
	      f);
}

static int add_func_arg(struct check_report *r, const char *object, const char *arg)
{
	char name[256];
	const char *comma = strrchr(arg, ',');
	unsigned long pos = 0;

	if (comma) {
		long v;

		if (parse_long(comma + 1, &v) || v < 0) {
			p_err("check: --func wants NAME[,SYMPOS] with SYMPOS a number >= 0, not '%s'",
			      arg);
			return -1;
		}
		pos = (unsigned long)v;
	}
	snprintf(name, sizeof(name), "%.*s", comma ? (int)(comma - arg) : (int)strlen(arg), arg);
	if (!*name) {
		p_err("check: --func needs a function name");
		return -1;
	}
	check_report__add_target(r, object, name, pos, 0);
	return 0;
}

static char *read_first(const char *a, const char *b)
{
	char *t = read_all(a, NULL);

	return t ? t : (b ? read_all(b, NULL) : NULL);
}

/* Facts about the live patches already loaded that change what a load does. */
static void judge_loaded(struct check_report *r, const struct snapshot *s)
{
	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];

		if (pi->transition)
			check_report__add(r, CHECK_WARNING, "transition_running",
					  "patch %s is in transition now: loading another patch "
					  "fails with EBUSY until it ends (use klptop gate --wait)",
					  pi->name);
		if (r->patch && !strcmp(pi->name, r->patch))
			check_report__add(r, CHECK_ERROR, "already_loaded",
					  "a live patch called %s is already loaded", r->patch);
	}
	for (size_t i = 0; r->replace && i < s->npatches; i++)
		if (s->patches[i].enabled && (!r->patch || strcmp(s->patches[i].name, r->patch)))
			check_report__add(r, CHECK_INFO, "replaces",
					  "cumulative patch: it replaces %s, whose changes revert "
					  "unless this patch has them", s->patches[i].name);
}

/* Which function each loaded patch's version of a target is (the BPF walk
 * of the kernel's klp lists; no counters attached): for hooks on them. */
static void walk_patches(struct snapshot *s, const struct ksyms *ks)
{
	struct func_probe *fp;

	if (!s->npatches || !ks || g_opts.root)
		return;
	fp = func_probe__open(ks, &s->probes);
	func_probe__walk(fp, s);
	func_probe__close(fp);
}

/* Shadows alive per id (the shadow probes' start-up scan), when the module
 * uses any shadow id. */
static void read_live_ids(const struct check_report *r, struct check_env *env,
			  const struct snapshot *loaded)
{
	struct shadow_opts so = { .no_leaks = 1 };
	struct check_live_id *ids = NULL;
	struct shadow_probe *sp;
	struct snapshot s;
	size_t n = 0;

	if (!r->nshadow_ids)
		return;
	if (g_opts.root) {
		check_env__set_live_ids(env, NULL, 0, "a --root tree has no live shadows");
		return;
	}
	snapshot__init(&s);
	sp = shadow_probe__open(&so, &s.probes, check_env__ksyms(env));
	if (!sp) {
		check_env__set_live_ids(env, NULL, 0, s.probes.why_not ? s.probes.why_not :
					"the shadow probes did not load");
		snapshot__free(&s);
		return;
	}
	s.patches = loaded->patches; /* borrowed: patch_gone reads them */
	s.npatches = loaded->npatches;
	shadow_probe__fill(sp, &s);
	s.patches = NULL;
	s.npatches = 0;
	if (s.shadows && s.shadows->scanned) {
		ids = xcalloc(s.shadows->nids + 1, sizeof(*ids));
		for (size_t i = 0; i < s.shadows->nids; i++)
			ids[n++] = (struct check_live_id){ s.shadows->ids[i].id,
							   s.shadows->ids[i].live };
		check_env__set_live_ids(env, ids, n, NULL);
	} else {
		check_env__set_live_ids(env, NULL, 0, s.shadows && s.shadows->scan_error ?
					s.shadows->scan_error : "klp_shadow_hash was not scanned");
	}
	free(ids);
	shadow_probe__close(sp);
	snapshot__free(&s);
}

/* What the kernel has now, into env: the loaded patches, the other hooks on
 * functions (read first, before klptop attaches anything), shadow ids. */
static void read_kernel(struct check_report *r, struct check_env *env)
{
	struct snapshot s;

	snapshot__init(&s);
	livepatch__read_kernel(&s.kernel, &g_opts.paths);
	if (!s.kernel.livepatch) {
		check_report__add(r, CHECK_ERROR, "no_livepatch",
				  "this kernel (%s) has no live patching (%s/kernel/livepatch is "
				  "missing)", s.kernel.release, g_opts.paths.sysfs);
		snapshot__free(&s);
		return;
	}
	check_env__set_hooks(env, hookscan__read(&g_opts.paths),
			     g_opts.root ? -1 : hookscan__trampolines_share_ipmodify());
	if (livepatch__read_patches(&s, &g_opts.paths) == 0) {
		judge_loaded(r, &s);
		walk_patches(&s, check_env__ksyms(env));
	}
	read_live_ids(r, env, &s);
	check_env__set_patches(env, s.patches, s.npatches);
	s.patches = NULL;
	s.npatches = 0;
	snapshot__free(&s);
}

static int load_patch(struct check_report *r, const char *path)
{
	struct lp_patch p;
	char err[512];

	if (patchelf__read(path, &p, err, sizeof(err))) {
		p_err("check: %s", err);
		return -1;
	}
	if (!p.found) {
		p_err("check: %s: no struct klp_patch (nor klp-build's .init.klp_objects) found: "
		      "not a live patch module", path);
		lp_patch__free(&p);
		return -1;
	}
	check_report__from_patch(r, path, &p);
	if (!p.livepatch_tag)
		check_report__add(r, CHECK_ERROR, "not_marked",
				  "the module has no MODULE_INFO(livepatch, \"Y\"): the kernel "
				  "refuses it (\"not marked as a livepatch module\")");
	lp_patch__free(&p);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "func", required_argument, NULL, 'f' },
		{ "object", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct check_report r = { 0 };
	const char *object = NULL;
	char tf[4096], tf2[4096], mods[4096];
	struct check_env *env;
	int json = 0, pretty = 0, c, rc, nfuncs = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:jph", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (add_func_arg(&r, object, optarg)) {
				check_report__free(&r);
				return EXIT_USAGE;
			}
			nfuncs++;
			break;
		case 'o': object = optarg; break;
		case 'j': json = 1; break;
		case 'p': pretty = json = 1; break;
		case 'h': check_usage(stdout); return EXIT_OK;
		default: check_usage(stderr); check_report__free(&r); return EXIT_USAGE;
		}
	}
	log_json = json;
	if ((optind < argc) == (nfuncs > 0) || argc - optind > 1) {
		p_err("check: give one PATCH.ko, or --func options (see 'klptop check --help')");
		check_report__free(&r);
		return EXIT_USAGE;
	}
	if (optind < argc && load_patch(&r, argv[optind])) {
		check_report__free(&r);
		return EXIT_ERROR;
	}
	snprintf(tf, sizeof(tf), "%s/kernel/tracing/available_filter_functions", g_opts.paths.sysfs);
	snprintf(tf2, sizeof(tf2), "%s/kernel/debug/tracing/available_filter_functions",
		 g_opts.paths.sysfs);
	snprintf(mods, sizeof(mods), "%s/modules", g_opts.paths.procfs);
	env = check_env__new(read_all(g_opts.kallsyms, NULL), read_first(tf, tf2),
			     read_all(mods, NULL));
	/* also for --func: a target list on a kernel without live patching gets
	 * the same no_livepatch error as a module would */
	read_kernel(&r, env);
	check__run(&r, env);
	if (json) {
		json_object *o = check_report__to_json(&r);

		rc = json__print(o, stdout, pretty) ? EXIT_ERROR : check_report__exit_code(&r);
		json_object_put(o);
	} else {
		check_report__print_text(&r, stdout);
		rc = fflush(stdout) ? EXIT_ERROR : check_report__exit_code(&r);
	}
	check_env__free(env);
	check_report__free(&r);
	return rc;
}
