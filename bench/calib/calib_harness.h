/* SPDX-License-Identifier: MIT */
/*
 * calib_harness.h - what the calibration's probes share, inside
 * bench/calib/ only: the harness that repeats and times them
 * (calib_harness.c), the host's topology and provenance
 * (calib_machine.c), and each probe's entry point.
 *
 * A probe is a set of ops: an op performs n operations and returns the
 * nanoseconds they took.  wl_calib_ops_run() calibrates n for each, then
 * runs them R times interleaved; wl_calib_derive() makes a figure from
 * two ops per repetition, wl_calib_op_entry() one from one op.
 */
#ifndef WALKLAB_CALIB_HARNESS_H
#define WALKLAB_CALIB_HARNESS_H

#include "calib.h"
#include "calib_urcu.h"

#include "compiler.h"
#include "smp.h" /* enum wl_ipi_delivery */

#include <hwloc.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_CALIB_OP_FAIL UINT64_MAX

/* n operations; returns their ns, or WL_CALIB_OP_FAIL with *err (errno). */
typedef uint64_t (*wl_calib_op_fn)(void *ctx, uint64_t n, int *err);

struct wl_calib_op {
	wl_calib_op_fn fn;
	void *ctx;
	const char *what;   /* for the reason: "vmsplice", ... */
	uint64_t min_iters; /* calls per repetition at least (0: 1) */
	/* Optional: after timed repetition rep (not calibration runs). */
	void (*rep_done)(void *ctx, unsigned int rep);
	uint64_t iters;
	double *ns; /* ns/op of each repetition */
	int err;
	bool failed;
};

/* min/median/max of v[0..n) into e, ok (v is reordered). */
void wl_calib_entry_stats(struct wl_calib_entry *e, double *v, unsigned int n,
			  uint64_t iters);
/* Mark e unavailable, the reason printf-style; clears its numbers. */
void wl_calib_unavail(struct wl_calib_entry *e, const char *fmt, ...)
	__wl_printf(2, 3);

/*
 * Run ops[0..k) R times, interleaved; a failing op drops out (its reason
 * in op->err).  Returns the repetitions completed by all surviving ops.
 */
unsigned int wl_calib_ops_run(struct wl_calib_op *ops, int k,
			      const struct wl_calib_opts *o);
/* Copy op's result into e (samples are reordered, so call it last). */
void wl_calib_op_entry(struct wl_calib_op *op, unsigned int reps,
		       struct wl_calib_entry *e);
void wl_calib_ops_free(struct wl_calib_op *ops, int k);
/*
 * A figure derived per repetition from two ops: a - b scaled, or a / b.
 * Call before wl_calib_op_entry() reorders the samples.
 */
void wl_calib_derive(struct wl_calib_entry *e, struct wl_calib_op *a,
		     struct wl_calib_op *b, unsigned int reps, double scale,
		     bool ratio);
/* One op alone: run it, fill e, free its samples. */
void wl_calib_op_measure(struct wl_calib_op *op, const struct wl_calib_opts *o,
			 struct wl_calib_entry *e);

/* The host's PUs, through hwloc (ok) or sysconf (!ok: no pinning). */
struct wl_calib_pin {
	hwloc_topology_t topo;
	bool ok;
	unsigned int npus;
};

void wl_calib_pin_init(struct wl_calib_pin *p);
void wl_calib_pin_fini(struct wl_calib_pin *p);
/* The calling thread's binding, to restore (NULL if unknown). */
hwloc_bitmap_t wl_calib_pin_save(struct wl_calib_pin *p);
void wl_calib_pin_restore(struct wl_calib_pin *p, hwloc_bitmap_t b);
/* Bind the calling thread to PU idx; true on success. */
bool wl_calib_pin_self(struct wl_calib_pin *p, unsigned int idx);

/*
 * The IPI probes' evidence (calib_ipi.c).  Function-call interrupts
 * (x86's CAL row of /proc/interrupts, "Function call interrupts" on any
 * architecture): their sum over cpus[0..n), or over every CPU but
 * `except` if cpus is NULL; -1 if /proc/interrupts has no such row.
 */
int64_t wl_calib_fcall_irqs(const int *cpus, unsigned int n, int except);

/*
 * A thread's heartbeat: a counter it bumps while it runs (on its CPU).
 * No data is published through it, so plain relaxed accesses.
 */
struct wl_calib_beat {
	__wl_cacheline_aligned _Atomic unsigned long n;
};

#define WL_CALIB_GATE_MAX 8
/*
 * The gate's budget per repetition: 64 repetition lengths, at most
 * 0.5 s; a heartbeat's wait after a call.
 */
#define WL_CALIB_GATE_BUDGET(rep_ns)                                           \
	((rep_ns) < UINT64_C(7812500) ? 64 * (rep_ns) : UINT64_C(500000000))
#define WL_CALIB_MOVED_NS (50 * UINT64_C(1000))

/*
 * The gate of a timed call: wait until every heartbeat has moved since
 * the last look (its thread is running), so that the call meets running
 * targets.  The waits are not timed.  Past budget_ns of waiting in one op
 * call, the gate opens for the rest of it (calls then count as they come:
 * the IPI row says what they met).  on = false: never waits.
 */
struct wl_calib_gate {
	struct wl_calib_beat *beat[WL_CALIB_GATE_MAX];
	unsigned int nr;
	bool on;
	uint64_t budget_ns;
	/* per op call */
	bool open;
	uint64_t waited_ns;
	unsigned long seen[WL_CALIB_GATE_MAX];
};

/*
 * The IPI probes' threads (caller and targets) run at WL_CALIB_IPI_NICE
 * if allowed, or SCHED_FIFO priority 1 with --rt, so that the other
 * tenants of a shared machine preempt them less; the figures' validity
 * is counted regardless.  wl_calib_boost() raises the calling thread's
 * priority and saves what to restore; false if refused.
 */
#define WL_CALIB_IPI_NICE (-20)

struct wl_calib_prio {
	int nice;
	int policy;
	struct sched_param param;
	bool nice_set, rt_set;
};

bool wl_calib_boost(struct wl_calib_prio *saved, bool rt);
void wl_calib_unboost(const struct wl_calib_prio *saved);

/*
 * The IPI probes time each call alone and take, per repetition, the
 * median call: a caller preempted in mid-call (a shared machine) then
 * moves the figure no more than any one slow call.  wl_calib_calls_add()
 * records one call; wl_calib_calls_end() returns what the op returns:
 * the median times n (the harness divides by n), or the total if the
 * calls did not fit.
 */
struct wl_calib_calls {
	double *v;
	uint64_t nr, cap;
	uint64_t total;
};

void wl_calib_calls_begin(struct wl_calib_calls *c, uint64_t n);
void wl_calib_calls_add(struct wl_calib_calls *c, uint64_t ns);
uint64_t wl_calib_calls_end(struct wl_calib_calls *c);

void wl_calib_gate_begin(struct wl_calib_gate *g);
void wl_calib_gate_wait(struct wl_calib_gate *g);
/*
 * Did every heartbeat move since the last look, or within
 * WL_CALIB_MOVED_NS of now?  (Looks again.)
 */
bool wl_calib_gate_moved(struct wl_calib_gate *g);

/* The bracketed word of a sysfs THP setting, "absent" if no file. */
void wl_calib_thp_setting(const char *file, char *out, size_t len);
/* Where the figures came from (no hostname). */
void wl_calib_machine_describe(struct wl_calib_machine *m);

/* The liburcu flavors' names, in enum wl_urcu_flavor order. */
extern const char *const wl_calib_flavor_names[WL_URCU_NR_FLAVORS];

/*
 * The probes, in the order wl_calib_run() calls them; each fills its own
 * entries of r, ok or unavailable with a reason.  mb_why is "" when
 * membarrier is usable, else why not (wl_calib_membarrier_setup()).
 * wl_calib_judge() then marks the invalid ones.
 */
void wl_calib_floors(const struct wl_calib_opts *o, struct wl_calib_report *r);
void wl_calib_vmsplice(const struct wl_calib_opts *o, struct wl_calib_report *r,
		       bool thp);
void wl_calib_futex(const struct wl_calib_opts *o, struct wl_calib_report *r);
void wl_calib_membarrier_setup(char *why, size_t len);
void wl_calib_membarrier(const struct wl_calib_opts *o,
			 struct wl_calib_report *r, const char *mb_why,
			 struct wl_calib_pin *pin);
void wl_calib_eipi(const struct wl_calib_opts *o, struct wl_calib_report *r,
		   enum wl_ipi_delivery delivery);
void wl_calib_urcu(const struct wl_calib_opts *o, struct wl_calib_report *r);
/* calib_collapse.c: MADV_COLLAPSE's interrupts, beside the lab's. */
void wl_calib_collapse(const struct wl_calib_opts *o,
		       struct wl_calib_report *r);

#endif /* WALKLAB_CALIB_HARNESS_H */
