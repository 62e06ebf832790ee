/* SPDX-License-Identifier: MIT */
/*
 * pte_refcount: a reference count per PTE table, Qi Zheng's 2021 "free
 * user PTE page table pages" series (docs/history.md 2.10).  Every user of a
 * PTE table holds a reference: the table's own (taken at allocation,
 * core/pgtable.c) and one per walker inside it, taken with try-get
 * (increment unless zero, pte_try_get()) just after the walker read the
 * PMD and dropped after its PTE loads (pte_put()).  A writer that unlinks
 * an empty PTE table drops the table's own reference; whoever drops the
 * last one frees it.  The read side's per-table calls are the optional
 * interface of core/backend.h 1b.  Two configurations, the series' stages:
 *
 *   norcu  (rcu=off) patch 6: the last put frees the PTE table at once
 *          (pte_free()).  GUP-fast still runs with IRQs off, and upper
 *          level tables are freed as before, after the flush's or an empty
 *          IPI broadcast (backends/common/ipi_sync.c).  Nothing but the
 *          count protects a PTE table, and nothing protects the count's
 *          own page between the walker's PMD load and its try-get: if the
 *          table is unlinked, its own reference dropped and the table
 *          freed (and reused) in that window, the try-get touches a freed
 *          page.  Only a TLB flush that IPIs and waits for IRQ-off CPUs
 *          (the ipi arch) closes the window by accident: the flush comes
 *          between the unlink and the drop.  So it requires
 *          WL_REQ_FLUSH_IPI; on broadcast and paravirt it is the use-
 *          after-free Jason Gunthorpe pointed at ("at this point in the
 *          series fast gup is broken", 2021-09-01).
 *   rcu    (rcu=on) patch 8: every table, PTE tables at their last put
 *          included, is freed after an RCU-sched grace period of the
 *          simulated machine (core/rcu_sched.h), for which an IRQ-off
 *          walker is a reader: a table a walker could reach from a PMD it
 *          read is not freed before its section ends, so the try-get
 *          never touches a freed count.  (Then the count is no longer
 *          what protects GUP-fast; Jason's point that the atomics are not
 *          needed at all.)
 *
 * Both: sync (tlb_remove_table_sync_one()) is the IPI broadcast; walkers
 * must be simulated CPUs (an IPI or a grace period only reaches CPUs).
 *
 * What the read side pays: begin/end are local_irq_save()/restore(), as
 * for ipi; per PTE table, two atomic read-modify-writes on the table's
 * count, a line every walker of that table shares (a cmpxchg loop for
 * the try-get, a fetch-sub for the put).
 *
 * Memory ordering:
 * (wl_pt_ref_try_get() and wl_pt_ref_put(), core/pgtable.h):
 *  - try-get is a seq_cst compare-exchange (the kernel's fully ordered
 *    atomic_inc_not_zero()): orders the increment before the PTE loads;
 *    pairs with the acq_rel decrement that reaches zero (below), which
 *    then sees our increment first or leaves us a zero to fail on.
 *  - put is an acq_rel fetch-sub (refcount_dec_and_test()): release orders
 *    our PTE loads before it, pairing with the acquire half of whichever
 *    decrement reaches zero, so the free follows every walker's loads.
 *  - the writer's unlink (a seq_cst exchange in the core) comes before its
 *    own acq_rel drop in program order; a walker that took a reference
 *    after the unlink walks a detached table, which the PMD recheck sends
 *    to the slow path.
 */
#ifndef WALKLAB_BACKEND_PTE_REFCOUNT_H
#define WALKLAB_BACKEND_PTE_REFCOUNT_H

#include "pgtable.h"
#include "smp.h"

#if defined(WALKLAB_PTE_REFCOUNT_NORCU)
#define WL_PRC_MODE "norcu"
#elif defined(WALKLAB_PTE_REFCOUNT_RCU)
#define WL_PRC_MODE "rcu"
#else
#error "Unknown pte_refcount mode: define WALKLAB_PTE_REFCOUNT_{NORCU,RCU}"
#endif

struct wl_mm;

/* GUP-fast's local_irq_save(): an RCU-sched reader too (rcu mode). */
static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
	return local_irq_save();
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
	local_irq_restore(cookie);
}

/* The per-table reference (core/backend.h 1b). */
#define WL_PTE_TABLE_REF 1

/* The last reference is gone: free the table (pte_refcount.c). */
void wl_prc_table_free(uint32_t table);

/* pte_try_get(): atomic_inc_not_zero() on the table's count. */
static __wl_always_inline bool wl_pte_table_try_get(uint32_t table)
{
	return wl_pt_ref_try_get(table); /* ordered as said above */
}

/* pte_put(): the last reference frees the table. */
static __wl_always_inline void wl_pte_table_put(uint32_t table)
{
	if (wl_pt_ref_put(table)) /* ordered as said above */
		wl_prc_table_free(table);
}

#endif /* WALKLAB_BACKEND_PTE_REFCOUNT_H */
