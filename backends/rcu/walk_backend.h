/* SPDX-License-Identifier: MIT */
/*
 * rcu: RCU readers (liburcu), tables freed after a grace period.
 *
 * Strategy.  The walk is an RCU read-side critical section
 * (rcu_read_lock()/rcu_read_unlock() of the liburcu flavor chosen at build
 * time, see rcu_flavor.h): the explicit RCU read lock proposed for GUP-fast in
 * the 2021 SPF thread (docs/kernel-protocol.md 3.4). free_tables() hands the
 * batch to call_rcu() (the kernel's tlb_remove_table_free() with
 * MMU_GATHER_RCU_TABLE_FREE); free_table_one() does call_rcu() on the
 * table's ptdesc (PT_RECLAIM's __tlb_remove_table_one()); sync() is
 * synchronize_rcu().  Writers never wait for the free, except in sync.
 *
 * Assumes of the architecture model: nothing.  The TLB flush's IPIs are
 * irrelevant: the walkers do not mask IRQs, so flush_ipi_all is ignored.
 * Walkers and writers must be registered with liburcu: cpu_online()
 * registers the calling CPU (qsbr: puts it online).  A writer that is not
 * a CPU is registered for the duration of its call_rcu().
 *
 * Why it is safe.  A table is unlinked before call_rcu() or
 * synchronize_rcu() starts its grace period; a walk that could still reach
 * it began before the grace period and must end before the grace period
 * does, so the callback frees nothing a live walk could see.  A walk that
 * begins later cannot find the unlinked table.
 *
 * QSBR (the qsbr flavor).  The read lock is empty; a walk is protected from
 * the CPU's last quiescent() to its next one, so walkers must call
 * quiescent() between walks (the bench does), and a CPU that stays online
 * while it blocks holds every grace period up: writers wait in sync() and
 * deferred tables pile up, and a CPU blocked on mmap_lock while the holder
 * syncs (khugepaged's collapse) deadlocks.  So blocking_begin()/end(),
 * which the core calls around its blocking points, put the CPU offline
 * for the duration (the kernel's sleeping task is a quiescent state).  A
 * CPU that blocks anywhere else, or spins for long without quiescent(),
 * still stalls grace periods.
 *
 * Memory ordering.  liburcu's: the read-side barriers of the flavor pair
 * with the barriers synchronize_rcu() issues around its wait for readers
 * (rcu_flavor.h).  The callback runs after that grace period on liburcu's
 * call_rcu thread, which is not a simulated CPU.
 */
#ifndef WALKLAB_BACKEND_RCU_H
#define WALKLAB_BACKEND_RCU_H

#include "rcu_flavor.h"

struct wl_mm;

static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
	wl_rcu_read_lock();
	return 0;
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
	wl_rcu_read_unlock();
}

/* The primitive wrapped, for measure's side-by-side read-side figure. */
#define WL_READ_REFERENCE_NAME	WL_URCU_REFERENCE_NAME
#define wl_read_reference_begin wl_rcu_read_lock
#define wl_read_reference_end	wl_rcu_read_unlock

#endif /* WALKLAB_BACKEND_RCU_H */
