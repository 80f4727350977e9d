// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_vmlinux.c - the simplest live patch: replace vmlinux's
 * cmdline_proc_show() so /proc/cmdline shows that the kernel was patched.
 * Nothing sleeps in that function for long: the transition ends quickly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/seq_file.h>

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klpt_lp_vmlinux: this has been live patched\n");
	return 0;
}

static struct klp_func klpt_vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show",
	  .new_func = livepatch_cmdline_proc_show, },
	{ }
};

static struct klp_object klpt_vmlinux_objs[] = {
	{ .name = NULL /* vmlinux */, .funcs = klpt_vmlinux_funcs, },
	{ }
};

static struct klp_patch klpt_vmlinux_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_vmlinux_objs,
};

static int __init klpt_lp_vmlinux_init(void)
{
	return klp_enable_patch(&klpt_vmlinux_patch);
}

static void __exit klpt_lp_vmlinux_exit(void)
{
}

module_init(klpt_lp_vmlinux_init);
module_exit(klpt_lp_vmlinux_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch of cmdline_proc_show");
MODULE_INFO(livepatch, "Y");
