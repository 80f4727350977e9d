// SPDX-License-Identifier: GPL-2.0
/* Recording files: the writer (docs/trace-format.md). */
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

/* ---- writer --------------------------------------------------------------- */

struct ring_chunk {
	uint8_t *p;
	size_t len;
};

struct rec_writer {
	int fd;                 /* -1: memory writer */
	uint32_t flags;         /* of the file header (REC_FLAG_REDACTED) */
	int header_pending;     /* a pipe: the file header goes out with the first chunk */
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

static int write_file_header(struct rec_writer *w);

static int emit(struct rec_writer *w, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (w->err)
		return w->err;
	if (w->header_pending) {
		w->header_pending = 0;
		if (write_file_header(w))
			return w->err;
	}
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
	put_le32(h + 12, w->flags);
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

struct rec_writer *recfile__create_fd(int fd, char *err, size_t errlen)
{
	struct rec_writer *w;

	/* A recording is binary: on a terminal it would be noise, and lost. */
	if (isatty(fd)) {
		snprintf(err, errlen, "stdout is a terminal: redirect it to a file or a pipe, "
			 "or give -o FILE");
		errno = ENOTTY;
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	/* Nothing can be rewritten in a pipe: the header waits for the flags. */
	w->header_pending = 1;
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
	w->flags |= REC_FLAG_REDACTED;
	if (!w->pseudo)
		w->pseudo = rec_pseudonyms__new();
	put_le32(f, w->flags);
	/* The file header went out at create time; only its flags change. */
	if (w->header_pending) {
		return;
	} else if (w->fd < 0) {
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


int recfile__close(struct rec_writer *w)
{
	int rc;

	if (!w)
		return 0;
	recfile__flush_events(w);
	recfile__ring_flush(w);
	if (w->header_pending)
		emit(w, NULL, 0);   /* an empty recording is still a recording */
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

