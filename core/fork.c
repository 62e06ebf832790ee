// SPDX-License-Identifier: MIT
/*
 * fork.c - fork()'s copy of the parent's anonymous PTEs (copy_page_range()
 * -> copy_present_pte()), as it races with GUP-fast FOLL_PIN (KERNEL.md
 * 4.3, docs/history.md).
 *
 * For each present, writable PTE, under the PTE lock: if the page may be
 * DMA-pinned (folio_maybe_dma_pinned()), the child gets a copy and the
 * parent's PTE stays writable; otherwise the page is shared with the child
 * and the parent's PTE is write-protected (ptep_set_wrprotect()), so that
 * the next write by either side COWs.  A pin that lands after the check
 * and passes its PTE recheck before the write-protect leaves a pinned page
 * shared with the child: the parent's next write COWs away from it, and
 * the DMA goes to the child's page.
 *
 * The fix, 57efa1fe5957 (v5.11): fork holds mm->write_protect_seq odd
 * across the copy (raw_write_seqcount_begin/end, under mmap_write_lock),
 * and GUP-fast FOLL_PIN gives up when the count was odd or moved
 * (core/gup.c).  --bug fork-no-wp-seq leaves the count alone: what the
 * kernel did before, since a count that never moves is no check at all.
 *
 * Model: there is no child mm.  The child is the PG_cow_shared mark on
 * each page fork shares with it; it exits at the end of the op, when the
 * parent's PTEs are made writable again (do_wp_page() reusing a page that
 * is exclusive once more).  All of it runs under mmap_write_lock, so no
 * fault or slow GUP ever sees a mark.  Departures: a huge PMD is split
 * first (copy_huge_pmd() makes the same decision at PMD level); the
 * child's copy of a pinned page is counted (nr_fork_copies), not made.
 */
#include "arch.h"
#include "check.h"
#include "internal.h"

#include <errno.h>

/* folio_maybe_dma_pinned(). */
static bool folio_maybe_dma_pinned(struct wl_page *folio)
{
	/*
	 * seq_cst: after the write_protect_seq increment (store buffering
	 * against GUP-fast's pin, then its seq_cst read of the count: one
	 * sees the other); pairs with the seq_cst pin in gup.c.
	 */
	if (folio_test_large(folio))
		return atomic_load_explicit(&folio->pincount,
					    memory_order_seq_cst) > 0;
	/* The same for a small folio's pin bias: ordered as said above. */
	return atomic_load_explicit(&folio->refcount, memory_order_seq_cst) >=
	       GUP_PIN_COUNTING_BIAS;
}

/* raw_write_seqcount_begin/end(&mm->write_protect_seq). */
static void write_protect_seq_add(struct wl_mm *mm)
{
	if (wl_bugs.fork_no_wp_seq)
		return;
	/*
	 * seq_cst RMW: the odd count is ordered before the pin checks that
	 * follow (and the even one after the write-protects); pairs with
	 * GUP-fast's seq_cst reads of it around its pins (gup.c).  The model
	 * makes it a full barrier; the kernel's is a smp_wmb() next to the
	 * fully ordered atomics of the copy.
	 */
	atomic_fetch_add_explicit(&mm->write_protect_seq, 1,
				  memory_order_seq_cst);
}

/* copy_present_pte() for entry i of pte; true if shared with the child. */
static bool copy_one_pte(struct wl_mm *mm, uint32_t pte, unsigned int i)
{
	pteval_t v = pt_entry(pte, i);
	struct wl_page *page;

	if (!pte_access_permitted(v, true) || pte_special(v) ||
	    !pfn_valid(pte_pfn(v)))
		return false;
	page = pfn_to_page(pte_pfn(v));
	if (folio_maybe_dma_pinned(page_folio(page))) {
		/* copy_present_page(): the child gets its own copy. */
		atomic_fetch_add_explicit(&mm->nr_fork_copies, 1,
					  memory_order_relaxed);
		return false;
	}
	/*
	 * Decided: not pinned, shared.  seq_cst: the mark is ordered before
	 * the write-protect; pairs with GUP-fast's seq_cst read of it after
	 * its recheck: a walker that saw the write-protected PTE sees it.
	 */
	atomic_fetch_or_explicit(&page->flags, PG_cow_shared,
				 memory_order_seq_cst);
	wl_inject(WL_INJ_WRITER_UNLINK);
	/*
	 * ptep_set_wrprotect(): a locked RMW, as x86's clear_bit(); seq_cst,
	 * ordered after the mark; pairs with GUP-fast's seq_cst recheck.
	 */
	atomic_fetch_and_explicit(wl_entry_ptr(pte, i), ~_PAGE_RW,
				  memory_order_seq_cst);
	return true;
}

/* The child exits: the parent's shared pages are its own again. */
static void child_exit(struct wl_mm *mm, uint64_t haddr, const uint64_t *shared)
{
	struct wl_locked_entry le;

	if (!wl_entry_lock(mm, haddr, &le))
		return;
	for (unsigned int i = 0; i < HPAGE_PMD_NR && le.level == WL_PTE; i++) {
		if (!(shared[i / 64] & (UINT64_C(1) << (i % 64))))
			continue;
		pteval_t v = pt_entry(le.table, i);

		/* Relaxed: mmap_write_lock and the PTL order it. */
		atomic_fetch_and_explicit(&pfn_to_page(pte_pfn(v))->flags,
					  ~PG_cow_shared, memory_order_relaxed);
		/* do_wp_page(): reuse; a write-enable needs no flush. */
		set_entry(le.table, i, v | _PAGE_RW);
	}
	wl_entry_unlock(&le);
}

int wl_fork_range(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK, shared[HPAGE_PMD_NR / 64] = {0};
	struct wl_locked_entry le;
	unsigned int nr = 0;

	mmap_write_lock(mm);
	write_protect_seq_add(mm); /* odd */
	/* Departure: split, where copy_huge_pmd() would decide for all. */
	wl_split_huge_pmd_locked_mm(mm, haddr);
	if (wl_entry_lock(mm, haddr, &le)) {
		for (unsigned int i = 0; i < HPAGE_PMD_NR && le.level == WL_PTE;
		     i++) {
			if (copy_one_pte(mm, le.table, i)) {
				shared[i / 64] |= UINT64_C(1) << (i % 64);
				nr++;
			}
		}
		wl_entry_unlock(&le);
	}
	if (nr)
		flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	write_protect_seq_add(mm); /* even */
	/* The child runs a while, sharing the pages. */
	wl_inject(WL_INJ_WRITER_FREE);
	if (nr)
		child_exit(mm, haddr, shared);
	mmap_write_unlock(mm);
	atomic_fetch_add_explicit(&mm->nr_forks, 1, memory_order_relaxed);
	return 0;
}
