// SPDX-License-Identifier: MIT
/*
 * sched_free.c - see sched_free.h.
 */
#include "sched_free.h"
#include "rcu_sched.h"

#include <assert.h>

static_assert(sizeof(struct wl_rcu_head) <=
		      sizeof(((struct wl_table_batch *)0)->backend_head),
	      "wl_rcu_head does not fit in wl_table_batch.backend_head");
static_assert(sizeof(struct wl_rcu_head) <=
		      sizeof(((struct wl_ptdesc *)0)->backend_head),
	      "wl_rcu_head does not fit in wl_ptdesc.backend_head");

int sched_tables_init(void)
{
	sched_tables_stats_reset();
	return wl_rcu_sched_start();
}

void sched_tables_drain(void)
{
	rcu_sched_barrier();
	wl_rcu_sched_stop();
}

/* tlb_remove_table_rcu(): a grace period after the call_rcu(). */
static void batch_free_rcu(struct wl_rcu_head *head)
{
	struct wl_table_batch *batch = wl_container_of(
		(unsigned char *)head, struct wl_table_batch, backend_head);

	wl_table_batch_release(batch);
}

static void table_free_rcu(struct wl_rcu_head *head)
{
	struct wl_ptdesc *d = wl_container_of((unsigned char *)head,
					      struct wl_ptdesc, backend_head);

	wl_table_release_one((uint32_t)(d - wl_tables.desc));
}

void sched_tables_free_batch(struct wl_table_batch *batch)
{
	wl_cpu_count(WL_EV_GP_CALL, 1);
	call_rcu_sched((struct wl_rcu_head *)(void *)batch->backend_head,
		       batch_free_rcu);
}

void sched_tables_free_one(uint32_t table)
{
	wl_cpu_count(WL_EV_GP_CALL, 1);
	call_rcu_sched(
		(struct wl_rcu_head *)(void *)wl_ptdesc(table)->backend_head,
		table_free_rcu);
}

void sched_tables_sync_free_one(uint32_t table)
{
	wl_cpu_count(WL_EV_GP_SYNC, 1);
	synchronize_rcu_sched(); /* orders the sections before the free */
	wl_table_release_one(table);
}

void sched_tables_sync(void)
{
	wl_cpu_count(WL_EV_GP_SYNC, 1);
	synchronize_rcu_sched(); /* every earlier section has ended */
}

uint64_t sched_tables_fqs_ipis(void)
{
	struct wl_rcu_sched_stats st;

	wl_rcu_sched_stats(&st);
	return st.fqs_ipis;
}

void sched_tables_stats_reset(void)
{
	wl_rcu_sched_stats_reset();
}
