// SPDX-License-Identifier: MIT
/*
 * test_smp.c - the simulated SMP machine: soft IRQ masking, IPI delivery,
 * hotplug, statistics, the stall detector, RCU-sched grace periods over
 * the IRQ state, and the architecture model.
 *
 * The IPI tests run twice, once per delivery (suites "signal" and "poll").
 * Options are per suite, never per test, so that the file also runs on
 * tu_nocriterion (TSan builds, where Criterion cannot run).
 * Worker threads never assert (Criterion asserts belong to the test's own
 * thread): they record what they saw in atomics, and the test checks.
 * Timing is never asserted, only ordering: "the sender is still waiting
 * after 50 ms" is checked with a flag the sender sets when it returns.
 */
#ifdef WALKLAB_NO_CRITERION /* TSan builds: see tu_nocriterion.h */
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif

#include "arch.h"
#include "mm.h" /* wl_bugs */
#include "rcu_sched.h"
#include "smp.h"
#include "tu_capture.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ull

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

/* The cross-call function: counts where it ran.  Async-signal-safe. */
static _Atomic unsigned long fn_calls;
static _Atomic unsigned long fn_calls_on[WL_NR_CPUS];
static _Atomic int fn_irqs_disabled; /* fn ran with irqs_disabled() */

static void count_fn(void *info)
{
	int cpu = smp_processor_id();

	(void)info;
	atomic_fetch_add_explicit(&fn_calls, 1, memory_order_relaxed);
	if (cpu >= 0)
		atomic_fetch_add_explicit(&fn_calls_on[cpu], 1,
					  memory_order_relaxed);
	if (irqs_disabled())
		atomic_store_explicit(&fn_irqs_disabled, 1,
				      memory_order_relaxed);
}

static unsigned long calls_on(int cpu)
{
	return atomic_load_explicit(&fn_calls_on[cpu], memory_order_relaxed);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait (in the test's thread) for cond, failing after 10 s. */
#define WAIT_FOR(cond)                                                         \
	do {                                                                   \
		uint64_t end_ = wl_now_ns() + 10000 * MS;                      \
		while (!(cond)) {                                              \
			cr_assert(wl_now_ns() < end_,                          \
				  "timed out waiting for " #cond);             \
			usleep(100);                                           \
		}                                                              \
	} while (0)

static void smp_setup(enum wl_ipi_delivery delivery, uint64_t stall_ns,
		      uint64_t panic_ns)
{
	struct wl_smp_config cfg;

	wl_smp_config_default(&cfg);
	cfg.delivery = delivery;
	cfg.stall_ns = stall_ns;
	cfg.stall_panic_ns = panic_ns;
	cr_assert_eq(wl_smp_init(&cfg), 0);
	cr_assert_eq(wl_ipi_poll_mode, delivery == WL_IPI_POLL);
	wl_ipi_stats_reset();
}

static void init_signal(void)
{
	smp_setup(WL_IPI_SIGNAL, 2000 * MS, 30000 * MS);
}

static void init_poll(void)
{
	smp_setup(WL_IPI_POLL, 2000 * MS, 30000 * MS);
}

static void fini_smp(void)
{
	wl_smp_fini();
}

/* Stall detection: 50 ms, to fire on a 200 ms IRQ-off section. */
static void init_signal_stall(void)
{
	smp_setup(WL_IPI_SIGNAL, 50 * MS, 0);
}

static void init_poll_stall(void)
{
	smp_setup(WL_IPI_POLL, 50 * MS, 0);
}

/* Quiet: well above a round trip even on a loaded two-PU host. */
static void init_signal_quiet(void)
{
	smp_setup(WL_IPI_SIGNAL, 1000 * MS, 0);
}

static void init_poll_quiet(void)
{
	smp_setup(WL_IPI_POLL, 1000 * MS, 0);
}

TestSuite(irq);
TestSuite(signal, .init = init_signal, .fini = fini_smp, .timeout = 20);
TestSuite(poll, .init = init_poll, .fini = fini_smp, .timeout = 20);
TestSuite(signal_stall, .init = init_signal_stall, .fini = fini_smp,
	  .timeout = 20);
TestSuite(poll_stall, .init = init_poll_stall, .fini = fini_smp, .timeout = 20);
TestSuite(signal_quiet, .init = init_signal_quiet, .fini = fini_smp,
	  .timeout = 20);
TestSuite(poll_quiet, .init = init_poll_quiet, .fini = fini_smp, .timeout = 20);
TestSuite(stall_panic, .timeout = 20);
TestSuite(nosmp, .timeout = 20);
TestSuite(lifecycle, .timeout = 20);
TestSuite(arch, .timeout = 20);
TestSuite(hist, .timeout = 20);

/* ---------------------------------------------------------------------- */
/* A target CPU thread, parked in one of several states                   */

enum tmode {
	T_SPIN,	     /* IRQs on, polls through save/restore */
	T_SPIN_RAW,  /* IRQs on, pure spin: only a signal can reach it */
	T_IRQS_OFF,  /* IRQs off until released */
	T_COND_RAW,  /* pthread_cond_wait() */
	T_MUTEX_RAW, /* pthread_mutex_lock() on a held mutex */
	T_SLEEP_RAW, /* nanosleep() */
	T_COND_WL,   /* wl_cond_wait() */
	T_MUTEX_WL,  /* wl_mutex_lock() on a held mutex */
	T_RWLOCK_WL, /* wl_rwlock_rdlock() on a write-held lock */
	T_SLEEP_WL,  /* wl_sleep_ns() */
};

struct target {
	pthread_t thr;
	enum tmode mode;
	_Atomic int cpu;      /* id once up; -1000 before */
	_Atomic int phase;    /* 1: in place (spinning, IRQ-off, blocking) */
	_Atomic bool release; /* leave the place, go down */
	_Atomic bool stop;    /* T_IRQS_OFF: after the section, go down */
	/* T_IRQS_OFF: calls run on it just before and after the restore. */
	_Atomic long before_restore, after_restore;
	pthread_mutex_t m;
	pthread_cond_t cv;
	pthread_rwlock_t rw;
};

static bool released(struct target *t)
{
	return atomic_load_explicit(&t->release, memory_order_acquire);
}

static void poll_until(_Atomic bool *flag)
{
	unsigned long flags;

	/* acquire: pairs with the test's release store of the flag */
	while (!atomic_load_explicit(flag, memory_order_acquire)) {
		flags = local_irq_save();
		local_irq_restore(flags);
		cpu_relax();
	}
}

static void *target_main(void *arg)
{
	struct target *t = arg;
	unsigned long flags;
	int id = wl_cpu_up("target");

	atomic_store_explicit(&t->cpu, id, memory_order_release);
	if (id < 0)
		return NULL;
	switch (t->mode) {
	case T_SPIN:
		atomic_store(&t->phase, 1);
		poll_until(&t->release);
		break;
	case T_SPIN_RAW:
		atomic_store(&t->phase, 1);
		while (!released(t))
			cpu_relax();
		break;
	case T_IRQS_OFF:
		flags = local_irq_save();
		atomic_store(&t->phase, 1);
		while (!released(t))
			cpu_relax();
		atomic_store(&t->before_restore, (long)calls_on(id));
		local_irq_restore(flags);
		atomic_store(&t->after_restore, (long)calls_on(id));
		atomic_store(&t->phase, 2);
		poll_until(&t->stop);
		break;
	case T_COND_RAW:
	case T_COND_WL:
		pthread_mutex_lock(&t->m);
		atomic_store(&t->phase, 1);
		while (!released(t)) {
			if (t->mode == T_COND_RAW)
				pthread_cond_wait(&t->cv, &t->m);
			else
				wl_cond_wait(&t->cv, &t->m);
		}
		pthread_mutex_unlock(&t->m);
		break;
	case T_MUTEX_RAW:
	case T_MUTEX_WL:
		atomic_store(&t->phase, 1);
		if (t->mode == T_MUTEX_RAW)
			pthread_mutex_lock(&t->m);
		else
			wl_mutex_lock(&t->m);
		pthread_mutex_unlock(&t->m);
		break;
	case T_RWLOCK_WL:
		atomic_store(&t->phase, 1);
		wl_rwlock_rdlock(&t->rw);
		pthread_rwlock_unlock(&t->rw);
		break;
	case T_SLEEP_RAW:
		atomic_store(&t->phase, 1);
		while (!released(t)) {
			struct timespec ts = {10, 0};

			nanosleep(&ts, NULL); /* an IPI ends it (EINTR) */
		}
		break;
	case T_SLEEP_WL:
		atomic_store(&t->phase, 1);
		while (!released(t))
			wl_sleep_ns(20 * MS);
		break;
	}
	wl_cpu_down();
	return NULL;
}

static void target_start(struct target *t, enum tmode mode)
{
	memset(t, 0, sizeof(*t));
	t->mode = mode;
	atomic_init(&t->cpu, -1000);
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->cv, NULL);
	pthread_rwlock_init(&t->rw, NULL);
	cr_assert_eq(pthread_create(&t->thr, NULL, target_main, t), 0);
	WAIT_FOR(atomic_load(&t->cpu) != -1000);
	cr_assert_geq(atomic_load(&t->cpu), 0);
	WAIT_FOR(atomic_load(&t->phase) == 1);
}

static void target_release(struct target *t)
{
	/* release: pairs with the acquire in released()/poll_until() */
	atomic_store_explicit(&t->release, true, memory_order_release);
	atomic_store_explicit(&t->stop, true, memory_order_release);
}

static void target_join(struct target *t)
{
	target_release(t);
	pthread_join(t->thr, NULL);
	pthread_mutex_destroy(&t->m);
	pthread_cond_destroy(&t->cv);
	pthread_rwlock_destroy(&t->rw);
}

static struct wl_cpumask mask_of(int cpu)
{
	struct wl_cpumask m = {{0}};

	wl_cpumask_set(&m, cpu);
	return m;
}

/* A sender thread: one call to smp_call_function_many(), as a CPU or not. */
struct sender {
	pthread_t thr;
	struct wl_cpumask mask;
	bool as_cpu;
	bool wait;
	_Atomic bool done;
	_Atomic unsigned int ret;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	if (s->as_cpu && wl_cpu_up("sender") < 0)
		return NULL;
	atomic_store(&s->ret,
		     smp_call_function_many(&s->mask, count_fn, NULL, s->wait));
	/* release: the test reads what happened before the return */
	atomic_store_explicit(&s->done, true, memory_order_release);
	if (s->as_cpu)
		wl_cpu_down();
	return NULL;
}

static void sender_start(struct sender *s, int cpu, bool as_cpu)
{
	memset(s, 0, sizeof(*s));
	s->mask = mask_of(cpu);
	s->as_cpu = as_cpu;
	s->wait = true;
	cr_assert_eq(pthread_create(&s->thr, NULL, sender_main, s), 0);
}

static bool sender_done(struct sender *s)
{
	return atomic_load_explicit(&s->done, memory_order_acquire);
}

/* ---------------------------------------------------------------------- */
/* (1) soft IRQ masking                                                   */

static void check_save_restore_nest(void)
{
	unsigned long outer, inner;

	cr_assert(!irqs_disabled());
	outer = local_irq_save();
	cr_assert_eq(outer, 0);
	cr_assert(irqs_disabled());
	inner = local_irq_save();
	cr_assert_eq(inner, 1);
	cr_assert(irqs_disabled());
	local_irq_restore(inner);
	cr_assert(irqs_disabled(), "inner restore must keep IRQs off");
	local_irq_restore(outer);
	cr_assert(!irqs_disabled());
	local_irq_disable();
	cr_assert(irqs_disabled());
	local_irq_enable();
	cr_assert(!irqs_disabled());
}

Test(irq, save_restore_nest_not_a_cpu)
{
	cr_assert_eq(smp_processor_id(), -1);
	check_save_restore_nest();
}

Test(irq, save_restore_nest_on_a_cpu)
{
	int id = wl_cpu_up("main");

	cr_assert_eq(id, 0, "wl_cpu_up() initializes with the defaults");
	cr_assert_eq(smp_processor_id(), 0);
	cr_assert_eq(wl_cpu_up("again"), -EEXIST);
	check_save_restore_nest();
	wl_cpu_down();
	cr_assert_eq(smp_processor_id(), -1);
}

/* ---------------------------------------------------------------------- */
/* (2)-(7): IPIs, in both deliveries                                       */

/* (2) a CPU with IRQs enabled takes the IPI and the waiter returns. */
static void body_ipi_prompt(bool sender_is_cpu)
{
	struct target t;
	struct sender s;
	int cpu;

	target_start(&t, T_SPIN);
	cpu = atomic_load(&t.cpu);
	if (sender_is_cpu) {
		sender_start(&s, cpu, true);
		pthread_join(s.thr, NULL);
		cr_assert(sender_done(&s));
		cr_assert_eq(atomic_load(&s.ret), 1);
	} else {
		struct wl_cpumask m = mask_of(cpu);

		cr_assert_eq(smp_call_function_many(&m, count_fn, NULL, true),
			     1);
	}
	cr_assert_eq(atomic_load(&fn_calls), 1);
	cr_assert_eq(calls_on(cpu), 1, "fn must run on the target CPU");
	cr_assert(atomic_load(&fn_irqs_disabled), "fn runs in IRQ context");
	target_join(&t);
	cr_assert_eq(wl_stall_count(), 0);
}

/*
 * (3) an IPI to a CPU with IRQs off is not acked while they stay off, and
 * is acked by the local_irq_restore() that turns them back on.
 */
static void body_irqs_off_holds_ack(void)
{
	struct wl_ipi_stats st;
	struct target t;
	struct sender s;
	int cpu;

	target_start(&t, T_IRQS_OFF);
	cpu = atomic_load(&t.cpu);
	sender_start(&s, cpu, false);
	/* The call is published; with signals, it has also been deferred. */
	WAIT_FOR((wl_ipi_stats(&st), st.sent == 1));
	if (!wl_ipi_poll_mode)
		WAIT_FOR((wl_ipi_stats(&st), st.deferred >= 1));
	sleep_ms(50);
	cr_assert(!sender_done(&s), "IPI acked while the target had IRQs off");
	cr_assert_eq(calls_on(cpu), 0);

	atomic_store_explicit(&t.release, true, memory_order_release);
	pthread_join(s.thr, NULL);
	cr_assert(sender_done(&s));
	cr_assert_eq(atomic_load(&s.ret), 1);
	WAIT_FOR(atomic_load(&t.phase) == 2);
	cr_assert_eq(atomic_load(&t.before_restore), 0);
	cr_assert_eq(atomic_load(&t.after_restore), 1,
		     "local_irq_restore() must run the pending IPI");
	target_join(&t);
	wl_ipi_stats(&st);
	cr_assert_eq(st.received, 1);
	if (!wl_ipi_poll_mode)
		cr_assert_geq(st.deferred, 1);
}

/*
 * TSan defers an asynchronous signal until the thread enters one of its
 * interceptors or a wait it knows to be interruptible (a condition
 * variable, nanosleep): a signal to a spinning thread, or to one blocked in
 * pthread_mutex_lock() or a rwlock, waits for ever.  That is why TSan
 * builds default to poll delivery; under TSan the signal suite runs only
 * the tests whose target waits where TSan delivers signals.
 */
#if WL_TSAN
#define SKIP_IF_TSAN_DEFERS_SIGNAL()                                           \
	do {                                                                   \
		if (!wl_ipi_poll_mode)                                         \
			cr_skip_test("TSan defers signals to this thread");    \
	} while (0)
#else
#define SKIP_IF_TSAN_DEFERS_SIGNAL()                                           \
	do {                                                                   \
	} while (0)
#endif

/* (4) a CPU blocked in a wait takes IPIs. */
static void body_blocked(enum tmode mode)
{
	struct wl_cpumask m;
	struct target t;
	bool hold_m = mode == T_MUTEX_RAW || mode == T_MUTEX_WL;
	bool hold_rw = mode == T_RWLOCK_WL;
	pthread_mutex_t *mp = NULL;
	pthread_rwlock_t *rwp = NULL;
	int cpu;

	if (hold_m || hold_rw)
		SKIP_IF_TSAN_DEFERS_SIGNAL();
	/* The test's thread (not a CPU) holds what the target blocks on. */
	memset(&t, 0, sizeof(t));
	if (hold_m || hold_rw) {
		/* target_start() initializes them: start it by hand. */
		t.mode = mode;
		atomic_init(&t.cpu, -1000);
		pthread_mutex_init(&t.m, NULL);
		pthread_cond_init(&t.cv, NULL);
		pthread_rwlock_init(&t.rw, NULL);
		mp = &t.m;
		rwp = &t.rw;
		if (hold_m)
			pthread_mutex_lock(mp);
		else
			pthread_rwlock_wrlock(rwp);
		cr_assert_eq(pthread_create(&t.thr, NULL, target_main, &t), 0);
		WAIT_FOR(atomic_load(&t.phase) == 1);
	} else {
		target_start(&t, mode);
	}
	cpu = atomic_load(&t.cpu);
	sleep_ms(20); /* most likely asleep by now; not relied upon */
	m = mask_of(cpu);
	cr_assert_eq(smp_call_function_many(&m, count_fn, NULL, true), 1);
	cr_assert_eq(calls_on(cpu), 1);

	atomic_store_explicit(&t.release, true, memory_order_release);
	if (hold_m)
		pthread_mutex_unlock(mp);
	if (hold_rw)
		pthread_rwlock_unlock(rwp);
	if (mode == T_COND_RAW || mode == T_COND_WL) {
		pthread_mutex_lock(&t.m);
		pthread_cond_signal(&t.cv);
		pthread_mutex_unlock(&t.m);
	}
	if (mode == T_SLEEP_RAW) /* wake it: any IPI ends the nanosleep */
		smp_call_function_many(&m, count_fn, NULL, true);
	target_join(&t);
}

/* (5) CPUs going down and up while others send: no call lost, no hang. */
struct churn {
	_Atomic bool stop;
	_Atomic unsigned long sent; /* calls made, per their return values */
	_Atomic unsigned long ups;
	unsigned int seed;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	unsigned int seed =
		__atomic_add_fetch(&c->seed, 7919, __ATOMIC_RELAXED);
	unsigned long flags;
	int i, n;

	while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
		if (wl_cpu_up("churn") < 0)
			break;
		atomic_fetch_add(&c->ups, 1);
		n = 1 + rand_r(&seed) % 200;
		for (i = 0; i < n; i++) {
			flags = local_irq_save();
			cpu_relax();
			local_irq_restore(flags);
			if (i % 16 == 0)
				atomic_fetch_add(&c->sent,
						 smp_call_function(count_fn,
								   NULL,
								   i % 32));
		}
		wl_cpu_down();
		if (rand_r(&seed) % 4 == 0)
			sched_yield();
	}
	return NULL;
}

static void *churn_sender_main(void *arg)
{
	struct churn *c = arg;
	unsigned long i = 0;

	if (wl_cpu_up("sender") < 0)
		return NULL;
	while (!atomic_load_explicit(&c->stop, memory_order_acquire))
		atomic_fetch_add(&c->sent,
				 smp_call_function(count_fn, NULL, i++ & 1));
	wl_cpu_down();
	return NULL;
}

static void body_hotplug_churn(void)
{
	pthread_t thr[4];
	struct wl_ipi_stats st;
	struct churn c;
	uint64_t end;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.seed = 1;
	for (i = 0; i < 3; i++)
		cr_assert_eq(pthread_create(&thr[i], NULL, churn_main, &c), 0);
	cr_assert_eq(pthread_create(&thr[3], NULL, churn_sender_main, &c), 0);
	/* The test's thread sends too, as a non-CPU. */
	end = wl_now_ns() + 600 * MS;
	while (wl_now_ns() < end) {
		atomic_fetch_add(&c.sent,
				 smp_call_function(count_fn, NULL, true));
		usleep(200);
	}
	atomic_store_explicit(&c.stop, true, memory_order_release);
	for (i = 0; i < 4; i++)
		pthread_join(thr[i], NULL);

	/* Every CPU is down, so every published call has run. */
	cr_assert_eq(wl_num_online_cpus(), 0);
	cr_assert_gt(atomic_load(&c.ups), 3, "no churn happened");
	cr_assert_gt(atomic_load(&c.sent), 0);
	cr_assert_eq(atomic_load(&fn_calls), atomic_load(&c.sent),
		     "calls run %lu != calls sent %lu", atomic_load(&fn_calls),
		     atomic_load(&c.sent));
	wl_ipi_stats(&st);
	cr_assert_eq(st.sent, atomic_load(&c.sent));
	cr_assert_eq(st.received, st.sent);
	cr_assert_eq(wl_stall_count(), 0);
}

/* (6) statistics: sent, received, waits, signals, the round-trip hist. */
static void body_stats(void)
{
	enum { N = 200 };
	struct wl_ipi_stats st;
	struct wl_hist h;
	struct target t;
	struct wl_cpumask m;
	int i;

	target_start(&t, T_SPIN);
	m = mask_of(atomic_load(&t.cpu));
	cr_assert_geq(wl_cpu_up("sender"), 0);
	for (i = 0; i < N; i++)
		cr_assert_eq(smp_call_function_many(&m, count_fn, NULL, true),
			     1);
	/* No target at all: nothing is sent or counted. */
	wl_cpumask_zero(&m);
	cr_assert_eq(smp_call_function_many(&m, count_fn, NULL, true), 0);
	wl_ipi_stats(&st);
	cr_assert_eq(st.sent, N);
	cr_assert_eq(st.received, N);
	cr_assert_eq(st.waits, N);
	cr_assert_gt(st.wait_ns, 0);
	cr_assert_gt(st.wait_max_ns, 0);
	cr_assert_leq(st.wait_max_ns, st.wait_ns);
	/* A signal may land inside the target's save/restore: deferred. */
	cr_assert_leq(st.deferred, N);
	if (wl_ipi_poll_mode)
		cr_assert_eq(st.signals, 0);
	else
		cr_assert(st.signals >= 1 && st.signals <= N);

	memset(&h, 0, sizeof(h));
	wl_ipi_wait_hist(&h);
	cr_assert_eq(wl_hist_count(&h), N);
	cr_assert_eq(wl_hist_max(&h), st.wait_max_ns);
	cr_assert_leq(wl_hist_percentile(&h, 50), wl_hist_max(&h));
	cr_assert_geq(wl_hist_percentile(&h, 50), wl_hist_min(&h));
	cr_log_info("%s: IPI round trip p50 %llu ns, max %llu ns",
		    wl_ipi_poll_mode ? "poll" : "signal",
		    (unsigned long long)wl_hist_percentile(&h, 50),
		    (unsigned long long)wl_hist_max(&h));

	wl_ipi_stats_reset();
	wl_ipi_stats(&st);
	cr_assert_eq(st.sent + st.received + st.waits + st.wait_ns, 0);
	wl_cpu_down();
	target_join(&t);
}

/*
 * An IPI that arrives while local_irq_restore() is running the queue is
 * not lost.  Deterministically: CPU S queues trigger_fn on T while T has
 * IRQs off; T's restore runs it, and trigger_fn (on T, masked) lets CPU H
 * send T a call and waits until T has seen it arrive (pending set by the
 * handler, or kick set for the poll).  H's slot is in a row the drain has
 * already passed (H's id is below S's), so only the replay loop's second
 * look can run it.  T then spins without polling: H's call must have run.
 */
static struct {
	_Atomic bool s_published, in_trigger, h_done, trigger_timeout;
	_Atomic int t_cpu;
} rp;

static void trigger_fn(void *info)
{
	uint64_t end = wl_now_ns() + 5000 * MS;

	(void)info;
	atomic_store(&rp.in_trigger, true);
	while (!wl_irq.pending && !wl_ipi_poll_pending()) {
		if (wl_now_ns() > end) {
			atomic_store(&rp.trigger_timeout, true);
			break;
		}
		cpu_relax();
	}
}

static void *rp_target_main(void *arg)
{
	_Atomic bool *saw_ack = arg;
	unsigned long flags;
	uint64_t end;

	atomic_store(&rp.t_cpu, wl_cpu_up("target"));
	flags = local_irq_save();
	while (!atomic_load(&rp.s_published))
		cpu_relax();
	local_irq_restore(flags); /* runs trigger_fn, then H's call */
	end = wl_now_ns() + 1000 * MS;
	while (!atomic_load(&rp.h_done) && wl_now_ns() < end)
		cpu_relax(); /* no poll, no restore */
	atomic_store(saw_ack, atomic_load(&rp.h_done));
	wl_cpu_down(); /* takes H's call in any case */
	return NULL;
}

static void *rp_helper_main(void *arg)
{
	struct wl_cpumask m;

	atomic_store((_Atomic int *)arg, wl_cpu_up("helper"));
	while (!atomic_load(&rp.in_trigger))
		cpu_relax();
	m = mask_of(atomic_load(&rp.t_cpu));
	smp_call_function_many(&m, count_fn, NULL, true);
	atomic_store(&rp.h_done, true);
	wl_cpu_down();
	return NULL;
}

static void body_ipi_during_replay(void)
{
	_Atomic bool saw_ack = false;
	_Atomic int h_cpu = -1000;
	struct wl_cpumask m;
	pthread_t t, h;

	memset(&rp, 0, sizeof(rp));
	atomic_store(&rp.t_cpu, -1000);
	cr_assert_eq(pthread_create(&t, NULL, rp_target_main, &saw_ack), 0);
	WAIT_FOR(atomic_load(&rp.t_cpu) != -1000);
	cr_assert_eq(pthread_create(&h, NULL, rp_helper_main, &h_cpu), 0);
	WAIT_FOR(atomic_load(&h_cpu) != -1000);
	/* The test's thread is S, with an id above H's. */
	cr_assert_gt(wl_cpu_up("trigger"), atomic_load(&h_cpu));
	m = mask_of(atomic_load(&rp.t_cpu));
	cr_assert_eq(smp_call_function_many(&m, trigger_fn, NULL, false), 1);
	atomic_store(&rp.s_published, true);
	pthread_join(t, NULL);
	pthread_join(h, NULL);
	wl_cpu_down();
	cr_assert(!atomic_load(&rp.trigger_timeout),
		  "H's IPI never reached T during the replay");
	cr_assert(atomic_load(&saw_ack),
		  "an IPI arriving during the replay was left behind");
	cr_assert_eq(atomic_load(&fn_calls), 1);
}

/* Two CPUs calling each other at once must not deadlock. */
struct cross {
	_Atomic int ready;
	_Atomic unsigned long done;
};

static void *cross_main(void *arg)
{
	struct cross *x = arg;
	int id = wl_cpu_up("cross"), other, i;
	struct wl_cpumask m;

	atomic_fetch_add(&x->ready, 1);
	while (atomic_load(&x->ready) < 2)
		cpu_relax();
	other = id == 0 ? 1 : 0;
	m = mask_of(other);
	for (i = 0; i < 500; i++)
		smp_call_function_many(&m, count_fn, NULL, true);
	atomic_fetch_add(&x->done, 1);
	/* Keep taking the other's calls until it is done too. */
	while (atomic_load(&x->done) < 2) {
		unsigned long flags = local_irq_save();

		local_irq_restore(flags);
	}
	wl_cpu_down();
	return NULL;
}

static void body_cross_calls(void)
{
	struct cross x;
	pthread_t a, b;

	memset(&x, 0, sizeof(x));
	cr_assert_eq(pthread_create(&a, NULL, cross_main, &x), 0);
	cr_assert_eq(pthread_create(&b, NULL, cross_main, &x), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	cr_assert_eq(atomic_load(&fn_calls), 1000);
}

/* At least min_ns, then until a stall is reported or max_ns. */
static void stall_wait_report(uint64_t min_ns, uint64_t max_ns)
{
	uint64_t t0 = wl_now_ns();

	while (wl_now_ns() - t0 < min_ns ||
	       (!wl_stall_count() && wl_now_ns() - t0 < max_ns))
		sleep_ms(5);
}

/* (8) the stall detector fires on an IRQ-off CPU (its negative control). */
static void body_stall_detected(void)
{
	struct target t;
	struct sender s;
	struct tu_capture cap;
	char buf[4096];

	tu_capture_stderr(&cap);
	target_start(&t, T_IRQS_OFF);
	sender_start(&s, atomic_load(&t.cpu), true);
	/*
	 * The target is judged by its own run time: on a loaded host it
	 * may get a few percent of a PU, so hold IRQs off until the report
	 * (or a bound), not for a fixed wall time.
	 */
	stall_wait_report(200 * MS, 15000 * MS);
	atomic_store_explicit(&t.release, true, memory_order_release);
	pthread_join(s.thr, NULL);
	target_join(&t);

	tu_capture_end(&cap, buf, sizeof(buf));

	cr_assert(sender_done(&s));
	cr_assert_eq(wl_stall_count(), 1, "one wait, one report");
	cr_assert(strstr(buf, "walklab: INFO: IPI ack stall: "), "%s", buf);
	cr_assert(strstr(buf, "waited on by CPU"), "%s", buf);
	if (wl_ipi_poll_mode)
		cr_assert(strstr(buf, "(target): IPI not taken for"), "%s",
			  buf);
	else
		cr_assert(strstr(buf, "(target): irqs disabled for"), "%s",
			  buf);
	cr_assert(strstr(buf, "pending IPIs 1"), "%s", buf);
	cr_assert(strstr(buf, "        host thread "), "%s", buf);
}

/* ...and stays quiet on prompt IPIs. */
static void body_stall_quiet(void)
{
	struct target t;
	struct wl_cpumask m;
	int i;

	target_start(&t, T_SPIN);
	m = mask_of(atomic_load(&t.cpu));
	for (i = 0; i < 20; i++)
		smp_call_function_many(&m, count_fn, NULL, true);
	target_join(&t);
	cr_assert_eq(wl_stall_count(), 0);
}

/*
 * Past stall_panic_ns the waiter aborts rather than hang the run.  In a
 * child of the test, which must die of SIGABRT (no assertions there).
 */
static void stall_panic_child(enum wl_ipi_delivery delivery)
{
	struct wl_smp_config cfg;
	struct wl_cpumask m;
	struct target t;
	uint64_t end = wl_now_ns() + 5000 * MS;

	wl_smp_config_default(&cfg);
	cfg.delivery = delivery;
	cfg.stall_ns = 20 * MS;
	cfg.stall_panic_ns = 150 * MS;
	if (wl_smp_init(&cfg))
		_exit(3);
	memset(&t, 0, sizeof(t));
	t.mode = T_IRQS_OFF; /* never released */
	atomic_init(&t.cpu, -1000);
	if (pthread_create(&t.thr, NULL, target_main, &t))
		_exit(3);
	while (atomic_load(&t.phase) != 1)
		if (wl_now_ns() > end)
			_exit(3);
	m = mask_of(atomic_load(&t.cpu));
	smp_call_function_many(&m, count_fn, NULL, true);
	_exit(2); /* should have aborted */
}

static void check_stall_panic(enum wl_ipi_delivery delivery)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid)
		stall_panic_child(delivery);
	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		  "waiter status 0x%x, want SIGABRT", status);
}

/* ---------------------------------------------------------------------- */
/* RCU-sched: IRQ-off sections hold grace periods off                     */

/* A thread (not a CPU) running one synchronize_rcu_sched(). */
struct gp_caller {
	pthread_t thr;
	_Atomic bool done;
};

static void *gp_caller_main(void *arg)
{
	struct gp_caller *g = arg;

	synchronize_rcu_sched();
	/* release: the test reads what happened before the return */
	atomic_store_explicit(&g->done, true, memory_order_release);
	return NULL;
}

static void gp_caller_start(struct gp_caller *g)
{
	atomic_init(&g->done, false);
	cr_assert_eq(pthread_create(&g->thr, NULL, gp_caller_main, g), 0);
}

static bool gp_caller_done(struct gp_caller *g)
{
	/* acquire: pairs with the release in gp_caller_main() */
	return atomic_load_explicit(&g->done, memory_order_acquire);
}

/*
 * (1) A grace period waits for a CPU inside an IRQ-off section, even past
 * the FQS IPIs (deferred), and ends once it enables IRQs.  With
 * gp_blind (the rcu-sched-ignores-irqoff bug, the negative control) it
 * ends with the section still open: the same observation catches it.
 */
static void body_gp_vs_irqs_off(bool gp_blind)
{
	struct target t;
	struct gp_caller g;

	wl_bugs.rcu_sched_ignores_irqoff = gp_blind;
	target_start(&t, T_IRQS_OFF);
	gp_caller_start(&g);
	if (gp_blind) {
		WAIT_FOR(gp_caller_done(&g));
		cr_assert_eq(atomic_load(&t.phase), 1,
			     "the section was still open");
	} else {
		sleep_ms(50); /* many FQS periods */
		cr_assert(!gp_caller_done(&g),
			  "grace period ended inside an IRQ-off section");
	}
	target_release(&t);
	WAIT_FOR(gp_caller_done(&g));
	pthread_join(g.thr, NULL);
	target_join(&t);
	wl_bugs.rcu_sched_ignores_irqoff = false;
}

/*
 * (2) CPUs with IRQs enabled are quiescent wherever they are: passing
 * through save/restore, or blocked in a lock or a sleep (they take the
 * FQS IPI), so a grace period ends while they stay there.
 */
static void body_gp_quiescent_cpus(void)
{
	static const enum tmode modes[] = {T_SPIN, T_SLEEP_WL, T_COND_WL};
	struct target t[WL_ARRAY_SIZE(modes)];
	struct gp_caller g;

	for (unsigned int i = 0; i < WL_ARRAY_SIZE(modes); i++)
		target_start(&t[i], modes[i]);
	gp_caller_start(&g);
	WAIT_FOR(gp_caller_done(&g));
	pthread_join(g.thr, NULL);
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(modes); i++) {
		cr_assert_eq(atomic_load(&t[i].phase), 1, "still in place");
		target_release(&t[i]);
		pthread_mutex_lock(&t[i].m);
		pthread_cond_broadcast(&t[i].cv);
		pthread_mutex_unlock(&t[i].m);
		target_join(&t[i]);
	}
}

/* (3) call_rcu_sched(): the callback waits for the IRQ-off section. */
static _Atomic int cb_runs;

static void count_cb(struct wl_rcu_head *head)
{
	(void)head;
	atomic_fetch_add(&cb_runs, 1);
}

static void body_call_rcu_sched(void)
{
	struct wl_rcu_head head;
	struct target t;

	atomic_store(&cb_runs, 0);
	cr_assert_eq(wl_rcu_sched_start(), 0);
	target_start(&t, T_IRQS_OFF);
	call_rcu_sched(&head, count_cb);
	sleep_ms(50);
	cr_assert_eq(atomic_load(&cb_runs), 0, "callback inside a section");
	target_release(&t);
	rcu_sched_barrier();
	cr_assert_eq(atomic_load(&cb_runs), 1);
	target_join(&t);
	wl_rcu_sched_stop();
}

/* ---------------------------------------------------------------------- */
/* Instantiation: each body in the signal and the poll suite              */

/* BOTH(name, statements...): the test in both suites. */
#define BOTH(name, ...)                                                        \
	Test(signal, name)                                                     \
	{                                                                      \
		__VA_ARGS__;                                                   \
	}                                                                      \
	Test(poll, name)                                                       \
	{                                                                      \
		__VA_ARGS__;                                                   \
	}

BOTH(ipi_prompt_from_non_cpu, SKIP_IF_TSAN_DEFERS_SIGNAL();
     body_ipi_prompt(false))
BOTH(ipi_prompt_from_cpu, SKIP_IF_TSAN_DEFERS_SIGNAL(); body_ipi_prompt(true))
BOTH(irqs_off_holds_ack, SKIP_IF_TSAN_DEFERS_SIGNAL();
     body_irqs_off_holds_ack())
BOTH(blocked_in_wl_cond_wait, body_blocked(T_COND_WL))
BOTH(blocked_in_wl_mutex_lock, body_blocked(T_MUTEX_WL))
BOTH(blocked_in_wl_rwlock_rdlock, body_blocked(T_RWLOCK_WL))
BOTH(blocked_in_wl_sleep_ns, body_blocked(T_SLEEP_WL))
BOTH(hotplug_churn, SKIP_IF_TSAN_DEFERS_SIGNAL(); body_hotplug_churn())
BOTH(stats, SKIP_IF_TSAN_DEFERS_SIGNAL(); body_stats())
BOTH(cross_calls, SKIP_IF_TSAN_DEFERS_SIGNAL(); body_cross_calls())
BOTH(ipi_during_replay, SKIP_IF_TSAN_DEFERS_SIGNAL(); body_ipi_during_replay())
BOTH(rcu_sched_gp_waits_for_irqs_off, body_gp_vs_irqs_off(false))
BOTH(rcu_sched_gp_blind_ends_inside, body_gp_vs_irqs_off(true))
BOTH(rcu_sched_irqs_on_cpus_quiescent, body_gp_quiescent_cpus())
BOTH(rcu_sched_callback_after_section, body_call_rcu_sched())

/* Signal delivery only: a pure spin, or a raw blocking call. */
Test(signal, ipi_to_pure_spin)
{
	struct target t;
	struct wl_cpumask m;

	SKIP_IF_TSAN_DEFERS_SIGNAL();
	target_start(&t, T_SPIN_RAW);
	m = mask_of(atomic_load(&t.cpu));
	cr_assert_eq(smp_call_function_many(&m, count_fn, NULL, true), 1);
	cr_assert_eq(atomic_load(&fn_calls), 1);
	target_join(&t);
}

Test(signal, blocked_in_pthread_cond_wait)
{
	body_blocked(T_COND_RAW);
}

Test(signal, blocked_in_pthread_mutex_lock)
{
	body_blocked(T_MUTEX_RAW);
}

Test(signal, blocked_in_nanosleep)
{
	body_blocked(T_SLEEP_RAW);
}

Test(signal_stall, detected)
{
	SKIP_IF_TSAN_DEFERS_SIGNAL();
	body_stall_detected();
}

Test(poll_stall, detected)
{
	body_stall_detected();
}

Test(signal_quiet, no_report)
{
	SKIP_IF_TSAN_DEFERS_SIGNAL();
	body_stall_quiet();
}

Test(poll_quiet, no_report)
{
	body_stall_quiet();
}

Test(stall_panic, signal)
{
	check_stall_panic(WL_IPI_SIGNAL);
}

Test(stall_panic, poll)
{
	check_stall_panic(WL_IPI_POLL);
}

/* ---------------------------------------------------------------------- */
/* Without wl_smp_init(), and the lifecycle                               */

Test(nosmp, call_without_cpus)
{
	struct wl_ipi_stats st;

	cr_assert_eq(wl_num_online_cpus(), 0);
	cr_assert_eq(smp_call_function(count_fn, NULL, true), 0);
	cr_assert_eq(smp_call_function(count_fn, NULL, false), 0);
	cr_assert_eq(atomic_load(&fn_calls), 0);
	wl_ipi_stats(&st);
	cr_assert_eq(st.sent, 0);
	cr_assert(flush_tlb_mm_range(NULL, 0, 4096, true));
}

Test(nosmp, cpu_up_initializes_and_alone_calls_nobody)
{
	cr_assert_eq(wl_cpu_up("solo"), 0);
	cr_assert_eq(wl_num_online_cpus(), 1);
	cr_assert_eq(smp_call_function(count_fn, NULL, true), 0);
	wl_cpu_down();
	cr_assert_eq(wl_num_online_cpus(), 0);
}

static void *up_down_main(void *arg)
{
	_Atomic int *id = arg;

	atomic_store(id, wl_cpu_up("t"));
	while (atomic_load(id) != -2)
		usleep(100);
	wl_cpu_down();
	return NULL;
}

Test(lifecycle, lowest_free_id_and_online_mask)
{
	_Atomic int ids[3];
	pthread_t thr[3];
	struct wl_cpumask m;
	int i;

	for (i = 0; i < 3; i++) {
		atomic_init(&ids[i], -1000);
		pthread_create(&thr[i], NULL, up_down_main, &ids[i]);
		WAIT_FOR(atomic_load(&ids[i]) != -1000);
		cr_assert_eq(atomic_load(&ids[i]), i);
	}
	wl_cpu_online_mask(&m);
	cr_assert_eq(m.bits[0], 0x7);
	cr_assert_eq(wl_num_online_cpus(), 3);
	atomic_store(&ids[1], -2);
	pthread_join(thr[1], NULL);
	wl_cpu_online_mask(&m);
	cr_assert_eq(m.bits[0], 0x5);
	/* The freed id is the lowest free one again. */
	cr_assert_eq(wl_cpu_up("main"), 1);
	wl_cpu_down();
	for (i = 0; i < 3; i += 2) {
		atomic_store(&ids[i], -2);
		pthread_join(thr[i], NULL);
	}
	cr_assert_eq(wl_num_online_cpus(), 0);
}

Test(lifecycle, pinning_when_forced)
{
	struct wl_smp_config cfg;
	bool pinned, placed;

	wl_smp_config_default(&cfg);
	cfg.pin = WL_PIN_FORCE;
	cr_assert_eq(wl_smp_init(&cfg), 0);
	cr_assert_geq(wl_host_nr_pus(), 1);
	cr_assert_eq(wl_cpu_up("pinned"), 0);
	pinned = wl_smp_pinned();
	placed = wl_cpu_check_placement();
	wl_cpu_down();
	wl_smp_fini();
	/* A restricted container may refuse the binding: not an error. */
	if (!pinned)
		cr_skip_test("binding refused by the host");
	cr_assert(placed, "pinned, but hwloc sees the thread elsewhere");
}

Test(lifecycle, no_pinning_by_default_hint)
{
	struct wl_smp_config cfg;

	wl_smp_config_default(&cfg);
	cr_assert_eq(cfg.pin, WL_PIN_AUTO);
	cr_assert_eq(wl_smp_init(&cfg), 0);
	cr_assert_eq(wl_cpu_up("unpinned"), 0);
	cr_assert(!wl_smp_pinned());
	cr_assert(!wl_cpu_check_placement());
	wl_cpu_down();
	wl_smp_fini();
}

Test(lifecycle, init_rejects_bad_config_and_busy)
{
	struct wl_smp_config cfg;

	wl_smp_config_default(&cfg);
	cfg.delivery = (enum wl_ipi_delivery)7;
	cr_assert_eq(wl_smp_init(&cfg), -EINVAL);
	wl_smp_config_default(&cfg);
	cr_assert_eq(wl_smp_init(&cfg), 0);
	cr_assert_eq(wl_cpu_up("busy"), 0);
	cr_assert_eq(wl_smp_init(&cfg), -EBUSY);
	wl_cpu_down();
	wl_smp_fini();
}

Test(lifecycle, stall_ms_from_environment)
{
	struct wl_smp_config cfg;

	setenv("WALKLAB_STALL_MS", "123", 1);
	setenv("WALKLAB_IPI", "poll", 1);
	wl_smp_config_default(&cfg);
	cr_assert_eq(cfg.stall_ns, 123 * MS);
	cr_assert_eq(cfg.delivery, WL_IPI_POLL);
	setenv("WALKLAB_STALL_MS", "bogus", 1);
	wl_smp_config_default(&cfg);
	cr_assert_eq(cfg.stall_ns, 2000 * MS);
	unsetenv("WALKLAB_STALL_MS");
	unsetenv("WALKLAB_IPI");
}

/* ---------------------------------------------------------------------- */
/* The architecture model                                                  */

Test(arch, names_parse_and_defaults)
{
	struct wl_arch_config cfg;
	enum wl_arch a;
	int i;

	for (i = 0; i < WL_NR_ARCH; i++) {
		cr_assert_eq(wl_arch_parse(wl_arch_name((enum wl_arch)i), &a),
			     0);
		cr_assert_eq((int)a, i);
		cr_assert(strstr(wl_arch_choices(), wl_arch_name(a)));
	}
	cr_assert_eq(wl_arch_parse("x86", &a), -EINVAL);
	cr_assert_eq(wl_arch_parse(NULL, &a), -EINVAL);
	wl_arch_config_default(&cfg, WL_ARCH_BROADCAST);
	cr_assert_eq(cfg.arch, WL_ARCH_BROADCAST);
	cr_assert_eq(cfg.ipi_flush_ns, 0);
	cr_assert_gt(cfg.broadcast_flush_ns, 0);
	cr_assert_gt(cfg.paravirt_flush_ns, cfg.broadcast_flush_ns);
	cfg.arch = WL_NR_ARCH;
	cr_assert_eq(wl_arch_init(&cfg), -EINVAL);
}

struct flusher {
	pthread_t thr;
	_Atomic bool done;
	_Atomic bool ret;
};

static void *flusher_main(void *arg)
{
	struct flusher *f = arg;

	wl_cpu_up("writer");
	atomic_store(&f->ret, flush_tlb_mm_range(NULL, 0, 1 << 21, true));
	atomic_store_explicit(&f->done, true, memory_order_release);
	wl_cpu_down();
	return NULL;
}

static void arch_setup(enum wl_arch arch)
{
	struct wl_arch_config cfg;

	wl_arch_config_default(&cfg, arch);
	cr_assert_eq(wl_arch_init(&cfg), 0);
	cr_assert_eq(wl_arch_current()->arch, arch);
	wl_arch_stats_reset();
}

/*
 * On arch, a flush from another CPU while t (started here) is IRQ-off
 * must wait for t's section; t is then joined, *st read.  Returns what
 * the flush returned.
 */
static bool flush_waits_for_irqs_off(enum wl_arch arch, struct target *t,
				     struct wl_arch_stats *st)
{
	struct flusher f;

	arch_setup(arch);
	target_start(t, T_IRQS_OFF);
	memset(&f, 0, sizeof(f));
	pthread_create(&f.thr, NULL, flusher_main, &f);
	sleep_ms(50);
	cr_assert(!atomic_load_explicit(&f.done, memory_order_acquire),
		  "%s flush returned while a CPU had IRQs off",
		  wl_arch_name(arch));
	atomic_store_explicit(&t->release, true, memory_order_release);
	pthread_join(f.thr, NULL);
	target_join(t);
	/* One flush, one IPI, run by t: counted where each happened. */
	wl_arch_stats(st);
	cr_assert_eq(st->flushes, 1);
	cr_assert_eq(st->flush_ipis, 1);
	cr_assert_eq(st->remote_flushes, 1);
	return atomic_load(&f.ret);
}

/* An IPI flush waits for an IRQ-off walker: the "free" protection. */
static void body_arch_ipi_waits(void)
{
	struct wl_arch_stats st;
	struct target t;

	cr_assert(flush_waits_for_irqs_off(WL_ARCH_IPI, &t, &st));
	cr_assert_gt(st.flush_ns, 0);
}

/* A broadcast flush does not wait: IRQ-off protects nothing. */
static void body_arch_no_ipi(enum wl_arch arch)
{
	struct wl_arch_stats st;
	struct target t;

	arch_setup(arch);
	target_start(&t, T_IRQS_OFF);
	cr_assert(!flush_tlb_mm_range(NULL, 0, 1 << 21, true));
	cr_assert_eq(atomic_load(&t.phase), 1, "target still IRQ-off");
	target_join(&t);
	wl_arch_stats(&st);
	cr_assert_eq(st.flushes, 1);
	cr_assert_eq(st.flush_ipis, 0);
	cr_assert_eq(st.remote_flushes, 0);
	cr_assert_geq(st.flush_ns, wl_arch_current()->broadcast_flush_ns);
}

/*
 * KVM's PV flush: a running vCPU is IPI'd and waited for, IRQ-off
 * section included; the flush still does not claim every walker.
 */
static void body_arch_paravirt_running(void)
{
	struct wl_cpu_counts n;
	struct wl_arch_stats st;
	struct target t;

	cr_assert(!flush_waits_for_irqs_off(WL_ARCH_PARAVIRT, &t, &st),
		  "a PV flush never claims all");
	cr_assert_eq(wl_cpu_counts(atomic_load(&t.cpu), &n), 0);
	cr_assert_eq(st.pv_deferred, 0);
	cr_assert_eq(n.received_kind[WL_IPI_FLUSH], 1);
	cr_assert_eq(n.events[WL_EV_PV_DEFERRED], 0);
	cr_assert_eq(n.events[WL_EV_PV_ENTRY], 0);
}

/*
 * A preempted vCPU is not interrupted: its flush is pending until it
 * resumes, IRQ-off section or not; a running one beside it is IPI'd.
 * Every count is exact given who is preempted.
 */
static void body_arch_paravirt_preempted(void)
{
	struct wl_cpu_counts np, nr;
	struct wl_arch_stats st;
	struct target p, r;
	int pc, rc;

	arch_setup(WL_ARCH_PARAVIRT);
	target_start(&p, T_IRQS_OFF);
	target_start(&r, T_SPIN);
	pc = atomic_load(&p.cpu);
	rc = atomic_load(&r.cpu);
	wl_arch_vcpu_preempt(pc);
	cr_assert(wl_arch_vcpu_preempted(pc));
	cr_assert(!wl_arch_vcpu_preempted(rc));
	cr_assert(!flush_tlb_mm_range(NULL, 0, 1 << 21, true));
	cr_assert(!flush_tlb_mm_range(NULL, 0, 1 << 21, false));
	cr_assert_eq(atomic_load(&p.phase), 1, "preempted one still IRQ-off");
	cr_assert_eq(wl_cpu_counts(pc, &np), 0);
	cr_assert_eq(np.events[WL_EV_PV_DEFERRED], 2,
		     "both flushes deferred to the preempted vCPU");
	cr_assert_eq(np.events[WL_EV_PV_ENTRY], 0,
		     "nothing flushed before its entry");
	cr_assert(wl_arch_vcpu_resume(pc), "the entry flushes");
	cr_assert(!wl_arch_vcpu_resume(pc), "once");
	cr_assert_eq(wl_cpu_counts(pc, &np), 0);
	cr_assert_eq(wl_cpu_counts(rc, &nr), 0);
	target_join(&p);
	target_join(&r);
	wl_arch_stats(&st);
	cr_assert_eq(st.flushes, 2);
	cr_assert_eq(st.flush_ipis, 2, "the running vCPU, twice");
	cr_assert_eq(st.pv_deferred, 2);
	cr_assert_eq(st.pv_entry_flushes, 1, "coalesced at the entry");
	cr_assert_eq(np.received_kind[WL_IPI_FLUSH], 0);
	cr_assert_eq(nr.received_kind[WL_IPI_FLUSH], 2);
	cr_assert_eq(np.events[WL_EV_PV_ENTRY], 1);
	cr_assert_eq(nr.events[WL_EV_PV_DEFERRED], 0);
	cr_assert_eq(nr.events[WL_EV_PV_ENTRY], 0);
}

BOTH(arch_ipi_waits_for_irqs_off, SKIP_IF_TSAN_DEFERS_SIGNAL();
     body_arch_ipi_waits())
BOTH(arch_broadcast_does_not_wait, body_arch_no_ipi(WL_ARCH_BROADCAST))
BOTH(arch_paravirt_waits_for_running, SKIP_IF_TSAN_DEFERS_SIGNAL();
     body_arch_paravirt_running())
BOTH(arch_paravirt_defers_preempted, body_arch_paravirt_preempted())

/* ---------------------------------------------------------------------- */
/* The histogram                                                           */

Test(hist, empty_and_percentiles)
{
	struct wl_hist h, m;
	uint64_t p50, p99;
	int i;

	memset(&h, 0, sizeof(h));
	cr_assert_eq(wl_hist_count(&h), 0);
	cr_assert_eq(wl_hist_percentile(&h, 50), 0);
	cr_assert_eq(wl_hist_min(&h), 0);
	for (i = 1; i <= 1000; i++)
		wl_hist_add(&h, (uint64_t)i * 1000);
	cr_assert_eq(wl_hist_count(&h), 1000);
	cr_assert_eq(wl_hist_min(&h), 1000);
	cr_assert_eq(wl_hist_max(&h), 1000000);
	cr_assert_eq(wl_hist_mean(&h), 500500);
	cr_assert_eq(wl_hist_percentile(&h, 0), 1000);
	cr_assert_eq(wl_hist_percentile(&h, 100), 1000000);
	p50 = wl_hist_percentile(&h, 50);
	p99 = wl_hist_percentile(&h, 99);
	/* Within the factor of two of a log2 bucket. */
	cr_assert(p50 >= 250000 && p50 <= 1000000, "p50 %llu",
		  (unsigned long long)p50);
	cr_assert(p99 >= 495000 && p99 <= 1000000, "p99 %llu",
		  (unsigned long long)p99);
	cr_assert_leq(p50, p99);

	memset(&m, 0, sizeof(m));
	wl_hist_add(&m, 0);
	wl_hist_merge(&m, &h);
	cr_assert_eq(wl_hist_count(&m), 1001);
	cr_assert_eq(wl_hist_min(&m), 0);
	cr_assert_eq(wl_hist_max(&m), 1000000);
	wl_hist_reset(&m);
	cr_assert_eq(wl_hist_count(&m), 0);
	cr_assert_eq(wl_hist_max(&m), 0);
}
