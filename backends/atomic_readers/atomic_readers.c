// SPDX-License-Identifier: MIT
/*
 * atomic_readers: writers poll reader counts to zero (see walk_backend.h).
 */
#include "backend.h"
#include "smp.h"
#include "walk_backend.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Spins between sched_yield() calls: the host may have fewer PUs than
 * simulated CPUs (two, here), and the walker we wait for may need our PU
 * to finish; a yield is a system call, so not on every turn.
 */
#define SPINS_PER_YIELD 64

#if defined(WALKLAB_ATOMIC_GLOBAL)
struct wl_ar_counter wl_ar_global;
#elif defined(WALKLAB_ATOMIC_PERCPU)
struct wl_ar_counter wl_ar_percpu[WL_NR_CPUS];

void wl_ar_not_a_cpu(void)
{
	fprintf(stderr, "walklab: atomic_readers-percpu: a walk on a thread "
			"that is not a simulated CPU (call wl_cpu_start())\n");
	abort();
}
#endif

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

struct ar_waiter {
	struct wl_stall_wait stall;
	unsigned int spins;
	uint64_t polls;
};

/* One turn of the wait: take our IPIs, relax, yield now and then. */
static void ar_relax(struct ar_waiter *w, const struct wl_cpumask *holders)
{
	/*
	 * A waiting CPU must still take IPIs (poll delivery needs us to
	 * look): another writer's flush may be waiting for our ack.
	 */
	if (!irqs_disabled())
		local_irq_enable();
	cpu_relax();
	if (++w->spins % SPINS_PER_YIELD == 0) {
		sched_yield();
		wl_stall_check(&w->stall, holders);
	}
}

/* Poll one counter until it reads zero. */
static void ar_wait_zero(struct ar_waiter *w, _Atomic long *c,
			 const struct wl_cpumask *holders)
{
	for (;;) {
		w->polls++;
		if (!atomic_load_explicit(c, memory_order_relaxed))
			break;
		ar_relax(w, holders);
	}
#if WL_TSAN
	__tsan_acquire((void *)c); /* the fence below, for TSan */
#endif
}

/*
 * ar_wait_readers() - return when every walk that could still see a table
 * unlinked before the call has ended.  The caller has unlinked (a seq_cst
 * exchange in the core) and flushed; called with IRQs enabled, outside any
 * walk section.
 */
static void ar_wait_readers(struct wl_mm *mm)
{
	struct ar_waiter w = {.spins = 0, .polls = 0};
	struct wl_cpumask holders;

	wl_stall_wait_init(&w.stall, "reader drain");
	smp_mb(); /* unlink before reading the count(s); pairs with the
		   * smp_mb() after the increment in lockless_page_walk_begin()
		   * (store buffering: we see the count or it sees the unlink) */
#if defined(WALKLAB_ATOMIC_PERCPU)
	/*
	 * Every possible CPU, not a snapshot of the online ones: a CPU that
	 * comes up now has a zero count or a walk we must wait for.
	 */
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		wl_cpumask_zero(&holders);
		wl_cpumask_set(&holders, cpu);
		ar_wait_zero(&w, &wl_ar_percpu[cpu].count, &holders);
	}
#else
	/* Who holds a shared count is unknown: report every other CPU. */
	wl_cpu_online_mask(&holders);
	if (smp_processor_id() >= 0)
		wl_cpumask_clear(&holders, smp_processor_id());
	ar_wait_zero(&w, wl_ar_counter(mm), &holders);
#endif
	/* the walks' reads before our free; pairs with the smp_mb() before
	 * the decrement in lockless_page_walk_end() */
	atomic_thread_fence(memory_order_acquire);
	wl_stall_wait_done(&w.stall);
	wl_cpu_count(WL_EV_POLLS, w.polls); /* on the polling CPU */
}

static void ar_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
}

static int ar_init(void)
{
	ar_stats_reset();
	return 0;
}

static void ar_fini(void)
{
	/* Nothing is ever deferred past a free_tables() call. */
}

static void ar_mm_init(struct wl_mm *mm)
{
	/* Unused but by permm; zero anyway (wl_mm_init() zeroed it too). */
	atomic_store_explicit(&mm->backend_scratch[0], 0, memory_order_relaxed);
}

/* flush_ipi_all is ignored: walkers do not mask IRQs. */
static void ar_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
			   bool flush_ipi_all)
{
	ar_wait_readers(mm);
	wl_table_batch_release(batch);
}

static void ar_free_table_one(struct wl_mm *mm, uint32_t table,
			      bool flush_ipi_all)
{
	ar_wait_readers(mm);
	wl_table_release_one(table);
}

static void ar_sync(struct wl_mm *mm)
{
	ar_wait_readers(mm);
}

static void ar_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
	.summary = "reader count (" WL_AR_LAYOUT
		   ") with full barriers; writers poll it to zero",
	.build_options = WALKLAB_BUILD_OPTIONS,
	.requires = WL_REQ_NONE,
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_POLLS,
	.init = ar_init,
	.fini = ar_fini,
	.mm_init = ar_mm_init,
	.free_tables = ar_free_tables,
	.free_table_one = ar_free_table_one,
	.sync = ar_sync,
	.stats = ar_stats,
	.stats_reset = ar_stats_reset,
};
