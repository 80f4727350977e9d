/* SPDX-License-Identifier: GPL-2.0 */
/* A snapshot chunk's JSON (the `klptop status --json` object, docs/json.md)
 * back into the model: the inverse of src/render/output.c. */
#ifndef KLPTOP_RECORDING_SNAPSHOT_JSON_H
#define KLPTOP_RECORDING_SNAPSHOT_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "model/model.h"

/* Fill s (initialised by snapshot__init) from one status JSON object.
 * Unknown keys are ignored and missing or mistyped ones read as unknown,
 * as docs/json.md promises readers. Times that the JSON only gives as
 * durations (transition elapsed, history durations) become start/end pairs
 * whose difference is the duration: only the difference means anything.
 * Returns 0, or -1 when o is not an object (err says why). */
int snapshot__from_json(struct snapshot *s, json_object *o, char *err, size_t errlen);
/* A transition's cost object (output.c's transition_cost__to_json). */
void transition_cost__from_json(struct transition_cost *c, json_object *o);

#endif
