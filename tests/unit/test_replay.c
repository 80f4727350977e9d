// SPDX-License-Identifier: GPL-2.0
/* klptop --replay: the model -> status JSON -> model round trip must draw
 * the same frame; a recording written byte by byte as docs/trace-format.md
 * describes replays snapshot by snapshot; a cut file replays up to its last
 * good chunk; a file without snapshots is an error; playback moves as the
 * keys say. The screen itself, on a real terminal, is tests/replay-tty.sh's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model_fixture.h"
#include "replay_frame.h"
#include "model/model.h"
#include "render/output.h"
#include "recording/recfile.h"
#include "recording/replay.h"
#include "recording/snapshot_json.h"
#include "lib/util.h"
#include "render/view.h"

#define SEC 1000000000ull
#define T0 (5000 * SEC)                       /* the recorder's CLOCK_MONOTONIC at start */
#define WALL0 (1790000000ull * SEC)           /* its CLOCK_REALTIME at start */

/* ---- a model with every part the view draws ------------------------------ */

static void add_frame(struct stack_frame **fr, size_t *n, const char *sym, const char *mod,
		      uint64_t off, int marked)
{
	struct stack_frame *f;

	*fr = xrealloc(*fr, (*n + 1) * sizeof(**fr));
	f = &(*fr)[(*n)++];
	memset(f, 0, sizeof(*f));
	f->symbol = sym ? xstrdup(sym) : NULL;
	f->module = mod ? xstrdup(mod) : NULL;
	f->offset = off;
	f->addr = 0xffffffffc0a01000ull + off;
	f->marked = marked;
}

static void make_task(struct task_snap *t, int pid, int tid, const char *comm, int kthread,
		      char state)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	copy_str(t->comm, sizeof(t->comm), comm);
	t->kthread = kthread;
	t->state = state;
	t->patch_state = KLP_UNPATCHED;
	t->tif_pending = 1;
	t->switched_how = -1;
}

static void make_patch(struct patch_info *pi, const char *name, int walked)
{
	struct object_info *o;

	fx_make_patch(pi, name, 0, 0);
	o = &pi->objs[0];
	for (int i = 0; walked && i < 2; i++) {
		o->funcs[i].walked = 1;
		o->funcs[i].old_addr = 0xffffffffc0a01000ull + i * 0x40;
		o->funcs[i].new_addr = 0xffffffffc0b01000ull + i * 0x40;
		o->funcs[i].live = 1;
		o->funcs[i].stack_pos = 0;
		o->funcs[i].routed = 1;
		o->funcs[i].calls_per_s = 100.0 * (i + 1);
		o->funcs[i].new_per_s = i ? 200.0 : 0;
	}
}

/* The stuck transition (docs/incidents.md) at round n: klpt_spin running in klpt_spin_step, a user task
 * sleeping on klpt_ping, an RCU-tasks holdout, an earlier forced transition,
 * shadows and warnings. rounds == 0: the transition has ended. */
static void make_model(struct snapshot *s, unsigned int rounds)
{
	struct transition_info *tr;
	struct transition_summary *h;
	struct shadow_snapshot *ss;
	struct task_snap *t, *full;

	snapshot__init(s);
	s->source = "bpf";
	s->taken_ns = WALL0 + (uint64_t)rounds * SEC;
	copy_str(s->kernel.release, sizeof(s->kernel.release), "6.1.0-99-amd64");
	s->kernel.livepatch = 1;
	s->kernel.tainted = 36864;
	s->kernel.taint_livepatch = 1;
	s->probes.bpf = 1;
	s->probes.nmissing = 1;
	s->probes.missing = xcalloc(1, sizeof(char *));
	s->probes.missing[0] = xstrdup("kprobe/klp_cancel_transition");
	s->npatches = 1;
	s->patches = xcalloc(1, sizeof(*s->patches));
	make_patch(&s->patches[0], "klpt_lp_fix", 1);
	snapshot__warn(s, "1 transition events dropped (ring buffer full)");

	s->nhistory = 1;
	s->history = h = xcalloc(1, sizeof(*h));
	h->patch = xstrdup("klpt_lp_old");
	h->target = KLP_PATCHED;
	h->outcome = "forced";
	h->start_ns = 10 * SEC;
	h->end_ns = 130 * SEC;
	h->rounds = 120;
	h->signal_rounds = 8;
	h->nunsafe = 1;
	h->unsafe = t = xcalloc(1, sizeof(*t));
	make_task(t, 50, 50, "klpt_spin", 1, 'R');
	t->reason = REASON_RUNNING;
	t->function = xstrdup("klpt_spin_step");
	h->nstragglers = 1;
	h->stragglers = t = xcalloc(1, sizeof(*t));
	make_task(t, 40, 41, "sleeper", 0, 'S');
	t->reason = REASON_SLEEPING_ON;
	t->function = xstrdup("klpt_ping");
	t->blocked_ns = 12 * SEC;
	t->rounds_failed = 12;
	t->switched_how = SWITCH_USER_EXIT;

	s->shadows = ss = xcalloc(1, sizeof(*ss));
	ss->attached = 1;
	ss->live = 3;
	ss->bytes = 96;
	ss->orphans = 1;
	ss->scanned = 1;
	ss->window_ns = 10 * SEC;
	ss->nids = 1;
	ss->ids = xcalloc(1, sizeof(*ss->ids));
	ss->ids[0].id = 0x6b6c7074;
	ss->ids[0].live = 3;
	ss->ids[0].growth_per_s = 0.5;
	ss->ids[0].allocs_per_s = 2;
	ss->ids[0].orphans = 1;
	ss->ngroups = 1;
	ss->groups = xcalloc(1, sizeof(*ss->groups));
	ss->groups[0].id = 0x6b6c7074;
	ss->groups[0].module = xstrdup("klpt_lp_fix");
	ss->groups[0].live = 3;
	ss->nleaks = 1;
	ss->leaks = xcalloc(1, sizeof(*ss->leaks));
	ss->leaks[0].kind = SHADOW_LEAK_ORPHAN;
	ss->leaks[0].id = 0x6b6c7074;
	ss->leaks[0].count = 1;
	ss->leaks[0].module = xstrdup("klpt_lp_fix");
	ss->leaks[0].obj = 0xffff888001234000ull;
	add_frame(&ss->leaks[0].alloc_stack, &ss->leaks[0].nalloc_stack, "klp_shadow_alloc", NULL,
		  0x10, 0);

	if (!rounds) {
		s->patches[0].transition = 0;
		return;
	}
	s->transition = tr = xcalloc(1, sizeof(*tr));
	tr->patch = xstrdup("klpt_lp_fix");
	tr->target = KLP_PATCHED;
	tr->tasks_total = 58;
	tr->tasks_pending = 2;
	tr->observed = 1;
	tr->start_ns = T0;
	tr->elapsed_ns = rounds * SEC;
	tr->rounds = rounds;
	tr->signal_rounds = rounds / 15;
	tr->rate_per_s = 0;
	tr->eta_s = -1;
	tr->switched[SWITCH_STACK_CHECK] = 40;
	tr->switched[SWITCH_USER_EXIT] = 16;
	full = xcalloc(2, sizeof(*full));
	t = &full[0];
	make_task(t, 40, 41, "sleeper", 0, 'S');
	t->reason = REASON_SLEEPING_ON;
	t->function = xstrdup("klpt_ping");
	t->rounds_failed = rounds;
	t->blocked_ns = rounds * SEC / 2;
	t->verdict = VERDICT_NEEDS_SIGNAL;
	t->verdict_text = xstrdup("user task sleeping in klpt_ping: switches when it returns");
	t->checks_sleeping = rounds;
	add_frame(&t->stack, &t->nstack, "klpt_ping", "klpt_target", 0x10, 1);
	add_frame(&t->stack, &t->nstack, "do_syscall_64", NULL, 0x5c, 0);
	t = &full[1];
	make_task(t, 113, 113, "klpt_spin", 1, 'R');
	t->reason = REASON_RUNNING;
	t->rounds_failed = rounds;
	t->blocked_ns = rounds * SEC;
	t->verdict = rounds >= 3 ? VERDICT_STUCK : VERDICT_NONE;
	t->verdict_text = xstrdup("kthread was running at all checks and never slept: waiting "
				  "will not help");
	t->checks_running = rounds;
	t->signal_rounds_seen = rounds / 15;
	t->oncpu_samples = 99;
	add_frame(&t->oncpu, &t->noncpu, "klpt_spin_step", "klpt_target", 0x1d, 1);
	add_frame(&t->oncpu, &t->noncpu, "klpt_spin_fn", "klpt_target", 0x30, 0);
	t->stack_errno = EACCES;
	fx_set_pending(tr, full, 2);
	tr->nholdouts = 1;
	tr->holdouts = t = xcalloc(1, sizeof(*t));
	make_task(t, 113, 113, "klpt_spin", 1, 'R');
}

static char *model_json(const struct snapshot *s)
{
	json_object *o = snapshot__to_json(s);
	char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return text;
}

static char *frame_text(const struct snapshot *s, int width)
{
	struct view_state vs;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	view_state__init(&vs);
	vs.expand_all = 1;
	vs.width = width;
	assert_int_equal(view__print_batch(s, &vs, f), 0);
	fclose(f);
	view_state__free(&vs);
	return buf;
}

/* model -> status JSON -> model: the same frame, and the same JSON again. */
static void roundtrip(struct snapshot *a)
{
	struct snapshot b;
	char *ja = model_json(a), *jb, *fa, *fb, err[64];
	json_object *o = json_tokener_parse(ja);

	snapshot__init(&b);
	assert_int_equal(snapshot__from_json(&b, o, err, sizeof(err)), 0);
	json_object_put(o);
	assert_string_equal(b.source, "replay");
	b.source = a->source;
	jb = model_json(&b);
	assert_string_equal(ja, jb);
	for (int width = 0; width <= 120; width += 40) {
		fa = frame_text(a, width);
		fb = frame_text(&b, width);
		assert_string_equal(fa, fb);
		free(fa);
		free(fb);
	}
	free(ja);
	free(jb);
	snapshot__free(&b);
}

static void test_roundtrip_stuck(void **state)
{
	struct snapshot s;
	char *f;

	make_model(&s, 30);
	f = frame_text(&s, 0);
	/* What must survive: the stuck row, its verdict, the marked frame. */
	assert_non_null(strstr(f, "klpt_spin kthread R running"));
	assert_non_null(strstr(f, "=> klpt_spin_step+0x1d [klpt_target]"));
	assert_non_null(strstr(f, "(stack unreadable: Permission denied)"));
	assert_non_null(strstr(f, "ended: klpt_lp_old -> patched forced after 2m00s"));
	free(f);
	roundtrip(&s);
	snapshot__free(&s);
}

static void test_roundtrip_unknowns(void **state)
{
	struct snapshot s;

	/* Without BPF: unobserved transition, no shadows, unknown tristates. */
	make_model(&s, 5);
	s.probes.bpf = 0;
	s.probes.why_not = xstrdup("disabled by --no-bpf");
	s.transition->observed = 0;
	s.patches[0].replace = -1;
	s.patches[0].objs[0].patched = -1;
	s.patches[0].objs[0].funcs[0].walked = 0;
	s.patches[0].objs[0].funcs[1].routed = 0;
	s.transition->tasks[0].tif_pending = -1;
	fx_rep(s.transition, 41)->tif_pending = -1;
	s.transition->groups[s.transition->tasks[1].group].state = 0;
	fx_rep(s.transition, 113)->state = 0;
	shadow_snapshot__free(s.shadows);
	free(s.shadows);
	s.shadows = NULL;
	s.history[0].start_ns = 0;
	roundtrip(&s);
	snapshot__free(&s);
	make_model(&s, 0);
	roundtrip(&s);
	snapshot__free(&s);
}

static void test_from_json_bad_input(void **state)
{
	struct snapshot s;
	char err[128] = "";
	json_object *o;

	snapshot__init(&s);
	o = json_tokener_parse("[1,2]");
	assert_int_equal(snapshot__from_json(&s, o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a JSON object"));
	json_object_put(o);
	/* Mistyped and missing keys read as unknown; names never NULL. */
	o = json_tokener_parse("{\"kernel\":7,\"patches\":[{\"objects\":[{\"funcs\":[{}]}]}],"
			       "\"transition\":{\"pending\":[{\"pid\":\"x\",\"stack\":{}}],"
			       "\"observed\":true,\"eta_s\":null}}");
	assert_int_equal(snapshot__from_json(&s, o, err, sizeof(err)), 0);
	json_object_put(o);
	assert_string_equal(s.patches[0].name, "?");
	assert_string_equal(s.patches[0].objs[0].funcs[0].name, "?");
	assert_string_equal(s.transition->patch, "?");
	assert_int_equal(s.transition->tasks[0].pid, 0);
	assert_int_equal(s.transition->groups[0].rep.nstack, 0);
	assert_true(s.transition->eta_s < 0);
	free(frame_text(&s, 80));
	snapshot__free(&s);
}

/* ---- recordings written as docs/trace-format.md says ---------------------- */

struct rec {
	uint8_t *buf;
	size_t len, cap;
};

static void put(struct rec *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void put32(struct rec *r, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(r, b, 4);
}

static void put64(struct rec *r, uint64_t v)
{
	put32(r, (uint32_t)v);
	put32(r, (uint32_t)(v >> 32));
}

static void chunk(struct rec *r, uint32_t type, const void *p, size_t n)
{
	put32(r, type);
	put32(r, (uint32_t)n);
	put32(r, (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n));
	put32(r, 0);
	put(r, p, n);
}

/* Snapshot payload: u64 mono ns, u32 encoding, u32 raw length, data. */
static void snapshot_chunk(struct rec *r, uint64_t mono, const char *json, int zlib)
{
	struct rec p = { 0 };
	uLongf zlen = compressBound(strlen(json));
	uint8_t *z = xmalloc(zlen);

	put64(&p, mono);
	put32(&p, zlib ? REC_ENC_ZLIB : REC_ENC_PLAIN);
	put32(&p, (uint32_t)strlen(json));
	if (zlib) {
		assert_int_equal(compress2(z, &zlen, (const Bytef *)json, strlen(json), 6), Z_OK);
		put(&p, z, zlen);
	} else {
		put(&p, json, strlen(json));
	}
	chunk(r, REC_SNAPSHOT, p.buf, p.len);
	free(p.buf);
	free(z);
}

static size_t snap_end[512];   /* where each snapshot chunk ends */
static size_t hdr_end;         /* where the header and metadata end */

/* Header, metadata, then n snapshots 0.5 s apart: the transition stuck
 * from snapshot 1 to n-2, ended in the last; an end chunk. */
static struct rec make_recording(int n)
{
	struct rec r = { 0 };
	char hdr[256];
	const char *end = "{\"reason\":\"stable\"}";

	put(&r, "KLPTREC", 8);
	put32(&r, REC_VERSION);
	put32(&r, 0);
	snprintf(hdr, sizeof(hdr),
		 "{\"kernel_release\":\"6.1.0-99-amd64\",\"start_realtime_ns\":%llu,"
		 "\"start_monotonic_ns\":%llu}", (unsigned long long)WALL0, (unsigned long long)T0);
	chunk(&r, REC_HEADER, hdr, strlen(hdr));
	chunk(&r, REC_METADATA, "{\"interval_s\":0.5}", 18);
	hdr_end = r.len;
	for (int i = 0; i < n; i++) {
		struct snapshot s;
		char *json;

		make_model(&s, i == 0 || i == n - 1 ? 0 : (unsigned int)i);
		if (i == n - 1) {
			/* The transition completed: history says so. */
			free(s.history[0].patch);
			s.history[0].patch = xstrdup("klpt_lp_fix");
			s.history[0].outcome = "completed";
		}
		json = model_json(&s);
		snapshot_chunk(&r, T0 + (uint64_t)i * SEC / 2, json, i % 2);
		snap_end[i] = r.len;
		free(json);
		snapshot__free(&s);
	}
	chunk(&r, REC_END, end, strlen(end));
	return r;
}

static void test_replay_recording(void **state)
{
	struct rec r = make_recording(8);
	struct replay rp;
	char *f;

	assert_int_equal(replay__open_mem(&rp, "incident.klp", r.buf, r.len), EXIT_OK);
	assert_int_equal(rp.rec.nsnaps, 8);
	assert_string_equal(rp.problem, "");
	assert_int_equal(replay__offset_ns(&rp, 3), 1500000000ull);
	f = replay_frame(&rp, 3, 1);
	assert_non_null(strstr(f, "\nreplay  snapshot 4/8  +1.5s  "));
	assert_non_null(strstr(f, " incident.klp\n"));
	assert_non_null(strstr(f, "TRANSITION klpt_lp_fix -> patched"));
	assert_non_null(strstr(f, "klpt_spin kthread R running"));
	assert_non_null(strstr(f, "stuck"));
	free(f);
	f = replay_frame(&rp, 7, 1);
	assert_non_null(strstr(f, "snapshot 8/8  +3.5s"));
	assert_non_null(strstr(f, "TRANSITION none in progress"));
	assert_non_null(strstr(f, "ended: klpt_lp_fix -> patched completed"));
	assert_null(strstr(f, "BLOCKERS"));
	free(f);
	replay__close(&rp);
	free(r.buf);
}

static void test_replay_cut_and_bad_files(void **state)
{
	struct rec r = make_recording(6);
	struct replay rp;
	char *f;

	/* Cut inside the fifth snapshot: four replay, and the frame says so. */
	assert_int_equal(replay__open_mem(&rp, "cut.klp", r.buf, snap_end[4] - 10), EXIT_OK);
	assert_int_equal(rp.rec.nsnaps, 4);
	assert_non_null(strstr(rp.problem, "truncated at byte"));
	assert_non_null(strstr(rp.problem, "replaying the 4 snapshots before it"));
	f = replay_frame(&rp, 3, 1);
	assert_non_null(strstr(f, "recording: recording cut or damaged (truncated at byte"));
	free(f);
	replay__close(&rp);

	/* A flipped byte inside the third snapshot: the CRC stops it there. */
	r.buf[snap_end[2] - 5] ^= 0x40;
	assert_int_equal(replay__open_mem(&rp, "crc.klp", r.buf, r.len), EXIT_OK);
	assert_int_equal(rp.rec.nsnaps, 2);
	assert_non_null(strstr(rp.problem, "CRC mismatch at byte"));
	replay__close(&rp);
	r.buf[snap_end[2] - 5] ^= 0x40;

	/* Ends cleanly after the last snapshot but without its end chunk. */
	assert_int_equal(replay__open_mem(&rp, "noend.klp", r.buf, snap_end[5]), EXIT_OK);
	assert_int_equal(rp.rec.nsnaps, 6);
	assert_non_null(strstr(rp.problem, "no end marker"));
	replay__close(&rp);

	/* Header and metadata only: nothing to show is an error. */
	assert_int_equal(replay__open_mem(&rp, "empty.klp", r.buf, hdr_end), EXIT_ERROR);
	replay__close(&rp);
	assert_int_equal(replay__open_mem(&rp, "text.txt", "hello world, not a recording", 28),
			 EXIT_ERROR);
	replay__close(&rp);
	free(r.buf);
}

static void test_playback(void **state)
{
	struct rec r = make_recording(5);
	struct replay rp;

	assert_int_equal(replay__open_mem(&rp, "p.klp", r.buf, r.len), EXIT_OK);
	assert_true(rp.playing);
	assert_int_equal(replay__due_ns(&rp), SEC / 2);
	replay__act(&rp, REPLAY_FASTER);
	assert_int_equal(replay__due_ns(&rp), SEC / 4);
	for (int i = 0; i < 20; i++)
		replay__act(&rp, REPLAY_SLOWER);
	assert_int_equal(rp.speed_exp, REPLAY_SPEED_MIN);
	assert_int_equal(replay__due_ns(&rp), 4 * SEC);
	assert_int_equal(replay__act(&rp, REPLAY_ADVANCE), 1);
	assert_int_equal(rp.cur, 1);
	assert_int_equal(replay__act(&rp, REPLAY_NEXT), 1);
	assert_false(rp.playing);                 /* stepping pauses */
	assert_int_equal(replay__due_ns(&rp), UINT64_MAX);
	assert_int_equal(replay__act(&rp, REPLAY_ADVANCE), 0);
	assert_int_equal(replay__act(&rp, REPLAY_PREV), 1);
	assert_int_equal(rp.cur, 1);
	assert_int_equal(replay__act(&rp, REPLAY_END), 1);
	assert_int_equal(rp.cur, 4);
	assert_int_equal(replay__act(&rp, REPLAY_NEXT), 0);
	/* Play at the end starts over. */
	assert_int_equal(replay__act(&rp, REPLAY_PAUSE), 1);
	assert_int_equal(rp.cur, 0);
	assert_true(rp.playing);
	assert_int_equal(replay__act(&rp, REPLAY_START), 0);
	assert_false(rp.playing);
	replay__close(&rp);
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_stuck),
		cmocka_unit_test(test_roundtrip_unknowns),
		cmocka_unit_test(test_from_json_bad_input),
		cmocka_unit_test(test_replay_recording),
		cmocka_unit_test(test_replay_cut_and_bad_files),
		cmocka_unit_test(test_playback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
