// SPDX-License-Identifier: MIT
/*
 * measure_pool.c - the measuring thread's quiescent states and sleeps, and
 * a pool of CPUs that walk a region MEASURE_WALK_PAGES at a time (GUP-fast, then the
 * slow path for what it leaves) until stopped, for the writer-side
 * workloads to measure against.
 */
#include "backend.h"
#include "check.h"
#include "measure_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void measure_qs(void)
{
	if (wl_backend.quiescent)
		wl_backend.quiescent();
}

void measure_sleep_ns(uint64_t ns)
{
	measure_qs();
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000),
			      .tv_nsec = (long)(ns % 1000000000)};

	nanosleep(&ts, NULL);
}

static void *pool_walker(void *arg)
{
	struct measure_pool *p = arg;
	uint64_t walks = 0, pages_done = 0, fast = 0;
	uint64_t slots = p->len / (p->pages << PAGE_SHIFT);
	struct wl_page **pages = calloc(p->pages, sizeof(*pages));
	bool up = wl_cpu_start("walker") >= 0;

	if (!up || !pages)
		p->err = -ENOMEM;
	wl_random_seed(wl_check_seed + (uint64_t)smp_processor_id() * 7919);
	/* Release: our start happens before the waiter's acquire load. */
	atomic_fetch_add_explicit(&p->started, 1, memory_order_release);
	while (up && pages &&
	       !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		uint64_t a = p->base +
			     (wl_random() % slots) * (p->pages << PAGE_SHIFT);
		unsigned long got, nr_fast;

		if (p->zap_first)
			wl_madvise_dontneed(p->mm, a, p->pages << PAGE_SHIFT,
					    false);
		long ret = wl_gup_fast_fallback(p->mm, a, p->pages, p->flags,
						pages, &nr_fast);

		got = ret > 0 ? (unsigned long)ret : 0;
		fast += nr_fast;
		wl_put_user_pages(pages, got, p->flags);
		pages_done += got;
		if (p->idle_ns)
			measure_sleep_ns(p->idle_ns); /* an IPI ends it */
		if (!(++walks % 64)) {
			atomic_fetch_add_explicit(&p->live_walks, 64,
						  memory_order_relaxed);
			measure_qs();
		}
	}
	/* Seq-cst adds, read after pthread_join() (which orders them). */
	atomic_fetch_add(&p->walks, walks);
	atomic_fetch_add(&p->pages_done, pages_done);
	atomic_fetch_add(&p->fast_pages, fast);
	free(pages);
	if (up)
		wl_cpu_stop();
	return NULL;
}

int measure_region(struct wl_mm *mm, uint64_t base, uint64_t len,
		   unsigned int flags)
{
	int ret = wl_mmap(mm, base, len, flags);

	return ret ? ret : wl_populate(mm, base, len);
}

int measure_pool_setup(struct measure_pool *p, struct wl_mm *mm, uint64_t len,
		       unsigned int flags, unsigned int nr)
{
	int ret = wl_mm_init(mm);

	if (ret)
		return ret;
	ret = measure_region(mm, MEASURE_BASE, len, VM_READ | VM_WRITE);
	if (ret) {
		wl_mm_destroy(mm);
		return ret;
	}
	memset(p, 0, sizeof(*p));
	p->mm = mm;
	p->base = MEASURE_BASE;
	p->len = len;
	p->pages = MEASURE_WALK_PAGES;
	p->flags = flags;
	p->nr = nr;
	return 0;
}

void measure_pool_start(struct measure_pool *p)
{
	pthread_attr_t attr;

	/* Seq-cst resets, ordered for the walkers by pthread_create(). */
	atomic_store(&p->stop, false);
	atomic_store(&p->started, 0);
	atomic_store(&p->walks, 0);
	atomic_store(&p->pages_done, 0);
	atomic_store(&p->fast_pages, 0);
	wl_cpu_thread_attr(&attr);
	for (unsigned int i = 0; i < p->nr; i++)
		pthread_create(&p->thread[i], &attr, pool_walker, p);
	pthread_attr_destroy(&attr);
	/* Acquire: pairs with each walker's release increment. */
	while (atomic_load_explicit(&p->started, memory_order_acquire) < p->nr)
		measure_sleep_ns(100000);
}

void measure_pool_stop(struct measure_pool *p)
{
	atomic_store_explicit(&p->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < p->nr; i++)
		pthread_join(p->thread[i], NULL);
}
