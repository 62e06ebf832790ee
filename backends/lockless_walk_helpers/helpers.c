// SPDX-License-Identifier: MIT
/*
 * lockless_walk_helpers: the writer side matching each mode of
 * lockless_page_walk_begin()/end() (see walk_backend.h).  The mechanisms
 * are the rcu and ipi backends' (rcu_free.c, ipi_sync.c) and the
 * machine's RCU-sched (sched_free.c), compiled into this backend's
 * objects; only their composition is here.
 */
#include "arch.h"
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
 * Run-time options (walk_backend.h).  Set before the run (set_option),
 * read by writers and walkers: relaxed, the run's start orders them.
 *
 * tlb_remove_table_one()'s variants (fallback=).
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

/* tlb_table_flush_implies_ipi_broadcast() (skip_sync=). */
enum skip_sync { SKIP_OFF, SKIP_ARCH, SKIP_FORCE };
static const char *const skip_sync_names[] = {"off", "arch", "force", NULL};
static _Atomic int skip_sync;

#ifdef WL_HELPERS_TARGETED
struct wl_active_walk wl_active_walk_mm[WL_NR_CPUS];
/* Indexed by enum wl_targeted_publish. */
static const char *const publish_names[] = {"store_mb", "xchg", "none", NULL};
_Atomic int wl_targeted_publish_how;

/* The sync's barrier between the unlink and the tracker reads. */
enum sync_barrier { SYNC_MB, SYNC_RMB };
static const char *const sync_barrier_names[] = {"mb", "rmb", NULL};
static _Atomic int sync_barrier;
#endif

static const struct helpers_option {
	const char *key;
	const char *const *names;
	_Atomic int *value;
} helpers_options[] = {
	{"fallback", fallback_names, &fallback},
	{"skip_sync", skip_sync_names, &skip_sync},
	{"sync", sync_names, &sync_mode},
#ifdef WL_HELPERS_TARGETED
	{"publish", publish_names, &wl_targeted_publish_how},
	{"sync_barrier", sync_barrier_names, &sync_barrier},
#endif
};

static int helpers_set_option(const char *key, const char *value)
{
	for (size_t o = 0; o < WL_ARRAY_SIZE(helpers_options); o++) {
		const struct helpers_option *opt = &helpers_options[o];

		if (strcmp(key, opt->key))
			continue;
		for (int i = 0; opt->names[i]; i++) {
			if (!strcmp(value, opt->names[i])) {
				atomic_store_explicit(opt->value, i,
						      memory_order_relaxed);
				return 0;
			}
		}
	}
	return -EINVAL;
}

/*
 * tlb_table_flush_implies_ipi_broadcast(): the architecture's static
 * answer, as in the series (x86: native flush_tlb_multi and no INVLPGB),
 * not the last flush's.  Callers of the sync have just flushed the range
 * (pmdp_collapse_flush() and the like).  Departure: the series also makes
 * those flushes IPI lazy-TLB CPUs (unshared_tables); the model's collapse
 * flush does not (freed_tables false), which only the --lazy-tlb walkers
 * could tell, and they run no collapse (bench/torture/scenarios.h).
 */
static bool tlb_table_flush_implies_ipi_broadcast(void)
{
	switch (atomic_load_explicit(&skip_sync, memory_order_relaxed)) {
	case SKIP_ARCH:
		return wl_arch_current()->arch == WL_ARCH_IPI;
	case SKIP_FORCE:
		return true;
	default:
		return false;
	}
}
#endif

#ifdef WL_HELPERS_TARGETED
/* The sync's IPI: runs in IRQ context; nothing to do. */
static void targeted_ipi_fn(void *info)
{
	(void)info;
}

/*
 * The sync's barrier between the caller's unlink and the tracker reads:
 * smp_mb() pairs with targeted_publish()'s full barrier (store
 * buffering); smp_rmb(), as posted, orders only loads, and pairs with
 * nothing there.
 */
static void targeted_sync_barrier(void)
{
	if (atomic_load_explicit(&sync_barrier, memory_order_relaxed) ==
	    SYNC_RMB) {
		smp_rmb(); /* as posted: orders loads only; pairs with nothing */
		return;
	}
	smp_mb(); /* orders the unlink before the tracker reads; pairs with
		   * targeted_publish()'s full barrier */
}

/*
 * The tracker read: which mm does cpu walk?  Acquire: pairs with
 * targeted_retire()'s release, so that a NULL read here means the walk's
 * loads are done.  The one place a sync reads the pointers.
 */
static struct wl_mm *targeted_tracker_read(int cpu)
{
	/* acquire: pairs with targeted_retire()'s release (see above) */
	return atomic_load_explicit(&wl_active_walk_mm[cpu].mm,
				    memory_order_acquire);
}

/*
 * tlb_remove_table_sync_mm(): IPI, and wait for, only the other CPUs
 * whose pointer is mm.  Returns the IPIs sent.
 */
static unsigned int targeted_sync(struct wl_mm *mm)
{
	struct wl_cpumask online, mask;
	int me = smp_processor_id(), cpu;
	enum wl_ipi_kind kind;
	unsigned int ipis;

	memset(&mask, 0, sizeof(mask));
	targeted_sync_barrier();
	wl_cpu_online_mask(&online);
	wl_for_each_cpu(cpu, &online)
	{
		if (cpu != me && targeted_tracker_read(cpu) == mm)
			wl_cpumask_set(&mask, cpu);
	}
	if (wl_cpumask_empty(&mask))
		return 0;
	kind = wl_ipi_kind_default(WL_IPI_SYNC); /* as ipi_sync_all() */
	/*
	 * wait=true: smp.c acquires every acknowledgment, which the targets
	 * release after their IRQ-off sections (csd_run): pairs with those.
	 */
	ipis = smp_call_function_many(&mask, targeted_ipi_fn, NULL, true);
	wl_ipi_kind_set(kind);
	return ipis;
}
#endif

#ifdef WL_HELPERS_TODAY
/* tlb_remove_table_sync_one() of today's modes; the IPIs it sent. */
static unsigned int helpers_sync_ipi(struct wl_mm *mm)
{
#if defined(WL_HELPERS_TARGETED)
	return targeted_sync(mm);
#else
	return ipi_sync_all();
#endif
}
#endif

static void helpers_stats_reset(void)
{
	wl_backend_counters_reset(&ctr);
#if defined(WL_HELPERS_TODAY)
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
		wl_stat_add(&ctr.ipis, helpers_sync_ipi(mm));
		wl_table_release_one(table);
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
#elif defined(WL_HELPERS_TODAY)
	if (atomic_load_explicit(&sync_mode, memory_order_relaxed) ==
	    SYNC_RCU) {
		sched_tables_sync();
		return;
	}
	if (!tlb_table_flush_implies_ipi_broadcast())
		wl_stat_add(&ctr.ipis, helpers_sync_ipi(mm));
#else
	wl_stat_add(&ctr.ipis, ipi_sync_all());
#endif
}

static void helpers_stats(struct wl_backend_stats *st)
{
	wl_backend_counters_read(&ctr, st);
#if defined(WL_HELPERS_TODAY)
	st->ipis += sched_tables_fqs_ipis(); /* the grace periods' FQS */
#endif
}

#define HELPERS_TODAY_OPTS                                                     \
	"fallback=ipi|sync_rcu|call_rcu (tlb_remove_table_one(): sync IPI "    \
	"then free, the default, !PT_RECLAIM before 2026; "                    \
	"synchronize_rcu() then free, since 2026; call_rcu(), PT_RECLAIM), "   \
	"skip_sync=off|arch|force (tlb_table_flush_implies_ipi_broadcast(): "  \
	"false, the default, v6.18; true on the ipi arch only; true "          \
	"everywhere, unsafe on broadcast and paravirt), "                      \
	"sync=ipi|rcu (tlb_remove_table_sync_one(): the IPI, the default; "    \
	"synchronize_rcu(), the RCU-sync proposal)"

const struct wl_backend_ops wl_backend = {
	.name = WALKLAB_BACKEND_ID,
#if defined(WL_HELPERS_TARGETED)
	.summary = "targeted sync (v4, 2026): today plus a per-CPU active-walk "
		   "pointer; the sync IPIs only CPUs walking the mm",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE | WL_CAP_FREE_ONE_WAITS | WL_CAP_TARGETED,
	.set_option = helpers_set_option,
	.opts_help = "publish=store_mb|xchg|none (WRITE_ONCE()+smp_mb(), the "
		     "default; xchg(); none, unsafe: the negative control), "
		     "sync_barrier=mb|rmb (smp_mb(), the default; smp_rmb() "
		     "as posted, unsafe), " HELPERS_TODAY_OPTS,
#elif defined(WL_HELPERS_TODAY)
	.summary = "v6.15 x86/arm64: IRQ-off walkers (RCU-sched readers); "
		   "call_rcu batches; IPI sync; fallback per option",
	.caps = WL_CAP_SAFE | WL_CAP_NESTING | WL_CAP_IRQS_OFF |
		WL_CAP_DEFERS_FREE | WL_CAP_FREE_ONE_WAITS,
	.set_option = helpers_set_option,
	.opts_help = HELPERS_TODAY_OPTS,
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
