// SPDX-License-Identifier: GPL-2.0
/*
 * Capability checks. A uid check ("are we root?") is wrong both ways: an
 * exporter run as a service user with ambient CAP_BPF + CAP_PERFMON can load
 * every probe klptop has, and root in a container without them cannot. So we
 * ask the kernel for our effective set and decide from that.
 */
#include "live/privs.h"

#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Older uapi headers lack the 5.8 capabilities. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* kernel.perf_event_paranoid; 2 (upstream's default) when unreadable. */
static int perf_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = 2;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 2;
		fclose(f);
	}
	return v;
}

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

void privs__read(struct privs *p)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(p, 0, sizeof(*p));
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return;
	p->read = 1;
	p->sys_admin = has_cap(d, CAP_SYS_ADMIN);
	p->bpf = has_cap(d, CAP_BPF) || p->sys_admin;
	p->perfmon = has_cap(d, CAP_PERFMON) || p->sys_admin;
	p->syslog = has_cap(d, CAP_SYSLOG);
	p->dac_read = has_cap(d, CAP_DAC_READ_SEARCH) || has_cap(d, CAP_DAC_OVERRIDE);
	p->sys_ptrace = has_cap(d, CAP_SYS_PTRACE);
	p->perf_paranoid = perf_paranoid();
}

/* Debian's kernels patch perf_event_open(), which attaching a kprobe uses,
 * to ask for CAP_SYS_ADMIN itself above paranoid level 2. */
const char *privs__bpf_caps(const struct privs *p, char *buf, size_t len)
{
	if (p->perf_paranoid > 2)
		snprintf(buf, len, "CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN "
			 "(kernel.perf_event_paranoid is %d)", p->perf_paranoid);
	else
		snprintf(buf, len, "CAP_BPF + CAP_PERFMON");
	return buf;
}

int privs__can_bpf(const struct privs *p, char *why, size_t len)
{
	if (!p->read) {
		/* No answer from capget: let bpf() itself say EPERM. */
		return 1;
	}
	if (p->bpf && p->perfmon && (p->sys_admin || p->perf_paranoid <= 2))
		return 1;
	if (p->bpf && p->perfmon) {
		char caps[128];

		snprintf(why, len, "not privileged: the BPF probes need root, or %s "
			 "(missing: CAP_SYS_ADMIN)", privs__bpf_caps(p, caps, sizeof(caps)));
		return 0;
	}
	snprintf(why, len, "not privileged: the BPF probes need root, or CAP_BPF and "
		 "CAP_PERFMON (missing:%s%s)", p->bpf ? "" : " CAP_BPF",
		 p->perfmon ? "" : " CAP_PERFMON");
	return 0;
}

int privs__bpf_ok(char *why, size_t len)
{
	struct privs p;

	privs__read(&p);
	return privs__can_bpf(&p, why, len);
}
