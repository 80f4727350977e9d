// SPDX-License-Identifier: GPL-2.0
#include "live/funcs.h"
#include "live/attach.h"
#include "live/kallsyms.h"
#include "lib/log.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "klptop/funcs.h"
#include "funcs.skel.h"

_Static_assert(sizeof(struct klpt_func_rec) == 224, "klpt_func_rec layout");
_Static_assert(sizeof(struct klpt_stack_rec) == 16, "klpt_stack_rec layout");
_Static_assert(sizeof(struct klpt_walk) == 32 + KLPT_FN_MAX * (224 + 16), "klpt_walk layout");

#define MAX_COUNTERS (2 * KLPT_FN_MAX)

struct counter {
	uint64_t addr;
	struct bpf_link *link;
	uint64_t last;        /* count at the previous fill */
	double rate;          /* calls per second */
	int seen;             /* still a patched function's address */
};

struct func_probe {
	struct funcs_bpf *skel;
	struct counter counters[MAX_COUNTERS];
	int ncounters;
	uint64_t last_ns;
	int ncpus;
	int attach_failed;
};

struct func_probe *func_probe__open(const struct ksyms *ks, struct probe_status *ps)
{
	const struct ksym *patches = ksyms__find_name(ks, "klp_patches", NULL);
	const struct ksym *ops = ksyms__find_name(ks, "klp_ops", NULL);
	struct func_probe *fp;
	const char *why = NULL;

	if (!patches || !patches->addr)
		why = "klp_patches not in kallsyms: no function addresses, live versions or "
		      "call routing";
	fp = why ? NULL : xcalloc(1, sizeof(*fp));
	if (fp) {
		fp->skel = funcs_bpf__open_and_load();
		if (!fp->skel)
			why = "funcs BPF program failed to load: no live versions or call routing";
	}
	if (why) {
		probe_status__add_missing(ps, why);
		if (fp)
			free(fp);
		return NULL;
	}
	fp->skel->bss->walk.patches_addr = patches->addr;
	/* klp_ops is static: without it the live version stays unknown. */
	fp->skel->bss->walk.ops_addr = ops ? ops->addr : 0;
	fp->ncpus = libbpf_num_possible_cpus();
	fp->last_ns = now_ns();
	return fp;
}

void func_probe__close(struct func_probe *fp)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->ncounters; i++)
		bpf_link__destroy(fp->counters[i].link);
	funcs_bpf__destroy(fp->skel);
	free(fp);
}

static struct counter *find_counter(struct func_probe *fp, uint64_t addr)
{
	for (int i = 0; i < fp->ncounters; i++)
		if (fp->counters[i].addr == addr)
			return &fp->counters[i];
	return NULL;
}

/* Entry kprobe by absolute address: names can be ambiguous, addresses not. */
static void want_counter(struct func_probe *fp, uint64_t addr)
{
	LIBBPF_OPTS(bpf_kprobe_opts, opts, .offset = addr);
	struct counter *c;
	struct bpf_link *l;

	if (!addr)
		return;
	c = find_counter(fp, addr);
	if (c) {
		c->seen = 1;
		return;
	}
	if (fp->ncounters == MAX_COUNTERS)
		return;
	l = bpf_program__attach_kprobe_opts(fp->skel->progs.count_call, NULL, &opts);
	if (libbpf_get_error(l)) {
		fp->attach_failed++;
		return;
	}
	fp->counters[fp->ncounters++] = (struct counter){ .addr = addr, .link = l, .seen = 1 };
}

/* Functions that went away (patch removed): drop their counters. */
static void drop_unseen(struct func_probe *fp)
{
	int j = 0;

	for (int i = 0; i < fp->ncounters; i++) {
		if (fp->counters[i].seen) {
			fp->counters[j++] = fp->counters[i];
			continue;
		}
		bpf_link__destroy(fp->counters[i].link);
		bpf_map__delete_elem(fp->skel->maps.calls, &fp->counters[i].addr,
				     sizeof(uint64_t), 0);
	}
	fp->ncounters = j;
}

static void update_rates(struct func_probe *fp, uint64_t now)
{
	double dt = (double)(now - fp->last_ns) / 1e9;
	uint64_t *vals = xcalloc(fp->ncpus, sizeof(*vals));

	for (int i = 0; i < fp->ncounters; i++) {
		struct counter *c = &fp->counters[i];
		uint64_t total = 0;

		if (bpf_map__lookup_elem(fp->skel->maps.calls, &c->addr, sizeof(c->addr), vals,
					 sizeof(*vals) * fp->ncpus, 0))
			memset(vals, 0, sizeof(*vals) * fp->ncpus);
		for (int cpu = 0; cpu < fp->ncpus; cpu++)
			total += vals[cpu];
		c->rate = dt > 0 && total >= c->last ? (double)(total - c->last) / dt : 0;
		c->last = total;
	}
	free(vals);
	fp->last_ns = now;
}

static int stack_pos_of(const struct klpt_walk *w, uint64_t func)
{
	for (uint32_t i = 0; i < w->nstack && i < KLPT_FN_MAX; i++)
		if (w->stack[i].func == func)
			return (int)w->stack[i].pos;
	return -1;
}

/* sysfs says "vmlinux" and sympos 1 where the kernel keeps NULL and 0. */
static int rec_matches(const struct klpt_func_rec *r, const char *patch, const char *object,
		       const struct func_info *f)
{
	const char *obj = r->object[0] ? r->object : "vmlinux";
	long sympos = r->old_sympos ? (long)r->old_sympos : 1;

	return !strncmp(r->patch, patch, sizeof(r->patch)) &&
	       !strncmp(obj, object, sizeof(r->object)) &&
	       !strncmp(r->name, f->name, sizeof(r->name)) && sympos == f->sympos;
}

static void annotate(struct func_probe *fp, const struct klpt_walk *w, struct snapshot *s)
{
	for (size_t p = 0; p < s->npatches; p++) {
		struct patch_info *pi = &s->patches[p];

		for (size_t o = 0; o < pi->nobjs; o++) {
			struct object_info *oi = &pi->objs[o];

			for (size_t k = 0; k < oi->nfuncs; k++) {
				struct func_info *f = &oi->funcs[k];

				for (uint32_t i = 0; i < w->nfuncs && i < KLPT_FN_MAX; i++) {
					const struct klpt_func_rec *r = &w->funcs[i];
					struct counter *cold, *cnew;

					if (!rec_matches(r, pi->name, oi->name, f))
						continue;
					f->walked = 1;
					f->old_addr = r->old_addr;
					f->new_addr = r->new_addr;
					f->stack_pos = w->ops_addr ? stack_pos_of(w, r->func) : -1;
					f->live = f->stack_pos < 0 ? -1 : f->stack_pos == 0;
					cold = find_counter(fp, r->old_addr);
					cnew = find_counter(fp, r->new_addr);
					f->routed = cold && (cnew || !r->new_addr);
					f->calls_per_s = cold ? cold->rate : 0;
					f->new_per_s = cnew ? cnew->rate : 0;
					break;
				}
			}
		}
	}
}

/* Run the walk of the kernel's klp lists; NULL (and a warning) on failure. */
static const struct klpt_walk *walk(struct func_probe *fp, struct snapshot *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	if (bpf_prog_test_run_opts(bpf_program__fd(fp->skel->progs.walk_klp), &topts) ||
	    topts.retval) {
		snapshot__warn(s, "walk of the kernel's klp lists failed: %s", strerror(errno));
		return NULL;
	}
	if (fp->skel->bss->walk.truncated)
		snapshot__warn(s, "more than %d patched functions: the rest are not counted",
			       KLPT_FN_MAX);
	return &fp->skel->bss->walk;
}

void func_probe__walk(struct func_probe *fp, struct snapshot *s)
{
	const struct klpt_walk *w = fp ? walk(fp, s) : NULL;

	if (w)
		annotate(fp, w, s);
}

void func_probe__fill(struct func_probe *fp, struct snapshot *s)
{
	const struct klpt_walk *w;
	uint64_t now = now_ns();

	if (!fp || !(w = walk(fp, s)))
		return;
	for (int i = 0; i < fp->ncounters; i++)
		fp->counters[i].seen = 0;
	for (uint32_t i = 0; i < w->nfuncs && i < KLPT_FN_MAX; i++) {
		want_counter(fp, w->funcs[i].old_addr);
		want_counter(fp, w->funcs[i].new_addr);
	}
	drop_unseen(fp);
	update_rates(fp, now);
	annotate(fp, w, s);
	if (fp->attach_failed)
		snapshot__warn(s, "%d call counters could not be attached", fp->attach_failed);
}
