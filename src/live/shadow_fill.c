// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow probes' half that turns what the maps hold into the model:
 * allocation stacks symbolized once and cached per stack id, the module that
 * allocated each shadow, de-duplicated leak reports, and the snapshot's
 * struct shadow_snapshot.
 */
#include "live/shadow_probe.h"
#include "live/kallsyms.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klptop/shadow.h"
#include "shadow.skel.h"

size_t shadow_probe__stack_ips(struct shadow_probe *sp, int32_t id, uint64_t *ips, size_t max)
{
	uint64_t all[STACK_DEPTH] = { 0 };
	size_t n = 0;

	if (!sp || id < 0 || id >= STACK_SLOTS ||
	    bpf_map_lookup_elem(bpf_map__fd(sp->skel->maps.sstacks), &id, all))
		return 0;
	while (n < STACK_DEPTH && n < max && all[n])
		n++;
	memcpy(ips, all, n * sizeof(*ips));
	return n;
}
static void stack_info_free(struct stack_info *si)
{
	free(si->module);
	stack_frames__free(si->frames, si->n);
	free(si);
}

/* A tracepoint stack starts in our program and the BPF trampoline of the
 * tracepoint (bpf_trace_run*): start at the traced function. */
static void strip_bpf_frames(struct stack_info *si)
{
	while (si->n > 1 && ((si->frames[0].module && !strcmp(si->frames[0].module, "bpf")) ||
			     (si->frames[0].symbol && (!strncmp(si->frames[0].symbol, "bpf_", 4) ||
						       !strncmp(si->frames[0].symbol, "__bpf_", 6))))) {
		free(si->frames[0].symbol);
		free(si->frames[0].module);
		memmove(si->frames, si->frames + 1, sizeof(*si->frames) * (si->n - 1));
		si->n--;
	}
}

/* Named once per stack id, with the symbols of when it was captured (a
 * patch loaded after klptop started has its own name, not that of the
 * ftrace trampoline before it). A stack with a frame no symbol covers yet
 * is named again at the next sample (shadow_probe__forget_unnamed). */
struct stack_info *shadow_probe__stack(struct shadow_probe *sp, int32_t id, uint64_t when_ns)
{
	uint64_t ips[STACK_DEPTH];
	struct stack_info *si;
	size_t n;

	if (id < 0 || id >= STACK_SLOTS)
		return NULL;
	if (sp->stacks[id])
		return sp->stacks[id];
	n = shadow_probe__stack_ips(sp, id, ips, STACK_DEPTH);
	if (!n)
		return NULL;
	si = xcalloc(1, sizeof(*si));
	si->frames = ksymtab__frames(sp->syms, ips, n, when_ns);
	si->n = n;
	for (size_t i = 0; i < n; i++)
		si->unnamed |= !si->frames[i].symbol;
	strip_bpf_frames(si);
	for (size_t i = 0; i < si->n; i++) {
		if (si->frames[i].module) {
			si->module = xstrdup(si->frames[i].module);
			break;
		}
	}
	if (!si->module)
		si->module = xstrdup(si->unnamed ? "?" : "vmlinux");
	sp->stacks[id] = si;
	return si;
}

void shadow_probe__forget_unnamed(struct shadow_probe *sp)
{
	for (size_t i = 0; i < STACK_SLOTS; i++) {
		if (sp->stacks[i] && sp->stacks[i]->unnamed) {
			stack_info_free(sp->stacks[i]);
			sp->stacks[i] = NULL;
		}
	}
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

/* --- filling the model ------------------------------------------------------- */

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

static double series_slope(const struct series *s)
{
	return s ? shadow__slope(s->t, s->y, s->n) : 0;
}

static const char *free_via_name(uint32_t via)
{
	switch (via) {
	case KLPT_SH_FREE_KFREE: return "kfree";
	case KLPT_SH_FREE_CACHE: return "kmem_cache_free";
	case KLPT_SH_FREE_BULK: return "kmem_cache_free_bulk";
	case KLPT_SH_FREE_RCU_SHEAF: return "rcu_free_sheaf";
	default: return NULL;
	}
}

static void fill_leaks(struct shadow_probe *sp, struct shadow_snapshot *ss)
{
	ss->leaks = xcalloc(sp->leaks.n, sizeof(*ss->leaks));
	ss->nleaks = sp->leaks.n;
	for (size_t i = 0; i < sp->leaks.n; i++) {
		const struct leak_entry *e = &sp->leaks.v[i];
		struct shadow_leak *l = &ss->leaks[i];
		const struct stack_info *as = shadow_probe__stack(sp, e->alloc_stack, e->alloc_ns);
		const struct stack_info *fs = shadow_probe__stack(sp, e->free_stack, e->free_ns);

		l->kind = e->kind;
		l->id = e->id;
		l->count = e->count;
		l->first_ns = e->first_ns;
		l->last_ns = e->last_ns;
		l->obj = e->obj;
		l->size = e->size;
		l->cache = e->how.cache[0] ? xstrdup(e->how.cache) : NULL;
		l->free_via = free_via_name(e->how.free_via);
		l->kfree_rcu = e->how.kfree_rcu;
		l->rcu_delay_ns = e->rcu_delay_ns;
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
	struct klpt_shadow_ids_dump *ids;
	size_t nids;
	uint64_t now;

	if (!sp)
		return;
	shadow_probe__sample(sp);
	shadow_probe__follow_patches(sp, s);
	now = now_ns();
	st = &sp->skel->bss->sstate;
	ss = s->shadows = xcalloc(1, sizeof(*ss));
	ss->attached = 1;
	ss->leak_detection = sp->hooks != NULL;
	if (sp->hooks) {
		ss->free_hooks = xcalloc(1, sizeof(*ss->free_hooks));
		free_hooks__read(sp->hooks, ss->free_hooks);
	}
	ss->events_dropped = st->events_dropped;
	ss->live_dropped = st->live_dropped;
	ss->rcu_queued = st->rcu_queued;
	ss->bulk_truncated = st->bulk_truncated;
	shadow_probe__read_missed(sp, ss);
	ss->scanned = sp->scanned;
	ss->preexisting = st->scan_found;
	ss->scan_truncated = st->scan_truncated;
	ss->scan_error = sp->scan_error ? xstrdup(sp->scan_error) : NULL;
	ids = shadow_probe__read_ids(sp, &nids);
	for (size_t j = 0; j < nids; j++) {
		const struct klpt_shadow_stats v = ids[j].stats;
		uint64_t key = ids[j].id;
		const struct series *se = shadow_probe__series(sp, key, NULL);
		struct shadow_id_info *d;

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
	free(ids);
	ss->groups = xcalloc(sp->ngroups, sizeof(*ss->groups));
	ss->ngroups = sp->ngroups;
	for (size_t i = 0; i < sp->ngroups; i++) {
		const struct group_acc *g = &sp->groups[i];
		struct shadow_group *o = &ss->groups[i];
		struct shadow_id_info *d = NULL;
		const char *by;
		enum shadow_patch_state ps = shadow_probe__patch_state(sp, s, g->module, &by);

		o->id = g->id;
		o->module = xstrdup(g->module);
		o->live = g->live;
		o->bytes = g->bytes;
		o->oldest_age_ns = g->oldest_ns && now > g->oldest_ns ? now - g->oldest_ns : 0;
		o->growth_per_s = series_slope(shadow_probe__series(sp, g->id, g->module));
		/* A live patch no longer enabled, or no longer loaded. A module
		 * that is not a patch at all (vmlinux, "?") is not judged. */
		o->patch_gone = ps == SHADOW_PATCH_DISABLING || ps == SHADOW_PATCH_DISABLED ||
				ps == SHADOW_PATCH_REPLACED || ps == SHADOW_PATCH_UNLOADED;
		for (size_t j = 0; j < ss->nids; j++)
			if (ss->ids[j].id == g->id)
				d = &ss->ids[j];
		if (d && o->oldest_age_ns > d->oldest_age_ns)
			d->oldest_age_ns = o->oldest_age_ns;
	}
	fill_leaks(sp, ss);
	shadow_probe__fill_users(sp, s, ss);
	if (st->events_dropped)
		snapshot__warn(s, "%llu shadow events dropped (ring buffer full): leak counts "
			       "per id are still exact", (unsigned long long)st->events_dropped);
	if (st->live_dropped)
		snapshot__warn(s, "%llu shadows not tracked (live map full)",
			       (unsigned long long)st->live_dropped);
	if (ss->missed)
		snapshot__warn(s, "%llu shadow probe hits skipped by the kernel (BPF recursion "
			       "protection or kprobe misses): counts may be short by as many",
			       (unsigned long long)ss->missed);
	if (st->bulk_truncated)
		snapshot__warn(s, "%llu pointers of kmem_cache_free_bulk calls not examined "
			       "(over %d per call)", (unsigned long long)st->bulk_truncated,
			       KLPT_BULK_MAX);
	if (st->users_dropped)
		snapshot__warn(s, "%llu shadow API calls not attributed to a module (users map full)",
			       (unsigned long long)st->users_dropped);
}

void shadow_probe__free_stacks(struct shadow_probe *sp)
{
	for (size_t i = 0; i < STACK_SLOTS; i++)
		if (sp->stacks[i])
			stack_info_free(sp->stacks[i]);
}
