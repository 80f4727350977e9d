/* SPDX-License-Identifier: GPL-2.0 */
/* What klptop check judges a patch against, read from the live kernel (or
 * a --root tree): shared by check and gate. */
#ifndef KLPTOP_CHECKENV_H
#define KLPTOP_CHECKENV_H

#include "check/check.h"
#include "model/model.h"
#include "live/sysfs.h"

struct checkenv_src {
	const struct sys_paths *paths;
	const char *kallsyms;    /* path */
	int tree;                /* a --root tree: no BPF, no live shadows */
};

/* kallsyms, traceable functions, loaded modules, and, when the kernel has
 * live patching: the other hooks on functions (read first, before klptop
 * attaches anything), the loaded patches into s (with the BPF walk of which
 * function is each patch's version), and the shadow ids alive when r uses
 * any. s gets the kernel facts; hand s's patches to the env with
 * check_env__set_patches() once done with them. */
struct check_env *checkenv__read(const struct checkenv_src *src, const struct check_report *r,
				 struct snapshot *s);

#endif
