// SPDX-License-Identifier: GPL-2.0
/* klptop --replay and the live view's terminal handling.
 *
 * The model -> status JSON -> model round trip must draw the same frame; a
 * recording written byte by byte as docs/trace-format.md describes replays
 * snapshot by snapshot; a cut file replays up to its last good chunk; a file
 * without snapshots is an error. Then the screen itself, on a pseudo
 * terminal read through a small vt100 emulator: a resize redraws exactly
 * what a fresh start at the new size shows, a terminal that goes away ends
 * klptop at once (no spinning), SIGINT and SIGTERM give the terminal back in
 * cooked mode with exit 0, and --batch into a closed pipe ends quietly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "model_fixture.h"
#include "cmd/cmd.h"
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

/* Incident 1 at round n: klpt_spin running in klpt_spin_step, a user task
 * sleeping on klpt_ping, an RCU-tasks holdout, an earlier forced transition,
 * shadows and warnings. rounds == 0: the transition has ended. */
static void make_model(struct snapshot *s, unsigned int rounds)
{
	struct transition_info *tr;
	struct transition_summary *h;
	struct shadow_snapshot *ss;
	struct task_snap *t;

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
	tr->npending = 2;
	tr->pending = xcalloc(2, sizeof(*tr->pending));
	t = &tr->pending[0];
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
	t = &tr->pending[1];
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
	s.transition->pending[0].tif_pending = -1;
	s.transition->pending[1].state = 0;
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
	assert_int_equal(s.transition->pending[0].pid, 0);
	assert_int_equal(s.transition->pending[0].nstack, 0);
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

static char *replay_batch_of(struct replay *rp, size_t i)
{
	struct snapshot s;
	struct view_state vs;
	struct view_replay vr = { .name = rp->rec.name, .index = i, .count = rp->rec.nsnaps, .batch = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	snapshot__init(&s);
	assert_int_equal(replay__fill(rp, i, &s), 0);
	vr.offset_ns = replay__offset_ns(rp, i);
	vr.wall_ns = s.taken_ns;
	vr.problem = rp->problem[0] ? rp->problem : NULL;
	view_state__init(&vs);
	vs.expand_all = 1;
	vs.replay = &vr;
	assert_int_equal(view__print_batch(&s, &vs, f), 0);
	fclose(f);
	view_state__free(&vs);
	snapshot__free(&s);
	return buf;
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
	f = replay_batch_of(&rp, 3);
	assert_non_null(strstr(f, "\nreplay  snapshot 4/8  +1.5s  "));
	assert_non_null(strstr(f, " incident.klp\n"));
	assert_non_null(strstr(f, "TRANSITION klpt_lp_fix -> patched"));
	assert_non_null(strstr(f, "klpt_spin kthread R running"));
	assert_non_null(strstr(f, "stuck"));
	free(f);
	f = replay_batch_of(&rp, 7);
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
	f = replay_batch_of(&rp, 3);
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

/* ---- the screen on a pseudo terminal ------------------------------------- */

/* Enough of a vt100 to read back what ncurses draws for TERM=vt100. */
struct term {
	int rows, cols, y, x, top, bot, wrap, sy, sx;
	char cell[64][160];
	enum { T_TEXT, T_ESC, T_CSI, T_CHARSET } st;
	int par[8], npar, priv;
	size_t bytes;
	char last[8192];        /* the raw tail, for failure messages */
};

static void term_init(struct term *t, int rows, int cols)
{
	memset(t, 0, sizeof(*t));
	t->rows = rows;
	t->cols = cols;
	t->bot = rows - 1;
	memset(t->cell, ' ', sizeof(t->cell));
}

static void term_resize(struct term *t, int rows, int cols)
{
	/* As xterm: the text stays where it was, cut to the new size. */
	for (int y = 0; y < 64; y++)
		for (int x = 0; x < 160; x++)
			if (y >= rows || x >= cols)
				t->cell[y][x] = ' ';
	t->rows = rows;
	t->cols = cols;
	t->top = 0;
	t->bot = rows - 1;
	if (t->y >= rows)
		t->y = rows - 1;
	if (t->x >= cols)
		t->x = cols - 1;
}

static void scroll_up(struct term *t)
{
	memmove(t->cell[t->top], t->cell[t->top + 1], (size_t)(t->bot - t->top) * 160);
	memset(t->cell[t->bot], ' ', 160);
}

static void scroll_down(struct term *t)
{
	memmove(t->cell[t->top + 1], t->cell[t->top], (size_t)(t->bot - t->top) * 160);
	memset(t->cell[t->top], ' ', 160);
}

static void linefeed(struct term *t)
{
	if (t->y == t->bot)
		scroll_up(t);
	else if (t->y < t->rows - 1)
		t->y++;
}

static void clear_cells(struct term *t, int y, int x0, int x1)
{
	for (int x = x0; x < x1 && x < 160; x++)
		t->cell[y][x] = ' ';
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void csi(struct term *t, char c)
{
	int p0 = t->npar > 0 ? t->par[0] : 0, p1 = t->npar > 1 ? t->par[1] : 0;
	int n = p0 ? p0 : 1;

	if (t->priv)
		return;   /* modes: keypad, cursor keys */
	switch (c) {
	case 'H': case 'f':
		t->y = clampi((p0 ? p0 : 1) - 1, 0, t->rows - 1);
		t->x = clampi((p1 ? p1 : 1) - 1, 0, t->cols - 1);
		break;
	case 'A': t->y = clampi(t->y - n, 0, t->rows - 1); break;
	case 'B': t->y = clampi(t->y + n, 0, t->rows - 1); break;
	case 'C': t->x = clampi(t->x + n, 0, t->cols - 1); break;
	case 'D': t->x = clampi(t->x - n, 0, t->cols - 1); break;
	case 'G': t->x = clampi(n - 1, 0, t->cols - 1); break;
	case 'd': t->y = clampi(n - 1, 0, t->rows - 1); break;
	case 'K':
		if (p0 == 0)
			clear_cells(t, t->y, t->x, t->cols);
		else if (p0 == 1)
			clear_cells(t, t->y, 0, t->x + 1);
		else
			clear_cells(t, t->y, 0, t->cols);
		break;
	case 'J':
		if (p0 == 0) {
			clear_cells(t, t->y, t->x, t->cols);
			for (int y = t->y + 1; y < t->rows; y++)
				clear_cells(t, y, 0, t->cols);
		} else if (p0 == 1) {
			for (int y = 0; y < t->y; y++)
				clear_cells(t, y, 0, t->cols);
			clear_cells(t, t->y, 0, t->x + 1);
		} else {
			for (int y = 0; y < t->rows; y++)
				clear_cells(t, y, 0, t->cols);
		}
		break;
	case 'r':
		t->top = clampi((p0 ? p0 : 1) - 1, 0, t->rows - 1);
		t->bot = clampi((p1 ? p1 : t->rows) - 1, t->top, t->rows - 1);
		t->y = t->x = 0;
		break;
	case 'L': case 'M': {
		int save = t->top;

		if (t->y < t->top || t->y > t->bot)
			break;
		t->top = t->y;
		for (int i = 0; i < n; i++)
			c == 'L' ? scroll_down(t) : scroll_up(t);
		t->top = save;
		break;
	}
	case 'P':
		memmove(&t->cell[t->y][t->x], &t->cell[t->y][clampi(t->x + n, 0, t->cols)],
			(size_t)(t->cols - clampi(t->x + n, 0, t->cols)));
		clear_cells(t, t->y, t->cols - n, t->cols);
		break;
	case '@':
		memmove(&t->cell[t->y][t->x + n], &t->cell[t->y][t->x],
			(size_t)clampi(t->cols - t->x - n, 0, t->cols));
		clear_cells(t, t->y, t->x, t->x + n);
		break;
	case 'X': clear_cells(t, t->y, t->x, clampi(t->x + n, 0, t->cols)); break;
	default: break;   /* m (attributes), g, q, ... */
	}
	t->wrap = 0;
}

static void term_byte(struct term *t, unsigned char c)
{
	t->last[t->bytes++ % (sizeof(t->last) - 1)] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	switch (t->st) {
	case T_ESC:
		t->st = T_TEXT;
		if (c == '[') {
			t->st = T_CSI;
			t->npar = t->priv = 0;
			memset(t->par, 0, sizeof(t->par));
		} else if (c == '(' || c == ')') {
			t->st = T_CHARSET;
		} else if (c == '7') {
			t->sy = t->y;
			t->sx = t->x;
		} else if (c == '8') {
			t->y = t->sy;
			t->x = t->sx;
		} else if (c == 'M') {
			if (t->y == t->top)
				scroll_down(t);
			else if (t->y > 0)
				t->y--;
		} else if (c == 'D') {
			linefeed(t);
		} else if (c == 'E') {
			t->x = 0;
			linefeed(t);
		}
		return;
	case T_CHARSET:
		t->st = T_TEXT;
		return;
	case T_CSI:
		if (c == '?' || c == '>') {
			t->priv = 1;
		} else if (c >= '0' && c <= '9') {
			if (!t->npar)
				t->npar = 1;
			t->par[t->npar - 1] = t->par[t->npar - 1] * 10 + (c - '0');
		} else if (c == ';') {
			if (!t->npar)
				t->npar = 1;
			if (t->npar < 8)
				t->npar++;
		} else if (c >= 0x40 && c <= 0x7e) {
			t->st = T_TEXT;
			csi(t, (char)c);
		}
		return;
	case T_TEXT:
		break;
	}
	if (c == 0x1b) {
		t->st = T_ESC;
	} else if (c == '\r') {
		t->x = 0;
		t->wrap = 0;
	} else if (c == '\n' || c == 0x0b || c == 0x0c) {
		linefeed(t);
		t->wrap = 0;
	} else if (c == '\b') {
		if (t->x > 0)
			t->x--;
		t->wrap = 0;
	} else if (c == '\t') {
		t->x = clampi((t->x / 8 + 1) * 8, 0, t->cols - 1);
	} else if (c >= 0x20) {
		if (t->wrap) {
			t->x = 0;
			linefeed(t);
			t->wrap = 0;
		}
		t->cell[t->y][t->x] = c < 0x7f ? (char)c : '?';
		if (t->x == t->cols - 1)
			t->wrap = 1;
		else
			t->x++;
	}
}

static void term_row(const struct term *t, int y, char *out)
{
	int n = t->cols;

	memcpy(out, t->cell[y], (size_t)n);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int term_find(const struct term *t, const char *needle)
{
	char row[161];

	for (int y = 0; y < t->rows; y++) {
		term_row(t, y, row);
		if (strstr(row, needle))
			return y;
	}
	return -1;
}

static void term_dump(const struct term *t, const char *title)
{
	char row[161];

	print_message("--- %s (%dx%d) ---\n", title, t->rows, t->cols);
	for (int y = 0; y < t->rows; y++) {
		term_row(t, y, row);
		print_message("|%s\n", row);
	}
}

/* Feed whatever klptop writes until it has been quiet for quiet_ms (or
 * gone). Returns 0 when it is still running. */
static int pump(int fd, struct term *t, int quiet_ms, int max_ms)
{
	unsigned char buf[4096];
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, quiet_ms);
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r == 0)
			return 0;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;     /* EIO: the other side is gone */
		for (ssize_t i = 0; i < n; i++)
			term_byte(t, buf[i]);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > max_ms)
			return 0;
	}
}

/* Feed output until needle shows on the screen (then until quiet), or
 * max_ms passed: a sanitizer build starts slowly. */
static void pump_until(int fd, struct term *t, const char *needle, int max_ms)
{
	for (int waited = 0; waited < max_ms && term_find(t, needle) < 0; waited += 100)
		if (pump(fd, t, 100, 100) < 0)
			break;
	pump(fd, t, 300, 5000);
}

static char rec_path[64];

static void write_recording_file(void)
{
	struct rec r;
	int fd;

	if (rec_path[0])
		return;
	r = make_recording(200);
	snprintf(rec_path, sizeof(rec_path), "/tmp/klptop-replay-XXXXXX");
	fd = mkstemp(rec_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, r.buf, r.len), (ssize_t)r.len);
	close(fd);
	free(r.buf);
}

/* What main() does before any command: a closed pipe is EPIPE, not death. */
static void child_run(const char *extra)
{
	char *argv[] = { "top", "--replay", rec_path, (char *)extra, NULL };
	int argc = extra ? 4 : 3;

	signal(SIGPIPE, SIG_IGN);
	setenv("TERM", "vt100", 1);
	unsetenv("NO_COLOR");
	_exit(cmd_top(argc, argv));
}

struct kid {
	pid_t pid;
	int master;
	struct term t;
};

static void kid_start(struct kid *k, int rows, int cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	write_recording_file();
	term_init(&k->t, rows, cols);
	k->pid = forkpty(&k->master, NULL, NULL, &ws);
	assert_true(k->pid >= 0);
	if (k->pid == 0)
		child_run(NULL);
	pump_until(k->master, &k->t, " q quit", 20000);
}

static void kid_keys(struct kid *k, const char *keys)
{
	assert_int_equal(write(k->master, keys, strlen(keys)), (ssize_t)strlen(keys));
	pump(k->master, &k->t, 500, 5000);
}

/* Wait up to ms for the child to end; its status, or -1 when it did not. */
static int kid_wait(pid_t pid, int ms, struct rusage *ru)
{
	int st;

	for (int i = 0; i < ms / 10; i++) {
		pid_t r = wait4(pid, &st, WNOHANG, ru);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* The first snapshot of the stall, paused: '<' jumps to the start, '.' steps. */
#define AT_STALL "<..."

static void assert_same_screen(const struct term *a, const struct term *b)
{
	char ra[161], rb[161];

	assert_int_equal(a->rows, b->rows);
	for (int y = 0; y < a->rows; y++) {
		term_row(a, y, ra);
		term_row(b, y, rb);
		if (strcmp(ra, rb)) {
			term_dump(a, "after the resize");
			term_dump(b, "started at that size");
			fail_msg("row %d differs: '%s' vs '%s'", y, ra, rb);
		}
	}
}

static void test_screen_resize(void **state)
{
	struct kid a, b, c;
	struct winsize big = { .ws_row = 30, .ws_col = 100 }, small = { .ws_row = 12, .ws_col = 40 };
	struct winsize std = { .ws_row = 24, .ws_col = 80 };
	static const struct winsize odd[] = {
		{ .ws_row = 1, .ws_col = 1 }, { .ws_row = 2, .ws_col = 5 },
		{ .ws_row = 5, .ws_col = 12 }, { .ws_row = 64, .ws_col = 160 },
	};
	int y;

	kid_start(&a, 24, 80);
	kid_keys(&a, AT_STALL);
	y = term_find(&a.t, "klpt_spin ");
	if (y < 0)
		term_dump(&a.t, "24x80");
	assert_true(y > 0);
	assert_int_equal(term_find(&a.t, " q quit"), 23);
	assert_true(term_find(&a.t, "snapshot 4/200") >= 0);
	assert_true(term_find(&a.t, "[paused 1x]") >= 0);

	/* Bigger: the same picture as a klptop started at 100x30. */
	term_resize(&a.t, 30, 100);
	assert_int_equal(ioctl(a.master, TIOCSWINSZ, &big), 0);
	pump(a.master, &a.t, 400, 5000);
	kid_start(&b, 30, 100);
	kid_keys(&b, AT_STALL);
	assert_int_equal(term_find(&a.t, " q quit"), 29);
	assert_same_screen(&a.t, &b.t);

	/* Smaller: no leftovers of the wider frame. */
	term_resize(&a.t, 12, 40);
	assert_int_equal(ioctl(a.master, TIOCSWINSZ, &small), 0);
	pump(a.master, &a.t, 400, 5000);
	kid_start(&c, 12, 40);
	kid_keys(&c, AT_STALL);
	assert_int_equal(term_find(&a.t, " q quit"), 11);
	/* 11 rows cannot hold every line: the blocker rows stay, the
	 * transition's details and the Shadows panel give way. */
	if (term_find(&a.t, "klpt_spin kthread R") < 0)
		term_dump(&a.t, "12x40");
	assert_true(term_find(&a.t, "klpt_spin kthread R") >= 0);
	assert_true(term_find(&a.t, "sleeper   user") >= 0);
	assert_true(term_find(&a.t, "Shadows") < 0);
	assert_same_screen(&a.t, &c.t);
	kid_keys(&b, "q");
	kid_keys(&c, "q");
	assert_int_equal(kid_wait(b.pid, 3000, NULL), 0);
	assert_int_equal(kid_wait(c.pid, 3000, NULL), 0);
	close(b.master);
	close(c.master);

	/* Absurd sizes on the way (a window dragged to nothing, a huge one),
	 * then 80x24 again: what a fresh start at 80x24 shows. */
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		term_resize(&a.t, odd[i].ws_row, odd[i].ws_col);
		assert_int_equal(ioctl(a.master, TIOCSWINSZ, &odd[i]), 0);
		pump(a.master, &a.t, 300, 5000);
		assert_int_equal(kill(a.pid, 0), 0);
	}
	term_resize(&a.t, 24, 80);
	assert_int_equal(ioctl(a.master, TIOCSWINSZ, &std), 0);
	pump(a.master, &a.t, 400, 5000);
	kid_start(&b, 24, 80);
	kid_keys(&b, AT_STALL);
	assert_same_screen(&a.t, &b.t);

	/* Still alive, and q quits with 0. */
	kid_keys(&a, "q");
	kid_keys(&b, "q");
	assert_int_equal(kid_wait(a.pid, 3000, NULL), 0);
	assert_int_equal(kid_wait(b.pid, 3000, NULL), 0);
	close(a.master);
	close(b.master);
}

/* Replay keys as a user presses them: step, end, start over, play. */
static void test_screen_replay_keys(void **state)
{
	struct kid k;

	kid_start(&k, 24, 100);
	assert_true(term_find(&k.t, "[playing 1x]") >= 0);
	kid_keys(&k, ">");
	assert_true(term_find(&k.t, "snapshot 200/200  +1m39s") >= 0);
	assert_true(term_find(&k.t, "[end 1x]") >= 0);
	assert_true(term_find(&k.t, "TRANSITION none in progress") >= 0);
	kid_keys(&k, ",,");
	assert_true(term_find(&k.t, "snapshot 198/200") >= 0);
	assert_true(term_find(&k.t, "[paused 1x]") >= 0);
	assert_true(term_find(&k.t, "klpt_spin ") >= 0);
	kid_keys(&k, "++-");
	assert_true(term_find(&k.t, "[paused 2x]") >= 0);
	kid_keys(&k, "?");
	assert_true(term_find(&k.t, "klptop --replay keys") >= 0);
	kid_keys(&k, "x");
	assert_true(term_find(&k.t, "klptop --replay keys") < 0);
	kid_keys(&k, "<p");
	usleep(1200 * 1000);     /* 2x: 0.25 s per snapshot */
	pump(k.master, &k.t, 300, 3000);
	assert_true(term_find(&k.t, "[playing 2x]") >= 0);
	assert_true(term_find(&k.t, "snapshot 1/200") < 0);
	kill(k.pid, SIGINT);
	assert_int_equal(kid_wait(k.pid, 3000, NULL), 0);
	close(k.master);
}

static void test_screen_signals_restore_terminal(void **state)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct kid k;
		struct termios tio;

		kid_start(&k, 24, 80);
		assert_true(term_find(&k.t, " q quit") == 23);
		assert_int_equal(tcgetattr(k.master, &tio), 0);
		assert_false(tio.c_lflag & ICANON);     /* the screen is up */
		kill(k.pid, sigs[i]);
		pump(k.master, &k.t, 200, 2000);
		assert_int_equal(kid_wait(k.pid, 3000, NULL), 0);
		assert_int_equal(tcgetattr(k.master, &tio), 0);
		/* Back in cooked mode with echo: the shell prompt works again. */
		assert_true(tio.c_lflag & ICANON);
		assert_true(tio.c_lflag & ECHO);
		/* and the keypad back in normal mode (vt100 rmkx). */
		assert_non_null(strstr(k.t.last, ".[?1l"));
		close(k.master);
	}
}

/* The terminal goes away (an ssh session dropped) while klptop has no
 * controlling terminal to get SIGHUP from: reads and writes fail with EIO.
 * klptop must end promptly, not spin on a descriptor that is always ready. */
static void test_screen_terminal_gone(void **state)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	struct rusage ru;
	struct term t;
	int master, slave, rc;
	pid_t pid;
	double cpu;

	write_recording_file();
	assert_int_equal(openpty(&master, &slave, NULL, NULL, &ws), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(master);
		setsid();          /* no controlling terminal: no SIGHUP */
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(slave);
		child_run(NULL);
	}
	close(slave);
	term_init(&t, 24, 80);
	pump_until(master, &t, " q quit", 20000);
	assert_true(term_find(&t, " q quit") == 23);
	close(master);
	rc = kid_wait(pid, 3000, &ru);
	assert_int_equal(rc, 0);
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	assert_true(cpu < 1.0);
}

/* klptop --replay F --batch | head -n 3: three lines, then a quiet end. */
static void test_batch_closed_pipe(void **state)
{
	int out[2], err[2], lines = 0, rc;
	char c, msg[512] = "";
	ssize_t n;
	pid_t pid;

	write_recording_file();
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		close(out[1]);
		close(err[1]);
		child_run("--batch");
	}
	close(out[1]);
	close(err[1]);
	while (lines < 3 && read(out[0], &c, 1) == 1)
		lines += c == '\n';
	close(out[0]);
	n = read(err[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(err[0]);
	rc = kid_wait(pid, 5000, NULL);
	assert_int_equal(lines, 3);
	assert_string_equal(msg, "");
	/* docs/live-view.md: a closed pipe ends klptop with exit 1, no message. */
	assert_int_equal(rc, 1);
}

static int cleanup(void **state)
{
	if (rec_path[0] && !getenv("KEEP"))
		unlink(rec_path);
	return 0;
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
		cmocka_unit_test(test_screen_resize),
		cmocka_unit_test(test_screen_replay_keys),
		cmocka_unit_test(test_screen_signals_restore_terminal),
		cmocka_unit_test(test_screen_terminal_gone),
		cmocka_unit_test(test_batch_closed_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
