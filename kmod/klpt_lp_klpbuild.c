// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_klpbuild.c - a patch module in the shape upstream's klp-build
 * (6.19+) makes, written by hand: no static struct klp_patch, but the
 * compact descriptors objtool's "klp diff" emits, struct klp_object_ext in
 * .init.klp_objects and struct klp_func_ext in .init.klp_funcs
 * (include/linux/livepatch_external.h), and an init that builds the
 * klp_patch from them at load time, with replace set as klp-build does by
 * default. Two objects:
 *
 *  - vmlinux: umask(2) through KLP_SYSCALL_DEFINE1, which emits both the
 *    64-bit and the ia32 entry points (__x64_sys_umask, __ia32_sys_umask),
 *    so both are replaced; the new code behaves like the old;
 *  - klpt_target: klpt_func_b, which then reads "b-klpbuild".
 *
 * Built only for kernels whose headers have livepatch_external.h (Kbuild).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/livepatch_external.h>
#include <linux/livepatch_helpers.h>
#include <linux/fs_struct.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stat.h>

KLP_SYSCALL_DEFINE1(umask, int, mask)
{
	return xchg(&current->fs->umask, mask & S_IRWXUGO);
}

static noinline const char *livepatch_klpt_func_b(void)
{
	return "b-klpbuild";
}

static void klpt_klpbuild_post_patch(struct klp_object *obj)
{
	pr_info("klpt_lp_klpbuild: %s patched\n", obj->name ? obj->name : "vmlinux");
}

/* What klp diff writes for each changed object: funcs, then the object. */
static struct klp_func_ext klpt_kb_vmlinux_funcs[] __section(".init.klp_funcs") __used = {
	{ .old_name = "__x64_sys_umask", .new_func = __x64_sys_umask },
	{ .old_name = "__ia32_sys_umask", .new_func = __ia32_sys_umask },
};

static struct klp_func_ext klpt_kb_target_funcs[] __section(".init.klp_funcs") __used = {
	{ .old_name = "klpt_func_b", .new_func = livepatch_klpt_func_b },
};

static struct klp_object_ext klpt_kb_objs[] __section(".init.klp_objects") __used = {
	{ .name = NULL, .funcs = klpt_kb_vmlinux_funcs,
	  .nr_funcs = ARRAY_SIZE(klpt_kb_vmlinux_funcs) },
	{ .name = "klpt_target", .funcs = klpt_kb_target_funcs,
	  .nr_funcs = ARRAY_SIZE(klpt_kb_target_funcs),
	  .callbacks = { .post_patch = klpt_klpbuild_post_patch } },
};

static struct klp_patch *klpt_kb_patch;

static void klpt_kb_free(void)
{
	struct klp_object *obj;

	if (!klpt_kb_patch)
		return;
	for (obj = klpt_kb_patch->objs; obj && obj->funcs; obj++)
		kfree(obj->funcs);
	kfree(klpt_kb_patch->objs);
	kfree(klpt_kb_patch);
	klpt_kb_patch = NULL;
}

/* One klp_object from its compact form; the strings and functions it points
 * to live on, the compact entries themselves are freed with .init. */
static int klpt_kb_object(struct klp_object *obj, const struct klp_object_ext *ext)
{
	struct klp_func *funcs = kcalloc(ext->nr_funcs + 1, sizeof(*funcs), GFP_KERNEL);

	if (!funcs)
		return -ENOMEM;
	for (unsigned int i = 0; i < ext->nr_funcs; i++) {
		funcs[i].old_name = ext->funcs[i].old_name;
		funcs[i].new_func = ext->funcs[i].new_func;
		funcs[i].old_sympos = ext->funcs[i].sympos;
	}
	obj->name = ext->name;
	obj->funcs = funcs;
	obj->callbacks = ext->callbacks;
	return 0;
}

static int __init klpt_lp_klpbuild_init(void)
{
	struct klp_object_ext *ext;
	size_t size;
	unsigned int n;
	int ret;

	/* found through the section headers, as klp-build's init does */
	ext = klp_find_section_by_name(THIS_MODULE, ".init.klp_objects", &size);
	n = size / sizeof(*ext);
	if (!ext || !n)
		return -EINVAL;
	klpt_kb_patch = kzalloc(sizeof(*klpt_kb_patch), GFP_KERNEL);
	if (!klpt_kb_patch)
		return -ENOMEM;
	klpt_kb_patch->objs = kcalloc(n + 1, sizeof(*klpt_kb_patch->objs), GFP_KERNEL);
	if (!klpt_kb_patch->objs) {
		klpt_kb_free();
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		ret = klpt_kb_object(&klpt_kb_patch->objs[i], &ext[i]);
		if (ret) {
			klpt_kb_free();
			return ret;
		}
	}
	klpt_kb_patch->mod = THIS_MODULE;
	klpt_kb_patch->replace = true;
	ret = klp_enable_patch(klpt_kb_patch);
	if (ret)
		klpt_kb_free();
	return ret;
}

static void __exit klpt_lp_klpbuild_exit(void)
{
	klpt_kb_free();
}

module_init(klpt_lp_klpbuild_init);
module_exit(klpt_lp_klpbuild_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: a klp-build shaped patch (umask(2) x64 + ia32, klpt_func_b)");
MODULE_INFO(livepatch, "Y");
