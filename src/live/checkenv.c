// SPDX-License-Identifier: GPL-2.0
/* The live kernel as what klptop check judges against (checkenv.h). */
#include "live/checkenv.h"
#include "live/funcs.h"
#include "live/hookscan.h"
#include "live/shadow.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>

static char *read_first(const char *a, const char *b)
{
	char *t = read_all(a, NULL);

	return t ? t : (b ? read_all(b, NULL) : NULL);
}

/* Which function each loaded patch's version of a target is (the BPF walk
 * of the kernel's klp lists; no counters attached): for hooks on them. */
static void walk_patches(struct snapshot *s, const struct ksyms *ks, int tree)
{
	struct func_probe *fp;

	if (!s->npatches || !ks || tree)
		return;
	fp = func_probe__open(ks, &s->probes);
	func_probe__walk(fp, s);
	func_probe__close(fp);
}

/* Shadows alive per id (the shadow probes' start-up scan), when the module
 * uses any shadow id. */
static void read_live_ids(const struct check_report *r, struct check_env *env,
			  const struct snapshot *loaded, int tree)
{
	struct shadow_opts so = { .no_leaks = 1 };
	struct check_live_id *ids = NULL;
	struct shadow_probe *sp;
	struct snapshot s;
	size_t n = 0;

	if (!r->nshadow_ids)
		return;
	if (tree) {
		check_env__set_live_ids(env, NULL, 0, "a --root tree has no live shadows");
		return;
	}
	snapshot__init(&s);
	sp = shadow_probe__open(&so, &s.probes, check_env__ksyms(env));
	if (!sp) {
		check_env__set_live_ids(env, NULL, 0, s.probes.why_not ? s.probes.why_not :
					"the shadow probes did not load");
		snapshot__free(&s);
		return;
	}
	s.patches = loaded->patches; /* borrowed: patch_gone reads them */
	s.npatches = loaded->npatches;
	shadow_probe__fill(sp, &s);
	s.patches = NULL;
	s.npatches = 0;
	if (s.shadows && s.shadows->scanned) {
		ids = xcalloc(s.shadows->nids + 1, sizeof(*ids));
		for (size_t i = 0; i < s.shadows->nids; i++)
			ids[n++] = (struct check_live_id){ s.shadows->ids[i].id,
							   s.shadows->ids[i].live };
		check_env__set_live_ids(env, ids, n, NULL);
	} else {
		check_env__set_live_ids(env, NULL, 0, s.shadows && s.shadows->scan_error ?
					s.shadows->scan_error : "klp_shadow_hash was not scanned");
	}
	free(ids);
	shadow_probe__close(sp);
	snapshot__free(&s);
}

struct check_env *checkenv__read(const struct checkenv_src *src, const struct check_report *r,
				 struct snapshot *s)
{
	const char *sysfs = src->paths->sysfs;
	char tf[4096], tf2[4096], mods[4096];
	struct check_env *env;

	snprintf(tf, sizeof(tf), "%s/kernel/tracing/available_filter_functions", sysfs);
	snprintf(tf2, sizeof(tf2), "%s/kernel/debug/tracing/available_filter_functions", sysfs);
	snprintf(mods, sizeof(mods), "%s/modules", src->paths->procfs);
	env = check_env__new(read_all(src->kallsyms, NULL), read_first(tf, tf2),
			     read_all(mods, NULL));
	livepatch__read_kernel(&s->kernel, src->paths);
	if (!s->kernel.livepatch)
		return env;
	check_env__set_hooks(env, hookscan__read(src->paths),
			     src->tree ? -1 : hookscan__trampolines_share_ipmodify());
	if (livepatch__read_patches(s, src->paths) == 0)
		walk_patches(s, check_env__ksyms(env), src->tree);
	read_live_ids(r, env, s, src->tree);
	return env;
}
