/* SPDX-License-Identifier: MIT */
/*
 * ipi: IRQ-off walkers, writers IPI every CPU before freeing.
 *
 * Strategy. The walker masks IRQs for the walk (local_irq_save(), as gup_fast()
 * does: docs/kernel-protocol.md 1.2). A writer that has unlinked tables and
 * flushed the TLB frees them at once when that flush IPI'd and waited for every
 * CPU (the x86 bare-metal case before v6.15: docs/kernel-protocol.md 2.2, 2.3);
 * otherwise it sends an empty IPI to every other online CPU and waits for
 * the acknowledgments before freeing (tlb_remove_table_sync_one()).  sync
 * is that same empty broadcast.
 *
 * Assumes of the architecture model: nothing for safety; it IPIs by itself
 * when flush_ipi_all says the flush did not.  On WL_ARCH_IPI the flush
 * already waited, so the free costs no extra IPI.  Every walker must be a
 * simulated CPU (wl_cpu_start()): a thread that is not is never IPI'd and
 * is not protected.
 *
 * Why it is safe.  A CPU acknowledges an IPI only with IRQs enabled, so an
 * IPI that arrives during a walk is taken at local_irq_restore(), after the
 * walk.  When the writer has every acknowledgment, every walk that was
 * running when it sent the IPIs has ended; every walk that starts after a
 * CPU took the IPI sees the cleared entry (the IPI publication is ordered
 * after the writer's unlink), so no walker can reach the table any more.
 *
 * The bug option.  assume_flush_ipi=1 (run time: --backend-opt, as the
 * scenarios that replay the bug use it) frees at once after every flush,
 * as if it had
 * IPI'd: the 2013 ARM GUP-fast port copied x86 and relied on a flush IPI
 * that ARM's broadcast TLBI never sends (docs/history.md 2.2).  Safe
 * only on WL_ARCH_IPI; sync stays correct.
 *
 * Memory ordering (the pairs are in core/smp.c):
 *  - local_irq_save()'s compiler barrier keeps the walk after the mask;
 *    local_irq_restore()'s keeps it before the unmask.  Only this CPU's
 *    signal handler reads the mask, between two instructions.
 *  - The cross-CPU order is the IPI handshake: the writer's unlink happens
 *    before its release publication of the call (csd_publish); the target
 *    acquires it (csd_run) and acknowledges with a release store after the
 *    function and after the walk that delayed it; the writer acquires the
 *    acknowledgment (csd_idle) before it frees.
 */
#ifndef WALKLAB_BACKEND_IPI_H
#define WALKLAB_BACKEND_IPI_H

#include "smp.h"

struct wl_mm;

/* gup_fast()'s local_irq_save(); the cookie is the previous IRQ state. */
static __wl_always_inline unsigned long
lockless_page_walk_begin(struct wl_mm *mm)
{
	return local_irq_save();
}

static __wl_always_inline void lockless_page_walk_end(struct wl_mm *mm,
						      unsigned long cookie)
{
	local_irq_restore(cookie); /* takes the IPIs that waited for us */
}

#endif /* WALKLAB_BACKEND_IPI_H */
