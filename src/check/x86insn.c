// SPDX-License-Identifier: GPL-2.0
/*
 * An x86-64 instruction length decoder for compiled kernel code (see
 * x86insn.h). It follows the Intel SDM's opcode maps (Vol. 2, Appendix A)
 * for the 64-bit mode: legacy prefixes, REX, one-byte, 0f, 0f 38 and 0f 3a
 * maps, ModRM/SIB/displacement, and each opcode's immediate.
 */
#include "check/x86insn.h"

#include <string.h>

enum {
	F_MODRM = 1,   /* a ModRM byte follows */
	F_I8 = 2,      /* imm8 */
	F_IZ = 4,      /* imm16 with 0x66, else imm32 */
	F_I16 = 8,     /* imm16 */
	F_REL8 = 16,   /* rel8 branch */
	F_REL32 = 32,  /* rel32 branch or call */
	F_BAD = 64,    /* invalid in 64-bit mode, VEX/EVEX, or a prefix out of place */
	F_GRP3 = 128,  /* f6/f7: imm only for /0 and /1 (test) */
};

static unsigned int one_byte(uint8_t op)
{
	if (op < 0x40) {
		unsigned int lo = op & 7;

		if (op == 0x0f)
			return 0; /* escape, handled by the caller */
		if (lo < 4)
			return F_MODRM;
		if (lo == 4)
			return F_I8;
		if (lo == 5)
			return F_IZ;
		return F_BAD; /* push/pop es.., daa.., and prefixes seen here */
	}
	if (op < 0x60)
		return 0; /* 40-4f REX (handled before), 50-5f push/pop */
	switch (op) {
	case 0x63: return F_MODRM;
	case 0x68: return F_IZ;
	case 0x69: return F_MODRM | F_IZ;
	case 0x6a: return F_I8;
	case 0x6b: return F_MODRM | F_I8;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return 0;
	case 0x80: case 0x83: return F_MODRM | F_I8;
	case 0x81: return F_MODRM | F_IZ;
	case 0x82: return F_BAD;
	case 0x9a: return F_BAD;
	case 0xa8: return F_I8;
	case 0xa9: return F_IZ;
	case 0xc0: case 0xc1: case 0xc6: return F_MODRM | F_I8;
	case 0xc7: return F_MODRM | F_IZ;
	case 0xc2: case 0xca: return F_I16;
	case 0xc8: return F_I16 | F_I8;
	case 0xcd: return F_I8;
	case 0xe8: case 0xe9: return F_REL32;
	case 0xeb: return F_REL8;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7: return F_I8;
	case 0xf6: case 0xf7: return F_MODRM | F_GRP3;
	case 0xc4: case 0xc5: case 0x62: /* VEX, EVEX */
	case 0xd4: case 0xd5: case 0xd6: case 0xce: case 0xea:
	case 0x60: case 0x61:
		return F_BAD;
	}
	if (op >= 0x70 && op <= 0x7f)
		return F_REL8;
	if (op >= 0xe0 && op <= 0xe3)
		return F_REL8;
	if (op >= 0x84 && op <= 0x8f)
		return F_MODRM;
	if (op >= 0xb0 && op <= 0xb7)
		return F_I8;
	if (op >= 0xb8 && op <= 0xbf)
		return F_IZ; /* imm64 with REX.W: see x86_decode */
	if ((op >= 0xd0 && op <= 0xd3) || (op >= 0xd8 && op <= 0xdf) || op == 0xfe || op == 0xff)
		return F_MODRM;
	if (op >= 0xa0 && op <= 0xa3)
		return F_BAD; /* moffs forms: compilers never emit them in modules */
	if (op >= 0x64 && op <= 0x67)
		return F_BAD; /* prefixes, only valid before REX */
	return 0; /* 90-9f, a4-af, c3, c9, cb, cc, cf, d7, ec-ef, f1, f4, f5, f8-fd */
}

static unsigned int two_byte(uint8_t op)
{
	switch (op) {
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b: case 0x0e:
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x37:
	case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa:
		return 0;
	case 0x0f: case 0x70: case 0x71: case 0x72: case 0x73: case 0xa4: case 0xac:
	case 0xba: case 0xc2: case 0xc4: case 0xc5: case 0xc6:
		return F_MODRM | F_I8;
	case 0x04: case 0x0a: case 0x0c: case 0x24: case 0x25: case 0x26: case 0x27:
	case 0x36: case 0x39: case 0x3b: case 0x3c: case 0x3d: case 0x3e: case 0x3f:
	case 0x7a: case 0x7b: case 0xa6: case 0xa7:
		return F_BAD;
	}
	if (op >= 0x80 && op <= 0x8f)
		return F_REL32;
	if (op >= 0xc8 && op <= 0xcf)
		return 0; /* bswap */
	return F_MODRM;
}

static int is_legacy_prefix(uint8_t b)
{
	return b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e ||
	       b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67;
}

static int64_t read_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (size < 8 && (v >> (8 * size - 1)) & 1)
		v |= ~0ull << (8 * size); /* sign-extend */
	return (int64_t)v;
}

/* ModRM, SIB and displacement at p[*i]. 0 when out of bytes. */
static int decode_modrm(const uint8_t *p, size_t n, size_t *i, struct x86_insn *in)
{
	uint8_t m, rx = (in->rex >> 2) & 1, bx = in->rex & 1, xx = (in->rex >> 1) & 1;
	unsigned int disp = 0;

	if (*i >= n)
		return 0;
	m = p[(*i)++];
	in->has_modrm = 1;
	in->mod = m >> 6;
	in->reg = (uint8_t)(((m >> 3) & 7) | (rx << 3));
	in->rm = (uint8_t)((m & 7) | (bx << 3));
	in->base = in->index = X86_REG_NONE;
	if (in->mod == 3)
		return 1;
	if ((m & 7) == 4) {
		uint8_t sib;

		if (*i >= n)
			return 0;
		sib = p[(*i)++];
		if (((sib >> 3) & 7) != 4 || xx)
			in->index = (uint8_t)(((sib >> 3) & 7) | (xx << 3));
		if ((sib & 7) == 5 && in->mod == 0)
			disp = 4;
		else
			in->base = (uint8_t)((sib & 7) | (bx << 3));
	} else if ((m & 7) == 5 && in->mod == 0) {
		disp = 4; /* rip-relative */
	} else {
		in->base = in->rm;
	}
	in->rm = X86_REG_NONE;
	if (in->mod == 1)
		disp = 1;
	else if (in->mod == 2)
		disp = 4;
	if (*i + disp > n)
		return 0;
	if (disp)
		in->disp = (int32_t)read_le(p + *i, disp);
	*i += disp;
	return 1;
}

size_t x86_decode(const uint8_t *p, size_t n, struct x86_insn *in)
{
	size_t i = 0;
	unsigned int f, imm = 0;
	uint8_t op;

	memset(in, 0, sizeof(*in));
	in->base = in->index = in->rm = X86_REG_NONE;
	while (i < n && i < 14 && is_legacy_prefix(p[i]))
		in->opsize16 |= p[i++] == 0x66;
	if (i < n && (p[i] & 0xf0) == 0x40)
		in->rex = p[i++];
	if (i >= n)
		return 0;
	op = p[i++];
	if (op == 0x0f) {
		if (i >= n)
			return 0;
		op = p[i++];
		if (op == 0x38 || op == 0x3a) {
			in->map = op == 0x38 ? 3 : 4;
			if (i >= n)
				return 0;
			op = p[i++];
			f = F_MODRM | (in->map == 4 ? F_I8 : 0);
		} else {
			in->map = 2;
			f = two_byte(op);
		}
	} else {
		in->map = 1;
		f = one_byte(op);
	}
	in->op = op;
	if (f & F_BAD)
		return 0;
	if ((f & F_MODRM) && !decode_modrm(p, n, &i, in))
		return 0;
	if ((f & F_GRP3) && (in->reg & 7) < 2)
		f |= op == 0xf6 ? F_I8 : F_IZ;
	if (f & F_I16)
		imm += 2;
	if (f & F_I8)
		imm += 1;
	if (f & F_IZ)
		imm += in->opsize16 ? 2 : 4;
	if (in->map == 1 && op >= 0xb8 && op <= 0xbf && (in->rex & 8))
		imm = 8; /* movabs */
	if (f & (F_REL8 | F_REL32)) {
		unsigned int rs = f & F_REL8 ? 1 : 4;

		if (i + rs > n)
			return 0;
		in->is_rel = 1;
		in->rel = (int32_t)read_le(p + i, rs);
		i += rs;
	}
	if (i + imm > n || i + imm > 15)
		return 0;
	if (imm) {
		in->has_imm = 1;
		in->imm_size = (uint8_t)imm;
		/* enter (iw, ib) keeps the first; the value matters for no caller */
		in->imm = read_le(p + i, imm > 8 ? 8 : imm);
		i += imm;
	}
	in->len = (uint8_t)i;
	return i;
}

int x86_sets_const(const struct x86_insn *in, uint8_t *reg, uint64_t *value)
{
	if (in->map != 1)
		return 0;
	if (in->op >= 0xb8 && in->op <= 0xbf && !in->opsize16) {
		*reg = (uint8_t)((in->op & 7) | ((in->rex & 1) << 3));
		/* a 32-bit mov zero-extends into the whole register */
		*value = in->imm_size == 8 ? (uint64_t)in->imm : (uint32_t)in->imm;
		return 1;
	}
	if (in->op == 0xc7 && in->mod == 3 && (in->reg & 7) == 0 && !in->opsize16) {
		*reg = in->rm;
		*value = in->rex & 8 ? (uint64_t)in->imm : (uint32_t)in->imm;
		return 1;
	}
	/* xor r,r / sub r,r: zero */
	if ((in->op == 0x31 || in->op == 0x33 || in->op == 0x29 || in->op == 0x2b) &&
	    in->mod == 3 && in->reg == in->rm && !in->opsize16) {
		*reg = in->rm;
		*value = 0;
		return 1;
	}
	return 0;
}

int x86_touches(const struct x86_insn *in, uint8_t reg)
{
	if (in->has_modrm && (in->reg == reg || in->rm == reg || in->base == reg || in->index == reg))
		return 1;
	if (in->map == 1) {
		uint8_t r = (uint8_t)((in->op & 7) | ((in->rex & 1) << 3));

		if ((in->op >= 0x50 && in->op <= 0x5f) || (in->op >= 0x90 && in->op <= 0x97) ||
		    (in->op >= 0xb0 && in->op <= 0xbf))
			return r == reg || (in->op >= 0x90 && in->op <= 0x97 && reg == 0);
		/* ins/outs, movs, cmps, stos, lods, scas */
		if ((in->op >= 0x6c && in->op <= 0x6f) || (in->op >= 0xa4 && in->op <= 0xa7) ||
		    (in->op >= 0xaa && in->op <= 0xaf))
			return reg == X86_RSI || reg == X86_RDI;
	}
	if (in->map == 2 && in->op >= 0xc8 && in->op <= 0xcf)
		return (uint8_t)((in->op & 7) | ((in->rex & 1) << 3)) == reg;
	return 0;
}

int x86_is_call(const struct x86_insn *in)
{
	return in->map == 1 &&
	       (in->op == 0xe8 || (in->op == 0xff && ((in->reg & 7) == 2 || (in->reg & 7) == 3)));
}

int x86_ends_flow(const struct x86_insn *in)
{
	if (in->map == 2)
		return in->op == 0x0b; /* ud2 */
	return in->map == 1 &&
	       (in->op == 0xe9 || in->op == 0xeb || in->op == 0xc3 || in->op == 0xc2 ||
		in->op == 0xcc || (in->op == 0xff && ((in->reg & 7) == 4 || (in->reg & 7) == 5)));
}
