// SPDX-License-Identifier: MIT
/*
 * machine.c - see machine.h.
 */
#include "machine.h"
#include "backend.h"
#include "check.h"
#include "page.h"
#include "pgtable.h"
#include "sb.h"

#include <stdio.h>
#include <string.h>

void wl_machine_config_default(struct wl_machine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_frames = UINT64_C(1) << 19; /* 2 GiB simulated */
	cfg->nr_tables = 1u << 14;	    /* 64 MiB of table pages */
	wl_smp_config_default(&cfg->smp);
	wl_arch_config_default(&cfg->arch, WL_ARCH_IPI);
}

int wl_machine_init(const struct wl_machine_config *cfg)
{
	int ret;

	ret = wl_page_pool_init(cfg->nr_frames);
	if (ret) {
		fprintf(stderr, "walklab: cannot allocate %llu frames\n",
			(unsigned long long)cfg->nr_frames);
		return ret;
	}
	ret = wl_table_pool_init(cfg->nr_tables);
	if (ret) {
		fprintf(stderr, "walklab: cannot allocate %u tables\n",
			cfg->nr_tables);
		goto out_pages;
	}
	ret = wl_smp_init(&cfg->smp);
	if (ret)
		goto out_tables;
	ret = wl_arch_init(&cfg->arch);
	if (ret)
		goto out_smp;
	ret = wl_backend.init();
	if (ret) {
		fprintf(stderr, "walklab: backend %s: init failed (%d)\n",
			wl_backend.name, ret);
		goto out_smp;
	}
	return 0;
out_smp:
	wl_smp_fini();
out_tables:
	wl_table_pool_fini();
out_pages:
	wl_page_pool_fini();
	return ret;
}

uint64_t wl_machine_check_balance(void)
{
	struct wl_page_balance b;
	uint64_t bad = 0;
	uint64_t t0 = wl_now_ns();

	/*
	 * Deferring backends free after a grace period, on their own thread:
	 * wait (bounded) until every table handed to the backend is freed.
	 * A count still above zero after that is reported below as tables
	 * not back in the pool.
	 */
	wl_cpu_block_begin(); /* sleeping: a QSBR caller goes offline */
	while (atomic_load_explicit(&wl_tables.deferred, memory_order_relaxed) >
		       0 &&
	       wl_now_ns() - t0 < UINT64_C(5000000000))
		wl_sleep_ns(1000000);
	wl_cpu_block_end();

	wl_page_pool_balance(&b);
	if (b.in_use) {
		wl_violation(WL_V_REF_IMBALANCE,
			     "%llu folios still allocated at teardown",
			     (unsigned long long)b.in_use);
		bad++;
	}
	if (b.bad_refcount || b.bad_pincount) {
		wl_violation(WL_V_REF_IMBALANCE,
			     "free frames with refcount (%llu) or pincount "
			     "(%llu) not zero",
			     (unsigned long long)b.bad_refcount,
			     (unsigned long long)b.bad_pincount);
		bad++;
	}
	/*
	 * Under the pool lock: the last deferred free (a backend's callback)
	 * took it too, so its update of nr_free is seen here.
	 */
	pthread_mutex_lock(&wl_tables.lock);
	uint32_t nr_free = wl_tables.nr_free;

	pthread_mutex_unlock(&wl_tables.lock);
	if (nr_free != wl_tables.nr) {
		wl_violation(WL_V_REF_IMBALANCE,
			     "%u table pages not back in the pool",
			     wl_tables.nr - nr_free);
		bad++;
	}
	return bad;
}

void wl_machine_fini(void)
{
	wl_backend.fini();
	wl_smp_fini();
	wl_table_pool_fini();
	wl_page_pool_fini();
}

int wl_cpu_start(const char *name)
{
	int cpu = wl_cpu_up(name);

	if (cpu >= 0 && wl_backend.cpu_online)
		wl_backend.cpu_online();
	return cpu;
}

void wl_cpu_stop(void)
{
	if (wl_backend.cpu_offline)
		wl_backend.cpu_offline();
	wl_cpu_down();
}

void wl_cpu_block_begin(void)
{
	/* A context switch: __schedule()'s smp_mb__after_spinlock(). */
	wl_sb_barrier(WL_SB_DRAIN_SCHED);
	if (wl_backend.blocking_begin)
		wl_backend.blocking_begin();
}

void wl_cpu_block_end(void)
{
	if (wl_backend.blocking_end)
		wl_backend.blocking_end();
}
