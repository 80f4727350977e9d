// SPDX-License-Identifier: GPL-2.0
/*
 * klpt-bench: what klptop's task snapshot and transition probes cost, for
 * bench/transition-bench.sh. Links klptop's own objects (build/obj/, all but main.o), so
 * it times exactly the code klptop runs; transition.c is included to reach
 * the probe skeleton's ring buffer (KLPT_EV_ROUND's round_ns is not printed
 * by klptop itself).
 *
 *   klpt-bench snap [ITERS]   time one walk of every task, ITERS times each
 *                             way: a bare BPF task-iterator pass that only
 *                             counts (task_iter__count: the floor of any
 *                             walk), klptop's own pass (task_iter__scan: a
 *                             record per pending task, stacks within their
 *                             budget), a bare procfs loop over
 *                             /proc/PID/task/TID/patch_state, and
 *                             procscan__scan_transition (klptop --no-bpf).
 *   klpt-bench rounds SECS [PERIOD]
 *                             attach klptop's transition probes as klptop
 *                             does (trans_probe__open) with the per-task
 *                             check programs attached for every round (what
 *                             a watched round costs), and print every
 *                             round's KLPT_EV_ROUND for SECS seconds. With
 *                             PERIOD, alternate PERIOD s detached ("mode off
 *                             TS") and PERIOD s attached ("mode on TS"),
 *                             TS in CLOCK_MONOTONIC ns, starting detached.
 *   klpt-bench dyndbg SECS PERIOD
 *                             the same windows for the kernel's own pr_debug
 *                             lines of kernel/livepatch/transition.c (the
 *                             obvious alternative: dynamic debug).
 *   klpt-bench fill [ITERS]   what one klptop --batch frame costs: time
 *                             sampler__fill (stacks on, as --batch) and
 *                             view__print_batch (to /dev/null) separately.
 */
#include "../src/live/transition.c"

#include "live/sampler.h"
#include "cmd/cmd.h"
#include "live/procscan.h"
#include "live/tasks.h"
#include "render/view.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The loop users hand-roll: every thread's patch_state, nothing else. */
static size_t procfs_loop(void)
{
	char path[128], buf[32];
	struct dirent *de, *te;
	size_t n = 0;
	DIR *d = opendir("/proc");

	while (d && (de = readdir(d))) {
		DIR *td;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		td = opendir(path);
		if (!td)
			continue;
		while ((te = readdir(td))) {
			int fd;

			if (te->d_name[0] < '0' || te->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/patch_state", de->d_name,
				 te->d_name);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			if (read(fd, buf, sizeof(buf)) > 0)
				n++;
			close(fd);
		}
		closedir(td);
	}
	if (d)
		closedir(d);
	return n;
}

struct series {
	const char *name;
	uint64_t *ns;
	size_t tasks;
};

static void report(struct series *s, int iters, double base_us)
{
	qsort(s->ns, iters, sizeof(uint64_t), cmp_u64);
	double med = s->ns[iters / 2] / 1e3, min = s->ns[0] / 1e3;
	double per = s->tasks ? med / s->tasks : 0;

	printf("snap %-10s tasks %zu median_us %.0f min_us %.0f per_task_us %.3f", s->name,
	       s->tasks, med, min, per);
	if (base_us > 0)
		printf(" ratio_vs_bpf %.1f", per / base_us);
	printf("\n");
}

static int cmd_snap(int iters)
{
	char why[256] = "";
	struct ksyms *ks = ksyms__load("/proc/kallsyms");
	struct task_iter *ti = task_iter__open(ks, why, sizeof(why));
	struct series bare = { "bpf_bare" }, bpf = { "bpf_iter" }, raw = { "procfs" },
		      ps = { "procscan" };
	struct task_iter_clock clk = { 0 };

	if (!ti) {
		fprintf(stderr, "klpt-bench: %s\n", why);
		return 1;
	}
	bare.ns = calloc(iters, 8);
	bpf.ns = calloc(iters, 8);
	raw.ns = calloc(iters, 8);
	ps.ns = calloc(iters, 8);
	/* Interleaved, so drift (threads still settling) hits all alike. */
	for (int i = 0; i < iters; i++) {
		struct transition_info tr = { .target = 1 };
		uint64_t t0 = now_ns();
		long n = task_iter__count(ti);

		bare.ns[i] = now_ns() - t0;
		bare.tasks = n > 0 ? (size_t)n : 0;

		t0 = now_ns();
		clk.now_ns = t0;
		task_iter__scan(ti, &tr, &clk, ks);
		bpf.ns[i] = now_ns() - t0;
		bpf.tasks = tr.tasks_total;
		transition_info__clear(&tr);

		t0 = now_ns();
		raw.tasks = procfs_loop();
		raw.ns[i] = now_ns() - t0;

		tr = (struct transition_info){ .target = 1 };
		t0 = now_ns();
		procscan__scan_transition(&default_paths, &tr);
		ps.ns[i] = now_ns() - t0;
		ps.tasks = tr.tasks_total;
		transition_info__clear(&tr);
	}
	report(&bare, iters, 0);
	double b = bare.ns[iters / 2] / 1e3 / (bare.tasks ? bare.tasks : 1);
	report(&bpf, iters, b);
	report(&raw, iters, b);
	report(&ps, iters, b);
	task_iter__close(ti);
	ksyms__free(ks);
	return 0;
}

static int (*orig_handler)(void *, void *, size_t);
static volatile int saw_round;

static int round_event(void *ctx, void *data, size_t len)
{
	const struct klpt_event *e = data;

	if (len >= sizeof(*e) && e->type == KLPT_EV_ROUND) {
		saw_round = 1;
		printf("round %u ts_ns %llu checked %u switched %u sleeping %u busy %u round_ns %llu\n",
		       e->round, (unsigned long long)e->ts_ns, e->checked, e->switched,
		       e->sleeping, e->busy, (unsigned long long)e->round_ns);
		fflush(stdout);
	}
	return orig_handler(ctx, data, len);
}

static void set_mode(struct trans_probe *tp, int on, struct probe_status *ps)
{
	if (on) {
		if (transition_bpf__attach(tp->skel))
			fprintf(stderr, "klpt-bench: re-attach failed\n");
		watch_plan__attach(tp);
		attach_oncpu_sampler(tp, ps);
	} else {
		watch_plan__detach(tp);
		transition_bpf__detach(tp->skel);
		for (int i = 0; i < tp->nperf; i++)
			bpf_link__destroy(tp->perf_links[i]);
		free(tp->perf_links);
		tp->perf_links = NULL;
		tp->nperf = 0;
	}
	printf("mode %s %llu\n", on ? "on" : "off", (unsigned long long)now_ns());
	fflush(stdout);
}

static int cmd_rounds(int secs, int period)
{
	struct probe_status ps = { 0 };
	struct ksyms *ks = ksyms__load("/proc/kallsyms");
	struct trans_probe *tp = trans_probe__open(&ps, ks, NULL);
	uint64_t end, next = 0;
	int on = 1, want_off = 0;

	if (!tp) {
		fprintf(stderr, "klpt-bench: probes: %s\n", ps.why_not ? ps.why_not : "?");
		return 1;
	}
	for (size_t i = 0; i < ps.nmissing; i++)
		printf("missing %s\n", ps.missing[i]);
	ring_buffer__free(tp->rb);
	orig_handler = handle_event;
	tp->rb = ring_buffer__new(bpf_map__fd(tp->skel->maps.events), round_event, tp, NULL);
	if (!tp->rb) {
		fprintf(stderr, "klpt-bench: ring buffer: %s\n", strerror(errno));
		return 1;
	}
	/* Every round watched while attached: the cost of one watched round. */
	tp->watch.pinned = 1;
	watch_plan__attach(tp);
	printf("attached ts_ns %llu perf_links %d\n", (unsigned long long)now_ns(), tp->nperf);
	fflush(stdout);
	end = now_ns() + (uint64_t)secs * 1000000000ull;
	if (period) {
		on = 0;
		set_mode(tp, 0, &ps);
		next = now_ns() + (uint64_t)period * 1000000000ull;
	}
	while (now_ns() < end) {
		ring_buffer__poll(tp->rb, 200);
		if (period && now_ns() >= next) {
			/* Detach only just after a round ended (rounds are ~1 s
			 * apart): detaching these kprobes while a round runs
			 * crashed the 6.1 lab kernel once (docs/perf.md). */
			if (on && !want_off) {
				want_off = 1;
				saw_round = 0;
				continue;
			}
			if (on && !saw_round)
				continue;
			if (on)
				usleep(50000);
			on = !on;
			want_off = 0;
			set_mode(tp, on, &ps);
			next = now_ns() + (uint64_t)period * 1000000000ull;
		}
	}
	ring_buffer__consume(tp->rb);
	/* The final detach (trans_probe__close), also just after a round. */
	if (on) {
		saw_round = 0;
		for (int i = 0; i < 100 && !saw_round; i++)
			ring_buffer__poll(tp->rb, 100);
		usleep(50000);
	}
	printf("detached ts_ns %llu events_dropped %llu blockers_dropped %llu\n",
	       (unsigned long long)now_ns(), (unsigned long long)tp->skel->bss->state.events_dropped,
	       (unsigned long long)tp->skel->bss->state.blockers_dropped);
	trans_probe__close(tp);
	ksyms__free(ks);
	return 0;
}

static int cmd_fill(int iters)
{
	struct sampler_opts so = { .with_stacks = 1 };
	struct sampler *sm;
	FILE *null = fopen("/dev/null", "w");
	uint64_t *f = calloc(iters, 8), *p = calloc(iters, 8);
	size_t pending = 0, total = 0, groups = 0;

	sm = sampler__open(&so);
	if (!sm || !null)
		return 1;
	for (int i = 0; i < iters; i++) {
		struct view_state vs;
		struct snapshot s;
		uint64_t t0;

		view_state__init(&vs);
		vs.expand_all = 1;
		vs.with_stacks = 1;
		snapshot__init(&s);
		t0 = now_ns();
		sampler__fill(sm, &s);
		f[i] = now_ns() - t0;
		if (s.transition) {
			pending = s.transition->ntasks;
			groups = s.transition->ngroups;
			total = s.transition->tasks_total;
		}
		t0 = now_ns();
		view__print_batch(&s, &vs, null);
		fflush(null);
		p[i] = now_ns() - t0;
		snapshot__free(&s);
		view_state__free(&vs);
	}
	qsort(f, iters, 8, cmp_u64);
	qsort(p, iters, 8, cmp_u64);
	printf("fill tasks %zu pending %zu groups %zu fill_median_ms %.1f fill_min_ms %.1f print_median_ms %.1f print_min_ms %.1f\n",
	       total, pending, groups, f[iters / 2] / 1e6, f[0] / 1e6, p[iters / 2] / 1e6, p[0] / 1e6);
	sampler__close(sm);
	return 0;
}

static void dyndbg(int on)
{
	FILE *f = fopen("/sys/kernel/debug/dynamic_debug/control", "w");

	if (!f) {
		perror("klpt-bench: dynamic_debug/control");
		return;
	}
	fprintf(f, "file kernel/livepatch/transition.c %cp\n", on ? '+' : '-');
	fclose(f);
}

/* The kernel's pr_debug lines for the same facts, in alternating windows. */
static int cmd_dyndbg(int secs, int period)
{
	uint64_t end = now_ns() + (uint64_t)secs * 1000000000ull;
	int on = 0;

	printf("mode off %llu\n", (unsigned long long)now_ns());
	fflush(stdout);
	while (now_ns() < end) {
		usleep((useconds_t)period * 1000000);
		on = !on;
		dyndbg(on);
		printf("mode %s %llu\n", on ? "on" : "off", (unsigned long long)now_ns());
		fflush(stdout);
	}
	dyndbg(0);
	printf("detached ts_ns %llu events_dropped 0 blockers_dropped 0\n",
	       (unsigned long long)now_ns());
	return 0;
}

int main(int argc, char **argv)
{
	log_level = LOG_WARN;
	if (argc >= 2 && !strcmp(argv[1], "snap"))
		return cmd_snap(argc > 2 ? atoi(argv[2]) : 5);
	if (argc >= 2 && !strcmp(argv[1], "rounds"))
		return cmd_rounds(argc > 2 ? atoi(argv[2]) : 10, argc > 3 ? atoi(argv[3]) : 0);
	if (argc >= 4 && !strcmp(argv[1], "dyndbg"))
		return cmd_dyndbg(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 2 && !strcmp(argv[1], "fill"))
		return cmd_fill(argc > 2 ? atoi(argv[2]) : 3);
	fprintf(stderr, "usage: klpt-bench snap [ITERS] | rounds SECS [PERIOD] | dyndbg SECS PERIOD | "
			"fill [ITERS]\n");
	return 2;
}
