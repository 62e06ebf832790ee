// SPDX-License-Identifier: MIT
/*
 * walkers.c - the torture's walker CPUs.
 *
 * Each loops: pick an mm and a range of 1..walk_max_pages pages, FOLL_GET
 * or FOLL_PIN, FOLL_WRITE half the time; GUP-fast, then the slow path for
 * the rest (counting how many pages the fast path took); check the
 * references while holding them (PIN_AFTER_NOPIN), hold them a random
 * while, check again, release; then a quiescent state for QSBR backends
 * and an IRQ-enable point (where poll-mode IPIs are taken).  In
 * --legacy-thp mode walkers are FOLL_GET and fast-path only.
 */
#include "arch.h"
#include "backend.h"
#include "gup.h"
#include "legacy_thp.h"
#include "machine.h"
#include "smp.h"
#include "ring.h"
#include "torture_internal.h"
#include "util.h"

static uint64_t region_pages(void)
{
	return (torture->c->region_mb << 20) >> PAGE_SHIFT;
}

static unsigned int walk_flags(enum wl_torture_foll foll, uint64_t r)
{
	unsigned int flags;

	switch (foll) {
	case WL_T_FOLL_GET:
		flags = FOLL_GET;
		break;
	case WL_T_FOLL_PIN:
		flags = FOLL_PIN;
		break;
	default:
		flags = (r >> 60) & 1 ? FOLL_PIN : FOLL_GET;
	}
	if ((r >> 61) & 1)
		flags |= FOLL_WRITE;
	return flags;
}

/* One walk; returns the pages it holds (in w->pages_buf). */
static unsigned long one_walk(struct twalker *w, struct wl_mm **mmp,
			      uint64_t *startp, unsigned int *flagsp)
{
	const struct wl_torture_config *c = torture->c;
	uint64_t r = wl_random();
	struct wl_mm *mm = &torture->mms[r % c->mms];
	uint64_t np = region_pages(), first = (r >> 8) % np;
	unsigned long n = 1 + (unsigned long)((r >> 32) % c->walk_max_pages);
	unsigned int flags = walk_flags(c->foll, r);
	unsigned long fast;
	long ret;

	if (first + n > np)
		n = (unsigned long)(np - first);
	*mmp = mm;
	*startp = REGION_BASE + (first << PAGE_SHIFT);
	*flagsp = flags;
	/* FOLL_FAST_ONLY stays out of *flagsp: release() needs GET or PIN. */
	ret = wl_gup_fast_fallback(mm, *startp, n,
				   flags | (c->fast_only ? FOLL_FAST_ONLY : 0),
				   w->pages_buf, &fast);
	CNT_ADD(w->fast_pages, fast);
	return ret > 0 ? (unsigned long)ret : 0;
}

static void release(unsigned long got, unsigned int flags,
		    struct wl_page **pages)
{
	if (wl_legacy_thp_enabled) {
		for (unsigned long i = 0; i < got; i++)
			wl_legacy_put_page(pages[i]);
	} else {
		wl_put_user_pages(pages, got, flags);
	}
}

/*
 * Between walks: a quiescent state, a point where IRQs are enabled, and
 * an injection point outside any walk section.  Without the last, every
 * delay or yield injected into a walker fell inside a section, so a
 * walker CPU off the host's PU always held its reader count, and a
 * writer that polls a per-CPU count (atomic_readers-percpu) saw zero only
 * in the few instructions between two walks: its free waited until the
 * walkers stopped at the end of the run.
 */
static void between_walks(void)
{
	if (wl_backend.quiescent)
		wl_backend.quiescent();
	local_irq_enable(); /* takes poll-mode IPIs */
	wl_inject(WL_INJ_WALK_GAP);
}

/* --check-cost: read-only walks, no holding, the same walks each phase. */
static void cost_phases(struct twalker *w, unsigned int idx)
{
	for (int p = 0; p < COST_PHASES; p++) {
		uint64_t walks = 0, t0, ev0;

		pthread_barrier_wait(&torture->cost_barrier);
		wl_random_seed(torture->c->seed * 1000 + idx);
		ev0 = wl_trace_count(w->cpu);
		t0 = wl_now_ns();
		while (w->up && !atomic_load_explicit(&torture->cost_stop,
						      memory_order_relaxed)) {
			struct wl_mm *mm;
			uint64_t start;
			unsigned int flags;
			unsigned long got = one_walk(w, &mm, &start, &flags);

			release(got, flags, w->pages_buf);
			between_walks();
			walks++;
		}
		w->cost_ns[p] = wl_now_ns() - t0;
		w->cost_walks[p] = walks;
		w->cost_events[p] = wl_trace_count(w->cpu) - ev0;
		pthread_barrier_wait(&torture->cost_barrier);
	}
}

static void check_held(struct twalker *w, unsigned long got, uint64_t start,
		       unsigned int flags)
{
	wl_check_held_pages(w->pages_buf, got, start);
	if (flags & FOLL_PIN)
		wl_check_held_pins(w->pages_buf, got, start);
}

/* One checked walk: publish it to the watchdog, hold, check, release. */
static void checked_walk(struct twalker *w)
{
	const struct wl_torture_config *c = torture->c;
	struct wl_mm *mm;
	uint64_t start;
	unsigned int flags;
	unsigned long got;

	atomic_store_explicit(&w->walk_since, wl_now_ns(),
			      memory_order_relaxed);
	got = one_walk(w, &mm, &start, &flags);
	atomic_store_explicit(&w->walk_since, 0, memory_order_relaxed);
	check_held(w, got, start, flags);
	if (c->hold_ns) {
		wl_delay_ns(wl_random() % c->hold_ns);
		check_held(w, got, start, flags);
	}
	release(got, flags, w->pages_buf);
	CNT_ADD(w->walks, 1);
	CNT_ADD(w->pages, got);
	between_walks();
}

/*
 * --spf on: fault a random page of a random mm in, speculatively first
 * (fault.h); writers' zaps and unmaps leave plenty without a PTE.
 */
static void spf_walk(struct twalker *w)
{
	const struct wl_torture_config *c = torture->c;
	uint64_t r = wl_random();
	struct wl_mm *mm = &torture->mms[r % c->mms];
	struct wl_fault_stats st = {0};

	atomic_store_explicit(&w->walk_since, wl_now_ns(),
			      memory_order_relaxed);
	wl_fault(mm, REGION_BASE + ((r >> 8) % region_pages() << PAGE_SHIFT),
		 (r >> 61) & 1, WL_FAULT_SPF, &st);
	atomic_store_explicit(&w->walk_since, 0, memory_order_relaxed);
	CNT_ADD(w->walks, 1);
	CNT_ADD(w->pages, st.faults);
	CNT_ADD(w->spf_faults, st.faults);
	CNT_ADD(w->spf_speculative, st.speculative);
	CNT_ADD(w->spf_attempts, st.attempts);
	for (int i = 0; i < WL_NR_FAULT_ABORTS; i++)
		CNT_ADD(w->spf_abort[i], st.abort[i]);
	between_walks();
}

/*
 * --lazy-tlb: this CPU ran the mm's task and is now lazy on the mm; its
 * hardware may walk any address's tables (core/arch.h).  After a flush IPI
 * made it leave, the task runs here again and it goes lazy again.
 */
static void lazy_walk(struct twalker *w)
{
	const struct wl_torture_config *c = torture->c;
	uint64_t r = wl_random();
	struct wl_mm *mm = &torture->mms[r % c->mms];

	wl_arch_lazy_enter();
	atomic_store_explicit(&w->walk_since, wl_now_ns(),
			      memory_order_relaxed);
	CNT_ADD(w->pages,
		wl_speculative_walk(mm, REGION_BASE + ((r >> 8) % region_pages()
						       << PAGE_SHIFT)));
	atomic_store_explicit(&w->walk_since, 0, memory_order_relaxed);
	CNT_ADD(w->walks, 1);
	local_irq_enable(); /* takes poll-mode IPIs */
}

void *torture_walker_main(void *arg)
{
	struct twalker *w = arg;
	const struct wl_torture_config *c = torture->c;
	unsigned int idx = (unsigned int)(w - torture->walkers);

	w->cpu = wl_cpu_start("walker");
	w->up = w->cpu >= 0;
	wl_random_seed(c->seed * 1000 + idx);
	if (c->check_cost) {
		cost_phases(w, idx);
		/* The summary counts the torture phase only. */
		atomic_store_explicit(&w->fast_pages, 0, memory_order_relaxed);
	}
	if (!w->up)
		return NULL;
	wl_random_seed(c->seed * 1000 + idx);
	while (!atomic_load_explicit(&torture->stop, memory_order_relaxed)) {
		if (c->lazy_tlb)
			lazy_walk(w);
		else if (c->spf)
			spf_walk(w);
		else
			checked_walk(w);
	}
	wl_cpu_stop();
	return NULL;
}
