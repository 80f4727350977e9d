/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the recording format: the packed encoding shared by the writer
 * (writer.c) and the reader (reader.c), see docs/trace-format.md. */
#ifndef KLPTOP_RECORDING_PACKED_H
#define KLPTOP_RECORDING_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "recording/recfile.h"

/* A growable byte buffer. */
struct bbuf {
	uint8_t *p;
	size_t len, cap;
};

/* A bounded reader over one payload: every get checks the bytes left. */
struct cur {
	const uint8_t *p;
	size_t len, pos;
	int bad;
};

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

/* An open-addressing map of (key, tag) -> 1-based index; equality beyond
 * key and tag is the caller's (eq), for strings. */
struct imap {
	uint64_t *keys;
	uint32_t *tags, *vals;   /* vals 0: empty slot */
	size_t nslots, n;
};

#define DICT_MAX (1u << 20)        /* strings or stacks in one file */
#define DICT_MAX_FRAMES (1u << 21) /* frames of all stacks: a frame costs a
				    * reader 32 bytes and a file 3, so a
				    * hostile file is capped at 64 MiB */
#define PSEUDONYMS_MAX (1u << 22)  /* distinct owners named in a redacted file */

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void bb_put(struct bbuf *b, const void *p, size_t len);
void bb_u8(struct bbuf *b, uint8_t v);
void bb_var(struct bbuf *b, uint64_t v);
uint64_t cur_var(struct cur *c);
const uint8_t *cur_bytes(struct cur *c, size_t n);
const struct field *fields_of(int kind, size_t *n);
uint64_t field_get(const uint8_t *ev, const struct field *f);
void field_set(uint8_t *ev, const struct field *f, uint64_t v);
uint64_t field_none(const struct field *f);
int field_present(const uint8_t *ev, const struct field *f);
uint32_t imap_find(const struct imap *m, uint64_t key, uint32_t tag,
			  int (*eq)(const void *ctx, uint32_t val), const void *ctx);
void imap_put(struct imap *m, uint64_t key, uint32_t tag, uint32_t val);
void imap_free(struct imap *m);
uint64_t fnv(const void *p, size_t len);

#endif
