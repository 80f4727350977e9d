// SPDX-License-Identifier: GPL-2.0
/* stall-snapshot N [R [DIR]]: what a recording of a stall of N pending tasks costs
 * per snapshot, full (every task in full, as before) against compact (each
 * task's pid, tid, comm, failed rounds and group), built from klptop's own
 * model and writer; then what `klptop report` takes to read 30 snapshots of
 * it, written all full and as `record` writes them (1 in 10 full). R
 * alternating repetitions of each, medians (bench/stall-record.sh). With
 * DIR, the two recordings are left there (full.klp, record.klp) for other
 * builds of klptop report to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "lib/util.h"
#include "model/model.h"
#include "recording/recfile.h"
#include "render/output.h"
#include "render/report.h"

#define SNAPS 30
#define FULL_EVERY 10

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Half kthreads, half threads of one process, asleep in one function,
 * blocked since the same round give or take its length. */
static struct transition_info *stall(int n, unsigned int round)
{
	struct transition_info *tr = xcalloc(1, sizeof(*tr));

	tr->tasks = xcalloc((size_t)n, sizeof(*tr->tasks));
	for (int i = 0; i < n; i++) {
		struct pending_task *t = &tr->tasks[tr->ntasks++];

		t->tid = 300 + i;
		t->pid = i % 2 ? t->tid : 299;
		t->kthread = (int8_t)(i % 2);
		copy_str(t->comm, sizeof(t->comm), i % 2 ? "klpt_sleep_d" : "threads");
		t->state = 'D';
		t->reason = REASON_SLEEPING_ON;
		t->func_ref = transition_info__func_ref(tr, "klpt_sleep_in");
		t->stack_key = 0xabc + (uint64_t)(i % 2);
		t->blocked_ns = round * 1000000000ull + (uint64_t)rand() % 900000000ull;
		t->rounds_failed = round;
		t->checks_sleeping = t->checks_asleep = t->checks_uninterruptible = round;
		t->cpu = t->check_cpu = i % 2;
		t->cpus_allowed = 2;
		t->tif_pending = 1;
	}
	tr->tasks_pending = tr->ntasks;
	tr->tasks_total = tr->ntasks + 60;
	tr->patch = xstrdup("klpt_lp_fix");
	transition_info__group(tr);
	return tr;
}

static char *snapshot_text(struct snapshot *s, int flags)
{
	json_object *o = snapshot__to_json_ex(s, flags);
	char *t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return t;
}

/* One snapshot as record writes it: JSON, then zlib. Its cost in ms. */
static double write_one(struct snapshot *s, int flags, size_t *json, size_t *z)
{
	double t0 = now_ms();
	char *t = snapshot_text(s, flags);
	uLongf zl = compressBound(strlen(t));
	Bytef *buf = xcalloc(1, zl);

	compress2(buf, &zl, (const Bytef *)t, strlen(t), 6);
	*json = strlen(t);
	*z = zl;
	free(buf);
	free(t);
	return now_ms() - t0;
}

/* SNAPS snapshots of the stall, round by round, all full or as record
 * writes them. Returns the file; *len its size. */
static void *recording(int n, int compact, size_t *len)
{
	struct rec_writer *w = recfile__create_mem();
	json_object *h = json_object_new_object();
	const void *buf;
	void *copy;

	json_object_object_add(h, "kernel_release", json_object_new_string("6.1.0-99-amd64"));
	json_object_object_add(h, "start_monotonic_ns", json_object_new_int64(1000000000));
	recfile__write_json(w, REC_HEADER, h);
	json_object_put(h);
	for (unsigned int i = 0; i < SNAPS; i++) {
		struct snapshot s;
		char *t;

		snapshot__init(&s);
		s.transition = stall(n, i + 1);
		t = snapshot_text(&s, compact && i % FULL_EVERY ? SNAPSHOT_JSON_COMPACT : 0);
		recfile__write_snapshot(w, (i + 2) * 1000000000ull, t);
		free(t);
		snapshot__free(&s);
	}
	h = json_object_new_object();
	json_object_object_add(h, "reason", json_object_new_string("duration"));
	recfile__write_json(w, REC_END, h);
	json_object_put(h);
	recfile__flush_events(w);
	buf = recfile__buffer(w, len);
	copy = xcalloc(1, *len);
	memcpy(copy, buf, *len);
	recfile__close(w);
	return copy;
}

static double report_ms(const void *buf, size_t len)
{
	FILE *null = fopen("/dev/null", "w");
	double t0 = now_ms();

	report__mem("stall.klp", buf, len, REPORT_TEXT, 0, null);
	fclose(null);
	return now_ms() - t0;
}

static void save(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, r = argc > 2 ? atoi(argv[2]) : 7;
	double *ms[2], *rep[2];
	size_t json[2], z[2], flen[2];
	void *file[2];
	struct snapshot s;

	if (n <= 0 || r <= 0) {
		fprintf(stderr, "usage: stall-snapshot N [R]\n");
		return 2;
	}
	srand(1);
	snapshot__init(&s);
	s.transition = stall(n, 40);
	for (int c = 0; c < 2; c++) {
		ms[c] = xcalloc((size_t)r, sizeof(double));
		rep[c] = xcalloc((size_t)r, sizeof(double));
		file[c] = recording(n, c, &flen[c]);
		if (argc > 3)
			save(argv[3], c ? "record.klp" : "full.klp", file[c], flen[c]);
	}
	for (int i = 0; i < r; i++)
		for (int c = 0; c < 2; c++) {
			ms[c][i] = write_one(&s, c ? SNAPSHOT_JSON_COMPACT : 0, &json[c], &z[c]);
			rep[c][i] = report_ms(file[c], flen[c]);
		}
	printf("N=%d pending, medians of %d alternating runs\n", n, r);
	printf("  a snapshot, full:    %zu B JSON, %zu B compressed, %.1f ms\n", json[0], z[0],
	       median(ms[0], r));
	printf("  a snapshot, compact: %zu B JSON, %zu B compressed, %.1f ms (%.1fx less CPU, "
	       "%.1fx smaller)\n", json[1], z[1], median(ms[1], r), median(ms[0], r) / median(ms[1], r),
	       (double)z[0] / (double)z[1]);
	printf("  %d snapshots at 1 s: all full %zu B (%.0f MB/h), as record writes them %zu B "
	       "(%.0f MB/h): %.1fx smaller\n", SNAPS, flen[0], flen[0] * 3600.0 / SNAPS / 1e6,
	       flen[1], flen[1] * 3600.0 / SNAPS / 1e6, (double)flen[0] / (double)flen[1]);
	printf("  klptop report of them: all full %.0f ms, as record writes them %.0f ms (%.1fx)\n",
	       median(rep[0], r), median(rep[1], r), median(rep[0], r) / median(rep[1], r));
	snapshot__free(&s);
	for (int c = 0; c < 2; c++) {
		free(ms[c]);
		free(rep[c]);
		free(file[c]);
	}
	return 0;
}
