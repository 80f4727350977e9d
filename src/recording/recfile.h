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
#define REC_VERSION 2                 /* written; 1 is still read */
#define REC_FLAG_REDACTED 0x1         /* file header flags: --redact */
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
	/* version 2 */
	REC_EVENTS,          /* a batch of packed events (docs/trace-format.md) */
	REC_STRINGS,         /* string dictionary entries the batches refer to */
	REC_STACKS,          /* stack dictionary entries */
	REC_TYPE_MAX,
};
#define REC_TYPE_MAX_V1 (REC_END + 1)

/* REC_TRANS_EVENT / REC_SHADOW_EVENT payload version (struct layout). */
#define REC_EVENT_VERSION 1
/* REC_SNAPSHOT and REC_EVENTS encodings */
#define REC_ENC_PLAIN 0
#define REC_ENC_ZLIB 1

/* Kinds of packed events. */
enum { REC_EV_TRANSITION = 1, REC_EV_SHADOW = 2 };
/* Where a stack dictionary entry came from (its key). */
enum {
	REC_STK_SHADOW = 1,   /* a stack id of the shadow probes' stack map */
	REC_STK_JUDGED = 2,   /* a transition stack_key (the judged stack) */
	REC_STK_ADDR = 3,     /* one code address (a free's call site) */
};
#define REC_BATCH_BYTES (32u << 10)   /* a batch is written when this full */
#define REC_MAX_FRAMES 64
#define REC_MAX_STRING 512

const char *rec_chunk_type__name(uint32_t type);

/* ---- writer ---- */
struct rec_writer;
struct rec_pseudonyms;

/* Create path (O_EXCL|O_NOFOLLOW, mode 0600; with force an existing file is
 * removed first) and write the file header. NULL with errno and err set. */
struct rec_writer *recfile__create(const char *path, int force, char *err, size_t errlen);
/* Writer onto an open descriptor that cannot seek (stdout, `record -o -`);
 * refused for a terminal. The file header goes out with the first chunk. */
struct rec_writer *recfile__create_fd(int fd, char *err, size_t errlen);
/* Writer into a memory buffer (tests, flight recorder): see recfile__buffer. */
struct rec_writer *recfile__create_mem(void);
const void *recfile__buffer(const struct rec_writer *w, size_t *len);
/* One chunk whose payload is hdr (hlen bytes, may be 0) followed by p. */
int recfile__write(struct rec_writer *w, uint32_t type, const void *hdr, size_t hlen,
		   const void *p, size_t len);
/* A raw event chunk, version-1 framing (one chunk per event): version + size
 * prefix, then the struct as delivered. Kept for old-format tests and the
 * benchmark's comparison; record uses recfile__add_event. */
int recfile__write_event(struct rec_writer *w, uint32_t type, const void *ev, size_t len);

/* One frame of a resolved stack (strings are copied by the writer). */
struct rec_frame {
	uint64_t addr;        /* 0 in a redacted file */
	const char *symbol;   /* NULL: not in kallsyms */
	const char *module;   /* NULL: vmlinux */
	uint64_t offset;
};
/* Resolves a stack reference to frames (at most max); returns how many. */
typedef size_t (*rec_stack_fn)(void *ctx, uint32_t source, uint64_t key,
			       struct rec_frame *out, size_t max);
void recfile__set_stack_resolver(struct rec_writer *w, rec_stack_fn fn, void *ctx);
/* Redacted file: sets REC_FLAG_REDACTED in the file header (call before
 * any chunk), replaces owner addresses by pseudonyms and writes stack
 * frames without addresses. */
void recfile__set_redact(struct rec_writer *w);
/* Queue one event (struct klpt_event / klpt_shadow_event as delivered) in
 * the current batch, packed; the batch is written when REC_BATCH_BYTES
 * full, before any other chunk, at recfile__flush_events and at close. */
int recfile__add_event(struct rec_writer *w, int kind, const void *ev, size_t len);
int recfile__flush_events(struct rec_writer *w);
uint64_t recfile__events_queued(const struct rec_writer *w);
/* The writer's pseudonyms of owner addresses (obj#1, obj#2, ... by first
 * use), shared by the packed events and the redacted snapshots. */
struct rec_pseudonyms *recfile__pseudonyms(struct rec_writer *w);
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
	uint32_t flags;       /* file header flags (REC_FLAG_REDACTED) */
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
/* A JSON chunk (header, metadata, drops, end) parsed: a json_object *, or
 * NULL when the payload is not JSON. */
void *recfile__chunk_json(const struct rec_chunk *c);

/* Version 2 packed events. The dictionaries (strings, stacks) are filled
 * from REC_STRINGS / REC_STACKS chunks in file order; a batch can only refer
 * to entries defined before it. */
struct rec_dict;
struct rec_stack {
	uint32_t source;      /* REC_STK_* */
	uint64_t key;         /* the stack id, stack_key or address recorded */
	uint32_t n;
	struct rec_frame *frames;
};
struct rec_dict *recfile__dict_new(void);
void recfile__dict_free(struct rec_dict *d);
/* Add the entries of a REC_STRINGS or REC_STACKS chunk: 0, or -1 if malformed
 * (entries before the fault are kept). */
int recfile__dict_add(struct rec_dict *d, const struct rec_chunk *c);
const char *recfile__dict_string(const struct rec_dict *d, uint32_t ref);
const struct rec_stack *recfile__dict_stack(const struct rec_dict *d, uint32_t ref);

#include "klptop/shadow.h"
#include "klptop/transition.h"
/* One decoded event: the struct as the probes delivered it (stack fields
 * hold the recorded ids; call_site 0 in a redacted file), plus references
 * into the stack dictionary (0: none). */
struct rec_event {
	uint32_t kind;        /* REC_EV_* */
	uint32_t stack_ref;   /* transition: stack_key; shadow: alloc stack */
	uint32_t free_stack_ref, get_stack_ref, call_site_ref;  /* shadow */
	union {
		struct klpt_event t;
		struct klpt_shadow_event s;
	} u;
};
/* Decode a REC_EVENTS batch, calling fn for each event in order. Returns
 * the number decoded, or -1 when the batch is malformed (the events before
 * the fault have been delivered). */
int recfile__events(const struct rec_chunk *c, const struct rec_dict *d,
		    void (*fn)(void *ctx, const struct rec_event *e), void *ctx);

/* --redact helpers. Pseudonyms: a stable small number per address. */
struct rec_pseudonyms;
struct rec_pseudonyms *rec_pseudonyms__new(void);
void rec_pseudonyms__free(struct rec_pseudonyms *p);
uint64_t rec_pseudonyms__get(struct rec_pseudonyms *p, uint64_t addr);
/* Remove kernel addresses from a json_object tree in place: a hex string
 * naming an owner object ("obj") becomes "obj#N", any other kernel address
 * "0x0" (unknown), and addresses inside longer strings are masked. */
void recfile__redact_json(struct rec_pseudonyms *p, void *json_object);
/* Mask every kernel address (ffff + 12 hex digits, with or without 0x) in
 * s, in place; returns how many. */
size_t recfile__redact_text(char *s);

#endif
