// SPDX-License-Identifier: GPL-2.0
/* klptop: observability and transition debugging for kernel live patching.
 * main() parses the global options and dispatches through one command table,
 * which also gives the help text its command list. */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "status", cmd_status, "one snapshot of live patches and the transition (--json)" },
	{ "top", cmd_top, "live view of patches, transition and blockers (default;\n"
			  "--batch; --replay FILE shows a recording)" },
	{ "check", cmd_check, "preflight of a live patch module against this kernel (--json)" },
	{ "gate", cmd_gate, "run COMMAND (insmod PATCH.ko) when no transition runs; follow it" },
	{ "record", cmd_record, "record events and snapshots to a file (-o FILE; for report)" },
	{ "report", cmd_report, "report on a recording: transitions, stragglers (--json,\n"
				"--format chrome)" },
	{ "metrics", cmd_metrics, "Prometheus metrics: once, --textfile DIR or --listen PORT" },
	{ "shadow", cmd_shadow, "shadow variables per id and module, leaks on exit (--json)" },
	{ "force", cmd_force, "force a stuck transition (UNSAFE; asks first, logs to dmesg)" },
	{ "disable", cmd_disable, "disable a patch / reverse its transition (asks first, logs)" },
	{ "help", cmd_help, "this help, or a command's: klptop help COMMAND" },
	{ "version", cmd_version, "version and build facts (also -V, --version)" },
};

/* ---- help ------------------------------------------------------------------- */

#define COMMAND_COLUMN 13

static char main_about[2048], main_epilog[1024];

static struct opt_spec main_spec = {
	.cmd = "klptop",
	.usage = "klptop [OPTIONS] COMMAND [ARGS]\n"
		 "klptop [OPTIONS] [top options]     the live view (top is the default)\n"
		 "klptop --replay FILE [--batch]     a recording, in the live view",
	.about = main_about,
	.epilog = main_epilog,
	.operand = "COMMAND",
	.max_operands = -1,
	.operands_end_options = 1,
	.unknown_ends_options = 1,
};

/* The command list and the exit codes, from their tables. */
static void build_main_help(void)
{
	FILE *f = fmemopen(main_about, sizeof(main_about), "w");

	if (f) {
		fputs("Observability and transition debugging for kernel live patching.\n"
		      "\nCommands:\n", f);
		for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
			fprintf(f, "  %-*s", COMMAND_COLUMN - 2, commands[i].name);
			for (const char *s = commands[i].summary; *s; s++) {
				fputc(*s, f);
				if (*s == '\n')
					fprintf(f, "%*s", COMMAND_COLUMN, "");
			}
			fputc('\n', f);
		}
		fputs("A command may be abbreviated to a prefix that names only it.\n", f);
		fclose(f);
	}
	f = fmemopen(main_epilog, sizeof(main_epilog), "w");
	if (f) {
		fputs("Global options go before or after the command.\nExit status:\n", f);
		exit_codes__print(f);
		fputs("Run 'klptop help COMMAND' for a command's options.\n", f);
		fclose(f);
	}
}

static void print_main_help(FILE *f)
{
	opts__print_help(&main_spec, &cmd_globals, 1, f);
}

/* ---- commands ----------------------------------------------------------------- */

/* An exact name, or a prefix that names one command. NULL otherwise, with
 * the candidates of an ambiguous prefix in cands (else ""). */
static const struct cmd *find_command(const char *name, char *cands, size_t clen)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name), used = 0;
	int matches = 0;

	cands[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (strncmp(commands[i].name, name, len))
			continue;
		matches++;
		found = &commands[i];
		if (used < clen)
			used += (size_t)snprintf(cands + used, clen - used, "%s%s", used ? ", " : "",
						 commands[i].name);
	}
	if (matches == 1)
		cands[0] = '\0';
	return matches == 1 ? found : NULL;
}

static const struct cmd *command_named(const char *name)
{
	char cands[256];
	const struct cmd *c = find_command(name, cands, sizeof(cands));

	if (c)
		return c;
	if (cands[0])
		p_usage(NULL, "ambiguous command '%s': %s", name, cands);
	else
		p_usage(NULL, "unknown command '%s'", name);
	return NULL;
}

static const struct opt_spec help_spec = {
	.cmd = "help",
	.usage = "klptop help [COMMAND]",
	.about = "The command list and the global options, or COMMAND's options\n"
		 "(the same as 'klptop COMMAND --help').\n",
	.operand = "COMMAND",
	.max_operands = 1,
};

static const struct opt help_opts[] = { { OPT_END } };

int cmd_help(int argc, char **argv)
{
	struct opts_result res;
	const struct cmd *c;
	char *help_argv[] = { NULL, "--help", NULL };
	int rc = cmd__parse(&help_spec, help_opts, NULL, CMD_TEXT, argc, argv, &res);

	if (rc >= 0)
		return rc;
	if (!res.noperands) {
		opts_result__free(&res);
		print_main_help(stdout);
		return EXIT_OK;
	}
	c = command_named(res.operands[0]);
	opts_result__free(&res);
	if (!c)
		return EXIT_USAGE;
	help_argv[0] = (char *)c->name;
	return c->fn(2, help_argv);
}

/* Whether -j or -p comes after the command word (before "--"). */
static int json_after(const struct opts_result *res)
{
	for (int i = 1; i < res->noperands && strcmp(res->operands[i], "--"); i++) {
		const struct opt *o = opts__lookup(&cmd_globals, 1, res->operands[i]);

		if (o && o->name && (!strcmp(o->name, "json") || !strcmp(o->name, "pretty")))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *cmd;
	struct opts_result res;
	char **args;
	int rc, first, n = 0;

	/* A closed pipe is an error to report (EPIPE), not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	log_setup_libbpf();
	build_main_help();
	/* The global options before the command; the command word and all
	 * after it (or an option of top's: "klptop --batch") are operands. */
	rc = opts__parse(&main_spec, &cmd_globals, 1, argc, argv, &res);
	g_opts.json |= g_opts.pretty;
	log_json = g_opts.json;
	if (rc != 0) {
		if (rc < 0)
			p_usage(NULL, "%s", res.err);
		opts_result__free(&res);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	/* The live view is the default command (docs/live-view.md). */
	first = res.noperands && res.operands[0][0] != '-';
	if (first && json_after(&res))
		log_json = 1; /* "klptop frobnicate --json": the error is JSON too */
	cmd = command_named(first ? res.operands[0] : "top");
	if (!cmd) {
		opts_result__free(&res);
		return EXIT_USAGE;
	}
	args = xcalloc((size_t)res.noperands + 2, sizeof(*args));
	args[n++] = (char *)cmd->name;
	for (int i = first; i < res.noperands; i++)
		args[n++] = res.operands[i];
	rc = cmd->fn(n, args);
	free(args);
	opts_result__free(&res);
	return rc;
}
