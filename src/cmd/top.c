// SPDX-License-Identifier: GPL-2.0
/*
 * klptop top: the live view (the default command) and its --batch form.
 * It runs the one event loop (lib/loop.h) over stdin (keys), stdout (its
 * hangup) and the sampler's event fd. Drawing belongs to view.c; snapshots come from the
 * sampler, or with --replay from a recording (replay.c), drawn the same way.
 */
#include "cmd/cmd.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "recording/replay.h"
#include "live/sampler.h"
#include "lib/util.h"
#include "render/view.h"

/* Blocker rows per batch frame: the longest-blocked first (sort order). */
#define BATCH_MAX_ROWS 50

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct top_opts {
	double delay_s;     /* 0: not given (1 s) */
	long frames;        /* 0: until a signal (or q) */
	int batch;
	long width;         /* batch line width; -1: the terminal's, or none */
	const char *replay; /* --replay FILE */
	struct sampler_opts so;
};

static const struct opt top_opts[] = {
	{ OPT_SECONDS, 'd', "delay", "SECONDS", "refresh interval (default 1; fractions allowed)",
	  offsetof(struct top_opts, delay_s), 0.05, 86400 },
	{ OPT_SET, 'b', "batch", NULL, "plain text frames on stdout, no screen handling",
	  offsetof(struct top_opts, batch) },
	{ OPT_NUMBER, 'n', "iterations", "N", "stop after N frames",
	  offsetof(struct top_opts, frames), 1, (double)LONG_MAX },
	{ OPT_NUMBER, 0, "frames", "N", NULL, offsetof(struct top_opts, frames), 1, (double)LONG_MAX },
	{ OPT_NUMBER, 'W', "width", "COLS", "batch: cut lines at COLS (0: never; default: the\n"
	  "terminal's width, or none when not a terminal)", offsetof(struct top_opts, width),
	  0, 100000 },
	{ OPT_CLEAR, 'S', "no-stacks", NULL, "do not read the kernel stacks of pending tasks",
	  offsetof(struct top_opts, so.with_stacks) },
	{ OPT_SET, 'B', "no-bpf", NULL, "procfs only: no BPF probes",
	  offsetof(struct top_opts, so.no_bpf) },
	{ OPT_CLEAR, 'l', "leaks", NULL, "shadow leak detection (kfree hooks, attached\n"
	  "while shadows live)", offsetof(struct top_opts, so.no_leaks) },
	{ OPT_SET, 0, "no-leaks", NULL, "shadow counts only, no free hooks (the default)",
	  offsetof(struct top_opts, so.no_leaks) },
	{ OPT_STRING, 0, "replay", "FILE", "show a recording (klptop record) in the same view:\n"
	  "keys p play/pause, ,/. step, </> first/last, +/-\n"
	  "speed; with --batch, every snapshot's frame in order",
	  offsetof(struct top_opts, replay) },
	{ OPT_MOVED, 'w', .help = "-W (--width)" },
	{ OPT_END }
};

static const struct opt_spec top_spec = {
	.cmd = "top",
	.usage = "klptop [top] [-d SECONDS] [-n N] [--no-stacks] [--no-bpf] [--leaks]\n"
		 "klptop [top] --batch [-n N] [-d SECONDS] [-W COLS]\n"
		 "klptop [top] --replay FILE [--batch] [-n N] [-W COLS] [--no-stacks]",
	.about = "The live view of patches, the running transition and the tasks that\n"
		 "block it (docs/live-view.md). Keys: q quit, j/k/arrows move, Enter\n"
		 "stack, Tab panel, s sort, p pause, ? help.\n",
};

/* Returns -1 to go on, or the exit code. */
static int parse_top_args(int argc, char **argv, struct top_opts *o)
{
	struct opts_result res;
	const char *live_only;
	int rc;

	/* Shadow counts always (the Shadows panel), once the first frame is
	 * out; the kfree hooks that name orphans only with --leaks. */
	*o = (struct top_opts){ .width = -1,
				.so = { .with_stacks = 1, .shadows = 1, .no_leaks = 1,
					.defer_shadows = 1 } };
	rc = cmd__parse(&top_spec, top_opts, o, CMD_TEXT, argc, argv, &res);
	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	/* A replay follows the recording's own clock and has no kernel to probe. */
	live_only = o->delay_s ? "-d" : o->so.no_bpf ? "--no-bpf" : !o->so.no_leaks ? "--leaks" : NULL;
	if (o->replay && live_only)
		return p_usage("top", "%s has no meaning with --replay (%s)", live_only,
			       o->delay_s ? "playback follows the recording's timing; keys + and - "
					    "change its speed"
					  : "a replay reads no kernel");
	if (!o->delay_s)
		o->delay_s = 1.0;
	return -1;
}

/* ---- the event loop ------------------------------------------------------- */

/* What top watches besides the loop's own signals and timer. */
enum { FD_SAMPLER, FD_KEYS, FD_OUT };

enum top_event {
	EV_TICK,
	EV_STOP,
	EV_RESIZE,
	EV_KEY,
	EV_HANGUP,          /* the terminal went away, or the reader of stdout */
	EV_ERROR,
};

/* The loop of the live view and --batch; stdout is watched for its hangup
 * (a closed terminal or pipe ends us). */
static struct loop *top_loop__new(double delay_s, struct sampler *sm)
{
	struct loop *l = loop__new("top", delay_s);

	if (!l)
		return NULL;
	loop__watch(l, STDOUT_FILENO, FD_OUT, 0);
	if (sm)
		loop__watch(l, sampler__event_fd(sm), FD_SAMPLER, 1);
	return l;
}

/* Block until something happens; sampler events are consumed on the way. */
static enum top_event top_wait(struct loop *l, struct sampler *sm)
{
	for (;;) {
		int id = -1;

		switch (loop__wait(l, -1, &id)) {
		case LOOP_TICK: return EV_TICK;
		case LOOP_STOP: return EV_STOP;
		case LOOP_RESIZE: return EV_RESIZE;
		case LOOP_HANGUP: return id == FD_SAMPLER ? EV_ERROR : EV_HANGUP;
		case LOOP_READY:
			if (id == FD_KEYS)
				return EV_KEY;
			sampler__poll(sm);
			break;
		case LOOP_TIMEOUT:
		case LOOP_SIGNAL: break;
		case LOOP_ERROR: return EV_ERROR;
		}
	}
}

/* ---- batch ----------------------------------------------------------------- */

static int terminal_width(int fd)
{
	struct winsize ws;

	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

static int batch_width(const struct top_opts *o)
{
	return o->width >= 0 ? (int)o->width : terminal_width(STDOUT_FILENO);
}

static int print_one_frame(struct sampler *sm, struct view_state *vs)
{
	struct snapshot s;
	int rc, err;

	snapshot__init(&s);
	rc = sampler__fill(sm, &s);
	if (rc == EXIT_OK) {
		err = view__print_batch(&s, vs, stdout);
		/* A reader that went away (| head) ends us quietly. */
		if (err && err != -EPIPE)
			p_err("top: cannot write frame: %s", strerror(-err));
		if (err)
			rc = EXIT_ERROR;
	}
	snapshot__free(&s);
	return rc;
}

static int batch_loop(struct sampler *sm, struct loop *l, const struct top_opts *o,
		      struct view_state *vs)
{
	long frames = 0;
	int rc;

	for (;;) {
		rc = print_one_frame(sm, vs);
		if (rc != EXIT_OK)
			return rc;
		if (o->frames && ++frames >= o->frames)
			return EXIT_OK;
		sampler__open_deferred(sm);
		for (;;) {
			enum top_event ev = top_wait(l, sm);

			if (ev == EV_STOP)
				return EXIT_OK;
			/* The reader went away (| head): quietly, as a write would. */
			if (ev == EV_ERROR || ev == EV_HANGUP)
				return EXIT_ERROR;
			if (ev == EV_RESIZE && o->width < 0)
				vs->width = batch_width(o);
			if (ev == EV_TICK)
				break;
		}
	}
}

static int run_batch(struct sampler *sm, struct loop *l, const struct top_opts *o)
{
	struct view_state vs;
	int rc;

	view_state__init(&vs);
	vs.expand_all = 1;
	vs.max_rows = BATCH_MAX_ROWS;
	vs.with_stacks = o->so.with_stacks;
	vs.width = batch_width(o);
	rc = batch_loop(sm, l, o, &vs);
	view_state__free(&vs);
	return rc;
}

/* ---- the screen ------------------------------------------------------------ */

/*
 * While the screen is up, messages on stderr (the model's errors, libbpf's
 * warnings) would be drawn over it. Keep them in a temp file and show them
 * once the terminal is back to normal.
 */
struct stderr_capture {
	int saved_fd;
	FILE *tmp;
};

static void stderr_capture_begin(struct stderr_capture *c)
{
	c->saved_fd = -1;
	c->tmp = tmpfile();
	if (!c->tmp)
		return;
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->tmp), STDERR_FILENO) < 0) {
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		c->saved_fd = -1;
		fclose(c->tmp);
		c->tmp = NULL;
	}
}

static void stderr_capture_end(struct stderr_capture *c)
{
	char buf[4096];
	size_t n;

	if (!c->tmp)
		return;
	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->tmp);
	while ((n = fread(buf, 1, sizeof(buf), c->tmp)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(c->tmp);
	c->tmp = NULL;
}

/* Replace *cur with a fresh snapshot; on error *cur is kept. */
static int refresh_snapshot(struct sampler *sm, struct snapshot *cur)
{
	struct snapshot next;
	int rc;

	snapshot__init(&next);
	rc = sampler__fill(sm, &next);
	if (rc != EXIT_OK) {
		snapshot__free(&next);
		return rc;
	}
	snapshot__free(cur);
	*cur = next;
	return EXIT_OK;
}

/* Handle every key that is waiting; returns 1 when the frame must be redrawn. */
static int handle_keys(struct view_state *vs)
{
	int key, redraw = 0;

	/* KEY_RESIZE is resizeterm()'s echo of a SIGWINCH already handled
	 * (EV_RESIZE): it only asks for a redraw. */
	while (!vs->quit && (key = view__screen_getkey()) != ERR)
		redraw |= view__key(vs, key);
	return redraw || vs->quit;
}

static int screen_loop(struct sampler *sm, struct loop *l, const struct top_opts *o,
		       struct view_state *vs, struct snapshot *cur)
{
	long frames = 1;

	view__draw(cur, vs);
	sampler__open_deferred(sm);
	while (!vs->quit) {
		enum top_event ev = top_wait(l, sm);
		int rc;

		switch (ev) {
		case EV_STOP:
		case EV_HANGUP:     /* the terminal closed: as SIGHUP */
			return EXIT_OK;
		case EV_ERROR:
			return EXIT_ERROR;
		case EV_RESIZE:
			view__screen_resize();
			view__draw(cur, vs);
			break;
		case EV_KEY:
			if (handle_keys(vs) && !vs->quit)
				view__draw(cur, vs);
			break;
		case EV_TICK:
			if (vs->paused)
				break;
			rc = refresh_snapshot(sm, cur);
			if (rc != EXIT_OK)
				return rc;
			view__draw(cur, vs);
			if (o->frames && ++frames >= o->frames)
				return EXIT_OK;
			break;
		}
	}
	return EXIT_OK;
}

static int run_screen(struct sampler *sm, struct loop *l, const struct top_opts *o)
{
	struct stderr_capture cap;
	struct view_state vs;
	struct snapshot cur;
	int rc;

	view_state__init(&vs);
	vs.with_stacks = o->so.with_stacks;
	/* The first snapshot before the screen: its errors (no live patching,
	 * no permission) then print as plain one-liners. */
	snapshot__init(&cur);
	rc = sampler__fill(sm, &cur);
	if (rc != EXIT_OK) {
		snapshot__free(&cur);
		return rc;
	}
	stderr_capture_begin(&cap);
	if (view__screen_open(&vs, stdout, stdin)) {
		stderr_capture_end(&cap);
		snapshot__free(&cur);
		view_state__free(&vs);
		p_note("this terminal (TERM=%s) cannot run the screen; printing text frames "
		       "as with --batch", getenv("TERM") ? getenv("TERM") : "");
		return run_batch(sm, l, o);
	}
	loop__watch(l, STDIN_FILENO, FD_KEYS, 1);
	rc = screen_loop(sm, l, o, &vs, &cur);
	loop__unwatch(l, FD_KEYS);
	view__screen_close();
	stderr_capture_end(&cap);
	snapshot__free(&cur);
	view_state__free(&vs);
	return rc;
}

/* ---- --replay ---------------------------------------------------------------- */

struct replay_view {
	struct replay *rp;
	struct view_replay vr;
	struct snapshot cur;
};

/* Show snapshot rp->cur: a fresh model, and the replay line to match. */
static int replay_view__load(struct replay_view *v)
{
	struct snapshot next;

	snapshot__init(&next);
	if (replay__fill(v->rp, v->rp->cur, &next)) {
		snapshot__free(&next);
		return -1;
	}
	snapshot__free(&v->cur);
	v->cur = next;
	return 0;
}

static void replay_view__sync(struct replay_view *v)
{
	const struct replay *rp = v->rp;

	v->vr.name = rp->rec.name;
	v->vr.index = rp->cur;
	v->vr.count = rp->rec.nsnaps;
	v->vr.offset_ns = replay__offset_ns(rp, rp->cur);
	v->vr.wall_ns = v->cur.taken_ns;
	v->vr.playing = rp->playing;
	v->vr.speed_exp = rp->speed_exp;
	v->vr.problem = rp->problem[0] ? rp->problem : NULL;
}

/* Every snapshot's frame, in order and at once: a script reads them. */
static int replay_batch(struct replay_view *v, const struct top_opts *o)
{
	struct view_state vs;
	int rc = EXIT_OK;

	view_state__init(&vs);
	vs.expand_all = 1;
	vs.max_rows = BATCH_MAX_ROWS;
	vs.with_stacks = o->so.with_stacks;
	vs.width = batch_width(o);
	vs.replay = &v->vr;
	v->vr.batch = 1;
	for (size_t i = 0; i < v->rp->rec.nsnaps; i++) {
		int err;

		if (o->frames && (long)i >= o->frames)
			break;
		v->rp->cur = i;
		if (replay_view__load(v))
			continue;
		replay_view__sync(v);
		err = view__print_batch(&v->cur, &vs, stdout);
		if (err) {
			if (err != -EPIPE)
				p_err("top: cannot write frame: %s", strerror(-err));
			rc = EXIT_ERROR;
			break;
		}
	}
	if (rc == EXIT_OK && v->rp->problem[0])
		p_warn("%s: %s", v->rp->rec.name, v->rp->problem);
	view_state__free(&vs);
	return rc;
}

static enum replay_action replay_action_of(enum view_replay_key k)
{
	switch (k) {
	case VIEW_RKEY_PAUSE: return REPLAY_PAUSE;
	case VIEW_RKEY_NEXT: return REPLAY_NEXT;
	case VIEW_RKEY_PREV: return REPLAY_PREV;
	case VIEW_RKEY_START: return REPLAY_START;
	case VIEW_RKEY_END: return REPLAY_END;
	case VIEW_RKEY_FASTER: return REPLAY_FASTER;
	case VIEW_RKEY_SLOWER: return REPLAY_SLOWER;
	default: return REPLAY_NONE;
	}
}

/* Keys: the replay's first, then the view's. Returns 1 to redraw. */
static int replay_keys(struct replay_view *v, struct view_state *vs)
{
	int key, redraw = 0;

	while (!vs->quit && (key = view__screen_getkey()) != ERR) {
		enum view_replay_key rk = view__replay_key(vs, key);

		if (rk != VIEW_RKEY_NONE) {
			if (replay__act(v->rp, replay_action_of(rk)))
				replay_view__load(v);
			redraw = 1;
			continue;
		}
		redraw |= view__key(vs, key);
	}
	return redraw || vs->quit;
}

static int replay_screen_loop(struct replay_view *v, struct loop *l, const struct top_opts *o,
			      struct view_state *vs)
{
	long frames = 1;

	replay_view__sync(v);
	view__draw(&v->cur, vs);
	loop__arm(l, replay__due_ns(v->rp));
	while (!vs->quit) {
		switch (top_wait(l, NULL)) {
		case EV_STOP:
		case EV_HANGUP:
			return EXIT_OK;
		case EV_ERROR:
			return EXIT_ERROR;
		case EV_RESIZE:
			view__screen_resize();
			break;
		case EV_KEY:
			if (!replay_keys(v, vs) || vs->quit)
				continue;
			break;
		case EV_TICK:
			if (replay__act(v->rp, REPLAY_ADVANCE)) {
				replay_view__load(v);
				if (o->frames && ++frames > o->frames)
					return EXIT_OK;
			}
			break;
		}
		replay_view__sync(v);
		view__draw(&v->cur, vs);
		loop__arm(l, replay__due_ns(v->rp));
	}
	return EXIT_OK;
}

static int run_replay(const struct top_opts *o)
{
	struct replay rp;
	struct replay_view v = { .rp = &rp };
	struct loop *l = NULL;
	struct stderr_capture cap;
	struct view_state vs;
	int rc;

	rc = replay__open(&rp, o->replay);
	if (rc != EXIT_OK) {
		replay__close(&rp);
		return rc;
	}
	snapshot__init(&v.cur);
	if (replay_view__load(&v)) {
		p_err("replay: %s: the first snapshot cannot be read", o->replay);
		replay__close(&rp);
		return EXIT_ERROR;
	}
	if (o->batch) {
		rc = replay_batch(&v, o);
		goto out;
	}
	l = top_loop__new(0, NULL);
	if (!l) {
		rc = EXIT_ERROR;
		goto out;
	}
	view_state__init(&vs);
	vs.with_stacks = o->so.with_stacks;
	vs.replay = &v.vr;
	stderr_capture_begin(&cap);
	if (view__screen_open(&vs, stdout, stdin)) {
		stderr_capture_end(&cap);
		view_state__free(&vs);
		loop__free(l);
		p_note("this terminal (TERM=%s) cannot run the screen; printing text frames "
		       "as with --batch", getenv("TERM") ? getenv("TERM") : "");
		rc = replay_batch(&v, o);
		goto out;
	}
	loop__watch(l, STDIN_FILENO, FD_KEYS, 1);
	rc = replay_screen_loop(&v, l, o, &vs);
	view__screen_close();
	stderr_capture_end(&cap);
	view_state__free(&vs);
	loop__free(l);
out:
	snapshot__free(&v.cur);
	replay__close(&rp);
	return rc;
}

int cmd_top(int argc, char **argv)
{
	struct sampler *sm;
	struct top_opts o;
	struct loop *l;
	int rc;

	rc = parse_top_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!o.batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))) {
		p_note("%s is not a terminal: printing text frames as with --batch",
		       isatty(STDOUT_FILENO) ? "stdin" : "stdout");
		o.batch = 1;
	}
	if (o.replay)
		return run_replay(&o);
	sm = cmd__open_sampler(&o.so);
	if (!sm)
		return EXIT_ERROR;
	l = top_loop__new(o.delay_s, sm);
	if (!l)
		rc = EXIT_ERROR;
	else if (o.batch)
		rc = run_batch(sm, l, &o);
	else
		rc = run_screen(sm, l, &o);
	loop__free(l);
	sampler__close(sm);
	return rc;
}
