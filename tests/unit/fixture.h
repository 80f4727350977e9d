/* SPDX-License-Identifier: GPL-2.0 */
/* Build fake sysfs/procfs trees in a temp dir, so parsers are tested on the
 * exact file shapes the kernel produces (copied from a 6.1 lab boot). */
#ifndef KLPTOP_TEST_FIXTURE_H
#define KLPTOP_TEST_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live/procscan.h"

static inline void fx_mkdirs(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

/* fx_write(root, "sys/kernel/livepatch/p/enabled", "1\n") */
static inline void fx_write(const char *root, const char *rel, const char *content)
{
	char path[4096], dir[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fx_mkdirs(dir);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

static inline void fx_writef(const char *root, const char *rel, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fx_write(root, rel, buf);
}

static inline char *fx_root(void)
{
	char *t = strdup("/tmp/klptop-test-XXXXXX");

	if (!mkdtemp(t))
		abort();
	return t;
}

static inline void fx_cleanup(char *root)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd)) {
		/* leave it: a stale temp dir is harmless */
	}
	free(root);
}

/* A live fill of the fixture tree through the product's own path
 * (live__fill: sysfs, the tasks, the re-reads), with procfs as the scan. */
static inline int fill_procfs(struct snapshot *s, const struct sys_paths *p, int with_stacks,
			      const struct ksyms *ks)
{
	struct procscan_ctx c = { .paths = p, .opts = { .with_stacks = with_stacks }, .ks = ks };
	struct live_scan ls = { .scan = procscan__scan, .rep_stacks = procscan__rep_stacks,
				.ctx = &c };

	return live__fill(s, p, &ls);
}

#endif
