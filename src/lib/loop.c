// SPDX-License-Identifier: GPL-2.0
/* The event loop of the long-running commands (lib/loop.h). */
#include "lib/loop.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_FDS 32

struct watched {
	int fd, id, want_read;
};

struct loop {
	const char *who;
	int timer_fd, signal_fd;
	sigset_t mask, old_mask;
	int last_signo;
	struct watched fds[LOOP_MAX_FDS];
	int nfds;
};

static int set_timer(struct loop *l, uint64_t first_ns, uint64_t period_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(first_ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(first_ns % 1000000000ull);
	its.it_interval.tv_sec = (time_t)(period_ns / 1000000000ull);
	its.it_interval.tv_nsec = (long)(period_ns % 1000000000ull);
	return timerfd_settime(l->timer_fd, 0, &its, NULL);
}

struct loop *loop__new(const char *who, double period_s)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	sigset_t mask;

	l->who = who;
	l->timer_fd = l->signal_fd = -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	l->mask = mask;
	/* Blocked signals queue for the signalfd: no handler runs. */
	if (sigprocmask(SIG_BLOCK, &mask, &l->old_mask)) {
		p_err("%s: sigprocmask: %s", who, strerror(errno));
		free(l);
		return NULL;
	}
	l->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->signal_fd < 0 || l->timer_fd < 0) {
		p_err("%s: cannot set up the event loop: %s", who, strerror(errno));
		loop__free(l);
		return NULL;
	}
	if (period_s > 0 && loop__every(l, period_s)) {
		loop__free(l);
		return NULL;
	}
	return l;
}

int loop__every(struct loop *l, double period_s)
{
	uint64_t ns = (uint64_t)(period_s * 1e9);

	if (set_timer(l, ns, ns)) {
		p_err("%s: timerfd_settime: %s", l->who, strerror(errno));
		return -1;
	}
	return 0;
}

void loop__free(struct loop *l)
{
	if (!l)
		return;
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
	sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
	free(l);
}

int loop__catch(struct loop *l, int signo)
{
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, signo);
	sigaddset(&l->mask, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) ||
	    signalfd(l->signal_fd, &l->mask, SFD_CLOEXEC | SFD_NONBLOCK) < 0) {
		p_err("%s: cannot catch signal %d: %s", l->who, signo, strerror(errno));
		return -1;
	}
	return 0;
}

int loop__last_signal(const struct loop *l)
{
	return l->last_signo;
}

void loop__arm(struct loop *l, uint64_t ns)
{
	/* it_value 0 disarms, so "now" is the smallest non-zero delay. */
	set_timer(l, ns == UINT64_MAX ? 0 : (ns ? ns : 1), 0);
}

int loop__watch(struct loop *l, int fd, int id, int want_read)
{
	if (fd < 0)
		return 0;
	if (l->nfds == LOOP_MAX_FDS)
		return -1;
	l->fds[l->nfds++] = (struct watched){ .fd = fd, .id = id, .want_read = want_read };
	return 0;
}

void loop__unwatch(struct loop *l, int id)
{
	for (int i = 0; i < l->nfds; i++)
		if (l->fds[i].id == id) {
			memmove(&l->fds[i], &l->fds[i + 1], (size_t)(l->nfds - i - 1) * sizeof(l->fds[0]));
			l->nfds--;
			i--;
		}
}

/* Every queued signal is read: a stop wins over a caught signal, which
 * wins over a resize. */
static enum loop_event read_signals(struct loop *l, int *id)
{
	struct signalfd_siginfo si;
	enum loop_event ev = LOOP_ERROR;

	while (read(l->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo == SIGWINCH) {
			if (ev == LOOP_ERROR)
				ev = LOOP_RESIZE;
		} else if (signo == SIGINT || signo == SIGTERM || signo == SIGHUP) {
			ev = LOOP_STOP;
			l->last_signo = signo;
		} else if (ev != LOOP_STOP) {
			ev = LOOP_SIGNAL;
			l->last_signo = signo;
			*id = signo;
		}
	}
	return ev;
}

enum loop_event loop__wait(struct loop *l, int timeout_ms, int *id)
{
	struct pollfd pfd[LOOP_MAX_FDS + 2];

	for (;;) {
		uint64_t expirations;
		int n;

		pfd[0] = (struct pollfd){ .fd = l->signal_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = l->timer_fd, .events = POLLIN };
		/* A descriptor polled for no event still reports POLLHUP and
		 * POLLERR: that is how a closed terminal or pipe shows. */
		for (int i = 0; i < l->nfds; i++)
			pfd[i + 2] = (struct pollfd){ .fd = l->fds[i].fd,
						      .events = l->fds[i].want_read ? POLLIN : 0 };
		n = poll(pfd, (nfds_t)l->nfds + 2, timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			p_err("%s: poll: %s", l->who, strerror(errno));
			return LOOP_ERROR;
		}
		if (n == 0)
			return LOOP_TIMEOUT;
		if (pfd[0].revents & POLLIN) {
			enum loop_event ev = read_signals(l, id);

			if (ev != LOOP_ERROR)
				return ev;
		}
		/* A hung-up terminal stays readable (EOF, EIO) forever: reading
		 * it again would spin at 100% CPU. */
		for (int i = 0; i < l->nfds; i++)
			if (pfd[i + 2].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				*id = l->fds[i].id;
				return LOOP_HANGUP;
			}
		if ((pfd[1].revents & POLLIN) &&
		    read(l->timer_fd, &expirations, sizeof(expirations)) > 0)
			return LOOP_TICK;
		for (int i = 0; i < l->nfds; i++)
			if (pfd[i + 2].revents & POLLIN) {
				*id = l->fds[i].id;
				return LOOP_READY;
			}
	}
}
