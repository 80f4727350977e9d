// SPDX-License-Identifier: GPL-2.0
#include "lib/log.h"
#include "lib/exitcode.h"

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int log_level = LOG_WARN;
int log_json;

static void print_json_error(const char *msg, const char *help)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	if (help)
		json_object_object_add(o, "help", json_object_new_string(help));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level == LOG_ERR && log_json) {
		print_json_error(msg, NULL);
		return;
	}
	fprintf(stderr, "klptop: %s%s\n", prefix, msg);
}

#define DEFINE_LOG(fn, level, prefix)          \
	void fn(const char *fmt, ...)          \
	{                                      \
		va_list ap;                    \
		va_start(ap, fmt);             \
		vlog(level, prefix, fmt, ap);  \
		va_end(ap);                    \
	}

DEFINE_LOG(p_err, LOG_ERR, "")
DEFINE_LOG(p_warn, LOG_WARN, "warning: ")
DEFINE_LOG(p_info, LOG_INFO, "")
DEFINE_LOG(p_debug, LOG_DEBUG, "debug: ")

/* Progress worth seeing by default; not an error, so never JSON. */
void p_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("klptop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int p_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024], help[128];
	size_t n = 0;
	va_list ap;

	if (cmd)
		n = (size_t)snprintf(msg, sizeof(msg), "%s: ", cmd);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	snprintf(help, sizeof(help), cmd ? "klptop %s --help" : "klptop --help", cmd);
	if (log_json)
		print_json_error(msg, help);
	else
		fprintf(stderr, "klptop: %s\nklptop: see '%s'\n", msg, help);
	return EXIT_USAGE;
}

void exit_codes__print(FILE *f)
{
#define KLPTOP_EXIT_LINE(name, code, meaning) fprintf(f, "  %d  %s\n", code, meaning);
	KLPTOP_EXIT_CODES(KLPTOP_EXIT_LINE)
#undef KLPTOP_EXIT_LINE
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf is chatty while probing; only -v (info) and -vv (debug) show it. */
	int ours = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;

	if (ours > log_level)
		return 0;
	return vfprintf(stderr, fmt, ap); /* libbpf's lines carry their own prefix */
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
