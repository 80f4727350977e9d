/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klpt_target.h - what klpt_target.ko shares with the klpt_lp_* live patches.
 *
 * The patches replace functions of klpt_target and, to behave like the
 * originals, call the helpers exported here instead of duplicating state.
 */
#ifndef KLPT_TARGET_H
#define KLPT_TARGET_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>

/*
 * Every function a klpt_lp_* patch replaces. noinline is not enough: GCC's
 * interprocedural passes may still use what they know of the body at the
 * call site (gcc-16, building for 7.2, folded klpt_ping()'s constant result
 * into its caller and dropped the calls, so the patch was never reached).
 * noipa keeps each call a real call to the traced symbol.
 */
#define klpt_patchable noinline __attribute__((__noipa__))

/* Shadow variable ids ("kl" 'p' 0x7001...) used by the shadow patches. */
#define KLPT_SHADOW_LEAK_ID	0x6b6c7001UL
#define KLPT_SHADOW_OK_ID	0x6b6c7002UL
#define KLPT_SHADOW_SIZE	64

/* How a churn object is allocated, hence how it must be freed. */
enum klpt_obj_kind {
	KLPT_OBJ_KMALLOC,	/* kzalloc / kfree */
	KLPT_OBJ_CACHE,		/* kmem_cache "klpt_obj" */
	KLPT_OBJ_RCU,		/* kzalloc / kfree_rcu */
	KLPT_OBJ_BULK,		/* kzalloc / kfree_bulk, KLPT_BULK_BATCH at a time */
	KLPT_OBJ_CACHE_BULK,	/* kmem_cache "klpt_obj" / kmem_cache_free_bulk */
	KLPT_OBJ_KINDS,
};

/* Bulk kinds are freed in batches of this many (the rest when churn ends). */
#define KLPT_BULK_BATCH	8

#define KLPT_OBJ_MAGIC	0x6b6c7074U	/* "klpt": set by every allocator */

/* A short-lived object of 128 bytes: the owner that shadows attach to. */
struct klpt_obj {
	u32 magic;
	int kind;		/* enum klpt_obj_kind */
	u64 seq;		/* creation number since the churn started */
	struct rcu_head rcu;	/* for KLPT_OBJ_RCU */
	u8 payload[96];
};

/* Exact counts of objects since the last churn start (see churn_stats). */
extern atomic64_t klpt_obj_created;
extern atomic64_t klpt_obj_destroyed;

/* Original bodies of klpt_obj_create()/klpt_obj_destroy(); they count. */
struct klpt_obj *klpt_obj_alloc_raw(int kind);
void klpt_obj_free_raw(struct klpt_obj *obj);

/*
 * Sleepers: klpt_sleep_in() waits on klpt_sleep_wq until
 * klpt_sleep_released(klpt_sleep_start()) is true. The start generation
 * is fixed when the sleeper was requested, so a release is never lost.
 */
extern wait_queue_head_t klpt_sleep_wq;
unsigned long klpt_sleep_start(void);
bool klpt_sleep_released(unsigned long start);

/* The functions the patches replace (all noinline, global, traceable). */
void klpt_spin_step(void);
void klpt_spin_step_cr(void);
int klpt_sleep_in(int interruptible);
int klpt_ping(void);
const char *klpt_func_a(void);
const char *klpt_func_b(void);
struct klpt_obj *klpt_obj_create(int kind);
void klpt_obj_destroy(struct klpt_obj *obj);

#endif /* KLPT_TARGET_H */
