// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_b.c - replaces klpt_func_b() only. Independent of klpt_lp_a, so
 * the two stack; klpt_lp_replace (a cumulative patch) supersedes both.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static const char *livepatch_klpt_func_b(void)
{
	return "b-patched";
}

static struct klp_func klpt_b_funcs[] = {
	{ .old_name = "klpt_func_b", .new_func = livepatch_klpt_func_b, },
	{ }
};

static struct klp_object klpt_b_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_b_funcs, },
	{ }
};

static struct klp_patch klpt_b_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_b_objs,
};

static int __init klpt_lp_b_init(void)
{
	return klp_enable_patch(&klpt_b_patch);
}

static void __exit klpt_lp_b_exit(void)
{
}

module_init(klpt_lp_b_init);
module_exit(klpt_lp_b_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch of klpt_func_b");
MODULE_INFO(livepatch, "Y");
