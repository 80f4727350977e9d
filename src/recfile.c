// SPDX-License-Identifier: GPL-2.0
/* Recording files: writer and a defensive reader (docs/trace-format.md). */
#include "recfile.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
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
};

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
	if (type == REC_HEADER || type == REC_METADATA) {
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

int recfile__write(struct rec_writer *w, uint32_t type, const void *hdr, size_t hlen,
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
	recfile__ring_flush(w);
	rc = w->err;
	if (w->fd >= 0) {
		if (fsync(w->fd) && !rc && errno != EINVAL)
			rc = -errno;
		if (close(w->fd) && !rc)
			rc = -errno;
	}
	free(w->mem);
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
	if (r->version != REC_VERSION) {
		snprintf(r->err, sizeof(r->err), "recording format version %u, this klptop reads %u",
			 r->version, REC_VERSION);
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
	if (type == 0 || type >= REC_TYPE_MAX)
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
