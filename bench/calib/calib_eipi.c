// SPDX-License-Identifier: MIT
/*
 * calib_eipi.c - our emulated IPI's round trip, and what it met.
 *
 * smp_call_function_many(wait=true) of core/smp.c from a simulated CPU to
 * one other simulated CPU spinning with IRQs enabled on another PU:
 * publish, kick (tgkill of a real-time signal, or nothing in poll
 * delivery), the target runs the function and acks, the sender sees the
 * ack.  Signal delivery includes a real IPI (the kernel kicks the
 * target's CPU to deliver the signal), a signal frame and sigreturn; poll
 * is cache-line transfers only.
 *
 * As for membarrier (calib_ipi.c), the target keeps a heartbeat, each
 * call is made once it has moved (the gate, not timed) and each call is
 * timed alone, a repetition's figure its median call.  Counted per
 * repetition: the cross calls sent (the row's calls per repetition) and
 * acked (the function ran on the target: emulated_ipi_acked, per call),
 * the fraction of calls across which the heartbeat went on
 * (emulated_ipi_running), and the share of the repetition's wall time
 * the target did not run (emulated_ipi_offcpu: 1 - its thread CPU time
 * / wall time, the gate's waits included, which is where most of it
 * goes).  A call that meets a preempted target waits for the scheduler,
 * not for the IPI path: calib_judge.c marks the figure invalid if too
 * many did.  The ratio to membarrier is taken from the printed rows
 * (calib_judge.c).  Under ThreadSanitizer asynchronous signals reach a
 * thread only at its intercepted calls, never in a spin loop: signal
 * delivery is then reported unavailable.
 */
#include "calib_harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Calls per repetition at least (a signal round trip can take 0.3 ms). */
#define EIPI_MIN_CALLS 200

struct eipi {
	_Atomic bool stop;
	_Atomic int target; /* its CPU id, or -1 until up, -2 if it failed */
	_Atomic unsigned long calls;
	struct wl_calib_beat beat;
	struct wl_cpumask mask;
	struct wl_calib_gate gate;
	struct wl_calib_calls timed;
	clockid_t tclock; /* the target thread's CPU-time clock */
	bool tclock_ok;
	bool rt;				/* SCHED_FIFO, not nice */
	double acked, running, offcpu;		/* of the last op call */
	double *acked_v, *running_v, *offcpu_v; /* per timed repetition */
};

/* The cross call: async-signal-safe. */
static void eipi_fn(void *info)
{
	struct eipi *x = info;

	atomic_fetch_add_explicit(&x->calls, 1, memory_order_relaxed);
}

static void *eipi_target(void *arg)
{
	struct eipi *x = arg;
	int id = wl_cpu_up("calib-target");
	struct wl_calib_prio prio;
	unsigned long n = 0;

	/* release: our CPU is online before the sender sees the id */
	atomic_store_explicit(&x->target, id < 0 ? -2 : id,
			      memory_order_release);
	if (id < 0)
		return NULL;
	wl_calib_boost(&prio, x->rt); /* a thread's own: gone at exit */
	/* Spin with IRQs enabled; poll delivery needs us to look. */
	while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
		if (wl_ipi_poll_mode && wl_ipi_poll_pending())
			wl_irq_replay();
		atomic_store_explicit(&x->beat.n, ++n, memory_order_relaxed);
		cpu_relax();
	}
	wl_cpu_down();
	return NULL;
}

/* The target thread's CPU time in ns, or 0 if unknown. */
static uint64_t target_cpu_ns(const struct eipi *x)
{
	struct timespec ts;

	if (!x->tclock_ok || clock_gettime(x->tclock, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t op_eipi(void *ctx, uint64_t n, int *err)
{
	struct eipi *x = ctx;
	unsigned long a0 =
		atomic_load_explicit(&x->calls, memory_order_relaxed);
	uint64_t c0 = target_cpu_ns(x), w0 = wl_calib_clock_ns(), seen = 0;

	wl_calib_gate_begin(&x->gate);
	wl_calib_calls_begin(&x->timed, n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0;

		wl_calib_gate_wait(&x->gate);
		t0 = wl_calib_clock_ns();
		if (smp_call_function_many(&x->mask, eipi_fn, x, true) != 1) {
			*err = ENXIO; /* the target went offline */
			return WL_CALIB_OP_FAIL;
		}
		wl_calib_calls_add(&x->timed, wl_calib_clock_ns() - t0);
		seen += wl_calib_gate_moved(&x->gate);
	}
	w0 = wl_calib_clock_ns() - w0;
	c0 = target_cpu_ns(x) - c0;
	/* wait=true: each ack was seen before its call returned */
	x->acked =
		(double)(atomic_load_explicit(&x->calls, memory_order_relaxed) -
			 a0) /
		(double)n;
	x->running = (double)seen / (double)n;
	/* Two clocks read a little apart: a running target may exceed 1 */
	x->offcpu = x->tclock_ok && w0 ? 1.0 - (double)c0 / (double)w0 : NAN;
	x->offcpu = x->offcpu < 0 ? 0 : x->offcpu;
	return wl_calib_calls_end(&x->timed);
}

static void eipi_rep_done(void *ctx, unsigned int rep)
{
	struct eipi *x = ctx;

	x->acked_v[rep] = x->acked;
	x->running_v[rep] = x->running;
	x->offcpu_v[rep] = x->offcpu;
}

static void eipi_stop(struct eipi *x, pthread_t th)
{
	atomic_store_explicit(&x->stop, true, memory_order_relaxed);
	pthread_join(th, NULL);
	wl_cpu_down();
	wl_smp_fini();
}

/*
 * Bring up the simulated machine, our CPU and the target's on its own
 * thread, spinning; 0, or -1 with the reason in why (all torn down).
 */
static int eipi_start(struct eipi *x, enum wl_ipi_delivery delivery,
		      pthread_t *th, char *why, size_t len)
{
	struct wl_smp_config cfg;
	int ret, me, tgt;

	wl_smp_config_default(&cfg);
	cfg.delivery = delivery;
	cfg.pin = WL_PIN_AUTO;
	cfg.nr_cpus_hint = 2;
	cfg.stall_panic_ns = 0; /* report a stall, never abort for it */
	ret = wl_smp_init(&cfg);
	if (ret) {
		snprintf(why, len, "wl_smp_init: %s%s", strerror(-ret),
			 ret == -EBUSY ? " (simulated CPUs online)" : "");
		return -1;
	}
	me = wl_cpu_up("calib");
	if (me < 0) {
		snprintf(why, len, "wl_cpu_up: %s", strerror(-me));
		wl_smp_fini();
		return -1;
	}
	if (pthread_create(th, NULL, eipi_target, x)) {
		snprintf(why, len, "pthread_create failed");
		wl_cpu_down();
		wl_smp_fini();
		return -1;
	}
	/* acquire: pairs with the target's release of its id */
	while ((tgt = atomic_load_explicit(&x->target, memory_order_acquire)) ==
	       -1)
		sched_yield();
	if (tgt < 0) {
		snprintf(why, len, "target wl_cpu_up failed");
		eipi_stop(x, *th);
		return -1;
	}
	wl_cpumask_set(&x->mask, tgt);
	x->tclock_ok = !pthread_getcpuclockid(*th, &x->tclock);
	return 0;
}

/* The rows of one delivery: ns/call, acked, running, off-CPU share. */
enum { ROW_NS, ROW_ACKED, ROW_RUNNING, ROW_OFFCPU, NR_ROWS };

static void eipi_rows(struct wl_calib_report *r, bool sig,
		      struct wl_calib_entry *rows[NR_ROWS])
{
	rows[ROW_NS] = &r->e[sig ? WL_CALIB_EIPI_SIGNAL : WL_CALIB_EIPI_POLL];
	rows[ROW_ACKED] = &r->e[sig ? WL_CALIB_EIPI_SIGNAL_ACKED
				    : WL_CALIB_EIPI_POLL_ACKED];
	rows[ROW_RUNNING] = &r->e[sig ? WL_CALIB_EIPI_SIGNAL_RUNNING
				      : WL_CALIB_EIPI_POLL_RUNNING];
	rows[ROW_OFFCPU] = &r->e[sig ? WL_CALIB_EIPI_SIGNAL_OFFCPU
				     : WL_CALIB_EIPI_POLL_OFFCPU];
}

static void eipi_measure(struct eipi *x, const struct wl_calib_opts *o,
			 struct wl_calib_entry *rows[NR_ROWS])
{
	struct wl_calib_op op = {.fn = op_eipi,
				 .ctx = x,
				 .what = "emulated IPI",
				 .min_iters = EIPI_MIN_CALLS,
				 .rep_done = eipi_rep_done};
	unsigned int reps;

	x->gate = (struct wl_calib_gate){
		.beat = {&x->beat},
		.nr = 1,
		.on = true,
		.budget_ns = WL_CALIB_GATE_BUDGET(o->rep_ns)};
	reps = wl_calib_ops_run(&op, 1, o);
	wl_calib_op_entry(&op, reps, rows[ROW_NS]);
	if (rows[ROW_NS]->status != WL_CALIB_OK) {
		for (int i = ROW_ACKED; i < NR_ROWS; i++)
			wl_calib_unavail(rows[i], "%s", rows[ROW_NS]->reason);
	} else {
		wl_calib_entry_stats(rows[ROW_ACKED], x->acked_v, reps,
				     op.iters);
		wl_calib_entry_stats(rows[ROW_RUNNING], x->running_v, reps,
				     op.iters);
		if (x->tclock_ok)
			wl_calib_entry_stats(rows[ROW_OFFCPU], x->offcpu_v,
					     reps, op.iters);
		else
			wl_calib_unavail(rows[ROW_OFFCPU],
					 "no thread CPU-time clock");
	}
	wl_calib_ops_free(&op, 1);
	free(x->timed.v);
}

void wl_calib_eipi(const struct wl_calib_opts *o, struct wl_calib_report *r,
		   enum wl_ipi_delivery delivery)
{
	struct wl_calib_entry *rows[NR_ROWS];
	struct eipi x = {.target = -1, .rt = o->rt};
	char why[sizeof(rows[0]->reason)];
	struct wl_calib_prio prio;
	pthread_t th;

	wl_calib_boost(&prio, o->rt);
	eipi_rows(r, delivery == WL_IPI_SIGNAL, rows);
	if (delivery == WL_IPI_SIGNAL && WL_TSAN)
		snprintf(why, sizeof(why),
			 "TSan defers signals past spin loops");
	else if (!eipi_start(&x, delivery, &th, why, sizeof(why)))
		why[0] = 0;
	x.acked_v = calloc(o->repeats, sizeof(double));
	x.running_v = calloc(o->repeats, sizeof(double));
	x.offcpu_v = calloc(o->repeats, sizeof(double));
	if (!why[0] && (!x.acked_v || !x.running_v || !x.offcpu_v))
		snprintf(why, sizeof(why), "out of memory");
	if (why[0]) {
		for (int i = 0; i < NR_ROWS; i++)
			wl_calib_unavail(rows[i], "%s", why);
	} else {
		eipi_measure(&x, o, rows);
	}
	if (x.target >= 0)
		eipi_stop(&x, th);
	free(x.acked_v);
	free(x.running_v);
	free(x.offcpu_v);
	wl_calib_unboost(&prio);
}
