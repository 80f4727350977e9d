/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What memory an object is, hence which free can release it (kfree only,
 * kmem_cache_free too, or neither): read once, when an object becomes the
 * owner of a shadow variable (bpf/shadow.bpf.c). Only bpf/shadow.bpf.c
 * includes it: the layout globals below are that program's read-only data.
 */
#ifndef KLPTOP_OWNER_KIND_BPF_H
#define KLPTOP_OWNER_KIND_BPF_H

#include <bpf/bpf_core_read.h>
#include "klptop/shadow.h"

/* Addresses of the kernel's page_offset_base, vmalloc_base and vmemmap_base
 * (from kallsyms; 0 unknown): where the direct map and struct pages are. */
const volatile __u64 page_offset_base_addr = 0;
const volatile __u64 vmalloc_base_addr = 0;
const volatile __u64 vmemmap_base_addr = 0;
/* struct page and the slab as this kernel's BTF lays them out (userspace
 * reads them: a CO-RE relocation that fails on one kernel can be hoisted
 * out of its guard by the compiler and fail the load). flags is the first
 * word of struct page on every kernel; 0 below means unknown. */
const volatile __u32 page_compound_off = 0;   /* compound_head (6.1, 6.12), compound_info (7.2) */
const volatile __u32 page_type_off = 0;
const volatile __u32 slab_test = 0;           /* KLPT_SLAB_BY_* */
const volatile __u32 slab_value = 0;          /* PG_slab's bit, or PGTY_slab */
const volatile __u32 slab_kmalloc_flag = 0;   /* SLAB_KMALLOC */

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	if (addr)
		bpf_probe_read_kernel(&v, sizeof(v), (void *)addr);
	return v;
}

/* A tail page names its compound head: a pointer | 1, or (7.2 with the
 * HugeTLB vmemmap optimisation) a mask | 1 whose high bits are all set. */
static __always_inline __u64 page_head(__u64 page)
{
	__u64 info = read_u64(page + page_compound_off);

	if (!(info & 1))
		return page;
	if (info >= 0xffffffff00000000ull)
		return page & info;
	return info - 1;
}

/* 1: the head page of a slab, 0: not a slab. 6.1 sets a PG_slab bit in
 * flags; 6.12 and 7.2 make slab a page type (page_type >> 24). */
static __always_inline int page_is_slab(__u64 head)
{
	__u32 type = 0;

	if (slab_test == KLPT_SLAB_BY_FLAG)
		return (read_u64(head) >> (slab_value & 63)) & 1;
	bpf_probe_read_kernel(&type, sizeof(type), (void *)(head + page_type_off));
	return (type >> 24) == slab_value;
}

/* A kmalloc cache that no other cache is merged into (refcount 1, or -1:
 * unmergeable): its objects come from kmalloc and go to kfree only. A cache
 * merged into it (refcount > 1) hands out the same slabs to
 * kmem_cache_alloc, whose objects kmem_cache_free releases. */
static __always_inline __u32 cache_kind(struct kmem_cache *s)
{
	char name[16] = {};
	int refcount = BPF_CORE_READ(s, refcount);
	__u32 flags = BPF_CORE_READ(s, flags);
	const char *n = name;

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(s, name));
	if (name[0] == 'd' && name[1] == 'm' && name[2] == 'a' && name[3] == '-')
		n += 4;   /* dma-kmalloc-N */
	if (!(flags & slab_kmalloc_flag) || refcount > 1 ||
	    n[0] != 'k' || n[1] != 'm' || n[2] != 'a' || n[3] != 'l' || n[4] != 'l' ||
	    n[5] != 'o' || n[6] != 'c' || n[7] != '-')
		return KLPT_OWNER_CACHE;
	return KLPT_OWNER_KMALLOC;
}

/* What memory obj is, hence which free can release it. Read once, when an
 * object becomes an owner; anything unexpected answers UNKNOWN (both hooks). */
static __always_inline __u32 owner_kind(__u64 obj)
{
	__u64 pob = read_u64(page_offset_base_addr), vmb = read_u64(vmalloc_base_addr);
	__u64 vmemmap = read_u64(vmemmap_base_addr), page;
	struct kmem_cache *cache;

	if (!pob || !vmb || !vmemmap || pob >= vmb || !page_compound_off || !slab_test ||
	    !slab_kmalloc_flag)
		return KLPT_OWNER_UNKNOWN;
	if (obj < pob || obj >= vmb)
		return KLPT_OWNER_OUTSIDE;
	page = vmemmap + ((obj - pob) >> 12) * bpf_core_type_size(struct page);
	page = page_head(page);
	if (!page_is_slab(page))
		return KLPT_OWNER_PAGES;
	cache = BPF_CORE_READ((struct slab *)page, slab_cache);
	return cache ? cache_kind(cache) : KLPT_OWNER_UNKNOWN;
}

#endif
