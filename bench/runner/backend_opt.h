/* SPDX-License-Identifier: MIT */
/*
 * backend_opt.h - options every command of the per-backend executables
 * shares.  Each exits 2 with one line naming the valid values on bad
 * input.
 */
#ifndef WALKLAB_BACKEND_OPT_H
#define WALKLAB_BACKEND_OPT_H

#include "arch.h"

/*
 * --backend-opt KEY=VALUE: hands the option to wl_backend.set_option(),
 * or exits 2 with a line naming the backend's valid options.
 */
void wl_backend_opt(const char *kv);

/* --arch NAME: one of core/arch.c's names, or exit 2 naming them. */
enum wl_arch wl_parse_arch(const char *opt, const char *name);

#endif /* WALKLAB_BACKEND_OPT_H */
