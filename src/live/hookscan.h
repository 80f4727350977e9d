/* SPDX-License-Identifier: GPL-2.0 */
/* What else hooks kernel functions on the live kernel, for the conflict
 * judgements (check/hooks.h, check/conflicts.c): debugfs kprobes/list,
 * tracefs enabled_functions, and BPF trampoline programs read through the
 * bpf() syscall's link iteration. check and gate read it the same way. */
#ifndef KLPTOP_HOOKSCAN_H
#define KLPTOP_HOOKSCAN_H

#include "check/hooks.h"
#include "model/model.h"
#include "live/sysfs.h"

/* Everything readable under p's sysfs (debugfs and tracefs below it), and
 * the BPF links; what could not be read is marked in the set. */
struct hook_set *hookscan__read(const struct sys_paths *p);
/* Whether BPF trampolines share a function with an IP-modifying ftrace
 * user (kernels since 6.0: enum ftrace_ops_cmd in the kernel's BTF): 1, 0,
 * or -1 when the BTF is not readable. */
int hookscan__trampolines_share_ipmodify(void);

#endif
