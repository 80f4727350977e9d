// SPDX-License-Identifier: GPL-2.0
/*
 * Who uses each shadow id, from the probes' users map (call sites of the
 * shadow API, with the size and constructor of each allocation), named by
 * module with the symbols of when each call site was first seen; and what
 * became of each module: a patch still enabled, disabled, replaced by a
 * cumulative patch, unloaded. model/shadow_owners.c judges from that.
 */
#include "live/shadow_probe.h"
#include "live/kallsyms.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klptop/shadow.h"
#include "shadow.skel.h"

_Static_assert(sizeof(struct klpt_shadow_user_key) == 32, "klpt_shadow_user_key layout");
_Static_assert(sizeof(struct klpt_shadow_user) == 32, "klpt_shadow_user layout");

/* ---- what became of the patches ---------------------------------------- */

static struct patch_seen *seen_find(struct shadow_probe *sp, const char *name)
{
	for (size_t i = 0; i < sp->nseen; i++)
		if (!strcmp(sp->seen[i].name, name))
			return &sp->seen[i];
	return NULL;
}

/* The newest patch enabled now that came after p, and may replace others
 * (sysfs replace 1, or not told: before 6.11). */
static const char *successor_of(const struct shadow_probe *sp, const struct snapshot *s,
				const struct patch_seen *p)
{
	const struct patch_seen *best = NULL;

	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];
		const struct patch_seen *q = NULL;

		if (!pi->enabled || !pi->replace || !strcmp(pi->name, p->name))
			continue;
		for (size_t j = 0; j < sp->nseen; j++)
			if (!strcmp(sp->seen[j].name, pi->name))
				q = &sp->seen[j];
		if (q && q->first_ns > p->first_ns && (!best || q->first_ns > best->first_ns))
			best = q;
	}
	return best ? best->name : NULL;
}

/* Follow the patch list from sample to sample: a patch seen in its own
 * disable transition (enabled 0, transition 1) was disabled; one gone
 * while a newer patch came was replaced by it. (A cumulative patch sets
 * the patches it replaces to enabled 0 when its own transition ends, with
 * no transition of theirs.) */
void shadow_probe__follow_patches(struct shadow_probe *sp, const struct snapshot *s)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];
		struct patch_seen *p = seen_find(sp, pi->name);

		if (!p) {
			grow_array((void **)&sp->seen, &sp->capseen, sp->nseen, sizeof(*p));
			p = &sp->seen[sp->nseen++];
			memset(p, 0, sizeof(*p));
			p->name = xstrdup(pi->name);
			p->first_ns = now;
		}
		p->gone = 0;
		p->disabling |= !pi->enabled && pi->transition;
	}
	for (size_t i = 0; i < sp->nseen; i++) {
		struct patch_seen *p = &sp->seen[i];
		const char *by;
		int listed = 0;

		for (size_t j = 0; j < s->npatches; j++)
			listed |= !strcmp(s->patches[j].name, p->name);
		if (listed || p->gone)
			continue;
		p->gone = 1;
		by = p->disabling ? NULL : successor_of(sp, s, p);
		free(p->successor);
		p->successor = by ? xstrdup(by) : NULL;
	}
}

void shadow_probe__free_patches(struct shadow_probe *sp)
{
	for (size_t i = 0; i < sp->nseen; i++) {
		free(sp->seen[i].name);
		free(sp->seen[i].successor);
	}
	free(sp->seen);
}

static int real_module(const char *m)
{
	return m && strcmp(m, "?") && strcmp(m, "vmlinux");
}

/* A patch enabled now that replaces every other (sysfs replace 1). */
static const char *replacing_patch(const struct snapshot *s, const char *not)
{
	for (size_t i = 0; i < s->npatches; i++)
		if (s->patches[i].enabled && s->patches[i].replace == 1 &&
		    strcmp(s->patches[i].name, not))
			return s->patches[i].name;
	return NULL;
}

enum shadow_patch_state shadow_probe__patch_state(struct shadow_probe *sp,
						  const struct snapshot *s, const char *module,
						  const char **successor)
{
	const struct patch_seen *p;
	int livepatch, loaded;

	*successor = NULL;
	if (!real_module(module))
		return SHADOW_PATCH_NONE;
	for (size_t i = 0; i < s->npatches; i++) {
		if (strcmp(s->patches[i].name, module))
			continue;
		if (s->patches[i].enabled)
			return SHADOW_PATCH_ENABLED;
		/* Not enabled, no transition of its own: replaced, going away. */
		return s->patches[i].transition ? SHADOW_PATCH_DISABLING : SHADOW_PATCH_DISABLED;
	}
	loaded = ksymtab__module_loaded(sp->syms, module, &livepatch);
	if (loaded < 0)
		return SHADOW_PATCH_NONE;       /* never seen: a captured tree, no module list */
	if (!loaded)
		return SHADOW_PATCH_UNLOADED;
	if (!livepatch)
		return SHADOW_PATCH_MODULE;
	p = seen_find(sp, module);
	if (p && p->successor)
		*successor = p->successor;
	else if (!p)
		*successor = replacing_patch(s, module);  /* gone before klptop started */
	return *successor ? SHADOW_PATCH_REPLACED : SHADOW_PATCH_DISABLED;
}

/* ---- who calls the shadow API ---------------------------------------------- */

static struct shadow_user *user_get(struct shadow_snapshot *ss, uint64_t id, const char *module)
{
	struct shadow_user *u;

	for (size_t i = 0; i < ss->nusers; i++)
		if (ss->users[i].id == id && !strcmp(ss->users[i].module, module))
			return &ss->users[i];
	ss->users = xrealloc(ss->users, (ss->nusers + 1) * sizeof(*ss->users));
	u = &ss->users[ss->nusers++];
	memset(u, 0, sizeof(*u));
	u->id = id;
	u->module = xstrdup(module);
	return u;
}

/* The module of a call site, as it was when first seen. */
static const char *caller_module(struct shadow_probe *sp, uint64_t caller, uint64_t when)
{
	const struct ksym *s = ksymtab__find_addr(sp->syms, caller, when, NULL);

	if (!s)
		return "?";
	return s->module ? s->module : "vmlinux";
}

static void add_shape(struct shadow_probe *sp, struct shadow_user *u,
		      const struct klpt_shadow_users_dump *d)
{
	const struct ksym *c = d->key.ctor ?
		ksymtab__find_addr(sp->syms, d->key.ctor, d->val.first_ns, NULL) : NULL;
	char name[96];
	size_t i;

	for (i = 0; i < u->nsizes && u->sizes[i] != d->key.size; i++)
		;
	if (i == u->nsizes && u->nsizes < SHADOW_USER_SHAPES)
		u->sizes[u->nsizes++] = d->key.size;
	if (!d->key.ctor)
		snprintf(name, sizeof(name), "none");
	else if (c)
		snprintf(name, sizeof(name), "%s", c->name);
	else
		snprintf(name, sizeof(name), "0x%llx", (unsigned long long)d->key.ctor);
	for (i = 0; i < u->nctors && strcmp(u->ctors[i], name); i++)
		;
	if (i == u->nctors && u->nctors < SHADOW_USER_SHAPES)
		u->ctors[u->nctors++] = xstrdup(name);
}

static int cmp_user(const void *a, const void *b)
{
	const struct shadow_user *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->module, y->module);
}

/* ss->users from the users map and the live groups, each with what became
 * of its module, in (id, module) order; then every id's ownership. */
void shadow_probe__fill_users(struct shadow_probe *sp, const struct snapshot *s,
			      struct shadow_snapshot *ss)
{
	size_t n;
	struct klpt_shadow_users_dump *d = shadow_probe__dump(sp->users_iter, sp->skel->maps.users, &n);

	for (size_t i = 0; i < n; i++) {
		struct shadow_user *u = user_get(ss, d[i].key.id,
						 caller_module(sp, d[i].key.caller, d[i].val.first_ns));

		u->allocs += d[i].val.allocs;
		u->gets += d[i].val.gets;
		u->frees += d[i].val.frees;
		if (d[i].val.allocs)
			add_shape(sp, u, &d[i]);
	}
	free(d);
	for (size_t i = 0; i < ss->ngroups; i++)
		user_get(ss, ss->groups[i].id, ss->groups[i].module)->live += ss->groups[i].live;
	if (ss->nusers)
		qsort(ss->users, ss->nusers, sizeof(*ss->users), cmp_user);
	for (size_t i = 0; i < ss->nusers; i++) {
		const char *by;

		ss->users[i].patch = shadow_probe__patch_state(sp, s, ss->users[i].module, &by);
		ss->users[i].successor = by ? xstrdup(by) : NULL;
	}
	shadow_snapshot__judge_owners(ss);
}
