/*
 * targeted.pml - targeted sync IPIs (docs/history.md: the 2026 proposal):
 * the walker masks IRQs, publishes mm in its per-CPU pointer
 * (this_cpu_write + smp_mb, or xchg: the same on TSO), walks, and clears
 * the pointer with a store-release.  tlb_remove_table_sync_mm() reads every
 * pointer after a barrier and IPIs (and waits for) only the CPUs whose
 * pointer is this mm.  SYNC_RMB: the barrier is smp_rmb(), as posted (on
 * TSO a no-op: it orders loads only); else smp_mb().  The writer frees one
 * table after the sync (__tlb_remove_table_one); its unlink is a plain
 * pmd_clear() unless CLEAR_RMW (an xchg-style get_and_clear).
 */
#define TG_WALKER_MB drain_all(c) /* smp_mb(): pointer before the walk */
#ifdef SYNC_RMB
#define TG_SYNC_MB skip /* smp_rmb(): loads only; no-op on TSO */
#else
#define TG_SYNC_MB drain_all(WCPU) /* smp_mb(): unlink before pointers */
#endif

#define WALK_BEGIN(c)                                                      \
	irqoff[c] = 1;                                                     \
	P(c, irq_off, 0);                                                  \
	store(c, A_ACT + c, MM);                                           \
	TG_WALKER_MB;                                                      \
	P(c, publish, MM)
#define WALK_END(c)                                                        \
	store(c, A_ACT + c, 0);                                            \
	P(c, unpublish, 0);                                                \
	P(c, irq_on, 0);                                                   \
	irqoff[c] = 0

/* tlb_remove_table_sync_mm(mm): read the pointers, IPI the matches, wait. */
#define FREE_WAIT()                                                        \
	P(WCPU, sync_begin, 0);                                            \
	TG_SYNC_MB;                                                        \
	k = 0;                                                             \
	do                                                                 \
	:: k < NW ->                                                       \
		load(WCPU, A_ACT + k, r);                                  \
		P(WCPU, read_ptr, r);                                      \
		if                                                         \
		:: r == MM -> snap = snap | (1 << k)                       \
		:: else -> skip                                            \
		fi;                                                        \
		k++                                                        \
	:: else -> break                                                   \
	od;                                                                \
	drain_all(WCPU); /* the call's publication is an RMW */            \
	k = 0;                                                             \
	do                                                                 \
	:: k < NW ->                                                       \
		if                                                         \
		:: snap & (1 << k) -> ipi[k] = 1; P(WCPU, ipi_send, k)     \
		:: else -> skip                                            \
		fi;                                                        \
		k++                                                        \
	:: else -> break                                                   \
	od;                                                                \
	k = 0;                                                             \
	do                                                                 \
	:: k < NW -> ipi[k] == 0; k++                                      \
	:: else -> break                                                   \
	od;                                                                \
	k = 0;                                                             \
	snap = 0;                                                          \
	r = 0;                                                             \
	P(WCPU, sync_done, 0)
#define SYNC() FREE_WAIT()
#define WRITER_MUNMAP
#include "common.pml"
