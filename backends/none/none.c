// SPDX-License-Identifier: MIT
/*
 * none: writers free at once (see walk_backend.h).
 */
#include "backend.h"
#include "smp.h"

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

static int none_init(void)
{
	return 0;
}

static void none_fini(void)
{
}

static void none_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
			     bool flush_ipi_all)
{
	wl_table_batch_release(batch);
}

static void none_free_table_one(struct wl_mm *mm, uint32_t table,
				bool flush_ipi_all)
{
	wl_table_release_one(table);
}

static void none_sync(struct wl_mm *mm)
{
}

static void none_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
}

static void none_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
	.summary = "no synchronization: free at once (negative control)",
	.build_options = WALKLAB_BUILD_OPTIONS,
	.requires = WL_REQ_NONE,
	.caps = WL_CAP_NESTING,
	.init = none_init,
	.fini = none_fini,
	.free_tables = none_free_tables,
	.free_table_one = none_free_table_one,
	.sync = none_sync,
	.stats = none_stats,
	.stats_reset = none_stats_reset,
};
