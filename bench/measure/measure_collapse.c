// SPDX-License-Identifier: MIT
/*
 * measure_collapse.c - the rows of the collapse-range workload
 * (collapse_range.h): per strategy and CPU count, the IPIs sent per
 * collapse by kind, the interrupts each class of CPU took per collapse
 * (min/median/max over the class: equal when the count is exact), and the
 * writer's time per collapse.
 */
#include "backend.h"
#include "collapse_range.h"
#include "measure_int.h"

#include <errno.h>
#include <stdlib.h>

/* Interrupts per collapse of the CPUs in role, by kind (k < 0: all). */
static void emit_role(const struct wl_measure_ctx *c, struct wl_row *r,
		      const struct wl_crange_result *res,
		      enum wl_crange_role role, const char *name)
{
	double v[WL_NR_CPUS];

	for (int k = -1; k < WL_NR_IPI_KINDS; k++) {
		unsigned int n = 0;
		char metric[32];

		for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
			uint64_t sum = 0;

			if (res->role[cpu] != role)
				continue;
			for (int j = 0; j < WL_NR_IPI_KINDS; j++)
				if (k < 0 || j == k)
					sum += res->recv[cpu][j];
			v[n++] = (double)sum / (double)res->collapses;
		}
		if (!n)
			return;
		snprintf(metric, sizeof(metric), "irqs_%s%s%s_per_op", name,
			 k < 0 ? "" : "_", k < 0 ? "" : wl_ipi_kind_names[k]);
		measure_row_metric(r, metric, "1");
		measure_emit_stats(c, r, v, n);
	}
}

static void emit_result(const struct wl_measure_ctx *c,
			const struct wl_crange_strategy *s,
			const struct wl_crange_params *p,
			struct wl_crange_result *res)
{
	struct wl_row r;
	uint64_t pmds = p->range_mib / 2;

	wl_row_init(&r, "collapse-range", "collapses", "1");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s", s->name);
	r.cpus = p->cpus;
	r.oversubscribed = p->cpus > wl_host_nr_pus();
	measure_emit_value(c, &r, (double)res->collapses, pmds);
	measure_row_metric(&r, "bystanders", "cpus");
	measure_emit_value(c, &r, p->bystanders, 1);
	measure_row_metric(&r, "range_mib", "MiB");
	measure_emit_value(c, &r, (double)p->range_mib, 1);
	if (!res->collapses)
		return;
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		char metric[32];

		snprintf(metric, sizeof(metric), "ipis_%s_per_op",
			 wl_ipi_kind_names[k]);
		measure_row_metric(&r, metric, "1");
		measure_emit_value(
			c, &r, (double)res->sent[k] / (double)res->collapses,
			res->collapses);
	}
	emit_role(c, &r, res, WL_CR_MM, "mm");
	emit_role(c, &r, res, WL_CR_BYSTANDER, "bystander");
	measure_row_metric(&r, "grace_periods_per_op", "1");
	measure_emit_value(c, &r,
			   (double)res->grace_periods / (double)res->collapses,
			   res->collapses);
	measure_row_metric(&r, "writer_op_ns", "ns");
	measure_emit_samples(c, &r, res->writer_ns, pmds);
}

/* The CPU counts of the sweep: one, or 1, 2, 4 .. up to the machine's. */
static unsigned int sweep(const struct wl_measure_ctx *c, unsigned int *cpus)
{
	unsigned int n = 0, max = c->quick ? 8 : WL_MIN(WL_NR_CPUS, 256);

	if (c->crange_cpus) {
		cpus[0] = c->crange_cpus;
		return 1;
	}
	for (unsigned int k = 1; k <= max; k *= 2)
		cpus[n++] = k;
	return n;
}

int wl_measure_collapse_range(const struct wl_measure_ctx *c)
{
	unsigned int ns, ncpus, cpus[16];
	const struct wl_crange_strategy *s =
		wl_crange_strategies(c->crange_explicit, &ns);

	ncpus = sweep(c, cpus);
	for (unsigned int i = 0; i < ns; i++) {
		for (unsigned int j = 0; j < ncpus; j++) {
			struct wl_crange_params p = {
				.range_mib =
					c->crange_mib ? c->crange_mib : 1024,
				.cpus = cpus[j],
				.bystanders =
					c->crange_bystanders < 0
						? cpus[j] / 2
						: (unsigned int)
							  c->crange_bystanders,
			};
			struct wl_crange_result *res = malloc(sizeof(*res));
			int ret = res ? wl_crange_run(&s[i], &p, res) : -ENOMEM;

			if (!ret)
				emit_result(c, &s[i], &p, res);
			if (res)
				free(res->writer_ns);
			free(res);
			if (ret)
				return ret;
		}
	}
	return 0;
}
