// SPDX-License-Identifier: GPL-2.0
/* klptop status: a one-shot snapshot from sysfs and procfs (no BPF needed). */
#include "cmd/cmd.h"
#include "lib/util.h"
#include "lib/log.h"
#include "render/output.h"
#include "live/sampler.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct status_cfg {
	struct sampler_opts so;
	long rounds;
};

static const struct opt status_opts[] = {
	{ OPT_CLEAR, 'S', "no-stacks", NULL, "do not read the kernel stacks of pending tasks",
	  offsetof(struct status_cfg, so.with_stacks) },
	{ OPT_SET, 'B', "no-bpf", NULL, "sysfs and procfs only (no reasons, no verdicts)",
	  offsetof(struct status_cfg, so.no_bpf) },
	{ OPT_NUMBER, 'r', "rounds", "N", "during a transition, watch N of the kernel's check\n"
	  "rounds (about 1 s each) before answering (default 3)",
	  offsetof(struct status_cfg, rounds), 0, 600 },
	{ OPT_END }
};

static const struct opt_spec status_spec = {
	.cmd = "status",
	.usage = "klptop status [--json] [--pretty] [--no-stacks] [--no-bpf] [--rounds N]",
	.about = "One snapshot of every live patch and, while a transition runs, the tasks\n"
		 "that have not switched yet with their kernel stacks (JSON: docs/json.md).\n",
};

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
	/* Shadow totals too (counts only: no free hooks for one snapshot). */
	struct status_cfg o = { .rounds = 3,
				.so = { .with_stacks = 1, .no_bpf = g_opts.root != NULL,
					.shadows = 1, .no_leaks = 1 } };
	unsigned int rounds;
	struct opts_result res;
	struct sampler *sm;
	struct snapshot s;
	int rc;

	rc = cmd__parse(&status_spec, status_opts, &o, CMD_JSON, argc, argv, &res);
	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	rounds = (unsigned int)o.rounds;
	/* Check for live patching before loading any BPF: one clear line. */
	snapshot__init(&s);
	rc = live__read_sysfs(&s, &g_opts.paths);
	if (rc != EXIT_OK)
		goto out_free;
	sm = cmd__open_sampler(&o.so);
	/* Nothing less than what was visible: a transition sysfs showed before
	 * the probes were ready is told even if it ends meanwhile. */
	sampler__saw_transition(sm, s.transition);
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
		rc = print_snapshot(&s, g_opts.json, g_opts.pretty, o.so.with_stacks);
out_close:
	sampler__close(sm);
out_free:
	snapshot__free(&s);
	return rc;
}
