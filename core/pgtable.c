// SPDX-License-Identifier: MIT
/*
 * pgtable.c - the table-page allocator and table batches.
 *
 * Freed table pages go back LIFO, so the next allocation reuses the page
 * that was just freed: a walker still inside a freed table then reads the
 * entries of somebody else's table, as it would in the kernel.  Before it
 * goes back, a page is filled with POISON and its generation becomes odd.
 */
#include "pgtable.h"
#include "check.h"
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wl_table_pool wl_tables;

_Atomic uint32_t wl_batch_alloc_fail_prob;

int wl_table_pool_init(uint32_t nr_tables)
{
	struct wl_table_pool *p = &wl_tables;

	memset(p, 0, sizeof(*p));
	p->tables = aligned_alloc(4096, (size_t)nr_tables * sizeof(*p->tables));
	p->desc = calloc(nr_tables, sizeof(*p->desc));
	if (!p->tables || !p->desc) {
		free(p->tables);
		free(p->desc);
		return -ENOMEM;
	}
	p->nr = nr_tables;
	pthread_mutex_init(&p->lock, NULL);
	/* Build the free list so that index 0 is handed out first. */
	p->free_head = WL_TABLE_NONE;
	for (uint32_t i = nr_tables; i-- > 0;) {
		for (unsigned int j = 0; j < PTRS_PER_TABLE; j++)
			atomic_init(&p->tables[i].e[j], WL_POISON);
		atomic_init(&p->desc[i].gen, 1);
		p->desc[i].next_free = p->free_head;
		p->free_head = i;
	}
	p->nr_free = nr_tables;
	return 0;
}

void wl_table_pool_fini(void)
{
	free(wl_tables.tables);
	free(wl_tables.desc);
	pthread_mutex_destroy(&wl_tables.lock);
	memset(&wl_tables, 0, sizeof(wl_tables));
}

uint32_t wl_table_alloc(enum wl_level level)
{
	struct wl_table_pool *p = &wl_tables;
	uint32_t idx;

	pthread_mutex_lock(&p->lock);
	idx = p->free_head;
	if (idx != WL_TABLE_NONE) {
		p->free_head = p->desc[idx].next_free;
		p->nr_free--;
	}
	pthread_mutex_unlock(&p->lock);
	if (idx == WL_TABLE_NONE)
		return idx;

	struct wl_ptdesc *d = &p->desc[idx];

	d->level = (uint8_t)level;
	d->deposit = WL_TABLE_NONE;
	/*
	 * d->ptl is not reset: the pool outlives every table (memory.c's
	 * zap_pte_range()), so a thread that read the old PMD entry may
	 * still take or hold this lock for its recheck; resetting it would
	 * let two threads into the new table's critical section.  The
	 * kernel needs no such care: rcu_read_lock() in pte_offset_map_lock()
	 * keeps the table from being freed under the recheck.
	 */
	/* Published with the table by the PMD's release store (set_entry). */
	atomic_store_explicit(&d->pt_refcount, 1, memory_order_relaxed);
	for (unsigned int j = 0; j < PTRS_PER_TABLE; j++)
		WRITE_ONCE(p->tables[idx].e[j], 0);
	/*
	 * write_seqcount_end(): smp_wmb() orders the zeroing before the even
	 * generation; pairs with the smp_rmb() in wl_table_gen_begin(). The
	 * section began at the free (wl_table_free()).
	 */
	smp_wmb();
	atomic_fetch_add_explicit(&d->gen, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->allocs, 1, memory_order_relaxed);
	wl_trace(WL_TEV_ALLOC, 0, idx, level);
	return idx;
}

void wl_table_free(uint32_t idx)
{
	struct wl_table_pool *p = &wl_tables;
	struct wl_ptdesc *d = &p->desc[idx];

	wl_check_table_empty(idx, "freed");
	/*
	 * write_seqcount_begin(): the generation becomes odd, then smp_wmb()
	 * orders it before the poison stores; pairs with the smp_rmb() in
	 * wl_table_gen_retry(): a walker that read the poison (or anything
	 * written after it) rereads an odd or newer generation.  A single
	 * writer per table (its owner), so a relaxed increment suffices.
	 */
	atomic_fetch_add_explicit(&d->gen, 1, memory_order_relaxed);
	smp_wmb();
	wl_trace(WL_TEV_FREE, 0, idx, 0);
	for (unsigned int j = 0; j < PTRS_PER_TABLE; j++)
		WRITE_ONCE(p->tables[idx].e[j], WL_POISON);
	pthread_mutex_lock(&p->lock);
	d->next_free = p->free_head;
	p->free_head = idx;
	p->nr_free++;
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_add_explicit(&p->frees, 1, memory_order_relaxed);
}

void wl_table_deferred_add(int64_t n)
{
	int64_t now = atomic_fetch_add_explicit(&wl_tables.deferred, n,
						memory_order_relaxed) +
		      n;
	int64_t peak = atomic_load_explicit(&wl_tables.deferred_peak,
					    memory_order_relaxed);

	while (now > peak &&
	       !atomic_compare_exchange_weak_explicit(
		       &wl_tables.deferred_peak, &peak, now,
		       memory_order_relaxed, memory_order_relaxed))
		;
}

struct wl_table_batch *wl_table_batch_alloc(void)
{
	uint32_t prob = atomic_load_explicit(&wl_batch_alloc_fail_prob,
					     memory_order_relaxed);

	/* GFP_NOWAIT may fail: the caller must fall back and progress. */
	if (prob && (wl_random() & 0xffff) < prob)
		return NULL;
	struct wl_table_batch *b = malloc(sizeof(*b));

	if (b)
		b->nr = 0;
	return b;
}

void wl_table_batch_release(struct wl_table_batch *batch)
{
	for (unsigned int i = 0; i < batch->nr; i++)
		wl_table_free(batch->tables[i]);
	wl_table_deferred_add(-(int64_t)batch->nr);
	free(batch);
}

void wl_table_release_one(uint32_t idx)
{
	wl_table_free(idx);
	wl_table_deferred_add(-1);
}

void wl_table_reuse(uint32_t idx)
{
	wl_check_table_empty(idx, "reused");
	/*
	 * A free and an allocation in one (stays even): the caller refills
	 * the table after this.  smp_wmb() orders the bump before those
	 * stores; pairs with the smp_rmb() in wl_table_gen_retry() as in
	 * wl_table_free().  No odd phase is needed: nothing links the table
	 * until the caller publishes it with a release store (set_entry()).
	 */
	atomic_fetch_add_explicit(&wl_tables.desc[idx].gen, 2,
				  memory_order_relaxed);
	smp_wmb();
	wl_trace(WL_TEV_REUSE, 0, idx, 0);
}
