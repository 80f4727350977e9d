// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_shadow_ok.c - the correct version of klpt_lp_shadow_leak: the
 * shadow lives exactly as long as its owner. klpt_obj_destroy() frees it,
 * and a post-unpatch callback frees the shadows of objects still alive
 * when the patch goes away (the original destroy would not free them).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include "klpt_target.h"

static struct klpt_obj *livepatch_klpt_obj_create(int kind)
{
	struct klpt_obj *obj = klpt_obj_alloc_raw(kind);

	/* A failed shadow only means this object goes untracked. */
	if (obj)
		klp_shadow_alloc(obj, KLPT_SHADOW_OK_ID, KLPT_SHADOW_SIZE,
				 GFP_KERNEL, NULL, NULL);
	return obj;
}

static void livepatch_klpt_obj_destroy(struct klpt_obj *obj)
{
	if (!obj)
		return;
	/*
	 * Before the owner is freed. For kfree_rcu objects too: the memory
	 * lingers for a grace period, but the owner is dead now, and its
	 * address must not keep a shadow a new object could inherit.
	 */
	klp_shadow_free(obj, KLPT_SHADOW_OK_ID, NULL);
	klpt_obj_free_raw(obj);
}

/* Objects created while patched but still alive now lose their shadows. */
static void klpt_ok_post_unpatch(struct klp_object *obj)
{
	klp_shadow_free_all(KLPT_SHADOW_OK_ID, NULL);
}

static struct klp_func klpt_ok_funcs[] = {
	{ .old_name = "klpt_obj_create",
	  .new_func = livepatch_klpt_obj_create, },
	{ .old_name = "klpt_obj_destroy",
	  .new_func = livepatch_klpt_obj_destroy, },
	{ }
};

static struct klp_object klpt_ok_objs[] = {
	{
		.name = "klpt_target",
		.funcs = klpt_ok_funcs,
		.callbacks = { .post_unpatch = klpt_ok_post_unpatch, },
	},
	{ }
};

static struct klp_patch klpt_ok_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_ok_objs,
};

static int __init klpt_lp_shadow_ok_init(void)
{
	return klp_enable_patch(&klpt_ok_patch);
}

static void __exit klpt_lp_shadow_ok_exit(void)
{
}

module_init(klpt_lp_shadow_ok_init);
module_exit(klpt_lp_shadow_ok_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch with a correct shadow lifecycle");
MODULE_INFO(livepatch, "Y");
