/* SPDX-License-Identifier: MIT */
/*
 * torture.h - checked stress runs of one backend, in the manner of the
 * kernel's rcutorture (kernel/rcu/rcutorture.c): N walker CPUs run
 * GUP-fast over random ranges of one or more mms while M writer CPUs unmap,
 * zap with page-table reclaim, split, collapse, migrate and mprotect them;
 * the checker (core/check.h) counts every violation, a watchdog turns any
 * wait that does not end into a reported stall and a failed run, and the
 * run ends with a counters line, a violations histogram, the reference
 * balance at teardown and a last line SUCCESS or FAILURE.
 *
 * Compiled into every walklab-<id> (`torture` and `scenario` commands) and
 * into the per-backend torture tests.
 */
#ifndef WALKLAB_TORTURE_H
#define WALKLAB_TORTURE_H

#include "arch.h"
#include "bystander.h"
#include "check.h"
#include "mm.h"
#include "writer_ops.h"

#include <stdio.h>

enum wl_torture_foll { WL_T_FOLL_GET, WL_T_FOLL_PIN, WL_T_FOLL_MIXED };

struct wl_torture_config {
	unsigned int walkers, writers, mms;
	/*
	 * --cpus: every simulated CPU of the run (walkers, writers and the
	 * CPUs of other roles, torture_other_cpus()); the walkers are what
	 * is left.  0: --walkers counts.  The later of the two wins.
	 */
	unsigned int cpus;
	bool verbose;	      /* stall reports list every CPU */
	uint64_t duration_ns; /* 0: until ops */
	uint64_t ops;	      /* writer ops in all; 0: until duration */
	uint64_t seed;
	enum wl_arch arch;
	unsigned int mix[WL_NR_OPS]; /* weights */
	uint64_t rate;		     /* ops/s per writer; 0: flat out */
	unsigned int walk_max_pages; /* walks of 1..this pages */
	enum wl_torture_foll foll;
	uint64_t hold_ns; /* hold the pages up to this long */
	uint64_t region_mb;
	bool pt_reclaim; /* DONTNEED frees empty PTE tables */
	bool fast_only;	 /* walkers never take the slow path */
	bool check;
	bool inject;
	uint32_t inject_prob; /* parts per 65536, every point */
	uint64_t inject_max_ns;
	/*
	 * paravirt: a walker's vCPU is preempted by the host at a walk point
	 * with this probability, per 65536 (core/check.h); -1: the default,
	 * WL_VCPU_PREEMPT_DEFAULT on paravirt, 0 on the other arches.
	 */
	int32_t vcpu_preempt;
	/*
	 * The longest such preemption, ns (a spin of up to this after a
	 * yield); -1: --inject-max-ns.
	 */
	int64_t vcpu_preempt_ns;
	bool legacy_thp;
	struct wl_bugs bugs;
	uint32_t batch_fail;	/* table batch allocation fails, per 65536 */
	unsigned int stop_mask; /* 1 << violation: stop at the first */
	uint64_t stall_ns;
	bool check_cost; /* measure the checker on vs off first */
	bool ring;	 /* per-CPU event rings, dumped at a violation */
	bool quiet;	 /* summary only */
	bool pae;	 /* 32-bit PAE: PMDs read in two halves */
	bool lazy_tlb;	 /* walkers are lazy-TLB CPUs (speculative walks) */
	bool spf;	 /* walkers fault pages in speculatively (fault.h) */
	bool inject_sb;	 /* publication points store through core/sb.h */
	unsigned int bystanders; /* CPUs in another mm (bystander.h) */
	char context[200];	 /* the command line, for violation reports */
};

struct wl_torture_result {
	uint64_t walks, pages, fast_pages;
	uint64_t ops[WL_NR_OPS], op_fails[WL_NR_OPS];
	uint64_t violations;	 /* all types, teardown included */
	uint64_t stalls;	 /* watchdog + IPI-wait stall reports */
	uint64_t free_one_calls; /* tlb_remove_table_one() fallbacks */
	uint64_t elapsed_ns;
	uint64_t first_ns; /* to the first stop_mask violation; 0: none */
	double check_on_ns, check_off_ns; /* per walk, when check_cost */
	double check_cost_ns[3]; /* on - off per pair: min, median, max */
	double ring_on_ns;	 /* per walk, checker and ring on */
	double ring_cost_ns[3];	 /* ring on - off per triple: min, med, max */
	double ring_events;	 /* events per walk, ring on */
	unsigned int dump_steps; /* steps of the first violation's dump */
	bool balance_ok;
	bool success;
	/*
	 * --bystanders: each one's interrupts and loop latency, and the
	 * syncs and fallbacks of the run while they were up (the teardown's
	 * come after).
	 */
	uint64_t run_sync_calls, run_free_one_calls;
	unsigned int nr_bystanders;
	struct wl_bystander_result bystander[WL_MAX_BYSTANDERS];
};

void wl_torture_config_default(struct wl_torture_config *c);
/*
 * Parse torture options (argv[0] is the command word); bad input prints
 * one line naming the valid choices and exits 2.  May be called again on
 * the same config to override (scenario options, then the user's).
 */
void wl_torture_parse(int argc, char **argv, struct wl_torture_config *c);
/* Parse "name,name" or "any" into a stop mask; -1 if a name is unknown. */
int wl_torture_parse_watch(const char *s, unsigned int *mask);
/*
 * One run on a fresh machine (wl_machine_init .. wl_machine_fini);
 * prints the summary to out.  Returns 0, or -errno if it could not start.
 */
int wl_torture_run(const struct wl_torture_config *c,
		   struct wl_torture_result *r, FILE *out);

/* walklab-<id> torture [options] / walklab-<id> scenario NAME [options] */
int wl_torture_main(int argc, char **argv);
int wl_scenario_main(int argc, char **argv);

#endif /* WALKLAB_TORTURE_H */
