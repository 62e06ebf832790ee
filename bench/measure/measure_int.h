/* SPDX-License-Identifier: MIT */
/*
 * measure_int.h - what the workloads of measure.h share, inside
 * bench/measure: the rows they print (measure_emit.c) and the pool of
 * walking CPUs they measure against (measure_pool.c).
 */
#ifndef WALKLAB_MEASURE_INT_H
#define WALKLAB_MEASURE_INT_H

#include "measure.h"
#include "bystander.h"
#include "gup.h"     /* FOLL_* */
#include "machine.h" /* WL_NR_CPUS */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MEASURE_BASE	    (UINT64_C(1) << 40)
#define MEASURE_WRITER_BASE (MEASURE_BASE + (UINT64_C(2) << 30)) /* own PUD */
#define MEASURE_WALK_PAGES  16 /* pages per walk of the pool's walkers */

/* ---- rows (measure_emit.c) ----------------------------------------- */

/* Rename a row's metric and unit, for the next row of a series. */
void measure_row_metric(struct wl_row *r, const char *metric, const char *unit);
/* Latencies v[0..n), sorted in place: min, median, max, p99; none if n 0. */
void measure_emit_samples(const struct wl_measure_ctx *c, struct wl_row *r,
			  uint64_t *v, uint64_t n);
/* A row of one value (min = median = max), no p99. */
void measure_emit_value(const struct wl_measure_ctx *c, struct wl_row *r,
			double v, uint64_t n);
/*
 * IPIs sent between two wl_ipi_stats() reads, per completed op (done, the
 * rows' n): ipis_per_op (all kinds) and ipis_<kind>_per_op for each kind.
 * Nothing when done is 0.  Leaves r's metric at the last row's.
 */
struct wl_ipi_stats;
void measure_emit_ipis(const struct wl_measure_ctx *c, struct wl_row *r,
		       const struct wl_ipi_stats *from,
		       const struct wl_ipi_stats *to, uint64_t done);
/* n repetitions (or windows) v[0..n), reordered: their min/median/max. */
void measure_emit_stats(const struct wl_measure_ctx *c, struct wl_row *r,
			double *v, unsigned int n);

/* ---- bystanders around a timed phase (measure_bystander.c) ---------- */

/* c->bystanders CPUs in another mm, and what they report at the end. */
struct measure_bys {
	struct wl_bystanders *bs; /* NULL: none asked for */
	unsigned int n;
	struct wl_bystander_result res[WL_MAX_BYSTANDERS];
};
/* Start them (none if c->bystanders is 0); 0 or -errno. */
int measure_bys_start(const struct wl_measure_ctx *c, struct measure_bys *b);
/* Stop them, once the phase's ops have returned. */
void measure_bys_stop(struct measure_bys *b);
/*
 * Their rows, with r's workload and parameters: over the bystanders
 * (min/median/max, n = bystanders), the interrupts each took per op of
 * the phase (ops: its completed ops), by kind (bystander_irqs_<kind>_per_op)
 * and all (bystander_irqs_per_op); bystander_gap_max_ns, _gap_p99_ns and
 * _irq_gap_max_ns (bystander.h).  Nothing without bystanders.
 */
void measure_bys_emit(const struct wl_measure_ctx *c, struct wl_row *r,
		      const struct measure_bys *b, uint64_t ops);

/* ---- the measuring thread (measure_pool.c) -------------------------- */

/*
 * The measuring thread is a simulated CPU too (it runs the writers); with
 * a QSBR backend it must pass through quiescent states like any CPU, or
 * grace periods (and every deferred free) wait for it.
 */
void measure_qs(void);
/* A quiescent state, then sleep for ns. */
void measure_sleep_ns(uint64_t ns);

/* ---- a pool of walking CPUs (measure_pool.c) ------------------------ */

struct measure_pool {
	struct wl_mm *mm;
	uint64_t base, len; /* the region they walk */
	uint64_t pages;	    /* per walk */
	unsigned int flags;
	bool zap_first;	  /* slowpath: DONTNEED before each walk */
	uint64_t idle_ns; /* scale: sleep this long after each walk */
	unsigned int nr;
	pthread_t thread[WL_NR_CPUS];
	_Atomic bool stop;
	_Atomic unsigned int started;
	_Atomic uint64_t walks, pages_done, fast_pages;
	/* Walks so far, every 64 (relaxed: a sampled statistic). */
	_Atomic uint64_t live_walks;
	int err;
};

/* Map and populate [base, base + len) of mm. */
int measure_region(struct wl_mm *mm, uint64_t base, uint64_t len,
		   unsigned int flags);
/*
 * A fresh mm with [MEASURE_BASE, + len) mapped read-write and populated,
 * and a pool (not started) of nr CPUs walking it MEASURE_WALK_PAGES at a
 * time with
 * these FOLL_ flags.  Returns 0 (the caller destroys mm), or -errno.
 */
int measure_pool_setup(struct measure_pool *p, struct wl_mm *mm, uint64_t len,
		       unsigned int flags, unsigned int nr);
/* Start the walkers; returns once every one is running. */
void measure_pool_start(struct measure_pool *p);
void measure_pool_stop(struct measure_pool *p);

#endif /* WALKLAB_MEASURE_INT_H */
