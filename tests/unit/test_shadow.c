// SPDX-License-Identifier: GPL-2.0
/* Shadow accounting: the least-squares growth slope and the de-duplication
 * of leak reports, plus the "shadows" JSON keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "model/model.h"
#include "render/output.h"
#include "live/shadow.h"
#include "lib/util.h"
#include "klptop/shadow.h"

static void slope_of_a_line(void **state)
{
	double t[] = { 0, 1, 2, 3, 4 }, y[] = { 10, 12, 14, 16, 18 };

	assert_true(fabs(shadow__slope(t, y, 5) - 2.0) < 1e-9);
}

/* Noise around a trend: the fit follows the trend; two samples would not. */
static void slope_ignores_noise(void **state)
{
	double t[10], y[10];

	for (int i = 0; i < 10; i++) {
		t[i] = i * 0.5;
		y[i] = 100 + 3 * t[i] + (i % 2 ? 4 : -4);
	}
	assert_true(fabs(shadow__slope(t, y, 10) - 3.0) < 1.0);
	/* The last two points alone say 3 - 16 = -13/0.5 ... a different story. */
	assert_true(fabs((y[9] - y[8]) / (t[9] - t[8]) - 3.0) > 10);
}

static void slope_degenerate(void **state)
{
	double t[] = { 5, 5, 5 }, y[] = { 1, 2, 3 };

	assert_true(shadow__slope(t, y, 0) == 0);
	assert_true(shadow__slope(t, y, 1) == 0);
	assert_true(shadow__slope(t, y, 3) == 0); /* all at one time */
}

static void slope_flat_and_falling(void **state)
{
	double t[] = { 0, 1, 2, 3 }, flat[] = { 7, 7, 7, 7 }, down[] = { 30, 20, 10, 0 };

	assert_true(fabs(shadow__slope(t, flat, 4)) < 1e-12);
	assert_true(fabs(shadow__slope(t, down, 4) + 10.0) < 1e-9);
}

static void dedup_a_million(void **state)
{
	struct leak_table t = { 0 };
	struct leak_entry *e = NULL;

	for (int i = 0; i < 1000000; i++)
		e = leak_table__add(&t, SHADOW_LEAK_ORPHAN, 0x6b6c7001, 3, 7, NULL, (uint64_t)i);
	assert_int_equal(t.n, 1);
	assert_int_equal(e->count, 1000000);
	assert_int_equal(e->first_ns, 0);
	assert_int_equal(e->last_ns, 999999);
	leak_table__free(&t);
}

static void dedup_keys_apart(void **state)
{
	struct leak_table t = { 0 };

	/* kind, id, alloc stack and free stack each make a new line */
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, NULL, 0);
	leak_table__add(&t, SHADOW_LEAK_STALE, 1, 3, 7, NULL, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 2, 3, 7, NULL, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 4, 7, NULL, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 8, NULL, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, -1, NULL, 0);
	assert_int_equal(t.n, 6);
	/* many distinct keys survive rehashing */
	for (int i = 0; i < 5000; i++)
		leak_table__add(&t, SHADOW_LEAK_ORPHAN, 9, i, i % 3, NULL, 1);
	for (int i = 0; i < 5000; i++)
		leak_table__add(&t, SHADOW_LEAK_ORPHAN, 9, i, i % 3, NULL, 2);
	assert_int_equal(t.n, 5006);
	for (size_t i = 6; i < t.n; i++)
		assert_int_equal(t.v[i].count, 2);
	leak_table__free(&t);
}

/* One free stack that frees owners of two caches, or through kfree_rcu():
 * each way is its own line, so a line's cache and path are true for all of
 * its count (the lab's bulk free helper does exactly this). */
static void dedup_by_how(void **state)
{
	struct leak_table t = { 0 };
	struct leak_how kmalloc_bulk = { .free_via = KLPT_SH_FREE_BULK };
	struct leak_how cache_bulk = { .cache = "klpt_obj", .free_via = KLPT_SH_FREE_BULK };
	struct leak_how rcu_bulk = { .free_via = KLPT_SH_FREE_BULK, .kfree_rcu = 1 };
	struct leak_how cache_bulk2 = cache_bulk;

	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, &kmalloc_bulk, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, &cache_bulk, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, &rcu_bulk, 0);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, &cache_bulk2, 1);
	leak_table__add(&t, SHADOW_LEAK_ORPHAN, 1, 3, 7, NULL, 1);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.v[1].count, 2);
	assert_string_equal(t.v[1].how.cache, "klpt_obj");
	assert_int_equal(t.v[2].how.kfree_rcu, 1);
	leak_table__free(&t);
}

/* ---- who owns an id ---------------------------------------------------- */

static struct shadow_user *user(struct shadow_snapshot *ss, const char *module,
				enum shadow_patch_state patch)
{
	struct shadow_user *u;

	ss->users = xrealloc(ss->users, (ss->nusers + 1) * sizeof(*ss->users));
	u = &ss->users[ss->nusers++];
	memset(u, 0, sizeof(*u));
	u->id = 0x6b6c7001;
	u->module = xstrdup(module);
	u->patch = patch;
	return u;
}

static void shape(struct shadow_user *u, uint64_t size, const char *ctor)
{
	u->sizes[u->nsizes++] = size;
	u->ctors[u->nctors++] = xstrdup(ctor);
}

static struct shadow_snapshot *one_id(int64_t live)
{
	struct shadow_snapshot *ss = xcalloc(1, sizeof(*ss));

	ss->ids = xcalloc(1, sizeof(*ss->ids));
	ss->nids = 1;
	ss->ids[0].id = 0x6b6c7001;
	ss->ids[0].live = live;
	return ss;
}

static void done(struct shadow_snapshot *ss)
{
	shadow_snapshot__free(ss);
	free(ss);
}

/* klpt_lp_shadow_leak's shadows outlive it: a cumulative patch that never
 * uses the id replaced it. */
static void owner_abandoned_after_replace(void **state)
{
	struct shadow_snapshot *ss = one_id(31);
	struct shadow_user *u = user(ss, "klpt_lp_shadow_leak", SHADOW_PATCH_REPLACED);

	u->successor = xstrdup("klpt_lp_replace");
	u->allocs = 40;
	u->live = 31;
	shape(u, 64, "none");
	user(ss, "klpt_lp_replace", SHADOW_PATCH_ENABLED);
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_ABANDONED);
	assert_string_equal(ss->ids[0].ownership_text,
			    "31 shadows of klpt_lp_shadow_leak, which was replaced by klpt_lp_replace; "
			    "no enabled patch uses the id: nothing will free them");
	done(ss);
}

static void owner_adopted_by_the_replacement(void **state)
{
	struct shadow_snapshot *ss = one_id(31);
	struct shadow_user *u = user(ss, "klpt_lp_shadow_leak", SHADOW_PATCH_REPLACED), *fix;

	u->successor = xstrdup("klpt_lp_shadow_fix");
	u->allocs = 40;
	u->live = 31;
	shape(u, 64, "none");
	fix = user(ss, "klpt_lp_shadow_fix", SHADOW_PATCH_ENABLED);
	fix->frees = 9;
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_ADOPTED);
	assert_non_null(strstr(ss->ids[0].ownership_text, "klpt_lp_shadow_fix uses the id"));
	/* Disabled with nothing alive: nothing to own. */
	ss->ids[0].live = ss->users[0].live = 0;
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_OK);
	assert_null(ss->ids[0].ownership_text);
	done(ss);
}

static void owner_conflict_on_size_or_ctor(void **state)
{
	struct shadow_snapshot *ss = one_id(20);
	struct shadow_user *a = user(ss, "klpt_lp_shadow_leak", SHADOW_PATCH_ENABLED), *b;

	a->allocs = 20;
	a->live = 20;
	shape(a, 64, "none");
	b = user(ss, "klpt_lp_shadow_size", SHADOW_PATCH_ENABLED);
	a = &ss->users[0];
	b->allocs = 1;
	shape(b, 128, "size_ctor");
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_CONFLICT);
	assert_string_equal(ss->ids[0].ownership_text,
			    "klpt_lp_shadow_leak allocates it with 64 bytes, klpt_lp_shadow_size with "
			    "128 bytes, constructor size_ctor: a get by one returns the other's shadow "
			    "(ids must be unique across patches)");
	/* Same size, another constructor: still a conflict. */
	b->sizes[0] = 64;
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_CONFLICT);
	/* The same constructor by name (a cumulative rebuild): agreement. */
	free(b->ctors[0]);
	b->ctors[0] = xstrdup("none");
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_OK);
	/* A maker unloaded with nothing alive is out of play. */
	free(b->ctors[0]);
	b->ctors[0] = xstrdup("size_ctor");
	b->patch = SHADOW_PATCH_UNLOADED;
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_OK);
	done(ss);
}

static void owner_unknown_before_klptop(void **state)
{
	struct shadow_snapshot *ss = one_id(63);

	user(ss, "?", SHADOW_PATCH_NONE)->live = 63;
	shadow_snapshot__judge_owners(ss);
	assert_int_equal(ss->ids[0].ownership, SHADOW_OWN_UNKNOWN);
	assert_string_equal(shadow_ownership__name(ss->ids[0].ownership), "unknown");
	assert_int_equal(shadow_ownership__from_name("abandoned"), SHADOW_OWN_ABANDONED);
	done(ss);
}

static void json_keys(void **state)
{
	struct snapshot s;
	struct shadow_snapshot *ss;
	json_object *o, *sh, *x, *y;

	snapshot__init(&s);
	ss = s.shadows = xcalloc(1, sizeof(*ss));
	ss->attached = ss->leak_detection = 1;
	ss->live = 5;
	ss->orphans = 2;
	ss->ids = xcalloc(1, sizeof(*ss->ids));
	ss->nids = 1;
	ss->ids[0].id = 0x6b6c7001;
	ss->ids[0].live = 5;
	ss->leaks = xcalloc(1, sizeof(*ss->leaks));
	ss->nleaks = 1;
	ss->leaks[0].id = 0x6b6c7001;
	ss->leaks[0].count = 2;
	ss->leaks[0].module = xstrdup("klpt_lp_shadow_leak");
	ss->leaks[0].cache = xstrdup("klpt_obj");
	ss->leaks[0].free_via = "kmem_cache_free_bulk";
	ss->leaks[0].kfree_rcu = 1;
	ss->leaks[0].rcu_delay_ns = 30000000;
	ss->free_hooks = xcalloc(1, sizeof(*ss->free_hooks));
	ss->free_hooks->kfree = 1;
	ss->free_hooks->owners = ss->free_hooks->owners_kfree = 5;
	ss->ids[0].ownership = SHADOW_OWN_ABANDONED;
	ss->ids[0].ownership_text = xstrdup("5 shadows of klpt_lp_shadow_leak, which was disabled");
	user(ss, "klpt_lp_shadow_leak", SHADOW_PATCH_DISABLED)->live = 5;
	ss->missed = 3;
	ss->missed_by = xcalloc(1, sizeof(*ss->missed_by));
	ss->nmissed_by = 1;
	ss->missed_by[0].program = xstrdup("cache_free_hook");
	ss->missed_by[0].recursion = 3;
	o = snapshot__to_json(&s);
	assert_true(json_object_object_get_ex(o, "shadows", &sh));
	for (const char *const *k = (const char *const[]){ "live", "bytes", "orphans", "stale",
		"duplicates", "events_dropped", "preexisting", "ids", "groups", "leaks",
		"leak_detection", "missed", "missed_counted", "missed_by", "rcu_queued",
		"bulk_truncated", "free_hooks", "users", NULL }; *k; k++)
		assert_true(json_object_object_get_ex(sh, *k, NULL));
	json_object_object_get_ex(sh, "free_hooks", &x);
	for (const char *const *k = (const char *const[]){ "kfree", "kmem_cache_free", "owners",
		"owners_kfree", "owners_cache", "arms", "arm_latency_max_ns", "unwatched",
		"lookups", "error", NULL }; *k; k++)
		assert_true(json_object_object_get_ex(x, *k, NULL));
	assert_true(json_object_object_get_ex(x, "kfree", &y) && json_object_get_boolean(y));
	json_object_object_get_ex(sh, "users", &x);
	x = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(x, "patch", &y));
	assert_string_equal(json_object_get_string(y), "disabled");
	for (const char *const *k = (const char *const[]){ "id", "module", "replaced_by", "allocs",
		"gets", "frees", "live", "sizes", "ctors", NULL }; *k; k++)
		assert_true(json_object_object_get_ex(x, *k, NULL));
	json_object_object_get_ex(sh, "ids", &x);
	x = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(x, "ownership", &y));
	assert_string_equal(json_object_get_string(y), "abandoned");
	assert_true(json_object_object_get_ex(x, "ownership_text", &y));
	json_object_object_get_ex(sh, "ids", &x);
	x = json_object_array_get_idx(x, 0);
	json_object_object_get_ex(x, "id", &x);
	assert_string_equal(json_object_get_string(x), "0x6b6c7001");
	json_object_object_get_ex(sh, "leaks", &x);
	x = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(x, "kind", NULL));
	assert_true(json_object_object_get_ex(x, "kfree_rcu", &y) && json_object_get_boolean(y));
	assert_true(json_object_object_get_ex(x, "rcu_delay_ns", &y) &&
		    json_object_get_int64(y) == 30000000);
	assert_true(json_object_object_get_ex(x, "free_via", &y));
	assert_string_equal(json_object_get_string(y), "kmem_cache_free_bulk");
	json_object_object_get_ex(x, "cache", &x);
	assert_string_equal(json_object_get_string(x), "klpt_obj");
	json_object_object_get_ex(sh, "missed_by", &x);
	x = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(x, "program", &y));
	assert_string_equal(json_object_get_string(y), "cache_free_hook");
	assert_true(json_object_object_get_ex(x, "recursion", &y) && json_object_get_int64(y) == 3);
	json_object_put(o);
	snapshot__free(&s);
	assert_null(s.shadows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owner_abandoned_after_replace),
		cmocka_unit_test(owner_adopted_by_the_replacement),
		cmocka_unit_test(owner_conflict_on_size_or_ctor),
		cmocka_unit_test(owner_unknown_before_klptop),
		cmocka_unit_test(slope_of_a_line),
		cmocka_unit_test(slope_ignores_noise),
		cmocka_unit_test(slope_degenerate),
		cmocka_unit_test(slope_flat_and_falling),
		cmocka_unit_test(dedup_a_million),
		cmocka_unit_test(dedup_keys_apart),
		cmocka_unit_test(dedup_by_how),
		cmocka_unit_test(json_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
