// SPDX-License-Identifier: MIT
/*
 * measure_fallback.c - the fallback workload of `walklab-<id> measure`:
 * the single-table fallback (tlb_remove_table_one(), docs/kernel-protocol.md
 * 2.9) alone, while CPUs walk another region of the mm.
 *
 * Every table batch allocation fails, so each table that a munmap of a
 * populated 2 MiB region frees goes through the fallback: the invalidating
 * flush, then the backend's free_table_one().  With a backend that has the
 * fallback= option (lockless_walk_helpers-today), each variant runs in
 * turn in the same process (or only the one --backend-opt gave): ipi, the
 * sync IPI broadcast then the free (!PT_RECLAIM before 2026); sync_rcu, a
 * grace period then the free (since February 2026); call_rcu, the free
 * deferred past a grace period (PT_RECLAIM).  Rows, writer_op
 * "fallback_<variant>" (or "fallback" without the option), cpus = walkers:
 *
 *   fallback_wait_ns       the writer's wait in free_table_one(), every
 *                          fallback a sample (min/median/max/p99)
 *   ipis_<kind>_per_fallback, ipis_per_fallback
 *                          IPIs the writer sent from the flush to the end
 *                          of free_table_one(), per fallback (n: the
 *                          fallbacks); exact: flush = the mm's other CPUs
 *                          on the ipi arch, sync = every other online CPU
 *                          for the ipi variant, 0 for the RCU ones
 *   fqs_ipis_per_fallback  the RCU-sched grace periods' FQS IPIs, wherever
 *                          sent (the reclaimer's too), per fallback
 *   grace_periods_per_fallback, backlog_peak_tables (tables deferred)
 *   mm_cpus, online_cpus   the inputs of the exact counts
 * and the bystanders' rows (measure_bystander.c) per fallback.
 */
#include "backend.h"
#include "machine.h"
#include "mmu_gather.h"
#include "measure_int.h"
#include "rcu_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FALLBACK_REGION (8 << 20) /* the walkers' */
/* Munmaps a variant; up to 3 tables each (PTE, PMD, PUD), a sample each. */
#define FALLBACK_OPS(c)	    ((c)->quick ? 20u : 25u)
#define FALLBACK_SAMPLES(c) (4 * (uint64_t)FALLBACK_OPS(c))

static const char *const variants[] = {"ipi", "sync_rcu", "call_rcu", NULL};

struct fb_counts {
	unsigned int online; /* CPUs online, bystanders included */
	struct wl_backend_stats be;
	struct wl_rcu_sched_stats rs;
	struct wl_fallback_stats fb;
};

static void fb_counts(struct fb_counts *n)
{
	n->online = wl_num_online_cpus();
	wl_backend.stats(&n->be);
	wl_rcu_sched_stats(&n->rs);
	wl_fallback_stats(&n->fb);
}

/* ops munmaps of a populated 2 MiB region, every table by the fallback. */
static int fallback_ops(struct wl_mm *mm, unsigned int ops)
{
	int ret = 0;

	for (unsigned int i = 0; i < ops && !ret; i++) {
		ret = measure_region(mm, MEASURE_WRITER_BASE, PMD_SIZE,
				     VM_READ | VM_WRITE);
		/* Relaxed: read by this thread's own munmap. */
		atomic_store_explicit(&wl_batch_alloc_fail_prob, 65536,
				      memory_order_relaxed);
		if (!ret)
			ret = wl_munmap(mm, MEASURE_WRITER_BASE, PMD_SIZE);
		atomic_store_explicit(&wl_batch_alloc_fail_prob, 0,
				      memory_order_relaxed);
		measure_qs();
	}
	return ret;
}

/* Wait (bounded) until the deferred tables are freed. */
static void drain_deferred(void)
{
	uint64_t t0 = wl_now_ns();

	while (atomic_load(&wl_tables.deferred) > 0 &&
	       wl_now_ns() - t0 < 3000000000ull)
		measure_sleep_ns(1000000);
}

static void emit_value(const struct wl_measure_ctx *c, struct wl_row *r,
		       const char *metric, const char *unit, double v,
		       uint64_t n)
{
	measure_row_metric(r, metric, unit);
	measure_emit_value(c, r, v, n);
}

static void emit_counts(const struct wl_measure_ctx *c, struct wl_row *r,
			const struct fb_counts *a, const struct fb_counts *b,
			unsigned int walkers)
{
	uint64_t n = b->fb.calls - a->fb.calls, all = 0;
	char name[32];

	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		uint64_t d = b->fb.ipis[k] - a->fb.ipis[k];

		all += d;
		snprintf(name, sizeof(name), "ipis_%s_per_fallback",
			 wl_ipi_kind_names[k]);
		emit_value(c, r, name, "1", (double)d / (double)n, n);
	}
	emit_value(c, r, "ipis_per_fallback", "1", (double)all / (double)n, n);
	emit_value(c, r, "fqs_ipis_per_fallback", "1",
		   (double)(b->rs.fqs_ipis - a->rs.fqs_ipis) / (double)n, n);
	emit_value(c, r, "grace_periods_per_fallback", "1",
		   (double)(b->be.grace_periods - a->be.grace_periods) /
			   (double)n,
		   n);
	emit_value(c, r, "backlog_peak_tables", "tables",
		   (double)b->be.tables_deferred_peak, n);
	emit_value(c, r, "mm_cpus", "1", walkers + 1, n);
	emit_value(c, r, "online_cpus", "1", b->online, n);
}

/* One variant's run: its rows, writer_op op. */
static int fallback_one(const struct wl_measure_ctx *c, const char *op,
			unsigned int walkers, uint64_t *wait)
{
	unsigned int ops = FALLBACK_OPS(c);
	struct fb_counts n0, n1;
	struct measure_pool p;
	struct measure_bys bys;
	struct wl_mm mm;
	uint64_t samples;
	struct wl_row r;
	int ret;

	ret = measure_pool_setup(&p, &mm, FALLBACK_REGION,
				 FOLL_GET | FOLL_WRITE, walkers);
	if (ret)
		return ret;
	measure_pool_start(&p);
	ret = measure_bys_start(c, &bys);
	if (wl_backend.stats_reset)
		wl_backend.stats_reset(); /* the backlog peak from here */
	fb_counts(&n0);
	wl_fallback_sample(wait, FALLBACK_SAMPLES(c));
	if (!ret)
		ret = fallback_ops(&mm, ops);
	fb_counts(&n1);
	samples = wl_fallback_samples();
	wl_fallback_sample(NULL, 0);
	measure_bys_stop(&bys);
	measure_pool_stop(&p);
	if (!ret && p.err)
		ret = p.err;
	if (!ret && n1.fb.calls == n0.fb.calls)
		ret = -ENODATA; /* the fallback never ran: no figure */
	if (!ret) {
		wl_row_init(&r, "fallback", "fallback_wait_ns", "ns");
		snprintf(r.writer_op, sizeof(r.writer_op), "%s", op);
		r.cpus = walkers;
		measure_emit_samples(c, &r, wait, samples);
		emit_counts(c, &r, &n0, &n1, walkers);
		measure_bys_emit(c, &r, &bys, n1.fb.calls - n0.fb.calls);
	}
	wl_mm_destroy(&mm);
	drain_deferred();
	return ret;
}

/* A variant of fallback=, or NULL for a backend without the option. */
static int fallback_variant(const struct wl_measure_ctx *c, const char *v,
			    uint64_t *wait)
{
	char op[24];

	if (v && wl_backend.set_option("fallback", v))
		return -EINVAL;
	if (v)
		snprintf(op, sizeof(op), "fallback_%s", v);
	else
		snprintf(op, sizeof(op), "fallback");
	return fallback_one(c, op, c->quick ? 1 : 2, wait);
}

int wl_measure_fallback(const struct wl_measure_ctx *c)
{
	uint64_t *wait = calloc(FALLBACK_SAMPLES(c), sizeof(*wait));
	bool has = wl_backend.set_option &&
		   !wl_backend.set_option("fallback", "ipi");
	int ret = 0;

	if (!wait)
		return -ENOMEM;
	if (!has || c->fallback)
		ret = fallback_variant(c, has ? c->fallback : NULL, wait);
	for (int i = 0; has && !c->fallback && variants[i] && !ret; i++)
		ret = fallback_variant(c, variants[i], wait);
	if (has && !c->fallback)
		wl_backend.set_option("fallback", "ipi"); /* the default */
	free(wait);
	return ret;
}
