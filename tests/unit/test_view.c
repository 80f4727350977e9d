// SPDX-License-Identifier: GPL-2.0
/* The live view: frames built from a hand-made snapshot of the stuck transition
 * of docs/incidents.md (a
 * kthread spinning in a patched function) and a user task sleeping on one;
 * the batch text, sorting, the stack marker, widths, keys and the ncurses
 * screen drawn headlessly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_fixture.h"
#include "model/model.h"
#include "lib/util.h"
#include "render/view.h"

#define SEC 1000000000ull

static void add_frame(struct task_snap *t, const char *sym, const char *mod, uint64_t off,
		      int marked)
{
	struct stack_frame *f;

	t->stack = xrealloc(t->stack, (t->nstack + 1) * sizeof(*t->stack));
	f = &t->stack[t->nstack++];
	memset(f, 0, sizeof(*f));
	f->symbol = sym ? xstrdup(sym) : NULL;
	f->module = mod ? xstrdup(mod) : NULL;
	f->offset = off;
	f->addr = 0xffffffffc0a01000ull + off;
	f->marked = marked;
}

static void make_patch(struct patch_info *pi, const char *name)
{
	fx_make_patch(pi, name, -1, 2);
}

/* The user task comes first in the array and has a lower pid, so only a real
 * sort by blocked time puts the kthread on top. */
static void make_snapshot(struct snapshot *s)
{
	struct transition_info *tr;
	struct task_snap *full, *user, *kt;

	snapshot__init(s);
	s->source = "bpf";
	s->taken_ns = 1714557600ull * SEC;
	copy_str(s->kernel.release, sizeof(s->kernel.release), "6.1.0-99-amd64");
	s->kernel.livepatch = 1;
	s->kernel.tainted = 36864;
	s->kernel.taint_livepatch = 1;
	s->probes.bpf = 1;
	s->npatches = 1;
	s->patches = xcalloc(1, sizeof(*s->patches));
	make_patch(&s->patches[0], "klpt_lp_fix");

	tr = s->transition = xcalloc(1, sizeof(*tr));
	tr->patch = xstrdup("klpt_lp_fix");
	tr->target = KLP_PATCHED;
	tr->tasks_total = 200;
	tr->tasks_pending = 2;
	tr->observed = 1;
	tr->start_ns = 1000 * SEC;
	tr->elapsed_ns = 3700 * SEC;
	tr->rounds = 3700;
	tr->signal_rounds = 246;
	tr->rate_per_s = 0;
	tr->eta_s = -1;
	full = xcalloc(2, sizeof(*full));
	user = &full[0];
	user->pid = 40;
	user->tid = 41;
	copy_str(user->comm, sizeof(user->comm), "sleeper");
	user->state = 'S';
	user->patch_state = KLP_UNPATCHED;
	user->reason = REASON_SLEEPING_ON;
	user->function = xstrdup("klpt_ping");
	user->rounds_failed = 3;
	user->blocked_ns = 3 * SEC;
	user->verdict = VERDICT_NEEDS_SIGNAL;
	add_frame(user, "klpt_ping", "klpt_target", 0x10, 1);
	add_frame(user, "do_syscall_64", NULL, 0x5c, 0);

	kt = &full[1];
	kt->pid = 50;
	kt->tid = 50;
	copy_str(kt->comm, sizeof(kt->comm), "klpt_spin");
	kt->kthread = 1;
	kt->state = 'R';
	kt->patch_state = KLP_UNPATCHED;
	kt->reason = REASON_RUNNING;
	kt->function = xstrdup("klpt_spin_step");
	kt->rounds_failed = 3700;
	kt->blocked_ns = 3700 * SEC;
	kt->verdict = VERDICT_STUCK;
	kt->verdict_text = xstrdup("running kthread that never sleeps: waiting will not help");
	add_frame(kt, "klpt_spin_step", "klpt_target", 0x1d, 1);
	add_frame(kt, "klpt_spin_thread", "klpt_target", 0x30, 0);
	add_frame(kt, "kthread", NULL, 0xe8, 0);
	fx_set_pending(tr, full, 2);
}

/* ---- collecting frames --------------------------------------------------- */

struct lines {
	char *text[512];
	enum line_kind kind[512];
	enum view_panel panel[512];
	int n;
};

static void collect(void *ctx, const struct view_line *l)
{
	struct lines *ls = ctx;

	assert_true(ls->n < 512);
	ls->text[ls->n] = xstrdup(l->text);
	ls->kind[ls->n] = l->kind;
	ls->panel[ls->n] = l->panel;
	ls->n++;
}

static void lines_free(struct lines *ls)
{
	for (int i = 0; i < ls->n; i++)
		free(ls->text[i]);
	ls->n = 0;
}

static const char *find_line(const struct lines *ls, const char *needle)
{
	for (int i = 0; i < ls->n; i++)
		if (strstr(ls->text[i], needle))
			return ls->text[i];
	return NULL;
}

static char *batch_text(const struct snapshot *s, struct view_state *vs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(view__print_batch(s, vs, f), 0);
	fclose(f);
	return buf;
}

static void batch_state(struct view_state *vs, int width)
{
	view_state__init(vs);
	vs->expand_all = 1;
	vs->width = width;
}

/* ---- tests --------------------------------------------------------------- */

static void test_batch_frame(void **state)
{
	struct snapshot s;
	struct view_state vs;
	char *text, *row;

	make_snapshot(&s);
	batch_state(&vs, 0);
	text = batch_text(&s, &vs);
	assert_memory_equal(text, "=== klptop 20", 13);
	assert_non_null(strstr(text, " ===\n"));
	assert_non_null(strstr(text, "6.1.0-99-amd64"));
	assert_non_null(strstr(text, "BPF on"));
	assert_non_null(strstr(text, "klpt_target (patched yes): klpt_spin_step,1 klpt_ping,2"));
	assert_non_null(strstr(text, "TRANSITION klpt_lp_fix -> patched"));
	assert_non_null(strstr(text, "198/200 switched"));
	assert_non_null(strstr(text, "elapsed 1h01m"));
	assert_non_null(strstr(text, "rounds 3700  signal rounds 246"));
	assert_non_null(strstr(text, "ETA -"));   /* unknown: eta_s < 0 */
	/* The kthread's row: comm, type, state, reason, function, rounds, verdict. */
	row = strstr(text, "klpt_spin ");
	assert_non_null(row);
	*strchr(row, '\n') = '\0';
	assert_non_null(strstr(row, "kthread R running"));
	assert_non_null(strstr(row, "klpt_spin_step"));
	assert_non_null(strstr(row, "3700"));
	assert_non_null(strstr(row, "1h01m"));
	assert_non_null(strstr(row, "stuck"));
	free(text);

	text = batch_text(&s, &vs);
	row = strstr(text, "sleeper ");
	assert_non_null(row);
	*strchr(row, '\n') = '\0';
	assert_non_null(strstr(row, "user    S sleeping_on"));
	assert_non_null(strstr(row, "klpt_ping"));
	assert_non_null(strstr(row, "needs_signal"));
	free(text);
	view_state__free(&vs);
	snapshot__free(&s);
}

static void test_unknowns_show_dash(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };
	const char *l;

	make_snapshot(&s);
	s.probes.bpf = 0;
	s.probes.why_not = xstrdup("no BTF");
	s.transition->observed = 0;
	batch_state(&vs, 0);
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "BPF off: no BTF"));
	assert_non_null(find_line(&ls, "rounds -  signal rounds -  rate -  ETA -"));
	assert_non_null(find_line(&ls, "elapsed -"));
	/* replace and forced are unknown on 6.1 */
	l = find_line(&ls, "klpt_lp_fix yes");
	assert_non_null(l);
	assert_non_null(strstr(l, "yes     yes   -       -"));
	lines_free(&ls);
	view_state__free(&vs);
	snapshot__free(&s);
}

static void blocker_rows(const struct snapshot *s, struct view_state *vs, struct lines *rows)
{
	struct lines ls = { 0 };

	view__build_frame(s, vs, collect, &ls);
	for (int i = 0; i < ls.n; i++) {
		if (ls.panel[i] == PANEL_BLOCKERS && ls.kind[i] == LINE_ROW) {
			rows->text[rows->n] = ls.text[i];
			rows->kind[rows->n++] = LINE_ROW;
			ls.text[i] = NULL;
		}
	}
	lines_free(&ls);
}

static void test_sort(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines rows = { 0 };

	make_snapshot(&s);
	batch_state(&vs, 0);
	/* Largest group first; as large, the longest blocked. */
	assert_int_equal(vs.sort, SORT_SIZE);
	blocker_rows(&s, &vs, &rows);
	assert_int_equal(rows.n, 2);
	assert_non_null(strstr(rows.text[0], "klpt_spin"));  /* 1h01m before 3s */
	assert_non_null(strstr(rows.text[1], "sleeper"));
	lines_free(&rows);

	view__key(&vs, 's');
	assert_int_equal(vs.sort, SORT_BLOCKED);
	blocker_rows(&s, &vs, &rows);
	assert_non_null(strstr(rows.text[0], "klpt_spin"));
	lines_free(&rows);

	view__key(&vs, 's');
	assert_int_equal(vs.sort, SORT_PID);
	blocker_rows(&s, &vs, &rows);
	assert_non_null(strstr(rows.text[0], "sleeper"));    /* pid 40 before 50 */
	lines_free(&rows);

	view__key(&vs, 's');
	assert_int_equal(vs.sort, SORT_COMM);
	blocker_rows(&s, &vs, &rows);
	assert_non_null(strstr(rows.text[0], "klpt_spin"));
	lines_free(&rows);

	view__key(&vs, 's');
	view__key(&vs, 's');
	assert_int_equal(vs.sort, SORT_SIZE);  /* wraps around */
	view_state__free(&vs);
	snapshot__free(&s);
}

static void test_stack_marks_blocking_frame(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };
	int marked = 0, i;

	make_snapshot(&s);
	view_state__init(&vs);
	vs.cursor = 1;
	vs.width = 80;
	/* Closed: no stack lines. */
	view__build_frame(&s, &vs, collect, &ls);
	assert_null(find_line(&ls, "klpt_spin_thread"));
	assert_int_equal(vs.sel_tid, 50);   /* the cursor starts on the top row */
	lines_free(&ls);

	/* Enter opens the selected task's stack. */
	view__key(&vs, '\n');
	assert_int_equal(vs.open_tid, 50);
	view__build_frame(&s, &vs, collect, &ls);
	for (i = 0; i < ls.n; i++) {
		if (ls.kind[i] != LINE_MARKED)
			continue;
		marked++;
		assert_string_equal(ls.text[i], "      => klpt_spin_step+0x1d [klpt_target]");
	}
	assert_int_equal(marked, 1);
	assert_non_null(find_line(&ls, "         klpt_spin_thread+0x30 [klpt_target]"));
	assert_non_null(find_line(&ls, "verdict: running kthread that never sleeps"));
	assert_non_null(find_line(&ls, "checks of 50: running 0, sleeping on a function 0"));
	assert_null(find_line(&ls, "do_syscall_64"));  /* the other task stays closed */
	lines_free(&ls);

	/* Enter again closes it. */
	view__key(&vs, KEY_ENTER);
	assert_int_equal(vs.open_tid, 0);
	view_state__free(&vs);
	snapshot__free(&s);
}

/* An open group that will never switch by itself: the checks that say so
 * and what would switch it, one alert line. */
static void test_never_switch_details(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };
	struct task_snap *kt;
	int alert = 0;

	make_snapshot(&s);
	kt = fx_rep(s.transition, 50);
	kt->check_cpu = 1;
	kt->checks_running = 9;
	kt->cpus_allowed = 1;
	kt->cpu_iso = CPU_ISO_DOMAIN | CPU_ISO_NOHZ_FULL;
	kt->never = NEVER_ISOLATED_CPU;
	kt->help = xstrdup("a code change (a sleep outside the patched function), or a forced "
			   "transition");
	view_state__init(&vs);
	vs.width = 200;
	view__build_frame(&s, &vs, collect, &ls);   /* the cursor lands on the top row */
	lines_free(&ls);
	view__key(&vs, '\n');
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "      evidence: CPU 1 (isolcpus, nohz_full), the same at "
				       "every check; may run on 1 CPU; checks 9: running 9"));
	assert_non_null(find_line(&ls, "      never switches by itself (isolated_cpu); helps: a code "
				       "change (a sleep outside the patched function), or a forced "
				       "transition"));
	/* The sleeper's group has nothing of the kind. */
	assert_int_equal(vs.open_tid, 50);
	for (int i = 0; i < ls.n; i++)
		alert += !!strstr(ls.text[i], "never switches by itself");
	assert_int_equal(alert, 1);
	lines_free(&ls);
	view_state__free(&vs);
	snapshot__free(&s);
}

static void test_oncpu_stack_and_history(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };
	struct task_snap *kt, *u;
	struct transition_summary *h;
	int i, oncpu = -1, kstack = -1;

	make_snapshot(&s);
	kt = fx_rep(s.transition, 50);
	free(kt->oncpu); /* the fixture's empty one */
	kt->oncpu = xcalloc(1, sizeof(*kt->oncpu));
	kt->noncpu = 1;
	kt->oncpu[0].symbol = xstrdup("klpt_spin_step");
	kt->oncpu[0].module = xstrdup("klpt_target");
	kt->oncpu[0].offset = 0x22;
	kt->oncpu[0].marked = 1;
	kt->oncpu_samples = 99;
	s.nhistory = 1;
	s.history = h = xcalloc(1, sizeof(*h));
	h->patch = xstrdup("klpt_lp_old");
	h->target = KLP_PATCHED;
	h->outcome = "forced";
	h->start_ns = 10 * SEC;
	h->end_ns = 130 * SEC;
	h->rounds = 120;
	h->nunsafe = 1;
	h->unsafe = u = xcalloc(1, sizeof(*u));
	u->pid = u->tid = 50;
	copy_str(u->comm, sizeof(u->comm), "klpt_spin");
	u->reason = REASON_RUNNING;
	u->kthread = 1;
	u->function = xstrdup("klpt_spin_step");
	batch_state(&vs, 0);
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "ended: klpt_lp_old -> patched forced after 2m00s, rounds 120"));
	assert_non_null(find_line(&ls, "unsafe at force: 50/50 klpt_spin kthread running klpt_spin_step"));
	for (i = 0; i < ls.n; i++) {
		if (strstr(ls.text[i], "on-CPU stack (99 samples):"))
			oncpu = i;
		if (strstr(ls.text[i], "kernel stack:"))
			kstack = i;
	}
	assert_true(oncpu > 0 && kstack == oncpu + 2);
	assert_string_equal(ls.text[oncpu + 1], "      => klpt_spin_step+0x22 [klpt_target]");
	assert_int_equal(ls.kind[oncpu + 1], LINE_MARKED);
	lines_free(&ls);
	view_state__free(&vs);
	snapshot__free(&s);
}

static void assert_fits(const struct snapshot *s, int width)
{
	struct view_state vs;
	char *text, *line, *save = NULL;

	batch_state(&vs, width);
	text = batch_text(s, &vs);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "=== klptop ", 11))
			continue;   /* the frame separator, fixed at ~38 columns */
		if ((int)strlen(line) > width)
			fail_msg("%zu columns > %d: '%s'", strlen(line), width, line);
		for (char *c = line; *c; c++)
			assert_true(*c >= 0x20 && *c <= 0x7e);
	}
	free(text);
	view_state__free(&vs);
}

static void test_fits_width(void **state)
{
	struct snapshot s;
	struct transition_info *tr;
	struct blocker_group *g;
	uint32_t f;

	make_snapshot(&s);
	/* Everything as long as it gets, plus bytes a terminal would act on. */
	free(s.patches[0].name);
	s.patches[0].name = xstrdup("klpt_lp_fix_with_an_unreasonably_long_patch_module_name_v2");
	tr = s.transition;
	g = &tr->groups[tr->tasks[0].group];
	copy_str(g->comm, sizeof(g->comm), "evil\033[2J\tname\xc3\xa9");
	f = transition_info__func_ref(tr, "a_very_long_function_name_that_is_patched_in_the_kernel.isra.0");
	g->function = tr->funcs[f];
	g->rep.pid = g->rep.tid = 4194304;
	snapshot__warn(&s, "a warning long enough to need cutting on a serial console of "
			   "eighty columns, and then some more");
	assert_fits(&s, 80);
	assert_fits(&s, 40);
	assert_fits(&s, 200);
	snapshot__free(&s);
}

static void test_no_transition(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };

	make_snapshot(&s);
	snapshot__free(&s);   /* an empty, livepatch-capable kernel */
	s.kernel.livepatch = 1;
	batch_state(&vs, 80);
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "no live patches loaded"));
	assert_non_null(find_line(&ls, "TRANSITION none in progress"));
	assert_null(find_line(&ls, "BLOCKERS"));
	/* Keys on empty panels do nothing harmful. */
	view__key(&vs, 'j');
	view__key(&vs, '\n');
	view__key(&vs, '\t');
	view__key(&vs, '\n');
	assert_int_equal(vs.open_tid, 0);
	assert_int_equal(vs.open_patch, -1);
	lines_free(&ls);
	view_state__free(&vs);
}

static void test_keys(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };

	make_snapshot(&s);
	view_state__init(&vs);
	vs.cursor = 1;
	view__build_frame(&s, &vs, collect, &ls);
	lines_free(&ls);
	/* Move and open in one burst of keys, without a frame in between. */
	view__key(&vs, 'j');
	view__key(&vs, '\r');
	assert_int_equal(vs.sel_tid, 41);
	assert_int_equal(vs.open_tid, 41);
	view__key(&vs, KEY_DOWN);   /* stops at the last row */
	assert_int_equal(vs.sel[PANEL_BLOCKERS], 1);
	view__key(&vs, KEY_UP);
	view__key(&vs, 'k');
	assert_int_equal(vs.sel_tid, 50);
	/* Re-sorting (by pid) keeps the cursor on its task. */
	view__key(&vs, 's');
	view__key(&vs, 's');
	view__build_frame(&s, &vs, collect, &ls);
	lines_free(&ls);
	assert_int_equal(vs.sel_tid, 50);
	assert_int_equal(vs.sel[PANEL_BLOCKERS], 1);
	/* Tab: the patches panel; Enter opens the patch's functions. */
	view__key(&vs, '\t');
	assert_int_equal(vs.focus, PANEL_PATCHES);
	view__key(&vs, '\n');
	assert_int_equal(vs.open_patch, 0);
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "klpt_target (patched yes)"));
	assert_non_null(find_line(&ls, ">klpt_lp_fix"));
	lines_free(&ls);
	view__key(&vs, 'p');
	assert_true(vs.paused);
	view__key(&vs, '?');
	assert_true(vs.help);
	view__key(&vs, 'x');        /* any key closes the help */
	assert_false(vs.help);
	assert_false(vs.quit);
	view__key(&vs, 'q');
	assert_true(vs.quit);
	view_state__free(&vs);
	snapshot__free(&s);
}

/* ---- the screen, headless ------------------------------------------------ */

struct headless {
	FILE *out, *in;
	int pipefd[2];
};

static int headless_open(struct headless *h, struct view_state *vs, const char *term)
{
	setenv("TERM", term, 1);
	setenv("LINES", "24", 1);
	setenv("COLUMNS", "80", 1);
	h->out = fopen("/dev/null", "w");
	if (!h->out || pipe(h->pipefd))
		return -1;
	h->in = fdopen(h->pipefd[0], "r");
	return view__screen_open(vs, h->out, h->in);
}

static void headless_close(struct headless *h)
{
	view__screen_close();
	fclose(h->in);
	close(h->pipefd[1]);
	fclose(h->out);
}

static int screen_find(const char *needle, char *row, size_t len)
{
	for (int y = 0; y < LINES; y++) {
		mvinnstr(y, 0, row, (int)len - 1);
		if (strstr(row, needle))
			return y;
	}
	return -1;
}

static void test_screen_80x24(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct headless h;
	char row[256];
	int y;

	make_snapshot(&s);
	view_state__init(&vs);
	if (headless_open(&h, &vs, "vt100")) {
		view_state__free(&vs);
		snapshot__free(&s);
		skip();
	}
	assert_int_equal(LINES, 24);
	assert_int_equal(COLS, 80);
	assert_false(vs.colour);  /* vt100 has no colours */
	view__draw(&s, &vs);
	y = screen_find("klpt_spin ", row, sizeof(row));
	assert_true(y > 0);
	assert_non_null(strstr(row, "running"));
	assert_int_equal(row[0], '>');   /* the cursor, visible without colour */
	assert_true(screen_find("q quit", row, sizeof(row)) == 23);

	/* Enter: verdict, check counts and the stack appear under the row. */
	view__key(&vs, '\n');
	view__draw(&s, &vs);
	assert_int_equal(screen_find("verdict: running kthread", row, sizeof(row)), y + 1);
	assert_int_equal(screen_find("checks of 50: running", row, sizeof(row)), y + 2);
	assert_int_equal(screen_find("=> klpt_spin_step+0x1d", row, sizeof(row)), y + 3);

	/* A tiny terminal still gets the selected row, never a wrapped line. */
	resizeterm(12, 40);
	view__draw(&s, &vs);
	assert_true(screen_find("klpt_spin", row, sizeof(row)) >= 0);
	view__key(&vs, '?');
	view__draw(&s, &vs);
	assert_true(screen_find("klptop keys", row, sizeof(row)) >= 0);
	headless_close(&h);
	view_state__free(&vs);
	snapshot__free(&s);
}

static void test_screen_no_color(void **state)
{
	struct view_state vs;
	struct headless h;

	view_state__init(&vs);
	unsetenv("NO_COLOR");
	if (headless_open(&h, &vs, "xterm-256color"))
		skip();
	assert_true(vs.colour);
	headless_close(&h);

	setenv("NO_COLOR", "1", 1);
	assert_int_equal(headless_open(&h, &vs, "xterm-256color"), 0);
	assert_false(vs.colour);
	headless_close(&h);
	unsetenv("NO_COLOR");

	/* TERM=dumb cannot address the cursor: the caller falls back to batch. */
	setenv("TERM", "dumb", 1);
	assert_int_equal(view__screen_open(&vs, stdout, stdin), -1);
	assert_false(view__screen_active());
	view_state__free(&vs);
}

/* With the kernel's klp lists read, each function gets its own line: which
 * version is live and how much traffic still runs the old code. */
static void test_func_routes(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct func_info *f;
	char *text;

	make_snapshot(&s);
	f = &s.patches[0].objs[0].funcs[0];
	f->walked = 1;
	f->live = 1;
	f->stack_pos = 0;
	f->routed = 1;
	f->calls_per_s = 10900;
	f->new_per_s = 0;
	batch_state(&vs, 0);
	text = batch_text(&s, &vs);
	assert_non_null(strstr(text, "klpt_spin_step,1 live  calls 10900/s  new 0/s  old code 10900/s"));
	free(text);
	view_state__free(&vs);
	snapshot__free(&s);
}

/* Batch frames list the longest-blocked tasks up to a cap and say how many
 * were left out, so 10 000 pending tasks do not cost a core per frame. */
static void test_batch_row_cap(void **state)
{
	struct snapshot s;
	struct view_state vs;
	char *text;

	make_snapshot(&s);
	batch_state(&vs, 0);
	vs.max_rows = 1;
	vs.sort = SORT_BLOCKED;
	text = batch_text(&s, &vs);
	assert_non_null(strstr(text, "1 more groups not shown"));
	free(text);
	view_state__free(&vs);
	snapshot__free(&s);
}

/* A replayed frame says where in the recording it is; the replay's keys
 * do not take the view's (j, k, s, Enter) and yield to an open help. */
static void test_replay_line_and_keys(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct view_replay vr = {
		.name = "incident.klp", .index = 11, .count = 57, .offset_ns = 65 * SEC,
		.playing = 0, .speed_exp = -1,
		.problem = "recording cut or damaged (truncated at byte 100): replaying the 57 "
			   "snapshots before it",
	};
	struct lines ls = { 0 };

	make_snapshot(&s);
	vr.wall_ns = s.taken_ns;
	batch_state(&vs, 0);
	vs.replay = &vr;
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "replay [paused 1/2x]  snapshot 12/57  +1m05s  2024-05-0"));
	assert_non_null(find_line(&ls, "  incident.klp"));
	assert_non_null(find_line(&ls, "recording: recording cut or damaged (truncated at byte 100)"));
	lines_free(&ls);
	vr.batch = 1;
	vr.index = 56;
	view__build_frame(&s, &vs, collect, &ls);
	assert_non_null(find_line(&ls, "replay  snapshot 57/57  +1m05s  "));
	lines_free(&ls);

	assert_int_equal(view__replay_key(&vs, 'p'), VIEW_RKEY_PAUSE);
	assert_int_equal(view__replay_key(&vs, KEY_RIGHT), VIEW_RKEY_NEXT);
	assert_int_equal(view__replay_key(&vs, ','), VIEW_RKEY_PREV);
	assert_int_equal(view__replay_key(&vs, '<'), VIEW_RKEY_START);
	assert_int_equal(view__replay_key(&vs, '>'), VIEW_RKEY_END);
	assert_int_equal(view__replay_key(&vs, '+'), VIEW_RKEY_FASTER);
	assert_int_equal(view__replay_key(&vs, '-'), VIEW_RKEY_SLOWER);
	assert_int_equal(view__replay_key(&vs, 'j'), VIEW_RKEY_NONE);
	assert_int_equal(view__replay_key(&vs, 's'), VIEW_RKEY_NONE);
	vs.help = 1;
	assert_int_equal(view__replay_key(&vs, 'p'), VIEW_RKEY_NONE);
	vs.help = 0;
	vs.replay = NULL;   /* live: p is the view's pause */
	assert_int_equal(view__replay_key(&vs, 'p'), VIEW_RKEY_NONE);
	view_state__free(&vs);
	snapshot__free(&s);
}

/* What the transition costs: the rounds the probes timed and how many tasks
 * each phase switched, under the counts by how; nothing before a round. */
static void test_transition_cost(void **state)
{
	struct snapshot s;
	struct view_state vs;
	struct lines ls = { 0 };
	struct transition_cost *c;
	const char *l;

	make_snapshot(&s);
	batch_state(&vs, 0);
	view__build_frame(&s, &vs, collect, &ls);
	assert_null(find_line(&ls, "  cost: "));
	assert_null(find_line(&ls, "  phases: "));
	lines_free(&ls);

	c = &s.transition->cost;
	transition_cost__init(c, 1);
	transition_cost__round(c, 1, 10 * SEC, 120000, 200, 150, 9 * SEC);
	transition_cost__round(c, 2, 11 * SEC, 2500000, 50, 40, 9 * SEC);
	transition_cost__round(c, 3, 12 * SEC, 90000, 10, 0, 9 * SEC);
	transition_cost__blocker_switched(c, SWITCH_USER_EXIT, 25 * SEC, 9 * SEC, 1);
	view__build_frame(&s, &vs, collect, &ls);
	l = find_line(&ls, "  cost: ");
	assert_non_null(l);
	assert_string_equal(l, "  cost: 3 rounds timed: mean 903us, max 2.5ms (round 2, 50 tasks), "
			       "last 90us");
	l = find_line(&ls, "  phases: ");
	assert_non_null(l);
	assert_string_equal(l, "  phases: 150 by the first round's check, 40 by later checks; of the "
			       "tasks that failed a check: 1 switched (1 after a signal round), 0 exited");
	/* Details, not alerts: they give way on a short terminal. */
	for (int i = 0; i < ls.n; i++)
		if (strstr(ls.text[i], "  cost: "))
			assert_int_equal(ls.panel[i], PANEL_TRANSITION);
	lines_free(&ls);
	view_state__free(&vs);
	snapshot__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_cost),
		cmocka_unit_test(test_replay_line_and_keys),
		cmocka_unit_test(test_batch_frame),
		cmocka_unit_test(test_func_routes),
		cmocka_unit_test(test_batch_row_cap),
		cmocka_unit_test(test_unknowns_show_dash),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_stack_marks_blocking_frame),
		cmocka_unit_test(test_never_switch_details),
		cmocka_unit_test(test_oncpu_stack_and_history),
		cmocka_unit_test(test_fits_width),
		cmocka_unit_test(test_no_transition),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_screen_80x24),
		cmocka_unit_test(test_screen_no_color),
	};

	/* Frames print local time; make it the same everywhere. */
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
