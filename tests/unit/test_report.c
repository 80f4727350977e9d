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
#include "replay_frame.h"

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

/* A KLPT_EV_BLOCKER_SWITCHED of tid, which failed `rounds` checks from
 * `first` seconds on, the last with ret. */
static void blocker(struct klpt_event *e, int tid, int kthread, int how, int ret,
		    unsigned int rounds, double first, const char *comm)
{
	e->pid = e->tid = (uint32_t)tid;
	e->kthread = (uint32_t)kthread;
	e->how = (uint32_t)how;
	e->last_ret = ret;
	e->rounds_failed = rounds;
	e->first_ns = S(first);
	copy_str(e->comm, sizeof(e->comm), comm);
}

/* cat, asleep in klpt_sleep_in, freed at its exit to user space. */
static void spinner(struct klpt_event *e)
{
	blocker(e, 113, 0, KLPT_HOW_USER_EXIT, -KLPT_EADDRINUSE, 16, 2.2, "cat");
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

static json_object *jpath(json_object *o, const char *a, const char *b)
{
	json_object *x = json_object_object_get(o, a);

	return b ? json_object_object_get(x, b) : x;
}

/* A snapshot taken while the kernel finished a disable, written after the
 * probes' completion event, still shows the transition: it is the one that
 * ended, not a second one; a later real one (after the opposite) is new. */
static void late_snapshot_of_an_ended_transition(void **state)
{
	struct rec r = { .id = 6, .patch = "klpt_lp_fix", .target = 0 };
	json_object *o, *trs;
	char *txt;

	header(&r);
	event(&r, KLPT_EV_INIT, 2.0, NULL);
	event(&r, KLPT_EV_START, 2.1, NULL);
	event(&r, KLPT_EV_ROUND, 2.5, plain_round);
	event(&r, KLPT_EV_COMPLETE, 3.0, NULL);
	snapshot(&r, 3.2, "klpt_lp_fix", "unpatched", "");
	snapshot(&r, 4.2, NULL, NULL, NULL);
	txt = report(&r, 1);
	o = json_tokener_parse(txt);
	trs = jpath(o, "transitions", NULL);
	assert_int_equal(json_object_array_length(trs), 1);
	assert_string_equal(json_object_get_string(jpath(json_object_array_get_idx(trs, 0),
							 "outcome", NULL)), "completed");
	json_object_put(o);
	free(txt);
}

/* The kernel judged its stack unreliable at every check: the report counts
 * it under the model's own name, as status and the live view do. */
static void unreliable_stack_blockers_are_counted(void **state)
{
	struct rec r = { .id = 4, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *st;
	char *txt;

	header(&r);
	event(&r, KLPT_EV_INIT, 2.0, NULL);
	for (int i = 0; i < 3; i++) {
		event(&r, KLPT_EV_ROUND, 3.0 + i, plain_round);
		snapshot(&r, 3.1 + i, "klpt_lp_fix", "patched",
			 "{\"pid\":90,\"tid\":90,\"comm\":\"irqwalker\",\"kthread\":true,"
			 "\"reason\":\"unreliable_stack\",\"rounds_failed\":3}");
	}
	txt = report(&r, 0);
	assert_non_null(strstr(txt, "  irqwalker (pid 90 tid 90, kthread) held klpt_lp_fix: "));
	assert_non_null(strstr(txt, "reason unreliable_stack, 3 failed rounds"));
	assert_non_null(strstr(txt, "    reasons over 3 samples: unreliable_stack 3\n"));
	free(txt);

	header(&r);
	event(&r, KLPT_EV_INIT, 2.0, NULL);
	for (int i = 0; i < 3; i++)
		snapshot(&r, 3.1 + i, "klpt_lp_fix", "patched",
			 "{\"pid\":90,\"tid\":90,\"comm\":\"irqwalker\",\"kthread\":true,"
			 "\"reason\":\"unreliable_stack\",\"rounds_failed\":3}");
	txt = report(&r, 1);
	o = json_tokener_parse(txt);
	st = json_object_array_get_idx(jpath(o, "stragglers", NULL), 0);
	assert_string_equal(json_object_get_string(jpath(st, "reason", NULL)), "unreliable_stack");
	assert_int_equal(json_object_get_int(jpath(st, "reasons_seen", "unreliable_stack")), 3);
	assert_int_equal(json_object_get_int(jpath(st, "reasons_seen", "running")), 0);
	json_object_put(o);
	free(txt);
}

/* A snapshot whose one group says its task will never switch by itself. */
static void never_snapshot(struct rec *r, double t)
{
	static const char json[] =
		"{\"source\":\"bpf\",\"patches\":[],\"transition\":{\"patch\":\"klpt_lp_fix\","
		"\"target\":\"patched\",\"tasks_total\":60,\"tasks_pending\":1,"
		"\"pending\":[{\"pid\":77,\"tid\":77,\"comm\":\"klpt_poll\",\"kthread\":true,"
		"\"state\":\"R\",\"reason\":\"running\",\"rounds_failed\":4,"
		"\"never\":\"isolated_cpu\",\"group\":0}],"
		"\"groups\":[{\"count\":1,\"comm\":\"klpt_poll\",\"kthread\":true,\"state\":\"R\","
		"\"reason\":\"running\",\"verdict\":\"stuck\",\"never\":\"isolated_cpu\","
		"\"task\":{\"pid\":77,\"tid\":77,\"comm\":\"klpt_poll\",\"kthread\":true,"
		"\"never\":\"isolated_cpu\",\"verdict\":\"stuck\",\"verdict_text\":\"on CPU 3 at every check\","
		"\"help\":\"a forced transition (CPU 3 is isolated)\"}}]}}";

	assert_int_equal(recfile__write_snapshot(r->w, S(t), json), 0);
}

/* A recording of a task that will never switch: the report says so, and
 * what would switch it, as status said at the time. */
static void straggler_that_will_never_switch(void **state)
{
	struct rec r = { .id = 5, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *st;
	char *txt;

	for (int format = 0; format < 2; format++) {
		header(&r);
		event(&r, KLPT_EV_INIT, 2.0, NULL);
		event(&r, KLPT_EV_ROUND, 3.0, plain_round);
		never_snapshot(&r, 3.5);
		txt = report(&r, format);
		if (!format) {
			assert_non_null(strstr(txt, "    will never switch by itself (isolated_cpu): "
						    "needs a forced transition (CPU 3 is isolated)\n"));
		} else {
			o = json_tokener_parse(txt);
			st = json_object_array_get_idx(jpath(o, "stragglers", NULL), 0);
			assert_string_equal(json_object_get_string(jpath(st, "never", NULL)),
					    "isolated_cpu");
			assert_non_null(strstr(json_object_get_string(jpath(st, "help", NULL)),
					       "CPU 3 is isolated"));
			json_object_put(o);
		}
		free(txt);
	}
}

/* A stall as big hosts have them: BIG kthreads and BIG user threads asleep
 * in one function, and one spinner, in every snapshot. More tasks than the
 * report once followed (4,096). */
#define BIG 3000

static void big_stall_snapshot(struct rec *r, double t, unsigned int rounds)
{
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);

	fprintf(f, "{\"source\":\"bpf\",\"patches\":[],\"transition\":{\"patch\":\"klpt_lp_fix\","
		   "\"target\":\"patched\",\"tasks_total\":%d,\"tasks_pending\":%d,\"pending\":[",
		2 * BIG + 60, 2 * BIG + 1);
	for (int i = 0; i < 2 * BIG; i++)
		fprintf(f, "{\"pid\":%d,\"tid\":%d,\"comm\":\"%s\",\"kthread\":%s,\"state\":\"D\","
			   "\"reason\":\"sleeping_on\",\"function\":\"klpt_sleep_in\","
			   "\"rounds_failed\":%u,\"group\":%d},",
			i < BIG ? 10000 + i : 500, i < BIG ? 10000 + i : 20000 + i,
			i < BIG ? "klpt_sleep_d" : "threads", i < BIG ? "true" : "false", rounds,
			i < BIG ? 0 : 1);
	fprintf(f, "{\"pid\":113,\"tid\":113,\"comm\":\"cat\",\"kthread\":false,\"state\":\"R\","
		   "\"reason\":\"running\",\"rounds_failed\":%u,\"group\":2}],\"groups\":[", rounds);
	fprintf(f, "{\"count\":%d,\"comm\":\"klpt_sleep_d\",\"kthread\":true,\"state\":\"D\","
		   "\"reason\":\"sleeping_on\",\"function\":\"klpt_sleep_in\",\"verdict\":\"wait_for_return\","
		   "\"task\":{\"pid\":10000,\"tid\":10000,\"comm\":\"klpt_sleep_d\",\"kthread\":true,"
		   "\"stack\":[{\"symbol\":\"klpt_sleep_in\",\"offset\":47,\"module\":\"klpt_target\","
		   "\"marked\":true}]}},", BIG);
	fprintf(f, "{\"count\":%d,\"comm\":\"threads\",\"kthread\":false,\"state\":\"D\","
		   "\"reason\":\"sleeping_on\",\"function\":\"klpt_sleep_in\",\"verdict\":\"wait_for_return\","
		   "\"task\":{\"pid\":500,\"tid\":%d,\"comm\":\"threads\",\"kthread\":false}},",
		BIG, 20000 + BIG);
	fprintf(f, "{\"count\":1,\"comm\":\"cat\",\"kthread\":false,\"state\":\"R\","
		   "\"reason\":\"running\",\"verdict\":\"stuck\","
		   "\"task\":{\"pid\":113,\"tid\":113,\"comm\":\"cat\",\"kthread\":false}}]}}");
	fclose(f);
	assert_int_equal(recfile__write_snapshot(r->w, S(t), json), 0);
	free(json);
}

static size_t lines_from(const char *txt, const char *from, const char *to)
{
	const char *a = strstr(txt, from), *b = a ? strstr(a, to) : NULL;
	size_t n = 0;

	assert_non_null(b);
	for (; a < b; a++)
		n += *a == '\n';
	return n;
}

/* The report of a stall of 6,001 tasks: every one followed, told in three
 * rows (two groups with their counts, the spinner on its own), all tids in
 * the JSON. */
static void big_stall_is_a_few_rows(void **state)
{
	struct rec r = { .id = 9, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *groups, *g;
	char *txt;

	for (int format = 0; format < 2; format++) {
		header(&r);
		event(&r, KLPT_EV_INIT, 2.0, NULL);
		for (unsigned int i = 0; i < 3; i++) {
			event(&r, KLPT_EV_ROUND, 3.0 + i, plain_round);
			big_stall_snapshot(&r, 3.5 + i, i + 1);
		}
		event(&r, KLPT_EV_COMPLETE, 7.0, NULL);
		txt = report(&r, format);
		if (!format) {
			assert_non_null(strstr(txt, "\n  3000 x klpt_sleep_d (kthreads) held klpt_lp_fix: "
						    "blocked "));
			assert_non_null(strstr(txt, "blocked 3.5 s from +2.5 s, reason sleeping_on, "
						    "up to 3 failed rounds"));
			assert_non_null(strstr(txt, "\n    switched (not seen; gone by the end) at +6.0 s\n"));
			assert_non_null(strstr(txt, "\n    tids: 10000 10001 10002 10003 10004 10005 10006 "
						    "10007 ... (3000 tasks; all in --json)\n"));
			assert_non_null(strstr(txt, "\n  3000 x threads (user threads) held klpt_lp_fix: "));
			assert_non_null(strstr(txt, "\n    stack: klpt_sleep_in+0x2f [klpt_target]\n"));
			assert_non_null(strstr(txt, "\n  cat (pid 113 tid 113) held klpt_lp_fix: "));
			assert_null(strstr(txt, "beyond the"));
			/* A screenful, not 6,001 paragraphs. */
			assert_true(lines_from(txt, "\nStragglers:\n", "\nDrops") < 30);
		} else {
			o = json_tokener_parse(txt);
			assert_non_null(o);
			assert_int_equal(json_object_array_length(jpath(o, "stragglers", NULL)), 2 * BIG + 1);
			groups = jpath(o, "straggler_groups", NULL);
			assert_int_equal(json_object_array_length(groups), 3);
			g = json_object_array_get_idx(groups, 0);
			assert_int_equal(json_object_get_int(jpath(g, "count", NULL)), BIG);
			assert_int_equal(json_object_array_length(jpath(g, "tids", NULL)), BIG);
			assert_int_equal(json_object_get_int(jpath(g, "rounds_failed_max", NULL)), 3);
			g = json_object_array_get_idx(groups, 2);
			assert_int_equal(json_object_get_int(jpath(g, "count", NULL)), 1);
			assert_string_equal(json_object_get_string(jpath(g, "comm", NULL)), "cat");
			assert_int_equal(json_object_get_int(jpath(o, "tasks_untracked", NULL)), 0);
			json_object_put(o);
		}
		free(txt);
	}
}

/* Round numbers and durations as the round probe reports them. */
static unsigned int round_no;
static uint64_t round_ns;
static unsigned int round_switched;
static unsigned int signal_at;    /* the round that sends signals */

static void timed_round(struct klpt_event *e)
{
	e->round = ++round_no;
	e->round_ns = round_ns;
	e->checked = 60;
	e->switched = round_switched;
	e->busy = 1;
	e->signals = round_no == signal_at;
}

/* A round whose checks klptop did not watch: it saw none of them. */
static void unwatched_round(struct klpt_event *e)
{
	timed_round(e);
	e->checked = e->switched = e->busy = 0;
}

static void spinner_kthread(struct klpt_event *e)
{
	blocker(e, 77, 1, KLPT_HOW_STACK_CHECK, -KLPT_EBUSY, 6, 2.0, "klpt_spin");
}

/* The recording of stuck-spin: snapshots that carry the pending task but
 * not what the probes counted (no "observed", no verdict), and the events
 * that did count. */
static struct rec stuck_spin(void)
{
	struct rec r = { .id = 7, .patch = "klpt_lp_fix", .target = 1 };
	char task[256];

	header(&r);
	snapshot(&r, 0.5, NULL, NULL, "");
	event(&r, KLPT_EV_INIT, 1.0, NULL);
	event(&r, KLPT_EV_START, 1.0, NULL);
	round_no = 0;
	round_ns = 80000;
	round_switched = 0;
	signal_at = 2;
	for (int i = 2; i <= 6; i++) {
		event(&r, KLPT_EV_ROUND, i, timed_round);
		snprintf(task, sizeof(task), "{\"pid\":77,\"tid\":77,\"comm\":\"klpt_spin\","
			 "\"kthread\":true,\"state\":\"R\",\"reason\":\"running\","
			 "\"rounds_failed\":%d,\"checks_running\":%d,\"blocked_ns\":%llu,"
			 "\"signal_rounds_seen\":%d}",
			 i == 6 ? 6 : i - 1, i == 6 ? 6 : i - 1, (unsigned long long)S(i - 1.9), i >= 3);
		snapshot(&r, i + 0.1, "klpt_lp_fix", "patched", task);
	}
	event(&r, KLPT_EV_BLOCKER_SWITCHED, 6.5, spinner_kthread);
	event(&r, KLPT_EV_COMPLETE, 6.6, NULL);
	snapshot(&r, 7.0, NULL, NULL, "");
	return r;
}

/* One file, one story: what report says of the stall, the replayed frame
 * of the same moment shows (it used to show rounds -, RND -, VERDICT -
 * and no kernel, from snapshots alone). */
static void replay_tells_what_report_tells(void **state)
{
	struct rec r = stuck_spin();
	struct replay rp;
	const void *buf;
	size_t len;
	char *txt, *frame;

	assert_int_equal(recfile__flush_events(r.w), 0);
	buf = recfile__buffer(r.w, &len);
	txt = report(&(struct rec){ .w = r.w }, 0);
	if (!strstr(txt, "klpt_lp_fix -> patched: start +0.0 s, end +5.6 s, "))
		fail_msg("%s", txt);
	assert_non_null(strstr(txt, "; 5 rounds, 1 signal rounds\n"));
	assert_non_null(strstr(txt, "reason running, 6 failed rounds, 1 signal rounds seen"));
	free(txt);

	r = stuck_spin();
	assert_int_equal(recfile__flush_events(r.w), 0);
	buf = recfile__buffer(r.w, &len);
	assert_int_equal(replay__open_mem(&rp, "stuck.klp", buf, len), EXIT_OK);
	assert_int_equal(rp.rec.nsnaps, 7);
	frame = replay_frame(&rp, 5, 0);                    /* +6.1 s: still stuck */
	assert_non_null(strstr(frame, "klptop  6.1.0-99-amd64  livepatch yes"));
	assert_non_null(strstr(frame, "BPF on"));
	assert_non_null(strstr(frame, "rounds 5  signal rounds 1"));
	assert_non_null(strstr(frame, "elapsed 5.1s"));
	assert_non_null(strstr(frame, "kthread R running"));
	assert_non_null(strstr(frame, " 6 "));       /* RND */
	assert_non_null(strstr(frame, " stuck\n"));
	assert_null(strstr(frame, "BPF off"));
	free(frame);
	frame = replay_frame(&rp, 1, 0);                    /* +2.1 s: one round, watching */
	assert_non_null(strstr(frame, "rounds 1  signal rounds 0"));
	free(frame);
	replay__close(&rp);
	recfile__close(r.w);
}

/* What the transition cost: every round timed, the slowest named, the
 * switches by phase and their times, in text, JSON and the trace. */
static void report_tells_what_rounds_cost(void **state)
{
	struct rec r = { .id = 9, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *c;
	char *txt;

	for (int fmt = 0; fmt < 3; fmt++) {
		header(&r);
		event(&r, KLPT_EV_INIT, 1.0, NULL);
		round_no = 0;
		signal_at = 16;
		for (int i = 0; i < 20; i++) {
			/* 38 tasks switch at the first round's check, one at the
			 * 10th; round 7 holds tasklist_lock for 40 ms. */
			round_ns = i == 6 ? 40000000 : 100000 + 1000 * (uint64_t)i;
			round_switched = i == 0 ? 38 : i == 9 ? 1 : 0;
			event(&r, KLPT_EV_ROUND, 1.001 + i, timed_round);
		}
		/* Freed by the signal round (16), at its exit to user space. */
		event(&r, KLPT_EV_BLOCKER_SWITCHED, 16.2, spinner);
		/* The round that completes runs klp_complete_transition (its
		 * return is KLPT_EV_COMPLETE, inside the round): 3 ms of RCU
		 * waits are no walk under tasklist_lock. */
		event(&r, KLPT_EV_COMPLETE, 21.0, NULL);
		round_ns = 3000000;
		round_switched = 0;
		event(&r, KLPT_EV_ROUND, 21.0005, timed_round);
		txt = report(&r, fmt);
		if (fmt == 0) {
			assert_non_null(strstr(txt, "\nCost (rounds walk every task under tasklist_lock):\n"
						    "  klpt_lp_fix -> patched: 20 rounds timed: mean "));
			assert_non_null(strstr(txt, "max 40ms (round 7, 60 tasks), last 119us\n"));
			assert_non_null(strstr(txt, "    completion: round 21 took 3ms, with "
						    "klp_complete_transition (its RCU waits hold no "
						    "tasklist_lock)\n"));
			assert_non_null(strstr(txt, "; 21 rounds, 1 signal rounds\n"));
			assert_non_null(strstr(txt, "    slowest rounds: #7 40ms (60 tasks, +6.0 s), "
						    "#20 119us"));
			assert_non_null(strstr(txt, "    switched: 38 by the first round's check, "
						    "1 by later checks; of the tasks that failed a check: "
						    "1 switched (1 after a signal round), 0 exited\n"));
			if (!strstr(txt, "    time to switch: <=10ms 38 <=10s 1 <=30s 1 (max 15.2s)"))
				fail_msg("%s", txt);
		} else if (fmt == 1) {
			o = json_tokener_parse(txt);
			c = jpath(json_object_array_get_idx(jpath(o, "transitions", NULL), 0), "cost", NULL);
			assert_int_equal(json_object_get_int64(jpath(c, "rounds", "count")), 20);
			assert_int_equal(json_object_get_int64(jpath(c, "completion_round", NULL)), 21);
			assert_int_equal(json_object_get_int64(jpath(c, "completion_ns", NULL)), 3000000);
			assert_int_equal(json_object_get_int64(jpath(c, "rounds", "max_ns")), 40000000);
			assert_int_equal(json_object_get_int64(jpath(
				json_object_array_get_idx(jpath(c, "slowest_rounds", NULL), 0), "round", NULL)), 7);
			assert_int_equal(json_object_get_int64(jpath(c, "first_round", NULL)), 38);
			assert_int_equal(json_object_get_int64(jpath(c, "later_rounds", NULL)), 1);
			assert_int_equal(json_object_get_int64(jpath(c, "after_signals", NULL)), 1);
			assert_int_equal(json_object_get_int64(jpath(c, "switch_times", "count")), 40);
			json_object_put(o);
		} else {
			assert_non_null(strstr(txt, "\"name\":\"round duration (us)\""));
			assert_non_null(strstr(txt, "\"us\":40000.0"));
			assert_non_null(strstr(txt, "\"name\":\"tasks switched per round\""));
		}
		free(txt);
	}
}

/* klptop watches the checks of some rounds only (a large host): a round it
 * did not watch counted no check, and its switches are unknown, not 0. */
static void unwatched_first_round_is_unknown(void **state)
{
	struct rec r = { .id = 11, .patch = "klpt_lp_fix", .target = 1 };
	json_object *o, *c;
	char *txt;

	for (int fmt = 0; fmt < 2; fmt++) {
		header(&r);
		event(&r, KLPT_EV_INIT, 1.0, NULL);
		round_no = 0;
		signal_at = 0;
		round_ns = 30000000;
		round_switched = 0;
		event(&r, KLPT_EV_ROUND, 1.03, unwatched_round);
		round_ns = 1000000;
		round_switched = 2;
		event(&r, KLPT_EV_ROUND, 2.0, timed_round);
		txt = report(&r, fmt);
		if (fmt == 0) {
			assert_non_null(strstr(txt, "max 30ms (round 1, checks not watched)"));
			assert_non_null(strstr(txt, "    switched: the first round's checks not watched, "
						    "2 by later checks"));
		} else {
			o = json_tokener_parse(txt);
			c = jpath(json_object_array_get_idx(jpath(o, "transitions", NULL), 0), "cost", NULL);
			assert_true(json_object_is_type(jpath(c, "first_round", NULL), json_type_null));
			assert_false(json_object_get_boolean(jpath(c, "first_round_watched", NULL)));
			assert_int_equal(json_object_get_int64(jpath(c, "later_rounds", NULL)), 2);
			json_object_put(o);
		}
		free(txt);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reversal_is_one_transition_that_turned),
		cmocka_unit_test(joined_recorder_names_the_transition),
		cmocka_unit_test(late_snapshot_of_an_ended_transition),
		cmocka_unit_test(straggler_counts_the_signal_round_that_freed_it),
		cmocka_unit_test(unreliable_stack_blockers_are_counted),
		cmocka_unit_test(straggler_that_will_never_switch),
		cmocka_unit_test(big_stall_is_a_few_rows),
		cmocka_unit_test(replay_tells_what_report_tells),
		cmocka_unit_test(report_tells_what_rounds_cost),
		cmocka_unit_test(unwatched_first_round_is_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
