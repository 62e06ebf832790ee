// SPDX-License-Identifier: MIT
/*
 * calib_judge.c - whether the IPI figures measured what they say, and the
 * ratios built on them.
 *
 * A membarrier figure with other threads is a figure of real IPIs only if
 * the IPIs happened: MEMBARRIER_CMD_PRIVATE_EXPEDITED interrupts only the
 * CPUs running a thread of this mm at the time of the call, so a spinner
 * that is preempted (the machine is shared) turns the call into the
 * syscall floor plus a CPU scan.  calib_ipi.c counts the function-call
 * interrupts delivered; here a figure whose count is below
 * WL_CALIB_MIN_IPIS per call and target in any repetition is marked
 * invalid: its numbers stay in view, marked, and nothing is derived from
 * it.  It must also have met its targets running (their heartbeats) in
 * as many calls, which no other tenant's interrupts can inflate.  The emulated IPI is judged alike on its acks and on the share of
 * calls that met its target running (its heartbeat).
 *
 * The ratios of the emulated IPI over membarrier are then computed from
 * the two rows exactly as printed (medians, and the extreme pairings for
 * min and max), so a reader can recompute them from the table.
 */
#include "calib_harness.h"

#include <math.h>

static void invalid(struct wl_calib_entry *e, const char *why,
		    const struct wl_calib_entry *by)
{
	e->status = WL_CALIB_INVALID;
	snprintf(e->reason, sizeof(e->reason), "%s %s %s: min %.2f %s < %.1f",
		 why, by->name, by->variant, by->min, by->unit,
		 WL_CALIB_MIN_IPIS);
}

/* e is valid only if its count row c is ok and at least the minimum. */
static void judge_count(struct wl_calib_entry *e,
			const struct wl_calib_entry *c)
{
	if (e->status != WL_CALIB_OK)
		return;
	if (c->status != WL_CALIB_OK) {
		e->status = WL_CALIB_INVALID;
		snprintf(e->reason, sizeof(e->reason),
			 "%s %s not counted: %.60s", c->name, c->variant,
			 c->reason);
		return;
	}
	if (c->min < WL_CALIB_MIN_IPIS)
		invalid(e, "only", c);
}

/* ratio = a / b from the printed rows a and b, or invalid with no number. */
static void ratio(struct wl_calib_entry *e, const struct wl_calib_entry *a,
		  const struct wl_calib_entry *b)
{
	const struct wl_calib_entry *bad = a->status != WL_CALIB_OK ? a : b;

	if (bad->status == WL_CALIB_UNAVAILABLE) {
		wl_calib_unavail(e, "needs %s %s", bad->name, bad->variant);
		return;
	}
	if (bad->status == WL_CALIB_INVALID || b->min <= 0) {
		wl_calib_unavail(e, "built on invalid %s %s", bad->name,
				 bad->variant);
		e->status = WL_CALIB_INVALID;
		return;
	}
	e->status = WL_CALIB_OK;
	e->reason[0] = 0;
	e->median = a->median / b->median;
	e->min = a->min / b->max;
	e->max = a->max / b->min;
	e->repeats = a->repeats < b->repeats ? a->repeats : b->repeats;
	e->iters = 0;
}

void wl_calib_judge(struct wl_calib_report *r)
{
	struct wl_calib_entry *e = r->e;

	judge_count(&e[WL_CALIB_MEMBARRIER_N], &e[WL_CALIB_MEMBARRIER_N_IPIS]);
	/* Another tenant's function calls on that CPU count as ours: */
	judge_count(&e[WL_CALIB_MEMBARRIER_N],
		    &e[WL_CALIB_MEMBARRIER_N_RUNNING]);
	judge_count(&e[WL_CALIB_EIPI_SIGNAL], &e[WL_CALIB_EIPI_SIGNAL_ACKED]);
	judge_count(&e[WL_CALIB_EIPI_SIGNAL], &e[WL_CALIB_EIPI_SIGNAL_RUNNING]);
	judge_count(&e[WL_CALIB_EIPI_POLL], &e[WL_CALIB_EIPI_POLL_ACKED]);
	judge_count(&e[WL_CALIB_EIPI_POLL], &e[WL_CALIB_EIPI_POLL_RUNNING]);
	ratio(&e[WL_CALIB_EIPI_SIGNAL_RATIO], &e[WL_CALIB_EIPI_SIGNAL],
	      &e[WL_CALIB_MEMBARRIER_N]);
	ratio(&e[WL_CALIB_EIPI_POLL_RATIO], &e[WL_CALIB_EIPI_POLL],
	      &e[WL_CALIB_MEMBARRIER_N]);
}
