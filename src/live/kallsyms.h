/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/kallsyms: kernel and module symbols, looked up by address (to
 * symbolize BPF stacks) and by name (to give /proc stacks their addresses and
 * to preflight patch targets); and a ksymtab, the same over time, which
 * follows modules as they load and unload. */
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

/* ---- kernel symbols over time ------------------------------------------------
 * A live patch loaded after klptop read kallsyms has no symbols there, and
 * its code would be named after whatever precedes it (an ftrace trampoline
 * of the pseudo-module __builtin__ftrace). A ksymtab follows /proc/modules
 * (next to the kallsyms file), reloads kallsyms when a module appears, keeps
 * each module's symbols once it is gone, and names an address after the
 * module that held it when the address was captured. */
struct ksymtab;

/* NULL with errno set when the kallsyms file cannot be read. */
struct ksymtab *ksymtab__open(const char *kallsyms_path);
void ksymtab__free(struct ksymtab *t);
/* Look at the module list again (at most every 200 ms; a read of a few
 * lines when nothing changed) and reload kallsyms when a module appeared,
 * or when an address went unnamed since (at most once a second). Call it
 * before symbolizing stacks that may be new. */
void ksymtab__refresh(struct ksymtab *t);
/* The text symbol at addr as it was at when_ns (CLOCK_MONOTONIC, the clock
 * of bpf_ktime_get_ns; 0: now), or NULL; *off gets addr - sym->addr. An
 * address in no module known to have been loaded then is not named. Never
 * reads a file: what it returns stays valid until the next refresh. */
const struct ksym *ksymtab__find_addr(struct ksymtab *t, uint64_t addr, uint64_t when_ns,
				      uint64_t *off);
/* The kallsyms read last, for lookups by name (NULL when unreadable). */
const struct ksyms *ksymtab__ksyms(const struct ksymtab *t);
/* How many times kallsyms was read again: names cached from an older read
 * may be stale (a module's, or an address named nothing then). */
uint64_t ksymtab__generation(const struct ksymtab *t);
/* ksyms__frames with the symbols of when_ns: the frames of a stack
 * captured then. */
struct stack_frame *ksymtab__frames(struct ksymtab *t, const uint64_t *ips, size_t n,
				    uint64_t when_ns);
/* 1: module loaded at the last look, 0: seen loaded and gone since,
 * -1: never seen (or the module list is unreadable). *livepatch (if not
 * NULL): it is a live patch module (tainted K), as last seen. */
int ksymtab__module_loaded(const struct ksymtab *t, const char *name, int *livepatch);
/* For tests: the clock of the tables opened from now on (NULL: the real
 * CLOCK_MONOTONIC). */
void ksymtab__set_clock(uint64_t (*clock)(void));

#endif
