// SPDX-License-Identifier: GPL-2.0
/* klptop status: a one-shot snapshot from sysfs and procfs (no BPF needed). */
#include "cmd/cmd.h"
#include "lib/util.h"
#include "lib/log.h"
#include "render/output.h"
#include "live/sampler.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void status_usage(FILE *f)
{
	fputs("Usage: klptop status [--json] [--pretty] [--no-stacks] [--no-bpf] [--rounds N]\n"
	      "  One snapshot of every live patch and, while a transition runs, the tasks\n"
	      "  that have not switched yet with their kernel stacks.\n"
	      "  -j, --json       JSON output (schema: docs/json.md)\n"
	      "  -p, --pretty     indent JSON\n"
	      "  -S, --no-stacks  do not read kernel stacks of pending tasks\n"
	      "  -B, --no-bpf     sysfs and procfs only (no reasons, no verdicts)\n"
	      "  -r, --rounds N   during a transition, watch N of the kernel's check rounds\n"
	      "                   (about 1 s each) before answering (default 3)\n",
	      f);
}

static int parse_rounds(const char *arg, unsigned int *out)
{
	long v;

	if (parse_long(arg, &v) || v < 0 || v > 600) {
		p_err("status: --rounds wants a number from 0 to 600, not '%s'", arg);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int print_snapshot(const struct snapshot *s, int json, int pretty, int with_stacks)
{
	json_object *o;
	int err;

	if (!json) {
		snapshot__print_text(s, stdout, with_stacks);
		return fflush(stdout) ? EXIT_ERROR : EXIT_OK;
	}
	o = snapshot__to_json(s);
	err = json__print(o, stdout, pretty);
	json_object_put(o);
	return err ? EXIT_ERROR : EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	/* Shadow totals too (counts only: no free hooks for one snapshot). */
	struct sampler_opts so = { .with_stacks = 1, .no_bpf = g_opts.root != NULL,
				   .shadows = 1, .no_leaks = 1 };
	unsigned int rounds = 3;
	struct sampler *sm;
	struct snapshot s;
	int json = 0, pretty = 0, c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jpSBr:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'p': pretty = json = 1; break;
		case 'S': so.with_stacks = 0; break;
		case 'B': so.no_bpf = 1; break;
		case 'r':
			if (parse_rounds(optarg, &rounds))
				return EXIT_USAGE;
			break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: status_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p_err("status: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	log_json = json;
	/* Check for live patching before loading any BPF: one clear line. */
	snapshot__init(&s);
	rc = live__read_sysfs(&s, &g_opts.paths);
	if (rc != EXIT_OK)
		goto out_free;
	sm = cmd__open_sampler(&so);
	/* Reasons come from the kernel's own checks: join the transition (a
	 * first fill), watch a few rounds, then take the snapshot we print. */
	if (s.transition && rounds) {
		snapshot__free(&s);
		snapshot__init(&s);
		rc = sampler__fill(sm, &s);
		if (rc != EXIT_OK)
			goto out_close; /* said once, not again after the rounds */
		sampler__wait_rounds(sm, rounds, (int)rounds * 1500 + 1000);
	}
	snapshot__free(&s);
	snapshot__init(&s);
	rc = sampler__fill(sm, &s);
	if (rc == EXIT_OK)
		rc = print_snapshot(&s, json, pretty, so.with_stacks);
out_close:
	sampler__close(sm);
out_free:
	snapshot__free(&s);
	return rc;
}
