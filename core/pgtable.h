/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - simulated 4-level x86-64-like page tables.
 *
 * A table page holds 512 64-bit entries.  Table pages come from a pool with
 * its own allocator that reuses freed pages LIFO (as the kernel's page
 * allocator would hand a hot page back), fills them with POISON on free,
 * and keeps for each a generation that is odd while the page is free and
 * even while it is in use, so that the checker can tell that a table it
 * walked was freed (and perhaps reused) under it.
 *
 * Entries are read by lockless walkers with relaxed loads (READ_ONCE) and
 * indexed from the value read (the kernel's *_offset_lockless()); the
 * address dependency from the entry to the next table orders the loads, as
 * on every architecture Linux supports but Alpha.  Writers publish a new
 * table with a release store (the kernel's smp_wmb() in pmd_install()), so
 * that a walker that sees the entry also sees the table's initialised
 * contents.
 */
#ifndef WALKLAB_PGTABLE_H
#define WALKLAB_PGTABLE_H

#include "compiler.h"

#include <pthread.h>

typedef uint64_t pteval_t; /* the value of an entry at any level */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(UINT64_C(1) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PTRS_PER_TABLE	512
#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define PGDIR_SHIFT	39
#define PMD_SIZE	(UINT64_C(1) << PMD_SHIFT)
#define PUD_SIZE	(UINT64_C(1) << PUD_SHIFT)
#define PGDIR_SIZE	(UINT64_C(1) << PGDIR_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
#define PUD_MASK	(~(PUD_SIZE - 1))
#define HPAGE_PMD_ORDER (PMD_SHIFT - PAGE_SHIFT) /* 9 */
#define HPAGE_PUD_ORDER (PUD_SHIFT - PAGE_SHIFT) /* 18 */
#define HPAGE_PMD_NR	(1u << HPAGE_PMD_ORDER)
#define TASK_SIZE	(UINT64_C(1) << 47)

/* Entry bits, after x86-64 where it has them. */
#define _PAGE_PRESENT	(UINT64_C(1) << 0)
#define _PAGE_RW	(UINT64_C(1) << 1)
#define _PAGE_USER	(UINT64_C(1) << 2)
#define _PAGE_ACCESSED	(UINT64_C(1) << 5)
#define _PAGE_DIRTY	(UINT64_C(1) << 6)
#define _PAGE_PSE	(UINT64_C(1) << 7)  /* leaf at PMD or PUD level */
#define _PAGE_PROTNONE	(UINT64_C(1) << 8)  /* x86 reuses GLOBAL, !PRESENT */
#define _PAGE_SPECIAL	(UINT64_C(1) << 9)  /* no struct page (PFNMAP) */
#define _PAGE_MIGRATION (UINT64_C(1) << 10) /* non-present: migration entry */
/* Huge PMD being split, pre-4.5 protocol only (core/legacy_thp.c). */
#define _PAGE_SPLITTING (UINT64_C(1) << 11)
#define _PAGE_PFN_SHIFT 12
#define _PAGE_PFN_MASK	(((UINT64_C(1) << 40) - 1) << _PAGE_PFN_SHIFT)

/* Entries of a table in the upper levels (kernel _PAGE_TABLE). */
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

/* What a freed table is filled with: slab's POISON_FREE byte. */
#define WL_POISON UINT64_C(0x6b6b6b6b6b6b6b6b)

static inline uint64_t pte_pfn(pteval_t v)
{
	return (v & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT;
}
static inline pteval_t pfn_pte(uint64_t pfn, pteval_t prot)
{
	return (pfn << _PAGE_PFN_SHIFT) | prot;
}
static inline bool pte_none(pteval_t v)
{
	return v == 0;
}
static inline bool pte_present(pteval_t v)
{
	/* Like x86: PROTNONE entries are present to the kernel. */
	return v & (_PAGE_PRESENT | _PAGE_PROTNONE);
}
static inline bool pte_protnone(pteval_t v)
{
	return (v & (_PAGE_PRESENT | _PAGE_PROTNONE)) == _PAGE_PROTNONE;
}
static inline bool pte_special(pteval_t v)
{
	return v & _PAGE_SPECIAL;
}
static inline bool pte_leaf(pteval_t v) /* pmd_leaf()/pud_leaf() */
{
	return (v & _PAGE_PSE) && pte_present(v);
}
static inline bool pte_is_migration(pteval_t v)
{
	return !(v & (_PAGE_PRESENT | _PAGE_PROTNONE)) && (v & _PAGE_MIGRATION);
}
static inline bool pte_poisoned(pteval_t v)
{
	return v == WL_POISON;
}
/* pte_access_permitted(): present to the hardware, user, and writable. */
static inline bool pte_access_permitted(pteval_t v, bool write)
{
	if ((v & (_PAGE_PRESENT | _PAGE_USER)) != (_PAGE_PRESENT | _PAGE_USER))
		return false;
	return !write || (v & _PAGE_RW);
}

static inline unsigned int pgd_index(uint64_t a)
{
	return (a >> PGDIR_SHIFT) & (PTRS_PER_TABLE - 1);
}
static inline unsigned int pud_index(uint64_t a)
{
	return (a >> PUD_SHIFT) & (PTRS_PER_TABLE - 1);
}
static inline unsigned int pmd_index(uint64_t a)
{
	return (a >> PMD_SHIFT) & (PTRS_PER_TABLE - 1);
}
static inline unsigned int pte_index(uint64_t a)
{
	return (a >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1);
}

enum wl_level { WL_PTE = 0, WL_PMD = 1, WL_PUD = 2, WL_PGD = 3 };

/* A table page. */
struct wl_table {
	_Atomic pteval_t e[PTRS_PER_TABLE];
};

/* Per-table-page metadata (the kernel's struct ptdesc). */
struct wl_ptdesc {
	/*
	 * A seqcount on the page's contents (see wl_table_gen_begin()): odd
	 * while free, even while in use; bumped at free, alloc and reuse.
	 */
	_Atomic uint32_t gen;
	uint8_t level;
	/* Split page-table lock for this table's entries. */
	_Atomic int ptl;
	/*
	 * The 2021 series' per-PTE-table count (pte_try_get()/pte_put()):
	 * 1, the table's own reference, from allocation; walkers add theirs.
	 * Only the pte_refcount backend drops the own one (at unlink) and
	 * frees on the last put; elsewhere walkers take and drop theirs and
	 * the count never reaches zero.
	 */
	_Atomic int pt_refcount;
	/* Room for a backend's deferred-free link (an rcu_head). */
	alignas(16) unsigned char backend_head[32];
	/* The allocator's free list; links deposited tables too. */
	uint32_t next_free;
	/* PMD tables: the PTE tables deposited for huge PMDs (under ptl). */
	uint32_t deposit;
};

/* The table pool. Indices are stored in entries where a PFN would be. */
struct wl_table_pool {
	struct wl_table *tables;
	struct wl_ptdesc *desc;
	uint32_t nr;
	/* Allocator state, under lock. */
	pthread_mutex_t lock;
	uint32_t free_head;
	uint32_t nr_free;
	/* Freed-but-deferred accounting: unlinked, handed to the backend. */
	_Atomic int64_t deferred;
	_Atomic int64_t deferred_peak;
	_Atomic uint64_t allocs, frees;
};
extern struct wl_table_pool wl_tables;

#define WL_TABLE_NONE UINT32_MAX

int wl_table_pool_init(uint32_t nr_tables);
void wl_table_pool_fini(void);
/* Allocate a zeroed table page; WL_TABLE_NONE when the pool is empty. */
uint32_t wl_table_alloc(enum wl_level level);
/*
 * Free a table page now: poison it, bump its generation, put it on the
 * free list.  Only a backend (or core code that owns a never-published
 * table) calls this, once every walker that could see the table is done.
 */
void wl_table_free(uint32_t idx);
/*
 * A table page reused without going through the allocator (a deposited
 * table refilled by a PMD split): bumps the generation as a free plus an
 * allocation would, so a walker still inside it is caught.
 */
void wl_table_reuse(uint32_t idx);
static inline struct wl_table *wl_table(uint32_t idx)
{
	return &wl_tables.tables[idx];
}
static inline struct wl_ptdesc *wl_ptdesc(uint32_t idx)
{
	return &wl_tables.desc[idx];
}

/*
 * The generation is a seqcount whose write side is the allocator, for the
 * checker (the kernel has no such thing; the walker's protection is the
 * backend's).  The write sections:
 *
 *	wl_table_free():  gen++ (odd); smp_wmb(); the poison stores
 *	wl_table_alloc(): the zeroing stores; smp_wmb(); gen++ (even)
 *	wl_table_reuse(): gen += 2; smp_wmb(); (the caller's refill stores)
 *
 * A walker reads it as read_seqcount_begin()/read_seqcount_retry() do,
 * except that begin does not wait for an odd value: an odd value means the
 * walker entered a freed table, which is the finding.
 *
 *	gen = wl_table_gen_begin(t);	(odd: freed)
 *	... the entry loads ...
 *	if (wl_table_gen_retry(t, gen))	(freed or reused under the walk)
 */
static __wl_always_inline uint32_t wl_table_gen_begin(uint32_t idx)
{
	uint32_t gen = READ_ONCE(wl_tables.desc[idx].gen);

	/*
	 * Orders the generation load before the entry loads that follow;
	 * pairs with the smp_wmb() before the even increment in
	 * wl_table_alloc(): a walker that read the even value reads the
	 * zeroed entries (or later ones), never the poison before them.
	 */
	smp_rmb();
	return gen;
}

static __wl_always_inline bool wl_table_gen_retry(uint32_t idx, uint32_t gen)
{
	/*
	 * Orders the walker's entry loads before the generation reload;
	 * pairs with the smp_wmb() after the odd increment in wl_table_free()
	 * (and after the bump in wl_table_reuse()): a walker that read a
	 * poison or refilled entry rereads a changed generation.
	 */
	smp_rmb();
	return READ_ONCE(wl_tables.desc[idx].gen) != gen;
}

/*
 * The per-PTE-table count (pt_refcount): pte_try_get() and pte_put(), for
 * whichever walker or backend uses it (backends/pte_refcount, core/pte_map.c).
 */
static __wl_always_inline bool wl_pt_ref_try_get(uint32_t idx)
{
	_Atomic int *c = &wl_tables.desc[idx].pt_refcount;
	int v = atomic_load_explicit(c, memory_order_relaxed);

	do {
		if (!v)
			return false;
		/* seq_cst (atomic_inc_not_zero()): orders the get before the
		 * table's loads; pairs with the acq_rel put that reaches zero */
	} while (!atomic_compare_exchange_weak_explicit(
		c, &v, v + 1, memory_order_seq_cst, memory_order_relaxed));
	return true;
}

/* true when that was the last reference: the caller frees the table. */
static __wl_always_inline bool wl_pt_ref_put(uint32_t idx)
{
	/* acq_rel (refcount_dec_and_test()): our loads before the put; the
	 * acquire half pairs with every earlier put, so the free follows */
	return atomic_fetch_sub_explicit(&wl_tables.desc[idx].pt_refcount, 1,
					 memory_order_acq_rel) == 1;
}

/* Bounds check for a table index read from an entry (a UAF may read junk). */
static inline bool wl_table_valid(uint64_t idx)
{
	return idx < wl_tables.nr;
}

/*
 * A batch of table pages on their way to be freed (struct mmu_table_batch).
 * The backend owns it from free_tables() on and hands it back with
 * wl_table_batch_release(), which frees every table and the batch.
 */
#define WL_MAX_TABLE_BATCH 510 /* (4096 - header) / 8, as on x86-64 */
struct wl_table_batch {
	alignas(16) unsigned char backend_head[32]; /* an rcu_head, say */
	unsigned int nr;
	uint32_t tables[WL_MAX_TABLE_BATCH];
};
/* May fail (returns NULL) when failure injection says so: GFP_NOWAIT. */
struct wl_table_batch *wl_table_batch_alloc(void);
void wl_table_batch_release(struct wl_table_batch *batch);

/*
 * Deferred-free accounting: core/mmu_gather.c counts tables when it hands
 * them to the backend; wl_table_batch_release() and wl_table_release_one()
 * (the backend's way to free a table passed to free_table_one) uncount them.
 */
void wl_table_deferred_add(int64_t n);
void wl_table_release_one(uint32_t idx);
/* Failure injection for wl_table_batch_alloc(), parts per 65536. */
extern _Atomic uint32_t wl_batch_alloc_fail_prob;

#endif /* WALKLAB_PGTABLE_H */
