/* SPDX-License-Identifier: GPL-2.0 */
/* Choosing attach points on the running kernel, never by its version: a
 * probe goes where the function exists (kallsyms: not inlined) and ftrace can
 * trace it (available_filter_functions); what is absent is reported. */
#ifndef KLPTOP_ATTACH_H
#define KLPTOP_ATTACH_H

#include "model/model.h"

struct bpf_program;
struct ksyms;

/* tracefs' available_filter_functions, or NULL when unreadable (then
 * kallsyms alone decides). */
char *attach__filter_functions(void);
/* Can an entry kprobe go on fn? */
int attach__kprobe_ok(const struct ksyms *ks, const char *filters, const char *fn);
/* The function a kprobe/kretprobe program names in its section, or NULL. */
const char *attach__kprobe_target(const struct bpf_program *p);
void probe_status__add_missing(struct probe_status *ps, const char *what);
/* Is point (a kernel function, "iter/task" or "perf_event") listed in
 * KLPTOP_DISABLE_ATTACH, to simulate a kernel without it? */
int attach__disabled(const char *point);
/* What a user loses without the attach point an entry of probes.missing
 * names; NULL when the entry says it itself. */
const char *attach__lost(const char *missing);
int probe_status__has_missing(const struct probe_status *ps, const char *what);
/* One warning on stderr per missing attach point, with what it costs. */
void probe_status__warn_missing(const struct probe_status *ps);

#endif
