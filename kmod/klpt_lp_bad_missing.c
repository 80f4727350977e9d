// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_bad_missing.c - a patch whose target does not exist in vmlinux
 * (as when the buggy helper is static inline, renamed or compiled out:
 * docs/incidents.md). The kernel refuses it at insmod ("symbol ... not found");
 * klptop check must say so first. Never loaded by the tests.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static void livepatch_klpt_no_such_function(void)
{
}

static struct klp_func klpt_lp_bad_missing_funcs[] = {
	{ .old_name = "klpt_no_such_function",
	  .new_func = livepatch_klpt_no_such_function, },
	{ }
};

static struct klp_object klpt_lp_bad_missing_objs[] = {
	{ .name = NULL, .funcs = klpt_lp_bad_missing_funcs, }, /* vmlinux */
	{ }
};

static struct klp_patch klpt_lp_bad_missing_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_lp_bad_missing_objs,
};

static int __init klpt_lp_bad_missing_init(void)
{
	return klp_enable_patch(&klpt_lp_bad_missing_patch);
}

static void __exit klpt_lp_bad_missing_exit(void)
{
}

module_init(klpt_lp_bad_missing_init);
module_exit(klpt_lp_bad_missing_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: patch of a function that does not exist");
MODULE_INFO(livepatch, "Y");
