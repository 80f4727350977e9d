// SPDX-License-Identifier: GPL-2.0
/*
 * thread-churn SECONDS [WIDTH]: for SECONDS, keep about WIDTH short-lived
 * threads in flight: each thread is created, touches its stack, and exits at
 * once; a finished slot is refilled immediately. For the lab scenario
 * fault-threads: thousands of threads appear and vanish while klptop walks
 * the task list. Prints "thread-churn: N threads" at the end (N created);
 * exits 1 if no thread could be created. Static; runs in the lab initramfs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *body(void *arg)
{
	volatile char pad[256];

	memset((char *)pad, (int)(long)arg, sizeof(pad));
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int width = argc > 2 ? atoi(argv[2]) : 64;
	unsigned long created = 0;
	pthread_attr_t attr;
	pthread_t *slots;
	double end;

	if (seconds <= 0 || width < 1 || width > 4096) {
		fprintf(stderr, "usage: thread-churn SECONDS [WIDTH 1..4096]\n");
		return 2;
	}
	slots = calloc((size_t)width, sizeof(*slots));
	if (!slots)
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	end = now_s() + seconds;
	while (now_s() < end) {
		/* Fill every slot, then reap them in creation order: at any
		 * time up to WIDTH threads exist, most of them exiting. */
		int n = 0;

		for (; n < width; n++) {
			int err = pthread_create(&slots[n], &attr, body, (void *)(long)n);

			if (err) {
				if (err != EAGAIN)
					fprintf(stderr, "thread-churn: %s\n", strerror(err));
				break;
			}
			created++;
		}
		for (int i = 0; i < n; i++)
			pthread_join(slots[i], NULL);
	}
	printf("thread-churn: %lu threads\n", created);
	return created ? 0 : 1;
}
