// SPDX-License-Identifier: GPL-2.0
/*
 * klpt_target.c - the module that klptop's lab live patches.
 *
 * Every function a patch replaces is global, klpt_patchable (noinline,
 * noipa: klpt_target.h) and traceable, so it has its own symbol, an ftrace
 * entry, is really called, and shows up in stack traces. The
 * workloads that call them are driven through /sys/kernel/debug/klpt/:
 *
 *   spin        "1"/"0": kthread klpt_spin busy-loops inside klpt_spin_step()
 *               until it is stopped, never sleeping: it blocks any
 *               transition (docs/incidents.md), whenever the kernel checks it.
 *   spin_cr     "1"/"0": kthread klpt_spin_cr loops on klpt_spin_step_cr(),
 *               which calls cond_resched() inside itself; "sleep": it also
 *               sleeps 1-2 ms between two calls (uninterruptibly);
 *               "freeze": it sleeps 4 ms between calls, freezable.
 *   poll        "1"/"0": kthread klpt_poll busy-waits outside any patched
 *               function and calls the patched klpt_ping() once a
 *               millisecond, never sleeping: only a round that finds it
 *               preempted switches it (never, on an isolated CPU of its own).
 *   sleep       "D"/"S": one more kthread (klpt_sleep_d/klpt_sleep_s) sleeping
 *               in klpt_sleep_in() until the next release.
 *   block       read: the reader sleeps in klpt_sleep_in(1) until released.
 *   block_d     read: likewise, uninterruptibly (klpt_sleep_in(0)): a user
 *               task in D inside the patched function, which no fake
 *               signal moves (an NFS-like hang).
 *   release     write: wake every sleeper requested so far.
 *   ping        read: klpt_ping(); write N: call it N times.
 *   func_a/b    read: klpt_func_a()/klpt_func_b().
 *   churn       "COUNT RATE KIND" or "0": create/destroy klpt_obj objects;
 *               KIND kmalloc, cache, rcu (kfree_rcu), bulk (kfree_bulk),
 *               cachebulk (kmem_cache_free_bulk).
 *   churn_stats read: created/destroyed/live/running.
 *   kfree_loop  write N: N kmalloc(128)/kfree pairs; read: ns per pair.
 *
 * Unload safety: every debugfs file is opened with a reference on this
 * module, so rmmod fails (EBUSY) while a reader blocks in "block"; release
 * it first. Kthreads are stopped by module exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <linux/delay.h>
#include <linux/freezer.h>
#include "klpt_target.h"

/* Serialises the control files: thread start/stop, release, churn. */
static DEFINE_MUTEX(klpt_lock);
static struct dentry *klpt_dir;

/* ---- spinners -------------------------------------------------------- */

/* Long enough to dominate the loop (the task is almost always inside). */
#define KLPT_SPIN_NS	(50 * NSEC_PER_USEC)

/*
 * The whole busy loop lives inside the patched function, as in the stuck
 * transition of docs/incidents.md (a kthread polling inside the buggy
 * function): klpt_spin never returns from it until it is stopped, so every check, whether it finds the kthread
 * on its CPU or preempted, finds klpt_spin_step on its stack. (Returning
 * between steps let a check that caught it preempted in its caller switch
 * it early, once in many runs.) It must never sleep nor call cond_resched():
 * that is what makes it a blocker.
 */
klpt_patchable void klpt_spin_step(void)
{
	volatile unsigned long work = 0;

	while (!kthread_should_stop()) {
		work++;
		cpu_relax();
	}
}

/*
 * Same work, then cond_resched() from the patched function. GCC emits that
 * call as a tail call (jmp): this function is no longer on the stack inside
 * cond_resched(), so a 6.4+ kernel switches the task there (6.1 never does).
 * See tests/vm/scenarios/transition-spin-cr.sh.
 */
klpt_patchable void klpt_spin_step_cr(void)
{
	volatile unsigned long work = 0;
	u64 end = local_clock() + KLPT_SPIN_NS;

	while (local_clock() < end) {
		work++;
		cpu_relax();
	}
	cond_resched();
}

/* What klpt_spin_cr does between two calls of klpt_spin_step_cr(). */
enum klpt_pause {
	KLPT_PAUSE_NONE,	/* nothing: it is on a CPU all the time */
	KLPT_PAUSE_SLEEP,	/* usleep_range: a plain uninterruptible sleep */
	KLPT_PAUSE_FREEZE,	/* a freezable sleep (TASK_FREEZABLE) */
};

struct klpt_spinner {
	const char *name;
	int (*fn)(void *data);
	struct task_struct *task;	/* under klpt_lock */
	u64 steps;			/* written by the thread only */
	enum klpt_pause pause;		/* set before the thread starts */
};

/* Direct calls in a bare loop: the stack shows exactly klpt_spin_step*(). */
static int klpt_spin_fn(void *data)
{
	struct klpt_spinner *sp = data;

	while (!kthread_should_stop()) {
		klpt_spin_step();
		sp->steps++;
	}
	return 0;
}

/* The pause lies outside the patched function: a check that finds the
 * kthread asleep there sees a clean stack and switches it. */
static void klpt_pause(enum klpt_pause pause)
{
	switch (pause) {
	case KLPT_PAUSE_SLEEP:
		usleep_range(1000, 2000);
		break;
	case KLPT_PAUSE_FREEZE:
		set_current_state(TASK_INTERRUPTIBLE | TASK_FREEZABLE);
		schedule_timeout(msecs_to_jiffies(4));
		break;
	default:
		break;
	}
}

static int klpt_spin_cr_fn(void *data)
{
	struct klpt_spinner *sp = data;

	if (sp->pause == KLPT_PAUSE_FREEZE)
		set_freezable();
	while (!kthread_should_stop()) {
		klpt_spin_step_cr();
		sp->steps++;
		klpt_pause(sp->pause);
	}
	return 0;
}

/* How long klpt_poll busy-waits between two calls of the patched function. */
#define KLPT_POLL_NS	(1 * NSEC_PER_MSEC)

/*
 * A poller: busy-waits outside any patched function and calls the patched
 * klpt_ping() once a millisecond, so that function is almost never on its
 * stack. It never sleeps nor calls cond_resched(). A round that finds it
 * preempted sees a clean stack and switches it; on a CPU where nothing
 * preempts it (an isolated CPU it has to itself) every round finds it
 * running, and none ever examines its stack.
 */
static int klpt_poll_fn(void *data)
{
	struct klpt_spinner *sp = data;

	while (!kthread_should_stop()) {
		u64 end = local_clock() + KLPT_POLL_NS;

		while (local_clock() < end)
			cpu_relax();
		sp->steps += klpt_ping();
	}
	return 0;
}

static struct klpt_spinner klpt_poll = {
	.name = "klpt_poll", .fn = klpt_poll_fn,
};
static struct klpt_spinner klpt_spin = {
	.name = "klpt_spin", .fn = klpt_spin_fn,
};
static struct klpt_spinner klpt_spin_cr = {
	.name = "klpt_spin_cr", .fn = klpt_spin_cr_fn,
};

static int klpt_spinner_start(struct klpt_spinner *sp)
{
	struct task_struct *t;

	if (sp->task)
		return 0;
	sp->steps = 0;
	t = kthread_create(sp->fn, sp, "%s", sp->name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* The highest CPU, so CPU 0 (and the console shell) stay usable. */
	kthread_bind(t, cpumask_last(cpu_online_mask));
	sp->task = t;
	wake_up_process(t);
	return 0;
}

static void klpt_spinner_stop(struct klpt_spinner *sp)
{
	if (!sp->task)
		return;
	kthread_stop(sp->task);
	sp->task = NULL;
	pr_info("%s stopped after %llu steps\n", sp->name, sp->steps);
}

/* ---- sleepers -------------------------------------------------------- */

DECLARE_WAIT_QUEUE_HEAD(klpt_sleep_wq);
EXPORT_SYMBOL_GPL(klpt_sleep_wq);

/* Bumped by every release; a sleeper waits until it differs from its start. */
static atomic_long_t klpt_gen = ATOMIC_LONG_INIT(0);
static bool klpt_unloading;

/*
 * A sleeper's start generation is taken when the sleep is requested (at
 * "sleep" write or "block" open), not when klpt_sleep_in() runs: a release
 * that comes before the thread gets a CPU, or while a reader restarts its
 * read after the livepatch fake signal, is then not lost. klpt_sleep_in()
 * finds the start of the current task here.
 */
struct klpt_sleeper {
	struct list_head node;
	struct task_struct *task;
	unsigned long start;
};

static LIST_HEAD(klpt_sleepers);
static DEFINE_SPINLOCK(klpt_sleepers_lock);

static void klpt_sleeper_add(struct klpt_sleeper *s)
{
	spin_lock(&klpt_sleepers_lock);
	list_add(&s->node, &klpt_sleepers);
	spin_unlock(&klpt_sleepers_lock);
}

static void klpt_sleeper_del(struct klpt_sleeper *s)
{
	spin_lock(&klpt_sleepers_lock);
	list_del(&s->node);
	spin_unlock(&klpt_sleepers_lock);
}

unsigned long klpt_sleep_start(void)
{
	unsigned long start = atomic_long_read(&klpt_gen);
	struct klpt_sleeper *s;

	spin_lock(&klpt_sleepers_lock);
	list_for_each_entry(s, &klpt_sleepers, node) {
		if (s->task == current) {
			start = s->start;
			break;
		}
	}
	spin_unlock(&klpt_sleepers_lock);
	return start;
}
EXPORT_SYMBOL_GPL(klpt_sleep_start);

bool klpt_sleep_released(unsigned long start)
{
	return atomic_long_read(&klpt_gen) != start || READ_ONCE(klpt_unloading);
}
EXPORT_SYMBOL_GPL(klpt_sleep_released);

/*
 * Sleep until released. Interruptible: returns -ERESTARTSYS on a signal,
 * including the livepatch core's fake one, so a reader's read() restarts.
 * Uninterruptible: wakes every 30 s only to stay clear of the hung task
 * detector; the task never leaves this function, so it still blocks.
 */
klpt_patchable int klpt_sleep_in(int interruptible)
{
	unsigned long start = klpt_sleep_start();

	if (interruptible)
		return wait_event_interruptible(klpt_sleep_wq,
						klpt_sleep_released(start));
	while (!wait_event_timeout(klpt_sleep_wq, klpt_sleep_released(start),
				   30 * HZ))
		;
	return 0;
}

struct klpt_sleep_thread {
	struct klpt_sleeper sleeper;
	struct list_head node;		/* on klpt_sleep_threads */
	int interruptible;
};

static LIST_HEAD(klpt_sleep_threads);	/* under klpt_lock */

static int klpt_sleep_fn(void *data)
{
	struct klpt_sleep_thread *st = data;

	/* Kthreads take no signals: this loop only guards spurious returns. */
	while (!klpt_sleep_released(st->sleeper.start))
		klpt_sleep_in(st->interruptible);
	return 0;
}

static int klpt_sleep_thread_start(int interruptible)
{
	struct klpt_sleep_thread *st;
	struct task_struct *t;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->interruptible = interruptible;
	st->sleeper.start = atomic_long_read(&klpt_gen);
	t = kthread_create(klpt_sleep_fn, st, interruptible ? "klpt_sleep_s" :
			   "klpt_sleep_d");
	if (IS_ERR(t)) {
		kfree(st);
		return PTR_ERR(t);
	}
	/* Held so kthread_stop() is safe after the thread returned alone. */
	get_task_struct(t);
	st->sleeper.task = t;
	klpt_sleeper_add(&st->sleeper);
	list_add(&st->node, &klpt_sleep_threads);
	wake_up_process(t);
	return 0;
}

/* Reap sleeper threads; they must already be released (or unloading). */
static void klpt_sleep_threads_reap(void)
{
	struct klpt_sleep_thread *st, *tmp;

	list_for_each_entry_safe(st, tmp, &klpt_sleep_threads, node) {
		kthread_stop(st->sleeper.task);
		put_task_struct(st->sleeper.task);
		klpt_sleeper_del(&st->sleeper);
		list_del(&st->node);
		kfree(st);
	}
}

static void klpt_release_all(void)
{
	atomic_long_inc(&klpt_gen);
	wake_up_all(&klpt_sleep_wq);
}

/* ---- ping, func_a, func_b -------------------------------------------- */

klpt_patchable int klpt_ping(void)
{
	return 1;
}

klpt_patchable const char *klpt_func_a(void)
{
	return "a-orig";
}

klpt_patchable const char *klpt_func_b(void)
{
	return "b-orig";
}

/* Keeps the calls of a "ping" write from being optimised away. */
static int klpt_ping_sink;

/* ---- churn ----------------------------------------------------------- */

atomic64_t klpt_obj_created = ATOMIC64_INIT(0);
EXPORT_SYMBOL_GPL(klpt_obj_created);
atomic64_t klpt_obj_destroyed = ATOMIC64_INIT(0);
EXPORT_SYMBOL_GPL(klpt_obj_destroyed);

static struct kmem_cache *klpt_obj_cache;

/* A constructor also keeps SLUB from merging "klpt_obj" into kmalloc-128. */
static void klpt_obj_ctor(void *p)
{
	struct klpt_obj *obj = p;

	obj->magic = KLPT_OBJ_MAGIC;
}

struct klpt_obj *klpt_obj_alloc_raw(int kind)
{
	struct klpt_obj *obj;

	switch (kind) {
	case KLPT_OBJ_KMALLOC:
	case KLPT_OBJ_RCU:
	case KLPT_OBJ_BULK:
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		break;
	case KLPT_OBJ_CACHE:
	case KLPT_OBJ_CACHE_BULK:
		obj = kmem_cache_alloc(klpt_obj_cache, GFP_KERNEL);
		break;
	default:
		return NULL;
	}
	if (!obj)
		return NULL;
	obj->magic = KLPT_OBJ_MAGIC;
	obj->kind = kind;
	obj->seq = atomic64_inc_return(&klpt_obj_created);
	memset(obj->payload, 0x6b, sizeof(obj->payload));
	return obj;
}
EXPORT_SYMBOL_GPL(klpt_obj_alloc_raw);

/*
 * Objects of the bulk kinds wait here and go back to the slab in one
 * kfree_bulk()/kmem_cache_free_bulk() call per KLPT_BULK_BATCH, the way the
 * kfree_rcu() batch frees: no kfree/kmem_cache_free tracepoint per object.
 */
struct klpt_bulk {
	void *p[KLPT_BULK_BATCH];
	unsigned int n;
};

static DEFINE_SPINLOCK(klpt_bulk_lock);
static struct klpt_bulk klpt_bulk_kmalloc, klpt_bulk_cache;	/* under klpt_bulk_lock */

/* Called with klpt_bulk_lock held; frees outside it (the slab may take
 * its own locks, and the batch is ours once taken). */
static void klpt_bulk_take(struct klpt_bulk *b, struct klpt_bulk *out)
{
	*out = *b;
	b->n = 0;
}

static noinline void klpt_bulk_free(struct klpt_bulk *b, bool cache)
{
	if (!b->n)
		return;
	if (cache)
		kmem_cache_free_bulk(klpt_obj_cache, b->n, b->p);
	else
		kfree_bulk(b->n, b->p);
}

static void klpt_bulk_add(struct klpt_obj *obj, bool cache)
{
	struct klpt_bulk *b = cache ? &klpt_bulk_cache : &klpt_bulk_kmalloc;
	struct klpt_bulk full = { .n = 0 };

	spin_lock(&klpt_bulk_lock);
	b->p[b->n++] = obj;
	if (b->n == KLPT_BULK_BATCH)
		klpt_bulk_take(b, &full);
	spin_unlock(&klpt_bulk_lock);
	klpt_bulk_free(&full, cache);
}

/* Free what waits in the bulk batches (churn end, module exit). */
static void klpt_bulk_flush(void)
{
	struct klpt_bulk k, c;

	spin_lock(&klpt_bulk_lock);
	klpt_bulk_take(&klpt_bulk_kmalloc, &k);
	klpt_bulk_take(&klpt_bulk_cache, &c);
	spin_unlock(&klpt_bulk_lock);
	klpt_bulk_free(&k, false);
	klpt_bulk_free(&c, true);
}

void klpt_obj_free_raw(struct klpt_obj *obj)
{
	if (!obj)
		return;
	if (WARN_ON_ONCE(obj->magic != KLPT_OBJ_MAGIC))
		return;
	atomic64_inc(&klpt_obj_destroyed);
	switch (obj->kind) {
	case KLPT_OBJ_CACHE:
		kmem_cache_free(klpt_obj_cache, obj);
		break;
	case KLPT_OBJ_RCU:
		kfree_rcu(obj, rcu);
		break;
	case KLPT_OBJ_BULK:
		klpt_bulk_add(obj, false);
		break;
	case KLPT_OBJ_CACHE_BULK:
		klpt_bulk_add(obj, true);
		break;
	default:
		kfree(obj);
		break;
	}
}
EXPORT_SYMBOL_GPL(klpt_obj_free_raw);

klpt_patchable struct klpt_obj *klpt_obj_create(int kind)
{
	return klpt_obj_alloc_raw(kind);
}

klpt_patchable void klpt_obj_destroy(struct klpt_obj *obj)
{
	klpt_obj_free_raw(obj);
}

#define KLPT_RING	16	/* objects alive at once */

struct klpt_churn_cfg {
	u64 count;		/* 0: until stopped */
	u32 rate;		/* objects per second, 0: as fast as possible */
	int kind;
};

static struct klpt_churn_cfg klpt_churn_cfg;	/* under klpt_lock */
static struct task_struct *klpt_churn_task;	/* under klpt_lock */
static bool klpt_churn_running;

/* Sleep until @ns from now, waking early for kthread_stop(). */
static void klpt_churn_wait(u64 ns)
{
	long j = nsecs_to_jiffies(ns);

	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_timeout(clamp_t(long, j, 1, HZ));
	__set_current_state(TASK_RUNNING);
}

static int klpt_churn_fn(void *data)
{
	const struct klpt_churn_cfg *cfg = data;
	struct klpt_obj *ring[KLPT_RING] = { };
	u64 interval = cfg->rate ? div_u64(NSEC_PER_SEC, cfg->rate) : 0;
	u64 t0 = ktime_get_ns();
	u64 made = 0;
	unsigned int i;

	while (!kthread_should_stop() && (!cfg->count || made < cfg->count)) {
		if (interval) {
			u64 elapsed = ktime_get_ns() - t0;

			/* Object number "made" is due at made * interval. */
			if (made > div64_u64(elapsed, interval)) {
				klpt_churn_wait(made * interval - elapsed);
				continue;
			}
		}
		i = made % KLPT_RING;
		if (ring[i])
			klpt_obj_destroy(ring[i]);
		ring[i] = klpt_obj_create(cfg->kind);
		made++;
		if (!(made % 64))
			cond_resched();
	}
	for (i = 0; i < KLPT_RING; i++)
		if (ring[i])
			klpt_obj_destroy(ring[i]);
	klpt_bulk_flush();
	WRITE_ONCE(klpt_churn_running, false);
	return 0;
}

static void klpt_churn_stop(void)
{
	if (!klpt_churn_task)
		return;
	kthread_stop(klpt_churn_task);
	put_task_struct(klpt_churn_task);
	klpt_churn_task = NULL;
	WRITE_ONCE(klpt_churn_running, false);
}

static int klpt_churn_start(u64 count, u32 rate, int kind)
{
	struct task_struct *t;

	klpt_churn_stop();
	/* Counts restart with each run so tests compare exact numbers. */
	atomic64_set(&klpt_obj_created, 0);
	atomic64_set(&klpt_obj_destroyed, 0);
	klpt_churn_cfg.count = count;
	klpt_churn_cfg.rate = min_t(u32, rate, NSEC_PER_SEC);
	klpt_churn_cfg.kind = kind;
	t = kthread_create(klpt_churn_fn, &klpt_churn_cfg, "klpt_churn");
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* The thread may end alone (COUNT reached): keep it for kthread_stop. */
	get_task_struct(t);
	klpt_churn_task = t;
	WRITE_ONCE(klpt_churn_running, true);
	wake_up_process(t);
	return 0;
}

/* ---- kfree_loop: what one kmalloc/kfree pair costs (bench-shadow) ------ */

static u64 klpt_kfree_loop_ps;	/* picoseconds per pair, last run; klpt_lock */

/* N pairs of kmalloc(128)/kfree, back to back: every kfree passes the
 * kmem:kfree tracepoint, which is what klptop shadow's leak hooks cost. */
static int klpt_kfree_loop(unsigned int n)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = kmalloc(128, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		OPTIMIZER_HIDE_VAR(p);
		kfree(p);
		if (!(i % 1024))
			cond_resched();
	}
	klpt_kfree_loop_ps = n ? div_u64((ktime_get_ns() - t0) * 1000, n) : 0;
	return 0;
}

/* ---- debugfs --------------------------------------------------------- */

/* Copy a short user write into @buf as a trimmed string. */
static char *klpt_get_arg(const char __user *ubuf, size_t count, char *buf,
			  size_t size)
{
	if (count >= size)
		return ERR_PTR(-EINVAL);
	if (copy_from_user(buf, ubuf, count))
		return ERR_PTR(-EFAULT);
	buf[count] = '\0';
	return strim(buf);
}

static ssize_t klpt_spin_set(struct klpt_spinner *sp, bool on, enum klpt_pause pause,
			     size_t count)
{
	int ret = 0;

	mutex_lock(&klpt_lock);
	if (on) {
		if (!sp->task)
			sp->pause = pause;
		ret = klpt_spinner_start(sp);
	} else {
		klpt_spinner_stop(sp);
	}
	mutex_unlock(&klpt_lock);
	return ret ?: count;
}

static ssize_t klpt_spin_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	bool on;
	int ret = kstrtobool_from_user(ubuf, count, &on);

	return ret ?: klpt_spin_set(&klpt_spin, on, KLPT_PAUSE_NONE, count);
}

static ssize_t klpt_poll_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	bool on;
	int ret = kstrtobool_from_user(ubuf, count, &on);

	return ret ?: klpt_spin_set(&klpt_poll, on, KLPT_PAUSE_NONE, count);
}

/* "1"/"0", or "sleep"/"freeze": start with that pause between calls. */
static ssize_t klpt_spin_cr_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	char buf[16];
	char *s = klpt_get_arg(ubuf, count, buf, sizeof(buf));
	bool on;

	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!strcmp(s, "sleep"))
		return klpt_spin_set(&klpt_spin_cr, true, KLPT_PAUSE_SLEEP, count);
	if (!strcmp(s, "freeze"))
		return klpt_spin_set(&klpt_spin_cr, true, KLPT_PAUSE_FREEZE, count);
	if (kstrtobool(s, &on))
		return -EINVAL;
	return klpt_spin_set(&klpt_spin_cr, on, KLPT_PAUSE_NONE, count);
}

static ssize_t klpt_sleep_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[8], *arg;
	int ret;

	arg = klpt_get_arg(ubuf, count, buf, sizeof(buf));
	if (IS_ERR(arg))
		return PTR_ERR(arg);
	if (strcmp(arg, "D") && strcmp(arg, "S"))
		return -EINVAL;
	mutex_lock(&klpt_lock);
	ret = klpt_sleep_thread_start(arg[0] == 'S');
	mutex_unlock(&klpt_lock);
	return ret ?: count;
}

/* The start generation of a "block" reader is fixed at open. */
static int klpt_block_open(struct inode *inode, struct file *file)
{
	file->private_data = (void *)atomic_long_read(&klpt_gen);
	return nonseekable_open(inode, file);
}

static ssize_t klpt_block_read_common(struct file *file, char __user *ubuf,
				      size_t count, loff_t *ppos, int interruptible)
{
	static const char msg[] = "released\n";
	struct klpt_sleeper s = {
		.task = current,
		.start = (unsigned long)file->private_data,
	};
	int ret;

	/* Released already: the rest of the message, then EOF. */
	if (*ppos)
		goto out;
	klpt_sleeper_add(&s);
	ret = klpt_sleep_in(interruptible);
	klpt_sleeper_del(&s);
	if (ret)
		return ret;	/* -ERESTARTSYS: the read restarts, same start */
	if (READ_ONCE(klpt_unloading) &&
	    atomic_long_read(&klpt_gen) == s.start)
		return -ENODEV;
out:
	return simple_read_from_buffer(ubuf, count, ppos, msg, sizeof(msg) - 1);
}

static ssize_t klpt_block_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return klpt_block_read_common(file, ubuf, count, ppos, 1);
}

static ssize_t klpt_block_d_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return klpt_block_read_common(file, ubuf, count, ppos, 0);
}

static ssize_t klpt_release_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	mutex_lock(&klpt_lock);
	klpt_release_all();
	/* Released threads exit promptly; reap them so none accumulate. */
	klpt_sleep_threads_reap();
	mutex_unlock(&klpt_lock);
	return count;
}

static ssize_t klpt_ping_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[16];
	int len;

	/* Exactly one call per read of the file, not one per read(2). */
	if (*ppos)
		return 0;
	len = scnprintf(buf, sizeof(buf), "%d\n", klpt_ping());
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t klpt_ping_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int n, i;
	int sum = 0, ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		sum += klpt_ping();
		if (!(i % 1024))
			cond_resched();
	}
	WRITE_ONCE(klpt_ping_sink, sum);
	return count;
}

static ssize_t klpt_str_read(const char *s, char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	char buf[32];
	int len;

	len = scnprintf(buf, sizeof(buf), "%s\n", s);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t klpt_func_a_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return *ppos ? 0 : klpt_str_read(klpt_func_a(), ubuf, count, ppos);
}

static ssize_t klpt_func_b_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return *ppos ? 0 : klpt_str_read(klpt_func_b(), ubuf, count, ppos);
}

static ssize_t klpt_kfree_loop_write(struct file *file, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	mutex_lock(&klpt_lock);
	ret = klpt_kfree_loop(n);
	mutex_unlock(&klpt_lock);
	return ret ?: count;
}

static ssize_t klpt_kfree_loop_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char buf[32];
	u64 ps;
	int len;

	mutex_lock(&klpt_lock);
	ps = klpt_kfree_loop_ps;
	mutex_unlock(&klpt_lock);
	len = scnprintf(buf, sizeof(buf), "%llu.%03llu\n", ps / 1000, ps % 1000);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const char * const klpt_kind_names[] = {
	[KLPT_OBJ_KMALLOC] = "kmalloc",
	[KLPT_OBJ_CACHE] = "cache",
	[KLPT_OBJ_RCU] = "rcu",
	[KLPT_OBJ_BULK] = "bulk",
	[KLPT_OBJ_CACHE_BULK] = "cachebulk",
};

static ssize_t klpt_churn_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[64], kind_name[16], *arg;
	unsigned long long n;
	unsigned int rate;
	int kind, ret;

	arg = klpt_get_arg(ubuf, count, buf, sizeof(buf));
	if (IS_ERR(arg))
		return PTR_ERR(arg);
	if (!strcmp(arg, "0")) {
		mutex_lock(&klpt_lock);
		klpt_churn_stop();
		mutex_unlock(&klpt_lock);
		return count;
	}
	if (sscanf(arg, "%llu %u %15s", &n, &rate, kind_name) != 3)
		return -EINVAL;
	kind = match_string(klpt_kind_names, ARRAY_SIZE(klpt_kind_names),
			    kind_name);
	if (kind < 0)
		return -EINVAL;
	mutex_lock(&klpt_lock);
	ret = klpt_churn_start(n, rate, kind);
	mutex_unlock(&klpt_lock);
	return ret ?: count;
}

static int klpt_churn_stats_show(struct seq_file *m, void *v)
{
	s64 created = atomic64_read(&klpt_obj_created);
	s64 destroyed = atomic64_read(&klpt_obj_destroyed);

	seq_printf(m, "created %lld\n", created);
	seq_printf(m, "destroyed %lld\n", destroyed);
	seq_printf(m, "live %lld\n", created - destroyed);
	seq_printf(m, "running %d\n", READ_ONCE(klpt_churn_running) ? 1 : 0);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(klpt_churn_stats);

/*
 * No .llseek: the knobs cannot seek (-ESPIPE) on every kernel. no_llseek,
 * which said the same, is gone since 6.12.
 */
#define KLPT_FOPS(_name, ...)						\
	static const struct file_operations _name = {			\
		.owner = THIS_MODULE,					\
		__VA_ARGS__						\
	}

KLPT_FOPS(klpt_spin_fops, .write = klpt_spin_write,);
KLPT_FOPS(klpt_spin_cr_fops, .write = klpt_spin_cr_write,);
KLPT_FOPS(klpt_poll_fops, .write = klpt_poll_write,);
KLPT_FOPS(klpt_sleep_fops, .write = klpt_sleep_write,);
KLPT_FOPS(klpt_block_fops, .open = klpt_block_open, .read = klpt_block_read,);
KLPT_FOPS(klpt_block_d_fops, .open = klpt_block_open, .read = klpt_block_d_read,);
KLPT_FOPS(klpt_release_fops, .write = klpt_release_write,);
KLPT_FOPS(klpt_ping_fops, .read = klpt_ping_read, .write = klpt_ping_write,);
KLPT_FOPS(klpt_func_a_fops, .read = klpt_func_a_read,);
KLPT_FOPS(klpt_func_b_fops, .read = klpt_func_b_read,);
KLPT_FOPS(klpt_churn_fops, .write = klpt_churn_write,);
KLPT_FOPS(klpt_kfree_loop_fops, .read = klpt_kfree_loop_read,
	  .write = klpt_kfree_loop_write,);

static int __init klpt_target_init(void)
{
	klpt_obj_cache = kmem_cache_create("klpt_obj", sizeof(struct klpt_obj),
					   0, 0, klpt_obj_ctor);
	if (!klpt_obj_cache)
		return -ENOMEM;

	klpt_dir = debugfs_create_dir("klpt", NULL);
	debugfs_create_file("spin", 0200, klpt_dir, NULL, &klpt_spin_fops);
	debugfs_create_file("spin_cr", 0200, klpt_dir, NULL,
			    &klpt_spin_cr_fops);
	debugfs_create_file("poll", 0200, klpt_dir, NULL, &klpt_poll_fops);
	debugfs_create_file("sleep", 0200, klpt_dir, NULL, &klpt_sleep_fops);
	debugfs_create_file("block", 0400, klpt_dir, NULL, &klpt_block_fops);
	debugfs_create_file("block_d", 0400, klpt_dir, NULL, &klpt_block_d_fops);
	debugfs_create_file("release", 0200, klpt_dir, NULL,
			    &klpt_release_fops);
	debugfs_create_file("ping", 0600, klpt_dir, NULL, &klpt_ping_fops);
	debugfs_create_file("func_a", 0400, klpt_dir, NULL, &klpt_func_a_fops);
	debugfs_create_file("func_b", 0400, klpt_dir, NULL, &klpt_func_b_fops);
	debugfs_create_file("churn", 0200, klpt_dir, NULL, &klpt_churn_fops);
	debugfs_create_file("churn_stats", 0400, klpt_dir, NULL,
			    &klpt_churn_stats_fops);
	debugfs_create_file("kfree_loop", 0600, klpt_dir, NULL,
			    &klpt_kfree_loop_fops);
	return 0;
}

static void __exit klpt_target_exit(void)
{
	/* No file is open (each holds a module reference): no new requests. */
	debugfs_remove(klpt_dir);

	mutex_lock(&klpt_lock);
	WRITE_ONCE(klpt_unloading, true);
	klpt_release_all();
	klpt_sleep_threads_reap();
	klpt_spinner_stop(&klpt_spin);
	klpt_spinner_stop(&klpt_spin_cr);
	klpt_spinner_stop(&klpt_poll);
	klpt_churn_stop();
	mutex_unlock(&klpt_lock);
	/* Objects a patch destroyed after the churn (none in the lab). */
	klpt_bulk_flush();

	/* Objects freed with kfree_rcu need no module code: no rcu_barrier. */
	kmem_cache_destroy(klpt_obj_cache);
}

module_init(klpt_target_init);
module_exit(klpt_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klptop lab: functions and workloads for live patches");
