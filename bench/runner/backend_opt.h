/* SPDX-License-Identifier: MIT */
/*
 * backend_opt.h - options every command of the per-backend executables
 * shares.  Each exits 2 with one line naming the valid values on bad
 * input.
 */
#ifndef WALKLAB_BACKEND_OPT_H
#define WALKLAB_BACKEND_OPT_H

/*
 * --backend-opt KEY=VALUE: hands the option to wl_backend.set_option(),
 * or exits 2 with a line naming the backend's valid options.
 */
void wl_backend_opt(const char *kv);

#endif /* WALKLAB_BACKEND_OPT_H */
