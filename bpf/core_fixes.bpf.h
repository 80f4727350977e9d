/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel fields that moved or were renamed across the kernels klptop runs on.
 * Each ___flavor struct names the kernel that changed it; CO-RE picks the one
 * that exists at load time.
 */
#ifndef KLPTOP_CORE_FIXES_BPF_H
#define KLPTOP_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* v5.14 (commit 2f064a59a11f "sched: Change task_struct::state") renamed
 * task_struct::state (long) to __state (unsigned int). */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_sched_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (__u32)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* x86-64 keeps thread_info inside task_struct (THREAD_INFO_IN_TASK), so the
 * TIF flags are task->thread_info.flags on every kernel we support. */
static __always_inline __u64 task_tif_flags(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_info.flags);
}

/* ---- what memory a pointer is (bpf/shadow.bpf.c: owner_kind) ---------------- */

/* A tail page points at its compound head: page::compound_head (pointer | 1)
 * up to 6.12; 7.2 calls it compound_info, which holds a mask instead when
 * the HugeTLB vmemmap optimisation is built in (the head is then page & mask). */
struct page___compound_head {
	unsigned long compound_head;
} __attribute__((preserve_access_index));

struct page___compound_info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

/* 6.1 marks a slab page with PG_slab in page->flags; 6.12 and 7.2 make slab
 * a page type (page_type >> 24 == PGTY_slab). 6.10 and 6.11 had a third
 * encoding: not recognised, so an owner there is of unknown kind. */
enum pagetype___612 {
	PGTY_slab___612 = 0,
};

/* SLAB_KMALLOC is 0x1000 in 6.1 (a #define, not in BTF); 6.12 and 7.2 make
 * the flags bits of enum _slab_flag_bits (_SLAB_KMALLOC = 3 there). */
enum _slab_flag_bits___612 {
	_SLAB_KMALLOC___612 = 0,
};
#define SLAB_KMALLOC_61 0x1000u

static __always_inline __u64 page_head(__u64 page)
{
	__u64 info;

	if (bpf_core_field_exists(((struct page___compound_info *)0)->compound_info))
		info = BPF_CORE_READ((struct page___compound_info *)page, compound_info);
	else
		info = BPF_CORE_READ((struct page___compound_head *)page, compound_head);
	if (!(info & 1))
		return page;
	/* A mask has every high bit set; a head pointer does not (vmemmap). */
	if (info >= 0xffffffff00000000ull)
		return page & info;
	return info - 1;
}

/* 1: the head page of a slab, 0: not a slab, -1: this kernel's encoding is
 * not one we know. */
static __always_inline int page_is_slab(__u64 head)
{
	struct page *p = (struct page *)head;

	if (bpf_core_enum_value_exists(enum pagetype___612, PGTY_slab___612))
		return (BPF_CORE_READ(p, page_type) >> 24) ==
		       bpf_core_enum_value(enum pagetype___612, PGTY_slab___612);
	if (bpf_core_enum_value_exists(enum pageflags, PG_slab))
		return (BPF_CORE_READ(p, flags) >> bpf_core_enum_value(enum pageflags, PG_slab)) & 1;
	return -1;
}

static __always_inline __u32 slab_kmalloc_flag(void)
{
	if (bpf_core_enum_value_exists(enum _slab_flag_bits___612, _SLAB_KMALLOC___612))
		return 1u << bpf_core_enum_value(enum _slab_flag_bits___612, _SLAB_KMALLOC___612);
	return SLAB_KMALLOC_61;
}

#endif
