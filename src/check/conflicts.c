// SPDX-License-Identifier: GPL-2.0
/*
 * What else hooks the functions a patch replaces, and what the patch does
 * to each (docs/check.md, "Conflicts"). The kernel's rules:
 *
 *  - A live patch redirects a function with an ftrace_ops that modifies the
 *    IP (FTRACE_OPS_FL_IPMODIFY), and ftrace lets one such ops hold a
 *    function (all patches of one function share the livepatch's ops). A
 *    kprobe with a post_handler on an ftrace site is armed with an IPMODIFY
 *    ops (kernel/kprobes.c, kprobe_ipmodify_ops), so it, or any other
 *    IP-modifying ftrace user, makes the patch's load fail with EBUSY
 *    ("failed to register ftrace handler for function F (-16)").
 *  - Every caller still calls the old function; its ftrace site runs first
 *    and then jumps to the new code. So what hooks that site (ftrace-based
 *    kprobes, kretprobes, ftrace users, BPF trampolines since 6.0, which
 *    share a function with an IPMODIFY user) keeps seeing every call, and
 *    fexit/fmod_ret wrap whichever version runs.
 *  - Code that no task runs once the transition completes: the old
 *    function's body (a kprobe inside it, not on its ftrace site), and the
 *    version of the function another patch provided before this one (its
 *    replacement function, in its module; for a cumulative replace, all of
 *    the replaced patches' code). Hooks there silently stop seeing calls
 *    and must be re-attached to the new function.
 *
 * What it cannot know: who owns a kprobe or an ftrace user (the kernel
 * keeps no owner), BPF programs attached some other way than a tracing link
 * (kprobe_multi links show as ftrace users), and hooks on functions that
 * only the old code calls.
 */
#include "check/check_env.h"
#include "check/hooks.h"
#include "live/kallsyms.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

static const char *obj_name(const char *module)
{
	return module ? module : "vmlinux";
}

static int same_obj(const char *a, const char *b)
{
	if (a && !strcmp(a, "vmlinux"))
		a = NULL;
	if (b && !strcmp(b, "vmlinux"))
		b = NULL;
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void attach_hook(struct check_finding *f, const struct hook *h, const char *effect)
{
	struct check_hook *ch = xcalloc(1, sizeof(*ch));

	ch->kind = hook_kind__name(h->kind);
	ch->function = xstrdup(h->func);
	ch->module = h->module ? xstrdup(h->module) : NULL;
	ch->offset = h->offset;
	ch->at_entry = h->ftrace || h->kind == HOOK_FTRACE || h->kind == HOOK_KRETPROBE;
	ch->detail = h->detail ? xstrdup(h->detail) : NULL;
	ch->effect = effect;
	f->hook = ch;
}

/* A loaded patch (other than this one, enabled or in transition) that
 * replaces (object, func). */
static const struct patch_info *patched_by(const struct check_env *env, const char *object,
					   const char *func, const char *except,
					   const struct func_info **fi)
{
	for (size_t p = 0; p < env->npatches; p++) {
		const struct patch_info *pi = &env->patches[p];

		if (except && !strcmp(pi->name, except))
			continue;
		if (!pi->enabled && !pi->transition)
			continue;
		for (size_t o = 0; o < pi->nobjs; o++) {
			if (!same_obj(pi->objs[o].name, object))
				continue;
			for (size_t k = 0; k < pi->objs[o].nfuncs; k++) {
				if (!strcmp(pi->objs[o].funcs[k].name, func)) {
					*fi = &pi->objs[o].funcs[k];
					return pi;
				}
			}
		}
	}
	return NULL;
}

/* Which hook holds the IPMODIFY flag: an ftrace-based kprobe on the
 * function (armed with kprobe_ipmodify_ops when it has a post_handler), or
 * the ftrace record itself. */
static const struct hook *ipmodify_holder(const struct hook_set *hs, const struct hook *rec)
{
	int it = -1, i;

	while ((i = hooks__next(hs, rec->func, rec->module, &it)) >= 0)
		if (hs->h[i].kind == HOOK_KPROBE && hs->h[i].ftrace && !hs->h[i].disabled)
			return &hs->h[i];
	return rec;
}

static void judge_ipmodify(struct check_target *t, const struct check_env *env,
			   const struct hook *rec, int livepatched)
{
	const struct hook *who;
	struct check_finding *f;

	if (!rec->ipmodify || livepatched)
		return; /* the livepatch's own ops holds it: patches stack */
	who = ipmodify_holder(env->hooks, rec);
	if (who->kind == HOOK_KPROBE)
		f = check__target_add(t, CHECK_ERROR, "ipmodify_conflict",
				      "a kprobe on %s modifies its IP (a kprobe with a "
				      "post_handler): only one ftrace user may, so the load fails "
				      "with EBUSY (\"failed to register ftrace handler for function "
				      "'%s' (-16)\"); remove the kprobe first", t->name, t->name);
	else
		f = check__target_add(t, CHECK_ERROR, "ipmodify_conflict",
				      "another ftrace user modifies the IP of %s (I in "
				      "enabled_functions): only one may, so the load fails with "
				      "EBUSY (\"failed to register ftrace handler for function "
				      "'%s' (-16)\")", t->name, t->name);
	attach_hook(f, who, "load_fails");
}

static void judge_kprobe(struct check_target *t, const struct hook *h, const char *patch)
{
	struct check_finding *f;

	if (h->kind == HOOK_KRETPROBE || h->ftrace || h->offset == 0) {
		f = check__target_add(t, CHECK_INFO, "hook_keeps_seeing_calls",
				      "a %s on %s keeps firing: every call still enters %s's "
				      "entry, then goes to the new code%s", hook_kind__name(h->kind),
				      t->name, t->name, h->kind == HOOK_KRETPROBE ?
				      " (and it sees the new code's return)" : "");
		attach_hook(f, h, "keeps_seeing_calls");
		return;
	}
	f = check__target_add(t, CHECK_WARNING, "hook_stops_seeing_calls",
			      "a kprobe at %s+0x%llx is inside the old body of %s, which no "
			      "task runs once it has switched: it silently stops firing; "
			      "re-attach it to %s%s%s%s", t->name, (unsigned long long)h->offset,
			      t->name, t->new_name ? t->new_name : "the new function",
			      patch ? " in " : "", patch ? patch : "",
			      t->new_name ? "" : " (named in the patch's source)");
	attach_hook(f, h, "stops_seeing_calls");
}

static void judge_bpf(struct check_target *t, const struct check_env *env, const struct hook *h)
{
	struct check_finding *f;

	if (env->share_ipmodify == 0) {
		f = check__target_add(t, CHECK_ERROR, "ipmodify_conflict",
				      "a BPF %s program is attached to %s, and this kernel cannot "
				      "share a function between a BPF trampoline and a live patch "
				      "(before 6.0): the load fails with EBUSY; detach it first",
				      hook_kind__name(h->kind) + 4, t->name);
		attach_hook(f, h, "load_fails");
		return;
	}
	f = check__target_add(t, CHECK_INFO, "hook_keeps_seeing_calls",
			      "a BPF %s program on %s keeps running: its trampoline sits on "
			      "%s's entry, which every call still passes%s",
			      hook_kind__name(h->kind) + 4, t->name, t->name,
			      h->kind == HOOK_BPF_FENTRY ? "" :
			      "; after the redirect it wraps the new code's return");
	attach_hook(f, h, "keeps_seeing_calls");
}

/* Hooks on the version of t another patch provides now: stale once this
 * patch's transition completes. */
static void judge_superseded(struct check_report *r, struct check_target *t,
			     const struct check_env *env)
{
	const struct func_info *fi = NULL;
	const struct patch_info *q = patched_by(env, t->object, t->name, r->patch, &fi);
	const struct ksym *s;
	uint64_t off;
	int it = -1, i;

	if (!q || r->replace)
		return; /* a replace: judged for all of q's code (judge_replaced) */
	if (!fi->walked || !fi->new_addr || !env->ks ||
	    !(s = ksyms__find_addr(env->ks, fi->new_addr, &off)) || off)
		return; /* which of q's functions it is needs the BPF walk of klp_patches */
	while ((i = hooks__next(env->hooks, s->name, s->module, &it)) >= 0) {
		const struct hook *h = &env->hooks->h[i];
		struct check_finding *f;

		if (h->kind == HOOK_FTRACE)
			continue; /* the livepatch's own record and other ftrace users */
		f = check__target_add(t, CHECK_WARNING, "hook_stops_seeing_calls",
				      "a %s hooks %s in %s, the version of %s that patch %s "
				      "provides now: once this patch's transition completes no "
				      "task calls it, and it silently stops seeing calls; re-attach "
				      "it to %s", hook_kind__name(h->kind), s->name,
				      obj_name(s->module), t->name, q->name,
				      t->new_name ? t->new_name : "this patch's new function");
		attach_hook(f, h, "stops_seeing_calls");
	}
}

static void judge_target_hooks(struct check_report *r, struct check_target *t,
			       const struct check_env *env)
{
	const struct hook_set *hs = env->hooks;
	const struct func_info *fi;
	const struct hook *rec = NULL;
	int it = -1, i, livepatched, ipmodify = 0, explained = 0;

	livepatched = patched_by(env, t->object, t->name, NULL, &fi) != NULL;
	while ((i = hooks__next(hs, t->name, t->object, &it)) >= 0)
		if (hs->h[i].kind == HOOK_FTRACE)
			rec = &hs->h[i];
	if (rec) {
		judge_ipmodify(t, env, rec, livepatched);
		ipmodify = rec->ipmodify && !livepatched;
	}
	it = -1;
	while ((i = hooks__next(hs, t->name, t->object, &it)) >= 0) {
		const struct hook *h = &hs->h[i];

		if (h->kind == HOOK_KPROBE || h->kind == HOOK_KRETPROBE) {
			explained = 1;
			if (!(ipmodify && h == ipmodify_holder(hs, rec)))
				judge_kprobe(t, h, r->patch);
		} else if (hook_kind__is_bpf(h->kind)) {
			explained = 1;
			judge_bpf(t, env, h);
		}
	}
	/* ftrace users nothing above names: the function tracer, fprobes
	 * (BPF kprobe_multi), direct calls of unreadable BPF links */
	if (rec && !ipmodify && !explained && !livepatched) {
		struct check_finding *f = check__target_add(
			t, CHECK_INFO, "hook_keeps_seeing_calls",
			"%s has %d other ftrace user%s%s: %s at its entry, which every call "
			"still passes", t->name, rec->users, rec->users == 1 ? "" : "s",
			rec->direct ? " (a direct trampoline: a BPF program, maybe)" : "",
			rec->users == 1 ? "it keeps seeing calls" : "they keep seeing calls");

		attach_hook(f, rec, "keeps_seeing_calls");
	}
	judge_superseded(r, t, env);
}

/* A cumulative replace: every other enabled patch's code stops running, so
 * every hook in those modules goes stale. */
static void judge_replaced(struct check_report *r, const struct check_env *env)
{
	for (size_t p = 0; p < env->npatches && r->replace; p++) {
		const struct patch_info *q = &env->patches[p];

		if (!q->enabled || (r->patch && !strcmp(q->name, r->patch)))
			continue;
		for (size_t i = 0; i < env->hooks->n; i++) {
			const struct hook *h = &env->hooks->h[i];
			struct check_finding *f;

			if (!h->module || strcmp(h->module, q->name) || h->kind == HOOK_FTRACE)
				continue;
			check_report__add(r, CHECK_WARNING, "hook_stops_seeing_calls",
					  "a %s hooks %s in patch %s, which this cumulative patch "
					  "replaces: once the transition completes none of %s's code "
					  "runs, and the %s silently stops seeing calls; re-attach it "
					  "to this patch's version", hook_kind__name(h->kind), h->func,
					  q->name, q->name, hook_kind__name(h->kind));
			f = &r->findings[r->nfindings - 1];
			attach_hook(f, h, "stops_seeing_calls");
		}
	}
}

static void say_unread(struct check_report *r, const struct hook_set *hs)
{
	char what[256] = "";

	if (!hs->have_kprobes)
		strcat(what, ", kprobes (debugfs kprobes/list)");
	if (!hs->have_ftrace)
		strcat(what, ", ftrace users (tracefs enabled_functions)");
	if (!hs->have_bpf)
		strcat(what, ", BPF programs");
	if (*what)
		check_report__add(r, CHECK_INFO, "hooks_unchecked",
				  "not read, so not checked for conflicts: %s%s%s%s", what + 2,
				  hs->bpf_why_not ? " (" : "", hs->bpf_why_not ? hs->bpf_why_not : "",
				  hs->bpf_why_not ? ")" : "");
}

void conflicts__judge(struct check_report *r, const struct check_env *env)
{
	if (!env->hooks)
		return;
	say_unread(r, env->hooks);
	for (size_t i = 0; i < r->ntargets; i++) {
		struct check_target *t = &r->targets[i];

		if (t->klpsym || check_env__module_loaded(env, t->object) == 0)
			continue;
		judge_target_hooks(r, t, env);
	}
	judge_replaced(r, env);
}
