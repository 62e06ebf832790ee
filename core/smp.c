// SPDX-License-Identifier: MIT
/*
 * smp.c - simulated CPUs, soft IRQ masking and IPIs.
 *
 * CPUs.  A CPU is a thread that called wl_cpu_up(); it owns cpus[id] and
 * reaches it through the thread-local wl_irq.  CPUs may be pinned to host
 * PUs with hwloc (see cpu_pin()).
 *
 * Call slots.  As the kernel's per-CPU call_single_data, every (sender,
 * target) pair has its own slot, cpus[target].csd[sender]; senders that are
 * not CPUs share the extra row CSD_ROW_NOCPU, serialized by nocpu_lock.  A
 * slot is IDLE or PENDING and only its sender moves it to PENDING, so a
 * sender needs no lock to fill it, only to wait for it to be IDLE again.
 *
 * Delivery protocol, sender S to target T:
 *
 *   S: wait for csd[S] IDLE           (acquire; pairs with T's ack)
 *   S: fn, info; state = PENDING      (release; pairs with T's scan)
 *   S: if xchg(T->kick, 1) == 0       (release; pairs with T's clear)
 *          signal T  (not in poll mode: T finds kick set when it polls)
 *   T: handler: if IRQs masked, pending = 1 and return; else replay:
 *   T:   xchg(T->kick, 0)              (acquire; pairs with S's kick)
 *   T:   for each slot PENDING         (acquire; pairs with S's publish)
 *          fn(info); state = IDLE      (release; pairs with S's wait)
 *   S: with wait, spin until every slot it filled is IDLE (acquire)
 *
 * kick is a "signal in flight or poll needed" flag, so a storm of calls to
 * one CPU costs one signal.  It cannot lose a call: both sides exchange
 * it, and exchanges on one word are totally ordered.  If S's exchange comes
 * first, T's clearing exchange reads S's 1 (or a later exchange of the same
 * release sequence), synchronizes with S, and T's scan sees the slot.  If
 * T's comes first, S reads 0 and kicks again.
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
#include "smp.h"

#include <errno.h>
#include <hwloc.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define CSD_ROW_NOCPU WL_NR_CPUS /* the row of senders that are not CPUs */
#define NR_CSD_ROWS   (WL_NR_CPUS + 1)

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
	_Atomic uint64_t sent_ns; /* for stall reports */
};

struct wl_cpu_stats {
	_Atomic uint64_t sent;
	_Atomic uint64_t received;
	_Atomic uint64_t deferred;
	_Atomic uint64_t signals;
	_Atomic uint64_t waits;
	_Atomic uint64_t wait_ns;
	_Atomic uint64_t wait_max_ns;
	struct wl_hist wait_hist;
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
	/* Copy of wl_irq.off_since_ns, for stall reports (relaxed). */
	_Atomic uint64_t irq_off_since_ns;

	/* Written by the owner only (relaxed: statistics). */
	__wl_cacheline_aligned struct wl_cpu_stats stats;

	/* Indexed by sender. */
	struct wl_csd csd[NR_CSD_ROWS];
};

static struct wl_cpu cpus[WL_NR_CPUS];
static struct wl_cpu_stats nocpu_stats; /* senders that are not CPUs */

_Thread_local struct wl_irq_state wl_irq = {.cpu_id = -1};

/* Set by wl_smp_init() before any CPU runs; poll under TSan by default. */
bool wl_ipi_poll_mode = WL_TSAN;

/* Writer-preferring, so that a stream of senders cannot starve down(). */
static pthread_rwlock_t hotplug_lock =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_mutex_t cpu_id_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t nocpu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* One past the highest CPU id ever used: drains scan rows below it. */
static _Atomic int cpu_hwm;
static _Atomic unsigned int nr_online;
static _Atomic unsigned int peak_online;

static struct wl_smp_config smp_cfg = {
	.delivery = WL_TSAN ? WL_IPI_POLL : WL_IPI_SIGNAL,
	.pin = WL_PIN_AUTO,
	.stall_ns = 2000000000ull,
	.stall_panic_ns = 30000000000ull,
};
static bool smp_inited; /* under init_lock */
static bool handler_installed;
/* Copies of the stall thresholds, read by any waiter (relaxed). */
static _Atomic uint64_t stall_ns_cur = 2000000000ull;
static _Atomic uint64_t stall_panic_ns_cur = 30000000000ull;
static _Atomic uint64_t stall_count;
static pid_t smp_pid;
static int ipi_sig;

/* hwloc: one topology, not safe for concurrent use: topo_lock. */
static pthread_mutex_t topo_lock = PTHREAD_MUTEX_INITIALIZER;
static hwloc_topology_t topo;
static bool topo_ok;
static _Atomic unsigned int host_pus = 1;
static _Atomic unsigned int nr_pinned, nr_unpinned;

/* Statistics are relaxed: nothing is ordered by them. */
static inline void stat_add(_Atomic uint64_t *p, uint64_t v)
{
	atomic_fetch_add_explicit(p, v, memory_order_relaxed);
}

static inline uint64_t stat_read(_Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static void stat_max(_Atomic uint64_t *p, uint64_t v)
{
	uint64_t cur = stat_read(p);

	while (v > cur &&
	       !atomic_compare_exchange_weak_explicit(
		       p, &cur, v, memory_order_relaxed, memory_order_relaxed))
		;
}

static void warn_once(_Atomic bool *done, const char *msg)
{
	if (!atomic_exchange_explicit(done, true, memory_order_relaxed))
		fprintf(stderr, "walklab: WARNING: %s\n", msg);
}

/* ---------------------------------------------------------------------- */
/* Configuration and host topology                                        */

static void env_ms(const char *var, uint64_t *ns)
{
	const char *s = getenv(var);
	char *end;
	unsigned long long ms;

	if (!s || !*s)
		return;
	errno = 0;
	ms = strtoull(s, &end, 10);
	if (errno || *end || ms > UINT64_MAX / 1000000u) {
		fprintf(stderr, "walklab: ignoring %s='%s' (want ms)\n", var,
			s);
		return;
	}
	*ns = (uint64_t)ms * 1000000u;
}

void wl_smp_config_default(struct wl_smp_config *cfg)
{
	const char *ipi = getenv("WALKLAB_IPI");

	memset(cfg, 0, sizeof(*cfg));
	/* TSan defers asynchronous signals to its interceptors. */
	cfg->delivery = WL_TSAN ? WL_IPI_POLL : WL_IPI_SIGNAL;
	cfg->pin = WL_PIN_AUTO;
	cfg->nr_cpus_hint = 0;
	cfg->stall_ns = 2000000000ull;
	cfg->stall_panic_ns = 30000000000ull;
	if (ipi && !strcmp(ipi, "signal"))
		cfg->delivery = WL_IPI_SIGNAL;
	else if (ipi && !strcmp(ipi, "poll"))
		cfg->delivery = WL_IPI_POLL;
	else if (ipi && *ipi)
		fprintf(stderr,
			"walklab: ignoring WALKLAB_IPI='%s' (want "
			"signal|poll)\n",
			ipi);
	env_ms("WALKLAB_STALL_MS", &cfg->stall_ns);
	env_ms("WALKLAB_STALL_PANIC_MS", &cfg->stall_panic_ns);
}

static void topo_init_locked(void)
{
	int n;

	if (topo_ok)
		return;
	if (hwloc_topology_init(&topo))
		goto fail;
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		goto fail;
	}
	n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	if (n <= 0) {
		hwloc_topology_destroy(topo);
		goto fail;
	}
	topo_ok = true;
	atomic_store_explicit(&host_pus, (unsigned int)n, memory_order_relaxed);
	return;
fail:
	/* Not fatal: no pinning, and the PU count from the OS. */
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	atomic_store_explicit(&host_pus, n > 0 ? (unsigned int)n : 1u,
			      memory_order_relaxed);
}

static void ipi_signal_handler(int sig);

static int smp_init_locked(const struct wl_smp_config *cfg)
{
	struct sigaction sa;

	if (cfg->delivery != WL_IPI_SIGNAL && cfg->delivery != WL_IPI_POLL)
		return -EINVAL;
	if (cfg->pin != WL_PIN_AUTO && cfg->pin != WL_PIN_NONE &&
	    cfg->pin != WL_PIN_FORCE)
		return -EINVAL;
	if (atomic_load_explicit(&nr_online, memory_order_relaxed))
		return -EBUSY;

	smp_pid = getpid();
	ipi_sig = SIGRTMIN;
	if (!handler_installed) {
		/*
		 * SA_RESTART: a CPU blocked in a lock or condition variable
		 * takes the IPI and goes back to sleep.  The handler stays
		 * installed for good: a signal sent just before a CPU went
		 * down may still arrive, and SIGRTMIN's default kills.
		 */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ipi_signal_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sigaction(ipi_sig, &sa, NULL))
			return -errno;
		handler_installed = true;
	}

	pthread_mutex_lock(&topo_lock);
	topo_init_locked();
	pthread_mutex_unlock(&topo_lock);

	smp_cfg = *cfg;
	/* Written only while no CPU runs; avoid even a same-value store. */
	if (wl_ipi_poll_mode != (cfg->delivery == WL_IPI_POLL))
		wl_ipi_poll_mode = cfg->delivery == WL_IPI_POLL;
	atomic_store_explicit(&stall_ns_cur, cfg->stall_ns,
			      memory_order_relaxed);
	atomic_store_explicit(&stall_panic_ns_cur, cfg->stall_panic_ns,
			      memory_order_relaxed);
	atomic_store_explicit(&nr_pinned, 0, memory_order_relaxed);
	atomic_store_explicit(&nr_unpinned, 0, memory_order_relaxed);
	atomic_store_explicit(&peak_online, 0, memory_order_relaxed);
	smp_inited = true;
	return 0;
}

int wl_smp_init(const struct wl_smp_config *cfg)
{
	int ret;

	pthread_mutex_lock(&init_lock);
	ret = smp_init_locked(cfg);
	pthread_mutex_unlock(&init_lock);
	return ret;
}

void wl_smp_fini(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&nr_online, memory_order_relaxed))
		fprintf(stderr,
			"walklab: WARNING: wl_smp_fini() with %u CPUs online\n",
			atomic_load_explicit(&nr_online, memory_order_relaxed));
	pthread_mutex_lock(&topo_lock);
	if (topo_ok) {
		hwloc_topology_destroy(topo);
		topo_ok = false;
	}
	pthread_mutex_unlock(&topo_lock);
	smp_inited = false;
	pthread_mutex_unlock(&init_lock);
}

static int smp_ensure_init(void)
{
	struct wl_smp_config cfg;
	int ret = 0;

	pthread_mutex_lock(&init_lock);
	if (!smp_inited) {
		wl_smp_config_default(&cfg);
		ret = smp_init_locked(&cfg);
	}
	pthread_mutex_unlock(&init_lock);
	return ret;
}

unsigned int wl_host_nr_pus(void)
{
	return atomic_load_explicit(&host_pus, memory_order_relaxed);
}

bool wl_smp_pinned(void)
{
	return atomic_load_explicit(&nr_pinned, memory_order_relaxed) &&
	       !atomic_load_explicit(&nr_unpinned, memory_order_relaxed);
}

bool wl_smp_oversubscribed(void)
{
	return atomic_load_explicit(&peak_online, memory_order_relaxed) >
	       wl_host_nr_pus();
}

/* Bind the calling thread to PU (id % PUs) when the policy says so. */
static void cpu_pin(struct wl_cpu *c, int id)
{
	hwloc_obj_t pu;
	unsigned int npus;
	bool want;

	c->pinned = false;
	c->pu = -1;
	pthread_mutex_lock(&topo_lock);
	npus = atomic_load_explicit(&host_pus, memory_order_relaxed);
	want = smp_cfg.pin == WL_PIN_FORCE ||
	       (smp_cfg.pin == WL_PIN_AUTO && smp_cfg.nr_cpus_hint &&
		smp_cfg.nr_cpus_hint <= npus);
	if (!want || !topo_ok)
		goto out;
	pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned int)id % npus);
	if (!pu)
		goto out;
	c->saved_bind = hwloc_bitmap_alloc();
	if (c->saved_bind &&
	    hwloc_get_cpubind(topo, c->saved_bind, HWLOC_CPUBIND_THREAD)) {
		hwloc_bitmap_free(c->saved_bind);
		c->saved_bind = NULL;
	}
	/* A restricted container may refuse: then we run unpinned. */
	if (!hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD)) {
		c->pinned = true;
		c->pu = (int)pu->logical_index;
	}
out:
	pthread_mutex_unlock(&topo_lock);
	if (want)
		atomic_fetch_add_explicit(c->pinned ? &nr_pinned : &nr_unpinned,
					  1, memory_order_relaxed);
}

static void cpu_unpin(struct wl_cpu *c)
{
	pthread_mutex_lock(&topo_lock);
	if (c->saved_bind) {
		if (c->pinned && topo_ok)
			hwloc_set_cpubind(topo, c->saved_bind,
					  HWLOC_CPUBIND_THREAD);
		hwloc_bitmap_free(c->saved_bind);
		c->saved_bind = NULL;
	}
	c->pinned = false;
	pthread_mutex_unlock(&topo_lock);
}

bool wl_cpu_check_placement(void)
{
	struct wl_cpu *c = wl_irq.cpu;
	hwloc_bitmap_t where;
	hwloc_obj_t pu;
	bool ok = false;

	if (!c || !c->pinned)
		return false;
	pthread_mutex_lock(&topo_lock);
	where = hwloc_bitmap_alloc();
	pu = topo_ok ? hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU,
					     (unsigned int)c->pu)
		     : NULL;
	if (where && pu &&
	    !hwloc_get_last_cpu_location(topo, where, HWLOC_CPUBIND_THREAD))
		ok = hwloc_bitmap_isincluded(where, pu->cpuset);
	hwloc_bitmap_free(where);
	pthread_mutex_unlock(&topo_lock);
	return ok;
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
	int s, hwm;

	/*
	 * acquire: clear the kick before the scan, and see every slot
	 * published before a kick we clear; pairs with the release
	 * exchange in ipi_kick().  A sender that kicks after this reads 0
	 * and kicks again, so a slot the scan misses is not lost.
	 */
	atomic_exchange_explicit(&c->kick, 0, memory_order_acquire);
	/* Relaxed: a sender raised it before publishing (ordered above). */
	hwm = atomic_load_explicit(&cpu_hwm, memory_order_relaxed);
	for (s = 0; s < hwm; s++)
		csd_run(c, &c->csd[s]);
	csd_run(c, &c->csd[CSD_ROW_NOCPU]);
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
static void ipi_signal_handler(int sig)
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
	sigaddset(&set, ipi_sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int wl_cpu_up(const char *name)
{
	struct wl_cpu *c = NULL;
	unsigned int n, peak;
	int id, ret;

	if (wl_irq.cpu)
		return -EEXIST;
	ret = smp_ensure_init();
	if (ret)
		return ret;

	pthread_mutex_lock(&cpu_id_lock);
	for (id = 0; id < WL_NR_CPUS; id++) {
		if (!cpus[id].registered) {
			c = &cpus[id];
			break;
		}
	}
	if (!c) {
		pthread_mutex_unlock(&cpu_id_lock);
		return -EBUSY;
	}
	c->registered = true;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "cpu");
	c->tid = gettid();
	c->thread = pthread_self();
	c->irq = &wl_irq;
	if (atomic_load_explicit(&cpu_hwm, memory_order_relaxed) < id + 1)
		atomic_store_explicit(&cpu_hwm, id + 1, memory_order_relaxed);
	pthread_mutex_unlock(&cpu_id_lock);

	/* No sender targets us until online: plain set-up. */
	atomic_store_explicit(&c->kick, 0, memory_order_relaxed);
	atomic_store_explicit(&c->irq_off_since_ns, 0, memory_order_relaxed);
	wl_irq.disabled = 0;
	wl_irq.pending = 0;
	wl_irq.off_since_ns = 0;
	wl_irq.cpu_id = id;
	barrier(); /* cpu_id before cpu: the handler keys on cpu */
	wl_irq.cpu = c;
	ipi_signal_unblock();
	cpu_pin(c, id);

	/* The write lock publishes the set-up above to senders. */
	pthread_rwlock_wrlock(&hotplug_lock);
	atomic_store_explicit(&c->online, true, memory_order_relaxed);
	n = atomic_fetch_add_explicit(&nr_online, 1, memory_order_relaxed) + 1;
	peak = atomic_load_explicit(&peak_online, memory_order_relaxed);
	if (n > peak)
		atomic_store_explicit(&peak_online, n, memory_order_relaxed);
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
	pthread_rwlock_wrlock(&hotplug_lock);
	atomic_store_explicit(&c->online, false, memory_order_relaxed);
	atomic_fetch_sub_explicit(&nr_online, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&hotplug_lock);
	wl_irq_replay(); /* runs until kick and pending are clear */

	cpu_unpin(c);
	wl_irq.cpu = NULL;
	barrier(); /* a late handler sees no CPU before cpu_id goes */
	wl_irq.cpu_id = -1;
	wl_irq.off_since_ns = 0;
	pthread_mutex_lock(&cpu_id_lock);
	c->registered = false;
	pthread_mutex_unlock(&cpu_id_lock);
}

void wl_cpu_online_mask(struct wl_cpumask *mask)
{
	int cpu, hwm = atomic_load_explicit(&cpu_hwm, memory_order_relaxed);

	mask->bits = 0;
	for (cpu = 0; cpu < hwm; cpu++)
		if (atomic_load_explicit(&cpus[cpu].online,
					 memory_order_relaxed))
			wl_cpumask_set(mask, cpu);
}

unsigned int wl_num_online_cpus(void)
{
	return atomic_load_explicit(&nr_online, memory_order_relaxed);
}

/* ---------------------------------------------------------------------- */
/* The sender side                                                        */

struct ipi_waiter {
	struct wl_stall_wait stall;
	unsigned int spins;
};

/* One turn of a wait loop of a sender, which has IRQs enabled. */
static void ipi_wait_relax(struct ipi_waiter *w,
			   const struct wl_cpumask *holders)
{
	/* Take our own IPIs: two CPUs may be calling each other. */
	wl_ipi_poll();
	cpu_relax();
	if (++w->spins % SPINS_PER_YIELD == 0) {
		sched_yield();
		wl_stall_check(&w->stall, holders);
	}
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

static void csd_publish(struct wl_csd *csd, wl_smp_call_func_t fn, void *info,
			uint64_t now)
{
	csd->fn = fn;
	csd->info = info;
	atomic_store_explicit(&csd->sent_ns, now, memory_order_relaxed);
	/*
	 * release: publishes fn, info, and the caller's writes before the
	 * call (which fn may read); pairs with the acquire in csd_run().
	 */
	atomic_store_explicit(&csd->state, CSD_PENDING, memory_order_release);
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
	if (tgkill(smp_pid, t->tid, ipi_sig)) {
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

	targets->bits = 0;
	busy->bits = 0;
	wl_for_each_cpu(cpu, mask)
	{
		/* Relaxed: hotplug_lock orders it against up/down. */
		if (cpu == row || !atomic_load_explicit(&cpus[cpu].online,
							memory_order_relaxed))
			continue;
		wl_cpumask_set(targets, cpu);
		if (!csd_idle(&cpus[cpu].csd[row]))
			wl_cpumask_set(busy, cpu);
	}
}

unsigned int smp_call_function_many(const struct wl_cpumask *mask,
				    wl_smp_call_func_t fn, void *info,
				    bool wait)
{
	static _Atomic bool warned;
	struct wl_cpu *me = wl_irq.cpu;
	int row = me ? wl_irq.cpu_id : CSD_ROW_NOCPU;
	struct wl_cpu_stats *st = me ? &me->stats : &nocpu_stats;
	struct wl_cpumask targets, busy, left = {0};
	struct ipi_waiter w = {.spins = 0};
	unsigned int n = 0;
	uint64_t t0, dt;
	int cpu;

	if (me && wl_irq.disabled)
		warn_once(&warned,
			  "smp_call_function_many() with IRQs disabled");
	if (!me)
		pthread_mutex_lock(&nocpu_lock); /* the shared row is ours */
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
			while (!csd_idle(&cpus[cpu].csd[row]))
				ipi_wait_relax(&w, &busy);
		}
	}
	t0 = wl_now_ns();
	wl_for_each_cpu(cpu, &targets)
	{
		csd_publish(&cpus[cpu].csd[row], fn, info, t0);
		ipi_kick(&cpus[cpu], st);
		wl_cpumask_set(&left, cpu);
		n++;
	}
	pthread_rwlock_unlock(&hotplug_lock);
	stat_add(&st->sent, n);

	if (wait && n) {
		for (;;) {
			wl_for_each_cpu(cpu, &left)
			{
				if (csd_idle(&cpus[cpu].csd[row]))
					wl_cpumask_clear(&left, cpu);
			}
			if (wl_cpumask_empty(&left))
				break;
			ipi_wait_relax(&w, &left);
		}
		dt = wl_now_ns() - t0;
		stat_add(&st->waits, 1);
		stat_add(&st->wait_ns, dt);
		stat_max(&st->wait_max_ns, dt);
		wl_hist_add(&st->wait_hist, dt);
	}
	if (!me)
		pthread_mutex_unlock(&nocpu_lock);
	return n;
}

unsigned int smp_call_function(wl_smp_call_func_t fn, void *info, bool wait)
{
	struct wl_cpumask all = {.bits = ~UINT64_C(0)};

	return smp_call_function_many(&all, fn, info, wait);
}

/* ---------------------------------------------------------------------- */
/* Blocking on behalf of a CPU                                            */

static bool block_must_poll(void)
{
	return wl_ipi_poll_mode && wl_irq.cpu;
}

static void block_backoff(unsigned int *turn)
{
	struct timespec ts = {0, 20000};

	wl_ipi_poll();
	if ((*turn)++ < 16)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

int wl_mutex_lock(pthread_mutex_t *m)
{
	unsigned int turn = 0;
	int ret;

	if (!block_must_poll())
		return pthread_mutex_lock(m);
	while ((ret = pthread_mutex_trylock(m)) == EBUSY)
		block_backoff(&turn);
	return ret;
}

int wl_rwlock_rdlock(pthread_rwlock_t *rw)
{
	unsigned int turn = 0;
	int ret;

	if (!block_must_poll())
		return pthread_rwlock_rdlock(rw);
	while ((ret = pthread_rwlock_tryrdlock(rw)) == EBUSY)
		block_backoff(&turn);
	return ret;
}

int wl_rwlock_wrlock(pthread_rwlock_t *rw)
{
	unsigned int turn = 0;
	int ret;

	if (!block_must_poll())
		return pthread_rwlock_wrlock(rw);
	while ((ret = pthread_rwlock_trywrlock(rw)) == EBUSY)
		block_backoff(&turn);
	return ret;
}

int wl_cond_wait(pthread_cond_t *cond, pthread_mutex_t *m)
{
	struct timespec ts;
	int ret;

	if (!block_must_poll())
		return pthread_cond_wait(cond, m);
	wl_ipi_poll();
	/* The default condvar clock; a spurious wake-up is allowed. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += POLL_BLOCK_NS;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	ret = pthread_cond_timedwait(cond, m, &ts);
	wl_ipi_poll();
	return ret == ETIMEDOUT ? 0 : ret;
}

void wl_sleep_ns(uint64_t ns)
{
	uint64_t end = wl_now_ns() + ns, now, step;
	struct timespec ts;

	while ((now = wl_now_ns()) < end) {
		step = end - now;
		if (block_must_poll()) {
			wl_ipi_poll();
			step = WL_MIN(step, (uint64_t)POLL_BLOCK_NS);
		}
		ts.tv_sec = (time_t)(step / 1000000000u);
		ts.tv_nsec = (long)(step % 1000000000u);
		nanosleep(&ts, NULL); /* EINTR: an IPI; the loop goes on */
	}
	if (block_must_poll())
		wl_ipi_poll();
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

static void stats_sum(struct wl_ipi_stats *st, struct wl_cpu_stats *c)
{
	st->sent += stat_read(&c->sent);
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
		stats_sum(st, &cpus[cpu].stats);
	stats_sum(st, &nocpu_stats);
}

void wl_ipi_wait_hist(struct wl_hist *h)
{
	int cpu;

	for (cpu = 0; cpu < WL_NR_CPUS; cpu++)
		wl_hist_merge(h, &cpus[cpu].stats.wait_hist);
	wl_hist_merge(h, &nocpu_stats.wait_hist);
}

static void stats_zero(struct wl_cpu_stats *c)
{
	atomic_store_explicit(&c->sent, 0, memory_order_relaxed);
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
		stats_zero(&cpus[cpu].stats);
	stats_zero(&nocpu_stats);
}

/* ---------------------------------------------------------------------- */
/* Stall detector                                                         */

void wl_stall_wait_init(struct wl_stall_wait *w, const char *what)
{
	w->start_ns = wl_now_ns();
	w->what = what;
	w->reported = false;
}

uint64_t wl_stall_count(void)
{
	return atomic_load_explicit(&stall_count, memory_order_relaxed);
}

/* Bit of signal sig in a /proc status mask line ("SigBlk:\t<hex>"). */
static int proc_sigmask_has(const char *line, int sig)
{
	unsigned long long m = strtoull(strchr(line, ':') + 1, NULL, 16);

	return (int)((m >> (sig - 1)) & 1);
}

/*
 * What the host says of a CPU's thread: run state (R running or
 * runnable, S sleeping, ...), the PU it last ran on, and whether the IPI
 * signal is pending or blocked for it.  Best effort, for stall reports.
 */
static void dump_host_thread(FILE *f, pid_t tid)
{
	char path[64], line[512], state = '?';
	int pu = -1, pnd = -1, blk = -1;
	const char *p;
	FILE *in;
	int field;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	in = fopen(path, "r");
	if (in) {
		if (fgets(line, sizeof(line), in) && (p = strrchr(line, ')'))) {
			/* Field 3 is the state, field 39 the last PU. */
			state = p[2];
			for (field = 2; *p && field < 39; p++)
				if (*p == ' ')
					field++;
			pu = atoi(p);
		}
		fclose(in);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	in = fopen(path, "r");
	if (in) {
		while (fgets(line, sizeof(line), in)) {
			if (!strncmp(line, "SigPnd:", 7))
				pnd = proc_sigmask_has(line, ipi_sig);
			else if (!strncmp(line, "SigBlk:", 7))
				blk = proc_sigmask_has(line, ipi_sig);
		}
		fclose(in);
	}
	fprintf(f,
		"        host thread %d: state %c, last on PU %d, IPI signal "
		"pending %d, blocked %d\n",
		(int)tid, state, pu, pnd, blk);
}

static void dump_cpu(FILE *f, int id, uint64_t now)
{
	struct wl_cpu *c = &cpus[id];
	uint64_t off, sent, oldest = UINT64_MAX;
	unsigned int npend = 0;
	int s;

	if (!c->registered) {
		fprintf(f, "    CPU %d: not up\n", id);
		return;
	}
	for (s = 0; s < NR_CSD_ROWS; s++) {
		if (atomic_load_explicit(&c->csd[s].state,
					 memory_order_relaxed) != CSD_PENDING)
			continue;
		npend++;
		sent = atomic_load_explicit(&c->csd[s].sent_ns,
					    memory_order_relaxed);
		oldest = WL_MIN(oldest, sent);
	}
	off = atomic_load_explicit(&c->irq_off_since_ns, memory_order_relaxed);
	if (!atomic_load_explicit(&c->online, memory_order_relaxed))
		fprintf(f, "    CPU %d (%s): going offline, pending IPIs %u\n",
			id, c->name, npend);
	else if (off)
		fprintf(f,
			"    CPU %d (%s): irqs disabled for %" PRIu64
			" ms, pending IPIs %u\n",
			id, c->name, (now - WL_MIN(off, now)) / 1000000u,
			npend);
	else if (npend)
		fprintf(f,
			"    CPU %d (%s): IPI not taken for %" PRIu64
			" ms (%s), pending IPIs %u\n",
			id, c->name, (now - WL_MIN(oldest, now)) / 1000000u,
			wl_ipi_poll_mode
				? "poll delivery: irqs disabled or not polling"
				: "signal not delivered: not running?",
			npend);
	else
		fprintf(f, "    CPU %d (%s): no IPI pending\n", id, c->name);
	dump_host_thread(f, c->tid);
}

void wl_smp_dump_cpus(FILE *f, const struct wl_cpumask *mask)
{
	uint64_t now = wl_now_ns();
	int cpu;

	/* cpu_id_lock: names and registration are stable while we print. */
	pthread_mutex_lock(&cpu_id_lock);
	wl_for_each_cpu(cpu, mask)
	{
		dump_cpu(f, cpu, now);
	}
	pthread_mutex_unlock(&cpu_id_lock);
}

static void stall_report(const char *level, struct wl_stall_wait *w,
			 uint64_t elapsed, const struct wl_cpumask *holders)
{
	struct wl_cpu *me = wl_irq.cpu;

	pthread_mutex_lock(&report_lock);
	flockfile(stderr);
	if (me)
		fprintf(stderr,
			"walklab: %s: %s stall: %" PRIu64
			" ms, waited on by CPU %d (%s)\n",
			level, w->what, elapsed / 1000000u, wl_irq.cpu_id,
			me->name);
	else
		fprintf(stderr,
			"walklab: %s: %s stall: %" PRIu64
			" ms, waited on by thread %d (not a CPU)\n",
			level, w->what, elapsed / 1000000u, (int)gettid());
	wl_smp_dump_cpus(stderr, holders);
	funlockfile(stderr);
	pthread_mutex_unlock(&report_lock);
}

bool wl_stall_check(struct wl_stall_wait *w, const struct wl_cpumask *holders)
{
	uint64_t stall =
		atomic_load_explicit(&stall_ns_cur, memory_order_relaxed);
	uint64_t panic =
		atomic_load_explicit(&stall_panic_ns_cur, memory_order_relaxed);
	uint64_t elapsed;

	if (!stall)
		return false;
	elapsed = wl_now_ns() - w->start_ns;
	if (!w->reported) {
		if (elapsed < stall)
			return false;
		w->reported = true;
		atomic_fetch_add_explicit(&stall_count, 1,
					  memory_order_relaxed);
		stall_report("INFO", w, elapsed, holders);
	}
	if (panic && elapsed >= panic) {
		stall_report("PANIC", w, elapsed, holders);
		fprintf(stderr,
			"walklab: stall longer than %" PRIu64 " ms, aborting\n",
			panic / 1000000u);
		abort();
	}
	return true;
}
