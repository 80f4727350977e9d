// SPDX-License-Identifier: GPL-2.0
/* The one reader of recordings (recording/recording.h). */
#include "recording/recording.h"
#include "recording/snapshot_json.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

const char *recording__header_str(const struct recording *r, const char *key)
{
	return jstr(r->header, key);
}

double recording__rel_s(const struct recording *r, uint64_t ts)
{
	uint64_t t0 = r->start_mono_ns;

	return ts >= t0 ? (double)(ts - t0) / 1e9 : -(double)(t0 - ts) / 1e9;
}

/* ---- opening: the whole file, and what its JSON chunks say ----------------- */

/* A JSON chunk that holds an object replaces *dst; anything else is damage. */
static int keep_json(json_object **dst, const struct rec_chunk *c)
{
	json_object *o = recfile__chunk_json(c);

	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	json_object_put(*dst);
	*dst = o;
	return 0;
}

/* A second metadata chunk with a "trigger" is the flight recorder's. */
static int keep_metadata(struct recording *r, const struct rec_chunk *c)
{
	json_object *m = NULL;

	if (keep_json(&m, c))
		return -1;
	if (json_object_object_get_ex(m, "trigger", NULL)) {
		json_object_put(r->trigger);
		r->trigger = m;
	} else {
		json_object_put(r->meta);
		r->meta = m;
	}
	return 0;
}

/* The first pass: chunk boundaries and CRCs, the JSON chunks, byte counts,
 * and where (and whether) the file stops short. */
static void index_chunks(struct recording *r, struct rec_reader *rd)
{
	struct rec_chunk c;
	int bad;

	while (recfile__next(rd, &c) == 1) {
		r->type_bytes[c.type] += REC_CHUNK_HDR + (uint64_t)c.len;
		bad = 0;
		switch (c.type) {
		case REC_HEADER: bad = keep_json(&r->header, &c); break;
		case REC_METADATA: bad = keep_metadata(r, &c); break;
		case REC_DROPS: bad = keep_json(&r->drops, &c); break;
		case REC_END: bad = keep_json(&r->end, &c); break;
		case REC_SYMBOLS:
			for (uint32_t i = 0; i < c.len; i++)
				r->symbols += c.data[i] == '\n';
			break;
		case REC_TRANS_EVENT:
		case REC_SHADOW_EVENT:
		case REC_EVENTS:
			/* Only the BPF probes make events. */
			r->probes_seen = 1;
			break;
		default: break;
		}
		r->bad_json += bad != 0;
	}
	r->bad_payloads = r->bad_json;
	r->chunks = rd->nchunks;
	r->complete = rd->ended;
	r->cut = rd->bad;
	copy_str(r->problem, sizeof(r->problem), rd->err);
	r->start_mono_ns = (uint64_t)jint(r->header, "start_monotonic_ns");
	r->start_real_ns = (uint64_t)jint(r->header, "start_realtime_ns");
}

int recording__open_mem(struct recording *r, const char *who, const char *name, const void *buf,
			size_t len)
{
	struct rec_reader rd;

	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	r->buf = buf;
	r->len = len;
	if (recfile__open_mem(&rd, buf, len)) {
		p_err("%s: %s: %s", who, name, rd.err);
		return EXIT_ERROR;
	}
	r->version = rd.version;
	r->flags = rd.flags;
	index_chunks(r, &rd);
	return EXIT_OK;
}

/* All of stdin: a recording piped in (`klptop record -o - | klptop report -`). */
static char *read_stdin(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t got;

		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
		got = read(STDIN_FILENO, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	return buf;
}

int recording__open(struct recording *r, const char *who, const char *path)
{
	int from_stdin = !strcmp(path, "-");
	size_t len = 0;
	char *buf = from_stdin ? read_stdin(&len) : read_all(path, &len);
	int rc;

	if (!buf) {
		int e = errno;

		memset(r, 0, sizeof(*r));
		p_err("%s: cannot read %s: %s", who, from_stdin ? "the recording from stdin" : path,
		      strerror(e));
		return e == EACCES ? EXIT_PERM : EXIT_ERROR;
	}
	rc = recording__open_mem(r, who, from_stdin ? "stdin" : path, buf, len);
	r->owned = buf;
	return rc;
}

void recording__close(struct recording *r)
{
	json_object_put(r->header);
	json_object_put(r->meta);
	json_object_put(r->trigger);
	json_object_put(r->drops);
	json_object_put(r->end);
	free(r->snaps);
	free(r->name);
	free(r->owned);
	memset(r, 0, sizeof(*r));
}

/* ---- snapshots: the model, and what the file says that they do not -------- */

/* Groups whose shown task carries no verdict (a snapshot that did not
 * judge): the model's rules, and its members with it. */
static void judge_unjudged(struct snapshot *s)
{
	struct transition_info *tr = s->transition;

	for (size_t g = 0; g < tr->ngroups; g++) {
		if (tr->groups[g].rep.verdict_text)
			continue;
		blocker__judge(&tr->groups[g].rep, s);
		tr->groups[g].verdict = tr->groups[g].rep.verdict;
		tr->groups[g].never = tr->groups[g].rep.never;
		for (size_t i = 0; i < tr->ntasks; i++)
			if (tr->tasks[i].group == g) {
				tr->tasks[i].verdict = tr->groups[g].verdict;
				tr->tasks[i].never = tr->groups[g].never;
			}
	}
}

/* What a snapshot leaves unsaid, the recording says: its kernel (record
 * runs only where live patching exists), the probes that ran (the
 * metadata's, or the events themselves), and the verdicts of blockers
 * whose snapshot had none, judged by the model's own rules. */
static void complete_snapshot(const struct recording *r, json_object *o, struct snapshot *s)
{
	json_object *probes;
	const char *rel = jstr(r->header, "kernel_release");

	if (!json_object_object_get_ex(o, "kernel", NULL)) {
		if (rel)
			copy_str(s->kernel.release, sizeof(s->kernel.release), rel);
		s->kernel.livepatch = 1;
	}
	if (!json_object_object_get_ex(o, "probes", NULL)) {
		if (r->meta && json_object_object_get_ex(r->meta, "probes", &probes) &&
		    json_object_is_type(probes, json_type_object))
			s->probes.bpf = json_object_get_boolean(json_object_object_get(probes, "bpf"));
		else
			s->probes.bpf = r->probes_seen;
	}
	if (s->transition && s->probes.bpf)
		judge_unjudged(s);
}

static int decode_snapshot(const struct recording *r, const struct rec_chunk *c,
			   uint64_t *mono, struct snapshot *s)
{
	char err[128], *text;
	json_object *o;
	int rc;

	if (recfile__snapshot(c, mono, &text))
		return -1;
	o = json_tokener_parse(text);
	free(text);
	rc = snapshot__from_json(s, o, err, sizeof(err));
	if (!rc)
		complete_snapshot(r, o, s);
	json_object_put(o);
	/* A snapshot without its own wall clock: the header's, plus the offset. */
	if (!rc && !s->taken_ns && r->start_real_ns && r->start_mono_ns && *mono >= r->start_mono_ns)
		s->taken_ns = r->start_real_ns + (*mono - r->start_mono_ns);
	return rc;
}

int recording__snapshot(const struct recording *r, size_t i, struct snapshot *s)
{
	uint64_t mono;

	if (i >= r->nsnaps)
		return -1;
	return decode_snapshot(r, &r->snaps[i].chunk, &mono, s);
}

/* ---- the walk --------------------------------------------------------------- */

struct walk {
	struct recording *r;
	const struct recording_visitor *v;
	void *ctx;
	struct rec_dict *dict;
};

static void deliver_event(void *ctx, const struct rec_event *e)
{
	struct walk *w = ctx;

	if (e->kind == REC_EV_TRANSITION)
		w->r->transition_events++;
	else
		w->r->shadow_events++;
	if (w->v->event)
		w->v->event(w->ctx, e, w->dict);
}

/* Version 1: one event per chunk, the struct as delivered. */
static int v1_event(struct walk *w, const struct rec_chunk *c)
{
	struct rec_event e = { 0 };

	if (c->type == REC_TRANS_EVENT) {
		e.kind = REC_EV_TRANSITION;
		if (recfile__event(c, &e.u.t, sizeof(e.u.t)))
			return -1;
	} else {
		e.kind = REC_EV_SHADOW;
		if (recfile__event(c, &e.u.s, sizeof(e.u.s)))
			return -1;
	}
	deliver_event(w, &e);
	return 0;
}

static int walk_snapshot(struct walk *w, const struct rec_chunk *c)
{
	struct recording *r = w->r;
	struct snapshot s;
	uint64_t mono;

	snapshot__init(&s);
	if (decode_snapshot(r, c, &mono, &s)) {
		snapshot__free(&s);
		r->bad_snaps++;
		return -1;
	}
	grow_array((void **)&r->snaps, &r->capsnaps, r->nsnaps, sizeof(*r->snaps));
	r->snaps[r->nsnaps] = (struct recording_snap){ .mono_ns = mono, .chunk = *c };
	if (w->v->snapshot)
		w->v->snapshot(w->ctx, r->nsnaps, mono, &s);
	r->nsnaps++;
	snapshot__free(&s);
	return 0;
}

static void walk_trigger(struct walk *w, const struct rec_chunk *c)
{
	json_object *m = recfile__chunk_json(c);

	if (w->v->trigger && json_object_object_get_ex(m, "trigger", NULL))
		w->v->trigger(w->ctx, jstr(m, "trigger") ?: "?",
			      (uint64_t)jint(m, "monotonic_ns"));
	json_object_put(m);
}

void recording__walk(struct recording *r, const struct recording_visitor *v, void *ctx)
{
	struct walk w = { .r = r, .v = v, .ctx = ctx, .dict = recfile__dict_new() };
	struct rec_reader rd;
	struct rec_chunk c;
	int bad;

	r->nsnaps = r->bad_snaps = 0;
	r->transition_events = r->shadow_events = 0;
	r->bad_payloads = r->bad_json;
	if (recfile__open_mem(&rd, r->buf, r->len))
		goto out;
	/* The dictionaries grow in file order: a batch can only use entries
	 * defined before it. */
	while (recfile__next(&rd, &c) == 1) {
		bad = 0;
		switch (c.type) {
		case REC_TRANS_EVENT:
		case REC_SHADOW_EVENT: bad = v1_event(&w, &c); break;
		case REC_STRINGS:
		case REC_STACKS: bad = recfile__dict_add(w.dict, &c); break;
		case REC_EVENTS: bad = recfile__events(&c, w.dict, deliver_event, &w) < 0; break;
		case REC_SNAPSHOT: bad = walk_snapshot(&w, &c); break;
		case REC_METADATA: walk_trigger(&w, &c); break;
		default: break;
		}
		r->bad_payloads += bad != 0;
	}
out:
	recfile__dict_free(w.dict);
}
