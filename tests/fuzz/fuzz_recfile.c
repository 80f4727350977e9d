// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the one reader of recordings (both format versions,
 * the packed event batches and their dictionaries, the snapshots back into
 * the model), the report model with all three renderers, plain and
 * --redact, and every frame --replay would show, on any input. They must
 * neither crash, nor leak, nor loop (make fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "recording/replay.h"
#include "render/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void replay_every_frame(const uint8_t *data, size_t len)
{
	struct replay rp;

	if (replay__open_mem(&rp, "fuzz", data, len) == EXIT_OK) {
		for (size_t i = 0; i < rp.rec.nsnaps; i++) {
			struct snapshot s;

			snapshot__init(&s);
			replay__fill(&rp, i, &s);
			snapshot__free(&s);
		}
	}
	replay__close(&rp);
}

/* One model, every renderer. */
static void report_every_way(const uint8_t *data, size_t len, FILE *out)
{
	struct recording r;
	struct report rp;

	if (recording__open_mem(&r, "report", "fuzz", data, len) == EXIT_OK) {
		report__build(&rp, &r);
		for (int fmt = REPORT_TEXT; fmt <= REPORT_CHROME; fmt++) {
			report__write(&rp, fmt, 0, out);
			report__write(&rp, fmt, REPORT_REDACT, out);
		}
		report__free(&rp);
	}
	recording__close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *null;

	if (!null) {
		null = fopen("/dev/null", "w");
		log_level = -1;
	}
	report_every_way(data, len, null);
	replay_every_frame(data, len);
	return 0;
}
