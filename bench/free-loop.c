// SPDX-License-Identifier: GPL-2.0
/* Slab-free-heavy loops for bench/shadow-free-cost.sh and the lab's
 * bench-shadow. Prints ns per iteration, best of ROUNDS.
 *   open     open()/close() of /dev/null: a struct file and a path name
 *            buffer, each freed with kmem_cache_free (3 frees per loop)
 *   poll     poll() of 64 descriptors: the 34 beyond poll's stack buffer
 *            go into a kmalloc'd list, freed with kfree (1 free per loop)
 *   timerfd  timerfd_create()/close(): the context goes through kfree_rcu()
 * Time is the thread's CPU time (user + system, the hooks included): on a
 * shared host, waiting for a CPU would swamp the few percent measured.
 * Usage: free-loop ITERS ROUNDS [open|poll|timerfd] */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define POLL_FDS 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int open_close(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		return -1;
	return close(fd);
}

static struct pollfd pfds[POLL_FDS];

static int poll_many(void)
{
	return poll(pfds, POLL_FDS, 0) < 0 ? -1 : 0;
}

static int timerfd_cycle(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);

	if (fd < 0)
		return -1;
	return close(fd);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	const char *mode = argc > 3 ? argv[3] : "open";
	int (*step)(void) = open_close;
	double best = 0;

	if (!strcmp(mode, "poll")) {
		step = poll_many;
		for (int i = 0; i < POLL_FDS; i++) {
			pfds[i].fd = open("/dev/null", O_RDONLY);
			pfds[i].events = POLLIN;
			if (pfds[i].fd < 0)
				return 1;
		}
	} else if (!strcmp(mode, "timerfd")) {
		step = timerfd_cycle;
	} else if (strcmp(mode, "open")) {
		fprintf(stderr, "free-loop: mode is open, poll or timerfd, not '%s'\n", mode);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = now();

		for (long i = 0; i < iters; i++)
			if (step())
				return 1;
		double ns = (now() - t0) / (double)iters;

		if (!best || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
