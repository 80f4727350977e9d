/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line options from one table per command (the shape of xdp-tools'
 * params.h): the table drives the parser and the --help text, and through
 * --help the man page and bash completion checks (tests/man-check.sh) and
 * the completion itself (docs/klptop.bash-completion reads --help).
 *
 * GNU conventions: options and operands mix in any order, "--" ends the
 * options, "-" is an operand, short options cluster ("-Sj", "-d5"), long
 * options take "--name=VALUE" or "--name VALUE" and may be abbreviated to
 * a prefix that names one option.
 */
#ifndef KLPTOP_OPTS_H
#define KLPTOP_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_END,      /* ends a table */
	OPT_SET,      /* int = 1 */
	OPT_CLEAR,    /* int = 0: the --no-X of something on by default */
	OPT_STRING,   /* const char * = the argument, as given */
	OPT_SECONDS,  /* double: seconds within [min, max], strictly parsed */
	OPT_NUMBER,   /* long: a whole number within [min, max] */
	OPT_CHOICE,   /* int = the value of the choice named */
	OPT_CALL,     /* call(): values that depend on order or need their own parser */
	OPT_HELP,     /* print the command's help, exit 0 */
	OPT_MOVED,    /* a letter that means something else now: the error says what
		       * to type instead (help); never listed */
};

struct opt_choice {
	const char *name;
	int value;
};

/* call() returns 0, OPT_CALL_DONE to stop with exit 0 (--version), or -1
 * after writing one line of what is wrong into err. */
#define OPT_CALL_DONE 1
typedef int (*opt_call_fn)(void *cfg, const char *arg, char *err, size_t errlen);

struct opt {
	enum opt_type type;
	char letter;                      /* short option; 0: long only */
	const char *name;                 /* long option without "--"; NULL: short only */
	const char *arg;                  /* metavar: the option takes an argument */
	const char *help;                 /* "\n" starts a continuation line; NULL:
					   * accepted but not listed (an alias) */
	size_t offset;                    /* of the value in the group's cfg */
	double min, max;                  /* OPT_SECONDS, OPT_NUMBER */
	const struct opt_choice *choices; /* OPT_CHOICE, ended by { NULL } */
	opt_call_fn call;                 /* OPT_CALL */
};

/* A table and the struct its offsets point into. */
struct opt_group {
	const char *title;       /* "Options", "Global options" in --help */
	const struct opt *opts;
	void *cfg;
};

struct opt_spec {
	const char *cmd;         /* "status": in messages and the --help pointer */
	const char *usage;       /* after "Usage: "; "\n" starts another form */
	const char *about;       /* what the command does, lines ending in "\n" */
	const char *epilog;      /* after the options (exit status, notes) or NULL */
	const char *operand;     /* the operand's name in messages: "PATCH" */
	int min_operands;
	int max_operands;        /* < 0: any number */
	int operands_end_options; /* the first operand ends the options (gate's
				   * COMMAND keeps its own) */
	int unknown_ends_options; /* an unknown option is an operand and ends the
				   * options (main: "klptop --batch" is top's) */
};

#define OPTS_MAX_GROUPS 4
#define OPTS_ERR_LEN 512

struct opts_result {
	char **operands;         /* into argv, in order */
	int noperands;
	int help;                /* --help was given (and printed) */
	char err[OPTS_ERR_LEN];  /* the first problem, one line, "" if none */
};

/*
 * Parse argv[1..argc-1] (argv[0] names the command) against the groups, in
 * order (a name is looked up in every group). On a problem the parse goes
 * on without applying anything more than flags, so that an -j/--json given
 * after a bad option still makes the error JSON; the first problem is kept
 * in res->err. --help prints the help on stdout when nothing was wrong
 * before it. res->operands is allocated (free it with opts_result__free).
 * Returns 0 to go on, 1 when --help (or an OPT_CALL_DONE) ended it, -1 when
 * res->err says what is wrong.
 */
int opts__parse(const struct opt_spec *spec, const struct opt_group *groups, size_t ngroups,
		int argc, char **argv, struct opts_result *res);
void opts_result__free(struct opts_result *res);

/* The --help text: usage, about, each group's listed options, epilog. */
void opts__print_help(const struct opt_spec *spec, const struct opt_group *groups,
		      size_t ngroups, FILE *f);
/* One group's option lines ("  -d, --delay SECONDS   text"). */
void opts__print_group(const struct opt_group *g, FILE *f);

/* The option that argument a (a word starting with "-") names first, or NULL:
 * for a look at argv before it is parsed (main() finds the command word). */
const struct opt *opts__lookup(const struct opt_group *groups, size_t ngroups, const char *a);

#endif
