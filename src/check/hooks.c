// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's lists of hooks on functions (hooks.h), in their formats:
 *
 * debugfs kprobes/list (kernel/kprobes.c, report_probe), one probe a line:
 *     ffffffff8133b610  k  cmdline_proc_show+0x0    [FTRACE]
 *     ffffffffc0a01010  r  klpt_func_a+0x0  klpt_target  [DISABLED][FTRACE]
 * (the address is 0 without CAP_SYSLOG; the module is " " for vmlinux; a
 * probe whose symbol lookup failed is printed as %pS: "name+0x0/0x40 [mod]").
 *
 * tracefs enabled_functions (kernel/trace/ftrace.c, t_show), one record a
 * line, then continuation lines that start with a tab:
 *     cmdline_proc_show (1) R I   	tramp: 0xffffffffc0201000 (kprobe_ftrace_handler+0x0/0x1a0) ->...
 *     klpt_func_a [klpt_target] (2) R I D  	...
 *     	direct-->bpf_trampoline_6442506713+0x0/0x...
 * The letters after the count: R regs saved, I IP modified, D a direct
 * trampoline, O call ops, M modified; 6.1 prints R, I and D only.
 */
#include "check/hooks.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *hook_kind__name(enum hook_kind k)
{
	switch (k) {
	case HOOK_KPROBE: return "kprobe";
	case HOOK_KRETPROBE: return "kretprobe";
	case HOOK_FTRACE: return "ftrace";
	case HOOK_BPF_FENTRY: return "bpf_fentry";
	case HOOK_BPF_FEXIT: return "bpf_fexit";
	case HOOK_BPF_FMOD_RET: return "bpf_fmod_ret";
	}
	return "?";
}

int hook_kind__is_bpf(enum hook_kind k)
{
	return k == HOOK_BPF_FENTRY || k == HOOK_BPF_FEXIT || k == HOOK_BPF_FMOD_RET;
}

static struct hook *add(struct hook_set *hs, enum hook_kind kind, const char *func,
			size_t funclen, const char *module, size_t modlen)
{
	struct hook *h;

	hs->h = xrealloc(hs->h, (hs->n + 1) * sizeof(*hs->h));
	h = &hs->h[hs->n++];
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->func = strndup(func, funclen);
	if (!h->func)
		h->func = xstrdup("?");
	h->module = module && modlen ? strndup(module, modlen) : NULL;
	return h;
}

/* The next whitespace-separated word of *p: its start and length. */
static size_t word(const char **p, const char *end, const char **start)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*start = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *start);
}

/* "name+0xOFF" or "name+0xOFF/0xSIZE": the name's length and the offset. */
static size_t split_sym(const char *w, size_t len, uint64_t *off)
{
	const char *plus = memchr(w, '+', len);
	char buf[32];
	size_t n;

	*off = 0;
	if (!plus)
		return len;
	n = strcspn(plus + 1, "/ \t\n");
	if (n < sizeof(buf) && plus + 1 + n <= w + len) {
		memcpy(buf, plus + 1, n);
		buf[n] = '\0';
		*off = strtoull(buf, NULL, 16);
	}
	return (size_t)(plus - w);
}

static void parse_kprobe_line(struct hook_set *hs, const char *line, const char *end)
{
	const char *p = line, *w, *sym, *mod = NULL;
	size_t wl, syml, modl = 0;
	enum hook_kind kind;
	uint64_t off;
	struct hook *h;
	int ftrace = 0, disabled = 0;

	if (!word(&p, end, &w))
		return; /* the address */
	wl = word(&p, end, &w);
	if (wl != 1 || (*w != 'k' && *w != 'r'))
		return;
	kind = *w == 'r' ? HOOK_KRETPROBE : HOOK_KPROBE;
	syml = word(&p, end, &sym);
	if (!syml)
		return;
	syml = split_sym(sym, syml, &off);
	while ((wl = word(&p, end, &w))) {
		if (*w == '[') {
			/* "[mod]" after a %pS symbol, or the flags, run together */
			if (memmem(w, wl, "[FTRACE]", 8))
				ftrace = 1;
			if (memmem(w, wl, "[DISABLED]", 10) || memmem(w, wl, "[GONE]", 6))
				disabled = 1;
			if (!mod && wl > 2 && w[wl - 1] == ']' && isalpha((unsigned char)w[1]) &&
			    !memchr(w + 1, '[', wl - 1) &&
			    strncmp(w, "[OPTIMIZED]", wl) && strncmp(w, "[FTRACE]", wl) &&
			    strncmp(w, "[DISABLED]", wl) && strncmp(w, "[GONE]", wl)) {
				mod = w + 1;
				modl = wl - 2;
			}
		} else if (!mod) {
			mod = w;
			modl = wl;
		}
	}
	h = add(hs, kind, sym, syml, mod, modl);
	h->offset = off;
	h->ftrace = ftrace;
	h->disabled = disabled;
}

/* fn on each line of text, [line, end) without the newline. */
static void each_line(const char *text, void (*fn)(struct hook_set *, const char *, const char *),
		      struct hook_set *hs)
{
	while (*text) {
		const char *end = strchr(text, '\n');

		if (!end)
			end = text + strlen(text);
		fn(hs, text, end);
		text = *end ? end + 1 : end;
	}
}

void hooks__parse_kprobes(struct hook_set *hs, const char *text)
{
	if (!text)
		return;
	hs->have_kprobes = 1;
	each_line(text, parse_kprobe_line, hs);
}

/* Append a continuation (the trampoline text) to the last record. */
static void add_detail(struct hook *h, const char *s, const char *end)
{
	size_t old = h->detail ? strlen(h->detail) : 0, n;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	n = (size_t)(end - s);
	if (!n)
		return;
	h->detail = xrealloc(h->detail, old + n + 2);
	if (old)
		h->detail[old++] = ' ';
	memcpy(h->detail + old, s, n);
	h->detail[old + n] = '\0';
}

static struct hook *parse_ftrace_record(struct hook_set *hs, const char *line, const char *end)
{
	const char *p = line, *name, *w, *mod = NULL, *tab;
	size_t namel, wl, modl = 0;
	struct hook *h;

	namel = word(&p, end, &name);
	if (!namel)
		return NULL;
	wl = word(&p, end, &w);
	if (wl > 2 && *w == '[' && w[wl - 1] == ']') {
		mod = w + 1;
		modl = wl - 2;
		wl = word(&p, end, &w);
	}
	if (wl < 3 || *w != '(' || w[wl - 1] != ')')
		return NULL;
	h = add(hs, HOOK_FTRACE, name, namel, mod, modl);
	h->users = atoi(w + 1);
	/* the flag letters, up to the tab that starts the trampoline text */
	tab = memchr(p, '\t', (size_t)(end - p));
	while ((wl = word(&p, tab ? tab : end, &w))) {
		if (wl != 1)
			break;
		h->ipmodify |= *w == 'I';
		h->direct |= *w == 'D';
	}
	if (tab)
		add_detail(h, tab, end);
	return h;
}

/* A record line, or a continuation (a tab first) of the last record. */
static void parse_ftrace_line(struct hook_set *hs, const char *line, const char *end)
{
	struct hook *last = hs->n && hs->h[hs->n - 1].kind == HOOK_FTRACE ? &hs->h[hs->n - 1] : NULL;

	if (*line == '\t' || *line == ' ') {
		if (last)
			add_detail(last, line, end);
	} else {
		parse_ftrace_record(hs, line, end);
	}
}

void hooks__parse_ftrace(struct hook_set *hs, const char *text)
{
	if (!text)
		return;
	hs->have_ftrace = 1;
	each_line(text, parse_ftrace_line, hs);
}

void hooks__add_bpf(struct hook_set *hs, enum hook_kind kind, const char *func,
		    const char *module, uint32_t prog_id, const char *prog_name, uint32_t link_id)
{
	struct hook *h = add(hs, kind, func, strlen(func), module, module ? strlen(module) : 0);
	char buf[160];

	snprintf(buf, sizeof(buf), "prog %s (id %u), link %u", prog_name && *prog_name ?
		 prog_name : "?", prog_id, link_id);
	h->detail = xstrdup(buf);
	h->prog_id = prog_id;
	h->link_id = link_id;
	h->ftrace = 1; /* a trampoline sits on the ftrace site */
}

void hooks__free(struct hook_set *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->h[i].func);
		free(hs->h[i].module);
		free(hs->h[i].detail);
	}
	free(hs->h);
	free(hs->bpf_why_not);
	memset(hs, 0, sizeof(*hs));
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int hooks__next(const struct hook_set *hs, const char *func, const char *module, int *it)
{
	for (int i = *it + 1; i < (int)hs->n; i++) {
		if (!strcmp(hs->h[i].func, func) && same(hs->h[i].module, module)) {
			*it = i;
			return i;
		}
	}
	*it = (int)hs->n;
	return -1;
}
