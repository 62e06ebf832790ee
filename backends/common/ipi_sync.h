/* SPDX-License-Identifier: MIT */
/*
 * ipi_sync.h - the IPI-and-wait writer side, shared by the ipi backend and
 * by lockless_walk_helpers (its irqsave and today modes), which compiles
 * ipi_sync.c into its own objects.
 *
 * Stateless: each call returns the number of IPIs it sent, which the
 * calling backend adds to its own statistics.
 */
#ifndef WALKLAB_IPI_SYNC_H
#define WALKLAB_IPI_SYNC_H

#include "backend.h"

/*
 * ipi_sync_all() - tlb_remove_table_sync_one(): send an empty IPI to every
 * other online CPU and wait until each has run it.  Every IRQ-off section
 * that was running on another CPU when this was called has then ended.
 * Call with IRQs enabled, outside any walk section.  Orders: everything
 * before the call (the unlink) before the targets' later sections, and
 * the targets' sections before everything after (see core/smp.c).
 */
unsigned int ipi_sync_all(void);

/*
 * ipi_free_batch() / ipi_free_one() - free unlinked, flushed tables: at
 * once when flush_ipi_all (the flush already waited for every IRQ-off
 * walker), else after ipi_sync_all().  Consume the batch / the table.
 */
unsigned int ipi_free_batch(struct wl_table_batch *batch, bool flush_ipi_all);
unsigned int ipi_free_one(uint32_t table, bool flush_ipi_all);

#endif /* WALKLAB_IPI_SYNC_H */
