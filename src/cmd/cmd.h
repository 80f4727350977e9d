/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: one source file each, dispatched from main.c's table. */
#ifndef KLPTOP_CMD_H
#define KLPTOP_CMD_H

#include "live/sysfs.h"

struct global_opts {
	struct sys_paths paths;  /* --root DIR moves /sys and /proc under DIR */
	const char *kallsyms;    /* path of the kallsyms file */
	const char *root;        /* --root DIR, or NULL for the live system */
};
extern struct global_opts g_opts;

#include "live/sampler.h"
/* The sampler for the system g_opts names (the live one, or --root DIR). */
struct sampler *cmd__open_sampler(struct sampler_opts *so);

#include <stdio.h>
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

#endif
