// SPDX-License-Identifier: GPL-2.0
/* The options every command shares, and the one parse every command calls. */
#include "cmd/cmd.h"
#include "lib/log.h"

#include <stddef.h>
#include <stdio.h>

struct global_opts g_opts = {
	.paths = { .sysfs = "/sys", .procfs = "/proc" },
	.kallsyms = "/proc/kallsyms",
};

static int more_verbose(void *cfg, const char *arg, char *err, size_t errlen)
{
	log_level++;
	return 0;
}

static char root_sys[4096], root_proc[4096], root_kallsyms[4096];

static int set_root(void *cfg, const char *dir, char *err, size_t errlen)
{
	struct global_opts *g = cfg;

	snprintf(root_sys, sizeof(root_sys), "%s/sys", dir);
	snprintf(root_proc, sizeof(root_proc), "%s/proc", dir);
	snprintf(root_kallsyms, sizeof(root_kallsyms), "%s/proc/kallsyms", dir);
	g->paths.sysfs = root_sys;
	g->paths.procfs = root_proc;
	g->kallsyms = root_kallsyms;
	g->root = dir;
	return 0;
}

static int show_version(void *cfg, const char *arg, char *err, size_t errlen)
{
	print_version(stdout);
	return OPT_CALL_DONE;
}

static const struct opt global_opts[] = {
	{ OPT_SET, 'j', "json", NULL, "JSON output; errors as JSON on stdout too",
	  offsetof(struct global_opts, json) },
	{ OPT_SET, 'p', "pretty", NULL, "indented JSON (implies --json)",
	  offsetof(struct global_opts, pretty) },
	{ OPT_CALL, 'v', "verbose", NULL, "more messages (twice: libbpf's debug output)",
	  .call = more_verbose },
	{ OPT_CALL, 0, "root", "DIR", "read sysfs and procfs below DIR (a captured tree)",
	  .call = set_root },
	{ OPT_CALL, 'V', "version", NULL, "version and build facts", .call = show_version },
	{ OPT_HELP, 'h', "help", NULL, "this help" },
	{ OPT_END }
};

const struct opt_group cmd_globals = { "Global options", global_opts, &g_opts };

/* The same options for a command without JSON output: -j and -p are
 * accepted (so that the error can say so, as JSON) but not listed. */
static const struct opt text_global_opts[] = {
	{ OPT_SET, 'j', "json", NULL, NULL, offsetof(struct global_opts, json) },
	{ OPT_SET, 'p', "pretty", NULL, NULL, offsetof(struct global_opts, pretty) },
	{ OPT_END }
};

int cmd__parse(const struct opt_spec *spec, const struct opt *opts, void *cfg, enum cmd_json json,
	       int argc, char **argv, struct opts_result *res)
{
	const struct opt_group groups[] = {
		{ "Options", opts, cfg },
		/* the listed globals, minus -j and -p when they do not apply */
		{ "Global options", json == CMD_JSON ? global_opts : global_opts + 2, &g_opts },
		{ "", text_global_opts, &g_opts },
	};
	int rc = opts__parse(spec, groups, json == CMD_JSON ? 2 : 3, argc, argv, res);

	g_opts.json |= g_opts.pretty;
	log_json = g_opts.json;
	if (rc == 0 && g_opts.json && json == CMD_TEXT) {
		rc = -1;
		snprintf(res->err, sizeof(res->err), "no JSON output from this command (-j, --json)");
	}
	if (rc == 0)
		return -1;
	opts_result__free(res);
	return rc > 0 ? EXIT_OK : p_usage(spec->cmd, "%s", res->err);
}

/* The sampler for the system g_opts names (the live one, or --root DIR). */
struct sampler *cmd__open_sampler(struct sampler_opts *so)
{
	so->paths = g_opts.paths;
	so->kallsyms = g_opts.kallsyms;
	so->captured_tree = g_opts.root != NULL;
	return sampler__open(so);
}
