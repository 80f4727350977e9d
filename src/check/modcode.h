/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a patch module's code says that its data does not: the shadow ids it
 * passes to klp_shadow_*(), and, for a klp-build module, the value its init
 * stores into klp_patch.replace. Read by walking the calling function with
 * the x86-64 decoder (x86insn.h), x86-64 modules only.
 */
#ifndef KLPTOP_MODCODE_H
#define KLPTOP_MODCODE_H

#include "check/patchelf.h"
#include "check/relf.h"

/* struct klp_patch.replace on 64-bit kernels since 5.5 (mod, objs, states) */
#define KLP_PATCH_REPLACE 24

/* Each relocation in code that names a function outside the module (a
 * call, a tail jump, or an address taken): fn gets the section, the
 * relocation's index in it and the callee's name; non-zero stops. */
typedef int (*modcode_call_fn)(const struct relf *re, size_t sec, size_t rel, const char *callee,
			       void *ctx);
void modcode__for_each_call(const struct relf *re, modcode_call_fn fn, void *ctx);

/* Every call to a klp_shadow_* function, with the id when it is a constant
 * loaded into the id's argument register on the straight-line path to the
 * call (no branch target, call or other use of that register between). */
void modcode__shadow_calls(const struct relf *re, struct lp_shadow_call **calls, size_t *n);
/* The byte the function calling klp_enable_patch() stores at offset
 * KLP_PATCH_REPLACE of a register, before the call: 0 and *replace set, or
 * -1 when no such store is seen. */
int modcode__replace_store(const struct relf *re, int *replace);

#endif
