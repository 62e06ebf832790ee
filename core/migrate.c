// SPDX-License-Identifier: MIT
/*
 * migrate.c - migrate one small folio to a new frame (migrate_pages()).
 *
 * try_to_migrate() replaces the PTE by a migration entry and flushes; then
 * folio_migrate_mapping() freezes the refcount at the expected value.  A
 * GUP reference taken before the freeze makes it fail (-EAGAIN) and the
 * PTE is restored; a walker that read the old PTE and comes after the
 * freeze fails its add-unless-zero; one that comes after the migration
 * entry bails to the slow path, which waits for the migration to finish.
 */
#include "arch.h"
#include "check.h"
#include "internal.h"

#include <errno.h>

/* Put v back at le's entry if it still holds expect. */
static bool replace_if(struct wl_mm *mm, uint64_t addr, pteval_t expect,
		       pteval_t v)
{
	struct wl_locked_entry le;
	bool done = false;

	if (!wl_entry_lock(mm, addr, &le))
		return false;
	if (le.level == WL_PTE && le.val == expect) {
		set_entry(le.table, le.index, v);
		done = true;
	}
	wl_entry_unlock(&le);
	return done;
}

int wl_migrate_page(struct wl_mm *mm, uint64_t addr)
{
	struct wl_locked_entry le;
	struct wl_page *folio, *new;
	pteval_t oldv, mig;
	bool unpinned = false; /* the planted bug's early check */
	int ret = 0;

	addr &= PAGE_MASK;
	new = wl_folio_alloc(0);
	if (!new)
		return -ENOMEM;
	mmap_read_lock(mm);
	if (!wl_entry_lock(mm, addr, &le)) {
		ret = -ENOENT;
		goto out;
	}
	oldv = le.val;
	if (le.level != WL_PTE || !pte_present(oldv) || pte_special(oldv) ||
	    folio_test_large(page_folio(pfn_to_page(pte_pfn(oldv))))) {
		wl_entry_unlock(&le);
		ret = -EINVAL;
		goto out;
	}
	folio = pfn_to_page(pte_pfn(oldv));
	if (wl_bugs.migrate_refs_before_unmap) {
		/*
		 * Planted: "no pins" decided while the PTE still maps the
		 * folio, by a count rather than a freeze; a walker may pin
		 * and pass its recheck before the clear below.
		 */
		unpinned = folio_ref_count(folio) == 1;
		wl_inject(WL_INJ_WRITER_UNLINK);
	}
	/* try_to_migrate_one(): clear, then install the migration entry. */
	get_and_clear(le.table, le.index);
	mig = pfn_pte(pte_pfn(oldv),
		      (oldv & (_PAGE_RW | _PAGE_USER)) | _PAGE_MIGRATION);
	set_entry(le.table, le.index, mig);
	wl_entry_unlock(&le);
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE, false);
	wl_inject(WL_INJ_WRITER_UNLINK);

	/*
	 * folio_ref_freeze(): only the mapping's reference (carried by the
	 * migration entry) may remain.  seq_cst, see page.h.
	 */
	if (wl_bugs.migrate_refs_before_unmap ? !unpinned
					      : !folio_ref_freeze(folio, 1)) {
		/* remove_migration_ptes(): put the old PTE back. */
		if (!replace_if(mm, addr, mig, oldv))
			folio_put(folio); /* zapped meanwhile: its ref */
		atomic_fetch_add_explicit(&mm->nr_migrate_fail, 1,
					  memory_order_relaxed);
		ret = -EAGAIN;
		goto out;
	}
	/* Frozen: decided "no pins".  A pin on folio from now on is stale. */
	folio_set_nopin(folio);
	folio_set_unmapped(folio);
	WRITE_ONCE(new->data, READ_ONCE(folio->data));
	folio_set_mapped(new, addr);
	if (replace_if(mm, addr, mig,
		       pfn_pte(page_to_pfn(new), oldv & ~_PAGE_PFN_MASK)))
		new = NULL;
	wl_inject(WL_INJ_WRITER_FREE);
	/* The old folio: its frozen reference goes, and with it the folio. */
	if (!wl_bugs.migrate_refs_before_unmap)
		folio_ref_unfreeze(folio, 1);
	folio_put(folio);
	atomic_fetch_add_explicit(&mm->nr_migrations, 1, memory_order_relaxed);
out:
	mmap_read_unlock(mm);
	folio_put_unused(new);
	return ret;
}
