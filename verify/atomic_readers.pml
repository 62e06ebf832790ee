/*
 * atomic_readers.pml - backends/atomic_readers: Will Deacon's 2013 reader
 * count.  Walker: atomic_inc; smp_mb; walk; smp_mb; atomic_dec.  Writer:
 * unlink; smp_mb; spin until the count reads 0; free.  PERCPU: one count
 * per CPU written with plain stores (this_cpu_inc: through the store
 * buffer), the writer polls each.  NOBARRIER: every smp_mb() dropped (the
 * counter without its barriers).
 */
#ifdef NOBARRIER
#define AR_WALKER_MB skip
#define AR_WRITER_MB skip
#else
#define AR_WALKER_MB drain_all(c) /* smp_mb(): count before the walk */
#define AR_WRITER_MB drain_all(WCPU) /* smp_mb(): unlink before the poll */
#endif

#ifdef PERCPU
#define AR_INC(c) store(c, A_CNT + c, 1)
#define AR_DEC(c) store(c, A_CNT + c, 0)
#define AR_NCNT NW
#define AR_ADDR(k) (A_CNT + k)
#else
#define AR_INC(c) drain_all(c); d_step { mem[A_CNT]++ }
#define AR_DEC(c) drain_all(c); d_step { mem[A_CNT]-- }
#define AR_NCNT 1
#define AR_ADDR(k) A_CNT
#endif

#define WALK_BEGIN(c) AR_INC(c); P(c, count, 1); AR_WALKER_MB
#define WALK_END(c) AR_WALKER_MB; AR_DEC(c); P(c, uncount, 0)

/* ar_wait_readers(): poll every count to zero (TSO: the acquire is free). */
#define FREE_WAIT()                                                        \
	AR_WRITER_MB;                                                      \
	k = 0;                                                             \
	do                                                                 \
	:: k < AR_NCNT ->                                                  \
		load(WCPU, AR_ADDR(k), r);                                 \
		P(WCPU, poll, r);                                          \
		if                                                         \
		:: r == 0 -> k++                                           \
		:: else -> skip                                            \
		fi                                                         \
	:: else -> break                                                   \
	od;                                                                \
	k = 0;                                                             \
	r = 0
#define SYNC() FREE_WAIT()
#define WRITER_MUNMAP
#include "common.pml"
