// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of klptop force / disable: the confirmation typed by the
 * operator, the line left in the kernel log before acting, the one sysfs
 * write, and following the transition it starts. cmd/act.c is the command.
 */
#include "live/act.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const verbs[] = { [ACT_FORCE] = "force", [ACT_DISABLE] = "disable" };

const char *act__verb(enum act_kind k)
{
	return verbs[k];
}

int act__confirm(FILE *in, FILE *out, enum act_kind k, const char *patch)
{
	char line[256];
	size_t n;

	fprintf(out, "Type the patch name (%s) to %s it, anything else to cancel: ", patch,
		verbs[k]);
	fflush(out);
	if (!fgets(line, sizeof(line), in))
		return 0;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return !strcmp(line, patch);
}

void act__audit_line(char *buf, size_t len, enum act_kind k, const char *patch, int pid,
		     unsigned int uid, const char *sudo_user, const struct transition_info *tr,
		     const char *reason)
{
	size_t used;

	snprintf(buf, len, "klptop[%d]: %s %s by uid %u", pid, verbs[k], patch, uid);
	if (sudo_user && *sudo_user)
		snprintf(buf + strlen(buf), len - strlen(buf), " (sudo: %s)", sudo_user);
	if (tr) {
		used = strlen(buf);
		snprintf(buf + used, len - used, ": %zu %s:", tr->ntasks,
			 k == ACT_FORCE ? "unsafe" : "pending");
		/* The first few name the culprits; the count says the rest. */
		for (size_t i = 0; i < tr->ntasks && i < 8; i++) {
			used = strlen(buf);
			snprintf(buf + used, len - used, " %d/%s", tr->tasks[i].tid,
				 tr->tasks[i].comm);
		}
		if (tr->ntasks > 8) {
			used = strlen(buf);
			snprintf(buf + used, len - used, " ...");
		}
	}
	if (reason && *reason) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "; reason: %s", reason);
	}
}

/* The kernel log keeps the record even if klptop's own output is lost. */
void act__audit(const char *line)
{
	char msg[1200];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	/* <5>: KERN_NOTICE, so it shows at the default console log level's
	 * dmesg but is not mistaken for a kernel warning. */
	snprintf(msg, sizeof(msg), "<5>%s\n", line);
	if (fd < 0 || write(fd, msg, strlen(msg)) < 0)
		p_warn("could not record the action in the kernel log (/dev/kmsg: %s)",
		       strerror(errno));
	if (fd >= 0)
		close(fd);
	printf("logged: %s\n", line);
}

int act__write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Follow the transition for up to wait_s: 0 when it ended (or none ran). */
int act__follow(const char *dir, double wait_s)
{
	char path[512];
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	double waited = 0;

	snprintf(path, sizeof(path), "%s/transition", dir);
	for (;;) {
		long v = 0;

		if (read_long(path, &v) || v != 1) {
			/* Gone (a disabled patch's directory vanishes) or 0: ended. */
			printf("transition ended after %.1f s\n", waited);
			return 0;
		}
		if (waited >= wait_s)
			return 1;
		nanosleep(&ts, NULL);
		waited += 0.2;
	}
}
