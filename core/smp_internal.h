/* SPDX-License-Identifier: MIT */
/*
 * smp_internal.h - what the files of the simulated SMP share (smp.c:
 * IPI delivery and IRQ state; smp_topology.c: configuration, host
 * topology and pinning; smp_block.c: blocking on behalf of a CPU;
 * smp_stall.c: the stall detector; rcu_sched.c: RCU-sched over the CPUs'
 * IRQ state).  Not for use outside them.
 */
#ifndef WALKLAB_SMP_INTERNAL_H
#define WALKLAB_SMP_INTERNAL_H

#include "smp.h"

#include <hwloc.h>
#include <sys/types.h>

#define CSD_ROW_NOCPU WL_NR_CPUS /* the row of senders that are not CPUs */
#define NR_CSD_ROWS   (WL_NR_CPUS + 1)
#define CSD_ROW_WORDS ((NR_CSD_ROWS + 63) / 64)

/*
 * A waiter spins this many times (with cpu_relax) between sched_yield()
 * calls.  The host may have fewer PUs than CPUs (two, here): the CPU we
 * wait for may need our PU to run at all, so we cannot spin for long; but
 * a yield costs a system call, so we do not yield on every turn either.
 */
#define SPINS_PER_YIELD 64

/* Poll delivery: a blocked CPU wakes this often to take its IPIs. */
#define POLL_BLOCK_NS 200000u

enum { CSD_IDLE = 0, CSD_PENDING = 1 };

struct wl_csd {
	__wl_cacheline_aligned _Atomic int state;
	/* Written by the sender while IDLE, read by the target while PENDING. */
	wl_smp_call_func_t fn;
	void *info;
	int kind;		  /* enum wl_ipi_kind, counted by the target */
	_Atomic uint64_t sent_ns; /* for stall reports */
};

struct wl_cpu_stats {
	_Atomic uint64_t sent;
	_Atomic uint64_t sent_kind[WL_NR_IPI_KINDS];
	_Atomic uint64_t received;
	_Atomic uint64_t received_kind[WL_NR_IPI_KINDS]; /* run, by label */
	_Atomic uint64_t deferred;
	_Atomic uint64_t signals;
	_Atomic uint64_t waits;
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t wait_max_ns;
	struct wl_hist wait_hist;
	/* wl_cpu_count(); not zeroed by wl_ipi_stats_reset() */
	_Atomic uint64_t events[WL_NR_CPU_EVENTS];
};

struct wl_cpu {
	/* Set up by the owner before it goes online (hotplug_lock orders). */
	__wl_cacheline_aligned _Atomic bool online;
	pid_t tid;
	pthread_t thread;
	/* For debuggers only: other threads read the atomic copies below. */
	struct wl_irq_state *irq;
	bool registered; /* id taken; under cpu_id_lock, as name */
	char name[16];
	bool pinned;
	int pu;			   /* host PU index when pinned */
	hwloc_bitmap_t saved_bind; /* binding before wl_cpu_up() */

	/* Written by senders and by the owner. */
	__wl_cacheline_aligned _Atomic int kick;
	/*
	 * The rows (senders) whose slot may be PENDING: a sender sets its
	 * bit after publishing the slot, the owner's drain exchanges each
	 * word with 0 and runs those rows only, so a drain costs the calls
	 * queued, not a scan of 257 slots at 256 CPUs.
	 */
	_Atomic uint64_t csd_rows[CSD_ROW_WORDS];
	/* Copy of wl_irq.off_since_ns, for stall reports (relaxed). */
	_Atomic uint64_t irq_off_since_ns;
	/*
	 * Written by the owner (wl_wait_account_enter/exit), read by other
	 * detectors (relaxed: a report's figures): when its outermost wait
	 * for another CPU began (0: none), and the wall time of the ended
	 * ones.
	 */
	_Atomic uint64_t wait_since_ns;
	_Atomic uint64_t waited_ns;

	/*
	 * The last RCU-sched grace period this CPU reported a quiescent
	 * state for: written by the owner (release), read by grace-period
	 * waiters (acquire); see rcu_sched.c.
	 */
	__wl_cacheline_aligned _Atomic uint64_t rcu_qs_seq;

	/* Written by the owner only (relaxed: statistics). */
	__wl_cacheline_aligned struct wl_cpu_stats stats;

	/* Indexed by sender. */
	struct wl_csd csd[NR_CSD_ROWS];
};

/* smp.c: the CPUs, and cpu_id_lock over their ids and names. */
extern struct wl_cpu wl_cpus[WL_NR_CPUS];
extern pthread_mutex_t wl_cpu_id_lock;
extern _Atomic unsigned int wl_nr_online;
extern _Atomic unsigned int wl_peak_online;
/*
 * smp.c: the online mask read under hotplug_lock, so that the read is
 * ordered against CPUs going up and down (rcu_sched.c).
 */
void wl_cpu_online_mask_ordered(struct wl_cpumask *mask);
/* smp.c: the IPI signal's handler, installed by smp_topology.c. */
void wl_ipi_signal_handler(int sig);

/* smp_topology.c: set by the first init, before any CPU runs. */
extern pid_t wl_smp_pid;
extern int wl_ipi_sig;
/* Initialize with the defaults unless done; 0 or -errno. */
int wl_smp_ensure_init(void);
/* Bind the calling thread (CPU c, id) to a host PU when the policy says. */
void wl_cpu_pin(struct wl_cpu *c, int id);
void wl_cpu_unpin(struct wl_cpu *c);

/* smp_stall.c: the thresholds of wl_stall_check() (0: never). */
void wl_stall_set_thresholds(uint64_t stall_ns, uint64_t panic_ns);
void wl_stall_set_verbose(bool verbose);
/*
 * smp_stall.c: the calling CPU waits for another (a judged wait, or
 * blocked in smp_block.c): its wall time, added to waited_ns at exit,
 * is not its own (wl_cpu_waited_ns()).  Nests; the outermost counts.
 */
void wl_wait_account_enter(void);
void wl_wait_account_exit(void);

/* Statistics are relaxed: nothing is ordered by them. */
static inline void stat_add(_Atomic uint64_t *p, uint64_t v)
{
	atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline uint64_t stat_read(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline void stat_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = stat_read(p);

	while (v > cur &&
	       !atomic_compare_exchange_weak_explicit(
		       p, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}

#endif /* WALKLAB_SMP_INTERNAL_H */
