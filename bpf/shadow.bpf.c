// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on livepatch shadow variables (kernel/livepatch/shadow.c) and on the
 * slab free tracepoints, to account for shadows and to catch the leak of
 * shadow leak (docs/incidents.md) at the moment it happens: an owner object freed while a shadow
 * is still attached to it.
 *
 * kprobes and raw tracepoints only, never fentry/fexit: detaching a BPF
 * trampoline waits in synchronize_rcu_tasks(), which a kthread spinning
 * without scheduling blocks forever (see bpf/transition.bpf.c).
 *
 * Maps: live (obj, id) -> record of every shadow we know of; owners obj ->
 * how many shadows it carries, which is the only lookup a free does; ids
 * id -> counters. Orphans, stale hits and duplicates go to a ring buffer.
 *
 * Owners freed with kfree_rcu(): kvfree_call_rcu() only queues them; the RCU
 * batch frees them a grace period later from a kworker, mostly through
 * kfree_bulk() -> kmem_cache_free_bulk(), which has no per-object tracepoint
 * (6.1 and 6.12). So kvfree_call_rcu notes the caller's stack for an owner
 * that carries a shadow (rcu_pending), kmem_cache_free_bulk is a kprobe that
 * reads the pointer array, and the orphan is reported when the memory is
 * really freed (a klp_shadow_free() right after kfree_rcu() is still correct:
 * the address cannot be reused before the grace period ends), with the
 * kfree_rcu() caller's stack, the only one that names who dropped the owner.
 *
 * The free tracepoints cost every slab free on the host, so userspace
 * attaches them only while an owner could be freed through them (hooks_on;
 * src/live/shadow_hooks.c). A shadow that finds its owner's hook off asks
 * for it on the sarm ring buffer. A free first checks a counting filter of
 * owner addresses, and looks up owners only when the filter says maybe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "klptop/shadow.h"
#include "owner_kind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The third argument of the kmem_cache_free tracepoint: a const char *name
 * before v6.2's slab tracepoint rework (and on some 6.1 builds), a struct
 * kmem_cache * after. Userspace reads which one from the BTF. */
const volatile __u32 cache_arg_is_struct = 1;
/* kvfree_call_rcu(head, X): X is the object since v6.3, the rcu_head's
 * offset in it (or the object, when head is NULL) before. From the BTF. */
const volatile __u32 kvfree_arg_is_ptr = 1;

struct klpt_shadow_state sstate = {};
/* KLPT_HOOK_* attached: set by userspace after an attach, cleared before a
 * detach. arm_pending: a request is on its way (userspace clears it). */
__u32 hooks_on = 0;
__u32 arm_pending = 0;
/* bench/shadow-free-cost.sh: every free looks up owners (no filter). */
__u32 bench_no_filter = 0;
/* bench: synthetic owners for bench_owners (count, kind). */
__u32 bench_owners_n = 0;
__u32 bench_owners_kind = 0;
/* The counting filter of owner addresses (KLPT_FILTER_SLOTS counters). */
__u32 owner_filter[KLPT_FILTER_SLOTS] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);  /* KLPTOP_SHADOW_RINGBUF_KB resizes it */
} sevents SEC(".maps");

/* Requests for free hooks: read by their own thread in userspace, so that
 * a hook comes on within a wake-up whatever the command is doing. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} sarm SEC(".maps");

/* Owners with a shadow, queued by kfree_rcu(): obj -> caller's stack. LRU:
 * an owner whose batch free goes unseen (vfree) must not fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct klpt_shadow_rcu);
} rcu_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct klpt_shadow_key);
	__type(value, struct klpt_shadow_rec);
} live SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct klpt_shadow_owner);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct klpt_shadow_stats);
} ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} sstacks SEC(".maps");

/* Call sites of the shadow API per id: who owns an id (docs/shadow.md,
 * "Who owns a shadow id"). A handful of entries per patch. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct klpt_shadow_user_key);
	__type(value, struct klpt_shadow_user);
} users SEC(".maps");

/* An allocation in progress, per task: kzalloc may sleep, so per-CPU
 * scratch would be overwritten by another task. */
struct alloc_scratch {
	__u64 obj;
	__u64 id;
	__u64 size;
	__u64 existing;   /* data pointer of a shadow the pair already had */
	__u64 ctor;
	__s32 stack;
	__u32 warn;       /* klp_shadow_alloc (fails on an existing pair) */
	__u32 get_seen;   /* the internal klp_shadow_get returned */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct alloc_scratch);
} allocating SEC(".maps");

static __always_inline struct klpt_shadow_stats *id_stats(__u64 id)
{
	struct klpt_shadow_stats *st = bpf_map_lookup_elem(&ids, &id);
	struct klpt_shadow_stats zero = {};

	if (st)
		return st;
	bpf_map_update_elem(&ids, &id, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&ids, &id);
}

enum user_call { USER_ALLOC, USER_GET, USER_FREE };

static __always_inline void user_count(__u64 id, __u64 caller, __u64 size, __u64 ctor,
				       enum user_call call)
{
	struct klpt_shadow_user_key k = { .id = id, .caller = caller, .size = size, .ctor = ctor };
	struct klpt_shadow_user *u = bpf_map_lookup_elem(&users, &k), fresh = {};

	if (!u) {
		fresh.first_ns = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&users, &k, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&users, &k)) {
			__sync_fetch_and_add(&sstate.users_dropped, 1);
			return;
		}
		u = bpf_map_lookup_elem(&users, &k);
		if (!u)
			return;
	}
	if (call == USER_ALLOC)
		__sync_fetch_and_add(&u->allocs, 1);
	else if (call == USER_GET)
		__sync_fetch_and_add(&u->gets, 1);
	else
		__sync_fetch_and_add(&u->frees, 1);
}

/* At a function's entry the return address is on top of the stack. */
static __always_inline __u64 entry_caller(struct pt_regs *ctx)
{
	__u64 ret = 0;

	bpf_probe_read_kernel(&ret, sizeof(ret), (void *)PT_REGS_SP(ctx));
	return ret;
}

static __always_inline struct klpt_shadow_event *event_reserve(__u32 type)
{
	struct klpt_shadow_event *e = bpf_ringbuf_reserve(&sevents, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&sstate.events_dropped, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = bpf_ktime_get_ns();
	e->alloc_stack = e->free_stack = e->stack = -1;
	return e;
}

static __always_inline void fill_from_rec(struct klpt_shadow_event *e,
					  const struct klpt_shadow_key *k,
					  const struct klpt_shadow_rec *r)
{
	e->obj = k->obj;
	e->id = k->id;
	e->flags = r->flags;
	e->size = r->size;
	e->alloc_ns = r->alloc_ns;
	e->freed_ns = r->freed_ns;
	e->alloc_stack = r->alloc_stack;
	e->free_stack = r->free_stack;
}

/* ---- owners: the filter, what memory they are, which hooks they need ---- */

static __always_inline __u32 filter_slot(__u64 ptr)
{
	return (__u32)(((ptr >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - KLPT_FILTER_BITS));
}

/* 0: ptr is no owner for sure; 1: maybe (then look it up). */
static __always_inline int maybe_owner(__u64 ptr)
{
	return owner_filter[filter_slot(ptr)] != 0 || bench_no_filter;
}

static __always_inline __u32 kind_hooks(__u32 kind)
{
	switch (kind) {
	case KLPT_OWNER_KMALLOC:
	case KLPT_OWNER_PAGES:
		return KLPT_HOOK_KFREE;
	case KLPT_OWNER_OUTSIDE:
		return 0;
	default:
		return KLPT_HOOK_ALL;
	}
}

static __always_inline void need_add(__u32 kind, __s64 d)
{
	__u32 h = kind_hooks(kind);

	__sync_fetch_and_add(&sstate.nowners, d);
	if (h & KLPT_HOOK_KFREE)
		__sync_fetch_and_add(&sstate.need_kfree, d);
	if (h & KLPT_HOOK_CACHE)
		__sync_fetch_and_add(&sstate.need_cache, d);
}

/* Ask userspace for hooks (one request in flight; it re-reads the needs). */
static __always_inline void request_hooks(void)
{
	struct klpt_shadow_arm a = {};

	__sync_fetch_and_add(&sstate.arm_requests, 1);
	if (arm_pending)
		return;
	arm_pending = 1;
	a.ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_output(&sarm, &a, sizeof(a), BPF_RB_FORCE_WAKEUP);
}

/* After the owner is counted in the needs (an atomic add: a full barrier),
 * read hooks_on. Userspace clears a bit before it reads the needs to
 * detach, so one of the two sees the other: a hook is never left off for
 * a live owner without a request. Returns 1 when the owner's hook is off. */
static __always_inline int hooks_missing(__u32 kind)
{
	__u32 want = kind_hooks(kind);

	if ((hooks_on & want) == want)
		return 0;
	request_hooks();
	return 1;
}

/* obj carries one more shadow. Returns the hooks check (1: unwatched). */
static __always_inline int owner_add(__u64 obj, __u64 id)
{
	struct klpt_shadow_owner *o = bpf_map_lookup_elem(&owners, &obj);
	struct klpt_shadow_owner fresh = { .count = 1, .id = id };
	__u32 slot = filter_slot(obj);

	if (o) {
		__sync_fetch_and_add(&o->count, 1);
		return hooks_missing(o->kind);
	}
	fresh.kind = owner_kind(obj);
	/* Counted in the filter before it can be found, so a free never
	 * misses it. */
	__sync_fetch_and_add(&owner_filter[slot], 1);
	if (bpf_map_update_elem(&owners, &obj, &fresh, BPF_NOEXIST)) {
		__sync_fetch_and_add(&owner_filter[slot], -1);
		o = bpf_map_lookup_elem(&owners, &obj);
		if (!o)
			return 0;
		__sync_fetch_and_add(&o->count, 1);
		return hooks_missing(o->kind);
	}
	need_add(fresh.kind, 1);
	return hooks_missing(fresh.kind);
}

static __always_inline void owner_del(__u64 obj, __u64 id)
{
	struct klpt_shadow_owner *o = bpf_map_lookup_elem(&owners, &obj);
	__u32 kind;

	if (!o)
		return;
	if (o->count > 1) {
		__sync_fetch_and_add(&o->count, -1);
		return;
	}
	kind = o->kind;
	if (bpf_map_delete_elem(&owners, &obj))
		return; /* another CPU removed it */
	__sync_fetch_and_add(&owner_filter[filter_slot(obj)], -1);
	need_add(kind, -1);
	/* Its last shadow is gone: a kfree_rcu() of it is no leak. */
	bpf_map_delete_elem(&rcu_pending, &obj);
}

/* Insert a shadow into the live map; returns 0 if it was new to us. */
static __always_inline int live_add(struct klpt_shadow_key *k, struct klpt_shadow_rec *r)
{
	struct klpt_shadow_stats *st;
	int err = bpf_map_update_elem(&live, k, r, BPF_NOEXIST);

	if (err) {
		if (err != -17 /* EEXIST */)
			__sync_fetch_and_add(&sstate.live_dropped, 1);
		return err;
	}
	if (owner_add(k->obj, k->id)) {
		/* Its owner's frees are not seen until the hook is on. */
		struct klpt_shadow_rec *in = bpf_map_lookup_elem(&live, k);

		if (in)
			in->flags |= KLPT_SH_UNWATCHED;
		__sync_fetch_and_add(&sstate.unwatched, 1);
	}
	__sync_fetch_and_add(&sstate.nlive, 1);
	st = id_stats(k->id);
	if (st) {
		__sync_fetch_and_add(&st->live, 1);
		__sync_fetch_and_add(&st->bytes, r->size);
		if (r->flags & KLPT_SH_PREEXISTING)
			__sync_fetch_and_add(&st->preexisting, 1);
	}
	return 0;
}

/* A get returned shadow data ptr: the pair is (re)adopted by a live owner.
 * If we had seen its owner freed, this is a stale hit. */
static __always_inline void shadow_returned(void *ctx, __u64 data, __u64 caller)
{
	__u64 off = bpf_core_field_offset(struct klp_shadow, data);
	struct klp_shadow *sh = (struct klp_shadow *)(data - off);
	struct klpt_shadow_key k = {};
	struct klpt_shadow_rec *r, fresh = {};
	struct klpt_shadow_event *e;
	struct klpt_shadow_stats *st;

	k.obj = (__u64)BPF_CORE_READ(sh, obj);
	k.id = BPF_CORE_READ(sh, id);
	if (caller)
		user_count(k.id, caller, 0, 0, USER_GET);
	r = bpf_map_lookup_elem(&live, &k);
	if (!r) {
		fresh.data = data;
		fresh.alloc_stack = fresh.free_stack = -1;
		fresh.flags = KLPT_SH_LEARNED;
		live_add(&k, &fresh);
		return;
	}
	if (!(r->flags & KLPT_SH_ORPHANED))
		return;
	st = id_stats(k.id);
	if (st)
		__sync_fetch_and_add(&st->stale, 1);
	e = event_reserve(KLPT_SH_EV_STALE);
	if (e) {
		fill_from_rec(e, &k, r);
		e->stack = bpf_get_stackid(ctx, &sstacks, 0);
		bpf_ringbuf_submit(e, 0);
	}
	/* The new owner at that address carries it now: its free is a new orphan. */
	r->flags &= ~KLPT_SH_ORPHANED;
}

static __always_inline int alloc_begin(struct pt_regs *ctx, void *obj, unsigned long id,
				       size_t size, void *ctor, __u32 warn)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct klpt_shadow_key k = { .obj = (__u64)obj, .id = id };
	struct alloc_scratch s = {};
	struct klpt_shadow_rec *r;

	s.obj = k.obj;
	s.id = k.id;
	s.size = size;
	s.warn = warn;
	s.ctor = (__u64)ctor;
	r = bpf_map_lookup_elem(&live, &k);
	if (r)
		s.existing = r->data;
	s.stack = bpf_get_stackid(ctx, &sstacks, 0);
	bpf_map_update_elem(&allocating, &tid, &s, BPF_ANY);
	return 0;
}

/* In a kretprobe the ip is the return address into the caller (at entry,
 * the stack holds the kretprobe trampoline's instead). */
static __always_inline int alloc_end(struct pt_regs *ctx, __u64 ret)
{
	__u64 tid = bpf_get_current_pid_tgid(), caller = PT_REGS_IP(ctx);
	struct alloc_scratch *s = bpf_map_lookup_elem(&allocating, &tid);
	struct klpt_shadow_key k = {};
	struct klpt_shadow_rec rec = {};
	struct klpt_shadow_stats *st;
	struct klpt_shadow_event *e;

	if (!s)
		return 0;
	k.obj = s->obj;
	k.id = s->id;
	if (!ret) {
		st = id_stats(k.id);
		if (s->warn && s->existing) {
			if (st)
				__sync_fetch_and_add(&st->duplicates, 1);
			e = event_reserve(KLPT_SH_EV_DUPLICATE);
			if (e) {
				struct klpt_shadow_rec *r = bpf_map_lookup_elem(&live, &k);

				if (r)
					fill_from_rec(e, &k, r);
				e->obj = k.obj;
				e->id = k.id;
				e->stack = s->stack;
				bpf_ringbuf_submit(e, 0);
			}
		} else if (st) {
			__sync_fetch_and_add(&st->failed, 1);
		}
		goto out;
	}
	if (s->existing && ret == s->existing) {
		/* klp_shadow_get_or_alloc returned the one the pair had. */
		shadow_returned(ctx, ret, caller);
		goto out;
	}
	user_count(k.id, caller, s->size, s->ctor, USER_ALLOC);
	rec.alloc_ns = bpf_ktime_get_ns();
	rec.data = ret;
	rec.size = s->size;
	rec.alloc_stack = s->stack;
	rec.free_stack = -1;
	if (live_add(&k, &rec) == -17) {
		/* We held a stale record for the pair (its free went unseen). */
		bpf_map_update_elem(&live, &k, &rec, BPF_EXIST);
	}
	st = id_stats(k.id);
	if (st)
		__sync_fetch_and_add(&st->allocs, 1);
out:
	bpf_map_delete_elem(&allocating, &tid);
	return 0;
}

SEC("kprobe/klp_shadow_alloc")
int BPF_KPROBE(shadow_alloc, void *obj, unsigned long id, size_t size, gfp_t gfp, void *ctor)
{
	return alloc_begin(ctx, obj, id, size, ctor, 1);
}

SEC("kretprobe/klp_shadow_alloc")
int BPF_KRETPROBE(shadow_alloc_ret, void *ret)
{
	return alloc_end(ctx, (__u64)ret);
}

SEC("kprobe/klp_shadow_get_or_alloc")
int BPF_KPROBE(shadow_get_or_alloc, void *obj, unsigned long id, size_t size, gfp_t gfp,
	       void *ctor)
{
	return alloc_begin(ctx, obj, id, size, ctor, 0);
}

SEC("kretprobe/klp_shadow_get_or_alloc")
int BPF_KRETPROBE(shadow_get_or_alloc_ret, void *ret)
{
	return alloc_end(ctx, (__u64)ret);
}

/* A get: stale-hit detection. Inside an allocation it is the kernel's own
 * "does the pair exist?" check: remember its answer instead. */
SEC("kretprobe/klp_shadow_get")
int BPF_KRETPROBE(shadow_get_ret, void *ret)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct alloc_scratch *s = bpf_map_lookup_elem(&allocating, &tid);

	if (s) {
		if (!s->get_seen) {
			s->get_seen = 1;
			s->existing = (__u64)ret;
		}
		return 0;
	}
	if (ret)
		shadow_returned(ctx, (__u64)ret, PT_REGS_IP(ctx));
	return 0;
}

static __always_inline void shadow_gone(__u64 obj, __u64 id, __u64 caller)
{
	struct klpt_shadow_key k = { .obj = obj, .id = id };
	struct klpt_shadow_stats *st = id_stats(id);
	struct klpt_shadow_rec *r = bpf_map_lookup_elem(&live, &k);
	__u64 size = 0;

	if (st)
		__sync_fetch_and_add(&st->frees, 1);
	if (caller)
		user_count(id, caller, 0, 0, USER_FREE);
	if (!r)
		return;
	size = r->size;
	if (bpf_map_delete_elem(&live, &k))
		return; /* someone else removed it */
	owner_del(obj, id);
	__sync_fetch_and_add(&sstate.nlive, -1);
	if (st) {
		__sync_fetch_and_add(&st->live, -1);
		__sync_fetch_and_add(&st->bytes, -(__s64)size);
	}
}

/* Called once per freed shadow, by klp_shadow_free and klp_shadow_free_all. */
/* The caller of klp_shadow_free or free_all is two frames up: [0] is the
 * probed function, [1] klp_shadow_free(_all). */
SEC("kprobe/klp_shadow_free_struct")
int BPF_KPROBE(shadow_free_struct, struct klp_shadow *sh)
{
	__u64 frames[3] = {};

	bpf_get_stack(ctx, frames, sizeof(frames), 0);
	shadow_gone((__u64)BPF_CORE_READ(sh, obj), BPF_CORE_READ(sh, id), frames[2]);
	return 0;
}

/* Fallback when klp_shadow_free_struct is inlined: klp_shadow_free only (a
 * free_all then goes unseen, and probe_status says so). */
SEC("kprobe/klp_shadow_free")
int BPF_KPROBE(shadow_free, void *obj, unsigned long id)
{
	shadow_gone((__u64)obj, id, entry_caller(ctx));
	return 0;
}

/* ---- owner frees ----------------------------------------------------------- */

struct orphan_ctx {
	__u64 obj;
	__u64 call_site;
	__u64 cache;      /* kernel address of the cache name, 0 for kfree */
	__u64 rcu_queued_ns;
	__s32 free_stack;
	__u32 free_via;   /* enum klpt_shadow_free_via */
};

static __always_inline void orphan_one(struct orphan_ctx *oc, __u64 id)
{
	struct klpt_shadow_key k = { .obj = oc->obj, .id = id };
	struct klpt_shadow_rec *r = bpf_map_lookup_elem(&live, &k);
	struct klpt_shadow_stats *st;
	struct klpt_shadow_event *e;

	if (!r || (r->flags & KLPT_SH_ORPHANED))
		return;
	r->flags |= KLPT_SH_ORPHANED;
	r->freed_ns = bpf_ktime_get_ns();
	r->free_stack = oc->free_stack;
	st = id_stats(id);
	if (st)
		__sync_fetch_and_add(&st->orphans, 1);
	e = event_reserve(KLPT_SH_EV_ORPHAN);
	if (!e)
		return;
	fill_from_rec(e, &k, r);
	e->call_site = oc->call_site;
	e->rcu_queued_ns = oc->rcu_queued_ns;
	e->free_via = oc->free_via;
	if (oc->cache)
		bpf_probe_read_kernel_str(e->cache, sizeof(e->cache), (void *)oc->cache);
	bpf_ringbuf_submit(e, 0);
}

static long orphan_each_id(struct bpf_map *map, __u64 *id, struct klpt_shadow_stats *st,
			   struct orphan_ctx *oc)
{
	orphan_one(oc, *id);
	return 0;
}

/* The owner oc->obj, which carries the shadows counted in o, is freed. An
 * owner queued by kfree_rcu() gets that caller's stack instead of the RCU
 * batch's (a kworker in kfree_rcu_work, which names nobody). */
static __always_inline void owner_dead(struct orphan_ctx *oc, struct klpt_shadow_owner *o)
{
	struct klpt_shadow_rcu *q = bpf_map_lookup_elem(&rcu_pending, &oc->obj);

	__sync_fetch_and_add(&sstate.frees_seen, 1);
	if (q) {
		oc->free_stack = q->stack;
		oc->rcu_queued_ns = q->queued_ns;
		bpf_map_delete_elem(&rcu_pending, &oc->obj);
	}
	if (o->count == 1)
		orphan_one(oc, o->id);
	else
		bpf_for_each_map_elem(&ids, orphan_each_id, oc, 0);
}

/* The common case (no shadow on this object) is one filter read; the hook
 * is not even attached while no owner needs it. */
static __always_inline int owner_freed(void *ctx, __u64 call_site, __u64 ptr, __u64 cache,
				       __u32 via)
{
	struct klpt_shadow_owner *o;
	struct orphan_ctx oc = {};

	__sync_fetch_and_add(&sstate.filter_passed, 1);
	o = bpf_map_lookup_elem(&owners, &ptr);
	if (!o)
		return 0;
	oc.obj = ptr;
	oc.call_site = call_site;
	oc.cache = cache;
	oc.free_via = via;
	oc.free_stack = bpf_get_stackid(ctx, &sstacks, 0);
	owner_dead(&oc, o);
	return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(kfree_hook, unsigned long call_site, const void *ptr)
{
	if (!maybe_owner((__u64)ptr))
		return 0;
	return owner_freed(ctx, call_site, (__u64)ptr, 0, KLPT_SH_FREE_KFREE);
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(cache_free_hook, unsigned long call_site, const void *ptr, const void *third)
{
	__u64 name = (__u64)third;

	if (!maybe_owner((__u64)ptr))
		return 0;
	if (cache_arg_is_struct && third)
		name = (__u64)BPF_CORE_READ((struct kmem_cache *)third, name);
	return owner_freed(ctx, call_site, (__u64)ptr, name, KLPT_SH_FREE_CACHE);
}

/* kfree_rcu(): remember who dropped an owner that still carries a shadow. */
SEC("kprobe/kvfree_call_rcu")
int BPF_KPROBE(kvfree_call_rcu_hook, void *head, void *arg)
{
	struct klpt_shadow_rcu q = {};
	__u64 ptr = (__u64)arg;

	if (sstate.nowners <= 0)
		return 0;
	if (!kvfree_arg_is_ptr && head)
		ptr = (__u64)head - (__u64)arg;
	if (!maybe_owner(ptr) || !bpf_map_lookup_elem(&owners, &ptr))
		return 0;
	q.queued_ns = bpf_ktime_get_ns();
	q.stack = bpf_get_stackid(ctx, &sstacks, 0);
	bpf_map_update_elem(&rcu_pending, &ptr, &q, BPF_ANY);
	__sync_fetch_and_add(&sstate.rcu_queued, 1);
	return 0;
}

struct bulk_ctx {
	void **p;
	__u64 found;      /* set, never counted: the verifier then sees one state */
	struct orphan_ctx oc;
	__u32 report;     /* second pass: report what the first found */
	__u32 pad;
};

static long bulk_one(__u32 i, struct bulk_ctx *b)
{
	struct klpt_shadow_owner *o;
	__u64 ptr = 0;

	if (bpf_probe_read_kernel(&ptr, sizeof(ptr), &b->p[i]) || !ptr || !maybe_owner(ptr))
		return 0;
	o = bpf_map_lookup_elem(&owners, &ptr);
	if (!o)
		return 0;
	b->found = 1;
	if (b->report) {
		struct orphan_ctx oc = b->oc;

		oc.obj = ptr;
		owner_dead(&oc, o);
	}
	return 0;
}

/* Report the owners among the n pointers at p, freed by one call: a first
 * pass only looks up; the stack is taken once, if any owner is in the batch. */
static __always_inline void batch_freed(struct pt_regs *ctx, void **p, __u64 size,
					__u64 cache_name, __u32 via)
{
	struct bulk_ctx b = {};
	__u32 n = size;

	if (size > KLPT_BULK_MAX) {
		__sync_fetch_and_add(&sstate.bulk_truncated, size - KLPT_BULK_MAX);
		n = KLPT_BULK_MAX;
	}
	b.p = p;
	bpf_loop(n, bulk_one, &b, 0);
	if (!b.found)
		return;
	b.report = 1;
	b.oc.call_site = entry_caller(ctx);
	b.oc.free_via = via;
	b.oc.cache = cache_name;
	b.oc.free_stack = bpf_get_stackid(ctx, &sstacks, 0);
	bpf_loop(n, bulk_one, &b, 0);
}

/* kfree_bulk() and kmem_cache_free_bulk(): the kfree_rcu() batch (channels
 * 1 and 2 of kfree_rcu_work) and a few drivers. No tracepoint per object:
 * read the array at entry (the slab rewrites it while freeing). */
SEC("kprobe/kmem_cache_free_bulk")
int BPF_KPROBE(free_bulk_hook, struct kmem_cache *s, size_t size, void **p)
{
	if (sstate.nowners <= 0 || !p || !size)
		return 0;
	batch_freed(ctx, p, size, s ? (__u64)BPF_CORE_READ(s, name) : 0, KLPT_SH_FREE_BULK);
	return 0;
}

/* SLUB's sheaves (v6.18 on, every cache since v7.0; mm/slub.c, read in the
 * 7.2 source): kvfree_call_rcu() puts the object in its CPU's rcu_free
 * sheaf, and a full (or flushed) sheaf goes to call_rcu(); after the grace
 * period rcu_free_sheaf() hands its objects back to the cache as free ones
 * (or rcu_free_sheaf_nobarn() to the slab pages), with no tracepoint and no
 * kmem_cache_free_bulk() call. Not in vmlinux.h (6.1): CO-RE by name. */
struct slab_sheaf___klpt {
	struct kmem_cache *cache;
	unsigned int size;
	void *objects[];
} __attribute__((preserve_access_index));

static __always_inline int sheaf_freed(struct pt_regs *ctx, void *head)
{
	struct slab_sheaf___klpt *sh;
	struct kmem_cache *s;
	__u64 name = 0;
	__u32 size;

	if (sstate.nowners <= 0 || !head)
		return 0;
	/* rcu_head is the first member (of a union): the sheaf starts there. */
	sh = (struct slab_sheaf___klpt *)head;
	size = BPF_CORE_READ(sh, size);
	if (!size)
		return 0;
	s = BPF_CORE_READ(sh, cache);
	/* leaks[].cache is null for kmalloc owners, as after kfree_bulk(). */
	if (s && cache_kind(s) == KLPT_OWNER_CACHE)
		name = (__u64)BPF_CORE_READ(s, name);
	batch_freed(ctx, (void **)((__u64)sh + bpf_core_field_offset(sh->objects)), size,
		    name, KLPT_SH_FREE_RCU_SHEAF);
	return 0;
}

SEC("kprobe/rcu_free_sheaf")
int BPF_KPROBE(rcu_sheaf_hook, void *head)
{
	return sheaf_freed(ctx, head);
}

SEC("kprobe/rcu_free_sheaf_nobarn")
int BPF_KPROBE(rcu_sheaf_nobarn_hook, void *head)
{
	return sheaf_freed(ctx, head);
}

/* ---- start-up scan of klp_shadow_hash ------------------------------------------ */

static long scan_bucket(__u32 i, void *unused)
{
	struct hlist_head *heads = (struct hlist_head *)sstate.hash_addr;
	struct hlist_node *node = NULL;

	if (bpf_probe_read_kernel(&node, sizeof(node), &heads[i].first))
		return 1;
	sstate.scan_buckets++;
	for (int n = 0; n < KLPT_SHADOW_CHAIN; n++) {
		struct klp_shadow *sh;
		struct klpt_shadow_key k = {};
		struct klpt_shadow_rec r = {};
		__u64 off = bpf_core_field_offset(struct klp_shadow, node);

		if (!node)
			return 0;
		sh = (struct klp_shadow *)((__u64)node - off);
		k.obj = (__u64)BPF_CORE_READ(sh, obj);
		k.id = BPF_CORE_READ(sh, id);
		r.data = (__u64)sh + bpf_core_field_offset(struct klp_shadow, data);
		r.alloc_stack = r.free_stack = -1;
		r.flags = KLPT_SH_PREEXISTING;
		if (!live_add(&k, &r))
			sstate.scan_found++;
		node = BPF_CORE_READ(node, next);
	}
	if (node)
		sstate.scan_truncated++;
	return 0;
}

/* Run once through BPF_PROG_TEST_RUN, after the probes are attached (so a
 * shadow made meanwhile is seen by both and counted once). */
SEC("raw_tp")
int scan_hash(void *ctx)
{
	if (!sstate.hash_addr)
		return 1;
	bpf_loop(KLPT_SHADOW_BUCKETS, scan_bucket, NULL, 0);
	return 0;
}

/* ---- bench: synthetic owners ------------------------------------------------ */

static long bench_owner(__u32 i, void *unused)
{
	/* Non-canonical, 64 bytes apart: addresses no real free ever passes. */
	__u64 obj = 0xdead000000000000ull + (__u64)i * 64;
	struct klpt_shadow_key k = { .obj = obj, .id = KLPT_BENCH_SHADOW_ID };
	struct klpt_shadow_rec r = { .size = 64, .alloc_stack = -1, .free_stack = -1 };
	struct klpt_shadow_owner o = { .count = 1, .id = k.id, .kind = bench_owners_kind };
	struct klpt_shadow_stats *st;

	if (bpf_map_update_elem(&live, &k, &r, BPF_NOEXIST) ||
	    bpf_map_update_elem(&owners, &obj, &o, BPF_NOEXIST))
		return 1;
	__sync_fetch_and_add(&owner_filter[filter_slot(obj)], 1);
	need_add(o.kind, 1);
	__sync_fetch_and_add(&sstate.nlive, 1);
	st = id_stats(k.id);
	if (st) {
		__sync_fetch_and_add(&st->live, 1);
		__sync_fetch_and_add(&st->bytes, r.size);
	}
	return 0;
}

/* bench/shadow-free-cost.sh (KLPTOP_BENCH_SHADOWS): bench_owners_n live
 * shadows on objects no free touches, so that the hooks are on and every
 * free goes through the filter, as with shadows on unrelated objects. */
SEC("raw_tp")
int bench_owners(void *ctx)
{
	bpf_loop(bench_owners_n, bench_owner, NULL, 0);
	return 0;
}

/* ---- map dumps for userspace ------------------------------------------------- */

/*
 * Userspace reads the live and ids maps through these iterators, not with
 * map syscalls. A map syscall runs with bpf_prog_active raised on its CPU
 * (bpf_disable_instrumentation), and a batch lookup of the 262144-bucket live
 * map keeps it raised across every empty bucket; the section is preemptible
 * under preempt=full, and any task that then runs on that CPU has all its
 * kprobe programs skipped (before v6.7 without a trace). That is how
 * klp_shadow_alloc/get hits were lost, and with them orphans (the 299 of 300).
 * An iterator program runs without touching bpf_prog_active.
 */
SEC("iter/bpf_map_elem")
int dump_live(struct bpf_iter__bpf_map_elem *ctx)
{
	struct klpt_shadow_key *k = ctx->key;
	struct klpt_shadow_rec *v = ctx->value;
	struct klpt_shadow_live_dump d;

	if (!k || !v)
		return 0;
	d.key = *k;
	d.rec = *v;
	bpf_seq_write(ctx->meta->seq, &d, sizeof(d));
	return 0;
}

SEC("iter/bpf_map_elem")
int dump_users(struct bpf_iter__bpf_map_elem *ctx)
{
	struct klpt_shadow_user_key *k = ctx->key;
	struct klpt_shadow_user *v = ctx->value;
	struct klpt_shadow_users_dump d;

	if (!k || !v)
		return 0;
	d.key = *k;
	d.val = *v;
	bpf_seq_write(ctx->meta->seq, &d, sizeof(d));
	return 0;
}

SEC("iter/bpf_map_elem")
int dump_ids(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *k = ctx->key;
	struct klpt_shadow_stats *v = ctx->value;
	struct klpt_shadow_ids_dump d;

	if (!k || !v)
		return 0;
	d.id = *k;
	d.stats = *v;
	bpf_seq_write(ctx->meta->seq, &d, sizeof(d));
	return 0;
}
