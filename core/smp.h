/* SPDX-License-Identifier: MIT */
/*
 * smp.h - the simulated SMP machine: CPUs, soft IRQ masking, IPIs.
 *
 * Every worker thread that walks page tables or modifies them is one
 * simulated CPU: it calls wl_cpu_up() first and wl_cpu_down() last.  A CPU
 * is pinned to a host PU with hwloc when the host has enough PUs; otherwise
 * CPUs are oversubscribed (which models vCPU preemption: an IPI to a
 * preempted vCPU waits until the host schedules it again).
 *
 * IRQ masking is "soft", as powerpc's lazy masking: local_irq_save() sets a
 * thread-local flag and costs a load and a store.  An IPI is delivered
 * asynchronously by a real-time signal to the target thread; its handler
 * runs the queued cross-call functions at once if the target has IRQs
 * enabled, and otherwise marks them pending, to be run by
 * local_irq_restore() when IRQs are enabled again.  That is exactly the
 * property the ipi backend relies on: an IPI is not acknowledged while the
 * target is inside an IRQ-off section.
 *
 * A poll-based delivery is available (WL_IPI_POLL): the target finds its
 * queued calls at local_irq_restore() and in wait loops instead of through a
 * signal.  ThreadSanitizer defers asynchronous signals to its interceptors,
 * so TSan builds default to poll delivery.
 */
#ifndef WALKLAB_SMP_H
#define WALKLAB_SMP_H

#include "compiler.h"
#include "util.h" /* wl_now_ns(), wl_delay_ns(), struct wl_hist */

#include <pthread.h>
#include <stdio.h>

/*
 * Simulated CPUs at most.  Everything per CPU is sized for it statically:
 * struct wl_cpu (smp_internal.h) is about 17 KiB (257 call slots of a
 * cache line each, statistics), so 256 CPUs reserve 4.4 MiB of BSS, of
 * which only the slots of CPUs that come up and senders that call them are
 * ever touched.  A CPU's thread stack is WL_CPU_STACK (wl_cpu_thread_attr).
 */
#define WL_NR_CPUS	 256
#define WL_CPUMASK_WORDS (WL_NR_CPUS / 64)

struct wl_cpumask {
	uint64_t bits[WL_CPUMASK_WORDS];
};

static inline void wl_cpumask_set(struct wl_cpumask *m, int cpu)
{
	m->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

static inline void wl_cpumask_clear(struct wl_cpumask *m, int cpu)
{
	m->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

static inline bool wl_cpumask_test(const struct wl_cpumask *m, int cpu)
{
	return m->bits[cpu / 64] & (UINT64_C(1) << (cpu % 64));
}

static inline void wl_cpumask_zero(struct wl_cpumask *m)
{
	for (int i = 0; i < WL_CPUMASK_WORDS; i++)
		m->bits[i] = 0;
}

static inline void wl_cpumask_fill(struct wl_cpumask *m)
{
	for (int i = 0; i < WL_CPUMASK_WORDS; i++)
		m->bits[i] = ~UINT64_C(0);
}

static inline bool wl_cpumask_empty(const struct wl_cpumask *m)
{
	for (int i = 0; i < WL_CPUMASK_WORDS; i++)
		if (m->bits[i])
			return false;
	return true;
}

static inline unsigned int wl_cpumask_weight(const struct wl_cpumask *m)
{
	unsigned int n = 0;

	for (int i = 0; i < WL_CPUMASK_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(m->bits[i]);
	return n;
}

/* The next CPU of mask at or after cpu; WL_NR_CPUS if none. */
static inline int wl_cpumask_next(const struct wl_cpumask *m, int cpu)
{
	for (int i = cpu / 64; cpu < WL_NR_CPUS; i++, cpu = i * 64) {
		uint64_t w = m->bits[i] >> (cpu % 64);

		if (w)
			return cpu + __builtin_ctzll(w);
	}
	return WL_NR_CPUS;
}

#define wl_for_each_cpu(cpu, mask)                                             \
	for ((cpu) = wl_cpumask_next((mask), 0); (cpu) < WL_NR_CPUS;           \
	     (cpu) = wl_cpumask_next((mask), (cpu) + 1))

/*
 * Stack size of a CPU's thread: what a walker or writer uses (a few KiB
 * of frames, the page arrays of one walk) with a wide margin; the 8 MiB
 * default reserves 2 GiB of address space at 256 CPUs.  Sanitizers' frames
 * are bigger.
 */
#if defined(__SANITIZE_ADDRESS__) || WL_TSAN
#define WL_CPU_STACK (4u << 20)
#else
#define WL_CPU_STACK (512u << 10)
#endif
/* A thread attribute with WL_CPU_STACK: for threads that will be CPUs. */
void wl_cpu_thread_attr(pthread_attr_t *attr);

enum wl_ipi_delivery {
	WL_IPI_SIGNAL, /* asynchronous real-time signal (default) */
	WL_IPI_POLL,   /* target polls at irq_restore and in wait loops */
};

enum wl_pin_policy {
	WL_PIN_AUTO, /* pin when there are at least as many PUs as CPUs */
	WL_PIN_NONE,
	WL_PIN_FORCE, /* pin round-robin even when oversubscribed */
};

struct wl_smp_config {
	enum wl_ipi_delivery delivery;
	enum wl_pin_policy pin;
	/*
	 * How many CPUs will come up, for AUTO: pin when 0 < hint <= host
	 * PUs.  0 means "unknown", and AUTO then does not pin.
	 */
	unsigned int nr_cpus_hint;
	/* A wait (IPI ack, grace period, drain) longer than this is a stall. */
	uint64_t stall_ns; /* 0: no stall detection */
	/* After a stall report, abort() if the wait goes on this long too. */
	uint64_t stall_panic_ns; /* 0: never abort */
	/* Stall reports list every CPU, not a summary and the first few. */
	bool stall_verbose;
};

/*
 * Defaults: signal delivery (poll under TSan), AUTO pinning, stall 2 s,
 * panic 30 s.  The environment overrides them: WALKLAB_IPI=signal|poll,
 * WALKLAB_STALL_MS, WALKLAB_STALL_PANIC_MS (0 disables).
 */
void wl_smp_config_default(struct wl_smp_config *cfg);
/*
 * Returns 0, -EINVAL for a bad config, or -EBUSY while CPUs are online.
 * wl_cpu_up() without it initializes with the defaults.  A host whose
 * topology hwloc cannot read is not an error: CPUs are then never pinned.
 */
int wl_smp_init(const struct wl_smp_config *cfg);
/* Call with no CPU online.  The signal handler stays installed. */
void wl_smp_fini(void);

/*
 * CPU lifecycle.  wl_cpu_up() registers the calling thread as the lowest
 * free CPU id and returns it (or -EBUSY when all WL_NR_CPUS are taken,
 * -EEXIST if the thread already is a CPU).
 * name is a short label ("walker", "writer") used in stall reports.
 * wl_cpu_down() must be called with IRQs enabled, outside any walk section.
 */
int wl_cpu_up(const char *name);
void wl_cpu_down(void);

/* Soft IRQ state of the calling thread. */
struct wl_irq_state {
	volatile int disabled; /* local_irq_save() nesting flag */
	volatile int pending;  /* an IPI arrived while disabled */
	struct wl_cpu *cpu;    /* NULL if this thread is not a CPU */
	int cpu_id;	       /* -1 if not a CPU */
	/*
	 * When the first IPI still pending arrived while IRQs were masked
	 * (signal delivery only; 0 if none): IRQs have been off at least
	 * since then.  Other threads read a copy in struct wl_cpu.
	 */
	volatile uint64_t off_since_ns;
	/* The RCU-sched sequence this CPU last looked at (rcu_sched.h). */
	uint64_t rcu_gp_seen;
};
extern _Thread_local struct wl_irq_state wl_irq;

/*
 * RCU-sched (rcu_sched.h): the grace-period sequence, odd while a grace
 * period runs, and the quiescent-state report that the outermost
 * local_irq_restore() makes when the sequence moved since its last look.
 */
extern _Atomic uint64_t wl_rcu_sched_gp_seq;
void wl_rcu_sched_qs(void);

/* Runs pending IPIs; called by local_irq_restore() and wait loops. */
void wl_irq_replay(void);
/* Poll delivery: non-zero while a call is queued for this CPU. */
extern bool wl_ipi_poll_mode;
bool wl_ipi_poll_pending(void);

static inline int smp_processor_id(void)
{
	return wl_irq.cpu_id;
}

static inline bool irqs_disabled(void)
{
	return wl_irq.disabled;
}

/*
 * local_irq_save() - mask IPIs on this CPU; returns the previous state.
 *
 * The compiler barrier keeps the loads of the section after the mask store.
 * No CPU fence is needed: the only observer of the flag is this thread's own
 * signal handler, and a signal is taken precisely between two instructions
 * (program order).  The cross-CPU ordering comes from the IPI handshake:
 * the target acknowledges (release) only after the section, and the sender
 * acquires the acknowledgment (see smp.c, csd_unlock / csd_wait).
 */
static __wl_always_inline unsigned long local_irq_save(void)
{
	unsigned long flags = wl_irq.disabled;

	wl_irq.disabled = 1;
	barrier(); /* mask before the section; pairs with the handler's test */
	return flags;
}

/*
 * local_irq_restore() - as x86's arch_local_irq_restore(): a nested restore
 * (flags says IRQs were already off) leaves the mask as it is, and only the
 * outermost one unmasks.  Storing the constant 0 rather than flags back
 * also keeps the next local_irq_save()'s load off a store-forwarding chain
 * through the previous save's load: back-to-back sections cost one store
 * each instead of a load-store latency each.
 */
static __wl_always_inline void local_irq_restore(unsigned long flags)
{
	if (flags)
		return; /* nested: IRQs stay masked, as they were */
	/*
	 * About to enable IRQs: an RCU-sched quiescent state.  Reported
	 * while still masked, so that an IPI cannot nest in the report.
	 * Relaxed: a hint; wl_rcu_sched_qs() orders (rcu_sched.c).
	 */
	if (unlikely(atomic_load_explicit(&wl_rcu_sched_gp_seq,
					  memory_order_relaxed) !=
		     wl_irq.rcu_gp_seen))
		wl_rcu_sched_qs();
	barrier(); /* section before unmask; pairs with the handler's test */
	wl_irq.disabled = 0;
	barrier(); /* unmask before testing pending; the handler sets pending
		    * only while it sees disabled, so one of us runs the IPI */
	if (unlikely(wl_irq.pending ||
		     (wl_ipi_poll_mode && wl_ipi_poll_pending())))
		wl_irq_replay();
}

/*
 * wl_ipi_poll() - in a CPU's wait loop (beside cpu_relax()), take the IPIs
 * queued for it now if IRQs are enabled.  Needed with poll delivery by any
 * loop that may wait on another CPU's progress; harmless with signals.
 */
static __wl_always_inline void wl_ipi_poll(void)
{
	if (!wl_irq.disabled &&
	    (wl_irq.pending || (wl_ipi_poll_mode && wl_ipi_poll_pending())))
		wl_irq_replay();
}

static __wl_always_inline void local_irq_disable(void)
{
	wl_irq.disabled = 1;
	barrier(); /* as in local_irq_save() */
}

static __wl_always_inline void local_irq_enable(void)
{
	local_irq_restore(0);
}

/*
 * Cross calls.  fn runs on each online CPU in mask except the caller, in
 * "IRQ context" (the target's signal handler, or its irq_restore), so fn
 * must be async-signal-safe: atomics only, no locks, no allocation.
 * With wait, returns when every target has run fn.  The caller must have
 * IRQs enabled (the kernel WARNs otherwise: two CPUs waiting on each other
 * with IRQs off deadlock).  While waiting, the caller takes IPIs itself.
 * Returns the number of CPUs that were sent an IPI.
 */
typedef void (*wl_smp_call_func_t)(void *info);
unsigned int smp_call_function_many(const struct wl_cpumask *mask,
				    wl_smp_call_func_t fn, void *info,
				    bool wait);
/* All online CPUs but the caller. */
unsigned int smp_call_function(wl_smp_call_func_t fn, void *info, bool wait);

/*
 * Blocking on behalf of a CPU.  With signal delivery a CPU blocked in any
 * wait (a pthread lock, a condition variable, nanosleep) still takes IPIs,
 * from its signal handler.  With poll delivery it takes them only when it
 * polls, so a CPU that blocks on something held by a CPU waiting for its
 * ack (mmap_lock, say) would deadlock: CPU code that may block while
 * other CPUs send it IPIs should block through these.  With signal
 * delivery, or on a thread that is not a CPU, they are the plain calls;
 * with poll delivery they poll (try-lock or short timed waits, with
 * backoff), which makes them unfair.  wl_cond_wait() may wake spuriously,
 * as pthread_cond_wait() may; wl_sleep_ns() sleeps the whole ns.
 */
int wl_mutex_lock(pthread_mutex_t *m);
int wl_rwlock_rdlock(pthread_rwlock_t *rw);
int wl_rwlock_wrlock(pthread_rwlock_t *rw);
int wl_cond_wait(pthread_cond_t *cond, pthread_mutex_t *m);
void wl_sleep_ns(uint64_t ns);

void wl_cpu_online_mask(struct wl_cpumask *mask);
unsigned int wl_num_online_cpus(void);

/* Host topology (hwloc), for reports. */
unsigned int wl_host_nr_pus(void);
bool wl_smp_pinned(void);	  /* were CPUs pinned? */
bool wl_smp_oversubscribed(void); /* more CPUs up than host PUs? */
/* After wl_cpu_up(): does hwloc see this thread on its pinned PU? */
bool wl_cpu_check_placement(void);

/*
 * What an IPI was sent for, counted by smp_call_function_many() from the
 * sender's current label (a thread-local): the code that sends one for a
 * purpose sets the label around the call with wl_ipi_kind_set() and puts
 * the previous one back.  Unlabelled IPIs count as the backend's own.
 */
enum wl_ipi_kind {
	WL_IPI_UNLABELLED = -1, /* no label set: counted as WL_IPI_BACKEND */
	WL_IPI_FLUSH,		/* TLB shootdown (flush_tlb_mm_range) */
	WL_IPI_SYNC,		/* tlb_remove_table_sync_one()'s role (CAL) */
	WL_IPI_BACKEND,		/* a backend's own (ipi's free-time IPI, ...) */
	WL_NR_IPI_KINDS,
};
extern const char *const wl_ipi_kind_names[WL_NR_IPI_KINDS];
/* Sets this thread's label; returns the previous one, to put back. */
enum wl_ipi_kind wl_ipi_kind_set(enum wl_ipi_kind kind);
/* Sets kind only if no label is set (an outer caller's wins). */
enum wl_ipi_kind wl_ipi_kind_default(enum wl_ipi_kind kind);

/* IPI statistics, summed over all CPUs. */
struct wl_ipi_stats {
	uint64_t sent;	   /* IPIs sent (one per target CPU) */
	uint64_t received; /* cross-call functions run */
	uint64_t deferred; /* arrived while the target had IRQs masked
			     * (signal delivery: poll cannot tell) */
	uint64_t signals;  /* signals sent (at most one per kick) */
	uint64_t waits;	   /* smp_call_function_many(wait=true) calls */
	uint64_t wait_ns;  /* total time spent waiting for acks */
	uint64_t wait_max_ns;
	uint64_t sent_kind[WL_NR_IPI_KINDS];	 /* sent, by label */
	uint64_t received_kind[WL_NR_IPI_KINDS]; /* run, by the same label */
};
void wl_ipi_stats(struct wl_ipi_stats *st);
void wl_ipi_stats_reset(void);

/*
 * Events other than IPIs, counted on the CPU that causes them (a thread
 * that is not a CPU counts in the shared row, WL_CPU_SHARED, as for the
 * IPIs it sends), by wl_cpu_count(): one increment per event, and the
 * global figure (wl_cpu_event_total(), the backend's statistics) is the
 * sum of the rows, so the two cannot disagree.  The definitions follow
 * the kernel's RCU: a writer that calls synchronize_rcu() waits for a
 * grace period (rcutorture's gp_sync writer); one that calls call_rcu()
 * queues a callback on its CPU (rcu_data's ->cblist; a batch of tables is
 * one callback) and does not wait.
 */
enum wl_cpu_event {
	WL_EV_GP_SYNC, /* synchronize_rcu() calls: grace periods waited for */
	WL_EV_GP_CALL, /* call_rcu() calls: callbacks queued */
	WL_EV_POLLS,   /* reader-count polls by a writer (WL_CAP_POLLS) */
	WL_EV_RCU_SCHED_GP, /* RCU-sched model: grace periods it ran */
	WL_EV_RCU_SCHED_FQS, /* RCU-sched model: FQS IPIs its grace periods sent */
	WL_EV_PV_DEFERRED, /* paravirt: flushes left pending for it, preempted */
	WL_EV_PV_ENTRY,	   /* paravirt: pending flushes done as it resumed */
	WL_NR_CPU_EVENTS,
};
extern const char *const wl_cpu_event_names[WL_NR_CPU_EVENTS];
#define WL_CPU_EVENT_BIT(ev) (1u << (ev))

/* Count n events of kind ev on the calling CPU (or the shared row). */
void wl_cpu_count(enum wl_cpu_event ev, uint64_t n);
/*
 * Count them on CPU cpu's row, for an event that happens to a CPU rather
 * than on it (a flush left pending for a preempted vCPU); out of range:
 * the shared row.
 */
void wl_cpu_count_on(int cpu, enum wl_cpu_event ev, uint64_t n);
/* The sum over every CPU's row and the shared row. */
uint64_t wl_cpu_event_total(enum wl_cpu_event ev);
/* Zero the events of the kinds in mask (WL_CPU_EVENT_BIT()) in every row. */
void wl_cpu_events_reset(unsigned int mask);

/*
 * One CPU's counts: its IPIs by kind, sent by it and taken by it (its
 * interruptions), and its events.  Exact at any number of CPUs: each is
 * counted where it happens (the send, the run of the call, the event),
 * never sampled or timed.  A CPU's taken counts are complete once every
 * call sent to it has run (a sender's wait=true return, or the target's
 * wl_cpu_down(), which drains its slots); any thread may read them.  The
 * IPI counts are zeroed by wl_ipi_stats_reset(), the events by
 * wl_cpu_events_reset(); both are kept when the CPU goes down.  cpu is a
 * CPU id or WL_CPU_SHARED (the threads that are not CPUs); -EINVAL: no
 * such row.
 */
#define WL_CPU_SHARED (-1)
struct wl_cpu_counts {
	uint64_t sent_kind[WL_NR_IPI_KINDS];
	uint64_t received_kind[WL_NR_IPI_KINDS];
	uint64_t deferred; /* taken late: IRQs were masked when it came */
	uint64_t events[WL_NR_CPU_EVENTS];
};
int wl_cpu_counts(int cpu, struct wl_cpu_counts *out);
/* The calling CPU's IPIs taken so far, all kinds (its own counter). */
uint64_t wl_ipi_taken_self(void);
/*
 * The IPIs the calling thread has sent, by kind (the row of its CPU, or
 * the shared row of threads that are not CPUs): a difference of two reads
 * on one CPU is exactly what it sent in between.
 */
void wl_ipi_sent_self(uint64_t sent[WL_NR_IPI_KINDS]);
/*
 * Round trip of each smp_call_function_many(wait=true) that sent an IPI,
 * from before the first send to the last ack, summed over CPUs into *h
 * (which the caller zeroes or resets first).
 */
void wl_ipi_wait_hist(struct wl_hist *h);

/*
 * Stall detector for any wait: a waiter calls wl_stall_check() in its loop
 * with the time it started and what it waits for (holders: the CPUs that
 * hold it, or NULL if unknown).  A holder is judged by its own time, not
 * by wall time: over the wait, the host's scheduler accounts each holder's
 * thread as running, sleeping, or runnable but not run (schedstat's
 * run_delay).  Only the last is the host's doing.  Past stall_ns of wall
 * time:
 *  - a holder whose own time (wall less runnable-not-run) reached
 *    stall_ns is "stalled while running" (or blocked): reported once per
 *    wait, counted by wl_stall_count(), a violation;
 *  - otherwise the holders were "starved by the host": a note with the
 *    figures, counted by wl_stall_starved(), not a violation.
 * Past stall_panic_ns of a holder's own time it aborts.  Without holders
 * (or without schedstat) wall time is used, as before.  Returns true once
 * a stall was reported.
 */
struct wl_stall_wait {
	uint64_t start_ns;
	const char *what; /* "IPI ack", "grace period", "reader drain" */
	bool reported;	  /* a stall (violation) was reported */
	bool noted;	  /* a starvation note was printed */
	uint64_t gen;	  /* this wait's baselines (0: none yet) */
	uint64_t base_ns; /* when they were taken */
	uint64_t next_look_ns;
};
void wl_stall_wait_init(struct wl_stall_wait *w, const char *what);
/* The wait ended: its wall time is added to the waiter's waited time. */
void wl_stall_wait_done(struct wl_stall_wait *w);
bool wl_stall_check(struct wl_stall_wait *w, const struct wl_cpumask *holders);
uint64_t wl_stall_count(void);
/* Starvation notes so far, and the longest such wait's wall time. */
uint64_t wl_stall_starved(uint64_t *max_wall_ns);
/* Print the CPUs in mask: a summary and the first few unless verbose. */
void wl_smp_dump_cpus(FILE *f, const struct wl_cpumask *mask);

/*
 * The host scheduler's account of a CPU's thread (schedstat, or its CPU
 * clock where schedstat is missing: then wait_ns is unknown, 0, and
 * has_wait false).  false: no such CPU up, or the host would not say.
 */
struct wl_host_sched {
	uint64_t run_ns;  /* on a host PU */
	uint64_t wait_ns; /* runnable, waiting for a host PU */
	bool has_wait;
};
bool wl_cpu_host_sched(int cpu, struct wl_host_sched *hs);

/*
 * Tracking a CPU's thread over a wait: the wall time since the start and,
 * of it, the time the thread was runnable but not run.  schedstat adds a
 * runnable stretch to run_delay only when it ends (the thread is run), so
 * a look also counts the stretch going on: a thread in state R whose run
 * time has not moved since the previous look is taken as queued since
 * then.  Looks a few ms apart or more; each reads /proc twice at most.
 */
struct wl_host_track {
	uint64_t wall0, wait0, run0; /* at the start */
	uint64_t last_ns, last_run;  /* at the previous look */
	uint64_t queued_since;	     /* 0: not seen queued */
	bool has_wait;
};
bool wl_host_track_start(struct wl_host_track *t, int cpu, uint64_t now);
bool wl_host_track_look(struct wl_host_track *t, int cpu, uint64_t now,
			uint64_t *wall_ns, uint64_t *starved_ns);

/*
 * The verdict on a holder over wall ns in which its thread was runnable
 * but not run for starved ns: its own time is wall - starved.
 */
enum wl_stall_verdict {
	WL_STALL_NONE,	  /* wall time below the threshold */
	WL_STALL_STARVED, /* wall past it, own time below: the host's doing */
	WL_STALL_STALLED, /* own time past it: stalled while running */
};
enum wl_stall_verdict wl_stall_judge(uint64_t wall_ns, uint64_t starved_ns,
				     uint64_t threshold_ns);

/*
 * For another detector (the torture's watchdog): the wall time CPU cpu
 * has spent inside judged waits (wl_stall_wait_init .. done) so far,
 * the current one included.  Those waits judge their holders themselves;
 * a watchdog that judges the CPU by its own time leaves them out.
 */
uint64_t wl_cpu_waited_ns(int cpu, uint64_t now);

#endif /* WALKLAB_SMP_H */
