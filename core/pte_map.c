// SPDX-License-Identifier: MIT
/*
 * pte_map.c - see pte_map.h.
 */
#include "pte_map.h"
#include "check.h"
#include "internal.h"
#include "pte_ref.h"
#include "walk_backend.h"

const char *const wl_pte_map_names[WL_PTE_MAP_NR + 1] = {
	[WL_PTE_MAP_LOCK] = "lock",
	[WL_PTE_MAP_REFCOUNT] = "refcount",
	[WL_PTE_MAP_RCU] = "rcu",
	[WL_PTE_MAP_NR] = NULL,
};

void (*wl_pte_map_window)(struct wl_mm *mm, uint64_t addr);

/* The PMD entry's address for addr, or NULL; mmap_lock held. */
static _Atomic pteval_t *pmd_entry(struct wl_mm *mm, uint64_t addr)
{
	uint32_t pmdt = wl_pmd_table_of(mm, addr);

	return pmdt == WL_TABLE_NONE ? NULL
				     : wl_entry_ptr(pmdt, pmd_index(addr));
}

/* A PMD that names a PTE table (not none, not a leaf, not junk). */
static bool pmd_table(pteval_t pmd)
{
	return pte_present(pmd) && !pte_leaf(pmd) &&
	       wl_table_valid(pte_pfn(pmd));
}

/* pte_put() for the refcount walk: the backend's, or the bare count. */
static void map_put(uint32_t table)
{
#ifdef WL_PTE_TABLE_REF
	wl_pte_table_put(table);
#else
	/* Nobody else drops the table's own reference: never the last. */
	if (unlikely(wl_pt_ref_put(table)))
		wl_violation(WL_V_REF_IMBALANCE,
			     "PTE table %u: the locked walk's put was the "
			     "last reference",
			     table);
#endif
}

/*
 * The 2021 series: pte_try_get() takes the table's lock for the count,
 * pte_offset_map_lock() takes it again.
 */
static bool map_refcount(uint32_t t)
{
	bool ok;

	wl_ptl_lock(t);
	ok = wl_pt_ref_try_get(t);
	wl_ptl_unlock(t);
	if (!ok)
		return false; /* the table is going: no_page_table() */
	wl_ptl_lock(t);
	return true;
}

/*
 * __pte_offset_map_lock() since 2023.  Departure: the kernel spins for
 * the lock inside rcu_read_lock(), which masks no IRQs; the backend's
 * section here may mask them, and a lock holder may wait for this CPU's
 * IPI (a flush under the lock), so a busy lock is waited for outside the
 * section and the walk starts over from the PMD (counted in lock_waits).
 */
static bool map_rcu(struct wl_mm *mm, uint64_t addr, struct wl_pte_map *m)
{
	_Atomic pteval_t *pmdp = pmd_entry(mm, addr);
	pteval_t pmd;
	uint32_t t;

	if (!pmdp)
		return false;
	for (;;) {
		m->cookie = lockless_page_walk_begin(mm);
		/* pmdp_get_lockless(): acquire pairs with set_entry()'s
		 * release, ordering the table's contents after it */
		pmd = atomic_load_explicit(pmdp, memory_order_acquire);
		if (!pmd_table(pmd))
			break; /* the map fails: pte_offset_map() NULL */
		if (wl_pte_map_window)
			wl_pte_map_window(mm, addr);
		t = (uint32_t)pte_pfn(pmd);
		if (!wl_ptl_trylock(t)) {
			lockless_page_walk_end(mm, m->cookie);
			m->lock_waits++;
			wl_ptl_lock(t); /* its ptdesc outlives the table */
			wl_ptl_unlock(t);
			continue;
		}
		/* pmd_same() under the lock; relaxed: the lock orders it
		 * after the unlink of any writer that held the lock */
		if (likely(!wl_bugs.pte_map_no_recheck) &&
		    pmd != atomic_load_explicit(pmdp, memory_order_relaxed)) {
			wl_ptl_unlock(t);
			lockless_page_walk_end(mm, m->cookie);
			m->retries++;
			continue;
		}
		m->table = t;
		return true;
	}
	lockless_page_walk_end(mm, m->cookie);
	return false;
}

bool wl_pte_offset_map_lock(struct wl_mm *mm, uint64_t addr,
			    enum wl_pte_map_how how, struct wl_pte_map *m)
{
	_Atomic pteval_t *pmdp;
	pteval_t pmd;

	m->how = how;
	m->retries = m->lock_waits = 0;
	if (how == WL_PTE_MAP_RCU) {
		if (!map_rcu(mm, addr, m))
			return false;
	} else {
		pmdp = pmd_entry(mm, addr);
		pmd = pmdp ? READ_ONCE(*pmdp) : 0;
		if (!pmd_table(pmd))
			return false;
		m->table = (uint32_t)pte_pfn(pmd);
		if (how == WL_PTE_MAP_REFCOUNT) {
			if (!map_refcount(m->table))
				return false;
		} else {
			wl_ptl_lock(m->table);
		}
	}
	m->pte = pt_entry(m->table, pte_index(addr));
	return true;
}

void wl_pte_unmap_unlock(struct wl_mm *mm, struct wl_pte_map *m)
{
	wl_ptl_unlock(m->table);
	if (m->how == WL_PTE_MAP_REFCOUNT)
		map_put(m->table);
	else if (m->how == WL_PTE_MAP_RCU)
		lockless_page_walk_end(mm, m->cookie);
}
