// SPDX-License-Identifier: MIT
/*
 * calib_floors.c - the clock and the system-call floor.
 *
 * The clock: CLOCK_MONOTONIC read back to back; every figure pays a share
 * of one clock-read pair per timed batch.
 *
 * Syscall floors, reported beside the figures, never subtracted: getppid
 * through syscall(2) (glibc does not cache it; no fd, no lock: entry, exit
 * and this kernel's mitigations), here; and vmsplice of a zero-length
 * iovec (the same entry plus fdget() and import_iovec(): vmsplice's own
 * floor), measured on vmsplice's pipe by calib_vmsplice.c.
 */
#include "calib_harness.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t op_clock(void *ctx, uint64_t n, int *err)
{
	volatile uint64_t sink = 0;
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	(void)err;
	for (uint64_t i = 0; i < n; i++)
		sink += wl_calib_clock_ns();
	(void)sink;
	return wl_calib_clock_ns() - t0;
}

static uint64_t op_getppid(void *ctx, uint64_t n, int *err)
{
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	for (uint64_t i = 0; i < n; i++) {
		if (syscall(SYS_getppid) < 0) {
			*err = errno;
			return WL_CALIB_OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

void wl_calib_floors(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	struct wl_calib_op op[2];
	unsigned int reps;

	op[0] = (struct wl_calib_op){.fn = op_clock, .what = "clock_gettime"};
	op[1] = (struct wl_calib_op){.fn = op_getppid, .what = "getppid"};
	reps = wl_calib_ops_run(op, 2, o);
	wl_calib_op_entry(&op[0], reps, &r->e[WL_CALIB_CLOCK]);
	wl_calib_op_entry(&op[1], reps, &r->e[WL_CALIB_FLOOR_GETPPID]);
	wl_calib_ops_free(op, 2);
}
