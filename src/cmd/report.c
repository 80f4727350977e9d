// SPDX-License-Identifier: GPL-2.0
/* klptop report FILE: the command (the report itself is src/recording/report.c). */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/util.h"
#include "recording/recfile.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report_file(const char *path, int format, int flags)
{
	size_t len;
	char *buf = read_all(path, &len);
	int rc;

	if (!buf) {
		p_err("report: cannot read %s: %s", path, strerror(errno));
		return errno == EACCES ? EXIT_PERM : EXIT_ERROR;
	}
	rc = report__mem(path, buf, len, format, flags, stdout);
	free(buf);
	return rc;
}

struct report_cli {
	int format;               /* -1: as -j says */
	int redact;
};

static const struct opt_choice report_formats[] = {
	{ "text", 0 }, { "json", 1 }, { "chrome", 2 }, { "perfetto", 2 }, { NULL }
};

static const struct opt report_opts[] = {
	{ OPT_CHOICE, 'F', "format", "text|json|chrome", "text (default), json, or chrome:\n"
	  "Trace Event JSON for Perfetto (ui.perfetto.dev)\n"
	  "or chrome://tracing", offsetof(struct report_cli, format), .choices = report_formats },
	{ OPT_SET, 'R', "redact", NULL, "no kernel addresses in the output (owners as obj#N)",
	  offsetof(struct report_cli, redact) },
	{ OPT_END }
};

static const struct opt_spec report_spec = {
	.cmd = "report",
	.usage = "klptop report FILE [--format text|json|chrome] [--redact]\n"
		 "klptop report FILE --json [--pretty] [--redact]",
	.about = "What a recording made by 'klptop record' says: each transition, how\n"
		 "pending tasks converged, the stragglers and why, shadows, drops.\n"
		 "--json is --format json. A damaged or cut file is reported up to its last\n"
		 "complete chunk.\n",
	.operand = "FILE",
	.min_operands = 1,
	.max_operands = 1,
};

int cmd_report(int argc, char **argv)
{
	struct report_cli cli = { .format = -1 };
	struct opts_result res;
	const char *path;
	int rc;

	rc = cmd__parse(&report_spec, report_opts, &cli, CMD_JSON, argc, argv, &res);
	if (rc >= 0)
		return rc;
	path = res.operands[0]; /* a string of argv's */
	opts_result__free(&res);
	/* --format says which; -j alone means JSON (errors are JSON under -j) */
	if (cli.format < 0)
		cli.format = g_opts.json ? 1 : 0;
	log_json = cli.format == 1 || g_opts.json;
	return report_file(path, cli.format, (g_opts.pretty ? REPORT_PRETTY : 0) |
					     (cli.redact ? REPORT_REDACT : 0));
}
