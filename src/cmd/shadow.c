// SPDX-License-Identifier: GPL-2.0
/*
 * klptop shadow: live accounting of livepatch shadow variables and leak
 * detection (docs/shadow.md). One event loop: a timerfd for the table, a
 * signalfd for SIGINT/SIGTERM, the probes' ring buffer for leak events.
 */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "render/output.h"
#include "live/privs.h"
#include "live/sampler.h"
#include "live/shadow.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
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
	{ OPT_CLEAR, 'l', "leaks", NULL, "hook kfree/kmem_cache_free to name leaks (the default)",
	  offsetof(struct shadow_cmd_opts, no_leaks) },
	{ OPT_SET, 0, "no-leaks", NULL, "counts only: do not hook kfree/kmem_cache_free",
	  offsetof(struct shadow_cmd_opts, no_leaks) },
	{ OPT_END }
};

static const struct opt_spec shadow_spec = {
	.cmd = "shadow",
	.usage = "klptop shadow [--json] [-d SECONDS] [-n N] [--no-leaks]",
	.about = "Live shadow variables per id and per allocating module (count, bytes,\n"
		 "allocs/s, frees/s, growth, oldest), and leaks: owners freed with a\n"
		 "shadow attached (orphans), gets that return such a shadow (stale hits),\n"
		 "duplicate allocations. The leak summary prints on exit (SIGINT too).\n"
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

static const char *fmt_age(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (!ns)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
	return buf;
}

static void print_table(const struct snapshot *s, FILE *f)
{
	const struct shadow_snapshot *ss = s->shadows;
	char age[16];

	fprintf(f, "shadows: %llu live, %lld bytes, %llu orphans, %llu stale, %llu dup%s",
		(unsigned long long)ss->live, (long long)ss->bytes,
		(unsigned long long)ss->orphans, (unsigned long long)ss->stale,
		(unsigned long long)ss->duplicates, ss->leak_detection ? "" : "  (leak detection off)");
	/* Never silent: lost events and skipped probe hits are on every table. */
	if (ss->events_dropped)
		fprintf(f, "  DROPPED %llu events", (unsigned long long)ss->events_dropped);
	if (ss->missed)
		fprintf(f, "  MISSED %llu probe hits", (unsigned long long)ss->missed);
	fputc('\n', f);
	if (ss->scan_error)
		fprintf(f, "  note: %s\n", ss->scan_error);
	else if (ss->scanned)
		fprintf(f, "  %llu shadows existed before klptop (sizes unknown)%s\n",
			(unsigned long long)ss->preexisting,
			ss->scan_truncated ? ", scan truncated" : "");
	fprintf(f, "%-12s %8s %10s %9s %9s %9s %7s %7s\n", "ID", "LIVE", "BYTES", "ALLOC/s",
		"FREE/s", "GROWTH/s", "OLDEST", "ORPHAN");
	for (size_t i = 0; i < ss->nids; i++) {
		const struct shadow_id_info *d = &ss->ids[i];

		fprintf(f, "0x%-10llx %8lld %10lld %9.1f %9.1f %9.2f %7s %7llu\n",
			(unsigned long long)d->id, (long long)d->live, (long long)d->bytes,
			d->allocs_per_s, d->frees_per_s, d->growth_per_s,
			fmt_age(d->oldest_age_ns, age, sizeof(age)), (unsigned long long)d->orphans);
	}
	for (size_t i = 0; i < ss->ngroups; i++) {
		const struct shadow_group *g = &ss->groups[i];

		fprintf(f, "  0x%llx by %-24.24s %8lld live %9.2f/s %s\n",
			(unsigned long long)g->id, g->module, (long long)g->live,
			g->growth_per_s, g->patch_gone ? " PATCH GONE" : "");
	}
	fflush(f);
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
			print_table(s, stdout);
		return ferror(stdout) ? EXIT_ERROR : EXIT_OK;
	}
	j = snapshot__to_json(s);
	json_object_object_add(j, "summary", json_object_new_boolean(summary));
	err = json__print(j, stdout, o->pretty);
	json_object_put(j);
	return err ? EXIT_ERROR : EXIT_OK;
}

int cmd_shadow(int argc, char **argv)
{
	struct shadow_cmd_opts o;
	struct sampler_opts so = { .shadows = 1, .no_routing = 1 };
	struct itimerspec its = { 0 };
	char why[256];
	struct sampler *sm;
	struct snapshot s;
	sigset_t mask;
	int rc, sfd, tfd, done = 0;
	long n = 0;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!privs__bpf_ok(why, sizeof(why))) {
		p_err("shadow: %s", why);
		return EXIT_PERM;
	}
	so.no_leaks = o.no_leaks;
	sm = cmd__open_sampler(&so);
	if (!sampler__shadow(sm)) {
		p_err("shadow: the shadow probes could not be loaded (see -v)");
		sampler__close(sm);
		return EXIT_ERROR;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	its.it_value.tv_sec = its.it_interval.tv_sec = (time_t)o.delay_s;
	its.it_value.tv_nsec = its.it_interval.tv_nsec =
		(long)((o.delay_s - (double)(time_t)o.delay_s) * 1e9);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		p_err("shadow: timer/signal setup: %s", strerror(errno));
		rc = EXIT_ERROR;
		goto out;
	}
	rc = EXIT_OK;
	while (!done) {
		struct pollfd pfd[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
			{ .fd = shadow_probe__event_fd(sampler__shadow(sm)), .events = POLLIN },
		};
		uint64_t ticks;

		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents)
			shadow_probe__poll(sampler__shadow(sm));
		if (pfd[0].revents)
			break;
		if (!(pfd[1].revents & POLLIN) || read(tfd, &ticks, sizeof(ticks)) < 0)
			continue;
		rc = take(sm, &s);
		if (rc == EXIT_OK && s.shadows)
			rc = emit(&s, &o, 0);
		snapshot__free(&s);
		if (rc != EXIT_OK || (o.intervals && ++n >= o.intervals))
			done = 1;
	}
	if (rc == EXIT_OK || done) {
		int rc2 = take(sm, &s);

		if (rc2 == EXIT_OK && s.shadows)
			rc2 = emit(&s, &o, 1);
		snapshot__free(&s);
		if (rc == EXIT_OK)
			rc = rc2;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	sampler__close(sm);
	return rc;
}
