// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_shadow_size.c - a patch that reuses klpt_lp_shadow_leak's shadow
 * id with another size and a constructor, the mistake ids unique across
 * patches prevent: loaded together, a klp_shadow_get() by one returns the
 * other's shadow, of the wrong size. Each read of func_b allocates one such
 * shadow on a fresh object and frees both (nothing leaks). The object is
 * not a churn object: a kmalloc-128 address may still carry a shadow the
 * leaky patch left, and klp_shadow_alloc() on it would WARN.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include "klpt_target.h"

#include <linux/slab.h>

#define KLPT_SHADOW_SIZE_BIG 128
#define KLPT_SIZE_OWNER 512	/* kmalloc-512: no churn object lives there */

static int klpt_size_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	memset(shadow_data, 0xa5, KLPT_SHADOW_SIZE_BIG);
	return 0;
}

static const char *livepatch_klpt_func_b(void)
{
	void *obj = kzalloc(KLPT_SIZE_OWNER, GFP_KERNEL);

	if (!obj)
		return "b-size-nomem";
	klp_shadow_alloc(obj, KLPT_SHADOW_LEAK_ID, KLPT_SHADOW_SIZE_BIG, GFP_KERNEL,
			 klpt_size_ctor, NULL);
	klp_shadow_free(obj, KLPT_SHADOW_LEAK_ID, NULL);
	kfree(obj);
	return "b-size";
}

static struct klp_func klpt_size_funcs[] = {
	{ .old_name = "klpt_func_b", .new_func = livepatch_klpt_func_b, },
	{ }
};

static struct klp_object klpt_size_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_size_funcs, },
	{ }
};

static struct klp_patch klpt_size_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_size_objs,
};

static int __init klpt_lp_shadow_size_init(void)
{
	return klp_enable_patch(&klpt_size_patch);
}

static void __exit klpt_lp_shadow_size_exit(void)
{
}

module_init(klpt_lp_shadow_size_init);
module_exit(klpt_lp_shadow_size_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch reusing a shadow id with another size");
MODULE_INFO(livepatch, "Y");
