// SPDX-License-Identifier: MIT
/*
 * measure_writer.c - the writer workload of `walklab-<id> measure`.
 *
 * One table-free (munmap of a populated 2 MiB region: zap, flush, tables
 * through the backend), one sync (wl_tlb_remove_table_sync_one(), the
 * core's timed call of the backend's sync) and one collapse
 * (collapse_huge_page() of a 2 MiB region of 4 KiB pages: PMD clear, flush,
 * sync, copy), each timed alone, while 0, 1 or 2 CPUs walk another region.
 * With --bystanders, each phase has its own.
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

/*
 * ops collapses (collapse_huge_page(): PMD clear, flush, sync, copy), one
 * at a time, each timed into ns[], of regions populated with 4 KiB pages
 * before (untimed: no IPI of theirs counts) and unmapped by the caller
 * after the phase.
 */
static int collapse_prepare(struct wl_mm *mm, unsigned int ops)
{
	int ret = 0;

	for (unsigned int i = 0; i < ops && !ret; i++)
		ret = measure_region(mm, MEASURE_WRITER_BASE + i * PMD_SIZE,
				     PMD_SIZE, VM_READ | VM_WRITE);
	return ret;
}

static int time_collapses(struct wl_mm *mm, unsigned int ops, uint64_t *ns)
{
	int ret = 0;

	for (unsigned int i = 0; i < ops && !ret; i++) {
		uint64_t t0 = wl_now_ns();

		ret = wl_collapse_huge_page(mm,
					    MEASURE_WRITER_BASE + i * PMD_SIZE);
		ns[i] = wl_now_ns() - t0;
		measure_qs();
	}
	return ret;
}

enum { PH_FREE, PH_SYNC, PH_COLLAPSE, NR_PHASES };
static const char *const phase_op[NR_PHASES] = {"free", "sync", "collapse"};
static const char *const phase_metric[NR_PHASES] = {"free_ns", "sync_ns",
						    "collapse_ns"};

struct phase {
	unsigned int ops;
	uint64_t *ns;
	struct writer_counts from, to;
	struct measure_bys bys;
};

/* One phase, with bystanders of its own. */
static int time_phase(const struct wl_measure_ctx *c, struct wl_mm *mm, int ph,
		      struct phase *p)
{
	int ret = ph == PH_COLLAPSE ? collapse_prepare(mm, p->ops) : 0;

	if (!ret)
		ret = measure_bys_start(c, &p->bys);
	writer_counts(&p->from);
	if (!ret && ph == PH_FREE)
		ret = time_frees(mm, p->ops, p->ns);
	else if (!ret && ph == PH_SYNC)
		time_syncs(mm, p->ops, p->ns);
	else if (!ret)
		ret = time_collapses(mm, p->ops, p->ns);
	writer_counts(&p->to);
	measure_bys_stop(&p->bys);
	if (ph == PH_COLLAPSE)
		wl_munmap(mm, MEASURE_WRITER_BASE, p->ops * PMD_SIZE);
	return ret;
}

static int writer_one(const struct wl_measure_ctx *c, unsigned int walkers)
{
	unsigned int ops = c->quick ? 40 : 60;
	struct phase ph[NR_PHASES] = {0};
	struct measure_pool p;
	struct wl_mm mm;
	int ret = -ENOMEM, i;

	for (i = 0; i < NR_PHASES; i++) {
		/* Collapses: half, each region its own 2 MiB at once. */
		ph[i].ops = i == PH_COLLAPSE ? ops / 2 : ops;
		ph[i].ns = calloc(ph[i].ops, sizeof(*ph[i].ns));
		if (!ph[i].ns)
			goto out_free;
	}
	ret = measure_pool_setup(&p, &mm, WRITER_REGION, FOLL_GET | FOLL_WRITE,
				 walkers);
	if (ret)
		goto out_free;
	measure_pool_start(&p);
	for (i = 0; i < NR_PHASES && !ret; i++)
		ret = time_phase(c, &mm, i, &ph[i]);
	measure_pool_stop(&p);
	if (!ret && p.err)
		ret = p.err;
	for (i = 0; i < NR_PHASES && !ret; i++)
		emit_writer(c, phase_op[i], phase_metric[i], walkers, ph[i].ns,
			    ph[i].ops, &ph[i].from, &ph[i].to, &ph[i].bys);
	wl_mm_destroy(&mm);
out_free:
	for (i = 0; i < NR_PHASES; i++)
		free(ph[i].ns);
	return ret;
}

int wl_measure_writer(const struct wl_measure_ctx *c)
{
	int ret = 0;

	for (unsigned int w = 0; w <= 2 && !ret; w++)
		ret = writer_one(c, w);
	return ret;
}
