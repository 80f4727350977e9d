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
#include "render/blockers.h"
#include "cmd/cmd.h"
#include "lib/log.h"
#include "live/sampler.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct act_cli {
	int yes;
	const char *reason;
	double wait_s;
};

static const struct opt act_opts[] = {
	{ OPT_SET, 'y', "yes", NULL, "do not ask (scripts; still logged)",
	  offsetof(struct act_cli, yes) },
	{ OPT_STRING, 0, "reason", "TEXT", "why, for the kernel log line",
	  offsetof(struct act_cli, reason) },
	{ OPT_SECONDS, 'w', "wait", "SECONDS", "follow the transition this long (default 30, 0: no)",
	  offsetof(struct act_cli, wait_s), 0, 86400 },
	{ OPT_MOVED, 'r', .help = "--reason (-r is --rounds)" },
	{ OPT_END }
};

#define ACT_EPILOG                                                                       \
	"Exit status: 0 written, and the transition ended within --wait; 6 not\n"       \
	"confirmed, or no terminal to confirm on without --yes: nothing written;\n"     \
	"7 still in transition after --wait; 4 cannot write (needs root); 1 other\n"   \
	"errors; 2 usage error.\n"

static const struct opt_spec act_specs[] = {
	[ACT_FORCE] = {
		.cmd = "force",
		.usage = "klptop force PATCH [--yes] [--reason TEXT] [--wait SECONDS]",
		.about = "Force PATCH's transition: the kernel marks every task not yet switched\n"
			 "as switched without checking its stack. UNSAFE: a task still running a\n"
			 "patched function may then mix old and new code, and the modules of\n"
			 "the patches on their way out can never be removed. Lists those tasks,\n"
			 "asks for the patch name to be typed, logs to the kernel log, writes\n"
			 "sysfs 'force'.\n",
		.epilog = ACT_EPILOG,
		.operand = "PATCH (a name in /sys/kernel/livepatch)",
		.min_operands = 1,
		.max_operands = 1,
	},
	[ACT_DISABLE] = {
		.cmd = "disable",
		.usage = "klptop disable PATCH [--yes] [--reason TEXT] [--wait SECONDS]",
		.about = "Disable PATCH: during its transition this reverses it (tasks switch\n"
			 "back; safe), otherwise it starts the unpatching transition. Asks for\n"
			 "the patch name to be typed, logs to the kernel log, writes sysfs\n"
			 "'enabled'.\n",
		.epilog = ACT_EPILOG,
		.operand = "PATCH (a name in /sys/kernel/livepatch)",
		.min_operands = 1,
		.max_operands = 1,
	},
};

static const struct patch_info *find_patch(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->npatches; i++)
		if (!strcmp(s->patches[i].name, name))
			return &s->patches[i];
	return NULL;
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
	       p->name, klp_state__name(tr->target), tr->ntasks);
	for (size_t g = 0; g < tr->ngroups; g++) {
		const struct blocker_group *grp = &tr->groups[g];
		char tids[256];

		printf("  %6zu x %-16s %s %c  in %s\n", grp->count, grp->comm,
		       grp->kthread ? "kthread" : "user   ", grp->state ? grp->state : '?',
		       task_snap__where(&grp->rep));
		printf("           %s %s\n", grp->count > 1 ? "tasks:" : "task",
		       blocker_group__tids(tr, g, 16, tids, sizeof(tids)));
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
	struct sampler_opts so = { .with_stacks = 1, .no_routing = 1 };
	struct act_cli cli = { .wait_s = 30 };
	const struct patch_info *p;
	char dir[400], path[512], line[1024];
	const char *name;
	struct opts_result res;
	struct sampler *sm;
	struct snapshot s;
	int rc, err;

	rc = cmd__parse(&act_specs[k], act_opts, &cli, CMD_TEXT, argc, argv, &res);
	if (rc >= 0)
		return rc;
	name = res.operands[0]; /* a string of argv's */
	opts_result__free(&res);
	if (g_opts.root) {
		return p_usage(act__verb(k), "acts on the live kernel only, not on a captured tree "
			       "(--root)");
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
	if (!cli.yes && confirmed(k, name)) {
		rc = EXIT_REFUSED;
		goto out;
	}
	act__audit_line(line, sizeof(line), k, name, getpid(), getuid(), getenv("SUDO_USER"),
			s.transition && !strcmp(s.transition->patch, name) ? s.transition : NULL,
			cli.reason);
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
	if (cli.wait_s > 0 && act__follow(dir, cli.wait_s)) {
		p_err("%s: %s is still in transition after %.0f s (see klptop status)", act__verb(k),
		      name, cli.wait_s);
		rc = EXIT_TIMEOUT;
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
