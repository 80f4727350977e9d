// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the recording reader and all three reports on any
 * input. They must neither crash, nor leak, nor loop (make fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "recfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *null;
	struct rec_reader r;
	struct rec_chunk c;
	char *json;
	uint64_t ts;
	uint8_t ev[512];

	if (!null) {
		null = fopen("/dev/null", "w");
		log_level = -1;
	}
	if (recfile__open_mem(&r, data, len))
		return 0;
	while (recfile__next(&r, &c) == 1) {
		if (c.type == REC_SNAPSHOT && !recfile__snapshot(&c, &ts, &json))
			free(json);
		recfile__event(&c, ev, sizeof(ev));
	}
	for (int fmt = 0; fmt < 3; fmt++)
		report__mem("fuzz", data, len, fmt, 0, null);
	return 0;
}
