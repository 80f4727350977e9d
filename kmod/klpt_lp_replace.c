// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_replace.c - a cumulative patch (.replace = true) for klpt_func_a()
 * and klpt_func_b(). Enabling it atomically replaces every live patch that
 * is enabled (klpt_lp_a, klpt_lp_b, and any other klpt_lp_*): their
 * functions revert unless listed here. It cannot start while another
 * transition runs (insmod fails with EBUSY; docs/incidents.md).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static const char *livepatch_klpt_func_a(void)
{
	return "a-replaced";
}

static const char *livepatch_klpt_func_b(void)
{
	return "b-replaced";
}

static struct klp_func klpt_replace_funcs[] = {
	{ .old_name = "klpt_func_a", .new_func = livepatch_klpt_func_a, },
	{ .old_name = "klpt_func_b", .new_func = livepatch_klpt_func_b, },
	{ }
};

static struct klp_object klpt_replace_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_replace_funcs, },
	{ }
};

static struct klp_patch klpt_replace_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_replace_objs,
	.replace = true,
};

static int __init klpt_lp_replace_init(void)
{
	return klp_enable_patch(&klpt_replace_patch);
}

static void __exit klpt_lp_replace_exit(void)
{
}

module_init(klpt_lp_replace_init);
module_exit(klpt_lp_replace_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: cumulative live patch of klpt_func_a/b");
MODULE_INFO(livepatch, "Y");
