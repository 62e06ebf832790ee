// SPDX-License-Identifier: MIT
/*
 * measure_emit.c - the rows of `walklab-<id> measure`: every row gets the
 * backend, its build options, the arch and the pinning, then goes out as
 * one CSV line.
 */
#include "backend.h"
#include "bench.h" /* wl_sample_stats() */
#include "machine.h"
#include "measure_int.h"

#include <math.h>

void wl_measure_emit(const struct wl_measure_ctx *c, struct wl_row *r)
{
	snprintf(r->backend, sizeof(r->backend), "%s", wl_backend.name);
	snprintf(r->build_options, sizeof(r->build_options), "%s",
		 wl_backend.build_options);
	snprintf(r->arch, sizeof(r->arch), "%s", wl_arch_name(c->arch));
	r->pinned = wl_smp_pinned();
	if (r->oversubscribed < 0)
		r->oversubscribed =
			r->cpus > 0 && (unsigned int)r->cpus > wl_host_nr_pus();
	wl_row_print_csv(c->out, r);
}

void measure_row_metric(struct wl_row *r, const char *metric, const char *unit)
{
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
}

void measure_emit_samples(const struct wl_measure_ctx *c, struct wl_row *r,
			  uint64_t *v, uint64_t n)
{
	double st[4];

	if (!n)
		return;
	wl_sample_stats(v, n, st);
	r->n = n;
	r->min = st[0];
	r->median = st[1];
	r->max = st[2];
	r->p99 = st[3];
	wl_measure_emit(c, r);
}

void measure_emit_value(const struct wl_measure_ctx *c, struct wl_row *r,
			double v, uint64_t n)
{
	r->n = n;
	r->min = r->median = r->max = v;
	r->p99 = NAN;
	wl_measure_emit(c, r);
}

void measure_emit_stats(const struct wl_measure_ctx *c, struct wl_row *r,
			double *v, unsigned int n)
{
	double st[3];

	wl_stats3(v, n, st);
	r->n = n;
	r->min = st[0];
	r->median = st[1];
	r->max = st[2];
	r->p99 = NAN;
	wl_measure_emit(c, r);
}

void measure_emit_ipis(const struct wl_measure_ctx *c, struct wl_row *r,
		       const struct wl_ipi_stats *from,
		       const struct wl_ipi_stats *to, uint64_t done)
{
	uint64_t all = 0;

	if (!done)
		return;
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		uint64_t n = to->sent_kind[k] - from->sent_kind[k];
		char name[24]; /* fits r->metric */

		all += n;
		snprintf(name, sizeof(name), "ipis_%s_per_op",
			 wl_ipi_kind_names[k]);
		measure_row_metric(r, name, "1");
		measure_emit_value(c, r, (double)n / (double)done, done);
	}
	measure_row_metric(r, "ipis_per_op", "1");
	measure_emit_value(c, r, (double)all / (double)done, done);
}
