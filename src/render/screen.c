// SPDX-License-Identifier: GPL-2.0
/*
 * The live view's ncurses screen: the lines view__build_frame() builds,
 * laid out in panels that scroll (the focused one gets the rows it needs),
 * with colours, a footer and the help overlay. Nothing here decides what
 * is shown; view.c does, for this screen and for --batch alike.
 */
#include "render/view.h"
#include "lib/util.h"

#include <curses.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum colour_pair {
	PAIR_ALERT = 1,
	PAIR_MARKED,
	PAIR_WARNING,
	PAIR_TITLE,
};

static SCREEN *screen;
static int screen_out_fd = -1;

struct screen_lines {
	struct view_line *v;
	size_t n, cap;
};

static void collect_line(void *ctx, const struct view_line *l)
{
	struct screen_lines *sl = ctx;

	grow_array((void **)&sl->v, &sl->cap, sl->n, sizeof(*sl->v));
	sl->v[sl->n] = *l;
	sl->v[sl->n].text = xstrdup(l->text);
	sl->n++;
}

static void free_lines(struct screen_lines *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		free((char *)sl->v[i].text);
	free(sl->v);
}

/* Lines of the two scrolling panels' bodies: rows and what opens below them. */
static int is_body(const struct view_line *l)
{
	return l->item >= 0 && (l->panel == PANEL_PATCHES || l->panel == PANEL_BLOCKERS);
}

static int want_colour(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (!term || !strcmp(term, "dumb"))
		return 0;
	return has_colors();
}

static void setup_colours(struct view_state *vs)
{
	vs->colour = want_colour();
	if (!vs->colour)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_ALERT, COLOR_RED, -1);
	init_pair(PAIR_MARKED, COLOR_RED, -1);
	init_pair(PAIR_WARNING, COLOR_YELLOW, -1);
	init_pair(PAIR_TITLE, COLOR_CYAN, -1);
}

int view__screen_open(struct view_state *vs, FILE *out, FILE *in)
{
	const char *term = getenv("TERM");

	/* A dumb terminal cannot address the cursor: batch output suits it. */
	if (!term || !*term || !strcmp(term, "dumb"))
		return -1;
	screen = newterm(NULL, out, in);
	if (!screen)
		return -1;
	screen_out_fd = fileno(out);
	set_term(screen);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	setup_colours(vs);
	vs->cursor = 1;
	return 0;
}

void view__screen_close(void)
{
	if (!screen)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
	screen_out_fd = -1;
}

int view__screen_active(void)
{
	return screen != NULL;
}

void view__screen_resize(void)
{
	struct winsize ws;

	if (!screen)
		return;
	/* resizeterm() queues a KEY_RESIZE for getch(): calling it again for
	 * that key, at the same size, would queue another, forever. */
	if (screen_out_fd >= 0 && !ioctl(screen_out_fd, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col &&
	    is_term_resized(ws.ws_row, ws.ws_col))
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

int view__screen_getkey(void)
{
	return screen ? getch() : ERR;
}

static attr_t line_attr(const struct view_state *vs, const struct view_line *l)
{
	attr_t a = A_NORMAL;

	if (l->kind == LINE_TITLE) {
		a |= A_BOLD;
		if (vs->colour)
			a |= COLOR_PAIR(PAIR_TITLE);
	}
	if (l->kind == LINE_MARKED)
		a |= A_BOLD | (vs->colour ? COLOR_PAIR(PAIR_MARKED) : 0);
	if (l->kind == LINE_WARNING && vs->colour)
		a |= COLOR_PAIR(PAIR_WARNING);
	if (l->alert && vs->colour)
		a |= COLOR_PAIR(PAIR_ALERT);
	if (l->alert && l->kind == LINE_ROW)
		a |= A_BOLD;
	if (l->selected)
		a |= A_REVERSE;
	return a;
}

static void put_line(const struct view_state *vs, int y, const struct view_line *l)
{
	int cols = COLS;

	attrset(line_attr(vs, l));
	mvaddnstr(y, 0, l->text, cols);
	/* A selected row is reversed across the whole width, like top. */
	if (l->selected) {
		int len = (int)strlen(l->text);

		for (int x = len; x < cols; x++)
			mvaddch(y, x, ' ');
	}
	attrset(A_NORMAL);
}

struct panel_window {
	int nbody;      /* body lines the frame has */
	int height;     /* body lines that fit */
	int sel_first, sel_last;  /* body lines of the selected row */
};

static void measure_panel(const struct screen_lines *sl, const struct view_state *vs,
			  enum view_panel p, struct panel_window *w)
{
	memset(w, 0, sizeof(*w));
	w->sel_first = -1;
	for (size_t i = 0; i < sl->n; i++) {
		const struct view_line *l = &sl->v[i];

		if (l->panel != p || !is_body(l))
			continue;
		if (l->item == vs->sel[p]) {
			if (w->sel_first < 0)
				w->sel_first = w->nbody;
			w->sel_last = w->nbody;
		}
		w->nbody++;
	}
	if (w->sel_first < 0)
		w->sel_first = w->sel_last = 0;
}

/*
 * Share the rows left after the fixed lines between the two scrolling
 * panels: the panel without focus keeps a few rows, the focused one gets the
 * rest, and whatever one does not need goes to the other.
 */
static void share_rows(struct panel_window *focused, struct panel_window *other, int avail)
{
	int need = focused->nbody + other->nbody;

	if (avail <= 0) {
		focused->height = other->height = 0;
		return;
	}
	if (need <= avail) {
		focused->height = focused->nbody;
		other->height = other->nbody;
		return;
	}
	other->height = min_int(other->nbody, max_int(2, avail / 4));
	other->height = min_int(other->height, avail);
	/* A short terminal: the focused panel's first rows come first. */
	if (avail - other->height < min_int(focused->nbody, 3))
		other->height = max_int(0, avail - min_int(focused->nbody, 3));
	focused->height = min_int(focused->nbody, avail - other->height);
	other->height = min_int(other->nbody, avail - focused->height);
}

/* Scroll so that the selected row, and as much of its detail as fits, shows. */
static int scroll_to_selection(int top, const struct panel_window *w)
{
	if (w->height <= 0)
		return 0;
	if (w->sel_last >= top + w->height)
		top = w->sel_last - w->height + 1;
	if (w->sel_first < top || w->sel_last - w->sel_first >= w->height)
		top = w->sel_first;
	if (top > w->nbody - w->height)
		top = w->nbody - w->height;
	return top < 0 ? 0 : top;
}

static void draw_footer(const struct view_state *vs)
{
	char buf[256];

	if (vs->replay)
		snprintf(buf, sizeof(buf),
			 " q quit  p play/pause  ,/. step  </> start/end  +/- speed  ? help");
	else
		snprintf(buf, sizeof(buf),
			 " q quit  j/k move  Enter stack  Tab panel  s sort  p pause  ? help%s",
			 vs->paused ? "  PAUSED" : "");
	attrset(A_REVERSE);
	/* Not the last column: some terminals scroll when it is written. */
	mvaddnstr(LINES - 1, 0, buf, COLS - 1);
	for (int x = (int)strlen(buf); x < COLS - 1; x++)
		mvaddch(LINES - 1, x, ' ');
	attrset(A_NORMAL);
}

static const char *const help_text[] = {
	"klptop keys",
	"",
	"  q          quit",
	"  j k, arrows move the cursor",
	"  PgUp PgDn  move by 10; g G first, last",
	"  Enter      open/close the task's stack",
	"             (or the patch's functions)",
	"  Tab        switch panel: patches, blockers",
	"  s          sort: blocked time, pid, comm,",
	"             reason",
	"  p          pause/resume refresh",
	"  ?          this help (any key closes)",
	"",
	"  => marks frames that block the transition",
};

static const char *const replay_help_text[] = {
	"klptop --replay keys",
	"",
	"  p          play / pause",
	"  . n Right  next snapshot (pauses)",
	"  , b Left   previous snapshot (pauses)",
	"  < >        first, last snapshot",
	"  + -        faster, slower (1/8x to 64x)",
	"  q          quit",
	"  j k, Enter, Tab, s: as in the live view",
	"",
	"  => marks frames that block the transition",
};

static void draw_help(const struct view_state *vs)
{
	const char *const *text = vs->replay ? replay_help_text : help_text;
	int n = vs->replay ? (int)ARRAY_SIZE(replay_help_text) : (int)ARRAY_SIZE(help_text);
	int w = 48;
	int h = n + 2, y0, x0;

	w = min_int(w, COLS);
	h = min_int(h, LINES);
	y0 = max_int(0, (LINES - h) / 2);
	x0 = max_int(0, (COLS - w) / 2);
	for (int y = 0; y < h; y++) {
		const char *line = y > 0 && y <= n ? text[y - 1] : "";
		int border = y == 0 || y == h - 1;

		attrset(border ? A_REVERSE : A_NORMAL);
		for (int x = 0; x < w; x++)
			mvaddch(y0 + y, x0 + x, border ? ' ' : x == 0 || x == w - 1 ? '|' : ' ');
		if (!border && w > 4)
			mvaddnstr(y0 + y, x0 + 2, line, w - 4);
	}
	attrset(A_NORMAL);
}

/*
 * Which fixed lines give way on a short terminal, so that the focused
 * panel keeps a few rows: first the Shadows panel and the transitions that
 * already ended, then the running transition's details (rounds, how tasks
 * switched) but not its progress bar or alerts (verdict, holdouts), then
 * the header's notes and warnings. 0: never.
 */
static int drop_rank(const struct view_line *l, int is_bar)
{
	if (is_body(l))
		return 0;
	if (l->panel == PANEL_SHADOWS || l->panel == PANEL_HISTORY)
		return 3;
	if (l->kind == LINE_TITLE || l->kind == LINE_COLUMNS || is_bar)
		return 0;
	if (l->panel == PANEL_TRANSITION && !l->alert)
		return 2;
	if (l->panel == PANEL_HEADER && l->kind == LINE_WARNING)
		return 1;
	return 0;
}

/* Hide up to deficit droppable lines, least wanted first, from the bottom.
 * Returns how many were hidden. */
static int make_room(const struct screen_lines *sl, char *hidden, int deficit)
{
	size_t bar = sl->n;
	int dropped = 0;

	for (size_t i = 0; i + 1 < sl->n; i++) {
		if (sl->v[i].panel == PANEL_TRANSITION && sl->v[i].kind == LINE_TITLE) {
			bar = i + 1;
			break;
		}
	}
	for (int rank = 3; rank >= 1 && dropped < deficit; rank--)
		for (size_t i = sl->n; i-- > 0 && dropped < deficit;)
			if (!hidden[i] && drop_rank(&sl->v[i], i == bar) == rank) {
				hidden[i] = 1;
				dropped++;
			}
	return dropped;
}

void view__draw(const struct snapshot *s, struct view_state *vs)
{
	struct screen_lines sl = { 0 };
	struct panel_window pw[PANEL_COUNT] = { 0 };
	enum view_panel other;
	int fixed = 0, y = 0, body_seen[PANEL_COUNT] = { 0 };
	int rows = LINES - 1; /* the footer */
	char *hidden;

	if (!screen)
		return;
	vs->width = COLS;
	view__build_frame(s, vs, collect_line, &sl);
	hidden = xcalloc(sl.n ? sl.n : 1, 1);
	for (size_t i = 0; i < sl.n; i++)
		fixed += !is_body(&sl.v[i]);
	measure_panel(&sl, vs, PANEL_PATCHES, &pw[PANEL_PATCHES]);
	measure_panel(&sl, vs, PANEL_BLOCKERS, &pw[PANEL_BLOCKERS]);
	other = vs->focus == PANEL_PATCHES ? PANEL_BLOCKERS : PANEL_PATCHES;
	/* The focused panel keeps at least three rows (or all it has). */
	fixed -= make_room(&sl, hidden, min_int(pw[vs->focus].nbody, 3) - (rows - fixed));
	share_rows(&pw[vs->focus], &pw[other], rows - fixed);
	vs->top[PANEL_PATCHES] = scroll_to_selection(vs->top[PANEL_PATCHES], &pw[PANEL_PATCHES]);
	vs->top[PANEL_BLOCKERS] = scroll_to_selection(vs->top[PANEL_BLOCKERS], &pw[PANEL_BLOCKERS]);

	erase();
	for (size_t i = 0; i < sl.n && y < rows; i++) {
		const struct view_line *l = &sl.v[i];

		if (hidden[i])
			continue;
		if (is_body(l)) {
			int k = body_seen[l->panel]++;

			if (k < vs->top[l->panel] || k >= vs->top[l->panel] + pw[l->panel].height)
				continue;
		}
		put_line(vs, y++, l);
	}
	draw_footer(vs);
	if (vs->help)
		draw_help(vs);
	refresh();
	free(hidden);
	free_lines(&sl);
}
