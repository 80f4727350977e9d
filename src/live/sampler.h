/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live sampler: keeps BPF probes attached (when it can) and fills a fresh
 * snapshot on demand from sysfs, procfs and what the probes saw. The live
 * view, --batch, status and metrics all take their snapshots from here.
 */
#ifndef KLPTOP_SAMPLER_H
#define KLPTOP_SAMPLER_H

#include "live/sysfs.h"

struct sampler;
struct ksyms;
struct ksymtab;

struct sampler_opts {
	struct sys_paths paths; /* /sys and /proc (zero: the live system's) */
	const char *kallsyms;   /* NULL: /proc/kallsyms */
	int captured_tree;      /* paths name a captured tree (--root): no BPF */
	int no_bpf;       /* --no-bpf: procfs only */
	int with_stacks;  /* read pending tasks' stacks */
	int no_routing;   /* no call counters on patched functions */
	int shadows;      /* also open the shadow-variable probes (src/shadow.c) */
	int no_leaks;     /* ... without the free hooks (no leak detection) */
	int defer_shadows; /* ... opened by sampler__open_deferred() (the shadow
			    * probes take seconds to load under emulation: the
			    * live view's first frame does not wait for them) */
	unsigned int shadow_ring_kb;  /* shadow events ring buffer (0: default) */
};

/* Never fails for lack of BPF: it then falls back to procfs and says so in
 * every snapshot's probe_status. NULL only on a fatal error (printed). */
struct sampler *sampler__open(const struct sampler_opts *o);
void sampler__close(struct sampler *sm);
/* Open what opts.defer_shadows held back (once; nothing otherwise). */
void sampler__open_deferred(struct sampler *sm);
/* A file descriptor that becomes readable when BPF events arrive (-1 if
 * none): add it to the caller's poll set and call sampler__poll(). */
int sampler__event_fd(struct sampler *sm);
/* Consume pending events without blocking. Returns events handled. */
int sampler__poll(struct sampler *sm);
/* Fill s (initialised by the caller) with the current state. Returns EXIT_OK
 * or an EXIT_* code after printing the reason. */
int sampler__fill(struct sampler *sm, struct snapshot *s);
/* Wait (polling events) until the running transition has had `rounds` more
 * checks observed, or timeout_ms passed. Returns 1 if the rounds were seen. */
int sampler__wait_rounds(struct sampler *sm, unsigned int rounds, int timeout_ms);
/* A transition the caller saw in sysfs before the sampler opened (status
 * reads sysfs first): if it ends before a fill sees it, the fill's history
 * still tells it. NULL: none. */
void sampler__saw_transition(struct sampler *sm, const struct transition_info *tr);
/* The kernel symbols over time (live/kallsyms.h), refreshed at each fill. */
struct ksymtab *sampler__ksymtab(struct sampler *sm);
/* Kinds of raw events handed to an event sink. */
enum { SAMPLER_EV_TRANSITION = 1, SAMPLER_EV_SHADOW = 2 };
/* Hand every raw BPF event (struct klpt_event or klpt_shadow_event, as the
 * ring buffer delivered it) to fn as well, from sampler__poll(). */
void sampler__set_event_sink(struct sampler *sm,
			     void (*fn)(void *ctx, int kind, const void *data, size_t len),
			     void *ctx);
/* Lost events: transition ring buffer, blocker map (0 without BPF). */
void sampler__drops(struct sampler *sm, uint64_t *events, uint64_t *blockers);
/* Rounds and transitions timed since the sampler opened (model/cost.h);
 * NULL without the transition probes. */
const struct cost_totals *sampler__cost_totals(struct sampler *sm);
/* The shadow probes, NULL unless opts.shadows and BPF works. */
struct shadow_probe *sampler__shadow(struct sampler *sm);
/* The ips behind a stack reference of a raw event: a shadow stack id
 * (shadow) or a transition stack_key. Returns how many (0: unknown). */
size_t sampler__stack_ips(struct sampler *sm, int shadow, uint64_t key, uint64_t *ips,
			  size_t max);

#endif
