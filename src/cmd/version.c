// SPDX-License-Identifier: GPL-2.0
/* klptop --version: what this binary is and what it was built with, for bug
 * reports and for "will this run on that kernel?" questions. */
#include "cmd/cmd.h"
#include "lib/buildinfo.h"
#include "lib/log.h"

#include <bpf/libbpf.h>
#include <curses.h>
#include <json-c/json_c_version.h>
#include <microhttpd.h>
#include <stdio.h>
#include <zlib.h>

void print_version(FILE *f)
{
	fprintf(f, "klptop %s\n", klptop_version);
	fprintf(f, "build: gcc %d.%d, %s, x86_64; BPF CO-RE types from %s's BTF\n", __GNUC__,
		__GNUC_MINOR__, KLPTOP_STATIC ? "static" : "dynamic", klptop_btf_kernel);
	fprintf(f, "libraries: libbpf %s, json-c %s, %s, zlib %s, libmicrohttpd %s\n",
		libbpf_version_string(), json_c_version(), curses_version(), zlibVersion(),
		MHD_get_version());
	/* Kernel features the programs below rely on; docs/kernels.md. */
	fprintf(f, "BPF programs (need kernel BTF; ring buffer and task iterator: 5.8+, "
		   "bpf_loop: 5.17+):\n"
#include "bpf_programs.h"
	);
}

static const struct opt_spec version_spec = {
	.cmd = "version",
	.usage = "klptop version",
	.about = "What this binary is: its version, how it was built, its libraries and\n"
		 "the BPF programs built in (the same as klptop --version).\n",
};

static const struct opt version_opts[] = { { OPT_END } };

int cmd_version(int argc, char **argv)
{
	struct opts_result res;
	int rc = cmd__parse(&version_spec, version_opts, NULL, CMD_TEXT, argc, argv, &res);

	if (rc >= 0)
		return rc;
	opts_result__free(&res);
	print_version(stdout);
	return fflush(stdout) ? EXIT_ERROR : EXIT_OK;
}
