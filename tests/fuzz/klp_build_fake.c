// SPDX-License-Identifier: GPL-2.0
/*
 * A klp-build patch module's descriptors as the compiler lays them out
 * (include/linux/livepatch_external.h), an init that builds the klp_patch
 * like scripts/livepatch/init.c (replace = REPLACE), and calls to
 * klp_shadow_* with constant, computed, branch-dependent and address ids.
 * Compiled on the host with the kernel's code model, not linked: the unit
 * test of the module reader (tests/unit/test_patchelf.c) reads it, and the
 * reader's fuzzer (tests/fuzz.sh) starts from it.
 */
#ifndef REPLACE
#define REPLACE 1
#endif

struct klp_func_ext { const char *old_name; void *new_func; unsigned long sympos; };
struct klp_callbacks { void *pre, *post, *pre_un, *post_un; _Bool en; };
struct klp_object_ext {
	const char *name;
	struct klp_func_ext *funcs;
	struct klp_callbacks callbacks;
	unsigned int nr_funcs;
};
struct klp_patch { void *mod; void *objs; void *states; _Bool replace; };

extern char __this_module[];
extern void *kzalloc(unsigned long size, int flags);
extern int klp_enable_patch(struct klp_patch *p);
extern void *klp_shadow_get(void *obj, unsigned long id);
extern void *klp_shadow_alloc(void *obj, unsigned long id, unsigned long size, int gfp,
			      void *ctor, void *data);
extern void klp_shadow_free_all(unsigned long id, void *dtor);
extern unsigned long some_id(void);
extern char some_obj[];

int new_show(void *o);
int computed(void *o);
int branchy(void *o, int c);
int address(void *o);
void cleanup(void);
int init_module(void);

int new_show(void *o)
{
	klp_shadow_get(o, 0x1234);
	return klp_shadow_alloc(o, 0xabcdef0123ul, 8, 0, 0, 0) != 0;
}

int computed(void *o)
{
	return klp_shadow_get(o, some_id()) != 0;
}

int branchy(void *o, int c)
{
	unsigned long id = 5;

	if (c)
		id = some_id();
	return klp_shadow_get(o, id) != 0;
}

int address(void *o)
{
	return klp_shadow_get(o, (unsigned long)some_obj) != 0;
}

void cleanup(void)
{
	klp_shadow_free_all(0, 0);
}

static int new_ping(void)
{
	return 2;
}

static void post(void *obj)
{
}

static struct klp_func_ext f1[] __attribute__((section(".init.klp_funcs"), used)) = {
	{ "cmdline_proc_show", new_show, 0 },
	{ "brightness_show", computed, 2 },
};
static struct klp_func_ext f2[] __attribute__((section(".init.klp_funcs"), used)) = {
	{ "klpt_ping", new_ping, 0 },
};
static struct klp_object_ext o[] __attribute__((section(".init.klp_objects"), used)) = {
	{ 0, f1, { 0 }, 2 },
	{ "klpt_target", f2, { .post = post }, 1 },
};
static const char modinfo[] __attribute__((section(".modinfo"), used)) =
	"license=GPL\0name=kb_lp\0livepatch=Y";

int init_module(void)
{
	struct klp_patch *p = kzalloc(sizeof(*p), 0);

	if (!p)
		return -12;
	p->mod = __this_module;
	p->objs = o;
	p->replace = REPLACE;
	return klp_enable_patch(p);
}
