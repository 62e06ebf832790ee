// SPDX-License-Identifier: MIT
/*
 * calib_ipi.c - the host's real IPIs (membarrier) and our emulated one.
 *
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), registered first: the
 * kernel IPIs every CPU currently running a thread of this mm and waits
 * (smp_call_function_many(..., wait=1)).  With no other thread running it
 * sends none: syscall + CPU scan + two smp_mb().  With one spinning thread
 * pinned on each other PU it is N-1 real IPIs and their acks: the host's
 * IPI round trip.  On a virtual machine that includes the hypervisor's
 * IPI path (exits, posted interrupts or not): which is the real cost
 * there, too.  We pin with hwloc; if pinning is refused, the spinners may
 * share a PU with us and the figure says "unpinned".
 *
 * Emulated IPI: smp_call_function_many(wait=true) of core/smp.c from a
 * simulated CPU to one other simulated CPU spinning with IRQs enabled on
 * another PU: publish, kick (tgkill of a real-time signal, or nothing in
 * poll delivery), the target runs the function and acks, the sender sees
 * the ack.  Signal delivery includes a real IPI (the kernel kicks the
 * target's CPU to deliver the signal), a signal frame and sigreturn; poll
 * is cache-line transfers only.  membarrier with the same target spinning
 * is interleaved with it, and the ratio is taken per repetition.  Under
 * ThreadSanitizer asynchronous signals reach a thread only at its
 * intercepted calls, never in a spin loop: signal delivery is then
 * reported unavailable.
 */
#include "calib_harness.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* membarrier                                                             */

static long sys_membarrier(int cmd, unsigned int flags)
{
	return syscall(SYS_membarrier, cmd, flags, 0);
}

static uint64_t op_membarrier(void *ctx, uint64_t n, int *err)
{
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	for (uint64_t i = 0; i < n; i++) {
		if (sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)) {
			*err = errno;
			return WL_CALIB_OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
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
	bool started;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;

	/* pin is read-only here; hwloc's set_cpubind is thread-safe. */
	atomic_store_explicit(&s->pinned, wl_calib_pin_self(s->pin, s->pu),
			      memory_order_relaxed);
	/*
	 * release: our pinning (and the pinned flag) before the count;
	 * pairs with the acquire in spinners_start().
	 */
	atomic_fetch_add_explicit(s->ready, 1, memory_order_release);
	while (!atomic_load_explicit(s->stop, memory_order_relaxed))
		cpu_relax();
	return NULL;
}

/*
 * One spinner on each of PUs 1..n, waited for until pinned; returns how
 * many started, and clears *all_pinned unless every one is pinned.
 */
static unsigned int spinners_start(struct spinner *sp, unsigned int n,
				   struct wl_calib_pin *pin, _Atomic bool *stop,
				   _Atomic int *ready, bool *all_pinned)
{
	unsigned int started = 0;

	for (unsigned int i = 0; i < n; i++) {
		sp[i] = (struct spinner){
			.pin = pin, .pu = i + 1, .stop = stop, .ready = ready};
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

void wl_calib_membarrier(const struct wl_calib_opts *o,
			 struct wl_calib_report *r, const char *mb_why,
			 struct wl_calib_pin *pin)
{
	struct wl_calib_entry *e0 = &r->e[WL_CALIB_MEMBARRIER_0];
	struct wl_calib_entry *en = &r->e[WL_CALIB_MEMBARRIER_N];
	unsigned int others = pin->npus > 1 ? pin->npus - 1 : 0;
	struct spinner *sp = NULL;
	hwloc_bitmap_t saved;
	_Atomic bool stop = false;
	_Atomic int ready = 0;
	bool all_pinned;
	struct wl_calib_op op;
	unsigned int started;

	snprintf(en->variant, sizeof(en->variant), "others=%u", others);
	if (*mb_why) {
		wl_calib_unavail(e0, "%s", mb_why);
		wl_calib_unavail(en, "%s", mb_why);
		return;
	}
	saved = wl_calib_pin_save(pin);
	all_pinned = wl_calib_pin_self(pin, 0);
	op = (struct wl_calib_op){.fn = op_membarrier, .what = "membarrier"};
	wl_calib_op_measure(&op, o, e0);

	if (!others || !(sp = calloc(others, sizeof(*sp)))) {
		wl_calib_unavail(en, "%s",
				 others ? "out of memory"
					: "single PU: no other CPU to IPI");
		wl_calib_pin_restore(pin, saved);
		return;
	}
	started = spinners_start(sp, others, pin, &stop, &ready, &all_pinned);
	snprintf(en->variant, sizeof(en->variant), "others=%u%s", started,
		 all_pinned ? "" : " unpinned");
	if (started) {
		op = (struct wl_calib_op){.fn = op_membarrier,
					  .what = "membarrier"};
		wl_calib_op_measure(&op, o, en);
	} else {
		wl_calib_unavail(en, "pthread_create failed");
	}
	spinners_stop(sp, others, &stop);
	free(sp);
	wl_calib_pin_restore(pin, saved);
}

/* ---------------------------------------------------------------------- */
/* The emulated IPI                                                       */

struct eipi {
	_Atomic bool stop;
	_Atomic int target; /* its CPU id, or -1 until up, -2 if it failed */
	_Atomic unsigned long calls;
	struct wl_cpumask mask;
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

	/* release: our CPU is online before the sender sees the id */
	atomic_store_explicit(&x->target, id < 0 ? -2 : id,
			      memory_order_release);
	if (id < 0)
		return NULL;
	/* Spin with IRQs enabled; poll delivery needs us to look. */
	while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
		if (wl_ipi_poll_mode && wl_ipi_poll_pending())
			wl_irq_replay();
		cpu_relax();
	}
	wl_cpu_down();
	return NULL;
}

static uint64_t op_eipi(void *ctx, uint64_t n, int *err)
{
	struct eipi *x = ctx;
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (smp_call_function_many(&x->mask, eipi_fn, x, true) != 1) {
			*err = ENXIO; /* the target went offline */
			return WL_CALIB_OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
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
	return 0;
}

void wl_calib_eipi(const struct wl_calib_opts *o, struct wl_calib_report *r,
		   enum wl_ipi_delivery delivery, const char *mb_why)
{
	bool sig = delivery == WL_IPI_SIGNAL;
	struct wl_calib_entry *e =
		&r->e[sig ? WL_CALIB_EIPI_SIGNAL : WL_CALIB_EIPI_POLL];
	struct wl_calib_entry *er = &r->e[sig ? WL_CALIB_EIPI_SIGNAL_RATIO
					      : WL_CALIB_EIPI_POLL_RATIO];
	struct eipi x = {.target = -1};
	struct wl_calib_op ops[2];
	char why[sizeof(e->reason)];
	unsigned int reps;
	pthread_t th;

	if (sig && WL_TSAN) {
		wl_calib_unavail(e, "TSan defers signals past spin loops");
		wl_calib_unavail(er, "%s", e->reason);
		return;
	}
	if (eipi_start(&x, delivery, &th, why, sizeof(why))) {
		wl_calib_unavail(e, "%s", why);
		wl_calib_unavail(er, "%s", e->reason);
		return;
	}
	/* membarrier first in each repetition, with the target spinning */
	ops[0] =
		(struct wl_calib_op){.fn = op_membarrier, .what = "membarrier"};
	ops[1] = (struct wl_calib_op){
		.fn = op_eipi, .ctx = &x, .what = "emulated IPI"};
	if (*mb_why) {
		reps = wl_calib_ops_run(&ops[1], 1, o);
		wl_calib_unavail(er, "%s", mb_why);
	} else {
		reps = wl_calib_ops_run(ops, 2, o);
		wl_calib_derive(er, &ops[1], &ops[0], reps, 1.0, true);
	}
	wl_calib_op_entry(&ops[1], reps, e);
	wl_calib_ops_free(ops, 2);
	eipi_stop(&x, th);
}
