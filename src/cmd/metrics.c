// SPDX-License-Identifier: GPL-2.0
/*
 * klptop metrics: the model as Prometheus metrics (docs/metrics.md). Once on
 * stdout; or, as an exporter, DIR/klptop.prom for node_exporter's textfile
 * collector every interval and/or /metrics over HTTP.
 *
 * The exporter's main thread runs lib/loop: a refresh every -d seconds (a
 * snapshot, rendered, the textfile written), the sampler's ring buffers,
 * SIGINT/SIGTERM/SIGHUP. HTTP is libmicrohttpd on its own thread, serving
 * the last rendering (see "the exporter's state" below for why).
 */
#include "cmd/cmd.h"
#include "lib/buildinfo.h"
#include "lib/log.h"
#include "render/metrics.h"
#include "live/sampler.h"
#include "live/shadow.h"
#include "live/sysfs.h"
#include "lib/loop.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEXTFILE_NAME "klptop.prom"
#define MAX_DELAY_S 86400.0

struct listen_addr {
	struct sockaddr_storage sa;
	int v6;
	int loopback;
	uint16_t port;
	char text[INET6_ADDRSTRLEN + 8];
};

struct metrics_opts {
	double delay_s;
	long intervals;          /* exporter: stop after N refreshes (0: never) */
	long rounds;             /* once: transition rounds to watch first */
	const char *textfile;    /* DIR */
	int listen;
	struct listen_addr addr;
	struct sampler_opts so;
};

static int is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* "PORT", ":PORT", "ADDR:PORT", "[ADDR6]:PORT"; ADDR is numeric or
 * "localhost". No ADDR means 127.0.0.1: exposing the host takes a word. */
static int parse_listen(void *cfg, const char *arg, char *err, size_t errlen)
{
	struct metrics_opts *o = cfg;
	struct listen_addr *la = &o->addr;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *port = arg, *colon;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&la->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&la->sa;
	long v;

	memset(la, 0, sizeof(*la));
	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (!end || end[1] != ':' || (size_t)(end - arg - 1) >= sizeof(host))
			goto bad;
		memcpy(host, arg + 1, (size_t)(end - arg - 1));
		host[end - arg - 1] = '\0';
		port = end + 2;
		la->v6 = 1;
	} else if ((colon = strrchr(arg, ':'))) {
		if ((size_t)(colon - arg) >= sizeof(host) || strchr(arg, ':') != colon)
			goto bad;
		if (colon > arg) {
			memcpy(host, arg, (size_t)(colon - arg));
			host[colon - arg] = '\0';
		}
		port = colon + 1;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, la->v6 ? "::1" : "127.0.0.1");
	if (*port < '0' || *port > '9' || parse_long(port, &v) || v < 1 || v > 65535 ||
	    strchr(port, '\n'))
		goto bad;
	if (la->v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)v);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)v);
		if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto bad;
	}
	la->loopback = is_loopback(&la->sa);
	la->port = (uint16_t)v;
	snprintf(la->text, sizeof(la->text), la->v6 ? "[%s]:%ld" : "%s:%ld", host, v);
	o->listen = 1;
	return 0;
bad:
	snprintf(err, errlen, "--listen wants [ADDR:]PORT with a numeric ADDR (IPv6 in brackets) "
		 "and PORT from 1 to 65535, not '%s'", arg);
	return -1;
}

static const struct opt metrics_opts[] = {
	{ OPT_STRING, 0, "textfile", "DIR", "write DIR/" TEXTFILE_NAME " every interval,\n"
	  "atomically (node_exporter\n"
	  "--collector.textfile.directory=DIR)", offsetof(struct metrics_opts, textfile) },
	{ OPT_CALL, 0, "listen", "[ADDR:]PORT", "serve /metrics over HTTP; ADDR defaults to\n"
	  "127.0.0.1 (write it out, e.g. 0.0.0.0:9814 or\n"
	  "[::]:9814, to be reachable from other hosts)", .call = parse_listen },
	{ OPT_SECONDS, 'd', "delay", "SECONDS", "refresh interval of the exporter (default 15)",
	  offsetof(struct metrics_opts, delay_s), 0.05, MAX_DELAY_S },
	{ OPT_NUMBER, 'n', "iterations", "N", "exporter: stop after N refreshes",
	  offsetof(struct metrics_opts, intervals), 1, (double)LONG_MAX },
	{ OPT_NUMBER, 0, "intervals", "N", NULL, offsetof(struct metrics_opts, intervals), 1,
	  (double)LONG_MAX },
	{ OPT_NUMBER, 'r', "rounds", "N", "once, during a transition: watch N of the kernel's\n"
	  "check rounds first, so reasons are known (default 3)",
	  offsetof(struct metrics_opts, rounds), 0, 600 },
	{ OPT_SET, 'B', "no-bpf", NULL, "sysfs and procfs only (no reasons, no shadows)",
	  offsetof(struct metrics_opts, so.no_bpf) },
	{ OPT_CLEAR, 0, "leaks", NULL, "exporter: the free hooks that count orphans (the\n"
	  "default)", offsetof(struct metrics_opts, so.no_leaks) },
	{ OPT_SET, 0, "no-leaks", NULL, "exporter: no free hooks (no\n"
	  "klptop_shadow_orphans_total)", offsetof(struct metrics_opts, so.no_leaks) },
	{ OPT_MOVED, 't', .help = "--textfile (-t is --timeout)" },
	{ OPT_MOVED, 'l', .help = "--listen (-l is --leaks elsewhere)" },
	{ OPT_END }
};

static const struct opt_spec metrics_spec = {
	.cmd = "metrics",
	.usage = "klptop metrics [--rounds N] [--no-bpf]\n"
		 "klptop metrics [--textfile DIR] [--listen [ADDR:]PORT] [-d SECONDS]\n"
		 "               [-n N] [--no-bpf] [--no-leaks]",
	.about = "Prometheus metrics of live patches, the running transition and shadow\n"
		 "variables (docs/metrics.md). Without --textfile or --listen: print them\n"
		 "once. With them: run as an exporter until SIGINT, SIGTERM or SIGHUP.\n",
};

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct metrics_opts *o)
{
	struct opts_result res;
	struct stat st;
	int rc;

	*o = (struct metrics_opts){ .delay_s = 15.0, .rounds = 3,
				    .so = { .shadows = 1, .no_bpf = g_opts.root != NULL,
					    /* no per-call kprobes on patched functions: not exported */
					    .no_routing = 1 } };
	rc = cmd__parse(&metrics_spec, metrics_opts, o, CMD_TEXT, argc, argv, &res);
	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	if (o->textfile && stat(o->textfile, &st))
		return p_usage("metrics", "--textfile %s: %s", o->textfile, strerror(errno));
	if (o->textfile && !S_ISDIR(st.st_mode))
		return p_usage("metrics", "--textfile %s: not a directory", o->textfile);
	return -1;
}

/* ---- snapshots ------------------------------------------------------------------ */

/* sm is NULL where the kernel has no live patching: then the snapshot is
 * the kernel's facts alone, which the exposition renders as unsupported. */
static int take_snapshot(struct sampler *sm, struct snapshot *s)
{
	if (sm)
		return sampler__fill(sm, s);
	s->taken_ns = realtime_ns();
	livepatch__read_kernel(&s->kernel, &g_opts.paths);
	return EXIT_OK;
}

static int render(struct sampler *sm, const struct snapshot *s, FILE *f)
{
	struct metrics_extra x;

	if (!sm)
		return metrics__render(s, f);
	sampler__drops(sm, &x.transition_events_dropped, &x.blockers_dropped);
	x.totals = sampler__cost_totals(sm);
	return metrics__render_ex(s, &x, f);
}

/* A fresh snapshot rendered into *text (malloc'd); EXIT_OK or the failure,
 * printed. */
static int render_fresh(struct sampler *sm, char **text, size_t *len)
{
	struct snapshot s;
	FILE *f;
	int rc;

	*text = NULL;
	snapshot__init(&s);
	rc = take_snapshot(sm, &s);
	if (rc == EXIT_OK) {
		f = open_memstream(text, len);
		if (!f || render(sm, &s, f) | fclose(f)) {
			p_err("metrics: cannot render: %s", strerror(errno));
			rc = EXIT_ERROR;
			free(*text);
			*text = NULL;
		}
	}
	snapshot__free(&s);
	return rc;
}

/* ---- the exporter's state -------------------------------------------------- */

/*
 * The main thread samples, renders and writes the textfile on lib/loop (the
 * refresh timer, the ring buffers, the signals). libmicrohttpd answers
 * scrapes on its own internal thread, from the last rendering: a scrape
 * never waits for a sample (which reads every task and can take seconds on
 * a big host, more under load), and a flood of connections never delays
 * the sampling. The rendering is the only thing the two threads share.
 */
struct exporter {
	const struct metrics_opts *o;
	struct sampler *sm;      /* NULL where the kernel has no live patching */
	struct MHD_Daemon *httpd;
	pthread_mutex_t lock;    /* guards text and len */
	char *text;              /* the last rendering, NULL before the first */
	size_t len;
};

static void exporter__publish(struct exporter *ex, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&ex->lock);
	old = ex->text;
	ex->text = text;
	ex->len = len;
	pthread_mutex_unlock(&ex->lock);
	free(old);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* DIR/klptop.prom replaced atomically: a temp file in DIR (node_exporter
 * reads only *.prom), fsync, rename, fsync of DIR. */
static int write_textfile(const char *dir, const char *text, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, dfd, err = 0;

	if (snprintf(dst, sizeof(dst), "%s/%s", dir, TEXTFILE_NAME) >= (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, TEXTFILE_NAME) >= (int)sizeof(tmp)) {
		p_err("metrics: --textfile %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		p_err("metrics: cannot create a file in %s: %s", dir, strerror(errno));
		return err;
	}
	err = write_all(fd, text, len);
	/* mkostemp makes it 0600; node_exporter usually runs as another user. */
	if (!err && (fchmod(fd, 0644) || fsync(fd)))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, dst))
		err = -errno;
	if (err) {
		p_err("metrics: cannot write %s: %s", dst, strerror(-err));
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* A new rendering for the textfile and the next scrapes. A failed one is
 * reported and the last good rendering stays: an exporter outlives a bad
 * moment (a patch directory vanishing mid-read) and retries at the next
 * tick. Where the kernel has no live patching, the file is still rewritten
 * every interval, so its age says the exporter runs. EXIT_OK or the
 * failure (what -n N ends with). */
static int exporter__tick(struct exporter *ex)
{
	char *text;
	size_t len;
	int rc = render_fresh(ex->sm, &text, &len);

	if (rc != EXIT_OK)
		return rc;
	if (ex->o->textfile && write_textfile(ex->o->textfile, text, len))
		rc = EXIT_ERROR;
	exporter__publish(ex, text, len);
	return rc;
}

/* ---- HTTP -------------------------------------------------------------------- */

/*
 * What keeps one peer from starving the others (a scrape from any other
 * address is answered at once, whatever a peer holds open):
 * - each address may hold HTTP_MAX_PER_PEER connections; more are closed
 *   as soon as they are accepted. A Prometheus uses one, an HA pair two.
 * - HTTP_MAX_CONNECTIONS in all, sized so that many peers fit at their
 *   limit while the descriptors stay well under the usual 1024 (the BPF
 *   maps, programs and links take some too).
 * - a connection that has not sent a whole request within
 *   HTTP_REQUEST_TIMEOUT_S of silence is closed; once it has sent one, it
 *   may stay idle HTTP_KEEPALIVE_TIMEOUT_S for the next scrape.
 * - requests are at most libmicrohttpd's 32 KiB per connection: a longer
 *   URI gets 414, longer headers 431; strict parsing (a Host header in
 *   HTTP/1.1, no stray whitespace) answers the rest with 400.
 */
#define HTTP_MAX_CONNECTIONS 256u
#define HTTP_MAX_PER_PEER 8u
#define HTTP_REQUEST_TIMEOUT_S 3u
#define HTTP_KEEPALIVE_TIMEOUT_S 30u
/* libmicrohttpd messages (a limit reached, a peer that went away) come per
 * connection: at most this many a minute reach the log. */
#define HTTP_LOG_BURST 5u

/* Filled with the version once, before the server starts. */
static char landing_page[640];
static const char landing_page_fmt[] =
	"<!DOCTYPE html>\n<html><head><title>klptop exporter</title></head><body>\n"
	"<h1>klptop exporter</h1>\n"
	"<p>Kernel live patching metrics from klptop %s.</p>\n"
	"<p><a href=\"/metrics\">/metrics</a></p>\n"
	"<p>The metrics and alerts: metrics.md in klptop's documentation "
	"(share/doc/klptop), and <code>man klptop</code>.</p>\n"
	"</body></html>\n";

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int code, const char *type,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     const char *body, size_t len)
{
	return queue(c, code, type,
		     MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT));
}

static enum MHD_Result serve_metrics(struct exporter *ex, struct MHD_Connection *c)
{
	static const char unavailable[] = "503 no snapshot yet (see klptop's messages)\n";
	struct MHD_Response *r = NULL;
	int have;

	pthread_mutex_lock(&ex->lock);
	have = ex->text != NULL;
	if (have)
		r = MHD_create_response_from_buffer(ex->len, ex->text, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&ex->lock);
	if (!have)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", unavailable,
			     sizeof(unavailable) - 1);
	return queue(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, r);
}

/* Called once the request line and headers are in: a whole request. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	static const char not_found[] = "404 not found: klptop serves /metrics\n";
	static const char not_allowed[] = "405 method not allowed: use GET\n";

	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, HTTP_KEEPALIVE_TIMEOUT_S);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     sizeof(not_allowed) - 1);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(cls, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page,
			     strlen(landing_page));
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
}

/* libmicrohttpd's thread calls this too: the counters have a lock. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static uint64_t window_ns;
	static unsigned int logged, dropped;
	uint64_t now = now_ns();
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	strip_newline(buf);
	pthread_mutex_lock(&mu);
	if (now - window_ns >= 60000000000ull) {
		if (dropped)
			p_warn("metrics: http: %u more messages in the last minute not shown",
			       dropped);
		window_ns = now;
		logged = dropped = 0;
	}
	if (logged < HTTP_LOG_BURST) {
		logged++;
		p_warn("metrics: http: %s", buf);
	} else {
		dropped++;
	}
	pthread_mutex_unlock(&mu);
}

static struct MHD_Daemon *http_start(struct exporter *ex, const struct listen_addr *la)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG | (la->v6 ? MHD_USE_IPv6 : 0);
	sigset_t all, old;
	struct MHD_Daemon *d;

	if (!la->loopback)
		p_warn("metrics: serving on %s, which is not loopback: /metrics has no "
		       "authentication and no TLS", la->text);
	/* The server's thread inherits this mask: every signal then goes to
	 * the main thread's signalfd (lib/loop), none to libmicrohttpd. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* Without MHD_OPTION_LISTENING_ADDRESS_REUSE: SO_REUSEADDR only, so a
	 * second exporter on the same port fails instead of sharing it. */
	snprintf(landing_page, sizeof(landing_page), landing_page_fmt, klptop_version);
	d = MHD_start_daemon(flags, la->port, NULL, NULL, on_request, ex,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&la->sa,
			     MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_MAX_PER_PEER,
			     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_REQUEST_TIMEOUT_S,
			     MHD_OPTION_STRICT_FOR_CLIENT, 1,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!d)
		p_err("metrics: cannot serve HTTP on %s (see the message above)", la->text);
	else
		p_info("metrics: serving http://%s/metrics", la->text);
	return d;
}

/* ---- the loop ---------------------------------------------------------------- */

enum { FD_SAMPLER, FD_SHADOW };

/* Until SIGINT, SIGTERM or SIGHUP (exit 0), or -n N refreshes (the last
 * one's result). */
static int run_exporter(struct exporter *ex)
{
	const struct metrics_opts *o = ex->o;
	struct loop *l = loop__new("metrics", o->delay_s);
	long n = 0;
	int rc = -1, last, id;

	if (!l)
		return EXIT_ERROR;
	if (ex->sm) {
		int sampler_fd = sampler__event_fd(ex->sm);
		int shadow_fd = shadow_probe__event_fd(sampler__shadow(ex->sm));

		loop__watch(l, sampler_fd, FD_SAMPLER, 1);
		if (shadow_fd != sampler_fd)
			loop__watch(l, shadow_fd, FD_SHADOW, 1);
	}
	/* The first rendering right away: the file exists from the start. */
	last = exporter__tick(ex);
	if (o->intervals && ++n >= o->intervals)
		rc = last;
	while (rc < 0) {
		switch (loop__wait(l, -1, &id)) {
		case LOOP_STOP:
			rc = EXIT_OK;
			break;
		case LOOP_ERROR:
			rc = EXIT_ERROR;
			break;
		case LOOP_READY:
			/* The ring buffers, consumed as events arrive: rounds
			 * and reasons are never stale at the next tick. */
			sampler__poll(ex->sm);
			break;
		case LOOP_HANGUP:
			loop__unwatch(l, id);
			break;
		case LOOP_TICK:
			last = exporter__tick(ex);
			if (o->intervals && ++n >= o->intervals)
				rc = last;
			break;
		default:
			break;
		}
	}
	loop__free(l);
	return rc;
}

/* The HTTP server first: a port in use is said before the BPF probes load,
 * which can take seconds. Scrapes get 503 until the first rendering. */
static int exporter(struct metrics_opts *o, int livepatch)
{
	struct exporter ex = { .o = o };
	int rc = EXIT_ERROR;

	pthread_mutex_init(&ex.lock, NULL);
	if (o->listen && !(ex.httpd = http_start(&ex, &o->addr)))
		goto out;
	if (livepatch && !(ex.sm = cmd__open_sampler(&o->so)))
		goto out;
	rc = run_exporter(&ex);
out:
	if (ex.httpd)
		MHD_stop_daemon(ex.httpd);
	sampler__close(ex.sm);
	free(ex.text);
	pthread_mutex_destroy(&ex.lock);
	return rc;
}

/* Once: like status, join a running transition and watch a few rounds so the
 * blocked-task reasons are the kernel's, then print. */
static int print_once(struct metrics_opts *o, int livepatch, int in_transition)
{
	struct sampler *sm = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (livepatch && !(sm = cmd__open_sampler(&o->so)))
		return EXIT_ERROR;
	if (sm && in_transition && o->rounds) {
		struct snapshot s;

		snapshot__init(&s);
		sampler__fill(sm, &s);
		snapshot__free(&s);
		sampler__wait_rounds(sm, (unsigned int)o->rounds, (int)o->rounds * 1500 + 1000);
	}
	rc = render_fresh(sm, &text, &len);
	if (rc == EXIT_OK && (fwrite(text, 1, len, stdout) != len || fflush(stdout))) {
		if (errno != EPIPE)
			p_err("metrics: cannot write: %s", strerror(errno));
		rc = EXIT_ERROR;
	}
	free(text);
	sampler__close(sm);
	return rc;
}

/* A kernel without live patching is a fact to export, not a failure: a unit
 * rolled out to a whole fleet keeps running there and says so
 * (klptop_livepatch_supported 0, with the reason). Other failures to read
 * sysfs (permissions) are real and end the command. */
int cmd_metrics(int argc, char **argv)
{
	struct metrics_opts o;
	struct snapshot s;
	int rc, livepatch, in_transition = 0;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* One snapshot doesn't need the free hooks; an exporter does, for the
	 * orphans counter, unless --no-leaks. */
	if (!o.textfile && !o.listen)
		o.so.no_leaks = 1;
	snapshot__init(&s);
	livepatch__read_kernel(&s.kernel, &g_opts.paths);
	livepatch = s.kernel.livepatch;
	if (livepatch) {
		rc = live__read_sysfs(&s, &g_opts.paths);
		in_transition = s.transition != NULL;
	} else {
		p_warn("metrics: this kernel (%s) has no live patching: %s; exporting "
		       "klptop_livepatch_supported 0", s.kernel.release, s.kernel.livepatch_why_not);
		rc = EXIT_OK;
	}
	snapshot__free(&s);
	if (rc != EXIT_OK)
		return rc;
	if (o.textfile || o.listen)
		return exporter(&o, livepatch);
	return print_once(&o, livepatch, in_transition);
}
