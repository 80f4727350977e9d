// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_a.c - replaces klpt_func_a() only. Independent of klpt_lp_b, so
 * the two stack; klpt_lp_replace (a cumulative patch) supersedes both.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static const char *livepatch_klpt_func_a(void)
{
	return "a-patched";
}

static struct klp_func klpt_a_funcs[] = {
	{ .old_name = "klpt_func_a", .new_func = livepatch_klpt_func_a, },
	{ }
};

static struct klp_object klpt_a_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_a_funcs, },
	{ }
};

static struct klp_patch klpt_a_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_a_objs,
};

static int __init klpt_lp_a_init(void)
{
	return klp_enable_patch(&klpt_a_patch);
}

static void __exit klpt_lp_a_exit(void)
{
}

module_init(klpt_lp_a_init);
module_exit(klpt_lp_a_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch of klpt_func_a");
MODULE_INFO(livepatch, "Y");
