/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between bpf/shadow.bpf.c and src/shadow.c: the records of the
 * shadow-variable probes. Fixed-width types and explicit padding only, so
 * both compilers agree on every offset (userspace asserts sizes).
 */
#ifndef KLPTOP_SHADOW_H
#define KLPTOP_SHADOW_H

/* Compiles alone in both worlds: BPF programs get the types from vmlinux.h. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KLPT_CACHE_LEN 32        /* slab cache name of a freed owner */
#define KLPT_SHADOW_BUCKETS 4096 /* klp_shadow_hash: DEFINE_HASHTABLE(.., 12) */
#define KLPT_SHADOW_CHAIN 64     /* longest hash chain the start-up scan walks */

/* struct klpt_shadow_rec.flags */
#define KLPT_SH_PREEXISTING 0x1  /* found in klp_shadow_hash at start-up */
#define KLPT_SH_LEARNED 0x2      /* first seen returned by a get */
#define KLPT_SH_ORPHANED 0x4     /* its owner was freed with it attached */
#define KLPT_SH_UNWATCHED 0x8    /* made while its owner's free hook was off */

enum klpt_shadow_event_type {
	KLPT_SH_EV_ORPHAN = 1,   /* owner freed (kfree/kmem_cache_free), shadow attached */
	KLPT_SH_EV_STALE,        /* a get returned the shadow of a freed owner */
	KLPT_SH_EV_DUPLICATE,    /* klp_shadow_alloc: the pair exists (WARN path) */
};

/* How an orphan's owner was freed (struct klpt_shadow_event.free_via). */
enum klpt_shadow_free_via {
	KLPT_SH_FREE_KFREE = 1,  /* tracepoint kmem:kfree */
	KLPT_SH_FREE_CACHE,      /* tracepoint kmem:kmem_cache_free */
	KLPT_SH_FREE_BULK,       /* kprobe kmem_cache_free_bulk (kfree_bulk, the kfree_rcu batch) */
	KLPT_SH_FREE_RCU_SHEAF,  /* kprobe rcu_free_sheaf[_nobarn] (kfree_rcu, SLUB sheaves, 6.18+) */
};

#define KLPT_BENCH_SHADOW_ID 0x6b6c7fffull  /* bench: synthetic shadows (bench_owners) */

#define KLPT_BULK_MAX 4096       /* pointers read from one kmem_cache_free_bulk call */

/* An owner handed to kfree_rcu() while carrying a shadow (rcu_pending map). */
struct klpt_shadow_rcu {
	__u64 queued_ns;
	__s32 stack;             /* the kfree_rcu() caller's stack */
	__u32 pad;
};

/* Live map key: one shadow variable. */
struct klpt_shadow_key {
	__u64 obj;
	__u64 id;
};

/* Live map value. */
struct klpt_shadow_rec {
	__u64 alloc_ns;          /* bpf_ktime_get_ns(); 0 if before klptop */
	__u64 data;              /* the shadow data pointer the kernel returned */
	__u64 size;              /* data bytes; 0 when unknown (pre-existing) */
	__u64 freed_ns;          /* owner freed at (KLPT_SH_ORPHANED) */
	__s32 alloc_stack;       /* stack id in the stacks map, < 0 none */
	__s32 free_stack;        /* the owner's free stack, < 0 none */
	__u32 flags;             /* KLPT_SH_* */
	__u32 pad;
};

/* Per id counters (the ids map), updated with atomics. */
struct klpt_shadow_stats {
	__u64 allocs;            /* real allocations (an existing one returned is not) */
	__u64 frees;             /* klp_shadow_free_struct calls */
	__s64 live;              /* allocs - frees, plus shadows found at start-up */
	__s64 bytes;             /* data bytes of the live ones (known sizes) */
	__u64 orphans;           /* owner freed with the shadow attached */
	__u64 stale;             /* stale hits */
	__u64 duplicates;        /* klp_shadow_alloc on an existing pair */
	__u64 failed;            /* allocation returned NULL for another reason */
	__u64 preexisting;       /* found in the hash at start-up */
};

/*
 * The free hooks (raw tracepoints kmem:kfree, kmem:kmem_cache_free) are
 * attached by userspace only while some owner could be freed through them
 * (docs/shadow.md, "Free hooks on demand"). Bits of hooks_on and of what an
 * owner needs.
 */
#define KLPT_HOOK_KFREE 0x1
#define KLPT_HOOK_CACHE 0x2
#define KLPT_HOOK_ALL (KLPT_HOOK_KFREE | KLPT_HOOK_CACHE)

/* What memory an owner is, so which frees can release it (owner_kind()). */
enum klpt_owner_kind {
	KLPT_OWNER_UNKNOWN = 0,  /* could not tell: both hooks */
	KLPT_OWNER_KMALLOC,      /* a kmalloc cache no other cache is merged into: kfree */
	KLPT_OWNER_CACHE,        /* another slab cache (or one with aliases): both */
	KLPT_OWNER_PAGES,        /* direct map, not slab (a large kmalloc): kfree */
	KLPT_OWNER_OUTSIDE,      /* not in the direct map (vmalloc, static): none */
};

/* How a slab page is recognised (owner_kind): a bit of page->flags (6.1),
 * or page_type >> 24 (6.12, 7.2). */
#define KLPT_SLAB_BY_FLAG 1
#define KLPT_SLAB_BY_TYPE 2

/* The counting filter a free checks before looking up owners: one counter
 * per slot, slot = hash of the address; never 0 for a live owner. */
#define KLPT_FILTER_BITS 19
#define KLPT_FILTER_SLOTS (1u << KLPT_FILTER_BITS)

/* Owner objects that carry at least one shadow: what a free looks up. */
struct klpt_shadow_owner {
	__u64 count;             /* shadows attached */
	__u64 id;                /* the id when count == 1 */
	__u32 kind;              /* enum klpt_owner_kind */
	__u32 pad;
};

/* Who calls the shadow API for an id (the users map): one call site, and
 * for allocations the size and constructor it asked for. */
struct klpt_shadow_user_key {
	__u64 id;
	__u64 caller;            /* return address into the caller */
	__u64 size;              /* allocations: data bytes asked; else 0 */
	__u64 ctor;              /* allocations: the constructor (0 none); else 0 */
};

struct klpt_shadow_user {
	__u64 allocs;            /* klp_shadow_alloc, get_or_alloc that allocated */
	__u64 gets;              /* klp_shadow_get that found a shadow */
	__u64 frees;             /* shadows freed by klp_shadow_free, free_all */
	__u64 first_ns;          /* first call (to name the caller then) */
};

struct klpt_shadow_users_dump {
	struct klpt_shadow_user_key key;
	struct klpt_shadow_user val;
};

/* A request to attach free hooks (the sarm ring buffer). */
struct klpt_shadow_arm {
	__u64 ts_ns;             /* when a shadow needed a hook that was off */
};

struct klpt_shadow_event {
	__u32 type;              /* enum klpt_shadow_event_type */
	__u32 flags;             /* the record's flags */
	__u64 ts_ns;
	__u64 obj;
	__u64 id;
	__u64 size;
	__u64 alloc_ns;
	__u64 freed_ns;          /* STALE: when the owner had been freed */
	__u64 call_site;         /* free: the caller of kfree/kmem_cache_free */
	__s32 alloc_stack;
	__s32 free_stack;        /* ORPHAN: now; STALE: the earlier free */
	__s32 stack;             /* STALE/DUPLICATE: the caller's stack now */
	__u32 pad;
	char cache[KLPT_CACHE_LEN];  /* ORPHAN from kmem_cache_free: its name */
	/* Appended (older recordings end above; readers zero-fill). */
	__u64 rcu_queued_ns;     /* ORPHAN: the owner went to kfree_rcu() at this
				  * time (free_stack is that caller's stack), 0: freed directly */
	__u32 free_via;          /* ORPHAN: enum klpt_shadow_free_via */
	__u32 pad2;
};

/* Records of the map dump iterators (dump_live, dump_ids). */
struct klpt_shadow_live_dump {
	struct klpt_shadow_key key;
	struct klpt_shadow_rec rec;
};

struct klpt_shadow_ids_dump {
	__u64 id;
	struct klpt_shadow_stats stats;
};

/* Global state in .bss. */
struct klpt_shadow_state {
	__s64 nlive;             /* shadows in the live map */
	__u64 events_dropped;    /* ring buffer full */
	__u64 live_dropped;      /* live map full: a shadow not tracked */
	__u64 frees_seen;        /* free tracepoint hits that had work to do */
	__u64 scan_found;        /* shadows found by the start-up scan */
	__u64 scan_truncated;    /* chains longer than KLPT_SHADOW_CHAIN */
	__u64 scan_buckets;      /* buckets walked */
	__u64 hash_addr;         /* &klp_shadow_hash, set by userspace */
	__u64 rcu_queued;        /* owners with a shadow handed to kfree_rcu() */
	__u64 bulk_truncated;    /* kmem_cache_free_bulk pointers past KLPT_BULK_MAX, unread */
	__s64 nowners;           /* entries of the owners map */
	__s64 need_kfree;        /* live owners that a kfree can release */
	__s64 need_cache;        /* live owners that a kmem_cache_free can release */
	__u64 unwatched;         /* shadows made while their owner's free hook was off */
	__u64 arm_requests;      /* times a shadow found its owner's free hook off */
	__u64 filter_passed;     /* frees that passed the filter (owner lookups) */
	__u64 users_dropped;     /* users map full: call sites not counted */
};

#endif
