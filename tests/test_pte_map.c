// SPDX-License-Identifier: MIT
/*
 * test_pte_map.c - the slow path's locked walk to a PTE, three ways
 * (core/pte_map.h): each maps and locks the PTE a PMD names and fails
 * where no PTE table is; the refcount walk holds a reference on the table
 * while mapped and fails on a table whose last reference is gone; the rcu
 * walk starts over when the PMD changes between its lockless load and the
 * lock.  The negative control: without the recheck (wl_bugs.
 * pte_map_no_recheck) the same interleaving maps the detached table, and
 * the test sees it, so the retry test can fail.
 *
 * Single-threaded: the change in the window is made by the window hook,
 * as a writer on another CPU would make it.
 */
#include "internal.h"
#include "pte_map.h"
#include "rcu_sched.h"
#include "test_util.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif

#define A  (UINT64_C(1) << 40) /* PUD-aligned test address */
#define RW (VM_READ | VM_WRITE)

static struct wl_mm mm;
static uint32_t pmdt;	/* the PMD table over A */
static uint32_t moved;	/* the table the hook linked in A's PMD */
static int window_runs; /* times the hook ran */

static void setup(void)
{
	tu_machine_up(WL_ARCH_IPI);
	cr_assert_eq(wl_mm_init(&mm), 0);
	cr_assert_eq(wl_mmap(&mm, A, PMD_SIZE, RW), 0);
	cr_assert_eq(wl_populate(&mm, A, PMD_SIZE), 0);
	pmdt = wl_pmd_table_of(&mm, A);
	cr_assert_neq(pmdt, WL_TABLE_NONE);
	moved = WL_TABLE_NONE;
	window_runs = 0;
}

static void teardown(void)
{
	tu_mm_down(&mm);
}

TestSuite(pte_map, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t pte_table(void)
{
	return (uint32_t)pte_pfn(pt_entry(pmdt, pmd_index(A)));
}

Test(pte_map, each_way_maps_and_locks_the_pte)
{
	for (int how = 0; how < WL_PTE_MAP_NR; how++) {
		struct wl_pte_map m;
		uint64_t a = A + 5 * PAGE_SIZE;

		mmap_read_lock(&mm);
		cr_assert(wl_pte_offset_map_lock(&mm, a, how, &m), "%s",
			  wl_pte_map_names[how]);
		cr_expect_eq(m.table, pte_table());
		cr_expect_eq(m.pte, pt_entry(m.table, pte_index(a)));
		cr_expect(pte_present(m.pte));
		cr_expect(!wl_ptl_trylock(m.table), "%s: the PTL is held",
			  wl_pte_map_names[how]);
		cr_expect_eq(m.retries + m.lock_waits, 0);
		wl_pte_unmap_unlock(&mm, &m);
		cr_expect(wl_ptl_trylock(m.table), "unlocked");
		wl_ptl_unlock(m.table);
		/* No PTE table over A + 2 MiB (no PMD entry): the map fails. */
		cr_expect(!wl_pte_offset_map_lock(&mm, A + PMD_SIZE, how, &m),
			  "%s: no table", wl_pte_map_names[how]);
		mmap_read_unlock(&mm);
	}
}

Test(pte_map, refcount_holds_a_reference_while_mapped)
{
	_Atomic int *c = &wl_ptdesc(pte_table())->pt_refcount;
	struct wl_pte_map m;

	mmap_read_lock(&mm);
	cr_assert_eq(atomic_load(c), 1, "the table's own reference");
	cr_assert(wl_pte_offset_map_lock(&mm, A, WL_PTE_MAP_REFCOUNT, &m));
	cr_expect_eq(atomic_load(c), 2, "pte_try_get()");
	wl_pte_unmap_unlock(&mm, &m);
	cr_expect_eq(atomic_load(c), 1, "pte_put()");
	/* Its last reference gone (a writer's drop): pte_try_get() fails. */
	atomic_store(c, 0);
	cr_expect(!wl_pte_offset_map_lock(&mm, A, WL_PTE_MAP_REFCOUNT, &m));
	cr_expect_eq(atomic_load(c), 0);
	atomic_store(c, 1);
	mmap_read_unlock(&mm);
}

/*
 * The window: a writer replaces A's PTE table (as a retract or a reclaim
 * followed by a fault would), once.  The old table stays allocated.
 */
static void replace_table(struct wl_mm *m, uint64_t addr)
{
	if (window_runs++)
		return;
	moved = wl_table_alloc(WL_PTE);
	cr_assert_neq(moved, WL_TABLE_NONE);
	wl_ptl_lock(pmdt);
	set_entry(pmdt, pmd_index(addr), pfn_pte(moved, _PAGE_TABLE));
	wl_ptl_unlock(pmdt);
}

/* Run the rcu walk through the window; returns what it mapped. */
static void rcu_walk_through_window(struct wl_pte_map *m, uint32_t *old)
{
	*old = pte_table();
	wl_pte_map_window = replace_table;
	mmap_read_lock(&mm);
	cr_assert(wl_pte_offset_map_lock(&mm, A, WL_PTE_MAP_RCU, m));
	wl_pte_unmap_unlock(&mm, m);
	mmap_read_unlock(&mm);
	wl_pte_map_window = NULL;
	/* Put the old table back; the new one was never used: free it. */
	wl_ptl_lock(pmdt);
	set_entry(pmdt, pmd_index(A), pfn_pte(*old, _PAGE_TABLE));
	wl_ptl_unlock(pmdt);
	wl_table_free(moved);
}

Test(pte_map, rcu_starts_over_when_the_pmd_changed)
{
	struct wl_pte_map m;
	uint32_t old;

	rcu_walk_through_window(&m, &old);
	cr_expect_eq(window_runs, 2, "the walk went through the window twice");
	cr_expect_eq(m.retries, 1, "pmd_same() failed once");
	cr_expect_eq(m.table, moved, "mapped the table the PMD now names");
	cr_expect_eq(m.pte, 0, "and read its (empty) PTE");
}

/* The negative control: without the recheck, the detached table. */
Test(pte_map, rcu_without_recheck_maps_the_detached_table)
{
	struct wl_pte_map m;
	uint32_t old;

	wl_bugs.pte_map_no_recheck = true;
	rcu_walk_through_window(&m, &old);
	cr_expect_eq(m.retries, 0);
	cr_expect_eq(m.table, old, "mapped the table the PMD no longer names");
	cr_expect_neq(m.table, moved);
}
