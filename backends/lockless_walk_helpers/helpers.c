// SPDX-License-Identifier: MIT
/*
 * lockless_walk_helpers: the writer side matching each mode of
 * lockless_page_walk_begin()/end() (see walk_backend.h).  The mechanisms
 * are the rcu and ipi backends' (rcu_free.c, ipi_sync.c) and the
 * machine's RCU-sched (sched_free.c), compiled into this backend's
 * objects; only their composition is here.
 */
#include "backend.h"
#include "smp.h"
#include "walk_backend.h"

#include <errno.h>
#include <string.h>

#if defined(WL_HELPERS_URCU)
#include "rcu_free.h"
#elif defined(WL_HELPERS_TODAY)
#include "ipi_sync.h"
#include "sched_free.h"
#else
#include "ipi_sync.h"
#endif

/* Statistics (backend.h). */
static struct wl_backend_counters ctr;

#ifdef WL_HELPERS_TODAY
/*
 * tlb_remove_table_one()'s variants (walk_backend.h).  Set before the
 * run (set_option), read by writers: relaxed, the run's start orders it.
 */
enum fallback { FALLBACK_IPI, FALLBACK_SYNC_RCU, FALLBACK_CALL_RCU };
static const char *const fallback_names[] = {"ipi", "sync_rcu", "call_rcu",
					     NULL};
static _Atomic int fallback;
/*
 * tlb_remove_table_sync_one() itself: the IPI broadcast, or (sync=rcu)
 * synchronize_rcu(), the "RCU-sync" strategy of the 2026 review: IRQ-off
 * walkers are RCU-sched readers, so a grace period waits for them as the
 * IPI does, and disturbs no CPU.  Set and read as fallback is.
 */
enum sync_mode { SYNC_IPI, SYNC_RCU };
static const char *const sync_names[] = {"ipi", "rcu", NULL};
static _Atomic int sync_mode;

static int set_choice(_Atomic int *v, const char *const *names,
		      const char *value)
{
	for (int i = 0; names[i]; i++) {
		if (!strcmp(value, names[i])) {
			atomic_store_explicit(v, i, memory_order_relaxed);
			return 0;
		}
	}
	return -EINVAL;
}

static int helpers_set_option(const char *key, const char *value)
{
	if (!strcmp(key, "fallback"))
		return set_choice(&fallback, fallback_names, value);
	if (!strcmp(key, "sync"))
		return set_choice(&sync_mode, sync_names, value);
	return -EINVAL;
}
#endif

static void helpers_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
#if defined(WL_HELPERS_URCU)
	rcu_tables_stats_reset();
#elif defined(WL_HELPERS_TODAY)
	sched_tables_stats_reset();
#endif
}

static int helpers_init(void)
{
	helpers_stats_reset();
#if defined(WL_HELPERS_URCU)
	return rcu_tables_init();
#elif defined(WL_HELPERS_TODAY)
	return sched_tables_init();
#else
	return 0;
#endif
}

static void helpers_fini(void)
{
#if defined(WL_HELPERS_URCU)
	rcu_tables_drain();
#elif defined(WL_HELPERS_TODAY)
	sched_tables_drain();
#endif
}

/* tlb_table_flush() -> tlb_remove_table_free() */
static void helpers_free_tables(struct wl_mm *mm, struct wl_table_batch *batch,
				bool flush_ipi_all)
{
#if defined(WL_HELPERS_URCU)
	/* Whatever the flush did: RCU table free defers every batch. */
	rcu_tables_free_batch(batch);
#elif defined(WL_HELPERS_TODAY)
	sched_tables_free_batch(batch); /* the same, RCU-sched */
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
	switch (atomic_load_explicit(&fallback, memory_order_relaxed)) {
	case FALLBACK_SYNC_RCU:
		sched_tables_sync_free_one(table);
		break;
	case FALLBACK_CALL_RCU:
		sched_tables_free_one(table);
		break;
	default:
		/* tlb_remove_table_sync_one(), then free. */
		wl_stat_add(&ctr.ipis, ipi_free_one(table, false));
	}
#elif defined(WL_HELPERS_URCU)
	rcu_tables_free_one(table); /* PT_RECLAIM's call_rcu on the ptdesc */
#else
	wl_stat_add(&ctr.ipis, ipi_free_one(table, flush_ipi_all));
#endif
}

/* tlb_remove_table_sync_one() */
static void helpers_sync(struct wl_mm *mm)
{
#if defined(WL_HELPERS_URCU)
	rcu_tables_sync();
#else
#if defined(WL_HELPERS_TODAY)
	if (atomic_load_explicit(&sync_mode, memory_order_relaxed) ==
	    SYNC_RCU) {
		sched_tables_sync();
		return;
	}
#endif
	wl_stat_add(&ctr.ipis, ipi_sync_all());
#endif
}

static void helpers_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
#if defined(WL_HELPERS_URCU)
	st->grace_periods = rcu_tables_grace_periods();
#elif defined(WL_HELPERS_TODAY)
	st->grace_periods = sched_tables_grace_periods();
	st->ipis += sched_tables_fqs_ipis(); /* the grace periods' FQS */
#endif
}

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
#if defined(WL_HELPERS_TODAY)
	.summary = "v6.15 x86/arm64: IRQ-off walkers (RCU-sched readers); "
		   "call_rcu batches; IPI sync; fallback per option",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE | WL_CAP_FREE_ONE_WAITS,
	.set_option = helpers_set_option,
	.opts_help = "fallback=ipi|sync_rcu|call_rcu (tlb_remove_table_one(): "
		     "sync IPI then free, the default, !PT_RECLAIM before "
		     "2026; synchronize_rcu() then free, since 2026; "
		     "call_rcu(), PT_RECLAIM); sync=ipi|rcu "
		     "(tlb_remove_table_sync_one(): the IPI broadcast, the "
		     "default; synchronize_rcu(), the RCU-sync proposal)",
#elif defined(WL_HELPERS_URCU)
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
#ifdef WL_HELPERS_URCU
	.cpu_online = rcu_tables_cpu_online,
	.cpu_offline = rcu_tables_cpu_offline,
#endif
	.free_tables = helpers_free_tables,
	.free_table_one = helpers_free_table_one,
	.sync = helpers_sync,
	.stats = helpers_stats,
	.stats_reset = helpers_stats_reset,
};
