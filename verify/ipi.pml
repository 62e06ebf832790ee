/*
 * ipi.pml - backends/ipi: IRQ-off walkers (gup_fast()'s local_irq_save);
 * the writer frees after an IPI that every CPU acknowledges with IRQs on.
 * ASSUME_FLUSH_IPI: free right after the TLB flush, trusting the flush to
 * have IPI'd and waited (x86 before v6.15; --backend-opt assume_flush_ipi=1):
 * true only on ARCH_IPI.
 */
#define WALK_BEGIN(c) irqoff[c] = 1; P(c, irq_off, 0)
#define WALK_END(c) P(c, irq_on, 0); irqoff[c] = 0
#ifdef ASSUME_FLUSH_IPI
#define FREE_WAIT() skip
#else
#define FREE_WAIT() ipi_all_wait()
#endif
#define SYNC() ipi_all_wait()
#define WRITER_MUNMAP
#include "common.pml"
