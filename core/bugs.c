// SPDX-License-Identifier: MIT
/*
 * bugs.c - the historical-bug knobs (struct wl_bugs, mm.h), alone so that
 * the SMP model (rcu_sched.c) can read its own without the mm.
 */
#include "mm.h"

struct wl_bugs wl_bugs;
