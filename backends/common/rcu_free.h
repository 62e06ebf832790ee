/* SPDX-License-Identifier: MIT */
/*
 * rcu_free.h - freeing tables after an RCU grace period (liburcu), shared by
 * the rcu backend and lockless_walk_helpers (its rcu and today modes), which
 * compiles rcu_free.c into its own objects with its own flavor macro.
 *
 * The rcu_head of a batch lives in batch->backend_head, the one of a single
 * table in its ptdesc's backend_head; the callbacks run on liburcu's
 * call_rcu thread, which is not a simulated CPU.
 */
#ifndef WALKLAB_RCU_FREE_H
#define WALKLAB_RCU_FREE_H

#include "backend.h"

/* Resets the counters and starts the call_rcu thread.  Returns 0. */
int rcu_tables_init(void);
/* rcu_barrier(): every table handed over so far is freed on return. */
void rcu_tables_drain(void);

/*
 * Register the calling thread with liburcu (qsbr: it is then online, and
 * must call rcu_tables_quiescent() between walks), or unregister it.
 */
void rcu_tables_cpu_online(void);
void rcu_tables_cpu_offline(void);
/* qsbr: report a quiescent state; no-op on an unregistered thread. */
void rcu_tables_quiescent(void);
/*
 * qsbr: the calling CPU is about to block / has woken up: it goes offline
 * (an extended quiescent state) for the duration, as a sleeping task is a
 * quiescent state in the kernel.  Nests; no-op when unregistered.
 */
void rcu_tables_blocking_begin(void);
void rcu_tables_blocking_end(void);

/*
 * Free after a grace period (call_rcu()): a batch of unlinked tables
 * (tlb_remove_table_free()) or one (__tlb_remove_table_one() with
 * PT_RECLAIM).  Return at once; may be called by any thread.
 */
void rcu_tables_free_batch(struct wl_table_batch *batch);
void rcu_tables_free_one(uint32_t table);
/* synchronize_rcu(): every read-side section begun before has ended. */
void rcu_tables_sync(void);

/*
 * Grace periods asked for are counted on the calling CPU: each
 * synchronize_rcu() as WL_EV_GP_SYNC, each call_rcu() as WL_EV_GP_CALL
 * (backend.h); the backend's grace_periods is their sum.
 */

#endif /* WALKLAB_RCU_FREE_H */
