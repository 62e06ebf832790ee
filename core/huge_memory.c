// SPDX-License-Identifier: MIT
/*
 * huge_memory.c - THP: PMD split (__split_huge_pmd_locked) and collapse
 * (khugepaged's collapse_huge_page), and the deposited page tables.
 *
 * As in the kernel, a huge PMD keeps a PTE table "deposited" beside it
 * (pgtable_trans_huge_deposit), which a split fills instead of allocating, and
 * which a collapse deposits again. That table is reused without going through
 * the backend's deferred free: this is why khugepaged must sync with lockless
 * walkers (tlb_remove_table_sync_one) after clearing the PMD, and what commit
 * 2ba99c5e0881 fixed (docs/kernel-protocol.md 2.4, docs/history.md 2.6).
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
	 * walker that pinned through the old value fails its PMD recheck:
	 * seq_cst, pairs with that seq_cst recheck as get_and_clear() does.
	 */
	atomic_store_explicit(wl_entry_ptr(pmd, i), v & ~_PAGE_PRESENT,
			      memory_order_seq_cst);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	pte = wl_pgtable_withdraw(pmd);
	if (pte == WL_TABLE_NONE) {
		/* Cannot happen: every huge PMD has its deposit.  Release
		 * orders as set_entry(), whose pairing it shares. */
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
 * What a collapse works on: the PMD entry and its PTE table, the small
 * folios they map, and the protection the huge mapping gets.
 */
struct collapse_control {
	struct wl_mm *mm;
	uint64_t haddr;
	uint32_t pmd;	    /* the PMD table */
	unsigned int index; /* the entry's index in it */
	uint32_t pte;	    /* the PTE table being collapsed */
	pteval_t pmdval;    /* the entry, as cleared by the flush */
	pteval_t prot;
	struct wl_page *old[HPAGE_PMD_NR];
};

/*
 * hugepage_vma_revalidate() + find_pmd_or_thp_or_none(): the VMA covers
 * the whole 2 MiB and the PMD maps a PTE table.  mmap_lock held.
 */
static int collapse_find_pmd(struct collapse_control *cc)
{
	struct wl_vma *vma = wl_find_vma(cc->mm, cc->haddr);
	pteval_t v;

	cc->pmd = wl_pmd_table_of(cc->mm, cc->haddr);
	if (!vma || vma->start > cc->haddr || vma->end < cc->haddr + PMD_SIZE ||
	    (vma->flags & VM_PFNMAP) || cc->pmd == WL_TABLE_NONE)
		return -EINVAL;
	v = pt_entry(cc->pmd, cc->index);
	if (!pte_present(v) || pte_leaf(v))
		return -EINVAL;
	cc->pte = (uint32_t)pte_pfn(v);
	return 0;
}

/* hpage_collapse_scan_pmd(): all present, small, ordinary. */
static int collapse_scan_pmd(struct collapse_control *cc)
{
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		pteval_t v = pt_entry(cc->pte, j);

		if (!pte_present(v) || pte_protnone(v) || pte_special(v) ||
		    folio_test_large(page_folio(pfn_to_page(pte_pfn(v)))))
			return -EINVAL;
		cc->old[j] = pfn_to_page(pte_pfn(v));
		if (!j)
			cc->prot = v & ~_PAGE_PFN_MASK;
	}
	return 0;
}

/* pmdp_collapse_flush(): clear the PMD and flush, under its lock. */
static void collapse_clear_pmd(struct collapse_control *cc)
{
	wl_ptl_lock(cc->pmd);
	/* A publication point: the unlink the sync's tracker read races. */
	cc->pmdval = wl_unlink_get_and_clear(cc->pmd, cc->index);
	flush_tlb_mm_range(cc->mm, cc->haddr, cc->haddr + PMD_SIZE, false);
	wl_ptl_unlock(cc->pmd);
	wl_inject(WL_INJ_WRITER_UNLINK);
}

/*
 * __collapse_huge_page_isolate(): no references beyond the mapping.  With
 * the PTE table's lock held; -EAGAIN if a folio is still pinned.
 *
 * The seq_cst loads pair with the walker's seq_cst refcount RMW and its
 * seq_cst PMD recheck (gup.c): the PMD clear (collapse_clear_pmd()) is a
 * seq_cst xchg, so either the walker's pin is seen here, or the walker
 * sees the cleared PMD and drops its pin (store buffering, both sides SC).
 */
static int collapse_isolate(struct collapse_control *cc)
{
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		/* seq_cst: pairs with the walker's pin and recheck (above) */
		if (atomic_load_explicit(&cc->old[j]->refcount,
					 memory_order_seq_cst) != 1 ||
		    atomic_load_explicit(&cc->old[j]->pincount,
					 memory_order_seq_cst))
			return -EAGAIN;
	}
	return 0;
}

/* The collapse failed: pmd_populate() the old table back. */
static void collapse_restore_pmd(struct collapse_control *cc)
{
	wl_ptl_lock(cc->pmd);
	set_entry(cc->pmd, cc->index, cc->pmdval);
	wl_ptl_unlock(cc->pmd);
	atomic_fetch_add_explicit(&cc->mm->nr_collapse_fail, 1,
				  memory_order_relaxed);
}

/*
 * __collapse_huge_page_copy(): copy into the new folio, clear the PTEs and
 * release the small folios.  Called with the PTE table's lock held, which
 * it drops.
 */
static void collapse_copy(struct collapse_control *cc, struct wl_page *new)
{
	/* Decided: no pins.  From here a pin on an old folio is stale. */
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++) {
		folio_set_nopin(cc->old[j]);
		folio_set_unmapped(cc->old[j]);
		WRITE_ONCE(new[j].data, READ_ONCE(cc->old[j]->data));
	}
	/* The kernel copies 2 MiB here: a window, for fault injection. */
	wl_inject(WL_INJ_WRITER_UNLINK);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		get_and_clear(cc->pte, j);
	wl_ptl_unlock(cc->pte);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		folio_put(cc->old[j]);
	wl_inject(WL_INJ_WRITER_FREE);
}

/*
 * Map the new folio by the PMD, the emptied PTE table deposited beside it
 * (pgtable_trans_huge_deposit() + set_pmd_at()).
 */
static void collapse_install(struct collapse_control *cc, struct wl_page *new)
{
	folio_set_mapped(new, cc->haddr);
	wl_ptl_lock(cc->pmd);
	wl_pgtable_deposit(cc->pmd, cc->pte);
	/* set_pmd_at(): release publishes the new folio (see set_entry()). */
	set_entry(cc->pmd, cc->index,
		  pfn_pte(page_to_pfn(new), cc->prot | _PAGE_PSE));
	wl_ptl_unlock(cc->pmd);
	atomic_fetch_add_explicit(&cc->mm->nr_collapses, 1,
				  memory_order_relaxed);
}

/*
 * collapse_huge_page(): replace a PTE table of 512 small folios by one
 * 2 MiB folio.  Under mmap_lock for write, as in the kernel; lockless
 * walkers still run.
 */
int wl_collapse_huge_page(struct wl_mm *mm, uint64_t addr)
{
	struct collapse_control cc = {
		.mm = mm,
		.haddr = addr & PMD_MASK,
		.index = pmd_index(addr & PMD_MASK),
	};
	struct wl_page *new;
	int ret;

	new = wl_folio_alloc(HPAGE_PMD_ORDER);
	if (!new)
		return -ENOMEM;
	mmap_write_lock(mm);
	ret = collapse_find_pmd(&cc);
	if (!ret)
		ret = collapse_scan_pmd(&cc);
	if (ret)
		goto out;
	collapse_clear_pmd(&cc);
	/*
	 * tlb_remove_table_sync_one(): wait for every walker that may still
	 * be inside the detached PTE table; it will be deposited and reused.
	 */
	if (!wl_bugs.collapse_no_sync)
		wl_tlb_remove_table_sync_one(mm);
	wl_ptl_lock(cc.pte);
	ret = collapse_isolate(&cc);
	if (ret) {
		wl_ptl_unlock(cc.pte);
		collapse_restore_pmd(&cc);
		goto out;
	}
	collapse_copy(&cc, new);
	collapse_install(&cc, new);
	new = NULL;
out:
	mmap_write_unlock(mm);
	if (new)
		folio_put(new);
	return ret;
}
