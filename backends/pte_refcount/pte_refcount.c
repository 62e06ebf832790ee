// SPDX-License-Identifier: MIT
/*
 * pte_refcount: the writer side (see walk_backend.h).  A PTE table handed
 * over by the core has been unlinked and flushed: drop its own reference,
 * and free it if that was the last (else the last walker's put frees it).
 * Upper-level tables are not counted and go the way they went before the
 * series (norcu) or after its patch 8 (rcu).
 */
#include "backend.h"
#include "ipi_sync.h"
#include "smp.h"
#include "walk_backend.h"

#if defined(WALKLAB_PTE_REFCOUNT_RCU)
#include "sched_free.h"
#endif

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

void wl_prc_table_free(uint32_t table)
{
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	sched_tables_free_one(table); /* patch 8: call_rcu() */
#else
	wl_table_release_one(table); /* patch 6: pte_free(), at once */
#endif
}

/*
 * The writer's drop of the table's own reference, after the unlink: true
 * if it was the last (ordered as a walker's put, walk_backend.h).
 */
static bool prc_drop_own(uint32_t table)
{
	return wl_pt_ref_put(table);
}

static bool is_pte_table(uint32_t table)
{
	return wl_ptdesc(table)->level == WL_PTE;
}

static void prc_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	sched_tables_stats_reset();
#endif
}

static int prc_init(void)
{
	prc_stats_reset();
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	return sched_tables_init();
#else
	return 0;
#endif
}

static void prc_fini(void)
{
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	sched_tables_drain();
#endif
}

/*
 * tlb_remove_table_free(): PTE tables leave the batch (their own reference
 * dropped; rcu keeps those that reached zero, for the grace period), the
 * rest is freed as the stage did.
 */
static void prc_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
			    bool flush_ipi_all)
{
	unsigned int keep = 0;

	for (unsigned int i = 0; i < batch->nr; i++) {
		uint32_t t = batch->tables[i];

		if (is_pte_table(t) && !prc_drop_own(t))
			continue; /* the last walker's put frees it */
#if !defined(WALKLAB_PTE_REFCOUNT_RCU)
		if (is_pte_table(t)) {
			wl_prc_table_free(t);
			continue;
		}
#endif
		batch->tables[keep++] = t;
	}
	batch->nr = keep;
	if (!keep) {
		wl_table_batch_release(batch); /* the empty batch itself */
		return;
	}
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	sched_tables_free_batch(batch);
#else
	wl_stat_add(&ctr.ipis, ipi_free_batch(batch, flush_ipi_all));
#endif
}

/* tlb_remove_table_one(): no batch page could be allocated. */
static void prc_free_table_one(struct wl_mm *mm, uint32_t table,
			       bool flush_ipi_all)
{
	if (is_pte_table(table)) {
		if (prc_drop_own(table))
			wl_prc_table_free(table);
		return;
	}
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	sched_tables_free_one(table);
#else
	wl_stat_add(&ctr.ipis, ipi_free_one(table, flush_ipi_all));
#endif
}

/* tlb_remove_table_sync_one() */
static void prc_sync(struct wl_mm *mm)
{
	wl_stat_add(&ctr.ipis, ipi_sync_all());
}

static void prc_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	st->ipis += sched_tables_fqs_ipis(); /* the grace periods' FQS */
#endif
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
#if defined(WALKLAB_PTE_REFCOUNT_RCU)
	.summary = "2021 series, patch 8: per-PTE-table refcount, IRQ-off "
		   "walkers; tables freed by call_rcu; IPI sync",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE,
	.requires = WL_REQ_NONE,
#else
	.summary = "2021 series, patch 6: per-PTE-table refcount, last put "
		   "frees at once; safe only where the flush IPIs",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF,
	.requires = WL_REQ_FLUSH_IPI,
#endif
	.build_options = WALKLAB_BUILD_OPTIONS,
	.init = prc_init,
	.fini = prc_fini,
	.free_tables = prc_free_tables,
	.free_table_one = prc_free_table_one,
	.sync = prc_sync,
	.stats = prc_stats,
	.stats_reset = prc_stats_reset,
};
