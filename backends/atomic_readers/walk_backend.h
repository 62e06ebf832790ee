/* SPDX-License-Identifier: MIT */
/*
 * atomic_readers: a reader count that writers poll until it reads zero.
 *
 * Strategy. Will Deacon's proposal for ARM GUP-fast vs THP split (October 2013:
 * docs/kernel-protocol.md 3.3, docs/history.md 3.7): the walker increments a
 * reader count, issues a full barrier, walks, issues a full barrier and
 * decrements. A writer that has unlinked tables issues a full barrier and spins
 * until the count reads zero, then frees; sync is the same wait. No IPIs, no
 * IRQ masking.  The counter layout is a build option (one configuration
 * each):
 *   global  one counter for the whole machine, as proposed;
 *   permm   one per mm, in mm->backend_scratch[0];
 *   percpu  one per simulated CPU, each on its own cache line; a CPU only
 *           writes its own (this_cpu_inc(): no locked RMW), writers poll
 *           every CPU's counter one by one.  A walker must be a CPU.
 *
 * Assumes of the architecture model: nothing.
 *
 * Why it is safe.  Store buffering between the writer's "clear the entry;
 * smp_mb(); read the count" and the walker's "increment; smp_mb(); read the
 * entry": with both barriers, one side sees the other.  Either the writer
 * reads the walker's increment (and waits for its decrement), or the
 * walker reads the cleared entry (and never reaches the unlinked table).
 * A count that reads zero means every walk counted before it has
 * decremented: each thread's decrement follows its increment, so zero is
 * a balanced prefix.  The barrier before the decrement orders the walk's
 * reads before it; the writer's acquire fence after the zero read pairs
 * with it, so the free comes after those reads.
 *
 * Not starvation-free.  With the global or per-mm counter, overlapping
 * walks on two CPUs can keep the count above zero forever and the writer
 * waits as long (Peter Zijlstra's objection to the 2019 powerpc series
 * adds the contention of one shared line).  That is the proposal's
 * property and is left visible: polls and the longest wait are in the
 * statistics, and a wait past the stall threshold is reported by the
 * stall detector (and aborts past the panic threshold).  Per-CPU counters
 * polled one by one are not starvation-free either: a CPU that walks
 * back-to-back keeps its own count non-zero nearly all the time and the
 * writer sees its zero only by luck.  It takes one such CPU, where the
 * shared counter needs only walks on two CPUs to overlap, so it is less
 * likely, not impossible.
 *
 * Memory ordering, reader side here, writer side in atomic_readers.c
 * (ar_wait_readers()):
 *  - smp_mb() after the increment: the increment before the walk's first
 *    read; pairs with the writer's smp_mb() between its unlink and its
 *    poll (store buffering, above).
 *  - smp_mb() before the decrement: the walk's reads before the
 *    decrement; pairs with the writer's acquire fence after it read zero.
 *    A release decrement would do; the full barrier is the proposal's
 *    smp_mb__before_atomic_dec() and is what we measure.
 */
#ifndef WALKLAB_BACKEND_ATOMIC_READERS_H
#define WALKLAB_BACKEND_ATOMIC_READERS_H

#include "mm.h"
#include "smp.h"

#if WL_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(WALKLAB_ATOMIC_GLOBAL)
#define WL_AR_LAYOUT "global"
/* The one counter, alone on its cache line. */
struct wl_ar_counter {
	__wl_cacheline_aligned _Atomic long count;
};
extern struct wl_ar_counter wl_ar_global;

static __wl_always_inline _Atomic long *wl_ar_counter(struct wl_mm *mm)
{
	return &wl_ar_global.count;
}
#elif defined(WALKLAB_ATOMIC_PERMM)
#define WL_AR_LAYOUT "permm"
static __wl_always_inline _Atomic long *wl_ar_counter(struct wl_mm *mm)
{
	return &mm->backend_scratch[0];
}
#elif defined(WALKLAB_ATOMIC_PERCPU)
#define WL_AR_LAYOUT "percpu"
struct wl_ar_counter {
	__wl_cacheline_aligned _Atomic long count;
};
extern struct wl_ar_counter wl_ar_percpu[WL_NR_CPUS];
/* A walk on a thread that is not a simulated CPU: abort. */
void wl_ar_not_a_cpu(void) __attribute__((noreturn, cold));

static __wl_always_inline _Atomic long *wl_ar_counter(struct wl_mm *mm)
{
	int cpu = smp_processor_id();

	if (unlikely(cpu < 0))
		wl_ar_not_a_cpu();
	return &wl_ar_percpu[cpu].count;
}
#else
#error "Unknown counter layout: define WALKLAB_ATOMIC_{GLOBAL,PERMM,PERCPU}"
#endif

/* The cookie is the counter incremented, which end decrements. */
static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
	_Atomic long *c = wl_ar_counter(mm);

#if defined(WALKLAB_ATOMIC_PERCPU)
	/* this_cpu_inc(): only this CPU writes it, signals never walk. */
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
#else
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
#endif
	smp_mb(); /* count before the walk; pairs with ar_wait_readers()'s
		   * smp_mb() between unlink and poll (store buffering) */
	return (unsigned long)(uintptr_t)c;
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
	_Atomic long *c = (_Atomic long *)(uintptr_t)cookie;

	smp_mb(); /* walk before the uncount; pairs with the acquire fence
		   * in ar_wait_readers() after it reads zero */
#if WL_TSAN
	/* TSan does not model fences: name the edge (ar_wait_readers()). */
	__tsan_release((void *)c);
#endif
#if defined(WALKLAB_ATOMIC_PERCPU)
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) - 1,
			      memory_order_relaxed);
#else
	atomic_fetch_sub_explicit(c, 1, memory_order_relaxed);
#endif
}

#endif /* WALKLAB_BACKEND_ATOMIC_READERS_H */
