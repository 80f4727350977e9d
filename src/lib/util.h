/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every subcommand uses: strict number parsing, file reading,
 * clocks and allocation that never returns NULL. */
#ifndef KLPTOP_UTIL_H
#define KLPTOP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grow *arr (of *cap elements of size elem) so that index need fits. */
void grow_array(void **arr, size_t *cap, size_t need, size_t elem);

/* Parse a whole string as a number: "abc", "", "12x" and overflow are errors
 * (-EINVAL / -ERANGE), not 0. One trailing newline is accepted because sysfs
 * and procfs values end in one. */
int parse_long(const char *s, long *out);
int parse_ulong(const char *s, int base, unsigned long *out);
int parse_double(const char *s, double *out);

/* Read a small text file into buf (NUL-terminated). Returns the length or a
 * negative errno. */
ssize_t read_text(const char *path, char *buf, size_t len);
int read_long(const char *path, long *out);
/* Read a whole file of any size; *len gets its length. NULL on error. */
char *read_all(const char *path, size_t *len);

uint64_t now_ns(void);       /* CLOCK_MONOTONIC */
uint64_t realtime_ns(void);  /* CLOCK_REALTIME, for timestamps in files */
void strip_newline(char *s);
/* Copy at most dstlen-1 bytes and always terminate. */
void copy_str(char *dst, size_t dstlen, const char *src);

static inline int min_int(int a, int b) { return a < b ? a : b; }
static inline int max_int(int a, int b) { return a > b ? a : b; }

#endif
