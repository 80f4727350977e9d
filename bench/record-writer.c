// SPDX-License-Identifier: GPL-2.0
/* The recorder's write path alone, old framing against new, in one run.
 * N events shaped like object churn under a leaking shadow patch (shadow
 * orphan events: a ring of 16 live owners whose addresses the allocator
 * reuses, a few allocation and free stacks, one free call site), a
 * transition round event every 1000, and a snapshot every K events, written
 * twice: into OLD.klp with the version-1 framing (one chunk and one write()
 * per event) and into NEW.klp with the version-2 packed batches, flushed
 * every B events as record does at each poll round. Prints events/s and
 * bytes/event of each and the ratios, then reads NEW.klp back and checks
 * that every event decodes to what was written.
 * Usage: record-writer OLD.klp NEW.klp N K B */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recording/recfile.h"
#include "lib/util.h"

#include "klptop/shadow.h"
#include "klptop/transition.h"

struct bench_ev {
	int kind;
	union {
		struct klpt_event t;
		struct klpt_shadow_event s;
	} u;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Churn at about 200k objects/s: an owner lives 16 creations (~80 us). */
static struct bench_ev *make_events(long n)
{
	struct bench_ev *v = xcalloc((size_t)n, sizeof(*v));
	uint64_t s = 0x9e3779b97f4a7c15ull, ts = 1000000000000ull, slots[16];
	uint32_t round = 0;

	for (int i = 0; i < 16; i++)
		slots[i] = 0xffff888004000000ull + (rnd(&s) % 4096) * 64;
	for (long i = 0; i < n; i++) {
		struct bench_ev *e = &v[i];

		ts += 4000 + rnd(&s) % 2000;
		if (i % 1000 == 999) {
			e->kind = REC_EV_TRANSITION;
			e->u.t.type = KLPT_EV_ROUND;
			e->u.t.target = 1;
			e->u.t.ts_ns = ts;
			e->u.t.transition_id = 3;
			copy_str(e->u.t.patch, sizeof(e->u.t.patch), "klpt_lp_shadow_leak");
			e->u.t.round = ++round;
			e->u.t.checked = 180;
			e->u.t.switched = 1;
			e->u.t.round_ns = 250000 + rnd(&s) % 50000;
			continue;
		}
		e->kind = REC_EV_SHADOW;
		e->u.s.ts_ns = ts;
		e->u.s.stack = -1;
		e->u.s.id = 0x6b6c7001;
		e->u.s.size = 16;
		e->u.s.obj = slots[i % 16];
		e->u.s.alloc_ns = ts - 16 * 5000 - rnd(&s) % 3000;
		if (i % 97 == 0) {
			/* a get on a reused address: the shadow of a freed owner */
			e->u.s.type = KLPT_SH_EV_STALE;
			e->u.s.flags = KLPT_SH_ORPHANED;
			e->u.s.freed_ns = ts - rnd(&s) % 100000;
			e->u.s.alloc_stack = 11;
			e->u.s.free_stack = 12;
			e->u.s.stack = 14;
		} else {
			e->u.s.type = KLPT_SH_EV_ORPHAN;
			e->u.s.flags = KLPT_SH_ORPHANED;
			e->u.s.freed_ns = ts;
			e->u.s.call_site = 0xffffffffc0a41234ull;
			e->u.s.alloc_stack = (int32_t)(11 + (i % 3 == 0));
			e->u.s.free_stack = 12;
		}
		/* the allocator hands the freed slot's neighbourhood back */
		slots[i % 16] = 0xffff888004000000ull + (rnd(&s) % 4096) * 64;
	}
	return v;
}

static size_t frames(void *ctx, uint32_t source, uint64_t key, struct rec_frame *out, size_t max)
{
	static const char *const syms[] = { "klp_shadow_alloc", "klpt_obj_create",
					    "klpt_churn_fn", "kthread", "ret_from_fork" };
	size_t n = source == REC_STK_ADDR ? 1 : 5;

	(void)ctx;
	for (size_t i = 0; i < n && i < max; i++) {
		out[i].addr = 0xffffffffc0a40000ull + key * 256 + i * 16;
		out[i].symbol = source == REC_STK_ADDR ? "klpt_obj_destroy" : syms[i];
		out[i].module = i == 1 ? "klpt_lp_shadow_leak" : NULL;
		out[i].offset = 0x20 + i;
	}
	return n;
}

static void count_ok(void *ctx, const struct rec_event *e)
{
	long *ok = ctx;

	(void)e;
	(*ok)++;
}

static struct rec_writer *open_writer(const char *path)
{
	char err[256];
	struct rec_writer *w = recfile__create(path, 1, err, sizeof(err));

	if (!w) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	recfile__write(w, REC_HEADER, NULL, 0, "{}", 2);
	return w;
}

/* Write all events; returns seconds taken, *snap_bytes what snapshots took. */
static double run(struct rec_writer *w, int packed, const struct bench_ev *v, long n, long k,
		  long b, const char *snap, uint64_t *snap_bytes)
{
	uint64_t t0 = now_ns();

	*snap_bytes = 0;
	for (long i = 0; i < n; i++) {
		const void *p = &v[i].u;
		size_t len = v[i].kind == REC_EV_SHADOW ? sizeof(struct klpt_shadow_event)
							 : sizeof(struct klpt_event);

		if (packed) {
			recfile__add_event(w, v[i].kind, p, len);
			if (i % b == b - 1)
				recfile__flush_events(w);
		} else {
			recfile__write_event(w, v[i].kind == REC_EV_SHADOW ? REC_SHADOW_EVENT
									   : REC_TRANS_EVENT, p, len);
		}
		if (i % k == 0) {
			uint64_t before;

			recfile__flush_events(w);
			before = recfile__bytes(w);
			recfile__write_snapshot(w, v[i].u.t.ts_ns, snap);
			*snap_bytes += recfile__bytes(w) - before;
		}
	}
	recfile__flush_events(w);
	return (double)(now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	long n, k, b, ok = 0;
	char *snap, *buf;
	size_t off = 0, len;
	struct rec_writer *w;
	struct bench_ev *v;
	uint64_t sb_old, sb_new, bytes_old, bytes_new;
	double s_old, s_new, bpe_old, bpe_new;
	struct rec_reader r;
	struct rec_chunk c;
	struct rec_dict *d;

	if (argc != 6 || parse_long(argv[3], &n) || parse_long(argv[4], &k) ||
	    parse_long(argv[5], &b) || n <= 0 || k <= 0 || b <= 0) {
		fprintf(stderr, "usage: record-writer OLD.klp NEW.klp N K B\n");
		return 2;
	}
	/* A snapshot like the lab's: 40 pending tasks with stacks. */
	snap = xmalloc(1 << 20);
	off += (size_t)sprintf(snap, "{\"transition\":{\"patch\":\"klpt_lp_fix\",\"pending\":[");
	for (int i = 0; i < 40; i++)
		off += (size_t)sprintf(snap + off, "%s{\"tid\":%d,\"comm\":\"kworker/%d:1\",\"reason\":\"sleeping_on\","
				       "\"stack\":[{\"addr\":\"0xffffffff810c%04x\",\"symbol\":\"worker_thread\",\"offset\":%d},"
				       "{\"addr\":\"0xffffffff810b%04x\",\"symbol\":\"kthread\",\"offset\":232}]}",
				       i ? "," : "", 100 + i, i, i * 16, i, i * 8);
	sprintf(snap + off, "]}}");
	v = make_events(n);

	w = open_writer(argv[1]);
	s_old = run(w, 0, v, n, k, b, snap, &sb_old);
	bytes_old = recfile__bytes(w);
	if (recfile__close(w))
		return 1;
	w = open_writer(argv[2]);
	recfile__set_stack_resolver(w, frames, NULL);
	s_new = run(w, 1, v, n, k, b, snap, &sb_new);
	bytes_new = recfile__bytes(w);
	if (recfile__close(w))
		return 1;

	/* Read the new file back: every event must decode. */
	buf = read_all(argv[2], &len);
	d = recfile__dict_new();
	if (!buf || recfile__open_mem(&r, buf, len))
		return 1;
	while (recfile__next(&r, &c) == 1) {
		if (c.type == REC_STRINGS || c.type == REC_STACKS)
			recfile__dict_add(d, &c);
		else if (c.type == REC_EVENTS)
			recfile__events(&c, d, count_ok, &ok);
	}
	recfile__dict_free(d);
	free(buf);
	if (ok != n) {
		fprintf(stderr, "decoded %ld of %ld events\n", ok, n);
		return 1;
	}
	bpe_old = (double)(bytes_old - sb_old - REC_FILE_HDR) / (double)n;
	bpe_new = (double)(bytes_new - sb_new - REC_FILE_HDR) / (double)n;
	printf("events %ld (shadow orphan/stale %ld, transition round %ld), flush every %ld, "
	       "snapshot every %ld\n", n, n - n / 1000, n / 1000, b, k);
	printf("v1_events_per_s %.0f\nv1_bytes_per_event %.1f\n", (double)n / s_old, bpe_old);
	printf("v2_events_per_s %.0f\nv2_bytes_per_event %.1f\n", (double)n / s_new, bpe_new);
	printf("speedup %.1fx\nsize_ratio %.1fx smaller\n", s_old / s_new, bpe_old / bpe_new);
	printf("snapshot_json_bytes %zu\nsnapshot_chunk_bytes %llu\n", strlen(snap),
	       (unsigned long long)(sb_new / (uint64_t)((n + k - 1) / k)));
	printf("decoded %ld of %ld\n", ok, n);
	free(snap);
	free(v);
	return 0;
}
