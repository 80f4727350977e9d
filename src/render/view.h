/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live view: one frame built from one struct snapshot, drawn either on an
 * ncurses screen or as plain text (--batch). Both go through
 * view__build_frame(), so the screen and the batch output cannot drift. This
 * is the only ncurses user in klptop; the snapshot may come from the live
 * sampler or, later, from a recording.
 */
#ifndef KLPTOP_VIEW_H
#define KLPTOP_VIEW_H

#include <stdio.h>

#include "model/model.h"

enum view_panel {
	PANEL_HEADER,
	PANEL_PATCHES,
	PANEL_TRANSITION,
	PANEL_HISTORY,     /* transitions that ended while klptop watched */
	PANEL_BLOCKERS,
	PANEL_SHADOWS,     /* only when the shadow probes run (klptop shadow) */
	PANEL_COUNT,
};

/* Blocker group order; 's' cycles through them. */
enum view_sort {
	SORT_SIZE,      /* largest group first */
	SORT_BLOCKED,   /* longest blocked first */
	SORT_PID,
	SORT_COMM,
	SORT_REASON,
	SORT_COUNT,
};

enum line_kind {
	LINE_TEXT,      /* plain information */
	LINE_TITLE,     /* a panel's title */
	LINE_COLUMNS,   /* column headings */
	LINE_ROW,       /* one patch or one blocker group: what the cursor selects */
	LINE_DETAIL,    /* below a row: its stack, functions or verdict text */
	LINE_MARKED,    /* a stack frame that blocks the transition */
	LINE_WARNING,
};

struct view_line {
	enum view_panel panel;
	enum line_kind kind;
	int item;       /* the row (patch or blocker) this line belongs to; -1 none */
	int selected;   /* the cursor is on this row */
	int alert;      /* needs the operator: stuck, forced, missing probes */
	const char *text;  /* already cut to the frame's width; printable ASCII */
};

typedef void (*view_emit_fn)(void *ctx, const struct view_line *line);

/* What the frame says about a replay (klptop --replay): which snapshot of how
 * many, when it was taken, and how the playback goes. */
struct view_replay {
	const char *name;          /* the recording */
	size_t index, count;       /* snapshot shown (0-based), snapshots in all */
	uint64_t offset_ns;        /* since the recording started */
	uint64_t wall_ns;          /* CLOCK_REALTIME when it was taken; 0 unknown */
	int batch;                 /* no playback state to show */
	int playing;
	int speed_exp;             /* speed 2^speed_exp */
	const char *problem;       /* cut or damaged recording; NULL when clean */
};

/* Keys of the replay, on top of the view's own (see docs/live-view.md). */
enum view_replay_key {
	VIEW_RKEY_NONE,
	VIEW_RKEY_PAUSE,
	VIEW_RKEY_NEXT,
	VIEW_RKEY_PREV,
	VIEW_RKEY_START,
	VIEW_RKEY_END,
	VIEW_RKEY_FASTER,
	VIEW_RKEY_SLOWER,
};

struct view_state {
	enum view_sort sort;
	enum view_panel focus;     /* PANEL_PATCHES or PANEL_BLOCKERS */
	int cursor;                /* draw a cursor (the screen) or not (batch) */
	int expand_all;            /* batch: every stack and every patch's functions */
	int max_rows;              /* blocker group rows per frame, 0 = all */
	int with_stacks;           /* stacks are shown at all */
	int width;                 /* columns every line must fit in; 0: no limit */
	int sel[PANEL_COUNT];      /* selected row per panel */
	int sel_tid;               /* keeps the cursor on one group (its representative's
				    * tid) across refreshes */
	int open_tid;              /* group whose details are open (likewise); 0: none */
	int open_patch;            /* patch whose functions are open; -1: none */
	int paused;
	const struct view_replay *replay;  /* set while replaying a recording */
	int help;
	int quit;
	/* Filled by the last view__build_frame(), for moving the cursor. */
	int nrows[PANEL_COUNT];
	int *row_tids;             /* groups' representatives' tids in display order */
	size_t row_tids_cap;
	/* Screen only. */
	int top[PANEL_COUNT];      /* first visible body line per scrolling panel */
	int colour;
};

void view_state__init(struct view_state *vs);
void view_state__free(struct view_state *vs);
const char *view_sort__name(enum view_sort s);

/* Emit every line of one frame, top to bottom. Updates the selection
 * bookkeeping in vs (nrows, sel, sel_tid), nothing else. */
void view__build_frame(const struct snapshot *s, struct view_state *vs, view_emit_fn emit,
		       void *ctx);
/* "=== klptop 2024-05-01T12:00:00+0200 ===" then the frame, to f.
 * Returns 0 or -errno when f cannot be written (a closed pipe). */
int view__print_batch(const struct snapshot *s, struct view_state *vs, FILE *f);

/* Keys. Pure state changes so they are testable without a terminal; ncurses
 * key codes (KEY_UP, ...) are accepted. Returns 1 when a redraw is needed. */
int view__key(struct view_state *vs, int key);
/* The replay's meaning of a key (ncurses codes accepted), or VIEW_RKEY_NONE
 * when it is one of the view's keys. Keys go to view__key while the help is
 * open. */
enum view_replay_key view__replay_key(const struct view_state *vs, int key);

/* The ncurses screen. view__screen_open() returns 0, or -1 when the terminal
 * cannot do it (the caller falls back to batch). */
int view__screen_open(struct view_state *vs, FILE *out, FILE *in);
void view__screen_close(void);
int view__screen_active(void);
/* Draw one frame of s (from wherever it came) on the screen. */
void view__draw(const struct snapshot *s, struct view_state *vs);
/* The terminal changed size: learn the new one and redraw on the next draw. */
void view__screen_resize(void);
/* Read a pending key: ERR (-1) when none. */
int view__screen_getkey(void);

#endif
