// SPDX-License-Identifier: GPL-2.0
/* klptop report FILE: what a recording says happened (the report model,
 * recording/report_model.h, drawn by render/report_*.c). FILE "-" reads
 * the recording from stdin. */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "recording/recording.h"
#include "render/report.h"

#include <stddef.h>
#include <stdio.h>

struct report_cli {
	int format;               /* -1: as -j says */
	int redact;
};

static const struct opt_choice report_formats[] = {
	{ "text", REPORT_TEXT }, { "json", REPORT_JSON }, { "chrome", REPORT_CHROME },
	{ "perfetto", REPORT_CHROME }, { NULL }
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
	.about = "What a recording made by 'klptop record' says: each transition and what\n"
		 "it cost, how pending tasks converged, the stragglers and why, shadows,\n"
		 "drops. FILE - reads the recording from stdin. --json is --format json.\n"
		 "A damaged or cut file is reported up to its last complete chunk.\n",
	.operand = "FILE",
	.min_operands = 1,
	.max_operands = 1,
};

int cmd_report(int argc, char **argv)
{
	struct report_cli cli = { .format = -1 };
	struct opts_result res;
	struct recording r;
	const char *path;
	int rc;

	rc = cmd__parse(&report_spec, report_opts, &cli, CMD_JSON, argc, argv, &res);
	if (rc >= 0)
		return rc;
	path = res.operands[0]; /* a string of argv's */
	opts_result__free(&res);
	/* --format says which; -j alone means JSON (errors are JSON under -j) */
	if (cli.format < 0)
		cli.format = g_opts.json ? REPORT_JSON : REPORT_TEXT;
	log_json = cli.format == REPORT_JSON || g_opts.json;
	rc = recording__open(&r, "report", path);
	if (rc == EXIT_OK)
		rc = report__run(&r, (enum report_format)cli.format,
				 (g_opts.pretty ? REPORT_PRETTY : 0) | (cli.redact ? REPORT_REDACT : 0),
				 stdout);
	recording__close(&r);
	return rc;
}
