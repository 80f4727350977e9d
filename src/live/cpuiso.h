/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's CPU isolation (struct cpu_isolation), read where the kernel
 * publishes it: sysfs cpu/isolated (isolcpus, domain), cpu/nohz_full, the
 * cgroup root's cpuset.cpus.isolated (isolated partitions, 6.7+), and
 * idle=poll on the command line. Each source is probed: a file that does
 * not exist leaves its part unknown.
 */
#ifndef KLPTOP_LIVE_CPUISO_H
#define KLPTOP_LIVE_CPUISO_H

#include "live/sysfs.h"

/* Mark flag on every CPU of a kernel cpulist ("1", "0-3,8", "" for none).
 * "(null)" (a mask never allocated: nohz_full not given) is none too.
 * Returns 0, or -EINVAL on anything else (nothing is marked then). */
int cpu_isolation__add_list(struct cpu_isolation *iso, const char *list, uint8_t flag);
/* Whether a kernel command line has idle=poll (the last idle= wins). */
int cmdline__idle_poll(const char *cmdline);
void live__read_cpu_isolation(struct cpu_isolation *iso, const struct sys_paths *p);

#endif
