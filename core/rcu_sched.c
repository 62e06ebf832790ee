// SPDX-License-Identifier: MIT
/*
 * rcu_sched.c - RCU-sched grace periods over the simulated CPUs' soft IRQ
 * state, and the call_rcu_sched() reclaimer (see rcu_sched.h).
 *
 * Sequence.  wl_rcu_sched_gp_seq is even while idle and odd while a grace
 * period runs; grace period g (odd) starts by storing g and ends by
 * storing g + 1.  One runs at a time (gp_lock).
 *
 * Departure from the kernel: a CPU in a long IRQs-on stretch that never
 * restores IRQs is found by the FQS IPI after WL_RCU_SCHED_FQS_NS, not by
 * a tick; preempt-disabled regions (also RCU-sched readers in the kernel)
 * are not modelled, the walkers have none.
 */
#include "rcu_sched.h"
#include "mm.h" /* wl_bugs */
#include "smp_internal.h"

#include <errno.h>
#include <sched.h>

__wl_cacheline_aligned _Atomic uint64_t wl_rcu_sched_gp_seq;

static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * CPUs in an extended quiescent state (user mode on a nohz_full CPU,
 * wl_rcu_sched_user_enter()): set and cleared by the CPU itself, read by
 * grace-period waiters.
 */
static _Atomic bool cpu_eqs[WL_NR_CPUS];

/*
 * Statistics: relaxed.  Grace periods and FQS IPIs are counted per CPU,
 * on the thread that runs the grace period (wl_cpu_count(): the caller of
 * synchronize_rcu_sched(), or the reclaimer, which is not a CPU, for
 * call_rcu_sched()).
 */
static struct {
	_Atomic uint64_t gp_ns, gp_max_ns, callbacks, sync_calls;
} rs_stats;
#define RS_EVENTS                                                              \
	(WL_CPU_EVENT_BIT(WL_EV_RCU_SCHED_GP) |                                \
	 WL_CPU_EVENT_BIT(WL_EV_RCU_SCHED_FQS))

/* ---------------------------------------------------------------------- */
/* The reader's side: quiescent-state reports                             */

/*
 * Report a quiescent state for the grace period running now, if any.
 * Called with IRQs masked (by local_irq_restore() just before it unmasks,
 * or by the FQS IPI in IRQ context): reports never nest.
 */
void wl_rcu_sched_qs(void)
{
	struct wl_cpu *c = wl_irq.cpu;
	uint64_t gp;

	/*
	 * acquire: pairs with the release store that starts the grace
	 * period in run_gp(): our later sections see what its caller
	 * unlinked before it (rcu_sched.h, pair 2).
	 */
	gp = atomic_load_explicit(&wl_rcu_sched_gp_seq, memory_order_acquire);
	wl_irq.rcu_gp_seen = gp;
	if (!c || !(gp & 1))
		return;
	/*
	 * release: our earlier sections' page-table reads before the report;
	 * pairs with the acquire of rcu_qs_seq in cpu_quiescent() (pair 1).
	 */
	atomic_store_explicit(&c->rcu_qs_seq, gp, memory_order_release);
}

void wl_rcu_sched_user_enter(void)
{
	int cpu = wl_irq.cpu_id;

	if (cpu < 0)
		return;
	/*
	 * release: our earlier sections before the EQS; pairs with the
	 * acquire in cpu_quiescent(), as a report does (pair 1).
	 */
	atomic_store_explicit(&cpu_eqs[cpu], true, memory_order_release);
}

void wl_rcu_sched_user_exit(void)
{
	int cpu = wl_irq.cpu_id;

	if (cpu < 0)
		return;
	/*
	 * Relaxed, nothing to order: the caller walks nothing more before
	 * it goes down (rcu_sched.h), whose release store of online orders
	 * its end for the waiters (pair 3).
	 */
	atomic_store_explicit(&cpu_eqs[cpu], false, memory_order_relaxed);
}

/* The FQS IPI: runs only when the target has IRQs enabled. */
static void rcu_sched_fqs_fn(void *info)
{
	(void)info;
	wl_rcu_sched_qs();
}

/* ---------------------------------------------------------------------- */
/* The grace period                                                       */

/* Has CPU cpu passed a quiescent state for g, or gone offline? */
static bool cpu_quiescent(int cpu, uint64_t g)
{
	struct wl_cpu *c = &wl_cpus[cpu];

	/*
	 * acquire: the report (or the offline store) was released after
	 * the CPU's sections; pairs with wl_rcu_sched_qs() and the release
	 * store of online in wl_cpu_down().
	 */
	if (atomic_load_explicit(&c->rcu_qs_seq, memory_order_acquire) == g)
		return true;
	/* acquire: pairs with the release in wl_rcu_sched_user_enter() */
	if (atomic_load_explicit(&cpu_eqs[cpu], memory_order_acquire))
		return true;
	return !atomic_load_explicit(&c->online, memory_order_acquire);
}

/* The CPUs of *left that have not reported yet, removed as they do. */
static bool gp_wait_done(struct wl_cpumask *left, uint64_t g)
{
	int cpu;

	wl_for_each_cpu(cpu, left)
	{
		if (cpu_quiescent(cpu, g))
			wl_cpumask_clear(left, cpu);
	}
	return wl_cpumask_empty(left);
}

/* Nudge the laggards: an IPI each, taken when they enable IRQs. */
static void gp_force_qs(const struct wl_cpumask *left)
{
	unsigned int n =
		smp_call_function_many(left, rcu_sched_fqs_fn, NULL, false);

	wl_cpu_count(WL_EV_RCU_SCHED_FQS, n);
}

static void gp_wait(struct wl_cpumask *left, uint64_t g)
{
	struct wl_stall_wait stall;
	uint64_t next_fqs = wl_now_ns() + WL_RCU_SCHED_FQS_NS;
	unsigned int spins = 0;
	bool yielded = false;

	wl_stall_wait_init(&stall, "RCU-sched grace period");
	while (!gp_wait_done(left, g)) {
		/* Judge the holders just looked at, not those of before. */
		if (yielded)
			wl_stall_check(&stall, left);
		yielded = false;
		wl_ipi_poll(); /* a CPU caller takes its own IPIs */
		cpu_relax();
		if (++spins % SPINS_PER_YIELD)
			continue;
		sched_yield();
		yielded = true;
		if (wl_now_ns() >= next_fqs) {
			gp_force_qs(left);
			next_fqs = wl_now_ns() + WL_RCU_SCHED_FQS_NS;
		}
	}
	wl_stall_wait_done(&stall);
}

/* One grace period, under gp_lock. */
static void run_gp(void)
{
	uint64_t t0 = wl_now_ns(), dt, max;
	uint64_t g = atomic_load_explicit(&wl_rcu_sched_gp_seq,
					  memory_order_relaxed) +
		     1;
	struct wl_cpumask left;

	/*
	 * release: the start after the callers' updates (the unlink; a
	 * call_rcu_sched() caller's through the reclaimer's lock); pairs
	 * with the acquire load in wl_rcu_sched_qs() (pair 2).
	 */
	atomic_store_explicit(&wl_rcu_sched_gp_seq, g, memory_order_release);
	/* Under hotplug_lock, after the start: pair 3 (rcu_sched.h). */
	wl_cpu_online_mask_ordered(&left);
	wl_rcu_sched_qs(); /* the caller, if a CPU, is quiescent */
	/* The negative control: IRQ-off CPUs are not waited for. */
	if (!wl_bugs.rcu_sched_ignores_irqoff)
		gp_wait(&left, g);
	/* Relaxed: an even value asks no CPU for anything. */
	atomic_store_explicit(&wl_rcu_sched_gp_seq, g + 1,
			      memory_order_relaxed);
	dt = wl_now_ns() - t0;
	wl_cpu_count(WL_EV_RCU_SCHED_GP, 1);
	atomic_fetch_add_explicit(&rs_stats.gp_ns, dt, memory_order_relaxed);
	max = atomic_load_explicit(&rs_stats.gp_max_ns, memory_order_relaxed);
	if (dt > max)
		atomic_store_explicit(&rs_stats.gp_max_ns, dt,
				      memory_order_relaxed);
}

/*
 * Each call runs its own grace period, one at a time: one started by
 * another caller before our update may not order it (the kernel shares
 * them with full barriers; our pairs are release/acquire, which
 * ThreadSanitizer can check, so we do not).  call_rcu_sched() batches.
 */
void synchronize_rcu_sched(void)
{
	atomic_fetch_add_explicit(&rs_stats.sync_calls, 1,
				  memory_order_relaxed);
	/* A CPU blocked here takes FQS IPIs: it is quiescent. */
	wl_mutex_lock(&gp_lock);
	run_gp();
	pthread_mutex_unlock(&gp_lock);
}

/* ---------------------------------------------------------------------- */
/* call_rcu_sched() and its reclaimer                                     */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, done_cv;
	struct wl_rcu_head *head, **tail; /* under lock */
	uint64_t queued, done;		  /* under lock */
	bool running, stop;		  /* under lock */
	pthread_t thread;
} rcl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER,
	.tail = &rcl.head,
};

static void run_callbacks(struct wl_rcu_head *h)
{
	while (h) {
		struct wl_rcu_head *next = h->next;

		h->func(h);
		atomic_fetch_add_explicit(&rs_stats.callbacks, 1,
					  memory_order_relaxed);
		h = next;
	}
}

static void *reclaimer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&rcl.lock);
	for (;;) {
		struct wl_rcu_head *list;
		uint64_t n;

		while (!rcl.head && !rcl.stop)
			pthread_cond_wait(&rcl.more, &rcl.lock);
		if (!rcl.head)
			break;
		list = rcl.head;
		n = rcl.queued - rcl.done;
		rcl.head = NULL;
		rcl.tail = &rcl.head;
		pthread_mutex_unlock(&rcl.lock);
		/* Every callback taken was queued before this call. */
		synchronize_rcu_sched();
		run_callbacks(list);
		pthread_mutex_lock(&rcl.lock);
		rcl.done += n;
		pthread_cond_broadcast(&rcl.done_cv);
	}
	pthread_mutex_unlock(&rcl.lock);
	return NULL;
}

void call_rcu_sched(struct wl_rcu_head *head,
		    void (*func)(struct wl_rcu_head *head))
{
	head->func = func;
	head->next = NULL;
	pthread_mutex_lock(&rcl.lock);
	if (!rcl.running) {
		pthread_mutex_unlock(&rcl.lock);
		synchronize_rcu_sched();
		func(head);
		return;
	}
	/* The lock orders the caller's unlink before the reclaimer's GP. */
	*rcl.tail = head;
	rcl.tail = &head->next;
	rcl.queued++;
	pthread_cond_signal(&rcl.more);
	pthread_mutex_unlock(&rcl.lock);
}

void rcu_sched_barrier(void)
{
	uint64_t target;

	pthread_mutex_lock(&rcl.lock);
	target = rcl.queued;
	while (rcl.running && rcl.done < target)
		wl_cond_wait(&rcl.done_cv, &rcl.lock);
	pthread_mutex_unlock(&rcl.lock);
}

int wl_rcu_sched_start(void)
{
	int ret = 0;

	pthread_mutex_lock(&rcl.lock);
	if (!rcl.running) {
		rcl.stop = false;
		ret = -pthread_create(&rcl.thread, NULL, reclaimer_main, NULL);
		rcl.running = !ret;
	}
	pthread_mutex_unlock(&rcl.lock);
	return ret;
}

void wl_rcu_sched_stop(void)
{
	pthread_mutex_lock(&rcl.lock);
	if (!rcl.running) {
		pthread_mutex_unlock(&rcl.lock);
		return;
	}
	rcl.stop = true; /* the reclaimer drains the list first */
	pthread_cond_signal(&rcl.more);
	pthread_mutex_unlock(&rcl.lock);
	pthread_join(rcl.thread, NULL);
	pthread_mutex_lock(&rcl.lock);
	rcl.running = false;
	pthread_mutex_unlock(&rcl.lock);
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

void wl_rcu_sched_stats(struct wl_rcu_sched_stats *st)
{
	*st = (struct wl_rcu_sched_stats){
		.gps = wl_cpu_event_total(WL_EV_RCU_SCHED_GP),
		.gp_ns = READ_ONCE(rs_stats.gp_ns),
		.gp_max_ns = READ_ONCE(rs_stats.gp_max_ns),
		.fqs_ipis = wl_cpu_event_total(WL_EV_RCU_SCHED_FQS),
		.callbacks = READ_ONCE(rs_stats.callbacks),
		.sync_calls = READ_ONCE(rs_stats.sync_calls),
	};
}

void wl_rcu_sched_stats_reset(void)
{
	_Atomic uint64_t *f[] = {&rs_stats.gp_ns, &rs_stats.gp_max_ns,
				 &rs_stats.callbacks, &rs_stats.sync_calls};

	for (size_t i = 0; i < WL_ARRAY_SIZE(f); i++)
		WRITE_ONCE(*f[i], 0);
	wl_cpu_events_reset(RS_EVENTS);
}
