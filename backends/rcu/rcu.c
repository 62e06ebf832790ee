// SPDX-License-Identifier: MIT
/*
 * rcu: RCU readers, tables freed after a grace period (see walk_backend.h).
 */
#include "backend.h"
#include "rcu_flavor.h"
#include "rcu_free.h"
#include "smp.h"

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

static void rcu_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
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
	rcu_tables_free_batch(batch);
}

static void rcu_free_table_one(struct wl_mm *mm, uint32_t table,
			       bool flush_ipi_all)
{
	rcu_tables_free_one(table);
}

static void rcu_sync(struct wl_mm *mm)
{
	rcu_tables_sync();
}

static void rcu_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
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
