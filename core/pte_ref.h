/* SPDX-License-Identifier: MIT */
/*
 * pte_ref.h - the optional per-PTE-table reference of a backend's read
 * side (core/backend.h, 1b), as every lockless walker calls it.
 *
 * Include after nothing in particular: it includes the backend's
 * "walk_backend.h" and, when that defines no WL_PTE_TABLE_REF, gives the
 * two calls as empty inlines, so that a walker calls them unconditionally
 * and pays nothing on the backends without one.
 *
 *	pteval_t pmd = <the PMD, read once>;
 *	uint32_t t = pte_pfn(pmd);	(the PTE table it names)
 *	if (!wl_pte_table_try_get(t))
 *		return <give up, as for a none PMD>;
 *	... the PTE loads ...
 *	wl_pte_table_put(t);
 *
 * Both inside lockless_page_walk_begin()/end(): whatever the backend's
 * section protects (or fails to) is the window between the PMD load and
 * the try-get.
 */
#ifndef WALKLAB_PTE_REF_H
#define WALKLAB_PTE_REF_H

#include "compiler.h"
#include "walk_backend.h"

#ifndef WL_PTE_TABLE_REF
static __wl_always_inline bool wl_pte_table_try_get(uint32_t table)
{
	return true;
}

static __wl_always_inline void wl_pte_table_put(uint32_t table)
{
}
#endif

#endif /* WALKLAB_PTE_REF_H */
