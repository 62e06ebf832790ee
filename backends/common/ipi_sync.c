// SPDX-License-Identifier: MIT
/*
 * ipi_sync.c - see ipi_sync.h.
 */
#include "ipi_sync.h"
#include "smp.h"

/* tlb_remove_table_smp_sync(): runs in IRQ context; nothing to do. */
static void ipi_sync_fn(void *info)
{
	(void)info;
}

unsigned int ipi_sync_all(void)
{
	/*
	 * wait=true: smp.c acquires every acknowledgment (csd_idle), which
	 * the targets release after their IRQ-off sections (csd_run).
	 */
	return smp_call_function(ipi_sync_fn, NULL, true);
}

unsigned int ipi_free_batch(struct wl_table_batch *batch, bool flush_ipi_all)
{
	unsigned int ipis = flush_ipi_all ? 0 : ipi_sync_all();

	wl_table_batch_release(batch);
	return ipis;
}

unsigned int ipi_free_one(uint32_t table, bool flush_ipi_all)
{
	unsigned int ipis = flush_ipi_all ? 0 : ipi_sync_all();

	wl_table_release_one(table);
	return ipis;
}
