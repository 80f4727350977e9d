// SPDX-License-Identifier: GPL-2.0
/* The host's CPU isolation (live/cpuiso.h). Boot parameters mostly, but an
 * isolated cpuset partition can be made at any time: read at every fill,
 * four small files. */
#include "live/cpuiso.h"
#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One "N" or "N-M" item. */
static int parse_range(const char *item, unsigned long *lo, unsigned long *hi)
{
	char *end;

	errno = 0;
	*lo = strtoul(item, &end, 10);
	if (end == item || errno)
		return -EINVAL;
	*hi = *lo;
	if (*end == '-') {
		const char *p = end + 1;

		*hi = strtoul(p, &end, 10);
		if (end == p || errno)
			return -EINVAL;
	}
	return *end || *lo > *hi || *hi >= CPU_NUMBER_MAX ? -EINVAL : 0;
}

int cpu_isolation__add_list(struct cpu_isolation *iso, const char *list, uint8_t flag)
{
	char buf[4096], *save = NULL, *item;
	unsigned long lo, hi;

	copy_str(buf, sizeof(buf), list);
	strip_newline(buf);
	if (!buf[0] || !strcmp(buf, "(null)"))
		return 0;
	/* Parsed whole before anything is marked: a bad file marks nothing. */
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (parse_range(item, &lo, &hi))
			return -EINVAL;
	copy_str(buf, sizeof(buf), list);
	strip_newline(buf);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		parse_range(item, &lo, &hi);
		for (unsigned long c = lo; c <= hi; c++)
			cpu_isolation__mark(iso, c, flag);
	}
	return 0;
}

int cmdline__idle_poll(const char *cmdline)
{
	const char *p = cmdline;
	int poll = 0;

	while ((p = strstr(p, "idle="))) {
		if (p == cmdline || p[-1] == ' ')
			poll = !strncmp(p + 5, "poll", 4) && (!p[9] || p[9] == ' ' || p[9] == '\n');
		p += 5;
	}
	return poll;
}

/* 1 when path was read and parsed; 0 when it is absent or unreadable. */
static int read_list(struct cpu_isolation *iso, const char *path, uint8_t flag)
{
	char buf[4096];

	if (read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	return !cpu_isolation__add_list(iso, buf, flag);
}

void live__read_cpu_isolation(struct cpu_isolation *iso, const struct sys_paths *p)
{
	char path[PATH_MAX], *cmdline;

	cpu_isolation__free(iso);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/isolated", p->sysfs);
	iso->domain_known = read_list(iso, path, CPU_ISO_DOMAIN);
	snprintf(path, sizeof(path), "%s/devices/system/cpu/nohz_full", p->sysfs);
	iso->nohz_full_known = read_list(iso, path, CPU_ISO_NOHZ_FULL);
	snprintf(path, sizeof(path), "%s/fs/cgroup/cpuset.cpus.isolated", p->sysfs);
	iso->cpuset_known = read_list(iso, path, CPU_ISO_CPUSET);
	snprintf(path, sizeof(path), "%s/cmdline", p->procfs);
	cmdline = read_all(path, NULL);
	iso->idle_poll = cmdline ? cmdline__idle_poll(cmdline) : -1;
	free(cmdline);
}
