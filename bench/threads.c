// SPDX-License-Identifier: GPL-2.0
/*
 * threads N [block]: a process with N extra threads that stay asleep, for
 * the transition benchmarks (bench/transition-bench.sh). Static, runs in the
 * lab initramfs. Default: each thread waits in pthread_cond_wait forever.
 * "block": each thread reads /sys/kernel/debug/klpt/block (sleeps in the
 * patched klpt_sleep_in until released, then reads again). "blockd": the
 * same through block_d, uninterruptibly (no fake signal moves them).
 * "dsleep": no threads; write "D" N times to /sys/kernel/debug/klpt/sleep
 * (N klpt_sleep_d kthreads sleeping uninterruptibly in klpt_sleep_in, which
 * the fake signal rounds do not wake), then exit.
 * Prints "threads: N ready" once every thread has started, then sleeps
 * until killed. Threads get 64 KiB stacks so 10 000 fit in little memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started;
static const char *block_file;

static void *body(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started++;
	if (!block_file) {
		for (;;)
			pthread_cond_wait(&cv, &mu); /* nobody signals */
	}
	pthread_mutex_unlock(&mu);
	for (;;) {
		char buf[64];
		int fd = open(block_file, O_RDONLY);

		if (fd < 0) {
			sleep(1);
			continue;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	pthread_attr_t attr;

	if (argc > 2 && !strcmp(argv[2], "block"))
		block_file = "/sys/kernel/debug/klpt/block";
	if (argc > 2 && !strcmp(argv[2], "blockd"))
		block_file = "/sys/kernel/debug/klpt/block_d";
	if (argc > 2 && !strcmp(argv[2], "dsleep")) {
		int fd = open("/sys/kernel/debug/klpt/sleep", O_WRONLY);

		for (int i = 0; fd >= 0 && i < n; i++) {
			if (write(fd, "D", 1) != 1) {
				fprintf(stderr, "threads: sleeper %d: %s\n", i, strerror(errno));
				return 1;
			}
		}
		if (fd < 0) {
			perror("threads: /sys/kernel/debug/klpt/sleep");
			return 1;
		}
		printf("threads: %d D sleepers requested\n", n);
		return 0;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, &attr, body, NULL);

		if (err) {
			fprintf(stderr, "threads: thread %d: %s\n", i, strerror(err));
			n = i;
			break;
		}
	}
	for (;;) {
		pthread_mutex_lock(&mu);
		int s = started;
		pthread_mutex_unlock(&mu);
		if (s >= n)
			break;
		usleep(10000);
	}
	printf("threads: %d ready\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
