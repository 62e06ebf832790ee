// SPDX-License-Identifier: MIT
/*
 * util.c - time and the log2 latency histogram.
 */
#include "util.h"

#include <time.h>

uint64_t wl_now_ns(void)
{
	struct timespec ts;

	/* The vDSO call; async-signal-safe (POSIX lists clock_gettime). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void wl_delay_ns(uint64_t ns)
{
	uint64_t end;

	if (!ns)
		return;
	end = wl_now_ns() + ns;
	while (wl_now_ns() < end)
		cpu_relax();
}

static unsigned int hist_bucket(uint64_t v)
{
	return v < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(v);
}

/* All histogram fields are statistics: relaxed, nothing is ordered. */
static void atomic_max_u64(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(p, memory_order_relaxed);

	while (v > cur &&
	       !atomic_compare_exchange_weak_explicit(
		       p, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}

void wl_hist_reset(struct wl_hist *h)
{
	unsigned int i;

	for (i = 0; i < WL_HIST_BUCKETS; i++)
		atomic_store_explicit(&h->bucket[i], 0, memory_order_relaxed);
	atomic_store_explicit(&h->count, 0, memory_order_relaxed);
	atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
	atomic_store_explicit(&h->min_inv, 0, memory_order_relaxed);
	atomic_store_explicit(&h->max, 0, memory_order_relaxed);
}

void wl_hist_add(struct wl_hist *h, uint64_t v)
{
	atomic_fetch_add_explicit(&h->bucket[hist_bucket(v)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
	atomic_max_u64(&h->min_inv, ~v);
	atomic_max_u64(&h->max, v);
}

void wl_hist_merge(struct wl_hist *dst, const struct wl_hist *src)
{
	unsigned int i;
	uint64_t n;

	for (i = 0; i < WL_HIST_BUCKETS; i++) {
		n = atomic_load_explicit(&src->bucket[i], memory_order_relaxed);
		if (n)
			atomic_fetch_add_explicit(&dst->bucket[i], n,
						  memory_order_relaxed);
	}
	atomic_fetch_add_explicit(
		&dst->count,
		atomic_load_explicit(&src->count, memory_order_relaxed),
		memory_order_relaxed);
	atomic_fetch_add_explicit(
		&dst->sum,
		atomic_load_explicit(&src->sum, memory_order_relaxed),
		memory_order_relaxed);
	atomic_max_u64(
		&dst->min_inv,
		atomic_load_explicit(&src->min_inv, memory_order_relaxed));
	atomic_max_u64(&dst->max,
		       atomic_load_explicit(&src->max, memory_order_relaxed));
}

uint64_t wl_hist_count(const struct wl_hist *h)
{
	return atomic_load_explicit(&h->count, memory_order_relaxed);
}

uint64_t wl_hist_min(const struct wl_hist *h)
{
	uint64_t inv = atomic_load_explicit(&h->min_inv, memory_order_relaxed);

	return inv ? ~inv : 0;
}

uint64_t wl_hist_max(const struct wl_hist *h)
{
	return atomic_load_explicit(&h->max, memory_order_relaxed);
}

uint64_t wl_hist_mean(const struct wl_hist *h)
{
	uint64_t n = wl_hist_count(h);

	return n ? atomic_load_explicit(&h->sum, memory_order_relaxed) / n : 0;
}

uint64_t wl_hist_percentile(const struct wl_hist *h, double pct)
{
	uint64_t counts[WL_HIST_BUCKETS], total = 0, rank, seen = 0;
	uint64_t lo, hi, v, vmin, vmax;
	unsigned int i;

	/* Rank against the buckets read, not count: adders may be running. */
	for (i = 0; i < WL_HIST_BUCKETS; i++) {
		counts[i] = atomic_load_explicit(&h->bucket[i],
						 memory_order_relaxed);
		total += counts[i];
	}
	if (!total)
		return 0;
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	rank = (uint64_t)(pct / 100.0 * (double)total + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;

	vmin = wl_hist_min(h);
	vmax = wl_hist_max(h);
	if (rank == 1 && pct == 0)
		return vmin;
	if (rank == total && pct == 100)
		return vmax;
	for (i = 0; i < WL_HIST_BUCKETS; i++) {
		if (seen + counts[i] >= rank)
			break;
		seen += counts[i];
	}
	if (i == WL_HIST_BUCKETS) /* torn read; cannot happen with total */
		return vmax;
	lo = i ? UINT64_C(1) << i : 0;
	hi = i == 63 ? UINT64_MAX : (UINT64_C(1) << (i + 1)) - 1;
	/* Linear interpolation by rank within the bucket. */
	v = lo + (uint64_t)((double)(hi - lo) * (double)(rank - seen) /
			    (double)counts[i]);
	if (v < vmin)
		v = vmin;
	if (vmax && v > vmax)
		v = vmax;
	return v;
}
