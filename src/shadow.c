// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace half of the shadow-variable probes: attach-point probing, the
 * start-up scan of klp_shadow_hash, accounting per id and per allocating
 * module, and leak reports de-duplicated so that a million orphans of one
 * code path are one line with a count.
 */
#include "shadow.h"
#include "attach.h"
#include "cmd.h"
#include "kallsyms.h"
#include "log.h"
#include "sampler.h"
#include "util.h"

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
_Static_assert(sizeof(struct klpt_shadow_owner) == 16, "klpt_shadow_owner layout");
_Static_assert(sizeof(struct klpt_shadow_event) == 112, "klpt_shadow_event layout");
_Static_assert(sizeof(struct klpt_shadow_state) == 64, "klpt_shadow_state layout");

#define STACK_SLOTS 8192     /* max_entries of the sstacks map */
#define STACK_DEPTH 32
#define WALK_CHUNK 4096

/* A time series of live counts, for the growth slope. */
struct series {
	uint64_t id;
	char *module;        /* NULL: the per-id series */
	double t[SHADOW_WINDOW_SAMPLES], y[SHADOW_WINDOW_SAMPLES];
	unsigned int n;
	int seen;            /* present in the last sample */
};

struct stack_info {
	char *module;        /* first module frame: who asked */
	struct stack_frame *frames;
	size_t n;
};

struct id_prev {
	uint64_t id, allocs, frees;
	double allocs_per_s, frees_per_s;
};

struct group_acc {
	uint64_t id;
	const char *module;
	int64_t live, bytes;
	uint64_t oldest_ns;
};

struct shadow_probe {
	struct shadow_bpf *skel;
	struct ring_buffer *rb;
	struct ksyms *ks;            /* our own: reloaded when patches come */
	uint64_t ks_loaded_ns;
	struct stack_info *stacks[STACK_SLOTS];
	struct leak_table leaks;
	struct series *series;
	size_t nseries, capseries;
	struct id_prev *prev;
	size_t nprev, capprev;
	uint64_t prev_ns, start_ns;
	struct group_acc *groups;
	size_t ngroups, capgroups;
	int leak_detection;
	int scanned;
	char *scan_error;
	void (*sink)(void *ctx, int kind, const void *data, size_t len);
	void *sink_ctx;
};

/* --- pure helpers -------------------------------------------------------- */

double shadow__slope(const double *t, const double *y, size_t n)
{
	double mt = 0, my = 0, sxx = 0, sxy = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++) {
		mt += t[i];
		my += y[i];
	}
	mt /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += (t[i] - mt) * (t[i] - mt);
		sxy += (t[i] - mt) * (y[i] - my);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

static size_t leak_hash(enum shadow_leak_kind kind, uint64_t id, int32_t a, int32_t f)
{
	uint64_t h = 14695981039346656037ull;
	uint64_t parts[4] = { (uint64_t)kind, id, (uint32_t)a, (uint32_t)f };

	for (int i = 0; i < 4; i++)
		h = (h ^ parts[i]) * 1099511628211ull;
	return (size_t)h;
}

static void leak_table__rehash(struct leak_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;

	free(t->slots);
	t->slots = xcalloc(nslots, sizeof(*t->slots));
	t->nslots = nslots;
	for (size_t i = 0; i < t->n; i++) {
		const struct leak_entry *e = &t->v[i];
		size_t s = leak_hash(e->kind, e->id, e->alloc_stack, e->free_stack) & (nslots - 1);

		while (t->slots[s])
			s = (s + 1) & (nslots - 1);
		t->slots[s] = i + 1;
	}
}

struct leak_entry *leak_table__add(struct leak_table *t, enum shadow_leak_kind kind, uint64_t id,
				   int32_t alloc_stack, int32_t free_stack, uint64_t ts)
{
	struct leak_entry *e;
	size_t s;

	if ((t->n + 1) * 2 > t->nslots)
		leak_table__rehash(t);
	s = leak_hash(kind, id, alloc_stack, free_stack) & (t->nslots - 1);
	for (; t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
		e = &t->v[t->slots[s] - 1];
		if (e->kind == kind && e->id == id && e->alloc_stack == alloc_stack &&
		    e->free_stack == free_stack)
			goto found;
	}
	grow_array((void **)&t->v, &t->cap, t->n, sizeof(*t->v));
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->id = id;
	e->alloc_stack = alloc_stack;
	e->free_stack = free_stack;
	e->first_ns = ts;
	t->slots[s] = t->n;
found:
	e->count++;
	e->last_ns = ts;
	return e;
}

void leak_table__free(struct leak_table *t)
{
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

const char *shadow_leak_kind__name(enum shadow_leak_kind k)
{
	static const char *const names[SHADOW_LEAK_KIND_MAX] = { "orphan", "stale", "duplicate" };

	return k < SHADOW_LEAK_KIND_MAX ? names[k] : "?";
}

void shadow_snapshot__free(struct shadow_snapshot *ss)
{
	if (!ss)
		return;
	free(ss->scan_error);
	free(ss->ids);
	for (size_t i = 0; i < ss->ngroups; i++)
		free(ss->groups[i].module);
	free(ss->groups);
	for (size_t i = 0; i < ss->nleaks; i++) {
		struct shadow_leak *l = &ss->leaks[i];

		free(l->cache);
		free(l->module);
		stack_frames__free(l->alloc_stack, l->nalloc_stack);
		stack_frames__free(l->free_stack, l->nfree_stack);
	}
	free(ss->leaks);
	memset(ss, 0, sizeof(*ss));
}

/* --- attach points -------------------------------------------------------- */

static int tracepoint_exists(const char *cat, const char *name)
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
	struct btf *btf = btf__load_vmlinux_btf();
	int found = btf && btf__find_by_name_kind(btf, path, BTF_KIND_TYPEDEF) > 0;

	btf__free(btf);
	return found;
}

/* Is the third argument of trace_kmem_cache_free a struct kmem_cache *
 * (since v6.2, and some 6.1 stable builds) or the cache name? */
static int cache_arg_is_struct(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_param *p;
	int id, is_struct = 1;

	if (!btf)
		return 1;
	id = btf__find_by_name_kind(btf, "btf_trace_kmem_cache_free", BTF_KIND_TYPEDEF);
	if (id <= 0)
		goto out;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type);          /* pointer */
	if (!t || !btf_is_ptr(t))
		goto out;
	t = btf__type_by_id(btf, t->type);          /* func proto */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 4)
		goto out;
	p = btf_params(t) + 3;                      /* (void *__data, call_site, ptr, X) */
	t = btf__type_by_id(btf, p->type);
	if (!t || !btf_is_ptr(t))
		goto out;
	id = btf__resolve_type(btf, t->type);
	t = btf__type_by_id(btf, id);
	is_struct = t && btf_is_struct(t);
out:
	btf__free(btf);
	return is_struct;
}

static void choose_programs(struct shadow_probe *sp, const struct shadow_opts *o,
			    const struct ksyms *ks, struct probe_status *ps)
{
	struct shadow_bpf *skel = sp->skel;
	char *filters = attach__filter_functions();
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
		if (!strncmp(sec, "kprobe/", 7)) {
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
	sp->leak_detection = !o->no_leaks;
	if (o->no_leaks || !tracepoint_exists("kmem", "kfree"))
		bpf_program__set_autoload(skel->progs.kfree_hook, false);
	if (o->no_leaks || !tracepoint_exists("kmem", "kmem_cache_free"))
		bpf_program__set_autoload(skel->progs.cache_free_hook, false);
	if (!o->no_leaks && !bpf_program__autoload(skel->progs.kfree_hook))
		probe_status__add_missing(ps, "shadow: raw_tp/kfree (no leak detection for kmalloc owners)");
	if (!o->no_leaks && !bpf_program__autoload(skel->progs.cache_free_hook))
		probe_status__add_missing(ps, "shadow: raw_tp/kmem_cache_free (no leak detection for slab owners)");
	skel->rodata->cache_arg_is_struct = cache_arg_is_struct();
	/* No klp_shadow_hash (no livepatch, or no KALLSYMS_ALL): no scan, and
	 * without livepatch no struct klp_shadow for CO-RE either. */
	if (!ksyms__find_name(ks, "klp_shadow_hash", NULL))
		bpf_program__set_autoload(skel->progs.scan_hash, false);
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

/* --- events ---------------------------------------------------------------- */

static int handle_event(void *ctx, void *data, size_t len)
{
	struct shadow_probe *sp = ctx;
	const struct klpt_shadow_event *e = data;
	enum shadow_leak_kind kind;
	struct leak_entry *l;
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
	l = leak_table__add(&sp->leaks, kind, e->id, as, fs, e->ts_ns);
	l->obj = e->obj;
	l->size = e->size;
	if (e->cache[0])
		copy_str(l->cache, sizeof(l->cache), e->cache);
	return 0;
}

/* --- lifecycle ------------------------------------------------------------- */

struct shadow_probe *shadow_probe__open(const struct shadow_opts *o, struct probe_status *ps,
					const struct ksyms *ks)
{
	struct shadow_probe *sp = xcalloc(1, sizeof(*sp));
	char msg[256];
	int err;

	sp->ks = ksyms__load(g_opts.kallsyms);
	sp->ks_loaded_ns = now_ns();
	sp->start_ns = now_ns();
	sp->skel = shadow_bpf__open();
	if (!sp->skel) {
		snprintf(msg, sizeof(msg), "shadow probes: cannot open BPF object: %s",
			 strerror(errno));
		goto fail;
	}
	choose_programs(sp, o, ks, ps);
	err = shadow_bpf__load(sp->skel);
	if (err) {
		snprintf(msg, sizeof(msg), "shadow probes: cannot load: %s", strerror(-err));
		goto fail;
	}
	err = shadow_bpf__attach(sp->skel);
	if (err) {
		snprintf(msg, sizeof(msg), "shadow probes: cannot attach: %s", strerror(-err));
		goto fail;
	}
	sp->rb = ring_buffer__new(bpf_map__fd(sp->skel->maps.sevents), handle_event, sp, NULL);
	if (!sp->rb) {
		snprintf(msg, sizeof(msg), "shadow probes: no ring buffer: %s", strerror(errno));
		goto fail;
	}
	/* After attaching: a shadow made meanwhile is counted once. */
	scan_hash(sp, ks);
	/* bench/shadow-free-cost.sh: make every free take the owner lookup
	 * even with no shadow alive (what a free costs once shadows exist). */
	if (getenv("KLPTOP_BENCH_ARM"))
		sp->skel->bss->sstate.nlive += 1ll << 40;
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
	ring_buffer__free(sp->rb);
	shadow_bpf__destroy(sp->skel);
	ksyms__free(sp->ks);
	for (size_t i = 0; i < STACK_SLOTS; i++) {
		if (!sp->stacks[i])
			continue;
		free(sp->stacks[i]->module);
		stack_frames__free(sp->stacks[i]->frames, sp->stacks[i]->n);
		free(sp->stacks[i]);
	}
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

void shadow_probe__set_detect(struct shadow_probe *sp, int on)
{
	if (sp)
		sp->skel->data->detect_leaks = !!on;
}

/* --- stacks ------------------------------------------------------------------ */

/* A module frame that kallsyms does not know: a patch loaded after we read
 * it. Reload, at most once a second. */
static void maybe_reload_ksyms(struct shadow_probe *sp)
{
	struct ksyms *fresh;

	if (now_ns() - sp->ks_loaded_ns < 1000000000ull)
		return;
	fresh = ksyms__load(g_opts.kallsyms);
	sp->ks_loaded_ns = now_ns();
	if (!fresh)
		return;
	ksyms__free(sp->ks);
	sp->ks = fresh;
}

static const struct stack_info *stack_of(struct shadow_probe *sp, int32_t id)
{
	uint64_t ips[STACK_DEPTH];
	struct stack_info *si;
	size_t n = 0;
	int unknown = 0;

	if (id < 0 || id >= STACK_SLOTS)
		return NULL;
	if (sp->stacks[id])
		return sp->stacks[id];
	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(bpf_map__fd(sp->skel->maps.sstacks), &id, ips))
		return NULL;
	while (n < STACK_DEPTH && ips[n])
		n++;
	for (size_t i = 0; i < n; i++)
		unknown |= !ksyms__find_addr(sp->ks, ips[i], NULL);
	if (unknown)
		maybe_reload_ksyms(sp);
	si = xcalloc(1, sizeof(*si));
	si->frames = stack_frames__from_ips(ips, n, sp->ks);
	si->n = n;
	/* A tracepoint stack starts in our program and the BPF trampoline of
	 * the tracepoint (bpf_trace_run*): start at the traced function. */
	while (si->n > 1 && ((si->frames[0].module && !strcmp(si->frames[0].module, "bpf")) ||
			     (si->frames[0].symbol && (!strncmp(si->frames[0].symbol, "bpf_", 4) ||
						       !strncmp(si->frames[0].symbol, "__bpf_", 6))))) {
		free(si->frames[0].symbol);
		free(si->frames[0].module);
		memmove(si->frames, si->frames + 1, sizeof(*si->frames) * (si->n - 1));
		si->n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (si->frames[i].module) {
			si->module = xstrdup(si->frames[i].module);
			break;
		}
	}
	if (!si->module)
		si->module = xstrdup(unknown ? "?" : "vmlinux");
	sp->stacks[id] = si;
	return si;
}

static struct stack_frame *frames_dup(const struct stack_info *si, size_t *n)
{
	struct stack_frame *f;

	*n = si ? si->n : 0;
	f = xcalloc(*n, sizeof(*f));
	for (size_t i = 0; i < *n; i++) {
		f[i] = si->frames[i];
		f[i].symbol = si->frames[i].symbol ? xstrdup(si->frames[i].symbol) : NULL;
		f[i].module = si->frames[i].module ? xstrdup(si->frames[i].module) : NULL;
	}
	return f;
}

/* --- sampling ---------------------------------------------------------------- */

static struct series *series_get(struct shadow_probe *sp, uint64_t id, const char *module)
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

static double series_slope(const struct series *s)
{
	return s ? shadow__slope(s->t, s->y, s->n) : 0;
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

/* Walk the live map: live count, bytes and oldest per (id, module). */
static void walk_live(struct shadow_probe *sp)
{
	int fd = bpf_map__fd(sp->skel->maps.live);
	struct klpt_shadow_key *keys = xcalloc(WALK_CHUNK, sizeof(*keys));
	struct klpt_shadow_rec *vals = xcalloc(WALK_CHUNK, sizeof(*vals));
	__u32 token = 0;
	void *in = NULL;
	int err;

	sp->ngroups = 0;
	do {
		__u32 count = WALK_CHUNK;

		err = bpf_map_lookup_batch(fd, in, &token, keys, vals, &count, NULL);
		if (err && errno != ENOENT)
			break;
		for (__u32 i = 0; i < count; i++) {
			const struct stack_info *si = stack_of(sp, vals[i].alloc_stack);
			struct group_acc *g = group_get(sp, keys[i].id, si ? si->module : "?");

			g->live++;
			g->bytes += (int64_t)vals[i].size;
			if (vals[i].alloc_ns && (!g->oldest_ns || vals[i].alloc_ns < g->oldest_ns))
				g->oldest_ns = vals[i].alloc_ns;
		}
		in = &token;
	} while (!err);
	free(keys);
	free(vals);
}

void shadow_probe__sample(struct shadow_probe *sp)
{
	int fd = bpf_map__fd(sp->skel->maps.ids);
	uint64_t now = now_ns(), key, *prevk = NULL;
	double t = (double)(now - sp->start_ns) / 1e9;
	double dt = sp->prev_ns ? (double)(now - sp->prev_ns) / 1e9 : 0;
	struct klpt_shadow_stats st;

	shadow_probe__poll(sp);
	for (size_t i = 0; i < sp->nseries; i++)
		sp->series[i].seen = 0;
	while (!bpf_map_get_next_key(fd, prevk, &key)) {
		struct id_prev *p = NULL;

		prevk = &key;
		if (bpf_map_lookup_elem(fd, &key, &st))
			continue;
		for (size_t i = 0; i < sp->nprev; i++)
			if (sp->prev[i].id == key)
				p = &sp->prev[i];
		if (!p) {
			grow_array((void **)&sp->prev, &sp->capprev, sp->nprev, sizeof(*p));
			p = &sp->prev[sp->nprev++];
			memset(p, 0, sizeof(*p));
			p->id = key;
		} else if (dt > 0) {
			p->allocs_per_s = (double)(st.allocs - p->allocs) / dt;
			p->frees_per_s = (double)(st.frees - p->frees) / dt;
		}
		p->allocs = st.allocs;
		p->frees = st.frees;
		series_push(series_get(sp, key, NULL), t, (double)st.live);
	}
	walk_live(sp);
	for (size_t i = 0; i < sp->ngroups; i++)
		series_push(series_get(sp, sp->groups[i].id, sp->groups[i].module), t,
			    (double)sp->groups[i].live);
	/* A group that emptied: its series goes on at 0. */
	for (size_t i = 0; i < sp->nseries; i++)
		if (!sp->series[i].seen && sp->series[i].module)
			series_push(&sp->series[i], t, 0);
	sp->prev_ns = now;
}

/* --- filling the model ------------------------------------------------------- */

static int patch_enabled(const struct snapshot *s, const char *module, int *known)
{
	for (size_t i = 0; i < s->npatches; i++) {
		if (!strcmp(s->patches[i].name, module)) {
			*known = 1;
			return s->patches[i].enabled;
		}
	}
	*known = 0;
	return 0;
}

/* A module that allocated shadows and is no longer loaded: a removed patch. */
static int module_loaded(const char *module)
{
	char path[256];

	if (g_opts.root)
		return 1; /* a captured tree: do not judge */
	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return access(path, F_OK) == 0;
}

/* The only module seen allocating shadows of id, or NULL. Shadows from
 * before klptop have no stack: this names their likely owner. */
static const char *module_of_id(const struct shadow_probe *sp, uint64_t id)
{
	const char *m = NULL;

	for (size_t i = 0; i < sp->leaks.n; i++) {
		const struct leak_entry *e = &sp->leaks.v[i];
		const struct stack_info *si;

		if (e->id != id || e->alloc_stack < 0 || e->alloc_stack >= STACK_SLOTS ||
		    !(si = sp->stacks[e->alloc_stack]) || !strcmp(si->module, "?"))
			continue;
		if (m && strcmp(m, si->module))
			return NULL;
		m = si->module;
	}
	for (size_t i = 0; i < sp->ngroups; i++) {
		const struct group_acc *g = &sp->groups[i];

		if (g->id != id || !strcmp(g->module, "?"))
			continue;
		if (m && strcmp(m, g->module))
			return NULL;
		m = g->module;
	}
	return m;
}

static char *guess_module(const struct shadow_probe *sp, uint64_t id)
{
	const char *m = module_of_id(sp, id);
	char buf[128];

	if (!m)
		return xstrdup("?");
	snprintf(buf, sizeof(buf), "%s?", m);
	return xstrdup(buf);
}

static void fill_leaks(struct shadow_probe *sp, struct shadow_snapshot *ss)
{
	ss->leaks = xcalloc(sp->leaks.n, sizeof(*ss->leaks));
	ss->nleaks = sp->leaks.n;
	for (size_t i = 0; i < sp->leaks.n; i++) {
		const struct leak_entry *e = &sp->leaks.v[i];
		struct shadow_leak *l = &ss->leaks[i];
		const struct stack_info *as = stack_of(sp, e->alloc_stack);
		const struct stack_info *fs = stack_of(sp, e->free_stack);

		l->kind = e->kind;
		l->id = e->id;
		l->count = e->count;
		l->first_ns = e->first_ns;
		l->last_ns = e->last_ns;
		l->obj = e->obj;
		l->size = e->size;
		l->cache = e->cache[0] ? xstrdup(e->cache) : NULL;
		l->module = as && strcmp(as->module, "?") ? xstrdup(as->module)
							  : guess_module(sp, e->id);
		l->alloc_stack = frames_dup(as, &l->nalloc_stack);
		l->free_stack = frames_dup(fs, &l->nfree_stack);
	}
}

void shadow_probe__fill(struct shadow_probe *sp, struct snapshot *s)
{
	const struct klpt_shadow_state *st;
	struct shadow_snapshot *ss;
	int fd;
	uint64_t key, *prevk = NULL, now;
	struct klpt_shadow_stats v;

	if (!sp)
		return;
	shadow_probe__sample(sp);
	now = now_ns();
	st = &sp->skel->bss->sstate;
	ss = s->shadows = xcalloc(1, sizeof(*ss));
	ss->attached = 1;
	ss->leak_detection = sp->leak_detection && sp->skel->data->detect_leaks;
	ss->events_dropped = st->events_dropped;
	ss->live_dropped = st->live_dropped;
	ss->scanned = sp->scanned;
	ss->preexisting = st->scan_found;
	ss->scan_truncated = st->scan_truncated;
	ss->scan_error = sp->scan_error ? xstrdup(sp->scan_error) : NULL;
	fd = bpf_map__fd(sp->skel->maps.ids);
	while (!bpf_map_get_next_key(fd, prevk, &key)) {
		struct shadow_id_info *d;
		const struct series *se = series_get(sp, key, NULL);

		prevk = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		ss->ids = xrealloc(ss->ids, (ss->nids + 1) * sizeof(*ss->ids));
		d = &ss->ids[ss->nids++];
		memset(d, 0, sizeof(*d));
		d->id = key;
		d->live = v.live;
		d->bytes = v.bytes;
		d->allocs = v.allocs;
		d->frees = v.frees;
		d->orphans = v.orphans;
		d->stale = v.stale;
		d->duplicates = v.duplicates;
		d->failed = v.failed;
		d->preexisting = v.preexisting;
		for (size_t i = 0; i < sp->nprev; i++) {
			if (sp->prev[i].id == key) {
				d->allocs_per_s = sp->prev[i].allocs_per_s;
				d->frees_per_s = sp->prev[i].frees_per_s;
			}
		}
		d->growth_per_s = series_slope(se);
		d->growth_samples = se->n;
		if (se->n > 1)
			ss->window_ns = (uint64_t)((se->t[se->n - 1] - se->t[0]) * 1e9);
		ss->live += v.live > 0 ? (uint64_t)v.live : 0;
		ss->bytes += v.bytes;
		ss->orphans += v.orphans;
		ss->stale += v.stale;
		ss->duplicates += v.duplicates;
	}
	ss->groups = xcalloc(sp->ngroups, sizeof(*ss->groups));
	ss->ngroups = sp->ngroups;
	for (size_t i = 0; i < sp->ngroups; i++) {
		const struct group_acc *g = &sp->groups[i];
		struct shadow_group *o = &ss->groups[i];
		struct shadow_id_info *d = NULL;
		int known, enabled = patch_enabled(s, g->module, &known);

		o->id = g->id;
		o->module = xstrdup(g->module);
		o->live = g->live;
		o->bytes = g->bytes;
		o->oldest_age_ns = g->oldest_ns && now > g->oldest_ns ? now - g->oldest_ns : 0;
		o->growth_per_s = series_slope(series_get(sp, g->id, g->module));
		/* The patch is gone (not listed: removed) or disabled. A module
		 * that is not a patch at all (vmlinux, "?") is not judged. */
		o->patch_gone = strcmp(g->module, "?") && strcmp(g->module, "vmlinux") &&
				(known ? !enabled : !module_loaded(g->module));
		for (size_t j = 0; j < ss->nids; j++)
			if (ss->ids[j].id == g->id)
				d = &ss->ids[j];
		if (d && o->oldest_age_ns > d->oldest_age_ns)
			d->oldest_age_ns = o->oldest_age_ns;
	}
	fill_leaks(sp, ss);
	if (st->events_dropped)
		snapshot__warn(s, "%llu shadow events dropped (ring buffer full): leak counts "
			       "per id are still exact", (unsigned long long)st->events_dropped);
	if (st->live_dropped)
		snapshot__warn(s, "%llu shadows not tracked (live map full)",
			       (unsigned long long)st->live_dropped);
}

/* --- text summary ------------------------------------------------------------ */

static void print_frames(FILE *f, const char *title, const struct stack_frame *fr, size_t n)
{
	fprintf(f, "    %s:\n", title);
	for (size_t i = 0; i < n; i++) {
		if (fr[i].symbol)
			fprintf(f, "      %s+0x%llx%s%s%s\n", fr[i].symbol,
				(unsigned long long)fr[i].offset, fr[i].module ? " [" : "",
				fr[i].module ? fr[i].module : "", fr[i].module ? "]" : "");
		else
			fprintf(f, "      0x%llx\n", (unsigned long long)fr[i].addr);
	}
	if (!n)
		fprintf(f, "      (unknown)\n");
}

void shadow_snapshot__print_leaks(const struct shadow_snapshot *ss, FILE *f)
{
	fprintf(f, "Shadow leaks: %llu orphans, %llu stale hits, %llu duplicates",
		(unsigned long long)ss->orphans, (unsigned long long)ss->stale,
		(unsigned long long)ss->duplicates);
	if (ss->events_dropped)
		fprintf(f, " (%llu events dropped: ring buffer full)",
			(unsigned long long)ss->events_dropped);
	fputc('\n', f);
	for (size_t i = 0; i < ss->nleaks; i++) {
		const struct shadow_leak *l = &ss->leaks[i];

		fprintf(f, "  %-9s id 0x%llx x%llu  module %s  owner %s, last 0x%llx, %llu bytes\n",
			shadow_leak_kind__name(l->kind), (unsigned long long)l->id,
			(unsigned long long)l->count, l->module, l->cache ? l->cache : "kmalloc",
			(unsigned long long)l->obj, (unsigned long long)l->size);
		print_frames(f, l->kind == SHADOW_LEAK_DUPLICATE ? "failed alloc stack"
								 : "shadow alloc stack",
			     l->alloc_stack, l->nalloc_stack);
		if (l->kind != SHADOW_LEAK_DUPLICATE)
			print_frames(f, "owner free stack", l->free_stack, l->nfree_stack);
	}
}
