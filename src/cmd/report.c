// SPDX-License-Identifier: GPL-2.0
/* klptop report FILE: what a recording says happened (the report model,
 * recording/report_model.h, drawn by render/report_*.c). FILE "-" reads
 * the recording from stdin. */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "recording/recording.h"
#include "render/report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void report_usage(FILE *f)
{
	fputs("Usage: klptop report FILE [--json] [--format text|json|chrome] [--pretty] [--redact]\n"
	      "  What a recording made by 'klptop record' says: each transition and what\n"
	      "  it cost, how pending tasks converged, the stragglers and why, shadows,\n"
	      "  drops. FILE - reads the recording from stdin.\n"
	      "  -j, --json          JSON for tools\n"
	      "  -F, --format FMT    text (default), json, or chrome: Trace Event JSON\n"
	      "                      for Perfetto (ui.perfetto.dev) or chrome://tracing\n"
	      "  -p, --pretty        indent JSON\n"
	      "  -R, --redact        no kernel addresses in the output (owners as obj#N)\n"
	      "  A damaged or cut file is reported up to its last complete chunk.\n",
	      f);
}

static int parse_format(const char *arg, enum report_format *out)
{
	if (!strcmp(arg, "text"))
		*out = REPORT_TEXT;
	else if (!strcmp(arg, "json"))
		*out = REPORT_JSON;
	else if (!strcmp(arg, "chrome") || !strcmp(arg, "perfetto"))
		*out = REPORT_CHROME;
	else
		return -1;
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "redact", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum report_format format = REPORT_TEXT;
	struct recording r;
	int flags = 0, c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jF:pRh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': format = REPORT_JSON; break;
		case 'F':
			if (parse_format(optarg, &format)) {
				p_err("report: --format wants text, json or chrome, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p': flags |= REPORT_PRETTY; break;
		case 'R': flags |= REPORT_REDACT; break;
		case 'h': report_usage(stdout); return EXIT_OK;
		default: report_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		p_err("report: want exactly one FILE");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	log_json = format == REPORT_JSON;
	rc = recording__open(&r, "report", argv[optind]);
	if (rc == EXIT_OK)
		rc = report__run(&r, format, flags, stdout);
	recording__close(&r);
	return rc;
}
