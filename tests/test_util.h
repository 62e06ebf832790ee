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

#endif /* WALKLAB_TEST_UTIL_H */
