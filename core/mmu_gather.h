/* SPDX-License-Identifier: MIT */
/*
 * mmu_gather.h - batching of pages and page-table pages to free after a TLB
 * flush (mm/mmu_gather.c, include/asm-generic/tlb.h).
 *
 * Order, as in tlb_finish_mmu(): the entries are already cleared; flush the
 * TLB through the arch model; hand the gathered tables to the backend
 * (which waits, defers or piggy-backs on the flush); then put the pages.
 * When no table batch can be allocated (GFP_NOWAIT failed), one table is
 * flushed and passed to the backend's free_table_one() at once: the kernel's
 * tlb_remove_table_one(), the fallback that guarantees progress.
 */
#ifndef WALKLAB_MMU_GATHER_H
#define WALKLAB_MMU_GATHER_H

#include "mm.h"
#include "smp.h" /* WL_NR_IPI_KINDS */

#define WL_GATHER_PAGES 64

struct wl_mmu_gather {
	struct wl_mm *mm;
	uint64_t start, end; /* range to flush; start >= end: nothing */
	bool freed_tables;
	struct wl_table_batch *batch;
	unsigned int nr_pages;
	struct {
		struct wl_page *folio;
		int refs;
	} pages[WL_GATHER_PAGES];
};

void tlb_gather_mmu(struct wl_mmu_gather *tlb, struct wl_mm *mm);
void tlb_flush_range(struct wl_mmu_gather *tlb, uint64_t start, uint64_t end);
/* Drop refs on folio after the flush. */
void tlb_remove_folio(struct wl_mmu_gather *tlb, struct wl_page *folio,
		      int refs);
/* Free an unlinked table page after the flush, through the backend. */
void tlb_remove_table(struct wl_mmu_gather *tlb, uint32_t table);
void tlb_flush_mmu(struct wl_mmu_gather *tlb);
void tlb_finish_mmu(struct wl_mmu_gather *tlb);

/*
 * The core's only calls into the backend's write side, each counted and
 * timed into the sync_* or free_* fields of struct wl_backend_stats.
 *
 * wl_tlb_remove_table_free() - hand a batch of unlinked, flushed tables to
 * wl_backend.free_tables() (tlb_remove_table_free()).
 * wl_tlb_remove_table_one() - the same for one table, when no batch could
 * be allocated: wl_backend.free_table_one() (__tlb_remove_table_one()).
 * wl_tlb_remove_table_sync_one() - wl_backend.sync(): returns when every
 * walk section that began before the call has ended.
 *
 * The caller has added the tables to wl_table_deferred_add().
 */
void wl_tlb_remove_table_free(struct wl_mm *mm, struct wl_table_batch *batch,
			      bool flush_ipi_all);
void wl_tlb_remove_table_one(struct wl_mm *mm, uint32_t table,
			     bool flush_ipi_all);
void wl_tlb_remove_table_sync_one(struct wl_mm *mm);

/*
 * The single-table fallback's figures: how many ran, and the IPIs their
 * callers sent from the invalidating flush to the end of free_table_one(),
 * by kind (the caller's own sent counters, smp.h: exact, whatever the
 * other CPUs do; a grace period's FQS IPIs count when the caller runs
 * the grace period itself, as synchronize_rcu() does, and not when a
 * reclaimer thread does, as after call_rcu()).  wl_fallback_sample()
 * records each one's wait, the time in free_table_one() (the writer's
 * wait), into buf[0..cap) until it is called again (buf NULL: stop);
 * wl_fallback_samples() says how many buf holds.  Set them with no writer
 * running.
 */
struct wl_fallback_stats {
	uint64_t calls;
	uint64_t ipis[WL_NR_IPI_KINDS];
};
void wl_fallback_stats(struct wl_fallback_stats *st);
void wl_fallback_stats_reset(void);
void wl_fallback_sample(uint64_t *buf, uint64_t cap);
uint64_t wl_fallback_samples(void);

#endif /* WALKLAB_MMU_GATHER_H */
