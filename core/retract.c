// SPDX-License-Identifier: MIT
/*
 * retract.c - khugepaged's retract_page_tables() / collapse_pte_mapped_thp()
 * (Hugh Dickins, 2023; KERNEL.md 2.3, 4.9, 7.5, docs/history.md): clear a
 * PMD that points to a PTE table with pmdp_collapse_flush() under the PMD
 * and PTE locks, pmdp_get_lockless_sync(), unlock, and free the table with
 * pte_free_defer(), without mmap_lock for write: a fault may install a new
 * PTE table as soon as the PMD lock is dropped.
 *
 * pmdp_get_lockless_sync() is a tlb_remove_table_sync_one() on 32-bit PAE
 * only ("issue missing interrupt if PAE"): a walker reading the PMD as two
 * halves with IRQs off (gup.c's pmdp_get_lockless()) must be done with it
 * before any new PMD can appear.  Under the PMD lock that holds; run after
 * the unlock (the January 2026 question, KERNEL.md 7.5: --bug
 * pae-sync-after-unlock), a new table B can be installed while a walker
 * holds the old low half: its low/high/low retry sees the same low half
 * twice and pairs it with a high half it read while the PMD was none.
 *
 * Model: with the bug, the op itself faults addr in between the unlock and
 * the sync, as another thread's fault could.  The process's pages stay in the detached table until the op drops
 * them (the kernel's are page cache, mapped again by the huge PMD); they
 * are put after the flush, the table goes through the backend as
 * pte_free_defer() does.  Without PAE the sync is skipped, as the kernel's
 * stub is empty.
 *
 * wl_unshare_pte_table() stands for hugetlb's huge_pmd_unshare() as Jann
 * Horn's 2025 fix of its race with GUP-fast has it (pud_clear(), then
 * tlb_remove_table_sync_one() at once, the TLB flush later in the caller,
 * and the table then lives on in another mm).  Departures: no shared
 * hugetlb PMD tables are modelled, so a PTE table linked by a PMD entry
 * stands for the PMD table linked by a PUD entry, and its reuse is an
 * immediate free (the checker sees both as a table reused under a walk).
 * The order of the steps, which is what a store-buffering race depends
 * on, is the kernel's.
 */
#include "arch.h"
#include "check.h"
#include "internal.h"

#include <errno.h>

/* pmdp_get_lockless_sync(). */
static void pmdp_get_lockless_sync(struct wl_mm *mm)
{
	if (wl_arch_pae)
		wl_tlb_remove_table_sync_one(mm);
}

/*
 * The detached table's pages, and the table, after the flush: through the
 * backend (pte_free_defer()), or at once when reused (the table lives on
 * as another mm's, as a hugetlb PMD table does after unsharing).
 */
static void free_detached(struct wl_mm *mm, uint32_t pte, bool reused)
{
	struct wl_mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		pteval_t v = get_and_clear(pte, i);

		if (!pte_present(v) || pte_special(v) || !pfn_valid(pte_pfn(v)))
			continue;
		struct wl_page *folio = page_folio(pfn_to_page(pte_pfn(v)));

		if (!folio_test_large(folio))
			folio_set_unmapped(folio);
		tlb_remove_folio(&tlb, folio, 1);
	}
	if (!reused)
		tlb_remove_table(&tlb, pte); /* pte_free_defer() */
	tlb_finish_mmu(&tlb);
	if (reused)
		wl_table_free(pte); /* no deferral: the sync was the wait */
}

/*
 * Take mmap_lock for read and the lock of haddr's PMD table, which goes
 * to *pmd, with the PTE table its entry links in *pte; else unlock all
 * and return -errno.
 */
static int lock_pte_table(struct wl_mm *mm, uint64_t haddr, uint32_t *pmd,
			  uint32_t *pte)
{
	pteval_t v;

	mmap_read_lock(mm);
	*pmd = wl_pmd_table_of(mm, haddr);
	if (*pmd == WL_TABLE_NONE) {
		mmap_read_unlock(mm);
		return -ENOENT;
	}
	wl_ptl_lock(*pmd);
	v = pt_entry(*pmd, pmd_index(haddr));
	if (!pte_present(v) || pte_leaf(v) || !wl_table_valid(pte_pfn(v))) {
		wl_ptl_unlock(*pmd);
		mmap_read_unlock(mm);
		return -EINVAL;
	}
	*pte = (uint32_t)pte_pfn(v);
	return 0;
}

int wl_retract_pte_table(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK;
	unsigned int i = pmd_index(haddr);
	uint32_t pmd, pte;
	int ret;

	ret = lock_pte_table(mm, haddr, &pmd, &pte);
	if (ret)
		return ret;
	wl_ptl_lock(pte);
	/* pmdp_collapse_flush(): clear (a publication point), then flush. */
	wl_unlink_get_and_clear(pmd, i);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	if (!wl_bugs.pae_sync_after_unlock)
		pmdp_get_lockless_sync(mm);
	wl_ptl_unlock(pte);
	wl_ptl_unlock(pmd);
	if (wl_bugs.pae_sync_after_unlock) {
		/*
		 * A fault installs a new PTE table before the sync: any
		 * thread's may; this one's makes the window certain.
		 */
		wl_inject(WL_INJ_WRITER_UNLINK);
		wl_handle_mm_fault(mm, haddr, FAULT_FLAG_TRIED);
		pmdp_get_lockless_sync(mm);
	}
	free_detached(mm, pte, false);
	mmap_read_unlock(mm);
	atomic_fetch_add_explicit(&mm->nr_collapses, 1, memory_order_relaxed);
	return 0;
}

int wl_unshare_pte_table(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK;
	uint32_t pmd, pte;
	int ret;

	ret = lock_pte_table(mm, haddr, &pmd, &pte);
	if (ret)
		return ret;
	/*
	 * The table's own lock across the unlink, as retract takes it: the
	 * kernel's unsharer holds the hugetlb VMA lock for write, which
	 * keeps out every fault and zap of the range.  Without it a zap or
	 * fault already past its PMD recheck went on writing this table's
	 * entries after the immediate free below, into whatever table reused
	 * it (scenario targeted-sync-mb, table_uaf and refcount underflows).
	 */
	wl_ptl_lock(pte);
	/* pud_clear(): a plain store, a publication point (sb.h). */
	wl_unlink_plain(pmd, pmd_index(haddr));
	/*
	 * tlb_remove_table_sync_one() at once, before any flush: nothing
	 * but the sync's own barrier orders the clear before its tracker
	 * read.  wl_ptl_lock() above is before the clear, so it orders
	 * nothing here; no lock is taken between them (sb.h's departure).
	 */
	wl_tlb_remove_table_sync_one(mm);
	wl_ptl_unlock(pte);
	wl_ptl_unlock(pmd);
	wl_inject(WL_INJ_WRITER_UNLINK);
	/* The caller's flush_hugetlb_tlb_range(), then the reuse. */
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	free_detached(mm, pte, true);
	mmap_read_unlock(mm);
	return 0;
}
