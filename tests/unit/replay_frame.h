/* SPDX-License-Identifier: GPL-2.0 */
/* One frame of a replay as `klptop --replay FILE --batch` prints it, for
 * the tests that read frames (include after cmocka.h). */
#ifndef KLPTOP_TEST_REPLAY_FRAME_H
#define KLPTOP_TEST_REPLAY_FRAME_H

#include <stdio.h>

#include "recording/replay.h"
#include "render/view.h"

/* Snapshot i of rp, every detail open; with_line: and the replay line. */
static inline char *replay_frame(struct replay *rp, size_t i, int with_line)
{
	struct view_replay vr = { .name = rp->rec.name, .index = i, .count = rp->rec.nsnaps,
				  .batch = 1 };
	struct snapshot s;
	struct view_state vs;
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
	vs.replay = with_line ? &vr : NULL;
	assert_int_equal(view__print_batch(&s, &vs, f), 0);
	fclose(f);
	view_state__free(&vs);
	snapshot__free(&s);
	return buf;
}

#endif
