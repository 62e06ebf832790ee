/* SPDX-License-Identifier: MIT */
/*
 * bystander.h - bystander CPUs: simulated CPUs that run ANOTHER mm than the
 * run's, in a busy loop with a latency probe (as cyclictest or osnoise on
 * an isolated CPU): each turn of the loop takes a timestamp, and the gap
 * since the previous one is one sample of the loop's latency.  They stand
 * for the isolated, real-time CPUs of unrelated processes that a sync IPI
 * broadcast interrupts (docs/kernel-protocol.md 6).
 *
 * A bystander is a nohz_full CPU in user mode: it switches to its own mm
 * (wl_arch_switch_mm(): it leaves the run's mm_cpumask, so their flushes
 * do not IPI it) and is in an RCU extended quiescent state
 * (wl_rcu_sched_user_enter(): grace periods neither wait for it nor send
 * it FQS IPIs).  What can still reach it is what the kernel sends to every
 * online CPU: smp_call_function(), i.e. tlb_remove_table_sync_one()'s
 * broadcast, or a backend's own broadcast.  It registers with no backend
 * (wl_cpu_up(), not wl_cpu_start()): it runs no walk.
 *
 * Interrupts are counted by kind by the simulated SMP when the bystander
 * runs them (wl_cpu_counts()): exact, whatever the timing.  The loop's
 * latency is the host's too: a gap includes the host preempting the
 * thread (two shared vCPUs here), so the probe also records the gaps in
 * which a simulated interrupt ran, apart.
 */
#ifndef WALKLAB_BYSTANDER_H
#define WALKLAB_BYSTANDER_H

#include "smp.h"

/* --bystanders: how many, at most (documented range 0..16). */
#define WL_MAX_BYSTANDERS 16

struct wl_bystander_result {
	int cpu;			/* its simulated CPU id */
	uint64_t irqs[WL_NR_IPI_KINDS]; /* interrupts taken, by kind */
	uint64_t loops;			/* turns of the loop (samples) */
	uint64_t elapsed_ns;		/* from its first to last turn */
	uint64_t gap_max_ns;		/* the longest gap (any cause) */
	uint64_t gap_p99_ns;		/* p99 of the gaps (within 1/8) */
	uint64_t gap_p50_ns;		/* their median (within 1/8) */
	uint64_t irq_loops;		/* turns in which an IPI ran */
	uint64_t irq_gap_max_ns;	/* the longest of those turns */
};

struct wl_bystanders;

/*
 * Start n bystander CPUs (1..WL_MAX_BYSTANDERS); returns once each is
 * online in its own mm and looping.  0 or -errno (then none runs).
 */
int wl_bystanders_start(struct wl_bystanders **bs, unsigned int n);
/*
 * Stop them and fill res[0..n) (NULL: discard); frees bs.  Call once the
 * writers whose interrupts are to be counted have returned.
 */
void wl_bystanders_stop(struct wl_bystanders *bs,
			struct wl_bystander_result *res);
/* The same counts for n results: the sum of irqs[kind] over them. */
uint64_t wl_bystanders_irqs(const struct wl_bystander_result *res,
			    unsigned int n, int kind);

#endif /* WALKLAB_BYSTANDER_H */
