/*
 * today.pml - today's kernel (backends/lockless_walk_helpers, today mode):
 * IRQ-off walkers, which are RCU-sched readers; tables freed after an
 * RCU(-sched) grace period (MMU_GATHER_RCU_TABLE_FREE); khugepaged's
 * collapse syncs with tlb_remove_table_sync_one() (an IPI to every CPU,
 * waited for) after pmdp_collapse_flush().  The writer either frees a table
 * (munmap) or collapses; COLLAPSE_ONLY: it always collapses.
 * NO_SYNC: collapse without the sync (before 2ba99c5e0881);
 * NO_PMD_RECHECK: GUP-fast without its PMD recheck (before 70cbc3cc78a99).
 */
#define WALK_BEGIN(c) irqoff[c] = 1; rd[c] = 1; P(c, irq_off, 0)
#define WALK_END(c) P(c, irq_on, 0); rd[c] = 0; rseq[c]++; irqoff[c] = 0
#define FREE_WAIT() grace_period()
#define SYNC() ipi_all_wait()
#ifndef COLLAPSE_ONLY
#define WRITER_MUNMAP
#endif
#define WRITER_COLLAPSE
#include "common.pml"
