// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the recording reader (both format versions, the packed
 * event batches and their dictionaries) and all three reports, plain and
 * --redact, on any input. They must neither crash, nor leak, nor loop
 * (make fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "recording/recfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void count(void *ctx, const struct rec_event *e)
{
	*(uint64_t *)ctx += e->kind;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *null;
	struct rec_reader r;
	struct rec_chunk c;
	char *json;
	uint64_t ts;
	uint8_t ev[512];
	struct rec_dict *d;
	uint64_t n = 0;

	if (!null) {
		null = fopen("/dev/null", "w");
		log_level = -1;
	}
	if (recfile__open_mem(&r, data, len))
		return 0;
	d = recfile__dict_new();
	while (recfile__next(&r, &c) == 1) {
		if (c.type == REC_SNAPSHOT && !recfile__snapshot(&c, &ts, &json))
			free(json);
		if (c.type == REC_STRINGS || c.type == REC_STACKS)
			recfile__dict_add(d, &c);
		if (c.type == REC_EVENTS)
			recfile__events(&c, d, count, &n);
		recfile__event(&c, ev, sizeof(ev));
	}
	recfile__dict_free(d);
	for (int fmt = 0; fmt < 3; fmt++) {
		report__mem("fuzz", data, len, fmt, 0, null);
		report__mem("fuzz", data, len, fmt, REPORT_REDACT, null);
	}
	return 0;
}
