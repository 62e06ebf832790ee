/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the interface between the core and a synchronization backend.
 *
 * A backend is one folder under backends/ and is chosen at build time: each
 * backend gets its own executables, linked against the core.  It provides:
 *
 *  1. the read side, in a header named "walk_backend.h" in its folder (the
 *     build puts that folder on the include path of its executables), as
 *     static inline functions so that they inline into the walker:
 *
 *	static inline unsigned long lockless_page_walk_begin(struct wl_mm *mm);
 *	static inline void lockless_page_walk_end(struct wl_mm *mm,
 *						  unsigned long cookie);
 *
 *     Contract: between begin and end, no page-table page that was
 *     reachable from mm when the section began is freed or reused.  The
 *     cookie is whatever end needs (saved IRQ flags, say).  Sections nest
 *     where the backend sets WL_CAP_NESTING.
 *
 *     walk_backend.h may also name a library primitive its read side wraps
 *     (the read-reference hook): when it defines
 *
 *	#define WL_READ_REFERENCE_NAME "..."	(printable, for the results)
 *	static inline void wl_read_reference_begin(void);  (or a macro)
 *	static inline void wl_read_reference_end(void);
 *
 *     the measurement of the read side (bench/measure/workload.c) also
 *     times that primitive's own begin/end pair, in the same loop shape and
 *     on the same CPU, and reports the backend's pair as a ratio to it.
 *     Optional: without WL_READ_REFERENCE_NAME only the backend's pair is
 *     timed.  The rcu backends name liburcu's read lock this way.
 *
 * 1b. optionally, a per-PTE-table reference (the 2021 pte_try_get() /
 *     pte_put() series): when walk_backend.h defines
 *
 *	#define WL_PTE_TABLE_REF 1
 *	static inline bool wl_pte_table_try_get(uint32_t table);
 *	static inline void wl_pte_table_put(uint32_t table);
 *
 *     every lockless walker calls try_get on the PTE table a PMD names,
 *     just after the PMD load and inside the section, gives up when it
 *     fails, and calls put once it has read the table's entries.  Between
 *     a successful try_get and the put the table is not freed, whatever
 *     the section does.  Walkers include core/pte_ref.h, which gives both
 *     as empty inlines when the backend defines none: no cost elsewhere.
 *     The checker's watch on a table ends at its put (core/gup.c).  Only
 *     pte_refcount defines it.
 *
 *  2. the write side, as `const struct wl_backend_ops wl_backend` in its .c
 *     files, which the core calls and never goes around.  Required ops:
 *     init, fini, free_tables, free_table_one, sync, stats and stats_reset.
 *     Every other op may be NULL (the core and the bench check): set_option
 *     (then opts_help is NULL too), cpu_online, cpu_offline, quiescent,
 *     blocking_begin, blocking_end, mm_init and mm_fini.
 *
 *  3. its mechanism, declared in caps (WL_CAP_*): the tests check what is
 *     declared (tests/test_contract.c) and nothing else.
 *
 * The core never names a backend; it only reads wl_backend's fields.  It
 * calls free_tables, free_table_one and sync only through the wrappers in
 * mmu_gather.h, which count and time each call into the sync_* and free_*
 * statistics: a backend counts only what its own mechanism does.
 */
#ifndef WALKLAB_BACKEND_H
#define WALKLAB_BACKEND_H

#include "compiler.h"
#include "pgtable.h"
#include "smp.h"

struct wl_mm;

/*
 * What a backend, in its default configuration (no --backend-opt), needs of
 * the architecture model to be safe.  An option that changes this says so
 * in opts_help.
 */
#define WL_REQ_NONE	 0u
#define WL_REQ_FLUSH_IPI (1u << 0) /* the TLB flush must IPI and wait */

/*
 * Capabilities, for reports and for tests to skip honestly.  The mechanism
 * bits say how a SAFE backend holds a writer off, and so which statistics
 * it counts; a backend declares each it uses (none, one or several):
 *
 *  WL_CAP_DEFERS_FREE     free_tables returns before the free, which
 *                         follows a grace period (grace_periods);
 *  WL_CAP_IRQS_OFF        readers mask IRQs; writers IPI and wait (ipis);
 *  WL_CAP_POLLS           writers poll reader counts to zero (polls);
 *  WL_CAP_FREE_ONE_WAITS  free_table_one waits for the walkers even where
 *                         free_tables defers;
 *  WL_CAP_TARGETED        with WL_CAP_IRQS_OFF: sync IPIs only the CPUs
 *                         inside a walk section of the mm (a CPU outside
 *                         one is not disturbed).
 *
 * A SAFE backend that declares none of them (a lock, say) is held to the
 * contract alone.
 */
#define WL_CAP_SAFE	      (1u << 0) /* claims to protect walkers at all */
#define WL_CAP_NESTING	      (1u << 1) /* begin/end sections nest */
#define WL_CAP_DEFERS_FREE    (1u << 2)
#define WL_CAP_IRQS_OFF	      (1u << 3)
#define WL_CAP_QSBR	      (1u << 4) /* needs quiescent() from walkers */
#define WL_CAP_POLLS	      (1u << 5)
#define WL_CAP_FREE_ONE_WAITS (1u << 6)
#define WL_CAP_TARGETED	      (1u << 7)
/*
 * The read side does not protect a speculative page fault (core/fault.c):
 * a SAFE backend whose walkers need more than begin/end (a per-table hook
 * the fault does not call, say) sets it, and the contract tests skip the
 * fault's check; every other SAFE backend is held to it.
 */
#define WL_CAP_NO_SPF (1u << 8)

struct wl_backend_stats {
	uint64_t sync_calls; /* sync() calls */
	uint64_t sync_ns;    /* total time in sync() */
	uint64_t sync_max_ns;
	uint64_t free_calls; /* free_tables() + free_table_one() calls */
	uint64_t free_ns;    /* total time in them (the writer's wait) */
	uint64_t free_max_ns;
	uint64_t ipis;		/* IPIs sent by the backend itself */
	uint64_t grace_periods; /* synchronize_rcu() / call_rcu batches */
	uint64_t polls;		/* reader-count polls by writers */
	uint64_t tables_deferred_now;
	uint64_t tables_deferred_peak;
	uint64_t free_one_calls; /* of free_calls: free_table_one() ones */
};

struct wl_backend_ops {
	const char *name;
	const char *summary;	   /* one line: the strategy */
	const char *build_options; /* "flavor=memb", "layout=percpu", ... */
	unsigned int requires;	   /* WL_REQ_* */
	unsigned int caps;	   /* WL_CAP_* */

	/*
	 * Run-time options, "key=value" from --backend-opt; returns 0, or
	 * -EINVAL after which opts_help lists the valid choices.  May be NULL.
	 */
	int (*set_option)(const char *key, const char *value);
	const char *opts_help;

	int (*init)(void);
	/* Drain: free everything deferred, then release resources. */
	void (*fini)(void);

	/* Per-CPU lifecycle: called on the CPU's own thread. */
	void (*cpu_online)(void);
	void (*cpu_offline)(void);
	/* A walker passes through a quiescent state (between walks). */
	void (*quiescent)(void);
	/*
	 * The CPU is about to block (sleep on mmap_lock, simulated I/O) and
	 * has just woken up.  In the kernel, sleeping is a context switch and
	 * so a quiescent state for as long as it lasts; a QSBR backend goes
	 * offline here, or a grace period waits for a CPU that waits for the
	 * grace period's caller (a deadlock).  Called outside any walk
	 * section.  May be NULL.
	 */
	void (*blocking_begin)(void);
	void (*blocking_end)(void);

	/*
	 * Per-mm state; mm->backend_scratch is the backend's to use.  May be
	 * NULL.
	 */
	void (*mm_init)(struct wl_mm *mm);
	void (*mm_fini)(struct wl_mm *mm);

	/*
	 * Free a batch of table pages that the writer has unlinked and whose
	 * TLB flush is done; flush_ipi_all is true when that flush IPI'd and
	 * waited for every CPU that could walk the mm.  The backend waits,
	 * defers, or piggy-backs on the flush, and ends with
	 * wl_table_batch_release(batch).  Called with IRQs enabled, may sleep.
	 */
	void (*free_tables)(struct wl_mm *mm, struct wl_table_batch *batch,
			    bool flush_ipi_all);
	/*
	 * The same for one table when no batch could be allocated
	 * (tlb_remove_table_one): it must make progress without memory.
	 */
	void (*free_table_one)(struct wl_mm *mm, uint32_t table,
			       bool flush_ipi_all);
	/*
	 * tlb_remove_table_sync_one(): return only when every walk section
	 * that began before the call has ended.
	 */
	void (*sync)(struct wl_mm *mm);

	void (*stats)(struct wl_backend_stats *st);
	void (*stats_reset)(void);
};

extern const struct wl_backend_ops wl_backend;

/*
 * The counters a backend keeps for its own mechanism (relaxed: nothing is
 * ordered by them), and the helpers that fill a struct wl_backend_stats.
 * The sync_* and free_* figures are the core's: it counts and times every
 * call it makes into sync, free_tables and free_table_one (mmu_gather.h),
 * so a backend never times itself.  The deferred-table figures come from
 * the core's table pool.
 *
 * Grace periods and polls are counted per CPU, on the CPU that asks for
 * them (smp.h, wl_cpu_count()): a backend calls
 * wl_cpu_count(WL_EV_GP_SYNC, 1) for each synchronize_rcu(),
 * wl_cpu_count(WL_EV_GP_CALL, 1) for each call_rcu() and
 * wl_cpu_count(WL_EV_POLLS, n) for its reader-count polls; grace_periods
 * is the sum of the first two over all CPUs, polls of the third.
 */
struct wl_backend_counters {
	_Atomic uint64_t ipis;
};
#define WL_BACKEND_EVENTS                                                      \
	(WL_CPU_EVENT_BIT(WL_EV_GP_SYNC) | WL_CPU_EVENT_BIT(WL_EV_GP_CALL) |   \
	 WL_CPU_EVENT_BIT(WL_EV_POLLS))
/*
 * Zero the counters, the per-CPU WL_BACKEND_EVENTS and the core's call
 * timing; the pool's deferred peak restarts from now.
 */
void wl_backend_counters_reset(struct wl_backend_counters *c);
void wl_backend_counters_read(struct wl_backend_counters *c,
			      struct wl_backend_stats *st);

/* Statistics only: relaxed, nothing is ordered by them. */
static inline void wl_stat_add(_Atomic uint64_t *x, uint64_t n)
{
	atomic_fetch_add_explicit(x, n, memory_order_relaxed);
}

#endif /* WALKLAB_BACKEND_H */
