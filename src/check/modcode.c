// SPDX-License-Identifier: GPL-2.0
/*
 * Constants a patch module's code passes (modcode.h). A call in a .ko is
 * "e8 00 00 00 00" with a relocation naming the callee on the four zero
 * bytes, so the calls are found from the relocations; the argument is
 * found by decoding the calling function from its symbol's start up to the
 * call, one instruction at a time, and following one register:
 *
 *  - "mov $imm, %esi" (and its 64-bit forms) or "xor %esi, %esi" makes it
 *    a known constant, unless a relocation fills the immediate (an address);
 *  - any other instruction that names the register, any call, and any place
 *    a branch can land on (the targets of the function's relative jumps, and
 *    what follows a jmp/ret) make it unknown again.
 *
 * So an id is reported only when the code sets it on the one straight path
 * to the call; anything else is "not a constant" rather than a guess.
 */
#include "check/modcode.h"
#include "check/x86insn.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FUNC_BYTES (1u << 20)

/* The shadow API (include/linux/livepatch.h) and the register of its id. */
static const struct {
	const char *name;
	uint8_t reg;
} shadow_api[] = {
	{ "klp_shadow_get", X86_RSI },
	{ "klp_shadow_alloc", X86_RSI },
	{ "klp_shadow_get_or_alloc", X86_RSI },
	{ "klp_shadow_free", X86_RSI },
	{ "klp_shadow_free_all", X86_RDI },
};

struct walk {
	const uint8_t *code;   /* the section's bytes */
	size_t start, end;     /* the function, [start, end) */
	uint64_t *targets;     /* branch targets inside it, sorted */
	size_t ntargets;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pass 1: every relative branch target inside the function. -1 when an
 * instruction cannot be decoded. */
static int collect_targets(struct walk *w)
{
	size_t cap = 0, off = w->start;
	struct x86_insn in;

	while (off < w->end) {
		size_t len = x86_decode(w->code + off, w->end - off, &in);

		if (!len)
			return -1; /* a backward jump from beyond could land anywhere */
		if (in.is_rel && !x86_is_call(&in)) {
			int64_t t = (int64_t)(off + len) + in.rel;

			if (t >= (int64_t)w->start && t < (int64_t)w->end) {
				grow_array((void **)&w->targets, &cap, w->ntargets, sizeof(*w->targets));
				w->targets[w->ntargets++] = (uint64_t)t;
			}
		}
		off += len;
	}
	if (w->ntargets)
		qsort(w->targets, w->ntargets, sizeof(*w->targets), cmp_u64);
	return 0;
}

static int is_target(const struct walk *w, uint64_t off)
{
	return w->ntargets &&
	       bsearch(&off, w->targets, w->ntargets, sizeof(*w->targets), cmp_u64) != NULL;
}

/* Pass 2: the value of reg at the instruction at stop. 1 known, 0 not. */
static int value_at(const struct walk *w, const struct relf_sec *s, size_t stop, uint8_t reg,
		    uint64_t *value)
{
	size_t off = w->start;
	int known = 0;
	struct x86_insn in;

	while (off < stop) {
		size_t len = x86_decode(w->code + off, w->end - off, &in);
		uint8_t r;
		uint64_t v;

		if (!len)
			return 0;
		if (is_target(w, off))
			known = 0;
		if (x86_sets_const(&in, &r, &v)) {
			/* a relocation in the immediate: an address, not a constant */
			int reloc = in.has_imm && relf_rela_at(s, off + len - in.imm_size);

			if (r == reg) {
				known = !reloc;
				*value = v;
			}
		} else if (x86_touches(&in, reg) || x86_is_call(&in) || x86_ends_flow(&in)) {
			known = 0;
		}
		off += len;
	}
	return off == stop && !is_target(w, stop) && known;
}

/* The function around the call at (sec, call_off), ready to walk. */
static int walk_init(const struct relf *re, size_t sec, uint64_t call_off, struct walk *w,
		     const char **caller)
{
	const struct relf_sec *s = &re->secs[sec];
	uint64_t start, size;

	memset(w, 0, sizeof(*w));
	*caller = relf_func_at(re, sec, call_off, &start, &size);
	if (!*caller || size > MAX_FUNC_BYTES || start > s->data->d_size ||
	    size > s->data->d_size - start)
		return -1;
	w->code = s->data->d_buf;
	w->start = start;
	w->end = start + size;
	return collect_targets(w);
}

/* The call or tail-jump whose rel32 relocation r is, in code section sec:
 * the instruction's offset, or -1. */
static int64_t call_of(const struct relf *re, size_t sec, const struct rela *r)
{
	const struct relf_sec *s = &re->secs[sec];
	const uint8_t *code = s->data->d_buf;

	if (re->machine != EM_X86_64 || (r->type != 2 && r->type != 4) || !r->off ||
	    s->data->d_size < 4 || r->off > s->data->d_size - 4)
		return -1;
	return code[r->off - 1] == 0xe8 || code[r->off - 1] == 0xe9 ? (int64_t)r->off - 1 : -1;
}

static int shadow_api_reg(const char *name, uint8_t *reg)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(shadow_api); i++) {
		if (!strcmp(name, shadow_api[i].name)) {
			*reg = shadow_api[i].reg;
			return 1;
		}
	}
	return 0;
}

void modcode__for_each_call(const struct relf *re, modcode_call_fn fn, void *ctx)
{
	for (size_t i = 1; i < re->nsecs; i++) {
		const struct relf_sec *s = &re->secs[i];

		if (!relf_sec_is_code(re, i))
			continue;
		for (size_t j = 0; j < s->nrelas; j++) {
			struct relf_target t;

			if (relf_resolve(re, &s->relas[j], &t) || t.sec || !t.name)
				continue; /* only calls out of the module: an undefined symbol */
			if (fn(re, i, j, t.name, ctx))
				return;
		}
	}
}

struct shadow_ctx {
	struct lp_shadow_call **calls;
	size_t *n, cap;
};

static int shadow_call(const struct relf *re, size_t sec, size_t rel, const char *callee,
		       void *ctx)
{
	const struct relf_sec *s = &re->secs[sec];
	struct shadow_ctx *sc = ctx;
	struct lp_shadow_call *c;
	const char *caller = NULL;
	struct walk w;
	uint8_t reg;
	int64_t at;

	if (!shadow_api_reg(callee, &reg))
		return 0;
	grow_array((void **)sc->calls, &sc->cap, *sc->n, sizeof(**sc->calls));
	c = &(*sc->calls)[(*sc->n)++];
	memset(c, 0, sizeof(*c));
	c->call = xstrdup(callee);
	at = call_of(re, sec, &s->relas[rel]);
	if (at >= 0 && !walk_init(re, sec, (uint64_t)at, &w, &caller))
		c->id_known = value_at(&w, s, (size_t)at, reg, &c->id);
	c->caller = caller ? xstrdup(caller) : NULL;
	if (at >= 0)
		free(w.targets);
	return 0;
}

void modcode__shadow_calls(const struct relf *re, struct lp_shadow_call **calls, size_t *n)
{
	struct shadow_ctx sc = { calls, n, 0 };

	modcode__for_each_call(re, shadow_call, &sc);
}

/* The last "movb $imm, KLP_PATCH_REPLACE(%reg)" before stop. */
static int replace_store_before(const struct walk *w, size_t stop, int *replace)
{
	size_t off = w->start;
	int found = 0;
	struct x86_insn in;

	while (off < stop) {
		size_t len = x86_decode(w->code + off, w->end - off, &in);

		if (!len)
			break;
		if (in.map == 1 && in.op == 0xc6 && (in.reg & 7) == 0 && in.mod != 3 &&
		    in.base != X86_REG_NONE && in.disp == KLP_PATCH_REPLACE) {
			*replace = in.imm != 0;
			found = 1;
		}
		off += len;
	}
	return found ? 0 : -1;
}

static int replace_call(const struct relf *re, size_t sec, size_t rel, const char *callee,
			void *ctx)
{
	const char *caller;
	struct walk w;
	int64_t at;
	int rc = -1;

	if (strcmp(callee, "klp_enable_patch"))
		return 0;
	at = call_of(re, sec, &re->secs[sec].relas[rel]);
	if (at < 0)
		return 0;
	if (!walk_init(re, sec, (uint64_t)at, &w, &caller))
		rc = replace_store_before(&w, (size_t)at, ctx);
	free(w.targets);
	return rc == 0; /* found: stop */
}

int modcode__replace_store(const struct relf *re, int *replace)
{
	int r = -1;

	modcode__for_each_call(re, replace_call, &r);
	if (r < 0)
		return -1;
	*replace = r;
	return 0;
}
