// SPDX-License-Identifier: MIT
/*
 * calib_harness.c - calibration against the real host: what the lab
 * models, measured on the machine it runs on, in the same run.  This file
 * is the harness: the figures' names, repetitions, timing and statistics,
 * and the run that calls the probes in turn.
 *
 * Protocol (after the kernel's refscale/rcuscale).  A measurement is a
 * function that performs n operations and returns the nanoseconds they
 * took.  It is first calibrated: n grows until one call takes about
 * rep_ns (this doubles as the warm-up); then it runs R times with that n,
 * each run giving ns/op, and we keep min/median/max.  The figures of one
 * group (vmsplice of 1/16/256 pages, futex private/shared) are
 * interleaved repetition by repetition, so a burst of noise from the
 * other tenants of this shared machine hits all of them alike, and a
 * difference is computed per repetition before taking its median: the
 * median of the differences, not the difference of the medians.  The IPI
 * figures are judged on what their calls met, and their ratios are built
 * from the printed rows (calib_judge.c).  Wall-clock figures are never
 * asserted: they are reported.
 *
 * What each figure is, and its sources of error, is told by its probe:
 * calib_floors.c (the clock and the system-call floor), calib_vmsplice.c
 * (the host's GUP-fast), calib_futex.c (one GUP-fast per shared futex
 * wake), calib_ipi.c (membarrier's real IPIs), calib_eipi.c (our
 * emulated IPI), calib_urcu.c and calib_urcu_probe.c (liburcu).
 *
 * Common sources of error: frequency scaling and other tenants (medians,
 * interleaving, min/max shown); the clock read itself (CLOCK row);
 * migrations (the IPI figures pin; the others run where the scheduler
 * puts them); first-touch effects (calibration is the warm-up).
 */
#include "calib_harness.h"
#include "results.h" /* wl_stats3() */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITERS (UINT64_C(1) << 32)

uint64_t wl_calib_clock_ns(void)
{
	return wl_now_ns();
}

/* ---------------------------------------------------------------------- */
/* Entries                                                                */

static const struct {
	const char *name;
	const char *variant; /* NULL: filled in by the measurement */
	const char *unit;
	unsigned int pages;
} entry_info[WL_CALIB_NR] = {
	[WL_CALIB_CLOCK] = {"clock_gettime", "monotonic", "ns/call", 0},
	[WL_CALIB_FLOOR_GETPPID] = {"syscall_floor", "getppid", "ns/call", 0},
	[WL_CALIB_FLOOR_VMSPLICE] = {"syscall_floor", "vmsplice_0", "ns/call",
				     0},
	[WL_CALIB_VMSPLICE_1] = {"vmsplice", "pages=1 thp=off", "ns/call", 1},
	[WL_CALIB_VMSPLICE_16] = {"vmsplice", "pages=16 thp=off", "ns/call",
				  16},
	[WL_CALIB_VMSPLICE_256] = {"vmsplice", "pages=256 thp=off", "ns/call",
				   256},
	[WL_CALIB_GUP_PAGE] = {"gup_fast_page", "thp=off", "ns/page", 1},
	[WL_CALIB_VMSPLICE_THP_1] = {"vmsplice", "pages=1 thp=on", "ns/call",
				     1},
	[WL_CALIB_VMSPLICE_THP_16] = {"vmsplice", "pages=16 thp=on", "ns/call",
				      16},
	[WL_CALIB_VMSPLICE_THP_256] = {"vmsplice", "pages=256 thp=on",
				       "ns/call", 256},
	[WL_CALIB_GUP_PAGE_THP] = {"gup_fast_page", "thp=on", "ns/page", 1},
	[WL_CALIB_FUTEX_PRIVATE] = {"futex_wake", "private", "ns/call", 0},
	[WL_CALIB_FUTEX_SHARED] = {"futex_wake", "shared", "ns/call", 0},
	[WL_CALIB_FUTEX_GUP] = {"futex_wake", "shared-private", "ns/call", 0},
	[WL_CALIB_MEMBARRIER_0] = {"membarrier", "others=0", "ns/call", 0},
	[WL_CALIB_MEMBARRIER_0_IPIS] = {"membarrier_ipis", "others=0",
					"ipi/call", 0},
	[WL_CALIB_MEMBARRIER_N] = {"membarrier", NULL, "ns/call", 0},
	[WL_CALIB_MEMBARRIER_N_IPIS] = {"membarrier_ipis", NULL, "ipi/call", 0},
	[WL_CALIB_MEMBARRIER_N_RUNNING] = {"membarrier_running", NULL,
					   "fraction", 0},
	[WL_CALIB_EIPI_SIGNAL] = {"emulated_ipi", "signal", "ns/call", 0},
	[WL_CALIB_EIPI_SIGNAL_ACKED] = {"emulated_ipi_acked", "signal",
					"ack/call", 0},
	[WL_CALIB_EIPI_SIGNAL_RUNNING] = {"emulated_ipi_running", "signal",
					  "fraction", 0},
	[WL_CALIB_EIPI_SIGNAL_OFFCPU] = {"emulated_ipi_offcpu", "signal",
					 "fraction", 0},
	[WL_CALIB_EIPI_POLL] = {"emulated_ipi", "poll", "ns/call", 0},
	[WL_CALIB_EIPI_POLL_ACKED] = {"emulated_ipi_acked", "poll", "ack/call",
				      0},
	[WL_CALIB_EIPI_POLL_RUNNING] = {"emulated_ipi_running", "poll",
					"fraction", 0},
	[WL_CALIB_EIPI_POLL_OFFCPU] = {"emulated_ipi_offcpu", "poll",
				       "fraction", 0},
	[WL_CALIB_EIPI_SIGNAL_RATIO] = {"ratio", "eipi_signal/membarrier", "x",
					0},
	[WL_CALIB_EIPI_POLL_RATIO] = {"ratio", "eipi_poll/membarrier", "x", 0},
};

const char *const wl_calib_flavor_names[WL_URCU_NR_FLAVORS] = {
	"memb", "qsbr", "mb", "bp", "signal"};

static void entries_init(struct wl_calib_report *r)
{
	for (int i = 0; i < WL_CALIB_NR; i++) {
		struct wl_calib_entry *e = &r->e[i];

		memset(e, 0, sizeof(*e));
		if (i >= WL_CALIB_URCU_READ && i < WL_CALIB_URCU_SYNC) {
			e->name = "urcu_read_pair";
			e->unit = "ns/op";
			snprintf(e->variant, sizeof(e->variant), "%s",
				 wl_calib_flavor_names[i - WL_CALIB_URCU_READ]);
		} else if (i >= WL_CALIB_URCU_SYNC &&
			   i < WL_CALIB_URCU_QSBR_QS) {
			e->name = "urcu_synchronize_rcu";
			e->unit = "ns/call";
			snprintf(e->variant, sizeof(e->variant), "%s",
				 wl_calib_flavor_names[i - WL_CALIB_URCU_SYNC]);
		} else if (i == WL_CALIB_URCU_QSBR_QS) {
			e->name = "urcu_quiescent_state";
			e->unit = "ns/call";
			snprintf(e->variant, sizeof(e->variant), "qsbr");
		} else {
			e->name = entry_info[i].name;
			e->unit = entry_info[i].unit;
			e->pages = entry_info[i].pages;
			if (entry_info[i].variant)
				snprintf(e->variant, sizeof(e->variant), "%s",
					 entry_info[i].variant);
		}
		/* Until measured: says so if a path forgets to. */
		e->status = WL_CALIB_UNAVAILABLE;
		snprintf(e->reason, sizeof(e->reason), "not measured");
	}
}

void wl_calib_unavail(struct wl_calib_entry *e, const char *fmt, ...)
{
	va_list ap;

	e->status = WL_CALIB_UNAVAILABLE;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	e->min = e->median = e->max = 0;
	e->repeats = 0;
	e->iters = 0;
}

void wl_calib_entry_stats(struct wl_calib_entry *e, double *v, unsigned int n,
			  uint64_t iters)
{
	if (!n) {
		wl_calib_unavail(e, "no repetition completed");
		return;
	}
	double st[3];

	wl_stats3(v, n, st);
	e->status = WL_CALIB_OK;
	e->reason[0] = 0;
	e->min = st[0];
	e->median = st[1];
	e->max = st[2];
	e->repeats = n;
	e->iters = iters;
}

/* ---------------------------------------------------------------------- */
/* Repetitions                                                            */

/* Grow n until one call takes about rep_ns; the warm-up, too. */
static int op_calibrate(struct wl_calib_op *op, uint64_t rep_ns)
{
	uint64_t n = 1, t;

	for (;;) {
		t = op->fn(op->ctx, n, &op->err);
		if (t == WL_CALIB_OP_FAIL)
			return -1;
		if (t >= rep_ns / 8 || n >= MAX_ITERS)
			break;
		/* Aim at rep_ns/4 next, at most 64 times more. */
		if (t == 0 || rep_ns / 4 / t > 64)
			n *= 64;
		else
			n = n * (rep_ns / 4 / t) + 1;
	}
	n = t ? (uint64_t)((double)n * (double)rep_ns / (double)t) : n;
	n = n < op->min_iters ? op->min_iters : n;
	op->iters = n < 1 ? 1 : n > MAX_ITERS ? MAX_ITERS : n;
	return 0;
}

/* Raw samples on stderr with WALKLAB_CALIB_DEBUG set, for the curious. */
static void ops_dump(const struct wl_calib_op *ops, int k, unsigned int reps)
{
	if (!getenv("WALKLAB_CALIB_DEBUG"))
		return;
	for (int i = 0; i < k; i++) {
		fprintf(stderr, "calib: %s x%llu:", ops[i].what,
			(unsigned long long)ops[i].iters);
		for (unsigned int j = 0; j < reps && !ops[i].failed; j++)
			fprintf(stderr, " %.1f", ops[i].ns[j]);
		fputc('\n', stderr);
	}
}

unsigned int wl_calib_ops_run(struct wl_calib_op *ops, int k,
			      const struct wl_calib_opts *o)
{
	unsigned int r;

	for (int i = 0; i < k; i++) {
		ops[i].failed = op_calibrate(&ops[i], o->rep_ns) < 0;
		ops[i].ns = calloc(o->repeats, sizeof(double));
		if (!ops[i].ns && !ops[i].failed) {
			ops[i].failed = true;
			ops[i].err = ENOMEM;
		}
	}
	for (r = 0; r < o->repeats; r++) {
		for (int i = 0; i < k; i++) {
			uint64_t t;

			if (ops[i].failed)
				continue;
			t = ops[i].fn(ops[i].ctx, ops[i].iters, &ops[i].err);
			if (t == WL_CALIB_OP_FAIL) {
				ops[i].failed = true;
				continue;
			}
			ops[i].ns[r] = (double)t / (double)ops[i].iters;
			if (ops[i].rep_done)
				ops[i].rep_done(ops[i].ctx, r);
		}
	}
	ops_dump(ops, k, r);
	return r;
}

void wl_calib_op_entry(struct wl_calib_op *op, unsigned int reps,
		       struct wl_calib_entry *e)
{
	if (op->failed) {
		wl_calib_unavail(e, "%s: %s", op->what, strerror(op->err));
		return;
	}
	wl_calib_entry_stats(e, op->ns, reps, op->iters);
}

void wl_calib_ops_free(struct wl_calib_op *ops, int k)
{
	for (int i = 0; i < k; i++) {
		free(ops[i].ns);
		ops[i].ns = NULL;
	}
}

void wl_calib_op_measure(struct wl_calib_op *op, const struct wl_calib_opts *o,
			 struct wl_calib_entry *e)
{
	unsigned int reps = wl_calib_ops_run(op, 1, o);

	wl_calib_op_entry(op, reps, e);
	wl_calib_ops_free(op, 1);
}

void wl_calib_derive(struct wl_calib_entry *e, struct wl_calib_op *a,
		     struct wl_calib_op *b, unsigned int reps, double scale,
		     bool ratio)
{
	double *v;

	if (a->failed || b->failed) {
		struct wl_calib_op *f = a->failed ? a : b;

		wl_calib_unavail(e, "needs %s: %s", f->what, strerror(f->err));
		return;
	}
	v = calloc(reps ? reps : 1, sizeof(*v));
	if (!v) {
		wl_calib_unavail(e, "out of memory");
		return;
	}
	for (unsigned int i = 0; i < reps; i++)
		v[i] = ratio ? (b->ns[i] > 0 ? a->ns[i] / b->ns[i] : 0)
			     : (a->ns[i] - b->ns[i]) * scale;
	wl_calib_entry_stats(e, v, reps, a->iters);
	free(v);
}

/* ---------------------------------------------------------------------- */
/* The run                                                                */

void wl_calib_opts_default(struct wl_calib_opts *o, bool quick)
{
	o->repeats = quick ? 5 : 11;
	o->rep_ns = quick ? 8000000u : 30000000u;
	o->verbose = false;
	o->park_targets = false;
	o->collapse_only = false;
	o->rt = false;
}

static void progress(const struct wl_calib_opts *o, const char *what)
{
	if (o->verbose)
		fprintf(stderr, "walklab: calibrate: %s\n", what);
}

/* The probes, in report order; membarrier's state is shared by two. */
static void run_probes(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	struct wl_calib_pin pin;
	char mb_why[112];

	if (o->collapse_only) {
		progress(o, "MADV_COLLAPSE");
		wl_calib_collapse(o, r);
		return;
	}
	progress(o, "floors");
	wl_calib_floors(o, r);

	progress(o, "vmsplice");
	wl_calib_vmsplice(o, r, false);
	wl_calib_vmsplice(o, r, true);
	progress(o, "futex");
	wl_calib_futex(o, r);

	progress(o, "membarrier");
	wl_calib_membarrier_setup(mb_why, sizeof(mb_why));
	wl_calib_pin_init(&pin);
	wl_calib_membarrier(o, r, mb_why, &pin);
	wl_calib_pin_fini(&pin);

	progress(o, "emulated IPI");
	wl_calib_eipi(o, r, WL_IPI_SIGNAL);
	wl_calib_eipi(o, r, WL_IPI_POLL);

	progress(o, "liburcu");
	wl_calib_urcu(o, r);

	progress(o, "MADV_COLLAPSE");
	wl_calib_collapse(o, r);
}

int wl_calib_run(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	struct wl_calib_opts opt = *o;
	uint64_t t0 = wl_calib_clock_ns();
	int ok = 0;

	if (!opt.repeats)
		opt.repeats = 1;
	if (!opt.rep_ns)
		opt.rep_ns = 1000000u;
	memset(r, 0, sizeof(*r));
	entries_init(r);
	wl_calib_machine_describe(&r->machine);
	r->repeats = opt.repeats;
	r->rep_ns = opt.rep_ns;
	r->rt = opt.rt;

	run_probes(&opt, r);
	wl_calib_judge(r);

	r->total_s = (double)(wl_calib_clock_ns() - t0) / 1e9;
	for (int i = 0; i < WL_CALIB_NR; i++)
		ok += r->e[i].status == WL_CALIB_OK;
	return ok;
}
