/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a live patch module's own descriptors (struct klp_patch, its
 * klp_object and klp_func arrays) from the .ko file, without loading it:
 * what klptop check verifies against the running kernel.
 */
#ifndef KLPTOP_PATCHELF_H
#define KLPTOP_PATCHELF_H

#include <stddef.h>
#include <stdint.h>

struct lp_func {
	char *name;            /* klp_func.old_name */
	unsigned long sympos;  /* klp_func.old_sympos (0: must be unique) */
	char *new_name;        /* the module's function new_func points to; NULL unknown */
};

struct lp_object {
	char *name;            /* klp_object.name; NULL for vmlinux */
	struct lp_func *funcs;
	size_t nfuncs;
};

/* A ".klp.sym.OBJ.NAME,POS" symbol: a relocation the kernel resolves when
 * the patch (or its object) loads; an unresolvable one fails the load. */
struct lp_klpsym {
	char *object;          /* "vmlinux" or a module name */
	char *name;
	unsigned long sympos;
};

/* How the module describes its patch. */
enum lp_format {
	LP_FORMAT_STATIC = 0,  /* a static struct klp_patch (samples, kpatch, hand-written) */
	LP_FORMAT_KLP_BUILD,   /* klp-build (6.19+): .init.klp_objects / .init.klp_funcs,
				* the klp_patch is built by the module's init */
};

/* A call to klp_shadow_* and the shadow id it passes. */
struct lp_shadow_call {
	char *call;            /* "klp_shadow_get", ... */
	char *caller;          /* the module function that calls it; NULL unknown */
	int id_known;          /* a constant loaded right before the call */
	uint64_t id;
};

struct lp_patch {
	char *module;          /* modinfo name= (the sysfs patch name) */
	int livepatch_tag;     /* modinfo livepatch=Y */
	int replace;           /* klp_patch.replace */
	int found;             /* a struct klp_patch (or klp-build's sections) was recovered */
	enum lp_format format;
	int replace_seen;      /* klp-build: the init code's store of replace was read
				* (else replace is klp-build's default, 1) */
	struct lp_object *objs;
	size_t nobjs;
	struct lp_klpsym *klpsyms;
	size_t nklpsyms;
	struct lp_shadow_call *shadow_calls;
	size_t nshadow_calls;
};

/* Fill p from the module at path. Returns 0, or -1 with a reason in err. A
 * module in which no struct klp_patch is found is not an error here (p->found
 * is 0): the caller says it is not a live patch. */
int patchelf__read(const char *path, struct lp_patch *p, char *err, size_t errlen);
/* The same on a module image in memory (the fuzzer's entry point). */
int patchelf__read_mem(const void *buf, size_t len, struct lp_patch *p, char *err,
		       size_t errlen);
const char *lp_format__name(enum lp_format f);
void lp_patch__free(struct lp_patch *p);

#endif
