/* SPDX-License-Identifier: MIT */
/*
 * internal.h - helpers shared by the core's writers (mm/internal.h).
 */
#ifndef WALKLAB_INTERNAL_H
#define WALKLAB_INTERNAL_H

#include "arch.h"
#include "mm.h"
#include "mmu_gather.h"
#include "ring.h"
#include "sb.h"

/* An entry found and locked by wl_entry_lock(). */
struct wl_locked_entry {
	uint32_t table;	    /* the table holding the entry (its ptl is held) */
	unsigned int index; /* the entry's index in it */
	enum wl_level level;
	pteval_t val; /* its value when locked */
};
bool wl_entry_lock(struct wl_mm *mm, uint64_t addr, struct wl_locked_entry *le);
void wl_entry_unlock(struct wl_locked_entry *le);

static inline _Atomic pteval_t *wl_entry_ptr(uint32_t table, unsigned int i)
{
	return &wl_table(table)->e[i];
}

/*
 * Read an entry of a table the caller keeps alive by its locks.  Consume,
 * as the walker's READ_ENTRY (gup.c): the locks keep the table alive, but
 * the entry may have been published under a lock this caller does not
 * hold (a split fills a PTE table and installs it under the PMD lock while
 * a zap holds only mmap_lock), and the caller follows it into that table
 * and its folios.  Pairs with the release in set_entry() below.  A store
 * of this CPU still in its simulated store buffer is forwarded (sb.h).
 */
static inline pteval_t pt_entry(uint32_t table, unsigned int i)
{
	_Atomic pteval_t *p = &wl_table(table)->e[i];
	uint64_t v;

	if (unlikely(wl_sb_pending) && wl_sb_forward((const void *)p, &v))
		return v;
	/* consume: pairs with set_entry()'s release (see above) */
	return atomic_load_explicit(p, memory_order_consume);
}

/* The PMD table covering addr, or WL_TABLE_NONE; mmap_lock held. */
static inline uint32_t wl_pmd_table_of(struct wl_mm *mm, uint64_t addr)
{
	pteval_t v = pt_entry(mm->pgd, pgd_index(addr));

	if (!pte_present(v))
		return WL_TABLE_NONE;
	v = pt_entry((uint32_t)pte_pfn(v), pud_index(addr));
	if (!pte_present(v) || pte_leaf(v))
		return WL_TABLE_NONE;
	return (uint32_t)pte_pfn(v);
}

/*
 * Publish a new entry.  Release: orders a table's (or folio's)
 * initialisation before the entry, for a walker that reads the entry and
 * follows it (the kernel's smp_wmb() in pmd_install()); pairs with the
 * address dependency of the walker's consume load (READ_ENTRY in gup.c).
 */
static inline void set_entry(uint32_t table, unsigned int i, pteval_t v)
{
	wl_sb_barrier(WL_SB_DRAIN_RELEASE); /* buffered stores first (sb.h) */
	/* release: orders the initialisation first; pairs as said above */
	atomic_store_explicit(wl_entry_ptr(table, i), v, memory_order_release);
	wl_trace_entry(WL_TEV_SET, table, i, v);
}

/*
 * ptep_get_and_clear(): seq_cst xchg, a full barrier like x86's xchg: it
 * orders the clear before the writer's later refcount and pin reads, and
 * pairs with the walker's seq_cst add-unless-zero and entry recheck
 * (store buffering: one side sees the other).
 */
static inline pteval_t get_and_clear(uint32_t table, unsigned int i)
{
	wl_sb_barrier(WL_SB_DRAIN_RMW); /* a full RMW drains (sb.h) */
	/* seq_cst: orders and pairs as said above */
	pteval_t old = atomic_exchange_explicit(wl_entry_ptr(table, i), 0,
						memory_order_seq_cst);

	wl_trace_entry(WL_TEV_UNLINK, table, i, old);
	return old;
}

/*
 * The unlink at a publication point (sb.h): the store a sync's tracker
 * read races with.  With --inject-sb off, get_and_clear() as everywhere.
 *
 * pmd_clear()/pud_clear() (free_pgtables, huge_pmd_unshare()): a plain
 * store on every architecture, so it goes through the store buffer.
 * Returns the old value (the caller holds the table's lock).
 */
static inline pteval_t wl_unlink_plain(uint32_t table, unsigned int i)
{
	pteval_t v;

	if (likely(!wl_sb_on))
		return get_and_clear(table, i);
	v = pt_entry(table, i);
	wl_sb_store_u64(wl_entry_ptr(table, i), 0, false, table);
	return v;
}

/*
 * pmdp_huge_get_and_clear() (pmdp_collapse_flush()): x86's is xchg(), a
 * fully ordered RMW (it drains); arm64's is xchg_relaxed(), whose store
 * is ordered before nothing later, modelled as a buffered store.  Which
 * one the arch model runs: wl_arch_clear_is_full_barrier() (arch.c).
 */
static inline pteval_t wl_unlink_get_and_clear(uint32_t table, unsigned int i)
{
	if (likely(!wl_sb_on) || wl_arch_clear_is_full_barrier())
		return get_and_clear(table, i);
	return wl_unlink_plain(table, i);
}

bool wl_vma_intersects(struct wl_mm *mm, uint64_t start, uint64_t end);
int wl_vma_remove(struct wl_mm *mm, uint64_t start, uint64_t end);

/* memory.c: zap + free_pgtables for munmap.  mmap_lock held for write. */
void wl_unmap_region(struct wl_mm *mm, uint64_t start, uint64_t end);
/* memory.c: allocate tables down to the PMD table for addr (ptl-safe). */
uint32_t wl_pmd_table_alloc(struct wl_mm *mm, uint64_t addr);

/* huge_memory.c: a deposited table for a huge PMD (pgtable deposit). */
void wl_pgtable_deposit(uint32_t pmd_table, uint32_t pte_table);
uint32_t wl_pgtable_withdraw(uint32_t pmd_table);
/* huge_memory.c: split with mmap_lock already held by the caller. */
int wl_split_huge_pmd_locked_mm(struct wl_mm *mm, uint64_t haddr);
/*
 * memory.c: map folio (2 MiB) at haddr with its deposited table, if the
 * PMD is still none; otherwise release both.  Consumes folio and deposit.
 */
void wl_install_huge_pmd(struct wl_mm *mm, uint32_t pmd, uint64_t haddr,
			 struct wl_page *folio, uint32_t deposit,
			 unsigned int vm_flags);

/*
 * numa.c: a fault met a protnone huge PMD (do_huge_pmd_numa_page()): make
 * it present again.  Returns false if the PMD is not that.
 */
bool wl_numa_hint_fault_pmd(uint32_t pmd, uint64_t haddr);

static inline pteval_t wl_vm_prot(unsigned int vm_flags)
{
	if (!(vm_flags & (VM_READ | VM_WRITE)))
		return _PAGE_PROTNONE | _PAGE_USER | _PAGE_ACCESSED;
	return _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED |
	       ((vm_flags & VM_WRITE) ? _PAGE_RW | _PAGE_DIRTY : 0);
}

/*
 * backend_stats.c: a sync, or a free (free_tables or free_table_one), that
 * the core began at t0 (wl_now_ns()) has returned: count and time it.
 */
void wl_backend_count_sync(uint64_t t0);
void wl_backend_count_free(uint64_t t0);
/* The same for a free_table_one() call, counted apart too. */
void wl_backend_count_free_one(uint64_t t0);

#endif /* WALKLAB_INTERNAL_H */
