// SPDX-License-Identifier: MIT
/*
 * page.c - the frame allocator.
 *
 * Three free lists (4 KiB, 2 MiB, 1 GiB), LIFO so that a freed frame is the
 * next one handed out (a race must be able to land on a reused frame).  A
 * larger block is split on demand.  A 2 MiB block is coalesced again only
 * when a 2 MiB allocation finds no block and all 512 of its frames are
 * free (coalesce_pmd_blocks()): enough for a simulation that allocates its
 * huge folios early, and for the pre-4.5 THP model, whose splits turn
 * 2 MiB folios into 4 KiB pages for as long as the torture runs.
 */
#include "page.h"
#include "check.h"
#include "pgtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wl_page_pool wl_pages;

static const unsigned int orders[3] = {0, HPAGE_PMD_ORDER, HPAGE_PUD_ORDER};

static int order_slot(unsigned int order)
{
	for (int i = 0; i < 3; i++)
		if (orders[i] == order)
			return i;
	return -1;
}

/* Under lock. */
static void push_free(int slot, uint32_t pfn)
{
	wl_pages.pages[pfn].next_free = wl_pages.free_head[slot];
	wl_pages.free_head[slot] = pfn;
	wl_pages.nr_free[slot]++;
}

static uint32_t pop_free(int slot)
{
	uint32_t pfn = wl_pages.free_head[slot];

	if (pfn != UINT32_MAX) {
		wl_pages.free_head[slot] = wl_pages.pages[pfn].next_free;
		wl_pages.nr_free[slot]--;
		return pfn;
	}
	if (slot == 2)
		return UINT32_MAX;
	/* Split one block of the next order, keep the first piece. */
	pfn = pop_free(slot + 1);
	if (pfn == UINT32_MAX)
		return pfn;
	uint32_t step = 1u << orders[slot];
	uint32_t n = 1u << (orders[slot + 1] - orders[slot]);

	for (uint32_t i = n; i-- > 1;)
		push_free(slot, pfn + i * step);
	return pfn;
}

/*
 * Move every 2 MiB block whose frames are all on the 4 KiB free list back
 * to the 2 MiB list, keeping the order of the rest.  Under lock; returns
 * whether any moved.  O(free 4 KiB frames), and only when a 2 MiB
 * allocation would otherwise fail.
 */
static bool coalesce_pmd_blocks(void)
{
	uint32_t nr_blocks = (uint32_t)(wl_pages.nr >> HPAGE_PMD_ORDER);
	uint16_t *nfree = calloc(nr_blocks, sizeof(*nfree));
	uint32_t pfn, *link = &wl_pages.free_head[0];
	bool moved = false;

	if (!nfree)
		return false;
	for (pfn = wl_pages.free_head[0]; pfn != UINT32_MAX;
	     pfn = wl_pages.pages[pfn].next_free)
		nfree[pfn >> HPAGE_PMD_ORDER]++;
	while ((pfn = *link) != UINT32_MAX) {
		if (nfree[pfn >> HPAGE_PMD_ORDER] == HPAGE_PMD_NR) {
			*link = wl_pages.pages[pfn].next_free;
			wl_pages.nr_free[0]--;
		} else {
			link = &wl_pages.pages[pfn].next_free;
		}
	}
	for (uint32_t b = 0; b < nr_blocks; b++) {
		if (nfree[b] != HPAGE_PMD_NR)
			continue;
		push_free(1, b << HPAGE_PMD_ORDER);
		moved = true;
	}
	free(nfree);
	return moved;
}

int wl_page_pool_init(uint64_t nr_frames)
{
	struct wl_page_pool *p = &wl_pages;

	if (nr_frames < HPAGE_PMD_NR || nr_frames > UINT32_MAX / 2)
		return -EINVAL;
	nr_frames &= ~(uint64_t)(HPAGE_PMD_NR - 1);
	memset(p, 0, sizeof(*p));
	p->pages = calloc(nr_frames, sizeof(*p->pages));
	if (!p->pages)
		return -ENOMEM;
	p->nr = nr_frames;
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < 3; i++)
		p->free_head[i] = UINT32_MAX;
	for (uint64_t pfn = 0; pfn < nr_frames; pfn++) {
		atomic_init(&p->pages[pfn].head, (uint32_t)pfn);
		atomic_init(&p->pages[pfn].mapped_addr, WL_NOT_MAPPED);
	}
	/* Whole 1 GiB blocks first, the rest as 2 MiB blocks; LIFO order. */
	uint64_t pud_nr = UINT64_C(1) << HPAGE_PUD_ORDER;
	uint64_t nr_pud = nr_frames / pud_nr;

	for (uint64_t pfn = nr_frames; pfn > nr_pud * pud_nr;)
		push_free(1, (uint32_t)(pfn -= HPAGE_PMD_NR));
	for (uint64_t i = nr_pud; i-- > 0;)
		push_free(2, (uint32_t)(i * pud_nr));
	return 0;
}

void wl_page_pool_fini(void)
{
	free(wl_pages.pages);
	pthread_mutex_destroy(&wl_pages.lock);
	memset(&wl_pages, 0, sizeof(wl_pages));
}

struct wl_page *wl_folio_alloc(unsigned int order)
{
	int slot = order_slot(order);
	uint32_t pfn;

	if (slot < 0)
		return NULL;
	pthread_mutex_lock(&wl_pages.lock);
	pfn = pop_free(slot);
	if (pfn == UINT32_MAX && slot == 1 && coalesce_pmd_blocks())
		pfn = pop_free(slot);
	pthread_mutex_unlock(&wl_pages.lock);
	if (pfn == UINT32_MAX)
		return NULL;

	struct wl_page *f = pfn_to_page(pfn);
	uint64_t n = UINT64_C(1) << order;

	f->order = (uint8_t)order;
	atomic_store_explicit(&f->flags, order ? PG_head : 0,
			      memory_order_relaxed);
	for (uint64_t i = 1; i < n; i++) {
		WRITE_ONCE(f[i].head, pfn);
		atomic_store_explicit(&f[i].flags, PG_tail,
				      memory_order_relaxed);
	}
	WRITE_ONCE(f->pincount, 0);
	WRITE_ONCE(f->data, 0);
	WRITE_ONCE(f->mapped_addr, WL_NOT_MAPPED);
	/*
	 * Release: the folio's fields above are initialised before anyone
	 * can take a reference (pairs with the seq_cst add-unless-zero).
	 */
	atomic_store_explicit(&f->refcount, 1, memory_order_release);
	atomic_fetch_add_explicit(&wl_pages.allocs, 1, memory_order_relaxed);
	return f;
}

static void free_folio(struct wl_page *f)
{
	uint64_t n = folio_nr_pages(f);
	int slot = order_slot(f->order);

	if (READ_ONCE(f->pincount))
		wl_violation(WL_V_REF_IMBALANCE,
			     "folio pfn %llu freed with pincount %d",
			     (unsigned long long)page_to_pfn(f),
			     READ_ONCE(f->pincount));
	WRITE_ONCE(f->mapped_addr, WL_NOT_MAPPED);
	for (uint64_t i = 1; i < n; i++) {
		WRITE_ONCE(f[i].head, (uint32_t)(page_to_pfn(f) + i));
		atomic_store_explicit(&f[i].flags, 0, memory_order_relaxed);
	}
	atomic_store_explicit(&f->flags, 0, memory_order_relaxed);
	f->order = 0;
	pthread_mutex_lock(&wl_pages.lock);
	push_free(slot, (uint32_t)page_to_pfn(f));
	pthread_mutex_unlock(&wl_pages.lock);
	atomic_fetch_add_explicit(&wl_pages.frees, 1, memory_order_relaxed);
}

void folio_put_refs(struct wl_page *f, int refs)
{
	/*
	 * acq_rel: orders our accesses to the folio before the free, and
	 * pairs with every other holder's decrement, so that the freer
	 * (whoever drops the last reference) sees everybody's.
	 */
	int old = atomic_fetch_sub_explicit(&f->refcount, refs,
					    memory_order_acq_rel);

	if (unlikely(old < refs)) {
		wl_violation(WL_V_REF_IMBALANCE,
			     "refcount underflow on pfn %llu: %d - %d",
			     (unsigned long long)page_to_pfn(f), old, refs);
		return;
	}
	if (old == refs)
		free_folio(f);
}

void wl_page_pool_balance(struct wl_page_balance *b)
{
	memset(b, 0, sizeof(*b));
	/* Statistics, read at teardown after every CPU has stopped. */
	b->in_use =
		atomic_load_explicit(&wl_pages.allocs, memory_order_relaxed) -
		atomic_load_explicit(&wl_pages.frees, memory_order_relaxed);
	for (uint64_t pfn = 0; pfn < wl_pages.nr; pfn++) {
		struct wl_page *p = &wl_pages.pages[pfn];

		if (atomic_load_explicit(&p->flags, memory_order_relaxed) &
		    PG_tail)
			continue;
		if (READ_ONCE(p->pincount))
			b->bad_pincount++;
	}
	/* Free frames: every frame on a free list must have refcount 0. */
	pthread_mutex_lock(&wl_pages.lock);
	for (int s = 0; s < 3; s++)
		for (uint32_t pfn = wl_pages.free_head[s]; pfn != UINT32_MAX;
		     pfn = wl_pages.pages[pfn].next_free)
			if (READ_ONCE(wl_pages.pages[pfn].refcount))
				b->bad_refcount++;
	pthread_mutex_unlock(&wl_pages.lock);
}
