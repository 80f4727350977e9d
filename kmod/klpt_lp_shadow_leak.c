// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_shadow_leak.c - a buggy live patch (docs/incidents.md, "Shadow leak"): the new
 * klpt_obj_create() attaches a shadow variable to every object, but
 * klpt_obj_destroy() is not patched, so every destroyed object leaves its
 * shadow behind. Nothing frees them on unpatch either: that is the bug.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include "klpt_target.h"

static struct klpt_obj *livepatch_klpt_obj_create(int kind)
{
	struct klpt_obj *obj = klpt_obj_alloc_raw(kind);

	if (!obj)
		return NULL;
	/*
	 * The slab hands a just-freed address straight back, and the leaked
	 * shadow of its previous owner is still hashed there: the new object
	 * silently inherits it. Calling klp_shadow_alloc() anyway would WARN
	 * "Duplicate shadow variable" for nearly every object and bury the
	 * lab's dmesg, so only attach a shadow where none is left over.
	 */
	if (!klp_shadow_get(obj, KLPT_SHADOW_LEAK_ID))
		klp_shadow_alloc(obj, KLPT_SHADOW_LEAK_ID, KLPT_SHADOW_SIZE,
				 GFP_KERNEL, NULL, NULL);
	return obj;
}

static struct klp_func klpt_leak_funcs[] = {
	{ .old_name = "klpt_obj_create",
	  .new_func = livepatch_klpt_obj_create, },
	{ }
};

static struct klp_object klpt_leak_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_leak_funcs, },
	{ }
};

static struct klp_patch klpt_leak_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_leak_objs,
};

static int __init klpt_lp_shadow_leak_init(void)
{
	return klp_enable_patch(&klpt_leak_patch);
}

static void __exit klpt_lp_shadow_leak_exit(void)
{
}

module_init(klpt_lp_shadow_leak_init);
module_exit(klpt_lp_shadow_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch that leaks shadow variables");
MODULE_INFO(livepatch, "Y");
