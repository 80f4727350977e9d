/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: one source file each, dispatched from main.c's table. Each
 * has one option table (lib/opts.h) that its parser and --help come from. */
#ifndef KLPTOP_CMD_H
#define KLPTOP_CMD_H

#include "lib/opts.h"
#include "live/sampler.h"
#include "live/sysfs.h"
#include "model/model.h"

#include <stddef.h>
#include <stdio.h>

struct global_opts {
	struct sys_paths paths;  /* --root DIR moves /sys and /proc under DIR */
	const char *kallsyms;    /* path of the kallsyms file */
	const char *root;        /* --root DIR, or NULL for the live system */
	int json;                /* -j/--json (and -p/--pretty) */
	int pretty;              /* -p/--pretty */
};
extern struct global_opts g_opts;

/* The global options, accepted before and after any command (options.c). */
extern const struct opt_group cmd_globals;

/* Whether a command has a JSON output (-j and -p apply). */
enum cmd_json { CMD_TEXT, CMD_JSON };

/*
 * Parse a command's argv (argv[0] its name) against its own table (into
 * cfg) and the global options. Returns -1 to go on, or the exit code to
 * return: 0 after --help, EXIT_USAGE after one line naming the problem (JSON
 * under -j). On -1, res holds the operands (opts_result__free) and log_json
 * follows -j.
 */
int cmd__parse(const struct opt_spec *spec, const struct opt *opts, void *cfg, enum cmd_json json,
	       int argc, char **argv, struct opts_result *res);

/* The sampler for the system g_opts names (the live one, or --root DIR). */
struct sampler *cmd__open_sampler(struct sampler_opts *so);

/* version.c */
void print_version(FILE *f);

int cmd_status(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_shadow(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* act.c: the two commands that write to the kernel */
int cmd_force(int argc, char **argv);
int cmd_disable(int argc, char **argv);
/* main.c */
int cmd_help(int argc, char **argv);
/* version.c */
int cmd_version(int argc, char **argv);

#endif
