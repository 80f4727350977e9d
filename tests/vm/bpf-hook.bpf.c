// SPDX-License-Identifier: GPL-2.0
/* The lab's BPF trampoline programs (tests/vm/bpf-hook.c): count the calls
 * of one function at its entry (fentry) and at its return (fexit). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 entries;
__u64 exits;

SEC("fentry/placeholder")
int BPF_PROG(on_entry)
{
	__sync_fetch_and_add(&entries, 1);
	return 0;
}

SEC("fexit/placeholder")
int BPF_PROG(on_exit)
{
	__sync_fetch_and_add(&exits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
