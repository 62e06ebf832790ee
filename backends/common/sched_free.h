/* SPDX-License-Identifier: MIT */
/*
 * sched_free.h - freeing tables after an RCU-sched grace period of the
 * simulated machine (core/rcu_sched.h), in which IRQ-off walkers are
 * readers: the kernel's MMU_GATHER_RCU_TABLE_FREE for IRQ-off GUP-fast.
 * Used by lockless_walk_helpers-today, which compiles sched_free.c into
 * its own objects.
 *
 * The callback head of a batch lives in batch->backend_head, the one of a
 * single table in its ptdesc's backend_head; the callbacks run on the
 * RCU-sched reclaimer thread, which is not a simulated CPU.
 */
#ifndef WALKLAB_SCHED_FREE_H
#define WALKLAB_SCHED_FREE_H

#include "backend.h"

/* Start / drain and stop the reclaimer.  0 or -errno. */
int sched_tables_init(void);
void sched_tables_drain(void);

/*
 * tlb_remove_table_free() with RCU table free: call_rcu() on the batch;
 * __tlb_remove_table_one() with PT_RECLAIM: call_rcu() on the ptdesc.
 * Return at once.
 */
void sched_tables_free_batch(struct wl_table_batch *batch);
void sched_tables_free_one(uint32_t table);
/* __tlb_remove_table_one() without PT_RECLAIM since 2026: synchronize_rcu()
 * then free at once. */
void sched_tables_sync_free_one(uint32_t table);
/* tlb_remove_table_sync_one() as synchronize_rcu(): no IPI. */
void sched_tables_sync(void);

/*
 * Grace periods asked for are counted on the calling CPU, as rcu_free.c
 * counts them (WL_EV_GP_CALL, WL_EV_GP_SYNC: backend.h); the machine's own
 * count of grace periods run, which the reclaimer's batch shares, is in
 * core/rcu_sched.h.  The FQS IPIs the grace periods sent:
 */
uint64_t sched_tables_fqs_ipis(void);
void sched_tables_stats_reset(void);

#endif /* WALKLAB_SCHED_FREE_H */
