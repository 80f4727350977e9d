/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klptop --replay FILE: the live view's model filled from a recording's
 * snapshot chunks instead of the live kernel. A snapshot chunk holds the
 * `klptop status --json` object (docs/json.md); snapshot__from_json() turns
 * it back into the struct snapshot that view.c draws, so a replayed frame is
 * drawn by exactly the code that drew it live. Only the reader API of
 * recfile.h is used (header, snapshot and end chunks).
 */
#ifndef KLPTOP_REPLAY_H
#define KLPTOP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "model/model.h"
#include "recording/recfile.h"

/* Fill s (initialised by snapshot__init) from one status JSON object.
 * Unknown keys are ignored and missing or mistyped ones read as unknown,
 * as docs/json.md promises readers. Times that the JSON only gives as
 * durations (transition elapsed, history durations) become start/end pairs
 * whose difference is the duration: only the difference means anything.
 * Returns 0, or -1 when o is not an object (err says why). */
int snapshot__from_json(struct snapshot *s, json_object *o, char *err, size_t errlen);

struct replay_snap {
	uint64_t mono_ns;          /* CLOCK_MONOTONIC of the recorder */
	struct rec_chunk chunk;    /* points into replay.buf */
};

/* Speeds are powers of two: 1/8x .. 64x. */
#define REPLAY_SPEED_MIN (-3)
#define REPLAY_SPEED_MAX 6

struct replay {
	char *name;                /* the file as given, for messages */
	void *buf;                 /* the whole file; chunks point into it */
	size_t len;
	int own_buf;
	struct replay_snap *snaps;
	size_t nsnaps, capsnaps;
	size_t bad_snaps;          /* snapshot chunks that did not decode */
	uint64_t start_mono_ns;    /* from the header chunk; 0 unknown */
	uint64_t start_real_ns;
	char problem[320];         /* cut, damaged or interrupted: said on every frame */
	/* Playback. */
	size_t cur;                /* the snapshot shown */
	int playing;
	int speed_exp;             /* speed is 2^speed_exp */
};

/* Read a recording. Returns 0 or an EXIT_* code after saying why (not a
 * recording, no snapshot at all, unreadable). A cut or damaged file is not
 * an error: its good part is replayed and rp->problem says where it ends. */
int replay__open(struct replay *rp, const char *path);
/* The same from memory (tests); buf must outlive rp. */
int replay__open_mem(struct replay *rp, const char *name, const void *buf, size_t len);
void replay__close(struct replay *rp);

/* Fill s (snapshot__init'ed) from snapshot i. Returns 0 or -1. */
int replay__fill(const struct replay *rp, size_t i, struct snapshot *s);
/* Since the start of the recording (its header), or the first snapshot. */
uint64_t replay__offset_ns(const struct replay *rp, size_t i);

enum replay_action {
	REPLAY_NONE,
	REPLAY_PAUSE,      /* pause / resume */
	REPLAY_NEXT,       /* one snapshot on (pauses) */
	REPLAY_PREV,       /* one snapshot back (pauses) */
	REPLAY_START,      /* the first snapshot (pauses) */
	REPLAY_END,        /* the last snapshot */
	REPLAY_FASTER,
	REPLAY_SLOWER,
	REPLAY_ADVANCE,    /* the timer: the next snapshot is due while playing */
};

/* Apply one action. Returns 1 when the snapshot shown changed. */
int replay__act(struct replay *rp, enum replay_action a);
/* Real time until the next snapshot is due at the current speed, or
 * UINT64_MAX when paused or at the end. */
uint64_t replay__due_ns(const struct replay *rp);

#endif
