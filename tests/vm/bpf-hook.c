// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-hook FUNC FILE: attach a BPF fentry and a BPF fexit program to FUNC
 * (a vmlinux function with BTF), as a tracing tool would, and write
 * "entries N exits M" to FILE every 100 ms until SIGTERM or SIGINT. For the
 * lab scenarios on conflicts: what klptop check and gate say about programs
 * on the functions a patch replaces, against what the programs then see.
 * Prints "bpf-hook: attached" once both run; exits 1 if they cannot attach.
 * Static; runs in the lab initramfs.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf-hook.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void write_counts(const char *path, const struct bpf_hook_bpf *skel)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "entries %llu exits %llu\n", (unsigned long long)skel->bss->entries,
		(unsigned long long)skel->bss->exits);
	if (fclose(f) == 0)
		rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct bpf_hook_bpf *skel;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: bpf-hook FUNC FILE\n");
		return 2;
	}
	skel = bpf_hook_bpf__open();
	if (!skel)
		return 1;
	bpf_program__set_attach_target(skel->progs.on_entry, 0, argv[1]);
	bpf_program__set_attach_target(skel->progs.on_exit, 0, argv[1]);
	err = bpf_hook_bpf__load(skel) || bpf_hook_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bpf-hook: cannot attach to %s: %s\n", argv[1], strerror(errno));
		bpf_hook_bpf__destroy(skel);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("bpf-hook: attached\n");
	fflush(stdout);
	while (!stop) {
		write_counts(argv[2], skel);
		usleep(100000);
	}
	write_counts(argv[2], skel);
	bpf_hook_bpf__destroy(skel);
	return 0;
}
