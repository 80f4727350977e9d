/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What else hooks kernel functions, as the kernel lists it: kprobes
 * (debugfs kprobes/list), ftrace users with their flags (tracefs
 * enabled_functions: R saves regs, I modifies the IP, D calls a direct
 * trampoline) and BPF trampoline programs attached through BPF links
 * (src/live/bpflinks.c). Parsing is pure, so tests feed it fixtures;
 * conflicts.c judges what each hook means for a patch.
 */
#ifndef KLPTOP_HOOKS_H
#define KLPTOP_HOOKS_H

#include <stddef.h>
#include <stdint.h>

enum hook_kind {
	HOOK_KPROBE,        /* kprobes/list "k" */
	HOOK_KRETPROBE,     /* kprobes/list "r" */
	HOOK_FTRACE,        /* an enabled_functions record (all its ftrace users) */
	HOOK_BPF_FENTRY,    /* BPF links of type tracing, by attach type */
	HOOK_BPF_FEXIT,
	HOOK_BPF_FMOD_RET,
};

struct hook {
	enum hook_kind kind;
	char *func;
	char *module;        /* NULL: vmlinux */
	uint64_t offset;     /* kprobes: into func */
	int ftrace;          /* kprobes: on the ftrace site ([FTRACE]), so at the entry */
	int disabled;        /* kprobes: [DISABLED] or [GONE] */
	int users;           /* ftrace: the record's count of ftrace_ops */
	int ipmodify;        /* ftrace: I */
	int direct;          /* ftrace: D */
	char *detail;        /* ftrace: the trampoline text; BPF: "prog NAME (id N), link M" */
	uint32_t prog_id, link_id;  /* BPF */
};

struct hook_set {
	struct hook *h;
	size_t n;
	int have_kprobes;    /* kprobes/list was read */
	int have_ftrace;     /* enabled_functions was read */
	int have_bpf;        /* BPF links were read */
	char *bpf_why_not;   /* why not (no permission, old kernel) */
};

/* Parse the texts (NULL: not readable); they stay owned by the caller. */
void hooks__parse_kprobes(struct hook_set *hs, const char *text);
void hooks__parse_ftrace(struct hook_set *hs, const char *text);
void hooks__add_bpf(struct hook_set *hs, enum hook_kind kind, const char *func,
		    const char *module, uint32_t prog_id, const char *prog_name, uint32_t link_id);
void hooks__free(struct hook_set *hs);
const char *hook_kind__name(enum hook_kind k);
int hook_kind__is_bpf(enum hook_kind k);
/* The hooks of one function: an index after *it, or -1 when done. */
int hooks__next(const struct hook_set *hs, const char *func, const char *module, int *it);

#endif
