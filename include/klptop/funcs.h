/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between bpf/funcs.bpf.c and src/funcs.c: every patched function as
 * the kernel's own klp structures describe it, and which version is live.
 */
#ifndef KLPTOP_FUNCS_H
#define KLPTOP_FUNCS_H

/* Compiles alone in both worlds: BPF programs get the types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KLPT_FN_MAX 128
#define KLPT_FN_NAME_LEN 64
#define KLPT_FN_MOD_LEN 56

struct klpt_func_rec {
	__u64 func;            /* the struct klp_func, as identity */
	__u64 old_addr;        /* old_func */
	__u64 new_addr;        /* new_func (0 for a replace patch's nop) */
	__u64 old_sympos;
	__u32 patched;
	__u32 transition;
	__u32 nop;
	__u32 pad;
	char patch[KLPT_FN_MOD_LEN];
	char object[KLPT_FN_MOD_LEN];   /* "" for vmlinux */
	char name[KLPT_FN_NAME_LEN];
};

/* One entry of a klp_ops func_stack: the first of each stack is live. */
struct klpt_stack_rec {
	__u64 func;
	__u32 pos;
	__u32 pad;
};

struct klpt_walk {
	__u64 patches_addr;    /* &klp_patches (kallsyms) */
	__u64 ops_addr;        /* &klp_ops (static, kallsyms with KALLSYMS_ALL) */
	__u32 nfuncs;
	__u32 nstack;
	__u32 truncated;
	__u32 pad;
	struct klpt_func_rec funcs[KLPT_FN_MAX];
	struct klpt_stack_rec stack[KLPT_FN_MAX];
};

#endif
