// SPDX-License-Identifier: GPL-2.0
/* klptop: observability and transition debugging for kernel live patching.
 * main() parses global options and dispatches through one command table,
 * which also produces the help text. */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/util.h"

#include <bpf/libbpf.h>
#include <getopt.h>
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
	{ "top", cmd_top, "live view of patches, transition and blockers (default; --batch)" },
	{ "check", cmd_check, "preflight of a live patch module against this kernel (--json)" },
	{ "gate", cmd_gate, "run COMMAND (insmod PATCH.ko) when no transition runs; follow it" },
	{ "record", cmd_record, "record events and snapshots to a file (-o FILE; for report)" },
	{ "report", cmd_report, "report on a recording: transitions, stragglers (--json, --format chrome)" },
	{ "metrics", cmd_metrics, "Prometheus metrics: once, --textfile DIR or --listen PORT" },
	{ "shadow", cmd_shadow, "shadow variables per id and module, leaks on exit (--json)" },
	{ "force", cmd_force, "force a stuck transition (UNSAFE; asks first, logs to dmesg)" },
	{ "disable", cmd_disable, "disable a patch / reverse its transition (asks first, logs)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: klptop [-v] [--root DIR] COMMAND [ARGS]\n"
		   "       klptop --version | --help\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -v, --verbose   more messages (twice: libbpf debug output)\n"
		   "  --root DIR      read sysfs and procfs below DIR (a captured tree)\n"
		   "  -V, --version   version and build facts\n"
		   "Run 'klptop COMMAND --help' for a command's options.\n");
}

/* An exact name, or a prefix that matches exactly one command. */
static const struct cmd *find_command(const char *name)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, len)) {
			if (found)
				return NULL;
			found = &commands[i];
		}
	}
	return found;
}

static char root_sys[4096], root_proc[4096], root_kallsyms[4096];

static void set_root(const char *dir)
{
	snprintf(root_sys, sizeof(root_sys), "%s/sys", dir);
	snprintf(root_proc, sizeof(root_proc), "%s/proc", dir);
	snprintf(root_kallsyms, sizeof(root_kallsyms), "%s/proc/kallsyms", dir);
	g_opts.paths.sysfs = root_sys;
	g_opts.paths.procfs = root_proc;
	g_opts.kallsyms = root_kallsyms;
	g_opts.root = dir;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "root", required_argument, NULL, 'R' },
		{ 0 }
	};
	const struct cmd *cmd;
	int c, top_args = 0, arg = optind;

	/* A closed pipe is an error to report (EPIPE), not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/* An option that is not global starts the default command's options
	 * ("klptop --batch -n 2" is "klptop top --batch -n 2"). */
	opterr = 0;
	while (!top_args && (arg = optind,
			     c = getopt_long(argc, argv, "+:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': log_level++; break;
		case 'V': print_version(stdout); return EXIT_OK;
		case 'h': usage(stdout); return EXIT_OK;
		case 'R': set_root(optarg); break;
		case '?': top_args = 1; break;
		default:
			p_err("option '%s' needs an argument", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	log_setup_libbpf();
	if (top_args || optind >= argc) {
		/* The live view is the default command (docs/live-view.md). */
		argv[arg - 1] = "top";
		return cmd_top(argc - arg + 1, argv + arg - 1);
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		p_err("unknown or ambiguous command '%s' (see 'klptop --help')", argv[optind]);
		return EXIT_USAGE;
	}
	return cmd->fn(argc - optind, argv + optind);
}
