// SPDX-License-Identifier: GPL-2.0
/* Options every subcommand shares; main() sets them, tests may too. */
#include "cmd/cmd.h"

struct global_opts g_opts = {
	.paths = { .sysfs = "/sys", .procfs = "/proc" },
	.kallsyms = "/proc/kallsyms",
};

struct sampler *cmd__open_sampler(struct sampler_opts *so)
{
	so->paths = g_opts.paths;
	so->kallsyms = g_opts.kallsyms;
	so->captured_tree = g_opts.root != NULL;
	return sampler__open(so);
}
