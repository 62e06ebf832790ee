// SPDX-License-Identifier: MIT
/*
 * measure_slowpath.c - the slowpath workload of `walklab-<id> measure`.
 *
 * Walkers whose pages keep being zapped fault them back with simulated
 * I/O, while a writer takes mmap_lock for write; with and without
 * FAULT_FLAG_ALLOW_RETRY (docs/kernel-protocol.md 5).
 */
#include "machine.h"
#include "measure_int.h"

#define SLOWPATH_REGION	   (4 << 20)
#define SLOWPATH_MAX_WAITS 4096

/* The writer: take mmap_lock for write every 0.5 ms, its waits in v[]. */
static uint64_t slowpath_writer(struct wl_mm *mm, uint64_t dur, uint64_t *v,
				uint64_t *nv)
{
	uint64_t t0 = wl_now_ns();

	*nv = 0;
	while (wl_now_ns() < t0 + dur && *nv < SLOWPATH_MAX_WAITS) {
		uint64_t s = wl_now_ns();

		mmap_write_lock(mm);
		v[(*nv)++] = wl_now_ns() - s;
		wl_delay_ns(5000);
		mmap_write_unlock(mm);
		measure_sleep_ns(500000);
	}
	return wl_now_ns() - t0;
}

static int slowpath_one(const struct wl_measure_ctx *c, bool allow_retry)
{
	uint64_t dur = (c->quick ? 150 : 300) * UINT64_C(1000000);
	uint64_t waits[SLOWPATH_MAX_WAITS], nw, elapsed;
	struct measure_pool p;
	struct wl_row r;
	struct wl_mm mm;
	int ret;

	ret = measure_pool_setup(
		&p, &mm, SLOWPATH_REGION,
		FOLL_GET | FOLL_WRITE | (allow_retry ? FOLL_UNLOCKABLE : 0), 1);
	if (ret)
		return ret;
	atomic_store(&wl_fault_io_ns, 50000); /* 50 us per fault */
	p.zap_first = true;
	measure_pool_start(&p);
	elapsed = slowpath_writer(&mm, dur, waits, &nw);
	measure_pool_stop(&p);
	atomic_store(&wl_fault_io_ns, 0);

	wl_row_init(&r, "slowpath", "mmap_lock_write_wait_ns", "ns");
	r.cpus = 1;
	r.allow_retry = allow_retry;
	r.walk_pages = MEASURE_WALK_PAGES;
	measure_emit_samples(c, &r, waits, nw);
	measure_row_metric(&r, "walks_per_s", "1/s");
	measure_emit_value(c, &r, (double)p.walks * 1e9 / (double)elapsed,
			   p.walks);
	wl_mm_destroy(&mm);
	return 0;
}

int wl_measure_slowpath(const struct wl_measure_ctx *c)
{
	int ret = slowpath_one(c, false);

	return ret ? ret : slowpath_one(c, true);
}
