// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_a2.c - a second, non-cumulative patch of klpt_func_a(), loaded on
 * top of klpt_lp_a: two patches on one function. The newest enabled one
 * runs; the kernel says which through each patch's sysfs stack_order
 * (6.14+), and klptop also reads it from the function's klp_ops stack.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static const char *livepatch_klpt_func_a(void)
{
	return "a-patched-2";
}

static struct klp_func klpt_a2_funcs[] = {
	{ .old_name = "klpt_func_a", .new_func = livepatch_klpt_func_a, },
	{ }
};

static struct klp_object klpt_a2_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_a2_funcs, },
	{ }
};

static struct klp_patch klpt_a2_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_a2_objs,
};

static int __init klpt_lp_a2_init(void)
{
	return klp_enable_patch(&klpt_a2_patch);
}

static void __exit klpt_lp_a2_exit(void)
{
}

module_init(klpt_lp_a2_init);
module_exit(klpt_lp_a2_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: a second live patch of klpt_func_a");
MODULE_INFO(livepatch, "Y");
