// SPDX-License-Identifier: MIT
/*
 * fault.c - the fault paths of fault.h; the speculative one is the second
 * client of the backend's lockless_page_walk_begin()/end().
 *
 * The speculative page fault follows Michel Lespinasse's 2021 series
 * (do_handle_mm_fault() with FAULT_FLAG_SPECULATIVE, then pte_map_lock()):
 *  1. read mm->mmap_seq; odd: abort;
 *  2. copy the VMA without mmap_lock, validated by mmap_seq; only an
 *     anonymous, non-THP VMA is handled speculatively;
 *  3. inside a walk section, walk to the PMD; it must point to a PTE
 *     table (pmd_none, a huge PMD: abort), whose entry must be none;
 *  4. allocate the folio, with IRQs on;
 *  5. pte_map_lock(): inside a second walk section, mmap_seq unchanged,
 *     the PMD the same as in step 3, the PTE lock taken with trylock (a
 *     spin with IRQs off could wait for a CPU that waits for our IPI),
 *     then mmap_seq checked again under the lock, and the section ends;
 *  6. install if the entry is still none, unlock.
 * Any check that fails aborts to the mmap_lock path and is counted.
 *
 * Where the model goes beyond the series: step 5 also rechecks the PMD
 * under the PTE lock, as today's pte_offset_map_lock() does, because
 * here empty PTE tables are reclaimed (pt_reclaim) and retracted
 * (retract_page_tables()) under mmap_lock for read, which mmap_seq does
 * not see; the 2021 kernel had neither.  What the walk sections protect:
 * between reading the PMD and taking the PTE lock, the PTE table (and the
 * lock in its ptdesc) must not be freed; with IRQs off and a flush that
 * IPIs nobody, and no RCU table freeing, nothing holds it (the review's
 * concern, scenario spf-broadcast-no-rcu).
 *
 * A backend with a per-PTE-table reference (backend.h 1b, pte_refcount)
 * gets its try-get just after each PMD load that leads to a PTE table, and
 * its put once the fault is done with the table: after the PTE load in
 * step 3, after the install and the unlock in step 6 (the 2021 series
 * held pte_try_get() across the fault's PTE work the same way).  The
 * checker's watch on the table ends before the put, which may free it.
 *
 * The checker sees every table a section enters (its generation, as
 * gup.c's walk trace does) and, with --bug spf-no-seq-check, the PTE the
 * fault then installs into a detached table or under an unmapped VMA
 * (orphan_pte, core/check.h).
 */
#include "fault.h"
#include "backend.h"
#include "check.h"
#include "internal.h"
#include "machine.h"
#include "pte_ref.h"
#include "walk_backend.h"

#include <errno.h>

/*
 * An entry a speculative walk follows: consume, the address dependency
 * orders the reads of the table it names; pairs with the release store
 * that published it (set_entry()).
 */
#define SPF_READ(p) atomic_load_explicit((p), memory_order_consume)

/* The tables one walk section entered, with their generations. */
struct spf_trace {
	unsigned int n;
	uint32_t table[4], gen[4];
	uint64_t addr;
};

/* Enter table; false (a table_uaf) if it is already free. */
static bool spf_enter(struct spf_trace *t, uint32_t table)
{
	uint32_t gen;

	if (!wl_check_enabled)
		return true;
	gen = wl_table_gen_begin(table);
	if (unlikely(gen & 1)) {
		wl_violation(WL_V_TABLE_UAF,
			     "speculative fault at %#llx entered table %u "
			     "already freed (gen %u)",
			     (unsigned long long)t->addr, table, gen);
		return false;
	}
	if (t->n < 4) {
		t->table[t->n] = table;
		t->gen[t->n++] = gen;
	}
	return true;
}

/* Before the section ends: was a table it entered freed or reused? */
static void spf_leave(struct spf_trace *t)
{
	for (unsigned int i = 0; wl_check_enabled && i < t->n; i++)
		if (unlikely(wl_table_gen_retry(t->table[i], t->gen[i])))
			wl_violation(WL_V_TABLE_UAF,
				     "speculative fault at %#llx: table %u "
				     "freed or reused in its section",
				     (unsigned long long)t->addr, t->table[i]);
	t->n = 0;
}

/* The next table named by entry v, or WL_TABLE_NONE. */
static uint32_t spf_next(struct spf_trace *t, pteval_t v)
{
	if (!pte_present(v) || pte_leaf(v) || !wl_table_valid(pte_pfn(v)) ||
	    !spf_enter(t, (uint32_t)pte_pfn(v)))
		return WL_TABLE_NONE;
	return (uint32_t)pte_pfn(v);
}

/* Odd, or moved since seq: mmap_lock was or is held for write. */
static bool spf_seq_changed(struct wl_mm *mm, unsigned int seq)
{
	if (wl_bugs.spf_no_seq_check)
		return false;
	/*
	 * Acquire: what a writer did before its mmap_seq increment is seen
	 * after this load; pairs with the release in mmap_write_unlock()
	 * and the smp_wmb() in mmap_write_lock() (mm.c).
	 */
	return atomic_load_explicit(&mm->mmap_seq, memory_order_acquire) != seq;
}

static bool spf_abort(struct wl_fault_stats *st, enum wl_fault_abort why)
{
	st->aborts++;
	st->abort[why]++;
	return false;
}

/*
 * Step 3, in a walk section: the PMD table and the PMD's value, which must
 * name a PTE table whose entry for addr is none, or present and usable
 * for this access (*present: nothing to do).
 */
static bool spf_walk_pmd(struct wl_mm *mm, uint64_t addr, bool write,
			 uint32_t *pmd_table, pteval_t *orig_pmd, bool *present,
			 struct wl_fault_stats *st)
{
	struct spf_trace t = {.addr = addr};
	unsigned long cookie = lockless_page_walk_begin(mm);
	uint32_t pud, pmd, pte = WL_TABLE_NONE;
	pteval_t v = 0;

	pud = spf_next(&t, SPF_READ(&wl_table(mm->pgd)->e[pgd_index(addr)]));
	if (pud != WL_TABLE_NONE) {
		wl_inject(WL_INJ_WALK_LEVEL);
		pmd = spf_next(&t,
			       SPF_READ(&wl_table(pud)->e[pud_index(addr)]));
		if (pmd != WL_TABLE_NONE) {
			*pmd_table = pmd;
			*orig_pmd =
				SPF_READ(&wl_table(pmd)->e[pmd_index(addr)]);
			pte = spf_next(&t, *orig_pmd);
		}
	}
	if (pte != WL_TABLE_NONE && !wl_pte_table_try_get(pte))
		pte = WL_TABLE_NONE;
	if (pte != WL_TABLE_NONE)
		v = SPF_READ(&wl_table(pte)->e[pte_index(addr)]);
	spf_leave(&t);
	if (pte != WL_TABLE_NONE)
		wl_pte_table_put(pte);
	lockless_page_walk_end(mm, cookie);
	*present = !pte_none(v);
	/* A PTE there, but not one this access may use: not SPF's case. */
	if (pte == WL_TABLE_NONE ||
	    (*present && !pte_access_permitted(v, write)))
		return spf_abort(st, WL_ABORT_PMD);
	return true;
}

/* Try to take a PTE lock once (spin_trylock()). */
static bool ptl_trylock(uint32_t table)
{
	/* Acquire, as wl_ptl_lock(); pairs with the release in unlock. */
	return !atomic_exchange_explicit(&wl_ptdesc(table)->ptl, 1,
					 memory_order_acquire);
}

/*
 * Step 5, pte_map_lock(): returns the PTE table, locked and with its
 * reference (pte_ref.h) held, or WL_TABLE_NONE after counting the abort.
 */
static uint32_t spf_pte_map_lock(struct wl_mm *mm, uint64_t addr,
				 unsigned int seq, uint32_t pmd_table,
				 pteval_t orig_pmd, struct wl_fault_stats *st)
{
	struct spf_trace t = {.addr = addr};
	unsigned long cookie = lockless_page_walk_begin(mm);
	_Atomic pteval_t *pmdp = &wl_table(pmd_table)->e[pmd_index(addr)];
	enum wl_fault_abort why = WL_ABORT_SEQ;
	uint32_t pte = WL_TABLE_NONE;
	bool got = false;

	wl_inject(WL_INJ_WALK_LEVEL);
	if (spf_seq_changed(mm, seq) || !spf_enter(&t, pmd_table))
		goto out;
	why = WL_ABORT_PMD;
	if (SPF_READ(pmdp) != orig_pmd ||
	    spf_next(&t, orig_pmd) == WL_TABLE_NONE ||
	    !wl_pte_table_try_get((uint32_t)pte_pfn(orig_pmd)))
		goto out;
	got = true;
	wl_inject(WL_INJ_SPF_PTL); /* the window the review is about */
	why = WL_ABORT_PTL;
	if (!ptl_trylock((uint32_t)pte_pfn(orig_pmd)))
		goto out;
	pte = (uint32_t)pte_pfn(orig_pmd);
	/*
	 * Under the lock: mmap_seq again (a munmap that zapped this table
	 * before we locked it has moved it), and the PMD, seq_cst as gup.c's
	 * recheck: pairs with pt_reclaim's seq_cst clear of it.
	 */
	why = spf_seq_changed(mm, seq) ? WL_ABORT_SEQ : WL_ABORT_PMD;
	if (why == WL_ABORT_SEQ ||
	    atomic_load_explicit(pmdp, memory_order_seq_cst) != orig_pmd) {
		wl_ptl_unlock(pte);
		pte = WL_TABLE_NONE;
	}
out:
	spf_leave(&t);
	if (got && pte == WL_TABLE_NONE)
		wl_pte_table_put((uint32_t)pte_pfn(orig_pmd));
	lockless_page_walk_end(mm, cookie);
	if (pte == WL_TABLE_NONE)
		spf_abort(st, why);
	return pte;
}

/* Steps 1 and 2: the validated VMA copy, if SPF handles it. */
static bool spf_vma(struct wl_mm *mm, uint64_t addr, bool write,
		    unsigned int *seq, struct wl_vma *vma,
		    struct wl_fault_stats *st)
{
	/* Acquire: read_seqcount_begin(); pairs as in spf_seq_changed(). */
	*seq = atomic_load_explicit(&mm->mmap_seq, memory_order_acquire);
	if ((*seq & 1) && !wl_bugs.spf_no_seq_check)
		return spf_abort(st, WL_ABORT_SEQ);
	if (!wl_vma_lookup_speculative(mm, addr, *seq, vma) &&
	    !wl_bugs.spf_no_seq_check)
		return spf_abort(st, WL_ABORT_VMA);
	if (addr < vma->start || addr >= vma->end ||
	    (vma->flags & (VM_HUGEPAGE | VM_HUGE_PUD | VM_PFNMAP)) ||
	    !(vma->flags & (write ? VM_WRITE : VM_READ | VM_WRITE)))
		return spf_abort(st, WL_ABORT_VMA);
	return true;
}

int wl_spf_fault(struct wl_mm *mm, uint64_t addr, bool write,
		 struct wl_fault_stats *st)
{
	unsigned int seq = 0, i = pte_index(addr);
	struct wl_vma vma = {0};
	uint32_t pmd_table = WL_TABLE_NONE, pte;
	pteval_t orig_pmd = 0;
	struct wl_page *folio;
	bool present;

	addr &= PAGE_MASK;
	st->attempts++;
	if (!spf_vma(mm, addr, write, &seq, &vma, st) ||
	    !spf_walk_pmd(mm, addr, write, &pmd_table, &orig_pmd, &present, st))
		return -EAGAIN;
	if (present) {
		st->present++;
		return 0;
	}
	folio = wl_folio_alloc(0);
	if (!folio) {
		spf_abort(st, WL_ABORT_PMD);
		return -EAGAIN;
	}
	folio_set_mapped(folio, addr);
	pte = spf_pte_map_lock(mm, addr, seq, pmd_table, orig_pmd, st);
	if (pte == WL_TABLE_NONE) {
		folio_put_unused(folio);
		return -EAGAIN;
	}
	if (pte_none(pt_entry(pte, i))) {
		/* Release in set_entry(): the folio before the mapping. */
		set_entry(pte, i,
			  pfn_pte(page_to_pfn(folio), wl_vm_prot(vma.flags)));
		folio = NULL;
	}
	wl_ptl_unlock(pte);
	wl_pte_table_put(pte);
	folio_put_unused(folio);
	atomic_fetch_add_explicit(&mm->nr_faults, 1, memory_order_relaxed);
	return 0;
}

/* The classic fault, under mmap_lock for read. */
static int fault_mmap_lock(struct wl_mm *mm, uint64_t addr, bool write)
{
	int ret;

	mmap_read_lock(mm);
	do {
		ret = wl_handle_mm_fault(mm, addr,
					 write ? FAULT_FLAG_WRITE : 0);
	} while (ret == -EAGAIN);
	mmap_read_unlock(mm);
	return ret;
}

/* lock_vma_under_rcu(), then the fault under the VMA's read lock. */
static int fault_vma_lock(struct wl_mm *mm, uint64_t addr, bool write,
			  struct wl_fault_stats *st)
{
	struct wl_vma vma;
	int slot, ret;

	st->attempts++;
	slot = wl_vma_start_read(mm, addr, &vma);
	if (slot < 0) {
		spf_abort(st, WL_ABORT_VMA);
		return -EAGAIN;
	}
	do {
		ret = wl_handle_vma_fault(mm, &vma, addr,
					  write ? FAULT_FLAG_WRITE : 0);
	} while (ret == -EAGAIN);
	wl_vma_end_read(mm, slot);
	return ret;
}

int wl_fault(struct wl_mm *mm, uint64_t addr, bool write,
	     enum wl_fault_path path, struct wl_fault_stats *st)
{
	int ret = -EAGAIN;

	if (path == WL_FAULT_SPF)
		ret = wl_spf_fault(mm, addr, write, st);
	else if (path == WL_FAULT_VMA_LOCK)
		ret = fault_vma_lock(mm, addr, write, st);
	if (ret == -EAGAIN)
		ret = fault_mmap_lock(mm, addr, write);
	else if (!ret)
		st->speculative++;
	if (!ret)
		st->faults++;
	return ret;
}
