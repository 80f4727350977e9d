/* SPDX-License-Identifier: GPL-2.0 */
/* Views of the snapshot model that are not the screen: JSON and plain text.
 * status, --batch and metrics all draw from here, so they cannot disagree. */
#ifndef KLPTOP_OUTPUT_H
#define KLPTOP_OUTPUT_H

#include <json-c/json.h>
#include <stdio.h>

#include "model/model.h"

json_object *snapshot__to_json(const struct snapshot *s);
/* SNAPSHOT_JSON_COMPACT, for recordings of big stalls: each pending task as
 * pid, tid, comm, rounds_failed and group only (the rest is its group's,
 * the reader fills it in), and the groups without tids. */
#define SNAPSHOT_JSON_COMPACT 0x1
json_object *snapshot__to_json_ex(const struct snapshot *s, int flags);
/* Print a JSON object followed by a newline; returns -errno on write error. */
int json__print(json_object *o, FILE *f, int pretty);
/* The "shadows" object of status --json and klptop shadow --json. */
json_object *shadow_snapshot__to_json(const struct shadow_snapshot *ss);
void snapshot__print_text(const struct snapshot *s, FILE *f, int with_stacks);
/* "0xffffffffc0a01000" (JSON numbers lose precision past 2^53). */
json_object *json_addr(unsigned long long addr);
/* A leak's owner as text: "0xffff8880..." or a redacted recording's "obj#N". */
const char *shadow_leak__owner(const struct shadow_leak *l, char *buf, size_t len);

/* Text summary of the leaks (klptop shadow on exit). */
void shadow_snapshot__print_leaks(const struct shadow_snapshot *ss, FILE *f);
/* klptop shadow's table of one interval: totals, the free hooks, per id and
 * per (id, module), and the ids whose ownership is in question. */
void shadow_snapshot__print_table(const struct shadow_snapshot *ss, FILE *f);

#endif
