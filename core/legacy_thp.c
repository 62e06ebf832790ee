// SPDX-License-Identifier: MIT
/*
 * legacy_thp.c - pre-4.5 THP refcounting and split (see legacy_thp.h).
 *
 * Where this follows the kernel of about v3.19-v4.4 (mm/huge_memory.c,
 * mm/gup.c's generic RCU GUP-fast, arch/arm64/mm/flush.c):
 *  - __split_huge_page_splitting(): under the PMD lock, set the splitting
 *    bit and pmdp_splitting_flush(): x86 flushed the TLB with an IPI that
 *    waited for IRQ-off GUP-fast; arm64 set the bit and called
 *    kick_all_cpus_sync(), "a dummy IPI to serialise against fast_gup";
 *  - __split_huge_page_refcount(): under compound_lock, each tail gets
 *    count = its tail pins (_mapcount) + 1 for its new PTE, the head loses
 *    those tail pins;
 *  - __split_huge_page_map(): the deposited table is filled with PTEs and
 *    installed in place of the huge PMD;
 *  - gup_huge_pmd(): page_cache_add_speculative() on the head for every
 *    subpage, PMD recheck, then get_huge_page_tail() on each tail.
 * Departures: the kernel split with the anon_vma lock and walked every
 * mapping of the page (rmap); here a THP has one mapping, in one mm, and
 * the PMD lock is held from the splitting bit to the new PTE table, so the
 * slow path (not used by legacy walkers) never sees a half split.  The
 * tail pins live in a side array rather than in the tail's _mapcount.
 */
#include "legacy_thp.h"
#include "arch.h"
#include "check.h"
#include "internal.h"
#include "mmu_gather.h"
#include "smp.h"

#include <errno.h>
#include <stdlib.h>

bool wl_legacy_thp_enabled;

/* The split set this in the pin word of a tail it has distributed. */
#define TAIL_DISTRIBUTED (UINT32_C(1) << 31)

static _Atomic uint32_t *tail_pins; /* per frame */

int wl_legacy_thp_enable(void)
{
	tail_pins = calloc(wl_pages.nr, sizeof(*tail_pins));
	if (!tail_pins)
		return -ENOMEM;
	wl_legacy_thp_enabled = true;
	return 0;
}

void wl_legacy_thp_disable(void)
{
	wl_legacy_thp_enabled = false;
	free(tail_pins);
	tail_pins = NULL;
}

/* compound_lock(): a bit spinlock in the head's flags. */
static void compound_lock(struct wl_page *head)
{
	/* Acquire: the section after the lock; pairs with the unlock. */
	while (atomic_fetch_or_explicit(&head->flags, PG_compound_lock,
					memory_order_acquire) &
	       PG_compound_lock)
		cpu_relax();
}

static void compound_unlock(struct wl_page *head)
{
	/* Release: the section before the unlock; pairs with the lock. */
	atomic_fetch_and_explicit(&head->flags, ~PG_compound_lock,
				  memory_order_release);
}

int wl_legacy_thp_populate(struct wl_mm *mm, uint64_t addr, uint64_t len)
{
	int ret = 0;

	if (!wl_legacy_thp_enabled)
		return -EINVAL;
	mmap_read_lock(mm);
	for (uint64_t h = addr & PMD_MASK; h < addr + len && !ret;
	     h += PMD_SIZE) {
		struct wl_vma *vma = wl_find_vma(mm, h);
		uint32_t pmd, deposit;
		struct wl_page *folio;

		if (!vma || vma->start > h || vma->end < h + PMD_SIZE ||
		    (vma->flags & VM_PFNMAP))
			continue;
		pmd = wl_pmd_table_alloc(mm, h);
		if (pmd == WL_TABLE_NONE) {
			ret = -ENOMEM;
			break;
		}
		if (!pte_none(pt_entry(pmd, pmd_index(h))))
			continue;
		folio = wl_folio_alloc(HPAGE_PMD_ORDER);
		if (!folio) {
			ret = -ENOMEM;
			break;
		}
		/* Published by the release in set_entry() below. */
		for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
			atomic_store_explicit(
				&tail_pins[page_to_pfn(folio) + j], 0,
				memory_order_relaxed);
		deposit = wl_table_alloc(WL_PTE);
		if (deposit == WL_TABLE_NONE) {
			folio_put(folio);
			ret = -ENOMEM;
			break;
		}
		wl_install_huge_pmd(mm, pmd, h, folio, deposit, vma->flags);
		atomic_fetch_add_explicit(&mm->nr_faults, 1,
					  memory_order_relaxed);
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * The wait of pmdp_splitting_flush() (x86: the flush's own IPI; arm64:
 * kick_all_cpus_sync()): return only when every walker that may have read
 * the PMD before the splitting bit has left its walk section, tail pins
 * taken.  It goes through the backend's sync, as collapse's
 * tlb_remove_table_sync_one() does: only the backend knows what holds its
 * walkers off, and an IPI waits only for walkers with IRQs off.  Walkers
 * whose section begins after the call see the bit (each sync below orders
 * the bit's seq_cst store before whatever it polls or publishes).
 *
 * What each backend's sync guarantees here:
 *  - ipi, lockless_walk_helpers irqsave and today: an IPI to every CPU,
 *    acknowledged after the IRQ-off walk it interrupted, the kernel's own
 *    mechanism.  Always sent, though on the ipi arch model the flush has
 *    already IPI'd (x86 sent none of its own): sync has no flush_ipi_all,
 *    and the core cannot know the flush covered the backend's walkers;
 *  - rcu-<flavor>, lockless_walk_helpers rcu: synchronize_rcu(), which
 *    waits for every read section begun before it; the walk, recheck and
 *    tail pins are all inside one;
 *  - atomic_readers-<layout>: a full barrier after the bit, then a poll of
 *    the reader count(s) to zero (store buffering with the walker's
 *    increment; smp_mb(): either the walker sees the bit or we see it).
 * Departure: the kernel could not sleep here (the PMD lock is a spinlock),
 * so no kernel of the time had RCU-only GUP-fast with this split; the lab
 * asks whether it would have been safe.  Only under rcu-qsbr is a writer
 * that spins on this PMD lock a reader the sync waits for (an online QSBR
 * thread that reports no quiescent state while it spins): with several
 * writers that can hold the split up; the legacy scenarios run one.
 */
static void split_wait_walkers(struct wl_mm *mm)
{
	wl_tlb_remove_table_sync_one(mm);
}

/* __split_huge_page_refcount(), under compound_lock. */
static void split_refcount(struct wl_page *head, uint64_t haddr)
{
	int moved = 0;

	for (unsigned int j = 1; j < HPAGE_PMD_NR; j++) {
		struct wl_page *tail = head + j;
		/*
		 * The read of the tail pins and the mark are one RMW, so
		 * that a walker's get_huge_page_tail() (a seq_cst fetch-add
		 * on the same word) is either counted here or sees the mark.
		 * seq_cst: pairs with that fetch-add in wl_legacy_get_tails(),
		 * and orders the mark after the split's PMD invalidation.
		 */
		uint32_t tp = atomic_exchange_explicit(
			&tail_pins[page_to_pfn(tail)], TAIL_DISTRIBUTED,
			memory_order_seq_cst);

		tp &= ~TAIL_DISTRIBUTED;
		moved += (int)tp;
		tail->order = 0;
		atomic_store_explicit(&tail->pincount, 0, memory_order_relaxed);
		atomic_store_explicit(&tail->refcount, (int)tp + 1,
				      memory_order_relaxed);
		WRITE_ONCE(tail->mapped_addr,
			   haddr + ((uint64_t)j << PAGE_SHIFT));
		atomic_store_explicit(&tail->flags, 0, memory_order_relaxed);
		/*
		 * Release: the tail's count and fields above are set before
		 * it becomes its own folio; pairs with the acquire of ->head
		 * in wl_legacy_put_page() (and the address dependency of
		 * page_folio() in GUP-fast's try_grab).
		 */
		atomic_store_explicit(&tail->head, (uint32_t)page_to_pfn(tail),
				      memory_order_release);
	}
	/* The tails are folios of their own now (allocator accounting). */
	atomic_fetch_add_explicit(&wl_pages.allocs, HPAGE_PMD_NR - 1,
				  memory_order_relaxed);
	/* The head keeps its own pins and its PTE's reference. */
	atomic_fetch_sub_explicit(&head->refcount, moved, memory_order_relaxed);
	/* Relaxed: folio_test_large() (page.h) may test it meanwhile. */
	__atomic_store_n(&head->order, 0, __ATOMIC_RELAXED);
	atomic_fetch_and_explicit(&head->flags, ~PG_head, memory_order_relaxed);
}

int wl_split_huge_page_legacy(struct wl_mm *mm, uint64_t addr)
{
	uint64_t haddr = addr & PMD_MASK;
	unsigned int i = pmd_index(haddr);
	struct wl_page *folio;
	uint32_t pmd, pte;
	pteval_t v, prot;
	int ret = 0;

	mmap_read_lock(mm);
	pmd = wl_pmd_table_of(mm, haddr);
	if (pmd == WL_TABLE_NONE) {
		ret = -EINVAL;
		goto out;
	}
	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if (!pte_leaf(v) || !pfn_valid(pte_pfn(v)) ||
	    pfn_to_page(pte_pfn(v))->order != HPAGE_PMD_ORDER) {
		ret = -EINVAL;
		goto out_unlock;
	}
	folio = pfn_to_page(pte_pfn(v));

	/*
	 * pmdp_splitting_flush().  seq_cst: the bit is set before the
	 * backend's sync starts and before the tail pins are read; pairs
	 * with the walker's seq_cst PMD recheck (a walker that passed it read
	 * the PMD before the bit, and is still inside its walk section, which
	 * the sync waits for).
	 */
	atomic_store_explicit(wl_entry_ptr(pmd, i), v | _PAGE_SPLITTING,
			      memory_order_seq_cst);
	flush_tlb_mm_range(mm, haddr, haddr + PMD_SIZE, false);
	if (!wl_bugs.legacy_split_no_ipi)
		split_wait_walkers(mm);
	wl_inject(WL_INJ_WRITER_UNLINK);

	compound_lock(folio);
	split_refcount(folio, haddr);
	compound_unlock(folio);
	wl_inject(WL_INJ_WRITER_FREE);

	/* __split_huge_page_map(): the deposited table gets the PTEs. */
	pte = wl_pgtable_withdraw(pmd);
	if (pte == WL_TABLE_NONE) {
		/* Cannot happen: every legacy huge PMD has its deposit. */
		ret = -ENOMEM;
		goto out_unlock;
	}
	wl_table_reuse(pte);
	prot = v & ~(_PAGE_PFN_MASK | _PAGE_PSE | _PAGE_SPLITTING);
	for (unsigned int j = 0; j < HPAGE_PMD_NR; j++)
		WRITE_ONCE(wl_table(pte)->e[j],
			   pfn_pte(page_to_pfn(folio) + j, prot));
	/* pmd_populate(): release publishes the table (see set_entry()). */
	set_entry(pmd, i, pfn_pte(pte, _PAGE_TABLE));
	atomic_fetch_add_explicit(&mm->nr_splits, 1, memory_order_relaxed);
out_unlock:
	wl_ptl_unlock(pmd);
out:
	mmap_read_unlock(mm);
	return ret;
}

void wl_legacy_get_tails(struct wl_page *folio, struct wl_page *page, int refs)
{
	/* The window between the PMD recheck and the tail pins. */
	wl_inject(WL_INJ_WALK_PIN);
	for (int k = 0; k < refs; k++) {
		struct wl_page *p = page + k;
		uint32_t old;

		if (p == folio)
			continue; /* the head has no tail pin */
		/* seq_cst: pairs with the exchange in split_refcount(). */
		old = atomic_fetch_add_explicit(&tail_pins[page_to_pfn(p)], 1,
						memory_order_seq_cst);
		if (unlikely(old & TAIL_DISTRIBUTED) && wl_check_enabled)
			wl_violation(WL_V_PIN_AFTER_NOPIN,
				     "tail pin on pfn %llu landed after the "
				     "split distributed head pfn %llu's count: "
				     "the head keeps the reference, the tail "
				     "misses it",
				     (unsigned long long)page_to_pfn(p),
				     (unsigned long long)page_to_pfn(folio));
	}
}

void wl_legacy_put_page(struct wl_page *page)
{
	for (;;) {
		/* Acquire: pairs with the release in split_refcount(). */
		uint32_t h =
			atomic_load_explicit(&page->head, memory_order_acquire);
		struct wl_page *head = pfn_to_page(h);

		if (head == page) {
			folio_put(page);
			return;
		}
		/* put_compound_page(): still a tail under the lock? */
		compound_lock(head);
		if (atomic_load_explicit(&page->head, memory_order_relaxed) !=
		    h) {
			compound_unlock(head);
			continue; /* split meanwhile: now its own page */
		}
		atomic_fetch_sub_explicit(&tail_pins[page_to_pfn(page)], 1,
					  memory_order_relaxed);
		compound_unlock(head);
		folio_put(head);
		return;
	}
}
