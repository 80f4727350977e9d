// SPDX-License-Identifier: GPL-2.0
/* Recording files: a defensive reader (docs/trace-format.md). */
#include "recording/packed.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- reader --------------------------------------------------------------- */

int recfile__open_mem(struct rec_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	if (len < REC_FILE_HDR || memcmp(buf, REC_MAGIC, 8)) {
		snprintf(r->err, sizeof(r->err), "not a klptop recording (no KLPTREC header)");
		r->bad = 1;
		return -1;
	}
	r->version = get_le32(r->buf + 8);
	r->flags = get_le32(r->buf + 12);
	if (r->version < 1 || r->version > REC_VERSION) {
		snprintf(r->err, sizeof(r->err),
			 "recording format version %u, this klptop reads 1 to %u", r->version,
			 REC_VERSION);
		r->bad = 1;
		return -1;
	}
	r->pos = REC_FILE_HDR;
	return 0;
}

static int stop(struct rec_reader *r, const char *why)
{
	r->bad = 1;
	snprintf(r->err, sizeof(r->err), "%s at byte %zu: reporting the first %llu chunks", why,
		 r->pos, (unsigned long long)r->nchunks);
	return 0;
}

int recfile__next(struct rec_reader *r, struct rec_chunk *c)
{
	uint32_t type, len, crc;

	if (r->bad || r->ended || !r->buf)
		return 0;
	if (r->pos == r->len) {
		/* No END chunk: the recorder died (kill -9, power loss). */
		snprintf(r->err, sizeof(r->err),
			 "no end marker (recording interrupted): %llu complete chunks",
			 (unsigned long long)r->nchunks);
		return 0;
	}
	if (r->len - r->pos < REC_CHUNK_HDR)
		return stop(r, "truncated");
	type = get_le32(r->buf + r->pos);
	len = get_le32(r->buf + r->pos + 4);
	crc = get_le32(r->buf + r->pos + 8);
	if (len > REC_MAX_CHUNK)
		return stop(r, "chunk length out of range");
	if (r->len - r->pos - REC_CHUNK_HDR < len)
		return stop(r, "truncated");
	if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), r->buf + r->pos + REC_CHUNK_HDR, len) != crc)
		return stop(r, "CRC mismatch");
	/* Version 1 files have no packed events or dictionaries. */
	if (type == 0 || type >= (r->version == 1 ? REC_TYPE_MAX_V1 : REC_TYPE_MAX))
		return stop(r, "unknown chunk type");
	if (r->nchunks == 0 && type != REC_HEADER)
		return stop(r, "first chunk is not a header");
	c->type = type;
	c->len = len;
	c->data = r->buf + r->pos + REC_CHUNK_HDR;
	c->offset = r->pos;
	r->pos += REC_CHUNK_HDR + (size_t)len;
	r->nchunks++;
	if (type == REC_END)
		r->ended = 1;
	return 1;
}

int recfile__event(const struct rec_chunk *c, void *out, size_t outlen)
{
	uint32_t ver, size;

	if (c->len < 8)
		return -1;
	ver = get_le32(c->data);
	size = get_le32(c->data + 4);
	if (ver != REC_EVENT_VERSION || size != c->len - 8)
		return -1;
	memset(out, 0, outlen);
	memcpy(out, c->data + 8, size < outlen ? size : outlen);
	return 0;
}

int recfile__snapshot(const struct rec_chunk *c, uint64_t *mono_ns, char **json)
{
	uint32_t enc, raw;
	uLongf got;
	char *s;

	*json = NULL;
	if (c->len < 16)
		return -1;
	*mono_ns = get_le64(c->data);
	enc = get_le32(c->data + 8);
	raw = get_le32(c->data + 12);
	if (raw > REC_MAX_INFLATED)
		return -1;
	s = malloc((size_t)raw + 1);
	if (!s)
		return -1;
	if (enc == REC_ENC_PLAIN) {
		if (c->len - 16 != raw)
			goto bad;
		memcpy(s, c->data + 16, raw);
	} else if (enc == REC_ENC_ZLIB) {
		got = raw;
		if (uncompress((Bytef *)s, &got, c->data + 16, c->len - 16) != Z_OK || got != raw)
			goto bad;
	} else {
		goto bad;
	}
	s[raw] = '\0';
	*json = s;
	return 0;
bad:
	free(s);
	return -1;
}

/* ---- packed events (reader) ------------------------------------------------ */

struct rstr {
	char *s;
	size_t len;
};

struct rec_dict {
	struct rstr *strs;
	size_t nstrs, capstrs;
	struct rec_stack *stacks;
	size_t nstacks, capstacks;
	size_t nframes;
};

struct rec_dict *recfile__dict_new(void)
{
	return xcalloc(1, sizeof(struct rec_dict));
}

void recfile__dict_free(struct rec_dict *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nstrs; i++)
		free(d->strs[i].s);
	for (size_t i = 0; i < d->nstacks; i++)
		free(d->stacks[i].frames);
	free(d->strs);
	free(d->stacks);
	free(d);
}

const char *recfile__dict_string(const struct rec_dict *d, uint32_t ref)
{
	return ref && ref <= d->nstrs ? d->strs[ref - 1].s : NULL;
}

const struct rec_stack *recfile__dict_stack(const struct rec_dict *d, uint32_t ref)
{
	return ref && ref <= d->nstacks ? &d->stacks[ref - 1] : NULL;
}

/* A string reference that must name a defined entry (0: none). */
static int str_ref(struct cur *c, const struct rec_dict *d, const char **out)
{
	uint64_t ref = cur_var(c);

	if (c->bad || ref > d->nstrs)
		return -1;
	*out = ref ? d->strs[ref - 1].s : NULL;
	return 0;
}

int recfile__dict_add(struct rec_dict *d, const struct rec_chunk *c)
{
	struct cur cu = { .p = c->data, .len = c->len };
	const uint8_t *h = cur_bytes(&cu, 8);
	uint32_t first, n;

	if (!h || (c->type != REC_STRINGS && c->type != REC_STACKS))
		return -1;
	first = get_le32(h);
	n = get_le32(h + 4);
	/* Entries are numbered in file order: a gap or an overlap is damage. */
	if (first != (c->type == REC_STRINGS ? d->nstrs : d->nstacks) + 1 ||
	    n > DICT_MAX - (first - 1))
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (c->type == REC_STRINGS) {
			uint64_t len = cur_var(&cu);
			const uint8_t *s;

			if (cu.bad || len == 0 || len > REC_MAX_STRING || !(s = cur_bytes(&cu, len)))
				return -1;
			grow_array((void **)&d->strs, &d->capstrs, d->nstrs, sizeof(*d->strs));
			d->strs[d->nstrs].s = xmalloc(len + 1);
			memcpy(d->strs[d->nstrs].s, s, len);
			d->strs[d->nstrs].s[len] = '\0';
			d->strs[d->nstrs].len = len;
			d->nstrs++;
		} else {
			struct rec_stack st = { 0 };
			const uint8_t *b = cur_bytes(&cu, 1), *fl;
			uint64_t nf;

			if (!b || *b < REC_STK_SHADOW || *b > REC_STK_ADDR)
				return -1;
			st.source = *b;
			st.key = cur_var(&cu);
			fl = cur_bytes(&cu, 1);
			nf = cur_var(&cu);
			if (cu.bad || !fl || *fl > 1 || nf > REC_MAX_FRAMES ||
			    d->nframes + nf > DICT_MAX_FRAMES)
				return -1;
			d->nframes += nf;
			st.n = (uint32_t)nf;
			st.frames = xcalloc(nf ? nf : 1, sizeof(*st.frames));
			for (uint64_t j = 0; j < nf; j++) {
				struct rec_frame *f = &st.frames[j];
				const uint8_t *a;

				if (str_ref(&cu, d, &f->symbol) || str_ref(&cu, d, &f->module))
					goto bad_stack;
				f->offset = cur_var(&cu);
				if (*fl && (a = cur_bytes(&cu, 8)))
					f->addr = get_le64(a);
				if (cu.bad)
					goto bad_stack;
			}
			grow_array((void **)&d->stacks, &d->capstacks, d->nstacks, sizeof(*d->stacks));
			d->stacks[d->nstacks++] = st;
			continue;
bad_stack:
			free(st.frames);
			return -1;
		}
	}
	return cu.pos == cu.len ? 0 : -1;
}

/* One packed record into ev; 0 or -1 (malformed). */
static int unpack_one(struct cur *cu, const struct rec_dict *d, uint64_t *ts, uint64_t *obj,
		      struct rec_event *ev)
{
	const uint8_t *tag = cur_bytes(cu, 1);
	uint8_t *e = (uint8_t *)&ev->u;
	const struct field *f;
	uint64_t type, mask;
	size_t nf;
	uint32_t *ref;

	if (!tag)
		return -1;
	memset(ev, 0, sizeof(*ev));
	ev->kind = *tag >> 5;
	if (ev->kind != REC_EV_TRANSITION && ev->kind != REC_EV_SHADOW)
		return -1;
	type = *tag & 31;
	if (type == 31)
		type = cur_var(cu);
	*ts += (uint64_t)unzigzag(cur_var(cu));
	mask = cur_var(cu);
	f = fields_of((int)ev->kind, &nf);
	if (cu->bad || type > UINT32_MAX || (mask >> nf))
		return -1;
	field_set(e, &(struct field){ 0, 4, F_U32 }, type);
	field_set(e, &(struct field){ 8, 8, F_U64 }, *ts);
	for (size_t i = 0; i < nf; i++) {
		const struct rec_stack *st;
		const char *s;
		uint64_t v;

		if (!(mask & (1ull << i))) {
			if (f[i].enc != F_STR)
				field_set(e, &f[i], field_none(&f[i]));
			continue;
		}
		if (f[i].enc == F_STR) {
			if (str_ref(cu, d, &s))
				return -1;
			if (s)
				memcpy(e + f[i].off, s, strnlen(s, f[i].size));
			continue;
		}
		v = cur_var(cu);
		switch (f[i].enc) {
		case F_S32: v = (uint64_t)unzigzag(v); break;
		case F_TS: v = *ts - (uint64_t)unzigzag(v); break;
		case F_OBJ: v = *obj += (uint64_t)unzigzag(v); break;
		case F_STK_SHADOW:
		case F_STK_JUDGED:
		case F_STK_ADDR:
			if (v > d->nstacks)
				return -1;
			st = v ? &d->stacks[v - 1] : NULL;
			ref = ev->kind == REC_EV_TRANSITION || f[i].off == offsetof(struct klpt_shadow_event, alloc_stack)
				? &ev->stack_ref
				: f[i].off == offsetof(struct klpt_shadow_event, free_stack) ? &ev->free_stack_ref
				: f[i].off == offsetof(struct klpt_shadow_event, stack) ? &ev->get_stack_ref
				: &ev->call_site_ref;
			*ref = (uint32_t)v;
			v = st ? st->key : field_none(&f[i]);
			break;
		default: break;
		}
		if (cu->bad)
			return -1;
		field_set(e, &f[i], v);
	}
	return 0;
}

int recfile__events(const struct rec_chunk *c, const struct rec_dict *d,
		    void (*fn)(void *ctx, const struct rec_event *e), void *ctx)
{
	uint32_t count, enc, raw;
	uint64_t ts, obj = 0;
	uint8_t *buf = NULL;
	struct cur cu = { 0 };
	struct rec_event ev;
	int n = 0;

	if (c->type != REC_EVENTS || c->len < 20)
		return -1;
	ts = get_le64(c->data);
	count = get_le32(c->data + 8);
	enc = get_le32(c->data + 12);
	raw = get_le32(c->data + 16);
	/* A record takes at least 3 bytes: a count beyond that is a lie. */
	if (raw > REC_MAX_INFLATED || count > raw / 3)
		return -1;
	if (enc == REC_ENC_PLAIN) {
		if (c->len - 20 != raw)
			return -1;
		cu.p = c->data + 20;
	} else if (enc == REC_ENC_ZLIB) {
		uLongf got = raw;

		buf = malloc(raw ? raw : 1);
		if (!buf)
			return -1;
		if (uncompress(buf, &got, c->data + 20, c->len - 20) != Z_OK || got != raw) {
			free(buf);
			return -1;
		}
		cu.p = buf;
	} else {
		return -1;
	}
	cu.len = raw;
	for (uint32_t i = 0; i < count; i++) {
		if (unpack_one(&cu, d, &ts, &obj, &ev)) {
			n = -1;
			break;
		}
		fn(ctx, &ev);
		n++;
	}
	if (n >= 0 && cu.pos != cu.len)
		n = -1;
	free(buf);
	return n;
}

void *recfile__chunk_json(const struct rec_chunk *c)
{
	char *text = xmalloc((size_t)c->len + 1);
	json_object *o;

	/* A payload is not NUL-terminated, and may hold a NUL: json-c stops
	 * there, which is then a parse error, never a read past the end. */
	memcpy(text, c->data, c->len);
	text[c->len] = '\0';
	o = json_tokener_parse(text);
	free(text);
	return o;
}

