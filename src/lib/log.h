/* SPDX-License-Identifier: GPL-2.0 */
/* Messages: one place decides verbosity and whether errors are JSON. */
#ifndef KLPTOP_LOG_H
#define KLPTOP_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern int log_level;    /* messages above this level are dropped */
extern int log_json;     /* errors go to stdout as {"error": ...} */

void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Route libbpf's own messages into our levels (-v shows them). */
void log_setup_libbpf(void);

#endif
