// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_clone.c - a patch of cmci_recheck(), which the lab kernel's
 * compiler split: cmci_recheck.part.0 exists next to it, and callers may
 * call the part directly, bypassing the patched function (docs/incidents.md, "Inlined or cloned target").
 * klptop check warns. The new function does nothing (it only re-polls
 * machine-check banks, which a VM does not have): harmless if loaded.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

static void livepatch_cmci_recheck(void)
{
}

static struct klp_func klpt_lp_clone_funcs[] = {
	{ .old_name = "cmci_recheck", .new_func = livepatch_cmci_recheck, },
	{ }
};

static struct klp_object klpt_lp_clone_objs[] = {
	{ .name = NULL, .funcs = klpt_lp_clone_funcs, }, /* vmlinux */
	{ }
};

static struct klp_patch klpt_lp_clone_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_lp_clone_objs,
};

static int __init klpt_lp_clone_init(void)
{
	return klp_enable_patch(&klpt_lp_clone_patch);
}

static void __exit klpt_lp_clone_exit(void)
{
}

module_init(klpt_lp_clone_init);
module_exit(klpt_lp_clone_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: patch of a function that has a compiler clone");
MODULE_INFO(livepatch, "Y");
