// SPDX-License-Identifier: GPL-2.0
/*
 * The free hooks on demand (docs/shadow.md, "Free hooks on demand"): the
 * tracepoints kmem:kfree and kmem:kmem_cache_free cost every slab free on
 * the host, so each is attached only while some live owner could be freed
 * through it, and taken off once none has been for FREE_HOOK_LINGER_NS.
 *
 * A thread of its own does it: a shadow that finds its owner's hook off
 * wakes it through the sarm ring buffer (BPF_RB_FORCE_WAKEUP), so the hook
 * comes on within a wake-up whatever the command is doing (a live-view frame
 * can take a second). Attaching and detaching a raw tracepoint takes the
 * tracepoint and jump-label locks and waits for plain RCU at most, never for
 * ftrace_lock or RCU-tasks, so a stalled transition cannot hold it up; the
 * kprobes, which would, stay attached from start to exit.
 */
#include "live/shadow_probe.h"
#include "lib/log.h"
#include "lib/util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "klptop/shadow.h"
#include "shadow.skel.h"

_Static_assert(sizeof(struct klpt_shadow_arm) == 8, "klpt_shadow_arm layout");

/* How long a hook stays on once no owner needs it: a churn whose live count
 * touches 0 now and then must not attach and detach at every sample. */
#define FREE_HOOK_LINGER_NS 2000000000ull

enum { HOOK_KFREE, HOOK_CACHE, NHOOKS };

struct free_hooks {
	struct shadow_bpf *skel;
	struct bpf_program *prog[NHOOKS];
	struct bpf_link *link[NHOOKS];
	uint64_t idle_since[NHOOKS];   /* no owner has needed it since (0: needed) */
	int force;                     /* bench: both hooks on whatever lives */
	struct ring_buffer *arm_rb;
	uint64_t request_ns;           /* oldest request not answered yet (0: none) */
	int stop_fd;
	pthread_t thread;
	int started;
	/* Read by the sampler's thread: written under lock. */
	pthread_mutex_t lock;
	uint64_t arms, arm_latency_max_ns;
	char *error;
};

static const uint32_t hook_bit[NHOOKS] = { KLPT_HOOK_KFREE, KLPT_HOOK_CACHE };

static int64_t hook_need(const struct free_hooks *fh, int h)
{
	const struct klpt_shadow_state *st = &fh->skel->bss->sstate;

	if (fh->force)
		return 1;
	return __atomic_load_n(h == HOOK_KFREE ? &st->need_kfree : &st->need_cache,
			       __ATOMIC_SEQ_CST);
}

static void set_error(struct free_hooks *fh, const char *what, int err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "cannot attach %s: %s", what, strerror(err));
	pthread_mutex_lock(&fh->lock);
	if (!fh->error || strcmp(fh->error, msg)) {
		free(fh->error);
		fh->error = xstrdup(msg);
		p_debug("free hooks: %s", msg);
	}
	pthread_mutex_unlock(&fh->lock);
}

static void attach_hook(struct free_hooks *fh, int h)
{
	struct bpf_link *l = bpf_program__attach(fh->prog[h]);
	uint64_t now;

	if (!l || libbpf_get_error(l)) {
		set_error(fh, bpf_program__section_name(fh->prog[h]),
			  l ? -(int)libbpf_get_error(l) : errno);
		return;
	}
	fh->link[h] = l;
	__atomic_or_fetch(&fh->skel->bss->hooks_on, hook_bit[h], __ATOMIC_SEQ_CST);
	now = now_ns();
	pthread_mutex_lock(&fh->lock);
	fh->arms++;
	if (fh->request_ns && now > fh->request_ns && now - fh->request_ns > fh->arm_latency_max_ns)
		fh->arm_latency_max_ns = now - fh->request_ns;
	pthread_mutex_unlock(&fh->lock);
}

/* Clear the bit first, then read the need: an owner counted meanwhile sees
 * the bit off and asks again (bpf/shadow.bpf.c: hooks_missing). */
static void detach_hook(struct free_hooks *fh, int h)
{
	__atomic_and_fetch(&fh->skel->bss->hooks_on, ~hook_bit[h], __ATOMIC_SEQ_CST);
	if (hook_need(fh, h) > 0) {
		__atomic_or_fetch(&fh->skel->bss->hooks_on, hook_bit[h], __ATOMIC_SEQ_CST);
		fh->idle_since[h] = 0;
		return;
	}
	bpf_link__destroy(fh->link[h]);
	fh->link[h] = NULL;
	fh->idle_since[h] = 0;
}

/* Attach what the live owners need, detach what has lingered unneeded. */
static void reconcile(struct free_hooks *fh)
{
	uint64_t now = now_ns();

	/* Cleared before the needs are read: a shadow counted after this asks. */
	__atomic_store_n(&fh->skel->bss->arm_pending, 0, __ATOMIC_SEQ_CST);
	for (int h = 0; h < NHOOKS; h++) {
		if (!fh->prog[h])
			continue;
		if (hook_need(fh, h) > 0) {
			fh->idle_since[h] = 0;
			if (!fh->link[h])
				attach_hook(fh, h);
		} else if (fh->link[h] && !fh->idle_since[h]) {
			fh->idle_since[h] = now;
		} else if (fh->link[h] && now - fh->idle_since[h] >= FREE_HOOK_LINGER_NS) {
			detach_hook(fh, h);
		}
	}
	fh->request_ns = 0;
}

static int on_request(void *ctx, void *data, size_t len)
{
	struct free_hooks *fh = ctx;
	const struct klpt_shadow_arm *a = data;

	if (len >= sizeof(*a) && (!fh->request_ns || a->ts_ns < fh->request_ns))
		fh->request_ns = a->ts_ns;
	return 0;
}

static int any_attached(const struct free_hooks *fh)
{
	for (int h = 0; h < NHOOKS; h++)
		if (fh->link[h])
			return 1;
	return 0;
}

static void *hooks_thread(void *arg)
{
	struct free_hooks *fh = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ring_buffer__epoll_fd(fh->arm_rb), .events = POLLIN },
			{ .fd = fh->stop_fd, .events = POLLIN },
		};
		/* A lingering hook is looked at often enough to go on time. */
		int timeout = any_attached(fh) ? 250 : 1000;

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		ring_buffer__consume(fh->arm_rb);
		reconcile(fh);
	}
	return NULL;
}

struct free_hooks *free_hooks__new(struct shadow_bpf *skel)
{
	struct free_hooks *fh = xcalloc(1, sizeof(*fh));

	fh->skel = skel;
	fh->stop_fd = -1;
	pthread_mutex_init(&fh->lock, NULL);
	if (bpf_program__autoload(skel->progs.kfree_hook))
		fh->prog[HOOK_KFREE] = skel->progs.kfree_hook;
	if (bpf_program__autoload(skel->progs.cache_free_hook))
		fh->prog[HOOK_CACHE] = skel->progs.cache_free_hook;
	/* bench/shadow-free-cost.sh: both hooks on whatever lives. */
	fh->force = getenv("KLPTOP_BENCH_HOOKS") || getenv("KLPTOP_BENCH_ARM");
	return fh;
}

void free_hooks__attach_all(struct free_hooks *fh)
{
	for (int h = 0; h < NHOOKS; h++)
		if (fh->prog[h] && !fh->link[h])
			attach_hook(fh, h);
}

/* Signals stay with the command's signalfd: the thread blocks them all. */
int free_hooks__start(struct free_hooks *fh)
{
	sigset_t all, old;
	int err;

	fh->arm_rb = ring_buffer__new(bpf_map__fd(fh->skel->maps.sarm), on_request, fh, NULL);
	fh->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!fh->arm_rb || fh->stop_fd < 0)
		return -errno;
	reconcile(fh);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&fh->thread, NULL, hooks_thread, fh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	fh->started = 1;
	return 0;
}

void free_hooks__free(struct free_hooks *fh)
{
	uint64_t one = 1;

	if (!fh)
		return;
	if (fh->started) {
		if (write(fh->stop_fd, &one, sizeof(one)) < 0)
			p_debug("free hooks: cannot wake the thread: %s", strerror(errno));
		pthread_join(fh->thread, NULL);
	}
	for (int h = 0; h < NHOOKS; h++)
		bpf_link__destroy(fh->link[h]);
	ring_buffer__free(fh->arm_rb);
	if (fh->stop_fd >= 0)
		close(fh->stop_fd);
	pthread_mutex_destroy(&fh->lock);
	free(fh->error);
	free(fh);
}

void free_hooks__read(struct free_hooks *fh, struct shadow_free_hooks *out)
{
	const struct klpt_shadow_state *st = &fh->skel->bss->sstate;
	uint32_t on = __atomic_load_n(&fh->skel->bss->hooks_on, __ATOMIC_SEQ_CST);

	memset(out, 0, sizeof(*out));
	out->kfree = !!(on & KLPT_HOOK_KFREE);
	out->kmem_cache_free = !!(on & KLPT_HOOK_CACHE);
	out->owners = st->nowners > 0 ? (uint64_t)st->nowners : 0;
	out->owners_kfree = st->need_kfree > 0 ? (uint64_t)st->need_kfree : 0;
	out->owners_cache = st->need_cache > 0 ? (uint64_t)st->need_cache : 0;
	out->unwatched = st->unwatched;
	out->lookups = st->filter_passed;
	pthread_mutex_lock(&fh->lock);
	out->arms = fh->arms;
	out->arm_latency_max_ns = fh->arm_latency_max_ns;
	out->error = fh->error ? xstrdup(fh->error) : NULL;
	pthread_mutex_unlock(&fh->lock);
}
