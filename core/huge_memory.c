// SPDX-License-Identifier: MIT
/*
 * huge_memory.c - THP: PMD split (__split_huge_pmd_locked) and collapse
 * (khugepaged's collapse_huge_page), and the deposited page tables.
 *
 * As in the kernel, a huge PMD keeps a PTE table "deposited" beside it
 * (pgtable_trans_huge_deposit), which a split fills instead of allocating,
 * and which a collapse deposits again.  That table is reused without going
 * through the backend's deferred free: this is why khugepaged must sync
 * with lockless walkers (tlb_remove_table_sync_one) after clearing the PMD,
 * and what commit 2ba99c5e0881 fixed (KERNEL.md 4.2).
 */
#include "arch.h"
#include "backend.h"
#include "check.h"
#include "internal.h"

#include <errno.h>

/* Under the PMD table's lock. */
void wl_pgtable_deposit(uint32_t pmd_table, uint32_t pte_table)
{
	struct wl_ptdesc *d = wl_ptdesc(pmd_table);

	wl_ptdesc(pte_table)->next_free = d->deposit;
	d->deposit = pte_table;
}

uint32_t wl_pgtable_withdraw(uint32_t pmd_table)
{
	struct wl_ptdesc *d = wl_ptdesc(pmd_table);
	uint32_t t = d->deposit;

	if (t != WL_TABLE_NONE)
		d->deposit = wl_ptdesc(t)->next_free;
	return t;
}

int wl_split_huge_pmd_locked_mm(struct wl_mm *mm, uint64_t haddr)
{
	uint32_t pmd = wl_pmd_table_of(mm, haddr);
	unsigned int i = pmd_index(haddr);
	uint32_t pte;
	pteval_t v, prot;
	struct wl_page *folio;

	if (pmd == WL_TABLE_NONE)
		return -EINVAL;
	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if (!pte_leaf(v)) {
		wl_ptl_unlock(pmd);
		return -EINVAL;
	}
	/*
	 * pmdp_invalidate(): make the entry non-present and flush, so that no
	 * CPU can write through the huge mapping while the PTEs are built.  A
	 * walker that pinned through the old value fails its PMD recheck.
	 */
	atomic_store_explicit(wl_entry_ptr(pmd, i), v & ~_PAGE_PRESENT,
			      memory_order_seq_cst);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	pte = wl_pgtable_withdraw(pmd);
	if (pte == WL_TABLE_NONE) {
		/* Cannot happen: every huge PMD has its deposit. */
		atomic_store_explicit(wl_entry_ptr(pmd, i), v,
				      memory_order_release);
		wl_ptl_unlock(pmd);
		return -ENOMEM;
	}
	wl_table_reuse(pte);
	folio = pfn_to_page(pte_pfn(v));
	prot = v & ~(_PAGE_PFN_MASK | _PAGE_PSE);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		WRITE_ONCE(wl_table(pte)->e[j],
			   pfn_pte(page_to_pfn(folio) + j, prot));
	/* Every PTE mapping holds a reference, like the PMD one did. */
	folio_ref_add(folio, HPAGE_PMD_NR - 1);
	/* pmd_populate(): release publishes the filled table (see
	 * set_entry()). */
	set_entry(pmd, i, pfn_pte(pte, _PAGE_TABLE));
	wl_ptl_unlock(pmd);
	atomic_fetch_add_explicit(&mm->nr_splits, 1, memory_order_relaxed);
	return 0;
}

int wl_split_huge_pmd(struct wl_mm *mm, uint64_t addr)
{
	int ret;

	mmap_read_lock(mm);
	ret = wl_split_huge_pmd_locked_mm(mm, addr & PMD_MASK);
	mmap_read_unlock(mm);
	return ret;
}

/*
 * collapse_huge_page(): replace a PTE table of 512 small folios by one
 * 2 MiB folio.  Under mmap_lock for write, as in the kernel; lockless
 * walkers still run.
 */
int wl_collapse_huge_page(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK;
	unsigned int i = pmd_index(haddr);
	struct wl_page *old[HPAGE_PMD_NR];
	struct wl_page *new;
	struct wl_vma *vma;
	uint32_t pmd, pte;
	pteval_t pmdval, prot = 0;
	int ret = 0;

	new = wl_folio_alloc(HPAGE_PMD_ORDER);
	if (!new)
		return -ENOMEM;
	mmap_write_lock(mm);
	vma = wl_find_vma(mm, haddr);
	pmd = wl_pmd_table_of(mm, haddr);
	if (!vma || vma->start > haddr || vma->end < haddr + PMD_SIZE ||
	    (vma->flags & VM_PFNMAP) || pmd == WL_TABLE_NONE) {
		ret = -EINVAL;
		goto out;
	}
	pmdval = pt_entry(pmd, i);
	if (!pte_present(pmdval) || pte_leaf(pmdval)) {
		ret = -EINVAL;
		goto out;
	}
	pte = (uint32_t)pte_pfn(pmdval);
	/* hpage_collapse_scan_pmd(): all present, small, ordinary. */
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		pteval_t v = pt_entry(pte, j);

		if (!pte_present(v) || pte_protnone(v) || pte_special(v) ||
		    folio_test_large(page_folio(pfn_to_page(pte_pfn(v))))) {
			ret = -EINVAL;
			goto out;
		}
		old[j] = pfn_to_page(pte_pfn(v));
		if (!j)
			prot = v & ~_PAGE_PFN_MASK;
	}

	/* pmdp_collapse_flush(): clear the PMD and flush, under its lock. */
	wl_ptl_lock(pmd);
	pmdval = get_and_clear(pmd, i);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	wl_ptl_unlock(pmd);
	wl_inject(WL_INJ_WRITER_UNLINK);

	/*
	 * tlb_remove_table_sync_one(): wait for every walker that may still
	 * be inside the detached PTE table; it will be deposited and reused.
	 */
	if (!wl_bugs.collapse_no_sync)
		wl_tlb_remove_table_sync_one(mm);

	/*
	 * __collapse_huge_page_isolate(): no references beyond the mapping.
	 * The seq_cst loads pair with the walker's seq_cst refcount RMW and
	 * its seq_cst PMD recheck (gup.c): the PMD clear above is a seq_cst
	 * xchg, so either the walker's pin is seen here, or the walker sees
	 * the cleared PMD and drops its pin (store buffering, both sides SC).
	 */
	wl_ptl_lock(pte);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		if (atomic_load_explicit(&old[j]->refcount,
					 memory_order_seq_cst) != 1 ||
		    atomic_load_explicit(&old[j]->pincount,
					 memory_order_seq_cst)) {
			ret = -EAGAIN;
			break;
		}
	}
	if (ret) {
		wl_ptl_unlock(pte);
		/* pmd_populate() the old table back. */
		wl_ptl_lock(pmd);
		set_entry(pmd, i, pmdval);
		wl_ptl_unlock(pmd);
		atomic_fetch_add_explicit(&mm->nr_collapse_fail, 1,
					  memory_order_relaxed);
		goto out;
	}
	/* Decided: no pins.  From here a pin on an old folio is stale. */
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		folio_set_nopin(old[j]);
		folio_set_unmapped(old[j]);
		WRITE_ONCE(new[j].data, READ_ONCE(old[j]->data));
	}
	/* The kernel copies 2 MiB here: a window, for fault injection. */
	wl_inject(WL_INJ_WRITER_UNLINK);
	/* __collapse_huge_page_copy(): clear the PTEs, release the pages. */
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		get_and_clear(pte, j);
	wl_ptl_unlock(pte);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		folio_put(old[j]);
	wl_inject(WL_INJ_WRITER_FREE);

	folio_set_mapped(new, haddr);
	wl_ptl_lock(pmd);
	wl_pgtable_deposit(pmd, pte);
	/* set_pmd_at(): release publishes the new folio (see set_entry()). */
	set_entry(pmd, i, pfn_pte(page_to_pfn(new), prot | _PAGE_PSE));
	wl_ptl_unlock(pmd);
	new = NULL;
	atomic_fetch_add_explicit(&mm->nr_collapses, 1, memory_order_relaxed);
out:
	mmap_write_unlock(mm);
	if (new)
		folio_put(new);
	return ret;
}
