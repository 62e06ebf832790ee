// SPDX-License-Identifier: MIT
/*
 * bugs.c - the historical-bug knobs (struct wl_bugs, mm.h), alone so that
 * the SMP model (rcu_sched.c) and the arch model (arch.c) can read theirs
 * without the mm, and the front end links the core without a backend.
 */
#include "mm.h"

struct wl_bugs wl_bugs;
