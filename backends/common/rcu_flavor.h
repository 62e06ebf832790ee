/* SPDX-License-Identifier: MIT */
/*
 * rcu_flavor.h - the liburcu flavor glue, chosen at build time by one
 * macro (WALKLAB_RCU_FLAVOR_<FLAVOR>), as liburcu's own urcu.h does.
 * Shared by the rcu backend and lockless_walk_helpers.
 *
 * _LGPL_SOURCE (set by CMake for every source and test of the backend)
 * maps urcu_<flavor>_read_lock() and friends to the static inline
 * versions of urcu/static/, so the read side inlines into the walker.
 *
 * Flavors (liburcu 0.13):
 *  memb    sys_membarrier(): readers use compiler barriers only, the
 *          grace period issues the membarrier (liburcu's default).
 *  qsbr    readers are free; each thread reports quiescent states between
 *          walks and is "online" from registration on.
 *  mb      readers issue smp_mb() in lock and unlock.
 *  bp      "bulletproof": threads register themselves on first use.
 *  signal  readers use compiler barriers; the grace period sends SIGUSR1
 *          to every reader to force a barrier (our IPIs use SIGRTMIN).
 */
#ifndef WALKLAB_RCU_FLAVOR_H
#define WALKLAB_RCU_FLAVOR_H

#ifndef _LGPL_SOURCE
#error "define _LGPL_SOURCE (CMake does) so that the read side inlines"
#endif

#if defined(WALKLAB_RCU_FLAVOR_MEMB)
#include <urcu/urcu-memb.h>
#define WL_URCU(x)    urcu_memb_##x
#define WL_RCU_FLAVOR "memb"
#define WL_RCU_QSBR   0
#elif defined(WALKLAB_RCU_FLAVOR_QSBR)
#include <urcu/urcu-qsbr.h>
#define WL_URCU(x)    urcu_qsbr_##x
#define WL_RCU_FLAVOR "qsbr"
#define WL_RCU_QSBR   1
#elif defined(WALKLAB_RCU_FLAVOR_MB)
#include <urcu/urcu-mb.h>
#define WL_URCU(x)    urcu_mb_##x
#define WL_RCU_FLAVOR "mb"
#define WL_RCU_QSBR   0
#elif defined(WALKLAB_RCU_FLAVOR_BP)
#include <urcu/urcu-bp.h>
#define WL_URCU(x)    urcu_bp_##x
#define WL_RCU_FLAVOR "bp"
#define WL_RCU_QSBR   0
#elif defined(WALKLAB_RCU_FLAVOR_SIGNAL)
#include <urcu/urcu-signal.h>
#define WL_URCU(x)    urcu_signal_##x
#define WL_RCU_FLAVOR "signal"
#define WL_RCU_QSBR   0
#else
#error "Unknown urcu flavor: define WALKLAB_RCU_FLAVOR_{MEMB,QSBR,MB,BP,SIGNAL}"
#endif

#include "compiler.h"

/*
 * The read side.  Orders the walk inside the section as the flavor does:
 * compiler barriers (memb, signal: the grace period forces the CPU
 * barriers on readers), smp_mb() (mb), nothing at all (qsbr: the section
 * runs between two quiescent states).  The pairs are in liburcu's
 * synchronize_rcu(), which also runs before each call_rcu() batch.
 */
static __wl_always_inline void wl_rcu_read_lock(void)
{
	WL_URCU(read_lock)();
}

static __wl_always_inline void wl_rcu_read_unlock(void)
{
	WL_URCU(read_unlock)();
}

/*
 * wl_rcu_read_lock/unlock() are liburcu's own pair, called directly: the
 * reference a read side built on them is measured against
 * (bench/measure/workload.c, WL_READ_REFERENCE_NAME).
 */
#define WL_URCU_REFERENCE_NAME "urcu_" WL_RCU_FLAVOR "_read_lock/unlock"

#endif /* WALKLAB_RCU_FLAVOR_H */
