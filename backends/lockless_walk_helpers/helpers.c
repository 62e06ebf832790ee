// SPDX-License-Identifier: MIT
/*
 * lockless_walk_helpers: the writer side matching each mode of
 * lockless_page_walk_begin()/end() (see walk_backend.h).  The mechanisms
 * are the rcu and ipi backends' (rcu_free.c, ipi_sync.c), compiled into
 * this backend's objects; only their composition is here.
 */
#include "backend.h"
#include "smp.h"
#include "walk_backend.h"

#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
#include "../rcu/rcu_free.h"
#endif
#if !defined(WL_MMU_GATHER_RCU_TABLE_FREE) || defined(WL_HELPERS_TODAY)
#include "../ipi/ipi_sync.h"
#define WL_HELPERS_IPI 1
#endif

/* Statistics: relaxed, nothing is ordered by them. */
enum {
	C_SYNC_CALLS,
	C_SYNC_NS,
	C_SYNC_MAX_NS,
	C_FREE_CALLS,
	C_FREE_NS,
	C_FREE_MAX_NS,
	C_IPIS,
	NR_C,
};
static _Atomic uint64_t ctr[NR_C];

static void count(int c, uint64_t n)
{
	atomic_fetch_add_explicit(&ctr[c], n, memory_order_relaxed);
}

static void helpers_stats_reset(void)
{
	for (int i = 0; i < NR_C; i++)
		atomic_store_explicit(&ctr[i], 0, memory_order_relaxed);
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	rcu_tables_stats_reset();
#endif
	/* The core's peak restarts from what is held now. */
	atomic_store_explicit(
		&wl_tables.deferred_peak,
		atomic_load_explicit(&wl_tables.deferred, memory_order_relaxed),
		memory_order_relaxed);
}

static int helpers_init(void)
{
	helpers_stats_reset();
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	return rcu_tables_init();
#else
	return 0;
#endif
}

static void helpers_fini(void)
{
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	rcu_tables_drain();
#endif
}

/* tlb_table_flush() -> tlb_remove_table_free() */
static void helpers_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
				bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	/* Whatever the flush did: RCU table free defers every batch. */
	rcu_tables_free_batch(batch);
#else
	/* No RCU table free: only the flush's (or our) IPI protects. */
	count(C_IPIS, ipi_free_batch(batch, flush_ipi_all));
#endif
	count(C_FREE_CALLS, 1);
	wl_stat_time(&ctr[C_FREE_NS], &ctr[C_FREE_MAX_NS], wl_now_ns() - t0);
}

/* tlb_remove_table_one(): no batch page could be allocated. */
static void helpers_free_table_one(struct wl_mm *mm, uint32_t table,
				   bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

#if defined(WL_HELPERS_TODAY)
	/* Without PT_RECLAIM: tlb_remove_table_sync_one(), then free. */
	count(C_IPIS, ipi_free_one(table, false));
#elif defined(WL_MMU_GATHER_RCU_TABLE_FREE)
	rcu_tables_free_one(table); /* PT_RECLAIM's call_rcu on the ptdesc */
#else
	count(C_IPIS, ipi_free_one(table, flush_ipi_all));
#endif
	count(C_FREE_CALLS, 1);
	wl_stat_time(&ctr[C_FREE_NS], &ctr[C_FREE_MAX_NS], wl_now_ns() - t0);
}

/* tlb_remove_table_sync_one() */
static void helpers_sync(struct wl_mm *mm)
{
	uint64_t t0 = wl_now_ns();

#ifdef WL_HELPERS_IPI
	count(C_IPIS, ipi_sync_all());
#else
	rcu_tables_sync();
#endif
	count(C_SYNC_CALLS, 1);
	wl_stat_time(&ctr[C_SYNC_NS], &ctr[C_SYNC_MAX_NS], wl_now_ns() - t0);
}

static void helpers_stats(struct wl_backend_stats *st)
{
	*st = (struct wl_backend_stats){
		.sync_calls = READ_ONCE(ctr[C_SYNC_CALLS]),
		.sync_ns = READ_ONCE(ctr[C_SYNC_NS]),
		.sync_max_ns = READ_ONCE(ctr[C_SYNC_MAX_NS]),
		.free_calls = READ_ONCE(ctr[C_FREE_CALLS]),
		.free_ns = READ_ONCE(ctr[C_FREE_NS]),
		.free_max_ns = READ_ONCE(ctr[C_FREE_MAX_NS]),
		.ipis = READ_ONCE(ctr[C_IPIS]),
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
		.grace_periods = rcu_tables_grace_periods(),
#endif
		.tables_deferred_now =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred), 0),
		.tables_deferred_peak =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred_peak), 0),
	};
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
#if defined(WL_HELPERS_TODAY)
	.summary = "v6.15 x86/arm64: IRQ-off (+RCU) walkers; call_rcu "
		   "batches; IPI for sync and the no-batch fallback",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE,
#elif defined(WL_MMU_GATHER_RCU_TABLE_FREE)
	.summary = "lockless_page_walk_begin/end with RCU table free: RCU "
		   "read lock; call_rcu frees, synchronize_rcu syncs",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_DEFERS_FREE,
#else
	.summary = "lockless_page_walk_begin/end without RCU table free: "
		   "irqsave; free after the flush's or our own IPI",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF,
#endif
	.build_options = WALKLAB_BUILD_OPTIONS,
	.requires = WL_REQ_NONE,
	.init = helpers_init,
	.fini = helpers_fini,
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	.cpu_online = rcu_tables_cpu_online,
	.cpu_offline = rcu_tables_cpu_offline,
#endif
	.free_tables = helpers_free_tables,
	.free_table_one = helpers_free_table_one,
	.sync = helpers_sync,
	.stats = helpers_stats,
	.stats_reset = helpers_stats_reset,
};
