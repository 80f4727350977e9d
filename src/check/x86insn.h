/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of an x86-64 decoder to walk a kernel module's functions one
 * instruction at a time: lengths, operands and immediates. klptop check uses
 * it to read the constants a patch passes to functions (shadow ids to
 * klp_shadow_*, replace in a klp-build module's init). Kernel code has no
 * VEX/EVEX (SSE/AVX) instructions; meeting one ends the walk.
 */
#ifndef KLPTOP_X86INSN_H
#define KLPTOP_X86INSN_H

#include <stddef.h>
#include <stdint.h>

#define X86_REG_NONE 0xff
#define X86_RSI 6
#define X86_RDI 7

struct x86_insn {
	uint8_t len;
	uint8_t map;           /* 1: one-byte opcode, 2: 0f xx, 3: 0f 38 xx, 4: 0f 3a xx */
	uint8_t op;            /* the opcode byte in its map */
	uint8_t rex;           /* 0 when none */
	uint8_t opsize16;      /* 0x66 prefix */
	uint8_t has_modrm;
	uint8_t mod, reg, rm;  /* reg and rm extended by REX.R/REX.B (rm: mod 3 only) */
	uint8_t base, index;   /* memory operand registers, X86_REG_NONE if none */
	int32_t disp;
	uint8_t has_imm;
	int64_t imm;           /* sign-extended */
	uint8_t imm_size;
	uint8_t is_rel;        /* a relative branch or call: target = next + rel */
	int32_t rel;
};

/* Decode the instruction at p (n bytes readable). Returns its length, or 0
 * when it is not one this decoder knows (the walk must stop). */
size_t x86_decode(const uint8_t *p, size_t n, struct x86_insn *in);

/* The register an instruction sets to a known constant (mov $imm, xor r,r),
 * with the value; 0 if it does not. */
int x86_sets_const(const struct x86_insn *in, uint8_t *reg, uint64_t *value);
/* The instruction reads or writes reg, explicitly or implicitly (string
 * instructions use rsi and rdi). */
int x86_touches(const struct x86_insn *in, uint8_t reg);
/* call, and the ends of straight-line code (jmp, ret, ud2). */
int x86_is_call(const struct x86_insn *in);
int x86_ends_flow(const struct x86_insn *in);

#endif
