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

struct check_finding {
	enum check_sev sev;
	const char *code;      /* stable id, see docs/check.md */
	char *message;
	struct check_sym *syms;
	size_t nsyms;
};

struct check_target {
	char *object;          /* NULL: vmlinux */
	char *name;
	unsigned long sympos;
	int klpsym;            /* a .klp.sym relocation, not a replaced function */
	uint64_t addr;         /* what the kernel would resolve; 0 if none */
	struct check_finding *findings;
	size_t nfindings;
};

struct check_report {
	char *file;            /* the .ko, or NULL for --func */
	char *patch;           /* patch (module) name */
	int replace;
	struct check_finding *findings;  /* about the patch as a whole */
	size_t nfindings;
	struct check_target *targets;
	size_t ntargets;
	unsigned int errors, warnings, infos;
};

/* What the kernel offers; each text is owned (may be NULL: not readable). */
struct check_env;
struct check_env *check_env__new(char *kallsyms, char *filter_functions, char *modules);
void check_env__free(struct check_env *env);

void check_report__add_target(struct check_report *r, const char *object, const char *name,
			      unsigned long sympos, int klpsym);
void check_report__add(struct check_report *r, enum check_sev sev, const char *code,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Judge every target; fills findings and the counts. */
void check__run(struct check_report *r, const struct check_env *env);
void check_report__free(struct check_report *r);
json_object *check_report__to_json(const struct check_report *r);
void check_report__print_text(const struct check_report *r, FILE *f);
/* EXIT_OK clean or info only, EXIT_WARNINGS warnings only, EXIT_ERROR errors
 * (lib/exitcode.h, docs/check.md). */
int check_report__exit_code(const struct check_report *r);
/* The stable id of a finding in JSON, and a severity's name. */
const char *check_sev__name(enum check_sev s);

#endif
