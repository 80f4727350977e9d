// SPDX-License-Identifier: GPL-2.0
/* klptop status: a one-shot snapshot from sysfs and procfs (no BPF needed). */
#include "cmd.h"
#include "kallsyms.h"
#include "log.h"
#include "output.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void status_usage(FILE *f)
{
	fputs("Usage: klptop status [--json] [--pretty] [--no-stacks]\n"
	      "  One snapshot of every live patch and, while a transition runs, the tasks\n"
	      "  that have not switched yet with their kernel stacks.\n"
	      "  -j, --json       JSON output (schema: docs/json.md)\n"
	      "  -p, --pretty     indent JSON\n"
	      "  -S, --no-stacks  do not read kernel stacks of pending tasks\n",
	      f);
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fill_opts fo = { .with_stacks = 1 };
	struct ksyms *ks = NULL;
	struct snapshot s;
	int json = 0, pretty = 0, c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jpSh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'p': pretty = json = 1; break;
		case 'S': fo.with_stacks = 0; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: status_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p_err("status: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	log_json = json;
	if (fo.with_stacks) {
		ks = ksyms__load(g_opts.kallsyms);
		if (!ks)
			p_debug("cannot read %s: %s; stacks keep no addresses", g_opts.kallsyms,
				strerror(errno));
	}
	snapshot__init(&s);
	rc = snapshot__fill_live(&s, &g_opts.paths, &fo, ks);
	if (rc == EXIT_OK) {
		if (json) {
			json_object *o = snapshot__to_json(&s);

			if (json__print(o, stdout, pretty) == -EPIPE)
				rc = EXIT_ERROR;
			json_object_put(o);
		} else {
			snapshot__print_text(&s, stdout, fo.with_stacks);
		}
	}
	snapshot__free(&s);
	ksyms__free(ks);
	return rc;
}
