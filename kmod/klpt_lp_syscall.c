// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_syscall.c - a patch of the 64-bit sysinfo(2) entry point only,
 * __x64_sys_sysinfo: __ia32_sys_sysinfo, __ia32_compat_sys_sysinfo and
 * __x64_compat_sys_sysinfo still reach the old code (docs/incidents.md). klptop
 * check lists those siblings. The new function fails the call with -ENOSYS:
 * safe if loaded (callers get an error), but nothing loads it.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/errno.h>
#include <linux/ptrace.h>

static long livepatch_x64_sys_sysinfo(const struct pt_regs *regs)
{
	return -ENOSYS;
}

static struct klp_func klpt_lp_syscall_funcs[] = {
	{ .old_name = "__x64_sys_sysinfo",
	  .new_func = livepatch_x64_sys_sysinfo, },
	{ }
};

static struct klp_object klpt_lp_syscall_objs[] = {
	{ .name = NULL, .funcs = klpt_lp_syscall_funcs, }, /* vmlinux */
	{ }
};

static struct klp_patch klpt_lp_syscall_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_lp_syscall_objs,
};

static int __init klpt_lp_syscall_init(void)
{
	return klp_enable_patch(&klpt_lp_syscall_patch);
}

static void __exit klpt_lp_syscall_exit(void)
{
}

module_init(klpt_lp_syscall_init);
module_exit(klpt_lp_syscall_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: patch of one syscall entry point of several");
MODULE_INFO(livepatch, "Y");
