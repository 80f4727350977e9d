/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a live patch module's own descriptors (struct klp_patch, its
 * klp_object and klp_func arrays) from the .ko file, without loading it:
 * what klptop check verifies against the running kernel.
 */
#ifndef KLPTOP_PATCHELF_H
#define KLPTOP_PATCHELF_H

#include <stddef.h>

struct lp_func {
	char *name;            /* klp_func.old_name */
	unsigned long sympos;  /* klp_func.old_sympos (0: must be unique) */
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

struct lp_patch {
	char *module;          /* modinfo name= (the sysfs patch name) */
	int livepatch_tag;     /* modinfo livepatch=Y */
	int replace;           /* klp_patch.replace */
	int found;             /* a struct klp_patch was recovered */
	struct lp_object *objs;
	size_t nobjs;
	struct lp_klpsym *klpsyms;
	size_t nklpsyms;
};

/* Fill p from the module at path. Returns 0, or -1 with a reason in err. A
 * module in which no struct klp_patch is found is not an error here (p->found
 * is 0): the caller says it is not a live patch. */
int patchelf__read(const char *path, struct lp_patch *p, char *err, size_t errlen);
void lp_patch__free(struct lp_patch *p);

#endif
