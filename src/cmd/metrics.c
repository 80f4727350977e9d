// SPDX-License-Identifier: GPL-2.0
/*
 * klptop metrics: the model as Prometheus metrics (docs/metrics.md). Once on
 * stdout; or, as an exporter, DIR/klptop.prom for node_exporter's textfile
 * collector every interval and/or /metrics over HTTP.
 *
 * The exporter is one thread with one poll() loop: a signalfd (SIGINT,
 * SIGTERM), a timerfd (refresh every -d seconds), the sampler's ring-buffer
 * fds, and libmicrohttpd's epoll fd (MHD_USE_EPOLL without an internal
 * thread, driven by MHD_run and MHD_get_timeout). A scrape is answered from
 * that same thread, so the sampler and the rendered text need no lock; a
 * scrape re-samples when the last rendering is over a second old, so what it
 * gets is fresh even with a long textfile interval.
 */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "render/metrics.h"
#include "live/sampler.h"
#include "live/shadow.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TEXTFILE_NAME "klptop.prom"
#define SCRAPE_MAX_AGE_NS 1000000000ull
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
	unsigned int rounds;     /* once: transition rounds to watch first */
	const char *textfile;    /* DIR */
	int listen;
	struct listen_addr addr;
	struct sampler_opts so;
};

static void metrics_usage(FILE *f)
{
	fputs("Usage: klptop metrics [--rounds N] [--no-bpf]\n"
	      "       klptop metrics [--textfile DIR] [--listen [ADDR:]PORT] [-d SECONDS]\n"
	      "                      [-n N] [--no-bpf] [--no-leaks]\n"
	      "  Prometheus metrics of live patches, the running transition and shadow\n"
	      "  variables (docs/metrics.md). Without --textfile or --listen: print them\n"
	      "  once. With them: run as an exporter until SIGINT or SIGTERM.\n"
	      "  -t, --textfile DIR   write DIR/" TEXTFILE_NAME " every interval, atomically\n"
	      "                       (node_exporter --collector.textfile.directory=DIR)\n"
	      "  -l, --listen [ADDR:]PORT  serve /metrics over HTTP; ADDR defaults to\n"
	      "                       127.0.0.1 (write it out, e.g. 0.0.0.0:9814 or\n"
	      "                       [::]:9814, to be reachable from other hosts)\n"
	      "  -d, --delay SECONDS  refresh interval of the exporter (default 15)\n"
	      "  -n, --intervals N    exporter: stop after N refreshes\n"
	      "  -r, --rounds N       once, during a transition: watch N of the kernel's\n"
	      "                       check rounds first, so reasons are known (default 3)\n"
	      "  -B, --no-bpf         sysfs and procfs only (no reasons, no shadows)\n"
	      "      --no-leaks       exporter: no free hooks (no klptop_shadow_orphans_total)\n",
	      f);
}

static int is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* "PORT", ":PORT", "ADDR:PORT", "[ADDR6]:PORT"; ADDR is numeric or
 * "localhost". No ADDR means 127.0.0.1: exposing the host takes a word. */
static int parse_listen(const char *arg, struct listen_addr *la)
{
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
	return 0;
bad:
	p_err("metrics: --listen wants [ADDR:]PORT with a numeric ADDR (IPv6 in brackets) "
	      "and PORT from 1 to 65535, not '%s'", arg);
	return -EINVAL;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct metrics_opts *o)
{
	enum { OPT_NO_LEAKS = 256 };
	static const struct option longopts[] = {
		{ "textfile", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "delay", required_argument, NULL, 'd' },
		{ "intervals", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "no-leaks", no_argument, NULL, OPT_NO_LEAKS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct stat st;
	long v;
	int c;

	*o = (struct metrics_opts){ .delay_s = 15.0, .rounds = 3,
				    .so = { .shadows = 1, .no_bpf = g_opts.root != NULL,
					    /* no per-call kprobes on patched functions: not exported */
					    .no_routing = 1 } };
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:l:d:n:r:Bh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->textfile = optarg; break;
		case 'l':
			if (parse_listen(optarg, &o->addr))
				return EXIT_USAGE;
			o->listen = 1;
			break;
		case 'd':
			if (parse_double(optarg, &o->delay_s) || !isfinite(o->delay_s) ||
			    o->delay_s < 0.05 || o->delay_s > MAX_DELAY_S) {
				p_err("metrics: -d wants seconds from 0.05 to %.0f, not '%s'",
				      MAX_DELAY_S, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_long(optarg, &o->intervals) || o->intervals < 1) {
				p_err("metrics: -n wants a whole number of at least 1, not '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (parse_long(optarg, &v) || v < 0 || v > 600) {
				p_err("metrics: --rounds wants a number from 0 to 600, not '%s'", optarg);
				return EXIT_USAGE;
			}
			o->rounds = (unsigned int)v;
			break;
		case 'B': o->so.no_bpf = 1; break;
		case OPT_NO_LEAKS: o->so.no_leaks = 1; break;
		case 'h': metrics_usage(stdout); return EXIT_OK;
		default: metrics_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		p_err("metrics: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->textfile && stat(o->textfile, &st)) {
		p_err("metrics: --textfile %s: %s", o->textfile, strerror(errno));
		return EXIT_USAGE;
	}
	if (o->textfile && !S_ISDIR(st.st_mode)) {
		p_err("metrics: --textfile %s: not a directory", o->textfile);
		return EXIT_USAGE;
	}
	return -1;
}

/* ---- the exporter's state -------------------------------------------------- */

struct exporter {
	const struct metrics_opts *o;
	struct sampler *sm;
	char *text;              /* the last rendering, NULL before the first */
	size_t len;
	uint64_t taken_ns;       /* CLOCK_MONOTONIC of it */
	struct MHD_Daemon *httpd;
};

/* Sample and render; the previous rendering stays if this one fails. */
static int render(struct sampler *sm, const struct snapshot *s, FILE *f)
{
	struct metrics_extra x;

	sampler__drops(sm, &x.transition_events_dropped, &x.blockers_dropped);
	x.totals = sampler__cost_totals(sm);
	return metrics__render_ex(s, &x, f);
}

static int exporter__refresh(struct exporter *ex)
{
	struct snapshot s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	snapshot__init(&s);
	rc = sampler__fill(ex->sm, &s);
	if (rc == EXIT_OK) {
		f = open_memstream(&buf, &len);
		if (!f || render(ex->sm, &s, f) | fclose(f)) {
			p_err("metrics: cannot render: %s", strerror(errno));
			rc = EXIT_ERROR;
			free(buf);
		} else {
			free(ex->text);
			ex->text = buf;
			ex->len = len;
			ex->taken_ns = now_ns();
		}
	}
	snapshot__free(&s);
	return rc;
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

/* ---- HTTP -------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	static const char not_found[] = "404 not found: klptop serves /metrics\n";
	static const char not_allowed[] = "405 method not allowed: use GET\n";
	static const char unavailable[] = "503 no snapshot yet (see klptop's messages)\n";
	struct exporter *ex = cls;

	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     sizeof(not_allowed) - 1);
	if (!ex->text || now_ns() - ex->taken_ns > SCRAPE_MAX_AGE_NS)
		exporter__refresh(ex);
	if (!ex->text)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", unavailable,
			     sizeof(unavailable) - 1);
	return reply(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, ex->text, ex->len);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	strip_newline(buf);
	p_warn("metrics: http: %s", buf);
}

static struct MHD_Daemon *http_start(struct exporter *ex, const struct listen_addr *la)
{
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (la->v6 ? MHD_USE_IPv6 : 0);
	struct MHD_Daemon *d;

	if (!la->loopback)
		p_warn("metrics: serving on %s, which is not loopback: /metrics has no "
		       "authentication and no TLS", la->text);
	/* Without MHD_OPTION_LISTENING_ADDRESS_REUSE: SO_REUSEADDR only, so a
	 * second exporter on the same port fails instead of sharing it. */
	d = MHD_start_daemon(flags, la->port, NULL, NULL, on_request, ex,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&la->sa,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			     MHD_OPTION_END);
	if (!d)
		p_err("metrics: cannot serve HTTP on %s (see the message above)", la->text);
	else
		p_info("metrics: serving http://%s/metrics", la->text);
	return d;
}

static int http_fd(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i;

	if (!d)
		return -1;
	i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

static int http_timeout_ms(struct MHD_Daemon *d)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (!d || MHD_get_timeout(d, &to) != MHD_YES)
		return -1;
	return to > INT_MAX ? INT_MAX : (int)to;
}

/* ---- the loop ---------------------------------------------------------------- */

static int tick(struct exporter *ex)
{
	int rc = exporter__refresh(ex);

	if (rc == EXIT_OK && ex->o->textfile && write_textfile(ex->o->textfile, ex->text, ex->len))
		rc = EXIT_ERROR;
	return rc;
}

static int arm_timer(int tfd, double delay_s)
{
	struct itimerspec its = { 0 };

	its.it_interval.tv_sec = (time_t)delay_s;
	its.it_interval.tv_nsec = (long)((delay_s - (double)(time_t)delay_s) * 1e9);
	its.it_value = its.it_interval;
	return timerfd_settime(tfd, 0, &its, NULL);
}

static int run_exporter(struct exporter *ex, int sfd, int tfd)
{
	const struct metrics_opts *o = ex->o;
	int shadow_fd = shadow_probe__event_fd(sampler__shadow(ex->sm));
	int sampler_fd = sampler__event_fd(ex->sm);
	long n = 0;
	int rc;

	/* The first rendering right away: the file exists from the start. */
	rc = tick(ex);
	if (rc == EXIT_OK && o->intervals && ++n >= o->intervals)
		return EXIT_OK;
	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
			{ .fd = sampler_fd, .events = POLLIN },
			{ .fd = shadow_fd != sampler_fd ? shadow_fd : -1, .events = POLLIN },
		};
		struct pollfd hfd = { .fd = http_fd(ex->httpd), .events = POLLIN };
		struct pollfd all[5];
		uint64_t ticks;
		int nfd = 4;

		memcpy(all, pfd, sizeof(pfd));
		if (hfd.fd >= 0)
			all[nfd++] = hfd;
		if (poll(all, (nfds_t)nfd, http_timeout_ms(ex->httpd)) < 0) {
			if (errno == EINTR)
				continue;
			p_err("metrics: poll: %s", strerror(errno));
			return EXIT_ERROR;
		}
		if (all[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			/* SIGINT or SIGTERM: a clean stop. Consumed, so that
			 * restoring the signal mask does not deliver it. */
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			return EXIT_OK;
		}
		if ((all[2].revents | all[3].revents) & POLLIN)
			sampler__poll(ex->sm);
		if (ex->httpd)
			MHD_run(ex->httpd);
		if ((all[1].revents & POLLIN) && read(tfd, &ticks, sizeof(ticks)) > 0) {
			/* A failed refresh is reported and retried at the next tick:
			 * an exporter outlives a bad moment. */
			tick(ex);
			if (o->intervals && ++n >= o->intervals)
				return EXIT_OK;
		}
	}
}

static int exporter(struct sampler *sm, const struct metrics_opts *o)
{
	struct exporter ex = { .o = o, .sm = sm };
	sigset_t mask, old;
	int sfd = -1, tfd = -1, rc = EXIT_ERROR;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &old)) {
		p_err("metrics: sigprocmask: %s", strerror(errno));
		return EXIT_ERROR;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0 || arm_timer(tfd, o->delay_s)) {
		p_err("metrics: timer/signal setup: %s", strerror(errno));
		goto out;
	}
	if (o->listen) {
		ex.httpd = http_start(&ex, &o->addr);
		if (!ex.httpd)
			goto out;
	}
	rc = run_exporter(&ex, sfd, tfd);
out:
	if (ex.httpd)
		MHD_stop_daemon(ex.httpd);
	free(ex.text);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Once: like status, join a running transition and watch a few rounds so the
 * blocked-task reasons are the kernel's, then print. */
static int print_once(struct sampler *sm, const struct metrics_opts *o, int in_transition)
{
	struct snapshot s;
	int rc;

	if (in_transition && o->rounds) {
		snapshot__init(&s);
		sampler__fill(sm, &s);
		snapshot__free(&s);
		sampler__wait_rounds(sm, o->rounds, (int)o->rounds * 1500 + 1000);
	}
	snapshot__init(&s);
	rc = sampler__fill(sm, &s);
	if (rc == EXIT_OK && (render(sm, &s, stdout) || fflush(stdout))) {
		if (errno != EPIPE)
			p_err("metrics: cannot write: %s", strerror(errno));
		rc = EXIT_ERROR;
	}
	snapshot__free(&s);
	return rc;
}

int cmd_metrics(int argc, char **argv)
{
	struct metrics_opts o;
	struct sampler *sm;
	struct snapshot s;
	int rc, in_transition;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	/* One snapshot doesn't need the free hooks; an exporter does, for the
	 * orphans counter, unless --no-leaks. */
	if (!o.textfile && !o.listen)
		o.so.no_leaks = 1;
	/* No live patching: one clear line before loading any BPF. */
	snapshot__init(&s);
	rc = live__read_sysfs(&s, &g_opts.paths);
	in_transition = s.transition != NULL;
	snapshot__free(&s);
	if (rc != EXIT_OK)
		return rc;
	sm = cmd__open_sampler(&o.so);
	if (!sm)
		return EXIT_ERROR;
	if (o.textfile || o.listen)
		rc = exporter(sm, &o);
	else
		rc = print_once(sm, &o, in_transition);
	sampler__close(sm);
	return rc;
}
