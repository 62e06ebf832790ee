/* SPDX-License-Identifier: MIT */
/*
 * gup.h - get_user_pages_fast() and its slow path (mm/gup.c).
 *
 * gup.c is compiled into each backend's executables, with that backend's
 * "walk_backend.h", so that lockless_page_walk_begin()/end() inline into
 * the walker.
 */
#ifndef WALKLAB_GUP_H
#define WALKLAB_GUP_H

#include "mm.h"

#define FOLL_WRITE     (1u << 0)
#define FOLL_GET       (1u << 2)
#define FOLL_PIN       (1u << 3)
#define FOLL_LONGTERM  (1u << 4)
#define FOLL_FAST_ONLY (1u << 5)
/* The slow path may drop mmap_lock in fault I/O (FAULT_FLAG_ALLOW_RETRY). */
#define FOLL_UNLOCKABLE (1u << 6)
#define FOLL_ALL                                                               \
	(FOLL_WRITE | FOLL_GET | FOLL_PIN | FOLL_LONGTERM | FOLL_FAST_ONLY |   \
	 FOLL_UNLOCKABLE)

/*
 * gup_fast(): the lockless walk alone.  Returns how many pages, from
 * start on, it pinned (0 to nr_pages); the caller finishes the rest.
 */
unsigned long wl_gup_fast(struct wl_mm *mm, uint64_t start,
			  unsigned long nr_pages, unsigned int gup_flags,
			  struct wl_page **pages);

/*
 * The slow path: takes mmap_lock for read, faults pages in.  Returns the
 * number pinned, or -errno if none could be.
 */
long wl_gup_slow(struct wl_mm *mm, uint64_t start, unsigned long nr_pages,
		 unsigned int gup_flags, struct wl_page **pages);

/*
 * gup_fast_fallback(): fast path, then the slow path for the rest.
 * Returns the number pinned (never -errno after a partial pin), or
 * -EINVAL / -EFAULT / -ENOMEM.
 */
long wl_get_user_pages_fast(struct wl_mm *mm, uint64_t start,
			    unsigned long nr_pages, unsigned int gup_flags,
			    struct wl_page **pages);

/*
 * The same, also telling how many of the pages the fast path pinned
 * (*nr_fast; may be NULL), for the statistics of callers that loop.
 */
long wl_gup_fast_fallback(struct wl_mm *mm, uint64_t start,
			  unsigned long nr_pages, unsigned int gup_flags,
			  struct wl_page **pages, unsigned long *nr_fast);

/* Release what a gup call returned (put_page / unpin_user_pages). */
void wl_put_user_pages(struct wl_page **pages, unsigned long nr,
		       unsigned int gup_flags);

/* gup_put_folio() */
void wl_gup_put_folio(struct wl_page *folio, int refs, unsigned int gup_flags);

/*
 * A lazy-TLB CPU's speculative hardware walk of addr (core/arch.h): IRQs
 * off, no reference, only while the CPU is lazy on the mm.  Returns the
 * levels read.
 */
unsigned int wl_speculative_walk(struct wl_mm *mm, uint64_t addr);

#endif /* WALKLAB_GUP_H */
