// SPDX-License-Identifier: GPL-2.0
/* Writing a report in its format, with --redact (render/report.h). */
#include "render/report.h"
#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>

static int write_format(const struct report *rp, enum report_format format, int flags,
			struct rec_pseudonyms *redact, FILE *out)
{
	json_object *o;

	if (format == REPORT_TEXT) {
		report__print_text(rp, out);
		return ferror(out) ? -1 : 0;
	}
	o = format == REPORT_JSON ? report__to_json(rp) : report__to_chrome(rp);
	/* Everything the report carries over from the file (header, metadata,
	 * the last shadow summary, drops) goes through the rules of
	 * record --redact: owners as obj#N, addresses as 0x0. */
	if (redact)
		recfile__redact_json(redact, o);
	fputs(json_object_to_json_string_ext(o, flags & REPORT_PRETTY ? JSON_C_TO_STRING_PRETTY
								     : JSON_C_TO_STRING_PLAIN), out);
	fputc('\n', out);
	json_object_put(o);
	return ferror(out) ? -1 : 0;
}

/* --redact: the JSON rules, then a last pass over the rendered text, so
 * that whatever a free-text field carried (a warning, a stack) cannot leak
 * an address. */
static int write_redacted(const struct report *rp, enum report_format format, int flags,
			  FILE *out)
{
	struct rec_pseudonyms *p = rec_pseudonyms__new();
	char *txt = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&txt, &len);
	int rc = -1;

	if (mem && !write_format(rp, format, flags, p, mem) && !fclose(mem)) {
		recfile__redact_text(txt);
		rc = fputs(txt, out) < 0 ? -1 : 0;
	} else if (mem) {
		fclose(mem);
	}
	free(txt);
	rec_pseudonyms__free(p);
	return rc;
}

int report__write(const struct report *rp, enum report_format format, int flags, FILE *out)
{
	if (flags & REPORT_REDACT)
		return write_redacted(rp, format, flags, out);
	return write_format(rp, format, flags, NULL, out);
}

int report__run(struct recording *r, enum report_format format, int flags, FILE *out)
{
	struct report rp;
	int rc = EXIT_OK;

	report__build(&rp, r);
	if (r->problem[0] && format == REPORT_TEXT)
		p_warn("%s: %s", r->name, r->problem);
	if (report__write(&rp, format, flags, out) || fflush(out) || ferror(out))
		rc = EXIT_ERROR;
	report__free(&rp);
	return rc;
}

int report__mem(const char *name, const void *buf, size_t len, enum report_format format,
		int flags, FILE *out)
{
	struct recording r;
	int rc = recording__open_mem(&r, "report", name, buf, len);

	if (rc == EXIT_OK)
		rc = report__run(&r, format, flags, out);
	recording__close(&r);
	return rc;
}
