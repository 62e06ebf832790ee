// SPDX-License-Identifier: MIT
/*
 * measure_writer.c - the writer workload of `walklab-<id> measure`.
 *
 * One table-free (munmap of a populated 2 MiB region: zap, flush, tables
 * through the backend) and one sync (wl_tlb_remove_table_sync_one(), the
 * core's timed call of the backend's sync), each timed alone, while 0, 1 or 2
 * CPUs walk another region.
 */
#include "backend.h"
#include "machine.h"
#include "mmu_gather.h"
#include "measure_int.h"

#include <errno.h>
#include <stdlib.h>

#define WRITER_REGION (8 << 20) /* the walkers' */

/* The IPI and grace-period counts at one point of the run. */
struct writer_counts {
	struct wl_ipi_stats ipi;
	struct wl_backend_stats be;
};

static void writer_counts(struct writer_counts *w)
{
	wl_ipi_stats(&w->ipi);
	wl_backend.stats(&w->be);
}

/* ops table-frees, one at a time, each timed into ns[]. */
static int time_frees(struct wl_mm *mm, unsigned int ops, uint64_t *ns)
{
	int ret = 0;

	for (unsigned int i = 0; i < ops && !ret; i++) {
		uint64_t t0;

		ret = measure_region(mm, MEASURE_WRITER_BASE, PMD_SIZE,
				     VM_READ | VM_WRITE);
		t0 = wl_now_ns();
		if (!ret)
			ret = wl_munmap(mm, MEASURE_WRITER_BASE, PMD_SIZE);
		ns[i] = wl_now_ns() - t0;
		measure_qs();
	}
	return ret;
}

/* ops syncs, one at a time, each timed into ns[]. */
static void time_syncs(struct wl_mm *mm, unsigned int ops, uint64_t *ns)
{
	for (unsigned int i = 0; i < ops; i++) {
		uint64_t t0 = wl_now_ns();

		wl_tlb_remove_table_sync_one(mm);
		ns[i] = wl_now_ns() - t0;
		measure_qs();
	}
}

/* The latency rows of op, then its IPIs and grace periods per op. */
static void emit_writer(const struct wl_measure_ctx *c, const char *op,
			const char *metric, unsigned int walkers, uint64_t *v,
			uint64_t n, const struct writer_counts *from,
			const struct writer_counts *to,
			const struct measure_bys *bys)
{
	struct wl_row r;

	wl_row_init(&r, "writer", metric, "ns");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s", op);
	r.cpus = walkers;
	measure_emit_samples(c, &r, v, n);
	wl_row_init(&r, "writer", "ipis_per_op", "1");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s", op);
	r.cpus = walkers;
	/* Every op completed: an error ends the run before the rows. */
	measure_emit_ipis(c, &r, &from->ipi, &to->ipi, n);
	snprintf(r.metric, sizeof(r.metric), "grace_periods_per_op");
	measure_emit_value(
		c, &r,
		(double)(to->be.grace_periods - from->be.grace_periods) / n, n);
	measure_bys_emit(c, &r, bys, n);
}

/* The frees, then the syncs, each with bystanders of its own. */
static int time_phases(const struct wl_measure_ctx *c, struct wl_mm *mm,
		       unsigned int ops, uint64_t *free_ns, uint64_t *sync_ns,
		       struct writer_counts *n, struct measure_bys *bys)
{
	int ret = measure_bys_start(c, &bys[0]);

	writer_counts(&n[0]);
	if (!ret)
		ret = time_frees(mm, ops, free_ns);
	writer_counts(&n[1]);
	measure_bys_stop(&bys[0]);
	if (!ret)
		ret = measure_bys_start(c, &bys[1]);
	writer_counts(&n[2]);
	if (!ret)
		time_syncs(mm, ops, sync_ns);
	writer_counts(&n[3]);
	measure_bys_stop(&bys[1]);
	return ret;
}

static int writer_one(const struct wl_measure_ctx *c, unsigned int walkers)
{
	unsigned int ops = c->quick ? 40 : 100;
	uint64_t *free_ns = calloc(ops, sizeof(*free_ns));
	uint64_t *sync_ns = calloc(ops, sizeof(*sync_ns));
	struct writer_counts n[4];
	struct measure_bys bys[2];
	struct measure_pool p;
	struct wl_mm mm;
	int ret = -ENOMEM;

	if (!free_ns || !sync_ns)
		goto out_free;
	ret = measure_pool_setup(&p, &mm, WRITER_REGION, FOLL_GET | FOLL_WRITE,
				 walkers);
	if (ret)
		goto out_free;
	measure_pool_start(&p);
	ret = time_phases(c, &mm, ops, free_ns, sync_ns, n, bys);
	measure_pool_stop(&p);
	if (!ret && p.err)
		ret = p.err;
	if (!ret) {
		emit_writer(c, "free", "free_ns", walkers, free_ns, ops, &n[0],
			    &n[1], &bys[0]);
		emit_writer(c, "sync", "sync_ns", walkers, sync_ns, ops, &n[2],
			    &n[3], &bys[1]);
	}
	wl_mm_destroy(&mm);
out_free:
	free(free_ns);
	free(sync_ns);
	return ret;
}

int wl_measure_writer(const struct wl_measure_ctx *c)
{
	int ret = 0;

	for (unsigned int w = 0; w <= 2 && !ret; w++)
		ret = writer_one(c, w);
	return ret;
}
