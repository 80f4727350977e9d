/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klptop check: a live patch's targets judged against the running kernel
 * (kallsyms, ftrace's available_filter_functions, loaded modules) before the
 * patch is loaded. The judging works on texts, so tests feed it fixtures.
 */
#ifndef KLPTOP_CHECK_H
#define KLPTOP_CHECK_H

#include "lib/exitcode.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

struct ksyms;

enum check_sev { CHECK_INFO, CHECK_WARNING, CHECK_ERROR };

/* A kernel symbol a finding is about (an occurrence, a clone, a sibling). */
struct check_sym {
	char *name;
	char *module;          /* NULL: vmlinux */
	uint64_t addr;
	char type;
	unsigned long sympos;  /* its position among equal names, 0 if n/a */
	int selected;          /* the occurrence the patch's old_sympos picks */
	int traceable;         /* -1 unknown */
	char *coverage;        /* siblings: "patched", "via NAME", "no"; else NULL */
};

/* Another hook on a function, and what the patch does to it (conflicts.c). */
struct check_hook {
	const char *kind;      /* hook_kind__name(): "kprobe", "bpf_fentry", ... */
	char *function;
	char *module;          /* NULL: vmlinux */
	uint64_t offset;       /* kprobes: into the function */
	int at_entry;          /* on the function's ftrace site */
	char *detail;          /* the kernel's words: trampoline, program and link ids */
	const char *effect;    /* "load_fails", "keeps_seeing_calls", "stops_seeing_calls" */
};

struct check_finding {
	enum check_sev sev;
	const char *code;      /* stable id, see docs/check.md */
	char *message;
	struct check_sym *syms;
	size_t nsyms;
	struct check_hook *hook;  /* hook findings only */
};

struct check_target {
	char *object;          /* NULL: vmlinux */
	char *name;
	char *new_name;        /* the patch's replacement function; NULL unknown */
	unsigned long sympos;
	int klpsym;            /* a .klp.sym relocation, not a replaced function */
	uint64_t addr;         /* what the kernel would resolve; 0 if none */
	struct check_finding *findings;
	size_t nfindings;
};

/* A shadow id the module passes to klp_shadow_* (shadowids.c). */
struct check_shadow_id {
	uint64_t id;
	char **calls;          /* "klp_shadow_alloc", "klp_shadow_get", ... */
	size_t ncalls;
	char **functions;      /* the module's functions that call them */
	size_t nfunctions;
	int64_t live;          /* shadows of this id alive on the host; -1 unknown */
};

/* Shadows alive on the host, per id (the shadow probes' scan). */
struct check_live_id {
	uint64_t id;
	int64_t live;
};

struct check_report {
	char *file;            /* the .ko, or NULL for --func */
	char *patch;           /* patch (module) name */
	const char *format;    /* lp_format__name(), NULL for --func */
	int replace;
	struct check_finding *findings;  /* about the patch as a whole */
	size_t nfindings;
	struct check_target *targets;
	size_t ntargets;
	struct check_shadow_id *shadow_ids;
	size_t nshadow_ids;
	unsigned int shadow_calls_not_constant;
	unsigned int errors, warnings, infos;
};

/* What the kernel offers; each text is owned (may be NULL: not readable). */
struct check_env;
struct check_env *check_env__new(char *kallsyms, char *filter_functions, char *modules);
void check_env__free(struct check_env *env);
struct hook_set;
struct patch_info;
/* Other hooks on functions (taken over) and whether BPF trampolines share a
 * function with an IP-modifying ftrace user on this kernel (-1 unknown). */
void check_env__set_hooks(struct check_env *env, struct hook_set *hs, int share_ipmodify);
/* The live patches loaded now (taken over, freed with the env). */
void check_env__set_patches(struct check_env *env, struct patch_info *p, size_t n);
/* Shadows alive per id (copied), or why they could not be read. */
void check_env__set_live_ids(struct check_env *env, const struct check_live_id *ids, size_t n,
			     const char *why_not);
const struct ksyms *check_env__ksyms(const struct check_env *env);

struct check_target *check_report__add_target(struct check_report *r, const char *object,
					      const char *name, unsigned long sympos, int klpsym);
struct lp_patch;
/* A module's patch: name, format, replace, every target and .klp.sym
 * relocation, and its shadow calls. */
void check_report__from_patch(struct check_report *r, const char *file, const struct lp_patch *p);
void check_report__add(struct check_report *r, enum check_sev sev, const char *code,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Judge every target; fills findings and the counts. */
void check__run(struct check_report *r, const struct check_env *env);
/* Only the conflicts with other hooks (klptop gate's preflight). */
void check__run_conflicts(struct check_report *r, const struct check_env *env);
/* The hook findings (effect NULL: all), as text lines after prefix, and as
 * a JSON array of { function, object, severity, code, message, hook }. */
void check_report__print_conflicts(const struct check_report *r, FILE *out, const char *prefix,
				   const char *effect);
json_object *check_report__conflicts_json(const struct check_report *r);
void check_report__free(struct check_report *r);
json_object *check_report__to_json(const struct check_report *r);
void check_report__print_text(const struct check_report *r, FILE *f);
/* EXIT_OK clean or info only, EXIT_WARNINGS warnings only, EXIT_ERROR errors
 * (lib/exitcode.h, docs/check.md). */
int check_report__exit_code(const struct check_report *r);
/* The stable id of a finding in JSON, and a severity's name. */
const char *check_sev__name(enum check_sev s);

#endif
