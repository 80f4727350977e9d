// SPDX-License-Identifier: GPL-2.0
/* klptop record: write the transition and shadow events and a snapshot every
 * interval into a recording file (docs/trace-format.md) for klptop report.
 * It runs on the one event loop (lib/loop.h): the ring buffers, the
 * snapshot timer and the signals; SIGINT, SIGTERM and SIGHUP end the
 * recording cleanly (an END chunk), kill -9 leaves a file that reads back
 * to its last complete chunk. -o - writes to stdout (a pipe); without -o,
 * the file is named after the host and the time. */
#include "cmd/cmd.h"
#include "lib/buildinfo.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "render/output.h"
#include "recording/recfile.h"
#include "live/sampler.h"
#include "live/shadow.h"
#include "lib/util.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "klptop/shadow.h"
#include "klptop/transition.h"

#define MAX_MODULES 64
#define REC_PACE_MS 2     /* ring buffer reads, at most, while events flow */

/* The command line (record_opts). */
struct record_cli {
	const char *path;         /* -o; "-": stdout; NULL: a name of our own */
	double duration, interval;
	int until_stable, force, redact;
	size_t ring;              /* --flight-recorder SIZE */
	double trigger_pending;
	struct sampler_opts so;
};

struct recorder {
	struct rec_writer *w;
	struct sampler *sm;
	uint64_t events, shadow_events;
	int seen_transition;      /* a transition ran at some point */
	int trans_open;           /* INIT seen, its COMPLETE/CANCEL not yet */
	unsigned int idle_snaps;  /* snapshots in a row without a transition */
	int write_error;
	uint64_t last_drops[3];
	char *modules[MAX_MODULES];   /* whose kallsyms lines go into SYMBOLS */
	size_t nmodules;
	size_t nmodules_written;      /* modules covered by the last SYMBOLS */
	int redact;                   /* --redact */
	uint64_t shadow_dropped;      /* shadow events lost (ring buffer full) */
	uint64_t fill_max_ns;         /* longest sampler__fill: ring buffers unread */
	/* --flight-recorder */
	double trigger_pending;       /* seconds; 0: no pending trigger */
	uint64_t busy_since;          /* first snapshot of the current transition */
	const char *triggered;        /* why the ring was written, NULL: not yet */
	struct loop *loop;
	uint64_t snaps;               /* snapshots written */
	unsigned int compact_left;    /* compact snapshots before the next full one */
	int pacing;                   /* events flowed at the last wake-up */
};

/* Flight recorder: write what the ring holds and record from now on. */
static void trigger(struct recorder *r, const char *why)
{
	json_object *o;

	if (r->triggered || !recfile__ring_active(r->w))
		return;
	r->triggered = why;
	p_note("flight recorder triggered (%s): writing what it holds (%llu older chunks "
	       "dropped), then recording on", why,
	       (unsigned long long)recfile__ring_evicted(r->w));
	if (recfile__ring_flush(r->w))
		r->write_error = 1;
	o = json_object_new_object();
	json_object_object_add(o, "trigger", json_object_new_string(why));
	json_object_object_add(o, "monotonic_ns", json_object_new_int64((int64_t)now_ns()));
	json_object_object_add(o, "chunks_evicted",
			       json_object_new_int64((int64_t)recfile__ring_evicted(r->w)));
	recfile__write_json(r->w, REC_METADATA, o);
	json_object_put(o);
}

static void sink(void *ctx, int kind, const void *data, size_t len)
{
	struct recorder *r = ctx;
	int shadow = kind == SAMPLER_EV_SHADOW;

	if (!shadow && len >= sizeof(struct klpt_event)) {
		uint32_t type = ((const struct klpt_event *)data)->type;

		if (type == KLPT_EV_INIT)
			r->seen_transition = r->trans_open = 1;
		else if (type == KLPT_EV_COMPLETE || type == KLPT_EV_CANCEL)
			r->trans_open = 0;
	}
	/* Packed into the current batch (docs/trace-format.md, version 2). */
	if (recfile__add_event(r->w, shadow ? REC_EV_SHADOW : REC_EV_TRANSITION, data, len))
		r->write_error = 1;
	if (shadow)
		r->shadow_events++;
	else
		r->events++;
	if (!shadow && len >= sizeof(struct klpt_event) &&
	    ((const struct klpt_event *)data)->type == KLPT_EV_FORCE)
		trigger(r, "forced transition");
	if (shadow && len >= sizeof(struct klpt_shadow_event) &&
	    ((const struct klpt_shadow_event *)data)->type == KLPT_SH_EV_ORPHAN)
		trigger(r, "shadow orphan");
}

/* Stack resolver for the writer: read the ips behind an id (once: the
 * writer keeps what it resolved) and symbolize them with the sampler's
 * symbols, which follow modules as they load (a patch loaded after the
 * recording started is named, not taken for the code before it). Frames
 * keep symbol, module and offset, so a redacted file still says where. */
static size_t resolve_stack(void *ctx, uint32_t source, uint64_t key, struct rec_frame *out,
			    size_t max)
{
	struct recorder *r = ctx;
	uint64_t ips[KLPT_MAX_STACK] = { 0 };
	size_t n = 0;

	if (source == REC_STK_SHADOW || source == REC_STK_JUDGED) {
		n = sampler__stack_ips(r->sm, source == REC_STK_SHADOW, key, ips, KLPT_MAX_STACK);
	} else if (source == REC_STK_ADDR && key) {
		ips[0] = key;
		n = 1;
	}
	if (n > max)
		n = max;
	ksymtab__refresh(sampler__ksymtab(r->sm));
	for (size_t i = 0; i < n; i++) {
		const struct ksym *s = ksymtab__find_addr(sampler__ksymtab(r->sm), ips[i], 0,
							  &out[i].offset);

		out[i].addr = ips[i];
		out[i].symbol = s ? s->name : NULL;
		out[i].module = s ? s->module : NULL;
		if (!s)
			out[i].offset = 0;
	}
	return n;
}

static void read_line(const char *path, char *buf, size_t len)
{
	if (read_text(path, buf, len) < 0)
		buf[0] = '\0';
	strip_newline(buf);
}

static int write_header(struct recorder *r, int argc, char **argv)
{
	json_object *h = json_object_new_object(), *cmd = json_object_new_array();
	char boot_id[64], host[256] = "";
	struct utsname u;
	int rc;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < argc; i++)
		json_object_array_add(cmd, json_object_new_string(argv[i]));
	json_object_object_add(h, "kernel_release", json_object_new_string(u.release));
	json_object_object_add(h, "kernel_version", json_object_new_string(u.version));
	json_object_object_add(h, "machine", json_object_new_string(u.machine));
	json_object_object_add(h, "boot_id", json_object_new_string(boot_id));
	json_object_object_add(h, "hostname", json_object_new_string(host));
	json_object_object_add(h, "klptop_version", json_object_new_string(klptop_version));
	json_object_object_add(h, "command_line", cmd);
	json_object_object_add(h, "start_realtime_ns", json_object_new_int64((int64_t)realtime_ns()));
	json_object_object_add(h, "start_monotonic_ns", json_object_new_int64((int64_t)now_ns()));
	json_object_object_add(h, "event_size", json_object_new_int((int)sizeof(struct klpt_event)));
	json_object_object_add(h, "redacted", json_object_new_boolean(r->redact));
	rc = recfile__write_json(r->w, REC_HEADER, h);
	json_object_put(h);
	return rc;
}

static void remember_module(struct recorder *r, const char *name)
{
	if (!name || !strcmp(name, "vmlinux") || r->nmodules == MAX_MODULES)
		return;
	for (size_t i = 0; i < r->nmodules; i++)
		if (!strcmp(r->modules[i], name))
			return;
	r->modules[r->nmodules++] = xstrdup(name);
}

/* A stall of thousands of tasks: every snapshot listing each pending task
 * in full would write megabytes a second (10,000 tasks: 4.6 MB of JSON,
 * about 200 KB compressed, 0.7 GB an hour). Above FULL_PENDING_MAX, one
 * snapshot in FULL_EVERY lists them in full, the others compactly: each
 * task's pid, tid, comm, failed rounds and group (docs/trace-format.md). */
#define FULL_PENDING_MAX 256
#define FULL_EVERY 10

static int snapshot_json_flags(struct recorder *r, const struct snapshot *s)
{
	int big = s->transition && s->transition->ntasks > FULL_PENDING_MAX;

	if (!big || !r->compact_left) {
		r->compact_left = big ? FULL_EVERY - 1 : 0;  /* a stall's first is full */
		return 0;
	}
	r->compact_left--;
	return SNAPSHOT_JSON_COMPACT;
}

/* One snapshot chunk. Returns 1 if a transition is in progress, 0 if not,
 * -1 on a fatal error. */
static int take_snapshot(struct recorder *r, json_object **probes)
{
	struct snapshot s;
	json_object *o;
	int rc, busy;

	uint64_t t0;

	/* The ring buffers are not read while the sampler fills (under
	 * emulation that takes tens of ms, as long as 2000 shadow events take
	 * to fill 256 KiB): empty them right before and right after. */
	sampler__poll(r->sm);
	snapshot__init(&s);
	t0 = now_ns();
	rc = sampler__fill(r->sm, &s);
	if (now_ns() - t0 > r->fill_max_ns)
		r->fill_max_ns = now_ns() - t0;
	sampler__poll(r->sm);
	if (rc != EXIT_OK) {
		snapshot__free(&s);
		return -1;
	}
	busy = s.transition != NULL;
	if (busy)
		r->seen_transition = 1;
	if (!busy)
		r->busy_since = 0;
	else if (!r->busy_since)
		r->busy_since = now_ns();
	for (size_t i = 0; i < s.npatches; i++) {
		remember_module(r, s.patches[i].name);
		for (size_t j = 0; j < s.patches[i].nobjs; j++)
			remember_module(r, s.patches[i].objs[j].name);
	}
	if (s.shadows)
		r->shadow_dropped = s.shadows->events_dropped;
	o = snapshot__to_json_ex(&s, snapshot_json_flags(r, &s));
	if (r->redact)
		recfile__redact_json(recfile__pseudonyms(r->w), o);
	if (recfile__write_snapshot(r->w, now_ns(),
				    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)))
		r->write_error = 1;
	if (probes && !*probes)
		*probes = json_object_get(json_object_object_get(o, "probes"));
	json_object_put(o);
	snapshot__free(&s);
	if (busy && r->trigger_pending > 0 &&
	    now_ns() - r->busy_since >= (uint64_t)(r->trigger_pending * 1e9))
		trigger(r, "transition pending too long");
	return busy;
}

static void write_drops(struct recorder *r, int always)
{
	uint64_t d[3] = { 0 };
	json_object *o;

	sampler__drops(r->sm, &d[0], &d[1]);
	d[2] = r->shadow_dropped;
	if (!always && !memcmp(d, r->last_drops, sizeof(d)))
		return;
	memcpy(r->last_drops, d, sizeof(d));
	o = json_object_new_object();
	json_object_object_add(o, "monotonic_ns", json_object_new_int64((int64_t)now_ns()));
	json_object_object_add(o, "transition_events", json_object_new_int64((int64_t)d[0]));
	json_object_object_add(o, "blockers", json_object_new_int64((int64_t)d[1]));
	json_object_object_add(o, "shadow_events", json_object_new_int64((int64_t)d[2]));
	if (recfile__write_json(r->w, REC_DROPS, o))
		r->write_error = 1;
	json_object_put(o);
}

/* kallsyms lines of the patch modules and the objects they patch, and the
 * livepatch core's own symbols: enough to symbolize what the file refers to. */
static void write_symbols(struct recorder *r)
{
	size_t len, outlen = 0, cap = 0;
	char *all = read_all(g_opts.kallsyms, &len), *out = NULL, *line, *save;

	if (!all)
		return;
	for (line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *mod = strchr(line, '[');
		const char *name = strchr(line, ' ');
		int keep = 0;

		name = name ? strchr(name + 1, ' ') : NULL;
		if (mod) {
			const char *end = strchr(mod, ']');

			for (size_t i = 0; end && i < r->nmodules; i++)
				if ((size_t)(end - mod - 1) == strlen(r->modules[i]) &&
				    !strncmp(mod + 1, r->modules[i], (size_t)(end - mod - 1)))
					keep = 1;
		} else if (name && (!strncmp(name + 1, "klp_", 4) || !strncmp(name + 1, "__klp", 5))) {
			keep = 1;
		}
		if (!keep)
			continue;
		/* --redact: the names stay, the address becomes zeros (what
		 * kallsyms itself shows under kptr_restrict). */
		if (r->redact && name) {
			size_t alen = strcspn(line, " ");

			memset(line, '0', alen);
		}
		size_t l = strlen(line);

		if (outlen + l + 1 > REC_MAX_CHUNK - 16)
			break;
		grow_array((void **)&out, &cap, outlen + l + 1, 1);
		memcpy(out + outlen, line, l);
		out[outlen + l] = '\n';
		outlen += l + 1;
	}
	if (recfile__write(r->w, REC_SYMBOLS, NULL, 0, out, outlen))
		r->write_error = 1;
	r->nmodules_written = r->nmodules;
	free(out);
	free(all);
}

/* "64M", "512K", "1048576": strict, at least 64 KiB, at most 4 GiB. */
static int parse_size(void *cfg, const char *arg, char *err, size_t errlen)
{
	struct record_cli *cli = cfg;
	char num[32];
	unsigned long v, mult = 1;
	size_t n = strlen(arg);

	if (!n || n >= sizeof(num))
		goto bad;
	memcpy(num, arg, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mult = 1024; num[n - 1] = '\0'; break;
	case 'm': case 'M': mult = 1024 * 1024; num[n - 1] = '\0'; break;
	case 'g': case 'G': mult = 1024ul * 1024 * 1024; num[n - 1] = '\0'; break;
	}
	if (parse_ulong(num, 10, &v) || v > (4ul << 30) / mult || v * mult < (64u << 10))
		goto bad;
	cli->ring = v * mult;
	return 0;
bad:
	snprintf(err, errlen, "--flight-recorder wants a size from 64K to 4G, not '%s'", arg);
	return -1;
}

#define YEAR_S (86400.0 * 365)

static const struct opt record_opts[] = {
	{ OPT_STRING, 'o', "output", "FILE", "the recording (never overwritten without --force);\n"
	  "- for stdout (a pipe); default klptop-HOST-DATE.klpt",
	  offsetof(struct record_cli, path) },
	{ OPT_SECONDS, 'D', "duration", "S", "stop after S seconds",
	  offsetof(struct record_cli, duration), 0.001, YEAR_S },
	{ OPT_SET, 'u', "until-stable", NULL, "wait for a transition, stop once none is in\n"
	  "progress (a transition already running counts;\n"
	  "-D still bounds the wait)", offsetof(struct record_cli, until_stable) },
	{ OPT_SECONDS, 'i', "interval", "S", "seconds between snapshots (default 1)",
	  offsetof(struct record_cli, interval), 0.05, YEAR_S },
	{ OPT_CLEAR, 'l', "leaks", NULL, "attach the shadow free hooks (orphan/stale events)",
	  offsetof(struct record_cli, so.no_leaks) },
	{ OPT_SET, 0, "no-leaks", NULL, "no shadow free hooks (the default)",
	  offsetof(struct record_cli, so.no_leaks) },
	{ OPT_CLEAR, 'S', "no-stacks", NULL, "do not read pending tasks' kernel stacks",
	  offsetof(struct record_cli, so.with_stacks) },
	{ OPT_SET, 0, "force", NULL, "replace an existing FILE", offsetof(struct record_cli, force) },
	{ OPT_CALL, 0, "flight-recorder", "SIZE", "keep the last SIZE bytes (K, M suffixes) in\n"
	  "memory; write them, then everything after, on a\n"
	  "trigger: SIGUSR1, a forced transition, a shadow\n"
	  "orphan, --trigger-pending (and at exit)", .call = parse_size },
	{ OPT_SECONDS, 'T', "trigger-pending", "S", "trigger when a transition has been pending S s",
	  offsetof(struct record_cli, trigger_pending), 0.1, YEAR_S },
	{ OPT_SET, 'R', "redact", NULL, "no raw kernel addresses in FILE: frames as\n"
	  "symbol+offset, owner objects as obj#N (to share)", offsetof(struct record_cli, redact) },
	{ OPT_MOVED, 'd', .help = "-D (--duration; -d is a refresh delay)" },
	{ OPT_MOVED, 'f', .help = "--force (-f is --func)" },
	{ OPT_MOVED, 'F', .help = "--flight-recorder (-F is --format)" },
	{ OPT_END }
};

static const struct opt_spec record_spec = {
	.cmd = "record",
	.usage = "klptop record [-o FILE] [-D S] [--until-stable] [--interval S] [--force]",
	.about = "Record transition events, shadow events and a snapshot every interval\n"
		 "into FILE (mode 0600) for 'klptop report FILE'. SIGINT, SIGTERM or SIGHUP\n"
		 "stop the recording and close FILE cleanly.\n",
};

/* Returns -1 to go on, or the exit code. */
static int parse_record_args(int argc, char **argv, struct record_cli *o)
{
	struct opts_result res;
	int rc;

	/* 8 MiB of shadow events: at churn rates the default 256 KiB lasts tens
	 * of ms, less than one snapshot fill, and the recorder must drop nothing
	 * (docs/perf.md, "Recording"). */
	*o = (struct record_cli){ .interval = 1.0,
				  .so = { .with_stacks = 1, .shadows = 1, .no_leaks = 1,
					  .shadow_ring_kb = 8192 } };
	rc = cmd__parse(&record_spec, record_opts, o, CMD_TEXT, argc, argv, &res);
	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	if (o->trigger_pending > 0 && !o->ring)
		return p_usage("record", "--trigger-pending needs --flight-recorder SIZE");
	if (g_opts.root)
		o->so.no_bpf = 1;
	return -1;
}

/* klptop-HOST-YYYYmmdd-HHMMSS.klpt in the current directory: a recording
 * started in a hurry still gets a name that says where and when. */
static const char *default_name(char *buf, size_t len)
{
	char host[64] = "host", when[32] = "now";
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	snprintf(buf, len, "klptop-%s-%s.klpt", host, when);
	return buf;
}

/* The writer: a file (new, mode 0600), or stdout for -o -. */
static int open_output(struct recorder *r, struct record_cli *o, char *name, size_t namelen)
{
	char err[512];

	if (!o->path)
		o->path = default_name(name, namelen);
	if (!strcmp(o->path, "-"))
		r->w = recfile__create_fd(STDOUT_FILENO, err, sizeof(err));
	else
		r->w = recfile__create(o->path, o->force, err, sizeof(err));
	if (!r->w) {
		p_err("record: %s", err);
		return errno == EACCES || errno == EPERM ? EXIT_PERM : EXIT_ERROR;
	}
	if (o->redact) {
		r->redact = 1;
		recfile__set_redact(r->w);
	}
	if (o->ring)
		recfile__set_ring(r->w, o->ring);
	r->trigger_pending = o->trigger_pending;
	return EXIT_OK;
}

static const char *output_name(const struct record_cli *o)
{
	return strcmp(o->path, "-") ? o->path : "stdout";
}

static void write_metadata(struct recorder *r, const struct record_cli *o, json_object *probes)
{
	json_object *meta = json_object_new_object();

	json_object_object_add(meta, "interval_s", json_object_new_double(o->interval));
	json_object_object_add(meta, "duration_s",
			       o->duration > 0 ? json_object_new_double(o->duration) : NULL);
	json_object_object_add(meta, "until_stable", json_object_new_boolean(o->until_stable));
	json_object_object_add(meta, "shadow_leaks", json_object_new_boolean(!o->so.no_leaks));
	json_object_object_add(meta, "flight_recorder_bytes",
			       o->ring ? json_object_new_int64((int64_t)o->ring) : NULL);
	json_object_object_add(meta, "trigger_pending_s", o->trigger_pending > 0
			       ? json_object_new_double(o->trigger_pending) : NULL);
	json_object_object_add(meta, "probes", probes);
	recfile__write_json(r->w, REC_METADATA, meta);
	json_object_put(meta);
}

/* Header, probes, the first snapshot, metadata, symbols and counters: a
 * recording killed later keeps them. */
static int start_recording(struct recorder *r, struct record_cli *o, int argc,
			   char **argv)
{
	json_object *probes = NULL;

	if (write_header(r, argc, argv)) {
		p_err("record: cannot write %s", output_name(o));
		return EXIT_ERROR;
	}
	r->sm = cmd__open_sampler(&o->so);
	if (!r->sm)
		return EXIT_ERROR;
	sampler__set_event_sink(r->sm, sink, r);
	recfile__set_stack_resolver(r->w, resolve_stack, r);
	if (take_snapshot(r, &probes) < 0)
		return EXIT_ERROR;
	r->snaps++;
	write_metadata(r, o, probes);
	write_symbols(r);
	write_drops(r, 1);
	p_note("recording to %s (snapshot every %g s%s)", output_name(o), o->interval,
	       o->until_stable ? ", until no transition is in progress" : "");
	return EXIT_OK;
}

/* ---- the loop ---------------------------------------------------------------- */

enum { FD_TRANSITIONS, FD_SHADOWS };

/* While events flow, the ring buffers are read every REC_PACE_MS rather
 * than at every wake-up: each wake-up is a poll, a read of the ring and a
 * write() of a batch, and at tens of thousands a second those cost more
 * than the events. 256 KiB of ring buffer holds ~2000 shadow events: 2 ms
 * of them at 1M/s. Both rings are watched otherwise: the shadow one fills
 * in milliseconds under object churn, long before the next snapshot. */
static void watch_rings(struct recorder *r, int watch)
{
	int ev_fd = sampler__event_fd(r->sm);
	int sh_fd = shadow_probe__event_fd(sampler__shadow(r->sm));

	loop__unwatch(r->loop, FD_TRANSITIONS);
	loop__unwatch(r->loop, FD_SHADOWS);
	if (!watch)
		return;
	loop__watch(r->loop, ev_fd, FD_TRANSITIONS, 1);
	if (sh_fd != ev_fd)
		loop__watch(r->loop, sh_fd, FD_SHADOWS, 1);
}

/* How long the loop may wait: REC_PACE_MS while pacing, never past the
 * deadline (-d). 0 when the deadline has passed. */
static int wait_ms(const struct recorder *r, uint64_t deadline)
{
	int timeout = r->pacing ? REC_PACE_MS : -1;
	uint64_t now;

	if (!deadline)
		return timeout;
	now = now_ns();
	if (now >= deadline)
		return 0;
	if (timeout < 0 || (deadline - now) / 1000000u < (uint64_t)timeout)
		timeout = (int)((deadline - now) / 1000000u) + 1;
	return timeout;
}

/* The snapshot timer: a snapshot, the drops, and whether to stop. Returns
 * the reason to stop, or NULL. */
static const char *on_tick(struct recorder *r, const struct record_cli *o)
{
	int busy = take_snapshot(r, NULL);

	r->snaps++;
	write_drops(r, 0);
	if (busy < 0)
		return "snapshot failed";
	/* A klp_init_transition seen by the probes may not be in sysfs yet
	 * when the next fill reads it: stable once its completion was seen too
	 * (or, if that event was lost, after 3 idle snapshots). */
	r->idle_snaps = busy ? 0 : r->idle_snaps + 1;
	if (o->until_stable && r->seen_transition && !busy && (!r->trans_open || r->idle_snaps >= 3))
		return "stable";
	return NULL;
}

/* What one wake-up brought goes out now, as one batch: a kill -9 loses at
 * most what the ring buffers still held. */
static void drain_rings(struct recorder *r)
{
	uint64_t before = r->events + r->shadow_events;
	int pacing;

	sampler__poll(r->sm);
	pacing = r->events + r->shadow_events != before;
	if (pacing != r->pacing)
		watch_rings(r, !pacing);
	r->pacing = pacing;
	if (recfile__flush_events(r->w))
		r->write_error = 1;
}

static const char *signal_reason(int signo)
{
	return signo == SIGINT ? "SIGINT" : signo == SIGHUP ? "SIGHUP" : "SIGTERM";
}

/* Until a signal, the deadline, stability or an error; the reason why. */
static const char *record_loop(struct recorder *r, const struct record_cli *o)
{
	uint64_t deadline = o->duration > 0 ? now_ns() + (uint64_t)(o->duration * 1e9) : 0;
	const char *why = NULL;

	watch_rings(r, 1);
	while (!why) {
		int id = -1, timeout = wait_ms(r, deadline);

		if (!timeout)
			return "duration";
		switch (loop__wait(r->loop, timeout, &id)) {
		case LOOP_STOP: return signal_reason(loop__last_signal(r->loop));
		case LOOP_SIGNAL:
			if (id == SIGUSR1)
				trigger(r, "SIGUSR1");
			break;
		case LOOP_TICK: why = on_tick(r, o); break;
		case LOOP_ERROR: return "poll error";
		case LOOP_HANGUP:
			/* A ring buffer's epoll fd has nothing to hang up: never
			 * poll a dead descriptor again. */
			loop__unwatch(r->loop, id);
			break;
		case LOOP_READY:
		case LOOP_TIMEOUT:
		case LOOP_RESIZE:
			break;
		}
		drain_rings(r);
		if (r->write_error)
			why = "write error";
	}
	return why;
}

/* Events still in the ring buffers, the state at the end, the trailer. */
static void finish_recording(struct recorder *r, const struct record_cli *o, const char *why)
{
	json_object *end = json_object_new_object();

	sampler__poll(r->sm);
	if (strcmp(why, "stable") && !r->write_error) {
		take_snapshot(r, NULL);
		r->snaps++;
	}
	write_drops(r, 1);
	if (r->nmodules != r->nmodules_written)
		write_symbols(r);
	json_object_object_add(end, "reason", json_object_new_string(why));
	json_object_object_add(end, "end_realtime_ns", json_object_new_int64((int64_t)realtime_ns()));
	json_object_object_add(end, "end_monotonic_ns", json_object_new_int64((int64_t)now_ns()));
	json_object_object_add(end, "transition_events", json_object_new_int64((int64_t)r->events));
	json_object_object_add(end, "shadow_events", json_object_new_int64((int64_t)r->shadow_events));
	json_object_object_add(end, "snapshots", json_object_new_int64((int64_t)r->snaps));
	json_object_object_add(end, "snapshot_fill_max_ms",
			       json_object_new_double((double)r->fill_max_ns / 1e6));
	json_object_object_add(end, "flight_recorder_trigger",
			       r->triggered ? json_object_new_string(r->triggered) : NULL);
	recfile__write_json(r->w, REC_END, end);
	json_object_put(end);
	p_note("recorded %llu events, %llu snapshots, %llu bytes to %s (%s)",
	       (unsigned long long)(r->events + r->shadow_events), (unsigned long long)r->snaps,
	       (unsigned long long)recfile__bytes(r->w), output_name(o), why);
}

/* Everything the recorder holds; the file is closed (fsync'ed) last. */
static int close_recorder(struct recorder *r, const struct record_cli *o, int rc)
{
	sampler__close(r->sm);
	if (recfile__close(r->w) && rc == EXIT_OK) {
		p_err("record: closing %s failed", output_name(o));
		rc = EXIT_ERROR;
	}
	for (size_t i = 0; i < r->nmodules; i++)
		free(r->modules[i]);
	loop__free(r->loop);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct record_cli o;
	struct recorder r = { 0 };
	const char *why;
	char name[128];
	int rc = parse_record_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (access("/sys/kernel/livepatch", F_OK) && !g_opts.root) {
		p_err("record: this kernel has no live patching (/sys/kernel/livepatch missing)");
		return EXIT_NO_LIVEPATCH;
	}
	/* Signals become loop events before anything is written: a SIGINT
	 * during start-up still ends the recording cleanly. */
	r.loop = loop__new("record", 0);
	if (!r.loop || loop__catch(r.loop, SIGUSR1)) {
		loop__free(r.loop);
		return EXIT_ERROR;
	}
	rc = open_output(&r, &o, name, sizeof(name));
	if (rc != EXIT_OK) {
		loop__free(r.loop);
		return rc;
	}
	rc = start_recording(&r, &o, argc, argv);
	if (rc == EXIT_OK && loop__every(r.loop, o.interval))
		rc = EXIT_ERROR;
	if (rc != EXIT_OK)
		return close_recorder(&r, &o, rc);
	why = record_loop(&r, &o);
	if (r.write_error)
		p_err("record: writing %s failed: disk full?", output_name(&o));
	if (r.write_error || !strcmp(why, "snapshot failed") || !strcmp(why, "poll error"))
		rc = EXIT_ERROR;
	finish_recording(&r, &o, why);
	return close_recorder(&r, &o, rc);
}
