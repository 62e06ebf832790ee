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
#include "rcu_free.h"
#endif
#if !defined(WL_MMU_GATHER_RCU_TABLE_FREE) || defined(WL_HELPERS_TODAY)
#include "ipi_sync.h"
#define WL_HELPERS_IPI 1
#endif

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

static void helpers_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	rcu_tables_stats_reset();
#endif
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
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	/* Whatever the flush did: RCU table free defers every batch. */
	rcu_tables_free_batch(batch);
#else
	/* No RCU table free: only the flush's (or our) IPI protects. */
	wl_stat_add(&ctr.ipis, ipi_free_batch(batch, flush_ipi_all));
#endif
}

/* tlb_remove_table_one(): no batch page could be allocated. */
static void helpers_free_table_one(struct wl_mm *mm, uint32_t table,
				   bool flush_ipi_all)
{
#if defined(WL_HELPERS_TODAY)
	/* Without PT_RECLAIM: tlb_remove_table_sync_one(), then free. */
	wl_stat_add(&ctr.ipis, ipi_free_one(table, false));
#elif defined(WL_MMU_GATHER_RCU_TABLE_FREE)
	rcu_tables_free_one(table); /* PT_RECLAIM's call_rcu on the ptdesc */
#else
	wl_stat_add(&ctr.ipis, ipi_free_one(table, flush_ipi_all));
#endif
}

/* tlb_remove_table_sync_one() */
static void helpers_sync(struct wl_mm *mm)
{
#ifdef WL_HELPERS_IPI
	wl_stat_add(&ctr.ipis, ipi_sync_all());
#else
	rcu_tables_sync();
#endif
}

static void helpers_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
	st->grace_periods = rcu_tables_grace_periods();
#endif
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
#if defined(WL_HELPERS_TODAY)
	.summary = "v6.15 x86/arm64: IRQ-off (+RCU) walkers; call_rcu "
		   "batches; IPI for sync and the no-batch fallback",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE | WL_CAP_FREE_ONE_WAITS,
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
