// SPDX-License-Identifier: GPL-2.0
#include "live/kallsyms.h"
#include "lib/util.h"
#include "model/model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ksym_is_text(const struct ksym *s)
{
	return s->type == 't' || s->type == 'T' || s->type == 'w' || s->type == 'W';
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Prefer global names over local aliases at the same address. */
	return (x->type >= 'a') - (y->type >= 'a');
}

static int cmp_mod(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *x = *(struct ksym *const *)a, *y = *(struct ksym *const *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	c = cmp_mod(x->module, y->module);
	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One line: "ffffffffc0a01000 t name\t[module]". Returns 0 if parsed. */
static int parse_line(char *line, struct ksym *out)
{
	char *p = line, *end, *name, *mod = NULL;

	out->addr = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || !end[1] || end[2] != ' ')
		return -EINVAL;
	out->type = end[1];
	name = end + 3;
	p = strchr(name, '\t');
	if (p) {
		*p++ = '\0';
		if (*p == '[') {
			mod = p + 1;
			p = strchr(mod, ']');
			if (!p)
				return -EINVAL;
			*p = '\0';
		}
	}
	if (!*name)
		return -EINVAL;
	out->name = name;
	out->module = mod;
	return 0;
}

struct ksyms *ksyms__parse(char *text)
{
	struct ksyms *ks = xcalloc(1, sizeof(*ks));
	size_t cap = 0, i, nonzero = 0;
	char *line, *next;

	ks->text = text;
	for (line = text; line && *line; line = next) {
		struct ksym s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_line(line, &s))
			continue; /* tolerate odd lines rather than lose the rest */
		grow_array((void **)&ks->syms, &cap, ks->nsyms, sizeof(s));
		ks->syms[ks->nsyms++] = s;
		nonzero += s.addr != 0;
	}
	ks->addrs_hidden = ks->nsyms && !nonzero;
	qsort(ks->syms, ks->nsyms, sizeof(*ks->syms), cmp_addr);
	ks->by_name = xcalloc(ks->nsyms, sizeof(*ks->by_name));
	for (i = 0; i < ks->nsyms; i++)
		ks->by_name[i] = &ks->syms[i];
	qsort(ks->by_name, ks->nsyms, sizeof(*ks->by_name), cmp_name);
	return ks;
}

struct ksyms *ksyms__load(const char *path)
{
	char *text = read_all(path, NULL);

	if (!text)
		return NULL;
	return ksyms__parse(text);
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->by_name);
	free(ks->text);
	free(ks);
}

const struct ksym *ksyms__find_addr(const struct ksyms *ks, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = ks ? ks->nsyms : 0;
	const struct ksym *best = NULL;

	if (!ks || ks->addrs_hidden || !addr)
		return NULL;
	/* Last symbol with sym.addr <= addr, then back up to a text symbol. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0) {
		const struct ksym *s = &ks->syms[--lo];

		if (ksym_is_text(s)) {
			best = s;
			break;
		}
	}
	if (!best)
		return NULL;
	/* Several names can share an address: the sort put globals first. */
	while (best > ks->syms && best[-1].addr == best->addr && ksym_is_text(&best[-1]))
		best--;
	/* Do not attribute an address far beyond the last symbol of an area. */
	if (addr - best->addr > (1u << 20))
		return NULL;
	if (off)
		*off = addr - best->addr;
	return best;
}

static size_t lower_bound_name(const struct ksyms *ks, const char *name)
{
	size_t lo = 0, hi = ks->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ks->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int module_matches(const struct ksym *s, const char *module)
{
	if (module && !strcmp(module, "*"))
		return 1;
	return !cmp_mod(s->module, module);
}

size_t ksyms__count_name(const struct ksyms *ks, const char *name, const char *module,
			 const struct ksym **out, size_t max)
{
	size_t i, n = 0;

	if (!ks)
		return 0;
	for (i = lower_bound_name(ks, name); i < ks->nsyms; i++) {
		const struct ksym *s = ks->by_name[i];

		if (strcmp(s->name, name))
			break;
		if (!module_matches(s, module))
			continue;
		if (out && n < max)
			out[n] = s;
		n++;
	}
	return n;
}

size_t ksyms__find_prefix(const struct ksyms *ks, const char *prefix, const char *module,
			  const struct ksym **out, size_t max)
{
	size_t i, n = 0, len = strlen(prefix);

	if (!ks)
		return 0;
	/* Names sharing a prefix sort together, from the prefix's position. */
	for (i = lower_bound_name(ks, prefix); i < ks->nsyms; i++) {
		const struct ksym *s = ks->by_name[i];

		if (strncmp(s->name, prefix, len))
			break;
		if (!module_matches(s, module))
			continue;
		if (out && n < max)
			out[n] = s;
		n++;
	}
	return n;
}

const struct ksym *ksyms__find_name(const struct ksyms *ks, const char *name, const char *module)
{
	const struct ksym *s = NULL;

	if (ksyms__count_name(ks, name, module, &s, 1))
		return s;
	return NULL;
}

struct stack_frame *ksyms__frames(const struct ksyms *ks, const uint64_t *ips, size_t n)
{
	struct stack_frame *f = xcalloc(n, sizeof(*f));

	for (size_t i = 0; i < n; i++) {
		const struct ksym *sym = ksyms__find_addr(ks, ips[i], &f[i].offset);

		f[i].addr = ips[i];
		if (sym) {
			f[i].symbol = xstrdup(sym->name);
			f[i].module = sym->module ? xstrdup(sym->module) : NULL;
		}
	}
	return f;
}
