// SPDX-License-Identifier: MIT
/*
 * measure_bystander.c - bystander CPUs (core/bystander.h) around a timed
 * phase of a measure workload, and their rows.
 */
#include "measure_int.h"

#include <string.h>

int measure_bys_start(const struct wl_measure_ctx *c, struct measure_bys *b)
{
	memset(b, 0, sizeof(*b));
	if (!c->bystanders)
		return 0;
	b->n = c->bystanders;
	return wl_bystanders_start(&b->bs, b->n);
}

void measure_bys_stop(struct measure_bys *b)
{
	if (b->bs)
		wl_bystanders_stop(b->bs, b->res);
	b->bs = NULL;
}

/* One row over the bystanders: v[i] is bystander i's figure. */
static void emit_over(const struct wl_measure_ctx *c, struct wl_row *r,
		      const char *metric, const char *unit, double *v,
		      unsigned int n)
{
	measure_row_metric(r, metric, unit);
	measure_emit_stats(c, r, v, n);
}

void measure_bys_emit(const struct wl_measure_ctx *c, struct wl_row *r,
		      const struct measure_bys *b, uint64_t ops)
{
	double v[WL_MAX_BYSTANDERS], all[WL_MAX_BYSTANDERS] = {0};
	char name[32];

	if (!b->n || !ops)
		return;
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		for (unsigned int i = 0; i < b->n; i++) {
			v[i] = (double)b->res[i].irqs[k] / (double)ops;
			all[i] += v[i];
		}
		snprintf(name, sizeof(name), "bystander_irqs_%s_per_op",
			 wl_ipi_kind_names[k]);
		emit_over(c, r, name, "1", v, b->n);
	}
	emit_over(c, r, "bystander_irqs_per_op", "1", all, b->n);
	for (unsigned int i = 0; i < b->n; i++)
		v[i] = (double)b->res[i].gap_max_ns;
	emit_over(c, r, "bystander_gap_max_ns", "ns", v, b->n);
	for (unsigned int i = 0; i < b->n; i++)
		v[i] = (double)b->res[i].gap_p99_ns;
	emit_over(c, r, "bystander_gap_p99_ns", "ns", v, b->n);
	for (unsigned int i = 0; i < b->n; i++)
		v[i] = (double)b->res[i].irq_gap_max_ns;
	emit_over(c, r, "bystander_irq_gap_max_ns", "ns", v, b->n);
}
