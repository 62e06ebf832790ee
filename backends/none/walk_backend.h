/* SPDX-License-Identifier: MIT */
/*
 * none: no synchronization at all.
 *
 * Strategy: the walker brackets nothing; writers free page-table pages the
 * moment they are unlinked and flushed, and sync returns at once.
 * Assumes: nothing of the architecture model.
 * Safe: never.  It is the cost floor of every comparison and the negative
 * control of every checker: a checker that does not fire on it proves
 * nothing.
 * Ordering: none; there is no pairing to name.
 */
#ifndef WALKLAB_BACKEND_NONE_H
#define WALKLAB_BACKEND_NONE_H

#include "compiler.h"

struct wl_mm;

static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
	barrier(); /* keep the walk inside the (empty) section */
	return 0;
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
	barrier(); /* as in begin */
}

#endif /* WALKLAB_BACKEND_NONE_H */
