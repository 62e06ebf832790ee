// SPDX-License-Identifier: MIT
/*
 * memory.c - faults, zap (MADV_DONTNEED), munmap with page-table freeing,
 * freeing empty PTE tables after a zap (pt_reclaim), mprotect.
 *
 * Every path that removes something a lockless walker may be looking at
 * follows the kernel order: clear the entry under its lock, gather the
 * pages and tables, flush the TLB through the arch model, then free:
 * tables through the backend (tlb_remove_table), pages by dropping the
 * mapping's reference.
 */
#include "arch.h"
#include "backend.h"
#include "check.h"
#include "internal.h"
#include "machine.h"
#include "smp.h"

#include <errno.h>
#include <time.h>

_Atomic uint64_t wl_fault_io_ns;

/*
 * Install a new table under parent's lock unless somebody else did
 * (__pte_alloc/pmd_install).  Returns the table now linked at parent[i],
 * or WL_TABLE_NONE if the slot holds a leaf or the pool is empty.
 */
static uint32_t table_install(uint32_t parent, unsigned int i,
			      enum wl_level level)
{
	pteval_t v = pt_entry(parent, i);
	uint32_t new;

	if (pte_present(v))
		return pte_leaf(v) ? WL_TABLE_NONE : (uint32_t)pte_pfn(v);
	if (!pte_none(v))
		return WL_TABLE_NONE; /* a non-present huge entry */
	new = wl_table_alloc(level);
	if (new == WL_TABLE_NONE)
		return new;
	wl_ptl_lock(parent);
	v = pt_entry(parent, i);
	if (pte_none(v)) {
		/* Release in set_entry(): the zeroed table before the link. */
		set_entry(parent, i, pfn_pte(new, _PAGE_TABLE));
		v = pt_entry(parent, i);
		new = WL_TABLE_NONE;
	}
	wl_ptl_unlock(parent);
	if (new != WL_TABLE_NONE)
		wl_table_free(new); /* lost the race; never published */
	if (!pte_present(v) || pte_leaf(v))
		return WL_TABLE_NONE;
	return (uint32_t)pte_pfn(v);
}

static uint32_t wl_pud_table_alloc(struct wl_mm *mm, uint64_t addr)
{
	return table_install(mm->pgd, pgd_index(addr), WL_PUD);
}

uint32_t wl_pmd_table_alloc(struct wl_mm *mm, uint64_t addr)
{
	uint32_t pud = wl_pud_table_alloc(mm, addr);

	if (pud == WL_TABLE_NONE)
		return pud;
	return table_install(pud, pud_index(addr), WL_PMD);
}

/* Simulated I/O: the CPU sleeps (a context switch for the backend). */
static void sleep_ns(uint64_t ns)
{
	wl_cpu_block_begin();
	wl_sleep_ns(ns);
	wl_cpu_block_end();
}

static int do_pud_fault(struct wl_mm *mm, uint64_t addr, unsigned int vm_flags)
{
	uint64_t haddr = addr & PUD_MASK;
	uint32_t pud = wl_pud_table_alloc(mm, haddr);
	struct wl_page *folio;
	int ret = 0;

	if (pud == WL_TABLE_NONE)
		return -ENOMEM;
	folio = wl_folio_alloc(HPAGE_PUD_ORDER);
	if (!folio)
		return -ENOMEM;
	folio_set_mapped(folio, haddr);
	wl_ptl_lock(pud);
	if (pte_none(pt_entry(pud, pud_index(haddr)))) {
		set_entry(pud, pud_index(haddr),
			  pfn_pte(page_to_pfn(folio),
				  wl_vm_prot(vm_flags) | _PAGE_PSE));
		folio = NULL;
	}
	wl_ptl_unlock(pud);
	if (folio) {
		folio_set_unmapped(folio);
		folio_put(folio);
	}
	atomic_fetch_add_explicit(&mm->nr_faults, 1, memory_order_relaxed);
	return ret;
}

void wl_install_huge_pmd(struct wl_mm *mm, uint32_t pmd, uint64_t haddr,
			 struct wl_page *folio, uint32_t deposit,
			 unsigned int vm_flags)
{
	folio_set_mapped(folio, haddr);
	wl_ptl_lock(pmd);
	if (pte_none(pt_entry(pmd, pmd_index(haddr)))) {
		wl_pgtable_deposit(pmd, deposit);
		/* Release in set_entry(): the folio before the mapping. */
		set_entry(pmd, pmd_index(haddr),
			  pfn_pte(page_to_pfn(folio),
				  wl_vm_prot(vm_flags) | _PAGE_PSE));
		folio = NULL;
		deposit = WL_TABLE_NONE;
	}
	wl_ptl_unlock(pmd);
	if (folio) {
		folio_set_unmapped(folio);
		folio_put(folio);
		wl_table_free(deposit);
	}
}

/* Fault in a huge PMD folio (THP) at a 2 MiB aligned addr. */
static int wl_do_huge_pmd_fault(struct wl_mm *mm, uint64_t haddr,
				unsigned int vm_flags)
{
	uint32_t pmd = wl_pmd_table_alloc(mm, haddr);
	uint32_t deposit;
	struct wl_page *folio;

	if (pmd == WL_TABLE_NONE)
		return -ENOMEM;
	if ((vm_flags & (VM_READ | VM_WRITE)) &&
	    wl_numa_hint_fault_pmd(pmd, haddr))
		return 0;
	/*
	 * A PTE table is already there (a split, then a partial zap): a PTE
	 * fault, as __handle_mm_fault() does when !pmd_none().
	 */
	if (!pte_none(pt_entry(pmd, pmd_index(haddr))) &&
	    !(pt_entry(pmd, pmd_index(haddr)) & _PAGE_PSE))
		return -EEXIST;
	folio = wl_folio_alloc(HPAGE_PMD_ORDER);
	if (!folio)
		return -ENOMEM;
	/* The table a later PMD split will fill (pgtable_trans_huge_deposit). */
	deposit = wl_table_alloc(WL_PTE);
	if (deposit == WL_TABLE_NONE) {
		folio_put(folio);
		return -ENOMEM;
	}
	wl_install_huge_pmd(mm, pmd, haddr, folio, deposit, vm_flags);
	atomic_fetch_add_explicit(&mm->nr_faults, 1, memory_order_relaxed);
	return 0;
}

static int do_pte_fault(struct wl_mm *mm, uint64_t addr, unsigned int vm_flags)
{
	uint32_t pmd = wl_pmd_table_alloc(mm, addr);
	uint32_t pte;
	struct wl_page *folio = NULL;
	pteval_t v;
	unsigned int i = pte_index(addr);

	if (pmd == WL_TABLE_NONE)
		return -ENOMEM;
	pte = table_install(pmd, pmd_index(addr), WL_PTE);
	/*
	 * Still none: no table to install (pte_alloc() failed, VM_FAULT_OOM).
	 * A retry would spin while the tables wait, deferred, for a grace
	 * period that a spinning QSBR walker never lets end.
	 */
	if (pte == WL_TABLE_NONE && pte_none(pt_entry(pmd, pmd_index(addr))))
		return -ENOMEM;
	if (pte == WL_TABLE_NONE)
		return -EAGAIN; /* a huge PMD or a migration entry: retry */
	if (vm_flags & VM_PFNMAP) {
		/* remap_pfn_range(): special entries, no struct page. */
		v = pfn_pte(0, wl_vm_prot(vm_flags) | _PAGE_SPECIAL);
	} else {
		folio = wl_folio_alloc(0);
		if (!folio)
			return -ENOMEM;
		if (vm_flags & VM_MOVABLE)
			atomic_fetch_or_explicit(&folio->flags, PG_movable,
						 memory_order_relaxed);
		folio_set_mapped(folio, addr & PAGE_MASK);
		v = pfn_pte(page_to_pfn(folio), wl_vm_prot(vm_flags));
	}
	/*
	 * pte_offset_map_lock(): the table may have been reclaimed since we
	 * looked it up; recheck the PMD under its lock, then take the PTE lock.
	 */
	wl_ptl_lock(pmd);
	if (pt_entry(pmd, pmd_index(addr)) != pfn_pte(pte, _PAGE_TABLE)) {
		wl_ptl_unlock(pmd);
		if (folio) {
			folio_set_unmapped(folio);
			folio_put(folio);
		}
		return -EAGAIN;
	}
	wl_ptl_lock(pte);
	wl_ptl_unlock(pmd);
	if (pte_none(pt_entry(pte, i))) {
		set_entry(pte, i, v);
		folio = NULL;
	} else if (pte_protnone(pt_entry(pte, i)) &&
		   (vm_flags & (VM_READ | VM_WRITE))) {
		/* NUMA hinting fault: make it accessible again. */
		pteval_t o = pt_entry(pte, i);

		set_entry(pte, i, (o & ~(_PAGE_PROTNONE)) | _PAGE_PRESENT);
	}
	wl_ptl_unlock(pte);
	if (folio) {
		folio_set_unmapped(folio);
		folio_put(folio);
	}
	atomic_fetch_add_explicit(&mm->nr_faults, 1, memory_order_relaxed);
	return 0;
}

int wl_handle_mm_fault(struct wl_mm *mm, uint64_t addr, unsigned int flags)
{
	return wl_handle_vma_fault(mm, wl_find_vma(mm, addr), addr, flags);
}

int wl_handle_vma_fault(struct wl_mm *mm, const struct wl_vma *vma,
			uint64_t addr, unsigned int flags)
{
	uint64_t io =
		atomic_load_explicit(&wl_fault_io_ns, memory_order_relaxed);
	pteval_t v;
	enum wl_level level;

	if (!vma)
		return -EFAULT;
	if ((flags & FAULT_FLAG_WRITE) && !(vma->flags & VM_WRITE))
		return -EFAULT;
	if (!(vma->flags & (VM_READ | VM_WRITE)) && !(vma->flags & VM_PFNMAP))
		return -EFAULT;
	if (wl_lookup(mm, addr, &v, &level) &&
	    pte_access_permitted(v, flags & FAULT_FLAG_WRITE))
		return 0;
	if (io && !(flags & FAULT_FLAG_TRIED)) {
		if (flags & FAULT_FLAG_ALLOW_RETRY) {
			/* Drop mmap_lock for the I/O; the caller retries. */
			mmap_read_unlock(mm);
			sleep_ns(io);
			return VM_FAULT_RETRY;
		}
		sleep_ns(io); /* I/O with mmap_lock held */
	}
	if (vma->flags & VM_HUGE_PUD)
		return do_pud_fault(mm, addr, vma->flags);
	if ((vma->flags & VM_HUGEPAGE) && (addr & PMD_MASK) >= vma->start &&
	    (addr & PMD_MASK) + PMD_SIZE <= vma->end) {
		int ret = wl_do_huge_pmd_fault(mm, addr & PMD_MASK, vma->flags);

		if (ret != -ENOMEM && ret != -EEXIST)
			return ret;
		/* No huge folio: fall back to small pages, as THP does. */
	}
	return do_pte_fault(mm, addr, vma->flags);
}

int wl_populate(struct wl_mm *mm, uint64_t addr, uint64_t len)
{
	int ret = 0;

	mmap_read_lock(mm);
	for (uint64_t a = addr; a < addr + len && !ret; a += PAGE_SIZE) {
		struct wl_vma *vma = wl_find_vma(mm, a);

		if (!vma) {
			ret = -EFAULT;
			break;
		}
		do {
			ret = wl_handle_mm_fault(
				mm, a,
				FAULT_FLAG_TRIED | ((vma->flags & VM_WRITE)
							    ? FAULT_FLAG_WRITE
							    : 0));
		} while (ret == -EAGAIN);
	}
	mmap_read_unlock(mm);
	return ret;
}

/* ---- zap ---------------------------------------------------------- */

/*
 * The checker: a small folio a zap clears from the PTE for addr must be the
 * one mapped at addr (mapped_addr, which the stale-pin check relies on
 * too).  One mapped elsewhere means the zap is in a PTE table that was
 * freed and reused for another range under it: a use of a freed table by
 * the writer's own walk (zap-no-pmd-recheck plants it).
 */
static void check_zapped_at(struct wl_page *folio, uint64_t addr)
{
	uint64_t m;

	if (!wl_check_enabled || folio_test_large(folio))
		return;
	m = READ_ONCE(folio->mapped_addr);
	if (m != addr && m != WL_NOT_MAPPED)
		wl_violation(WL_V_TABLE_UAF,
			     "zap at 0x%llx cleared a PTE of pfn %llu mapped "
			     "at 0x%llx: its PTE table was freed and reused "
			     "under the zap",
			     (unsigned long long)addr,
			     (unsigned long long)page_to_pfn(folio),
			     (unsigned long long)m);
}

/*
 * Zap the PTEs of [addr, end) in the table pmdval names, or return false
 * with nothing done when pmd's entry no longer names it.  That is
 * pte_offset_map_lock()'s pmd_same() recheck under the PTE lock: between
 * our read of the PMD and the lock, another thread holding only mmap_lock
 * for read (MADV_DONTNEED's try_to_free_pte(), a retract) may unlink the
 * table, and once freed it may be reused for any other mapping.  The
 * kernel also holds rcu_read_lock() across that window so the table is not
 * freed under it; here the table pool outlives every table, so only the
 * recheck is needed (a table reused at this very PMD slot is ours again).
 */
static bool zap_pte_range(struct wl_mmu_gather *tlb, uint32_t pmd,
			  pteval_t pmdval, uint64_t addr, uint64_t end)
{
	uint32_t pte = (uint32_t)pte_pfn(pmdval);

	wl_ptl_lock(pte);
	if (!wl_bugs.zap_no_pmd_recheck &&
	    pt_entry(pmd, pmd_index(addr)) != pmdval) {
		wl_ptl_unlock(pte);
		return false;
	}
	for (uint64_t a = addr; a < end; a += PAGE_SIZE) {
		unsigned int i = pte_index(a);
		pteval_t v = pt_entry(pte, i);
		struct wl_page *folio;

		if (pte_none(v))
			continue;
		/* Clear first; a walker that pinned will fail its recheck. */
		v = get_and_clear(pte, i);
		if (!pte_present(v) || pte_special(v))
			continue; /* migration entries: migration cleans up */
		folio = page_folio(pfn_to_page(pte_pfn(v)));
		check_zapped_at(folio, a);
		/*
		 * The stale-pin check tracks a whole folio's mapping: only a
		 * small folio is now mapped nowhere.
		 */
		if (!folio_test_large(folio))
			folio_set_unmapped(folio);
		tlb_remove_folio(tlb, folio, 1);
	}
	wl_ptl_unlock(pte);
	tlb_flush_range(tlb, addr, end);
	return true;
}

static bool table_empty(uint32_t t)
{
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(pt_entry(t, i)))
			return false;
	return true;
}

/*
 * try_to_free_pte() (mm/pt_reclaim.c): unlink an empty PTE table and free
 * it through the backend, as tables freed by munmap are.
 */
static void reclaim_pte_table(struct wl_mmu_gather *tlb, struct wl_mm *mm,
			      uint32_t pmd, uint64_t haddr)
{
	unsigned int i = pmd_index(haddr);
	pteval_t v;
	uint32_t pte;

	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if (!pte_present(v) || pte_leaf(v)) {
		wl_ptl_unlock(pmd);
		return;
	}
	pte = (uint32_t)pte_pfn(v);
	wl_ptl_lock(pte);
	if (!table_empty(pte)) {
		wl_ptl_unlock(pte);
		wl_ptl_unlock(pmd);
		return;
	}
	/* try_get_and_clear_pmd(): pmd_clear(), a publication point. */
	wl_unlink_plain(pmd, i);
	wl_ptl_unlock(pte);
	wl_ptl_unlock(pmd);
	atomic_fetch_add_explicit(&mm->nr_pt_reclaims, 1, memory_order_relaxed);
	if (wl_bugs.pt_reclaim_free_now) {
		/* The broken state: free at once, no flush, no backend. */
		wl_table_free(pte);
		return;
	}
	tlb_flush_range(tlb, haddr, haddr + PMD_SIZE);
	tlb_remove_table(tlb, pte);
}

static void zap_huge_pmd(struct wl_mmu_gather *tlb, uint32_t pmd,
			 uint64_t haddr)
{
	unsigned int i = pmd_index(haddr);
	pteval_t v;
	uint32_t deposit;

	wl_ptl_lock(pmd);
	v = pt_entry(pmd, i);
	if (!pte_leaf(v) && !(v & _PAGE_PSE)) {
		wl_ptl_unlock(pmd);
		return;
	}
	v = get_and_clear(pmd, i);
	deposit = wl_pgtable_withdraw(pmd);
	wl_ptl_unlock(pmd);
	if (deposit != WL_TABLE_NONE)
		/* zap_deposited_table(): never visible to walkers: pte_free. */
		wl_table_free(deposit);
	if (pte_pfn(v) < wl_pages.nr) {
		struct wl_page *folio = page_folio(pfn_to_page(pte_pfn(v)));

		folio_set_unmapped(folio);
		tlb_remove_folio(tlb, folio, 1);
	}
	tlb_flush_range(tlb, haddr, haddr + PMD_SIZE);
}

static void zap_pmd_range(struct wl_mmu_gather *tlb, struct wl_mm *mm,
			  uint32_t pmd, uint64_t addr, uint64_t end,
			  bool reclaim_pt)
{
	uint64_t next;

	for (; addr < end; addr = next) {
		uint64_t haddr = addr & PMD_MASK;
		pteval_t v = pt_entry(pmd, pmd_index(addr));

		next = WL_MIN(haddr + PMD_SIZE, end);
		if (pte_none(v))
			continue;
		if (v & _PAGE_PSE) {
			if (addr != haddr || next != haddr + PMD_SIZE) {
				/* Partial: split the PMD, then zap PTEs. */
				wl_split_huge_pmd_locked_mm(mm, haddr);
				v = pt_entry(pmd, pmd_index(addr));
				if (v & _PAGE_PSE)
					continue;
			} else {
				zap_huge_pmd(tlb, pmd, haddr);
				continue;
			}
		}
		if (!pte_present(v))
			continue;
		/*
		 * The window the recheck closes, where tests/test_mm.c's hook
		 * runs the other DONTNEED and the torture delays the zap.
		 */
		wl_inject(WL_INJ_WALK_LEVEL);
		if (!zap_pte_range(tlb, pmd, v, addr, next)) {
			next = addr; /* the PMD changed: look at it again */
			continue;
		}
		if (reclaim_pt)
			reclaim_pte_table(tlb, mm, pmd, haddr);
	}
}

static void zap_range(struct wl_mmu_gather *tlb, struct wl_mm *mm,
		      uint64_t addr, uint64_t end, bool reclaim_pt)
{
	uint64_t next;

	for (; addr < end; addr = next) {
		uint64_t pnext = (addr & ~(PGDIR_SIZE - 1)) + PGDIR_SIZE;
		pteval_t g = pt_entry(mm->pgd, pgd_index(addr));

		next = WL_MIN(pnext, end);
		if (!pte_present(g))
			continue;
		uint32_t pud = (uint32_t)pte_pfn(g);

		for (uint64_t a = addr, n; a < next; a = n) {
			pteval_t u = pt_entry(pud, pud_index(a));

			n = WL_MIN((a & PUD_MASK) + PUD_SIZE, next);
			if (pte_none(u))
				continue;
			if (u & _PAGE_PSE) {
				/* hugetlb-like leaf: unmapped whole. */
				wl_ptl_lock(pud);
				u = get_and_clear(pud, pud_index(a));
				wl_ptl_unlock(pud);
				if (pte_present(u)) {
					struct wl_page *f =
						pfn_to_page(pte_pfn(u));
					folio_set_unmapped(f);
					tlb_remove_folio(tlb, f, 1);
				}
				tlb_flush_range(tlb, a & PUD_MASK,
						(a & PUD_MASK) + PUD_SIZE);
				continue;
			}
			zap_pmd_range(tlb, mm, (uint32_t)pte_pfn(u), a, n,
				      reclaim_pt);
		}
	}
}

void wl_zap_vma_locked(struct wl_mm *mm, uint64_t addr, uint64_t len)
{
	struct wl_mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	zap_range(&tlb, mm, addr, addr + len, false);
	tlb_finish_mmu(&tlb);
	atomic_fetch_add_explicit(&mm->nr_zaps, 1, memory_order_relaxed);
}

int wl_madvise_dontneed(struct wl_mm *mm, uint64_t addr, uint64_t len,
			bool reclaim_pt)
{
	struct wl_mmu_gather tlb;

	if ((addr | len) & ~PAGE_MASK || !len || addr + len > TASK_SIZE)
		return -EINVAL;
	mmap_read_lock(mm);
	tlb_gather_mmu(&tlb, mm);
	zap_range(&tlb, mm, addr, addr + len, reclaim_pt);
	tlb_finish_mmu(&tlb);
	mmap_read_unlock(mm);
	atomic_fetch_add_explicit(&mm->nr_zaps, 1, memory_order_relaxed);
	return 0;
}

/* ---- free_pgtables ------------------------------------------------ */

/* Unlink child at parent[i] and gather it, if no VMA needs its span. */
static bool free_child(struct wl_mmu_gather *tlb, struct wl_mm *mm,
		       uint32_t parent, unsigned int i, uint64_t span_start,
		       uint64_t span_size)
{
	pteval_t v = pt_entry(parent, i);

	if (!pte_present(v) || pte_leaf(v))
		return pte_none(v);
	if (wl_vma_intersects(mm, span_start, span_start + span_size))
		return false;
	uint32_t child = (uint32_t)pte_pfn(v);

	if (!table_empty(child))
		return false;
	/*
	 * pmd_clear()/pud_clear() in free_pgtables: a plain store, and a
	 * publication point (the fallback's sync reads the trackers after).
	 */
	wl_ptl_lock(parent);
	wl_unlink_plain(parent, i);
	wl_ptl_unlock(parent);
	wl_inject(WL_INJ_WRITER_UNLINK);
	if (wl_bugs.single_user_table_free ||
	    wl_bugs.munmap_free_before_flush) {
		/*
		 * Until 2018, tlb_remove_table(): "when there's less than two
		 * users of this mm there cannot be a concurrent page-table
		 * walk": freed at once, before the flush.  The torture runs it
		 * with --lazy-tlb only, where the writer is the mm's one user.
		 * munmap_free_before_flush plants the same misordering on any
		 * mm: freed before the flush and the walkers' wait.
		 */
		wl_table_free(child);
		return true;
	}
	tlb_flush_range(tlb, span_start, span_start + span_size);
	tlb_remove_table(tlb, child);
	return true;
}

/*
 * free_pgtables(): free the tables under [start, end) that no VMA still
 * needs, bottom-up.  mmap_lock held for write; lockless walkers may still
 * be in them, so they go through tlb_remove_table().
 */
static void free_pgtables(struct wl_mmu_gather *tlb, struct wl_mm *mm,
			  uint64_t start, uint64_t end)
{
	for (uint64_t g = start & ~(PGDIR_SIZE - 1); g < end; g += PGDIR_SIZE) {
		pteval_t gv = pt_entry(mm->pgd, pgd_index(g));

		if (!pte_present(gv))
			continue;
		uint32_t pud = (uint32_t)pte_pfn(gv);
		uint64_t ustart = WL_MAX(g, start & PUD_MASK);

		for (uint64_t u = ustart; u < end && u < g + PGDIR_SIZE;
		     u += PUD_SIZE) {
			pteval_t uv = pt_entry(pud, pud_index(u));

			if (!pte_present(uv) || pte_leaf(uv))
				continue;
			uint32_t pmd = (uint32_t)pte_pfn(uv);
			uint64_t mstart = WL_MAX(u, start & PMD_MASK);

			for (uint64_t m = mstart; m < end && m < u + PUD_SIZE;
			     m += PMD_SIZE)
				free_child(tlb, mm, pmd, pmd_index(m), m,
					   PMD_SIZE);
			free_child(tlb, mm, pud, pud_index(u), u, PUD_SIZE);
		}
		free_child(tlb, mm, mm->pgd, pgd_index(g), g, PGDIR_SIZE);
	}
}

void wl_unmap_region(struct wl_mm *mm, uint64_t start, uint64_t end)
{
	struct wl_mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	zap_range(&tlb, mm, start, end, false);
	free_pgtables(&tlb, mm, start, end);
	tlb_finish_mmu(&tlb);
}

/* ---- mprotect ----------------------------------------------------- */

static pteval_t change_prot(pteval_t v, pteval_t prot)
{
	const pteval_t bits = _PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_RW |
			      _PAGE_DIRTY | _PAGE_USER | _PAGE_ACCESSED;

	return (v & ~bits) | prot;
}

static void change_range(struct wl_mmu_gather *tlb, struct wl_mm *mm,
			 uint64_t addr, uint64_t end, pteval_t prot)
{
	for (uint64_t a = addr; a < end;) {
		struct wl_locked_entry le;

		if (!wl_entry_lock(mm, a, &le)) {
			a += PAGE_SIZE;
			continue;
		}
		uint64_t size = le.level == WL_PTE   ? PAGE_SIZE
				: le.level == WL_PMD ? PMD_SIZE
						     : PUD_SIZE;
		uint64_t base = a & ~(size - 1);

		if (le.level == WL_PMD && (base < addr || base + size > end)) {
			wl_entry_unlock(&le);
			wl_split_huge_pmd_locked_mm(mm, base);
			continue;
		}
		if (pte_present(le.val)) {
			/*
			 * ptep_modify_prot_start/commit: clear, then set, so a
			 * walker that pinned through the old entry fails its
			 * recheck.
			 */
			pteval_t o = get_and_clear(le.table, le.index);

			set_entry(le.table, le.index, change_prot(o, prot));
		}
		wl_entry_unlock(&le);
		tlb_flush_range(tlb, base, base + size);
		a = base + size;
	}
}

int wl_mprotect(struct wl_mm *mm, uint64_t addr, uint64_t len,
		unsigned int vm_flags)
{
	struct wl_mmu_gather tlb;
	struct wl_vma *vma;
	unsigned int flags;
	int ret;

	if ((addr | len) & ~PAGE_MASK || !len || addr + len > TASK_SIZE)
		return -EINVAL;
	mmap_write_lock(mm);
	vma = wl_find_vma(mm, addr);
	if (!vma || vma->end < addr + len) {
		mmap_write_unlock(mm);
		return -ENOMEM;
	}
	flags = (vma->flags & ~(VM_READ | VM_WRITE)) |
		(vm_flags & (VM_READ | VM_WRITE));
	ret = wl_vma_remove(mm, addr, addr + len);
	if (!ret && mm->nr_vmas < WL_MAX_VMAS)
		mm->vmas[mm->nr_vmas++] = (struct wl_vma){
			.start = addr, .end = addr + len, .flags = flags};
	else if (!ret)
		ret = -ENOMEM;
	if (!ret) {
		tlb_gather_mmu(&tlb, mm);
		change_range(&tlb, mm, addr, addr + len, wl_vm_prot(flags));
		tlb_finish_mmu(&tlb);
	}
	mmap_write_unlock(mm);
	atomic_fetch_add_explicit(&mm->nr_mprotects, 1, memory_order_relaxed);
	return ret;
}
