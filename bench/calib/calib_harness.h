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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_CALIB_OP_FAIL UINT64_MAX

/* n operations; returns their ns, or WL_CALIB_OP_FAIL with *err (errno). */
typedef uint64_t (*wl_calib_op_fn)(void *ctx, uint64_t n, int *err);

struct wl_calib_op {
	wl_calib_op_fn fn;
	void *ctx;
	const char *what; /* for the reason: "vmsplice", ... */
	uint64_t iters;
	double *ns; /* ns/op of each repetition */
	int err;
	bool failed;
};

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
		   enum wl_ipi_delivery delivery, const char *mb_why);
void wl_calib_urcu(const struct wl_calib_opts *o, struct wl_calib_report *r);

#endif /* WALKLAB_CALIB_HARNESS_H */
