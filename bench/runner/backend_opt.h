/* SPDX-License-Identifier: MIT */
/*
 * backend_opt.h - --backend-opt KEY=VALUE for the per-backend executables:
 * hands the option to wl_backend.set_option(), or exits 2 with a line
 * naming the backend's valid options.
 */
#ifndef WALKLAB_BACKEND_OPT_H
#define WALKLAB_BACKEND_OPT_H

void wl_backend_opt(const char *kv);

#endif /* WALKLAB_BACKEND_OPT_H */
