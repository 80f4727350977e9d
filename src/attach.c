// SPDX-License-Identifier: GPL-2.0
#include "attach.h"
#include "kallsyms.h"
#include "util.h"

#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

char *attach__filter_functions(void)
{
	char *t = read_all("/sys/kernel/tracing/available_filter_functions", NULL);

	return t ? t : read_all("/sys/kernel/debug/tracing/available_filter_functions", NULL);
}

/* A whole line "fn" or "fn [module]" of available_filter_functions. */
static int listed(const char *text, const char *fn)
{
	size_t n = strlen(fn);

	for (const char *p = text; (p = strstr(p, fn)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

int attach__kprobe_ok(const struct ksyms *ks, const char *filters, const char *fn)
{
	const struct ksym *s = ksyms__find_name(ks, fn, NULL);

	if (!s || !ksym_is_text(s))
		return 0;
	return !filters || listed(filters, fn);
}

const char *attach__kprobe_target(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	const char *slash = strchr(sec, '/');

	if (!slash || (strncmp(sec, "kprobe/", 7) && strncmp(sec, "kretprobe/", 10)))
		return NULL;
	return slash + 1;
}

void probe_status__add_missing(struct probe_status *ps, const char *what)
{
	ps->missing = xrealloc(ps->missing, (ps->nmissing + 1) * sizeof(*ps->missing));
	ps->missing[ps->nmissing++] = xstrdup(what);
}
