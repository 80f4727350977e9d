/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/kallsyms: kernel and module symbols, looked up by address (to
 * symbolize BPF stacks) and by name (to give /proc stacks their addresses and
 * to preflight patch targets). */
#ifndef KLPTOP_KALLSYMS_H
#define KLPTOP_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module; /* NULL for vmlinux */
	char type;          /* 't', 'T', 'd', ... as in /proc/kallsyms */
};

struct ksyms {
	struct ksym *syms;      /* sorted by address */
	size_t nsyms;
	struct ksym **by_name;  /* sorted by name, then module */
	char *text;             /* the file's contents; names point into it */
	int addrs_hidden;       /* every address read as 0 (kptr_restrict) */
};

/* Load and index a kallsyms file. NULL with errno set on failure. */
struct ksyms *ksyms__load(const char *path);
struct ksyms *ksyms__parse(char *text); /* takes ownership of text */
void ksyms__free(struct ksyms *ks);

struct stack_frame;
/* Symbolize raw kernel addresses into n frames (model/model.h). */
struct stack_frame *ksyms__frames(const struct ksyms *ks, const uint64_t *ips, size_t n);

/* The text symbol containing addr, or NULL; *off gets addr - sym->addr. */
const struct ksym *ksyms__find_addr(const struct ksyms *ks, uint64_t addr, uint64_t *off);
/* First symbol called name (in module, or vmlinux when module is NULL; any
 * object when module is "*"). */
const struct ksym *ksyms__find_name(const struct ksyms *ks, const char *name, const char *module);
/* How many symbols called name exist in one object (module NULL = vmlinux);
 * fills at most max of them, in address order, into out. */
size_t ksyms__count_name(const struct ksyms *ks, const char *name, const char *module,
			 const struct ksym **out, size_t max);
/* Symbols whose name starts with prefix, in one object as above, in name
 * order; fills at most max into out and returns how many exist. */
size_t ksyms__find_prefix(const struct ksyms *ks, const char *prefix, const char *module,
			  const struct ksym **out, size_t max);
int ksym_is_text(const struct ksym *s);

#endif
