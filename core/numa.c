// SPDX-License-Identifier: MIT
/*
 * numa.c - NUMA hinting on a THP and its misplaced-folio migration, as in
 * about v3.13 (KERNEL.md 4.8, docs/history.md).
 *
 * change_prot_numa() makes the huge PMD protnone and flushes; the hinting
 * fault then decides the folio is misplaced, and
 * migrate_misplaced_transhuge_page() checks the page count under the PMD
 * lock, copies, clears the PMD with pmdp_clear_flush() and installs the
 * new folio.  There is no migration entry at PMD level and no refcount
 * freeze: a walker that follows the protnone PMD, pins after the count
 * check and rechecks before the clear keeps a pin on the old folio, which
 * the migration has copied and dropped (PG_nopin: pin_after_nopin).
 *
 * The fix, Mel Gorman's "mm: numa: serialise parallel get_user_page
 * against THP migration": GUP-fast sends a pmd_numa (now protnone) entry
 * to the slow path, which serialises on the PMD lock.  Those are gup.c's
 * protnone bail-outs; --bug walker-no-protnone removes the PMD one.
 *
 * What the model assumes (unverified): that the racing walker's permission
 * check let a NUMA-hinting PMD through, as a pmd_numa entry that stayed
 * present to the hardware would; x86's protnone clears _PAGE_PRESENT, so
 * its present-bit check alone would have refused it.  The hinting fault
 * is not modelled as a fault: the op hints and migrates in one go, and a
 * fault that meets the protnone PMD makes it present again (numa.c's
 * wl_numa_hint_fault_pmd()), which the migration then sees and abandons.
 */
#include "arch.h"
#include "check.h"
#include "internal.h"

#include <errno.h>

/* change_prot_numa() on one huge PMD; returns the protnone value or 0. */
static pteval_t prot_numa_pmd(struct wl_mm *mm, uint32_t pmd, uint64_t haddr,
			      pteval_t *old)
{
	unsigned int i = pmd_index(haddr);
	pteval_t v, numa;

	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if (!pte_leaf(v) || pte_protnone(v) || !pfn_valid(pte_pfn(v))) {
		wl_ptl_unlock(pmd);
		return 0;
	}
	/* Clear, then set: a walker that pinned through v fails its recheck. */
	*old = get_and_clear(pmd, i);
	numa = (*old & ~_PAGE_PRESENT) | _PAGE_PROTNONE;
	set_entry(pmd, i, numa);
	wl_ptl_unlock(pmd);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	return numa;
}

/*
 * migrate_misplaced_transhuge_page(), PMD lock held and the PMD still
 * numa: check the count, copy, pmdp_clear_flush(), install new.
 */
static bool migrate_thp_locked(struct wl_mm *mm, uint32_t pmd, uint64_t haddr,
			       pteval_t numa, pteval_t old, struct wl_page *new)
{
	struct wl_page *folio = pfn_to_page(pte_pfn(numa));
	unsigned int i = pmd_index(haddr);

	/*
	 * seq_cst: the count is read after the protnone store; pairs with a
	 * walker's seq_cst add-unless-zero and recheck (store buffering).
	 * Only the mapping's reference may be there.
	 */
	if (atomic_load_explicit(&folio->refcount, memory_order_seq_cst) != 1 ||
	    atomic_load_explicit(&folio->pincount, memory_order_seq_cst)) {
		set_entry(pmd, i, old); /* present again: not migrated */
		return false;
	}
	folio_set_nopin(folio);
	wl_inject(WL_INJ_WRITER_FREE); /* the copy of 2 MiB */
	WRITE_ONCE(new->data, READ_ONCE(folio->data));
	folio_set_mapped(new, haddr);
	/* pmdp_clear_flush(): no migration entry, the PMD is none. */
	get_and_clear(pmd, i);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	folio_set_unmapped(folio);
	set_entry(pmd, i, pfn_pte(page_to_pfn(new), old & ~_PAGE_PFN_MASK));
	return true;
}

int wl_numa_migrate_thp(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK;
	struct wl_page *new = wl_folio_alloc(HPAGE_PMD_ORDER);
	pteval_t numa, old = 0;
	uint32_t pmd;
	int ret = -EINVAL;

	if (!new)
		return -ENOMEM;
	mmap_read_lock(mm);
	pmd = wl_pmd_table_of(mm, haddr);
	numa = pmd == WL_TABLE_NONE ? 0 : prot_numa_pmd(mm, pmd, haddr, &old);
	if (!numa)
		goto out;
	wl_inject(WL_INJ_WRITER_UNLINK); /* until the hinting fault */
	ret = -EAGAIN;
	wl_ptl_lock(pmd);
	if (pt_entry(pmd, pmd_index(haddr)) == numa) {
		if (migrate_thp_locked(mm, pmd, haddr, numa, old, new)) {
			wl_ptl_unlock(pmd);
			folio_put(
				pfn_to_page(pte_pfn(numa))); /* the mapping's */
			new = NULL;
			ret = 0;
			atomic_fetch_add_explicit(&mm->nr_numa_migrations, 1,
						  memory_order_relaxed);
			goto out;
		}
	}
	wl_ptl_unlock(pmd);
	atomic_fetch_add_explicit(&mm->nr_numa_fail, 1, memory_order_relaxed);
out:
	mmap_read_unlock(mm);
	folio_put_unused(new);
	return ret;
}

bool wl_numa_hint_fault_pmd(uint32_t pmd, uint64_t haddr)
{
	unsigned int i = pmd_index(haddr);
	pteval_t v;
	bool done = false;

	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if ((v & _PAGE_PSE) && pte_protnone(v)) {
		/* do_huge_pmd_numa_page(), not migrating: present again. */
		set_entry(pmd, i, (v & ~_PAGE_PROTNONE) | _PAGE_PRESENT);
		done = true;
	}
	wl_ptl_unlock(pmd);
	return done;
}
