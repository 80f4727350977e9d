/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What klptop force / disable do to the kernel, the only writes klptop makes.
 * Each names what it will do, asks the operator to type the patch name (or
 * takes --yes), leaves a line in the kernel log, then writes one sysfs file.
 */
#ifndef KLPTOP_ACT_H
#define KLPTOP_ACT_H

#include <stdio.h>
#include <stddef.h>

#include "model/model.h"

enum act_kind {
	ACT_FORCE,    /* /sys/kernel/livepatch/P/force <- 1 */
	ACT_DISABLE,  /* /sys/kernel/livepatch/P/enabled <- 0 */
};

/* Prompt on out, read one line from in: 1 when it is exactly patch. */
int act__confirm(FILE *in, FILE *out, enum act_kind k, const char *patch);
/* The kernel-log line that records the action (no trailing newline):
 * "klptop[PID]: force klpt_lp_fix by uid 0 (sudo: alice): 1 unsafe: 113/klpt_spin; reason: ..." */
void act__audit_line(char *buf, size_t len, enum act_kind k, const char *patch, int pid,
		     unsigned int uid, const char *sudo_user, const struct transition_info *tr,
		     const char *reason);

const char *act__verb(enum act_kind k);
/* Write line to the kernel log (/dev/kmsg, KERN_NOTICE) and to stdout. */
void act__audit(const char *line);
/* Write val to a sysfs file: 0 or -errno. */
int act__write_sysfs(const char *path, const char *val);
/* Follow the transition of the patch in sysfs dir for up to wait_s: 0 when
 * it ended (or none ran), 1 when it still runs. */
int act__follow(const char *dir, double wait_s);

#endif
