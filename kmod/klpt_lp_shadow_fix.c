// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_shadow_fix.c - the cumulative fix of klpt_lp_shadow_leak
 * (.replace = true): the same shadow id and size on every new object, and
 * klpt_obj_destroy() frees it. It adopts the id: the shadows the leaky
 * patch left on objects still alive are freed when those objects go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include "klpt_target.h"

static struct klpt_obj *livepatch_klpt_obj_create(int kind)
{
	struct klpt_obj *obj = klpt_obj_alloc_raw(kind);

	/* get_or_alloc: an address that still carries a leaked shadow keeps it. */
	if (obj)
		klp_shadow_get_or_alloc(obj, KLPT_SHADOW_LEAK_ID, KLPT_SHADOW_SIZE,
					GFP_KERNEL, NULL, NULL);
	return obj;
}

static void livepatch_klpt_obj_destroy(struct klpt_obj *obj)
{
	if (!obj)
		return;
	klp_shadow_free(obj, KLPT_SHADOW_LEAK_ID, NULL);
	klpt_obj_free_raw(obj);
}

static struct klp_func klpt_fix_funcs[] = {
	{ .old_name = "klpt_obj_create", .new_func = livepatch_klpt_obj_create, },
	{ .old_name = "klpt_obj_destroy", .new_func = livepatch_klpt_obj_destroy, },
	{ }
};

static struct klp_object klpt_fix_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_fix_funcs, },
	{ }
};

static struct klp_patch klpt_fix_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_fix_objs,
	.replace = true,
};

static int __init klpt_lp_shadow_fix_init(void)
{
	return klp_enable_patch(&klpt_fix_patch);
}

static void __exit klpt_lp_shadow_fix_exit(void)
{
}

module_init(klpt_lp_shadow_fix_init);
module_exit(klpt_lp_shadow_fix_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: cumulative fix of klpt_lp_shadow_leak (adopts its shadow id)");
MODULE_INFO(livepatch, "Y");
