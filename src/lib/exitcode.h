/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klptop's exit codes: the one table. Every command returns these; the man
 * page (EXIT STATUS), docs/troubleshooting.md and 'klptop --help' list them,
 * and tests/man-check.sh checks that they list exactly these. A code means
 * one thing whichever command returns it.
 */
#ifndef KLPTOP_EXITCODE_H
#define KLPTOP_EXITCODE_H

#include <stdio.h>

#define KLPTOP_EXIT_CODES(X)                                                       \
	X(EXIT_OK, 0, "success")                                                   \
	X(EXIT_ERROR, 1, "error (the message says which)")                         \
	X(EXIT_USAGE, 2, "usage error: an unknown option, a missing or bad value") \
	X(EXIT_NO_LIVEPATCH, 3, "this kernel has no live patching")                \
	X(EXIT_PERM, 4, "not permitted (the message names what is needed)")        \
	X(EXIT_WARNINGS, 5, "check: warnings only (the kernel would load the patch)") \
	X(EXIT_REFUSED, 6,                                                         \
	  "nothing done: a transition runs (gate), not confirmed (force, disable)") \
	X(EXIT_TIMEOUT, 7,                                                         \
	  "timeout: a transition still runs (gate --timeout, force/disable --wait)") \
	X(EXIT_COMMAND, 8, "gate: COMMAND failed")

enum exit_code {
#define KLPTOP_EXIT_ENUM(name, code, meaning) name = code,
	KLPTOP_EXIT_CODES(KLPTOP_EXIT_ENUM)
#undef KLPTOP_EXIT_ENUM
};

/* The table as 'klptop --help' ends: "  0  success" lines. */
void exit_codes__print(FILE *f);

#endif
