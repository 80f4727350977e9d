// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_dup_nosympos.c - a patch of brightness_show, a name two static
 * functions share in the Debian 6.1 vmlinux (sysfs show methods of two
 * device classes, both traceable): duplicates need old_sympos.
 * old_sympos = 0 ("must be unique"): the kernel refuses the load because
 * the name is not unique; klptop check reports it as an error.
 * The new function is a sysfs show method printing 0: harmless if loaded.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/device.h>
#include <linux/sysfs.h>

static ssize_t livepatch_brightness_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "0\n");
}

static struct klp_func klpt_lp_dup_nosympos_funcs[] = {
	{ .old_name = "brightness_show",
	  .new_func = livepatch_brightness_show, .old_sympos = 0, },
	{ }
};

static struct klp_object klpt_lp_dup_nosympos_objs[] = {
	{ .name = NULL, .funcs = klpt_lp_dup_nosympos_funcs, }, /* vmlinux */
	{ }
};

static struct klp_patch klpt_lp_dup_nosympos_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_lp_dup_nosympos_objs,
};

static int __init klpt_lp_dup_nosympos_init(void)
{
	return klp_enable_patch(&klpt_lp_dup_nosympos_patch);
}

static void __exit klpt_lp_dup_nosympos_exit(void)
{
}

module_init(klpt_lp_dup_nosympos_init);
module_exit(klpt_lp_dup_nosympos_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: patch of a duplicated name, old_sympos 0");
MODULE_INFO(livepatch, "Y");
