/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this process may do, judged by its effective capabilities, not its uid:
 * a service account given CAP_BPF + CAP_PERFMON (+ CAP_SYS_ADMIN, CAP_SYSLOG)
 * runs the probes as well as root does, and root without them cannot.
 */
#ifndef KLPTOP_PRIVS_H
#define KLPTOP_PRIVS_H

#include <stddef.h>

struct privs {
	int read;         /* capget() worked */
	int bpf;          /* CAP_BPF, or CAP_SYS_ADMIN (kernels before 5.8 know only that) */
	int perfmon;      /* CAP_PERFMON, or CAP_SYS_ADMIN: kprobes, reading kernel memory */
	int sys_admin;
	int syslog;       /* CAP_SYSLOG: kernel addresses in /proc/kallsyms */
	int dac_read;     /* CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE: root-only files */
	int sys_ptrace;   /* CAP_SYS_PTRACE: other users' /proc/PID/stack, patch_state */
	int perf_paranoid; /* kernel.perf_event_paranoid; above 2 (Debian's 3) only
			    * CAP_SYS_ADMIN may perf_event_open(), which kprobes use */
};

void privs__read(struct privs *p);
/* 1 when the BPF probes may load; else 0 and why names the missing
 * capabilities in one phrase ("needs root, or CAP_BPF and CAP_PERFMON"). */
int privs__can_bpf(const struct privs *p, char *why, size_t len);
/* The capabilities the BPF probes need on this kernel, as a phrase:
 * "CAP_BPF + CAP_PERFMON", with CAP_SYS_ADMIN and why where
 * perf_event_paranoid asks for it. Returns buf. */
const char *privs__bpf_caps(const struct privs *p, char *buf, size_t len);
/* The same for this process (reads its capabilities once). */
int privs__bpf_ok(char *why, size_t len);

#endif
