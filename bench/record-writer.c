// SPDX-License-Identifier: GPL-2.0
/* The recorder's write path alone: N transition events (one chunk each, as
 * record writes them) and a snapshot every K events, into FILE. Prints
 * events/s and bytes/event. Usage: record-writer FILE N K */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recfile.h"
#include "util.h"

#include "klptop/transition.h"

int main(int argc, char **argv)
{
	char err[256], *snap;
	struct rec_writer *w;
	struct klpt_event e;
	long n, k;
	uint64_t t0, t1, sbytes = 0;
	size_t off = 0;

	if (argc != 4 || parse_long(argv[2], &n) || parse_long(argv[3], &k) || n <= 0 || k <= 0) {
		fprintf(stderr, "usage: record-writer FILE N K\n");
		return 2;
	}
	w = recfile__create(argv[1], 1, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	recfile__write(w, REC_HEADER, NULL, 0, "{}", 2);
	/* A snapshot like the lab's: 40 pending tasks with stacks. */
	snap = xmalloc(1 << 20);
	off += (size_t)sprintf(snap, "{\"transition\":{\"patch\":\"klpt_lp_fix\",\"pending\":[");
	for (int i = 0; i < 40; i++)
		off += (size_t)sprintf(snap + off, "%s{\"tid\":%d,\"comm\":\"kworker/%d:1\",\"reason\":\"sleeping_on\","
				       "\"stack\":[{\"addr\":\"0xffffffff810c%04x\",\"symbol\":\"worker_thread\",\"offset\":%d},"
				       "{\"addr\":\"0xffffffff810b%04x\",\"symbol\":\"kthread\",\"offset\":232}]}",
				       i ? "," : "", 100 + i, i, i * 16, i, i * 8);
	sprintf(snap + off, "]}}");
	memset(&e, 0, sizeof(e));
	e.type = KLPT_EV_ROUND;
	copy_str(e.patch, sizeof(e.patch), "klpt_lp_fix");
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		e.ts_ns = now_ns();
		e.round = (uint32_t)i;
		recfile__write_event(w, REC_TRANS_EVENT, &e, sizeof(e));
		if (i % k == 0) {
			uint64_t before = recfile__bytes(w);

			recfile__write_snapshot(w, e.ts_ns, snap);
			sbytes += recfile__bytes(w) - before;
		}
	}
	t1 = now_ns();
	printf("events %ld\nevent_struct_bytes %zu\nbytes_per_event %zu\n"
	       "snapshot_json_bytes %zu\nsnapshot_chunk_bytes %llu\nevents_per_s %.0f\n",
	       n, sizeof(e), REC_CHUNK_HDR + 8 + sizeof(e), strlen(snap),
	       (unsigned long long)(sbytes / (uint64_t)((n + k - 1) / k)),
	       (double)n / ((double)(t1 - t0) / 1e9));
	free(snap);
	return recfile__close(w) ? 1 : 0;
}
