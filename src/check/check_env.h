/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the preflight: what the kernel offers, shared by the judgements in
 * check.c (targets), conflicts.c (other hooks) and shadowids.c (shadow
 * ids). Users outside src/check see struct check_env as opaque. */
#ifndef KLPTOP_CHECK_ENV_H
#define KLPTOP_CHECK_ENV_H

#include "check/check.h"
#include "check/hooks.h"
#include "model/model.h"

struct name_mod {
	const char *name;
	const char *module;  /* NULL: vmlinux */
};

struct check_env {
	struct ksyms *ks;
	char *filter_text;
	struct name_mod *filter;  /* sorted by name, module */
	size_t nfilter;
	int have_filter;
	char *modules_text;
	const char **modules;
	size_t nmodules;
	int have_modules;
	/* other hooks (conflicts.c); NULL when not read */
	struct hook_set *hooks;
	int share_ipmodify;       /* BPF trampolines coexist with IPMODIFY users: 1, 0, -1 unknown */
	/* the live patches loaded now (sysfs, plus new_addr from BPF when walked) */
	struct patch_info *patches;
	size_t npatches;
	int have_patches;
	/* shadow ids alive on the host (shadowids.c) */
	struct check_live_id *live_ids;
	size_t nlive_ids;
	char *live_ids_why_not;   /* NULL: read */
};

struct check_finding *check__target_add(struct check_target *t, enum check_sev sev,
					const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 1 loaded (or vmlinux), 0 not, -1 unknown (/proc/modules unread). */
int check_env__module_loaded(const struct check_env *env, const char *module);
/* The judgements after the targets' own. */
void conflicts__judge(struct check_report *r, const struct check_env *env);
void shadowids__judge(struct check_report *r, const struct check_env *env);
/* The module's constant shadow ids into r (from its shadow calls). */
struct lp_patch;
void shadowids__collect(struct check_report *r, const struct lp_patch *p);
void shadowids__free(struct check_report *r);
json_object *shadowids__to_json(const struct check_report *r);
void shadowids__print_text(const struct check_report *r, FILE *out);

#endif
