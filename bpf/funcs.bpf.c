// SPDX-License-Identifier: GPL-2.0
/*
 * Patched functions: which exist, which version of each is live, and where
 * calls go. sysfs shows a patch's functions but not their addresses, and
 * which patch's version runs (stack_order) only from 6.13; the kernel's own
 * lists say both on every kernel:
 *   klp_patches -> patch->obj_list -> obj->func_list : old_func, new_func
 *   klp_ops     -> ops->func_stack                   : first entry is live
 * walk_klp runs once per refresh through BPF_PROG_TEST_RUN, under no lock:
 * a list that changes under it can end the walk early, never fault
 * (bpf_probe_read_kernel), and the walk is bounded.
 *
 * count_call is one kprobe attached at each old and each new function. Entry
 * kprobes share the ftrace site with the livepatch handler: the old
 * function's counter sees every call, the new one's sees the calls the
 * handler redirected, so old - new is the traffic still running old code.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "klptop/funcs.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_PATCHES 16
#define MAX_OBJS 16
#define MAX_FUNCS 64
#define MAX_OPS 128

struct klpt_walk walk = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2 * KLPT_FN_MAX);
	__type(key, __u64);
	__type(value, __u64);
} calls SEC(".maps");

SEC("kprobe")
int count_call(struct pt_regs *ctx)
{
	__u64 ip = bpf_get_func_ip(ctx), one = 1, *n;

	n = bpf_map_lookup_elem(&calls, &ip);
	if (n)
		(*n)++;
	else
		bpf_map_update_elem(&calls, &ip, &one, BPF_NOEXIST);
	return 0;
}

static __always_inline void *next_of(void *list_head)
{
	return BPF_CORE_READ((struct list_head *)list_head, next);
}

static __always_inline void record_func(struct klp_func *f, struct klp_object *obj,
					struct klp_patch *patch)
{
	__u32 i = walk.nfuncs;
	struct klpt_func_rec *r;

	if (i >= KLPT_FN_MAX) {
		walk.truncated = 1;
		return;
	}
	r = &walk.funcs[i];
	r->func = (__u64)f;
	r->old_addr = (__u64)BPF_CORE_READ(f, old_func);
	r->new_addr = (__u64)BPF_CORE_READ(f, new_func);
	r->old_sympos = BPF_CORE_READ(f, old_sympos);
	r->patched = BPF_CORE_READ(f, patched);
	r->transition = BPF_CORE_READ(f, transition);
	r->nop = BPF_CORE_READ(f, nop);
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), BPF_CORE_READ(f, old_name));
	r->object[0] = 0;
	if (BPF_CORE_READ(obj, name))
		bpf_probe_read_kernel_str(r->object, sizeof(r->object), BPF_CORE_READ(obj, name));
	BPF_CORE_READ_STR_INTO(&r->patch, patch, mod, name);
	walk.nfuncs = i + 1;
}

/* Each level of the walk is a bpf_loop callback: the verifier checks a
 * callback once, where nested bounded loops would be checked per iteration. */
struct cursor {
	void *head;
	void *pos;
	void *patch;
	void *obj;
};

static long func_step(__u32 i, struct cursor *c)
{
	__u64 off = bpf_core_field_offset(struct klp_func, node);

	if (!c->pos || c->pos == c->head)
		return 1;
	record_func((struct klp_func *)(c->pos - off), c->obj, c->patch);
	c->pos = next_of(c->pos);
	return 0;
}

static long obj_step(__u32 i, struct cursor *c)
{
	__u64 off = bpf_core_field_offset(struct klp_object, node);
	struct klp_object *obj;
	struct cursor fc = {};

	if (!c->pos || c->pos == c->head)
		return 1;
	obj = (struct klp_object *)(c->pos - off);
	fc.head = &obj->func_list;
	fc.pos = next_of(fc.head);
	fc.patch = c->patch;
	fc.obj = obj;
	bpf_loop(MAX_FUNCS, func_step, &fc, 0);
	c->pos = next_of(c->pos);
	return 0;
}

static long patch_step(__u32 i, struct cursor *c)
{
	__u64 off = bpf_core_field_offset(struct klp_patch, list);
	struct klp_patch *patch;
	struct cursor oc = {};

	if (!c->pos || c->pos == c->head)
		return 1;
	patch = (struct klp_patch *)(c->pos - off);
	oc.head = &patch->obj_list;
	oc.pos = next_of(oc.head);
	oc.patch = patch;
	bpf_loop(MAX_OBJS, obj_step, &oc, 0);
	c->pos = next_of(c->pos);
	return 0;
}

static long stack_step(__u32 j, struct cursor *c)
{
	__u64 stack_off = bpf_core_field_offset(struct klp_func, stack_node);
	__u32 k = walk.nstack;

	if (!c->pos || c->pos == c->head)
		return 1;
	if (k >= KLPT_FN_MAX) {
		walk.truncated = 1;
		return 1;
	}
	walk.stack[k].func = (__u64)(c->pos - stack_off);
	walk.stack[k].pos = j;
	walk.nstack = k + 1;
	c->pos = next_of(c->pos);
	return 0;
}

static long ops_step(__u32 i, struct cursor *c)
{
	__u64 ops_off = bpf_core_field_offset(struct klp_ops, node);
	struct klp_ops *ops;
	struct cursor sc = {};

	if (!c->pos || c->pos == c->head)
		return 1;
	ops = (struct klp_ops *)(c->pos - ops_off);
	sc.head = &ops->func_stack;
	sc.pos = next_of(sc.head);
	bpf_loop(MAX_PATCHES, stack_step, &sc, 0);
	c->pos = next_of(c->pos);
	return 0;
}

SEC("raw_tp")
int walk_klp(void *ctx)
{
	struct cursor c = {};

	walk.nfuncs = walk.nstack = walk.truncated = 0;
	if (!walk.patches_addr)
		return 1;
	c.head = (void *)walk.patches_addr;
	c.pos = next_of(c.head);
	bpf_loop(MAX_PATCHES, patch_step, &c, 0);
	if (walk.ops_addr) {
		struct cursor oc = {};

		oc.head = (void *)walk.ops_addr;
		oc.pos = next_of(oc.head);
		bpf_loop(MAX_OPS, ops_step, &oc, 0);
	}
	return 0;
}
