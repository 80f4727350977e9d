// SPDX-License-Identifier: GPL-2.0
/* klptop check PATCH.ko | --func NAME...: the command (the preflight itself is
 * src/check/check.c, the module reader src/check/patchelf.c). */
#include "check/check.h"
#include "check/patchelf.h"
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/util.h"
#include "live/checkenv.h"
#include "render/output.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct check_cli {
	struct check_report r;
	const char *object;      /* the --object the next --func belongs to */
	int nfuncs;
};

/* --func NAME[,SYMPOS], for the last --object before it (default vmlinux). */
static int add_func_arg(void *cfg, const char *arg, char *err, size_t errlen)
{
	struct check_cli *c = cfg;
	const char *comma = strrchr(arg, ',');
	unsigned long pos = 0;
	char name[256];

	if (comma) {
		long v;

		if (parse_long(comma + 1, &v) || v < 0) {
			snprintf(err, errlen, "--func wants NAME[,SYMPOS] with SYMPOS a number >= 0, "
				 "not '%s'", arg);
			return -1;
		}
		pos = (unsigned long)v;
	}
	snprintf(name, sizeof(name), "%.*s", comma ? (int)(comma - arg) : (int)strlen(arg), arg);
	if (!*name) {
		snprintf(err, errlen, "--func needs a function name");
		return -1;
	}
	check_report__add_target(&c->r, c->object, name, pos, 0);
	c->nfuncs++;
	return 0;
}

static const struct opt check_opts[] = {
	{ OPT_CALL, 'f', "func", "NAME[,SYMPOS]", "a target (repeatable); applies to the last\n"
	  "--object before it (default vmlinux)", .call = add_func_arg },
	{ OPT_STRING, 0, "object", "MOD", "the object of the --func options that follow",
	  offsetof(struct check_cli, object) },
	{ OPT_MOVED, 'o', .help = "--object (-o is --output)" },
	{ OPT_END }
};

static const struct opt_spec check_spec = {
	.cmd = "check",
	.usage = "klptop check PATCH.ko [--json] [--pretty]\n"
		 "klptop check --func NAME[,SYMPOS] [--object MOD] ... [--json]",
	.about = "Preflight of a live patch: every function it replaces is looked up in the\n"
		 "running kernel as the kernel will do at load time, and judged for what the\n"
		 "kernel does not say (docs/check.md).\n",
	.epilog = "Exit status: 0 clean (info only), 5 warnings only, 1 errors (the kernel\n"
		  "refuses the patch) or the check could not run, 2 usage error.\n",
	.operand = "PATCH.ko",
	.max_operands = 1,
};

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

/* What the kernel has now: no live patching is an error like any other
 * (also for --func); the loaded patches' facts; the env for the rest. */
static struct check_env *read_kernel(struct check_report *r)
{
	struct checkenv_src src = { &g_opts.paths, g_opts.kallsyms, g_opts.root != NULL };
	struct check_env *env;
	struct snapshot s;

	snapshot__init(&s);
	env = checkenv__read(&src, r, &s);
	if (!s.kernel.livepatch)
		check_report__add(r, CHECK_ERROR, "no_livepatch",
				  "this kernel (%s) has no live patching (%s/kernel/livepatch is "
				  "missing)", s.kernel.release, g_opts.paths.sysfs);
	judge_loaded(r, &s);
	check_env__set_patches(env, s.patches, s.npatches);
	s.patches = NULL;
	s.npatches = 0;
	snapshot__free(&s);
	return env;
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
	struct check_cli cli = { 0 };
	struct check_report *r = &cli.r;
	struct opts_result res;
	struct check_env *env;
	int rc;

	rc = cmd__parse(&check_spec, check_opts, &cli, CMD_JSON, argc, argv, &res);
	if (rc >= 0) {
		check_report__free(r);
		return rc;
	}
	if ((res.noperands > 0) == (cli.nfuncs > 0)) {
		opts_result__free(&res);
		check_report__free(r);
		return p_usage("check", "give one PATCH.ko, or --func options");
	}
	rc = res.noperands ? load_patch(r, res.operands[0]) : 0;
	opts_result__free(&res);
	if (rc) {
		check_report__free(r);
		return EXIT_ERROR;
	}
	env = read_kernel(r);
	check__run(r, env);
	if (g_opts.json) {
		json_object *o = check_report__to_json(r);

		rc = json__print(o, stdout, g_opts.pretty) ? EXIT_ERROR : check_report__exit_code(r);
		json_object_put(o);
	} else {
		check_report__print_text(r, stdout);
		rc = fflush(stdout) ? EXIT_ERROR : check_report__exit_code(r);
	}
	check_env__free(env);
	check_report__free(r);
	return rc;
}
