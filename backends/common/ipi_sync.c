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

/*
 * The IPIs are labelled by role (smp.h): a sync, unless the caller said
 * otherwise (ipi_free_batch()'s are the backend's own).
 */
unsigned int ipi_sync_all(void)
{
	enum wl_ipi_kind kind = wl_ipi_kind_default(WL_IPI_SYNC);
	/*
	 * wait=true: smp.c acquires every acknowledgment (csd_idle), which
	 * the targets release after their IRQ-off sections (csd_run).
	 */
	unsigned int ipis = smp_call_function(ipi_sync_fn, NULL, true);

	wl_ipi_kind_set(kind);
	return ipis;
}

/* The batch's free-time IPI: the backend's own, not a table sync. */
unsigned int ipi_free_batch(struct wl_table_batch *batch, bool flush_ipi_all)
{
	enum wl_ipi_kind kind = wl_ipi_kind_set(WL_IPI_BACKEND);
	unsigned int ipis = flush_ipi_all ? 0 : ipi_sync_all();

	wl_ipi_kind_set(kind);
	wl_table_batch_release(batch);
	return ipis;
}

/* tlb_remove_table_one(): its IPI is tlb_remove_table_sync_one(). */
unsigned int ipi_free_one(uint32_t table, bool flush_ipi_all)
{
	unsigned int ipis = flush_ipi_all ? 0 : ipi_sync_all();

	wl_table_release_one(table);
	return ipis;
}
