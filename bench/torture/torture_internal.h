/* SPDX-License-Identifier: MIT */
/*
 * torture_internal.h - what the torture's files share: one run's state,
 * the walker and writer threads, the watchdog and the summary.
 *
 * Threads.  Every walker and writer is a simulated CPU (wl_cpu_start()).
 * The main thread is not: it starts them, watches the clock, the op count
 * and the violation counters, and raises `stop`.  A watchdog thread, not a
 * CPU either, reads what every CPU publishes (a walker "in a walk since
 * T", a writer "in op X since T": relaxed stores, outside the walk
 * section) and, when one has been stuck past --stall-ms, prints an RCU-CPU-
 * stall-like report naming it and the walkers whose walk began before it,
 * counts WL_V_STALL and raises `stop` so that the walkers leave and the
 * waits they hold can end; if the run still has not ended after a further
 * --stall-ms, it prints what it has and _exit(1)s.  IPI waits have their
 * own detector in core/smp.c; grace periods, reader drains and locks are
 * seen here as an op that does not end.
 *
 * Counters are per thread, written by their owner only with relaxed
 * load+store (a plain mov on x86, no lock prefix) so the watchdog may read
 * them for a last-gasp summary without a data race.
 */
#ifndef WALKLAB_TORTURE_INTERNAL_H
#define WALKLAB_TORTURE_INTERNAL_H

#include "torture.h"
#include "fault.h"
#include "page.h"

#include <pthread.h>
#include <stdatomic.h>

#define REGION_BASE (UINT64_C(1) << 40) /* 1 TiB: PUD- and PMD-aligned */
#define MAX_WALK    512
/*
 * Triples of phases: checker off, checker on, checker and event ring on;
 * then the reverse order, alternately, so that drift cancels.
 */
#define COST_KINDS    3
#define COST_PHASES   30
#define COST_PHASE_NS 100000000ull

/* Single-writer counters: the owner's relaxed load+store, anyone reads. */
#define CNT_ADD(c, n)                                                          \
	atomic_store_explicit(                                                 \
		&(c), atomic_load_explicit(&(c), memory_order_relaxed) + (n),  \
		memory_order_relaxed)
#define CNT(c) atomic_load_explicit(&(c), memory_order_relaxed)

struct twalker {
	pthread_t thread;
	/*
	 * Set by the thread itself, read by the watchdog: plain (seq_cst)
	 * accesses of atomics, ordering nothing else.
	 */
	_Atomic int cpu;
	_Atomic bool up;
	_Atomic uint64_t walk_since; /* 0: not in a walk */
	_Atomic uint64_t walks, pages, fast_pages;
	/* --spf: the fault paths' counts (fault.h), as CNT_ADD counters. */
	_Atomic uint64_t spf_faults, spf_speculative, spf_attempts,
		spf_abort[WL_NR_FAULT_ABORTS];
	/* --check-cost phases: walks and ns of each. */
	uint64_t cost_walks[COST_PHASES], cost_ns[COST_PHASES];
	uint64_t cost_events[COST_PHASES]; /* events into its ring */
	struct wl_page *pages_buf[MAX_WALK];
};

struct twriter {
	pthread_t thread;
	_Atomic int cpu; /* as in struct twalker */
	_Atomic bool up;
	_Atomic uint64_t op_since; /* 0: between ops */
	_Atomic int op;
	_Atomic uint64_t ops[WL_NR_OPS], fails[WL_NR_OPS];
};

/* One run's state: `torture` points to it during a run only. */
struct trun {
	const struct wl_torture_config *c;
	struct wl_mm *mms;
	unsigned int nr_chunks; /* 2 MiB chunks per mm */
	struct twalker *walkers;
	struct twriter *writers;
	struct wl_bystanders *bystanders; /* NULL: none */
	pthread_barrier_t cost_barrier;
	FILE *out;
	uint64_t t0;
	/*
	 * Between the threads; no access to these orders other memory
	 * (the default seq_cst ones included): each says who reads it.
	 */
	_Atomic bool stop;	      /* walkers and writers: leave */
	_Atomic bool done;	      /* watchdog: leave */
	_Atomic bool cost_stop;	      /* walkers: end of a --check-cost phase */
	_Atomic uint64_t ops_started; /* --ops: writers and main */
	_Atomic uint64_t teardown_since;   /* watchdog: main's teardown */
	_Atomic uint64_t watchdog_stalls;  /* summary */
	_Atomic uint64_t watchdog_starved; /* notes: starved, not stalled */
};

extern struct trun *torture;

/* options.c: the checks that need the whole config; the --bug list. */
void torture_validate(struct wl_torture_config *c);
/* percpu.c: per-CPU counts, snapshot when the CPUs stop; their lines. */
void torture_percpu_snapshot(void);
void torture_print_percpu(FILE *f);
/*
 * The snapshot's rows added up by class (the run's writer and walker
 * CPUs, the shared row of threads that are not CPUs), and every row's
 * total at the snapshot, for the tests: exact, so writers + walkers +
 * shared = total when no other CPU counted.
 */
struct torture_percpu_sums {
	unsigned int nr_writers, nr_walkers;
	uint64_t writers[WL_NR_CPU_EVENTS], walkers[WL_NR_CPU_EVENTS];
	uint64_t shared[WL_NR_CPU_EVENTS], total[WL_NR_CPU_EVENTS];
	uint64_t ipi_taken;	/* all kinds: writers + walkers */
	uint64_t ipi_taken_all; /* all kinds: every row */
};
void torture_percpu_sums(struct torture_percpu_sums *s);
/* Simulated CPUs of roles other than walkers and writers (--cpus). */
unsigned int torture_other_cpus(const struct wl_torture_config *c);
/*
 * The vCPU preemption probability in effect (per 65536, --vcpu-preempt):
 * on paravirt by default, so that a walker's IRQ-off section can be
 * caught preempted by a flush, as on a real host (core/arch.c).
 */
#define WL_VCPU_PREEMPT_DEFAULT 16384u
uint32_t torture_vcpu_preempt(const struct wl_torture_config *c);
/* The longest such preemption's spin, ns (--vcpu-preempt-ns). */
uint64_t torture_vcpu_preempt_ns(const struct wl_torture_config *c);
void torture_bugs_string(const struct wl_bugs *b, char *buf, size_t n);

/* walkers.c, writers.c, watchdog.c: thread bodies. */
void *torture_walker_main(void *arg);
void *torture_writer_main(void *arg);
void *torture_watchdog_main(void *arg);

/* writers.c: map chunk a of mm and fault it in, as the writers leave it. */
int torture_map_chunk(struct wl_mm *mm, uint64_t a);

/* summary.c: sums the counters into r, prints the summary, sets r->success. */
void torture_print_summary(FILE *f, struct wl_torture_result *r,
			   bool teardown_done);

#endif /* WALKLAB_TORTURE_INTERNAL_H */
