/* SPDX-License-Identifier: MIT */
/*
 * machine.h - bring the whole simulated machine up and down: frame and
 * table pools, CPUs, the architecture model and the backend.
 */
#ifndef WALKLAB_MACHINE_H
#define WALKLAB_MACHINE_H

#include "arch.h"
#include "smp.h"

struct wl_machine_config {
	uint64_t nr_frames; /* simulated physical memory, in 4 KiB frames */
	uint32_t nr_tables; /* table pages in the pool */
	struct wl_smp_config smp;
	struct wl_arch_config arch;
};

void wl_machine_config_default(struct wl_machine_config *cfg);
/* Returns 0 or -errno; prints why on failure. */
int wl_machine_init(const struct wl_machine_config *cfg);
/* Drains the backend (every deferred free done), then frees the pools. */
void wl_machine_fini(void);
/*
 * After every mm is destroyed and every pin dropped: every frame must be
 * free with refcount and pincount zero, every table back in the pool
 * (waiting, blocked, up to 5 s for a deferring backend's frees).
 * Counts WL_V_REF_IMBALANCE violations; returns their number.
 */
uint64_t wl_machine_check_balance(void);

/*
 * Bring the calling thread up as a simulated CPU and tell the backend
 * (urcu registration, say); returns the CPU id or -errno.  wl_cpu_stop()
 * undoes both; call it outside any walk section, with IRQs enabled.
 */
int wl_cpu_start(const char *name);
void wl_cpu_stop(void);

/* Around a wait that may block: tell the backend (see backend.h). */
void wl_cpu_block_begin(void);
void wl_cpu_block_end(void);

#endif /* WALKLAB_MACHINE_H */
