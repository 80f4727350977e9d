// SPDX-License-Identifier: GPL-2.0
#include "live/kallsyms.h"
#include "lib/util.h"
#include "model/model.h"

#include <errno.h>
#include <stdio.h>
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
	ks->by_name = xcalloc(ks->nsyms ? ks->nsyms : 1, sizeof(*ks->by_name));
	if (!ks->nsyms)
		return ks; /* qsort may not be handed the NULL of an empty table */
	qsort(ks->syms, ks->nsyms, sizeof(*ks->syms), cmp_addr);
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

/* How far past its symbol code may reach. Pseudo-modules have no extent in
 * /proc/modules: an ftrace or kprobe trampoline is a page, a BPF program a
 * few pages; an address further on is in a module loaded after the read. */
static uint64_t pseudo_extent(const char *module)
{
	if (!module)
		return 1u << 20;
	if (!strcmp(module, "bpf"))
		return 64u << 10;
	if (!strncmp(module, "__builtin__", 11))
		return 4096;
	return 1u << 20;
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
	if (addr - best->addr > pseudo_extent(best->module))
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

/* ---- kernel symbols over time ---------------------------------------------------- */

#define LOOK_EVERY_NS 200000000ull      /* module list, at most */
#define RELOAD_ON_MISS_NS 1000000000ull /* kallsyms, for an unknown address */

/* One load of a module, as the module list showed it. */
struct kmod {
	char *name;
	uint64_t base, size;          /* [base, base + size): text at base, then the rest */
	uint64_t appeared_after_ns;   /* the last look that did not show it (0: at the first) */
	uint64_t gone_ns;             /* the first look that did not show it (0: loaded) */
	int livepatch;                /* tainted K: a live patch module */
	struct ksym *syms;            /* its text symbols, by address; names in text */
	size_t nsyms;
	char *text;
};

struct ksymtab {
	char *kallsyms_path, *modules_path;
	struct ksyms *ks;
	uint64_t ks_read_ns;
	char *modules_text;           /* the last module list read, to see a change */
	uint64_t looked_ns;
	int modules_readable;
	int missed;                   /* an address was not named: read again */
	uint64_t generation;          /* kallsyms reads */
	struct kmod *mods;
	size_t nmods, capmods;
	uint64_t (*clock)(void);
};

static uint64_t (*ksymtab_clock)(void) = now_ns;

static char *modules_path_of(const char *kallsyms_path)
{
	const char *slash = strrchr(kallsyms_path, '/');
	size_t dir = slash ? (size_t)(slash - kallsyms_path) + 1 : 0;
	char *p = xcalloc(1, dir + sizeof("modules"));

	memcpy(p, kallsyms_path, dir);
	strcpy(p + dir, "modules");
	return p;
}

/* Copy m's text symbols out of ks: they must outlive the next reload. */
static void kmod_take_syms(struct kmod *m, const struct ksyms *ks)
{
	size_t n = 0, len = 0, at = 0;

	for (size_t i = 0; i < ks->nsyms; i++)
		if (ks->syms[i].module && !strcmp(ks->syms[i].module, m->name) &&
		    ksym_is_text(&ks->syms[i])) {
			n++;
			len += strlen(ks->syms[i].name) + 1;
		}
	m->syms = xcalloc(n ? n : 1, sizeof(*m->syms));
	m->text = xcalloc(len + 1, 1);
	for (size_t i = 0; i < ks->nsyms; i++) {
		const struct ksym *s = &ks->syms[i];

		if (!s->module || strcmp(s->module, m->name) || !ksym_is_text(s))
			continue;
		m->syms[m->nsyms] = *s;
		m->syms[m->nsyms].name = strcpy(m->text + at, s->name);
		m->syms[m->nsyms].module = m->name;
		at += strlen(s->name) + 1;
		m->nsyms++;
	}
}

static void kmod_clear(struct kmod *m)
{
	free(m->name);
	free(m->syms);
	free(m->text);
}

/* One line of /proc/modules: "name size refs deps state 0xaddr [(taints)]";
 * a live patch module is tainted K. */
static int parse_module_line(const char *line, char *name, size_t len, uint64_t *size,
			     uint64_t *base, int *livepatch)
{
	char n[128], state[32], taints[32] = "";
	unsigned long long sz, addr;

	if (sscanf(line, "%127s %llu %*s %*s %31s %llx %31s", n, &sz, state, &addr, taints) < 4)
		return -1;
	snprintf(name, len, "%s", n);
	*size = sz;
	*base = addr;
	*livepatch = taints[0] == '(' && strchr(taints, 'K') != NULL;
	return 0;
}

static struct kmod *find_loaded(struct ksymtab *t, const char *name, uint64_t base)
{
	for (size_t i = 0; i < t->nmods; i++)
		if (!t->mods[i].gone_ns && t->mods[i].base == base &&
		    !strcmp(t->mods[i].name, name))
			return &t->mods[i];
	return NULL;
}

/* Loaded modules whose symbols the last read did not have yet (listed
 * while loading) take them from a newer one. */
static void take_missing_syms(struct ksymtab *t)
{
	for (size_t i = 0; t->ks && i < t->nmods; i++) {
		struct kmod *m = &t->mods[i];

		if (m->gone_ns || m->nsyms)
			continue;
		free(m->syms);
		free(m->text);
		kmod_take_syms(m, t->ks);
	}
}

static void reload_kallsyms(struct ksymtab *t, uint64_t now)
{
	struct ksyms *fresh = ksyms__load(t->kallsyms_path);

	t->ks_read_ns = now;
	if (!fresh)
		return;
	ksyms__free(t->ks);
	t->ks = fresh;
	t->generation++;
	take_missing_syms(t);
}

/* Compare the module list with what is known: new loads get an entry (and
 * their symbols after a reload), missing ones are marked gone. */
static void follow_modules(struct ksymtab *t, char *list, uint64_t now)
{
	size_t first_new = t->nmods;
	char *line, *next;

	for (size_t i = 0; i < t->nmods; i++)
		if (!t->mods[i].gone_ns)
			t->mods[i].gone_ns = now;   /* until seen below */
	for (line = list; line && *line; line = next) {
		char name[128];
		uint64_t size, base;
		struct kmod *m;
		int livepatch;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse_module_line(line, name, sizeof(name), &size, &base, &livepatch) || !base)
			continue;
		for (m = t->mods; m < t->mods + first_new; m++)
			if (m->gone_ns == now && m->base == base && !strcmp(m->name, name))
				break;
		if (m < t->mods + first_new) {
			m->gone_ns = 0;
			continue;
		}
		if (find_loaded(t, name, base))
			continue;   /* listed twice */
		grow_array((void **)&t->mods, &t->capmods, t->nmods, sizeof(*t->mods));
		m = &t->mods[t->nmods++];
		memset(m, 0, sizeof(*m));
		m->name = xstrdup(name);
		m->base = base;
		m->size = size;
		m->livepatch = livepatch;
		m->appeared_after_ns = t->looked_ns;
	}
	if (t->nmods == first_new)
		return;
	/* The first look reads the kallsyms of ksymtab__open. */
	if (t->looked_ns)
		reload_kallsyms(t, now);
	take_missing_syms(t);
}

static void look(struct ksymtab *t, uint64_t now)
{
	char *list = read_all(t->modules_path, NULL);

	if (!list) {
		t->looked_ns = now;
		return;
	}
	t->modules_readable = 1;
	if (t->modules_text && !strcmp(list, t->modules_text)) {
		free(list);
		t->looked_ns = now;
		return;
	}
	free(t->modules_text);
	t->modules_text = xstrdup(list);
	follow_modules(t, list, now);
	free(list);
	t->looked_ns = now;
}

struct ksymtab *ksymtab__open(const char *kallsyms_path)
{
	struct ksymtab *t = xcalloc(1, sizeof(*t));

	t->clock = ksymtab_clock;
	t->kallsyms_path = xstrdup(kallsyms_path);
	t->modules_path = modules_path_of(kallsyms_path);
	t->ks = ksyms__load(kallsyms_path);
	if (!t->ks) {
		int err = errno;

		ksymtab__free(t);
		errno = err;
		return NULL;
	}
	t->ks_read_ns = t->clock();
	look(t, t->ks_read_ns);
	return t;
}

void ksymtab__set_clock(uint64_t (*clock)(void))
{
	ksymtab_clock = clock ? clock : now_ns;
}

void ksymtab__free(struct ksymtab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nmods; i++)
		kmod_clear(&t->mods[i]);
	free(t->mods);
	ksyms__free(t->ks);
	free(t->modules_text);
	free(t->kallsyms_path);
	free(t->modules_path);
	free(t);
}

void ksymtab__refresh(struct ksymtab *t)
{
	uint64_t now, read_before;

	if (!t)
		return;
	now = t->clock();
	if (now - t->looked_ns >= LOOK_EVERY_NS) {
		read_before = t->ks_read_ns;
		look(t, now);
		/* An address no symbol named: a BPF program loaded since the
		 * read, or a module that came and went between two looks. Read
		 * again, at most once a second, unless the look just did. */
		if (t->missed && t->ks_read_ns == read_before && now - t->ks_read_ns >= RELOAD_ON_MISS_NS)
			reload_kallsyms(t, now);
	}
	if (t->ks_read_ns == now)
		t->missed = 0;
}

const struct ksyms *ksymtab__ksyms(const struct ksymtab *t)
{
	return t ? t->ks : NULL;
}

uint64_t ksymtab__generation(const struct ksymtab *t)
{
	return t ? t->generation : 0;
}

int ksymtab__module_loaded(const struct ksymtab *t, const char *name, int *livepatch)
{
	int seen = -1;

	if (livepatch)
		*livepatch = 0;
	if (!t || !t->modules_readable)
		return -1;
	for (size_t i = 0; i < t->nmods; i++) {
		if (strcmp(t->mods[i].name, name))
			continue;
		if (livepatch)
			*livepatch = t->mods[i].livepatch;
		if (!t->mods[i].gone_ns)
			return 1;
		seen = 0;
	}
	return seen;
}

static int kmod_alive_at(const struct kmod *m, uint64_t when)
{
	return m->appeared_after_ns < when && (!m->gone_ns || when < m->gone_ns);
}

/* The module that held addr at when: the closest base below addr wins
 * (since 6.4 a module's size counts its data too, which lies elsewhere),
 * then the latest load. */
static const struct kmod *module_at(const struct ksymtab *t, uint64_t addr, uint64_t when)
{
	const struct kmod *best = NULL;

	for (size_t i = 0; i < t->nmods; i++) {
		const struct kmod *m = &t->mods[i];

		if (addr < m->base || addr - m->base >= m->size || !kmod_alive_at(m, when))
			continue;
		if (!best || m->base > best->base ||
		    (m->base == best->base && m->appeared_after_ns > best->appeared_after_ns))
			best = m;
	}
	return best;
}

static int is_module_name(const struct ksymtab *t, const char *name)
{
	for (size_t i = 0; i < t->nmods; i++)
		if (!strcmp(t->mods[i].name, name))
			return 1;
	return 0;
}

static int in_any_module(const struct ksymtab *t, uint64_t addr)
{
	for (size_t i = 0; i < t->nmods; i++)
		if (addr >= t->mods[i].base && addr - t->mods[i].base < t->mods[i].size)
			return 1;
	return 0;
}

/* A symbol of the last kallsyms for an address in no module loaded at the
 * time: vmlinux and pseudo-modules ([bpf], [__builtin__ftrace]) are fine;
 * a real module's only near its symbol and outside every module's span
 * (its init text, which lives apart until init ends). */
static const struct ksym *outside_modules(const struct ksymtab *t, uint64_t addr, uint64_t *off)
{
	const struct ksym *s = ksyms__find_addr(t->ks, addr, off);

	if (!s || !s->module || !t->modules_readable || !is_module_name(t, s->module))
		return s;
	return !in_any_module(t, addr) && addr - s->addr < (64u << 10) ? s : NULL;
}

static const struct ksym *kmod_find(const struct kmod *m, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = m->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (off)
		*off = addr - m->syms[lo - 1].addr;
	return &m->syms[lo - 1];
}

const struct ksym *ksymtab__find_addr(struct ksymtab *t, uint64_t addr, uint64_t when_ns,
				      uint64_t *off)
{
	const struct kmod *m;
	const struct ksym *s;

	if (!t || !t->ks || !addr)
		return NULL;
	m = module_at(t, addr, when_ns ? when_ns : t->clock());
	s = m ? kmod_find(m, addr, off) : outside_modules(t, addr, off);
	if (!s)
		t->missed = 1;
	return s;
}

struct stack_frame *ksymtab__frames(struct ksymtab *t, const uint64_t *ips, size_t n,
				    uint64_t when_ns)
{
	struct stack_frame *f = xcalloc(n, sizeof(*f));

	for (size_t i = 0; i < n; i++) {
		const struct ksym *sym = ksymtab__find_addr(t, ips[i], when_ns, &f[i].offset);

		f[i].addr = ips[i];
		if (sym) {
			f[i].symbol = xstrdup(sym->name);
			f[i].module = sym->module ? xstrdup(sym->module) : NULL;
		} else {
			f[i].offset = 0;
		}
	}
	return f;
}
