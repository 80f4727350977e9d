/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages: one place decides verbosity and whether errors are JSON. Every
 * line klptop writes on stderr starts with "klptop: " and comes from here:
 * p_err (an error: one line; under --json a {"error": ...} object on
 * stdout), p_usage (a usage error: the problem, then where the help is),
 * p_warn ("warning: "), p_note (progress a user should see: recording to
 * FILE), p_info (-v) and p_debug (-vv).
 */
#ifndef KLPTOP_LOG_H
#define KLPTOP_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_level;    /* messages above this level are dropped */
extern int log_json;     /* errors go to stdout as {"error": ...} */

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "klptop: CMD: problem" and "klptop: see 'klptop CMD --help'" (cmd NULL:
 * 'klptop --help'); under --json one object {"error": "CMD: problem",
 * "help": "klptop CMD --help"} on stdout. Returns EXIT_USAGE. */
int p_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Route libbpf's own messages into our levels (-v shows them). */
void log_setup_libbpf(void);

#endif
