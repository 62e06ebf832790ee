// SPDX-License-Identifier: MIT
/*
 * test_bystander.c - bystander CPUs (core/bystander.h): what reaches a CPU
 * that runs another mm, counted exactly by kind.
 *
 * CPU 0 (the test) runs K TLB flushes of the run's mm on the ipi arch, K
 * sync broadcasts (tlb_remove_table_sync_one()'s smp_call_function(),
 * labelled sync) and K RCU-sched grace periods, while two bystanders and
 * one plain CPU of the run's mm spin with IRQs enabled.  The bystanders
 * take exactly K sync IPIs and nothing else; the plain CPU, the control
 * that shows each counter can count, takes exactly K flush IPIs, K sync
 * IPIs and at least one FQS IPI (kind backend) per grace period, since it
 * never enables IRQs on its own.  Backend-independent: built for one
 * configuration.
 */
#include "bystander.h"
#include "rcu_sched.h"
#include "test_util.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <string.h>

#define K 20

static struct wl_mm mm;

static void setup(void)
{
	tu_machine_up(WL_ARCH_IPI);
	cr_assert_eq(wl_mm_init(&mm), 0);
	wl_ipi_stats_reset();
}

static void teardown(void)
{
	tu_mm_down(&mm);
}

TestSuite(bystander, .init = setup, .fini = teardown, .timeout = 60);

/* A CPU of the run's mm that spins with IRQs enabled, never restoring. */
struct plain {
	pthread_t thr;
	_Atomic int cpu;
	_Atomic bool up, stop;
	uint64_t taken[WL_NR_IPI_KINDS];
};

static void *plain_main(void *arg)
{
	struct plain *p = arg;
	struct wl_cpu_counts n;
	int cpu = wl_cpu_up("plain");

	atomic_store(&p->cpu, cpu);
	atomic_store(&p->up, true);
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		wl_ipi_poll();
		cpu_relax();
	}
	wl_cpu_down();
	wl_cpu_counts(cpu, &n);
	memcpy(p->taken, n.received_kind, sizeof(p->taken));
	return NULL;
}

static void empty_fn(void *info)
{
	(void)info;
}

/* What a bystander set and the plain CPU take of K of each. */
static void run_all(struct wl_bystander_result *res, struct plain *p)
{
	struct wl_bystanders *bs;
	enum wl_ipi_kind kind;

	pthread_create(&p->thr, NULL, plain_main, p);
	while (!atomic_load(&p->up))
		wl_sleep_ns(100000);
	cr_assert_geq(atomic_load(&p->cpu), 0);
	cr_assert_eq(wl_bystanders_start(&bs, 2), 0);
	for (int i = 0; i < K; i++)
		flush_tlb_mm_range(&mm, 0, PMD_SIZE, true);
	kind = wl_ipi_kind_set(WL_IPI_SYNC);
	for (int i = 0; i < K; i++)
		cr_assert_eq(smp_call_function(empty_fn, NULL, true), 3);
	wl_ipi_kind_set(kind);
	for (int i = 0; i < K; i++)
		synchronize_rcu_sched();
	wl_bystanders_stop(bs, res);
	atomic_store(&p->stop, true);
	pthread_join(p->thr, NULL);
}

Test(bystander, broadcast_sync_reaches_them_flush_and_rcu_do_not)
{
	struct wl_bystander_result res[2];
	struct plain p = {.cpu = -1};

	run_all(res, &p);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(res[i].irqs[WL_IPI_FLUSH], 0,
			     "bystander %d took %llu flush IPIs of another mm",
			     i, (unsigned long long)res[i].irqs[WL_IPI_FLUSH]);
		cr_expect_eq(res[i].irqs[WL_IPI_SYNC], K);
		cr_expect_eq(res[i].irqs[WL_IPI_BACKEND], 0,
			     "bystander %d took %llu FQS IPIs in an EQS", i,
			     (unsigned long long)res[i].irqs[WL_IPI_BACKEND]);
		/* The probe ran and saw its interrupts. */
		cr_expect_geq(res[i].loops, 1);
		cr_expect_geq(res[i].irq_loops, 1);
		cr_expect_leq(res[i].irq_loops, K);
		cr_expect_geq(res[i].gap_max_ns, res[i].irq_gap_max_ns);
		cr_expect_geq(res[i].gap_max_ns, res[i].gap_p99_ns);
	}
	/* The control: a CPU in the mm, not in an EQS, takes all three. */
	cr_expect_eq(p.taken[WL_IPI_FLUSH], K);
	cr_expect_eq(p.taken[WL_IPI_SYNC], K);
	cr_expect_geq(p.taken[WL_IPI_BACKEND], K, "%llu FQS IPIs for %d GPs",
		      (unsigned long long)p.taken[WL_IPI_BACKEND], K);
}

Test(bystander, range)
{
	struct wl_bystanders *bs;

	cr_expect_eq(wl_bystanders_start(&bs, 0), -EINVAL);
	cr_expect_eq(wl_bystanders_start(&bs, WL_MAX_BYSTANDERS + 1), -EINVAL);
	cr_expect(!bs);
}
