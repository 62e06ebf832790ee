/* SPDX-License-Identifier: MIT */
/*
 * lockless_walk_helpers: lockless_page_walk_begin()/end() as Andy
 * Lutomirski proposed them (LKML, 2021-04-28; docs/kernel-protocol.md 3.4):
 * an RCU read lock if MMU_GATHER_RCU_TABLE_FREE is configured, irqsave
 * otherwise, each with its matching writer side.  The mode is a build
 * option (one configuration each):
 *
 *   rcu      MMU_GATHER_RCU_TABLE_FREE: rcu_read_lock() (liburcu memb);
 *            tables freed by call_rcu() (batches, and single tables as
 *            PT_RECLAIM does), sync is synchronize_rcu().  Same writer
 *            side as the rcu backend (backends/common/rcu_free.c).
 *   irqsave  no RCU table free: local_irq_save(); tables freed at once
 *            after a flush that IPI'd every CPU, else after an empty IPI
 *            broadcast; sync is that broadcast.  Same writer side as the
 *            ipi backend (backends/common/ipi_sync.c).
 *   today    what v6.15 x86 and arm64 run (docs/kernel-protocol.md 3.6):
 *            IRQ-off walkers, tables freed by call_rcu() batches whatever the
 *            flush did, an IPI broadcast for sync (tlb_remove_table_sync_one(),
 *            khugepaged) and for the no-batch fallback (tlb_remove_table_one()
 *            without PT_RECLAIM: IPI, then free at once).
 *
 * Assumes of the architecture model: nothing, in every mode (irqsave IPIs
 * by itself when the flush did not).  Walkers must be simulated CPUs
 * (irqsave, today: an IPI only reaches CPUs) registered with liburcu
 * (rcu, today: cpu_online() does it).
 *
 * Why it is safe: rcu as the rcu backend (a walk that can reach an unlinked
 * table began before the grace period that frees it); irqsave as the ipi
 * backend (an IPI is acknowledged only after the IRQ-off walk it
 * interrupted).  today: the walk is both, so each writer path waits for
 * the kind of reader it relies on: call_rcu() frees after the RCU section,
 * the IPI returns after the IRQ-off section.
 *
 * Departure from the kernel (today).  In the kernel an IRQ-off region is
 * also an RCU-sched reader: call_rcu() waits for it with no rcu_read_lock()
 * (Paul McKenney, 2021-04-28).  liburcu cannot see our soft IRQ mask, so
 * the today walker takes rcu_read_lock() inside its IRQ-off region: that
 * adds the memb read-side cost the kernel does not pay.
 *
 * Memory ordering: rcu, the flavor's read-side barriers pairing with
 * synchronize_rcu() (backends/common/rcu_flavor.h); irqsave, the IPI
 * handshake's release/acquire pairs in core/smp.c (backends/ipi/
 * walk_backend.h); today, both.  No barrier of its own.
 */
#ifndef WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H
#define WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H

#include "smp.h"

#if defined(WALKLAB_HELPERS_MODE_RCU)
#define WL_HELPERS_MODE		     "rcu"
#define WL_MMU_GATHER_RCU_TABLE_FREE 1
#elif defined(WALKLAB_HELPERS_MODE_IRQSAVE)
#define WL_HELPERS_MODE "irqsave"
#elif defined(WALKLAB_HELPERS_MODE_TODAY)
#define WL_HELPERS_MODE		     "today"
#define WL_MMU_GATHER_RCU_TABLE_FREE 1
#define WL_HELPERS_TODAY	     1
#else
#error "Unknown helpers mode: define WALKLAB_HELPERS_MODE_{RCU,IRQSAVE,TODAY}"
#endif

#ifdef WL_MMU_GATHER_RCU_TABLE_FREE
#include "rcu_flavor.h"
#endif

struct wl_mm;

static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
#if defined(WL_HELPERS_TODAY)
	unsigned long flags = local_irq_save(); /* gup_fast() */

	wl_rcu_read_lock(); /* the RCU-sched reader IRQ-off is in the kernel */
	return flags;
#elif defined(WL_MMU_GATHER_RCU_TABLE_FREE)
	wl_rcu_read_lock();
	return 0;
#else
	return local_irq_save();
#endif
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
#if defined(WL_HELPERS_TODAY)
	wl_rcu_read_unlock();
	local_irq_restore(cookie);
#elif defined(WL_MMU_GATHER_RCU_TABLE_FREE)
	wl_rcu_read_unlock();
#else
	local_irq_restore(cookie);
#endif
}

#if defined(WL_MMU_GATHER_RCU_TABLE_FREE) && !defined(WL_HELPERS_TODAY)
/* The primitive wrapped, for measure's side-by-side read-side figure. */
#define WL_READ_REFERENCE_NAME	WL_URCU_REFERENCE_NAME
#define wl_read_reference_begin wl_rcu_read_lock
#define wl_read_reference_end	wl_rcu_read_unlock
#endif

#endif /* WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H */
