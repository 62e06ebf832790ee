// SPDX-License-Identifier: MIT
/*
 * rcu: RCU readers, tables freed after a grace period (see walk_backend.h).
 */
#include "backend.h"
#include "rcu_flavor.h"
#include "rcu_free.h"
#include "smp.h"

/* Statistics: relaxed, nothing is ordered by them. */
enum {
	C_SYNC_CALLS,
	C_SYNC_NS,
	C_SYNC_MAX_NS,
	C_FREE_CALLS,
	C_FREE_NS,
	C_FREE_MAX_NS,
	NR_C,
};
static _Atomic uint64_t ctr[NR_C];

static void rcu_stats_reset(void)
{
	for (int i = 0; i < NR_C; i++)
		atomic_store_explicit(&ctr[i], 0, memory_order_relaxed);
	rcu_tables_stats_reset();
	/* The core's peak restarts from what is held now. */
	atomic_store_explicit(
		&wl_tables.deferred_peak,
		atomic_load_explicit(&wl_tables.deferred, memory_order_relaxed),
		memory_order_relaxed);
}

static int rcu_init(void)
{
	rcu_stats_reset();
	return rcu_tables_init();
}

/* Drain: every callback queued so far has run (rcu_barrier()). */
static void rcu_fini(void)
{
	rcu_tables_drain();
}

/* flush_ipi_all is ignored: RCU walkers do not mask IRQs. */
static void rcu_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
			    bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

	rcu_tables_free_batch(batch);
	atomic_fetch_add_explicit(&ctr[C_FREE_CALLS], 1, memory_order_relaxed);
	wl_stat_time(&ctr[C_FREE_NS], &ctr[C_FREE_MAX_NS], wl_now_ns() - t0);
}

static void rcu_free_table_one(struct wl_mm *mm, uint32_t table,
			       bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

	rcu_tables_free_one(table);
	atomic_fetch_add_explicit(&ctr[C_FREE_CALLS], 1, memory_order_relaxed);
	wl_stat_time(&ctr[C_FREE_NS], &ctr[C_FREE_MAX_NS], wl_now_ns() - t0);
}

static void rcu_sync(struct wl_mm *mm)
{
	uint64_t t0 = wl_now_ns();

	rcu_tables_sync();
	atomic_fetch_add_explicit(&ctr[C_SYNC_CALLS], 1, memory_order_relaxed);
	wl_stat_time(&ctr[C_SYNC_NS], &ctr[C_SYNC_MAX_NS], wl_now_ns() - t0);
}

static void rcu_stats(struct wl_backend_stats *st)
{
	*st = (struct wl_backend_stats){
		.sync_calls = READ_ONCE(ctr[C_SYNC_CALLS]),
		.sync_ns = READ_ONCE(ctr[C_SYNC_NS]),
		.sync_max_ns = READ_ONCE(ctr[C_SYNC_MAX_NS]),
		.free_calls = READ_ONCE(ctr[C_FREE_CALLS]),
		.free_ns = READ_ONCE(ctr[C_FREE_NS]),
		.free_max_ns = READ_ONCE(ctr[C_FREE_MAX_NS]),
		.grace_periods = rcu_tables_grace_periods(),
		.tables_deferred_now =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred), 0),
		.tables_deferred_peak =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred_peak), 0),
	};
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
	.summary = "RCU read lock (liburcu " WL_RCU_FLAVOR
		   "); tables freed by call_rcu, sync is synchronize_rcu",
	.build_options = WALKLAB_BUILD_OPTIONS,
	.requires = WL_REQ_NONE,
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_DEFERS_FREE |
		(WL_RCU_QSBR ? WL_CAP_QSBR : 0),
	.init = rcu_init,
	.fini = rcu_fini,
	.cpu_online = rcu_tables_cpu_online,
	.cpu_offline = rcu_tables_cpu_offline,
	.quiescent = WL_RCU_QSBR ? rcu_tables_quiescent : NULL,
	/* Other flavors' readers may block outside a section. */
	.blocking_begin = WL_RCU_QSBR ? rcu_tables_blocking_begin : NULL,
	.blocking_end = WL_RCU_QSBR ? rcu_tables_blocking_end : NULL,
	.free_tables = rcu_free_tables,
	.free_table_one = rcu_free_table_one,
	.sync = rcu_sync,
	.stats = rcu_stats,
	.stats_reset = rcu_stats_reset,
};
