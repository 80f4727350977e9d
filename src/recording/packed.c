// SPDX-License-Identifier: GPL-2.0
/* The packed encoding of recording files: buffers, varints, the field
 * tables of the event structs, an index map (docs/trace-format.md). */
#include "recording/packed.h"
#include "lib/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

void bb_put(struct bbuf *b, const void *p, size_t len)
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

void bb_u8(struct bbuf *b, uint8_t v)
{
	bb_put(b, &v, 1);
}

/* Unsigned LEB128: 7 bits a byte, low groups first, high bit = more. */
void bb_var(struct bbuf *b, uint64_t v)
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



uint64_t cur_var(struct cur *c)
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

const uint8_t *cur_bytes(struct cur *c, size_t n)
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

const struct field *fields_of(int kind, size_t *n)
{
	if (kind == REC_EV_TRANSITION) {
		*n = ARRAY_SIZE(trans_fields);
		return trans_fields;
	}
	*n = ARRAY_SIZE(shadow_fields);
	return shadow_fields;
}

uint64_t field_get(const uint8_t *ev, const struct field *f)
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

void field_set(uint8_t *ev, const struct field *f, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (f->size == 4)
		memcpy(ev + f->off, &v32, 4);
	else
		memcpy(ev + f->off, &v, 8);
}

/* The value a field has when absent from a record. */
uint64_t field_none(const struct field *f)
{
	return f->enc == F_STK_SHADOW ? (uint64_t)-1 : 0;
}

int field_present(const uint8_t *ev, const struct field *f)
{
	if (f->enc == F_STR)
		return ev[f->off] != '\0';
	return field_get(ev, f) != field_none(f);
}


size_t mix(uint64_t k, uint32_t tag)
{
	k ^= (uint64_t)tag * 0x9e3779b97f4a7c15ull;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

uint32_t imap_find(const struct imap *m, uint64_t key, uint32_t tag,
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

void imap_put(struct imap *m, uint64_t key, uint32_t tag, uint32_t val)
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

void imap_free(struct imap *m)
{
	free(m->keys);
	free(m->tags);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

uint64_t fnv(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}
