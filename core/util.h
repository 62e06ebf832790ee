/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers shared by the core: time and a latency histogram.
 */
#ifndef WALKLAB_UTIL_H
#define WALKLAB_UTIL_H

#include "compiler.h"

/* Monotonic nanoseconds (CLOCK_MONOTONIC); async-signal-safe. */
uint64_t wl_now_ns(void);
/* Busy-wait for ns (used for modelled costs such as a hypercall). */
void wl_delay_ns(uint64_t ns);

/*
 * struct wl_hist - a lock-free log2 histogram of nanosecond latencies.
 *
 * Bucket 0 holds 0 and 1; bucket i > 0 holds [2^i, 2^(i+1)).  Adding is a
 * few relaxed atomic adds (plus a compare-and-swap when a new min or max is
 * seen), so many threads may add at once; readers see each field
 * atomically but not the whole histogram as one snapshot, which is fine for
 * reports taken after or during a run.  A zero-initialized histogram is
 * empty and valid: min is stored complemented so that zero means "none".
 */
#define WL_HIST_BUCKETS 64

struct wl_hist {
	_Atomic uint64_t bucket[WL_HIST_BUCKETS];
	_Atomic uint64_t count;
	_Atomic uint64_t sum;
	_Atomic uint64_t min_inv; /* ~min, so that 0 means empty */
	_Atomic uint64_t max;
};

void wl_hist_reset(struct wl_hist *h);
void wl_hist_add(struct wl_hist *h, uint64_t v);
/* dst += src (dst may be in use by adders too). */
void wl_hist_merge(struct wl_hist *dst, const struct wl_hist *src);
uint64_t wl_hist_count(const struct wl_hist *h);
uint64_t wl_hist_min(const struct wl_hist *h); /* 0 when empty */
uint64_t wl_hist_max(const struct wl_hist *h);
uint64_t wl_hist_mean(const struct wl_hist *h);
/*
 * The pct-th percentile (0 <= pct <= 100), interpolated linearly inside its
 * log2 bucket and clamped to [min, max]: exact for min and max, within a
 * factor of two otherwise.  0 when empty.
 */
uint64_t wl_hist_percentile(const struct wl_hist *h, double pct);

#endif /* WALKLAB_UTIL_H */
