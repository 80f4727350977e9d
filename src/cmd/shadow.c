// SPDX-License-Identifier: GPL-2.0
/*
 * klptop shadow: live accounting of livepatch shadow variables and leak
 * detection (docs/shadow.md), on the one event loop (lib/loop.h): its timer
 * for the table, its signals, the probes' ring buffer for leak events.
 */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "render/output.h"
#include "live/privs.h"
#include "live/sampler.h"
#include "live/shadow.h"
#include "lib/util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct shadow_cmd_opts {
	double delay_s;
	long intervals;   /* 0: until a signal */
	int json, pretty, no_leaks;
};

static const struct opt shadow_opts[] = {
	{ OPT_SECONDS, 'd', "delay", "SECONDS", "table interval (default 1)",
	  offsetof(struct shadow_cmd_opts, delay_s), 0.05, 86400 },
	{ OPT_NUMBER, 'n', "iterations", "N", "stop after N intervals",
	  offsetof(struct shadow_cmd_opts, intervals), 1, (double)LONG_MAX },
	{ OPT_NUMBER, 0, "intervals", "N", NULL, offsetof(struct shadow_cmd_opts, intervals), 1,
	  (double)LONG_MAX },
	{ OPT_CLEAR, 'l', "leaks", NULL, "name leaks: kfree hooks while shadows live (default)",
	  offsetof(struct shadow_cmd_opts, no_leaks) },
	{ OPT_SET, 0, "no-leaks", NULL, "counts only: never hook kfree/kmem_cache_free",
	  offsetof(struct shadow_cmd_opts, no_leaks) },
	{ OPT_END }
};

static const struct opt_spec shadow_spec = {
	.cmd = "shadow",
	.usage = "klptop shadow [--json] [-d SECONDS] [-n N] [--no-leaks]",
	.about = "Live shadow variables per id and per allocating module (count, bytes,\n"
		 "allocs/s, frees/s, growth, oldest), and leaks: owners freed with a\n"
		 "shadow attached (orphans), gets that return such a shadow (stale hits),\n"
		 "duplicate allocations; who owns each id (an id left by a patch that is\n"
		 "gone, an id two patches allocate differently). The leak summary\n"
		 "prints on exit (SIGINT too).\n"
		 "With --json: one JSON object per interval, then the summary.\n",
};

static int parse_args(int argc, char **argv, struct shadow_cmd_opts *o)
{
	struct opts_result res;
	int rc;

	*o = (struct shadow_cmd_opts){ .delay_s = 1.0 };
	rc = cmd__parse(&shadow_spec, shadow_opts, o, CMD_JSON, argc, argv, &res);
	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	o->json = g_opts.json;
	o->pretty = g_opts.pretty;
	return -1;
}

/* The snapshot: sysfs when this kernel has live patching, else the shadow
 * probes alone (a kernel without livepatch has only the free hooks). */
static int take(struct sampler *sm, struct snapshot *s)
{
	snapshot__init(s);
	if (!access("/sys/kernel/livepatch", F_OK) || g_opts.root)
		return sampler__fill(sm, s);
	s->taken_ns = realtime_ns();
	livepatch__read_kernel(&s->kernel, &g_opts.paths);
	shadow_probe__fill(sampler__shadow(sm), s);
	return EXIT_OK;
}

static int emit(const struct snapshot *s, const struct shadow_cmd_opts *o, int summary)
{
	json_object *j;
	int err;

	if (!o->json) {
		if (summary)
			shadow_snapshot__print_leaks(s->shadows, stdout);
		else
			shadow_snapshot__print_table(s->shadows, stdout);
		return ferror(stdout) ? EXIT_ERROR : EXIT_OK;
	}
	j = snapshot__to_json(s);
	json_object_object_add(j, "summary", json_object_new_boolean(summary));
	err = json__print(j, stdout, o->pretty);
	json_object_put(j);
	return err ? EXIT_ERROR : EXIT_OK;
}

enum { FD_OUT, FD_SHADOW };

/* Every interval a table (or a JSON line), leak events as they come, until
 * a signal, -n intervals, or the reader of stdout goes away (*gone: no
 * summary then). Returns EXIT_*. */
static int run(struct loop *l, struct sampler *sm, const struct shadow_cmd_opts *o, int *gone)
{
	struct snapshot s;
	long n = 0;
	int rc = EXIT_OK;

	loop__watch(l, STDOUT_FILENO, FD_OUT, 0);
	loop__watch(l, shadow_probe__event_fd(sampler__shadow(sm)), FD_SHADOW, 1);
	for (;;) {
		int id = -1;

		switch (loop__wait(l, -1, &id)) {
		case LOOP_READY:
			shadow_probe__poll(sampler__shadow(sm));
			continue;
		case LOOP_TICK:
			break;
		case LOOP_RESIZE:
		case LOOP_TIMEOUT:
		case LOOP_SIGNAL:   /* none caught here */
			continue;
		case LOOP_HANGUP:
			*gone = 1;
			return rc;
		case LOOP_STOP:
			return rc;
		case LOOP_ERROR:
			return EXIT_ERROR;
		}
		rc = take(sm, &s);
		if (rc == EXIT_OK && s.shadows)
			rc = emit(&s, o, 0);
		snapshot__free(&s);
		if (rc != EXIT_OK || (o->intervals && ++n >= o->intervals))
			return rc;
	}
}

int cmd_shadow(int argc, char **argv)
{
	struct shadow_cmd_opts o;
	struct sampler_opts so = { .shadows = 1, .no_routing = 1 };
	char why[256];
	struct sampler *sm;
	struct snapshot s;
	struct loop *l;
	int rc, rc2, gone = 0;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!privs__bpf_ok(why, sizeof(why))) {
		p_err("shadow: %s", why);
		return EXIT_PERM;
	}
	/* Signals first: a SIGINT while the probes load stops us after it. */
	l = loop__new("shadow", o.delay_s);
	if (!l)
		return EXIT_ERROR;
	so.no_leaks = o.no_leaks;
	sm = cmd__open_sampler(&so);
	if (!sampler__shadow(sm)) {
		p_err("shadow: the shadow probes could not be loaded (see -v)");
		sampler__close(sm);
		loop__free(l);
		return EXIT_ERROR;
	}
	rc = run(l, sm, &o, &gone);
	/* The summary, unless writing failed or nobody reads. */
	if (rc == EXIT_OK && !gone) {
		rc2 = take(sm, &s);
		if (rc2 == EXIT_OK && s.shadows)
			rc2 = emit(&s, &o, 1);
		snapshot__free(&s);
		rc = rc2;
	}
	sampler__close(sm);
	loop__free(l);
	return rc;
}
