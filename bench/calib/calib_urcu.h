/* SPDX-License-Identifier: MIT */
/*
 * calib_urcu.h - between calib_urcu.c, compiled once per liburcu flavor
 * with only that flavor's headers, and the harness that runs it.
 */
#ifndef WALKLAB_CALIB_URCU_H
#define WALKLAB_CALIB_URCU_H

#include <stdint.h>

/* The clock every figure uses (CLOCK_MONOTONIC, ns). */
uint64_t wl_calib_clock_ns(void);

/* One liburcu flavor: wl_calib_urcu_<flavor>, from calib_urcu.c. */
struct wl_calib_urcu_ops {
	const char *name;
	void (*reg)(void);
	void (*unreg)(void);
	uint64_t (*read_pairs)(uint64_t n); /* ns for n lock+unlock pairs */
	uint64_t (*sync)(uint64_t n);	    /* ns for n synchronize_rcu() */
	uint64_t (*quiescent)(uint64_t n);  /* qsbr only; else NULL */
};

#endif /* WALKLAB_CALIB_URCU_H */
