/* SPDX-License-Identifier: MIT */
/*
 * bench.h - read-side and writer-side benchmarks of one backend.
 *
 * The protocol follows refscale and the kernel's gup_test: every walker CPU
 * pins the whole region in calls of n pages (timed: "get"), then releases
 * every page (timed: "put"); one such pass is a repetition.  Warm-up
 * passes are run and dropped, then `repeats` measured passes; all walker
 * CPUs start each pass together (a barrier), so that none measures while
 * the others idle.  Results are per pass, summarised as min/median/max.
 */
#ifndef WALKLAB_BENCH_H
#define WALKLAB_BENCH_H

#include "arch.h"
#include "writer_ops.h"

#include <stdio.h>

#define WL_BENCH_MAX_REPEATS 1000

enum wl_mapping { WL_MAP_4K, WL_MAP_2M, WL_MAP_1G };
/* "4k", "2m", "1g", NULL: the --mapping choices and the CSV's mapping. */
extern const char *const wl_mapping_names[];

struct wl_bench_params {
	uint64_t mb;		 /* region size, MiB */
	uint64_t pages_per_call; /* 0: the whole region in one call */
	unsigned int repeats;
	unsigned int warmup;
	unsigned int threads; /* walker CPUs */
	enum wl_mapping mapping;
	bool write;	/* FOLL_WRITE */
	bool pin;	/* FOLL_PIN, else FOLL_GET */
	bool fast_only; /* time the lockless walk alone */
	bool check;	/* the checker on */
	enum wl_arch arch;
	uint64_t seed;
	/* A repetition repeats passes over the region for at least this. */
	unsigned int rep_ms;
	/* Time every k-th walk alone (p99, section); 0: none. */
	unsigned int sample_every;
};

struct wl_bench_pass {
	uint64_t get_ns, put_ns; /* summed over walker CPUs */
	uint64_t calls, pages, fast_pages;
};

struct wl_bench_summary {
	double walk_ns[3]; /* min, median, max of ns per call */
	double page_ns[3]; /* ns per page */
	double put_page_ns[3];
	double walks_per_s; /* median pass, all CPUs */
	uint64_t pages;	    /* pages pinned in the measured passes */
	double fast_ratio;  /* pages pinned by the fast path */
	unsigned int repeats;
	/* From the sampled walks: the lockless section alone. */
	double section_ns[4]; /* min, p50, max, p99 */
	uint64_t samples;
	double walks_per_s_per_cpu;
};

/* Sort v[0..n) (n > 0); st[] = min, p50, max, p99 (nearest rank). */
void wl_sample_stats(uint64_t *v, uint64_t n, double st[4]);

void wl_bench_params_default(struct wl_bench_params *p);
/* Runs on an initialised machine; returns 0 or -errno. */
int wl_bench_walks(const struct wl_bench_params *p, struct wl_bench_summary *s);

/* Writer operations (writer_ops.h), one CPU: ops/s of each. */
struct wl_writer_summary {
	double ops_per_s[WL_NR_OPS];
	uint64_t ops[WL_NR_OPS];
};
int wl_bench_writers(unsigned int iterations, struct wl_writer_summary *s);

/* The pct-th percentile of a sorted array (nearest rank); 0 if empty. */
double wl_percentile_u64(const uint64_t *sorted, uint64_t n, double pct);

#endif /* WALKLAB_BENCH_H */
