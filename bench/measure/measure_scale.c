// SPDX-License-Identifier: MIT
/*
 * measure_scale.c - the scale workload of `walklab-<id> measure`: the
 * writer's sync (wl_tlb_remove_table_sync_one(), as in the writer
 * workload) on 1, 2, 4 .. N simulated CPUs (the measuring CPU and N - 1
 * walking CPUs), with its IPIs, grace periods and polls per sync counted
 * (the grace periods and polls also on the syncing CPU's own row: *_own),
 * and a projection of its time past the host's PUs.
 *
 * Counts are exact at any N: each IPI, grace period and poll is counted
 * where it happens.  The sync's own IPIs and grace periods follow from N;
 * polls (the walkers found inside) and the backend's own IPIs (today's:
 * RCU-sched's force-quiescent-state IPIs, of a grace period running
 * beside) depend on timing.  Times are measurements only while N <= the
 * host's PUs; above, the CPUs share PUs and a sync waits for the host to
 * run every target (oversubscribed = 1 in the CSV), so its time says how
 * the host schedules 256 threads, not what a 256-CPU machine would take.
 * For those N the workload prints a projection, labelled as one
 * (metric sync_ns_projected), from the model
 *
 *	T(N) = a + b * (N - 1)     (b: the cost per target CPU)
 *
 * fitted by least squares to the medians of the N <= PUs (one point per
 * N; the mins and the maxes get lines of their own, which give the
 * projection's min and max).  It states the fit (sync_fit_base_ns = a,
 * sync_fit_ns_per_target = b) and its error (sync_fit_rms_ns: the root
 * mean square of the medians' residuals, 0 when two N determine the
 * line, as on a 2-PU host).  Run with poll delivery (WALKLAB_IPI=poll,
 * as compare does) the fitted cost per target has no signal in it: a
 * real CPU's IPI is a hardware interrupt, closer to a poll than to a
 * host signal.  The model is a line: it assumes the sender's per-target
 * work (publish, kick, collect the ack) dominates and the targets ack in
 * parallel.
 */
#include "backend.h"
#include "machine.h"
#include "measure_int.h"
#include "mmu_gather.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCALE_REGION (4 << 20) /* the walkers' */

/* The min, median and max of the sync at each N <= PUs: the fit's points. */
struct scale_fit {
	unsigned int nr;
	double x[WL_NR_CPUS];	 /* N - 1: the targets */
	double y[3][WL_NR_CPUS]; /* min, median, max */
};

/* Least squares of y on x over the fit's points: y = a + b x. */
static void fit_line(const struct scale_fit *f, const double *y, double *a,
		     double *b)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = f->nr, den;

	for (unsigned int i = 0; i < f->nr; i++) {
		sx += f->x[i];
		sy += y[i];
		sxx += f->x[i] * f->x[i];
		sxy += f->x[i] * y[i];
	}
	den = n * sxx - sx * sx;
	*b = den > 0 ? (n * sxy - sx * sy) / den : 0;
	*a = (sy - *b * sx) / n;
}

/* Syncs timed at n CPUs: many where they measure, two where they count. */
static unsigned int scale_ops(const struct wl_measure_ctx *c, unsigned int n)
{
	if (n <= wl_host_nr_pus())
		return c->quick ? 20 : 100;
	return c->quick ? 1 : 2;
}

/*
 * Past the PUs the walkers walk once per SCALE_IDLE_NS, and IPIs go by
 * signal, which wakes a sleeping CPU: with 255 walkers always runnable a
 * sync would wait for the host to run every one of them (seconds on a
 * loaded 2-PU host), for counts that do not depend on it.
 */
#define SCALE_IDLE_NS 10000000u

/* The measuring CPU goes down, the delivery changes, it comes back. */
static int scale_delivery(enum wl_ipi_delivery d)
{
	struct wl_smp_config cfg;
	int ret;

	wl_cpu_stop();
	wl_smp_config_default(&cfg);
	cfg.delivery = WL_TSAN ? WL_IPI_POLL : d; /* TSan defers signals */
	ret = wl_smp_init(&cfg);
	if (wl_cpu_start("writer") < 0 && !ret)
		ret = -EBUSY;
	return ret;
}

/*
 * The counts around the syncs: all CPUs', and the syncing CPU's own row
 * (core/smp.h, wl_cpu_counts()), whose grace periods and polls per sync
 * are emitted beside the totals: exact, so equal to them when no other
 * CPU asked for any.
 */
struct scale_counts {
	struct wl_ipi_stats ipi;
	struct wl_backend_stats be;
	struct wl_cpu_counts own;
};

static void scale_counts_read(struct scale_counts *s)
{
	wl_ipi_stats(&s->ipi);
	wl_backend.stats(&s->be);
	memset(&s->own, 0, sizeof(s->own));
	wl_cpu_counts(smp_processor_id(), &s->own);
}

static void emit_count(const struct wl_measure_ctx *c, struct wl_row *r,
		       const char *metric, uint64_t n, unsigned int ops)
{
	measure_row_metric(r, metric, "1");
	measure_emit_value(c, r, (double)n / ops, ops);
}

static void emit_counts(const struct wl_measure_ctx *c, unsigned int n,
			const struct scale_counts *s0,
			const struct scale_counts *s1, unsigned int ops)
{
	const uint64_t *e0 = s0->own.events, *e1 = s1->own.events;
	struct wl_row r;

	wl_row_init(&r, "scale", "ipis_per_op", "1");
	snprintf(r.writer_op, sizeof(r.writer_op), "sync");
	r.cpus = n;
	measure_emit_ipis(c, &r, &s0->ipi, &s1->ipi, ops);
	emit_count(c, &r, "grace_periods_per_op",
		   s1->be.grace_periods - s0->be.grace_periods, ops);
	emit_count(c, &r, "polls_per_op", s1->be.polls - s0->be.polls, ops);
	emit_count(c, &r, "grace_periods_own_per_op",
		   e1[WL_EV_GP_SYNC] + e1[WL_EV_GP_CALL] - e0[WL_EV_GP_SYNC] -
			   e0[WL_EV_GP_CALL],
		   ops);
	emit_count(c, &r, "polls_own_per_op", e1[WL_EV_POLLS] - e0[WL_EV_POLLS],
		   ops);
}

/* One N: n - 1 walkers, ops syncs timed and counted. */
static int scale_one(const struct wl_measure_ctx *c, unsigned int n,
		     struct scale_fit *fit)
{
	unsigned int ops = scale_ops(c, n);
	uint64_t *ns = calloc(ops, sizeof(*ns));
	struct scale_counts s0, s1;
	struct measure_pool p;
	struct wl_mm mm;
	struct wl_row r;
	int ret = -ENOMEM;

	if (!ns)
		return ret;
	ret = measure_pool_setup(&p, &mm, SCALE_REGION, FOLL_GET, n - 1);
	if (ret)
		goto out;
	if (n > wl_host_nr_pus())
		p.idle_ns = SCALE_IDLE_NS;
	measure_pool_start(&p);
	scale_counts_read(&s0);
	for (unsigned int i = 0; i < ops; i++) {
		uint64_t t0 = wl_now_ns();

		wl_tlb_remove_table_sync_one(&mm);
		ns[i] = wl_now_ns() - t0;
		measure_qs();
	}
	scale_counts_read(&s1);
	measure_pool_stop(&p);
	ret = p.err;
	if (!ret) {
		emit_counts(c, n, &s0, &s1, ops);
		wl_row_init(&r, "scale", "sync_ns", "ns");
		snprintf(r.writer_op, sizeof(r.writer_op), "sync");
		r.cpus = n;
		measure_emit_samples(c, &r, ns, ops);
		if (n <= wl_host_nr_pus() && fit->nr < WL_NR_CPUS) {
			fit->x[fit->nr] = n - 1;
			fit->y[0][fit->nr] = r.min;
			fit->y[1][fit->nr] = r.median;
			fit->y[2][fit->nr] = r.max;
			fit->nr++;
		}
	}
	wl_mm_destroy(&mm);
out:
	free(ns);
	return ret;
}

static void emit_fit_value(const struct wl_measure_ctx *c, const char *metric,
			   double v, uint64_t n)
{
	struct wl_row r;

	wl_row_init(&r, "scale", metric, "ns");
	snprintf(r.writer_op, sizeof(r.writer_op), "sync");
	r.oversubscribed = 0;
	measure_emit_value(c, &r, v, n);
}

/*
 * The fit's lines, its error, and the projection at each N above the
 * PUs: the median line projects the median, the min and max lines the
 * band.  The error is the RMS of the medians' residuals from their line
 * (0 when two N determine it: then the band is the only error shown).
 */
static void emit_projection(const struct wl_measure_ctx *c,
			    const struct scale_fit *f, unsigned int top)
{
	double a[3], b[3], ss = 0;
	struct wl_row r;

	if (f->nr < 2)
		return; /* one N only: no line (a single-PU host) */
	for (int k = 0; k < 3; k++)
		fit_line(f, f->y[k], &a[k], &b[k]);
	for (unsigned int i = 0; i < f->nr; i++) {
		double e = f->y[1][i] - (a[1] + b[1] * f->x[i]);

		ss += e * e;
	}
	emit_fit_value(c, "sync_fit_base_ns", a[1], f->nr);
	emit_fit_value(c, "sync_fit_ns_per_target", b[1], f->nr);
	emit_fit_value(c, "sync_fit_rms_ns", sqrt(ss / f->nr), f->nr);
	for (unsigned int n = 1; n <= top;
	     n = n < top && 2 * n > top ? top : 2 * n) {
		if (n <= wl_host_nr_pus())
			continue;
		wl_row_init(&r, "scale", "sync_ns_projected", "ns");
		snprintf(r.writer_op, sizeof(r.writer_op), "sync");
		r.cpus = n;
		r.oversubscribed = 0; /* a model's value, not a run */
		r.n = f->nr;
		r.min = a[0] + b[0] * (n - 1);
		r.median = a[1] + b[1] * (n - 1);
		r.max = a[2] + b[2] * (n - 1);
		r.p99 = NAN;
		wl_measure_emit(c, &r);
		if (n == top)
			break;
	}
}

int wl_measure_scale(const struct wl_measure_ctx *c)
{
	unsigned int top = c->scale_cpus ? c->scale_cpus : WL_NR_CPUS;
	unsigned int pus = wl_host_nr_pus();
	struct scale_fit *fit = calloc(1, sizeof(*fit));
	int ret;

	if (!fit)
		return -ENOMEM;
	if (c->quick)
		top = WL_MIN(top, 8u);
	/* The fit's points: poll delivery, walkers always walking. */
	ret = scale_delivery(WL_IPI_POLL);
	for (unsigned int n = 1; n <= WL_MIN(top, pus) && !ret; n++)
		ret = scale_one(c, n, fit);
	/* Past the PUs: counts (and oversubscribed times). */
	if (!ret && top > pus)
		ret = scale_delivery(WL_IPI_SIGNAL);
	for (unsigned int n = 1; n <= top && !ret;
	     n = n < top && 2 * n > top ? top : 2 * n) {
		if (n > pus)
			ret = scale_one(c, n, fit);
		if (n == top)
			break;
	}
	if (!ret)
		emit_projection(c, fit, top);
	free(fit);
	return ret;
}
