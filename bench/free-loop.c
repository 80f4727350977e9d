// SPDX-License-Identifier: GPL-2.0
/* A slab-free-heavy loop for bench/shadow-free-cost.sh: each open()/close()
 * of /dev/null allocates and frees a struct file (kmem_cache_free) and a
 * path name buffer. Prints ns per iteration, best of ROUNDS. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double best = 0;

	for (int r = 0; r < rounds; r++) {
		double t0 = now();

		for (long i = 0; i < iters; i++) {
			int fd = open("/dev/null", O_RDONLY);

			if (fd < 0)
				return 1;
			close(fd);
		}
		double ns = (now() - t0) / (double)iters;

		if (!best || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
