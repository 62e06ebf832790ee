// SPDX-License-Identifier: MIT
/*
 * test_sb.c - the simulated store buffer (core/sb.h): the store-buffering
 * litmus test SB, and each drain point.
 *
 * SB: CPU 0 stores x, barrier, loads y; CPU 1 stores y, barrier, loads x.
 * "Both loads read 0" is forbidden with smp_mb() on both sides and allowed
 * by the LKMM with smp_rmb().  With the store buffer on, the rmb rounds
 * must show it (a mechanism that cannot show it tests nothing), the mb
 * rounds never.  Worker threads never assert: they record, the test
 * checks.
 */
#ifdef WALKLAB_NO_CRITERION /* TSan builds: see tu_nocriterion.h */
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif

#include "arch.h"
#include "mm.h" /* wl_bugs */
#include "sb.h"
#include "smp.h"

#include <pthread.h>
#include <string.h>

#define ROUNDS 200

TestSuite(sb);

static _Atomic uint64_t x, y;

enum litmus_barrier { LB_RMB, LB_WMB, LB_MB };

struct litmus {
	enum litmus_barrier barrier;
	pthread_barrier_t start, done;
	unsigned int both_zero; /* rounds where r0 == r1 == 0 */
	uint64_t r[2];
};

static void litmus_barrier(enum litmus_barrier b)
{
	if (b == LB_MB)
		smp_mb(); /* orders the store before the load; pairs with
			   * the other CPU's (the test's point) */
	else if (b == LB_WMB)
		smp_wmb(); /* orders stores only: the SB negative control */
	else
		smp_rmb(); /* orders loads only: the SB negative control */
}

struct litmus_cpu {
	struct litmus *l;
	int me;
};

static void *litmus_main(void *arg)
{
	struct litmus_cpu *lc = arg;
	struct litmus *l = lc->l;
	_Atomic uint64_t *mine = lc->me ? &y : &x;
	_Atomic uint64_t *theirs = lc->me ? &x : &y;

	if (wl_cpu_up("litmus") < 0)
		return NULL;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&l->start);
		wl_sb_store_u64(mine, 1, false, 0);
		litmus_barrier(l->barrier);
		l->r[lc->me] =
			atomic_load_explicit(theirs, memory_order_relaxed);
		pthread_barrier_wait(&l->done);
		/* Both loaded: the round's stores may go out now. */
		wl_sb_barrier(WL_SB_DRAIN_MB);
		pthread_barrier_wait(&l->done);
		if (lc->me == 0) {
			if (!l->r[0] && !l->r[1])
				l->both_zero++;
			atomic_store_explicit(&x, 0, memory_order_relaxed);
			atomic_store_explicit(&y, 0, memory_order_relaxed);
		}
	}
	wl_cpu_down();
	return NULL;
}

static unsigned int run_litmus(enum litmus_barrier b, bool sb)
{
	struct litmus l = {.barrier = b};
	struct litmus_cpu lc[2] = {{&l, 0}, {&l, 1}};
	pthread_t t[2];

	wl_sb_on = sb;
	pthread_barrier_init(&l.start, NULL, 2);
	pthread_barrier_init(&l.done, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, litmus_main, &lc[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&l.start);
	pthread_barrier_destroy(&l.done);
	wl_sb_on = false;
	return l.both_zero;
}

Test(sb, litmus_rmb_shows_store_buffering)
{
	unsigned int n = run_litmus(LB_RMB, true);

	cr_log_info("SB with smp_rmb(), store buffer on: r0=r1=0 in %u/%d", n,
		    ROUNDS);
	cr_assert_gt(n, 0, "the forbidden-under-SC outcome must show");
}

Test(sb, litmus_wmb_shows_store_buffering)
{
	cr_assert_gt(run_litmus(LB_WMB, true), 0, "smp_wmb() must not drain");
}

Test(sb, litmus_mb_forbids_it)
{
	unsigned int n = run_litmus(LB_MB, true);

	cr_log_info("SB with smp_mb(), store buffer on: r0=r1=0 in %u/%d", n,
		    ROUNDS);
	cr_assert_eq(n, 0, "smp_mb() must drain the store buffer");
}

/* Off: the store is in memory at once, and nothing is ever pending. */
Test(sb, off_stores_through)
{
	cr_assert_geq(wl_cpu_up("main"), 0);
	wl_sb_on = false;
	wl_sb_store_u64(&x, 5, false, 0);
	cr_assert_eq(atomic_load(&x), 5);
	cr_assert_eq(wl_sb_pending, 0);
	wl_cpu_down();
}

/* A second CPU's view of x, from its own thread. */
static void *peek_main(void *arg)
{
	*(uint64_t *)arg = atomic_load_explicit(&x, memory_order_relaxed);
	return NULL;
}

static uint64_t other_sees_x(void)
{
	pthread_t t;
	uint64_t v = 0;

	pthread_create(&t, NULL, peek_main, &v);
	pthread_join(t, NULL);
	return v;
}

Test(sb, forwarding_and_drain_points)
{
	struct wl_sb_stats st;

	cr_assert_geq(wl_cpu_up("main"), 0);
	wl_sb_on = true;
	wl_sb_stats_reset();
	atomic_store(&x, 0);
	wl_sb_store_u64(&x, 7, false, 3);
	cr_assert_eq(wl_sb_load_u64(&x), 7, "the owner sees its store");
	cr_assert_eq(other_sees_x(), 0, "the others do not, yet");
	smp_rmb(); /* orders nothing here: must not drain */
	cr_assert_eq(other_sees_x(), 0);
	wl_sb_lock_acquired(4); /* another table's lock */
	cr_assert_eq(other_sees_x(), 0);
	wl_sb_lock_acquired(3); /* this table's lock: the release's */
	cr_assert_eq(other_sees_x(), 7);

	wl_sb_store_u64(&x, 8, false, 3);
	wl_sb_barrier(WL_SB_DRAIN_RMW); /* an xchg */
	cr_assert_eq(other_sees_x(), 8);

	wl_sb_store_u64(&x, 9, false, 3);
	wl_sb_irq_entry(); /* an interrupt */
	cr_assert_eq(other_sees_x(), 9);

	for (int i = 0; i <= WL_SB_ENTRIES; i++)
		wl_sb_store_u64(&x, 10 + i, false, 3);
	cr_assert_eq(other_sees_x(), 10 + WL_SB_ENTRIES - 1,
		     "a full buffer drains, oldest first");
	smp_mb();
	cr_assert_eq(other_sees_x(), 10 + WL_SB_ENTRIES);
	wl_sb_stats(&st);
	cr_assert_eq(st.buffered, 4 + WL_SB_ENTRIES);
	cr_assert_eq(st.drained[WL_SB_DRAIN_LOCK], 1);
	cr_assert_eq(st.drained[WL_SB_DRAIN_FULL], WL_SB_ENTRIES);
	wl_sb_on = false;
	wl_cpu_down();
}

/* Each arch model's flush drains (its first step is a full barrier). */
Test(sb, flush_drains_unless_counterfactual)
{
	struct wl_arch_config cfg;

	cr_assert_geq(wl_cpu_up("main"), 0);
	wl_sb_on = true;
	for (int a = 0; a < WL_NR_ARCH; a++) {
		unsigned int nr;
		const struct wl_flush_step *st =
			wl_arch_flush_steps((enum wl_arch)a, &nr);

		cr_assert(nr > 0 && st[0].full_barrier, "%s",
			  wl_arch_name((enum wl_arch)a));
		wl_arch_config_default(&cfg, (enum wl_arch)a);
		wl_arch_init(&cfg);
		wl_sb_store_u64(&x, 20 + a, false, 1);
		flush_tlb_mm_range(NULL, 0, 4096, false);
		cr_assert_eq(other_sees_x(), (uint64_t)(20 + a));

		wl_bugs.flush_no_barrier = true;
		wl_sb_store_u64(&x, 30 + a, false, 1);
		flush_tlb_mm_range(NULL, 0, 4096, false);
		cr_assert_eq(other_sees_x(), (uint64_t)(20 + a),
			     "counterfactual");
		wl_bugs.flush_no_barrier = false;
		smp_mb();
		cr_assert_eq(other_sees_x(), (uint64_t)(30 + a));
	}
	wl_arch_config_default(&cfg, WL_ARCH_IPI);
	wl_arch_init(&cfg);
	cr_assert(wl_arch_clear_is_full_barrier(), "x86's xchg");
	wl_sb_on = false;
	wl_cpu_down();
}
