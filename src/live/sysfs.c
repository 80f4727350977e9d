// SPDX-License-Identifier: GPL-2.0
/* Reading /sys/kernel/livepatch: patches, their objects and functions.
 * Patches can vanish at any moment (a disable + rmmod races with us): a
 * directory that disappears mid-read is skipped, never fatal. */
#include "live/sysfs.h"
#include "live/privs.h"
#include "live/cpuiso.h"
#include "lib/util.h"
#include "lib/log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#define TAINT_LIVEPATCH_BIT 15

const struct sys_paths default_paths = { .sysfs = "/sys", .procfs = "/proc" };

/* A kernel built without CONFIG_LIVEPATCH has /sys/kernel but no
 * livepatch directory in it; without /sys/kernel, sysfs is not mounted
 * (a container, a chroot) and the kernel may well have it. */
static void why_no_livepatch(struct kernel_info *k, const struct sys_paths *p)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/kernel", p->sysfs);
	if (stat(path, &st))
		snprintf(k->livepatch_why_not, sizeof(k->livepatch_why_not),
			 "%s is missing (sysfs is not mounted at %s)", path, p->sysfs);
	else
		snprintf(k->livepatch_why_not, sizeof(k->livepatch_why_not),
			 "%s/livepatch is missing (CONFIG_LIVEPATCH is not set)", path);
}

int livepatch__read_kernel(struct kernel_info *k, const struct sys_paths *p)
{
	char path[PATH_MAX];
	struct utsname u;
	struct stat st;
	char buf[64];
	unsigned long t;

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "%s/sys/kernel/osrelease", p->procfs);
	if (read_text(path, buf, sizeof(buf)) > 0) {
		strip_newline(buf);
		copy_str(k->release, sizeof(k->release), buf);
	} else if (!uname(&u)) {
		copy_str(k->release, sizeof(k->release), u.release);
	}
	snprintf(path, sizeof(path), "%s/kernel/livepatch", p->sysfs);
	k->livepatch = !stat(path, &st) && S_ISDIR(st.st_mode);
	if (!k->livepatch)
		why_no_livepatch(k, p);
	snprintf(path, sizeof(path), "%s/sys/kernel/tainted", p->procfs);
	if (read_text(path, buf, sizeof(buf)) > 0 && !parse_ulong(buf, 10, &t)) {
		k->tainted = t;
		k->taint_livepatch = !!(t & (1ul << TAINT_LIVEPATCH_BIT));
	}
	return 0;
}

static int is_subdir(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (name[0] == '.')
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the subdirectories of dir. NULL with errno on failure. */
static char **list_subdirs(const char *dir, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!is_subdir(dir, de->d_name))
			continue;
		grow_array((void **)&names, &cap, *n, sizeof(*names));
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_str);
	else
		names = xcalloc(1, sizeof(*names));
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* "<func>,<sympos>": the kernel writes sympos 1 when old_sympos was 0. */
static void parse_func_dir(const char *dirname, struct func_info *f)
{
	const char *comma = strrchr(dirname, ',');
	long pos;

	f->sympos = 0;
	f->live = -1;
	f->stack_pos = -1;
	if (comma && !parse_long(comma + 1, &pos)) {
		f->name = strndup(dirname, comma - dirname);
		f->sympos = pos;
	} else {
		f->name = xstrdup(dirname);
	}
}

static int read_object(const char *patchdir, const char *name, struct object_info *o)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char **funcs;
	size_t n, i;
	long v;

	snprintf(dir, sizeof(dir), "%s/%s", patchdir, name);
	o->name = xstrdup(name);
	snprintf(path, sizeof(path), "%s/patched", dir);
	/* <object>/patched is absent on older kernels: report unknown. */
	o->patched = read_long(path, &v) ? -1 : (int)v;
	funcs = list_subdirs(dir, &n);
	if (!funcs)
		return -errno;
	o->funcs = xcalloc(n, sizeof(*o->funcs));
	for (i = 0; i < n; i++)
		parse_func_dir(funcs[i], &o->funcs[i]);
	o->nfuncs = n;
	free_names(funcs, n);
	return 0;
}

static int read_flag(const char *dir, const char *file, int *out)
{
	char path[PATH_MAX];
	long v;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	err = read_long(path, &v);
	if (err)
		return err;
	*out = (int)v;
	return 0;
}

static int read_patch(const char *root, const char *name, struct patch_info *pi)
{
	char dir[PATH_MAX];
	char **objs;
	size_t n, i;
	int err;

	memset(pi, 0, sizeof(*pi));
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	pi->name = xstrdup(name);
	pi->forced = -1;
	err = read_flag(dir, "enabled", &pi->enabled);
	if (!err)
		err = read_flag(dir, "transition", &pi->transition);
	if (err)
		return err;
	if (read_flag(dir, "replace", &pi->replace))
		pi->replace = -1;
	pi->stack_order = -1; /* read_stack_orders(), when it is safe */
	objs = list_subdirs(dir, &n);
	if (!objs)
		return -errno;
	pi->objs = xcalloc(n, sizeof(*pi->objs));
	for (i = 0; i < n && !err; i++)
		err = read_object(dir, objs[i], &pi->objs[i]);
	pi->nobjs = n;
	free_names(objs, n);
	return err;
}

/* The enabled patch with the highest stack_order that patches F of object
 * O: the kernel runs its version ("unless a transition is in progress",
 * Documentation/ABI/testing/sysfs-kernel-livepatch). NULL if none. */
static const struct patch_info *top_of_stack(const struct snapshot *s, const char *o,
					     const struct func_info *f)
{
	const struct patch_info *top = NULL;

	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];

		if (!pi->enabled || pi->stack_order < 0 ||
		    (top && top->stack_order >= pi->stack_order))
			continue;
		for (size_t j = 0; j < pi->nobjs; j++)
			for (size_t k = 0; k < pi->objs[j].nfuncs; k++)
				if (!strcmp(pi->objs[j].name, o) &&
				    !strcmp(pi->objs[j].funcs[k].name, f->name) &&
				    pi->objs[j].funcs[k].sympos == f->sympos)
					top = pi;
	}
	return top;
}

/*
 * sysfs stack_order (6.14+). Reading it takes klp_mutex, and a transition
 * whose completion waits in synchronize_rcu_tasks() for a task that never
 * schedules holds klp_mutex for as long (seen on 7.2: every klptop blocked in
 * D state, in the very incident it is there to explain). So it is read only
 * when no patch is in transition, the only time it says which version runs
 * anyway ("unless a transition is in progress", the kernel's ABI doc).
 */
static void read_stack_orders(struct snapshot *s, const char *root)
{
	char dir[PATH_MAX];

	for (size_t i = 0; i < s->npatches; i++)
		if (s->patches[i].transition)
			return;
	for (size_t i = 0; i < s->npatches; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, s->patches[i].name);
		if (read_flag(dir, "stack_order", &s->patches[i].stack_order))
			s->patches[i].stack_order = -1;
	}
}

/* Which patch's version of each function runs, by the kernel's stack_order. */
static void live_by_stack_order(struct snapshot *s)
{
	for (size_t i = 0; i < s->npatches; i++) {
		struct patch_info *pi = &s->patches[i];

		for (size_t j = 0; j < pi->nobjs; j++)
			for (size_t k = 0; k < pi->objs[j].nfuncs; k++) {
				struct func_info *f = &pi->objs[j].funcs[k];

				f->live_stack_order = pi->stack_order < 0 ? -1 :
					top_of_stack(s, pi->objs[j].name, f) == pi;
			}
	}
}

int livepatch__read_patches(struct snapshot *s, const struct sys_paths *p)
{
	char root[PATH_MAX];
	char **names;
	size_t n, i;

	snprintf(root, sizeof(root), "%s/kernel/livepatch", p->sysfs);
	names = list_subdirs(root, &n);
	if (!names)
		return -errno;
	s->patches = xcalloc(n, sizeof(*s->patches));
	for (i = 0; i < n; i++) {
		struct patch_info *pi = &s->patches[s->npatches];
		int err = read_patch(root, names[i], pi);

		if (err) {
			/* Disabled and removed while we read it: not an error. */
			snapshot__warn(s, "patch %s vanished while being read (%s); skipped",
				       names[i], strerror(-err));
			patch_info__free(pi);
			continue;
		}
		s->npatches++;
	}
	free_names(names, n);
	read_stack_orders(s, root);
	live_by_stack_order(s);
	return 0;
}

static struct transition_info *find_transition(const struct snapshot *s)
{
	for (size_t i = 0; i < s->npatches; i++) {
		const struct patch_info *pi = &s->patches[i];
		struct transition_info *tr;

		if (!pi->transition)
			continue;
		tr = xcalloc(1, sizeof(*tr));
		tr->patch = xstrdup(pi->name);
		/* enabled flips before an unpatch transition starts and after a
		 * patch transition started, so it names the target state. */
		tr->target = pi->enabled ? KLP_PATCHED : KLP_UNPATCHED;
		return tr;
	}
	return NULL;
}

static int transition_still_running(const struct sys_paths *p, const char *patch)
{
	char path[512];
	long v;

	snprintf(path, sizeof(path), "%s/kernel/livepatch/%s/transition", p->sysfs, patch);
	return !read_long(path, &v) && v;
}

int live__read_sysfs(struct snapshot *s, const struct sys_paths *p)
{
	int err;

	s->taken_ns = realtime_ns();
	livepatch__read_kernel(&s->kernel, p);
	if (!s->kernel.livepatch) {
		p_err("this kernel (%s) has no live patching: %s", s->kernel.release,
		      s->kernel.livepatch_why_not);
		return EXIT_NO_LIVEPATCH;
	}
	err = livepatch__read_patches(s, p);
	if (err) {
		p_err("cannot read %s/kernel/livepatch: %s", p->sysfs, strerror(-err));
		return err == -EACCES ? EXIT_PERM : EXIT_ERROR;
	}
	s->transition = find_transition(s);
	live__read_cpu_isolation(&s->cpu_iso, p);
	return EXIT_OK;
}

int live__target_moved(const struct snapshot *s, const struct sys_paths *p)
{
	char path[512];
	long v;

	if (!s->transition)
		return 0;
	snprintf(path, sizeof(path), "%s/kernel/livepatch/%s/enabled", p->sysfs,
		 s->transition->patch);
	return !read_long(path, &v) && (v ? KLP_PATCHED : KLP_UNPATCHED) != s->transition->target;
}

int live__finish_transition(struct snapshot *s, const struct sys_paths *p, int scan_err)
{
	if (!s->transition)
		return EXIT_OK;
	if (scan_err == -EACCES || scan_err == -EPERM) {
		struct privs pv;
		char caps[128];

		privs__read(&pv);
		p_err("not privileged: reading the tasks' patch state needs root, or %s for the BPF "
		      "probes, or CAP_DAC_READ_SEARCH for %s/*/task/*/patch_state",
		      privs__bpf_caps(&pv, caps, sizeof(caps)), p->procfs);
		return EXIT_PERM;
	}
	if (scan_err) {
		p_err("cannot scan tasks: %s", strerror(-scan_err));
		return EXIT_ERROR;
	}
	/* The transition may have ended while we walked the tasks: then every
	 * task read -1 and reporting "0 of N pending" would mislead. */
	if (!transition_still_running(p, s->transition->patch)) {
		snapshot__warn(s, "transition of %s completed while being read", s->transition->patch);
		transition_info__free(s->transition);
		s->transition = NULL;
		for (size_t i = 0; i < s->npatches; i++)
			s->patches[i].transition = 0;
	}
	return EXIT_OK;
}

int live__fill(struct snapshot *s, const struct sys_paths *p, const struct live_scan *ls)
{
	int rc, err = 0;

	for (int tries = 0;; tries++) {
		int target = -1;

		rc = live__read_sysfs(s, p);
		if (rc != EXIT_OK)
			return rc;
		if (s->transition) {
			if (ls->known_target)
				target = ls->known_target(ls->ctx, s->transition->patch);
			if (target >= 0)
				s->transition->target = target;
			err = ls->scan(ls->ctx, s->transition);
		}
		if (err || tries == 2 || target >= 0 || !live__target_moved(s, p))
			break;
		snapshot__free(s);
		snapshot__init(s);
	}
	rc = live__finish_transition(s, p, err);
	if (rc != EXIT_OK)
		return rc;
	if (ls->annotate)
		ls->annotate(ls->ctx, s);
	if (s->transition) {
		transition_info__mark_isolation(s->transition, &s->cpu_iso);
		transition_info__group(s->transition);
		if (ls->rep_stacks)
			ls->rep_stacks(ls->ctx, s->transition);
		snapshot__mark_stacks(s);
	}
	return EXIT_OK;
}

const char *live__outcome_of(const struct sys_paths *p, const char *patch, int target)
{
	char path[512];
	long enabled;

	snprintf(path, sizeof(path), "%s/kernel/livepatch/%s/enabled", p->sysfs, patch);
	if (read_long(path, &enabled))
		return "ended";
	return (enabled ? KLP_PATCHED : KLP_UNPATCHED) == target ? "completed" : "reversed";
}
