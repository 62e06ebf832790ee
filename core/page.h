/* SPDX-License-Identifier: MIT */
/*
 * page.h - simulated page frames (struct page / struct folio).
 *
 * A folio is 1 (4 KiB), 512 (2 MiB) or 262144 (1 GiB) frames; its refcount
 * and pincount live in the head frame, and every tail frame names its head.
 * As in the kernel:
 *  - try_get is add-unless-zero, so it fails on a frozen (0) refcount;
 *  - ref_freeze(expected) turns refcount == expected into 0, atomically;
 *  - a put to zero returns the folio to the frame allocator;
 *  - FOLL_PIN adds to the head's pincount for large folios, and adds
 *    GUP_PIN_COUNTING_BIAS references for small ones.
 * No 4 KiB data buffers: each frame has one data word for checks that need
 * data, and the address it is mapped at, for the stale-pin check.
 */
#ifndef WALKLAB_PAGE_H
#define WALKLAB_PAGE_H

#include "compiler.h"

#include <pthread.h>

#define GUP_PIN_COUNTING_BIAS 1024

/* Frame flags. */
#define PG_head	   (1u << 0)
#define PG_tail	   (1u << 1)
#define PG_zero	   (1u << 2) /* the shared zero page */
#define PG_movable (1u << 3) /* in ZONE_MOVABLE: not longterm-pinnable */
/*
 * Checker: a writer decided this folio had no pins (collapse's isolate,
 * migration's ref freeze) and is about to discard it; a GUP reference
 * held now is a pin the decision missed (wl_check_held_pages()).  Set on
 * the head; cleared with every flag when the folio is freed.
 */
#define PG_nopin (1u << 4)
/* core/legacy_thp.c: the pre-4.5 compound_lock() bit, on the head. */
#define PG_compound_lock (1u << 5)
/*
 * core/fork.c: fork decided this page was not pinned and shares it with
 * the child (per page, not per folio: fork decides per PTE).  A FOLL_PIN
 * held on it is a pin fork missed (wl_check_held_pins()); GUP-fast treats
 * it as !PageAnonExclusive (gup_must_unshare).  Cleared when the child
 * exits, at the end of the fork op.
 */
#define PG_cow_shared (1u << 6)

/* mapped_addr when a frame is mapped nowhere. */
#define WL_NOT_MAPPED UINT64_MAX

struct wl_page {
	_Atomic int refcount;  /* head: the folio's references */
	_Atomic int pincount;  /* head of a large folio: FOLL_PIN count */
	_Atomic uint32_t head; /* pfn of the head (self for small/head) */
	_Atomic uint32_t flags;
	uint8_t order; /* head: folio order */
	/*
	 * Head only: the virtual address the folio is mapped at, or
	 * WL_NOT_MAPPED once a writer has removed it from the address space
	 * (zap, collapse, migration).  While a reference is held it never goes
	 * from WL_NOT_MAPPED back to an address: the folio can't be freed and
	 * remapped.  The walker reads it after taking its reference.
	 */
	_Atomic uint64_t mapped_addr;
	_Atomic uint64_t data; /* one word of "contents" */
	uint32_t next_free;    /* the allocator's free list */
};

struct wl_page_pool {
	struct wl_page *pages;
	uint64_t nr;
	pthread_mutex_t lock;
	/* Free lists per supported order, LIFO. */
	uint32_t free_head[3];
	uint64_t nr_free[3];
	_Atomic uint64_t allocs, frees;
};
extern struct wl_page_pool wl_pages;

/* Order index for the free lists: 0, HPAGE_PMD_ORDER, HPAGE_PUD_ORDER. */
int wl_page_pool_init(uint64_t nr_frames);
void wl_page_pool_fini(void);
/* A folio of that order (0, 9 or 18), refcount 1; NULL when out of memory. */
struct wl_page *wl_folio_alloc(unsigned int order);

static inline uint64_t page_to_pfn(const struct wl_page *p)
{
	return (uint64_t)(p - wl_pages.pages);
}
static inline struct wl_page *pfn_to_page(uint64_t pfn)
{
	return &wl_pages.pages[pfn];
}
static inline bool pfn_valid(uint64_t pfn)
{
	return pfn < wl_pages.nr;
}
/*
 * Consume: the folio's fields are read through the pointer this returns
 * (the kernel relies on that address dependency; compilers promote consume
 * to acquire, a plain load on x86).  Pairs with the release of ->head in
 * the pre-4.5 split (legacy_thp.c, split_refcount()): whoever finds a
 * split tail as its own folio also sees its order and counts.
 */
static inline struct wl_page *page_folio(struct wl_page *p)
{
	return pfn_to_page(
		atomic_load_explicit(&p->head, memory_order_consume));
}
/*
 * Relaxed: the pre-4.5 split (legacy_thp.c) clears a head's order while
 * another writer's zap of a PTE-mapped tail may test it, as the kernel's
 * PageCompound() tests a flag bit a split clears.  Nothing is ordered by it.
 */
static inline bool folio_test_large(const struct wl_page *f)
{
	return __atomic_load_n(&f->order, __ATOMIC_RELAXED) > 0;
}
static inline int folio_ref_count(struct wl_page *f)
{
	return atomic_load_explicit(&f->refcount, memory_order_relaxed);
}
static inline int folio_pincount(struct wl_page *f)
{
	return atomic_load_explicit(&f->pincount, memory_order_relaxed);
}
static inline uint64_t folio_nr_pages(const struct wl_page *f)
{
	return UINT64_C(1) << f->order;
}

/*
 * folio_ref_try_add() - add-unless-zero.  Fully ordered (seq_cst RMW), as
 * the kernel's atomic_add_unless(): it orders the reference before the
 * walker's later rechecks of the PMD and PTE, and pairs with the writers'
 * "clear the entry, then read the refcount" (ref_freeze's cmpxchg and
 * collapse's refcount check are seq_cst too).
 */
static inline bool folio_ref_try_add(struct wl_page *f, int refs)
{
	int c = atomic_load_explicit(&f->refcount, memory_order_relaxed);

	/* seq_cst on success: orders and pairs as said above */
	do {
		if (c == 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&f->refcount, &c, c + refs, memory_order_seq_cst,
		memory_order_relaxed));
	return true;
}

/* folio_ref_add() - a caller that already holds a stable reference. */
static inline void folio_ref_add(struct wl_page *f, int refs)
{
	atomic_fetch_add_explicit(&f->refcount, refs, memory_order_relaxed);
}

/* folio_put_refs(); frees the folio when the count drops to zero. */
void folio_put_refs(struct wl_page *f, int refs);
static inline void folio_put(struct wl_page *f)
{
	folio_put_refs(f, 1);
}

/*
 * folio_ref_freeze() - refcount == count becomes 0, or fail.  seq_cst: the
 * freeze comes after the caller's unmap (entries cleared, TLB flushed) and
 * pairs with the walker's add-unless-zero followed by its entry recheck.
 */
static inline bool folio_ref_freeze(struct wl_page *f, int count)
{
	int expected = count;

	/* seq_cst: pairs with folio_ref_try_add() and the recheck (above) */
	return atomic_compare_exchange_strong_explicit(&f->refcount, &expected,
						       0, memory_order_seq_cst,
						       memory_order_relaxed);
}
/*
 * Release: orders the copy done while frozen before the count, for the
 * next try_get; pairs with the seq_cst CAS in folio_ref_try_add().
 */
static inline void folio_ref_unfreeze(struct wl_page *f, int count)
{
	atomic_store_explicit(&f->refcount, count, memory_order_release);
}

/* Checker: the mapping of the folio. */
static inline void folio_set_mapped(struct wl_page *f, uint64_t addr)
{
	WRITE_ONCE(f->mapped_addr, addr);
}
/*
 * Release: the writer's removal of the entry (cleared PTE/PMD) is ordered
 * before the mark, so a walker that reads WL_NOT_MAPPED (acquire, in
 * gup.c) also sees the removal when it rechecks the entry.
 */
static inline void folio_set_unmapped(struct wl_page *f)
{
	atomic_store_explicit(&f->mapped_addr, WL_NOT_MAPPED,
			      memory_order_release);
}

/*
 * A migration target that was never installed (NULL: none, or it was):
 * unmark it for the checker and drop the allocation's reference.
 */
static inline void folio_put_unused(struct wl_page *f)
{
	if (!f)
		return;
	folio_set_unmapped(f);
	folio_put(f);
}

/*
 * Checker: mark the "no pins" decision.  seq_cst: ordered after the
 * decision's refcount check or freeze; pairs with the holder's read of
 * the flag (check.c): a holder that sees it holds a reference the
 * decision missed.
 */
static inline void folio_set_nopin(struct wl_page *f)
{
	atomic_fetch_or_explicit(&f->flags, PG_nopin, memory_order_seq_cst);
}

/* Teardown balance check: every frame free, refcount and pincount 0. */
struct wl_page_balance {
	uint64_t in_use;       /* folios still allocated */
	uint64_t bad_refcount; /* free frames with refcount != 0 */
	uint64_t bad_pincount;
};
void wl_page_pool_balance(struct wl_page_balance *b);

#endif /* WALKLAB_PAGE_H */
