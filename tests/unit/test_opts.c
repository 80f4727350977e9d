// SPDX-License-Identifier: GPL-2.0
/* The option-table parser (lib/opts.c): the GNU forms users type, the one
 * line each mistake gets, and the --help text the man page and the bash
 * completion are checked against. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/opts.h"

struct cfg {
	int batch;
	int stacks;
	const char *file;
	double delay;
	long frames;
	int format;
	char funcs[64];
};

struct globals {
	int json;
};

static int add_func(void *cfg, const char *arg, char *err, size_t errlen)
{
	struct cfg *c = cfg;

	if (!strcmp(arg, "bad")) {
		snprintf(err, errlen, "--func: '%s' is not a function", arg);
		return -1;
	}
	if (c->funcs[0])
		strcat(c->funcs, ",");
	strncat(c->funcs, arg, sizeof(c->funcs) - strlen(c->funcs) - 1);
	return 0;
}

static const struct opt_choice formats[] = { { "text", 0 }, { "json", 1 }, { "chrome", 2 },
					      { NULL } };

static const struct opt test_opts[] = {
	{ OPT_SET, 'b', "batch", NULL, "plain text frames", offsetof(struct cfg, batch) },
	{ OPT_CLEAR, 'S', "no-stacks", NULL, "no stacks", offsetof(struct cfg, stacks) },
	{ OPT_STRING, 'o', "output", "FILE", "where to write", offsetof(struct cfg, file) },
	{ OPT_SECONDS, 'd', "delay", "SECONDS", "refresh interval (default 1)\nsecond line",
	  offsetof(struct cfg, delay), 0.05, 86400 },
	{ OPT_NUMBER, 'n', "frames", "N", "stop after N frames", offsetof(struct cfg, frames), 1,
	  (double)LONG_MAX },
	{ OPT_NUMBER, 0, "iterations", "N", NULL, offsetof(struct cfg, frames), 1, (double)LONG_MAX },
	{ OPT_NUMBER, 'W', "width", "COLS", "cut lines", offsetof(struct cfg, frames), 0, 100 },
	{ OPT_CHOICE, 'F', "format", "FMT", "text, json or chrome", offsetof(struct cfg, format),
	  .choices = formats },
	{ OPT_CALL, 'f', "func", "NAME", "a target (repeatable)", .call = add_func },
	{ OPT_STRING, 0, "flight-recorder-with-a-long-name", "SIZE", "a long left column",
	  offsetof(struct cfg, file) },
	{ OPT_MOVED, 'w', .help = "-W (--width)" },
	{ OPT_END }
};

static const struct opt global_opts[] = {
	{ OPT_SET, 'j', "json", NULL, "JSON output", offsetof(struct globals, json) },
	{ OPT_HELP, 'h', "help", NULL, "this help" },
	{ OPT_END }
};

static struct cfg cfg;
static struct globals glob;
static struct opts_result res;

static const struct opt_group groups[] = {
	{ "Options", test_opts, &cfg },
	{ "Global options", global_opts, &glob },
};

static struct opt_spec spec = {
	.cmd = "test",
	.usage = "klptop test [OPTIONS] [FILE...]\nklptop test --batch",
	.about = "What the test command does.\n",
	.operand = "FILE",
	.max_operands = -1,
};

/* Parse the words given (NULL-terminated) as klptop test's argv. */
static int parse(const struct opt_spec *sp, ...)
{
	static char *argv[32];
	int argc = 0;
	va_list ap;
	char *w;

	memset(&cfg, 0, sizeof(cfg));
	cfg.stacks = 1;
	memset(&glob, 0, sizeof(glob));
	opts_result__free(&res);
	argv[argc++] = "test";
	va_start(ap, sp);
	while ((w = va_arg(ap, char *)))
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	return opts__parse(sp, groups, 2, argc, argv, &res);
}

static void operands_are(const char *a, const char *b, const char *c)
{
	const char *want[] = { a, b, c };
	int n = 0;

	for (int i = 0; i < 3 && want[i]; i++, n++)
		assert_string_equal(res.operands[i], want[i]);
	assert_int_equal(res.noperands, n);
}

static void options_and_operands_mix(void **state)
{
	/* "klptop force PATCH --yes", "check fix.ko --json": any order. */
	assert_int_equal(parse(&spec, "a", "-b", "--output=x.klpt", "b", "-d", "0.5", "--json",
			       NULL), 0);
	operands_are("a", "b", NULL);
	assert_int_equal(cfg.batch, 1);
	assert_string_equal(cfg.file, "x.klpt");
	assert_true(cfg.delay == 0.5);
	assert_int_equal(glob.json, 1);
	assert_string_equal(res.err, "");
	/* "--" ends the options; "-" is an operand (stdin, stdout). */
	assert_int_equal(parse(&spec, "-", "--", "-b", "--json", NULL), 0);
	operands_are("-", "-b", "--json");
	assert_int_equal(cfg.batch, 0);
	assert_int_equal(glob.json, 0);
	/* A value that starts with '-' is still the value. */
	assert_int_equal(parse(&spec, "-o", "-", "--output", "--json", NULL), 0);
	assert_string_equal(cfg.file, "--json");
	assert_int_equal(glob.json, 0);
}

static void short_options_cluster(void **state)
{
	assert_int_equal(parse(&spec, "-bSjd5", NULL), 0);
	assert_int_equal(cfg.batch, 1);
	assert_int_equal(cfg.stacks, 0);
	assert_int_equal(glob.json, 1);
	assert_true(cfg.delay == 5);
	assert_int_equal(parse(&spec, "-bo", "out", "-ofile2", NULL), 0);
	assert_string_equal(cfg.file, "file2");
	assert_int_equal(parse(&spec, "-n", "3", "--iterations=4", NULL), 0);
	assert_int_equal(cfg.frames, 4);
}

static void long_options_by_prefix(void **state)
{
	assert_int_equal(parse(&spec, "--del", "2", "--no-s", "--j", NULL), 0);
	assert_true(cfg.delay == 2);
	assert_int_equal(cfg.stacks, 0);
	assert_int_equal(glob.json, 1);
	/* --f names --frames, --format, --func and --flight-...: say which. */
	assert_int_equal(parse(&spec, "--f", "x", NULL), -1);
	assert_string_equal(res.err, "option '--f' is ambiguous: --frames, --format, --func, "
				     "--flight-recorder-with-a-long-name");
}

static void each_mistake_is_one_line(void **state)
{
	static const struct {
		const char *words[4];
		const char *err;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-x" }, "unknown option '-x'" },
		{ { "-o" }, "-o needs FILE" },
		{ { "--output" }, "--output needs FILE" },
		{ { "--batch=1" }, "--batch takes no value" },
		{ { "-d", "abc" }, "-d wants seconds from 0.05 to 86400, not 'abc'" },
		{ { "--delay", "0" }, "--delay wants seconds from 0.05 to 86400, not '0'" },
		{ { "-d", "inf" }, "-d wants seconds from 0.05 to 86400, not 'inf'" },
		{ { "-d", "" }, "-d wants seconds from 0.05 to 86400, not ''" },
		{ { "-n", "0" }, "-n wants a whole number of at least 1, not '0'" },
		{ { "-n", "2x" }, "-n wants a whole number of at least 1, not '2x'" },
		{ { "-W", "101" }, "-W wants a whole number from 0 to 100, not '101'" },
		{ { "-F", "xml" }, "-F wants one of text, json, chrome, not 'xml'" },
		{ { "-f", "bad" }, "--func: 'bad' is not a function" },
		{ { "-w", "80" }, "-w is now -W (--width)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(&spec, cases[i].words[0], cases[i].words[1], NULL), -1);
		assert_string_equal(res.err, cases[i].err);
		assert_null(strchr(res.err, '\n'));
	}
}

static void json_after_a_mistake_still_counts(void **state)
{
	/* "status --bogus --json": the error must be JSON, so -j still applies,
	 * but nothing with a value does, and the first problem is the one said. */
	assert_int_equal(parse(&spec, "--bogus", "-o", "x", "-n", "0", "--json", NULL), -1);
	assert_string_equal(res.err, "unknown option '--bogus'");
	assert_int_equal(glob.json, 1);
	assert_null(cfg.file);
	assert_int_equal(parse(&spec, "-d", "abc", "-bj", NULL), -1);
	assert_string_equal(res.err, "-d wants seconds from 0.05 to 86400, not 'abc'");
	assert_int_equal(glob.json, 1);
	assert_int_equal(cfg.batch, 1);
	/* --help after a mistake does not hide it. */
	assert_int_equal(parse(&spec, "--bogus", "--help", NULL), -1);
	assert_int_equal(res.help, 0);
}

static void operands_are_counted(void **state)
{
	struct opt_spec one = spec;

	one.operand = "PATCH";
	one.min_operands = 1;
	one.max_operands = 1;
	assert_int_equal(parse(&one, "--batch", NULL), -1);
	assert_string_equal(res.err, "missing PATCH");
	assert_int_equal(parse(&one, "p1", "p2", "-b", NULL), -1);
	assert_string_equal(res.err, "unexpected argument 'p2'");
	assert_int_equal(parse(&one, "-b", "p1", NULL), 0);
	operands_are("p1", NULL, NULL);
	one.max_operands = 0;
	assert_int_equal(parse(&one, "p1", NULL), -1);
	assert_string_equal(res.err, "unexpected argument 'p1'");
}

static void operands_can_end_the_options(void **state)
{
	/* gate: COMMAND's own options are its own. */
	struct opt_spec gate = spec;

	gate.operands_end_options = 1;
	assert_int_equal(parse(&gate, "-b", "insmod", "-f", "x.ko", "--json", NULL), 0);
	assert_int_equal(cfg.batch, 1);
	assert_int_equal(glob.json, 0);
	assert_string_equal(cfg.funcs, "");
	assert_int_equal(res.noperands, 4);
	assert_string_equal(res.operands[1], "-f");
	assert_string_equal(res.operands[3], "--json");
}

static void unknown_options_can_end_the_options(void **state)
{
	/* main: "klptop -j --batch -n 2" is top's "--batch -n 2" after the
	 * global -j; a cluster with a letter of top's is top's whole. */
	struct opt_spec main_spec = spec;
	const struct opt_group globals_only[] = { groups[1] };
	char *argv[] = { "klptop", "-j", "--batch", "-n", "2", NULL };
	char *argv2[] = { "klptop", "-jx", "status", NULL };

	main_spec.operands_end_options = 1;
	main_spec.unknown_ends_options = 1;
	memset(&glob, 0, sizeof(glob));
	opts_result__free(&res);
	assert_int_equal(opts__parse(&main_spec, globals_only, 1, 5, argv, &res), 0);
	assert_int_equal(glob.json, 1);
	assert_int_equal(res.noperands, 3);
	assert_string_equal(res.operands[0], "--batch");
	glob.json = 0;
	opts_result__free(&res);
	assert_int_equal(opts__parse(&main_spec, globals_only, 1, 3, argv2, &res), 0);
	assert_int_equal(glob.json, 0);
	assert_string_equal(res.operands[0], "-jx");
	assert_string_equal(res.operands[1], "status");
}

static void calls_see_the_order(void **state)
{
	assert_int_equal(parse(&spec, "--func", "a", "x.ko", "-fb", "--func=c", NULL), 0);
	assert_string_equal(cfg.funcs, "a,b,c");
	operands_are("x.ko", NULL, NULL);
}

static char *help_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	opts__print_help(&spec, groups, 2, f);
	fclose(f);
	return buf;
}

static void help_comes_from_the_table(void **state)
{
	char *h = help_text();
	char *line, *save = NULL;

	assert_non_null(strstr(h, "Usage: klptop test [OPTIONS] [FILE...]\n"
				  "       klptop test --batch\n\nWhat the test command does.\n"));
	assert_non_null(strstr(h, "\nOptions:\n  -b, --batch             plain text frames\n"));
	/* the continuation line under the text column */
	assert_non_null(strstr(h, "  -d, --delay SECONDS     refresh interval (default 1)\n"
				  "                          second line\n"));
	assert_non_null(strstr(h, "      --flight-recorder-with-a-long-name SIZE\n"
				  "                          a long left column\n"));
	assert_non_null(strstr(h, "\nGlobal options:\n  -j, --json "));
	/* an alias and a moved letter are accepted, not listed */
	assert_null(strstr(h, "iterations"));
	assert_null(strstr(h, "  -w"));
	for (line = strtok_r(h, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 80);
	free(h);
}

static void help_stops_the_parse(void **state)
{
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;

	stdout = open_memstream(&buf, &len);
	assert_int_equal(parse(&spec, "x", "-bh", "--bogus", NULL), 1);
	fclose(stdout);
	stdout = saved;
	assert_int_equal(res.help, 1);
	assert_non_null(strstr(buf, "Usage: klptop test"));
	free(buf);
}

static void lookup_names_the_option(void **state)
{
	assert_ptr_equal(opts__lookup(groups, 2, "--del"), &test_opts[3]);
	assert_ptr_equal(opts__lookup(groups, 2, "--output=x"), &test_opts[2]);
	assert_ptr_equal(opts__lookup(groups, 2, "-jb"), &global_opts[0]);
	assert_null(opts__lookup(groups, 2, "--f"));
	assert_null(opts__lookup(groups, 2, "-x"));
	assert_null(opts__lookup(groups, 2, "-"));
	assert_null(opts__lookup(groups, 2, "file"));
}

static int teardown(void **state)
{
	opts_result__free(&res);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_and_operands_mix),
		cmocka_unit_test(short_options_cluster),
		cmocka_unit_test(long_options_by_prefix),
		cmocka_unit_test(each_mistake_is_one_line),
		cmocka_unit_test(json_after_a_mistake_still_counts),
		cmocka_unit_test(operands_are_counted),
		cmocka_unit_test(operands_can_end_the_options),
		cmocka_unit_test(unknown_options_can_end_the_options),
		cmocka_unit_test(calls_see_the_order),
		cmocka_unit_test(help_comes_from_the_table),
		cmocka_unit_test(help_stops_the_parse),
		cmocka_unit_test(lookup_names_the_option),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
