/* SPDX-License-Identifier: MIT */
/*
 * measure.h - `walklab-<id> measure`: the default matrix of timed
 * workloads, each printing tidy rows (bench/common/results.h) to an output
 * stream.
 *
 *  read      bench.c's walk passes over sweeps of walker CPUs and of pages
 *            per call, and the read-side pair alone (measure_read.c)
 *  writer    one table-free and one sync, each timed alone, while 0, 1 or
 *            2 CPUs walk another region (measure_writer.c)
 *  mixed     walkers against a writer at a set rate; the deferred-free
 *            backlog over time (measure_mixed.c)
 *  slowpath  faulting walkers with simulated I/O against an mmap_lock
 *            writer (measure_slowpath.c)
 *  scale     the sync on 1, 2, 4 .. N CPUs, counted, timed, and projected
 *            past the host's PUs (measure_scale.c); only when asked
 *
 * Latencies are exact percentiles of every sample taken (not histogram
 * buckets); means over repetitions are summarised as min/median/max.
 */
#ifndef WALKLAB_MEASURE_H
#define WALKLAB_MEASURE_H

#include "arch.h"
#include "results.h"

#include <stdio.h>

struct wl_measure_ctx {
	FILE *out;
	enum wl_arch arch;
	bool quick;	       /* a smaller matrix, for tests */
	unsigned int max_cpus; /* walker CPUs in the sweeps (1..max) */
	/* The scale sweep's top: simulated CPUs 1, 2, 4 .. this (0: 256). */
	unsigned int scale_cpus;
};

/* The workloads, in the order a run takes them. */
enum wl_measure_workload {
	WL_MEASURE_READ,
	WL_MEASURE_WRITER,
	WL_MEASURE_MIXED,
	WL_MEASURE_SLOWPATH,
	WL_MEASURE_SCALE, /* not in the default set: compare's sweep */
	WL_MEASURE_NR,
};
/* Their names (the CSV's workload column), NULL-terminated. */
extern const char *const wl_measure_names[WL_MEASURE_NR + 1];

/* Run workload w on an initialised machine; returns 0 or -errno. */
int wl_measure_run(enum wl_measure_workload w, const struct wl_measure_ctx *c);
/* The process row of a run: its peak RSS. */
void wl_measure_process(const struct wl_measure_ctx *c);

/* Fill backend, build options, arch, pinning, then print. */
void wl_measure_emit(const struct wl_measure_ctx *c, struct wl_row *r);

/* Each runs on an initialised machine; returns 0 or -errno. */
int wl_measure_read(const struct wl_measure_ctx *c);
/* Table-free and sync latency with 0, 1 and 2 walking CPUs. */
int wl_measure_writer(const struct wl_measure_ctx *c);
/* Walkers against a writer at a set rate; backlog over time. */
int wl_measure_mixed(const struct wl_measure_ctx *c);
/* Faulting walkers with simulated I/O against an mmap_lock writer. */
int wl_measure_slowpath(const struct wl_measure_ctx *c);
/* The sync on 1, 2, 4 .. scale_cpus CPUs; a projection past the PUs. */
int wl_measure_scale(const struct wl_measure_ctx *c);

#endif /* WALKLAB_MEASURE_H */
