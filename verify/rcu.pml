/*
 * rcu.pml - backends/rcu: RCU readers (IRQs stay on), tables freed after a
 * grace period.  RCU is modelled by its guarantee, not its implementation:
 * the read-side flags are sequentially consistent ghosts, and
 * synchronize_rcu() begins with a full barrier (drains the writer's buffer)
 * and waits for every section in progress at its start to end.
 */
#define WALK_BEGIN(c) rd[c] = 1; P(c, sect_begin, 0)
#define WALK_END(c) P(c, sect_end, 0); rd[c] = 0; rseq[c]++
#define FREE_WAIT() grace_period()
#define SYNC() grace_period()
#define WRITER_MUNMAP
#include "common.pml"
