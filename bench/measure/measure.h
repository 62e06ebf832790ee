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
 *  fault     fault throughput of the mmap_lock, speculative and per-VMA
 *            lock fault paths under an mmap_lock writer (measure_fault.c);
 *            run only when asked for (compare runs it for one backend)
 *  locked    the slow path's locked walk to a PTE three ways, under 0-2
 *            contending CPUs (measure_locked.c); only when asked for
 *  fallback  the single-table fallback (tlb_remove_table_one()) alone:
 *            every table batch allocation fails; per fallback variant,
 *            the writer's wait, the IPIs by kind and the backlog
 *            (measure_fallback.c)
 *
 * --bystanders N adds N CPUs running another mm (core/bystander.h) to the
 * writer and fallback workloads, started and stopped around each timed
 * phase: their interrupts by kind per op and their loop's gaps become
 * rows too (measure_bystander.c).
 *  collapse-range  every PMD of a range collapsed on C CPUs, exact IPI
 *            and interrupt counts per sync strategy (collapse_range.c)
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
	bool quick;		 /* a smaller matrix, for tests */
	unsigned int max_cpus;	 /* walker CPUs in the sweeps (1..max) */
	unsigned int bystanders; /* CPUs in another mm (writer, fallback) */
	/* --backend-opt fallback=V given: the fallback workload runs V only */
	const char *fallback;
	/* collapse-range: the range, and C (0: the sweep 1, 2, 4 ..). */
	uint64_t crange_mib;
	unsigned int crange_cpus;
	int crange_bystanders; /* -1: half of the other CPUs */
	bool crange_explicit;  /* asked for by name: any backend runs it */
	/* The scale sweep's top: simulated CPUs 1, 2, 4 .. this (0: 256). */
	unsigned int scale_cpus;
};

/* The workloads, in the order a run takes them. */
enum wl_measure_workload {
	WL_MEASURE_READ,
	WL_MEASURE_WRITER,
	WL_MEASURE_MIXED,
	WL_MEASURE_SLOWPATH,
	WL_MEASURE_TRACKING,
	WL_MEASURE_FALLBACK,
	WL_MEASURE_FAULT,  /* not in the default set: --workloads fault */
	WL_MEASURE_LOCKED, /* not in the default run */
	WL_MEASURE_COLLAPSE_RANGE,
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
/*
 * The read-side cost of the targeted sync's active-walk pointer
 * (lockless_walk_helpers-targeted; nothing elsewhere): ns, or under
 * callgrind instructions (measure_tracking.c).
 */
int wl_measure_tracking(const struct wl_measure_ctx *c);
/* Munmaps whose every table goes through tlb_remove_table_one(). */
int wl_measure_fallback(const struct wl_measure_ctx *c);
/* Fault throughput, three fault paths, under an mmap_lock writer. */
int wl_measure_fault(const struct wl_measure_ctx *c);
/* The locked walk (core/pte_map.h) with 0, 1 and 2 contending CPUs. */
int wl_measure_locked(const struct wl_measure_ctx *c);
/* khugepaged over a range per sync strategy (collapse_range.h). */
int wl_measure_collapse_range(const struct wl_measure_ctx *c);
/* The sync on 1, 2, 4 .. scale_cpus CPUs; a projection past the PUs. */
int wl_measure_scale(const struct wl_measure_ctx *c);

#endif /* WALKLAB_MEASURE_H */
