// SPDX-License-Identifier: MIT
/*
 * backend_stats.c - the statistics every backend keeps (backend.h).
 */
#include "backend.h"
#include "util.h"

#include <string.h>

void wl_backend_counters_reset(struct wl_backend_counters *c)
{
	_Atomic uint64_t *f[] = {&c->sync_calls, &c->sync_ns, &c->sync_max_ns,
				 &c->free_calls, &c->free_ns, &c->free_max_ns,
				 &c->ipis,	 &c->polls};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		atomic_store_explicit(f[i], 0, memory_order_relaxed);
	atomic_store_explicit(
		&wl_tables.deferred_peak,
		atomic_load_explicit(&wl_tables.deferred, memory_order_relaxed),
		memory_order_relaxed);
}

void wl_backend_counters_read(struct wl_backend_counters *c,
			      struct wl_backend_stats *st)
{
	*st = (struct wl_backend_stats){
		.sync_calls = READ_ONCE(c->sync_calls),
		.sync_ns = READ_ONCE(c->sync_ns),
		.sync_max_ns = READ_ONCE(c->sync_max_ns),
		.free_calls = READ_ONCE(c->free_calls),
		.free_ns = READ_ONCE(c->free_ns),
		.free_max_ns = READ_ONCE(c->free_max_ns),
		.ipis = READ_ONCE(c->ipis),
		.polls = READ_ONCE(c->polls),
		.tables_deferred_now =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred), 0),
		.tables_deferred_peak =
			(uint64_t)WL_MAX(READ_ONCE(wl_tables.deferred_peak), 0),
	};
}

void wl_backend_count_sync(struct wl_backend_counters *c, uint64_t t0)
{
	wl_stat_add(&c->sync_calls, 1);
	wl_stat_time(&c->sync_ns, &c->sync_max_ns, wl_now_ns() - t0);
}

void wl_backend_count_free(struct wl_backend_counters *c, uint64_t t0)
{
	wl_stat_add(&c->free_calls, 1);
	wl_stat_time(&c->free_ns, &c->free_max_ns, wl_now_ns() - t0);
}
