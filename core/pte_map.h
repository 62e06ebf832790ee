/* SPDX-License-Identifier: MIT */
/*
 * pte_map.h - the slow path's locked walk to a PTE (follow_page_pte()'s
 * pte_offset_map_lock()), three ways, for measure's locked workload and
 * its tests (docs/kernel-protocol.md 2.8):
 *
 *  lock      before 2021: the PMD read under mmap_lock, then the PTE
 *            table's lock.  Sound only while nothing frees a PTE table
 *            under mmap_lock for read (no PT_RECLAIM, no retract).
 *  refcount  the 2021 series (v2, patch 6): pte_try_get() under the PTE
 *            table's lock, then pte_offset_map_lock() takes the same lock
 *            again, and pte_put() after: the second lock round trip and
 *            two atomics Jason Gunthorpe pointed at (seed 004).
 *  rcu       since 2023 (Hugh Dickins; KERNEL.md 2.3):
 *            __pte_offset_map_lock(): inside an RCU read-side section the
 *            PMD is read locklessly and may say "no PTE table" (the map
 *            fails: none, huge, or gone); the lock is taken and the PMD
 *            read again; if it changed, unlock and start over.
 *
 * Compiled per backend, like gup.c: the rcu walk's section is the
 * backend's lockless_page_walk_begin()/end() (what the simulation has for
 * "a reader that holds off table frees"), and the refcount walk's last
 * put frees through the backend's per-table reference where it has one.
 */
#ifndef WALKLAB_PTE_MAP_H
#define WALKLAB_PTE_MAP_H

#include "mm.h"

enum wl_pte_map_how {
	WL_PTE_MAP_LOCK,
	WL_PTE_MAP_REFCOUNT,
	WL_PTE_MAP_RCU,
	WL_PTE_MAP_NR,
};
/* "lock", "refcount", "rcu"; NULL-terminated. */
extern const char *const wl_pte_map_names[WL_PTE_MAP_NR + 1];

struct wl_pte_map {
	enum wl_pte_map_how how;
	uint32_t table;	      /* the PTE table, its lock held */
	pteval_t pte;	      /* addr's PTE, read under the lock */
	unsigned long cookie; /* rcu: the section's */
	/* rcu: starts over because the PMD changed before the lock ... */
	unsigned int retries;
	/* ... and because the lock was busy (waited for outside the section) */
	unsigned int lock_waits;
};

/*
 * Map addr's PTE table and lock it; mmap_lock held for read.  false when
 * no PTE table maps addr (the kernel's NULL: follow_page_pte() returns
 * no_page_table() and the caller faults); then nothing is held.
 */
bool wl_pte_offset_map_lock(struct wl_mm *mm, uint64_t addr,
			    enum wl_pte_map_how how, struct wl_pte_map *m);
void wl_pte_unmap_unlock(struct wl_mm *mm, struct wl_pte_map *m);

/*
 * Tests only: called, when set, by the rcu walk between its lockless PMD
 * load and the lock, inside the section: the window the recheck closes.
 */
extern void (*wl_pte_map_window)(struct wl_mm *mm, uint64_t addr);

#endif /* WALKLAB_PTE_MAP_H */
