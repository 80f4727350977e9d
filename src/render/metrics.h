/* SPDX-License-Identifier: GPL-2.0 */
/* The Prometheus text exposition of a snapshot (docs/metrics.md). */
#ifndef KLPTOP_METRICS_H
#define KLPTOP_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "model/model.h"

/* Content-Type of what metrics__render writes (text format 0.0.4). */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Write every metric family of s to f: "# HELP" and "# TYPE" once per
 * family, then its samples. Only known values are written (a patch whose
 * forced state is unknown has no klptop_patch_forced sample). Returns 0, or
 * -EIO when f reports a write error. */
int metrics__render(const struct snapshot *s, FILE *f);

/* What the sampler knows beyond the snapshot (the exporter passes it). */
struct metrics_extra {
	uint64_t transition_events_dropped;  /* transition ring buffer full */
	uint64_t blockers_dropped;           /* blocker map full */
	/* Rounds and transitions timed since start; NULL without the
	 * transition probes (their histograms are then absent). */
	const struct cost_totals *totals;
};
/* metrics__render, plus the samples of extra when it is not NULL. */
int metrics__render_ex(const struct snapshot *s, const struct metrics_extra *extra, FILE *f);
/* A label value as the text format wants it: backslash, double quote and
 * newline escaped as \\, \" and \n. */
void metrics__put_label_value(FILE *f, const char *v);

#endif
