/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A recording as every reader sees it: `report`, `--replay`, the fuzz
 * target and the tests. It is read whole (a file, stdin as "-", or memory),
 * its chunks are walked once in file order, and each is handed over in the
 * model's own terms: events decoded whatever the format version, snapshots
 * as struct snapshot (snapshot__from_json, the inverse of output.c), with
 * what a snapshot leaves unsaid taken from the file's header and metadata.
 * One reader, one vocabulary: the names are the model's tables.
 */
#ifndef KLPTOP_RECORDING_RECORDING_H
#define KLPTOP_RECORDING_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "model/model.h"
#include "recording/recfile.h"

struct recording_snap {
	uint64_t mono_ns;           /* CLOCK_MONOTONIC of the recorder */
	struct rec_chunk chunk;     /* points into the recording's buffer */
};

struct recording {
	char *name;                 /* as given, for messages */
	const uint8_t *buf;
	size_t len;
	void *owned;                /* the buffer, when the recording read it */
	uint32_t version, flags;    /* of the file header */
	/* The JSON chunks (NULL: absent). A second metadata chunk with a
	 * "trigger" key is the flight recorder's trigger. */
	json_object *header, *meta, *trigger, *drops, *end;
	uint64_t start_mono_ns, start_real_ns;   /* header clocks; 0 unknown */
	/* Filled by recording__walk. */
	struct recording_snap *snaps;   /* snapshots that decode, in order */
	size_t nsnaps, capsnaps;
	uint64_t chunks, transition_events, shadow_events, symbols;
	uint64_t bad_payloads;      /* chunks that passed their CRC but did not decode */
	uint64_t bad_json;          /* ... of them, JSON chunks (found at open) */
	size_t bad_snaps;           /* ... of them, snapshots */
	uint64_t type_bytes[REC_TYPE_MAX];   /* file bytes by chunk type, headers included */
	int complete;               /* ended with an end chunk */
	int cut;                    /* stopped at a cut or damaged chunk */
	char problem[200];          /* the reader's sentence, "" for a clean file */
	int probes_seen;            /* transition events prove the probes ran */
};

/* What a walk hands over, in file order; any callback may be NULL. The
 * snapshot is the caller's to read during the call only. */
struct recording_visitor {
	void (*event)(void *ctx, const struct rec_event *e, const struct rec_dict *d);
	void (*snapshot)(void *ctx, size_t index, uint64_t mono_ns, struct snapshot *s);
	void (*trigger)(void *ctx, const char *why, uint64_t mono_ns);
};

/* Read path ("-": stdin) whole. Returns EXIT_OK, or an EXIT_* code after
 * saying why in one line prefixed with who ("report", "replay"). */
int recording__open(struct recording *r, const char *who, const char *path);
/* The same over memory; buf must outlive r. */
int recording__open_mem(struct recording *r, const char *who, const char *name,
			const void *buf, size_t len);
void recording__close(struct recording *r);
/* Walk every chunk once, in file order, up to the first damaged one. */
void recording__walk(struct recording *r, const struct recording_visitor *v, void *ctx);
/* Fill s (snapshot__init'ed) from snapshot i of a walked recording.
 * Returns 0 or -1. */
int recording__snapshot(const struct recording *r, size_t i, struct snapshot *s);
/* Seconds from the start of the recording (its header's clock). */
double recording__rel_s(const struct recording *r, uint64_t mono_ns);
/* A string of the header chunk, NULL when absent. */
const char *recording__header_str(const struct recording *r, const char *key);

#endif
