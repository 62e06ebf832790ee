/* SPDX-License-Identifier: MIT */
/*
 * legacy_thp.h - transparent huge pages as Linux refcounted them before v4.5,
 * for the scenario library only (docs/history.md 2.4; the protocol:
 * docs/kernel-protocol.md 2.5).
 *
 * Before the THP refcounting rework (Kirill Shutemov, v4.5), a reference to
 * any subpage of a THP was taken on the head page's _count, and a tail page
 * that GUP returned also got a "tail pin" (get_huge_page_tail(): its
 * _mapcount).  A split (__split_huge_page_refcount()) then distributed the
 * head's count: each tail became an ordinary page with count = 1 (its new
 * PTE) + its tail pins, and the head kept the rest.  A reference that lands
 * on the head after that distribution is never moved to the tail it was
 * for: the head leaks it, and the tail's count misses it.
 *
 * GUP-fast was kept out of that window by the splitting protocol: the split
 * first set the PMD's "splitting" bit (pmdp_splitting_flush()) and then
 * IPI'd every CPU and waited (x86: the flush's own IPI; ARM and arm64, whose
 * TLBI broadcasts in hardware: kick_all_cpus_sync()); GUP-fast, with IRQs
 * off, bailed on a splitting PMD.  Any walker that had read the PMD before
 * the bit was set had finished, tail pins included, before the IPI returned.
 * The model waits through the backend's sync instead (as collapse does),
 * which for the ipi backend is that IPI and for the others is their own
 * wait for walk sections: an IPI alone would leave walkers that do not
 * mask IRQs (rcu, atomic_readers) unprotected.
 *
 * The model is opt-in (wl_legacy_thp_enable() before any CPU runs): huge
 * PMD folios are then made by wl_legacy_thp_populate() and split by
 * wl_split_huge_page_legacy(); the walker adds tail pins after its PMD
 * recheck (gup.c calls wl_legacy_get_tails()), and holders release with
 * wl_legacy_put_page() (put_compound_page()).  FOLL_GET only, fast path
 * only: neither FOLL_PIN nor the slow path of the time is modelled.
 * khugepaged collapse is not modelled either (it makes modern folios).
 * With it off nothing in the modern model changes.
 *
 * The checker: the split marks each tail's pin word as distributed in the
 * same atomic exchange that reads it, so a walker whose tail pin arrives
 * afterwards sees the mark in its own fetch-and-add and reports
 * WL_V_PIN_AFTER_NOPIN at once; the leaked head reference is also found as
 * a WL_V_REF_IMBALANCE at teardown.
 */
#ifndef WALKLAB_LEGACY_THP_H
#define WALKLAB_LEGACY_THP_H

#include "mm.h"

/* Read by walkers without a lock: set before any CPU runs. */
extern bool wl_legacy_thp_enabled;

/* Allocate the tail-pin words for the frame pool; returns 0 or -ENOMEM. */
int wl_legacy_thp_enable(void);
void wl_legacy_thp_disable(void);

/*
 * Fault 2 MiB legacy THPs into the PMD-aligned chunks of [addr, addr+len)
 * whose PMD is empty (mmap_lock taken for read).  Returns 0 or -errno.
 */
int wl_legacy_thp_populate(struct wl_mm *mm, uint64_t addr, uint64_t len);

/*
 * split_huge_page() of the huge PMD at addr, pre-4.5: splitting bit, the
 * backend's sync in the place of the IPI (unless
 * wl_bugs.legacy_split_no_ipi), distribute the refcount, map the subpages
 * with PTEs.  Returns 0, or -EINVAL when no huge PMD is there.
 */
int wl_split_huge_page_legacy(struct wl_mm *mm, uint64_t addr);

/*
 * GUP-fast, after its PMD recheck passed, with IRQs still off: take the
 * tail pins of the refs subpages from page on (get_huge_page_tail()).
 */
void wl_legacy_get_tails(struct wl_page *folio, struct wl_page *page, int refs);

/* put_page() of a page GUP returned (put_compound_page() for tails). */
void wl_legacy_put_page(struct wl_page *page);

/* pmd_trans_splitting() */
static inline bool pmd_trans_splitting(pteval_t pmd)
{
	return pmd & _PAGE_SPLITTING;
}

#endif /* WALKLAB_LEGACY_THP_H */
