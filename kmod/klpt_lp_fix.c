// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_lp_fix.c - the "fix" for klpt_target: new versions of the spin, sleep
 * and ping functions. Only klpt_ping() changes behaviour (returns 2); the
 * others are new code doing the same work, so a task still running or
 * sleeping in an old one keeps the transition open (docs/incidents.md, "Stuck transition").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/wait.h>
#include "klpt_target.h"

#define KLPT_FIX_SPIN_NS	(50 * NSEC_PER_USEC)

static void klpt_fix_busy(void)
{
	volatile unsigned long work = 0;
	u64 end = local_clock() + KLPT_FIX_SPIN_NS;

	while (local_clock() < end) {
		work++;
		cpu_relax();
	}
}

static void livepatch_klpt_spin_step(void)
{
	klpt_fix_busy();
}

static void livepatch_klpt_spin_step_cr(void)
{
	klpt_fix_busy();
	cond_resched();
}

/* Same contract as the original: the start generation comes from the target. */
static int livepatch_klpt_sleep_in(int interruptible)
{
	unsigned long start = klpt_sleep_start();

	if (interruptible)
		return wait_event_interruptible(klpt_sleep_wq,
						klpt_sleep_released(start));
	/* Periodic wake-ups only keep the hung task detector quiet. */
	while (!wait_event_timeout(klpt_sleep_wq, klpt_sleep_released(start),
				   30 * HZ))
		;
	return 0;
}

static int livepatch_klpt_ping(void)
{
	return 2;
}

static struct klp_func klpt_fix_funcs[] = {
	{ .old_name = "klpt_spin_step", .new_func = livepatch_klpt_spin_step, },
	{ .old_name = "klpt_spin_step_cr",
	  .new_func = livepatch_klpt_spin_step_cr, },
	{ .old_name = "klpt_sleep_in", .new_func = livepatch_klpt_sleep_in, },
	{ .old_name = "klpt_ping", .new_func = livepatch_klpt_ping, },
	{ }
};

static struct klp_object klpt_fix_objs[] = {
	{ .name = "klpt_target", .funcs = klpt_fix_funcs, },
	{ }
};

static struct klp_patch klpt_fix_patch = {
	.mod = THIS_MODULE,
	.objs = klpt_fix_objs,
};

static int __init klpt_lp_fix_init(void)
{
	return klp_enable_patch(&klpt_fix_patch);
}

static void __exit klpt_lp_fix_exit(void)
{
}

module_init(klpt_lp_fix_init);
module_exit(klpt_lp_fix_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: live patch of klpt_target spin/sleep/ping");
MODULE_INFO(livepatch, "Y");
