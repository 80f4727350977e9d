// SPDX-License-Identifier: GPL-2.0
/* Recording files: the writer, the reader cut at every byte, damaged chunks,
 * file creation rules, and the report drawn from a recorded stuck transition.
 * With KLPTOP_SEED_DIR set, the recording is also written there as fuzzing
 * seeds (tests/fuzz/corpus/). */
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

#include "log.h"
#include "recfile.h"
#include "util.h"

#include "klptop/shadow.h"
#include "klptop/transition.h"

#define T0 1000000000000ull   /* start_monotonic_ns of the fake recording */
#define S(x) (T0 + (uint64_t)((x) * 1e9))

static uint64_t chunk_end[64];  /* file offset where each chunk ends */
static size_t nchunk_end;

static void add(struct rec_writer *w)
{
	size_t len;

	recfile__buffer(w, &len);
	chunk_end[nchunk_end++] = len;
}

static void ev(struct rec_writer *w, uint32_t type, uint64_t ts)
{
	struct klpt_event e = { .type = type, .target = 1, .ts_ns = ts, .transition_id = 7 };

	copy_str(e.patch, sizeof(e.patch), "klpt_lp_fix");
	if (type == KLPT_EV_ROUND) {
		e.checked = 40;
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
	}
	assert_int_equal(recfile__write_event(w, REC_TRANS_EVENT, &e, sizeof(e)), 0);
	add(w);
}

static void snap(struct rec_writer *w, double t, int pending)
{
	char json[2048];

	if (pending)
		snprintf(json, sizeof(json),
			 "{\"transition\":{\"patch\":\"klpt_lp_fix\",\"target\":\"patched\","
			 "\"tasks_total\":40,\"tasks_pending\":%d,\"elapsed_ns\":%llu,"
			 "\"pending\":[{\"pid\":77,\"tid\":77,\"comm\":\"klpt_spin\",\"kthread\":true,"
			 "\"reason\":\"running\",\"function\":null,\"rounds_failed\":%d,"
			 "\"blocked_ns\":%llu,\"signal_rounds_seen\":%d,\"stack\":[],"
			 "\"oncpu_stack\":[{\"symbol\":\"klpt_spin_step\"},{\"symbol\":\"klpt_spin_fn\"}]}]},"
			 "\"shadows\":{\"live\":3,\"orphans\":1}}",
			 pending, (unsigned long long)((t - 1.0) * 1e9), (int)t,
			 (unsigned long long)((t - 1.0) * 1e9), t > 3.0);
	else
		snprintf(json, sizeof(json), "{\"transition\":null,\"shadows\":{\"live\":3}}");
	assert_int_equal(recfile__write_snapshot(w, S(t), json), 0);
	add(w);
}

static void json_chunk(struct rec_writer *w, uint32_t type, const char *json)
{
	assert_int_equal(recfile__write(w, type, NULL, 0, json, strlen(json)), 0);
	add(w);
}

/* A stuck kthread that blocks klpt_lp_fix from 1 s to 6 s. */
static struct rec_writer *make_recording(void)
{
	struct rec_writer *w = recfile__create_mem();
	struct klpt_shadow_event se = { .type = KLPT_SH_EV_ORPHAN, .ts_ns = S(4.5), .id = 1 };
	char hdr[512];

	nchunk_end = 0;
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
	assert_int_equal(recfile__write_event(w, REC_SHADOW_EVENT, &se, sizeof(se)), 0);
	add(w);
	ev(w, KLPT_EV_BLOCKER_SWITCHED, S(6.5));
	ev(w, KLPT_EV_COMPLETE, S(6.6));
	snap(w, 7.0, 0);
	json_chunk(w, REC_DROPS, "{\"transition_events\":0,\"blockers\":0}");
	assert_int_equal(recfile__write(w, REC_SYMBOLS, NULL, 0,
					"ffffffffc0a01000 t klpt_spin_step\t[klpt_target]\n", 48), 0);
	add(w);
	json_chunk(w, REC_END, "{\"reason\":\"stable\"}");
	return w;
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

static void test_roundtrip(void **state)
{
	struct rec_writer *w = make_recording();
	struct rec_reader r;
	struct rec_chunk c;
	size_t len, n = 0;
	const uint8_t *buf = recfile__buffer(w, &len);
	struct klpt_event e;

	assert_int_equal(recfile__open_mem(&r, buf, len), 0);
	while (recfile__next(&r, &c) == 1) {
		assert_int_equal(c.offset + REC_CHUNK_HDR + c.len, chunk_end[n]);
		if (c.type == REC_TRANS_EVENT && n == 3) {
			assert_int_equal(recfile__event(&c, &e, sizeof(e)), 0);
			assert_int_equal(e.type, KLPT_EV_INIT);
			assert_string_equal(e.patch, "klpt_lp_fix");
		}
		n++;
	}
	assert_int_equal(n, nchunk_end);
	assert_true(r.ended);
	assert_false(r.bad);
	/* The layout the docs promise: magic, version 1, little-endian. */
	assert_memory_equal(buf, "KLPTREC\0\1\0\0\0", 12);
	assert_int_equal(buf[16], REC_HEADER);
	recfile__close(w);
}

/* Cut the file at every byte: the reader returns exactly the chunks that
 * end at or before the cut, says where it stopped, and the report runs. */
static void test_truncate_everywhere(void **state)
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
		char *out;
		int rc;

		memcpy(copy, buf, cut);
		while (want < nchunk_end && chunk_end[want] <= cut)
			want++;
		if (recfile__open_mem(&r, copy, cut)) {
			assert_true(cut < REC_FILE_HDR);
			free(copy);
			continue;
		}
		while (recfile__next(&r, &c) == 1)
			got++;
		if (got != want)
			fail_msg("cut at %zu: %zu chunks, want %zu", cut, got, want);
		if (cut < len && want && chunk_end[want - 1] != cut)
			assert_non_null(strstr(r.err, "truncated at byte"));
		for (int fmt = 0; fmt < 3; fmt++) {
			out = report_of(copy, cut, fmt, &rc);
			assert_int_equal(rc, 0);
			free(out);
		}
		free(copy);
	}
	log_level = saved;
	recfile__close(w);
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
	for (size_t i = REC_FILE_HDR; i < len; i += 7) {
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

static void test_report(void **state)
{
	struct rec_writer *w = make_recording();
	size_t len;
	const void *buf = recfile__buffer(w, &len);
	char *txt, *json, *chrome;
	int rc;

	txt = report_of(buf, len, 0, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, "klpt_lp_fix -> patched: start +1.0 s, end +6.6 s, "
				    "duration 5.6 s, outcome completed; 5 rounds, 1 signal rounds"));
	assert_non_null(strstr(txt, "klpt_spin (pid 77 tid 77, kthread)"));
	assert_non_null(strstr(txt, "reason running"));
	assert_non_null(strstr(txt, "on-CPU: klpt_spin_step <- klpt_spin_fn"));
	assert_non_null(strstr(txt, "switched (stack-check) at +6.5 s"));
	assert_non_null(strstr(txt, "1 orphan"));
	json = report_of(buf, len, 1, &rc);
	assert_non_null(strstr(json, "\"outcome\":\"completed\""));
	assert_non_null(strstr(json, "\"complete\":true"));
	chrome = report_of(buf, len, 2, &rc);
	assert_non_null(strstr(chrome, "\"traceEvents\""));
	assert_non_null(strstr(chrome, "\"name\":\"pending tasks\""));
	assert_non_null(strstr(chrome, "klpt_spin (tid 77)"));
	assert_non_null(strstr(chrome, "signal round"));
	if (getenv("KLPTOP_SEED_DIR")) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/stuck-spin.klp", getenv("KLPTOP_SEED_DIR"));
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(buf, 1, len, f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/cut-mid.klp", getenv("KLPTOP_SEED_DIR"));
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

	buf[8] = 1;
	/* A chunk claiming 4 GiB. */
	buf[16] = REC_HEADER;
	memset(buf + 20, 0xff, 4);
	assert_int_equal(recfile__open_mem(&r, buf, sizeof(buf)), 0);
	assert_int_equal(recfile__next(&r, &c), 0);
	assert_non_null(strstr(r.err, "out of range at byte 16"));
	/* Version 2 is refused, not misread. */
	buf[8] = 2;
	assert_int_equal(recfile__open_mem(&r, buf, sizeof(buf)), -1);
	assert_non_null(strstr(r.err, "version 2"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
