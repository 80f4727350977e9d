// SPDX-License-Identifier: GPL-2.0
/* Recording files: the writer, the packed events (version 2) and the
 * version-1 per-event chunks, the reader cut at every byte, damaged chunks,
 * file creation rules, --redact, the flight recorder with batches, and the
 * report drawn from a recorded stuck transition. With KLPTOP_SEED_DIR set,
 * the recordings are also written there as fuzzing seeds
 * (tests/fuzz/corpus/). */
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/log.h"
#include "recording/recfile.h"
#include "render/report.h"
#include "lib/util.h"

#include "klptop/shadow.h"
#include "klptop/transition.h"

#define T0 1000000000000ull   /* start_monotonic_ns of the fake recording */
#define S(x) (T0 + (uint64_t)((x) * 1e9))
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static uint64_t chunk_end[256];  /* file offset where each chunk ends */
static size_t nchunk_end;
static int v1;                    /* make_recording: version-1 framing */

/* Where the chunks of a (good) file end, by walking their lengths. */
static void find_chunk_ends(const uint8_t *buf, size_t len)
{
	size_t pos = REC_FILE_HDR;

	nchunk_end = 0;
	while (pos + REC_CHUNK_HDR <= len) {
		uint32_t l;

		memcpy(&l, buf + pos + 4, 4);
		pos += REC_CHUNK_HDR + l;
		assert_true(pos <= len);
		assert_true(nchunk_end < ARRAY_SIZE(chunk_end));
		chunk_end[nchunk_end++] = pos;
	}
	assert_int_equal(pos, len);
}

static void put_event(struct rec_writer *w, int kind, const void *e, size_t len)
{
	if (v1)
		assert_int_equal(recfile__write_event(w, kind == REC_EV_SHADOW ? REC_SHADOW_EVENT
									   : REC_TRANS_EVENT, e, len), 0);
	else
		assert_int_equal(recfile__add_event(w, kind, e, len), 0);
}

static void ev(struct rec_writer *w, uint32_t type, uint64_t ts)
{
	struct klpt_event e = { .type = type, .target = 1, .ts_ns = ts, .transition_id = 7 };

	copy_str(e.patch, sizeof(e.patch), "klpt_lp_fix");
	if (type == KLPT_EV_ROUND) {
		e.round = (uint32_t)((ts - T0) / 1000000000ull) - 1;
		e.round_ns = 60000 + e.round * 5000;
		e.checked = 40;
		e.switched = e.round == 1 ? 38 : 0;
		e.busy = 1;
		e.signals = ts == S(3.0);
	}
	if (type == KLPT_EV_BLOCKER_SWITCHED) {
		e.pid = e.tid = 77;
		e.kthread = 1;
		copy_str(e.comm, sizeof(e.comm), "klpt_spin");
		e.last_ret = -KLPT_EBUSY;
		e.rounds_failed = 6;
		e.first_ns = S(1.0);
		e.how = KLPT_HOW_STACK_CHECK;
		e.stack_key = 0x1234abcd5678ef01ull;
	}
	put_event(w, REC_EV_TRANSITION, &e, sizeof(e));
}

static void snap(struct rec_writer *w, double t, int pending)
{
	char json[2048];

	if (pending)
		snprintf(json, sizeof(json),
			 "{\"transition\":{\"patch\":\"klpt_lp_fix\",\"target\":\"patched\","
			 "\"tasks_total\":40,\"tasks_pending\":%d,\"elapsed_ns\":%llu,"
			 "\"pending\":[{\"pid\":77,\"tid\":77,\"comm\":\"klpt_spin\",\"kthread\":true,"
			 "\"reason\":\"running\",\"function\":null,\"rounds_failed\":%d,\"checks_running\":%d,"
			 "\"blocked_ns\":%llu,\"signal_rounds_seen\":%d,\"stack\":[],"
			 "\"oncpu_stack\":[{\"addr\":\"0xffffffffc0a01010\",\"symbol\":\"klpt_spin_step\"},"
			 "{\"addr\":\"0xffffffffc0a01100\",\"symbol\":\"klpt_spin_fn\"}]}]},"
			 "\"shadows\":{\"live\":3,\"orphans\":1,\"leaks\":[{\"kind\":\"orphan\","
			 "\"obj\":\"0xffff88800a1b2c00\",\"note\":\"owner at 0xffff88800a1b2c00\"}]}}",
			 pending, (unsigned long long)((t - 1.0) * 1e9), (int)t, (int)t,
			 (unsigned long long)((t - 1.0) * 1e9), t > 3.0);
	else
		snprintf(json, sizeof(json), "{\"transition\":null,\"shadows\":{\"live\":3,"
			 "\"ids\":[{\"id\":\"0x4b4c5054\",\"allocs\":5,\"frees\":1,\"live\":3,"
			 "\"orphans\":1,\"stale\":0,\"duplicates\":0,\"ownership\":\"abandoned\","
			 "\"ownership_text\":\"3 shadows of klpt_lp_leak, which was unloaded; no "
			 "enabled patch uses the id: nothing will free them\"}],"
			 "\"leaks\":[{\"kind\":\"orphan\",\"id\":\"0x4b4c5054\",\"obj\":\"0xffff88800a1b2c00\","
			 "\"alloc_stack\":[{\"addr\":\"0xffffffffc0a020d0\",\"symbol\":\"klpt_lp_leak_alloc\"},"
			 "{\"addr\":\"0xffffffffc0a020d8\",\"symbol\":\"klpt_obj_new\"}]}]}}");
	assert_int_equal(recfile__write_snapshot(w, S(t), json), 0);
}

static void json_chunk(struct rec_writer *w, uint32_t type, const char *json)
{
	assert_int_equal(recfile__write(w, type, NULL, 0, json, strlen(json)), 0);
}

/* The test's stand-in for record's BPF map lookups: a shadow stack id or
 * a judged stack_key resolves to three frames, a call site to one. */
static size_t fake_stacks(void *ctx, uint32_t source, uint64_t key, struct rec_frame *out,
			  size_t max)
{
	static const char *const syms[] = { "klpt_lp_leak_alloc", "klpt_obj_new", "kthread" };
	size_t n = source == REC_STK_ADDR ? 1 : 3;

	(void)ctx;
	assert_true(max >= 3);
	for (size_t i = 0; i < n; i++) {
		out[i].addr = 0xffffffffc0a02000ull + key * 64 + i * 8;
		out[i].symbol = source == REC_STK_ADDR ? "kfree" : syms[i];
		out[i].module = i == 0 && source != REC_STK_ADDR ? "klpt_lp_leak" : NULL;
		out[i].offset = 0x10 + i;
	}
	return n;
}

static struct klpt_shadow_event orphan(uint64_t ts, uint64_t obj, int32_t stack)
{
	struct klpt_shadow_event se = {
		.type = KLPT_SH_EV_ORPHAN, .flags = KLPT_SH_ORPHANED, .ts_ns = ts, .obj = obj,
		.id = 0x4b4c5054, .size = 64, .alloc_ns = ts - 1500000, .freed_ns = ts,
		.call_site = 0xffffffff81234567ull, .alloc_stack = stack, .free_stack = stack + 1,
		.stack = -1,
	};

	copy_str(se.cache, sizeof(se.cache), "klpt_obj");
	return se;
}

/* A stuck kthread that blocks klpt_lp_fix from 1 s to 6 s. */
static struct rec_writer *make_recording_flags(int redact)
{
	struct rec_writer *w = recfile__create_mem();
	struct klpt_shadow_event se = orphan(S(4.5), 0xffff88800a1b2c00ull, 3);
	char hdr[512];
	size_t len;

	if (redact)
		recfile__set_redact(w);
	recfile__set_stack_resolver(w, fake_stacks, NULL);
	snprintf(hdr, sizeof(hdr),
		 "{\"kernel_release\":\"6.1.0-99-amd64\",\"boot_id\":\"b\",\"hostname\":\"lab\","
		 "\"klptop_version\":\"test\",\"command_line\":[\"record\",\"-o\",\"r.klp\"],"
		 "\"start_realtime_ns\":1790000000000000000,\"start_monotonic_ns\":%llu}",
		 (unsigned long long)T0);
	json_chunk(w, REC_HEADER, hdr);
	json_chunk(w, REC_METADATA, "{\"interval_s\":1.0}");
	snap(w, 0.0, 0);
	ev(w, KLPT_EV_INIT, S(1.0));
	ev(w, KLPT_EV_START, S(1.0));
	for (int i = 2; i <= 6; i++) {
		ev(w, KLPT_EV_ROUND, S(i));
		snap(w, i + 0.1, 1);
	}
	put_event(w, REC_EV_SHADOW, &se, sizeof(se));
	ev(w, KLPT_EV_BLOCKER_SWITCHED, S(6.5));
	/* A snapshot right after the switch that still lists the task (the
	 * kernel updates patch_state after the probe point): not a second
	 * episode of blocking. */
	snap(w, 6.55, 1);
	ev(w, KLPT_EV_COMPLETE, S(6.6));
	snap(w, 7.0, 0);
	json_chunk(w, REC_DROPS, "{\"transition_events\":0,\"blockers\":0}");
	assert_int_equal(recfile__write(w, REC_SYMBOLS, NULL, 0,
					"ffffffffc0a01000 t klpt_spin_step\t[klpt_target]\n", 48), 0);
	json_chunk(w, REC_END, "{\"reason\":\"stable\"}");
	/* A version-1 file: the same chunks under a version-1 file header. */
	if (v1)
		((uint8_t *)recfile__buffer(w, &len))[8] = 1;
	recfile__buffer(w, &len);
	find_chunk_ends(recfile__buffer(w, &len), len);
	return w;
}

static struct rec_writer *make_recording(void)
{
	return make_recording_flags(0);
}

static char *report_of(const void *buf, size_t len, int format, int *rc)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	*rc = report__mem("test.klp", buf, len, format, 0, f);
	fclose(f);
	return out;
}

/* Decoded events of a whole file, in order. */
struct decoded {
	struct rec_event *v;
	size_t n, cap;
	size_t bad;          /* malformed payloads */
	struct rec_dict *dict;
};

static void collect(void *ctx, const struct rec_event *e)
{
	struct decoded *d = ctx;

	grow_array((void **)&d->v, &d->cap, d->n, sizeof(*d->v));
	d->v[d->n++] = *e;
}

static size_t decode_all(const void *buf, size_t len, struct decoded *d)
{
	struct rec_reader r;
	struct rec_chunk c;
	size_t chunks = 0;

	memset(d, 0, sizeof(*d));
	d->dict = recfile__dict_new();
	if (recfile__open_mem(&r, buf, len))
		return 0;
	while (recfile__next(&r, &c) == 1) {
		chunks++;
		if (c.type == REC_STRINGS || c.type == REC_STACKS)
			d->bad += recfile__dict_add(d->dict, &c) != 0;
		else if (c.type == REC_EVENTS)
			d->bad += recfile__events(&c, d->dict, collect, d) < 0;
	}
	return chunks;
}

static void decoded_free(struct decoded *d)
{
	free(d->v);
	recfile__dict_free(d->dict);
}

static void test_roundtrip(void **state)
{
	struct rec_writer *w = make_recording();
	struct rec_reader r;
	struct rec_chunk c;
	struct decoded d;
	size_t len, n = 0, nevents = 0;
	const uint8_t *buf = recfile__buffer(w, &len);
	const struct rec_stack *st;

	assert_int_equal(recfile__open_mem(&r, buf, len), 0);
	while (recfile__next(&r, &c) == 1) {
		assert_int_equal(c.offset + REC_CHUNK_HDR + c.len, chunk_end[n]);
		/* Events are batched: no per-event chunks in version 2. */
		assert_int_not_equal(c.type, REC_TRANS_EVENT);
		assert_int_not_equal(c.type, REC_SHADOW_EVENT);
		n++;
	}
	assert_int_equal(n, nchunk_end);
	assert_true(r.ended);
	assert_false(r.bad);
	/* The layout the docs promise: magic, version 2, little-endian. */
	assert_memory_equal(buf, "KLPTREC\0\2\0\0\0\0\0\0\0", 16);
	assert_int_equal(buf[16], REC_HEADER);
	decode_all(buf, len, &d);
	assert_int_equal(d.bad, 0);
	for (size_t i = 0; i < d.n; i++)
		nevents += 1;
	assert_int_equal(nevents, 10);
	assert_int_equal(d.v[0].kind, REC_EV_TRANSITION);
	assert_int_equal(d.v[0].u.t.type, KLPT_EV_INIT);
	assert_string_equal(d.v[0].u.t.patch, "klpt_lp_fix");
	assert_int_equal(d.v[0].u.t.ts_ns, S(1.0));
	assert_int_equal(d.v[7].kind, REC_EV_SHADOW);
	assert_int_equal(d.v[7].u.s.obj, 0xffff88800a1b2c00ull);
	assert_int_equal(d.v[7].u.s.alloc_stack, 3);
	assert_int_equal(d.v[7].u.s.stack, -1);
	assert_string_equal(d.v[7].u.s.cache, "klpt_obj");
	/* The alloc stack went into the file once, with names and addresses. */
	st = recfile__dict_stack(d.dict, d.v[7].stack_ref);
	assert_non_null(st);
	assert_int_equal(st->source, REC_STK_SHADOW);
	assert_int_equal(st->n, 3);
	assert_string_equal(st->frames[0].symbol, "klpt_lp_leak_alloc");
	assert_string_equal(st->frames[0].module, "klpt_lp_leak");
	assert_int_equal(st->frames[0].offset, 0x10);
	assert_int_equal(st->frames[0].addr, 0xffffffffc0a02000ull + 3 * 64);
	assert_null(st->frames[1].module);
	st = recfile__dict_stack(d.dict, d.v[7].call_site_ref);
	assert_non_null(st);
	assert_string_equal(st->frames[0].symbol, "kfree");
	assert_int_equal(d.v[8].u.t.stack_key, 0x1234abcd5678ef01ull);
	assert_int_equal(d.v[8].u.t.first_ns, S(1.0));
	assert_int_equal(d.v[8].u.t.last_ret, -KLPT_EBUSY);
	decoded_free(&d);
	recfile__close(w);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every field survives the packing exactly: random events of both kinds
 * (and random values in every field) come back byte for byte. Enough of
 * them to fill several batches and to hit every varint length. */
static void test_packed_exact(void **state)
{
	struct rec_writer *w = recfile__create_mem();
	static struct klpt_event te[3000];
	static struct klpt_shadow_event se[3000];
	uint64_t s = 88172645463325252ull, ts = T0;
	struct decoded d;
	size_t len, ti = 0, si = 0;
	const void *buf;

	recfile__set_stack_resolver(w, fake_stacks, NULL);
	assert_int_equal(recfile__write(w, REC_HEADER, NULL, 0, "{}", 2), 0);
	for (int i = 0; i < 6000; i++) {
		uint64_t r = rnd(&s);
		int bits = (int)(r % 64) + 1;
		uint64_t v = bits == 64 ? rnd(&s) : rnd(&s) & ((1ull << bits) - 1);

		ts += rnd(&s) % 100000;
		if (i % 2) {
			struct klpt_event *e = &te[ti++];

			memset(e, 0, sizeof(*e));
			e->type = (uint32_t)(r % 40);    /* beyond 31: the long tag */
			e->ts_ns = r % 7 ? ts : ts - 5000;   /* out of order too */
			e->target = (int32_t)(r % 3) - 1;
			e->transition_id = v;
			snprintf(e->patch, sizeof(e->patch), "patch_%llu", (unsigned long long)(r % 5));
			e->round = (uint32_t)v;
			e->checked = (uint32_t)(v >> 7);
			e->round_ns = v;
			e->tid = (uint32_t)rnd(&s);
			e->last_ret = -(int32_t)(r % 99);
			e->first_ns = r % 3 ? 0 : ts - v % ts;
			e->stack_key = r % 4 ? rnd(&s) % 10 : 0;
			if (r % 11 == 0)
				memset(e->comm, 'c', sizeof(e->comm));   /* no NUL */
			if (r % 13 == 0)
				memset(e->func, 'f', sizeof(e->func) - 1);
			put_event(w, REC_EV_TRANSITION, e, sizeof(*e));
		} else {
			struct klpt_shadow_event *e = &se[si++];

			*e = orphan(ts, 0xffff888000000000ull + (rnd(&s) % 100000) * 64,
				    (int32_t)(r % 9) - 1);
			e->type = (uint32_t)(r % 4);
			e->size = v;
			e->id = rnd(&s);
			e->freed_ns = r % 2 ? 0 : ts + 7;
			e->stack = r % 5 ? -1 : 7;
			e->call_site = r % 3 ? 0 : 0xffffffff81000000ull + r % 7;
			put_event(w, REC_EV_SHADOW, e, sizeof(*e));
		}
	}
	assert_int_equal(recfile__events_queued(w), 6000);
	assert_int_equal(recfile__flush_events(w), 0);
	buf = recfile__buffer(w, &len);
	find_chunk_ends(buf, len);
	assert_true(nchunk_end > 4);             /* several batches */
	/* Random values in every field are the worst case: no budget here
	 * (bench/record-rate.sh measures realistic events). */
	print_message("6000 random events: %zu bytes\n", len);
	decode_all(buf, len, &d);
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.n, 6000);
	ti = si = 0;
	for (size_t i = 0; i < d.n; i++) {
		if (i % 2) {
			assert_int_equal(d.v[i].kind, REC_EV_TRANSITION);
			if (memcmp(&d.v[i].u.t, &te[ti], sizeof(te[ti])))
				fail_msg("transition event %zu differs", ti);
			ti++;
		} else {
			assert_int_equal(d.v[i].kind, REC_EV_SHADOW);
			if (memcmp(&d.v[i].u.s, &se[si], sizeof(se[si])))
				fail_msg("shadow event %zu differs", si);
			si++;
		}
	}
	decoded_free(&d);
	recfile__close(w);
}

static char *report_of(const void *buf, size_t len, int format, int *rc);

/* Cut the file at every byte: the reader returns exactly the chunks that
 * end at or before the cut, says where it stopped, and the report runs,
 * says the file was cut and counts the chunks before the cut. Both format
 * versions. */
static void truncate_everywhere(void)
{
	struct rec_writer *w = make_recording();
	size_t len;
	const uint8_t *buf = recfile__buffer(w, &len);
	int saved = log_level;

	log_level = -1;   /* the report warns at every cut */
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *copy = xmalloc(cut ? cut : 1);
		struct rec_reader r;
		struct rec_chunk c;
		size_t got = 0, want = 0;
		char *out, expect[64];
		int rc;

		memcpy(copy, buf, cut);
		while (want < nchunk_end && chunk_end[want] <= cut)
			want++;
		if (recfile__open_mem(&r, copy, cut)) {
			assert_true(cut < REC_FILE_HDR);
			out = report_of(copy, cut, 0, &rc);
			assert_int_not_equal(rc, 0);    /* not a recording at all */
			free(out);
			free(copy);
			continue;
		}
		while (recfile__next(&r, &c) == 1)
			got++;
		if (got != want)
			fail_msg("cut at %zu: %zu chunks, want %zu", cut, got, want);
		if (cut < len && (!want || chunk_end[want - 1] != cut) && cut > REC_FILE_HDR)
			assert_non_null(strstr(r.err, "truncated at byte"));
		out = report_of(copy, cut, 0, &rc);
		assert_int_equal(rc, 0);
		snprintf(expect, sizeof(expect), "  %zu chunks:", want);
		if (!strstr(out, expect))
			fail_msg("cut at %zu: report does not say '%s'", cut, expect);
		if (cut < len && !strstr(out, "truncated at byte") && !strstr(out, "no end marker"))
			fail_msg("cut at %zu: report does not say the file is cut", cut);
		free(out);
		for (int fmt = 1; fmt < 3; fmt++) {
			out = report_of(copy, cut, fmt, &rc);
			assert_int_equal(rc, 0);
			if (fmt == 1) {
				snprintf(expect, sizeof(expect), "\"chunks\":%zu,", want);
				assert_non_null(strstr(out, expect));
				assert_non_null(strstr(out, "\"malformed_payloads\":0,"));
			}
			free(out);
		}
		free(copy);
	}
	log_level = saved;
	recfile__close(w);
}

static void test_truncate_everywhere(void **state)
{
	truncate_everywhere();
	v1 = 1;
	truncate_everywhere();
	v1 = 0;
}

/* A flipped byte anywhere inside a chunk stops the reader at that chunk. */
static void test_corruption(void **state)
{
	struct rec_writer *w = make_recording();
	size_t len;
	const uint8_t *buf = recfile__buffer(w, &len);
	uint8_t *copy = xmalloc(len);
	int saved = log_level;

	log_level = -1;
	for (size_t i = REC_FILE_HDR; i < len; i += 3) {
		struct rec_reader r;
		struct rec_chunk c;
		size_t got = 0, k = 0;
		char *out;
		int rc;

		memcpy(copy, buf, len);
		copy[i] ^= 0x5a;
		while (chunk_end[k] <= i)
			k++;
		assert_int_equal(recfile__open_mem(&r, copy, len), 0);
		while (recfile__next(&r, &c) == 1)
			got++;
		/* Chunk k holds the flip; an earlier one never reads differently. */
		assert_true(got <= k || got == nchunk_end);
		out = report_of(copy, len, (int)(i % 3), &rc);
		free(out);
	}
	log_level = saved;
	free(copy);
	recfile__close(w);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void check_report(const char *version)
{
	struct rec_writer *w = make_recording();
	size_t len;
	const void *buf = recfile__buffer(w, &len);
	char *txt, *json, *chrome;
	int rc;

	txt = report_of(buf, len, 0, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, version));
	assert_non_null(strstr(txt, "klpt_lp_fix -> patched: start +1.0 s, end +6.6 s, "
				    "duration 5.6 s, outcome completed; 5 rounds, 1 signal rounds"));
	assert_int_equal(count_of(txt, "klpt_spin (pid 77"), 1);
	assert_non_null(strstr(txt, "reason running"));
	assert_non_null(strstr(txt, "on-CPU: klpt_spin_step <- klpt_spin_fn"));
	assert_non_null(strstr(txt, "switched (stack_check) at +6.5 s"));
	assert_non_null(strstr(txt, "1 orphan"));
	/* The shadow story: per id counts, the orphan and where it came from
	 * (v2: the file's stack dictionary; v1: the snapshot's leak report). */
	assert_non_null(strstr(txt, "id 0x4b4c5054: 5 allocs, 1 frees, 3 live, 1 orphans"));
	/* A patch unloaded while recording: the shadows it left, under its name. */
	assert_non_null(strstr(txt, "\n    abandoned: 3 shadows of klpt_lp_leak, which was "
				    "unloaded; no enabled patch uses the id: nothing will free them\n"));
	assert_non_null(strstr(txt, "orphan id 0x4b4c5054: 1 events from +4.5 s to +4.5 s, "
				    "cache klpt_obj"));
	assert_non_null(strstr(txt, v1 ? "allocated: klpt_lp_leak_alloc <- klpt_obj_new\n"
				       : "allocated: klpt_lp_leak_alloc+0x10 [klpt_lp_leak] <- "
					 "klpt_obj_new+0x11 <- kthread+0x12\n"));
	if (!v1)
		assert_non_null(strstr(txt, "owner freed: klpt_lp_leak_alloc+0x10 [klpt_lp_leak]"));
	assert_non_null(strstr(txt, "9 transition events, 1 shadow events, 8 snapshots"));
	assert_null(strstr(txt, "WARNING"));
	json = report_of(buf, len, 1, &rc);
	assert_non_null(strstr(json, "\"outcome\":\"completed\""));
	assert_non_null(strstr(json, "\"complete\":true"));
	assert_non_null(strstr(json, "\"malformed_payloads\":0,"));
	assert_non_null(strstr(json, "\"event_groups\":[{\"kind\":\"orphan\",\"id\":\"0x4b4c5054\","
				     "\"count\":1,"));
	chrome = report_of(buf, len, 2, &rc);
	assert_non_null(strstr(chrome, "\"traceEvents\""));
	assert_non_null(strstr(chrome, "\"name\":\"pending tasks\""));
	assert_non_null(strstr(chrome, "klpt_spin (tid 77)"));
	assert_non_null(strstr(chrome, "signal round"));
	if (getenv("KLPTOP_SEED_DIR")) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/stuck-spin%s.klp", getenv("KLPTOP_SEED_DIR"),
			 v1 ? "" : "-v2");
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(buf, 1, len, f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/cut-mid%s.klp", getenv("KLPTOP_SEED_DIR"),
			 v1 ? "" : "-v2");
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(buf, 1, chunk_end[8] + 5, f);
		fclose(f);
	}
	free(txt);
	free(json);
	free(chrome);
	recfile__close(w);
}

/* The same story from a version-2 file and from a version-1 file (the
 * fixture: per-event chunks under a version-1 header). */
static void test_report(void **state)
{
	check_report("format version 2\n");
	v1 = 1;
	check_report("format version 1\n");
	v1 = 0;
}

/* O_EXCL: never overwrite without force; 0600 whatever the umask; no
 * following a symlink planted at the path. */
static void test_create(void **state)
{
	char dir[] = "/tmp/klptop-rec-XXXXXX", path[256], link[256], err[256];
	struct rec_writer *w;
	struct stat st;
	mode_t old = umask(0);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.klp", dir);
	snprintf(link, sizeof(link), "%s/l.klp", dir);
	w = recfile__create(path, 0, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(recfile__write(w, REC_HEADER, NULL, 0, "{}", 2), 0);
	assert_int_equal(recfile__close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, REC_FILE_HDR + REC_CHUNK_HDR + 2);
	assert_null(recfile__create(path, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(symlink(path, link), 0);
	assert_null(recfile__create(link, 0, err, sizeof(err)));
	w = recfile__create(path, 1, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(recfile__close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, REC_FILE_HDR);
	umask(old);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void test_hostile_lengths(void **state)
{
	uint8_t buf[64] = "KLPTREC";
	struct rec_reader r;
	struct rec_chunk c;

	buf[8] = 2;
	/* A chunk claiming 4 GiB. */
	buf[16] = REC_HEADER;
	memset(buf + 20, 0xff, 4);
	assert_int_equal(recfile__open_mem(&r, buf, sizeof(buf)), 0);
	assert_int_equal(recfile__next(&r, &c), 0);
	assert_non_null(strstr(r.err, "out of range at byte 16"));
	/* Version 3 is refused, not misread; so is 0. */
	buf[8] = 3;
	assert_int_equal(recfile__open_mem(&r, buf, sizeof(buf)), -1);
	assert_non_null(strstr(r.err, "version 3"));
	buf[8] = 0;
	assert_int_equal(recfile__open_mem(&r, buf, sizeof(buf)), -1);
}

/* A good chunk (CRC and all) around a hostile payload: each decoder says
 * malformed instead of reading past the end or allocating what it claims. */
static void test_hostile_payloads(void **state)
{
	struct rec_dict *d = recfile__dict_new();
	struct decoded got = { 0 };
	uint8_t p[64];
	struct rec_chunk c = { .data = p };

	/* strings: first id must be the next one (1), lengths within bounds */
	memset(p, 0, sizeof(p));
	c.type = REC_STRINGS;
	p[0] = 2, p[4] = 1, p[8] = 3, memcpy(p + 9, "abc", 3), c.len = 12;
	assert_int_equal(recfile__dict_add(d, &c), -1);          /* gap */
	p[0] = 1, c.len = 11;
	assert_int_equal(recfile__dict_add(d, &c), -1);          /* cut string */
	p[8] = 0x80, p[9] = 0x80, p[10] = 0x80, c.len = 11;
	assert_int_equal(recfile__dict_add(d, &c), -1);          /* cut varint */
	p[4] = 0xff, p[5] = 0xff, p[6] = 0xff, p[7] = 0x7f, p[8] = 3, c.len = 12;
	memcpy(p + 9, "abc", 3);
	assert_int_equal(recfile__dict_add(d, &c), -1);          /* 2^31 entries */
	p[4] = 1, p[5] = p[6] = p[7] = 0;
	assert_int_equal(recfile__dict_add(d, &c), 0);
	assert_string_equal(recfile__dict_string(d, 1), "abc");
	assert_null(recfile__dict_string(d, 2));
	/* stacks: a frame naming string 9 (undefined), 65 frames, bad source */
	c.type = REC_STACKS;
	memset(p, 0, sizeof(p));
	p[0] = 1, p[4] = 1, p[8] = REC_STK_SHADOW, p[9] = 5, p[10] = 0, p[11] = 1;
	p[12] = 9, p[13] = 0, p[14] = 0, c.len = 15;
	assert_int_equal(recfile__dict_add(d, &c), -1);
	p[12] = 1;
	p[11] = 65;
	assert_int_equal(recfile__dict_add(d, &c), -1);
	p[11] = 1, p[8] = 9;
	assert_int_equal(recfile__dict_add(d, &c), -1);
	p[8] = REC_STK_SHADOW;
	assert_int_equal(recfile__dict_add(d, &c), 0);
	assert_string_equal(recfile__dict_stack(d, 1)->frames[0].symbol, "abc");
	/* events: count beyond what the bytes can hold; a reference to stack 2
	 * (undefined); trailing garbage; a bad zlib stream */
	c.type = REC_EVENTS;
	memset(p, 0, sizeof(p));
	p[8] = 200, p[16] = 6, c.len = 26;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	/* one shadow record: tag, ts 0, mask bit 7 (alloc_stack) = ref 2 */
	p[8] = 1, p[20] = 2 << 5 | 1, p[21] = 0, p[22] = 0x80, p[23] = 1, p[24] = 2, c.len = 25;
	p[16] = 5;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	p[24] = 1;
	assert_int_equal(recfile__events(&c, d, collect, &got), 1);
	assert_int_equal(got.v[0].u.s.alloc_stack, 5);
	p[16] = 6, p[25] = 0, c.len = 26;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);   /* trailing byte */
	p[12] = REC_ENC_ZLIB;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	p[12] = 7;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	/* mask bits beyond the table (bit 13: the shadow table has 13), kind 3 */
	p[12] = 0, p[16] = 5, c.len = 25, p[22] = 0x80, p[23] = 0x40;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	p[22] = 0x80, p[23] = 1, p[20] = 3 << 5 | 1;
	assert_int_equal(recfile__events(&c, d, collect, &got), -1);
	free(got.v);
	recfile__dict_free(d);
}

/* Flight recorder: the header stays, the newest chunks survive in order. */
static void test_ring(void **state)
{
	struct rec_writer *w = recfile__create_mem();
	struct rec_reader r;
	struct rec_chunk c;
	uint32_t last = 0, n = 0;
	char payload[100];
	size_t len;
	const void *buf;

	recfile__set_ring(w, 1000);
	assert_int_equal(recfile__write(w, REC_HEADER, NULL, 0, "{}", 2), 0);
	for (uint32_t i = 1; i <= 200; i++) {
		memset(payload, 'x', sizeof(payload));
		memcpy(payload, &i, sizeof(i));
		assert_int_equal(recfile__write(w, REC_SYMBOLS, NULL, 0, payload, sizeof(payload)), 0);
	}
	buf = recfile__buffer(w, &len);
	assert_int_equal(len, REC_FILE_HDR);   /* nothing out before the flush */
	assert_int_equal(recfile__ring_flush(w), 0);
	assert_true(recfile__ring_evicted(w) > 150);
	buf = recfile__buffer(w, &len);
	assert_int_equal(recfile__open_mem(&r, buf, len), 0);
	assert_int_equal(recfile__next(&r, &c), 1);
	assert_int_equal(c.type, REC_HEADER);
	while (recfile__next(&r, &c) == 1) {
		uint32_t i;

		memcpy(&i, c.data, sizeof(i));
		if (last)
			assert_int_equal(i, last + 1);
		last = i;
		n++;
	}
	assert_int_equal(last, 200);
	assert_true(n * (REC_CHUNK_HDR + sizeof(payload)) <= 1000);
	assert_false(r.bad);
	recfile__close(w);
}

/* Flight recorder with batches: old batches go, but every string and stack
 * the surviving ones use is still in the file (the dictionaries are kept
 * like the header), and the surviving events are the newest, in order. */
static void test_ring_batches(void **state)
{
	struct rec_writer *w = recfile__create_mem();
	struct decoded d;
	size_t len;
	const void *buf;

	recfile__set_stack_resolver(w, fake_stacks, NULL);
	recfile__set_ring(w, 64 << 10);
	assert_int_equal(recfile__write(w, REC_HEADER, NULL, 0, "{}", 2), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		struct klpt_shadow_event se = orphan(T0 + i * 1000ull,
						     0xffff888000000000ull + (i % 5000) * 128,
						     (int32_t)(i % 50));
		char cache[32];

		/* New strings and stacks keep appearing all along. */
		snprintf(cache, sizeof(cache), "cache-%u", i / 1000);
		copy_str(se.cache, sizeof(se.cache), cache);
		se.id = i;
		assert_int_equal(recfile__add_event(w, REC_EV_SHADOW, &se, sizeof(se)), 0);
		if (i % 977 == 0)
			assert_int_equal(recfile__flush_events(w), 0);   /* a poll round */
	}
	buf = recfile__buffer(w, &len);
	assert_int_equal(len, REC_FILE_HDR);
	assert_int_equal(recfile__ring_flush(w), 0);
	assert_true(recfile__ring_evicted(w) > 10);
	buf = recfile__buffer(w, &len);
	decode_all(buf, len, &d);
	assert_int_equal(d.bad, 0);
	assert_true(d.n > 1000 && d.n < 100000);
	for (size_t i = 0; i < d.n; i++) {
		const struct rec_stack *st = recfile__dict_stack(d.dict, d.v[i].stack_ref);
		char cache[32];

		assert_int_equal(d.v[i].u.s.id, 100000 - d.n + i);   /* newest, in order */
		snprintf(cache, sizeof(cache), "cache-%llu", (unsigned long long)d.v[i].u.s.id / 1000);
		assert_string_equal(d.v[i].u.s.cache, cache);
		assert_non_null(st);
		assert_int_equal(st->key, d.v[i].u.s.id % 50);
	}
	decoded_free(&d);
	recfile__close(w);
}

static int has_kernel_address(const char *s)
{
	regex_t re;
	int found;

	assert_int_equal(regcomp(&re, "ffff[0-9a-f]{12}", REG_EXTENDED | REG_NOSUB | REG_ICASE), 0);
	found = !regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	return found;
}

/* --redact: no kernel address anywhere in the file, decoded or raw; the
 * header says so; frames keep symbol+offset; owners become stable
 * pseudonyms. And report --redact scrubs an unredacted file. */
static void test_redact(void **state)
{
	struct rec_writer *w;
	struct rec_reader r;
	struct rec_chunk c;
	struct decoded d;
	size_t len;
	const uint8_t *buf;
	char *txt;
	int rc, fmt;
	uint64_t obj1;

	/* Unredacted: the addresses are there (else this test proves nothing). */
	w = make_recording_flags(0);
	buf = recfile__buffer(w, &len);
	for (fmt = 0; fmt < 3; fmt++) {
		txt = report_of(buf, len, fmt, &rc);
		free(txt);
	}
	txt = report_of(buf, len, 1, &rc);
	assert_true(has_kernel_address(txt));
	free(txt);
	for (fmt = 0; fmt < 3; fmt++) {
		char *out = NULL;
		size_t outlen = 0;
		FILE *f = open_memstream(&out, &outlen);

		assert_int_equal(report__mem("t.klp", buf, len, fmt, REPORT_REDACT, f), 0);
		fclose(f);
		if (has_kernel_address(out))
			fail_msg("report --redact format %d: %s", fmt, out);
		if (fmt == 1)
			assert_non_null(strstr(out, "\"obj\":\"obj#1\""));
		free(out);
	}
	recfile__close(w);

	/* A redacted recording. The snapshots go through recfile__redact_json
	 * as record does. */
	w = recfile__create_mem();
	recfile__set_redact(w);
	recfile__set_stack_resolver(w, fake_stacks, NULL);
	assert_int_equal(recfile__write(w, REC_HEADER, NULL, 0, "{\"redacted\":true}", 17), 0);
	for (int i = 0; i < 4; i++) {
		struct klpt_shadow_event se = orphan(S(i), 0xffff88800a1b2c00ull + (i % 2) * 64, 2);

		assert_int_equal(recfile__add_event(w, REC_EV_SHADOW, &se, sizeof(se)), 0);
	}
	{
		json_object *o = json_tokener_parse(
			"{\"shadows\":{\"leaks\":[{\"obj\":\"0xffff88800a1b2c40\",\"alloc_stack\":"
			"[{\"addr\":\"0xffffffffc0a02010\",\"symbol\":\"klpt_lp_leak_alloc\",\"offset\":16}]}]},"
			"\"warnings\":[\"stuck at ffffffffc0a02010 and 0xFFFF88800A1B2C00.\"],"
			"\"id\":\"0x4b4c5054\"}");

		recfile__redact_json(recfile__pseudonyms(w), o);
		assert_int_equal(recfile__write_snapshot(w, S(5), json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)), 0);
		assert_non_null(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "\"obj\":\"obj#2\""));
		assert_non_null(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "\"addr\":\"0x0\""));
		assert_non_null(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "stuck at <addr> and <addr>."));
		assert_non_null(strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "\"id\":\"0x4b4c5054\""));
		json_object_put(o);
	}
	assert_int_equal(recfile__write(w, REC_END, NULL, 0, "{}", 2), 0);
	buf = recfile__buffer(w, &len);
	assert_int_equal(recfile__open_mem(&r, buf, len), 0);
	assert_int_equal(r.flags & REC_FLAG_REDACTED, REC_FLAG_REDACTED);
	while (recfile__next(&r, &c) == 1) {
		char *json;
		uint64_t ts;

		if (c.type != REC_SNAPSHOT)
			continue;
		assert_int_equal(recfile__snapshot(&c, &ts, &json), 0);
		assert_false(has_kernel_address(json));
		free(json);
	}
	decode_all(buf, len, &d);
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.n, 4);
	obj1 = d.v[0].u.s.obj;
	assert_int_equal(obj1, 1);                   /* obj#1 */
	assert_int_equal(d.v[1].u.s.obj, 2);
	assert_int_equal(d.v[2].u.s.obj, obj1);      /* stable */
	assert_int_equal(d.v[0].u.s.call_site, 0);
	for (size_t i = 0; i < d.n; i++) {
		const struct rec_stack *st = recfile__dict_stack(d.dict, d.v[i].stack_ref);

		assert_non_null(st);
		assert_string_equal(st->frames[0].symbol, "klpt_lp_leak_alloc");
		assert_int_equal(st->frames[0].offset, 0x10);
		for (uint32_t j = 0; j < st->n; j++)
			assert_int_equal(st->frames[j].addr, 0);
		st = recfile__dict_stack(d.dict, d.v[i].call_site_ref);
		assert_non_null(st);
		assert_string_equal(st->frames[0].symbol, "kfree");
		assert_int_equal(st->key, 0);
		assert_int_equal(st->frames[0].addr, 0);
	}
	/* Raw bytes too: no 8-byte little-endian kernel address anywhere. */
	for (size_t i = 0; i + 8 <= len; i++)
		if (buf[i + 6] == 0xff && buf[i + 7] == 0xff && (buf[i + 5] & 0x80)) {
			uint64_t v;

			memcpy(&v, buf + i, 8);
			if (v == 0xffff88800a1b2c00ull || v == 0xffffffff81234567ull ||
			    (v >> 12) == (0xffffffffc0a02000ull >> 12))
				fail_msg("address 0x%llx at byte %zu", (unsigned long long)v, i);
		}
	txt = report_of(buf, len, 0, &rc);
	assert_non_null(strstr(txt, "redacted (no kernel addresses)"));
	free(txt);
	/* Its owners stay pseudonyms through the model: the last snapshot's
	 * leak names obj#2, as the file does. */
	txt = report_of(buf, len, 1, &rc);
	assert_non_null(strstr(txt, "\"obj\":\"obj#2\""));
	assert_false(has_kernel_address(txt));
	free(txt);
	decoded_free(&d);
	recfile__close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_packed_exact),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_hostile_payloads),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_batches),
		cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
