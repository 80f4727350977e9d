// SPDX-License-Identifier: GPL-2.0
/* Recording files: writer and a defensive reader (docs/trace-format.md). */
#include "recfile.h"
#include "util.h"

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

static const char *const type_names[REC_TYPE_MAX] = {
	[REC_HEADER] = "header",
	[REC_METADATA] = "metadata",
	[REC_TRANS_EVENT] = "transition-event",
	[REC_SHADOW_EVENT] = "shadow-event",
	[REC_SNAPSHOT] = "snapshot",
	[REC_SYMBOLS] = "symbols",
	[REC_DROPS] = "drops",
	[REC_END] = "end",
	[REC_EVENTS] = "events",
	[REC_STRINGS] = "strings",
	[REC_STACKS] = "stacks",
};

/* The packed encoding covers every field of these structs: a field appended
 * to one must be added to its table below (and to docs/trace-format.md). */
_Static_assert(sizeof(struct klpt_event) == 240, "klpt_event: update trans_fields");
_Static_assert(sizeof(struct klpt_shadow_event) == 128, "klpt_shadow_event: update shadow_fields");

const char *rec_chunk_type__name(uint32_t type)
{
	return type < REC_TYPE_MAX && type_names[type] ? type_names[type] : "unknown";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* ---- packed encoding: shared by writer and reader ------------------------- */

/* A growable byte buffer. */
struct bbuf {
	uint8_t *p;
	size_t len, cap;
};

static void bb_put(struct bbuf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + len)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void bb_u8(struct bbuf *b, uint8_t v)
{
	bb_put(b, &v, 1);
}

/* Unsigned LEB128: 7 bits a byte, low groups first, high bit = more. */
static void bb_var(struct bbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	bb_put(b, tmp, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A bounded reader over one payload: every get checks the bytes left. */
struct cur {
	const uint8_t *p;
	size_t len, pos;
	int bad;
};

static uint64_t cur_var(struct cur *c)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (c->pos >= c->len)
			break;
		b = c->p[c->pos++];
		if (shift == 63 && b > 1)
			break;   /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = 1;
	return 0;
}

static const uint8_t *cur_bytes(struct cur *c, size_t n)
{
	const uint8_t *p;

	if (c->len - c->pos < n) {
		c->bad = 1;
		return NULL;
	}
	p = c->p + c->pos;
	c->pos += n;
	return p;
}

/* How each field of an event struct is packed (docs/trace-format.md). A
 * record carries a bit mask of the fields present (not at their "none"
 * value), then those fields in table order. */
enum fenc {
	F_U32,        /* varint */
	F_S32,        /* zigzag varint */
	F_U64,        /* varint */
	F_TS,         /* a CLOCK_MONOTONIC time: zigzag varint of (event ts - value) */
	F_OBJ,        /* an owner address (or pseudonym): zigzag delta from the
		       * previous one in the batch */
	F_STR,        /* a char array: string dictionary reference */
	F_STK_SHADOW, /* s32 stack id (none -1): stack dictionary reference */
	F_STK_JUDGED, /* u64 stack_key: stack dictionary reference */
	F_STK_ADDR,   /* u64 code address: stack dictionary reference */
};

struct field {
	uint16_t off, size;
	uint8_t enc;
};

#define TF(m, e) { offsetof(struct klpt_event, m), sizeof(((struct klpt_event *)0)->m), e }
static const struct field trans_fields[] = {
	TF(target, F_S32), TF(transition_id, F_U64), TF(patch, F_STR), TF(round, F_U32),
	TF(checked, F_U32), TF(switched, F_U32), TF(busy, F_U32), TF(unreliable, F_U32),
	TF(sleeping, F_U32), TF(other, F_U32), TF(signals, F_U32), TF(round_ns, F_U64),
	TF(pid, F_U32), TF(tid, F_U32), TF(how, F_U32), TF(kthread, F_U32), TF(comm, F_STR),
	TF(last_ret, F_S32), TF(rounds_failed, F_U32), TF(first_ns, F_TS),
	TF(stack_key, F_STK_JUDGED), TF(func, F_STR),
};
#undef TF
#define SF(m, e) { offsetof(struct klpt_shadow_event, m), sizeof(((struct klpt_shadow_event *)0)->m), e }
static const struct field shadow_fields[] = {
	SF(flags, F_U32), SF(obj, F_OBJ), SF(id, F_U64), SF(size, F_U64), SF(alloc_ns, F_TS),
	SF(freed_ns, F_TS), SF(call_site, F_STK_ADDR), SF(alloc_stack, F_STK_SHADOW),
	SF(free_stack, F_STK_SHADOW), SF(stack, F_STK_SHADOW), SF(cache, F_STR),
	SF(rcu_queued_ns, F_TS), SF(free_via, F_U32),
};
#undef SF

static const struct field *fields_of(int kind, size_t *n)
{
	if (kind == REC_EV_TRANSITION) {
		*n = ARRAY_SIZE(trans_fields);
		return trans_fields;
	}
	*n = ARRAY_SIZE(shadow_fields);
	return shadow_fields;
}

static uint64_t field_get(const uint8_t *ev, const struct field *f)
{
	uint32_t v32;
	uint64_t v64;

	if (f->size == 4) {
		memcpy(&v32, ev + f->off, 4);
		return f->enc == F_S32 || f->enc == F_STK_SHADOW ? (uint64_t)(int64_t)(int32_t)v32 : v32;
	}
	memcpy(&v64, ev + f->off, 8);
	return v64;
}

static void field_set(uint8_t *ev, const struct field *f, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (f->size == 4)
		memcpy(ev + f->off, &v32, 4);
	else
		memcpy(ev + f->off, &v, 8);
}

/* The value a field has when absent from a record. */
static uint64_t field_none(const struct field *f)
{
	return f->enc == F_STK_SHADOW ? (uint64_t)-1 : 0;
}

static int field_present(const uint8_t *ev, const struct field *f)
{
	if (f->enc == F_STR)
		return ev[f->off] != '\0';
	return field_get(ev, f) != field_none(f);
}

/* An open-addressing map of (key, tag) -> 1-based index; equality beyond
 * key and tag is the caller's (eq), for strings. */
struct imap {
	uint64_t *keys;
	uint32_t *tags, *vals;   /* vals 0: empty slot */
	size_t nslots, n;
};

static size_t mix(uint64_t k, uint32_t tag)
{
	k ^= (uint64_t)tag * 0x9e3779b97f4a7c15ull;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

static uint32_t imap_find(const struct imap *m, uint64_t key, uint32_t tag,
			  int (*eq)(const void *ctx, uint32_t val), const void *ctx)
{
	if (!m->nslots)
		return 0;
	for (size_t i = mix(key, tag) & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
		if (!m->vals[i])
			return 0;
		if (m->keys[i] == key && m->tags[i] == tag && (!eq || eq(ctx, m->vals[i])))
			return m->vals[i];
	}
}

static void imap_put(struct imap *m, uint64_t key, uint32_t tag, uint32_t val)
{
	if ((m->n + 1) * 2 > m->nslots) {
		struct imap old = *m;

		m->nslots = old.nslots ? old.nslots * 2 : 256;
		m->keys = xcalloc(m->nslots, sizeof(*m->keys));
		m->tags = xcalloc(m->nslots, sizeof(*m->tags));
		m->vals = xcalloc(m->nslots, sizeof(*m->vals));
		m->n = 0;
		for (size_t i = 0; i < old.nslots; i++)
			if (old.vals[i])
				imap_put(m, old.keys[i], old.tags[i], old.vals[i]);
		free(old.keys);
		free(old.tags);
		free(old.vals);
	}
	for (size_t i = mix(key, tag) & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
		if (!m->vals[i]) {
			m->keys[i] = key;
			m->tags[i] = tag;
			m->vals[i] = val;
			m->n++;
			return;
		}
	}
}

static void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->tags);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static uint64_t fnv(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

#define DICT_MAX (1u << 20)        /* strings or stacks in one file */
#define DICT_MAX_FRAMES (1u << 21) /* frames of all stacks: a frame costs a
				    * reader 32 bytes and a file 3, so a
				    * hostile file is capped at 64 MiB */
#define PSEUDONYMS_MAX (1u << 22)  /* distinct owners named in a redacted file */

/* ---- pseudonyms ------------------------------------------------------------ */

struct rec_pseudonyms {
	struct imap m;
	uint32_t next;
};

struct rec_pseudonyms *rec_pseudonyms__new(void)
{
	return xcalloc(1, sizeof(struct rec_pseudonyms));
}

void rec_pseudonyms__free(struct rec_pseudonyms *p)
{
	if (!p)
		return;
	imap_free(&p->m);
	free(p);
}

uint64_t rec_pseudonyms__get(struct rec_pseudonyms *p, uint64_t addr)
{
	uint32_t v = imap_find(&p->m, addr, 0, NULL, NULL);

	if (v)
		return v;
	if (p->next >= PSEUDONYMS_MAX)
		return 0;   /* "obj#0": too many owners to name them all */
	v = ++p->next;
	imap_put(&p->m, addr, 0, v);
	return v;
}

/* ffff + 12 hex digits: an x86-64 kernel address. */
static int kaddr_at(const char *s)
{
	if (strncasecmp(s, "ffff", 4))
		return 0;
	for (int i = 4; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return !isxdigit((unsigned char)s[16]);
}

size_t recfile__redact_text(char *s)
{
	static const char mask[] = "<addr>";
	size_t n = 0, out = 0, i = 0, len = strlen(s);

	while (i < len) {
		size_t pre = (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) ? 2 : 0;

		if ((!i || !isxdigit((unsigned char)s[i - 1])) && i + pre + 16 <= len &&
		    kaddr_at(s + i + pre)) {
			memcpy(s + out, mask, sizeof(mask) - 1);
			out += sizeof(mask) - 1;
			i += pre + 16;
			n++;
			continue;
		}
		s[out++] = s[i++];
	}
	s[out] = '\0';
	return n;
}

/* A string that is exactly a hex kernel address ("0xffff..."). */
static int is_kaddr_string(const char *s, uint64_t *addr)
{
	char *end;
	unsigned long long v;

	if (strncmp(s, "0x", 2))
		return 0;
	errno = 0;
	v = strtoull(s + 2, &end, 16);
	if (errno || *end || end == s + 2 || v < 0xffff000000000000ull)
		return 0;
	*addr = v;
	return 1;
}

static void redact_value(struct rec_pseudonyms *p, json_object *parent, const char *key,
			 size_t idx, json_object *v)
{
	json_object *nv = NULL;
	uint64_t addr;
	char buf[40];

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, child)
			redact_value(p, v, k, 0, child);
		return;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			redact_value(p, v, NULL, i, json_object_array_get_idx(v, i));
		return;
	}
	if (!json_object_is_type(v, json_type_string))
		return;
	if (is_kaddr_string(json_object_get_string(v), &addr)) {
		if (key && !strcmp(key, "obj") && p) {
			snprintf(buf, sizeof(buf), "obj#%llu",
				 (unsigned long long)rec_pseudonyms__get(p, addr));
			nv = json_object_new_string(buf);
		} else {
			nv = json_object_new_string("0x0");
		}
	} else {
		char *s = xstrdup(json_object_get_string(v));

		if (recfile__redact_text(s))
			nv = json_object_new_string(s);
		free(s);
	}
	if (!nv)
		return;
	if (!parent) {
		json_object_put(nv);
		return;
	}
	/* Replacing a member frees the old value (v): nothing uses it after. */
	if (key)
		json_object_object_add(parent, key, nv);
	else
		json_object_array_put_idx(parent, idx, nv);
}

void recfile__redact_json(struct rec_pseudonyms *p, void *o)
{
	redact_value(p, NULL, NULL, 0, o);
}

/* ---- writer --------------------------------------------------------------- */

struct ring_chunk {
	uint8_t *p;
	size_t len;
};

struct rec_writer {
	int fd;                 /* -1: memory writer */
	/* Flight recorder: chunks kept in memory until recfile__ring_flush. */
	int ring_on;
	size_t ring_cap, ring_bytes;
	struct ring_chunk *ring;   /* queue: ring[ring_start .. ring_n) */
	size_t ring_start, ring_n, ring_alloc;
	uint8_t *pinned;           /* header and metadata: always kept */
	size_t pinned_len, pinned_alloc;
	uint64_t ring_evicted;
	uint8_t *mem;
	size_t memlen, memcap;
	uint64_t bytes, chunks;
	int err;                /* first write error (-errno), sticky */
	/* Version 2 packed events: the batch being filled. */
	struct bbuf batch;
	uint32_t nbatch;
	uint64_t base_ts, prev_ts, prev_obj;
	uint64_t queued;
	/* Dictionaries: what was defined (maps) and what is not written yet. */
	struct imap str_map, stk_map;
	char **strs;               /* by id - 1, to compare on a hash match */
	size_t nstrs, capstrs;
	uint32_t nstacks;
	size_t nframes;
	struct bbuf new_strs, new_stks;
	uint32_t new_strs_first, new_strs_n, new_stks_first, new_stks_n;
	rec_stack_fn resolve;
	void *resolve_ctx;
	int redact;
	struct rec_pseudonyms *pseudo;
	/* One deflate stream for every batch (deflateInit allocates and clears
	 * ~256 KiB: per batch, that cost more than the packing). */
	z_stream zs;
	int zs_ready;
	struct bbuf zout;
};

static int emit(struct rec_writer *w, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (w->err)
		return w->err;
	if (w->fd < 0) {
		if (w->memlen + len > w->memcap) {
			size_t cap = w->memcap ? w->memcap : 4096;

			while (cap < w->memlen + len)
				cap *= 2;
			w->mem = xrealloc(w->mem, cap);
			w->memcap = cap;
		}
		memcpy(w->mem + w->memlen, b, len);
		w->memlen += len;
	} else {
		while (len) {
			ssize_t n = write(w->fd, b, len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				w->err = n < 0 ? -errno : -EIO;
				return w->err;
			}
			b += n;
			len -= (size_t)n;
			w->bytes += (uint64_t)n;
		}
		return 0;
	}
	w->bytes += len;
	return 0;
}

static int write_file_header(struct rec_writer *w)
{
	uint8_t h[REC_FILE_HDR] = REC_MAGIC;

	put_le32(h + 8, REC_VERSION);
	put_le32(h + 12, 0);
	return emit(w, h, sizeof(h));
}

struct rec_writer *recfile__create(const char *path, int force, char *err, size_t errlen)
{
	struct rec_writer *w;
	int fd;

	if (force && unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		return NULL;
	}
	/* The file holds kernel addresses: owner-only, never through a link. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (use --force to overwrite)" : "");
		return NULL;
	}
	/* O_CREAT honours the umask, which can only remove bits; be explicit. */
	fchmod(fd, 0600);
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	if (write_file_header(w)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-w->err));
		close(fd);
		free(w);
		return NULL;
	}
	return w;
}

struct rec_writer *recfile__create_mem(void)
{
	struct rec_writer *w = xcalloc(1, sizeof(*w));

	w->fd = -1;
	write_file_header(w);
	return w;
}

const void *recfile__buffer(const struct rec_writer *w, size_t *len)
{
	*len = w->memlen;
	return w->mem;
}

/* Keep a serialized chunk (takes p); the oldest go when over ring_cap. */
static void ring_push(struct rec_writer *w, uint32_t type, uint8_t *p, size_t len)
{
	/* Batches refer to the dictionaries: they stay, like the header. */
	if (type == REC_HEADER || type == REC_METADATA || type == REC_STRINGS ||
	    type == REC_STACKS) {
		grow_array((void **)&w->pinned, &w->pinned_alloc, w->pinned_len + len, 1);
		memcpy(w->pinned + w->pinned_len, p, len);
		w->pinned_len += len;
		free(p);
		return;
	}
	if (w->ring_start > 64 && w->ring_start * 2 > w->ring_n) {
		memmove(w->ring, w->ring + w->ring_start,
			(w->ring_n - w->ring_start) * sizeof(*w->ring));
		w->ring_n -= w->ring_start;
		w->ring_start = 0;
	}
	grow_array((void **)&w->ring, &w->ring_alloc, w->ring_n, sizeof(*w->ring));
	w->ring[w->ring_n].p = p;
	w->ring[w->ring_n].len = len;
	w->ring_n++;
	w->ring_bytes += len;
	while (w->ring_bytes > w->ring_cap && w->ring_n - w->ring_start > 1) {
		struct ring_chunk *old = &w->ring[w->ring_start++];

		w->ring_bytes -= old->len;
		free(old->p);
		w->ring_evicted++;
	}
}

static int write_chunk(struct rec_writer *w, uint32_t type, const void *hdr, size_t hlen,
		       const void *p, size_t len)
{
	uint8_t ch[REC_CHUNK_HDR];
	uLong crc = crc32(0L, Z_NULL, 0);
	uint8_t *all;
	int rc;

	if (hlen + len > REC_MAX_CHUNK)
		return -EFBIG;
	if (hlen)
		crc = crc32(crc, hdr, (uInt)hlen);
	if (len)
		crc = crc32(crc, p, (uInt)len);
	put_le32(ch, type);
	put_le32(ch + 4, (uint32_t)(hlen + len));
	put_le32(ch + 8, (uint32_t)crc);
	put_le32(ch + 12, 0);
	/* One write per chunk: a reader racing us, or a kill -9, sees either a
	 * whole chunk or a cut one that the CRC and length reject. */
	all = xmalloc(sizeof(ch) + hlen + len);
	memcpy(all, ch, sizeof(ch));
	if (hlen)
		memcpy(all + sizeof(ch), hdr, hlen);
	if (len)
		memcpy(all + sizeof(ch) + hlen, p, len);
	if (w->ring_on) {
		ring_push(w, type, all, sizeof(ch) + hlen + len);
		w->chunks++;
		return 0;
	}
	rc = emit(w, all, sizeof(ch) + hlen + len);
	free(all);
	if (!rc)
		w->chunks++;
	return rc;
}

int recfile__write(struct rec_writer *w, uint32_t type, const void *hdr, size_t hlen,
		   const void *p, size_t len)
{
	/* Chunks stay in time order: queued events go out first. */
	int rc = recfile__flush_events(w);

	return rc ? rc : write_chunk(w, type, hdr, hlen, p, len);
}

/* ---- packed events (writer) ------------------------------------------------ */

static int str_eq(const void *ctx, uint32_t val)
{
	const struct rec_writer *w = ((const void *const *)ctx)[0];
	const char *s = ((const void *const *)ctx)[1];

	return !strcmp(w->strs[val - 1], s);
}

/* The dictionary id of s (defining it on first use); 0 for "" or when the
 * dictionary is full. */
static uint32_t intern(struct rec_writer *w, const char *s, size_t len)
{
	char tmp[REC_MAX_STRING + 1];
	const void *ctx[2] = { w, tmp };
	uint64_t h;
	uint32_t id;

	if (len > REC_MAX_STRING)
		len = REC_MAX_STRING;
	if (!len)
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	h = fnv(tmp, len);
	id = imap_find(&w->str_map, h, (uint32_t)len, str_eq, ctx);
	if (id || w->nstrs >= DICT_MAX)
		return id;
	grow_array((void **)&w->strs, &w->capstrs, w->nstrs, sizeof(*w->strs));
	w->strs[w->nstrs++] = xstrdup(tmp);
	id = (uint32_t)w->nstrs;
	imap_put(&w->str_map, h, (uint32_t)len, id);
	if (!w->new_strs_n)
		w->new_strs_first = id;
	w->new_strs_n++;
	bb_var(&w->new_strs, len);
	bb_put(&w->new_strs, tmp, len);
	return id;
}

static uint32_t intern_cstr(struct rec_writer *w, const char *s)
{
	return s ? intern(w, s, strlen(s)) : 0;
}

/* The dictionary id of a stack (resolved and defined on first use). */
static uint32_t intern_stack(struct rec_writer *w, uint32_t source, uint64_t key)
{
	struct rec_frame fr[REC_MAX_FRAMES];
	size_t n = 0;
	uint32_t id = imap_find(&w->stk_map, key, source, NULL, NULL);

	if (id || w->nstacks >= DICT_MAX)
		return id;
	id = ++w->nstacks;
	imap_put(&w->stk_map, key, source, id);
	if (!w->new_stks_n)
		w->new_stks_first = id;
	w->new_stks_n++;
	memset(fr, 0, sizeof(fr));
	if (w->resolve)
		n = w->resolve(w->resolve_ctx, source, key, fr, REC_MAX_FRAMES);
	if (n > REC_MAX_FRAMES)
		n = REC_MAX_FRAMES;
	if (w->nframes + n > DICT_MAX_FRAMES)
		n = 0;   /* what a reader accepts: the stack goes unnamed */
	w->nframes += n;
	bb_u8(&w->new_stks, (uint8_t)source);
	/* An address is what --redact leaves out; ids and hashes are not. */
	bb_var(&w->new_stks, w->redact && source == REC_STK_ADDR ? 0 : key);
	bb_u8(&w->new_stks, w->redact ? 0 : 1);
	bb_var(&w->new_stks, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t a[8];

		bb_var(&w->new_stks, intern_cstr(w, fr[i].symbol));
		bb_var(&w->new_stks, intern_cstr(w, fr[i].module));
		bb_var(&w->new_stks, fr[i].symbol ? fr[i].offset : 0);
		if (!w->redact) {
			put_le64(a, fr[i].addr);
			bb_put(&w->new_stks, a, 8);
		}
	}
	return id;
}

void recfile__set_stack_resolver(struct rec_writer *w, rec_stack_fn fn, void *ctx)
{
	w->resolve = fn;
	w->resolve_ctx = ctx;
}

void recfile__set_redact(struct rec_writer *w)
{
	uint8_t f[4];

	w->redact = 1;
	if (!w->pseudo)
		w->pseudo = rec_pseudonyms__new();
	put_le32(f, REC_FLAG_REDACTED);
	/* The file header went out at create time; only its flags change. */
	if (w->fd < 0) {
		if (w->memlen >= REC_FILE_HDR)
			memcpy(w->mem + 12, f, 4);
	} else if (pwrite(w->fd, f, 4, 12) != 4) {
		w->err = -EIO;
	}
}

struct rec_pseudonyms *recfile__pseudonyms(struct rec_writer *w)
{
	if (!w->pseudo)
		w->pseudo = rec_pseudonyms__new();
	return w->pseudo;
}

uint64_t recfile__events_queued(const struct rec_writer *w)
{
	return w->queued;
}

int recfile__add_event(struct rec_writer *w, int kind, const void *ev, size_t len)
{
	uint8_t e[256];
	size_t nf, size = kind == REC_EV_TRANSITION ? sizeof(struct klpt_event)
						    : sizeof(struct klpt_shadow_event);
	const struct field *f;
	uint64_t mask = 0, ts;
	uint32_t type;

	if ((kind != REC_EV_TRANSITION && kind != REC_EV_SHADOW) || len < 16)
		return -EINVAL;
	if (w->err)
		return w->err;
	f = fields_of(kind, &nf);
	memset(e, 0, sizeof(e));
	memcpy(e, ev, len < size ? len : size);
	memcpy(&type, e, 4);
	memcpy(&ts, e + 8, 8);
	if (!w->nbatch)
		w->base_ts = w->prev_ts = ts, w->prev_obj = 0;
	/* tag: kind in the top 3 bits, the event type below (31: a varint
	 * type follows). */
	bb_u8(&w->batch, (uint8_t)(kind << 5 | (type < 31 ? type : 31)));
	if (type >= 31)
		bb_var(&w->batch, type);
	bb_var(&w->batch, zigzag((int64_t)(ts - w->prev_ts)));
	w->prev_ts = ts;
	for (size_t i = 0; i < nf; i++)
		if (field_present(e, &f[i]))
			mask |= 1ull << i;
	bb_var(&w->batch, mask);
	for (size_t i = 0; i < nf; i++) {
		uint64_t v;

		if (!(mask & (1ull << i)))
			continue;
		v = f[i].enc == F_STR ? 0 : field_get(e, &f[i]);
		switch (f[i].enc) {
		case F_U32:
		case F_U64:
			bb_var(&w->batch, v);
			break;
		case F_S32:
			bb_var(&w->batch, zigzag((int64_t)v));
			break;
		case F_TS:
			bb_var(&w->batch, zigzag((int64_t)(ts - v)));
			break;
		case F_OBJ:
			if (w->redact)
				v = rec_pseudonyms__get(recfile__pseudonyms(w), v);
			bb_var(&w->batch, zigzag((int64_t)(v - w->prev_obj)));
			w->prev_obj = v;
			break;
		case F_STR:
			bb_var(&w->batch, intern(w, (const char *)e + f[i].off,
						 strnlen((const char *)e + f[i].off, f[i].size)));
			break;
		case F_STK_SHADOW:
			bb_var(&w->batch, intern_stack(w, REC_STK_SHADOW, (uint32_t)v));
			break;
		case F_STK_JUDGED:
			bb_var(&w->batch, intern_stack(w, REC_STK_JUDGED, v));
			break;
		case F_STK_ADDR:
			bb_var(&w->batch, intern_stack(w, REC_STK_ADDR, v));
			break;
		}
	}
	w->nbatch++;
	w->queued++;
	if (w->batch.len >= REC_BATCH_BYTES)
		return recfile__flush_events(w);
	return 0;
}

/* The batch as a zlib stream (what uncompress() reads) into w->zout:
 * its length, or 0 when not worth it or zlib failed. Level 1: the batch is
 * already packed; this is the cheap half. */
static size_t deflate_batch(struct rec_writer *w)
{
	size_t bound;

	if (w->batch.len < 256)
		return 0;
	if (!w->zs_ready) {
		if (deflateInit(&w->zs, 1) != Z_OK)
			return 0;
		w->zs_ready = 1;
	} else if (deflateReset(&w->zs) != Z_OK) {
		return 0;
	}
	bound = deflateBound(&w->zs, (uLong)w->batch.len);
	if (w->zout.cap < bound) {
		w->zout.p = xrealloc(w->zout.p, bound);
		w->zout.cap = bound;
	}
	w->zs.next_in = w->batch.p;
	w->zs.avail_in = (uInt)w->batch.len;
	w->zs.next_out = w->zout.p;
	w->zs.avail_out = (uInt)bound;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		return 0;
	return bound - w->zs.avail_out;
}

/* Dictionary entries first (a batch refers to them), then the batch. */
int recfile__flush_events(struct rec_writer *w)
{
	uint8_t h[20];
	int rc = 0;

	if (w->new_strs_n) {
		put_le32(h, w->new_strs_first);
		put_le32(h + 4, w->new_strs_n);
		rc = write_chunk(w, REC_STRINGS, h, 8, w->new_strs.p, w->new_strs.len);
		w->new_strs.len = 0;
		w->new_strs_n = 0;
	}
	if (w->new_stks_n && !rc) {
		put_le32(h, w->new_stks_first);
		put_le32(h + 4, w->new_stks_n);
		rc = write_chunk(w, REC_STACKS, h, 8, w->new_stks.p, w->new_stks.len);
		w->new_stks.len = 0;
		w->new_stks_n = 0;
	}
	if (w->nbatch && !rc) {
		size_t zlen = 0;

		put_le64(h, w->base_ts);
		put_le32(h + 8, w->nbatch);
		put_le32(h + 16, (uint32_t)w->batch.len);
		zlen = deflate_batch(w);
		if (zlen && zlen < w->batch.len) {
			put_le32(h + 12, REC_ENC_ZLIB);
			rc = write_chunk(w, REC_EVENTS, h, 20, w->zout.p, zlen);
		} else {
			put_le32(h + 12, REC_ENC_PLAIN);
			rc = write_chunk(w, REC_EVENTS, h, 20, w->batch.p, w->batch.len);
		}
		w->batch.len = 0;
		w->nbatch = 0;
	}
	return rc;
}

void recfile__set_ring(struct rec_writer *w, size_t cap)
{
	w->ring_on = 1;
	w->ring_cap = cap;
}

int recfile__ring_active(const struct rec_writer *w)
{
	return w->ring_on;
}

uint64_t recfile__ring_evicted(const struct rec_writer *w)
{
	return w->ring_evicted;
}

int recfile__ring_flush(struct rec_writer *w)
{
	int rc = 0;

	if (!w->ring_on)
		return 0;
	rc = recfile__flush_events(w);
	w->ring_on = 0;
	if (w->pinned_len)
		rc = emit(w, w->pinned, w->pinned_len);
	for (size_t i = w->ring_start; i < w->ring_n; i++) {
		if (!rc)
			rc = emit(w, w->ring[i].p, w->ring[i].len);
		free(w->ring[i].p);
	}
	free(w->ring);
	free(w->pinned);
	w->ring = NULL;
	w->pinned = NULL;
	w->ring_start = w->ring_n = w->ring_alloc = w->ring_bytes = 0;
	w->pinned_len = w->pinned_alloc = 0;
	return rc;
}

int recfile__write_event(struct rec_writer *w, uint32_t type, const void *ev, size_t len)
{
	uint8_t h[8];

	put_le32(h, REC_EVENT_VERSION);
	put_le32(h + 4, (uint32_t)len);
	return recfile__write(w, type, h, sizeof(h), ev, len);
}

int recfile__write_snapshot(struct rec_writer *w, uint64_t mono_ns, const char *json)
{
	size_t raw = strlen(json);
	uLongf zlen = compressBound((uLong)raw);
	uint8_t *z = xmalloc(zlen), h[16];
	int rc;

	put_le64(h, mono_ns);
	put_le32(h + 12, (uint32_t)raw);
	if (compress2(z, &zlen, (const Bytef *)json, (uLong)raw, 6) == Z_OK && zlen < raw) {
		put_le32(h + 8, REC_ENC_ZLIB);
		rc = recfile__write(w, REC_SNAPSHOT, h, sizeof(h), z, zlen);
	} else {
		put_le32(h + 8, REC_ENC_PLAIN);
		rc = recfile__write(w, REC_SNAPSHOT, h, sizeof(h), json, raw);
	}
	free(z);
	return rc;
}

int recfile__write_json(struct rec_writer *w, uint32_t type, void *o)
{
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	return recfile__write(w, type, NULL, 0, txt, strlen(txt));
}

uint64_t recfile__bytes(const struct rec_writer *w)
{
	return w->bytes;
}

uint64_t recfile__chunks(const struct rec_writer *w)
{
	return w->chunks;
}

int recfile__close(struct rec_writer *w)
{
	int rc;

	if (!w)
		return 0;
	recfile__flush_events(w);
	recfile__ring_flush(w);
	rc = w->err;
	if (w->fd >= 0) {
		if (fsync(w->fd) && !rc && errno != EINVAL)
			rc = -errno;
		if (close(w->fd) && !rc)
			rc = -errno;
	}
	free(w->mem);
	free(w->batch.p);
	free(w->zout.p);
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->new_strs.p);
	free(w->new_stks.p);
	imap_free(&w->str_map);
	imap_free(&w->stk_map);
	for (size_t i = 0; i < w->nstrs; i++)
		free(w->strs[i]);
	free(w->strs);
	rec_pseudonyms__free(w->pseudo);
	free(w);
	return rc;
}

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
