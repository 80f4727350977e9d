// SPDX-License-Identifier: GPL-2.0
/* Options every subcommand shares; main() sets them, tests may too. */
#include "cmd/cmd.h"

struct global_opts g_opts = {
	.paths = { .sysfs = "/sys", .procfs = "/proc" },
	.kallsyms = "/proc/kallsyms",
};
