/* SPDX-License-Identifier: MIT */
/*
 * rcu_sched.h - RCU-sched in the simulated machine: IRQ-off regions are
 * read-side critical sections, as they are for the kernel's consolidated
 * RCU (since v4.20; docs/kernel-protocol.md 2.2).  Nothing on the read side
 * but local_irq_save()/local_irq_restore() (smp.h).
 *
 * A grace period (synchronize_rcu_sched()) ends only when every CPU that
 * was online when it began has reported a quiescent state for it, or has
 * gone offline.  A CPU reports at the points where the kernel's tick or a
 * resched IPI could be taken, all with no IRQ-off section running:
 *
 *  - its outermost local_irq_restore() (and local_irq_enable()), when it
 *    sees that a grace period has begun since its last look: one relaxed
 *    load of the global sequence and a compare on the fast path;
 *  - a force-quiescent-state IPI (the kernel's FQS / resched IPI), which
 *    the waiter sends to the CPUs that have not reported after
 *    WL_RCU_SCHED_FQS_NS; it runs only when the target has IRQs enabled,
 *    so it is delayed by an IRQ-off section exactly as the tick is.  A CPU
 *    blocked on a lock or asleep takes it from its signal handler (or at
 *    its poll): blocked CPUs are quiescent.
 *
 * The waiter itself, when it is a CPU, is quiescent (IRQs on, no section).
 *
 * Memory ordering (the pairs, named where each access is).  All are
 * release/acquire or locks, so ThreadSanitizer checks them too:
 *  (1) Sections before a report, before the free.  A report is a
 *      store-release of cpu->qs_seq after the CPU's earlier sections; the
 *      waiter acquires it.  So the page-table reads of every section that
 *      ended before the report happen before the writer's free.
 *  (2) Sections after a report see the unlink.  The writer unlinks, then
 *      starts the grace period with a store-release of the odd gp_seq;
 *      the reporter load-acquires that gp_seq before reporting, and its
 *      later sections come after in program order.
 *  (3) CPU hotplug.  The waiter reads the online mask under hotplug_lock
 *      after the start: a CPU that comes up (online set under the same
 *      lock) either is seen and waited for, or comes up after the read
 *      and its walks see the unlink through the lock.  Going offline is
 *      a release store of online that the waiter acquires: the CPU's last
 *      sections are ordered before the free.
 *
 * Deferred frees (call_rcu_sched()) go on a list that a reclaimer thread
 * (not a simulated CPU) empties: it takes the list, waits for one grace
 * period and runs the callbacks.  The callers' deferred-table counts
 * (wl_table_deferred_add()) drop when the callbacks free the tables.
 */
#ifndef WALKLAB_RCU_SCHED_H
#define WALKLAB_RCU_SCHED_H

#include "smp.h"

/* A waiter sends FQS IPIs to CPUs that have not reported after this. */
#define WL_RCU_SCHED_FQS_NS 200000u

/*
 * synchronize_rcu_sched() - return when every IRQ-off section that began
 * before the call has ended.  Call with IRQs enabled, outside any section
 * (from a CPU or any other thread).  Orders the caller's earlier stores
 * before every later section, and every earlier section before the
 * caller's later accesses.  Concurrent callers take turns.
 */
void synchronize_rcu_sched(void);

/*
 * Extended quiescent states (the kernel's context tracking: a nohz_full
 * CPU in user mode, whose dynticks counter the grace period samples from
 * afar instead of sending it a tick or an IPI).  Between
 * wl_rcu_sched_user_enter() and wl_rcu_sched_user_exit() the calling CPU
 * is quiescent for every grace period, is never waited for and takes no
 * FQS IPI; it must run no IRQ-off section that walks tables in between
 * (a bystander's loop in another mm), and after the exit it walks nothing
 * before wl_cpu_down().  Departure: the kernel's exit orders the CPU's
 * later kernel code after the grace period (a full barrier on dynticks);
 * the model's exit may be followed only by going down.
 */
void wl_rcu_sched_user_enter(void);
void wl_rcu_sched_user_exit(void);

/* The callback head: fits a table batch's or a ptdesc's backend_head. */
struct wl_rcu_head {
	struct wl_rcu_head *next;
	void (*func)(struct wl_rcu_head *head);
};

/*
 * call_rcu_sched() - func(head) after a grace period, on the reclaimer
 * thread.  Returns at once; any thread.  Without a reclaimer
 * (wl_rcu_sched_start() not called) it waits and calls func itself.
 */
void call_rcu_sched(struct wl_rcu_head *head,
		    void (*func)(struct wl_rcu_head *head));
/* rcu_barrier(): every callback queued before the call has run. */
void rcu_sched_barrier(void);

/* Start / stop the reclaimer (stop drains first).  0 or -errno. */
int wl_rcu_sched_start(void);
void wl_rcu_sched_stop(void);

/*
 * Totals; gps and fqs_ipis per CPU are the events WL_EV_RCU_SCHED_GP and
 * WL_EV_RCU_SCHED_FQS of wl_cpu_counts(), on the thread that ran the
 * grace period (the reclaimer's in the shared row).
 */
struct wl_rcu_sched_stats {
	uint64_t gps;	     /* grace periods run */
	uint64_t gp_ns;	     /* their total length */
	uint64_t gp_max_ns;  /* the longest */
	uint64_t fqs_ipis;   /* force-quiescent-state IPIs sent */
	uint64_t callbacks;  /* call_rcu_sched() callbacks run */
	uint64_t sync_calls; /* synchronize_rcu_sched() calls */
};
void wl_rcu_sched_stats(struct wl_rcu_sched_stats *st);
void wl_rcu_sched_stats_reset(void);

#endif /* WALKLAB_RCU_SCHED_H */
