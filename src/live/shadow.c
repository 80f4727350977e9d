// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace half of the shadow-variable probes: attach-point probing, the
 * start-up scan of klp_shadow_hash, accounting per id and per allocating
 * module, and leak reports de-duplicated so that a million orphans of one
 * code path are one line with a count.
 */
#include "live/shadow_probe.h"
#include "live/attach.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "live/sampler.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klptop/shadow.h"
#include "shadow.skel.h"

_Static_assert(sizeof(struct klpt_shadow_key) == 16, "klpt_shadow_key layout");
_Static_assert(sizeof(struct klpt_shadow_rec) == 48, "klpt_shadow_rec layout");
_Static_assert(sizeof(struct klpt_shadow_stats) == 72, "klpt_shadow_stats layout");
_Static_assert(sizeof(struct klpt_shadow_owner) == 24, "klpt_shadow_owner layout");
_Static_assert(sizeof(struct klpt_shadow_event) == 128, "klpt_shadow_event layout");
_Static_assert(sizeof(struct klpt_shadow_state) == 136, "klpt_shadow_state layout");
_Static_assert(sizeof(struct klpt_shadow_rcu) == 16, "klpt_shadow_rcu layout");
_Static_assert(sizeof(struct klpt_shadow_live_dump) == 64, "klpt_shadow_live_dump layout");
_Static_assert(sizeof(struct klpt_shadow_ids_dump) == 80, "klpt_shadow_ids_dump layout");

/* --- attach points -------------------------------------------------------- */

static int tracepoint_exists(const struct btf *btf, const char *cat, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", cat, name);
	if (!access(path, F_OK))
		return 1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", cat, name);
	if (!access(path, F_OK))
		return 1;
	/* tracefs not mounted: the BTF typedef says the tracepoint exists. */
	snprintf(path, sizeof(path), "btf_trace_%s", name);
	return btf && btf__find_by_name_kind(btf, path, BTF_KIND_TYPEDEF) > 0;
}

/* Is the third argument of trace_kmem_cache_free a struct kmem_cache *
 * (since v6.2, and some 6.1 stable builds) or the cache name? */
static int cache_arg_is_struct(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_param *p;
	int id;

	if (!btf)
		return 1;
	id = btf__find_by_name_kind(btf, "btf_trace_kmem_cache_free", BTF_KIND_TYPEDEF);
	if (id <= 0)
		return 1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type);          /* pointer */
	if (!t || !btf_is_ptr(t))
		return 1;
	t = btf__type_by_id(btf, t->type);          /* func proto */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 4)
		return 1;
	p = btf_params(t) + 3;                      /* (void *__data, call_site, ptr, X) */
	t = btf__type_by_id(btf, p->type);
	if (!t || !btf_is_ptr(t))
		return 1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, t->type));
	return t && btf_is_struct(t);
}

/* kvfree_call_rcu(head, X): is X the object (since v6.3: "ptr") or the
 * rcu_head's offset in it (before: "func")? */
static int kvfree_arg_is_ptr(const struct btf *btf)
{
	const struct btf_type *t;
	const char *name;
	int id;

	if (!btf)
		return 1;
	id = btf__find_by_name_kind(btf, "kvfree_call_rcu", BTF_KIND_FUNC);
	if (id <= 0)
		return 1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 2)
		return 1;
	name = btf__name_by_offset(btf, btf_params(t)[1].name_off);
	return !name || strcmp(name, "func");
}

/* The byte offset of member name in the struct or union type_id, anonymous
 * members included; -1 if it has none. */
static long btf_member_off(const struct btf *btf, int type_id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, type_id);
	const struct btf_member *m;

	if (!t || !(btf_is_struct(t) || btf_is_union(t)))
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		long at = (long)btf_member_bit_offset(t, (__u32)i) / 8, in;

		if (mn && *mn) {
			if (!strcmp(mn, name))
				return at;
			continue;
		}
		in = btf_member_off(btf, btf__resolve_type(btf, m[i].type), name);
		if (in >= 0)
			return at + in;
	}
	return -1;
}

static int btf_enum_value(const struct btf *btf, const char *type, const char *name, long *v)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;

	if (id <= 0)
		return 0;
	t = btf__type_by_id(btf, id);
	for (int i = 0; i < btf_vlen(t); i++) {
		if (!strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off), name)) {
			*v = btf_enum(t)[i].val;
			return 1;
		}
	}
	return 0;
}

/* What owner_kind (bpf/shadow.bpf.c) needs to tell a kmalloc owner from
 * the rest; anything missing leaves every owner of unknown kind (both
 * hooks). SLAB_KMALLOC is 0x1000 until the flags became enum
 * _slab_flag_bits (6.12 and 7.2 have it); a slab page has PG_slab in its
 * flags (6.1) or is of page type PGTY_slab (6.12, 7.2). */
static void set_slab_layout(struct shadow_bpf *skel, const struct btf *btf)
{
	int page = btf ? btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT) : -1;
	long compound, type, v;

	if (page <= 0)
		return;
	compound = btf_member_off(btf, page, "compound_head");
	if (compound < 0)
		compound = btf_member_off(btf, page, "compound_info");
	type = btf_member_off(btf, page, "page_type");
	if (compound <= 0 || type <= 0)
		return;
	skel->rodata->page_compound_off = (__u32)compound;
	skel->rodata->page_type_off = (__u32)type;
	if (btf_enum_value(btf, "pagetype", "PGTY_slab", &v)) {
		skel->rodata->slab_test = KLPT_SLAB_BY_TYPE;
		skel->rodata->slab_value = (__u32)v;
	} else if (btf_enum_value(btf, "pageflags", "PG_slab", &v)) {
		skel->rodata->slab_test = KLPT_SLAB_BY_FLAG;
		skel->rodata->slab_value = (__u32)v;
	}
	if (btf_enum_value(btf, "_slab_flag_bits", "_SLAB_KMALLOC", &v))
		skel->rodata->slab_kmalloc_flag = 1u << v;
	else if (skel->rodata->slab_test == KLPT_SLAB_BY_FLAG)
		skel->rodata->slab_kmalloc_flag = 0x1000;
}

/* The events ring buffer's size: the caller's (record asks for more: it
 * must keep up with churn while a snapshot is filled), or 256 KiB;
 * KLPTOP_SHADOW_RINGBUF_KB, a power of two of at least 4, overrides both.
 * Tests make it tiny to overflow it on purpose. */
static int set_ring_size(struct shadow_probe *sp, unsigned int want_kb)
{
	const char *v = getenv("KLPTOP_SHADOW_RINGBUF_KB");
	long kb;

	if (!v || !*v)
		return want_kb ? bpf_map__set_max_entries(sp->skel->maps.sevents, want_kb * 1024) : 0;
	if (parse_long(v, &kb) || kb < 4 || kb > 1024 * 1024 || (kb & (kb - 1))) {
		p_err("KLPTOP_SHADOW_RINGBUF_KB wants a power of two from 4 to 1048576, not '%s'", v);
		return -1;
	}
	return bpf_map__set_max_entries(sp->skel->maps.sevents, (__u32)kb * 1024);
}

/* Where the direct map and struct pages are: what tells an owner's memory
 * (bpf/shadow.bpf.c: owner_kind). Without them every owner needs both
 * free hooks. */
static void set_direct_map(struct shadow_bpf *skel, const struct ksyms *ks)
{
	const struct ksym *pob = ksyms__find_name(ks, "page_offset_base", NULL);
	const struct ksym *vmb = ksyms__find_name(ks, "vmalloc_base", NULL);
	const struct ksym *vmm = ksyms__find_name(ks, "vmemmap_base", NULL);

	if (!pob || !vmb || !vmm)
		return;
	skel->rodata->page_offset_base_addr = pob->addr;
	skel->rodata->vmalloc_base_addr = vmb->addr;
	skel->rodata->vmemmap_base_addr = vmm->addr;
}

static int has_kprobe_section(struct bpf_object *obj, const char *fn)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, "kprobe/", 7) && !strcmp(sec + 7, fn))
			return 1;
	}
	return 0;
}

/* kfree_rcu() through SLUB's sheaves (6.18 on): the objects are freed by
 * rcu_free_sheaf() and rcu_free_sheaf_nobarn() (bpf/shadow.bpf.c). */
static int has_rcu_sheaves(const struct ksyms *ks)
{
	return ksyms__find_name(ks, "__kfree_rcu_sheaf", NULL) != NULL;
}

static int is_sheaf_hook(const struct shadow_bpf *skel, const struct bpf_program *p)
{
	return p == skel->progs.rcu_sheaf_hook || p == skel->progs.rcu_sheaf_nobarn_hook;
}

static void choose_programs(struct shadow_probe *sp, const struct shadow_opts *o,
			    const struct ksyms *ks, struct probe_status *ps)
{
	struct shadow_bpf *skel = sp->skel;
	char *filters = attach__filter_functions();
	struct btf *btf = btf__load_vmlinux_btf();
	struct bpf_program *p;
	char what[128];

	bpf_object__for_each_program(p, skel->obj) {
		const char *sec = bpf_program__section_name(p);
		const char *fn = attach__kprobe_target(p);

		if (!fn || attach__kprobe_ok(ks, filters, fn))
			continue;
		bpf_program__set_autoload(p, false);
		if (p == skel->progs.shadow_free)
			continue; /* a fallback: only said missing with its primary */
		if (is_sheaf_hook(skel, p) && !has_rcu_sheaves(ks))
			continue; /* before 6.18: no sheaves, nothing lost */
		/* One line per function: its kprobe, or its kretprobe when it has
		 * only that (klp_shadow_get: stale hits). */
		if (!strncmp(sec, "kprobe/", 7) || !has_kprobe_section(skel->obj, fn)) {
			snprintf(what, sizeof(what), "shadow: %s", sec);
			probe_status__add_missing(ps, what);
		}
	}
	if (bpf_program__autoload(skel->progs.shadow_free_struct)) {
		bpf_program__set_autoload(skel->progs.shadow_free, false);
	} else if (bpf_program__autoload(skel->progs.shadow_free)) {
		p_info("klp_shadow_free_struct not probeable: following klp_shadow_free "
		       "(klp_shadow_free_all goes unseen)");
	}
	free(filters);
	if (o->no_leaks || !tracepoint_exists(btf, "kmem", "kfree"))
		bpf_program__set_autoload(skel->progs.kfree_hook, false);
	if (o->no_leaks || !tracepoint_exists(btf, "kmem", "kmem_cache_free"))
		bpf_program__set_autoload(skel->progs.cache_free_hook, false);
	if (!o->no_leaks && !bpf_program__autoload(skel->progs.kfree_hook))
		probe_status__add_missing(ps, "shadow: raw_tp/kfree (no leak detection for kmalloc owners)");
	if (!o->no_leaks && !bpf_program__autoload(skel->progs.cache_free_hook))
		probe_status__add_missing(ps, "shadow: raw_tp/kmem_cache_free (no leak detection for slab owners)");
	/* kprobes on the free paths: only with leak detection (the generic
	 * loop above already listed them if they cannot go on this kernel). */
	if (o->no_leaks) {
		bpf_program__set_autoload(skel->progs.free_bulk_hook, false);
		bpf_program__set_autoload(skel->progs.kvfree_call_rcu_hook, false);
		bpf_program__set_autoload(skel->progs.rcu_sheaf_hook, false);
		bpf_program__set_autoload(skel->progs.rcu_sheaf_nobarn_hook, false);
	}
	skel->rodata->kvfree_arg_is_ptr = kvfree_arg_is_ptr(btf);
	/* Attached to their maps after load (attach_dumps); the free hooks
	 * only while owners need them (shadow_hooks.c); the rest are run. */
	bpf_program__set_autoattach(skel->progs.dump_live, false);
	bpf_program__set_autoattach(skel->progs.dump_ids, false);
	bpf_program__set_autoattach(skel->progs.dump_users, false);
	bpf_program__set_autoattach(skel->progs.kfree_hook, false);
	bpf_program__set_autoattach(skel->progs.cache_free_hook, false);
	bpf_program__set_autoattach(skel->progs.scan_hash, false);
	bpf_program__set_autoattach(skel->progs.bench_owners, false);
	bpf_program__set_autoload(skel->progs.bench_owners, getenv("KLPTOP_BENCH_SHADOWS") != NULL);
	set_direct_map(skel, ks);
	skel->rodata->cache_arg_is_struct = cache_arg_is_struct(btf);
	set_slab_layout(skel, btf);
	btf__free(btf);
	/* No klp_shadow_hash (no livepatch, or no KALLSYMS_ALL): no scan, and
	 * without livepatch no struct klp_shadow for CO-RE either. */
	if (!ksyms__find_name(ks, "klp_shadow_hash", NULL))
		bpf_program__set_autoload(skel->progs.scan_hash, false);
}

/* Attach program by program: a kprobe the kernel refuses although kallsyms
 * lists its function (a blacklisted or notrace function, when tracefs is
 * not readable to tell) costs only that probe, and probes.missing says so.
 * Fails only when nothing at all could be attached, free hooks included
 * (attached later, while owners need them). */
static int attach_each(struct shadow_probe *sp, const struct shadow_opts *o,
		       struct probe_status *ps)
{
	const struct bpf_object_skeleton *sk = sp->skel->skeleton;
	int attached = 0, err = -ENOENT;

	if (!o->no_leaks && (bpf_program__autoload(sp->skel->progs.kfree_hook) ||
			     bpf_program__autoload(sp->skel->progs.cache_free_hook)))
		attached++;
	char what[160];

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *p = *sk->progs[i].prog;
		struct bpf_link *l;

		if (!bpf_program__autoload(p) || !bpf_program__autoattach(p))
			continue;
		l = bpf_program__attach(p);
		if (!l || libbpf_get_error(l)) {
			err = l ? (int)libbpf_get_error(l) : -errno;
			snprintf(what, sizeof(what), "shadow: %s (attach failed: %s)",
				 bpf_program__section_name(p), strerror(-err));
			probe_status__add_missing(ps, what);
			continue;
		}
		*sk->progs[i].link = l;
		attached++;
	}
	return attached ? 0 : err;
}

static void missing_free(struct probe_status *ps)
{
	for (size_t i = 0; i < ps->nmissing; i++)
		free(ps->missing[i]);
	free(ps->missing);
	ps->missing = NULL;
	ps->nmissing = 0;
}

static struct bpf_link *attach_dump(struct bpf_program *p, struct bpf_map *m)
{
	union bpf_iter_link_info li = { .map.map_fd = (__u32)bpf_map__fd(m) };
	LIBBPF_OPTS(bpf_iter_attach_opts, o, .link_info = &li, .link_info_len = sizeof(li));
	struct bpf_link *l = bpf_program__attach_iter(p, &o);

	return l && !libbpf_get_error(l) ? l : NULL;
}

/* Map iterators keep klptop's reads from raising bpf_prog_active (see
 * dump_live in bpf/shadow.bpf.c); without them, map syscalls. */
static void attach_dumps(struct shadow_probe *sp, struct probe_status *ps)
{
	/* Diagnostic (bench-shadow-miss): read the maps the old way, to show
	 * the skipped hits it causes. */
	if (getenv("KLPTOP_SHADOW_MAP_SYSCALLS")) {
		probe_status__add_missing(ps, "shadow: iter/bpf_map_elem (KLPTOP_SHADOW_MAP_SYSCALLS "
					  "set: maps read with syscalls)");
		return;
	}
	if (!bpf_program__autoload(sp->skel->progs.dump_live)) {
		probe_status__add_missing(ps, "shadow: iter/bpf_map_elem (not loadable: maps read with "
					  "syscalls, which can make the kernel skip probe hits)");
		return;
	}
	sp->live_iter = attach_dump(sp->skel->progs.dump_live, sp->skel->maps.live);
	sp->ids_iter = attach_dump(sp->skel->progs.dump_ids, sp->skel->maps.ids);
	sp->users_iter = attach_dump(sp->skel->progs.dump_users, sp->skel->maps.users);
	if (!sp->live_iter || !sp->ids_iter || !sp->users_iter)
		probe_status__add_missing(ps, "shadow: iter/bpf_map_elem (maps read with syscalls, "
					  "which can make the kernel skip probe hits)");
}

/* --- start-up scan ---------------------------------------------------------- */

static void scan_hash(struct shadow_probe *sp, const struct ksyms *ks)
{
	const struct ksym *sym = ksyms__find_name(ks, "klp_shadow_hash", NULL);
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	char msg[160];
	int err;

	if (!bpf_program__autoload(sp->skel->progs.scan_hash) || !sym || !sym->addr) {
		sp->scan_error = xstrdup("klp_shadow_hash not in kallsyms (needs "
					 "CONFIG_KALLSYMS_ALL): shadows from before klptop uncounted");
		return;
	}
	sp->skel->bss->sstate.hash_addr = sym->addr;
	err = bpf_prog_test_run_opts(bpf_program__fd(sp->skel->progs.scan_hash), &topts);
	if (err || topts.retval) {
		snprintf(msg, sizeof(msg), "scan of klp_shadow_hash failed: %s",
			 err ? strerror(errno) : "no address");
		sp->scan_error = xstrdup(msg);
		return;
	}
	sp->scanned = 1;
	p_debug("klp_shadow_hash: %llu shadows from before klptop (%llu buckets)",
		(unsigned long long)sp->skel->bss->sstate.scan_found,
		(unsigned long long)sp->skel->bss->sstate.scan_buckets);
}

/* bench/shadow-free-cost.sh: KLPTOP_BENCH_SHADOWS=N[:cache] makes N live
 * shadows on objects no free touches (owners of kmalloc kind, or of another
 * cache); KLPTOP_BENCH_ARM=1 makes every free look its pointer up in the
 * owners map, as with no filter. */
static void bench_owners(struct shadow_probe *sp)
{
	const char *v = getenv("KLPTOP_BENCH_SHADOWS");
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	long n = 0;
	char *kind;

	if (getenv("KLPTOP_BENCH_ARM"))
		sp->skel->bss->bench_no_filter = 1;
	if (!v || !bpf_program__autoload(sp->skel->progs.bench_owners))
		return;
	n = strtol(v, &kind, 10);
	sp->skel->bss->bench_owners_n = n > 0 ? (__u32)n : 0;
	sp->skel->bss->bench_owners_kind = !strcmp(kind, ":cache") ? KLPT_OWNER_CACHE
								   : KLPT_OWNER_KMALLOC;
	if (bpf_prog_test_run_opts(bpf_program__fd(sp->skel->progs.bench_owners), &topts) ||
	    topts.retval)
		p_warn("KLPTOP_BENCH_SHADOWS: synthetic shadows not made");
}

/* --- events ---------------------------------------------------------------- */

static int handle_event(void *ctx, void *data, size_t len)
{
	struct shadow_probe *sp = ctx;
	const struct klpt_shadow_event *e = data;
	enum shadow_leak_kind kind;
	struct leak_entry *l;
	struct leak_how how;
	int32_t as = e->alloc_stack, fs = e->free_stack;

	if (len < sizeof(*e))
		return 0;
	if (sp->sink)
		sp->sink(sp->sink_ctx, SAMPLER_EV_SHADOW, data, len);
	switch (e->type) {
	case KLPT_SH_EV_ORPHAN: kind = SHADOW_LEAK_ORPHAN; break;
	case KLPT_SH_EV_STALE: kind = SHADOW_LEAK_STALE; break;
	case KLPT_SH_EV_DUPLICATE:
		kind = SHADOW_LEAK_DUPLICATE;
		as = e->stack;   /* the allocation that failed */
		fs = -1;
		break;
	default: return 0;
	}
	memset(&how, 0, sizeof(how));
	if (kind != SHADOW_LEAK_DUPLICATE) {
		/* The event's cache name is at most KLPT_CACHE_LEN bytes, NUL included. */
		memcpy(how.cache, e->cache, sizeof(how.cache) - 1);
		how.free_via = e->free_via;
		how.kfree_rcu = e->rcu_queued_ns != 0;
	}
	l = leak_table__add(&sp->leaks, kind, e->id, as, fs, &how, e->ts_ns);
	l->obj = e->obj;
	l->size = e->size;
	/* The alloc stack is a duplicate's failed call (now) or the shadow's
	 * allocation; the free stack an orphan's (now) or a stale hit's
	 * earlier free. */
	l->alloc_ns = kind == SHADOW_LEAK_DUPLICATE ? e->ts_ns : e->alloc_ns;
	l->free_ns = kind == SHADOW_LEAK_STALE ? e->freed_ns : e->ts_ns;
	if (how.kfree_rcu)
		l->rcu_delay_ns = e->ts_ns > e->rcu_queued_ns ? e->ts_ns - e->rcu_queued_ns : 0;
	return 0;
}

/* --- lifecycle ------------------------------------------------------------- */

struct shadow_probe *shadow_probe__open(const struct shadow_opts *o, struct probe_status *ps,
					struct ksymtab *syms)
{
	struct shadow_probe *sp = xcalloc(1, sizeof(*sp));
	const struct ksyms *ks = ksymtab__ksyms(syms);
	char msg[256];
	int err;

	sp->syms = syms;
	sp->start_ns = now_ns();
	/* With the map dump iterators first; a kernel that refuses them (an
	 * iterator program fails the whole object) gets the rest without. */
	for (int dumps = 1; dumps >= 0; dumps--) {
		struct probe_status tmp = { 0 };

		shadow_bpf__destroy(sp->skel);
		sp->skel = shadow_bpf__open();
		if (!sp->skel) {
			snprintf(msg, sizeof(msg), "shadow probes: cannot open BPF object: %s",
				 strerror(errno));
			goto fail;
		}
		choose_programs(sp, o, ks, &tmp);
		if (!dumps) {
			bpf_program__set_autoload(sp->skel->progs.dump_live, false);
			bpf_program__set_autoload(sp->skel->progs.dump_ids, false);
			bpf_program__set_autoload(sp->skel->progs.dump_users, false);
		}
		if (set_ring_size(sp, o->ring_kb)) {
			snprintf(msg, sizeof(msg), "shadow probes: bad KLPTOP_SHADOW_RINGBUF_KB");
			missing_free(&tmp);
			goto fail;
		}
		err = shadow_bpf__load(sp->skel);
		if (!err || !dumps) {
			for (size_t i = 0; i < tmp.nmissing; i++)
				probe_status__add_missing(ps, tmp.missing[i]);
		}
		missing_free(&tmp);
		if (!err)
			break;
		p_debug("shadow probes: load %s map iterators failed: %s",
			dumps ? "with" : "without", strerror(-err));
	}
	if (err) {
		snprintf(msg, sizeof(msg), "shadow probes: cannot load: %s", strerror(-err));
		goto fail;
	}
	err = attach_each(sp, o, ps);
	if (err) {
		snprintf(msg, sizeof(msg), "shadow probes: cannot attach: %s", strerror(-err));
		goto fail;
	}
	attach_dumps(sp, ps);
	sp->rb = ring_buffer__new(bpf_map__fd(sp->skel->maps.sevents), handle_event, sp, NULL);
	if (!sp->rb) {
		snprintf(msg, sizeof(msg), "shadow probes: no ring buffer: %s", strerror(errno));
		goto fail;
	}
	if (!o->no_leaks) {
		sp->hooks = free_hooks__new(sp->skel);
		/* Where shadows can exist, before the scan: a shadow found there
		 * whose owner is freed meanwhile is seen. */
		if (bpf_program__autoload(sp->skel->progs.shadow_alloc) ||
		    bpf_program__autoload(sp->skel->progs.shadow_get_or_alloc))
			free_hooks__attach_all(sp->hooks);
	}
	/* After attaching: a shadow made meanwhile is counted once. */
	scan_hash(sp, ks);
	bench_owners(sp);
	if (sp->hooks && (err = free_hooks__start(sp->hooks))) {
		snprintf(msg, sizeof(msg), "shadow probes: free hooks: %s", strerror(-err));
		goto fail;
	}
	return sp;
fail:
	if (!ps->bpf && !ps->why_not)
		ps->why_not = xstrdup(msg);
	else
		probe_status__add_missing(ps, msg);
	shadow_probe__close(sp);
	return NULL;
}

void shadow_probe__close(struct shadow_probe *sp)
{
	if (!sp)
		return;
	free_hooks__free(sp->hooks);
	ring_buffer__free(sp->rb);
	bpf_link__destroy(sp->live_iter);
	bpf_link__destroy(sp->ids_iter);
	bpf_link__destroy(sp->users_iter);
	shadow_bpf__destroy(sp->skel);
	shadow_probe__free_patches(sp);
	shadow_probe__free_stacks(sp);
	leak_table__free(&sp->leaks);
	for (size_t i = 0; i < sp->nseries; i++)
		free(sp->series[i].module);
	free(sp->series);
	free(sp->prev);
	free(sp->groups);
	free(sp->scan_error);
	free(sp);
}

int shadow_probe__event_fd(struct shadow_probe *sp)
{
	return sp ? ring_buffer__epoll_fd(sp->rb) : -1;
}

int shadow_probe__poll(struct shadow_probe *sp)
{
	return sp ? ring_buffer__consume(sp->rb) : 0;
}

void shadow_probe__set_sink(struct shadow_probe *sp,
			    void (*fn)(void *ctx, int kind, const void *data, size_t len), void *ctx)
{
	if (!sp)
		return;
	sp->sink = fn;
	sp->sink_ctx = ctx;
}

/* --- sampling ---------------------------------------------------------------- */

struct series *shadow_probe__series(struct shadow_probe *sp, uint64_t id, const char *module)
{
	struct series *s;

	for (size_t i = 0; i < sp->nseries; i++) {
		s = &sp->series[i];
		if (s->id == id && ((!s->module && !module) ||
				    (s->module && module && !strcmp(s->module, module))))
			return s;
	}
	grow_array((void **)&sp->series, &sp->capseries, sp->nseries, sizeof(*s));
	s = &sp->series[sp->nseries++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->module = module ? xstrdup(module) : NULL;
	return s;
}

static void series_push(struct series *s, double t, double y)
{
	if (s->n == SHADOW_WINDOW_SAMPLES) {
		memmove(s->t, s->t + 1, sizeof(s->t[0]) * (SHADOW_WINDOW_SAMPLES - 1));
		memmove(s->y, s->y + 1, sizeof(s->y[0]) * (SHADOW_WINDOW_SAMPLES - 1));
		s->n--;
	}
	s->t[s->n] = t;
	s->y[s->n] = y;
	s->n++;
	s->seen = 1;
}

static struct group_acc *group_get(struct shadow_probe *sp, uint64_t id, const char *module)
{
	struct group_acc *g;

	for (size_t i = 0; i < sp->ngroups; i++)
		if (sp->groups[i].id == id && !strcmp(sp->groups[i].module, module))
			return &sp->groups[i];
	grow_array((void **)&sp->groups, &sp->capgroups, sp->ngroups, sizeof(*g));
	g = &sp->groups[sp->ngroups++];
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->module = module;
	return g;
}

/* --- reading the maps --------------------------------------------------------- */

void *shadow_probe__iter_read(struct bpf_link *link, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return NULL;
	buf = xcalloc(1, cap);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

/* Every (key, value) of a small map, packed as its dump iterator writes
 * them (the dump structs are a key and a value, no padding between), or
 * read with map syscalls when the iterator is missing. *n records. */
void *shadow_probe__dump(struct bpf_link *iter, const struct bpf_map *map, size_t *n)
{
	size_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map), len, cap = 0;
	int fd = bpf_map__fd(map), have_prev = 0;
	char *v = NULL, key[64], prev[64];

	*n = 0;
	if (iter && (v = shadow_probe__iter_read(iter, &len))) {
		*n = len / (ks + vs);
		return v;
	}
	if (ks > sizeof(key))
		return NULL;
	while (!bpf_map_get_next_key(fd, have_prev ? prev : NULL, key)) {
		char *rec;

		memcpy(prev, key, ks);
		have_prev = 1;
		grow_array((void **)&v, &cap, *n, ks + vs);
		rec = v + *n * (ks + vs);
		memcpy(rec, key, ks);
		if (!bpf_map_lookup_elem(fd, key, rec + ks))
			(*n)++;   /* else deleted meanwhile */
	}
	return v;
}

/* The ids map: id and counters of every id. */
struct klpt_shadow_ids_dump *shadow_probe__read_ids(struct shadow_probe *sp, size_t *n)
{
	return shadow_probe__dump(sp->ids_iter, sp->skel->maps.ids, n);
}

static void group_add(struct shadow_probe *sp, const struct klpt_shadow_key *k,
		      const struct klpt_shadow_rec *r)
{
	const struct stack_info *si = shadow_probe__stack(sp, r->alloc_stack, r->alloc_ns);
	struct group_acc *g = group_get(sp, k->id, si ? si->module : "?");

	g->live++;
	g->bytes += (int64_t)r->size;
	if (r->alloc_ns && (!g->oldest_ns || r->alloc_ns < g->oldest_ns))
		g->oldest_ns = r->alloc_ns;
}

/* Walk the live map: live count, bytes and oldest per (id, module). */
static void walk_live(struct shadow_probe *sp)
{
	int fd = bpf_map__fd(sp->skel->maps.live);
	struct klpt_shadow_key *keys;
	struct klpt_shadow_rec *vals;
	struct klpt_shadow_live_dump *d;
	__u32 token = 0;
	void *in = NULL;
	size_t len;
	int err;

	sp->ngroups = 0;
	if (sp->live_iter && (d = shadow_probe__iter_read(sp->live_iter, &len))) {
		for (size_t i = 0; i < len / sizeof(*d); i++)
			group_add(sp, &d[i].key, &d[i].rec);
		free(d);
		return;
	}
	/* Fallback (no map iterators): a batch lookup. */
	keys = xcalloc(WALK_CHUNK, sizeof(*keys));
	vals = xcalloc(WALK_CHUNK, sizeof(*vals));
	do {
		__u32 count = WALK_CHUNK;

		err = bpf_map_lookup_batch(fd, in, &token, keys, vals, &count, NULL);
		if (err && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++)
			group_add(sp, &keys[i], &vals[i]);
		in = &token;
	} while (!err);
	free(keys);
	free(vals);
}

void shadow_probe__sample(struct shadow_probe *sp)
{
	uint64_t now = now_ns();
	double t = (double)(now - sp->start_ns) / 1e9;
	double dt = sp->prev_ns ? (double)(now - sp->prev_ns) / 1e9 : 0;
	struct klpt_shadow_ids_dump *ids;
	size_t nids;

	shadow_probe__poll(sp);
	/* Groups are rebuilt below: nothing points into the stacks dropped. */
	ksymtab__refresh(sp->syms);
	shadow_probe__forget_unnamed(sp);
	for (size_t i = 0; i < sp->nseries; i++)
		sp->series[i].seen = 0;
	ids = shadow_probe__read_ids(sp, &nids);
	for (size_t j = 0; j < nids; j++) {
		const struct klpt_shadow_stats *st = &ids[j].stats;
		uint64_t key = ids[j].id;
		struct id_prev *p = NULL;

		for (size_t i = 0; i < sp->nprev; i++)
			if (sp->prev[i].id == key)
				p = &sp->prev[i];
		if (!p) {
			grow_array((void **)&sp->prev, &sp->capprev, sp->nprev, sizeof(*p));
			p = &sp->prev[sp->nprev++];
			memset(p, 0, sizeof(*p));
			p->id = key;
		} else if (dt > 0) {
			p->allocs_per_s = (double)(st->allocs - p->allocs) / dt;
			p->frees_per_s = (double)(st->frees - p->frees) / dt;
		}
		p->allocs = st->allocs;
		p->frees = st->frees;
		series_push(shadow_probe__series(sp, key, NULL), t, (double)st->live);
	}
	free(ids);
	walk_live(sp);
	for (size_t i = 0; i < sp->ngroups; i++)
		series_push(shadow_probe__series(sp, sp->groups[i].id, sp->groups[i].module), t,
			    (double)sp->groups[i].live);
	/* A group that emptied: its series goes on at 0. */
	for (size_t i = 0; i < sp->nseries; i++)
		if (!sp->series[i].seen && sp->series[i].module)
			series_push(&sp->series[i], t, 0);
	sp->prev_ns = now;
}

/* --- missed hits ----------------------------------------------------------- */

/* The kernel's struct bpf_link_info as of v6.7, where a perf_event kprobe
 * link reports the kprobe's nmissed (older uapi headers lack it). A kernel
 * that returns fewer bytes has no such counter. */
struct link_info_v67 {
	__u32 type, id, prog_id, pad;
	__u32 pe_type, pe_pad;          /* perf_event.type: enum bpf_perf_event_type */
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr;
	__u64 missed;
	__u64 cookie;
};
#define LINK_TYPE_PERF_EVENT 7
#define PERF_EVENT_KPROBE 3
#define PERF_EVENT_KRETPROBE 4

/* Hits the kernel skipped: recursion_misses of every program (raw
 * tracepoints always count them; kprobe programs skipped because another
 * BPF program runs on the CPU only since v6.7) and each kprobe's own
 * nmissed (reentry, kretprobe instances exhausted; readable since v6.7).
 * Whether this kernel counts kprobe skips at all is read from the link
 * info it returns: the same series added both. */
void shadow_probe__read_missed(struct shadow_probe *sp, struct shadow_snapshot *ss)
{
	const struct bpf_object_skeleton *sk = sp->skel->skeleton;

	ss->missed_counted = 0;
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *p = *sk->progs[i].prog;
		struct bpf_link *link = *sk->progs[i].link;
		struct bpf_prog_info pi;
		struct link_info_v67 li;
		__u32 len = sizeof(pi);
		uint64_t rec = 0, kp = 0;

		/* A free hook's link comes and goes; its program's count stays. */
		if (bpf_program__fd(p) < 0)
			continue;
		memset(&pi, 0, sizeof(pi));
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &pi, &len) &&
		    len >= offsetof(struct bpf_prog_info, recursion_misses) + sizeof(__u64))
			rec = pi.recursion_misses;
		memset(&li, 0, sizeof(li));
		len = sizeof(li);
		if (link && !bpf_obj_get_info_by_fd(bpf_link__fd(link), &li, &len) &&
		    li.type == LINK_TYPE_PERF_EVENT &&
		    (li.pe_type == PERF_EVENT_KPROBE || li.pe_type == PERF_EVENT_KRETPROBE) &&
		    len >= offsetof(struct link_info_v67, missed) + sizeof(__u64)) {
			kp = li.missed;
			ss->missed_counted = 1;
		}
		if (!rec && !kp)
			continue;
		ss->missed_by = xrealloc(ss->missed_by, (ss->nmissed_by + 1) * sizeof(*ss->missed_by));
		ss->missed_by[ss->nmissed_by++] = (struct shadow_missed){
			.program = xstrdup(bpf_program__name(p)), .recursion = rec, .kprobe = kp,
		};
		ss->missed += rec + kp;
	}
}
