/* SPDX-License-Identifier: MIT */
/*
 * collapse_range.h - khugepaged over a range: collapse every PMD of a
 * range faulted in with 4 KiB pages, on C simulated CPUs, and count the
 * interrupts each CPU takes, by kind (`measure --workloads
 * collapse-range`, `bench --collapse-range`; docs/kernel-protocol.md
 * 6.4).
 *
 * The CPUs other than the collapsing one run either the collapsing mm
 * (its other threads, in user mode) or another mm (bystanders).  None of
 * them walks: the threads of an mm spend nearly all their time outside
 * GUP-fast, and a walker's presence at the instant of a sync is timing.
 * So every count is exact: the flush IPIs every CPU of the mm but the
 * sender (no lazy CPUs), the sync broadcast every online CPU but the
 * sender, a targeted sync none, a grace period none (the idle CPUs are in
 * an extended quiescent state, as user-mode nohz_full and idle CPUs are
 * in the kernel; a ticking user-mode CPU would report at its next tick
 * instead, with no IPI either, but the writer would wait up to a tick
 * longer than here).  The idle CPUs block, so C may exceed the host's
 * PUs many times over: an IPI wakes its target's thread.
 *
 * Memory: the simulated frames are a struct each (no 4 KiB of data), and
 * the PTE tables 4 KiB each, so a 20 GiB range needs about 0.3 GiB.
 */
#ifndef WALKLAB_COLLAPSE_RANGE_H
#define WALKLAB_COLLAPSE_RANGE_H

#include "measure.h"
#include "smp.h"

#define WL_CRANGE_MAX_MIB (UINT64_C(1) << 22) /* 4 TiB */

/* The strategies a backend configuration can run (collapse_range.c). */
struct wl_crange_strategy {
	const char *name;    /* today, skip, rcu_sync, targeted, default */
	const char *backend; /* the configuration, NULL: any */
	const char *opts[3]; /* key=value backend options, NULL-ended */
	const char *undo[3]; /* the options that put the default back */
};

/*
 * The strategies this executable runs; *n set.  explicit: also "default"
 * (the backend's own sync) when none of the table's is this backend's.
 */
const struct wl_crange_strategy *wl_crange_strategies(bool explicit,
						      unsigned int *n);

struct wl_crange_params {
	uint64_t range_mib; /* a multiple of 2 */
	unsigned int cpus;  /* C, the collapsing CPU included */
	unsigned int bystanders;
};

enum wl_crange_role { WL_CR_WRITER, WL_CR_MM, WL_CR_BYSTANDER };

struct wl_crange_result {
	uint64_t collapses, failed;
	uint64_t sent[WL_NR_IPI_KINDS];
	uint64_t recv[WL_NR_CPUS][WL_NR_IPI_KINDS];
	enum wl_crange_role role[WL_NR_CPUS];
	uint64_t grace_periods;
	uint64_t *writer_ns; /* one per collapse; the caller frees it */
};

/*
 * Frames and tables a machine needs for a range of mib MiB, and the bytes
 * they take; wl_crange_fits(): does that fit in the host's available
 * memory (with a margin)?
 */
void wl_crange_machine_size(uint64_t mib, uint64_t *frames, uint32_t *tables);
uint64_t wl_crange_bytes(uint64_t mib);
bool wl_crange_fits(uint64_t mib);
/* "SIZE" as 2M..4T with a unit M or G (G if none), or exit 2. */
uint64_t wl_crange_parse_mib(const char *opt, const char *s);

/*
 * Run one strategy (its options set for the run, undone after) on the
 * machine, from a CPU (the collapsing one).  0 or -errno.
 */
int wl_crange_run(const struct wl_crange_strategy *s,
		  const struct wl_crange_params *p, struct wl_crange_result *r);

/*
 * `bench --collapse-range`: every strategy of this configuration on a
 * machine of its own, printed; returns the exit status.
 */
int wl_crange_bench(const struct wl_crange_params *p, enum wl_arch arch);

#endif /* WALKLAB_COLLAPSE_RANGE_H */
