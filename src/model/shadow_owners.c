// SPDX-License-Identifier: GPL-2.0
/*
 * Who owns a shadow id (docs/shadow.md, "Who owns a shadow id"), from what
 * the probes saw each module do with it and what became of each module:
 *   conflict   two modules allocate it with different sizes or
 *              constructors: a get by one returns the other's shadow;
 *   abandoned  shadows live on whose maker is no longer an enabled patch
 *              (disabled, replaced, unloaded), and no enabled patch uses
 *              the id: nothing will ever free them;
 *   adopted    the same, but an enabled patch uses the id (allocates, gets
 *              or frees it): it can free them;
 *   ok         every maker with shadows alive is an enabled patch;
 *   unknown    only shadows from before klptop, whose maker is not known.
 */
#include "model/model.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *shadow_ownership__name(enum shadow_ownership o)
{
	static const char *const names[SHADOW_OWN_MAX] = {
		"unknown", "ok", "adopted", "abandoned", "conflict",
	};

	return o < SHADOW_OWN_MAX ? names[o] : "?";
}

enum shadow_ownership shadow_ownership__from_name(const char *name)
{
	for (int o = 0; name && o < SHADOW_OWN_MAX; o++)
		if (!strcmp(name, shadow_ownership__name((enum shadow_ownership)o)))
			return (enum shadow_ownership)o;
	return SHADOW_OWN_UNKNOWN;
}

const char *shadow_patch_state__name(enum shadow_patch_state p)
{
	static const char *const names[SHADOW_PATCH_MAX] = {
		NULL, "enabled", "disabling", "disabled", "replaced", "unloaded", "module",
	};

	return p < SHADOW_PATCH_MAX ? names[p] : NULL;
}

static int patch_gone(enum shadow_patch_state p)
{
	return p == SHADOW_PATCH_DISABLED || p == SHADOW_PATCH_REPLACED ||
	       p == SHADOW_PATCH_UNLOADED;
}

static int has_size(const struct shadow_user *u, uint64_t size)
{
	for (size_t i = 0; i < u->nsizes; i++)
		if (u->sizes[i] == size)
			return 1;
	return 0;
}

static int has_ctor(const struct shadow_user *u, const char *ctor)
{
	for (size_t i = 0; i < u->nctors; i++)
		if (!strcmp(u->ctors[i], ctor))
			return 1;
	return 0;
}

/* Two makers that disagree: a size or constructor of one the other never
 * used. Constructors compare by name: a cumulative patch rebuilt from the
 * same source has its own copy of the same function. */
static int shapes_differ(const struct shadow_user *a, const struct shadow_user *b)
{
	for (size_t i = 0; i < a->nsizes; i++)
		if (!has_size(b, a->sizes[i]))
			return 1;
	for (size_t i = 0; i < b->nsizes; i++)
		if (!has_size(a, b->sizes[i]))
			return 1;
	for (size_t i = 0; i < a->nctors; i++)
		if (!has_ctor(b, a->ctors[i]))
			return 1;
	for (size_t i = 0; i < b->nctors; i++)
		if (!has_ctor(a, b->ctors[i]))
			return 1;
	return 0;
}

static int known_module(const char *m)
{
	return m && strcmp(m, "?") && strcmp(m, "vmlinux");
}

/* A module that made shadows of the id: allocated some while klptop
 * watched, or has some alive. */
static int is_maker(const struct shadow_user *u)
{
	return known_module(u->module) && (u->allocs || u->live > 0);
}

/* Matters for a conflict: it can still get, or its shadows can be got. */
static int still_in_play(const struct shadow_user *u)
{
	return u->patch != SHADOW_PATCH_UNLOADED || u->live > 0;
}

static void shape_text(const struct shadow_user *u, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < u->nsizes && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%llu", i ? "/" : "",
				       (unsigned long long)u->sizes[i]);
	if (at < len)
		at += (size_t)snprintf(buf + at, len - at, " bytes");
	for (size_t i = 0, n = 0; i < u->nctors && at < len; i++)
		if (strcmp(u->ctors[i], "none"))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", n++ ? "/" : ", constructor ",
					       u->ctors[i]);
}

static char *conflict_text(const struct shadow_user *a, const struct shadow_user *b)
{
	char sa[160], sb[160], *t;

	shape_text(a, sa, sizeof(sa));
	shape_text(b, sb, sizeof(sb));
	if (asprintf(&t, "%s allocates it with %s, %s with %s: a get by one returns the "
		     "other's shadow (ids must be unique across patches)",
		     a->module, sa, b->module, sb) < 0)
		return NULL;
	return t;
}

static const char *gone_how(const struct shadow_user *u)
{
	switch (u->patch) {
	case SHADOW_PATCH_REPLACED: return "replaced";
	case SHADOW_PATCH_UNLOADED: return "unloaded";
	default: return "disabled";
	}
}

static char *gone_text(const struct shadow_user *maker, const struct shadow_user *adopter)
{
	char by[160] = "", *t;
	int rc;

	if (maker->patch == SHADOW_PATCH_REPLACED && maker->successor)
		snprintf(by, sizeof(by), " by %s", maker->successor);
	if (adopter)
		rc = asprintf(&t, "%lld shadows of %s, which was %s%s; %s uses the id "
			      "(%llu gets, %llu frees): it can free them",
			      (long long)maker->live, maker->module, gone_how(maker), by,
			      adopter->module, (unsigned long long)adopter->gets,
			      (unsigned long long)adopter->frees);
	else
		rc = asprintf(&t, "%lld shadows of %s, which was %s%s; no enabled patch uses the "
			      "id: nothing will free them", (long long)maker->live, maker->module,
			      gone_how(maker), by);
	return rc < 0 ? NULL : t;
}

/* A conflict between two makers still in play, or NULL text. */
static int judge_conflict(const struct shadow_snapshot *ss, struct shadow_id_info *d)
{
	for (size_t i = 0; i < ss->nusers; i++) {
		const struct shadow_user *u = &ss->users[i];

		if (u->id != d->id || !is_maker(u) || !still_in_play(u))
			continue;
		for (size_t j = i + 1; j < ss->nusers; j++) {
			const struct shadow_user *v = &ss->users[j];

			if (v->id == d->id && is_maker(v) && still_in_play(v) && shapes_differ(u, v)) {
				d->ownership = SHADOW_OWN_CONFLICT;
				d->ownership_text = conflict_text(u, v);
				return 1;
			}
		}
	}
	return 0;
}

static void judge_id(const struct shadow_snapshot *ss, struct shadow_id_info *d)
{
	const struct shadow_user *stranded = NULL, *adopter = NULL;
	int makers = 0;

	if (judge_conflict(ss, d))
		return;
	for (size_t i = 0; i < ss->nusers; i++) {
		const struct shadow_user *u = &ss->users[i];

		if (u->id != d->id)
			continue;
		makers += is_maker(u);
		/* A maker gone with shadows alive: the one with the most. */
		if (is_maker(u) && u->live > 0 && patch_gone(u->patch) &&
		    (!stranded || u->live > stranded->live))
			stranded = u;
		if (u->patch == SHADOW_PATCH_ENABLED && (u->allocs || u->gets || u->frees) && !adopter)
			adopter = u;
	}
	if (!makers)
		d->ownership = SHADOW_OWN_UNKNOWN;
	else if (!stranded)
		d->ownership = SHADOW_OWN_OK;
	else {
		d->ownership = adopter ? SHADOW_OWN_ADOPTED : SHADOW_OWN_ABANDONED;
		d->ownership_text = gone_text(stranded, adopter);
	}
}

void shadow_snapshot__judge_owners(struct shadow_snapshot *ss)
{
	for (size_t i = 0; i < ss->nids; i++) {
		free(ss->ids[i].ownership_text);
		ss->ids[i].ownership_text = NULL;
		judge_id(ss, &ss->ids[i]);
	}
}
