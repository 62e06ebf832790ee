// SPDX-License-Identifier: MIT
/*
 * calib_ipi.c - the host's real IPIs: membarrier, and the evidence that
 * they were sent (function-call interrupts, heartbeats, the gate), which
 * the emulated IPI's probe (calib_eipi.c) shares.
 *
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), registered first: the
 * kernel IPIs every CPU currently running a thread of this mm and waits
 * (smp_call_function_many(..., wait=1)).  In a one-thread process it
 * takes its single-user shortcut (mm_users == 1) and sends none: that is
 * the others=0 row, the floor.  With one spinning thread pinned on each
 * other PU it IPIs those CPUs, but only those whose spinner is on CPU at
 * the time of the call: on a shared machine a spinner gets a share of its
 * CPU, and a call that finds it preempted is the floor plus a CPU scan.
 *
 * So every spinner keeps a heartbeat while it runs on its CPU
 * (sched_getcpu()), each call is made once every heartbeat has moved
 * (the gate, not timed), and each call is timed alone (one clock read
 * of overhead, the CLOCK row, in every figure of this file and of
 * calib_eipi.c); a repetition's figure is its median call
 * (wl_calib_calls_end()).  What the calls met is counted, not assumed: the
 * function-call interrupts (x86's CAL) of the spinners' CPUs, read from
 * /proc/interrupts before and after each repetition, per call and
 * spinner (membarrier_ipis), and the fraction of calls across which every
 * heartbeat went on, seen within WL_CALIB_MOVED_NS of the return
 * (membarrier_running).  calib_judge.c marks the figure
 * invalid below WL_CALIB_MIN_IPIS.  Sources of error: another source of
 * function-call interrupts on those CPUs in the same interval counts as
 * ours (the others=0 row measures that background, per call); a spinner
 * preempted between the gate and the call shows as a missing IPI.
 *
 * On a virtual machine the figure includes the hypervisor's IPI path
 * (exits, posted interrupts or not), which is the real cost there, too.
 * We pin with hwloc; if pinning is refused, the spinners may share a PU
 * with us and the variant says "unpinned".
 */
#include "calib_harness.h"
#include "results.h" /* wl_stats3() */

#include <errno.h>
#include <linux/membarrier.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Evidence: function-call interrupts, heartbeats, the gate               */

#define MAX_COLS 1024

/* The CPU number of each column of /proc/interrupts' header; how many. */
static int irq_columns(char *header, int *cpu)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(header, " \t\n", &save); t && n < MAX_COLS;
	     t = strtok_r(NULL, " \t\n", &save))
		if (!strncmp(t, "CPU", 3))
			cpu[n++] = atoi(t + 3);
	return n;
}

/* Does CPU c count: in cpus[0..n), or any but except if cpus is NULL? */
static bool irq_wanted(int c, const int *cpus, unsigned int n, int except)
{
	if (!cpus)
		return c != except;
	for (unsigned int i = 0; i < n; i++)
		if (cpus[i] == c)
			return true;
	return false;
}

int64_t wl_calib_fcall_irqs(const int *cpus, unsigned int n, int except)
{
	static int col[MAX_COLS];
	FILE *f = fopen("/proc/interrupts", "r");
	char *line = NULL, *p, *end;
	size_t len = 0;
	int64_t sum = -1;
	int ncols;

	if (!f)
		return -1;
	ncols = getline(&line, &len, f) > 0 ? irq_columns(line, col) : 0;
	while (ncols && getline(&line, &len, f) > 0) {
		if (!strstr(line, "Function call interrupts") ||
		    !(p = strchr(line, ':')))
			continue;
		sum = 0;
		for (int i = 0; i < ncols; i++, p = end) {
			unsigned long long v = strtoull(p + 1, &end, 10);

			if (end == p + 1) {
				sum = -1;
				break;
			}
			if (irq_wanted(col[i], cpus, n, except))
				sum += (int64_t)v;
		}
		break;
	}
	free(line);
	fclose(f);
	return sum;
}

/* Past this, a repetition's figure is its mean call (never so far). */
#define CALLS_MAX (UINT64_C(1) << 22)

void wl_calib_calls_begin(struct wl_calib_calls *c, uint64_t n)
{
	c->nr = 0;
	c->total = 0;
	if (n > c->cap && n <= CALLS_MAX) {
		double *v = realloc(c->v, n * sizeof(*v));

		if (v) {
			c->v = v;
			c->cap = n;
		}
	}
}

void wl_calib_calls_add(struct wl_calib_calls *c, uint64_t ns)
{
	if (c->nr < c->cap)
		c->v[c->nr] = (double)ns;
	c->nr++;
	c->total += ns;
}

uint64_t wl_calib_calls_end(struct wl_calib_calls *c)
{
	double st[3];

	if (!c->nr || c->nr > c->cap)
		return c->total;
	wl_stats3(c->v, (unsigned int)c->nr, st);
	return (uint64_t)(st[1] * (double)c->nr + 0.5);
}

bool wl_calib_boost(struct wl_calib_prio *saved, bool rt)
{
	id_t tid = (id_t)syscall(SYS_gettid);
	struct sched_param fifo = {.sched_priority = 1};

	*saved = (struct wl_calib_prio){0};
	if (rt) {
		saved->rt_set =
			!pthread_getschedparam(pthread_self(), &saved->policy,
					       &saved->param) &&
			!pthread_setschedparam(pthread_self(), SCHED_FIFO,
					       &fifo);
		return saved->rt_set;
	}
	errno = 0;
	saved->nice = getpriority(PRIO_PROCESS, tid);
	saved->nice_set = !(saved->nice == -1 && errno) &&
			  !setpriority(PRIO_PROCESS, tid, WL_CALIB_IPI_NICE);
	return saved->nice_set;
}

void wl_calib_unboost(const struct wl_calib_prio *saved)
{
	if (saved->rt_set)
		pthread_setschedparam(pthread_self(), saved->policy,
				      &saved->param);
	if (saved->nice_set)
		setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
			    saved->nice);
}

void wl_calib_gate_begin(struct wl_calib_gate *g)
{
	g->open = !g->on || !g->nr;
	g->waited_ns = 0;
	for (unsigned int i = 0; i < g->nr; i++)
		g->seen[i] = atomic_load_explicit(&g->beat[i]->n,
						  memory_order_relaxed);
}

void wl_calib_gate_wait(struct wl_calib_gate *g)
{
	uint64_t t0;

	if (g->open)
		return;
	t0 = wl_calib_clock_ns();
	for (unsigned int i = 0; i < g->nr; i++) {
		for (unsigned int k = 1;; k++) {
			unsigned long b = atomic_load_explicit(
				&g->beat[i]->n, memory_order_relaxed);

			if (b != g->seen[i]) {
				g->seen[i] = b;
				break;
			}
			if (!(k % 256) &&
			    wl_calib_clock_ns() - t0 + g->waited_ns >
				    g->budget_ns) {
				g->open = true;
				i = g->nr; /* waited_ns below, then done */
				break;
			}
			cpu_relax();
		}
	}
	g->waited_ns += wl_calib_clock_ns() - t0;
}

bool wl_calib_gate_moved(struct wl_calib_gate *g)
{
	uint64_t t0 = 0;
	bool all = g->nr > 0;

	for (unsigned int i = 0; i < g->nr; i++) {
		unsigned long b;

		/* An interrupted target resumes a little after the ack. */
		for (unsigned int k = 1;; k++) {
			b = atomic_load_explicit(&g->beat[i]->n,
						 memory_order_relaxed);
			if (b != g->seen[i] ||
			    (k % 64 == 1 && t0 &&
			     wl_calib_clock_ns() - t0 > WL_CALIB_MOVED_NS))
				break;
			if (!t0)
				t0 = wl_calib_clock_ns();
			cpu_relax();
		}
		all &= b != g->seen[i];
		g->seen[i] = b;
	}
	return all;
}

/* ---------------------------------------------------------------------- */
/* membarrier                                                             */

static long sys_membarrier(int cmd, unsigned int flags)
{
	return syscall(SYS_membarrier, cmd, flags, 0);
}

/* Query and register; "" if usable, else the reason. */
void wl_calib_membarrier_setup(char *why, size_t len)
{
	long mask = sys_membarrier(MEMBARRIER_CMD_QUERY, 0);

	why[0] = 0;
	if (mask < 0) {
		snprintf(why, len, "membarrier(QUERY): %s", strerror(errno));
		return;
	}
	if (!(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
		snprintf(why, len,
			 "no MEMBARRIER_CMD_PRIVATE_EXPEDITED "
			 "(query mask 0x%lx)",
			 mask);
		return;
	}
	if (sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0))
		snprintf(why, len, "membarrier(REGISTER_PRIVATE_EXPEDITED): %s",
			 strerror(errno));
}

struct spinner {
	pthread_t thread;
	struct wl_calib_pin *pin;
	unsigned int pu;
	_Atomic bool *stop;
	_Atomic int *ready;
	_Atomic bool pinned;
	_Atomic int cpu; /* sched_getcpu() once pinned */
	bool park;	 /* negative control: sleep, do not spin */
	bool rt;	 /* SCHED_FIFO, not nice */
	bool started;
	struct wl_calib_beat beat;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;
	struct wl_calib_prio prio; /* a thread's own: gone when it exits */
	unsigned long n = 0;
	int cpu;

	/* pin is read-only here; hwloc's set_cpubind is thread-safe. */
	atomic_store_explicit(&s->pinned, wl_calib_pin_self(s->pin, s->pu),
			      memory_order_relaxed);
	wl_calib_boost(&prio, s->rt);
	cpu = sched_getcpu();
	atomic_store_explicit(&s->cpu, cpu, memory_order_relaxed);
	/*
	 * release: our pinning, pinned flag and CPU before the count;
	 * pairs with the acquire in spinners_start().
	 */
	atomic_fetch_add_explicit(s->ready, 1, memory_order_release);
	while (!atomic_load_explicit(s->stop, memory_order_relaxed)) {
		if (s->park) {
			usleep(5000);
			continue;
		}
		/* A heartbeat only where the IPIs are counted. */
		if (sched_getcpu() == cpu)
			atomic_store_explicit(&s->beat.n, ++n,
					      memory_order_relaxed);
		cpu_relax();
	}
	return NULL;
}

/*
 * One spinner on each of PUs 1..n, waited for until pinned; returns how
 * many started, and clears *all_pinned unless every one is pinned.
 */
static unsigned int spinners_start(struct spinner *sp, unsigned int n,
				   struct wl_calib_pin *pin, _Atomic bool *stop,
				   _Atomic int *ready, bool *all_pinned,
				   const struct wl_calib_opts *o)
{
	unsigned int started = 0;

	for (unsigned int i = 0; i < n; i++) {
		sp[i] = (struct spinner){.pin = pin,
					 .pu = i + 1,
					 .stop = stop,
					 .ready = ready,
					 .park = o->park_targets,
					 .rt = o->rt};
		sp[i].started = !pthread_create(&sp[i].thread, NULL,
						spinner_main, &sp[i]);
		started += sp[i].started;
	}
	/* acquire: the spinners' pinning is done; pairs with their add. */
	while (atomic_load_explicit(ready, memory_order_acquire) < (int)started)
		sched_yield();
	for (unsigned int i = 0; i < n; i++)
		*all_pinned &= sp[i].started &&
			       atomic_load_explicit(&sp[i].pinned,
						    memory_order_relaxed);
	return started;
}

static void spinners_stop(struct spinner *sp, unsigned int n,
			  _Atomic bool *stop)
{
	atomic_store_explicit(stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < n; i++)
		if (sp[i].started)
			pthread_join(sp[i].thread, NULL);
}

/*
 * Calls per repetition at least: a fraction of IPIs delivered is then
 * known to 0.1% per repetition, whatever the calibration's timing found.
 */
#define MB_MIN_CALLS 1000

/* One membarrier measurement: its targets, gate and evidence. */
struct mb_probe {
	int cpus[WL_CALIB_GATE_MAX]; /* the targets' CPUs */
	unsigned int ncpus;	     /* 0: count every CPU but self */
	unsigned int per;	     /* IPIs expected per call (divisor) */
	int self;
	struct wl_calib_gate gate;
	struct wl_calib_calls calls;
	double ipis, running;	    /* of the last op call */
	double *ipis_v, *running_v; /* per timed repetition */
	bool counted;		    /* every repetition counted */
};

static uint64_t op_membarrier(void *ctx, uint64_t n, int *err)
{
	struct mb_probe *p = ctx;
	int64_t c0, c1;
	uint64_t seen = 0;

	wl_calib_gate_begin(&p->gate);
	wl_calib_calls_begin(&p->calls, n);
	c0 = wl_calib_fcall_irqs(p->ncpus ? p->cpus : NULL, p->ncpus, p->self);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0;

		wl_calib_gate_wait(&p->gate);
		t0 = wl_calib_clock_ns();
		if (sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)) {
			*err = errno;
			return WL_CALIB_OP_FAIL;
		}
		wl_calib_calls_add(&p->calls, wl_calib_clock_ns() - t0);
		seen += wl_calib_gate_moved(&p->gate);
	}
	c1 = wl_calib_fcall_irqs(p->ncpus ? p->cpus : NULL, p->ncpus, p->self);
	p->ipis =
		c0 < 0 || c1 < 0 ? NAN : (double)(c1 - c0) / (double)n / p->per;
	p->running = (double)seen / (double)n;
	return wl_calib_calls_end(&p->calls);
}

static void mb_rep_done(void *ctx, unsigned int rep)
{
	struct mb_probe *p = ctx;

	p->ipis_v[rep] = p->ipis;
	p->running_v[rep] = p->running;
	p->counted &= !isnan(p->ipis);
}

/* Run p R times into its rows: ns/call, IPIs per call, running (or NULL). */
static void mb_measure(struct mb_probe *p, const struct wl_calib_opts *o,
		       struct wl_calib_entry *ens, struct wl_calib_entry *eipi,
		       struct wl_calib_entry *erun)
{
	struct wl_calib_op op = {.fn = op_membarrier,
				 .ctx = p,
				 .what = "membarrier",
				 .min_iters = MB_MIN_CALLS,
				 .rep_done = mb_rep_done};
	unsigned int reps;

	p->ipis_v = calloc(o->repeats, sizeof(double));
	p->running_v = calloc(o->repeats, sizeof(double));
	p->counted = true;
	p->gate.budget_ns = WL_CALIB_GATE_BUDGET(o->rep_ns);
	if (!p->ipis_v || !p->running_v) {
		wl_calib_unavail(ens, "out of memory");
		reps = 0;
		op.failed = true;
	} else {
		reps = wl_calib_ops_run(&op, 1, o);
		wl_calib_op_entry(&op, reps, ens);
	}
	if (ens->status != WL_CALIB_OK)
		wl_calib_unavail(eipi, "%s", ens->reason);
	else if (!p->counted)
		wl_calib_unavail(eipi, "no function-call interrupt count "
				       "in /proc/interrupts");
	else
		wl_calib_entry_stats(eipi, p->ipis_v, reps, op.iters);
	if (erun && ens->status != WL_CALIB_OK)
		wl_calib_unavail(erun, "%s", ens->reason);
	else if (erun)
		wl_calib_entry_stats(erun, p->running_v, reps, op.iters);
	wl_calib_ops_free(&op, 1);
	free(p->ipis_v);
	free(p->running_v);
	free(p->calls.v);
	p->calls = (struct wl_calib_calls){0};
}

/* The others=N-1 rows unavailable, for reason why. */
static void mb_unavail_n(struct wl_calib_report *r, const char *why)
{
	for (int i = WL_CALIB_MEMBARRIER_N; i <= WL_CALIB_MEMBARRIER_N_RUNNING;
	     i++)
		wl_calib_unavail(&r->e[i], "%s", why);
}

/* others=N-1: the spinners up, their CPUs as targets, measured, stopped. */
static void mb_others(const struct wl_calib_opts *o, struct wl_calib_report *r,
		      struct wl_calib_pin *pin, unsigned int others)
{
	struct wl_calib_entry *en = &r->e[WL_CALIB_MEMBARRIER_N];
	struct spinner *sp = calloc(others, sizeof(*sp));
	struct mb_probe p = {.gate.on = !o->park_targets};
	_Atomic bool stop = false;
	_Atomic int ready = 0;
	bool all_pinned = wl_calib_pin_self(pin, 0);
	unsigned int started;

	if (!sp) {
		mb_unavail_n(r, "out of memory");
		return;
	}
	started =
		spinners_start(sp, others, pin, &stop, &ready, &all_pinned, o);
	for (unsigned int i = 0; i < others && p.ncpus < WL_CALIB_GATE_MAX;
	     i++) {
		if (!sp[i].started)
			continue;
		p.cpus[p.ncpus] =
			atomic_load_explicit(&sp[i].cpu, memory_order_relaxed);
		p.gate.beat[p.ncpus++] = &sp[i].beat;
	}
	p.gate.nr = p.ncpus;
	p.per = p.ncpus;
	snprintf(en->variant, sizeof(en->variant), "others=%u%s%s", p.ncpus,
		 all_pinned ? "" : " unpinned",
		 o->park_targets ? " parked" : "");
	snprintf(r->e[WL_CALIB_MEMBARRIER_N_IPIS].variant, sizeof(en->variant),
		 "%s", en->variant);
	snprintf(r->e[WL_CALIB_MEMBARRIER_N_RUNNING].variant,
		 sizeof(en->variant), "%s", en->variant);
	if (started)
		mb_measure(&p, o, en, &r->e[WL_CALIB_MEMBARRIER_N_IPIS],
			   &r->e[WL_CALIB_MEMBARRIER_N_RUNNING]);
	else
		mb_unavail_n(r, "pthread_create failed");
	spinners_stop(sp, others, &stop);
	free(sp);
}

void wl_calib_membarrier(const struct wl_calib_opts *o,
			 struct wl_calib_report *r, const char *mb_why,
			 struct wl_calib_pin *pin)
{
	struct wl_calib_entry *en = &r->e[WL_CALIB_MEMBARRIER_N];
	unsigned int others = pin->npus > 1 ? pin->npus - 1 : 0;
	struct mb_probe p0 = {.per = others ? others : 1};
	hwloc_bitmap_t saved;
	struct wl_calib_prio prio;

	if (others > WL_CALIB_GATE_MAX)
		others = WL_CALIB_GATE_MAX;
	snprintf(en->variant, sizeof(en->variant), "others=%u", others);
	snprintf(r->e[WL_CALIB_MEMBARRIER_N_IPIS].variant, sizeof(en->variant),
		 "others=%u", others);
	snprintf(r->e[WL_CALIB_MEMBARRIER_N_RUNNING].variant,
		 sizeof(en->variant), "others=%u", others);
	if (*mb_why) {
		for (int i = WL_CALIB_MEMBARRIER_0;
		     i <= WL_CALIB_MEMBARRIER_N_RUNNING; i++)
			wl_calib_unavail(&r->e[i], "%s", mb_why);
		return;
	}
	saved = wl_calib_pin_save(pin);
	wl_calib_pin_self(pin, 0);
	r->ipi_boosted = wl_calib_boost(&prio, o->rt);
	/* others=0: this thread alone; the other CPUs' background count */
	p0.self = sched_getcpu();
	mb_measure(&p0, o, &r->e[WL_CALIB_MEMBARRIER_0],
		   &r->e[WL_CALIB_MEMBARRIER_0_IPIS], NULL);
	if (others) {
		mb_others(o, r, pin, others);
	} else {
		mb_unavail_n(r, "single PU: no other CPU to IPI");
	}
	wl_calib_unboost(&prio);
	wl_calib_pin_restore(pin, saved);
}
