/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one event loop of every long-running command (the live view, record,
 * shadow, metrics): a timerfd for the refresh, a signalfd for SIGINT,
 * SIGTERM, SIGHUP and SIGWINCH, and the descriptors the command watches (a
 * ring buffer's epoll fd, the terminal, an HTTP server's sockets). Signals
 * are blocked and read from the signalfd, so no work ever runs in a signal
 * handler, and neither do ncurses' own handlers.
 */
#ifndef KLPTOP_LIB_LOOP_H
#define KLPTOP_LIB_LOOP_H

#include <stdint.h>

struct loop;

enum loop_event {
	LOOP_TICK,      /* the timer expired */
	LOOP_STOP,      /* SIGINT, SIGTERM or SIGHUP */
	LOOP_RESIZE,    /* SIGWINCH */
	LOOP_READY,     /* a watched descriptor is readable (*id says which) */
	LOOP_HANGUP,    /* a watched descriptor hung up or failed (*id) */
	LOOP_TIMEOUT,   /* the wait's own timeout passed */
	LOOP_SIGNAL,    /* a signal added with loop__catch arrived (*id: its number) */
	LOOP_ERROR,     /* poll failed (printed) */
};

/* who prefixes error messages ("top", "record"). period_s > 0 arms a
 * periodic timer; 0 leaves it for loop__arm. NULL on failure (printed),
 * with the signal mask restored. */
struct loop *loop__new(const char *who, double period_s);
/* Restores the signal mask and closes the loop's own descriptors. */
void loop__free(struct loop *l);
/* Also read signo from the signalfd (SIGUSR1 for record's trigger): it
 * is blocked from now on and reported as LOOP_SIGNAL. 0 or -1 (printed). */
int loop__catch(struct loop *l, int signo);
/* The signal behind the last LOOP_STOP or LOOP_SIGNAL (SIGINT, SIGTERM...). */
int loop__last_signal(const struct loop *l);
/* A periodic timer, its first expiry one period from now (replaces any
 * timer). 0 or -1 (printed). */
int loop__every(struct loop *l, double period_s);
/* One expiry ns from now; UINT64_MAX disarms. Replaces a periodic timer. */
void loop__arm(struct loop *l, uint64_t ns);
/* Watch fd (for POLLIN when want_read, else only for hangups: a terminal or
 * pipe on stdout) under id >= 0. Returns 0, or -1 when the table is full.
 * A negative fd is ignored. */
int loop__watch(struct loop *l, int fd, int id, int want_read);
void loop__unwatch(struct loop *l, int id);
/* Block until something happens or timeout_ms passes (-1: no limit).
 * Signals come first, then hangups, then the timer (a busy ring buffer
 * cannot starve a refresh), then readable descriptors in the order they
 * were watched. *id is set for READY and HANGUP. */
enum loop_event loop__wait(struct loop *l, int timeout_ms, int *id);

#endif
