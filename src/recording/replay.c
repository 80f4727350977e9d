// SPDX-License-Identifier: GPL-2.0
/*
 * Replaying a recording through the live view (recording/replay.h): the
 * frames are its snapshots, completed by what the events had said by then.
 */
#include "recording/replay.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

/* ---- the recording ------------------------------------------------------- */

struct collect {
	struct replay *rp;
	struct report model;
	size_t capfacts;
};

static void collect_event(void *ctx, const struct rec_event *e, const struct rec_dict *d)
{
	report__event(&((struct collect *)ctx)->model, e, d);
}

/* At each snapshot, what the events had said by then. */
static void collect_snapshot(void *ctx, size_t index, uint64_t mono_ns, struct snapshot *s)
{
	struct collect *c = ctx;

	report__snapshot(&c->model, index, mono_ns, s);
	grow_array((void **)&c->rp->facts, &c->capfacts, index, sizeof(*c->rp->facts));
	report__facts(&c->model, &c->rp->facts[index]);
}

static void walk(struct replay *rp)
{
	static const struct recording_visitor v = {
		.event = collect_event, .snapshot = collect_snapshot,
	};
	struct collect c = { .rp = rp };

	report__init(&c.model, &rp->rec);
	recording__walk(&rp->rec, &v, &c);
	report__free(&c.model);
}

/* "truncated at byte 18342: reporting ..." -> "truncated at byte 18342". */
static void describe_stop(struct replay *rp)
{
	const struct recording *r = &rp->rec;
	char why[sizeof(r->problem)];
	char *cut;

	copy_str(why, sizeof(why), r->problem);
	cut = strstr(why, ": ");
	if (cut)
		*cut = '\0';
	if (r->cut)
		snprintf(rp->problem, sizeof(rp->problem),
			 "recording cut or damaged (%s): replaying the %zu snapshots before it",
			 why, r->nsnaps);
	else if (!r->complete)
		snprintf(rp->problem, sizeof(rp->problem),
			 "recording has no end marker (the recorder was interrupted): "
			 "replaying its %zu snapshots", r->nsnaps);
}

static int replay__start(struct replay *rp, int rc)
{
	const struct recording *r = &rp->rec;

	rp->playing = 1;
	if (rc != EXIT_OK)
		return rc;
	walk(rp);
	describe_stop(rp);
	if (!r->nsnaps) {
		p_err("replay: %s has no snapshot to show (%llu chunks read%s%s%s)", r->name,
		      (unsigned long long)r->chunks, r->bad_snaps ? ", snapshots undecodable" : "",
		      r->cut ? "; " : "", r->cut ? r->problem : "");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int replay__open_mem(struct replay *rp, const char *name, const void *buf, size_t len)
{
	memset(rp, 0, sizeof(*rp));
	return replay__start(rp, recording__open_mem(&rp->rec, "replay", name, buf, len));
}

int replay__open(struct replay *rp, const char *path)
{
	memset(rp, 0, sizeof(*rp));
	return replay__start(rp, recording__open(&rp->rec, "replay", path));
}

void replay__close(struct replay *rp)
{
	recording__close(&rp->rec);
	free(rp->facts);
	memset(rp, 0, sizeof(*rp));
}

int replay__fill(const struct replay *rp, size_t i, struct snapshot *s)
{
	const struct recording *r = &rp->rec;

	if (recording__snapshot(r, i, s))
		return -1;
	report_facts__apply(&rp->facts[i], r->snaps[i].mono_ns, s);
	if (r->bad_snaps)
		snapshot__warn(s, "%zu snapshots of this recording could not be decoded and are "
			       "skipped", r->bad_snaps);
	return 0;
}

uint64_t replay__offset_ns(const struct replay *rp, size_t i)
{
	const struct recording *r = &rp->rec;
	uint64_t t0 = r->start_mono_ns && r->start_mono_ns <= r->snaps[0].mono_ns
			      ? r->start_mono_ns : r->snaps[0].mono_ns;

	if (i >= r->nsnaps || r->snaps[i].mono_ns < t0)
		return 0;
	return r->snaps[i].mono_ns - t0;
}

/* ---- playback ------------------------------------------------------------ */

#define REPLAY_MAX_GAP_NS (86400ull * 1000000000ull)

int replay__act(struct replay *rp, enum replay_action a)
{
	size_t was = rp->cur, last = rp->rec.nsnaps ? rp->rec.nsnaps - 1 : 0;

	switch (a) {
	case REPLAY_PAUSE:
		/* Play at the end starts over, as a player does. */
		if (!rp->playing && rp->cur == last && last > 0)
			rp->cur = 0;
		rp->playing = !rp->playing;
		break;
	case REPLAY_NEXT:
		rp->playing = 0;
		if (rp->cur < last)
			rp->cur++;
		break;
	case REPLAY_PREV:
		rp->playing = 0;
		if (rp->cur > 0)
			rp->cur--;
		break;
	case REPLAY_START:
		rp->playing = 0;
		rp->cur = 0;
		break;
	case REPLAY_END:
		rp->playing = 0;
		rp->cur = last;
		break;
	case REPLAY_FASTER:
		if (rp->speed_exp < REPLAY_SPEED_MAX)
			rp->speed_exp++;
		break;
	case REPLAY_SLOWER:
		if (rp->speed_exp > REPLAY_SPEED_MIN)
			rp->speed_exp--;
		break;
	case REPLAY_ADVANCE:
		if (rp->playing && rp->cur < last)
			rp->cur++;
		if (rp->cur == last)
			rp->playing = 0;
		break;
	case REPLAY_NONE:
		break;
	}
	return rp->cur != was;
}

uint64_t replay__due_ns(const struct replay *rp)
{
	uint64_t gap;

	if (!rp->playing || rp->cur + 1 >= rp->rec.nsnaps)
		return UINT64_MAX;
	gap = rp->rec.snaps[rp->cur + 1].mono_ns > rp->rec.snaps[rp->cur].mono_ns
		      ? rp->rec.snaps[rp->cur + 1].mono_ns - rp->rec.snaps[rp->cur].mono_ns : 0;
	/* A damaged clock must not overflow the shift below. */
	if (gap > REPLAY_MAX_GAP_NS)
		gap = REPLAY_MAX_GAP_NS;
	if (rp->speed_exp >= 0)
		gap >>= rp->speed_exp;
	else
		gap <<= -rp->speed_exp;
	return gap ? gap : 1;
}
