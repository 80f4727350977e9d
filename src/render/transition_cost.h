/* SPDX-License-Identifier: GPL-2.0 */
/* What a transition costs (model/cost.h) as users read it: the JSON object
 * of status, report and recordings (docs/json.md, "cost"), and the two
 * lines that status, the live view and report print. */
#ifndef KLPTOP_RENDER_TRANSITION_COST_H
#define KLPTOP_RENDER_TRANSITION_COST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "model/model.h"

json_object *duration_hist__to_json(const struct duration_hist *h, enum hist_kind kind);
json_object *transition_cost__to_json(const struct transition_cost *c);
/* "12 rounds timed: mean 85us, max 1.2ms (round 3, 57 tasks), last 90us";
 * "" when no round was timed. */
const char *transition_cost__rounds_text(const struct transition_cost *c, char *buf,
					 size_t len);
/* "57 tasks", "1 task", or "checks not watched" (a round the checks of
 * which klptop did not watch: it saw none of them). */
const char *slow_round__tasks(const struct slow_round *r, char *buf, size_t len);
/* "round 45 took 6.5s, with klp_complete_transition (...)": the round that
 * completed the transition; NULL when none did. */
const char *transition_cost__completion_text(const struct transition_cost *c, char *buf,
					     size_t len);
/* "40 by the first round's check, 2 by later checks, 5 at exit to user
 * space, ...; of the tasks that failed a check: 3 switched (1 after a
 * signal round), 0 exited" from the cost and the counts by how (NULL:
 * not known). */
const char *transition_cost__switches_text(const struct transition_cost *c,
					   const uint64_t *switched, char *buf, size_t len);
/* "85us", "1.2ms", "3.4s", "2m05s": a duration that may be well under a
 * millisecond. */
const char *duration__text(uint64_t ns, char *buf, size_t len);

#endif
