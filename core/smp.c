// SPDX-License-Identifier: MIT
/*
 * smp.c - simulated CPUs, soft IRQ masking and IPIs.  The rest of the
 * simulated SMP is in smp_topology.c (configuration, host topology and
 * pinning), smp_block.c (blocking on behalf of a CPU) and smp_stall.c
 * (the stall detector); smp_internal.h is what they share.
 *
 * CPUs.  A CPU is a thread that called wl_cpu_up(); it owns wl_cpus[id] and
 * reaches it through the thread-local wl_irq.  CPUs may be pinned to host
 * PUs with hwloc (wl_cpu_pin(), smp_topology.c).
 *
 * Call slots.  As the kernel's per-CPU call_single_data, every (sender,
 * target) pair has its own slot, wl_cpus[target].csd[sender]; senders that
 * are not CPUs share the extra row CSD_ROW_NOCPU, serialized by nocpu_lock.
 * A slot is IDLE or PENDING and only its sender moves it to PENDING, so a
 * sender needs no lock to fill it, only to wait for it to be IDLE again.
 *
 * Delivery protocol, sender S to target T:
 *
 *   S: wait for csd[S] IDLE           (acquire; pairs with T's ack)
 *   S: fn, info; state = PENDING      (release; pairs with T's scan)
 *   S: T->csd_rows |= bit S           (release; pairs with T's take)
 *   S: if xchg(T->kick, 1) == 0       (release; pairs with T's clear)
 *          signal T  (not in poll mode: T finds kick set when it polls)
 *   T: handler: if IRQs masked, pending = 1 and return; else replay:
 *   T:   xchg(T->kick, 0)              (acquire; pairs with S's kick)
 *   T:   rows = xchg(T->csd_rows, 0)   (acquire; pairs with S's bit)
 *   T:   for each slot of rows PENDING (acquire; pairs with S's publish)
 *          fn(info); state = IDLE      (release; pairs with S's wait)
 *   S: with wait, spin until every slot it filled is IDLE (acquire)
 *
 * kick is a "signal in flight or poll needed" flag, so a storm of calls to
 * one CPU costs one signal.  It cannot lose a call: both sides exchange
 * it, and exchanges on one word are totally ordered.  If S's exchange comes
 * first, T's clearing exchange reads S's 1 (or a later exchange of the same
 * release sequence), synchronizes with S, and T's exchange of the row word
 * (after its kick clear) sees S's bit, set before S's kick.  If T's comes
 * first, S reads 0 and kicks again.  A bit whose slot an earlier drain
 * already ran finds it IDLE: csd_run() skips it.
 *
 * Fan-out.  A broadcast publishes and kicks every target first (one
 * tgkill each, no wait), then waits for all the acks at once, so a
 * broadcast to 255 CPUs costs one round of the host's scheduling, not 255
 * serial round trips: a target that is descheduled or blocked takes its
 * pending signal when the host next runs it, as a CPU takes a pending IPI
 * when it next enables IRQs.
 *
 * The ack is what the ipi backend relies on: T stores IDLE with release
 * after fn and after everything T did before, in particular its IRQ-off
 * section (a masked IPI runs only at local_irq_restore(), whose barriers
 * keep the section before the unmask); S's acquire of the ack then orders
 * the section's page-table reads before S frees a table.
 *
 * Soft IRQ masking.  wl_irq.disabled and wl_irq.pending are volatile and
 * only touched by their own thread and its signal handler, which runs
 * between two instructions of the thread: compiler barriers order them,
 * no CPU fence is needed.  The races with the handler firing at any point
 * are argued at wl_irq_replay().
 *
 * Hotplug.  Senders hold hotplug_lock for read while they choose online
 * targets, fill the slots and kick; wl_cpu_up()/wl_cpu_down() flip online
 * under it for write.  So a target cannot go down between "is online" and
 * the kick (its tid stays valid for tgkill), the drain in wl_cpu_down()
 * sees every call published before it went offline, and a CPU coming up
 * is either called or sees everything the caller did before the call.
 * Senders never wait while holding it: a slot still busy with an earlier
 * call is waited for outside it, acks after it.
 */
#include "smp_internal.h"
#include "sb.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wl_cpu wl_cpus[WL_NR_CPUS];
static struct wl_cpu_stats nocpu_stats; /* senders that are not CPUs */

_Thread_local struct wl_irq_state wl_irq = {.cpu_id = -1};
/* The label of the IPIs this thread sends (wl_ipi_kind_set()). */
static _Thread_local enum wl_ipi_kind ipi_kind = WL_IPI_UNLABELLED;

/* Set by wl_smp_init() before any CPU runs; poll under TSan by default. */
bool wl_ipi_poll_mode = WL_TSAN;

/* Writer-preferring, so that a stream of senders cannot starve down(). */
static pthread_rwlock_t hotplug_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
pthread_mutex_t wl_cpu_id_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t nocpu_lock = PTHREAD_MUTEX_INITIALIZER;

/* One past the highest CPU id ever used: mask scans stop below it. */
static _Atomic int cpu_hwm;
_Atomic unsigned int wl_nr_online;
_Atomic unsigned int wl_peak_online;

static void warn_once(_Atomic bool *done, const char *msg)
{
	if (!atomic_exchange_explicit(done, true, memory_order_relaxed))
		fprintf(stderr, "walklab: WARNING: %s\n", msg);
}

/* ---------------------------------------------------------------------- */
/* The target side: draining the call slots                               */

static void csd_run(struct wl_cpu *c, struct wl_csd *csd)
{
	wl_smp_call_func_t fn;
	void *info;

	/* acquire: fn and info are the sender's; pairs with csd_publish() */
	if (atomic_load_explicit(&csd->state, memory_order_acquire) !=
	    CSD_PENDING)
		return;
	fn = csd->fn;
	info = csd->info;
	fn(info);
	stat_add(&c->stats.received, 1);
	stat_add(&c->stats.received_kind[csd->kind], 1);
	/*
	 * release: the ack.  Orders fn's effects, our reads of fn and info,
	 * and everything this CPU did before (its IRQ-off section) before
	 * it; pairs with the acquire in csd_idle() on the sender.
	 */
	atomic_store_explicit(&csd->state, CSD_IDLE, memory_order_release);
}

/* Run every call queued for this CPU.  With wl_irq.disabled set. */
static void csd_drain(struct wl_cpu *c)
{
	uint64_t rows;
	int w;

	/* Interrupt entry: this CPU's store buffer drains (core/sb.h). */
	wl_sb_irq_entry();
	/*
	 * acquire: clear the kick before the scan, and see every row bit
	 * set before a kick we clear; pairs with the release exchange in
	 * ipi_kick().  A sender that kicks after this reads 0 and kicks
	 * again, so a slot the scan misses is not lost.
	 */
	atomic_exchange_explicit(&c->kick, 0, memory_order_acquire);
	for (w = 0; w < CSD_ROW_WORDS; w++) {
		/*
		 * acquire: the rows marked since the last take, and their
		 * slots' publication; pairs with the release fetch_or in
		 * csd_publish().
		 */
		rows = atomic_exchange_explicit(&c->csd_rows[w], 0,
						memory_order_acquire);
		while (rows) {
			csd_run(c, &c->csd[w * 64 + __builtin_ctzll(rows)]);
			rows &= rows - 1;
		}
	}
}

/*
 * wl_irq_replay() - run this CPU's pending IPIs, with IRQs enabled.
 *
 * The signal handler may fire at any instruction here, and on this thread
 * it either defers (it sees disabled: pending = 1) or runs this function
 * nested (it sees enabled).  Each turn of the loop:
 *
 *  - masks first, so that a handler firing during the drain only sets
 *    pending: the drain (csd_drain) never runs nested in itself;
 *  - clears pending before the drain: an IPI whose handler set pending
 *    earlier is published in its slot and will be found by this drain;
 *    one whose handler sets pending after the clear is either found by
 *    this drain too, or left pending and taken by the next turn;
 *  - unmasks, then looks again.  kick set means a sender published after
 *    the drain's exchange, possibly in a row the scan had already passed,
 *    and its signal (if any) was deferred by the handler while we were
 *    masked: nobody else will run it, so another turn must.  pending set
 *    after the clear means the same, or a stale signal whose call the
 *    drain already ran; a (then empty) turn keeps pending and
 *    off_since_ns from outliving the IPI.  A handler firing after the
 *    unmask sees IRQs enabled and runs the queue itself, nested, leaving
 *    kick and pending clear or set again, which the check then sees.
 *
 * So when this returns, every call published before the last check has
 * run; a later one has set kick, and a signal or the next poll takes it.
 * Called with IRQs masked it does nothing: the IPIs wait for the unmask.
 * (test_smp.c ipi_during_replay forces the "row already passed" case.)
 */
void wl_irq_replay(void)
{
	struct wl_cpu *c = wl_irq.cpu;

	if (unlikely(!c)) {
		wl_irq.pending = 0;
		return;
	}
	if (wl_irq.disabled)
		return;
	do {
		wl_irq.disabled = 1;
		barrier(); /* mask before the rest; pairs with the handler */
		wl_irq.off_since_ns = 0;
		atomic_store_explicit(&c->irq_off_since_ns, 0,
				      memory_order_relaxed);
		wl_irq.pending = 0;
		barrier(); /* clear pending before the drain, see above */
		csd_drain(c);
		barrier(); /* drain before the unmask */
		wl_irq.disabled = 0;
		barrier(); /* unmask before the check; pairs with handler */
	} while (wl_irq.pending ||
		 atomic_load_explicit(&c->kick, memory_order_relaxed));
}

/* An IPI came while IRQs are masked: leave it to local_irq_restore(). */
static void ipi_defer(struct wl_cpu *c)
{
	uint64_t now;

	if (!wl_irq.pending) {
		/* The first since the last drain: IRQs off since then. */
		now = wl_now_ns();
		wl_irq.off_since_ns = now;
		atomic_store_explicit(&c->irq_off_since_ns, now,
				      memory_order_relaxed);
	}
	wl_irq.pending = 1;
	stat_add(&c->stats.deferred, 1);
}

/*
 * The IPI.  Async-signal-safe: thread-locals, lock-free atomics,
 * clock_gettime() and the cross-call functions (which must be so too).
 */
void wl_ipi_signal_handler(int sig)
{
	int saved_errno = errno;
	struct wl_cpu *c = wl_irq.cpu;

	(void)sig;
	if (c) { /* NULL: a late signal after wl_cpu_down() */
		if (wl_irq.disabled)
			ipi_defer(c);
		else
			wl_irq_replay();
	}
	errno = saved_errno;
}

bool wl_ipi_poll_pending(void)
{
	struct wl_cpu *c = wl_irq.cpu;

	/* A hint: wl_irq_replay() acquires through the exchange. */
	return c && atomic_load_explicit(&c->kick, memory_order_relaxed);
}

/* ---------------------------------------------------------------------- */
/* CPU lifecycle                                                          */

static void ipi_signal_unblock(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, wl_ipi_sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int wl_cpu_up(const char *name)
{
	struct wl_cpu *c = NULL;
	unsigned int n, peak;
	int id, ret;

	if (wl_irq.cpu)
		return -EEXIST;
	ret = wl_smp_ensure_init();
	if (ret)
		return ret;

	pthread_mutex_lock(&wl_cpu_id_lock);
	for (id = 0; id < WL_NR_CPUS; id++) {
		if (!wl_cpus[id].registered) {
			c = &wl_cpus[id];
			break;
		}
	}
	if (!c) {
		pthread_mutex_unlock(&wl_cpu_id_lock);
		return -EBUSY;
	}
	c->registered = true;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "cpu");
	c->tid = gettid();
	c->thread = pthread_self();
	c->irq = &wl_irq;
	if (atomic_load_explicit(&cpu_hwm, memory_order_relaxed) < id + 1)
		atomic_store_explicit(&cpu_hwm, id + 1, memory_order_relaxed);
	pthread_mutex_unlock(&wl_cpu_id_lock);

	/* No sender targets us until online: plain set-up. */
	atomic_store_explicit(&c->kick, 0, memory_order_relaxed);
	for (int w = 0; w < CSD_ROW_WORDS; w++)
		atomic_store_explicit(&c->csd_rows[w], 0, memory_order_relaxed);
	atomic_store_explicit(&c->wait_since_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&c->waited_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&c->irq_off_since_ns, 0, memory_order_relaxed);
	wl_irq.disabled = 0;
	wl_irq.pending = 0;
	wl_irq.off_since_ns = 0;
	wl_irq.rcu_gp_seen = 0; /* the first restore looks at the sequence */
	wl_irq.cpu_id = id;
	barrier(); /* cpu_id before cpu: the handler keys on cpu */
	wl_irq.cpu = c;
	ipi_signal_unblock();
	wl_cpu_pin(c, id);

	/* The write lock publishes the set-up above to senders. */
	pthread_rwlock_wrlock(&hotplug_lock);
	atomic_store_explicit(&c->online, true, memory_order_relaxed);
	n = atomic_fetch_add_explicit(&wl_nr_online, 1, memory_order_relaxed) +
	    1;
	peak = atomic_load_explicit(&wl_peak_online, memory_order_relaxed);
	if (n > peak)
		atomic_store_explicit(&wl_peak_online, n, memory_order_relaxed);
	/*
	 * Unlocking orders online against an RCU-sched grace period's read
	 * of the mask under the same lock (wl_cpu_online_mask_ordered()):
	 * it waits for us, or our walks see what its caller unlinked.
	 */
	pthread_rwlock_unlock(&hotplug_lock);
	return id;
}

void wl_cpu_down(void)
{
	static _Atomic bool warned;
	struct wl_cpu *c = wl_irq.cpu;

	if (!c)
		return;
	if (wl_irq.disabled) {
		warn_once(&warned, "wl_cpu_down() with IRQs disabled");
		wl_irq.disabled = 0;
	}
	/*
	 * Once we hold the lock for write no sender is between "online?"
	 * and its kick, and the ones before have released the lock: their
	 * slots and kicks happen before our drain.  Later senders see us
	 * offline.
	 */
	wl_sb_barrier(WL_SB_DRAIN_SCHED); /* going offline: a switch */
	pthread_rwlock_wrlock(&hotplug_lock);
	/*
	 * release: our last walk sections before offline; pairs with the
	 * acquire of online by an RCU-sched grace period, which stops
	 * waiting for us (rcu_sched.c).
	 */
	atomic_store_explicit(&c->online, false, memory_order_release);
	atomic_fetch_sub_explicit(&wl_nr_online, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&hotplug_lock);
	wl_irq_replay(); /* runs until kick and pending are clear */

	wl_cpu_unpin(c);
	wl_irq.cpu = NULL;
	barrier(); /* a late handler sees no CPU before cpu_id goes */
	wl_irq.cpu_id = -1;
	wl_irq.off_since_ns = 0;
	pthread_mutex_lock(&wl_cpu_id_lock);
	c->registered = false;
	pthread_mutex_unlock(&wl_cpu_id_lock);
}

void wl_cpu_online_mask(struct wl_cpumask *mask)
{
	int cpu, hwm = atomic_load_explicit(&cpu_hwm, memory_order_relaxed);

	wl_cpumask_zero(mask);
	for (cpu = 0; cpu < hwm; cpu++)
		if (atomic_load_explicit(&wl_cpus[cpu].online,
					 memory_order_relaxed))
			wl_cpumask_set(mask, cpu);
}

void wl_cpu_online_mask_ordered(struct wl_cpumask *mask)
{
	/* The lock orders us against wl_cpu_up() and wl_cpu_down(). */
	pthread_rwlock_rdlock(&hotplug_lock);
	wl_cpu_online_mask(mask);
	pthread_rwlock_unlock(&hotplug_lock);
}

unsigned int wl_num_online_cpus(void)
{
	return atomic_load_explicit(&wl_nr_online, memory_order_relaxed);
}

/* ---------------------------------------------------------------------- */
/* The sender side                                                        */

struct ipi_waiter {
	struct wl_stall_wait stall;
	unsigned int spins;
	bool yielded; /* since the last stall check */
};

/*
 * One turn of a wait loop of a sender, which has IRQs enabled.  After a
 * yield the caller looks again at whom it waits for, then checks for a
 * stall (ipi_wait_check()) with that fresh mask: a CPU that acked while
 * we were off the PU must not be judged as a holder.
 */
static void ipi_wait_relax(struct ipi_waiter *w)
{
	/* Take our own IPIs: two CPUs may be calling each other. */
	wl_ipi_poll();
	cpu_relax();
	if (++w->spins % SPINS_PER_YIELD == 0) {
		sched_yield();
		w->yielded = true;
	}
}

static void ipi_wait_check(struct ipi_waiter *w,
			   const struct wl_cpumask *holders)
{
	if (!w->yielded)
		return;
	w->yielded = false;
	wl_stall_check(&w->stall, holders);
}

static bool csd_idle(struct wl_csd *csd)
{
	/*
	 * acquire: the target's ack; pairs with the release in csd_run().
	 * We see what fn did, and may refill the slot.
	 */
	return atomic_load_explicit(&csd->state, memory_order_acquire) ==
	       CSD_IDLE;
}

static void csd_publish(struct wl_cpu *t, int row, wl_smp_call_func_t fn,
			void *info, int kind, uint64_t now)
{
	struct wl_csd *csd = &t->csd[row];

	csd->fn = fn;
	csd->info = info;
	csd->kind = kind;
	atomic_store_explicit(&csd->sent_ns, now, memory_order_relaxed);
	/*
	 * release: publishes fn, info, and the caller's writes before the
	 * call (which fn may read); pairs with the acquire in csd_run().
	 */
	atomic_store_explicit(&csd->state, CSD_PENDING, memory_order_release);
	/*
	 * release: the slot before its row bit; pairs with the acquire
	 * exchange of the word in csd_drain().
	 */
	atomic_fetch_or_explicit(&t->csd_rows[row / 64],
				 UINT64_C(1) << (row % 64),
				 memory_order_release);
}

/* Under hotplug_lock for read: t is online and its tid valid. */
static void ipi_kick(struct wl_cpu *t, struct wl_cpu_stats *st)
{
	/*
	 * release: orders our slot's publication before the kick; pairs
	 * with the acquire exchange in csd_drain().  0 means nobody kicked
	 * since the target's last drain: we must.
	 */
	if (atomic_exchange_explicit(&t->kick, 1, memory_order_release))
		return;
	if (wl_ipi_poll_mode)
		return;
	if (tgkill(wl_smp_pid, t->tid, wl_ipi_sig)) {
		/* Cannot happen while t is online; say so loudly. */
		fprintf(stderr, "walklab: BUG: IPI to CPU tid %d: %s\n",
			(int)t->tid, strerror(errno));
		abort();
	}
	stat_add(&st->signals, 1);
}

/*
 * Under hotplug_lock for read: the online CPUs of mask but us, in *targets,
 * and those of them whose slot of our row still holds an earlier call
 * (wait=false) that they have not taken, in *busy.
 */
static void choose_targets(const struct wl_cpumask *mask, int row,
			   struct wl_cpumask *targets, struct wl_cpumask *busy)
{
	int cpu;

	wl_cpumask_zero(targets);
	wl_cpumask_zero(busy);
	wl_for_each_cpu(cpu, mask)
	{
		/* Relaxed: hotplug_lock orders it against up/down. */
		if (cpu == row || !atomic_load_explicit(&wl_cpus[cpu].online,
							memory_order_relaxed))
			continue;
		wl_cpumask_set(targets, cpu);
		if (!csd_idle(&wl_cpus[cpu].csd[row]))
			wl_cpumask_set(busy, cpu);
	}
}

/* Wait until every CPU of left has acked our row's call; time it. */
static void ipi_wait_acks(struct ipi_waiter *w, struct wl_cpumask *left,
			  int row, struct wl_cpu_stats *st, uint64_t t0)
{
	uint64_t dt;
	int cpu;

	for (;;) {
		wl_for_each_cpu(cpu, left)
		{
			if (csd_idle(&wl_cpus[cpu].csd[row]))
				wl_cpumask_clear(left, cpu);
		}
		if (wl_cpumask_empty(left))
			break;
		ipi_wait_check(w, left);
		ipi_wait_relax(w);
	}
	dt = wl_now_ns() - t0;
	stat_add(&st->waits, 1);
	stat_add(&st->wait_ns, dt);
	stat_max(&st->wait_max_ns, dt);
	wl_hist_add(&st->wait_hist, dt);
}

unsigned int smp_call_function_many(const struct wl_cpumask *mask,
				    wl_smp_call_func_t fn, void *info,
				    bool wait)
{
	static _Atomic bool warned;
	struct wl_cpu *me = wl_irq.cpu;
	int row = me ? wl_irq.cpu_id : CSD_ROW_NOCPU;
	struct wl_cpu_stats *st = me ? &me->stats : &nocpu_stats;
	struct wl_cpumask targets, busy, left = {{0}};
	struct ipi_waiter w = {.spins = 0, .yielded = false};
	int kind = ipi_kind == WL_IPI_UNLABELLED ? WL_IPI_BACKEND : ipi_kind;
	unsigned int n = 0;
	uint64_t t0;
	int cpu;

	if (me && wl_irq.disabled)
		warn_once(&warned,
			  "smp_call_function_many() with IRQs disabled");
	if (!me)
		pthread_mutex_lock(&nocpu_lock); /* the shared row is ours */
	/*
	 * The kernel's send is fully ordered (llist_add()'s cmpxchg in
	 * smp_call_function_many_cond()): it drains the store buffer.
	 */
	wl_sb_barrier(WL_SB_DRAIN_RMW);
	wl_stall_wait_init(&w.stall, "IPI ack");

	/*
	 * Choose the targets under the lock, never from an unlocked look at
	 * the online mask (there is no lockless fast path, even with no CPU
	 * up): a CPU going online concurrently either is seen online here,
	 * or goes online after we unlock and then sees all we did before
	 * (a table unlinked, say), because the lock orders the two critical
	 * sections.  We never wait while holding it: a slot still busy with
	 * our previous call is waited for outside, and we start over.
	 */
	for (;;) {
		pthread_rwlock_rdlock(&hotplug_lock);
		choose_targets(mask, row, &targets, &busy);
		if (wl_cpumask_empty(&busy))
			break;
		pthread_rwlock_unlock(&hotplug_lock);
		wl_for_each_cpu(cpu, &busy)
		{
			struct wl_cpumask one = {{0}};

			wl_cpumask_set(&one, cpu);
			while (!csd_idle(&wl_cpus[cpu].csd[row])) {
				ipi_wait_check(&w, &one);
				ipi_wait_relax(&w);
			}
		}
	}
	t0 = wl_now_ns();
	wl_for_each_cpu(cpu, &targets)
	{
		csd_publish(&wl_cpus[cpu], row, fn, info, kind, t0);
		ipi_kick(&wl_cpus[cpu], st);
		wl_cpumask_set(&left, cpu);
		n++;
	}
	pthread_rwlock_unlock(&hotplug_lock);
	stat_add(&st->sent, n);
	stat_add(&st->sent_kind[kind], n);

	if (wait && n)
		ipi_wait_acks(&w, &left, row, st, t0);
	wl_stall_wait_done(&w.stall);
	if (!me)
		pthread_mutex_unlock(&nocpu_lock);
	return n;
}

unsigned int smp_call_function(wl_smp_call_func_t fn, void *info, bool wait)
{
	struct wl_cpumask all;

	wl_cpumask_fill(&all);
	return smp_call_function_many(&all, fn, info, wait);
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

const char *const wl_ipi_kind_names[WL_NR_IPI_KINDS] = {
	[WL_IPI_FLUSH] = "flush",
	[WL_IPI_SYNC] = "sync",
	[WL_IPI_BACKEND] = "backend",
};

enum wl_ipi_kind wl_ipi_kind_set(enum wl_ipi_kind kind)
{
	enum wl_ipi_kind prev = ipi_kind;

	ipi_kind = kind;
	return prev;
}

enum wl_ipi_kind wl_ipi_kind_default(enum wl_ipi_kind kind)
{
	enum wl_ipi_kind prev = ipi_kind;

	if (prev == WL_IPI_UNLABELLED)
		ipi_kind = kind;
	return prev;
}

static void stats_sum(struct wl_ipi_stats *st, struct wl_cpu_stats *c)
{
	st->sent += stat_read(&c->sent);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		st->sent_kind[k] += stat_read(&c->sent_kind[k]);
		st->received_kind[k] += stat_read(&c->received_kind[k]);
	}
	st->received += stat_read(&c->received);
	st->deferred += stat_read(&c->deferred);
	st->signals += stat_read(&c->signals);
	st->waits += stat_read(&c->waits);
	st->wait_ns += stat_read(&c->wait_ns);
	st->wait_max_ns = WL_MAX(st->wait_max_ns, stat_read(&c->wait_max_ns));
}

void wl_ipi_stats(struct wl_ipi_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	for (cpu = 0; cpu < WL_NR_CPUS; cpu++)
		stats_sum(st, &wl_cpus[cpu].stats);
	stats_sum(st, &nocpu_stats);
}

uint64_t wl_ipi_taken_self(void)
{
	struct wl_cpu *c = wl_irq.cpu;

	return c ? stat_read(&c->stats.received) : 0;
}

void wl_ipi_sent_self(uint64_t sent[WL_NR_IPI_KINDS])
{
	struct wl_cpu_stats *st =
		wl_irq.cpu ? &wl_irq.cpu->stats : &nocpu_stats;

	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		sent[k] = stat_read(&st->sent_kind[k]);
}

void wl_ipi_wait_hist(struct wl_hist *h)
{
	int cpu;

	for (cpu = 0; cpu < WL_NR_CPUS; cpu++)
		wl_hist_merge(h, &wl_cpus[cpu].stats.wait_hist);
	wl_hist_merge(h, &nocpu_stats.wait_hist);
}

static void stats_zero(struct wl_cpu_stats *c)
{
	atomic_store_explicit(&c->sent, 0, memory_order_relaxed);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		atomic_store_explicit(&c->sent_kind[k], 0,
				      memory_order_relaxed);
		atomic_store_explicit(&c->received_kind[k], 0,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&c->received, 0, memory_order_relaxed);
	atomic_store_explicit(&c->deferred, 0, memory_order_relaxed);
	atomic_store_explicit(&c->signals, 0, memory_order_relaxed);
	atomic_store_explicit(&c->waits, 0, memory_order_relaxed);
	atomic_store_explicit(&c->wait_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&c->wait_max_ns, 0, memory_order_relaxed);
	wl_hist_reset(&c->wait_hist);
}

void wl_ipi_stats_reset(void)
{
	int cpu;

	for (cpu = 0; cpu < WL_NR_CPUS; cpu++)
		stats_zero(&wl_cpus[cpu].stats);
	stats_zero(&nocpu_stats);
}

const char *const wl_cpu_event_names[WL_NR_CPU_EVENTS] = {
	[WL_EV_GP_SYNC] = "gp_sync",
	[WL_EV_GP_CALL] = "gp_call",
	[WL_EV_POLLS] = "polls",
	[WL_EV_RCU_SCHED_GP] = "rcu_sched_gps",
	[WL_EV_RCU_SCHED_FQS] = "rcu_sched_fqs_ipis",
	[WL_EV_PV_DEFERRED] = "pv_flush_deferred",
	[WL_EV_PV_ENTRY] = "pv_entry_flush",
};

void wl_cpu_count(enum wl_cpu_event ev, uint64_t n)
{
	struct wl_cpu_stats *st =
		wl_irq.cpu ? &wl_irq.cpu->stats : &nocpu_stats;

	stat_add(&st->events[ev], n);
}

void wl_cpu_count_on(int cpu, enum wl_cpu_event ev, uint64_t n)
{
	struct wl_cpu_stats *st = cpu >= 0 && cpu < WL_NR_CPUS
					  ? &wl_cpus[cpu].stats
					  : &nocpu_stats;

	stat_add(&st->events[ev], n);
}

uint64_t wl_cpu_event_total(enum wl_cpu_event ev)
{
	uint64_t sum = stat_read(&nocpu_stats.events[ev]);

	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++)
		sum += stat_read(&wl_cpus[cpu].stats.events[ev]);
	return sum;
}

void wl_cpu_events_reset(unsigned int mask)
{
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++) {
		if (!(mask & WL_CPU_EVENT_BIT(ev)))
			continue;
		for (int cpu = 0; cpu < WL_NR_CPUS; cpu++)
			atomic_store_explicit(&wl_cpus[cpu].stats.events[ev], 0,
					      memory_order_relaxed);
		atomic_store_explicit(&nocpu_stats.events[ev], 0,
				      memory_order_relaxed);
	}
}

int wl_cpu_counts(int cpu, struct wl_cpu_counts *out)
{
	struct wl_cpu_stats *c;

	if (cpu == WL_CPU_SHARED)
		c = &nocpu_stats;
	else if (cpu >= 0 && cpu < WL_NR_CPUS)
		c = &wl_cpus[cpu].stats;
	else
		return -EINVAL;
	for (int k = 0; k < WL_NR_IPI_KINDS; k++) {
		out->sent_kind[k] = stat_read(&c->sent_kind[k]);
		out->received_kind[k] = stat_read(&c->received_kind[k]);
	}
	out->deferred = stat_read(&c->deferred);
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
		out->events[ev] = stat_read(&c->events[ev]);
	return 0;
}

void wl_cpu_thread_attr(pthread_attr_t *attr)
{
	pthread_attr_init(attr);
	pthread_attr_setstacksize(attr, WL_CPU_STACK);
}
