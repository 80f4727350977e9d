/* SPDX-License-Identifier: GPL-2.0 */
/* The renderers of the report model (recording/report_model.h): text,
 * JSON and Chrome Trace Event JSON (docs/trace-format.md, "klptop report").
 * They only read the model. */
#ifndef KLPTOP_RENDER_REPORT_H
#define KLPTOP_RENDER_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "recording/report_model.h"

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_CHROME };
#define REPORT_PRETTY 0x1   /* indented JSON */
#define REPORT_REDACT 0x2   /* no kernel address in the output, whatever the file */

/* rp in format to out. Returns 0, or -1 when out reports an error. */
int report__write(const struct report *rp, enum report_format format, int flags, FILE *out);
/* The whole report of a recording: walk it, say on stderr where it
 * stops short (text only: JSON carries it), write it. Returns an EXIT_*
 * code. report__mem is the same over a buffer (tests, fuzzing). */
int report__run(struct recording *r, enum report_format format, int flags, FILE *out);
int report__mem(const char *name, const void *buf, size_t len, enum report_format format,
		int flags, FILE *out);

void report__print_text(const struct report *rp, FILE *f);
json_object *report__to_json(const struct report *rp);
json_object *report__to_chrome(const struct report *rp);
/* "sym+0xoff [module] <- ..." of at most max frames; NULL when n is 0. */
const char *frames__line(const struct stack_frame *f, size_t n, size_t max, char *buf,
			 size_t len);
/* How a task's story ended, for people: the model's switch name, or how
 * the end was inferred; NULL while it has not ended. */
const char *report_task__end(const struct report_task *t);

#endif
