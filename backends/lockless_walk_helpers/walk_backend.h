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
 *            IRQ-off walkers and nothing else; tables freed by call_rcu()
 *            batches whatever the flush did, after an RCU-sched grace period of
 *            the simulated machine (core/rcu_sched.h), for which IRQ-off
 *            regions are readers (Paul McKenney, 2021-04-28: so the
 *            walker takes no rcu_read_lock()); an IPI broadcast for sync
 *            (tlb_remove_table_sync_one(), khugepaged).  The no-batch
 *            fallback (tlb_remove_table_one()) is a run-time option,
 *            --backend-opt fallback=:
 *              ipi       !PT_RECLAIM before 2026: the sync IPI, then free
 *                        at once (the default);
 *              sync_rcu  !PT_RECLAIM since February 2026
 *                        (docs/kernel-protocol.md 2.9, 6):
 *                        synchronize_rcu(), then free at once;
 *              call_rcu  PT_RECLAIM: call_rcu() on the table's ptdesc.
 *            And --backend-opt skip_sync= (tlb_table_flush_implies_ipi_
 *            broadcast(), Lance Yang's series, docs/kernel-protocol.md 6.1):
 *              off       false, as in v6.18 (the default): always sync;
 *              arch      the series: true only where the arch model's
 *                        flush IPIs and waits for every CPU that can walk
 *                        the mm (ipi: native x86 without INVLPGB), and
 *                        then tlb_remove_table_sync_one() returns at once;
 *              force     true on every arch model: wrong on broadcast
 *                        (arm64, INVLPGB) and paravirt, the negative
 *                        control.
 *   targeted today's protocol plus the per-CPU active-walk pointer of
 *            "targeted TLB sync IPIs for lockless page table walkers"
 *            (Lance Yang, v4, February 2026; docs/kernel-protocol.md 6.2):
 *            begin masks IRQs, then publishes the mm in this CPU's
 *            pointer (targeted_publish()); end clears it with
 *            smp_store_release(NULL); the sync IPIs only the CPUs whose
 *            pointer is the mm (targeted_tracker_read(), helpers.c).
 *            Options, besides today's:
 *              publish=store_mb  WRITE_ONCE() + smp_mb() (as posted; the
 *                                default);
 *              publish=xchg      xchg() (Peter Zijlstra's suggestion);
 *              publish=none      no publication: the negative control
 *                                (the sync then IPIs nobody), and the
 *                                "today" baseline of the paired read-side
 *                                cost (bench/measure/measure_read.c);
 *              sync_barrier=mb   smp_mb() between the unlink and the
 *                                tracker reads (Peter Zijlstra: the
 *                                store-buffering pair needs it; default);
 *              sync_barrier=rmb  smp_rmb() there, as posted.
 *
 * Assumes of the architecture model: nothing, in every mode (irqsave IPIs
 * by itself when the flush did not).  Walkers must be simulated CPUs
 * (irqsave, today: an IPI or a grace period only reaches CPUs) and, in
 * rcu mode, registered with liburcu (cpu_online() does it).
 *
 * Why it is safe: rcu as the rcu backend (a walk that can reach an unlinked
 * table began before the grace period that frees it); irqsave as the ipi
 * backend (an IPI is acknowledged only after the IRQ-off walk it
 * interrupted).  today: the IRQ-off walk is both an RCU-sched reader and
 * a section that holds IPIs off, so each writer path waits for it:
 * call_rcu_sched() frees after a grace period that every CPU ends only by
 * enabling IRQs, the IPI returns after the IRQ-off section.
 *
 * Memory ordering: rcu, the flavor's read-side barriers pairing with
 * synchronize_rcu() (backends/common/rcu_flavor.h); irqsave, the IPI
 * handshake's release/acquire pairs in core/smp.c (backends/ipi/
 * walk_backend.h); today, those and the RCU-sched pairs (core/rcu_sched.h:
 * the report at the outermost local_irq_restore() against the grace
 * period's start and its acquire of the report).  No barrier of its own.
 * targeted: today's, plus the store-buffering pair of the publication
 * (targeted_publish(): [W] pointer, full barrier, [R] page tables)
 * against the sync ([W] unlink, full barrier, [R] pointers), and the end's
 * release against the tracker read's acquire.  With sync_barrier=rmb the
 * first pair is broken, as Peter Zijlstra said; a path stays safe only if
 * something else orders its unlink before the tracker read (an atomic RMW
 * clear, a flush that implies a full barrier).
 *
 * Why targeted is safe (sync_barrier=mb): a walker that can still reach
 * the unlinked table read the PMD before the unlink; its publication came
 * before that read, so the sync's tracker read, after the unlink and a
 * full barrier, sees the mm (or a later value of the same section) and the
 * CPU is IPI'd; the IPI is acknowledged only after the IRQ-off section.
 * A walker whose pointer the sync reads as NULL or another mm either
 * ended (release/acquire: its loads came before) or has not published
 * yet, and then reads the cleared PMD.
 */
#ifndef WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H
#define WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H

#include "smp.h"

#if defined(WALKLAB_HELPERS_MODE_RCU)
#define WL_HELPERS_MODE "rcu"
#define WL_HELPERS_URCU 1
#elif defined(WALKLAB_HELPERS_MODE_IRQSAVE)
#define WL_HELPERS_MODE "irqsave"
#elif defined(WALKLAB_HELPERS_MODE_TODAY)
#define WL_HELPERS_MODE	 "today"
#define WL_HELPERS_TODAY 1
#elif defined(WALKLAB_HELPERS_MODE_TARGETED)
#define WL_HELPERS_MODE	    "targeted"
#define WL_HELPERS_TODAY    1 /* today's writer side, but for the sync */
#define WL_HELPERS_TARGETED 1
#else
#error "Unknown helpers mode: define WALKLAB_HELPERS_MODE_{RCU,IRQSAVE,TODAY,TARGETED}"
#endif

#ifdef WL_HELPERS_URCU
#include "rcu_flavor.h"
#endif

struct wl_mm;

#ifdef WL_HELPERS_TARGETED
/*
 * active_lockless_pt_walk_mm: per simulated CPU, the mm it walks
 * locklessly, or NULL.  Written by its own CPU only (begin, end), read by
 * syncing CPUs (helpers.c).  One cache line each, as a per-CPU variable
 * is: shared lines would make every walker's publication a miss.
 */
struct wl_active_walk {
	__wl_cacheline_aligned _Atomic(struct wl_mm *) mm;
};
extern struct wl_active_walk wl_active_walk_mm[WL_NR_CPUS];

/* --backend-opt publish= (helpers.c sets it before the run). */
enum wl_targeted_publish {
	WL_PUBLISH_STORE_MB,
	WL_PUBLISH_XCHG,
	WL_PUBLISH_NONE,
};
extern _Atomic int wl_targeted_publish_how;

/*
 * The publication point: this CPU's pointer := mm, then a full barrier
 * (store_mb) or as one atomic RMW (xchg), either of which orders the
 * store before the walk's page-table loads.  Pairs with the sync's
 * barrier between its unlink and its tracker reads (helpers.c,
 * targeted_sync_barrier()): store buffering, so it takes a full barrier
 * on both sides.  The one place the pointer is published.
 */
static __wl_always_inline void targeted_publish(int cpu, struct wl_mm *mm,
						int how)
{
	if (how == WL_PUBLISH_XCHG) {
		/* seq_cst RMW: orders the publication before the walk;
		 * pairs with targeted_sync_barrier() (above) */
		atomic_exchange_explicit(&wl_active_walk_mm[cpu].mm, mm,
					 memory_order_seq_cst);
		return;
	}
	WRITE_ONCE(wl_active_walk_mm[cpu].mm, mm);
	/* orders the publication before the walk; pairs with
	 * targeted_sync_barrier() (above) */
	smp_mb();
}

/*
 * The end: smp_store_release(NULL) orders the walk's loads before the
 * clear; pairs with the acquire of targeted_tracker_read() (helpers.c):
 * a sync that reads NULL frees after the walk is done.
 */
static __wl_always_inline void targeted_retire(int cpu)
{
	/* release: the walk before the clear; pairs with the tracker read */
	atomic_store_explicit(&wl_active_walk_mm[cpu].mm, NULL,
			      memory_order_release);
}

/*
 * Publish only in the outermost walk section of this mm on this CPU, and
 * say so in the cookie (bit 1; bit 0 is the saved IRQ state), so that a
 * nested end does not clear the outer section's pointer.  A thread that
 * is not a simulated CPU cannot be IPI'd and is not tracked.
 */
#define WL_TARGETED_PUBLISHED 2ul

static __wl_always_inline unsigned long
targeted_begin(struct wl_mm *mm, unsigned long flags, int how)
{
	int cpu = smp_processor_id();

	/*
	 * IRQs were on (flags 0): no section runs on this CPU, since every
	 * section masks them, so publish without looking, as the kernel does.
	 */
	if (how == WL_PUBLISH_NONE || cpu < 0 ||
	    (flags && READ_ONCE(wl_active_walk_mm[cpu].mm) == mm))
		return flags;
	targeted_publish(cpu, mm, how);
	return flags | WL_TARGETED_PUBLISHED;
}

static __wl_always_inline void targeted_end(unsigned long cookie)
{
	if (cookie & WL_TARGETED_PUBLISHED)
		targeted_retire(smp_processor_id());
}
#endif /* WL_HELPERS_TARGETED */

static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
#if defined(WL_HELPERS_URCU)
	wl_rcu_read_lock();
	return 0;
#elif defined(WL_HELPERS_TARGETED)
	/* IRQs off first, then publish (relaxed: set before the run). */
	return targeted_begin(mm, local_irq_save(),
			      atomic_load_explicit(&wl_targeted_publish_how,
						   memory_order_relaxed));
#else
	/* irqsave, and today's gup_fast(): an RCU-sched reader too. */
	return local_irq_save();
#endif
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
#if defined(WL_HELPERS_URCU)
	wl_rcu_read_unlock();
#elif defined(WL_HELPERS_TARGETED)
	targeted_end(cookie);
	local_irq_restore(cookie & ~WL_TARGETED_PUBLISHED);
#else
	local_irq_restore(cookie);
#endif
}

#if defined(WL_HELPERS_URCU)
/* The primitive wrapped, for measure's side-by-side read-side figure. */
#define WL_READ_REFERENCE_NAME	WL_URCU_REFERENCE_NAME
#define wl_read_reference_begin wl_rcu_read_lock
#define wl_read_reference_end	wl_rcu_read_unlock
#endif

#endif /* WALKLAB_BACKEND_LOCKLESS_WALK_HELPERS_H */
