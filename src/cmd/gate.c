// SPDX-License-Identifier: GPL-2.0
/*
 * klptop gate: load a live patch safely (docs/check.md; docs/incidents.md, "Cumulative replace
 * during a transition"). While
 * any patch is in transition the kernel refuses to enable or disable
 * another (-EBUSY), and a cumulative patch loaded then fails; gate refuses
 * first and says who blocks (or waits, with --wait), runs COMMAND, follows
 * the transition COMMAND starts, and on a timeout reports the blockers as
 * klptop status does, from the same sampler and renderers. When COMMAND
 * names a live patch module (an argument ending in .ko), gate first checks
 * it for conflicts with other hooks on the functions it replaces (the
 * judgement klptop check makes): it refuses a load that would fail with
 * EBUSY, and once the transition completes it names the hooks that now
 * watch code no task runs.
 */
#include "check/check.h"
#include "check/patchelf.h"
#include "cmd/cmd.h"
#include "lib/log.h"
#include "live/checkenv.h"
#include "render/output.h"
#include "live/sampler.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REASON_ROUNDS 2          /* kernel checks watched before naming reasons */
#define MAX_DMESG 64

struct gate {
	long timeout_s;
	int wait, json, pretty, tty;
	char **argv;             /* COMMAND */
	struct sampler *sm;
	json_object *out;        /* the --json result */
	uint64_t start_ns;
	char **before;           /* patch names before COMMAND */
	size_t nbefore;
	char *dmesg[MAX_DMESG];
	size_t ndmesg;
	struct check_report conflicts;  /* COMMAND's patch module, or a failed function */
	int checked;             /* conflicts were judged */
};

struct gate_cli {
	long timeout_s;
	int wait;
};

static const struct opt gate_opts[] = {
	{ OPT_NUMBER, 't', "timeout", "S", "give up after S seconds (default 60): of waiting\n"
	  "with --wait, and of following COMMAND's transition", offsetof(struct gate_cli, timeout_s),
	  0, 86400 },
	{ OPT_SET, 'w', "wait", NULL, "wait for running transitions to end, not refuse",
	  offsetof(struct gate_cli, wait) },
	{ OPT_END }
};

static const struct opt_spec gate_spec = {
	.cmd = "gate",
	.usage = "klptop gate [--timeout S] [--wait] [--json] [--] COMMAND [ARGS...]",
	.about = "Run COMMAND (e.g. insmod PATCH.ko) only while no live patch is in\n"
		 "transition, then follow the transition it starts until it completes.\n"
		 "Options end at COMMAND (docs/check.md).\n",
	.epilog = "Exit status: 0 COMMAND ran and its transition completed (or it started\n"
		  "none); 6 refused: a transition is running, COMMAND not run; 7 timeout: a\n"
		  "transition still runs after S seconds (blockers are reported); 8 COMMAND\n"
		  "failed (its status and new kernel messages are shown); 1 other errors;\n"
		  "2 usage error.\n",
	.operand = "COMMAND",
	.min_operands = 1,
	.max_operands = -1,
	.operands_end_options = 1,
};

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ---- kernel messages since COMMAND started (/dev/kmsg) ------------------- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END); /* only what comes after this point */
	return fd;
}

/* Records are "PRIO,SEQ,USEC,FLAGS;text\n" plus " KEY=VALUE" lines. */
static void kmsg_drain(struct gate *g, int fd)
{
	char rec[8192];

	while (fd >= 0) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *text, *nl;

		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: go on with the next */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (g->ndmesg < MAX_DMESG)
			g->dmesg[g->ndmesg++] = xstrdup(text);
	}
}

/* ---- snapshots ----------------------------------------------------------- */

static int fill(struct gate *g, struct snapshot *s)
{
	snapshot__free(s);
	snapshot__init(s);
	return sampler__fill(g->sm, s);
}

/* A snapshot with the reasons the kernel's own checks give: watch a few
 * rounds first (the probes see each check). */
static int fill_with_reasons(struct gate *g, struct snapshot *s)
{
	int rc = fill(g, s);

	if (rc == EXIT_OK && s->transition) {
		sampler__wait_rounds(g->sm, REASON_ROUNDS, REASON_ROUNDS * 1500 + 1000);
		rc = fill(g, s);
	}
	return rc;
}

static void progress(struct gate *g, const struct snapshot *s, const char *what, int final)
{
	static uint64_t last_line;
	const struct transition_info *tr = s->transition;
	uint64_t now = now_ns();
	char line[256];

	if (g->json)
		return;
	if (tr)
		snprintf(line, sizeof(line), "klptop: gate: %s %s (%s): %zu/%zu tasks pending, "
			 "%.1f s, %u rounds", what, tr->patch, klp_state__name(tr->target),
			 tr->tasks_pending, tr->tasks_total, secs(now - g->start_ns), tr->rounds);
	else
		snprintf(line, sizeof(line), "klptop: gate: %s: done, %.1f s", what,
			 secs(now - g->start_ns));
	if (g->tty) {
		fprintf(stderr, "\r%-100s%s", line, final ? "\n" : "");
	} else if (final || !last_line || now - last_line >= 5000000000ull) {
		/* plain lines, not one a second, when not on a terminal */
		fprintf(stderr, "%s\n", line);
		last_line = now;
	}
	fflush(stderr);
}

/* Wait until no transition runs, or the deadline. 1: stable. */
static int wait_stable(struct gate *g, struct snapshot *s, const char *what, uint64_t deadline)
{
	for (;;) {
		if (fill(g, s) != EXIT_OK)
			return -1;
		if (!s->transition) {
			progress(g, s, what, 1);
			return 1;
		}
		progress(g, s, what, 0);
		if (now_ns() >= deadline) {
			if (g->tty && !g->json)
				fputc('\n', stderr);
			return 0;
		}
		sampler__wait_rounds(g->sm, 1, 1000);
	}
}

/* The blockers report: text as klptop status prints it, or the snapshot's
 * JSON under "status". */
static void report_snapshot(struct gate *g, struct snapshot *s)
{
	if (g->json) {
		json_object_object_add(g->out, "status", snapshot__to_json(s));
		return;
	}
	snapshot__print_text(s, stdout, 1);
	fflush(stdout);
}

static void set_result(struct gate *g, const char *result, int code, const char *patch)
{
	json_object_object_add(g->out, "result", json_object_new_string(result));
	json_object_object_add(g->out, "exit_code", json_object_new_int(code));
	json_object_object_add(g->out, "patch", patch ? json_object_new_string(patch) : NULL);
}

/* ---- COMMAND ------------------------------------------------------------- */

static int run_command(struct gate *g, int *status)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		p_err("gate: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(g->argv[0], g->argv);
		p_note("gate: cannot run %s: %s", g->argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			p_err("gate: waitpid: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int was_loaded(const struct gate *g, const char *name)
{
	for (size_t i = 0; i < g->nbefore; i++)
		if (!strcmp(g->before[i], name))
			return 1;
	return 0;
}

static void command_failed(struct gate *g, int status)
{
	json_object *a = json_object_new_array(), *cs = json_object_new_object();
	char how[64];

	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(status));
	if (WIFEXITED(status))
		json_object_object_add(cs, "exit", json_object_new_int(WEXITSTATUS(status)));
	else
		json_object_object_add(cs, "signal", json_object_new_int(WTERMSIG(status)));
	json_object_object_add(g->out, "command_status", cs);
	for (size_t i = 0; i < g->ndmesg; i++)
		json_object_array_add(a, json_object_new_string(g->dmesg[i]));
	json_object_object_add(g->out, "dmesg", a);
	set_result(g, "command_failed", EXIT_COMMAND, NULL);
	if (g->json)
		return;
	p_err("gate: COMMAND '%s' %s", g->argv[0], how);
	if (g->ndmesg)
		p_note("gate: new kernel messages since it started:");
	for (size_t i = 0; i < g->ndmesg; i++)
		fprintf(stderr, "  %s\n", g->dmesg[i]);
	if (!g->ndmesg)
		p_note("gate: no new kernel messages");
}

/* ---- conflicts with other hooks ------------------------------------------ */

static struct check_env *live_env(const struct check_report *r)
{
	struct checkenv_src src = { &g_opts.paths, g_opts.kallsyms, 0 };
	struct check_env *env;
	struct snapshot s;

	snapshot__init(&s);
	env = checkenv__read(&src, r, &s);
	check_env__set_patches(env, s.patches, s.npatches);
	s.patches = NULL;
	s.npatches = 0;
	snapshot__free(&s);
	return env;
}

/* The live patch module COMMAND loads, judged for conflicts. */
static void check_command_module(struct gate *g)
{
	char err[256];

	for (char **a = g->argv; *a; a++) {
		size_t len = strlen(*a);
		struct check_env *env;
		struct lp_patch p;

		if (len < 3 || strcmp(*a + len - 3, ".ko") ||
		    patchelf__read(*a, &p, err, sizeof(err)))
			continue;
		if (!p.found) {
			lp_patch__free(&p);
			continue;
		}
		check_report__from_patch(&g->conflicts, *a, &p);
		lp_patch__free(&p);
		env = live_env(&g->conflicts);
		check__run_conflicts(&g->conflicts, env);
		check_env__free(env);
		g->checked = 1;
		return;
	}
}

/* The kernel said which function it could not take over ("failed to
 * register ftrace handler for function 'F' (-16)"): who holds it. */
static void explain_ebusy(struct gate *g)
{
	static const char key[] = "failed to register ftrace handler for function '";
	struct check_env *env;

	for (size_t i = 0; i < g->ndmesg && !g->checked; i++) {
		const char *f = strstr(g->dmesg[i], key), *end;
		char name[256];

		if (!f || !(end = strchr(f + sizeof(key) - 1, '\'')))
			continue;
		f += sizeof(key) - 1;
		snprintf(name, sizeof(name), "%.*s", (int)(end - f), f);
		check_report__add_target(&g->conflicts, NULL, name, 0, 0);
		env = live_env(&g->conflicts);
		check__run_conflicts(&g->conflicts, env);
		check_env__free(env);
		g->checked = 1;
	}
}

static void say_conflicts(struct gate *g, const char *head, const char *effect)
{
	if (!g->checked || g->json)
		return;
	fprintf(stderr, "klptop: gate: %s\n", head);
	check_report__print_conflicts(&g->conflicts, stderr, "  ", effect);
}

static int any_effect(const struct gate *g, const char *effect)
{
	json_object *a = check_report__conflicts_json(&g->conflicts);
	int found = 0;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *h = json_object_object_get(json_object_array_get_idx(a, i), "hook");

		found |= !strcmp(json_object_get_string(json_object_object_get(h, "effect")), effect);
	}
	json_object_put(a);
	return found;
}

/* Once the transition completed: the hooks that now watch code no task runs. */
static void say_stale(struct gate *g)
{
	if (any_effect(g, "stops_seeing_calls"))
		say_conflicts(g, "no task runs the code these hooks are on any more; re-attach "
			      "them to the new functions:", "stops_seeing_calls");
}

static int gate_run(struct gate *g)
{
	struct snapshot s;
	uint64_t deadline;
	int rc, status, kfd;
	char *patch = NULL;

	snapshot__init(&s);
	rc = fill(g, &s);
	if (rc != EXIT_OK)
		goto out; /* said why: no live patching (3), not permitted (4), ... */
	g->start_ns = now_ns();
	/* 1. Nothing may be in transition. */
	if (s.transition && !g->wait) {
		rc = fill_with_reasons(g, &s);
		if (rc != EXIT_OK)
			goto out;
	}
	if (s.transition && !g->wait) {
		const struct transition_info *tr = s.transition;

		p_err("gate: patch %s is in transition (%s, %zu of %zu tasks pending): "
		      "refusing to run %s (the kernel would answer EBUSY); use --wait, or "
		      "see the blockers below", tr->patch, klp_state__name(tr->target),
		      tr->tasks_pending, tr->tasks_total, g->argv[0]);
		set_result(g, "refused", EXIT_REFUSED, tr->patch);
		report_snapshot(g, &s);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (s.transition) {
		deadline = g->start_ns + (uint64_t)g->timeout_s * 1000000000ull;
		rc = wait_stable(g, &s, "waiting for", deadline);
		if (rc < 0) {
			rc = EXIT_ERROR;
			goto out;
		}
		if (!rc) {
			fill_with_reasons(g, &s);
			p_err("gate: patch %s still in transition after %ld s: COMMAND not run",
			      s.transition ? s.transition->patch : "?", g->timeout_s);
			set_result(g, "timeout", EXIT_TIMEOUT,
				   s.transition ? s.transition->patch : NULL);
			json_object_object_add(g->out, "phase", json_object_new_string("wait"));
			report_snapshot(g, &s);
			rc = EXIT_TIMEOUT;
			goto out;
		}
	}
	/* 2. What else hooks the functions COMMAND's patch replaces. */
	check_command_module(g);
	if (g->checked && g->conflicts.errors) {
		p_err("gate: %s would fail to load: another hook holds a function it replaces; "
		      "COMMAND not run", g->conflicts.patch ? g->conflicts.patch : g->argv[0]);
		say_conflicts(g, "conflicts:", "load_fails");
		set_result(g, "refused", EXIT_REFUSED, g->conflicts.patch);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (g->checked && g->conflicts.warnings + g->conflicts.infos)
		say_conflicts(g, "other hooks on the functions this patch replaces:", NULL);
	for (size_t i = 0; i < s.npatches; i++) {
		g->before = xrealloc(g->before, (g->nbefore + 1) * sizeof(*g->before));
		g->before[g->nbefore++] = xstrdup(s.patches[i].name);
	}
	/* 3. COMMAND, with the kernel's messages from now on. */
	kfd = kmsg_open();
	g->start_ns = now_ns();
	if (run_command(g, &status)) {
		if (kfd >= 0)
			close(kfd);
		rc = EXIT_ERROR;
		goto out;
	}
	kmsg_drain(g, kfd);
	if (kfd >= 0)
		close(kfd);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		explain_ebusy(g);
		command_failed(g, status);
		say_conflicts(g, "the function the kernel could not take over is held by:",
			      "load_fails");
		rc = EXIT_COMMAND;
		goto out;
	}
	/* 4. Follow the transition it started. */
	rc = fill(g, &s);
	if (rc != EXIT_OK)
		goto out; /* said why: no live patching (3), not permitted (4), ... */
	for (size_t i = 0; i < s.npatches && !patch; i++)
		if (!was_loaded(g, s.patches[i].name))
			patch = xstrdup(s.patches[i].name);
	if (s.transition) {
		free(patch);
		patch = xstrdup(s.transition->patch);
		deadline = g->start_ns + (uint64_t)g->timeout_s * 1000000000ull;
		rc = wait_stable(g, &s, "following", deadline);
		if (rc < 0) {
			rc = EXIT_ERROR;
			goto out;
		}
		if (!rc) {
			fill_with_reasons(g, &s);
			p_err("gate: the transition of %s did not complete within %ld s; "
			      "blockers below", patch, g->timeout_s);
			set_result(g, "timeout", EXIT_TIMEOUT, patch);
			json_object_object_add(g->out, "phase", json_object_new_string("follow"));
			report_snapshot(g, &s);
			rc = EXIT_TIMEOUT;
			goto out;
		}
		if (!g->json)
			p_note("gate: the transition of %s completed in %.1f s", patch,
			       secs(now_ns() - g->start_ns));
		say_stale(g);
		set_result(g, "completed", EXIT_OK, patch);
	} else if (patch) {
		if (!g->json)
			p_note("gate: %s loaded; its transition had already completed", patch);
		say_stale(g);
		set_result(g, "completed", EXIT_OK, patch);
	} else {
		if (!g->json)
			p_note("gate: COMMAND succeeded and started no transition");
		set_result(g, "no_transition", EXIT_OK, NULL);
	}
	json_object_object_add(g->out, "elapsed_s",
			       json_object_new_double(secs(now_ns() - g->start_ns)));
	rc = EXIT_OK;
out:
	free(patch);
	snapshot__free(&s);
	return rc;
}

int cmd_gate(int argc, char **argv)
{
	struct sampler_opts so = { .with_stacks = 1, .no_routing = 1 };
	struct gate_cli cli = { .timeout_s = 60 };
	struct gate g = { 0 };
	struct opts_result res;
	json_object *cmd;
	int rc;

	rc = cmd__parse(&gate_spec, gate_opts, &cli, CMD_JSON, argc, argv, &res);
	if (rc >= 0)
		return rc;
	if (g_opts.root) {
		opts_result__free(&res);
		return p_usage("gate", "acts on the live kernel; it cannot run with --root");
	}
	g.timeout_s = cli.timeout_s;
	g.wait = cli.wait;
	g.json = g_opts.json;
	g.pretty = g_opts.pretty;
	/* COMMAND and its arguments, NULL-terminated for execvp */
	g.argv = xcalloc((size_t)res.noperands + 1, sizeof(*g.argv));
	memcpy(g.argv, res.operands, (size_t)res.noperands * sizeof(*g.argv));
	g.tty = isatty(STDERR_FILENO);
	g.out = json_object_new_object();
	cmd = json_object_new_array();
	for (int i = 0; i < res.noperands; i++)
		json_object_array_add(cmd, json_object_new_string(res.operands[i]));
	opts_result__free(&res);
	json_object_object_add(g.out, "command", cmd);
	g.sm = cmd__open_sampler(&so);
	if (!g.sm) {
		json_object_put(g.out);
		free(g.argv);
		return EXIT_ERROR;
	}
	rc = gate_run(&g);
	if (g.checked)
		json_object_object_add(g.out, "conflicts", check_report__conflicts_json(&g.conflicts));
	if (g.json && json_object_object_get_ex(g.out, "result", NULL) &&
	    json__print(g.out, stdout, g.pretty))
		rc = EXIT_ERROR;
	sampler__close(g.sm);
	json_object_put(g.out);
	for (size_t i = 0; i < g.nbefore; i++)
		free(g.before[i]);
	free(g.before);
	for (size_t i = 0; i < g.ndmesg; i++)
		free(g.dmesg[i]);
	free(g.argv);
	check_report__free(&g.conflicts);
	return rc;
}
