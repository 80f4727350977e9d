// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow ids a patch module uses, against those alive on the host.
 * Shadow variables are keyed by (object, id) in one hash table shared by
 * every patch (kernel/livepatch/shadow.c): an id a new patch uses that
 * already has live shadows belongs to another patch, or to an earlier
 * version of this one. klp_shadow_alloc() then fails for an object that
 * has one, and klp_shadow_get() hands this patch data it did not make;
 * for a cumulative replace taking over its predecessor's shadows that is
 * the point, and the data layout must match. The ids come from the
 * module's code (modcode.c); the live counts from the shadow probes' scan
 * of klp_shadow_hash (the command passes them in).
 */
#include "check/check_env.h"
#include "check/patchelf.h"
#include "lib/util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void add_unique(char ***arr, size_t *n, const char *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*arr)[i], s))
			return;
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = xstrdup(s);
}

static struct check_shadow_id *id_entry(struct check_report *r, uint64_t id)
{
	struct check_shadow_id *e;

	for (size_t i = 0; i < r->nshadow_ids; i++)
		if (r->shadow_ids[i].id == id)
			return &r->shadow_ids[i];
	r->shadow_ids = xrealloc(r->shadow_ids, (r->nshadow_ids + 1) * sizeof(*r->shadow_ids));
	e = &r->shadow_ids[r->nshadow_ids++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->live = -1;
	return e;
}

void shadowids__collect(struct check_report *r, const struct lp_patch *p)
{
	for (size_t i = 0; i < p->nshadow_calls; i++) {
		const struct lp_shadow_call *c = &p->shadow_calls[i];
		struct check_shadow_id *e;

		if (!c->id_known) {
			r->shadow_calls_not_constant++;
			continue;
		}
		e = id_entry(r, c->id);
		add_unique(&e->calls, &e->ncalls, c->call);
		add_unique(&e->functions, &e->nfunctions, c->caller);
	}
}

static int64_t live_count(const struct check_env *env, uint64_t id)
{
	for (size_t i = 0; i < env->nlive_ids; i++)
		if (env->live_ids[i].id == id)
			return env->live_ids[i].live;
	return 0;
}

/* "0x6b6c7001, 0x6b6c7002" into buf */
static void id_list(const struct check_report *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nshadow_ids && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s0x%" PRIx64, i ? ", " : "",
					 r->shadow_ids[i].id);
}

void shadowids__judge(struct check_report *r, const struct check_env *env)
{
	char ids[256];

	for (size_t i = 0; i < r->nshadow_ids; i++) {
		struct check_shadow_id *e = &r->shadow_ids[i];

		if (env->live_ids_why_not)
			continue;
		e->live = live_count(env, e->id);
		if (e->live <= 0)
			continue;
		if (r->replace)
			check_report__add(r, CHECK_INFO, "shadow_id_in_use",
					  "shadow id 0x%" PRIx64 " has %" PRId64 " live shadows on "
					  "this host, made by another patch or an earlier version of "
					  "this one: this cumulative patch takes them over (its "
					  "klp_shadow_get() returns them), so their data layout must "
					  "be the one it expects", e->id, e->live);
		else
			check_report__add(r, CHECK_WARNING, "shadow_id_in_use",
					  "shadow id 0x%" PRIx64 " has %" PRId64 " live shadows on "
					  "this host, made by another patch or an earlier version of "
					  "this one: klp_shadow_alloc() fails for an object that has "
					  "one, and klp_shadow_get() returns data this patch did not "
					  "make; ids must be unique unless a patch means to take "
					  "over another's shadows", e->id, e->live);
	}
	if (r->nshadow_ids && env->live_ids_why_not) {
		id_list(r, ids, sizeof(ids));
		check_report__add(r, CHECK_INFO, "shadow_ids_unchecked",
				  "the module uses shadow ids %s; the ids alive on this host were "
				  "not read (%s), so they were not compared", ids,
				  env->live_ids_why_not);
	}
	if (r->shadow_calls_not_constant)
		check_report__add(r, CHECK_INFO, "shadow_id_not_constant",
				  "%u call%s to klp_shadow_* pass%s an id that is not a constant set "
				  "right before the call: which ids %s cannot be told from the "
				  "module", r->shadow_calls_not_constant,
				  r->shadow_calls_not_constant == 1 ? "" : "s",
				  r->shadow_calls_not_constant == 1 ? "es" : "",
				  r->shadow_calls_not_constant == 1 ? "it uses" : "they use");
}

static json_object *strings_json(char **a, size_t n)
{
	json_object *o = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(o, json_object_new_string(a[i]));
	return o;
}

json_object *shadowids__to_json(const struct check_report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < r->nshadow_ids; i++) {
		const struct check_shadow_id *e = &r->shadow_ids[i];
		json_object *o = json_object_new_object();
		char id[32];

		snprintf(id, sizeof(id), "0x%" PRIx64, e->id);
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "calls", strings_json(e->calls, e->ncalls));
		json_object_object_add(o, "functions", strings_json(e->functions, e->nfunctions));
		json_object_object_add(o, "live", e->live < 0 ? NULL : json_object_new_int64(e->live));
		json_object_array_add(a, o);
	}
	return a;
}

void shadowids__print_text(const struct check_report *r, FILE *out)
{
	for (size_t i = 0; i < r->nshadow_ids; i++) {
		const struct check_shadow_id *e = &r->shadow_ids[i];

		fprintf(out, "shadow id 0x%" PRIx64 ":", e->id);
		for (size_t j = 0; j < e->ncalls; j++)
			fprintf(out, "%s%s", j ? ", " : " ", e->calls[j]);
		if (e->live >= 0)
			fprintf(out, "; %" PRId64 " alive on this host", e->live);
		fputc('\n', out);
	}
}

void shadowids__free(struct check_report *r)
{
	for (size_t i = 0; i < r->nshadow_ids; i++) {
		for (size_t j = 0; j < r->shadow_ids[i].ncalls; j++)
			free(r->shadow_ids[i].calls[j]);
		for (size_t j = 0; j < r->shadow_ids[i].nfunctions; j++)
			free(r->shadow_ids[i].functions[j]);
		free(r->shadow_ids[i].calls);
		free(r->shadow_ids[i].functions);
	}
	free(r->shadow_ids);
	r->shadow_ids = NULL;
	r->nshadow_ids = 0;
}
