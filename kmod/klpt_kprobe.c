// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_kprobe.c - a kprobe on one function, as other tools put them on the
 * functions a patch replaces (the case of upstream's test_klp_kprobe).
 *
 *   insmod klpt_kprobe.ko func=cmdline_proc_show post=1 [offset=N | body=1]
 *
 * With post=1 the kprobe has a post_handler: on an ftrace-based probe point
 * the kernel then registers it with an IPMODIFY ftrace_ops, and only one
 * IPMODIFY user may hold a function, so a live patch of it fails with EBUSY.
 * With post=0 it is a plain ftrace user that coexists with the patch.
 * body=1 puts the probe on the first instruction after the function's
 * ftrace site (a breakpoint in its body, not an ftrace user): it fires only
 * while the old body runs.
 * /sys/module/klpt_kprobe/parameters/hits counts the probe's hits, so a
 * scenario sees whether it still fires once the patch is in.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/string.h>

static char *func = "cmdline_proc_show";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the function to probe");
static bool post = true;
module_param(post, bool, 0444);
MODULE_PARM_DESC(post, "give the kprobe a post_handler (IPMODIFY)");
static uint offset;
module_param(offset, uint, 0444);
MODULE_PARM_DESC(offset, "offset into the function (0: its entry)");
static bool body;
module_param(body, bool, 0444);
MODULE_PARM_DESC(body, "probe the first instruction after the ftrace site");
static ulong hits;
module_param(hits, ulong, 0444);
MODULE_PARM_DESC(hits, "times the probe fired");

static int klpt_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	hits++;
	return 0;
}

static void klpt_kprobe_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static struct kprobe klpt_kp = {
	.pre_handler = klpt_kprobe_pre,
};

/* The first offset the kernel accepts (an instruction boundary, -EILSEQ
 * elsewhere) that is not the ftrace site. */
static int klpt_kprobe_body(void)
{
	for (uint off = 1; off < 64; off++) {
		int ret;

		memset(&klpt_kp, 0, sizeof(klpt_kp));
		klpt_kp.symbol_name = func;
		klpt_kp.offset = off;
		klpt_kp.pre_handler = klpt_kprobe_pre;
		if (post)
			klpt_kp.post_handler = klpt_kprobe_post;
		ret = register_kprobe(&klpt_kp);
		if (ret == -EILSEQ)
			continue;
		if (ret || !(klpt_kp.flags & KPROBE_FLAG_FTRACE)) {
			offset = off;
			return ret;
		}
		unregister_kprobe(&klpt_kp);
	}
	return -ENOENT;
}

static int __init klpt_kprobe_init(void)
{
	if (body)
		return klpt_kprobe_body();
	klpt_kp.symbol_name = func;
	klpt_kp.offset = offset;
	if (post)
		klpt_kp.post_handler = klpt_kprobe_post;
	return register_kprobe(&klpt_kp);
}

static void __exit klpt_kprobe_exit(void)
{
	unregister_kprobe(&klpt_kp);
}

module_init(klpt_kprobe_init);
module_exit(klpt_kprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: a kprobe (with or without post_handler) on a function");
