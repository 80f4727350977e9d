/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klptop --replay FILE: the live view's model filled from a recording
 * instead of the live kernel. The recording is read by the one reader
 * (recording.h) and walked once through the report model, which keeps at
 * each snapshot what the events had said by then: a frame is the snapshot
 * (the `klptop status --json` object, back in the model) completed by the
 * events, drawn by exactly the code that drew it live, and it tells what
 * `klptop report` tells of the same moment.
 */
#ifndef KLPTOP_REPLAY_H
#define KLPTOP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "recording/recording.h"
#include "recording/report_model.h"

/* Speeds are powers of two: 1/8x .. 64x. */
#define REPLAY_SPEED_MIN (-3)
#define REPLAY_SPEED_MAX 6

struct replay {
	struct recording rec;      /* its snaps[] are the frames */
	struct report_facts *facts;  /* per snapshot: what the events had said by then */
	char problem[320];         /* cut, damaged or interrupted: said on every frame */
	/* Playback. */
	size_t cur;                /* the snapshot shown */
	int playing;
	int speed_exp;             /* speed is 2^speed_exp */
};

/* Read a recording ("-": stdin). Returns 0 or an EXIT_* code after saying
 * why (not a recording, no snapshot at all, unreadable). A cut or damaged
 * file is not an error: its good part is replayed and rp->problem says
 * where it ends. */
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
