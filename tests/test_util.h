/* SPDX-License-Identifier: MIT */
/*
 * test_util.h - bring a small simulated machine up for a test.
 */
#ifndef WALKLAB_TEST_UTIL_H
#define WALKLAB_TEST_UTIL_H

#include "arch.h"
#include "backend.h"
#include "check.h"
#include "gup.h"
#include "machine.h"
#include "mm.h"
#include "mmu_gather.h"

/*
 * A small machine (2 GiB of frames, 4 Ki tables) on the given arch, with the
 * calling thread as CPU 0.  Violations are reset and the checker is on.
 */
void tu_machine_up(enum wl_arch arch);
/* Destroys nothing itself: call wl_mm_destroy() on your mms first. */
void tu_machine_down(void);

/*
 * The end of a test on one mm (a suite's .fini, or the test's end): the
 * test hooks (injection, the PTE-map window) off, no RCU-sched grace
 * period in flight, wl_bugs cleared, the mm destroyed; then it expects
 * nothing leaked (wl_machine_check_balance()) and no violation since
 * tu_machine_up(), and takes the machine down.  In a .fini these
 * expectations fail the test through tu_verdict.c (Criterion) or
 * tu_nocriterion.c.
 */
void tu_mm_down(struct wl_mm *mm);

#endif /* WALKLAB_TEST_UTIL_H */
