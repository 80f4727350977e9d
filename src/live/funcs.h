/* SPDX-License-Identifier: GPL-2.0 */
/* Patched functions from the kernel's klp lists (bpf/funcs.bpf.c): their
 * addresses, which version is live, and where calls go. */
#ifndef KLPTOP_FUNCS_H_USER
#define KLPTOP_FUNCS_H_USER

#include "model/model.h"

struct func_probe;
struct ksyms;

/* NULL when the walk cannot run here (reason added to ps->missing). */
struct func_probe *func_probe__open(const struct ksyms *ks, struct probe_status *ps);
void func_probe__close(struct func_probe *fp);
/* Walk the kernel's lists, keep call counters on every old and new
 * function, and fill the func_info of s's patches. */
void func_probe__fill(struct func_probe *fp, struct snapshot *s);
/* The walk alone: addresses and live versions, no counters attached (for
 * a one-shot reader that must not add kprobes of its own). */
void func_probe__walk(struct func_probe *fp, struct snapshot *s);

#endif
