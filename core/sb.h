/* SPDX-License-Identifier: MIT */
/*
 * sb.h - a simulated per-CPU store buffer (torture --inject-sb on), to make
 * store-buffering bugs show on a host whose own store buffer empties in
 * nanoseconds (docs/kernel-protocol.md 6.3).
 *
 * Only the protocol's publication points store through it
 * (wl_sb_store_u64(), wl_sb_store_ptr()):
 * the targeted sync's per-CPU active-walk pointer and the writer's unlink
 * of a table before a sync reads those pointers.  A buffered store is not
 * in memory: other CPUs read the old value; its own CPU reads the new one
 * (store forwarding, wl_sb_load_u64(), pt_entry()).  It reaches memory, in program order
 * per location, only at one of these (wl_sb_drain_reason):
 *
 *  - a full barrier of the owning CPU: smp_mb() (compiler.h), a fully
 *    ordered atomic RMW at a publication point (xchg(), x86's
 *    pmdp_huge_get_and_clear()), a TLB flush step that the architecture
 *    model marks as one (core/arch.c, wl_arch_flush_steps());
 *  - an interrupt taken by the owning CPU (IPI entry: x86 interrupt
 *    delivery is serializing, and the kernel's cross-call receive path
 *    does llist_del_all(), a fully ordered xchg, before any callback);
 *  - a context switch of the owning CPU (__schedule()'s
 *    smp_mb__after_spinlock()): blocking, sleeping, going offline;
 *  - another CPU taking the page-table lock of the table the buffered
 *    store is in, or the mmap_lock: the owner's unlock was a release, so
 *    its earlier stores must be visible to the next holder (a buffer may
 *    always drain early; a page-table lock commits only that table's);
 *  - the buffer being full (WL_SB_ENTRIES stores);
 *  - a later page-table store of the owner: a release (set_entry())
 *    needs them visible first, and an xchg is a full barrier on x86
 *    (get_and_clear() drains; on arm64 a ptep_get_and_clear() would
 *    not: this narrows the window only, and none of the routed paths
 *    has one between its unlink and its tracker read).
 *
 * Plain stores, smp_wmb(), smp_rmb(), acquire loads and the owner's lock
 * releases do not drain it: the LKMM orders none of those before a later
 * load.  Departure: a page-table or mmap_lock acquire commits the stores
 * buffered in that table by every CPU, the owner's included (a real x86
 * LOCK CMPXCHG drains the whole buffer, an LKMM acquire would not).  That
 * can only hide a reordering, never invent one; on the routed paths no
 * lock is taken between an unlink and its tracker read but in
 * free_pgtables, whose flush drains before the sync anyway.
 *
 * Off (the default), nothing is ever buffered: wl_sb_store_*() are a
 * relaxed store after one predictable load of wl_sb_on, and smp_mb()
 * tests one thread-local word (wl_sb_pending, always 0).
 */
#ifndef WALKLAB_SB_H
#define WALKLAB_SB_H

#include "compiler.h"

#include <stdio.h>

#define WL_SB_ENTRIES 8 /* per CPU; the store buffer drains when full */

/* Set before the CPUs run (torture --inject-sb), read relaxed. */
extern bool wl_sb_on;

enum wl_sb_drain_reason {
	WL_SB_DRAIN_MB,	     /* smp_mb() */
	WL_SB_DRAIN_RMW,     /* a fully ordered atomic RMW */
	WL_SB_DRAIN_RELEASE, /* a release store to a page-table entry */
	WL_SB_DRAIN_FLUSH,   /* a TLB flush step marked a full barrier */
	WL_SB_DRAIN_IRQ,     /* an interrupt (IPI) entry */
	WL_SB_DRAIN_SCHED,   /* a context switch (block, sleep, offline) */
	WL_SB_DRAIN_LOCK,    /* another CPU took the table's lock */
	WL_SB_DRAIN_FULL,    /* no free entry */
	WL_NR_SB_DRAIN,
};
extern const char *const wl_sb_drain_names[WL_NR_SB_DRAIN];

/* What a buffered store writes: a page-table entry or a pointer. */
enum wl_sb_kind {
	WL_SB_U64,	   /* _Atomic uint64_t, relaxed (pmd_clear()) */
	WL_SB_U64_RELEASE, /* _Atomic uint64_t, release (set_pmd_at()) */
	WL_SB_PTR,	   /* _Atomic(void *), relaxed (WRITE_ONCE()) */
};

/*
 * Set by this CPU around a flush under --bug flush-no-barrier (arch.c):
 * none of the flush's steps drains (its IPI send included).
 */
extern _Thread_local bool wl_sb_held;

/* The store itself, for the slow path; wl_sb_store_*() decide. */
void wl_sb_buffer(void *addr, uint64_t val, enum wl_sb_kind kind,
		  uint32_t table);
bool wl_sb_forward(const void *addr, uint64_t *val);
void wl_sb_drain_all(enum wl_sb_drain_reason why);

/*
 * A full barrier of this CPU for the store buffer: smp_mb() calls it (via
 * wl_sb_drain(), compiler.h), and so does each fully ordered RMW or flush
 * step the model routes.  Nothing buffered: one thread-local test.
 */
static __wl_always_inline void wl_sb_barrier(enum wl_sb_drain_reason why)
{
	if (unlikely(wl_sb_pending) && !wl_sb_held)
		wl_sb_drain_all(why);
}

/* A publication-point store of a page-table entry (relaxed, or release). */
static __wl_always_inline void wl_sb_store_u64(_Atomic uint64_t *p, uint64_t v,
					       bool release, uint32_t table)
{
	if (likely(!wl_sb_on)) {
		if (release)
			/* release: as set_entry(); the caller names the
			 * pair (the walker's dependent load) */
			atomic_store_explicit(p, v, memory_order_release);
		else
			atomic_store_explicit(p, v, memory_order_relaxed);
		return;
	}
	wl_sb_buffer((void *)p, v, release ? WL_SB_U64_RELEASE : WL_SB_U64,
		     table);
}

/* WRITE_ONCE() of a pointer at a publication point. */
static __wl_always_inline void wl_sb_store_ptr(void *p, void *v)
{
	if (likely(!wl_sb_on)) {
		atomic_store_explicit((_Atomic(void *) *)p, v,
				      memory_order_relaxed);
		return;
	}
	wl_sb_buffer(p, (uint64_t)(uintptr_t)v, WL_SB_PTR, UINT32_MAX - 1);
}

/* A load by the owning CPU of a location it may have buffered. */
static __wl_always_inline uint64_t wl_sb_load_u64(_Atomic uint64_t *p)
{
	uint64_t v;

	if (unlikely(wl_sb_pending) && wl_sb_forward((const void *)p, &v))
		return v;
	return atomic_load_explicit(p, memory_order_relaxed);
}

/*
 * A CPU took table's lock: commit the stores buffered in it, by any CPU.
 * WL_SB_ALL_TABLES (mmap_lock): every buffered store.
 */
#define WL_SB_ALL_TABLES UINT32_MAX
void wl_sb_commit_table(uint32_t table);
extern _Atomic unsigned int wl_sb_nr_buffered; /* all CPUs, a hint */

static __wl_always_inline void wl_sb_lock_acquired(uint32_t table)
{
	if (unlikely(atomic_load_explicit(&wl_sb_nr_buffered,
					  memory_order_relaxed)))
		wl_sb_commit_table(table);
}

/* IRQ entry: drain unless the interrupted code holds the buffer. */
void wl_sb_irq_entry(void);

struct wl_sb_stats {
	uint64_t buffered;  /* stores that went into a buffer */
	uint64_t forwarded; /* owner loads served from its buffer */
	uint64_t drained[WL_NR_SB_DRAIN];
	uint64_t max_resident_ns; /* longest a store stayed buffered */
};
void wl_sb_stats(struct wl_sb_stats *st);
void wl_sb_stats_reset(void);
/* One line: stores buffered, forwarded, drained by reason. */
void wl_sb_stats_print(FILE *f);

#endif /* WALKLAB_SB_H */
