// SPDX-License-Identifier: GPL-2.0
/*
 * klptop force PATCH / klptop disable PATCH (docs/klptop.8, "ACTIONS").
 *
 * Everything else klptop does only reads. These two change the kernel, at
 * 3 a.m., typed by someone tired, so each one:
 *   1. says what it will do to which tasks (the pending list, read from
 *      procfs: no probes to attach, nothing that can hang on ftrace_lock);
 *   2. asks for the patch name to be typed on the terminal, or takes --yes
 *      (scripts); with neither it refuses and writes nothing;
 *   3. records itself in the kernel log (/dev/kmsg) before acting, so dmesg,
 *      the journal and whoever reads the incident later see who did it;
 *   4. writes one sysfs file and follows the transition to its end.
 */
#include "live/act.h"
#include "cmd/cmd.h"
#include "lib/log.h"
#include "live/sampler.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void act_usage(FILE *f, enum act_kind k)
{
	if (k == ACT_FORCE)
		fprintf(f, "Usage: klptop force PATCH [--yes] [--reason TEXT] [--wait SECONDS]\n"
			   "  Force PATCH's transition: the kernel marks every task not yet switched\n"
			   "  as switched without checking its stack. UNSAFE: a task still running a\n"
			   "  patched function may then mix old and new code, and the modules of\n"
			   "  the patches on their way out can never be removed. Lists those tasks,\n"
			   "  asks for the patch name to be typed, logs to the kernel log, writes\n"
			   "  sysfs 'force'.\n");
	else
		fprintf(f, "Usage: klptop disable PATCH [--yes] [--reason TEXT] [--wait SECONDS]\n"
			   "  Disable PATCH: during its transition this reverses it (tasks switch\n"
			   "  back; safe), otherwise it starts the unpatching transition. Asks for\n"
			   "  the patch name to be typed, logs to the kernel log, writes sysfs\n"
			   "  'enabled'.\n");
	fprintf(f, "  -y, --yes             do not ask (scripts; still logged)\n"
		   "  -r, --reason TEXT     why, for the kernel log line\n"
		   "  -w, --wait SECONDS    follow the transition this long (default 30, 0: no)\n");
}

static const struct patch_info *find_patch(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->npatches; i++)
		if (!strcmp(s->patches[i].name, name))
			return &s->patches[i];
	return NULL;
}

static const char *marked_symbol(const struct stack_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].marked && f[i].symbol)
			return f[i].symbol;
	return NULL;
}

/* Where a task is held back: the patched function on its stack, or for a
 * task on a CPU (no stack to read) the one it was sampled running in. */
static const char *where(const struct task_snap *t)
{
	const char *fn = marked_symbol(t->stack, t->nstack);

	if (!fn)
		fn = marked_symbol(t->oncpu, t->noncpu);
	if (!fn)
		fn = t->function;
	if (!fn && t->nstack && t->stack[0].symbol)
		fn = t->stack[0].symbol;
	return fn ? fn : t->state == 'R' ? "? (on a CPU)" : "?";
}

static void describe(enum act_kind k, const struct snapshot *s, const struct patch_info *p)
{
	const struct transition_info *tr = s->transition;
	int ours = tr && !strcmp(tr->patch, p->name);

	if (k == ACT_DISABLE) {
		if (ours)
			printf("Disabling %s reverses its transition to %s: the %zu task(s) "
			       "already switched switch back (safe).\n", p->name,
			       klp_state__name(tr->target), tr->tasks_total - tr->tasks_pending);
		else
			printf("Disabling %s starts its unpatching transition: every task "
			       "switches back to the original code as it becomes safe.\n", p->name);
		return;
	}
	printf("Forcing %s -> %s marks %zu task(s) as switched although the kernel has not\n"
	       "found them safe. Each may still be inside code this patch replaces:\n",
	       p->name, klp_state__name(tr->target), tr->npending);
	for (size_t i = 0; i < tr->npending; i++) {
		const struct task_snap *t = &tr->pending[i];

		printf("  %7d %-16s %s %c  in %s\n", t->tid, t->comm, t->kthread ? "kthread" : "user   ",
		       t->state ? t->state : '?', where(t));
	}
	/* Which modules the kernel pins (klp_force_transition): the patch being
	 * removed, or the patches a cumulative patch replaces. */
	if (tr->target == KLP_UNPATCHED)
		printf("After the force %s's module can never be unloaded (until reboot).\n",
		       p->name);
	else if (p->replace == 1)
		printf("After the force the patches %s replaces can never be unloaded (until "
		       "reboot).\n", p->name);
	else if (p->replace < 0)
		printf("If %s is cumulative (replace), the patches it replaces can never be "
		       "unloaded after the force.\n", p->name);
}

static int parse_args(int argc, char **argv, enum act_kind k, int *yes, const char **reason,
		      double *wait_s)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "reason", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "yr:w:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'y': *yes = 1; break;
		case 'r': *reason = optarg; break;
		case 'w':
			*wait_s = strtod(optarg, &end);
			if (*end || *wait_s < 0 || *wait_s > 86400) {
				p_err("%s: --wait needs seconds between 0 and 86400, not '%s'",
				      act__verb(k), optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': act_usage(stdout, k); return EXIT_OK;
		default: act_usage(stderr, k); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		p_err("%s: needs exactly one PATCH (a name in /sys/kernel/livepatch)", act__verb(k));
		return EXIT_USAGE;
	}
	return -1;
}

/* Ask on the controlling terminal, not stdin: "yes | klptop force" must not
 * answer for the operator. No terminal and no --yes: refuse. */
static int confirmed(enum act_kind k, const char *patch)
{
	FILE *tty = fopen("/dev/tty", "r+");
	int ok;

	if (!tty) {
		p_err("%s: no terminal to confirm on (/dev/tty: %s): nothing written; add --yes "
		      "to %s %s without asking", act__verb(k), strerror(errno), act__verb(k), patch);
		return -1;
	}
	ok = act__confirm(tty, tty, k, patch);
	fclose(tty);
	if (!ok)
		p_err("%s: not confirmed: nothing written", act__verb(k));
	return ok ? 0 : -1;
}

static int act(enum act_kind k, int argc, char **argv)
{
	const char *reason = NULL, *name;
	struct sampler_opts so = { .with_stacks = 1, .no_routing = 1 };
	const struct patch_info *p;
	char dir[400], path[512], line[1024];
	struct sampler *sm;
	struct snapshot s;
	double wait_s = 30;
	int yes = 0, rc, err;

	rc = parse_args(argc, argv, k, &yes, &reason, &wait_s);
	if (rc >= 0)
		return rc;
	name = argv[optind];
	if (g_opts.root) {
		p_err("%s: acts on the live kernel only, not on a captured tree (--root)", act__verb(k));
		return EXIT_USAGE;
	}
	/* With BPF when it can: a running task has no /proc stack, but the
	 * sampler sees it on its CPU over a couple of the kernel's rounds. */
	sm = cmd__open_sampler(&so);
	snapshot__init(&s);
	rc = sampler__fill(sm, &s);
	if (rc == EXIT_OK && s.transition && !strcmp(s.transition->patch, name)) {
		sampler__wait_rounds(sm, 2, 4000);
		snapshot__free(&s);
		snapshot__init(&s);
		rc = sampler__fill(sm, &s);
	}
	if (rc != EXIT_OK)
		goto out;
	rc = EXIT_ERROR;
	p = find_patch(&s, name);
	if (!p) {
		p_err("%s: no live patch '%s' in %s/kernel/livepatch", act__verb(k), name,
		      g_opts.paths.sysfs);
		goto out;
	}
	if (k == ACT_FORCE && (!s.transition || strcmp(s.transition->patch, name))) {
		p_err("force: %s is not in transition: nothing to force", name);
		goto out;
	}
	if (k == ACT_DISABLE && !p->enabled) {
		p_err("disable: %s is already disabled", name);
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/kernel/livepatch/%s", g_opts.paths.sysfs, name);
	snprintf(path, sizeof(path), "%s/%s", dir, k == ACT_FORCE ? "force" : "enabled");
	if (access(path, W_OK)) {
		p_err("%s: cannot write %s: %s (needs root)", act__verb(k), path, strerror(errno));
		rc = errno == EACCES || errno == EPERM || errno == EROFS ? EXIT_PERM : EXIT_ERROR;
		goto out;
	}
	describe(k, &s, p);
	fflush(stdout);
	if (!yes && confirmed(k, name)) {
		rc = EXIT_USAGE;
		goto out;
	}
	act__audit_line(line, sizeof(line), k, name, getpid(), getuid(), getenv("SUDO_USER"),
			s.transition && !strcmp(s.transition->patch, name) ? s.transition : NULL,
			reason);
	act__audit(line);
	err = act__write_sysfs(path, k == ACT_FORCE ? "1" : "0");
	if (err) {
		/* EINVAL from force: the transition ended between our read and now. */
		p_err("%s: writing %s failed: %s", act__verb(k), path, strerror(-err));
		goto out;
	}
	printf("%s: wrote %s\n", act__verb(k), path);
	fflush(stdout);
	rc = EXIT_OK;
	if (wait_s > 0 && act__follow(dir, wait_s)) {
		p_err("%s: %s is still in transition after %.0f s (see klptop status)", act__verb(k),
		      name, wait_s);
		rc = EXIT_ERROR;
	}
out:
	snapshot__free(&s);
	sampler__close(sm);
	return rc;
}

int cmd_force(int argc, char **argv)
{
	return act(ACT_FORCE, argc, argv);
}

int cmd_disable(int argc, char **argv)
{
	return act(ACT_DISABLE, argc, argv);
}
