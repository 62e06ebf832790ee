// SPDX-License-Identifier: MIT
/*
 * mmu_gather.c - see mmu_gather.h.
 */
#include "mmu_gather.h"
#include "arch.h"
#include "backend.h"
#include "check.h"
#include "internal.h"
#include "ring.h"
#include "smp.h"
#include "util.h"

void wl_tlb_remove_table_free(struct wl_mm *mm, struct wl_table_batch *batch,
			      bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

	wl_backend.free_tables(mm, batch, flush_ipi_all);
	wl_backend_count_free(t0);
}

/*
 * The fallback's figures (mmu_gather.h): its count, the IPIs its caller
 * sent during it, by kind, and the sink of its waits.  Statistics:
 * relaxed, nothing is ordered by them.
 */
static struct {
	_Atomic uint64_t calls, ipis[WL_NR_IPI_KINDS];
	_Atomic(uint64_t *) buf;
	_Atomic uint64_t cap, n;
} fb;

void wl_fallback_stats(struct wl_fallback_stats *st)
{
	st->calls = atomic_load_explicit(&fb.calls, memory_order_relaxed);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		st->ipis[k] =
			atomic_load_explicit(&fb.ipis[k], memory_order_relaxed);
}

void wl_fallback_stats_reset(void)
{
	atomic_store_explicit(&fb.calls, 0, memory_order_relaxed);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		atomic_store_explicit(&fb.ipis[k], 0, memory_order_relaxed);
}

void wl_fallback_sample(uint64_t *buf, uint64_t cap)
{
	/* Set and read with no writer running: the run's start orders. */
	atomic_store_explicit(&fb.n, 0, memory_order_relaxed);
	atomic_store_explicit(&fb.cap, buf ? cap : 0, memory_order_relaxed);
	atomic_store_explicit(&fb.buf, buf, memory_order_relaxed);
}

uint64_t wl_fallback_samples(void)
{
	uint64_t n = atomic_load_explicit(&fb.n, memory_order_relaxed);

	return WL_MIN(n, atomic_load_explicit(&fb.cap, memory_order_relaxed));
}

static void fallback_count(const uint64_t *sent0, uint64_t wait_ns)
{
	uint64_t sent[WL_NR_IPI_KINDS], i;
	uint64_t *buf = atomic_load_explicit(&fb.buf, memory_order_relaxed);

	wl_ipi_sent_self(sent);
	wl_stat_add(&fb.calls, 1);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		wl_stat_add(&fb.ipis[k], sent[k] - sent0[k]);
	if (!buf)
		return;
	i = atomic_fetch_add_explicit(&fb.n, 1, memory_order_relaxed);
	if (i < atomic_load_explicit(&fb.cap, memory_order_relaxed))
		buf[i] = wait_ns;
}

void wl_tlb_remove_table_one(struct wl_mm *mm, uint32_t table,
			     bool flush_ipi_all)
{
	uint64_t t0 = wl_now_ns();

	/*
	 * The negative control of the fallback: free the one table with no
	 * wait at all, as if neither the sync IPI nor a grace period were
	 * needed once the TLB is flushed.  A walker still in it is caught.
	 */
	if (unlikely(wl_bugs.table_one_free_now))
		wl_table_release_one(table);
	else
		wl_backend.free_table_one(mm, table, flush_ipi_all);
	wl_backend_count_free_one(t0);
}

void wl_tlb_remove_table_sync_one(struct wl_mm *mm)
{
	uint64_t t0 = wl_now_ns();
	/* Whatever IPIs the backend sends for it are the sync's. */
	enum wl_ipi_kind kind = wl_ipi_kind_set(WL_IPI_SYNC);

	wl_backend.sync(mm);
	wl_trace(WL_TEV_SYNC, 0, WL_TABLE_NONE, 0);
	wl_ipi_kind_set(kind);
	wl_backend_count_sync(t0);
}

void tlb_gather_mmu(struct wl_mmu_gather *tlb, struct wl_mm *mm)
{
	tlb->mm = mm;
	tlb->start = UINT64_MAX;
	tlb->end = 0;
	tlb->freed_tables = false;
	tlb->batch = NULL;
	tlb->nr_pages = 0;
}

void tlb_flush_range(struct wl_mmu_gather *tlb, uint64_t start, uint64_t end)
{
	tlb->start = WL_MIN(tlb->start, start);
	tlb->end = WL_MAX(tlb->end, end);
}

/* tlb_flush_mmu_tlbonly(): returns whether the flush IPI'd every CPU. */
static bool tlb_flush_tlbonly(struct wl_mmu_gather *tlb)
{
	bool ipi_all;

	if (tlb->start >= tlb->end && !tlb->freed_tables)
		return false;
	wl_inject(WL_INJ_WRITER_UNLINK);
	ipi_all = flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end,
				     tlb->freed_tables);
	/* __tlb_reset_range() */
	tlb->start = UINT64_MAX;
	tlb->end = 0;
	tlb->freed_tables = false;
	return ipi_all;
}

static void tlb_table_flush(struct wl_mmu_gather *tlb, bool ipi_all)
{
	struct wl_table_batch *batch = tlb->batch;

	if (!batch)
		return;
	tlb->batch = NULL;
	wl_inject(WL_INJ_WRITER_FREE);
	wl_table_deferred_add(batch->nr);
	wl_tlb_remove_table_free(tlb->mm, batch, ipi_all);
}

static void tlb_batch_pages_flush(struct wl_mmu_gather *tlb)
{
	for (unsigned int i = 0; i < tlb->nr_pages; i++)
		folio_put_refs(tlb->pages[i].folio, tlb->pages[i].refs);
	tlb->nr_pages = 0;
}

void tlb_flush_mmu(struct wl_mmu_gather *tlb)
{
	bool ipi_all = tlb_flush_tlbonly(tlb);

	tlb_table_flush(tlb, ipi_all);
	tlb_batch_pages_flush(tlb);
}

void tlb_remove_folio(struct wl_mmu_gather *tlb, struct wl_page *folio,
		      int refs)
{
	if (tlb->nr_pages == WL_GATHER_PAGES)
		tlb_flush_mmu(tlb);
	tlb->pages[tlb->nr_pages].folio = folio;
	tlb->pages[tlb->nr_pages].refs = refs;
	tlb->nr_pages++;
}

void tlb_remove_table(struct wl_mmu_gather *tlb, uint32_t table)
{
	wl_trace(WL_TEV_DEFER, 0, table, 0);
	tlb->freed_tables = true;
	if (!tlb->batch) {
		tlb->batch = wl_table_batch_alloc();
		if (!tlb->batch) {
			/*
			 * tlb_remove_table_one(): no memory for a batch.
			 * Invalidate now (the table is already unlinked), then
			 * let the backend free this one table synchronously or
			 * by its own memory-free deferral.
			 */
			uint64_t sent0[WL_NR_IPI_KINDS], t0;
			bool ipi_all;

			wl_ipi_sent_self(sent0);
			ipi_all =
				flush_tlb_mm_range(tlb->mm, 0, TASK_SIZE, true);
			wl_inject(WL_INJ_WRITER_FREE);
			wl_table_deferred_add(1);
			t0 = wl_now_ns();
			wl_tlb_remove_table_one(tlb->mm, table, ipi_all);
			fallback_count(sent0, wl_now_ns() - t0);
			return;
		}
	}
	tlb->batch->tables[tlb->batch->nr++] = table;
	if (tlb->batch->nr == WL_MAX_TABLE_BATCH)
		tlb_flush_mmu(tlb);
}

void tlb_finish_mmu(struct wl_mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
}
