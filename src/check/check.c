// SPDX-License-Identifier: GPL-2.0
/*
 * klptop check: preflight of a live patch (docs/check.md). Every function the
 * patch replaces (and every .klp.sym relocation it needs) is looked up the
 * way kernel/livepatch/core.c does it (klp_find_object_symbol: count the
 * names in the object in kallsyms order, sympos 0 = must be unique), then
 * judged for what the kernel does not say: compiler clones that callers may
 * use instead, untraceable functions, sibling syscall entry points the patch
 * leaves on the old code (docs/incidents.md: "Compat syscall miss", "Inlined
 * or cloned target").
 */
#include "check/check.h"
#include "check/check_env.h"
#include "check/hooks.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "render/output.h"
#include "check/patchelf.h"
#include "lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OCC 64

static int cmp_name_mod(const void *a, const void *b)
{
	const struct name_mod *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (!x->module || !y->module)
		return (x->module != NULL) - (y->module != NULL);
	return strcmp(x->module, y->module);
}

/* available_filter_functions: "name" or "name [module]" per line (newer
 * kernels may add fields after a space; only the first two are used). */
static void parse_filter(struct check_env *env)
{
	size_t cap = 0;
	char *line, *next;

	for (line = env->filter_text; line && *line; line = next) {
		char *sp, *mod = NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sp = strchr(line, ' ');
		if (sp) {
			*sp = '\0';
			if (sp[1] == '[') {
				mod = sp + 2;
				sp = strchr(mod, ']');
				if (sp)
					*sp = '\0';
				else
					mod = NULL;
			}
		}
		if (!*line)
			continue;
		grow_array((void **)&env->filter, &cap, env->nfilter, sizeof(*env->filter));
		env->filter[env->nfilter++] = (struct name_mod){ line, mod };
	}
	if (env->nfilter)
		qsort(env->filter, env->nfilter, sizeof(*env->filter), cmp_name_mod);
}

/* /proc/modules: the first word of each line. */
static void parse_modules(struct check_env *env)
{
	size_t cap = 0;
	char *line, *next;

	for (line = env->modules_text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, " \t")] = '\0';
		if (!*line)
			continue;
		grow_array((void **)&env->modules, &cap, env->nmodules, sizeof(*env->modules));
		env->modules[env->nmodules++] = line;
	}
}

struct check_env *check_env__new(char *kallsyms, char *filter_functions, char *modules)
{
	struct check_env *env = xcalloc(1, sizeof(*env));

	env->share_ipmodify = -1;
	env->live_ids_why_not = xstrdup("not read");

	env->ks = kallsyms ? ksyms__parse(kallsyms) : NULL;
	env->filter_text = filter_functions;
	env->have_filter = filter_functions != NULL;
	parse_filter(env);
	env->modules_text = modules;
	env->have_modules = modules != NULL;
	parse_modules(env);
	return env;
}

void check_env__set_hooks(struct check_env *env, struct hook_set *hs, int share_ipmodify)
{
	if (env->hooks) {
		hooks__free(env->hooks);
		free(env->hooks);
	}
	env->hooks = hs;
	env->share_ipmodify = share_ipmodify;
}

void check_env__set_patches(struct check_env *env, struct patch_info *p, size_t n)
{
	for (size_t i = 0; i < env->npatches; i++)
		patch_info__free(&env->patches[i]);
	free(env->patches);
	env->patches = p;
	env->npatches = n;
	env->have_patches = 1;
}

void check_env__set_live_ids(struct check_env *env, const struct check_live_id *ids, size_t n,
			     const char *why_not)
{
	free(env->live_ids);
	free(env->live_ids_why_not);
	env->live_ids = n ? xcalloc(n, sizeof(*ids)) : NULL;
	if (n)
		memcpy(env->live_ids, ids, n * sizeof(*ids));
	env->nlive_ids = n;
	env->live_ids_why_not = why_not ? xstrdup(why_not) : NULL;
}

const struct ksyms *check_env__ksyms(const struct check_env *env)
{
	return env->ks;
}

void check_env__free(struct check_env *env)
{
	if (!env)
		return;
	check_env__set_hooks(env, NULL, -1);
	check_env__set_patches(env, NULL, 0);
	free(env->live_ids);
	free(env->live_ids_why_not);
	ksyms__free(env->ks);
	free(env->filter);
	free(env->filter_text);
	free(env->modules);
	free(env->modules_text);
	free(env);
}

static int env_traceable(const struct check_env *env, const char *name, const char *module)
{
	struct name_mod key = { name, module };

	if (!env->have_filter)
		return -1;
	return bsearch(&key, env->filter, env->nfilter, sizeof(key), cmp_name_mod) != NULL;
}

int check_env__module_loaded(const struct check_env *env, const char *module)
{
	if (!module)
		return 1;
	if (!env->have_modules)
		return -1;
	for (size_t i = 0; i < env->nmodules; i++)
		if (!strcmp(env->modules[i], module))
			return 1;
	return 0;
}

const char *check_sev__name(enum check_sev s)
{
	switch (s) {
	case CHECK_ERROR: return "error";
	case CHECK_WARNING: return "warning";
	default: return "info";
	}
}

/* ---- building the report ------------------------------------------------ */

static struct check_finding *add_finding(struct check_finding **arr, size_t *n,
					 enum check_sev sev, const char *code,
					 const char *fmt, va_list ap)
{
	struct check_finding *f;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(code);
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	f = &(*arr)[(*n)++];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->code = code;
	f->message = msg;
	return f;
}

void check_report__add(struct check_report *r, enum check_sev sev, const char *code,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_finding(&r->findings, &r->nfindings, sev, code, fmt, ap);
	va_end(ap);
}

struct check_finding *check__target_add(struct check_target *t, enum check_sev sev,
					const char *code, const char *fmt, ...)
{
	struct check_finding *f;
	va_list ap;

	va_start(ap, fmt);
	f = add_finding(&t->findings, &t->nfindings, sev, code, fmt, ap);
	va_end(ap);
	return f;
}

static struct check_sym *finding_sym(struct check_finding *f, const struct ksym *s,
				     const char *name, const struct check_env *env)
{
	struct check_sym *cs;

	f->syms = xrealloc(f->syms, (f->nsyms + 1) * sizeof(*f->syms));
	cs = &f->syms[f->nsyms++];
	memset(cs, 0, sizeof(*cs));
	cs->name = xstrdup(s ? s->name : name);
	cs->module = s && s->module ? xstrdup(s->module) : NULL;
	cs->addr = s ? s->addr : 0;
	cs->type = s ? s->type : '?';
	cs->traceable = env_traceable(env, cs->name, s ? s->module : NULL);
	return cs;
}

struct check_target *check_report__add_target(struct check_report *r, const char *object,
					      const char *name, unsigned long sympos, int klpsym)
{
	struct check_target *t;

	r->targets = xrealloc(r->targets, (r->ntargets + 1) * sizeof(*r->targets));
	t = &r->targets[r->ntargets++];
	memset(t, 0, sizeof(*t));
	t->object = object && strcmp(object, "vmlinux") ? xstrdup(object) : NULL;
	t->name = xstrdup(name);
	t->sympos = sympos;
	t->klpsym = klpsym;
	return t;
}

void check_report__from_patch(struct check_report *r, const char *file, const struct lp_patch *p)
{
	r->file = xstrdup(file);
	r->patch = p->module ? xstrdup(p->module) : NULL;
	r->format = lp_format__name(p->format);
	r->replace = p->replace;
	for (size_t i = 0; i < p->nobjs; i++) {
		for (size_t j = 0; j < p->objs[i].nfuncs; j++) {
			const struct lp_func *f = &p->objs[i].funcs[j];
			struct check_target *t = check_report__add_target(r, p->objs[i].name, f->name,
									   f->sympos, 0);

			t->new_name = f->new_name ? xstrdup(f->new_name) : NULL;
		}
	}
	for (size_t i = 0; i < p->nklpsyms; i++)
		check_report__add_target(r, p->klpsyms[i].object, p->klpsyms[i].name,
					 p->klpsyms[i].sympos, 1);
	shadowids__collect(r, p);
}

static const char *obj_name(const char *object)
{
	return object ? object : "vmlinux";
}

/* ---- the judgements -------------------------------------------------------- */

/* "X.isra.0", "X.constprop.1.isra.0", "X.part.0", "X.cold", "X.lto_priv.0":
 * the part after X is a chain of compiler suffixes. Sets *cold_only when
 * the only suffix is ".cold" (the out-of-line unlikely part of X itself). */
static int is_clone_suffix(const char *s, int *cold_only)
{
	static const char *const kinds[] = { "isra", "constprop", "part", "lto_priv", "cold",
					     "localalias", "str" };
	int n = 0, cold = 0;

	while (*s == '.') {
		size_t i, len = strcspn(s + 1, ".");
		int known = 0;

		for (i = 0; i < ARRAY_SIZE(kinds); i++)
			if (strlen(kinds[i]) == len && !strncmp(s + 1, kinds[i], len))
				known = 1;
		if (known) {
			cold += len == 4 && !strncmp(s + 1, "cold", 4);
		} else if (!(len && strspn(s + 1, "0123456789") == len)) {
			return 0; /* neither a kind nor its number: another name */
		}
		s += len + 1;
		n++;
	}
	*cold_only = n == 1 && cold;
	return *s == '\0' && n > 0;
}

static void judge_clones(struct check_target *t, const struct check_env *env, int found)
{
	const struct ksym *occ[MAX_OCC];
	struct check_finding *f = NULL, *fc = NULL;
	size_t len = strlen(t->name), n;
	char *prefix;

	if (asprintf(&prefix, "%s.", t->name) < 0)
		return;
	n = ksyms__find_prefix(env->ks, prefix, t->object, occ, MAX_OCC);
	free(prefix);
	for (size_t i = 0; i < n && i < MAX_OCC; i++) {
		int cold_only;

		if (!ksym_is_text(occ[i]) || !is_clone_suffix(occ[i]->name + len, &cold_only))
			continue;
		if (cold_only) {
			if (!fc && found)
				fc = check__target_add(t, CHECK_INFO, "cold_part",
						"%s has an out-of-line cold part; it is reached only "
						"from %s itself, so replacing %s covers it",
						t->name, t->name, t->name);
			if (fc)
				finding_sym(fc, occ[i], NULL, env);
			continue;
		}
		if (!f)
			f = found ? check__target_add(t, CHECK_WARNING, "clones",
					       "%s has compiler clones; callers that call a clone "
					       "keep running the old code, which a patch of %s does "
					       "not replace: patch the clones too, or check that "
					       "no caller uses them",
					       t->name, t->name)
				  : check__target_add(t, CHECK_INFO, "clones",
					       "only compiler clones of %s exist; a patch must name "
					       "the clone itself (and every clone callers use)",
					       t->name);
		finding_sym(f, occ[i], NULL, env);
	}
}

/* Syscall entry points and their layers (include/linux/syscalls.h and
 * arch/x86/include/asm/syscall_wrapper.h): the table entries call __se_*,
 * which calls __do_* (either may be inlined away). Native and compat calls
 * of one syscall reach different code unless both end in a shared helper. */
struct sys_layer {
	const char *prefix;
	int family;   /* 0 native, 1 compat, 2 shared helper */
	int depth;    /* 0 table entry, 1 __se, 2 __do, 3 helper */
};

static const struct sys_layer sys_layers[] = {
	{ "__x64_sys_", 0, 0 }, { "__ia32_sys_", 0, 0 }, { "__arm64_sys_", 0, 0 },
	{ "__se_sys_", 0, 1 }, { "__do_sys_", 0, 2 }, { "sys_", 0, 0 },
	{ "__ia32_compat_sys_", 1, 0 }, { "__x64_compat_sys_", 1, 0 },
	{ "__arm64_compat_sys_", 1, 0 }, { "__se_compat_sys_", 1, 1 },
	{ "__do_compat_sys_", 1, 2 }, { "compat_sys_", 1, 0 },
	{ "ksys_", 2, 3 }, { "__sys_", 2, 3 }, { "do_sys_", 2, 3 },
};

static const struct sys_layer *sys_layer_of(const char *name, const char **base)
{
	const struct sys_layer *best = NULL;

	/* the longest matching prefix ("__x64_compat_sys_" before "__x64_sys_") */
	for (size_t i = 0; i < ARRAY_SIZE(sys_layers); i++) {
		size_t len = strlen(sys_layers[i].prefix);

		if (!strncmp(name, sys_layers[i].prefix, len) && name[len] &&
		    (!best || len > strlen(best->prefix)))
			best = &sys_layers[i];
	}
	if (best)
		*base = name + strlen(best->prefix);
	return best;
}

static int report_patches(const struct check_report *r, const char *name)
{
	for (size_t i = 0; i < r->ntargets; i++)
		if (!r->targets[i].object && !r->targets[i].klpsym && !strcmp(r->targets[i].name, name))
			return 1;
	return 0;
}

static void judge_syscall(struct check_report *r, struct check_target *t,
			  const struct check_env *env)
{
	const struct sys_layer *me;
	struct check_finding *f = NULL;
	const char *base;
	int uncovered_entry = 0;

	if (t->object || !(me = sys_layer_of(t->name, &base)))
		return;
	/* One report per syscall: on its first target in the patch. */
	for (size_t i = 0; &r->targets[i] != t; i++) {
		const char *b2;

		if (!r->targets[i].object && !r->targets[i].klpsym &&
		    sys_layer_of(r->targets[i].name, &b2) && !strcmp(b2, base))
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sys_layers); i++) {
		const struct sys_layer *l = &sys_layers[i];
		const struct ksym *s;
		struct check_sym *cs;
		char name[256], via[300] = "no";

		snprintf(name, sizeof(name), "%s%s", l->prefix, base);
		s = ksyms__find_name(env->ks, name, NULL);
		if (!s || !ksym_is_text(s))
			continue;
		if (report_patches(r, name)) {
			copy_str(via, sizeof(via), "patched");
		} else {
			/* reached through a patched deeper layer of its family, or
			 * a patched shared helper (if it calls it) */
			for (size_t j = 0; j < ARRAY_SIZE(sys_layers); j++) {
				const struct sys_layer *d = &sys_layers[j];
				char inner[256];

				if (d->depth <= l->depth || (d->family != l->family && d->family != 2))
					continue;
				snprintf(inner, sizeof(inner), "%s%s", d->prefix, base);
				if (report_patches(r, inner)) {
					snprintf(via, sizeof(via), "via %s%s", inner,
						 d->family == 2 ? " (if it calls it)" : "");
					break;
				}
			}
		}
		if (!f)
			f = check__target_add(t, CHECK_INFO, "syscall_siblings",
				       "%s is on the path of the %s syscall; its entry points "
				       "and layers in this kernel:", t->name, base);
		cs = finding_sym(f, s, NULL, env);
		cs->coverage = xstrdup(via);
		if (!strcmp(via, "no") && l->depth == 0)
			uncovered_entry++;
	}
	if (f && uncovered_entry) {
		char *msg;

		f->sev = CHECK_WARNING;
		if (asprintf(&msg, "%s is on the path of the %s syscall, but %d entry point%s "
			     "of it still reach%s the old code (32-bit and compat callers: "
			     "docs/incidents.md); patch the code they share, or each of them",
			     t->name, base, uncovered_entry, uncovered_entry > 1 ? "s" : "",
			     uncovered_entry > 1 ? "" : "es") >= 0) {
			free(f->message);
			f->message = msg;
		}
	}
}

static void judge_target(struct check_report *r, struct check_target *t,
			 const struct check_env *env)
{
	const struct ksym *occ[MAX_OCC], *sel = NULL;
	const char *obj = obj_name(t->object);
	struct check_finding *f;
	size_t n;
	int loaded = check_env__module_loaded(env, t->object), tr;

	if (loaded == 0) {
		check__target_add(t, CHECK_INFO, "object_not_loaded",
			   "module %s is not loaded: the patch applies to it when it loads "
			   "(then the kernel resolves %s); it cannot be checked now",
			   t->object, t->name);
		return;
	}
	if (!env->ks)
		return;
	n = ksyms__count_name(env->ks, t->name, t->object, occ, MAX_OCC);
	if (n == 0) {
		check__target_add(t, CHECK_ERROR, "not_found",
			   "%s is not in %s's symbols: inlined into its callers, renamed or "
			   "compiled out (docs/incidents.md); the kernel refuses the load with "
			   "\"symbol '%s' not found in symbol table\"",
			   t->name, obj, t->name);
		if (!t->klpsym)
			judge_clones(t, env, 0);
		return;
	}
	if (n > 1) {
		if (t->sympos == 0)
			f = check__target_add(t, CHECK_ERROR, "ambiguous",
				       "%s appears %zu times in %s and old_sympos is 0: the kernel "
				       "refuses the load (\"unresolvable ambiguity\"); set old_sympos "
				       "to the position (1-%zu) of the intended one",
				       t->name, n, obj, n);
		else if (t->sympos <= n)
			f = check__target_add(t, CHECK_INFO, "ambiguous_resolved",
				       "%s appears %zu times in %s; old_sympos %lu selects the one "
				       "at 0x%llx (check that it is the intended one)",
				       t->name, n, obj, t->sympos,
				       (unsigned long long)occ[t->sympos - 1]->addr);
		else
			f = check__target_add(t, CHECK_ERROR, "sympos_not_found",
				       "%s appears %zu times in %s, so old_sympos %lu selects none: "
				       "the kernel refuses the load (\"symbol position %lu ... not "
				       "found\")", t->name, n, obj, t->sympos, t->sympos);
		for (size_t i = 0; i < n && i < MAX_OCC; i++) {
			struct check_sym *cs = finding_sym(f, occ[i], NULL, env);

			cs->sympos = i + 1;
			cs->selected = t->sympos == i + 1;
		}
		if (t->sympos >= 1 && t->sympos <= n)
			sel = occ[t->sympos - 1];
	} else if (t->sympos > 1) {
		check__target_add(t, CHECK_ERROR, "sympos_not_found",
			   "%s is unique in %s, so old_sympos %lu selects nothing: the kernel "
			   "refuses the load; use 0 or 1", t->name, obj, t->sympos);
	} else {
		sel = occ[0];
	}
	if (sel)
		t->addr = sel->addr;
	if (t->klpsym)
		return; /* a relocation only needs to resolve */
	if (sel && !ksym_is_text(sel))
		check__target_add(t, CHECK_ERROR, "not_a_function",
			   "%s in %s is a data symbol (type '%c'), not a function",
			   t->name, obj, sel->type);
	tr = env_traceable(env, t->name, t->object);
	if (tr == 0)
		check__target_add(t, CHECK_ERROR, "not_traceable",
			   "%s is not in available_filter_functions (notrace, or no ftrace "
			   "entry): the kernel cannot redirect it and the load fails",
			   t->name);
	judge_clones(t, env, 1);
	judge_syscall(r, t, env);
}

static void count_findings(struct check_report *r)
{
	r->errors = r->warnings = r->infos = 0;
	for (size_t i = 0; i <= r->ntargets; i++) {
		const struct check_finding *fs = i < r->ntargets ? r->targets[i].findings : r->findings;
		size_t n = i < r->ntargets ? r->targets[i].nfindings : r->nfindings;

		for (size_t j = 0; j < n; j++) {
			if (fs[j].sev == CHECK_ERROR)
				r->errors++;
			else if (fs[j].sev == CHECK_WARNING)
				r->warnings++;
			else
				r->infos++;
		}
	}
}

void check__run_conflicts(struct check_report *r, const struct check_env *env)
{
	conflicts__judge(r, env);
	count_findings(r);
}

void check__run(struct check_report *r, const struct check_env *env)
{
	if (!env->ks)
		check_report__add(r, CHECK_WARNING, "no_kallsyms",
				  "kernel symbols are not readable: targets were not checked");
	else if (!env->have_filter)
		check_report__add(r, CHECK_INFO, "no_tracefs",
				  "available_filter_functions is not readable (mount tracefs, "
				  "run as root): traceability was not checked");
	for (size_t i = 0; i < r->ntargets; i++)
		judge_target(r, &r->targets[i], env);
	conflicts__judge(r, env);
	shadowids__judge(r, env);
	count_findings(r);
}

int check_report__exit_code(const struct check_report *r)
{
	if (r->errors)
		return EXIT_ERROR;
	return r->warnings ? EXIT_WARNINGS : EXIT_OK;
}

static void free_findings(struct check_finding *fs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < fs[i].nsyms; j++) {
			free(fs[i].syms[j].name);
			free(fs[i].syms[j].module);
			free(fs[i].syms[j].coverage);
		}
		free(fs[i].syms);
		free(fs[i].message);
		if (fs[i].hook) {
			free(fs[i].hook->function);
			free(fs[i].hook->module);
			free(fs[i].hook->detail);
			free(fs[i].hook);
		}
	}
	free(fs);
}

void check_report__free(struct check_report *r)
{
	for (size_t i = 0; i < r->ntargets; i++) {
		free(r->targets[i].object);
		free(r->targets[i].name);
		free(r->targets[i].new_name);
		free_findings(r->targets[i].findings, r->targets[i].nfindings);
	}
	free(r->targets);
	free_findings(r->findings, r->nfindings);
	shadowids__free(r);
	free(r->file);
	free(r->patch);
	memset(r, 0, sizeof(*r));
}

/* ---- output ------------------------------------------------------------- */

static enum check_sev target_sev(const struct check_target *t, int *any)
{
	enum check_sev worst = CHECK_INFO;

	*any = t->nfindings > 0;
	for (size_t i = 0; i < t->nfindings; i++)
		if (t->findings[i].sev > worst)
			worst = t->findings[i].sev;
	return worst;
}

static json_object *finding_json(const struct check_finding *f)
{
	json_object *o = json_object_new_object(), *syms = json_object_new_array();

	json_object_object_add(o, "severity", json_object_new_string(check_sev__name(f->sev)));
	json_object_object_add(o, "code", json_object_new_string(f->code));
	json_object_object_add(o, "message", json_object_new_string(f->message));
	for (size_t i = 0; i < f->nsyms; i++) {
		const struct check_sym *s = &f->syms[i];
		json_object *so = json_object_new_object();
		char type[2] = { s->type, 0 };

		json_object_object_add(so, "name", json_object_new_string(s->name));
		json_object_object_add(so, "object", json_object_new_string(obj_name(s->module)));
		json_object_object_add(so, "address", json_addr(s->addr));
		json_object_object_add(so, "type", json_object_new_string(type));
		if (s->sympos)
			json_object_object_add(so, "sympos", json_object_new_int64((int64_t)s->sympos));
		if (s->sympos)
			json_object_object_add(so, "selected", json_object_new_boolean(s->selected));
		json_object_object_add(so, "traceable", s->traceable < 0 ? NULL :
				       json_object_new_boolean(s->traceable));
		if (s->coverage)
			json_object_object_add(so, "coverage", json_object_new_string(s->coverage));
		json_object_array_add(syms, so);
	}
	json_object_object_add(o, "symbols", syms);
	if (f->hook) {
		const struct check_hook *h = f->hook;
		json_object *ho = json_object_new_object();

		json_object_object_add(ho, "kind", json_object_new_string(h->kind));
		json_object_object_add(ho, "function", json_object_new_string(h->function));
		json_object_object_add(ho, "object", json_object_new_string(obj_name(h->module)));
		json_object_object_add(ho, "offset", json_object_new_int64((int64_t)h->offset));
		json_object_object_add(ho, "at_entry", json_object_new_boolean(h->at_entry));
		json_object_object_add(ho, "detail", h->detail ? json_object_new_string(h->detail)
							       : NULL);
		json_object_object_add(ho, "effect", json_object_new_string(h->effect));
		json_object_object_add(o, "hook", ho);
	}
	return o;
}

static json_object *findings_json(const struct check_finding *fs, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, finding_json(&fs[i]));
	return a;
}

json_object *check_report__to_json(const struct check_report *r)
{
	json_object *o = json_object_new_object(), *ts = json_object_new_array(), *sum;
	int rc = check_report__exit_code(r);

	json_object_object_add(o, "file", r->file ? json_object_new_string(r->file) : NULL);
	json_object_object_add(o, "patch", r->patch ? json_object_new_string(r->patch) : NULL);
	json_object_object_add(o, "format", r->format ? json_object_new_string(r->format) : NULL);
	json_object_object_add(o, "replace", json_object_new_boolean(r->replace));
	json_object_object_add(o, "findings", findings_json(r->findings, r->nfindings));
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct check_target *t = &r->targets[i];
		json_object *to = json_object_new_object();
		int any;
		enum check_sev w = target_sev(t, &any);

		json_object_object_add(to, "object", json_object_new_string(obj_name(t->object)));
		json_object_object_add(to, "function", json_object_new_string(t->name));
		json_object_object_add(to, "sympos", json_object_new_int64((int64_t)t->sympos));
		json_object_object_add(to, "kind", json_object_new_string(t->klpsym ? "relocation"
										     : "function"));
		if (!t->klpsym)
			json_object_object_add(to, "new_function", t->new_name ?
					       json_object_new_string(t->new_name) : NULL);
		json_object_object_add(to, "address", t->addr ? json_addr(t->addr) : NULL);
		json_object_object_add(to, "status", json_object_new_string(
			!any || w == CHECK_INFO ? "ok" : check_sev__name(w)));
		json_object_object_add(to, "findings", findings_json(t->findings, t->nfindings));
		json_object_array_add(ts, to);
	}
	json_object_object_add(o, "targets", ts);
	json_object_object_add(o, "shadow_ids", shadowids__to_json(r));
	json_object_object_add(o, "shadow_calls_not_constant",
			       json_object_new_int((int)r->shadow_calls_not_constant));
	sum = json_object_new_object();
	json_object_object_add(sum, "errors", json_object_new_int((int)r->errors));
	json_object_object_add(sum, "warnings", json_object_new_int((int)r->warnings));
	json_object_object_add(sum, "infos", json_object_new_int((int)r->infos));
	json_object_object_add(o, "summary", sum);
	json_object_object_add(o, "verdict", json_object_new_string(
		rc == EXIT_ERROR ? "errors" : rc == EXIT_WARNINGS ? "warnings" : "ok"));
	json_object_object_add(o, "exit_code", json_object_new_int(rc));
	return o;
}

static void print_finding(const struct check_finding *f, FILE *out, const char *indent)
{
	fprintf(out, "%s%-7s %s: %s\n", indent, check_sev__name(f->sev), f->code, f->message);
	for (size_t i = 0; i < f->nsyms; i++) {
		const struct check_sym *s = &f->syms[i];

		fprintf(out, "%s          ", indent);
		if (s->sympos)
			fprintf(out, "%s%lu ", s->selected ? "*" : " ", s->sympos);
		fprintf(out, "%-32s 0x%016llx %c %s", s->name, (unsigned long long)s->addr, s->type,
			obj_name(s->module));
		if (s->traceable == 0)
			fputs("  (not traceable)", out);
		if (s->coverage)
			fprintf(out, "  covered: %s", s->coverage);
		fputc('\n', out);
	}
	if (f->hook) {
		const struct check_hook *h = f->hook;

		fprintf(out, "%s          %s %s+0x%llx%s%s%s%s%s\n", indent, h->kind, h->function,
			(unsigned long long)h->offset, h->module ? " [" : "",
			h->module ? h->module : "", h->module ? "]" : "",
			h->detail ? "  " : "", h->detail ? h->detail : "");
	}
}

void check_report__print_text(const struct check_report *r, FILE *out)
{
	int rc = check_report__exit_code(r);

	if (r->file)
		fprintf(out, "patch %s (%s)  %s%s\n", r->patch ? r->patch : "?", r->file,
			r->format ? r->format : "", r->replace ? "  replace (cumulative)" : "");
	for (size_t i = 0; i < r->nfindings; i++)
		print_finding(&r->findings[i], out, "");
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct check_target *t = &r->targets[i];
		int any;
		enum check_sev w = target_sev(t, &any);

		fprintf(out, "%-5s %s:%s,%lu%s", !any || w == CHECK_INFO ? "ok" :
			w == CHECK_ERROR ? "ERROR" : "WARN", obj_name(t->object), t->name, t->sympos,
			t->klpsym ? " (relocation)" : "");
		if (t->addr)
			fprintf(out, "  0x%llx", (unsigned long long)t->addr);
		fputc('\n', out);
		for (size_t j = 0; j < t->nfindings; j++)
			print_finding(&t->findings[j], out, "  ");
	}
	shadowids__print_text(r, out);
	fprintf(out, "%u error%s, %u warning%s, %u info: %s\n", r->errors, r->errors == 1 ? "" : "s",
		r->warnings, r->warnings == 1 ? "" : "s", r->infos,
		rc == EXIT_ERROR ? "the kernel will refuse this patch or patch the wrong code" :
		rc == EXIT_WARNINGS ? "review the warnings before loading" : "ok to load");
}

/* Each hook finding with the target it is about (NULL: the patch). */
static void for_each_hook_finding(const struct check_report *r, const char *effect,
				  void (*fn)(const struct check_target *, const struct check_finding *,
					     void *), void *ctx)
{
	for (size_t i = 0; i <= r->ntargets; i++) {
		const struct check_target *t = i < r->ntargets ? &r->targets[i] : NULL;
		const struct check_finding *fs = t ? t->findings : r->findings;
		size_t n = t ? t->nfindings : r->nfindings;

		for (size_t j = 0; j < n; j++)
			if (fs[j].hook && (!effect || !strcmp(fs[j].hook->effect, effect)))
				fn(t, &fs[j], ctx);
	}
}

struct print_ctx {
	FILE *out;
	const char *prefix;
};

static void print_one(const struct check_target *t, const struct check_finding *f, void *ctx)
{
	const struct print_ctx *pc = ctx;
	char indent[64];

	snprintf(indent, sizeof(indent), "%s  ", pc->prefix);
	fprintf(pc->out, "%s%s:%s\n", pc->prefix, t ? obj_name(t->object) : "patch",
		t ? t->name : f->hook->function);
	print_finding(f, pc->out, indent);
}

void check_report__print_conflicts(const struct check_report *r, FILE *out, const char *prefix,
				   const char *effect)
{
	struct print_ctx pc = { out, prefix };

	for_each_hook_finding(r, effect, print_one, &pc);
}

static void json_one(const struct check_target *t, const struct check_finding *f, void *ctx)
{
	json_object *o = finding_json(f);

	json_object_object_add(o, "function", t ? json_object_new_string(t->name) : NULL);
	json_object_object_add(o, "object", t ? json_object_new_string(obj_name(t->object)) : NULL);
	json_object_array_add(ctx, o);
}

json_object *check_report__conflicts_json(const struct check_report *r)
{
	json_object *a = json_object_new_array();

	for_each_hook_finding(r, NULL, json_one, a);
	return a;
}
