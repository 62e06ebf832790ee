// SPDX-License-Identifier: MIT
/*
 * test_mm.c - the walker and every writer, single-threaded, on each backend.
 *
 * Interleavings that need a second CPU in real life (a writer clearing the
 * entry between the walker's pin and its recheck) are made exact here with
 * wl_inject_hook, which runs a writer step at the walker's injection point.
 */
#include "arch.h"
#include "internal.h"
#include "legacy_thp.h"
#include "test_util.h"
#include "rcu_sched.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>

#define A   (UINT64_C(1) << 40) /* PUD-aligned test address */
#define RW  (VM_READ | VM_WRITE)
#define GET (FOLL_GET | FOLL_WRITE)
#define PIN (FOLL_PIN | FOLL_WRITE)

static struct wl_mm mm;
static struct wl_page *pages[1024];

static void setup(void)
{
	tu_machine_up(WL_ARCH_IPI);
	cr_assert_eq(wl_mm_init(&mm), 0);
}

static void teardown(void)
{
	tu_mm_down(&mm);
}

TestSuite(mm, .init = setup, .fini = teardown, .timeout = 60);

static struct wl_page *folio_at(uint64_t addr)
{
	pteval_t v;
	enum wl_level level;

	cr_assert(wl_lookup(&mm, addr, &v, &level), "nothing mapped");
	cr_assert(pte_present(v));
	return page_folio(pfn_to_page(pte_pfn(v)));
}

static void map(uint64_t addr, uint64_t len, unsigned int flags, bool fault)
{
	cr_assert_eq(wl_mmap(&mm, addr, len, flags), 0);
	if (fault)
		cr_assert_eq(wl_populate(&mm, addr, len), 0);
}

Test(mm, present_page_is_pinned_and_released)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);

	cr_assert_eq(folio_ref_count(f), 1);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 1);
	cr_assert_eq(pages[0], f);
	cr_assert_eq(folio_ref_count(f), 2);
	wl_put_user_pages(pages, 1, GET);
	cr_assert_eq(folio_ref_count(f), 1);
}

Test(mm, absent_page_fails_fast_and_faults_slow)
{
	map(A, 4 * PAGE_SIZE, RW, false);
	cr_assert_eq(wl_gup_fast(&mm, A, 4, GET, pages), 0);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 4, GET, pages), 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pages[i], folio_at(A + i * PAGE_SIZE));
	wl_put_user_pages(pages, 4, GET);
	/* Outside any VMA: the slow path reports -EFAULT. */
	cr_assert_eq(wl_get_user_pages_fast(&mm, A + PUD_SIZE, 1, GET, pages),
		     -EFAULT);
}

Test(mm, fast_path_stops_part_way_slow_path_finishes)
{
	map(A, 16 * PAGE_SIZE, RW, false);
	cr_assert_eq(wl_populate(&mm, A, 8 * PAGE_SIZE), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 16, GET, pages), 8);
	wl_put_user_pages(pages, 8, GET);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 16, GET, pages), 16);
	wl_put_user_pages(pages, 16, GET);
	cr_assert_eq(
		wl_get_user_pages_fast(&mm, A, 16, GET | FOLL_FAST_ONLY, pages),
		16);
	wl_put_user_pages(pages, 16, GET);
}

Test(mm, no_write_permission)
{
	map(A, PAGE_SIZE, RW, true);
	cr_assert_eq(wl_mprotect(&mm, A, PAGE_SIZE, VM_READ), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, FOLL_GET, pages), 1);
	wl_put_user_pages(pages, 1, FOLL_GET);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 1, GET, pages), -EFAULT);
	cr_assert_eq(wl_mprotect(&mm, A, PAGE_SIZE, RW), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 1);
	wl_put_user_pages(pages, 1, GET);
}

Test(mm, special_entries_are_refused)
{
	map(A, PAGE_SIZE, RW | VM_PFNMAP, true);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 1, GET, pages), -EFAULT);
}

Test(mm, protnone_is_refused)
{
	map(A, PAGE_SIZE, RW, true);
	cr_assert_eq(wl_mprotect(&mm, A, PAGE_SIZE, 0), 0);
	pteval_t v;
	enum wl_level l;

	cr_assert(wl_lookup(&mm, A, &v, &l));
	cr_assert(pte_protnone(v));
	cr_assert_eq(wl_gup_fast(&mm, A, 1, FOLL_GET, pages), 0);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 1, FOLL_GET, pages),
		     -EFAULT);
}

Test(mm, huge_pmd_leaf_takes_one_ref_per_subpage)
{
	map(A, PMD_SIZE, RW | VM_HUGEPAGE, true);
	struct wl_page *f = folio_at(A);

	cr_assert_eq(f->order, HPAGE_PMD_ORDER);
	cr_assert_eq(wl_gup_fast(&mm, A, 512, GET, pages), 512);
	for (int i = 0; i < 512; i++)
		cr_assert_eq(pages[i], f + i);
	cr_assert_eq(folio_ref_count(f), 1 + 512);
	wl_put_user_pages(pages, 512, GET);
	cr_assert_eq(folio_ref_count(f), 1);
	/* FOLL_PIN on a large folio: the pincount. */
	cr_assert_eq(wl_gup_fast(&mm, A + 8 * PAGE_SIZE, 4, PIN, pages), 4);
	cr_assert_eq(pages[0], f + 8);
	cr_assert_eq(folio_pincount(f), 4);
	cr_assert_eq(folio_ref_count(f), 1 + 4);
	wl_put_user_pages(pages, 4, PIN);
	cr_assert_eq(folio_pincount(f), 0);
	cr_assert_eq(folio_ref_count(f), 1);
}

Test(mm, huge_pud_leaf)
{
	map(A, PUD_SIZE, RW | VM_HUGE_PUD, true);
	struct wl_page *f = folio_at(A + 5 * PMD_SIZE);

	cr_assert_eq(f->order, HPAGE_PUD_ORDER);
	cr_assert_eq(wl_gup_fast(&mm, A + PMD_SIZE, 16, GET, pages), 16);
	cr_assert_eq(pages[0], f + 512);
	cr_assert_eq(folio_ref_count(f), 17);
	wl_put_user_pages(pages, 16, GET);
	cr_assert_eq(folio_ref_count(f), 1);
}

Test(mm, small_pin_uses_the_bias)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);

	cr_assert_eq(wl_gup_fast(&mm, A, 1, PIN, pages), 1);
	cr_assert_eq(folio_ref_count(f), 1 + GUP_PIN_COUNTING_BIAS);
	wl_put_user_pages(pages, 1, PIN);
	cr_assert_eq(folio_ref_count(f), 1);
	/* The slow path takes the same. */
	cr_assert_eq(wl_gup_slow(&mm, A, 1, PIN, pages), 1);
	cr_assert_eq(folio_ref_count(f), 1 + GUP_PIN_COUNTING_BIAS);
	wl_put_user_pages(pages, 1, PIN);
	cr_assert_eq(folio_ref_count(f), 1);
}

Test(mm, frozen_refcount_fails_add_unless_zero)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);

	cr_assert(folio_ref_freeze(f, 1));
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	cr_assert_eq(folio_ref_count(f), 0);
	folio_ref_unfreeze(f, 1);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 1);
	wl_put_user_pages(pages, 1, GET);
}

Test(mm, migration_entry_is_refused)
{
	struct wl_locked_entry le;

	map(A, PAGE_SIZE, RW, true);
	cr_assert(wl_entry_lock(&mm, A, &le));
	pteval_t old = le.val;

	set_entry(le.table, le.index,
		  pfn_pte(pte_pfn(old), _PAGE_MIGRATION | _PAGE_USER));
	wl_entry_unlock(&le);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, FOLL_GET, pages), 0);
	cr_assert(wl_entry_lock(&mm, A, &le));
	set_entry(le.table, le.index, old);
	wl_entry_unlock(&le);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, FOLL_GET, pages), 1);
	wl_put_user_pages(pages, 1, FOLL_GET);
}

Test(mm, migration_moves_the_page_and_refuses_while_pinned)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);

	WRITE_ONCE(f->data, 42);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, PIN, pages), 1);
	cr_assert_eq(wl_migrate_page(&mm, A), -EAGAIN);
	cr_assert_eq(folio_at(A), f, "restored after the failed freeze");
	wl_put_user_pages(pages, 1, PIN);
	cr_assert_eq(wl_migrate_page(&mm, A), 0);
	struct wl_page *g = folio_at(A);

	cr_assert_neq(g, f);
	cr_assert_eq(READ_ONCE(g->data), 42);
	cr_assert_eq(folio_ref_count(g), 1);
}

Test(mm, collapse_refuses_while_pinned_then_collapses)
{
	map(A, PMD_SIZE, RW, true);
	struct wl_page *f = folio_at(A + 7 * PAGE_SIZE);

	cr_assert_eq(f->order, 0);
	cr_assert_eq(wl_gup_fast(&mm, A + 7 * PAGE_SIZE, 1, GET, pages), 1);
	cr_assert_eq(wl_collapse_huge_page(&mm, A), -EAGAIN);
	cr_assert_eq(folio_at(A + 7 * PAGE_SIZE), f, "PMD restored");
	wl_put_user_pages(pages, 1, GET);
	cr_assert_eq(wl_collapse_huge_page(&mm, A), 0);
	struct wl_page *h = folio_at(A);

	cr_assert_eq(h->order, HPAGE_PMD_ORDER);
	cr_assert_eq(wl_gup_fast(&mm, A, 512, GET, pages), 512);
	wl_put_user_pages(pages, 512, GET);
}

Test(mm, split_huge_pmd_keeps_the_folio)
{
	map(A, PMD_SIZE, RW | VM_HUGEPAGE, true);
	struct wl_page *f = folio_at(A);

	cr_assert_eq(wl_split_huge_pmd(&mm, A), 0);
	cr_assert_eq(folio_at(A + 100 * PAGE_SIZE), f, "still the same folio");
	cr_assert_eq(folio_ref_count(f), 512, "one reference per PTE");
	cr_assert_eq(wl_gup_fast(&mm, A + 100 * PAGE_SIZE, 2, GET, pages), 2);
	cr_assert_eq(pages[0], f + 100);
	wl_put_user_pages(pages, 2, GET);
	/* A partial munmap of the PTE-mapped folio keeps the rest. */
	cr_assert_eq(wl_munmap(&mm, A, 256 * PAGE_SIZE), 0);
	cr_assert_eq(folio_ref_count(f), 256);
}

static uint64_t backend_sync_calls(void)
{
	struct wl_backend_stats st;

	wl_backend.stats(&st);
	return st.sync_calls;
}

/* A pre-4.5 THP at A, split; returns the backend's sync calls it made. */
static uint64_t legacy_split_syncs(void)
{
	uint64_t before;

	cr_assert_eq(wl_mmap(&mm, A, PMD_SIZE, RW | VM_HUGEPAGE), 0);
	cr_assert_eq(wl_legacy_thp_populate(&mm, A, PMD_SIZE), 0);
	cr_assert_eq(folio_at(A)->order, HPAGE_PMD_ORDER);
	before = backend_sync_calls();
	cr_assert_eq(wl_split_huge_page_legacy(&mm, A), 0);
	cr_assert_eq(folio_at(A + PAGE_SIZE)->order, 0, "not split");
	before = backend_sync_calls() - before;
	cr_assert_eq(wl_munmap(&mm, A, PMD_SIZE), 0);
	return before;
}

/*
 * The pre-4.5 split must wait for walkers through the backend's sync (an
 * IPI of its own waits only for IRQ-off walkers); with the bug on it
 * skips it, which shows the count can stay put.
 */
Test(mm, legacy_split_waits_through_the_backend)
{
	cr_assert_eq(wl_legacy_thp_enable(), 0);
	cr_expect_eq(legacy_split_syncs(), 1, "the split bypassed the backend");
	wl_bugs.legacy_split_no_ipi = true;
	cr_expect_eq(legacy_split_syncs(), 0, "the bug did not skip the sync");
	wl_bugs.legacy_split_no_ipi = false;
	wl_legacy_thp_disable();
}

/*
 * Every split turns a 2 MiB block into 4 KiB pages: more splits than the
 * pool has 2 MiB blocks need the freed blocks coalesced again.
 */
Test(mm, legacy_splits_outlast_the_pool)
{
	uint64_t n = (wl_pages.nr >> HPAGE_PMD_ORDER) + 8;

	cr_assert_eq(wl_legacy_thp_enable(), 0);
	for (uint64_t i = 0; i < n; i++)
		legacy_split_syncs();
	wl_legacy_thp_disable();
}

Test(mm, dontneed_with_pt_reclaim_frees_the_table)
{
	map(A, PMD_SIZE, RW, true);
	uint64_t frees = wl_tables.frees;

	cr_assert_eq(wl_madvise_dontneed(&mm, A, PMD_SIZE, true), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	/* Deferring backends free after a grace period: drain below. */
	cr_assert_eq(atomic_load(&mm.nr_pt_reclaims), 1);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 1, GET, pages), 1);
	wl_put_user_pages(pages, 1, GET);
	(void)frees;
}

Test(mm, munmap_frees_every_table)
{
	map(A, 4 * PMD_SIZE, RW, true);
	map(A + PUD_SIZE, PMD_SIZE, RW | VM_HUGEPAGE, true);
	cr_assert_eq(wl_munmap(&mm, A, 4 * PMD_SIZE), 0);
	cr_assert_eq(wl_munmap(&mm, A + PUD_SIZE, PMD_SIZE), 0);
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	/* Only the pgd is left once the backend has freed the rest. */
}

Test(mm, table_pages_are_poisoned_and_reused)
{
	uint32_t t = wl_table_alloc(WL_PTE);
	uint32_t gen = atomic_load(&wl_ptdesc(t)->gen);

	cr_assert_eq(gen & 1, 0, "even while in use");
	cr_assert_eq(READ_ONCE(wl_table(t)->e[7]), 0, "zeroed");
	WRITE_ONCE(wl_table(t)->e[7], 0x1234);
	wl_table_free(t);
	/* A table freed with an entry in it: the orphan check reports it. */
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 1);
	wl_violations_reset();
	cr_assert_eq(atomic_load(&wl_ptdesc(t)->gen), gen + 1, "odd when free");
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		cr_assert_eq(READ_ONCE(wl_table(t)->e[i]), WL_POISON);
	cr_assert_eq(wl_table_alloc(WL_PTE), t, "LIFO: the freed page first");
	cr_assert_eq(atomic_load(&wl_ptdesc(t)->gen), gen + 2);
	cr_assert_eq(READ_ONCE(wl_table(t)->e[7]), 0);
	wl_table_free(t);
}

/*
 * A table's lock outlives the table: a zap or fault that read the old PMD
 * entry may still hold it for its recheck when the table is freed and
 * reused (core/pgtable.c), so the allocation must not reset it.
 */
Test(mm, table_lock_outlives_the_table)
{
	uint32_t t = wl_table_alloc(WL_PTE);

	wl_ptl_lock(t);
	wl_table_free(t);
	cr_assert_eq(wl_table_alloc(WL_PTE), t, "LIFO: the freed page first");
	cr_assert(!wl_ptl_trylock(t), "the reused table's lock was reset "
				      "under its holder");
	wl_ptl_unlock(t);
	cr_assert(wl_ptl_trylock(t));
	wl_ptl_unlock(t);
	wl_table_free(t);
}

/*
 * The generation as the walker's seqcount (pgtable.h): begin on a live
 * table is even and a retry with nothing between passes; a free, an
 * allocation or a reuse between begin and retry each fail the retry; begin
 * on a freed table is odd.  (The fences' ordering is not testable on one
 * thread; the none backend's scenarios show the check catching.)
 */
Test(mm, table_gen_is_a_seqcount)
{
	uint32_t t = wl_table_alloc(WL_PTE);
	uint32_t g = wl_table_gen_begin(t);

	cr_assert_eq(g & 1, 0, "even while in use");
	cr_assert(!wl_table_gen_retry(t, g), "nothing happened");
	wl_table_reuse(t);
	cr_assert(wl_table_gen_retry(t, g), "a reuse under the walk");
	g = wl_table_gen_begin(t);
	cr_assert_eq(g & 1, 0, "still in use after a reuse");
	wl_table_free(t);
	cr_assert(wl_table_gen_retry(t, g), "a free under the walk");
	cr_assert_eq(wl_table_gen_begin(t) & 1, 1, "odd: entered freed");
	cr_assert_eq(wl_table_alloc(WL_PTE), t, "LIFO");
	cr_assert(wl_table_gen_retry(t, g), "freed and reallocated");
	cr_assert_eq(wl_table_gen_begin(t), g + 2);
	wl_table_free(t);
}

Test(mm, bad_arguments)
{
	map(A, PAGE_SIZE, RW, true);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A + 1, 1, GET, pages),
		     -EINVAL);
	cr_assert_eq(wl_get_user_pages_fast(&mm, A, 1, FOLL_WRITE, pages),
		     -EINVAL, "neither GET nor PIN");
	cr_assert_eq(
		wl_get_user_pages_fast(&mm, A, 1, FOLL_GET | FOLL_PIN, pages),
		-EINVAL);
	cr_assert_eq(wl_get_user_pages_fast(&mm, TASK_SIZE - PAGE_SIZE, 2, GET,
					    pages),
		     -EFAULT);
	cr_assert_eq(wl_mmap(&mm, A, PAGE_SIZE, RW), -EEXIST);
	cr_assert_eq(wl_mmap(&mm, A + 5, PAGE_SIZE, RW), -EINVAL);
}

/* ---- a zap against a reclaim, interleaved exactly ----------------- */

static int hook_runs;

/*
 * Between the zap's read of the PMD and its PTE lock, another DONTNEED of
 * the same range reclaims the emptied PTE table, the backend frees it, and
 * a fault in the next 2 MiB reuses it there (the table pool hands the last
 * freed table out first).  Returns the reused table.
 */
static uint32_t reused_table;

static void reclaim_and_reuse_at_zap(enum wl_inject_point p)
{
	uint32_t pmd = wl_pmd_table_of(&mm, A);

	if (p != WL_INJ_WALK_LEVEL || hook_runs++)
		return;
	cr_assert_eq(wl_madvise_dontneed(&mm, A, PMD_SIZE, true), 0);
	cr_assert_eq(atomic_load(&mm.nr_pt_reclaims), 1);
	cr_assert_eq(wl_populate(&mm, A + PMD_SIZE, PAGE_SIZE), 0);
	pteval_t v = pt_entry(pmd, pmd_index(A + PMD_SIZE));

	reused_table = (uint32_t)pte_pfn(v);
}

/* Returns whether the page at A + PMD_SIZE survived the zap of A's PMD. */
static bool zap_against_reclaim(void)
{
	pteval_t v;
	enum wl_level level;

	if (wl_backend.caps & WL_CAP_DEFERS_FREE)
		cr_skip_test("the reclaimed table is freed a grace period "
			     "later: no reuse inside the window");
	map(A, PMD_SIZE, RW, true);
	map(A + PMD_SIZE, PMD_SIZE, RW, false);
	uint32_t table = wl_pmd_table_of(&mm, A);
	uint32_t pte = (uint32_t)pte_pfn(pt_entry(table, pmd_index(A)));

	hook_runs = 0;
	wl_inject_hook = reclaim_and_reuse_at_zap;
	wl_inject_cfg.enabled = true;
	cr_assert_eq(wl_madvise_dontneed(&mm, A, PMD_SIZE, false), 0);
	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	cr_assert_geq(hook_runs, 1, "the hook ran at the zap's PMD step");
	cr_assert_eq(reused_table, pte,
		     "the fault did not reuse the reclaimed table (%u, %u)",
		     reused_table, pte);
	return wl_lookup(&mm, A + PMD_SIZE, &v, &level);
}

Test(mm, zap_rechecks_the_pmd_under_the_pte_lock)
{
	cr_assert(zap_against_reclaim(), "the zap of A cleared the mapping "
					 "of A + 2 MiB");
	cr_assert_eq(wl_violations_total(), 0);
}

/*
 * Negative control: without pmd_same() under the PTE lock, the zap of A
 * clears A + 2 MiB's page from the reused table, and the zap's mapped-at
 * check reports a table use-after-free.
 */
Test(mm, zap_without_pmd_recheck_is_caught)
{
	wl_bugs.zap_no_pmd_recheck = true;
	cr_assert(!zap_against_reclaim(), "the zap missed the reused table");
	cr_assert_eq(wl_violation_count(WL_V_TABLE_UAF), 1);
	wl_violations_reset();
}

/* ---- the recheck, interleaved exactly ----------------------------- */

static uint64_t hook_addr;

/* A writer zaps the PTE between the walker's pin and its recheck. */
static void zap_at_pin(enum wl_inject_point p)
{
	struct wl_locked_entry le;

	if (p != WL_INJ_WALK_PIN || hook_runs++)
		return;
	cr_assert(wl_entry_lock(&mm, hook_addr, &le));
	pteval_t v = get_and_clear(le.table, le.index);
	struct wl_page *f = pfn_to_page(pte_pfn(v));

	folio_set_unmapped(f);
	wl_entry_unlock(&le);
	folio_put(f); /* the mapping's reference: the walker holds one */
}

static unsigned long walk_with_zap(void)
{
	map(A, PAGE_SIZE, RW, true);
	hook_addr = A;
	hook_runs = 0;
	wl_inject_hook = zap_at_pin;
	wl_inject_cfg.enabled = true;
	unsigned long n = wl_gup_fast(&mm, A, 1, GET, pages);

	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	cr_assert_eq(hook_runs, 1, "the hook ran once, at the pin");
	return n;
}

Test(mm, pte_recheck_rolls_back_a_pin_on_a_zapped_pte)
{
	cr_assert_eq(walk_with_zap(), 0, "the recheck must drop the pin");
	cr_assert_eq(wl_violations_total(), 0);
}

/*
 * Negative control of the test above: with the recheck dropped on purpose,
 * the same interleaving returns a page that is no longer mapped, and the
 * checker reports the stale pin.  This shows that test can fail.
 */
Test(mm, broken_pte_recheck_is_caught)
{
	wl_bugs.walker_no_pte_recheck = true;
	cr_assert_eq(walk_with_zap(), 1, "without the recheck the pin stays");
	cr_assert_eq(wl_violation_count(WL_V_STALE_PIN), 1);
	wl_put_user_pages(pages, 1, GET); /* frees the zapped page */
	wl_violations_reset();
}

/* A collapse clears the PMD between the walker's pin and its recheck. */
static pteval_t saved_pmd;
static uint32_t saved_pmd_table;

static void clear_pmd_at_pin(enum wl_inject_point p)
{
	struct wl_locked_entry le;

	if (p != WL_INJ_WALK_PIN || hook_runs++)
		return;
	cr_assert(wl_entry_lock(&mm, hook_addr, &le));
	wl_entry_unlock(&le);
	pteval_t g = READ_ONCE(wl_table(mm.pgd)->e[pgd_index(hook_addr)]);
	pteval_t u = READ_ONCE(
		wl_table((uint32_t)pte_pfn(g))->e[pud_index(hook_addr)]);

	saved_pmd_table = (uint32_t)pte_pfn(u);
	saved_pmd = get_and_clear(saved_pmd_table, pmd_index(hook_addr));
	/* The collapse decided "no pins": it did not see ours yet. */
	folio_set_unmapped(pfn_to_page(pte_pfn(le.val)));
}

static unsigned long walk_with_pmd_clear(void)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);

	hook_addr = A;
	hook_runs = 0;
	wl_inject_hook = clear_pmd_at_pin;
	wl_inject_cfg.enabled = true;
	unsigned long n = wl_gup_fast(&mm, A, 1, GET, pages);

	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	cr_assert_eq(hook_runs, 1);
	/* Undo the "collapse" so that teardown balances. */
	set_entry(saved_pmd_table, pmd_index(A), saved_pmd);
	folio_set_mapped(f, A);
	return n;
}

Test(mm, pmd_recheck_rolls_back_a_pin_after_collapse_cleared_the_pmd)
{
	cr_assert_eq(walk_with_pmd_clear(), 0);
	cr_assert_eq(wl_violations_total(), 0);
}

/* Negative control: GUP-fast before 70cbc3cc78a99 (docs/history.md 2.5). */
Test(mm, missing_pmd_recheck_is_caught)
{
	wl_bugs.walker_no_pmd_recheck = true;
	cr_assert_eq(walk_with_pmd_clear(), 1, "the stale pin stays");
	cr_assert_eq(wl_violation_count(WL_V_STALE_PIN), 1);
	wl_put_user_pages(pages, 1, GET);
	wl_violations_reset();
}

/* ---- fork vs GUP-fast FOLL_PIN (core/fork.c) ----------------------- */

static unsigned long hook_got;

/* A GUP-fast pin between fork's pin check and its write-protect. */
static void pin_in_fork(enum wl_inject_point p)
{
	if (p != WL_INJ_WRITER_UNLINK || hook_runs++)
		return;
	hook_got = wl_gup_fast(&mm, hook_addr, 1, PIN, pages);
	/* The holder's check, while the child still shares the page. */
	wl_check_held_pins(pages, hook_got, hook_addr);
}

static void fork_with_pin(void)
{
	map(A, PMD_SIZE, RW, true);
	hook_addr = A;
	hook_runs = 0;
	wl_inject_hook = pin_in_fork;
	wl_inject_cfg.enabled = true;
	cr_assert_eq(wl_fork_range(&mm, A), 0);
	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	cr_assert_geq(hook_runs, 1, "the hook ran inside fork");
	wl_put_user_pages(pages, hook_got, PIN);
}

Test(mm, fork_write_protect_seq_sends_the_pin_to_the_slow_path)
{
	fork_with_pin();
	cr_assert_eq(hook_got, 0, "GUP-fast pinned while fork ran");
	cr_assert_eq(wl_violations_total(), 0);
	/* The child has exited: the PTE is writable again, pins work. */
	cr_assert_eq(wl_gup_fast(&mm, A, 1, PIN, pages), 1);
	wl_put_user_pages(pages, 1, PIN);
}

/* Negative control: fork before 57efa1fe5957 (KERNEL.md 4.3). */
Test(mm, fork_without_write_protect_seq_is_caught)
{
	wl_bugs.fork_no_wp_seq = true;
	fork_with_pin();
	cr_assert_eq(hook_got, 1, "the pin lands between check and wrprotect");
	cr_assert_eq(wl_violation_count(WL_V_PIN_AFTER_NOPIN), 1);
	wl_violations_reset();
}

/* A fork that ran while the walker was between its pin and its retry. */
static void fork_done_at_pin(enum wl_inject_point p)
{
	if (p != WL_INJ_WALK_PIN || hook_runs++)
		return;
	/* Relaxed: single-threaded test; a whole fork, begin and end. */
	atomic_fetch_add_explicit(&mm.write_protect_seq, 2,
				  memory_order_relaxed);
}

Test(mm, fork_seq_retry_undoes_the_fast_pins)
{
	map(A, PAGE_SIZE, RW, true);
	struct wl_page *f = folio_at(A);
	int ref = folio_ref_count(f);

	hook_runs = 0;
	wl_inject_hook = fork_done_at_pin;
	wl_inject_cfg.enabled = true;
	cr_assert_eq(wl_gup_fast(&mm, A, 1, PIN, pages), 0);
	wl_inject_cfg.enabled = false;
	cr_assert_eq(hook_runs, 1);
	cr_assert_eq(folio_ref_count(f), ref, "the pin was not undone");
	/* FOLL_GET does not look at the count. */
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 1);
	wl_put_user_pages(pages, 1, GET);
}

/* ---- NUMA-hinting THP migration (core/numa.c) ---------------------- */

/* A GUP-fast walk between the migration's count check and its clear. */
static void walk_in_numa_migration(enum wl_inject_point p)
{
	if (p != WL_INJ_WRITER_FREE || hook_runs++)
		return;
	hook_got = wl_gup_fast(&mm, hook_addr, 1, GET, pages);
}

static int numa_with_walk(void)
{
	map(A, PMD_SIZE, RW | VM_HUGEPAGE, true);
	hook_addr = A;
	hook_runs = 0;
	wl_inject_hook = walk_in_numa_migration;
	wl_inject_cfg.enabled = true;
	int ret = wl_numa_migrate_thp(&mm, A);

	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	cr_assert_eq(hook_runs, 1, "the hook ran once, in the migration");
	/* The holder's check, after the migration. */
	wl_check_held_pages(pages, hook_got, A);
	wl_put_user_pages(pages, hook_got, GET);
	return ret;
}

Test(mm, numa_protnone_pmd_sends_gup_fast_to_the_slow_path)
{
	cr_assert_eq(numa_with_walk(), 0, "the THP was not migrated");
	cr_assert_eq(hook_got, 0, "GUP-fast followed a protnone PMD");
	cr_assert_eq(wl_violations_total(), 0);
	cr_assert_eq(mm.nr_numa_migrations, 1);
}

/* Negative control: GUP-fast before Mel Gorman's fix (KERNEL.md 4.8). */
Test(mm, numa_walker_through_protnone_is_caught)
{
	wl_bugs.walker_no_protnone = true;
	cr_assert_eq(numa_with_walk(), 0);
	cr_assert_eq(hook_got, 1, "the walker pins the old folio");
	cr_assert_eq(wl_violation_count(WL_V_PIN_AFTER_NOPIN), 1);
	wl_violations_reset();
}

/* ---------------------------------------------------------------------- */
/* A CPU waiting for a migration entry still takes IPIs (poll delivery).  */

/*
 * The migrating writer flushes (and may IPI) while its migration entry is
 * in place; a CPU whose slow path waits in migration_entry_wait() must
 * acknowledge, as the kernel's does, sleeping with IRQs on.  With poll
 * delivery nothing interrupts it: unless the wait loop polls, the writer
 * and the waiter wait for each other (found by the TSan suite under load).
 */
static void setup_poll(void)
{
	struct wl_machine_config cfg;

	wl_machine_config_default(&cfg);
	cfg.nr_frames = UINT64_C(1) << 16;
	cfg.nr_tables = 1u << 10;
	cfg.smp.delivery = WL_IPI_POLL;
	cfg.smp.pin = WL_PIN_NONE;
	cfg.smp.stall_panic_ns = 0; /* the test bounds its own waits */
	wl_arch_config_default(&cfg.arch, WL_ARCH_IPI);
	cr_assert_eq(wl_machine_init(&cfg), 0);
	cr_assert_geq(wl_cpu_start("test"), 0);
	wl_violations_reset();
	wl_check_enabled = true;
	cr_assert_eq(wl_mm_init(&mm), 0);
}

TestSuite(mm_poll, .init = setup_poll, .fini = teardown, .timeout = 60);

struct mig_waiter {
	_Atomic int cpu;      /* its CPU id once up; -1 before */
	_Atomic bool in_slow; /* about to call the slow path */
	_Atomic long got; /* what the slow path returned; LONG_MIN: not yet */
	struct wl_page *page;
};

static void *mig_waiter_main(void *arg)
{
	struct mig_waiter *w = arg;

	atomic_store(&w->cpu, wl_cpu_start("walker"));
	atomic_store(&w->in_slow, true);
	atomic_store(&w->got, wl_gup_slow(&mm, A, 1, GET, &w->page));
	wl_cpu_stop();
	return NULL;
}

static void ipi_ran(void *arg)
{
	atomic_store((_Atomic bool *)arg, true);
}

Test(mm_poll, migration_entry_wait_takes_ipis)
{
	struct mig_waiter w = {.cpu = -1, .got = LONG_MIN};
	struct wl_locked_entry le;
	struct wl_cpumask mask = {{0}};
	_Atomic bool ran = false;
	pthread_t t;

	map(A, PAGE_SIZE, RW, true);
	cr_assert(wl_entry_lock(&mm, A, &le));
	pteval_t old = le.val;

	/* try_to_migrate_one()'s entry, as the writer leaves it. */
	set_entry(
		le.table, le.index,
		pfn_pte(pte_pfn(old), _PAGE_RW | _PAGE_USER | _PAGE_MIGRATION));
	wl_entry_unlock(&le);
	cr_assert_eq(pthread_create(&t, NULL, mig_waiter_main, &w), 0);
	while (!atomic_load(&w.in_slow))
		wl_sleep_ns(100000);
	wl_sleep_ns(20000000); /* let it reach the wait */
	cr_assert_geq(atomic_load(&w.cpu), 0);
	cr_assert_eq(atomic_load(&w.got), LONG_MIN,
		     "the entry did not hold it");

	/* The writer's IPI, bounded by our own clock, not by the wait. */
	wl_cpumask_set(&mask, atomic_load(&w.cpu));
	smp_call_function_many(&mask, ipi_ran, (void *)&ran, false);
	uint64_t end = wl_now_ns() + 2000000000ull;

	while (!atomic_load(&ran) && wl_now_ns() < end)
		wl_sleep_ns(100000);
	bool acked = atomic_load(&ran);

	/* remove_migration_ptes(): the waiter may go now, either way. */
	cr_assert(wl_entry_lock(&mm, A, &le));
	set_entry(le.table, le.index, old);
	wl_entry_unlock(&le);
	pthread_join(t, NULL);
	cr_expect(acked, "a CPU in migration_entry_wait() did not take an IPI "
			 "in 2 s");
	cr_assert_eq(atomic_load(&w.got), 1);
	wl_put_user_pages(&w.page, 1, GET);
}

/* ---- lazy-TLB CPUs (core/arch.c) ----------------------------------- */

struct lazy_cpu {
	_Atomic int cpu;   /* its CPU id once up; -1 before */
	_Atomic int lazy;  /* wl_arch_lazy() as it last saw it; -1 before */
	_Atomic bool stop; /* leave */
};

/* A CPU that went lazy on the mm once, and takes IPIs until told. */
static void *lazy_cpu_main(void *arg)
{
	struct lazy_cpu *l = arg;

	atomic_store(&l->cpu, wl_cpu_start("lazy"));
	wl_arch_lazy_enter();
	while (!atomic_load(&l->stop)) {
		local_irq_enable(); /* takes poll-mode IPIs */
		atomic_store(&l->lazy, wl_arch_lazy());
		wl_sleep_ns(10000);
	}
	wl_cpu_stop();
	return NULL;
}

/* Two flushes, without then with freed tables: IPIs and "all" of each. */
static void lazy_flushes(unsigned int ipis[2], bool all[2], bool *lazy_after)
{
	struct lazy_cpu l = {.cpu = -1, .lazy = -1};
	struct wl_arch_stats st;
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, lazy_cpu_main, &l), 0);
	while (atomic_load(&l.lazy) != 1)
		wl_sleep_ns(100000);
	for (int freed = 0; freed < 2; freed++) {
		wl_arch_stats_reset();
		all[freed] = flush_tlb_mm_range(&mm, A, A + PMD_SIZE, freed);
		wl_arch_stats(&st);
		ipis[freed] = (unsigned int)st.flush_ipis;
	}
	wl_sleep_ns(20000000); /* let it see its state */
	*lazy_after = atomic_load(&l.lazy) == 1;
	atomic_store(&l.stop, true);
	pthread_join(t, NULL);
}

Test(mm_poll, flush_ipis_lazy_cpus_only_when_tables_were_freed)
{
	unsigned int ipis[2];
	bool all[2], lazy_after;

	lazy_flushes(ipis, all, &lazy_after);
	cr_assert_eq(ipis[0], 0, "a lazy CPU got a flush that freed nothing");
	cr_assert(!all[0], "the flush skipped a CPU but said it reached all");
	cr_assert_eq(ipis[1], 1, "freed_tables must IPI the lazy CPU");
	cr_assert(all[1]);
	cr_assert(!lazy_after, "the IPI must switch it to init_mm");
}

/* Negative control: a flush that skips lazy CPUs even for freed tables. */
Test(mm_poll, flush_skipping_lazy_cpus_for_freed_tables_is_seen)
{
	unsigned int ipis[2];
	bool all[2], lazy_after;

	wl_bugs.lazy_tlb_no_ipi = true;
	lazy_flushes(ipis, all, &lazy_after);
	cr_assert_eq(ipis[1], 0);
	cr_assert(all[1], "the buggy flush claims to have reached all");
	cr_assert(lazy_after, "the lazy CPU still walks the freed tables");
}

/* ---- 32-bit PAE: a PMD read in two halves (gup.c) ------------------- */

static int level_calls;
static uint32_t tear_table, tear_new;
static pteval_t tear_old;

/*
 * The walker's injection points: pgd, pud, then inside pmdp_get_lockless()
 * after the low half (3rd) and after the high half (4th), then the PMD.  Clear the PMD
 * at the 3rd, install a new PTE table at the 4th: the low half read again
 * is the same, the high half was read while the PMD was none.
 */
static void tear_pmd(enum wl_inject_point p)
{
	if (p != WL_INJ_WALK_LEVEL)
		return;
	level_calls++;
	if (level_calls == 3)
		tear_old = get_and_clear(tear_table, pmd_index(A));
	if (level_calls == 4)
		set_entry(tear_table, pmd_index(A),
			  pfn_pte(tear_new, _PAGE_TABLE));
}

Test(mm, pae_torn_pmd_is_caught)
{
	map(A, PAGE_SIZE, RW, true);
	tear_table = wl_pmd_table_of(&mm, A);
	tear_new = wl_table_alloc(WL_PTE);
	cr_assert_neq(tear_new, WL_TABLE_NONE);
	level_calls = 0;
	wl_arch_pae = true;
	wl_inject_hook = tear_pmd;
	wl_inject_cfg.enabled = true;
	cr_assert_eq(wl_gup_fast(&mm, A, 1, GET, pages), 0);
	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	wl_arch_pae = false;
	cr_assert_eq(level_calls, 5, "the walk did not read the PMD in halves");
	cr_assert_eq(wl_violation_count(WL_V_TABLE_UAF), 1,
		     "the torn PMD's table went unnoticed");
	wl_violations_reset();
	set_entry(tear_table, pmd_index(A), tear_old);
	wl_table_free(tear_new);
}

/*
 * orphan_pte (core/check.h), the checker the speculative fault's bug
 * needs: a table freed or reused with an entry in it, and a mmap() over
 * a range that still maps a page, are caught; empty ones are not.
 */
Test(mm, orphan_pte_in_a_freed_or_reused_table_is_caught)
{
	uint32_t t = wl_table_alloc(WL_PTE);

	cr_assert_neq(t, WL_TABLE_NONE);
	wl_table_free(t);
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 0);
	t = wl_table_alloc(WL_PTE);
	set_entry(t, 7, pfn_pte(0, _PAGE_PRESENT | _PAGE_USER));
	wl_table_free(t);
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 1);
	t = wl_table_alloc(WL_PTE);
	set_entry(t, 9, pfn_pte(0, _PAGE_PRESENT | _PAGE_USER));
	wl_table_reuse(t);
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 2);
	set_entry(t, 9, 0);
	wl_table_free(t);
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 2);
	wl_violations_reset(); /* expected */
}

Test(mm, orphan_pte_under_an_unmapped_range_is_caught)
{
	struct wl_page *f;
	uint32_t pte;

	map(A, PAGE_SIZE, RW, true);
	map(A + PAGE_SIZE, PAGE_SIZE, RW, true); /* keeps the table */
	cr_assert_eq(wl_munmap(&mm, A, PAGE_SIZE), 0);
	map(A, PAGE_SIZE, RW, false); /* a clean range: nothing found */
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 0);
	cr_assert_eq(wl_munmap(&mm, A, PAGE_SIZE), 0);
	/* What a fault that skipped mmap_seq leaves: a PTE, no VMA. */
	pte = (uint32_t)pte_pfn(
		pt_entry(wl_pmd_table_of(&mm, A), pmd_index(A)));
	f = wl_folio_alloc(0);
	cr_assert_not_null(f);
	folio_set_mapped(f, A);
	set_entry(pte, pte_index(A), pfn_pte(page_to_pfn(f), wl_vm_prot(RW)));
	map(A, PAGE_SIZE, RW, false);
	cr_assert_eq(wl_violation_count(WL_V_ORPHAN_PTE), 1);
	wl_violations_reset(); /* expected; the munmap at teardown zaps it */
}

/* ---- huge_pmd_unshare() against a holder of the table's lock ------- */

struct unsharer {
	_Atomic bool started;
	_Atomic int ret; /* wl_unshare_pte_table()'s; INT_MIN: not yet */
};

static void *unsharer_main(void *arg)
{
	struct unsharer *u = arg;

	cr_assert_geq(wl_cpu_start("unsharer"), 0);
	atomic_store(&u->started, true);
	atomic_store(&u->ret, wl_unshare_pte_table(&mm, A));
	wl_cpu_stop();
	return NULL;
}

/*
 * A fault or zap past its PMD recheck holds the PTE table's lock while it
 * writes the entries.  The unshare frees the table at once, with no grace
 * period, so it must not unlink the table under such a holder: without
 * the lock, the scenario targeted-sync-mb saw zaps clear entries of the
 * table's next user (table_uaf, refcount underflows) in one run in three.
 * Hold the lock as they do: the PMD must stay linked until it is dropped.
 */
Test(mm_poll, unshare_waits_for_the_pte_table_lock)
{
	struct unsharer u = {.ret = INT_MIN};
	pthread_t t;

	map(A, PMD_SIZE, RW, true);
	uint32_t pmd = wl_pmd_table_of(&mm, A);
	pteval_t linked = pt_entry(pmd, pmd_index(A));
	uint32_t pte = (uint32_t)pte_pfn(linked);

	wl_ptl_lock(pte);
	cr_assert_eq(pthread_create(&t, NULL, unsharer_main, &u), 0);
	while (!atomic_load(&u.started))
		wl_sleep_ns(100000);
	wl_sleep_ns(50000000); /* time enough to unlink, were it allowed */
	bool held = pt_entry(pmd, pmd_index(A)) == linked &&
		    atomic_load(&u.ret) == INT_MIN;

	wl_ptl_unlock(pte);
	/* The unshare's sync may IPI us or wait for our grace period. */
	wl_cpu_block_begin();
	while (atomic_load(&u.ret) == INT_MIN) {
		local_irq_enable();
		wl_sleep_ns(100000);
	}
	wl_cpu_block_end();
	pthread_join(t, NULL);
	cr_assert(held, "the unshare unlinked the table under its lock holder");
	cr_assert_eq(atomic_load(&u.ret), 0);
	cr_assert(pte_none(pt_entry(pmd, pmd_index(A))), "not unlinked");
}
