/* SPDX-License-Identifier: MIT */
/*
 * workload.h - the workloads of `walklab-<id> measure`, each printing tidy
 * rows (bench/common/results.h) to an output stream.
 */
#ifndef WALKLAB_WORKLOAD_H
#define WALKLAB_WORKLOAD_H

#include "arch.h"
#include "results.h"

#include <stdio.h>

struct wl_measure_ctx {
	FILE *out;
	enum wl_arch arch;
	bool quick;	       /* a smaller matrix, for tests */
	unsigned int max_cpus; /* walker CPUs in the sweeps (1..max) */
};

/* Fill backend, build options, arch, pinning, then print. */
void wl_emit(const struct wl_measure_ctx *c, struct wl_row *r);

/* Each runs on an initialised machine; returns 0 or -errno. */
int wl_workload_read(const struct wl_measure_ctx *c);
/* Table-free and sync latency with 0, 1 and 2 walking CPUs. */
int wl_workload_writer(const struct wl_measure_ctx *c);
/* Walkers against a writer at a set rate; backlog over time. */
int wl_workload_mixed(const struct wl_measure_ctx *c);
/* Faulting walkers with simulated I/O against an mmap_lock writer. */
int wl_workload_slowpath(const struct wl_measure_ctx *c);

#endif /* WALKLAB_WORKLOAD_H */
