// SPDX-License-Identifier: GPL-2.0
/*
 * The live view. view__build_frame() turns one snapshot into lines; the batch
 * printer writes them out, the ncurses screen (screen.c) lays them out in
 * panels that scroll. Keeping one builder for both is what stops them from
 * drifting. The keys move the view's state, for both screens.
 */
#include "render/view.h"
#include "render/blockers.h"
#include "render/transition_cost.h"
#include "lib/util.h"

#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 4096
#define DEFAULT_BAR 40

void view_state__init(struct view_state *vs)
{
	memset(vs, 0, sizeof(*vs));
	vs->sort = SORT_SIZE;
	vs->focus = PANEL_BLOCKERS;
	vs->with_stacks = 1;
	vs->open_patch = -1;
	/* The screen lists at most this many groups: a frame costs what it
	 * shows, never what is pending. */
	vs->max_rows = 500;
}

void view_state__free(struct view_state *vs)
{
	free(vs->row_tids);
	vs->row_tids = NULL;
	vs->row_tids_cap = 0;
}

const char *view_sort__name(enum view_sort s)
{
	static const char *const names[SORT_COUNT] = { "count", "blocked time", "pid", "comm",
							"reason" };

	return s < SORT_COUNT ? names[s] : "?";
}

/* ---- formatting helpers ------------------------------------------------ */

struct frame_out {
	struct view_state *vs;
	view_emit_fn emit;
	void *ctx;
};

/*
 * Anything from the kernel may hold control characters or UTF-8 (a task names
 * itself with prctl(PR_SET_NAME)); on a serial console those become escape
 * garbage or change the width of a line. One printable ASCII byte per column
 * is what lets us promise that a line never wraps.
 */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void fit_width(char *s, int width)
{
	if (width > 0 && strlen(s) > (size_t)width)
		s[width] = '\0';
}

__attribute__((format(printf, 7, 8)))
static void emitf(struct frame_out *fo, enum view_panel panel, enum line_kind kind, int item,
		  int selected, int alert, const char *fmt, ...)
{
	char buf[LINE_MAX_BYTES];
	struct view_line l = {
		.panel = panel, .kind = kind, .item = item, .selected = selected,
		.alert = alert, .text = buf,
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	make_printable(buf);
	fit_width(buf, fo->vs->width);
	fo->emit(fo->ctx, &l);
}

/* Verdicts are the sentence an operator acts on: wrap them at word
 * boundaries instead of cutting them at the screen's edge. */
static void emit_wrapped(struct frame_out *fo, enum view_panel panel, enum line_kind kind,
			 int item, int selected, int alert, const char *prefix, const char *text)
{
	int width = fo->vs->width, indent = (int)strlen(prefix);
	const char *p = text;

	if (width <= indent + 20) {
		emitf(fo, panel, kind, item, selected, alert, "%s%s", prefix, text);
		return;
	}
	while (*p) {
		int room = width - indent, n = (int)strlen(p);

		if (n > room) {
			n = room;
			while (n > room / 2 && p[n] != ' ')
				n--;
			if (p[n] != ' ')
				n = room;
		}
		emitf(fo, panel, kind, item, selected, alert, "%*s%.*s", indent,
		      p == text ? prefix : "", n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static const char *yes_no(int v)
{
	return v < 0 ? "-" : v ? "yes" : "no";
}

/* "850ms", "12.3s", "4m05s", "2h10m", "3d04h"; "-" when unknown (0). */
static const char *fmt_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 1000000000ull)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000));
	else if (s < 60)
		snprintf(buf, len, "%.1fs", ns / 1e9);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
	return buf;
}

static int digits(long v)
{
	int n = v < 0 ? 2 : 1;

	while (v >= 10 || v <= -10) {
		v /= 10;
		n++;
	}
	return n;
}

static int row_selected(const struct view_state *vs, enum view_panel p, int item)
{
	return vs->cursor && vs->focus == p && vs->sel[p] == item;
}

/* The first column carries the cursor, so it shows without colour too. */
static char cursor_mark(int selected)
{
	return selected ? '>' : ' ';
}

/* ---- header -------------------------------------------------------------- */

/* "+0.0s", "+12.3s", "+4m05s": the time since the recording started. */
static const char *fmt_offset(uint64_t ns, char *buf, size_t len)
{
	char d[32];

	if (ns < 60000000000ull)
		snprintf(buf, len, "+%.1fs", ns / 1e9);
	else
		snprintf(buf, len, "+%s", fmt_duration(ns, d, sizeof(d)));
	return buf;
}

static const char *fmt_speed(int exp, char *buf, size_t len)
{
	if (exp >= 0)
		snprintf(buf, len, "%dx", 1 << exp);
	else
		snprintf(buf, len, "1/%dx", 1 << -exp);
	return buf;
}

/* Which snapshot of the recording this is, when it was taken (offset and
 * wall clock), and the playback's state. */
static void build_replay_line(struct frame_out *fo, const struct view_replay *r)
{
	char off[32], wall[64] = "-", speed[16], state[48] = "";
	time_t t = (time_t)(r->wall_ns / 1000000000ull);
	struct tm tm;

	fmt_offset(r->offset_ns, off, sizeof(off));
	if (r->wall_ns && localtime_r(&t, &tm))
		strftime(wall, sizeof(wall), "%Y-%m-%d %H:%M:%S %Z", &tm);
	fmt_speed(r->speed_exp, speed, sizeof(speed));
	if (!r->batch)
		snprintf(state, sizeof(state), " [%s %s]",
			 r->playing ? "playing" : r->index + 1 == r->count ? "end" : "paused", speed);
	/* The file name last: it may be long, and the line is cut at the width. */
	emitf(fo, PANEL_HEADER, LINE_TITLE, -1, 0, 0, "replay%s  snapshot %zu/%zu  %s  %s  %s",
	      state, r->index + 1, r->count, off, wall, r->name);
	if (r->problem)
		emitf(fo, PANEL_HEADER, LINE_WARNING, -1, 0, 1, "recording: %s", r->problem);
}

static void build_header(struct frame_out *fo, const struct snapshot *s)
{
	const struct probe_status *ps = &s->probes;
	char clock[16] = "";
	time_t t = (time_t)(s->taken_ns / 1000000000ull);
	struct tm tm;

	if (s->taken_ns && localtime_r(&t, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	emitf(fo, PANEL_HEADER, LINE_TITLE, -1, 0, 0,
	      "klptop  %s  livepatch %s  taint K %s  BPF %s  %s%s", s->kernel.release,
	      yes_no(s->kernel.livepatch), yes_no(s->kernel.taint_livepatch),
	      ps->bpf ? "on" : "off", clock, fo->vs->paused ? "  [paused]" : "");
	if (fo->vs->replay)
		build_replay_line(fo, fo->vs->replay);
	/* Without BPF, reasons, rounds and blocked times are unknown: say why. */
	if (!ps->bpf)
		emitf(fo, PANEL_HEADER, LINE_WARNING, -1, 0, 0,
		      "BPF off: %s (reasons, rounds and times unknown)",
		      ps->why_not ? ps->why_not : "not attached");
	if (ps->nmissing) {
		char list[LINE_MAX_BYTES] = "";
		size_t used = 0;

		for (size_t i = 0; i < ps->nmissing && used < sizeof(list); i++)
			used += snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
					 ps->missing[i]);
		emitf(fo, PANEL_HEADER, LINE_WARNING, -1, 0, 1, "missing probe points (%zu): %s",
		      ps->nmissing, list);
	}
	for (size_t i = 0; i < s->nwarnings; i++)
		emitf(fo, PANEL_HEADER, LINE_WARNING, -1, 0, 0, "warning: %s", s->warnings[i]);
}

/* ---- patches ------------------------------------------------------------- */

static size_t patch_nfuncs(const struct patch_info *pi)
{
	size_t n = 0;

	for (size_t i = 0; i < pi->nobjs; i++)
		n += pi->objs[i].nfuncs;
	return n;
}

/* One line per function when the kernel's lists were read: which version
 * is live and where calls go ("old code" = calls not yet redirected). */
static int build_func_routes(struct frame_out *fo, const struct object_info *o, int item)
{
	int any = 0;

	for (size_t k = 0; k < o->nfuncs; k++)
		any |= o->funcs[k].walked;
	if (!any)
		return 0;
	emitf(fo, PANEL_PATCHES, LINE_DETAIL, item, 0, 0, "     %s (patched %s):", o->name,
	      yes_no(o->patched));
	for (size_t k = 0; k < o->nfuncs; k++) {
		const struct func_info *f = &o->funcs[k];
		char route[96] = "";

		if (f->routed)
			snprintf(route, sizeof(route), "  calls %.0f/s  new %.0f/s  old code %.0f/s",
				 f->calls_per_s, f->new_per_s,
				 f->calls_per_s > f->new_per_s ? f->calls_per_s - f->new_per_s : 0);
		emitf(fo, PANEL_PATCHES, LINE_DETAIL, item, 0, 0, "       %s,%ld %s%s", f->name,
		      f->sympos, !f->walked || f->live < 0 ? "" : f->live ? "live" : "superseded",
		      route);
	}
	return 1;
}

/* An object's functions, packed into as few lines as the width allows. */
static void build_object_funcs(struct frame_out *fo, const struct object_info *o, int item)
{
	int width = fo->vs->width;
	char line[LINE_MAX_BYTES];
	int len;

	if (build_func_routes(fo, o, item))
		return;
	len = snprintf(line, sizeof(line), "     %s (patched %s):", o->name, yes_no(o->patched));
	for (size_t k = 0; k < o->nfuncs; k++) {
		char fn[512];
		int n = snprintf(fn, sizeof(fn), " %s,%ld", o->funcs[k].name, o->funcs[k].sympos);

		if (width > 0 && len + n > width && len > 8) {
			emitf(fo, PANEL_PATCHES, LINE_DETAIL, item, 0, 0, "%s", line);
			len = snprintf(line, sizeof(line), "       ");
		}
		if ((size_t)(len + n) < sizeof(line))
			len += snprintf(line + len, sizeof(line) - len, "%s", fn);
	}
	emitf(fo, PANEL_PATCHES, LINE_DETAIL, item, 0, 0, "%s", line);
}

static void build_patches(struct frame_out *fo, const struct snapshot *s)
{
	struct view_state *vs = fo->vs;
	int namew = 4;

	vs->nrows[PANEL_PATCHES] = (int)s->npatches;
	if (vs->sel[PANEL_PATCHES] >= (int)s->npatches)
		vs->sel[PANEL_PATCHES] = s->npatches ? (int)s->npatches - 1 : 0;
	emitf(fo, PANEL_PATCHES, LINE_TITLE, -1, 0, 0, "PATCHES (%zu)", s->npatches);
	if (!s->npatches) {
		emitf(fo, PANEL_PATCHES, LINE_TEXT, -1, 0, 0, "  no live patches loaded");
		return;
	}
	for (size_t i = 0; i < s->npatches; i++)
		namew = max_int(namew, (int)strlen(s->patches[i].name));
	/* Long names give way to the flag columns (42 columns wide). */
	if (vs->width > 0)
		namew = min_int(namew, max_int(8, vs->width - 43));
	emitf(fo, PANEL_PATCHES, LINE_COLUMNS, -1, 0, 0, " %-*s %-7s %-5s %-7s %-6s %4s %5s",
	      namew, "NAME", "ENABLED", "TRANS", "REPLACE", "FORCED", "OBJS", "FUNCS");
	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];
		int sel = row_selected(vs, PANEL_PATCHES, (int)i);

		emitf(fo, PANEL_PATCHES, LINE_ROW, (int)i, sel, pi->forced > 0,
		      "%c%-*.*s %-7s %-5s %-7s %-6s %4zu %5zu", cursor_mark(sel), namew, namew,
		      pi->name, yes_no(pi->enabled), yes_no(pi->transition), yes_no(pi->replace),
		      yes_no(pi->forced), pi->nobjs, patch_nfuncs(pi));
		if (!vs->expand_all && vs->open_patch != (int)i)
			continue;
		for (size_t j = 0; j < pi->nobjs; j++)
			build_object_funcs(fo, &pi->objs[j], (int)i);
	}
}

/* ---- transition ---------------------------------------------------------- */

static void fmt_bar(char *buf, int cells, size_t done, size_t total)
{
	int filled = total ? (int)((double)done * cells / total) : 0;

	buf[0] = '[';
	for (int i = 0; i < cells; i++)
		buf[1 + i] = i < filled ? '#' : '.';
	buf[cells + 1] = ']';
	buf[cells + 2] = '\0';
}

static void build_transition_counts(struct frame_out *fo, const struct transition_info *tr)
{
	char line[LINE_MAX_BYTES];
	int len = snprintf(line, sizeof(line), "  switched by:");

	for (int h = 0; h < SWITCH_HOW_MAX; h++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu", switch_how__name(h),
				(unsigned long long)tr->switched[h]);
	emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "%s", line);
}

/* What the transition costs (model/cost.h): its rounds hold tasklist_lock,
 * and how many tasks each phase switched. Nothing until a round is timed. */
static void build_transition_cost(struct frame_out *fo, const struct transition_info *tr)
{
	const struct transition_cost *c = &tr->cost;
	char line[LINE_MAX_BYTES];

	if (!c->round_hist.n && !c->blockers_switched)
		return;
	if (c->round_hist.n)
		emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "  cost: %s",
		      transition_cost__rounds_text(c, line, sizeof(line)));
	emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "  phases: %s",
	      transition_cost__switches_text(c, NULL, line, sizeof(line)));
}

/* Which rounds' per-task checks the reasons come from. */
static void build_watching(struct frame_out *fo, const struct transition_info *tr)
{
	char cost[48] = "";

	if (!tr->checked_round) {
		emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "  checks: none watched yet");
		return;
	}
	if (tr->check_every <= 1) {
		emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0,
		      "  checks: watched in every round (last %u)", tr->checked_round);
		return;
	}
	if (tr->check_cost >= 0)
		snprintf(cost, sizeof(cost), ", each adds %.0f%% to the kernel's walk",
			 tr->check_cost * 100);
	emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "  checks: 1 round in %u watched (last %u%s)",
	      tr->check_every, tr->checked_round, cost);
}

static void build_transition(struct frame_out *fo, const struct transition_info *tr)
{
	int width = fo->vs->width;
	size_t done;
	char bar[128], elapsed[32], rounds[24], sigr[24], rate[32], eta[32];
	int cells;

	if (!tr) {
		emitf(fo, PANEL_TRANSITION, LINE_TITLE, -1, 0, 0, "TRANSITION none in progress");
		return;
	}
	emitf(fo, PANEL_TRANSITION, LINE_TITLE, -1, 0, tr->forced || tr->reversed,
	      "TRANSITION %s -> %s%s%s", tr->patch, klp_state__name(tr->target),
	      tr->forced ? "  FORCED" : "", tr->reversed ? "  REVERSED" : "");
	done = tr->tasks_total >= tr->tasks_pending ? tr->tasks_total - tr->tasks_pending : 0;
	/* The bar takes what the counters leave of the line (about 40 columns). */
	cells = width > 0 ? min_int(60, max_int(10, width - 44)) : DEFAULT_BAR;
	fmt_bar(bar, cells, done, tr->tasks_total);
	/* A transition that began before klptop has no known start. */
	fmt_duration(tr->observed && tr->start_ns ? tr->elapsed_ns : 0, elapsed, sizeof(elapsed));
	emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0, "  %s %zu/%zu switched  elapsed %s", bar,
	      done, tr->tasks_total, elapsed);
	/* Without BPF nobody counted rounds: '-' rather than a misleading 0. */
	snprintf(rounds, sizeof(rounds), tr->observed ? "%u" : "-", tr->rounds);
	snprintf(sigr, sizeof(sigr), tr->observed ? "%u" : "-", tr->signal_rounds);
	if (tr->observed && tr->rate_per_s >= 0)
		snprintf(rate, sizeof(rate), "%.1f/s", tr->rate_per_s);
	else
		snprintf(rate, sizeof(rate), "-");
	if (tr->observed && tr->eta_s >= 0)
		fmt_duration((uint64_t)(tr->eta_s * 1e9) + 1, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "-");
	emitf(fo, PANEL_TRANSITION, LINE_TEXT, -1, 0, 0,
	      "  rounds %s  signal rounds %s  rate %s  ETA %s", rounds, sigr, rate, eta);
	if (tr->observed) {
		build_transition_counts(fo, tr);
		build_watching(fo, tr);
		build_transition_cost(fo, tr);
	}
	if (tr->verdict_text)
		emit_wrapped(fo, PANEL_TRANSITION, LINE_WARNING, -1, 0, 1, "  verdict: ",
			     tr->verdict_text);
	for (size_t i = 0; i < tr->nholdouts; i++) {
		const struct task_snap *t = &tr->holdouts[i];

		emitf(fo, PANEL_TRANSITION, LINE_WARNING, -1, 0, 1,
		      "  RCU-tasks holdout: %d/%d %s %s %c", t->pid, t->tid, t->comm,
		      t->kthread ? "kthread" : "user", t->state ? t->state : '?');
	}
}

/* Transitions that ended while klptop watched: a forced one names the tasks
 * that were not safe, which is what the operator has to answer for later. */
static void build_history(struct frame_out *fo, const struct snapshot *s)
{
	char took[32];

	for (size_t i = 0; i < s->nhistory; i++) {
		const struct transition_summary *h = &s->history[i];
		int forced = h->outcome && !strcmp(h->outcome, "forced");

		fmt_duration(h->start_ns && h->end_ns > h->start_ns ? h->end_ns - h->start_ns : 0,
			     took, sizeof(took));
		if (h->sysfs_only) {
			fmt_duration(h->end_ns - h->seen_ns, took, sizeof(took));
			emitf(fo, PANEL_HISTORY, LINE_TEXT, -1, 0, 0,
			      "ended: %s -> %s %s, seen in transition by sysfs for %s (rounds unknown)",
			      h->patch, klp_state__name(h->target), h->outcome, took);
			continue;
		}
		emitf(fo, PANEL_HISTORY, LINE_TEXT, -1, 0, forced,
		      "ended: %s -> %s %s after %s, rounds %u, signal rounds %u", h->patch,
		      klp_state__name(h->target), h->outcome ? h->outcome : "?", took, h->rounds,
		      h->signal_rounds);
		for (size_t j = 0; j < h->nunsafe; j++) {
			const struct task_snap *t = &h->unsafe[j];

			emitf(fo, PANEL_HISTORY, LINE_WARNING, -1, 0, 1,
			      "  unsafe at force: %d/%d %s %s %s %s", t->pid, t->tid, t->comm,
			      t->kthread ? "kthread" : "user", reason__name(t->reason),
			      t->function ? t->function : "-");
		}
		for (size_t j = 0; j < h->nstragglers; j++) {
			const struct task_snap *t = &h->stragglers[j];
			char blocked[32];

			fmt_duration(t->blocked_ns, blocked, sizeof(blocked));
			emitf(fo, PANEL_HISTORY, LINE_TEXT, -1, 0, 0,
			      "  straggler %s (tid %d): blocked %s, %u rounds, last %s%s%s, "
			      "switched by %s", t->comm, t->tid, blocked, t->rounds_failed,
			      reason__name(t->reason), t->function ? " " : "",
			      t->function ? t->function : "", switch_how__name(t->switched_how));
		}
	}
}

/* ---- blockers ------------------------------------------------------------ */

/* Member rows an open group lists; the JSON lists them all. */
#define OPEN_GROUP_TASKS 20

static int cmp_int(long a, long b)
{
	return a < b ? -1 : a > b;
}

static int cmp_groups(const void *pa, const void *pb, void *arg)
{
	const struct blocker_group *a = *(const struct blocker_group *const *)pa;
	const struct blocker_group *b = *(const struct blocker_group *const *)pb;
	enum view_sort sort = *(const enum view_sort *)arg;
	int c = 0;

	switch (sort) {
	case SORT_SIZE:
		c = a->count < b->count ? 1 : a->count > b->count ? -1 : 0;
		if (c)
			break;
		/* as large: the longest blocked first */
		__attribute__((fallthrough));
	case SORT_BLOCKED:
		c = a->blocked_max_ns < b->blocked_max_ns ? 1 : a->blocked_max_ns > b->blocked_max_ns ? -1 : 0;
		break;
	case SORT_COMM:
		c = strcmp(a->comm, b->comm);
		break;
	case SORT_REASON:
		c = strcmp(reason__name(a->reason), reason__name(b->reason));
		break;
	default:
		break;
	}
	if (!c)
		c = cmp_int(a->rep.pid, b->rep.pid);
	return c ? c : cmp_int(a->rep.tid, b->rep.tid);
}

static const struct blocker_group **sorted_groups(const struct transition_info *tr,
						  enum view_sort sort)
{
	const struct blocker_group **v = xcalloc(tr->ngroups ? tr->ngroups : 1, sizeof(*v));

	for (size_t i = 0; i < tr->ngroups; i++)
		v[i] = &tr->groups[i];
	qsort_r(v, tr->ngroups, sizeof(*v), cmp_groups, &sort);
	return v;
}

/* Keep the cursor on the same group when the list is re-sorted or
 * refreshed; fall back to the same position when that group is gone. The
 * tids in display order let keys move the cursor before the next frame. */
static void place_cursor(struct view_state *vs, const struct blocker_group **v, size_t n)
{
	int *sel = &vs->sel[PANEL_BLOCKERS];

	grow_array((void **)&vs->row_tids, &vs->row_tids_cap, n, sizeof(*vs->row_tids));
	for (size_t i = 0; i < n; i++)
		vs->row_tids[i] = v[i]->rep.tid;
	for (size_t i = 0; vs->sel_tid && i < n; i++) {
		if (v[i]->rep.tid == vs->sel_tid) {
			*sel = (int)i;
			return;
		}
	}
	if (*sel >= (int)n)
		*sel = n ? (int)n - 1 : 0;
	if (*sel < 0)
		*sel = 0;
	vs->sel_tid = n ? v[*sel]->rep.tid : 0;
}

struct blocker_cols {
	int count, pid, tid, comm, reason, func, rounds, blocked;
};

static struct blocker_cols blocker_widths(const struct blocker_group **v, size_t n, int width)
{
	struct blocker_cols w = { 3, 3, 3, 4, 6, 8, 3, 7 };
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		const struct blocker_group *g = v[i];

		w.count = max_int(w.count, digits((long)g->count));
		w.pid = max_int(w.pid, digits(g->rep.pid));
		w.tid = max_int(w.tid, digits(g->rep.tid));
		w.comm = max_int(w.comm, (int)strnlen(g->comm, sizeof(g->comm)));
		w.reason = max_int(w.reason, (int)strlen(reason__name(g->reason)));
		w.func = max_int(w.func, g->function ? (int)strlen(g->function) : 1);
		w.rounds = max_int(w.rounds, digits(g->rounds_failed_max));
		w.blocked = max_int(w.blocked, (int)strlen(fmt_duration(g->blocked_max_ns, buf,
									sizeof(buf))));
	}
	w.comm = min_int(w.comm, 15);
	/* The function gives way first so "stuck" stays on an 80-column line:
	 * everything else plus separators, then 5 columns of verdict. */
	if (width > 0) {
		int rest = 1 + w.count + 1 + w.pid + 1 + w.tid + 1 + w.comm + 1 + 7 + 1 + 1 + 1 +
			   w.reason + 1 + 1 + w.rounds + 1 + w.blocked + 1 + 5;

		w.func = max_int(8, min_int(w.func, width - rest));
	}
	return w;
}

static void build_frames(struct frame_out *fo, const struct stack_frame *frames, size_t n,
			 int item)
{
	char where[LINE_MAX_BYTES];

	for (size_t i = 0; i < n; i++) {
		const struct stack_frame *f = &frames[i];

		emitf(fo, PANEL_BLOCKERS, f->marked ? LINE_MARKED : LINE_DETAIL, item, 0, f->marked,
		      "      %s %s", f->marked ? "=>" : "  ",
		      stack_frame__format(f, where, sizeof(where)));
	}
}

/* Up to OPEN_GROUP_TASKS member rows of an open group, the longest blocked
 * first would need a sort per frame: they come in walk order. */
static void build_members(struct frame_out *fo, const struct transition_info *tr, size_t g,
			  int item)
{
	size_t shown = 0;
	char blocked[32];

	for (size_t i = 0; i < tr->ntasks && shown < OPEN_GROUP_TASKS; i++) {
		const struct pending_task *t = &tr->tasks[i];

		if (t->group != g)
			continue;
		fmt_duration(t->blocked_ns, blocked, sizeof(blocked));
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0,
		      "        task %d/%d %s %c cpu %d, blocked %s, %u rounds", t->pid, t->tid,
		      t->comm, t->state ? t->state : '?', t->cpu, blocked, t->rounds_failed);
		shown++;
	}
	if (tr->groups[g].count > shown)
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0,
		      "        ... %zu more (klptop status --json lists every task)",
		      tr->groups[g].count - shown);
}

/* A task that will never switch by itself: the checks that say so, and
 * what would switch it on this kernel. */
static void build_never(struct frame_out *fo, const struct task_snap *t, int item)
{
	char ev[320], help[640];

	if (task_snap__evidence(t, ev, sizeof(ev)))
		emit_wrapped(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0, "      evidence: ", ev);
	if (task_snap__never_text(t, help, sizeof(help)))
		emit_wrapped(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 1, "      ", help);
}

/* What the open group looks like: the verdict, the checks, the stacks of
 * its representative (the blocking frames carry "=>"), its members. A
 * running task's saved stack says little; the sampled on-CPU one shows
 * where it spins. */
static void build_group_details(struct frame_out *fo, const struct transition_info *tr,
				size_t g, int item, int with_stacks)
{
	const struct task_snap *t = &tr->groups[g].rep;
	char tids[256], ev[320];

	if (t->verdict_text)
		emit_wrapped(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, t->verdict == VERDICT_STUCK,
			     "      verdict: ", t->verdict_text);
	/* The evidence line of a task that will never switch says the same
	 * checks in more detail. */
	if (tr->observed && !task_snap__evidence(t, ev, sizeof(ev)))
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0,
		      "      checks of %d: running %u, sleeping on a function %u, unreliable %u; "
		      "signal rounds seen %u", t->tid, t->checks_running, t->checks_sleeping,
		      t->checks_unreliable, t->signal_rounds_seen);
	build_never(fo, t, item);
	if (tr->groups[g].count > 1 && fo->vs->expand_all)
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0, "      tasks: %s",
		      blocker_group__tids(tr, g, 16, tids, sizeof(tids)));
	else if (tr->groups[g].count > 1)
		build_members(fo, tr, g, item);
	if (!with_stacks)
		return;
	if (t->noncpu) {
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0,
		      "      on-CPU stack (%u samples):", t->oncpu_samples);
		build_frames(fo, t->oncpu, t->noncpu, item);
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0, "      kernel stack:");
	}
	if (t->stack_errno)
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0, "      (stack unreadable: %s)",
		      strerror(t->stack_errno));
	else if (!t->nstack)
		emitf(fo, PANEL_BLOCKERS, LINE_DETAIL, item, 0, 0, "      (no stack recorded)");
	build_frames(fo, t->stack, t->nstack, item);
}

static void build_blocker_row(struct frame_out *fo, const struct transition_info *tr,
			      const struct blocker_group *g, const struct blocker_cols *w, int item)
{
	int sel = row_selected(fo->vs, PANEL_BLOCKERS, item);
	char rounds[24], blocked[32];

	snprintf(rounds, sizeof(rounds), tr->observed ? "%u" : "-", g->rounds_failed_max);
	fmt_duration(g->blocked_max_ns, blocked, sizeof(blocked));
	emitf(fo, PANEL_BLOCKERS, LINE_ROW, item, sel, g->verdict == VERDICT_STUCK,
	      "%c%*zu %*d %*d %-*.*s %-7s %c %-*s %-*.*s %*s %*s %s", cursor_mark(sel), w->count,
	      g->count, w->pid, g->rep.pid, w->tid, g->rep.tid, w->comm, w->comm, g->comm,
	      g->kthread ? "kthread" : "user", g->state ? g->state : '?', w->reason,
	      reason__name(g->reason), w->func, w->func, g->function ? g->function : "-",
	      w->rounds, rounds, w->blocked, blocked,
	      g->verdict == VERDICT_NONE ? "-" : verdict__name(g->verdict));
}

/* The title: exact counts, whatever is shown below. */
static void build_blockers_title(struct frame_out *fo, const struct transition_info *tr)
{
	const size_t *r = tr->reasons.by_reason;
	char reasons[160] = "";

	if (tr->ntasks)
		snprintf(reasons, sizeof(reasons),
			 ": running %zu, sleeping_on %zu, unreliable_stack %zu, unknown %zu",
			 r[REASON_RUNNING], r[REASON_SLEEPING_ON], r[REASON_UNRELIABLE],
			 r[REASON_UNKNOWN]);
	emitf(fo, PANEL_BLOCKERS, LINE_TITLE, -1, 0, 0, "BLOCKERS %zu of %zu pending, %zu group%s%s%s%s",
	      tr->tasks_pending, tr->tasks_total, tr->ngroups, tr->ngroups == 1 ? "" : "s",
	      reasons, tr->ngroups ? "  sort: " : "",
	      tr->ngroups ? view_sort__name(fo->vs->sort) : "");
}

static void build_blockers(struct frame_out *fo, const struct transition_info *tr)
{
	struct view_state *vs = fo->vs;
	const struct blocker_group **v;
	struct blocker_cols w;
	size_t rows;

	vs->nrows[PANEL_BLOCKERS] = 0;
	if (!tr)
		return;
	build_blockers_title(fo, tr);
	if (!tr->ngroups)
		return;
	v = sorted_groups(tr, vs->sort);
	rows = tr->ngroups;
	if (vs->max_rows && rows > (size_t)vs->max_rows)
		rows = (size_t)vs->max_rows;
	vs->nrows[PANEL_BLOCKERS] = (int)rows;
	place_cursor(vs, v, rows);
	w = blocker_widths(v, rows, vs->width);
	emitf(fo, PANEL_BLOCKERS, LINE_COLUMNS, -1, 0, 0,
	      " %*s %*s %*s %-*s %-7s %c %-*s %-*s %*s %*s %s", w.count, "CNT", w.pid, "PID", w.tid,
	      "TID", w.comm, "COMM", "TYPE", 'S', w.reason, "REASON", w.func, "FUNCTION", w.rounds,
	      "RND", w.blocked, "BLOCKED", "VERDICT");
	for (size_t i = 0; i < rows; i++) {
		size_t g = (size_t)(v[i] - tr->groups);

		build_blocker_row(fo, tr, v[i], &w, (int)i);
		if (vs->expand_all || (vs->open_tid && vs->open_tid == v[i]->rep.tid))
			build_group_details(fo, tr, g, (int)i, vs->with_stacks);
	}
	if (rows < tr->ngroups)
		emitf(fo, PANEL_BLOCKERS, LINE_TEXT, -1, 0, 0,
		      "  ... %zu more groups not shown (klptop status lists all)",
		      tr->ngroups - rows);
	free(v);
}

/* ---- shadows ------------------------------------------------------------- */

#define SHADOW_PANEL_IDS 3

/* A few fixed lines: totals, the ids that grow fastest, the leak verdict. */
static void build_shadows(struct frame_out *fo, const struct shadow_snapshot *ss)
{
	const struct shadow_id_info *top[SHADOW_PANEL_IDS] = { 0 };

	if (!ss)
		return;
	emitf(fo, PANEL_SHADOWS, LINE_TITLE, -1, 0, 0,
	      "Shadows  live %llu  %lld B  orphans %llu  stale %llu  dup %llu%s",
	      (unsigned long long)ss->live, (long long)ss->bytes,
	      (unsigned long long)ss->orphans, (unsigned long long)ss->stale,
	      (unsigned long long)ss->duplicates, ss->leak_detection ? "" : "  (no leak hooks)");
	for (size_t i = 0; i < ss->nids; i++) {
		const struct shadow_id_info *d = &ss->ids[i];

		for (int j = 0; j < SHADOW_PANEL_IDS; j++) {
			if (!top[j] || d->growth_per_s > top[j]->growth_per_s) {
				memmove(&top[j + 1], &top[j], sizeof(top[0]) * (SHADOW_PANEL_IDS - j - 1));
				top[j] = d;
				break;
			}
		}
	}
	for (int j = 0; j < SHADOW_PANEL_IDS && top[j]; j++)
		emitf(fo, PANEL_SHADOWS, LINE_TEXT, -1, 0, top[j]->orphans > 0,
		      "  0x%-10llx live %7lld  %+8.1f/s  alloc %6.0f/s  orphans %llu",
		      (unsigned long long)top[j]->id, (long long)top[j]->live,
		      top[j]->growth_per_s, top[j]->allocs_per_s,
		      (unsigned long long)top[j]->orphans);
	if (ss->events_dropped)
		emitf(fo, PANEL_SHADOWS, LINE_WARNING, -1, 0, 1,
		      "  %llu shadow events dropped (ring buffer full)",
		      (unsigned long long)ss->events_dropped);
	/* Ids whose maker is gone, or that two patches use differently. */
	for (size_t i = 0; i < ss->nids; i++)
		if (ss->ids[i].ownership_text)
			emitf(fo, PANEL_SHADOWS, LINE_WARNING, -1, 0,
			      ss->ids[i].ownership != SHADOW_OWN_ADOPTED,
			      "  0x%llx %s: %s", (unsigned long long)ss->ids[i].id,
			      shadow_ownership__name(ss->ids[i].ownership), ss->ids[i].ownership_text);
}

void view__build_frame(const struct snapshot *s, struct view_state *vs, view_emit_fn emit,
		       void *ctx)
{
	struct frame_out fo = { .vs = vs, .emit = emit, .ctx = ctx };

	build_header(&fo, s);
	build_patches(&fo, s);
	build_transition(&fo, s->transition);
	build_history(&fo, s);
	build_blockers(&fo, s->transition);
	build_shadows(&fo, s->shadows);
}

/* ---- batch --------------------------------------------------------------- */

static void print_line(void *ctx, const struct view_line *l)
{
	FILE *f = ctx;

	fputs(l->text, f);
	fputc('\n', f);
}

int view__print_batch(const struct snapshot *s, struct view_state *vs, FILE *f)
{
	uint64_t ns = s->taken_ns ? s->taken_ns : realtime_ns();
	time_t t = (time_t)(ns / 1000000000ull);
	char iso[64] = "?";
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
	fprintf(f, "=== klptop %s ===\n", iso);
	view__build_frame(s, vs, print_line, f);
	fputc('\n', f);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- keys ---------------------------------------------------------------- */

static void move_cursor(struct view_state *vs, int delta)
{
	enum view_panel p = vs->focus;
	int n = vs->nrows[p], sel = vs->sel[p] + delta;

	if (sel >= n)
		sel = n - 1;
	if (sel < 0)
		sel = 0;
	vs->sel[p] = sel;
	if (p == PANEL_BLOCKERS)
		vs->sel_tid = n > 0 ? vs->row_tids[sel] : 0;
}

static void toggle_open(struct view_state *vs)
{
	if (vs->focus == PANEL_PATCHES) {
		int i = vs->sel[PANEL_PATCHES];

		if (vs->nrows[PANEL_PATCHES])
			vs->open_patch = vs->open_patch == i ? -1 : i;
		return;
	}
	if (vs->nrows[PANEL_BLOCKERS])
		vs->open_tid = vs->open_tid == vs->sel_tid ? 0 : vs->sel_tid;
}

static void switch_focus(struct view_state *vs)
{
	vs->focus = vs->focus == PANEL_BLOCKERS ? PANEL_PATCHES : PANEL_BLOCKERS;
}

enum view_replay_key view__replay_key(const struct view_state *vs, int key)
{
	if (!vs->replay || vs->help)
		return VIEW_RKEY_NONE;
	switch (key) {
	case 'p': return VIEW_RKEY_PAUSE;
	case '.': case 'n': case KEY_RIGHT: return VIEW_RKEY_NEXT;
	case ',': case 'b': case KEY_LEFT: return VIEW_RKEY_PREV;
	case '<': return VIEW_RKEY_START;
	case '>': return VIEW_RKEY_END;
	case '+': case '=': return VIEW_RKEY_FASTER;
	case '-': case '_': return VIEW_RKEY_SLOWER;
	default: return VIEW_RKEY_NONE;
	}
}

int view__key(struct view_state *vs, int key)
{
	if (vs->help) {
		/* Any key closes the help; q still quits. */
		vs->help = 0;
		if (key == 'q' || key == 'Q')
			vs->quit = 1;
		return 1;
	}
	switch (key) {
	case 'q': case 'Q': vs->quit = 1; return 0;
	case KEY_UP: case 'k': move_cursor(vs, -1); return 1;
	case KEY_DOWN: case 'j': move_cursor(vs, 1); return 1;
	case KEY_PPAGE: move_cursor(vs, -10); return 1;
	case KEY_NPAGE: case ' ': move_cursor(vs, 10); return 1;
	case KEY_HOME: case 'g': move_cursor(vs, -vs->nrows[vs->focus]); return 1;
	case KEY_END: case 'G': move_cursor(vs, vs->nrows[vs->focus]); return 1;
	case '\n': case '\r': case KEY_ENTER: toggle_open(vs); return 1;
	case '\t': case KEY_BTAB: switch_focus(vs); return 1;
	case 's': vs->sort = (vs->sort + 1) % SORT_COUNT; return 1;
	case 'p': vs->paused = !vs->paused; return 1;
	case '?': case 'h': vs->help = 1; return 1;
	case KEY_RESIZE: case 12 /* ^L */: return 1;
	default: return 0;
	}
}
