// SPDX-License-Identifier: MIT
/*
 * gup.c - the lockless page-table walker (GUP-fast) and its slow path.
 *
 * This follows mm/gup.c of about v6.13 (docs/kernel-protocol.md 1):
 *  - each level is read once, and the next table is indexed from the value
 *    read (the *_offset_lockless() accessors);
 *  - none, protnone, special, non-present (swap, migration) and entries
 *    without write permission for FOLL_WRITE end the walk: the caller
 *    finishes in the slow path;
 *  - the reference is taken with add-unless-zero, then the PMD and the PTE
 *    are read again and the reference is dropped if either changed;
 *  - a huge PMD/PUD leaf takes one reference per subpage it returns, on the
 *    folio, and rechecks its own entry.
 * The walk is bracketed by lockless_page_walk_begin()/end() from the
 * backend's "walk_backend.h"; in the kernel that is local_irq_save().
 *
 * FOLL_PIN reads fork's mm->write_protect_seq around the walk and undoes
 * its pins when fork ran meanwhile (core/fork.c).  COW unsharing
 * (gup_must_unshare) is modelled only for pages fork shares with its
 * child (PG_cow_shared).  Not modelled: devmap, P2PDMA, secretmem and the
 * file-backed checks of gup_fast_folio_allowed().
 *
 * Ordering.  Entries are read with consume loads: the address dependency
 * from an entry to the table or folio it names orders the reads after the
 * writer's release store that published it (pmd_install()'s smp_wmb()).
 * The rechecks are seq_cst loads: with the seq_cst add-unless-zero before
 * them, they form the store-buffering pattern against a writer's
 * "clear the entry (seq_cst xchg), then read the refcount (seq_cst)"
 * (khugepaged's isolate, migration's freeze): one of the two sides must
 * see the other.  On x86 both compile to plain loads.
 */
#include "gup.h"
#include "backend.h"
#include "check.h"
#include "internal.h"
#include "machine.h"
#include "legacy_thp.h"
#include "pte_ref.h"
#include "walk_backend.h"
#include "arch.h"
#include "ring.h"

#include <errno.h>
#include <sched.h>

/*
 * READ_ONCE() of an entry a walker will follow: consume, the address
 * dependency orders the reads of the table or folio it names after it;
 * pairs with the release store that published the entry (set_entry()).
 */
#define READ_ENTRY(p) atomic_load_explicit((p), memory_order_consume)
/*
 * The recheck: seq_cst, ordered after the seq_cst add-unless-zero; pairs
 * with a writer's seq_cst clear of the entry and its seq_cst refcount
 * read (store buffering, see the header comment).
 */
#define RECHECK_ENTRY(p) atomic_load_explicit((p), memory_order_seq_cst)

/* The checker's record of the tables a walk went through. */
#define WALK_TRACE_MAX 8
struct walk_trace {
	unsigned int n;
	uint32_t table[WALK_TRACE_MAX];
	uint32_t gen[WALK_TRACE_MAX];
	uint64_t addr; /* first address in the walk */
};

/* Record a table as the walk enters it; false if it is already free. */
static __wl_always_inline bool trace_table(struct walk_trace *t, uint32_t table,
					   uint64_t addr)
{
	if (!wl_check_enabled)
		return true;
	/*
	 * read_seqcount_begin() without the wait (see pgtable.h): a walker
	 * that sees the even (live) generation here and the same one in
	 * trace_verify() read no entry written by a free or reuse.
	 */
	uint32_t gen = wl_table_gen_begin(table);

	if (unlikely(gen & 1)) {
		wl_trace(WL_TEV_GEN, addr, table, gen);
		wl_violation(WL_V_TABLE_UAF,
			     "walk at %#llx entered table %u already freed "
			     "(gen %u)",
			     (unsigned long long)addr, table, gen);
		return false;
	}
	if (t->n < WALK_TRACE_MAX) {
		t->table[t->n] = table;
		t->gen[t->n] = gen;
		t->n++;
	}
	return true;
}

/* Just before lockless_page_walk_end(): was any table freed under us? */
static __wl_always_inline void trace_verify(const struct walk_trace *t)
{
	if (!wl_check_enabled)
		return;
	for (unsigned int i = 0; i < t->n; i++) {
		/* read_seqcount_retry(), see pgtable.h. */
		if (unlikely(wl_table_gen_retry(t->table[i], t->gen[i]))) {
			wl_trace(WL_TEV_GEN, t->addr, t->table[i], t->gen[i]);
			wl_violation(WL_V_TABLE_UAF,
				     "walk from %#llx: table %u freed or "
				     "reused under a live section (gen %u -> "
				     "%u)",
				     (unsigned long long)t->addr, t->table[i],
				     t->gen[i],
				     READ_ONCE(wl_ptdesc(t->table[i])->gen));
		}
	}
}

/*
 * A PTE table's reference is dropped (backend.h 1b): the checker's watch on
 * it ends here, before the put that may free it.  Verified now, as
 * trace_verify() would have, and forgotten.  A table not on top of the
 * trace (the trace was full) is left to trace_verify().  Returns false
 * when the table was freed or reused: the count is then somebody else's,
 * and the caller does not put (the finding is reported; a put would free
 * a live table and the run would corrupt the pool, not report).
 */
static __wl_always_inline bool trace_untable(struct walk_trace *t,
					     uint32_t table)
{
	if (!wl_check_enabled || !t->n || t->table[t->n - 1] != table)
		return true;
	t->n--;
	/* read_seqcount_retry(), see pgtable.h. */
	if (likely(!wl_table_gen_retry(table, t->gen[t->n])))
		return true;
	wl_trace(WL_TEV_GEN, t->addr, table, t->gen[t->n]);
	wl_violation(WL_V_TABLE_UAF,
		     "walk from %#llx: PTE table %u freed or reused "
		     "between its PMD load and its put (gen %u -> "
		     "%u)",
		     (unsigned long long)t->addr, table, t->gen[t->n],
		     READ_ONCE(wl_ptdesc(table)->gen));
	return false;
}

static __wl_always_inline bool entry_ok(pteval_t v, uint64_t addr)
{
	if (unlikely(pte_poisoned(v))) {
		if (wl_check_enabled)
			wl_violation(WL_V_POISON_READ,
				     "walk read a poisoned entry at %#llx",
				     (unsigned long long)addr);
		return false;
	}
	return true;
}

/*
 * Stale-pin check, after the reference and before the recheck: the folio
 * must still be mapped at base (see page.h, mapped_addr).  Returns the
 * value read, checked once the recheck has passed.
 */
static __wl_always_inline uint64_t read_mapped(struct wl_page *folio)
{
	/*
	 * Acquire: pairs with the release in folio_set_unmapped(); if we see
	 * WL_NOT_MAPPED, our recheck below sees the writer's cleared entry.
	 */
	return atomic_load_explicit(&folio->mapped_addr, memory_order_acquire);
}

static __wl_always_inline void check_mapped(uint64_t mapped, uint64_t base,
					    uint64_t addr)
{
	if (unlikely(mapped != base))
		wl_violation(WL_V_STALE_PIN,
			     "pinned folio at %#llx, mapped at %#llx: %s",
			     (unsigned long long)addr,
			     (unsigned long long)mapped,
			     mapped == WL_NOT_MAPPED
				     ? "a writer had already removed it"
				     : "another address");
}

void wl_gup_put_folio(struct wl_page *folio, int refs, unsigned int flags)
{
	if (flags & FOLL_PIN) {
		/*
		 * Release: the pin holder's accesses to the folio are ordered
		 * before the unpin; pairs with the seq_cst pincount reads of
		 * a writer that then reuses the folio (collapse_isolate()).
		 */
		if (folio_test_large(folio))
			atomic_fetch_sub_explicit(&folio->pincount, refs,
						  memory_order_release);
		else
			refs *= GUP_PIN_COUNTING_BIAS;
	}
	folio_put_refs(folio, refs);
}

/* try_grab_folio_fast() */
static __wl_always_inline struct wl_page *
try_grab_folio_fast(struct wl_page *page, int refs, unsigned int flags)
{
	struct wl_page *folio = page_folio(page);

	if (unlikely(!folio_ref_try_add(folio, refs)))
		return NULL;
	/* The folio may have been split and freed before our reference. */
	if (unlikely(page_folio(page) != folio)) {
		folio_put_refs(folio, refs);
		return NULL;
	}
	if (flags & FOLL_PIN) {
		if ((flags & FOLL_LONGTERM) &&
		    (atomic_load_explicit(&folio->flags, memory_order_relaxed) &
		     PG_movable)) {
			folio_put_refs(folio, refs);
			return NULL;
		}
		/*
		 * seq_cst: the kernel's smp_mb__after_atomic(); orders the
		 * pin before the recheck, and pairs with writers that look
		 * for pins (folio_maybe_dma_pinned) after clearing the entry.
		 */
		if (folio_test_large(folio))
			atomic_fetch_add_explicit(&folio->pincount, refs,
						  memory_order_seq_cst);
		else
			atomic_fetch_add_explicit(
				&folio->refcount,
				refs * (GUP_PIN_COUNTING_BIAS - 1),
				memory_order_seq_cst);
	}
	return folio;
}

/*
 * pmdp_get_lockless(), 32-bit PAE: the low half, the high half, the low
 * half again, until both low reads agree (KERNEL.md 4.9).  Sound only if
 * no new PMD can appear while a walker with IRQs off holds an old half:
 * the flush between present values, or pmdp_get_lockless_sync(), waits
 * for it (core/retract.c).
 *
 * Where the model puts the split (an assumption): the whole frame number
 * in the high half, flags in the low half, so that any two table entries
 * have equal low halves, as two tables 4 GiB apart have on PAE.  Entries
 * are 64-bit atomics; each half is taken from its own load.  Acquire,
 * the kernel's smp_rmb() between the halves: orders each load after the
 * previous one; pairs with the release that published the entry (the
 * combined value carries no address dependency).
 */
#define PAE_LOW_MASK ((pteval_t)(PAGE_SIZE - 1))

static __wl_always_inline pteval_t pmdp_get_lockless(_Atomic pteval_t *pmdp)
{
	pteval_t lo, hi;

	if (likely(!wl_arch_pae))
		return READ_ENTRY(pmdp);
	do {
		/* acquire: ordered and paired as said above */
		lo = atomic_load_explicit(pmdp, memory_order_acquire) &
		     PAE_LOW_MASK;
		wl_inject(WL_INJ_WALK_LEVEL);
		/* acquire: the high half ordered after the low (smp_rmb) */
		hi = atomic_load_explicit(pmdp, memory_order_acquire) &
		     ~PAE_LOW_MASK;
		wl_inject(WL_INJ_WALK_LEVEL);
		/* acquire: the low half again, ordered after the high */
	} while (lo != (atomic_load_explicit(pmdp, memory_order_acquire) &
			PAE_LOW_MASK));
	return hi | lo;
}

/*
 * PAE: the table a PMD led to must be a PTE table; a torn PMD (a low half
 * and a high half of two values) leads elsewhere.  The level is set at
 * allocation, before the entry's release.
 */
static __wl_always_inline bool pae_table_ok(uint64_t tbl, uint64_t addr)
{
	if (likely(!wl_arch_pae) || !wl_check_enabled ||
	    wl_ptdesc((uint32_t)tbl)->level == WL_PTE)
		return true;
	wl_violation(WL_V_TABLE_UAF,
		     "walk at %#llx took table %u, a level-%u table, for its "
		     "PTE table: a torn PMD",
		     (unsigned long long)addr, (unsigned int)tbl,
		     wl_ptdesc((uint32_t)tbl)->level);
	return false;
}

/*
 * gup_must_unshare(), for the one case the model has: a read-only PTE of a
 * page fork shares with its child (!PageAnonExclusive) may not be pinned;
 * the slow path would unshare it.  seq_cst, after the recheck: pairs with
 * fork's seq_cst mark before its write-protect (core/fork.c), so a walker
 * that saw the write-protected PTE sees the mark.
 */
static __wl_always_inline bool
gup_must_unshare(pteval_t pte, struct wl_page *page, unsigned int flags)
{
	/* seq_cst: ordered and paired as said above. */
	return (flags & FOLL_PIN) && !(pte & _PAGE_RW) &&
	       (atomic_load_explicit(&page->flags, memory_order_seq_cst) &
		PG_cow_shared);
}

static int gup_fast_pte_range(pteval_t pmd, _Atomic pteval_t *pmdp,
			      uint32_t tbl, uint64_t addr, uint64_t end,
			      unsigned int flags, struct wl_page **pages,
			      unsigned long *nr)
{
	struct wl_table *table = wl_table(tbl);

	do {
		_Atomic pteval_t *ptep = &table->e[pte_index(addr)];
		pteval_t pte = READ_ENTRY(ptep);
		struct wl_page *page, *folio;

		if (!entry_ok(pte, addr))
			return 0;
		if (pte_protnone(pte))
			return 0;
		if (!pte_access_permitted(pte, flags & FOLL_WRITE))
			return 0;
		if (pte_special(pte))
			return 0;
		if (unlikely(!pfn_valid(pte_pfn(pte))))
			return 0;
		page = pfn_to_page(pte_pfn(pte));
		folio = try_grab_folio_fast(page, 1, flags);
		if (!folio)
			return 0;
		wl_inject(WL_INJ_WALK_PIN);
		uint64_t mapped = wl_check_enabled ? read_mapped(folio) : 0;

		if ((!wl_bugs.walker_no_pmd_recheck &&
		     unlikely(pmd != RECHECK_ENTRY(pmdp))) ||
		    (!wl_bugs.walker_no_pte_recheck &&
		     unlikely(pte != RECHECK_ENTRY(ptep)))) {
			wl_trace(WL_TEV_RECHECK, addr, (uint32_t)tbl,
				 WL_TEV_FAILED);
			wl_gup_put_folio(folio, 1, flags);
			return 0;
		}
		if (unlikely(gup_must_unshare(pte, page, flags))) {
			wl_gup_put_folio(folio, 1, flags);
			return 0;
		}
		if (wl_check_enabled)
			check_mapped(
				mapped,
				addr - ((uint64_t)(page - folio) << PAGE_SHIFT),
				addr);
		pages[(*nr)++] = page;
	} while (addr += PAGE_SIZE, addr != end);
	wl_trace(WL_TEV_RECHECK, addr, (uint32_t)tbl, *nr);
	return 1;
}

/*
 * The PTE table a PMD names, entered: with the backend's per-table
 * reference held around the PTE loads where it has one (backend.h 1b;
 * pte_ref.h makes both calls empty elsewhere).
 */
static int gup_fast_pte_table(pteval_t pmd, _Atomic pteval_t *pmdp,
			      uint64_t addr, uint64_t end, unsigned int flags,
			      struct wl_page **pages, unsigned long *nr,
			      struct walk_trace *t)
{
	uint64_t tbl = pte_pfn(pmd);
	int ret;

	if (unlikely(!wl_table_valid(tbl)) || !pae_table_ok(tbl, addr) ||
	    !trace_table(t, (uint32_t)tbl, addr))
		return 0;
#ifdef WL_PTE_TABLE_REF
	/* The PMD-to-try-get window (the 2021 series' patch 6), widened. */
	wl_inject(WL_INJ_WALK_LEVEL);
	if (!wl_pte_table_try_get((uint32_t)tbl)) {
		trace_untable(t, (uint32_t)tbl);
		return 0;
	}
#endif
	wl_trace(WL_TEV_PTE, addr, (uint32_t)tbl, 0);
	ret = gup_fast_pte_range(pmd, pmdp, (uint32_t)tbl, addr, end, flags,
				 pages, nr);
#ifdef WL_PTE_TABLE_REF
	if (trace_untable(t, (uint32_t)tbl))
		wl_pte_table_put((uint32_t)tbl);
#endif
	return ret;
}

/* gup_fast_pmd_leaf() / gup_fast_pud_leaf(). */
static int gup_fast_leaf(pteval_t orig, _Atomic pteval_t *p, uint64_t size,
			 uint64_t addr, uint64_t end, unsigned int flags,
			 struct wl_page **pages, unsigned long *nr)
{
	struct wl_page *page, *folio;
	uint64_t base = addr & ~(size - 1);
	pteval_t orig_access = orig;
	int refs;

	/*
	 * --bug walker-no-protnone: the model's assumption (core/numa.c) of a
	 * NUMA-hinting entry the permission check lets through.
	 */
	if (unlikely(wl_bugs.walker_no_protnone) && pte_protnone(orig))
		orig_access = orig | _PAGE_PRESENT;
	if (!pte_access_permitted(orig_access, flags & FOLL_WRITE))
		return 0;
	if (pte_special(orig))
		return 0;
	if (unlikely(!pfn_valid(pte_pfn(orig))))
		return 0;
	page = pfn_to_page(pte_pfn(orig) + ((addr - base) >> PAGE_SHIFT));
	refs = (int)((end - addr) >> PAGE_SHIFT);
	folio = try_grab_folio_fast(page, refs, flags);
	if (!folio)
		return 0;
	wl_inject(WL_INJ_WALK_PIN);
	uint64_t mapped = wl_check_enabled ? read_mapped(folio) : 0;

	if (unlikely(orig != RECHECK_ENTRY(p))) {
		wl_trace(WL_TEV_RECHECK, addr, WL_TABLE_NONE, WL_TEV_FAILED);
		wl_gup_put_folio(folio, refs, flags);
		return 0;
	}
	/* Pre-4.5 THP refcounting only (scenario library): tail pins. */
	if (unlikely(wl_legacy_thp_enabled) && size == PMD_SIZE)
		wl_legacy_get_tails(folio, page, refs);
	if (wl_check_enabled)
		check_mapped(mapped, base, addr);
	for (int i = 0; i < refs; i++)
		pages[(*nr)++] = page + i; /* record_subpages() */
	wl_trace(WL_TEV_RECHECK, addr, WL_TABLE_NONE, *nr);
	return 1;
}

static int gup_fast_pmd_range(pteval_t pud, uint64_t addr, uint64_t end,
			      unsigned int flags, struct wl_page **pages,
			      unsigned long *nr, struct walk_trace *t)
{
	uint64_t tbl = pte_pfn(pud), next;

	if (unlikely(!wl_table_valid(tbl)) ||
	    !trace_table(t, (uint32_t)tbl, addr))
		return 0;
	struct wl_table *table = wl_table((uint32_t)tbl);

	do {
		_Atomic pteval_t *pmdp = &table->e[pmd_index(addr)];
		pteval_t pmd = pmdp_get_lockless(pmdp);

		wl_trace(WL_TEV_PMD, addr, (uint32_t)tbl, pmd);
		next = WL_MIN((addr & PMD_MASK) + PMD_SIZE, end);
		if (!entry_ok(pmd, addr))
			return 0;
		if (!pte_present(pmd))
			return 0;
		wl_inject(WL_INJ_WALK_LEVEL);
		if (pte_leaf(pmd)) {
			/* Pre-4.5 only: a splitting PMD sends us away. */
			if ((pte_protnone(pmd) &&
			     !wl_bugs.walker_no_protnone) ||
			    pmd_trans_splitting(pmd))
				return 0;
			if (!gup_fast_leaf(pmd, pmdp, PMD_SIZE, addr, next,
					   flags, pages, nr))
				return 0;
		} else if (!gup_fast_pte_table(pmd, pmdp, addr, next, flags,
					       pages, nr, t)) {
			return 0;
		}
	} while (addr = next, addr != end);
	return 1;
}

static int gup_fast_pud_range(pteval_t pgd, uint64_t addr, uint64_t end,
			      unsigned int flags, struct wl_page **pages,
			      unsigned long *nr, struct walk_trace *t)
{
	uint64_t tbl = pte_pfn(pgd), next;

	if (unlikely(!wl_table_valid(tbl)) ||
	    !trace_table(t, (uint32_t)tbl, addr))
		return 0;
	struct wl_table *table = wl_table((uint32_t)tbl);

	do {
		_Atomic pteval_t *pudp = &table->e[pud_index(addr)];
		pteval_t pud = READ_ENTRY(pudp);

		wl_trace(WL_TEV_PUD, addr, (uint32_t)tbl, pud);
		next = WL_MIN((addr & PUD_MASK) + PUD_SIZE, end);
		if (!entry_ok(pud, addr))
			return 0;
		if (!pte_present(pud))
			return 0;
		wl_inject(WL_INJ_WALK_LEVEL);
		if (pte_leaf(pud)) {
			if (!gup_fast_leaf(pud, pudp, PUD_SIZE, addr, next,
					   flags, pages, nr))
				return 0;
		} else if (!gup_fast_pmd_range(pud, addr, next, flags, pages,
					       nr, t)) {
			return 0;
		}
	} while (addr = next, addr != end);
	return 1;
}

static void gup_fast_pgd_range(struct wl_mm *mm, uint64_t addr, uint64_t end,
			       unsigned int flags, struct wl_page **pages,
			       unsigned long *nr, struct walk_trace *t)
{
	struct wl_table *pgd = wl_table(mm->pgd);
	uint64_t next;

	do {
		pteval_t v = READ_ENTRY(&pgd->e[pgd_index(addr)]);

		wl_trace(WL_TEV_PGD, addr, mm->pgd, v);
		next = WL_MIN((addr & ~(PGDIR_SIZE - 1)) + PGDIR_SIZE, end);
		if (!pte_present(v))
			return;
		wl_inject(WL_INJ_WALK_LEVEL);
		if (!gup_fast_pud_range(v, addr, next, flags, pages, nr, t))
			return;
	} while (addr = next, addr != end);
}

unsigned long wl_gup_fast(struct wl_mm *mm, uint64_t start,
			  unsigned long nr_pages, unsigned int gup_flags,
			  struct wl_page **pages)
{
	struct walk_trace t;
	unsigned long nr = 0;
	unsigned long cookie;

	unsigned int seq = 0;

	/*
	 * raw_seqcount_try_begin(&mm->write_protect_seq): fork is
	 * write-protecting the mm, leave it to the slow path.  seq_cst: pairs
	 * with fork's seq_cst increments (core/fork.c); the retry read below
	 * comes after our seq_cst pins, so either fork's pin check saw them
	 * or we see its count move (store buffering).
	 */
	if (gup_flags & FOLL_PIN) {
		seq = atomic_load_explicit(&mm->write_protect_seq,
					   memory_order_seq_cst);
		if (seq & 1)
			return 0;
	}
	t.n = 0;
	t.addr = start;
	cookie = lockless_page_walk_begin(mm);
	wl_trace(WL_TEV_BEGIN, start, mm->pgd, 0);
	gup_fast_pgd_range(mm, start, start + (nr_pages << PAGE_SHIFT),
			   gup_flags, pages, &nr, &t);
	trace_verify(&t);
	wl_trace(WL_TEV_END, start, mm->pgd, nr);
	lockless_page_walk_end(mm, cookie);
	/* read_seqcount_retry(); seq_cst, ordered and paired as above. */
	if ((gup_flags & FOLL_PIN) &&
	    atomic_load_explicit(&mm->write_protect_seq,
				 memory_order_seq_cst) != seq) {
		wl_put_user_pages(pages, nr, gup_flags);
		return 0;
	}
	return nr;
}

/* ---- a lazy-TLB CPU's speculative walk ----------------------------- */

static unsigned int level_index(int level, uint64_t addr)
{
	return level == WL_PGD	 ? pgd_index(addr)
	       : level == WL_PUD ? pud_index(addr)
	       : level == WL_PMD ? pmd_index(addr)
				 : pte_index(addr);
}

/*
 * The hardware's walk on a lazy-TLB CPU (KERNEL.md 2.2, 4.6): down to
 * addr's PTE, no reference taken, only while this CPU is still lazy on the
 * mm, and atomic with respect to interrupts (IRQs off: the flush IPI that
 * switches the CPU to init_mm is taken between two walks, never inside
 * one).  The model's stand-in for paging-structure caches: what it
 * assumes is that such a walk may start from the mm's pgd at any time
 * while the CPU is lazy, and reads tables an unlink has not yet hidden
 * from it.  Returns the levels walked; the checker sees a freed table.
 */
unsigned int wl_speculative_walk(struct wl_mm *mm, uint64_t addr)
{
	struct walk_trace t = {.n = 0, .addr = addr};
	unsigned long flags = local_irq_save();
	uint32_t table = mm->pgd;
	unsigned int walked = 0;

	wl_trace(WL_TEV_BEGIN, addr, table, 0);
	for (int level = WL_PGD; wl_arch_lazy() && level >= WL_PTE; level--) {
		pteval_t v = READ_ENTRY(
			&wl_table(table)->e[level_index(level, addr)]);

		wl_trace(WL_TEV_LEVEL(level), addr, table, v);
		walked++;
		if (!entry_ok(v, addr) || level == WL_PTE || !pte_present(v) ||
		    pte_leaf(v) || !wl_table_valid(pte_pfn(v)))
			break;
		wl_inject(WL_INJ_WALK_LEVEL);
		table = (uint32_t)pte_pfn(v);
		if (!trace_table(&t, table, addr))
			break;
	}
	trace_verify(&t);
	wl_trace(WL_TEV_END, addr, mm->pgd, walked);
	local_irq_restore(flags);
	return walked;
}

/* ---- the slow path ------------------------------------------------ */

/* try_grab_folio(): a stable reference exists (we hold the PTL). */
static void try_grab_folio(struct wl_page *folio, int refs, unsigned int flags)
{
	if ((flags & FOLL_PIN) && folio_test_large(folio)) {
		folio_ref_add(folio, refs);
		atomic_fetch_add_explicit(&folio->pincount, refs,
					  memory_order_relaxed);
	} else if (flags & FOLL_PIN) {
		folio_ref_add(folio, refs * GUP_PIN_COUNTING_BIAS);
	} else {
		folio_ref_add(folio, refs);
	}
}

/* migration_entry_wait(): locks dropped, wait for the entry to change. */
static void migration_entry_wait(struct wl_mm *mm, uint64_t addr, pteval_t mig)
{
	pteval_t v;
	enum wl_level level;

	for (int i = 0; i < 1000; i++) {
		if (!wl_lookup(mm, addr, &v, &level) || v != mig)
			return;
		mmap_read_unlock(mm);
		wl_cpu_block_begin();
		sched_yield();
		wl_cpu_block_end();
		/*
		 * The kernel sleeps here with IRQs on.  The migrating writer
		 * may be waiting for our IPI ack (its flush) before it
		 * removes the entry: with poll delivery, take IPIs here or
		 * both wait forever (seen under TSan).
		 */
		wl_ipi_poll();
		mmap_read_lock(mm);
	}
}

/*
 * follow_page + faultin_page, one page at a time (__get_user_pages).
 * Called with mmap_lock held for read; returns with it held.
 */
static long get_user_pages_locked(struct wl_mm *mm, uint64_t start,
				  unsigned long nr_pages, unsigned int flags,
				  struct wl_page **pages)
{
	bool write = flags & FOLL_WRITE;
	unsigned long i;
	long err = 0;

	for (i = 0; i < nr_pages; i++) {
		uint64_t addr = start + (i << PAGE_SHIFT);
		unsigned int fault_flags = write ? FAULT_FLAG_WRITE : 0;

		if (flags & FOLL_UNLOCKABLE)
			fault_flags |= FAULT_FLAG_ALLOW_RETRY;
		for (;;) {
			struct wl_vma *vma = wl_find_vma(mm, addr);
			struct wl_locked_entry le;

			if (!vma || (vma->flags & VM_PFNMAP) ||
			    (write && !(vma->flags & VM_WRITE))) {
				err = -EFAULT;
				break;
			}
			if (wl_entry_lock(mm, addr, &le)) {
				pteval_t v = le.val;

				if (pte_access_permitted(v, write) &&
				    !pte_special(v) && pfn_valid(pte_pfn(v))) {
					uint64_t sz =
						le.level == WL_PTE   ? PAGE_SIZE
						: le.level == WL_PMD ? PMD_SIZE
								     : PUD_SIZE;
					struct wl_page *page = pfn_to_page(
						pte_pfn(v) +
						((addr & (sz - 1)) >>
						 PAGE_SHIFT));

					try_grab_folio(page_folio(page), 1,
						       flags);
					wl_entry_unlock(&le);
					pages[i] = page;
					break;
				}
				wl_entry_unlock(&le);
				if (pte_is_migration(v)) {
					migration_entry_wait(mm, addr, v);
					continue;
				}
			}
			int ret = wl_handle_mm_fault(mm, addr, fault_flags);

			if (ret == VM_FAULT_RETRY) {
				/* mmap_lock was dropped for the I/O. */
				mmap_read_lock(mm);
				fault_flags |= FAULT_FLAG_TRIED;
				continue;
			}
			if (ret < 0 && ret != -EAGAIN) {
				err = ret;
				break;
			}
		}
		if (err)
			break;
	}
	return i ? (long)i : err;
}

long wl_gup_slow(struct wl_mm *mm, uint64_t start, unsigned long nr_pages,
		 unsigned int gup_flags, struct wl_page **pages)
{
	long ret;

	mmap_read_lock(mm);
	ret = get_user_pages_locked(mm, start, nr_pages, gup_flags, pages);
	mmap_read_unlock(mm);
	return ret;
}

long wl_gup_fast_fallback(struct wl_mm *mm, uint64_t start,
			  unsigned long nr_pages, unsigned int gup_flags,
			  struct wl_page **pages, unsigned long *nr_fast)
{
	unsigned long nr_pinned;
	long ret;

	if (nr_fast)
		*nr_fast = 0;
	if (gup_flags & ~FOLL_ALL)
		return -EINVAL;
	if (!(gup_flags & FOLL_GET) == !(gup_flags & FOLL_PIN))
		return -EINVAL; /* exactly one of them */
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!nr_pages)
		return 0;
	if (nr_pages > (TASK_SIZE >> PAGE_SHIFT) ||
	    start > TASK_SIZE - (nr_pages << PAGE_SHIFT))
		return -EFAULT;
	nr_pinned = wl_gup_fast(mm, start, nr_pages, gup_flags, pages);
	if (nr_fast)
		*nr_fast = nr_pinned;
	if (nr_pinned == nr_pages || (gup_flags & FOLL_FAST_ONLY))
		return (long)nr_pinned;
	/* Slow path: try to get the remaining pages with get_user_pages */
	ret = wl_gup_slow(mm, start + (nr_pinned << PAGE_SHIFT),
			  nr_pages - nr_pinned, gup_flags, pages + nr_pinned);
	if (ret < 0)
		return nr_pinned ? (long)nr_pinned : ret;
	return (long)nr_pinned + ret;
}

long wl_get_user_pages_fast(struct wl_mm *mm, uint64_t start,
			    unsigned long nr_pages, unsigned int gup_flags,
			    struct wl_page **pages)
{
	return wl_gup_fast_fallback(mm, start, nr_pages, gup_flags, pages,
				    NULL);
}

void wl_put_user_pages(struct wl_page **pages, unsigned long nr,
		       unsigned int gup_flags)
{
	for (unsigned long i = 0; i < nr; i++)
		wl_gup_put_folio(page_folio(pages[i]), 1, gup_flags);
}
