/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the shadow probes' userspace half: the state shared by shadow.c
 * (attach, events, map reads) and shadow_fill.c (stacks, the model). */
#ifndef KLPTOP_LIVE_SHADOW_PROBE_H
#define KLPTOP_LIVE_SHADOW_PROBE_H

#include "live/shadow.h"

#define STACK_SLOTS 8192     /* max_entries of the sstacks map */
#define STACK_DEPTH 32
#define WALK_CHUNK 4096

/* A time series of live counts, for the growth slope. */
struct series {
	uint64_t id;
	char *module;        /* NULL: the per-id series */
	double t[SHADOW_WINDOW_SAMPLES], y[SHADOW_WINDOW_SAMPLES];
	unsigned int n;
	int seen;            /* present in the last sample */
};

struct stack_info {
	char *module;        /* first module frame: who asked */
	struct stack_frame *frames;
	size_t n;
};

struct id_prev {
	uint64_t id, allocs, frees;
	double allocs_per_s, frees_per_s;
};

struct group_acc {
	uint64_t id;
	const char *module;
	int64_t live, bytes;
	uint64_t oldest_ns;
};

struct shadow_probe {
	struct shadow_opts opts;
	struct shadow_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *live_iter, *ids_iter;  /* map dumps; NULL: map syscalls */
	struct ksyms *ks;            /* our own: reloaded when patches come */
	uint64_t ks_loaded_ns;
	struct stack_info *stacks[STACK_SLOTS];
	struct leak_table leaks;
	struct series *series;
	size_t nseries, capseries;
	struct id_prev *prev;
	size_t nprev, capprev;
	uint64_t prev_ns, start_ns;
	struct group_acc *groups;
	size_t ngroups, capgroups;
	int leak_detection;
	int scanned;
	char *scan_error;
	void (*sink)(void *ctx, int kind, const void *data, size_t len);
	void *sink_ctx;
};

/* shadow.c */
/* The live-count series of (id, module), module NULL: the id's own. */
struct series *shadow_probe__series(struct shadow_probe *sp, uint64_t id, const char *module);
/* The ids map: id and counters of every id (*n of them; caller frees). */
struct klpt_shadow_ids_dump *shadow_probe__read_ids(struct shadow_probe *sp, size_t *n);
/* Probe hits the kernel skipped, per program, into ss. */
void shadow_probe__read_missed(struct shadow_probe *sp, struct shadow_snapshot *ss);

/* shadow_fill.c */
struct stack_info *shadow_probe__stack(struct shadow_probe *sp, int32_t id);
void shadow_probe__free_stacks(struct shadow_probe *sp);

#endif
