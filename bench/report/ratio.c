// SPDX-License-Identifier: MIT
/*
 * ratio.c - the ratios of simulation over host, side by side from one
 * run (see report.h).
 */
#include "report.h"

#include <math.h>
#include <string.h>

bool wl_report_row_invalid(const struct wl_row *r)
{
	return !strncmp(r->build_options, "invalid", 7);
}

/*
 * A figure the calibration marked invalid (walklab calibrate: the IPIs
 * it measures did not happen): nothing is built on it.
 */
#define INVALID (-INFINITY)

/* A calib row "METRIC" of sim_backend: sim / host, or why not. */
static void ratio_row(struct wl_row *r, const char *sim_backend,
		      const char *metric, double sim, double host)
{
	wl_row_init(r, "calib", metric, "x");
	snprintf(r->backend, sizeof(r->backend), "%s", sim_backend);
	snprintf(r->build_options, sizeof(r->build_options), "-");
	snprintf(r->arch, sizeof(r->arch), "host");
	if (sim == INVALID || host == INVALID) {
		snprintf(r->build_options, sizeof(r->build_options),
			 "invalid: built on an invalid figure");
		r->min = r->median = r->max = NAN;
	} else if (isnan(sim) || isnan(host) || host <= 0) {
		snprintf(r->build_options, sizeof(r->build_options),
			 "unavailable: a figure is missing");
		r->min = r->median = r->max = NAN;
	} else {
		r->n = 1;
		r->min = r->median = r->max = sim / host;
	}
}

/* The simulated walk per page: 512 pages, FOLL_GET, 1 CPU. */
static double sim_per_page(const struct wl_rows *rs, const char *sim,
			   const char *mapping)
{
	const struct wl_match m = {
		.backend = sim,
		.workload = "read",
		.metric = "ns_per_page",
		.mapping = mapping,
		.foll = "get",
		.walk_pages = 512,
		.cpus = 1,
	};

	return wl_rows_median(rs, &m);
}

/* A figure of the host calibration; INVALID if marked so. */
static double host(const struct wl_rows *rs, const char *metric)
{
	const struct wl_match m = {
		.backend = "host",
		.workload = "calib",
		.metric = metric,
		.walk_pages = WL_ANY,
		.cpus = WL_ANY,
	};
	long i = wl_rows_find(rs, 0, &m);

	if (i >= 0 && wl_report_row_invalid(&rs->row[i]))
		return INVALID;
	return wl_rows_median(rs, &m);
}

/* A read-side figure of the rcu-memb backend, on 1 CPU. */
static double rcu_read(const struct wl_rows *rs, const char *metric)
{
	const struct wl_match m = {
		.backend = "rcu-memb",
		.workload = "read",
		.metric = metric,
		.walk_pages = WL_ANY,
		.cpus = 1,
	};

	return wl_rows_median(rs, &m);
}

/* The simulation to compare with the kernel: the first one measured. */
static const char *pick_sim(const struct wl_rows *rs)
{
	static const char *const sims[] = {"lockless_walk_helpers-today", "ipi",
					   "none"};

	for (size_t i = 0; i < sizeof(sims) / sizeof(sims[0]); i++)
		if (!isnan(sim_per_page(rs, sims[i], "4k")))
			return sims[i];
	return NULL;
}

size_t wl_report_ratios(const struct wl_rows *rs,
			struct wl_row out[WL_REPORT_NR_RATIOS])
{
	const char *sim = pick_sim(rs);
	double rcu = rcu_read(rs, "read_side_pair_ns");
	double same = rcu_read(rs, "read_side_vs_reference");
	size_t n = 0;

	if (sim) {
		ratio_row(&out[n++], sim, "ratio:sim/kernel_gup_4k",
			  sim_per_page(rs, sim, "4k"),
			  host(rs, "gup_fast_page:thp=off"));
		ratio_row(&out[n++], sim, "ratio:sim/kernel_gup_thp",
			  sim_per_page(rs, sim, "2m"),
			  host(rs, "gup_fast_page:thp=on"));
	}
	/* The backend's begin+end pair alone, against liburcu's own pair. */
	if (!isnan(rcu))
		ratio_row(&out[n++], "rcu-memb", "ratio:rcu_read/urcu_pair",
			  rcu, host(rs, "urcu_read_pair:memb"));
	/*
	 * The same, timed in one process and loop, repetitions alternating
	 * (bench/measure/workload.c): the median of the per-repetition
	 * ratios, already a ratio.
	 */
	if (!isnan(same))
		ratio_row(&out[n++], "rcu-memb", "ratio:rcu_read/urcu_paired",
			  same, 1.0);
	return n;
}
