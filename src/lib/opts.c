// SPDX-License-Identifier: GPL-2.0
/* The option-table parser and help printer (lib/opts.h). No getopt: its
 * global state (optind, the ordering mode it keeps from the first call)
 * made options after operands fail in one command and not in the next. */
#include "lib/opts.h"
#include "lib/util.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Where option texts start in --help: "  -d, --delay SECONDS" fits before. */
#define HELP_COLUMN 26

struct found {
	const struct opt *o;
	const struct opt_group *g;
};

struct parser {
	const struct opt_spec *spec;
	const struct opt_group *groups;
	size_t ngroups;
	struct opts_result *res;
	int failed;       /* res->err is set: from now on only flags are applied */
};

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->res->err, sizeof(p->res->err), fmt, ap);
	va_end(ap);
}

/* ---- looking options up ----------------------------------------------------- */

static int find_letter(const struct opt_group *groups, size_t n, char c, struct found *f)
{
	for (size_t i = 0; i < n; i++)
		for (const struct opt *o = groups[i].opts; o->type != OPT_END; o++)
			if (o->letter == c) {
				*f = (struct found){ o, &groups[i] };
				return 1;
			}
	return 0;
}

/* An exact name, or a prefix of exactly one. Returns 1 found, 0 unknown, -1
 * ambiguous (cands lists the candidates). */
static int find_name(const struct opt_group *groups, size_t n, const char *name, size_t len,
		     struct found *f, char *cands, size_t clen)
{
	int matches = 0;
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		for (const struct opt *o = groups[i].opts; o->type != OPT_END; o++) {
			if (!o->name || strncmp(o->name, name, len))
				continue;
			if (!o->name[len]) {
				*f = (struct found){ o, &groups[i] };
				return 1;
			}
			if (!matches++)
				*f = (struct found){ o, &groups[i] };
			if (cands && used < clen)
				used += (size_t)snprintf(cands + used, clen - used, "%s--%s",
							 used ? ", " : "", o->name);
		}
	return matches == 1 ? 1 : matches ? -1 : 0;
}

const struct opt *opts__lookup(const struct opt_group *groups, size_t ngroups, const char *a)
{
	struct found f;

	if (a[0] != '-' || !a[1])
		return NULL;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');

		return find_name(groups, ngroups, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2),
				 &f, NULL, 0) == 1 ? f.o : NULL;
	}
	return find_letter(groups, ngroups, a[1], &f) ? f.o : NULL;
}

/* ---- values ------------------------------------------------------------------ */

/* 86400, 0.05, 1e-3: whole numbers without a fraction or an exponent. */
static const char *num(double v, char *buf, size_t len)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%g", v);
	return buf;
}

static void set_seconds(struct parser *p, const struct opt *o, const char *shown,
			const char *arg, double *out)
{
	char lo[32], hi[32];
	double v;

	if (parse_double(arg, &v) || !isfinite(v) || v < o->min || v > o->max || strchr(arg, '\n'))
		fail(p, "%s wants seconds from %s to %s, not '%s'", shown,
		     num(o->min, lo, sizeof(lo)), num(o->max, hi, sizeof(hi)), arg);
	else
		*out = v;
}

static void set_number(struct parser *p, const struct opt *o, const char *shown,
		       const char *arg, long *out)
{
	long v;

	if (!parse_long(arg, &v) && v >= (long)o->min && (o->max >= (double)LONG_MAX ||
							  v <= (long)o->max) && !strchr(arg, '\n'))
		*out = v;
	else if (o->max >= (double)LONG_MAX)
		fail(p, "%s wants a whole number of at least %ld, not '%s'", shown, (long)o->min, arg);
	else
		fail(p, "%s wants a whole number from %ld to %ld, not '%s'", shown, (long)o->min,
		     (long)o->max, arg);
}

static void set_choice(struct parser *p, const struct opt *o, const char *shown,
		       const char *arg, int *out)
{
	char names[256];
	size_t used = 0;

	for (const struct opt_choice *c = o->choices; c->name; c++)
		if (!strcmp(c->name, arg)) {
			*out = c->value;
			return;
		}
	names[0] = '\0';
	for (const struct opt_choice *c = o->choices; c->name && used < sizeof(names); c++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
					 used ? ", " : "", c->name);
	fail(p, "%s wants one of %s, not '%s'", shown, names, arg);
}

/* Apply one option. Returns 1 when the parse ends here (--help). */
static int use(struct parser *p, const struct found *f, const char *shown, const char *arg)
{
	const struct opt *o = f->o;
	char *at = f->g->cfg ? (char *)f->g->cfg + o->offset : NULL;
	char err[OPTS_ERR_LEN];
	int rc;

	switch (o->type) {
	case OPT_SET:
	case OPT_CLEAR:
		*(int *)at = o->type == OPT_SET;
		return 0;
	case OPT_MOVED:
		fail(p, "%s is now %s", shown, o->help);
		return 0;
	default:
		break;
	}
	if (p->failed)
		return 0; /* nothing with a value (or a side effect) after a problem */
	switch (o->type) {
	case OPT_STRING: *(const char **)at = arg; break;
	case OPT_SECONDS: set_seconds(p, o, shown, arg, (double *)at); break;
	case OPT_NUMBER: set_number(p, o, shown, arg, (long *)at); break;
	case OPT_CHOICE: set_choice(p, o, shown, arg, (int *)at); break;
	case OPT_HELP:
		opts__print_help(p->spec, p->groups, p->ngroups, stdout);
		p->res->help = 1;
		return 1;
	case OPT_CALL:
		err[0] = '\0';
		rc = o->call(f->g->cfg, arg, err, sizeof(err));
		if (rc < 0)
			fail(p, "%s", err[0] ? err : "bad option");
		return rc == OPT_CALL_DONE;
	default:
		break;
	}
	return 0;
}

/* ---- words ------------------------------------------------------------------- */

static void operand(struct parser *p, char *a, int *only_operands)
{
	p->res->operands[p->res->noperands++] = a;
	if (p->spec->operands_end_options)
		*only_operands = 1;
}

/* "--name", "--name=VALUE", "--name VALUE". */
static int long_option(struct parser *p, int argc, char **argv, int *i, int *only_operands)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	char cands[256] = "", shown[80];
	struct found f;
	int r = find_name(p->groups, p->ngroups, a, len, &f, cands, sizeof(cands));

	if (r == 0 && p->spec->unknown_ends_options) {
		operand(p, argv[*i], only_operands);
		*only_operands = 1;
		return 0;
	}
	if (r == 0) {
		fail(p, "unknown option '--%.*s'", (int)len, a);
		return 0;
	}
	if (r < 0) {
		fail(p, "option '--%.*s' is ambiguous: %s", (int)len, a, cands);
		return 0;
	}
	snprintf(shown, sizeof(shown), "--%s", f.o->name);
	if (!f.o->arg) {
		if (eq) {
			fail(p, "%s takes no value", shown);
			return 0;
		}
		return use(p, &f, shown, NULL);
	}
	if (eq)
		return use(p, &f, shown, eq + 1);
	if (*i + 1 >= argc) {
		fail(p, "%s needs %s", shown, f.o->arg);
		return 0;
	}
	return use(p, &f, shown, argv[++*i]);
}

/* Does every letter of the cluster name an option (up to one that takes the
 * rest of the word as its value)? */
static int cluster_known(struct parser *p, const char *a)
{
	struct found f;

	for (size_t k = 1; a[k]; k++) {
		if (!find_letter(p->groups, p->ngroups, a[k], &f))
			return 0;
		if (f.o->arg)
			return 1;
	}
	return 1;
}

/* "-S", "-Sj", "-d5", "-d 5". */
static int short_options(struct parser *p, int argc, char **argv, int *i, int *only_operands)
{
	const char *a = argv[*i];

	if (p->spec->unknown_ends_options && !cluster_known(p, a)) {
		operand(p, argv[*i], only_operands);
		*only_operands = 1;
		return 0;
	}
	for (size_t k = 1; a[k]; k++) {
		char shown[3] = { '-', a[k], '\0' };
		struct found f;

		if (!find_letter(p->groups, p->ngroups, a[k], &f)) {
			fail(p, "unknown option '-%c'", a[k]);
			continue;
		}
		if (!f.o->arg) {
			if (use(p, &f, shown, NULL))
				return 1;
			continue;
		}
		if (a[k + 1])
			return use(p, &f, shown, a + k + 1);
		if (*i + 1 >= argc) {
			fail(p, "%s needs %s", shown, f.o->arg);
			return 0;
		}
		return use(p, &f, shown, argv[++*i]);
	}
	return 0;
}

static void check_operands(struct parser *p)
{
	const struct opt_spec *s = p->spec;
	const struct opts_result *r = p->res;

	if (r->noperands < s->min_operands)
		fail(p, "missing %s", s->operand ? s->operand : "argument");
	else if (s->max_operands >= 0 && r->noperands > s->max_operands)
		fail(p, "unexpected argument '%s'", r->operands[s->max_operands]);
}

int opts__parse(const struct opt_spec *spec, const struct opt_group *groups, size_t ngroups,
		int argc, char **argv, struct opts_result *res)
{
	struct parser p = { .spec = spec, .groups = groups, .ngroups = ngroups, .res = res };
	int only_operands = 0;

	memset(res, 0, sizeof(*res));
	res->operands = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(*res->operands));
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		int done;

		if (only_operands || a[0] != '-' || !a[1]) {
			operand(&p, a, &only_operands);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_operands = 1;
			continue;
		}
		done = a[1] == '-' ? long_option(&p, argc, argv, &i, &only_operands)
				   : short_options(&p, argc, argv, &i, &only_operands);
		if (done)
			return 1;
	}
	check_operands(&p);
	return p.failed ? -1 : 0;
}

void opts_result__free(struct opts_result *res)
{
	free(res->operands);
	res->operands = NULL;
	res->noperands = 0;
}

/* ---- help -------------------------------------------------------------------- */

/* text, its "\n"-separated lines after the first indented to column col. */
static void print_indented(FILE *f, const char *text, int col)
{
	for (const char *s = text; *s; s++) {
		fputc(*s, f);
		if (*s == '\n' && s[1])
			fprintf(f, "%*s", col, "");
	}
	fputc('\n', f);
}

static void print_option(const struct opt *o, FILE *f)
{
	char left[128];
	int n;

	if (o->letter && o->name)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->letter, o->name);
	else if (o->letter)
		n = snprintf(left, sizeof(left), "-%c", o->letter);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg)
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
	n = fprintf(f, "  %s", left);
	if (n + 2 > HELP_COLUMN) {
		fputc('\n', f);
		n = 0;
	}
	fprintf(f, "%*s", HELP_COLUMN - n, "");
	print_indented(f, o->help, HELP_COLUMN);
}

void opts__print_group(const struct opt_group *g, FILE *f)
{
	for (const struct opt *o = g->opts; o->type != OPT_END; o++)
		if (o->help && o->type != OPT_MOVED)
			print_option(o, f);
}

static int group_listed(const struct opt_group *g)
{
	for (const struct opt *o = g->opts; o->type != OPT_END; o++)
		if (o->help && o->type != OPT_MOVED)
			return 1;
	return 0;
}

void opts__print_help(const struct opt_spec *spec, const struct opt_group *groups,
		      size_t ngroups, FILE *f)
{
	fputs("Usage: ", f);
	print_indented(f, spec->usage, 7);
	if (spec->about)
		fprintf(f, "\n%s", spec->about);
	for (size_t i = 0; i < ngroups; i++) {
		if (!group_listed(&groups[i]))
			continue;
		fprintf(f, "\n%s:\n", groups[i].title);
		opts__print_group(&groups[i], f);
	}
	if (spec->epilog)
		fprintf(f, "\n%s", spec->epilog);
}
