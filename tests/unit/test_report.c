// SPDX-License-Identifier: GPL-2.0
/* The report's story of a transition, from the events a recording holds:
 * the cases the lab found told wrong (a reversal split in three, a recorder
 * that joined a running transition, every task after a reversal called a
 * straggler, a straggler's signal rounds read 0). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klptop/transition.h"
#include "recording/recfile.h"
#include "render/report.h"
#include "lib/util.h"

#define S(x) ((uint64_t)((x) * 1e9))

struct rec {
	struct rec_writer *w;
	uint64_t id;          /* transition_id of the events */
	const char *patch;    /* "" before a joined recorder learns it */
	int target;
};

static void header(struct rec *r)
{
	json_object *h = json_object_new_object();

	r->w = recfile__create_mem();
	assert_non_null(r->w);
	json_object_object_add(h, "kernel_release", json_object_new_string("6.1.0-99-amd64"));
	json_object_object_add(h, "start_monotonic_ns", json_object_new_int64(S(1)));
	json_object_object_add(h, "start_realtime_ns", json_object_new_int64(S(1e9)));
	assert_int_equal(recfile__write_json(r->w, REC_HEADER, h), 0);
	json_object_put(h);
}

static void event(struct rec *r, uint32_t type, double t, void (*fill)(struct klpt_event *))
{
	struct klpt_event e = { .type = type, .ts_ns = S(t), .transition_id = r->id,
				.target = r->target };

	copy_str(e.patch, sizeof(e.patch), r->patch);
	if (fill)
		fill(&e);
	assert_int_equal(recfile__add_event(r->w, REC_EV_TRANSITION, &e, sizeof(e)), 0);
}

static void signal_round(struct klpt_event *e) { e->signals = 1; e->checked = 50; e->busy = 1; }
static void plain_round(struct klpt_event *e) { e->checked = 50; e->busy = 1; }

static void spinner(struct klpt_event *e)
{
	e->pid = e->tid = 113;
	e->kthread = 0;
	e->how = KLPT_HOW_USER_EXIT;
	e->last_ret = -KLPT_EADDRINUSE;
	e->rounds_failed = 16;
	e->first_ns = S(2.2);
	copy_str(e->comm, sizeof(e->comm), "cat");
	copy_str(e->func, sizeof(e->func), "klpt_sleep_in");
}

/* A pending snapshot (status --json shape) at t. */
static void snapshot(struct rec *r, double t, const char *patch, const char *target,
		     const char *pending_json)
{
	char json[1024];

	if (patch)
		snprintf(json, sizeof(json),
			 "{\"source\":\"bpf\",\"patches\":[],\"transition\":{\"patch\":\"%s\","
			 "\"target\":\"%s\",\"tasks_total\":60,\"tasks_pending\":%d,"
			 "\"pending\":[%s]}}", patch, target, *pending_json ? 1 : 0, pending_json);
	else
		snprintf(json, sizeof(json), "{\"source\":\"bpf\",\"patches\":[],\"transition\":null}");
	assert_int_equal(recfile__write_snapshot(r->w, S(t), json), 0);
}

static char *report(struct rec *r, int format)
{
	const void *buf;
	char *out = NULL;
	size_t len, outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	assert_int_equal(recfile__flush_events(r->w), 0);
	buf = recfile__buffer(r->w, &len);
	assert_int_equal(report__mem("t.klp", buf, len, format, 0, f), 0);
	fclose(f);
	recfile__close(r->w);
	return out;
}

static void reversal_is_one_transition_that_turned(void **state)
{
	struct rec r = { .id = 1, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *trs, *t;
	char *txt;

	header(&r);
	event(&r, KLPT_EV_INIT, 2.0, NULL);
	event(&r, KLPT_EV_START, 2.1, NULL);
	for (int i = 0; i < 5; i++)
		event(&r, KLPT_EV_ROUND, 3.0 + i, plain_round);
	/* A reversal: the probes start a new epoch (transition_id 2), target 0;
	 * a snapshot then catches every task pending the other way. */
	r.id = 2;
	r.target = 0;
	event(&r, KLPT_EV_REVERSE, 8.5, NULL);
	snapshot(&r, 8.6, "klpt_lp_fix", "unpatched",
		 "{\"pid\":1,\"tid\":1,\"comm\":\"init\",\"kthread\":false,\"reason\":\"unknown\"}");
	event(&r, KLPT_EV_ROUND, 9.0, plain_round);
	event(&r, KLPT_EV_COMPLETE, 9.5, NULL);
	snapshot(&r, 10.0, NULL, NULL, "");
	txt = report(&r, 1);
	o = json_tokener_parse(txt);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "transitions", &trs));
	assert_int_equal(json_object_array_length(trs), 1);
	t = json_object_array_get_idx(trs, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(t, "target")), "unpatched");
	assert_string_equal(json_object_get_string(json_object_object_get(t, "outcome")), "reversed");
	/* init, caught pending by a snapshot before its first check after the
	 * reversal, held nothing up. */
	assert_null(strstr(txt, "\"init\""));
	json_object_put(o);
	free(txt);
}

static void joined_recorder_names_the_transition(void **state)
{
	/* Probes attached mid-transition know neither patch nor target until
	 * the first snapshot tells them. */
	struct rec r = { .id = 0, .patch = "", .target = 0 };
	char *txt;

	header(&r);
	event(&r, KLPT_EV_ROUND, 2.0, plain_round);
	snapshot(&r, 2.5, "klpt_lp_fix", "patched", "");
	r.patch = "klpt_lp_fix";
	r.target = 1;
	event(&r, KLPT_EV_ROUND, 3.0, plain_round);
	event(&r, KLPT_EV_FORCE, 3.5, NULL);
	event(&r, KLPT_EV_COMPLETE, 4.0, NULL);
	txt = report(&r, 0);
	assert_non_null(strstr(txt, "  klpt_lp_fix -> patched: start before the recording, end +3.0 s, "
				    "outcome forced"));
	assert_null(strstr(txt, "  -> "));           /* no nameless transition */
	assert_null(strstr(txt, "-> unpatched"));
	free(txt);
}

static void straggler_counts_the_signal_round_that_freed_it(void **state)
{
	struct rec r = { .id = 3, .patch = "klpt_lp_fix", .target = 1 };
	char *txt;

	header(&r);
	event(&r, KLPT_EV_INIT, 2.0, NULL);
	event(&r, KLPT_EV_START, 2.1, NULL);
	for (int i = 0; i < 15; i++)
		event(&r, KLPT_EV_ROUND, 3.0 + i, plain_round);
	event(&r, KLPT_EV_ROUND, 18.0, signal_round);
	/* The blocker record stopped at its last failed check, before the
	 * signal; it switched on its way back to user space. */
	event(&r, KLPT_EV_BLOCKER_SWITCHED, 18.1, spinner);
	event(&r, KLPT_EV_COMPLETE, 19.0, NULL);
	txt = report(&r, 0);
	assert_non_null(strstr(txt, "16 rounds, 1 signal rounds"));
	assert_non_null(strstr(txt, "  cat (pid 113 tid 113) held klpt_lp_fix: "));
	assert_non_null(strstr(txt, "16 failed rounds, 1 signal rounds seen"));
	assert_non_null(strstr(txt, "switched (user_exit) at"));
	free(txt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reversal_is_one_transition_that_turned),
		cmocka_unit_test(joined_recorder_names_the_transition),
		cmocka_unit_test(straggler_counts_the_signal_round_that_freed_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
