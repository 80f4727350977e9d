/* SPDX-License-Identifier: GPL-2.0 */
/* The shadow-variable probes (bpf/shadow.bpf.c): loading them, the start-up
 * scan of klp_shadow_hash, live accounting (rates, growth slope, age) and the
 * de-duplicated leak reports that go into a snapshot. */
#ifndef KLPTOP_SHADOW_H_USER
#define KLPTOP_SHADOW_H_USER

#include <stdio.h>

#include "model/model.h"
#include "model/shadow_acct.h"

struct shadow_probe;
struct ksyms;

#define SHADOW_WINDOW_SAMPLES 10  /* samples the growth slope is fitted over */

struct shadow_opts {
	const char *kallsyms;  /* the kallsyms file to symbolize with */
	const char *sysfs;     /* "/sys": which modules are loaded */
	int no_leaks;   /* do not attach the free tracepoints */
	unsigned int ring_kb;  /* events ring buffer, KiB (0: 256; a power of two) */
};

/* Attaches what exists; NULL when BPF is unusable (ps->why_not says why,
 * kept as is if already set). Missing points are added to ps->missing. */
struct shadow_probe *shadow_probe__open(const struct shadow_opts *o, struct probe_status *ps,
					const struct ksyms *ks);
void shadow_probe__close(struct shadow_probe *sp);
int shadow_probe__event_fd(struct shadow_probe *sp);
int shadow_probe__poll(struct shadow_probe *sp);
/* Take one accounting sample now (rates and the slope window move on). */
void shadow_probe__sample(struct shadow_probe *sp);
/* Add s->shadows (s->patches must be filled: patch_gone uses them). */
void shadow_probe__fill(struct shadow_probe *sp, struct snapshot *s);
/* Every ring-buffer event is also handed to fn (klptop record), raw. */
void shadow_probe__set_sink(struct shadow_probe *sp,
			    void (*fn)(void *ctx, int kind, const void *data, size_t len), void *ctx);
/* Turn leak detection on or off at run time (the free hooks stay attached). */
void shadow_probe__set_detect(struct shadow_probe *sp, int on);

/* The ips of a shadow stack id (an event's alloc/free stack); 0 when unknown. */
size_t shadow_probe__stack_ips(struct shadow_probe *sp, int32_t id, uint64_t *ips, size_t max);

#endif
