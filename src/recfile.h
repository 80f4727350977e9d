/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recording files (klptop record / report): the writer and a reader that
 * never trusts its input. Layout in docs/trace-format.md: a 16-byte file
 * header, then chunks of {type, length, crc32, reserved} + payload, all
 * little-endian. A file cut anywhere reads back to its last complete chunk.
 */
#ifndef KLPTOP_RECFILE_H
#define KLPTOP_RECFILE_H

#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "KLPTREC"          /* 8 bytes with its NUL */
#define REC_VERSION 1
#define REC_FILE_HDR 16               /* magic[8], u32 version, u32 flags */
#define REC_CHUNK_HDR 16              /* u32 type, u32 len, u32 crc32, u32 rsvd */
#define REC_MAX_CHUNK (64u << 20)     /* a longer chunk is corrupt */
#define REC_MAX_INFLATED (64u << 20)  /* cap of one decompressed snapshot */

enum rec_chunk_type {
	REC_HEADER = 1,      /* JSON: host, kernel, boot id, command line, clocks */
	REC_METADATA,        /* JSON: options, probe status */
	REC_TRANS_EVENT,     /* u32 version, u32 size, struct klpt_event */
	REC_SHADOW_EVENT,    /* u32 version, u32 size, struct klpt_shadow_event */
	REC_SNAPSHOT,        /* u64 mono ns, u32 encoding, u32 raw len, JSON */
	REC_SYMBOLS,         /* kallsyms lines */
	REC_DROPS,           /* JSON: lost events */
	REC_END,             /* JSON: clean end */
	REC_TYPE_MAX,
};

/* REC_TRANS_EVENT / REC_SHADOW_EVENT payload version (struct layout). */
#define REC_EVENT_VERSION 1
/* REC_SNAPSHOT encodings */
#define REC_ENC_PLAIN 0
#define REC_ENC_ZLIB 1

const char *rec_chunk_type__name(uint32_t type);

/* ---- writer ---- */
struct rec_writer;

/* Create path (O_EXCL|O_NOFOLLOW, mode 0600; with force an existing file is
 * removed first) and write the file header. NULL with errno and err set. */
struct rec_writer *recfile__create(const char *path, int force, char *err, size_t errlen);
/* Writer into a memory buffer (tests, flight recorder): see recfile__buffer. */
struct rec_writer *recfile__create_mem(void);
const void *recfile__buffer(const struct rec_writer *w, size_t *len);
/* One chunk whose payload is hdr (hlen bytes, may be 0) followed by p. */
int recfile__write(struct rec_writer *w, uint32_t type, const void *hdr, size_t hlen,
		   const void *p, size_t len);
/* A raw event chunk: version + size prefix, then the struct as delivered. */
int recfile__write_event(struct rec_writer *w, uint32_t type, const void *ev, size_t len);
/* A chunk whose payload is the JSON text of o (json_object *). */
int recfile__write_json(struct rec_writer *w, uint32_t type, void *o);
/* A snapshot chunk: JSON text, zlib-compressed when that is smaller. */
int recfile__write_snapshot(struct rec_writer *w, uint64_t mono_ns, const char *json);
/* Flight recorder: from now on keep chunks in memory, at most cap bytes of
 * them (the oldest go first; header and metadata chunks are always kept),
 * until recfile__ring_flush writes them out and turns the ring off. */
void recfile__set_ring(struct rec_writer *w, size_t cap);
int recfile__ring_flush(struct rec_writer *w);
int recfile__ring_active(const struct rec_writer *w);
uint64_t recfile__ring_evicted(const struct rec_writer *w);
uint64_t recfile__bytes(const struct rec_writer *w);
uint64_t recfile__chunks(const struct rec_writer *w);
/* fsync and close (a memory writer is freed). Returns 0 or -errno. */
int recfile__close(struct rec_writer *w);

/* ---- reader ---- */
struct rec_chunk {
	uint32_t type;
	uint32_t len;
	const uint8_t *data;
	uint64_t offset;      /* of its chunk header in the file */
};

struct rec_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	uint32_t version;
	uint64_t nchunks;     /* complete chunks returned so far */
	int ended;            /* an END chunk was read */
	int bad;              /* stopped at a damaged or cut chunk */
	char err[200];
};

/* Check the file header of buf. Returns 0 or -1 (r->err says why). */
int recfile__open_mem(struct rec_reader *r, const void *buf, size_t len);
/* Next complete, CRC-checked chunk: 1, or 0 at the end of the good part
 * (then r->bad and r->err tell whether and where the file was cut). */
int recfile__next(struct rec_reader *r, struct rec_chunk *c);

/* Decoders of one payload. Return 0 or -1 when the payload is malformed. */
/* An event chunk: the struct, copied into out (outlen bytes, zero-filled
 * where the recorded one was shorter). */
int recfile__event(const struct rec_chunk *c, void *out, size_t outlen);
/* A snapshot chunk: *mono_ns and a malloc'd NUL-terminated JSON text. */
int recfile__snapshot(const struct rec_chunk *c, uint64_t *mono_ns, char **json);

/* report.c: the report of a recording held in memory (name is for
 * messages). format 0 text, 1 JSON, 2 Chrome Trace Event JSON. */
#include <stdio.h>
int report__mem(const char *name, const void *buf, size_t len, int format, int pretty, FILE *out);

#endif
