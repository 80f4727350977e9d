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
	int unnamed;         /* a frame no symbol covered (named again later) */
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

struct free_hooks;
struct bpf_map;
struct bpf_link;

/* A live patch as klptop saw it from sample to sample. */
struct patch_seen {
	char *name;
	uint64_t first_ns;       /* first seen in sysfs */
	int disabling;           /* seen in its own disable transition */
	int gone;                /* no longer in sysfs */
	char *successor;         /* gone while this newer patch was enabled */
};

struct shadow_probe {
	struct shadow_bpf *skel;
	struct free_hooks *hooks;    /* NULL without leak detection */
	struct ring_buffer *rb;
	struct bpf_link *live_iter, *ids_iter, *users_iter;  /* map dumps; NULL: syscalls */
	struct ksymtab *syms;        /* the sampler's: follows modules */
	struct stack_info *stacks[STACK_SLOTS];
	struct leak_table leaks;
	struct series *series;
	size_t nseries, capseries;
	struct id_prev *prev;
	size_t nprev, capprev;
	uint64_t prev_ns, start_ns;
	struct group_acc *groups;
	size_t ngroups, capgroups;
	struct patch_seen *seen;
	size_t nseen, capseen;
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
/* Everything one pass of a map dump iterator writes (*len bytes); NULL on error. */
void *shadow_probe__iter_read(struct bpf_link *link, size_t *len);
/* Every (key, value) of a small map, as its iterator writes them (the
 * dump structs: a key and a value), or read with map syscalls. *n of them. */
void *shadow_probe__dump(struct bpf_link *iter, const struct bpf_map *map, size_t *n);

/* shadow_users.c: who uses each id, and what became of each module. */
void shadow_probe__follow_patches(struct shadow_probe *sp, const struct snapshot *s);
void shadow_probe__free_patches(struct shadow_probe *sp);
enum shadow_patch_state shadow_probe__patch_state(struct shadow_probe *sp,
						  const struct snapshot *s, const char *module,
						  const char **successor);
void shadow_probe__fill_users(struct shadow_probe *sp, const struct snapshot *s,
			      struct shadow_snapshot *ss);

/* shadow_hooks.c: the free hooks, attached while owners need them. */
struct free_hooks *free_hooks__new(struct shadow_bpf *skel);
/* Before the start-up scan: no free of a shadow found there goes unseen. */
void free_hooks__attach_all(struct free_hooks *fh);
/* The thread that follows the owners from now on; < 0 on error. */
int free_hooks__start(struct free_hooks *fh);
void free_hooks__free(struct free_hooks *fh);
void free_hooks__read(struct free_hooks *fh, struct shadow_free_hooks *out);

/* shadow_fill.c */
/* The frames of a stack id captured at when_ns (0: unknown, now). */
struct stack_info *shadow_probe__stack(struct shadow_probe *sp, int32_t id, uint64_t when_ns);
void shadow_probe__free_stacks(struct shadow_probe *sp);
/* Drop the stacks with an unnamed frame: named again when next used. */
void shadow_probe__forget_unnamed(struct shadow_probe *sp);

#endif
