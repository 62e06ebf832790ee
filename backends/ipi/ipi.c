// SPDX-License-Identifier: MIT
/*
 * ipi: IRQ-off walkers, IPI-and-wait writers (see walk_backend.h).
 */
#include "backend.h"
#include "ipi_sync.h"
#include "smp.h"

#include <errno.h>
#include <string.h>

/*
 * The 2013 ARM port's mistake (walk_backend.h): trust every flush to have
 * IPI'd.  Off unless --backend-opt assume_flush_ipi=1.  Set before the run
 * (set_option), read by writers: relaxed, the run's start orders it.
 */
static _Atomic bool assume_flush_ipi;

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

static bool flush_counts(bool flush_ipi_all)
{
	return flush_ipi_all ||
	       atomic_load_explicit(&assume_flush_ipi, memory_order_relaxed);
}

static int ipi_set_option(const char *key, const char *value)
{
	if (strcmp(key, "assume_flush_ipi"))
		return -EINVAL;
	if (strcmp(value, "0") && strcmp(value, "1"))
		return -EINVAL;
	atomic_store_explicit(&assume_flush_ipi, value[0] == '1',
			      memory_order_relaxed);
	return 0;
}

static void ipi_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
}

static int ipi_init(void)
{
	ipi_stats_reset();
	return 0;
}

static void ipi_fini(void)
{
	/* Nothing is ever deferred past a free_tables() call. */
}

static void ipi_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
			    bool flush_ipi_all)
{
	wl_stat_add(&ctr.ipis,
		    ipi_free_batch(batch, flush_counts(flush_ipi_all)));
}

static void ipi_free_table_one(struct wl_mm *mm, uint32_t table,
			       bool flush_ipi_all)
{
	wl_stat_add(&ctr.ipis,
		    ipi_free_one(table, flush_counts(flush_ipi_all)));
}

/* Correct even with assume_flush_ipi: no flush precedes a sync. */
static void ipi_sync(struct wl_mm *mm)
{
	wl_stat_add(&ctr.ipis, ipi_sync_all());
}

static void ipi_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
	.summary = "IRQ-off walkers; writers IPI every CPU and wait before "
		   "freeing, unless the TLB flush already did",
	.build_options = WALKLAB_BUILD_OPTIONS,
	/* As built; assume_flush_ipi=1 needs the IPI arch (opts_help). */
	.requires = WL_REQ_NONE,
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF,
	.set_option = ipi_set_option,
	.opts_help =
		"assume_flush_ipi=0|1 (1: free right after any TLB "
		"flush as if it had IPI'd; the 2013 ARM port's bug, unsafe "
		"unless --arch ipi)",
	.init = ipi_init,
	.fini = ipi_fini,
	.free_tables = ipi_free_tables,
	.free_table_one = ipi_free_table_one,
	.sync = ipi_sync,
	.stats = ipi_stats,
	.stats_reset = ipi_stats_reset,
};
