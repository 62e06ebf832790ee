// SPDX-License-Identifier: MIT
/*
 * backend_stats.c - the statistics of the backend's write side
 * (backend.h): the core's count and timing of its calls into the backend,
 * and the counters every backend keeps.
 */
#include "backend.h"
#include "internal.h"
#include "util.h"

/* The core's calls into the backend (statistics: relaxed). */
static struct {
	_Atomic uint64_t sync_calls, sync_ns, sync_max_ns;
	_Atomic uint64_t free_calls, free_ns, free_max_ns;
	_Atomic uint64_t free_one_calls;
} calls;

static void stat_time(_Atomic uint64_t *sum, _Atomic uint64_t *max, uint64_t ns)
{
	uint64_t m = atomic_load_explicit(max, memory_order_relaxed);

	wl_stat_add(sum, ns);
	while (ns > m &&
	       !atomic_compare_exchange_weak_explicit(
		       max, &m, ns, memory_order_relaxed, memory_order_relaxed))
		;
}

void wl_backend_count_sync(uint64_t t0)
{
	wl_stat_add(&calls.sync_calls, 1);
	stat_time(&calls.sync_ns, &calls.sync_max_ns, wl_now_ns() - t0);
}

void wl_backend_count_free(uint64_t t0)
{
	wl_stat_add(&calls.free_calls, 1);
	stat_time(&calls.free_ns, &calls.free_max_ns, wl_now_ns() - t0);
}

void wl_backend_count_free_one(uint64_t t0)
{
	wl_stat_add(&calls.free_one_calls, 1);
	wl_backend_count_free(t0);
}

void wl_backend_counters_reset(struct wl_backend_counters *c)
{
	_Atomic uint64_t *f[] = {&calls.sync_calls,  &calls.sync_ns,
				 &calls.sync_max_ns, &calls.free_calls,
				 &calls.free_ns,     &calls.free_max_ns,
				 &c->ipis,	     &calls.free_one_calls};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		atomic_store_explicit(f[i], 0, memory_order_relaxed);
	wl_cpu_events_reset(WL_BACKEND_EVENTS);
	atomic_store_explicit(
		&wl_tables.deferred_peak,
		atomic_load_explicit(&wl_tables.deferred, memory_order_relaxed),
		memory_order_relaxed);
}

void wl_backend_counters_read(struct wl_backend_counters *c,
			      struct wl_backend_stats *st)
{
	*st = (struct wl_backend_stats){
		.sync_calls = READ_ONCE(calls.sync_calls),
		.sync_ns = READ_ONCE(calls.sync_ns),
		.sync_max_ns = READ_ONCE(calls.sync_max_ns),
		.free_calls = READ_ONCE(calls.free_calls),
		.free_ns = READ_ONCE(calls.free_ns),
		.free_max_ns = READ_ONCE(calls.free_max_ns),
		.free_one_calls = READ_ONCE(calls.free_one_calls),
		.ipis = READ_ONCE(c->ipis),
		.grace_periods = wl_cpu_event_total(WL_EV_GP_SYNC) +
				 wl_cpu_event_total(WL_EV_GP_CALL),
		.polls = wl_cpu_event_total(WL_EV_POLLS),
		.tables_deferred_now =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred), 0),
		.tables_deferred_peak =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred_peak), 0),
	};
}
